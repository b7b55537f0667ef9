//! Seeds a data folder for `scripts/bench-memory.sh`: one profile, N stores, and each store's
//! mini-program code fetched from the fake WeChat (in-process on loopback, `getwxacodeunlimit` at width 1280)
//! into the code cache — the path an online export takes, so `export-pdf --all --offline` then finds every
//! code cached. Every store's scene differs, so the N images are distinct.
//!
//!   bench_seed DATA_DIR N

use std::sync::Arc;

use tapstand_fake_wechat::{FakeConfig, FakeWechat, DEMO_APPID, DEMO_SECRET};
use tapstand_secrets::SecretString;
use tapstand_store::records::{ProfileInput, StoreInput};
use tapstand_store::Db;
use tapstand_wechat::{ClientConfig, WechatClient};

const NAMES: &[&str] = &[
    "南昌公司 红谷滩店",
    "吕梁分公司 吕梁第一门店",
    "潍坊二 鲁888888",
    "秦皇岛 秦皇岛一号库",
    "九江公司 浔阳店",
    "沈阳 太原街店",
    "喆玥堃 旗舰店",
];

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(n)) = (
        args.first(),
        args.get(1).and_then(|n| n.parse::<u32>().ok()),
    ) else {
        eprintln!("usage: bench_seed DATA_DIR N");
        std::process::exit(2);
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = FakeConfig::demo();
    config.limits.wxacode_per_minute = u64::MAX;
    let fake = FakeWechat::start(config).await.unwrap();
    let db = Db::open(&dir.join("tapstand.db")).await.unwrap();
    let pid = db
        .insert_profile(&ProfileInput {
            name: "会员中心".into(),
            appid: DEMO_APPID.into(),
            env_version: "release".into(),
            page_path: "pages/member/card".into(),
            query_template: String::new(),
            only_genuine: false,
        })
        .await
        .unwrap();
    let profile = db.get_profile(pid).await.unwrap().unwrap();
    for i in 0..n {
        db.insert_store(&StoreInput {
            org_code: format!("{:05}", i + 1),
            company: String::new(),
            name: format!("{} {}号", NAMES[i as usize % NAMES.len()], i + 1),
            address: String::new(),
        })
        .await
        .unwrap();
    }
    let client = Arc::new(
        WechatClient::new(
            ClientConfig::default().with_base_url(fake.base_url()),
            DEMO_APPID,
            &SecretString::new(DEMO_SECRET),
        )
        .unwrap()
        .0,
    );
    let stores = tapstand_materials::resolve_stores(&db, &[], true)
        .await
        .unwrap();
    let mut bytes = 0u64;
    let mut tasks = tokio::task::JoinSet::new();
    let mut done = 0u32;
    for s in stores {
        if tasks.len() >= 4 {
            bytes += tasks.join_next().await.unwrap().unwrap();
            done += 1;
            if done.is_multiple_of(1000) {
                eprintln!("{done}/{n} codes");
            }
        }
        let (db, client, profile) = (db.clone(), client.clone(), profile.clone());
        tasks.spawn(async move {
            let target = tapstand_materials::StandTarget::store(&s).unwrap();
            tapstand_materials::fetch_code(&db, &client, &profile, &target)
                .await
                .unwrap()
                .len() as u64
        });
    }
    while let Some(r) = tasks.join_next().await {
        bytes += r.unwrap();
    }
    println!("stores={n} code_bytes_avg={}", bytes / n.max(1) as u64);
}

//! Codes for stores against the real fake WeChat (in-process, over loopback) and a real SQLite file:
//! fetched once and cached, reused without any call, an imported image wins, and a missing code while
//! offline fails naming the store.

use std::ops::ControlFlow;

use tapstand_fake_wechat::{Endpoint as FE, FakeConfig, FakeWechat, DEMO_APPID, DEMO_SECRET};
use tapstand_materials::*;
use tapstand_secrets::SecretString;
use tapstand_store::records::{Profile, ProfileInput, StoreInput};
use tapstand_store::Db;
use tapstand_wechat::{ClientConfig, WechatClient};

async fn setup(dir: &std::path::Path) -> (Db, Profile) {
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
    for (code, name) in [
        ("18", "南昌公司红谷滩店"),
        ("21", "九江公司浔阳店"),
        ("30", "同名店"),
        ("31", "同名店"),
    ] {
        db.insert_store(&StoreInput {
            org_code: code.into(),
            company: String::new(),
            name: name.into(),
            address: String::new(),
        })
        .await
        .unwrap();
    }
    let profile = db.get_profile(pid).await.unwrap().unwrap();
    (db, profile)
}

fn client(base_url: &str) -> WechatClient {
    let mut config = ClientConfig::default().with_base_url(base_url);
    config.retry.max_attempts = 1;
    config.connect_timeout = std::time::Duration::from_secs(2);
    WechatClient::new(config, DEMO_APPID, &SecretString::new(DEMO_SECRET))
        .unwrap()
        .0
}

fn png(w: u32, shade: u8) -> Vec<u8> {
    let img = image::GrayImage::from_fn(w, w, |x, y| {
        image::Luma([if (x / 40 + y / 40) % 2 == 0 {
            shade
        } else {
            255
        }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn targets(stores: &[tapstand_store::records::Store]) -> Vec<StandTarget> {
    stores
        .iter()
        .map(|s| StandTarget::store(s).unwrap())
        .collect()
}

#[tokio::test]
async fn fetched_once_then_cached_and_offline() {
    let dir = tempfile::tempdir().unwrap();
    let (db, profile) = setup(dir.path()).await;
    let fake = FakeWechat::start(FakeConfig::demo()).await.unwrap();
    let online = client(&fake.base_url());
    let stores = resolve_stores(&db, &["18".into(), "九江公司浔阳店".into()], false)
        .await
        .unwrap();
    assert_eq!(stores.len(), 2);

    let idx = CodeIndex::load(&db, &profile).await.unwrap();
    assert_eq!(idx.status("s=18"), CodeStatus::Missing);

    // First export: both fetched (one getwxacodeunlimit each) and cached with their parameters.
    let mut plan = CodePlan::new(&db, &profile, targets(&stores))
        .await
        .unwrap();
    assert_eq!(plan.missing().len(), 2);
    let mut ticks = vec![];
    plan.fetch_missing(&db, &online, &profile, &mut |d, t, _| {
        ticks.push((d, t));
        ControlFlow::Continue(())
    })
    .await
    .unwrap();
    assert_eq!(ticks, vec![(1, 2), (2, 2)]);
    assert_eq!(plan.fetched, 2);
    let calls = fake.calls(FE::GetWxaCodeUnlimit);
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|c| c.errcode == Some(0)), "{calls:?}");
    let planned = plan.into_targets(false).unwrap();
    // The plan holds no image: each store's content is read from the cache when asked for.
    let first = load_content(&db, &profile, &planned[0]).await.unwrap();
    let contents = [first];
    assert_eq!(contents[0].id, "18");
    assert_eq!(contents[0].store_name.as_deref(), Some("南昌公司红谷滩店"));
    assert!(contents[0].code_image.starts_with(&[0xFF, 0xD8, 0xFF]));
    let cached = db.wxacode_list(DEMO_APPID).await.unwrap();
    assert_eq!(cached.len(), 2);
    assert!(cached
        .iter()
        .all(|c| c.width == 1280 && c.page == "pages/member/card" && c.env_version == "release"));
    let idx = CodeIndex::load(&db, &profile).await.unwrap();
    assert_eq!(idx.status("s=18"), CodeStatus::Cached);
    assert_eq!(idx.status("s=21"), CodeStatus::Cached);

    // Second export: no call at all.
    let plan = CodePlan::new(&db, &profile, targets(&stores))
        .await
        .unwrap();
    assert!(plan.missing().is_empty());
    assert_eq!(plan.into_targets(false).unwrap().len(), 2);
    assert_eq!(fake.calls(FE::GetWxaCodeUnlimit).len(), 2);

    // Offline: WeChat gone. Cached stores still work; a store never fetched fails and names itself.
    fake.shutdown().await;
    let offline = client(online.base_url());
    let plan = CodePlan::new(&db, &profile, targets(&stores))
        .await
        .unwrap();
    assert!(plan.missing().is_empty());
    let more = resolve_stores(&db, &["18".into(), "#3".into()], false)
        .await
        .unwrap();
    assert_eq!(more[1].org_code, "30");
    let mut plan = CodePlan::new(&db, &profile, targets(&more)).await.unwrap();
    assert_eq!(plan.missing().len(), 1);
    let err = plan
        .fetch_missing(&db, &offline, &profile, &mut |_, _, _| {
            ControlFlow::Continue(())
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, "print.code_missing");
    assert!(err.zh.message.contains("30 同名店"), "{}", err.zh.message);
    assert!(err.zh.remedy.contains("联网"), "{}", err.zh.remedy);
    assert!(err.en.message.contains("30"), "{}", err.en.message);
    // Without any client the same store is reported as missing.
    let plan = CodePlan::new(&db, &profile, targets(&more)).await.unwrap();
    let err = plan.into_targets(true).unwrap_err();
    assert_eq!(err.code, "print.code_missing");
}

#[tokio::test]
async fn imported_image_wins_and_bad_images_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (db, profile) = setup(dir.path()).await;
    let store = resolve_stores(&db, &["18".into()], false).await.unwrap();
    let target = StandTarget::store(&store[0]).unwrap();
    // A fetched code in the cache, then the merchant's own image for the same store.
    let fetched = png(1280, 0);
    db.wxacode_put(&code_key(&profile, "s=18"), &fetched, 1)
        .await
        .unwrap();
    let own = png(860, 40);
    import_code(&db, &profile, &target, &own).await.unwrap();
    let (bytes, status) = cached_code(&db, &profile, "s=18").await.unwrap().unwrap();
    assert_eq!(status, CodeStatus::Imported);
    assert_eq!(bytes, own);
    assert_eq!(
        CodeIndex::load(&db, &profile).await.unwrap().status("s=18"),
        CodeStatus::Imported
    );
    let err = import_code(&db, &profile, &target, b"{\"errcode\":40001}")
        .await
        .unwrap_err();
    assert_eq!(err.code, "print.import_code");
    let err = import_code(
        &db,
        &profile,
        &target,
        &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "print.import_code");
}

#[tokio::test]
async fn store_selection() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = setup(dir.path()).await;
    let all = resolve_stores(&db, &[], true).await.unwrap();
    assert_eq!(
        all.iter().map(|s| s.org_code.as_str()).collect::<Vec<_>>(),
        ["18", "21", "30", "31"]
    );
    let e = resolve_stores(&db, &["同名店".into()], false)
        .await
        .unwrap_err();
    assert_eq!(e.code, "store.ambiguous");
    let e = resolve_stores(&db, &["99".into()], false)
        .await
        .unwrap_err();
    assert_eq!(e.code, "store.not_found");
    assert!(e.zh.message.contains("99"));
    // Archived stores are not in --all, but can still be named.
    let id = all[0].id;
    db.set_store_archived(id, true).await.unwrap();
    assert_eq!(resolve_stores(&db, &[], true).await.unwrap().len(), 3);
    assert_eq!(
        resolve_stores(&db, &["18".into()], false).await.unwrap()[0].id,
        id
    );
    let e = resolve_stores(&db, &[], false).await.unwrap_err();
    assert_eq!(e.code, "print.no_stores");
}

#[test]
fn scenes_stay_within_the_rule() {
    let store = tapstand_store::records::Store {
        id: 1,
        org_code: "门店一".into(),
        company: String::new(),
        name: "x".into(),
        address: String::new(),
        archived_at: None,
        created_at: 0,
        updated_at: 0,
    };
    let e = StandTarget::store(&store).unwrap_err();
    assert_eq!(e.code, "print.bad_scene");
    assert!(e.zh.message.contains("门店一"));
}

#[test]
fn sample_code_is_a_1280px_png() {
    let png = sample_code_png();
    let info = tapstand_print::raster::probe(&png, tapstand_print::error::ImageRole::Code).unwrap();
    assert_eq!((info.width, info.height), (1280, 1280));
}

#[test]
fn a_terminal_gets_its_own_scene_and_label() {
    let store = tapstand_store::records::Store {
        id: 3,
        org_code: "18".into(),
        company: String::new(),
        name: "南昌公司红谷滩店".into(),
        address: String::new(),
        archived_at: None,
        created_at: 0,
        updated_at: 0,
    };
    let terminal = tapstand_store::records::Terminal {
        id: 1,
        store_id: Some(3),
        machine_no: "M01".into(),
        terminal_no: "0003".into(),
        note: String::new(),
        archived_at: None,
        created_at: 0,
        updated_at: 0,
    };
    let t = StandTarget::terminal(&store, &terminal).unwrap();
    assert_eq!(t.scene, "s=18&t=0003");
    assert_eq!(t.label, "18-0003");
    assert_eq!(t.name, "南昌公司红谷滩店");
}

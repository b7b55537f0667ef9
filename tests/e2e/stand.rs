//! 检查 → 巡检 and 换标签 through the real window, the real pcscd + vpcd + virtual tag, and the fake WeChat.
//! The register and the ledger are seeded with the library calls the station makes (six stands of 南山店,
//! one of 福田店); the audit and the replacement run through the window only.
//! Screenshots: target/e2e-artifacts/stand-*.png (zh-CN).

use std::path::Path;
use std::time::{Duration, Instant};

use tapstand_fake_wechat::{DEMO_APPID, DEMO_MODEL_ID};
use tapstand_store::ledger::NewSchemeRequest;
use tapstand_store::records::{ProfileInput, StoreInput};
use tapstand_store::station::StationAttempt;
use tapstand_tag::ndef::wechat::{uri_and_aar, wechat_message};
use tapstand_vtag::{message_bytes, nth_uid, Rig, SigMode, TagState, VChip, NXP_TEST_UID};

use crate::harness::{temp_data_dir, App, Fake};

fn rig() -> Rig {
    Rig::try_start().unwrap_or_else(|e| {
        panic!("pcscd with vsmartcard-vpcd is needed (scripts/setup.sh installs both): {e}")
    })
}

fn uid_hex(uid: [u8; 7]) -> String {
    uid.iter().map(|b| format!("{b:02X}")).collect()
}

/// The tag's static lock bytes (page 2, bytes 2–3) are set and its CC says read-only.
fn static_locked(mem: &[u8]) -> bool {
    mem[10] == 0xFF && mem[11] == 0xFF && mem[15] == 0x0F
}

fn link(n: u32) -> String {
    format!("weixin://dl/business/?t=Stand{n:06}")
}

fn msg(link: &str) -> Vec<u8> {
    wechat_message(link).unwrap().encode().unwrap()
}

/// One stand: its tag's UID, its link, its store (id, label), whether the tag was an NXP original.
struct Stand {
    uid: [u8; 7],
    link: String,
    store: i64,
    genuine: Option<bool>,
}

/// A profile, two stores, and the ledger + register rows of the stands, as the station records them.
async fn seed(dir: &Path, stands: &[Stand]) {
    let paths = tapstand_core::AppPaths::resolve_with(Some(dir.to_path_buf())).unwrap();
    let core = tapstand_core::Core::open(paths)
        .await
        .expect("open the data folder");
    let db = &core.db;
    tapstand_records::save_profile(
        db,
        None,
        ProfileInput {
            name: "会员中心".into(),
            appid: DEMO_APPID.into(),
            env_version: "release".into(),
            page_path: "pages/member/card".into(),
            query_template: "store={org_code}&sn={sn}".into(),
            only_genuine: false,
        },
    )
    .await
    .expect("profile");
    for (code, name) in [("1001", "南山店"), ("1002", "福田店")] {
        tapstand_records::save_store(
            db,
            None,
            StoreInput {
                org_code: code.into(),
                company: "示例公司".into(),
                name: name.into(),
                address: String::new(),
            },
        )
        .await
        .expect("store");
    }
    for s in stands {
        let sn = uid_hex(s.uid);
        let (code, label) = if s.store == 1 {
            ("1001", "门店 1001 南山店")
        } else {
            ("1002", "门店 1002 福田店")
        };
        let query = format!("store={code}&sn={sn}");
        let row = db
            .scheme_record_request(&NewSchemeRequest {
                api_base: "http://127.0.0.1:1",
                appid: DEMO_APPID,
                model_id: DEMO_MODEL_ID,
                sn: &sn,
                path: "pages/member/card",
                query: &query,
                env_version: "release",
            })
            .await
            .unwrap();
        let call = db
            .scheme_begin_call(row.id, false, 0, None, "http://127.0.0.1:1")
            .await
            .unwrap()
            .unwrap();
        db.scheme_finish_issued(row.id, call, &s.link)
            .await
            .unwrap();
        db.station_upsert_tag(&StationAttempt {
            started_at: 1_795_140_000_000,
            uid: sn.clone(),
            chip: "ntag213".into(),
            model_id: DEMO_MODEL_ID.into(),
            sn: sn.clone(),
            openlink: Some(s.link.clone()),
            target: format!("store:{}", s.store),
            target_label: label.into(),
            store_id: Some(s.store),
            path: "pages/member/card".into(),
            query,
            result: "written".into(),
            locked: false,
            genuine: s.genuine,
            ..Default::default()
        })
        .await
        .unwrap();
    }
    core.db.close().await;
}

async fn read_entry(app: &App, reader: &mut Rig, tag: TagState, uid: &str) -> String {
    reader.put(tag);
    app.click("[data-testid=audit-read]").await;
    app.wait_attr("[data-testid=audit-entry]", "data-uid", uid)
        .await;
    app.settle().await;
    app.wait("[data-testid=audit-entry]")
        .await
        .attr("data-verdict")
        .await
        .unwrap()
        .unwrap_or_default()
}

#[tokio::test]
#[ignore = "end-to-end: run scripts/e2e.sh"]
async fn audit_a_store_then_replace_a_tampered_tag() {
    Fake::reset_demo();
    let mut reader = rig();
    let dir = temp_data_dir("stand");
    let stands = [
        Stand {
            uid: nth_uid(5001),
            link: link(1),
            store: 1,
            genuine: Some(false),
        },
        Stand {
            uid: nth_uid(5002),
            link: link(2),
            store: 1,
            genuine: Some(false),
        },
        Stand {
            uid: nth_uid(5003),
            link: link(3),
            store: 1,
            genuine: Some(false),
        },
        Stand {
            uid: nth_uid(5004),
            link: link(4),
            store: 2,
            genuine: Some(false),
        },
        Stand {
            uid: nth_uid(5005),
            link: link(5),
            store: 1,
            genuine: Some(false),
        },
        Stand {
            uid: NXP_TEST_UID,
            link: link(6),
            store: 1,
            genuine: Some(true),
        },
        Stand {
            uid: nth_uid(5006),
            link: link(7),
            store: 1,
            genuine: Some(false),
        },
    ];
    seed(dir.path(), &stands).await;
    let app = App::launch(dir.path()).await;
    app.click("[data-testid=nav-inspect]").await;
    app.click(".n-tabs-tab[data-name=audit]").await;
    app.wait("[data-testid=audit-start]").await;
    app.click("[data-testid=audit-store]").await;
    app.click_xpath("//div[contains(@class,'n-base-select-option') and contains(., '南山店')]")
        .await;
    app.click("[data-testid=audit-start]").await;
    app.wait_text("[data-testid=audit-store-label]", "南山店")
        .await;
    assert_eq!(app.count("[data-testid=audit-untapped-row]").await, 6);

    // 1. Right and locked.
    let mut locked = TagState::with_message(VChip::Ntag213, stands[0].uid, &msg(&stands[0].link));
    locked.lock();
    assert_eq!(
        read_entry(&app, &mut reader, locked, &uid_hex(stands[0].uid)).await,
        "ok"
    );
    // 2. Right but unlocked: locked from the audit.
    let unlocked = TagState::with_message(VChip::Ntag213, stands[1].uid, &msg(&stands[1].link));
    assert_eq!(
        read_entry(&app, &mut reader, unlocked, &uid_hex(stands[1].uid)).await,
        "unlocked"
    );
    app.screenshot("stand-audit-unlocked-zh-CN").await;
    app.click("[data-testid=audit-lock]").await;
    app.wait_attr("[data-testid=audit-entry]", "data-locked-now", "yes")
        .await;
    app.wait_attr("[data-testid=audit-entry]", "data-verdict", "ok")
        .await;
    assert!(
        static_locked(&reader.memory()),
        "the tag is locked for real"
    );
    assert_eq!(
        message_bytes(&reader.memory()),
        Some(msg(&stands[1].link)),
        "content kept"
    );
    // 3. Overwritten with 福田店's link.
    let other = TagState::with_message(VChip::Ntag213, stands[2].uid, &msg(&stands[3].link));
    assert_eq!(
        read_entry(&app, &mut reader, other, &uid_hex(stands[2].uid)).await,
        "other_store"
    );
    app.wait_text("[data-testid=audit-entry-found]", "福田店")
        .await;
    // 4. A foreign web link.
    let web = uri_and_aar("https://evil.example/win", None)
        .encode()
        .unwrap();
    let tampered = TagState::with_message(VChip::Ntag213, stands[4].uid, &web);
    assert_eq!(
        read_entry(&app, &mut reader, tampered.clone(), &uid_hex(stands[4].uid)).await,
        "web_link"
    );
    app.screenshot("stand-audit-web-link-zh-CN").await;
    // 5. A copy of the NXP original (same UID and link, no NXP signature).
    let copy = TagState::with_message(VChip::Ntag215, NXP_TEST_UID, &msg(&stands[5].link))
        .with_signature(SigMode::Nak);
    assert_eq!(
        read_entry(&app, &mut reader, copy, &uid_hex(NXP_TEST_UID)).await,
        "not_genuine"
    );
    reader.take_away();
    // 6. The stand not tapped.
    assert_eq!(app.count("[data-testid=audit-row]").await, 5);
    assert_eq!(app.count("[data-testid=audit-untapped-row]").await, 1);
    assert!(
        app.exists(&format!(
            "[data-testid=audit-untapped-row][data-uid=\"{}\"]",
            uid_hex(stands[6].uid)
        ))
        .await
    );
    app.screenshot("stand-audit-zh-CN").await;

    // The report: saved where the save dialog would (the e2e hook), read back with openpyxl.
    let save_dir =
        std::path::PathBuf::from(std::env::var("TAPSTAND_E2E_SAVE_DIR").expect("e2e save dir"));
    // A report of an earlier run on this machine has the same name (store and date): out of the way first.
    for e in std::fs::read_dir(&save_dir).unwrap().flatten() {
        if e.path().to_string_lossy().contains("巡检报告") {
            std::fs::remove_file(e.path()).unwrap();
        }
    }
    app.click("[data-testid=audit-finish]").await;
    app.wait("[data-testid=audit-setup]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let report = loop {
        let found = std::fs::read_dir(&save_dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().contains("巡检报告"));
        if let Some(p) = found {
            break p;
        }
        assert!(Instant::now() < deadline, "no audit report written");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let py = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import openpyxl,sys,json\n\
             ws=openpyxl.load_workbook(sys.argv[1]).active\n\
             print(json.dumps([[c.value for c in r] for r in ws.iter_rows()]))",
        )
        .arg(&report)
        .output()
        .unwrap();
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let rows: Vec<Vec<serde_json::Value>> = serde_json::from_slice(&py.stdout).unwrap();
    assert_eq!(rows.len(), 1 + 5 + 1, "{rows:?}");
    let verdicts: Vec<&str> = rows[1..]
        .iter()
        .map(|r| r[3].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        verdicts,
        [
            "正常",
            "正常",
            "其他门店的链接",
            "网址或其他链接（可能被篡改）",
            "芯片不是原来的原厂芯片",
            "未巡检"
        ]
    );

    // 换标签: the tampered stand (5005) gets a new tag with its own link; WeChat is not asked.
    let generates = Fake::calls("generate_nfc_scheme");
    app.click(".n-tabs-tab[data-name=replace]").await;
    app.fill("[data-testid=replace-old-uid]", &uid_hex(stands[4].uid))
        .await;
    app.click("[data-testid=replace-find]").await;
    app.wait_text("[data-testid=replace-stand]", "南山店").await;
    let new_uid = nth_uid(5100);
    reader.put(TagState::factory(VChip::Ntag213, new_uid));
    app.screenshot("stand-replace-zh-CN").await;
    app.click("[data-testid=replace-write]").await;
    app.wait_attr(
        "[data-testid=replace-result]",
        "data-new-uid",
        &uid_hex(new_uid),
    )
    .await;
    assert_eq!(
        message_bytes(&reader.memory()),
        Some(msg(&stands[4].link)),
        "the stand's own link"
    );
    assert!(static_locked(&reader.memory()), "locked (the default)");
    assert_eq!(
        Fake::calls("generate_nfc_scheme"),
        generates,
        "no generate call"
    );
    app.wait(&format!(
        "[data-testid=retired-row][data-uid=\"{}\"][data-replaced-by=\"{}\"]",
        uid_hex(stands[4].uid),
        uid_hex(new_uid)
    ))
    .await;
    app.screenshot("stand-replaced-zh-CN").await;

    // The same pages in English: a second audit of 南山店 reading the new tag, and the quota in 设置.
    app.switch_language("en-US").await;
    app.wait_text("[data-testid=replace-panel]", "Replace a tag")
        .await;
    app.screenshot("stand-replaced-en-US").await;
    app.click(".n-tabs-tab[data-name=audit]").await;
    app.click("[data-testid=audit-start]").await;
    app.wait("[data-testid=audit-read]").await;
    app.click("[data-testid=audit-read]").await;
    app.wait_attr("[data-testid=audit-entry]", "data-uid", &uid_hex(new_uid))
        .await;
    app.wait_text("[data-testid=audit-entry-found]", "Right link")
        .await;
    app.settle().await;
    app.screenshot("stand-audit-en-US").await;
    reader.take_away();
    app.click("[data-testid=nav-settings]").await;
    app.wait_text("[data-testid=settings-quota]", "Permanent links")
        .await;
    app.screenshot("settings-quota-en-US").await;
    app.quit().await;
}

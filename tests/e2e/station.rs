//! 写标签 through the real window and the whole real stack: the app talks to the real pcsc-lite daemon, whose
//! vsmartcard virtual reader carries Tapstand's virtual NTAG (driven from this test process), to the fake
//! WeChat that `scripts/lib/e2e-inner.sh` runs, and to the gnome-keyring session for the AppSecret.
//! The records are set up with the same library calls the app makes (the UI for them is covered by
//! records.rs); the station itself is configured and run through the window only.
//! Screenshots: target/e2e-artifacts/station-*.png (zh-CN).

use std::path::Path;
use std::time::{Duration, Instant};

use tapstand_fake_wechat::{Action, Control, Endpoint, DEMO_APPID, DEMO_MODEL_ID, DEMO_SECRET};
use tapstand_store::records::{DeviceModelInput, ProfileInput, StoreInput};
use tapstand_tag::ndef::t2t::decode_image;
use tapstand_tag::ndef::wechat::wechat_message;
use tapstand_vtag::{message_bytes, nth_uid, Rig, TagState, VChip};

use crate::harness::{temp_data_dir, App, Fake};
use crate::xwindow;

// ---- the virtual reader ------------------------------------------------------------------------------

/// The shared rig (pcscd under the tag tests' file lock + vpcd's reader + the virtual tag).
fn rig() -> Rig {
    Rig::try_start().unwrap_or_else(|e| {
        panic!("pcscd with vsmartcard-vpcd is needed (scripts/setup.sh installs both): {e}")
    })
}

/// The NDEF message on the rig's tag now (None: no complete valid message).
fn message(r: &Rig) -> Option<Vec<u8>> {
    message_bytes(&r.memory())
}

fn uid_hex(uid: [u8; 7]) -> String {
    uid.iter().map(|b| format!("{b:02X}")).collect()
}

fn expected(openlink: &str) -> Vec<u8> {
    wechat_message(openlink).unwrap().encode().unwrap()
}

// ---- records -----------------------------------------------------------------------------------------

/// A profile (secret in the keychain), the demo device model (approved) and two stores.
async fn seed(dir: &Path) {
    let paths = tapstand_core::AppPaths::resolve_with(Some(dir.to_path_buf())).unwrap();
    let core = tapstand_core::Core::open(paths)
        .await
        .expect("open the data folder");
    let db = &core.db;
    let profile = tapstand_records::save_profile(
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
    .expect("profile")
    .value;
    let keychain = core.secrets().await.expect("the session keychain");
    tapstand_records::set_app_secret(db, &keychain, profile.id, DEMO_SECRET)
        .await
        .expect("secret into the keychain");
    tapstand_records::save_device_model(
        db,
        None,
        DeviceModelInput {
            profile_id: Some(profile.id),
            model_id: Some(DEMO_MODEL_ID.into()),
            model_name: "收银台立牌".into(),
            link_type: "per_device".into(),
            status: "approved".into(),
            ..Default::default()
        },
    )
    .await
    .expect("model");
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
    core.db.close().await;
}

/// Rows of the app's database, read-only next to the running app.
async fn db_rows(dir: &Path, sql: &str) -> Vec<sqlx::sqlite::SqliteRow> {
    use sqlx::ConnectOptions;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.join(tapstand_store::DB_FILE_NAME))
        .read_only(true)
        .connect()
        .await
        .expect("open the app's database read-only");
    // Test-only SQL built from constants and hex UIDs.
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_all(&mut conn)
        .await
        .unwrap()
}

// ---- the page ----------------------------------------------------------------------------------------

async fn open_station(app: &App) {
    app.click("[data-testid=nav-write]").await;
    app.wait("[data-testid=station-setup]").await;
}

async fn choose_store(app: &App, name: &str) {
    app.click("[data-testid=station-store]").await;
    app.click_xpath(&format!(
        "//div[contains(@class,'n-base-select-option') and contains(., '{name}')]"
    ))
    .await;
    app.wait_text("[data-testid=station-preview]", name).await;
}

/// Starts the station; the first start of a target asks once to confirm the page and query every link
/// will open for ever (`link.confirm_needed`), answered here.
async fn start(app: &App) {
    app.click("[data-testid=station-start]").await;
    app.wait_any(&[
        "[data-testid=station-running]",
        "[data-testid=link-confirm-dialog]",
    ])
    .await;
    if app.exists("[data-testid=link-confirm-dialog]").await {
        app.click("[data-testid=link-confirm]").await;
    }
    app.wait("[data-testid=station-running]").await;
    wait_phase(app, "waiting").await;
}

async fn wait_phase(app: &App, phase: &str) {
    app.wait_attr("[data-testid=station-panel]", "data-phase", phase)
        .await;
}

async fn counter(app: &App, which: &str) -> u32 {
    app.text(&format!("[data-testid=count-{which}]"))
        .await
        .trim()
        .parse()
        .unwrap()
}

async fn wait_counter(app: &App, which: &str, n: u32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = counter(app, which).await;
        if got == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "count-{which} stayed {got}, expected {n}; panel: {}",
            app.text("[data-testid=station-panel]").await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The error shown on the panel: (code, text).
async fn panel_error(app: &App) -> (String, String) {
    let el = app
        .wait("[data-testid=station-error] [data-testid=user-error]")
        .await;
    let code = el.attr("data-code").await.unwrap().unwrap_or_default();
    (code, el.text().await.unwrap_or_default())
}

#[tokio::test]
#[ignore = "end-to-end: run scripts/e2e.sh"]
async fn five_tags_in_a_row_then_the_same_tag_a_torn_write_and_a_locked_tag() {
    Fake::reset_demo();
    let mut reader = rig();
    let dir = temp_data_dir("station");
    seed(dir.path()).await;
    let app = App::launch(dir.path()).await;
    open_station(&app).await;

    // The target: the only usable model is preselected; the store is chosen; the path and query show.
    choose_store(&app, "南山店").await;
    assert_eq!(
        app.text("[data-testid=station-preview-path]").await,
        "pages/member/card"
    );
    assert_eq!(
        app.text("[data-testid=station-preview-query]").await,
        "store=1001&sn={sn}"
    );
    app.fill("[data-testid=station-operator]", "小王").await;
    app.screenshot("station-setup-zh-CN").await;
    // The first start of a target asks once for the page and query every link will open for ever.
    app.click("[data-testid=station-start]").await;
    app.wait_text("[data-testid=link-confirm-dialog]", "store=1001&sn={sn}")
        .await;
    app.settle().await;
    app.screenshot("station-confirm-link-zh-CN").await;
    assert_eq!(
        Fake::calls("generate_nfc_scheme"),
        0,
        "nothing generated before the answer"
    );
    app.click("[data-testid=link-confirm]").await;
    app.wait("[data-testid=station-running]").await;
    wait_phase(&app, "waiting").await;
    app.screenshot("station-idle-zh-CN").await;

    // 1. Five tags in a row, continuous mode: each written, read back from the tag's memory, recorded.
    let chips = [
        VChip::Ntag213,
        VChip::Ntag215,
        VChip::Ntag216,
        VChip::Ntag213,
        VChip::Ntag215,
    ];
    let mut written = Vec::new();
    for (i, chip) in chips.iter().enumerate() {
        let uid = nth_uid(3000 + i as u32);
        if i == 1 {
            // Slow this one down to catch the "writing" state on screen.
            reader.set_latency(Duration::from_millis(120));
        }
        reader.put(TagState::factory(*chip, uid));
        if i == 1 {
            wait_phase(&app, "working").await;
            app.screenshot("station-writing-zh-CN").await;
        }
        wait_counter(&app, "written", i as u32 + 1).await;
        app.wait_attr("[data-testid=station-panel]", "data-tone", "success")
            .await;
        reader.clear_faults();
        if i == 0 {
            app.screenshot("station-success-zh-CN").await;
        }
        let sn = uid_hex(uid);
        let row = app
            .wait(&format!("[data-testid=station-row][data-uid=\"{sn}\"]"))
            .await;
        assert_eq!(
            row.attr("data-result").await.unwrap().as_deref(),
            Some("written")
        );
        written.push((uid, reader.take_away().expect("the tag")));
        wait_phase(&app, "waiting").await;
    }
    assert_eq!(counter(&app, "verified").await, 5);
    assert_eq!(counter(&app, "failed").await, 0);

    // The ledger and the records agree with each tag's memory; the fake was asked once per sn.
    let ledger = db_rows(
        dir.path(),
        "SELECT sn, openlink, state, path, query FROM scheme_ledger ORDER BY id",
    )
    .await;
    assert_eq!(ledger.len(), 5);
    for (uid, tag) in &written {
        use sqlx::Row;
        let sn = uid_hex(*uid);
        let row = ledger
            .iter()
            .find(|r| r.get::<String, _>("sn") == sn)
            .unwrap_or_else(|| panic!("no ledger row for {sn}"));
        let link: String = row.get("openlink");
        assert_eq!(row.get::<String, _>("state"), "issued");
        assert_eq!(row.get::<String, _>("query"), format!("store=1001&sn={sn}"));
        let d = decode_image(&tag.mem);
        assert_eq!(d.message_bytes, Some(expected(&link)), "memory of {sn}");
        assert_eq!(Fake::generates_for(&sn), 1, "one generate call for {sn}");
        let rec = db_rows(
            dir.path(),
            &format!(
                "SELECT result, openlink, operator, target, chip, total_ms FROM station_attempts WHERE uid = '{sn}'"
            ),
        )
        .await;
        assert_eq!(rec.len(), 1);
        assert_eq!(rec[0].get::<String, _>("result"), "written");
        assert_eq!(
            rec[0].get::<Option<String>, _>("openlink").as_deref(),
            Some(link.as_str())
        );
        assert_eq!(rec[0].get::<String, _>("operator"), "小王");
        assert!(rec[0].get::<String, _>("target").starts_with("store:"));
        assert!(rec[0].get::<i64, _>("total_ms") > 0);
    }

    // 2. The same tag again: recognised, counted, not rewritten, no call.
    let (uid0, tag0) = written[0].clone();
    let before = tag0.mem.clone();
    reader.put(tag0);
    wait_counter(&app, "correct", 1).await;
    assert_eq!(counter(&app, "written").await, 5);
    assert_eq!(reader.memory(), before, "not rewritten");
    assert_eq!(Fake::generates_for(&uid_hex(uid0)), 1);
    app.screenshot("station-already-correct-zh-CN").await;
    reader.take_away();
    wait_phase(&app, "waiting").await;

    // 3. Pulled off mid-write: "put it back"; the next tap uses the same scheme, no second call.
    let torn = nth_uid(3100);
    reader.remove_after_apdu(18);
    reader.vt.insert(TagState::factory(VChip::Ntag215, torn));
    wait_counter(&app, "failed", 1).await;
    app.wait_attr("[data-testid=station-panel]", "data-tone", "error")
        .await;
    let (code, text) = panel_error(&app).await;
    assert!(code.starts_with("tag."), "a tag error, got {code}: {text}");
    app.screenshot("station-error-tag-removed-zh-CN").await;
    reader.clear_faults();
    let deadline = Instant::now() + Duration::from_secs(10);
    while reader.tag_present() {
        assert!(
            Instant::now() < deadline,
            "pcscd never saw the torn tag leave"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    wait_phase(&app, "waiting").await;
    assert_eq!(Fake::generates_for(&uid_hex(torn)), 1);
    reader.put_back();
    wait_counter(&app, "written", 6).await;
    let link: String = {
        use sqlx::Row;
        db_rows(
            dir.path(),
            &format!(
                "SELECT openlink FROM scheme_ledger WHERE sn = '{}'",
                uid_hex(torn)
            ),
        )
        .await[0]
            .get("openlink")
    };
    assert_eq!(message(&reader), Some(expected(&link)));
    assert_eq!(
        Fake::generates_for(&uid_hex(torn)),
        1,
        "no second generate call"
    );
    let sources = {
        use sqlx::Row;
        db_rows(
            dir.path(),
            &format!(
                "SELECT result, scheme_source FROM station_attempts WHERE uid = '{}' ORDER BY id",
                uid_hex(torn)
            ),
        )
        .await
        .iter()
        .map(|r| {
            (
                r.get::<String, _>("result"),
                r.get::<Option<String>, _>("scheme_source"),
            )
        })
        .collect::<Vec<_>>()
    };
    assert_eq!(sources[0].0, "failed");
    assert_eq!(
        sources[1],
        ("written".to_string(), Some("ledger".to_string()))
    );
    reader.take_away();
    wait_phase(&app, "waiting").await;

    // 4. A permanently locked tag: refused, nothing generated for it.
    let locked = nth_uid(3200);
    let mut t = TagState::factory(VChip::Ntag213, locked);
    t.lock();
    reader.put(t);
    wait_counter(&app, "failed", 2).await;
    let (code, text) = panel_error(&app).await;
    assert!(text.contains("锁"), "says the tag is locked: {code} {text}");
    app.screenshot("station-error-locked-zh-CN").await;
    assert_eq!(Fake::generates_for(&uid_hex(locked)), 0);
    reader.take_away();
    wait_phase(&app, "waiting").await;

    // 5. A tag with another tag's link: the station asks; overwrite writes this tag's own link.
    let other = nth_uid(3300);
    let foreign = expected(&{
        use sqlx::Row;
        db_rows(
            dir.path(),
            &format!(
                "SELECT openlink FROM scheme_ledger WHERE sn = '{}'",
                uid_hex(written[1].0)
            ),
        )
        .await[0]
            .get::<String, _>("openlink")
    });
    reader.put(TagState::with_message(VChip::Ntag215, other, &foreign));
    wait_phase(&app, "confirm").await;
    // The link is one this shop wrote (on another tag): the question says for which target.
    app.wait_text("[data-testid=station-confirm-message]", "南山店")
        .await;
    app.screenshot("station-confirm-overwrite-zh-CN").await;
    assert_eq!(
        message(&reader),
        Some(foreign.clone()),
        "untouched while asking"
    );
    app.click("[data-testid=station-overwrite]").await;
    wait_counter(&app, "written", 7).await;
    assert_ne!(message(&reader), Some(foreign));
    reader.take_away();

    // 6. Reader unplugged (pcscd restarted without the virtual reader's configuration) and plugged back:
    // the station waits, then resumes by itself.
    reader.unplug().expect("unplug the virtual reader");
    wait_phase(&app, "reader_missing").await;
    app.screenshot("station-reader-missing-zh-CN").await;
    reader.replug().expect("plug the virtual reader back");
    wait_phase(&app, "waiting").await;
    let after = nth_uid(3400);
    reader.put(TagState::factory(VChip::Ntag216, after));
    wait_counter(&app, "written", 8).await;
    reader.take_away();

    // Stop: the page returns to the target form with the run's results still listed.
    app.click("[data-testid=station-stop]").await;
    app.wait("[data-testid=station-setup]").await;
    assert!(app.count("[data-testid=station-row]").await >= 8);

    // 7. 记录: every attempt, filtered; CSV export; "verify again" with the tag put back.
    app.click("[data-testid=nav-history]").await;
    app.wait("[data-testid=history-row]").await;
    let attempts = db_rows(dir.path(), "SELECT id FROM station_attempts")
        .await
        .len();
    app.wait_text("[data-testid=history-totals]", &format!("共 {attempts} 次"))
        .await;
    app.settle().await;
    app.screenshot("station-history-zh-CN").await;
    app.click("[data-testid=history-result-failed]").await;
    // The torn write, the locked tag, and the question asked before the overwrite.
    app.wait_text("[data-testid=history-totals]", "共 3 次")
        .await;
    assert_eq!(
        app.count("[data-testid=history-row][data-result=failed]")
            .await,
        2
    );
    assert_eq!(
        app.count("[data-testid=history-row][data-result=needs_confirmation]")
            .await,
        1
    );
    // The save dialog is native (WebDriver cannot drive it): call the same command the page calls
    // after the dialog, with a path chosen here.
    let csv = dir.path().join("记录.csv");
    app.js(
        r#"window.__TAURI_INTERNALS__.invoke("history_export_csv", {
             filter: { store_id: null, terminal_id: null, since_ms: null, result: "all", uid: null, limit: null },
             path: arguments[0],
           });
           return true;"#,
        vec![serde_json::json!(csv.to_str().unwrap())],
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !csv.exists() {
        assert!(Instant::now() < deadline, "no CSV written");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with('\u{feff}'), "BOM for Excel");
    assert_eq!(text.lines().count(), attempts + 1, "header + every attempt");
    assert!(text.contains("小王") && text.contains(&uid_hex(written[2].0)));

    app.click("[data-testid=history-result] label:first-child")
        .await;
    app.wait_text("[data-testid=history-totals]", &format!("共 {attempts} 次"))
        .await;
    let (uid2, tag2) = written[2].clone();
    reader.put(tag2);
    app.click(&format!(
        "[data-testid=history-row][data-uid=\"{}\"] [data-testid=history-verify]",
        uid_hex(uid2)
    ))
    .await;
    app.wait_attr("[data-testid=inspection]", "data-record", "matches")
        .await;
    app.wait_text("[data-testid=inspection-headline]", "南山店")
        .await;
    app.screenshot("station-history-verify-zh-CN").await;
    reader.take_away();
    app.driver
        .action_chain()
        .send_keys(thirtyfour::Key::Escape)
        .perform()
        .await
        .unwrap();
    app.wait_gone("[data-testid=history-verify-modal]").await;

    // 8. 检查标签: ours / a web link / empty / locked, each said in plain words.
    app.click("[data-testid=nav-inspect]").await;
    app.wait("[data-testid=inspect-read]").await;
    let cases: Vec<(&str, TagState, &str)> = vec![
        ("ours", written[3].1.clone(), "ours"),
        (
            "web-link",
            TagState::with_message(
                VChip::Ntag215,
                nth_uid(3500),
                &tapstand_ndef::record::Message::new(vec![tapstand_ndef::uri::uri_record(
                    "https://example.com/menu",
                )])
                .encode()
                .unwrap(),
            ),
            "foreign_url",
        ),
        (
            "empty",
            TagState::factory(VChip::Ntag213, nth_uid(3501)),
            "empty",
        ),
        // NXP's public test UID answers NXP's published originality signature: "NXP 原厂芯片".
        (
            "nxp-original",
            TagState::factory(VChip::Ntag215, tapstand_vtag::NXP_TEST_UID),
            "empty",
        ),
        (
            "locked",
            {
                let mut t = TagState::factory(VChip::Ntag213, nth_uid(3502));
                t.lock();
                t
            },
            "empty",
        ),
    ];
    for (name, tag, verdict) in cases {
        reader.put(tag);
        app.click("[data-testid=inspect-read]").await;
        app.wait_attr("[data-testid=inspection]", "data-verdict", verdict)
            .await;
        let headline = app.text("[data-testid=inspection-headline]").await;
        assert!(!headline.is_empty());
        if name == "ours" {
            assert!(headline.contains("南山店"), "{headline}");
        }
        if name == "locked" {
            let all = app.text("[data-testid=inspection]").await;
            assert!(all.contains("锁"), "says locked: {all}");
        }
        // The genuine-chip line: the virtual tags sign with a test key (not NXP's), except NXP's test UID.
        let (genuine, words) = if name == "nxp-original" {
            ("yes", "NXP 原厂芯片")
        } else {
            ("no", "不是 NXP 原厂芯片（可能是国产兼容芯片或仿冒）")
        };
        app.wait_attr("[data-testid=inspection-genuine]", "data-genuine", genuine)
            .await;
        assert_eq!(app.text("[data-testid=inspection-genuine]").await, words);
        app.settle().await; // the reading spinner fades out
        app.screenshot(&format!("inspect-{name}-zh-CN")).await;
        reader.take_away();
    }
    app.quit().await;
}

#[tokio::test]
#[ignore = "end-to-end: run scripts/e2e.sh"]
async fn wechat_errors_show_their_remedies_and_the_next_tap_recovers() {
    Fake::reset_demo();
    let mut reader = rig();
    let dir = temp_data_dir("station-errors");
    seed(dir.path()).await;
    let app = App::launch(dir.path()).await;
    open_station(&app).await;
    choose_store(&app, "福田店").await;
    start(&app).await;

    // 40164: the computer's IP is not on the mini program's API whitelist (the token request fails).
    Fake::control(&Control::Inject {
        endpoint: Some(Endpoint::StableToken),
        count: 1,
        action: Action::Error {
            errcode: 40164,
            errmsg: Some("invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist".into()),
        },
    });
    let uid = nth_uid(4000);
    let factory = TagState::factory(VChip::Ntag215, uid).mem;
    reader.put(TagState::factory(VChip::Ntag215, uid));
    wait_counter(&app, "failed", 1).await;
    let (code, text) = panel_error(&app).await;
    assert!(text.contains("白名单"), "{code}: {text}");
    assert!(text.contains("203.0.113.7"), "shows the IP to add: {text}");
    app.screenshot("station-error-40164-zh-CN").await;
    assert_eq!(reader.memory(), factory, "nothing written");
    reader.take_away();
    wait_phase(&app, "waiting").await;

    // 9800007: the model has no 「NFC 标签调起小程序」 capability yet.
    Fake::control(&Control::Inject {
        endpoint: Some(Endpoint::GenerateNfcScheme),
        count: 1,
        action: Action::Error {
            errcode: 9800007,
            errmsg: None,
        },
    });
    reader.put(TagState::factory(VChip::Ntag215, uid));
    wait_counter(&app, "failed", 2).await;
    let (code, text) = panel_error(&app).await;
    assert!(text.contains("能力"), "{code}: {text}");
    app.screenshot("station-error-9800007-zh-CN").await;
    assert_eq!(reader.memory(), factory, "nothing written");
    reader.take_away();
    wait_phase(&app, "waiting").await;

    // Fixed on the WeChat side: the same tag now goes through.
    reader.put(TagState::factory(VChip::Ntag215, uid));
    wait_counter(&app, "written", 1).await;
    assert!(message(&reader).is_some());
    reader.take_away();
    app.quit().await;
}

/// Closing the window (the title bar's ×) while a tag is being written: the app finishes that tag, records
/// it, then exits. Two moments: while WeChat has not answered the link request yet, and while the pages are
/// being written. Between the close and the exit nothing is cut short: the tag ends complete and verified
/// with the one link WeChat issued for it, and the attempt is in 记录.
#[tokio::test]
#[ignore = "end-to-end: run scripts/e2e.sh"]
async fn closing_the_window_during_a_write_finishes_and_records_the_tag() {
    Fake::reset_demo();
    let mut reader = rig();
    for (round, moment) in ["during the WeChat call", "during the page writes"]
        .into_iter()
        .enumerate()
    {
        let dir = temp_data_dir(&format!("station-close-{round}"));
        seed(dir.path()).await;
        let app = App::launch(dir.path()).await;
        open_station(&app).await;
        choose_store(&app, "南山店").await;
        start(&app).await;
        let pid = xwindow::app_pid(dir.path());

        let uid = nth_uid(5000 + round as u32);
        let sn = uid_hex(uid);
        let factory = TagState::factory(VChip::Ntag215, uid);
        let blank = factory.mem.clone();
        let deadline = Instant::now() + Duration::from_secs(20);
        if round == 0 {
            Fake::control(&Control::Inject {
                endpoint: Some(Endpoint::GenerateNfcScheme),
                count: 1,
                action: Action::Delay { ms: 2000 },
            });
            reader.put(factory);
            // The call has reached WeChat, which holds its answer for two seconds.
            while Fake::generates_for(&sn) == 0 {
                assert!(Instant::now() < deadline, "no link request for {sn}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            assert_eq!(reader.memory(), blank, "nothing written before the answer");
        } else {
            reader.set_latency(Duration::from_millis(120));
            reader.put(factory);
            // The first page writes have reached the tag.
            while reader.memory() == blank {
                assert!(Instant::now() < deadline, "no page written on {sn}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            assert!(
                message(&reader).is_none(),
                "caught before the message was complete"
            );
        }
        assert_eq!(
            xwindow::request_close(pid),
            1,
            "{moment}: one window asked to close"
        );
        assert!(
            xwindow::wait_exit(pid, Duration::from_secs(60)),
            "{moment}: the app did not exit after the close"
        );
        app.gone().await;

        use sqlx::Row;
        let ledger = db_rows(
            dir.path(),
            &format!("SELECT openlink, state FROM scheme_ledger WHERE sn = '{sn}'"),
        )
        .await;
        assert_eq!(ledger.len(), 1, "{moment}: one ledger row for {sn}");
        assert_eq!(ledger[0].get::<String, _>("state"), "issued", "{moment}");
        let link: String = ledger[0].get("openlink");
        assert_eq!(
            message(&reader),
            Some(expected(&link)),
            "{moment}: the tag holds the complete message with its link"
        );
        assert_eq!(Fake::generates_for(&sn), 1, "{moment}: one generate call");
        let attempts = db_rows(
            dir.path(),
            &format!("SELECT result, openlink FROM station_attempts WHERE uid = '{sn}'"),
        )
        .await;
        assert_eq!(attempts.len(), 1, "{moment}: the attempt is recorded");
        assert_eq!(
            attempts[0].get::<String, _>("result"),
            "written",
            "{moment}"
        );
        assert_eq!(
            attempts[0].get::<Option<String>, _>("openlink").as_deref(),
            Some(link.as_str())
        );
        reader.take_away();
        reader.clear_faults();
    }
}

/// 团队模式's pool on the 写卡 page: links generated for a store ahead of time, then tags written from
/// them (their sn is the store's serial, not the tag's UID; no WeChat call at the tap), with what is
/// left shown before and while writing.
#[tokio::test]
#[ignore = "end-to-end: run scripts/e2e.sh"]
async fn the_write_page_generates_a_pool_and_writes_a_tag_from_it() {
    Fake::reset_demo();
    let mut reader = rig();
    let dir = temp_data_dir("station-pool");
    seed(dir.path()).await;
    let app = App::launch(dir.path()).await;
    open_station(&app).await;
    choose_store(&app, "南山店").await;
    app.wait_text("[data-testid=station-pool-counts]", "可用 0 个")
        .await;
    assert_eq!(
        app.js(
            "return document.querySelector('[data-testid=station-from-pool]').classList.contains('n-switch--disabled')",
            vec![]
        )
        .await,
        serde_json::json!(true),
        "an empty pool cannot be chosen"
    );
    app.fill("[data-testid=station-pool-count] input", "2")
        .await;
    app.click("[data-testid=station-pool-generate]").await;
    // A pool's links are permanent too: confirmed once before the first.
    app.wait("[data-testid=link-confirm-dialog]").await;
    app.click("[data-testid=link-confirm]").await;
    app.wait_text("[data-testid=station-pool-made]", "2").await;
    app.wait_text("[data-testid=station-pool-counts]", "可用 2 个")
        .await;
    assert_eq!(Fake::generates_for("1001-000001"), 1);
    assert_eq!(Fake::generates_for("1001-000002"), 1);
    app.click("[data-testid=station-from-pool]").await;
    app.wait_text("[data-testid=station-pool-low]", "只剩 2 个")
        .await;
    app.screenshot("station-pool-zh-CN").await;
    start(&app).await;
    app.wait_text("[data-testid=station-pool-left]", "2").await;

    let uid = nth_uid(5_300);
    let hex = uid_hex(uid);
    reader.put(TagState::factory(VChip::Ntag215, uid));
    wait_counter(&app, "written", 1).await;
    app.wait_text("[data-testid=station-pool-left]", "1").await;
    app.screenshot("station-pool-written-zh-CN").await;
    use sqlx::Row;
    let claimed = db_rows(
        dir.path(),
        &format!("SELECT sn, openlink FROM link_pool WHERE claimed_uid = '{hex}'"),
    )
    .await;
    assert_eq!(claimed.len(), 1, "one pool link claimed by the tag");
    let (sn, link): (String, String) = (claimed[0].get("sn"), claimed[0].get("openlink"));
    assert_eq!(sn, "1001-000001");
    assert_eq!(
        message(&reader),
        Some(expected(&link)),
        "the tag holds its pooled link"
    );
    let attempt = db_rows(
        dir.path(),
        &format!("SELECT sn, scheme_source FROM station_attempts WHERE uid = '{hex}'"),
    )
    .await;
    assert_eq!(attempt[0].get::<String, _>("sn"), sn);
    assert_eq!(attempt[0].get::<String, _>("scheme_source"), "pool");
    assert_eq!(
        Fake::generates_for(&hex),
        0,
        "no link generated for the UID"
    );
    assert_eq!(
        Fake::generates_for(&sn),
        1,
        "the pooled link was made once, ahead of time"
    );
    app.switch_language("en-US").await;
    app.wait_text("[data-testid=station-pool-left]", "Links left: 1")
        .await;
    app.screenshot("station-pool-written-en-US").await;
    app.click("[data-testid=station-stop]").await;
    app.wait_text("[data-testid=station-pool-counts]", "1 free")
        .await;
    app.screenshot("station-pool-en-US").await;
    app.quit().await;
}

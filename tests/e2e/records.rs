//! 凭据 / 设备型号 / 门店与前台 through the real window, against the fake WeChat server that
//! `scripts/lib/e2e-inner.sh` runs: the first-run wizard (and the AppSecret found only in the keychain), the
//! connection errors with their remedies, CRUD of device models, stores and terminals, and the GBK CSV import
//! that writes nothing until every row is right. Screenshots of each state go to target/e2e-artifacts/records-*.

use std::path::{Path, PathBuf};
use std::time::Instant;

use tapstand_fake_wechat::{AppConfig, Control, DEMO_APPID, DEMO_MODEL_ID, DEMO_SECRET};

use crate::harness::{artifacts_dir, temp_data_dir, App, Fake};

/// Screenshots the current state in Chinese, then in English, and switches back to Chinese.
async fn shots(app: &App, name: &str) {
    app.screenshot(&format!("records-{name}-zh-CN")).await;
    app.switch_language("en-US").await;
    app.screenshot(&format!("records-{name}-en-US")).await;
    app.switch_language("zh-CN").await;
}

/// Launches on a fresh data directory and leaves the first-run wizard.
async fn launch_without_wizard(dir: &Path) -> App {
    let app = App::launch(dir).await;
    app.click("[data-testid=wizard-skip]").await;
    app.wait("[data-testid=credentials-empty]").await;
    app
}

fn row(testid: &str, key: &str) -> String {
    format!("[data-testid={testid}][data-key=\"{key}\"]")
}

/// Counts rows of a table in the app's database, opened read-only next to the running app.
async fn db_count(db: &Path, table: &str) -> i64 {
    use sqlx::ConnectOptions;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .read_only(true)
        .connect()
        .await
        .unwrap_or_else(|e| panic!("open {} read-only: {e}", db.display()));
    let sql: &'static str = match table {
        "stores" => "SELECT count(*) FROM stores",
        "terminals" => "SELECT count(*) FROM terminals",
        other => panic!("no such table {other}"),
    };
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

// ---- the secret is only in the keychain --------------------------------------------------------------

/// Every regular file under `root` (missing roots yield nothing).
fn files_under(root: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten() {
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() {
            files_under(&e.path(), out);
        } else if kind.is_file() {
            out.push(e.path());
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Where the app and its webview could have written anything: the data directory (SQLite file, -wal, -shm,
/// logs), and WebKitGTK's data and cache folders for the app's identifier (local storage, IndexedDB, caches).
fn places_to_search(data_dir: &Path) -> Vec<PathBuf> {
    let home = PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
    let data_home = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".local/share"));
    let cache_home = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".cache"));
    let mut places = vec![data_dir.to_path_buf()];
    for base in [
        data_home,
        home.join(".local/share"),
        cache_home,
        home.join(".cache"),
    ] {
        for name in ["cn.tapstand.app", "tapstand", "webkitgtk", "webkit2gtk"] {
            places.push(base.join(name));
        }
    }
    places.sort();
    places.dedup();
    places
}

/// Searches every file of `places` for `secret` (as UTF-8 and as UTF-16, which WebKit's storage uses).
/// Returns the files searched; panics naming any file that holds it.
fn assert_secret_nowhere(secret: &str, places: &[PathBuf]) -> Vec<PathBuf> {
    let utf8 = secret.as_bytes().to_vec();
    let utf16: Vec<u8> = secret
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let mut files = vec![];
    for p in places {
        files_under(p, &mut files);
    }
    let holders: Vec<&PathBuf> = files
        .iter()
        .filter(|f| {
            std::fs::read(f).is_ok_and(|bytes| contains(&bytes, &utf8) || contains(&bytes, &utf16))
        })
        .collect();
    assert!(holders.is_empty(), "the AppSecret was found in {holders:?}");
    files
}

#[tokio::test]
#[ignore = "end-to-end: run scripts/e2e.sh"]
async fn first_run_wizard_sets_up_everything_and_the_secret_stays_in_the_keychain() {
    Fake::reset_demo();
    let dir = temp_data_dir("wizard");
    let app = App::launch(dir.path()).await;

    // 1. 小程序: errors show next to the fields they concern.
    app.wait("[data-testid=wizard-step-profile]").await;
    shots(&app, "wizard-1-profile").await;
    app.fill("[data-testid=profile-name]", "").await;
    app.fill("[data-testid=profile-query]", "store={门店}")
        .await;
    app.click("[data-testid=profile-save]").await;
    app.wait_text("[data-testid=profile-name-feedback]", "名称")
        .await;
    app.wait_text("[data-testid=profile-appid-feedback]", "AppID")
        .await;
    app.wait_text("[data-testid=profile-query-feedback]", "{门店}")
        .await;
    app.wait_attr("[data-testid=profile-name-item]", "data-status", "error")
        .await;
    shots(&app, "wizard-1-profile-errors").await;
    app.fill("[data-testid=profile-name]", "会员中心").await;
    app.fill("[data-testid=profile-appid]", DEMO_APPID).await;
    app.click("[data-testid=profile-env-release]").await;
    app.fill("[data-testid=profile-page-path]", "pages/member/card")
        .await;
    app.fill("[data-testid=profile-query]", "").await;
    app.click("[data-testid=profile-ph-org_code]").await;
    app.click("[data-testid=profile-ph-sn]").await;
    let query = app
        .js(
            "return document.querySelector('[data-testid=profile-query] input').value",
            vec![],
        )
        .await;
    assert_eq!(
        query, "org_code={org_code}{sn}",
        "placeholders are inserted"
    );
    app.fill("[data-testid=profile-query]", "store={org_code}&sn={sn}")
        .await;
    app.click("[data-testid=profile-save]").await;

    // 2. 密钥: a password field, then only a masked placeholder.
    app.wait("[data-testid=wizard-step-secret]").await;
    assert!(
        !app.enabled("[data-testid=wizard-next]").await,
        "no secret, no next step"
    );
    let kind = app
        .js(
            "return document.querySelector('[data-testid=secret-input] input').type",
            vec![],
        )
        .await;
    assert_eq!(kind, "password");
    shots(&app, "wizard-2-secret").await;
    app.fill("[data-testid=secret-input]", DEMO_SECRET).await;
    app.click("[data-testid=secret-save]").await;
    app.wait("[data-testid=secret-masked]").await;
    assert!(!app.exists("[data-testid=secret-input]").await);
    let page = app.driver.source().await.unwrap();
    assert!(
        !page.contains(DEMO_SECRET),
        "the page no longer holds the secret"
    );
    shots(&app, "wizard-2-secret-saved").await;
    app.click("[data-testid=wizard-next]").await;

    // 3. 测试连接 against the fake.
    app.wait("[data-testid=wizard-step-test]").await;
    app.click("[data-testid=connection-test]").await;
    app.wait_text("[data-testid=connection-ok]", DEMO_APPID)
        .await;
    shots(&app, "wizard-3-connected").await;
    app.click("[data-testid=wizard-next]").await;

    // 4. 设备 model_id.
    app.wait("[data-testid=wizard-step-model]").await;
    shots(&app, "wizard-4-model").await;
    app.fill("[data-testid=wizard-model-id]", DEMO_MODEL_ID)
        .await;
    app.click("[data-testid=wizard-model-save]").await;
    let done = app
        .wait_text("[data-testid=wizard-done]", DEMO_MODEL_ID)
        .await;
    assert!(done.contains(DEMO_APPID), "{done}");
    shots(&app, "wizard-5-done").await;

    // It lands in the normal screens.
    app.click("[data-testid=wizard-close]").await;
    app.wait("[data-testid=profile-card]").await;
    app.wait("[data-testid=secret-masked]").await;
    app.wait(&format!("[data-testid=profile-tab-{DEMO_APPID}]"))
        .await;
    shots(&app, "credentials").await;
    app.click("[data-testid=nav-models]").await;
    app.wait_attr(&row("model-row", "ZHS-NTAG216"), "data-status", "approved")
        .await;
    app.wait_text(
        &format!(
            "{} [data-testid=model-cell-id]",
            row("model-row", "ZHS-NTAG216")
        ),
        DEMO_MODEL_ID,
    )
    .await;

    // The secret is in the OS keychain...
    let out = std::process::Command::new("secret-tool")
        .args(["lookup", "service", "cn.tapstand.app", "username"])
        .arg(format!("appsecret:{DEMO_APPID}"))
        .output()
        .expect("secret-tool (libsecret-tools) is installed by scripts/setup.sh");
    assert!(out.status.success(), "secret-tool lookup failed: {out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), DEMO_SECRET);

    // ...and nowhere else: not in the database, its WAL, the logs, nor the webview's storage, neither while
    // the app runs (the WAL is still there) nor after it quit.
    let places = places_to_search(dir.path());
    let db = dir.path().join("tapstand.db");
    let wal = dir.path().join("tapstand.db-wal");
    let searched = assert_secret_nowhere(DEMO_SECRET, &places);
    assert!(
        searched.contains(&db),
        "the database was searched: {searched:?}"
    );
    assert!(
        searched.contains(&wal),
        "the WAL was searched while the app ran: {searched:?}"
    );
    assert!(
        searched
            .iter()
            .any(|f| f.starts_with(dir.path().join("logs"))),
        "the logs were searched: {searched:?}"
    );
    app.quit().await;
    let searched_after = assert_secret_nowhere(DEMO_SECRET, &places);
    let webview: Vec<_> = searched_after
        .iter()
        .filter(|f| !f.starts_with(dir.path()))
        .collect();
    eprintln!(
        "searched {} files ({} outside the data dir, e.g. {:?}) in {places:?}",
        searched_after.len(),
        webview.len(),
        webview.iter().take(5).collect::<Vec<_>>()
    );
    assert!(
        !webview.is_empty(),
        "the webview's own folders were found and searched"
    );
}

// ---- connection errors --------------------------------------------------------------------------------

const APPID_B: &str = "wx0b1c2d3e4f506172";
const SECRET_B: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";

fn app_b(whitelist_enabled: bool, whitelist: &[&str]) -> Control {
    Control::UpsertApp(AppConfig {
        appid: APPID_B.into(),
        secret: SECRET_B.into(),
        whitelist_enabled,
        whitelist: whitelist.iter().map(|s| s.to_string()).collect(),
        ..AppConfig::default()
    })
}

#[tokio::test]
#[ignore = "end-to-end: run scripts/e2e.sh"]
async fn connection_errors_show_what_to_do() {
    Fake::reset_demo();
    Fake::control(&app_b(false, &[]));
    let dir = temp_data_dir("connection");
    let app = launch_without_wizard(dir.path()).await;
    shots(&app, "credentials-empty").await;

    app.click("[data-testid=credentials-add-empty]").await;
    app.fill("[data-testid=profile-name]", "门店端小程序").await;
    app.fill("[data-testid=profile-appid]", APPID_B).await;
    app.click("[data-testid=profile-save]").await;
    app.wait("[data-testid=secret-card]").await;

    // A wrong secret: 40125 and how to fix it.
    app.fill(
        "[data-testid=secret-input]",
        "ffffffffffffffffffffffffffffffff",
    )
    .await;
    app.click("[data-testid=secret-save]").await;
    app.wait("[data-testid=secret-masked]").await;
    app.click("[data-testid=connection-test]").await;
    app.wait_attr(
        "[data-testid=connection-error]",
        "data-code",
        "wechat.token.wrong_secret",
    )
    .await;
    let remedy = app
        .text("[data-testid=connection-error] [data-testid=user-error-remedy]")
        .await;
    assert!(
        remedy.contains("重置") && remedy.contains("AppSecret"),
        "{remedy}"
    );
    shots(&app, "connection-wrong-secret").await;

    // Replace it with the right one; now the IP whitelist refuses this computer: 40164 with the IP.
    Fake::control(&app_b(true, &["198.51.100.0/24"]));
    app.click("[data-testid=secret-replace]").await;
    app.fill("[data-testid=secret-input]", SECRET_B).await;
    app.click("[data-testid=secret-save]").await;
    app.wait("[data-testid=secret-masked]").await;
    app.click("[data-testid=connection-test]").await;
    app.wait_attr(
        "[data-testid=connection-error]",
        "data-code",
        "wechat.token.ip_not_whitelisted",
    )
    .await;
    let remedy = app
        .text("[data-testid=connection-error] [data-testid=user-error-remedy]")
        .await;
    assert!(
        remedy.contains("203.0.113.7"),
        "the IP to whitelist: {remedy}"
    );
    shots(&app, "connection-ip-whitelist").await;
    app.switch_language("en-US").await;
    let remedy = app
        .text("[data-testid=connection-error] [data-testid=user-error-remedy]")
        .await;
    assert!(
        remedy.contains("203.0.113.7") && remedy.to_lowercase().contains("whitelist"),
        "{remedy}"
    );
    app.switch_language("zh-CN").await;

    // The merchant adds the IP: connected.
    Fake::control(&app_b(true, &["203.0.113.7"]));
    app.click("[data-testid=connection-test]").await;
    app.wait_text("[data-testid=connection-ok]", APPID_B).await;

    // Remove the secret: back to the password field; no secret, no test.
    app.click("[data-testid=secret-remove]").await;
    app.click("[data-testid=secret-remove-confirm]").await;
    app.wait("[data-testid=secret-input]").await;
    assert!(!app.enabled("[data-testid=connection-test]").await);
    let out = std::process::Command::new("secret-tool")
        .args(["lookup", "service", "cn.tapstand.app", "username"])
        .arg(format!("appsecret:{APPID_B}"))
        .output()
        .unwrap();
    assert!(out.stdout.is_empty(), "removed from the keychain");
    app.quit().await;
    Fake::reset_demo();
}

// ---- CRUD -----------------------------------------------------------------------------------------------

#[tokio::test]
#[ignore = "end-to-end: run scripts/e2e.sh"]
async fn device_models_follow_the_wechat_workflow() {
    let dir = temp_data_dir("models");
    let app = launch_without_wizard(dir.path()).await;
    app.click("[data-testid=nav-models]").await;
    app.wait("[data-testid=models-empty]").await;
    app.wait("[data-testid=helper-field-brand_zh]").await;
    let brand = app.text("[data-testid=helper-field-brand_zh]").await;
    assert!(
        brand.contains("正宏盛") && brand.contains("3/64"),
        "{brand}"
    );
    let reason = app.text("[data-testid=helper-field-reason]").await;
    assert!(reason.contains("48/600"), "{reason}");
    shots(&app, "models-empty").await;

    // The counter follows what is typed, in characters (as WeChat's form counts them).
    app.fill("[data-testid=helper-model]", "ZHS-NTAG216-蓝")
        .await;
    app.wait_text(
        "[data-testid=helper-field-model] [data-testid=helper-count]",
        "13/64",
    )
    .await;
    app.fill("[data-testid=helper-model]", "ZHS-NTAG216").await;
    app.wait_text(
        "[data-testid=helper-field-model] [data-testid=helper-count]",
        "11/64",
    )
    .await;
    // "型号已经存在": a variant, with the counter following it.
    app.click("[data-testid=helper-exists]").await;
    app.click("[data-testid=helper-variant-ZHS-NTAG216-A]")
        .await;
    app.wait_text(
        "[data-testid=helper-field-model] [data-testid=helper-count]",
        "13/64",
    )
    .await;
    app.wait_text("[data-testid=helper-field-model]", "ZHS-NTAG216-A")
        .await;
    shots(&app, "models-helper-variants").await;
    app.js(
        "document.querySelector('[data-testid=helper-field-reason]').scrollIntoView({ block: 'end' }); return true;",
        vec![],
    )
    .await;
    shots(&app, "models-helper-capability").await;

    // Record it and move it along the workflow.
    app.click("[data-testid=helper-use]").await;
    app.wait("[data-testid=model-form]").await;
    let name = app
        .js(
            "return document.querySelector('[data-testid=model-name] input').value",
            vec![],
        )
        .await;
    assert_eq!(name, "ZHS-NTAG216-A");
    app.click("[data-testid=model-save]").await;
    let a = row("model-row", "ZHS-NTAG216-A");
    app.wait_attr(&a, "data-status", "registering").await;
    for next in ["registered", "applying"] {
        app.click(&format!("{a} [data-testid=model-next]")).await;
        app.wait("[data-testid=status-form]").await;
        app.click("[data-testid=status-save]").await;
        app.wait_attr(&a, "data-status", next).await;
        app.wait_gone("[data-testid=status-form]").await;
    }
    // 能力已通过 needs the model_id: said next to the field.
    app.click(&format!("{a} [data-testid=model-next]")).await;
    app.wait("[data-testid=status-form]").await;
    app.click("[data-testid=status-save]").await;
    app.wait_text("[data-testid=status-model-id-feedback]", "model_id")
        .await;
    shots(&app, "models-status-needs-model-id").await;
    app.fill("[data-testid=status-model-id]", DEMO_MODEL_ID)
        .await;
    app.click("[data-testid=status-save]").await;
    app.wait_attr(&a, "data-status", "approved").await;
    app.wait_text(&format!("{a} [data-testid=model-cell-id]"), DEMO_MODEL_ID)
        .await;

    // A rejected one needs its reason.
    app.click("[data-testid=models-add]").await;
    app.fill("[data-testid=model-name]", "ZHS-NTAG213").await;
    app.click("[data-testid=model-status-rejected]").await;
    app.click("[data-testid=model-save]").await;
    app.wait_text("[data-testid=model-reject-reason-feedback]", "驳回原因")
        .await;
    app.fill("[data-testid=model-reject-reason]", "产品图片不符合要求")
        .await;
    app.click("[data-testid=model-save]").await;
    let b = row("model-row", "ZHS-NTAG213");
    app.wait_attr(&b, "data-status", "rejected").await;
    app.wait_text(&format!("{b} [data-testid=model-reject]"), "产品图片")
        .await;
    shots(&app, "models-list").await;

    // Editing to 一型一码 saves with a warning shown next to the link type.
    app.click(&format!("{b} [data-testid=model-edit]")).await;
    app.click("[data-testid=model-link-per_model]").await;
    app.click("[data-testid=model-save]").await;
    app.wait_attr(
        "[data-testid=model-link-feedback]",
        "data-status",
        "warning",
    )
    .await;
    shots(&app, "models-link-warning").await;
    app.click("[data-testid=model-done]").await;
    app.wait_text(&b, "一型一码").await;

    // Delete.
    app.click(&format!("{b} [data-testid=model-delete]")).await;
    app.click("[data-testid=confirm-delete]").await;
    app.wait_gone(&b).await;
    assert!(app.exists(&a).await);
    app.quit().await;
}

#[tokio::test]
#[ignore = "end-to-end: run scripts/e2e.sh"]
async fn stores_and_terminals_crud_with_archive_when_still_in_use() {
    let dir = temp_data_dir("stores");
    let app = launch_without_wizard(dir.path()).await;
    app.click("[data-testid=nav-stores]").await;
    app.wait("[data-testid=stores-empty]").await;
    shots(&app, "stores-empty").await;

    // Required fields, said next to them.
    app.click("[data-testid=stores-add]").await;
    app.click("[data-testid=store-save]").await;
    app.wait_text("[data-testid=store-org-code-feedback]", "机构编号")
        .await;
    app.wait_text("[data-testid=store-name-feedback]", "门店名称")
        .await;
    shots(&app, "store-form-errors").await;
    app.fill("[data-testid=store-org-code]", "1001").await;
    app.fill("[data-testid=store-name]", "人民路店").await;
    app.fill("[data-testid=store-company]", "晋业餐饮").await;
    app.fill("[data-testid=store-address]", "人民路 1 号").await;
    app.click("[data-testid=store-save]").await;
    app.wait(&row("store-row", "1001")).await;

    app.click("[data-testid=stores-add]").await;
    app.fill("[data-testid=store-org-code]", "1002").await;
    app.fill("[data-testid=store-name]", "解放路店").await;
    app.click("[data-testid=store-save]").await;
    app.wait(&row("store-row", "1002")).await;

    // A duplicate 机构编号 is refused at the field.
    app.click("[data-testid=stores-add]").await;
    app.fill("[data-testid=store-org-code]", "1001").await;
    app.fill("[data-testid=store-name]", "重复店").await;
    app.click("[data-testid=store-save]").await;
    app.wait_text("[data-testid=store-org-code-feedback]", "已经存在")
        .await;
    app.click("[data-testid=store-cancel]").await;
    app.wait_gone("[data-testid=store-form]").await;

    // Edit, search.
    app.click(&format!(
        "{} [data-testid=store-edit]",
        row("store-row", "1002")
    ))
    .await;
    app.fill("[data-testid=store-name]", "解放路旗舰店").await;
    app.click("[data-testid=store-save]").await;
    app.wait_text(&row("store-row", "1002"), "解放路旗舰店")
        .await;
    app.fill("[data-testid=stores-search]", "旗舰").await;
    app.wait_gone(&row("store-row", "1001")).await;
    app.wait_text("[data-testid=stores-count]", "找到 1 ").await;
    app.fill("[data-testid=stores-search]", "").await;
    app.wait(&row("store-row", "1001")).await;
    shots(&app, "stores-list").await;

    // Terminals: one at 人民路店, one for every store.
    app.click("[data-testid=tab-terminals]").await;
    app.wait("[data-testid=terminals-empty]").await;
    shots(&app, "terminals-empty").await;
    app.click("[data-testid=terminals-add]").await;
    app.click("[data-testid=terminal-store]").await;
    app.click_xpath("//div[contains(@class,'n-base-select-option') and contains(., '人民路店')]")
        .await;
    app.fill("[data-testid=terminal-machine-no]", "1").await;
    app.fill("[data-testid=terminal-terminal-no]", "519181767")
        .await;
    app.fill("[data-testid=terminal-note]", "一号收银台").await;
    app.click("[data-testid=terminal-save]").await;
    let t1 = row("terminal-row", "519181767");
    app.wait_text(&t1, "人民路店").await;
    app.click("[data-testid=terminals-add]").await;
    app.fill("[data-testid=terminal-machine-no]", "2").await;
    app.fill("[data-testid=terminal-terminal-no]", "3719962736")
        .await;
    app.click("[data-testid=terminal-save]").await;
    let t2 = row("terminal-row", "3719962736");
    app.wait_text(&t2, "不区分门店").await;
    shots(&app, "terminals-list").await;

    // 人民路店 is used by a terminal: deleting is refused and archiving offered.
    app.click("[data-testid=tab-stores]").await;
    app.click(&format!(
        "{} [data-testid=store-delete]",
        row("store-row", "1001")
    ))
    .await;
    app.click("[data-testid=confirm-delete]").await;
    app.wait_text("[data-testid=in-use]", "归档").await;
    shots(&app, "store-in-use").await;
    app.click("[data-testid=in-use-archive]").await;
    app.wait_gone(&row("store-row", "1001")).await;
    app.click("[data-testid=stores-show-archived]").await;
    app.wait_attr(&row("store-row", "1001"), "data-archived", "true")
        .await;
    shots(&app, "stores-archived").await;
    app.click(&format!(
        "{} [data-testid=store-unarchive]",
        row("store-row", "1001")
    ))
    .await;
    app.wait_attr(&row("store-row", "1001"), "data-archived", "false")
        .await;
    app.click("[data-testid=stores-show-archived]").await;

    // 解放路旗舰店 is not used: deleted.
    app.click(&format!(
        "{} [data-testid=store-delete]",
        row("store-row", "1002")
    ))
    .await;
    app.click("[data-testid=confirm-delete]").await;
    app.wait_gone(&row("store-row", "1002")).await;

    // Terminals: archive one, delete the other.
    app.click("[data-testid=tab-terminals]").await;
    app.click(&format!("{t1} [data-testid=terminal-archive]"))
        .await;
    app.wait_gone(&t1).await;
    app.click(&format!("{t2} [data-testid=terminal-delete]"))
        .await;
    app.click("[data-testid=confirm-delete]").await;
    app.wait_gone(&t2).await;
    app.click("[data-testid=terminals-show-archived]").await;
    app.wait_attr(&t1, "data-archived", "true").await;
    app.quit().await;

    let db = dir.path().join("tapstand.db");
    assert_eq!(db_count(&db, "stores").await, 1);
    assert_eq!(db_count(&db, "terminals").await, 1);
}

// ---- CSV import -----------------------------------------------------------------------------------------

/// Writes `text` encoded as GBK, as Chinese Excel's "CSV (逗号分隔)" does.
fn write_gbk(path: &Path, text: &str) {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable, "the sample text fits GBK");
    assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
    std::fs::write(path, &bytes).unwrap();
}

const HEADER: &str = "机构编号,组织/公司,门店名称,地址\r\n";

#[tokio::test]
#[ignore = "end-to-end: run scripts/e2e.sh"]
async fn gbk_csv_import_shows_the_bad_row_and_writes_nothing_until_fixed() {
    let dir = temp_data_dir("import");
    let files = artifacts_dir().join("csv");
    std::fs::create_dir_all(&files).unwrap();
    let bad = files.join("门店-有错.csv");
    let good = files.join("门店.csv");
    write_gbk(
        &bad,
        &format!(
            "{HEADER}2001,晋业餐饮,人民路店,人民路1号\r\n2002,晋业餐饮,,解放路88号\r\n2003,晋业餐饮,中山路店,中山路5号\r\n"
        ),
    );
    write_gbk(
        &good,
        &format!(
            "{HEADER}2001,晋业餐饮,人民路店,人民路1号\r\n2002,晋业餐饮,解放路店,解放路88号\r\n2003,晋业餐饮,中山路店,中山路5号\r\n"
        ),
    );
    let app = launch_without_wizard(dir.path()).await;
    app.click("[data-testid=nav-stores]").await;
    app.wait("[data-testid=stores-empty]").await;

    app.click("[data-testid=stores-import]").await;
    app.wait("[data-testid=import-header-example]").await;
    shots(&app, "import-pick").await;
    app.choose_file("[data-testid=import-file]", &bad).await;
    app.wait_attr("[data-testid=import-encoding]", "data-encoding", "gb18030")
        .await;
    app.wait_text("[data-testid=import-invalid-count]", "1")
        .await;
    let bad_row = "[data-testid=import-row][data-action=invalid]";
    assert_eq!(app.count(bad_row).await, 1);
    app.wait_attr(bad_row, "data-line", "3").await;
    app.wait_text(
        &format!("{bad_row} [data-testid=import-row-error]"),
        "门店名称",
    )
    .await;
    app.wait_text("[data-testid=import-row][data-line=\"2\"]", "人民路店")
        .await;
    assert!(
        !app.enabled("[data-testid=import-commit]").await,
        "import is refused"
    );
    app.wait("[data-testid=import-blocked]").await;
    shots(&app, "import-preview-error").await;

    // Nothing was written: not in the list, not in the database.
    app.click("[data-testid=import-cancel]").await;
    app.wait_gone("[data-testid=import-table]").await;
    app.wait("[data-testid=stores-empty]").await;
    let db = dir.path().join("tapstand.db");
    assert_eq!(db_count(&db, "stores").await, 0);

    // The fixed file imports.
    app.click("[data-testid=stores-import]").await;
    app.choose_file("[data-testid=import-file]", &good).await;
    app.wait_text("[data-testid=import-counts]", "3").await;
    app.wait_text("[data-testid=import-invalid-count]", "0")
        .await;
    assert!(app.enabled("[data-testid=import-commit]").await);
    shots(&app, "import-preview-ok").await;
    app.click("[data-testid=import-commit]").await;
    app.wait_text("[data-testid=import-result]", "3").await;
    shots(&app, "import-done").await;
    app.click("[data-testid=import-close]").await;
    app.wait_text(&row("store-row", "2002"), "解放路店").await;
    assert_eq!(app.count("[data-testid=store-row]").await, 3);
    assert_eq!(db_count(&db, "stores").await, 3);
    app.quit().await;
}

#[tokio::test]
#[ignore = "end-to-end: run scripts/e2e.sh"]
async fn ten_thousand_stores_import_and_scroll_virtually() {
    let dir = temp_data_dir("many");
    let path = artifacts_dir().join("csv").join("门店-10000.csv");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut text = String::from(HEADER);
    for i in 1..=10_000 {
        text.push_str(&format!(
            "{i},晋业餐饮连锁有限公司,第{i}号门店,某某市某某区人民路{i}号\r\n"
        ));
    }
    write_gbk(&path, &text);

    let app = launch_without_wizard(dir.path()).await;
    app.click("[data-testid=nav-stores]").await;
    app.wait("[data-testid=stores-empty]").await;
    app.click("[data-testid=stores-import]").await;
    let started = Instant::now();
    app.choose_file("[data-testid=import-file]", &path).await;
    app.wait_text("[data-testid=import-counts]", "10000").await;
    let preview = started.elapsed();
    // The preview table scrolls virtually too.
    assert!(app.count("[data-testid=import-row]").await < 100);
    let started = Instant::now();
    app.click("[data-testid=import-commit]").await;
    app.wait_text("[data-testid=import-result]", "10000").await;
    let commit = started.elapsed();
    app.click("[data-testid=import-close]").await;
    let started = Instant::now();
    app.wait_text("[data-testid=stores-count]", "10000").await;
    app.wait(&row("store-row", "1")).await;
    let listed = started.elapsed();
    let rendered = app.count("[data-testid=store-row]").await;
    assert!(
        rendered < 100,
        "only the visible rows are rendered, not {rendered}"
    );

    // Scroll to the end: the last store appears, inside the table's visible area, without rendering the others.
    let started = Instant::now();
    let to_end = "const el = document.querySelector('[data-testid=stores-table] .v-vl'); el.scrollTop = el.scrollHeight; return true;";
    app.js(to_end, vec![]).await;
    app.wait(&row("store-row", "10000")).await;
    let scrolled = started.elapsed();
    let visible = app
        .js(
            r#"const vl = document.querySelector('[data-testid=stores-table] .v-vl').getBoundingClientRect();
               const last = document.querySelector('[data-testid=store-row][data-key="10000"]').getBoundingClientRect();
               return last.top >= vl.top - 1 && last.bottom <= vl.bottom + 1;"#,
            vec![],
        )
        .await;
    assert_eq!(
        visible,
        serde_json::json!(true),
        "the last store is visible at the end of the list"
    );
    assert!(app.count("[data-testid=store-row]").await < 100);
    shots(&app, "stores-10000").await;

    let started = Instant::now();
    app.fill("[data-testid=stores-search]", "第9999号").await;
    app.wait_text("[data-testid=stores-count]", "找到 1 ").await;
    let searched = started.elapsed();
    eprintln!(
        "10,000 stores through the UI: preview {preview:?}, commit {commit:?}, list {listed:?}, scroll to end {scrolled:?}, search {searched:?} (WebDriver round trips included)"
    );
    assert!(
        scrolled.as_secs_f64() < 2.0,
        "scrolling stays responsive: {scrolled:?}"
    );
    app.quit().await;
}

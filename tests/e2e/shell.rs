//! The app shell: every area in both languages, Settings, the language choice surviving a restart, and a
//! damaged database refused with a clear message.

use crate::harness::{temp_data_dir, App, AREAS, LANGS};

#[tokio::test]
#[ignore = "end-to-end: run scripts/e2e.sh"]
async fn every_area_in_both_languages() {
    let dir = temp_data_dir("areas");
    let app = App::launch(dir.path()).await;
    assert_eq!(
        app.html_lang().await,
        "zh-CN",
        "Chinese is the default language"
    );
    for lang in LANGS {
        app.switch_language(lang).await;
        for area in AREAS {
            app.click(&format!("[data-testid=nav-{area}]")).await;
            let view = app.wait(&format!("[data-testid=view-{area}]")).await;
            let text = view.text().await.unwrap();
            assert!(!text.trim().is_empty(), "{area} shows nothing in {lang}");
            let has_cjk = text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
            if lang == "zh-CN" {
                assert!(has_cjk, "{area} has no Chinese text in zh-CN: {text:?}");
            }
            app.screenshot(&format!("shell-{area}-{lang}")).await;
        }
    }
    app.quit().await;
}

#[tokio::test]
#[ignore = "end-to-end: run scripts/e2e.sh"]
async fn settings_show_the_real_paths_and_the_language_survives_a_restart() {
    let dir = temp_data_dir("settings");
    let app = App::launch(dir.path()).await;
    app.click("[data-testid=nav-settings]").await;
    let db_path = dir.path().join("tapstand.db");
    app.wait_text("[data-testid=settings-db-path]", db_path.to_str().unwrap())
        .await;
    app.wait_text(
        "[data-testid=settings-log-dir]",
        dir.path().join("logs").to_str().unwrap(),
    )
    .await;
    app.wait_text("[data-testid=settings-version]", env!("CARGO_PKG_VERSION"))
        .await;
    // A build without an update key (every test build) says that updates are off, and why.
    app.wait_text("[data-testid=update-current]", env!("CARGO_PKG_VERSION"))
        .await;
    app.wait_text("[data-testid=update-disabled]", "没有配置更新签名公钥")
        .await;
    let migrations = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/tapstand-store/migrations"
    ))
    .unwrap()
    .filter(|e| {
        e.as_ref()
            .unwrap()
            .path()
            .extension()
            .is_some_and(|x| x == "sql")
    })
    .count();
    app.wait_text(
        "[data-testid=settings-schema-version]",
        &migrations.to_string(),
    )
    .await;
    app.click("[data-testid=doctor-run]").await;
    app.wait_text("[data-testid=doctor-result]", "tapstand.db")
        .await;
    app.switch_language("en-US").await;
    app.screenshot("settings-en-US").await;
    app.quit().await;

    assert!(
        db_path.exists(),
        "the database is created in the chosen data directory"
    );
    let app = App::launch(dir.path()).await;
    assert_eq!(
        app.html_lang().await,
        "en-US",
        "the language choice is kept"
    );
    app.quit().await;
}

#[tokio::test]
#[ignore = "end-to-end: run scripts/e2e.sh"]
async fn a_damaged_database_is_refused_with_a_remedy_and_left_untouched() {
    let dir = temp_data_dir("damaged");
    let db_path = dir.path().join("tapstand.db");
    let junk = "门店名称,机构编号\n这不是数据库\n".repeat(100);
    std::fs::write(&db_path, &junk).unwrap();
    let app = App::launch(dir.path()).await;
    let text = app.wait_text("[data-testid=startup-error]", "数据").await;
    assert!(
        text.contains("Tapstand"),
        "the message names the problem: {text}"
    );
    app.screenshot("startup-error-zh-CN").await;
    app.quit().await;
    assert_eq!(
        std::fs::read_to_string(&db_path).unwrap(),
        junk,
        "the file was not changed"
    );
}

//! Excel in and out through the real window: a store list from an `.xlsx` made by openpyxl (another
//! program; `crates/tapstand-records/tests/openpyxl/make.py`) whose lost codes are flagged in the preview,
//! nothing written, the fixed workbook imported; and the tag register exported from 记录 to an `.xlsx`
//! read back by openpyxl. Screenshots go to target/e2e-artifacts/excel-*.

use std::path::{Path, PathBuf};
use std::process::Command;

use tapstand_store::station::StationAttempt;
use tapstand_store::Db;

use crate::harness::{artifacts_dir, temp_data_dir, App};

async fn shots(app: &App, name: &str) {
    app.screenshot(&format!("excel-{name}-zh-CN")).await;
    app.switch_language("en-US").await;
    app.screenshot(&format!("excel-{name}-en-US")).await;
    app.switch_language("zh-CN").await;
}

fn openpyxl(script: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/tapstand-records/tests/openpyxl")
        .join(script)
}

fn make(case: &str, out: &Path) {
    let st = Command::new("python3")
        .arg(openpyxl("make.py"))
        .arg(case)
        .arg(out)
        .status()
        .unwrap();
    assert!(st.success(), "make.py {case}");
}

async fn launch_without_wizard(dir: &Path) -> App {
    let app = App::launch(dir).await;
    app.click("[data-testid=wizard-skip]").await;
    app.wait("[data-testid=credentials-empty]").await;
    app
}

async fn stores_in(db: &Path) -> i64 {
    use sqlx::ConnectOptions;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .read_only(true)
        .connect()
        .await
        .unwrap();
    sqlx::query_scalar::<_, i64>("SELECT count(*) FROM stores")
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
#[ignore = "end-to-end: run scripts/e2e.sh"]
async fn xlsx_import_flags_lost_codes_then_the_fixed_workbook_imports() {
    let dir = temp_data_dir("xlsx-import");
    let files = artifacts_dir().join("xlsx");
    std::fs::create_dir_all(&files).unwrap();
    let bad = files.join("门店-有错.xlsx");
    let good = files.join("门店.xlsx");
    make("damaged", &bad);
    make("fixed", &good);

    let app = launch_without_wizard(dir.path()).await;
    app.click("[data-testid=nav-stores]").await;
    app.wait("[data-testid=stores-empty]").await;
    app.click("[data-testid=stores-import]").await;
    app.wait("[data-testid=import-header-example]").await;
    app.choose_file("[data-testid=import-file]", &bad).await;
    app.wait_attr("[data-testid=import-encoding]", "data-encoding", "xlsx")
        .await;
    app.wait_text("[data-testid=import-sheet-name]", "门店")
        .await;
    app.wait_text("[data-testid=import-invalid-count]", "4")
        .await;
    let lost = "[data-testid=import-row][data-line=\"3\"]";
    app.wait_attr(lost, "data-action", "invalid").await;
    app.wait_text(
        &format!("{lost} [data-testid=import-row-error]"),
        "开头的 0",
    )
    .await;
    app.wait_attr(
        "[data-testid=import-row][data-line=\"2\"]",
        "data-action",
        "new",
    )
    .await;
    assert!(!app.enabled("[data-testid=import-commit]").await);
    shots(&app, "import-flagged").await;
    app.click("[data-testid=import-cancel]").await;
    app.wait("[data-testid=stores-empty]").await;
    let db = dir.path().join("tapstand.db");
    assert_eq!(stores_in(&db).await, 0, "nothing written");

    app.click("[data-testid=stores-import]").await;
    app.choose_file("[data-testid=import-file]", &good).await;
    app.wait_text("[data-testid=import-counts]", "6").await;
    app.wait_text("[data-testid=import-invalid-count]", "0")
        .await;
    app.wait_text("[data-testid=import-row][data-line=\"3\"]", "0018")
        .await;
    shots(&app, "import-fixed").await;
    app.click("[data-testid=import-commit]").await;
    app.wait_text("[data-testid=import-result]", "6").await;
    app.click("[data-testid=import-close]").await;
    app.wait("[data-testid=store-row][data-key=\"0018\"]").await;
    assert_eq!(stores_in(&db).await, 6);
    app.quit().await;
}

#[tokio::test]
#[ignore = "end-to-end: run scripts/e2e.sh"]
async fn tag_register_exports_from_the_history_page() {
    let dir = temp_data_dir("tag-register");
    {
        // Two tags the station recorded earlier (the database as the app leaves it).
        let db = Db::open(&dir.path().join("tapstand.db")).await.unwrap();
        for (i, uid) in ["04A1B2C3D4E5F6", "0400000000AB01"].iter().enumerate() {
            let a = StationAttempt {
                started_at: 1_795_140_000_000 + i as i64 * 60_000,
                uid: uid.to_string(),
                chip: "ntag215".into(),
                model_id: "5utC432sD0LvHu6ial0u_g".into(),
                sn: uid.to_string(),
                openlink: Some(format!("weixin://dl/business/?t={uid}")),
                target: "all".into(),
                target_label: "不区分门店".into(),
                operator: "小王".into(),
                result: "written".into(),
                ..Default::default()
            };
            db.station_insert_attempt(&a).await.unwrap();
            db.station_upsert_tag(&a).await.unwrap();
        }
        db.close().await;
    }
    let save_dir =
        PathBuf::from(std::env::var_os("TAPSTAND_E2E_SAVE_DIR").expect(
            "TAPSTAND_E2E_SAVE_DIR is not set: run the end-to-end tests with scripts/e2e.sh",
        ));
    let app = launch_without_wizard(dir.path()).await;
    app.click("[data-testid=nav-history]").await;
    app.wait_text("[data-testid=history-totals]", "2").await;
    app.click("[data-testid=history-export-tags]").await;
    // The page saves under the name the dialog would have proposed: 标签台账-YYYYMMDD.xlsx.
    let path = loop {
        let found = std::fs::read_dir(&save_dir).ok().and_then(|d| {
            d.flatten().map(|e| e.path()).find(|p| {
                let n = p.file_name().unwrap().to_string_lossy().to_string();
                n.starts_with("标签台账-") && n.ends_with(".xlsx")
            })
        });
        if let Some(p) = found {
            break p;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    shots(&app, "tags-exported").await;
    let out = Command::new("python3")
        .arg(openpyxl("read.py"))
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wb: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ws = &wb[0];
    assert_eq!(ws["freeze"], "A2");
    assert_eq!(ws["rows"][0][2]["v"], "原厂芯片");
    let uids: Vec<&str> = (1..3)
        .map(|r| ws["rows"][r][0]["v"].as_str().unwrap())
        .collect();
    assert_eq!(uids, ["04A1B2C3D4E5F6", "0400000000AB01"]);
    assert_eq!(ws["rows"][1][0]["t"], "s");
    std::fs::remove_file(&path).unwrap();
    app.quit().await;
}

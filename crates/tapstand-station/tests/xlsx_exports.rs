//! The history and the tag register as `.xlsx` on a real SQLite file, read back by openpyxl (another
//! program: `crates/tapstand-records/tests/openpyxl/read.py`), not by our own reader: text cells for UIDs
//! and codes, China time, a frozen header, the autofilter, Chinese or English headers, defused formulas.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use tapstand_store::station::{HistoryFilter, StationAttempt};
use tapstand_store::Db;

/// 2026-11-20 10:00 China time.
const AT: i64 = 1_795_140_000_000;

fn read_back(path: &Path) -> Value {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tapstand-records/tests/openpyxl/read.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(path)
        .output()
        .expect("python3 with openpyxl (scripts/setup.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn attempt(uid: &str, target: &str, label: &str, at: i64, operator: &str) -> StationAttempt {
    StationAttempt {
        started_at: at,
        uid: uid.into(),
        chip: "ntag215".into(),
        model_id: "5utC432sD0LvHu6ial0u_g".into(),
        sn: uid.into(),
        openlink: Some(format!("weixin://dl/business/?t={uid}")),
        target: target.into(),
        target_label: label.into(),
        path: "pages/member/card".into(),
        operator: operator.into(),
        result: "written".into(),
        locked: true,
        total_ms: 412,
        ..Default::default()
    }
}

fn cells(ws: &Value, row: usize) -> Vec<Value> {
    ws["rows"][row].as_array().unwrap().clone()
}

#[tokio::test]
async fn tag_register_reads_back_in_openpyxl() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("tapstand.db")).await.unwrap();
    // Two tags; the first one written again an hour later (one row, first and last written differ).
    let a = attempt(
        "04A1B2C3D4E5F6",
        "store:1",
        "门店 000123 南山店",
        AT,
        "小王",
    );
    let a = StationAttempt {
        genuine: Some(true),
        ..a
    };
    db.station_upsert_tag(&a).await.unwrap();
    db.station_upsert_tag(&StationAttempt {
        started_at: AT + 3_600_000,
        ..a.clone()
    })
    .await
    .unwrap();
    let b = attempt(
        "0400000000AB01",
        "terminal:2",
        "前台 00000005",
        AT + 60_000,
        "=cmd|' /C calc'!A0",
    );
    db.station_upsert_tag(&b).await.unwrap();

    let path = dir.path().join("标签台账.xlsx");
    let n = tapstand_station::register::export_xlsx_file(&db, &path, false)
        .await
        .unwrap();
    assert_eq!(n, 2);
    let wb = read_back(&path);
    let ws = &wb[0];
    assert_eq!(ws["name"], "标签台账");
    assert_eq!(ws["freeze"], "A2");
    assert_eq!(ws["filter"], "A1:L3");
    let header: Vec<String> = cells(ws, 0)
        .iter()
        .map(|c| c["v"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        header,
        [
            "UID",
            "芯片",
            "原厂芯片",
            "目标类型",
            "目标",
            "model_id",
            "sn",
            "链接",
            "已锁定",
            "首次写入",
            "最近写入",
            "操作员"
        ]
    );
    let first = cells(ws, 1);
    let v = |i: usize| first[i]["v"].as_str().unwrap_or_default().to_string();
    assert_eq!(v(0), "04A1B2C3D4E5F6");
    assert_eq!(first[0]["t"], "s", "UID is a text cell");
    assert_eq!(v(1), "NTAG215");
    assert_eq!(v(2), "是", "an NXP original (chip_genuine = 1)");
    assert_eq!(v(3), "门店");
    assert_eq!(v(4), "门店 000123 南山店");
    assert_eq!(v(8), "是");
    assert_eq!(v(9), "2026-11-20 10:00:00", "China time");
    assert_eq!(v(10), "2026-11-20 11:00:00", "last written");
    let second = cells(ws, 2);
    assert_eq!(second[0]["v"], "0400000000AB01");
    assert_eq!(
        second[2]["v"], "无法检查",
        "not checkable (chip_genuine NULL)"
    );
    assert_eq!(second[3]["v"], "前台终端");
    assert_eq!(
        second[11]["v"], "'=cmd|' /C calc'!A0",
        "defused as in the CSVs"
    );
    assert!(
        ws["widths"]["H"].as_f64().unwrap() > 30.0,
        "link column is wide"
    );

    // English headers when the UI is English.
    let en = dir.path().join("tags.xlsx");
    tapstand_station::register::export_xlsx_file(&db, &en, true)
        .await
        .unwrap();
    let ws = &read_back(&en)[0];
    assert_eq!(ws["rows"][0][2]["v"], "Genuine NXP");
    assert_eq!(ws["rows"][1][3]["v"], "store");
}

#[tokio::test]
async fn history_xlsx_reads_back_in_openpyxl() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("tapstand.db")).await.unwrap();
    for i in 0..120i64 {
        db.station_insert_attempt(&attempt(
            &format!("04{i:012X}"),
            "store:1",
            "门店 000123 南山店",
            AT + i * 1000,
            "小王",
        ))
        .await
        .unwrap();
    }
    let path = dir.path().join("记录.xlsx");
    std::fs::write(&path, "old file").unwrap();
    let n = tapstand_station::history::export_file(&db, &HistoryFilter::default(), &path, false)
        .await
        .unwrap();
    assert_eq!(n, 120);
    let ws = &read_back(&path)[0];
    assert_eq!(ws["freeze"], "A2");
    assert_eq!(ws["filter"], "A1:R121");
    assert_eq!(ws["rows"][0][0]["v"], "时间");
    assert_eq!(
        ws["rows"][1][0]["v"], "2026-11-20 10:01:59",
        "newest first, China time"
    );
    assert_eq!(ws["rows"][1][2]["v"], "04000000000077");
    assert_eq!(ws["rows"][1][2]["t"], "s");
    assert_eq!(
        ws["rows"][1][4]["v"], "无法检查",
        "genuine column (not checked)"
    );
    assert_eq!(ws["rows"][1][17]["t"], "n", "milliseconds as a number");
    assert_eq!(ws["rows"].as_array().unwrap().len(), 121);

    // A .csv name writes CSV, as before.
    let csv = dir.path().join("记录.csv");
    tapstand_station::history::export_file(&db, &HistoryFilter::default(), &csv, false)
        .await
        .unwrap();
    assert!(std::fs::read(&csv).unwrap().starts_with(b"\xEF\xBB\xBF"));
}

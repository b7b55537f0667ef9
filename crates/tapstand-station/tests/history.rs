//! History filters, paging, totals and the CSV export on a real SQLite file.

use tapstand_station::history::{export_csv, page, CSV_HEADER};
use tapstand_store::station::{HistoryFilter, StationAttempt};
use tapstand_store::Db;

/// 2026-11-20 00:00 China time.
const DAY: i64 = 1_795_104_000_000;
const H: i64 = 3_600_000;

fn attempt(
    i: i64,
    at: i64,
    store: Option<i64>,
    terminal: Option<i64>,
    result: &str,
) -> StationAttempt {
    StationAttempt {
        started_at: at,
        uid: format!("04AA{:010X}", i % 7),
        chip: "ntag215".into(),
        model_id: "m1".into(),
        sn: format!("04AA{:010X}", i % 7),
        openlink: (result != "failed").then(|| format!("weixin://dl/business/?t=T{i:010}")),
        target: store.map(|s| format!("store:{s}")).unwrap_or("all".into()),
        target_label: match store {
            Some(1) => "门店 1001 南山店".into(),
            Some(2) => "门店 1002 福田店".into(),
            _ => "不区分门店".into(),
        },
        store_id: store,
        terminal_id: terminal,
        path: "pages/member/card".into(),
        query: "store=1001".into(),
        reader: "ACS ACR122U PICC Interface 00 00".into(),
        operator: if i == 3 {
            "=cmd|' /C calc'!A0".into()
        } else {
            "小王".into()
        },
        result: result.into(),
        error_code: (result == "failed").then(|| "tag.removed".into()),
        error_zh: (result == "failed").then(|| "标签被移开了，写入没有完成。".into()),
        total_ms: 300 + i,
        ..Default::default()
    }
}

#[tokio::test]
async fn filters_paging_totals_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("tapstand.db")).await.unwrap();
    // 30 attempts over three days: stores 1 and 2, a terminal of store 1, every result.
    let results = [
        "written",
        "already_correct",
        "failed",
        "needs_confirmation",
        "written",
    ];
    for i in 0..30i64 {
        let at = DAY + (i % 3 - 1) * 24 * H + i * 60_000;
        let (store, terminal) = match i % 3 {
            0 => (Some(1), None),
            1 => (Some(2), None),
            _ => (Some(1), Some(9)),
        };
        db.station_insert_attempt(&attempt(i, at, store, terminal, results[i as usize % 5]))
            .await
            .unwrap();
    }

    let all = page(&db, &HistoryFilter::default()).await.unwrap();
    assert_eq!((all.total, all.ok, all.failed), (30, 18, 12));
    assert_eq!(all.tags, 7);
    assert_eq!(all.rows.len(), 30);
    assert!(
        all.rows
            .windows(2)
            .all(|w| w[0].started_at >= w[1].started_at),
        "newest first"
    );

    // Paging: the same order, no overlap, totals of the whole filter on every page.
    let mut seen = Vec::new();
    for p in 0..4 {
        let pg = page(
            &db,
            &HistoryFilter {
                limit: Some(8),
                offset: Some(p * 8),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(pg.total, 30);
        assert_eq!(pg.rows.len(), if p < 3 { 8 } else { 6 });
        seen.extend(pg.rows.into_iter().map(|r| r.id));
    }
    assert_eq!(seen, all.rows.iter().map(|r| r.id).collect::<Vec<_>>());

    // Store, terminal, result, date range.
    let f = HistoryFilter {
        store_id: Some(1),
        result: Some("ok".into()),
        ..Default::default()
    };
    let pg = page(&db, &f).await.unwrap();
    assert!(pg.rows.iter().all(
        |r| r.store_id == Some(1) && matches!(r.result.as_str(), "written" | "already_correct")
    ));
    assert_eq!(pg.total, pg.rows.len() as i64);
    assert_eq!(pg.failed, 0);
    let expected = (0..30)
        .filter(|i| i % 3 != 1 && matches!(results[*i as usize % 5], "written" | "already_correct"))
        .count() as i64;
    assert_eq!(pg.total, expected);

    let term = page(
        &db,
        &HistoryFilter {
            terminal_id: Some(9),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(term.total, 10);
    let failed = page(
        &db,
        &HistoryFilter {
            result: Some("failed".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!((failed.total, failed.ok), (12, 0));
    let everything = page(
        &db,
        &HistoryFilter {
            result: Some("all".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(everything.total, 30);

    // The middle day only: [DAY, DAY + 24 h).
    let day = page(
        &db,
        &HistoryFilter {
            since_ms: Some(DAY),
            until_ms: Some(DAY + 24 * H),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(day.total, 10);
    assert!(day
        .rows
        .iter()
        .all(|r| (DAY..DAY + 24 * H).contains(&r.started_at)));

    // Search: part of a label; LIKE wildcards are taken literally.
    let s = page(
        &db,
        &HistoryFilter {
            search: Some("福田".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(s.total, 10);
    let s = page(
        &db,
        &HistoryFilter {
            search: Some("%".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(s.total, 0, "a literal %, not a wildcard");
    let s = page(
        &db,
        &HistoryFilter {
            search: Some("t0000000005".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(s.total, 1, "case-insensitive search in the link");

    // CSV: BOM, header, every matching row regardless of paging, formulas defused, CRLF.
    let csv = export_csv(
        &db,
        &HistoryFilter {
            store_id: Some(1),
            limit: Some(2),
            offset: Some(5),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(csv.starts_with("\u{feff}".as_bytes()));
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], CSV_HEADER.join(","));
    assert_eq!(lines.len(), 1 + 20);
    assert!(lines.iter().skip(1).all(|l| l.contains("门店 1001 南山店")));
    let injected = lines.iter().find(|l| l.contains("calc")).expect("row 3");
    assert!(injected.contains(",'=cmd|' /C calc'!A0,"), "{injected}");
    assert!(lines.iter().any(|l| l.contains("写入成功")));
    assert!(lines
        .iter()
        .any(|l| l.contains("标签被移开了，写入没有完成。")));
    assert!(lines[1].starts_with("2026-11-2"), "{}", lines[1]);
}

/// The file export streams from SQLite into a safe file: the same bytes as the in-memory export, the
/// row count, `--limit` respected, an old file replaced, a folder as the target refused with words.
#[tokio::test]
async fn export_csv_file_streams_into_a_safe_file() {
    use tapstand_station::history::export_csv_file;
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("tapstand.db")).await.unwrap();
    // More rows than SQLite's row channel holds (sqlx: 50), so the stream really is read in parts.
    for i in 0..1_234i64 {
        let store = if i % 2 == 0 { Some(1) } else { Some(2) };
        db.station_insert_attempt(&attempt(i, DAY + i * 1000, store, None, "written"))
            .await
            .unwrap();
    }
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let target = out.join("记录.csv");
    std::fs::write(&target, "old file").unwrap();
    let f = HistoryFilter {
        store_id: Some(1),
        offset: Some(3), // ignored by the export
        ..Default::default()
    };
    let n = export_csv_file(&db, &f, &target).await.unwrap();
    assert_eq!(n, 617);
    let on_disk = std::fs::read(&target).unwrap();
    assert_eq!(on_disk, export_csv(&db, &f).await.unwrap());
    let text = String::from_utf8(on_disk[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1 + 617);
    assert!(
        lines[1].starts_with("2026-11-20 00:20:32"),
        "newest first: {}",
        lines[1]
    );
    // --limit: the newest N.
    let n = export_csv_file(
        &db,
        &HistoryFilter {
            limit: Some(10),
            ..Default::default()
        },
        &target,
    )
    .await
    .unwrap();
    assert_eq!(n, 10);
    let names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["记录.csv"], "no temporary file left");

    let folder = out.join("a-folder.csv");
    std::fs::create_dir(&folder).unwrap();
    let e = export_csv_file(&db, &f, &folder).await.unwrap_err();
    assert_eq!(e.code, "file.is_folder");
    let e = export_csv_file(&db, &f, &dir.path().join("missing/x.csv"))
        .await
        .unwrap_err();
    assert_eq!(e.code, "file.folder_missing");
    assert!(e.zh.remedy.contains("重新选择"));
}

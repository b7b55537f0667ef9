//! Benchmark setup (scripts/bench-memory.sh): fills a data folder's database with ROWS station attempts.
//!
//!   seed_history DATA_DIR [ROWS]
//!
//! The database is opened (and migrated) by the real `Db::open`; the first 1,000 attempts go through the
//! real store API (`station_insert_attempt`, one committed row each), the rest are copies of those made by
//! one `INSERT … SELECT` on the same table (each copy an hour earlier, with its own UID, sn and link), so
//! 100,000 rows take seconds instead of 100,000 fsyncs. Values are as long as real ones: a 24-character
//! WeChat link, a Chinese store label, an error text on the failures.

use tapstand_store::station::StationAttempt;
use tapstand_store::Db;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: seed_history DATA_DIR [ROWS]"));
    let rows: i64 = args
        .next()
        .map(|r| r.parse().expect("ROWS"))
        .unwrap_or(100_000);
    std::fs::create_dir_all(&dir).unwrap();
    let db = Db::open(&dir.join("tapstand.db")).await.unwrap();
    let base = rows.min(1_000);
    let now = 1_795_140_000_000i64; // 2026-11-20 10:00 China time
    let results = ["written", "written", "already_correct", "written", "failed"];
    for i in 0..base {
        let result = results[i as usize % results.len()];
        let uid = format!("04{:012X}", 0xA1B2_C3D4_0000u64 + i as u64);
        db.station_insert_attempt(&StationAttempt {
            started_at: now - i * 1_500,
            uid: uid.clone(),
            chip: "ntag215".into(),
            model_id: "wx8928293522b7aa0d_ZHS-NTAG215".into(),
            sn: uid,
            openlink: (result != "failed")
                .then(|| format!("weixin://dl/business/?t=Tq{:022}", i * 7919)),
            scheme_source: (result != "failed").then(|| "generated".into()),
            target: format!("store:{}", i % 50 + 1),
            target_label: format!("门店 {} 南山区科技园第{}分店", 1000 + i % 50, i % 50 + 1),
            store_id: Some(i % 50 + 1),
            terminal_id: None,
            path: "pages/member/card".into(),
            query: format!("store={}&sn=04{:012X}", 1000 + i % 50, i),
            reader: "ACS ACR122U PICC Interface 00 00".into(),
            operator: "小王".into(),
            result: result.into(),
            error_code: (result == "failed").then(|| "tag.removed".into()),
            error_zh: (result == "failed")
                .then(|| "标签被移开了，写入没有完成。请把标签放回读卡器上再试。".into()),
            locked: i % 3 == 0,
            read_ms: 41,
            scheme_ms: 180,
            write_ms: 95,
            record_ms: 6,
            total_ms: 322 + i % 40,
            apdus: 23,
            ..Default::default()
        })
        .await
        .unwrap();
    }
    let copies = (rows - base + base - 1) / base; // enough copies of the base rows to reach ROWS
    if copies > 0 {
        sqlx::query(
            r#"WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < ?1)
               INSERT INTO station_attempts (started_at, uid, chip, model_id, sn, openlink, target,
                   target_label, store_id, terminal_id, path, query, reader, operator, result, scheme_source,
                   error_code, error_zh, locked, read_ms, scheme_ms, write_ms, record_ms, total_ms, apdus)
               SELECT started_at - k.n * 3600000, printf('%s%04X', substr(uid, 1, 10), k.n),
                   chip, model_id, printf('%s%04X', substr(sn, 1, 10), k.n),
                   CASE WHEN openlink IS NULL THEN NULL ELSE printf('%s%04d', substr(openlink, 1, 42), k.n) END,
                   target, target_label, store_id, terminal_id, path, query, reader, operator, result,
                   scheme_source, error_code, error_zh, locked, read_ms, scheme_ms, write_ms, record_ms,
                   total_ms, apdus
               FROM station_attempts, k
               ORDER BY k.n, station_attempts.id
               LIMIT ?2"#,
        )
        .bind(copies)
        .bind(rows - base)
        .execute(db.sqlite_pool().unwrap())
        .await
        .unwrap();
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM station_attempts")
        .fetch_one(db.sqlite_pool().unwrap())
        .await
        .unwrap();
    println!("{n}");
}

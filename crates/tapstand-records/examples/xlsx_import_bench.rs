//! Benchmark: importing stores from an `.xlsx` made by another program (openpyxl, see
//! `scripts/bench-records.sh`), the way the app does it: `preview_with` (open the workbook, stream the
//! sheet, find the header, codes through their number formats, every row against the rules and the
//! database; writes nothing), then `commit_with` (reads the bytes again and writes every row in one
//! transaction).
//!
//!   cargo run --release -p tapstand-records --example xlsx_import_bench -- FILE.xlsx ROWS [RUNS]
//!
//! With ROWS = 0 the file is expected to be refused: one preview, the error code printed (for the peak
//! memory of refusing an oversized sheet, measured under `/usr/bin/time -v`).
//!
//! Prints Markdown table rows (median, min and max of RUNS runs, each on a fresh database file) and
//! exits with status 1 when the median of preview + commit is 2 s or more.

use std::time::{Duration, Instant};

use tapstand_records::import::{self, Encoding, ImportOptions};
use tapstand_records::RecordKind;
use tapstand_store::Db;

fn stats(mut v: Vec<Duration>) -> (Duration, Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("FILE.xlsx");
    let rows: u32 = args.next().expect("ROWS").parse().expect("ROWS");
    let runs: usize = args.next().map(|a| a.parse().expect("RUNS")).unwrap_or(5);
    let bytes = std::fs::read(&path).unwrap();
    let options = ImportOptions {
        file_name: Some("门店.xlsx".into()),
        sheet: None,
    };
    if rows == 0 {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("tapstand.db")).await.unwrap();
        let t = Instant::now();
        let e = import::preview_with(&db, RecordKind::Stores, &bytes, &options)
            .await
            .expect_err("an oversized sheet is refused");
        println!("{} after {}: {}", e.code, ms(t.elapsed()), e.en.message);
        return;
    }
    let mut samples = vec![];
    for i in 0..=runs {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("tapstand.db")).await.unwrap();
        let t = Instant::now();
        let p = import::preview_with(&db, RecordKind::Stores, &bytes, &options)
            .await
            .unwrap();
        let preview = t.elapsed();
        assert_eq!(p.encoding, Encoding::Xlsx);
        assert_eq!(p.new_rows, rows, "{:?}", p.file_errors);
        let t = Instant::now();
        let r = import::commit_with(&db, RecordKind::Stores, &bytes, &options)
            .await
            .unwrap();
        let commit = t.elapsed();
        assert_eq!(r.inserted, rows);
        db.close().await;
        if i > 0 {
            // Run 0 is the warm-up, not counted.
            eprintln!("run {i}: preview {}, commit {}", ms(preview), ms(commit));
            samples.push((preview, commit));
        }
    }
    let lines = [
        (
            "from .xlsx: preview (stream the sheet, codes through their formats, check every row)",
            stats(samples.iter().map(|s| s.0).collect()),
        ),
        (
            "from .xlsx: commit (re-read, re-check, one transaction)",
            stats(samples.iter().map(|s| s.1).collect()),
        ),
        (
            "**from .xlsx: preview + commit**",
            stats(samples.iter().map(|s| s.0 + s.1).collect()),
        ),
    ];
    for (name, (med, min, max)) in &lines {
        println!("| {name} | {} | {} | {} |", ms(*med), ms(*min), ms(*max));
    }
    let total = lines[2].1 .0;
    if total >= Duration::from_secs(2) {
        eprintln!(
            "FAIL: .xlsx preview + commit took {} (target < 2 s)",
            ms(total)
        );
        std::process::exit(1);
    }
}

//! Benchmark: importing 10,000 stores from a GBK CSV (as Chinese Excel saves it), the way the app does it:
//! `preview` (decode, check every row against the rules and the database; writes nothing), then `commit`
//! (reads the bytes again and writes every row in one transaction). Also a re-import of the same file, an
//! import that updates every row, and listing/searching the 10,000 stores (what the 门店 page calls).
//!
//!   cargo run --release -p tapstand-records --example import_bench [-- ROWS RUNS]
//!
//! Prints a Markdown table (median, min and max of RUNS runs, each on a fresh database file) and exits with
//! status 1 when the median of preview + commit of the first import is 2 s or more.

use std::time::{Duration, Instant};

use tapstand_records::import::{self, Encoding};
use tapstand_records::RecordKind;
use tapstand_store::Db;

fn csv(rows: usize, variant: &str) -> Vec<u8> {
    let mut text = String::from("机构编号,组织/公司,门店名称,地址\r\n");
    for i in 1..=rows {
        text.push_str(&format!(
            "{},晋业餐饮连锁管理有限公司,{}第{}分店,广东省深圳市南山区科技园南区{}栋{}号\r\n",
            100_000 + i,
            variant,
            i,
            i % 97,
            i
        ));
    }
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    bytes.into_owned()
}

struct Sample {
    preview: Duration,
    commit: Duration,
    reimport: Duration,
    update: Duration,
    list: Duration,
    search: Duration,
}

async fn run_once(rows: usize, file: &[u8], changed: &[u8]) -> Sample {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("tapstand.db")).await.unwrap();

    let t = Instant::now();
    let p = import::preview(&db, RecordKind::Stores, file)
        .await
        .unwrap();
    let preview = t.elapsed();
    assert_eq!(p.encoding, Encoding::Gb18030);
    assert_eq!(p.new_rows as usize, rows);
    assert!(p.can_commit());

    let t = Instant::now();
    let r = import::commit(&db, RecordKind::Stores, file).await.unwrap();
    let commit = t.elapsed();
    assert_eq!(r.inserted as usize, rows);

    // The same file again: preview + commit, nothing changes.
    let t = Instant::now();
    import::preview(&db, RecordKind::Stores, file)
        .await
        .unwrap();
    let r = import::commit(&db, RecordKind::Stores, file).await.unwrap();
    let reimport = t.elapsed();
    assert_eq!(r.unchanged as usize, rows);

    // Every store renamed: preview + commit, every row updated.
    let t = Instant::now();
    import::preview(&db, RecordKind::Stores, changed)
        .await
        .unwrap();
    let r = import::commit(&db, RecordKind::Stores, changed)
        .await
        .unwrap();
    let update = t.elapsed();
    assert_eq!(r.updated as usize, rows);

    let t = Instant::now();
    let all = tapstand_records::list_stores(&db, "", false).await.unwrap();
    let list = t.elapsed();
    assert_eq!(all.len(), rows);

    let t = Instant::now();
    let found = tapstand_records::list_stores(&db, "第9999分店", false)
        .await
        .unwrap();
    let search = t.elapsed();
    assert!(!found.is_empty() || rows < 9999);

    db.close().await;
    Sample {
        preview,
        commit,
        reimport,
        update,
        list,
        search,
    }
}

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
    let rows: usize = args
        .next()
        .map(|a| a.parse().expect("ROWS"))
        .unwrap_or(10_000);
    let runs: usize = args.next().map(|a| a.parse().expect("RUNS")).unwrap_or(5);
    let file = csv(rows, "晋业");
    let changed = csv(rows, "新晋业");
    eprintln!(
        "{rows} stores, GBK CSV of {} bytes, {runs} runs",
        file.len()
    );

    // One warm-up run (page cache, allocator), not counted.
    run_once(rows, &file, &changed).await;
    let mut samples = vec![];
    for i in 0..runs {
        let s = run_once(rows, &file, &changed).await;
        eprintln!(
            "run {}: preview {}, commit {}, total {}",
            i + 1,
            ms(s.preview),
            ms(s.commit),
            ms(s.preview + s.commit)
        );
        samples.push(s);
    }
    let col = |f: &dyn Fn(&Sample) -> Duration| stats(samples.iter().map(f).collect());
    let lines: Vec<(&str, (Duration, Duration, Duration))> = vec![
        (
            "first import: preview (decode GBK, check every row, nothing written)",
            col(&|s| s.preview),
        ),
        (
            "first import: commit (re-check, one transaction)",
            col(&|s| s.commit),
        ),
        (
            "**first import: preview + commit**",
            col(&|s| s.preview + s.commit),
        ),
        (
            "re-import of the same file (preview + commit, all unchanged)",
            col(&|s| s.reimport),
        ),
        (
            "import updating every store (preview + commit)",
            col(&|s| s.update),
        ),
        (
            "list all stores (what the 门店 page loads)",
            col(&|s| s.list),
        ),
        ("search one store by name", col(&|s| s.search)),
    ];
    println!(
        "| {rows} stores, GBK CSV ({} KiB) | median | min | max |",
        file.len() / 1024
    );
    println!("|---|---|---|---|");
    for (name, (med, min, max)) in &lines {
        println!("| {name} | {} | {} | {} |", ms(*med), ms(*min), ms(*max));
    }
    let total = lines[2].1 .0;
    if total >= Duration::from_secs(2) {
        eprintln!("FAIL: preview + commit took {} (target < 2 s)", ms(total));
        std::process::exit(1);
    }
}

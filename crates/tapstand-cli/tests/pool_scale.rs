//! A chain's roll-out at scale, on the real PostgreSQL of the test command and the fake WeChat with its
//! per-second limit ON (100 a second, 44990 beyond): head office generates 3,000 pooled links with
//! `pool generate`, is killed a third of the way, and finishes with a second run — no sn is ever issued
//! twice, every recorded link ends with its openlink. Then twenty processes claim from the pool at once
//! (each its own OS process and connection, `Db::pool_claim`, as `write --from-pool` claims): 3,000 distinct
//! links to 3,000 distinct tags, none shared. Prints `POOL_SCALE_BENCH` (scripts/bench-team.sh reads it).
#![cfg(unix)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tapstand_fake_wechat::{Endpoint as FE, FakeConfig, FakeWechat, DEMO_MODEL_ID};

mod support;
use support::{new_pg_database, CliEnv, Keyring};

const PROFILE: &str = "rollout";
const LINKS: usize = 3_000;
const CLAIMERS: usize = 20;
/// Set in a claimer child: `url|model_id|target|prefix`.
const CHILD_ENV: &str = "TAPSTAND_POOL_CLAIMER";

fn ok(env: &CliEnv, args: &[&str], db: &[(&str, &str)]) -> Value {
    let o = env.run(args, db);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{args:?}: {out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_str(out.trim()).unwrap_or(Value::Null)
}

/// The claimer child: claims links for tags `<prefix>-<n>` until the pool is empty, one `CLAIM uid link`
/// line each. A no-op unless the parent test started this process with [`CHILD_ENV`].
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_claimer_child_process() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.splitn(4, '|').collect();
    let [url, model_id, target, prefix] = parts[..] else {
        panic!("bad {CHILD_ENV}: {spec}");
    };
    let db = tapstand_store::Db::open_url(url)
        .await
        .expect("open the team database");
    // Start together: the parent releases every child at once.
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    for n in 0.. {
        let uid = format!("{prefix}{n:05}");
        match db
            .pool_claim(model_id, target, &uid, prefix, tapstand_store::now_ms())
            .await
            .expect("claim")
        {
            Some(l) => println!(
                "CLAIM {uid} {}",
                l.openlink.expect("a claimed link has its openlink")
            ),
            None => break,
        }
    }
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_thousand_links_generated_paced_resumed_then_claimed_by_twenty_processes() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let Some(url) = new_pg_database("pool_scale").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(keyring) = Keyring::start(dir.path()) else {
        return;
    };
    // WeChat's per-second limit stays on (100 a second, 44990 beyond).
    let config = FakeConfig::demo();
    assert_eq!(config.limits.nfc_per_second, 100);
    let fake = FakeWechat::start(config).await.unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let hq = CliEnv {
        data,
        base_url: fake.base_url(),
        keyring,
    };
    let db = [("TAPSTAND_DATABASE_URL", url.as_str())];
    hq.seed_demo_profile(PROFILE, "ROLLOUT", &db);
    let csv = dir.path().join("stores.csv");
    std::fs::write(&csv, "机构编号,门店名称\n3001,总店\n").unwrap();
    ok(&hq, &["store", "import", csv.to_str().unwrap()], &db);
    let generate = |count: usize| {
        let count = count.to_string();
        let mut c = hq.cmd(
            &[
                "--json",
                "pool",
                "generate",
                "--profile",
                PROFILE,
                "--model",
                DEMO_MODEL_ID,
                "--store",
                "3001",
                "--count",
                &count,
                "--yes",
            ],
            &db,
        );
        c.stderr(Stdio::piped());
        c
    };

    // 1. Killed a third of the way (by the fake's count of issued links).
    let t0 = Instant::now();
    let mut first = generate(LINKS).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while fake.issued().len() < LINKS / 3 {
        assert!(
            Instant::now() < deadline,
            "the generate never got a third of the way"
        );
        assert!(
            first.try_wait().unwrap().is_none(),
            "the generate ended early"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let first_ms = t0.elapsed().as_millis();
    let after_kill = fake.issued().len();
    let list = ok(&hq, &["--json", "pool", "list"], &db);
    let recorded = list[0]["total"].as_i64().unwrap() as usize;
    eprintln!(
        "killed after {first_ms} ms: {after_kill} issued, {recorded} recorded, {} unfinished",
        list[0]["unfinished"]
    );
    assert!(recorded >= after_kill && recorded < LINKS);

    // 2. The second run finishes the unfinished rows first (through the ledger), then the rest.
    let t1 = Instant::now();
    let second = generate(LINKS - recorded).output().unwrap();
    let second_ms = t1.elapsed().as_millis();
    assert!(
        second.status.success(),
        "{}{}",
        String::from_utf8_lossy(&second.stdout),
        String::from_utf8_lossy(&second.stderr)
    );
    let progress = String::from_utf8_lossy(&second.stderr);
    assert!(
        progress.contains("generating"),
        "progress is shown: {progress}"
    );
    let list = ok(&hq, &["--json", "pool", "list"], &db);
    assert_eq!(list[0]["total"], LINKS as i64, "{list}");
    assert_eq!(list[0]["free"], LINKS as i64, "{list}");
    assert_eq!(list[0]["unfinished"], 0, "{list}");
    let issued = fake.issued();
    let sns: BTreeSet<_> = issued
        .iter()
        .map(|s| s.sn.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        issued.len(),
        LINKS,
        "one link issued per pooled sn, none twice"
    );
    assert_eq!(sns.len(), LINKS);
    let calls = fake.calls(FE::GenerateNfcScheme).len();
    let rate_limited = calls - issued.len();
    let total_ms = first_ms + second_ms;
    eprintln!(
        "generated {LINKS} in {total_ms} ms over two runs ({:.0} links/s); {calls} calls, {rate_limited} answered other than errcode 0",
        LINKS as f64 * 1000.0 / total_ms as f64
    );

    // 3. Twenty processes claim at once.
    let model_id = list[0]["model_id"].as_str().unwrap().to_string();
    let target = list[0]["target"].as_str().unwrap().to_string();
    let exe = std::env::current_exe().unwrap();
    let mut children: Vec<_> = (0..CLAIMERS)
        .map(|i| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "pool_claimer_child_process",
                    "--nocapture",
                    "--test-threads",
                    "1",
                ])
                .env(CHILD_ENV, format!("{url}|{model_id}|{target}|P{i:02}-"))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    // Let every child connect, then release them together.
    std::thread::sleep(Duration::from_secs(3));
    let t2 = Instant::now();
    for c in &mut children {
        use std::io::Write;
        c.stdin.take().unwrap().write_all(b"go\n").unwrap();
    }
    let mut by_link: BTreeMap<String, String> = BTreeMap::new();
    let mut per_child = Vec::new();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success());
        let mut n = 0;
        for l in BufReader::new(out.stdout.as_slice()).lines() {
            let l = l.unwrap();
            // (libtest's "test … ... " may precede the first line on the same line.)
            let Some(at) = l.find("CLAIM ") else {
                continue;
            };
            let rest = &l[at + "CLAIM ".len()..];
            let (uid, link) = rest.split_once(' ').unwrap();
            if let Some(other) = by_link.insert(link.to_string(), uid.to_string()) {
                panic!("{link} claimed by {other} and {uid}");
            }
            n += 1;
        }
        per_child.push(n);
    }
    let claim_ms = t2.elapsed().as_millis().max(1);
    assert_eq!(
        by_link.len(),
        LINKS,
        "every link claimed once: {per_child:?}"
    );
    let links: BTreeSet<_> = issued.iter().map(|s| s.openlink.clone()).collect();
    assert!(
        by_link.keys().all(|l| links.contains(l)),
        "only links WeChat issued"
    );
    let busy = per_child.iter().filter(|&&n| n > 0).count();
    assert!(
        busy >= CLAIMERS / 2,
        "the claims were spread over the processes: {per_child:?}"
    );
    let list = ok(&hq, &["--json", "pool", "list"], &db);
    assert_eq!(list[0]["free"], 0, "{list}");
    println!(
        "POOL_SCALE_BENCH links={LINKS} generate_ms={total_ms} generate_calls={calls} claimers={CLAIMERS} claim_ms={claim_ms} claims_per_s={:.0} per_process={per_child:?}",
        LINKS as f64 * 1000.0 / claim_ms as f64
    );
    fake.shutdown().await;
}

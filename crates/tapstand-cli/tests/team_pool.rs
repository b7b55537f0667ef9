//! Team mode, three PCs on one real PostgreSQL database: head office (with the AppSecret) generates a pool
//! of 6 links for one store; two PCs WITHOUT the AppSecret (each its own empty keychain), each on its own
//! virtual reader (vpcd's "Virtual PCD 00 00" and "00 01", through the real pcscd), write 3 tags each at the
//! same time with `write --from-pool`. What must hold: 6 tags verified, 6 distinct pooled links, every
//! tag's link is the pool link the database handed to that tag's UID, and WeChat saw no call after the
//! pool was made. The two writers log in as users of the writer role (`db init-roles`): least privilege
//! is enough to write from the pool.
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tapstand_fake_wechat::{Endpoint as FE, FakeConfig, FakeWechat, DEMO_MODEL_ID};
use tapstand_tag::ndef::wechat::wechat_message;
use tapstand_vtag::rig::{content, Content};
use tapstand_vtag::{nth_uid, Rig, TagState, VChip, VirtualTag, VPCD_PORT};

mod support;
use support::{new_pg_database, CliEnv, Keyring};

const PROFILE: &str = "chain";
const PER_WRITER: usize = 3;
/// vpcd's second virtual reader (the first is the rig's, "Virtual PCD 00 00").
const SECOND_READER: &str = "Virtual PCD 00 01";

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

fn hex(uid: &[u8; 7]) -> String {
    uid.iter().map(|b| format!("{b:02X}")).collect()
}

/// The WeChat link on a tag: the pooled `link` exactly as Tapstand writes it (URI + Android record), or
/// `None` for anything else on it.
fn holds(mem: &[u8], link: &str) -> bool {
    let expected = wechat_message(link).unwrap().encode().unwrap();
    matches!(content(mem), Content::Message(bytes) if bytes == expected)
}

/// pcscd's view of `reader`: (tag present, event counter).
fn reader_state(pcsc: &mut tapstand_tag::Pcsc, reader: &str) -> (bool, u32) {
    pcsc.readers()
        .ok()
        .and_then(|rs| rs.into_iter().find(|r| r.name == reader))
        .map(|r| (r.tag_present, r.event_count))
        .unwrap_or((false, 0))
}

/// Waits until pcscd reports `reader` with a tag (`present`), or has *registered* the removal (its event
/// counter moved on since `since`): a tag swapped faster than pcscd polls would look to the station as if
/// it never left. Returns the event counter.
fn wait_reader(reader: &str, present: bool, since: u32) -> Option<u32> {
    let mut pcsc = tapstand_tag::Pcsc::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let (now, count) = reader_state(&mut pcsc, reader);
        if now == present && (present || count != since) {
            return Some(count);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

/// Takes the tag on vpcd's second reader away and puts `tag` down, as the rig does for the first one
/// (including its one retry when vpcd misses an insertion right after a client reset the last card).
fn swap_second(vt: &VirtualTag, tag: TagState, inserted_at: &mut u32) {
    if vt.remove().is_some() {
        assert!(
            wait_reader(SECOND_READER, false, *inserted_at).is_some(),
            "pcscd did not notice the tag leaving {SECOND_READER}"
        );
    }
    vt.insert(tag);
    if let Some(c) = wait_reader(SECOND_READER, true, 0) {
        *inserted_at = c;
        return;
    }
    eprintln!("pcscd did not report the tag on {SECOND_READER} within 5 s; putting it down again");
    vt.reinsert();
    *inserted_at = wait_reader(SECOND_READER, true, 0)
        .unwrap_or_else(|| panic!("pcscd never reported the tag on {SECOND_READER}"));
}

/// A writer process's per-tag JSON lines, as they come.
fn lines(child: &mut Child) -> mpsc::Receiver<Value> {
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                if v.get("result").is_some() {
                    let _ = tx.send(v);
                }
            }
        }
    });
    rx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_fills_a_pool_and_two_pcs_without_the_secret_write_from_it_at_once() {
    let Some(url) = new_pg_database("cli_pool").await else {
        return;
    };
    let Some(mut rig) = Rig::start("cli: two PCs write from one pool") else {
        return;
    };
    // The first tag on each reader from the start (each writer takes it when it starts).
    let uids: [Vec<[u8; 7]>; 2] = [
        (0..PER_WRITER).map(|i| nth_uid(7_100 + i as u32)).collect(),
        (0..PER_WRITER).map(|i| nth_uid(7_200 + i as u32)).collect(),
    ];
    rig.put(TagState::factory(VChip::Ntag215, uids[0][0]));
    // vpcd's second virtual reader listens on the next port.
    let second = VirtualTag::start(VPCD_PORT + 1);
    let mut second_at = 0;
    swap_second(
        &second,
        TagState::factory(VChip::Ntag215, uids[1][0]),
        &mut second_at,
    );
    let dir = tempfile::tempdir().unwrap();
    let pc = |name: &str| {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.join("data")).unwrap();
        p
    };
    let (hq, w1, w2) = (pc("hq"), pc("writer-1"), pc("writer-2"));
    let keyrings = [&hq, &w1, &w2].map(|p| Keyring::start(p));
    let [Some(k_hq), Some(k1), Some(k2)] = keyrings else {
        return;
    };
    let mut config = FakeConfig::demo();
    config.limits.nfc_per_second = 1000;
    let fake = FakeWechat::start(config).await.unwrap();
    let env = |p: &std::path::Path, keyring| CliEnv {
        data: p.join("data"),
        base_url: fake.base_url(),
        keyring,
    };
    let (hq_env, env1, env2) = (env(&hq, k_hq), env(&w1, k1), env(&w2, k2));
    let db = [("TAPSTAND_DATABASE_URL", url.as_str())];

    // Head office: the profile (its AppSecret in HQ's keychain only), the model, the store.
    hq_env.seed_demo_profile(PROFILE, "CHAIN-NTAG215", &db);
    let csv = hq.join("stores.csv");
    std::fs::write(
        &csv,
        "机构编号,组织/公司,门店名称\n1001,连锁公司,人民路店\n",
    )
    .unwrap();
    ok(&hq_env, &["store", "import", csv.to_str().unwrap()], &db);

    // Least privilege: head office sets up the roles; each store PC logs in as a writer of its own.
    let roles = ok(&hq_env, &["--json", "db", "init-roles", &url], &db);
    let writer_role = roles["writer"].as_str().unwrap().to_string();
    let writer_urls: Vec<String> = {
        use sqlx::Connection;
        let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
        let mut urls = vec![];
        for n in 1..=2 {
            let name = format!("store_pc_{n}_{}", std::process::id());
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP ROLE IF EXISTS {name}; CREATE ROLE {name} LOGIN PASSWORD 'pw-{n}' IN ROLE {writer_role}"
            )))
            .execute(&mut admin)
            .await
            .unwrap();
            let (_, host_db) = url.split_once('@').unwrap();
            urls.push(format!("postgres://{name}:pw-{n}@{host_db}"));
        }
        urls
    };
    let (wdb1, wdb2) = (
        [("TAPSTAND_DATABASE_URL", writer_urls[0].as_str())],
        [("TAPSTAND_DATABASE_URL", writer_urls[1].as_str())],
    );

    // A writer PC has no AppSecret: writing the usual way is refused before any tag is touched.
    let refused = env1.run(
        &[
            "--json",
            "write",
            "--profile",
            PROFILE,
            "--model",
            DEMO_MODEL_ID,
            "--store",
            "1001",
            "--count",
            "1",
            "--yes",
        ],
        &wdb1,
    );
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stdout);
    assert!(
        !said.contains("link.confirm_needed"),
        "refused for the missing AppSecret: {said}"
    );
    // …and from an empty pool too, with what to do.
    let empty = env1.run(
        &[
            "--json",
            "write",
            "--profile",
            PROFILE,
            "--model",
            DEMO_MODEL_ID,
            "--store",
            "1001",
            "--count",
            "1",
            "--from-pool",
        ],
        &wdb1,
    );
    assert!(!empty.status.success());
    let said = String::from_utf8_lossy(&empty.stdout);
    assert!(said.contains("pool.empty"), "{said}");

    let made = ok(
        &hq_env,
        &[
            "--json",
            "pool",
            "generate",
            "--profile",
            PROFILE,
            "--model",
            DEMO_MODEL_ID,
            "--store",
            "1001",
            "--count",
            "6",
            "--yes",
        ],
        &db,
    );
    assert_eq!(made["generated"], 6, "{made}");
    assert_eq!(made["summary"]["free"], 6, "{made}");
    let calls_after_pool = fake.calls(FE::GenerateNfcScheme).len();
    assert_eq!(calls_after_pool, 6);
    let generated_sns: Vec<String> = fake
        .calls(FE::GenerateNfcScheme)
        .into_iter()
        .filter_map(|c| c.sn)
        .collect();
    assert!(
        generated_sns.iter().all(|sn| sn.starts_with("1001-")),
        "serials, not UIDs: {generated_sns:?}"
    );

    // Both writers at once, each on its own reader.
    let spawn = |env: &CliEnv, reader: &str, db: &[(&str, &str)]| {
        let mut c = env.cmd(
            &[
                "--json",
                "write",
                "--profile",
                PROFILE,
                "--model",
                DEMO_MODEL_ID,
                "--store",
                "1001",
                "--from-pool",
                "--count",
                "3",
                "--reader",
                reader,
            ],
            db,
        );
        c.stdout(Stdio::piped());
        c.spawn().unwrap()
    };
    // Both tags are down before the writers start: then both start at the same moment.
    let mut c1 = spawn(&env1, "Virtual PCD 00 00", &wdb1);
    let mut c2 = spawn(&env2, SECOND_READER, &wdb2);
    let (r1, r2) = (lines(&mut c1), lines(&mut c2));
    let mut done: [Vec<(String, Value, Vec<u8>)>; 2] = [Vec::new(), Vec::new()];
    let deadline = Instant::now() + Duration::from_secs(90);
    while done.iter().any(|d| d.len() < PER_WRITER) {
        assert!(
            Instant::now() < deadline,
            "the writers did not finish: {:?}",
            done.iter()
                .map(|d| d.iter().map(|(u, l, _)| (u, l)).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        );
        for slot in 0..2 {
            let rx = if slot == 0 { &r1 } else { &r2 };
            let Ok(line) = rx.try_recv() else { continue };
            let n = done[slot].len();
            let mem = if slot == 0 {
                rig.memory()
            } else {
                second.tag().unwrap().mem
            };
            done[slot].push((hex(&uids[slot][n]), line, mem));
            // The next tag on this reader (the station waits for the last one to leave).
            if n + 1 < PER_WRITER {
                let next = TagState::factory(VChip::Ntag215, uids[slot][n + 1]);
                if slot == 0 {
                    rig.put(next);
                } else {
                    swap_second(&second, next, &mut second_at);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    for c in [c1, c2] {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // 6 tags verified with 6 distinct pooled links, each the link the database handed to that UID.
    let pool: Vec<(String, String, String)> = {
        let pg = sqlx::PgPool::connect(&url).await.unwrap();
        let rows = sqlx::query_as(
            "SELECT claimed_uid, sn, openlink FROM link_pool WHERE claimed_uid IS NOT NULL ORDER BY seq",
        )
        .fetch_all(&pg)
        .await
        .unwrap();
        pg.close().await;
        rows
    };
    assert_eq!(pool.len(), 6, "{pool:?}");
    let mut links = std::collections::BTreeSet::new();
    for (uid, line, mem) in done.iter().flatten() {
        assert_eq!(line["result"], "written", "{line}");
        assert_eq!(line["uid"], uid.as_str(), "{line}");
        assert_eq!(line["scheme_source"], "pool", "{line}");
        let (_, sn, pooled) = pool
            .iter()
            .find(|(u, _, _)| u == uid)
            .unwrap_or_else(|| panic!("tag {uid} holds no pool claim: {pool:?}"));
        assert_eq!(line["openlink"], pooled.as_str(), "{line}");
        assert!(
            holds(mem, pooled),
            "tag {uid} does not hold its pooled link {pooled}"
        );
        let on_tag = pooled.clone();
        assert_eq!(
            line["sn"],
            sn.as_str(),
            "the ledger sn is the serial, not the UID"
        );
        assert!(
            line["query"]
                .as_str()
                .unwrap()
                .contains(&format!("sn={sn}")),
            "{line}"
        );
        links.insert(on_tag);
    }
    assert_eq!(links.len(), 6, "6 tags, 6 distinct links: {links:?}");
    assert_eq!(
        fake.calls(FE::GenerateNfcScheme).len(),
        calls_after_pool,
        "the writers never called WeChat"
    );
    let left = ok(&hq_env, &["--json", "pool", "list"], &db);
    assert_eq!(left[0]["free"], 0, "{left}");
    assert_eq!(left[0]["written"], 6, "{left}");
}

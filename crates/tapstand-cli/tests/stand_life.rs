//! The stand after the write, through the real pcscd + vpcd + the virtual tag, a real SQLite file, a real
//! keychain and the fake WeChat:
//! * 巡检 over six stands of a store (right and locked; right but unlocked, then locked from the audit;
//!   overwritten with another store's link; a web link; a copy of an NXP original; one not tapped), the
//!   report read back with openpyxl;
//! * 换标签: a new UID gets the stand's link with no generate call; the old UID is retired; the next
//!   station tap of the new tag is "already correct" without a call;
//! * re-pointing: a new link on the tag, the old one retired, the quota counted;
//! * the quota guard: a pool generate WeChat's lifetime quota cannot cover is refused before any call.
#![cfg(unix)]

use std::process::Output;

use serde_json::Value;
use tapstand_fake_wechat::{Endpoint as FE, FakeConfig, FakeWechat, DEMO_APPID, DEMO_MODEL_ID};
use tapstand_tag::ndef::wechat::{uri_and_aar, wechat_message};
use tapstand_vtag::rig::{content, Content};
use tapstand_vtag::{nth_uid, Rig, SigMode, TagState, VChip, NXP_TEST_UID};

mod support;
use support::{CliEnv, Keyring};

const PROFILE: &str = "stand";

fn hex(uid: &[u8; 7]) -> String {
    uid.iter().map(|b| format!("{b:02X}")).collect()
}

fn run(env: &CliEnv, args: &[&str]) -> Output {
    env.run(args, &[])
}

fn ok(env: &CliEnv, args: &[&str]) -> Value {
    let o = run(env, args);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "{args:?}: {out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The last JSON document printed (one line per tag for `write`, one line otherwise).
    out.lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l).ok())
        .or_else(|| serde_json::from_str(out.trim()).ok())
        .unwrap_or(Value::Null)
}

/// The per-tag line of a `write --json` run.
fn write_line(env: &CliEnv, args: &[&str]) -> Value {
    let o = run(env, args);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "{args:?}: {out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v.get("result").is_some())
        .unwrap_or_else(|| panic!("no tag line in {out}"))
}

fn error_code(o: &Output) -> String {
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| {
        panic!(
            "no JSON error: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    v["error"]["code"].as_str().unwrap_or_default().to_string()
}

/// The link on the tag's memory, if it holds a WeChat message as Tapstand writes it.
fn link_on(mem: &[u8], link: &str) -> bool {
    let expected = wechat_message(link).unwrap().encode().unwrap();
    matches!(content(mem), Content::Message(b) if b == expected)
}

struct World {
    rig: Rig,
    env: CliEnv,
    fake: FakeWechat,
    _dir: tempfile::TempDir,
}

async fn world(name: &str, nfc_lifetime: u64) -> Option<World> {
    let rig = Rig::start(name)?;
    let dir = tempfile::tempdir().unwrap();
    let keyring = Keyring::start(dir.path())?;
    let mut config = FakeConfig::demo();
    config.limits.nfc_per_second = 1000;
    config.limits.nfc_lifetime = nfc_lifetime;
    let fake = FakeWechat::start(config).await.unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let env = CliEnv {
        data,
        base_url: fake.base_url(),
        keyring,
    };
    let stores = dir.path().join("stores.csv");
    std::fs::write(&stores, "机构编号,门店名称\n1001,南山店\n1002,福田店\n").unwrap();
    ok(
        &env,
        &["--json", "store", "import", stores.to_str().unwrap()],
    );
    env.seed_demo_profile(PROFILE, "STAND-NTAG213", &[]);
    Some(World {
        rig,
        env,
        fake,
        _dir: dir,
    })
}

impl World {
    /// Writes the tag for `store` with the station; returns its link and the tag as the station left it.
    fn write(&mut self, tag: TagState, store: &str, lock: bool) -> (String, TagState) {
        self.rig.put(tag);
        let mut args = vec![
            "--json",
            "write",
            "--profile",
            PROFILE,
            "--model",
            DEMO_MODEL_ID,
            "--store",
            store,
            "--count",
            "1",
            "--yes",
        ];
        if lock {
            args.push("--lock");
        }
        let line = write_line(&self.env, &args);
        assert_eq!(line["result"], "written", "{line}");
        let link = line["openlink"].as_str().expect("a link").to_string();
        (link, self.rig.tag().expect("the tag is on the reader"))
    }

    fn generate_calls(&self) -> usize {
        self.fake.calls(FE::GenerateNfcScheme).len()
    }

    /// One 巡检 tap of `tag`.
    fn tap(&mut self, tag: TagState, extra: &[&str]) -> Value {
        self.rig.put(tag);
        let mut args = vec!["--json", "audit", "tap", "--offline", "--wait", "5"];
        args.extend_from_slice(extra);
        ok(&self.env, &args)
    }

    fn station_tap(&mut self, store: &str) -> Value {
        write_line(
            &self.env,
            &[
                "--json",
                "write",
                "--profile",
                PROFILE,
                "--model",
                DEMO_MODEL_ID,
                "--store",
                store,
                "--count",
                "1",
            ],
        )
    }
}

fn ntag(n: u32) -> TagState {
    TagState::factory(VChip::Ntag213, nth_uid(n))
}

/// Tag `n` rewritten with other content (someone with a phone app).
fn rewritten(n: u32, message: &[u8]) -> TagState {
    TagState::with_message(VChip::Ntag213, nth_uid(n), message)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_a_store_then_replace_and_repoint() {
    let Some(mut w) = world("cli: stand life", 100_000).await else {
        return;
    };
    // A permanent link is confirmed once: the first write of a target without --yes is refused before any
    // call and any byte written, saying the page and query.
    w.rig.put(ntag(8000));
    let o = run(
        &w.env,
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
        ],
    );
    assert_eq!(error_code(&o), "link.confirm_needed");
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        said.contains("pages/member/card") && said.contains("store=1001&sn={sn}"),
        "{said}"
    );
    assert_eq!(w.generate_calls(), 0);
    assert!(
        matches!(content(&w.rig.memory()), Content::Empty),
        "the tag was not touched"
    );
    // Six stands of 南山店 (1001), one of 福田店 (1002); the first write of each store confirms it.
    let (a, ta) = w.write(ntag(8001), "1001", true);
    let (b, tb) = w.write(ntag(8002), "1001", false);
    let (_c, _) = w.write(ntag(8003), "1001", false);
    let (d, td) = w.write(ntag(8004), "1002", false);
    let (e, _) = w.write(ntag(8005), "1001", false);
    let (g, _) = w.write(
        TagState::factory(VChip::Ntag215, NXP_TEST_UID),
        "1001",
        false,
    );
    let (h, _) = w.write(ntag(8006), "1001", true);
    let links: std::collections::BTreeSet<_> = [&a, &b, &d, &e, &g, &h].into_iter().collect();
    assert_eq!(links.len(), 6);
    let calls_before_audit = w.generate_calls();

    let started = ok(
        &w.env,
        &[
            "--json",
            "audit",
            "start",
            "--store",
            "1001",
            "--operator",
            "小王",
        ],
    );
    assert_eq!(started["stands"].as_array().unwrap().len(), 6, "{started}");

    // 1. Right and locked.
    let v = w.tap(ta.clone(), &[]);
    assert_eq!(v["verdict"], "ok", "{v}");

    // 2. Right but unlocked, then locked from the audit.
    let v = w.tap(tb.clone(), &[]);
    assert_eq!(v["verdict"], "unlocked", "{v}");
    assert_eq!(v["can_lock"], true, "{v}");
    let v = w.tap(tb, &["--lock"]);
    assert_eq!(v["locked_now"], true, "{v}");
    assert_eq!(v["verdict"], "ok", "{v}");
    assert!(link_on(&w.rig.memory(), &b), "locking kept the link");
    let v = w.tap(w.rig.tag().unwrap(), &[]);
    assert_eq!(v["verdict"], "ok", "the tag is locked for real: {v}");

    // 3. Overwritten with 福田店's link.
    let d_msg = wechat_message(&d).unwrap().encode().unwrap();
    let v = w.tap(rewritten(8003, &d_msg), &[]);
    assert_eq!(v["verdict"], "other_store", "{v}");
    assert!(v["found"]["zh"].as_str().unwrap().contains("福田店"), "{v}");

    // 4. A foreign web link.
    let web = uri_and_aar("https://evil.example/win", None)
        .encode()
        .unwrap();
    let v = w.tap(rewritten(8005, &web), &[]);
    assert_eq!(v["verdict"], "web_link", "{v}");
    assert_eq!(v["link"], "https://evil.example/win", "{v}");

    // 5. A copy of the NXP original: same UID and content, no NXP signature.
    let g_msg = wechat_message(&g).unwrap().encode().unwrap();
    let copy =
        TagState::with_message(VChip::Ntag215, NXP_TEST_UID, &g_msg).with_signature(SigMode::Nak);
    let v = w.tap(copy, &[]);
    assert_eq!(v["verdict"], "not_genuine", "{v}");

    // 6. h (8006) is not tapped. The report.
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("巡检.xlsx");
    let fin = ok(
        &w.env,
        &[
            "--json",
            "audit",
            "finish",
            "--report",
            xlsx.to_str().unwrap(),
        ],
    );
    assert_eq!(fin["counts"]["ok"], 2, "{fin}");
    assert_eq!(fin["counts"]["other_store"], 1, "{fin}");
    assert_eq!(fin["counts"]["web_link"], 1, "{fin}");
    assert_eq!(fin["counts"]["not_genuine"], 1, "{fin}");
    assert_eq!(fin["counts"]["untapped"], 1, "{fin}");
    assert_eq!(fin["untapped"][0]["uid"], hex(&nth_uid(8006)), "{fin}");
    assert_eq!(
        w.generate_calls(),
        calls_before_audit,
        "an audit never asks for a link"
    );
    let py = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import openpyxl,sys,json\n\
             ws=openpyxl.load_workbook(sys.argv[1]).active\n\
             print(json.dumps([[c.value for c in r] for r in ws.iter_rows()]))",
        )
        .arg(&xlsx)
        .output()
        .unwrap();
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let rows: Vec<Vec<Value>> = serde_json::from_slice(&py.stdout).unwrap();
    assert_eq!(rows[0][0], "巡检时间");
    assert_eq!(
        rows.len(),
        1 + 5 + 1,
        "header, five tapped, one not tapped: {rows:?}"
    );
    let verdicts: Vec<&str> = rows[1..]
        .iter()
        .map(|r| r[3].as_str().unwrap_or(""))
        .collect();
    for want in [
        "正常",
        "其他门店的链接",
        "网址或其他链接（可能被篡改）",
        "芯片不是原来的原厂芯片",
        "未巡检",
    ] {
        assert!(verdicts.contains(&want), "{want} in {verdicts:?}");
    }
    assert_eq!(rows[6][1], hex(&nth_uid(8006)));
    let list = ok(&w.env, &["--json", "audit", "list"]);
    assert_eq!(list[0]["store"], "门店 1001 南山店", "{list}");
    assert!(list[0]["finished_at"].is_number(), "{list}");

    // 换标签: the web-linked stand (8005) gets a new tag with its own link; no generate call.
    let calls = w.generate_calls();
    w.rig.put(ntag(8100));
    let r = ok(
        &w.env,
        &[
            "--json",
            "replace",
            "--old-uid",
            &hex(&nth_uid(8005)),
            "--reason",
            "tampered",
            "--lock",
            "--wait",
            "5",
        ],
    );
    assert_eq!(r["new_uid"], hex(&nth_uid(8100)), "{r}");
    assert_eq!(r["openlink"], e.as_str(), "{r}");
    assert_eq!(r["locked"], true, "{r}");
    assert!(
        link_on(&w.rig.memory(), &e),
        "the stand's own link is on the new tag"
    );
    assert_eq!(w.generate_calls(), calls, "换标签 spends no link");
    let retired = ok(&w.env, &["--json", "retired"]);
    assert_eq!(retired[0]["uid"], hex(&nth_uid(8005)), "{retired}");
    assert_eq!(retired[0]["replaced_by"], hex(&nth_uid(8100)), "{retired}");
    assert_eq!(retired[0]["reason"], "tampered", "{retired}");
    // The station knows the new tag: a tap for the store is "already correct", with no call.
    let new_tag = w.rig.tag().unwrap();
    let line = w.station_tap("1001");
    assert_eq!(line["result"], "already_correct", "{line}");
    assert_eq!(w.generate_calls(), calls);
    // The old tag tapped in an audit is recognised as retired.
    ok(&w.env, &["--json", "audit", "start", "--store", "1001"]);
    let v = w.tap(rewritten(8005, &web), &[]);
    assert_eq!(v["verdict"], "retired_tag", "{v}");
    let v = w.tap(new_tag.clone(), &[]);
    assert_eq!(v["verdict"], "ok", "{v}");
    // Replacing with the stand's own tag, or with a tag serving another stand, is refused untouched.
    let o = run(
        &w.env,
        &[
            "--json",
            "replace",
            "--old-uid",
            &hex(&nth_uid(8100)),
            "--wait",
            "5",
        ],
    );
    assert_eq!(error_code(&o), "stand.same_tag");
    w.rig.put(td.clone());
    let o = run(
        &w.env,
        &[
            "--json",
            "replace",
            "--old-uid",
            &hex(&nth_uid(8100)),
            "--wait",
            "5",
        ],
    );
    assert_eq!(error_code(&o), "stand.new_tag_in_use");
    assert!(
        link_on(&w.rig.memory(), &d),
        "refused: the tag was not touched"
    );

    // Re-point 福田店's stand (8004, unlocked) to 南山店: a new link over the tag, the old one retired.
    let q0 = ok(&w.env, &["--json", "wechat", "quota", "--profile", PROFILE]);
    let calls = w.generate_calls();
    let r = ok(
        &w.env,
        &[
            "--json",
            "repoint",
            "--profile",
            PROFILE,
            "--uid",
            &hex(&nth_uid(8004)),
            "--model",
            DEMO_MODEL_ID,
            "--store",
            "1001",
            "--wait",
            "5",
        ],
    );
    let new_link = r["openlink"].as_str().unwrap().to_string();
    assert_ne!(new_link, d);
    assert_eq!(r["old_openlink"], d.as_str(), "{r}");
    assert_eq!(r["sn"], format!("{}-R1", hex(&nth_uid(8004))), "{r}");
    assert!(r["warning_zh"].as_str().unwrap().contains("永远"), "{r}");
    assert!(link_on(&w.rig.memory(), &new_link));
    assert_eq!(w.generate_calls(), calls + 1, "one link for the re-point");
    let q1 = ok(&w.env, &["--json", "wechat", "quota", "--profile", PROFILE]);
    assert_eq!(
        q1["lifetime_issued"].as_i64().unwrap(),
        q0["lifetime_issued"].as_i64().unwrap() + 1,
        "the re-point's link is counted: {q0} {q1}"
    );
    // The station for 南山店 keeps the re-pointed link (no call); the old link, written back by someone,
    // is reported as retired.
    let line = w.station_tap("1001");
    assert_eq!(line["result"], "already_correct", "{line}");
    assert_eq!(w.generate_calls(), calls + 1);
    ok(&w.env, &["--json", "audit", "start", "--store", "1002"]);
    let v = w.tap(rewritten(8004, &d_msg), &[]);
    assert_eq!(v["verdict"], "retired_link", "{v}");
    // A locked stand cannot be re-pointed: refused before any link is spent.
    w.rig.put(ta);
    let o = run(
        &w.env,
        &[
            "--json",
            "repoint",
            "--profile",
            PROFILE,
            "--uid",
            &hex(&nth_uid(8001)),
            "--model",
            DEMO_MODEL_ID,
            "--store",
            "1002",
            "--wait",
            "5",
        ],
    );
    assert_eq!(error_code(&o), "stand.locked");
    assert_eq!(w.generate_calls(), calls + 1);
    w.fake.shutdown().await;
}

/// WeChat has 5 links left for this mini program (its lifetime counter is the fake's) and the ledger
/// knows the other 99,995: a generate of 6 is refused before any call, 5 go through, then 1 more is
/// refused (the ledger counts what this install issued).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generate_the_quota_cannot_cover_is_refused_before_any_call() {
    let Some(w) = world("cli: quota guard", 5).await else {
        return;
    };
    // The ledger of a mini program that has issued 99,995 links (through Tapstand, on any PC).
    let db_path = w.env.data.join(tapstand_store::DB_FILE_NAME);
    let py = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sqlite3,sys\n\
             db=sqlite3.connect(sys.argv[1])\n\
             db.execute(\"INSERT INTO scheme_ledger (appid, model_id, sn, env_version, state, openlink, created_at, updated_at) VALUES (?, 'old-model', 'OLD', 'release', 'issued', 'weixin://dl/business/?t=OLDLINK0001', 0, 0)\", (sys.argv[2],))\n\
             sid=db.execute('SELECT max(id) FROM scheme_ledger').fetchone()[0]\n\
             db.execute(\"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 99995) INSERT INTO scheme_calls (scheme_id, appid, started_at, finished_at, outcome, errcode) SELECT ?, ?, 0, 0, 'issued', 0 FROM n\", (sid, sys.argv[2]))\n\
             db.commit()",
        )
        .arg(&db_path)
        .arg(DEMO_APPID)
        .output()
        .unwrap();
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let gen = |n: &str| {
        run(
            &w.env,
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
                n,
                "--yes",
            ],
        )
    };
    let o = gen("6");
    assert_eq!(error_code(&o), "quota.lifetime_not_enough");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("只剩 5 个"), "{text}");
    assert_eq!(w.generate_calls(), 0, "refused before any WeChat call");
    let v = ok(
        &w.env,
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
            "5",
        ],
    );
    assert_eq!(v["generated"], 5, "{v}");
    assert_eq!(w.generate_calls(), 5);
    let o = gen("1");
    assert_eq!(error_code(&o), "quota.lifetime_not_enough");
    assert_eq!(
        w.generate_calls(),
        5,
        "the ledger now knows the quota is used up"
    );
    drop(w.rig);
}

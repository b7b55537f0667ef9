//! Kill sweep of one tag's first write: the real `tapstand-cli write` process, against the fake WeChat on
//! loopback (each generatenfcscheme answered after 300 ms), a real SQLite file, a real Secret Service and
//! the real pcscd + vpcd with the virtual tag at 10 ms per APDU, is killed with SIGKILL at moments spread
//! over the whole tap (before the call, during it, after the commit, during the page writes, during the
//! verification), then run again with the same tag on the reader.
//!
//! What must hold in every round: between the runs the tag holds its old content, nothing (an empty
//! message), or the complete new message — never a mix; the second run ends with the tag verified and
//! holding the openlink WeChat issued for its UID; no sn ever has two schemes at WeChat, counted from the
//! fake's log of *issued* schemes (every mint, never merged by sn).
//!
//! The sweep runs twice: with a WeChat whose 9800010 carries the existing link, and with one whose 9800010
//! comes back empty (reference §2.1). There a kill during the call loses the UID's link for good, and the
//! second run must still end with a verified tag: written with a derived sn (`<UID>-2`) recorded in the
//! ledger as derived from the UID — at most one scheme per sn, and a second scheme for the tag only when
//! the first was lost.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;
use tapstand_fake_wechat::{
    Action, Endpoint as FE, ExistingSchemeEcho, FakeConfig, FakeWechat, DEMO_APPID, DEMO_MODEL_ID,
    DEMO_SECRET,
};
use tapstand_store::ledger::SchemeState;
use tapstand_store::Db;
use tapstand_tag::ndef::wechat::{uri_and_aar, wechat_message};
use tapstand_vtag::rig::{content, Content};
use tapstand_vtag::{nth_uid, Rig, TagState, VChip};

mod support;
use support::{pipe_secret_until_ok, CliEnv, Keyring};

const PROFILE: &str = "kill";
const OLD_URI: &str = "https://example.com/old-stand";
/// Kill moments by time, spread from process start to the end of the WeChat call.
const TIMED_ROUNDS: u32 = 12;
/// Kill moments by the tag's APDU count, spread over every APDU of the tap (the read before the call,
/// the page writes, the read-back verification).
const APDU_ROUNDS: u32 = 16;

/// When a round kills the process.
#[derive(Clone, Copy, Debug)]
enum Kill {
    At(Duration),
    AtApdu(u32),
}

trait WriteKill {
    fn ok(&self, args: &[&str]) -> Output;
    fn write_cmd(&self) -> Command;
}

impl WriteKill for CliEnv {
    fn ok(&self, args: &[&str]) -> Output {
        let o = self.run(args, &[]);
        assert!(
            o.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        o
    }

    fn write_cmd(&self) -> Command {
        self.cmd(
            &[
                "--json",
                "write",
                "--profile",
                PROFILE,
                "--model",
                DEMO_MODEL_ID,
                "--all-stores-target",
                "--count",
                "1",
                "--yes",
            ],
            &[],
        )
    }
}

fn hex(uid: &[u8; 7]) -> String {
    uid.iter().map(|b| format!("{b:02X}")).collect()
}

fn old_tag(uid: [u8; 7]) -> TagState {
    let m = uri_and_aar(OLD_URI, None).encode().unwrap();
    TagState::with_message(VChip::Ntag215, uid, &m)
}

/// What the tag holds, in the three words the rule allows (anything else fails the test).
fn classify(mem: &[u8], old: &[u8], new: Option<&[u8]>) -> &'static str {
    match content(mem) {
        Content::Message(b) if b == old => "old",
        Content::Message(b) if Some(b.as_slice()) == new => "new",
        Content::Empty => "empty",
        other => {
            panic!("the tag holds neither its old content, nothing, nor the new message: {other:?}")
        }
    }
}

/// The per-tag line of a `write --json` run.
fn tag_line(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v.get("result").is_some())
        .unwrap_or_else(|| {
            panic!(
                "no tag line in: {text}\nstderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
}

async fn ledger_state(db_path: &Path, sn: &str) -> Option<SchemeState> {
    let db = Db::open(db_path).await.unwrap();
    let s = db
        .scheme_find(DEMO_MODEL_ID, sn)
        .await
        .unwrap()
        .map(|r| r.state);
    db.close().await;
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_anywhere_in_a_first_write_then_run_again() {
    sweep(ExistingSchemeEcho::Full).await;
}

/// WeChat's 9800010 without the link: every round still ends with a verified tag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_anywhere_when_9800010_comes_back_empty() {
    sweep(ExistingSchemeEcho::Empty).await;
}

async fn sweep(echo: ExistingSchemeEcho) {
    let Some(mut rig) = Rig::start(&format!("cli: write kill sweep ({echo:?})")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(keyring) = Keyring::start(dir.path()) else {
        return;
    };
    let mut config = FakeConfig::demo();
    config.limits.nfc_per_second = 1000;
    config.existing_scheme_echo = echo;
    let fake = FakeWechat::start(config).await.unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let db_path = data.join(tapstand_store::DB_FILE_NAME);
    let env = CliEnv {
        data,
        base_url: fake.base_url(),
        keyring,
    };

    env.ok(&[
        "profile",
        "add",
        "--name",
        PROFILE,
        "--appid",
        DEMO_APPID,
        "--page",
        "pages/member/card",
        "--query",
        "sn={sn}",
    ]);
    pipe_secret_until_ok(
        || {
            env.cmd(
                &["--json", "profile", "set-secret", "--profile", PROFILE],
                &[],
            )
        },
        DEMO_SECRET,
    );
    env.ok(&[
        "model",
        "add",
        "--name",
        "KILL-NTAG215",
        "--model-id",
        DEMO_MODEL_ID,
        "--status",
        "approved",
        "--profile",
        PROFILE,
    ]);

    // WeChat answers every generate call after 300 ms; the tag takes 10 ms per APDU.
    fake.inject(FE::GenerateNfcScheme, 10_000, Action::Delay { ms: 300 });
    rig.set_latency(Duration::from_millis(10));
    let old = uri_and_aar(OLD_URI, None).encode().unwrap();

    // Calibration: one whole first write, from spawn to exit: its duration, when the WeChat call ended
    // (the fake's log), and how many APDUs the tag saw.
    let uid0 = nth_uid(9_000);
    rig.put(old_tag(uid0));
    let t0 = Instant::now();
    let out = env.write_cmd().output().unwrap();
    let full = t0.elapsed();
    let line = tag_line(&out);
    assert_eq!(line["result"], "written", "{line}");
    let apdus_total = rig.apdus();
    eprintln!(
        "one first write: {} ms from process start to exit, {apdus_total} APDUs",
        full.as_millis()
    );
    let mut kills: Vec<Kill> = (1..=TIMED_ROUNDS)
        .map(|k| Kill::At(full.mul_f64(f64::from(k) / f64::from(TIMED_ROUNDS + 1))))
        .collect();
    kills.extend(
        // Up to the very last APDU: the read-back that verifies the committed message.
        (1..=APDU_ROUNDS).map(|k| Kill::AtApdu((apdus_total * k).div_ceil(APDU_ROUNDS))),
    );
    assert!(kills.len() >= 20);

    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    for (i, kill) in kills.iter().enumerate() {
        let k = i as u32 + 1;
        let uid = nth_uid(9_000 + k);
        let sn = hex(&uid);
        rig.put(old_tag(uid));
        let mut child = env.write_cmd().spawn().unwrap();
        let started = Instant::now();
        match *kill {
            Kill::At(at) => std::thread::sleep(at),
            Kill::AtApdu(n) => {
                while rig.apdus() < n && started.elapsed() < Duration::from_secs(10) {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
        // SIGKILL: no destructors, no flushing.
        let _ = child.kill();
        let killed = child.wait_with_output().unwrap();
        let at = match *kill {
            Kill::At(d) => format!("{:4} ms", d.as_millis()),
            Kill::AtApdu(n) => format!("APDU {n:2} ({:4} ms)", started.elapsed().as_millis()),
        };

        let link_now = fake
            .schemes()
            .into_iter()
            .find(|s| s.sn.as_deref() == Some(sn.as_str()))
            .map(|s| s.openlink);
        let new_msg = link_now
            .as_deref()
            .map(|l| wechat_message(l).unwrap().encode().unwrap());
        let between = classify(&rig.memory(), &old, new_msg.as_deref());
        let ledger = ledger_state(&db_path, &sn).await;
        let finished_first = killed.status.success();
        let phase = format!(
            "ledger {} / tag {between}{}",
            ledger.map(|s| s.as_str()).unwrap_or("none"),
            if finished_first {
                " (finished before the kill)"
            } else {
                ""
            }
        );
        eprintln!("round {k:2}: killed at {at}: {phase}");
        *seen.entry(phase).or_default() += 1;

        // Run again with the same tag on the reader.
        let out = env.write_cmd().output().unwrap();
        let line = tag_line(&out);
        assert!(
            line["result"] == "written" || line["result"] == "already_correct",
            "round {k}: second run: {line}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // What WeChat issued for this tag, from the fake's log of issues (every mint): its own sn and any
        // sn derived from it.
        let derived_prefix = format!("{sn}-");
        let issued: Vec<_> = fake
            .issued()
            .into_iter()
            .filter(|s| {
                s.sn.as_deref()
                    .is_some_and(|x| x == sn || x.starts_with(&derived_prefix))
            })
            .collect();
        let mut per_sn: BTreeMap<String, u32> = BTreeMap::new();
        for s in &issued {
            *per_sn.entry(s.sn.clone().unwrap_or_default()).or_default() += 1;
        }
        assert!(
            per_sn.values().all(|&n| n == 1),
            "round {k}: WeChat issued an sn twice: {per_sn:?}"
        );
        let own = ledger_state(&db_path, &sn).await;
        let lost = matches!(own, Some(SchemeState::Lost));
        match echo {
            ExistingSchemeEcho::Full => assert_eq!(issued.len(), 1, "round {k}: {issued:?}"),
            // A second scheme for the tag only when its first was lost (issued, never returned).
            ExistingSchemeEcho::Empty => assert_eq!(
                issued.len(),
                if lost { 2 } else { 1 },
                "round {k}: ledger {own:?}: {issued:?}"
            ),
        }
        let written_sn = line["sn"].as_str().unwrap().to_string();
        let link = &issued
            .iter()
            .find(|s| s.sn.as_deref() == Some(written_sn.as_str()))
            .unwrap_or_else(|| panic!("round {k}: the tag's sn {written_sn} was never issued"))
            .openlink;
        assert_eq!(line["openlink"], link.as_str(), "round {k}");
        let want = wechat_message(link).unwrap().encode().unwrap();
        assert_eq!(
            content(&rig.memory()),
            Content::Message(want),
            "round {k}: the tag holds the link WeChat issued for its UID"
        );
        assert_eq!(
            ledger_state(&db_path, &written_sn)
                .await
                .map(|s| s.has_openlink()),
            Some(true),
            "round {k}: the ledger holds the link"
        );
        if written_sn != sn {
            assert!(lost, "round {k}: a derived sn although {sn} was {own:?}");
            assert_eq!(written_sn, format!("{sn}-2"), "round {k}");
            assert_eq!(line["scheme_source"], "derived", "round {k}: {line}");
            let db = Db::open(&db_path).await.unwrap();
            let d = db
                .scheme_derived(DEMO_MODEL_ID, &written_sn)
                .await
                .unwrap()
                .expect("recorded as derived");
            db.close().await;
            assert_eq!(
                (d.derived_from.as_str(), d.reason.as_str()),
                (sn.as_str(), "lost")
            );
            *seen.entry("derived sn".into()).or_default() += 1;
        }
        // A third run: the tag is already correct, no call (the derived row is found in the ledger). Only
        // where a derived sn is in play: the plain ledger hit is the station tests' business.
        if written_sn == sn {
            continue;
        }
        let calls = fake.calls(FE::GenerateNfcScheme).len();
        let again = tag_line(&env.write_cmd().output().unwrap());
        assert_eq!(again["result"], "already_correct", "round {k}: {again}");
        assert_eq!(fake.calls(FE::GenerateNfcScheme).len(), calls, "round {k}");
    }
    eprintln!("where the kills landed: {seen:#?}");
    // The sweep must really cover the tap: kills before the call, during it (in flight: the owner died),
    // while the tag was being written (empty) and once it held the new message (verification).
    let landed = |f: &dyn Fn(&str) -> bool| {
        seen.iter()
            .filter(|(p, _)| f(p))
            .map(|(_, n)| n)
            .sum::<u32>()
    };
    assert!(
        landed(&|p| p.starts_with("ledger none")
            || p.starts_with("ledger pending")
            || p.starts_with("ledger in_flight"))
            > 0,
        "{seen:?}"
    );
    assert!(
        landed(&|p| p.starts_with("ledger in_flight")) > 0,
        "{seen:?}"
    );
    assert!(landed(&|p| p.contains("tag empty")) > 0, "{seen:?}");
    assert!(
        landed(&|p| p.starts_with("ledger issued / tag new") && !p.contains("finished")) > 0,
        "a kill during the verification: {seen:?}"
    );
    if echo == ExistingSchemeEcho::Empty {
        assert!(
            landed(&|p| p == "derived sn") > 0,
            "the empty 9800010 was never met: {seen:?}"
        );
    }
    rig.take_away();
}

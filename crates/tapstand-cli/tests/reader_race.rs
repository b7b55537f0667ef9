//! Two programs on one reader: two real `tapstand-cli write-ndef` processes started at the same moment on
//! one virtual tag (the real pcscd + vpcd, the tag answering slowly so that the two runs overlap), round
//! after round, each process writing its own WeChat message.
//!
//! What must hold in every round: the tag ends holding exactly one of the two messages, complete and valid
//! (read back through `tapstand-cli inspect`), and it is the message of the run that finished last among
//! those that reported success; every run either wrote and verified its own message (after waiting for
//! the other to let go of the card) or said plainly that the reader is busy (`tag.reader_busy`) and left
//! the tag alone. Never a mix of the two, never a failed verification, never a reset under the writer.
//!
//! Two speeds: in "wait" rounds one write takes well under `BUSY_WAIT`, so the second run must wait its
//! turn and write too; in "busy" rounds one write takes longer than `BUSY_WAIT`, so the second run must
//! give up with the busy error.
#![cfg(unix)]

use std::process::{Child, Output};
use std::time::{Duration, Instant};

use serde_json::Value;
use tapstand_tag::ndef::wechat::{uri_and_aar, wechat_message};
use tapstand_tag::pcsc_io::BUSY_WAIT;
use tapstand_vtag::rig::{content, Content};
use tapstand_vtag::{nth_uid, Rig, TagState, VChip};

mod support;
use support::{CliEnv, Keyring};

/// Rounds where the second run has to wait and then write its own message.
const WAIT_ROUNDS: u32 = 12;
/// Rounds where the first run holds the card for longer than `BUSY_WAIT`.
const BUSY_ROUNDS: u32 = 4;

/// Two different WeChat links (different lengths, so a mix of the two cannot look like either).
const LINK_A: &str = "weixin://dl/business/?t=RaceAAAAAAAA";
const LINK_B: &str = "weixin://dl/business/?t=RaceBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
const OLD_URI: &str = "https://example.com/old-stand";

fn write_cmd(env: &CliEnv, link: &str) -> std::process::Command {
    env.cmd(&["--json", "write-ndef", "--uri", link, "--wait", "5"], &[])
}

/// Waits for both children, noting when each one exited (polled every millisecond).
fn wait_both(mut a: Child, mut b: Child) -> [(Output, Instant); 2] {
    let mut ended: [Option<Instant>; 2] = [None, None];
    let deadline = Instant::now() + Duration::from_secs(60);
    while ended.iter().any(Option::is_none) {
        for (i, c) in [&mut a, &mut b].into_iter().enumerate() {
            if ended[i].is_none() && c.try_wait().unwrap().is_some() {
                ended[i] = Some(Instant::now());
            }
        }
        assert!(Instant::now() < deadline, "a write-ndef run hangs");
        std::thread::sleep(Duration::from_millis(1));
    }
    [
        (a.wait_with_output().unwrap(), ended[0].unwrap()),
        (b.wait_with_output().unwrap(), ended[1].unwrap()),
    ]
}

/// How one run ended.
#[derive(Debug, PartialEq, Eq)]
enum Run {
    /// Written and verified (the JSON WriteReport).
    Written,
    /// Refused with `tag.reader_busy`, tag untouched.
    Busy,
}

fn run_result(o: &Output, link: &str) -> Run {
    let text = String::from_utf8_lossy(&o.stdout);
    let v: Value = serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!(
            "run for {link}: no JSON ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    if o.status.success() {
        assert!(v["uid"].is_string() && v["unchanged"] == false, "{v}");
        return Run::Written;
    }
    assert_eq!(
        v["error"]["code"],
        "tag.reader_busy",
        "run for {link} failed otherwise than 'reader busy': {v}\nstderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let zh = v["error"]["zh"]["message"].as_str().unwrap_or_default();
    assert!(zh.contains("另一个 Tapstand 窗口或其他程序"), "{v}");
    Run::Busy
}

#[test]
fn two_programs_writing_one_tag_at_once_leave_one_whole_message() {
    let Some(mut rig) = Rig::start("cli: two write-ndef runs on one tag") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(keyring) = Keyring::start(dir.path()) else {
        return;
    };
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let env = CliEnv {
        data,
        // write-ndef and inspect do not talk to WeChat.
        base_url: "http://127.0.0.1:9".into(),
        keyring,
    };
    let msg_a = wechat_message(LINK_A).unwrap().encode().unwrap();
    let msg_b = wechat_message(LINK_B).unwrap().encode().unwrap();
    let old = uri_and_aar(OLD_URI, None).encode().unwrap();

    // Calibration: how many APDUs one write of the longer message takes.
    rig.set_latency(Duration::ZERO);
    rig.put(TagState::with_message(VChip::Ntag215, nth_uid(7_000), &old));
    let before = rig.apdus();
    let o = write_cmd(&env, LINK_B).output().unwrap();
    assert_eq!(run_result(&o, LINK_B), Run::Written);
    let per_write = (rig.apdus() - before).max(1);
    // "wait" rounds: one write takes about a fifth of BUSY_WAIT; "busy" rounds: about 1.6 × BUSY_WAIT.
    let fast = (BUSY_WAIT / 5) / per_write;
    let slow = BUSY_WAIT.mul_f64(1.6) / per_write;
    eprintln!(
        "one write: {per_write} APDUs; wait rounds at {} ms per APDU, busy rounds at {} ms",
        fast.as_millis(),
        slow.as_millis()
    );

    let (mut waited, mut busy) = (0u32, 0u32);
    for round in 0..WAIT_ROUNDS + BUSY_ROUNDS {
        let slow_round = round >= WAIT_ROUNDS;
        rig.set_latency(if slow_round { slow } else { fast });
        let uid = nth_uid(7_001 + round);
        rig.put(TagState::with_message(VChip::Ntag215, uid, &old));

        // Alternate which one is spawned first.
        let (first, second) = if round % 2 == 0 {
            (LINK_A, LINK_B)
        } else {
            (LINK_B, LINK_A)
        };
        let mut c1 = write_cmd(&env, first);
        let mut c2 = write_cmd(&env, second);
        let p1 = c1.spawn().unwrap();
        let p2 = c2.spawn().unwrap();
        let [(o1, t1), (o2, t2)] = wait_both(p1, p2);
        let r1 = run_result(&o1, first);
        let r2 = run_result(&o2, second);

        let mem = rig.memory();
        let on_tag = match content(&mem) {
            Content::Message(b) if b == msg_a => LINK_A,
            Content::Message(b) if b == msg_b => LINK_B,
            other => panic!(
                "round {round}: the tag holds neither message whole: {other:?} ({r1:?}, {r2:?})"
            ),
        };
        // The last successful writer's message is the one on the tag.
        let expected = match (&r1, &r2) {
            (Run::Written, Run::Written) => {
                if t1 > t2 {
                    first
                } else {
                    second
                }
            }
            (Run::Written, Run::Busy) => first,
            (Run::Busy, Run::Written) => second,
            (Run::Busy, Run::Busy) => panic!("round {round}: both runs said busy"),
        };
        assert_eq!(
            on_tag, expected,
            "round {round}: the tag holds the message of a run that did not finish last ({r1:?}, {r2:?})"
        );
        // Read back through the CLI, as a merchant would check it.
        let latency = if slow_round { slow } else { fast };
        rig.set_latency(Duration::ZERO);
        let insp = env.run(&["--json", "inspect", "--wait", "5"], &[]);
        assert!(insp.status.success(), "{insp:?}");
        let v: Value = serde_json::from_slice(&insp.stdout).unwrap();
        assert_eq!(v["wechat"]["valid"], true, "round {round}: {v}");
        assert_eq!(v["wechat"]["scheme"], expected, "round {round}: {v}");
        let both = r1 == Run::Written && r2 == Run::Written;
        if slow_round {
            assert!(
                !both,
                "round {round}: a write of {} ms per APDU outlasted BUSY_WAIT, yet the second run wrote too",
                latency.as_millis()
            );
            busy += 1;
        } else {
            assert!(
                both,
                "round {round}: a short write, yet the second run did not wait its turn ({r1:?}, {r2:?})"
            );
            waited += 1;
        }
        rig.take_away();
    }
    eprintln!(
        "{} rounds: {waited} where the second run waited and wrote its own message, {busy} where it said 'reader busy'; every round one whole verified message",
        WAIT_ROUNDS + BUSY_ROUNDS
    );
}

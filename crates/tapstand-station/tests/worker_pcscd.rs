//! The station's continuous loop on its own thread (as the desktop app runs it), through the real pcsc-lite
//! daemon + vsmartcard vpcd + the virtual tag, the in-process fake WeChat and a real SQLite file: tags are
//! put down and taken away while the loop runs, never driven one run per tag.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{message_bytes, Env, Rig};
use tapstand_station::worker::{StationPhase, StationStatus, StationWorker};
use tapstand_station::{StationEvent, StationOptions, TapResult};
use tapstand_tag::ndef::wechat_message;
use tapstand_vtag::{nth_uid, TagState, VChip};

fn uid_hex(uid: [u8; 7]) -> String {
    uid.iter().map(|b| format!("{b:02X}")).collect()
}

type Seen = Arc<Mutex<Vec<(StationEvent, StationStatus)>>>;

fn spawn(env: &Env, opts: StationOptions) -> (StationWorker, Seen) {
    let seen: Seen = Arc::default();
    let s2 = seen.clone();
    let w = StationWorker::spawn(
        env.station(opts),
        None,
        Arc::new(move |e, s| s2.lock().unwrap().push((e.clone(), s.clone()))),
    )
    .expect("spawn");
    (w, seen)
}

/// Waits until the status satisfies `f`.
fn wait_for(w: &StationWorker, what: &str, f: impl Fn(&StationStatus) -> bool) -> StationStatus {
    common::wait_status(w, what, Duration::from_secs(15), f)
}

#[test]
fn continuous_loop_five_tags_same_tag_and_confirmation() {
    let Some(mut rig) = Rig::start("station worker: continuous loop") else {
        return;
    };
    let env = Env::new();
    let (w, seen) = spawn(
        &env,
        StationOptions {
            operator: "小李".into(),
            ..Default::default()
        },
    );
    wait_for(&w, "waiting", |s| s.phase == StationPhase::Waiting);

    // Five tags in a row while the loop keeps running.
    let mut links = Vec::new();
    for i in 0..5u32 {
        let uid = nth_uid(500 + i);
        rig.put(TagState::factory(VChip::Ntag215, uid));
        let s = wait_for(&w, "tag done", |s| {
            s.summary.written == i + 1 && s.phase == StationPhase::RemoveTag
        });
        let o = &s.recent[0];
        assert_eq!(o.result, TapResult::Written, "{o:?}");
        assert_eq!(o.attempt.uid, uid_hex(uid));
        assert_eq!(o.attempt.operator, "小李");
        let link = o.attempt.openlink.clone().unwrap();
        assert_eq!(
            message_bytes(&rig.memory()),
            Some(wechat_message(&link).unwrap().encode().unwrap())
        );
        links.push((uid, link));
        rig.take_away();
        wait_for(&w, "waiting again", |s| s.phase == StationPhase::Waiting);
    }
    assert_eq!(env.generates(), 5);

    // The same tag again: recognised, counted, not rewritten, no API call.
    let (uid0, link0) = links[0].clone();
    let msg = wechat_message(&link0).unwrap().encode().unwrap();
    rig.put(TagState::with_message(VChip::Ntag215, uid0, &msg));
    let s = wait_for(&w, "already correct", |s| s.summary.already_correct == 1);
    assert_eq!(s.recent[0].result, TapResult::AlreadyCorrect);
    assert_eq!(env.generates(), 5);
    rig.take_away();
    wait_for(&w, "waiting", |s| s.phase == StationPhase::Waiting);

    // A tag holding another tag's link: the loop asks and waits; "overwrite" writes this tag's own link.
    let uid_new = nth_uid(600);
    let other = wechat_message(&links[1].1).unwrap().encode().unwrap();
    rig.put(TagState::with_message(VChip::Ntag213, uid_new, &other));
    let s = wait_for(&w, "confirmation asked", |s| {
        s.phase == StationPhase::Confirm
    });
    assert_eq!(s.pending.as_ref().unwrap().uid, uid_hex(uid_new));
    assert_eq!(
        s.pending.as_ref().unwrap().previous_scheme.as_deref(),
        Some(links[1].1.as_str())
    );
    // The question names whose link it is (this install wrote it, for 门店 1001 南山店, on another tag).
    let asked = s.recent[0].error.as_ref().expect("the question");
    assert_eq!(asked.code, "station.other_scheme");
    assert!(asked.zh.message.contains("南山店"), "{}", asked.zh.message);
    // Still asking a moment later; the tag is untouched.
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(w.status().phase, StationPhase::Confirm);
    assert_eq!(message_bytes(&rig.memory()), Some(other.clone()));
    w.decide("0000", true); // an answer for another tag is ignored
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(w.status().phase, StationPhase::Confirm);
    w.decide(&uid_hex(uid_new), true);
    let s = wait_for(&w, "overwritten", |s| s.summary.written == 6);
    let link_new = s.recent[0].attempt.openlink.clone().unwrap();
    assert_ne!(link_new, links[1].1);
    assert_eq!(
        message_bytes(&rig.memory()),
        Some(wechat_message(&link_new).unwrap().encode().unwrap())
    );
    assert_eq!(
        s.recent.len(),
        7,
        "the answered question is replaced by its result"
    );
    rig.take_away();
    wait_for(&w, "waiting", |s| s.phase == StationPhase::Waiting);

    // Another such tag, skipped: nothing written, counted as needing confirmation.
    let uid_skip = nth_uid(601);
    rig.put(TagState::with_message(VChip::Ntag213, uid_skip, &other));
    wait_for(&w, "confirmation asked", |s| {
        s.phase == StationPhase::Confirm
    });
    w.decide(&uid_hex(uid_skip), false);
    let s = wait_for(&w, "skipped", |s| s.summary.needs_confirmation == 1);
    assert_eq!(s.phase, StationPhase::RemoveTag);
    assert_eq!(message_bytes(&rig.memory()), Some(other.clone()));
    rig.take_away();

    // Stop: the thread ends and the status says so.
    let fin = w.stop();
    assert!(!fin.running);
    assert_eq!(fin.phase, StationPhase::Stopped);
    assert_eq!(fin.summary.written, 6);
    assert_eq!(fin.summary.failed, 0);
    // Every event carried a snapshot; the first announced waiting.
    let seen = seen.lock().unwrap();
    assert!(matches!(seen[0].0, StationEvent::WaitingForTag));
    assert!(seen.windows(2).all(|p| p[1].1.seq > p[0].1.seq));
}

#[test]
fn pcscd_going_away_is_a_missing_reader_and_the_loop_resumes() {
    let Some(mut rig) = Rig::start("station worker: reader unplugged") else {
        return;
    };
    let env = Env::new();
    let (w, _seen) = spawn(&env, StationOptions::default());
    wait_for(&w, "waiting", |s| s.phase == StationPhase::Waiting);
    // The reader goes away (on this machine: the PC/SC service with its virtual reader).
    rig.pcscd.stop();
    wait_for(&w, "reader missing", |s| {
        s.phase == StationPhase::ReaderMissing
    });
    rig.pcscd.restart(false).expect("pcscd back");
    wait_for(&w, "reader back", |s| s.phase == StationPhase::Waiting);
    let uid = nth_uid(700);
    rig.put(TagState::factory(VChip::Ntag216, uid));
    let s = wait_for(&w, "written after replug", |s| s.summary.written == 1);
    assert_eq!(s.recent[0].attempt.uid, uid_hex(uid));
    rig.take_away();
    drop(w);
}

/// Another program (here: a second PC/SC context of this test, as the CLI or another window would hold
/// it) has the card: the panel says the reader is busy and what to do, the tag is not touched and no
/// attempt is recorded; once the other program lets go, the same tag is written normally.
#[test]
fn a_card_held_by_another_program_is_a_problem_then_written() {
    let Some(mut rig) = Rig::start("station worker: card held by another program") else {
        return;
    };
    let env = Env::new();
    let uid = nth_uid(700);
    rig.put(TagState::factory(VChip::Ntag215, uid));
    let before = rig.memory();
    let mut other = tapstand_tag::Pcsc::new();
    let held = other
        .connect_waiting(rig.reader(), Duration::ZERO)
        .expect("hold the card");

    let t0 = Instant::now();
    let (w, seen) = spawn(&env, StationOptions::default());
    let s = wait_for(&w, "the busy problem", |s| s.phase == StationPhase::Problem);
    let shown = t0.elapsed();
    let problem = s.problem.expect("the problem");
    assert_eq!(problem.code, "tag.reader_busy");
    assert!(problem
        .zh
        .message
        .contains("另一个 Tapstand 窗口或其他程序"));
    assert!(!problem.zh.remedy.is_empty() && !problem.en.remedy.is_empty());
    // Shown after the station waited its turn for a while, not at once and not never.
    assert!(
        shown >= tapstand_tag::pcsc_io::BUSY_WAIT && shown < Duration::from_secs(10),
        "{shown:?}"
    );
    // Still busy a moment later: one problem on the panel, the tag untouched, nothing recorded.
    std::thread::sleep(Duration::from_millis(2500));
    let s = w.status();
    assert_eq!(s.phase, StationPhase::Problem);
    assert_eq!(s.summary.written + s.summary.failed, 0);
    assert_eq!(
        rig.memory(),
        before,
        "the station touched a card it does not hold"
    );
    let problems = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(e, _)| matches!(e, StationEvent::Problem { .. }))
        .count();
    assert_eq!(
        problems, 1,
        "the busy reader is said once, not once per retry"
    );
    assert_eq!(env.generates(), 0);

    // The other program lets go: the same tag is written and verified.
    drop(held);
    let s = wait_for(&w, "written after the hold", |s| s.summary.written == 1);
    let o = &s.recent[0];
    assert_eq!(o.result, TapResult::Written, "{o:?}");
    assert_eq!(o.attempt.uid, uid_hex(uid));
    let link = o.attempt.openlink.clone().unwrap();
    assert_eq!(
        message_bytes(&rig.memory()),
        Some(wechat_message(&link).unwrap().encode().unwrap())
    );
    let stopped = w.stop();
    assert_eq!(stopped.summary.written, 1);
}

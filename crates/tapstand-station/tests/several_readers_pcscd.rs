//! The station never goes quiet: two readers, each with a tag, through the real pcsc-lite daemon (vpcd's two
//! virtual readers, "Virtual PCD 00 00" and "00 01"). Nothing is written while it cannot know which tag is
//! meant; the panel says so within 2 s, with what to do; taking one tag away lets the other be written.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{message_bytes, wait_status as wait_for, Env, Rig};
use tapstand_station::worker::{StationPhase, StationWorker};
use tapstand_station::{StationOptions, TapResult};
use tapstand_tag::ndef::wechat_message;
use tapstand_vtag::{nth_uid, TagState, VChip, VirtualTag, VPCD_PORT};

#[test]
fn tags_on_two_readers_are_on_the_panel_and_nothing_is_written() {
    let Some(mut rig) = Rig::start("station: tags on two readers") else {
        return;
    };
    // vpcd's second virtual reader listens on the next port.
    let second = VirtualTag::start(VPCD_PORT + 1);
    let env = Env::new();
    let (a, b) = (nth_uid(700), nth_uid(701));
    rig.put(TagState::factory(VChip::Ntag215, a));
    second.insert(TagState::factory(VChip::Ntag213, b));
    let blank_a = TagState::factory(VChip::Ntag215, a).mem;
    let blank_b = TagState::factory(VChip::Ntag213, b).mem;
    // Both readers must report their tag before the station looks (vpcd connects in the background).
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut pcsc = tapstand_tag::Pcsc::new();
    loop {
        let with_tag = pcsc
            .readers()
            .unwrap()
            .iter()
            .filter(|r| r.tag_present)
            .count();
        if with_tag == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "pcscd does not show two readers with a tag: {:?}",
            pcsc.readers()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let started = Instant::now();
    let w = StationWorker::spawn(
        env.station(StationOptions::default()),
        None,
        Arc::new(|_, _| {}),
    )
    .expect("spawn");
    let s = wait_for(&w, "problem on the panel", Duration::from_secs(2), |s| {
        s.phase == StationPhase::Problem
    });
    let problem = s.problem.expect("the problem is on the panel");
    assert_eq!(problem.code, "tag.several_readers", "{problem:?}");
    let zh = format!("{} {}", problem.zh.message, problem.zh.remedy);
    assert!(zh.contains("只在一个读卡器"), "says what to do: {zh}");
    eprintln!(
        "problem shown after {:?}: {}",
        started.elapsed(),
        problem.zh.message
    );
    // It stays on the panel, and nothing is written to either tag while both are there.
    std::thread::sleep(Duration::from_millis(800));
    let s = w.status();
    assert_eq!(s.phase, StationPhase::Problem);
    assert_eq!(s.summary.written + s.summary.failed, 0);
    assert_eq!(rig.memory(), blank_a);
    assert_eq!(second.tag().unwrap().mem, blank_b);
    assert_eq!(env.generates(), 0);

    // One tag taken away: the other one is written, and the problem is gone.
    second.remove();
    let s = wait_for(
        &w,
        "the remaining tag written",
        Duration::from_secs(15),
        |s| s.summary.written == 1 && s.phase == StationPhase::RemoveTag,
    );
    assert!(s.problem.is_none(), "{s:#?}");
    let o = &s.recent[0];
    assert_eq!(o.result, TapResult::Written);
    let link = o.attempt.openlink.clone().unwrap();
    assert_eq!(
        message_bytes(&rig.memory()),
        Some(wechat_message(&link).unwrap().encode().unwrap())
    );
    assert_eq!(second.tag().unwrap().mem, blank_b, "the tag taken away");
    w.stop();
}

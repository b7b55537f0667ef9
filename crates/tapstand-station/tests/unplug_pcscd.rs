//! The continuous station loop while the reader is unplugged and plugged back in (the shared rig restarts
//! pcscd without, then with, the virtual reader). Skipped without pcscd/vpcd, or when the pcscd in use
//! was not started by the rig (it cannot be restarted then).

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use common::{message_bytes, Env, Rig};
use tapstand_station::{StationEvent, StationOptions, TapResult};
use tapstand_tag::ndef::wechat_message;
use tapstand_tag::Pcsc;
use tapstand_vtag::{nth_uid, TagState, VChip};

fn wait_for(
    rx: &mpsc::Receiver<StationEvent>,
    what: &str,
    f: impl Fn(&StationEvent) -> bool,
) -> StationEvent {
    common::wait_event(rx, what, Duration::from_secs(15), f)
}

#[test]
fn reader_unplugged_then_replugged_and_the_loop_goes_on() {
    let Some(mut rig) = Rig::start("station: reader unplugged and replugged") else {
        return;
    };
    if !rig.can_unplug() {
        tapstand_vtag::pcscd::skip_or_fail(
            "station: reader unplugged and replugged",
            "pcscd was started by someone else, the rig cannot unplug its reader",
        );
        return;
    }
    let env = Env::new();
    let (tx, rx) = mpsc::channel::<StationEvent>();
    let tx = std::sync::Mutex::new(tx);
    let station = env
        .station(StationOptions::default())
        .with_events(Arc::new(move |e| {
            let _ = tx.lock().unwrap().send(e.clone());
        }));
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    std::thread::scope(|s| {
        let h = s.spawn(move || {
            let mut pcsc = Pcsc::new();
            station.run(&mut pcsc, None, &stop2, Some(1))
        });
        wait_for(&rx, "WaitingForTag", |e| {
            matches!(e, StationEvent::WaitingForTag)
        });
        rig.unplug().unwrap();
        wait_for(&rx, "ReaderUnplugged", |e| {
            matches!(e, StationEvent::ReaderUnplugged)
        });
        // A tag put on the unplugged reader is only seen once the reader is back.
        let uid = nth_uid(600);
        rig.put(TagState::factory(VChip::Ntag213, uid));
        rig.replug().unwrap();
        wait_for(&rx, "ReaderBack", |e| matches!(e, StationEvent::ReaderBack));
        let done = wait_for(&rx, "Done", |e| matches!(e, StationEvent::Done { .. }));
        let StationEvent::Done { outcome } = done else {
            unreachable!()
        };
        assert_eq!(outcome.result, TapResult::Written, "{outcome:?}");
        let link = outcome.attempt.openlink.clone().unwrap();
        assert_eq!(
            message_bytes(&rig.memory()),
            Some(wechat_message(&link).unwrap().encode().unwrap())
        );
        rig.take_away();
        let sum = h.join().unwrap();
        assert_eq!(sum.written, 1);
        stop.store(true, Ordering::SeqCst);
    });
}

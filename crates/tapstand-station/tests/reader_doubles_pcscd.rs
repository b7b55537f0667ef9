//! Issue 23 at the write station: the reader doubles of `tapstand_vtag::readers` behind vpcd and the real
//! pcscd, each under its Linux name — the station writes and verifies the chips merchants buy through
//! each, and the reader's own light and beep say "done" / "failed" (the double records what it got).
//!
//! The ACR1252U family's escapes go through SCardControl, which vpcd's driver refuses: through pcscd
//! those readers stay quiet (as a reader that refuses must, without an error); the escapes each of them
//! receives are checked in-process in `tapstand_tag::feedback`'s tests.

mod common;

use std::sync::atomic::AtomicBool;

use common::{message_bytes, Env, Rig};
use tapstand_station::StationOptions;
use tapstand_tag::feedback::{
    ACR122_DETECT_BEEP_OFF, ACR122_DETECT_BEEP_ON, ACR122_DONE, ACR122_FAILED,
};
use tapstand_tag::Pcsc;
use tapstand_vtag::{nth_uid, ReaderModel, TagState, VChip};

#[test]
fn the_station_writes_through_each_reader_double_and_signals_on_the_reader() {
    let Some(mut rig) = Rig::start("station: reader doubles") else {
        return;
    };
    assert!(
        rig.can_unplug(),
        "renaming the reader needs a pcscd of its own"
    );
    let env = Env::new();
    let station = env.station(StationOptions {
        operator: "小王".into(),
        ..Default::default()
    });
    let stop = AtomicBool::new(false);
    let mut n = 3000;
    for model in ReaderModel::DOUBLES {
        rig.vt.set_model(model);
        let reader = rig.rename(Some(model.names()[2].1)).unwrap();
        rig.vt.clear_signals();
        let mut expected_signals: Vec<Vec<u8>> = Vec::new();
        let mut tap = |rig: &mut Rig, tag: TagState, ok: bool| {
            rig.put(tag);
            let before = rig.memory();
            let s = station.run(&mut Pcsc::new(), None, &stop, Some(1));
            let what = format!("{model:?} as {reader:?}");
            if ok {
                assert_eq!(s.written, 1, "{what}: {s:?}");
                assert!(message_bytes(&rig.memory()).is_some(), "{what}");
            } else {
                assert_eq!(s.failed, 1, "{what}: {s:?}");
                assert_eq!(rig.memory(), before, "{what}: a refused tag was changed");
            }
            if model == ReaderModel::Acr122u {
                expected_signals.extend([
                    ACR122_DETECT_BEEP_OFF.to_vec(),
                    if ok { ACR122_DONE } else { ACR122_FAILED }.to_vec(),
                    ACR122_DETECT_BEEP_ON.to_vec(),
                ]);
            }
        };
        for chip in [
            VChip::Ntag213,
            VChip::Ntag215,
            VChip::Ntag203,
            VChip::UltralightC,
            VChip::GenericType2,
        ] {
            n += 1;
            // The Feitian cannot reach past page 0F of an Ultralight C: a precise failure, nothing written.
            let ok = !(model == ReaderModel::FeitianR502 && chip == VChip::UltralightC);
            tap(&mut rig, TagState::factory(chip, nth_uid(n)), ok);
        }
        // A failure on every reader: a locked tag.
        n += 1;
        tap(
            &mut rig,
            TagState::factory(VChip::Ntag213, nth_uid(n)).locked(),
            false,
        );
        assert_eq!(rig.vt.signals(), expected_signals, "{model:?}");
        // The station gave the reader its beep on detection back when it stopped.
        assert!(rig.vt.beep_on_detect(), "{model:?}");
    }
    rig.rename(None).unwrap();
}

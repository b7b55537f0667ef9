//! The real station loop (`Station::run`, as the worker runs it) against scripted PC/SC doubles of the
//! three systems (`tapstand_tag::scripted`): Windows (WinSCard: no service before the first reader, the
//! service stops with the last one), macOS (CryptoTokenKit: no PnP, event counter always 0, its reader
//! names, no SHARE_DIRECT) and pcsc-lite. Real SQLite, in-process fake WeChat, the virtual tag firmware
//! as the card; no pcscd.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use common::{message_bytes, Env};
use tapstand_station::{StationEvent, StationOptions, StationSummary, TapOutcome, TapResult};
use tapstand_tag::apdu::hex_compact;
use tapstand_tag::error::no_service;
use tapstand_tag::ndef::wechat_message;
use tapstand_tag::scripted::{Personality, Script, ScriptedPcsc};
use tapstand_tag::PcscApi;
use tapstand_vtag::{nth_uid, TagState, VChip};

struct Events(mpsc::Receiver<StationEvent>);

impl Events {
    fn wait_for(&self, what: &str, f: impl Fn(&StationEvent) -> bool) -> StationEvent {
        common::wait_event(&self.0, what, Duration::from_secs(10), f)
    }

    fn done(&self) -> TapOutcome {
        match self.wait_for("Done", |e| matches!(e, StationEvent::Done { .. })) {
            StationEvent::Done { outcome } => *outcome,
            _ => unreachable!(),
        }
    }

    /// Every event of the next `d`.
    fn during(&self, d: Duration) -> Vec<StationEvent> {
        let deadline = Instant::now() + d;
        let mut v = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            if let Ok(e) = self.0.recv_timeout(left) {
                v.push(e);
            }
        }
        v
    }
}

fn tag(n: u32) -> TagState {
    TagState::factory(VChip::Ntag213, nth_uid(n))
}

/// The tag on `reader` holds exactly the message for `outcome`'s link.
fn assert_holds_its_link(script: &Script, reader: &str, outcome: &TapOutcome) {
    let link = outcome.attempt.openlink.clone().expect("a link");
    let mem = script.tag(reader).expect("a tag on the reader").mem;
    assert_eq!(
        message_bytes(&mem),
        Some(wechat_message(&link).unwrap().encode().unwrap()),
        "the tag does not hold its link"
    );
}

/// Runs the station loop on the double in a thread; `drive` scripts the world and reads the events.
fn with_loop(
    os: Personality,
    before: impl FnOnce(&Script),
    drive: impl FnOnce(&Env, &Script, &Events),
) -> StationSummary {
    let env = Env::new();
    let (tx, rx) = mpsc::channel::<StationEvent>();
    let tx = Mutex::new(tx);
    let station = env
        .station(StationOptions::default())
        .with_events(Arc::new(move |e| {
            let _ = tx.lock().unwrap().send(e.clone());
        }));
    let (mut pcsc, script) = ScriptedPcsc::new(os);
    before(&script);
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let h = s.spawn(|| station.run(&mut pcsc, None, &stop, None));
        // A failed assertion in `drive` stops the loop too (the scope joins it).
        struct StopOnDrop<'a>(&'a AtomicBool);
        impl Drop for StopOnDrop<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        let guard = StopOnDrop(&stop);
        drive(&env, &script, &Events(rx));
        drop(guard);
        h.join().unwrap()
    })
}

/// Written and verified; a tag left on the reader not rewritten; a quick swap seen as a second tag; the
/// first tag back counted as already correct; the reader unplugged and back, the loop going on.
fn the_tap_loop_on(os: Personality) {
    let sum = with_loop(
        os,
        |_| {},
        |env, script, ev| {
            let reader = script.plug();
            ev.wait_for("WaitingForTag", |e| {
                matches!(e, StationEvent::WaitingForTag)
            });

            // 1. A tag: written and verified.
            script.put(&reader, tag(1));
            let a = ev.done();
            assert_eq!(a.result, TapResult::Written, "{os:?}: {a:?}");
            assert_eq!(a.attempt.reader, reader);
            assert_eq!(a.attempt.uid, hex_compact(&nth_uid(1)));
            assert_holds_its_link(script, &reader, &a);

            // 2. Left on the reader: not processed again.
            let quiet = ev.during(Duration::from_millis(1200));
            assert!(
                !quiet.iter().any(|e| matches!(e, StationEvent::Done { .. })),
                "{os:?}: a tag left on the reader was processed again: {quiet:?}"
            );
            assert_eq!(env.generates(), 1);

            // 3. A quick swap (the field never seen empty): a second tag.
            let first = script.swap(&reader, tag(2)).expect("the first tag");
            let b = ev.done();
            assert_eq!(b.result, TapResult::Written, "{os:?}: {b:?}");
            assert_eq!(b.attempt.uid, hex_compact(&nth_uid(2)));
            assert_ne!(a.attempt.openlink, b.attempt.openlink);
            assert_holds_its_link(script, &reader, &b);

            // 4. The first tag back (another quick swap): already correct, not rewritten.
            script.swap(&reader, first);
            let again = ev.done();
            assert_eq!(again.result, TapResult::AlreadyCorrect, "{os:?}: {again:?}");
            assert_eq!(again.attempt.uid, a.attempt.uid);
            assert_eq!(env.generates(), 2, "no new link for a correct tag");

            // 5. The reader unplugged (tag and all) and plugged back: the loop resumes.
            script.unplug(&reader);
            ev.wait_for("ReaderUnplugged", |e| {
                matches!(e, StationEvent::ReaderUnplugged)
            });
            script.replug(&reader);
            ev.wait_for("ReaderBack", |e| matches!(e, StationEvent::ReaderBack));
            script.put(&reader, tag(3));
            let c = ev.done();
            assert_eq!(c.result, TapResult::Written, "{os:?}: {c:?}");
            assert_holds_its_link(script, &reader, &c);
        },
    );
    assert_eq!(sum.written, 3, "{os:?}: {sum:?}");
    assert_eq!(sum.already_correct, 1, "{os:?}: {sum:?}");
    assert_eq!(sum.failed, 0, "{os:?}: {sum:?}");
}

#[test]
fn windows_tap_loop() {
    the_tap_loop_on(Personality::Windows);
}

#[test]
fn macos_tap_loop() {
    the_tap_loop_on(Personality::MacOs);
}

#[test]
fn pcsc_lite_tap_loop() {
    the_tap_loop_on(Personality::PcscLite);
}

fn is_windows_no_service(e: &StationEvent) -> bool {
    let want = no_service("windows");
    match e {
        StationEvent::Problem { error } => {
            assert_eq!(error.code, "tag.no_service");
            assert_eq!(error.zh, want.zh, "the Windows remedy, in Chinese");
            assert_eq!(error.en, want.en, "the Windows remedy, in English");
            true
        }
        _ => false,
    }
}

/// Windows: no Smart Card service before any reader was plugged in, and again after the last one is
/// unplugged; each time the panel says so with Windows' own remedy, and the loop resumes when a reader
/// comes.
#[test]
fn windows_service_absent_then_stopped_is_on_the_panel_with_its_remedy() {
    let sum = with_loop(
        Personality::Windows,
        |script| {
            // What the double answers before any reader: NO_SERVICE, as WinSCard does.
            let err = script.pcsc().readers().unwrap_err();
            assert!(
                matches!(err, tapstand_tag::TagError::NoService(_)),
                "{err:?}"
            );
        },
        |_env, script, ev| {
            ev.wait_for("ReaderUnplugged", |e| {
                matches!(e, StationEvent::ReaderUnplugged)
            });
            ev.wait_for("Problem tag.no_service (Windows)", is_windows_no_service);

            let reader = script.plug();
            ev.wait_for("ReaderBack", |e| matches!(e, StationEvent::ReaderBack));
            ev.wait_for("WaitingForTag", |e| {
                matches!(e, StationEvent::WaitingForTag)
            });
            script.put(&reader, tag(10));
            assert_eq!(ev.done().result, TapResult::Written);
            script.take_away(&reader);
            ev.wait_for("WaitingForTag", |e| {
                matches!(e, StationEvent::WaitingForTag)
            });

            // The last reader unplugged: the service stops (SERVICE_STOPPED, then NO_SERVICE).
            script.unplug(&reader);
            ev.wait_for("ReaderUnplugged", |e| {
                matches!(e, StationEvent::ReaderUnplugged)
            });
            ev.wait_for("Problem tag.no_service (Windows)", is_windows_no_service);

            script.replug(&reader);
            ev.wait_for("ReaderBack", |e| matches!(e, StationEvent::ReaderBack));
            script.put(&reader, tag(11));
            let o = ev.done();
            assert_eq!(o.result, TapResult::Written, "{o:?}");
            assert_holds_its_link(script, &reader, &o);
        },
    );
    assert_eq!(sum.written, 2, "{sum:?}");
    assert_eq!(sum.failed, 0, "{sum:?}");
}

/// macOS: what the double answers is what CryptoTokenKit does (the loop above ran against it): event
/// counter 0 whatever happens, its reader names, SHARE_DIRECT refused, no reader = an empty list.
#[test]
fn macos_double_answers_like_cryptotokenkit() {
    let (mut pcsc, script) = ScriptedPcsc::macos();
    assert_eq!(pcsc.readers().unwrap(), vec![]);
    assert_eq!(pcsc.os(), "macos");
    let reader = script.plug();
    assert_eq!(reader, "ACS ACR1252 1S CL Reader(1)");
    for n in 0..3 {
        script.put(&reader, tag(20 + n));
        let r = pcsc.readers().unwrap();
        assert!(r[0].tag_present);
        assert_eq!(r[0].event_count, 0);
        script.take_away(&reader);
        assert_eq!(pcsc.readers().unwrap()[0].event_count, 0);
    }
    let e = pcsc.connect_direct(&reader).unwrap_err();
    let u: tapstand_error::UserError = e.into();
    assert!(!u.zh.remedy.is_empty(), "{u:?}");

    // The same steps on pcsc-lite count the events, and SHARE_DIRECT works there.
    let (mut lite, s2) = ScriptedPcsc::pcsc_lite();
    let r2 = s2.plug();
    s2.put(&r2, tag(30));
    s2.take_away(&r2);
    s2.put(&r2, tag(31));
    assert_eq!(lite.readers().unwrap()[0].event_count, 3);
    lite.connect_direct(&r2).unwrap();
}

/// Issue 14: the station writes a generic Type 2 tag without GET_VERSION (a Fudan-style chip) and names
/// it in plain words with its capacity and abilities; a 48-byte tag fails with "the link does not fit"
/// and which tags to buy, untouched.
#[test]
fn the_station_names_and_writes_any_type2_tag() {
    with_loop(
        Personality::PcscLite,
        |_| {},
        |_env, script, ev| {
            let reader = script.plug();
            ev.wait_for("WaitingForTag", |e| {
                matches!(e, StationEvent::WaitingForTag)
            });
            script.put(&reader, TagState::factory(VChip::GenericType2, nth_uid(31)));
            let detected = ev.wait_for("TagDetected", |e| {
                matches!(e, StationEvent::TagDetected { .. })
            });
            let StationEvent::TagDetected {
                chip,
                chip_zh,
                chip_en,
                ..
            } = detected
            else {
                unreachable!()
            };
            assert_eq!(chip, "othertype2");
            assert!(
                chip_zh.contains("兼容 NFC 标签") && chip_zh.contains("144 字节"),
                "{chip_zh}"
            );
            assert!(chip_zh.contains("没有密码功能"), "{chip_zh}");
            assert!(chip_en.contains("144 bytes"), "{chip_en}");
            let a = ev.done();
            assert_eq!(a.result, TapResult::Written, "{a:?}");
            assert_holds_its_link(script, &reader, &a);
            script.take_away(&reader);

            let small = TagState::factory(VChip::UltralightEv1Mf0ul11, nth_uid(32));
            script.put(&reader, small.clone());
            let a = ev.done();
            assert_eq!(a.result, TapResult::Failed, "{a:?}");
            let e = a.error.expect("an error");
            assert_eq!(e.code, "tag.too_small");
            assert!(e.zh.remedy.contains("NTAG213"), "{e:?}");
            assert!(e.zh.message.contains("48 字节"), "{e:?}");
            // Refused before a scheme was spent on it.
            assert_eq!(a.attempt.openlink, None);
            assert_eq!(script.tag(&reader).unwrap().mem, small.mem);
        },
    );
}

/// Issue 23: the ACR1252U's own light and beep at the station, through SCardControl with each system's
/// control code (Windows `SCARD_CTL_CODE(3500)`, macOS and pcsc-lite the CCID driver's
/// `SCARD_CTL_CODE(1)`; the double refuses any other): its beep on detection off while the station runs,
/// green + short beep on a written tag, red + long beep on a refused one, its behaviour byte back when the
/// run ends. The double records every escape it accepted.
#[test]
fn the_acr1252us_light_and_beep_through_each_systems_escape() {
    use tapstand_tag::feedback::{
        CCID_ESCAPE, ESCAPE_BEEP_LONG, ESCAPE_BEEP_SHORT, ESCAPE_LED_GREEN, ESCAPE_LED_RED,
        WINDOWS_ESCAPE,
    };
    for (i, os) in [
        Personality::Windows,
        Personality::MacOs,
        Personality::PcscLite,
    ]
    .into_iter()
    .enumerate()
    {
        let env = Env::new();
        let station = env.station(StationOptions::default());
        let (mut pcsc, script) = ScriptedPcsc::new(os);
        let reader = script.plug();
        script.with_firmware(&reader, |f| f.model = tapstand_vtag::ReaderModel::Acr1252u);
        let behaviour = script.with_firmware(&reader, |f| f.indicator_behaviour);
        let stop = AtomicBool::new(false);
        script.put(
            &reader,
            TagState::factory(VChip::Ntag213, nth_uid(60 + i as u32 * 2)),
        );
        let s = station.run(&mut pcsc, None, &stop, Some(1));
        assert_eq!(s.written, 1, "{os:?}: {s:?}");
        script.take_away(&reader);
        script.put(
            &reader,
            TagState::factory(VChip::Ntag213, nth_uid(61 + i as u32 * 2)).locked(),
        );
        let s = station.run(&mut pcsc, None, &stop, Some(1));
        assert_eq!(s.failed, 1, "{os:?}: {s:?}");

        let off = vec![0xE0, 0x00, 0x00, 0x21, 0x01, behaviour & !0x08];
        let back = vec![0xE0, 0x00, 0x00, 0x21, 0x01, behaviour];
        assert_eq!(
            script.with_firmware(&reader, |f| f.signals.clone()),
            [
                off.clone(),
                ESCAPE_LED_GREEN.to_vec(),
                ESCAPE_BEEP_SHORT.to_vec(),
                back.clone(),
                off,
                ESCAPE_LED_RED.to_vec(),
                ESCAPE_BEEP_LONG.to_vec(),
                back,
            ],
            "{os:?}"
        );
        assert!(
            script.with_firmware(&reader, |f| f.beep_on_detect),
            "{os:?}"
        );

        // Stopped with no tag on the reader (what a merchant does): the behaviour byte goes back through a
        // DIRECT connection, where the system has one; the macOS double (CryptoTokenKit) refuses DIRECT,
        // so there the reader's own beep stays off until a station ends with a tag on it.
        script.take_away(&reader);
        script.with_firmware(&reader, |f| f.signals.clear());
        let (tx, rx) = mpsc::channel::<StationEvent>();
        let tx = Mutex::new(tx);
        let looping = env
            .station(StationOptions::default())
            .with_events(Arc::new(move |e| {
                let _ = tx.lock().unwrap().send(e.clone());
            }));
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let mut pcsc2 = script.pcsc();
        let run = std::thread::spawn(move || looping.run(&mut pcsc2, None, &stop2, None));
        script.put(
            &reader,
            TagState::factory(VChip::Ntag215, nth_uid(70 + i as u32)),
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while !matches!(
            rx.recv_timeout(Duration::from_millis(50)),
            Ok(StationEvent::RemoveTag)
        ) {
            assert!(Instant::now() < deadline, "{os:?}: no RemoveTag");
        }
        script.take_away(&reader);
        std::thread::sleep(Duration::from_millis(100));
        stop.store(true, Ordering::SeqCst);
        assert_eq!(run.join().unwrap().written, 1, "{os:?}");
        let signals = script.with_firmware(&reader, |f| f.signals.clone());
        let mut expected = vec![
            vec![0xE0, 0x00, 0x00, 0x21, 0x01, behaviour & !0x08],
            ESCAPE_LED_GREEN.to_vec(),
            ESCAPE_BEEP_SHORT.to_vec(),
        ];
        if os != Personality::MacOs {
            expected.push(vec![0xE0, 0x00, 0x00, 0x21, 0x01, behaviour]);
        }
        assert_eq!(signals, expected, "{os:?}");
        assert_eq!(
            script.with_firmware(&reader, |f| f.beep_on_detect),
            os != Personality::MacOs,
            "{os:?}"
        );
        let want = if os == Personality::Windows {
            WINDOWS_ESCAPE
        } else {
            CCID_ESCAPE
        };
        let codes = script.escapes();
        assert!(
            !codes.is_empty() && codes.iter().all(|c| *c == want),
            "{os:?}: {codes:08X?}"
        );
    }
}

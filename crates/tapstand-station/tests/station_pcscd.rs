//! The write station through the real pcsc-lite daemon + vsmartcard vpcd + Tapstand's virtual tag, the
//! in-process fake WeChat and a real SQLite file. Serialised on one pcscd (the tag tests' file lock);
//! skipped, saying why, only when pcscd or vsmartcard-vpcd is not installed.

mod common;

use std::sync::atomic::AtomicBool;
use std::sync::{mpsc, Arc};

use common::{message_bytes, Env, Rig};
use tapstand_fake_wechat::{Action, Endpoint};
use tapstand_station::{StationEvent, StationOptions, TapResult};
use tapstand_store::station::HistoryFilter;
use tapstand_tag::ndef::wechat_message;
use tapstand_tag::Pcsc;
use tapstand_vtag::{nth_uid, Faults, TagState, VChip};

fn uid_hex(uid: [u8; 7]) -> String {
    uid.iter().map(|b| format!("{b:02X}")).collect()
}

fn expected(openlink: &str) -> Vec<u8> {
    wechat_message(openlink).unwrap().encode().unwrap()
}

fn native_or_pseudo_writes(log: &[(Vec<u8>, Option<Vec<u8>>)]) -> usize {
    log.iter()
        .filter(|(c, _)| {
            (c.len() > 1 && c[0] == 0xFF && c[1] == 0xD6)
                || c.windows(3).any(|w| w == [0xD4, 0x42, 0xA2])
        })
        .count()
}

#[test]
fn five_tags_in_a_row_then_the_same_tag_again() {
    let Some(mut rig) = Rig::start("station: five tags in a row") else {
        return;
    };
    let env = Env::new();
    // The continuous loop, driven from this thread: each run handles the tag on the reader and ends at
    // "remove the tag, place the next" (the event sets the stop flag), then the next tag is put down.
    let (tx, rx) = mpsc::channel::<StationEvent>();
    let tx = std::sync::Mutex::new(tx);
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let station = env
        .station(StationOptions {
            operator: "小王".into(),
            ..Default::default()
        })
        .with_events(Arc::new(move |e| {
            if matches!(e, StationEvent::RemoveTag) {
                stop2.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            let _ = tx.lock().unwrap().send(e.clone());
        }));
    let chips = [
        VChip::Ntag213,
        VChip::Ntag215,
        VChip::Ntag216,
        VChip::Ntag213,
        VChip::Ntag215,
    ];
    let mut tags = Vec::new();
    let mut sum = tapstand_station::StationSummary::default();
    for (i, chip) in chips.iter().enumerate() {
        let uid = nth_uid(200 + i as u32);
        rig.put(TagState::factory(*chip, uid));
        stop.store(false, std::sync::atomic::Ordering::SeqCst);
        let mut pcsc = Pcsc::new();
        let s = station.run(&mut pcsc, None, &stop, Some(1));
        sum.written += s.written;
        sum.failed += s.failed;
        let outcome = rx
            .try_iter()
            .find_map(|e| match e {
                StationEvent::Done { outcome } => Some(outcome),
                _ => None,
            })
            .expect("a Done event");
        assert_eq!(outcome.result, TapResult::Written, "{outcome:?}");
        let a = &outcome.attempt;
        assert_eq!(a.uid, uid_hex(uid));
        assert_eq!(a.sn, uid_hex(uid));
        assert_eq!(a.path, "pages/member/card");
        assert_eq!(a.query, format!("store=1001&sn={}", uid_hex(uid)));
        assert_eq!(a.operator, "小王");
        assert_eq!(a.scheme_source.as_deref(), Some("generated"));
        let link = a.openlink.clone().unwrap();
        // The tag's memory, as the virtual tag holds it: URI + AAR of this tag's scheme.
        assert_eq!(
            message_bytes(&rig.memory()),
            Some(expected(&link)),
            "tag {i}"
        );
        tags.push((uid, rig.vt.tag().unwrap(), link));
    }
    assert_eq!(sum.written, 5);
    assert_eq!(sum.failed, 0);

    env.rt.block_on(async {
        for (uid, _, link) in &tags {
            let sn = uid_hex(*uid);
            let row = env
                .db
                .scheme_find(&env.target.model_id, &sn)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(row.openlink.as_deref(), Some(link.as_str()));
            assert_eq!(row.query, format!("store=1001&sn={sn}"));
            let tag = env
                .db
                .station_find_tag(&sn, &env.target.model_id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(&tag.openlink, link);
            assert_eq!(tag.store_id, Some(env.store_id));
            assert_eq!(env.generates_for(&sn), 1, "one generate per sn");
        }
        let h = env
            .db
            .station_history(&HistoryFilter::default())
            .await
            .unwrap();
        assert_eq!(h.len(), 5);
        assert!(h.iter().all(|a| a.result == "written" && a.total_ms > 0));
    });
    assert_eq!(env.generates(), 5);

    // The same tag again: recognised, counted, not rewritten, no API call.
    let (uid, state, link) = tags[0].clone();
    rig.put(state);
    let before = rig.memory();
    let st = env.station(StationOptions::default());
    let mut s = rig.session();
    let out = st.process(&mut s, "vpcd");
    assert_eq!(out.result, TapResult::AlreadyCorrect, "{out:?}");
    assert_eq!(out.attempt.openlink.as_deref(), Some(link.as_str()));
    assert_eq!(
        native_or_pseudo_writes(&rig.vt.apdu_log()),
        0,
        "no write APDU"
    );
    assert_eq!(rig.memory(), before);
    assert_eq!(env.generates_for(&uid_hex(uid)), 1);
    let tag = env
        .rt
        .block_on(env.db.station_find_tag(&uid_hex(uid), &env.target.model_id))
        .unwrap()
        .unwrap();
    assert_eq!(tag.verify_count, 2);
}

#[test]
fn tag_pulled_off_mid_write_then_tapped_again_and_a_locked_tag() {
    let Some(mut rig) = Rig::start("station: tear and locked") else {
        return;
    };
    let env = Env::new();
    let st = env.station(StationOptions::default());

    // How many APDUs a whole tap takes (a probe tag of its own).
    let probe = nth_uid(299);
    rig.put(TagState::factory(VChip::Ntag213, probe));
    let mut s = rig.session();
    let p = st.process(&mut s, "vpcd");
    drop(s);
    assert_eq!(p.result, TapResult::Written, "{p:?}");
    let total = p.attempt.apdus as u32;

    let uid = nth_uid(300);
    let sn = uid_hex(uid);
    rig.take_away();
    let k = total - 5;
    rig.vt.set_faults(Faults {
        remove_after_apdu: Some(k),
        ..Faults::default()
    });
    rig.put(TagState::factory(VChip::Ntag213, uid));
    let mut s = rig.session();
    let out = st.process(&mut s, "vpcd");
    drop(s);
    assert_eq!(out.result, TapResult::Failed, "{out:?}");
    let err = out.error.clone().unwrap();
    assert_eq!(err.code, "tag.removed", "{err:?}");
    assert!(!err.zh.remedy.is_empty());
    assert_eq!(env.generates_for(&sn), 1);
    let committed = out.attempt.openlink.clone().unwrap();

    // Tap again: the same scheme from the ledger, no second generate, the tag ends correct.
    rig.vt.set_faults(Faults::default());
    let after = rig.vt.tag().unwrap();
    rig.put(after);
    let mut s = rig.session();
    let out = st.process(&mut s, "vpcd");
    drop(s);
    assert!(out.result.ok(), "{out:?}");
    assert_eq!(out.attempt.openlink.as_deref(), Some(committed.as_str()));
    assert_eq!(env.generates_for(&sn), 1, "no second generate call");
    assert_eq!(message_bytes(&rig.memory()), Some(expected(&committed)));
    let h = env
        .rt
        .block_on(env.db.station_history(&HistoryFilter {
            uid: Some(sn.clone()),
            ..Default::default()
        }))
        .unwrap();
    assert_eq!(h.len(), 2, "every attempt recorded");
    assert_eq!(h[1].result, "failed", "{h:?}");
    assert_eq!(h[1].error_code.as_deref(), Some("tag.removed"));

    // A locked tag: refused with the clear error, before any scheme is spent.
    let locked_uid = nth_uid(301);
    let mut t = TagState::factory(VChip::Ntag215, locked_uid);
    t.lock();
    rig.put(t);
    let before = rig.memory();
    let mut s = rig.session();
    let out = st.process(&mut s, "vpcd");
    drop(s);
    assert_eq!(out.result, TapResult::Failed);
    let err = out.error.unwrap();
    assert_eq!(err.code, "tag.locked", "{err:?}");
    assert!(!err.zh.remedy.is_empty());
    assert_eq!(env.generates_for(&uid_hex(locked_uid)), 0);
    assert_eq!(rig.memory(), before);

    // A tag holding another target's scheme: asks before overwriting.
    let other = nth_uid(302);
    let other_msg = wechat_message("weixin://dl/business/?t=OtherStore01")
        .unwrap()
        .encode()
        .unwrap();
    rig.put(TagState::with_message(VChip::Ntag213, other, &other_msg));
    let mut s = rig.session();
    let out = st.process(&mut s, "vpcd");
    drop(s);
    assert_eq!(out.result, TapResult::NeedsConfirmation, "{out:?}");
    assert_eq!(message_bytes(&rig.memory()), Some(other_msg.clone()));
    assert_eq!(env.generates_for(&uid_hex(other)), 0);
    let mut st2 = env.station(StationOptions::default());
    st2.set_overwrite(true);
    let mut s = rig.session();
    let out = st2.process(&mut s, "vpcd");
    drop(s);
    assert_eq!(out.result, TapResult::Written, "{out:?}");
    assert_eq!(
        message_bytes(&rig.memory()),
        Some(expected(out.attempt.openlink.as_deref().unwrap()))
    );
}

#[test]
fn wechat_errors_surface_with_remedies_and_nothing_is_written() {
    let Some(mut rig) = Rig::start("station: 40164 and 9800007") else {
        return;
    };
    for (endpoint, errcode, code) in [
        (
            Endpoint::StableToken,
            40164,
            "wechat.token.ip_not_whitelisted",
        ),
        (
            Endpoint::GenerateNfcScheme,
            9800007,
            "wechat.nfc.capability_missing",
        ),
    ] {
        let env = Env::new();
        env.fake.inject(
            endpoint,
            10,
            Action::Error {
                errcode,
                errmsg: None,
            },
        );
        let st = env.station(StationOptions::default());
        let uid = nth_uid(400 + errcode as u32 % 7);
        rig.put(TagState::factory(VChip::Ntag213, uid));
        let before = rig.memory();
        let mut s = rig.session();
        let out = st.process(&mut s, "vpcd");
        drop(s);
        assert_eq!(out.result, TapResult::Failed, "{out:?}");
        let err = out.error.clone().unwrap();
        assert_eq!(err.code, code, "{err:?}");
        assert!(!err.zh.remedy.is_empty() && !err.en.remedy.is_empty());
        assert_eq!(rig.memory(), before, "nothing written to the tag");
        assert_eq!(native_or_pseudo_writes(&rig.vt.apdu_log()), 0);
        assert_eq!(out.attempt.result, "failed");
        assert_eq!(out.attempt.error_code.as_deref(), Some(code));
    }
}

//! Integration tests through the real pcsc-lite daemon, vsmartcard's vpcd driver and Tapstand's virtual
//! tag. They serialise on one pcscd (a file lock) and skip, saying why, only when pcscd or
//! vsmartcard-vpcd is not installed. Run them with `scripts/test-tag.sh`.

mod common;

use std::time::{Duration, Instant};

use common::{content, Content, Rig};
use tapstand_ndef::wechat::{uri_and_aar, wechat_message, WECHAT_PACKAGE};
use tapstand_ndef::{ChipKind, Message};
use tapstand_tag::{TagError, WriteOptions};
use tapstand_vtag::{nth_uid, Faults, TagState, VChip, VPCD_READER};

const SCHEME: &str = "weixin://dl/business/?t=XTSkBZlzqmn";

fn wechat(ticket: &str) -> Message {
    wechat_message(&format!("weixin://dl/business/?t={ticket}")).unwrap()
}

fn scenarios(chip: VChip) {
    let test = format!("{chip:?} scenarios");
    let Some(mut rig) = Rig::start(&test) else {
        return;
    };
    let uid = nth_uid(chip as u32 + 10);
    let m = wechat_message(SCHEME).unwrap();
    let bytes = m.encode().unwrap();

    // Factory tag.
    rig.put(TagState::factory(chip, uid));
    let rep = rig.session().read_tag().unwrap();
    assert_eq!(rep.chip.kind, chip.kind());
    assert_eq!(rep.reader, VPCD_READER);
    assert_eq!(rep.message_len, Some(0));
    assert!(rep.writable);
    let w = rig
        .session()
        .write_ndef(&m, WriteOptions::default())
        .unwrap();
    assert!(!w.unchanged);
    // Issue 14 item 4: FAST_READ through the pass-through (≤ 24 APDUs; 29 with READ only).
    assert!(w.io.apdus <= 24, "{chip:?}: {} APDUs", w.io.apdus);
    assert_eq!(content(&rig.memory()), Content::Message(bytes.clone()));
    let rep = rig.session().read_tag().unwrap();
    assert!(rep.wechat.as_ref().unwrap().valid, "{rep:?}");
    assert_eq!(rep.records.len(), 2);

    // Same message again: nothing written.
    let w = rig
        .session()
        .write_ndef(&m, WriteOptions::default())
        .unwrap();
    assert!(w.unchanged && w.io.writes == 0 && w.io.apdus <= 4, "{w:?}");

    // Blank tag: formatted, CC last.
    rig.put(TagState::blank(chip, uid));
    let w = rig
        .session()
        .write_ndef(&m, WriteOptions::default())
        .unwrap();
    assert!(w.formatted);
    assert_eq!(content(&rig.memory()), Content::Message(bytes.clone()));

    // A tag holding another message.
    let other = uri_and_aar(
        "https://example.com/menu?table=12",
        Some("com.example.shop"),
    )
    .encode()
    .unwrap();
    rig.put(TagState::with_message(chip, uid, &other));
    let rep = rig.session().read_tag().unwrap();
    assert!(!rep.wechat.as_ref().unwrap().valid);
    rig.session()
        .write_ndef(&m, WriteOptions::default())
        .unwrap();
    assert_eq!(content(&rig.memory()), Content::Message(bytes.clone()));

    // A locked tag: refused, untouched.
    let mut locked = TagState::with_message(chip, uid, &other);
    locked.lock();
    rig.put(locked.clone());
    let e = rig
        .session()
        .write_ndef(&m, WriteOptions::default())
        .unwrap_err();
    assert!(matches!(e, TagError::ReadOnly(_)), "{e:?}");
    assert_eq!(rig.memory(), locked.mem);
    let u: tapstand_error::UserError = e.into();
    assert!(u.zh.message.contains("标签已锁定"));

    // A password-protected tag (password unknown here): refused, untouched; phones still read it.
    let mut pw = TagState::with_message(chip, uid, &other);
    pw.protect([0xDE, 0xAD, 0xBE, 0xEF], [0x12, 0x34], 4, false);
    rig.put(pw.clone());
    let e = rig
        .session()
        .write_ndef(&m, WriteOptions::default())
        .unwrap_err();
    assert_eq!(e, TagError::PasswordProtected { auth0: 4 });
    assert_eq!(rig.memory(), pw.mem);
    let rep = rig.session().read_tag().unwrap();
    assert!(rep.password.unwrap().active && !rep.writable);

    // Too large.
    let too_big = match chip {
        VChip::Ntag213 => wechat(&"A".repeat(77)),
        VChip::Ntag215 => uri_and_aar(
            &format!("https://example.com/{}", "x".repeat(600)),
            Some(WECHAT_PACKAGE),
        ),
        _ => uri_and_aar(
            &format!("https://example.com/{}", "x".repeat(1000)),
            Some(WECHAT_PACKAGE),
        ),
    };
    rig.put(TagState::factory(chip, uid));
    match rig
        .session()
        .write_ndef(&too_big, WriteOptions::default())
        .unwrap_err()
    {
        TagError::TooLarge {
            message_len,
            capacity,
            over_by,
        } => {
            assert_eq!(capacity, [137, 492, 868][chip as usize]);
            assert_eq!(over_by, message_len - capacity);
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(content(&rig.memory()), Content::Empty);
    rig.take_away();
}

#[test]
fn ntag213_through_pcscd() {
    scenarios(VChip::Ntag213);
}

#[test]
fn ntag215_through_pcscd() {
    scenarios(VChip::Ntag215);
}

#[test]
fn ntag216_through_pcscd() {
    scenarios(VChip::Ntag216);
}

#[test]
fn mifare_classic_through_pcscd() {
    let Some(mut rig) = Rig::start("mifare_classic_through_pcscd") else {
        return;
    };
    rig.put(TagState::factory(VChip::MifareClassic1k, nth_uid(7)));
    let rep = rig.session().read_tag().unwrap();
    assert_eq!(rep.chip.kind, ChipKind::MifareClassic1k);
    assert!(!rep.writable);
    assert!(rep.chip.support_zh.contains("MIFARE Classic"));
    let e = rig
        .session()
        .write_ndef(&wechat("A"), WriteOptions::default())
        .unwrap_err();
    assert!(matches!(e, TagError::Unsupported { .. }), "{e:?}");
    rig.take_away();
}

/// For each chip: pull the tag after every single APDU of a write in turn. Afterwards the tag holds the
/// previous message, an empty NDEF message, or the complete new one — never anything else.
fn tear(chip: VChip) {
    let Some(mut rig) = Rig::start(&format!("tear {chip:?}")) else {
        return;
    };
    let uid = nth_uid(20 + chip as u32);
    let previous = uri_and_aar(
        "https://example.com/previous/message/on/this/tag",
        Some("com.example"),
    )
    .encode()
    .unwrap();
    let new = wechat_message(SCHEME).unwrap();
    let new_bytes = new.encode().unwrap();
    let start = TagState::with_message(chip, uid, &previous);

    rig.put(start.clone());
    let full = rig
        .session()
        .write_ndef(&new, WriteOptions::default())
        .unwrap()
        .io
        .apdus;
    let mut seen = [0u32; 3];
    let t0 = Instant::now();
    for k in 1..=full {
        if std::env::var_os("TAPSTAND_TEST_DEBUG").is_some() {
            eprintln!("{chip:?} tear at {k}/{full}");
        }
        rig.take_away();
        rig.vt.set_faults(Faults {
            remove_after_apdu: Some(k),
            pseudo_apdus_drop_auth: true,
            ..Faults::default()
        });
        rig.put(start.clone());
        let r = rig.session().write_ndef(&new, WriteOptions::default());
        let after = rig.vt.tag().unwrap();
        let c = content(&after.mem);
        let ok = c == Content::Message(previous.clone())
            || c == Content::Empty
            || c == Content::Message(new_bytes.clone());
        assert!(ok, "{chip:?}: torn after APDU {k}/{full}: {c:?} ({r:?})");
        seen[if c == Content::Message(previous.clone()) {
            0
        } else if c == Content::Empty {
            1
        } else {
            2
        }] += 1;
        if k < full {
            assert_eq!(r.unwrap_err(), TagError::TagRemoved, "{chip:?} k={k}");
        }
        rig.vt.set_faults(Faults {
            pseudo_apdus_drop_auth: true,
            ..Faults::default()
        });
        // Tapping again finishes the job (here for a few k; the in-process tear test retries after every k).
        if k == 1 || k == full / 2 || k + 1 == full {
            rig.put(after);
            rig.session()
                .write_ndef(&new, WriteOptions::default())
                .unwrap();
            let c = content(&rig.memory());
            assert_eq!(
                c,
                Content::Message(new_bytes.clone()),
                "{chip:?}: retry after tear at {k}"
            );
        }
    }
    assert!(seen.iter().all(|&n| n > 0), "{chip:?}: {seen:?}");
    eprintln!(
        "{chip:?}: {full} tears through pcscd in {:?}; previous/empty/new = {seen:?}",
        t0.elapsed()
    );
    rig.take_away();
}

/// Issue 14 item 1: write + verify + inspect through pcscd + vpcd on every Type 2 chip the virtual tag
/// has — with and without GET_VERSION, NXP or not; the 48-byte ones refused as too small, untouched.
#[test]
fn every_type2_chip_through_pcscd() {
    let Some(mut rig) = Rig::start("every_type2_chip_through_pcscd") else {
        return;
    };
    let m = wechat_message(SCHEME).unwrap();
    let bytes = m.encode().unwrap();
    for (i, &chip) in VChip::TYPE2.iter().enumerate() {
        let t = TagState::factory(chip, nth_uid(40 + i as u32));
        rig.put(t.clone());
        let rep = rig.session().read_tag().unwrap();
        assert_eq!(rep.chip.kind, chip.kind(), "{chip:?}");
        let r = rig.session().write_ndef(&m, WriteOptions::default());
        if chip.kind().too_small() {
            assert!(
                matches!(r, Err(TagError::TooSmall { .. })),
                "{chip:?}: {r:?}"
            );
            assert!(!rep.writable);
            assert_eq!(rig.memory(), t.mem, "{chip:?}");
            continue;
        }
        let w = r.unwrap_or_else(|e| panic!("{chip:?}: {e:?}"));
        assert!(!w.unchanged, "{chip:?}");
        assert_eq!(
            content(&rig.memory()),
            Content::Message(bytes.clone()),
            "{chip:?}"
        );
        let rep = rig.session().read_tag().unwrap();
        assert!(rep.wechat.as_ref().unwrap().valid, "{chip:?}: {rep:?}");
        assert!(rep.writable, "{chip:?}");
        let same = rig
            .session()
            .write_ndef(&m, WriteOptions::default())
            .unwrap();
        assert!(same.unchanged && same.io.writes == 0, "{chip:?}: {same:?}");
        eprintln!(
            "{chip:?}: read {} APDUs, fresh write + verify {} APDUs, identical {} APDUs",
            rep.io.apdus, w.io.apdus, same.io.apdus
        );
    }
    rig.take_away();
}

/// The tear sweep through pcscd on a generic Type 2 tag without GET_VERSION (Fudan-style, not NXP).
#[test]
fn tear_generic_type2_through_pcscd() {
    tear(VChip::GenericType2);
}

#[test]
fn tear_ntag213_through_pcscd() {
    tear(VChip::Ntag213);
}

#[test]
fn tear_ntag215_through_pcscd() {
    tear(VChip::Ntag215);
}

#[test]
fn tear_ntag216_through_pcscd() {
    tear(VChip::Ntag216);
}

/// The next tag with a new UID, and recovery when pcscd restarts: the same `Pcsc` gets a new context.
#[test]
fn next_tag_and_service_restart() {
    let Some(mut rig) = Rig::start("next_tag_and_service_restart") else {
        return;
    };
    rig.put(TagState::factory(VChip::Ntag215, nth_uid(31)));
    assert_eq!(
        rig.session().read_tag().unwrap().uid.as_deref(),
        Some("047A670000001F")
    );
    // The next tag: a new UID.
    rig.put(TagState::factory(VChip::Ntag213, nth_uid(32)));
    let rep = rig
        .pcsc
        .open(Some("Virtual PCD 00 00"), Duration::from_secs(5))
        .unwrap()
        .read_tag()
        .unwrap();
    assert_eq!(
        (rep.uid.as_deref(), rep.chip.kind),
        (Some("047A6700000020"), ChipKind::Ntag213)
    );
    rig.take_away();

    if !rig.pcscd.owned {
        eprintln!(
            "pcscd was started by someone else: not restarting it, service-recovery part skipped"
        );
        return;
    }
    // pcscd goes away and comes back: the same Pcsc recovers its context.
    rig.pcscd.stop();
    assert!(matches!(rig.pcsc.readers(), Err(TagError::NoService(_))));
    rig.pcscd.restart(false).unwrap();
    rig.put(TagState::factory(VChip::Ntag216, nth_uid(33)));
    rig.session()
        .write_ndef(&wechat("AFTER"), WriteOptions::default())
        .unwrap();
    assert_eq!(
        content(&rig.memory()),
        Content::Message(wechat("AFTER").encode().unwrap())
    );
    rig.take_away();
}

/// A removed tag during a session is reported as such, and the `pcsc` error is typed.
#[test]
fn no_tag_and_reader_selection() {
    let Some(mut rig) = Rig::start("no_tag_and_reader_selection") else {
        return;
    };
    rig.take_away();
    assert_eq!(
        rig.pcsc.wait_for_tag(None, Duration::ZERO).unwrap_err(),
        TagError::NoTag
    );
    assert_eq!(
        rig.pcsc
            .wait_for_tag(None, Duration::from_millis(600))
            .unwrap_err(),
        TagError::Timeout(0)
    );
    assert!(matches!(
        rig.pcsc.wait_for_tag(Some("ACR122"), Duration::ZERO),
        Err(TagError::ReaderNotFound(_))
    ));
    let names = rig.pcsc.list_readers().unwrap();
    assert!(
        names.iter().any(|n| n == "Virtual PCD 00 00")
            && names.iter().any(|n| n == "Virtual PCD 00 01"),
        "{names:?}"
    );
}

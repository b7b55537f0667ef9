//! NFC Forum Type 4 tags through the real pcsc-lite daemon, vsmartcard's vpcd driver and the virtual
//! Type 4 card (`tapstand_vtag::type4`): NTAG 424 DNA, DESFire EV2 with an NDEF application and ST25TA02K
//! (different CCs, MLe/MLc, NDEF file ids and sizes), a read-only and two key-protected ones, a bank card
//! without the NDEF application, and a tear sweep. Serialised on one pcscd (a file lock); skipped, saying
//! why, only when pcscd or vsmartcard-vpcd is not installed.

mod common;

use common::{Content, Rig};
use tapstand_ndef::t4t::Access;
use tapstand_ndef::wechat::{uri_and_aar, wechat_message};
use tapstand_ndef::ChipKind;
use tapstand_tag::{TagError, WriteOptions};
use tapstand_vtag::{nth_uid, TagState, VChip};

const SCHEME: &str = "weixin://dl/business/?t=XTSkBZlzqmn";

/// ST's manufacturer byte 02 for the ST25TA, NXP's 04 for the others.
fn uid_for(chip: VChip, n: u32) -> [u8; 7] {
    let mut u = nth_uid(n);
    if chip == VChip::St25ta02k {
        u[0] = 0x02;
    }
    u
}

/// How an APDU in the vtag log reads, for the APDU counts in the report.
fn name(apdu: &[u8]) -> &'static str {
    match apdu {
        [0xFF, 0xCA, ..] => "GET UID",
        [0x00, 0xA4, 0x04, ..] => "SELECT app",
        [0x00, 0xA4, 0x00, _, 2, 0xE1, 0x03] => "SELECT CC",
        [0x00, 0xA4, ..] => "SELECT NDEF",
        [0x00, 0xB0, ..] => "READ BINARY",
        [0x00, 0xD6, ..] => "UPDATE BINARY",
        _ => "other",
    }
}

fn count(log: &[(Vec<u8>, Option<Vec<u8>>)], what: &str) -> usize {
    log.iter().filter(|(a, _)| name(a) == what).count()
}

fn flavour(chip: VChip, kind: ChipKind, mle: u16, mlc: u16, file: &str, size: u16) {
    let Some(mut rig) = Rig::start(&format!("type 4 {chip:?}")) else {
        return;
    };
    let uid = uid_for(chip, 40 + chip as u32);
    let m = wechat_message(SCHEME).unwrap();
    let bytes = m.encode().unwrap();

    // Delivery state: read, then write + verify in the same session, as the station does.
    rig.put(TagState::factory(chip, uid));
    let mut s = rig.session();
    let rep = s.read_tag().unwrap();
    assert_eq!(rep.chip.kind, kind, "{rep:?}");
    assert!(rep.writable && rep.ndef_formatted, "{rep:?}");
    assert_eq!(rep.message_len, Some(0));
    assert_eq!(rep.capacity, Some(size as u32 - 2));
    assert_eq!(rep.uid.as_deref(), Some(hex(&uid).as_str()));
    let t4 = rep.type4.clone().expect("type 4 facts");
    assert_eq!(
        (t4.mle, t4.mlc, t4.ndef_file.as_str(), t4.file_size),
        (mle, mlc, file, size)
    );
    assert_eq!(
        (t4.write_access, t4.read_only, t4.protected),
        (Access::Free, false, false)
    );
    assert!(rep.chip.support_zh.contains("不能把它永久锁定"));
    let read_apdus = rep.io.apdus;
    let w = s.write_ndef(&m, WriteOptions::default()).unwrap();
    assert!(!w.unchanged && w.chip == kind);
    let total = w.io.apdus;
    drop(s);
    let log = rig.apdu_log();
    assert_eq!(log.len() as u32, total);
    let updates = count(&log, "UPDATE BINARY");
    let reads = count(&log, "READ BINARY");
    eprintln!(
        "{chip:?}: read {read_apdus} APDUs, write + verify {} (UPDATE BINARY {updates}, READ BINARY {reads} in all); total {total}",
        total - read_apdus
    );
    // NLEN already 0: the message in ceil(len / MLc) chunks, then NLEN.
    assert_eq!(updates, bytes.len().div_ceil(mlc.min(255) as usize) + 1);
    assert_eq!(
        rig.type4().unwrap().content(),
        Content::Message(bytes.clone())
    );

    // A phone-eye view through a new session: the WeChat message.
    let rep = rig.session().read_tag().unwrap();
    assert!(rep.wechat.as_ref().unwrap().valid, "{rep:?}");
    assert_eq!(rep.records.len(), 2);
    assert_eq!(rep.message_len, Some(bytes.len() as u32));

    // The same message again: nothing written.
    let w = rig
        .session()
        .write_ndef(&m, WriteOptions::default())
        .unwrap();
    assert!(w.unchanged && w.io.writes == 0, "{w:?}");

    // Lock asked: refused before anything is written.
    let before = rig.type4().unwrap();
    let e = rig
        .session()
        .write_ndef(
            &wechat_message("weixin://dl/business/?t=AnotherOne1").unwrap(),
            WriteOptions {
                lock: true,
                password_protect: false,
            },
        )
        .unwrap_err();
    assert_eq!(
        e,
        TagError::CannotLock {
            name: rep.chip.name.clone()
        }
    );
    assert_eq!(rig.type4().unwrap().ndef, before.ndef);

    // Another message on it: NLEN 0 first, then the message, then NLEN.
    let other = uri_and_aar(
        "https://example.com/menu?table=12",
        Some("com.example.shop"),
    )
    .encode()
    .unwrap();
    rig.put(TagState::with_message(chip, uid, &other));
    rig.session()
        .write_ndef(&m, WriteOptions::default())
        .unwrap();
    let log = rig.apdu_log();
    let first_update = log
        .iter()
        .find(|(a, _)| name(a) == "UPDATE BINARY")
        .unwrap();
    assert_eq!(
        first_update.0,
        vec![0x00, 0xD6, 0x00, 0x00, 0x02, 0x00, 0x00]
    );
    assert_eq!(
        rig.type4().unwrap().content(),
        Content::Message(bytes.clone())
    );

    // Too large for the file.
    let big = uri_and_aar(
        &format!("https://example.com/{}", "x".repeat(size as usize)),
        None,
    );
    match rig.session().write_ndef(&big, WriteOptions::default()) {
        Err(TagError::TooLarge { capacity, .. }) => assert_eq!(capacity, size as usize - 2),
        other => panic!("{chip:?}: {other:?}"),
    }
    assert_eq!(rig.type4().unwrap().content(), Content::Message(bytes));
    rig.take_away();
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

#[test]
fn ntag424_dna_through_pcscd() {
    flavour(
        VChip::Ntag424Dna,
        ChipKind::Ntag424Dna,
        256,
        255,
        "E104",
        256,
    );
}

#[test]
fn desfire_ndef_app_through_pcscd() {
    flavour(VChip::DesfireEv2, ChipKind::Desfire, 59, 52, "E104", 2048);
}

#[test]
fn st25ta_through_pcscd() {
    flavour(VChip::St25ta02k, ChipKind::St25ta, 255, 54, "0001", 256);
}

/// Read-only (CC write access FF), key-protected (CC 80) and keys changed behind the CC (the tag answers
/// 69 82): refused with their own words, the tag untouched.
#[test]
fn read_only_and_protected_type4_tags_are_refused() {
    let Some(mut rig) = Rig::start("read-only and protected Type 4 tags") else {
        return;
    };
    let m = wechat_message(SCHEME).unwrap();
    let other = uri_and_aar("https://example.com/", None).encode().unwrap();
    let uid = nth_uid(60);

    rig.put(TagState::type4(VChip::Ntag424Dna, uid, |c| {
        c.with_message(&other).read_only()
    }));
    let rep = rig.session().read_tag().unwrap();
    assert!(
        !rep.writable && rep.type4.as_ref().unwrap().read_only,
        "{rep:?}"
    );
    assert!(matches!(rep.refusal(), TagError::Type4ReadOnly { .. }));
    assert_eq!(rep.records.len(), 1, "phones still read it");
    let e = rig
        .session()
        .write_ndef(&m, WriteOptions::default())
        .unwrap_err();
    assert_eq!(
        e,
        TagError::Type4ReadOnly {
            name: "NTAG 424 DNA".into()
        }
    );
    assert_eq!(count(&rig.apdu_log(), "UPDATE BINARY"), 0);
    let u: tapstand_error::UserError = e.into();
    assert_eq!(u.code, "tag.type4_read_only");
    assert!(u.zh.message.contains("只读") && u.zh.remedy.contains("新标签"));

    rig.put(TagState::type4(VChip::DesfireEv2, uid, |c| {
        c.key_protected()
    }));
    let rep = rig.session().read_tag().unwrap();
    assert!(!rep.writable && rep.type4.as_ref().unwrap().protected);
    assert_eq!(
        rep.type4.as_ref().unwrap().write_access,
        Access::Proprietary(0x80)
    );
    let e = rig
        .session()
        .write_ndef(&m, WriteOptions::default())
        .unwrap_err();
    assert!(matches!(e, TagError::Type4Protected { .. }), "{e:?}");
    assert_eq!(count(&rig.apdu_log(), "UPDATE BINARY"), 0);

    // The CC says free, the card says 69 82 on the first UPDATE BINARY: nothing was changed.
    rig.put(TagState::type4(VChip::Ntag424Dna, uid, |c| {
        c.with_message(&other).keys_changed()
    }));
    let mut s = rig.session();
    assert!(s.read_tag().unwrap().writable);
    let e = s.write_ndef(&m, WriteOptions::default()).unwrap_err();
    assert!(matches!(e, TagError::Type4Protected { .. }), "{e:?}");
    let u: tapstand_error::UserError = e.into();
    assert_eq!(u.code, "tag.type4_protected");
    assert!(u.zh.message.contains("密钥"));
    // Once refused, the session knows: not writable any more.
    let rep = s.read_tag().unwrap();
    assert!(!rep.writable && rep.type4.unwrap().protected);
    drop(s);
    assert_eq!(rig.type4().unwrap().content(), Content::Message(other));
    assert_eq!(rig.type4().unwrap().updates, 0);
    rig.take_away();
}

/// A bank or transit card (ISO 14443-4, no NDEF application) stays "not an NFC tag".
#[test]
fn a_bank_card_is_not_an_ndef_tag() {
    let Some(mut rig) = Rig::start("bank card") else {
        return;
    };
    rig.put(TagState::factory(VChip::BankCard, nth_uid(61)));
    let rep = rig.session().read_tag().unwrap();
    assert_eq!(rep.chip.kind, ChipKind::Iso14443_4);
    assert!(!rep.writable && rep.type4.is_none());
    assert!(rep.chip.support_zh.contains("银行卡"));
    let e = rig
        .session()
        .write_ndef(&wechat_message(SCHEME).unwrap(), WriteOptions::default())
        .unwrap_err();
    assert!(matches!(e, TagError::NotNdefCard { .. }), "{e:?}");
    let u: tapstand_error::UserError = e.into();
    assert_eq!(u.code, "tag.not_ndef_card");
    assert!(u.zh.message.contains("不是 NFC 标签"));
    // Per session (one to read, one to write) two SELECTs, the mapping 2.0 and 1.0 names, both 6A 82;
    // nothing else but the UID.
    let log = rig.apdu_log();
    assert_eq!(count(&log, "SELECT app"), 4);
    assert_eq!(count(&log, "GET UID"), 2);
    assert_eq!(log.len(), 6);
    assert!(log
        .iter()
        .filter(|(a, _)| name(a) == "SELECT app")
        .all(|(_, r)| r.as_deref() == Some(&[0x6A, 0x82][..])));
    rig.take_away();
}

/// The tag pulled off after every APDU of a write in turn: it always holds the previous message, an empty
/// one or the complete new one, and tapping it again finishes the job.
fn tear(chip: VChip) {
    let Some(mut rig) = Rig::start(&format!("type 4 tear {chip:?}")) else {
        return;
    };
    let uid = uid_for(chip, 70 + chip as u32);
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
    for k in 1..=full {
        rig.take_away();
        rig.remove_after_apdu(k);
        rig.put(start.clone());
        let r = rig.session().write_ndef(&new, WriteOptions::default());
        let after = rig.tag().unwrap();
        let c = after.t4.as_ref().unwrap().content();
        let which = if c == Content::Message(previous.clone()) {
            0
        } else if c == Content::Empty {
            1
        } else if c == Content::Message(new_bytes.clone()) {
            2
        } else {
            panic!("{chip:?}: torn after APDU {k}/{full}: {c:?} ({r:?})");
        };
        seen[which] += 1;
        if k < full {
            assert_eq!(r.unwrap_err(), TagError::TagRemoved, "{chip:?} k={k}");
        }
        rig.clear_faults();
        // Tapping again finishes the job.
        rig.put(after);
        rig.session()
            .write_ndef(&new, WriteOptions::default())
            .unwrap();
        assert_eq!(
            rig.type4().unwrap().content(),
            Content::Message(new_bytes.clone()),
            "{chip:?}: retry after tear at {k}"
        );
    }
    assert!(seen.iter().all(|&n| n > 0), "{chip:?}: {seen:?}");
    eprintln!("{chip:?}: {full} tears; previous/empty/new = {seen:?}");
    rig.take_away();
}

#[test]
fn tear_desfire_through_pcscd() {
    tear(VChip::DesfireEv2);
}

#[test]
fn tear_ntag424_dna_through_pcscd() {
    tear(VChip::Ntag424Dna);
}

#[test]
fn tear_st25ta_through_pcscd() {
    tear(VChip::St25ta02k);
}

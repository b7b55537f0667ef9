//! Fast engine tests against the in-process virtual tag (no pcscd).

use std::sync::Arc;

use tapstand_ndef::t2t::lock_state;
use tapstand_ndef::wechat::{uri_and_aar, wechat_message, WECHAT_PACKAGE};
use tapstand_ndef::{ChipKind, Message};
use tapstand_secrets::{accounts, Keychain, SecretStore, SecretString};
use tapstand_vtag::{content, Content, Faults, TagState, VChip};

use crate::inproc::InProcessTransport;
use crate::quirks::{quirks_for, PassThrough};
use crate::session::{TagSession, WriteOptions};
use crate::TagError;

const UID: [u8; 7] = [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66];
const CHIPS: [VChip; 3] = [VChip::Ntag213, VChip::Ntag215, VChip::Ntag216];
pub const SCHEME: &str = "weixin://dl/business/?t=XTSkBZlzqmn";

fn session(tag: TagState) -> TagSession<InProcessTransport> {
    TagSession::new(
        InProcessTransport::with_tag(tag),
        quirks_for("Virtual PCD 00 00"),
    )
}

/// A virtual reader whose firmware passes native commands exactly as `p` says: the session finds that
/// out by probing (`crate::dialect`), the quirks only give its first guess.
fn pt_transport(tag: TagState, p: PassThrough) -> InProcessTransport {
    let t = InProcessTransport::with_tag(tag);
    t.fw.lock().unwrap().passthrough = match p {
        PassThrough::Acr122Direct => tapstand_vtag::PassThroughMode::Acr122Direct,
        PassThrough::Part3Transparent => tapstand_vtag::PassThroughMode::Part3Transparent,
        PassThrough::None => tapstand_vtag::PassThroughMode::None,
    };
    t
}

fn wechat(ticket: &str) -> Message {
    wechat_message(&format!("weixin://dl/business/?t={ticket}")).unwrap()
}

fn mem(s: &TagSession<InProcessTransport>) -> Vec<u8> {
    s.transport().tag().unwrap().mem
}

#[test]
fn factory_tags_get_the_wechat_message_and_read_back_valid() {
    for chip in CHIPS {
        let mut s = session(TagState::factory(chip, UID));
        let m = wechat_message(SCHEME).unwrap();
        let r = s.write_ndef(&m, WriteOptions::default()).unwrap();
        assert!(!r.unchanged && !r.formatted);
        assert_eq!(r.message_len, 72);
        assert_eq!(
            content(&mem(&s)),
            Content::Message(m.encode().unwrap()),
            "{chip:?}"
        );
        assert!(r.io.apdus <= 24, "{chip:?}: {} APDUs", r.io.apdus);
        assert_eq!(r.io.untrusted_failures, 0);
        // A fresh session reads it as a valid WeChat tag.
        let mut s2 = session(s.transport().tag().unwrap());
        let rep = s2.read_tag().unwrap();
        assert_eq!(rep.chip.kind, chip.kind());
        assert_eq!(rep.uid.as_deref(), Some("04112233445566"));
        let w = rep.wechat.unwrap();
        assert!(w.valid, "{w:?}");
        assert_eq!(w.scheme.as_deref(), Some(SCHEME));
        assert_eq!(rep.records.len(), 2);
        assert!(rep.writable);
        // The same message again: nothing written, few APDUs.
        let r2 = s2.write_ndef(&m, WriteOptions::default()).unwrap();
        assert!(r2.unchanged);
        let mut s3 = session(s.transport().tag().unwrap());
        let r3 = s3.write_ndef(&m, WriteOptions::default()).unwrap();
        assert!(r3.unchanged && r3.pages_written == 0);
        assert!(
            r3.io.apdus <= 4,
            "{chip:?} identical: {} APDUs",
            r3.io.apdus
        );
        assert_eq!(r3.io.writes, 0);
    }
}

/// Issue 14 item 4: on NTAG215, a fresh write + verify takes at most 24 APDUs (it was 29) and identical
/// content at most 4 (it was 8): GET_VERSION, one FAST_READ of pages 0–59, one of the lock/CFG pages,
/// 19 page writes, one FAST_READ verifying the data pages and one verifying the commit.
#[test]
fn ntag215_fresh_write_is_at_most_24_apdus() {
    let mut s = session(TagState::factory(VChip::Ntag215, UID));
    let r = s
        .write_ndef(&wechat_message(SCHEME).unwrap(), WriteOptions::default())
        .unwrap();
    assert_eq!(r.io.writes, 19);
    assert!(r.io.apdus <= 24, "{:?}", r.io);
    assert_eq!(
        (r.io.apdus, r.io.reads, r.io.fast_reads),
        (24, 4, 4),
        "{:?}",
        r.io
    );
    let mut s = session(s.transport().tag().unwrap());
    let r = s
        .write_ndef(&wechat_message(SCHEME).unwrap(), WriteOptions::default())
        .unwrap();
    assert!(r.unchanged);
    assert!(r.io.apdus <= 4, "{:?}", r.io);
}

/// Without a pass-through (a plain PC/SC Part 3 reader): READ, 4 pages at a time. The first session on
/// the reader finds that out (Direct Transmit, then a transparent session: 2 APDUs), and the chip told by
/// its CC alone is checked for its size (its last page reads, the next does not: 2 READs and a reset), and
/// the highest page the plan writes is read before the first write (1 READ); the next session on the same
/// reader does not probe again.
#[test]
fn without_pass_through_reads_are_plain() {
    let t = pt_transport(TagState::factory(VChip::Ntag215, UID), PassThrough::None);
    let fw = t.fw.clone();
    let mut s = TagSession::new(t, quirks_for("x").with_passthrough(PassThrough::None));
    let r = s
        .write_ndef(&wechat_message(SCHEME).unwrap(), WriteOptions::default())
        .unwrap();
    assert_eq!(r.chip, ChipKind::Ntag215);
    assert_eq!((r.io.fast_reads, r.io.native_commands), (0, 1));
    assert_eq!(r.io.apdus, 28 + 2 + 2 + 1, "{:?}", r.io);
    let t = s.transport().clone_handle();
    drop(s);
    assert!(std::sync::Arc::ptr_eq(&t.fw, &fw));
    let before = fw.lock().unwrap().log.len();
    let mut s = TagSession::new(t, quirks_for("x"));
    s.read_tag().unwrap();
    let log = fw.lock().unwrap().log[before..].to_vec();
    assert!(
        log.iter().all(
            |(a, _)| !a.starts_with(&[0xFF, 0x00, 0x00, 0x00]) && !a.starts_with(&[0xFF, 0xC2])
        ),
        "probed again: {log:02X?}"
    );
}

/// A chip that claims to be an NTAG (a clone answering GET_VERSION) but NAKs FAST_READ: the session
/// falls back to READ and the write still succeeds.
#[test]
fn fast_read_nak_falls_back_to_read() {
    let mut t = TagState::factory(VChip::Ntag213, UID);
    t.no_fast_read = true;
    let mut s = session(t);
    let m = wechat_message(SCHEME).unwrap();
    let r = s.write_ndef(&m, WriteOptions::default()).unwrap();
    assert_eq!(content(&mem(&s)), Content::Message(m.encode().unwrap()));
    assert_eq!(r.io.fast_reads, 1, "{:?}", r.io);
    assert!(r.io.reconnects >= 1);
}

#[test]
fn blank_tags_are_formatted() {
    for chip in CHIPS {
        let mut s = session(TagState::blank(chip, UID));
        let m = wechat("AbC123");
        let r = s.write_ndef(&m, WriteOptions::default()).unwrap();
        assert!(r.formatted);
        let t = s.transport().tag().unwrap();
        assert_eq!(
            &t.mem[12..16],
            &chip.kind().geometry().unwrap().factory_cc.unwrap()
        );
        assert_eq!(content(&t.mem), Content::Message(m.encode().unwrap()));
    }
}

#[test]
fn other_message_is_replaced_and_only_changed_pages_written() {
    for chip in CHIPS {
        let old = uri_and_aar("https://example.com/some/long/path/that/takes/pages", None)
            .encode()
            .unwrap();
        let mut s = session(TagState::with_message(chip, UID, &old));
        let m = wechat("XTSkBZlzqmn");
        s.write_ndef(&m, WriteOptions::default()).unwrap();
        assert_eq!(content(&mem(&s)), Content::Message(m.encode().unwrap()));
        // Another ticket of the same length: only the ticket's pages (+ length mark/commit) change.
        let m2 = wechat("XTSkBZlzqmZ");
        let mut s2 = session(s.transport().tag().unwrap());
        let r = s2.write_ndef(&m2, WriteOptions::default()).unwrap();
        assert!(r.pages_written <= 3, "{chip:?}: {} pages", r.pages_written);
        assert_eq!(content(&mem(&s2)), Content::Message(m2.encode().unwrap()));
    }
}

#[test]
fn locked_and_password_tags_are_refused_untouched() {
    for chip in CHIPS {
        let mut t = TagState::with_message(chip, UID, &wechat("OLD").encode().unwrap());
        t.lock();
        let before = t.mem.clone();
        let mut s = session(t);
        let e = s
            .write_ndef(&wechat("NEW"), WriteOptions::default())
            .unwrap_err();
        assert!(matches!(e, TagError::ReadOnly(_)), "{e:?}");
        assert_eq!(mem(&s), before);
        let rep = session(s.transport().tag().unwrap()).read_tag().unwrap();
        assert!(rep.lock.unwrap().fully_locked && !rep.writable);

        let mut t = TagState::with_message(chip, UID, &wechat("OLD").encode().unwrap());
        t.protect([1, 2, 3, 4], [5, 6], 4, false);
        let before = t.mem.clone();
        let mut s = session(t);
        let e = s
            .write_ndef(&wechat("NEW"), WriteOptions::default())
            .unwrap_err();
        assert_eq!(e, TagError::PasswordProtected { auth0: 4 });
        assert_eq!(mem(&s), before);
        let rep = session(s.transport().tag().unwrap()).read_tag().unwrap();
        assert!(rep.password.unwrap().active && !rep.writable);
        assert!(rep.wechat.unwrap().valid, "phones can still read it");
    }
}

#[test]
fn too_large_says_by_how_much() {
    // NTAG213 with its Lock TLV holds a 137-byte message: a 100-character scheme.
    let ticket76: String = "A".repeat(76);
    let ticket77: String = "A".repeat(77);
    let mut s = session(TagState::factory(VChip::Ntag213, UID));
    s.write_ndef(&wechat(&ticket76), WriteOptions::default())
        .unwrap();
    let mut s = session(TagState::factory(VChip::Ntag213, UID));
    let e = s
        .write_ndef(&wechat(&ticket77), WriteOptions::default())
        .unwrap_err();
    assert_eq!(
        e,
        TagError::TooLarge {
            message_len: 138,
            capacity: 137,
            over_by: 1
        }
    );
    let big = uri_and_aar(
        &format!("https://example.com/{}", "x".repeat(600)),
        Some(WECHAT_PACKAGE),
    );
    let mut s = session(TagState::factory(VChip::Ntag215, UID));
    match s.write_ndef(&big, WriteOptions::default()).unwrap_err() {
        TagError::TooLarge {
            capacity, over_by, ..
        } => assert_eq!((capacity, over_by), (492, big.encoded_len() - 492)),
        e => panic!("{e:?}"),
    }
    // NTAG216 takes it with a 3-byte length.
    let mut s = session(TagState::factory(VChip::Ntag216, UID));
    s.write_ndef(&big, WriteOptions::default()).unwrap();
    assert_eq!(content(&mem(&s)), Content::Message(big.encode().unwrap()));
}

#[test]
fn mifare_classic_is_recognised_and_refused() {
    let mut s = session(TagState::factory(VChip::MifareClassic1k, UID));
    let rep = s.read_tag().unwrap();
    assert_eq!(rep.chip.kind, ChipKind::MifareClassic1k);
    assert_eq!(rep.uid.as_deref(), Some("04112233"));
    assert!(!rep.writable);
    let e = s
        .write_ndef(&wechat("A"), WriteOptions::default())
        .unwrap_err();
    assert!(matches!(e, TagError::Unsupported { .. }), "{e:?}");
}

#[test]
fn permanent_lock() {
    for chip in CHIPS {
        let mut s = session(TagState::factory(chip, UID));
        let m = wechat("LOCKME");
        let r = s
            .write_ndef(
                &m,
                WriteOptions {
                    lock: true,
                    password_protect: false,
                },
            )
            .unwrap();
        assert!(r.locked);
        let t = s.transport().tag().unwrap();
        assert!(lock_state(chip.kind(), &t.image()).unwrap().fully_locked);
        // Same content + lock again: fine (nothing to do). Different content: refused.
        let mut s2 = session(t.clone());
        assert!(
            s2.write_ndef(
                &m,
                WriteOptions {
                    lock: true,
                    password_protect: false
                }
            )
            .unwrap()
            .unchanged
        );
        let mut s3 = session(t);
        assert!(matches!(
            s3.write_ndef(&wechat("OTHER"), WriteOptions::default()),
            Err(TagError::ReadOnly(_))
        ));
        // Config cannot be hijacked later (CFGLCK, effective after a power cycle).
        let mut t = s3.transport().tag().unwrap();
        t.power_cycle();
        let cfg = chip.kind().geometry().unwrap().cfg_page.unwrap() as usize;
        assert!(t.write(cfg, [0, 0, 0, 4]).is_err());
    }
}

#[test]
fn password_protection_round_trip_with_the_keychain() {
    let keychain: Arc<dyn SecretStore> = Arc::new(Keychain::in_memory());
    for chip in CHIPS {
        let mut s = session(TagState::factory(chip, UID)).with_secrets(keychain.clone());
        let r = s
            .write_ndef(
                &wechat("PW1"),
                WriteOptions {
                    lock: false,
                    password_protect: true,
                },
            )
            .unwrap();
        assert!(r.password_protected);
        let stored = keychain
            .get(&accounts::tag_password("04112233445566"))
            .unwrap()
            .unwrap();
        assert_eq!(stored.expose().len(), 13);
        let t = s.transport().tag().unwrap();
        // Without the keychain: refused.
        let mut s2 = session(t.clone());
        assert!(matches!(
            s2.write_ndef(&wechat("PW2"), WriteOptions::default()),
            Err(TagError::PasswordProtected { .. })
        ));
        // With it: rewritten (pseudo-APDUs drop the auth on this reader, so native WRITE is used).
        let mut s3 = session(t).with_secrets(keychain.clone());
        let r3 = s3
            .write_ndef(&wechat("PW2"), WriteOptions::default())
            .unwrap();
        assert!(r3.password_protected);
        assert_eq!(
            content(&mem(&s3)),
            Content::Message(wechat("PW2").encode().unwrap())
        );
        keychain
            .delete(&accounts::tag_password("04112233445566"))
            .unwrap();
    }
}

#[test]
fn read_protected_tags_need_the_keychain_password() {
    let mut t = TagState::with_message(VChip::Ntag213, UID, &wechat("RP").encode().unwrap());
    t.protect([1, 2, 3, 4], [5, 6], 4, true);
    // Unknown password: the inspector still answers (UID, chip) and says why it cannot show more.
    let rep = session(t.clone()).read_tag().unwrap();
    assert_eq!(rep.chip.kind, ChipKind::Ntag213);
    assert!(rep.message_error.is_some() && !rep.writable, "{rep:?}");
    assert!(matches!(
        session(t.clone()).write_ndef(&wechat("X"), WriteOptions::default()),
        Err(TagError::PasswordProtected { .. })
    ));
    // Known password (keychain): full inspection and writing work.
    let keychain: Arc<dyn SecretStore> = Arc::new(Keychain::in_memory());
    keychain
        .set(
            &accounts::tag_password("04112233445566"),
            &SecretString::new("01020304:0506"),
        )
        .unwrap();
    let rep = session(t.clone())
        .with_secrets(keychain.clone())
        .read_tag()
        .unwrap();
    assert!(rep.wechat.unwrap().valid);
    let mut s = session(t).with_secrets(keychain.clone());
    s.write_ndef(&wechat("NEW"), WriteOptions::default())
        .unwrap();
    assert_eq!(
        content(&mem(&s)),
        Content::Message(wechat("NEW").encode().unwrap())
    );
    // A wrong stored password is reported as such.
    keychain
        .set(
            &accounts::tag_password("04112233445566"),
            &SecretString::new("09090909:0506"),
        )
        .unwrap();
    let t = s.transport().tag().unwrap();
    let e = session(t)
        .with_secrets(keychain)
        .write_ndef(&wechat("Z"), WriteOptions::default());
    assert_eq!(e.unwrap_err(), TagError::WrongPassword);
}

#[test]
fn status_words_are_never_trusted() {
    // 63 00 although the write worked; 90 00 although it did not; a real NAK.
    for faults in [
        Faults {
            false_failure_writes: 3,
            pseudo_apdus_drop_auth: true,
            ..Faults::default()
        },
        Faults {
            silent_failure_writes: 2,
            pseudo_apdus_drop_auth: true,
            ..Faults::default()
        },
        Faults {
            nak_writes: 1,
            pseudo_apdus_drop_auth: true,
            ..Faults::default()
        },
    ] {
        let t = InProcessTransport::with_tag(TagState::factory(VChip::Ntag215, UID));
        t.fw.lock().unwrap().faults = faults.clone();
        let mut s = TagSession::new(t, quirks_for("Virtual PCD 00 00"));
        let m = wechat_message(SCHEME).unwrap();
        let r = s.write_ndef(&m, WriteOptions::default()).unwrap();
        assert_eq!(
            content(&mem(&s)),
            Content::Message(m.encode().unwrap()),
            "{faults:?}"
        );
        if faults.false_failure_writes > 0 {
            assert_eq!(r.io.untrusted_failures, 3);
        }
    }
}

#[test]
fn other_pass_through_modes() {
    for p in [PassThrough::Part3Transparent, PassThrough::None] {
        let mut s = TagSession::new(
            pt_transport(TagState::factory(VChip::Ntag216, UID), p),
            quirks_for("x").with_passthrough(p),
        );
        let rep = s.read_tag().unwrap();
        assert_eq!(rep.chip.kind, ChipKind::Ntag216);
        s.write_ndef(&wechat("P3"), WriteOptions::default())
            .unwrap();
    }
    let mut s = TagSession::new(
        pt_transport(TagState::blank(VChip::Ntag215, UID), PassThrough::None),
        quirks_for("x").with_passthrough(PassThrough::None),
    );
    assert_eq!(
        s.write_ndef(&wechat("B"), WriteOptions::default())
            .unwrap_err(),
        TagError::CannotIdentifyBlank
    );
    let mut s = TagSession::new(
        pt_transport(TagState::factory(VChip::Ntag215, UID), PassThrough::None),
        quirks_for("x").with_passthrough(PassThrough::None),
    );
    let k: Arc<dyn SecretStore> = Arc::new(Keychain::in_memory());
    s = s.with_secrets(k);
    assert_eq!(
        s.write_ndef(
            &wechat("B"),
            WriteOptions {
                lock: false,
                password_protect: true
            }
        )
        .unwrap_err(),
        TagError::NoPassThrough
    );
}

/// Scenarios for the tear test: (name, initial tag, new message).
pub fn tear_scenarios(chip: VChip) -> Vec<(String, TagState, Vec<u8>)> {
    let new = wechat_message(SCHEME).unwrap().encode().unwrap();
    let other = uri_and_aar(
        "https://example.com/a/previous/message",
        Some("com.example"),
    )
    .encode()
    .unwrap();
    let mut v = vec![
        (
            "factory".to_string(),
            TagState::factory(chip, UID),
            new.clone(),
        ),
        ("blank".to_string(), TagState::blank(chip, UID), new.clone()),
        (
            "other message".to_string(),
            TagState::with_message(chip, UID, &other),
            new.clone(),
        ),
        (
            "longer previous".to_string(),
            TagState::with_message(chip, UID, &new),
            wechat("Z").encode().unwrap(),
        ),
    ];
    // A blank tag is formatted only when its chip is known (GET_VERSION, or the ATR for Ultralight C): a
    // blank generic tag cannot be sized, and a blank NTAG203 cannot be told from a 48-byte Ultralight.
    if matches!(chip, VChip::GenericType2 | VChip::Ntag203) {
        v.retain(|(n, _, _)| n != "blank");
    }
    if matches!(chip, VChip::Ntag215 | VChip::Ntag216) {
        let big = uri_and_aar(
            &format!("https://example.com/{}", "y".repeat(300)),
            Some(WECHAT_PACKAGE),
        )
        .encode()
        .unwrap();
        v.push((
            "3-byte length".to_string(),
            TagState::with_message(chip, UID, &other),
            big.clone(),
        ));
        v.push((
            "3-byte to 1-byte".to_string(),
            TagState::with_message(chip, UID, &big),
            new.clone(),
        ));
    }
    v
}

/// Pull the tag after every APDU of the write in turn; the tag must hold the previous content, an empty
/// message or the new message. Then tapping again finishes the job.
#[test]
fn tear_after_every_apdu_in_process() {
    for chip in CHIPS {
        tear_sweep(chip);
    }
}

fn tear_sweep(chip: VChip) {
    {
        for (name, tag, new) in tear_scenarios(chip) {
            let before = content(&tag.mem);
            let full = {
                let mut s = session(tag.clone());
                s.write_ndef(&Message::decode(&new).unwrap(), WriteOptions::default())
                    .unwrap()
                    .io
                    .apdus
            };
            let mut seen = [0u32; 3];
            for k in 1..=full {
                let t = InProcessTransport::with_tag(tag.clone());
                t.fw.lock().unwrap().faults.remove_after_apdu = Some(k);
                let mut s = TagSession::new(t, quirks_for("Virtual PCD 00 00"));
                let r = s.write_ndef(&Message::decode(&new).unwrap(), WriteOptions::default());
                let after = s.transport().tag().unwrap();
                let c = content(&after.mem);
                assert!(
                    c == before || c == Content::Empty || c == Content::Message(new.clone()),
                    "{chip:?} {name}: torn after APDU {k}/{full}: {c:?} (write result {r:?})"
                );
                seen[if c == before {
                    0
                } else if c == Content::Empty {
                    1
                } else {
                    2
                }] += 1;
                if r.is_ok() {
                    continue;
                }
                assert_eq!(r.unwrap_err(), TagError::TagRemoved);
                let mut again = session(after);
                again
                    .write_ndef(&Message::decode(&new).unwrap(), WriteOptions::default())
                    .unwrap();
                assert_eq!(
                    content(&mem(&again)),
                    Content::Message(new.clone()),
                    "{chip:?} {name} retry after {k}"
                );
            }
            // Every state was reached: before (or empty), and the new message before the end.
            assert!(seen[0] > 0 && seen[2] > 0, "{chip:?} {name}: {seen:?}");
            if before != Content::Empty && before != Content::NotNdef {
                assert!(seen[1] > 0, "{chip:?} {name}: never empty {seen:?}");
            }
            eprintln!("{chip:?} {name}: {full} APDUs; torn states previous/empty/new = {seen:?}");
        }
    }
}

/// The Type 2 chips with room for the WeChat message, and the 48-byte ones.
const ROOMY: [VChip; 9] = [
    VChip::Ntag213,
    VChip::Ntag215,
    VChip::Ntag216,
    VChip::Ntag203,
    VChip::UltralightC,
    VChip::UltralightEv1Mf0ul21,
    VChip::Ntag212,
    VChip::Ntag213Clone,
    VChip::GenericType2,
];
const SMALL: [VChip; 3] = [
    VChip::Ultralight,
    VChip::UltralightEv1Mf0ul11,
    VChip::Ntag210,
];

/// Issue 14 item 1: every Type 2 tag with room writes, verifies and reads back as a valid WeChat tag,
/// whether or not it answers GET_VERSION or is from NXP; it can be locked permanently (every user page
/// locked by the chip's own lock bits, as the virtual chip enforces them), and a password is refused
/// before anything is written where the chip has none.
#[test]
fn every_roomy_type2_chip_writes_verifies_and_locks() {
    let keychain: Arc<dyn SecretStore> = Arc::new(Keychain::in_memory());
    for chip in ROOMY {
        let m = wechat_message(SCHEME).unwrap();
        let start = TagState::factory(chip, UID);
        let uid = hex(&start.uid);
        let mut s = session(start.clone());
        let r = s.write_ndef(&m, WriteOptions::default()).unwrap();
        assert!(!r.unchanged && r.io.untrusted_failures == 0, "{chip:?}");
        assert_eq!(
            content(&mem(&s)),
            Content::Message(m.encode().unwrap()),
            "{chip:?}"
        );
        let written = s.transport().tag().unwrap();
        let rep = session(written.clone()).read_tag().unwrap();
        assert_eq!(rep.chip.kind, chip.kind(), "{chip:?}");
        assert!(rep.wechat.as_ref().unwrap().valid, "{chip:?}");
        assert!(rep.writable && rep.chip.write_supported, "{chip:?}");
        assert!(rep.chip.capacity_bytes.unwrap() >= 128, "{chip:?}");
        assert!(
            rep.chip.description_zh.contains("字节")
                && rep.chip.description_zh.contains("可以永久锁定"),
            "{chip:?}: {}",
            rep.chip.description_zh
        );
        assert_eq!(
            rep.chip.has_password,
            chip.kind().has_password(),
            "{chip:?}"
        );
        // Identical content: nothing written.
        let r = session(written.clone())
            .write_ndef(&m, WriteOptions::default())
            .unwrap();
        assert!(r.unchanged && r.io.writes == 0, "{chip:?}");

        // Permanent lock with the lock bits the chip has.
        let mut s = session(start.clone());
        let r = s
            .write_ndef(
                &m,
                WriteOptions {
                    lock: true,
                    password_protect: false,
                },
            )
            .unwrap();
        assert!(r.locked, "{chip:?}");
        let locked = s.transport().tag().unwrap();
        let g = chip.geometry().unwrap();
        for p in 4..=g.user_last_page as usize {
            assert!(locked.page_locked(p), "{chip:?}: page {p} not locked");
        }
        assert_eq!(locked.mem[15] & 0x0F, 0x0F, "{chip:?}: CC not read-only");
        let rep = session(locked.clone()).read_tag().unwrap();
        assert!(rep.lock.unwrap().fully_locked && !rep.writable, "{chip:?}");
        let mut t = locked.clone();
        t.power_cycle();
        let e = session(t.clone())
            .write_ndef(&wechat("OTHER"), WriteOptions::default())
            .unwrap_err();
        assert!(matches!(e, TagError::ReadOnly(_)), "{chip:?}: {e:?}");
        assert_eq!(session(t).transport().tag().unwrap().mem, locked.mem);

        // A password only where the chip has one.
        let pw = WriteOptions {
            lock: false,
            password_protect: true,
        };
        let mut s = session(start.clone()).with_secrets(keychain.clone());
        let r = s.write_ndef(&m, pw);
        if chip.kind().has_password() {
            assert!(r.unwrap().password_protected, "{chip:?}");
            keychain.delete(&accounts::tag_password(&uid)).unwrap();
        } else {
            let e = r.unwrap_err();
            assert_eq!(
                e,
                TagError::NoPasswordOnChip {
                    name: chip.kind().name().into()
                },
                "{chip:?}"
            );
            assert_eq!(mem(&s), start.mem, "{chip:?}: touched before refusing");
            assert_eq!(
                tapstand_error::UserError::from(e).code,
                "tag.no_password_on_chip"
            );
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// The case: a 144-byte Type 2 tag that does not answer GET_VERSION and is not from NXP, on a
/// reader with and without native pass-through. It used to be refused ("请使用 NTAG213…").
#[test]
fn generic_144_byte_tag_without_get_version_writes() {
    for p in [
        PassThrough::Acr122Direct,
        PassThrough::Part3Transparent,
        PassThrough::None,
    ] {
        let t = TagState::factory(VChip::GenericType2, UID);
        assert_eq!(t.uid[0], 0x1D);
        let mut s = TagSession::new(pt_transport(t, p), quirks_for("x").with_passthrough(p));
        let m = wechat_message(SCHEME).unwrap();
        let r = s.write_ndef(&m, WriteOptions::default()).unwrap();
        assert_eq!(r.chip, ChipKind::OtherType2, "{p:?}");
        assert_eq!(r.capacity, 142, "{p:?}");
        assert_eq!(content(&mem(&s)), Content::Message(m.encode().unwrap()));
    }
}

/// Issue 14 item 1: 48-byte tags say plainly that the link does not fit and which tags to buy, and are
/// left untouched.
#[test]
fn small_tags_say_the_link_does_not_fit() {
    for chip in SMALL {
        let t = TagState::factory(chip, UID);
        let before = t.mem.clone();
        let mut s = session(t);
        let rep = s.read_tag().unwrap();
        assert!(!rep.writable && !rep.chip.write_supported, "{chip:?}");
        assert!(rep.chip.support_zh.contains("48 字节"), "{chip:?}");
        assert!(rep.chip.description_zh.contains("放不下"), "{chip:?}");
        let e = s
            .write_ndef(&wechat_message(SCHEME).unwrap(), WriteOptions::default())
            .unwrap_err();
        assert!(
            matches!(
                e,
                TagError::TooSmall {
                    data_bytes: 48,
                    message_len: 72,
                    ..
                }
            ),
            "{chip:?}: {e:?}"
        );
        let u = tapstand_error::UserError::from(e);
        assert_eq!(u.code, "tag.too_small");
        assert!(u.zh.message.contains("放不下") && u.zh.remedy.contains("NTAG213"));
        assert!(u.en.remedy.contains("NTAG213"));
        assert_eq!(mem(&s), before, "{chip:?}");
    }
}

/// The tear sweep of [`tear_after_every_apdu_in_process`] on the other Type 2 chips.
#[test]
fn tear_after_every_apdu_other_type2_chips() {
    for chip in [
        VChip::GenericType2,
        VChip::Ntag203,
        VChip::UltralightC,
        VChip::UltralightEv1Mf0ul21,
        VChip::Ntag212,
    ] {
        tear_sweep(chip);
    }
}

/// APDUs per chip at the virtual reader (ACR122-style pass-through): read (inspect), fresh write +
/// verify, identical content. The figures in `benchmarks/tag-apdus.md` come from this test
/// (`TAPSTAND_APDU_TABLE=1` prints the table); it fails when a count regresses past its target.
#[test]
fn apdu_counts_per_chip() {
    let m = wechat_message(SCHEME).unwrap();
    let mut rows = Vec::new();
    for chip in ROOMY {
        let read = session(TagState::factory(chip, UID))
            .read_tag()
            .unwrap()
            .io
            .apdus;
        let mut s = session(TagState::factory(chip, UID));
        let fresh = s.write_ndef(&m, WriteOptions::default()).unwrap().io;
        let same = session(s.transport().tag().unwrap())
            .write_ndef(&m, WriteOptions::default())
            .unwrap()
            .io;
        rows.push(format!(
            "| {} (`VChip::{chip:?}`) | {} | {} ({} writes, {} FAST_READ) | {} |",
            chip.kind().name(),
            read,
            fresh.apdus,
            fresh.writes,
            fresh.fast_reads,
            same.apdus
        ));
        let (fresh_max, same_max) = match chip {
            // NTAG21x / EV1: GET_VERSION + FAST_READ.
            VChip::Ntag213 | VChip::Ntag213Clone | VChip::Ntag212 | VChip::UltralightEv1Mf0ul21 => {
                (23, 3)
            }
            VChip::Ntag215 | VChip::Ntag216 => (24, 4),
            // No FAST_READ: READ of 4 pages; a NAKed GET_VERSION costs a reconnect.
            _ => (30, 8),
        };
        assert!(fresh.apdus <= fresh_max, "{chip:?} fresh: {fresh:?}");
        assert!(same.apdus <= same_max, "{chip:?} identical: {same:?}");
    }
    for chip in SMALL {
        let mut s = session(TagState::factory(chip, UID));
        assert!(matches!(
            s.write_ndef(&m, WriteOptions::default()),
            Err(TagError::TooSmall { .. })
        ));
        let io = s.stats().clone();
        assert_eq!(io.writes, 0);
        rows.push(format!(
            "| {} (`VChip::{chip:?}`) | — | refused as too small after {} APDUs, 0 writes | — |",
            chip.kind().name(),
            io.apdus
        ));
    }
    if std::env::var_os("TAPSTAND_APDU_TABLE").is_some() {
        println!("| chip | read (inspect) | fresh write + verify | identical content |");
        println!("|---|---|---|---|");
        for r in rows {
            println!("{r}");
        }
    }
}

/// The genuine-chip verdict through the engine (in-process tag): NXP's public test UID is an NXP original,
/// a test-key signature is not (but verifies against the test key), clones (garbage, NAK) are not and stay
/// readable and writable after the NAK, an NTAG203 cannot be checked (READ_SIG not sent), and a reader
/// without pass-through cannot check at all.
#[test]
fn genuine_verdicts() {
    use tapstand_vtag::{SigMode, NXP_TEST_UID};

    let mut s = session(TagState::factory(VChip::Ntag215, NXP_TEST_UID));
    assert_eq!(s.read_tag().unwrap().genuine, Some(true));

    let mut s = session(TagState::factory(VChip::Ntag213, UID));
    assert_eq!(s.read_tag().unwrap().genuine, Some(false));
    assert_eq!(
        s.genuine_with(&[tapstand_genuine::TEST_KEY]).unwrap(),
        Some(true)
    );

    for mode in [SigMode::Garbage, SigMode::Nak] {
        let mut s = session(TagState::factory(VChip::Ntag216, UID).with_signature(mode));
        let r = s.read_tag().unwrap();
        assert_eq!(r.genuine, Some(false), "{mode:?}");
        assert_eq!(r.chip.kind, ChipKind::Ntag216);
        let w = s.write_ndef(&wechat("Genuine1"), WriteOptions::default());
        assert!(w.is_ok(), "{mode:?}: {w:?}");
    }

    let mut s = session(TagState::factory(VChip::Ntag203, UID));
    let r = s.read_tag().unwrap();
    assert_eq!(r.genuine, None);
    assert_eq!(r.io.native_commands, 1, "only GET_VERSION: {:?}", r.io);

    let mut s = TagSession::new(
        pt_transport(
            TagState::factory(VChip::Ntag215, NXP_TEST_UID),
            PassThrough::None,
        ),
        quirks_for("Virtual PCD 00 00").with_passthrough(PassThrough::None),
    );
    assert_eq!(s.read_tag().unwrap().genuine, None);
}

/// Issue 24: tag passwords derived from the profile's tag key. PC A protects a tag; PC B, holding the same
/// key in its own keychain (no entry for the tag), rewrites it; a PC with another key cannot. Nothing is
/// kept per tag in the keychain.
#[test]
fn a_tag_protected_on_one_pc_is_unlocked_by_another_with_the_same_tag_key() {
    use tapstand_secrets::SecretString;
    let key = "chain-tag-key-2026-十二月";
    let keychain_a: Arc<dyn SecretStore> = Arc::new(Keychain::in_memory());
    for chip in [VChip::Ntag213, VChip::Ntag215] {
        let mut a = session(TagState::factory(chip, UID))
            .with_secrets(keychain_a.clone())
            .with_tag_key(SecretString::new(key));
        let r = a
            .write_ndef(
                &wechat("TK1"),
                WriteOptions {
                    lock: false,
                    password_protect: true,
                },
            )
            .unwrap();
        assert!(r.password_protected, "{chip:?}");
        assert_eq!(
            keychain_a
                .get(&accounts::tag_password("04112233445566"))
                .unwrap(),
            None,
            "no keychain entry per tag"
        );
        let t = a.transport().tag().unwrap();
        let (pwd, _) = tapstand_secrets::tag_key::derive(key, &UID);
        assert_eq!(t.pwd(), pwd, "{chip:?}: the tag's PWD is the derived one");
        // Another PC with another key: refused.
        let mut other = session(t.clone()).with_tag_key(SecretString::new("not the team's key"));
        assert!(
            other
                .write_ndef(&wechat("TK2"), WriteOptions::default())
                .is_err(),
            "{chip:?}"
        );
        // PC B, same key, nothing else: rewrites it.
        let mut b = session(t).with_tag_key(SecretString::new(key));
        b.write_ndef(&wechat("TK2"), WriteOptions::default())
            .unwrap_or_else(|e| panic!("{chip:?}: {e:?}"));
        assert_eq!(
            content(&mem(&b)),
            Content::Message(wechat("TK2").encode().unwrap())
        );
    }
}

/// Issue 23: a reader that passes no native command (OMNIKEY, Identiv, Feitian) and an NTAG203. Its CC
/// says 144 bytes, as an NTAG213's does; taken for an NTAG213, its counter page was read as CFG0 and the
/// tag refused as "password protected from page 0". The guess is checked against the chip's size now.
#[test]
fn a_chip_guessed_from_its_cc_is_not_taken_for_a_fact() {
    for model in [
        tapstand_vtag::ReaderModel::Omnikey5422,
        tapstand_vtag::ReaderModel::IdentivUtrust3700f,
        tapstand_vtag::ReaderModel::FeitianR502,
    ] {
        let t = InProcessTransport::with_tag(TagState::factory(VChip::Ntag203, UID));
        t.fw.lock().unwrap().model = model;
        let fw = t.fw.clone();
        let mut s = TagSession::new(t, quirks_for("x"));
        let m = wechat_message(SCHEME).unwrap();
        let r = s.write_ndef(&m, WriteOptions::default());
        let r = r.unwrap_or_else(|e| panic!("{model:?}: {e:?}"));
        assert_eq!(r.chip, ChipKind::Ntag203, "{model:?}");
        let mem = fw.lock().unwrap().tag.clone().unwrap().mem;
        assert_eq!(
            tapstand_vtag::rig::message_bytes(&mem),
            Some(m.encode().unwrap()),
            "{model:?}"
        );
    }
}

/// Issue 23: each reader's failure status words end in a precise error and never change the tag: a
/// Feitian that cannot reach past page 0F of an Ultralight C refuses before writing anything.
#[test]
fn a_reader_that_cannot_reach_the_message_area_refuses_before_writing() {
    let t = InProcessTransport::with_tag(TagState::factory(VChip::UltralightC, UID));
    t.fw.lock().unwrap().model = tapstand_vtag::ReaderModel::FeitianR502;
    let fw = t.fw.clone();
    let before = fw.lock().unwrap().tag.clone().unwrap().mem;
    let mut s = TagSession::new(t, quirks_for("FT R502 CL 0"));
    let e = s
        .write_ndef(&wechat_message(SCHEME).unwrap(), WriteOptions::default())
        .unwrap_err();
    assert_eq!(
        e,
        TagError::Status {
            what: "READ BINARY",
            sw: crate::apdu::Sw::OutOfRange
        }
    );
    assert_eq!(
        tapstand_error::UserError::from(e).code,
        "tag.reader_cannot_reach"
    );
    assert_eq!(fw.lock().unwrap().tag.clone().unwrap().mem, before);
    assert_eq!(fw.lock().unwrap().tag.clone().unwrap().writes, 0);
}

/// Issue 23: an ACR122U whose `D4 42` WRITE answers "CRC error" although the page was written; native
/// writes go through InDataExchange (`D4 40 01`), whose answer can be trusted, and every write is read
/// back. Through the password path (native pages after PWD_AUTH on an ACR122U).
#[test]
fn native_writes_go_through_in_data_exchange() {
    let mut tag = TagState::factory(VChip::Ntag215, UID);
    tag.protect([1, 2, 3, 4], [0xAA, 0xBB], 4, false);
    let t = InProcessTransport::with_tag(tag);
    t.fw.lock().unwrap().model = tapstand_vtag::ReaderModel::Acr122u;
    let fw = t.fw.clone();
    let k: Arc<dyn SecretStore> = Arc::new(Keychain::in_memory());
    k.set(
        &tapstand_secrets::accounts::tag_password("04112233445566"),
        &tapstand_secrets::SecretString::new("01020304:AABB".to_string()),
    )
    .unwrap();
    let mut s = TagSession::new(t, quirks_for("ACS ACR122U PICC Interface 00 00")).with_secrets(k);
    let m = wechat_message(SCHEME).unwrap();
    let r = s.write_ndef(&m, WriteOptions::default()).unwrap();
    assert!(r.pages_written > 0);
    let log = fw.lock().unwrap().log.clone();
    let writes: Vec<_> = log
        .iter()
        .filter(|(a, _)| a.len() > 8 && a[5..8] == [0xD4, 0x40, 0x01] && a[8] == 0xA2)
        .collect();
    assert!(!writes.is_empty(), "no InDataExchange WRITE: {log:02X?}");
    assert!(!log
        .iter()
        .any(|(a, _)| a.len() > 7 && a[5..7] == [0xD4, 0x42] && a[7] == 0xA2));
    let mem = fw.lock().unwrap().tag.clone().unwrap().mem;
    assert_eq!(
        tapstand_vtag::rig::message_bytes(&mem),
        Some(m.encode().unwrap())
    );
}

//! The tear sweep with torn EEPROM pages (issue 24), through the real pcscd + vpcd + the virtual tag.
//!
//! NTAG21x data pages have no anti-tearing: a tag pulled away while a page is being programmed leaves it
//! holding a mix of old, new and random bytes (`tapstand_vtag::tear`; the CC, the lock bytes and the
//! dynamic lock page stay atomic). For three starting points — a factory-fresh tag, a tag holding another
//! WeChat link of the same length, a tag holding a longer web link — the tag is pulled after every APDU of
//! the write in turn, each time with several random mixes. After every tear no phone may be sent anywhere
//! wrong: the tag holds the old message, the new one, an empty message, or nothing an NDEF parser accepts
//! (checked with our parser and with a lenient one that, like Android's, ignores bytes after the last
//! record); and the next write repairs the tag.

mod common;

use std::time::Instant;

use common::{content, Content, Rig};
use tapstand_ndef::wechat::{uri_and_aar, wechat_message};
use tapstand_ndef::Message;
use tapstand_tag::WriteOptions;
use tapstand_vtag::{nth_uid, Faults, TagState, VChip};

const NEW: &str = "weixin://dl/business/?t=XTSkBZlzqmn";
const SAME_LENGTH: &str = "weixin://dl/business/?t=kMgfypIQqov";
const LONGER_WEB: &str =
    "https://example.com/a/much/longer/web/link/that/was/on/this/tag/before?from=stand";
/// Random mixes per torn APDU.
const MIXES: [u64; 2] = [0x5EED_0001, 0x5EED_0002];

/// The URI records' payloads a lenient phone reads from tag memory: the first NDEF TLV after any NULL,
/// Lock Control and Memory Control TLVs, its value clipped to the data area, records parsed one by one up
/// to the one flagged ME (bytes after it ignored). `None` when that does not parse (the phone shows
/// nothing).
fn phone_uris(mem: &[u8]) -> Option<Vec<Vec<u8>>> {
    let cc = mem.get(12..16)?;
    if cc[0] != 0xE1 {
        return None;
    }
    let end = (16 + cc[2] as usize * 8).min(mem.len());
    let mut i = 16;
    let value = loop {
        match *mem.get(i)? {
            0x00 => i += 1,
            0x01 | 0x02 => i += 2 + *mem.get(i + 1)? as usize,
            0x03 => {
                let (len, hdr) = match *mem.get(i + 1)? {
                    0xFF => (
                        u16::from_be_bytes([*mem.get(i + 2)?, *mem.get(i + 3)?]) as usize,
                        4,
                    ),
                    l => (l as usize, 2),
                };
                let start = i + hdr;
                break mem.get(start..(start + len).min(end))?;
            }
            _ => return None,
        }
        if i >= end {
            return None;
        }
    };
    let mut uris = Vec::new();
    let mut p = 0;
    loop {
        let h = *value.get(p)?;
        let (me, sr, il, tnf) = (h & 0x40 != 0, h & 0x10 != 0, h & 0x08 != 0, h & 0x07);
        let type_len = *value.get(p + 1)? as usize;
        let mut q = p + 2;
        let payload_len = if sr {
            q += 1;
            *value.get(q - 1)? as usize
        } else {
            q += 4;
            u32::from_be_bytes(value.get(q - 4..q)?.try_into().ok()?) as usize
        };
        let id_len = if il {
            q += 1;
            *value.get(q - 1)? as usize
        } else {
            0
        };
        let ty = value.get(q..q + type_len)?;
        let payload = value.get(q + type_len + id_len..q + type_len + id_len + payload_len)?;
        if tnf == 0x01 && ty == b"U" {
            uris.push(payload.to_vec());
        }
        p = q + type_len + id_len + payload_len;
        if me {
            return Some(uris);
        }
    }
}

fn uri_payloads(m: &[u8]) -> Vec<u8> {
    let mut mem = vec![0u8; 16];
    mem[12..16].copy_from_slice(&[0xE1, 0x10, 0xFF, 0x00]);
    mem.extend_from_slice(&[0x03, m.len() as u8]);
    mem.extend_from_slice(m);
    mem.push(0xFE);
    mem.resize(16 + 0xFF * 8, 0);
    phone_uris(&mem).unwrap().concat()
}

fn sweep(chip: VChip, n: u32, start_name: &str, old: Option<Message>) -> [u32; 4] {
    let Some(mut rig) = Rig::start(&format!("torn pages {chip:?} {start_name}")) else {
        return [0; 4];
    };
    let uid = nth_uid(7_400 + n);
    let new = wechat_message(NEW).unwrap();
    let new_bytes = new.encode().unwrap();
    let (start, old_bytes) = match &old {
        Some(m) => {
            let b = m.encode().unwrap();
            (TagState::with_message(chip, uid, &b), Some(b))
        }
        None => (TagState::factory(chip, uid), None),
    };
    let allowed_uris: Vec<Vec<u8>> = [Some(new_bytes.clone()), old_bytes.clone()]
        .into_iter()
        .flatten()
        .map(|b| uri_payloads(&b))
        .collect();

    rig.put(start.clone());
    let full = rig
        .session()
        .write_ndef(&new, WriteOptions::default())
        .unwrap()
        .io
        .apdus;
    // old / empty / new / nothing a parser accepts
    let mut seen = [0u32; 4];
    let t0 = Instant::now();
    for k in 1..=full {
        for seed in MIXES {
            // The tag on the reader is put back to the starting point in place (no new insertion: pcscd's
            // polling makes each one cost about half a second), and leaves after the k-th APDU from now.
            rig.vt.with_tag(|t| *t = start.clone());
            let base = rig.vt.apdus_since_insert();
            rig.vt.set_faults(Faults {
                remove_after_apdu: Some(base + k),
                pseudo_apdus_drop_auth: true,
                tear_seed: Some(seed),
                ..Faults::default()
            });
            let _ = rig.session().write_ndef(&new, WriteOptions::default());
            let after = rig.vt.tag().unwrap();
            let at = format!("{chip:?} {start_name}: torn after APDU {k}/{full}, mix {seed:#x}");
            let c = content(&after.mem);
            let class = match &c {
                Content::Message(b) if Some(b) == old_bytes.as_ref() => 0,
                Content::Empty => 1,
                Content::Message(b) if *b == new_bytes => 2,
                Content::Message(b) => panic!("{at}: the tag holds another message: {b:02X?}"),
                Content::NotNdef | Content::Invalid(_) => 3,
            };
            seen[class] += 1;
            if let Some(uris) = phone_uris(&after.mem) {
                for u in uris {
                    assert!(
                        allowed_uris.contains(&u),
                        "{at}: a lenient phone reads the link {:?}",
                        String::from_utf8_lossy(&u)
                    );
                }
            }
            // The next tap repairs it.
            rig.vt.set_faults(Faults {
                pseudo_apdus_drop_auth: true,
                ..Faults::default()
            });
            rig.put(after);
            rig.session()
                .write_ndef(&new, WriteOptions::default())
                .unwrap_or_else(|e| panic!("{at}: the next write: {e:?}"));
            assert_eq!(
                content(&rig.memory()),
                Content::Message(new_bytes.clone()),
                "{at}: repaired"
            );
        }
    }
    eprintln!(
        "{chip:?} {start_name}: {full} APDUs × {} mixes torn through pcscd in {:?}; old/empty/new/unreadable = {seen:?}",
        MIXES.len(),
        t0.elapsed()
    );
    rig.take_away();
    seen
}

// NTAG213 (what merchants buy) from all three starting points, and a factory-fresh Fudan-style chip (no
// GET_VERSION, its memory from its CC: the "any brand" sticker). Each round costs about 0.8 s through pcscd,
// so the other chips keep the page-atomic sweeps of `pcscd_vpcd.rs` (the plan's order is the same for all).

#[test]
fn torn_pages_fresh_tag() {
    for (i, chip) in [VChip::Ntag213, VChip::GenericType2]
        .into_iter()
        .enumerate()
    {
        let seen = sweep(chip, i as u32, "fresh", None);
        assert!(seen[1] + seen[3] > 0 && seen[2] > 0, "{chip:?}: {seen:?}");
    }
}

#[test]
fn torn_pages_same_length_rewrite() {
    let old = wechat_message(SAME_LENGTH).unwrap();
    let seen = sweep(VChip::Ntag213, 10, "same-length rewrite", Some(old));
    assert!(seen[0] > 0 && seen[2] > 0, "{seen:?}");
}

#[test]
fn torn_pages_rewrite_over_a_longer_web_link() {
    let old = uri_and_aar(LONGER_WEB, Some("com.example"));
    let seen = sweep(VChip::Ntag213, 20, "over a longer web link", Some(old));
    assert!(seen[0] > 0 && seen[2] > 0, "{seen:?}");
}

#[test]
fn the_lenient_parser_reads_what_it_should() {
    let m = wechat_message(NEW).unwrap().encode().unwrap();
    let mut mem = vec![0u8; 16];
    mem[12..16].copy_from_slice(&[0xE1, 0x10, 0x12, 0x00]);
    mem.extend_from_slice(&[0x03, m.len() as u8]);
    mem.extend_from_slice(&m);
    mem.extend_from_slice(&[0xFE, 0xAA, 0xBB]);
    mem.resize(16 + 0x12 * 8, 0);
    let uris = phone_uris(&mem).unwrap();
    assert_eq!(uris.len(), 1);
    assert!(String::from_utf8_lossy(&uris[0]).contains("XTSkBZlzqmn"));
    // A longer length over the same bytes still reads the same record (bytes after ME ignored).
    mem[17] += 5;
    assert_eq!(phone_uris(&mem).unwrap(), uris);
    // A shorter one cuts the record: nothing.
    mem[17] -= 10;
    assert_eq!(phone_uris(&mem), None);
}

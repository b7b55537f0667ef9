//! Issue 23: readers as merchants own them. The reader doubles of `tapstand_vtag::readers` (ACR122U,
//! ACR1252U, ACR1552U, OMNIKEY 5422, Identiv uTrust 3700 F, Feitian R502) behind vpcd and the real pcscd,
//! each under the names Windows, macOS and Linux give it (the rig renames the virtual reader), × the chips
//! merchants buy: every cell read, written and verified as the station does it (one session), the dialect
//! found by probing and shown by `readers`, and the APDUs per cell (→ `benchmarks/tag-apdus.md`; printed
//! with `--nocapture`). Its own test binary: what the engine probes is remembered per reader name for the
//! process.

mod common;

use std::collections::BTreeMap;

use common::{content, Content, Rig};
use tapstand_ndef::wechat::wechat_message;
use tapstand_tag::{PassThrough, Pcsc, TagError, WriteOptions};
use tapstand_vtag::{nth_uid, ReaderModel, TagState, VChip};

const SCHEME: &str = "weixin://dl/business/?t=XTSkBZlzqmn";

/// The chips of the matrix (the generic Fudan-style chip gets its maker's UID byte `1D`).
const CHIPS: [VChip; 7] = [
    VChip::Ntag213,
    VChip::Ntag215,
    VChip::Ntag216,
    VChip::Ntag203,
    VChip::UltralightC,
    VChip::GenericType2,
    VChip::Ntag424Dna,
];

fn expected_dialect(model: ReaderModel) -> PassThrough {
    match model {
        ReaderModel::Acr122u => PassThrough::Acr122Direct,
        ReaderModel::Acr1252u | ReaderModel::Acr1552u => PassThrough::Part3Transparent,
        _ => PassThrough::None,
    }
}

/// Puts a factory-fresh `chip` down, reads it and writes the WeChat message in one session (as the
/// station does) and checks the tag holds it. The session's APDUs, or the engine's error (the tag then
/// unchanged).
fn cell(rig: &mut Rig, chip: VChip, n: u32) -> Result<u32, TagError> {
    let m = wechat_message(SCHEME).unwrap();
    let bytes = m.encode().unwrap();
    rig.put(TagState::factory(chip, nth_uid(n)));
    let before = rig.tag().unwrap();
    let mut s = rig.session();
    let result = s
        .read_tag()
        .and_then(|r| {
            assert!(r.writable, "{chip:?}: {r:?}");
            s.write_ndef(&m, WriteOptions::default())
        })
        .map(|w| w.io.apdus);
    drop(s);
    let after = rig.tag().unwrap();
    match &result {
        Ok(_) if chip.type4().is_some() => assert_eq!(
            after.t4.as_ref().unwrap().content(),
            tapstand_vtag::Content::Message(bytes),
            "{chip:?}"
        ),
        Ok(_) => assert_eq!(content(&after.mem), Content::Message(bytes), "{chip:?}"),
        Err(_) => assert_eq!(after.mem, before.mem, "{chip:?}: refused, yet changed"),
    }
    result
}

fn reader_info(name: &str) -> tapstand_tag::ReaderInfo {
    Pcsc::new()
        .readers()
        .unwrap()
        .into_iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("{name} not listed"))
}

#[test]
fn every_reader_double_writes_every_chip_under_every_systems_name() {
    let Some(mut rig) = Rig::start("reader matrix") else {
        return;
    };
    assert!(
        rig.can_unplug(),
        "the reader matrix renames the virtual reader: it needs a pcscd of its own (stop the system's)"
    );
    // model → chip → APDUs (the Linux name's run; every name's run is checked the same way).
    let mut counts: BTreeMap<String, BTreeMap<String, Result<u32, String>>> = BTreeMap::new();
    let mut n = 1000;
    for model in ReaderModel::DOUBLES {
        rig.vt.set_model(model);
        for (os, friendly) in model.names() {
            let reader = rig.rename(Some(friendly)).unwrap();
            // The first tag on a reader probes it (firmware string, dialect): not counted.
            n += 1;
            cell(&mut rig, VChip::Ntag213, n).unwrap();
            let info = reader_info(&reader);
            assert_eq!(
                info.dialect,
                Some(expected_dialect(model)),
                "{model:?} as {reader:?}"
            );
            let fw = (model == ReaderModel::Acr122u).then(|| "ACR122U215".to_string());
            assert_eq!(info.firmware, fw, "{model:?} as {reader:?}");
            // Every chip under the Linux name; under the others the chips whose identification differs
            // (no GET_VERSION, Type 4).
            let chips: &[VChip] = if os == "linux" {
                &CHIPS
            } else {
                &[VChip::Ntag203, VChip::Ntag424Dna]
            };
            for &chip in chips {
                n += 1;
                let r = cell(&mut rig, chip, n);
                if model == ReaderModel::FeitianR502 && chip == VChip::UltralightC {
                    // The Feitian answers 6A 82 past page 0F of an Ultralight C: the message cannot be
                    // placed, and that is said before anything is written (`cell` checks the memory).
                    match &r {
                        Err(e @ TagError::Status { .. }) => assert_eq!(
                            tapstand_error::UserError::from(e.clone()).code,
                            "tag.reader_cannot_reach"
                        ),
                        other => panic!("Feitian + Ultralight C: {other:?}"),
                    }
                } else {
                    assert!(r.is_ok(), "{model:?} as {reader:?}, {chip:?}: {r:?}");
                }
                if os == "linux" {
                    counts
                        .entry(format!("{model:?}"))
                        .or_default()
                        .insert(format!("{chip:?}"), r.map_err(|e| e.to_string()));
                }
            }
        }
    }
    rig.rename(None).unwrap();

    // The table for benchmarks/tag-apdus.md.
    let mut out = String::from("| reader double | dialect |");
    for chip in CHIPS {
        out.push_str(&format!(" {chip:?} |"));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---:|".repeat(CHIPS.len()));
    for model in ReaderModel::DOUBLES {
        out.push_str(&format!("\n| {model:?} | {:?} |", expected_dialect(model)));
        for chip in CHIPS {
            match &counts[&format!("{model:?}")][&format!("{chip:?}")] {
                Ok(a) => out.push_str(&format!(" {a} |")),
                Err(_) => out.push_str(" refused |"),
            }
        }
    }
    eprintln!("APDUs per cell (read + write + verify, one session):\n{out}");

    // The transparent-session path stays within 25 % of Direct Transmit on every chip.
    for chip in CHIPS {
        let key = format!("{chip:?}");
        let direct = *counts["Acr122u"][&key].as_ref().unwrap() as f64;
        for m in ["Acr1252u", "Acr1552u"] {
            let t = *counts[m][&key].as_ref().unwrap() as f64;
            assert!(
                t <= direct * 1.25,
                "{m} {chip:?}: {t} APDUs vs {direct} through Direct Transmit"
            );
        }
    }
}

/// A reader whose name says nothing (no table entry): each dialect in turn, found by probing (the one
/// remembered first, then the next when the reader stops answering in it), the tag written and verified,
/// and the dialect in `readers`.
#[test]
fn a_reader_whose_name_says_nothing_is_probed() {
    let Some(mut rig) = Rig::start("reader with an unknown name") else {
        return;
    };
    assert!(rig.can_unplug(), "needs a pcscd of its own");
    let reader = rig.rename(Some("Generic USB NFC Reader")).unwrap();
    assert_eq!(
        tapstand_tag::quirks_for(&reader).passthrough,
        PassThrough::None,
        "the name must say nothing"
    );
    for (i, model) in [
        ReaderModel::Acr122u,
        ReaderModel::Acr1252u,
        ReaderModel::Omnikey5422,
    ]
    .into_iter()
    .enumerate()
    {
        rig.vt.set_model(model);
        for chip in [VChip::Ntag213, VChip::Ntag203] {
            cell(&mut rig, chip, 2000 + i as u32 * 10 + chip as u32).unwrap();
        }
        assert_eq!(
            reader_info(&reader).dialect,
            Some(expected_dialect(model)),
            "{model:?}"
        );
    }
    rig.rename(None).unwrap();
}

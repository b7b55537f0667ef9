//! Benchmark (not a test): write + verify of the 72-byte WeChat message through the real pcscd, vpcd and
//! the virtual tag with a fixed latency per APDU, for NTAG213/215/216, the other Type 2 chips and the three
//! Type 4 flavours: fresh tag, identical content, and a different ticket of the same length. Prints a
//! Markdown table. Run with `scripts/bench-tag.sh`.
//!
//! `cargo run --release -p tapstand-tag --example bench_tag -- [LATENCY_MS] [RUNS]`

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use tapstand_ndef::wechat::wechat_message;
use tapstand_tag::{TagSession, WriteOptions, WriteReport};
use tapstand_vtag::{nth_uid, Faults, TagState, VChip};

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

struct Run {
    apdus: u32,
    writes: u32,
    engine_ms: f64,
    with_connect_ms: f64,
}

fn one(rig: &mut common::Rig, tag: TagState, ticket: &str) -> Run {
    rig.put(tag);
    let m = wechat_message(&format!("weixin://dl/business/?t={ticket}")).unwrap();
    assert_eq!(m.encoded_len(), 72);
    let t0 = Instant::now();
    let mut s: TagSession<_> = rig.session();
    let t1 = Instant::now();
    let r: WriteReport = s.write_ndef(&m, WriteOptions::default()).expect("write");
    let t2 = Instant::now();
    Run {
        apdus: r.io.apdus,
        writes: r.io.writes,
        engine_ms: (t2 - t1).as_secs_f64() * 1000.0,
        with_connect_ms: (t2 - t0).as_secs_f64() * 1000.0,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let latency: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(10);
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let Some(mut rig) = common::Rig::start("bench_tag") else {
        return;
    };
    rig.vt.set_faults(Faults {
        latency: Duration::from_millis(latency),
        pseudo_apdus_drop_auth: true,
        ..Faults::default()
    });
    println!("Latency per APDU: {latency} ms (virtual tag), {runs} runs each, median (min–max).\n");
    println!(
        "| Chip | Case | APDUs | page writes | write_ndef wall time (ms) | incl. connect (ms) |"
    );
    println!("|---|---|---|---|---|---|");
    for (chip, name) in [
        (VChip::Ntag213, "NTAG213"),
        (VChip::Ntag215, "NTAG215"),
        (VChip::Ntag216, "NTAG216"),
        (VChip::Ntag212, "NTAG212"),
        (VChip::UltralightEv1Mf0ul21, "Ultralight EV1 MF0UL21"),
        (VChip::Ntag203, "NTAG203"),
        (VChip::UltralightC, "Ultralight C"),
        (VChip::GenericType2, "generic Type 2 (no GET_VERSION)"),
        (VChip::Ntag424Dna, "NTAG 424 DNA (Type 4)"),
        (VChip::DesfireEv2, "DESFire EV2 NDEF app (Type 4)"),
        (VChip::St25ta02k, "ST25TA02K (Type 4)"),
    ] {
        let written = {
            let mut t = TagState::factory(chip, nth_uid(1));
            let m = wechat_message("weixin://dl/business/?t=XTSkBZlzqmn")
                .unwrap()
                .encode()
                .unwrap();
            t = TagState::with_message(chip, t.uid, &m);
            t
        };
        let cases: [(&str, TagState, &str); 3] = [
            (
                "fresh (factory tag)",
                TagState::factory(chip, nth_uid(1)),
                "XTSkBZlzqmn",
            ),
            ("identical content", written.clone(), "XTSkBZlzqmn"),
            ("other ticket, same length", written, "ABCdefGHIjk"),
        ];
        for (case, tag, ticket) in cases {
            let rs: Vec<Run> = (0..runs)
                .map(|_| one(&mut rig, tag.clone(), ticket))
                .collect();
            let mut e: Vec<f64> = rs.iter().map(|r| r.engine_ms).collect();
            let mut c: Vec<f64> = rs.iter().map(|r| r.with_connect_ms).collect();
            let (emin, emax) = (
                e.iter().cloned().fold(f64::MAX, f64::min),
                e.iter().cloned().fold(0.0, f64::max),
            );
            let (cmin, cmax) = (
                c.iter().cloned().fold(f64::MAX, f64::min),
                c.iter().cloned().fold(0.0, f64::max),
            );
            println!(
                "| {name} | {case} | {} | {} | {:.0} ({:.0}–{:.0}) | {:.0} ({:.0}–{:.0}) |",
                rs[0].apdus,
                rs[0].writes,
                median(&mut e),
                emin,
                emax,
                median(&mut c),
                cmin,
                cmax
            );
        }
    }
    rig.take_away();
}

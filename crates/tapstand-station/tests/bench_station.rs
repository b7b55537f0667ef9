//! Benchmark (not a timed test; `#[ignore]`, run by scripts/bench-station.sh): tap-to-done time — tag
//! present on the reader → scheme → written → verified → recorded — through real pcscd + vpcd + the
//! virtual tag at 10 ms per APDU, the fake WeChat answering generatenfcscheme after 150 ms.
//! 50 tags with an API call each, then the same 50 UIDs (fresh memory) with the scheme from the ledger.

mod common;

use std::time::{Duration, Instant};

use common::{message_bytes, Env, Rig};
use tapstand_fake_wechat::{Action, Endpoint};
use tapstand_station::{StationOptions, TapResult};
use tapstand_vtag::{nth_uid, Faults, TagState, VChip};

const TAGS: u32 = 50;

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[i]
}

fn pass(rig: &mut Rig, env: &Env, base: u32, label: &str) -> (f64, f64, f64, u32) {
    let st = env.station(StationOptions::default());
    let mut times = Vec::new();
    let mut apdus = 0;
    for i in 0..TAGS {
        rig.put(TagState::factory(VChip::Ntag213, nth_uid(base + i)));
        let t0 = Instant::now();
        let mut s = rig.session();
        let out = st.process(&mut s, "vpcd");
        let dt = t0.elapsed().as_secs_f64() * 1000.0;
        drop(s);
        assert_eq!(out.result, TapResult::Written, "{label} tag {i}: {out:?}");
        assert!(message_bytes(&rig.memory()).is_some());
        apdus = out.attempt.apdus as u32;
        times.push(dt);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (
        pct(&times, 50.0),
        pct(&times, 95.0),
        times[times.len() - 1],
        apdus,
    )
}

#[test]
#[ignore = "benchmark: scripts/bench-station.sh"]
fn tap_to_done() {
    let Some(mut rig) = Rig::start("station benchmark") else {
        return;
    };
    let env = Env::new();
    // Token fetched once beforehand (the app keeps it cached for two hours).
    env.rt
        .block_on(env.schemes.client().check())
        .expect("token");
    rig.vt.set_faults(Faults {
        latency: Duration::from_millis(10),
        ..Faults::default()
    });
    env.fake
        .inject(Endpoint::GenerateNfcScheme, TAGS, Action::Delay { ms: 150 });
    let api = pass(&mut rig, &env, 1000, "api");
    assert_eq!(env.generates(), TAGS as usize);
    let ledger = pass(&mut rig, &env, 1000, "ledger");
    assert_eq!(env.generates(), TAGS as usize, "no call on a ledger hit");
    let report = format!(
        "tap-to-done over {TAGS} NTAG213 tags, 10 ms/APDU, generatenfcscheme 150 ms\n\
         with API call : p50 {:.0} ms  p95 {:.0} ms  max {:.0} ms  ({} APDUs/tag)\n\
         ledger hit    : p50 {:.0} ms  p95 {:.0} ms  max {:.0} ms  ({} APDUs/tag)\n",
        api.0, api.1, api.2, api.3, ledger.0, ledger.1, ledger.2, ledger.3
    );
    println!("{report}");
    if let Ok(path) = std::env::var("TAPSTAND_BENCH_OUT") {
        std::fs::write(path, &report).unwrap();
    }
}

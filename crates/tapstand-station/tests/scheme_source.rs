//! Where each tap's link came from, as the station records it (`station_attempts.scheme_source`):
//! generated now, from the ledger, or adopted from WeChat's 9800010 answer for an sn another tool had
//! used. The station runs on an in-process virtual tag (no pcscd needed) against the in-process fake
//! WeChat and a real SQLite file.

mod common;

use common::Env;
use tapstand_fake_wechat::{Control, DEMO_MODEL_ID};
use tapstand_station::{StationOptions, TapOutcome, TapResult};
use tapstand_store::station::HistoryFilter;
use tapstand_tag::inproc::InProcessTransport;
use tapstand_tag::{quirks_for, TagSession};
use tapstand_vtag::{nth_uid, TagState, VChip};

const READER: &str = "Virtual PCD 00 00";

fn uid_hex(uid: [u8; 7]) -> String {
    uid.iter().map(|b| format!("{b:02X}")).collect()
}

fn tap(env: &Env, tag: TagState) -> TapOutcome {
    let station = env.station(StationOptions::default());
    let mut session = TagSession::new(InProcessTransport::with_tag(tag), quirks_for(READER));
    station.process(&mut session, READER)
}

fn recorded_sources(env: &Env, uid: [u8; 7]) -> Vec<Option<String>> {
    let filter = HistoryFilter {
        uid: Some(uid_hex(uid)),
        ..Default::default()
    };
    let mut rows = env.rt.block_on(env.db.station_history(&filter)).unwrap();
    rows.reverse(); // oldest first
    rows.into_iter().map(|r| r.scheme_source).collect()
}

#[test]
fn generated_then_ledger() {
    let env = Env::new();
    let uid = nth_uid(700);
    let first = tap(&env, TagState::factory(VChip::Ntag215, uid));
    assert_eq!(first.result, TapResult::Written, "{first:?}");
    assert_eq!(first.attempt.scheme_source.as_deref(), Some("generated"));
    // The same UID on a fresh tag: the scheme comes from the ledger, no second generate call.
    let again = tap(&env, TagState::factory(VChip::Ntag215, uid));
    assert_eq!(again.result, TapResult::Written, "{again:?}");
    assert_eq!(again.attempt.scheme_source.as_deref(), Some("ledger"));
    assert_eq!(again.attempt.openlink, first.attempt.openlink);
    assert_eq!(env.generates_for(&uid_hex(uid)), 1);
    assert_eq!(
        recorded_sources(&env, uid),
        [Some("generated".to_string()), Some("ledger".to_string())]
    );
}

#[test]
fn a_scheme_another_tool_generated_is_recorded_as_adopted() {
    let env = Env::new();
    let uid = nth_uid(701);
    let (path, query) = env.target.path_query(&uid_hex(uid));
    let seeded = env.fake.control(Control::SeedScheme {
        model_id: DEMO_MODEL_ID.into(),
        sn: Some(uid_hex(uid)),
        path,
        query,
        env_version: "release".into(),
    });
    let link = seeded["openlink"].as_str().expect("seeded openlink");
    let out = tap(&env, TagState::factory(VChip::Ntag215, uid));
    assert_eq!(out.result, TapResult::Written, "{out:?}");
    assert_eq!(out.attempt.openlink.as_deref(), Some(link));
    assert_eq!(out.attempt.scheme_source.as_deref(), Some("adopted"));
    assert_eq!(recorded_sources(&env, uid), [Some("adopted".to_string())]);
}

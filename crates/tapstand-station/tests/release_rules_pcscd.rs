//! The release rules, run by a test: with `TAPSTAND_RELEASE_RULES=1` this (debug) test binary applies
//! exactly the rules a release build applies (`tapstand_error::build::release_rules`). A link the ledger
//! recorded from another API than WeChat's (here the fake's, on loopback) is never written to a tag, and
//! the test API itself is refused outside developer mode. Its own test binary: the switch is process-wide.

mod common;

use common::{Env, Rig};
use tapstand_error::build::RELEASE_RULES_ENV;
use tapstand_station::TapResult;
use tapstand_vtag::{nth_uid, TagState, VChip};

#[test]
fn a_release_build_refuses_the_test_api_and_never_writes_its_links() {
    let Some(mut rig) = Rig::start("station: release rules") else {
        return;
    };
    let env = Env::new();

    // Debug rules (the other tests): the fake's link is written.
    std::env::remove_var(RELEASE_RULES_ENV);
    let uid = nth_uid(7_100);
    rig.put(TagState::factory(VChip::Ntag213, uid));
    let out = env.tap(&mut rig, false);
    assert_eq!(out.result, TapResult::Written, "{out:?}");

    // Release rules: the ledger row of that very tag names the fake's API, so re-writing it is refused,
    // and so is a fresh tag whose link the fake issues now; neither tag is touched.
    std::env::set_var(RELEASE_RULES_ENV, "1");
    assert!(tapstand_error::build::release_rules());
    for (i, state) in [
        TagState::factory(VChip::Ntag215, uid),
        TagState::factory(VChip::Ntag213, nth_uid(7_101)),
    ]
    .into_iter()
    .enumerate()
    {
        let before = state.mem.clone();
        rig.put(state);
        let out = env.tap(&mut rig, true);
        assert_eq!(out.result, TapResult::Failed, "tag {i}: {out:?}");
        assert_eq!(
            out.error.as_ref().map(|e| e.code.as_str()),
            Some("station.test_link"),
            "tag {i}: {out:?}"
        );
        assert_eq!(rig.memory(), before, "tag {i}: untouched");
    }

    // The test API is refused without developer mode: TAPSTAND_WECHAT_BASE_URL is not taken.
    std::env::set_var(tapstand_wechat::client::BASE_URL_ENV, env.fake.base_url());
    std::env::remove_var(tapstand_wechat::client::DEVELOPER_ENV);
    assert!(!tapstand_wechat::client::api_override_allowed());
    assert!(tapstand_wechat::client::base_url_override().is_err());
    // Developer mode lets the API be used (its links are still never written: above).
    std::env::set_var(tapstand_wechat::client::DEVELOPER_ENV, "1");
    assert!(tapstand_wechat::client::api_override_allowed());
    std::env::remove_var(tapstand_wechat::client::DEVELOPER_ENV);

    // And without the switch, the debug rules again (the switch is what made the difference).
    std::env::remove_var(RELEASE_RULES_ENV);
    assert!(tapstand_wechat::client::api_override_allowed());
    rig.take_away();
}

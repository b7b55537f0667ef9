//! Where the models were kind (issue 24), through the real pcscd + vpcd + the virtual tag, the in-process
//! fake WeChat and a real SQLite file:
//! * a card whose UID changes at every activation never costs a link per tap;
//! * a tag whose own sn's link WeChat issued but will not return (9800010 without the URL) still ends
//!   with a working link, under a derived sn recorded in the ledger, and the next tap finds it.

mod common;

use common::{message_bytes, Env, Rig};
use tapstand_fake_wechat::{Control, ExistingSchemeEcho, DEMO_MODEL_ID};
use tapstand_station::TapResult;
use tapstand_tag::ndef::wechat_message;
use tapstand_vtag::{nth_uid, TagState, VChip};

fn uid_hex(uid: [u8; 7]) -> String {
    uid.iter().map(|b| format!("{b:02X}")).collect()
}

#[test]
fn a_random_uid_card_tapped_five_times_costs_no_link() {
    let Some(mut rig) = Rig::start("station: random UID") else {
        return;
    };
    let env = Env::new();
    rig.put(TagState::type4(VChip::DesfireEv2, nth_uid(7_200), |c| c).with_random_uid());
    let mut uids = std::collections::BTreeSet::new();
    for tap in 1..=5 {
        let out = env.tap(&mut rig, false);
        assert_eq!(out.result, TapResult::Failed, "tap {tap}: {out:?}");
        let e = out.error.as_ref().unwrap();
        assert_eq!(e.code, "station.random_uid", "tap {tap}: {e:?}");
        assert!(e.zh.remedy.contains("NTAG"), "{e:?}");
        assert!(out.attempt.uid.starts_with("08") && out.attempt.uid.len() == 8);
        uids.insert(out.attempt.uid.clone());
        // The next tap: the card leaves the field and comes back (a new activation, a new UID).
        let card = rig.take_away().unwrap();
        rig.put(card);
    }
    assert_eq!(
        uids.len(),
        5,
        "the card showed a new UID at each tap: {uids:?}"
    );
    assert_eq!(
        env.generates(),
        0,
        "not one generate call for a random-UID card"
    );
    rig.take_away();
}

#[test]
fn a_used_up_sn_without_its_link_gets_a_derived_sn_and_the_tag_a_working_link() {
    let Some(mut rig) = Rig::start("station: derived sn") else {
        return;
    };
    let env = Env::new();
    let uid = nth_uid(7_300);
    let sn = uid_hex(uid);
    // Another tool generated this UID's scheme, and this WeChat's 9800010 does not carry the link.
    env.fake.control(Control::SeedScheme {
        model_id: DEMO_MODEL_ID.into(),
        sn: Some(sn.clone()),
        path: "pages/other".into(),
        query: String::new(),
        env_version: "release".into(),
    });
    env.fake.control(Control::SetExistingSchemeEcho {
        echo: ExistingSchemeEcho::Empty,
    });
    rig.put(TagState::factory(VChip::Ntag213, uid));
    let out = env.tap(&mut rig, false);
    assert_eq!(out.result, TapResult::Written, "{out:?}");
    let derived = format!("{sn}-2");
    let a = &out.attempt;
    assert_eq!(a.sn, derived);
    assert_eq!(a.query, format!("store=1001&sn={derived}"));
    assert_eq!(a.scheme_source.as_deref(), Some("derived"));
    let link = a.openlink.clone().unwrap();
    let issued = env.fake.issued();
    assert_eq!(
        issued
            .iter()
            .filter(|s| s.sn.as_deref() == Some(derived.as_str()))
            .map(|s| s.openlink.as_str())
            .collect::<Vec<_>>(),
        vec![link.as_str()],
        "WeChat issued the derived sn's link once"
    );
    assert_eq!(
        message_bytes(&rig.memory()),
        Some(wechat_message(&link).unwrap().encode().unwrap())
    );
    env.rt.block_on(async {
        let d = env
            .db
            .scheme_derived(DEMO_MODEL_ID, &derived)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (d.derived_from.as_str(), d.reason.as_str()),
            (sn.as_str(), "used_elsewhere")
        );
        let row = env
            .db
            .scheme_find(DEMO_MODEL_ID, &sn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            row.state,
            tapstand_store::ledger::SchemeState::UsedElsewhere
        );
    });

    // The next tap: already correct, found through the derived row, no call.
    let calls = env.generates();
    let again = env.tap(&mut rig, false);
    assert_eq!(again.result, TapResult::AlreadyCorrect, "{again:?}");
    assert_eq!(again.attempt.sn, derived);
    assert_eq!(env.generates(), calls);
    rig.take_away();
}

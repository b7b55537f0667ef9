//! The genuine-chip check (NXP originality signature, READ_SIG) through the real pcsc-lite daemon + vpcd +
//! the virtual tag, the in-process fake WeChat and a real SQLite file: what the inspector says about an NXP
//! original, a chip signed with another key, clones that answer garbage or refuse READ_SIG and an NTAG203;
//! the verdict in the history and its CSV; and the profile option "只写 NXP 原厂芯片", which refuses a
//! clone before anything is generated. Serialised on one pcscd; skipped, saying why, without pcscd/vpcd.

mod common;

use std::time::Duration;

use common::{Env, Rig};
use tapstand_fake_wechat::Endpoint;
use tapstand_station::inspect::{explain, read_on_reader, Inspection};
use tapstand_station::{resolve_target, StationOptions, TapResult, TargetChoice};
use tapstand_store::records::ProfileInput;
use tapstand_store::station::HistoryFilter;
use tapstand_tag::Pcsc;
use tapstand_vtag::{nth_uid, SigMode, TagState, VChip, NXP_TEST_UID, VPCD_READER};

fn uid_hex(uid: [u8; 7]) -> String {
    uid.iter().map(|b| format!("{b:02X}")).collect()
}

fn inspect(env: &Env) -> Inspection {
    let mut pcsc = Pcsc::new();
    let report = read_on_reader(&mut pcsc, None, Duration::from_secs(5)).expect("read");
    env.rt.block_on(explain(&env.db, &report, None))
}

#[test]
fn the_inspector_tells_an_nxp_original_from_the_rest() {
    let Some(mut rig) = Rig::start("genuine: inspector") else {
        return;
    };
    let env = Env::new();

    // NXP's public test UID answers NXP's published signature: an NXP original, through the product path.
    rig.put(TagState::factory(VChip::Ntag215, NXP_TEST_UID));
    let i = inspect(&env);
    assert_eq!(i.genuine, Some(true), "{:?}", i.report);
    assert_eq!(i.genuine_words.zh, "NXP 原厂芯片");
    assert_eq!(i.genuine_words.en, "NXP original chip");
    assert_eq!(i.report.genuine, Some(true));

    // Any other UID answers a signature made with the test key: a real signature, but not NXP's.
    let other = nth_uid(900);
    rig.put(TagState::factory(VChip::Ntag213, other));
    let i = inspect(&env);
    assert_eq!(i.genuine, Some(false));
    assert_eq!(
        i.genuine_words.zh,
        "不是 NXP 原厂芯片（可能是国产兼容芯片或仿冒）"
    );
    // …which the same read verifies against the test key: the signature crossed pcscd intact.
    let mut s = rig.session();
    assert_eq!(
        s.genuine_with(&[tapstand_genuine::TEST_KEY]).unwrap(),
        Some(true)
    );
    drop(s);

    // Clones: 32 bytes of garbage, or a NAK, from a chip that says it is an NTAG21x.
    for mode in [SigMode::Garbage, SigMode::Nak] {
        rig.put(TagState::factory(VChip::Ntag216, nth_uid(901)).with_signature(mode));
        let i = inspect(&env);
        assert_eq!(i.genuine, Some(false), "{mode:?}");
        // The NAK (and the reset after it) leaves the rest of the inspection intact.
        assert_eq!(i.chip, "NTAG216", "{mode:?}");
        assert!(i.writable, "{mode:?}");
    }

    // NTAG203 has no originality signature: cannot be checked (and READ_SIG is not even sent).
    rig.put(TagState::factory(VChip::Ntag203, nth_uid(902)));
    let i = inspect(&env);
    assert_eq!(i.genuine, None);
    assert_eq!(i.genuine_words.zh, "这种芯片无法检查");
    assert!(
        !rig.apdu_log()
            .iter()
            .any(|(c, _)| c.windows(2).any(|w| w == [0x3C, 0x00])),
        "READ_SIG sent to an NTAG203"
    );
    rig.take_away();
}

#[test]
fn each_tap_records_the_verdict_in_history_and_csv() {
    let Some(mut rig) = Rig::start("genuine: history") else {
        return;
    };
    let env = Env::new();
    let st = env.station(StationOptions::default());
    for (chip, uid) in [
        (VChip::Ntag215, NXP_TEST_UID),
        (VChip::Ntag213, nth_uid(910)),
        (VChip::Ntag203, nth_uid(911)),
    ] {
        rig.put(TagState::factory(chip, uid));
        let mut s = rig.session();
        let out = st.process(&mut s, VPCD_READER);
        // NTAG203 is written once generic Type 2 tags are (issue 14, item 1); its attempt is recorded with
        // its verdict either way.
        if chip != VChip::Ntag203 {
            assert_eq!(out.result, TapResult::Written, "{chip:?}: {out:?}");
        }
    }
    rig.take_away();

    let want = [
        (uid_hex(NXP_TEST_UID), Some(true)),
        (uid_hex(nth_uid(910)), Some(false)),
        (uid_hex(nth_uid(911)), None),
    ];
    let page = env
        .rt
        .block_on(tapstand_station::history::page(
            &env.db,
            &HistoryFilter::default(),
        ))
        .unwrap();
    for (uid, g) in &want {
        let row = page.rows.iter().find(|r| &r.uid == uid).unwrap();
        assert_eq!(row.genuine, *g, "{uid}");
        if row.result == "written" {
            let tag = env
                .rt
                .block_on(env.db.station_find_tag(uid, &env.target.model_id))
                .unwrap()
                .unwrap();
            assert_eq!(tag.genuine, *g, "{uid}");
        }
    }
    let csv = env
        .rt
        .block_on(tapstand_station::history::export_csv(
            &env.db,
            &HistoryFilter::default(),
        ))
        .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].contains("芯片,NXP 原厂芯片,目标"), "{}", lines[0]);
    for (uid, word) in [
        (&want[0].0, ",NTAG215,是,"),
        (&want[1].0, ",NTAG213,否（可能是国产兼容芯片或仿冒）,"),
        (&want[2].0, ",NTAG203,无法检查,"),
    ] {
        let line = lines.iter().find(|l| l.contains(uid.as_str())).unwrap();
        assert!(line.contains(word), "{line}");
    }
}

#[test]
fn only_genuine_refuses_other_chips_before_generating() {
    let Some(mut rig) = Rig::start("genuine: only NXP originals") else {
        return;
    };
    let mut env = Env::new();
    // The merchant turns the profile option on (as the form and `profile edit --only-genuine` do).
    env.target = env.rt.block_on(async {
        let p = tapstand_records::lookup::profile(&env.db, "会员中心")
            .await
            .unwrap();
        let p = tapstand_records::save_profile(
            &env.db,
            Some(p.id),
            ProfileInput {
                name: p.name,
                appid: p.appid,
                env_version: p.env_version,
                page_path: p.page_path,
                query_template: p.query_template,
                only_genuine: true,
            },
        )
        .await
        .unwrap()
        .value;
        assert!(p.only_genuine);
        let models = tapstand_records::list_device_models(&env.db).await.unwrap();
        resolve_target(
            &env.db,
            &p,
            &models[0],
            &TargetChoice::Store { id: env.store_id },
        )
        .await
        .unwrap()
    });
    assert!(env.target.only_genuine);
    let st = env.station(StationOptions::default());

    // A chip with another key's signature, a garbage clone, a NAK clone and an NTAG203: all refused.
    let cases = [
        (
            TagState::factory(VChip::Ntag215, nth_uid(920)),
            "station.not_genuine",
        ),
        (
            TagState::factory(VChip::Ntag215, nth_uid(921)).with_signature(SigMode::Garbage),
            "station.not_genuine",
        ),
        (
            TagState::factory(VChip::Ntag213, nth_uid(922)).with_signature(SigMode::Nak),
            "station.not_genuine",
        ),
        (
            TagState::factory(VChip::Ntag203, nth_uid(923)),
            "station.genuine_unknown",
        ),
    ];
    for (tag, code) in cases {
        let uid = uid_hex(tag.uid);
        let before = tag.mem.clone();
        rig.put(tag);
        let mut s = rig.session();
        let out = st.process(&mut s, VPCD_READER);
        drop(s);
        assert_eq!(out.result, TapResult::Failed, "{uid}: {out:?}");
        let e = out.error.as_ref().unwrap();
        assert_eq!(e.code, code, "{uid}");
        assert!(
            e.zh.message.contains("只写 NXP 原厂芯片"),
            "{}",
            e.zh.message
        );
        assert!(!e.zh.remedy.is_empty() && !e.en.remedy.is_empty());
        assert!(!e.zh.message.contains("假冒"));
        // Nothing generated, nothing in the ledger, the tag untouched; the attempt is recorded.
        assert_eq!(env.generates_for(&uid), 0, "{uid}");
        let row = env
            .rt
            .block_on(env.db.scheme_find(&env.target.model_id, &uid))
            .unwrap();
        assert!(row.is_none(), "{uid}: {row:?}");
        assert_eq!(rig.memory(), before, "{uid}");
        assert_eq!(out.attempt.error_code.as_deref(), Some(code));
    }
    assert_eq!(env.fake.calls(Endpoint::GenerateNfcScheme).len(), 0);

    // An NXP original is written as usual.
    rig.put(TagState::factory(VChip::Ntag215, NXP_TEST_UID));
    let mut s = rig.session();
    let out = st.process(&mut s, VPCD_READER);
    drop(s);
    assert_eq!(out.result, TapResult::Written, "{out:?}");
    assert_eq!(out.attempt.genuine, Some(true));
    assert_eq!(env.generates_for(&uid_hex(NXP_TEST_UID)), 1);
    rig.take_away();
}

//! The write station and the inspector on NFC Forum Type 4 tags, through the real pcsc-lite daemon +
//! vsmartcard vpcd + the virtual Type 4 card, the in-process fake WeChat and a real SQLite file: the
//! station writes them like Type 2 tags (same ledger, same attempt rows), a re-tap is "already correct",
//! "lock" is refused before a scheme is spent, a read-only one is refused, a bank card is "not an NFC
//! tag"; the inspector names them in plain words. Serialised on one pcscd; skipped, saying why, without
//! pcscd or vsmartcard-vpcd.

mod common;

use std::time::Duration;

use common::{Env, Rig};
use tapstand_fake_wechat::Endpoint;
use tapstand_station::inspect::{explain, read_on_reader, Verdict};
use tapstand_station::{StationOptions, TapResult};
use tapstand_store::station::HistoryFilter;
use tapstand_tag::ndef::wechat_message;
use tapstand_tag::Pcsc;
use tapstand_vtag::rig::Content;
use tapstand_vtag::{nth_uid, TagState, VChip, VPCD_READER};

fn uid_hex(uid: [u8; 7]) -> String {
    uid.iter().map(|b| format!("{b:02X}")).collect()
}

#[test]
fn the_station_writes_type4_tags_and_the_inspector_names_them() {
    let Some(mut rig) = Rig::start("station: Type 4 tags") else {
        return;
    };
    let env = Env::new();
    let st = env.station(StationOptions::default());
    let client = env.schemes.client();

    for (n, chip, stored, name) in [
        (0u32, VChip::Ntag424Dna, "ntag424dna", "NTAG 424 DNA"),
        (1, VChip::DesfireEv2, "desfire", "MIFARE DESFire"),
        (2, VChip::St25ta02k, "st25ta", "ST25TA"),
    ] {
        let uid = nth_uid(700 + n);
        rig.put(TagState::factory(chip, uid));
        let mut s = rig.session();
        let out = st.process(&mut s, VPCD_READER);
        drop(s);
        assert_eq!(out.result, TapResult::Written, "{chip:?}: {out:?}");
        assert_eq!(out.attempt.chip, stored);
        assert_eq!(out.attempt.uid, uid_hex(uid));
        let link = out.attempt.openlink.clone().unwrap();
        let want = wechat_message(&link).unwrap().encode().unwrap();
        assert_eq!(rig.type4().unwrap().content(), Content::Message(want));
        eprintln!("{chip:?}: station tap {} APDUs", out.attempt.apdus);

        // The inspector: ours, named in plain words with its room and "cannot be locked".
        let mut pcsc = Pcsc::new();
        let report = read_on_reader(&mut pcsc, None, Duration::from_secs(5)).expect("read");
        let i = env.rt.block_on(explain(&env.db, &report, Some(client)));
        assert!(matches!(i.verdict, Verdict::Ours { .. }), "{:?}", i.verdict);
        assert_eq!(i.chip, name);
        assert!(i.writable && !i.locked);
        assert!(
            i.headline
                .zh
                .contains(&format!("这是 {name}（NFC Forum Type 4 标签，可写"))
                && i.headline.zh.contains("Tapstand 不能把它永久锁定"),
            "{}",
            i.headline.zh
        );

        // Tapped again: already correct, nothing written, the same link from the ledger.
        let mut s = rig.session();
        let again = st.process(&mut s, VPCD_READER);
        drop(s);
        assert_eq!(again.result, TapResult::AlreadyCorrect, "{again:?}");
        assert_eq!(again.attempt.openlink.as_deref(), Some(link.as_str()));
    }
    // Same attempt rows as for Type 2 tags: six taps, three tags.
    let page = env
        .rt
        .block_on(env.db.station_history_page(&HistoryFilter::default()))
        .unwrap();
    assert_eq!((page.total, page.ok, page.tags), (6, 6, 3), "{page:?}");

    // "Lock" asked: refused before any scheme is generated, the tag untouched.
    let generated = env.fake.calls(Endpoint::GenerateNfcScheme).len();
    let locking = env.station(StationOptions {
        lock: true,
        ..Default::default()
    });
    rig.put(TagState::factory(VChip::Ntag424Dna, nth_uid(710)));
    let mut s = rig.session();
    let out = locking.process(&mut s, VPCD_READER);
    drop(s);
    assert_eq!(out.result, TapResult::Failed);
    let e = out.error.unwrap();
    assert_eq!(e.code, "tag.cannot_lock", "{e:?}");
    assert!(e
        .zh
        .message
        .contains("NTAG 424 DNA 标签不能由 Tapstand 永久锁定"));
    assert_eq!(env.fake.calls(Endpoint::GenerateNfcScheme).len(), generated);
    assert_eq!(rig.type4().unwrap().content(), Content::Empty);
    assert_eq!(out.attempt.chip, "ntag424dna");

    // A read-only one: refused with its own words, no scheme spent.
    rig.put(TagState::type4(VChip::St25ta02k, nth_uid(711), |c| {
        c.read_only()
    }));
    let mut s = rig.session();
    let out = st.process(&mut s, VPCD_READER);
    drop(s);
    assert_eq!(
        out.error.as_ref().unwrap().code,
        "tag.type4_read_only",
        "{out:?}"
    );
    assert_eq!(env.fake.calls(Endpoint::GenerateNfcScheme).len(), generated);
    let mut pcsc = Pcsc::new();
    let report = read_on_reader(&mut pcsc, None, Duration::from_secs(5)).expect("read");
    let i = env.rt.block_on(explain(&env.db, &report, Some(client)));
    assert!(i.locked && !i.writable);
    assert!(
        i.headline.zh.contains("标签的内容被设为只读"),
        "{}",
        i.headline.zh
    );

    // A bank card: not an NFC tag, in plain words.
    rig.put(TagState::factory(VChip::BankCard, nth_uid(712)));
    let mut s = rig.session();
    let out = st.process(&mut s, VPCD_READER);
    drop(s);
    assert_eq!(
        out.error.as_ref().unwrap().code,
        "tag.not_ndef_card",
        "{out:?}"
    );
    let mut pcsc = Pcsc::new();
    let report = read_on_reader(&mut pcsc, None, Duration::from_secs(5)).expect("read");
    let i = env.rt.block_on(explain(&env.db, &report, Some(client)));
    assert!(matches!(i.verdict, Verdict::Unsupported { .. }));
    assert!(
        i.headline.zh.contains("银行卡、公交卡之类的 CPU 卡"),
        "{}",
        i.headline.zh
    );
    rig.take_away();
}

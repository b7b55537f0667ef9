//! The tag inspector through the real pcsc-lite daemon + vpcd + the virtual tag, the in-process fake
//! WeChat and a real SQLite file: a tag the station wrote, a WeChat tag of the same mini program written
//! elsewhere, another mini program's tag, offline, a web link, an empty, a locked, a damaged tag and a
//! MIFARE Classic card. Serialised on one pcscd; skipped, saying why, without pcscd or vsmartcard-vpcd.

mod common;

use std::time::Duration;

use common::{Env, Rig};
use tapstand_fake_wechat::{DEMO_APPID, DEMO_MODEL_ID, DEMO_SECRET};
use tapstand_secrets::SecretString;
use tapstand_station::inspect::{
    china_date, explain, read_on_reader, Inspection, RecordMatchKind, SchemeQuery, Verdict,
};
use tapstand_station::{StationOptions, TapResult};
use tapstand_tag::ndef::wechat::{uri_and_aar, wechat_message};
use tapstand_tag::Pcsc;
use tapstand_vtag::{nth_uid, TagState, VChip, VPCD_READER};
use tapstand_wechat::{ClientConfig, NfcSchemeRequest, RetryPolicy, WechatClient};

fn uid_hex(uid: [u8; 7]) -> String {
    uid.iter().map(|b| format!("{b:02X}")).collect()
}

/// What the app does: read on a worker thread (here: this one), explain in the runtime.
fn inspect(env: &Env, wechat: Option<&dyn SchemeQuery>) -> Inspection {
    let mut pcsc = Pcsc::new();
    let report = read_on_reader(&mut pcsc, None, Duration::from_secs(5)).expect("read");
    assert_eq!(report.reader, VPCD_READER);
    env.rt.block_on(explain(&env.db, &report, wechat))
}

fn wechat_tag(chip: VChip, uid: [u8; 7], link: &str) -> TagState {
    TagState::with_message(chip, uid, &wechat_message(link).unwrap().encode().unwrap())
}

#[test]
fn inspector_says_what_each_tag_is() {
    let Some(mut rig) = Rig::start("inspector through pcscd") else {
        return;
    };
    let env = Env::new();
    let client = env.schemes.client();

    // 1. A tag the station writes: ours, with its target, today's date, and it matches the record.
    let uid = nth_uid(500);
    rig.put(TagState::factory(VChip::Ntag215, uid));
    let st = env.station(StationOptions::default());
    let mut s = rig.session();
    let out = st.process(&mut s, VPCD_READER);
    drop(s);
    assert_eq!(out.result, TapResult::Written, "{out:?}");
    let link = out.attempt.openlink.clone().unwrap();
    let i = inspect(&env, Some(client));
    match &i.verdict {
        Verdict::Ours {
            target_label,
            store_id,
            sn,
            openlink,
            written_at,
            profile_name,
            model_id,
            ..
        } => {
            assert_eq!(target_label, "门店 1001 南山店");
            assert_eq!(*store_id, Some(env.store_id));
            assert_eq!(sn, &uid_hex(uid));
            assert_eq!(openlink, &link);
            assert_eq!(model_id, DEMO_MODEL_ID);
            assert_eq!(*written_at, Some(out.attempt.started_at));
            assert_eq!(profile_name.as_deref(), Some("会员中心"));
        }
        v => panic!("{v:?}"),
    }
    let today = china_date(out.attempt.started_at);
    assert_eq!(
        i.headline.zh,
        format!("这是本店写的标签：门店 1001 南山店，{today} 写入。")
    );
    assert_eq!(i.uid.as_deref(), Some(uid_hex(uid).as_str()));
    assert_eq!(i.chip, "NTAG215");
    assert_eq!(i.capacity, Some(492));
    assert!(i.writable && !i.locked && !i.password_protected);
    assert_eq!(i.records.len(), 2);
    assert_eq!(
        i.record_match.as_ref().unwrap().kind,
        RecordMatchKind::Matches
    );
    // Ours is decided offline: the inspector made no queryscheme call for it.
    assert_eq!(
        env.fake
            .calls(tapstand_fake_wechat::Endpoint::QueryScheme)
            .len(),
        0
    );

    // 2. The same tag, permanently locked: still ours, and the headline says it is locked.
    let locked = rig.tag().unwrap().locked();
    rig.put(locked);
    let i = inspect(&env, Some(client));
    assert!(matches!(i.verdict, Verdict::Ours { .. }), "{:?}", i.verdict);
    assert!(i.locked && !i.writable);
    assert!(
        i.headline.zh.ends_with("标签已永久锁定，不能再改写。"),
        "{}",
        i.headline.zh
    );

    // 3. A scheme the fake issued for the same AppID, not in our ledger: queryscheme says what it opens.
    let elsewhere = env
        .rt
        .block_on(client.generate_nfc_scheme(&NfcSchemeRequest {
            model_id: DEMO_MODEL_ID.into(),
            sn: Some("ELSEWHERE01".into()),
            path: Some("pages/index/index".into()),
            query: Some("from=counter".into()),
            env_version: None,
        }))
        .unwrap();
    rig.put(wechat_tag(VChip::Ntag213, nth_uid(501), &elsewhere));
    let i = inspect(&env, Some(client));
    match &i.verdict {
        Verdict::WechatOther {
            openlink,
            appid,
            path,
            query,
            source,
            query_error,
            expire_time,
            ..
        } => {
            assert_eq!(openlink, &elsewhere);
            assert_eq!(source, "queryscheme");
            assert_eq!(appid.as_deref(), Some(DEMO_APPID));
            assert_eq!(path.as_deref(), Some("pages/index/index"));
            assert_eq!(query.as_deref(), Some("from=counter"));
            assert_eq!(*expire_time, Some(0));
            assert!(query_error.is_none());
        }
        v => panic!("{v:?}"),
    }
    assert!(
        i.headline
            .zh
            .contains("本小程序的碰一碰标签，但不是这台电脑写的"),
        "{}",
        i.headline.zh
    );
    assert_eq!(
        i.record_match.as_ref().unwrap().kind,
        RecordMatchKind::NotRecorded
    );

    // 4. A link the configured mini program does not know (another mini program's tag): 85403.
    rig.put(wechat_tag(
        VChip::Ntag213,
        nth_uid(502),
        "weixin://dl/business/?t=AnotherApp1",
    ));
    let i = inspect(&env, Some(client));
    assert!(
        matches!(&i.verdict, Verdict::WechatOther { source, .. } if source == "not_ours"),
        "{:?}",
        i.verdict
    );
    assert!(i.headline.zh.starts_with("这是另一个小程序的碰一碰标签"));

    // 5. Offline: WeChat cannot be reached; and without a client at all.
    let dead = WechatClient::new(
        ClientConfig {
            retry: RetryPolicy {
                max_attempts: 1,
                base_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(1),
            },
            ..ClientConfig::default().with_base_url("http://127.0.0.1:9")
        },
        DEMO_APPID,
        &SecretString::new(DEMO_SECRET),
    )
    .unwrap()
    .0;
    let i = inspect(&env, Some(&dead));
    match &i.verdict {
        Verdict::WechatOther {
            source,
            query_error,
            ..
        } => {
            assert_eq!(source, "offline");
            assert!(query_error
                .as_ref()
                .unwrap()
                .code
                .starts_with("wechat.network"));
        }
        v => panic!("{v:?}"),
    }
    assert!(i.headline.zh.contains("现在无法向微信核对"));
    let i = inspect(&env, None);
    assert!(matches!(&i.verdict, Verdict::WechatOther { source, .. } if source == "offline"));

    // 6. A web link.
    let web = uri_and_aar("https://example.com/menu?table=12", None)
        .encode()
        .unwrap();
    rig.put(TagState::with_message(VChip::Ntag216, nth_uid(503), &web));
    let i = inspect(&env, Some(client));
    assert_eq!(
        i.verdict,
        Verdict::ForeignUrl {
            url: "https://example.com/menu?table=12".into()
        }
    );

    // 7. Empty.
    rig.put(TagState::factory(VChip::Ntag213, nth_uid(504)));
    let i = inspect(&env, Some(client));
    assert_eq!(i.verdict, Verdict::Empty);
    assert_eq!(i.used, Some(0));

    // 8. Damaged bytes: the NDEF TLV's length runs past the end of the memory.
    rig.put(
        TagState::factory(VChip::Ntag213, nth_uid(505))
            .with_bytes_at(16, &[0x03, 0xFF, 0x07, 0x00]),
    );
    let i = inspect(&env, Some(client));
    assert!(
        matches!(i.verdict, Verdict::Damaged { .. }),
        "{:?}",
        i.verdict
    );
    assert!(i.headline.zh.contains("已损坏"));
    assert!(i.writable && i.advice.zh.contains("重新写入"));

    // 9. A MIFARE Classic card.
    rig.put(TagState::factory(VChip::MifareClassic1k, nth_uid(506)));
    let i = inspect(&env, Some(client));
    assert_eq!(
        i.verdict,
        Verdict::Unsupported {
            name: "MIFARE Classic 1K".into()
        }
    );
    assert!(!i.writable);

    // 10. The station's tag, now wiped: "verify again" says it no longer matches the record.
    rig.put(TagState::factory(VChip::Ntag215, uid));
    let i = inspect(&env, Some(client));
    assert_eq!(i.verdict, Verdict::Empty);
    let m = i.record_match.unwrap();
    assert_eq!(m.kind, RecordMatchKind::ContentChanged);
    assert!(m.message.zh.contains("门店 1001 南山店") && m.message.zh.contains("现在是空的"));
    rig.take_away();
}

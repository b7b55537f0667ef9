//! Any byte string as the memory of a tag put on a reader, through the inspector into its words: the real
//! read (`TagSession::read_tag` over the in-process virtual tag holding these bytes, as `tapstand-cli
//! inspect` and 检查标签 read a real tag), then the verdict and wording (`inspect::explain_with`) — once with
//! nothing looked up, once with ledger, station records and a WeChat answer made from the same bytes. None
//! of it may panic; every inspection has its words and serialises (it crosses the IPC and `--json`).
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use tapstand_error::UserError;
use tapstand_secrets::{SecretError, SecretStore, SecretString};
use tapstand_station::inspect::{
    explain_with, Inspection, Lookups, OursLookup, RecordLookup, WechatLookup, WrittenLookup,
};
use tapstand_store::ledger::{SchemeRow, SchemeState};
use tapstand_store::station::{StationAttempt, StationTag};
use tapstand_tag::inproc::InProcessTransport;
use tapstand_tag::{quirks_for, TagReport, TagSession};
use tapstand_vtag::{TagState, VChip};
use tapstand_wechat::{ApiError, Endpoint, SchemeInfo, SchemeQuery, TransportKind, WechatError};

/// The tag password the fuzz keychain knows (one value: every secret is registered for log redaction).
const PWD: [u8; 4] = [0x5A, 0x17, 0xC3, 0x08];
const PACK: [u8; 2] = [0x9E, 0x42];

/// A keychain that knows [`PWD`] for every tag.
struct Keychain;

impl SecretStore for Keychain {
    fn get(&self, _account: &str) -> std::result::Result<Option<SecretString>, SecretError> {
        Ok(Some(SecretString::new("5a17c308:9e42")))
    }
    fn set(&self, _: &str, _: &SecretString) -> std::result::Result<(), SecretError> {
        Ok(())
    }
    fn delete(&self, _: &str) -> std::result::Result<bool, SecretError> {
        Ok(false)
    }
    fn backend(&self) -> String {
        "fuzz".into()
    }
}

/// The chip the bytes are the memory of: by size (the seeds are NTAG213/215/216 dumps), an NTAG203, a
/// generic Type 2 chip (memory from its CC), a MIFARE Classic or a Type 4 card (the bytes are its CC, then its
/// NDEF file) for some odd lengths.
fn chip_for(len: usize) -> VChip {
    match (len % 4, len % 32) {
        (1, _) => VChip::Ntag203,
        (2, _) => VChip::GenericType2,
        (_, 30) => VChip::MifareClassic1k,
        (_, 22) => VChip::DesfireEv2,
        (_, 26) => VChip::Ntag424Dna,
        _ if len <= VChip::Ntag213.total_pages() * 4 => VChip::Ntag213,
        _ if len <= VChip::Ntag215.total_pages() * 4 => VChip::Ntag215,
        _ => VChip::Ntag216,
    }
}

const READERS: [&str; 4] = [
    "Virtual PCD 00 00",
    "ACS ACR122U PICC Interface 00 00",
    "ACS ACR1252 Dual Reader PICC 00 00",
    "Generic Reader 00 00",
];

/// Reads the tag the way a real read does. `None` when the read itself fails (as a pulled tag does).
fn read(data: &[u8], u: &mut Unstructured) -> Result<Option<TagReport>> {
    let chip = chip_for(data.len());
    if chip.type4().is_some() {
        // A Type 4 card: the first 15 bytes are its CC (the NDEF File Control TLV included), the rest
        // its NDEF file (NLEN, the message).
        let tag = TagState::type4(chip, [0x04, 1, 2, 3, 4, 5, 6], |mut c| {
            let n = data.len().min(15);
            c.cc[..n].copy_from_slice(&data[..n]);
            let rest = &data[n..];
            let m = rest.len().min(c.ndef.len());
            c.ndef[..m].copy_from_slice(&rest[..m]);
            c
        });
        let reader = *u.choose(&READERS)?;
        let mut s = TagSession::new(InProcessTransport::with_tag(tag), quirks_for(reader));
        return Ok(s.read_tag().ok());
    }
    let mut mem = data.to_vec();
    mem.resize(chip.total_pages() * 4, 0);
    let cfg = chip.kind().geometry().and_then(|g| g.cfg_page);
    let known_password = u.arbitrary::<bool>()?;
    if let (Some(cfg), true) = (cfg, known_password) {
        let c = cfg as usize * 4;
        mem[c + 8..c + 12].copy_from_slice(&PWD);
        mem[c + 12..c + 14].copy_from_slice(&PACK);
    }
    let mut uid = [0u8; 7];
    for (i, b) in uid.iter_mut().enumerate() {
        *b = mem
            .get(if i < 3 { i } else { i + 1 })
            .copied()
            .unwrap_or(i as u8);
    }
    let tag = TagState {
        chip,
        uid,
        mem,
        authenticated: false,
        mute: false,
        cfglck_active: false,
        writes: 0,
        t4: None,
        no_fast_read: false,
    };
    let reader = *u.choose(&READERS)?;
    let mut s = TagSession::new(InProcessTransport::with_tag(tag), quirks_for(reader));
    if u.arbitrary::<bool>()? {
        s = s.with_secrets(Arc::new(Keychain));
    }
    Ok(s.read_tag().ok())
}

/// A string from a tag, a record or an answer: anything, or one of the shapes the wording looks at.
fn text(u: &mut Unstructured) -> Result<String> {
    const PREFIXES: [&str; 8] = [
        "",
        "门店 ",
        "前台 机器号 ",
        "不区分门店",
        "weixin://dl/business/?t=",
        "pages/优惠/index?",
        "%",
        "release",
    ];
    let p = *u.choose(&PREFIXES)?;
    let s: &str = u.arbitrary()?;
    Ok(format!("{p}{s}"))
}

/// A time in ms or s: anything, or within (and just past) the calendar's range.
fn time(u: &mut Unstructured) -> Result<i64> {
    if u.arbitrary()? {
        u.arbitrary()
    } else {
        u.int_in_range(-377_705_116_800_000..=253_402_300_800_000)
    }
}

/// The tag's WeChat link (or anything) for a record to hold.
fn link(u: &mut Unstructured, report: &TagReport) -> Result<String> {
    match report.wechat.as_ref().and_then(|w| w.scheme.clone()) {
        Some(l) if u.arbitrary()? => Ok(l),
        _ => text(u),
    }
}

fn scheme_row(u: &mut Unstructured) -> Result<SchemeRow> {
    Ok(SchemeRow {
        id: u.arbitrary()?,
        appid: text(u)?,
        model_id: text(u)?,
        sn: text(u)?,
        path: text(u)?,
        query: text(u)?,
        env_version: u.choose(&["release", "trial", "develop", ""])?.to_string(),
        state: SchemeState::Issued,
        openlink: Some(text(u)?),
        recovered_own: None,
        attempts: 1,
        in_flight_since: None,
        in_flight_owner: None,
        api_base: String::new(),
        last_errcode: None,
        last_error: None,
        wx_path: None,
        wx_query: None,
        wx_env_version: None,
        wx_create_time: None,
        created_at: time(u)?,
        updated_at: time(u)?,
        issued_at: Some(time(u)?),
    })
}

fn station_tag(u: &mut Unstructured, report: &TagReport) -> Result<StationTag> {
    Ok(StationTag {
        id: u.arbitrary()?,
        uid: match &report.uid {
            Some(uid) if u.arbitrary()? => uid.clone(),
            _ => text(u)?,
        },
        chip: text(u)?,
        model_id: text(u)?,
        sn: text(u)?,
        openlink: link(u, report)?,
        target: text(u)?,
        target_label: text(u)?,
        store_id: u.arbitrary()?,
        terminal_id: u.arbitrary()?,
        path: text(u)?,
        query: text(u)?,
        reader: text(u)?,
        operator: text(u)?,
        locked: u.arbitrary()?,
        first_written_at: time(u)?,
        last_verified_at: time(u)?,
        verify_count: u.arbitrary()?,
        genuine: u.arbitrary()?,
    })
}

fn attempt(u: &mut Unstructured, report: &TagReport) -> Result<StationAttempt> {
    Ok(StationAttempt {
        started_at: time(u)?,
        target_label: text(u)?,
        store_id: u.arbitrary()?,
        terminal_id: u.arbitrary()?,
        openlink: Some(link(u, report)?),
        ..Default::default()
    })
}

fn list<T>(
    u: &mut Unstructured,
    report: &TagReport,
    one: fn(&mut Unstructured, &TagReport) -> Result<T>,
) -> Result<Vec<T>> {
    let n = u.int_in_range(0..=3)?;
    (0..n).map(|_| one(u, report)).collect()
}

fn wechat_answer(u: &mut Unstructured) -> Result<WechatLookup> {
    let appid = text(u)?;
    let answer = match u.int_in_range(0..=3)? {
        0 => Ok(SchemeQuery {
            scheme_info: SchemeInfo {
                appid: if u.arbitrary()? {
                    appid.clone()
                } else {
                    text(u)?
                },
                path: text(u)?,
                query: text(u)?,
                create_time: time(u)?,
                expire_time: time(u)?,
                env_version: u
                    .choose(&["release", "trial", "develop", "", "其他"])?
                    .to_string(),
            },
            remain_visit_quota: u.arbitrary()?,
        }),
        1 => Err(WechatError::Api(ApiError::new(
            Endpoint::QueryScheme,
            *u.choose(&[85403, -1, 40001, 42001, 45009, 85401, 9800010])?,
            &text(u)?,
        ))),
        2 => Err(WechatError::Api(ApiError::new(
            Endpoint::QueryScheme,
            u.arbitrary()?,
            &text(u)?,
        ))),
        _ => Err(WechatError::Transport {
            endpoint: Endpoint::QueryScheme,
            kind: *u.choose(&[
                TransportKind::Connect,
                TransportKind::Timeout,
                TransportKind::Interrupted,
                TransportKind::Setup,
            ])?,
            detail: text(u)?,
        }),
    };
    Ok(if u.ratio(1, 8)? {
        WechatLookup::TimedOut
    } else {
        WechatLookup::Asked { appid, answer }
    })
}

/// Whatever the database and WeChat might have said (consistent with the tag or not).
fn lookups(u: &mut Unstructured, report: &TagReport) -> Result<Lookups> {
    let ours = if u.arbitrary()? {
        Some(OursLookup {
            row: scheme_row(u)?,
            written: if u.arbitrary()? {
                Some(WrittenLookup {
                    tags: list(u, report, station_tag)?,
                    attempts: list(u, report, attempt)?,
                })
            } else {
                None
            },
            profile_name: u.arbitrary::<Option<&str>>()?.map(str::to_string),
        })
    } else {
        None
    };
    let wechat = if u.arbitrary()? {
        Some(wechat_answer(u)?)
    } else {
        None
    };
    let record = if u.arbitrary()? {
        Some(RecordLookup {
            by_uid: list(u, report, station_tag)?,
            same_link: list(u, report, station_tag)?,
        })
    } else {
        None
    };
    let lookup_error = if u.ratio(1, 4)? {
        Some(UserError::internal(text(u)?))
    } else {
        None
    };
    Ok(Lookups {
        ours,
        wechat,
        record,
        lookup_error,
    })
}

fn check(i: &Inspection) {
    assert!(
        !i.headline.zh.is_empty() && !i.headline.en.is_empty(),
        "{i:?}"
    );
    assert!(!i.advice.zh.is_empty() && !i.advice.en.is_empty(), "{i:?}");
    assert!(i.problems.iter().all(|p| !p.zh.is_empty()), "{i:?}");
    if let Some(m) = &i.record_match {
        assert!(
            !m.message.zh.is_empty() && !m.message.en.is_empty(),
            "{i:?}"
        );
    }
    serde_json::to_string(i).expect("an inspection serialises");
}

fuzz_target!(|data: &[u8]| {
    // The choices (reader, keychain, lookups) come from the end of the input, so that the seeds — plain
    // tag dumps — keep their meaning as tag memory.
    let rev: Vec<u8> = data.iter().rev().copied().collect();
    let mut u = Unstructured::new(&rev);
    let Ok(Some(report)) = read(data, &mut u) else {
        return;
    };
    check(&explain_with(&report, &Lookups::default()));
    if let Ok(l) = lookups(&mut u, &report) {
        check(&explain_with(&report, &l));
    }
});

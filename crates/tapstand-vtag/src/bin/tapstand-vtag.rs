//! `tapstand-vtag`: puts a virtual tag on vsmartcard's virtual reader (pcscd + vsmartcard-vpcd) until
//! Ctrl-C, for demos and manual tests. Test equipment: it is not part of the merchant's app or CLI.
//!
//! `tapstand-vtag --chip ntag215 --state factory [--uri weixin://…] [--uid HEX] [--latency-ms N]
//! [--port P] [--passthrough both|acr122|part3|none] [--next-every SECS] [--json]`

use std::time::Duration;

use clap::Parser;
use tapstand_ndef::wechat::{uri_and_aar, WECHAT_PACKAGE};
use tapstand_vtag::{
    nth_uid, parse_uid, Faults, PassThroughMode, ReaderModel, SigMode, TagState, VChip, VirtualTag,
    VPCD_PORT,
};

#[derive(Parser, Debug)]
#[command(
    name = "tapstand-vtag",
    version,
    about = "A virtual NFC tag on vsmartcard's virtual reader (needs pcscd + vsmartcard-vpcd), for demos and tests"
)]
struct Args {
    /// ntag213, ntag215, ntag216, ntag203, classic; Type 4: ntag424dna, desfire, st25ta, bankcard.
    #[arg(long, default_value = "ntag215", value_parser = parse_chip)]
    chip: VChip,
    /// factory, blank, locked or password (Type 4: locked = read-only NDEF file, password = key-protected).
    #[arg(long, default_value = "factory", value_parser = ["factory", "blank", "locked", "password"])]
    state: String,
    /// Pre-write this URI (with the WeChat AAR for weixin:// links).
    #[arg(long)]
    uri: Option<String>,
    /// 7-byte UID in hex (default 047A6700000001).
    #[arg(long, value_parser = parse_uid_arg)]
    uid: Option<[u8; 7]>,
    /// Delay per APDU, milliseconds (a slow reader).
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// vpcd port (35963 = "Virtual PCD 00 00", 35964 = "Virtual PCD 00 01").
    #[arg(long, default_value_t = VPCD_PORT)]
    port: u16,
    /// Native pass-through the virtual reader accepts: both, acr122, part3 or none.
    #[arg(long, default_value = "both", value_parser = parse_passthrough)]
    passthrough: PassThroughMode,
    /// The reader the virtual reader plays (`tapstand_vtag::readers`): virtual (both pass-throughs),
    /// acr122u, acr1252u, acr1552u, omnikey, identiv or feitian. Its PC/SC name stays vpcd's.
    #[arg(long, default_value = "virtual", value_parser = parse_reader)]
    reader: ReaderModel,
    /// Every N seconds, take the tag away and put the next one (new UID, same kind) on the reader.
    #[arg(long)]
    next_every: Option<u64>,
    /// One JSON line per event instead of text.
    #[arg(long)]
    json: bool,
    /// READ_SIG answer: signed (NXP's signature for --uid 04E10CDA993C80, a test-key one otherwise),
    /// garbage or nak (clones).
    #[arg(long, default_value = "signed", value_parser = ["signed", "garbage", "nak"])]
    sig: String,
}

fn parse_chip(s: &str) -> Result<VChip, String> {
    VChip::parse(s)
        .ok_or_else(|| {
            format!("{s:?}: use ntag213, ntag215, ntag216, ntag203, classic, ntag424dna, desfire, st25ta or bankcard")
        })
}

fn parse_uid_arg(s: &str) -> Result<[u8; 7], String> {
    parse_uid(s).ok_or_else(|| format!("{s:?}: a 7-byte UID is 14 hex digits"))
}

fn parse_passthrough(s: &str) -> Result<PassThroughMode, String> {
    match s {
        "both" => Ok(PassThroughMode::Both),
        "acr122" => Ok(PassThroughMode::Acr122Direct),
        "part3" => Ok(PassThroughMode::Part3Transparent),
        "none" => Ok(PassThroughMode::None),
        _ => Err(format!("{s:?}: use both, acr122, part3 or none")),
    }
}

fn parse_reader(s: &str) -> Result<ReaderModel, String> {
    Ok(match s {
        "virtual" => ReaderModel::VirtualPcd,
        "acr122u" => ReaderModel::Acr122u,
        "acr1252u" => ReaderModel::Acr1252u,
        "acr1552u" => ReaderModel::Acr1552u,
        "omnikey" => ReaderModel::Omnikey5422,
        "identiv" => ReaderModel::IdentivUtrust3700f,
        "feitian" => ReaderModel::FeitianR502,
        _ => {
            return Err(format!(
                "{s:?}: use virtual, acr122u, acr1252u, acr1552u, omnikey, identiv or feitian"
            ))
        }
    })
}

fn make(a: &Args, uid: [u8; 7]) -> Result<TagState, String> {
    let mut t = match a.state.as_str() {
        "blank" => TagState::blank(a.chip, uid),
        _ => TagState::factory(a.chip, uid),
    };
    if let Some(uri) = &a.uri {
        let pkg = uri.starts_with("weixin:").then_some(WECHAT_PACKAGE);
        let m = uri_and_aar(uri, pkg)
            .encode()
            .map_err(|e| format!("--uri: {e}"))?;
        t = TagState::with_message(a.chip, uid, &m);
    }
    t.signature = match a.sig.as_str() {
        "garbage" => SigMode::Garbage,
        "nak" => SigMode::Nak,
        _ => SigMode::Signed,
    };
    if let Some(card) = t.t4.take() {
        t.t4 = Some(match a.state.as_str() {
            "locked" => card.read_only(),
            "password" => card.key_protected(),
            _ => card,
        });
        return Ok(t);
    }
    match a.state.as_str() {
        "locked" => t.lock(),
        "password" => t.protect([0x12, 0x34, 0x56, 0x78], [0xAB, 0xCD], 4, false),
        _ => {}
    }
    Ok(t)
}

fn main() {
    let a = Args::parse();
    if let Err(e) = run(&a) {
        eprintln!("tapstand-vtag: {e}");
        std::process::exit(1);
    }
}

fn run(a: &Args) -> Result<(), String> {
    let first = a.uid.unwrap_or_else(|| nth_uid(1));
    let vt = VirtualTag::start(a.port);
    vt.set_passthrough(a.passthrough);
    vt.set_model(a.reader);
    vt.set_faults(Faults {
        latency: Duration::from_millis(a.latency_ms),
        pseudo_apdus_drop_auth: true,
        ..Faults::default()
    });
    vt.insert(make(a, first)?);
    let say = |event: &str, uid: &[u8; 7]| {
        let uid: String = uid.iter().map(|b| format!("{b:02X}")).collect();
        if a.json {
            println!(
                "{{\"event\":\"{event}\",\"uid\":\"{uid}\",\"chip\":\"{:?}\",\"port\":{}}}",
                a.chip, a.port
            );
        } else {
            println!(
                "virtual tag {event}: {:?} {uid} (127.0.0.1:{})",
                a.chip, a.port
            );
        }
    };
    if !vt.wait_connected(Duration::from_secs(10)) {
        return Err(format!(
            "cannot reach vpcd at 127.0.0.1:{} ({}); start pcscd with the vsmartcard-vpcd driver",
            a.port,
            vt.last_error().unwrap_or_default()
        ));
    }
    say("on the reader", &first);
    if !a.json {
        println!("Ctrl-C to stop.");
    }
    let mut n = 1u32;
    loop {
        match a.next_every {
            Some(secs) => {
                std::thread::sleep(Duration::from_secs(secs.max(1)));
                n += 1;
                let uid = nth_uid(n);
                vt.swap(make(a, uid)?);
                say("next tag", &uid);
            }
            None => std::thread::sleep(Duration::from_secs(3600)),
        }
    }
}

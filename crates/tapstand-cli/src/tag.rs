//! Tag commands: `readers`, `inspect`, `write-ndef`, `virtual-tag`.

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use tapstand_core::UserError;
use tapstand_secrets::{Keychain, SecretStore};
use tapstand_tag::ndef::view::RecordContent;
use tapstand_tag::ndef::wechat::{uri_and_aar, WechatProblem, WECHAT_PACKAGE};
use tapstand_tag::{Pcsc, TagError, TagReport, WriteOptions};
use tapstand_vtag::{parse_uid, Faults, PassThroughMode, TagState, VChip, VirtualTag, VPCD_PORT};

#[derive(Args, Debug)]
pub struct PickReader {
    /// Reader to use (full name or a part of it, e.g. "ACR122"). Default: the only reader with a tag on it.
    #[arg(long)]
    pub reader: Option<String>,
    /// Seconds to wait for a tag.
    #[arg(long, default_value_t = 10)]
    pub wait: u64,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    #[command(flatten)]
    pub pick: PickReader,
    /// Say in plain words what the tag is: ours (which store, when written), another mini program's,
    /// a web link, empty, locked, damaged — using the local records and, for WeChat links that are not
    /// ours, queryscheme.
    #[arg(long)]
    pub explain: bool,
    /// The mini-program profile whose WeChat account checks unknown links (name, id or AppID).
    /// Default: the only profile with a saved AppSecret.
    #[arg(long, requires = "explain")]
    pub profile: Option<String>,
    /// Do not ask WeChat (queryscheme); decide from the local records only.
    #[arg(long, requires = "explain")]
    pub offline: bool,
}

#[derive(Args, Debug)]
pub struct WriteArgs {
    /// The URI to write, e.g. weixin://dl/business/?t=XXXX
    #[arg(long)]
    pub uri: String,
    /// Android package for the Android Application Record. Default for weixin:// links: com.tencent.mm.
    #[arg(long)]
    pub aar: Option<String>,
    /// Write no Android Application Record.
    #[arg(long, conflicts_with = "aar")]
    pub no_aar: bool,
    /// PERMANENTLY lock the tag (read-only forever; cannot be undone).
    #[arg(long)]
    pub lock: bool,
    /// Protect writes with a random password kept in the OS keychain.
    #[arg(long, conflicts_with = "lock")]
    pub password_protect: bool,
    #[command(flatten)]
    pub pick: PickReader,
}

#[derive(Args, Debug)]
pub struct VirtualTagArgs {
    /// ntag213, ntag215, ntag216, ntag203 or classic.
    #[arg(long, default_value = "ntag215")]
    pub chip: String,
    /// factory, blank, locked or password.
    #[arg(long, default_value = "factory")]
    pub state: String,
    /// Pre-write this URI (with the WeChat AAR for weixin:// links).
    #[arg(long)]
    pub uri: Option<String>,
    /// 7-byte UID in hex (default 047A6700000001).
    #[arg(long)]
    pub uid: Option<String>,
    /// Delay per APDU, milliseconds (a slow reader).
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// vpcd port (35963 = "Virtual PCD 00 00", 35964 = "Virtual PCD 00 01").
    #[arg(long, default_value_t = VPCD_PORT)]
    pub port: u16,
    /// Native pass-through the virtual reader accepts: both, acr122, part3 or none.
    #[arg(long, default_value = "both")]
    pub passthrough: String,
    /// Every N seconds, take the tag away and put the next one (new UID, same kind) on the reader.
    #[arg(long)]
    pub next_every: Option<u64>,
}

fn user(e: TagError) -> UserError {
    e.into()
}

pub fn readers(json: bool) -> Result<(), UserError> {
    let mut p = Pcsc::new();
    let list = p.readers().map_err(user)?;
    if json {
        crate::output::json(&list);
        return Ok(());
    }
    if list.is_empty() {
        println!("没有读卡器 / No readers. 请插入 USB 读卡器 / Plug in a USB reader.");
    }
    for r in list {
        let tag = match &r.atr {
            Some(atr) => format!("有标签 / tag present (ATR {atr})"),
            None => "无标签 / no tag".into(),
        };
        println!("{}  [{:?}]  {}", r.name, r.family, tag);
    }
    Ok(())
}

pub(crate) fn keychain() -> Option<Arc<dyn SecretStore>> {
    Keychain::native()
        .ok()
        .map(|k| Arc::new(k) as Arc<dyn SecretStore>)
}

pub fn inspect(pick: PickReader, json: bool) -> Result<(), UserError> {
    let mut p = Pcsc::new();
    let mut s = p
        .open(pick.reader.as_deref(), Duration::from_secs(pick.wait))
        .map_err(user)?;
    if let Some(k) = keychain() {
        s = s.with_secrets(k);
    }
    let r = s.read_tag().map_err(user)?;
    if json {
        crate::output::json(&r);
    } else {
        print_report(&r);
    }
    Ok(())
}

fn print_report(r: &TagReport) {
    println!("读卡器 / Reader:     {}", r.reader);
    println!("UID:                 {}", r.uid.as_deref().unwrap_or("-"));
    println!(
        "芯片 / Chip:         {} ({:?})",
        r.chip.name, r.chip.identified_by
    );
    println!("                     {}", r.chip.support_zh);
    if let Some(c) = r.capacity {
        println!("容量 / Capacity:     {c} 字节 / bytes");
    }
    if let Some(l) = &r.lock {
        let state = if l.fully_locked {
            "已永久锁定 / permanently locked"
        } else if l.cc_read_only || l.locked_user_pages > 0 {
            "部分锁定 / partly locked"
        } else {
            "未锁定 / not locked"
        };
        println!("锁定 / Lock:         {state}");
    }
    if let Some(p) = &r.password {
        let state = if p.active {
            format!(
                "有密码，从第 {} 页起 / protected from page {}",
                p.auth0, p.auth0
            )
        } else {
            "无密码 / none".into()
        };
        println!("密码 / Password:     {state}");
    }
    match (r.message_len, r.records.is_empty()) {
        (Some(0), _) => println!("内容 / Content:      空 / empty NDEF message"),
        (Some(n), _) => println!(
            "内容 / Content:      {n} 字节, {} 条记录 / bytes, records",
            r.records.len()
        ),
        (None, _) => println!("内容 / Content:      无 NDEF / no NDEF message"),
    }
    for (i, rec) in r.records.iter().enumerate() {
        let what = match &rec.content {
            RecordContent::Uri { uri, .. } => format!("URI  {uri}"),
            RecordContent::AndroidApp { package } => format!("AAR  {package}"),
            RecordContent::Text { language, text } => format!("Text [{language}] {text}"),
            other => format!("{:?} type={}", other, rec.record_type),
        };
        println!("  #{} {what}", i + 1);
    }
    if let Some(e) = &r.message_error {
        println!("内容有误 / Invalid content: {e}");
    }
    if let Some(w) = &r.wechat {
        if w.valid {
            println!("微信碰一碰 / WeChat NFC: 有效 / valid");
        } else {
            let why: Vec<&str> = w
                .problems
                .iter()
                .map(|p| match p {
                    WechatProblem::NoMessage => "没有内容 / no message",
                    WechatProblem::FirstRecordNotUri => {
                        "第一条不是链接 / first record is not a URI"
                    }
                    WechatProblem::NotWechatScheme => "不是微信链接 / not a WeChat link",
                    WechatProblem::PlaintextScheme => {
                        "明文链接，标签上可能打不开 / plain-text scheme"
                    }
                    WechatProblem::MissingAar => {
                        "缺少安卓应用记录，安卓手机打不开 / no AAR (Android will not open WeChat)"
                    }
                    WechatProblem::AarBeforeUri => "记录顺序反了 / AAR before URI",
                    WechatProblem::ExtraRecords => "多余的记录 / extra records",
                })
                .collect();
            println!(
                "微信碰一碰 / WeChat NFC: 无效 / not valid — {}",
                why.join("; ")
            );
        }
    }
    println!(
        "可写入 / Writable:   {}",
        if r.writable { "是 / yes" } else { "否 / no" }
    );
    for n in &r.notes {
        println!("  · {n}");
    }
    println!("({} APDU, {} ms)", r.io.apdus, r.elapsed_ms);
}

pub fn write_ndef(a: WriteArgs, json: bool) -> Result<(), UserError> {
    let package = match (&a.aar, a.no_aar) {
        (Some(p), _) => Some(p.clone()),
        (None, true) => None,
        (None, false) if a.uri.starts_with("weixin:") => Some(WECHAT_PACKAGE.to_string()),
        _ => None,
    };
    if a.uri.starts_with("weixin:") {
        tapstand_tag::ndef::wechat::validate_scheme(&a.uri)
            .map_err(|e| user(TagError::InvalidMessage(e.to_string())))?;
    }
    let message = uri_and_aar(&a.uri, package.as_deref());
    if a.lock {
        eprintln!("警告：--lock 会永久锁定标签，之后再也不能改写。/ WARNING: --lock makes the tag read-only forever.");
    }
    let mut p = Pcsc::new();
    let mut s = p
        .open(a.pick.reader.as_deref(), Duration::from_secs(a.pick.wait))
        .map_err(user)?;
    match keychain() {
        Some(k) => s = s.with_secrets(k),
        None if a.password_protect => {
            return Err(user(TagError::Keychain(format!(
                "{} is not available",
                tapstand_secrets::native_name()
            ))));
        }
        None => {}
    }
    let r = s
        .write_ndef(
            &message,
            WriteOptions {
                lock: a.lock,
                password_protect: a.password_protect,
            },
        )
        .map_err(user)?;
    if json {
        crate::output::json(&r);
        return Ok(());
    }
    if r.unchanged {
        println!("标签上已经是这个内容，无需写入 / The tag already holds this content.");
    } else {
        println!(
            "写入成功并已核对 / Written and verified: {} 字节 / bytes on {:?} (UID {}).",
            r.message_len, r.chip, r.uid
        );
    }
    if r.locked {
        println!("标签已永久锁定 / The tag is now permanently locked.");
    }
    if r.password_protected {
        println!("标签有密码保护，密码保存在系统钥匙串 / Password protected; the password is in the OS keychain.");
    }
    println!(
        "({} APDU, {} 页 / pages written, {} ms)",
        r.io.apdus, r.pages_written, r.elapsed_ms
    );
    Ok(())
}

fn bad_arg(what: &str, value: &str) -> UserError {
    UserError::new(
        "cli.bad_argument",
        (
            &format!("参数 {what} 的值无效：{value}"),
            "请查看 tapstand-cli virtual-tag --help。",
        ),
        (
            &format!("Invalid value for {what}: {value}"),
            "See tapstand-cli virtual-tag --help.",
        ),
    )
}

pub fn virtual_tag(a: VirtualTagArgs, json: bool) -> Result<(), UserError> {
    let chip = VChip::parse(&a.chip).ok_or_else(|| bad_arg("--chip", &a.chip))?;
    let passthrough = match a.passthrough.as_str() {
        "both" => PassThroughMode::Both,
        "acr122" => PassThroughMode::Acr122Direct,
        "part3" => PassThroughMode::Part3Transparent,
        "none" => PassThroughMode::None,
        other => return Err(bad_arg("--passthrough", other)),
    };
    let first_uid = match &a.uid {
        Some(u) => parse_uid(u).ok_or_else(|| bad_arg("--uid", u))?,
        None => tapstand_vtag::nth_uid(1),
    };
    let make = |uid: [u8; 7]| -> Result<TagState, UserError> {
        let mut t = match a.state.as_str() {
            "blank" => TagState::blank(chip, uid),
            "factory" | "locked" | "password" => TagState::factory(chip, uid),
            other => return Err(bad_arg("--state", other)),
        };
        if let Some(uri) = &a.uri {
            let pkg = uri.starts_with("weixin:").then_some(WECHAT_PACKAGE);
            let m = uri_and_aar(uri, pkg)
                .encode()
                .map_err(|e| bad_arg("--uri", &e.to_string()))?;
            t = TagState::with_message(chip, uid, &m);
        }
        match a.state.as_str() {
            "locked" => t.lock(),
            "password" => t.protect([0x12, 0x34, 0x56, 0x78], [0xAB, 0xCD], 4, false),
            _ => {}
        }
        Ok(t)
    };
    let vt = VirtualTag::start(a.port);
    vt.set_passthrough(passthrough);
    vt.set_faults(Faults {
        latency: Duration::from_millis(a.latency_ms),
        pseudo_apdus_drop_auth: true,
        ..Faults::default()
    });
    vt.insert(make(first_uid)?);
    let say = |event: &str, uid: &[u8; 7]| {
        let uid: String = uid.iter().map(|b| format!("{b:02X}")).collect();
        if json {
            crate::output::json_line(
                &serde_json::json!({ "event": event, "uid": uid, "chip": a.chip, "port": a.port }),
            );
        } else {
            println!(
                "虚拟标签 / virtual tag {event}: {} {uid} (127.0.0.1:{})",
                a.chip, a.port
            );
        }
    };
    if !vt.wait_connected(Duration::from_secs(10)) {
        return Err(user(TagError::NoService(format!(
            "cannot reach vpcd at 127.0.0.1:{} ({}); start pcscd with the vsmartcard-vpcd driver",
            a.port,
            vt.last_error().unwrap_or_default()
        ))));
    }
    say("on the reader", &first_uid);
    if !json {
        println!("按 Ctrl-C 结束 / Ctrl-C to stop.");
    }
    let mut n = 1u32;
    loop {
        match a.next_every {
            Some(secs) => {
                std::thread::sleep(Duration::from_secs(secs.max(1)));
                n += 1;
                let uid = tapstand_vtag::nth_uid(n);
                vt.swap(make(uid)?);
                say("next tag", &uid);
            }
            None => std::thread::sleep(Duration::from_secs(3600)),
        }
    }
}

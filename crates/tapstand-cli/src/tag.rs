//! Tag commands: `readers`, `inspect`, `write-ndef`. (The virtual tag for demos and tests is
//! tapstand-vtag's own binary: `cargo run -p tapstand-vtag -- --help`.)

use std::time::Duration;

use clap::Args;
use tapstand_core::{native_tag_secrets, UserError};
use tapstand_tag::ndef::view::RecordContent;
use tapstand_tag::ndef::wechat::{uri_and_aar, WechatProblem, WECHAT_PACKAGE};
use tapstand_tag::{Pcsc, TagError, TagReport, WriteOptions};

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
    /// Protect writes with a password derived from the profile's tag key (profile set-tag-key): any PC
    /// of the team holding the same key can rewrite the tag. Needs --profile.
    #[arg(long, conflicts_with = "lock", requires = "profile")]
    pub password_protect: bool,
    /// The profile whose tag key protects (and unlocks) the tag.
    #[arg(long)]
    pub profile: Option<String>,
    #[command(flatten)]
    pub pick: PickReader,
}

fn user(e: TagError) -> UserError {
    e.into()
}

pub fn readers(json: bool) -> Result<(), UserError> {
    let list = tapstand_core::readers::readers_probed()?;
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
        let dialect = match r.dialect {
            Some(tapstand_tag::PassThrough::Acr122Direct) => "直通 / Direct Transmit",
            Some(tapstand_tag::PassThrough::Part3Transparent) => "透明会话 / transparent session",
            Some(tapstand_tag::PassThrough::None) => "仅标准命令 / pseudo-APDUs only",
            None => "未探测 / not probed (no tag yet)",
        };
        let fw = r
            .firmware
            .as_deref()
            .map(|f| format!("  固件 firmware {f}"))
            .unwrap_or_default();
        println!("{}  [{:?}]  {}  {}{}", r.name, r.family, tag, dialect, fw);
    }
    Ok(())
}

pub fn inspect(pick: PickReader, json: bool) -> Result<(), UserError> {
    let mut p = Pcsc::new();
    let mut s = p
        .open(pick.reader.as_deref(), Duration::from_secs(pick.wait))
        .map_err(user)?;
    if let Some(k) = native_tag_secrets() {
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
    println!("                     {}", r.chip.description_zh);
    println!("                     {}", r.chip.support_zh);
    println!(
        "原厂 / Genuine:      {} / {}",
        tapstand_station::genuine::verdict_zh(r.genuine),
        tapstand_station::genuine::verdict_en(r.genuine)
    );
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
    if let Some(t) = &r.type4 {
        let write = if t.read_only {
            "只读 / read-only"
        } else if t.protected {
            "需要密钥 / needs a key"
        } else {
            "可写 / free"
        };
        println!(
            "Type 4:              NDEF 文件 / file {} ({} 字节 / bytes), 映射 / mapping {}, MLe {} MLc {}, 写入 / write: {write}",
            t.ndef_file, t.file_size, t.mapping_version, t.mle, t.mlc
        );
        println!("锁定 / Lock:         Tapstand 不能锁定这种标签 / Tapstand cannot lock this tag");
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

/// `tag_key`: the profile's tag key (with `--profile`), from which a protected tag's password is derived.
pub fn write_ndef(
    a: WriteArgs,
    tag_key: Option<tapstand_secrets::SecretString>,
    json: bool,
) -> Result<(), UserError> {
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
    match native_tag_secrets() {
        Some(k) => s = s.with_secrets(k),
        None if a.password_protect && tag_key.is_none() => {
            return Err(user(TagError::Keychain(format!(
                "{} is not available",
                tapstand_secrets::native_name()
            ))));
        }
        None => {}
    }
    if let Some(key) = tag_key {
        s = s.with_tag_key(key);
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
        println!("标签有密码保护，密码由这个小程序的标签密码密钥算出 / Password protected, with the password derived from the profile's tag key.");
    }
    println!(
        "({} APDU, {} 页 / pages written, {} ms)",
        r.io.apdus, r.pages_written, r.elapsed_ms
    );
    Ok(())
}

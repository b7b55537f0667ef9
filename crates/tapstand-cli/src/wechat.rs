//! WeChat commands: `wechat check`, `wechat set-secret`, `wechat quota`, `scheme`, `wxacode`. Each takes
//! `--profile P` (name, AppID or id; optional when there is only one profile), resolved like every other
//! command. The AppSecret is read from the OS keychain (`profile set-secret` or `wechat set-secret` puts it
//! there, reading stdin, never argv).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;
use tapstand_core::{lookup, Core, UserError};
use tapstand_store::records::Profile;
use tapstand_wechat::{SchemeRequest, SchemeSource, Warning, WxaCodeRequest};

use crate::output;

#[derive(Subcommand, Debug)]
pub enum WechatCommand {
    /// Test the connection: get an access token with the AppSecret kept in the OS keychain.
    Check(ProfileArg),
    /// Store the AppSecret in the OS keychain. It is read from stdin, never from the command line.
    SetSecret(ProfileArg),
    /// NFC scheme quota use recorded on this computer (lifetime 100,000; 500,000 a day).
    Quota(ProfileArg),
}

#[derive(Args, Debug, Clone, Default)]
pub struct ProfileArg {
    /// The mini program profile: name, AppID or id (see `tapstand-cli profile list`). Optional when there
    /// is only one.
    #[arg(long, value_name = "P")]
    pub profile: Option<String>,
}

impl ProfileArg {
    pub async fn resolve(&self, core: &Core) -> Result<Profile, UserError> {
        lookup::profile_or_only(&core.db, self.profile.as_deref()).await
    }
}

#[derive(Args, Debug)]
pub struct SchemeArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    /// The device model_id WeChat assigned (设备 model_id).
    #[arg(long)]
    pub model_id: String,
    /// The tag's sn (一机一码): letters, digits, _ and -, at most 128.
    #[arg(long)]
    pub sn: String,
    /// Page to open, e.g. pages/member/card (home page when absent).
    #[arg(long)]
    pub path: Option<String>,
    /// Page parameters, e.g. store=001&desk=2.
    #[arg(long)]
    pub query: Option<String>,
    /// release, trial or develop. Only release for real tags: an sn can never get a second scheme.
    #[arg(long, default_value = "release")]
    pub env: String,
    /// Recover the link of an sn whose earlier request got no answer (asks WeChat once more; an existing
    /// scheme comes back as 9800010 with its link).
    #[arg(long)]
    pub resolve: bool,
}

#[derive(Args, Debug)]
pub struct WxacodeArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    /// The scene the page receives (1–32 characters, no % and no Chinese), e.g. store=001.
    #[arg(long)]
    pub scene: String,
    /// Page, e.g. pages/index/index (no leading /). Home page when absent.
    #[arg(long)]
    pub page: Option<String>,
    /// Where to write the image (JPEG, or PNG with --transparent).
    #[arg(long)]
    pub out: PathBuf,
    /// Width in pixels, 280–1280.
    #[arg(long, default_value_t = 1280)]
    pub width: u32,
    /// Transparent background (PNG).
    #[arg(long)]
    pub transparent: bool,
    /// Allow a page that is not in the published version (check_path=false).
    #[arg(long)]
    pub no_check_path: bool,
    /// release, trial or develop.
    #[arg(long, default_value = "release")]
    pub env: String,
}

pub fn print_warnings(json: bool, warnings: &[Warning]) {
    if json {
        return;
    }
    for w in warnings {
        eprintln!("提示 / Note: {}\n  {}", w.zh, w.en);
    }
}

pub async fn run(cmd: WechatCommand, core: &Core, json: bool) -> Result<(), UserError> {
    match cmd {
        WechatCommand::Check(p) => check(&p.resolve(core).await?, core, json).await,
        WechatCommand::SetSecret(p) => set_secret(&p.resolve(core).await?, core, json).await,
        WechatCommand::Quota(p) => quota(&p.resolve(core).await?, core, json).await,
    }
}

#[derive(Serialize)]
struct CheckOut<'a> {
    ok: bool,
    appid: &'a str,
    base_url: &'a str,
    expires_in: u32,
    warnings: &'a [Warning],
}

/// `wechat check` and `profile test`: an access token with the saved AppSecret (stable_token).
pub async fn check(profile: &Profile, core: &Core, json: bool) -> Result<(), UserError> {
    let (client, warnings) = core.wechat_with_warnings(profile).await?;
    print_warnings(json, &warnings);
    let t = client.check().await?;
    if json {
        output::json(&CheckOut {
            ok: true,
            appid: client.appid(),
            base_url: client.base_url(),
            expires_in: t.expires_in,
            warnings: &warnings,
        });
    } else {
        println!(
            "连接正常：已获取 {} 的访问令牌（有效期还剩 {} 秒）。",
            client.appid(),
            t.expires_in
        );
        println!(
            "Connection OK: got an access token for {} ({} s left).",
            client.appid(),
            t.expires_in
        );
    }
    Ok(())
}

/// `wechat set-secret` and `profile set-secret`: the first line of stdin into the OS keychain.
pub async fn set_secret(profile: &Profile, core: &Core, json: bool) -> Result<(), UserError> {
    // Only the first line counts; typed without echo; registered for redaction at once.
    let secret = output::read_secret_line(
        "请粘贴小程序密钥（AppSecret）后按回车（输入不会显示）/ Paste the AppSecret and press Enter (not shown): ",
    )?;
    let keychain = core.secrets().await?;
    let warnings =
        tapstand_records::set_app_secret(&core.db, &keychain, profile.id, secret.expose()).await?;
    core.forget_wechat(profile.id);
    if json {
        output::json(&serde_json::json!({
            "ok": true, "profile": profile.id, "appid": profile.appid,
            "backend": keychain.backend(), "warnings": warnings,
        }));
    } else {
        for w in &warnings {
            eprintln!("提示 / Note ({}): {} / {}", w.field, w.zh, w.en);
        }
        println!(
            "已把 {} 的小程序密钥保存到系统钥匙串（{}）。可运行 tapstand-cli wechat check --profile {} 测试连接。",
            profile.appid,
            keychain.backend(),
            profile.name
        );
        println!(
            "Saved the AppSecret of {} in the OS keychain ({}). Run tapstand-cli wechat check --profile {} to test the connection.",
            profile.appid,
            keychain.backend(),
            profile.name
        );
    }
    Ok(())
}

async fn quota(profile: &Profile, core: &Core, json: bool) -> Result<(), UserError> {
    let q = core.scheme_service(profile).await?.quota().await?;
    if json {
        output::json(&q);
    } else {
        println!(
            "{} 的 NFC 链接用量（本机记录）/ NFC link use recorded on this computer:",
            q.appid
        );
        println!(
            "  累计 / lifetime: {} / {}",
            q.lifetime_issued, q.lifetime_limit
        );
        println!("  今天 / today:    {} / {}", q.today_issued, q.daily_limit);
        if q.unanswered_calls > 0 {
            println!(
                "  未收到回复的请求 / unanswered requests: {}",
                q.unanswered_calls
            );
        }
        if let Some(code) = q.last_quota_errcode {
            println!("  最近一次额度错误 / last quota error: {code}");
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct SchemeOut<'a> {
    openlink: &'a str,
    source: SchemeSource,
    state: tapstand_store::ledger::SchemeState,
    appid: &'a str,
    model_id: &'a str,
    sn: &'a str,
    warnings: &'a [Warning],
}

pub async fn scheme(a: SchemeArgs, core: &Core, json: bool) -> Result<(), UserError> {
    let profile = a.profile.resolve(core).await?;
    let (_, mut warnings) = core.wechat_with_warnings(&profile).await?;
    let svc = core.scheme_service(&profile).await?;
    let out = if a.resolve {
        svc.resolve(&a.model_id, &a.sn).await?
    } else {
        let req = SchemeRequest {
            model_id: a.model_id.clone(),
            sn: a.sn.clone(),
            path: a.path.clone(),
            query: a.query.clone(),
            env_version: Some(a.env.clone()),
        };
        svc.get_or_generate(&req).await?
    };
    warnings.extend(out.warnings.iter().cloned());
    print_warnings(json, &warnings);
    if json {
        output::json(&SchemeOut {
            openlink: &out.openlink,
            source: out.source,
            state: out.row.state,
            appid: &out.row.appid,
            model_id: &out.row.model_id,
            sn: &out.row.sn,
            warnings: &warnings,
        });
    } else {
        let (zh, en) = match out.source {
            SchemeSource::Ledger => ("台账中已有", "already in the ledger"),
            SchemeSource::Generated => ("新生成", "generated now"),
            SchemeSource::Recovered => ("已找回", "recovered"),
            SchemeSource::Adopted => ("微信中已有，已记录", "existed at WeChat, recorded"),
        };
        println!("{}", out.openlink);
        println!(
            "（{zh} / {en}；model_id {}，sn {}）",
            out.row.model_id, out.row.sn
        );
    }
    Ok(())
}

pub async fn wxacode(a: WxacodeArgs, core: &Core, json: bool) -> Result<(), UserError> {
    let profile = a.profile.resolve(core).await?;
    let (client, mut warnings) = core.wechat_with_warnings(&profile).await?;
    let req = WxaCodeRequest {
        scene: a.scene.clone(),
        page: a.page.clone(),
        check_path: !a.no_check_path,
        env_version: a.env.clone(),
        width: a.width,
        is_hyaline: a.transparent,
        ..WxaCodeRequest::default()
    };
    warnings.extend(req.validate()?);
    let img = client.get_wxacode_unlimit(&req).await?;
    // Written like every other export: a temporary file in the folder, renamed when complete.
    tapstand_core::files::write_file(&a.out, |f| std::io::Write::write_all(f, &img.bytes))?;
    print_warnings(json, &warnings);
    if json {
        output::json(&serde_json::json!({
            "out": a.out.display().to_string(), "format": img.format, "bytes": img.bytes.len(),
            "width": img.width, "height": img.height, "warnings": warnings,
        }));
    } else {
        println!(
            "已保存小程序码 / Saved the code: {} ({}, {}×{} px, {} bytes)",
            a.out.display(),
            img.format.extension(),
            img.width.unwrap_or(0),
            img.height.unwrap_or(0),
            img.bytes.len()
        );
    }
    Ok(())
}

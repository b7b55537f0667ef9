//! WeChat commands: `wechat check`, `wechat set-secret`, `wechat quota`, `scheme`, `wxacode`.
//!
//! The AppSecret is read from the OS keychain (`wechat set-secret` puts it there, reading stdin, never
//! argv). The base URL is `https://api.weixin.qq.com` unless `TAPSTAND_WECHAT_BASE_URL` is set.
//! Until issue 5 brings profiles, the AppID defaults to the last one given to `wechat set-secret`.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde::Serialize;
use tapstand_core::{AppPaths, UserError};
use tapstand_secrets::{accounts, Keychain, SecretError, SecretStore, SecretString};
use tapstand_store::Db;
use tapstand_wechat::{
    ClientConfig, SchemeRequest, SchemeService, SchemeSource, Warning, WechatClient,
    WxaCodeRequest, BASE_URL_ENV,
};

/// The setting that remembers the AppID of the last `wechat set-secret`.
const APPID_SETTING: &str = "wechat.appid";
/// Support/test knob: how long an in-flight scheme request is presumed alive (seconds).
const LEASE_ENV: &str = "TAPSTAND_SCHEME_LEASE_SECS";

#[derive(Subcommand, Debug)]
pub enum WechatCommand {
    /// Test the connection: get an access token with the AppSecret kept in the OS keychain.
    Check(AppArg),
    /// Store the AppSecret in the OS keychain. It is read from stdin, never from the command line.
    SetSecret(AppArg),
    /// NFC scheme quota use recorded on this computer (lifetime 100,000; 500,000 a day).
    Quota(AppArg),
}

#[derive(Args, Debug)]
pub struct AppArg {
    /// The mini program's AppID (wx…). Default: the one given to the last `wechat set-secret`.
    #[arg(long)]
    pub appid: Option<String>,
}

#[derive(Args, Debug)]
pub struct SchemeArgs {
    #[command(flatten)]
    pub app: AppArg,
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
    pub app: AppArg,
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

fn keychain_error(e: SecretError) -> UserError {
    let name = tapstand_secrets::native_name();
    UserError::new(
        "keychain.unavailable",
        (
            &format!("无法使用系统钥匙串（{name}）。小程序密钥只保存在钥匙串中。"),
            "请确认已登录系统桌面且钥匙串已解锁（Linux 需要 GNOME 钥匙串或 KWallet），然后重试。",
        ),
        (
            &format!("The OS keychain ({name}) cannot be used. The AppSecret is kept only there."),
            "Make sure you are logged in to the desktop and the keychain is unlocked (on Linux: GNOME Keyring or KWallet), then retry.",
        ),
    )
    .with_detail(e)
}

fn no_secret(appid: &str) -> UserError {
    UserError::new(
        "wechat.no_secret",
        (
            &format!("还没有保存 AppID {appid} 的小程序密钥（AppSecret）。"),
            &format!("请先运行 tapstand-cli wechat set-secret --appid {appid}，然后粘贴密钥（在微信公众平台 → 开发管理 → 开发设置 中获取）。"),
        ),
        (
            &format!("No AppSecret is stored for AppID {appid}."),
            &format!("Run tapstand-cli wechat set-secret --appid {appid} and paste the secret (from the WeChat platform → Development → Development settings)."),
        ),
    )
}

fn no_appid() -> UserError {
    UserError::new(
        "wechat.no_appid",
        (
            "没有指定小程序 AppID。",
            "请加上 --appid wx…，或先运行 tapstand-cli wechat set-secret --appid wx… 保存它。",
        ),
        (
            "No AppID was given.",
            "Add --appid wx…, or run tapstand-cli wechat set-secret --appid wx… first.",
        ),
    )
}

async fn open_db(paths: &AppPaths) -> Result<Db, UserError> {
    Ok(Db::open(&paths.db_path).await?)
}

async fn appid_of(arg: &AppArg, db: &Db) -> Result<String, UserError> {
    if let Some(a) = arg
        .appid
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        return Ok(a.to_string());
    }
    db.get_setting(APPID_SETTING).await?.ok_or_else(no_appid)
}

/// The client for the AppID, with the secret from the keychain.
async fn client(arg: &AppArg, db: &Db) -> Result<(WechatClient, Vec<Warning>), UserError> {
    let appid = appid_of(arg, db).await?;
    let keychain = Keychain::native().map_err(keychain_error)?;
    let secret = keychain
        .get(&accounts::app_secret(&appid))
        .map_err(keychain_error)?
        .ok_or_else(|| no_secret(&appid))?;
    let config = ClientConfig::from_env();
    if std::env::var_os(BASE_URL_ENV).is_some() {
        tracing::info!(base_url = %config.base_url, "WeChat base URL overridden");
    }
    Ok(WechatClient::new(config, &appid, &secret)?)
}

fn print_warnings(json: bool, warnings: &[Warning]) {
    if json {
        return;
    }
    for w in warnings {
        eprintln!("提示 / Note: {}\n  {}", w.zh, w.en);
    }
}

pub async fn run(cmd: WechatCommand, paths: &AppPaths, json: bool) -> Result<(), UserError> {
    match cmd {
        WechatCommand::Check(arg) => check(arg, paths, json).await,
        WechatCommand::SetSecret(arg) => set_secret(arg, paths, json).await,
        WechatCommand::Quota(arg) => quota(arg, paths, json).await,
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

async fn check(arg: AppArg, paths: &AppPaths, json: bool) -> Result<(), UserError> {
    let db = open_db(paths).await?;
    let (client, warnings) = client(&arg, &db).await?;
    print_warnings(json, &warnings);
    let t = client.check().await?;
    if json {
        crate::output::json(&CheckOut {
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

async fn set_secret(arg: AppArg, paths: &AppPaths, json: bool) -> Result<(), UserError> {
    let db = open_db(paths).await?;
    let appid = arg
        .appid
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .ok_or_else(no_appid)?;
    let (appid, mut warnings) = tapstand_wechat::validate::appid(appid)?;
    if std::io::stdin().is_terminal() {
        eprintln!("请粘贴小程序密钥（AppSecret）后按回车 / Paste the AppSecret and press Enter:");
    }
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| UserError::internal(format!("reading stdin: {e}")))?;
    // Only the first line counts; the value is registered for redaction at once.
    let raw = SecretString::new(input.lines().next().unwrap_or("").to_string());
    drop(input);
    let (secret, w) = tapstand_wechat::validate::app_secret(raw.expose())?;
    warnings.extend(w);
    let secret = SecretString::new(secret);
    let keychain = Keychain::native().map_err(keychain_error)?;
    keychain
        .set(&accounts::app_secret(&appid), &secret)
        .map_err(keychain_error)?;
    db.set_setting(APPID_SETTING, &appid).await?;
    print_warnings(json, &warnings);
    if json {
        crate::output::json(
            &serde_json::json!({"ok": true, "appid": appid, "backend": keychain.backend(), "warnings": warnings}),
        );
    } else {
        println!("已把 {appid} 的小程序密钥保存到系统钥匙串（{}）。可运行 tapstand-cli wechat check 测试连接。", keychain.backend());
        println!("Saved the AppSecret of {appid} in the OS keychain ({}). Run tapstand-cli wechat check to test the connection.", keychain.backend());
    }
    Ok(())
}

fn service(client: WechatClient, db: Db) -> SchemeService {
    let mut svc = SchemeService::new(Arc::new(client), db);
    if let Some(secs) = std::env::var(LEASE_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        svc = svc.with_lease(Duration::from_secs(secs));
    }
    svc
}

async fn quota(arg: AppArg, paths: &AppPaths, json: bool) -> Result<(), UserError> {
    let db = open_db(paths).await?;
    let (client, _) = client(&arg, &db).await?;
    let q = service(client, db).quota().await?;
    if json {
        crate::output::json(&q);
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

pub async fn scheme(a: SchemeArgs, paths: &AppPaths, json: bool) -> Result<(), UserError> {
    let db = open_db(paths).await?;
    let (client, mut warnings) = client(&a.app, &db).await?;
    let svc = service(client, db);
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
        crate::output::json(&SchemeOut {
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

pub async fn wxacode(a: WxacodeArgs, paths: &AppPaths, json: bool) -> Result<(), UserError> {
    let db = open_db(paths).await?;
    let (client, mut warnings) = client(&a.app, &db).await?;
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
    std::fs::write(&a.out, &img.bytes).map_err(|e| {
        UserError::new(
            "file.write",
            (
                &format!("无法写入文件 {}。", a.out.display()),
                "请确认文件夹存在且可写，文件没有被其他程序占用。",
            ),
            (
                &format!("Cannot write {}.", a.out.display()),
                "Check the folder exists and is writable, and no other program holds the file.",
            ),
        )
        .with_detail(e)
    })?;
    print_warnings(json, &warnings);
    if json {
        crate::output::json(&serde_json::json!({
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

//! In-app updates, the part that needs no window: which key and which servers a build checks, in which order
//! and for how long, and what the merchant reads when anything goes wrong.
//!
//! The updater itself is `tauri-plugin-updater` (it downloads the manifest, checks the minisign signature of
//! the installer against the public key, and installs); `src-tauri/src/update.rs` drives it with an
//! [`UpdateConfig`] from here and words its errors through [`Failure`].
//!
//! The configuration is fixed when the program is built, from environment variables (never from a file the
//! merchant could edit, never in the repository):
//!
//! | variable | what |
//! |---|---|
//! | `TAPSTAND_UPDATE_PUBKEY` | the contents of the `.key.pub` file written by `tauri signer generate` (base64, as `tauri.conf.json`'s `plugins.updater.pubkey` takes it) |
//! | `TAPSTAND_UPDATE_ENDPOINTS` | the `latest.json` URLs, separated by spaces, commas or new lines; a domestic mirror first, GitHub last (GitHub URLs are moved last whatever order they are given in) |
//! | `TAPSTAND_UPDATE_TIMEOUT_SECS` | how long one endpoint may take to answer a check (default 15 s, 1–120) |
//!
//! A build without a key has updates off and says so in 设置: there is no placeholder key anywhere, and the
//! signature check cannot be turned off.

use std::time::Duration;

use base64::Engine as _;
use serde::Serialize;
use tapstand_error::UserError;
use url::Url;

/// How long one endpoint may take to answer a check when the build does not say.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a whole installer download may take (a slow shop line, ~10 MB).
pub const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// What this build was configured with (`option_env!`, read when the crate is compiled).
pub fn build_setup() -> UpdateSetup {
    UpdateSetup::from_values(
        option_env!("TAPSTAND_UPDATE_PUBKEY"),
        option_env!("TAPSTAND_UPDATE_ENDPOINTS"),
        option_env!("TAPSTAND_UPDATE_TIMEOUT_SECS"),
        // Plain http is for the loopback test server only, and only in debug builds.
        !tapstand_error::build::release_rules(),
    )
}

/// Updates on (with their configuration) or off (with the reason 设置 shows).
#[derive(Clone, Debug)]
pub enum UpdateSetup {
    Enabled(UpdateConfig),
    Disabled(UserError),
}

/// A complete, checked update configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateConfig {
    /// The minisign public key, base64 (as the updater plugin takes it).
    pub pubkey: String,
    /// The manifest URLs in the order they are tried: every non-GitHub URL first, GitHub last.
    pub endpoints: Vec<Url>,
    /// Per endpoint, for a check.
    pub timeout: Duration,
}

impl UpdateSetup {
    /// Reads the three settings. `allow_http_loopback` lets `http://127.0.0.1…` / `http://localhost…` through
    /// (tests); every other URL must be https.
    pub fn from_values(
        pubkey: Option<&str>,
        endpoints: Option<&str>,
        timeout_secs: Option<&str>,
        allow_http_loopback: bool,
    ) -> UpdateSetup {
        match UpdateConfig::parse(pubkey, endpoints, timeout_secs, allow_http_loopback) {
            Ok(c) => UpdateSetup::Enabled(c),
            Err(e) => UpdateSetup::Disabled(e),
        }
    }

    pub fn config(&self) -> Option<&UpdateConfig> {
        match self {
            UpdateSetup::Enabled(c) => Some(c),
            UpdateSetup::Disabled(_) => None,
        }
    }

    /// What 设置 shows before any check.
    pub fn status(&self, current_version: &str) -> UpdateStatus {
        match self {
            UpdateSetup::Enabled(c) => UpdateStatus {
                current_version: current_version.into(),
                enabled: true,
                disabled_reason: None,
                sources: c.endpoints.iter().map(source_name).collect(),
                timeout_secs: c.timeout.as_secs() as u32,
            },
            UpdateSetup::Disabled(why) => UpdateStatus {
                current_version: current_version.into(),
                enabled: false,
                disabled_reason: Some(why.clone()),
                sources: Vec::new(),
                timeout_secs: 0,
            },
        }
    }
}

impl UpdateConfig {
    pub fn parse(
        pubkey: Option<&str>,
        endpoints: Option<&str>,
        timeout_secs: Option<&str>,
        allow_http_loopback: bool,
    ) -> Result<UpdateConfig, UserError> {
        let pubkey = pubkey
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(not_configured)?;
        check_pubkey(pubkey)?;
        let endpoints = parse_endpoints(endpoints.unwrap_or(""), allow_http_loopback)?;
        let timeout = match timeout_secs.map(str::trim).filter(|t| !t.is_empty()) {
            None => DEFAULT_TIMEOUT,
            Some(t) => match t.parse::<u64>() {
                Ok(s @ 1..=120) => Duration::from_secs(s),
                _ => {
                    return Err(bad_build_setting(
                        "TAPSTAND_UPDATE_TIMEOUT_SECS",
                        &format!("{t:?} is not a number of seconds from 1 to 120"),
                    ))
                }
            },
        };
        Ok(UpdateConfig {
            pubkey: pubkey.to_string(),
            endpoints,
            timeout,
        })
    }
}

/// The key must be what `tauri signer generate` wrote to `KEY.pub`: base64 of a minisign public key file.
fn check_pubkey(pubkey: &str) -> Result<(), UserError> {
    let text = base64::engine::general_purpose::STANDARD
        .decode(pubkey)
        .map_err(|e| bad_build_setting("TAPSTAND_UPDATE_PUBKEY", &format!("not base64: {e}")))?;
    let text = String::from_utf8(text).map_err(|_| {
        bad_build_setting("TAPSTAND_UPDATE_PUBKEY", "not a minisign public key file")
    })?;
    minisign_verify::PublicKey::decode(&text).map_err(|e| {
        bad_build_setting(
            "TAPSTAND_UPDATE_PUBKEY",
            &format!("not a minisign public key: {e}"),
        )
    })?;
    Ok(())
}

/// Splits on spaces, commas, semicolons and new lines; checks each URL; puts GitHub last (stable order
/// otherwise) and drops repeats.
pub fn parse_endpoints(list: &str, allow_http_loopback: bool) -> Result<Vec<Url>, UserError> {
    let mut urls: Vec<Url> = Vec::new();
    for item in list.split(|c: char| c.is_whitespace() || c == ',' || c == ';') {
        if item.is_empty() {
            continue;
        }
        let url = Url::parse(item).map_err(|e| {
            bad_build_setting(
                "TAPSTAND_UPDATE_ENDPOINTS",
                &format!("{item:?} is not a URL: {e}"),
            )
        })?;
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        match url.scheme() {
            "https" => {}
            "http" if allow_http_loopback && loopback => {}
            _ => {
                return Err(bad_build_setting(
                    "TAPSTAND_UPDATE_ENDPOINTS",
                    &format!("{item:?} is not https (the updater refuses anything else)"),
                ))
            }
        }
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    if urls.is_empty() {
        return Err(bad_build_setting(
            "TAPSTAND_UPDATE_ENDPOINTS",
            "no endpoint given",
        ));
    }
    // Mainland China: GitHub is often slow or unreachable, so it is the last resort.
    urls.sort_by_key(is_github);
    Ok(urls)
}

/// github.com and the hosts it serves release files from.
pub fn is_github(url: &Url) -> bool {
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    ["github.com", "githubusercontent.com", "github.io"]
        .iter()
        .any(|g| host == *g || host.ends_with(&format!(".{g}")))
}

/// The host (and port) of an endpoint, for 设置 and the log: which server answered.
pub fn source_name(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => url.to_string(),
    }
}

/// What 设置 shows about updates before a check.
#[derive(Clone, Debug, Serialize, specta::Type, PartialEq, Eq)]
pub struct UpdateStatus {
    pub current_version: String,
    /// False when the build has no update key (or a broken configuration): `disabled_reason` says which.
    pub enabled: bool,
    pub disabled_reason: Option<UserError>,
    /// The servers asked, in order (host names).
    pub sources: Vec<String>,
    /// Per server, for a check.
    pub timeout_secs: u32,
}

/// A newer version that a server announced (its installer is downloaded and verified on request).
#[derive(Clone, Debug, Serialize, specta::Type, PartialEq, Eq)]
pub struct UpdateInfo {
    pub current_version: String,
    pub version: String,
    /// The release notes from the manifest, as written by whoever released it.
    pub notes: Option<String>,
    /// RFC 3339, when the manifest has it.
    pub date: Option<String>,
    /// The host the installer comes from.
    pub source: String,
}

/// Download progress, sent as the installer arrives.
#[derive(Clone, Debug, Serialize, specta::Type, PartialEq, Eq)]
pub struct UpdateProgress {
    /// Bytes so far (an installer is tens of MB; 32 bits, as the IPC carries no 64-bit integers).
    pub downloaded: u32,
    /// Bytes in all, when the server says.
    pub total: Option<u32>,
    /// True once the whole file is here and its signature was checked.
    pub verified: bool,
}

/// Every way a check, a download or an install can fail, as the merchant needs to tell them apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No server answered (offline, blocked, timed out): the last error.
    Unreachable(String),
    /// A server answered, but not with a usable manifest.
    BadManifest(String),
    /// The manifest has no installer for this system.
    NoPlatform(String),
    /// The installer does not match its signature, or the signature is not from our key.
    BadSignature(String),
    /// The installer download broke off or was refused.
    Download(String),
    /// The installer could not be started or replaced the app.
    Install(String),
    /// Nothing to install: no update was downloaded first.
    NothingPending,
}

impl From<Failure> for UserError {
    fn from(f: Failure) -> UserError {
        match f {
            Failure::Unreachable(d) => UserError::new(
                "update.unreachable",
                (
                    "连不上更新服务器，没有检查到新版本。",
                    "请检查电脑能否上网（或是否有防火墙、代理拦截），稍后再点“检查更新”。不联网也不影响写卡和导出物料。",
                ),
                (
                    "No update server could be reached, so no new version was found.",
                    "Check that this computer is online (and not blocked by a firewall or proxy), then click “Check for updates” again later. Writing tags and exporting artwork work without it.",
                ),
            )
            .with_detail(d),
            Failure::BadManifest(d) => UserError::new(
                "update.bad_manifest",
                (
                    "更新服务器的回答看不懂，没有更新。",
                    "稍后再试；如果一直这样，请把“设置”页中的日志文件夹发给技术支持。",
                ),
                (
                    "The update server's answer could not be read; nothing was updated.",
                    "Try again later; if it keeps happening, send the log folder shown in Settings to support.",
                ),
            )
            .with_detail(d),
            Failure::NoPlatform(d) => UserError::new(
                "update.no_platform",
                (
                    "新版本还没有这个系统的安装包。",
                    "过一段时间再检查，或到官网下载适合本机的安装包。",
                ),
                (
                    "The new version has no installer for this system yet.",
                    "Check again later, or download the installer for this computer from the website.",
                ),
            )
            .with_detail(d),
            Failure::BadSignature(d) => UserError::new(
                "update.bad_signature",
                (
                    "下载的安装包签名校验不通过，已拒绝安装（可能被篡改或下载损坏）。",
                    "当前版本没有任何改动，可以继续使用。请稍后重试；如果一直这样，请从官网重新下载安装包，并告知技术支持。",
                ),
                (
                    "The downloaded installer failed its signature check and was refused (tampered with or damaged).",
                    "Nothing was changed: keep using this version. Try again later; if it keeps happening, download the installer from the website and tell support.",
                ),
            )
            .with_detail(d),
            Failure::Download(d) => UserError::new(
                "update.download_failed",
                (
                    "安装包没有下载完整。",
                    "当前版本没有改动。请检查网络后再点“下载更新”。",
                ),
                (
                    "The installer did not download completely.",
                    "Nothing was changed. Check the network, then click “Download update” again.",
                ),
            )
            .with_detail(d),
            Failure::Install(d) => UserError::new(
                "update.install_failed",
                (
                    "新版本没能安装。",
                    "当前版本还在，可以继续使用。请关闭 Tapstand 后从官网下载安装包手动安装。",
                ),
                (
                    "The new version could not be installed.",
                    "This version is still there and works. Close Tapstand and install the new version from the website by hand.",
                ),
            )
            .with_detail(d),
            Failure::NothingPending => UserError::new(
                "update.nothing_pending",
                ("还没有下载好的新版本。", "请先点“检查更新”，再点“下载更新”。"),
                (
                    "No new version has been downloaded yet.",
                    "Click “Check for updates”, then “Download update” first.",
                ),
            ),
        }
    }
}

fn not_configured() -> UserError {
    UserError::new(
        "update.not_configured",
        (
            "这个版本没有配置更新签名公钥，自动更新已关闭。",
            "请到官网下载新版本的安装包手动更新。（发布者：构建时设置 TAPSTAND_UPDATE_PUBKEY 和 TAPSTAND_UPDATE_ENDPOINTS 即可开启。）",
        ),
        (
            "This build has no update signing key, so updates are off.",
            "Download new versions from the website and install them by hand. (For whoever builds it: set TAPSTAND_UPDATE_PUBKEY and TAPSTAND_UPDATE_ENDPOINTS at build time.)",
        ),
    )
}

fn bad_build_setting(var: &str, what: &str) -> UserError {
    UserError::new(
        "update.bad_config",
        (
            "这个版本的更新设置有误，自动更新已关闭。",
            "请到官网下载新版本的安装包手动更新，并告知技术支持。",
        ),
        (
            "This build's update settings are wrong, so updates are off.",
            "Download new versions from the website and install them by hand, and tell support.",
        ),
    )
    .with_detail(format!("{var}: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    // A public key file written by `tauri signer generate` (its private key was thrown away), base64 as Tauri takes it.
    const PUB_FILE: &str = "untrusted comment: minisign public key: 61488FD621A65B18\nRWQYW6Yh1o9IYYjPmqQhTqoIWmOHqGscJk2HOsmnGICNLJ6ccN1INKwi\n";

    fn key() -> String {
        base64::engine::general_purpose::STANDARD.encode(PUB_FILE)
    }

    #[test]
    fn no_key_means_updates_off_and_says_so() {
        for k in [None, Some(""), Some("  ")] {
            let s = UpdateSetup::from_values(k, Some("https://a.example/latest.json"), None, false);
            let st = s.status("0.1.0");
            assert!(!st.enabled);
            let why = st.disabled_reason.unwrap();
            assert_eq!(why.code, "update.not_configured");
            assert!(why.zh.message.contains("自动更新已关闭"));
            assert!(why.en.remedy.contains("TAPSTAND_UPDATE_PUBKEY"));
        }
    }

    #[test]
    fn a_broken_key_is_refused_with_the_reason() {
        for k in ["not base64!", "aGVsbG8=" /* "hello" */] {
            let e =
                UpdateConfig::parse(Some(k), Some("https://a.example/x"), None, false).unwrap_err();
            assert_eq!(e.code, "update.bad_config");
            assert!(e.detail.unwrap().contains("TAPSTAND_UPDATE_PUBKEY"));
        }
    }

    #[test]
    fn github_goes_last_and_order_is_otherwise_kept() {
        let c = UpdateConfig::parse(
            Some(&key()),
            Some(
                "https://github.com/o/r/releases/latest/download/latest.json, https://cdn.example.cn/tapstand/latest.json\n\
                 https://objects.githubusercontent.com/x/latest.json;https://oss.example.com/latest.json \
                 https://cdn.example.cn/tapstand/latest.json",
            ),
            None,
            false,
        )
        .unwrap();
        let hosts: Vec<_> = c.endpoints.iter().map(source_name).collect();
        assert_eq!(
            hosts,
            [
                "cdn.example.cn",
                "oss.example.com",
                "github.com",
                "objects.githubusercontent.com"
            ]
        );
        assert_eq!(c.timeout, DEFAULT_TIMEOUT);
        assert!(!is_github(&Url::parse("https://notgithub.com/x").unwrap()));
    }

    #[test]
    fn only_https_except_loopback_in_tests() {
        let e = UpdateConfig::parse(
            Some(&key()),
            Some("http://cdn.example.cn/latest.json"),
            None,
            true,
        )
        .unwrap_err();
        assert!(e.detail.unwrap().contains("not https"));
        let e = UpdateConfig::parse(
            Some(&key()),
            Some("http://127.0.0.1:9/latest.json"),
            None,
            false,
        )
        .unwrap_err();
        assert_eq!(e.code, "update.bad_config");
        let c = UpdateConfig::parse(
            Some(&key()),
            Some("http://127.0.0.1:9/latest.json"),
            Some("3"),
            true,
        )
        .unwrap();
        assert_eq!(c.timeout, Duration::from_secs(3));
        assert_eq!(source_name(&c.endpoints[0]), "127.0.0.1:9");
    }

    #[test]
    fn endpoints_and_timeout_must_be_given_right() {
        for (eps, t) in [
            (None, None),
            (Some(" , "), None),
            (Some("cdn.example.cn/latest.json"), None),
        ] {
            let e = UpdateConfig::parse(Some(&key()), eps, t, false).unwrap_err();
            assert_eq!(e.code, "update.bad_config");
            assert!(e.detail.unwrap().contains("TAPSTAND_UPDATE_ENDPOINTS"));
        }
        for t in ["0", "121", "ten"] {
            let e = UpdateConfig::parse(Some(&key()), Some("https://a.example/x"), Some(t), false)
                .unwrap_err();
            assert!(e.detail.unwrap().contains("TAPSTAND_UPDATE_TIMEOUT_SECS"));
        }
    }

    #[test]
    fn every_failure_has_chinese_english_and_a_remedy() {
        let all = [
            Failure::Unreachable("x".into()),
            Failure::BadManifest("x".into()),
            Failure::NoPlatform("x".into()),
            Failure::BadSignature("x".into()),
            Failure::Download("x".into()),
            Failure::Install("x".into()),
            Failure::NothingPending,
        ];
        let mut codes = std::collections::HashSet::new();
        for f in all {
            let e = UserError::from(f);
            assert!(e.code.starts_with("update."));
            assert!(codes.insert(e.code.clone()), "duplicate code {}", e.code);
            for l in [&e.zh, &e.en] {
                assert!(!l.message.is_empty() && !l.remedy.is_empty());
            }
            assert!(e
                .zh
                .message
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
        }
    }
}

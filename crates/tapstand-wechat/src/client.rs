//! The HTTP client: one per mini program (AppID + AppSecret).
//!
//! * Access tokens come only from `POST /cgi-bin/stable_token` with `force_refresh=false` (reference
//!   §1.3): the classic `/cgi-bin/token` would start a 5-minute countdown on the merchant's own server's
//!   token, and a forced refresh would invalidate the server's stable token.
//! * Business calls: on 40001/40014/42001 the cached token is invalidated only if it is the one that
//!   failed, a token is fetched again and the call is retried once. -1, 44990 and 45011 are retried with
//!   a bounded backoff; nothing else is retried.
//! * The AppSecret and every access token are registered for log redaction the moment they are known,
//!   and never appear in `Debug` output or in error details (reqwest errors are stripped of their URL).

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tapstand_secrets::SecretString;

use crate::error::*;
use crate::token::{AccessToken, TokenCache};
use crate::validate::{self, Warning};

/// The real API host.
pub const DEFAULT_BASE_URL: &str = "https://api.weixin.qq.com";
/// Overrides the base URL in every command and in the app (the local fake, a test server): honoured by
/// debug builds (tests, development), and by a release build only with [`DEVELOPER_ENV`]`=1`; always
/// only for `https://` or plain HTTP to this computer (loopback). See [`base_url_override`].
pub const BASE_URL_ENV: &str = "TAPSTAND_WECHAT_BASE_URL";
/// Developer mode of a release build: lets [`BASE_URL_ENV`] point at another API. The app shows a banner
/// while another API is in use, and links from it are never written to a tag by a release build.
pub const DEVELOPER_ENV: &str = "TAPSTAND_DEVELOPER";

/// Whether `base_url` is the real WeChat API.
pub fn is_official_api(base_url: &str) -> bool {
    base_url.trim_end_matches('/') == DEFAULT_BASE_URL
}

/// Whether this build may use another API than the official one: debug builds always, release builds
/// only in developer mode.
pub fn api_override_allowed() -> bool {
    !tapstand_error::build::release_rules()
        || std::env::var(DEVELOPER_ENV).is_ok_and(|v| v.trim() == "1")
}

/// The base URL `TAPSTAND_WECHAT_BASE_URL` asks for, if it may be used: `Ok(None)` when unset,
/// `Err(why)` when this build or the URL does not allow it (the official API is used then).
pub fn base_url_override() -> Result<Option<String>, String> {
    let Some(url) = std::env::var(BASE_URL_ENV)
        .ok()
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
    else {
        return Ok(None);
    };
    if !api_override_allowed() {
        return Err(format!(
            "{BASE_URL_ENV} is ignored by a release build unless {DEVELOPER_ENV}=1"
        ));
    }
    check_override_url(&url)?;
    Ok(Some(url))
}

/// An override must be HTTPS, or plain HTTP to this computer: the AppSecret never crosses a network in
/// the clear.
pub fn check_override_url(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{BASE_URL_ENV}: {e}"))?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_url(url) => Ok(()),
        other => Err(format!(
            "{BASE_URL_ENV}: {other}:// to {} is refused: use https://, or http:// to 127.0.0.1 / localhost",
            parsed.host_str().unwrap_or("?")
        )),
    }
}

/// Unix milliseconds "now". Tests share the fake's clock with the client.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    })
}

/// Bounded exponential backoff for -1, 44990 and 45011.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts in all, including the first (3: waits of 1 s and 2 s).
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    fn delay(&self, retry: u32) -> Duration {
        self.base_delay
            .saturating_mul(1 << retry.min(16))
            .min(self.max_delay)
    }
}

#[derive(Clone)]
pub struct ClientConfig {
    pub base_url: String,
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Whole request, answer included.
    pub timeout: Duration,
    pub retry: RetryPolicy,
    pub clock: Clock,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            base_url: DEFAULT_BASE_URL.into(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            clock: system_clock(),
        }
    }
}

impl ClientConfig {
    /// The defaults, with the base URL from `TAPSTAND_WECHAT_BASE_URL` when this build allows it (see
    /// [`base_url_override`]; a refused override is logged and the official API is used).
    pub fn from_env() -> ClientConfig {
        let mut c = ClientConfig::default();
        match base_url_override() {
            Ok(Some(url)) => c.base_url = url,
            Ok(None) => {}
            Err(why) => tracing::warn!("{why}; using {DEFAULT_BASE_URL}"),
        }
        c
    }

    pub fn with_base_url(mut self, url: impl Into<String>) -> ClientConfig {
        self.base_url = url.into();
        self
    }
}

/// A request for `generatenfcscheme`. Empty path and query are omitted, not sent as `""` (reference
/// §2.1: empty strings were blamed for a 9800010 without a URL).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NfcSchemeRequest {
    pub model_id: String,
    /// Required for 一机一码, absent for 一型一码.
    pub sn: Option<String>,
    pub path: Option<String>,
    pub query: Option<String>,
    /// `release` when absent.
    pub env_version: Option<String>,
}

impl NfcSchemeRequest {
    fn non_empty(v: &Option<String>) -> Option<&str> {
        v.as_deref().filter(|s| !s.is_empty())
    }

    /// Local validation (reference §5): errors stop the call, warnings are returned.
    pub fn validate(&self) -> Result<Vec<Warning>, validate::ValidationError> {
        let mut w = validate::model_id(&self.model_id)?;
        if let Some(sn) = &self.sn {
            validate::sn(sn)?;
        }
        if let Some(p) = Self::non_empty(&self.path) {
            validate::nfc_path(p)?;
        }
        if let Some(q) = Self::non_empty(&self.query) {
            validate::nfc_query(q)?;
        }
        let env = self.env_version.as_deref().unwrap_or("release");
        validate::env_version(env)?;
        if self.sn.is_some() {
            w.extend(validate::non_release_warning(env));
        }
        Ok(w)
    }

    fn body(&self) -> Value {
        let mut jump = serde_json::Map::new();
        if let Some(p) = Self::non_empty(&self.path) {
            jump.insert("path".into(), p.into());
        }
        if let Some(q) = Self::non_empty(&self.query) {
            jump.insert("query".into(), q.into());
        }
        jump.insert(
            "env_version".into(),
            self.env_version.as_deref().unwrap_or("release").into(),
        );
        let mut body = serde_json::json!({ "jump_wxa": jump, "model_id": self.model_id });
        if let Some(sn) = Self::non_empty(&self.sn) {
            body["sn"] = sn.into();
        }
        body
    }
}

/// A request for `getwxacodeunlimit` (小程序码 B).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WxaCodeRequest {
    pub scene: String,
    /// Home page when absent.
    pub page: Option<String>,
    /// true (default): the page must exist in the published version.
    pub check_path: bool,
    pub env_version: String,
    /// 280–1280 px; 1280 by default (print).
    pub width: u32,
    pub auto_color: bool,
    pub line_color: Option<(u8, u8, u8)>,
    /// Transparent background (WeChat then sends a PNG, still labelled image/jpeg).
    pub is_hyaline: bool,
}

impl Default for WxaCodeRequest {
    fn default() -> Self {
        WxaCodeRequest {
            scene: String::new(),
            page: None,
            check_path: true,
            env_version: "release".into(),
            width: 1280,
            auto_color: false,
            line_color: None,
            is_hyaline: false,
        }
    }
}

impl WxaCodeRequest {
    pub fn new(scene: impl Into<String>, page: Option<String>) -> WxaCodeRequest {
        WxaCodeRequest {
            scene: scene.into(),
            page,
            ..Default::default()
        }
    }

    pub fn validate(&self) -> Result<Vec<Warning>, validate::ValidationError> {
        let w = validate::scene(&self.scene)?;
        if let Some(p) = self.page.as_deref().filter(|p| !p.is_empty()) {
            validate::page(p)?;
        }
        validate::env_version(&self.env_version)?;
        validate::width(self.width)?;
        Ok(w)
    }

    fn body(&self) -> Value {
        let mut b = serde_json::json!({
            "scene": self.scene,
            "check_path": self.check_path,
            "env_version": self.env_version,
            "width": self.width,
            "auto_color": self.auto_color,
            "is_hyaline": self.is_hyaline,
        });
        if let Some(p) = self.page.as_deref().filter(|p| !p.is_empty()) {
            b["page"] = p.into();
        }
        if let Some((r, g, bl)) = self.line_color {
            b["line_color"] = serde_json::json!({"r": r, "g": g, "b": bl});
        }
        b
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    Jpeg,
    Png,
}

impl ImageFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "jpg",
            ImageFormat::Png => "png",
        }
    }
}

/// A 小程序码 image, told apart from an error by its bytes (never by Content-Type alone).
#[derive(Clone, PartialEq, Eq)]
pub struct WxaCodeImage {
    pub format: ImageFormat,
    pub bytes: Vec<u8>,
    /// Pixel size read from the image header, when it could be read.
    pub width: Option<u32>,
    pub height: Option<u32>,
}

impl std::fmt::Debug for WxaCodeImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WxaCodeImage")
            .field("format", &self.format)
            .field("len", &self.bytes.len())
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

/// What `queryscheme` says about a scheme.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, specta::Type)]
pub struct SchemeInfo {
    #[serde(default)]
    pub appid: String,
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub query: String,
    #[serde(default)]
    pub create_time: i64,
    /// 0: permanent.
    #[serde(default)]
    pub expire_time: i64,
    #[serde(default)]
    pub env_version: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct SchemeQuery {
    pub scheme_info: SchemeInfo,
    pub remain_visit_quota: Option<i64>,
}

/// What "test connection" reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct TokenCheck {
    pub appid: String,
    /// Seconds the current token is still valid.
    pub expires_in: u32,
}

/// The WeChat client for one mini program.
pub struct WechatClient {
    http: reqwest::Client,
    config: ClientConfig,
    appid: String,
    secret: SecretString,
    tokens: TokenCache,
}

impl std::fmt::Debug for WechatClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatClient")
            .field("appid", &self.appid)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Installs the ring crypto provider for rustls once per process (no-op when one is installed).
fn ensure_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
    });
}

fn is_loopback_url(url: &str) -> bool {
    match reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl WechatClient {
    /// A client for `appid`. Trims both values (stray whitespace is a common cause of 40125) and returns
    /// the format warnings of reference §5. The secret is registered for log redaction.
    pub fn new(
        config: ClientConfig,
        appid: &str,
        secret: &SecretString,
    ) -> Result<(WechatClient, Vec<Warning>), WechatError> {
        let (appid, mut warnings) = validate::appid(appid)?;
        let (secret, w2) = validate::app_secret(secret.expose())?;
        warnings.extend(w2);
        let secret = SecretString::new(secret);
        ensure_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(concat!("Tapstand/", env!("CARGO_PKG_VERSION")));
        // Proxies come from the environment (HTTP(S)_PROXY, ALL_PROXY, NO_PROXY) and the OS settings;
        // a loopback base URL (the local fake) never goes through a proxy.
        if is_loopback_url(&config.base_url) {
            builder = builder.no_proxy();
        }
        let http = builder.build().map_err(|e| WechatError::Transport {
            endpoint: Endpoint::StableToken,
            kind: TransportKind::Setup,
            detail: e.without_url().to_string(),
        })?;
        let tokens = TokenCache::new(config.clock.clone());
        Ok((
            WechatClient {
                http,
                config,
                appid,
                secret,
                tokens,
            },
            warnings,
        ))
    }

    pub fn appid(&self) -> &str {
        &self.appid
    }

    pub fn base_url(&self) -> &str {
        &self.config.base_url
    }

    pub fn now_ms(&self) -> i64 {
        (self.config.clock)()
    }

    fn url(&self, endpoint: Endpoint) -> String {
        format!(
            "{}{}",
            self.config.base_url.trim_end_matches('/'),
            endpoint.path()
        )
    }

    /// "Test connection": asks stable_token (normal mode) now, bypassing the cache, and caches the answer.
    pub async fn check(&self) -> Result<TokenCheck, WechatError> {
        let (token, expires_in) = self.fetch_token_with_backoff().await?;
        self.tokens.store(token, expires_in);
        Ok(TokenCheck {
            appid: self.appid.clone(),
            expires_in: expires_in.clamp(0, u32::MAX as i64) as u32,
        })
    }

    /// The current access token (cached; single-flight refresh ≥ 300 s before expiry).
    pub async fn access_token(&self) -> Result<AccessToken, WechatError> {
        self.tokens
            .get(|| async { self.fetch_token_with_backoff().await })
            .await
    }

    async fn fetch_token_with_backoff(&self) -> Result<(AccessToken, i64), WechatError> {
        let mut retry = 0;
        loop {
            match self.fetch_token_once().await {
                Err(WechatError::Api(e))
                    if e.is_backoff_retryable() && retry + 1 < self.config.retry.max_attempts =>
                {
                    let d = self.config.retry.delay(retry);
                    tracing::warn!(endpoint = %e.endpoint, errcode = e.errcode, delay_ms = d.as_millis() as u64, "WeChat busy; retrying");
                    tokio::time::sleep(d).await;
                    retry += 1;
                }
                other => return other,
            }
        }
    }

    async fn fetch_token_once(&self) -> Result<(AccessToken, i64), WechatError> {
        let endpoint = Endpoint::StableToken;
        // force_refresh is always false: see the module documentation.
        let body = serde_json::json!({
            "grant_type": "client_credential",
            "appid": self.appid,
            "secret": self.secret.expose(),
            "force_refresh": false,
        });
        let (bytes, _ct) = self.send(endpoint, self.url(endpoint), &body).await?;
        let v = parse_json(endpoint, &bytes)?;
        check_errcode(endpoint, &v)?;
        let token = v
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| WechatError::Protocol {
                endpoint,
                detail: "no access_token in the answer".into(),
            })?;
        let token = AccessToken::new(token);
        let expires_in = v.get("expires_in").and_then(Value::as_i64).unwrap_or(0);
        tracing::info!(appid = %self.appid, expires_in, "access token obtained (stable_token, normal mode)");
        Ok((token, expires_in))
    }

    /// Sends one POST; returns the body and the Content-Type. Logs the endpoint, never the URL (it may
    /// carry the token) nor the body (it may carry the secret).
    async fn send(
        &self,
        endpoint: Endpoint,
        url: String,
        body: &Value,
    ) -> Result<(Vec<u8>, Option<String>), WechatError> {
        let started = std::time::Instant::now();
        let resp = self
            .http
            .post(url)
            .json(body)
            .send()
            .await
            .map_err(|e| transport(endpoint, e))?;
        let status = resp.status();
        let ct = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = resp.bytes().await.map_err(|e| transport(endpoint, e))?;
        tracing::debug!(%endpoint, status = status.as_u16(), len = bytes.len(), ms = started.elapsed().as_millis() as u64, "WeChat answered");
        if !status.is_success() {
            return Err(WechatError::HttpStatus {
                endpoint,
                status: status.as_u16(),
            });
        }
        Ok((bytes.to_vec(), ct))
    }

    /// A business call with the token rules: one retry after a refused token (compare-and-invalidate),
    /// bounded backoff for -1/44990/45011. Returns the raw answer (JSON or image bytes).
    async fn call(
        &self,
        endpoint: Endpoint,
        body: &Value,
    ) -> Result<(Vec<u8>, Option<String>), WechatError> {
        let mut token_retried = false;
        let mut retry = 0;
        loop {
            let token = self.access_token().await?;
            let url = format!("{}?access_token={}", self.url(endpoint), token.expose());
            let (bytes, ct) = self.send(endpoint, url, body).await?;
            let err = match error_in_body(endpoint, &bytes) {
                None => return Ok((bytes, ct)),
                Some(e) => e,
            };
            match err {
                WechatError::Api(e) if e.is_token_rejected() && !token_retried => {
                    tracing::warn!(%endpoint, errcode = e.errcode, "access token refused; fetching it again and retrying once");
                    self.tokens.invalidate_if(&token);
                    token_retried = true;
                }
                WechatError::Api(e)
                    if e.is_backoff_retryable() && retry + 1 < self.config.retry.max_attempts =>
                {
                    let d = self.config.retry.delay(retry);
                    tracing::warn!(%endpoint, errcode = e.errcode, delay_ms = d.as_millis() as u64, "WeChat busy; retrying");
                    tokio::time::sleep(d).await;
                    retry += 1;
                }
                other => return Err(other),
            }
        }
    }

    /// `generatenfcscheme`: validates locally, then asks WeChat. Returns the openlink.
    ///
    /// Not idempotent: WeChat issues one scheme per model_id(+sn) ever. Use [`crate::SchemeService`],
    /// which records the request first and stores the openlink with the answer.
    pub async fn generate_nfc_scheme(&self, req: &NfcSchemeRequest) -> Result<String, WechatError> {
        req.validate()?;
        let endpoint = Endpoint::GenerateNfcScheme;
        let (bytes, _) = self.call(endpoint, &req.body()).await?;
        let v = parse_json(endpoint, &bytes)?;
        let openlink = v.get("openlink").and_then(Value::as_str).unwrap_or("");
        if !is_openlink(openlink) {
            return Err(WechatError::Protocol {
                endpoint,
                detail: format!("not an openlink: {openlink:?}"),
            });
        }
        tracing::info!(model_id = %req.model_id, sn = req.sn.as_deref().unwrap_or(""), openlink, "NFC scheme generated");
        Ok(openlink.to_string())
    }

    /// `queryscheme` (query_type 0): what an existing scheme opens.
    pub async fn query_scheme(&self, scheme: &str) -> Result<SchemeQuery, WechatError> {
        let endpoint = Endpoint::QueryScheme;
        let (bytes, _) = self
            .call(
                endpoint,
                &serde_json::json!({"scheme": scheme, "query_type": 0}),
            )
            .await?;
        let v = parse_json(endpoint, &bytes)?;
        let info = v
            .get("scheme_info")
            .cloned()
            .ok_or_else(|| WechatError::Protocol {
                endpoint,
                detail: "no scheme_info in the answer".into(),
            })?;
        let scheme_info: SchemeInfo =
            serde_json::from_value(info).map_err(|e| WechatError::Protocol {
                endpoint,
                detail: e.to_string(),
            })?;
        let remain_visit_quota = v
            .pointer("/quota_info/remain_visit_quota")
            .and_then(Value::as_i64);
        Ok(SchemeQuery {
            scheme_info,
            remain_visit_quota,
        })
    }

    /// `getwxacodeunlimit`: the 小程序码 image (JPEG, or PNG when `is_hyaline`).
    pub async fn get_wxacode_unlimit(
        &self,
        req: &WxaCodeRequest,
    ) -> Result<WxaCodeImage, WechatError> {
        req.validate()?;
        let endpoint = Endpoint::GetWxaCodeUnlimit;
        let (bytes, ct) = self.call(endpoint, &req.body()).await?;
        let format = sniff_image(&bytes).ok_or_else(|| WechatError::Protocol {
            endpoint,
            detail: format!(
                "neither an image nor an error ({} bytes, Content-Type {})",
                bytes.len(),
                ct.as_deref().unwrap_or("none")
            ),
        })?;
        // Pixel size from the PNG IHDR or the JPEG frame header, when it can be read.
        let (width, height) = tapstand_image::header(&bytes)
            .ok()
            .map(|h| (h.width, h.height))
            .unzip();
        Ok(WxaCodeImage {
            format,
            bytes,
            width,
            height,
        })
    }

    /// For tests and support: drop the cached token.
    pub fn forget_token(&self) {
        self.tokens.clear();
    }
}

fn transport(endpoint: Endpoint, e: reqwest::Error) -> WechatError {
    let kind = if e.is_connect() {
        TransportKind::Connect
    } else if e.is_timeout() {
        TransportKind::Timeout
    } else if e.is_builder() {
        TransportKind::Setup
    } else {
        TransportKind::Interrupted
    };
    // The URL may carry the access token: drop it, keep the cause chain ("connection refused", …).
    let e = e.without_url();
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    let detail = tapstand_secrets::redact::redact(&detail).into_owned();
    WechatError::Transport {
        endpoint,
        kind,
        detail,
    }
}

fn parse_json(endpoint: Endpoint, bytes: &[u8]) -> Result<Value, WechatError> {
    serde_json::from_slice::<Value>(bytes).map_err(|_| WechatError::Protocol {
        endpoint,
        detail: format!("not JSON ({} bytes)", bytes.len()),
    })
}

/// errcode ≠ 0 → the typed error. A missing errcode means 0 (token answers have none).
fn check_errcode(endpoint: Endpoint, v: &Value) -> Result<(), WechatError> {
    let errcode = v.get("errcode").and_then(Value::as_i64).unwrap_or(0);
    if errcode == 0 {
        return Ok(());
    }
    let errmsg = v.get("errmsg").and_then(Value::as_str).unwrap_or("");
    Err(WechatError::Api(ApiError::new(endpoint, errcode, errmsg)))
}

/// The error carried by an answer body, if it is one: JSON whose first non-whitespace byte is `{` and
/// that has a non-zero errcode. Image bytes never parse as such (reference §3, robust detection).
fn error_in_body(endpoint: Endpoint, bytes: &[u8]) -> Option<WechatError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' {
        return None;
    }
    let v: Value = serde_json::from_slice(bytes).ok()?;
    check_errcode(endpoint, &v).err()
}

/// JPEG `FF D8 FF`, PNG `89 50 4E 47 0D 0A 1A 0A`.
pub fn sniff_image(bytes: &[u8]) -> Option<ImageFormat> {
    match tapstand_image::format(bytes).ok()? {
        tapstand_image::Format::Jpeg => Some(ImageFormat::Jpeg),
        tapstand_image::Format::Png => Some(ImageFormat::Png),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_detection() {
        assert!(is_loopback_url("http://127.0.0.1:8080"));
        assert!(is_loopback_url("http://127.5.6.7:8080"));
        assert!(is_loopback_url("http://localhost/x"));
        assert!(is_loopback_url("http://[::1]:9/"));
        assert!(!is_loopback_url("https://api.weixin.qq.com"));
        assert!(!is_loopback_url("http://127.0.0.1.evil.example/"));
        assert!(!is_loopback_url("http://localhost.evil.example/"));
        assert!(!is_loopback_url("http://10.0.0.1/"));
    }

    #[test]
    fn overrides_are_https_or_loopback_only() {
        assert!(check_override_url("https://wechat-proxy.example.com").is_ok());
        assert!(check_override_url("http://127.0.0.1:8787").is_ok());
        assert!(check_override_url("http://localhost:8787").is_ok());
        let e = check_override_url("http://wechat-proxy.example.com").unwrap_err();
        assert!(e.contains("refused"), "{e}");
        assert!(check_override_url("ftp://127.0.0.1").is_err());
        assert!(check_override_url("not a url").is_err());
        assert!(is_official_api("https://api.weixin.qq.com/"));
        assert!(!is_official_api("http://127.0.0.1:8787"));
        // Tests are debug builds: overrides allowed.
        assert!(api_override_allowed());
    }

    #[test]
    fn error_detection_by_body_not_content_type() {
        assert!(error_in_body(
            Endpoint::GetWxaCodeUnlimit,
            b" {\"errcode\":41030,\"errmsg\":\"invalid page\"}"
        )
        .is_some());
        assert!(error_in_body(Endpoint::GetWxaCodeUnlimit, b"\xFF\xD8\xFF\xE0").is_none());
        assert!(error_in_body(Endpoint::GetWxaCodeUnlimit, b"{\"errcode\":0}").is_none());
        assert_eq!(
            sniff_image(b"\x89PNG\r\n\x1a\nrest"),
            Some(ImageFormat::Png)
        );
        assert_eq!(sniff_image(b"<html>"), None);
    }

    #[test]
    fn images_are_sniffed_by_their_signature() {
        assert_eq!(
            sniff_image(b"\xFF\xD8\xFF\xE0rest"),
            Some(ImageFormat::Jpeg)
        );
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n"), Some(ImageFormat::Png));
        assert_eq!(sniff_image(b"GIF89a"), None);
        assert_eq!(sniff_image(b"{\"errcode\":40001}"), None);
        assert_eq!(sniff_image(b""), None);
    }

    #[test]
    fn nfc_body_omits_empty_path_and_query() {
        let r = NfcSchemeRequest {
            model_id: "m".into(),
            sn: Some("s1".into()),
            path: Some(String::new()),
            query: None,
            env_version: None,
        };
        let b = r.body();
        assert_eq!(b["jump_wxa"], serde_json::json!({"env_version": "release"}));
        assert_eq!(b["sn"], "s1");
    }

    #[test]
    fn backoff_is_bounded() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(0), Duration::from_secs(1));
        assert_eq!(p.delay(1), Duration::from_secs(2));
        assert_eq!(p.delay(10), Duration::from_secs(8));
    }
}

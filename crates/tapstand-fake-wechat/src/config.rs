//! What the fake knows about the world: mini programs, device models, limits, and the control commands
//! that change it at run time (in-process or through `POST /__fake/control`).

use serde::{Deserialize, Serialize};

/// A demo mini program for the binary and for quick tests. Formats follow reference §5.
pub const DEMO_APPID: &str = "wx5a1b2c3d4e5f6071";
/// The demo AppSecret (32 lowercase hex). A fake value: it opens nothing but this fake.
pub const DEMO_SECRET: &str = "9c1e4b7a2d5f80364a1b2c3d4e5f6a7b";
/// A demo device model in 一机一码 (per-device) mode.
pub const DEMO_MODEL_ID: &str = "5utC432sD0LvHu6ial0u_g";
/// A demo device model in 一型一码 (per-model) mode.
pub const DEMO_MODEL_ID_PER_MODEL: &str = "xo_Ao7bO0L5Glb9U0XKqLw";

/// One mini program (reference §7 "apps").
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct AppConfig {
    pub appid: String,
    pub secret: String,
    /// AppSecret frozen (40243).
    pub frozen: bool,
    /// API IP whitelist switched on: only `whitelist` entries may call the AppSecret endpoints (40164).
    pub whitelist_enabled: bool,
    /// Entries like `203.0.113.7`, `203.0.113.*`, `203.0.113.0/24`.
    pub whitelist: Vec<String>,
    /// Has an online (published) release (85079 / 41030 otherwise).
    pub published: bool,
    /// Pages of the published version, without a leading `/`, e.g. `pages/index/index`.
    pub pages: Vec<String>,
    /// A personal-entity mini program: no NFC generation permission (40002).
    pub personal: bool,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            appid: String::new(),
            secret: String::new(),
            frozen: false,
            whitelist_enabled: false,
            whitelist: Vec::new(),
            published: true,
            pages: vec!["pages/index/index".into()],
            personal: false,
        }
    }
}

/// The NFC link type of a device model (reference §6, §7).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NfcMode {
    /// 一机一码: sn required, one scheme per (model_id, sn).
    PerDevice,
    /// 一型一码: sn must be empty, one scheme per model_id.
    PerModel,
    /// No generation permission (40002).
    None,
    /// Generation permission banned (40013).
    Banned,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ModelConfig {
    pub model_id: String,
    /// The mini program the device model was registered under.
    pub appid: String,
    pub mode: NfcMode,
    /// The 「NFC 标签调起小程序」 capability was granted (9800007 otherwise).
    #[serde(default = "yes")]
    pub capability: bool,
}

fn yes() -> bool {
    true
}

/// Quotas (reference §1.2, §2, §3). Tests lower them to reach the limits quickly.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Limits {
    pub nfc_per_second: u64,
    pub nfc_daily: u64,
    pub nfc_lifetime: u64,
    pub stable_per_minute: u64,
    pub stable_daily: u64,
    pub classic_daily: u64,
    pub force_refresh_daily: u64,
    pub wxacode_per_minute: u64,
    /// Lifetime of a newly minted access token, seconds.
    pub token_lifetime_secs: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            nfc_per_second: 100,
            nfc_daily: 500_000,
            nfc_lifetime: 100_000,
            stable_per_minute: 10_000,
            stable_daily: 500_000,
            classic_daily: 2000,
            force_refresh_daily: 20,
            wxacode_per_minute: 5000,
            token_lifetime_secs: 7200,
        }
    }
}

/// What a 9800010 errmsg carries (reference §2.1: the URL "may be empty").
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ExistingSchemeEcho {
    /// `schema已存在 schema: weixin://dl/business/?t=… rid: …`
    #[default]
    Full,
    /// `schema已存在  schema:  rid: …`
    Empty,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct FakeConfig {
    pub apps: Vec<AppConfig>,
    pub models: Vec<ModelConfig>,
    /// The caller IP the fake "sees" (reported in 40164).
    pub client_ip: String,
    pub limits: Limits,
    pub existing_scheme_echo: ExistingSchemeEcho,
    /// Content-Type of getwxacodeunlimit error bodies (`text/plain` reproduces the 2016–17 quirk).
    pub wxacode_error_content_type: String,
}

pub const JSON_CONTENT_TYPE: &str = "application/json; encoding=utf-8";

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            apps: Vec::new(),
            models: Vec::new(),
            client_ip: "203.0.113.7".into(),
            limits: Limits::default(),
            existing_scheme_echo: ExistingSchemeEcho::Full,
            wxacode_error_content_type: JSON_CONTENT_TYPE.into(),
        }
    }
}

impl FakeConfig {
    /// One published demo mini program with a per-device and a per-model device model.
    pub fn demo() -> FakeConfig {
        FakeConfig {
            apps: vec![AppConfig {
                appid: DEMO_APPID.into(),
                secret: DEMO_SECRET.into(),
                pages: vec!["pages/index/index".into(), "pages/member/card".into()],
                ..AppConfig::default()
            }],
            models: vec![
                ModelConfig {
                    model_id: DEMO_MODEL_ID.into(),
                    appid: DEMO_APPID.into(),
                    mode: NfcMode::PerDevice,
                    capability: true,
                },
                ModelConfig {
                    model_id: DEMO_MODEL_ID_PER_MODEL.into(),
                    appid: DEMO_APPID.into(),
                    mode: NfcMode::PerModel,
                    capability: true,
                },
            ],
            ..FakeConfig::default()
        }
    }
}

/// The endpoints the fake serves.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `POST /cgi-bin/stable_token`
    StableToken,
    /// `GET /cgi-bin/token`
    Token,
    /// `POST /wxa/generatenfcscheme`
    GenerateNfcScheme,
    /// `POST /wxa/queryscheme`
    QueryScheme,
    /// `POST /wxa/getwxacodeunlimit`
    GetWxaCodeUnlimit,
}

impl Endpoint {
    pub fn from_path(path: &str) -> Option<Endpoint> {
        Some(match path {
            "/cgi-bin/stable_token" => Endpoint::StableToken,
            "/cgi-bin/token" => Endpoint::Token,
            "/wxa/generatenfcscheme" => Endpoint::GenerateNfcScheme,
            "/wxa/queryscheme" => Endpoint::QueryScheme,
            "/wxa/getwxacodeunlimit" => Endpoint::GetWxaCodeUnlimit,
            _ => return None,
        })
    }
}

/// What an injected failure does to a matching call.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Answer `{"errcode":N,"errmsg":…}` without doing anything (default errmsg per endpoint).
    Error {
        errcode: i64,
        #[serde(default)]
        errmsg: Option<String>,
    },
    /// Close the connection before the call is processed (nothing happens on the "server").
    DropBefore,
    /// Process the call (a scheme is generated, a token minted), then close the connection without
    /// answering: the client cannot know the outcome.
    DropAfter,
    /// Process the call, then wait this long before answering.
    Delay { ms: u64 },
}

/// A control command (`POST /__fake/control`, JSON with an `op` field).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Control {
    /// Add or replace a mini program.
    UpsertApp(AppConfig),
    /// Add or replace a device model.
    UpsertModel(ModelConfig),
    SetClientIp {
        ip: String,
    },
    SetLimits(Limits),
    SetExistingSchemeEcho {
        echo: ExistingSchemeEcho,
    },
    SetWxacodeErrorContentType {
        content_type: String,
    },
    /// The next `count` calls to `endpoint` (any endpoint when absent) get `action`.
    Inject {
        #[serde(default)]
        endpoint: Option<Endpoint>,
        #[serde(default = "one")]
        count: u32,
        action: Action,
    },
    ClearInjections,
    /// Moves the fake's clock (tokens expire, day counters roll over).
    AdvanceClock {
        secs: i64,
    },
    /// Sets the fake's clock to this unix time (milliseconds).
    SetClock {
        unix_ms: i64,
    },
    /// Creates a scheme as if another tool had generated it (for "sn used elsewhere").
    SeedScheme {
        model_id: String,
        #[serde(default)]
        sn: Option<String>,
        #[serde(default)]
        path: String,
        #[serde(default)]
        query: String,
        #[serde(default = "release")]
        env_version: String,
    },
    ClearLog,
    /// Forgets everything (tokens, schemes, counters, log) and starts again with this configuration.
    Reset(FakeConfig),
}

fn one() -> u32 {
    1
}

fn release() -> String {
    "release".into()
}

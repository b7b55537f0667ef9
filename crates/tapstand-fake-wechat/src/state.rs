//! The fake's behaviour: pure logic over one state value, no I/O (the HTTP layer is in `server.rs`).
//! Validation orders and quirks follow reference §7; where WeChat is undocumented the choice is marked
//! [FAKE] there and here.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::config::*;
use crate::image;

/// One call as the fake saw it. Never holds an AppSecret or an access token.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LogEntry {
    pub seq: u64,
    /// The fake's clock, unix milliseconds.
    pub at_ms: i64,
    pub endpoint: Endpoint,
    pub method: String,
    /// The app the call was for (from the body, or from the access token).
    pub appid: Option<String>,
    pub model_id: Option<String>,
    pub sn: Option<String>,
    pub force_refresh: Option<bool>,
    /// `None` when the connection was dropped before processing.
    pub errcode: Option<i64>,
    pub errmsg: Option<String>,
    /// A scheme minted by this call.
    pub openlink: Option<String>,
    /// A new access token was minted by this call.
    pub token_minted: bool,
    /// The answer was an injected failure.
    pub injected: bool,
    /// The connection was closed without an answer.
    pub dropped: bool,
}

/// A scheme the fake has issued.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SchemeRecord {
    pub openlink: String,
    pub appid: String,
    pub model_id: String,
    pub sn: Option<String>,
    pub path: String,
    pub query: String,
    pub env_version: String,
    /// Unix seconds.
    pub create_time: i64,
    pub expire_time: i64,
    /// Issue order.
    #[serde(skip)]
    pub(crate) order: u64,
}

/// The answer to a business call.
pub enum Reply {
    Json(Value),
    /// An image: always sent as `Content-Type: image/jpeg` (even PNG bodies), reference §3.
    Image(Vec<u8>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TokenKind {
    Stable,
    Classic,
}

#[derive(Clone, Debug)]
struct TokenRec {
    appid: String,
    #[allow(dead_code)]
    kind: TokenKind,
    expires_at_ms: i64,
    /// Replaced (classic re-issue, forced refresh): answers 40001 from this time on.
    invalid_after_ms: Option<i64>,
}

#[derive(Clone, Debug, Default)]
struct Counter {
    window: i64,
    count: u64,
}

impl Counter {
    fn peek(&self, window: i64) -> u64 {
        if self.window == window {
            self.count
        } else {
            0
        }
    }
    fn hit(&mut self, window: i64) -> u64 {
        if self.window != window {
            self.window = window;
            self.count = 0;
        }
        self.count += 1;
        self.count
    }
}

#[derive(Clone, Debug, Default)]
struct AppRuntime {
    current_stable: Option<String>,
    current_classic: Option<String>,
    last_force_ms: Option<i64>,
    force_day: Counter,
    classic_day: Counter,
    stable_day: Counter,
    stable_minute: Counter,
    nfc_second: Counter,
    nfc_day: Counter,
    nfc_lifetime: u64,
    wxacode_minute: Counter,
}

#[derive(Clone, Debug)]
pub(crate) struct Injection {
    endpoint: Option<Endpoint>,
    remaining: u32,
    action: Action,
}

/// Everything the fake remembers.
pub struct FakeState {
    pub(crate) config: FakeConfig,
    clock_offset_ms: i64,
    tokens: HashMap<String, TokenRec>,
    apps_rt: HashMap<String, AppRuntime>,
    schemes: HashMap<(String, Option<String>), SchemeRecord>,
    /// Every scheme ever minted, in order, never deduplicated: what WeChat *issued*. A test that counts
    /// schemes per sn from here would see a second issue for one sn (the map above cannot hold one).
    issued: Vec<SchemeRecord>,
    by_openlink: HashMap<String, (String, Option<String>)>,
    injections: Vec<Injection>,
    log: Vec<LogEntry>,
    rng: u64,
    seq: u64,
}

const DAY_MS: i64 = 86_400_000;
/// WeChat's day starts at midnight China time (UTC+8).
const CHINA_OFFSET_MS: i64 = 8 * 3_600_000;
const OVERLAP_MS: i64 = 300_000;
const FORCE_MIN_GAP_MS: i64 = 30_000;
const VISIT_QUOTA: i64 = 6_000_000;

fn real_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Characters allowed in an NFC query (reference §2 table) and, without `%`, in a scene (§3).
fn query_char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$&'()*+,/:;=?@-._~%".contains(c)
}

fn scene_char_ok(c: char) -> bool {
    c != '%' && query_char_ok(c)
}

fn sn_char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Default errmsg text per endpoint and errcode (reference §1, §2, §3; English where WeChat answers in
/// English).
pub fn default_errmsg(endpoint: Endpoint, errcode: i64) -> &'static str {
    use Endpoint::*;
    match (endpoint, errcode) {
        (_, -1) => "system error",
        (StableToken | Token, 40001) => "invalid credential, access_token is invalid or not latest",
        (StableToken | Token, 40002) => "invalid grant_type",
        (StableToken | Token, 40013) => "invalid appid",
        (StableToken | Token, 40125) => "invalid appsecret",
        (StableToken | Token, 40164) => "invalid ip, not in whitelist",
        (StableToken | Token, 40243) => "AppSecret已被冻结，请解冻后再次调用",
        (StableToken | Token, 41002) => "appid missing",
        (StableToken | Token, 41004) => "appsecret missing",
        (StableToken | Token, 43002) => "require POST method",
        (StableToken | Token, 45009) => "reach max api daily quota limit",
        (StableToken | Token, 45011) => "api minute-quota reach limit  mustslower  retry next minute",
        (StableToken | Token, 50004) => "禁止使用 token 接口",
        (StableToken | Token, 50007) => "账号已冻结",
        (StableToken | Token, 89503) => "此次调用需要管理员确认，请耐心等候",
        (StableToken | Token, 89506) => "该IP调用求请求已被公众号管理员拒绝，请24小时后再试，建议使用IP白名单功能",
        (StableToken | Token, 89507) => "该IP调用求请求已被公众号管理员拒绝，请1小时后再试，建议使用IP白名单功能",
        (_, 40001) => "invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken, more details at https://mmbizurl.cn/s/JtxxFh33r",
        (_, 40014) => "invalid access_token",
        (_, 41001) => "access_token missing",
        (_, 42001) => "access_token expired",
        (_, 47001) => "data format error",
        (_, 48001) => "api unauthorized",
        (GenerateNfcScheme, 40002) => "暂无生成权限",
        (GenerateNfcScheme, 40013) => "生成权限被封禁",
        (GenerateNfcScheme, 40165) => "invalid weapp pagepath",
        (GenerateNfcScheme, 40212) => "invalid query",
        (GenerateNfcScheme, 44990) => "reach max api second frequence limit",
        (GenerateNfcScheme, 44993) => "reach max api day frequence limit",
        (GenerateNfcScheme, 85079) => "miniprogram has no online release",
        (GenerateNfcScheme, 85400) => "reach max long time quota limit",
        (GenerateNfcScheme, 85402) => "invalid env_version",
        (GenerateNfcScheme, 9800001) => "sn长度不能超过128字节",
        (GenerateNfcScheme, 9800002) => "sn包含非法字符",
        (GenerateNfcScheme, 9800003) => "model_id检查不通过",
        (GenerateNfcScheme, 9800007) => "此model_id尚未获得该能力",
        (GenerateNfcScheme, 9800008) => "能力类型为一机一码，sn不能为空",
        (GenerateNfcScheme, 9800009) => "能力类型为一型一码，sn需为空",
        (GenerateNfcScheme, 9800010) => "schema已存在 schema:",
        (QueryScheme, 40097) => "invalid args",
        (QueryScheme, 85403) => "scheme not exist",
        (GetWxaCodeUnlimit, 40097) => "invalid args",
        (GetWxaCodeUnlimit, 40129) => "invalid scene",
        (GetWxaCodeUnlimit, 40169) => "invalid length for scene, or the data is not json string",
        (GetWxaCodeUnlimit, 41030) => "invalid page",
        (GetWxaCodeUnlimit, 45009) => "reach max api minute quota limit",
        (GetWxaCodeUnlimit, 45063) => "暂无生成权限",
        (GetWxaCodeUnlimit, 85096) => "scancode_time为系统保留参数，不允许配置",
        (_, 44990) => "reach max api second frequence limit",
        (_, 45009) => "reach max api daily quota limit",
        (_, 45011) => "api minute-quota reach limit  mustslower  retry next minute",
        _ => "error",
    }
}

/// Whether `ip` matches a whitelist entry (`1.2.3.4`, `1.2.3.*`, `1.2.3.0/24`).
fn ip_listed(ip: &str, entry: &str) -> bool {
    let entry = entry.trim();
    if entry == ip {
        return true;
    }
    if let Some(prefix) = entry.strip_suffix('*') {
        return ip.starts_with(prefix);
    }
    if let Some((net, bits)) = entry.split_once('/') {
        let (Ok(net), Ok(addr), Ok(bits)) = (
            net.parse::<std::net::Ipv4Addr>(),
            ip.parse::<std::net::Ipv4Addr>(),
            bits.parse::<u32>(),
        ) else {
            return false;
        };
        if bits > 32 {
            return false;
        }
        let mask = if bits == 0 {
            0
        } else {
            u32::MAX << (32 - bits)
        };
        return u32::from(net) & mask == u32::from(addr) & mask;
    }
    false
}

/// A parsed incoming request, as the HTTP layer hands it over.
pub struct Incoming<'a> {
    pub endpoint: Endpoint,
    pub method: &'a str,
    pub query: &'a HashMap<String, String>,
    pub body: &'a [u8],
    pub injected: Option<Action>,
}

/// The result of one call: the reply and the sequence number of its log entry.
pub struct Handled {
    pub reply: Reply,
    pub seq: u64,
    /// Error bodies of getwxacodeunlimit may use a quirky Content-Type.
    pub error_content_type: Option<String>,
}

impl FakeState {
    pub fn new(config: FakeConfig) -> FakeState {
        FakeState {
            config,
            clock_offset_ms: 0,
            tokens: HashMap::new(),
            apps_rt: HashMap::new(),
            schemes: HashMap::new(),
            issued: Vec::new(),
            by_openlink: HashMap::new(),
            injections: Vec::new(),
            log: Vec::new(),
            rng: (real_now_ms() as u64) ^ 0x9E37_79B9_7F4A_7C15,
            seq: 0,
        }
    }

    pub fn now_ms(&self) -> i64 {
        real_now_ms() + self.clock_offset_ms
    }

    pub fn log(&self) -> &[LogEntry] {
        &self.log
    }

    /// The log of issued schemes: every mint, in order (see `issued`).
    pub fn issued(&self) -> Vec<SchemeRecord> {
        self.issued.clone()
    }

    pub fn schemes(&self) -> Vec<SchemeRecord> {
        let mut v: Vec<_> = self.schemes.values().cloned().collect();
        v.sort_by_key(|s| s.order);
        v
    }

    pub(crate) fn mark_dropped(&mut self, seq: u64) {
        if let Some(e) = self.log.iter_mut().rev().find(|e| e.seq == seq) {
            e.dropped = true;
        }
    }

    /// Takes the next injected action for a call to `endpoint`, if any.
    pub(crate) fn take_injection(&mut self, endpoint: Endpoint) -> Option<Action> {
        let i = self
            .injections
            .iter()
            .position(|inj| inj.remaining > 0 && inj.endpoint.is_none_or(|e| e == endpoint))?;
        let inj = &mut self.injections[i];
        inj.remaining -= 1;
        let action = inj.action.clone();
        if inj.remaining == 0 {
            self.injections.remove(i);
        }
        Some(action)
    }

    /// Logs a call whose connection was dropped before it was processed.
    pub(crate) fn log_dropped_before(&mut self, endpoint: Endpoint, method: &str, body: &[u8]) {
        let mut entry = self.entry(endpoint, method);
        Self::describe(&mut entry, endpoint, body);
        self.push_log(LogEntry {
            errcode: None,
            injected: true,
            dropped: true,
            ..entry
        });
    }

    /// What the request is about, for the log (also for injected answers and dropped calls).
    fn describe(entry: &mut LogEntry, endpoint: Endpoint, body: &[u8]) {
        let Some(body) = Self::parse_json_object(body) else {
            return;
        };
        let s = |k: &str| {
            body.get(k)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        match endpoint {
            Endpoint::StableToken => {
                entry.appid = s("appid");
                entry.force_refresh = Some(
                    body.get("force_refresh")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                );
            }
            Endpoint::GenerateNfcScheme => {
                entry.model_id = s("model_id");
                entry.sn = s("sn");
            }
            _ => {}
        }
    }

    // ---- control -------------------------------------------------------------------------------

    pub fn control(&mut self, c: Control) -> Value {
        match c {
            Control::UpsertApp(app) => {
                self.config.apps.retain(|a| a.appid != app.appid);
                self.config.apps.push(app);
            }
            Control::UpsertModel(m) => {
                self.config.models.retain(|x| x.model_id != m.model_id);
                self.config.models.push(m);
            }
            Control::SetClientIp { ip } => self.config.client_ip = ip,
            Control::SetLimits(l) => self.config.limits = l,
            Control::SetExistingSchemeEcho { echo } => self.config.existing_scheme_echo = echo,
            Control::SetWxacodeErrorContentType { content_type } => {
                self.config.wxacode_error_content_type = content_type
            }
            Control::Inject {
                endpoint,
                count,
                action,
            } => {
                if count > 0 {
                    self.injections.push(Injection {
                        endpoint,
                        remaining: count,
                        action,
                    });
                }
            }
            Control::ClearInjections => self.injections.clear(),
            Control::AdvanceClock { secs } => self.clock_offset_ms += secs * 1000,
            Control::SetClock { unix_ms } => self.clock_offset_ms = unix_ms - real_now_ms(),
            Control::SeedScheme {
                model_id,
                sn,
                path,
                query,
                env_version,
            } => {
                let Some(model) = self
                    .config
                    .models
                    .iter()
                    .find(|m| m.model_id == model_id)
                    .cloned()
                else {
                    return json!({"ok": false, "error": "unknown model_id"});
                };
                let key = (
                    model_id.clone(),
                    if model.mode == NfcMode::PerModel {
                        None
                    } else {
                        sn.clone()
                    },
                );
                if let Some(s) = self.schemes.get(&key) {
                    return json!({"ok": true, "openlink": s.openlink});
                }
                let openlink = self.mint_scheme(
                    &model.appid,
                    &model_id,
                    key.1.clone(),
                    path,
                    query,
                    env_version,
                );
                return json!({"ok": true, "openlink": openlink});
            }
            Control::ClearLog => self.log.clear(),
            Control::Reset(config) => *self = FakeState::new(config),
        }
        json!({"ok": true, "now_ms": self.now_ms()})
    }

    // ---- helpers -------------------------------------------------------------------------------

    fn next_rand(&mut self) -> u64 {
        // splitmix64
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn rand_string(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[(self.next_rand() % alphabet.len() as u64) as usize] as char)
            .collect()
    }

    fn rid(&mut self) -> String {
        let a = self.next_rand();
        let b = self.next_rand();
        format!("{:08x}-{:08x}-{:08x}", a as u32, (a >> 32) as u32, b as u32)
    }

    fn error(&mut self, errcode: i64, text: &str) -> Value {
        let rid = self.rid();
        json!({"errcode": errcode, "errmsg": format!("{text} rid: {rid}")})
    }

    fn entry(&mut self, endpoint: Endpoint, method: &str) -> LogEntry {
        self.seq += 1;
        LogEntry {
            seq: self.seq,
            at_ms: self.now_ms(),
            endpoint,
            method: method.to_string(),
            appid: None,
            model_id: None,
            sn: None,
            force_refresh: None,
            errcode: Some(0),
            errmsg: None,
            openlink: None,
            token_minted: false,
            injected: false,
            dropped: false,
        }
    }

    fn push_log(&mut self, entry: LogEntry) -> u64 {
        let seq = entry.seq;
        self.log.push(entry);
        seq
    }

    fn day(&self) -> i64 {
        (self.now_ms() + CHINA_OFFSET_MS).div_euclid(DAY_MS)
    }

    fn app(&self, appid: &str) -> Option<&AppConfig> {
        self.config.apps.iter().find(|a| a.appid == appid)
    }

    fn rt(&mut self, appid: &str) -> &mut AppRuntime {
        self.apps_rt.entry(appid.to_string()).or_default()
    }

    fn mint_token(&mut self, appid: &str, kind: TokenKind) -> String {
        let len = 100 + (self.next_rand() % 81) as usize;
        let prefix = 80 + self.next_rand() % 19;
        let body = self.rand_string(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
            len,
        );
        let token = format!("{prefix}_{body}");
        let expires_at_ms = self.now_ms() + self.config.limits.token_lifetime_secs * 1000;
        self.tokens.insert(
            token.clone(),
            TokenRec {
                appid: appid.to_string(),
                kind,
                expires_at_ms,
                invalid_after_ms: None,
            },
        );
        token
    }

    fn mint_scheme(
        &mut self,
        appid: &str,
        model_id: &str,
        sn: Option<String>,
        path: String,
        query: String,
        env_version: String,
    ) -> String {
        let openlink = loop {
            let t = self.rand_string(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                11,
            );
            let link = format!("weixin://dl/business/?t={t}");
            if !self.by_openlink.contains_key(&link) {
                break link;
            }
        };
        let key = (model_id.to_string(), sn.clone());
        let rec = SchemeRecord {
            openlink: openlink.clone(),
            appid: appid.to_string(),
            model_id: model_id.to_string(),
            sn,
            path,
            query,
            env_version,
            create_time: self.now_ms() / 1000,
            expire_time: 0,
            order: self.schemes.len() as u64,
        };
        self.by_openlink.insert(openlink.clone(), key.clone());
        self.issued.push(rec.clone());
        self.schemes.insert(key, rec);
        openlink
    }

    /// Checks `access_token` (reference §7 "Business endpoints"). Returns the token's appid.
    fn check_token(&self, query: &HashMap<String, String>) -> Result<String, i64> {
        let Some(token) = query.get("access_token").filter(|t| !t.is_empty()) else {
            return Err(41001);
        };
        let Some(rec) = self.tokens.get(token) else {
            return Err(40001);
        };
        let now = self.now_ms();
        if rec.invalid_after_ms.is_some_and(|t| now >= t) {
            return Err(40001);
        }
        if now >= rec.expires_at_ms {
            return Err(42001);
        }
        Ok(rec.appid.clone())
    }

    // ---- dispatch ------------------------------------------------------------------------------

    pub fn handle(&mut self, req: Incoming<'_>) -> Handled {
        let mut entry = self.entry(req.endpoint, req.method);
        let mut error_content_type = None;
        if req.endpoint == Endpoint::GetWxaCodeUnlimit {
            error_content_type = Some(self.config.wxacode_error_content_type.clone());
        }
        Self::describe(&mut entry, req.endpoint, req.body);
        let reply = if let Some(Action::Error { errcode, errmsg }) = &req.injected {
            entry.injected = true;
            let text = errmsg
                .clone()
                .unwrap_or_else(|| default_errmsg(req.endpoint, *errcode).to_string());
            Reply::Json(self.error(*errcode, &text))
        } else {
            match req.endpoint {
                Endpoint::StableToken => self.stable_token(&req, &mut entry),
                Endpoint::Token => self.classic_token(&req, &mut entry),
                Endpoint::GenerateNfcScheme => self.generate_nfc_scheme(&req, &mut entry),
                Endpoint::QueryScheme => self.query_scheme(&req, &mut entry),
                Endpoint::GetWxaCodeUnlimit => self.wxacode(&req, &mut entry),
            }
        };
        if let Reply::Json(v) = &reply {
            entry.errcode = Some(v.get("errcode").and_then(Value::as_i64).unwrap_or(0));
            entry.errmsg = v.get("errmsg").and_then(Value::as_str).map(str::to_string);
        }
        let seq = self.push_log(entry);
        Handled {
            reply,
            seq,
            error_content_type,
        }
    }

    fn parse_json_object(body: &[u8]) -> Option<Map<String, Value>> {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => Some(m),
            _ => None,
        }
    }

    /// Steps 3–9 of the token validation order (reference §7), shared by both token endpoints.
    fn check_credentials(
        &mut self,
        appid: Option<&str>,
        secret: Option<&str>,
        grant_type: Option<&str>,
    ) -> Result<String, Value> {
        let Some(appid) = appid.filter(|s| !s.is_empty()) else {
            return Err(self.error(41002, "appid missing"));
        };
        let Some(secret) = secret.filter(|s| !s.is_empty()) else {
            return Err(self.error(41004, "appsecret missing"));
        };
        if grant_type != Some("client_credential") {
            return Err(self.error(40002, "invalid grant_type"));
        }
        let Some(app) = self.app(appid).cloned() else {
            return Err(self.error(40013, "invalid appid"));
        };
        if app.whitelist_enabled {
            let ip = self.config.client_ip.clone();
            if !app.whitelist.iter().any(|e| ip_listed(&ip, e)) {
                return Err(self.error(
                    40164,
                    &format!("invalid ip {ip} ipv6 ::ffff:{ip}, not in whitelist"),
                ));
            }
        }
        if app.secret != secret {
            return Err(self.error(40125, "invalid appsecret"));
        }
        if app.frozen {
            return Err(self.error(40243, "AppSecret已被冻结，请解冻后再次调用"));
        }
        Ok(app.appid)
    }

    fn stable_token(&mut self, req: &Incoming<'_>, entry: &mut LogEntry) -> Reply {
        if req.method != "POST" {
            return Reply::Json(self.error(43002, "require POST method"));
        }
        let Some(body) = Self::parse_json_object(req.body) else {
            return Reply::Json(self.error(47001, "data format error"));
        };
        let s = |k: &str| body.get(k).and_then(Value::as_str);
        entry.appid = s("appid").map(str::to_string);
        let force = body
            .get("force_refresh")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        entry.force_refresh = Some(force);
        let appid = match self.check_credentials(s("appid"), s("secret"), s("grant_type")) {
            Ok(a) => a,
            Err(e) => return Reply::Json(e),
        };
        let now = self.now_ms();
        let minute = now.div_euclid(60_000);
        let day = self.day();
        let limits = self.config.limits.clone();
        if self.rt(&appid).stable_minute.hit(minute) > limits.stable_per_minute {
            return Reply::Json(self.error(45011, default_errmsg(Endpoint::StableToken, 45011)));
        }
        if self.rt(&appid).stable_day.hit(day) > limits.stable_daily {
            return Reply::Json(self.error(45009, "reach max api daily quota limit"));
        }
        let current = self.rt(&appid).current_stable.clone().filter(|t| {
            self.tokens.get(t).is_some_and(|r| {
                r.invalid_after_ms.is_none_or(|x| now < x) && now < r.expires_at_ms
            })
        });
        if force {
            let recent = self
                .rt(&appid)
                .last_force_ms
                .is_some_and(|t| now - t < FORCE_MIN_GAP_MS);
            if let (true, Some(cur)) = (recent, &current) {
                // "否则不会刷新": the current token, unchanged.
                let remaining = (self.tokens[cur].expires_at_ms - now) / 1000;
                return Reply::Json(json!({"access_token": cur, "expires_in": remaining}));
            }
            // [FAKE] the 21st forced refresh of a day answers 45009.
            if self.rt(&appid).force_day.peek(day) >= limits.force_refresh_daily {
                return Reply::Json(self.error(45009, "reach max api daily quota limit"));
            }
            self.rt(&appid).force_day.hit(day);
            self.rt(&appid).last_force_ms = Some(now);
            // [FAKE] forcing invalidates the previous token at once (overlap undocumented).
            if let Some(cur) = &current {
                if let Some(r) = self.tokens.get_mut(cur) {
                    r.invalid_after_ms = Some(now);
                }
            }
        } else if let Some(cur) = &current {
            let remaining_ms = self.tokens[cur].expires_at_ms - now;
            if remaining_ms >= OVERLAP_MS {
                return Reply::Json(
                    json!({"access_token": cur, "expires_in": remaining_ms / 1000}),
                );
            }
            // Last 5 minutes: a new token; the old one stays valid until it expires (≤ 300 s).
        }
        let token = self.mint_token(&appid, TokenKind::Stable);
        self.rt(&appid).current_stable = Some(token.clone());
        entry.token_minted = true;
        Reply::Json(json!({"access_token": token, "expires_in": limits.token_lifetime_secs}))
    }

    fn classic_token(&mut self, req: &Incoming<'_>, entry: &mut LogEntry) -> Reply {
        let q = |k: &str| req.query.get(k).map(String::as_str);
        entry.appid = q("appid").map(str::to_string);
        let appid = match self.check_credentials(q("appid"), q("secret"), q("grant_type")) {
            Ok(a) => a,
            Err(e) => return Reply::Json(e),
        };
        let day = self.day();
        let limit = self.config.limits.classic_daily;
        if self.rt(&appid).classic_day.hit(day) > limit {
            return Reply::Json(self.error(45009, "reach max api daily quota limit"));
        }
        let now = self.now_ms();
        // "重复获取将导致上次获取的 access_token 失效": the previous one stays valid 5 more minutes.
        if let Some(prev) = self.rt(&appid).current_classic.clone() {
            if let Some(r) = self.tokens.get_mut(&prev) {
                let until = (now + OVERLAP_MS).min(r.expires_at_ms);
                r.invalid_after_ms = Some(r.invalid_after_ms.map_or(until, |x| x.min(until)));
            }
        }
        let token = self.mint_token(&appid, TokenKind::Classic);
        self.rt(&appid).current_classic = Some(token.clone());
        entry.token_minted = true;
        let lifetime = self.config.limits.token_lifetime_secs;
        Reply::Json(json!({"access_token": token, "expires_in": lifetime}))
    }

    fn generate_nfc_scheme(&mut self, req: &Incoming<'_>, entry: &mut LogEntry) -> Reply {
        let appid = match self.check_token(req.query) {
            Ok(a) => a,
            Err(code) => return Reply::Json(self.error(code, default_errmsg(req.endpoint, code))),
        };
        entry.appid = Some(appid.clone());
        let Some(body) = Self::parse_json_object(req.body) else {
            return Reply::Json(self.error(47001, "data format error"));
        };
        let model_id = body
            .get("model_id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let sn = body
            .get("sn")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        entry.model_id = Some(model_id.clone()).filter(|m| !m.is_empty());
        entry.sn = sn.clone();
        let jump = body
            .get("jump_wxa")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let js = |k: &str| {
            jump.get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let (path, query) = (js("path"), js("query"));
        let env_version = jump
            .get("env_version")
            .and_then(Value::as_str)
            .unwrap_or("release")
            .to_string();
        let app = self.app(&appid).cloned().unwrap_or_default();
        let model = self
            .config
            .models
            .iter()
            .find(|m| m.model_id == model_id && m.appid == appid)
            .cloned();
        let e = |s: &mut Self, code: i64| {
            Reply::Json(s.error(code, default_errmsg(Endpoint::GenerateNfcScheme, code)))
        };
        // 1. permission
        if app.personal || model.as_ref().is_some_and(|m| m.mode == NfcMode::None) {
            return e(self, 40002);
        }
        if model.as_ref().is_some_and(|m| m.mode == NfcMode::Banned) {
            return e(self, 40013);
        }
        // 2. model
        let Some(model) = model else {
            return e(self, 9800003);
        };
        if !model.capability {
            return e(self, 9800007);
        }
        // 3. link type
        if model.mode == NfcMode::PerDevice && sn.is_none() {
            return e(self, 9800008);
        }
        if model.mode == NfcMode::PerModel && sn.is_some() {
            return e(self, 9800009);
        }
        // 4. sn (rules inferred from getSnTicket)
        if let Some(sn) = &sn {
            if sn.len() > 128 {
                return e(self, 9800001);
            }
            if !sn.chars().all(sn_char_ok) {
                return e(self, 9800002);
            }
        }
        // 5. published
        if !app.published {
            return e(self, 85079);
        }
        // 6. path: a page of the published version, no query. [FAKE] a leading `/` is accepted (the doc
        // example has one).
        if !path.is_empty() {
            let p = path.strip_prefix('/').unwrap_or(&path);
            if p.contains('?') || !app.pages.iter().any(|x| x == p) {
                return e(self, 40165);
            }
        }
        // 7. query
        if query.chars().count() > 1024 || !query.chars().all(query_char_ok) {
            return e(self, 40212);
        }
        // 8. env_version
        if !matches!(env_version.as_str(), "release" | "trial" | "develop") {
            return e(self, 85402);
        }
        // 9. exists: regardless of path, query or env_version
        let key = (model_id.clone(), sn.clone());
        if let Some(existing) = self.schemes.get(&key) {
            let link = match self.config.existing_scheme_echo {
                ExistingSchemeEcho::Full => format!("schema已存在 schema: {}", existing.openlink),
                ExistingSchemeEcho::Empty => "schema已存在  schema: ".to_string(),
            };
            return Reply::Json(self.error(9800010, &link));
        }
        // 10. quotas
        let now = self.now_ms();
        let (second, day) = (now.div_euclid(1000), self.day());
        let limits = self.config.limits.clone();
        if self.rt(&appid).nfc_second.hit(second) > limits.nfc_per_second {
            return e(self, 44990);
        }
        if self.rt(&appid).nfc_day.peek(day) >= limits.nfc_daily {
            return e(self, 44993);
        }
        if self.rt(&appid).nfc_lifetime >= limits.nfc_lifetime {
            return e(self, 85400);
        }
        let rt = self.rt(&appid);
        rt.nfc_day.hit(day);
        rt.nfc_lifetime += 1;
        let openlink = self.mint_scheme(&appid, &model_id, sn, path, query, env_version);
        entry.openlink = Some(openlink.clone());
        Reply::Json(json!({"errcode": 0, "errmsg": "ok", "openlink": openlink}))
    }

    fn query_scheme(&mut self, req: &Incoming<'_>, entry: &mut LogEntry) -> Reply {
        let appid = match self.check_token(req.query) {
            Ok(a) => a,
            Err(code) => return Reply::Json(self.error(code, default_errmsg(req.endpoint, code))),
        };
        entry.appid = Some(appid.clone());
        let Some(body) = Self::parse_json_object(req.body) else {
            return Reply::Json(self.error(47001, "data format error"));
        };
        let scheme = body
            .get("scheme")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let query_type = body.get("query_type").and_then(Value::as_i64).unwrap_or(0);
        let quota = json!({"remain_visit_quota": VISIT_QUOTA});
        if query_type == 1 {
            return Reply::Json(json!({"errcode": 0, "errmsg": "ok", "quota_info": quota}));
        }
        let Some(scheme) = scheme else {
            return Reply::Json(self.error(40097, "invalid args"));
        };
        let rec = self
            .by_openlink
            .get(scheme)
            .and_then(|k| self.schemes.get(k))
            .filter(|r| r.appid == appid)
            .cloned();
        let Some(rec) = rec else {
            return Reply::Json(self.error(85403, "scheme not exist"));
        };
        entry.model_id = Some(rec.model_id.clone());
        entry.sn = rec.sn.clone();
        Reply::Json(json!({
            "errcode": 0, "errmsg": "ok",
            "scheme_info": {
                "appid": rec.appid, "path": rec.path, "query": rec.query,
                "create_time": rec.create_time, "expire_time": rec.expire_time,
                "env_version": rec.env_version,
            },
            "quota_info": quota,
        }))
    }

    fn wxacode(&mut self, req: &Incoming<'_>, entry: &mut LogEntry) -> Reply {
        let appid = match self.check_token(req.query) {
            Ok(a) => a,
            Err(code) => return Reply::Json(self.error(code, default_errmsg(req.endpoint, code))),
        };
        entry.appid = Some(appid.clone());
        let e = |s: &mut Self, code: i64| {
            Reply::Json(s.error(code, default_errmsg(Endpoint::GetWxaCodeUnlimit, code)))
        };
        // 1. body
        let Some(body) = Self::parse_json_object(req.body) else {
            return e(self, 47001);
        };
        // 2. scene length, 3. scene characters
        let scene = body.get("scene").and_then(Value::as_str).unwrap_or("");
        if scene.is_empty() || scene.chars().count() > 32 {
            return e(self, 40169);
        }
        if !scene.chars().all(scene_char_ok) {
            return e(self, 40129);
        }
        // 4. page
        let page = body.get("page").and_then(Value::as_str).unwrap_or("");
        let check_path = body
            .get("check_path")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let app = self.app(&appid).cloned().unwrap_or_default();
        if !page.is_empty() {
            if page.starts_with('/') || page.contains('?') {
                return e(self, 41030);
            }
            if check_path && (!app.published || !app.pages.iter().any(|p| p == page)) {
                return e(self, 41030);
            }
        } else if check_path && !app.published {
            return e(self, 41030);
        }
        // 5. reserved word
        if page.contains("scancode_time") {
            return e(self, 85096);
        }
        // 6. env_version
        let env = body
            .get("env_version")
            .and_then(Value::as_str)
            .unwrap_or("release");
        if !matches!(env, "release" | "trial" | "develop") {
            return e(self, 40097);
        }
        // 7. minute limit
        let minute = self.now_ms().div_euclid(60_000);
        let limit = self.config.limits.wxacode_per_minute;
        if self.rt(&appid).wxacode_minute.hit(minute) > limit {
            return e(self, 45009);
        }
        // Width: clamped to 280–1280 (observed for < 280; > 1280 undocumented, [FAKE] clamp).
        let width = body
            .get("width")
            .and_then(Value::as_i64)
            .unwrap_or(430)
            .clamp(280, 1280) as u32;
        let hyaline = body
            .get("is_hyaline")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let bytes = image::wxacode(scene, width, hyaline);
        Reply::Image(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitelist_entries() {
        assert!(ip_listed("203.0.113.7", "203.0.113.7"));
        assert!(ip_listed("203.0.113.7", "203.0.113.*"));
        assert!(ip_listed("203.0.113.7", "203.0.113.0/24"));
        assert!(!ip_listed("203.0.114.7", "203.0.113.0/24"));
        assert!(!ip_listed("203.0.113.7", "203.0.113.8"));
    }
}

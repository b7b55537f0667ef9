//! Typed errors, per endpoint: the same errcode means different things on different endpoints
//! (reference §0: 40002 and 40013 on the token endpoints vs generatenfcscheme; 45009 daily on
//! stable_token vs per-minute on getwxacodeunlimit). Branch on `errcode` only, never on `errmsg`;
//! the errmsg is kept for support and for the two values parsed from it (the caller IP of 40164, the
//! existing openlink of 9800010).

use std::fmt;

use crate::validate::ValidationError;

/// The WeChat endpoints this client calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    StableToken,
    GenerateNfcScheme,
    QueryScheme,
    GetWxaCodeUnlimit,
}

impl Endpoint {
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::StableToken => "/cgi-bin/stable_token",
            Endpoint::GenerateNfcScheme => "/wxa/generatenfcscheme",
            Endpoint::QueryScheme => "/wxa/queryscheme",
            Endpoint::GetWxaCodeUnlimit => "/wxa/getwxacodeunlimit",
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path())
    }
}

/// Codes that mean the same on every endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommonCode {
    /// -1 system error: retried with backoff.
    SystemBusy,
    /// 40001 on a business endpoint: token invalid or not the latest.
    TokenInvalid,
    /// 40014 invalid access_token.
    TokenMalformed,
    /// 42001 access_token expired.
    TokenExpired,
    /// 41001 access_token missing.
    TokenMissing,
    /// 44990 per-second limit: retried with backoff.
    PerSecondLimit,
    /// 45011 per-minute limit: retried with backoff.
    PerMinuteLimit,
    /// 47001 data format error.
    BadRequestFormat,
    /// 40033 `\uXXXX` escapes in the request.
    EscapedCharacters,
    /// 48001 api unauthorized.
    ApiUnauthorized,
    /// Any code this client does not know.
    Other,
}

/// `POST /cgi-bin/stable_token` (reference §1.1, §1.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenCode {
    /// 40001 on the token endpoint: the AppSecret is wrong (older behaviour).
    InvalidCredential,
    /// 40002 invalid grant_type.
    InvalidGrantType,
    /// 40013 invalid appid.
    InvalidAppId,
    /// 40125 invalid appsecret.
    WrongSecret,
    /// 40164 caller IP not on the API IP whitelist; the IP as WeChat saw it, parsed from errmsg.
    IpNotWhitelisted { ip: Option<String> },
    /// 40243 AppSecret frozen.
    SecretFrozen,
    /// 41002 appid missing.
    AppIdMissing,
    /// 41004 appsecret missing.
    SecretMissing,
    /// 43002 require POST method.
    RequirePost,
    /// 45009 daily token quota reached.
    DailyQuota,
    /// 50004 token API forbidden.
    TokenApiForbidden,
    /// 50007 account frozen.
    AccountFrozen,
    /// 89503 the admin must confirm this call.
    AdminConfirmationPending,
    /// 89506 the admin refused this IP; 24 h.
    IpRefusedForADay,
    /// 89507 the admin refused this IP; 1 h.
    IpRefusedForAnHour,
}

/// `POST /wxa/generatenfcscheme` (reference §2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NfcCode {
    /// 40002 暂无生成权限: personal entity, or the NFC capability not applied for.
    NoPermission,
    /// 40013 生成权限被封禁.
    PermissionBanned,
    /// 40165 invalid weapp pagepath.
    InvalidPath,
    /// 40212 invalid query.
    InvalidQuery,
    /// 44993 daily Scheme + URL Link limit (500,000).
    DailyLimit,
    /// 85079 no online release.
    NotPublished,
    /// 85400 long-term quota (100,000) used up.
    LifetimeQuota,
    /// 85402 invalid env_version.
    InvalidEnvVersion,
    /// 9800001 sn longer than 128 bytes.
    SnTooLong,
    /// 9800002 illegal character in sn.
    SnInvalid,
    /// 9800003 model_id check failed.
    ModelIdRejected,
    /// 9800007 this model_id does not have the NFC capability.
    CapabilityMissing,
    /// 9800008 一机一码: sn required.
    SnRequired,
    /// 9800009 一型一码: sn must be empty.
    SnNotAllowed,
    /// 9800010 a scheme already exists for this model_id(+sn); the existing openlink when the errmsg
    /// carried it.
    AlreadyExists { openlink: Option<String> },
}

/// `POST /wxa/queryscheme` (reference §2.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryCode {
    /// 40097 invalid args.
    InvalidArgs,
    /// 85403 scheme does not exist.
    NotFound,
}

/// `POST /wxa/getwxacodeunlimit` (reference §3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WxaCodeCode {
    /// 40097 invalid args (env_version).
    InvalidArgs,
    /// 40129 illegal scene character.
    InvalidScene,
    /// 40169 scene missing, empty or too long.
    InvalidSceneLength,
    /// 41030 page missing, unpublished, or malformed.
    InvalidPage,
    /// 45009 per-minute limit (5000/min).
    MinuteLimit,
    /// 45063 no permission.
    NoPermission,
    /// 85096 scancode_time is reserved.
    ReservedPage,
}

/// The meaning of an errcode on the endpoint that returned it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiErrorKind {
    Common(CommonCode),
    Token(TokenCode),
    Nfc(NfcCode),
    Query(QueryCode),
    WxaCode(WxaCodeCode),
}

/// An error answer from WeChat (`errcode` ≠ 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub endpoint: Endpoint,
    pub errcode: i64,
    /// As received (with its `rid:`), for support.
    pub errmsg: String,
    pub kind: ApiErrorKind,
}

impl ApiError {
    pub fn new(endpoint: Endpoint, errcode: i64, errmsg: &str) -> ApiError {
        ApiError {
            endpoint,
            errcode,
            errmsg: errmsg.to_string(),
            kind: classify(endpoint, errcode, errmsg),
        }
    }

    /// 40001 / 40014 / 42001 on a business endpoint: the token was refused.
    pub fn is_token_rejected(&self) -> bool {
        matches!(
            self.kind,
            ApiErrorKind::Common(
                CommonCode::TokenInvalid | CommonCode::TokenMalformed | CommonCode::TokenExpired
            )
        )
    }

    /// -1, 44990, 45011: retried with a bounded backoff (and nothing else is).
    pub fn is_backoff_retryable(&self) -> bool {
        matches!(
            self.kind,
            ApiErrorKind::Common(
                CommonCode::SystemBusy | CommonCode::PerSecondLimit | CommonCode::PerMinuteLimit
            )
        )
    }

    /// The `request id` WeChat appended to errmsg, for support.
    pub fn rid(&self) -> Option<&str> {
        let i = self.errmsg.rfind("rid:")?;
        Some(self.errmsg[i + 4..].trim())
    }
}

/// Maps `errcode` on `endpoint` to its meaning. Only 40164 and 9800010 look into errmsg, to extract a
/// value; the meaning itself never depends on errmsg.
pub fn classify(endpoint: Endpoint, errcode: i64, errmsg: &str) -> ApiErrorKind {
    use ApiErrorKind as K;
    use Endpoint as E;
    let common = match errcode {
        -1 => Some(CommonCode::SystemBusy),
        40014 => Some(CommonCode::TokenMalformed),
        42001 => Some(CommonCode::TokenExpired),
        41001 => Some(CommonCode::TokenMissing),
        44990 => Some(CommonCode::PerSecondLimit),
        45011 => Some(CommonCode::PerMinuteLimit),
        47001 => Some(CommonCode::BadRequestFormat),
        40033 => Some(CommonCode::EscapedCharacters),
        48001 => Some(CommonCode::ApiUnauthorized),
        40001 if endpoint != E::StableToken => Some(CommonCode::TokenInvalid),
        _ => None,
    };
    if let Some(c) = common {
        return K::Common(c);
    }
    let specific = match endpoint {
        E::StableToken => match errcode {
            40001 => Some(K::Token(TokenCode::InvalidCredential)),
            40002 => Some(K::Token(TokenCode::InvalidGrantType)),
            40013 => Some(K::Token(TokenCode::InvalidAppId)),
            40125 => Some(K::Token(TokenCode::WrongSecret)),
            40164 => Some(K::Token(TokenCode::IpNotWhitelisted {
                ip: parse_ip(errmsg),
            })),
            40243 => Some(K::Token(TokenCode::SecretFrozen)),
            41002 => Some(K::Token(TokenCode::AppIdMissing)),
            41004 => Some(K::Token(TokenCode::SecretMissing)),
            43002 => Some(K::Token(TokenCode::RequirePost)),
            45009 => Some(K::Token(TokenCode::DailyQuota)),
            50004 => Some(K::Token(TokenCode::TokenApiForbidden)),
            50007 => Some(K::Token(TokenCode::AccountFrozen)),
            89503 => Some(K::Token(TokenCode::AdminConfirmationPending)),
            89506 => Some(K::Token(TokenCode::IpRefusedForADay)),
            89507 => Some(K::Token(TokenCode::IpRefusedForAnHour)),
            _ => None,
        },
        E::GenerateNfcScheme => match errcode {
            40002 => Some(K::Nfc(NfcCode::NoPermission)),
            40013 => Some(K::Nfc(NfcCode::PermissionBanned)),
            40165 => Some(K::Nfc(NfcCode::InvalidPath)),
            40212 => Some(K::Nfc(NfcCode::InvalidQuery)),
            44993 => Some(K::Nfc(NfcCode::DailyLimit)),
            85079 => Some(K::Nfc(NfcCode::NotPublished)),
            85400 => Some(K::Nfc(NfcCode::LifetimeQuota)),
            85402 => Some(K::Nfc(NfcCode::InvalidEnvVersion)),
            9800001 => Some(K::Nfc(NfcCode::SnTooLong)),
            9800002 => Some(K::Nfc(NfcCode::SnInvalid)),
            9800003 => Some(K::Nfc(NfcCode::ModelIdRejected)),
            9800007 => Some(K::Nfc(NfcCode::CapabilityMissing)),
            9800008 => Some(K::Nfc(NfcCode::SnRequired)),
            9800009 => Some(K::Nfc(NfcCode::SnNotAllowed)),
            9800010 => Some(K::Nfc(NfcCode::AlreadyExists {
                openlink: parse_openlink(errmsg),
            })),
            _ => None,
        },
        E::QueryScheme => match errcode {
            40097 => Some(K::Query(QueryCode::InvalidArgs)),
            85403 => Some(K::Query(QueryCode::NotFound)),
            _ => None,
        },
        E::GetWxaCodeUnlimit => match errcode {
            40097 => Some(K::WxaCode(WxaCodeCode::InvalidArgs)),
            40129 => Some(K::WxaCode(WxaCodeCode::InvalidScene)),
            40169 => Some(K::WxaCode(WxaCodeCode::InvalidSceneLength)),
            41030 => Some(K::WxaCode(WxaCodeCode::InvalidPage)),
            45009 => Some(K::WxaCode(WxaCodeCode::MinuteLimit)),
            45063 => Some(K::WxaCode(WxaCodeCode::NoPermission)),
            85096 => Some(K::WxaCode(WxaCodeCode::ReservedPage)),
            _ => None,
        },
    };
    specific.unwrap_or(K::Common(CommonCode::Other))
}

/// The caller IP in a 40164 errmsg: `invalid ip 8.149.1.108 ipv6 ::ffff:8.149.1.108, not in whitelist …`
/// (also the older `invalid ip 61.172.68.219, not in whitelist hint: …`).
pub fn parse_ip(errmsg: &str) -> Option<String> {
    let rest = &errmsg[errmsg.find("invalid ip ")? + "invalid ip ".len()..];
    let ip: String = rest
        .chars()
        .take_while(|c| c.is_ascii_hexdigit() || *c == '.' || *c == ':')
        .collect();
    let looks_ok = ip.parse::<std::net::IpAddr>().is_ok();
    looks_ok.then_some(ip)
}

/// The existing openlink in a 9800010 errmsg (`schema已存在 schema: weixin://dl/business/?t=… rid: …`),
/// if it carries one (it may be empty).
pub fn parse_openlink(errmsg: &str) -> Option<String> {
    const PREFIX: &str = "weixin://dl/business/?t=";
    let start = errmsg.find(PREFIX)?;
    let ticket: String = errmsg[start + PREFIX.len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    (!ticket.is_empty()).then(|| format!("{PREFIX}{ticket}"))
}

/// Whether `s` is an openlink (prefix and `[A-Za-z0-9]+`; the ticket length is undocumented).
pub fn is_openlink(s: &str) -> bool {
    s.strip_prefix("weixin://dl/business/?t=")
        .is_some_and(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// How a request failed without an answer from WeChat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportKind {
    /// No connection was made: the request was certainly not sent.
    Connect,
    /// No complete answer in time: the request may have been processed.
    Timeout,
    /// The connection broke after the request was (possibly) sent: it may have been processed.
    Interrupted,
    /// Could not build the HTTP client (TLS setup).
    Setup,
}

/// Every way a call can fail. Cloneable (a failed token fetch is shared with every waiting caller).
#[derive(Clone, Debug, thiserror::Error)]
pub enum WechatError {
    #[error("invalid input: {0}")]
    Invalid(#[from] ValidationError),
    #[error("{endpoint}: no answer ({kind:?}): {detail}")]
    Transport {
        endpoint: Endpoint,
        kind: TransportKind,
        detail: String,
    },
    #[error("{endpoint}: HTTP status {status}")]
    HttpStatus { endpoint: Endpoint, status: u16 },
    #[error("{endpoint}: unexpected answer: {detail}")]
    Protocol { endpoint: Endpoint, detail: String },
    #[error("{} errcode {}: {}", .0.endpoint, .0.errcode, .0.errmsg)]
    Api(ApiError),
}

impl WechatError {
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            WechatError::Api(e) => Some(e),
            _ => None,
        }
    }

    pub fn errcode(&self) -> Option<i64> {
        self.api().map(|e| e.errcode)
    }

    /// The request may have reached WeChat and been processed, but no answer arrived.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            WechatError::Transport {
                kind: TransportKind::Timeout | TransportKind::Interrupted,
                ..
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_code_different_endpoint() {
        assert_eq!(
            classify(Endpoint::StableToken, 40002, ""),
            ApiErrorKind::Token(TokenCode::InvalidGrantType)
        );
        assert_eq!(
            classify(Endpoint::GenerateNfcScheme, 40002, ""),
            ApiErrorKind::Nfc(NfcCode::NoPermission)
        );
        assert_eq!(
            classify(Endpoint::StableToken, 40013, ""),
            ApiErrorKind::Token(TokenCode::InvalidAppId)
        );
        assert_eq!(
            classify(Endpoint::GenerateNfcScheme, 40013, ""),
            ApiErrorKind::Nfc(NfcCode::PermissionBanned)
        );
        assert_eq!(
            classify(Endpoint::StableToken, 45009, ""),
            ApiErrorKind::Token(TokenCode::DailyQuota)
        );
        assert_eq!(
            classify(Endpoint::GetWxaCodeUnlimit, 45009, ""),
            ApiErrorKind::WxaCode(WxaCodeCode::MinuteLimit)
        );
        assert_eq!(
            classify(Endpoint::StableToken, 40001, ""),
            ApiErrorKind::Token(TokenCode::InvalidCredential)
        );
        assert_eq!(
            classify(Endpoint::QueryScheme, 40001, ""),
            ApiErrorKind::Common(CommonCode::TokenInvalid)
        );
    }

    #[test]
    fn values_parsed_from_errmsg() {
        let m = "invalid ip 8.149.3.108 ipv6 ::ffff:8.149.3.108, not in whitelist rid: 6901defd-0efdda17-7f18cbeb";
        assert_eq!(parse_ip(m).as_deref(), Some("8.149.3.108"));
        assert_eq!(
            parse_ip("invalid ip 61.172.68.219, not in whitelist hint: [KJZfAa0644e575]")
                .as_deref(),
            Some("61.172.68.219")
        );
        assert_eq!(parse_ip("invalid ip 8.149.XXX.108 ipv6"), None);
        let m = "schema已存在 schema: weixin://dl/business/?t=kMgfypIQqov rid: 69a8fba3-67450a67-55098699";
        assert_eq!(
            parse_openlink(m).as_deref(),
            Some("weixin://dl/business/?t=kMgfypIQqov")
        );
        assert_eq!(
            parse_openlink("schema已存在  schema:  rid: 6369f1c8-00000000-00000000"),
            None
        );
        assert!(is_openlink("weixin://dl/business/?t=kMgfypIQqov"));
        assert!(!is_openlink("weixin://dl/business/?t="));
    }
}

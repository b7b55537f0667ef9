//! Tapstand's WeChat client and the NFC scheme ledger orchestration.
//!
//! * [`WechatClient`]: `stable_token` (normal mode only; cached, single-flight), `generatenfcscheme`,
//!   `queryscheme`, `getwxacodeunlimit`, with typed per-endpoint errors ([`error`]), local validation
//!   ([`validate`]) and the retry rules of the reference (§1.3, §4).
//! * [`SchemeService`]: "find or generate" with the SQLite ledger; see [`scheme`] for why a crash never
//!   loses a committed openlink nor causes a second generate call.
//! * Every error converts into `tapstand_error::UserError` with a zh-CN and en-US remedy.
//!
//! The base URL is `https://api.weixin.qq.com` unless `TAPSTAND_WECHAT_BASE_URL` is set
//! ([`ClientConfig::from_env`]).

pub mod client;
pub mod error;
pub mod failpoint;
pub mod scheme;
mod token;
mod user_error;
pub mod validate;

pub use client::{api_override_allowed, base_url_override, check_override_url, is_official_api};
pub use client::{
    ClientConfig, Clock, ImageFormat, NfcSchemeRequest, RetryPolicy, SchemeInfo, SchemeQuery,
    TokenCheck, WechatClient, WxaCodeImage, WxaCodeRequest, BASE_URL_ENV, DEFAULT_BASE_URL,
    DEVELOPER_ENV,
};
pub use error::{ApiError, ApiErrorKind, Endpoint, TransportKind, WechatError};
pub use scheme::{
    derived_sn, ledger_quota, Derivation, QuotaReport, SchemeError, SchemeOutcome, SchemeRequest,
    SchemeService, SchemeSource, MAX_DERIVED_SN,
};
pub use token::AccessToken;
pub use user_error::{IP_WHITELIST_PATH_EN, IP_WHITELIST_PATH_ZH};
pub use validate::{ValidationError, Warning};

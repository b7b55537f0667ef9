//! The NFC scheme ledger (migration 0002): every generatenfcscheme request is recorded before the call,
//! and the openlink is stored in the same transaction as the response. The state machine and the
//! reasoning live in tapstand-wechat (`scheme` module); this module only holds the SQL, each write one
//! transaction, each state change a compare-and-set.

use serde::Serialize;

/// Where a ledger row stands (see the migration for the meaning of each state).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SchemeState {
    Pending,
    InFlight,
    Unknown,
    Issued,
    Recovered,
    UsedElsewhere,
    Lost,
}

impl SchemeState {
    /// The spelling stored in `scheme_ledger.state` (the migration's CHECK lists the same words).
    pub fn as_str(self) -> &'static str {
        match self {
            SchemeState::Pending => "pending",
            SchemeState::InFlight => "in_flight",
            SchemeState::Unknown => "unknown",
            SchemeState::Issued => "issued",
            SchemeState::Recovered => "recovered",
            SchemeState::UsedElsewhere => "used_elsewhere",
            SchemeState::Lost => "lost",
        }
    }

    /// The state stored as `s` (`None` for a spelling [`SchemeState::as_str`] does not write).
    pub fn parse(s: &str) -> Option<SchemeState> {
        Some(match s {
            "pending" => SchemeState::Pending,
            "in_flight" => SchemeState::InFlight,
            "unknown" => SchemeState::Unknown,
            "issued" => SchemeState::Issued,
            "recovered" => SchemeState::Recovered,
            "used_elsewhere" => SchemeState::UsedElsewhere,
            "lost" => SchemeState::Lost,
            _ => return None,
        })
    }

    /// The row holds an openlink.
    pub fn has_openlink(self) -> bool {
        matches!(self, SchemeState::Issued | SchemeState::Recovered)
    }
}

/// One ledger row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct SchemeRow {
    pub id: i64,
    pub appid: String,
    pub model_id: String,
    /// '' for 一型一码.
    pub sn: String,
    pub path: String,
    pub query: String,
    pub env_version: String,
    pub state: SchemeState,
    pub openlink: Option<String>,
    /// For `recovered`: one of our own calls had left the outcome unknown.
    pub recovered_own: Option<bool>,
    pub attempts: i64,
    pub in_flight_since: Option<i64>,
    /// The database handle (process) that sent the call in flight: `Db::owner_alive` tells whether
    /// it is still running.
    pub in_flight_owner: Option<String>,
    pub last_errcode: Option<i64>,
    pub last_error: Option<String>,
    pub wx_path: Option<String>,
    pub wx_query: Option<String>,
    pub wx_env_version: Option<String>,
    pub wx_create_time: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub issued_at: Option<i64>,
    /// The WeChat API base URL the row's calls went to (`https://api.weixin.qq.com` for the real one;
    /// '' for rows recorded before this was kept).
    pub api_base: String,
}

/// A ledger row as both backends' queries read it (the state as its stored text).
#[doc(hidden)]
pub struct RawRow {
    pub id: i64,
    pub appid: String,
    pub model_id: String,
    pub sn: String,
    pub path: String,
    pub query: String,
    pub env_version: String,
    pub state: String,
    pub openlink: Option<String>,
    pub recovered_own: Option<i64>,
    pub attempts: i64,
    pub in_flight_since: Option<i64>,
    pub in_flight_owner: Option<String>,
    pub last_errcode: Option<i64>,
    pub last_error: Option<String>,
    pub wx_path: Option<String>,
    pub wx_query: Option<String>,
    pub wx_env_version: Option<String>,
    pub wx_create_time: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub issued_at: Option<i64>,
    pub api_base: String,
}

impl From<RawRow> for SchemeRow {
    fn from(r: RawRow) -> SchemeRow {
        SchemeRow {
            id: r.id,
            appid: r.appid,
            model_id: r.model_id,
            sn: r.sn,
            path: r.path,
            query: r.query,
            env_version: r.env_version,
            // The CHECK constraint admits only known states.
            state: SchemeState::parse(&r.state).unwrap_or(SchemeState::Unknown),
            openlink: r.openlink,
            recovered_own: r.recovered_own.map(|v| v != 0),
            attempts: r.attempts,
            in_flight_since: r.in_flight_since,
            in_flight_owner: r.in_flight_owner,
            last_errcode: r.last_errcode,
            last_error: r.last_error,
            wx_path: r.wx_path,
            wx_query: r.wx_query,
            wx_env_version: r.wx_env_version,
            wx_create_time: r.wx_create_time,
            created_at: r.created_at,
            updated_at: r.updated_at,
            issued_at: r.issued_at,
            api_base: r.api_base,
        }
    }
}

/// A request about to be made.
#[derive(Clone, Debug)]
pub struct NewSchemeRequest<'a> {
    /// The WeChat API base URL the call will go to.
    pub api_base: &'a str,
    pub appid: &'a str,
    pub model_id: &'a str,
    pub sn: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub env_version: &'a str,
}

/// How a call ended that got an answer of 9800010 (scheme already exists).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExistingOutcome {
    /// The errmsg carried the openlink.
    Recovered { own: bool },
    /// No URL in the errmsg and no unanswered call of ours: another tool used this sn.
    UsedElsewhere,
    /// No URL in the errmsg after an unanswered call of ours.
    Lost,
}

/// Quota use as far as this ledger knows (WeChat counts per mini program, across every tool).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, specta::Type)]
pub struct LedgerQuota {
    /// Schemes WeChat issued to our calls (errcode 0), ever.
    pub lifetime_issued: i64,
    /// The same, since `day_start_ms`.
    pub today_issued: i64,
    /// Calls whose answer never arrived: each may have used one unit of quota.
    pub unanswered_calls: i64,
    /// The most recent quota error (44990 / 44993 / 85400) and when it came (unix ms).
    pub last_quota_errcode: Option<i64>,
    pub last_quota_error_at: Option<i64>,
}

/// A derived sn (`scheme_derived`, migration 0010): `sn` stands in for `derived_from`, whose scheme WeChat
/// issued but will not return (`reason`: `lost` or `used_elsewhere`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct DerivedSn {
    pub model_id: String,
    pub sn: String,
    pub derived_from: String,
    pub reason: String,
    pub created_at: i64,
}

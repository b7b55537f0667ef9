//! [`SchemeService`]: "find or generate" the NFC scheme of a tag, with the ledger in SQLite.
//!
//! # Why this is crash-safe
//!
//! A scheme is issued once per (model_id, sn), ever; afterwards WeChat answers 9800010. So the two
//! dangers are (a) losing an openlink WeChat returned, and (b) calling generatenfcscheme again for an sn
//! whose first call may have succeeded. The ledger row of an sn moves through these states, each move
//! one committed SQLite transaction:
//!
//! ```text
//!  (none) ──record──▶ pending ──begin call (CAS)──▶ in_flight ──errcode 0──▶ issued      (openlink + call, one txn)
//!                        ▲                            │        ──9800010──▶ recovered   (openlink from errmsg)
//!                        └──── definite error ────────┤                 └─▶ used_elsewhere / lost (no URL)
//!                                                     └─ no answer ──▶ unknown
//! ```
//!
//! * The row is written before anything is sent (`pending`), and moved to `in_flight` (with a call
//!   record) right before the request leaves. A process killed before that leaves `pending`: nothing was
//!   sent, so a later request calls normally — exactly one call in all.
//! * The openlink is written in the same transaction that records the answer, synced to disk
//!   (`synchronous=FULL`). Killed after the commit: the next request finds it in the ledger (no call).
//! * Killed between "begin call" and the commit (the request may or may not have reached WeChat, the
//!   answer may have been lost): the row stays `in_flight`, owned by the dead process's database handle
//!   (`in_flight_owner`; its OS file lock is gone, see tapstand-store's `owner`). [`SchemeService::get_or_generate`]
//!   never calls for such a row: it reports the outcome as unknown. [`SchemeService::get_or_recover`] — what the station
//!   uses at every tap — and the merchant's explicit "找回链接" ([`SchemeService::resolve`]) call
//!   generatenfcscheme once more, relying on WeChat's own uniqueness: if the first call created the
//!   scheme, the answer is 9800010 with that openlink in errmsg (recovered, and checked with queryscheme);
//!   if it did not, the answer is a first and only scheme. Either way WeChat holds at most one scheme for
//!   the sn, and the ledger ends up holding it. A call that goes unanswered during a request is not
//!   repeated in that same request (the network is likely down); the tag's next tap recovers it.
//! * A timeout or dropped connection in a live process is the same case: the row becomes `unknown`.
//! * An error answer (40165, 85079, 44993, …) means WeChat created nothing: the row returns to `pending`.
//! * An `in_flight` row whose owner is alive and younger than the lease (longer than the client's overall
//!   timeout) belongs to a call still running in another process: it is reported as in progress, never
//!   taken over.
//! * Each row records the API its calls went to (`api_base`): a release build writes only links from the
//!   official API to tags (tapstand-station).
//! * Two callers in one process are serialised per (model_id, sn); across processes, the
//!   `pending → in_flight` compare-and-set lets exactly one of them send.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tapstand_error::UserError;
use tapstand_store::ledger::{
    ExistingOutcome, LedgerQuota, NewSchemeRequest, SchemeRow, SchemeState,
};
use tapstand_store::{Db, StoreError};

use crate::client::{NfcSchemeRequest, WechatClient};
use crate::error::{ApiErrorKind, NfcCode, WechatError};
use crate::failpoint::failpoint;
use crate::validate::Warning;

/// WeChat's long-term quota of NFC schemes per mini program (reference §2, observed).
pub const LIFETIME_LIMIT: i64 = 100_000;
/// Schemes + URL Links per day (44993).
pub const DAILY_LIMIT: i64 = 500_000;
/// Default lease of an `in_flight` row: well above the client's overall timeout (30 s).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(120);

/// What to generate. `sn` empty means 一型一码 (no sn sent).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SchemeRequest {
    pub model_id: String,
    pub sn: String,
    pub path: Option<String>,
    pub query: Option<String>,
    /// `release` when absent.
    pub env_version: Option<String>,
}

/// Where the openlink came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SchemeSource {
    /// Already in the ledger: no call was made.
    Ledger,
    /// WeChat issued it now (errcode 0).
    Generated,
    /// 9800010 after a call of ours whose answer was lost: the openlink from errmsg.
    Recovered,
    /// 9800010 for an sn we had not used: another tool generated it; the openlink from errmsg.
    Adopted,
}

#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct SchemeOutcome {
    pub openlink: String,
    pub source: SchemeSource,
    pub row: SchemeRow,
    pub warnings: Vec<Warning>,
}

/// The most derived sns one tag may get (`<sn>-2` … `<sn>-9`) before the station gives up.
pub const MAX_DERIVED_SN: u32 = 9;

/// The `n`-th derived sn of `base` (n ≥ 2): `<base>-<n>` (WeChat's sn alphabet allows `-`).
pub fn derived_sn(base: &str, n: u32) -> String {
    format!("{base}-{n}")
}

/// A tag's sn was used up (its link issued but not returned): the sn it got instead, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct Derivation {
    pub sn: String,
    pub derived_from: String,
    /// `lost` or `used_elsewhere`.
    pub reason: String,
}

/// Quota use for the mini program, as far as this computer knows.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct QuotaReport {
    pub appid: String,
    pub lifetime_issued: i64,
    pub lifetime_limit: i64,
    pub today_issued: i64,
    pub daily_limit: i64,
    /// Calls whose answer never arrived (each may have used quota).
    pub unanswered_calls: i64,
    pub last_quota_errcode: Option<i64>,
    pub last_quota_error_at: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum SchemeError {
    #[error(transparent)]
    Wechat(#[from] WechatError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("model_id {model_id} sn {sn:?}: a call's answer never arrived; resolve it explicitly")]
    OutcomeUnknown { model_id: String, sn: String },
    #[error("model_id {model_id} sn {sn:?}: a call is in progress (since {since_ms})")]
    InProgress {
        model_id: String,
        sn: String,
        since_ms: i64,
    },
    #[error("model_id {model_id} sn {sn:?}: the scheme was generated elsewhere and WeChat did not return it")]
    UsedElsewhere { model_id: String, sn: String },
    #[error("model_id {model_id} sn {sn:?}: WeChat issued a scheme whose answer was lost and did not return it")]
    Lost { model_id: String, sn: String },
    #[error("model_id {model_id} sn {sn:?}: nothing to resolve (no ledger row)")]
    NothingToResolve { model_id: String, sn: String },
}

/// Serialises callers for one (model_id, sn) within the process.
type KeyLock = Arc<tokio::sync::Mutex<()>>;

pub struct SchemeService {
    client: Arc<WechatClient>,
    db: Db,
    lease: Duration,
    locks: Mutex<HashMap<(String, String), KeyLock>>,
}

/// Start of WeChat's day (midnight China time, UTC+8) containing `now_ms`.
pub fn china_day_start_ms(now_ms: i64) -> i64 {
    const DAY: i64 = 86_400_000;
    const OFFSET: i64 = 8 * 3_600_000;
    (now_ms + OFFSET).div_euclid(DAY) * DAY - OFFSET
}

fn now_ms() -> i64 {
    tapstand_store::now_ms()
}

impl SchemeService {
    pub fn new(client: Arc<WechatClient>, db: Db) -> SchemeService {
        SchemeService {
            client,
            db,
            lease: DEFAULT_LEASE,
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// How long an `in_flight` row is presumed to belong to a live call (tests shorten it).
    pub fn with_lease(mut self, lease: Duration) -> SchemeService {
        self.lease = lease;
        self
    }

    pub fn client(&self) -> &WechatClient {
        &self.client
    }

    async fn key_lock(&self, model_id: &str, sn: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let m = {
            let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            locks.retain(|_, m| Arc::strong_count(m) > 1);
            locks
                .entry((model_id.to_string(), sn.to_string()))
                .or_default()
                .clone()
        };
        m.lock_owned().await
    }

    fn nfc_request(row: &SchemeRow) -> NfcSchemeRequest {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        NfcSchemeRequest {
            model_id: row.model_id.clone(),
            sn: opt(&row.sn),
            path: opt(&row.path),
            query: opt(&row.query),
            env_version: Some(row.env_version.clone()),
        }
    }

    /// The openlink for (model_id, sn): from the ledger, or generated now (recorded first, stored with
    /// the answer). Never calls WeChat for an sn whose earlier call's outcome is unknown.
    pub async fn get_or_generate(&self, req: &SchemeRequest) -> Result<SchemeOutcome, SchemeError> {
        let env = req.env_version.clone().unwrap_or_else(|| "release".into());
        let nfc = NfcSchemeRequest {
            model_id: req.model_id.clone(),
            sn: (!req.sn.is_empty()).then(|| req.sn.clone()),
            path: req.path.clone(),
            query: req.query.clone(),
            env_version: Some(env.clone()),
        };
        // Invalid requests are refused before anything is recorded.
        let mut warnings = nfc.validate()?;
        let _key = self.key_lock(&req.model_id, &req.sn).await;
        if let Some(row) = self.db.scheme_find(&req.model_id, &req.sn).await? {
            if row.state != SchemeState::Pending {
                return self.answer_from_ledger(row, Some(req), warnings).await;
            }
        }
        failpoint("scheme.before_record");
        let row = self
            .db
            .scheme_record_request(&NewSchemeRequest {
                api_base: self.client.base_url(),
                appid: self.client.appid(),
                model_id: &req.model_id,
                sn: &req.sn,
                path: req.path.as_deref().unwrap_or(""),
                query: req.query.as_deref().unwrap_or(""),
                env_version: &env,
            })
            .await?;
        if row.state != SchemeState::Pending {
            // Another process recorded and moved it meanwhile.
            return self.answer_from_ledger(row, Some(req), warnings).await;
        }
        tracing::info!(model_id = %row.model_id, sn = %row.sn, "scheme request recorded");
        failpoint("scheme.after_record");
        warnings.extend(self.quota_warnings().await?);
        self.call(row, false, warnings).await
    }

    /// The merchant's explicit "找回链接" for an sn whose call left the outcome unknown: calls
    /// generatenfcscheme once more, with the parameters recorded for the first call. 9800010 with the
    /// openlink recovers it; errcode 0 means the first call never created one.
    pub async fn resolve(&self, model_id: &str, sn: &str) -> Result<SchemeOutcome, SchemeError> {
        let _key = self.key_lock(model_id, sn).await;
        let Some(row) = self.db.scheme_find(model_id, sn).await? else {
            return Err(SchemeError::NothingToResolve {
                model_id: model_id.into(),
                sn: sn.into(),
            });
        };
        let alive = row.state == SchemeState::InFlight && self.call_alive(&row).await;
        match row.state {
            SchemeState::Unknown => self.call(row, true, Vec::new()).await,
            SchemeState::InFlight if !alive => self.call(row, true, Vec::new()).await,
            SchemeState::Pending => self.call(row, false, Vec::new()).await,
            _ => self.answer_from_ledger(row, None, Vec::new()).await,
        }
    }

    /// What the station does at a tap: the ledger's link, or a first scheme, or — for an sn whose earlier
    /// call left the outcome unknown (no answer came, or the process that sent it died) — one more call
    /// that WeChat answers with the existing link (9800010) or a first one. A call that goes unanswered
    /// during this very request is not repeated at once (the network is likely down): the next tap of
    /// the tag recovers it.
    pub async fn get_or_recover(&self, req: &SchemeRequest) -> Result<SchemeOutcome, SchemeError> {
        let recover = match self.db.scheme_find(&req.model_id, &req.sn).await? {
            Some(row) => match row.state {
                SchemeState::Unknown => true,
                SchemeState::InFlight => !self.call_alive(&row).await,
                _ => false,
            },
            None => false,
        };
        if recover {
            tracing::info!(model_id = %req.model_id, sn = %req.sn, "recovering the outcome of an unanswered call");
            let mut out = self.resolve(&req.model_id, &req.sn).await?;
            if !out.warnings.iter().any(|w| w.code == "scheme.differs") {
                out.warnings.extend(differs_warning(&out.row, req));
            }
            return Ok(out);
        }
        self.get_or_generate(req).await
    }

    /// [`SchemeService::get_or_recover`] for a tag in 一机一码, where the sn is the tag's UID and must give a
    /// link: when WeChat issued that sn's scheme but will never return it (9800010 without the URL: `lost`,
    /// or `used_elsewhere`), the tag gets a derived sn instead, `<sn>-2` (then `-3`, … up to
    /// [`MAX_DERIVED_SN`]), recorded in the ledger as derived from `base_sn` (`scheme_derived`) before any
    /// call. `request(sn)` builds the request for an sn (its query may name the sn). The walk is
    /// deterministic, so every later tap finds the same derived row in the ledger without a call.
    pub async fn get_or_derive(
        &self,
        base_sn: &str,
        request: impl Fn(&str) -> SchemeRequest,
    ) -> Result<(SchemeOutcome, Option<Derivation>), SchemeError> {
        let mut sn = base_sn.to_string();
        let mut derivation = None;
        for n in 2..=MAX_DERIVED_SN + 1 {
            let req = request(&sn);
            let reason = match self.get_or_recover(&req).await {
                Ok(out) => return Ok((out, derivation)),
                Err(SchemeError::Lost { .. }) if !base_sn.is_empty() => "lost",
                Err(SchemeError::UsedElsewhere { .. }) if !base_sn.is_empty() => "used_elsewhere",
                Err(e) => return Err(e),
            };
            if n > MAX_DERIVED_SN {
                break;
            }
            let next = derived_sn(base_sn, n);
            self.db
                .scheme_record_derived(&req.model_id, &next, base_sn, reason)
                .await?;
            tracing::warn!(model_id = %req.model_id, sn = %sn, derived = %next, reason, "the sn's link cannot be had from WeChat: deriving a new sn for the tag");
            derivation = Some(Derivation {
                sn: next.clone(),
                derived_from: base_sn.to_string(),
                reason: reason.to_string(),
            });
            sn = next;
        }
        Err(SchemeError::Lost {
            model_id: request(base_sn).model_id,
            sn: base_sn.to_string(),
        })
    }

    /// The sn whose ledger row holds this tag's link: `base_sn`, or — when its scheme was lost or used
    /// elsewhere — the first derived sn ([`derived_sn`]) that is not, with its row (`None`: not recorded
    /// yet). Reads the ledger only.
    pub async fn effective_sn(
        db: &Db,
        model_id: &str,
        base_sn: &str,
    ) -> Result<(String, Option<SchemeRow>), StoreError> {
        let mut sn = base_sn.to_string();
        for n in 2..=MAX_DERIVED_SN + 1 {
            let row = db.scheme_find(model_id, &sn).await?;
            let used_up = row
                .as_ref()
                .is_some_and(|r| matches!(r.state, SchemeState::Lost | SchemeState::UsedElsewhere));
            if !used_up || base_sn.is_empty() || n > MAX_DERIVED_SN {
                return Ok((sn, row));
            }
            sn = derived_sn(base_sn, n);
        }
        unreachable!("the loop returns at n > MAX_DERIVED_SN")
    }

    fn lease_expired(&self, row: &SchemeRow) -> bool {
        row.in_flight_since
            .is_none_or(|t| t + self.lease.as_millis() as i64 <= now_ms())
    }

    /// An `in_flight` row's call may still be running: within its lease, and its owner (the process that
    /// sent it) is alive. Rows from before owners were recorded go by the lease alone.
    async fn call_alive(&self, row: &SchemeRow) -> bool {
        if self.lease_expired(row) {
            return false;
        }
        match row.in_flight_owner.as_deref() {
            Some(owner) => self.db.owner_alive(owner).await,
            None => true,
        }
    }

    /// The owner of an `in_flight` row whose process is gone (it may be taken over at once).
    async fn dead_owner(&self, row: &SchemeRow) -> Option<String> {
        let owner = row.in_flight_owner.clone()?;
        (row.state == SchemeState::InFlight && !self.db.owner_alive(&owner).await).then_some(owner)
    }

    /// A row found in the ledger, other than `pending`.
    async fn answer_from_ledger(
        &self,
        row: SchemeRow,
        req: Option<&SchemeRequest>,
        mut warnings: Vec<Warning>,
    ) -> Result<SchemeOutcome, SchemeError> {
        let (model_id, sn) = (row.model_id.clone(), row.sn.clone());
        let alive = row.state == SchemeState::InFlight && self.call_alive(&row).await;
        match row.state {
            SchemeState::Issued | SchemeState::Recovered => {
                if let Some(req) = req {
                    warnings.extend(differs_warning(&row, req));
                }
                let openlink = row.openlink.clone().unwrap_or_default();
                Ok(SchemeOutcome {
                    openlink,
                    source: SchemeSource::Ledger,
                    row,
                    warnings,
                })
            }
            SchemeState::InFlight if alive => Err(SchemeError::InProgress {
                model_id,
                sn,
                since_ms: row.in_flight_since.unwrap_or(0),
            }),
            SchemeState::InFlight | SchemeState::Unknown => {
                Err(SchemeError::OutcomeUnknown { model_id, sn })
            }
            SchemeState::UsedElsewhere => Err(SchemeError::UsedElsewhere { model_id, sn }),
            SchemeState::Lost => Err(SchemeError::Lost { model_id, sn }),
            SchemeState::Pending => Err(SchemeError::OutcomeUnknown { model_id, sn }),
        }
    }

    /// One generate call for a recorded row: begin (CAS) → send → store the answer.
    async fn call(
        &self,
        row: SchemeRow,
        resolve: bool,
        warnings: Vec<Warning>,
    ) -> Result<SchemeOutcome, SchemeError> {
        let stale_before = now_ms() - self.lease.as_millis() as i64;
        let dead_owner = self.dead_owner(&row).await;
        let Some(call_id) = self
            .db
            .scheme_begin_call(
                row.id,
                resolve,
                stale_before,
                dead_owner.as_deref(),
                self.client.base_url(),
            )
            .await?
        else {
            let row = self.db.scheme_get(row.id).await?.unwrap_or(row);
            return self.answer_from_ledger(row, None, warnings).await;
        };
        failpoint("scheme.after_begin");
        let nfc = Self::nfc_request(&row);
        let result = self.client.generate_nfc_scheme(&nfc).await;
        failpoint("scheme.after_response");
        let (model_id, sn) = (row.model_id.clone(), row.sn.clone());
        match result {
            Ok(openlink) => {
                let stored = self
                    .db
                    .scheme_finish_issued(row.id, call_id, &openlink)
                    .await?;
                failpoint("scheme.after_commit");
                let row = self.db.scheme_get(row.id).await?.unwrap_or(row);
                if !stored && row.openlink.as_deref() != Some(openlink.as_str()) {
                    // Cannot happen while WeChat keeps one scheme per sn; keep both visible for support.
                    tracing::error!(model_id = %model_id, sn = %sn, new = %openlink, kept = ?row.openlink, "ledger already held another openlink");
                }
                tracing::info!(model_id = %model_id, sn = %sn, openlink = %openlink, "scheme stored in the ledger");
                let openlink = row.openlink.clone().unwrap_or(openlink);
                Ok(SchemeOutcome {
                    openlink,
                    source: SchemeSource::Generated,
                    row,
                    warnings,
                })
            }
            Err(WechatError::Api(api))
                if matches!(api.kind, ApiErrorKind::Nfc(NfcCode::AlreadyExists { .. })) =>
            {
                let ApiErrorKind::Nfc(NfcCode::AlreadyExists { openlink }) = &api.kind else {
                    unreachable!()
                };
                let own = self.db.scheme_had_unanswered_call(row.id, call_id).await?;
                let outcome = match (openlink, own) {
                    (Some(_), own) => ExistingOutcome::Recovered { own },
                    (None, true) => ExistingOutcome::Lost,
                    (None, false) => ExistingOutcome::UsedElsewhere,
                };
                self.db
                    .scheme_finish_existing(
                        row.id,
                        call_id,
                        outcome,
                        openlink.as_deref(),
                        &api.errmsg,
                    )
                    .await?;
                failpoint("scheme.after_commit");
                let Some(link) = openlink.clone() else {
                    tracing::warn!(model_id = %model_id, sn = %sn, own, "9800010 without the existing URL");
                    return Err(if own {
                        SchemeError::Lost { model_id, sn }
                    } else {
                        SchemeError::UsedElsewhere { model_id, sn }
                    });
                };
                tracing::info!(model_id = %model_id, sn = %sn, openlink = %link, own, "existing scheme recovered from 9800010");
                self.verify(&row, &link).await;
                let row = self.db.scheme_get(row.id).await?.unwrap_or(row);
                let mut warnings = warnings;
                warnings.extend(differs_warning(
                    &row,
                    &SchemeRequest {
                        model_id: row.model_id.clone(),
                        sn: row.sn.clone(),
                        path: Some(row.path.clone()),
                        query: Some(row.query.clone()),
                        env_version: Some(row.env_version.clone()),
                    },
                ));
                let source = if own {
                    SchemeSource::Recovered
                } else {
                    SchemeSource::Adopted
                };
                Ok(SchemeOutcome {
                    openlink: link,
                    source,
                    row,
                    warnings,
                })
            }
            Err(e) if e.outcome_unknown() => {
                self.db
                    .scheme_finish_unknown(row.id, call_id, &e.to_string())
                    .await?;
                tracing::warn!(model_id = %model_id, sn = %sn, error = %e, "generate call without an answer: outcome unknown");
                Err(SchemeError::OutcomeUnknown { model_id, sn })
            }
            Err(e) => {
                self.db
                    .scheme_finish_failed(row.id, call_id, e.errcode(), &e.to_string())
                    .await?;
                Err(e.into())
            }
        }
    }

    /// Asks queryscheme what a recovered scheme opens and stores it (best effort: the openlink is
    /// already committed).
    async fn verify(&self, row: &SchemeRow, openlink: &str) {
        match self.client.query_scheme(openlink).await {
            Ok(q) => {
                let i = &q.scheme_info;
                if let Err(e) = self
                    .db
                    .scheme_set_wechat_info(
                        row.id,
                        &i.path,
                        &i.query,
                        &i.env_version,
                        i.create_time,
                    )
                    .await
                {
                    tracing::warn!(error = %e, "could not store the queryscheme answer");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "queryscheme failed; the recovered openlink is kept unchecked")
            }
        }
    }

    async fn quota_warnings(&self) -> Result<Vec<Warning>, SchemeError> {
        let q = self
            .db
            .scheme_quota(self.client.appid(), china_day_start_ms(now_ms()))
            .await?;
        let mut w = Vec::new();
        if q.lifetime_issued >= LIFETIME_LIMIT * 9 / 10 {
            w.push(Warning {
                code: "quota.lifetime_high".into(),
                zh: format!("本机已为该小程序生成 {} 个长期有效链接，接近 10 万个的上限。", q.lifetime_issued),
                en: format!(
                    "This computer has generated {} permanent links for this mini program, close to the 100,000 limit.",
                    q.lifetime_issued
                ),
            });
        }
        Ok(w)
    }

    /// Quota use for this mini program as recorded in the ledger.
    pub async fn quota(&self) -> Result<QuotaReport, SchemeError> {
        Ok(ledger_quota(&self.db, self.client.appid()).await?)
    }
}

/// Quota use for the mini program `appid` as the ledger records it (every PC of a team records in the same
/// ledger); needs no AppSecret.
pub async fn ledger_quota(db: &Db, appid: &str) -> Result<QuotaReport, StoreError> {
    {
        let q: LedgerQuota = db.scheme_quota(appid, china_day_start_ms(now_ms())).await?;
        Ok(QuotaReport {
            appid: appid.to_string(),
            lifetime_issued: q.lifetime_issued,
            lifetime_limit: LIFETIME_LIMIT,
            today_issued: q.today_issued,
            daily_limit: DAILY_LIMIT,
            unanswered_calls: q.unanswered_calls,
            last_quota_errcode: q.last_quota_errcode,
            last_quota_error_at: q.last_quota_error_at,
        })
    }
}

fn norm_path(p: &str) -> &str {
    p.strip_prefix('/').unwrap_or(p)
}

/// A warning when the stored scheme opens something else than `req` asks for (a scheme cannot be
/// changed: WeChat answers 9800010 regardless of path, query or env_version).
fn differs_warning(row: &SchemeRow, req: &SchemeRequest) -> Option<Warning> {
    let path = row.wx_path.as_deref().unwrap_or(&row.path);
    let query = row.wx_query.as_deref().unwrap_or(&row.query);
    let env = row
        .wx_env_version
        .as_deref()
        .filter(|e| !e.is_empty())
        .unwrap_or(&row.env_version);
    let want_path = req.path.as_deref().unwrap_or("");
    let want_query = req.query.as_deref().unwrap_or("");
    let want_env = req.env_version.as_deref().unwrap_or("release");
    if norm_path(path) == norm_path(want_path) && query == want_query && env == want_env {
        return None;
    }
    Some(Warning {
        code: "scheme.differs".into(),
        zh: format!(
            "这个 sn 已有的链接打开的是 页面“{path}” 参数“{query}”（{env}），与本次要求的 页面“{want_path}” 参数“{want_query}”（{want_env}）不同。微信不允许修改已生成的链接；如需新的目标，请换一个新的 sn。"
        ),
        en: format!(
            "The existing link of this sn opens page {path:?} query {query:?} ({env}), not page {want_path:?} query {want_query:?} ({want_env}). WeChat does not allow changing a link; use a new sn for a new target."
        ),
    })
}

impl From<crate::validate::ValidationError> for SchemeError {
    fn from(e: crate::validate::ValidationError) -> SchemeError {
        SchemeError::Wechat(WechatError::Invalid(e))
    }
}

impl From<SchemeError> for UserError {
    fn from(e: SchemeError) -> UserError {
        let detail = e.to_string();
        match e {
            SchemeError::Wechat(w) => w.into(),
            SchemeError::Store(s) => s.into(),
            SchemeError::OutcomeUnknown { sn, .. } => UserError::new(
                "scheme.outcome_unknown",
                (
                    &format!("上次为标签 {sn} 生成 NFC 链接时没有收到微信的回复，不确定是否已经生成。"),
                    "网络恢复后把这张标签再放到读卡器上：Tapstand 会再问一次微信，已经生成的话就取回原来的链接（不会生成第二个）。也可以在“记录”里点“找回链接”（命令行：tapstand-cli scheme --resolve …）。",
                ),
                (
                    &format!("The last NFC link request for tag {sn} got no answer from WeChat; it may or may not have been generated."),
                    "When the network is back, put the tag on the reader again: Tapstand asks WeChat once more and takes back the existing link if there is one (never a second one). Or use \"Recover link\" in History (CLI: tapstand-cli scheme --resolve …).",
                ),
            )
            .with_detail(detail),
            SchemeError::InProgress { sn, .. } => UserError::new(
                "scheme.in_progress",
                (
                    &format!("另一个 Tapstand 窗口或程序正在为标签 {sn} 向微信请求链接。"),
                    "请等它完成后再把标签放上来；如果那个程序已经关闭，现在再放一次即可。",
                ),
                (
                    &format!("Another Tapstand window or program is asking WeChat for the link of tag {sn}."),
                    "Wait for it to finish, then put the tag down again; if that program has closed, just tap again now.",
                ),
            )
            .with_detail(detail),
            SchemeError::UsedElsewhere { sn, .. } => UserError::new(
                "scheme.used_elsewhere",
                (
                    &format!("标签编号 {sn} 已在别处（其他工具或电脑）生成过 NFC 链接，微信没有返回原链接。"),
                    "这个编号无法再使用。请为这个标签换一个新的 sn；如果原链接保存在别的工具里，也可以从那里取回。",
                ),
                (
                    &format!("Tag number {sn} already got an NFC link elsewhere (another tool or computer), and WeChat did not return it."),
                    "This number cannot be used again. Use a new sn for this tag, or take the link from the other tool.",
                ),
            )
            .with_detail(detail),
            SchemeError::Lost { sn, .. } => UserError::new(
                "scheme.lost",
                (
                    &format!("微信已为标签 {sn} 生成了链接，但回复在网络中丢失，微信也不再返回它。"),
                    "这个编号无法再使用。请为这个标签换一个新的 sn。",
                ),
                (
                    &format!("WeChat generated the link for tag {sn}, but the answer was lost and WeChat does not return it again."),
                    "This number cannot be used again. Use a new sn for this tag.",
                ),
            )
            .with_detail(detail),
            SchemeError::NothingToResolve { sn, .. } => UserError::new(
                "scheme.nothing_to_resolve",
                (&format!("台账中没有标签 {sn} 的记录，无需找回。"), "直接生成即可。"),
                (&format!("The ledger has no record of tag {sn}; there is nothing to recover."), "Generate it normally."),
            )
            .with_detail(detail),
        }
    }
}

//! The stand after the write: 巡检 (audit a store's stands), 换标签 (replace a stand's tag with the same
//! link, no link spent), re-pointing a stand to another target (a new link; the old one retired), and the
//! quota guard that refuses a generate the mini program's lifetime quota cannot cover.
//!
//! The functions that touch a tag block (PC/SC): call them off the async workers (`spawn_blocking`); they
//! reach the database through the runtime they are called from, like the write station.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use tapstand_error::UserError;
use tapstand_station::audit::{self, AuditEntry, AuditReport, AuditScope, AuditVerdict};
use tapstand_station::{random_uid, resolve_target, TargetChoice};
use tapstand_store::now_ms;
use tapstand_store::records::{DeviceModel, Profile, Store};
use tapstand_store::stand::{AuditRow, RetiredLink, RetiredTag};
use tapstand_store::station::{StationAttempt, StationTag};
use tapstand_tag::ndef::wechat::wechat_message;
use tapstand_tag::{PcscTransport, TagReport, TagSession, WriteOptions};
use tapstand_wechat::{QuotaReport, SchemeRequest, SchemeService};

use crate::{CheckWith, Core};

/// The reasons 换标签 records.
pub const REPLACE_REASONS: [&str; 4] = ["broken", "lost", "tampered", "other"];

/// What 换标签 did.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct Replaced {
    pub old_uid: String,
    pub new_uid: String,
    pub openlink: String,
    pub target_label: String,
    pub locked: bool,
    /// The new tag already held the link (a second run after a stop): nothing was written.
    pub unchanged: bool,
}

/// What re-pointing did.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct Repointed {
    pub uid: String,
    pub old_openlink: String,
    pub old_target_label: String,
    pub openlink: String,
    pub target_label: String,
    /// `pool` (claimed from the target's pool) or `generated`/`ledger`/`recovered` (the scheme service).
    pub source: String,
    pub sn: String,
    pub locked: bool,
    /// Plain words: the old link still opens the old page forever.
    pub warning_zh: String,
    pub warning_en: String,
}

fn usage(code: &str, zh: (&str, &str), en: (&str, &str)) -> UserError {
    UserError::new(code, zh, en)
}

impl Core {
    /// The store being audited, with its terminals.
    async fn audit_scope(&self, store: &Store) -> Result<AuditScope, UserError> {
        let terminal_ids = tapstand_records::list_terminals(&self.db, "", true)
            .await?
            .into_iter()
            .filter(|t| t.store_id == Some(store.id))
            .map(|t| t.id)
            .collect();
        Ok(AuditScope {
            store_id: store.id,
            store_label: format!("门店 {} {}", store.org_code, store.name),
            terminal_ids,
        })
    }

    /// Every stand the register holds (the tags in service).
    async fn register_stands(&self) -> Result<Vec<StationTag>, UserError> {
        let mut all = Vec::new();
        self.db
            .station_tags_for_each(|t| {
                all.push(t);
                Ok::<(), UserError>(())
            })
            .await?;
        Ok(all)
    }

    /// Starts a 巡检 of `store` (机构编号, name or id): recorded now, with the stands the register knows.
    pub async fn audit_start(&self, store: &str, operator: &str) -> Result<AuditReport, UserError> {
        let store = crate::lookup::store(&self.db, store).await?;
        let scope = self.audit_scope(&store).await?;
        let now = now_ms();
        let stands = self.register_stands().await?;
        let mut report = AuditReport::new(0, scope, operator.to_string(), &stands, now);
        let id = self
            .db
            .audit_insert(
                store.id,
                &report.scope.store_label,
                operator,
                &to_json(&report)?,
                now,
            )
            .await?;
        report.id = id;
        self.audit_save(&report).await?;
        Ok(report)
    }

    /// A 巡检 by id, or the most recent one still open.
    pub async fn audit_load(&self, id: Option<i64>) -> Result<AuditReport, UserError> {
        let Some(row) = self.db.audit_get(id).await? else {
            return Err(usage(
                "audit.not_found",
                ("没有找到这次巡检（或没有进行中的巡检）。", "请先开始巡检：选择门店后点“开始巡检”（命令行：audit start --store 门店）。"),
                ("No such audit (or no audit in progress).", "Start one first: pick the store and 开始巡检 (CLI: audit start --store STORE)."),
            ));
        };
        serde_json::from_str(&row.report).map_err(UserError::internal)
    }

    /// The 巡检 records, newest first.
    pub async fn audits(&self, limit: i64) -> Result<Vec<AuditRow>, UserError> {
        Ok(self.db.audit_list(limit).await?)
    }

    async fn audit_save(&self, report: &AuditReport) -> Result<(), UserError> {
        self.db
            .audit_update(report.id, &to_json(report)?, report.finished_at)
            .await?;
        Ok(())
    }

    /// One tap of a 巡检 (blocking): read the tag on `reader`, judge it against the register and the
    /// ledger, lock it when `lock` and the right link is on an unlocked tag, save the report.
    pub fn audit_tap(
        &self,
        report: &mut AuditReport,
        reader: Option<&str>,
        wait: Duration,
        lock: bool,
        with: &CheckWith,
    ) -> Result<AuditEntry, UserError> {
        let rt = tokio::runtime::Handle::current();
        let mut session = self.open_tag(reader, wait)?;
        let tag = session.read_tag().map_err(UserError::from)?;
        let mut entry = rt.block_on(self.audit_judge(report, &tag, with))?;
        if lock && entry.can_lock {
            self.audit_lock(&mut session, &tag, report, &mut entry, &rt)?;
        }
        report.push(entry.clone());
        rt.block_on(self.audit_save(report))?;
        Ok(entry)
    }

    /// The verdict for a tag already read (async part of [`Core::audit_tap`]).
    pub async fn audit_judge(
        &self,
        report: &AuditReport,
        tag: &TagReport,
        with: &CheckWith,
    ) -> Result<AuditEntry, UserError> {
        let insp = self.explain(tag, with).await?;
        let facts = audit::look_up_stand(&self.db, &insp).await?;
        Ok(audit::judge(&report.scope, &insp, &facts, now_ms()))
    }

    /// Locks a tag that holds its right link (the content is not rewritten: the message is identical, only
    /// the lock is set) and records it in 记录 and the register.
    fn audit_lock(
        &self,
        session: &mut TagSession<PcscTransport>,
        tag: &TagReport,
        report: &AuditReport,
        entry: &mut AuditEntry,
        rt: &tokio::runtime::Handle,
    ) -> Result<(), UserError> {
        let Some(link) = entry.expected.clone() else {
            return Ok(());
        };
        let msg = wechat_message(&link).map_err(UserError::internal)?;
        let t0 = std::time::Instant::now();
        let w = session
            .write_ndef(
                &msg,
                WriteOptions {
                    lock: true,
                    password_protect: false,
                },
            )
            .map_err(UserError::from)?;
        entry.locked_now = w.locked;
        entry.locked = w.locked;
        if w.locked {
            entry.verdict = AuditVerdict::Ok;
            entry.label = AuditVerdict::Ok.label();
            entry.found = tapstand_station::inspect::Bilingual::new(
                "链接正确，已在巡检时锁定。",
                "Right link, locked during the audit.",
            );
            entry.advice = tapstand_station::inspect::Bilingual::default();
            entry.can_lock = false;
        }
        let stand = rt
            .block_on(self.db.station_tags_by_uid(&entry.uid))?
            .into_iter()
            .find(|t| t.openlink == link && report.scope.covers(t.store_id, t.terminal_id));
        if let Some(t) = stand {
            let mut a = attempt_from(&t, tag, &report.operator, "already_correct", "audit");
            a.locked = w.locked;
            a.write_ms = t0.elapsed().as_millis() as i64;
            a.apdus = session.stats().apdus as i64;
            rt.block_on(self.record(&a))?;
        }
        Ok(())
    }

    /// [`Core::audit_tap`] on the audit `id` (blocking): the report after the tap.
    pub fn audit_tap_by_id(
        &self,
        id: i64,
        reader: Option<&str>,
        wait: Duration,
        lock: bool,
        with: &CheckWith,
    ) -> Result<AuditReport, UserError> {
        let rt = tokio::runtime::Handle::current();
        let mut report = rt.block_on(self.audit_load(Some(id)))?;
        if report.finished_at.is_some() {
            return Err(usage(
                "audit.finished",
                ("这次巡检已经结束。", "请开始一次新的巡检。"),
                ("This audit has ended.", "Start a new audit."),
            ));
        }
        self.audit_tap(&mut report, reader, wait, lock, with)?;
        Ok(report)
    }

    /// Ends a 巡检: the report is closed and, with `xlsx`, written there.
    pub async fn audit_finish(
        &self,
        report: &mut AuditReport,
        xlsx: Option<&Path>,
        english: bool,
    ) -> Result<(), UserError> {
        report.finished_at.get_or_insert_with(now_ms);
        self.audit_save(report).await?;
        if let Some(path) = xlsx {
            report.write_xlsx(path, english)?;
        }
        Ok(())
    }

    async fn record(&self, a: &StationAttempt) -> Result<(), UserError> {
        self.db.station_upsert_tag(a).await?;
        self.db.station_insert_attempt(a).await?;
        Ok(())
    }

    fn open_tag(
        &self,
        reader: Option<&str>,
        wait: Duration,
    ) -> Result<TagSession<PcscTransport>, UserError> {
        let mut pcsc = tapstand_tag::Pcsc::new();
        let mut s = pcsc.open(reader, wait).map_err(UserError::from)?;
        if let Some(k) = self.tag_secrets() {
            s = s.with_secrets(k);
        }
        Ok(s)
    }

    /// The stand the register holds for `uid` (its one row; `model_id` picks among several).
    pub async fn stand_by_uid(
        &self,
        uid: &str,
        model_id: Option<&str>,
    ) -> Result<StationTag, UserError> {
        let uid = uid.trim().to_ascii_uppercase();
        let mut rows: Vec<StationTag> = self
            .db
            .station_tags_by_uid(&uid)
            .await?
            .into_iter()
            .filter(|t| model_id.is_none_or(|m| t.model_id == m))
            .collect();
        match rows.len() {
            1 => Ok(rows.remove(0)),
            0 => {
                let retired = self.db.stand_retired_tags_by_uid(&uid).await?;
                Err(match retired.first() {
                    Some(r) => usage(
                        "stand.retired",
                        (&format!("UID {uid} 的标签已在换标签时换下，现在由 UID {} 的标签代替。", r.replaced_by), &format!("请用新标签的 UID（{}）。", r.replaced_by)),
                        (&format!("The tag with UID {uid} was retired by a replacement; the tag with UID {} serves the stand now.", r.replaced_by), &format!("Use the new tag's UID ({}).", r.replaced_by)),
                    ),
                    None => usage(
                        "stand.unknown",
                        (&format!("登记里没有 UID 为 {uid} 的立牌标签。"), "请在“记录”里找到这个立牌的 UID，或把旧标签放上读卡器用“检查标签”读出它的 UID。"),
                        (&format!("The register holds no stand tag with UID {uid}."), "Find the stand's UID in 记录 (History), or read the old tag with 检查标签 (Inspect)."),
                    ),
                })
            }
            _ => Err(usage(
                "stand.several_models",
                (
                    &format!("UID {uid} 在登记里有多个设备型号的记录。"),
                    "请指定设备型号（--model）。",
                ),
                (
                    &format!("UID {uid} is registered for several device models."),
                    "Name the device model (--model).",
                ),
            )),
        }
    }

    /// Retired tags, newest first (the register's "retired" list).
    pub async fn retired_tags(&self, limit: i64) -> Result<Vec<RetiredTag>, UserError> {
        Ok(self.db.stand_retired_tags(limit).await?)
    }

    /// 换标签 (blocking): the stand `old` now served by the tag on `reader`. The stand's own link is written
    /// onto the new tag (no WeChat call: the link is a URL, not tied to the chip), verified, optionally
    /// locked; the register moves the stand to the new UID and keeps the old one as retired (`reason`).
    /// Safe to run again after a stop: a new tag that already holds the link is not rewritten.
    pub fn replace_stand(
        &self,
        old: &StationTag,
        reason: &str,
        lock: bool,
        operator: &str,
        reader: Option<&str>,
        wait: Duration,
    ) -> Result<Replaced, UserError> {
        if !REPLACE_REASONS.contains(&reason) {
            return Err(usage(
                "stand.reason",
                (
                    &format!("换标签的原因“{reason}”不认识。"),
                    "请用 broken（损坏）、lost（丢失）、tampered（被改写）或 other（其他）。",
                ),
                (
                    &format!("Unknown replacement reason \"{reason}\"."),
                    "Use broken, lost, tampered or other.",
                ),
            ));
        }
        let rt = tokio::runtime::Handle::current();
        let mut session = self.open_tag(reader, wait)?;
        let t0 = std::time::Instant::now();
        let tag = session.read_tag().map_err(UserError::from)?;
        let new_uid = self.check_new_tag(&tag, old, lock, &rt)?;
        let msg = wechat_message(&old.openlink).map_err(UserError::internal)?;
        let w = session
            .write_ndef(
                &msg,
                WriteOptions {
                    lock,
                    password_protect: false,
                },
            )
            .map_err(UserError::from)?;
        let mut a = attempt_from(old, &tag, operator, "written", "replaced");
        a.uid = new_uid.clone();
        a.locked = w.locked;
        a.write_ms = t0.elapsed().as_millis() as i64;
        a.apdus = session.stats().apdus as i64;
        rt.block_on(async {
            self.record(&a).await?;
            self.db
                .stand_retire_tag(old, reason, &new_uid, operator, now_ms())
                .await
                .map_err(UserError::from)
        })?;
        tracing::info!(old = %old.uid, new = %new_uid, reason, "stand: tag replaced, same link");
        Ok(Replaced {
            old_uid: old.uid.clone(),
            new_uid,
            openlink: old.openlink.clone(),
            target_label: old.target_label.clone(),
            locked: w.locked,
            unchanged: w.unchanged,
        })
    }

    /// The new tag may take the stand: not the old tag itself, not a tag serving another stand, not a UID
    /// that changes at every tap, writable (and lockable when asked).
    fn check_new_tag(
        &self,
        tag: &TagReport,
        old: &StationTag,
        lock: bool,
        rt: &tokio::runtime::Handle,
    ) -> Result<String, UserError> {
        let Some(uid) = tag.uid.clone() else {
            return Err(tapstand_tag::TagError::Unsupported {
                name: tag.chip.name.clone(),
            }
            .into());
        };
        if uid == old.uid {
            return Err(usage(
                "stand.same_tag",
                ("读卡器上是要换下的旧标签本身。", "请放上新标签再试。"),
                (
                    "The tag on the reader is the old tag itself.",
                    "Put the new tag on the reader and try again.",
                ),
            ));
        }
        if random_uid(&uid) {
            return Err(tapstand_station::random_uid_refused(&uid, &tag.chip.name));
        }
        let serving = rt.block_on(self.db.station_tags_by_uid(&uid))?;
        if let Some(other) = serving
            .iter()
            .find(|t| t.model_id == old.model_id && t.openlink != old.openlink)
        {
            return Err(usage(
                "stand.new_tag_in_use",
                (
                    &format!(
                        "新标签 {uid} 已登记为另一个立牌（{}）的标签。",
                        other.target_label
                    ),
                    "请换一张没用过的新标签；如果要把它改到这个立牌，先对那个立牌做换标签。",
                ),
                (
                    &format!(
                        "The new tag {uid} is registered as another stand's tag ({}).",
                        other.target_label
                    ),
                    "Use an unused tag; to move it here, replace that stand's tag first.",
                ),
            ));
        }
        if lock && !tag.chip.kind.lockable() {
            return Err(tapstand_tag::TagError::CannotLock {
                name: tag.chip.name.clone(),
            }
            .into());
        }
        let holds_link = tag
            .wechat
            .as_ref()
            .and_then(|w| w.scheme.as_deref())
            .is_some_and(|s| s == old.openlink);
        if !tag.writable && !holds_link {
            return Err(tag.refusal().into());
        }
        Ok(uid)
    }

    /// Refuses, before any WeChat call, a generate of `asked` links that the lifetime or today's quota
    /// cannot cover; says how many are left.
    pub async fn quota_guard(
        &self,
        svc: &SchemeService,
        asked: u64,
    ) -> Result<QuotaReport, UserError> {
        let q = svc.quota().await?;
        quota_check(&q, asked)?;
        Ok(q)
    }

    /// Re-points the stand `stand` (blocking): a new link for `choice` (from its pool, or generated with
    /// the sn `<UID>-R<n>`) is written over the tag, verified and optionally locked; the stand's old link
    /// is retired (it still opens the old page forever). A locked tag is refused before any link is spent.
    #[allow(clippy::too_many_arguments)]
    pub fn repoint_stand(
        &self,
        stand: &StationTag,
        profile: &Profile,
        model: &DeviceModel,
        choice: &TargetChoice,
        from_pool: bool,
        lock: bool,
        operator: &str,
        reader: Option<&str>,
        wait: Duration,
    ) -> Result<Repointed, UserError> {
        let rt = tokio::runtime::Handle::current();
        let target = rt.block_on(resolve_target(&self.db, profile, model, choice))?;
        if target.model_id != stand.model_id {
            return Err(usage(
                "stand.other_model",
                (&format!("这个立牌的标签是设备型号 {} 的，不能改用设备型号 {} 的链接。", stand.model_id, target.model_id), "请选择这个立牌原来的设备型号。"),
                (&format!("This stand's tag belongs to device model {}; it cannot take a link of model {}.", stand.model_id, target.model_id), "Pick the stand's own device model."),
            ));
        }
        if target.key == stand.target {
            return Err(usage(
                "stand.same_target",
                (
                    &format!("这个立牌已经指向 {}。", stand.target_label),
                    "请选择另一个门店或终端。",
                ),
                (
                    &format!("This stand already opens {}.", stand.target_label),
                    "Pick another store or terminal.",
                ),
            ));
        }
        if !target.per_device() {
            return Err(crate::pool::check_poolable(&target).unwrap_err());
        }
        let mut session = self.open_tag(reader, wait)?;
        let t0 = std::time::Instant::now();
        let tag = session.read_tag().map_err(UserError::from)?;
        if tag.uid.as_deref() != Some(stand.uid.as_str()) {
            return Err(usage(
                "stand.not_this_tag",
                (
                    &format!(
                        "读卡器上的标签（{}）不是这个立牌的标签（{}）。",
                        tag.uid.as_deref().unwrap_or("?"),
                        stand.uid
                    ),
                    "请把要改指向的立牌放上读卡器。",
                ),
                (
                    &format!(
                        "The tag on the reader ({}) is not this stand's tag ({}).",
                        tag.uid.as_deref().unwrap_or("?"),
                        stand.uid
                    ),
                    "Put the stand to re-point on the reader.",
                ),
            ));
        }
        if !tag.writable {
            return Err(usage(
                "stand.locked",
                (
                    "这个立牌的标签已锁定（或有写保护），不能改写。",
                    "请用“换标签”换一张新标签，再对新标签改指向；锁定的旧标签请收回。",
                ),
                (
                    "This stand's tag is locked (or write-protected) and cannot be rewritten.",
                    "Replace the tag (换标签) and re-point the new one; take the locked tag back.",
                ),
            ));
        }
        if lock && !tag.chip.kind.lockable() {
            return Err(tapstand_tag::TagError::CannotLock {
                name: tag.chip.name.clone(),
            }
            .into());
        }
        let (link, sn, path, query, source) =
            rt.block_on(self.repoint_link(stand, profile, &target, from_pool))?;
        let msg = wechat_message(&link).map_err(UserError::internal)?;
        let w = session
            .write_ndef(
                &msg,
                WriteOptions {
                    lock,
                    password_protect: false,
                },
            )
            .map_err(UserError::from)?;
        let mut a = attempt_from(stand, &tag, operator, "written", "repointed");
        a.sn = sn.clone();
        a.openlink = Some(link.clone());
        a.target = target.key.clone();
        a.target_label = target.label.clone();
        a.store_id = target.store_id;
        a.terminal_id = target.terminal_id;
        a.path = path;
        a.query = query;
        a.locked = w.locked;
        a.write_ms = t0.elapsed().as_millis() as i64;
        a.apdus = session.stats().apdus as i64;
        rt.block_on(async {
            self.record(&a).await?;
            self.db
                .stand_retire_link(&RetiredLink {
                    id: 0,
                    model_id: stand.model_id.clone(),
                    sn: stand.sn.clone(),
                    openlink: stand.openlink.clone(),
                    target: stand.target.clone(),
                    target_label: stand.target_label.clone(),
                    uid: stand.uid.clone(),
                    new_openlink: link.clone(),
                    new_target: target.key.clone(),
                    new_target_label: target.label.clone(),
                    retired_at: now_ms(),
                    operator: operator.to_string(),
                })
                .await
                .map_err(UserError::from)
        })?;
        tracing::info!(uid = %stand.uid, from = %stand.target, to = %target.key, "stand: re-pointed");
        Ok(Repointed {
            uid: stand.uid.clone(),
            old_openlink: stand.openlink.clone(),
            old_target_label: stand.target_label.clone(),
            openlink: link,
            target_label: target.label.clone(),
            source,
            sn,
            locked: w.locked,
            warning_zh: format!(
                "旧链接 {} 不能删除也不能修改：它会永远打开 {} 的页面。请不要再打印或写入它。",
                stand.openlink, stand.target_label
            ),
            warning_en: format!(
                "The old link {} cannot be deleted or changed: it opens {}'s page forever. Do not print or write it again.",
                stand.openlink, stand.target_label
            ),
        })
    }

    /// The re-pointed stand's new link: claimed from the target's pool, or from the scheme service for the
    /// sn `<UID>-R<n>` (the first n whose ledger row is free or already asks for this page and query, so a
    /// re-point that stopped after generating reuses its link).
    async fn repoint_link(
        &self,
        stand: &StationTag,
        profile: &Profile,
        target: &tapstand_station::Target,
        from_pool: bool,
    ) -> Result<(String, String, String, String, String), UserError> {
        if from_pool {
            let host = tapstand_station::pool::host_name();
            let got = self
                .db
                .pool_claim(&target.model_id, &target.key, &stand.uid, &host, now_ms())
                .await?;
            let Some(l) = got else {
                return Err(tapstand_station::pool::pool_empty(&target.label));
            };
            let link = l
                .openlink
                .clone()
                .ok_or_else(|| UserError::internal("a claimed pool link has no openlink"))?;
            return Ok((link, l.sn, l.path, l.query, "pool".into()));
        }
        self.require_confirmed(target).await?;
        let svc = self.scheme_service(profile).await?;
        let mut sn = String::new();
        let mut query = String::new();
        for n in 1..=99u32 {
            let candidate = format!("{}-R{n}", stand.uid);
            let q = target
                .query_template
                .replace("{sn}", &candidate)
                .replace("{uid}", &stand.uid);
            match self.db.scheme_find(&target.model_id, &candidate).await? {
                None => {
                    self.quota_guard(&svc, 1).await?;
                }
                Some(r) if r.path == target.path && r.query == q => {}
                Some(_) => continue,
            }
            sn = candidate;
            query = q;
            break;
        }
        if sn.is_empty() {
            return Err(UserError::internal("no free re-point sn for this tag"));
        }
        let got = svc
            .get_or_recover(&SchemeRequest {
                model_id: target.model_id.clone(),
                sn: sn.clone(),
                path: (!target.path.is_empty()).then(|| target.path.clone()),
                query: (!query.is_empty()).then(|| query.clone()),
                env_version: Some(target.env_version.clone()),
            })
            .await?;
        if !tapstand_station::may_write_link_from(&got.row.api_base) {
            return Err(tapstand_station::not_official(&got.row.api_base));
        }
        Ok((
            got.openlink,
            sn,
            target.path.clone(),
            query,
            tapstand_station::stored::scheme_source(got.source).into(),
        ))
    }
}

/// The mini program's link quota as the 写卡 page and 设置 show it (numbers the UI can take: 32-bit).
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct QuotaView {
    pub appid: String,
    pub lifetime_issued: i32,
    pub lifetime_limit: i32,
    /// Links WeChat can still issue as far as the ledger knows (0 after an 85400).
    pub lifetime_left: i32,
    pub today_issued: i32,
    pub daily_limit: i32,
    /// Calls whose answer never arrived (each may have used a link; counted as used).
    pub unanswered_calls: i32,
    /// The most recent quota error (44990 / 44993 / 85400), if any.
    pub last_quota_errcode: Option<i32>,
    /// Below 10% of the lifetime quota left.
    pub low: bool,
}

impl QuotaView {
    pub fn of(q: &QuotaReport) -> QuotaView {
        let n = |v: i64| i32::try_from(v).unwrap_or(i32::MAX);
        let left = lifetime_left(q);
        QuotaView {
            appid: q.appid.clone(),
            lifetime_issued: n(q.lifetime_issued),
            lifetime_limit: n(q.lifetime_limit),
            lifetime_left: n(left),
            today_issued: n(q.today_issued),
            daily_limit: n(q.daily_limit),
            unanswered_calls: n(q.unanswered_calls),
            last_quota_errcode: q.last_quota_errcode.map(n),
            low: left * 10 < q.lifetime_limit,
        }
    }
}

impl Core {
    /// The link quota of a profile's mini program, from the ledger (no AppSecret needed).
    pub async fn quota_view(&self, profile: &Profile) -> Result<QuotaView, UserError> {
        let q = tapstand_wechat::ledger_quota(&self.db, &profile.appid).await?;
        Ok(QuotaView::of(&q))
    }
}

/// Links WeChat can still issue for the mini program, as far as the ledger knows (every PC of a team records
/// in the same ledger): the lifetime quota less the links issued and the calls whose answer never arrived (each
/// may have used one); none after WeChat answered 85400.
pub fn lifetime_left(q: &QuotaReport) -> i64 {
    if q.last_quota_errcode == Some(85400) {
        0
    } else {
        (q.lifetime_limit - q.lifetime_issued - q.unanswered_calls).max(0)
    }
}

/// [`Core::quota_guard`]'s rule (pure).
pub fn quota_check(q: &QuotaReport, asked: u64) -> Result<(), UserError> {
    let used = q.lifetime_issued + q.unanswered_calls;
    let lifetime_left = lifetime_left(q);
    if asked as i64 > lifetime_left {
        return Err(UserError::new(
            "quota.lifetime_not_enough",
            (
                &format!(
                    "小程序 {} 的长期有效链接额度只剩 {lifetime_left} 个（共 {} 个，已用 {used} 个，按本软件所有电脑的记录），不够生成 {asked} 个。没有向微信发出任何请求。",
                    q.appid, q.lifetime_limit
                ),
                "请只生成真正要写的数量；额度用完后（85400）微信不再发新链接：已写好的标签可以用“换标签”沿用原链接，不需要新链接。",
            ),
            (
                &format!(
                    "Mini program {} has {lifetime_left} permanent links left (of {}, {used} used, per every PC's records in this ledger): not enough for {asked}. Nothing was sent to WeChat.",
                    q.appid, q.lifetime_limit
                ),
                "Generate only as many as you will write; once the quota is used up (85400) WeChat issues no more: a broken stand can keep its link with 换标签 (replace), which needs no new link.",
            ),
        ));
    }
    let today_left = (q.daily_limit - q.today_issued).max(0);
    if asked as i64 > today_left || q.last_quota_errcode == Some(44993) && today_left == 0 {
        return Err(UserError::new(
            "quota.daily_not_enough",
            (
                &format!("今天只能再生成 {today_left} 个链接（每天 {} 个），不够 {asked} 个。没有向微信发出任何请求。", q.daily_limit),
                "请明天再生成，或减少数量。",
            ),
            (
                &format!("Only {today_left} more links can be generated today ({} a day): not enough for {asked}. Nothing was sent to WeChat.", q.daily_limit),
                "Generate the rest tomorrow, or fewer now.",
            ),
        ));
    }
    Ok(())
}

fn to_json(r: &AuditReport) -> Result<String, UserError> {
    serde_json::to_string(r).map_err(UserError::internal)
}

/// An attempt for 记录 from a stand's register row and the tag just read.
fn attempt_from(
    t: &StationTag,
    tag: &TagReport,
    operator: &str,
    result: &str,
    source: &str,
) -> StationAttempt {
    StationAttempt {
        started_at: now_ms(),
        uid: t.uid.clone(),
        chip: tag.chip.kind.stored_name().to_string(),
        model_id: t.model_id.clone(),
        sn: t.sn.clone(),
        openlink: Some(t.openlink.clone()),
        target: t.target.clone(),
        target_label: t.target_label.clone(),
        store_id: t.store_id,
        terminal_id: t.terminal_id,
        path: t.path.clone(),
        query: t.query.clone(),
        reader: tag.reader.clone(),
        operator: operator.to_string(),
        result: result.to_string(),
        scheme_source: Some(source.to_string()),
        locked: t.locked,
        genuine: tag.genuine,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(issued: i64, unanswered: i64, today: i64, last: Option<i64>) -> QuotaReport {
        QuotaReport {
            appid: "wx1".into(),
            lifetime_issued: issued,
            lifetime_limit: 100_000,
            today_issued: today,
            daily_limit: 500_000,
            unanswered_calls: unanswered,
            last_quota_errcode: last,
            last_quota_error_at: None,
        }
    }

    #[test]
    fn the_quota_guard_counts_issued_and_unanswered_calls() {
        assert!(quota_check(&q(99_990, 0, 0, None), 10).is_ok());
        let e = quota_check(&q(99_990, 0, 0, None), 11).unwrap_err();
        assert_eq!(e.code, "quota.lifetime_not_enough");
        assert!(e.zh.message.contains("只剩 10 个"), "{}", e.zh.message);
        // A call whose answer never arrived may have used a link.
        assert!(quota_check(&q(99_990, 1, 0, None), 10).is_err());
        // WeChat said 85400: nothing is left whatever the ledger counts.
        assert!(quota_check(&q(5, 0, 0, Some(85400)), 1).is_err());
        let e = quota_check(&q(0, 0, 499_999, None), 2).unwrap_err();
        assert_eq!(e.code, "quota.daily_not_enough");
        assert!(quota_check(&q(0, 0, 499_999, None), 1).is_ok());
    }
}

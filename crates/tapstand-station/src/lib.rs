//! Tapstand's write station (Tauri-free): the tap loop shared by the desktop app and `tapstand-cli`.
//!
//! ```text
//! Target (profile + model + store | 不区分门店 | terminal)
//!   └─ per tag: read UID + chip ─▶ tag already correct? ─▶ count it, no write
//!                               ─▶ holds another target's scheme? ─▶ ask (overwrite flag)
//!                               ─▶ scheme: ledger hit, or generated and COMMITTED (SchemeService)
//!                               ─▶ tear-safe write URI + AAR, read back, verify (+ optional lock)
//!                               ─▶ record: station_attempts (every tap) + station_tags (good tags)
//! ```
//! A tag pulled off mid-write gives `tag.removed` ("put it back"); the scheme is already in the ledger, so
//! the next tap writes the same scheme without a second generate call.
//!
//! The station's methods are blocking (PC/SC is blocking, one context per thread): run them on a worker
//! thread, outside the tokio runtime whose handle the station is given for the database and WeChat.
//!
//! Also here: [`inspect`] (the tag inspector 检查: what a tag is, in plain words, and "verify again"
//! against the records), [`history`] (记录: filtered pages with totals, the CSV export) and [`stored`]
//! (the exact words the station stores for its enums).

pub mod audit;
pub mod genuine;
pub mod history;
pub mod inspect;
pub mod pool;
pub mod register;
pub mod stored;
pub mod target;
pub mod worker;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tapstand_error::UserError;
use tapstand_store::station::StationAttempt;
use tapstand_store::{now_ms, Db};
use tapstand_tag::apdu::hex_compact;
use tapstand_tag::error::no_service;
use tapstand_tag::ndef::wechat::wechat_message;
use tapstand_tag::{feedback, quirks_for, PcscApi, TagError, TagSession, Transport, WriteOptions};
use tapstand_wechat::{SchemeRequest, SchemeService, SchemeSource};

pub use target::{resolve_target, TagLink, Target, TargetChoice};

/// Options of one station run.
#[derive(Clone, Debug, Default)]
pub struct StationOptions {
    /// Permanently lock each tag after verifying it.
    pub lock: bool,
    /// Overwrite a tag that holds another target's WeChat scheme (the merchant confirmed).
    pub overwrite: bool,
    pub operator: String,
    /// Write each tag with a link claimed from the target's pool of pre-generated links (团队模式: a PC
    /// without the AppSecret), never asking WeChat.
    pub from_pool: bool,
}

/// How one tap ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum TapResult {
    /// Written and verified.
    Written,
    /// The tag already held this target's scheme: counted, not rewritten.
    AlreadyCorrect,
    /// The tag holds another scheme; the merchant must confirm the overwrite.
    NeedsConfirmation,
    Failed,
}

impl TapResult {
    pub fn as_str(self) -> &'static str {
        match self {
            TapResult::Written => "written",
            TapResult::AlreadyCorrect => "already_correct",
            TapResult::NeedsConfirmation => "needs_confirmation",
            TapResult::Failed => "failed",
        }
    }
    pub fn ok(self) -> bool {
        matches!(self, TapResult::Written | TapResult::AlreadyCorrect)
    }
}

/// The outcome of one tap, as recorded.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct TapOutcome {
    pub result: TapResult,
    pub attempt: StationAttempt,
    /// For `failed` and `needs_confirmation`.
    pub error: Option<UserError>,
    /// What the tag held before, when it was another scheme.
    pub previous_scheme: Option<String>,
}

/// How the steps of one tap ended, before the attempt is recorded.
struct StepOutcome {
    result: TapResult,
    /// For `failed` and `needs_confirmation`.
    error: Option<UserError>,
    /// What the tag held before, when it was another scheme.
    previous_scheme: Option<String>,
}

impl StepOutcome {
    fn failed(error: UserError) -> StepOutcome {
        StepOutcome {
            result: TapResult::Failed,
            error: Some(error),
            previous_scheme: None,
        }
    }

    fn already_correct() -> StepOutcome {
        StepOutcome {
            result: TapResult::AlreadyCorrect,
            error: None,
            previous_scheme: None,
        }
    }
}

/// Events for the UI / CLI.
#[derive(Clone, Debug, Serialize, specta::Type)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum StationEvent {
    WaitingForTag,
    TagDetected {
        uid: String,
        chip: String,
        /// The chip in plain words: what it is, its capacity, lock and password (zh / en).
        chip_zh: String,
        chip_en: String,
        reader: String,
        /// NXP originality signature: `true` an NXP original, `false` not, `null` cannot be checked.
        genuine: Option<bool>,
    },
    SchemeReady {
        openlink: String,
        source: SchemeSource,
    },
    Writing,
    Verified,
    Done {
        outcome: Box<TapOutcome>,
    },
    Failed {
        uid: Option<String>,
        error: UserError,
    },
    /// "Remove the tag, place the next."
    RemoveTag,
    ReaderUnplugged,
    ReaderBack,
    /// The readers are in a state the station cannot work with (tags on several readers, several tags in
    /// one field, a reader error, the card held by another window or program): what to do. Cleared by the
    /// next `WaitingForTag` or `TagDetected`.
    Problem {
        error: UserError,
    },
}

/// Counters of a run.
#[derive(Clone, Debug, Default, Serialize, specta::Type)]
pub struct StationSummary {
    pub written: u32,
    pub already_correct: u32,
    pub needs_confirmation: u32,
    pub failed: u32,
}

impl StationSummary {
    fn add(&mut self, r: TapResult) {
        match r {
            TapResult::Written => self.written += 1,
            TapResult::AlreadyCorrect => self.already_correct += 1,
            TapResult::NeedsConfirmation => self.needs_confirmation += 1,
            TapResult::Failed => self.failed += 1,
        }
    }
    /// Tags that ended correct.
    pub fn ok(&self) -> u32 {
        self.written + self.already_correct
    }
}

pub type EventSink = Arc<dyn Fn(&StationEvent) + Send + Sync>;

/// The merchant's answer for a tag that holds another scheme (asked through a `Done` event with
/// [`TapResult::NeedsConfirmation`]); the loop waits for it while that tag stays on the reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The tag the answer is for: an answer for another tag is ignored.
    pub uid: String,
    pub overwrite: bool,
}

/// Where the UI (or any controller) puts its [`Decision`]s for the loop to pick up.
#[derive(Debug, Default)]
pub struct Decisions(Mutex<Option<Decision>>);

impl Decisions {
    pub fn put(&self, d: Decision) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(d);
    }
    fn take_for(&self, uid: &str) -> Option<bool> {
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match slot.as_ref() {
            Some(d) if d.uid == uid => slot.take().map(|d| d.overwrite),
            Some(_) => {
                // A stale answer for an earlier tag.
                *slot = None;
                None
            }
            None => None,
        }
    }
    fn clear(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// How connecting for one tap ended.
enum Tap {
    Done(Box<TapOutcome>),
    /// The tag left before we could talk to it.
    Gone,
    /// Another window or program holds the card (`tag.reader_busy`); it was not touched.
    Busy(UserError),
}

/// The write station for one target.
pub struct Station {
    rt: tokio::runtime::Handle,
    db: Db,
    /// `None` when writing from the pool ([`Station::from_pool`]): no AppSecret, no WeChat call.
    schemes: Option<Arc<SchemeService>>,
    target: Target,
    opts: StationOptions,
    events: EventSink,
    /// This PC's name, recorded with each pool claim.
    host: String,
    /// Light and beep on the reader itself (设置, on by default; `tapstand_tag::feedback`).
    feedback: bool,
    /// Readers whose own beep on card detection this run turned off, with what to restore (the ACR1252U
    /// family's behaviour byte; `None` for the ACR122U, whose beep simply goes back on).
    quieted: std::sync::Mutex<std::collections::BTreeMap<String, Option<u8>>>,
}

fn ms(d: Duration) -> i64 {
    d.as_millis() as i64
}

fn sn_bound_elsewhere(sn: &str, path: &str, query: &str) -> UserError {
    UserError::new(
        "station.sn_bound_elsewhere",
        (
            &format!("这张标签（编号 {sn}）已经为另一个页面生成过链接（{path}?{query}），微信不会为同一编号再生成一次。"),
            "请换一张新标签；或者选择原来的目标再写一次。",
        ),
        (
            &format!("This tag (sn {sn}) already has a link for another page ({path}?{query}); WeChat issues one per sn."),
            "Use a new tag, or write it for its original target.",
        ),
    )
}

/// 一型一码: the model has one link for every tag, and it opens another page than this target's.
fn per_model_bound(model_id: &str, path: &str, query: &str) -> UserError {
    UserError::new(
        "station.per_model_link",
        (
            &format!("设备型号 {model_id} 是“一型一码”：这个型号的所有标签共用同一个链接，它打开的是 {path}?{query}，不能再为别的门店或前台生成不同的链接。"),
            "要让每个门店（或前台）的标签打开各自的页面，请在“设备型号”里登记并使用一个“一机一码”的型号；或者选择这个链接原来的目标。",
        ),
        (
            &format!("Device model {model_id} is per-model (一型一码): every tag of it shares one link, which opens {path}?{query}; it cannot get another link for another store or front desk."),
            "To give each store (or front desk) its own page, register and use a per-device (一机一码) model; or choose the link's original target.",
        ),
    )
}

/// The ledger holds a link from another API than the official one (the local fake, a test server): a
/// release build never writes it to a merchant's tag.
pub fn not_official(api_base: &str) -> UserError {
    UserError::new(
        "station.test_link",
        (
            &format!("这个链接来自测试用的微信接口（{api_base}），不是微信正式接口，不能写到正式使用的标签上。"),
            "请关闭开发者模式（不要设置 TAPSTAND_WECHAT_BASE_URL）后重新打开 Tapstand；这个编号需要用正式接口重新生成，请联系技术支持处理台账里的测试记录。",
        ),
        (
            &format!("This link comes from a test WeChat API ({api_base}), not the official one: it is not written to a production tag."),
            "Turn developer mode off (unset TAPSTAND_WECHAT_BASE_URL) and restart Tapstand; contact support about the test rows in the ledger.",
        ),
    )
}

/// Whether this build may write a link that `api_base` issued: release builds only the official API's
/// (or rows recorded before the API was kept).
pub fn may_write_link_from(api_base: &str) -> bool {
    !tapstand_error::build::release_rules()
        || api_base.is_empty()
        || tapstand_wechat::is_official_api(api_base)
}

fn needs_confirmation(scheme: &str, owner: Option<&str>) -> UserError {
    let (zh, en) = match owner {
        // The link is one this install wrote, on another tag (copied content or a tag moved between stands).
        Some(o) => (
            format!("这张标签里已经有本店写给“{o}”的链接（原本是另一张标签的）。"),
            format!("This tag already holds the link this shop wrote for \"{}\" (on another tag).", crate::inspect::label_en(o)),
        ),
        None => (
            "这张标签里已经有另一个小程序链接（可能是别的门店或别的前台）。".to_string(),
            "This tag already holds another mini-program link (perhaps another store or front desk).".to_string(),
        ),
    };
    UserError::new(
        "station.other_scheme",
        (
            &zh,
            "确认要覆盖后再放上来（命令行：加 --overwrite）；不确定的话请先用“检查标签”看看它原来指向哪里。",
        ),
        (
            &en,
            "Confirm the overwrite and tap again (CLI: --overwrite); if unsure, inspect the tag first.",
        ),
    )
    .with_detail(scheme)
}

/// A UID that changes at every activation: ISO/IEC 14443-3 random IDs are 4 bytes starting `08` (DESFire
/// and other ISO 14443-4 cards with random ID, some phones in card emulation). In 一机一码 the UID is the sn,
/// so each tap would spend a new permanent link; such a card is refused before the ledger or WeChat is asked.
pub fn random_uid(uid_hex: &str) -> bool {
    uid_hex.len() == 8 && uid_hex.get(..2).is_some_and(|b| b == "08")
}

/// A card whose UID changes at every tap, refused (the station, 换标签).
pub fn random_uid_refused(uid: &str, chip: &str) -> UserError {
    UserError::new(
        "station.random_uid",
        (
            &format!("这张卡（{chip}）每次靠近读卡器都会换一个卡号（随机 UID，本次是 {uid}），无法作为立牌标签：每碰一次都会用掉一个新的永久链接。"),
            "请换用 NTAG213/215/216 等 NFC 贴纸标签（卡号固定）；手机模拟的卡、银行卡和部分 DESFire 卡都不能用。",
        ),
        (
            &format!("This card ({chip}) shows a new UID at every tap (random UID, {uid} this time): it cannot be a stand's tag, each tap would spend a new permanent link."),
            "Use an NFC sticker tag with a fixed UID (NTAG213/215/216 or similar); phones emulating a card, bank cards and some DESFire cards cannot be used.",
        ),
    )
}

fn tag_error(e: TagError) -> UserError {
    e.into()
}

impl Station {
    pub fn new(
        rt: tokio::runtime::Handle,
        db: Db,
        schemes: Arc<SchemeService>,
        target: Target,
        opts: StationOptions,
    ) -> Station {
        Station {
            rt,
            db,
            schemes: Some(schemes),
            target,
            opts,
            events: Arc::new(|_| {}),
            host: pool::host_name(),
            feedback: true,
            quieted: Default::default(),
        }
    }

    /// A station that writes every tag from the target's pool of pre-generated links
    /// ([`StationOptions::from_pool`] is set): it needs no AppSecret and never calls WeChat.
    pub fn from_pool(
        rt: tokio::runtime::Handle,
        db: Db,
        target: Target,
        mut opts: StationOptions,
    ) -> Station {
        opts.from_pool = true;
        Station {
            rt,
            db,
            schemes: None,
            target,
            opts,
            events: Arc::new(|_| {}),
            host: pool::host_name(),
            feedback: true,
            quieted: Default::default(),
        }
    }

    /// Light and beep on the reader (green + short beep when a tag is done, red + long beep when it
    /// failed, the reader's own beep on each card off while [`Station::run`] runs). On by default.
    pub fn with_reader_feedback(mut self, on: bool) -> Station {
        self.feedback = on;
        self
    }

    pub fn with_events(mut self, events: EventSink) -> Station {
        self.events = events;
        self
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    pub fn set_overwrite(&mut self, overwrite: bool) {
        self.opts.overwrite = overwrite;
    }

    fn emit(&self, e: StationEvent) {
        (self.events)(&e)
    }

    /// One tap on an open session: read → scheme → write → verify → record. Never panics on tag or
    /// WeChat trouble: the outcome says what happened, and the attempt is recorded either way.
    pub fn process<T: Transport>(&self, session: &mut TagSession<T>, reader: &str) -> TapOutcome {
        self.process_with(session, reader, self.opts.overwrite)
    }

    /// [`Station::process`] with the overwrite choice for this one tag (after the merchant confirmed).
    pub fn process_with<T: Transport>(
        &self,
        session: &mut TagSession<T>,
        reader: &str,
        overwrite: bool,
    ) -> TapOutcome {
        let t0 = Instant::now();
        let mut a = StationAttempt {
            started_at: now_ms(),
            model_id: self.target.model_id.clone(),
            target: self.target.key.clone(),
            target_label: self.target.label.clone(),
            store_id: self.target.store_id,
            terminal_id: self.target.terminal_id,
            reader: reader.to_string(),
            operator: self.opts.operator.clone(),
            ..Default::default()
        };
        let mut step = self.steps(session, &mut a, t0, overwrite);
        a.result = step.result.as_str().to_string();
        a.apdus = session.stats().apdus as i64;
        if let Some(e) = &step.error {
            a.error_code = Some(e.code.clone());
            a.error_zh = Some(e.zh.message.clone());
        }
        let t_rec = Instant::now();
        // Stored: time until recording started (the record itself takes ~1 ms; the returned outcome
        // carries the full tap-to-done time).
        a.total_ms = ms(t0.elapsed());
        let recorded = self.rt.block_on(async {
            if step.result.ok() {
                self.db.station_upsert_tag(&a).await?;
            }
            self.db.station_insert_attempt(&a).await
        });
        a.record_ms = ms(t_rec.elapsed());
        a.total_ms = ms(t0.elapsed());
        match recorded {
            Ok(id) => a.id = id,
            Err(e) => {
                step.result = TapResult::Failed;
                step.error = Some(UserError::from(e));
            }
        }
        let outcome = TapOutcome {
            result: step.result,
            attempt: a,
            error: step.error,
            previous_scheme: step.previous_scheme,
        };
        if let (Some(e), TapResult::Failed) = (&outcome.error, outcome.result) {
            self.emit(StationEvent::Failed {
                uid: (!outcome.attempt.uid.is_empty()).then(|| outcome.attempt.uid.clone()),
                error: e.clone(),
            });
        }
        self.emit(StationEvent::Done {
            outcome: Box::new(outcome.clone()),
        });
        outcome
    }

    /// One tap, as the steps it takes: each step either hands its result to the next or ends the tap
    /// (`Err(StepOutcome)`: failed, already correct, or a question for the merchant).
    fn steps<T: Transport>(
        &self,
        session: &mut TagSession<T>,
        a: &mut StationAttempt,
        t0: Instant,
        overwrite: bool,
    ) -> StepOutcome {
        self.tap_steps(session, a, t0, overwrite)
            .unwrap_or_else(|stop| stop)
    }

    fn tap_steps<T: Transport>(
        &self,
        session: &mut TagSession<T>,
        a: &mut StationAttempt,
        t0: Instant,
        overwrite: bool,
    ) -> Result<StepOutcome, StepOutcome> {
        let (rep, uid) = self.read_step(session, a, t0)?;
        let pooled = self.pool_claimed_step(&uid)?;
        let current = rep
            .wechat
            .as_ref()
            .filter(|w| w.valid)
            .and_then(|w| w.scheme.clone());
        let t_s = Instant::now();
        let row_link = self.ledger_step(a, &uid, &pooled)?;
        self.already_correct_step(a, &rep, &current, &row_link, t_s)?;
        self.refuse_unwritable_step(&rep)?;
        self.confirm_overwrite_step(a, &current, &row_link, overwrite)?;
        // 3. The scheme: from the pool (claimed now, the ledger holds it), from the ledger, or generated
        //    and committed before the tag is touched; then 4. the write.
        let openlink = if self.opts.from_pool {
            self.pool_link_step(a, &uid, pooled, t_s)?
        } else {
            self.scheme_step(a, &uid, t_s)?
        };
        Ok(self.write_step(session, a, &openlink, current))
    }

    /// 1. Read UID + chip + content, and refuse what may not be written before any link is spent: a lock
    ///    the chip cannot take, a chip that is not an NXP original (只写原厂), a UID that changes at every
    ///    tap (a new sn, so a new link, each time).
    fn read_step<T: Transport>(
        &self,
        session: &mut TagSession<T>,
        a: &mut StationAttempt,
        t0: Instant,
    ) -> Result<(tapstand_tag::TagReport, String), StepOutcome> {
        let fail = StepOutcome::failed;
        let rep = session.read_tag().map_err(|e| fail(tag_error(e)))?;
        a.read_ms = ms(t0.elapsed());
        a.chip = rep.chip.kind.stored_name().to_string();
        a.genuine = rep.genuine;
        let Some(uid) = rep.uid.clone() else {
            return Err(fail(tag_error(TagError::Unsupported {
                name: rep.chip.name.clone(),
            })));
        };
        a.uid = uid.clone();
        self.emit(StationEvent::TagDetected {
            uid: uid.clone(),
            chip: a.chip.clone(),
            chip_zh: rep.chip.description_zh.clone(),
            chip_en: rep.chip.description_en.clone(),
            reader: a.reader.clone(),
            genuine: rep.genuine,
        });
        if self.opts.lock && !rep.chip.kind.lockable() {
            // A Type 4 tag cannot be locked by Tapstand: said before any scheme is spent or byte written.
            return Err(fail(tag_error(TagError::CannotLock {
                name: rep.chip.name.clone(),
            })));
        }
        // 只写 NXP 原厂芯片: refused before the ledger and WeChat are asked, so no link is spent on it.
        if self.target.only_genuine && rep.genuine != Some(true) {
            return Err(fail(crate::genuine::refused(rep.genuine, &rep.chip.name)));
        }
        if random_uid(&uid) {
            return Err(fail(random_uid_refused(&uid, &rep.chip.name)));
        }
        Ok((rep, uid))
    }

    /// From the pool: the link this tag already holds (a re-tap, a torn write's next tap); `Some(None)`
    /// when it has none yet (one is claimed only once the tag is known to be writable, so no link is spent
    /// on a locked or refused tag); `None` when the station does not write from the pool.
    fn pool_claimed_step(
        &self,
        uid: &str,
    ) -> Result<Option<Option<tapstand_store::pool::PoolLink>>, StepOutcome> {
        if !self.opts.from_pool {
            return Ok(None);
        }
        self.rt
            .block_on(
                self.db
                    .pool_claimed(&self.target.model_id, &self.target.key, uid),
            )
            .map(Some)
            .map_err(|e| StepOutcome::failed(e.into()))
    }

    /// 2. What the ledger already holds for this tag: the sn (the UID, or the sn derived from it when the
    ///    UID's link was lost), page and query go into the attempt, and the link, if any. A link of this sn
    ///    for another page is refused (WeChat issues one per sn).
    fn ledger_step(
        &self,
        a: &mut StationAttempt,
        uid: &str,
        pooled: &Option<Option<tapstand_store::pool::PoolLink>>,
    ) -> Result<Option<String>, StepOutcome> {
        let fail = |e: tapstand_store::StoreError| StepOutcome::failed(e.into());
        // A tag that took over a stand (换标签) or a re-pointed stand holds a link of another sn for this
        // target: the register says which, and the tap keeps it (no new link, no question).
        let took_over = match pooled {
            None => self.took_over(uid).map_err(fail)?,
            Some(_) => None,
        };
        let (link, row) = match pooled {
            None if took_over.is_some() => {
                let t = took_over.expect("checked");
                let row = self
                    .rt
                    .block_on(self.db.scheme_find(&self.target.model_id, &t.sn))
                    .map_err(fail)?;
                (
                    TagLink {
                        sn: t.sn,
                        path: t.path,
                        query: t.query,
                    },
                    row,
                )
            }
            Some(Some(l)) => {
                let link = pool::tag_link(l);
                let row = self
                    .rt
                    .block_on(self.db.scheme_find(&self.target.model_id, &link.sn))
                    .map_err(fail)?;
                (link, row)
            }
            // Not claimed yet: nothing in the ledger can be this tag's (its sn is not known).
            Some(None) => (
                TagLink {
                    sn: String::new(),
                    path: self.target.path.clone(),
                    query: String::new(),
                },
                None,
            ),
            None => {
                let base = self.target.sn_for(uid);
                let (sn, row) = self
                    .rt
                    .block_on(SchemeService::effective_sn(
                        &self.db,
                        &self.target.model_id,
                        &base,
                    ))
                    .map_err(fail)?;
                (self.target.link_with_sn(uid, &sn), row)
            }
        };
        let TagLink { sn, path, query } = link;
        if let Some(r) = row.as_ref().filter(|r| r.state.has_openlink()) {
            if r.path != path || r.query != query {
                return Err(StepOutcome::failed(if self.target.per_device() {
                    sn_bound_elsewhere(&sn, &r.path, &r.query)
                } else {
                    per_model_bound(&self.target.model_id, &r.path, &r.query)
                }));
            }
        }
        a.sn = sn;
        a.path = path;
        a.query = query;
        Ok(row
            .filter(|r| r.state.has_openlink())
            .and_then(|r| r.openlink))
    }

    /// The register's row for this tag when it serves this target with an sn other than its own (a tag
    /// that replaced another, a re-pointed stand); `None` otherwise (一型一码 has no sn of its own).
    fn took_over(
        &self,
        uid: &str,
    ) -> Result<Option<tapstand_store::station::StationTag>, tapstand_store::StoreError> {
        if !self.target.per_device() {
            return Ok(None);
        }
        let row = self
            .rt
            .block_on(self.db.station_find_tag(uid, &self.target.model_id))?;
        Ok(row.filter(|t| t.target == self.target.key && t.sn != self.target.sn_for(uid)))
    }

    /// A tag that already holds this tag's link (and is locked if asked) is counted, not rewritten. A
    /// correct tag that should be locked but is not goes on to the write path, which changes no content
    /// (the message is identical) and only sets the lock.
    fn already_correct_step(
        &self,
        a: &mut StationAttempt,
        rep: &tapstand_tag::TagReport,
        current: &Option<String>,
        row_link: &Option<String>,
        t_s: Instant,
    ) -> Result<(), StepOutcome> {
        let tag_locked = rep.lock.as_ref().map(|l| l.fully_locked).unwrap_or(false);
        let needs_lock = self.opts.lock && !tag_locked && rep.writable;
        match (current, row_link) {
            (Some(cur), Some(link)) if cur == link && !needs_lock => {
                a.openlink = Some(link.clone());
                a.scheme_source = Some(stored::scheme_source(SchemeSource::Ledger).into());
                a.locked = tag_locked;
                a.scheme_ms = ms(t_s.elapsed());
                self.emit(StationEvent::SchemeReady {
                    openlink: link.clone(),
                    source: SchemeSource::Ledger,
                });
                self.emit(StationEvent::Verified);
                Err(StepOutcome::already_correct())
            }
            _ => Ok(()),
        }
    }

    /// A tag that cannot take the link is refused before any overwrite question and before any scheme is
    /// spent: a 48-byte tag (or a chip Tapstand cannot write), a locked tag.
    fn refuse_unwritable_step(&self, rep: &tapstand_tag::TagReport) -> Result<(), StepOutcome> {
        if !rep.writable && !rep.chip.write_supported && rep.chip.kind.is_type2() {
            // The length is that of a WeChat NFC link (`?t=` + 11 characters), the only kind written here.
            let capacity = rep.chip.capacity_bytes.unwrap_or(0) as usize;
            let error = if rep.chip.kind.too_small()
                || capacity < tapstand_tag::ndef::chip::MIN_DATA_BYTES
            {
                TagError::TooSmall {
                    name: rep.chip.name.clone(),
                    data_bytes: capacity,
                    message_len: tapstand_tag::ndef::wechat_message(
                        "weixin://dl/business/?t=XXXXXXXXXXX",
                    )
                    .map(|m| m.encoded_len())
                    .unwrap_or(72),
                }
            } else {
                TagError::Unsupported {
                    name: rep.chip.name.clone(),
                }
            };
            return Err(StepOutcome::failed(tag_error(error)));
        }
        if !rep.writable {
            return Err(StepOutcome::failed(tag_error(rep.refusal())));
        }
        Ok(())
    }

    /// A tag holding another WeChat link is only overwritten once the merchant said so; the question says
    /// whose link it is when this install wrote it (on another tag).
    fn confirm_overwrite_step(
        &self,
        a: &mut StationAttempt,
        current: &Option<String>,
        row_link: &Option<String>,
        overwrite: bool,
    ) -> Result<(), StepOutcome> {
        let Some(cur) = current else {
            return Ok(());
        };
        if row_link.as_deref() == Some(cur.as_str()) || overwrite {
            return Ok(());
        }
        a.openlink = None;
        let owner = self
            .rt
            .block_on(self.db.station_tags_by_openlink(cur))
            .ok()
            .and_then(|tags| tags.into_iter().next())
            .map(|t| t.target_label);
        Err(StepOutcome {
            result: TapResult::NeedsConfirmation,
            error: Some(needs_confirmation(cur, owner.as_deref())),
            previous_scheme: Some(cur.clone()),
        })
    }

    /// 3 (pool). The tag's claimed link, or one claimed now; its ledger row must come from the official API.
    fn pool_link_step(
        &self,
        a: &mut StationAttempt,
        uid: &str,
        pooled: Option<Option<tapstand_store::pool::PoolLink>>,
        t_s: Instant,
    ) -> Result<String, StepOutcome> {
        let fail = StepOutcome::failed;
        let got = match pooled {
            Some(Some(l)) => Ok(l),
            _ => pool::claim(&self.rt, &self.db, &self.target, uid, &self.host),
        };
        let link = got.map_err(|e| {
            a.scheme_ms = ms(t_s.elapsed());
            fail(e)
        })?;
        let TagLink { sn, path, query } = pool::tag_link(&link);
        a.sn = sn;
        a.path = path;
        a.query = query;
        let Some(openlink) = link.openlink.clone() else {
            return Err(fail(UserError::internal(
                "a claimed pool link has no openlink",
            )));
        };
        // The ledger row says which API issued it (a test server's link never reaches a release tag).
        match self
            .rt
            .block_on(self.db.scheme_find(&self.target.model_id, &a.sn))
        {
            Ok(Some(r)) if !may_write_link_from(&r.api_base) => {
                a.scheme_ms = ms(t_s.elapsed());
                return Err(fail(not_official(&r.api_base)));
            }
            Ok(_) => {}
            Err(e) => return Err(fail(e.into())),
        }
        a.scheme_ms = ms(t_s.elapsed());
        a.openlink = Some(openlink.clone());
        a.scheme_source = Some(pool::SCHEME_SOURCE.into());
        self.emit(StationEvent::SchemeReady {
            openlink: openlink.clone(),
            source: SchemeSource::Ledger,
        });
        Ok(openlink)
    }

    /// 3. The tag's link from the ledger, or generated and committed before the tag is touched. An sn
    ///    whose earlier call went unanswered (or whose process died mid-call) is recovered: one more call,
    ///    answered with the existing link (9800010) or a first one. In 一机一码, an sn whose link WeChat
    ///    issued but will not return gets a derived sn (`<UID>-2`), so every tag ends with a link.
    fn scheme_step(
        &self,
        a: &mut StationAttempt,
        uid: &str,
        t_s: Instant,
    ) -> Result<String, StepOutcome> {
        let fail = StepOutcome::failed;
        let Some(schemes) = self.schemes.as_ref() else {
            return Err(fail(UserError::internal(
                "a station without a scheme service left the pool",
            )));
        };
        let request = |sn: &str| {
            let TagLink { sn, path, query } = self.target.link_with_sn(uid, sn);
            SchemeRequest {
                model_id: self.target.model_id.clone(),
                sn,
                path: (!path.is_empty()).then_some(path),
                query: (!query.is_empty()).then_some(query),
                env_version: Some(self.target.env_version.clone()),
            }
        };
        let base = self.target.sn_for(uid);
        let got = self.rt.block_on(async {
            if self.target.per_device() {
                schemes.get_or_derive(&base, request).await
            } else {
                schemes
                    .get_or_recover(&request(&base))
                    .await
                    .map(|o| (o, None))
            }
        });
        a.scheme_ms = ms(t_s.elapsed());
        let (got, derivation) = got.map_err(|e| fail(e.into()))?;
        if !may_write_link_from(&got.row.api_base) {
            return Err(fail(not_official(&got.row.api_base)));
        }
        let TagLink { sn, path, query } = self.target.link_with_sn(uid, &got.row.sn);
        a.sn = sn;
        a.path = path;
        a.query = query;
        a.openlink = Some(got.openlink.clone());
        a.scheme_source = Some(match &derivation {
            Some(_) => stored::DERIVED_SOURCE.into(),
            None => stored::scheme_source(got.source).into(),
        });
        if let Some(d) = derivation {
            tracing::warn!(uid, sn = %d.sn, reason = %d.reason, "the tag's own sn was used up: written with a derived sn");
        }
        self.emit(StationEvent::SchemeReady {
            openlink: got.openlink.clone(),
            source: got.source,
        });
        Ok(got.openlink)
    }

    /// 4. Tear-safe write + read-back verify (+ lock) of `openlink`.
    fn write_step<T: Transport>(
        &self,
        session: &mut TagSession<T>,
        a: &mut StationAttempt,
        openlink: &str,
        current: Option<String>,
    ) -> StepOutcome {
        let fail = StepOutcome::failed;
        let msg = match wechat_message(openlink) {
            Ok(m) => m,
            Err(e) => return fail(UserError::internal(e)),
        };
        self.emit(StationEvent::Writing);
        let t_w = Instant::now();
        let w = session.write_ndef(
            &msg,
            WriteOptions {
                lock: self.opts.lock,
                password_protect: false,
            },
        );
        a.write_ms = ms(t_w.elapsed());
        match w {
            Ok(w) => {
                a.locked = w.locked;
                self.emit(StationEvent::Verified);
                if w.unchanged {
                    // The content was already right (only the lock, if asked, was set): not a rewrite.
                    return StepOutcome::already_correct();
                }
                StepOutcome {
                    result: TapResult::Written,
                    error: None,
                    previous_scheme: current.filter(|c| c != openlink),
                }
            }
            Err(e) => fail(tag_error(e)),
        }
    }

    /// Continuous mode: wait for a tag, process it, wait for it to leave; until `stop` is set or `max`
    /// tags have been processed. The reader may be unplugged and replugged meanwhile.
    pub fn run<P: PcscApi>(
        &self,
        pcsc: &mut P,
        reader: Option<&str>,
        stop: &AtomicBool,
        max: Option<u32>,
    ) -> StationSummary {
        self.run_with(pcsc, reader, stop, None, max)
    }

    /// [`Station::run`] with a place for the merchant's answers: a tag that holds another scheme stays
    /// "waiting for confirmation" until an answer for its UID arrives in `decisions` (overwrite: the same
    /// tag is processed again with the overwrite allowed; skip: "remove the tag") or the tag leaves.
    ///
    /// `pcsc` is the real [`tapstand_tag::Pcsc`] in the product, a scripted double of one system in tests.
    pub fn run_with<P: PcscApi>(
        &self,
        pcsc: &mut P,
        reader: Option<&str>,
        stop: &AtomicBool,
        decisions: Option<&Decisions>,
        max: Option<u32>,
    ) -> StationSummary {
        let mut sum = StationSummary::default();
        let mut seen = 0u32;
        let mut unplugged = false;
        let mut announced = false;
        // The code of the reader trouble on the panel now, if any.
        let mut problem: Option<String> = None;
        while !stop.load(Ordering::Relaxed) && max.is_none_or(|m| seen < m) {
            if !announced {
                self.emit(StationEvent::WaitingForTag);
                announced = true;
            }
            match pcsc.wait_for_tag(reader, Duration::from_millis(250)) {
                Ok(info) => {
                    if unplugged {
                        unplugged = false;
                        self.emit(StationEvent::ReaderBack);
                    }
                    let mut outcome = match self.tap(pcsc, &info.name, self.opts.overwrite, stop) {
                        Tap::Done(o) => *o,
                        // The tag left before we could talk to it: just wait again.
                        Tap::Gone => continue,
                        // Another window or program holds the card: say so (once), keep trying while
                        // the tag stays; the tag was not touched.
                        Tap::Busy(error) => {
                            if problem.as_deref() != Some(error.code.as_str()) {
                                tracing::info!(reader = %info.name, "station: the card is held by another program");
                                problem = Some(error.code.clone());
                                self.emit(StationEvent::Problem { error });
                            }
                            continue;
                        }
                    };
                    problem = None;
                    if outcome.result == TapResult::NeedsConfirmation {
                        if let Some(d) = decisions {
                            d.clear();
                            let here = Seen::after_tap(pcsc, &info, &outcome.attempt.uid);
                            if self.await_decision(pcsc, &here, &outcome.attempt.uid, d, stop) {
                                match self.tap(pcsc, &info.name, true, stop) {
                                    Tap::Done(o) => outcome = *o,
                                    Tap::Gone => {}
                                    Tap::Busy(error) => self.emit(StationEvent::Problem { error }),
                                }
                            }
                        }
                    }
                    seen += 1;
                    sum.add(outcome.result);
                    self.emit(StationEvent::RemoveTag);
                    if max.is_some_and(|m| seen >= m) {
                        // The last tag asked for: done, without waiting for it to be taken away.
                        break;
                    }
                    // The tag just processed, to tell it staying from another one taking its place.
                    let here = Seen::after_tap(pcsc, &info, &outcome.attempt.uid);
                    self.wait_removed(pcsc, &here, stop);
                    announced = false;
                }
                Err(e @ TagError::NoReader)
                | Err(e @ TagError::ReaderNotFound(_))
                | Err(e @ TagError::NoService(_)) => {
                    if !unplugged {
                        unplugged = true;
                        self.emit(StationEvent::ReaderUnplugged);
                    }
                    if let TagError::NoService(detail) = &e {
                        // Windows stops its Smart Card service with the last reader (and has none
                        // before the first): the panel says so with this system's own remedy.
                        let error = no_service(pcsc.os()).with_detail(detail);
                        if problem.as_deref() != Some(error.code.as_str()) {
                            problem = Some(error.code.clone());
                            self.emit(StationEvent::Problem { error });
                        }
                    }
                    std::thread::sleep(Duration::from_millis(250));
                }
                Err(TagError::Timeout(_)) | Err(TagError::NoTag) => {
                    if unplugged {
                        unplugged = false;
                        self.emit(StationEvent::ReaderBack);
                    }
                    if problem.take().is_some() {
                        // The trouble is gone: back to "put a tag down".
                        announced = false;
                    }
                }
                Err(e) => {
                    // Never quiet: the panel says what is wrong (once per kind of trouble) within one
                    // turn of this loop, and what to do.
                    let error = tag_error(e);
                    if problem.as_deref() != Some(error.code.as_str()) {
                        tracing::info!(code = %error.code, detail = ?error.detail, "station: reader problem");
                        problem = Some(error.code.clone());
                        self.emit(StationEvent::Problem { error });
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
        self.restore_readers(pcsc);
        sum
    }

    /// Connects to the tag on `reader` (exclusively: no other program can talk to it meanwhile) and
    /// processes it. A card another program holds is waited for up to [`tapstand_tag::pcsc_io::BUSY_WAIT`]
    /// (in short slices, so a stop is not held up), then reported as busy.
    fn tap<P: PcscApi>(
        &self,
        pcsc: &mut P,
        reader: &str,
        overwrite: bool,
        stop: &AtomicBool,
    ) -> Tap {
        let deadline = Instant::now() + tapstand_tag::pcsc_io::BUSY_WAIT;
        loop {
            match pcsc.connect_waiting(reader, Duration::from_millis(200)) {
                Ok(t) => {
                    let mut s = TagSession::new(t, quirks_for(reader));
                    // The card is released when the session drops, on every path.
                    let outcome = self.process_with(&mut s, reader, overwrite);
                    self.signal(s.transport_mut(), reader, outcome.result, pcsc.os());
                    return Tap::Done(Box::new(outcome));
                }
                Err(TagError::ReaderBusy)
                    if Instant::now() < deadline && !stop.load(Ordering::Relaxed) => {}
                Err(TagError::ReaderBusy) => return Tap::Busy(tag_error(TagError::ReaderBusy)),
                Err(e) => {
                    tracing::debug!("connect failed: {e}");
                    return Tap::Gone;
                }
            }
        }
    }

    /// The reader's own light and beep for a tap (over the card connection still held): quiet when the
    /// reader has none or refuses. The first tap on a reader also turns its beep on detection off.
    fn signal<T: Transport>(&self, t: &mut T, reader: &str, result: TapResult, os: &str) {
        if !self.feedback {
            return;
        }
        {
            let mut q = self.quieted.lock().unwrap_or_else(|e| e.into_inner());
            if !q.contains_key(reader) {
                let before = feedback::detect_beep(t, false, None, os);
                q.insert(reader.to_string(), before);
            }
        }
        match result {
            TapResult::NeedsConfirmation => {}
            r if r.ok() => {
                feedback::signal(t, feedback::Signal::Done, os);
            }
            _ => {
                feedback::signal(t, feedback::Signal::Failed, os);
            }
        }
    }

    /// Gives each reader its beep on detection back (at the end of a run): over a tag lying on it, or
    /// for escape readers without one through a direct connection. Quiet when neither is possible.
    fn restore_readers<P: PcscApi>(&self, pcsc: &mut P) {
        let quieted = std::mem::take(&mut *self.quieted.lock().unwrap_or_else(|e| e.into_inner()));
        for (reader, before) in quieted {
            let Some(before) = before else { continue };
            let restored = match pcsc.connect_waiting(&reader, Duration::ZERO) {
                Ok(mut t) => feedback::detect_beep(&mut t, true, Some(before), pcsc.os()).is_some(),
                Err(_) => feedback::restore_detect_beep_direct(pcsc, &reader, before),
            };
            if !restored {
                tracing::info!(
                    reader,
                    "the reader's beep on detection could not be restored now"
                );
            }
        }
    }

    /// Waits for the merchant's answer about the tag `uid` seen as `seen`: true = overwrite it now.
    fn await_decision<P: PcscApi>(
        &self,
        pcsc: &mut P,
        seen: &Seen,
        uid: &str,
        decisions: &Decisions,
        stop: &AtomicBool,
    ) -> bool {
        let mut polls = 0u32;
        while !stop.load(Ordering::Relaxed) {
            if let Some(overwrite) = decisions.take_for(uid) {
                return overwrite;
            }
            polls += 1;
            if polls.is_multiple_of(5) && !seen.still_there(pcsc, true) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(30));
        }
        false
    }

    /// Blocks until the tag `seen` has left: the field is empty, or another tag is there (a quick swap
    /// for the next tag must not look like the same tag staying). Presence is looked at every 30 ms, the
    /// UID about every 240 ms.
    fn wait_removed<P: PcscApi>(&self, pcsc: &mut P, seen: &Seen, stop: &AtomicBool) {
        let mut polls = 0u32;
        while !stop.load(Ordering::Relaxed) {
            if !seen.still_there(pcsc, polls.is_multiple_of(8)) {
                return;
            }
            polls += 1;
            std::thread::sleep(Duration::from_millis(30));
        }
    }
}

/// The tag the loop just processed: its reader, the reader's event count when it was found, and its UID
/// read (GET DATA, without resetting it) once the session on it was closed.
///
/// "Still there" = the reader reports a tag AND that tag has the same UID. This works on all three
/// systems: macOS (CryptoTokenKit) always reports an event count of 0, so the count alone cannot tell a
/// quick swap; where the system does count (Windows, pcsc-lite) a changed count is an early "it left".
struct Seen {
    reader: String,
    event_count: u32,
    uid: Option<String>,
}

impl Seen {
    /// `uid`: the UID the tap read (upper-case hex, as recorded). Without one (the read failed), the UID
    /// on the reader now. The tap's own UID is the baseline because a quick swap can land between the end
    /// of the tap and any later look.
    fn after_tap<P: PcscApi>(pcsc: &mut P, info: &tapstand_tag::ReaderInfo, uid: &str) -> Seen {
        let uid = if uid.is_empty() {
            pcsc.card_uid(&info.name).ok().map(|u| hex_compact(&u))
        } else {
            Some(uid.to_ascii_uppercase())
        };
        Seen {
            reader: info.name.clone(),
            event_count: info.event_count,
            uid,
        }
    }

    /// `check_uid`: also compare the UID (one short shared-mode exchange); otherwise presence only.
    fn still_there<P: PcscApi>(&self, pcsc: &mut P, check_uid: bool) -> bool {
        let present = match pcsc.readers() {
            Ok(rs) => rs
                .iter()
                .find(|r| r.name == self.reader)
                .map(|r| (r.tag_present, r.event_count)),
            Err(_) => None,
        };
        let Some((true, count)) = present else {
            return false;
        };
        if count != self.event_count {
            return false;
        }
        match (&self.uid, check_uid) {
            (Some(uid), true) => match pcsc.card_uid(&self.reader) {
                Ok(now) => &hex_compact(&now) == uid,
                // Held by another program, a bad exchange…: the presence decides (next look).
                Err(_) => true,
            },
            _ => true,
        }
    }
}

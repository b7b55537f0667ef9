//! 巡检 (audit a store's stands): staff tap each stand of a store in turn; each tag is compared with the
//! register (the tags the station wrote, `station_tags`) and the ledger, and gets one [`AuditVerdict`].
//! At the end the report lists the stands the register knows for the store that were not tapped.
//!
//! ```text
//! Core::audit_tap:  read tag ─▶ inspect::explain (ledger, register, queryscheme) ─▶ Inspection
//!                   look_up_stand (register by UID, retired tags and links) ─▶ StandFacts
//!                   judge(&scope, &inspection, &facts) ─▶ AuditEntry          (pure: verdict and words)
//!                   AuditReport::push ─▶ saved after every tap (`audits`), .xlsx at the end
//! ```
//! [`judge`] is the whole decision: synchronous, no database, tested on every verdict.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tapstand_store::stand::RetiredTag;
use tapstand_store::station::StationTag;
use tapstand_store::{Db, StoreError};

use crate::inspect::{Bilingual, Inspection, Verdict};

/// The store being audited: its id and label, and its terminals (a stand written for one of the store's
/// front-desk terminals is the store's stand too).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct AuditScope {
    #[specta(type = specta_typescript::Number)]
    pub store_id: i64,
    pub store_label: String,
    #[specta(type = Vec<specta_typescript::Number>)]
    pub terminal_ids: Vec<i64>,
}

impl AuditScope {
    /// Whether a stand written for (store, terminal) stands in this store.
    pub fn covers(&self, store_id: Option<i64>, terminal_id: Option<i64>) -> bool {
        store_id == Some(self.store_id)
            || terminal_id.is_some_and(|t| self.terminal_ids.contains(&t))
    }
}

/// What one tapped tag is, compared with the register.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, specta::Type,
)]
#[serde(rename_all = "snake_case")]
pub enum AuditVerdict {
    /// The link the register holds for this tag, and locked.
    Ok,
    /// The right link, but not locked: anyone with a phone app can overwrite it. Lock it now.
    Unlocked,
    /// One of this store's links, but not the one the register holds for this tag (or a tag the register
    /// does not know): it opens the right page; a tag another tool wrote, or two stands swapped.
    UnknownUid,
    /// A link of ours for another store or target.
    OtherStore,
    /// A link a re-pointed stand left behind: it still opens the old page.
    RetiredLink,
    /// A WeChat link that is not in our ledger (another mini program, another tool).
    NotOurs,
    /// A web address or another non-WeChat link: possibly tampered with.
    WebLink,
    /// NDEF content that is no link.
    OtherContent,
    /// Nothing on it.
    Blank,
    /// The content cannot be read (broken message), or the chip is not a tag Tapstand reads.
    Damaged,
    /// The register recorded an NXP original for this UID and the chip now fails the check.
    NotGenuine,
    /// A tag 换标签 took out of service is back on a stand.
    RetiredTag,
}

impl AuditVerdict {
    pub const ALL: [AuditVerdict; 12] = [
        AuditVerdict::Ok,
        AuditVerdict::Unlocked,
        AuditVerdict::UnknownUid,
        AuditVerdict::OtherStore,
        AuditVerdict::RetiredLink,
        AuditVerdict::NotOurs,
        AuditVerdict::WebLink,
        AuditVerdict::OtherContent,
        AuditVerdict::Blank,
        AuditVerdict::Damaged,
        AuditVerdict::NotGenuine,
        AuditVerdict::RetiredTag,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditVerdict::Ok => "ok",
            AuditVerdict::Unlocked => "unlocked",
            AuditVerdict::UnknownUid => "unknown_uid",
            AuditVerdict::OtherStore => "other_store",
            AuditVerdict::RetiredLink => "retired_link",
            AuditVerdict::NotOurs => "not_ours",
            AuditVerdict::WebLink => "web_link",
            AuditVerdict::OtherContent => "other_content",
            AuditVerdict::Blank => "blank",
            AuditVerdict::Damaged => "damaged",
            AuditVerdict::NotGenuine => "not_genuine",
            AuditVerdict::RetiredTag => "retired_tag",
        }
    }

    /// The verdict's name in a report column.
    pub fn label(self) -> Bilingual {
        let (zh, en) = match self {
            AuditVerdict::Ok => ("正常", "OK"),
            AuditVerdict::Unlocked => ("未锁定", "Not locked"),
            AuditVerdict::UnknownUid => (
                "本店链接，但不是登记的标签",
                "This store's link, unregistered tag",
            ),
            AuditVerdict::OtherStore => ("其他门店的链接", "Another store's link"),
            AuditVerdict::RetiredLink => ("已停用的旧链接", "Retired link"),
            AuditVerdict::NotOurs => ("不是我们生成的微信链接", "WeChat link not ours"),
            AuditVerdict::WebLink => (
                "网址或其他链接（可能被篡改）",
                "Web or other link (tampered?)",
            ),
            AuditVerdict::OtherContent => ("其他内容", "Other content"),
            AuditVerdict::Blank => ("空白", "Blank"),
            AuditVerdict::Damaged => ("内容损坏或无法读取", "Damaged or unreadable"),
            AuditVerdict::NotGenuine => ("芯片不是原来的原厂芯片", "Chip no longer genuine"),
            AuditVerdict::RetiredTag => ("已换下的旧标签", "Replaced (retired) tag"),
        };
        Bilingual::new(zh, en)
    }

    /// Whether the stand needs nothing.
    pub fn good(self) -> bool {
        self == AuditVerdict::Ok
    }
}

/// What the register and the retirements say about the tapped tag.
#[derive(Clone, Debug, Default)]
pub struct StandFacts {
    /// The register's rows for this UID (one per device model).
    pub registered: Vec<StationTag>,
    /// Retirements of this UID by 换标签.
    pub retired: Vec<RetiredTag>,
    /// The retirement of the link on the tag, when a re-pointed stand left it.
    pub retired_link: Option<tapstand_store::stand::RetiredLink>,
}

/// The database side of an audit tap.
pub async fn look_up_stand(db: &Db, insp: &Inspection) -> Result<StandFacts, StoreError> {
    let mut f = StandFacts::default();
    if let Some(uid) = &insp.uid {
        f.registered = db.station_tags_by_uid(uid).await?;
        f.retired = db.stand_retired_tags_by_uid(uid).await?;
    }
    if let Some(link) = tag_link(insp) {
        f.retired_link = db.stand_retired_link(&link).await?;
    }
    Ok(f)
}

fn tag_link(insp: &Inspection) -> Option<String> {
    match &insp.verdict {
        Verdict::Ours { openlink, .. } => Some(openlink.clone()),
        Verdict::WechatOther { openlink, .. } => Some(openlink.clone()),
        _ => None,
    }
}

/// One tapped tag in the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct AuditEntry {
    /// When it was tapped (unix ms).
    #[specta(type = specta_typescript::Number)]
    pub at: i64,
    pub uid: String,
    pub chip: String,
    pub verdict: AuditVerdict,
    /// What was found, in plain words.
    pub found: Bilingual,
    /// What to do.
    pub advice: Bilingual,
    /// The link on the tag, if it holds one (WeChat or web).
    pub link: Option<String>,
    /// The link the register holds for this tag (what it should hold), if known.
    pub expected: Option<String>,
    /// The stand the register knows this tag as (e.g. `门店 1001 南山店`).
    pub stand: Option<String>,
    pub locked: bool,
    pub genuine: Option<bool>,
    /// The right link is on the tag and the tag could be locked now (`Unlocked`).
    pub can_lock: bool,
    /// Set when the tag was locked from the audit.
    pub locked_now: bool,
}

/// The whole decision for one tapped tag (pure).
pub fn judge(scope: &AuditScope, insp: &Inspection, f: &StandFacts, at: i64) -> AuditEntry {
    let uid = insp.uid.clone().unwrap_or_default();
    // The register's row for this UID in this store (a UID may have rows for several device models).
    let here = f
        .registered
        .iter()
        .find(|t| scope.covers(t.store_id, t.terminal_id));
    let any = here.or(f.registered.first());
    let mut e = AuditEntry {
        at,
        uid,
        chip: insp.chip.clone(),
        verdict: AuditVerdict::Damaged,
        found: Bilingual::default(),
        advice: Bilingual::default(),
        link: None,
        expected: here.map(|t| t.openlink.clone()),
        stand: any.map(|t| t.target_label.clone()),
        locked: insp.locked,
        genuine: insp.genuine,
        can_lock: false,
        locked_now: false,
    };
    if let Some(t) = any.filter(|t| t.genuine == Some(true) && insp.genuine == Some(false)) {
        return set(
            e,
            AuditVerdict::NotGenuine,
            (
                format!("登记时这个 UID 是 NXP 原厂芯片（{}），现在的芯片没有通过原厂检查：可能被换成了仿制标签。", t.target_label),
                format!("When it was registered this UID was an NXP original ({}); the chip now fails the check: it may have been swapped for a copy.", t.target_label),
            ),
            ("请用“换标签”换一张新的原厂标签，并检查立牌是否被动过。", "Replace it with a new original tag (换标签) and check the stand for tampering."),
        );
    }
    if f.registered.is_empty() {
        if let Some(r) = f.retired.first() {
            return set(
                e,
                AuditVerdict::RetiredTag,
                (
                    format!(
                        "这张标签已在 {} 换下（原因：{}），由 UID {} 的新标签代替。",
                        crate::inspect::china_date(r.retired_at),
                        reason_zh(&r.reason),
                        r.replaced_by
                    ),
                    format!(
                        "This tag was replaced on {} (reason: {}) by the tag with UID {}.",
                        crate::inspect::china_date(r.retired_at),
                        r.reason,
                        r.replaced_by
                    ),
                ),
                (
                    "请把它从立牌上取下，换上登记的新标签。",
                    "Take it off the stand and put the registered new tag on.",
                ),
            );
        }
    }
    match &insp.verdict {
        Verdict::Ours {
            openlink,
            target_label,
            store_id,
            terminal_id,
            ..
        } => {
            e.link = Some(openlink.clone());
            judge_ours(
                e,
                scope,
                insp,
                f,
                here,
                openlink,
                target_label,
                *store_id,
                *terminal_id,
            )
        }
        Verdict::WechatOther {
            openlink, appid, ..
        } => {
            e.link = Some(openlink.clone());
            let whose = appid.clone().unwrap_or_else(|| "?".into());
            set(
                e,
                AuditVerdict::NotOurs,
                (
                    format!("标签上是一个不是本软件生成的微信链接（小程序 {whose}）。"),
                    format!("The tag holds a WeChat link this software did not generate (mini program {whose})."),
                ),
                ("如果不是你们自己用其他工具写的，说明标签被改写过：请重新写卡并锁定。", "Unless your team wrote it with another tool, the tag was rewritten: write it again and lock it."),
            )
        }
        Verdict::ForeignUrl { url } => {
            e.link = Some(url.clone());
            set(
                e,
                AuditVerdict::WebLink,
                (
                    format!("标签上是网址或其他链接：{url}。顾客碰一碰会打开它，而不是会员中心。"),
                    format!("The tag holds a web or other link: {url}. A tap opens it instead of the membership center."),
                ),
                ("标签很可能被人改写过：请重新写卡并锁定，或用“换标签”换一张新标签。", "The tag was most likely rewritten: write it again and lock it, or replace it (换标签)."),
            )
        }
        Verdict::OtherNdef { description } => set(
            e,
            AuditVerdict::OtherContent,
            (
                format!("标签上不是链接，而是：{description}。"),
                format!("The tag holds no link but: {description}."),
            ),
            ("请重新写卡并锁定。", "Write it again and lock it."),
        ),
        Verdict::Empty => set(
            e,
            AuditVerdict::Blank,
            (
                "标签是空白的：碰一碰什么都不会打开。".into(),
                "The tag is blank: a tap opens nothing.".into(),
            ),
            (
                "请在“写卡”里为这个门店写入，并锁定。",
                "Write it for this store on 写卡 and lock it.",
            ),
        ),
        Verdict::Damaged { detail } => set(
            e,
            AuditVerdict::Damaged,
            (
                format!("标签内容损坏：{detail}。"),
                format!("The tag's content is damaged: {detail}."),
            ),
            (
                "请重新写卡；写不进去就用“换标签”换一张新标签。",
                "Write it again; if it cannot be written, replace it (换标签).",
            ),
        ),
        Verdict::Unsupported { name } => set(
            e,
            AuditVerdict::Damaged,
            (
                format!("这不是可读取的 NFC 标签（{name}）。"),
                format!("This is not an NFC tag Tapstand can read ({name})."),
            ),
            (
                "请确认放上读卡器的是立牌里的标签。",
                "Make sure the stand's tag is on the reader.",
            ),
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn judge_ours(
    e: AuditEntry,
    scope: &AuditScope,
    insp: &Inspection,
    f: &StandFacts,
    here: Option<&StationTag>,
    openlink: &str,
    target_label: &str,
    store_id: Option<i64>,
    terminal_id: Option<i64>,
) -> AuditEntry {
    if let Some(r) = &f.retired_link {
        return set(
            e,
            AuditVerdict::RetiredLink,
            (
                format!("标签上是已停用的旧链接（{}），这个立牌已改为打开 {}。旧链接永远会打开旧页面。", r.target_label, r.new_target_label),
                format!("The tag holds a retired link ({}); the stand was re-pointed to {}. The old link opens the old page forever.", r.target_label, r.new_target_label),
            ),
            ("请重新写入新链接并锁定。", "Write the new link again and lock it."),
        );
    }
    if !scope.covers(store_id, terminal_id) {
        return set(
            e,
            AuditVerdict::OtherStore,
            (
                format!("标签上是其他目标的链接：{target_label}，不是 {}。", scope.store_label),
                format!("The tag holds the link of another target: {target_label}, not {}.", scope.store_label),
            ),
            ("立牌可能放错了门店，或被换过：确认后重新写卡，或把立牌送回对应门店。", "The stand may be in the wrong store or swapped: check, then write it again or return the stand."),
        );
    }
    let registered_here = here.is_some_and(|t| t.openlink == openlink);
    if !registered_here {
        return set(
            e,
            AuditVerdict::UnknownUid,
            (
                "标签上是本店的链接，但登记里这张标签（UID）不是这个链接：可能是用其他工具写的，或两个立牌的标签互换了。".into(),
                "The tag holds this store's link, but the register does not hold this link for this tag (UID): written with another tool, or two stands swapped tags.".into(),
            ),
            ("在“写卡”里为这个门店重新写一次，标签会登记在本店。", "Write it again for this store on 写卡 so the tag is registered."),
        );
    }
    if insp.locked {
        return set(
            e,
            AuditVerdict::Ok,
            ("链接正确，已锁定。".into(), "Right link, locked.".into()),
            ("", ""),
        );
    }
    let mut e = set(
        e,
        AuditVerdict::Unlocked,
        (
            "链接正确，但标签没有锁定：任何人用手机应用都能改写它。".into(),
            "Right link, but the tag is not locked: anyone with a phone app can overwrite it."
                .into(),
        ),
        (
            "现在锁定（永久只读，不能撤销）。",
            "Lock it now (read-only for ever; cannot be undone).",
        ),
    );
    e.can_lock = insp.writable && insp.report.chip.kind.lockable();
    e
}

fn set(
    mut e: AuditEntry,
    verdict: AuditVerdict,
    found: (String, String),
    advice: (&str, &str),
) -> AuditEntry {
    e.verdict = verdict;
    e.found = Bilingual::new(found.0, found.1);
    e.advice = Bilingual::new(advice.0, advice.1);
    e
}

/// 换标签's reasons, in Chinese.
pub fn reason_zh(reason: &str) -> &'static str {
    match reason {
        "broken" => "损坏",
        "lost" => "丢失",
        "tampered" => "被改写",
        _ => "其他",
    }
}

/// A stand the register knows for the store that was not tapped during the audit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct UntappedStand {
    pub uid: String,
    pub target_label: String,
    pub openlink: String,
    pub locked: bool,
    #[specta(type = specta_typescript::Number)]
    pub first_written_at: i64,
}

/// One audit of a store: the taps so far, the stands not tapped, counts per verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct AuditReport {
    #[specta(type = specta_typescript::Number)]
    pub id: i64,
    pub scope: AuditScope,
    #[specta(type = specta_typescript::Number)]
    pub started_at: i64,
    #[specta(type = Option<specta_typescript::Number>)]
    pub finished_at: Option<i64>,
    pub operator: String,
    /// One per tapped tag (a tag tapped twice keeps its last entry).
    pub entries: Vec<AuditEntry>,
    /// The register's stands of this store not tapped yet.
    pub untapped: Vec<UntappedStand>,
    /// Entries per verdict (`ok`, `unlocked`, …), plus `untapped`.
    #[specta(type = BTreeMap<String, specta_typescript::Number>)]
    pub counts: BTreeMap<String, u32>,
}

impl AuditReport {
    pub fn new(
        id: i64,
        scope: AuditScope,
        operator: String,
        stands: &[StationTag],
        now: i64,
    ) -> Self {
        let mut r = AuditReport {
            id,
            scope,
            started_at: now,
            finished_at: None,
            operator,
            entries: vec![],
            untapped: vec![],
            counts: BTreeMap::new(),
        };
        r.untapped = stands
            .iter()
            .filter(|t| r.scope.covers(t.store_id, t.terminal_id))
            .map(|t| UntappedStand {
                uid: t.uid.clone(),
                target_label: t.target_label.clone(),
                openlink: t.openlink.clone(),
                locked: t.locked,
                first_written_at: t.first_written_at,
            })
            .collect();
        r.untapped.sort_by(|a, b| a.uid.cmp(&b.uid));
        r.untapped.dedup_by(|a, b| a.uid == b.uid);
        r.recount();
        r
    }

    /// Adds (or replaces, for a tag tapped again) an entry; the tag is no longer untapped.
    pub fn push(&mut self, e: AuditEntry) {
        self.untapped.retain(|s| s.uid != e.uid || e.uid.is_empty());
        match self
            .entries
            .iter_mut()
            .find(|x| !e.uid.is_empty() && x.uid == e.uid)
        {
            Some(x) => *x = e,
            None => self.entries.push(e),
        }
        self.recount();
    }

    fn recount(&mut self) {
        self.counts.clear();
        for e in &self.entries {
            *self
                .counts
                .entry(e.verdict.as_str().to_string())
                .or_default() += 1;
        }
        self.counts
            .insert("untapped".into(), self.untapped.len() as u32);
    }
}

impl AuditReport {
    /// The report as `.xlsx` (same conventions as the other exports: text cells, China time, frozen
    /// header, filters, written through a safe file): one row per tapped tag, then one per stand not
    /// tapped. Headers and words in Chinese, or English when `english`.
    pub fn write_xlsx(
        &self,
        path: &std::path::Path,
        english: bool,
    ) -> Result<u64, tapstand_error::UserError> {
        use tapstand_records::xlsx::{Cell, XlsxTable};
        let header: &[&str] = if english {
            &[
                "Tapped at",
                "UID",
                "Chip",
                "Verdict",
                "What was found",
                "What to do",
                "Link on the tag",
                "Registered link",
                "Stand",
                "Locked",
                "Genuine",
            ]
        } else {
            &[
                "巡检时间",
                "UID",
                "芯片",
                "结论",
                "发现",
                "建议",
                "标签上的链接",
                "登记的链接",
                "立牌",
                "已锁定",
                "原厂芯片",
            ]
        };
        let pick = |b: &Bilingual| if english { b.en.clone() } else { b.zh.clone() };
        let yes_no = |v: bool| match (v, english) {
            (true, false) => "是",
            (false, false) => "否",
            (true, true) => "yes",
            (false, true) => "no",
        };
        let mut t = XlsxTable::new(if english { "Audit" } else { "巡检" }, header)?;
        for e in &self.entries {
            let genuine = match e.genuine {
                Some(g) => yes_no(g).to_string(),
                None => (if english {
                    "cannot be checked"
                } else {
                    "无法检查"
                })
                .to_string(),
            };
            let cells = [
                crate::history::china_time(e.at),
                e.uid.clone(),
                e.chip.clone(),
                pick(&e.verdict.label()),
                pick(&e.found),
                pick(&e.advice),
                e.link.clone().unwrap_or_default(),
                e.expected.clone().unwrap_or_default(),
                e.stand.clone().unwrap_or_default(),
                yes_no(e.locked || e.locked_now).to_string(),
                genuine,
            ];
            t.row(&cells.iter().map(|c| Cell::Text(c)).collect::<Vec<_>>())?;
        }
        for s in &self.untapped {
            let (verdict, found, advice) = if english {
                (
                    "Not tapped",
                    "The register knows this stand in this store; it was not tapped in this audit.",
                    "Find the stand and tap it, or replace its tag (换标签) if it is lost.",
                )
            } else {
                (
                    "未巡检",
                    "登记里这个门店有这个立牌，但这次巡检没有碰到它。",
                    "找到这个立牌再碰一次；如果丢了，用“换标签”补一张。",
                )
            };
            let cells = [
                String::new(),
                s.uid.clone(),
                String::new(),
                verdict.to_string(),
                found.to_string(),
                advice.to_string(),
                String::new(),
                s.openlink.clone(),
                s.target_label.clone(),
                yes_no(s.locked).to_string(),
                String::new(),
            ];
            t.row(&cells.iter().map(|c| Cell::Text(c)).collect::<Vec<_>>())?;
        }
        t.finish(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> AuditScope {
        AuditScope {
            store_id: 1,
            store_label: "门店 1001 南山店".into(),
            terminal_ids: vec![7],
        }
    }

    fn stand(
        uid: &str,
        link: &str,
        store: Option<i64>,
        terminal: Option<i64>,
        genuine: Option<bool>,
    ) -> StationTag {
        StationTag {
            id: 1,
            uid: uid.into(),
            chip: "ntag213".into(),
            model_id: "m".into(),
            sn: uid.into(),
            openlink: link.into(),
            target: "store:1".into(),
            target_label: "门店 1001 南山店".into(),
            store_id: store,
            terminal_id: terminal,
            path: String::new(),
            query: String::new(),
            reader: String::new(),
            operator: String::new(),
            locked: false,
            first_written_at: 1,
            last_verified_at: 1,
            verify_count: 1,
            genuine,
        }
    }

    #[test]
    fn scope_covers_the_store_and_its_terminals_only() {
        let s = scope();
        assert!(s.covers(Some(1), None));
        assert!(s.covers(None, Some(7)));
        assert!(!s.covers(Some(2), None));
        assert!(!s.covers(None, Some(8)));
        assert!(!s.covers(None, None));
    }

    #[test]
    fn the_report_tracks_untapped_stands_and_counts() {
        let stands = vec![
            stand("04AA", "weixin://dl/business/?t=a", Some(1), None, None),
            stand("04BB", "weixin://dl/business/?t=b", None, Some(7), None),
            stand("04CC", "weixin://dl/business/?t=c", Some(2), None, None),
        ];
        let mut r = AuditReport::new(1, scope(), String::new(), &stands, 0);
        assert_eq!(
            r.untapped.len(),
            2,
            "the other store's stand is not this store's"
        );
        let mut e = AuditEntry {
            at: 1,
            uid: "04AA".into(),
            chip: String::new(),
            verdict: AuditVerdict::Unlocked,
            found: Bilingual::default(),
            advice: Bilingual::default(),
            link: None,
            expected: None,
            stand: None,
            locked: false,
            genuine: None,
            can_lock: true,
            locked_now: false,
        };
        r.push(e.clone());
        assert_eq!(r.counts["unlocked"], 1);
        assert_eq!(r.counts["untapped"], 1);
        e.verdict = AuditVerdict::Ok;
        r.push(e);
        assert_eq!(
            r.entries.len(),
            1,
            "a tag tapped again keeps its last entry"
        );
        assert_eq!(r.counts.get("unlocked"), None);
        assert_eq!(r.counts["ok"], 1);
    }

    #[test]
    fn every_verdict_has_a_distinct_name() {
        let mut names: Vec<_> = AuditVerdict::ALL.iter().map(|v| v.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), AuditVerdict::ALL.len());
        for v in AuditVerdict::ALL {
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(json, format!("\"{}\"", v.as_str()));
        }
    }
}

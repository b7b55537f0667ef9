//! [`explain`] = [`look_up`] (the database and WeChat) + [`explain_with`] (the decision, pure): what the
//! tag holds → (for a WeChat link) ours, or asked about at WeChat → the notes on locks, passwords and
//! content problems → the comparison with the station's record.

use tapstand_error::UserError;
use tapstand_store::Db;
use tapstand_tag::TagReport;

use super::records;
use super::tag::{self, wechat_link, TagFacts};
use super::wechat::{self, SchemeQuery};
use super::{
    words, Bilingual, Finding, Inspection, Lookups, RecordMatch, RecordMatchKind, Verdict,
};

/// Classifies a read report using the local ledger and records and, for a WeChat link not in the ledger,
/// `queryscheme` when `wechat` is given. No tag I/O. Never fails: a database error is reported in
/// `lookup_error`, a WeChat error in the verdict. [`look_up`], then [`explain_with`].
pub async fn explain(db: &Db, report: &TagReport, wechat: Option<&dyn SchemeQuery>) -> Inspection {
    explain_with(report, &look_up(db, report, wechat).await)
}

/// What [`explain_with`] needs from the database and WeChat for this report: for a readable WeChat link,
/// its ledger row (and what the station recorded about it) or, when it is not in the ledger, WeChat's
/// answer; for a tag with a UID, the station's records. Never fails: the first database error goes to
/// `lookup_error`.
pub async fn look_up(db: &Db, report: &TagReport, wechat: Option<&dyn SchemeQuery>) -> Lookups {
    let mut l = Lookups::default();
    let usable = tag::unusable(report, &TagFacts::of(report)).is_none();
    if let Some(link) = wechat_link(report).filter(|_| usable) {
        let row = match db.scheme_find_by_openlink(&link).await {
            Ok(r) => r,
            Err(e) => {
                l.lookup_error = Some(UserError::from(e));
                None
            }
        };
        match row {
            Some(row) => {
                l.ours = Some(records::ours_lookup(db, &link, row, &mut l.lookup_error).await);
            }
            None => l.wechat = wechat::ask(&link, wechat).await,
        }
    }
    if report.uid.is_some() {
        match records::record_lookup(db, report).await {
            Ok(r) => l.record = Some(r),
            Err(e) => {
                l.lookup_error.get_or_insert(e);
            }
        }
    }
    l
}

/// The inspection of `report` given what was looked up about it: the verdict, the headline, the advice,
/// the problems and the comparison with the station's record. Synchronous, no I/O, total: any report
/// and any lookups give an [`Inspection`].
pub fn explain_with(report: &TagReport, lookups: &Lookups) -> Inspection {
    let tag = TagFacts::of(report);
    let mut problems = Vec::new();

    let found = if let Some(f) = tag::unusable(report, &tag) {
        f
    } else if let Some(link) = wechat_link(report) {
        problems = wechat_problems(report);
        match &lookups.ours {
            Some(o) => records::ours(report, &tag, &link, o),
            None => wechat::not_in_ledger(&link, lookups.wechat.as_ref(), &tag),
        }
    } else {
        tag::not_wechat(report, &tag)
    };

    let Finding {
        verdict,
        headline,
        advice,
    } = found;
    let mut headline = headline
        .then(words::protection_note(&tag))
        .then(words::type4_note(&tag));
    let advice = with_problems(advice, &problems, &verdict);
    // The tag against the station's record of its UID (`None` without a UID, or when the records could
    // not be read: the error is in `lookup_error`).
    let record_match = report
        .uid
        .as_ref()
        .and(lookups.record.as_ref())
        .map(|r| records::record_match(report, r));
    if is_copy_of_ours(&verdict, record_match.as_ref()) {
        headline = headline.then(words::copied_note());
    }

    Inspection {
        uid: report.uid.clone(),
        chip: tag.chip_name,
        chip_words: Bilingual::new(
            report.chip.description_zh.clone(),
            report.chip.description_en.clone(),
        ),
        reader: report.reader.clone(),
        capacity: report.capacity,
        used: report.message_len,
        locked: tag.locked,
        password_protected: tag.password_protected,
        writable: tag.writable,
        genuine: report.genuine,
        genuine_words: Bilingual::new(
            crate::genuine::verdict_zh(report.genuine),
            crate::genuine::verdict_en(report.genuine),
        ),
        verdict,
        headline,
        advice,
        problems,
        record_match,
        records: report.records.clone(),
        report: report.clone(),
        lookup_error: lookups.lookup_error.clone(),
    }
}

/// What is wrong with the WeChat content, in words.
fn wechat_problems(report: &TagReport) -> Vec<Bilingual> {
    report
        .wechat
        .iter()
        .flat_map(|w| w.problems.iter().filter_map(words::problem))
        .collect()
}

/// For tags that are not ours, the advice starts with what phones will do wrong (for our own tags the
/// advice already says how to repair them). Harmless problems are left out.
fn with_problems(advice: Bilingual, problems: &[Bilingual], verdict: &Verdict) -> Bilingual {
    if problems.is_empty() || matches!(verdict, Verdict::Ours { .. }) {
        return advice;
    }
    problems
        .iter()
        .filter(|p| !words::is_harmless(p))
        .fold(Bilingual::default(), |a, p| a.then(p.clone()))
        .then(advice)
}

/// Our link on a tag the station never wrote: a copy (e.g. with a phone app).
fn is_copy_of_ours(verdict: &Verdict, record_match: Option<&RecordMatch>) -> bool {
    matches!(verdict, Verdict::Ours { .. })
        && record_match.is_some_and(|m| m.kind == RecordMatchKind::Copied)
}

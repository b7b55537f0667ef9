//! [`explain`]: what the tag holds → (for a WeChat link) ours, or asked about at WeChat → the notes on
//! locks, passwords and content problems → the comparison with the station's record.

use tapstand_error::UserError;
use tapstand_store::Db;
use tapstand_tag::TagReport;

use super::records::{self, verify_against_record};
use super::tag::{self, wechat_link, TagFacts};
use super::wechat::{self, SchemeQuery};
use super::{words, Bilingual, Finding, Inspection, RecordMatch, RecordMatchKind, Verdict};

/// Classifies a read report using the local ledger and records and, for a WeChat link not in the ledger,
/// `queryscheme` when `wechat` is given. No tag I/O. Never fails: a database error is reported in
/// `lookup_error`, a WeChat error in the verdict.
pub async fn explain(db: &Db, report: &TagReport, wechat: Option<&dyn SchemeQuery>) -> Inspection {
    let tag = TagFacts::of(report);
    let mut lookup_error = None;
    let mut problems = Vec::new();

    let found = if let Some(f) = tag::unusable(report, &tag) {
        f
    } else if let Some(link) = wechat_link(report) {
        problems = wechat_problems(report);
        wechat_content(db, report, &tag, &link, wechat, &mut lookup_error).await
    } else {
        tag::not_wechat(report, &tag)
    };

    let Finding {
        verdict,
        headline,
        advice,
    } = found;
    let mut headline = headline.then(words::protection_note(&tag));
    let advice = with_problems(advice, &problems, &verdict);
    let record_match = compare_with_record(db, report, &mut lookup_error).await;
    if is_copy_of_ours(&verdict, record_match.as_ref()) {
        headline = headline.then(words::copied_note());
    }

    Inspection {
        uid: report.uid.clone(),
        chip: tag.chip_name,
        reader: report.reader.clone(),
        capacity: report.capacity,
        used: report.message_len,
        locked: tag.locked,
        password_protected: tag.password_protected,
        writable: tag.writable,
        verdict,
        headline,
        advice,
        problems,
        record_match,
        records: report.records.clone(),
        report: report.clone(),
        lookup_error,
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

/// A WeChat link: ours when the ledger holds it, else asked about at WeChat. A database error goes to
/// `lookup_error` (the link is then treated as not ours).
async fn wechat_content(
    db: &Db,
    report: &TagReport,
    tag: &TagFacts,
    link: &str,
    wechat: Option<&dyn SchemeQuery>,
    lookup_error: &mut Option<UserError>,
) -> Finding {
    let row = match db.scheme_find_by_openlink(link).await {
        Ok(r) => r,
        Err(e) => {
            *lookup_error = Some(UserError::from(e));
            None
        }
    };
    match row {
        Some(row) => records::ours(db, report, tag, link, &row, lookup_error).await,
        None => wechat::not_in_ledger(link, wechat, tag).await,
    }
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

/// The tag against the station's record of its UID (`None` without a UID, or when the database cannot
/// be read: then the error goes to `lookup_error` unless one is there already).
async fn compare_with_record(
    db: &Db,
    report: &TagReport,
    lookup_error: &mut Option<UserError>,
) -> Option<RecordMatch> {
    report.uid.as_ref()?;
    match verify_against_record(db, report).await {
        Ok(m) => Some(m),
        Err(e) => {
            lookup_error.get_or_insert(e);
            None
        }
    }
}

/// Our link on a tag the station never wrote: a copy (e.g. with a phone app).
fn is_copy_of_ours(verdict: &Verdict, record_match: Option<&RecordMatch>) -> bool {
    matches!(verdict, Verdict::Ours { .. })
        && record_match.is_some_and(|m| m.kind == RecordMatchKind::Copied)
}

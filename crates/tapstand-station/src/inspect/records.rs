//! Matching our records: a link in this install's scheme ledger is "ours", described with what the
//! station recorded about the tags it wrote it on; "verify again" compares a tag with the station's record
//! of its UID. Reads the database only.

use tapstand_error::UserError;
use tapstand_store::ledger::SchemeRow;
use tapstand_store::station::StationTag;
use tapstand_store::{Db, StoreError};
use tapstand_tag::TagReport;

use super::tag::{wechat_link, TagFacts};
use super::words::{self, HoldsNow};
use super::{
    Finding, OursLookup, RecordLookup, RecordMatch, RecordMatchKind, Verdict, WrittenLookup,
};

/// Compares the tag with the station's record of its UID ("verify again"). Reads the database only.
pub async fn verify_against_record(db: &Db, report: &TagReport) -> Result<RecordMatch, UserError> {
    Ok(record_match(report, &record_lookup(db, report).await?))
}

/// The station's records [`record_match`] needs: the tags with this UID and, when there are none, the
/// tags holding this tag's WeChat link. Nothing to read without a UID.
pub(super) async fn record_lookup(db: &Db, report: &TagReport) -> Result<RecordLookup, UserError> {
    let Some(uid) = report.uid.as_deref() else {
        return Ok(RecordLookup::default());
    };
    let by_uid = db.station_tags_by_uid(uid).await.map_err(UserError::from)?;
    let same_link = match wechat_link(report) {
        Some(link) if by_uid.is_empty() => db
            .station_tags_by_openlink(&link)
            .await
            .map_err(UserError::from)?,
        _ => Vec::new(),
    };
    Ok(RecordLookup { by_uid, same_link })
}

/// The tag against the station's records `l` (see [`record_lookup`]).
pub(super) fn record_match(report: &TagReport, l: &RecordLookup) -> RecordMatch {
    if report.uid.is_none() {
        return RecordMatch {
            kind: RecordMatchKind::NotRecorded,
            message: words::uid_unreadable(),
            recorded: None,
        };
    }
    let link = wechat_link(report);
    if let Some(r) = l
        .by_uid
        .iter()
        .find(|r| link.as_deref() == Some(r.openlink.as_str()))
    {
        return RecordMatch {
            kind: RecordMatchKind::Matches,
            message: words::record_matches(r),
            recorded: Some(r.clone()),
        };
    }
    if let Some(r) = l.by_uid.first() {
        return RecordMatch {
            kind: RecordMatchKind::ContentChanged,
            message: words::record_changed(r, holds_now(report, link.is_some())),
            recorded: Some(r.clone()),
        };
    }
    if link.is_some() {
        if let Some(r) = l.same_link.first() {
            return RecordMatch {
                kind: RecordMatchKind::Copied,
                message: words::record_copied(r),
                recorded: Some(r.clone()),
            };
        }
    }
    RecordMatch {
        kind: RecordMatchKind::NotRecorded,
        message: words::not_recorded(),
        recorded: None,
    }
}

/// What a tag holds that no longer holds its recorded link.
fn holds_now(report: &TagReport, has_wechat_link: bool) -> HoldsNow {
    match (has_wechat_link, report.message_len) {
        (true, _) => HoldsNow::AnotherLink,
        (false, Some(0)) | (false, None) if report.message_error.is_none() => HoldsNow::Nothing,
        (false, _) if report.message_error.is_some() => HoldsNow::Damaged,
        _ => HoldsNow::SomethingElse,
    }
}

/// What the ledger and the station know about one of our links.
struct OursFacts {
    target_label: String,
    store_id: Option<i64>,
    terminal_id: Option<i64>,
    written_at: Option<i64>,
}

impl OursFacts {
    /// Only the ledger's page is known.
    fn page_only(page: String) -> OursFacts {
        OursFacts {
            target_label: format!("页面 {page}"),
            store_id: None,
            terminal_id: None,
            written_at: None,
        }
    }

    /// From the station's records of the link (the tag with this UID first), else the ledger's page.
    fn of(uid: Option<&str>, written: Option<&WrittenLookup>, row: &SchemeRow) -> OursFacts {
        let Some(w) = written else {
            return OursFacts::page_only(row.path.clone());
        };
        let tag: Option<&StationTag> = w
            .tags
            .iter()
            .find(|t| Some(t.uid.as_str()) == uid)
            .or(w.tags.first());
        match (tag, w.attempts.first()) {
            (Some(t), _) => OursFacts {
                target_label: t.target_label.clone(),
                store_id: t.store_id,
                terminal_id: t.terminal_id,
                written_at: Some(
                    w.tags
                        .iter()
                        .map(|t| t.first_written_at)
                        .min()
                        .unwrap_or(t.first_written_at),
                ),
            },
            (None, Some(a)) => OursFacts {
                target_label: a.target_label.clone(),
                store_id: a.store_id,
                terminal_id: a.terminal_id,
                written_at: Some(a.started_at),
            },
            (None, None) if row.query.is_empty() => OursFacts::page_only(row.path.clone()),
            (None, None) => OursFacts::page_only(format!("{}?{}", row.path, row.query)),
        }
    }
}

/// What the station recorded about writing `openlink`: its tags, else its successful attempts.
async fn written_lookup(db: &Db, openlink: &str) -> Result<WrittenLookup, StoreError> {
    let tags = db.station_tags_by_openlink(openlink).await?;
    let attempts = if tags.is_empty() {
        db.station_good_attempts_by_openlink(openlink).await?
    } else {
        Vec::new()
    };
    Ok(WrittenLookup { tags, attempts })
}

/// The name of the configured profile with this AppID (none when it is gone or cannot be read).
async fn profile_name(db: &Db, appid: &str) -> Option<String> {
    db.list_profiles()
        .await
        .ok()?
        .into_iter()
        .find(|p| p.appid == appid)
        .map(|p| p.name)
}

/// What [`ours`] needs about `link`, which the ledger row `row` holds. A database error while reading
/// the station's records goes to `lookup_error` (unless one is there already).
pub(super) async fn ours_lookup(
    db: &Db,
    link: &str,
    row: SchemeRow,
    lookup_error: &mut Option<UserError>,
) -> OursLookup {
    let written = match written_lookup(db, link).await {
        Ok(w) => Some(w),
        Err(e) => {
            lookup_error.get_or_insert(UserError::from(e));
            None
        }
    };
    let profile_name = profile_name(db, &row.appid).await;
    OursLookup {
        row,
        written,
        profile_name,
    }
}

/// A tag holding `link`, which the ledger row in `o` holds: ours.
pub(super) fn ours(report: &TagReport, tag: &TagFacts, link: &str, o: &OursLookup) -> Finding {
    let row = &o.row;
    let facts = OursFacts::of(report.uid.as_deref(), o.written.as_ref(), row);
    let label = facts.target_label.clone();
    let mut headline = words::ours(&label, facts.written_at);
    let test_version = words::test_version_note(&row.env_version);
    let content_ok = report.wechat.as_ref().is_some_and(|w| w.valid) && test_version.is_none();
    if let Some(note) = test_version {
        headline = headline.then(note);
    }
    let advice = if content_ok {
        words::ours_fine()
    } else {
        words::or_replace(tag, words::rewrite_for_target(&label))
    };
    Finding {
        verdict: Verdict::Ours {
            target_label: facts.target_label,
            store_id: facts.store_id,
            terminal_id: facts.terminal_id,
            model_id: row.model_id.clone(),
            sn: row.sn.clone(),
            openlink: link.to_string(),
            path: row.path.clone(),
            query: row.query.clone(),
            written_at: facts.written_at,
            profile_name: o.profile_name.clone(),
        },
        headline,
        advice,
    }
}

#[cfg(test)]
mod tests {
    use super::super::explain;
    use super::super::test_support::*;
    use super::*;
    use tapstand_store::ledger::NewSchemeRequest;
    use tapstand_store::station::StationAttempt;
    use tapstand_tag::ndef::wechat::uri_and_aar;
    use tapstand_vtag::{nth_uid, TagState, VChip};

    /// A ledger row holding `link` for sn = `uid`, and (with `label`) the station's record of the tag.
    async fn ours(db: &Db, uid: &str, link: &str, label: Option<&str>) {
        let row = db
            .scheme_record_request(&NewSchemeRequest {
                api_base: "http://127.0.0.1:1",
                appid: "wx5a1b2c3d4e5f6071",
                model_id: "model-1",
                sn: uid,
                path: "pages/member/card",
                query: "store=1001",
                env_version: "release",
            })
            .await
            .unwrap();
        let call = db
            .scheme_begin_call(row.id, false, 0, None, "http://127.0.0.1:1")
            .await
            .unwrap()
            .unwrap();
        assert!(db.scheme_finish_issued(row.id, call, link).await.unwrap());
        if let Some(label) = label {
            let a = StationAttempt {
                started_at: WRITTEN_AT,
                uid: uid.into(),
                chip: "ntag215".into(),
                model_id: "model-1".into(),
                sn: uid.into(),
                openlink: Some(link.into()),
                target: "store:7".into(),
                target_label: label.into(),
                store_id: Some(7),
                path: "pages/member/card".into(),
                query: "store=1001".into(),
                result: "written".into(),
                ..Default::default()
            };
            db.station_upsert_tag(&a).await.unwrap();
            db.station_insert_attempt(&a).await.unwrap();
        }
    }

    #[tokio::test]
    async fn ours_with_target_and_date_then_locked() {
        let (db, _d) = db().await;
        let uid = nth_uid(1);
        ours(&db, &hex(uid), OURS, Some("门店 1001 南山店")).await;
        let r = read(wechat_tag(uid, OURS));
        // No client needed for our own tags (offline works).
        let i = explain(&db, &r, None).await;
        match &i.verdict {
            Verdict::Ours {
                target_label,
                store_id,
                written_at,
                sn,
                openlink,
                model_id,
                ..
            } => {
                assert_eq!(target_label, "门店 1001 南山店");
                assert_eq!(*store_id, Some(7));
                assert_eq!(*written_at, Some(WRITTEN_AT));
                assert_eq!(sn, &hex(uid));
                assert_eq!(openlink, OURS);
                assert_eq!(model_id, "model-1");
            }
            v => panic!("{v:?}"),
        }
        assert_eq!(
            i.headline.zh,
            "这是本店写的标签：门店 1001 南山店，2026-11-20 写入。"
        );
        assert_eq!(
            i.headline.en,
            "This is one of our tags: store 1001 南山店, written on 2026-11-20."
        );
        assert!(i.advice.zh.contains("内容正常"), "{:?}", i.advice);
        assert_eq!(i.chip, "NTAG215");
        assert_eq!(i.used, Some(72 - 35 + OURS.len() as u32));
        assert!(!i.locked && i.writable && i.problems.is_empty());
        let m = i.record_match.unwrap();
        assert_eq!(m.kind, RecordMatchKind::Matches);
        assert!(m
            .message
            .zh
            .starts_with("和记录一致：门店 1001 南山店，2026-11-20 写入"));

        let mut locked = wechat_tag(uid, OURS);
        locked.lock();
        let i = explain(&db, &read(locked), None).await;
        assert!(matches!(i.verdict, Verdict::Ours { .. }));
        assert!(i.locked && !i.writable);
        assert!(
            i.headline.zh.ends_with("标签已永久锁定，不能再改写。"),
            "{}",
            i.headline.zh
        );
        assert!(i.headline.en.contains("permanently locked"));
    }

    #[tokio::test]
    async fn ours_in_the_ledger_only_and_broken_content_advice() {
        let (db, _d) = db().await;
        let uid = nth_uid(2);
        ours(&db, &hex(uid), OURS, None).await;
        // URI only, no AAR: still ours, but Android cannot open it; the advice says how to repair.
        let m = uri_and_aar(OURS, None).encode().unwrap();
        let i = explain(
            &db,
            &read(TagState::with_message(VChip::Ntag213, uid, &m)),
            None,
        )
        .await;
        match &i.verdict {
            Verdict::Ours {
                target_label,
                written_at,
                ..
            } => {
                assert_eq!(target_label, "页面 pages/member/card?store=1001");
                assert_eq!(*written_at, None);
            }
            v => panic!("{v:?}"),
        }
        assert!(i.headline.zh.contains("本机没有写卡记录"));
        assert_eq!(i.problems.len(), 1);
        assert!(i.problems[0].zh.contains("安卓"));
        assert!(i.advice.zh.contains("重新写一次"), "{:?}", i.advice);
        assert_eq!(i.record_match.unwrap().kind, RecordMatchKind::NotRecorded);
    }

    #[tokio::test]
    async fn verify_again_changed_and_copied() {
        let (db, _d) = db().await;
        let a = nth_uid(11);
        ours(&db, &hex(a), OURS, Some("门店 1001 南山店")).await;
        // The recorded tag, now blank.
        let m = verify_against_record(&db, &read(TagState::factory(VChip::Ntag215, a)))
            .await
            .unwrap();
        assert_eq!(m.kind, RecordMatchKind::ContentChanged);
        assert!(m.message.zh.contains("现在是空的"), "{:?}", m.message);
        assert_eq!(m.recorded.unwrap().openlink, OURS);
        // Another tag with the same content.
        let b = nth_uid(12);
        let i = explain(&db, &read(wechat_tag(b, OURS)), None).await;
        assert!(matches!(i.verdict, Verdict::Ours { .. }));
        assert!(
            i.headline.zh.ends_with("内容可能是复制来的。"),
            "{}",
            i.headline.zh
        );
        let m = i.record_match.unwrap();
        assert_eq!(m.kind, RecordMatchKind::Copied);
        assert!(m.message.zh.contains(&hex(a)));
    }

    #[tokio::test]
    async fn ours_but_a_trial_version_link() {
        let (db, _d) = db().await;
        let uid = nth_uid(13);
        let row = db
            .scheme_record_request(&NewSchemeRequest {
                api_base: "http://127.0.0.1:1",
                appid: "wx5a1b2c3d4e5f6071",
                model_id: "model-1",
                sn: &hex(uid),
                path: "pages/member/card",
                query: "",
                env_version: "trial",
            })
            .await
            .unwrap();
        let call = db
            .scheme_begin_call(row.id, false, 0, None, "http://127.0.0.1:1")
            .await
            .unwrap()
            .unwrap();
        db.scheme_finish_issued(row.id, call, OURS).await.unwrap();
        let i = explain(&db, &read(wechat_tag(uid, OURS)), None).await;
        assert!(
            matches!(&i.verdict, Verdict::Ours { target_label, .. } if target_label == "页面 pages/member/card")
        );
        assert!(
            i.headline.zh.contains("体验版链接，普通顾客打不开"),
            "{}",
            i.headline.zh
        );
        assert!(i.advice.zh.contains("重新写一次"), "{:?}", i.advice);
    }
}

//! The tag inspector (检查): read any tag and say in plain words what it is — our tag for store X written
//! on date Y, a WeChat tap tag of this or another mini program, a web link, empty, damaged, locked, or not
//! an NFC tag at all — and what to do next. Counter staff use it on a stand that "stopped working".
//!
//! ```text
//! worker thread:  read_on_reader(&mut pcsc, reader, wait) ─▶ TagReport     (blocking PC/SC)
//! async:          explain(&db, &report, Some(&client)).await ─▶ Inspection (SQLite, queryscheme)
//! ```
//! [`explain`] needs no network: "ours" comes from the local scheme ledger and the station's records.
//! Only a WeChat link that is *not* in the ledger is looked up with `queryscheme`, when a client is given
//! ([`SchemeQuery`], implemented for [`WechatClient`]; tests pass a double or the client against the fake).
//! Without a client, or offline, the inspection says the link cannot be checked now.
//!
//! [`verify_against_record`] ("verify again" in the history) compares the tag with what the station
//! recorded for its UID; [`explain`] includes it as [`Inspection::record_match`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tapstand_error::UserError;
use tapstand_secrets::SecretStore;
use tapstand_store::station::{StationAttempt, StationTag};
use tapstand_store::{now_ms, Db};
use tapstand_tag::ndef::view::{RecordContent, RecordView};
use tapstand_tag::ndef::wechat::{WechatProblem, SCHEME_PREFIX, WECHAT_PACKAGE};
use tapstand_tag::{Pcsc, TagReport};
use tapstand_wechat::error::{is_openlink, QueryCode};
use tapstand_wechat::{ApiErrorKind, WechatClient, WechatError};

/// What `queryscheme` answered (the WeChat client's type, renamed here: [`SchemeQuery`] is the trait).
pub use tapstand_wechat::SchemeQuery as SchemeAnswer;

/// How long the inspector waits for `queryscheme` before saying "cannot be checked now".
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(8);

/// A sentence in Chinese and in English.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, specta::Type)]
pub struct Bilingual {
    pub zh: String,
    pub en: String,
}

impl Bilingual {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Bilingual {
        Bilingual {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// Appends another sentence (no space in Chinese, one in English).
    fn then(mut self, more: Bilingual) -> Bilingual {
        if more.zh.is_empty() && more.en.is_empty() {
            return self;
        }
        self.zh.push_str(&more.zh);
        if !self.en.is_empty() && !more.en.is_empty() {
            self.en.push(' ');
        }
        self.en.push_str(&more.en);
        self
    }
}

/// What the tag is.
#[derive(Clone, Debug, PartialEq, Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// The tag's WeChat link is in this install's scheme ledger.
    Ours {
        /// Plain words, e.g. `门店 1001 南山店` (from the station's records, else the ledger's page and query).
        target_label: String,
        #[specta(type = Option<specta_typescript::Number>)]
        store_id: Option<i64>,
        #[specta(type = Option<specta_typescript::Number>)]
        terminal_id: Option<i64>,
        model_id: String,
        sn: String,
        openlink: String,
        /// The page and query the link opens (as generated).
        path: String,
        query: String,
        /// When the station first wrote this link on a tag (unix ms); `None` when it has no record of
        /// writing it (e.g. written with `tapstand-cli write-ndef`).
        #[specta(type = Option<specta_typescript::Number>)]
        written_at: Option<i64>,
        /// The mini-program profile the link belongs to (by AppID), if it is still configured.
        profile_name: Option<String>,
    },
    /// A WeChat mini-program link that this install did not generate.
    WechatOther {
        openlink: String,
        appid: Option<String>,
        path: Option<String>,
        query: Option<String>,
        /// `queryscheme` (WeChat answered: the link belongs to the configured mini program), `not_ours`
        /// (WeChat does not know it for the configured mini program: 85403), `offline` (not checked: no
        /// client given, no network, or another error — see `query_error`), `plaintext` (a plain-text
        /// `?appid=…&path=…` scheme: read from the link itself).
        source: String,
        query_error: Option<UserError>,
        /// Unix seconds; 0 = never expires (only from `queryscheme`).
        #[specta(type = Option<specta_typescript::Number>)]
        expire_time: Option<i64>,
        /// `release`, `trial` or `develop` (only from `queryscheme` or a plain-text scheme).
        env_version: Option<String>,
    },
    /// Opens a web address (or another non-WeChat URI such as `tel:`).
    ForeignUrl { url: String },
    /// NDEF content that is no link: text, a contact card, an app record, …
    OtherNdef { description: String },
    /// Formatted with no message, an empty message, or factory-blank.
    Empty,
    /// The content cannot be read as NDEF (broken TLV area, broken message, not NDEF formatted).
    Damaged { detail: String },
    /// Not a Type 2 NFC tag (MIFARE Classic, a bank card, a phone…).
    Unsupported { name: String },
}

/// How the tag compares with what the station recorded for its UID ("verify again").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RecordMatchKind {
    /// The tag holds exactly the link recorded for its UID.
    Matches,
    /// The station recorded this UID with another link; the tag now holds something else.
    ContentChanged,
    /// No record for this UID, but its link was recorded on another tag (copied content).
    Copied,
    /// The station has no record of this tag.
    NotRecorded,
}

#[derive(Clone, Debug, PartialEq, Serialize, specta::Type)]
pub struct RecordMatch {
    pub kind: RecordMatchKind,
    /// One sentence, e.g. "和记录一致：门店 1001 南山店，2026-11-20 写入。"
    pub message: Bilingual,
    /// The record compared with (this UID's, or for `copied` the tag the content was recorded on).
    pub recorded: Option<StationTag>,
}

/// Everything the inspector shows about a tag.
#[derive(Clone, Debug, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub struct Inspection {
    pub uid: Option<String>,
    /// Plain chip name, e.g. `NTAG215`.
    pub chip: String,
    pub reader: String,
    /// Largest message that fits, bytes.
    pub capacity: Option<u32>,
    /// Bytes of the message on the tag.
    pub used: Option<u32>,
    /// Read-only: permanently locked, or some user pages locked.
    pub locked: bool,
    /// A write password is active.
    pub password_protected: bool,
    /// Tapstand could write this tag now.
    pub writable: bool,
    pub verdict: Verdict,
    /// One or two sentences in plain words.
    pub headline: Bilingual,
    /// What to do next.
    pub advice: Bilingual,
    /// What is wrong with the WeChat content, one sentence each (e.g. no Android record).
    pub problems: Vec<Bilingual>,
    /// The tag compared with the station's record of its UID (`None` without a UID).
    pub record_match: Option<RecordMatch>,
    /// The records, for the "details" fold.
    pub records: Vec<RecordView>,
    /// The engine's full report (CC, lock and password bytes, I/O statistics), for the "details" fold.
    pub report: TagReport,
    /// The local database could not be read: the verdict may miss that the tag is ours.
    pub lookup_error: Option<UserError>,
}

/// A boxed `queryscheme` call (object-safe without `async_trait`).
pub type QueryFuture<'a> =
    Pin<Box<dyn Future<Output = Result<SchemeAnswer, WechatError>> + Send + 'a>>;

/// `queryscheme` for the inspector: the real [`WechatClient`], or a double in tests.
pub trait SchemeQuery: Send + Sync {
    /// The mini program the client asks for.
    fn appid(&self) -> &str;
    /// What `scheme` opens (errors are the client's typed errors; 85403 = not known for this AppID).
    fn query<'a>(&'a self, scheme: &'a str) -> QueryFuture<'a>;
}

impl SchemeQuery for WechatClient {
    fn appid(&self) -> &str {
        WechatClient::appid(self)
    }

    fn query<'a>(&'a self, scheme: &'a str) -> QueryFuture<'a> {
        Box::pin(self.query_scheme(scheme))
    }
}

impl<T: SchemeQuery + ?Sized> SchemeQuery for Arc<T> {
    fn appid(&self) -> &str {
        (**self).appid()
    }

    fn query<'a>(&'a self, scheme: &'a str) -> QueryFuture<'a> {
        (**self).query(scheme)
    }
}

#[allow(clippy::result_large_err)] // UserError is the project's one error shape
/// Blocking: waits up to `wait` for a tag on `reader` (or on the one reader with a tag) and reads it.
/// Run it on a worker thread that owns `pcsc`, never inside the async runtime.
pub fn read_on_reader(
    pcsc: &mut Pcsc,
    reader: Option<&str>,
    wait: Duration,
) -> Result<TagReport, UserError> {
    read_on_reader_with(pcsc, reader, wait, None)
}

#[allow(clippy::result_large_err)]
/// [`read_on_reader`] with the keychain, so a read-protected tag whose password this install set can
/// be read.
pub fn read_on_reader_with(
    pcsc: &mut Pcsc,
    reader: Option<&str>,
    wait: Duration,
    secrets: Option<Arc<dyn SecretStore>>,
) -> Result<TagReport, UserError> {
    let mut s = pcsc.open(reader, wait)?;
    if let Some(k) = secrets {
        s = s.with_secrets(k);
    }
    Ok(s.read_tag()?)
}

/// `yyyy-mm-dd` in China time (UTC+8), the merchant's calendar.
pub fn china_date(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::macros::offset!(+8));
    format!("{:04}-{:02}-{:02}", t.year(), t.month() as u8, t.day())
}

/// The English form of a station target label (`门店 1001 南山店` → `store 1001 南山店`).
pub fn label_en(label: &str) -> String {
    if label == "不区分门店" {
        return "all stores".into();
    }
    if let Some(rest) = label.strip_prefix("门店 ") {
        return format!("store {rest}");
    }
    if let Some(rest) = label.strip_prefix("前台 ") {
        return format!(
            "front desk {}",
            rest.replace("机器号", "machine")
                .replace("终端号", "terminal")
        );
    }
    label.to_string()
}

/// Every URI on the tag, in record order (Smart Poster contents included).
fn uris(records: &[RecordView]) -> Vec<String> {
    let mut out = Vec::new();
    for r in records {
        match &r.content {
            RecordContent::Uri { uri, .. } | RecordContent::AbsoluteUri { uri } => {
                out.push(uri.clone())
            }
            RecordContent::SmartPoster { records } => out.extend(uris(records)),
            _ => {}
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `key` of a `a=b&c=d` query, decoded.
fn param(query: &str, key: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| percent_decode(v))
        .filter(|v| !v.is_empty())
}

fn problem_words(p: &WechatProblem) -> Option<Bilingual> {
    Some(match p {
        WechatProblem::MissingAar => Bilingual::new(
            "缺少安卓应用记录：安卓手机碰了打不开小程序。",
            "No Android application record: Android phones will not open the mini program.",
        ),
        WechatProblem::AarBeforeUri => Bilingual::new(
            "记录顺序反了：安卓手机只会打开微信，进不了小程序。",
            "The records are in the wrong order: Android phones open WeChat but not the mini program.",
        ),
        WechatProblem::FirstRecordNotUri => Bilingual::new(
            "第一条记录不是链接：苹果手机读不到它。",
            "The first record is not the link: iPhones will not see it.",
        ),
        WechatProblem::PlaintextScheme => Bilingual::new(
            "这是明文链接，写在标签上不一定能打开。",
            "This is a plain-text link, which may not open from a tag.",
        ),
        WechatProblem::ExtraRecords => Bilingual::new(
            "标签里还有多余的记录（不影响使用）。",
            "The tag holds extra records (harmless).",
        ),
        WechatProblem::NoMessage | WechatProblem::NotWechatScheme => return None,
    })
}

fn ue_lookup(e: tapstand_store::StoreError) -> UserError {
    UserError::from(e)
}

/// The `weixin://dl/business/` link on the tag, if any (first one).
fn wechat_link(report: &TagReport) -> Option<String> {
    uris(&report.records)
        .into_iter()
        .find(|u| u.starts_with(SCHEME_PREFIX))
}

/// The Capability Container is all zero: a blank tag Tapstand formats when writing.
fn cc_blank(report: &TagReport) -> bool {
    report
        .capability_container
        .as_deref()
        .is_some_and(|cc| cc.split_whitespace().all(|b| b == "00"))
}

fn is_locked(report: &TagReport) -> bool {
    report
        .lock
        .as_ref()
        .is_some_and(|l| l.fully_locked || l.cc_read_only || l.locked_user_pages > 0)
}

fn is_password_protected(report: &TagReport) -> bool {
    report.password.as_ref().is_some_and(|p| p.active)
}

/// Compares the tag with the station's record of its UID ("verify again"). Reads the database only.
pub async fn verify_against_record(db: &Db, report: &TagReport) -> Result<RecordMatch, UserError> {
    let Some(uid) = report.uid.as_deref() else {
        return Ok(RecordMatch {
            kind: RecordMatchKind::NotRecorded,
            message: Bilingual::new(
                "读不到这张卡的编号（UID），无法和记录对照。",
                "The tag's UID cannot be read, so it cannot be compared with the records.",
            ),
            recorded: None,
        });
    };
    let link = wechat_link(report);
    let by_uid = db.station_tags_by_uid(uid).await.map_err(ue_lookup)?;
    if let Some(r) = by_uid
        .iter()
        .find(|r| link.as_deref() == Some(r.openlink.as_str()))
    {
        return Ok(RecordMatch {
            kind: RecordMatchKind::Matches,
            message: Bilingual::new(
                format!(
                    "和记录一致：{}，{} 写入，已核对 {} 次。",
                    r.target_label,
                    china_date(r.first_written_at),
                    r.verify_count
                ),
                format!(
                    "Matches the record: {}, written on {}, checked {} time(s).",
                    label_en(&r.target_label),
                    china_date(r.first_written_at),
                    r.verify_count
                ),
            ),
            recorded: Some(r.clone()),
        });
    }
    if let Some(r) = by_uid.first() {
        let now_zh = match (&link, report.message_len) {
            (Some(_), _) => "现在是另一个微信链接",
            (None, Some(0)) | (None, None) if report.message_error.is_none() => "现在是空的",
            (None, _) if report.message_error.is_some() => "现在内容已损坏",
            _ => "现在是别的内容",
        };
        let now_en = match now_zh {
            "现在是另一个微信链接" => "it now holds another WeChat link",
            "现在是空的" => "it is now empty",
            "现在内容已损坏" => "its content is now damaged",
            _ => "it now holds something else",
        };
        return Ok(RecordMatch {
            kind: RecordMatchKind::ContentChanged,
            message: Bilingual::new(
                format!(
                    "和记录不一致：这张标签 {} 为“{}”写入过，{}。",
                    china_date(r.first_written_at),
                    r.target_label,
                    now_zh
                ),
                format!(
                    "Does not match the record: this tag was written for \"{}\" on {}, but {now_en}.",
                    label_en(&r.target_label),
                    china_date(r.first_written_at)
                ),
            ),
            recorded: Some(r.clone()),
        });
    }
    if let Some(link) = &link {
        let same = db.station_tags_by_openlink(link).await.map_err(ue_lookup)?;
        if let Some(r) = same.first() {
            return Ok(RecordMatch {
                kind: RecordMatchKind::Copied,
                message: Bilingual::new(
                    format!(
                        "本机没有这张标签的写入记录，但它的内容和另一张标签（UID {}，“{}”）完全一样：可能是复制来的。",
                        r.uid, r.target_label
                    ),
                    format!(
                        "No record of this tag, but its content is the same as another tag's (UID {}, \"{}\"): it may be a copy.",
                        r.uid,
                        label_en(&r.target_label)
                    ),
                ),
                recorded: Some(r.clone()),
            });
        }
    }
    Ok(RecordMatch {
        kind: RecordMatchKind::NotRecorded,
        message: Bilingual::new(
            "本机没有这张标签的写入记录。",
            "This computer has no record of writing this tag.",
        ),
        recorded: None,
    })
}

/// What the ledger and the station know about one of our links.
struct OursFacts {
    target_label: String,
    store_id: Option<i64>,
    terminal_id: Option<i64>,
    written_at: Option<i64>,
}

async fn ours_facts(
    db: &Db,
    uid: Option<&str>,
    openlink: &str,
    path: &str,
    query: &str,
) -> Result<OursFacts, tapstand_store::StoreError> {
    let tags = db.station_tags_by_openlink(openlink).await?;
    let tag: Option<&StationTag> = tags
        .iter()
        .find(|t| Some(t.uid.as_str()) == uid)
        .or(tags.first());
    let attempts: Vec<StationAttempt> = if tag.is_none() {
        db.station_good_attempts_by_openlink(openlink).await?
    } else {
        Vec::new()
    };
    let page = if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    };
    Ok(match (tag, attempts.first()) {
        (Some(t), _) => OursFacts {
            target_label: t.target_label.clone(),
            store_id: t.store_id,
            terminal_id: t.terminal_id,
            written_at: Some(
                tags.iter()
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
        (None, None) => OursFacts {
            target_label: format!("页面 {page}"),
            store_id: None,
            terminal_id: None,
            written_at: None,
        },
    })
}

/// Classifies a read report using the local ledger and records and, for a WeChat link not in the ledger,
/// `queryscheme` when `wechat` is given. No tag I/O. Never fails: a database error is reported in
/// `lookup_error`, a WeChat error in the verdict.
pub async fn explain(db: &Db, report: &TagReport, wechat: Option<&dyn SchemeQuery>) -> Inspection {
    let locked = is_locked(report);
    let password_protected = is_password_protected(report);
    let mut lookup_error = None;
    let mut problems = Vec::new();
    let kind = report.chip.kind;
    let chip_name = report.chip.name.clone();
    let writable = report.writable;
    // Advice for content that should be replaced: write it again, or replace the tag if it cannot be.
    let rewrite = |zh: &str, en: &str| -> Bilingual {
        if writable {
            Bilingual::new(zh, en)
        } else if locked {
            Bilingual::new(
                "标签已锁定，不能改写：请换一张新标签。",
                "The tag is locked and cannot be rewritten: use a new tag.",
            )
        } else if password_protected {
            Bilingual::new(
                "标签有写保护密码，本机不知道密码，不能改写：请换一张新标签。",
                "The tag is password-protected and this computer does not know the password: use a new tag.",
            )
        } else {
            Bilingual::new(
                format!("这种芯片（{chip_name}）不能用来写卡：请换 NTAG213/215/216 标签。"),
                format!("This chip ({chip_name}) cannot be written: use NTAG213/215/216 tags."),
            )
        }
    };

    let (verdict, headline, advice) = if !kind.is_type2() {
        (
            Verdict::Unsupported {
                name: chip_name.clone(),
            },
            Bilingual::new(
                format!("这不是碰一碰用的 NFC 标签，而是 {chip_name}。"),
                format!("This is not an NFC tap tag: it is a {chip_name}."),
            ),
            Bilingual::new(kind.support_zh(), kind.support_en()),
        )
    } else if let Some(err) = &report.message_error {
        let read_protected = err.contains("password read protection")
            || report
                .password
                .as_ref()
                .is_some_and(|p| p.read_protected && p.active);
        let headline = if read_protected {
            Bilingual::new(
                "标签设置了读取密码，内容读不出来。",
                "The tag is read-protected with a password; its content cannot be read.",
            )
        } else {
            Bilingual::new(
                "标签里的内容已损坏，手机读不出来。",
                "The tag's content is damaged; phones cannot read it.",
            )
        };
        (
            Verdict::Damaged {
                detail: err.clone(),
            },
            headline,
            rewrite(
                "放到写卡页重新写入即可修好（会重新整理标签格式）。",
                "Write it again on the write page to repair it (the tag is reformatted).",
            ),
        )
    } else if !report.ndef_formatted && !cc_blank(report) {
        let cc = report.capability_container.clone().unwrap_or_default();
        (
            Verdict::Damaged {
                detail: format!("not NDEF formatted (capability container {cc})"),
            },
            Bilingual::new(
                "这张标签不是手机能读的格式（可能被别的系统用过）。",
                "This tag is not in a format phones read (it may have been used by another system).",
            ),
            Bilingual::new(
                "请换一张新的 NTAG213/215/216 标签。",
                "Use a new NTAG213/215/216 tag.",
            ),
        )
    } else if let Some(link) = wechat_link(report) {
        if let Some(w) = &report.wechat {
            problems.extend(w.problems.iter().filter_map(problem_words));
        }
        let row = match db.scheme_find_by_openlink(&link).await {
            Ok(r) => r,
            Err(e) => {
                lookup_error = Some(ue_lookup(e));
                None
            }
        };
        if let Some(row) = row {
            let facts =
                match ours_facts(db, report.uid.as_deref(), &link, &row.path, &row.query).await {
                    Ok(f) => f,
                    Err(e) => {
                        lookup_error = Some(ue_lookup(e));
                        OursFacts {
                            target_label: format!("页面 {}", row.path),
                            store_id: None,
                            terminal_id: None,
                            written_at: None,
                        }
                    }
                };
            let profile_name = match db.list_profiles().await {
                Ok(ps) => ps
                    .into_iter()
                    .find(|p| p.appid == row.appid)
                    .map(|p| p.name),
                Err(_) => None,
            };
            let label = facts.target_label.clone();
            let mut headline = match facts.written_at {
                Some(at) => Bilingual::new(
                    format!("这是本店写的标签：{label}，{} 写入。", china_date(at)),
                    format!(
                        "This is one of our tags: {}, written on {}.",
                        label_en(&label),
                        china_date(at)
                    ),
                ),
                None => Bilingual::new(
                    format!("这是本店生成的碰一碰链接：{label}（本机没有写卡记录）。"),
                    format!(
                        "This is a tap link we generated: {} (no record of writing it on this computer).",
                        label_en(&label)
                    ),
                ),
            };
            let test_version = match row.env_version.as_str() {
                "trial" => Some(("体验版", "trial")),
                "develop" => Some(("开发版", "development")),
                _ => None,
            };
            if let Some((zh, en)) = test_version {
                headline = headline.then(Bilingual::new(
                    format!("这是{zh}链接，普通顾客打不开。"),
                    format!("It is a {en}-version link: ordinary customers cannot open it."),
                ));
            }
            let ok = report.wechat.as_ref().is_some_and(|w| w.valid) && test_version.is_none();
            let advice = if ok {
                Bilingual::new(
                    "内容正常，手机碰一碰会打开会员小程序。如果顾客碰了打不开：请确认手机已解锁、NFC 已打开、微信是新版本，并把手机背面贴住立牌的碰一碰区域停一秒。",
                    "The content is fine: a phone tap opens the mini program. If a customer's tap does not work: the phone must be unlocked with NFC on and a recent WeChat, held flat on the tap zone for a second.",
                )
            } else {
                rewrite(
                    &format!("放到写卡页、选择“{label}”重新写一次即可修好。"),
                    &format!(
                        "Write it again for \"{}\" on the write page to repair it.",
                        label_en(&label)
                    ),
                )
            };
            (
                Verdict::Ours {
                    target_label: facts.target_label,
                    store_id: facts.store_id,
                    terminal_id: facts.terminal_id,
                    model_id: row.model_id.clone(),
                    sn: row.sn.clone(),
                    openlink: link.clone(),
                    path: row.path.clone(),
                    query: row.query.clone(),
                    written_at: facts.written_at,
                    profile_name,
                },
                headline,
                advice,
            )
        } else {
            wechat_other(&link, wechat, &rewrite).await
        }
    } else if let Some(url) = uris(&report.records).into_iter().next() {
        (
            Verdict::ForeignUrl { url: url.clone() },
            Bilingual::new(
                format!("这张标签里是一个链接，不是微信小程序：{url}"),
                format!("This tag holds a link, not a WeChat mini program: {url}"),
            ),
            rewrite(
                "如要改成会员小程序，放到写卡页写入即可。",
                "To make it open the mini program, write it on the write page.",
            ),
        )
    } else if report.records.is_empty()
        || report
            .records
            .iter()
            .all(|r| matches!(r.content, RecordContent::Empty))
    {
        (
            Verdict::Empty,
            Bilingual::new(
                "这是一张空白标签，里面没有内容。",
                "This is a blank tag: it holds nothing.",
            ),
            rewrite("可以直接拿去写卡。", "It can be written right away."),
        )
    } else {
        let description = describe(&report.records);
        (
            Verdict::OtherNdef {
                description: description.en.clone(),
            },
            Bilingual::new(
                format!("这张标签里不是链接，而是{}。", description.zh),
                format!("This tag holds no link but {}.", description.en),
            ),
            rewrite(
                "如要改成会员小程序，放到写卡页写入即可。",
                "To make it open the mini program, write it on the write page.",
            ),
        )
    };

    let mut headline = headline;
    if locked {
        headline = headline.then(Bilingual::new(
            "标签已永久锁定，不能再改写。",
            "It is permanently locked and cannot be rewritten.",
        ));
    } else if password_protected {
        headline = headline.then(if writable {
            Bilingual::new(
                "标签有写保护密码（本机保存着密码，可以改写）。",
                "It is password-protected (this computer has the password and can rewrite it).",
            )
        } else {
            Bilingual::new(
                "标签有写保护密码，手机照常能读，但本机不能改写。",
                "It is password-protected: phones read it, but this computer cannot rewrite it.",
            )
        });
    }
    let mut advice = advice;
    if !problems.is_empty() && !matches!(verdict, Verdict::Ours { .. }) {
        // For our own tags the advice already says how to repair; elsewhere list what phones will do.
        advice = problems
            .iter()
            .filter(|p| !p.zh.contains("不影响"))
            .fold(Bilingual::default(), |a, p| a.then(p.clone()))
            .then(advice);
    }

    let record_match = if report.uid.is_some() {
        match verify_against_record(db, report).await {
            Ok(m) => Some(m),
            Err(e) => {
                lookup_error.get_or_insert(e);
                None
            }
        }
    } else {
        None
    };
    if matches!(verdict, Verdict::Ours { .. })
        && record_match
            .as_ref()
            .is_some_and(|m| m.kind == RecordMatchKind::Copied)
    {
        // Our link on a tag the station never wrote: a copy (e.g. with a phone app).
        headline = headline.then(Bilingual::new(
            "但这张标签本身不在写卡记录里，内容可能是复制来的。",
            "But this tag itself was never written here: its content may be a copy.",
        ));
    }

    Inspection {
        uid: report.uid.clone(),
        chip: chip_name,
        reader: report.reader.clone(),
        capacity: report.capacity,
        used: report.message_len,
        locked,
        password_protected,
        writable,
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

async fn wechat_other(
    link: &str,
    wechat: Option<&dyn SchemeQuery>,
    rewrite: &(dyn Fn(&str, &str) -> Bilingual + Sync),
) -> (Verdict, Bilingual, Bilingual) {
    let overwrite = || {
        rewrite(
            "如果它应当打开本店的会员小程序，放到写卡页覆盖即可（会先请你确认）。",
            "If it should open this shop's mini program, overwrite it on the write page (you will be asked to confirm).",
        )
    };
    // A plain-text scheme says what it opens itself.
    if !is_openlink(link) {
        let q = link.split_once('?').map(|(_, q)| q).unwrap_or("");
        let appid = param(q, "appid");
        let path = param(q, "path");
        let query = param(q, "query");
        let env = param(q, "env_version");
        let headline = Bilingual::new(
            format!(
                "这是一个明文小程序链接（AppID {}，页面 {}），写在标签上不一定能打开。",
                appid.as_deref().unwrap_or("未知"),
                path.as_deref().unwrap_or("未知")
            ),
            format!(
                "This is a plain-text mini-program link (AppID {}, page {}); it may not open from a tag.",
                appid.as_deref().unwrap_or("unknown"),
                path.as_deref().unwrap_or("unknown")
            ),
        );
        return (
            Verdict::WechatOther {
                openlink: link.to_string(),
                appid,
                path,
                query,
                source: "plaintext".into(),
                query_error: None,
                expire_time: None,
                env_version: env,
            },
            headline,
            overwrite(),
        );
    }
    let offline = |query_error: Option<UserError>| {
        let headline = Bilingual::new(
            "这是一张微信碰一碰标签，但不是这台电脑写的；现在无法向微信核对它属于哪个小程序。",
            "This is a WeChat tap tag that this computer did not write; it cannot be checked with WeChat right now.",
        );
        let advice = match &query_error {
            Some(e) => Bilingual::new(
                format!("{}联网正常后再检查一次。", e.zh.remedy),
                format!("{} Then inspect it again.", e.en.remedy),
            ),
            None => Bilingual::new(
                "联网并在“设置”里配置好小程序后，再检查一次。",
                "Inspect it again when online with the mini program set up in Settings.",
            ),
        };
        (
            Verdict::WechatOther {
                openlink: link.to_string(),
                appid: None,
                path: None,
                query: None,
                source: "offline".into(),
                query_error,
                expire_time: None,
                env_version: None,
            },
            headline,
            advice,
        )
    };
    let Some(client) = wechat else {
        return offline(None);
    };
    let answer = match tokio::time::timeout(QUERY_TIMEOUT, client.query(link)).await {
        Ok(r) => r,
        Err(_) => {
            return offline(Some(UserError::new(
                "inspect.query_timeout",
                ("微信没有及时回答。", "请检查网络。"),
                ("WeChat did not answer in time.", "Check the network."),
            )))
        }
    };
    match answer {
        Ok(a) => {
            let i = a.scheme_info;
            let page = if i.query.is_empty() {
                i.path.clone()
            } else {
                format!("{}?{}", i.path, i.query)
            };
            let other_app = !i.appid.is_empty() && i.appid != client.appid();
            let mut headline = if other_app {
                Bilingual::new(
                    format!(
                        "这是另一个小程序（AppID {}）的碰一碰标签，打开页面 {page}。",
                        i.appid
                    ),
                    format!(
                        "This is a WeChat tap tag of another mini program (AppID {}), opening {page}.",
                        i.appid
                    ),
                )
            } else {
                Bilingual::new(
                    format!("这是本小程序的碰一碰标签，但不是这台电脑写的：打开页面 {page}。"),
                    format!(
                        "This is a tap tag of this mini program, but this computer did not write it: it opens {page}."
                    ),
                )
            };
            let now_s = now_ms() / 1000;
            let expired = i.expire_time > 0 && i.expire_time <= now_s;
            if expired {
                headline = headline.then(Bilingual::new(
                    format!(
                        "链接已于 {} 过期，手机碰了打不开。",
                        china_date(i.expire_time * 1000)
                    ),
                    format!(
                        "The link expired on {}: phones cannot open it.",
                        china_date(i.expire_time * 1000)
                    ),
                ));
            } else if i.expire_time > 0 {
                headline = headline.then(Bilingual::new(
                    format!("链接有效期到 {}。", china_date(i.expire_time * 1000)),
                    format!(
                        "The link is valid until {}.",
                        china_date(i.expire_time * 1000)
                    ),
                ));
            }
            match i.env_version.as_str() {
                "trial" => {
                    headline = headline.then(Bilingual::new(
                        "这是体验版链接，普通顾客打不开。",
                        "It is a trial-version link: ordinary customers cannot open it.",
                    ))
                }
                "develop" => {
                    headline = headline.then(Bilingual::new(
                        "这是开发版链接，普通顾客打不开。",
                        "It is a development-version link: ordinary customers cannot open it.",
                    ))
                }
                _ => {}
            }
            let advice = if expired || matches!(i.env_version.as_str(), "trial" | "develop") {
                rewrite(
                    "请放到写卡页，为正确的门店重新写入。",
                    "Write it again for the right store on the write page.",
                )
            } else {
                overwrite()
            };
            (
                Verdict::WechatOther {
                    openlink: link.to_string(),
                    appid: (!i.appid.is_empty()).then(|| i.appid.clone()),
                    path: Some(i.path.clone()),
                    query: Some(i.query.clone()),
                    source: "queryscheme".into(),
                    query_error: None,
                    expire_time: Some(i.expire_time),
                    env_version: (!i.env_version.is_empty()).then(|| i.env_version.clone()),
                },
                headline,
                advice,
            )
        }
        Err(WechatError::Api(e)) if e.kind == ApiErrorKind::Query(QueryCode::NotFound) => {
            let err = UserError::from(WechatError::Api(e));
            (
                Verdict::WechatOther {
                    openlink: link.to_string(),
                    appid: None,
                    path: None,
                    query: None,
                    source: "not_ours".into(),
                    query_error: Some(err),
                    expire_time: None,
                    env_version: None,
                },
                Bilingual::new(
                    "这是另一个小程序的碰一碰标签（本小程序的微信后台查不到这个链接）。",
                    "This is a WeChat tap tag of another mini program (this mini program's WeChat account does not know the link).",
                ),
                overwrite(),
            )
        }
        Err(e) => offline(Some(UserError::from(e))),
    }
}

/// Plain words for content that is no link.
fn describe(records: &[RecordView]) -> Bilingual {
    let parts: Vec<Bilingual> = records
        .iter()
        .filter_map(|r| match &r.content {
            RecordContent::Text { text, .. } => {
                let t: String = text.chars().take(40).collect();
                Some(Bilingual::new(
                    format!("一段文字“{t}”"),
                    format!("a text \"{t}\""),
                ))
            }
            RecordContent::AndroidApp { package } if package == WECHAT_PACKAGE => Some(
                Bilingual::new("只打开微信的记录", "a record that only opens WeChat"),
            ),
            RecordContent::AndroidApp { package } => Some(Bilingual::new(
                format!("一个安卓应用记录（{package}）"),
                format!("an Android app record ({package})"),
            )),
            RecordContent::Media { mime_type, .. } if mime_type.contains("vcard") => {
                Some(Bilingual::new("一张电子名片", "a contact card"))
            }
            RecordContent::Media { mime_type, .. } if mime_type.contains("wifi") => {
                Some(Bilingual::new("Wi-Fi 连接信息", "Wi-Fi settings"))
            }
            RecordContent::Media { mime_type, .. } => Some(Bilingual::new(
                format!("{mime_type} 数据"),
                format!("{mime_type} data"),
            )),
            RecordContent::Empty => None,
            _ => Some(Bilingual::new(
                format!("其他数据（{}）", r.record_type),
                format!("other data ({})", r.record_type),
            )),
        })
        .collect();
    if parts.is_empty() {
        return Bilingual::new("无法识别的数据", "unrecognised data");
    }
    Bilingual::new(
        parts
            .iter()
            .map(|p| p.zh.as_str())
            .collect::<Vec<_>>()
            .join("、"),
        parts
            .iter()
            .map(|p| p.en.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tapstand_store::ledger::NewSchemeRequest;
    use tapstand_tag::inproc::InProcessTransport;
    use tapstand_tag::ndef::view::text_record;
    use tapstand_tag::ndef::wechat::{uri_and_aar, wechat_message};
    use tapstand_tag::ndef::Message;
    use tapstand_tag::{quirks_for, TagSession};
    use tapstand_vtag::{nth_uid, TagState, VChip};
    use tapstand_wechat::{ApiError, Endpoint, SchemeInfo, TransportKind};

    const OURS: &str = "weixin://dl/business/?t=OurTicket01";
    const OTHER: &str = "weixin://dl/business/?t=OtherTick02";
    /// 2026-11-20 10:00 China time.
    const WRITTEN_AT: i64 = 1_795_140_000_000;

    fn read(tag: TagState) -> TagReport {
        let t = InProcessTransport::with_tag(tag);
        TagSession::new(t, quirks_for("Virtual PCD 00 00"))
            .read_tag()
            .expect("read")
    }

    fn hex(uid: [u8; 7]) -> String {
        uid.iter().map(|b| format!("{b:02X}")).collect()
    }

    fn wechat_tag(uid: [u8; 7], link: &str) -> TagState {
        let m = wechat_message(link).unwrap().encode().unwrap();
        TagState::with_message(VChip::Ntag215, uid, &m)
    }

    async fn db() -> (Db, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db")).await.unwrap();
        (db, dir)
    }

    /// A ledger row holding `link` for sn = `uid`, and (with `label`) the station's record of the tag.
    async fn ours(db: &Db, uid: &str, link: &str, label: Option<&str>) {
        let row = db
            .scheme_record_request(&NewSchemeRequest {
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
            .scheme_begin_call(row.id, false, 0)
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

    struct Double(Result<SchemeAnswer, WechatError>);

    impl SchemeQuery for Double {
        fn appid(&self) -> &str {
            "wx5a1b2c3d4e5f6071"
        }
        fn query<'a>(&'a self, _scheme: &'a str) -> QueryFuture<'a> {
            let r = self.0.clone();
            Box::pin(async move { r })
        }
    }

    fn answer(appid: &str, expire_time: i64, env: &str) -> Double {
        Double(Ok(SchemeAnswer {
            scheme_info: SchemeInfo {
                appid: appid.into(),
                path: "pages/index/index".into(),
                query: "from=nfc".into(),
                create_time: 1_700_000_000,
                expire_time,
                env_version: env.into(),
            },
            remain_visit_quota: Some(100),
        }))
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
    async fn wechat_link_not_in_the_ledger() {
        let (db, _d) = db().await;
        let r = read(wechat_tag(nth_uid(3), OTHER));

        // queryscheme knows it: this mini program, another install.
        let d = answer("wx5a1b2c3d4e5f6071", 0, "release");
        let i = explain(&db, &r, Some(&d)).await;
        match &i.verdict {
            Verdict::WechatOther {
                source,
                path,
                query,
                appid,
                expire_time,
                query_error,
                ..
            } => {
                assert_eq!(source, "queryscheme");
                assert_eq!(path.as_deref(), Some("pages/index/index"));
                assert_eq!(query.as_deref(), Some("from=nfc"));
                assert_eq!(appid.as_deref(), Some("wx5a1b2c3d4e5f6071"));
                assert_eq!(*expire_time, Some(0));
                assert!(query_error.is_none());
            }
            v => panic!("{v:?}"),
        }
        assert!(i
            .headline
            .zh
            .contains("本小程序的碰一碰标签，但不是这台电脑写的"));
        assert!(i.headline.zh.contains("pages/index/index?from=nfc"));

        // Expired, trial version.
        let d = answer("wx5a1b2c3d4e5f6071", 1_700_000_100, "trial");
        let i = explain(&db, &r, Some(&d)).await;
        assert!(
            i.headline.zh.contains("链接已于 2023-11-15 过期"),
            "{}",
            i.headline.zh
        );
        assert!(i.headline.zh.contains("体验版"));

        // 85403: another mini program's tag.
        let d = Double(Err(WechatError::Api(ApiError::new(
            Endpoint::QueryScheme,
            85403,
            "scheme not exist rid: 1",
        ))));
        let i = explain(&db, &r, Some(&d)).await;
        match &i.verdict {
            Verdict::WechatOther {
                source,
                query_error,
                ..
            } => {
                assert_eq!(source, "not_ours");
                assert_eq!(query_error.as_ref().unwrap().code, "wechat.query.not_found");
            }
            v => panic!("{v:?}"),
        }
        assert!(i.headline.zh.starts_with("这是另一个小程序的碰一碰标签"));
        assert!(i.advice.zh.contains("覆盖"));

        // Offline: no answer from WeChat.
        let d = Double(Err(WechatError::Transport {
            endpoint: Endpoint::QueryScheme,
            kind: TransportKind::Connect,
            detail: "connection refused".into(),
        }));
        let i = explain(&db, &r, Some(&d)).await;
        match &i.verdict {
            Verdict::WechatOther {
                source,
                query_error,
                ..
            } => {
                assert_eq!(source, "offline");
                assert_eq!(query_error.as_ref().unwrap().code, "wechat.network.connect");
            }
            v => panic!("{v:?}"),
        }
        assert!(i.headline.zh.contains("现在无法向微信核对"));

        // No client at all.
        let i = explain(&db, &r, None).await;
        assert!(matches!(
            &i.verdict,
            Verdict::WechatOther { source, query_error: None, .. } if source == "offline"
        ));
    }

    #[tokio::test]
    async fn plaintext_scheme_says_what_it_opens() {
        let (db, _d) = db().await;
        let link = "weixin://dl/business/?appid=wx1234567890abcdef&path=pages/a/b&query=x%3D1%26y%3D2&env_version=release";
        let m = uri_and_aar(link, Some(WECHAT_PACKAGE)).encode().unwrap();
        let i = explain(
            &db,
            &read(TagState::with_message(VChip::Ntag216, nth_uid(4), &m)),
            None,
        )
        .await;
        match &i.verdict {
            Verdict::WechatOther {
                source,
                appid,
                path,
                query,
                ..
            } => {
                assert_eq!(source, "plaintext");
                assert_eq!(appid.as_deref(), Some("wx1234567890abcdef"));
                assert_eq!(path.as_deref(), Some("pages/a/b"));
                assert_eq!(query.as_deref(), Some("x=1&y=2"));
            }
            v => panic!("{v:?}"),
        }
        assert!(i.problems.iter().any(|p| p.zh.contains("明文")));
    }

    #[tokio::test]
    async fn foreign_url_text_empty_blank() {
        let (db, _d) = db().await;
        let m = uri_and_aar("https://example.com/menu?table=12", None)
            .encode()
            .unwrap();
        let i = explain(
            &db,
            &read(TagState::with_message(VChip::Ntag213, nth_uid(5), &m)),
            None,
        )
        .await;
        assert_eq!(
            i.verdict,
            Verdict::ForeignUrl {
                url: "https://example.com/menu?table=12".into()
            }
        );
        assert!(i.headline.zh.contains("不是微信小程序"));

        let m = Message::new(vec![text_record("zh", "欢迎光临")])
            .encode()
            .unwrap();
        let i = explain(
            &db,
            &read(TagState::with_message(VChip::Ntag213, nth_uid(6), &m)),
            None,
        )
        .await;
        assert!(
            matches!(&i.verdict, Verdict::OtherNdef { description } if description.contains("欢迎光临"))
        );
        assert!(i.headline.zh.contains("一段文字“欢迎光临”"));

        for tag in [
            TagState::factory(VChip::Ntag215, nth_uid(7)),
            TagState::blank(VChip::Ntag215, nth_uid(7)),
        ] {
            let i = explain(&db, &read(tag), None).await;
            assert_eq!(i.verdict, Verdict::Empty);
            assert!(i.writable);
            assert_eq!(i.headline.zh, "这是一张空白标签，里面没有内容。");
            assert_eq!(i.advice.zh, "可以直接拿去写卡。");
        }
    }

    #[tokio::test]
    async fn damaged_and_unsupported() {
        let (db, _d) = db().await;
        // An NDEF TLV whose message is garbage.
        let mut t = TagState::factory(VChip::Ntag213, nth_uid(8));
        t.mem[16..28].copy_from_slice(&[
            0x03, 0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        let i = explain(&db, &read(t), None).await;
        assert!(
            matches!(i.verdict, Verdict::Damaged { .. }),
            "{:?}",
            i.verdict
        );
        assert!(i.headline.zh.contains("已损坏"));
        assert!(i.advice.zh.contains("重新写入"));

        // A TLV length running past the end of the memory, on a locked tag: cannot be repaired.
        let mut t = TagState::factory(VChip::Ntag213, nth_uid(9));
        t.mem[16..20].copy_from_slice(&[0x03, 0xFF, 0x07, 0x00]);
        t.lock();
        let i = explain(&db, &read(t), None).await;
        assert!(
            matches!(i.verdict, Verdict::Damaged { .. }),
            "{:?}",
            i.verdict
        );
        assert!(i.advice.zh.contains("换一张新标签"), "{:?}", i.advice);
        assert!(i.headline.zh.contains("永久锁定"));

        let i = explain(
            &db,
            &read(TagState::factory(VChip::MifareClassic1k, nth_uid(10))),
            None,
        )
        .await;
        assert_eq!(
            i.verdict,
            Verdict::Unsupported {
                name: "MIFARE Classic 1K".into()
            }
        );
        assert!(i.headline.zh.contains("MIFARE Classic 1K"));
        assert!(i.advice.zh.contains("NTAG213/215/216"));
        assert!(!i.writable);
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
            .scheme_begin_call(row.id, false, 0)
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

    #[test]
    fn words() {
        assert_eq!(china_date(WRITTEN_AT), "2026-11-20");
        // 2026-01-01 00:30 China time is still 2025-12-31 in UTC.
        assert_eq!(china_date(1_767_198_600_000), "2026-01-01");
        assert_eq!(label_en("不区分门店"), "all stores");
        assert_eq!(
            label_en("前台 机器号 M01 终端号 T9"),
            "front desk machine M01 terminal T9"
        );
        assert_eq!(percent_decode("a%3Db%26c%2"), "a=b&c%2");
        assert_eq!(percent_decode("%E4%BD%A0"), "你");
    }
}

//! The tag inspector (检查): read any tag and say in plain words what it is — our tag for store X written
//! on date Y, a WeChat tap tag of this or another mini program, a web link, empty, damaged, locked, or not
//! an NFC tag at all — and what to do next. Counter staff use it on a stand that "stopped working".
//!
//! ```text
//! worker thread:  read_on_reader(&mut pcsc, reader, wait) ─▶ TagReport     (blocking PC/SC)
//! async:          explain(&db, &report, Some(&client)).await ─▶ Inspection (SQLite, queryscheme)
//!                   = look_up(&db, &report, client).await ─▶ Lookups       (the I/O: SQLite, queryscheme)
//!                   + explain_with(&report, &lookups) ─▶ Inspection       (pure: verdict and words)
//! ```
//! [`explain_with`] is the whole decision and wording, synchronous and without a database: whatever the
//! tag holds and whatever the lookups say, it returns an [`Inspection`] (it is fuzzed with both,
//! `fuzz/fuzz_targets/inspect.rs`).
//!
//! [`explain`] needs no network: "ours" comes from the local scheme ledger and the station's records.
//! Only a WeChat link that is *not* in the ledger is looked up with `queryscheme`, when a client is given
//! ([`SchemeQuery`], implemented for [`WechatClient`](tapstand_wechat::WechatClient); tests pass a double
//! or the client against the fake). Without a client, or offline, the inspection says the link cannot be
//! checked now.
//!
//! [`verify_against_record`] ("verify again" in the history) compares the tag with what the station
//! recorded for its UID; [`explain`] includes it as [`Inspection::record_match`].
//!
//! One file per concern:
//! * `tag` — what the tag holds: reading it, and its content (links, blank, damaged, unsupported chip);
//! * `records` — matching our records: the scheme ledger and the station's tags ("ours", "verify again");
//! * `wechat` — asking WeChat (`queryscheme` through [`SchemeQuery`]) about a link that is not ours;
//! * `words` — the plain-word sentences, in Chinese and English;
//! * `explain` — [`explain`] itself: [`look_up`] (the I/O), then [`explain_with`] (the decision).

mod explain;
mod records;
mod tag;
#[cfg(test)]
mod test_support;
mod wechat;
mod words;

use serde::Serialize;
use tapstand_error::UserError;
use tapstand_store::ledger::SchemeRow;
use tapstand_store::station::{StationAttempt, StationTag};
use tapstand_tag::ndef::view::RecordView;
use tapstand_tag::TagReport;
use tapstand_wechat::WechatError;

pub use explain::{explain, explain_with, look_up};
pub use records::verify_against_record;
pub use tag::{read_on_reader, read_on_reader_with};
pub use wechat::{QueryFuture, SchemeAnswer, SchemeQuery, QUERY_TIMEOUT};
pub use words::{china_date, label_en};

/// A sentence in Chinese and in English.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize, specta::Type)]
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
    /// Not an NFC tag Tapstand can read (MIFARE Classic, a bank card without the NDEF application, a
    /// phone…).
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
    /// What the chip is, how much it holds and what it can do (lock, password), in plain words, e.g.
    /// "兼容 NFC 标签（Type 2，国产或兼容芯片），容量 144 字节，可以写入碰一碰内容，可以永久锁定，没有密码功能。".
    pub chip_words: Bilingual,
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
    /// NXP originality signature: `true` an NXP original chip, `false` not (a compatible chip or a
    /// copy), `null` this chip or reader cannot be checked.
    pub genuine: Option<bool>,
    /// [`Inspection::genuine`] in plain words ("NXP 原厂芯片" / "不是 NXP 原厂芯片（…）" / "这种芯片无法检查").
    pub genuine_words: Bilingual,
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

/// One step's answer to "what is it?": the verdict with its headline and advice (before the notes
/// that [`explain`] adds about locks, passwords, content problems and copies).
struct Finding {
    verdict: Verdict,
    headline: Bilingual,
    advice: Bilingual,
}

/// Everything [`explain`] looks up about a tag before it decides — the scheme ledger, the station's
/// records, `queryscheme` — so that [`explain_with`] can decide and word the inspection without I/O.
/// [`look_up`] fills it; tests and the fuzz target may fill it as they like (any combination is valid).
#[derive(Clone, Debug, Default)]
pub struct Lookups {
    /// The ledger row holding the tag's WeChat link (`None`: not in the ledger, no WeChat link, or the
    /// ledger could not be read).
    pub ours: Option<OursLookup>,
    /// What WeChat said about a WeChat link that is not in the ledger (`None`: not asked — no client was
    /// given, or a plain-text scheme, which says what it opens itself).
    pub wechat: Option<WechatLookup>,
    /// The station's records for the tag's UID and its link (`None`: no UID, or they could not be read).
    pub record: Option<RecordLookup>,
    /// The first database error: the verdict may miss that the tag is ours.
    pub lookup_error: Option<UserError>,
}

/// One of our links: its ledger row and what the station recorded about writing it.
#[derive(Clone, Debug)]
pub struct OursLookup {
    pub row: SchemeRow,
    /// The station's records of the link (`None`: they could not be read; the verdict then names only
    /// the ledger's page).
    pub written: Option<WrittenLookup>,
    /// The name of the configured profile with the row's AppID (`None`: gone, or unreadable).
    pub profile_name: Option<String>,
}

/// What the station recorded about writing one link.
#[derive(Clone, Debug, Default)]
pub struct WrittenLookup {
    /// The station's tags holding the link.
    pub tags: Vec<StationTag>,
    /// Only when `tags` is empty: the station's successful attempts that wrote the link.
    pub attempts: Vec<StationAttempt>,
}

/// What asking WeChat (`queryscheme`) about a link gave.
#[derive(Clone, Debug)]
pub enum WechatLookup {
    /// WeChat answered, or the call failed; asked for the mini program `appid` (the client's).
    Asked {
        appid: String,
        answer: Result<SchemeAnswer, WechatError>,
    },
    /// No answer within [`QUERY_TIMEOUT`].
    TimedOut,
}

/// The station's records to compare a tag with ("verify again").
#[derive(Clone, Debug, Default)]
pub struct RecordLookup {
    /// The station's tags with the tag's UID.
    pub by_uid: Vec<StationTag>,
    /// Only when `by_uid` is empty: the station's tags holding the tag's WeChat link (a copy?).
    pub same_link: Vec<StationTag>,
}

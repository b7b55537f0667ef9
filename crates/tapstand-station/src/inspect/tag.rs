//! What the tag holds: reading it (blocking PC/SC), what the report says about the chip itself (locked,
//! password, writable), and its content — the links on it, a plain-text scheme's parameters, and the
//! verdicts for content that needs no lookup (unsupported chip, damaged, not NDEF, a web link, blank,
//! other NDEF).

use std::sync::Arc;
use std::time::Duration;

use tapstand_error::UserError;
use tapstand_secrets::SecretStore;
use tapstand_tag::ndef::chip::ChipKind;
use tapstand_tag::ndef::view::{RecordContent, RecordView};
use tapstand_tag::ndef::wechat::SCHEME_PREFIX;
use tapstand_tag::{Pcsc, TagReport};

use super::{words, Finding, Verdict};

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

/// What the report says about the tag itself, whatever it holds.
pub(super) struct TagFacts {
    pub kind: ChipKind,
    /// Plain chip name, e.g. `NTAG215`.
    pub chip_name: String,
    /// Permanently locked, or some user pages locked.
    pub locked: bool,
    /// A write password is active.
    pub password_protected: bool,
    /// Tapstand could write this tag now.
    pub writable: bool,
    /// An NFC Forum Type 4 tag (its read-only / key-protected NDEF file is `locked` / `password_protected`).
    pub type4: bool,
    /// Largest message that fits, bytes.
    pub capacity: Option<u32>,
}

impl TagFacts {
    pub fn of(report: &TagReport) -> TagFacts {
        TagFacts {
            kind: report.chip.kind,
            chip_name: report.chip.name.clone(),
            locked: report
                .lock
                .as_ref()
                .is_some_and(|l| l.fully_locked || l.cc_read_only || l.locked_user_pages > 0)
                || report.type4.as_ref().is_some_and(|t| t.read_only),
            password_protected: report.password.as_ref().is_some_and(|p| p.active)
                || report
                    .type4
                    .as_ref()
                    .is_some_and(|t| t.protected && !t.read_only),
            writable: report.writable,
            type4: report.type4.is_some(),
            capacity: report.capacity,
        }
    }
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

/// The `weixin://dl/business/` link on the tag, if any (first one).
pub(super) fn wechat_link(report: &TagReport) -> Option<String> {
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

/// `key` of an `a=b&c=d` query (`application/x-www-form-urlencoded`: `+` is a space, `%XX` a byte; a
/// `%` not followed by two hex digits stays as it is), decoded lossily: the first non-empty value.
fn param(query: &str, key: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, v)| k == key && !v.is_empty())
        .map(|(_, v)| v.into_owned())
}

/// What a plain-text scheme (`weixin://dl/business/?appid=…&path=…`) says it opens.
pub(super) struct PlainScheme {
    pub appid: Option<String>,
    pub path: Option<String>,
    pub query: Option<String>,
    pub env_version: Option<String>,
}

impl PlainScheme {
    pub fn parse(link: &str) -> PlainScheme {
        let q = link.split_once('?').map(|(_, q)| q).unwrap_or("");
        PlainScheme {
            appid: param(q, "appid"),
            path: param(q, "path"),
            query: param(q, "query"),
            env_version: param(q, "env_version"),
        }
    }
}

/// A tag whose content cannot be used at all, checked before its links: not a Type 2 or Type 4 tag,
/// content that cannot be read, or not NDEF formatted (a blank tag with an all-zero CC is not unusable).
pub(super) fn unusable(report: &TagReport, tag: &TagFacts) -> Option<Finding> {
    if !tag.kind.is_type2() && !tag.kind.is_type4() {
        return Some(Finding {
            verdict: Verdict::Unsupported {
                name: tag.chip_name.clone(),
            },
            headline: if tag.kind == ChipKind::Iso14443_4 {
                words::cpu_card()
            } else {
                words::unsupported(&tag.chip_name)
            },
            advice: words::chip_support(tag.kind),
        });
    }
    if let Some(err) = &report.message_error {
        let read_protected = err.contains("password read protection")
            || report
                .password
                .as_ref()
                .is_some_and(|p| p.read_protected && p.active);
        return Some(Finding {
            verdict: Verdict::Damaged {
                detail: err.clone(),
            },
            headline: if read_protected {
                words::read_protected()
            } else {
                words::damaged()
            },
            advice: words::or_replace(tag, words::rewrite_to_repair()),
        });
    }
    if !report.ndef_formatted && !cc_blank(report) {
        let cc = report.capability_container.clone().unwrap_or_default();
        return Some(Finding {
            verdict: Verdict::Damaged {
                detail: format!("not NDEF formatted (capability container {cc})"),
            },
            headline: words::not_ndef(),
            advice: words::use_a_new_tag(),
        });
    }
    None
}

/// Readable content without a WeChat link: a web link, nothing, or other NDEF records.
pub(super) fn not_wechat(report: &TagReport, tag: &TagFacts) -> Finding {
    if let Some(url) = uris(&report.records).into_iter().next() {
        return Finding {
            headline: words::foreign_url(&url),
            verdict: Verdict::ForeignUrl { url },
            advice: words::or_replace(tag, words::write_to_make_it_ours()),
        };
    }
    let empty = report.records.is_empty()
        || report
            .records
            .iter()
            .all(|r| matches!(r.content, RecordContent::Empty));
    if empty {
        return Finding {
            verdict: Verdict::Empty,
            headline: words::blank(),
            advice: words::or_replace(tag, words::write_right_away()),
        };
    }
    let description = words::describe(&report.records);
    Finding {
        verdict: Verdict::OtherNdef {
            description: description.en.clone(),
        },
        headline: words::other_ndef(&description),
        advice: words::or_replace(tag, words::write_to_make_it_ours()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::{explain, explain_with, Lookups};
    use super::*;
    use tapstand_tag::ndef::view::text_record;
    use tapstand_tag::ndef::wechat::{uri_and_aar, WECHAT_PACKAGE};
    use tapstand_tag::ndef::Message;
    use tapstand_vtag::{nth_uid, TagState, VChip};

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

    /// Issue 14 item 5: every Type 2 chip is named in plain words with its capacity and what it can do;
    /// a 48-byte tag's advice says the link does not fit and which tags to buy.
    #[test]
    fn every_type2_chip_in_plain_words() {
        for (n, chip) in VChip::TYPE2.into_iter().enumerate() {
            let r = read(TagState::factory(chip, nth_uid(60 + n as u32)));
            let i = explain_with(&r, &Lookups::default());
            let (zh, en) = (&i.chip_words.zh, &i.chip_words.en);
            assert!(
                zh.contains("字节") && en.contains("bytes"),
                "{chip:?}: {zh}"
            );
            assert!(zh.contains("可以永久锁定"), "{chip:?}: {zh}");
            let password = chip.kind().has_password();
            assert_eq!(zh.contains("可以设写入密码"), password, "{chip:?}: {zh}");
            assert_eq!(zh.contains("没有密码功能"), !password, "{chip:?}: {zh}");
            if chip.kind().too_small() {
                assert!(zh.contains("放不下") && !i.writable, "{chip:?}: {zh}");
                assert!(
                    i.advice.zh.contains("48 字节") && i.advice.zh.contains("NTAG213"),
                    "{chip:?}: {:?}",
                    i.advice
                );
            } else {
                assert!(
                    zh.contains("可以写入碰一碰内容") && i.writable,
                    "{chip:?}: {zh}"
                );
            }
        }
        let r = read(TagState::factory(VChip::GenericType2, nth_uid(80)));
        assert_eq!(
            explain_with(&r, &Lookups::default()).chip_words.zh,
            "兼容 NFC 标签（Type 2，国产或兼容芯片），容量 144 字节，可以写入碰一碰内容，可以永久锁定，没有密码功能。"
        );
    }

    /// Seen on a tag: a plain-text scheme whose query holds `%` before a Chinese character panicked
    /// `inspect --explain` (the percent-decoder sliced inside the character). As a URI record it is a
    /// plain-text link of that mini program; as a Text record, a text that is a link.
    #[tokio::test]
    async fn plaintext_scheme_with_a_stray_percent() {
        const LINK: &str =
            "weixin://dl/business/?appid=wx1234567890abcdef&path=pages/index/index&query=vip%优惠";
        let (db, _d) = db().await;

        let m = uri_and_aar(LINK, Some(WECHAT_PACKAGE)).encode().unwrap();
        let r = read(TagState::with_message(VChip::Ntag215, nth_uid(20), &m));
        let i = explain(&db, &r, None).await;
        let pure = explain_with(&r, &Lookups::default());
        assert_eq!((&pure.verdict, &pure.headline), (&i.verdict, &i.headline));
        assert_eq!(
            i.verdict,
            Verdict::WechatOther {
                openlink: LINK.into(),
                appid: Some("wx1234567890abcdef".into()),
                path: Some("pages/index/index".into()),
                query: Some("vip%优惠".into()),
                source: "plaintext".into(),
                query_error: None,
                expire_time: None,
                env_version: None,
            }
        );
        assert_eq!(
            i.headline.zh,
            "这是一个明文小程序链接（AppID wx1234567890abcdef，页面 pages/index/index），写在标签上不一定能打开。"
        );
        assert!(i.problems.iter().any(|p| p.zh.contains("明文")));
        assert!(i.advice.zh.contains("覆盖"), "{:?}", i.advice);

        let m = Message::new(vec![text_record("zh", LINK)])
            .encode()
            .unwrap();
        let r = read(TagState::with_message(VChip::Ntag215, nth_uid(21), &m));
        let i = explain(&db, &r, None).await;
        assert_eq!(i.verdict, explain_with(&r, &Lookups::default()).verdict,);
        assert!(
            matches!(&i.verdict, Verdict::OtherNdef { description } if description.contains("a link written as text")),
            "{:?}",
            i.verdict
        );
        assert_eq!(
            i.headline.zh,
            "这张标签里不是链接，而是一段文字“weixin://dl/business/?appid=wx1234567890…”（内容是链接，但写成了文字，手机碰了不会打开它）。"
        );
        assert!(i.advice.zh.contains("写卡页写入"), "{:?}", i.advice);
    }

    #[test]
    fn query_parameters() {
        assert_eq!(param("q=a%3Db%26c%2", "q").as_deref(), Some("a=b&c%2"));
        assert_eq!(param("q=%E4%BD%A0+x", "q").as_deref(), Some("你 x"));
        assert_eq!(param("q=&q=2&r", "q").as_deref(), Some("2"));
        assert_eq!(param("r&q", "q"), None);
        // Seen on a tag: `%` before a Chinese character (was a panic: not a char boundary).
        assert_eq!(
            param("query=vip%优惠", "query").as_deref(),
            Some("vip%优惠")
        );
        assert_eq!(param("query=%优", "query").as_deref(), Some("%优"));
        assert_eq!(param("query=%E4%BD", "query").as_deref(), Some("\u{FFFD}"));
        assert_eq!(param("query=%", "query").as_deref(), Some("%"));
    }
}

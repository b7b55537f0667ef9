//! The inspector's plain words: every sentence it shows, in Chinese and English, and the dates and
//! labels in them. The other files decide *which* sentence applies; the wording lives here.

use tapstand_error::UserError;
use tapstand_store::station::StationTag;
use tapstand_tag::ndef::chip::ChipKind;
use tapstand_tag::ndef::view::{RecordContent, RecordView};
use tapstand_tag::ndef::wechat::{WechatProblem, WECHAT_PACKAGE};

use super::tag::TagFacts;
use super::Bilingual;

/// `yyyy-mm-dd` in China time (UTC+8), the merchant's calendar. A time outside years -9999..=9999 (only
/// a broken record or answer holds one) shows as 1970-01-01.
pub fn china_date(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.checked_to_offset(time::macros::offset!(+8)))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
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

// ---- what is wrong with WeChat content ----------------------------------------------------------------

pub(super) fn problem(p: &WechatProblem) -> Option<Bilingual> {
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

/// A problem sentence that says it does no harm (left out of the advice).
pub(super) fn is_harmless(problem: &Bilingual) -> bool {
    problem.zh.contains("不影响")
}

// ---- notes added to every headline ----------------------------------------------------------------------

/// Locked or password-protected (empty when neither).
pub(super) fn protection_note(tag: &TagFacts) -> Bilingual {
    if tag.type4 && tag.locked {
        Bilingual::new(
            "标签的内容被设为只读，不能再改写。",
            "Its content is set read-only and cannot be rewritten.",
        )
    } else if tag.type4 && tag.password_protected {
        Bilingual::new(
            "标签的内容受密钥保护，手机照常能读，但本机没有密钥，不能改写。",
            "Its content is protected by a key: phones read it, but this computer has no key and cannot rewrite it.",
        )
    } else if tag.locked {
        Bilingual::new(
            "标签已永久锁定，不能再改写。",
            "It is permanently locked and cannot be rewritten.",
        )
    } else if tag.password_protected {
        if tag.writable {
            Bilingual::new(
                "标签有写保护密码（本机保存着密码，可以改写）。",
                "It is password-protected (this computer has the password and can rewrite it).",
            )
        } else {
            Bilingual::new(
                "标签有写保护密码，手机照常能读，但本机不能改写。",
                "It is password-protected: phones read it, but this computer cannot rewrite it.",
            )
        }
    } else {
        Bilingual::default()
    }
}

/// What a Type 4 tag is, in plain words (empty for other tags): its make, its room, that it cannot be
/// locked by Tapstand.
pub(super) fn type4_note(tag: &TagFacts) -> Bilingual {
    if !tag.type4 {
        return Bilingual::default();
    }
    let (room_zh, room_en) = match tag.capacity {
        Some(c) => (format!("，可写 {c} 字节"), format!(", room for {c} bytes")),
        None => (String::new(), String::new()),
    };
    Bilingual::new(
        format!(
            "这是 {}（NFC Forum Type 4 标签{room_zh}），手机碰一碰可以读；Tapstand 不能把它永久锁定。",
            tag.chip_name
        ),
        format!(
            "This is a {} (NFC Forum Type 4 tag{room_en}) that phones read; Tapstand cannot lock it permanently.",
            tag.chip_name
        ),
    )
}

/// Our link on a tag the station never wrote.
pub(super) fn copied_note() -> Bilingual {
    Bilingual::new(
        "但这张标签本身不在写卡记录里，内容可能是复制来的。",
        "But this tag itself was never written here: its content may be a copy.",
    )
}

/// A trial or development version link (`None` for release).
pub(super) fn test_version_note(env_version: &str) -> Option<Bilingual> {
    let (zh, en) = match env_version {
        "trial" => ("体验版", "trial"),
        "develop" => ("开发版", "development"),
        _ => return None,
    };
    Some(Bilingual::new(
        format!("这是{zh}链接，普通顾客打不开。"),
        format!("It is a {en}-version link: ordinary customers cannot open it."),
    ))
}

// ---- advice ---------------------------------------------------------------------------------------------

/// Advice for content that should be replaced: `fix` (write it again) when Tapstand can write the tag,
/// else why it cannot and "use a new tag".
pub(super) fn or_replace(tag: &TagFacts, fix: Bilingual) -> Bilingual {
    if tag.writable {
        fix
    } else if tag.locked {
        Bilingual::new(
            "标签已锁定，不能改写：请换一张新标签。",
            "The tag is locked and cannot be rewritten: use a new tag.",
        )
    } else if tag.password_protected {
        Bilingual::new(
            "标签有写保护密码，本机不知道密码，不能改写：请换一张新标签。",
            "The tag is password-protected and this computer does not know the password: use a new tag.",
        )
    } else if tag.kind.too_small() {
        let chip_name = &tag.chip_name;
        Bilingual::new(
            format!("这种标签（{chip_name}）只有 48 字节，放不下碰一碰链接：请换 NTAG213/215/216 或其他 144 字节以上的标签。"),
            format!("This tag ({chip_name}) has only 48 bytes and the tap link does not fit: use NTAG213/215/216 or another tag with 144 bytes or more."),
        )
    } else {
        let chip_name = &tag.chip_name;
        Bilingual::new(
            format!("这种芯片（{chip_name}）不能用来写卡：请换 NTAG213/215/216 标签。"),
            format!("This chip ({chip_name}) cannot be written: use NTAG213/215/216 tags."),
        )
    }
}

pub(super) fn rewrite_to_repair() -> Bilingual {
    Bilingual::new(
        "放到写卡页重新写入即可修好（会重新整理标签格式）。",
        "Write it again on the write page to repair it (the tag is reformatted).",
    )
}

pub(super) fn use_a_new_tag() -> Bilingual {
    Bilingual::new(
        "请换一张新的 NTAG213/215/216 标签。",
        "Use a new NTAG213/215/216 tag.",
    )
}

pub(super) fn write_to_make_it_ours() -> Bilingual {
    Bilingual::new(
        "如要改成会员小程序，放到写卡页写入即可。",
        "To make it open the mini program, write it on the write page.",
    )
}

pub(super) fn write_right_away() -> Bilingual {
    Bilingual::new("可以直接拿去写卡。", "It can be written right away.")
}

pub(super) fn overwrite_if_it_should_be_ours() -> Bilingual {
    Bilingual::new(
        "如果它应当打开本店的会员小程序，放到写卡页覆盖即可（会先请你确认）。",
        "If it should open this shop's mini program, overwrite it on the write page (you will be asked to confirm).",
    )
}

pub(super) fn rewrite_for_the_right_store() -> Bilingual {
    Bilingual::new(
        "请放到写卡页，为正确的门店重新写入。",
        "Write it again for the right store on the write page.",
    )
}

/// What the tag does, with tips for a tap that does not work.
pub(super) fn ours_fine() -> Bilingual {
    Bilingual::new(
        "内容正常，手机碰一碰会打开会员小程序。如果顾客碰了打不开：请确认手机已解锁、NFC 已打开、微信是新版本，并把手机背面贴住立牌的碰一碰区域停一秒。",
        "The content is fine: a phone tap opens the mini program. If a customer's tap does not work: the phone must be unlocked with NFC on and a recent WeChat, held flat on the tap zone for a second.",
    )
}

pub(super) fn rewrite_for_target(label: &str) -> Bilingual {
    Bilingual::new(
        format!("放到写卡页、选择“{label}”重新写一次即可修好。"),
        format!(
            "Write it again for \"{}\" on the write page to repair it.",
            label_en(label)
        ),
    )
}

/// Check the link again once WeChat can be asked.
pub(super) fn check_again_online(query_error: Option<&UserError>) -> Bilingual {
    match query_error {
        Some(e) => Bilingual::new(
            format!("{}联网正常后再检查一次。", e.zh.remedy),
            format!("{} Then inspect it again.", e.en.remedy),
        ),
        None => Bilingual::new(
            "联网并在“设置”里配置好小程序后，再检查一次。",
            "Inspect it again when online with the mini program set up in Settings.",
        ),
    }
}

/// What the chip is good for (from the chip table).
pub(super) fn chip_support(kind: ChipKind) -> Bilingual {
    Bilingual::new(kind.support_zh(), kind.support_en())
}

// ---- headlines: what the tag is -------------------------------------------------------------------------

pub(super) fn unsupported(chip_name: &str) -> Bilingual {
    Bilingual::new(
        format!("这不是碰一碰用的 NFC 标签，而是 {chip_name}。"),
        format!("This is not an NFC tap tag: it is a {chip_name}."),
    )
}

/// An ISO 14443-4 card without the NDEF application.
pub(super) fn cpu_card() -> Bilingual {
    Bilingual::new(
        "这不是碰一碰用的 NFC 标签，而是一张银行卡、公交卡之类的 CPU 卡（或手机），里面没有 NFC 标签内容。",
        "This is not an NFC tap tag: it is a smart card (bank or transit card) or a phone, with no NFC tag (NDEF) content.",
    )
}

pub(super) fn read_protected() -> Bilingual {
    Bilingual::new(
        "标签设置了读取密码，内容读不出来。",
        "The tag is read-protected with a password; its content cannot be read.",
    )
}

pub(super) fn damaged() -> Bilingual {
    Bilingual::new(
        "标签里的内容已损坏，手机读不出来。",
        "The tag's content is damaged; phones cannot read it.",
    )
}

pub(super) fn not_ndef() -> Bilingual {
    Bilingual::new(
        "这张标签不是手机能读的格式（可能被别的系统用过）。",
        "This tag is not in a format phones read (it may have been used by another system).",
    )
}

pub(super) fn foreign_url(url: &str) -> Bilingual {
    Bilingual::new(
        format!("这张标签里是一个链接，不是微信小程序：{url}"),
        format!("This tag holds a link, not a WeChat mini program: {url}"),
    )
}

pub(super) fn blank() -> Bilingual {
    Bilingual::new(
        "这是一张空白标签，里面没有内容。",
        "This is a blank tag: it holds nothing.",
    )
}

pub(super) fn other_ndef(description: &Bilingual) -> Bilingual {
    Bilingual::new(
        format!("这张标签里不是链接，而是{}。", description.zh),
        format!("This tag holds no link but {}.", description.en),
    )
}

/// One of our links: for `label`, first written at `written_at` (unix ms) if the station recorded it.
pub(super) fn ours(label: &str, written_at: Option<i64>) -> Bilingual {
    match written_at {
        Some(at) => Bilingual::new(
            format!("这是本店写的标签：{label}，{} 写入。", china_date(at)),
            format!(
                "This is one of our tags: {}, written on {}.",
                label_en(label),
                china_date(at)
            ),
        ),
        None => Bilingual::new(
            format!("这是本店生成的碰一碰链接：{label}（本机没有写卡记录）。"),
            format!(
                "This is a tap link we generated: {} (no record of writing it on this computer).",
                label_en(label)
            ),
        ),
    }
}

/// A plain-text scheme, with what it says it opens.
pub(super) fn plaintext(appid: Option<&str>, path: Option<&str>) -> Bilingual {
    Bilingual::new(
        format!(
            "这是一个明文小程序链接（AppID {}，页面 {}），写在标签上不一定能打开。",
            appid.unwrap_or("未知"),
            path.unwrap_or("未知")
        ),
        format!(
            "This is a plain-text mini-program link (AppID {}, page {}); it may not open from a tag.",
            appid.unwrap_or("unknown"),
            path.unwrap_or("unknown")
        ),
    )
}

pub(super) fn not_checked() -> Bilingual {
    Bilingual::new(
        "这是一张微信碰一碰标签，但不是这台电脑写的；现在无法向微信核对它属于哪个小程序。",
        "This is a WeChat tap tag that this computer did not write; it cannot be checked with WeChat right now.",
    )
}

/// `queryscheme` did not answer within the inspector's time limit.
pub(super) fn query_timeout() -> UserError {
    UserError::new(
        "inspect.query_timeout",
        ("微信没有及时回答。", "请检查网络。"),
        ("WeChat did not answer in time.", "Check the network."),
    )
}

/// A link of another mini program (AppID `appid`) opening `page`.
pub(super) fn other_app(appid: &str, page: &str) -> Bilingual {
    Bilingual::new(
        format!("这是另一个小程序（AppID {appid}）的碰一碰标签，打开页面 {page}。"),
        format!(
            "This is a WeChat tap tag of another mini program (AppID {appid}), opening {page}."
        ),
    )
}

/// A link of the configured mini program that this install did not generate, opening `page`.
pub(super) fn this_app_elsewhere(page: &str) -> Bilingual {
    Bilingual::new(
        format!("这是本小程序的碰一碰标签，但不是这台电脑写的：打开页面 {page}。"),
        format!(
            "This is a tap tag of this mini program, but this computer did not write it: it opens {page}."
        ),
    )
}

/// The link expired at `expire_s` (unix seconds).
pub(super) fn expired(expire_s: i64) -> Bilingual {
    Bilingual::new(
        format!(
            "链接已于 {} 过期，手机碰了打不开。",
            china_date(expire_s.saturating_mul(1000))
        ),
        format!(
            "The link expired on {}: phones cannot open it.",
            china_date(expire_s.saturating_mul(1000))
        ),
    )
}

/// The link expires at `expire_s` (unix seconds).
pub(super) fn valid_until(expire_s: i64) -> Bilingual {
    Bilingual::new(
        format!(
            "链接有效期到 {}。",
            china_date(expire_s.saturating_mul(1000))
        ),
        format!(
            "The link is valid until {}.",
            china_date(expire_s.saturating_mul(1000))
        ),
    )
}

pub(super) fn other_app_unknown() -> Bilingual {
    Bilingual::new(
        "这是另一个小程序的碰一碰标签（本小程序的微信后台查不到这个链接）。",
        "This is a WeChat tap tag of another mini program (this mini program's WeChat account does not know the link).",
    )
}

/// Plain words for content that is no link.
pub(super) fn describe(records: &[RecordView]) -> Bilingual {
    let parts: Vec<Bilingual> = records
        .iter()
        .filter_map(|r| match &r.content {
            RecordContent::Text { text, .. } if looks_like_link(text) => {
                let t = excerpt(text);
                Some(Bilingual::new(
                    format!("一段文字“{t}”（内容是链接，但写成了文字，手机碰了不会打开它）"),
                    format!("a text \"{t}\" (a link written as text: phones will not open it)"),
                ))
            }
            RecordContent::Text { text, .. } => {
                let t = excerpt(text);
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

/// The first 40 characters of a text read from a tag, on one line (control characters shown as spaces),
/// with `…` when it goes on.
fn excerpt(text: &str) -> String {
    const MAX: usize = 40;
    let mut out: String = text
        .trim()
        .chars()
        .take(MAX)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.trim().chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

/// A text that is a link (what a phone would open had it been written as a link record).
fn looks_like_link(text: &str) -> bool {
    let t = text.trim_start();
    ["weixin://", "http://", "https://"]
        .iter()
        .any(|p| t.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p)))
}

// ---- "verify again": the tag against the station's record -----------------------------------------------

pub(super) fn uid_unreadable() -> Bilingual {
    Bilingual::new(
        "读不到这张卡的编号（UID），无法和记录对照。",
        "The tag's UID cannot be read, so it cannot be compared with the records.",
    )
}

pub(super) fn record_matches(r: &StationTag) -> Bilingual {
    Bilingual::new(
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
    )
}

/// What a recorded tag holds now, instead of its recorded link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum HoldsNow {
    AnotherLink,
    Nothing,
    Damaged,
    SomethingElse,
}

pub(super) fn record_changed(r: &StationTag, now: HoldsNow) -> Bilingual {
    let (now_zh, now_en) = match now {
        HoldsNow::AnotherLink => ("现在是另一个微信链接", "it now holds another WeChat link"),
        HoldsNow::Nothing => ("现在是空的", "it is now empty"),
        HoldsNow::Damaged => ("现在内容已损坏", "its content is now damaged"),
        HoldsNow::SomethingElse => ("现在是别的内容", "it now holds something else"),
    };
    Bilingual::new(
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
    )
}

/// No record of this tag, but its link is recorded on the tag `r`.
pub(super) fn record_copied(r: &StationTag) -> Bilingual {
    Bilingual::new(
        format!(
            "本机没有这张标签的写入记录，但它的内容和另一张标签（UID {}，“{}”）完全一样：可能是复制来的。",
            r.uid, r.target_label
        ),
        format!(
            "No record of this tag, but its content is the same as another tag's (UID {}, \"{}\"): it may be a copy.",
            r.uid,
            label_en(&r.target_label)
        ),
    )
}

pub(super) fn not_recorded() -> Bilingual {
    Bilingual::new(
        "本机没有这张标签的写入记录。",
        "This computer has no record of writing this tag.",
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_support::WRITTEN_AT;
    use super::*;

    #[test]
    fn words() {
        assert_eq!(china_date(WRITTEN_AT), "2026-11-20");
        // 2026-01-01 00:30 China time is still 2025-12-31 in UTC.
        assert_eq!(china_date(1_767_198_600_000), "2026-01-01");
        assert_eq!(label_en("不区分门店"), "all stores");
        // Out of the calendar's range (a broken record or WeChat answer): no panic, no overflow.
        assert_eq!(china_date(i64::MIN), "1970-01-01");
        assert_eq!(china_date(i64::MAX), "1970-01-01");
        // 9999-12-31 23:59:59 UTC is in range, but not in China time (was a panic in `to_offset`).
        assert_eq!(china_date(253_402_300_799_000), "1970-01-01");
        assert_eq!(china_date(253_402_271_999_000), "9999-12-31");
        assert_eq!(china_date(-377_705_116_800_000), "-9999-01-01");
        assert!(expired(i64::MAX).zh.contains("1970-01-01"));
        assert!(valid_until(i64::MIN).en.contains("1970-01-01"));
        assert_eq!(
            label_en("前台 机器号 M01 终端号 T9"),
            "front desk machine M01 terminal T9"
        );
    }

    #[test]
    fn text_excerpts() {
        assert_eq!(excerpt(" 欢迎光临\n"), "欢迎光临");
        assert_eq!(excerpt("a\tb\u{0}c"), "a b c");
        let long = "优".repeat(41);
        assert_eq!(excerpt(&long), format!("{}…", "优".repeat(40)));
        assert_eq!(excerpt(&"优".repeat(40)), "优".repeat(40));
        assert!(looks_like_link(
            "weixin://dl/business/?appid=wx1&query=vip%优惠"
        ));
        assert!(looks_like_link(" HTTPS://example.com"));
        assert!(!looks_like_link("优惠 https://"));
        assert!(!looks_like_link("http"));
        assert!(!looks_like_link("优"));
    }
}

//! The WeChat NFC message: record 1 = URI record with the mini program's NFC scheme (identifier code 0x00,
//! because `weixin://` has no abbreviation), record 2 = Android Application Record `com.tencent.mm`.
//! iOS only looks at the URI record; Android also needs the AAR; the reversed order opens only WeChat.

use serde::Serialize;

use crate::record::{Message, Tnf};
use crate::uri::{decode_uri_payload, uri_record_with_code};
use crate::view::{aar_record, AAR_TYPE};

pub const WECHAT_PACKAGE: &str = "com.tencent.mm";
/// Every NFC scheme starts with this (`weixin://dl/business/?t=TICKET`).
pub const SCHEME_PREFIX: &str = "weixin://dl/business/?";

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SchemeError {
    #[error("the scheme must start with weixin://dl/business/? (got {0:?})")]
    NotWeixin(String),
    #[error(
        "the scheme contains characters that do not belong in a URL (spaces or control characters)"
    )]
    BadCharacters,
}

/// Checks that `scheme` looks like a mini-program URL scheme.
pub fn validate_scheme(scheme: &str) -> Result<(), SchemeError> {
    if !scheme.starts_with(SCHEME_PREFIX) {
        let shown: String = scheme.chars().take(40).collect();
        return Err(SchemeError::NotWeixin(shown));
    }
    if scheme.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(SchemeError::BadCharacters);
    }
    Ok(())
}

/// The two-record WeChat message for `scheme` (URI first with code 0x00, AAR `com.tencent.mm` second).
pub fn wechat_message(scheme: &str) -> Result<Message, SchemeError> {
    validate_scheme(scheme)?;
    Ok(uri_and_aar(scheme, Some(WECHAT_PACKAGE)))
}

/// A URI record (best identifier code; 0x00 for `weixin://`) optionally followed by an AAR.
pub fn uri_and_aar(uri: &str, package: Option<&str>) -> Message {
    let code = if uri.starts_with("weixin:") {
        0
    } else {
        crate::uri::best_prefix(uri)
    };
    let mut records = vec![uri_record_with_code(uri, code)];
    if let Some(p) = package {
        records.push(aar_record(p));
    }
    Message::new(records)
}

/// Bytes the message needs besides the scheme: URI record header (4) + code (1) + AAR (3 + 15 + 14).
pub const OVERHEAD: usize = 37;

/// What is wrong (or only worth a warning) about a message as a WeChat NFC tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum WechatProblem {
    /// The tag holds no NDEF message (or an empty one).
    NoMessage,
    /// The first record is not a URI record.
    FirstRecordNotUri,
    /// The URI is not a `weixin://dl/business/?…` scheme.
    NotWechatScheme,
    /// A plain-text scheme (`?appid=…&path=…`) rather than an NFC ticket (`?t=…`): may not open from a tag.
    PlaintextScheme,
    /// No AAR `com.tencent.mm`: Android phones will not open WeChat.
    MissingAar,
    /// The AAR comes before the URI record (Android then opens only WeChat).
    AarBeforeUri,
    /// More records than URI + AAR (harmless, but not what Tapstand writes).
    ExtraRecords,
}

/// The verdict of [`check_wechat`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WechatCheck {
    /// The tag opens the mini program on both iOS and Android.
    pub valid: bool,
    /// The scheme in the first URI record, if it is a WeChat scheme.
    pub scheme: Option<String>,
    /// The ticket (`t=` value) of an NFC scheme.
    pub ticket: Option<String>,
    pub problems: Vec<WechatProblem>,
}

/// Is `message` a valid WeChat NFC tag message?
pub fn check_wechat(message: &Message) -> WechatCheck {
    let mut problems = Vec::new();
    let recs = &message.records;
    if recs.is_empty() {
        return WechatCheck {
            valid: false,
            scheme: None,
            ticket: None,
            problems: vec![WechatProblem::NoMessage],
        };
    }
    let is_aar = |r: &crate::record::Record| {
        r.tnf == Tnf::External
            && r.record_type == AAR_TYPE
            && r.payload == WECHAT_PACKAGE.as_bytes()
    };
    let first_uri = if recs[0].tnf == Tnf::WellKnown && recs[0].record_type == b"U" {
        decode_uri_payload(&recs[0].payload).map(|d| d.uri)
    } else {
        None
    };
    let mut scheme = None;
    let mut ticket = None;
    match &first_uri {
        None => {
            problems.push(WechatProblem::FirstRecordNotUri);
            if is_aar(&recs[0])
                && recs
                    .iter()
                    .skip(1)
                    .any(|r| r.tnf == Tnf::WellKnown && r.record_type == b"U")
            {
                problems.push(WechatProblem::AarBeforeUri);
            }
        }
        Some(u) => match u.strip_prefix(SCHEME_PREFIX) {
            Some(query) => {
                scheme = Some(u.clone());
                match query.strip_prefix("t=") {
                    Some(t) if !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric()) => {
                        ticket = Some(t.to_string())
                    }
                    _ => problems.push(WechatProblem::PlaintextScheme),
                }
            }
            None => problems.push(WechatProblem::NotWechatScheme),
        },
    }
    let aar_at = recs.iter().position(is_aar);
    match aar_at {
        None => problems.push(WechatProblem::MissingAar),
        Some(0) => {}
        Some(_) => {}
    }
    if recs.len() > 2 {
        problems.push(WechatProblem::ExtraRecords);
    }
    let valid = first_uri.is_some() && scheme.is_some() && ticket.is_some() && aar_at == Some(1);
    WechatCheck {
        valid,
        scheme,
        ticket,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference §3.4: the exact bytes for `weixin://dl/business/?t=XTSkBZlzqmn`.
    pub const REFERENCE_72: &str = "9101245500\
        7765697869\
        6E3A2F2F646C2F627573696E6573732F3F743D5854536B425A6C7A716D6E\
        540F0E616E64726F69642E636F6D3A706B67636F6D2E74656E63656E742E6D6D";

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn reference_bytes() {
        let m = wechat_message("weixin://dl/business/?t=XTSkBZlzqmn").unwrap();
        let b = m.encode().unwrap();
        assert_eq!(b, unhex(REFERENCE_72));
        assert_eq!(b.len(), 72);
        assert_eq!(b.len(), OVERHEAD + 35);
        let c = check_wechat(&Message::decode(&b).unwrap());
        assert!(c.valid, "{c:?}");
        assert_eq!(c.ticket.as_deref(), Some("XTSkBZlzqmn"));
        assert!(c.problems.is_empty());
    }

    #[test]
    fn checks() {
        assert!(wechat_message("https://x").is_err());
        let reversed = Message::new(vec![
            aar_record(WECHAT_PACKAGE),
            crate::uri::uri_record_with_code("weixin://dl/business/?t=A", 0),
        ]);
        let c = check_wechat(&reversed);
        assert!(!c.valid);
        assert!(c.problems.contains(&WechatProblem::AarBeforeUri));
        let no_aar = uri_and_aar("weixin://dl/business/?t=A", None);
        assert_eq!(
            check_wechat(&no_aar).problems,
            vec![WechatProblem::MissingAar]
        );
        let plain = uri_and_aar(
            "weixin://dl/business/?appid=wx1&path=a",
            Some(WECHAT_PACKAGE),
        );
        let c = check_wechat(&plain);
        assert!(!c.valid && c.problems == vec![WechatProblem::PlaintextScheme]);
        assert_eq!(
            check_wechat(&Message::default()).problems,
            vec![WechatProblem::NoMessage]
        );
        let https = uri_and_aar("https://example.com", Some(WECHAT_PACKAGE));
        assert_eq!(
            check_wechat(&https).problems,
            vec![WechatProblem::NotWechatScheme]
        );
    }
}

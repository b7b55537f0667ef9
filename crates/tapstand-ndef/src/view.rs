//! Human-readable views of records, for the tag inspector: what each record is and what it opens.

use serde::Serialize;

use crate::record::{Message, Record, Tnf};
use crate::uri::decode_uri_payload;

/// The Android Application Record type.
pub const AAR_TYPE: &[u8] = b"android.com:pkg";

/// An Android Application Record for `package`.
pub fn aar_record(package: &str) -> Record {
    Record::new(
        Tnf::External,
        AAR_TYPE.to_vec(),
        package.as_bytes().to_vec(),
    )
}

/// One decoded record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RecordView {
    pub tnf: Tnf,
    /// The record type as text (lossy), e.g. `U`, `android.com:pkg`, `text/plain`.
    pub record_type: String,
    /// The record id as text (lossy), if any.
    pub id: Option<String>,
    pub payload_len: u32,
    #[serde(flatten)]
    pub content: RecordContent,
}

/// What a record holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecordContent {
    /// Well-known `U`.
    Uri {
        uri: String,
        prefix_code: u8,
        unknown_prefix_code: bool,
    },
    /// Well-known `T`.
    Text {
        language: String,
        text: String,
    },
    /// External `android.com:pkg`.
    AndroidApp {
        package: String,
    },
    /// Well-known `Sp`: a nested message.
    SmartPoster {
        records: Vec<RecordView>,
    },
    /// Absolute URI (the URI is the type).
    AbsoluteUri {
        uri: String,
    },
    /// MIME media (e.g. `text/vcard`).
    Media {
        mime_type: String,
        payload_hex: String,
    },
    /// Anything else (other well-known types, external types, unknown).
    Other {
        payload_hex: String,
    },
    Empty,
    /// The payload could not be decoded for its type.
    Invalid {
        reason: String,
        payload_hex: String,
    },
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Hex (lower case, no separators), cut at 512 bytes.
pub fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len().min(512) * 2 + 3);
    for x in b.iter().take(512) {
        s.push_str(&format!("{x:02x}"));
    }
    if b.len() > 512 {
        s.push('…');
    }
    s
}

impl RecordView {
    pub fn of(r: &Record) -> RecordView {
        Self::of_depth(r, 0)
    }

    fn of_depth(r: &Record, depth: usize) -> RecordView {
        let content = match (r.tnf, r.record_type.as_slice()) {
            (Tnf::Empty, _) => RecordContent::Empty,
            (Tnf::WellKnown, b"U") => match decode_uri_payload(&r.payload) {
                Some(d) => RecordContent::Uri {
                    uri: d.uri,
                    prefix_code: d.code,
                    unknown_prefix_code: d.unknown_code,
                },
                None => RecordContent::Invalid {
                    reason: "empty URI payload".into(),
                    payload_hex: String::new(),
                },
            },
            (Tnf::WellKnown, b"T") => decode_text(&r.payload),
            (Tnf::WellKnown, b"Sp") if depth < 4 => match Message::decode(&r.payload) {
                Ok(m) => RecordContent::SmartPoster {
                    records: m
                        .records
                        .iter()
                        .map(|x| Self::of_depth(x, depth + 1))
                        .collect(),
                },
                Err(e) => RecordContent::Invalid {
                    reason: e.to_string(),
                    payload_hex: hex(&r.payload),
                },
            },
            (Tnf::External, t) if t == AAR_TYPE => RecordContent::AndroidApp {
                package: lossy(&r.payload),
            },
            (Tnf::AbsoluteUri, t) => RecordContent::AbsoluteUri { uri: lossy(t) },
            (Tnf::Media, t) => RecordContent::Media {
                mime_type: lossy(t),
                payload_hex: hex(&r.payload),
            },
            _ => RecordContent::Other {
                payload_hex: hex(&r.payload),
            },
        };
        RecordView {
            tnf: r.tnf,
            record_type: lossy(&r.record_type),
            id: if r.id.is_empty() {
                None
            } else {
                Some(lossy(&r.id))
            },
            payload_len: r.payload.len() as u32,
            content,
        }
    }
}

fn decode_text(p: &[u8]) -> RecordContent {
    let Some((&status, rest)) = p.split_first() else {
        return RecordContent::Invalid {
            reason: "empty text payload".into(),
            payload_hex: String::new(),
        };
    };
    let lang_len = (status & 0x3F) as usize;
    if lang_len > rest.len() {
        return RecordContent::Invalid {
            reason: "language code longer than the payload".into(),
            payload_hex: hex(p),
        };
    }
    let (lang, text) = rest.split_at(lang_len);
    let text = if status & 0x80 != 0 {
        // UTF-16 with an optional BOM; big-endian by default.
        let (le, body) = match text {
            [0xFF, 0xFE, b @ ..] => (true, b),
            [0xFE, 0xFF, b @ ..] => (false, b),
            b => (false, b),
        };
        let pairs = body.chunks_exact(2);
        let odd_byte = !pairs.remainder().is_empty();
        let units: Vec<u16> = pairs
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        let mut s = String::from_utf16_lossy(&units);
        // A last byte without its pair is shown, as any undecodable text is, as U+FFFD.
        if odd_byte {
            s.push(char::REPLACEMENT_CHARACTER);
        }
        s
    } else {
        lossy(text)
    };
    RecordContent::Text {
        language: lossy(lang),
        text,
    }
}

/// A well-known Text record (UTF-8).
pub fn text_record(language: &str, text: &str) -> Record {
    let lang = &language.as_bytes()[..language.len().min(63)];
    let mut p = vec![lang.len() as u8];
    p.extend_from_slice(lang);
    p.extend_from_slice(text.as_bytes());
    Record::new(Tnf::WellKnown, b"T".to_vec(), p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views() {
        let v = RecordView::of(&text_record("zh", "你好"));
        assert_eq!(
            v.content,
            RecordContent::Text {
                language: "zh".into(),
                text: "你好".into()
            }
        );
        let v = RecordView::of(&aar_record("com.tencent.mm"));
        assert_eq!(
            v.content,
            RecordContent::AndroidApp {
                package: "com.tencent.mm".into()
            }
        );
        let utf16 = Record::new(
            Tnf::WellKnown,
            "T",
            vec![0x82, b'e', b'n', 0xFE, 0xFF, 0, b'h', 0, b'i'],
        );
        assert_eq!(
            RecordView::of(&utf16).content,
            RecordContent::Text {
                language: "en".into(),
                text: "hi".into()
            }
        );
        let bad = Record::new(Tnf::WellKnown, "T", vec![0x05, b'e']);
        assert!(matches!(
            RecordView::of(&bad).content,
            RecordContent::Invalid { .. }
        ));
    }

    fn text_of(payload: &[u8]) -> RecordContent {
        RecordView::of(&Record::new(Tnf::WellKnown, "T", payload.to_vec())).content
    }

    fn text(language: &str, text: &str) -> RecordContent {
        RecordContent::Text {
            language: language.into(),
            text: text.into(),
        }
    }

    /// Hostile Text records: every one decodes to a view (lossy where it must), none panics.
    #[test]
    fn hostile_text_records() {
        assert!(matches!(text_of(&[]), RecordContent::Invalid { .. }));
        // The language length is 6 bits (63 at most), whatever the RFU bit says.
        assert!(matches!(
            text_of(&[0x3F, b'z', b'h']),
            RecordContent::Invalid { .. }
        ));
        assert_eq!(text_of(&[0x7F & 0x42, b'z', b'h']), text("zh", ""));
        assert_eq!(text_of(&[0x00]), text("", ""));
        // Language code and text not UTF-8; text cut inside a character.
        assert_eq!(
            text_of(&[0x02, 0xFF, b'h', 0xE4, 0xBC, 0x98, 0xE4, 0xBC]),
            text("\u{FFFD}h", "优\u{FFFD}")
        );
        // UTF-16: little-endian BOM, big-endian by default, an odd last byte, a lone surrogate.
        assert_eq!(
            text_of(&[0x80, 0xFF, 0xFE, b'h', 0, b'i', 0]),
            text("", "hi")
        );
        assert_eq!(text_of(&[0x80, 0x4F, 0x18]), text("", "优"));
        assert_eq!(text_of(&[0x80, 0, b'h', 0]), text("", "h\u{FFFD}"));
        assert_eq!(text_of(&[0x80, 0xD8, 0x00, 0, b'x']), text("", "\u{FFFD}x"));
        assert_eq!(text_of(&[0x80, 0xFE]), text("", "\u{FFFD}"));
        assert_eq!(text_of(&[0x80, 0xFE, 0xFF]), text("", ""));
    }
}

//! The URI record (NFC Forum RTD-URI): identifier code + the rest of the URI.

use crate::record::{Record, Tnf};

/// URI identifier codes 0x00..=0x23 (RTD-URI table 3). 0x24..=0xFF are undefined.
pub const PREFIXES: [&str; 36] = [
    "",
    "http://www.",
    "https://www.",
    "http://",
    "https://",
    "tel:",
    "mailto:",
    "ftp://anonymous:anonymous@",
    "ftp://ftp.",
    "ftps://",
    "sftp://",
    "smb://",
    "nfs://",
    "ftp://",
    "dav://",
    "news:",
    "telnet://",
    "imap:",
    "rtsp://",
    "urn:",
    "pop:",
    "sip:",
    "sips:",
    "tftp:",
    "btspp://",
    "btl2cap://",
    "btgoep://",
    "tcpobex://",
    "irdaobex://",
    "file://",
    "urn:epc:id:",
    "urn:epc:tag:",
    "urn:epc:pat:",
    "urn:epc:raw:",
    "urn:epc:",
    "urn:nfc:",
];

/// The identifier code that abbreviates `uri` the most (0 when none applies, e.g. `weixin://`).
pub fn best_prefix(uri: &str) -> u8 {
    let mut best = 0usize;
    for (code, p) in PREFIXES.iter().enumerate().skip(1) {
        if uri.starts_with(p) && p.len() > PREFIXES[best].len() {
            best = code;
        }
    }
    best as u8
}

/// A well-known URI record using the best identifier code.
pub fn uri_record(uri: &str) -> Record {
    let code = best_prefix(uri);
    uri_record_with_code(uri, code)
}

/// A well-known URI record with an explicit identifier code. `code` must be a prefix of `uri`
/// (0 always is).
pub fn uri_record_with_code(uri: &str, code: u8) -> Record {
    let prefix = PREFIXES.get(code as usize).copied().unwrap_or("");
    let rest = uri.strip_prefix(prefix).unwrap_or(uri);
    let code = if uri.starts_with(prefix) { code } else { 0 };
    let mut payload = Vec::with_capacity(1 + rest.len());
    payload.push(code);
    payload.extend_from_slice(rest.as_bytes());
    Record::new(Tnf::WellKnown, b"U".to_vec(), payload)
}

/// A decoded URI record payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedUri {
    pub code: u8,
    pub uri: String,
    /// The identifier code is undefined (0x24..) and was read as "no prefix".
    pub unknown_code: bool,
    /// The URI was not valid UTF-8 (shown with replacement characters).
    pub lossy: bool,
}

/// Decodes a URI record payload. Returns `None` for an empty payload.
pub fn decode_uri_payload(payload: &[u8]) -> Option<DecodedUri> {
    let (&code, rest) = payload.split_first()?;
    let (prefix, unknown_code) = match PREFIXES.get(code as usize) {
        Some(p) => (*p, false),
        None => ("", true),
    };
    let (text, lossy) = match std::str::from_utf8(rest) {
        Ok(s) => (s.to_string(), false),
        Err(_) => (String::from_utf8_lossy(rest).into_owned(), true),
    };
    Some(DecodedUri {
        code,
        uri: format!("{prefix}{text}"),
        unknown_code,
        lossy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(best_prefix("https://www.example.com"), 2);
        assert_eq!(best_prefix("https://example.com"), 4);
        assert_eq!(best_prefix("urn:epc:id:x"), 0x1E);
        assert_eq!(best_prefix("weixin://dl/business/?t=a"), 0);
        let r = uri_record("tel:10086");
        assert_eq!(r.payload, b"\x0510086");
        let d = decode_uri_payload(&r.payload).unwrap();
        assert_eq!(d.uri, "tel:10086");
        assert!(decode_uri_payload(&[0x30, b'x']).unwrap().unknown_code);
        assert!(decode_uri_payload(&[]).is_none());
    }

    /// Every identifier code and bytes that are not UTF-8 decode (lossily) without a panic.
    #[test]
    fn hostile_uri_payloads() {
        for code in 0..=255u8 {
            let d = decode_uri_payload(&[code, 0xE4, 0xBC, b'%', 0xFF]).unwrap();
            assert!(d.lossy);
            assert_eq!(d.unknown_code, code as usize >= PREFIXES.len());
            assert!(d.uri.ends_with("\u{FFFD}%\u{FFFD}"), "{code}: {}", d.uri);
        }
        let d = decode_uri_payload("\0weixin://dl/business/?query=vip%优惠".as_bytes()).unwrap();
        assert_eq!(d.uri, "weixin://dl/business/?query=vip%优惠");
        assert!(!d.lossy && !d.unknown_code);
    }
}

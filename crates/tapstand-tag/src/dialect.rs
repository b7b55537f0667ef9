//! The reader's dialect — how native Type 2 commands (GET_VERSION, FAST_READ, READ_SIG, PWD_AUTH) reach
//! the tag — found by probing, once per reader, and remembered for the process.
//!
//! The reader's name gives the first guess ([`crate::quirks::quirks_for`]); the reader's answers decide.
//! A session tries the remembered dialect (or the guess), and as long as the reader has not answered one
//! well-formed native exchange in this session, an answer that does not fit the dialect (`6A 81`, `63 00`,
//! `6D 00`, an empty success, anything that is not a PN532 frame or a Part 3 TLV) moves on to the next
//! candidate: Direct Transmit (`FF 00 00 00 … D4 42`), then the PC/SC Part 3 transparent session
//! (`FF C2`), then pseudo-APDUs only. The tag's own NAK is an answer in the dialect (`D5 43 01`,
//! `C0 03 01 64 01`): it confirms the dialect, and the tag is re-selected before the next command.
//!
//! The firmware string comes from `FF 00 48 00 00` (ACS readers answer ASCII with no status word);
//! readers that do not know it answer a status word and have none.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

use crate::quirks::PassThrough;

/// What probing found out about one reader.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, specta::Type)]
pub struct ReaderProbe {
    /// The dialect the reader answered in (`none`: pseudo-APDUs only). `None` until probed.
    pub dialect: Option<PassThrough>,
    /// The firmware string (`FF 00 48 00 00`), when the reader gives one. `None` until asked or none.
    pub firmware: Option<String>,
    /// `FF 00 48` was asked.
    #[serde(skip)]
    pub firmware_asked: bool,
}

static PROBED: Mutex<BTreeMap<String, ReaderProbe>> = Mutex::new(BTreeMap::new());

fn table() -> std::sync::MutexGuard<'static, BTreeMap<String, ReaderProbe>> {
    PROBED.lock().unwrap_or_else(|e| e.into_inner())
}

/// What this process knows about `reader`.
pub fn probed(reader: &str) -> ReaderProbe {
    table().get(reader).cloned().unwrap_or_default()
}

/// Remembers the dialect `reader` answered in.
pub fn remember_dialect(reader: &str, dialect: PassThrough) {
    let mut t = table();
    let e = t.entry(reader.to_string()).or_default();
    if e.dialect != Some(dialect) {
        tracing::info!(reader, ?dialect, "reader dialect found by probing");
    }
    e.dialect = Some(dialect);
}

/// Remembers the firmware string `reader` gave (or that it gives none).
pub fn remember_firmware(reader: &str, firmware: Option<String>) {
    let mut t = table();
    let e = t.entry(reader.to_string()).or_default();
    e.firmware = firmware;
    e.firmware_asked = true;
}

/// Forgets everything probed (tests; a reader replaced by another under the same name).
pub fn forget_all() {
    table().clear();
}

/// The dialects to try, in order, starting with `first` (the remembered one or the name's guess).
/// Pseudo-APDUs only is what is left when none answers.
pub fn candidates(first: PassThrough) -> Vec<PassThrough> {
    let mut v = Vec::new();
    for d in [
        first,
        PassThrough::Acr122Direct,
        PassThrough::Part3Transparent,
    ] {
        if d != PassThrough::None && !v.contains(&d) {
            v.push(d);
        }
    }
    v
}

/// The firmware string in an answer to `FF 00 48 00 00`: printable ASCII, with or without a trailing
/// `90 00`. A bare status word (a reader that does not know the command) is none.
pub fn parse_firmware(r: &[u8]) -> Option<String> {
    let body = match r {
        [b @ .., 0x90, 0x00] => b,
        b => b,
    };
    (body.len() >= 4 && body.iter().all(|c| (0x20..0x7F).contains(c)))
        .then(|| String::from_utf8_lossy(body).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firmware_strings() {
        assert_eq!(parse_firmware(b"ACR122U215").as_deref(), Some("ACR122U215"));
        assert_eq!(
            parse_firmware(b"ACR122U207\x90\x00").as_deref(),
            Some("ACR122U207")
        );
        assert_eq!(parse_firmware(&[0x63, 0x00]), None);
        assert_eq!(parse_firmware(&[0x6A, 0x81]), None);
        assert_eq!(parse_firmware(&[]), None);
    }

    #[test]
    fn candidates_start_with_the_guess() {
        assert_eq!(
            candidates(PassThrough::Part3Transparent),
            [PassThrough::Part3Transparent, PassThrough::Acr122Direct]
        );
        assert_eq!(
            candidates(PassThrough::None),
            [PassThrough::Acr122Direct, PassThrough::Part3Transparent]
        );
    }
}

//! A virtual NFC tag for Tapstand's tests and demos: "reader firmware + NTAG213/215/216 (or another Type 2
//! chip, [`VChip::TYPE2`])" speaking the
//! vpcd protocol to vsmartcard's virtual reader, so the real pcscd and the real `pcsc` crate are in the loop.
//!
//! * [`tag`]: the chip (memory map, OTP and lock bits, CFG pages, password, GET_VERSION, FAST_READ; the
//!   commands each chip lacks are NAKed).
//! * [`type4`]: an NFC Forum Type 4 card (NTAG 424 DNA, DESFire with an NDEF application, ST25TA, or a bank
//!   card without one): ISO 7816-4 SELECT / READ BINARY / UPDATE BINARY with the real status words.
//! * [`firmware`]: the reader's pseudo-APDUs (`FF CA`, `FF B0`, `FF D6`), ACR122U Direct Transmit (with the
//!   PN532's one-frame answer limit) and PC/SC Part 3 transparent sessions, and fault injection.
//! * [`readers`]: the reader doubles (ACR122U, ACR1252U/ACR1552U, OMNIKEY, Identiv, Feitian): each one's
//!   dialect, status words, firmware string, light and beep, and the names each system gives it.
//! * [`vpcd`]: the TCP link to vpcd (127.0.0.1:35963): insert, remove, swap, read memory back.
//! * [`pcscd`]: test support that starts `pcscd -f` and stops it by PID.
//! * [`rig`]: the test rig on top of both — pcscd lock + pcscd + virtual reader + tag: put a tag down,
//!   take it away, read its memory back, inject faults, unplug and replug the reader. Used by the tag
//!   engine's and the station's integration tests and the app's end-to-end tests.
//!
//! [`firmware::Firmware`] can also be driven in-process (no pcscd) for fast unit tests.

pub mod firmware;
pub mod pcscd;
pub mod readers;
pub mod rig;
pub mod tag;
pub mod tear;
pub mod type4;
pub mod vpcd;

pub use firmware::{Faults, Firmware, Outcome, PassThroughMode};
pub use readers::{Dialect, ReaderModel};
pub use rig::{content, message_bytes, Content, Rig};
pub use tag::{SigMode, TagState, VChip, NXP_TEST_UID};
pub use type4::{T4Flavour, Type4Card};
pub use vpcd::{VirtualTag, VPCD_PORT, VPCD_READER};

/// Parses a 7-byte UID from hex (spaces and colons allowed).
pub fn parse_uid(s: &str) -> Option<[u8; 7]> {
    let h: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    if h.len() != 14 {
        return None;
    }
    let mut u = [0u8; 7];
    for (i, b) in u.iter_mut().enumerate() {
        *b = u8::from_str_radix(&h[i * 2..i * 2 + 2], 16).ok()?;
    }
    Some(u)
}

/// A UID for the n-th virtual tag: NXP manufacturer byte 04, then n.
pub fn nth_uid(n: u32) -> [u8; 7] {
    let b = n.to_be_bytes();
    [0x04, 0x7A, 0x67, b[0], b[1], b[2], b[3]]
}

//! Tapstand's tag engine: PC/SC readers and events, reader quirks, NTAG21x identification and
//! inspection, tear-safe NDEF writing with read-back verification, permanent lock and password protection;
//! NFC Forum Type 4 tags (NTAG 424 DNA, DESFire with an NDEF application, ST25TA) through the NDEF Tag
//! Application (`type4.rs`, reached from `TagSession` when the ATR says ISO 14443-4).
//!
//! ```text
//! Pcsc (one context per thread) ──open()──▶ TagSession<PcscTransport> ──read_tag() / write_ndef()
//!                                                     │
//!                                           TagIo (quirks, pass-through, recovery)
//!                                                     │
//!                                   Transport: PcscTransport | InProcessTransport (tests)
//! ```
//! The encoding, TLV mapping and write planning live in `tapstand-ndef` (pure); this crate does the I/O.
//!
//! Typical use by the write station (blocking calls: run them on a worker thread that owns its `Pcsc`):
//! ```text
//! let mut pcsc = Pcsc::new();                                   // one per thread
//! let mut s = pcsc.open(None, Duration::from_secs(10))?         // the only reader with a tag
//!     .with_secrets(keychain);                                  // tag passwords (OS keychain)
//! let report = s.read_tag()?;                                   // UID, chip, records, WeChat check, lock/password
//! let msg = tapstand_ndef::wechat_message(&openlink)?;          // URI (code 00) + AAR com.tencent.mm
//! let w = s.write_ndef(&msg, WriteOptions { lock: false, password_protect: false })?;
//! // Err(TagError::TagRemoved): the tag holds the old message, an empty one or the new one; tap again.
//! // Every TagError converts into a Chinese-first UserError with the remedy.
//! ```
//! Tests of crates built on this one can use the in-process virtual tag: feature `virtual`,
//! `inproc::InProcessTransport::with_tag(tapstand_vtag::TagState::factory(..))`.

pub mod apdu;
pub mod dialect;
pub mod error;
pub mod feedback;
pub mod genuine;
#[cfg(any(test, feature = "virtual"))]
pub mod inproc;
pub mod io;
pub mod pcsc_api;
pub mod pcsc_io;
pub mod quirks;
#[cfg(any(test, feature = "virtual"))]
pub mod scripted;
pub mod session;

#[cfg(test)]
mod engine_tests;

pub use error::TagError;
pub use io::{IoStats, Transport};
pub use pcsc_api::PcscApi;
pub use pcsc_io::{Pcsc, PcscTransport, ReaderInfo};
pub use quirks::{quirks_for, PassThrough, Quirks, ReaderFamily};
pub use session::{TagReport, TagSession, WriteOptions, WriteReport};
pub use tapstand_ndef as ndef;

//! What the write station and the inspector need from PC/SC, as a trait: the product implements it with
//! [`Pcsc`] (the `pcsc` crate: WinSCard, CryptoTokenKit's PC/SC shim, pcsc-lite); tests of the station
//! loop implement it with [`crate::scripted::ScriptedPcsc`] (feature `virtual`), which replays what
//! each of the three systems answers. The station code is generic over it: one code path.

use std::time::Duration;

use crate::error::TagError;
use crate::io::Transport;
use crate::pcsc_io::{Pcsc, PcscTransport, ReaderInfo};

pub trait PcscApi {
    type Transport: Transport;
    /// Readers with their tag state (does not wait). No reader: an empty list.
    fn readers(&mut self) -> Result<Vec<ReaderInfo>, TagError>;
    /// Waits (finitely) until a tag is on `reader` (or, without a name, on exactly one reader).
    fn wait_for_tag(
        &mut self,
        reader: Option<&str>,
        timeout: Duration,
    ) -> Result<ReaderInfo, TagError>;
    /// Connects exclusively to the tag on `reader`, waiting up to `busy_wait` for a card held elsewhere.
    fn connect_waiting(
        &mut self,
        reader: &str,
        busy_wait: Duration,
    ) -> Result<Self::Transport, TagError>;
    /// The UID of the tag on `reader` (GET DATA), without resetting it.
    fn card_uid(&mut self, reader: &str) -> Result<Vec<u8>, TagError>;
    /// An escape command to `reader` without a card (SCardConnect in DIRECT share mode, then
    /// SCardControl). Systems and doubles that cannot refuse it.
    fn control_direct(
        &mut self,
        reader: &str,
        code: u32,
        data: &[u8],
    ) -> Result<Vec<u8>, TagError> {
        let _ = (reader, code, data);
        Err(TagError::NoPassThrough)
    }
    /// The system whose remedies apply ("windows", "macos", "linux"…): `std::env::consts::OS` for the
    /// real one.
    fn os(&self) -> &'static str {
        std::env::consts::OS
    }
}

impl PcscApi for Pcsc {
    type Transport = PcscTransport;
    fn readers(&mut self) -> Result<Vec<ReaderInfo>, TagError> {
        Pcsc::readers(self)
    }
    fn wait_for_tag(
        &mut self,
        reader: Option<&str>,
        timeout: Duration,
    ) -> Result<ReaderInfo, TagError> {
        Pcsc::wait_for_tag(self, reader, timeout)
    }
    fn connect_waiting(
        &mut self,
        reader: &str,
        busy_wait: Duration,
    ) -> Result<PcscTransport, TagError> {
        Pcsc::connect_waiting(self, reader, busy_wait)
    }
    fn card_uid(&mut self, reader: &str) -> Result<Vec<u8>, TagError> {
        Pcsc::card_uid(self, reader)
    }
    fn control_direct(
        &mut self,
        reader: &str,
        code: u32,
        data: &[u8],
    ) -> Result<Vec<u8>, TagError> {
        Pcsc::control_direct(self, reader, code, data)
    }
}

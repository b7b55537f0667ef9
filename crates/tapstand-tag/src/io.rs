//! The transport (PC/SC card handle, or an in-process emulated tag) and page-level I/O on top of it:
//! reads, writes, native commands through the reader's pass-through, recovery after a NAK.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::apdu::{self, Sw};
use crate::error::TagError;
use crate::quirks::{PassThrough, Quirks};

/// Something that carries APDUs to a tag. Unit tests use an in-process emulated tag; the app uses
/// [`crate::pcsc_io::PcscTransport`].
pub trait Transport {
    /// Sends a C-APDU, returns the R-APDU (data + SW1 SW2).
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TagError>;
    /// Resets the tag (field off/on, re-select). Needed after a NAK: Type 2 tags go mute.
    fn reconnect(&mut self) -> Result<(), TagError>;
    fn atr(&self) -> Vec<u8>;
    fn reader_name(&self) -> String;
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TagError> {
        (**self).transmit(apdu)
    }
    fn reconnect(&mut self) -> Result<(), TagError> {
        (**self).reconnect()
    }
    fn atr(&self) -> Vec<u8> {
        (**self).atr()
    }
    fn reader_name(&self) -> String {
        (**self).reader_name()
    }
}

/// Pages in one FAST_READ: 60 × 4 = 240 bytes stays under the PN532's frame (about 250 bytes of data in
/// one InCommunicateThru answer) and the one-byte length of a Part 3 transparent answer.
pub const FAST_READ_MAX_PAGES: usize = 60;

/// Readers (by PC/SC name) that refused native commands in this process: their quirks promised a
/// pass-through that is not there. Remembered so the next tag on them is not probed again.
static NO_NATIVE: std::sync::Mutex<std::collections::BTreeSet<String>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// Did this reader refuse native commands earlier in this process?
pub fn native_refused(reader: &str) -> bool {
    NO_NATIVE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .contains(reader)
}

/// Remembers that this reader cannot pass native commands.
pub fn remember_native_refused(reader: &str) {
    NO_NATIVE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(reader.to_string());
}

/// Counters of one session.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, specta::Type)]
pub struct IoStats {
    /// Every APDU sent (reads, writes, native commands, GET RESPONSE).
    pub apdus: u32,
    pub reads: u32,
    /// Of `reads`, how many were FAST_READ (3Ah, many pages in one APDU).
    pub fast_reads: u32,
    pub writes: u32,
    pub native_commands: u32,
    pub reconnects: u32,
    /// Writes the reader reported as failed (e.g. `63 00`) that read-back proved had worked.
    pub untrusted_failures: u32,
    /// Time spent inside transmit calls, ms.
    pub transmit_ms: u32,
}

/// Page I/O with the reader's quirks.
pub struct TagIo<T: Transport> {
    pub t: T,
    pub quirks: Quirks,
    pub stats: IoStats,
    transmit_time: Duration,
    /// PWD_AUTH done with this password (re-done after every reset).
    auth: Option<([u8; 4], [u8; 2])>,
    /// The tag may be mute after a NAK: reset before the next command.
    suspect_mute: bool,
    transparent_open: bool,
}

impl<T: Transport> TagIo<T> {
    pub fn new(t: T, quirks: Quirks) -> TagIo<T> {
        TagIo {
            t,
            quirks,
            stats: IoStats::default(),
            transmit_time: Duration::ZERO,
            auth: None,
            suspect_mute: false,
            transparent_open: false,
        }
    }

    pub fn authenticated(&self) -> bool {
        self.auth.is_some()
    }

    /// One exchange, counted and timed; the R-APDU has a status word.
    fn send(&mut self, a: &[u8]) -> Result<Vec<u8>, TagError> {
        let t0 = Instant::now();
        let r = self.t.transmit(a);
        self.transmit_time += t0.elapsed();
        self.stats.transmit_ms = self.transmit_time.as_millis() as u32;
        self.stats.apdus += 1;
        let r = r?;
        if r.len() < 2 {
            // No status word at all: the link to the tag broke mid-command (seen with pcsc-lite + vpcd when
            // the tag leaves during an APDU). Not a NAK: find out whether the tag is still there.
            self.t.reconnect()?;
            self.stats.reconnects += 1;
            return Err(TagError::Comm("the reader returned no status word".into()));
        }
        Ok(r)
    }

    fn raw(&mut self, a: &[u8]) -> Result<(Vec<u8>, Sw), TagError> {
        let r = self.send(a)?;
        let (d, sw) = apdu::split(&r);
        if let Sw::MoreData(n) = sw {
            let mut data = d.to_vec();
            let (more, sw2) = self.raw(&apdu::get_response(n))?;
            data.extend_from_slice(&more);
            return Ok((data, sw2));
        }
        Ok((d.to_vec(), sw))
    }

    /// Resets the tag and redoes PWD_AUTH if the session was authenticated.
    pub fn recover(&mut self) -> Result<(), TagError> {
        self.t.reconnect()?;
        self.stats.reconnects += 1;
        self.suspect_mute = false;
        self.transparent_open = false;
        if let Some((pwd, pack)) = self.auth.take() {
            match self.pwd_auth(pwd)? {
                Some(p) if p == pack => {}
                _ => return Err(TagError::WrongPassword),
            }
        }
        Ok(())
    }

    fn use_native_pages(&self) -> bool {
        self.auth.is_some()
            && self.quirks.pseudo_apdus_lose_auth
            && self.quirks.passthrough != PassThrough::None
    }

    fn read_once(&mut self, page: u8) -> Result<Option<[u8; 16]>, TagError> {
        self.stats.reads += 1;
        let data = if self.use_native_pages() {
            self.native_inner(&[0x30, page])?
        } else {
            let (d, sw) = self.raw(&apdu::read_binary(page))?;
            (sw == Sw::Ok).then_some(d)
        };
        Ok(data.filter(|d| d.len() >= 16).map(|d| {
            let mut a = [0u8; 16];
            a.copy_from_slice(&d[..16]);
            a
        }))
    }

    /// Reads 4 pages from `page` (16 bytes). After a failure the tag is reset and the read tried again once.
    pub fn read4(&mut self, page: u8) -> Result<[u8; 16], TagError> {
        if self.suspect_mute {
            self.recover()?;
        }
        if let Some(d) = self.read_once(page)? {
            return Ok(d);
        }
        self.recover()?;
        match self.read_once(page)? {
            Some(d) => Ok(d),
            None => {
                self.suspect_mute = true;
                Err(TagError::Status {
                    what: "READ BINARY",
                    sw: Sw::Failed,
                })
            }
        }
    }

    /// Writes one page. Returns what the reader said; the caller must read back: a failure report may
    /// hide a successful write and vice versa.
    pub fn write(&mut self, page: u8, data: [u8; 4]) -> Result<Sw, TagError> {
        if self.suspect_mute {
            self.recover()?;
        }
        self.stats.writes += 1;
        let sw = if self.use_native_pages() {
            let cmd = [0xA2, page, data[0], data[1], data[2], data[3]];
            match self.native_inner(&cmd)? {
                Some(_) => Sw::Ok,
                None => Sw::Failed,
            }
        } else {
            self.raw(&apdu::update_binary(
                page,
                data,
                self.quirks.update_needs_16,
            ))?
            .1
        };
        if sw != Sw::Ok {
            self.suspect_mute = true;
        }
        Ok(sw)
    }

    /// Sends a native command through the pass-through. `Ok(None)`: the tag did not answer (NAK); it is
    /// then reset before the next command. `Err(NoPassThrough)`: the reader cannot do it.
    pub fn native(&mut self, cmd: &[u8]) -> Result<Option<Vec<u8>>, TagError> {
        if self.suspect_mute {
            self.recover()?;
        }
        self.native_inner(cmd)
    }

    fn native_inner(&mut self, cmd: &[u8]) -> Result<Option<Vec<u8>>, TagError> {
        self.stats.native_commands += 1;
        let r = match self.quirks.passthrough {
            PassThrough::None => return Err(TagError::NoPassThrough),
            PassThrough::Acr122Direct => {
                let (d, sw) = self.raw(&apdu::acr122_direct(cmd))?;
                match sw {
                    Sw::Ok if d.len() >= 3 && d[0] == 0xD5 && d[1] == 0x43 => {
                        (d[2] == 0).then(|| d[3..].to_vec())
                    }
                    Sw::NotSupported => return Err(TagError::NoPassThrough),
                    _ => None,
                }
            }
            PassThrough::Part3Transparent => {
                if !self.transparent_open {
                    let (_, sw) = self.raw(&apdu::TRANSPARENT_START)?;
                    if sw != Sw::Ok {
                        return Err(TagError::NoPassThrough);
                    }
                    self.transparent_open = true;
                }
                let (d, sw) = self.raw(&apdu::transparent_transceive(
                    cmd,
                    self.quirks.transparent_timeout_us,
                ))?;
                match sw {
                    Sw::Ok => apdu::parse_transparent(&d),
                    Sw::NotSupported => return Err(TagError::NoPassThrough),
                    _ => None,
                }
            }
        };
        if r.is_none() {
            self.suspect_mute = true;
        }
        Ok(r)
    }

    /// FAST_READ (`3A start end`) through the pass-through: `(end − start + 1) × 4` bytes. `Ok(None)` when
    /// the tag NAKs it (a chip without FAST_READ, a page past the end, read protection) or answers short;
    /// the tag is then reset before the next command. The caller keeps one answer under the reader's
    /// frame limit ([`FAST_READ_MAX_PAGES`]).
    pub fn fast_read(&mut self, start: u8, end: u8) -> Result<Option<Vec<u8>>, TagError> {
        self.stats.reads += 1;
        self.stats.fast_reads += 1;
        let want = (end as usize + 1).saturating_sub(start as usize) * 4;
        Ok(self
            .native(&[0x3A, start, end])?
            .filter(|d| d.len() >= want)
            .map(|mut d| {
                d.truncate(want);
                d
            }))
    }

    /// GET_VERSION; `Ok(None)` when the tag NAKs it (NTAG203, first-generation Ultralight).
    pub fn get_version(&mut self) -> Result<Option<Vec<u8>>, TagError> {
        Ok(self
            .native(&[0x60])?
            .filter(|v| v.len() >= 8)
            .map(|v| v[..8].to_vec()))
    }

    /// PWD_AUTH; returns the PACK, or `None` when the tag refuses the password. Success is remembered
    /// and redone after resets.
    pub fn pwd_auth(&mut self, pwd: [u8; 4]) -> Result<Option<[u8; 2]>, TagError> {
        let r = self.native(&[0x1B, pwd[0], pwd[1], pwd[2], pwd[3]])?;
        Ok(match r {
            Some(p) if p.len() >= 2 => {
                let pack = [p[0], p[1]];
                self.auth = Some((pwd, pack));
                Some(pack)
            }
            _ => None,
        })
    }

    /// An ISO 7816-4 command to an ISO 14443-4 card (Type 4 tags): the data and the status word exactly
    /// as the card sent it (`61 xx` is fetched with `00 C0 00 00 xx`).
    pub fn iso(&mut self, a: &[u8]) -> Result<(Vec<u8>, u16), TagError> {
        let r = self.send(a)?;
        let (d, sw) = r.split_at(r.len() - 2);
        let mut data = d.to_vec();
        let mut sw = u16::from_be_bytes([sw[0], sw[1]]);
        // Bounded: a card that keeps saying "more" cannot hold the session forever.
        for _ in 0..16 {
            if sw >> 8 != 0x61 {
                break;
            }
            let r = self.send(&[0x00, 0xC0, 0x00, 0x00, sw as u8])?;
            let (d, s) = r.split_at(r.len() - 2);
            data.extend_from_slice(d);
            sw = u16::from_be_bytes([s[0], s[1]]);
        }
        Ok((data, sw))
    }

    /// The UID through `FF CA 00 00 00` (for cards whose pages cannot be read).
    pub fn uid(&mut self) -> Result<Vec<u8>, TagError> {
        let (d, sw) = self.raw(&apdu::GET_UID)?;
        match sw {
            Sw::Ok => Ok(d),
            Sw::WrongLe(n) => {
                let (d, sw) = self.raw(&[0xFF, 0xCA, 0x00, 0x00, n])?;
                if sw == Sw::Ok {
                    Ok(d)
                } else {
                    Err(TagError::Status {
                        what: "GET UID",
                        sw,
                    })
                }
            }
            sw => Err(TagError::Status {
                what: "GET UID",
                sw,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quirks::quirks_for;

    /// pcsc-lite + vpcd answer an APDU interrupted by a removal with *no bytes at all* (not an error):
    /// that must become "tag removed", never a NAK (which would, e.g., make an NTAG215 look like an NTAG203).
    struct Dead;
    impl Transport for Dead {
        fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, TagError> {
            Ok(Vec::new())
        }
        fn reconnect(&mut self) -> Result<(), TagError> {
            Err(TagError::TagRemoved)
        }
        fn atr(&self) -> Vec<u8> {
            Vec::new()
        }
        fn reader_name(&self) -> String {
            "dead".into()
        }
    }

    #[test]
    fn empty_response_is_a_removal_not_a_nak() {
        let mut io = TagIo::new(Dead, quirks_for("Virtual PCD 00 00"));
        assert_eq!(io.get_version(), Err(TagError::TagRemoved));
        assert_eq!(io.read4(0), Err(TagError::TagRemoved));
        assert_eq!(io.write(4, [0; 4]), Err(TagError::TagRemoved));
    }
}

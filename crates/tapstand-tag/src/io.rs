//! The transport (PC/SC card handle, or an in-process emulated tag) and page-level I/O on top of it:
//! reads, writes, native commands through the reader's pass-through, recovery after a NAK.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::apdu::{self, hex, Sw};
use crate::dialect;
use crate::error::TagError;
use crate::quirks::{PassThrough, Quirks, ReaderFamily};

/// How a native exchange came back.
enum Native {
    /// The tag answered (an empty answer for an ACKed WRITE).
    Answer(Vec<u8>),
    /// The reader passed the command, the tag did not answer (NAK, timeout): it is halted now.
    NoAnswer,
    /// Not an answer in this dialect (`6A 81`, `63 00`, an empty success, …): the reader does not speak it.
    Foreign(String),
}

/// One READ's outcome.
enum Read {
    Data([u8; 16]),
    Failed(Sw),
    Short(usize),
}

/// Something that carries APDUs to a tag. Unit tests use an in-process emulated tag; the app uses
/// [`crate::pcsc_io::PcscTransport`].
pub trait Transport {
    /// Sends a C-APDU, returns the R-APDU (data + SW1 SW2).
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TagError>;
    /// Resets the tag (field off/on, re-select). Needed after a NAK: Type 2 tags go mute.
    fn reconnect(&mut self) -> Result<(), TagError>;
    fn atr(&self) -> Vec<u8>;
    fn reader_name(&self) -> String;
    /// An escape command to the reader (SCardControl with `code`); readers and transports without one
    /// refuse it.
    fn control(&mut self, code: u32, data: &[u8]) -> Result<Vec<u8>, TagError> {
        let _ = (code, data);
        Err(TagError::NoPassThrough)
    }
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
    fn control(&mut self, code: u32, data: &[u8]) -> Result<Vec<u8>, TagError> {
        (**self).control(code, data)
    }
}

/// Pages in one FAST_READ: 60 × 4 = 240 bytes stays under the PN532's frame (about 250 bytes of data in
/// one InCommunicateThru answer) and the one-byte length of a Part 3 transparent answer.
pub const FAST_READ_MAX_PAGES: usize = 60;

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
    /// The dialects still to try if the current one turns out foreign (see [`crate::dialect`]).
    fallback: Vec<PassThrough>,
    /// The reader answered a native exchange in the current dialect in this session.
    dialect_confirmed: bool,
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
            fallback: Vec::new(),
            dialect_confirmed: false,
        }
    }

    /// The dialects to try in order (the first is used now; an empty list: pseudo-APDUs only).
    pub fn set_candidates(&mut self, candidates: Vec<PassThrough>) {
        let mut c = candidates.into_iter();
        self.quirks.passthrough = c.next().unwrap_or(PassThrough::None);
        self.fallback = c.collect();
        self.dialect_confirmed = false;
    }

    /// Has the reader answered in its dialect in this session?
    pub fn dialect_confirmed(&self) -> bool {
        self.dialect_confirmed
    }

    /// Asks the reader for its firmware string (`FF 00 48 00 00`) once per reader and process (ACS readers
    /// and readers whose name says nothing; the others have none to give).
    pub fn ask_firmware(&mut self) -> Result<(), TagError> {
        let reader = self.t.reader_name();
        if dialect::probed(&reader).firmware_asked {
            return Ok(());
        }
        // Only ACS readers know the command; a reader whose name says nothing may be one.
        if !matches!(
            crate::quirks::quirks_for(&reader).family,
            ReaderFamily::Acr122u
                | ReaderFamily::Acr1252u
                | ReaderFamily::Acr1552u
                | ReaderFamily::GenericPart3
        ) {
            dialect::remember_firmware(&reader, None);
            return Ok(());
        }
        let t0 = Instant::now();
        let r = self.t.transmit(&apdu::FIRMWARE_VERSION);
        self.transmit_time += t0.elapsed();
        self.stats.transmit_ms = self.transmit_time.as_millis() as u32;
        self.stats.apdus += 1;
        let fw = match r {
            Ok(r) => dialect::parse_firmware(&r),
            Err(e @ (TagError::TagRemoved | TagError::NoService(_))) => return Err(e),
            Err(_) => None,
        };
        dialect::remember_firmware(&reader, fw);
        Ok(())
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
        let mut r = r?;
        if r.len() == 1 {
            // Some OEM firmware (Feitian) answers a one-byte status: `90` is taken as success (every
            // write is read back anyway), anything else as a failure with that byte.
            r.push(0x00);
        }
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

    fn read_once(&mut self, page: u8) -> Result<Read, TagError> {
        self.stats.reads += 1;
        let (data, sw) = if self.use_native_pages() {
            match self.native_inner(&[0x30, page])? {
                Some(d) => (d, Sw::Ok),
                None => (Vec::new(), Sw::Failed),
            }
        } else {
            self.raw(&apdu::read_binary(page))?
        };
        Ok(match sw {
            Sw::Ok if data.len() >= 16 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(&data[..16]);
                Read::Data(a)
            }
            // An "empty success" (or a short one): the reader did not read the tag.
            Sw::Ok => Read::Short(data.len()),
            sw => Read::Failed(sw),
        })
    }

    /// Reads 4 pages from `page` (16 bytes). After a failure the tag is re-selected and the read tried
    /// again once; a second failure is the reader's own status word ([`TagError::Status`]) or
    /// [`TagError::ShortAnswer`], and the tag is re-selected before the next command.
    pub fn read4(&mut self, page: u8) -> Result<[u8; 16], TagError> {
        if self.suspect_mute {
            self.recover()?;
        }
        if let Read::Data(d) = self.read_once(page)? {
            return Ok(d);
        }
        self.recover()?;
        match self.read_once(page)? {
            Read::Data(d) => Ok(d),
            Read::Failed(sw) => {
                self.suspect_mute = true;
                Err(TagError::Status {
                    what: "READ BINARY",
                    sw,
                })
            }
            Read::Short(len) => {
                self.suspect_mute = true;
                Err(TagError::ShortAnswer {
                    what: "READ BINARY",
                    len,
                })
            }
        }
    }

    /// One READ of 4 pages from `page`, no retry: `None` when the tag (or the reader) refuses it; the tag
    /// is then re-selected before the next command. For probing the chip's size.
    pub fn try_read4(&mut self, page: u8) -> Result<Option<[u8; 16]>, TagError> {
        if self.suspect_mute {
            self.recover()?;
        }
        match self.read_once(page)? {
            Read::Data(d) => Ok(Some(d)),
            _ => {
                self.suspect_mute = true;
                Ok(None)
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
            // Through InDataExchange on a PN532 (see `direct`): its answer can be trusted.
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
        loop {
            let r = match self.quirks.passthrough {
                PassThrough::None => return Err(TagError::NoPassThrough),
                PassThrough::Acr122Direct => self.direct(cmd)?,
                PassThrough::Part3Transparent => self.transparent(cmd)?,
            };
            match r {
                Native::Answer(v) => {
                    self.confirm_dialect();
                    return Ok(Some(v));
                }
                Native::NoAnswer => {
                    self.confirm_dialect();
                    self.suspect_mute = true;
                    return Ok(None);
                }
                // A reader that spoke this dialect a moment ago: a failure of this exchange (ACS readers
                // answer `63 00` to nearly everything); the tag is re-selected before the next command.
                Native::Foreign(answer) if self.dialect_confirmed => {
                    tracing::debug!(answer, "native exchange failed");
                    self.suspect_mute = true;
                    return Ok(None);
                }
                Native::Foreign(answer) => {
                    let reader = self.t.reader_name();
                    tracing::info!(
                        reader,
                        dialect = ?self.quirks.passthrough,
                        answer,
                        "the reader does not speak this dialect; trying the next"
                    );
                    self.transparent_open = false;
                    if self.fallback.is_empty() {
                        self.quirks.passthrough = PassThrough::None;
                        dialect::remember_dialect(&reader, PassThrough::None);
                        return Err(TagError::NoPassThrough);
                    }
                    self.quirks.passthrough = self.fallback.remove(0);
                }
            }
        }
    }

    fn confirm_dialect(&mut self) {
        if self.dialect_confirmed {
            return;
        }
        self.dialect_confirmed = true;
        self.fallback.clear();
        if self.quirks.passthrough == PassThrough::Acr122Direct {
            // A PN532 re-selects the tag for every pseudo-APDU: a PWD_AUTH done natively is lost by them.
            self.quirks.pseudo_apdus_lose_auth = true;
        }
        dialect::remember_dialect(&self.t.reader_name(), self.quirks.passthrough);
    }

    /// ACR122U Direct Transmit: `D4 42` (InCommunicateThru) for reads, `D4 40 01` (InDataExchange) for
    /// WRITE, whose 4-bit ACK the PN532 reports as a "CRC error" through `D4 42` although the page was
    /// written. The tag's result is the PN532 status byte, not the `90 00` after it.
    fn direct(&mut self, cmd: &[u8]) -> Result<Native, TagError> {
        let write = cmd.first() == Some(&0xA2);
        let (a, answer_code) = if write {
            (apdu::acr122_exchange(cmd), 0x41)
        } else {
            (apdu::acr122_direct(cmd), 0x43)
        };
        let (d, sw) = self.raw(&a)?;
        Ok(match (sw, d.as_slice()) {
            (Sw::Ok, [0xD5, code, st, rest @ ..]) if *code == answer_code => match st {
                0x00 => Native::Answer(rest.to_vec()),
                // Only through D4 42: the WRITE may well have happened; read-back decides.
                0x02 if write => Native::Answer(Vec::new()),
                _ => Native::NoAnswer,
            },
            _ => Native::Foreign(format!("{sw} {}", hex(&d))),
        })
    }

    /// PC/SC Part 3 transparent session: start it once, then one transceive per command.
    fn transparent(&mut self, cmd: &[u8]) -> Result<Native, TagError> {
        if !self.transparent_open {
            let (d, sw) = self.raw(&apdu::TRANSPARENT_START)?;
            if sw != Sw::Ok || apdu::transparent_answer(&d) != apdu::Transparent::Ok(Vec::new()) {
                return Ok(Native::Foreign(format!("{sw} {}", hex(&d))));
            }
            self.transparent_open = true;
        }
        let (d, sw) = self.raw(&apdu::transparent_transceive(
            cmd,
            self.quirks.transparent_timeout_us,
        ))?;
        Ok(match (sw, apdu::transparent_answer(&d)) {
            (Sw::Ok, apdu::Transparent::Ok(v)) => Native::Answer(v),
            (Sw::Ok, apdu::Transparent::Failed) => Native::NoAnswer,
            _ => Native::Foreign(format!("{sw} {}", hex(&d))),
        })
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

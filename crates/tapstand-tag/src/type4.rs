//! NFC Forum Type 4 tags through PC/SC: the NDEF Tag Application on an ISO 14443-4 card (NTAG 424 DNA in
//! its delivery state, MIFARE DESFire with an NDEF application, ST25TA). Plain ISO 7816-4 APDUs (CLA 00)
//! that the reader passes to the card: SELECT the application by name, SELECT and READ BINARY the CC file
//! `E103`, SELECT the NDEF file, READ BINARY / UPDATE BINARY it. The CC rules, chunk sizes and the
//! tear-safe write order are in `tapstand_ndef::t4t` (pure); this module sends the APDUs.
//!
//! A child module of `session`: [`TagSession`] dispatches to it in `identify`, `read_tag` and `write_ndef`
//! when the reader's ATR says ISO 14443-4. A card that does not answer the application's SELECT (a bank
//! or transit card, a phone) stays [`ChipKind::Iso14443_4`], "not an NFC tag".
//!
//! APDUs (NTAG 424 DNA, fresh, first write + verify, the session started by `read_tag`): GET UID, SELECT
//! application, SELECT CC, READ CC, SELECT NDEF, READ (NLEN + content) = 6 to read; UPDATE message, UPDATE
//! NLEN = 2 to write (NLEN = 0 first only when the file held a message); READ = 1 to verify.

use tapstand_ndef::chip::{identify as identify_atr, ChipInfo, ChipKind};
use tapstand_ndef::t4t::{
    self, plan_write, read_chunks, CapabilityFile, CcError, T4PlanError, Type4Info, CC_FILE_ID,
    CC_MIN_LEN, FIRST_READ, NDEF_AID_V1, NDEF_AID_V2,
};
use tapstand_ndef::{check_wechat, Message, RecordView};

use super::{TagReport, TagSession, WriteOptions, WriteReport};
use crate::apdu::{hex, Sw};
use crate::error::TagError;
use crate::io::Transport;

const SW_OK: u16 = 0x9000;
const SW_SECURITY: u16 = 0x6982;

/// What the session knows about the tag's NDEF application.
#[derive(Clone, Debug)]
pub(super) struct T4State {
    /// The CC, or why it cannot be used.
    cc: Result<CapabilityFile, CcProblem>,
    /// The application answered to the mapping 1.0 name (files are then selected with P2 = 00).
    v1: bool,
    /// The NDEF file is the selected file.
    ndef_selected: bool,
    /// The NDEF file's first bytes as last read or verified (NLEN, the message, maybe more).
    content: Option<Vec<u8>>,
    /// The tag answered `69 82` to an UPDATE BINARY.
    refused_write: bool,
}

#[derive(Clone, Debug)]
enum CcProblem {
    /// The CC file is missing or unreadable (status word), or its bytes are not a usable CC.
    Unusable(String),
    Version(u8),
}

fn select_aid(aid: &[u8; 7]) -> Vec<u8> {
    let mut a = vec![0x00, 0xA4, 0x04, 0x00, 0x07];
    a.extend_from_slice(aid);
    a.push(0x00);
    a
}

fn select_file(fid: u16, v1: bool) -> Vec<u8> {
    let [hi, lo] = fid.to_be_bytes();
    vec![0x00, 0xA4, 0x00, if v1 { 0x00 } else { 0x0C }, 0x02, hi, lo]
}

fn read_binary(offset: u16, le: u8) -> [u8; 5] {
    let [hi, lo] = offset.to_be_bytes();
    [0x00, 0xB0, hi, lo, le]
}

fn update_binary(offset: u16, data: &[u8]) -> Vec<u8> {
    let [hi, lo] = offset.to_be_bytes();
    let mut a = vec![0x00, 0xD6, hi, lo, data.len() as u8];
    a.extend_from_slice(data);
    a
}

fn sw_text(sw: u16) -> String {
    format!("{:02X} {:02X}", sw >> 8, sw & 0xFF)
}

fn status(what: &'static str, sw: u16) -> TagError {
    TagError::Status {
        what,
        sw: Sw::from_bytes((sw >> 8) as u8, sw as u8),
    }
}

impl<T: Transport> TagSession<T> {
    /// The card's ATR says ISO 14443-4: is the NDEF Tag Application there? Sets `self.t4` when it is.
    pub(super) fn identify_type4(&mut self) -> Result<ChipInfo, TagError> {
        self.uid = self.io.uid().ok();
        let (_, sw) = self.io.iso(&select_aid(&NDEF_AID_V2))?;
        let v1 = if sw == SW_OK {
            false
        } else {
            let (_, sw1) = self.io.iso(&select_aid(&NDEF_AID_V1))?;
            if sw1 != SW_OK {
                // No NDEF application: a bank or transit card, a phone. Named by its ATR, as before.
                let c = identify_atr(&self.atr, None, false, None);
                self.chip = Some(c.clone());
                return Ok(c);
            }
            true
        };
        let cc = self.read_cc(v1)?;
        let chip = match &cc {
            Ok(cc) => t4t::identify(self.uid.as_deref(), cc),
            Err(_) => tapstand_ndef::chip::info_for(
                ChipKind::Type4,
                tapstand_ndef::chip::IdentifiedBy::Nothing,
                None,
            ),
        };
        self.t4 = Some(T4State {
            cc,
            v1,
            ndef_selected: false,
            content: None,
            refused_write: false,
        });
        self.chip = Some(chip.clone());
        Ok(chip)
    }

    fn read_cc(&mut self, v1: bool) -> Result<Result<CapabilityFile, CcProblem>, TagError> {
        let (_, sw) = self.io.iso(&select_file(CC_FILE_ID, v1))?;
        if sw != SW_OK {
            return Ok(Err(CcProblem::Unusable(format!(
                "no capability container file (SELECT E103: {})",
                sw_text(sw)
            ))));
        }
        self.io.stats.reads += 1;
        let (d, sw) = self.io.iso(&read_binary(0, CC_MIN_LEN as u8))?;
        if sw != SW_OK {
            return Ok(Err(CcProblem::Unusable(format!(
                "the capability container cannot be read ({})",
                sw_text(sw)
            ))));
        }
        Ok(CapabilityFile::parse(&d).map_err(|e| match e {
            CcError::Version(v) => CcProblem::Version(v),
            e => CcProblem::Unusable(format!("capability container {}: {e}", hex(&d))),
        }))
    }

    fn t4(&mut self) -> &mut T4State {
        self.t4.as_mut().expect("a Type 4 tag")
    }

    fn select_ndef(&mut self, cc: &CapabilityFile) -> Result<(), TagError> {
        if self.t4().ndef_selected {
            return Ok(());
        }
        let v1 = self.t4().v1;
        let (_, sw) = self.io.iso(&select_file(cc.ndef.file_id, v1))?;
        if sw != SW_OK {
            return Err(TagError::NotFormattable {
                cc: format!(
                    "NDEF file {:04X} named by the capability container is missing ({})",
                    cc.ndef.file_id,
                    sw_text(sw)
                ),
            });
        }
        self.t4().ndef_selected = true;
        Ok(())
    }

    /// Reads `len` bytes of the NDEF file from `start` in chunks of at most MLe.
    fn read_file(
        &mut self,
        cc: &CapabilityFile,
        start: usize,
        len: usize,
    ) -> Result<Vec<u8>, TagError> {
        self.select_ndef(cc)?;
        let mut out = Vec::with_capacity(len);
        for (offset, le) in read_chunks(cc, start, len) {
            self.io.stats.reads += 1;
            let (d, sw) = self.io.iso(&read_binary(offset, le))?;
            match sw {
                SW_OK | 0x6282 => out.extend_from_slice(&d[..d.len().min(le as usize)]),
                SW_SECURITY => {
                    return Err(TagError::Type4Protected {
                        name: self.chip_name(),
                        detail: format!("READ BINARY: {}", sw_text(sw)),
                    })
                }
                sw => return Err(status("READ BINARY", sw)),
            }
            if d.len() < le as usize {
                break;
            }
        }
        Ok(out)
    }

    /// NLEN and the message: one READ BINARY of up to [`FIRST_READ`] bytes (and at most MLe), more only
    /// if NLEN says so. Returns the bytes read from offset 0 (possibly past the message).
    fn read_content(&mut self, cc: &CapabilityFile) -> Result<Vec<u8>, TagError> {
        let first = FIRST_READ
            .min(cc.read_chunk())
            .min(cc.ndef.max_size as usize);
        let mut bytes = self.read_file(cc, 0, first)?;
        if bytes.len() < 2 {
            return Err(TagError::Comm(
                "the NDEF file is shorter than its length field".into(),
            ));
        }
        let nlen = u16::from_be_bytes([bytes[0], bytes[1]]) as usize;
        let want = (2 + nlen).min(cc.ndef.max_size as usize);
        if want > bytes.len() {
            let more = self.read_file(cc, bytes.len(), want - bytes.len())?;
            bytes.extend_from_slice(&more);
        }
        self.t4().content = Some(bytes.clone());
        Ok(bytes)
    }

    fn chip_name(&self) -> String {
        self.chip
            .as_ref()
            .map(|c| c.name.clone())
            .unwrap_or_else(|| ChipKind::Type4.name().into())
    }

    /// [`TagSession::read_tag`] for a Type 4 tag. Never writes.
    pub(super) fn read_tag_type4(&mut self, chip: ChipInfo) -> Result<TagReport, TagError> {
        let state = self.t4().clone();
        let mut report = self.report_unreadable(chip.clone(), None);
        report.notes.clear();
        let cc = match state.cc {
            Ok(cc) => cc,
            Err(p) => {
                report.message_error = Some(match p {
                    CcProblem::Unusable(why) => why,
                    CcProblem::Version(v) => {
                        format!(
                            "NFC Forum Type 4 mapping version {}.{} is not supported",
                            v >> 4,
                            v & 0xF
                        )
                    }
                });
                return Ok(self.finish(report));
            }
        };
        let info = Type4Info::of(&cc, state.refused_write);
        report.ndef_formatted = true;
        report.capability_container = Some(format!(
            "{:04X} v{} MLe {} MLc {} NDEF {:04X} {} B r{:02X} w{:02X}",
            cc.cclen,
            cc.version_text(),
            cc.mle,
            cc.mlc,
            cc.ndef.file_id,
            cc.ndef.max_size,
            cc.ndef.read_access,
            cc.ndef.write_access
        ));
        report.capacity = Some(cc.capacity() as u32);
        report.writable = chip.write_supported && !info.read_only && !info.protected;
        report.notes.push(format!(
            "NFC Forum Type 4 tag; {} cannot be locked by Tapstand",
            chip.name
        ));
        if info.read_only {
            report
                .notes
                .push("the NDEF file is read-only (write access FF)".into());
        } else if info.protected {
            report
                .notes
                .push("writing the NDEF file needs a key Tapstand does not have".into());
        }
        report.type4 = Some(info);
        if cc.read_access() != t4t::Access::Free {
            report.message_error = Some(
                "the content cannot be read without the tag's key (read access is not free)".into(),
            );
            return Ok(self.finish(report));
        }
        match self.read_content(&cc) {
            Ok(bytes) => {
                let nlen = u16::from_be_bytes([bytes[0], bytes[1]]) as usize;
                if nlen > cc.capacity() {
                    report.message_error = Some(format!(
                        "NLEN {nlen} is larger than the NDEF file ({} bytes)",
                        cc.capacity()
                    ));
                } else if let Some(msg) = bytes.get(2..2 + nlen) {
                    report.message_len = Some(nlen as u32);
                    match Message::decode(msg) {
                        Ok(m) => {
                            report.records = m.records.iter().map(RecordView::of).collect();
                            report.wechat = Some(check_wechat(&m));
                        }
                        Err(e) => report.message_error = Some(e.to_string()),
                    }
                } else {
                    // The card's file is shorter than its CC says (it answered 62 82 early).
                    report.message_error = Some(format!(
                        "NLEN {nlen}, but the NDEF file ends after {} bytes",
                        bytes.len().saturating_sub(2)
                    ));
                }
            }
            Err(e @ (TagError::TagRemoved | TagError::NoService(_))) => return Err(e),
            Err(e) => report.message_error = Some(format!("the content cannot be read: {e}")),
        }
        Ok(self.finish(report))
    }

    fn finish(&self, mut report: TagReport) -> TagReport {
        report.io = self.io.stats.clone();
        report.elapsed_ms = self.elapsed_ms();
        report
    }

    /// [`TagSession::write_ndef`] for a Type 4 tag: NLEN 0 → message in chunks → NLEN, then read back.
    pub(super) fn write_ndef_type4(
        &mut self,
        bytes: &[u8],
        opts: WriteOptions,
    ) -> Result<WriteReport, TagError> {
        let name = self.chip_name();
        if opts.lock || opts.password_protect {
            return Err(TagError::CannotLock { name });
        }
        let Some(state) = self.t4.clone() else {
            return Err(TagError::NotNdefCard { name });
        };
        let cc = match state.cc {
            Ok(cc) => cc,
            Err(CcProblem::Version(version)) => return Err(TagError::Type4Version { version }),
            Err(CcProblem::Unusable(why)) => return Err(TagError::NotFormattable { cc: why }),
        };
        if state.refused_write {
            return Err(TagError::Type4Protected {
                name,
                detail: "the tag refused UPDATE BINARY (69 82)".into(),
            });
        }
        let plan_error = |e: T4PlanError, name: String| match e {
            T4PlanError::ReadOnly => TagError::Type4ReadOnly { name },
            T4PlanError::Protected(b) => TagError::Type4Protected {
                name,
                detail: format!("write access {b:02X}"),
            },
            T4PlanError::TooLarge {
                message_len,
                capacity,
            } => TagError::TooLarge {
                message_len,
                capacity,
                over_by: message_len.saturating_sub(capacity),
            },
        };
        // Refused before anything is sent when the CC says so.
        t4t::check_writable(&cc).map_err(|e| plan_error(e, name.clone()))?;
        let current = match state.content {
            Some(c) => Some(c),
            None if cc.read_access() == t4t::Access::Free => Some(self.read_content(&cc)?),
            None => None,
        };
        let mut plan =
            plan_write(&cc, current.as_deref(), bytes).map_err(|e| plan_error(e, name.clone()))?;
        let unchanged = plan.unchanged;
        let mut written = 0u32;
        let mut expected = (bytes.len() as u16).to_be_bytes().to_vec();
        expected.extend_from_slice(bytes);
        for attempt in 0..2 {
            self.select_ndef(&cc)?;
            for u in &plan.updates {
                self.t4().content = None;
                self.io.stats.writes += 1;
                written += 1;
                let (_, sw) = self.io.iso(&update_binary(u.offset, &u.data))?;
                match sw {
                    SW_OK => {}
                    SW_SECURITY => {
                        self.t4().refused_write = true;
                        return Err(TagError::Type4Protected {
                            name,
                            detail: format!("UPDATE BINARY at {}: 69 82", u.offset),
                        });
                    }
                    sw => return Err(status("UPDATE BINARY", sw)),
                }
            }
            if unchanged {
                break;
            }
            let read = self.read_file(&cc, 0, expected.len())?;
            if read == expected {
                self.t4().content = Some(read);
                break;
            }
            if attempt == 1 {
                let at = read
                    .iter()
                    .zip(&expected)
                    .position(|(a, b)| a != b)
                    .unwrap_or(read.len().min(expected.len()));
                return Err(TagError::VerifyFailed {
                    page: at as u16,
                    wrote: hex(&expected[at..(at + 4).min(expected.len())]),
                    read: hex(&read[at.min(read.len())..(at + 4).min(read.len())]),
                    sw: "90 00".into(),
                });
            }
            // Read back differs (a write the card reported but did not keep): plan again against what is
            // there now, once.
            plan = plan_write(&cc, Some(&read), bytes).map_err(|e| plan_error(e, name.clone()))?;
        }
        if !unchanged {
            tracing::info!(uid = ?self.uid_hex(), updates = written, "Type 4 NDEF message written and verified");
        }
        Ok(WriteReport {
            uid: self.uid_hex().unwrap_or_default(),
            chip: self
                .chip
                .as_ref()
                .map(|c| c.kind)
                .unwrap_or(ChipKind::Type4),
            message_len: bytes.len() as u32,
            capacity: plan.capacity as u32,
            unchanged,
            formatted: false,
            pages_written: written,
            locked: false,
            password_protected: false,
            io: self.io.stats.clone(),
            elapsed_ms: self.elapsed_ms(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{TagSession, WriteOptions};
    use crate::error::TagError;
    use crate::inproc::InProcessTransport;
    use crate::quirks::quirks_for;
    use tapstand_ndef::chip::ChipKind;
    use tapstand_ndef::wechat_message;
    use tapstand_vtag::rig::Content;
    use tapstand_vtag::{nth_uid, TagState, Type4Card, VChip};

    fn session(tag: TagState) -> TagSession<InProcessTransport> {
        TagSession::new(
            InProcessTransport::with_tag(tag),
            quirks_for("Virtual PCD 00 00"),
        )
    }

    fn card(s: &TagSession<InProcessTransport>) -> Type4Card {
        s.transport().tag().unwrap().t4.unwrap()
    }

    #[test]
    fn a_mapping_1_0_tag_is_found_by_its_old_name_and_written() {
        let mut s = session(TagState::type4(VChip::DesfireEv2, nth_uid(1), |c| {
            c.mapping_v1()
        }));
        let rep = s.read_tag().unwrap();
        assert_eq!(rep.chip.kind, ChipKind::Desfire);
        assert_eq!(rep.type4.as_ref().unwrap().mapping_version, "1.0");
        let m = wechat_message("weixin://dl/business/?t=OldMapping1").unwrap();
        s.write_ndef(&m, WriteOptions::default()).unwrap();
        assert_eq!(card(&s).content(), Content::Message(m.encode().unwrap()));
        // Files were selected the 1.0 way (P2 = 00).
        let fw = s.transport().fw.lock().unwrap();
        assert!(fw
            .log
            .iter()
            .any(|(a, _)| a[..4] == [0x00, 0xA4, 0x00, 0x00]));
        assert!(!fw
            .log
            .iter()
            .any(|(a, _)| a[..4] == [0x00, 0xA4, 0x00, 0x0C]));
    }

    #[test]
    fn mapping_3_0_and_broken_ccs_are_refused_plainly() {
        let m = wechat_message("weixin://dl/business/?t=Version3000").unwrap();
        let mut s = session(TagState::type4(VChip::Ntag424Dna, nth_uid(2), |mut c| {
            c.cc[2] = 0x30;
            c
        }));
        let rep = s.read_tag().unwrap();
        assert!(!rep.writable && rep.message_error.as_deref().unwrap().contains("3.0"));
        assert_eq!(
            s.write_ndef(&m, WriteOptions::default()).unwrap_err(),
            TagError::Type4Version { version: 0x30 }
        );
        let mut s = session(TagState::type4(VChip::St25ta02k, nth_uid(3), |mut c| {
            c.cc[7] = 0x05;
            c
        }));
        assert!(s.read_tag().unwrap().message_error.is_some());
        assert!(matches!(
            s.write_ndef(&m, WriteOptions::default()),
            Err(TagError::NotFormattable { .. })
        ));
        assert_eq!(card(&s).updates, 0);
        // NLEN larger than the file: damaged, and a write repairs it.
        let mut s = session(TagState::type4(VChip::St25ta02k, nth_uid(4), |mut c| {
            c.ndef[..2].copy_from_slice(&[0x7F, 0xFF]);
            c
        }));
        assert!(s
            .read_tag()
            .unwrap()
            .message_error
            .unwrap()
            .contains("NLEN"));
        s.write_ndef(&m, WriteOptions::default()).unwrap();
        assert_eq!(card(&s).content(), Content::Message(m.encode().unwrap()));
    }

    /// Any CC and NDEF file bytes (a cheap stand-in for the fuzz target): reading and writing never panic,
    /// and a write that succeeds leaves the message on the card.
    #[test]
    fn garbage_files_never_panic() {
        let m = wechat_message("weixin://dl/business/?t=GarbageTest").unwrap();
        let mut x: u32 = 0x1234_5678;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        for i in 0..400 {
            let chip = [VChip::Ntag424Dna, VChip::DesfireEv2, VChip::St25ta02k][i % 3];
            let mut cc: Vec<u8> = (0..15).map(|_| next() as u8).collect();
            // Keep many of them parseable: a valid header half of the time.
            if i % 2 == 0 {
                cc[..9].copy_from_slice(&[0x00, 0x0F, 0x20, 0x00, 0x3B, 0x00, 0x34, 0x04, 0x06]);
                cc[9..11].copy_from_slice(if chip == VChip::St25ta02k {
                    &[0x00, 0x01]
                } else {
                    &[0xE1, 0x04]
                });
                cc[14] = [0x00, 0x00, 0xFF, 0x80][(i / 2) % 4];
            }
            let nlen = (next() % 600) as u16;
            let tag = TagState::type4(chip, nth_uid(i as u32), |mut c| {
                c.cc[..15].copy_from_slice(&cc);
                c.ndef[..2].copy_from_slice(&nlen.to_be_bytes());
                for b in c.ndef[2..].iter_mut().take(nlen as usize) {
                    *b = next() as u8;
                }
                c
            });
            let mut s = session(tag);
            let _ = s.read_tag();
            if s.write_ndef(&m, WriteOptions::default()).is_ok() {
                assert_eq!(
                    card(&s).content(),
                    Content::Message(m.encode().unwrap()),
                    "case {i}"
                );
            }
        }
    }

    #[test]
    fn write_without_a_read_first_reads_what_it_needs() {
        let m = wechat_message("weixin://dl/business/?t=DirectWrite").unwrap();
        let mut s = session(TagState::factory(VChip::St25ta02k, nth_uid(5)));
        let w = s.write_ndef(&m, WriteOptions::default()).unwrap();
        assert!(!w.unchanged && w.pages_written == 3, "{w:?}");
        let w = s.write_ndef(&m, WriteOptions::default()).unwrap();
        assert!(w.unchanged);
        assert_eq!(card(&s).content(), Content::Message(m.encode().unwrap()));
    }
}

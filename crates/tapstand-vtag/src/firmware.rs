//! The "reader firmware" half of the virtual tag: it answers the pseudo-APDUs (CLA FF) that PC/SC readers
//! implement for storage cards, and passes native commands to the chip the way an ACR122U (Direct
//! Transmit `FF 00 00 00 Lc D4 42 …`) or an ACR1252U/ACR1552U (PC/SC Part 3 transparent session `FF C2`)
//! does. Faults are injected here.

use std::time::Duration;

use crate::readers::{Dialect, ReaderModel};
use crate::tag::TagState;
#[cfg(test)]
use crate::tag::VChip;

/// Faults to inject, counted per insertion (APDU numbers start at 1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// The tag leaves the field right after APDU k has taken effect; its answer never reaches the reader.
    pub remove_after_apdu: Option<u32>,
    /// The next n page writes fail on the tag (NAK: nothing written, the tag goes mute); the reader says `63 00`.
    pub nak_writes: u32,
    /// The next n page writes succeed on the tag but the reader still says `63 00`.
    pub false_failure_writes: u32,
    /// The next n page writes are lost although the reader says `90 00`.
    pub silent_failure_writes: u32,
    /// Delay before each answer (a slow reader / USB path).
    pub latency: Duration,
    /// Like an ACR122U: `FF B0`/`FF D6` re-select the tag, so a PWD_AUTH done by Direct Transmit is lost.
    pub pseudo_apdus_drop_auth: bool,
    /// Torn pages: when the tag leaves at `remove_after_apdu` during a page write, the page being
    /// programmed holds a mix of old, new and random bytes drawn from this seed ([`crate::tear`]); `None`:
    /// the write is applied whole (the kind model).
    pub tear_seed: Option<u64>,
}

/// Which native pass-through the emulated reader accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PassThroughMode {
    /// Both ACR122-style Direct Transmit and Part 3 transparent sessions.
    Both,
    Acr122Direct,
    Part3Transparent,
    /// A reader with no native pass-through (OMNIKEY/Identiv style).
    None,
}

/// What the firmware does with one C-APDU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Respond(Vec<u8>),
    /// The tag has left: close the connection without answering.
    Removed,
}

/// Reader firmware + the tag on it.
#[derive(Clone, Debug)]
pub struct Firmware {
    pub tag: Option<TagState>,
    pub faults: Faults,
    pub passthrough: PassThroughMode,
    /// APDUs since the tag was put on the reader.
    pub apdus_since_insert: u32,
    /// Every APDU since insertion with its answer (None = tag removed during it).
    pub log: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// The reader this firmware plays (its dialect, status words, firmware string, light and beep).
    pub model: ReaderModel,
    /// Every light/beep command the reader accepted (`FF 00 40 …`, `FF 00 52 …` over the card connection,
    /// `E0 00 00 …` escapes), in order, across insertions: the tests check what the station sent.
    pub signals: Vec<Vec<u8>>,
    /// The reader's own beep when a card arrives (ACR122U `FF 00 52`, ACR1252U escape `21` bit 3).
    pub beep_on_detect: bool,
    /// The ACR1252U family's indicator behaviour byte (`E0 00 00 21`): bit 3 = beep on card insertion/removal.
    pub indicator_behaviour: u8,
    transparent_session: bool,
}

const OK: [u8; 2] = [0x90, 0x00];
/// The longest tag answer an ACR122U's PN532 passes back in one InCommunicateThru frame.
pub const PN532_MAX_ANSWER: usize = 252;
const FAIL: [u8; 2] = [0x63, 0x00];

impl Firmware {
    pub fn new() -> Firmware {
        Firmware {
            tag: None,
            faults: Faults {
                pseudo_apdus_drop_auth: true,
                ..Faults::default()
            },
            passthrough: PassThroughMode::Both,
            apdus_since_insert: 0,
            log: Vec::new(),
            model: ReaderModel::VirtualPcd,
            signals: Vec::new(),
            beep_on_detect: true,
            indicator_behaviour: 0x8B,
            transparent_session: false,
        }
    }

    /// Which pass-throughs this reader accepts: the model's own; [`ReaderModel::VirtualPcd`]'s is
    /// [`Firmware::passthrough`].
    fn accepts(&self, direct: bool) -> bool {
        match self.model.dialect() {
            Dialect::DirectTransmit => direct,
            Dialect::TransparentSession => !direct,
            Dialect::PseudoApdusOnly => false,
            Dialect::Both => {
                if direct {
                    matches!(
                        self.passthrough,
                        PassThroughMode::Both | PassThroughMode::Acr122Direct
                    )
                } else {
                    matches!(
                        self.passthrough,
                        PassThroughMode::Both | PassThroughMode::Part3Transparent
                    )
                }
            }
        }
    }

    /// An escape command through SCardControl (the ACR1252U family's `E0 00 00 …`): the answer, or
    /// `None` when the reader refuses it (SCardControl fails). Recorded in [`Firmware::signals`].
    pub fn escape(&mut self, cmd: &[u8]) -> Option<Vec<u8>> {
        if !self.model.acs_escapes() {
            return None;
        }
        match cmd {
            // Buzzer: E0 00 00 28 01 <duration ×10 ms>; LED: E0 00 00 29 01 <bits>.
            [0xE0, 0x00, 0x00, 0x28 | 0x29, 0x01, v] => {
                self.signals.push(cmd.to_vec());
                Some(vec![0xE1, 0x00, 0x00, 0x00, 0x01, *v])
            }
            // LED status read: E0 00 00 29 00.
            [0xE0, 0x00, 0x00, 0x29, 0x00] => Some(vec![0xE1, 0x00, 0x00, 0x00, 0x01, 0x00]),
            // Indicator behaviour read / write: E0 00 00 21 00 / E0 00 00 21 01 <bits>.
            [0xE0, 0x00, 0x00, 0x21, 0x00] => {
                Some(vec![0xE1, 0x00, 0x00, 0x00, 0x01, self.indicator_behaviour])
            }
            [0xE0, 0x00, 0x00, 0x21, 0x01, v] => {
                self.signals.push(cmd.to_vec());
                self.indicator_behaviour = *v;
                self.beep_on_detect = v & 0x08 != 0;
                Some(vec![0xE1, 0x00, 0x00, 0x00, 0x01, *v])
            }
            _ => None,
        }
    }

    /// A tag enters the field: it powers up.
    pub fn on_insert(&mut self) {
        self.apdus_since_insert = 0;
        self.log.clear();
        self.transparent_session = false;
        if let Some(t) = &mut self.tag {
            t.power_cycle();
        }
    }

    /// Reset / power on from the reader (SCardReconnect, SCardDisconnect(RESET)).
    pub fn on_reset(&mut self) {
        self.transparent_session = false;
        if let Some(t) = &mut self.tag {
            t.power_cycle();
        }
    }

    pub fn atr(&self) -> Vec<u8> {
        self.tag.as_ref().map(|t| t.chip.atr()).unwrap_or_default()
    }

    /// Handles one C-APDU. Latency is the caller's business (it must not sleep holding a lock).
    pub fn process(&mut self, apdu: &[u8]) -> Outcome {
        self.apdus_since_insert += 1;
        let n = self.apdus_since_insert;
        let torn = self.faults.remove_after_apdu == Some(n) && self.faults.tear_seed.is_some();
        let before = torn
            .then(|| self.tag.as_ref().map(|t| t.mem.clone()))
            .flatten();
        let resp = self.answer(apdu);
        if self.faults.remove_after_apdu == Some(n) {
            self.faults.remove_after_apdu = None;
            if let (Some(before), Some(seed), Some(tag)) =
                (before, self.faults.tear_seed, self.tag.as_mut())
            {
                let atomic = tag.atomic_pages();
                tag.mem = crate::tear::tear(&before, &tag.mem, seed ^ u64::from(n), |p| {
                    atomic.contains(&p)
                });
            }
            self.log.push((apdu.to_vec(), None));
            return Outcome::Removed;
        }
        self.log.push((apdu.to_vec(), Some(resp.clone())));
        Outcome::Respond(resp)
    }

    /// The reader's own commands (firmware string, light, beep) and the pass-throughs it refuses.
    fn reader_level(&mut self, apdu: &[u8]) -> Option<Vec<u8>> {
        if apdu.len() < 4 || apdu[0] != 0xFF {
            return None;
        }
        let (ins, p1, p2) = (apdu[1], apdu[2], apdu[3]);
        let model = self.model;
        Some(match (ins, p1) {
            // ACS firmware version: ASCII, no status word (ACR122U).
            (0x00, 0x48) => model.firmware_answer(),
            // ACR122U LED and buzzer control: FF 00 40 <P2> 04 <T1> <T2> <reps> <link> → 90 <LED state>.
            (0x00, 0x40) if model.acr122_led() => {
                self.signals.push(apdu.to_vec());
                vec![0x90, if p2 & 0x01 != 0 { 0x01 } else { 0x02 }]
            }
            // ACR122U buzzer on card detection: FF 00 52 FF 00 on, FF 00 52 00 00 off.
            (0x00, 0x52) if model.acr122_led() => {
                self.signals.push(apdu.to_vec());
                self.beep_on_detect = p2 != 0;
                vec![0x90, 0x00]
            }
            (0x00, _) if !(p1 == 0 && p2 == 0) => model.unsupported_sw().to_vec(),
            (0x00, _) if !self.accepts(true) => model.unsupported_sw().to_vec(),
            (0xC2, _) if !self.accepts(false) => model.unsupported_sw().to_vec(),
            _ => return None,
        })
    }

    fn answer(&mut self, apdu: &[u8]) -> Vec<u8> {
        if self.tag.is_some() {
            if let Some(r) = self.reader_level(apdu) {
                return r;
            }
        }
        let model = self.model;
        let Some(tag) = self.tag.as_mut() else {
            return vec![0x64, 0x00];
        };
        if apdu.len() < 4 {
            return vec![0x67, 0x00];
        }
        if let Some(card) = tag.t4.as_mut() {
            // An ISO 14443-4 card: ISO commands go to the card; of the reader's own pseudo-APDUs only
            // GET DATA (UID) applies, the storage-card ones (FF B0 / FF D6 / native pass-through) do not.
            if apdu[0] != 0xFF {
                return card.process(apdu);
            }
            if apdu[1] != 0xCA {
                return vec![0x6A, 0x81];
            }
        }
        if apdu[0] != 0xFF {
            return vec![0x6E, 0x00];
        }
        let (ins, p1, p2) = (apdu[1], apdu[2], apdu[3]);
        match ins {
            // GET DATA: UID (P1=00); ATS (P1=01) is not available for 14443-3 tags.
            0xCA => {
                if p1 != 0 {
                    return vec![0x6A, 0x81];
                }
                let mut r = tag.uid_bytes();
                let le = apdu.get(4).copied().unwrap_or(0) as usize;
                if le != 0 && le < r.len() {
                    r.truncate(le);
                    r.extend_from_slice(&[0x62, 0x82]);
                    return r;
                }
                r.extend_from_slice(&OK);
                r
            }
            // READ BINARY: FF B0 00 page Le (Le multiple of 4, at most 16).
            0xB0 => {
                let le = apdu.get(4).copied().unwrap_or(0x10) as usize;
                let le = if le == 0 { 16 } else { le };
                if le > 16 || le % 4 != 0 || p1 != 0 {
                    return vec![0x6C, 0x10];
                }
                if self.faults.pseudo_apdus_drop_auth {
                    tag.authenticated = false;
                }
                if model.refuses_page(tag.chip, p2 as usize) {
                    return vec![0x6A, 0x82];
                }
                let past_end = p2 as usize >= tag.chip.total_pages();
                match tag.read(p2 as usize) {
                    Ok(d) => {
                        let mut r = d[..le].to_vec();
                        r.extend_from_slice(&OK);
                        r
                    }
                    Err(_) => model.read_failed_sw(past_end).to_vec(),
                }
            }
            // UPDATE BINARY: FF D6 00 page 04 d0..d3 (a 16-byte body writes its first 4 bytes).
            0xD6 => {
                let lc = apdu.get(4).copied().unwrap_or(0) as usize;
                if p1 != 0 || !(lc == 4 || lc == 16) || apdu.len() < 5 + lc {
                    return vec![0x67, 0x00];
                }
                if self.faults.pseudo_apdus_drop_auth {
                    tag.authenticated = false;
                }
                if model.refuses_page(tag.chip, p2 as usize) {
                    return vec![0x6A, 0x82];
                }
                let d = [apdu[5], apdu[6], apdu[7], apdu[8]];
                let protected = tag.write_protected(p2 as usize);
                let r = Self::page_write(tag, &mut self.faults, p2 as usize, d);
                if r == OK {
                    model.write_ok()
                } else {
                    model.write_failed_sw(protected).to_vec()
                }
            }
            // ACR122U Direct Transmit to the PN532: FF 00 00 00 Lc D4 42 <cmd>.
            0x00 => {
                let lc = apdu.get(4).copied().unwrap_or(0) as usize;
                if apdu.len() != 5 + lc || lc < 2 {
                    return vec![0x67, 0x00];
                }
                let body = &apdu[5..];
                match body {
                    [0xD4, 0x42, cmd @ ..] => match Self::native(tag, &mut self.faults, cmd) {
                        // The PN532 cannot carry more than one frame back (about 250 bytes of data).
                        Ok(d) if d.len() > PN532_MAX_ANSWER => vec![0xD5, 0x43, 0x01, 0x90, 0x00],
                        // The 4-bit ACK of a WRITE reaches the PN532 as a "CRC error" (nfcpy).
                        Ok(_) if cmd.first() == Some(&0xA2) && model.write_ack_as_crc_error() => {
                            vec![0xD5, 0x43, 0x02, 0x90, 0x00]
                        }
                        Ok(mut d) => {
                            let mut r = vec![0xD5, 0x43, 0x00];
                            r.append(&mut d);
                            r.extend_from_slice(&OK);
                            r
                        }
                        Err(()) => vec![0xD5, 0x43, 0x01, 0x90, 0x00],
                    },
                    // InDataExchange with target 1: the PN532 handles the ACK itself (no data back).
                    [0xD4, 0x40, 0x01, cmd @ ..] => {
                        match Self::native(tag, &mut self.faults, cmd) {
                            Ok(d) if d.len() > PN532_MAX_ANSWER => {
                                vec![0xD5, 0x41, 0x01, 0x90, 0x00]
                            }
                            Ok(d) => {
                                let mut r = vec![0xD5, 0x41, 0x00];
                                if cmd.first() != Some(&0xA2) {
                                    r.extend_from_slice(&d);
                                }
                                r.extend_from_slice(&OK);
                                r
                            }
                            Err(()) => vec![0xD5, 0x41, 0x01, 0x90, 0x00],
                        }
                    }
                    [0xD4, 0x02] => vec![0xD5, 0x03, 0x32, 0x01, 0x06, 0x07, 0x90, 0x00],
                    _ => vec![0x63, 0x00],
                }
            }
            // PC/SC Part 3 transparent session.
            0xC2 => {
                let lc = apdu.get(4).copied().unwrap_or(0) as usize;
                if apdu.len() < 5 + lc {
                    return vec![0x67, 0x00];
                }
                let dos = &apdu[5..5 + lc];
                match p2 {
                    0x00 => {
                        // Manage session: 81 00 start, 82 00 end.
                        match dos.first() {
                            Some(0x81) => self.transparent_session = true,
                            Some(0x82) => self.transparent_session = false,
                            _ => {}
                        }
                        vec![0xC0, 0x03, 0x00, 0x90, 0x00, 0x90, 0x00]
                    }
                    0x01 => {
                        if !self.transparent_session {
                            return vec![0xC0, 0x03, 0x01, 0x69, 0x86, 0x90, 0x00];
                        }
                        // Find the transceive DO (95).
                        let mut i = 0;
                        let mut cmd: Option<&[u8]> = None;
                        while i + 1 < dos.len() {
                            let (t, len_at) = if dos[i] == 0x5F {
                                ((0x5F00u16) | dos[i + 1] as u16, i + 2)
                            } else {
                                (dos[i] as u16, i + 1)
                            };
                            let Some(&l) = dos.get(len_at) else { break };
                            let start = len_at + 1;
                            let end = start + l as usize;
                            if end > dos.len() {
                                break;
                            }
                            if t == 0x95 {
                                cmd = Some(&dos[start..end]);
                            }
                            i = end;
                        }
                        let Some(cmd) = cmd else {
                            return vec![0xC0, 0x03, 0x01, 0x6A, 0x80, 0x90, 0x00];
                        };
                        match Self::native(tag, &mut self.faults, cmd) {
                            Ok(d) if d.len() > 0xFF => {
                                vec![0xC0, 0x03, 0x01, 0x67, 0x00, 0x90, 0x00]
                            }
                            Ok(d) => {
                                let mut r = vec![
                                    0xC0, 0x03, 0x00, 0x90, 0x00, 0x92, 0x01, 0x00, 0x96, 0x02,
                                    0x00, 0x00, 0x97,
                                ];
                                r.push(d.len() as u8);
                                r.extend_from_slice(&d);
                                r.extend_from_slice(&OK);
                                r
                            }
                            Err(()) => vec![0xC0, 0x03, 0x01, 0x64, 0x01, 0x90, 0x00],
                        }
                    }
                    _ => vec![0x6A, 0x81],
                }
            }
            _ => model.unsupported_sw().to_vec(),
        }
    }

    fn page_write(tag: &mut TagState, faults: &mut Faults, page: usize, d: [u8; 4]) -> Vec<u8> {
        if faults.nak_writes > 0 {
            faults.nak_writes -= 1;
            tag.mute = true;
            return FAIL.to_vec();
        }
        if faults.silent_failure_writes > 0 {
            faults.silent_failure_writes -= 1;
            return OK.to_vec();
        }
        let r = tag.write(page, d);
        if r.is_ok() && faults.false_failure_writes > 0 {
            faults.false_failure_writes -= 1;
            return FAIL.to_vec();
        }
        match r {
            Ok(()) => OK.to_vec(),
            Err(_) => FAIL.to_vec(),
        }
    }

    fn native(tag: &mut TagState, faults: &mut Faults, cmd: &[u8]) -> Result<Vec<u8>, ()> {
        if let [0xA2, p, a, b, c, d] = cmd {
            let r = Self::page_write(tag, faults, *p as usize, [*a, *b, *c, *d]);
            return if r == OK { Ok(vec![0x0A]) } else { Err(()) };
        }
        tag.native(cmd).map_err(|_| ())
    }
}

impl Default for Firmware {
    fn default() -> Self {
        Firmware::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fw(chip: VChip) -> Firmware {
        let mut f = Firmware::new();
        f.tag = Some(TagState::factory(chip, [4, 1, 2, 3, 4, 5, 6]));
        f.on_insert();
        f
    }

    fn resp(f: &mut Firmware, apdu: &[u8]) -> Vec<u8> {
        match f.process(apdu) {
            Outcome::Respond(r) => r,
            Outcome::Removed => panic!("removed"),
        }
    }

    #[test]
    fn pseudo_apdus() {
        let mut f = fw(VChip::Ntag215);
        assert_eq!(
            resp(&mut f, &[0xFF, 0xCA, 0, 0, 0]),
            vec![4, 1, 2, 3, 4, 5, 6, 0x90, 0]
        );
        let r = resp(&mut f, &[0xFF, 0xB0, 0, 3, 0x10]);
        assert_eq!(&r[..4], &[0xE1, 0x10, 0x3E, 0]);
        assert_eq!(
            resp(&mut f, &[0xFF, 0xD6, 0, 4, 4, 3, 0, 0xFE, 0]),
            vec![0x90, 0]
        );
        let v = resp(&mut f, &[0xFF, 0, 0, 0, 3, 0xD4, 0x42, 0x60]);
        assert_eq!(v, vec![0xD5, 0x43, 0, 0, 4, 4, 2, 1, 0, 0x11, 3, 0x90, 0]);
        assert_eq!(
            resp(&mut f, &[0xFF, 0xC2, 0, 0, 2, 0x81, 0]),
            vec![0xC0, 3, 0, 0x90, 0, 0x90, 0]
        );
        let v = resp(
            &mut f,
            &[
                0xFF, 0xC2, 0, 1, 0x0A, 0x5F, 0x46, 4, 0x50, 0xC3, 0, 0, 0x95, 1, 0x60, 0,
            ],
        );
        assert_eq!(&v[12..14], &[0x97, 8]);
        assert_eq!(v[20], 0x11);
    }

    #[test]
    fn faults() {
        let mut f = fw(VChip::Ntag213);
        f.faults.false_failure_writes = 1;
        assert_eq!(
            resp(&mut f, &[0xFF, 0xD6, 0, 4, 4, 9, 9, 9, 9]),
            vec![0x63, 0]
        );
        assert_eq!(&f.tag.as_ref().unwrap().mem[16..20], &[9, 9, 9, 9]);
        f.faults.silent_failure_writes = 1;
        assert_eq!(
            resp(&mut f, &[0xFF, 0xD6, 0, 4, 4, 8, 8, 8, 8]),
            vec![0x90, 0]
        );
        assert_eq!(&f.tag.as_ref().unwrap().mem[16..20], &[9, 9, 9, 9]);
        f.faults.remove_after_apdu = Some(f.apdus_since_insert + 1);
        assert_eq!(
            f.process(&[0xFF, 0xD6, 0, 4, 4, 7, 7, 7, 7]),
            Outcome::Removed
        );
        assert_eq!(&f.tag.as_ref().unwrap().mem[16..20], &[7, 7, 7, 7]);
    }
}

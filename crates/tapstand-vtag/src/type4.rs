//! A virtual NFC Forum Type 4 tag: an ISO 14443-4 card with the NDEF Tag Application, answering the
//! ISO 7816-4 APDUs (CLA 00) a PC/SC reader passes through to it, with the status words real cards give:
//! `6A 82` (application or file not found), `69 82` (security status not satisfied: the CC file, a
//! read-only or key-protected NDEF file), `67 00` (wrong length: Lc > MLc, Le > MLe, a malformed APDU),
//! `6B 00` (offset outside the file), `69 86` (no file selected), `6D 00` / `6E 00` (unknown INS / CLA).
//!
//! Flavours ([`T4Flavour`]) as delivered — they differ in CC length, MLe/MLc, NDEF file id and size:
//!
//! | flavour | ATR (historical bytes) | CC | MLe / MLc | NDEF file |
//! |---|---|---|---|---|
//! | NTAG 424 DNA | `3B 81 80 01 80 80` | 23 bytes (+ proprietary file E105) | 256 / 255 | E104, 256 B |
//! | DESFire EV2 + NDEF app (AN11004) | `3B 81 80 01 80 80` | 15 bytes | 59 / 52 | E104, 2048 B |
//! | ST25TA02K | `3B 80 80 01 01` | 15 bytes | 255 / 54 | 0001, 256 B |
//! | bank card (no NDEF application) | `3B 8C 80 01 …` | — | — | — |
//!
//! The firmware (`firmware.rs`) hands every non-`FF` APDU to the card and answers `FF CA` (UID) itself;
//! faults (latency, pulled off after APDU k) apply as for Type 2 tags. Each UPDATE BINARY takes effect as
//! a whole (the chips' page-wise EEPROM writes are atomic per command as far as the mapping is concerned).

use tapstand_ndef::chip::ChipKind;
use tapstand_ndef::t4t::{NDEF_AID_V1, NDEF_AID_V2};

use crate::rig::Content;

/// Which Type 4 card the virtual tag is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum T4Flavour {
    Ntag424Dna,
    DesfireEv2,
    St25ta02k,
    /// An ISO 14443-4 card without the NDEF application (a bank or transit card).
    BankCard,
}

impl T4Flavour {
    pub fn kind(self) -> ChipKind {
        match self {
            T4Flavour::Ntag424Dna => ChipKind::Ntag424Dna,
            T4Flavour::DesfireEv2 => ChipKind::Desfire,
            T4Flavour::St25ta02k => ChipKind::St25ta,
            T4Flavour::BankCard => ChipKind::Iso14443_4,
        }
    }

    /// The ATR a PC/SC reader synthesises for the card: `3B 8n 80 01` + the ATS historical bytes + TCK.
    pub fn atr(self) -> Vec<u8> {
        let hist: &[u8] = match self {
            T4Flavour::Ntag424Dna | T4Flavour::DesfireEv2 => &[0x80],
            T4Flavour::St25ta02k => &[],
            // A PBOC/UnionPay-style card's historical bytes.
            T4Flavour::BankCard => &[
                0x80, 0x31, 0x80, 0x66, 0xB0, 0x84, 0x0C, 0x01, 0x6E, 0x01, 0x83, 0x00,
            ],
        };
        let mut atr = vec![0x3B, 0x80 | hist.len() as u8, 0x80, 0x01];
        atr.extend_from_slice(hist);
        let tck = atr[1..].iter().fold(0u8, |a, b| a ^ b);
        atr.push(tck);
        atr
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Selected {
    Cc,
    Ndef,
}

/// The card's state: its files and what is selected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Type4Card {
    pub flavour: T4Flavour,
    /// The CC file `E103` (as long as the chip's file; the CC itself is its first CCLEN bytes).
    pub cc: Vec<u8>,
    pub ndef_file_id: u16,
    /// The NDEF file: NLEN, then the message.
    pub ndef: Vec<u8>,
    /// UPDATE BINARY on the NDEF file answers `69 82` (write access `FF`, or keys set behind the CC).
    pub write_refused: bool,
    /// Successful UPDATE BINARY commands, for tests.
    pub updates: u64,
    /// A mapping 1.0 tag: answers only to the 1.0 application name.
    pub mapping_v1: bool,
    app_selected: bool,
    selected: Option<Selected>,
}

const OK: [u8; 2] = [0x90, 0x00];

fn sw(a: u8, b: u8) -> Vec<u8> {
    vec![a, b]
}

impl Type4Card {
    /// The card as delivered (NDEF file empty: NLEN 0).
    pub fn delivery(flavour: T4Flavour) -> Type4Card {
        let (cc, fid, size): (Vec<u8>, u16, usize) = match flavour {
            T4Flavour::Ntag424Dna => {
                let mut cc = vec![
                    0x00, 0x17, 0x20, 0x01, 0x00, 0x00, 0xFF, 0x04, 0x06, 0xE1, 0x04, 0x01, 0x00,
                    0x00, 0x00, 0x05, 0x06, 0xE1, 0x05, 0x00, 0x80, 0x82, 0x83,
                ];
                cc.resize(32, 0);
                (cc, 0xE104, 256)
            }
            T4Flavour::DesfireEv2 => (
                vec![
                    0x00, 0x0F, 0x20, 0x00, 0x3B, 0x00, 0x34, 0x04, 0x06, 0xE1, 0x04, 0x08, 0x00,
                    0x00, 0x00,
                ],
                0xE104,
                2048,
            ),
            T4Flavour::St25ta02k => (
                vec![
                    0x00, 0x0F, 0x20, 0x00, 0xFF, 0x00, 0x36, 0x04, 0x06, 0x00, 0x01, 0x01, 0x00,
                    0x00, 0x00,
                ],
                0x0001,
                256,
            ),
            T4Flavour::BankCard => (Vec::new(), 0, 0),
        };
        Type4Card {
            flavour,
            cc,
            ndef_file_id: fid,
            ndef: vec![0; size],
            write_refused: false,
            updates: 0,
            mapping_v1: false,
            app_selected: false,
            selected: None,
        }
    }

    /// Holding `message` (NLEN + message written directly).
    pub fn with_message(mut self, message: &[u8]) -> Type4Card {
        self.ndef[..2].copy_from_slice(&(message.len() as u16).to_be_bytes());
        self.ndef[2..2 + message.len()].copy_from_slice(message);
        self
    }

    /// The CC says the NDEF file is never writable (write access `FF`), and the card refuses writes.
    pub fn read_only(mut self) -> Type4Card {
        self.cc[14] = 0xFF;
        self.write_refused = true;
        self
    }

    /// The CC says writing needs a key (write access `80`, proprietary), and the card refuses writes.
    pub fn key_protected(mut self) -> Type4Card {
        self.cc[14] = 0x80;
        self.write_refused = true;
        self
    }

    /// The CC says "free" but the card answers `69 82` to UPDATE BINARY (an NTAG 424 DNA whose file
    /// settings were changed to need a key, the CC left as delivered).
    pub fn keys_changed(mut self) -> Type4Card {
        self.write_refused = true;
        self
    }

    /// A mapping 1.0 tag (CC version 10, application name `D2 76 00 00 85 01 00`).
    pub fn mapping_v1(mut self) -> Type4Card {
        self.cc[2] = 0x10;
        self.mapping_v1 = true;
        self
    }

    fn be(&self, i: usize) -> usize {
        u16::from_be_bytes([self.cc[i], self.cc[i + 1]]) as usize
    }

    fn mle(&self) -> usize {
        self.be(3)
    }

    fn mlc(&self) -> usize {
        self.be(5)
    }

    /// The field was cycled: nothing is selected any more.
    pub fn power_cycle(&mut self) {
        self.app_selected = false;
        self.selected = None;
    }

    /// What a phone would read from the NDEF file.
    pub fn content(&self) -> Content {
        if self.ndef.len() < 2 {
            return Content::NotNdef;
        }
        let n = u16::from_be_bytes([self.ndef[0], self.ndef[1]]) as usize;
        if n == 0 {
            return Content::Empty;
        }
        let Some(m) = self.ndef.get(2..2 + n) else {
            return Content::Invalid(format!("NLEN {n} past the file"));
        };
        match tapstand_ndef::Message::decode(m) {
            Ok(_) => Content::Message(m.to_vec()),
            Err(e) => Content::Invalid(e.to_string()),
        }
    }

    /// Answers one ISO 7816-4 C-APDU.
    pub fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        if apdu.len() < 4 {
            return sw(0x67, 0x00);
        }
        if apdu[0] != 0x00 {
            return sw(0x6E, 0x00);
        }
        let (ins, p1, p2) = (apdu[1], apdu[2], apdu[3]);
        match ins {
            0xA4 => self.select(p1, p2, apdu),
            0xB0 => self.read_binary(p1, p2, apdu),
            0xD6 => self.update_binary(p1, p2, apdu),
            _ => sw(0x6D, 0x00),
        }
    }

    /// The body of a case-3/4 short APDU (`Lc` then the data, an optional `Le` after it).
    fn body(apdu: &[u8]) -> Option<&[u8]> {
        let lc = *apdu.get(4)? as usize;
        if apdu.len() != 5 + lc && apdu.len() != 6 + lc {
            return None;
        }
        Some(&apdu[5..5 + lc])
    }

    fn select(&mut self, p1: u8, p2: u8, apdu: &[u8]) -> Vec<u8> {
        let Some(body) = Self::body(apdu) else {
            return sw(0x67, 0x00);
        };
        match p1 {
            0x04 => {
                let name = if self.mapping_v1 {
                    NDEF_AID_V1
                } else {
                    NDEF_AID_V2
                };
                if self.flavour != T4Flavour::BankCard && body == name {
                    self.app_selected = true;
                    self.selected = None;
                    OK.to_vec()
                } else {
                    sw(0x6A, 0x82)
                }
            }
            0x00 if p2 == 0x0C || p2 == 0x00 => {
                if body.len() != 2 {
                    return sw(0x67, 0x00);
                }
                if !self.app_selected {
                    return sw(0x6A, 0x82);
                }
                let fid = u16::from_be_bytes([body[0], body[1]]);
                if fid == 0xE103 {
                    self.selected = Some(Selected::Cc);
                } else if fid == self.ndef_file_id {
                    self.selected = Some(Selected::Ndef);
                } else {
                    return sw(0x6A, 0x82);
                }
                OK.to_vec()
            }
            _ => sw(0x6B, 0x00),
        }
    }

    fn read_binary(&mut self, p1: u8, p2: u8, apdu: &[u8]) -> Vec<u8> {
        if apdu.len() != 5 {
            return sw(0x67, 0x00);
        }
        let Some(sel) = self.selected else {
            return sw(0x69, 0x86);
        };
        if p1 & 0x80 != 0 {
            return sw(0x6B, 0x00);
        }
        let offset = u16::from_be_bytes([p1, p2]) as usize;
        let le = match apdu[4] {
            0 => 256,
            n => n as usize,
        };
        if le > self.mle() {
            return sw(0x67, 0x00);
        }
        let file = match sel {
            Selected::Cc => &self.cc,
            Selected::Ndef => &self.ndef,
        };
        if offset >= file.len() {
            return sw(0x6B, 0x00);
        }
        let end = (offset + le).min(file.len());
        let mut r = file[offset..end].to_vec();
        r.extend_from_slice(if end - offset < le {
            &[0x62, 0x82]
        } else {
            &OK
        });
        r
    }

    fn update_binary(&mut self, p1: u8, p2: u8, apdu: &[u8]) -> Vec<u8> {
        let Some(sel) = self.selected else {
            return sw(0x69, 0x86);
        };
        let lc = apdu.get(4).copied().unwrap_or(0) as usize;
        if lc == 0 || apdu.len() != 5 + lc {
            return sw(0x67, 0x00);
        }
        if sel == Selected::Cc || self.write_refused {
            return sw(0x69, 0x82);
        }
        if lc > self.mlc() {
            return sw(0x67, 0x00);
        }
        if p1 & 0x80 != 0 {
            return sw(0x6B, 0x00);
        }
        let offset = u16::from_be_bytes([p1, p2]) as usize;
        if offset + lc > self.ndef.len() {
            return sw(0x6B, 0x00);
        }
        self.ndef[offset..offset + lc].copy_from_slice(&apdu[5..]);
        self.updates += 1;
        OK.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn select_app() -> Vec<u8> {
        let mut a = vec![0x00, 0xA4, 0x04, 0x00, 0x07];
        a.extend_from_slice(&NDEF_AID_V2);
        a.push(0);
        a
    }

    #[test]
    fn status_words_are_the_specs() {
        let mut c = Type4Card::delivery(T4Flavour::DesfireEv2);
        // Nothing selected yet.
        assert_eq!(c.process(&[0, 0xB0, 0, 0, 2]), vec![0x69, 0x86]);
        assert_eq!(
            c.process(&[0, 0xA4, 0, 0x0C, 2, 0xE1, 0x03]),
            vec![0x6A, 0x82]
        );
        assert_eq!(c.process(&select_app()), OK.to_vec());
        assert_eq!(
            c.process(&[0, 0xA4, 0, 0x0C, 2, 0xE1, 0x05]),
            vec![0x6A, 0x82]
        );
        assert_eq!(c.process(&[0, 0xA4, 0, 0x0C, 2, 0xE1, 0x03]), OK.to_vec());
        let r = c.process(&[0, 0xB0, 0, 0, 0x0F]);
        assert_eq!(&r[..3], &[0x00, 0x0F, 0x20]);
        assert_eq!(&r[15..], &OK);
        // The CC cannot be written; MLe is 59.
        assert_eq!(c.process(&[0, 0xD6, 0, 0, 1, 0]), vec![0x69, 0x82]);
        assert_eq!(c.process(&[0, 0xA4, 0, 0x0C, 2, 0xE1, 0x04]), OK.to_vec());
        assert_eq!(c.process(&[0, 0xB0, 0, 0, 60]), vec![0x67, 0x00]);
        assert_eq!(c.process(&[0, 0xB0, 0x08, 0x00, 1]), vec![0x6B, 0x00]);
        // MLc is 52.
        let mut big = vec![0, 0xD6, 0, 2, 53];
        big.extend_from_slice(&[7; 53]);
        assert_eq!(c.process(&big), vec![0x67, 0x00]);
        assert_eq!(c.process(&[0, 0xD6, 0, 0, 2, 0, 1]), OK.to_vec());
        assert_eq!(c.process(&[0, 0xD6, 0x07, 0xFF, 2, 0, 1]), vec![0x6B, 0x00]);
        assert_eq!(c.process(&[0, 0xB0, 0, 0, 2]), vec![0, 1, 0x90, 0]);
        // Reading past the end: the bytes there, then 62 82.
        assert_eq!(c.process(&[0, 0xB0, 0x07, 0xFF, 2]), vec![0, 0x62, 0x82]);
        assert_eq!(c.process(&[0x90, 0x60, 0, 0, 0]), vec![0x6E, 0x00]);
        assert_eq!(c.process(&[0, 0x88, 0, 0, 0]), vec![0x6D, 0x00]);
        // After a power cycle the application must be selected again.
        c.power_cycle();
        assert_eq!(c.process(&[0, 0xB0, 0, 0, 2]), vec![0x69, 0x86]);
        // A bank card has no NDEF application.
        let mut b = Type4Card::delivery(T4Flavour::BankCard);
        assert_eq!(b.process(&select_app()), vec![0x6A, 0x82]);
        // A protected one refuses writes.
        let mut p = Type4Card::delivery(T4Flavour::Ntag424Dna).keys_changed();
        p.process(&select_app());
        p.process(&[0, 0xA4, 0, 0x0C, 2, 0xE1, 0x04]);
        assert_eq!(p.process(&[0, 0xD6, 0, 0, 2, 0, 1]), vec![0x69, 0x82]);
        // Le 00 = 256 on the NTAG 424 DNA (MLe 256).
        assert_eq!(p.process(&[0, 0xB0, 0, 0, 0]).len(), 258);
    }

    #[test]
    fn atrs() {
        assert_eq!(
            T4Flavour::Ntag424Dna.atr(),
            vec![0x3B, 0x81, 0x80, 0x01, 0x80, 0x80]
        );
        assert_eq!(
            T4Flavour::St25ta02k.atr(),
            vec![0x3B, 0x80, 0x80, 0x01, 0x01]
        );
        let b = T4Flavour::BankCard.atr();
        assert_eq!(b[1], 0x8C);
        assert_eq!(b[1..].iter().fold(0, |a, x| a ^ x), 0);
    }
}

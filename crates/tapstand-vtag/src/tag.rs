//! The emulated chip: NTAG213/215/216 memory with the datasheet's rules (OTP CC and lock bits, static and
//! dynamic lock bits, CFG pages with CFGLCK, PWD/PACK/AUTH0/PROT, GET_VERSION, PWD_AUTH, READ_SIG), plus
//! a MIFARE Classic 1K stand-in (only its ATR and UID) and an NTAG203 (no GET_VERSION).
//!
//! After a NAK the chip goes mute (IDLE) until the field is cycled, as real Type 2 tags do.

use tapstand_ndef::chip::ChipKind;
use tapstand_ndef::t2t::TagImage;

/// The chips the virtual tag can be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VChip {
    Ntag213,
    Ntag215,
    Ntag216,
    /// No GET_VERSION (NAKs it), 42 pages.
    Ntag203,
    /// Only ATR and UID; every memory command fails.
    MifareClassic1k,
}

impl VChip {
    pub fn kind(self) -> ChipKind {
        match self {
            VChip::Ntag213 => ChipKind::Ntag213,
            VChip::Ntag215 => ChipKind::Ntag215,
            VChip::Ntag216 => ChipKind::Ntag216,
            VChip::Ntag203 => ChipKind::Ntag203,
            VChip::MifareClassic1k => ChipKind::MifareClassic1k,
        }
    }

    pub fn parse(s: &str) -> Option<VChip> {
        Some(
            match s.to_ascii_lowercase().replace(['-', '_', ' '], "").as_str() {
                "ntag213" | "213" => VChip::Ntag213,
                "ntag215" | "215" => VChip::Ntag215,
                "ntag216" | "216" => VChip::Ntag216,
                "ntag203" | "203" => VChip::Ntag203,
                "classic" | "mifareclassic" | "mifareclassic1k" | "classic1k" => {
                    VChip::MifareClassic1k
                }
                _ => return None,
            },
        )
    }

    /// Whether the chip has READ_SIG (NXP's originality signature).
    pub fn has_read_sig(self) -> bool {
        self.kind().is_ntag21x()
            || matches!(
                self.kind(),
                ChipKind::UltralightEv1Mf0ul11 | ChipKind::UltralightEv1Mf0ul21
            )
    }

    pub fn total_pages(self) -> usize {
        match self {
            VChip::MifareClassic1k => 0,
            c => c.kind().geometry().expect("type 2").total_pages as usize,
        }
    }

    /// The ATR a PC/SC Part 3 reader synthesises (card name 0003 = Ultralight family, 0001 = Classic 1K).
    pub fn atr(self) -> Vec<u8> {
        let name: u8 = if self == VChip::MifareClassic1k {
            0x01
        } else {
            0x03
        };
        let mut atr = vec![
            0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06, 0x03, 0x00,
            name, 0, 0, 0, 0,
        ];
        let tck = atr[1..].iter().fold(0u8, |a, b| a ^ b);
        atr.push(tck);
        atr
    }

    fn version(self) -> Option<[u8; 8]> {
        let size = match self {
            VChip::Ntag213 => 0x0F,
            VChip::Ntag215 => 0x11,
            VChip::Ntag216 => 0x13,
            _ => return None,
        };
        Some([0x00, 0x04, 0x04, 0x02, 0x01, 0x00, size, 0x03])
    }
}

/// A NAK (or no answer): the reader sees a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nak(pub u8);

/// The chip's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagState {
    pub chip: VChip,
    pub uid: [u8; 7],
    /// Physical memory, page 0 onwards (PWD/PACK hold the real values; reads hide them).
    pub mem: Vec<u8>,
    pub authenticated: bool,
    /// After a NAK the tag ignores everything until the field is cycled.
    pub mute: bool,
    /// CFGLCK as latched at the last power-up (it takes effect after a power cycle).
    pub cfglck_active: bool,
    /// Number of successful page writes (EEPROM cycles), for tests.
    pub writes: u64,
    /// How the chip answers READ_SIG (chips without READ_SIG always NAK it).
    pub signature: SigMode,
}

/// What a virtual chip answers to READ_SIG (`3C 00`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SigMode {
    /// A correct originality signature: NXP's published one for NXP's public test UID `04E10CDA993C80`
    /// (the product's NXP key accepts it), for any other UID one made with the *test* key
    /// (`tapstand_genuine::TEST_KEY`; NXP's key rejects it, as it would a domestic compatible chip).
    #[default]
    Signed,
    /// 32 bytes that are no signature (a clone that copies a random answer).
    Garbage,
    /// The chip NAKs READ_SIG (a clone without it).
    Nak,
}

/// NXP's public test UID: a vtag with it answers NXP's published signature.
pub const NXP_TEST_UID: [u8; 7] = [0x04, 0xE1, 0x0C, 0xDA, 0x99, 0x3C, 0x80];

impl TagState {
    /// A factory-fresh tag: NXP's factory CC and TLVs, CFG0 `04 00 00 FF`, CFG1 `00 05 00 00`,
    /// PWD `FF FF FF FF`, PACK `00 00`.
    pub fn factory(chip: VChip, uid: [u8; 7]) -> TagState {
        let mut t = TagState::blank(chip, uid);
        if let Some(g) = chip.kind().geometry() {
            t.mem[12..16].copy_from_slice(&g.factory_cc.expect("factory cc"));
            let mut tlvs: Vec<u8> = chip.kind().factory_prefix().to_vec();
            tlvs.extend_from_slice(&[0x03, 0x00, 0xFE]);
            t.mem[16..16 + tlvs.len()].copy_from_slice(&tlvs);
        }
        t
    }

    /// A blank tag: CC all zero, user memory all zero (formattable).
    pub fn blank(chip: VChip, uid: [u8; 7]) -> TagState {
        let mut mem = vec![0u8; chip.total_pages() * 4];
        if chip != VChip::MifareClassic1k {
            let bcc0 = 0x88 ^ uid[0] ^ uid[1] ^ uid[2];
            let bcc1 = uid[3] ^ uid[4] ^ uid[5] ^ uid[6];
            mem[0..12].copy_from_slice(&[
                uid[0], uid[1], uid[2], bcc0, uid[3], uid[4], uid[5], uid[6], bcc1, 0x48, 0, 0,
            ]);
            if let Some(g) = chip.kind().geometry() {
                if let Some(d) = g.dyn_lock_page {
                    mem[d as usize * 4 + 3] = 0xBD;
                }
                if let Some(cfg) = g.cfg_page {
                    let c = cfg as usize * 4;
                    mem[c..c + 8].copy_from_slice(&[0x04, 0, 0, 0xFF, 0x00, 0x05, 0, 0]);
                    mem[c + 8..c + 12].copy_from_slice(&[0xFF; 4]);
                }
            }
        }
        TagState {
            chip,
            uid,
            mem,
            authenticated: false,
            mute: false,
            cfglck_active: false,
            writes: 0,
            signature: SigMode::Signed,
        }
    }

    /// A factory tag that already holds `message` (encoded NDEF) in the factory layout.
    pub fn with_message(chip: VChip, uid: [u8; 7], message: &[u8]) -> TagState {
        let mut t = TagState::factory(chip, uid);
        let img = TagImage::from_bytes(&t.mem);
        let plan = tapstand_ndef::plan::plan_content(chip.kind(), &img, message, true)
            .expect("message fits");
        t.mem = plan.final_image.to_bytes_lossy();
        t
    }

    /// Presets bytes from address `addr` (page `addr / 4`), e.g. a broken TLV area for a "damaged tag"
    /// test. Panics when they do not fit in the memory.
    pub fn with_bytes_at(mut self, addr: usize, bytes: &[u8]) -> TagState {
        self.mem[addr..addr + bytes.len()].copy_from_slice(bytes);
        self
    }

    /// A permanently locked copy (see [`lock`](Self::lock)).
    /// The same tag answering READ_SIG as `mode` says.
    pub fn with_signature(mut self, mode: SigMode) -> TagState {
        self.signature = mode;
        self
    }

    pub fn locked(mut self) -> TagState {
        self.lock();
        self
    }

    /// Applies Tapstand's permanent lock directly (CC 0F, static FF FF, dynamic FF FF FF, CFGLCK).
    pub fn lock(&mut self) {
        let img = TagImage::from_bytes(&self.mem);
        let steps = tapstand_ndef::plan::plan_lock(self.chip.kind(), &img).expect("lockable");
        for s in steps {
            for w in s.writes {
                let p = w.page as usize * 4;
                for i in 0..4 {
                    self.mem[p + i] |= w.data[i];
                }
            }
        }
        self.cfglck_active = true;
    }

    /// Sets PWD/PACK and AUTH0 directly.
    pub fn protect(&mut self, pwd: [u8; 4], pack: [u8; 2], auth0: u8, read_too: bool) {
        let cfg = self.cfg_page().expect("NTAG") * 4;
        self.mem[cfg + 3] = auth0;
        if read_too {
            self.mem[cfg + 4] |= 0x80;
        }
        self.mem[cfg + 8..cfg + 12].copy_from_slice(&pwd);
        self.mem[cfg + 12..cfg + 14].copy_from_slice(&pack);
    }

    pub fn uid_bytes(&self) -> Vec<u8> {
        if self.chip == VChip::MifareClassic1k {
            self.uid[..4].to_vec()
        } else {
            self.uid.to_vec()
        }
    }

    fn last_page(&self) -> usize {
        self.chip.total_pages().saturating_sub(1)
    }

    fn cfg_page(&self) -> Option<usize> {
        self.chip
            .kind()
            .geometry()
            .and_then(|g| g.cfg_page)
            .map(|p| p as usize)
    }

    fn dyn_lock_page(&self) -> Option<usize> {
        self.chip
            .kind()
            .geometry()
            .and_then(|g| g.dyn_lock_page)
            .map(|p| p as usize)
    }

    fn page(&self, p: usize) -> [u8; 4] {
        let i = p * 4;
        [
            self.mem[i],
            self.mem[i + 1],
            self.mem[i + 2],
            self.mem[i + 3],
        ]
    }

    fn auth0(&self) -> usize {
        self.cfg_page()
            .map(|c| self.mem[c * 4 + 3] as usize)
            .unwrap_or(usize::MAX)
    }

    fn prot(&self) -> bool {
        self.cfg_page()
            .map(|c| self.mem[c * 4 + 4] & 0x80 != 0)
            .unwrap_or(false)
    }

    /// The field is switched off and on (reader reset, re-poll): authentication is lost, CFGLCK latched.
    pub fn power_cycle(&mut self) {
        self.authenticated = false;
        self.mute = false;
        if let Some(c) = self.cfg_page() {
            self.cfglck_active = self.mem[(c + 1) * 4] & 0x40 != 0;
        }
    }

    fn nak(&mut self, code: u8) -> Nak {
        self.mute = true;
        Nak(code)
    }

    fn check_alive(&mut self) -> Result<(), Nak> {
        if self.mute || self.chip == VChip::MifareClassic1k {
            self.mute = true;
            return Err(Nak(0xFF));
        }
        Ok(())
    }

    /// Is page `p` locked by a static or dynamic lock bit?
    pub fn page_locked(&self, p: usize) -> bool {
        tapstand_ndef::t2t::page_locked(self.chip.kind(), &TagImage::from_bytes(&self.mem), p)
            .unwrap_or(false)
    }

    fn read_page_visible(&self, p: usize) -> [u8; 4] {
        let cfg = self.cfg_page();
        if cfg.is_some_and(|c| p == c + 2 || p == c + 3) {
            return [0; 4];
        }
        if self.prot() && p >= self.auth0() && !self.authenticated {
            return [0; 4];
        }
        self.page(p)
    }

    /// READ (30h): 4 pages from `p`, rolling over to page 0 past the end.
    pub fn read(&mut self, p: usize) -> Result<[u8; 16], Nak> {
        self.check_alive()?;
        if p > self.last_page() {
            return Err(self.nak(0x0));
        }
        if self.prot() && p >= self.auth0() && !self.authenticated {
            return Err(self.nak(0x0));
        }
        let mut out = [0u8; 16];
        for i in 0..4 {
            let q = (p + i) % (self.last_page() + 1);
            out[i * 4..i * 4 + 4].copy_from_slice(&self.read_page_visible(q));
        }
        Ok(out)
    }

    /// FAST_READ (3Ah).
    pub fn fast_read(&mut self, start: usize, end: usize) -> Result<Vec<u8>, Nak> {
        self.check_alive()?;
        if start > end || end > self.last_page() {
            return Err(self.nak(0x0));
        }
        if self.prot() && end >= self.auth0() && !self.authenticated {
            return Err(self.nak(0x0));
        }
        Ok((start..=end)
            .flat_map(|q| self.read_page_visible(q))
            .collect())
    }

    /// WRITE (A2h) with the chip's rules.
    pub fn write(&mut self, p: usize, d: [u8; 4]) -> Result<(), Nak> {
        self.check_alive()?;
        if p < 2 || p > self.last_page() {
            return Err(self.nak(0x0));
        }
        if p >= self.auth0() && !self.authenticated {
            return Err(self.nak(0x0));
        }
        let i = p * 4;
        let cfg = self.cfg_page();
        if p == 2 {
            // Lock bytes: OTP. Block-lock bits freeze groups of lock bits.
            let l0 = self.mem[10];
            let l1 = self.mem[11];
            let mut frozen0 = 0u8;
            let mut frozen1 = 0u8;
            if l0 & 0x01 != 0 {
                frozen0 |= 0x08;
            }
            if l0 & 0x02 != 0 {
                frozen0 |= 0xF0;
                frozen1 |= 0x03;
            }
            if l0 & 0x04 != 0 {
                frozen1 |= 0xFC;
            }
            self.mem[10] = l0 | (d[2] & !frozen0);
            self.mem[11] = l1 | (d[3] & !frozen1);
        } else if p == 3 {
            if self.mem[10] & 0x08 != 0 {
                return Err(self.nak(0x0));
            }
            for (m, b) in self.mem[i..i + 4].iter_mut().zip(d) {
                *m |= b;
            }
        } else if Some(p) == self.dyn_lock_page() {
            for (m, b) in self.mem[i..i + 3].iter_mut().zip(d) {
                *m |= b;
            }
        } else if cfg.is_some_and(|c| p == c || p == c + 1) {
            if self.cfglck_active {
                return Err(self.nak(0x0));
            }
            self.mem[i..i + 4].copy_from_slice(&d);
        } else if cfg.is_some_and(|c| p == c + 2 || p == c + 3) {
            self.mem[i..i + 4].copy_from_slice(&d);
        } else {
            if self.page_locked(p) {
                return Err(self.nak(0x0));
            }
            self.mem[i..i + 4].copy_from_slice(&d);
        }
        self.writes += 1;
        Ok(())
    }

    /// GET_VERSION (60h).
    pub fn get_version(&mut self) -> Result<[u8; 8], Nak> {
        self.check_alive()?;
        match self.chip.version() {
            Some(v) => Ok(v),
            None => Err(self.nak(0x0)),
        }
    }

    /// PWD_AUTH (1Bh): PACK on success.
    pub fn pwd_auth(&mut self, pwd: [u8; 4]) -> Result<[u8; 2], Nak> {
        self.check_alive()?;
        let Some(c) = self.cfg_page() else {
            return Err(self.nak(0x0));
        };
        let i = (c + 2) * 4;
        if self.mem[i..i + 4] == pwd {
            self.authenticated = true;
            Ok([self.mem[i + 4], self.mem[i + 5]])
        } else {
            Err(self.nak(0x4))
        }
    }

    /// READ_SIG (3Ch): NTAG21x and Ultralight EV1 only (others NAK it), answering as [`SigMode`] says.
    pub fn read_sig(&mut self) -> Result<[u8; 32], Nak> {
        self.check_alive()?;
        if !self.chip.has_read_sig() {
            return Err(self.nak(0x0));
        }
        match self.signature {
            SigMode::Signed if self.uid == NXP_TEST_UID => {
                let sig = tapstand_genuine::from_hex(tapstand_genuine::PUBLIC_TEST_SIGNATURE_HEX)
                    .expect("hex");
                Ok(sig.try_into().expect("32 bytes"))
            }
            SigMode::Signed => Ok(tapstand_genuine::sign_with_test_key(&self.uid)),
            SigMode::Garbage => {
                let mut s = [0u8; 32];
                for (k, b) in s.iter_mut().enumerate() {
                    *b = self.uid[k % 7] ^ (k as u8);
                }
                Ok(s)
            }
            SigMode::Nak => Err(self.nak(0x0)),
        }
    }

    /// Executes a native ISO 14443-3 command as the chip would; `Ok` holds the answer (`0A` for an ACK).
    pub fn native(&mut self, cmd: &[u8]) -> Result<Vec<u8>, Nak> {
        match cmd {
            [0x60] => self.get_version().map(|v| v.to_vec()),
            [0x30, p] => self.read(*p as usize).map(|v| v.to_vec()),
            [0x3A, s, e] => self.fast_read(*s as usize, *e as usize),
            [0xA2, p, a, b, c, d] => self
                .write(*p as usize, [*a, *b, *c, *d])
                .map(|_| vec![0x0A]),
            [0xA0, p, rest @ ..] if rest.len() == 16 => self
                .write(*p as usize, [rest[0], rest[1], rest[2], rest[3]])
                .map(|_| vec![0x0A]),
            [0x1B, a, b, c, d] => self.pwd_auth([*a, *b, *c, *d]).map(|p| p.to_vec()),
            [0x3C, 0x00] => self.read_sig().map(|s| s.to_vec()),
            [0x39, 0x02] => {
                self.check_alive()?;
                Ok(vec![0, 0, 0])
            }
            _ => {
                let _ = self.check_alive();
                Err(self.nak(0x0))
            }
        }
    }

    /// The memory as a reader without the password would see it (PWD/PACK hidden).
    pub fn image(&self) -> TagImage {
        let mut img = TagImage::from_bytes(&self.mem);
        if let Some(c) = self.cfg_page() {
            img.set_page(c + 2, [0; 4]);
            img.set_page(c + 3, [0; 4]);
        }
        img
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UID: [u8; 7] = [0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0x80];

    #[test]
    fn factory_and_rules() {
        let mut t = TagState::factory(VChip::Ntag213, UID);
        assert_eq!(
            &t.mem[16..24],
            &[0x01, 0x03, 0xA0, 0x0C, 0x34, 0x03, 0x00, 0xFE]
        );
        assert_eq!(t.get_version().unwrap()[6], 0x0F);
        // CC is OTP.
        t.write(3, [0, 0, 0, 0x0F]).unwrap();
        assert_eq!(&t.mem[12..16], &[0xE1, 0x10, 0x12, 0x0F]);
        // Static lock of page 4 makes it read-only and the NAK mutes the tag.
        t.write(2, [0, 0, 0x10, 0]).unwrap();
        assert_eq!(t.write(4, [1, 2, 3, 4]), Err(Nak(0)));
        assert!(t.mute);
        assert!(t.read(0).is_err());
        t.power_cycle();
        assert!(t.read(0).is_ok());
        // Rollover past the end.
        let r = t.read(0x2C).unwrap();
        assert_eq!(&r[4..8], &t.mem[0..4]);
        assert!(t.read(0x2D).is_err());
    }

    #[test]
    fn password() {
        let mut t = TagState::factory(VChip::Ntag215, UID);
        t.protect([1, 2, 3, 4], [0xAA, 0xBB], 4, false);
        assert!(t.write(4, [0; 4]).is_err());
        t.power_cycle();
        assert!(t.read(4).is_ok());
        assert_eq!(t.read(0x85).unwrap()[..4], [0; 4]);
        assert!(t.pwd_auth([9, 9, 9, 9]).is_err());
        t.power_cycle();
        assert_eq!(t.pwd_auth([1, 2, 3, 4]), Ok([0xAA, 0xBB]));
        assert!(t.write(4, [0; 4]).is_ok());
    }

    #[test]
    fn lock_and_cfglck() {
        let mut t = TagState::factory(VChip::Ntag216, UID);
        t.lock();
        assert!(t.write(4, [0; 4]).is_err());
        t.power_cycle();
        assert!(t.write(0x80, [0; 4]).is_err());
        t.power_cycle();
        assert!(t.write(0xE3, [0; 4]).is_err());
        assert!(
            tapstand_ndef::t2t::lock_state(ChipKind::Ntag216, &t.image())
                .unwrap()
                .fully_locked
        );
    }

    #[test]
    fn classic_answers_nothing() {
        let mut t = TagState::factory(VChip::MifareClassic1k, UID);
        assert!(t.read(0).is_err());
        assert_eq!(t.uid_bytes().len(), 4);
        assert_eq!(*VChip::MifareClassic1k.atr().last().unwrap(), 0x6A);
        assert_eq!(*VChip::Ntag213.atr().last().unwrap(), 0x68);
    }
}

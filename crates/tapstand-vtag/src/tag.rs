//! The emulated chip: NTAG213/215/216 memory with the datasheet's rules (OTP CC and lock bits, static and
//! dynamic lock bits, CFG pages with CFGLCK, PWD/PACK/AUTH0/PROT, GET_VERSION, PWD_AUTH, READ_SIG), plus
//! a MIFARE Classic 1K stand-in (only its ATR and UID) and the other Type 2 chips merchants buy:
//! NTAG203, Ultralight, Ultralight C (no GET_VERSION, no FAST_READ, no password: they NAK it), NTAG210,
//! NTAG212, Ultralight EV1 MF0UL11/MF0UL21 (GET_VERSION, FAST_READ, password), an NTAG213 clone (another
//! vendor byte in GET_VERSION) and a generic Fudan-style chip (UID maker `1D`, 144 bytes, answers only
//! READ/WRITE). Each chip's dynamic lock bits are enforced with the chip's own bit map
//! ([`TagState::page_locked`]), written here independently of the engine's.
//!
//! After a NAK the chip goes mute (IDLE) until the field is cycled, as real Type 2 tags do.
//!
//! The Type 4 `VChip`s (`Ntag424Dna`, `DesfireEv2`, `St25ta02k`, `BankCard`) are ISO 14443-4 cards instead (NFC Forum Type 4: NTAG 424 DNA, DESFire, ST25TA, or
//! a bank card without the NDEF application): its files live in [`TagState::t4`] (`type4.rs`), `mem` is
//! empty and every Type 2 command fails.

use tapstand_ndef::chip::ChipKind;
use tapstand_ndef::t2t::TagImage;

use crate::type4::{T4Flavour, Type4Card};

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
    /// NFC Forum Type 4 (ISO 14443-4) cards, see [`Type4Card`]: NTAG 424 DNA as delivered.
    Ntag424Dna,
    /// MIFARE DESFire EV2 with an NDEF application.
    DesfireEv2,
    /// ST25TA02K.
    St25ta02k,
    /// An ISO 14443-4 card without the NDEF application (a bank or transit card).
    BankCard,
    /// 16 pages, 48 bytes, no GET_VERSION.
    Ultralight,
    /// 48 pages, 144 bytes, no GET_VERSION / FAST_READ (3DES authentication not emulated: NAKed).
    UltralightC,
    /// 20 pages, 48 bytes, GET_VERSION `00 04 03 01 01 00 0B 03`, CFG at page 10h.
    UltralightEv1Mf0ul11,
    /// 41 pages, 128 bytes, GET_VERSION `00 04 03 01 01 00 0E 03`, CFG at page 25h.
    UltralightEv1Mf0ul21,
    /// 20 pages, 48 bytes, GET_VERSION `00 04 04 01 01 00 0B 03`.
    Ntag210,
    /// 41 pages, 128 bytes, GET_VERSION `00 04 04 01 01 00 0E 03`, Lock Control TLV `01 03 90 0A 34`.
    Ntag212,
    /// An NTAG213 clone: GET_VERSION with vendor byte `53`, otherwise an NTAG213.
    Ntag213Clone,
    /// A Fudan FM11NT021-style domestic chip: 41 pages (144 bytes, CC `E1 10 12 00`, no Lock Control TLV:
    /// the T2T default lock rule at page 28h), no GET_VERSION / FAST_READ / READ_SIG / password.
    GenericType2,
}

impl VChip {
    pub fn kind(self) -> ChipKind {
        match self {
            VChip::Ntag213 => ChipKind::Ntag213,
            VChip::Ntag215 => ChipKind::Ntag215,
            VChip::Ntag216 => ChipKind::Ntag216,
            VChip::Ntag203 => ChipKind::Ntag203,
            VChip::MifareClassic1k => ChipKind::MifareClassic1k,
            VChip::Ultralight => ChipKind::Ultralight,
            VChip::UltralightC => ChipKind::UltralightC,
            VChip::UltralightEv1Mf0ul11 => ChipKind::UltralightEv1Mf0ul11,
            VChip::UltralightEv1Mf0ul21 => ChipKind::UltralightEv1Mf0ul21,
            VChip::Ntag210 => ChipKind::Ntag210,
            VChip::Ntag212 => ChipKind::Ntag212,
            VChip::Ntag213Clone => ChipKind::Ntag213,
            VChip::GenericType2 => ChipKind::OtherType2,
            c => c.type4().expect("Type 4").kind(),
        }
    }

    /// Every Type 2 chip the virtual tag can be.
    pub const TYPE2: [VChip; 12] = [
        VChip::Ntag213,
        VChip::Ntag215,
        VChip::Ntag216,
        VChip::Ntag203,
        VChip::Ultralight,
        VChip::UltralightC,
        VChip::UltralightEv1Mf0ul11,
        VChip::UltralightEv1Mf0ul21,
        VChip::Ntag210,
        VChip::Ntag212,
        VChip::Ntag213Clone,
        VChip::GenericType2,
    ];

    /// The chip's memory map (the generic chip's is the one its CC describes).
    pub fn geometry(self) -> Option<tapstand_ndef::chip::Geometry> {
        match self {
            VChip::GenericType2 => tapstand_ndef::chip::Geometry::from_cc([0xE1, 0x10, 0x12, 0x00]),
            c => c.kind().geometry(),
        }
    }

    /// Which native commands the chip answers (the others are NAKed and leave it mute).
    pub fn answers(self, cmd: u8) -> bool {
        let nxp_ev1_or_ntag = matches!(
            self,
            VChip::Ntag213
                | VChip::Ntag215
                | VChip::Ntag216
                | VChip::Ntag210
                | VChip::Ntag212
                | VChip::Ntag213Clone
                | VChip::UltralightEv1Mf0ul11
                | VChip::UltralightEv1Mf0ul21
        );
        match cmd {
            0x30 | 0xA2 | 0xA0 => self != VChip::MifareClassic1k && self.type4().is_none(),
            // GET_VERSION, FAST_READ, PWD_AUTH, READ_SIG, READ_CNT.
            0x60 | 0x3A | 0x1B | 0x3C | 0x39 => nxp_ev1_or_ntag,
            _ => false,
        }
    }

    /// The Type 4 card this is, if it is one.
    pub fn type4(self) -> Option<T4Flavour> {
        Some(match self {
            VChip::Ntag424Dna => T4Flavour::Ntag424Dna,
            VChip::DesfireEv2 => T4Flavour::DesfireEv2,
            VChip::St25ta02k => T4Flavour::St25ta02k,
            VChip::BankCard => T4Flavour::BankCard,
            _ => return None,
        })
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
                "ntag424" | "ntag424dna" | "424dna" | "424" => VChip::Ntag424Dna,
                "desfire" | "desfireev2" => VChip::DesfireEv2,
                "st25ta" | "st25ta02k" => VChip::St25ta02k,
                "bankcard" | "bank" | "cpucard" => VChip::BankCard,
                "ultralight" | "ul" => VChip::Ultralight,
                "ultralightc" | "ulc" => VChip::UltralightC,
                "mf0ul11" | "ultralightev1mf0ul11" | "ev111" => VChip::UltralightEv1Mf0ul11,
                "mf0ul21" | "ultralightev1mf0ul21" | "ev121" => VChip::UltralightEv1Mf0ul21,
                "ntag210" | "210" => VChip::Ntag210,
                "ntag212" | "212" => VChip::Ntag212,
                "ntag213clone" | "clone" => VChip::Ntag213Clone,
                "generic" | "generictype2" | "fudan" | "fm11nt021" => VChip::GenericType2,
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
            c if c == VChip::MifareClassic1k || c.type4().is_some() => 0,
            c => c.geometry().expect("type 2").total_pages as usize,
        }
    }

    /// The ATR a PC/SC Part 3 reader synthesises (card name 0003 = Ultralight family, 0001 = Classic 1K;
    /// readers that tell Ultralight C apart report 003A).
    pub fn atr(self) -> Vec<u8> {
        if let Some(f) = self.type4() {
            return f.atr();
        }
        let name: u8 = match self {
            VChip::MifareClassic1k => 0x01,
            VChip::UltralightC => 0x3A,
            _ => 0x03,
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
        Some(match self {
            VChip::Ntag213 => [0x00, 0x04, 0x04, 0x02, 0x01, 0x00, 0x0F, 0x03],
            VChip::Ntag215 => [0x00, 0x04, 0x04, 0x02, 0x01, 0x00, 0x11, 0x03],
            VChip::Ntag216 => [0x00, 0x04, 0x04, 0x02, 0x01, 0x00, 0x13, 0x03],
            VChip::Ntag213Clone => [0x00, 0x53, 0x04, 0x02, 0x01, 0x00, 0x0F, 0x03],
            VChip::Ntag210 => [0x00, 0x04, 0x04, 0x01, 0x01, 0x00, 0x0B, 0x03],
            VChip::Ntag212 => [0x00, 0x04, 0x04, 0x01, 0x01, 0x00, 0x0E, 0x03],
            VChip::UltralightEv1Mf0ul11 => [0x00, 0x04, 0x03, 0x01, 0x01, 0x00, 0x0B, 0x03],
            VChip::UltralightEv1Mf0ul21 => [0x00, 0x04, 0x03, 0x01, 0x01, 0x00, 0x0E, 0x03],
            _ => return None,
        })
    }

    /// The dynamic lock bits as the silicon has them: (first lock byte address, map).
    fn lock_map(self) -> Option<(usize, ChipLocks)> {
        Some(match self {
            VChip::Ntag213 | VChip::Ntag213Clone | VChip::GenericType2 => {
                (0x28 * 4, ChipLocks::Two { bits: 12 })
            }
            VChip::Ntag212 | VChip::UltralightEv1Mf0ul21 => (0x24 * 4, ChipLocks::Two { bits: 10 }),
            VChip::Ntag215 => (0x82 * 4, ChipLocks::Sixteen { bits: 8 }),
            VChip::Ntag216 => (0xE2 * 4, ChipLocks::Sixteen { bits: 14 }),
            VChip::Ntag203 | VChip::UltralightC => (0x28 * 4, ChipLocks::FourUltralight),
            _ => return None,
        })
    }
}

/// How a chip's dynamic lock bits lock pages (datasheets; NTAG203 / Ultralight C: bits 1–3 and 5–7 of
/// the first lock byte lock 4 pages each from page 16, bits 0 and 4 are block-lock bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ChipLocks {
    /// Bit `i` locks pages `16 + 2i`, `17 + 2i`.
    Two { bits: usize },
    /// Bit `i` locks pages `16 + 16i` … `31 + 16i` (NTAG215/216).
    Sixteen { bits: usize },
    /// NTAG203 / Ultralight C: 4 pages per bit, with block-lock bits in between.
    FourUltralight,
}

/// The UID manufacturer byte of Shanghai Fudan Microelectronics (ISO/IEC 7816-6).
pub const FUDAN: u8 = 0x1D;

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
    /// The files of a Type 4 card (the Type 4 `VChip`s); `None` for Type 2 tags.
    pub t4: Option<Type4Card>,
    /// A clone that claims FAST_READ in its GET_VERSION but NAKs it (for the engine's fallback test).
    pub no_fast_read: bool,
    /// How the chip answers READ_SIG (chips without READ_SIG always NAK it).
    pub signature: SigMode,
    /// A card with a random UID (ISO/IEC 14443-3 random ID, DESFire with random ID): a 4-byte UID starting
    /// `08` that changes at every activation; the number counts the activations.
    pub random_uid: Option<u32>,
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
        if let Some(g) = chip.geometry() {
            t.mem[12..16].copy_from_slice(&g.factory_cc.expect("factory cc"));
            let mut tlvs: Vec<u8> = chip.kind().factory_prefix().to_vec();
            tlvs.extend_from_slice(&[0x03, 0x00, 0xFE]);
            t.mem[16..16 + tlvs.len()].copy_from_slice(&tlvs);
        }
        t
    }

    /// A blank tag: CC all zero, user memory all zero (formattable). The generic (Fudan-style) chip
    /// gets its maker's UID byte `1D` in place of NXP's `04`.
    pub fn blank(chip: VChip, mut uid: [u8; 7]) -> TagState {
        if chip == VChip::GenericType2 && uid[0] == 0x04 {
            uid[0] = FUDAN;
        }
        let mut mem = vec![0u8; chip.total_pages() * 4];
        if chip.total_pages() > 0 {
            let bcc0 = 0x88 ^ uid[0] ^ uid[1] ^ uid[2];
            let bcc1 = uid[3] ^ uid[4] ^ uid[5] ^ uid[6];
            mem[0..12].copy_from_slice(&[
                uid[0], uid[1], uid[2], bcc0, uid[3], uid[4], uid[5], uid[6], bcc1, 0x48, 0, 0,
            ]);
            if let Some(g) = chip.geometry() {
                if let (Some(d), Some(_)) = (g.dyn_lock_page, g.cfg_page) {
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
            t4: chip.type4().map(Type4Card::delivery),
            no_fast_read: false,
            signature: SigMode::Signed,
            random_uid: None,
        }
    }

    /// The card answers a new random 4-byte UID (`08 xx xx xx`) at every activation.
    pub fn with_random_uid(mut self) -> TagState {
        self.random_uid = Some(0);
        self
    }

    /// A Type 4 card (`chip` one of the Type 4 [`VChip`]s) with `uid`, changed by `f` (e.g.
    /// `|c| c.read_only()`).
    pub fn type4(chip: VChip, uid: [u8; 7], f: impl FnOnce(Type4Card) -> Type4Card) -> TagState {
        let mut t = TagState::blank(chip, uid);
        t.t4 = t.t4.map(f);
        t
    }

    /// A factory tag that already holds `message` (encoded NDEF) in the factory layout. Every Type 2 chip
    /// but the MIFARE Classic stand-in ships NDEF formatted (as NFC tags are sold).
    pub fn with_message(chip: VChip, uid: [u8; 7], message: &[u8]) -> TagState {
        if chip.type4().is_some() {
            return TagState::type4(chip, uid, |c| c.with_message(message));
        }
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

    /// The chip's PWD as it holds it (a read never shows it; tests look here).
    pub fn pwd(&self) -> [u8; 4] {
        let cfg = self.cfg_page().expect("NTAG") * 4;
        [
            self.mem[cfg + 8],
            self.mem[cfg + 9],
            self.mem[cfg + 10],
            self.mem[cfg + 11],
        ]
    }

    /// The pages the chip programs atomically (anti-tearing): the static lock bytes, the CC and the
    /// dynamic lock page. Every other page can tear ([`crate::tear`]).
    pub fn atomic_pages(&self) -> Vec<usize> {
        [Some(2), Some(3), self.dyn_lock_page()]
            .into_iter()
            .flatten()
            .collect()
    }

    pub fn uid_bytes(&self) -> Vec<u8> {
        if let Some(n) = self.random_uid {
            let h = (n.wrapping_add(1)).wrapping_mul(0x9E37_79B9).to_be_bytes();
            return vec![0x08, h[0], h[1], h[2]];
        }
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
            .geometry()
            .and_then(|g| g.cfg_page)
            .map(|p| p as usize)
    }

    fn dyn_lock_page(&self) -> Option<usize> {
        self.chip
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
        if let Some(n) = &mut self.random_uid {
            *n = n.wrapping_add(1);
        }
        self.authenticated = false;
        self.mute = false;
        if let Some(c) = &mut self.t4 {
            c.power_cycle();
        }
        if let Some(c) = self.cfg_page() {
            self.cfglck_active = self.mem[(c + 1) * 4] & 0x40 != 0;
        }
    }

    fn nak(&mut self, code: u8) -> Nak {
        self.mute = true;
        Nak(code)
    }

    fn check_alive(&mut self) -> Result<(), Nak> {
        if self.mute || self.chip.total_pages() == 0 {
            self.mute = true;
            return Err(Nak(0xFF));
        }
        Ok(())
    }

    /// Is page `p` locked by a static or dynamic lock bit? The chip's own bit map (see [`ChipLocks`]),
    /// not the engine's reading of the TLVs.
    pub fn page_locked(&self, p: usize) -> bool {
        let (l0, l1) = (self.mem[10], self.mem[11]);
        if (3..=7).contains(&p) {
            return l0 & (1 << p) != 0;
        }
        if (8..=15).contains(&p) {
            return l1 & (1 << (p - 8)) != 0;
        }
        let user_last = self.chip.geometry().map(|g| g.user_last_page as usize);
        if p < 16 || user_last.is_none_or(|u| p > u) {
            return false;
        }
        let Some((addr, map)) = self.chip.lock_map() else {
            return false;
        };
        let bit = |i: usize| self.mem[addr + i / 8] & (1 << (i % 8)) != 0;
        match map {
            ChipLocks::Two { bits } => (p - 16) / 2 < bits && bit((p - 16) / 2),
            ChipLocks::Sixteen { bits } => (p - 16) / 16 < bits && bit((p - 16) / 16),
            ChipLocks::FourUltralight => {
                let g = (p - 16) / 4;
                g < 6 && bit([1, 2, 3, 5, 6, 7][g])
            }
        }
    }

    /// Would a WRITE of page `p` be refused for want of PWD_AUTH (the reader doubles' `69 82`)?
    pub fn write_protected(&self, p: usize) -> bool {
        p >= self.auth0() && !self.authenticated
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
    /// A command the chip does not have (GET_VERSION on an NTAG203, FAST_READ on an Ultralight C, …) is
    /// NAKed and leaves it mute, as the real chips do.
    pub fn native(&mut self, cmd: &[u8]) -> Result<Vec<u8>, Nak> {
        if cmd
            .first()
            .is_some_and(|&c| !self.chip.answers(c) || (c == 0x3A && self.no_fast_read))
        {
            self.check_alive()?;
            return Err(self.nak(0x0));
        }
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

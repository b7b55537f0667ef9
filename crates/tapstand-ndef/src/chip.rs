//! Chip identification: from the ATR the reader synthesises (PC/SC Part 3), from GET_VERSION (when the
//! reader passes native commands through), the UID's manufacturer byte and the Capability Container.
//! Every NFC Forum Type 2 tag whose data area holds the WeChat message is written: NTAG21x, NTAG203,
//! Ultralight C, Ultralight EV1 MF0UL21 and any other Type 2 tag (clones, Fudan FM11NT0xx) whose memory
//! is taken from its CC and TLVs ([`Geometry::from_cc`]). 48-byte tags are recognised and refused as
//! too small; the others are recognised so the merchant is told plainly what the tag is.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ChipKind {
    Ntag213,
    Ntag215,
    Ntag216,
    Ntag210,
    Ntag212,
    Ntag203,
    Ultralight,
    UltralightC,
    UltralightEv1Mf0ul11,
    UltralightEv1Mf0ul21,
    MifareClassic1k,
    MifareClassic4k,
    MifareMini,
    MifarePlus,
    /// An ISO 14443-4 card (bank card, transit card, DESFire, a phone in card emulation).
    Iso14443_4,
    /// A Type 2 tag whose exact model could not be told apart (a clone, a Fudan FM11NT0xx, a chip that
    /// does not answer GET_VERSION): its memory is taken from the Capability Container and the TLVs.
    OtherType2,
    /// NTAG 424 DNA: the first of the NFC Forum Type 4 tags (an ISO 14443-4 card with the NDEF Tag
    /// Application, see [`crate::t4t`]).
    Ntag424Dna,
    /// MIFARE DESFire (EV1/EV2/EV3) with an NDEF application, or another NXP Type 4 tag.
    Desfire,
    /// ST25TA (STMicroelectronics).
    St25ta,
    /// A Type 4 tag of unknown make.
    Type4,
    Unknown,
}

/// How the chip was identified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum IdentifiedBy {
    GetVersion,
    CapabilityContainer,
    Atr,
    Nothing,
}

/// Memory geometry of a Type 2 chip (page numbers; 4-byte pages).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Geometry {
    pub total_pages: u16,
    pub user_first_page: u16,
    pub user_last_page: u16,
    /// Dynamic lock bytes page (NTAG21x: CFG0 − 1).
    pub dyn_lock_page: Option<u16>,
    /// CFG0 (`MIRROR, RFUI, MIRROR_PAGE, AUTH0`); CFG1 = +1, PWD = +2, PACK = +3.
    pub cfg_page: Option<u16>,
    /// The Capability Container as delivered.
    pub factory_cc: Option<[u8; 4]>,
}

impl Geometry {
    pub fn user_bytes(&self) -> usize {
        (self.user_last_page as usize + 1 - self.user_first_page as usize) * 4
    }

    /// The memory of a Type 2 tag known only by its Capability Container (NFC Forum T2T rules, nfcpy
    /// `tt2.py`): the data area is `CC[2] × 8` bytes from page 4; a data area over 48 bytes has dynamic
    /// lock bytes right after it (the default rule: `(size − 48 + 7) / 8` bits) unless a Lock Control TLV
    /// says otherwise ([`crate::t2t::dyn_lock_areas`]). No configuration pages: nothing is assumed about
    /// a password. `None` for a CC that is not NDEF or announces no data area.
    pub fn from_cc(cc: [u8; 4]) -> Option<Geometry> {
        if cc[0] != 0xE1 || cc[1] >> 4 != 1 || cc[2] == 0 {
            return None;
        }
        let data = cc[2] as usize * 8;
        let user_last = 3 + data / 4;
        let lock_pages = if data > 48 {
            let bits = (data - 48).div_ceil(8);
            bits.div_ceil(8).div_ceil(4)
        } else {
            0
        };
        Some(Geometry {
            total_pages: (user_last + 1 + lock_pages) as u16,
            user_first_page: 4,
            user_last_page: user_last as u16,
            dyn_lock_page: (lock_pages > 0).then_some(user_last as u16 + 1),
            cfg_page: None,
            factory_cc: Some(cc),
        })
    }
}

impl ChipKind {
    pub fn geometry(self) -> Option<Geometry> {
        let g = |total, last, dynl, cfg, cc2: Option<u8>| Geometry {
            total_pages: total,
            user_first_page: 4,
            user_last_page: last,
            dyn_lock_page: dynl,
            cfg_page: cfg,
            factory_cc: cc2.map(|s| [0xE1, 0x10, s, 0x00]),
        };
        Some(match self {
            ChipKind::Ntag213 => g(45, 0x27, Some(0x28), Some(0x29), Some(0x12)),
            ChipKind::Ntag215 => g(135, 0x81, Some(0x82), Some(0x83), Some(0x3E)),
            ChipKind::Ntag216 => g(231, 0xE1, Some(0xE2), Some(0xE3), Some(0x6D)),
            ChipKind::Ntag210 => g(20, 0x0F, None, Some(0x10), Some(0x06)),
            ChipKind::Ntag212 => g(41, 0x23, Some(0x24), Some(0x25), Some(0x10)),
            ChipKind::UltralightEv1Mf0ul11 => g(20, 0x0F, None, Some(0x10), Some(0x06)),
            ChipKind::UltralightEv1Mf0ul21 => g(41, 0x23, Some(0x24), Some(0x25), Some(0x10)),
            ChipKind::Ultralight => g(16, 0x0F, None, None, Some(0x06)),
            ChipKind::UltralightC => g(48, 0x27, Some(0x28), None, Some(0x12)),
            ChipKind::Ntag203 => g(42, 0x27, Some(0x28), None, Some(0x12)),
            _ => return None,
        })
    }

    /// The bytes a factory-fresh chip holds at page 4 (NFC Forum TLVs), used when formatting a blank tag.
    /// NTAG213 keeps NXP's Lock Control TLV (dynamic lock bytes at page 28h, 12 bits); NTAG203 and
    /// Ultralight C theirs (`01 03 A0 10 44`: page 28h, 16 bits, 16 bytes per bit).
    pub fn factory_prefix(self) -> &'static [u8] {
        match self {
            ChipKind::Ntag213 => &[0x01, 0x03, 0xA0, 0x0C, 0x34],
            ChipKind::Ntag212 => &[0x01, 0x03, 0x90, 0x0A, 0x34],
            ChipKind::Ntag203 | ChipKind::UltralightC => &[0x01, 0x03, 0xA0, 0x10, 0x44],
            _ => &[],
        }
    }

    /// Can Tapstand write WeChat tags on this kind of chip? Every Type 2 tag with room: the NTAG21x with
    /// 128 bytes or more, NTAG203, Ultralight C, Ultralight EV1 MF0UL21, and other Type 2 tags (whose
    /// room [`identify`] checks in their CC). The 48-byte chips are [`too_small`](Self::too_small).
    pub fn write_supported(self) -> bool {
        matches!(
            self,
            ChipKind::Ntag213
                | ChipKind::Ntag215
                | ChipKind::Ntag216
                | ChipKind::Ntag212
                | ChipKind::Ntag203
                | ChipKind::UltralightC
                | ChipKind::UltralightEv1Mf0ul21
                | ChipKind::OtherType2
        ) || self.is_type4()
    }

    /// An NFC Forum Type 4 tag (NDEF Tag Application found).
    pub fn is_type4(self) -> bool {
        matches!(
            self,
            ChipKind::Ntag424Dna | ChipKind::Desfire | ChipKind::St25ta | ChipKind::Type4
        )
    }

    /// Can Tapstand make this tag permanently read-only? Not Type 4 tags: NTAG 424 DNA and DESFire need
    /// their file settings changed under an authenticated (AES) session with the card's master key, and
    /// ST25TA a proprietary command; Tapstand keeps no such keys.
    pub fn lockable(self) -> bool {
        !self.is_type4()
    }

    /// A Type 2 chip with only 48 bytes: the WeChat message (about 72 bytes) does not fit.
    pub fn too_small(self) -> bool {
        matches!(
            self,
            ChipKind::Ntag210 | ChipKind::UltralightEv1Mf0ul11 | ChipKind::Ultralight
        )
    }

    /// PWD_AUTH write protection and CFGLCK: NTAG21x and Ultralight EV1 (the chips with CFG pages).
    pub fn has_password(self) -> bool {
        self.geometry().is_some_and(|g| g.cfg_page.is_some())
    }

    /// FAST_READ (3Ah): NTAG21x and Ultralight EV1; NTAG203, Ultralight and Ultralight C NAK it.
    pub fn has_fast_read(self) -> bool {
        self.is_ntag21x()
            || matches!(
                self,
                ChipKind::UltralightEv1Mf0ul11 | ChipKind::UltralightEv1Mf0ul21
            )
    }

    pub fn is_ntag21x(self) -> bool {
        matches!(
            self,
            ChipKind::Ntag213
                | ChipKind::Ntag215
                | ChipKind::Ntag216
                | ChipKind::Ntag210
                | ChipKind::Ntag212
        )
    }

    pub fn is_type2(self) -> bool {
        !matches!(
            self,
            ChipKind::MifareClassic1k
                | ChipKind::MifareClassic4k
                | ChipKind::MifareMini
                | ChipKind::MifarePlus
                | ChipKind::Iso14443_4
                | ChipKind::Unknown
        ) && !self.is_type4()
    }

    /// The spelling stored in the station's records (`station_attempts.chip`, `station_tags.chip`; the
    /// history shows it upper-cased). Fixed per chip, independent of the variant names: renaming a
    /// variant must not change what existing databases hold.
    pub fn stored_name(self) -> &'static str {
        match self {
            ChipKind::Ntag213 => "ntag213",
            ChipKind::Ntag215 => "ntag215",
            ChipKind::Ntag216 => "ntag216",
            ChipKind::Ntag210 => "ntag210",
            ChipKind::Ntag212 => "ntag212",
            ChipKind::Ntag203 => "ntag203",
            ChipKind::Ultralight => "ultralight",
            ChipKind::UltralightC => "ultralightc",
            ChipKind::UltralightEv1Mf0ul11 => "ultralightev1mf0ul11",
            ChipKind::UltralightEv1Mf0ul21 => "ultralightev1mf0ul21",
            ChipKind::MifareClassic1k => "mifareclassic1k",
            ChipKind::MifareClassic4k => "mifareclassic4k",
            ChipKind::MifareMini => "mifaremini",
            ChipKind::MifarePlus => "mifareplus",
            ChipKind::Iso14443_4 => "iso14443_4",
            ChipKind::OtherType2 => "othertype2",
            ChipKind::Ntag424Dna => "ntag424dna",
            ChipKind::Desfire => "desfire",
            ChipKind::St25ta => "st25ta",
            ChipKind::Type4 => "type4",
            ChipKind::Unknown => "unknown",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ChipKind::Ntag213 => "NTAG213",
            ChipKind::Ntag215 => "NTAG215",
            ChipKind::Ntag216 => "NTAG216",
            ChipKind::Ntag210 => "NTAG210",
            ChipKind::Ntag212 => "NTAG212",
            ChipKind::Ntag203 => "NTAG203",
            ChipKind::Ultralight => "MIFARE Ultralight",
            ChipKind::UltralightC => "MIFARE Ultralight C",
            ChipKind::UltralightEv1Mf0ul11 => "MIFARE Ultralight EV1 (MF0UL11)",
            ChipKind::UltralightEv1Mf0ul21 => "MIFARE Ultralight EV1 (MF0UL21)",
            ChipKind::MifareClassic1k => "MIFARE Classic 1K",
            ChipKind::MifareClassic4k => "MIFARE Classic 4K",
            ChipKind::MifareMini => "MIFARE Mini",
            ChipKind::MifarePlus => "MIFARE Plus",
            ChipKind::Iso14443_4 => "ISO 14443-4 card",
            ChipKind::OtherType2 => "NFC Type 2 tag",
            ChipKind::Ntag424Dna => "NTAG 424 DNA",
            ChipKind::Desfire => "MIFARE DESFire",
            ChipKind::St25ta => "ST25TA",
            ChipKind::Type4 => "NFC Type 4 tag",
            ChipKind::Unknown => "unknown card",
        }
    }

    /// What the chip is, in plain words (Chinese): the maker and family, without model jargon where a
    /// merchant would not know it.
    pub fn plain_name_zh(self) -> &'static str {
        match self {
            ChipKind::Ntag213 => "NXP NTAG213 标签",
            ChipKind::Ntag215 => "NXP NTAG215 标签",
            ChipKind::Ntag216 => "NXP NTAG216 标签",
            ChipKind::Ntag210 => "NXP NTAG210 小容量标签",
            ChipKind::Ntag212 => "NXP NTAG212 标签",
            ChipKind::Ntag203 => "NXP NTAG203 标签（老款）",
            ChipKind::Ultralight => "MIFARE Ultralight 小容量标签（老款）",
            ChipKind::UltralightC => "MIFARE Ultralight C 标签",
            ChipKind::UltralightEv1Mf0ul11 => "MIFARE Ultralight EV1 小容量标签（MF0UL11）",
            ChipKind::UltralightEv1Mf0ul21 => "MIFARE Ultralight EV1 标签（MF0UL21）",
            ChipKind::MifareClassic1k => "MIFARE Classic 1K 卡（门禁卡、会员卡常用）",
            ChipKind::MifareClassic4k => "MIFARE Classic 4K 卡",
            ChipKind::MifareMini => "MIFARE Mini 卡",
            ChipKind::MifarePlus => "MIFARE Plus 卡",
            ChipKind::Iso14443_4 => "CPU 卡或手机",
            ChipKind::OtherType2 => "兼容 NFC 标签（Type 2，国产或兼容芯片）",
            ChipKind::Ntag424Dna => "NXP NTAG 424 DNA 标签（Type 4）",
            ChipKind::Desfire => "MIFARE DESFire 卡（带 NDEF 应用，Type 4）",
            ChipKind::St25ta => "ST25TA 标签（意法半导体，Type 4）",
            ChipKind::Type4 => "NFC Type 4 标签",
            ChipKind::Unknown => "无法识别的卡",
        }
    }

    pub fn plain_name_en(self) -> &'static str {
        match self {
            ChipKind::Ntag213 => "NXP NTAG213 tag",
            ChipKind::Ntag215 => "NXP NTAG215 tag",
            ChipKind::Ntag216 => "NXP NTAG216 tag",
            ChipKind::Ntag210 => "NXP NTAG210 small tag",
            ChipKind::Ntag212 => "NXP NTAG212 tag",
            ChipKind::Ntag203 => "NXP NTAG203 tag (older model)",
            ChipKind::Ultralight => "MIFARE Ultralight small tag (older model)",
            ChipKind::UltralightC => "MIFARE Ultralight C tag",
            ChipKind::UltralightEv1Mf0ul11 => "MIFARE Ultralight EV1 small tag (MF0UL11)",
            ChipKind::UltralightEv1Mf0ul21 => "MIFARE Ultralight EV1 tag (MF0UL21)",
            ChipKind::MifareClassic1k => "MIFARE Classic 1K card (access and loyalty cards)",
            ChipKind::MifareClassic4k => "MIFARE Classic 4K card",
            ChipKind::MifareMini => "MIFARE Mini card",
            ChipKind::MifarePlus => "MIFARE Plus card",
            ChipKind::Iso14443_4 => "smart card or phone",
            ChipKind::OtherType2 => "compatible NFC tag (Type 2, domestic or compatible chip)",
            ChipKind::Ntag424Dna => "NXP NTAG 424 DNA tag (Type 4)",
            ChipKind::Desfire => "MIFARE DESFire card (with an NDEF application, Type 4)",
            ChipKind::St25ta => "ST25TA tag (STMicroelectronics, Type 4)",
            ChipKind::Type4 => "NFC Type 4 tag",
            ChipKind::Unknown => "unrecognised card",
        }
    }

    /// One line, Chinese, about what Tapstand does with this chip.
    pub fn support_zh(self) -> &'static str {
        match self {
            k if k.is_type4() => "支持：这是 NFC Forum Type 4 标签，可以写入微信碰一碰内容；Tapstand 不能把它永久锁定。",
            k if k.write_supported() => "支持：可以写入微信碰一碰内容。",
            k if k.too_small() => {
                "容量太小：这种标签只有 48 字节，放不下微信碰一碰链接（约 72 字节）。请换 NTAG213/215/216 或其他 144 字节以上的 NFC 标签。"
            }
            ChipKind::MifareClassic1k | ChipKind::MifareClassic4k | ChipKind::MifareMini | ChipKind::MifarePlus => {
                "不支持：这是 MIFARE Classic/Plus 卡（门禁卡、会员卡常用），手机碰一碰读不到。请换 NTAG213/215/216 标签。"
            }
            ChipKind::Iso14443_4 => "不支持：这是银行卡、公交卡之类的 CPU 卡（或手机），里面没有 NFC 标签内容（NDEF），不能写入。请换 NTAG213/215/216 标签。",
            _ => "只能查看，不能写入：请使用 NTAG213/215/216 标签。",
        }
    }

    pub fn support_en(self) -> &'static str {
        match self {
            k if k.is_type4() => "Supported: an NFC Forum Type 4 tag; WeChat tap-to-open content can be written. Tapstand cannot lock it permanently.",
            k if k.write_supported() => "Supported: WeChat tap-to-open content can be written.",
            k if k.too_small() => {
                "Too small: this tag has only 48 bytes and the WeChat link (about 72 bytes) does not fit. Use NTAG213/215/216 or another NFC tag with 144 bytes or more."
            }
            ChipKind::MifareClassic1k | ChipKind::MifareClassic4k | ChipKind::MifareMini | ChipKind::MifarePlus => {
                "Not supported: this is a MIFARE Classic/Plus card (access or loyalty cards); phones cannot read it as an NFC tag. Use NTAG213/215/216 tags."
            }
            ChipKind::Iso14443_4 => "Not supported: this is a smart card (bank, transit) or a phone without NFC tag (NDEF) content; it cannot be written. Use NTAG213/215/216 tags.",
            _ => "Read only in Tapstand: use NTAG213/215/216 tags for writing.",
        }
    }
}

/// The sentence the inspector and the station show about a chip: what it is, how much it holds, what
/// it can do (zh, en). `data_bytes` is the NDEF data area (the CC's size), when known.
pub fn describe(kind: ChipKind, data_bytes: Option<usize>) -> (String, String) {
    if !kind.is_type4() && (!kind.is_type2() || kind == ChipKind::Unknown) {
        return (kind.plain_name_zh().into(), kind.plain_name_en().into());
    }
    let (mut zh, mut en) = (
        kind.plain_name_zh().to_string(),
        kind.plain_name_en().to_string(),
    );
    if let Some(n) = data_bytes {
        zh.push_str(&format!("，容量 {n} 字节"));
        en.push_str(&format!(", {n} bytes"));
    }
    if kind.is_type4() {
        zh.push_str("，可以写入碰一碰内容，Tapstand 不能把它永久锁定，也不设写入密码。");
        en.push_str(
            ", holds the WeChat link; Tapstand cannot lock it permanently or set a write password.",
        );
        return (zh, en);
    }
    if kind.too_small() || data_bytes.is_some_and(|n| n < MIN_DATA_BYTES) {
        zh.push_str("，放不下微信碰一碰链接");
        en.push_str(", too small for the WeChat link");
    } else {
        zh.push_str("，可以写入碰一碰内容");
        en.push_str(", holds the WeChat link");
    }
    zh.push_str("，可以永久锁定");
    en.push_str(", can be locked permanently");
    if kind.has_password() {
        zh.push_str("，可以设写入密码。");
        en.push_str(", can have a write password.");
    } else {
        zh.push_str("，没有密码功能。");
        en.push_str(", has no password feature.");
    }
    (zh, en)
}

/// The smallest data area (CC size) Tapstand writes: the WeChat message is about 72 bytes, so 48-byte
/// tags are refused and 96 bytes is the first CC size that holds it with the TLV header.
pub const MIN_DATA_BYTES: usize = 96;

/// What the ATR says about the card (PC/SC Part 3 §3.1.3.2.3 storage-card ATR).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AtrInfo {
    /// `SS`: 03 = ISO 14443A part 3.
    pub standard: Option<u8>,
    /// `NN NN`: 0003 = Ultralight family (NTAG21x report this too), 0001 = Classic 1K, ...
    pub card_name: Option<u16>,
    pub hint: ChipKind,
}

/// Parses the Part 3 storage-card ATR `3B 8F 80 01 80 4F 0C A0 00 00 03 06 SS NN NN 00 00 00 00 TCK`.
pub fn parse_atr(atr: &[u8]) -> AtrInfo {
    const RID: [u8; 8] = [0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06];
    if atr.len() >= 15 && atr[0] == 0x3B && (atr[1] & 0xF0) == 0x80 && atr[4..12] == RID {
        let ss = atr[12];
        let nn = u16::from_be_bytes([atr[13], atr[14]]);
        let hint = match nn {
            0x0001 => ChipKind::MifareClassic1k,
            0x0002 => ChipKind::MifareClassic4k,
            0x0026 => ChipKind::MifareMini,
            0x0036..=0x0039 => ChipKind::MifarePlus,
            0x003A => ChipKind::UltralightC,
            0x003D => ChipKind::UltralightEv1Mf0ul21,
            0x0003 => ChipKind::OtherType2,
            _ => ChipKind::Unknown,
        };
        return AtrInfo {
            standard: Some(ss),
            card_name: Some(nn),
            hint,
        };
    }
    // A contactless ISO 14443-4 card: 3B 8n 80 01 + historical bytes (no 4F AID DO).
    if atr.len() >= 4
        && atr[0] == 0x3B
        && (atr[1] & 0xF0) == 0x80
        && atr[2] == 0x80
        && atr[3] == 0x01
    {
        return AtrInfo {
            standard: None,
            card_name: None,
            hint: ChipKind::Iso14443_4,
        };
    }
    AtrInfo {
        standard: None,
        card_name: None,
        hint: ChipKind::Unknown,
    }
}

/// Identifies from the 8-byte GET_VERSION answer (vendor 04 = NXP; product 04 = NTAG, 03 = Ultralight).
/// Matches on product type and storage size only, as NTAG21xF and clones differ in the other bytes.
pub fn from_get_version(v: &[u8]) -> Option<ChipKind> {
    if v.len() < 7 {
        return None;
    }
    match (v[2], v[6]) {
        (0x04, 0x0F) => Some(ChipKind::Ntag213),
        (0x04, 0x11) => Some(ChipKind::Ntag215),
        (0x04, 0x13) => Some(ChipKind::Ntag216),
        (0x04, 0x0B) => Some(ChipKind::Ntag210),
        (0x04, 0x0E) => Some(ChipKind::Ntag212),
        (0x03, 0x0B) => Some(ChipKind::UltralightEv1Mf0ul11),
        (0x03, 0x0E) => Some(ChipKind::UltralightEv1Mf0ul21),
        (0x04 | 0x03, _) => Some(ChipKind::OtherType2),
        _ => None,
    }
}

/// Best guess from the CC size byte when the reader cannot ask the chip (no GET_VERSION pass-through).
/// 0x12 is shared by NTAG213, NTAG203 and Ultralight C; it is taken as NTAG213 (what is sold for NFC
/// stands today) when the UID says NXP, as a generic Type 2 tag otherwise.
pub fn from_cc(cc: [u8; 4]) -> Option<ChipKind> {
    from_cc_uid(cc, None)
}

/// [`from_cc`] knowing the UID's manufacturer byte (`04` = NXP): a chip from another maker is never
/// taken for an NXP model; its memory comes from its CC.
pub fn from_cc_uid(cc: [u8; 4], uid0: Option<u8>) -> Option<ChipKind> {
    if cc[0] != 0xE1 {
        return None;
    }
    if uid0.is_some_and(|u| u != NXP) {
        // Another maker's chip is never given NXP's memory map or lock layout on the strength of a CC size
        // that happens to match an NTAG's: it is sized by its CC and locked where its Lock Control TLVs
        // (else the T2T default rule) say. Only a chip identified as NXP's — by its UID's manufacturer
        // byte, or by GET_VERSION — gets NXP's layout.
        return Some(ChipKind::OtherType2);
    }
    match cc[2] {
        0x12 => Some(ChipKind::Ntag213),
        0x3E => Some(ChipKind::Ntag215),
        0x6D => Some(ChipKind::Ntag216),
        0x06 => Some(ChipKind::Ultralight),
        0x10 => Some(ChipKind::Ntag212),
        _ => Some(ChipKind::OtherType2),
    }
}

/// The identification result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ChipInfo {
    pub kind: ChipKind,
    pub name: String,
    pub identified_by: IdentifiedBy,
    /// GET_VERSION answer, hex, when the reader could pass it through.
    pub version_hex: Option<String>,
    pub write_supported: bool,
    pub support_zh: String,
    pub support_en: String,
    pub geometry: Option<Geometry>,
    /// The NDEF data area in bytes (the CC's size; a generic tag's own CC), when known.
    pub capacity_bytes: Option<u32>,
    /// The chip can be made permanently read-only (CC, static and dynamic lock bits).
    pub can_lock: bool,
    /// The chip has a write password (PWD_AUTH) and CFGLCK: NTAG21x and Ultralight EV1.
    pub has_password: bool,
    /// What the chip is, how much it holds and what it can do, in plain words (see [`describe`]).
    pub description_zh: String,
    pub description_en: String,
}

/// The UID manufacturer byte (ISO/IEC 7816-6) of NXP.
pub const NXP: u8 = 0x04;

/// Combines ATR, GET_VERSION (if any) and CC (if any).
/// `version_nak`: the reader passed GET_VERSION through but the tag did not answer (NTAG203 / Ultralight).
pub fn identify(
    atr: &[u8],
    version: Option<&[u8]>,
    version_nak: bool,
    cc: Option<[u8; 4]>,
) -> ChipInfo {
    identify_uid(atr, version, version_nak, cc, None)
}

/// [`identify`] knowing the UID's first byte (the manufacturer): a tag that does not answer GET_VERSION
/// is an NTAG203 or Ultralight only if it is from NXP; clones and domestic chips (Fudan `1D`, …) are
/// generic Type 2 tags whose geometry comes from their CC.
pub fn identify_uid(
    atr: &[u8],
    version: Option<&[u8]>,
    version_nak: bool,
    cc: Option<[u8; 4]>,
    uid0: Option<u8>,
) -> ChipInfo {
    let a = parse_atr(atr);
    let nxp = uid0.is_none_or(|u| u == NXP);
    let (kind, by) = if matches!(
        a.hint,
        ChipKind::MifareClassic1k
            | ChipKind::MifareClassic4k
            | ChipKind::MifareMini
            | ChipKind::MifarePlus
            | ChipKind::Iso14443_4
    ) {
        (a.hint, IdentifiedBy::Atr)
    } else if let Some(k) = version.and_then(from_get_version) {
        (k, IdentifiedBy::GetVersion)
    } else if version_nak {
        // No GET_VERSION: an old NTAG203 or a first-generation Ultralight (or Ultralight C) if from NXP;
        // otherwise a clone or domestic chip, known by its CC.
        let formatted = cc.is_some_and(|c| Geometry::from_cc(c).is_some());
        match cc.map(|c| c[2]) {
            _ if a.hint == ChipKind::UltralightC && nxp => {
                (ChipKind::UltralightC, IdentifiedBy::Atr)
            }
            Some(0x12) if nxp => (ChipKind::Ntag203, IdentifiedBy::CapabilityContainer),
            Some(0x06) | Some(0x00) if nxp => {
                (ChipKind::Ultralight, IdentifiedBy::CapabilityContainer)
            }
            _ if formatted => (ChipKind::OtherType2, IdentifiedBy::CapabilityContainer),
            _ if nxp => (ChipKind::Ultralight, IdentifiedBy::CapabilityContainer),
            _ => (ChipKind::OtherType2, IdentifiedBy::Nothing),
        }
    } else if let Some(k) = cc.and_then(|c| from_cc_uid(c, uid0)) {
        if a.hint == ChipKind::UltralightC || a.hint == ChipKind::UltralightEv1Mf0ul21 {
            (a.hint, IdentifiedBy::Atr)
        } else {
            (k, IdentifiedBy::CapabilityContainer)
        }
    } else if a.hint != ChipKind::Unknown {
        (a.hint, IdentifiedBy::Atr)
    } else {
        (ChipKind::Unknown, IdentifiedBy::Nothing)
    };
    let geometry = kind.geometry().or_else(|| {
        (kind == ChipKind::OtherType2)
            .then(|| cc.and_then(Geometry::from_cc))
            .flatten()
    });
    // A generic tag's room is its CC's data area; a 48-byte one cannot hold the WeChat link.
    let data_bytes = match kind {
        ChipKind::OtherType2 => geometry.map(|g| g.user_bytes()),
        k => k
            .geometry()
            .and_then(|g| g.factory_cc)
            .map(|c| c[2] as usize * 8),
    };
    let roomy = data_bytes.is_none_or(|n| n >= MIN_DATA_BYTES);
    let write_supported = kind.write_supported() && geometry.is_some() && roomy;
    let (support_zh, support_en) = if kind.write_supported() && !roomy {
        (
            ChipKind::Ultralight.support_zh(),
            ChipKind::Ultralight.support_en(),
        )
    } else {
        (kind.support_zh(), kind.support_en())
    };
    let (description_zh, description_en) = describe(kind, data_bytes);
    ChipInfo {
        kind,
        name: kind.name().to_string(),
        identified_by: by,
        version_hex: version.map(crate::view::hex),
        write_supported,
        support_zh: support_zh.into(),
        support_en: support_en.into(),
        geometry,
        capacity_bytes: data_bytes.map(|n| n as u32),
        can_lock: kind.is_type2() && kind != ChipKind::Unknown,
        has_password: kind.has_password(),
        description_zh,
        description_en,
    }
}

/// The identification result for a chip told apart by other means (a Type 4 tag's CC, see
/// [`crate::t4t::identify`]); `capacity`: the room for an NDEF message, when known.
pub fn info_for(kind: ChipKind, by: IdentifiedBy, capacity: Option<usize>) -> ChipInfo {
    let (description_zh, description_en) = describe(kind, capacity);
    ChipInfo {
        kind,
        name: kind.name().to_string(),
        identified_by: by,
        version_hex: None,
        write_supported: kind.write_supported(),
        support_zh: kind.support_zh().into(),
        support_en: kind.support_en().into(),
        geometry: kind.geometry(),
        capacity_bytes: capacity.map(|n| n as u32),
        can_lock: kind.is_type2() && kind != ChipKind::Unknown,
        has_password: kind.has_password(),
        description_zh,
        description_en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UL_ATR: [u8; 20] = [
        0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0, 0, 0x03, 0x06, 0x03, 0x00, 0x03, 0, 0,
        0, 0, 0x68,
    ];

    #[test]
    fn versions() {
        assert_eq!(
            from_get_version(&[0, 4, 4, 2, 1, 0, 0x0F, 3]),
            Some(ChipKind::Ntag213)
        );
        assert_eq!(
            from_get_version(&[0, 4, 4, 2, 1, 0, 0x11, 3]),
            Some(ChipKind::Ntag215)
        );
        assert_eq!(
            from_get_version(&[0, 4, 4, 2, 1, 0, 0x13, 3]),
            Some(ChipKind::Ntag216)
        );
        assert_eq!(
            from_get_version(&[0, 4, 4, 4, 1, 0, 0x13, 3]),
            Some(ChipKind::Ntag216)
        ); // 216F
        assert_eq!(
            from_get_version(&[0, 0x53, 4, 2, 1, 0, 0x0F, 3]),
            Some(ChipKind::Ntag213)
        ); // clone
        assert_eq!(
            from_get_version(&[0, 4, 3, 1, 1, 0, 0x0B, 3]),
            Some(ChipKind::UltralightEv1Mf0ul11)
        );
        assert_eq!(
            from_get_version(&[0, 4, 4, 1, 1, 0, 0x0E, 3]),
            Some(ChipKind::Ntag212)
        );
    }

    #[test]
    fn atr_and_identify() {
        let mut classic = UL_ATR;
        classic[14] = 0x01;
        classic[19] = 0x6A;
        assert_eq!(parse_atr(&classic).hint, ChipKind::MifareClassic1k);
        let c = identify(&classic, None, false, None);
        assert_eq!(c.kind, ChipKind::MifareClassic1k);
        assert!(!c.write_supported);
        assert_eq!(parse_atr(&UL_ATR).card_name, Some(3));
        let c = identify(
            &UL_ATR,
            Some(&[0, 4, 4, 2, 1, 0, 0x11, 3]),
            false,
            Some([0xE1, 0x10, 0x3E, 0]),
        );
        assert_eq!(
            (c.kind, c.identified_by),
            (ChipKind::Ntag215, IdentifiedBy::GetVersion)
        );
        let c = identify(&UL_ATR, None, false, Some([0xE1, 0x10, 0x6D, 0]));
        assert_eq!(
            (c.kind, c.identified_by),
            (ChipKind::Ntag216, IdentifiedBy::CapabilityContainer)
        );
        let c = identify(&UL_ATR, None, true, Some([0xE1, 0x10, 0x12, 0]));
        assert_eq!(c.kind, ChipKind::Ntag203);
        assert_eq!(
            identify(&UL_ATR, None, false, Some([0; 4])).kind,
            ChipKind::OtherType2
        );
        assert_eq!(
            identify(
                &[0x3B, 0x88, 0x80, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                None,
                false,
                None
            )
            .kind,
            ChipKind::Iso14443_4
        );
    }

    #[test]
    fn geometry() {
        assert_eq!(ChipKind::Ntag213.geometry().unwrap().user_bytes(), 144);
        assert_eq!(ChipKind::Ntag215.geometry().unwrap().user_bytes(), 504);
        assert_eq!(ChipKind::Ntag216.geometry().unwrap().user_bytes(), 888);
    }
}

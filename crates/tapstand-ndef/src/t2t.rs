//! NFC Forum Type 2 Tag mapping: the memory image, the Capability Container, TLVs and capacity.
//!
//! Addresses are absolute byte addresses in tag memory (page × 4 + byte). The data area starts at byte 16
//! (page 4) and is `CC[2] × 8` bytes long. Bytes named by Lock Control and Memory Control TLVs are skipped
//! when TLVs are laid out, as in nfcpy's `tt2.py`.

use std::ops::Range;

use serde::Serialize;

use crate::record::{Message, NdefError};

pub const PAGE_SIZE: usize = 4;
/// First byte of the data area (page 4).
pub const DATA_START: usize = 16;

pub const TLV_NULL: u8 = 0x00;
pub const TLV_LOCK_CONTROL: u8 = 0x01;
pub const TLV_MEMORY_CONTROL: u8 = 0x02;
pub const TLV_NDEF: u8 = 0x03;
pub const TLV_PROPRIETARY: u8 = 0xFD;
pub const TLV_TERMINATOR: u8 = 0xFE;

/// The Capability Container (page 3): `E1 | version | size/8 | access`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CapabilityContainer(pub [u8; 4]);

impl CapabilityContainer {
    /// NDEF formatted: magic E1 and major version 1.
    pub fn is_ndef(&self) -> bool {
        self.0[0] == 0xE1 && self.0[1] >> 4 == 1
    }
    pub fn is_blank(&self) -> bool {
        self.0 == [0; 4]
    }
    pub fn data_area_size(&self) -> usize {
        self.0[2] as usize * 8
    }
    pub fn read_access(&self) -> u8 {
        self.0[3] >> 4
    }
    pub fn write_access(&self) -> u8 {
        self.0[3] & 0x0F
    }
    /// Readable without conditions (0) or with the NXP proprietary (password) condition (8).
    pub fn readable(&self) -> bool {
        matches!(self.read_access(), 0 | 8)
    }
    /// Writable per the CC (0 = granted, 8 = after password authentication).
    pub fn writable(&self) -> bool {
        matches!(self.write_access(), 0 | 8)
    }
}

/// A copy of tag memory, page by page; pages not read yet are `None`. This is the image that the
/// writer synchronises to the tag (nfcpy's `Type2TagMemoryReader`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagImage {
    pages: Vec<Option<[u8; 4]>>,
}

/// A byte the caller asked for is on a page that has not been read yet (or is past the end of the tag).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    Page(usize),
    OutOfRange(usize),
}

impl TagImage {
    pub fn unknown(total_pages: usize) -> TagImage {
        TagImage {
            pages: vec![None; total_pages],
        }
    }

    /// Every complete page of `bytes` known; a trailing partial page is ignored.
    pub fn from_bytes(bytes: &[u8]) -> TagImage {
        TagImage {
            pages: bytes
                .chunks_exact(4)
                .map(|c| Some([c[0], c[1], c[2], c[3]]))
                .collect(),
        }
    }

    pub fn total_pages(&self) -> usize {
        self.pages.len()
    }

    /// Grows the image to `total_pages` (the new pages not read yet); never shrinks it. For a tag sized
    /// from its CC whose Lock Control TLVs put lock bytes past what the CC alone implies.
    pub fn grow_to(&mut self, total_pages: usize) {
        if total_pages > self.pages.len() {
            self.pages.resize(total_pages, None);
        }
    }

    pub fn total_bytes(&self) -> usize {
        self.pages.len() * PAGE_SIZE
    }

    pub fn page(&self, p: usize) -> Option<[u8; 4]> {
        self.pages.get(p).copied().flatten()
    }

    pub fn is_known(&self, p: usize) -> bool {
        self.page(p).is_some()
    }

    /// Sets page `p` (ignored past the end).
    pub fn set_page(&mut self, p: usize, data: [u8; 4]) {
        if let Some(slot) = self.pages.get_mut(p) {
            *slot = Some(data);
        }
    }

    /// Stores `data` (a multiple of 4 bytes) starting at page `p`, wrapping nothing.
    pub fn set_pages(&mut self, p: usize, data: &[u8]) {
        for (i, c) in data.chunks_exact(4).enumerate() {
            self.set_page(p + i, [c[0], c[1], c[2], c[3]]);
        }
    }

    pub fn forget_page(&mut self, p: usize) {
        if let Some(slot) = self.pages.get_mut(p) {
            *slot = None;
        }
    }

    pub fn byte(&self, addr: usize) -> Result<u8, Missing> {
        let p = addr / PAGE_SIZE;
        match self.pages.get(p) {
            None => Err(Missing::OutOfRange(addr)),
            Some(None) => Err(Missing::Page(p)),
            Some(Some(d)) => Ok(d[addr % PAGE_SIZE]),
        }
    }

    /// Sets one byte; an unknown page becomes known with zeros elsewhere. Returns false past the end.
    pub fn set_byte(&mut self, addr: usize, v: u8) -> bool {
        let p = addr / PAGE_SIZE;
        match self.pages.get_mut(p) {
            None => false,
            Some(slot) => {
                let mut d = slot.unwrap_or([0; 4]);
                d[addr % PAGE_SIZE] = v;
                *slot = Some(d);
                true
            }
        }
    }

    pub fn cc(&self) -> Option<CapabilityContainer> {
        self.page(3).map(CapabilityContainer)
    }

    /// The 7-byte UID from pages 0–1 (`UID0 UID1 UID2 BCC0 | UID3..UID6`).
    pub fn uid(&self) -> Option<[u8; 7]> {
        let a = self.page(0)?;
        let b = self.page(1)?;
        Some([a[0], a[1], a[2], b[0], b[1], b[2], b[3]])
    }

    /// All known bytes, unknown pages as zeros.
    pub fn to_bytes_lossy(&self) -> Vec<u8> {
        self.pages
            .iter()
            .flat_map(|p| p.unwrap_or([0; 4]))
            .collect()
    }
}

/// A Lock Control (01) or Memory Control (02) TLV.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ControlTlv {
    pub tlv_type: u8,
    pub tlv_addr: u32,
    pub value: [u8; 3],
    /// First byte of the lock/reserved area.
    pub area_start: u32,
    /// Number of bytes in the area.
    pub area_len: u32,
    /// Lock Control only: number of lock bits and bytes locked per bit.
    pub lock_bits: Option<u32>,
    pub bytes_locked_per_bit: Option<u32>,
}

impl ControlTlv {
    fn parse(tlv_type: u8, tlv_addr: usize, v: [u8; 3]) -> ControlTlv {
        let page_addr = (v[0] >> 4) as usize;
        let byte_offset = (v[0] & 0x0F) as usize;
        let bytes_per_page = 1usize << (v[2] & 0x0F);
        let area_start = page_addr * bytes_per_page + byte_offset;
        let (area_len, lock_bits, per_bit) = if tlv_type == TLV_LOCK_CONTROL {
            let bits = if v[1] == 0 { 256 } else { v[1] as usize };
            (
                bits.div_ceil(8),
                Some(bits as u32),
                Some(1u32 << (v[2] >> 4)),
            )
        } else {
            (if v[1] == 0 { 256 } else { v[1] as usize }, None, None)
        };
        ControlTlv {
            tlv_type,
            tlv_addr: tlv_addr as u32,
            value: v,
            area_start: area_start as u32,
            area_len: area_len as u32,
            lock_bits,
            bytes_locked_per_bit: per_bit,
        }
    }

    pub fn area(&self) -> Range<usize> {
        self.area_start as usize..(self.area_start + self.area_len) as usize
    }
}

/// The NDEF Message TLV found on the tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NdefTlv {
    /// Address of the type byte (03).
    pub tlv_addr: usize,
    /// Addresses of the length field (1 or 3 bytes).
    pub len_addrs: Vec<usize>,
    pub length: usize,
    /// Addresses of the message bytes (lock/reserved bytes skipped).
    pub value_addrs: Vec<usize>,
}

/// What the TLV area of the tag looks like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub data_end: usize,
    pub controls: Vec<ControlTlv>,
    /// Byte ranges skipped by TLV layout (lock and reserved areas inside the data area).
    pub skip: Vec<Range<usize>>,
    pub ndef: Option<NdefTlv>,
    /// Where a new NDEF TLV goes if there is none: right after the control TLVs (and NULL padding).
    pub insert_addr: usize,
    pub terminator: Option<usize>,
    /// Other TLV types seen before the NDEF TLV (proprietary, unknown).
    pub other_tlvs: Vec<u8>,
}

/// Why the TLV area could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LayoutProblem {
    #[error("the tag is not NDEF formatted (capability container {cc})")]
    NotFormatted { cc: String },
    #[error("a TLV at byte {addr} runs past the end of the data area")]
    TlvPastEnd { addr: u32 },
    #[error("a control TLV at byte {addr} has length {len} instead of 3")]
    BadControlTlv { addr: u32, len: u32 },
    #[error("the capability container announces more memory than the tag has")]
    DataAreaPastTag,
    #[error("the lock/reserved area of the control TLV at byte {addr} covers bytes before it")]
    AreaOverlapsTlvs { addr: u32 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// Read this page and try again.
    Need(usize),
    Invalid(LayoutProblem),
}

impl From<Missing> for LayoutError {
    fn from(m: Missing) -> Self {
        match m {
            Missing::Page(p) => LayoutError::Need(p),
            Missing::OutOfRange(a) => {
                LayoutError::Invalid(LayoutProblem::TlvPastEnd { addr: a as u32 })
            }
        }
    }
}

fn skip_fwd(mut addr: usize, skip: &[Range<usize>]) -> usize {
    // Ranges may touch or overlap; loop until no range contains addr.
    let mut guard = 0;
    while let Some(r) = skip.iter().find(|r| r.contains(&addr)) {
        addr = r.end;
        guard += 1;
        if guard > skip.len() {
            break;
        }
    }
    addr
}

/// The data addresses from `start` (inclusive) up to `end`, lock/reserved bytes skipped.
pub fn data_addrs(
    start: usize,
    end: usize,
    skip: &[Range<usize>],
) -> impl Iterator<Item = usize> + '_ {
    let mut a = start;
    std::iter::from_fn(move || {
        a = skip_fwd(a, skip);
        if a >= end {
            return None;
        }
        let r = a;
        a += 1;
        Some(r)
    })
}

/// End of the data area per the CC, clamped to the tag's memory.
pub fn data_end(img: &TagImage, cc: &CapabilityContainer) -> (usize, bool) {
    let end = DATA_START + cc.data_area_size();
    if end > img.total_bytes() {
        (img.total_bytes().max(DATA_START), true)
    } else {
        (end, false)
    }
}

/// Parses the TLVs up to and including the first NDEF TLV (its value bytes are not read).
pub fn parse_layout(img: &TagImage, cc: &CapabilityContainer) -> Result<Layout, LayoutError> {
    if !cc.is_ndef() {
        return Err(LayoutError::Invalid(LayoutProblem::NotFormatted {
            cc: crate::view::hex(&cc.0),
        }));
    }
    let (data_end, _clamped) = data_end(img, cc);
    let mut layout = Layout {
        data_end,
        controls: Vec::new(),
        skip: Vec::new(),
        ndef: None,
        insert_addr: DATA_START,
        terminator: None,
        other_tlvs: Vec::new(),
    };
    let mut pos = DATA_START;
    let mut only_controls_so_far = true;
    loop {
        pos = skip_fwd(pos, &layout.skip);
        if pos >= data_end {
            break;
        }
        let t = img.byte(pos)?;
        if t == TLV_NULL {
            pos += 1;
            if only_controls_so_far {
                layout.insert_addr = pos;
            }
            continue;
        }
        if t == TLV_TERMINATOR {
            layout.terminator = Some(pos);
            break;
        }
        let tlv_addr = pos;
        let past_end = || {
            LayoutError::Invalid(LayoutProblem::TlvPastEnd {
                addr: tlv_addr as u32,
            })
        };
        let mut cur = skip_fwd(pos + 1, &layout.skip);
        if cur >= data_end {
            return Err(past_end());
        }
        let mut len_addrs = vec![cur];
        let l0 = img.byte(cur)?;
        cur = skip_fwd(cur + 1, &layout.skip);
        let length = if l0 == 0xFF {
            let mut v = 0usize;
            for _ in 0..2 {
                if cur >= data_end {
                    return Err(past_end());
                }
                len_addrs.push(cur);
                v = (v << 8) | img.byte(cur)? as usize;
                cur = skip_fwd(cur + 1, &layout.skip);
            }
            v
        } else {
            l0 as usize
        };
        // Collect the value addresses (bounded by the data area).
        let mut value_addrs = Vec::with_capacity(length.min(data_end));
        for _ in 0..length {
            cur = skip_fwd(cur, &layout.skip);
            if cur >= data_end {
                return Err(past_end());
            }
            value_addrs.push(cur);
            cur += 1;
        }
        match t {
            TLV_LOCK_CONTROL | TLV_MEMORY_CONTROL => {
                if length != 3 {
                    return Err(LayoutError::Invalid(LayoutProblem::BadControlTlv {
                        addr: tlv_addr as u32,
                        len: length as u32,
                    }));
                }
                let v = [
                    img.byte(value_addrs[0])?,
                    img.byte(value_addrs[1])?,
                    img.byte(value_addrs[2])?,
                ];
                let c = ControlTlv::parse(t, tlv_addr, v);
                let area = c.area();
                // An area reaching back over bytes already parsed as TLVs makes the layout ambiguous.
                if area.start < cur && area.end > DATA_START && area.start < data_end {
                    return Err(LayoutError::Invalid(LayoutProblem::AreaOverlapsTlvs {
                        addr: tlv_addr as u32,
                    }));
                }
                // Only areas inside the data area affect the layout.
                if area.start < data_end && area.end > DATA_START {
                    layout
                        .skip
                        .push(area.start.max(DATA_START)..area.end.min(data_end));
                }
                layout.controls.push(c);
                // A new NDEF TLV goes after the last control TLV, so every lock/reserved area the layout
                // honours stays declared (other TLVs before it are kept, those after it overwritten).
                layout.insert_addr = cur;
                only_controls_so_far = true;
            }
            TLV_NDEF => {
                layout.ndef = Some(NdefTlv {
                    tlv_addr,
                    len_addrs,
                    length,
                    value_addrs,
                });
                break;
            }
            other => {
                only_controls_so_far = false;
                layout.other_tlvs.push(other);
            }
        }
        pos = cur;
    }
    layout.insert_addr = skip_fwd(layout.insert_addr, &layout.skip);
    Ok(layout)
}

/// Reads the NDEF message bytes of `tlv` from the image.
pub fn ndef_bytes(img: &TagImage, tlv: &NdefTlv) -> Result<Vec<u8>, Missing> {
    tlv.value_addrs.iter().map(|&a| img.byte(a)).collect()
}

/// Pages holding the NDEF TLV (header, value and the byte after it, where a terminator would be).
pub fn ndef_pages(tlv: &NdefTlv) -> Range<usize> {
    let first = tlv.tlv_addr / PAGE_SIZE;
    let last = tlv
        .value_addrs
        .last()
        .or(tlv.len_addrs.last())
        .copied()
        .unwrap_or(tlv.tlv_addr)
        + 1;
    first..last / PAGE_SIZE + 1
}

/// The largest NDEF message that fits when the NDEF TLV starts at `header_addr`: 1-byte length up to 254,
/// 3-byte length beyond (NFC Forum T2T §2.3.4).
pub fn capacity_at(header_addr: usize, data_end: usize, skip: &[Range<usize>]) -> usize {
    let avail = data_addrs(header_addr, data_end, skip).count();
    let short = avail.saturating_sub(2).min(254);
    let long = if avail >= 4 + 255 {
        (avail - 4).min(0xFFFE)
    } else {
        0
    };
    short.max(long)
}

/// Capacity of a formatted tag with this layout (NDEF TLV kept where it is, or where it would go).
pub fn layout_capacity(layout: &Layout) -> usize {
    let at = layout
        .ndef
        .as_ref()
        .map(|n| n.tlv_addr)
        .unwrap_or(layout.insert_addr);
    capacity_at(at, layout.data_end, &layout.skip)
}

/// Everything [`decode_image`] could make of a memory dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedImage {
    pub uid: Option<[u8; 7]>,
    pub cc: Option<CapabilityContainer>,
    pub layout: Result<Layout, LayoutError>,
    pub message_bytes: Option<Vec<u8>>,
    pub message: Option<Result<Message, NdefError>>,
    pub capacity: Option<usize>,
}

/// Decodes a complete memory dump (page 0 onwards). Never panics, whatever the bytes.
pub fn decode_image(bytes: &[u8]) -> DecodedImage {
    let img = TagImage::from_bytes(bytes);
    let uid = img.uid();
    let cc = img.cc();
    let layout = match &cc {
        Some(cc) => parse_layout(&img, cc),
        None => Err(LayoutError::Need(3)),
    };
    let mut out = DecodedImage {
        uid,
        cc,
        layout: layout.clone(),
        message_bytes: None,
        message: None,
        capacity: None,
    };
    if let Ok(l) = &layout {
        out.capacity = Some(layout_capacity(l));
        if let Some(n) = &l.ndef {
            if let Ok(b) = ndef_bytes(&img, n) {
                out.message = Some(Message::decode(&b));
                out.message_bytes = Some(b);
            }
        }
    }
    out
}

/// Static and dynamic lock bits, CC access and CFGLCK, as far as they are known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LockState {
    /// CC write access is not "granted" (0Fh = read-only).
    pub cc_read_only: bool,
    pub static_lock: [u8; 2],
    pub dynamic_lock: Option<[u8; 3]>,
    /// ACCESS.CFGLCK: CFG0/CFG1 are frozen.
    pub cfg_locked: Option<bool>,
    /// User pages whose lock bit is set.
    pub locked_user_pages: u32,
    pub user_pages: u32,
    /// Everything that Tapstand's permanent lock sets is set.
    pub fully_locked: bool,
}

/// Password protection (NTAG21x AUTH0/ACCESS).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PasswordState {
    pub auth0: u8,
    /// Reads are protected too (PROT = 1).
    pub read_protected: bool,
    /// Protection is active for pages ≥ auth0.
    pub active: bool,
    /// AUTHLIM (0 = unlimited attempts).
    pub auth_limit: u8,
}

/// The chip's memory map: its own (a known chip) or, for a generic Type 2 tag, the one its Capability
/// Container describes ([`Geometry::from_cc`](crate::chip::Geometry::from_cc)).
///
/// A tag sized from its CC honours its Lock Control TLVs: its dynamic lock bytes are where they say (not
/// where the T2T default rule would put them), and its memory reaches at least the last of them.
pub fn geometry_of(kind: crate::chip::ChipKind, img: &TagImage) -> Option<crate::chip::Geometry> {
    if let Some(g) = kind.geometry() {
        return Some(g);
    }
    if kind != crate::chip::ChipKind::OtherType2 {
        return None;
    }
    let cc = img.cc()?;
    let mut g = crate::chip::Geometry::from_cc(cc.0)?;
    let tlv_areas: Vec<DynLockArea> = match parse_layout(img, &cc) {
        Ok(l) => lock_control_areas(&l),
        Err(_) => Vec::new(),
    };
    if let Some(first) = tlv_areas.first() {
        g.dyn_lock_page = Some((first.addr / PAGE_SIZE) as u16);
        let last = tlv_areas
            .iter()
            .map(|a| (a.addr + a.len().max(1) - 1) / PAGE_SIZE)
            .max()
            .unwrap_or(0);
        // The tag's memory ends after its data area or its last lock byte, whichever is later (lock bytes
        // inside the data area are skipped by the layout; the default rule's pages are not assumed).
        g.total_pages = (g.user_last_page + 1).max(last as u16 + 1);
    }
    Some(g)
}

/// The dynamic lock areas a tag's Lock Control TLVs declare.
fn lock_control_areas(l: &Layout) -> Vec<DynLockArea> {
    l.controls
        .iter()
        .filter(|c| c.tlv_type == TLV_LOCK_CONTROL)
        .map(|c| DynLockArea {
            addr: c.area_start as usize,
            map: LockBitMap::Linear {
                bits: c.lock_bits.unwrap_or(0) as usize,
                bytes_per_bit: c.bytes_locked_per_bit.unwrap_or(8) as usize,
            },
        })
        .collect()
}

/// How a chip's dynamic lock bits map to pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockBitMap {
    /// NFC Forum T2T: bit `i` (bit `i % 8` of byte `i / 8`) locks `bytes_per_bit` bytes from byte
    /// `64 + i × bytes_per_bit` (the first byte after the statically locked pages 4–15).
    Linear { bits: usize, bytes_per_bit: usize },
    /// NTAG203 and Ultralight C (page 28h): byte 0 bits 1–3 lock pages 16–19, 20–23, 24–27, bits 5–7
    /// pages 28–31, 32–35, 36–39; bits 0 and 4 are block-lock bits; byte 1 locks the pages after the
    /// data area (counter, authentication configuration, key).
    Ultralight4,
}

/// One dynamic lock area: its first byte address and its bit map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DynLockArea {
    pub addr: usize,
    pub map: LockBitMap,
}

impl DynLockArea {
    /// Number of lock bytes.
    pub fn len(&self) -> usize {
        match self.map {
            LockBitMap::Linear { bits, .. } => bits.div_ceil(8),
            LockBitMap::Ultralight4 => 2,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The (byte index in the area, bit) locking page `p`, if a bit covers it.
    pub fn bit_for(&self, p: usize) -> Option<(usize, u8)> {
        match self.map {
            LockBitMap::Linear {
                bits,
                bytes_per_bit,
            } => {
                let a = p * PAGE_SIZE;
                if a < 64 || bytes_per_bit == 0 {
                    return None;
                }
                let i = (a - 64) / bytes_per_bit;
                (i < bits).then_some((i / 8, 1 << (i % 8)))
            }
            LockBitMap::Ultralight4 => {
                if !(16..40).contains(&p) {
                    return None;
                }
                let g = (p - 16) / 4;
                Some((0, 1 << [1, 2, 3, 5, 6, 7][g]))
            }
        }
    }

    /// The lock bits that lock user data, per lock byte (what the permanent lock must set and read back).
    pub fn user_mask(&self) -> Vec<u8> {
        match self.map {
            LockBitMap::Linear { bits, .. } => (0..self.len())
                .map(|b| {
                    let n = bits.saturating_sub(b * 8).min(8);
                    ((1u16 << n) - 1) as u8
                })
                .collect(),
            LockBitMap::Ultralight4 => vec![0xEE, 0x00],
        }
    }
}

/// The dynamic lock areas of the tag: the chip's own for NXP chips (NTAG215/216 lock 16 pages per bit,
/// NTAG203/Ultralight C have their own map), and for a generic Type 2 tag the Lock Control TLVs or, when
/// it has none, the T2T default rule (after the data area, `(size − 48 + 7) / 8` bits of 8 bytes).
/// A 48-byte tag has none.
pub fn dyn_lock_areas(kind: crate::chip::ChipKind, img: &TagImage) -> Vec<DynLockArea> {
    use crate::chip::ChipKind as K;
    let lin = |page: usize, bits, bytes_per_bit| {
        vec![DynLockArea {
            addr: page * PAGE_SIZE,
            map: LockBitMap::Linear {
                bits,
                bytes_per_bit,
            },
        }]
    };
    match kind {
        K::Ntag213 => lin(0x28, 12, 8),
        K::Ntag215 => lin(0x82, 8, 64),
        K::Ntag216 => lin(0xE2, 14, 64),
        K::Ntag212 | K::UltralightEv1Mf0ul21 => lin(0x24, 10, 8),
        K::Ntag203 | K::UltralightC => vec![DynLockArea {
            addr: 0x28 * PAGE_SIZE,
            map: LockBitMap::Ultralight4,
        }],
        K::OtherType2 => {
            let Some(cc) = img.cc() else {
                return Vec::new();
            };
            let size = cc.data_area_size();
            let tlvs: Vec<DynLockArea> = match parse_layout(img, &cc) {
                Ok(l) => lock_control_areas(&l),
                Err(_) => Vec::new(),
            };
            if !tlvs.is_empty() {
                tlvs
            } else if size > 48 {
                vec![DynLockArea {
                    addr: DATA_START + size,
                    map: LockBitMap::Linear {
                        bits: (size - 48).div_ceil(8),
                        bytes_per_bit: 8,
                    },
                }]
            } else {
                Vec::new()
            }
        }
        _ => Vec::new(),
    }
}

/// Is page `p` locked by a static or dynamic lock bit? `None` when the lock bytes are not known.
pub fn page_locked(kind: crate::chip::ChipKind, img: &TagImage, p: usize) -> Option<bool> {
    let s = img.page(2)?;
    if (3..=7).contains(&p) {
        return Some(s[2] & (1 << p) != 0);
    }
    if (8..=15).contains(&p) {
        return Some(s[3] & (1 << (p - 8)) != 0);
    }
    if p < 3 {
        return Some(true);
    }
    let g = geometry_of(kind, img)?;
    if p > g.user_last_page as usize {
        return Some(false);
    }
    for area in dyn_lock_areas(kind, img) {
        if let Some((byte, bit)) = area.bit_for(p) {
            let b = img.byte(area.addr + byte).ok()?;
            if b & bit != 0 {
                return Some(true);
            }
        }
    }
    Some(false)
}

pub fn lock_state(kind: crate::chip::ChipKind, img: &TagImage) -> Option<LockState> {
    let cc = img.cc()?;
    let s = img.page(2)?;
    let g = geometry_of(kind, img);
    let dynamic_lock = g
        .and_then(|g| g.dyn_lock_page)
        .and_then(|p| img.page(p as usize))
        .map(|d| [d[0], d[1], d[2]]);
    let cfg_locked = g
        .and_then(|g| g.cfg_page)
        .and_then(|p| img.page(p as usize + 1))
        .map(|c| c[0] & 0x40 != 0);
    let (first, last) = g
        .map(|g| (g.user_first_page as usize, g.user_last_page as usize))
        .unwrap_or((4, 15));
    let mut locked = 0u32;
    for p in first..=last {
        if page_locked(kind, img, p) == Some(true) {
            locked += 1;
        }
    }
    let user_pages = (last + 1 - first) as u32;
    let needs_dyn = !dyn_lock_areas(kind, img).is_empty();
    let needs_cfg = g.and_then(|g| g.cfg_page).is_some();
    let fully_locked = cc.write_access() == 0x0F
        && s[2] == 0xFF
        && s[3] == 0xFF
        && (!needs_dyn
            || locked == user_pages
            || dynamic_lock.is_some_and(|d| d == [0xFF, 0xFF, 0xFF]))
        && (!needs_cfg || cfg_locked == Some(true));
    Some(LockState {
        cc_read_only: cc.write_access() != 0,
        static_lock: [s[2], s[3]],
        dynamic_lock,
        cfg_locked,
        locked_user_pages: locked,
        user_pages,
        fully_locked,
    })
}

pub fn password_state(kind: crate::chip::ChipKind, img: &TagImage) -> Option<PasswordState> {
    let cfg = geometry_of(kind, img)?.cfg_page? as usize;
    let c0 = img.page(cfg)?;
    let c1 = img.page(cfg + 1)?;
    let total = kind.geometry()?.total_pages as usize;
    Some(PasswordState {
        auth0: c0[3],
        read_protected: c1[0] & 0x80 != 0,
        active: (c0[3] as usize) < total,
        auth_limit: c1[0] & 0x07,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ntag213_factory() -> Vec<u8> {
        let mut m = vec![0u8; 45 * 4];
        m[..16].copy_from_slice(&[
            4, 0xA1, 0xB2, 0x9F, 0xC3, 0xD4, 0xE5, 0x80, 0x82, 0x48, 0, 0, 0xE1, 0x10, 0x12, 0,
        ]);
        m[16..24].copy_from_slice(&[0x01, 0x03, 0xA0, 0x0C, 0x34, 0x03, 0x00, 0xFE]);
        m
    }

    #[test]
    fn ntag213_factory_layout_and_capacity() {
        let d = decode_image(&ntag213_factory());
        let l = d.layout.unwrap();
        assert_eq!(l.controls.len(), 1);
        assert_eq!(l.controls[0].area(), 160..162);
        assert_eq!(l.controls[0].lock_bits, Some(12));
        let n = l.ndef.as_ref().unwrap();
        assert_eq!(
            (n.tlv_addr, n.length, n.len_addrs.clone()),
            (21, 0, vec![22])
        );
        assert_eq!(d.capacity, Some(137));
        assert_eq!(d.message, Some(Ok(Message::default())));
    }

    #[test]
    fn capacities() {
        // NTAG215/216 (CC 3E / 6D): 254 with a 1-byte length, 492 / 868 with a 3-byte length.
        assert_eq!(capacity_at(16, 16 + 496, &[]), 492);
        assert_eq!(capacity_at(16, 16 + 872, &[]), 868);
        // Without the Lock TLV an NTAG213 holds 142.
        assert_eq!(capacity_at(16, 160, &[]), 142);
        // A reserved area inside the data area is not usable.
        let reserved: Vec<std::ops::Range<usize>> = std::iter::once(40..50).collect();
        assert_eq!(capacity_at(16, 160, &reserved), 132);
    }

    #[test]
    fn three_byte_length_and_skips() {
        let mut m = vec![0u8; 135 * 4];
        m[12..16].copy_from_slice(&[0xE1, 0x10, 0x3E, 0]);
        // Memory Control TLV reserving 4 bytes at byte 24, then NDEF with FF 01 00.
        m[16..21].copy_from_slice(&[0x02, 0x03, 0x18, 0x04, 0x04]);
        m[21] = 0x03;
        m[22] = 0xFF;
        m[23] = 0x01;
        // byte 24..28 reserved (skipped), length lo at 28
        m[28] = 0x00;
        let l = parse_layout(
            &TagImage::from_bytes(&m),
            &CapabilityContainer([0xE1, 0x10, 0x3E, 0]),
        )
        .unwrap();
        let n = l.ndef.unwrap();
        assert_eq!(n.len_addrs, vec![22, 23, 28]);
        assert_eq!(n.length, 256);
        assert_eq!(n.value_addrs[0], 29);
        assert_eq!(l.skip, vec![24..28]);
    }

    #[test]
    fn garbage_never_panics() {
        for seed in 0u32..2000 {
            let mut x = seed.wrapping_mul(2654435761);
            let len = (seed as usize * 7) % 300;
            let mut v = Vec::with_capacity(len);
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                v.push(x as u8);
            }
            if v.len() > 16 {
                v[12] = 0xE1;
                v[13] = 0x10;
            }
            let _ = decode_image(&v);
        }
    }

    #[test]
    fn lock_bits() {
        let mut img = TagImage::from_bytes(&ntag213_factory());
        assert_eq!(
            page_locked(crate::chip::ChipKind::Ntag213, &img, 4),
            Some(false)
        );
        img.set_page(2, [0x82, 0x48, 0xF0, 0x01]);
        assert_eq!(
            page_locked(crate::chip::ChipKind::Ntag213, &img, 4),
            Some(true)
        );
        assert_eq!(
            page_locked(crate::chip::ChipKind::Ntag213, &img, 8),
            Some(true)
        );
        assert_eq!(
            page_locked(crate::chip::ChipKind::Ntag213, &img, 9),
            Some(false)
        );
        img.set_page(0x28, [0x01, 0, 0, 0]);
        assert_eq!(
            page_locked(crate::chip::ChipKind::Ntag213, &img, 17),
            Some(true)
        );
        assert_eq!(
            page_locked(crate::chip::ChipKind::Ntag213, &img, 18),
            Some(false)
        );
    }

    /// A generic Type 2 tag (no GET_VERSION, not NXP): 144 bytes from its CC, the T2T default dynamic
    /// lock rule (12 bits of 8 bytes at byte 160 = page 28h) when it declares no Lock Control TLV.
    #[test]
    fn generic_geometry_from_cc_and_default_lock_rule() {
        use crate::chip::{ChipKind, Geometry};
        let g = Geometry::from_cc([0xE1, 0x10, 0x12, 0x00]).unwrap();
        assert_eq!(
            (g.total_pages, g.user_last_page, g.dyn_lock_page, g.cfg_page),
            (41, 0x27, Some(0x28), None)
        );
        assert_eq!(g.user_bytes(), 144);
        // 128 bytes (CC 10): 10 bits at byte 144 = page 24h, like NTAG212 / MF0UL21.
        let g = Geometry::from_cc([0xE1, 0x10, 0x10, 0x00]).unwrap();
        assert_eq!((g.user_last_page, g.dyn_lock_page), (0x23, Some(0x24)));
        // 48 bytes: no dynamic lock bytes at all.
        let g = Geometry::from_cc([0xE1, 0x10, 0x06, 0x00]).unwrap();
        assert_eq!((g.total_pages, g.dyn_lock_page), (16, None));
        assert_eq!(Geometry::from_cc([0; 4]), None);

        let mut m = vec![0u8; 41 * 4];
        m[..16].copy_from_slice(&[
            0x1D, 0x10, 0x20, 0x9F, 0x30, 0x40, 0x50, 0x60, 0x82, 0x48, 0, 0, 0xE1, 0x10, 0x12, 0,
        ]);
        m[16..19].copy_from_slice(&[0x03, 0x00, 0xFE]);
        let mut img = TagImage::from_bytes(&m);
        let areas = dyn_lock_areas(ChipKind::OtherType2, &img);
        assert_eq!(
            areas,
            vec![DynLockArea {
                addr: 160,
                map: LockBitMap::Linear {
                    bits: 12,
                    bytes_per_bit: 8
                }
            }]
        );
        assert_eq!(areas[0].user_mask(), vec![0xFF, 0x0F]);
        assert_eq!(page_locked(ChipKind::OtherType2, &img, 16), Some(false));
        // Bit 0 of the first lock byte locks pages 16-17; bit 3 of the second locks pages 38-39.
        img.set_page(0x28, [0x01, 0x08, 0, 0]);
        assert_eq!(page_locked(ChipKind::OtherType2, &img, 17), Some(true));
        assert_eq!(page_locked(ChipKind::OtherType2, &img, 18), Some(false));
        assert_eq!(page_locked(ChipKind::OtherType2, &img, 39), Some(true));
        assert_eq!(page_locked(ChipKind::OtherType2, &img, 37), Some(false));
    }

    /// NTAG203's factory Lock Control TLV `01 03 A0 10 44`: lock bytes at page 28h (10 × 16 + 0), 16
    /// bits, 16 bytes (4 pages) per bit; on a generic tag that declares it, the TLV wins over the
    /// default rule. The NTAG203 itself has its own bit map (bits 1-3, 5-7 of byte 0).
    /// A tag sized from its CC whose Lock Control TLV puts its lock bytes elsewhere than the T2T default
    /// rule: its geometry (dynamic lock page, memory size) and its lock state follow the TLV.
    #[test]
    fn cc_sized_tags_honour_their_lock_control_tlv() {
        use crate::chip::{ChipKind, Geometry};
        // CC: 0x3E × 8 = 496 bytes of data (pages 4..=0x7F); the default rule would put 8 lock bits at
        // page 0x80. The TLV says: 2 bytes at page 0x82 byte 0 (NXP's NTAG215 place), 16 bits of 32 bytes.
        let mut m = vec![0u8; 135 * 4];
        m[0] = 0x1D;
        m[12..16].copy_from_slice(&[0xE1, 0x10, 0x3E, 0x00]);
        // Lock Control TLV: byte 0x82 × 4 = 520 = PageAddr 8 × 2^6 + ByteOffset 8 → `0x88`, `…6`; 16 bits
        // (`0x10`); 2^5 = 32 bytes per bit (`0x5…`).
        m[16..24].copy_from_slice(&[0x01, 0x03, 0x88, 0x10, 0x56, 0x03, 0x00, 0xFE]);
        let img = TagImage::from_bytes(&m);
        let by_cc = Geometry::from_cc([0xE1, 0x10, 0x3E, 0x00]).unwrap();
        assert_eq!(by_cc.dyn_lock_page, Some(0x80), "the default rule");
        let g = geometry_of(ChipKind::OtherType2, &img).unwrap();
        assert_eq!(g.dyn_lock_page, Some(0x82), "{g:?}");
        assert_eq!(g.total_pages, 0x83);
        let areas = dyn_lock_areas(ChipKind::OtherType2, &img);
        assert_eq!(areas[0].addr, 0x82 * 4);
        // The lock state reads the TLV's lock bytes: set there, and only there, they lock pages.
        let mut locked = img.clone();
        locked.set_page(0x82, [0xFF, 0xFF, 0, 0]);
        let st = lock_state(ChipKind::OtherType2, &locked).unwrap();
        assert_eq!(st.dynamic_lock, Some([0xFF, 0xFF, 0]));
        assert_eq!(page_locked(ChipKind::OtherType2, &locked, 0x20), Some(true));
        let mut default_place = img.clone();
        default_place.set_page(0x80, [0xFF, 0xFF, 0, 0]);
        assert_eq!(
            page_locked(ChipKind::OtherType2, &default_place, 0x20),
            Some(false)
        );
        // A non-NXP chip with an NTAG215-sized CC is not taken for an NTAG215.
        assert_eq!(
            crate::chip::from_cc_uid([0xE1, 0x10, 0x3E, 0x00], Some(0x1D)),
            Some(ChipKind::OtherType2)
        );
        assert_eq!(
            crate::chip::from_cc_uid([0xE1, 0x10, 0x3E, 0x00], Some(0x04)),
            Some(ChipKind::Ntag215)
        );
    }

    #[test]
    fn ntag203_lock_control_tlv() {
        use crate::chip::ChipKind;
        let mut m = vec![0u8; 41 * 4];
        m[12..16].copy_from_slice(&[0xE1, 0x10, 0x12, 0x00]);
        m[16..24].copy_from_slice(&[0x01, 0x03, 0xA0, 0x10, 0x44, 0x03, 0x00, 0xFE]);
        let mut img = TagImage::from_bytes(&m);
        let l = parse_layout(&img, &img.cc().unwrap()).unwrap();
        assert_eq!(l.controls[0].area(), 160..162);
        assert_eq!(l.controls[0].lock_bits, Some(16));
        assert_eq!(l.controls[0].bytes_locked_per_bit, Some(16));
        assert_eq!(layout_capacity(&l), 137);
        let areas = dyn_lock_areas(ChipKind::OtherType2, &img);
        assert_eq!(
            areas[0].map,
            LockBitMap::Linear {
                bits: 16,
                bytes_per_bit: 16
            }
        );
        img.set_page(0x28, [0x02, 0, 0, 0]);
        // Generic reading: bit 1 = bytes 80..96 = pages 20-23.
        assert_eq!(page_locked(ChipKind::OtherType2, &img, 19), Some(false));
        assert_eq!(page_locked(ChipKind::OtherType2, &img, 20), Some(true));
        // NTAG203's own map: bit 1 = pages 16-19.
        let mut n203 = TagImage::from_bytes(&[0u8; 42 * 4]);
        n203.set_pages(0, &m[..24]);
        n203.set_page(0x28, [0x02, 0, 0, 0]);
        assert_eq!(page_locked(ChipKind::Ntag203, &n203, 16), Some(true));
        assert_eq!(page_locked(ChipKind::Ntag203, &n203, 20), Some(false));
        n203.set_page(0x28, [0x80, 0, 0, 0]);
        assert_eq!(page_locked(ChipKind::Ntag203, &n203, 39), Some(true));
        assert_eq!(page_locked(ChipKind::Ntag203, &n203, 35), Some(false));
    }

    /// Memory Control TLVs reserve bytes inside the data area: they are skipped by the layout and do not
    /// count towards the capacity; a Lock Control TLV pointing inside the data area is skipped too.
    #[test]
    fn memory_control_tlvs_reserve_bytes() {
        use crate::chip::ChipKind;
        let mut m = vec![0u8; 41 * 4];
        m[12..16].copy_from_slice(&[0xE1, 0x10, 0x12, 0x00]);
        // Memory Control: 8 bytes reserved at page 8 (byte 32); Lock Control: 2 bytes at byte 48, 12 bits.
        m[16..26].copy_from_slice(&[0x02, 0x03, 0x80, 0x08, 0x02, 0x01, 0x03, 0x30, 0x0C, 0x44]);
        m[26..29].copy_from_slice(&[0x03, 0x00, 0xFE]);
        let img = TagImage::from_bytes(&m);
        let l = parse_layout(&img, &img.cc().unwrap()).unwrap();
        assert_eq!(l.skip, vec![32..40, 48..50]);
        assert_eq!(l.ndef.as_ref().unwrap().tlv_addr, 26);
        // 160 − 26 = 134 bytes from the NDEF TLV, minus 10 skipped, minus the 2-byte header.
        assert_eq!(layout_capacity(&l), 122);
        let a = dyn_lock_areas(ChipKind::OtherType2, &img);
        assert_eq!(
            a,
            vec![DynLockArea {
                addr: 48,
                map: LockBitMap::Linear {
                    bits: 12,
                    bytes_per_bit: 16
                }
            }]
        );
    }
}

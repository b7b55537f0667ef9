//! The write planner: from the memory image read off the tag and the new NDEF message to an ordered list of
//! page writes that is safe to interrupt at any point (nfcpy `tt2.py` `_write_ndef_data`).
//!
//! Order of the steps (each step ends with a read-back of the pages it wrote):
//! 1. `MarkEmpty` — the first length byte of the NDEF TLV becomes 00 (the tag now reads as an empty NDEF
//!    message). Skipped when the tag already holds an empty message there, or is blank (not formatted yet).
//! 2. `Data` — every other page that changes: the message, the terminator, format TLVs, 3-byte length tail.
//! 3. `Commit` — the page with the first length byte gets its real value. This single page write turns the
//!    empty message into the complete new one.
//! 4. `FormatCc` — blank tags only: the Capability Container is written last, so a blank tag goes straight
//!    from "not formatted" to "holds the new message".
//!
//! Only pages whose content changes are written. A page that was never read counts as changed.

use serde::Serialize;

use crate::chip::ChipKind;
use crate::t2t::{
    capacity_at, data_addrs, dyn_lock_areas, geometry_of, page_locked, parse_layout,
    password_state, CapabilityContainer, LayoutError, LockBitMap, TagImage, DATA_START, PAGE_SIZE,
    TLV_NDEF, TLV_TERMINATOR,
};

/// One page write and which bits to compare when it is read back (PWD/PACK read back as zeros, the
/// static-lock page's first two bytes are not writable, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PageWrite {
    pub page: u16,
    pub data: [u8; 4],
    pub verify_mask: [u8; 4],
}

impl PageWrite {
    pub fn full(page: usize, data: [u8; 4]) -> PageWrite {
        PageWrite {
            page: page as u16,
            data,
            verify_mask: [0xFF; 4],
        }
    }
    /// Does `read` (what the tag returned) match what was written, under the mask?
    pub fn matches(&self, read: [u8; 4]) -> bool {
        (0..4).all(|i| read[i] & self.verify_mask[i] == self.data[i] & self.verify_mask[i])
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    MarkEmpty,
    Data,
    Commit,
    FormatCc,
    Lock,
    Password,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub kind: StepKind,
    pub writes: Vec<PageWrite>,
}

/// The plan for writing an NDEF message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentPlan {
    pub steps: Vec<Step>,
    /// The image once every step is done.
    pub final_image: TagImage,
    pub message_len: usize,
    pub capacity: usize,
    /// A blank tag is formatted (CC written) or an unreadable TLV area is rewritten.
    pub formats: bool,
    /// The tag already holds exactly this message: nothing to write.
    pub unchanged: bool,
}

impl ContentPlan {
    pub fn write_count(&self) -> usize {
        self.steps.iter().map(|s| s.writes.len()).sum()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadOnlyReason {
    /// The CC says read-only (write access nibble ≠ 0).
    CapabilityContainer,
    /// A lock bit covers a page that would change.
    LockBits { page: u16 },
    /// CFGLCK is set: the configuration (password) pages are frozen.
    ConfigLocked,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// Read these pages (4-page reads starting there) and plan again.
    #[error("pages {0:?} must be read first")]
    NeedPages(Vec<usize>),
    #[error("{} cannot be written by Tapstand", .0.name())]
    Unsupported(ChipKind),
    #[error("the tag is read-only ({0:?})")]
    ReadOnly(ReadOnlyReason),
    #[error("the tag is password protected from page {auth0}")]
    PasswordProtected { auth0: u8 },
    #[error("the message is {message_len} bytes but the tag holds at most {capacity}")]
    TooLarge { message_len: usize, capacity: usize },
    #[error("the tag cannot be NDEF formatted (capability container {cc})")]
    NotFormattable { cc: String },
    /// The image does not have the chip's number of pages (a caller error, found by fuzzing).
    #[error("the memory image has {pages} pages, the chip {chip_pages}")]
    ImageSize { pages: usize, chip_pages: usize },
}

fn need(img: &TagImage, pages: impl IntoIterator<Item = usize>) -> Result<(), PlanError> {
    let missing: Vec<usize> = pages.into_iter().filter(|&p| !img.is_known(p)).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(PlanError::NeedPages(missing))
    }
}

/// How the tag reads before the write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Before {
    /// Not NDEF formatted (CC blank): the CC is written last.
    Blank,
    /// An NDEF TLV with length 0 sits where the new one goes.
    EmptyHere,
    /// Anything else: a message, no NDEF TLV, an unreadable TLV area.
    Other,
}

/// Where the NDEF TLV goes and what the tag's TLV area looks like before the write.
struct TlvArea {
    before: Before,
    /// Address of the NDEF TLV's type byte (existing, or where a new one goes).
    header: usize,
    data_end: usize,
    /// Lock / reserved bytes inside the data area (skipped).
    skip: Vec<std::ops::Range<usize>>,
    /// A blank tag is formatted, or an unreadable TLV area rewritten the factory way.
    formats: bool,
    /// The CC a blank tag gets (written last).
    factory_cc: [u8; 4],
    /// The tag's CC as read (for the refusal's words).
    cc: [u8; 4],
}

/// Plans writing `message` (encoded NDEF) on a chip of `kind` whose memory is (partly) known in `img`.
/// `authenticated`: PWD_AUTH succeeded in this session.
pub fn plan_content(
    kind: ChipKind,
    img: &TagImage,
    message: &[u8],
    authenticated: bool,
) -> Result<ContentPlan, PlanError> {
    let g = checked_geometry(kind, img)?;
    let mut new = img.clone();
    let area = find_tlv_area(kind, img, &g, &mut new)?;
    let capacity = check_room(&area, message)?;
    let len_addrs = lay_out_tlv(img, &area, message, &mut new)?;
    let changed: Vec<usize> = (3..g.user_last_page as usize + 1)
        .filter(|&p| new.page(p).is_some() && new.page(p) != img.page(p))
        .collect();
    if changed.is_empty() {
        return Ok(ContentPlan {
            steps: Vec::new(),
            final_image: new,
            message_len: message.len(),
            capacity,
            formats: false,
            unchanged: true,
        });
    }
    check_writable(kind, img, &g, &changed, authenticated)?;
    let steps = order_writes(img, &new, &area, &len_addrs, &changed);
    Ok(ContentPlan {
        steps,
        final_image: new,
        message_len: message.len(),
        capacity,
        formats: area.formats,
        unchanged: false,
    })
}

/// The chip can be written and the image is the chip's (a generic Type 2 tag's memory is what its CC
/// says: a blank one cannot be sized, and is refused).
fn checked_geometry(kind: ChipKind, img: &TagImage) -> Result<crate::chip::Geometry, PlanError> {
    if !kind.write_supported() && !kind.too_small() {
        return Err(PlanError::Unsupported(kind));
    }
    need(img, 0..4)?;
    let g = geometry_of(kind, img).ok_or(PlanError::Unsupported(kind))?;
    // A tag sized from its CC may declare lock bytes (Lock Control TLV) past what its CC alone implies: its
    // image need only hold the data area; a known chip's image is exactly the chip.
    let size_ok = if kind == ChipKind::OtherType2 {
        img.total_pages() > g.user_last_page as usize
    } else {
        img.total_pages() == g.total_pages as usize
    };
    if !size_ok {
        return Err(PlanError::ImageSize {
            pages: img.total_pages(),
            chip_pages: g.total_pages as usize,
        });
    }
    Ok(g)
}

/// The TLV area as the tag has it: an NDEF TLV to replace, a place for a new one after the control TLVs,
/// an unreadable area to rewrite the factory way, or a blank tag to format (its CC set in `new`).
fn find_tlv_area(
    kind: ChipKind,
    img: &TagImage,
    g: &crate::chip::Geometry,
    new: &mut TagImage,
) -> Result<TlvArea, PlanError> {
    let cc = img.cc().expect("page 3 known");
    let user_end = (g.user_last_page as usize + 1) * PAGE_SIZE;
    let factory_cc = g
        .factory_cc
        .unwrap_or([0xE1, 0x10, (user_end - DATA_START) as u8 / 8, 0]);
    let not_formattable = || PlanError::NotFormattable {
        cc: crate::view::hex(&cc.0),
    };
    let factory_prefix = |new: &mut TagImage| {
        let prefix = kind.factory_prefix();
        for (i, b) in prefix.iter().enumerate() {
            new.set_byte(DATA_START + i, *b);
        }
        DATA_START + prefix.len()
    };
    if cc.is_ndef() {
        // A CC that announces more memory than the chip has would send the message into the lock and
        // configuration pages; the CC is OTP and cannot be shrunk.
        if DATA_START + cc.data_area_size() > user_end {
            return Err(not_formattable());
        }
        let data_end = DATA_START + cc.data_area_size();
        return match parse_layout(img, &cc) {
            Ok(l) => {
                let (header, before) = match &l.ndef {
                    Some(n) if img.byte(n.len_addrs[0]) == Ok(0) => (n.tlv_addr, Before::EmptyHere),
                    Some(n) => (n.tlv_addr, Before::Other),
                    None => (l.insert_addr, Before::Other),
                };
                Ok(TlvArea {
                    before,
                    header,
                    data_end,
                    skip: l.skip.clone(),
                    formats: false,
                    factory_cc,
                    cc: cc.0,
                })
            }
            Err(LayoutError::Need(p)) => Err(PlanError::NeedPages(vec![p])),
            // Unreadable TLV area: rewrite it the factory way.
            Err(LayoutError::Invalid(_)) => Ok(TlvArea {
                before: Before::Other,
                header: factory_prefix(new),
                data_end,
                skip: Vec::new(),
                formats: true,
                factory_cc,
                cc: cc.0,
            }),
        };
    }
    // Blank (or a partially written CC whose bits are a subset of the factory CC: OTP bits only go 0→1).
    let blank =
        cc.0.iter()
            .zip(factory_cc.iter())
            .all(|(have, want)| have & !want == 0);
    if !blank {
        return Err(not_formattable());
    }
    let header = factory_prefix(new);
    new.set_page(3, factory_cc);
    Ok(TlvArea {
        before: Before::Blank,
        header,
        data_end: (DATA_START + factory_cc[2] as usize * 8).min(user_end),
        skip: Vec::new(),
        formats: true,
        factory_cc,
        cc: cc.0,
    })
}

/// Room for at least an empty NDEF TLV (`03 00`), and for the message: the capacity.
fn check_room(area: &TlvArea, message: &[u8]) -> Result<usize, PlanError> {
    if data_addrs(area.header, area.data_end, &area.skip)
        .nth(1)
        .is_none()
    {
        return Err(PlanError::NotFormattable {
            cc: crate::view::hex(&area.cc),
        });
    }
    let capacity = capacity_at(area.header, area.data_end, &area.skip);
    if message.len() > capacity {
        return Err(PlanError::TooLarge {
            message_len: message.len(),
            capacity,
        });
    }
    Ok(capacity)
}

/// Lays out the new TLV in `new`: `03`, the length (1 or 3 bytes), the message, a terminator if there is
/// room. Pages it touches that hold lock/reserved bytes must have been read (they are kept). Returns the
/// addresses of the length field.
fn lay_out_tlv(
    img: &TagImage,
    area: &TlvArea,
    message: &[u8],
    new: &mut TagImage,
) -> Result<Vec<usize>, PlanError> {
    let (header, skip) = (area.header, &area.skip);
    let len_field: Vec<u8> = if message.len() < 255 {
        vec![message.len() as u8]
    } else {
        vec![0xFF, (message.len() >> 8) as u8, message.len() as u8]
    };
    let mut addrs = data_addrs(header + 1, area.data_end, skip);
    let len_addrs: Vec<usize> = addrs.by_ref().take(len_field.len()).collect();
    let value_addrs: Vec<usize> = addrs.by_ref().take(message.len()).collect();
    let terminator = addrs.next();
    let mut touched: Vec<usize> = std::iter::once(header)
        .chain(len_addrs.iter().copied())
        .chain(value_addrs.iter().copied())
        .chain(terminator)
        .map(|a| a / PAGE_SIZE)
        .collect();
    touched.dedup();
    let must_read: Vec<usize> = touched
        .iter()
        .copied()
        .filter(|&p| {
            !img.is_known(p)
                && skip
                    .iter()
                    .any(|r| r.start < (p + 1) * PAGE_SIZE && r.end > p * PAGE_SIZE)
        })
        .collect();
    if !must_read.is_empty() {
        return Err(PlanError::NeedPages(must_read));
    }
    if !img.is_known(header / PAGE_SIZE) {
        return Err(PlanError::NeedPages(vec![header / PAGE_SIZE]));
    }
    new.set_byte(header, TLV_NDEF);
    for (a, b) in len_addrs.iter().zip(&len_field) {
        new.set_byte(*a, *b);
    }
    for (a, b) in value_addrs.iter().zip(message) {
        new.set_byte(*a, *b);
    }
    if let Some(t) = terminator {
        new.set_byte(t, TLV_TERMINATOR);
    }
    Ok(len_addrs)
}

/// The pages that change may be written: the CC allows it, no lock bit covers them, and no password
/// stands in the way (or this session authenticated).
fn check_writable(
    kind: ChipKind,
    img: &TagImage,
    g: &crate::chip::Geometry,
    changed: &[usize],
    authenticated: bool,
) -> Result<(), PlanError> {
    let cc = img.cc().expect("page 3 known");
    if cc.is_ndef() && !cc.writable() {
        return Err(PlanError::ReadOnly(ReadOnlyReason::CapabilityContainer));
    }
    for &p in changed {
        match page_locked(kind, img, p) {
            Some(true) => {
                return Err(PlanError::ReadOnly(ReadOnlyReason::LockBits {
                    page: p as u16,
                }))
            }
            Some(false) => {}
            None => {
                return Err(PlanError::NeedPages(vec![
                    g.dyn_lock_page.unwrap_or(2) as usize
                ]))
            }
        }
    }
    if let Some(cfg) = g.cfg_page {
        need(img, [cfg as usize, cfg as usize + 1])?;
        let pw = password_state(kind, img).expect("cfg known");
        let highest = *changed.iter().max().expect("non-empty");
        if pw.active && (pw.auth0 as usize) <= highest && !authenticated {
            return Err(PlanError::PasswordProtected { auth0: pw.auth0 });
        }
    }
    Ok(())
}

/// The tear-safe order, built against a running copy of the tag (a page already right is not written):
/// mark empty (the first length byte 00), the data, the commit (the real length), the CC of a blank tag.
fn order_writes(
    img: &TagImage,
    new: &TagImage,
    area: &TlvArea,
    len_addrs: &[usize],
    changed: &[usize],
) -> Vec<Step> {
    let first_len_page = len_addrs[0] / PAGE_SIZE;
    let header_page = area.header / PAGE_SIZE;
    let mut cur = img.clone();
    let mut steps = Vec::new();
    let mut push = |kind: StepKind, pages: &[(usize, [u8; 4])], cur: &mut TagImage| {
        let writes: Vec<PageWrite> = pages
            .iter()
            .filter(|(p, d)| cur.page(*p) != Some(*d))
            .map(|(p, d)| PageWrite::full(*p, *d))
            .collect();
        for w in &writes {
            cur.set_page(w.page as usize, w.data);
        }
        if !writes.is_empty() {
            steps.push(Step { kind, writes });
        }
    };
    if area.before == Before::Other {
        let mut marked = new.page(first_len_page).expect("set above");
        marked[len_addrs[0] % PAGE_SIZE] = 0;
        let mut pages = vec![(first_len_page, marked)];
        if header_page != first_len_page {
            pages.push((header_page, new.page(header_page).expect("set above")));
        }
        push(StepKind::MarkEmpty, &pages, &mut cur);
    }
    let data: Vec<(usize, [u8; 4])> = changed
        .iter()
        .copied()
        .filter(|&p| p != first_len_page && p != 3)
        .map(|p| (p, new.page(p).expect("changed pages are known")))
        .collect();
    push(StepKind::Data, &data, &mut cur);
    push(
        StepKind::Commit,
        &[(first_len_page, new.page(first_len_page).expect("set"))],
        &mut cur,
    );
    if area.before == Before::Blank {
        push(StepKind::FormatCc, &[(3, area.factory_cc)], &mut cur);
    }
    debug_assert_eq!(&cur, new);
    steps
}

/// Bits of the dynamic lock bytes that lock user pages (what read-back must show), for the chips with
/// configuration pages (NTAG21x, Ultralight EV1), whose lock page is written `FF FF FF 00` (nfcpy).
fn dyn_lock_mask(kind: ChipKind) -> [u8; 4] {
    match kind {
        ChipKind::Ntag213 => [0xFF, 0x0F, 0x00, 0x00],
        ChipKind::Ntag215 => [0xFF, 0x00, 0x00, 0x00],
        ChipKind::Ntag216 => [0xFF, 0x3F, 0x00, 0x00],
        ChipKind::Ntag212 | ChipKind::UltralightEv1Mf0ul21 => [0xFF, 0x03, 0x00, 0x00],
        _ => [0; 4],
    }
}

/// The permanent lock (irreversible): CC read-only, static lock bytes, the dynamic lock bits the tag
/// declares (its chip's, its Lock Control TLVs, or the T2T default rule), and CFGLCK where the chip has
/// configuration pages (so they cannot be used later to put a stranger's password on the tag). nfcpy
/// order. Returns no step when everything is already set.
pub fn plan_lock(kind: ChipKind, img: &TagImage) -> Result<Vec<Step>, PlanError> {
    if !kind.write_supported() && !kind.too_small() {
        return Err(PlanError::Unsupported(kind));
    }
    need(img, [2, 3])?;
    let g = geometry_of(kind, img).ok_or(PlanError::Unsupported(kind))?;
    let areas = dyn_lock_areas(kind, img);
    let total = img.total_pages();
    let mut pages: Vec<usize> = areas
        .iter()
        .flat_map(|a| (a.addr / PAGE_SIZE)..=((a.addr + a.len().max(1) - 1) / PAGE_SIZE))
        .filter(|&p| p < total)
        .collect();
    if let Some(cfg) = g.cfg_page {
        pages.extend([cfg as usize, cfg as usize + 1]);
    }
    need(img, pages)?;
    let mut writes = Vec::new();
    let cc = img.page(3).expect("known");
    if cc[3] & 0x0F != 0x0F {
        writes.push(PageWrite::full(3, [cc[0], cc[1], cc[2], cc[3] | 0x0F]));
    }
    let s = img.page(2).expect("known");
    if s[2] != 0xFF || s[3] != 0xFF {
        writes.push(PageWrite {
            page: 2,
            data: [s[0], s[1], 0xFF, 0xFF],
            verify_mask: [0, 0, 0xFF, 0xFF],
        });
    }
    if let (Some(dynp), Some(_)) = (g.dyn_lock_page, g.cfg_page) {
        // NTAG21x / EV1: the whole lock page, as nfcpy's `_protect_with_lockbits`.
        let dynp = dynp as usize;
        let d = img.page(dynp).expect("known");
        let mask = dyn_lock_mask(kind);
        if (0..3).any(|i| d[i] & mask[i] != mask[i]) || d[2] != 0xFF {
            writes.push(PageWrite {
                page: dynp as u16,
                data: [0xFF, 0xFF, 0xFF, 0x00],
                verify_mask: mask,
            });
        }
    } else {
        // Every other chip: set the bits each lock area declares (bytes of the page outside the area are
        // kept); NTAG203 / Ultralight C get both lock bytes fully set (block-lock bits included).
        let mut lock_pages: std::collections::BTreeMap<usize, ([u8; 4], [u8; 4])> =
            Default::default();
        for a in &areas {
            for (i, &user) in a.user_mask().iter().enumerate() {
                let addr = a.addr + i;
                let p = addr / PAGE_SIZE;
                if p >= total {
                    return Err(PlanError::NotFormattable {
                        cc: crate::view::hex(&cc),
                    });
                }
                let e = lock_pages
                    .entry(p)
                    .or_insert_with(|| (img.page(p).expect("known"), [0; 4]));
                let set = match a.map {
                    LockBitMap::Ultralight4 => 0xFF,
                    LockBitMap::Linear { .. } => user,
                };
                e.0[addr % PAGE_SIZE] |= set;
                e.1[addr % PAGE_SIZE] |= user;
            }
        }
        for (p, (data, mask)) in lock_pages {
            if img.page(p) != Some(data) {
                writes.push(PageWrite {
                    page: p as u16,
                    data,
                    verify_mask: mask,
                });
            }
        }
    }
    if let Some(cfg) = g.cfg_page {
        let cfg = cfg as usize;
        let c1 = img.page(cfg + 1).expect("known");
        if c1[0] & 0x40 == 0 {
            writes.push(PageWrite {
                page: (cfg + 1) as u16,
                data: [c1[0] | 0x40, c1[1], c1[2], c1[3]],
                verify_mask: [0xFF, 0, 0, 0],
            });
        }
    }
    Ok(if writes.is_empty() {
        Vec::new()
    } else {
        vec![Step {
            kind: StepKind::Lock,
            writes,
        }]
    })
}

/// Password protection of writes from page `auth0` on (PROT = 0: phones can still read the tag).
/// PWD and PACK are written first and AUTH0 last, so a torn setup leaves the tag unprotected.
/// PWD/PACK always read back as zeros: the caller verifies them with PWD_AUTH.
pub fn plan_password(
    kind: ChipKind,
    img: &TagImage,
    pwd: [u8; 4],
    pack: [u8; 2],
    auth0: u8,
) -> Result<Vec<Step>, PlanError> {
    if !kind.write_supported() {
        return Err(PlanError::Unsupported(kind));
    }
    let g = geometry_of(kind, img).ok_or(PlanError::Unsupported(kind))?;
    // Only chips with configuration pages (NTAG21x, Ultralight EV1) have a password.
    let cfg = g.cfg_page.ok_or(PlanError::Unsupported(kind))? as usize;
    need(img, [cfg, cfg + 1])?;
    let c0 = img.page(cfg).expect("known");
    let c1 = img.page(cfg + 1).expect("known");
    if c1[0] & 0x40 != 0 {
        return Err(PlanError::ReadOnly(ReadOnlyReason::ConfigLocked));
    }
    let mut writes = vec![
        PageWrite {
            page: (cfg + 2) as u16,
            data: pwd,
            verify_mask: [0; 4],
        },
        PageWrite {
            page: (cfg + 3) as u16,
            data: [pack[0], pack[1], 0, 0],
            verify_mask: [0; 4],
        },
    ];
    if c1[0] & 0x80 != 0 {
        writes.push(PageWrite {
            page: (cfg + 1) as u16,
            data: [c1[0] & 0x7F, c1[1], c1[2], c1[3]],
            verify_mask: [0xFF, 0, 0, 0],
        });
    }
    writes.push(PageWrite {
        page: cfg as u16,
        data: [c0[0], c0[1], c0[2], auth0],
        verify_mask: [0, 0, 0, 0xFF],
    });
    Ok(vec![Step {
        kind: StepKind::Password,
        writes,
    }])
}

/// Applies a step's writes to an image the way the tag would (for simulations and tests; OTP/lock
/// semantics are the tag's business, this just stores the bytes).
pub fn apply(img: &mut TagImage, steps: &[Step]) {
    for s in steps {
        for w in &s.writes {
            img.set_page(w.page as usize, w.data);
        }
    }
}

/// The CC a chip gets when formatted (none for a generic Type 2 tag: its size is unknown when blank).
pub fn factory_cc(kind: ChipKind) -> Option<CapabilityContainer> {
    kind.geometry()
        .and_then(|g| g.factory_cc)
        .map(CapabilityContainer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Message;
    use crate::t2t::decode_image;
    use crate::wechat::wechat_message;

    fn factory(kind: ChipKind) -> TagImage {
        let g = kind.geometry().unwrap();
        let mut img = TagImage::unknown(g.total_pages as usize);
        img.set_pages(
            0,
            &[
                4, 0xA1, 0xB2, 0x9F, 0xC3, 0xD4, 0xE5, 0x80, 0x82, 0x48, 0, 0,
            ],
        );
        img.set_page(3, g.factory_cc.unwrap());
        for p in 4..=g.user_last_page as usize {
            img.set_page(p, [0; 4]);
        }
        let pre: Vec<u8> = kind
            .factory_prefix()
            .iter()
            .copied()
            .chain([0x03, 0x00, 0xFE])
            .collect();
        for (i, b) in pre.iter().enumerate() {
            img.set_byte(16 + i, *b);
        }
        let cfg = g.cfg_page.unwrap() as usize;
        img.set_page(cfg - 1, [0, 0, 0, 0xBD]);
        img.set_page(cfg, [0x04, 0, 0, 0xFF]);
        img.set_page(cfg + 1, [0, 0x05, 0, 0]);
        img.set_page(cfg + 2, [0; 4]);
        img.set_page(cfg + 3, [0; 4]);
        img
    }

    fn msg(n: usize) -> Vec<u8> {
        let t = "A".repeat(n);
        wechat_message(&format!("weixin://dl/business/?t={t}"))
            .unwrap()
            .encode()
            .unwrap()
    }

    #[test]
    fn ntag215_fresh_matches_reference_pages() {
        let img = factory(ChipKind::Ntag215);
        let m = wechat_message("weixin://dl/business/?t=XTSkBZlzqmn")
            .unwrap()
            .encode()
            .unwrap();
        let plan = plan_content(ChipKind::Ntag215, &img, &m, false).unwrap();
        // Factory tag holds an empty message: no MarkEmpty; 18 data pages then page 4.
        assert_eq!(
            plan.steps.iter().map(|s| s.kind).collect::<Vec<_>>(),
            vec![StepKind::Data, StepKind::Commit]
        );
        assert_eq!(plan.steps[0].writes.len(), 18);
        assert_eq!(
            plan.steps[1].writes,
            vec![PageWrite::full(4, [0x03, 0x48, 0x91, 0x01])]
        );
        assert_eq!(plan.final_image.page(0x16), Some([0x6D, 0x6D, 0xFE, 0x00]));
        assert_eq!(plan.final_image.page(0x0E), Some([0x6D, 0x6E, 0x54, 0x0F]));
        let d = decode_image(&plan.final_image.to_bytes_lossy());
        assert_eq!(d.message.unwrap().unwrap(), Message::decode(&m).unwrap());
    }

    #[test]
    fn ntag213_factory_keeps_lock_tlv() {
        let img = factory(ChipKind::Ntag213);
        let m = wechat_message("weixin://dl/business/?t=XTSkBZlzqmn")
            .unwrap()
            .encode()
            .unwrap();
        let plan = plan_content(ChipKind::Ntag213, &img, &m, false).unwrap();
        assert_eq!(plan.final_image.page(4), Some([0x01, 0x03, 0xA0, 0x0C]));
        assert_eq!(plan.final_image.page(5), Some([0x34, 0x03, 0x48, 0x91]));
        assert_eq!(plan.final_image.page(0x17), Some([0x2E, 0x6D, 0x6D, 0xFE]));
        assert_eq!(plan.steps.last().unwrap().writes[0].page, 5);
        assert_eq!(plan.capacity, 137);
    }

    #[test]
    fn ntag213_limits() {
        let img = factory(ChipKind::Ntag213);
        // Scheme = 24 + n characters: 100 characters fit (137-byte message), 101 do not.
        assert!(plan_content(ChipKind::Ntag213, &img, &msg(76), false).is_ok());
        assert_eq!(
            plan_content(ChipKind::Ntag213, &img, &msg(77), false),
            Err(PlanError::TooLarge {
                message_len: 138,
                capacity: 137
            })
        );
    }

    #[test]
    fn rewrite_is_tear_safe_ordered_and_identical_is_noop() {
        let img = factory(ChipKind::Ntag216);
        let a = msg(35);
        let p1 = plan_content(ChipKind::Ntag216, &img, &a, false).unwrap();
        let same = plan_content(ChipKind::Ntag216, &p1.final_image, &a, false).unwrap();
        assert!(same.unchanged && same.steps.is_empty());
        let b = msg(36);
        let p2 = plan_content(ChipKind::Ntag216, &p1.final_image, &b, false).unwrap();
        let kinds: Vec<_> = p2.steps.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            vec![StepKind::MarkEmpty, StepKind::Data, StepKind::Commit]
        );
        assert_eq!(p2.steps[0].writes[0].data[1], 0x00);
        // A 3-byte length on a 216.
        let big = msg(400);
        let p3 = plan_content(ChipKind::Ntag216, &p2.final_image, &big, false).unwrap();
        assert_eq!(p3.final_image.page(4).unwrap()[..2], [0x03, 0xFF]);
        let d = decode_image(&p3.final_image.to_bytes_lossy());
        assert_eq!(d.message_bytes.unwrap(), big);
    }

    #[test]
    fn blank_tag_gets_cc_last() {
        let mut img = factory(ChipKind::Ntag213);
        img.set_page(3, [0; 4]);
        for p in 4..=0x27 {
            img.set_page(p, [0; 4]);
        }
        let plan = plan_content(ChipKind::Ntag213, &img, &msg(10), false).unwrap();
        assert!(plan.formats);
        let last = plan.steps.last().unwrap();
        assert_eq!(last.kind, StepKind::FormatCc);
        assert_eq!(
            last.writes,
            vec![PageWrite::full(3, [0xE1, 0x10, 0x12, 0x00])]
        );
        assert_eq!(plan.final_image.page(4), Some([0x01, 0x03, 0xA0, 0x0C]));
    }

    #[test]
    fn refusals() {
        let mut img = factory(ChipKind::Ntag215);
        img.set_page(3, [0xE1, 0x10, 0x3E, 0x0F]);
        assert_eq!(
            plan_content(ChipKind::Ntag215, &img, &msg(5), false),
            Err(PlanError::ReadOnly(ReadOnlyReason::CapabilityContainer))
        );
        let mut img = factory(ChipKind::Ntag215);
        img.set_page(0x83, [0x04, 0, 0, 0x04]);
        assert_eq!(
            plan_content(ChipKind::Ntag215, &img, &msg(5), false),
            Err(PlanError::PasswordProtected { auth0: 4 })
        );
        assert!(plan_content(ChipKind::Ntag215, &img, &msg(5), true).is_ok());
        let mut img = factory(ChipKind::Ntag215);
        img.forget_page(0x83);
        assert_eq!(
            plan_content(ChipKind::Ntag215, &img, &msg(5), false),
            Err(PlanError::NeedPages(vec![0x83]))
        );
        assert_eq!(
            plan_content(ChipKind::MifareClassic1k, &img, &msg(5), false),
            Err(PlanError::Unsupported(ChipKind::MifareClassic1k))
        );
        let mut img = factory(ChipKind::Ntag215);
        img.set_page(3, [0x12, 0x34, 0x56, 0x78]);
        assert!(matches!(
            plan_content(ChipKind::Ntag215, &img, &msg(5), false),
            Err(PlanError::NotFormattable { .. })
        ));
    }

    /// Found by the fuzzer: a CC announcing more than the chip has, and a Memory Control TLV reserving
    /// bytes it comes after.
    #[test]
    fn impossible_layouts_are_refused() {
        let mut img = factory(ChipKind::Ntag213);
        img.set_page(3, [0xE1, 0x10, 0x3E, 0x00]);
        assert!(matches!(
            plan_content(ChipKind::Ntag213, &img, &[], false),
            Err(PlanError::NotFormattable { .. })
        ));
        // The reserved area reaches back over the TLVs: the TLV area is rewritten the factory way.
        let mut img = factory(ChipKind::Ntag215);
        img.set_pages(4, &[0x02, 0x03, 0x00, 0x00, 0x00, 0, 0, 0]);
        let p = plan_content(ChipKind::Ntag215, &img, &msg(3), false).unwrap();
        assert!(p.formats);
        let d = decode_image(&p.final_image.to_bytes_lossy());
        assert_eq!(d.message_bytes.unwrap(), msg(3));
    }

    /// Found by the fuzzer: a Lock Control TLV after an unknown TLV, locking bytes inside the data area.
    /// The new NDEF TLV must go after it, or the skipped bytes would no longer be declared.
    #[test]
    fn control_tlv_after_other_tlv_is_kept() {
        let mut img = factory(ChipKind::Ntag215);
        img.set_pages(4, &[0x4E, 0x00, 0x01, 0x03, 0xA0, 0x0C, 0x32, 0xFE]);
        let m = msg(40);
        let p = plan_content(ChipKind::Ntag215, &img, &m, false).unwrap();
        assert_eq!(p.final_image.page(5).unwrap()[..3], [0xA0, 0x0C, 0x32]);
        let d = decode_image(&p.final_image.to_bytes_lossy());
        assert_eq!(d.layout.unwrap().skip, vec![40..42]);
        assert_eq!(d.message_bytes.unwrap(), m);
    }

    /// A foreign layout whose NDEF length byte sits on the next page: the commit is still one page write.
    #[test]
    fn length_field_on_another_page() {
        let mut img = factory(ChipKind::Ntag215);
        // NULL NULL NULL 03 | 00 FE ..
        img.set_pages(4, &[0x00, 0x00, 0x00, 0x03, 0x00, 0xFE, 0x00, 0x00]);
        let m = msg(20);
        let plan = plan_content(ChipKind::Ntag215, &img, &m, false).unwrap();
        let commit = plan.steps.last().unwrap();
        assert_eq!(commit.kind, StepKind::Commit);
        assert_eq!(commit.writes.len(), 1);
        assert_eq!(commit.writes[0].page, 5);
        assert_eq!(
            decode_image(&plan.final_image.to_bytes_lossy())
                .message_bytes
                .unwrap(),
            m
        );
    }

    #[test]
    fn lock_and_password_plans() {
        let img = factory(ChipKind::Ntag213);
        let steps = plan_lock(ChipKind::Ntag213, &img).unwrap();
        let pages: Vec<u16> = steps[0].writes.iter().map(|w| w.page).collect();
        assert_eq!(pages, vec![3, 2, 0x28, 0x2A]);
        let mut locked = img.clone();
        apply(&mut locked, &steps);
        assert!(plan_lock(ChipKind::Ntag213, &locked).unwrap().is_empty());
        assert!(
            crate::t2t::lock_state(ChipKind::Ntag213, &locked)
                .unwrap()
                .fully_locked
        );
        let p = plan_password(ChipKind::Ntag213, &img, [1, 2, 3, 4], [5, 6], 4).unwrap();
        let pages: Vec<u16> = p[0].writes.iter().map(|w| w.page).collect();
        assert_eq!(pages, vec![0x2B, 0x2C, 0x29]);
        assert_eq!(
            plan_password(ChipKind::Ntag213, &locked, [1, 2, 3, 4], [5, 6], 4),
            Err(PlanError::ReadOnly(ReadOnlyReason::ConfigLocked))
        );
    }
}

//! The tag engine: one session per tag on the reader. `read_tag` tells what the tag is and holds;
//! `write_ndef` writes a message tear-safely, verifies it by reading back, and optionally locks the tag or
//! protects it with a password kept in the OS keychain.
//!
//! The session keeps a memory image of the tag (nfcpy style): pages read once are not read again until
//! they are written, and a write is planned against the image so only changed pages are written.
//!
//! An ISO 14443-4 card goes to `type4.rs` (a child module) from `identify`, `read_tag` and `write_ndef`:
//! the NFC Forum Type 4 NDEF Tag Application, or "not an NFC tag" when the card has none.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use tapstand_ndef::chip::{identify, identify_uid, parse_atr, ChipInfo, ChipKind, MIN_DATA_BYTES};
use tapstand_ndef::plan::{
    plan_content, plan_lock, plan_password, ContentPlan, PageWrite, PlanError, ReadOnlyReason, Step,
};
use tapstand_ndef::t2t::{
    capacity_at, layout_capacity, lock_state, ndef_bytes, ndef_pages, page_locked, parse_layout,
    password_state, Layout, LayoutError, LockState, PasswordState, TagImage, PAGE_SIZE,
};
use tapstand_ndef::t4t::Type4Info;
use tapstand_ndef::{check_wechat, Message, RecordView, WechatCheck};
use tapstand_secrets::{accounts, SecretStore, SecretString};

use crate::apdu::{hex, hex_compact, Sw};
use crate::dialect;
use crate::error::TagError;
use crate::io::{IoStats, TagIo, Transport, FAST_READ_MAX_PAGES};
use crate::quirks::{PassThrough, Quirks};

#[path = "type4.rs"]
mod type4;

/// What to do besides writing the message. Both are explicit choices the UI must warn about.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, specta::Type)]
pub struct WriteOptions {
    /// Permanently read-only: CC, static and dynamic lock bits, CFGLCK. Irreversible.
    pub lock: bool,
    /// Protect writes with a random password stored in the OS keychain (phones can still read the tag).
    pub password_protect: bool,
}

/// Everything the inspector shows about a tag.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct TagReport {
    pub reader: String,
    /// Upper-case hex, no separators.
    pub uid: Option<String>,
    pub atr: String,
    pub chip: ChipInfo,
    pub ndef_formatted: bool,
    pub capability_container: Option<String>,
    /// Largest NDEF message that fits, bytes.
    pub capacity: Option<u32>,
    pub message_len: Option<u32>,
    pub records: Vec<RecordView>,
    /// Why the stored bytes are not a valid NDEF message.
    pub message_error: Option<String>,
    pub wechat: Option<WechatCheck>,
    /// NXP originality signature: `true` an NXP original, `false` not (a compatible chip or a copy),
    /// `null` this chip (or this reader) cannot be checked.
    pub genuine: Option<bool>,
    pub lock: Option<LockState>,
    pub password: Option<PasswordState>,
    /// Tapstand could write this tag now.
    pub writable: bool,
    /// Plain-language remarks (English; the UI words its own).
    pub notes: Vec<String>,
    /// An NFC Forum Type 4 tag's NDEF application (CC values, NDEF file, access); `None` for Type 2.
    pub type4: Option<Type4Info>,
    pub io: IoStats,
    pub elapsed_ms: u32,
}

impl TagReport {
    /// Why Tapstand cannot write this tag (when `writable` is false), as the engine would refuse it.
    pub fn refusal(&self) -> TagError {
        let name = self.chip.name.clone();
        match &self.type4 {
            Some(t) if t.read_only => TagError::Type4ReadOnly { name },
            Some(t) if t.protected => TagError::Type4Protected {
                name,
                detail: format!("write access {:?}", t.write_access),
            },
            _ if self.chip.kind == ChipKind::Iso14443_4 => TagError::NotNdefCard { name },
            _ if !self.chip.write_supported => TagError::Unsupported { name },
            _ => TagError::ReadOnly(ReadOnlyReason::CapabilityContainer),
        }
    }
}

/// The result of [`TagSession::write_ndef`].
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct WriteReport {
    pub uid: String,
    pub chip: ChipKind,
    pub message_len: u32,
    pub capacity: u32,
    /// The tag already held exactly this message: nothing was written.
    pub unchanged: bool,
    /// The tag was blank (or its TLV area unreadable) and got formatted.
    pub formatted: bool,
    /// Type 2: pages written; Type 4: UPDATE BINARY commands sent.
    pub pages_written: u32,
    pub locked: bool,
    pub password_protected: bool,
    pub io: IoStats,
    pub elapsed_ms: u32,
}

/// One tag on one reader.
pub struct TagSession<T: Transport> {
    io: TagIo<T>,
    atr: Vec<u8>,
    reader: String,
    chip: Option<ChipInfo>,
    image: TagImage,
    uid: Option<Vec<u8>>,
    secrets: Option<Arc<dyn SecretStore>>,
    /// The profile's tag key: tag passwords are derived from it ([`tapstand_secrets::tag_key`]).
    tag_key: Option<SecretString>,
    /// The genuine-chip verdict once READ_SIG was asked (see [`crate::genuine`]).
    genuine: Option<Option<bool>>,
    started: Instant,
    /// The NDEF Tag Application of a Type 4 tag (`type4.rs`).
    t4: Option<type4::T4State>,
    /// FAST_READ on this tag through this reader: untried (`None`), works, or not (the chip NAKs it, the
    /// reader has no pass-through): then plain READ (`FF B0`) is used.
    fast_read: Option<bool>,
}

fn map_plan_error(e: PlanError) -> TagError {
    match e {
        PlanError::Unsupported(k) => TagError::Unsupported {
            name: k.name().into(),
        },
        PlanError::ReadOnly(r) => TagError::ReadOnly(r),
        PlanError::PasswordProtected { auth0 } => TagError::PasswordProtected { auth0 },
        PlanError::TooLarge {
            message_len,
            capacity,
        } => TagError::TooLarge {
            message_len,
            capacity,
            over_by: message_len.saturating_sub(capacity),
        },
        PlanError::NotFormattable { cc } => TagError::NotFormattable { cc },
        PlanError::NeedPages(p) => TagError::Comm(format!("pages {p:?} could not be read")),
        e @ PlanError::ImageSize { .. } => TagError::Comm(e.to_string()),
    }
}

/// Keychain value: `pwd-hex:pack-hex`.
fn encode_password(pwd: [u8; 4], pack: [u8; 2]) -> String {
    format!("{}:{}", hex_compact(&pwd), hex_compact(&pack))
}

fn decode_password(s: &str) -> Option<([u8; 4], [u8; 2])> {
    let (a, b) = s.split_once(':')?;
    let p = u32::from_str_radix(a, 16).ok()?.to_be_bytes();
    let k = u16::from_str_radix(b, 16).ok()?.to_be_bytes();
    (a.len() == 8 && b.len() == 4).then_some((p, k))
}

impl<T: Transport> TagSession<T> {
    pub fn new(transport: T, quirks: Quirks) -> TagSession<T> {
        let atr = transport.atr();
        let reader = transport.reader_name();
        // The dialect probed earlier in this process, else the name's guess first and the others after it
        // (see `crate::dialect`); a reader found to speak none is not asked again.
        let candidates = match dialect::probed(&reader).dialect {
            Some(PassThrough::None) => Vec::new(),
            Some(d) => dialect::candidates(d),
            None if std::env::var_os("TAPSTAND_PASSTHROUGH").is_some() => {
                // Forced (for trying a reader): exactly that one.
                vec![quirks.passthrough]
                    .into_iter()
                    .filter(|p| *p != PassThrough::None)
                    .collect()
            }
            None => dialect::candidates(quirks.passthrough),
        };
        let mut io = TagIo::new(transport, quirks);
        io.set_candidates(candidates);
        TagSession {
            io,
            atr,
            reader,
            chip: None,
            image: TagImage::unknown(0),
            uid: None,
            secrets: None,
            tag_key: None,
            genuine: None,
            started: Instant::now(),
            t4: None,
            fast_read: None,
        }
    }

    /// Where tag passwords are kept (the OS keychain in the app).
    pub fn with_secrets(mut self, secrets: Arc<dyn SecretStore>) -> TagSession<T> {
        self.secrets = Some(secrets);
        self
    }

    /// The profile's tag key: a password this session puts on a tag is derived from it and the UID (no
    /// keychain entry per tag), and a tag protected so by any PC holding the same key is unlocked.
    pub fn with_tag_key(mut self, key: SecretString) -> TagSession<T> {
        self.tag_key = Some(key);
        self
    }

    pub fn stats(&self) -> &IoStats {
        &self.io.stats
    }

    pub fn transport(&self) -> &T {
        &self.io.t
    }

    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.io.t
    }

    /// The memory image as far as it has been read.
    pub fn image(&self) -> &TagImage {
        &self.image
    }

    pub fn uid_hex(&self) -> Option<String> {
        self.uid.as_deref().map(hex_compact)
    }

    fn elapsed_ms(&self) -> u32 {
        self.started.elapsed().as_millis() as u32
    }

    /// The genuine-chip verdict against NXP's published keys: READ_SIG once per session (the verdict is
    /// kept), after the chip is identified. See [`crate::genuine`].
    pub fn genuine(&mut self) -> Result<Option<bool>, TagError> {
        if let Some(g) = self.genuine {
            return Ok(g);
        }
        let g = self.genuine_with(tapstand_genuine::NXP_KEYS)?;
        self.genuine = Some(g);
        Ok(g)
    }

    /// The verdict against another key table (tests): sends READ_SIG every time, keeps nothing.
    pub fn genuine_with(
        &mut self,
        keys: &[tapstand_genuine::OriginalityKey],
    ) -> Result<Option<bool>, TagError> {
        let kind = match self.identify() {
            Ok(c) => c.kind,
            Err(TagError::NotType2(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let uid = self.uid.clone().unwrap_or_default();
        crate::genuine::check(&mut self.io, kind, &uid, keys)
    }

    /// Identifies the chip: ATR, pages 0–3 (UID, static lock, CC), GET_VERSION when the reader passes it.
    pub fn identify(&mut self) -> Result<ChipInfo, TagError> {
        if let Some(c) = &self.chip {
            return Ok(c.clone());
        }
        let hint = parse_atr(&self.atr).hint;
        if hint == ChipKind::Iso14443_4 {
            // A Type 4 tag, or a bank/transit card without the NDEF application.
            return self.identify_type4();
        }
        if !hint.is_type2() && hint != ChipKind::Unknown {
            self.uid = self.io.uid().ok();
            let c = identify(&self.atr, None, false, None);
            self.chip = Some(c.clone());
            return Ok(c);
        }
        // GET_VERSION first when the reader passes native commands (the first native exchange on a reader
        // also finds its dialect, `crate::dialect`): a chip known by it and having FAST_READ is then read
        // with one FAST_READ from page 0 (header, TLVs and the message area; on an NTAG213 the whole tag)
        // instead of READs of 4 pages.
        self.io.ask_firmware()?;
        let (version, nak) = if self.io.quirks.passthrough != PassThrough::None {
            match self.io.get_version() {
                Ok(Some(v)) => (Some(v), false),
                Ok(None) => (None, true),
                Err(TagError::NoPassThrough) => {
                    self.fast_read = Some(false);
                    (None, false)
                }
                Err(e) => return Err(e),
            }
        } else {
            self.fast_read = Some(false);
            (None, false)
        };
        let by_version = version
            .as_deref()
            .and_then(tapstand_ndef::chip::from_get_version)
            .filter(|k| k.has_fast_read())
            .and_then(|k| k.geometry());
        let mut prefetch: Option<Vec<u8>> = None;
        if let Some(g) = by_version {
            let end = (g.total_pages as usize).min(FAST_READ_MAX_PAGES) - 1;
            match self.io.fast_read(0, end as u8) {
                Ok(Some(d)) => {
                    self.fast_read = Some(true);
                    prefetch = Some(d);
                }
                Ok(None) => self.fast_read = Some(false),
                Err(TagError::NoPassThrough) => self.fast_read = Some(false),
                Err(e) => return Err(e),
            }
        }
        let first: Vec<u8> = match prefetch {
            Some(d) => d,
            None => match self.io.read4(0) {
                Ok(d) => d.to_vec(),
                Err(TagError::Status { .. } | TagError::ShortAnswer { .. }) => {
                    self.uid = self.io.uid().ok();
                    let c = identify(&self.atr, None, false, None);
                    self.chip = Some(c.clone());
                    return Err(TagError::NotType2(format!(
                        "pages cannot be read ({})",
                        c.name
                    )));
                }
                Err(e) => return Err(e),
            },
        };
        let cc = [first[12], first[13], first[14], first[15]];
        let mut c = identify_uid(&self.atr, version.as_deref(), nak, Some(cc), Some(first[0]));
        if version.is_none() && !nak && c.geometry.is_some_and(|g| g.cfg_page.is_some()) {
            c = self.confirm_guess(c, cc, first[0])?;
        }
        let total = match c.geometry {
            Some(g) => g.total_pages as usize,
            None => (4 + cc[2] as usize * 2 + 4).clamp(16, 256),
        };
        self.image = TagImage::unknown(total);
        let known = (first.len() / 4).min(total);
        self.image.set_pages(0, &first[..known * 4]);
        self.uid = self.image.uid().map(|u| u.to_vec());
        self.chip = Some(c.clone());
        Ok(c)
    }

    /// A chip told by its CC alone (no GET_VERSION on this reader) is a guess: an NTAG213's CC is also an
    /// NTAG203's, an Ultralight C's and a clone's, and what the guess calls CFG0 (AUTH0) is another chip's
    /// counter or key page. The guess stands only if its last page reads and the page after it does not
    /// (the tag is exactly that size); otherwise the chip is taken as one without configuration pages
    /// (as if it had NAKed GET_VERSION: NTAG203 for NXP's 144-byte CC), which writes the same user pages
    /// and never reads a password where there is none.
    fn confirm_guess(&mut self, c: ChipInfo, cc: [u8; 4], uid0: u8) -> Result<ChipInfo, TagError> {
        let Some(g) = c.geometry else { return Ok(c) };
        let last = g.total_pages - 1;
        let fits = match self.io.try_read4(last as u8)? {
            Some(_) => g.total_pages > 255 || self.io.try_read4(g.total_pages as u8)?.is_none(),
            None => false,
        };
        if fits {
            return Ok(c);
        }
        tracing::info!(guess = ?c.kind, "the chip is not the size its CC suggests; no configuration pages assumed");
        Ok(identify_uid(&self.atr, None, true, Some(cc), Some(uid0)))
    }

    /// Makes sure the pages are in the image: with FAST_READ one APDU per run of pages (runs a few pages
    /// apart are joined, each at most [`FAST_READ_MAX_PAGES`]); otherwise READ, 4 pages at a time from the
    /// lowest missing one. A FAST_READ the tag refuses switches this session to READ.
    fn ensure_pages(&mut self, pages: impl IntoIterator<Item = usize>) -> Result<(), TagError> {
        let total = self.image.total_pages();
        let mut want: Vec<usize> = pages
            .into_iter()
            .filter(|&p| p < total && !self.image.is_known(p))
            .collect();
        want.sort_unstable();
        want.dedup();
        if self.fast_read != Some(false) && !want.is_empty() && self.fast_read_possible() {
            let mut runs: Vec<(usize, usize)> = Vec::new();
            for &p in &want {
                match runs.last_mut() {
                    Some((s, e)) if p <= *e + 4 && p - *s < FAST_READ_MAX_PAGES => *e = p,
                    _ => runs.push((p, p)),
                }
            }
            for (start, end) in runs {
                match self.io.fast_read(start as u8, end as u8) {
                    Ok(Some(d)) => {
                        self.fast_read = Some(true);
                        for (i, c) in d.chunks_exact(4).enumerate() {
                            self.image.set_page(start + i, [c[0], c[1], c[2], c[3]]);
                        }
                    }
                    Ok(None) | Err(TagError::NoPassThrough) => {
                        self.fast_read = Some(false);
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        for p in want {
            if self.image.is_known(p) {
                continue;
            }
            let d = self.io.read4(p as u8)?;
            for i in 0..4 {
                // A read past the last page rolls over to page 0: keep only real pages.
                if p + i < total {
                    self.image
                        .set_page(p + i, [d[i * 4], d[i * 4 + 1], d[i * 4 + 2], d[i * 4 + 3]]);
                }
            }
        }
        Ok(())
    }

    /// FAST_READ needs the pass-through and a chip that has it (NTAG21x, Ultralight EV1).
    fn fast_read_possible(&self) -> bool {
        self.io.quirks.passthrough != PassThrough::None
            && self.chip.as_ref().is_some_and(|c| c.kind.has_fast_read())
    }

    /// Parses the TLV area, reading pages as needed.
    fn layout(&mut self) -> Result<Result<Layout, LayoutError>, TagError> {
        let Some(cc) = self.image.cc() else {
            return Ok(Err(LayoutError::Need(3)));
        };
        for _ in 0..64 {
            match parse_layout(&self.image, &cc) {
                Err(LayoutError::Need(p)) => self.ensure_pages([p])?,
                other => return Ok(other),
            }
        }
        Ok(Err(LayoutError::Need(0)))
    }

    fn config_pages(&self) -> Vec<usize> {
        let g = self.chip.as_ref().and_then(|c| c.geometry);
        match g {
            Some(g) => g
                .dyn_lock_page
                .into_iter()
                .chain(g.cfg_page.into_iter().flat_map(|c| [c, c + 1]))
                .map(|p| p as usize)
                .collect(),
            None => Vec::new(),
        }
    }

    /// Reads everything the inspector needs. Never writes.
    pub fn read_tag(&mut self) -> Result<TagReport, TagError> {
        let chip = match self.identify() {
            Ok(c) => c,
            Err(TagError::NotType2(why)) => {
                let chip = self.chip.clone().expect("set on this path");
                return Ok(self.report_unreadable(chip, Some(why)));
            }
            Err(e) => return Err(e),
        };
        if self.t4.is_some() {
            return self.read_tag_type4(chip);
        }
        if !chip.kind.is_type2() {
            return Ok(self.report_unreadable(chip, None));
        }
        let mut notes = Vec::new();
        if let Err(e) = self.ensure_pages(self.config_pages()) {
            if matches!(e, TagError::TagRemoved | TagError::NoService(_)) {
                return Err(e);
            }
            if !self.read_protection(&e) {
                // Not the tag's protection: the reader's own limit (`6A 82`) or trouble. Said as it is.
                return Err(e);
            }
            // Read protection: try the password the keychain knows for this tag.
            if self.authenticate_known().is_err() || self.ensure_pages(self.config_pages()).is_err()
            {
                notes.push(
                    "configuration pages cannot be read (password read protection)".to_string(),
                );
            }
        }
        let cc = self.image.cc().expect("page 3 read");
        let mut report = TagReport {
            reader: self.reader.clone(),
            uid: self.uid_hex(),
            atr: hex(&self.atr),
            chip: chip.clone(),
            ndef_formatted: cc.is_ndef(),
            capability_container: Some(hex(&cc.0)),
            capacity: None,
            message_len: None,
            records: Vec::new(),
            message_error: None,
            wechat: None,
            genuine: None,
            lock: lock_state(chip.kind, &self.image),
            password: password_state(chip.kind, &self.image),
            writable: false,
            notes,
            type4: None,
            io: IoStats::default(),
            elapsed_ms: 0,
        };
        if cc.is_ndef() {
            if let Err(e) = self.read_message(&mut report) {
                if matches!(e, TagError::TagRemoved | TagError::NoService(_)) {
                    return Err(e);
                }
                report.message_error = Some(format!(
                    "the content cannot be read (password read protection?): {e}"
                ));
            }
            if chip.kind == ChipKind::OtherType2 {
                // A tag sized from its CC: its lock bytes are where its Lock Control TLVs say (read now
                // that the TLVs are), so its lock state is judged from them.
                match self.read_declared_lock_bytes(chip.kind) {
                    Ok(()) => report.lock = lock_state(chip.kind, &self.image),
                    Err(e @ (TagError::TagRemoved | TagError::NoService(_))) => return Err(e),
                    Err(e) => report.notes.push(format!("lock bytes not readable: {e}")),
                }
            }
        } else if cc.is_blank() {
            report
                .notes
                .push("blank tag (not NDEF formatted); Tapstand formats it when writing".into());
            if let Some(g) = chip.geometry {
                if let Some(cc) = g.factory_cc {
                    report.capacity = Some(capacity_at(
                        16 + chip.kind.factory_prefix().len(),
                        16 + cc[2] as usize * 8,
                        &[],
                    ) as u32);
                }
            }
        } else {
            report
                .notes
                .push("the capability container is not NDEF".into());
        }
        let password_blocks = report.password.as_ref().is_some_and(|p| {
            p.active
                && p.auth0 as u32 <= chip.geometry.map(|g| g.user_last_page as u32).unwrap_or(0)
        });
        let locked = report
            .lock
            .as_ref()
            .is_some_and(|l| l.cc_read_only || l.locked_user_pages > 0);
        // Configuration pages unreadable (read protection without a known password): not writable either.
        let cfg_unknown =
            chip.geometry.and_then(|g| g.cfg_page).is_some() && report.password.is_none();
        report.writable = chip.write_supported
            && !locked
            && !cfg_unknown
            && (!password_blocks || self.known_password().is_some());
        if !chip.write_supported {
            report.notes.push(chip.support_en.clone());
        }
        // Last, so a chip that NAKs READ_SIG (and needs a reset) costs the reads above nothing.
        report.genuine = self.genuine()?;
        report.io = self.io.stats.clone();
        report.elapsed_ms = self.elapsed_ms();
        Ok(report)
    }

    fn read_message(&mut self, report: &mut TagReport) -> Result<(), TagError> {
        match self.layout()? {
            Ok(layout) => {
                report.capacity = Some(layout_capacity(&layout) as u32);
                match &layout.ndef {
                    Some(n) => {
                        self.ensure_pages(ndef_pages(n))?;
                        let bytes = ndef_bytes(&self.image, n)
                            .map_err(|_| TagError::Comm("NDEF pages unreadable".into()))?;
                        report.message_len = Some(bytes.len() as u32);
                        match Message::decode(&bytes) {
                            Ok(m) => {
                                report.records = m.records.iter().map(RecordView::of).collect();
                                report.wechat = Some(check_wechat(&m));
                            }
                            Err(e) => report.message_error = Some(e.to_string()),
                        }
                    }
                    None => report
                        .notes
                        .push("formatted, but holds no NDEF message".into()),
                }
            }
            Err(LayoutError::Invalid(p)) => report.message_error = Some(p.to_string()),
            Err(LayoutError::Need(p)) => {
                report.message_error = Some(format!("page {p} unreadable"))
            }
        }
        Ok(())
    }

    fn report_unreadable(&mut self, chip: ChipInfo, why: Option<String>) -> TagReport {
        let mut notes = vec![chip.support_en.clone()];
        notes.extend(why);
        TagReport {
            reader: self.reader.clone(),
            uid: self.uid_hex(),
            atr: hex(&self.atr),
            chip,
            ndef_formatted: false,
            capability_container: None,
            capacity: None,
            message_len: None,
            records: Vec::new(),
            message_error: None,
            wechat: None,
            genuine: None,
            lock: None,
            password: None,
            writable: false,
            notes,
            type4: None,
            io: self.io.stats.clone(),
            elapsed_ms: self.elapsed_ms(),
        }
    }

    /// PWD_AUTH with the password the keychain holds for this UID; `PasswordProtected` if there is none.
    fn authenticate_known(&mut self) -> Result<(), TagError> {
        let Some((pwd, pack)) = self.known_password() else {
            return Err(TagError::PasswordProtected { auth0: 0 });
        };
        match self.io.pwd_auth(pwd)? {
            Some(p) if p == pack => Ok(()),
            _ => Err(TagError::WrongPassword),
        }
    }

    fn known_password(&self) -> Option<([u8; 4], [u8; 2])> {
        if let (Some(key), Some(uid)) = (&self.tag_key, &self.uid) {
            return Some(tapstand_secrets::tag_key::derive(key.expose(), uid));
        }
        // A tag protected before tag keys: its own keychain entry.
        let uid = self.uid_hex()?;
        let s = self
            .secrets
            .as_ref()?
            .get(&accounts::tag_password(&uid))
            .ok()??;
        decode_password(s.expose())
    }

    /// Writes `message`, then verifies it by reading it back. Tear-safe: if the tag is pulled away at any
    /// moment, it holds the previous message, an empty NDEF message, or the complete new one.
    pub fn write_ndef(
        &mut self,
        message: &Message,
        opts: WriteOptions,
    ) -> Result<WriteReport, TagError> {
        let bytes = self.check_request(message, opts)?;
        let chip = match self.writable_chip(bytes.len(), opts)? {
            Some(c) => c,
            None => return self.write_ndef_type4(&bytes, opts),
        };
        let kind = chip.kind;
        let g = chip.geometry.expect("writable chips have a geometry");
        let uid = self.uid_hex().unwrap_or_default();
        let pw = self.read_config(kind)?;
        self.read_old_message(bytes.len())?;
        let plan = self.plan_message(kind, &bytes)?;
        self.check_reach(&plan.steps)?;
        let mut pages_written = 0u32;
        for step in &plan.steps {
            pages_written += self.run_step(kind, step)?;
        }
        if !plan.unchanged {
            tracing::info!(uid = %uid, pages = pages_written, "NDEF message written and verified");
        }
        let locked = opts.lock;
        if locked {
            pages_written += self.lock_tag(kind)?;
        }
        let mut password_protected = pw
            .as_ref()
            .is_some_and(|p| p.active && p.auth0 as u16 <= g.user_last_page);
        if opts.password_protect && !(password_protected && self.io.authenticated()) {
            pages_written += self.protect_with_password(kind, &uid)?;
            password_protected = true;
        }
        Ok(WriteReport {
            uid,
            chip: kind,
            message_len: bytes.len() as u32,
            capacity: plan.capacity as u32,
            unchanged: plan.unchanged,
            formatted: plan.formats,
            pages_written,
            locked,
            password_protected,
            io: self.io.stats.clone(),
            elapsed_ms: self.elapsed_ms(),
        })
    }

    /// The options make sense together and the message encodes: its bytes.
    fn check_request(&self, message: &Message, opts: WriteOptions) -> Result<Vec<u8>, TagError> {
        if opts.lock && opts.password_protect {
            return Err(TagError::LockWithPassword);
        }
        if opts.password_protect && self.secrets.is_none() && self.tag_key.is_none() {
            return Err(TagError::Keychain(
                "no keychain given to the tag session".into(),
            ));
        }
        message
            .encode()
            .map_err(|e| TagError::InvalidMessage(e.to_string()))
    }

    /// Identifies the chip and refuses what cannot be written, before anything is written. `None`: a
    /// Type 4 tag (written by `type4.rs`).
    fn writable_chip(
        &mut self,
        message_len: usize,
        opts: WriteOptions,
    ) -> Result<Option<ChipInfo>, TagError> {
        let chip = match self.identify() {
            Ok(c) => c,
            Err(TagError::NotType2(_)) => {
                let name = self
                    .chip
                    .as_ref()
                    .map(|c| c.name.clone())
                    .unwrap_or_default();
                return Err(TagError::Unsupported { name });
            }
            Err(e) => return Err(e),
        };
        if self.t4.is_some() {
            return Ok(None);
        }
        if chip.kind == ChipKind::Iso14443_4 {
            return Err(TagError::NotNdefCard { name: chip.name });
        }
        if !chip.write_supported {
            let cc = self.image.cc();
            if chip.kind == ChipKind::OtherType2
                && cc.is_some_and(|c| !c.is_ndef())
                && self.io.quirks.passthrough == PassThrough::None
            {
                return Err(TagError::CannotIdentifyBlank);
            }
            // A 48-byte Type 2 tag (MF0UL11, NTAG210, Ultralight, a generic one with CC 06): the link
            // does not fit; say so and which tags to buy.
            if chip.kind.too_small()
                || chip
                    .capacity_bytes
                    .is_some_and(|n| (n as usize) < MIN_DATA_BYTES)
            {
                return Err(TagError::TooSmall {
                    name: chip.name.clone(),
                    data_bytes: chip.capacity_bytes.unwrap_or(48) as usize,
                    message_len,
                });
            }
            return Err(TagError::Unsupported {
                name: chip.name.clone(),
            });
        }
        // Known only now that identifying found the reader's dialect.
        if opts.password_protect && self.io.quirks.passthrough == PassThrough::None {
            return Err(TagError::NoPassThrough);
        }
        // A password needs a chip with one (NTAG21x, Ultralight EV1): refused before anything is written.
        let g = chip.geometry.expect("writable chips have a geometry");
        if opts.password_protect && g.cfg_page.is_none() {
            return Err(TagError::NoPasswordOnChip {
                name: chip.name.clone(),
            });
        }
        Ok(Some(chip))
    }

    /// Configuration: dynamic lock bytes, CFG0 (AUTH0), CFG1 (ACCESS) — one read. A tag whose reads are
    /// password protected (PROT = 1) refuses it: authenticate with a known password or give up. Then
    /// PWD_AUTH with the keychain's password when writes are protected.
    fn read_config(&mut self, kind: ChipKind) -> Result<Option<PasswordState>, TagError> {
        match self.ensure_pages(self.config_pages()) {
            Ok(()) => {}
            Err(e) if self.read_protection(&e) => {
                self.authenticate_known()?;
                self.ensure_pages(self.config_pages())?;
            }
            Err(e) => return Err(e),
        }
        let pw = password_state(kind, &self.image);
        if pw.as_ref().is_some_and(|p| p.active) && !self.io.authenticated() {
            if let Some((pwd, pack)) = self.known_password() {
                match self.io.pwd_auth(pwd)? {
                    Some(p) if p == pack => {}
                    _ => return Err(TagError::WrongPassword),
                }
            }
        }
        Ok(pw)
    }

    /// Can this failed read be the tag's read protection (PROT), to be lifted with a known password? Only
    /// on a chip that has a password, and not when the reader says it cannot reach the page (`6A 82`) or
    /// do the command: a guess that turns a reader's limit into "password protected" is a wrong verdict.
    fn read_protection(&self, e: &TagError) -> bool {
        let has_password = self.chip.as_ref().is_some_and(|c| c.has_password);
        match e {
            TagError::Status { sw, .. } => {
                has_password && !matches!(sw, Sw::OutOfRange | Sw::NotSupported)
            }
            _ => false,
        }
    }

    /// Reads what is there where the new message goes, so identical pages are not rewritten.
    fn read_old_message(&mut self, message_len: usize) -> Result<(), TagError> {
        let Some(cc) = self.image.cc() else {
            return Ok(());
        };
        if !cc.is_ndef() {
            return Ok(());
        }
        if let Ok(layout) = self.layout()? {
            if let Some(n) = &layout.ndef {
                let old = ndef_pages(n);
                let new_end = (n.tlv_addr + 4 + message_len + 1) / PAGE_SIZE + 1;
                let end = old.end.min(new_end);
                self.ensure_pages(old.start..end)?;
            }
        }
        Ok(())
    }

    /// Plans the message against the image, reading the pages the planner asks for.
    fn plan_message(&mut self, kind: ChipKind, bytes: &[u8]) -> Result<ContentPlan, TagError> {
        loop {
            match plan_content(kind, &self.image, bytes, self.io.authenticated()) {
                Err(PlanError::NeedPages(pages)) => self.read_needed(pages)?,
                Err(e) => return Err(map_plan_error(e)),
                Ok(p) => return Ok(p),
            }
        }
    }

    /// Reads pages a planner needs; an error when none of them could be read.
    fn read_needed(&mut self, pages: Vec<usize>) -> Result<(), TagError> {
        let before: Vec<bool> = pages.iter().map(|&p| self.image.is_known(p)).collect();
        self.ensure_pages(pages.clone())?;
        if pages
            .iter()
            .zip(before)
            .all(|(&p, b)| b || !self.image.is_known(p))
        {
            return Err(map_plan_error(PlanError::NeedPages(pages)));
        }
        Ok(())
    }

    /// Before the first write: the highest page the plan writes can be read on this reader. Some readers
    /// stop short of the tag's end (Feitian: page `0F` of an Ultralight C, `6A 82`); finding out now
    /// leaves the tag untouched instead of half-way through the plan.
    fn check_reach(&mut self, steps: &[Step]) -> Result<(), TagError> {
        let Some(top) = steps.iter().flat_map(|s| &s.writes).map(|w| w.page).max() else {
            return Ok(());
        };
        match self.ensure_pages([top as usize]) {
            Err(
                e @ TagError::Status {
                    sw: Sw::OutOfRange | Sw::NotSupported,
                    ..
                },
            ) => Err(e),
            Err(e @ (TagError::TagRemoved | TagError::NoService(_) | TagError::Interrupted(_))) => {
                Err(e)
            }
            // Anything else (a read-protected page, say) is left to the writes and their read-back,
            // which tell a lock or a password from a failure.
            _ => Ok(()),
        }
    }

    /// A tag sized from its CC: the image reaches its declared lock bytes (Lock Control TLVs, which may lie
    /// past what the CC alone implies), and those pages are read.
    fn read_declared_lock_bytes(&mut self, kind: ChipKind) -> Result<(), TagError> {
        if let Some(g) = tapstand_ndef::t2t::geometry_of(kind, &self.image) {
            self.image.grow_to(g.total_pages as usize);
        }
        let pages: Vec<usize> = tapstand_ndef::t2t::dyn_lock_areas(kind, &self.image)
            .iter()
            .flat_map(|a| (a.addr / 4)..=((a.addr + a.len().max(1) - 1) / 4))
            .collect();
        self.ensure_pages(pages)
    }

    /// Tapstand's permanent lock (CC, static and dynamic lock bits, CFGLCK), each step verified.
    fn lock_tag(&mut self, kind: ChipKind) -> Result<u32, TagError> {
        if kind == ChipKind::OtherType2 {
            self.read_declared_lock_bytes(kind)?;
        }
        let steps = loop {
            match plan_lock(kind, &self.image) {
                Err(PlanError::NeedPages(pages)) => self.read_needed(pages)?,
                other => break other.map_err(map_plan_error)?,
            }
        };
        let mut n = 0;
        for s in &steps {
            n += self.run_step(kind, s)?;
        }
        Ok(n)
    }

    fn protect_with_password(&mut self, kind: ChipKind, uid: &str) -> Result<u32, TagError> {
        let (pwd, pack) = match (&self.tag_key, &self.uid) {
            // Derived from the profile's tag key (kept once in the keychain): nothing to store per tag.
            (Some(key), Some(uid)) => tapstand_secrets::tag_key::derive(key.expose(), uid),
            _ => {
                let mut r = [0u8; 6];
                loop {
                    getrandom::fill(&mut r).map_err(|e| TagError::Comm(format!("random: {e}")))?;
                    if r[..4] != [0; 4] && r[..4] != [0xFF; 4] {
                        break;
                    }
                }
                let (pwd, pack) = ([r[0], r[1], r[2], r[3]], [r[4], r[5]]);
                // The password goes to the keychain before it goes to the tag: it can never be lost.
                let store = self.secrets.clone().expect("checked");
                store
                    .set(
                        &accounts::tag_password(uid),
                        &SecretString::new(encode_password(pwd, pack)),
                    )
                    .map_err(|e| TagError::Keychain(e.to_string()))?;
                (pwd, pack)
            }
        };
        let steps = plan_password(kind, &self.image, pwd, pack, 4).map_err(map_plan_error)?;
        let mut n = 0;
        for s in &steps {
            n += self.run_step(kind, s)?;
        }
        match self.io.pwd_auth(pwd)? {
            Some(p) if p == pack => Ok(n),
            other => Err(TagError::VerifyFailed {
                page: 0,
                wrote: "PWD_AUTH".into(),
                read: other.map(|p| hex(&p)).unwrap_or_else(|| "NAK".into()),
                sw: "-".into(),
            }),
        }
    }

    /// Writes a step's pages in order, then reads them back and compares; rewrites mismatches once.
    fn run_step(&mut self, kind: ChipKind, step: &Step) -> Result<u32, TagError> {
        let mut sws: BTreeMap<u16, Sw> = BTreeMap::new();
        for w in &step.writes {
            let sw = self.io.write(w.page as u8, w.data)?;
            sws.insert(w.page, sw);
        }
        let mut written = step.writes.len() as u32;
        let mut pending: Vec<PageWrite> = step.writes.clone();
        for attempt in 0..2 {
            for w in &pending {
                self.image.forget_page(w.page as usize);
            }
            self.ensure_pages(pending.iter().map(|w| w.page as usize))?;
            let bad: Vec<PageWrite> = pending
                .iter()
                .copied()
                .filter(|w| {
                    !self
                        .image
                        .page(w.page as usize)
                        .is_some_and(|r| w.matches(r))
                })
                .collect();
            for w in &pending {
                if !bad.contains(w) && sws.get(&w.page).is_some_and(|s| *s != Sw::Ok) {
                    self.io.stats.untrusted_failures += 1;
                    tracing::debug!(
                        page = w.page,
                        "reader reported a failed write that read-back shows succeeded"
                    );
                }
            }
            // Pages written without a mask (PWD/PACK) keep what was written in the image.
            for w in &pending {
                if w.verify_mask == [0; 4] {
                    self.image.set_page(w.page as usize, w.data);
                }
            }
            if bad.is_empty() {
                return Ok(written);
            }
            if attempt == 0 {
                for w in &bad {
                    let sw = self.io.write(w.page as u8, w.data)?;
                    sws.insert(w.page, sw);
                    written += 1;
                }
                pending = bad;
            } else {
                let w = bad[0];
                let read = self.image.page(w.page as usize).unwrap_or_default();
                if page_locked(kind, &self.image, w.page as usize) == Some(true) {
                    return Err(TagError::ReadOnly(ReadOnlyReason::LockBits {
                        page: w.page,
                    }));
                }
                if self
                    .image
                    .cc()
                    .is_some_and(|c| c.write_access() != 0 && c.is_ndef())
                    && w.page != 3
                {
                    return Err(TagError::ReadOnly(ReadOnlyReason::CapabilityContainer));
                }
                if let Some(p) = password_state(kind, &self.image) {
                    if p.active && p.auth0 as u16 <= w.page && !self.io.authenticated() {
                        return Err(TagError::PasswordProtected { auth0: p.auth0 });
                    }
                }
                return Err(TagError::VerifyFailed {
                    page: w.page,
                    wrote: hex(&w.data),
                    read: hex(&read),
                    sw: sws.get(&w.page).map(|s| s.to_string()).unwrap_or_default(),
                });
            }
        }
        unreachable!("two attempts")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_encoding() {
        let s = encode_password([0x12, 0xAB, 0, 0xFF], [0xCD, 0x01]);
        assert_eq!(s, "12AB00FF:CD01");
        assert_eq!(
            decode_password(&s),
            Some(([0x12, 0xAB, 0, 0xFF], [0xCD, 0x01]))
        );
        assert_eq!(decode_password("xyz"), None);
    }
}

//! PC/SC with the `pcsc` crate: readers, waiting for a tag, connecting. One [`Pcsc`] (one context) per
//! thread: pcsc-lite serialises the calls on a context, so a thread that polls the readers while another
//! writes a tag opens its own.
//!
//! One program per tag: a session holds the card in **exclusive** share mode from connect to disconnect,
//! so a second program (another Tapstand window, the CLI, a vendor tool) can never interleave its APDUs
//! with ours or reset the card under our write. A second program that asks while the card is held waits
//! up to [`BUSY_WAIT`] for it, then gets [`TagError::ReaderBusy`] ("the reader is in use by another
//! window or program"). The card is released when the [`PcscTransport`] is dropped, on every path
//! (success, error, panic unwinding; the OS releases it if the process dies). Every reset (after a NAK,
//! and on release) happens while we hold the card alone, so it never lands under another writer.
//!
//! Recovery: when pcscd restarts or the Windows Smart Card service stops (it stops when the last reader
//! is unplugged), calls fail with `NO_SERVICE` / `SERVICE_STOPPED` / `INVALID_HANDLE`. The context is then
//! dropped and established again on the next call.

use std::ffi::CString;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::{is_service_error, TagError};
use crate::io::Transport;
use crate::quirks::{quirks_for, PassThrough, ReaderFamily};
use crate::session::TagSession;

/// How long [`Pcsc::connect`] waits for a card that another program holds before it says the reader is
/// busy. A whole first write takes well under a second on the readers we support, so a second program
/// usually just waits its turn; a program that holds the card for longer (a vendor tool left open) gets a
/// clear "busy" within this time instead of a hang.
pub const BUSY_WAIT: Duration = Duration::from_secs(2);

/// A reader and whether a tag is on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct ReaderInfo {
    pub name: String,
    pub family: ReaderFamily,
    pub tag_present: bool,
    /// The reader reports an empty field (not merely "no usable tag": a mute or unpowered card is neither).
    pub empty: bool,
    /// Card insertions/removals seen by the service (pcsc-lite and Windows: upper 16 bits of the state).
    pub event_count: u32,
    /// ATR of the tag on it (hex).
    pub atr: Option<String>,
    /// How native commands reach tags on this reader, as probed in this process (`crate::dialect`):
    /// `acr122_direct`, `part3_transparent`, or `none` (pseudo-APDUs only); `null` until probed (it takes
    /// a tag on the reader: see [`Pcsc::probe`]).
    pub dialect: Option<PassThrough>,
    /// The reader's firmware string (`FF 00 48 00 00` on ACS readers), when it gives one.
    pub firmware: Option<String>,
}

/// A PC/SC context that re-establishes itself after the service went away.
pub struct Pcsc {
    ctx: Option<pcsc::Context>,
}

impl Default for Pcsc {
    fn default() -> Self {
        Pcsc::new()
    }
}

impl Pcsc {
    /// No context is established until the first call.
    pub fn new() -> Pcsc {
        Pcsc { ctx: None }
    }

    fn ctx(&mut self) -> Result<pcsc::Context, TagError> {
        if let Some(c) = &self.ctx {
            return Ok(c.clone());
        }
        let c = pcsc::Context::establish(pcsc::Scope::User)
            .map_err(|e| TagError::NoService(e.to_string()))?;
        self.ctx = Some(c.clone());
        Ok(c)
    }

    /// Runs `f`; on a service error, establishes a new context and tries once more.
    fn call<R>(
        &mut self,
        f: impl Fn(&pcsc::Context) -> Result<R, pcsc::Error>,
    ) -> Result<R, TagError> {
        for attempt in 0..2 {
            let c = self.ctx()?;
            match f(&c) {
                Ok(r) => return Ok(r),
                Err(e)
                    if is_service_error(e)
                        && e != pcsc::Error::NoReadersAvailable
                        && attempt == 0 =>
                {
                    tracing::info!(error = %e, "PC/SC context lost; establishing a new one");
                    self.ctx = None;
                }
                Err(e) => return Err(e.into()),
            }
        }
        unreachable!()
    }

    /// Reader names (empty when none is connected).
    pub fn list_readers(&mut self) -> Result<Vec<String>, TagError> {
        match self.call(|c| c.list_readers_owned()) {
            Ok(v) => Ok(v
                .into_iter()
                .map(|n| n.to_string_lossy().into_owned())
                .collect()),
            Err(TagError::NoReader) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Readers with their tag state (does not wait).
    pub fn readers(&mut self) -> Result<Vec<ReaderInfo>, TagError> {
        let names = self.list_readers()?;
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let states = self.call(|c| {
            let mut st: Vec<pcsc::ReaderState> = names
                .iter()
                .filter_map(|n| CString::new(n.as_str()).ok())
                .map(|n| pcsc::ReaderState::new(n, pcsc::State::UNAWARE))
                .collect();
            match c.get_status_change(Duration::ZERO, &mut st) {
                Ok(()) | Err(pcsc::Error::Timeout) => Ok(st),
                Err(e) => Err(e),
            }
        })?;
        Ok(states.iter().map(info_of).collect())
    }

    /// Waits until a tag is on `reader` (or, without a name, on exactly one reader). Finite: gives up
    /// after `timeout` (`Duration::ZERO`: look once).
    pub fn wait_for_tag(
        &mut self,
        reader: Option<&str>,
        timeout: Duration,
    ) -> Result<ReaderInfo, TagError> {
        let deadline = Instant::now() + timeout;
        loop {
            let readers = self.readers()?;
            let now = Instant::now();
            let (found, candidates) = pick(&readers, reader, timeout, now >= deadline);
            if let Some(r) = found {
                return r;
            }
            // Block in SCardGetStatusChange for a short, finite slice (plus PnP where it exists).
            let slice = (deadline - now).min(Duration::from_millis(250));
            let names = candidates;
            let _ = self.call(|c| {
                let mut st: Vec<pcsc::ReaderState> = names
                    .iter()
                    .filter_map(|n| CString::new(n.as_str()).ok())
                    .map(|n| pcsc::ReaderState::new(n, pcsc::State::UNAWARE))
                    .collect();
                if st.is_empty() {
                    if pnp_supported() {
                        st.push(pcsc::ReaderState::new(
                            pcsc::PNP_NOTIFICATION(),
                            pcsc::State::UNAWARE,
                        ));
                    } else {
                        std::thread::sleep(slice);
                        return Ok(());
                    }
                }
                // First call learns the current state, the second one waits for a change.
                let _ = c.get_status_change(Duration::ZERO, &mut st);
                for s in &mut st {
                    s.sync_current_state();
                }
                match c.get_status_change(slice, &mut st) {
                    Ok(()) | Err(pcsc::Error::Timeout) => Ok(()),
                    Err(e) => Err(e),
                }
            });
        }
    }

    /// Connects to the tag on `reader` and holds it exclusively until the transport is dropped. While
    /// another program holds it, retries for up to [`BUSY_WAIT`], then [`TagError::ReaderBusy`].
    pub fn connect(&mut self, reader: &str) -> Result<PcscTransport, TagError> {
        self.connect_waiting(reader, BUSY_WAIT)
    }

    /// [`connect`](Self::connect) with another wait for a card held elsewhere (`Duration::ZERO`: try once).
    pub fn connect_waiting(
        &mut self,
        reader: &str,
        busy_wait: Duration,
    ) -> Result<PcscTransport, TagError> {
        let name = CString::new(reader).map_err(|_| TagError::ReaderNotFound(reader.into()))?;
        let deadline = Instant::now() + busy_wait;
        let mut waited = false;
        let card = loop {
            match self.call(|c| c.connect(&name, pcsc::ShareMode::Exclusive, pcsc::Protocols::ANY))
            {
                Ok(card) => break card,
                Err(TagError::ReaderBusy) if Instant::now() < deadline => {
                    if !waited {
                        tracing::info!(reader, "the card is held by another program; waiting");
                        waited = true;
                    }
                    std::thread::sleep(Duration::from_millis(40));
                }
                Err(e) => return Err(e),
            }
        };
        let atr = card
            .status2_owned()
            .map(|s| s.atr().to_vec())
            .unwrap_or_default();
        Ok(PcscTransport {
            card,
            reader: reader.to_string(),
            atr,
        })
    }

    /// The UID of the tag on `reader` (GET DATA `FF CA 00 00 00`), without disturbing it: shared mode,
    /// and the card is left as it is (no reset). Used to tell "the same tag is still there" from "another
    /// tag took its place" on every system, whether or not it counts card events.
    pub fn card_uid(&mut self, reader: &str) -> Result<Vec<u8>, TagError> {
        let name = CString::new(reader).map_err(|_| TagError::ReaderNotFound(reader.into()))?;
        let card =
            self.call(|c| c.connect(&name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY))?;
        let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
        let r = card
            .transmit(&[0xFF, 0xCA, 0x00, 0x00, 0x00], &mut buf)
            .map_err(in_session)?
            .to_vec();
        let _ = card.disconnect(pcsc::Disposition::LeaveCard);
        uid_of(&r)
    }

    /// An escape command to `reader` with no card needed: a DIRECT connection (macOS refuses protocol 0
    /// there: T0|T1 is asked for) and SCardControl with `code`.
    pub fn control_direct(
        &mut self,
        reader: &str,
        code: u32,
        data: &[u8],
    ) -> Result<Vec<u8>, TagError> {
        let name = CString::new(reader).map_err(|_| TagError::ReaderNotFound(reader.into()))?;
        let protocols = if cfg!(target_os = "macos") {
            pcsc::Protocols::T0 | pcsc::Protocols::T1
        } else {
            pcsc::Protocols::UNDEFINED
        };
        let card = self.call(|c| c.connect(&name, pcsc::ShareMode::Direct, protocols))?;
        let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
        let r = card.control(code as _, data, &mut buf)?.to_vec();
        let _ = card.disconnect(pcsc::Disposition::LeaveCard);
        Ok(r)
    }

    /// Finds the dialect and firmware string of `reader` if this process does not know them yet: a session
    /// on the tag lying on it identifies the chip (which probes), and the tag is reset when it ends. Does
    /// nothing without a tag, or when another program holds the card. Blocks briefly.
    pub fn probe(&mut self, reader: &str) -> Result<(), TagError> {
        if crate::dialect::probed(reader).dialect.is_some() {
            return Ok(());
        }
        let t = match self.connect_waiting(reader, Duration::ZERO) {
            Ok(t) => t,
            Err(e @ TagError::NoService(_)) => return Err(e),
            Err(_) => return Ok(()),
        };
        let mut s = TagSession::new(t, quirks_for(reader));
        match s.identify() {
            Ok(_) | Err(TagError::NotType2(_)) => Ok(()),
            Err(e) => {
                tracing::info!(reader, error = %e, "probing the reader failed");
                Ok(())
            }
        }
    }

    /// Waits for a tag (see [`wait_for_tag`](Self::wait_for_tag)) and opens a session on it with the
    /// reader's quirks.
    pub fn open(
        &mut self,
        reader: Option<&str>,
        timeout: Duration,
    ) -> Result<TagSession<PcscTransport>, TagError> {
        let r = self.wait_for_tag(reader, timeout)?;
        let t = self.connect(&r.name)?;
        Ok(TagSession::new(t, quirks_for(&r.name)))
    }
}

/// What [`Pcsc::wait_for_tag`] (and the scripted doubles) answer for one look at the readers: the reader
/// with the tag, an error, or nothing yet (with the names of the readers to watch). `final_look`: the
/// time is up, so "nothing yet" becomes the error that says why.
#[allow(clippy::type_complexity)]
pub fn pick(
    readers: &[ReaderInfo],
    reader: Option<&str>,
    timeout: Duration,
    final_look: bool,
) -> (Option<Result<ReaderInfo, TagError>>, Vec<String>) {
    let candidates: Vec<&ReaderInfo> = match reader {
        Some(want) => readers
            .iter()
            .filter(|r| reader_matches(&r.name, want))
            .collect(),
        None => readers.iter().collect(),
    };
    let names = candidates.iter().map(|r| r.name.clone()).collect();
    let with_tag: Vec<&ReaderInfo> = candidates
        .iter()
        .copied()
        .filter(|r| r.tag_present)
        .collect();
    match with_tag.len() {
        1 => return (Some(Ok(with_tag[0].clone())), names),
        n if n > 1 && reader.is_none() => {
            return (
                Some(Err(TagError::SeveralTags(
                    with_tag.iter().map(|r| r.name.clone()).collect(),
                ))),
                names,
            )
        }
        n if n > 1 => return (Some(Ok(with_tag[0].clone())), names),
        _ => {}
    }
    if !final_look {
        return (None, names);
    }
    let e = match (readers.is_empty(), reader, candidates.is_empty()) {
        (true, _, _) => TagError::NoReader,
        (false, Some(name), true) => TagError::ReaderNotFound(name.to_string()),
        _ if timeout.is_zero() => TagError::NoTag,
        _ => TagError::Timeout(timeout.as_secs()),
    };
    (Some(Err(e)), names)
}

/// Exact name, or a case-insensitive part of it ("ACR122" picks "ACS ACR122U PICC Interface 00 00").
pub fn reader_matches(name: &str, want: &str) -> bool {
    name == want
        || name
            .to_ascii_lowercase()
            .contains(&want.to_ascii_lowercase())
}

/// `\\?PnP?\Notification` works on Windows and pcsc-lite, not on macOS (CryptoTokenKit returns UNKNOWN).
pub fn pnp_supported() -> bool {
    !cfg!(target_os = "macos")
}

fn info_of(s: &pcsc::ReaderState) -> ReaderInfo {
    let name = s.name().to_string_lossy().into_owned();
    let st = s.event_state();
    let present = st.contains(pcsc::State::PRESENT) && !st.contains(pcsc::State::MUTE);
    let probe = crate::dialect::probed(&name);
    ReaderInfo {
        family: quirks_for(&name).family,
        dialect: probe.dialect,
        firmware: probe.firmware,
        name,
        tag_present: present,
        empty: st.contains(pcsc::State::EMPTY),
        event_count: s.event_count(),
        atr: (present && !s.atr().is_empty()).then(|| crate::apdu::hex(s.atr())),
    }
}

/// The UID in a GET DATA answer (`uid… 90 00`).
pub fn uid_of(r: &[u8]) -> Result<Vec<u8>, TagError> {
    match r {
        [uid @ .., 0x90, 0x00] if !uid.is_empty() => Ok(uid.to_vec()),
        _ => Err(TagError::Comm(format!(
            "GET DATA (UID) answered {}",
            crate::apdu::hex(r)
        ))),
    }
}

/// Errors on a connected card: "no smart card" now means the tag left during the session.
fn in_session(e: pcsc::Error) -> TagError {
    match e {
        pcsc::Error::NoSmartcard => TagError::TagRemoved,
        e => e.into(),
    }
}

/// A connected tag through PC/SC, held exclusively until dropped. Dropping the `pcsc::Card` disconnects
/// with `ResetCard` on every path (success, error, unwinding): the tag goes back to its power-up state
/// (no PWD_AUTH, no mute state left for the next program), and since we hold the card exclusively, no
/// other program is in the middle of anything on it when that happens.
pub struct PcscTransport {
    card: pcsc::Card,
    reader: String,
    atr: Vec<u8>,
}

impl Transport for PcscTransport {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TagError> {
        let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
        let r = self.card.transmit(apdu, &mut buf).map_err(in_session)?;
        Ok(r.to_vec())
    }

    /// Resets the tag while keeping the exclusive hold: nobody else can be mid-write on it.
    fn reconnect(&mut self) -> Result<(), TagError> {
        self.card
            .reconnect(
                pcsc::ShareMode::Exclusive,
                pcsc::Protocols::ANY,
                pcsc::Disposition::ResetCard,
            )
            .map_err(in_session)?;
        Ok(())
    }

    fn atr(&self) -> Vec<u8> {
        self.atr.clone()
    }

    fn reader_name(&self) -> String {
        self.reader.clone()
    }

    fn control(&mut self, code: u32, data: &[u8]) -> Result<Vec<u8>, TagError> {
        let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
        let r = self
            .card
            .control(code as _, data, &mut buf)
            .map_err(in_session)?;
        Ok(r.to_vec())
    }
}

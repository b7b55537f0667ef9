//! Scripted PC/SC doubles (feature `virtual`, test equipment only: the product never enables it): a
//! [`PcscApi`] that answers like one of the three systems Tapstand runs on, with the in-process virtual
//! tag firmware (`tapstand-vtag`) as the card. The test drives the world through a [`Script`] (plug a
//! reader, put / take away / swap a tag, unplug), the station loop under test calls the double exactly as
//! it calls [`crate::Pcsc`].
//!
//! What each personality replays (docs/reference: platforms.md, nfc-ntag-pcsc.md):
//! - [`ScriptedPcsc::windows`]: WinSCard. Before any reader was ever plugged in, the Smart Card service
//!   is not running (`SCARD_E_NO_SERVICE`); when the last reader is unplugged it stops
//!   (`SCARD_E_SERVICE_STOPPED` on the context in use, then `SCARD_E_NO_SERVICE`); plugging one in
//!   starts it again. The event counter (upper 16 bits of the reader state) counts insertions/removals.
//! - [`ScriptedPcsc::macos`]: CryptoTokenKit's PC/SC shim. No PnP notification, the event counter is
//!   always 0, reader names like `ACS ACR1252 1S CL Reader(1)`, `SCARD_SHARE_DIRECT` refused
//!   ([`ScriptedPcsc::connect_direct`]); no reader: an empty list.
//! - [`ScriptedPcsc::pcsc_lite`]: pcsc-lite (Linux): names `… [… (1)] 00 00`, the event counter counts,
//!   no reader: an empty list (`SCARD_E_NO_READERS_AVAILABLE`).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tapstand_vtag::{Firmware, Outcome, TagState};

use crate::error::TagError;
use crate::io::Transport;
use crate::pcsc_api::PcscApi;
use crate::pcsc_io::{pick, uid_of, ReaderInfo};
use crate::quirks::quirks_for;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Personality {
    Windows,
    MacOs,
    PcscLite,
}

impl Personality {
    /// The name that system gives the `n`-th (1-based) ACR1252U plugged in.
    pub fn reader_name(self, n: usize) -> String {
        match self {
            Personality::Windows => format!("ACS ACR1252 1S CL Reader PICC {}", n - 1),
            Personality::MacOs => format!("ACS ACR1252 1S CL Reader({n})"),
            Personality::PcscLite => {
                format!(
                    "ACS ACR1252 1S CL Reader [ACR1252 1S CL Reader(1)] {:02} 00",
                    n - 1
                )
            }
        }
    }
    /// The SCardControl code this system's driver takes an escape with.
    pub fn escape_code(self) -> u32 {
        match self {
            Personality::Windows => crate::feedback::WINDOWS_ESCAPE,
            Personality::MacOs | Personality::PcscLite => crate::feedback::CCID_ESCAPE,
        }
    }

    pub fn os(self) -> &'static str {
        match self {
            Personality::Windows => "windows",
            Personality::MacOs => "macos",
            Personality::PcscLite => "linux",
        }
    }
}

struct VReader {
    name: String,
    fw: Firmware,
    /// Changes on every insertion and removal: a transport connected before is then stale.
    card_gen: u64,
    /// Insertions + removals (what Windows and pcsc-lite report; macOS reports 0).
    events: u32,
}

struct World {
    os: Personality,
    readers: Vec<VReader>,
    plugged_total: usize,
    ever_plugged: bool,
    /// Windows: the context in use saw the service stop (the next call says SERVICE_STOPPED once).
    stopped_pending: bool,
    /// Calls the double answered, by name (for assertions such as "no PnP notification was asked").
    calls: Vec<&'static str>,
    /// The control code of every SCardControl asked, in order.
    escapes: Vec<u32>,
}

impl World {
    fn reader(&mut self, name: &str) -> Option<&mut VReader> {
        self.readers.iter_mut().find(|r| r.name == name)
    }
}

fn lock(w: &Mutex<World>) -> MutexGuard<'_, World> {
    w.lock().unwrap_or_else(|e| e.into_inner())
}

/// The PC/SC double the code under test holds.
pub struct ScriptedPcsc {
    world: Arc<Mutex<World>>,
}

/// The test's handle on the double's world (clone it freely; thread-safe).
#[derive(Clone)]
pub struct Script {
    world: Arc<Mutex<World>>,
}

impl ScriptedPcsc {
    pub fn new(os: Personality) -> (ScriptedPcsc, Script) {
        let world = Arc::new(Mutex::new(World {
            os,
            readers: Vec::new(),
            plugged_total: 0,
            ever_plugged: false,
            stopped_pending: false,
            calls: Vec::new(),
            escapes: Vec::new(),
        }));
        (
            ScriptedPcsc {
                world: world.clone(),
            },
            Script { world },
        )
    }
    pub fn windows() -> (ScriptedPcsc, Script) {
        ScriptedPcsc::new(Personality::Windows)
    }
    pub fn macos() -> (ScriptedPcsc, Script) {
        ScriptedPcsc::new(Personality::MacOs)
    }
    pub fn pcsc_lite() -> (ScriptedPcsc, Script) {
        ScriptedPcsc::new(Personality::PcscLite)
    }

    /// `SCardConnect(SCARD_SHARE_DIRECT)`: refused by CryptoTokenKit (macOS); the others allow it (here:
    /// only checked, nothing is connected). Tapstand never needs it; the double says what a caller gets.
    pub fn connect_direct(&mut self, reader: &str) -> Result<(), TagError> {
        let mut w = lock(&self.world);
        w.calls.push("connect_direct");
        if w.reader(reader).is_none() {
            return Err(pcsc::Error::UnknownReader.into());
        }
        match w.os {
            Personality::MacOs => Err(pcsc::Error::UnsupportedFeature.into()),
            _ => Ok(()),
        }
    }
}

impl Script {
    /// Another handle of the code-under-test kind on the same world (a second thread's context).
    pub fn pcsc(&self) -> ScriptedPcsc {
        ScriptedPcsc {
            world: self.world.clone(),
        }
    }

    /// Plugs in one more ACR1252U; returns the name the system gives it. On Windows this starts the
    /// Smart Card service.
    pub fn plug(&self) -> String {
        let mut w = lock(&self.world);
        w.plugged_total += 1;
        let name = w.os.reader_name(w.plugged_total);
        w.ever_plugged = true;
        w.stopped_pending = false;
        w.readers.push(VReader {
            name: name.clone(),
            fw: Firmware::new(),
            card_gen: 0,
            events: 0,
        });
        name
    }

    /// Plugs back a reader under a name already used (the same USB port).
    pub fn replug(&self, name: &str) {
        let mut w = lock(&self.world);
        w.ever_plugged = true;
        w.stopped_pending = false;
        w.readers.push(VReader {
            name: name.to_string(),
            fw: Firmware::new(),
            card_gen: 0,
            events: 0,
        });
    }

    /// Unplugs `name` (with any tag on it). On Windows, unplugging the last reader stops the service.
    pub fn unplug(&self, name: &str) -> Option<TagState> {
        let mut w = lock(&self.world);
        let i = w.readers.iter().position(|r| r.name == name)?;
        let r = w.readers.remove(i);
        if w.readers.is_empty() && w.os == Personality::Windows {
            w.stopped_pending = true;
        }
        r.fw.tag
    }

    /// A tag enters the field of `reader`.
    pub fn put(&self, reader: &str, tag: TagState) {
        let mut w = lock(&self.world);
        let r = w.reader(reader).expect("no such reader");
        r.fw.tag = Some(tag);
        r.fw.on_insert();
        r.card_gen += 1;
        r.events += 1;
    }

    /// The tag leaves `reader`; returns it as it is now.
    pub fn take_away(&self, reader: &str) -> Option<TagState> {
        let mut w = lock(&self.world);
        let r = w.reader(reader)?;
        let t = r.fw.tag.take();
        if t.is_some() {
            r.card_gen += 1;
            r.events += 1;
        }
        t
    }

    /// A quick swap: the tag on `reader` is replaced by `tag` between two looks of the code under test
    /// (the field is never seen empty). Returns the tag taken away.
    pub fn swap(&self, reader: &str, tag: TagState) -> Option<TagState> {
        let old = self.take_away(reader);
        self.put(reader, tag);
        old
    }

    /// The tag on `reader`, as it is now.
    pub fn tag(&self, reader: &str) -> Option<TagState> {
        lock(&self.world).reader(reader)?.fw.tag.clone()
    }

    /// Changes the firmware of `reader` (faults, pass-through mode).
    pub fn with_firmware<R>(&self, reader: &str, f: impl FnOnce(&mut Firmware) -> R) -> R {
        f(&mut lock(&self.world).reader(reader).expect("no such reader").fw)
    }

    /// The control codes of the SCardControl calls made so far (accepted or not).
    pub fn escapes(&self) -> Vec<u32> {
        lock(&self.world).escapes.clone()
    }

    /// How often the code under test made the call `name` ("readers", "connect", "card_uid", …).
    pub fn calls(&self, name: &str) -> usize {
        lock(&self.world)
            .calls
            .iter()
            .filter(|c| **c == name)
            .count()
    }
}

impl World {
    /// SCardListReaders + SCardGetStatusChange as this system answers them.
    fn readers(&mut self) -> Result<Vec<ReaderInfo>, TagError> {
        self.calls.push("readers");
        if self.readers.is_empty() && self.os == Personality::Windows {
            if self.stopped_pending {
                // The context in use learns that the service stopped; a new one finds none running.
                self.stopped_pending = false;
                return Err(pcsc::Error::ServiceStopped.into());
            }
            return Err(pcsc::Error::NoService.into());
        }
        let os = self.os;
        Ok(self
            .readers
            .iter()
            .map(|r| {
                let present = r.fw.tag.is_some();
                ReaderInfo {
                    family: quirks_for(&r.name).family,
                    name: r.name.clone(),
                    tag_present: present,
                    empty: !present,
                    event_count: if os == Personality::MacOs {
                        0
                    } else {
                        r.events
                    },
                    atr: present.then(|| crate::apdu::hex(&r.fw.atr())),
                    dialect: crate::dialect::probed(&r.name).dialect,
                    firmware: crate::dialect::probed(&r.name).firmware,
                }
            })
            .collect())
    }
}

impl PcscApi for ScriptedPcsc {
    type Transport = ScriptedTransport;

    fn readers(&mut self) -> Result<Vec<ReaderInfo>, TagError> {
        lock(&self.world).readers()
    }

    /// Looks every few milliseconds (the double has no blocking status change; what matters is what each
    /// look answers).
    fn wait_for_tag(
        &mut self,
        reader: Option<&str>,
        timeout: Duration,
    ) -> Result<ReaderInfo, TagError> {
        let deadline = Instant::now() + timeout;
        loop {
            let readers = lock(&self.world).readers()?;
            let (found, _) = pick(&readers, reader, timeout, Instant::now() >= deadline);
            if let Some(r) = found {
                return r;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn connect_waiting(
        &mut self,
        reader: &str,
        _busy_wait: Duration,
    ) -> Result<ScriptedTransport, TagError> {
        let mut w = lock(&self.world);
        w.calls.push("connect");
        if w.readers.is_empty() && w.os == Personality::Windows {
            return Err(pcsc::Error::NoService.into());
        }
        let Some(r) = w.reader(reader) else {
            return Err(pcsc::Error::UnknownReader.into());
        };
        if r.fw.tag.is_none() {
            return Err(pcsc::Error::NoSmartcard.into());
        }
        Ok(ScriptedTransport {
            world: self.world.clone(),
            reader: reader.to_string(),
            card_gen: r.card_gen,
            atr: r.fw.atr(),
        })
    }

    fn card_uid(&mut self, reader: &str) -> Result<Vec<u8>, TagError> {
        let mut w = lock(&self.world);
        w.calls.push("card_uid");
        let Some(r) = w.reader(reader) else {
            return Err(pcsc::Error::UnknownReader.into());
        };
        if r.fw.tag.is_none() {
            return Err(pcsc::Error::NoSmartcard.into());
        }
        match r.fw.process(&[0xFF, 0xCA, 0x00, 0x00, 0x00]) {
            Outcome::Respond(resp) => uid_of(&resp),
            Outcome::Removed => Err(TagError::TagRemoved),
        }
    }

    fn os(&self) -> &'static str {
        lock(&self.world).os.os()
    }

    /// An escape without a card: a DIRECT connection ([`ScriptedPcsc::connect_direct`]: refused on
    /// macOS), then the system's control code only, as [`ScriptedTransport`]'s `control`.
    fn control_direct(
        &mut self,
        reader: &str,
        code: u32,
        data: &[u8],
    ) -> Result<Vec<u8>, TagError> {
        self.connect_direct(reader)?;
        let mut w = lock(&self.world);
        w.escapes.push(code);
        if code != w.os.escape_code() {
            return Err(pcsc::Error::NotTransacted.into());
        }
        let r = w
            .reader(reader)
            .ok_or(TagError::ReaderNotFound(reader.into()))?;
        r.fw.escape(data).ok_or(TagError::NoPassThrough)
    }
}

/// A card handle on the double: stale (tag removed) once the tag it was opened on left the field.
/// Dropping it resets the card, like `SCardDisconnect(SCARD_RESET_CARD)`.
pub struct ScriptedTransport {
    world: Arc<Mutex<World>>,
    reader: String,
    card_gen: u64,
    atr: Vec<u8>,
}

impl ScriptedTransport {
    fn with_card<R>(
        &mut self,
        f: impl FnOnce(&mut VReader) -> Result<R, TagError>,
    ) -> Result<R, TagError> {
        let mut w = lock(&self.world);
        let gen = self.card_gen;
        match w.reader(&self.reader) {
            Some(r) if r.card_gen == gen && r.fw.tag.is_some() => f(r),
            _ => Err(TagError::TagRemoved),
        }
    }
}

impl Transport for ScriptedTransport {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TagError> {
        self.with_card(|r| match r.fw.process(apdu) {
            Outcome::Respond(resp) => Ok(resp),
            Outcome::Removed => {
                // The tag left during this APDU.
                r.fw.tag = None;
                r.card_gen += 1;
                r.events += 1;
                Err(TagError::TagRemoved)
            }
        })
    }

    fn reconnect(&mut self) -> Result<(), TagError> {
        self.with_card(|r| {
            r.fw.on_reset();
            Ok(())
        })
    }

    fn atr(&self) -> Vec<u8> {
        self.atr.clone()
    }

    fn reader_name(&self) -> String {
        self.reader.clone()
    }

    /// SCardControl as each system carries an escape to the reader double (`Firmware::escape`): only with
    /// that system's control code (Windows `SCARD_CTL_CODE(3500)`, elsewhere the CCID driver's
    /// `SCARD_CTL_CODE(1)`); any other code is refused, as the drivers do. Every code asked is kept
    /// ([`Script::escapes`]).
    fn control(&mut self, code: u32, data: &[u8]) -> Result<Vec<u8>, TagError> {
        let want = lock(&self.world).os.escape_code();
        lock(&self.world).escapes.push(code);
        if code != want {
            return Err(pcsc::Error::NotTransacted.into());
        }
        self.with_card(|r| r.fw.escape(data).ok_or(TagError::NoPassThrough))
    }
}

impl Drop for ScriptedTransport {
    fn drop(&mut self) {
        let _ = self.with_card(|r| {
            r.fw.on_reset();
            Ok(())
        });
    }
}

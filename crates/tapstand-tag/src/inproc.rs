//! An in-process transport to the virtual tag's reader firmware: the engine's unit tests (and those of
//! crates built on it, with feature `virtual`) run without pcscd.

use std::sync::{Arc, Mutex};

use tapstand_vtag::{Firmware, Outcome, TagState};

use crate::error::TagError;
use crate::io::Transport;

/// The firmware is shared so a test can look at (or change) the tag while a session uses it.
pub struct InProcessTransport {
    pub fw: Arc<Mutex<Firmware>>,
    /// A name of its own: what the engine probes about a reader is remembered per name for the process.
    name: String,
    removed: bool,
    /// Sleep the firmware's configured latency on each APDU (off by default: unit tests stay fast).
    pub apply_latency: bool,
}

impl InProcessTransport {
    /// Puts `tag` on a fresh virtual reader (ACR122-like pass-through) and connects to it.
    pub fn with_tag(tag: TagState) -> InProcessTransport {
        let mut fw = Firmware::new();
        fw.tag = Some(tag);
        fw.on_insert();
        InProcessTransport::new(Arc::new(Mutex::new(fw)))
    }

    pub fn new(fw: Arc<Mutex<Firmware>>) -> InProcessTransport {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        InProcessTransport {
            fw,
            name: format!("Virtual PCD 00 00 (in-process {n})"),
            removed: false,
            apply_latency: false,
        }
    }

    pub fn tag(&self) -> Option<TagState> {
        self.fw
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .tag
            .clone()
    }

    /// Another connection to the same reader and tag (same name: what the engine probed is remembered).
    pub fn clone_handle(&self) -> InProcessTransport {
        InProcessTransport {
            fw: self.fw.clone(),
            name: self.name.clone(),
            removed: false,
            apply_latency: self.apply_latency,
        }
    }

    pub fn removed(&self) -> bool {
        self.removed
    }
}

impl Transport for InProcessTransport {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TagError> {
        if self.removed {
            return Err(TagError::TagRemoved);
        }
        let (out, latency) = {
            let mut fw = self.fw.lock().unwrap_or_else(|e| e.into_inner());
            (fw.process(apdu), fw.faults.latency)
        };
        if self.apply_latency && !latency.is_zero() {
            std::thread::sleep(latency);
        }
        match out {
            Outcome::Respond(r) => Ok(r),
            Outcome::Removed => {
                self.removed = true;
                Err(TagError::TagRemoved)
            }
        }
    }

    fn reconnect(&mut self) -> Result<(), TagError> {
        if self.removed {
            return Err(TagError::TagRemoved);
        }
        self.fw.lock().unwrap_or_else(|e| e.into_inner()).on_reset();
        Ok(())
    }

    fn atr(&self) -> Vec<u8> {
        self.fw.lock().unwrap_or_else(|e| e.into_inner()).atr()
    }

    fn reader_name(&self) -> String {
        self.name.clone()
    }

    /// The reader double's escapes (`Firmware::escape`), as SCardControl would carry them.
    fn control(&mut self, _code: u32, data: &[u8]) -> Result<Vec<u8>, TagError> {
        if self.removed {
            return Err(TagError::TagRemoved);
        }
        self.fw
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .escape(data)
            .ok_or(TagError::NoPassThrough)
    }
}

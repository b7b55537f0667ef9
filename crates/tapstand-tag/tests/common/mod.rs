//! The shared pcscd + vpcd + virtual tag rig (`tapstand_vtag::rig`) with a PC/SC context of the engine's,
//! for the integration tests and the benchmark.

// Each test binary and the benchmark use a different part of it.
#![allow(dead_code, unused_imports)]

use std::ops::{Deref, DerefMut};
use std::time::Duration;

use tapstand_tag::{Pcsc, PcscTransport, TagSession};
pub use tapstand_vtag::rig::{content, Content};

pub struct Rig {
    pub rig: tapstand_vtag::Rig,
    pub pcsc: Pcsc,
}

impl Rig {
    /// `None` (after printing why) when pcscd or vsmartcard-vpcd is not installed.
    pub fn start(test: &str) -> Option<Rig> {
        Some(Rig {
            rig: tapstand_vtag::Rig::start(test)?,
            pcsc: Pcsc::new(),
        })
    }

    /// A session on the tag, exactly as the app opens one (reader picked automatically).
    pub fn session(&mut self) -> TagSession<PcscTransport> {
        self.pcsc
            .open(None, Duration::from_secs(5))
            .expect("open session")
    }
}

impl Deref for Rig {
    type Target = tapstand_vtag::Rig;
    fn deref(&self) -> &Self::Target {
        &self.rig
    }
}

impl DerefMut for Rig {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.rig
    }
}

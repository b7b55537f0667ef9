//! A real pcscd + vsmartcard vpcd + Tapstand's virtual tag, for integration tests and the benchmark.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use tapstand_ndef::t2t::decode_image;
use tapstand_tag::{Pcsc, PcscTransport, TagSession};
use tapstand_vtag::pcscd::{pcscd_or_skip, Pcscd};
use tapstand_vtag::{TagState, VirtualTag, VPCD_PORT, VPCD_READER};

pub struct Rig {
    pub pcscd: Pcscd,
    pub vt: VirtualTag,
    pub pcsc: Pcsc,
    /// pcscd's event counter when the current tag was seen arriving.
    inserted_at: Option<u32>,
}

impl Rig {
    /// `None` (after printing why) when pcscd or vsmartcard-vpcd is not installed.
    pub fn start(test: &str) -> Option<Rig> {
        let pcscd = pcscd_or_skip(test)?;
        let vt = VirtualTag::start(VPCD_PORT);
        Some(Rig {
            pcscd,
            vt,
            pcsc: Pcsc::new(),
            inserted_at: None,
        })
    }

    /// (tag present, field empty, event counter) as pcscd reports them for the virtual reader.
    fn state(&mut self) -> (bool, bool, u32) {
        self.pcsc
            .readers()
            .ok()
            .and_then(|rs| rs.into_iter().find(|r| r.name == VPCD_READER))
            .map(|r| (r.tag_present, r.empty, r.event_count))
            .unwrap_or((false, false, 0))
    }

    /// Waits for "tag present" or, with `want_present == false`, for pcscd to have *registered* the
    /// removal (event counter moved on). vpcd only notices a removal when a presence poll finds no
    /// connection; after a pull in the middle of an APDU pcscd already reports EMPTY, but a tag put back
    /// before the next poll would never be seen as removed and inserted again.
    fn wait(&mut self, want_present: bool, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            let (present, empty, count) = self.state();
            if want_present && present {
                self.inserted_at = Some(count);
                return true;
            }
            if !want_present && empty && self.inserted_at.is_none_or(|c| c != count) {
                self.inserted_at = None;
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Takes any tag away and waits until pcscd has seen it go.
    pub fn take_away(&mut self) {
        self.vt.remove();
        assert!(
            self.wait(false, Duration::from_secs(5)),
            "pcscd did not notice the tag leaving"
        );
    }

    /// Puts `tag` on the reader and waits until pcscd reports it.
    pub fn put(&mut self, tag: TagState) {
        self.take_away();
        self.vt.insert(tag);
        assert!(
            self.vt.wait_connected(Duration::from_secs(5)),
            "vtag could not reach vpcd: {:?}",
            self.vt.last_error()
        );
        if !self.wait(true, Duration::from_secs(5)) {
            let log = self.pcscd.log();
            let tail: Vec<&str> = log
                .lines()
                .filter(|l| !l.contains("winscard_svc.c") && !l.contains("MSGSend"))
                .rev()
                .take(60)
                .collect();
            panic!(
                "pcscd did not report the tag; pcscd log tail:\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
    }

    /// A session on the tag, exactly as the app opens one (reader picked automatically).
    pub fn session(&mut self) -> TagSession<PcscTransport> {
        self.pcsc
            .open(None, Duration::from_secs(5))
            .expect("open session")
    }

    /// The tag's memory as the virtual tag holds it.
    pub fn memory(&self) -> Vec<u8> {
        self.vt.tag().expect("a tag").mem
    }
}

/// What a phone would see on the tag.
#[derive(Debug, PartialEq, Eq, Clone)]
pub enum Content {
    NotNdef,
    Empty,
    Message(Vec<u8>),
    Invalid(String),
}

pub fn content(mem: &[u8]) -> Content {
    let d = decode_image(mem);
    match d.cc {
        Some(cc) if cc.is_ndef() => {}
        _ => return Content::NotNdef,
    }
    let l = match &d.layout {
        Ok(l) => l,
        Err(e) => return Content::Invalid(format!("{e:?}")),
    };
    if l.ndef.is_none() {
        return Content::Invalid("no NDEF TLV".into());
    }
    match (d.message_bytes, d.message) {
        (Some(b), _) if b.is_empty() => Content::Empty,
        (Some(b), Some(Ok(_))) => Content::Message(b),
        (_, m) => Content::Invalid(format!("{m:?}")),
    }
}

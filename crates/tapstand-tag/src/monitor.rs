//! Reader and tag events on their own thread (with its own PC/SC context), pcsc-rust `monitor.rs` style
//! but with finite waits: readers plugged/unplugged (PnP notification where it exists, re-listing every
//! slice everywhere, so macOS works too), tags put on / taken off, the service going away and coming back.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Serialize;

use crate::error::is_service_error;
use crate::pcsc_io::pnp_supported;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ReaderEvent {
    ReaderAdded {
        reader: String,
    },
    ReaderRemoved {
        reader: String,
    },
    TagPresent {
        reader: String,
        atr: String,
    },
    TagRemoved {
        reader: String,
    },
    /// The PC/SC service is not reachable (pcscd stopped, Windows service stopped: no reader left).
    ServiceLost {
        detail: String,
    },
    ServiceBack,
}

/// Runs until [`stop`](Self::stop) (or drop).
pub struct ReaderMonitor {
    stop: Arc<AtomicBool>,
    ctx: Arc<Mutex<Option<pcsc::Context>>>,
    thread: Option<JoinHandle<()>>,
}

impl ReaderMonitor {
    /// Calls `on_event` from the monitor thread. `slice` bounds every blocking wait (e.g. 500 ms).
    pub fn spawn(
        slice: Duration,
        on_event: impl Fn(ReaderEvent) + Send + 'static,
    ) -> ReaderMonitor {
        let stop = Arc::new(AtomicBool::new(false));
        let ctx: Arc<Mutex<Option<pcsc::Context>>> = Arc::new(Mutex::new(None));
        let (s2, c2) = (stop.clone(), ctx.clone());
        let thread = std::thread::Builder::new()
            .name("tapstand-reader-monitor".into())
            .spawn(move || run(slice, s2, c2, on_event))
            .expect("spawn monitor");
        ReaderMonitor {
            stop,
            ctx,
            thread: Some(thread),
        }
    }

    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(c) = self.ctx.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            let _ = c.cancel();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ReaderMonitor {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn run(
    slice: Duration,
    stop: Arc<AtomicBool>,
    shared: Arc<Mutex<Option<pcsc::Context>>>,
    emit: impl Fn(ReaderEvent),
) {
    // Known readers → whether a tag is on them.
    let mut known: BTreeMap<String, bool> = BTreeMap::new();
    let mut states: Vec<pcsc::ReaderState> = Vec::new();
    let mut service_ok = true;
    let mut ctx: Option<pcsc::Context> = None;
    while !stop.load(Ordering::SeqCst) {
        let c = match &ctx {
            Some(c) => c.clone(),
            None => match pcsc::Context::establish(pcsc::Scope::User) {
                Ok(c) => {
                    *shared.lock().unwrap_or_else(|e| e.into_inner()) = Some(c.clone());
                    if !service_ok {
                        emit(ReaderEvent::ServiceBack);
                        service_ok = true;
                    }
                    states.clear();
                    ctx = Some(c.clone());
                    c
                }
                Err(e) => {
                    lose(&mut service_ok, &mut known, &emit, e);
                    std::thread::sleep(slice);
                    continue;
                }
            },
        };
        // Re-list readers every round (the only way on macOS, a safety net elsewhere).
        let names: Vec<String> = match c.list_readers_owned() {
            Ok(v) => v
                .into_iter()
                .map(|n| n.to_string_lossy().into_owned())
                .collect(),
            Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
            Err(e) if is_service_error(e) => {
                lose(&mut service_ok, &mut known, &emit, e);
                ctx = None;
                std::thread::sleep(slice);
                continue;
            }
            Err(_) => Vec::new(),
        };
        for gone in known
            .keys()
            .filter(|k| !names.contains(k))
            .cloned()
            .collect::<Vec<_>>()
        {
            if known.remove(&gone) == Some(true) {
                emit(ReaderEvent::TagRemoved {
                    reader: gone.clone(),
                });
            }
            emit(ReaderEvent::ReaderRemoved { reader: gone });
        }
        for n in &names {
            if !known.contains_key(n) {
                known.insert(n.clone(), false);
                emit(ReaderEvent::ReaderAdded { reader: n.clone() });
            }
        }
        states.retain(|s| {
            let n = s.name().to_string_lossy();
            n == pcsc::PNP_NOTIFICATION().to_string_lossy() || names.iter().any(|x| *x == n)
        });
        if pnp_supported() && !states.iter().any(|s| s.name() == pcsc::PNP_NOTIFICATION()) {
            states.push(pcsc::ReaderState::new(
                pcsc::PNP_NOTIFICATION(),
                pcsc::State::UNAWARE,
            ));
        }
        for n in &names {
            if !states.iter().any(|s| s.name().to_string_lossy() == *n) {
                if let Ok(cn) = CString::new(n.as_str()) {
                    states.push(pcsc::ReaderState::new(cn, pcsc::State::UNAWARE));
                }
            }
        }
        if states.is_empty() {
            std::thread::sleep(slice);
            continue;
        }
        for s in &mut states {
            s.sync_current_state();
        }
        match c.get_status_change(slice, &mut states) {
            Ok(()) | Err(pcsc::Error::Timeout) => {}
            Err(pcsc::Error::Cancelled) => break,
            Err(e) if is_service_error(e) => {
                lose(&mut service_ok, &mut known, &emit, e);
                ctx = None;
                std::thread::sleep(slice);
                continue;
            }
            Err(_) => {
                std::thread::sleep(slice);
                continue;
            }
        }
        for s in &states {
            let name = s.name().to_string_lossy().into_owned();
            if s.name() == pcsc::PNP_NOTIFICATION() {
                continue;
            }
            let st = s.event_state();
            if st.intersects(pcsc::State::UNKNOWN | pcsc::State::IGNORE) {
                continue;
            }
            let present = st.contains(pcsc::State::PRESENT) && !st.contains(pcsc::State::MUTE);
            let was = known.get(&name).copied().unwrap_or(false);
            if present != was {
                known.insert(name.clone(), present);
                if present {
                    emit(ReaderEvent::TagPresent {
                        reader: name,
                        atr: crate::apdu::hex(s.atr()),
                    });
                } else {
                    emit(ReaderEvent::TagRemoved { reader: name });
                }
            }
        }
    }
}

fn lose(
    service_ok: &mut bool,
    known: &mut BTreeMap<String, bool>,
    emit: &impl Fn(ReaderEvent),
    e: pcsc::Error,
) {
    if *service_ok {
        *service_ok = false;
        for (name, tag) in std::mem::take(known) {
            if tag {
                emit(ReaderEvent::TagRemoved {
                    reader: name.clone(),
                });
            }
            emit(ReaderEvent::ReaderRemoved { reader: name });
        }
        emit(ReaderEvent::ServiceLost {
            detail: e.to_string(),
        });
    }
}

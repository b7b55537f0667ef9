//! The vpcd side: a thread that connects to vsmartcard's virtual reader (TCP 127.0.0.1:35963 for
//! "Virtual PCD 00 00") and speaks its protocol. Every message is a 2-byte big-endian length and the
//! payload; a 1-byte payload from vpcd is a control code (00 off, 01 on, 02 reset, 04 get ATR), anything
//! longer is a C-APDU answered with the R-APDU. TCP connect = tag put on the reader; close = tag removed.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::firmware::{Faults, Firmware, Outcome, PassThroughMode};
use crate::tag::TagState;

/// vpcd's port for the first virtual reader ("Virtual PCD 00 00"); the second is 35964.
pub const VPCD_PORT: u16 = 35963;
/// The PC/SC name pcscd gives the first virtual reader.
pub const VPCD_READER: &str = "Virtual PCD 00 00";

struct Inner {
    fw: Firmware,
    want_inserted: bool,
    connected: bool,
    stream: Option<TcpStream>,
    stop: bool,
    insertions: u64,
    last_error: Option<String>,
}

struct Shared {
    inner: Mutex<Inner>,
    cv: Condvar,
    addr: SocketAddr,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A virtual tag on vpcd's virtual reader. Starts with no tag on the reader.
pub struct VirtualTag {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl VirtualTag {
    /// Starts the connector thread for `127.0.0.1:port` (only ever the loopback address: vpcd listens on
    /// every interface).
    pub fn start(port: u16) -> VirtualTag {
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                fw: Firmware::new(),
                want_inserted: false,
                connected: false,
                stream: None,
                stop: false,
                insertions: 0,
                last_error: None,
            }),
            cv: Condvar::new(),
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        });
        let s2 = shared.clone();
        let thread = std::thread::Builder::new()
            .name("vtag-vpcd".into())
            .spawn(move || run(s2))
            .expect("spawn vtag thread");
        VirtualTag {
            shared,
            thread: Some(thread),
        }
    }

    /// Puts `tag` on the reader (replacing any tag there: that one is taken away first).
    pub fn insert(&self, tag: TagState) {
        self.remove();
        let mut g = self.shared.lock();
        g.fw.tag = Some(tag);
        g.want_inserted = true;
        self.shared.cv.notify_all();
    }

    /// Puts the same tag back (after [`remove`](Self::remove) or a fault removed it).
    pub fn reinsert(&self) {
        self.remove();
        let mut g = self.shared.lock();
        g.want_inserted = g.fw.tag.is_some();
        self.shared.cv.notify_all();
    }

    /// Takes the tag away (closes the connection) and returns its state. The memory stays readable
    /// through [`tag`](Self::tag) until another tag is inserted.
    pub fn remove(&self) -> Option<TagState> {
        let mut g = self.shared.lock();
        g.want_inserted = false;
        if let Some(s) = g.stream.take() {
            let _ = s.shutdown(Shutdown::Both);
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        while g.connected && Instant::now() < deadline {
            g = self
                .shared
                .cv
                .wait_timeout(g, Duration::from_millis(20))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        g.fw.tag.clone()
    }

    /// The next tag: removes the current one and inserts `tag` (e.g. a new UID).
    pub fn swap(&self, tag: TagState) -> Option<TagState> {
        let old = self.remove();
        self.insert(tag);
        old
    }

    /// A copy of the tag's state (memory, auth, ...), whether or not it is on the reader.
    pub fn tag(&self) -> Option<TagState> {
        self.shared.lock().fw.tag.clone()
    }

    /// Runs `f` on the tag state.
    pub fn with_tag<R>(&self, f: impl FnOnce(&mut TagState) -> R) -> Option<R> {
        self.shared.lock().fw.tag.as_mut().map(f)
    }

    pub fn set_faults(&self, faults: Faults) {
        self.shared.lock().fw.faults = faults;
    }

    pub fn with_faults<R>(&self, f: impl FnOnce(&mut Faults) -> R) -> R {
        f(&mut self.shared.lock().fw.faults)
    }

    pub fn set_passthrough(&self, mode: PassThroughMode) {
        self.shared.lock().fw.passthrough = mode;
    }

    /// Which reader the virtual reader plays from now on (see [`crate::readers`]).
    pub fn set_model(&self, model: crate::readers::ReaderModel) {
        self.shared.lock().fw.model = model;
    }

    pub fn model(&self) -> crate::readers::ReaderModel {
        self.shared.lock().fw.model
    }

    /// An escape command (SCardControl) to the reader. vpcd's driver refuses every SCardControl it does
    /// not implement itself, so tests hand the escapes of an ACR1252U double to its firmware here.
    /// `None`: the reader refuses it.
    pub fn escape(&self, cmd: &[u8]) -> Option<Vec<u8>> {
        self.shared.lock().fw.escape(cmd)
    }

    /// Every light/beep command the reader accepted so far (see [`Firmware::signals`]).
    pub fn signals(&self) -> Vec<Vec<u8>> {
        self.shared.lock().fw.signals.clone()
    }

    pub fn clear_signals(&self) {
        self.shared.lock().fw.signals.clear();
    }

    /// Does the reader beep on its own when a card arrives?
    pub fn beep_on_detect(&self) -> bool {
        self.shared.lock().fw.beep_on_detect
    }

    /// APDUs handled since the tag was put on the reader.
    pub fn apdus_since_insert(&self) -> u32 {
        self.shared.lock().fw.apdus_since_insert
    }

    /// Every APDU since the tag was put on the reader and its answer (None: the tag left during it).
    pub fn apdu_log(&self) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        self.shared.lock().fw.log.clone()
    }

    /// Is the TCP connection to vpcd up (the tag is "in the field")?
    pub fn is_connected(&self) -> bool {
        self.shared.lock().connected
    }

    pub fn insertions(&self) -> u64 {
        self.shared.lock().insertions
    }

    pub fn last_error(&self) -> Option<String> {
        self.shared.lock().last_error.clone()
    }

    /// Waits until the connection is up (or `timeout`).
    pub fn wait_connected(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut g = self.shared.lock();
        while !g.connected {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            g = self
                .shared
                .cv
                .wait_timeout(g, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    /// Stops the thread (the tag leaves the reader).
    pub fn stop(mut self) -> Option<TagState> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Option<TagState> {
        let tag = self.remove();
        self.shared.lock().stop = true;
        self.shared.cv.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        tag
    }
}

impl Drop for VirtualTag {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn run(shared: Arc<Shared>) {
    loop {
        {
            let mut g = shared.lock();
            while !(g.stop || (g.want_inserted && g.fw.tag.is_some())) {
                g = shared
                    .cv
                    .wait_timeout(g, Duration::from_millis(200))
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            if g.stop {
                return;
            }
        }
        let stream = match TcpStream::connect_timeout(&shared.addr, Duration::from_millis(500)) {
            Ok(s) => s,
            Err(e) => {
                shared.lock().last_error = Some(format!("connect {}: {e}", shared.addr));
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        {
            let mut g = shared.lock();
            if !g.want_inserted || g.stop {
                let _ = stream.shutdown(Shutdown::Both);
                continue;
            }
            g.stream = stream.try_clone().ok();
            g.connected = true;
            g.insertions += 1;
            g.last_error = None;
            g.fw.on_insert();
            shared.cv.notify_all();
        }
        let removed = serve(&shared, stream);
        let mut g = shared.lock();
        g.connected = false;
        g.stream = None;
        if removed {
            g.want_inserted = false;
        }
        shared.cv.notify_all();
        drop(g);
        if !removed {
            // vpcd went away (pcscd stopped) or we were asked to remove: avoid a hot reconnect loop.
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// vpcd writes the 2-byte length and the payload with two `send` calls and does not disable Nagle, so the
/// payload waits for our ACK of the length; Linux delays that ACK by ~40 ms. Asking for an immediate ACK
/// before every read removes the stall (measured: 43 ms → well under 1 ms per APDU through pcscd).
#[cfg(target_os = "linux")]
fn quickack(s: &TcpStream) {
    use std::os::fd::AsRawFd;
    let one: libc::c_int = 1;
    // SAFETY: a valid socket fd and a pointer to a c_int of the size given.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            &one as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn quickack(_s: &TcpStream) {}

fn read_msg(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 2];
    quickack(s);
    s.read_exact(&mut len)?;
    quickack(s);
    let n = u16::from_be_bytes(len) as usize;
    let mut buf = vec![0u8; n];
    s.read_exact(&mut buf)?;
    quickack(s);
    Ok(buf)
}

fn send_msg(s: &mut TcpStream, data: &[u8]) -> std::io::Result<()> {
    let mut out = Vec::with_capacity(data.len() + 2);
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
    s.write_all(&out)
}

/// Serves one insertion. Returns true when a fault removed the tag.
fn serve(shared: &Shared, mut s: TcpStream) -> bool {
    loop {
        let msg = match read_msg(&mut s) {
            Ok(m) => m,
            Err(_) => return false,
        };
        if msg.len() == 1 {
            let reply = {
                let mut g = shared.lock();
                match msg[0] {
                    0x00..=0x02 => {
                        g.fw.on_reset();
                        None
                    }
                    0x04 => Some(g.fw.atr()),
                    _ => None,
                }
            };
            if let Some(atr) = reply {
                if send_msg(&mut s, &atr).is_err() {
                    return false;
                }
            }
            continue;
        }
        let (outcome, latency) = {
            let mut g = shared.lock();
            (g.fw.process(&msg), g.fw.faults.latency)
        };
        if !latency.is_zero() {
            std::thread::sleep(latency);
        }
        match outcome {
            Outcome::Respond(r) => {
                if send_msg(&mut s, &r).is_err() {
                    return false;
                }
            }
            Outcome::Removed => {
                let _ = s.shutdown(Shutdown::Both);
                return true;
            }
        }
    }
}

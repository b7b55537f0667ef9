//! Closing the app's window the way a merchant does (the title bar's ×, Alt-F4): the window manager sends the
//! window a `WM_DELETE_WINDOW` client message, GTK turns it into a delete event and Tauri into
//! `WindowEvent::CloseRequested`. Xvfb has no window manager, so the test sends that message itself (through
//! Xlib, loaded at run time with x11-dl). WebDriver's "close window" is not the same thing: it destroys the
//! web view without asking the app.

use std::ffi::CString;
use std::path::Path;
use std::time::{Duration, Instant};

use x11_dl::xlib;

/// The process id of the app running on `data_dir` (spawned by WebKitWebDriver with `--data-dir DIR`).
pub fn app_pid(data_dir: &Path) -> u32 {
    let want = data_dir.to_string_lossy().into_owned();
    let exe = env!("CARGO_BIN_EXE_tapstand");
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let is_app = args
            .first()
            .is_some_and(|a| a == exe || Path::new(a).file_name() == Path::new(exe).file_name());
        if is_app && args.iter().any(|a| a == &want) {
            return pid;
        }
    }
    panic!("no Tapstand process runs on {}", data_dir.display());
}

/// True while the process exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // "pid (comm) S …": the state follows the last ')'.
        Ok(stat) => stat
            .rsplit_once(')')
            .map(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X']))
            .unwrap_or(false),
        Err(_) => false,
    }
}

/// Waits up to `timeout` for the process to end; true if it did.
pub fn wait_exit(pid: u32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    !alive(pid)
}

/// Sends `WM_DELETE_WINDOW` to every managed window of process `pid` that is on screen and takes part in
/// that protocol.
/// Returns how many windows were asked to close.
pub fn request_close(pid: u32) -> usize {
    let x = xlib::Xlib::open().expect("libX11 (x11-dl)");
    // SAFETY: plain Xlib calls on a display this function opens and closes; every pointer Xlib returns is
    // freed with XFree, and the event is a fully initialised client message.
    unsafe {
        let display = (x.XOpenDisplay)(std::ptr::null());
        assert!(!display.is_null(), "cannot open the X display (DISPLAY)");
        let atom = |name: &str| {
            let c = CString::new(name).unwrap();
            (x.XInternAtom)(display, c.as_ptr(), xlib::False)
        };
        let (net_wm_pid, wm_protocols, wm_delete) = (
            atom("_NET_WM_PID"),
            atom("WM_PROTOCOLS"),
            atom("WM_DELETE_WINDOW"),
        );
        let mut asked = 0;
        for w in windows(&x, display, (x.XDefaultRootWindow)(display)) {
            if window_pid(&x, display, w, net_wm_pid) != Some(pid) {
                continue;
            }
            // GTK keeps unmapped helper windows (the client leader, …) and override-redirect popups (tooltips,
            // menus) with the same pid: only a managed window on screen has a title bar to click.
            let mut attrs: xlib::XWindowAttributes = std::mem::zeroed();
            if (x.XGetWindowAttributes)(display, w, &mut attrs) == 0
                || attrs.map_state != xlib::IsViewable
                || attrs.override_redirect != 0
            {
                continue;
            }
            let mut protocols: *mut xlib::Atom = std::ptr::null_mut();
            let mut n = 0;
            let takes_delete = (x.XGetWMProtocols)(display, w, &mut protocols, &mut n) != 0
                && std::slice::from_raw_parts(protocols, n as usize).contains(&wm_delete);
            if !protocols.is_null() {
                (x.XFree)(protocols.cast());
            }
            if !takes_delete {
                continue;
            }
            let mut data = xlib::ClientMessageData::new();
            data.set_long(0, wm_delete as std::os::raw::c_long);
            data.set_long(1, xlib::CurrentTime as std::os::raw::c_long);
            let msg = xlib::XClientMessageEvent {
                type_: xlib::ClientMessage,
                serial: 0,
                send_event: xlib::True,
                display,
                window: w,
                message_type: wm_protocols,
                format: 32,
                data,
            };
            let mut event = xlib::XEvent::from(msg);
            (x.XSendEvent)(display, w, xlib::False, xlib::NoEventMask, &mut event);
            asked += 1;
        }
        (x.XFlush)(display);
        (x.XCloseDisplay)(display);
        asked
    }
}

/// Every window under `root`, depth first.
unsafe fn windows(x: &xlib::Xlib, d: *mut xlib::Display, root: xlib::Window) -> Vec<xlib::Window> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(w) = stack.pop() {
        let (mut r, mut parent) = (0, 0);
        let mut children: *mut xlib::Window = std::ptr::null_mut();
        let mut n = 0u32;
        if (x.XQueryTree)(d, w, &mut r, &mut parent, &mut children, &mut n) != 0
            && !children.is_null()
        {
            stack.extend_from_slice(std::slice::from_raw_parts(children, n as usize));
            (x.XFree)(children.cast());
        }
        out.push(w);
    }
    out
}

unsafe fn window_pid(
    x: &xlib::Xlib,
    d: *mut xlib::Display,
    w: xlib::Window,
    net_wm_pid: xlib::Atom,
) -> Option<u32> {
    let (mut actual_type, mut format) = (0, 0);
    let (mut n, mut after) = (0, 0);
    let mut prop: *mut u8 = std::ptr::null_mut();
    let ok = (x.XGetWindowProperty)(
        d,
        w,
        net_wm_pid,
        0,
        1,
        xlib::False,
        xlib::XA_CARDINAL,
        &mut actual_type,
        &mut format,
        &mut n,
        &mut after,
        &mut prop,
    ) == 0;
    let pid = (ok && !prop.is_null() && n == 1 && format == 32)
        // Format 32 properties come back as C longs.
        .then(|| *(prop as *const std::os::raw::c_ulong) as u32);
    if !prop.is_null() {
        (x.XFree)(prop.cast());
    }
    pid
}

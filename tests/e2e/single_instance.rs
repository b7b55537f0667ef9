//! One Tapstand per user: launching the app a second time (same data folder, or another one) while it runs
//! leaves one window. The second process hands over to the first through the single-instance plugin (the
//! session bus on Linux) and exits at once; the first window stays usable and logs the hand-over.
//!
//! Windows are counted on the X server itself (`xwininfo`, `xprop`): the second process is started as a
//! plain process, outside the WebDriver session, so only the display can show whether it opened a window.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{single_instance_owned, temp_data_dir, App};

/// Viewable top-level X windows of the Tapstand app (WM_CLASS "tapstand"), with the PID that owns each.
fn tapstand_windows() -> Vec<(String, Option<u32>)> {
    let tree = Command::new("xwininfo")
        .args(["-root", "-tree"])
        .output()
        .expect("xwininfo (x11-utils, installed by scripts/setup.sh)");
    let tree = String::from_utf8_lossy(&tree.stdout);
    let mut out = Vec::new();
    for line in tree.lines() {
        let line = line.trim_start();
        if !line.contains("(\"tapstand\" \"Tapstand\")") {
            continue;
        }
        let Some(id) = line.split_whitespace().next() else {
            continue;
        };
        let info = Command::new("xwininfo").args(["-id", id]).output().unwrap();
        if !String::from_utf8_lossy(&info.stdout).contains("Map State: IsViewable") {
            continue;
        }
        let pid = Command::new("xprop")
            .args(["-id", id, "_NET_WM_PID"])
            .output()
            .ok()
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .rsplit(' ')
                    .next()
                    .and_then(|p| p.trim().parse().ok())
            });
        out.push((id.to_string(), pid));
    }
    out
}

/// Waits (at most `limit`) for the window count to be `n`, then keeps checking for `hold` that it stays so.
async fn windows_stay(n: usize, limit: Duration, hold: Duration) -> Vec<(String, Option<u32>)> {
    let deadline = Instant::now() + limit;
    loop {
        let w = tapstand_windows();
        if w.len() == n {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "expected {n} Tapstand window(s), see {w:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let until = Instant::now() + hold;
    loop {
        let w = tapstand_windows();
        assert_eq!(w.len(), n, "the number of Tapstand windows changed: {w:?}");
        if Instant::now() > until {
            return w;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts the app binary as a plain process with `data_dir` and the test's environment (the same session
/// bus, display and fake WeChat as the running app), waits for it to exit: (exit status, how long it ran).
fn second_launch(data_dir: &Path) -> (std::process::ExitStatus, Duration, String) {
    let t0 = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tapstand"))
        .args(["--data-dir", data_dir.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start a second Tapstand");
    let deadline = t0 + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            return (status, t0.elapsed(), err);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the second Tapstand was still running after 30 s (it should hand over and exit)"
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn log_text(data_dir: &Path) -> String {
    let mut text = String::new();
    if let Ok(rd) = std::fs::read_dir(data_dir.join("logs")) {
        for e in rd.flatten() {
            text.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    text
}

#[tokio::test]
#[ignore = "end-to-end: run scripts/e2e.sh"]
async fn launching_the_app_twice_leaves_one_window() {
    let dir = temp_data_dir("single-instance");
    let other = temp_data_dir("single-instance-other");
    let app = App::launch(dir.path()).await;
    assert_eq!(
        single_instance_owned(),
        Some(true),
        "the running app holds the single-instance name on the session bus"
    );
    let first = windows_stay(1, Duration::from_secs(10), Duration::ZERO).await;
    let first_pid = first[0].1;

    for (what, data) in [
        ("the same data folder", dir.path()),
        ("another data folder", other.path()),
    ] {
        let (status, took, stderr) = second_launch(data);
        eprintln!(
            "second launch with {what}: exited {status} after {} ms",
            took.as_millis()
        );
        assert!(
            status.success(),
            "second launch with {what} exited {status}: {stderr}"
        );
        assert!(
            took < Duration::from_secs(10),
            "second launch with {what} took {} ms to hand over",
            took.as_millis()
        );
        // Still one window, the first one, and it stays one.
        let now = windows_stay(1, Duration::from_secs(5), Duration::from_secs(2)).await;
        assert_eq!(
            now[0].1, first_pid,
            "the window is the first app's: {now:?}"
        );
    }
    // The other data folder was not opened: no database was created there.
    assert!(!other.path().join("tapstand.db").exists());

    // The first window got both hand-overs and still works.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = log_text(dir.path());
        let handed = log.matches("a second launch").count();
        if handed >= 2 {
            assert!(
                log.contains("asked for another data folder"),
                "the hand-over with another folder is logged as such"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the first app did not log both hand-overs: {log}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.click("[data-testid=nav-settings]").await;
    app.wait("[data-testid=view-settings]").await;
    app.screenshot("single-instance-after-second-launch").await;
    app.quit().await;
}

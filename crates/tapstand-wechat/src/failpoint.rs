//! Crash-test hooks. `TAPSTAND_FAILPOINT=<name>` makes the process abort (no destructors, no flushing,
//! like `kill -9`) when it reaches that point. Unset, a failpoint is one comparison against a cached
//! value. The points of "generate and store" (see `scheme.rs`):
//! `scheme.before_record`, `scheme.after_record`, `scheme.after_begin`, `scheme.after_response`,
//! `scheme.after_commit`. Compiled into debug builds only (the tests): a release build ignores the
//! variable.
//!
//! `TAPSTAND_FAILPOINT_PAUSE=<name>=<dir>` instead makes the process stop at that point until the test
//! lets it go: it writes `<dir>/<pid>.arrived` and waits (30 s at most) for `<dir>/go`. Two processes
//! paused at `scheme.after_record` both hold a pending row, so their claims race for real
//! (`crates/tapstand-cli/tests/team_scheme.rs`).

use std::sync::OnceLock;

pub const FAILPOINT_ENV: &str = "TAPSTAND_FAILPOINT";
pub const PAUSE_ENV: &str = "TAPSTAND_FAILPOINT_PAUSE";

pub fn failpoint(name: &str) {
    if tapstand_error::build::release_rules() {
        return;
    }
    static ARMED: OnceLock<Option<String>> = OnceLock::new();
    let armed = ARMED.get_or_init(|| std::env::var(FAILPOINT_ENV).ok().filter(|v| !v.is_empty()));
    if armed.as_deref() == Some(name) {
        eprintln!("failpoint {name}: aborting");
        std::process::abort();
    }
    static PAUSE: OnceLock<Option<(String, std::path::PathBuf)>> = OnceLock::new();
    let pause = PAUSE.get_or_init(|| {
        let v = std::env::var(PAUSE_ENV).ok()?;
        let (point, dir) = v.split_once('=')?;
        Some((point.to_string(), dir.into()))
    });
    if let Some((point, dir)) = pause {
        if point == name {
            let _ = std::fs::write(dir.join(format!("{}.arrived", std::process::id())), b"");
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while !dir.join("go").exists() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
    }
}

//! Crash-test hooks. `TAPSTAND_FAILPOINT=<name>` makes the process abort (no destructors, no flushing,
//! like `kill -9`) when it reaches that point. Unset, a failpoint is one comparison against a cached
//! value. The points of "generate and store" (see `scheme.rs`):
//! `scheme.before_record`, `scheme.after_record`, `scheme.after_begin`, `scheme.after_response`,
//! `scheme.after_commit`. Compiled into debug builds only (the tests): a release build ignores the
//! variable.

use std::sync::OnceLock;

pub const FAILPOINT_ENV: &str = "TAPSTAND_FAILPOINT";

pub fn failpoint(name: &str) {
    if !cfg!(debug_assertions) {
        return;
    }
    static ARMED: OnceLock<Option<String>> = OnceLock::new();
    let armed = ARMED.get_or_init(|| std::env::var(FAILPOINT_ENV).ok().filter(|v| !v.is_empty()));
    if armed.as_deref() == Some(name) {
        eprintln!("failpoint {name}: aborting");
        std::process::abort();
    }
}

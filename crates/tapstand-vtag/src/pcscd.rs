//! Test support: run a real `pcscd` (pcsc-lite) with vsmartcard's vpcd driver, and stop it by PID.
//!
//! pcsc-lite 1.9.9 (Debian 12) has no option for a private socket: the daemon always serves
//! `/run/pcscd/pcscd.comm` (only the client library honours `PCSCLITE_CSOCK_NAME`). So there is one pcscd
//! per machine, and every user of this helper takes an exclusive lock on [`LOCK_PATH`] first: tests that
//! talk to the real pcscd run one at a time, across test binaries and processes.
//!
//! If a pcscd is already running (started by someone else), it is used as it is and left running.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::vpcd::VPCD_READER;

pub const LOCK_PATH: &str = "/tmp/tapstand-pcscd.lock";
pub const PID_FILE: &str = "/run/pcscd/pcscd.pid";
pub const SOCKET: &str = "/run/pcscd/pcscd.comm";
pub const VPCD_DRIVER: &str = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";
const VPCD_CONF: &str = "/etc/reader.conf.d/vpcd";

#[derive(Debug, thiserror::Error)]
pub enum PcscdError {
    /// pcscd or vsmartcard-vpcd is not installed: tests skip with this reason.
    #[error("{0}")]
    NotInstalled(String),
    #[error("pcscd did not come up: {0}")]
    Failed(String),
}

/// Where pcscd is, if it and the vpcd driver are installed.
pub fn find_pcscd() -> Result<PathBuf, PcscdError> {
    let bin = ["/usr/sbin/pcscd", "/usr/local/sbin/pcscd", "/sbin/pcscd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .or_else(|| {
            std::env::var_os("PATH").and_then(|path| {
                std::env::split_paths(&path)
                    .map(|d| d.join("pcscd"))
                    .find(|p| p.exists())
            })
        })
        .ok_or_else(|| {
            PcscdError::NotInstalled(
                "pcscd is not installed (Debian: apt-get install pcscd)".into(),
            )
        })?;
    if !Path::new(VPCD_DRIVER).exists() || !Path::new(VPCD_CONF).exists() {
        return Err(PcscdError::NotInstalled(format!(
            "vsmartcard's vpcd driver is not installed ({VPCD_DRIVER} / {VPCD_CONF}; Debian: apt-get install vsmartcard-vpcd)"
        )));
    }
    Ok(bin)
}

/// Blocks until this process holds an exclusive `flock` on `f` (released when the file is closed).
#[cfg(unix)]
fn lock_exclusive(f: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    loop {
        // SAFETY: a valid open file descriptor.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

#[cfg(not(unix))]
fn lock_exclusive(_f: &File) -> std::io::Result<()> {
    Ok(())
}

fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| !s.contains(") Z "))
            .unwrap_or(false)
}

/// The PID of a running pcscd, from its PID file.
pub fn running_pid() -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(PID_FILE)
        .ok()?
        .trim()
        .parse()
        .ok()?;
    pid_alive(pid).then_some(pid)
}

/// A pcscd for tests. Holds the cross-process lock until dropped.
pub struct Pcscd {
    child: Option<Child>,
    /// PID of the pcscd in use.
    pub pid: Option<u32>,
    /// Did this helper start it (and will it stop it)?
    pub owned: bool,
    pub log_path: PathBuf,
    bin: PathBuf,
    /// `pcscd -c DIR`: another reader configuration folder (None: the system's `/etc/reader.conf.d`).
    config: Option<PathBuf>,
    /// The reader the configuration in use lists (`None`: no reader; see [`Pcscd::restart_named`]).
    reader: Option<String>,
    _lock: File,
}

impl Pcscd {
    /// Takes the lock, then uses the running pcscd or starts `pcscd -f` and waits until the virtual
    /// reader is listed. `apdu_log`: start with `-a` (log every APDU to the log file).
    pub fn start(apdu_log: bool) -> Result<Pcscd, PcscdError> {
        let bin = find_pcscd()?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(LOCK_PATH)
            .map_err(|e| PcscdError::Failed(format!("lock file {LOCK_PATH}: {e}")))?;
        lock_exclusive(&lock)
            .map_err(|e| PcscdError::Failed(format!("locking {LOCK_PATH}: {e}")))?;
        let log_path =
            std::env::temp_dir().join(format!("tapstand-pcscd-{}.log", std::process::id()));
        let mut me = Pcscd {
            child: None,
            pid: None,
            owned: false,
            log_path,
            bin,
            config: None,
            reader: Some(VPCD_READER.to_string()),
            _lock: lock,
        };
        if let Some(pid) = running_pid() {
            me.pid = Some(pid);
        } else {
            me.spawn(apdu_log)?;
        }
        me.wait_ready(Duration::from_secs(15))?;
        Ok(me)
    }

    fn spawn(&mut self, apdu_log: bool) -> Result<(), PcscdError> {
        // A stale socket from a killed daemon makes pcscd refuse to start.
        if running_pid().is_none() {
            let _ = std::fs::remove_file(SOCKET);
            let _ = std::fs::remove_file(PID_FILE);
        }
        let log = File::create(&self.log_path)
            .map_err(|e| PcscdError::Failed(format!("log file: {e}")))?;
        let log2 = log
            .try_clone()
            .map_err(|e| PcscdError::Failed(e.to_string()))?;
        let mut cmd = Command::new(&self.bin);
        cmd.arg("-f");
        if let Some(dir) = &self.config {
            cmd.arg("-c").arg(dir);
        }
        if apdu_log {
            cmd.arg("-a");
        }
        // TAPSTAND_PCSCD_DEBUG=1: full debug log (see Pcscd::log) for diagnosing a failing test.
        if std::env::var_os("TAPSTAND_PCSCD_DEBUG").is_some() {
            cmd.args(["-d", "-a"]);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log2))
            .spawn()
            .map_err(|e| PcscdError::Failed(format!("spawn {}: {e}", self.bin.display())))?;
        self.pid = Some(child.id());
        self.child = Some(child);
        self.owned = true;
        Ok(())
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), PcscdError> {
        let want_reader = self.reader.is_some();
        let reader = self.reader.clone().unwrap_or_default();
        let deadline = Instant::now() + timeout;
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Some(c) = &mut self.child {
                if let Ok(Some(status)) = c.try_wait() {
                    let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
                    return Err(PcscdError::Failed(format!(
                        "pcscd exited with {status}: {log}"
                    )));
                }
            }
            if Path::new(SOCKET).exists() {
                match pcsc::Context::establish(pcsc::Scope::User)
                    .and_then(|c| c.list_readers_owned())
                {
                    Ok(names) if names.iter().any(|n| n.to_string_lossy() == reader) => {
                        if want_reader {
                            return Ok(());
                        }
                        last = format!("readers: {names:?}");
                    }
                    Ok(_) if !want_reader => return Ok(()),
                    Ok(names) => last = format!("readers: {names:?}"),
                    // Running, and no reader at all: what an unplugged reader looks like.
                    Err(pcsc::Error::NoReadersAvailable) if !want_reader => return Ok(()),
                    Err(e) => last = e.to_string(),
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(PcscdError::Failed(format!(
            "{} after {timeout:?} ({last})",
            if want_reader {
                format!("no \"{reader}\"")
            } else {
                "pcscd did not come up without readers".to_string()
            }
        )))
    }

    /// Stops pcscd (SIGTERM, then SIGKILL after 5 s) if this helper started it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = child.id();
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) => break,
                    _ if Instant::now() >= deadline => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                    _ => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        }
        self.pid = None;
    }

    /// Is the pcscd this helper started still running?
    pub fn running(&self) -> bool {
        self.child.is_some()
    }

    /// Stops and starts pcscd again (only when this helper owns it). For service-recovery tests.
    pub fn restart(&mut self, apdu_log: bool) -> Result<(), PcscdError> {
        if !self.owned {
            return Err(PcscdError::Failed(
                "pcscd was started by someone else; not restarting it".into(),
            ));
        }
        self.stop();
        // The client library only notices a new daemon once the old socket is gone.
        let deadline = Instant::now() + Duration::from_secs(5);
        while Path::new(SOCKET).exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.spawn(apdu_log)?;
        self.wait_ready(Duration::from_secs(15))
    }

    /// Restarts pcscd (only when this helper owns it) with the reader configuration folder `config`
    /// (`None`: the system's, which has vpcd's virtual readers; an empty folder: no reader at all).
    /// Waits until the daemon is up and, with the system's configuration, the virtual reader is listed.
    pub fn restart_with_config(
        &mut self,
        config: Option<PathBuf>,
        apdu_log: bool,
    ) -> Result<(), PcscdError> {
        self.reader = config.is_none().then(|| VPCD_READER.to_string());
        self.config = config;
        self.restart(apdu_log)
    }

    /// Restarts pcscd (only when this helper owns it) with the reader configuration folder `config`, whose
    /// one reader pcscd lists as `reader` (e.g. vpcd's reader under another FRIENDLYNAME: see
    /// [`crate::Rig::rename`]). Waits until it is listed.
    pub fn restart_named(
        &mut self,
        config: PathBuf,
        reader: String,
        apdu_log: bool,
    ) -> Result<(), PcscdError> {
        self.reader = Some(reader);
        self.config = Some(config);
        self.restart(apdu_log)
    }

    /// The log so far (empty when pcscd was not started here).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

impl Drop for Pcscd {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_file(&self.log_path);
    }
}

/// Whether a test whose real part (pcscd, vsmartcard-vpcd, a Secret Service) is missing must fail instead
/// of skipping: under CI (`CI=true` or `CI=1`) and in the README test command (`TAPSTAND_REQUIRE_PCSCD=1`,
/// set by `scripts/test.sh`). A developer's `cargo test` on a machine without them still skips.
pub fn must_not_skip() -> bool {
    let on = |k: &str| {
        std::env::var(k)
            .map(|v| matches!(v.trim(), "1" | "true" | "TRUE" | "True" | "yes"))
            .unwrap_or(false)
    };
    on("CI") || on("TAPSTAND_REQUIRE_PCSCD")
}

/// A test cannot run because `why`: prints `SKIPPED <test>: <why>` (counted by `scripts/test.sh`), or
/// panics when [`must_not_skip`] — a green run then means every real part was there.
pub fn skip_or_fail(test: &str, why: &str) {
    if must_not_skip() {
        panic!(
            "{test}: {why} — this run requires every real part (CI=true or TAPSTAND_REQUIRE_PCSCD=1), so it fails instead of skipping"
        );
    }
    eprintln!("SKIPPED {test}: {why}");
}

/// For tests: start pcscd or print why the test is skipped and return `None`.
/// Only a missing installation skips (and not under [`must_not_skip`]); any other failure panics.
pub fn pcscd_or_skip(test: &str) -> Option<Pcscd> {
    match Pcscd::start(false) {
        Ok(p) => Some(p),
        Err(PcscdError::NotInstalled(why)) => {
            skip_or_fail(test, &why);
            None
        }
        Err(e) => panic!("{test}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A missing real part skips only where no one asked for every real part: under `CI=true` or
    /// `TAPSTAND_REQUIRE_PCSCD=1` the test fails.
    #[test]
    fn a_missing_part_fails_under_ci_and_the_test_command_and_skips_elsewhere() {
        let saved: Vec<(&str, Option<String>)> = ["CI", "TAPSTAND_REQUIRE_PCSCD"]
            .into_iter()
            .map(|k| (k, std::env::var(k).ok()))
            .collect();
        std::env::remove_var("CI");
        std::env::remove_var("TAPSTAND_REQUIRE_PCSCD");
        assert!(!must_not_skip());
        skip_or_fail("unit", "nothing installed (a developer's machine)");
        for (k, v) in [("CI", "true"), ("CI", "1"), ("TAPSTAND_REQUIRE_PCSCD", "1")] {
            std::env::remove_var("CI");
            std::env::remove_var("TAPSTAND_REQUIRE_PCSCD");
            std::env::set_var(k, v);
            assert!(must_not_skip(), "{k}={v}");
            let r = std::panic::catch_unwind(|| skip_or_fail("unit", "pcscd missing"));
            assert!(r.is_err(), "{k}={v}: a missing part must fail the test");
        }
        std::env::set_var("CI", "false");
        std::env::remove_var("TAPSTAND_REQUIRE_PCSCD");
        assert!(!must_not_skip());
        for (k, v) in saved {
            match v {
                Some(v) => std::env::set_var(k, v),
                None => std::env::remove_var(k),
            }
        }
    }
}

//! "Is the process that marked this row still alive?" — an OS file lock per open database.
//!
//! Each [`Db`](crate::Db) holds an exclusive lock on its own file `owners/<token>.lock` next to the
//! database for as long as it is open; rows that a live call owns (a scheme request in flight) carry the
//! token. Another process can then tell a call still running from one whose process died (crash, kill,
//! power cut): the OS releases a dead process's locks, so a lock that can be taken means its owner is gone.
//! This works the same on Windows (`LockFileEx`), macOS and Linux (`flock`) through std's `File::try_lock`,
//! needs no clock agreement and no process-id reuse heuristics.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The lock files' folder, next to the database file.
pub const OWNERS_DIR: &str = "owners";

/// This open database's liveness lock. Dropping it (the last clone of the `Db`) releases the lock and
/// removes the file.
#[derive(Debug)]
pub struct OwnerLock {
    token: String,
    dir: PathBuf,
    file: Option<File>,
}

fn new_token() -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}-{:x}-{}",
        std::process::id(),
        nanos,
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

fn lock_path(dir: &Path, token: &str) -> Option<PathBuf> {
    // Tokens come from the database: never let one name a path outside the folder.
    let ok = !token.is_empty()
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then(|| dir.join(format!("{token}.lock")))
}

impl OwnerLock {
    /// Creates and locks a fresh lock file in `<db folder>/owners/`, and removes the files of owners that
    /// are gone. An unusable folder (read-only media) gives a lock that cannot prove liveness: its rows are
    /// then judged by their lease alone, as before.
    pub fn acquire(db_path: &Path) -> OwnerLock {
        let dir = db_path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(OWNERS_DIR);
        let token = new_token();
        let file = std::fs::create_dir_all(&dir)
            .and_then(|_| {
                let path = dir.join(format!("{token}.lock"));
                let f = OpenOptions::new()
                    .create(true)
                    .truncate(true)
                    .write(true)
                    .open(path)?;
                f.try_lock().map_err(|e| match e {
                    TryLockError::Error(e) => e,
                    TryLockError::WouldBlock => std::io::Error::other("lock held"),
                })?;
                Ok(f)
            })
            .map_err(|e| tracing::warn!(dir = %dir.display(), "no owner lock: {e}"))
            .ok();
        let lock = OwnerLock { token, dir, file };
        lock.sweep();
        lock
    }

    /// The token rows owned by this database handle carry.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Whether the owner `token` is alive: this handle, or another whose lock is still held. A token with
    /// no lock file (never created, or its owner ended cleanly) is not alive.
    pub fn is_alive(&self, token: &str) -> bool {
        if token == self.token {
            return true;
        }
        let Some(path) = lock_path(&self.dir, token) else {
            return false;
        };
        let file = match OpenOptions::new().write(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return false,
            // Cannot tell: presume alive (the lease still ends it).
            Err(_) => return true,
        };
        match file.try_lock() {
            Ok(()) => {
                // We got it: its owner is gone. Release and tidy up.
                let _ = file.unlock();
                drop(file);
                let _ = std::fs::remove_file(&path);
                false
            }
            Err(TryLockError::WouldBlock) => true,
            Err(TryLockError::Error(_)) => true,
        }
    }

    /// Removes lock files whose owners are gone.
    fn sweep(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(token) = name.to_str().and_then(|n| n.strip_suffix(".lock")) else {
                continue;
            };
            if token != self.token {
                self.is_alive(token);
            }
        }
    }
}

impl Drop for OwnerLock {
    fn drop(&mut self) {
        if let Some(f) = self.file.take() {
            let _ = f.unlock();
            drop(f);
            let _ = std::fs::remove_file(self.dir.join(format!("{}.lock", self.token)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_alive_a_released_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("tapstand.db");
        let a = OwnerLock::acquire(&db);
        let b = OwnerLock::acquire(&db);
        assert_ne!(a.token(), b.token());
        assert!(a.is_alive(a.token()));
        assert!(a.is_alive(b.token()), "another handle's lock is held");
        let gone = b.token().to_string();
        drop(b);
        assert!(!a.is_alive(&gone), "released on drop");
        assert!(!a.is_alive("no-such-owner"));
        assert!(
            !a.is_alive("../../etc/passwd"),
            "never a path outside the folder"
        );
        assert!(!a.is_alive(""));
    }

    #[test]
    fn a_lock_file_left_by_a_dead_process_is_not_alive_and_is_swept() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("tapstand.db");
        // What a killed process leaves: the file, no lock (the OS released it).
        std::fs::create_dir_all(dir.path().join(OWNERS_DIR)).unwrap();
        let stale = dir.path().join(OWNERS_DIR).join("4242-dead-0.lock");
        std::fs::write(&stale, b"").unwrap();
        let a = OwnerLock::acquire(&db);
        assert!(!stale.exists(), "swept on open");
        assert!(!a.is_alive("4242-dead-0"));
    }
}

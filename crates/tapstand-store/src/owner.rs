//! "Is the process that marked this row still alive?" — an OS file lock per open database.
//!
//! Each [`Db`](crate::Db) holds an exclusive lock on its own file `owners/<token>.lock` next to the
//! database for as long as it is open; rows that a live call owns (a scheme request in flight) carry the
//! token. Another process can then tell a call still running from one whose process died (crash, kill,
//! power cut): the OS releases a dead process's locks, so a lock that can be taken means its owner is gone.
//! This works the same on Windows (`LockFileEx`), macOS and Linux (`flock`) through std's `File::try_lock`,
//! needs no clock agreement and no process-id reuse heuristics.
//!
//! On PostgreSQL (team mode: the processes are on different PCs) the same idea is a **session-level
//! advisory lock**: each `Db` keeps one connection of its own (outside the pool) holding
//! `pg_advisory_lock(key)` for a random 64-bit key, and its token is `pg-<key in hex>`. The server releases
//! a session's advisory locks the moment the session ends — the process exited or was killed, the PC lost
//! power (once TCP notices) — so "can another session take the lock?" answers "is the owner gone?" for every
//! PC that shares the database. Chosen over `pg_stat_activity` and a backend PID because a PID is reused by
//! the server and says nothing about which Tapstand handle it belonged to, while the lock is the session's
//! own. If the lock connection itself drops while the process lives (a network cut), its rows look dead
//! and another PC may call again for them: WeChat answers that second call with 9800010 and the existing
//! link, so an sn still never gets a second scheme (`SchemeService::get_or_recover`).
//!
//! A PC that vanishes without closing its connection (power cut, a network that drops everything) is
//! found out by the server within a stated bound, [`liveness_timeout`] (30 s): the liveness session has
//! a heartbeat and a server-side idle timeout, and TCP keepalive on the server's side.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A [`Db`](crate::Db)'s liveness lock: a lock file next to a SQLite database, or an advisory lock held
/// by a session of its own on a team database.
#[derive(Debug)]
pub enum Owner {
    File(OwnerLock),
    Pg(PgOwnerLock),
}

impl Owner {
    pub fn token(&self) -> &str {
        match self {
            Owner::File(l) => l.token(),
            Owner::Pg(l) => l.token(),
        }
    }
}

/// The team-database owner lock: a session-level advisory lock on a connection of its own, kept alive by
/// a heartbeat task (see [`liveness_timeout`]).
#[derive(Debug)]
pub struct PgOwnerLock {
    token: String,
    /// Dropping it (the last clone of the `Db`) stops the heartbeat task, which closes the session:
    /// the server releases the lock.
    _stop: tokio::sync::oneshot::Sender<()>,
}

fn pg_token(key: i64) -> String {
    format!("pg-{:016x}", key as u64)
}

fn pg_key(token: &str) -> Option<i64> {
    let hex = token.strip_prefix("pg-")?;
    (hex.len() == 16)
        .then(|| u64::from_str_radix(hex, 16).ok())
        .flatten()
        .map(|k| k as i64)
}

/// The liveness bound, in milliseconds (see [`liveness_timeout`]).
static LIVENESS_TIMEOUT_MS: AtomicU64 = AtomicU64::new(30_000);

/// **The bound**: a PC that vanished (power cut, cable pulled, a network that drops everything without a
/// FIN or RST) loses its owner lock — its in-flight rows become recoverable by any other PC — at most
/// this long (30 s) after the last heartbeat the server received from it. How:
///
/// - the liveness session sets `idle_session_timeout` to this value (PostgreSQL ≥ 14): the server ends
///   a session that sent nothing for that long, whatever TCP believes — the one mechanism that also holds
///   when something on the path keeps the TCP connection half-open (a NAT, a proxy, a firewall that ACKs);
/// - the heartbeat task sends `SELECT 1` every third of it, so a live PC's session is never idle that
///   long; a heartbeat that fails or takes longer than a third of the bound makes the PC reconnect and
///   take its same lock key again (if nobody proved it dead meanwhile);
/// - TCP keepalive on the server's side of the session (`tcp_keepalives_idle` = a third of the bound,
///   `tcp_keepalives_interval` = a sixth, `tcp_keepalives_count` = 3) and `tcp_user_timeout` = the bound,
///   for servers older than 14 and to free the socket: these catch a peer whose kernel is gone. sqlx
///   0.9's `PgConnectOptions` offers no client-side keepalive (it opens a plain `TcpStream`); the
///   heartbeat's timeout is this side's keepalive.
///
/// Each `SET` is tried and a server that does not know one is logged, not refused.
pub fn liveness_timeout() -> std::time::Duration {
    std::time::Duration::from_millis(LIVENESS_TIMEOUT_MS.load(Ordering::Relaxed))
}

/// Changes [`liveness_timeout`] for handles opened afterwards (tests, to measure the bound quickly;
/// at least 1 s).
#[doc(hidden)]
pub fn set_liveness_timeout(d: std::time::Duration) {
    LIVENESS_TIMEOUT_MS.store(d.as_millis().max(1_000) as u64, Ordering::Relaxed);
}

/// Opens the liveness session: its server-side timeouts set, and the advisory lock `key` taken (a fresh
/// random one for `None`). `Ok(None)`: `key` is held by another session.
async fn liveness_session(
    opts: &sqlx::postgres::PgConnectOptions,
    key: Option<i64>,
) -> Result<Option<(sqlx::PgConnection, i64)>, sqlx::Error> {
    use sqlx::ConnectOptions;
    use std::hash::BuildHasher;
    let mut conn = opts.connect().await?;
    let bound = liveness_timeout().as_millis() as u64;
    for (name, value) in [
        ("idle_session_timeout", format!("{bound}ms")),
        ("tcp_keepalives_idle", format!("{}", (bound / 3000).max(1))),
        (
            "tcp_keepalives_interval",
            format!("{}", (bound / 6000).max(1)),
        ),
        ("tcp_keepalives_count", "3".to_string()),
        ("tcp_user_timeout", format!("{bound}")),
    ] {
        if let Err(e) = sqlx::query("SELECT set_config($1, $2, false)")
            .bind(name)
            .bind(&value)
            .execute(&mut conn)
            .await
        {
            tracing::warn!(
                setting = name,
                "the team database server does not take it: {e}"
            );
        }
    }
    loop {
        // RandomState is seeded from the OS per process: a random key, different on every PC.
        let k = key.unwrap_or_else(|| {
            std::collections::hash_map::RandomState::new()
                .hash_one((std::process::id(), new_token())) as i64
        });
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(k)
            .fetch_one(&mut conn)
            .await?;
        if got {
            return Ok(Some((conn, k)));
        }
        if key.is_some() {
            return Ok(None);
        }
    }
}

/// Keeps the liveness session alive until `stop` fires (or is dropped): a heartbeat every third of the
/// bound, a reconnect with the same key when one fails.
async fn heartbeat(
    opts: sqlx::postgres::PgConnectOptions,
    mut conn: sqlx::PgConnection,
    key: i64,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    use sqlx::Connection;
    let every = liveness_timeout() / 3;
    loop {
        tokio::select! {
            _ = &mut stop => {
                let _ = tokio::time::timeout(std::time::Duration::from_secs(1), conn.close()).await;
                return;
            }
            _ = tokio::time::sleep(every) => {}
        }
        let beat = tokio::time::timeout(every, sqlx::query("SELECT 1").execute(&mut conn)).await;
        if matches!(beat, Ok(Ok(_))) {
            continue;
        }
        tracing::warn!(token = %pg_token(key), "the team database liveness session was lost; reconnecting");
        loop {
            tokio::select! {
                _ = &mut stop => return,
                again = tokio::time::timeout(every.max(std::time::Duration::from_secs(5)), liveness_session(&opts, Some(key))) => {
                    match again {
                        Ok(Ok(Some((c, _)))) => {
                            conn = c;
                            tracing::info!(token = %pg_token(key), "liveness session back");
                            break;
                        }
                        Ok(Ok(None)) => tracing::warn!(token = %pg_token(key), "the lock key is held elsewhere; retrying"),
                        Ok(Err(e)) => tracing::debug!("liveness reconnect: {e}"),
                        Err(_) => tracing::debug!("liveness reconnect timed out"),
                    }
                }
            }
            tokio::time::sleep(every).await;
        }
    }
}

impl PgOwnerLock {
    /// Opens a session of its own, takes a fresh advisory lock in it, and keeps it alive (a task on the
    /// current runtime; the session ends with that runtime or when the lock is dropped).
    pub async fn acquire(
        opts: &sqlx::postgres::PgConnectOptions,
    ) -> Result<PgOwnerLock, sqlx::Error> {
        let (conn, key) = liveness_session(opts, None)
            .await?
            .expect("a fresh key is retried until taken");
        let (stop, stopped) = tokio::sync::oneshot::channel();
        tokio::spawn(heartbeat(opts.clone(), conn, key, stopped));
        Ok(PgOwnerLock {
            token: pg_token(key),
            _stop: stop,
        })
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// Whether the owner `token` is alive: this handle, or a session that still holds its lock. A token
    /// that names no advisory lock (a lock-file token from a copied SQLite database) is not alive. When
    /// the server cannot be asked, presume alive (the lease still ends it).
    pub async fn is_alive(&self, pool: &sqlx::PgPool, token: &str) -> bool {
        if token == self.token {
            return true;
        }
        let Some(key) = pg_key(token) else {
            return false;
        };
        // Taking the lock proves its owner gone; it is given back in the same statement (CASE evaluates
        // in order).
        sqlx::query_scalar::<_, bool>(
            "SELECT CASE WHEN pg_try_advisory_lock($1) THEN NOT pg_advisory_unlock($1) ELSE true END",
        )
        .bind(key)
        .fetch_one(pool)
        .await
        .unwrap_or(true)
    }
}

/// The lock files' folder, next to the database file.
pub const OWNERS_DIR: &str = "owners";

/// The token prefix of a handle that could not create its lock file: presumed alive by every handle (its
/// rows are judged by their lease alone).
pub const NO_LOCK_PREFIX: &str = "nolock-";

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
    /// are gone. An unusable folder (read-only media) gives a lock that cannot prove liveness: its token
    /// then starts with [`NO_LOCK_PREFIX`], and every handle presumes such an owner alive, so its rows are
    /// judged by their lease alone (a handle without a lock file must not look dead while its call runs).
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
        let token = if file.is_some() {
            token
        } else {
            format!("{NO_LOCK_PREFIX}{token}")
        };
        let lock = OwnerLock { token, dir, file };
        lock.sweep();
        lock
    }

    /// The token rows owned by this database handle carry.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Whether the owner `token` is alive: this handle, or another whose lock is still held. A token with
    /// no lock file (its owner ended cleanly, or died and was swept) is not alive; a token of a handle that
    /// could not create one ([`NO_LOCK_PREFIX`]) is presumed alive, so its rows wait for their lease.
    pub fn is_alive(&self, token: &str) -> bool {
        if token == self.token || token.starts_with(NO_LOCK_PREFIX) {
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
    fn pg_tokens_round_trip() {
        for key in [0i64, 1, -1, i64::MAX, i64::MIN, 0x1234_5678_9abc_def0] {
            assert_eq!(pg_key(&pg_token(key)), Some(key));
        }
        assert_eq!(pg_key("4242-dead-0"), None);
        assert_eq!(pg_key("pg-xyz"), None);
    }

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
    fn without_a_lock_file_an_owner_is_judged_by_its_lease_not_taken_for_dead() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("tapstand.db");
        // The lock folder cannot be made (a file stands where it should be; read-only media alike).
        std::fs::write(dir.path().join(OWNERS_DIR), b"not a folder").unwrap();
        let a = OwnerLock::acquire(&db);
        assert!(a.file.is_none());
        assert!(a.token().starts_with(NO_LOCK_PREFIX), "{}", a.token());
        let b = OwnerLock::acquire(&db);
        assert!(b.is_alive(a.token()), "presumed alive: its lease decides");
        // Elsewhere, a handle with a working folder sees it alive too (before: gone at once).
        let other = tempfile::tempdir().unwrap();
        let c = OwnerLock::acquire(&other.path().join("tapstand.db"));
        assert!(c.is_alive(a.token()));
        assert!(
            !c.is_alive("4242-dead-0"),
            "a plain token without a file is gone"
        );
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

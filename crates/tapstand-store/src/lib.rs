//! Tapstand storage: one SQLite file in the app-data directory (the default, one PC), or a PostgreSQL
//! database a chain's PCs share (team mode, [`Db::open_url`] with a `postgres://` URL). One [`Db`] API
//! for both: each method runs its SQLite query here or its PostgreSQL twin in `tapstand-store-pg`.
//!
//! * SQLite: WAL journal, foreign keys on, a busy timeout, `synchronous=NORMAL` (durable across app
//!   crashes; WAL makes a power cut lose at most the last transactions, never corrupt the file), FULL
//!   around a scheme call. PostgreSQL: the server's own WAL, foreign keys always, `synchronous_commit=on`
//!   on every connection (each commit is on the server's disk before it returns).
//! * Migrations are embedded (`sqlx::migrate!`) and applied on open: `migrations/` for SQLite, their
//!   one-to-one twins in `migrations-pg/` for PostgreSQL (the porting rule: `migrations-pg/README.md`).
//!   Before an existing SQLite database is migrated, a copy is written next to it (`backups/`), so an
//!   upgrade can always be undone; a team database is the server administrator's to back up.
//! * A file that is not SQLite, a corrupt file, a PostgreSQL database holding another program's tables,
//!   or one written by a newer Tapstand is refused with a clear error and is never modified: the checks
//!   run before anything writes.
//! * Queries are compile-time checked (`sqlx::query!`); their offline data is committed in `.sqlx/` here
//!   (SQLite) and in `crates/tapstand-store-pg/.sqlx/` (PostgreSQL); `scripts/sqlx-prepare.sh` writes both.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::PgPool;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection};

pub mod changes;
pub mod copy;
pub mod ledger;
pub mod owner;
pub mod pg;
pub mod pool;
pub mod records;
pub mod roles;
pub mod settings;
pub mod stand;
pub mod station;
mod user_error;
pub mod wxacode;

/// The embedded SQLite migrations (crates/tapstand-store/migrations).
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The embedded PostgreSQL migrations (crates/tapstand-store/migrations-pg), one twin per SQLite one.
pub static PG_MIGRATOR: Migrator = sqlx::migrate!("./migrations-pg");

/// File name of the database inside the data directory.
pub const DB_FILE_NAME: &str = "tapstand.db";

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: not a Tapstand database (not an SQLite file)")]
    NotADatabase { path: PathBuf },
    #[error("{path}: the database file is damaged: {detail}")]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "{path}: written by a newer Tapstand (schema {found}, this version knows up to {known})"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("{path}: migration {version} differs from the one this version ships ({detail})")]
    MigrationMismatch {
        path: PathBuf,
        version: i64,
        detail: String,
    },
    #[error("{path}: cannot open the database: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: sqlx::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A team database could not be reached or refused us (see [`pg::ConnectFailure`]).
    #[error("{location}: {failure:?}: {detail}")]
    Connect {
        /// The server and database, without the password.
        location: String,
        failure: pg::ConnectFailure,
        /// The driver's words, redacted.
        detail: String,
    },
}

/// The highest schema version this build knows.
pub fn known_schema_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// The highest PostgreSQL schema version this build knows (always the same as [`known_schema_version`]:
/// the migrations are twins).
pub fn known_pg_schema_version() -> i64 {
    PG_MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// An open Tapstand database.
#[derive(Clone, Debug)]
pub struct Db {
    backend: Backend,
    /// The SQLite file; empty for PostgreSQL.
    path: PathBuf,
    /// Where the data is, for people: the file, or `postgres://user@host:port/db` (never a password).
    location: String,
    /// This handle's liveness lock: rows it owns (a scheme call in flight) carry its token.
    owner: std::sync::Arc<owner::Owner>,
    /// A team database reached without encryption (`sslmode=disable`, asked for by name).
    plain_text: bool,
    /// On a team database: what its user may do ([`roles`]).
    team_role: Option<roles::TeamRole>,
}

/// Which database a [`Db`] talks to.
#[derive(Clone, Debug)]
pub(crate) enum Backend {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

/// Which backend a [`Db`] uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

/// In a `Db` method: the SQLite pool, or — on PostgreSQL — returns at once with what the PostgreSQL twin
/// (an async call giving `Result<T, sqlx::Error>`) gives.
macro_rules! sqlite_or_pg {
    ($db:expr, |$pg:ident| $twin:expr) => {
        match &$db.backend {
            $crate::Backend::Sqlite(pool) => pool,
            $crate::Backend::Pg($pg) => {
                return $twin.await.map_err($crate::StoreError::from);
            }
        }
    };
}
pub(crate) use sqlite_or_pg;

/// What [`Db::inspect`] finds in a file without changing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileState {
    Missing,
    Empty,
    /// An SQLite file with this many applied migrations (0 = not a Tapstand database yet).
    Existing {
        schema_version: i64,
    },
}

impl Db {
    /// Opens (creating if missing) the database at `path`, refusing foreign, corrupt or newer files, and
    /// applies pending migrations.
    pub async fn open(path: &Path) -> Result<Db, StoreError> {
        let state = Self::inspect(path).await?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(matches!(state, FileState::Missing | FileState::Empty))
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        let db = Db {
            backend: Backend::Sqlite(pool.clone()),
            path: path.to_path_buf(),
            location: path.display().to_string(),
            owner: std::sync::Arc::new(owner::Owner::File(owner::OwnerLock::acquire(path))),
            plain_text: false,
            team_role: None,
        };
        if let FileState::Existing { schema_version } = state {
            if schema_version > 0 && schema_version < known_schema_version() {
                db.backup_before_migration(schema_version).await?;
            }
        }
        MIGRATOR.run(&pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::VersionMismatch(version) => {
                StoreError::MigrationMismatch {
                    path: path.to_path_buf(),
                    version,
                    detail: "checksum differs".into(),
                }
            }
            other => StoreError::Migrate(other),
        })?;
        tracing::info!(path = %path.display(), schema = known_schema_version(), "database open");
        Ok(db)
    }

    /// Looks at a database file without writing to it: refuses non-SQLite, corrupt and newer files.
    pub async fn inspect(path: &Path) -> Result<FileState, StoreError> {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileState::Missing),
            Err(source) => {
                return Err(StoreError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        if meta.len() == 0 {
            return Ok(FileState::Empty);
        }
        let mut header = [0u8; 16];
        {
            use std::io::Read;
            let mut f = std::fs::File::open(path).map_err(|source| StoreError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            let n = f.read(&mut header).map_err(|source| StoreError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            if n < 16 || &header != SQLITE_MAGIC {
                return Err(StoreError::NotADatabase {
                    path: path.to_path_buf(),
                });
            }
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .create_if_missing(false)
            .log_statements(tracing::log::LevelFilter::Trace);
        let corrupt = |e: sqlx::Error| StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: e.to_string(),
        };
        let mut conn = options.connect().await.map_err(corrupt)?;
        let check: String = sqlx::query_scalar("PRAGMA quick_check(1)")
            .fetch_one(&mut conn)
            .await
            .map_err(corrupt)?;
        if check != "ok" {
            return Err(StoreError::Corrupt {
                path: path.to_path_buf(),
                detail: check,
            });
        }
        let has_migrations: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '_sqlx_migrations'",
        )
        .fetch_one(&mut conn)
        .await
        .map_err(corrupt)?;
        let version: i64 = if has_migrations == 1 {
            sqlx::query_scalar(
                "SELECT coalesce(max(version), 0) FROM _sqlx_migrations WHERE success",
            )
            .fetch_one(&mut conn)
            .await
            .map_err(corrupt)?
        } else {
            let tables: i64 =
                sqlx::query_scalar("SELECT count(*) FROM sqlite_schema WHERE type = 'table'")
                    .fetch_one(&mut conn)
                    .await
                    .map_err(corrupt)?;
            if tables > 0 {
                // Some other program's SQLite database: do not adopt it.
                return Err(StoreError::NotADatabase {
                    path: path.to_path_buf(),
                });
            }
            0
        };
        conn.close().await.ok();
        if version > known_schema_version() {
            return Err(StoreError::NewerSchema {
                path: path.to_path_buf(),
                found: version,
                known: known_schema_version(),
            });
        }
        Ok(FileState::Existing {
            schema_version: version,
        })
    }

    async fn backup_before_migration(&self, from_version: i64) -> Result<(), StoreError> {
        let dir = self.path.parent().unwrap_or(Path::new(".")).join("backups");
        std::fs::create_dir_all(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let target = dir.join(format!("tapstand-schema{from_version}-{stamp}.db"));
        // VACUUM INTO takes any string expression, so the path is a bound parameter.
        sqlx::query("VACUUM INTO ?")
            .bind(target.to_string_lossy().into_owned())
            .execute(self.pool())
            .await?;
        tracing::info!(backup = %target.display(), "database backed up before migration");
        Ok(())
    }

    /// Opens the database at `url`: `postgres://…` / `postgresql://…` is a team database
    /// ([`pg::open`]); `sqlite://PATH`, `sqlite:PATH` or a plain path is a SQLite file ([`Db::open`]).
    pub async fn open_url(url: &str) -> Result<Db, StoreError> {
        if pg::is_pg_url(url) {
            return pg::open(url).await;
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        Db::open(Path::new(path)).await
    }

    /// The schema version applied to this database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| pg::schema_version(pg));
        let v = sqlx::query_scalar!(
            r#"SELECT coalesce(max(version), 0) AS "v!: i64" FROM _sqlx_migrations WHERE success"#
        )
        .fetch_one(pool)
        .await?;
        Ok(v)
    }

    /// The SQLite pool (tests and the SQLite-only maintenance: backups, `db copy-to`'s source).
    /// `None` on PostgreSQL.
    pub fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.backend {
            Backend::Sqlite(p) => Some(p),
            Backend::Pg(_) => None,
        }
    }

    /// The PostgreSQL pool; `None` on SQLite.
    pub fn pg_pool(&self) -> Option<&PgPool> {
        match &self.backend {
            Backend::Pg(p) => Some(p),
            Backend::Sqlite(_) => None,
        }
    }

    /// The SQLite pool of a database known to be SQLite (private: every method dispatches first).
    fn pool(&self) -> &SqlitePool {
        match &self.backend {
            Backend::Sqlite(p) => p,
            Backend::Pg(_) => unreachable!("a SQLite-only path was taken on PostgreSQL"),
        }
    }

    pub fn backend(&self) -> BackendKind {
        match self.backend {
            Backend::Sqlite(_) => BackendKind::Sqlite,
            Backend::Pg(_) => BackendKind::Postgres,
        }
    }

    /// The SQLite file (empty for a team database: see [`Db::location`]).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the data is, for people and logs: the file, or `postgres://user@host:port/db` (no password).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Whether this is a team database reached in plain text (`sslmode=disable`); 设置 warns.
    pub fn plain_text(&self) -> bool {
        self.plain_text
    }

    /// On a team database, what this PC's user may do (`None`: this PC's own file).
    pub fn team_role(&self) -> Option<roles::TeamRole> {
        self.team_role
    }

    /// The token rows owned by this handle carry (see [`owner`]).
    pub fn owner_token(&self) -> &str {
        self.owner.token()
    }

    /// Whether the handle (in this or another process, on this or another PC for a team database) that
    /// owns `token` is still open.
    pub async fn owner_alive(&self, token: &str) -> bool {
        match (&*self.owner, &self.backend) {
            (owner::Owner::File(lock), _) => lock.is_alive(token),
            (owner::Owner::Pg(lock), Backend::Pg(pool)) => lock.is_alive(pool, token).await,
            (owner::Owner::Pg(_), Backend::Sqlite(_)) => true,
        }
    }

    /// Checkpoints the WAL (SQLite) and closes every connection.
    pub async fn close(self) {
        match &self.backend {
            Backend::Sqlite(pool) => {
                let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(pool)
                    .await;
                pool.close().await;
            }
            Backend::Pg(pool) => pool.close().await,
        }
    }
}

pub use tapstand_store_types::now_ms;

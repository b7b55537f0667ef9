//! Tapstand storage: one SQLite file in the app-data directory.
//!
//! * WAL journal, foreign keys on, a busy timeout, `synchronous=NORMAL` (durable across app crashes; WAL
//!   makes a power cut lose at most the last transactions, never corrupt the file).
//! * Migrations are embedded (`sqlx::migrate!`) and applied on open. Before an existing database is
//!   migrated, a copy is written next to it (`backups/`), so an upgrade can always be undone.
//! * A file that is not SQLite, a corrupt file, or one written by a newer Tapstand is refused with a clear
//!   error and is never modified: the checks run on a read-only connection before anything writes.
//! * Queries are compile-time checked (`sqlx::query!`); their offline data is committed in `.sqlx/`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection};

pub mod ledger;
pub mod owner;
pub mod records;
pub mod settings;
pub mod station;
mod user_error;
pub mod wxacode;

/// The embedded migrations (crates/tapstand-store/migrations).
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

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
}

/// The highest schema version this build knows.
pub fn known_schema_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// An open Tapstand database.
#[derive(Clone, Debug)]
pub struct Db {
    pool: SqlitePool,
    path: PathBuf,
    /// This handle's liveness lock: rows it owns (a scheme call in flight) carry its token.
    owner: std::sync::Arc<owner::OwnerLock>,
}

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
            pool,
            path: path.to_path_buf(),
            owner: std::sync::Arc::new(owner::OwnerLock::acquire(path)),
        };
        if let FileState::Existing { schema_version } = state {
            if schema_version > 0 && schema_version < known_schema_version() {
                db.backup_before_migration(schema_version).await?;
            }
        }
        MIGRATOR.run(&db.pool).await.map_err(|e| match e {
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
            .execute(&self.pool)
            .await?;
        tracing::info!(backup = %target.display(), "database backed up before migration");
        Ok(())
    }

    /// The schema version applied to this database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let v = sqlx::query_scalar!(
            r#"SELECT coalesce(max(version), 0) AS "v!: i64" FROM _sqlx_migrations WHERE success"#
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(v)
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The token rows owned by this handle carry (see [`owner`]).
    pub fn owner_token(&self) -> &str {
        self.owner.token()
    }

    /// Whether the handle (in this or another process) that owns `token` is still open.
    pub fn owner_alive(&self, token: &str) -> bool {
        self.owner.is_alive(token)
    }

    /// Checkpoints the WAL and closes every connection.
    pub async fn close(self) {
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await;
        self.pool.close().await;
    }
}

/// Current time as unix milliseconds (the representation of every timestamp in the database).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

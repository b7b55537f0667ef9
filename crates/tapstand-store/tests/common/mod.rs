//! Every storage test runs on both backends: a real SQLite file in a temp folder, and a fresh database on
//! the real PostgreSQL server `scripts/lib/pg-session.sh` starts (`TAPSTAND_TEST_PG_URL`; each test gets
//! a database of its own, created here). Without that variable the PostgreSQL half says so and passes —
//! unless `TAPSTAND_REQUIRE_PG=1` (the test suite sets it), where it fails.
#![allow(dead_code)]

use sqlx::Connection;
use tapstand_store::{Db, DB_FILE_NAME};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database and what keeps it alive.
pub struct Fresh {
    pub db: Db,
    pub backend: Backend,
    /// The URL (PostgreSQL) or file path (SQLite) to open it again.
    pub url: String,
    pub dir: tempfile::TempDir,
}

/// A URL for a new, empty database on the test server (`None`: no server configured).
pub async fn new_pg_database() -> Option<String> {
    let admin = match std::env::var("TAPSTAND_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            assert!(
                std::env::var("TAPSTAND_REQUIRE_PG").as_deref() != Ok("1"),
                "TAPSTAND_REQUIRE_PG=1 but TAPSTAND_TEST_PG_URL is not set (run under scripts/lib/pg-session.sh)"
            );
            eprintln!("PostgreSQL half skipped: TAPSTAND_TEST_PG_URL is not set (scripts/lib/pg-session.sh sets it)");
            return None;
        }
    };
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let name = format!(
        "t_{}_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros(),
        SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("test server");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create database");
    conn.close().await.ok();
    let (base, _) = admin.rsplit_once('/').expect("a URL with a database");
    Some(format!("{base}/{name}"))
}

/// A fresh, migrated database on `backend` (`None`: PostgreSQL is not configured).
pub async fn fresh(backend: Backend) -> Option<Fresh> {
    let dir = tempfile::tempdir().unwrap();
    let url = match backend {
        Backend::Sqlite => dir.path().join(DB_FILE_NAME).display().to_string(),
        Backend::Postgres => new_pg_database().await?,
    };
    let db = Db::open_url(&url).await.expect("open");
    Some(Fresh {
        db,
        backend,
        url,
        dir,
    })
}

/// Runs one SQL statement with no result on either backend (tests that damage rows on purpose).
pub async fn exec(db: &Db, sqlite: &'static str, pg: &'static str) {
    if let Some(p) = db.sqlite_pool() {
        sqlx::query(sqlite).execute(p).await.unwrap();
    } else {
        sqlx::query(pg)
            .execute(db.pg_pool().unwrap())
            .await
            .unwrap();
    }
}

/// `both!(name, |f| async move { … })`: the test body once on SQLite, once on PostgreSQL.
#[macro_export]
macro_rules! both {
    ($name:ident, |$f:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($f: $crate::common::Fresh) {
                $body.await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::common::fresh($crate::common::Backend::Sqlite)
                    .await
                    .unwrap())
                .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(f) = $crate::common::fresh($crate::common::Backend::Postgres).await {
                    run(f).await;
                }
            }
        }
    };
}

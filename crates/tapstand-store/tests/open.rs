//! Opening real SQLite files: fresh, reopened, foreign, corrupt, newer. A refused file is never modified.

use tapstand_store::{known_schema_version, Db, StoreError, DB_FILE_NAME};

fn sha(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[tokio::test]
async fn fresh_database_is_created_with_wal_and_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join(DB_FILE_NAME);
    let db = Db::open(&path).await.unwrap();
    assert_eq!(db.schema_version().await.unwrap(), known_schema_version());
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(db.sqlite_pool().unwrap())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(db.sqlite_pool().unwrap())
        .await
        .unwrap();
    assert_eq!(fk, 1);
    db.set_setting("language", "en-US").await.unwrap();
    db.close().await;

    let db = Db::open(&path).await.unwrap();
    assert_eq!(
        db.get_setting("language").await.unwrap().as_deref(),
        Some("en-US")
    );
    assert_eq!(db.get_setting("missing").await.unwrap(), None);
}

#[tokio::test]
async fn a_text_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE_NAME);
    std::fs::write(&path, "门店名称,机构编号\n这不是数据库\n").unwrap();
    let before = sha(&path);
    let err = Db::open(&path).await.unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
    assert_eq!(sha(&path), before);
    assert!(!dir.path().join(format!("{DB_FILE_NAME}-wal")).exists());
}

#[tokio::test]
async fn a_corrupt_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE_NAME);
    let db = Db::open(&path).await.unwrap();
    for i in 0..200 {
        db.set_setting(&format!("k{i}"), &"x".repeat(500))
            .await
            .unwrap();
    }
    db.close().await;
    // Keep the SQLite header but scribble over the b-tree pages.
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 8192);
    for b in bytes[4096..].iter_mut() {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = Db::open(&path).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert_eq!(sha(&path), bytes);
}

#[tokio::test]
async fn a_database_from_a_newer_version_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE_NAME);
    let db = Db::open(&path).await.unwrap();
    let future = known_schema_version() + 1;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time)
         VALUES (?, 'from the future', CURRENT_TIMESTAMP, 1, x'00', 1)",
    )
    .bind(future)
    .execute(db.sqlite_pool().unwrap())
    .await
    .unwrap();
    db.close().await;
    let before = sha(&path);
    let err = Db::open(&path).await.unwrap_err();
    match err {
        StoreError::NewerSchema { found, known, .. } => {
            assert_eq!(found, future);
            assert_eq!(known, known_schema_version());
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    assert_eq!(sha(&path), before);
}

#[tokio::test]
async fn another_programs_sqlite_file_is_not_adopted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE_NAME);
    {
        use sqlx::{ConnectOptions, Connection};
        let mut c = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .connect()
            .await
            .unwrap();
        sqlx::query("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    }
    let before = sha(&path);
    let err = Db::open(&path).await.unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
    assert_eq!(sha(&path), before);
}

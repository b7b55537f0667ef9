//! Opening a team database on a real PostgreSQL server: fresh, reopened, another program's, a newer
//! Tapstand's (refused and untouched), and the usual connection failures in plain words.

mod common;

use sqlx::Connection;
use tapstand_store::pg::ConnectFailure;
use tapstand_store::{known_schema_version, BackendKind, Db, StoreError};

fn failure(e: &StoreError) -> Option<ConnectFailure> {
    match e {
        StoreError::Connect { failure, .. } => Some(*failure),
        _ => None,
    }
}

/// Every table and its row count: what "left untouched" is checked against.
async fn snapshot(url: &str) -> Vec<(String, i64)> {
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    let mut out = vec![];
    for t in tables {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM \"{t}\"")))
                .fetch_one(&mut c)
                .await
                .unwrap();
        out.push((t, n));
    }
    out
}

#[tokio::test]
async fn a_fresh_team_database_is_migrated_and_keeps_its_data() {
    let Some(url) = common::new_pg_database().await else {
        return;
    };
    let db = Db::open_url(&url).await.unwrap();
    assert_eq!(db.backend(), BackendKind::Postgres);
    assert_eq!(db.schema_version().await.unwrap(), known_schema_version());
    assert!(db.location().starts_with("postgres://tapstand@127.0.0.1:"));
    let password = url.split(':').nth(2).unwrap().split('@').next().unwrap();
    assert!(
        !db.location().contains(password),
        "no password in the location"
    );
    db.set_setting("language", "en-US").await.unwrap();
    db.close().await;
    let db = Db::open_url(&url).await.unwrap();
    assert_eq!(
        db.get_setting("language").await.unwrap().as_deref(),
        Some("en-US")
    );
}

#[tokio::test]
async fn two_pcs_opening_a_fresh_database_at_once_migrate_it_once() {
    let Some(url) = common::new_pg_database().await else {
        return;
    };
    let (a, b) = tokio::join!(Db::open_url(&url), Db::open_url(&url));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.schema_version().await.unwrap(), known_schema_version());
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(b.pg_pool().unwrap())
        .await
        .unwrap();
    // Each migration once (numbers may have gaps while branches are merged: count them, not the highest).
    assert_eq!(n, tapstand_store::PG_MIGRATOR.iter().count() as i64);
}

#[tokio::test]
async fn another_programs_database_is_not_adopted_and_left_untouched() {
    let Some(url) = common::new_pg_database().await else {
        return;
    };
    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("CREATE TABLE photos (id BIGINT PRIMARY KEY)")
        .execute(&mut c)
        .await
        .unwrap();
    sqlx::query("INSERT INTO photos VALUES (1)")
        .execute(&mut c)
        .await
        .unwrap();
    let before = snapshot(&url).await;
    let err = Db::open_url(&url).await.unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
    assert_eq!(
        tapstand_error::UserError::from(err).code,
        "db.team.not_tapstand"
    );
    assert_eq!(snapshot(&url).await, before);
}

#[tokio::test]
async fn a_schema_from_a_newer_tapstand_is_refused_and_left_untouched() {
    let Some(url) = common::new_pg_database().await else {
        return;
    };
    let db = Db::open_url(&url).await.unwrap();
    let future = known_schema_version() + 1;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES ($1, 'from the future', true, '\\x00'::bytea, 1)",
    )
    .bind(future)
    .execute(db.pg_pool().unwrap())
    .await
    .unwrap();
    db.close().await;
    let before = snapshot(&url).await;
    let err = Db::open_url(&url).await.unwrap_err();
    match &err {
        StoreError::NewerSchema { found, known, .. } => {
            assert_eq!(*found, future);
            assert_eq!(*known, known_schema_version());
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    let user = tapstand_error::UserError::from(err);
    assert_eq!(user.code, "db.team.newer_schema");
    assert_eq!(snapshot(&url).await, before);
}

#[tokio::test]
async fn connection_failures_are_told_in_plain_words_without_the_password() {
    let Some(url) = common::new_pg_database().await else {
        return;
    };
    // postgres://tapstand:PASSWORD@127.0.0.1:PORT/DB
    let password = url
        .split(':')
        .nth(2)
        .unwrap()
        .split('@')
        .next()
        .unwrap()
        .to_string();

    // Wrong password.
    let bad = url.replacen(&password, "not-the-password", 1);
    let err = Db::open_url(&bad).await.unwrap_err();
    assert_eq!(
        failure(&err),
        Some(ConnectFailure::WrongPassword),
        "{err:?}"
    );
    let user = tapstand_error::UserError::from(err);
    assert_eq!(user.code, "db.team.wrong_password");
    assert!(!format!("{user:?}").contains("not-the-password"));

    // No such database.
    let (base, _) = url.rsplit_once('/').unwrap();
    let err = Db::open_url(&format!("{base}/no_such_db"))
        .await
        .unwrap_err();
    assert_eq!(failure(&err), Some(ConnectFailure::NoDatabase), "{err:?}");

    // Nobody listening on that port.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let host_port = base.rsplit_once('@').unwrap().1;
    let dead = format!(
        "{}/postgres",
        base.replacen(host_port, &format!("127.0.0.1:{port}"), 1)
    );
    let err = Db::open_url(&dead).await.unwrap_err();
    assert_eq!(failure(&err), Some(ConnectFailure::Unreachable), "{err:?}");
    assert!(!format!("{err}").contains(&password), "{err}");

    // A role the server lets in only over TLS, with TLS turned off; with TLS it connects.
    let tls_user = url.replacen("://tapstand:", "://tapstand_tls:", 1);
    let err = Db::open_url(&format!("{tls_user}?sslmode=disable"))
        .await
        .unwrap_err();
    assert_eq!(failure(&err), Some(ConnectFailure::TlsRequired), "{err:?}");
    assert_eq!(
        tapstand_error::UserError::from(err).code,
        "db.team.tls_required"
    );
    let mut tls = sqlx::PgConnection::connect(&format!("{tls_user}?sslmode=require"))
        .await
        .expect("the same role over TLS");
    let on: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&mut tls)
        .await
        .unwrap();
    assert!(on);
}

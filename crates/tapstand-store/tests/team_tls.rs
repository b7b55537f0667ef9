//! TLS that cannot be downgraded, on the real PostgreSQL server of `scripts/lib/pg-session.sh` (its
//! certificate names only `127.0.0.1` and is signed by the test CA `TAPSTAND_TEST_PG_CA`):
//! a URL without `sslmode` is encrypted, and never plain text against a server that says "no TLS";
//! `verify-full` with the right CA connects, with a wrong CA or a wrong host name it is refused in plain
//! words; plain text only with `sslmode=disable`.

mod common;

use tapstand_store::pg::ConnectFailure;
use tapstand_store::{Db, StoreError};

fn failure(e: &StoreError) -> Option<ConnectFailure> {
    match e {
        StoreError::Connect { failure, .. } => Some(*failure),
        _ => None,
    }
}

fn ca(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| panic!("{var} (scripts/lib/pg-session.sh sets it)"))
}

async fn encrypted(db: &Db) -> bool {
    sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(db.pg_pool().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_url_without_sslmode_is_encrypted_and_plain_text_needs_disable_by_name() {
    let Some(url) = common::new_pg_database().await else {
        return;
    };
    let db = Db::open_url(&url).await.unwrap();
    assert!(encrypted(&db).await, "no sslmode: TLS");
    db.close().await;
    let db = Db::open_url(&format!("{url}?sslmode=prefer"))
        .await
        .unwrap();
    assert!(encrypted(&db).await, "prefer is taken as require");
    db.close().await;
    let db = Db::open_url(&format!("{url}?sslmode=disable"))
        .await
        .unwrap();
    assert!(!encrypted(&db).await, "disable, asked for by name: plain");
    assert!(tapstand_store::pg::url_is_plain_text(&format!(
        "{url}?sslmode=disable"
    )));
    db.close().await;
}

/// A "server" (or someone on the path) that answers PostgreSQL's SSLRequest with `N`: with no sslmode,
/// or `prefer`, Tapstand stops there — the startup message (user name, database) is never sent in plain
/// text.
#[tokio::test]
async fn a_server_that_refuses_tls_is_refused_not_talked_to_in_plain_text() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = tokio::spawn(async move {
        let mut got = vec![];
        for _ in 0..2 {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut req = [0u8; 8];
            s.read_exact(&mut req).await.unwrap();
            assert_eq!(
                req,
                [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f],
                "an SSLRequest first"
            );
            s.write_all(b"N").await.unwrap();
            // Whatever comes next (nothing, or a plain startup message with the user name).
            let mut rest = vec![];
            let _ =
                tokio::time::timeout(std::time::Duration::from_secs(2), s.read_to_end(&mut rest))
                    .await;
            got.push(rest);
        }
        got
    });
    for q in ["", "?sslmode=prefer"] {
        let err = Db::open_url(&format!("postgres://someone@127.0.0.1:{port}/db{q}"))
            .await
            .unwrap_err();
        assert_eq!(
            failure(&err),
            Some(ConnectFailure::TlsFailed),
            "{q}: {err:?}"
        );
        let user = tapstand_error::UserError::from(err);
        assert_eq!(user.code, "db.team.tls_failed");
    }
    for rest in seen.await.unwrap() {
        assert!(
            !String::from_utf8_lossy(&rest).contains("someone"),
            "nothing sent in plain text: {rest:?}"
        );
    }
}

#[tokio::test]
async fn verify_full_accepts_the_right_ca_and_refuses_a_wrong_ca_or_host() {
    let Some(url) = common::new_pg_database().await else {
        return;
    };
    let right = ca("TAPSTAND_TEST_PG_CA");
    let other = ca("TAPSTAND_TEST_PG_OTHER_CA");
    let db = Db::open_url(&format!("{url}?sslmode=verify-full&sslrootcert={right}"))
        .await
        .expect("the right CA");
    assert!(encrypted(&db).await);
    db.close().await;

    let err = Db::open_url(&format!("{url}?sslmode=verify-full&sslrootcert={other}"))
        .await
        .unwrap_err();
    assert_eq!(failure(&err), Some(ConnectFailure::TlsUntrusted), "{err:?}");
    let user = tapstand_error::UserError::from(err);
    assert_eq!(user.code, "db.team.tls_untrusted");
    assert!(format!("{:?}", user.zh).contains("CA"), "{user:?}");

    // The same server under a name its certificate does not carry (it names only 127.0.0.1).
    let by_name = url.replacen("@127.0.0.1:", "@localhost:", 1);
    let err = Db::open_url(&format!(
        "{by_name}?sslmode=verify-full&sslrootcert={right}"
    ))
    .await
    .unwrap_err();
    assert_eq!(failure(&err), Some(ConnectFailure::TlsWrongHost), "{err:?}");
    assert_eq!(
        tapstand_error::UserError::from(err).code,
        "db.team.tls_wrong_host"
    );

    // require checks no certificate, but is still encrypted.
    let db = Db::open_url(&format!("{by_name}?sslmode=require"))
        .await
        .unwrap();
    assert!(encrypted(&db).await);
    db.close().await;
}

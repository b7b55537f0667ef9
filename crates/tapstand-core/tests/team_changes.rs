//! Team mode: another PC's change appears within 2 s. Two `Core`s on one real PostgreSQL database (the
//! server `scripts/lib/pg-session.sh` starts, `TAPSTAND_TEST_PG_URL`): a store saved through one is seen
//! by the other's change subscription (LISTEN/NOTIFY, `migrations-pg/0009_notify.sql`).

use std::time::{Duration, Instant};

use sqlx::Connection;
use tapstand_core::{AppPaths, Core};
use tapstand_store::records::StoreInput;

async fn new_pg_database() -> Option<String> {
    let admin = match std::env::var("TAPSTAND_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            assert!(
                std::env::var("TAPSTAND_REQUIRE_PG").as_deref() != Ok("1"),
                "TAPSTAND_REQUIRE_PG=1 but TAPSTAND_TEST_PG_URL is not set"
            );
            eprintln!(
                "skipped: TAPSTAND_TEST_PG_URL is not set (scripts/lib/pg-session.sh sets it)"
            );
            return None;
        }
    };
    let name = format!(
        "t_changes_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros()
    );
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.ok();
    let (base, _) = admin.rsplit_once('/').unwrap();
    Some(format!("{base}/{name}"))
}

fn store(code: &str) -> StoreInput {
    StoreInput {
        org_code: code.into(),
        company: "连锁公司".into(),
        name: format!("门店 {code}"),
        address: String::new(),
    }
}

#[tokio::test]
async fn another_pcs_store_is_seen_within_two_seconds() {
    let Some(url) = new_pg_database().await else {
        return;
    };
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let a = Core::open_at(AppPaths::under(dir_a.path().into()), Some(&url))
        .await
        .unwrap();
    let b = Core::open_at(AppPaths::under(dir_b.path().into()), Some(&url))
        .await
        .unwrap();
    let mut seen_by_b = b
        .watch_changes()
        .await
        .unwrap()
        .expect("PostgreSQL is watched");

    let saved_at = Instant::now();
    tapstand_records::save_store(&a.db, None, store("101"))
        .await
        .unwrap();
    let table = tokio::time::timeout(Duration::from_secs(2), seen_by_b.recv())
        .await
        .expect("B hears of A's store within 2 s")
        .unwrap();
    assert_eq!(table, "stores");
    eprintln!("seen after {:?}", saved_at.elapsed());
    // And B's list has it.
    let listed = tapstand_records::list_stores(&b.db, "", false)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);

    // Drain anything else from that save, then: a settings change is not a list change.
    while tokio::time::timeout(Duration::from_millis(300), seen_by_b.recv())
        .await
        .is_ok()
    {}
    a.db.set_setting("language", "en-US").await.unwrap(); // settings: not a list, no event
    assert!(
        tokio::time::timeout(Duration::from_millis(500), seen_by_b.recv())
            .await
            .is_err(),
        "a settings change is not a list change"
    );
}

#[tokio::test]
async fn this_pcs_own_file_has_nothing_to_watch() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open_at(AppPaths::under(dir.path().into()), None)
        .await
        .unwrap();
    assert!(core.watch_changes().await.unwrap().is_none());
}

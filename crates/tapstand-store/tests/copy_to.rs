//! `Db::copy_to`: a real SQLite database with every kind of row → a fresh database on the real
//! PostgreSQL server, all or nothing, counts checked, the SQLite file untouched; an earlier copy is
//! recognised; a target with other data is refused and left as it was. Also the size the issue names:
//! 10,000 stores and 1,000 tags (the time goes to benchmarks/team.md: scripts/bench-team.sh).

mod common;

use tapstand_store::copy::{CopyError, TABLES};
use tapstand_store::ledger::NewSchemeRequest;
use tapstand_store::records::StoreInput;
use tapstand_store::station::StationAttempt;
use tapstand_store::wxacode::WxacodeKey;
use tapstand_store::Db;

const JPG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 9, 9, 9];

async fn fill(db: &Db, stores: usize, tags: usize) {
    let rows: Vec<StoreInput> = (0..stores)
        .map(|i| StoreInput {
            org_code: format!("{}", 1000 + i),
            name: format!("门店{i}"),
            company: "连锁".into(),
            address: String::new(),
        })
        .collect();
    db.upsert_stores(&rows).await.unwrap();
    db.set_setting("language", "zh-CN").await.unwrap();
    db.set_store_archived(
        db.store_by_org_code("1000").await.unwrap().unwrap().id,
        true,
    )
    .await
    .unwrap();
    for i in 0..tags {
        let sn = format!("04{i:012X}");
        let row = db
            .scheme_record_request(&NewSchemeRequest {
                api_base: "http://127.0.0.1:1",
                appid: "wx1234567890abcdef",
                model_id: "model-1",
                sn: &sn,
                path: "",
                query: "",
                env_version: "release",
            })
            .await
            .unwrap();
        let call = db
            .scheme_begin_call(row.id, false, 0, None, "http://127.0.0.1:1")
            .await
            .unwrap()
            .unwrap();
        let link = format!("weixin://dl/business/?t=L{i}");
        db.scheme_finish_issued(row.id, call, &link).await.unwrap();
        let a = StationAttempt {
            started_at: 1_000 + i as i64,
            uid: sn.clone(),
            model_id: "model-1".into(),
            sn: sn.clone(),
            openlink: Some(link),
            target: "store:1".into(),
            store_id: Some(1),
            result: "written".into(),
            locked: i % 2 == 0,
            ..Default::default()
        };
        db.station_insert_attempt(&a).await.unwrap();
        db.station_upsert_tag(&a).await.unwrap();
    }
    db.wxacode_put(
        &WxacodeKey::for_print("wx1234567890abcdef", "s=1", ""),
        JPG,
        5,
    )
    .await
    .unwrap();
}

fn sha(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_database_is_copied_whole_and_checked() {
    let local = common::fresh(common::Backend::Sqlite).await.unwrap();
    let Some(url) = common::new_pg_database().await else {
        return;
    };
    fill(&local.db, 50, 20).await;
    let team = Db::open_url(&url).await.unwrap();
    let file = std::path::PathBuf::from(&local.url);
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(local.db.sqlite_pool().unwrap())
        .await
        .unwrap();
    let before = sha(&file);

    let report = local.db.copy_to(&team).await.unwrap();
    assert!(!report.already_copied);
    assert_eq!(report.tables.len(), TABLES.len());
    let rows = |t: &str| report.tables.iter().find(|c| c.table == t).unwrap().rows;
    assert_eq!(
        (rows("stores"), rows("station_tags"), rows("scheme_ledger")),
        (50, 20, 20)
    );
    assert_eq!(sha(&file), before, "the SQLite file is only read");

    // The same rows through the same API on both sides.
    assert_eq!(
        team.list_stores("", true).await.unwrap(),
        local.db.list_stores("", true).await.unwrap()
    );
    assert_eq!(
        team.scheme_list(100).await.unwrap(),
        local.db.scheme_list(100).await.unwrap()
    );
    assert_eq!(
        team.station_find_tag("04000000000000", "model-1")
            .await
            .unwrap(),
        local
            .db
            .station_find_tag("04000000000000", "model-1")
            .await
            .unwrap()
    );
    let key = WxacodeKey::for_print("wx1234567890abcdef", "s=1", "");
    assert_eq!(team.wxacode_get(&key).await.unwrap().unwrap().bytes, JPG);
    assert_eq!(
        team.get_setting("language").await.unwrap().as_deref(),
        Some("zh-CN")
    );
    // New rows on the team database get new ids.
    let id = team
        .insert_store(&StoreInput {
            org_code: "9999".into(),
            name: "新店".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        id > local
            .db
            .list_stores("", true)
            .await
            .unwrap()
            .iter()
            .map(|s| s.id)
            .max()
            .unwrap()
    );

    // Copying again: the target now holds more than this data → refused, untouched.
    let err = local.db.copy_to(&team).await.unwrap_err();
    assert!(matches!(err, CopyError::TargetNotEmpty { .. }), "{err:?}");
    assert_eq!(team.list_stores("", true).await.unwrap().len(), 51);
    assert_eq!(
        tapstand_error::UserError::from(err).code,
        "db.copy.target_not_empty"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_copy_of_the_same_data_is_recognised() {
    let local = common::fresh(common::Backend::Sqlite).await.unwrap();
    let Some(url) = common::new_pg_database().await else {
        return;
    };
    fill(&local.db, 3, 2).await;
    let team = Db::open_url(&url).await.unwrap();
    assert!(!local.db.copy_to(&team).await.unwrap().already_copied);
    assert!(local.db.copy_to(&team).await.unwrap().already_copied);
    assert_eq!(team.list_stores("", true).await.unwrap().len(), 3);
}

/// Same counts in every table, other rows: not an earlier copy. Refused, the first difference named,
/// and nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_with_the_same_counts_but_other_rows_is_refused_naming_the_first_difference() {
    let local = common::fresh(common::Backend::Sqlite).await.unwrap();
    let Some(url) = common::new_pg_database().await else {
        return;
    };
    fill(&local.db, 3, 2).await;
    let team = Db::open_url(&url).await.unwrap();
    local.db.copy_to(&team).await.unwrap();
    // Another PC renamed a store on the team database: every count stays the same.
    let store = team.store_by_org_code("1001").await.unwrap().unwrap();
    sqlx::query("UPDATE stores SET name = '解放路店' WHERE id = $1")
        .bind(store.id)
        .execute(team.pg_pool().unwrap())
        .await
        .unwrap();
    let err = local.db.copy_to(&team).await.unwrap_err();
    match &err {
        CopyError::TargetDiffers { table, row } => {
            assert_eq!(table, "stores");
            assert_eq!(
                row,
                &format!("id {}: name \"门店1\" here, \"解放路店\" there", store.id)
            );
        }
        other => panic!("expected TargetDiffers, got {other:?}"),
    }
    let user = tapstand_error::UserError::from(err);
    assert_eq!(user.code, "db.copy.target_differs");
    assert!(format!("{:?}", user.zh).contains("stores"), "{user:?}");
    assert_eq!(
        team.store_by_org_code("1001").await.unwrap().unwrap().name,
        "解放路店",
        "nothing written"
    );
    // A flag (a boolean on PostgreSQL, 0/1 on SQLite) differing is found too.
    sqlx::query("UPDATE stores SET name = '门店1' WHERE id = $1")
        .bind(store.id)
        .execute(team.pg_pool().unwrap())
        .await
        .unwrap();
    assert!(local.db.copy_to(&team).await.unwrap().already_copied);
    sqlx::query(
        "UPDATE station_tags SET locked = NOT locked WHERE id = (SELECT min(id) FROM station_tags)",
    )
    .execute(team.pg_pool().unwrap())
    .await
    .unwrap();
    let err = local.db.copy_to(&team).await.unwrap_err();
    assert!(
        matches!(&err, CopyError::TargetDiffers { table, row } if table == "station_tags" && row.contains("locked")),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_stores_and_a_thousand_tags() {
    let local = common::fresh(common::Backend::Sqlite).await.unwrap();
    let Some(url) = common::new_pg_database().await else {
        return;
    };
    fill(&local.db, 10_000, 1_000).await;
    let team = Db::open_url(&url).await.unwrap();
    let started = std::time::Instant::now();
    let report = local.db.copy_to(&team).await.unwrap();
    let took = started.elapsed();
    let rows = |t: &str| report.tables.iter().find(|c| c.table == t).unwrap().rows;
    assert_eq!((rows("stores"), rows("station_tags")), (10_000, 1_000));
    assert_eq!(team.list_stores("", true).await.unwrap().len(), 10_000);
    let page = team
        .station_history_page(&Default::default())
        .await
        .unwrap();
    assert_eq!(page.total, 1_000);
    // For scripts/bench-team.sh.
    println!(
        "COPY_TO_BENCH stores=10000 tags=1000 rows={} ms={}",
        report.tables.iter().map(|t| t.rows).sum::<i64>(),
        took.as_millis()
    );
}

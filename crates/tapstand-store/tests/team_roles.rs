//! Least privilege on the real PostgreSQL server: `init_roles` makes a head-office and a writer role; a
//! store PC logged in as a writer opens the database (no migration), reads, claims pool links, records
//! attempts and tags — and every statement outside that is refused by the server itself.

mod common;

use sqlx::Connection;
use tapstand_store::pool::NewPoolLink;
use tapstand_store::roles::{init_roles, TeamRole};
use tapstand_store::station::StationAttempt;
use tapstand_store::Db;

const MODEL: &str = "model-1";
const TARGET: &str = "store:1";

/// A login user in `group`, password `pw`; returns the URL it connects with.
async fn login(admin_url: &str, admin: &mut sqlx::PgConnection, group: &str, name: &str) -> String {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP ROLE IF EXISTS {name}; CREATE ROLE {name} LOGIN PASSWORD 'pw-{name}' IN ROLE {group}"
    )))
    .execute(&mut *admin)
    .await
    .unwrap();
    // postgres://tapstand:PASSWORD@host:port/db → postgres://NAME:pw-NAME@host:port/db
    let (_, rest) = admin_url.split_once('@').unwrap();
    format!("postgres://{name}:pw-{name}@{rest}")
}

#[tokio::test]
async fn the_writer_writes_from_the_pool_and_nothing_else() {
    let Some(url) = common::new_pg_database().await else {
        return;
    };
    let hq = Db::open_url(&url).await.unwrap();
    assert_eq!(hq.team_role(), Some(TeamRole::HeadOffice), "the owner");
    for seq in 1..=3 {
        let id = hq
            .pool_insert(
                &NewPoolLink {
                    appid: "wx1234567890abcdef".into(),
                    model_id: MODEL.into(),
                    target: TARGET.into(),
                    target_label: "门店 1001".into(),
                    seq,
                    sn: format!("1001-{seq:06}"),
                    path: "pages/index".into(),
                    query: format!("sn=1001-{seq:06}"),
                    generated_by: "HQ".into(),
                },
                1_000,
            )
            .await
            .unwrap()
            .unwrap();
        hq.pool_set_openlink(id, &format!("weixin://dl/business/?t=pool{seq:07}"))
            .await
            .unwrap();
    }
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    let db_name = url.rsplit_once('/').unwrap().1.to_string();
    let report = init_roles(&mut admin, &db_name).await.unwrap();
    assert_eq!(report.writer, format!("{db_name}_writer"));
    // Idempotent.
    init_roles(&mut admin, &db_name).await.unwrap();
    let suffix = &db_name[db_name.len().saturating_sub(12)..];
    let writer_url = login(&url, &mut admin, &report.writer, &format!("w_{suffix}")).await;
    let ho_url = login(
        &url,
        &mut admin,
        &report.head_office,
        &format!("h_{suffix}"),
    )
    .await;

    // The writer: opens (no migration needed), reads, claims, records.
    let w = Db::open_url(&writer_url).await.expect("the writer opens");
    assert_eq!(w.team_role(), Some(TeamRole::Writer));
    assert_eq!(w.pool_summaries().await.unwrap()[0].free, 3);
    let link = w
        .pool_claim(MODEL, TARGET, "04AA01", "PC-1", 2_000)
        .await
        .unwrap()
        .expect("a link from the pool");
    let attempt = StationAttempt {
        started_at: 2_000,
        uid: "04AA01".into(),
        model_id: MODEL.into(),
        sn: link.sn.clone(),
        openlink: link.openlink.clone(),
        target: TARGET.into(),
        result: "written".into(),
        scheme_source: Some("pool".into()),
        ..Default::default()
    };
    w.station_insert_attempt(&attempt).await.unwrap();
    w.station_upsert_tag(&attempt).await.unwrap();
    w.station_upsert_tag(&attempt)
        .await
        .expect("a re-verify updates the tag");
    w.set_setting("language", "en-US").await.unwrap();
    w.set_setting("language", "zh-CN").await.unwrap();
    // 巡检 from the store's PC: the audit is recorded and saved after every tap.
    let audit = w
        .audit_insert(1, "门店 1", "店员", "{}", 2_000)
        .await
        .unwrap();
    w.audit_update(audit, "{\"entries\":[]}", Some(3_000))
        .await
        .unwrap();

    // Each forbidden statement, refused by the server (42501 insufficient_privilege).
    let pool = w.pg_pool().unwrap();
    let forbidden = [
        "DELETE FROM station_tags",
        "DELETE FROM station_attempts",
        "DELETE FROM link_pool",
        "DELETE FROM scheme_ledger",
        "DELETE FROM stores",
        "UPDATE scheme_ledger SET openlink = 'weixin://dl/business/?t=evil'",
        "UPDATE scheme_ledger SET state = 'pending'",
        "INSERT INTO scheme_ledger (appid, model_id, sn, path, query, env_version, state, created_at, updated_at) VALUES ('a', 'm', 's', 'p', 'q', 'release', 'pending', 0, 0)",
        "UPDATE link_pool SET openlink = 'weixin://dl/business/?t=evil'",
        "UPDATE link_pool SET sn = 'x'",
        "INSERT INTO link_pool (appid, model_id, target, target_label, seq, sn, path, query, created_at, generated_by) VALUES ('a', 'm', 't', 'l', 99, 's', 'p', 'q', 0, 'x')",
        "UPDATE station_attempts SET result = 'failed'",
        "UPDATE station_tags SET uid = 'x'",
        "UPDATE stores SET name = 'x'",
        "INSERT INTO profiles (name, appid, env_version, page_path, query_template, created_at, updated_at) VALUES ('n', 'wx1', 'release', 'p', '', 0, 0)",
        "INSERT INTO retired_tags (uid, chip, model_id, sn, openlink, target, target_label, first_written_at, retired_at, reason, replaced_by, operator) VALUES ('u','c','m','s','o','t','l',0,0,'r','x','o')",
        "UPDATE audits SET store_id = 2",
        "DELETE FROM audits",
        "TRUNCATE station_tags",
        "CREATE TABLE evil (id int)",
        "ALTER TABLE station_tags ADD COLUMN evil int",
        "DROP TABLE scheme_ledger",
        "DROP TABLE _sqlx_migrations",
        "CREATE INDEX evil ON station_tags (uid)",
        "DELETE FROM _sqlx_migrations",
    ];
    for sql in forbidden {
        let e = sqlx::query(sql).execute(pool).await.unwrap_err();
        let code = e
            .as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.into_owned());
        assert_eq!(code.as_deref(), Some("42501"), "{sql}: {e}");
    }
    // 换标签 on the store's PC: the stand's row moves to retired_tags through tapstand_retire_tag, and only
    // once the new tag holds the stand's link; a retirement without it is refused in plain words.
    let tag = w.station_tags_by_uid("04AA01").await.unwrap()[0].clone();
    let e = w
        .stand_retire_tag(&tag, "broken", "04AA02", "店员", 3_000)
        .await
        .unwrap_err();
    let user = tapstand_error::UserError::from(e);
    assert_eq!(user.code, "db.team.not_permitted", "{user:?}");
    assert_eq!(
        w.station_tags_by_uid("04AA01").await.unwrap().len(),
        1,
        "nothing moved"
    );
    let replacement = StationAttempt {
        uid: "04AA02".into(),
        ..attempt.clone()
    };
    w.station_insert_attempt(&replacement).await.unwrap();
    w.station_upsert_tag(&replacement).await.unwrap();
    w.stand_retire_tag(&tag, "broken", "04AA02", "店员", 3_000)
        .await
        .expect("the writer replaces a stand's tag");
    assert!(w.station_tags_by_uid("04AA01").await.unwrap().is_empty());
    let retired = w.stand_retired_tags_by_uid("04AA01").await.unwrap();
    assert_eq!(retired[0].replaced_by, "04AA02");
    w.close().await;

    // A head-office login (not the owner) may do it all, and migrates as the head-office role.
    let h = Db::open_url(&ho_url).await.expect("head office opens");
    assert_eq!(h.team_role(), Some(TeamRole::HeadOffice));
    let tag = &h.station_tags_by_uid("04AA02").await.unwrap()[0];
    h.station_upsert_tag(&StationAttempt {
        uid: "04AA03".into(),
        ..attempt.clone()
    })
    .await
    .unwrap();
    h.stand_retire_tag(tag, "lost", "04AA03", "总部", 4_000)
        .await
        .unwrap();
    sqlx::query("UPDATE scheme_ledger SET updated_at = updated_at")
        .execute(h.pg_pool().unwrap())
        .await
        .unwrap();
    h.close().await;
}

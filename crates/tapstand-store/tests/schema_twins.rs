//! The PostgreSQL migrations are twins of the SQLite ones: after both are applied, the same tables, the
//! same columns (name, type class, NOT NULL), the same named indexes, and the same number of UNIQUE
//! constraints per table (CHECKs are compared by reading the two files side by side: SQLite keeps them
//! only as text). A SQLite migration without its PostgreSQL twin fails here.

mod common;

use std::collections::BTreeMap;

use tapstand_store::{known_pg_schema_version, known_schema_version};

type Columns = BTreeMap<(String, String), (String, bool)>;

fn class(t: &str) -> String {
    match t.to_ascii_lowercase().as_str() {
        "integer" | "bigint" | "boolean" => "integer",
        "text" => "text",
        "blob" | "bytea" => "bytes",
        other => return other.to_string(),
    }
    .to_string()
}

#[tokio::test]
async fn the_postgresql_schema_is_the_twin_of_the_sqlite_one() {
    assert_eq!(known_pg_schema_version(), known_schema_version());
    let sqlite = common::fresh(common::Backend::Sqlite).await.unwrap();
    let Some(pg) = common::fresh(common::Backend::Postgres).await else {
        return;
    };
    let lite = sqlite.db.sqlite_pool().unwrap();
    let pgp = pg.db.pg_pool().unwrap();

    let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT m.name, p.name, p.type, p.\"notnull\", p.pk FROM sqlite_schema m
         JOIN pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name != '_sqlx_migrations'",
    )
    .fetch_all(lite)
    .await
    .unwrap();
    let lite_cols: Columns = rows
        .into_iter()
        .map(|(t, c, ty, nn, pk)| ((t, c), (class(&ty), nn == 1 || pk == 1)))
        .collect();
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text
         FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name != '_sqlx_migrations'",
    )
    .fetch_all(pgp)
    .await
    .unwrap();
    let pg_cols: Columns = rows
        .into_iter()
        .map(|(t, c, ty, nullable)| ((t, c), (class(&ty), nullable == "NO")))
        .collect();
    assert_eq!(pg_cols, lite_cols);

    let lite_idx: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%' ORDER BY 1",
    )
    .fetch_all(lite)
    .await
    .unwrap();
    let pg_idx: Vec<String> = sqlx::query_scalar(
        "SELECT i.relname::text FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_namespace n ON n.oid = i.relnamespace
         WHERE n.nspname = current_schema() AND NOT x.indisprimary
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
           AND i.relname NOT LIKE '_sqlx%'
         ORDER BY 1",
    )
    .fetch_all(pgp)
    .await
    .unwrap();
    assert_eq!(pg_idx, lite_idx);

    // UNIQUE constraints per table (SQLite: its automatic indexes; PostgreSQL: UNIQUE constraints).
    let lite_unique: Vec<(String, i64)> = sqlx::query_as(
        "SELECT tbl_name, count(*) FROM sqlite_schema WHERE type = 'index'
         AND name LIKE 'sqlite_autoindex%' AND tbl_name != '_sqlx_migrations' GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(lite)
    .await
    .unwrap();
    let pg_unique: Vec<(String, i64)> = sqlx::query_as(
        "SELECT r.relname::text, count(*) FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
         JOIN pg_namespace n ON n.oid = r.relnamespace
         WHERE n.nspname = current_schema() AND c.contype IN ('u')
           AND r.relname != '_sqlx_migrations'
         GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(pgp)
    .await
    .unwrap();
    // settings' TEXT PRIMARY KEY is an autoindex in SQLite, a primary key in PostgreSQL.
    let lite_unique: Vec<(String, i64)> = lite_unique
        .into_iter()
        .filter_map(|(t, n)| {
            let n = if t == "settings" { n - 1 } else { n };
            (n > 0).then_some((t, n))
        })
        .collect();
    assert_eq!(pg_unique, lite_unique);
}

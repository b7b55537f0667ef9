//! Least privilege on a team database: two group roles (`NOLOGIN`; the administrator adds login users
//! to them), made and granted by [`init_roles`] (`tapstand-cli db init-roles`):
//!
//! | role | may |
//! |---|---|
//! | `<prefix>_head_office` | everything: owns every Tapstand table, sequence and function (so a member can run the next migration), `CREATE` on the schema |
//! | `<prefix>_writer` | a store PC without the AppSecret that writes tags from the pool: `SELECT` on every Tapstand table; claim a pool link (`UPDATE (claimed_uid, claimed_at, claimed_by)` on `link_pool`, nothing else of it); record attempts (`INSERT` on `station_attempts`) and tags (`INSERT` and the upsert's columns of `station_tags`); the app's own settings (`INSERT`, `UPDATE (value, updated_at)` on `settings`: language, the last write request). No `DELETE` anywhere, nothing on the ledger but reading it, no DDL, no `TRUNCATE` |
//!
//! The writer also records a 巡检 (`INSERT`, `UPDATE (report, finished_at)` on `audits`) and may run 换标签
//! (replace) through the one function that moves a stand's row to `retired_tags`, `tapstand_retire_tag`
//! (migration 0012, `SECURITY DEFINER`, owned by the head office): it refuses unless another registered tag
//! already holds the stand's link, so the writer still cannot DELETE anything, and no row is ever lost.
//!
//! Roles are the server's, not the database's: the prefix defaults to the database name, so two chains'
//! databases on one server get separate roles. Future tables: migrations run as the head-office role
//! ([`crate::pg::open`] `SET ROLE`s to the owner of `_sqlx_migrations` when the user is a member), and
//! `ALTER DEFAULT PRIVILEGES` gives the writer `SELECT` on what they create.

use serde::Serialize;
use sqlx::{AssertSqlSafe, PgConnection};

use crate::copy::TABLES;

/// What this PC's team database user may do, as 设置 → 团队模式 shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "kebab-case")]
pub enum TeamRole {
    /// May change everything (the ledger, records, the schema): head office, or the database's owner.
    HeadOffice,
    /// May only write tags from the pool (the writer role).
    Writer,
    /// Some other set of rights (neither of the above).
    Limited,
}

/// The columns a pool claim sets (`pool_claim`).
const LINK_POOL_CLAIM: &str = "claimed_uid, claimed_at, claimed_by";
/// The columns the tag upsert's `ON CONFLICT DO UPDATE` sets (`station_upsert_tag`).
const STATION_TAGS_UPSERT: &str =
    "chip, sn, openlink, target, target_label, store_id, terminal_id, \
     path, query, reader, operator, locked, last_verified_at, verify_count, chip_genuine";

/// The two role names for `prefix`.
pub fn role_names(prefix: &str) -> (String, String) {
    (format!("{prefix}_head_office"), format!("{prefix}_writer"))
}

/// A role-name prefix: lower-case letters, digits and `_`, starting with a letter, short enough for the
/// longest name (PostgreSQL's limit is 63 bytes).
pub fn valid_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.len() <= 40
        && prefix.starts_with(|c: char| c.is_ascii_lowercase())
        && prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// What [`init_roles`] made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct RolesReport {
    pub head_office: String,
    pub writer: String,
    pub database: String,
}

async fn exec(conn: &mut PgConnection, sql: String) -> Result<(), sqlx::Error> {
    sqlx::query(AssertSqlSafe(sql)).execute(&mut *conn).await?;
    Ok(())
}

/// Creates (if missing) and grants the two roles on the migrated Tapstand database `conn` is connected
/// to, in one transaction; running it again changes nothing. The connecting user must be allowed to
/// create roles (a superuser, or `CREATEROLE`) and own the tables (whoever migrated them).
pub async fn init_roles(conn: &mut PgConnection, prefix: &str) -> Result<RolesReport, sqlx::Error> {
    // The names are checked here (letters, digits, _): safe to put in statements.
    assert!(valid_prefix(prefix), "checked by the caller");
    let (ho, writer) = role_names(prefix);
    let database: String = sqlx::query_scalar("SELECT current_database()::text")
        .fetch_one(&mut *conn)
        .await?;
    let db_ident = format!("\"{}\"", database.replace('"', "\"\""));
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    for role in [&ho, &writer] {
        exec(
            &mut tx,
            format!(
                "DO $$ BEGIN
                   IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                     CREATE ROLE {role} NOLOGIN;
                   END IF;
                 END $$"
            ),
        )
        .await?;
    }
    // The administrator keeps migrating: a member of the head office (who owns everything from now on).
    exec(
        &mut tx,
        format!(
            "DO $$ BEGIN
               IF NOT pg_has_role(current_user, '{ho}', 'MEMBER') THEN
                 EXECUTE 'GRANT {ho} TO ' || quote_ident(current_user);
               END IF;
             END $$"
        ),
    )
    .await?;
    // Every table, sequence, view and function of the schema to the head office.
    exec(
        &mut tx,
        format!(
            "DO $$ DECLARE r record; BEGIN
               FOR r IN SELECT c.relname, c.relkind FROM pg_class c
                        WHERE c.relnamespace = current_schema()::regnamespace
                          AND c.relkind IN ('r', 'p', 'v', 'm')
               LOOP
                 EXECUTE format('ALTER TABLE %I OWNER TO {ho}', r.relname);
               END LOOP;
               FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p
                        WHERE p.pronamespace = current_schema()::regnamespace
               LOOP
                 EXECUTE format('ALTER FUNCTION %s OWNER TO {ho}', r.f);
               END LOOP;
             END $$"
        ),
    )
    .await?;
    exec(
        &mut tx,
        format!("GRANT CONNECT ON DATABASE {db_ident} TO {ho}, {writer}"),
    )
    .await?;
    exec(
        &mut tx,
        format!("GRANT CREATE, TEMPORARY ON DATABASE {db_ident} TO {ho}"),
    )
    .await?;
    // Before PostgreSQL 15 everyone may create tables in `public`: not the writer.
    exec(&mut tx, "REVOKE CREATE ON SCHEMA public FROM PUBLIC".into()).await?;
    exec(
        &mut tx,
        format!("GRANT USAGE, CREATE ON SCHEMA public TO {ho}"),
    )
    .await?;
    exec(&mut tx, format!("GRANT USAGE ON SCHEMA public TO {writer}")).await?;
    exec(
        &mut tx,
        format!("GRANT ALL ON ALL TABLES IN SCHEMA public TO {ho}"),
    )
    .await?;
    exec(
        &mut tx,
        format!("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {ho}"),
    )
    .await?;
    // The writer: start from nothing, then exactly the list above.
    exec(
        &mut tx,
        format!("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {writer}"),
    )
    .await?;
    exec(
        &mut tx,
        format!("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {writer}"),
    )
    .await?;
    for t in TABLES.iter().chain(&["_sqlx_migrations"]) {
        exec(&mut tx, format!("GRANT SELECT ON {t} TO {writer}")).await?;
    }
    exec(
        &mut tx,
        format!("GRANT UPDATE ({LINK_POOL_CLAIM}) ON link_pool TO {writer}"),
    )
    .await?;
    exec(
        &mut tx,
        format!("GRANT INSERT ON station_attempts TO {writer}"),
    )
    .await?;
    exec(
        &mut tx,
        format!("GRANT INSERT, UPDATE ({STATION_TAGS_UPSERT}) ON station_tags TO {writer}"),
    )
    .await?;
    exec(
        &mut tx,
        format!("GRANT INSERT, UPDATE (value, updated_at) ON settings TO {writer}"),
    )
    .await?;
    // 换标签 on the store's own PC: the one row move, through the function (migration 0012).
    exec(
        &mut tx,
        format!("GRANT EXECUTE ON FUNCTION tapstand_retire_tag(BIGINT, TEXT, TEXT, TEXT, BIGINT) TO {writer}"),
    )
    .await?;
    // 巡检 runs on the store's own PC: it records the audit (and locks through station_tags above).
    exec(
        &mut tx,
        format!("GRANT INSERT, UPDATE (report, finished_at) ON audits TO {writer}"),
    )
    .await?;
    // Tables a later migration (run as the head office) creates: readable by the writer.
    exec(
        &mut tx,
        format!(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {ho} IN SCHEMA public GRANT SELECT ON TABLES TO {writer}"
        ),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(%database, %ho, %writer, "team database roles set up");
    Ok(RolesReport {
        head_office: ho,
        writer,
        database,
    })
}

/// What the connected user may do, judged by the privileges that tell the two roles apart.
pub async fn current_role(pool: &sqlx::PgPool) -> Result<TeamRole, sqlx::Error> {
    let (ledger, delete_tags, insert_tags, claim): (bool, bool, bool, bool) = sqlx::query_as(
        "SELECT has_table_privilege('scheme_ledger', 'UPDATE'),
                has_table_privilege('station_tags', 'DELETE'),
                has_table_privilege('station_tags', 'INSERT'),
                has_column_privilege('link_pool', 'claimed_uid', 'UPDATE')",
    )
    .fetch_one(pool)
    .await?;
    Ok(if ledger && delete_tags {
        TeamRole::HeadOffice
    } else if insert_tags && claim && !ledger && !delete_tags {
        TeamRole::Writer
    } else {
        TeamRole::Limited
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert!(valid_prefix("tapstand"));
        assert!(valid_prefix("chain_2"));
        for bad in [
            "",
            "2chain",
            "Chain",
            "a-b",
            "a b",
            "x\"; DROP",
            &"a".repeat(41),
        ] {
            assert!(!valid_prefix(bad), "{bad}");
        }
        assert_eq!(role_names("t"), ("t_head_office".into(), "t_writer".into()));
    }
}

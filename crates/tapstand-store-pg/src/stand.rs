//! The stand after the write (`tapstand_store::stand`): retired tags and links, 巡检 records.

use sqlx::PgPool;
use tapstand_store_types::stand::{AuditRow, RetiredLink, RetiredTag};
use tapstand_store_types::station::StationTag;

/// One call of `tapstand_retire_tag` (migration 0012): the move runs with its owner's rights, so a writer PC
/// can replace a stand's tag without the right to DELETE from station_tags.
pub async fn stand_retire_tag(
    pool: &PgPool,
    old: &StationTag,
    reason: &str,
    replaced_by: &str,
    operator: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT tapstand_retire_tag($1, $2, $3, $4, $5) AS "moved!""#,
        old.id,
        reason,
        replaced_by,
        operator,
        now
    )
    .fetch_one(pool)
    .await?;
    Ok(())
}

pub async fn stand_retired_tags_by_uid(
    pool: &PgPool,
    uid: &str,
) -> Result<Vec<RetiredTag>, sqlx::Error> {
    sqlx::query_as!(
        RetiredTag,
        r#"SELECT id, uid, chip, model_id, sn, openlink, target, target_label, store_id, terminal_id,
                  first_written_at, retired_at, reason, replaced_by, operator
           FROM retired_tags WHERE uid = $1 ORDER BY retired_at DESC, id DESC"#,
        uid
    )
    .fetch_all(pool)
    .await
}

pub async fn stand_retired_tags(pool: &PgPool, limit: i64) -> Result<Vec<RetiredTag>, sqlx::Error> {
    sqlx::query_as!(
        RetiredTag,
        r#"SELECT id, uid, chip, model_id, sn, openlink, target, target_label, store_id, terminal_id,
                  first_written_at, retired_at, reason, replaced_by, operator
           FROM retired_tags ORDER BY retired_at DESC, id DESC LIMIT $1"#,
        limit
    )
    .fetch_all(pool)
    .await
}

pub async fn stand_retire_link(pool: &PgPool, l: &RetiredLink) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO retired_links (model_id, sn, openlink, target, target_label, uid, new_openlink,
               new_target, new_target_label, retired_at, operator)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT (openlink) DO NOTHING"#,
        l.model_id,
        l.sn,
        l.openlink,
        l.target,
        l.target_label,
        l.uid,
        l.new_openlink,
        l.new_target,
        l.new_target_label,
        l.retired_at,
        l.operator
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn stand_retired_link(
    pool: &PgPool,
    openlink: &str,
) -> Result<Option<RetiredLink>, sqlx::Error> {
    sqlx::query_as!(
        RetiredLink,
        r#"SELECT id, model_id, sn, openlink, target, target_label, uid, new_openlink, new_target,
                  new_target_label, retired_at, operator
           FROM retired_links WHERE openlink = $1"#,
        openlink
    )
    .fetch_optional(pool)
    .await
}

pub async fn audit_insert(
    pool: &PgPool,
    store_id: i64,
    store_label: &str,
    operator: &str,
    report: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO audits (store_id, store_label, started_at, operator, report)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        store_id,
        store_label,
        now,
        operator,
        report
    )
    .fetch_one(pool)
    .await
}

pub async fn audit_update(
    pool: &PgPool,
    id: i64,
    report: &str,
    finished_at: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE audits SET report = $1, finished_at = coalesce($2, finished_at) WHERE id = $3",
        report,
        finished_at,
        id
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn audit_get(pool: &PgPool, id: Option<i64>) -> Result<Option<AuditRow>, sqlx::Error> {
    sqlx::query_as!(
        AuditRow,
        r#"SELECT id, store_id, store_label, started_at, finished_at, operator, report
           FROM audits WHERE ($1::BIGINT IS NULL AND finished_at IS NULL) OR id = $1
           ORDER BY started_at DESC, id DESC LIMIT 1"#,
        id
    )
    .fetch_optional(pool)
    .await
}

pub async fn audit_list(pool: &PgPool, limit: i64) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as!(
        AuditRow,
        r#"SELECT id, store_id, store_label, started_at, finished_at, operator, report
           FROM audits ORDER BY started_at DESC, id DESC LIMIT $1"#,
        limit
    )
    .fetch_all(pool)
    .await
}

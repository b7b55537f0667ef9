//! Pre-generated links (`tapstand_store::pool`). The free link is taken with `FOR UPDATE SKIP LOCKED`: two
//! PCs claiming at the same moment get two different rows and neither waits for the other's.

use sqlx::PgPool;
use tapstand_store_types::pool::{NewPoolLink, PoolLink, PoolSummary};

pub async fn pool_next_seq(
    pool: &PgPool,
    model_id: &str,
    target: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT coalesce(max(seq), 0) + 1 AS "next!" FROM link_pool WHERE model_id = $1 AND target = $2"#,
        model_id,
        target
    )
    .fetch_one(pool)
    .await
}

pub async fn pool_insert(
    pool: &PgPool,
    l: &NewPoolLink,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"INSERT INTO link_pool (appid, model_id, target, target_label, seq, sn, path, query, created_at,
                                  generated_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT DO NOTHING
           RETURNING id"#,
        l.appid,
        l.model_id,
        l.target,
        l.target_label,
        l.seq,
        l.sn,
        l.path,
        l.query,
        now,
        l.generated_by
    )
    .fetch_optional(pool)
    .await
}

pub async fn pool_unfinished(
    pool: &PgPool,
    model_id: &str,
    target: &str,
) -> Result<Vec<PoolLink>, sqlx::Error> {
    sqlx::query_as!(
        PoolLink,
        r#"SELECT id, appid, model_id, target, target_label, seq, sn, path, query, openlink, created_at,
                  generated_by, claimed_uid, claimed_at, claimed_by
           FROM link_pool WHERE model_id = $1 AND target = $2 AND openlink IS NULL ORDER BY seq"#,
        model_id,
        target
    )
    .fetch_all(pool)
    .await
}

pub async fn pool_set_openlink(pool: &PgPool, id: i64, openlink: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE link_pool SET openlink = $1 WHERE id = $2 AND openlink IS NULL",
        openlink,
        id
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn pool_claimed(
    pool: &PgPool,
    model_id: &str,
    target: &str,
    uid: &str,
) -> Result<Option<PoolLink>, sqlx::Error> {
    sqlx::query_as!(
        PoolLink,
        r#"SELECT id, appid, model_id, target, target_label, seq, sn, path, query, openlink, created_at,
                  generated_by, claimed_uid, claimed_at, claimed_by
           FROM link_pool WHERE model_id = $1 AND target = $2 AND claimed_uid = $3"#,
        model_id,
        target,
        uid
    )
    .fetch_optional(pool)
    .await
}

pub async fn pool_claim_free(
    pool: &PgPool,
    model_id: &str,
    target: &str,
    uid: &str,
    by: &str,
    now: i64,
) -> Result<Option<PoolLink>, sqlx::Error> {
    sqlx::query_as!(
        PoolLink,
        r#"UPDATE link_pool SET claimed_uid = $1, claimed_at = $2, claimed_by = $3
           WHERE id = (SELECT id FROM link_pool
                       WHERE model_id = $4 AND target = $5 AND claimed_uid IS NULL
                         AND openlink IS NOT NULL
                       ORDER BY seq LIMIT 1
                       FOR UPDATE SKIP LOCKED)
           RETURNING id, appid, model_id, target, target_label, seq, sn, path, query, openlink, created_at,
                     generated_by, claimed_uid, claimed_at, claimed_by"#,
        uid,
        now,
        by,
        model_id,
        target
    )
    .fetch_optional(pool)
    .await
}

pub async fn pool_summaries(pool: &PgPool) -> Result<Vec<PoolSummary>, sqlx::Error> {
    sqlx::query_as!(
        PoolSummary,
        r#"SELECT p.appid, p.model_id, p.target, max(p.target_label) AS "target_label!",
                  count(*) AS "total!",
                  count(*) FILTER (WHERE p.claimed_uid IS NULL AND p.openlink IS NOT NULL) AS "free!",
                  count(*) FILTER (WHERE p.claimed_uid IS NOT NULL) AS "claimed!",
                  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM station_tags t
                                                 WHERE t.uid = p.claimed_uid AND t.model_id = p.model_id
                                                   AND t.openlink = p.openlink)) AS "written!",
                  count(*) FILTER (WHERE p.openlink IS NULL) AS "unfinished!"
           FROM link_pool p
           GROUP BY p.appid, p.model_id, p.target
           ORDER BY max(p.target_label) COLLATE "C", p.model_id COLLATE "C""#
    )
    .fetch_all(pool)
    .await
}

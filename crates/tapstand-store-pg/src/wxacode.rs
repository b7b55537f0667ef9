//! The mini-program code cache (`tapstand_store::wxacode`). The sha256 check and the MIME sniffing stay in
//! `tapstand-store`; these are the statements.

use sqlx::PgPool;
use tapstand_store_types::wxacode::{WxacodeKey, WxacodeSummary};

/// (id, mime, bytes, sha256, fetched_at) of the row for `key`.
pub type RawCode = (i64, String, Vec<u8>, String, i64);

pub async fn wxacode_get(pool: &PgPool, key: &WxacodeKey) -> Result<Option<RawCode>, sqlx::Error> {
    let width = key.width as i64;
    let line = key.line_color_text();
    let row = sqlx::query!(
        r#"SELECT id, mime, bytes, sha256, fetched_at
           FROM wxacode_cache
           WHERE appid = $1 AND scene = $2 AND page = $3 AND width = $4 AND env_version = $5
             AND is_hyaline = $6 AND auto_color = $7 AND line_color = $8"#,
        key.appid,
        key.scene,
        key.page,
        width,
        key.env_version,
        key.is_hyaline,
        key.auto_color,
        line
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.id, r.mime, r.bytes, r.sha256, r.fetched_at)))
}

pub async fn wxacode_delete(pool: &PgPool, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM wxacode_cache WHERE id = $1", id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn wxacode_mark_used(pool: &PgPool, id: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE wxacode_cache SET last_used_at = $1 WHERE id = $2",
        now,
        id
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn wxacode_put(
    pool: &PgPool,
    key: &WxacodeKey,
    mime: &str,
    bytes: &[u8],
    sha: &str,
    fetched_at: i64,
) -> Result<i64, sqlx::Error> {
    let width = key.width as i64;
    let line = key.line_color_text();
    let len = bytes.len() as i64;
    sqlx::query_scalar!(
        r#"INSERT INTO wxacode_cache
             (appid, scene, page, width, env_version, is_hyaline, auto_color, line_color,
              mime, bytes, byte_len, sha256, fetched_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
           ON CONFLICT (appid, scene, page, width, env_version, is_hyaline, auto_color, line_color)
           DO UPDATE SET mime = excluded.mime, bytes = excluded.bytes, byte_len = excluded.byte_len,
                         sha256 = excluded.sha256, fetched_at = excluded.fetched_at
           RETURNING id"#,
        key.appid,
        key.scene,
        key.page,
        width,
        key.env_version,
        key.is_hyaline,
        key.auto_color,
        line,
        mime,
        bytes,
        len,
        sha,
        fetched_at
    )
    .fetch_one(pool)
    .await
}

pub async fn wxacode_list(pool: &PgPool, appid: &str) -> Result<Vec<WxacodeSummary>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT scene, page, width, env_version, is_hyaline, mime, byte_len, sha256, fetched_at,
                  last_used_at
           FROM wxacode_cache WHERE appid = $1 ORDER BY fetched_at DESC, id DESC"#,
        appid
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| WxacodeSummary {
            scene: r.scene,
            page: r.page,
            width: r.width as u32,
            env_version: r.env_version,
            is_hyaline: r.is_hyaline,
            mime: r.mime,
            size_bytes: r.byte_len.clamp(0, u32::MAX as i64) as u32,
            sha256: r.sha256,
            fetched_at: r.fetched_at as f64,
            last_used_at: r.last_used_at.map(|v| v as f64),
        })
        .collect())
}

pub async fn wxacode_delete_scene(
    pool: &PgPool,
    appid: &str,
    scene: &str,
) -> Result<u64, sqlx::Error> {
    let r = sqlx::query!(
        "DELETE FROM wxacode_cache WHERE appid = $1 AND scene = $2",
        appid,
        scene
    )
    .execute(pool)
    .await?;
    Ok(r.rows_affected())
}

pub async fn wxacode_prune(pool: &PgPool, before_ms: i64) -> Result<u64, sqlx::Error> {
    let r = sqlx::query!(
        "DELETE FROM wxacode_cache WHERE fetched_at < $1 AND coalesce(last_used_at, 0) < $1",
        before_ms
    )
    .execute(pool)
    .await?;
    Ok(r.rows_affected())
}

//! The mini-program code cache (migration 0004): `getwxacodeunlimit` images keyed by every parameter that
//! changes the picture (appid, scene, page, width, env_version, is_hyaline, auto_color, line_color), so the
//! stand artwork is laid out and exported offline and each code is fetched once. Each read checks the
//! sha256; a damaged row is removed and reported as a miss, so the caller fetches it again.

use crate::{now_ms, sqlite_or_pg, Backend, Db, StoreError};

pub use tapstand_store_types::wxacode::*;

/// Why a code could not be cached.
#[derive(Debug, thiserror::Error)]
pub enum WxacodeError {
    #[error("not a JPEG or PNG image ({len} bytes; a WeChat error answer?): not cached")]
    NotAnImage { len: usize },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<WxacodeError> for tapstand_error::UserError {
    fn from(e: WxacodeError) -> Self {
        match e {
            WxacodeError::Store(s) => s.into(),
            e @ WxacodeError::NotAnImage { .. } => tapstand_error::UserError::new(
                "wxacode.not_an_image",
                (
                    "微信返回的不是小程序码图片，没有保存。",
                    "请检查小程序页面路径和 scene 参数后重新获取；页面路径须是已发布的页面。",
                ),
                (
                    "WeChat did not return a code image; nothing was saved.",
                    "Check the page path and the scene, then fetch again; the page must exist in the released version.",
                ),
            )
            .with_detail(e),
        }
    }
}

struct Raw {
    id: i64,
    mime: String,
    bytes: Vec<u8>,
    sha256: String,
    fetched_at: i64,
}

impl Db {
    /// The cached image for `key`, if present and intact. Marks it used.
    pub async fn wxacode_get(&self, key: &WxacodeKey) -> Result<Option<CachedWxacode>, StoreError> {
        let row = match &self.backend {
            Backend::Pg(pg) => tapstand_store_pg::wxacode::wxacode_get(pg, key).await?.map(
                |(id, mime, bytes, sha256, fetched_at)| Raw {
                    id,
                    mime,
                    bytes,
                    sha256,
                    fetched_at,
                },
            ),
            Backend::Sqlite(pool) => {
                let width = key.width as i64;
                let hyaline = key.is_hyaline as i64;
                let auto = key.auto_color as i64;
                let line = key.line_color_text();
                sqlx::query_as!(
                    Raw,
                    r#"SELECT id AS "id!: i64", mime, bytes, sha256, fetched_at
                       FROM wxacode_cache
                       WHERE appid = ? AND scene = ? AND page = ? AND width = ? AND env_version = ?
                         AND is_hyaline = ? AND auto_color = ? AND line_color = ?"#,
                    key.appid,
                    key.scene,
                    key.page,
                    width,
                    key.env_version,
                    hyaline,
                    auto,
                    line
                )
                .fetch_optional(pool)
                .await?
            }
        };
        let Some(row) = row else { return Ok(None) };
        if sha256_hex(&row.bytes) != row.sha256 {
            tracing::warn!(scene = %key.scene, "cached mini-program code is damaged; dropping it");
            match &self.backend {
                Backend::Pg(pg) => tapstand_store_pg::wxacode::wxacode_delete(pg, row.id).await?,
                Backend::Sqlite(pool) => {
                    sqlx::query!("DELETE FROM wxacode_cache WHERE id = ?", row.id)
                        .execute(pool)
                        .await?;
                }
            }
            return Ok(None);
        }
        let now = now_ms();
        match &self.backend {
            Backend::Pg(pg) => {
                tapstand_store_pg::wxacode::wxacode_mark_used(pg, row.id, now).await?
            }
            Backend::Sqlite(pool) => {
                sqlx::query!(
                    "UPDATE wxacode_cache SET last_used_at = ? WHERE id = ?",
                    now,
                    row.id
                )
                .execute(pool)
                .await?;
            }
        }
        Ok(Some(CachedWxacode {
            id: row.id,
            key: key.clone(),
            mime: row.mime,
            bytes: row.bytes,
            sha256: row.sha256,
            fetched_at: row.fetched_at,
            last_used_at: Some(now),
        }))
    }

    /// Stores (or replaces) the image for `key`. `mime` is sniffed from the bytes; anything that is not a
    /// JPEG or PNG is refused (WeChat answers errors as JSON with HTTP 200: never cache those).
    pub async fn wxacode_put(
        &self,
        key: &WxacodeKey,
        bytes: &[u8],
        fetched_at: i64,
    ) -> Result<CachedWxacode, WxacodeError> {
        let mime = sniff_mime(bytes).ok_or(WxacodeError::NotAnImage { len: bytes.len() })?;
        let sha = sha256_hex(bytes);
        if let Backend::Pg(pg) = &self.backend {
            let id =
                tapstand_store_pg::wxacode::wxacode_put(pg, key, mime, bytes, &sha, fetched_at)
                    .await
                    .map_err(StoreError::from)?;
            return Ok(CachedWxacode {
                id,
                key: key.clone(),
                mime: mime.into(),
                bytes: bytes.to_vec(),
                sha256: sha,
                fetched_at,
                last_used_at: None,
            });
        }
        let width = key.width as i64;
        let hyaline = key.is_hyaline as i64;
        let auto = key.auto_color as i64;
        let line = key.line_color_text();
        let len = bytes.len() as i64;
        let id = sqlx::query_scalar!(
            r#"INSERT INTO wxacode_cache
                 (appid, scene, page, width, env_version, is_hyaline, auto_color, line_color,
                  mime, bytes, byte_len, sha256, fetched_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (appid, scene, page, width, env_version, is_hyaline, auto_color, line_color)
               DO UPDATE SET mime = excluded.mime, bytes = excluded.bytes, byte_len = excluded.byte_len,
                             sha256 = excluded.sha256, fetched_at = excluded.fetched_at
               RETURNING id AS "id!: i64""#,
            key.appid,
            key.scene,
            key.page,
            width,
            key.env_version,
            hyaline,
            auto,
            line,
            mime,
            bytes,
            len,
            sha,
            fetched_at
        )
        .fetch_one(self.pool())
        .await
        .map_err(StoreError::from)?;
        Ok(CachedWxacode {
            id,
            key: key.clone(),
            mime: mime.into(),
            bytes: bytes.to_vec(),
            sha256: sha,
            fetched_at,
            last_used_at: None,
        })
    }

    /// All cached codes of a mini program, newest first, without the images.
    pub async fn wxacode_list(&self, appid: &str) -> Result<Vec<WxacodeSummary>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::wxacode::wxacode_list(
            pg, appid
        ));
        let rows = sqlx::query!(
            r#"SELECT scene, page, width, env_version, is_hyaline, mime, byte_len, sha256, fetched_at,
                      last_used_at
               FROM wxacode_cache WHERE appid = ? ORDER BY fetched_at DESC, id DESC"#,
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
                is_hyaline: r.is_hyaline != 0,
                mime: r.mime,
                size_bytes: r.byte_len.clamp(0, u32::MAX as i64) as u32,
                sha256: r.sha256,
                fetched_at: r.fetched_at as f64,
                last_used_at: r.last_used_at.map(|v| v as f64),
            })
            .collect())
    }

    /// Forgets every cached code of a scene (e.g. the store's code was replaced). Returns how many.
    pub async fn wxacode_delete_scene(&self, appid: &str, scene: &str) -> Result<u64, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::wxacode::wxacode_delete_scene(
            pg, appid, scene
        ));
        let r = sqlx::query!(
            "DELETE FROM wxacode_cache WHERE appid = ? AND scene = ?",
            appid,
            scene
        )
        .execute(pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// Forgets codes fetched before `before_ms` and not used since. Returns how many.
    pub async fn wxacode_prune(&self, before_ms: i64) -> Result<u64, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::wxacode::wxacode_prune(
            pg, before_ms
        ));
        let r = sqlx::query!(
            "DELETE FROM wxacode_cache WHERE fetched_at < ? AND coalesce(last_used_at, 0) < ?",
            before_ms,
            before_ms
        )
        .execute(pool)
        .await?;
        Ok(r.rows_affected())
    }
}

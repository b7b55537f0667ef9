//! Pre-generated links (the pool, `link_pool`, migration 0008): recorded by a PC with the AppSecret before
//! WeChat is asked, claimed one per tag by the PCs that write. The claim is one statement: SQLite runs it
//! under its write lock, PostgreSQL with `FOR UPDATE SKIP LOCKED` (two PCs never get the same link and never
//! wait for each other's row); `UNIQUE (model_id, target, claimed_uid)` keeps one link per tag and target.

pub use tapstand_store_types::pool::*;

use crate::{sqlite_or_pg, Db, StoreError};

impl Db {
    /// The next sequence number of a target's pool (1 for the first link).
    pub async fn pool_next_seq(&self, model_id: &str, target: &str) -> Result<i64, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::pool::pool_next_seq(
            pg, model_id, target
        ));
        Ok(sqlx::query_scalar!(
            r#"SELECT coalesce(max(seq), 0) + 1 AS "next!: i64" FROM link_pool
               WHERE model_id = ? AND target = ?"#,
            model_id,
            target
        )
        .fetch_one(pool)
        .await?)
    }

    /// Records a link before WeChat is asked for it. `None`: that sequence number or sn is taken (another
    /// PC generating for the same target at the same moment): take the next one.
    pub async fn pool_insert(&self, l: &NewPoolLink, now: i64) -> Result<Option<i64>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::pool::pool_insert(pg, l, now));
        Ok(sqlx::query_scalar!(
            r#"INSERT INTO link_pool (appid, model_id, target, target_label, seq, sn, path, query,
                                      created_at, generated_by)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT DO NOTHING
               RETURNING id AS "id!: i64""#,
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
        .await?)
    }

    /// A target's links whose openlink is not known yet (recorded, then the process stopped or WeChat
    /// failed), oldest first.
    pub async fn pool_unfinished(
        &self,
        model_id: &str,
        target: &str,
    ) -> Result<Vec<PoolLink>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::pool::pool_unfinished(
            pg, model_id, target
        ));
        Ok(sqlx::query_as!(
            PoolLink,
            r#"SELECT id AS "id!", appid, model_id, target, target_label, seq, sn, path, query, openlink,
                      created_at, generated_by, claimed_uid, claimed_at, claimed_by
               FROM link_pool WHERE model_id = ? AND target = ? AND openlink IS NULL ORDER BY seq"#,
            model_id,
            target
        )
        .fetch_all(pool)
        .await?)
    }

    /// Stores WeChat's link for a recorded pool row (only once: a row's link never changes).
    pub async fn pool_set_openlink(&self, id: i64, openlink: &str) -> Result<(), StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::pool::pool_set_openlink(
            pg, id, openlink
        ));
        sqlx::query!(
            "UPDATE link_pool SET openlink = ? WHERE id = ? AND openlink IS NULL",
            openlink,
            id
        )
        .execute(pool)
        .await?;
        Ok(())
    }

    /// The link already handed to this tag for this target, if any (a torn write's next tap, a re-tap).
    pub async fn pool_claimed(
        &self,
        model_id: &str,
        target: &str,
        uid: &str,
    ) -> Result<Option<PoolLink>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::pool::pool_claimed(
            pg, model_id, target, uid
        ));
        Ok(sqlx::query_as!(
            PoolLink,
            r#"SELECT id AS "id!", appid, model_id, target, target_label, seq, sn, path, query, openlink,
                      created_at, generated_by, claimed_uid, claimed_at, claimed_by
               FROM link_pool WHERE model_id = ? AND target = ? AND claimed_uid = ?"#,
            model_id,
            target,
            uid
        )
        .fetch_optional(pool)
        .await?)
    }

    /// Hands this tag a link of the target's pool: the one it already holds, else the oldest free one,
    /// atomically. `None`: the pool is empty.
    pub async fn pool_claim(
        &self,
        model_id: &str,
        target: &str,
        uid: &str,
        by: &str,
        now: i64,
    ) -> Result<Option<PoolLink>, StoreError> {
        for _ in 0..3 {
            if let Some(l) = self.pool_claimed(model_id, target, uid).await? {
                return Ok(Some(l));
            }
            match self.pool_claim_free(model_id, target, uid, by, now).await {
                Ok(l) => return Ok(l),
                // The same tag claimed by another process in between (UNIQUE (model_id, target,
                // claimed_uid)): read that claim.
                Err(StoreError::Sqlx(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                    continue
                }
                Err(e) => return Err(e),
            }
        }
        self.pool_claimed(model_id, target, uid).await
    }

    async fn pool_claim_free(
        &self,
        model_id: &str,
        target: &str,
        uid: &str,
        by: &str,
        now: i64,
    ) -> Result<Option<PoolLink>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::pool::pool_claim_free(
            pg, model_id, target, uid, by, now
        ));
        // One statement: SQLite takes its write lock for it, so no other writer sees the row free.
        Ok(sqlx::query_as!(
            PoolLink,
            r#"UPDATE link_pool SET claimed_uid = ?, claimed_at = ?, claimed_by = ?
               WHERE id = (SELECT id FROM link_pool
                           WHERE model_id = ? AND target = ? AND claimed_uid IS NULL
                             AND openlink IS NOT NULL
                           ORDER BY seq LIMIT 1)
               RETURNING id AS "id!", appid, model_id, target, target_label, seq, sn, path, query,
                         openlink, created_at, generated_by, claimed_uid, claimed_at, claimed_by"#,
            uid,
            now,
            by,
            model_id,
            target
        )
        .fetch_optional(pool)
        .await?)
    }

    /// What is left per target (every target that has a pool), by target label.
    pub async fn pool_summaries(&self) -> Result<Vec<PoolSummary>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::pool::pool_summaries(pg));
        Ok(sqlx::query_as!(
            PoolSummary,
            r#"SELECT p.appid AS "appid!", p.model_id AS "model_id!", p.target AS "target!", max(p.target_label) AS "target_label!: String",
                      count(*) AS "total!: i64",
                      sum(p.claimed_uid IS NULL AND p.openlink IS NOT NULL) AS "free!: i64",
                      sum(p.claimed_uid IS NOT NULL) AS "claimed!: i64",
                      sum(EXISTS (SELECT 1 FROM station_tags t
                                  WHERE t.uid = p.claimed_uid AND t.model_id = p.model_id
                                    AND t.openlink = p.openlink)) AS "written!: i64",
                      sum(p.openlink IS NULL) AS "unfinished!: i64"
               FROM link_pool p
               GROUP BY p.appid, p.model_id, p.target
               ORDER BY 4, p.model_id"#
        )
        .fetch_all(pool)
        .await?)
    }
}

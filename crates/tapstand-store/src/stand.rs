//! The stand after the write (migration 0011): 换标签 moves a stand to a new tag and keeps the old one as
//! retired; re-pointing keeps the stand's old link as retired; 巡检 runs are kept with their report.

pub use tapstand_store_types::stand::*;
use tapstand_store_types::station::StationTag;

use crate::{sqlite_or_pg, Db, StoreError};

impl Db {
    /// Moves `old` (a row of `station_tags`) to `retired_tags` in one transaction: the stand is now served
    /// by the tag `replaced_by`. Idempotent: a row already moved is not moved again.
    pub async fn stand_retire_tag(
        &self,
        old: &StationTag,
        reason: &str,
        replaced_by: &str,
        operator: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::stand::stand_retire_tag(
            pg,
            old,
            reason,
            replaced_by,
            operator,
            now
        ));
        let mut tx = pool.begin().await?;
        let deleted = sqlx::query!("DELETE FROM station_tags WHERE id = ?", old.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 1 {
            sqlx::query!(
                r#"INSERT INTO retired_tags (uid, chip, model_id, sn, openlink, target, target_label,
                       store_id, terminal_id, first_written_at, retired_at, reason, replaced_by, operator)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
                old.uid,
                old.chip,
                old.model_id,
                old.sn,
                old.openlink,
                old.target,
                old.target_label,
                old.store_id,
                old.terminal_id,
                old.first_written_at,
                now,
                reason,
                replaced_by,
                operator
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The retired rows of the tag with this UID, newest first (a tag 换标签 took out of service).
    pub async fn stand_retired_tags_by_uid(
        &self,
        uid: &str,
    ) -> Result<Vec<RetiredTag>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| {
            tapstand_store_pg::stand::stand_retired_tags_by_uid(pg, uid)
        });
        Ok(sqlx::query_as!(
            RetiredTag,
            r#"SELECT id AS "id!", uid, chip, model_id, sn, openlink, target, target_label, store_id,
                      terminal_id, first_written_at, retired_at, reason, replaced_by, operator
               FROM retired_tags WHERE uid = ? ORDER BY retired_at DESC, id DESC"#,
            uid
        )
        .fetch_all(pool)
        .await?)
    }

    /// Every retired tag, newest first (at most `limit`).
    pub async fn stand_retired_tags(&self, limit: i64) -> Result<Vec<RetiredTag>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::stand::stand_retired_tags(
            pg, limit
        ));
        Ok(sqlx::query_as!(
            RetiredTag,
            r#"SELECT id AS "id!", uid, chip, model_id, sn, openlink, target, target_label, store_id,
                      terminal_id, first_written_at, retired_at, reason, replaced_by, operator
               FROM retired_tags ORDER BY retired_at DESC, id DESC LIMIT ?"#,
            limit
        )
        .fetch_all(pool)
        .await?)
    }

    /// Records that a re-pointed stand's old link is retired. Idempotent per link.
    pub async fn stand_retire_link(&self, l: &RetiredLink) -> Result<(), StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::stand::stand_retire_link(
            pg, l
        ));
        sqlx::query!(
            r#"INSERT INTO retired_links (model_id, sn, openlink, target, target_label, uid, new_openlink,
                   new_target, new_target_label, retired_at, operator)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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

    /// The retirement of `openlink`, if a re-pointed stand left it.
    pub async fn stand_retired_link(
        &self,
        openlink: &str,
    ) -> Result<Option<RetiredLink>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::stand::stand_retired_link(
            pg, openlink
        ));
        Ok(sqlx::query_as!(
            RetiredLink,
            r#"SELECT id AS "id!", model_id, sn, openlink, target, target_label, uid, new_openlink,
                      new_target, new_target_label, retired_at, operator
               FROM retired_links WHERE openlink = ?"#,
            openlink
        )
        .fetch_optional(pool)
        .await?)
    }

    /// Starts a 巡检 record; returns its id.
    pub async fn audit_insert(
        &self,
        store_id: i64,
        store_label: &str,
        operator: &str,
        report: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::stand::audit_insert(
            pg,
            store_id,
            store_label,
            operator,
            report,
            now
        ));
        Ok(sqlx::query_scalar!(
            r#"INSERT INTO audits (store_id, store_label, started_at, operator, report)
               VALUES (?, ?, ?, ?, ?) RETURNING id AS "id!: i64""#,
            store_id,
            store_label,
            now,
            operator,
            report
        )
        .fetch_one(pool)
        .await?)
    }

    /// Saves a 巡检's report (after every tap), and its end when `finished_at` is set.
    pub async fn audit_update(
        &self,
        id: i64,
        report: &str,
        finished_at: Option<i64>,
    ) -> Result<(), StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::stand::audit_update(
            pg,
            id,
            report,
            finished_at
        ));
        sqlx::query!(
            "UPDATE audits SET report = ?, finished_at = coalesce(?, finished_at) WHERE id = ?",
            report,
            finished_at,
            id
        )
        .execute(pool)
        .await?;
        Ok(())
    }

    /// One 巡检 record: `id`, or (`None`) the most recent one still open.
    pub async fn audit_get(&self, id: Option<i64>) -> Result<Option<AuditRow>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::stand::audit_get(pg, id));
        Ok(sqlx::query_as!(
            AuditRow,
            r#"SELECT id AS "id!", store_id, store_label, started_at, finished_at, operator, report
               FROM audits WHERE (?1 IS NULL AND finished_at IS NULL) OR id = ?1
               ORDER BY started_at DESC, id DESC LIMIT 1"#,
            id
        )
        .fetch_optional(pool)
        .await?)
    }

    /// The 巡检 records, newest first (at most `limit`).
    pub async fn audit_list(&self, limit: i64) -> Result<Vec<AuditRow>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::stand::audit_list(pg, limit));
        Ok(sqlx::query_as!(
            AuditRow,
            r#"SELECT id AS "id!", store_id, store_label, started_at, finished_at, operator, report
               FROM audits ORDER BY started_at DESC, id DESC LIMIT ?"#,
            limit
        )
        .fetch_all(pool)
        .await?)
    }
}

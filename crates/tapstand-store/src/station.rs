//! The write station's history: every attempt (`station_attempts`) and the latest good state of each tag
//! (`station_tags`). Migration 0005.

use serde::{Deserialize, Serialize};

use crate::{Db, StoreError};

/// One tap at the station, successful or not.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct StationAttempt {
    #[specta(type = specta_typescript::Number)]
    pub id: i64,
    #[specta(type = specta_typescript::Number)]
    pub started_at: i64,
    pub uid: String,
    pub chip: String,
    pub model_id: String,
    pub sn: String,
    pub openlink: Option<String>,
    pub target: String,
    pub target_label: String,
    #[specta(type = Option<specta_typescript::Number>)]
    pub store_id: Option<i64>,
    #[specta(type = Option<specta_typescript::Number>)]
    pub terminal_id: Option<i64>,
    pub path: String,
    pub query: String,
    pub reader: String,
    pub operator: String,
    /// `written`, `already_correct`, `failed` or `needs_confirmation`.
    pub result: String,
    pub scheme_source: Option<String>,
    pub error_code: Option<String>,
    pub error_zh: Option<String>,
    pub locked: bool,
    #[specta(type = specta_typescript::Number)]
    pub read_ms: i64,
    #[specta(type = specta_typescript::Number)]
    pub scheme_ms: i64,
    #[specta(type = specta_typescript::Number)]
    pub write_ms: i64,
    #[specta(type = specta_typescript::Number)]
    pub record_ms: i64,
    #[specta(type = specta_typescript::Number)]
    pub total_ms: i64,
    #[specta(type = specta_typescript::Number)]
    pub apdus: i64,
}

/// A tag the station wrote (or found correct), latest state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct StationTag {
    #[specta(type = specta_typescript::Number)]
    pub id: i64,
    pub uid: String,
    pub chip: String,
    pub model_id: String,
    pub sn: String,
    pub openlink: String,
    pub target: String,
    pub target_label: String,
    #[specta(type = Option<specta_typescript::Number>)]
    pub store_id: Option<i64>,
    #[specta(type = Option<specta_typescript::Number>)]
    pub terminal_id: Option<i64>,
    pub path: String,
    pub query: String,
    pub reader: String,
    pub operator: String,
    pub locked: bool,
    #[specta(type = specta_typescript::Number)]
    pub first_written_at: i64,
    #[specta(type = specta_typescript::Number)]
    pub last_verified_at: i64,
    #[specta(type = specta_typescript::Number)]
    pub verify_count: i64,
}

/// History filter (all optional).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct HistoryFilter {
    #[specta(type = Option<specta_typescript::Number>)]
    pub store_id: Option<i64>,
    #[specta(type = Option<specta_typescript::Number>)]
    pub terminal_id: Option<i64>,
    /// Unix milliseconds, inclusive.
    #[specta(type = Option<specta_typescript::Number>)]
    pub since_ms: Option<i64>,
    /// `ok` (written or already correct) or `failed` (failed or needs confirmation).
    pub result: Option<String>,
    pub uid: Option<String>,
    #[specta(type = Option<specta_typescript::Number>)]
    pub limit: Option<i64>,
}

impl Db {
    /// Records one attempt; returns its id.
    pub async fn station_insert_attempt(&self, a: &StationAttempt) -> Result<i64, StoreError> {
        let locked = a.locked as i64;
        let id = sqlx::query!(
            r#"INSERT INTO station_attempts (started_at, uid, chip, model_id, sn, openlink, target,
                   target_label, store_id, terminal_id, path, query, reader, operator, result, scheme_source,
                   error_code, error_zh, locked, read_ms, scheme_ms, write_ms, record_ms, total_ms, apdus)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
            a.started_at,
            a.uid,
            a.chip,
            a.model_id,
            a.sn,
            a.openlink,
            a.target,
            a.target_label,
            a.store_id,
            a.terminal_id,
            a.path,
            a.query,
            a.reader,
            a.operator,
            a.result,
            a.scheme_source,
            a.error_code,
            a.error_zh,
            locked,
            a.read_ms,
            a.scheme_ms,
            a.write_ms,
            a.record_ms,
            a.total_ms,
            a.apdus
        )
        .execute(self.pool())
        .await?
        .last_insert_rowid();
        Ok(id)
    }

    /// Records a good tag from a successful attempt (insert, or update the tag's row for this model).
    pub async fn station_upsert_tag(&self, a: &StationAttempt) -> Result<(), StoreError> {
        let openlink = a.openlink.clone().unwrap_or_default();
        let locked = a.locked as i64;
        sqlx::query!(
            r#"INSERT INTO station_tags (uid, chip, model_id, sn, openlink, target, target_label, store_id,
                   terminal_id, path, query, reader, operator, locked, first_written_at, last_verified_at,
                   verify_count)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15, 1)
               ON CONFLICT (uid, model_id) DO UPDATE SET
                   chip = excluded.chip, sn = excluded.sn, openlink = excluded.openlink,
                   target = excluded.target, target_label = excluded.target_label,
                   store_id = excluded.store_id, terminal_id = excluded.terminal_id, path = excluded.path,
                   query = excluded.query, reader = excluded.reader, operator = excluded.operator,
                   locked = max(station_tags.locked, excluded.locked),
                   last_verified_at = excluded.last_verified_at,
                   verify_count = station_tags.verify_count + 1"#,
            a.uid,
            a.chip,
            a.model_id,
            a.sn,
            openlink,
            a.target,
            a.target_label,
            a.store_id,
            a.terminal_id,
            a.path,
            a.query,
            a.reader,
            a.operator,
            locked,
            a.started_at
        )
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The tag's row for this model, if the station has recorded it.
    pub async fn station_find_tag(
        &self,
        uid: &str,
        model_id: &str,
    ) -> Result<Option<StationTag>, StoreError> {
        let r = sqlx::query!(
            r#"SELECT id AS "id!", uid, chip, model_id, sn, openlink, target, target_label, store_id,
                      terminal_id, path, query, reader, operator, locked, first_written_at,
                      last_verified_at, verify_count
               FROM station_tags WHERE uid = ? AND model_id = ?"#,
            uid,
            model_id
        )
        .fetch_optional(self.pool())
        .await?;
        Ok(r.map(|r| StationTag {
            id: r.id,
            uid: r.uid,
            chip: r.chip,
            model_id: r.model_id,
            sn: r.sn,
            openlink: r.openlink,
            target: r.target,
            target_label: r.target_label,
            store_id: r.store_id,
            terminal_id: r.terminal_id,
            path: r.path,
            query: r.query,
            reader: r.reader,
            operator: r.operator,
            locked: r.locked != 0,
            first_written_at: r.first_written_at,
            last_verified_at: r.last_verified_at,
            verify_count: r.verify_count,
        }))
    }

    /// Attempts matching `f`, newest first.
    pub async fn station_history(
        &self,
        f: &HistoryFilter,
    ) -> Result<Vec<StationAttempt>, StoreError> {
        let limit = f.limit.unwrap_or(10_000);
        let result = f.result.as_deref();
        let rows = sqlx::query!(
            r#"SELECT id AS "id!", started_at, uid, chip, model_id, sn, openlink, target, target_label,
                      store_id, terminal_id, path, query, reader, operator, result, scheme_source,
                      error_code, error_zh, locked, read_ms, scheme_ms, write_ms, record_ms, total_ms, apdus
               FROM station_attempts
               WHERE (?1 IS NULL OR store_id = ?1)
                 AND (?2 IS NULL OR terminal_id = ?2)
                 AND (?3 IS NULL OR started_at >= ?3)
                 AND (?4 IS NULL
                      OR (?4 = 'ok' AND result IN ('written', 'already_correct'))
                      OR (?4 = 'failed' AND result IN ('failed', 'needs_confirmation')))
                 AND (?5 IS NULL OR uid = ?5)
               ORDER BY started_at DESC, id DESC
               LIMIT ?6"#,
            f.store_id,
            f.terminal_id,
            f.since_ms,
            result,
            f.uid,
            limit
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| StationAttempt {
                id: r.id,
                started_at: r.started_at,
                uid: r.uid,
                chip: r.chip,
                model_id: r.model_id,
                sn: r.sn,
                openlink: r.openlink,
                target: r.target,
                target_label: r.target_label,
                store_id: r.store_id,
                terminal_id: r.terminal_id,
                path: r.path,
                query: r.query,
                reader: r.reader,
                operator: r.operator,
                result: r.result,
                scheme_source: r.scheme_source,
                error_code: r.error_code,
                error_zh: r.error_zh,
                locked: r.locked != 0,
                read_ms: r.read_ms,
                scheme_ms: r.scheme_ms,
                write_ms: r.write_ms,
                record_ms: r.record_ms,
                total_ms: r.total_ms,
                apdus: r.apdus,
            })
            .collect())
    }
}

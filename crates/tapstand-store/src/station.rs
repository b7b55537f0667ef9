//! The write station's history: every attempt (`station_attempts`) and the latest good state of each tag
//! (`station_tags`). Migration 0005.

use crate::{sqlite_or_pg, Backend, Db, StoreError};

pub use tapstand_store_types::station::*;

impl Db {
    /// Records one attempt; returns its id.
    pub async fn station_insert_attempt(&self, a: &StationAttempt) -> Result<i64, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| {
            tapstand_store_pg::station::station_insert_attempt(pg, a)
        });
        let locked = a.locked as i64;
        let id = sqlx::query!(
            r#"INSERT INTO station_attempts (started_at, uid, chip, model_id, sn, openlink, target,
                   target_label, store_id, terminal_id, path, query, reader, operator, result, scheme_source,
                   error_code, error_zh, locked, read_ms, scheme_ms, write_ms, record_ms, total_ms, apdus,
                   chip_genuine)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
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
            a.apdus,
            a.genuine
        )
        .execute(pool)
        .await?
        .last_insert_rowid();
        Ok(id)
    }

    /// Records a good tag from a successful attempt (insert, or update the tag's row for this model).
    pub async fn station_upsert_tag(&self, a: &StationAttempt) -> Result<(), StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::station::station_upsert_tag(
            pg, a
        ));
        let openlink = a.openlink.clone().unwrap_or_default();
        let locked = a.locked as i64;
        sqlx::query!(
            r#"INSERT INTO station_tags (uid, chip, model_id, sn, openlink, target, target_label, store_id,
                   terminal_id, path, query, reader, operator, locked, first_written_at, last_verified_at,
                   verify_count, chip_genuine)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15, 1, ?16)
               ON CONFLICT (uid, model_id) DO UPDATE SET
                   chip = excluded.chip, sn = excluded.sn, openlink = excluded.openlink,
                   target = excluded.target, target_label = excluded.target_label,
                   store_id = excluded.store_id, terminal_id = excluded.terminal_id, path = excluded.path,
                   query = excluded.query, reader = excluded.reader, operator = excluded.operator,
                   locked = max(station_tags.locked, excluded.locked),
                   last_verified_at = excluded.last_verified_at,
                   verify_count = station_tags.verify_count + 1,
                   chip_genuine = COALESCE(excluded.chip_genuine, station_tags.chip_genuine)"#,
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
            a.started_at,
            a.genuine
        )
        .execute(pool)
        .await?;
        Ok(())
    }

    /// The tag's row for this model, if the station has recorded it.
    pub async fn station_find_tag(
        &self,
        uid: &str,
        model_id: &str,
    ) -> Result<Option<StationTag>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::station::station_find_tag(
            pg, uid, model_id
        ));
        let r = sqlx::query!(
            r#"SELECT id AS "id!", uid, chip, model_id, sn, openlink, target, target_label, store_id,
                      terminal_id, path, query, reader, operator, locked, first_written_at,
                      last_verified_at, verify_count, chip_genuine
               FROM station_tags WHERE uid = ? AND model_id = ?"#,
            uid,
            model_id
        )
        .fetch_optional(pool)
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
            genuine: r.chip_genuine.map(|g| g != 0),
        }))
    }

    /// Attempts matching `f`, newest first (`limit`/`offset` page through them).
    pub async fn station_history(
        &self,
        f: &HistoryFilter,
    ) -> Result<Vec<StationAttempt>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::station::station_history(
            pg, f
        ));
        let mut conn = pool.acquire().await?;
        history_rows(&mut conn, f).await
    }

    /// One page of attempts matching `f` and the totals of all of them, read in one transaction.
    pub async fn station_history_page(&self, f: &HistoryFilter) -> Result<HistoryPage, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::station::station_history_page(
            pg, f
        ));
        let mut tx = pool.begin().await?;
        let rows = history_rows(&mut tx, f).await?;
        let result = f.result_filter();
        let search = f.search_pattern();
        let t = sqlx::query!(
            r#"SELECT COUNT(*) AS "total!: i64",
                      COALESCE(SUM(result IN ('written', 'already_correct')), 0) AS "ok!: i64",
                      COALESCE(SUM(result IN ('failed', 'needs_confirmation')), 0) AS "failed!: i64",
                      COUNT(DISTINCT NULLIF(uid, '')) AS "tags!: i64"
               FROM station_attempts
               WHERE (?1 IS NULL OR store_id = ?1)
                 AND (?2 IS NULL OR terminal_id = ?2)
                 AND (?3 IS NULL OR started_at >= ?3)
                 AND (?4 IS NULL OR started_at < ?4)
                 AND (?5 IS NULL
                      OR (?5 = 'ok' AND result IN ('written', 'already_correct'))
                      OR (?5 = 'failed' AND result IN ('failed', 'needs_confirmation')))
                 AND (?6 IS NULL OR uid = ?6)
                 AND (?7 IS NULL OR uid LIKE ?7 ESCAPE '\' OR sn LIKE ?7 ESCAPE '\'
                      OR target_label LIKE ?7 ESCAPE '\' OR openlink LIKE ?7 ESCAPE '\'
                      OR operator LIKE ?7 ESCAPE '\')"#,
            f.store_id,
            f.terminal_id,
            f.since_ms,
            f.until_ms,
            result,
            f.uid,
            search
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(HistoryPage {
            rows,
            total: t.total,
            ok: t.ok,
            failed: t.failed,
            tags: t.tags,
        })
    }

    /// Every recorded tag holding `openlink`, most recently verified first (normally one; more when
    /// the same content was found on several tags).
    pub async fn station_tags_by_openlink(
        &self,
        openlink: &str,
    ) -> Result<Vec<StationTag>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| {
            tapstand_store_pg::station::station_tags_by_openlink(pg, openlink)
        });
        Ok(sqlx::query_as!(
            StationTag,
            r#"SELECT id AS "id!", uid, chip, model_id, sn, openlink, target, target_label, store_id,
                      terminal_id, path, query, reader, operator, locked AS "locked: bool",
                      first_written_at, last_verified_at, verify_count,
                      chip_genuine AS "genuine: bool"
               FROM station_tags WHERE openlink = ?
               ORDER BY last_verified_at DESC, id DESC"#,
            openlink
        )
        .fetch_all(pool)
        .await?)
    }

    /// Every recorded row for the tag with this UID (one per device model), most recent first.
    pub async fn station_tags_by_uid(&self, uid: &str) -> Result<Vec<StationTag>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::station::station_tags_by_uid(
            pg, uid
        ));
        Ok(sqlx::query_as!(
            StationTag,
            r#"SELECT id AS "id!", uid, chip, model_id, sn, openlink, target, target_label, store_id,
                      terminal_id, path, query, reader, operator, locked AS "locked: bool",
                      first_written_at, last_verified_at, verify_count,
                      chip_genuine AS "genuine: bool"
               FROM station_tags WHERE uid = ?
               ORDER BY last_verified_at DESC, id DESC"#,
            uid
        )
        .fetch_all(pool)
        .await?)
    }

    /// The attempts that ended with `openlink` on a tag (written or already correct), oldest first.
    pub async fn station_good_attempts_by_openlink(
        &self,
        openlink: &str,
    ) -> Result<Vec<StationAttempt>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| {
            tapstand_store_pg::station::station_good_attempts_by_openlink(pg, openlink)
        });
        Ok(sqlx::query_as!(
            StationAttempt,
            r#"SELECT id AS "id!", started_at, uid, chip, model_id, sn, openlink, target, target_label,
                      store_id, terminal_id, path, query, reader, operator, result, scheme_source,
                      error_code, error_zh, locked AS "locked: bool", read_ms, scheme_ms, write_ms,
                      record_ms, total_ms, apdus, chip_genuine AS "genuine: bool"
               FROM station_attempts
               WHERE openlink = ? AND result IN ('written', 'already_correct')
               ORDER BY started_at, id"#,
            openlink
        )
        .fetch_all(pool)
        .await?)
    }
}

/// The history query (one text for the page and the export, so both read the same rows in the same order).
macro_rules! history_query {
    ($f:expr, $result:expr, $search:expr, $limit:expr, $offset:expr) => {
        sqlx::query_as!(
            StationAttempt,
            r#"SELECT id AS "id!", started_at, uid, chip, model_id, sn, openlink, target, target_label,
                  store_id, terminal_id, path, query, reader, operator, result, scheme_source,
                  error_code, error_zh, locked AS "locked: bool", read_ms, scheme_ms, write_ms, record_ms,
                  total_ms, apdus, chip_genuine AS "genuine: bool"
           FROM station_attempts
           WHERE (?1 IS NULL OR store_id = ?1)
             AND (?2 IS NULL OR terminal_id = ?2)
             AND (?3 IS NULL OR started_at >= ?3)
             AND (?4 IS NULL OR started_at < ?4)
             AND (?5 IS NULL
                  OR (?5 = 'ok' AND result IN ('written', 'already_correct'))
                  OR (?5 = 'failed' AND result IN ('failed', 'needs_confirmation')))
             AND (?6 IS NULL OR uid = ?6)
             AND (?7 IS NULL OR uid LIKE ?7 ESCAPE '\' OR sn LIKE ?7 ESCAPE '\'
                  OR target_label LIKE ?7 ESCAPE '\' OR openlink LIKE ?7 ESCAPE '\'
                  OR operator LIKE ?7 ESCAPE '\')
           ORDER BY started_at DESC, id DESC
           LIMIT ?8 OFFSET ?9"#,
            $f.store_id,
            $f.terminal_id,
            $f.since_ms,
            $f.until_ms,
            $result,
            $f.uid,
            $search,
            $limit,
            $offset
        )
    };
}

impl Db {
    /// Every attempt matching `f` (newest first; `f.limit` rows at most, all when `None`), handed to `each`
    /// one at a time as SQLite reads them: the export's memory does not grow with the history. One
    /// statement, so one consistent snapshot. Returns how many rows were handed over; stops at the first
    /// error `each` returns.
    pub async fn station_history_for_each<E, F>(
        &self,
        f: &HistoryFilter,
        mut each: F,
    ) -> Result<u64, E>
    where
        E: From<StoreError>,
        F: FnMut(StationAttempt) -> Result<(), E>,
    {
        use futures_util::TryStreamExt;
        let pool = match &self.backend {
            Backend::Sqlite(pool) => pool,
            Backend::Pg(pg) => {
                return tapstand_store_pg::station::station_history_for_each(pg, f, each)
                    .await
                    .map_err(|e| match e {
                        Ok(db) => E::from(StoreError::from(db)),
                        Err(e) => e,
                    });
            }
        };
        let limit = f.limit.unwrap_or(i64::MAX);
        let offset = f.offset.unwrap_or(0).max(0);
        let result = f.result_filter();
        let search = f.search_pattern();
        let mut conn = pool.acquire().await.map_err(StoreError::from)?;
        let mut rows = history_query!(f, result, search, limit, offset).fetch(&mut *conn);
        let mut n = 0u64;
        while let Some(row) = rows.try_next().await.map_err(StoreError::from)? {
            each(row)?;
            n += 1;
        }
        Ok(n)
    }
}

impl Db {
    /// Every recorded tag (the tag register), oldest first, handed to `each` one at a time as SQLite
    /// reads them (one statement, one snapshot). Returns how many rows were handed over; stops at the
    /// first error `each` returns.
    pub async fn station_tags_for_each<E, F>(&self, mut each: F) -> Result<u64, E>
    where
        E: From<StoreError>,
        F: FnMut(StationTag) -> Result<(), E>,
    {
        use futures_util::TryStreamExt;
        let pool = match &self.backend {
            Backend::Sqlite(pool) => pool,
            Backend::Pg(pg) => {
                return tapstand_store_pg::station::station_tags_for_each(pg, each)
                    .await
                    .map_err(|e| match e {
                        Ok(db) => E::from(StoreError::from(db)),
                        Err(e) => e,
                    });
            }
        };
        let mut conn = pool.acquire().await.map_err(StoreError::from)?;
        let mut rows = sqlx::query_as!(
            StationTag,
            r#"SELECT id AS "id!", uid, chip, model_id, sn, openlink, target, target_label, store_id,
                      terminal_id, path, query, reader, operator, locked AS "locked: bool",
                      first_written_at, last_verified_at, verify_count,
                      chip_genuine AS "genuine: bool"
               FROM station_tags
               ORDER BY first_written_at, id"#
        )
        .fetch(&mut *conn);
        let mut n = 0u64;
        while let Some(row) = rows.try_next().await.map_err(StoreError::from)? {
            each(row)?;
            n += 1;
        }
        Ok(n)
    }
}

async fn history_rows(
    conn: &mut sqlx::SqliteConnection,
    f: &HistoryFilter,
) -> Result<Vec<StationAttempt>, StoreError> {
    let limit = f.limit.unwrap_or(10_000);
    let offset = f.offset.unwrap_or(0).max(0);
    let result = f.result_filter();
    let search = f.search_pattern();
    Ok(history_query!(f, result, search, limit, offset)
        .fetch_all(&mut *conn)
        .await?)
}

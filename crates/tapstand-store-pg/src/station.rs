//! The write station's history (`tapstand_store::station`). The filters' optional parameters carry their
//! type (`$1::int8 IS NULL`): PostgreSQL cannot infer the type of a parameter that is only tested for NULL.

use sqlx::{PgConnection, PgPool};
use tapstand_store_types::station::{HistoryFilter, HistoryPage, StationAttempt, StationTag};

pub async fn station_insert_attempt(pool: &PgPool, a: &StationAttempt) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"INSERT INTO station_attempts (started_at, uid, chip, model_id, sn, openlink, target,
               target_label, store_id, terminal_id, path, query, reader, operator, result, scheme_source,
               error_code, error_zh, locked, read_ms, scheme_ms, write_ms, record_ms, total_ms, apdus,
               chip_genuine)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
                   $21, $22, $23, $24, $25, $26)
           RETURNING id"#,
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
        a.locked,
        a.read_ms,
        a.scheme_ms,
        a.write_ms,
        a.record_ms,
        a.total_ms,
        a.apdus,
        a.genuine
    )
    .fetch_one(pool)
    .await
}

pub async fn station_upsert_tag(pool: &PgPool, a: &StationAttempt) -> Result<(), sqlx::Error> {
    let openlink = a.openlink.clone().unwrap_or_default();
    sqlx::query!(
        r#"INSERT INTO station_tags (uid, chip, model_id, sn, openlink, target, target_label, store_id,
               terminal_id, path, query, reader, operator, locked, first_written_at, last_verified_at,
               verify_count, chip_genuine)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, 1, $16)
           ON CONFLICT (uid, model_id) DO UPDATE SET
               chip = excluded.chip, sn = excluded.sn, openlink = excluded.openlink,
               target = excluded.target, target_label = excluded.target_label,
               store_id = excluded.store_id, terminal_id = excluded.terminal_id, path = excluded.path,
               query = excluded.query, reader = excluded.reader, operator = excluded.operator,
               locked = station_tags.locked OR excluded.locked,
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
        a.locked,
        a.started_at,
        a.genuine
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn station_find_tag(
    pool: &PgPool,
    uid: &str,
    model_id: &str,
) -> Result<Option<StationTag>, sqlx::Error> {
    sqlx::query_as!(
        StationTag,
        r#"SELECT id AS "id!", uid, chip, model_id, sn, openlink, target, target_label, store_id,
                  terminal_id, path, query, reader, operator, locked, first_written_at,
                  last_verified_at, verify_count, chip_genuine AS genuine
           FROM station_tags WHERE uid = $1 AND model_id = $2"#,
        uid,
        model_id
    )
    .fetch_optional(pool)
    .await
}

pub async fn station_tags_by_openlink(
    pool: &PgPool,
    openlink: &str,
) -> Result<Vec<StationTag>, sqlx::Error> {
    sqlx::query_as!(
        StationTag,
        r#"SELECT id AS "id!", uid, chip, model_id, sn, openlink, target, target_label, store_id,
                  terminal_id, path, query, reader, operator, locked, first_written_at,
                  last_verified_at, verify_count, chip_genuine AS genuine
           FROM station_tags WHERE openlink = $1
           ORDER BY last_verified_at DESC, id DESC"#,
        openlink
    )
    .fetch_all(pool)
    .await
}

pub async fn station_tags_by_uid(pool: &PgPool, uid: &str) -> Result<Vec<StationTag>, sqlx::Error> {
    sqlx::query_as!(
        StationTag,
        r#"SELECT id AS "id!", uid, chip, model_id, sn, openlink, target, target_label, store_id,
                  terminal_id, path, query, reader, operator, locked, first_written_at,
                  last_verified_at, verify_count, chip_genuine AS genuine
           FROM station_tags WHERE uid = $1
           ORDER BY last_verified_at DESC, id DESC"#,
        uid
    )
    .fetch_all(pool)
    .await
}

pub async fn station_good_attempts_by_openlink(
    pool: &PgPool,
    openlink: &str,
) -> Result<Vec<StationAttempt>, sqlx::Error> {
    sqlx::query_as!(
        StationAttempt,
        r#"SELECT id AS "id!", started_at, uid, chip, model_id, sn, openlink, target, target_label,
                  store_id, terminal_id, path, query, reader, operator, result, scheme_source,
                  error_code, error_zh, locked, read_ms, scheme_ms, write_ms,
                  record_ms, total_ms, apdus, chip_genuine AS genuine
           FROM station_attempts
           WHERE openlink = $1 AND result IN ('written', 'already_correct')
           ORDER BY started_at, id"#,
        openlink
    )
    .fetch_all(pool)
    .await
}

/// The history query (one text for the page and the export, so both read the same rows in the same order).
macro_rules! history_query {
    ($f:expr, $result:expr, $search:expr, $limit:expr, $offset:expr) => {
        sqlx::query_as!(
            StationAttempt,
            r#"SELECT id AS "id!", started_at, uid, chip, model_id, sn, openlink, target, target_label,
                  store_id, terminal_id, path, query, reader, operator, result, scheme_source,
                  error_code, error_zh, locked, read_ms, scheme_ms, write_ms, record_ms,
                  total_ms, apdus, chip_genuine AS genuine
           FROM station_attempts
           WHERE ($1::int8 IS NULL OR store_id = $1)
             AND ($2::int8 IS NULL OR terminal_id = $2)
             AND ($3::int8 IS NULL OR started_at >= $3)
             AND ($4::int8 IS NULL OR started_at < $4)
             AND ($5::text IS NULL
                  OR ($5 = 'ok' AND result IN ('written', 'already_correct'))
                  OR ($5 = 'failed' AND result IN ('failed', 'needs_confirmation')))
             AND ($6::text IS NULL OR uid = $6)
             AND ($7::text IS NULL OR uid ILIKE $7 ESCAPE '\' OR sn ILIKE $7 ESCAPE '\'
                  OR target_label ILIKE $7 ESCAPE '\' OR openlink ILIKE $7 ESCAPE '\'
                  OR operator ILIKE $7 ESCAPE '\')
           ORDER BY started_at DESC, id DESC
           LIMIT $8 OFFSET $9"#,
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

async fn history_rows(
    conn: &mut PgConnection,
    f: &HistoryFilter,
) -> Result<Vec<StationAttempt>, sqlx::Error> {
    let limit = f.limit.unwrap_or(10_000);
    let offset = f.offset.unwrap_or(0).max(0);
    let result = f.result_filter();
    let search = f.search_pattern();
    history_query!(f, result, search, limit, offset)
        .fetch_all(&mut *conn)
        .await
}

pub async fn station_history(
    pool: &PgPool,
    f: &HistoryFilter,
) -> Result<Vec<StationAttempt>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    history_rows(&mut conn, f).await
}

pub async fn station_history_page(
    pool: &PgPool,
    f: &HistoryFilter,
) -> Result<HistoryPage, sqlx::Error> {
    // One snapshot for the page and its totals.
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let rows = history_rows(&mut tx, f).await?;
    let result = f.result_filter();
    let search = f.search_pattern();
    let t = sqlx::query!(
        r#"SELECT COUNT(*) AS "total!",
                  COUNT(*) FILTER (WHERE result IN ('written', 'already_correct')) AS "ok!",
                  COUNT(*) FILTER (WHERE result IN ('failed', 'needs_confirmation')) AS "failed!",
                  COUNT(DISTINCT NULLIF(uid, '')) AS "tags!"
           FROM station_attempts
           WHERE ($1::int8 IS NULL OR store_id = $1)
             AND ($2::int8 IS NULL OR terminal_id = $2)
             AND ($3::int8 IS NULL OR started_at >= $3)
             AND ($4::int8 IS NULL OR started_at < $4)
             AND ($5::text IS NULL
                  OR ($5 = 'ok' AND result IN ('written', 'already_correct'))
                  OR ($5 = 'failed' AND result IN ('failed', 'needs_confirmation')))
             AND ($6::text IS NULL OR uid = $6)
             AND ($7::text IS NULL OR uid ILIKE $7 ESCAPE '\' OR sn ILIKE $7 ESCAPE '\'
                  OR target_label ILIKE $7 ESCAPE '\' OR openlink ILIKE $7 ESCAPE '\'
                  OR operator ILIKE $7 ESCAPE '\')"#,
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

/// Streams the history to `each` (see `Db::station_history_for_each`). `Err(Ok(e))` is a database
/// error, `Err(Err(e))` the first error `each` returned.
pub async fn station_history_for_each<E, F>(
    pool: &PgPool,
    f: &HistoryFilter,
    mut each: F,
) -> Result<u64, Result<sqlx::Error, E>>
where
    F: FnMut(StationAttempt) -> Result<(), E>,
{
    use futures_util::TryStreamExt;
    let limit = f.limit.unwrap_or(i64::MAX);
    let offset = f.offset.unwrap_or(0).max(0);
    let result = f.result_filter();
    let search = f.search_pattern();
    let mut conn = pool.acquire().await.map_err(Ok)?;
    let mut rows = history_query!(f, result, search, limit, offset).fetch(&mut *conn);
    let mut n = 0u64;
    while let Some(row) = rows.try_next().await.map_err(Ok)? {
        each(row).map_err(Err)?;
        n += 1;
    }
    Ok(n)
}

/// Every recorded tag (the tag register), oldest first, streamed to `each` (see
/// `Db::station_tags_for_each`). `Err(Ok(e))` is a database error, `Err(Err(e))` the first error `each`
/// returned.
pub async fn station_tags_for_each<E, F>(
    pool: &PgPool,
    mut each: F,
) -> Result<u64, Result<sqlx::Error, E>>
where
    F: FnMut(StationTag) -> Result<(), E>,
{
    use futures_util::TryStreamExt;
    let mut conn = pool.acquire().await.map_err(Ok)?;
    let mut rows = sqlx::query_as!(
        StationTag,
        r#"SELECT id AS "id!", uid, chip, model_id, sn, openlink, target, target_label, store_id,
                  terminal_id, path, query, reader, operator, locked, first_written_at,
                  last_verified_at, verify_count, chip_genuine AS genuine
           FROM station_tags
           ORDER BY first_written_at, id"#
    )
    .fetch(&mut *conn);
    let mut n = 0u64;
    while let Some(row) = rows.try_next().await.map_err(Ok)? {
        each(row).map_err(Err)?;
        n += 1;
    }
    Ok(n)
}

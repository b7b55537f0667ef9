//! The scheme ledger (`tapstand_store::ledger`). Every state change is a compare-and-set `UPDATE … WHERE
//! state = …`: under READ COMMITTED a second writer waits for the first one's row lock and re-checks the
//! WHERE clause on the committed row, so of two processes (two PCs) only one moves a row. Commits are
//! durable before they return (`synchronous_commit = on`, set on every connection by tapstand-store): the
//! PostgreSQL meaning of the SQLite side's `synchronous=FULL` around a call.

use sqlx::PgPool;
use tapstand_store_types::ledger::{DerivedSn, LedgerQuota, NewSchemeRequest, RawRow};

pub async fn scheme_find(
    pool: &PgPool,
    model_id: &str,
    sn: &str,
) -> Result<Option<RawRow>, sqlx::Error> {
    sqlx::query_as!(
        RawRow,
        r#"SELECT id AS "id!", appid, model_id, sn, path, query, env_version, state, openlink,
                  recovered_own::int4::int8 AS recovered_own, attempts, in_flight_since, in_flight_owner,
                  last_errcode, last_error, wx_path, wx_query, wx_env_version, wx_create_time, created_at,
                  updated_at, issued_at, api_base
           FROM scheme_ledger WHERE model_id = $1 AND sn = $2"#,
        model_id,
        sn
    )
    .fetch_optional(pool)
    .await
}

pub async fn scheme_get(pool: &PgPool, id: i64) -> Result<Option<RawRow>, sqlx::Error> {
    sqlx::query_as!(
        RawRow,
        r#"SELECT id AS "id!", appid, model_id, sn, path, query, env_version, state, openlink,
                  recovered_own::int4::int8 AS recovered_own, attempts, in_flight_since, in_flight_owner,
                  last_errcode, last_error, wx_path, wx_query, wx_env_version, wx_create_time, created_at,
                  updated_at, issued_at, api_base
           FROM scheme_ledger WHERE id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await
}

pub async fn scheme_find_by_openlink(
    pool: &PgPool,
    openlink: &str,
) -> Result<Option<RawRow>, sqlx::Error> {
    sqlx::query_as!(
        RawRow,
        r#"SELECT id AS "id!", appid, model_id, sn, path, query, env_version, state, openlink,
                  recovered_own::int4::int8 AS recovered_own, attempts, in_flight_since, in_flight_owner,
                  last_errcode, last_error, wx_path, wx_query, wx_env_version, wx_create_time, created_at,
                  updated_at, issued_at, api_base
           FROM scheme_ledger WHERE openlink = $1"#,
        openlink
    )
    .fetch_optional(pool)
    .await
}

pub async fn scheme_list(pool: &PgPool, limit: i64) -> Result<Vec<RawRow>, sqlx::Error> {
    sqlx::query_as!(
        RawRow,
        r#"SELECT id AS "id!", appid, model_id, sn, path, query, env_version, state, openlink,
                  recovered_own::int4::int8 AS recovered_own, attempts, in_flight_since, in_flight_owner,
                  last_errcode, last_error, wx_path, wx_query, wx_env_version, wx_create_time, created_at,
                  updated_at, issued_at, api_base
           FROM scheme_ledger ORDER BY id DESC LIMIT $1"#,
        limit
    )
    .fetch_all(pool)
    .await
}

pub async fn scheme_record_request(
    pool: &PgPool,
    r: &NewSchemeRequest<'_>,
    now: i64,
) -> Result<RawRow, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO scheme_ledger (appid, model_id, sn, path, query, env_version, state, created_at, updated_at, api_base)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7, $8)
         ON CONFLICT (model_id, sn) DO UPDATE SET
             appid = excluded.appid, path = excluded.path, query = excluded.query,
             env_version = excluded.env_version, updated_at = excluded.updated_at,
             api_base = excluded.api_base
         WHERE scheme_ledger.state = 'pending'",
        r.appid,
        r.model_id,
        r.sn,
        r.path,
        r.query,
        r.env_version,
        now,
        r.api_base
    )
    .execute(&mut *tx)
    .await?;
    let row = sqlx::query_as!(
        RawRow,
        r#"SELECT id AS "id!", appid, model_id, sn, path, query, env_version, state, openlink,
                  recovered_own::int4::int8 AS recovered_own, attempts, in_flight_since, in_flight_owner,
                  last_errcode, last_error, wx_path, wx_query, wx_env_version, wx_create_time, created_at,
                  updated_at, issued_at, api_base
           FROM scheme_ledger WHERE model_id = $1 AND sn = $2"#,
        r.model_id,
        r.sn
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// See `Db::scheme_begin_call`: the claim of (model_id, sn) for one call, across every process.
#[allow(clippy::too_many_arguments)]
pub async fn scheme_begin_call(
    pool: &PgPool,
    scheme_id: i64,
    resolve: bool,
    stale_before_ms: i64,
    dead_owner: Option<&str>,
    api_base: &str,
    owner: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let changed = sqlx::query!(
        "UPDATE scheme_ledger
         SET state = 'in_flight', in_flight_since = $1, in_flight_owner = $2, api_base = $3,
             attempts = attempts + 1, updated_at = $1
         WHERE id = $4 AND (state = 'pending'
             OR ($5 AND (state = 'unknown' OR (state = 'in_flight'
                 AND (in_flight_since < $6 OR in_flight_owner = $7)))))",
        now,
        owner,
        api_base,
        scheme_id,
        resolve,
        stale_before_ms,
        dead_owner
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        tx.rollback().await?;
        return Ok(None);
    }
    sqlx::query!(
        "UPDATE scheme_calls SET outcome = 'unknown', finished_at = $1,
             detail = coalesce(detail, 'the process ended before the answer was stored')
         WHERE scheme_id = $2 AND outcome = 'in_flight'",
        now,
        scheme_id
    )
    .execute(&mut *tx)
    .await?;
    let call_id = sqlx::query_scalar!(
        "INSERT INTO scheme_calls (scheme_id, appid, started_at, outcome)
         SELECT id, appid, $1, 'in_flight' FROM scheme_ledger WHERE id = $2
         RETURNING id",
        now,
        scheme_id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(call_id))
}

pub async fn scheme_finish_issued(
    pool: &PgPool,
    scheme_id: i64,
    call_id: i64,
    openlink: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let changed = sqlx::query!(
        "UPDATE scheme_ledger
         SET state = 'issued', openlink = $1, in_flight_since = NULL, in_flight_owner = NULL, issued_at = $2,
             updated_at = $2, last_errcode = 0, last_error = NULL
         WHERE id = $3 AND openlink IS NULL",
        openlink,
        now,
        scheme_id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query!(
        "UPDATE scheme_calls SET outcome = 'issued', errcode = 0, finished_at = $1, detail = $2 WHERE id = $3",
        now,
        openlink,
        call_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(changed == 1)
}

#[allow(clippy::too_many_arguments)]
pub async fn scheme_finish_existing(
    pool: &PgPool,
    scheme_id: i64,
    call_id: i64,
    state: &str,
    openlink: Option<&str>,
    own: Option<bool>,
    detail: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let issued_at = openlink.map(|_| now);
    let mut tx = pool.begin().await?;
    let changed = sqlx::query!(
        "UPDATE scheme_ledger
         SET state = $1, openlink = $2, recovered_own = $3, in_flight_since = NULL, in_flight_owner = NULL,
             issued_at = $4, updated_at = $5, last_errcode = 9800010, last_error = $6
         WHERE id = $7 AND openlink IS NULL",
        state,
        openlink,
        own,
        issued_at,
        now,
        detail,
        scheme_id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query!(
        "UPDATE scheme_calls SET outcome = 'exists', errcode = 9800010, finished_at = $1, detail = $2
         WHERE id = $3",
        now,
        detail,
        call_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(changed == 1)
}

pub async fn scheme_finish_failed(
    pool: &PgPool,
    scheme_id: i64,
    call_id: i64,
    errcode: Option<i64>,
    detail: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "UPDATE scheme_ledger SET state = 'pending', in_flight_since = NULL, in_flight_owner = NULL,
             updated_at = $1, last_errcode = $2, last_error = $3
         WHERE id = $4 AND state = 'in_flight'",
        now,
        errcode,
        detail,
        scheme_id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE scheme_calls SET outcome = 'failed', errcode = $1, finished_at = $2, detail = $3 WHERE id = $4",
        errcode,
        now,
        detail,
        call_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn scheme_finish_unknown(
    pool: &PgPool,
    scheme_id: i64,
    call_id: i64,
    detail: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "UPDATE scheme_ledger SET state = 'unknown', in_flight_since = NULL, in_flight_owner = NULL,
             updated_at = $1, last_errcode = NULL, last_error = $2
         WHERE id = $3 AND state = 'in_flight'",
        now,
        detail,
        scheme_id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE scheme_calls SET outcome = 'unknown', finished_at = $1, detail = $2 WHERE id = $3",
        now,
        detail,
        call_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn scheme_had_unanswered_call(
    pool: &PgPool,
    scheme_id: i64,
    call_id: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM scheme_calls
           WHERE scheme_id = $1 AND id != $2 AND outcome IN ('unknown', 'in_flight')"#,
        scheme_id,
        call_id
    )
    .fetch_one(pool)
    .await?;
    Ok(n > 0)
}

pub async fn scheme_set_wechat_info(
    pool: &PgPool,
    scheme_id: i64,
    path: &str,
    query: &str,
    env_version: &str,
    create_time: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE scheme_ledger SET wx_path = $1, wx_query = $2, wx_env_version = $3, wx_create_time = $4,
             updated_at = $5
         WHERE id = $6",
        path,
        query,
        env_version,
        create_time,
        now,
        scheme_id
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn scheme_quota(
    pool: &PgPool,
    appid: &str,
    day_start_ms: i64,
) -> Result<LedgerQuota, sqlx::Error> {
    let counts = sqlx::query!(
        r#"SELECT
             count(*) FILTER (WHERE outcome = 'issued') AS "lifetime!",
             count(*) FILTER (WHERE outcome = 'issued' AND started_at >= $1) AS "today!",
             count(*) FILTER (WHERE outcome IN ('unknown', 'in_flight')) AS "unanswered!"
           FROM scheme_calls WHERE appid = $2"#,
        day_start_ms,
        appid
    )
    .fetch_one(pool)
    .await?;
    let last = sqlx::query!(
        r#"SELECT errcode AS "errcode!", finished_at FROM scheme_calls
           WHERE appid = $1 AND errcode IN (44990, 44993, 85400)
           ORDER BY id DESC LIMIT 1"#,
        appid
    )
    .fetch_optional(pool)
    .await?;
    Ok(LedgerQuota {
        lifetime_issued: counts.lifetime,
        today_issued: counts.today,
        unanswered_calls: counts.unanswered,
        last_quota_errcode: last.as_ref().map(|l| l.errcode),
        last_quota_error_at: last.and_then(|l| l.finished_at),
    })
}

pub async fn scheme_record_derived(
    pool: &PgPool,
    model_id: &str,
    sn: &str,
    derived_from: &str,
    reason: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO scheme_derived (model_id, sn, derived_from, reason, created_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (model_id, sn) DO NOTHING",
        model_id,
        sn,
        derived_from,
        reason,
        now
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn scheme_derived(
    pool: &PgPool,
    model_id: &str,
    sn: &str,
) -> Result<Option<DerivedSn>, sqlx::Error> {
    sqlx::query_as!(
        DerivedSn,
        r#"SELECT model_id, sn, derived_from, reason, created_at
           FROM scheme_derived WHERE model_id = $1 AND sn = $2"#,
        model_id,
        sn
    )
    .fetch_optional(pool)
    .await
}

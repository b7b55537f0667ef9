//! The NFC scheme ledger (migration 0002): every generatenfcscheme request is recorded before the call,
//! and the openlink is stored in the same transaction as the response. The state machine and the
//! reasoning live in tapstand-wechat (`scheme` module); this module only holds the SQL, each write one
//! transaction, each state change a compare-and-set.

use crate::{now_ms, sqlite_or_pg, Db, StoreError};

pub use tapstand_store_types::ledger::*;

impl Db {
    /// The ledger row for (model_id, sn), if any.
    pub async fn scheme_find(
        &self,
        model_id: &str,
        sn: &str,
    ) -> Result<Option<SchemeRow>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| async {
            tapstand_store_pg::ledger::scheme_find(pg, model_id, sn)
                .await
                .map(|r| r.map(SchemeRow::from))
        });
        let row = sqlx::query_as!(
            RawRow,
            r#"SELECT id AS "id!", appid, model_id, sn, path, query, env_version, state, openlink,
                      recovered_own, attempts, in_flight_since, in_flight_owner, last_errcode, last_error, wx_path, wx_query,
                      wx_env_version, wx_create_time, created_at, updated_at, issued_at, api_base
               FROM scheme_ledger WHERE model_id = ? AND sn = ?"#,
            model_id,
            sn
        )
        .fetch_optional(pool)
        .await?;
        Ok(row.map(SchemeRow::from))
    }

    pub async fn scheme_get(&self, id: i64) -> Result<Option<SchemeRow>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| async {
            tapstand_store_pg::ledger::scheme_get(pg, id)
                .await
                .map(|r| r.map(SchemeRow::from))
        });
        let row = sqlx::query_as!(
            RawRow,
            r#"SELECT id AS "id!", appid, model_id, sn, path, query, env_version, state, openlink,
                      recovered_own, attempts, in_flight_since, in_flight_owner, last_errcode, last_error, wx_path, wx_query,
                      wx_env_version, wx_create_time, created_at, updated_at, issued_at, api_base
               FROM scheme_ledger WHERE id = ?"#,
            id
        )
        .fetch_optional(pool)
        .await?;
        Ok(row.map(SchemeRow::from))
    }

    /// The row holding this openlink (the tag inspector: "is it one of ours?").
    pub async fn scheme_find_by_openlink(
        &self,
        openlink: &str,
    ) -> Result<Option<SchemeRow>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| async {
            tapstand_store_pg::ledger::scheme_find_by_openlink(pg, openlink)
                .await
                .map(|r| r.map(SchemeRow::from))
        });
        let row = sqlx::query_as!(
            RawRow,
            r#"SELECT id AS "id!", appid, model_id, sn, path, query, env_version, state, openlink,
                      recovered_own, attempts, in_flight_since, in_flight_owner, last_errcode, last_error, wx_path, wx_query,
                      wx_env_version, wx_create_time, created_at, updated_at, issued_at, api_base
               FROM scheme_ledger WHERE openlink = ?"#,
            openlink
        )
        .fetch_optional(pool)
        .await?;
        Ok(row.map(SchemeRow::from))
    }

    /// Every row, newest first.
    pub async fn scheme_list(&self, limit: i64) -> Result<Vec<SchemeRow>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| async {
            tapstand_store_pg::ledger::scheme_list(pg, limit)
                .await
                .map(|r| r.into_iter().map(SchemeRow::from).collect::<Vec<_>>())
        });
        let rows = sqlx::query_as!(
            RawRow,
            r#"SELECT id AS "id!", appid, model_id, sn, path, query, env_version, state, openlink,
                      recovered_own, attempts, in_flight_since, in_flight_owner, last_errcode, last_error, wx_path, wx_query,
                      wx_env_version, wx_create_time, created_at, updated_at, issued_at, api_base
               FROM scheme_ledger ORDER BY id DESC LIMIT ?"#,
            limit
        )
        .fetch_all(pool)
        .await?;
        Ok(rows.into_iter().map(SchemeRow::from).collect())
    }

    /// Records a request before anything is sent (one transaction). An existing row is returned as is,
    /// except that a `pending` row takes the new path/query/env_version: nothing was sent with the old ones
    /// that WeChat could have kept.
    pub async fn scheme_record_request(
        &self,
        r: &NewSchemeRequest<'_>,
    ) -> Result<SchemeRow, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| async {
            tapstand_store_pg::ledger::scheme_record_request(pg, r, now_ms())
                .await
                .map(SchemeRow::from)
        });
        let now = now_ms();
        let mut tx = pool.begin().await?;
        sqlx::query!(
            "INSERT INTO scheme_ledger (appid, model_id, sn, path, query, env_version, state, created_at, updated_at, api_base)
             VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)
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
            now,
            r.api_base
        )
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query_as!(
            RawRow,
            r#"SELECT id AS "id!", appid, model_id, sn, path, query, env_version, state, openlink,
                      recovered_own, attempts, in_flight_since, in_flight_owner, last_errcode, last_error, wx_path, wx_query,
                      wx_env_version, wx_create_time, created_at, updated_at, issued_at, api_base
               FROM scheme_ledger WHERE model_id = ? AND sn = ?"#,
            r.model_id,
            r.sn
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    /// Marks the row `in_flight` and opens a call record, in one transaction, right before the request
    /// is sent, owned by this handle ([`Db::owner_token`]). A compare-and-set: only a `pending` row, or
    /// with `resolve` an `unknown` row or an `in_flight` row older than `stale_before_ms` or owned by
    /// `dead_owner` (a handle whose process is gone), may start a call. Returns the call id, or `None`
    /// when the row was not in such a state (another caller got there first). `api_base` is where the call
    /// goes: the row's link will have come from there.
    pub async fn scheme_begin_call(
        &self,
        scheme_id: i64,
        resolve: bool,
        stale_before_ms: i64,
        dead_owner: Option<&str>,
        api_base: &str,
    ) -> Result<Option<i64>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::ledger::scheme_begin_call(
            pg,
            scheme_id,
            resolve,
            stale_before_ms,
            dead_owner,
            api_base,
            self.owner_token(),
            now_ms()
        ));
        let owner = self.owner_token().to_string();
        let now = now_ms();
        // Synced to disk before the request leaves: even a power cut cannot make a sent request look
        // as if it had never been sent.
        let mut conn = pool.acquire().await?;
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(&mut *conn)
            .await?;
        let result = async {
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            let changed = sqlx::query!(
                "UPDATE scheme_ledger
                 SET state = 'in_flight', in_flight_since = ?, in_flight_owner = ?, api_base = ?,
                     attempts = attempts + 1, updated_at = ?
                 WHERE id = ? AND (state = 'pending'
                     OR (? AND (state = 'unknown' OR (state = 'in_flight'
                         AND (in_flight_since < ? OR in_flight_owner = ?)))))",
                now,
                owner,
                api_base,
                now,
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
                return Ok::<Option<i64>, StoreError>(None);
            }
            // A call left in flight by a process that died: its answer will never come.
            sqlx::query!(
                "UPDATE scheme_calls SET outcome = 'unknown', finished_at = ?,
                     detail = coalesce(detail, 'the process ended before the answer was stored')
                 WHERE scheme_id = ? AND outcome = 'in_flight'",
                now,
                scheme_id
            )
            .execute(&mut *tx)
            .await?;
            let call_id = sqlx::query!(
                "INSERT INTO scheme_calls (scheme_id, appid, started_at, outcome)
                 SELECT id, appid, ?, 'in_flight' FROM scheme_ledger WHERE id = ?",
                now,
                scheme_id
            )
            .execute(&mut *tx)
            .await?
            .last_insert_rowid();
            tx.commit().await?;
            Ok(Some(call_id))
        }
        .await;
        sqlx::query("PRAGMA synchronous = NORMAL")
            .execute(&mut *conn)
            .await
            .ok();
        result
    }

    /// Stores the openlink WeChat returned (errcode 0) with the call's outcome, in one transaction that
    /// is synced to disk before it returns (`synchronous=FULL`): the scheme cannot be obtained again.
    /// Returns false if the row already held an openlink (it is kept).
    pub async fn scheme_finish_issued(
        &self,
        scheme_id: i64,
        call_id: i64,
        openlink: &str,
    ) -> Result<bool, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::ledger::scheme_finish_issued(
            pg,
            scheme_id,
            call_id,
            openlink,
            now_ms()
        ));
        let now = now_ms();
        let mut conn = pool.acquire().await?;
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(&mut *conn)
            .await?;
        let result = async {
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            let changed = sqlx::query!(
                "UPDATE scheme_ledger
                 SET state = 'issued', openlink = ?, in_flight_since = NULL, in_flight_owner = NULL, issued_at = ?, updated_at = ?,
                     last_errcode = 0, last_error = NULL
                 WHERE id = ? AND openlink IS NULL",
                openlink,
                now,
                now,
                scheme_id
            )
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query!(
                "UPDATE scheme_calls SET outcome = 'issued', errcode = 0, finished_at = ?, detail = ? WHERE id = ?",
                now,
                openlink,
                call_id
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<bool, StoreError>(changed == 1)
        }
        .await;
        sqlx::query("PRAGMA synchronous = NORMAL")
            .execute(&mut *conn)
            .await
            .ok();
        result
    }

    /// Stores the answer 9800010 (the scheme already exists), with the openlink when the errmsg carried it.
    pub async fn scheme_finish_existing(
        &self,
        scheme_id: i64,
        call_id: i64,
        outcome: ExistingOutcome,
        openlink: Option<&str>,
        detail: &str,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let (state, own) = match (outcome, openlink) {
            (ExistingOutcome::Recovered { own }, Some(_)) => {
                (SchemeState::Recovered, Some(own as i64))
            }
            (ExistingOutcome::Lost, _) | (ExistingOutcome::Recovered { own: true }, None) => {
                (SchemeState::Lost, None)
            }
            _ => (SchemeState::UsedElsewhere, None),
        };
        let openlink = if state == SchemeState::Recovered {
            openlink
        } else {
            None
        };
        let state = state.as_str();
        let issued_at = openlink.map(|_| now);
        let pool = sqlite_or_pg!(
            self,
            |pg| tapstand_store_pg::ledger::scheme_finish_existing(
                pg,
                scheme_id,
                call_id,
                state,
                openlink,
                own.map(|o| o != 0),
                detail,
                now
            )
        );
        let mut conn = pool.acquire().await?;
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(&mut *conn)
            .await?;
        let result = async {
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            let changed = sqlx::query!(
                "UPDATE scheme_ledger
                 SET state = ?, openlink = ?, recovered_own = ?, in_flight_since = NULL, in_flight_owner = NULL, issued_at = ?,
                     updated_at = ?, last_errcode = 9800010, last_error = ?
                 WHERE id = ? AND openlink IS NULL",
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
                "UPDATE scheme_calls SET outcome = 'exists', errcode = 9800010, finished_at = ?, detail = ?
                 WHERE id = ?",
                now,
                detail,
                call_id
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<bool, StoreError>(changed == 1)
        }
        .await;
        sqlx::query("PRAGMA synchronous = NORMAL")
            .execute(&mut *conn)
            .await
            .ok();
        result
    }

    /// The call definitely did not create a scheme (an error answer, or nothing was sent): the row goes
    /// back to `pending`, so a later request may call again.
    pub async fn scheme_finish_failed(
        &self,
        scheme_id: i64,
        call_id: i64,
        errcode: Option<i64>,
        detail: &str,
    ) -> Result<(), StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::ledger::scheme_finish_failed(
            pg,
            scheme_id,
            call_id,
            errcode,
            detail,
            now_ms()
        ));
        let now = now_ms();
        let mut tx = pool.begin().await?;
        sqlx::query!(
            "UPDATE scheme_ledger SET state = 'pending', in_flight_since = NULL, in_flight_owner = NULL, updated_at = ?,
                 last_errcode = ?, last_error = ?
             WHERE id = ? AND state = 'in_flight'",
            now,
            errcode,
            detail,
            scheme_id
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE scheme_calls SET outcome = 'failed', errcode = ?, finished_at = ?, detail = ? WHERE id = ?",
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

    /// The call ended without an answer (timeout, dropped connection): WeChat may have issued a scheme.
    pub async fn scheme_finish_unknown(
        &self,
        scheme_id: i64,
        call_id: i64,
        detail: &str,
    ) -> Result<(), StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::ledger::scheme_finish_unknown(
            pg,
            scheme_id,
            call_id,
            detail,
            now_ms()
        ));
        let now = now_ms();
        let mut tx = pool.begin().await?;
        sqlx::query!(
            "UPDATE scheme_ledger SET state = 'unknown', in_flight_since = NULL, in_flight_owner = NULL, updated_at = ?, last_errcode = NULL,
                 last_error = ?
             WHERE id = ? AND state = 'in_flight'",
            now,
            detail,
            scheme_id
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE scheme_calls SET outcome = 'unknown', finished_at = ?, detail = ? WHERE id = ?",
            now,
            detail,
            call_id
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether this scheme had a call of ours whose answer never arrived (other than `call_id`).
    pub async fn scheme_had_unanswered_call(
        &self,
        scheme_id: i64,
        call_id: i64,
    ) -> Result<bool, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| {
            tapstand_store_pg::ledger::scheme_had_unanswered_call(pg, scheme_id, call_id)
        });
        let n = sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!: i64" FROM scheme_calls
               WHERE scheme_id = ? AND id != ? AND outcome IN ('unknown', 'in_flight')"#,
            scheme_id,
            call_id
        )
        .fetch_one(pool)
        .await?;
        Ok(n > 0)
    }

    /// What WeChat says the scheme opens (queryscheme).
    pub async fn scheme_set_wechat_info(
        &self,
        scheme_id: i64,
        path: &str,
        query: &str,
        env_version: &str,
        create_time: i64,
    ) -> Result<(), StoreError> {
        let pool = sqlite_or_pg!(
            self,
            |pg| tapstand_store_pg::ledger::scheme_set_wechat_info(
                pg,
                scheme_id,
                path,
                query,
                env_version,
                create_time,
                now_ms()
            )
        );
        let now = now_ms();
        sqlx::query!(
            "UPDATE scheme_ledger SET wx_path = ?, wx_query = ?, wx_env_version = ?, wx_create_time = ?, updated_at = ?
             WHERE id = ?",
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

    /// Quota use by this ledger for one mini program; `day_start_ms` is the start of WeChat's day.
    pub async fn scheme_quota(
        &self,
        appid: &str,
        day_start_ms: i64,
    ) -> Result<LedgerQuota, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::ledger::scheme_quota(
            pg,
            appid,
            day_start_ms
        ));
        let counts = sqlx::query!(
            r#"SELECT
                 coalesce(sum(outcome = 'issued'), 0) AS "lifetime!: i64",
                 coalesce(sum(outcome = 'issued' AND started_at >= ?), 0) AS "today!: i64",
                 coalesce(sum(outcome IN ('unknown', 'in_flight')), 0) AS "unanswered!: i64"
               FROM scheme_calls WHERE appid = ?"#,
            day_start_ms,
            appid
        )
        .fetch_one(pool)
        .await?;
        let last = sqlx::query!(
            r#"SELECT errcode AS "errcode!: i64", finished_at FROM scheme_calls
               WHERE appid = ? AND errcode IN (44990, 44993, 85400)
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
}

impl Db {
    /// Records that `sn` stands in for `derived_from` (a derived sn, migration 0010). Idempotent: a second
    /// record of the same sn keeps the first.
    pub async fn scheme_record_derived(
        &self,
        model_id: &str,
        sn: &str,
        derived_from: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::ledger::scheme_record_derived(
            pg,
            model_id,
            sn,
            derived_from,
            reason,
            now
        ));
        sqlx::query!(
            "INSERT INTO scheme_derived (model_id, sn, derived_from, reason, created_at)
             VALUES (?, ?, ?, ?, ?)
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

    /// What `sn` stands in for, if it is a derived sn.
    pub async fn scheme_derived(
        &self,
        model_id: &str,
        sn: &str,
    ) -> Result<Option<DerivedSn>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::ledger::scheme_derived(
            pg, model_id, sn
        ));
        Ok(sqlx::query_as!(
            DerivedSn,
            r#"SELECT model_id, sn, derived_from, reason, created_at
               FROM scheme_derived WHERE model_id = ? AND sn = ?"#,
            model_id,
            sn
        )
        .fetch_optional(pool)
        .await?)
    }
}

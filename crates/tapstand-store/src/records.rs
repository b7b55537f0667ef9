//! The merchant's records: mini program profiles, device models, stores and front-desk terminals.
//! Plain storage; validation and CSV handling live in `tapstand-records`.
//!
//! IDs and timestamps are i64 here and plain `number` in TypeScript (`specta_typescript::Number`): they
//! stay far below 2^53, so JSON numbers carry them exactly.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::{now_ms, sqlite_or_pg, Db, StoreError};

/// Rows per multi-row statement in a bulk import (6 bound values each: far below SQLite's limit of
/// 32,766 parameters per statement).
const BATCH_ROWS: usize = 500;

pub use tapstand_store_types::records::*;

impl Db {
    // ---- profiles -------------------------------------------------------------------------------------

    pub async fn list_profiles(&self) -> Result<Vec<Profile>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::list_profiles(pg));
        Ok(sqlx::query_as!(
            Profile,
            r#"SELECT id, name, appid, env_version, page_path, query_template,
                      secret_saved AS "secret_saved: bool", only_genuine AS "only_genuine: bool",
                      created_at, updated_at
               FROM profiles ORDER BY name"#
        )
        .fetch_all(pool)
        .await?)
    }

    pub async fn get_profile(&self, id: i64) -> Result<Option<Profile>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::get_profile(pg, id));
        Ok(sqlx::query_as!(
            Profile,
            r#"SELECT id, name, appid, env_version, page_path, query_template,
                      secret_saved AS "secret_saved: bool", only_genuine AS "only_genuine: bool",
                      created_at, updated_at
               FROM profiles WHERE id = ?"#,
            id
        )
        .fetch_optional(pool)
        .await?)
    }

    pub async fn insert_profile(&self, p: &ProfileInput) -> Result<i64, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::insert_profile(
            pg,
            p,
            now_ms()
        ));
        let now = now_ms();
        let id = sqlx::query_scalar!(
            "INSERT INTO profiles (name, appid, env_version, page_path, query_template, only_genuine,
                                   created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            p.name,
            p.appid,
            p.env_version,
            p.page_path,
            p.query_template,
            p.only_genuine,
            now,
            now
        )
        .fetch_one(pool)
        .await?;
        Ok(id)
    }

    pub async fn update_profile(&self, id: i64, p: &ProfileInput) -> Result<bool, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::update_profile(
            pg,
            id,
            p,
            now_ms()
        ));
        let now = now_ms();
        let r = sqlx::query!(
            "UPDATE profiles SET name = ?, appid = ?, env_version = ?, page_path = ?, query_template = ?,
                    only_genuine = ?, updated_at = ? WHERE id = ?",
            p.name,
            p.appid,
            p.env_version,
            p.page_path,
            p.query_template,
            p.only_genuine,
            now,
            id
        )
        .execute(pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn set_profile_secret_saved(&self, id: i64, saved: bool) -> Result<(), StoreError> {
        let pool = sqlite_or_pg!(self, |pg| {
            tapstand_store_pg::records::set_profile_secret_saved(pg, id, saved, now_ms())
        });
        let now = now_ms();
        sqlx::query!(
            "UPDATE profiles SET secret_saved = ?, updated_at = ? WHERE id = ?",
            saved,
            now,
            id
        )
        .execute(pool)
        .await?;
        Ok(())
    }

    pub async fn delete_profile(&self, id: i64) -> Result<bool, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::delete_profile(
            pg, id
        ));
        let r = sqlx::query!("DELETE FROM profiles WHERE id = ?", id)
            .execute(pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    // ---- device models --------------------------------------------------------------------------------

    pub async fn list_device_models(&self) -> Result<Vec<DeviceModel>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::list_device_models(
            pg
        ));
        Ok(sqlx::query_as!(
            DeviceModel,
            "SELECT id, profile_id, model_id, model_name, link_type, status, reject_reason, notes,
                    created_at, updated_at
             FROM device_models ORDER BY created_at DESC, id DESC"
        )
        .fetch_all(pool)
        .await?)
    }

    pub async fn get_device_model(&self, id: i64) -> Result<Option<DeviceModel>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::get_device_model(
            pg, id
        ));
        Ok(sqlx::query_as!(
            DeviceModel,
            "SELECT id, profile_id, model_id, model_name, link_type, status, reject_reason, notes,
                    created_at, updated_at
             FROM device_models WHERE id = ?",
            id
        )
        .fetch_optional(pool)
        .await?)
    }

    pub async fn insert_device_model(&self, m: &DeviceModelInput) -> Result<i64, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::insert_device_model(
            pg,
            m,
            now_ms()
        ));
        let now = now_ms();
        Ok(sqlx::query_scalar!(
            "INSERT INTO device_models (profile_id, model_id, model_name, link_type, status, reject_reason,
                                        notes, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            m.profile_id,
            m.model_id,
            m.model_name,
            m.link_type,
            m.status,
            m.reject_reason,
            m.notes,
            now,
            now
        )
        .fetch_one(pool)
        .await?)
    }

    pub async fn update_device_model(
        &self,
        id: i64,
        m: &DeviceModelInput,
    ) -> Result<bool, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::update_device_model(
            pg,
            id,
            m,
            now_ms()
        ));
        let now = now_ms();
        let r = sqlx::query!(
            "UPDATE device_models SET profile_id = ?, model_id = ?, model_name = ?, link_type = ?, status = ?,
                    reject_reason = ?, notes = ?, updated_at = ? WHERE id = ?",
            m.profile_id,
            m.model_id,
            m.model_name,
            m.link_type,
            m.status,
            m.reject_reason,
            m.notes,
            now,
            id
        )
        .execute(pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn delete_device_model(&self, id: i64) -> Result<bool, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::delete_device_model(
            pg, id
        ));
        let r = sqlx::query!("DELETE FROM device_models WHERE id = ?", id)
            .execute(pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    // ---- stores ---------------------------------------------------------------------------------------

    /// Stores matching `search` (机构编号, company or name, case-insensitive substring), archived ones only
    /// when asked, ordered by 机构编号 (numerically where it is a number).
    pub async fn list_stores(
        &self,
        search: &str,
        include_archived: bool,
    ) -> Result<Vec<Store>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::list_stores(
            pg,
            &like_pattern(search),
            include_archived
        ));
        let pattern = like_pattern(search);
        Ok(sqlx::query_as!(
            Store,
            r#"SELECT id, org_code, company, name, address, archived_at, created_at, updated_at
               FROM stores
               WHERE (?1 OR archived_at IS NULL)
                 AND (org_code LIKE ?2 ESCAPE '\' OR company LIKE ?2 ESCAPE '\' OR name LIKE ?2 ESCAPE '\')
               ORDER BY CAST(org_code AS INTEGER), org_code"#,
            include_archived,
            pattern,
        )
        .fetch_all(pool)
        .await?)
    }

    pub async fn get_store(&self, id: i64) -> Result<Option<Store>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::get_store(pg, id));
        Ok(sqlx::query_as!(
            Store,
            "SELECT id, org_code, company, name, address, archived_at, created_at, updated_at
             FROM stores WHERE id = ?",
            id
        )
        .fetch_optional(pool)
        .await?)
    }

    pub async fn store_by_org_code(&self, org_code: &str) -> Result<Option<Store>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::store_by_org_code(
            pg, org_code
        ));
        Ok(sqlx::query_as!(
            Store,
            "SELECT id, org_code, company, name, address, archived_at, created_at, updated_at
             FROM stores WHERE org_code = ?",
            org_code
        )
        .fetch_optional(pool)
        .await?)
    }

    pub async fn insert_store(&self, s: &StoreInput) -> Result<i64, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::insert_store(
            pg,
            s,
            now_ms()
        ));
        let now = now_ms();
        Ok(sqlx::query_scalar!(
            "INSERT INTO stores (org_code, company, name, address, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            s.org_code,
            s.company,
            s.name,
            s.address,
            now,
            now
        )
        .fetch_one(pool)
        .await?)
    }

    pub async fn update_store(&self, id: i64, s: &StoreInput) -> Result<bool, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::update_store(
            pg,
            id,
            s,
            now_ms()
        ));
        let now = now_ms();
        let r = sqlx::query!(
            "UPDATE stores SET org_code = ?, company = ?, name = ?, address = ?, updated_at = ? WHERE id = ?",
            s.org_code,
            s.company,
            s.name,
            s.address,
            now,
            id
        )
        .execute(pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn set_store_archived(&self, id: i64, archived: bool) -> Result<bool, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| {
            let now = now_ms();
            tapstand_store_pg::records::set_store_archived(pg, id, archived.then_some(now), now)
        });
        let now = now_ms();
        let at = archived.then_some(now);
        let r = sqlx::query!(
            "UPDATE stores SET archived_at = ?, updated_at = ? WHERE id = ?",
            at,
            now,
            id
        )
        .execute(pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Deletes a store. Fails with a foreign-key error (see [`StoreError::is_referenced`]) when terminals or
    /// written tags still refer to it: archive it instead.
    pub async fn delete_store(&self, id: i64) -> Result<bool, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::delete_store(pg, id));
        let r = sqlx::query!("DELETE FROM stores WHERE id = ?", id)
            .execute(pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Inserts or updates stores by 机构编号 in ONE transaction: all rows or none.
    pub async fn upsert_stores(&self, rows: &[StoreInput]) -> Result<Vec<Upsert>, StoreError> {
        sqlite_or_pg!(self, |pg| tapstand_store_pg::records::upsert_stores(
            pg,
            rows,
            now_ms()
        ));
        self.upsert(rows).await
    }

    // ---- terminals ------------------------------------------------------------------------------------

    pub async fn list_terminals(
        &self,
        search: &str,
        include_archived: bool,
    ) -> Result<Vec<Terminal>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::list_terminals(
            pg,
            &like_pattern(search),
            include_archived
        ));
        let pattern = like_pattern(search);
        Ok(sqlx::query_as!(
            Terminal,
            r#"SELECT t.id, t.store_id, t.machine_no, t.terminal_no, t.note, t.archived_at, t.created_at,
                      t.updated_at
               FROM terminals t LEFT JOIN stores s ON s.id = t.store_id
               WHERE (?1 OR t.archived_at IS NULL)
                 AND (t.machine_no LIKE ?2 ESCAPE '\' OR t.terminal_no LIKE ?2 ESCAPE '\'
                      OR t.note LIKE ?2 ESCAPE '\' OR coalesce(s.name, '') LIKE ?2 ESCAPE '\')
               ORDER BY CAST(t.machine_no AS INTEGER), t.machine_no, t.terminal_no"#,
            include_archived,
            pattern,
        )
        .fetch_all(pool)
        .await?)
    }

    pub async fn get_terminal(&self, id: i64) -> Result<Option<Terminal>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::get_terminal(pg, id));
        Ok(sqlx::query_as!(
            Terminal,
            "SELECT id, store_id, machine_no, terminal_no, note, archived_at, created_at, updated_at
             FROM terminals WHERE id = ?",
            id
        )
        .fetch_optional(pool)
        .await?)
    }

    pub async fn insert_terminal(&self, t: &TerminalInput) -> Result<i64, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::insert_terminal(
            pg,
            t,
            now_ms()
        ));
        let now = now_ms();
        Ok(sqlx::query_scalar!(
            "INSERT INTO terminals (store_id, machine_no, terminal_no, note, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            t.store_id,
            t.machine_no,
            t.terminal_no,
            t.note,
            now,
            now
        )
        .fetch_one(pool)
        .await?)
    }

    pub async fn update_terminal(&self, id: i64, t: &TerminalInput) -> Result<bool, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::update_terminal(
            pg,
            id,
            t,
            now_ms()
        ));
        let now = now_ms();
        let r = sqlx::query!(
            "UPDATE terminals SET store_id = ?, machine_no = ?, terminal_no = ?, note = ?, updated_at = ?
             WHERE id = ?",
            t.store_id,
            t.machine_no,
            t.terminal_no,
            t.note,
            now,
            id
        )
        .execute(pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn set_terminal_archived(&self, id: i64, archived: bool) -> Result<bool, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| {
            let now = now_ms();
            tapstand_store_pg::records::set_terminal_archived(pg, id, archived.then_some(now), now)
        });
        let now = now_ms();
        let at = archived.then_some(now);
        let r = sqlx::query!(
            "UPDATE terminals SET archived_at = ?, updated_at = ? WHERE id = ?",
            at,
            now,
            id
        )
        .execute(pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn delete_terminal(&self, id: i64) -> Result<bool, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::records::delete_terminal(
            pg, id
        ));
        let r = sqlx::query!("DELETE FROM terminals WHERE id = ?", id)
            .execute(pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Inserts or updates terminals by 终端号 in ONE transaction: all rows or none.
    pub async fn upsert_terminals(
        &self,
        rows: &[TerminalInput],
    ) -> Result<Vec<Upsert>, StoreError> {
        sqlite_or_pg!(self, |pg| tapstand_store_pg::records::upsert_terminals(
            pg,
            rows,
            now_ms()
        ));
        self.upsert(rows).await
    }

    /// Inserts or updates `rows` by their key in ONE transaction: all rows or none.
    async fn upsert<R: BulkRow>(&self, rows: &[R]) -> Result<Vec<Upsert>, StoreError> {
        // One read of the existing rows and multi-row INSERT / UPDATE statements, all in one
        // transaction: a statement per row costs a round trip to SQLite's worker thread each, which made
        // 10,000 rows take ~1.7 s; batched it is ~0.1 s (benchmarks/records.md).
        let pool = self.pool();
        let mut tx = pool.begin().await?;
        let now = now_ms();
        let existing: HashMap<String, (i64, R)> = R::existing(&mut tx)
            .await?
            .into_iter()
            .map(|(id, r)| (r.key().to_owned(), (id, r)))
            .collect();
        let plan = plan_upsert(rows, &existing);
        for chunk in plan.inserts.chunks(BATCH_ROWS) {
            R::insert_batch(chunk, now)
                .build()
                .execute(&mut *tx)
                .await?;
        }
        for chunk in plan.updates.chunks(BATCH_ROWS) {
            R::update_batch(chunk, now)
                .build()
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(plan.outcome)
    }
}

/// A record a bulk import inserts or updates by its key (a store's 机构编号, a terminal's 终端号). The SQL
/// of each kind is here, literal; planning and batching are [`Db::upsert`]'s.
trait BulkRow: UpsertKey + Sized {
    /// Every stored row, with its id.
    async fn existing(conn: &mut SqliteConnection) -> Result<Vec<(i64, Self)>, sqlx::Error>;
    /// One multi-row INSERT of `rows`, created and updated at `now`.
    fn insert_batch(rows: &[&Self], now: i64) -> QueryBuilder<Sqlite>;
    /// One multi-row UPDATE of the rows with these ids (everything but the key), updated at `now`.
    fn update_batch(rows: &[(i64, &Self)], now: i64) -> QueryBuilder<Sqlite>;
}

impl BulkRow for StoreInput {
    async fn existing(conn: &mut SqliteConnection) -> Result<Vec<(i64, Self)>, sqlx::Error> {
        Ok(sqlx::query_as::<_, (i64, String, String, String, String)>(
            "SELECT id, org_code, company, name, address FROM stores",
        )
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|(id, org_code, company, name, address)| {
            let s = StoreInput {
                org_code,
                company,
                name,
                address,
            };
            (id, s)
        })
        .collect())
    }

    fn insert_batch(rows: &[&Self], now: i64) -> QueryBuilder<Sqlite> {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO stores (org_code, company, name, address, created_at, updated_at) ",
        );
        q.push_values(rows, |mut b, s| {
            b.push_bind(s.org_code.clone())
                .push_bind(s.company.clone())
                .push_bind(s.name.clone())
                .push_bind(s.address.clone())
                .push_bind(now)
                .push_bind(now);
        });
        q
    }

    fn update_batch(rows: &[(i64, &Self)], now: i64) -> QueryBuilder<Sqlite> {
        let mut q = QueryBuilder::<Sqlite>::new("WITH v (id, company, name, address) AS (");
        q.push_values(rows, |mut b, (id, s)| {
            b.push_bind(*id)
                .push_bind(s.company.clone())
                .push_bind(s.name.clone())
                .push_bind(s.address.clone());
        });
        q.push(") UPDATE stores SET company = v.company, name = v.name, address = v.address, updated_at = ");
        q.push_bind(now);
        q.push(" FROM v WHERE stores.id = v.id");
        q
    }
}

impl BulkRow for TerminalInput {
    async fn existing(conn: &mut SqliteConnection) -> Result<Vec<(i64, Self)>, sqlx::Error> {
        Ok(
            sqlx::query_as::<_, (i64, String, Option<i64>, String, String)>(
                "SELECT id, terminal_no, store_id, machine_no, note FROM terminals",
            )
            .fetch_all(conn)
            .await?
            .into_iter()
            .map(|(id, terminal_no, store_id, machine_no, note)| {
                let t = TerminalInput {
                    store_id,
                    machine_no,
                    terminal_no,
                    note,
                };
                (id, t)
            })
            .collect(),
        )
    }

    fn insert_batch(rows: &[&Self], now: i64) -> QueryBuilder<Sqlite> {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO terminals (store_id, machine_no, terminal_no, note, created_at, updated_at) ",
        );
        q.push_values(rows, |mut b, t| {
            b.push_bind(t.store_id)
                .push_bind(t.machine_no.clone())
                .push_bind(t.terminal_no.clone())
                .push_bind(t.note.clone())
                .push_bind(now)
                .push_bind(now);
        });
        q
    }

    fn update_batch(rows: &[(i64, &Self)], now: i64) -> QueryBuilder<Sqlite> {
        let mut q = QueryBuilder::<Sqlite>::new("WITH v (id, store_id, machine_no, note) AS (");
        q.push_values(rows, |mut b, (id, t)| {
            b.push_bind(*id)
                .push_bind(t.store_id)
                .push_bind(t.machine_no.clone())
                .push_bind(t.note.clone());
        });
        q.push(") UPDATE terminals SET store_id = v.store_id, machine_no = v.machine_no, note = v.note, updated_at = ");
        q.push_bind(now);
        q.push(" FROM v WHERE terminals.id = v.id");
        q
    }
}

impl StoreError {
    /// A UNIQUE constraint failed (duplicate 机构编号, 终端号, AppID, model_id, ...).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Sqlx(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
    /// A row is still referenced by others (a FOREIGN KEY constraint failed on delete).
    /// SQLite reports an immediate foreign-key failure on DELETE with the extended code
    /// SQLITE_CONSTRAINT_TRIGGER (1811), which sqlx does not classify as a foreign-key violation, so the
    /// message is checked too. PostgreSQL reports 23503 (foreign_key_violation).
    pub fn is_referenced(&self) -> bool {
        matches!(self, StoreError::Sqlx(sqlx::Error::Database(e))
            if e.is_foreign_key_violation() || e.message().contains("FOREIGN KEY constraint failed"))
    }
}

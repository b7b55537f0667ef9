//! Profiles, device models, stores and terminals (`tapstand_store::records`).
//!
//! Searches use ILIKE (SQLite's LIKE is case-insensitive for ASCII); text ordering is `COLLATE "C"`, the
//! byte order SQLite's BINARY collation gives, whatever the server's locale; "numerically where it is a
//! number" is the leading integer of the text, 0 when there is none — what SQLite's `CAST(x AS INTEGER)`
//! yields.

use std::collections::HashMap;

use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use tapstand_store_types::records::*;

/// Rows per multi-row statement in a bulk import (6 bound values each; PostgreSQL allows 65,535).
const BATCH_ROWS: usize = 500;

pub async fn list_profiles(pool: &PgPool) -> Result<Vec<Profile>, sqlx::Error> {
    sqlx::query_as!(
        Profile,
        r#"SELECT id, name, appid, env_version, page_path, query_template, secret_saved, only_genuine,
                  created_at, updated_at
           FROM profiles ORDER BY name COLLATE "C""#
    )
    .fetch_all(pool)
    .await
}

pub async fn get_profile(pool: &PgPool, id: i64) -> Result<Option<Profile>, sqlx::Error> {
    sqlx::query_as!(
        Profile,
        "SELECT id, name, appid, env_version, page_path, query_template, secret_saved, only_genuine,
                created_at, updated_at
         FROM profiles WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await
}

pub async fn insert_profile(pool: &PgPool, p: &ProfileInput, now: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO profiles (name, appid, env_version, page_path, query_template, only_genuine,
                               created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        p.name,
        p.appid,
        p.env_version,
        p.page_path,
        p.query_template,
        p.only_genuine,
        now
    )
    .fetch_one(pool)
    .await
}

pub async fn update_profile(
    pool: &PgPool,
    id: i64,
    p: &ProfileInput,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query!(
        "UPDATE profiles SET name = $1, appid = $2, env_version = $3, page_path = $4, query_template = $5,
                only_genuine = $6, updated_at = $7 WHERE id = $8",
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

pub async fn set_profile_secret_saved(
    pool: &PgPool,
    id: i64,
    saved: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE profiles SET secret_saved = $1, updated_at = $2 WHERE id = $3",
        saved,
        now,
        id
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn delete_profile(pool: &PgPool, id: i64) -> Result<bool, sqlx::Error> {
    let r = sqlx::query!("DELETE FROM profiles WHERE id = $1", id)
        .execute(pool)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn list_device_models(pool: &PgPool) -> Result<Vec<DeviceModel>, sqlx::Error> {
    sqlx::query_as!(
        DeviceModel,
        "SELECT id, profile_id, model_id, model_name, link_type, status, reject_reason, notes,
                created_at, updated_at
         FROM device_models ORDER BY created_at DESC, id DESC"
    )
    .fetch_all(pool)
    .await
}

pub async fn get_device_model(pool: &PgPool, id: i64) -> Result<Option<DeviceModel>, sqlx::Error> {
    sqlx::query_as!(
        DeviceModel,
        "SELECT id, profile_id, model_id, model_name, link_type, status, reject_reason, notes,
                created_at, updated_at
         FROM device_models WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await
}

pub async fn insert_device_model(
    pool: &PgPool,
    m: &DeviceModelInput,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO device_models (profile_id, model_id, model_name, link_type, status, reject_reason,
                                    notes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        m.profile_id,
        m.model_id,
        m.model_name,
        m.link_type,
        m.status,
        m.reject_reason,
        m.notes,
        now
    )
    .fetch_one(pool)
    .await
}

pub async fn update_device_model(
    pool: &PgPool,
    id: i64,
    m: &DeviceModelInput,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query!(
        "UPDATE device_models SET profile_id = $1, model_id = $2, model_name = $3, link_type = $4,
                status = $5, reject_reason = $6, notes = $7, updated_at = $8 WHERE id = $9",
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

pub async fn delete_device_model(pool: &PgPool, id: i64) -> Result<bool, sqlx::Error> {
    let r = sqlx::query!("DELETE FROM device_models WHERE id = $1", id)
        .execute(pool)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn list_stores(
    pool: &PgPool,
    pattern: &str,
    include_archived: bool,
) -> Result<Vec<Store>, sqlx::Error> {
    sqlx::query_as!(
        Store,
        r#"SELECT id, org_code, company, name, address, archived_at, created_at, updated_at
           FROM stores
           WHERE ($1 OR archived_at IS NULL)
             AND (org_code ILIKE $2 ESCAPE '\' OR company ILIKE $2 ESCAPE '\' OR name ILIKE $2 ESCAPE '\')
           ORDER BY coalesce(substring(org_code FROM '^\s*([+-]?[0-9]{1,18})')::int8, 0),
                    org_code COLLATE "C""#,
        include_archived,
        pattern,
    )
    .fetch_all(pool)
    .await
}

pub async fn get_store(pool: &PgPool, id: i64) -> Result<Option<Store>, sqlx::Error> {
    sqlx::query_as!(
        Store,
        "SELECT id, org_code, company, name, address, archived_at, created_at, updated_at
         FROM stores WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await
}

pub async fn store_by_org_code(
    pool: &PgPool,
    org_code: &str,
) -> Result<Option<Store>, sqlx::Error> {
    sqlx::query_as!(
        Store,
        "SELECT id, org_code, company, name, address, archived_at, created_at, updated_at
         FROM stores WHERE org_code = $1",
        org_code
    )
    .fetch_optional(pool)
    .await
}

pub async fn insert_store(pool: &PgPool, s: &StoreInput, now: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO stores (org_code, company, name, address, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        s.org_code,
        s.company,
        s.name,
        s.address,
        now
    )
    .fetch_one(pool)
    .await
}

pub async fn update_store(
    pool: &PgPool,
    id: i64,
    s: &StoreInput,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query!(
        "UPDATE stores SET org_code = $1, company = $2, name = $3, address = $4, updated_at = $5 WHERE id = $6",
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

pub async fn set_store_archived(
    pool: &PgPool,
    id: i64,
    at: Option<i64>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query!(
        "UPDATE stores SET archived_at = $1, updated_at = $2 WHERE id = $3",
        at,
        now,
        id
    )
    .execute(pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn delete_store(pool: &PgPool, id: i64) -> Result<bool, sqlx::Error> {
    let r = sqlx::query!("DELETE FROM stores WHERE id = $1", id)
        .execute(pool)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn list_terminals(
    pool: &PgPool,
    pattern: &str,
    include_archived: bool,
) -> Result<Vec<Terminal>, sqlx::Error> {
    sqlx::query_as!(
        Terminal,
        r#"SELECT t.id, t.store_id, t.machine_no, t.terminal_no, t.note, t.archived_at, t.created_at,
                  t.updated_at
           FROM terminals t LEFT JOIN stores s ON s.id = t.store_id
           WHERE ($1 OR t.archived_at IS NULL)
             AND (t.machine_no ILIKE $2 ESCAPE '\' OR t.terminal_no ILIKE $2 ESCAPE '\'
                  OR t.note ILIKE $2 ESCAPE '\' OR coalesce(s.name, '') ILIKE $2 ESCAPE '\')
           ORDER BY coalesce(substring(t.machine_no FROM '^\s*([+-]?[0-9]{1,18})')::int8, 0),
                    t.machine_no COLLATE "C", t.terminal_no COLLATE "C""#,
        include_archived,
        pattern,
    )
    .fetch_all(pool)
    .await
}

pub async fn get_terminal(pool: &PgPool, id: i64) -> Result<Option<Terminal>, sqlx::Error> {
    sqlx::query_as!(
        Terminal,
        "SELECT id, store_id, machine_no, terminal_no, note, archived_at, created_at, updated_at
         FROM terminals WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await
}

pub async fn insert_terminal(
    pool: &PgPool,
    t: &TerminalInput,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO terminals (store_id, machine_no, terminal_no, note, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        t.store_id,
        t.machine_no,
        t.terminal_no,
        t.note,
        now
    )
    .fetch_one(pool)
    .await
}

pub async fn update_terminal(
    pool: &PgPool,
    id: i64,
    t: &TerminalInput,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query!(
        "UPDATE terminals SET store_id = $1, machine_no = $2, terminal_no = $3, note = $4, updated_at = $5
         WHERE id = $6",
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

pub async fn set_terminal_archived(
    pool: &PgPool,
    id: i64,
    at: Option<i64>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query!(
        "UPDATE terminals SET archived_at = $1, updated_at = $2 WHERE id = $3",
        at,
        now,
        id
    )
    .execute(pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn delete_terminal(pool: &PgPool, id: i64) -> Result<bool, sqlx::Error> {
    let r = sqlx::query!("DELETE FROM terminals WHERE id = $1", id)
        .execute(pool)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn upsert_stores(
    pool: &PgPool,
    rows: &[StoreInput],
    now: i64,
) -> Result<Vec<Upsert>, sqlx::Error> {
    upsert(pool, rows, now).await
}

pub async fn upsert_terminals(
    pool: &PgPool,
    rows: &[TerminalInput],
    now: i64,
) -> Result<Vec<Upsert>, sqlx::Error> {
    upsert(pool, rows, now).await
}

/// Inserts or updates `rows` by their key in ONE transaction: all rows or none. The table is locked
/// against other writers for the transaction (SHARE ROW EXCLUSIVE: readers go on), so two PCs importing at
/// once cannot both plan an insert of the same key.
async fn upsert<R: BulkRow>(
    pool: &PgPool,
    rows: &[R],
    now: i64,
) -> Result<Vec<Upsert>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(R::LOCK).execute(&mut *tx).await?;
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

trait BulkRow: UpsertKey + Sized {
    const LOCK: &'static str;
    async fn existing(conn: &mut PgConnection) -> Result<Vec<(i64, Self)>, sqlx::Error>;
    fn insert_batch(rows: &[&Self], now: i64) -> QueryBuilder<Postgres>;
    fn update_batch(rows: &[(i64, &Self)], now: i64) -> QueryBuilder<Postgres>;
}

impl BulkRow for StoreInput {
    const LOCK: &'static str = "LOCK TABLE stores IN SHARE ROW EXCLUSIVE MODE";

    async fn existing(conn: &mut PgConnection) -> Result<Vec<(i64, Self)>, sqlx::Error> {
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

    fn insert_batch(rows: &[&Self], now: i64) -> QueryBuilder<Postgres> {
        let mut q = QueryBuilder::<Postgres>::new(
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

    fn update_batch(rows: &[(i64, &Self)], now: i64) -> QueryBuilder<Postgres> {
        let mut q = QueryBuilder::<Postgres>::new("WITH v (id, company, name, address) AS (");
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
    const LOCK: &'static str = "LOCK TABLE terminals IN SHARE ROW EXCLUSIVE MODE";

    async fn existing(conn: &mut PgConnection) -> Result<Vec<(i64, Self)>, sqlx::Error> {
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

    fn insert_batch(rows: &[&Self], now: i64) -> QueryBuilder<Postgres> {
        let mut q = QueryBuilder::<Postgres>::new(
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

    fn update_batch(rows: &[(i64, &Self)], now: i64) -> QueryBuilder<Postgres> {
        let mut q = QueryBuilder::<Postgres>::new("WITH v (id, store_id, machine_no, note) AS (");
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

//! Key/value settings (`tapstand_store::settings`).

use sqlx::PgPool;

pub async fn get_setting(pool: &PgPool, key: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!("SELECT value FROM settings WHERE key = $1", key)
        .fetch_optional(pool)
        .await
}

pub async fn set_setting(
    pool: &PgPool,
    key: &str,
    value: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        key,
        value,
        now
    )
    .execute(pool)
    .await?;
    Ok(())
}

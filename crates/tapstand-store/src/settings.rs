//! Key/value settings (language, operator name, ...). Never secrets: those live in the OS keychain.

use crate::{now_ms, sqlite_or_pg, Db, StoreError};

impl Db {
    pub async fn get_setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::settings::get_setting(pg, key));
        let v = sqlx::query_scalar!("SELECT value FROM settings WHERE key = ?", key)
            .fetch_optional(pool)
            .await?;
        Ok(v)
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let pool = sqlite_or_pg!(self, |pg| tapstand_store_pg::settings::set_setting(
            pg,
            key,
            value,
            now_ms()
        ));
        let now = now_ms();
        sqlx::query!(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            key,
            value,
            now
        )
        .execute(pool)
        .await?;
        Ok(())
    }
}

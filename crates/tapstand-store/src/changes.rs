//! Team mode: other PCs' changes. On PostgreSQL the tables the merchant's lists show notify
//! `tapstand_changes` with their name at every committed change (`migrations-pg/0009_notify.sql`);
//! [`Db::watch_changes`] LISTENs on its own connection and hands the table names on. A SQLite database
//! belongs to one PC: there is nothing to watch.

use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::mpsc;

use crate::{Backend, Db, StoreError};

/// The channel the triggers notify.
pub const CHANNEL: &str = "tapstand_changes";

/// Sent instead of a table name after the listening connection was lost and re-made: changes may have
/// been missed meanwhile, so every list should reload.
pub const EVERYTHING: &str = "*";

impl Db {
    /// A receiver of changed table names (`stores`, `terminals`, `station_tags`, `profiles`,
    /// `device_models`, or [`EVERYTHING`]) committed by any process on this team database, this one
    /// included; `None` on SQLite. Listening stops when the receiver is dropped.
    pub async fn watch_changes(&self) -> Result<Option<mpsc::Receiver<String>>, StoreError> {
        let Backend::Pg(pool) = &self.backend else {
            return Ok(None);
        };
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                // try_recv: Ok(None) when the connection was lost (the next call reconnects).
                let table = match listener.try_recv().await {
                    Ok(Some(n)) => n.payload().to_string(),
                    Ok(None) => EVERYTHING.to_string(),
                    Err(e) => {
                        tracing::warn!("team database change listener: {e}");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                if tx.send(table).await.is_err() {
                    break; // nobody watches any more
                }
            }
        });
        Ok(Some(rx))
    }
}

//! The types of Tapstand's storage: the rows and inputs that `tapstand-store`'s [`Db`] reads and writes,
//! whichever backend holds them (SQLite, `tapstand-store`; PostgreSQL, `tapstand-store-pg`). They live in
//! their own crate because both backends' query crates need them and `tapstand-store` depends on the
//! PostgreSQL one. No SQL here; `tapstand-store` re-exports every item in its module of the same name
//! (`tapstand_store::ledger::SchemeRow`, …), so nothing above the storage crate names this crate.
//!
//! [`Db`]: https://docs.rs/tapstand-store

pub mod ledger;
pub mod pool;
pub mod records;
pub mod stand;
pub mod station;
pub mod wxacode;

/// Current time as unix milliseconds (the representation of every timestamp in the database).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

//! The PostgreSQL queries of Tapstand's storage (team mode). Nothing above the storage crate calls these:
//! `tapstand_store::Db` does, when it was opened on a `postgres://` URL. Each function is the twin of the
//! SQLite query in the `tapstand-store` method of the same name, with the same meaning; where the SQL
//! differs the comment says why (flags are `BOOLEAN`, `?` is `$n`, LIKE is ILIKE because SQLite's LIKE is
//! case-insensitive for ASCII, text ordering is `COLLATE "C"` as SQLite's BINARY, …). Every function that
//! writes more than one statement takes a transaction of its own and commits it.

pub mod ledger;
pub mod pool;
pub mod records;
pub mod settings;
pub mod stand;
pub mod station;
pub mod wxacode;

pub use sqlx::postgres::PgPool;

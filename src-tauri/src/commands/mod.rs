//! Tauri commands, one module per area. Each command is a thin call into the Tauri-free crates.

pub mod app;
pub mod history;
pub mod print;
pub mod records;
pub mod stand;
pub mod station;
pub mod team;
pub mod update;

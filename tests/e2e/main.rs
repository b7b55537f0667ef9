//! End-to-end tests through the real window. Run them with `scripts/e2e.sh` (they are #[ignore]d in a
//! plain `cargo test`, which has no display and no WebDriver).

mod excel;
mod harness;
mod print;
mod records;
mod shell;
mod single_instance;
mod stand;
mod station;
mod team;
mod xwindow;

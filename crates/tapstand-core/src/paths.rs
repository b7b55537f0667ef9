//! Where Tapstand keeps its files. The same rules for the app and `tapstand-cli`, matching Tauri's
//! `app_data_dir` / `app_log_dir` for the identifier, so both always open the same database.

use std::path::PathBuf;

use serde::Serialize;

/// The app identifier (tauri.conf.json `identifier`).
pub const APP_IDENTIFIER: &str = "cn.tapstand.app";
/// Overrides the data directory (database, logs, caches) for the app and the CLI alike.
pub const DATA_DIR_ENV: &str = "TAPSTAND_DATA_DIR";

#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct AppPaths {
    pub data_dir: PathBuf,
    pub db_path: PathBuf,
    pub log_dir: PathBuf,
}

impl AppPaths {
    /// An explicit directory (`--data-dir`) wins over `TAPSTAND_DATA_DIR` (logs then go to `DIR/logs`),
    /// which wins over the OS locations.
    pub fn resolve_with(explicit: Option<PathBuf>) -> Result<AppPaths, String> {
        if let Some(dir) = explicit {
            return Ok(Self::under(dir));
        }
        if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
            return Ok(Self::under(PathBuf::from(dir)));
        }
        let data_dir = dirs::data_dir()
            .ok_or("the OS reports no application-data directory")?
            .join(APP_IDENTIFIER);
        let log_dir = if cfg!(target_os = "macos") {
            dirs::home_dir()
                .ok_or("no home directory")?
                .join("Library/Logs")
                .join(APP_IDENTIFIER)
        } else {
            dirs::data_local_dir()
                .ok_or("no local application-data directory")?
                .join(APP_IDENTIFIER)
                .join("logs")
        };
        Ok(AppPaths {
            db_path: data_dir.join(tapstand_store::DB_FILE_NAME),
            data_dir,
            log_dir,
        })
    }

    /// Everything under one directory (tests, portable installs).
    pub fn under(dir: PathBuf) -> AppPaths {
        AppPaths {
            db_path: dir.join(tapstand_store::DB_FILE_NAME),
            log_dir: dir.join("logs"),
            data_dir: dir,
        }
    }
}

/// The value of `--data-dir DIR` or `--data-dir=DIR` among the process arguments (other arguments are
/// ignored: WebDriver and the OS may add their own).
pub fn data_dir_arg(args: impl IntoIterator<Item = std::ffi::OsString>) -> Option<PathBuf> {
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        if a == "--data-dir" {
            return args.next().map(PathBuf::from);
        }
        if let Some(v) = a.to_str().and_then(|s| s.strip_prefix("--data-dir=")) {
            return Some(PathBuf::from(v));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_dir_argument_forms() {
        let args = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(
            data_dir_arg(args(&["app", "--data-dir", "/x"])),
            Some(PathBuf::from("/x"))
        );
        assert_eq!(
            data_dir_arg(args(&["app", "--automation", "--data-dir=/y"])),
            Some(PathBuf::from("/y"))
        );
        assert_eq!(data_dir_arg(args(&["app", "--other"])), None);
        let p = AppPaths::resolve_with(Some(PathBuf::from("/data"))).unwrap();
        assert_eq!(p.db_path, PathBuf::from("/data/tapstand.db"));
        assert_eq!(p.log_dir, PathBuf::from("/data/logs"));
    }
}

//! Where Tapstand keeps its files. The same rules for the app and `tapstand-cli`, matching Tauri's
//! `app_data_dir` / `app_log_dir` for the identifier, so both always open the same database.

use std::path::{Path, PathBuf};

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
        // The local (not roaming) application-data folder: on Windows %LOCALAPPDATA%, never %APPDATA%
        // (Roaming), which a domain's roaming profile copies to a server at every logoff and back at logon —
        // a SQLite file there is slow to sync, can be overwritten by another PC's copy, and its -wal file may
        // travel without it. On Linux and macOS both are the same folder.
        let data_dir = dirs::data_local_dir()
            .ok_or("the OS reports no local application-data directory")?
            .join(APP_IDENTIFIER);
        let data_dir = match dirs::data_dir() {
            Some(roaming) if cfg!(windows) => {
                adopt_earlier_folder(&roaming.join(APP_IDENTIFIER), &data_dir)
            }
            _ => data_dir,
        };
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

/// Earlier versions kept the database in the roaming folder (Windows `%APPDATA%\cn.tapstand.app`; their logs
/// were already local). When that folder holds a database and the local one does not, its files are moved
/// into the local folder: renames on the same drive, nothing copied half-way. The database, its `-wal` and
/// `-shm` files move as one (if any of them cannot be moved, those already moved go back). If the move fails
/// (a file open in another program, another drive), nothing changes and the earlier folder is used where it is,
/// so the merchant's records never disappear and two databases never exist side by side; the next start
/// tries again. `doctor` shows the folder in use. Returns that folder.
pub fn adopt_earlier_folder(earlier: &Path, local: &Path) -> PathBuf {
    let db = tapstand_store::DB_FILE_NAME;
    if !earlier.join(db).is_file() || local.join(db).exists() {
        return local.to_path_buf();
    }
    if std::fs::create_dir_all(local).is_err() {
        return earlier.to_path_buf();
    }
    // The database last: while it has not moved, the earlier folder is still complete.
    let set = [format!("{db}-wal"), format!("{db}-shm"), db.to_string()];
    let mut moved: Vec<&str> = Vec::new();
    for name in &set {
        let from = earlier.join(name);
        if !from.exists() {
            continue;
        }
        if local.join(name).exists() || std::fs::rename(&from, local.join(name)).is_err() {
            for back in moved.iter().rev() {
                let _ = std::fs::rename(local.join(back), earlier.join(back));
            }
            return earlier.to_path_buf();
        }
        moved.push(name);
    }
    // Everything else (caches, exports) follows, best effort: the database already lives locally.
    if let Ok(entries) = std::fs::read_dir(earlier) {
        for entry in entries.flatten() {
            let to = local.join(entry.file_name());
            if !to.exists() {
                let _ = std::fs::rename(entry.path(), to);
            }
        }
    }
    let _ = std::fs::remove_dir(earlier); // only when it is empty
    local.to_path_buf()
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

/// The value of `--database-url URL` or `--database-url=URL` among the process arguments (the app's
/// team database; other arguments are ignored), else `TAPSTAND_DATABASE_URL`.
pub fn database_url_arg(args: impl IntoIterator<Item = std::ffi::OsString>) -> Option<String> {
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        if a == "--database-url" {
            return args.next().and_then(|v| v.into_string().ok());
        }
        if let Some(v) = a.to_str().and_then(|s| s.strip_prefix("--database-url=")) {
            return Some(v.to_string());
        }
    }
    std::env::var(crate::DATABASE_URL_ENV)
        .ok()
        .filter(|u| !u.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_argument_forms() {
        let args = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(
            database_url_arg(args(&["app", "--database-url", "postgres://a@b/c"])).as_deref(),
            Some("postgres://a@b/c")
        );
        assert_eq!(
            database_url_arg(args(&["app", "--x", "--database-url=sqlite:/t.db"])).as_deref(),
            Some("sqlite:/t.db")
        );
    }

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

    #[test]
    fn an_earlier_roaming_folder_is_moved_whole_or_used_as_it_is() {
        let t = tempfile::tempdir().unwrap();
        let earlier = t.path().join("Roaming/cn.tapstand.app");
        let local = t.path().join("Local/cn.tapstand.app");
        // Nothing earlier: the local folder.
        assert_eq!(adopt_earlier_folder(&earlier, &local), local);

        // An earlier database with its WAL and a cache, and the local folder already holding logs.
        std::fs::create_dir_all(earlier.join("cache")).unwrap();
        std::fs::write(earlier.join("tapstand.db"), b"db").unwrap();
        std::fs::write(earlier.join("tapstand.db-wal"), b"wal").unwrap();
        std::fs::write(earlier.join("cache/x"), b"c").unwrap();
        std::fs::create_dir_all(local.join("logs")).unwrap();
        assert_eq!(adopt_earlier_folder(&earlier, &local), local);
        assert_eq!(std::fs::read(local.join("tapstand.db")).unwrap(), b"db");
        assert_eq!(
            std::fs::read(local.join("tapstand.db-wal")).unwrap(),
            b"wal"
        );
        assert_eq!(std::fs::read(local.join("cache/x")).unwrap(), b"c");
        assert!(local.join("logs").is_dir());
        assert!(!earlier.exists());

        // A local database wins: an earlier one is left alone.
        std::fs::create_dir_all(&earlier).unwrap();
        std::fs::write(earlier.join("tapstand.db"), b"old").unwrap();
        assert_eq!(adopt_earlier_folder(&earlier, &local), local);
        assert_eq!(std::fs::read(local.join("tapstand.db")).unwrap(), b"db");
        assert_eq!(std::fs::read(earlier.join("tapstand.db")).unwrap(), b"old");
    }

    #[test]
    fn a_move_that_fails_half_way_goes_back_and_the_earlier_folder_is_used() {
        let t = tempfile::tempdir().unwrap();
        let earlier = t.path().join("Roaming/cn.tapstand.app");
        let local = t.path().join("Local/cn.tapstand.app");
        std::fs::create_dir_all(&earlier).unwrap();
        std::fs::write(earlier.join("tapstand.db"), b"db").unwrap();
        std::fs::write(earlier.join("tapstand.db-wal"), b"wal").unwrap();
        // A stray -shm in the local folder blocks the set after the -wal has moved.
        std::fs::create_dir_all(&local).unwrap();
        std::fs::write(earlier.join("tapstand.db-shm"), b"shm").unwrap();
        std::fs::write(local.join("tapstand.db-shm"), b"stray").unwrap();
        assert_eq!(adopt_earlier_folder(&earlier, &local), earlier);
        assert_eq!(
            std::fs::read(earlier.join("tapstand.db-wal")).unwrap(),
            b"wal"
        );
        assert_eq!(std::fs::read(earlier.join("tapstand.db")).unwrap(), b"db");
        assert!(!local.join("tapstand.db-wal").exists());
        assert!(!local.join("tapstand.db").exists());
    }
}

//! `doctor`: what support needs to know, in one report (the CLI prints it, Settings shows it).

use serde::Serialize;
use tapstand_secrets::Keychain;
use tapstand_store::{known_schema_version, Db, FileState};

use crate::{paths::AppPaths, UserError, APP_VERSION};

#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct DoctorReport {
    pub app_version: String,
    pub os: String,
    pub arch: String,
    pub data_dir: String,
    pub log_dir: String,
    pub database: DatabaseReport,
    pub readers: ReadersReport,
    pub keychain: KeychainReport,
}

#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct DatabaseReport {
    pub path: String,
    pub exists: bool,
    /// Schema version found in the file (`null` when it does not exist yet or cannot be read).
    pub schema_version: Option<u32>,
    /// Highest schema version this build knows.
    pub known_schema_version: u32,
    pub error: Option<UserError>,
}

#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct ReadersReport {
    /// Whether the smart-card service (PC/SC) answered.
    pub service_available: bool,
    pub readers: Vec<String>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct KeychainReport {
    pub backend: String,
    pub available: bool,
    pub error: Option<String>,
}

/// Builds the report without changing anything: the database is inspected read-only.
pub async fn run(paths: &AppPaths) -> DoctorReport {
    let database = match Db::inspect(&paths.db_path).await {
        Ok(FileState::Existing { schema_version }) => DatabaseReport {
            path: paths.db_path.display().to_string(),
            exists: true,
            schema_version: Some(schema_version as u32),
            known_schema_version: known_schema_version() as u32,
            error: None,
        },
        Ok(FileState::Missing | FileState::Empty) => DatabaseReport {
            path: paths.db_path.display().to_string(),
            exists: false,
            schema_version: None,
            known_schema_version: known_schema_version() as u32,
            error: None,
        },
        Err(e) => DatabaseReport {
            path: paths.db_path.display().to_string(),
            exists: true,
            schema_version: None,
            known_schema_version: known_schema_version() as u32,
            error: Some(UserError::from(e)),
        },
    };
    let readers = tokio::task::spawn_blocking(list_readers)
        .await
        .unwrap_or_else(|e| ReadersReport {
            service_available: false,
            readers: vec![],
            error: Some(e.to_string()),
        });
    let keychain = tokio::task::spawn_blocking(keychain_report)
        .await
        .unwrap_or_else(|e| KeychainReport {
            backend: tapstand_secrets::native_name().into(),
            available: false,
            error: Some(e.to_string()),
        });
    DoctorReport {
        app_version: APP_VERSION.into(),
        os: std::env::consts::OS.into(),
        arch: std::env::consts::ARCH.into(),
        data_dir: paths.data_dir.display().to_string(),
        log_dir: paths.log_dir.display().to_string(),
        database,
        readers,
        keychain,
    }
}

fn list_readers() -> ReadersReport {
    let ctx = match pcsc::Context::establish(pcsc::Scope::User) {
        Ok(c) => c,
        Err(e) => {
            return ReadersReport {
                service_available: false,
                readers: vec![],
                error: Some(e.to_string()),
            }
        }
    };
    match ctx.list_readers_owned() {
        Ok(list) => ReadersReport {
            service_available: true,
            readers: list
                .iter()
                .map(|r| r.to_string_lossy().into_owned())
                .collect(),
            error: None,
        },
        // "No readers" is a normal state, not an error.
        Err(pcsc::Error::NoReadersAvailable) => ReadersReport {
            service_available: true,
            readers: vec![],
            error: None,
        },
        Err(e) => ReadersReport {
            service_available: false,
            readers: vec![],
            error: Some(e.to_string()),
        },
    }
}

fn keychain_report() -> KeychainReport {
    match Keychain::native().and_then(|k| k.probe().map(|_| k)) {
        Ok(k) => KeychainReport {
            backend: tapstand_secrets::SecretStore::backend(&k),
            available: true,
            error: None,
        },
        Err(e) => KeychainReport {
            backend: tapstand_secrets::native_name().into(),
            available: false,
            error: Some(e.to_string()),
        },
    }
}

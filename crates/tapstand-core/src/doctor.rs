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
    /// Windows Smart Card Plug and Play (`null` on other systems): whether Windows will look for a
    /// driver for each tag, and the exception for NFC tags (`crate::scpnp`).
    pub smart_card_pnp: Option<crate::scpnp::ScPnpReport>,
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
    /// Each reader with its dialect and firmware string, probed over a tag lying on it
    /// (`tapstand_tag::dialect`): `null` dialect until a tag has been on it.
    pub details: Vec<tapstand_tag::ReaderInfo>,
    /// The library's own words (technical detail).
    pub error: Option<String>,
    /// What is wrong and what to do, for this system (e.g. Windows: the Smart Card service is not running).
    pub problem: Option<UserError>,
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
            details: vec![],
            error: Some(e.to_string()),
            problem: Some(UserError::internal(e.to_string())),
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
        smart_card_pnp: crate::scpnp::this_pc(),
    }
}

fn list_readers() -> ReadersReport {
    let mut r = readers_report(
        pcsc::Context::establish(pcsc::Scope::User).and_then(|ctx| ctx.list_readers_owned()),
    );
    if r.service_available && !r.readers.is_empty() {
        r.details = crate::readers::readers_probed().unwrap_or_default();
    }
    r
}

/// The report for what PC/SC answered. A context that cannot be established, or one the service dropped,
/// means the service is not running (Windows: the Smart Card service, which Windows starts only when a reader
/// is plugged in; Wine's stub answers "internal error" here): say so with this system's remedy.
fn readers_report(answer: Result<Vec<std::ffi::CString>, pcsc::Error>) -> ReadersReport {
    match answer {
        Ok(list) => ReadersReport {
            service_available: true,
            readers: list
                .iter()
                .map(|r| r.to_string_lossy().into_owned())
                .collect(),
            details: vec![],
            error: None,
            problem: None,
        },
        // "No readers" is a normal state, not an error.
        Err(pcsc::Error::NoReadersAvailable) => ReadersReport {
            service_available: true,
            readers: vec![],
            details: vec![],
            error: None,
            problem: None,
        },
        Err(e) => {
            let tag_error = if tapstand_tag::error::is_service_error(e) {
                tapstand_tag::TagError::NoService(e.to_string())
            } else {
                tapstand_tag::TagError::from(e)
            };
            ReadersReport {
                service_available: false,
                readers: vec![],
                details: vec![],
                error: Some(e.to_string()),
                problem: Some(UserError::from(tag_error)),
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_service_is_a_state_with_a_remedy() {
        // Wine's winscard stub and a Windows PC whose Smart Card service is stopped.
        for e in [
            pcsc::Error::InternalError,
            pcsc::Error::NoService,
            pcsc::Error::ServiceStopped,
        ] {
            let r = readers_report(Err(e));
            assert!(!r.service_available);
            let p = r.problem.expect("a problem with a remedy");
            assert_eq!(p.code, "tag.no_service");
            assert_eq!(
                p.zh,
                tapstand_tag::error::no_service(std::env::consts::OS).zh
            );
            assert_eq!(r.error, Some(e.to_string()));
        }
        let r = readers_report(Err(pcsc::Error::NoReadersAvailable));
        assert!(r.service_available && r.problem.is_none() && r.error.is_none());
        let r = readers_report(Ok(vec![std::ffi::CString::new(
            "ACS ACR1252 1S CL Reader(1)",
        )
        .unwrap()]));
        assert_eq!(r.readers, ["ACS ACR1252 1S CL Reader(1)"]);
        assert!(r.problem.is_none());
    }
}

//! Tapstand's application core, shared by the desktop app (a thin Tauri layer) and `tapstand-cli`.
//! No Tauri here: everything is testable without a window.

pub mod doctor;
pub mod error;
pub mod logging;
pub mod paths;

use serde::{Deserialize, Serialize};
use tapstand_store::Db;

pub use error::{Localized, UserError};
pub use paths::AppPaths;

pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The UI languages. zh-CN is the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub enum Language {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en-US")]
    EnUs,
}

impl Language {
    pub fn tag(self) -> &'static str {
        match self {
            Language::ZhCn => "zh-CN",
            Language::EnUs => "en-US",
        }
    }
    pub fn parse(tag: &str) -> Option<Language> {
        match tag {
            "zh-CN" => Some(Language::ZhCn),
            "en-US" => Some(Language::EnUs),
            _ => None,
        }
    }
}

/// What Settings shows.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    pub db_path: String,
    pub log_dir: String,
    pub schema_version: u32,
    pub language: Language,
}

/// The open application: paths and database. Created once by the app and by each CLI command.
pub struct Core {
    pub paths: AppPaths,
    pub db: Db,
}

impl Core {
    pub async fn open(paths: AppPaths) -> Result<Core, UserError> {
        let db = Db::open(&paths.db_path).await?;
        Ok(Core { paths, db })
    }

    pub async fn language(&self) -> Result<Language, UserError> {
        Ok(self
            .db
            .get_setting("language")
            .await?
            .as_deref()
            .and_then(Language::parse)
            .unwrap_or_default())
    }

    pub async fn set_language(&self, language: Language) -> Result<(), UserError> {
        self.db.set_setting("language", language.tag()).await?;
        tracing::info!(language = language.tag(), "language changed");
        Ok(())
    }

    pub async fn app_info(&self) -> Result<AppInfo, UserError> {
        Ok(AppInfo {
            version: APP_VERSION.into(),
            data_dir: self.paths.data_dir.display().to_string(),
            db_path: self.paths.db_path.display().to_string(),
            log_dir: self.paths.log_dir.display().to_string(),
            schema_version: self.db.schema_version().await? as u32,
            language: self.language().await?,
        })
    }
}

//! Tapstand's service layer, shared by the desktop app (a thin Tauri layer) and `tapstand-cli`: both open a
//! [`Core`] and call one of its functions per command. No Tauri here: everything is testable without a
//! window. See `docs/architecture.md` for where this sits.
//!
//! | need | here |
//! |---|---|
//! | the data folder, the database | [`AppPaths`], [`Core::open`] |
//! | the OS keychain | [`Core::keychain`] |
//! | the WeChat client for a profile, the scheme ledger | [`Core::wechat`], [`Core::scheme_service`] |
//! | a record from what the merchant typed or an id | [`lookup`] (tapstand-records' rules) |
//! | the write station for a target | [`Core::station`] |
//! | "what is this tag?" | [`Core::read_tag`], [`Core::explain`] |
//! | stand materials for stores | [`Core::materials`] |
//! | readers, diagnostics | [`readers::readers`], [`doctor`] |

pub mod doctor;
pub mod error;
pub mod exports;
pub mod files;
pub mod inspect;
pub mod logging;
pub mod materials;
pub mod paths;
pub mod readers;
pub mod station;
pub mod wechat;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tapstand_secrets::Keychain;
use tapstand_store::Db;
use tapstand_wechat::{ClientConfig, Warning, WechatClient};

pub use error::{Localized, UserError};
pub use inspect::CheckWith;
pub use materials::{Materials, StandSource};
pub use paths::AppPaths;
pub use station::StationSetup;
pub use tapstand_records::lookup;
pub use wechat::native_tag_secrets;

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
    /// The WeChat API this process talks to.
    pub wechat_api: String,
    /// False while another API than the official one is in use (developer mode, tests): the window
    /// shows a banner, and a release build writes no link from it to a tag.
    pub wechat_api_official: bool,
}

/// The open application: paths, database, keychain and one WeChat client per profile. Created once by the
/// app and by each CLI command.
pub struct Core {
    pub paths: AppPaths,
    pub db: Db,
    keychain: Mutex<Option<Arc<Keychain>>>,
    wechat_config: ClientConfig,
    clients: Mutex<HashMap<i64, ClientEntry>>,
}

/// A profile's WeChat client and the warnings about its AppID or secret.
type ClientEntry = (Arc<WechatClient>, Vec<Warning>);

impl Core {
    /// Opens (creating or migrating) the database in the data folder. The WeChat API is
    /// `https://api.weixin.qq.com`, or `TAPSTAND_WECHAT_BASE_URL` when set (the local fake in tests).
    pub async fn open(paths: AppPaths) -> Result<Core, UserError> {
        let db = Db::open(&paths.db_path).await?;
        Ok(Core {
            paths,
            db,
            keychain: Mutex::new(None),
            wechat_config: ClientConfig::from_env(),
            clients: Mutex::new(HashMap::new()),
        })
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
            wechat_api: self.wechat_config.base_url.clone(),
            wechat_api_official: tapstand_wechat::is_official_api(&self.wechat_config.base_url),
        })
    }
}

/// A poisoned lock still holds usable data here (caches): take it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

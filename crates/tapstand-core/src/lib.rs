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
//! | 物料: one export from a selection to the PDFs | [`Core::export_materials`] ([`print`]) |
//! | readers, diagnostics | [`readers::readers`], [`doctor`] |

pub mod confirm;
pub mod doctor;
pub mod error;
pub mod exports;
pub mod files;
pub mod inspect;
pub mod logging;
pub mod materials;
pub mod paths;
pub mod pool;
pub mod print;
pub mod readers;
pub mod scpnp;
pub mod stand;
pub mod station;
pub mod team;
pub mod wechat;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tapstand_secrets::{Keychain, SecretString};
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

/// The setting behind [`Core::reader_feedback`].
const READER_FEEDBACK: &str = "reader_feedback";

/// What Settings shows.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    pub db_path: String,
    pub log_dir: String,
    pub schema_version: u32,
    pub language: Language,
    /// 设置 → 读卡器提示: the reader's own light and beep while the station runs (on by default).
    pub reader_feedback: bool,
    /// The WeChat API this process talks to.
    pub wechat_api: String,
    /// False while another API than the official one is in use (developer mode, tests): the window
    /// shows a banner, and a release build writes no link from it to a tag.
    pub wechat_api_official: bool,
}

/// What "Test connection" found on a team database.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct TeamDatabaseCheck {
    /// `postgres://user@host:port/db` (never the password).
    pub location: String,
    /// 0: empty, Tapstand will set it up on first use; otherwise the schema a Tapstand left there.
    #[specta(type = f64)]
    pub schema_version: i64,
    /// The newest schema this Tapstand knows (a lower `schema_version` is upgraded on first use).
    #[specta(type = f64)]
    pub known_schema_version: i64,
}

/// The environment variable naming a team database (`postgres://user:password@host:port/db`); the CLI's
/// `--database-url` and the app's `--database-url` take precedence.
pub const DATABASE_URL_ENV: &str = "TAPSTAND_DATABASE_URL";

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
    /// Opens (creating or migrating) the database: the team database named by `TAPSTAND_DATABASE_URL`
    /// when it is set, otherwise the SQLite file in the data folder. The WeChat API is
    /// `https://api.weixin.qq.com`, or `TAPSTAND_WECHAT_BASE_URL` when set (the local fake in tests).
    pub async fn open(paths: AppPaths) -> Result<Core, UserError> {
        let url = std::env::var(DATABASE_URL_ENV)
            .ok()
            .filter(|u| !u.trim().is_empty());
        Core::open_at(paths, url.as_deref()).await
    }

    /// Opens the database at `database_url` (`postgres://…` for a team database shared by a chain's
    /// PCs, `sqlite:PATH` or a path for a file), or the data folder's SQLite file when `None`. Logs and
    /// the data folder stay in `paths` either way. The password in a URL is registered for redaction and
    /// never shown ([`tapstand_store::Db::location`]).
    /// A team database URL without a password takes the one saved in the keychain for its location
    /// ([`Core::save_team_password`]), so no file, argument or environment variable needs to hold it.
    pub async fn open_at(paths: AppPaths, database_url: Option<&str>) -> Result<Core, UserError> {
        let db = match database_url {
            Some(url) if tapstand_store::pg::is_pg_url(url) => {
                let password = team_password_from_keychain(url).await?;
                tapstand_store::pg::open_with_password(url, password.as_ref().map(|p| p.expose()))
                    .await?
            }
            Some(url) => Db::open_url(url).await?,
            None => Db::open(&paths.db_path).await?,
        };
        Ok(Core {
            paths,
            db,
            keychain: Mutex::new(None),
            wechat_config: ClientConfig::from_env(),
            clients: Mutex::new(HashMap::new()),
        })
    }

    /// 设置 → 团队模式 → "Test connection" (and `tapstand-cli db check URL`): whether the team database at
    /// `url` can be used, changing nothing. The usual failures come back as `db.team.*` errors in plain
    /// words.
    pub async fn check_team_database(url: &str) -> Result<TeamDatabaseCheck, UserError> {
        let password = team_password_from_keychain(url).await?;
        let (location, schema_version) =
            tapstand_store::pg::check(url, password.as_ref().map(|p| p.expose())).await?;
        Ok(TeamDatabaseCheck {
            location,
            schema_version,
            known_schema_version: tapstand_store::known_pg_schema_version(),
        })
    }

    /// Saves the password of the team database at `url` (its location: user, host, port, database) in the
    /// OS keychain; afterwards the URL without a password opens it. Returns the location.
    pub async fn save_team_password(
        url: &str,
        password: SecretString,
    ) -> Result<String, UserError> {
        let location = tapstand_store::pg::location_of(url)?;
        let account = tapstand_secrets::accounts::db_password(&location);
        tokio::task::spawn_blocking(move || {
            Keychain::native()
                .and_then(|k| tapstand_secrets::SecretStore::set(&k, &account, &password))
        })
        .await
        .map_err(UserError::internal)?
        .map_err(tapstand_records::keychain_error)?;
        Ok(location)
    }

    /// `tapstand-cli db init-roles`: opens (migrates) the team database at `url` and creates and grants
    /// its head-office and writer roles ([`tapstand_store::roles`]); `prefix` defaults to the database's
    /// name. The connecting user must be allowed to create roles.
    pub async fn init_team_roles(
        url: &str,
        prefix: Option<&str>,
    ) -> Result<tapstand_store::roles::RolesReport, UserError> {
        let password = team_password_from_keychain(url).await?;
        let db = tapstand_store::pg::open_with_password(url, password.as_ref().map(|p| p.expose()))
            .await?;
        let prefix = match prefix {
            Some(p) => p.to_string(),
            None => {
                let name: String = db
                    .location()
                    .rsplit('/')
                    .next()
                    .unwrap_or("tapstand")
                    .chars()
                    .map(|c| {
                        let c = c.to_ascii_lowercase();
                        if c.is_ascii_alphanumeric() {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                if name.starts_with(|c: char| c.is_ascii_lowercase()) {
                    name
                } else {
                    format!("t_{name}")
                }
            }
        };
        if !tapstand_store::roles::valid_prefix(&prefix) {
            return Err(UserError::new(
                "team.roles_prefix",
                (
                    "角色名前缀只能用小写字母、数字和下划线，以字母开头，最多 40 个字符。",
                    "请用 --prefix 指定一个这样的前缀，例如 --prefix chain1。",
                ),
                (
                    "A role name prefix may hold only lower-case letters, digits and _, must start with a letter, and be at most 40 characters.",
                    "Give one with --prefix, for example --prefix chain1.",
                ),
            )
            .with_detail(prefix));
        }
        let pool = db
            .pg_pool()
            .ok_or_else(|| UserError::internal("not a team database"))?;
        let mut conn = pool
            .acquire()
            .await
            .map_err(tapstand_store::StoreError::from)?;
        let report = tapstand_store::roles::init_roles(&mut conn, &prefix)
            .await
            .map_err(tapstand_store::StoreError::from);
        drop(conn);
        db.close().await;
        Ok(report?)
    }

    /// Moves this PC's data to a team database: copies the local SQLite database into the empty
    /// PostgreSQL database at `url` (migrated first), all or nothing, counts checked; the local file is
    /// only read. See [`tapstand_store::copy`].
    pub async fn copy_to_team(
        &self,
        url: &str,
    ) -> Result<tapstand_store::copy::CopyReport, UserError> {
        let target = Db::open_url(url).await?;
        let report = self.db.copy_to(&target).await;
        target.close().await;
        Ok(report?)
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

    /// Light and beep on the reader while the write station runs (`tapstand_tag::feedback`): on unless
    /// the merchant turned it off in 设置.
    pub async fn reader_feedback(&self) -> Result<bool, UserError> {
        Ok(self.db.get_setting(READER_FEEDBACK).await?.as_deref() != Some("off"))
    }

    pub async fn set_reader_feedback(&self, on: bool) -> Result<(), UserError> {
        self.db
            .set_setting(READER_FEEDBACK, if on { "on" } else { "off" })
            .await?;
        tracing::info!(on, "reader feedback changed");
        Ok(())
    }

    pub async fn app_info(&self) -> Result<AppInfo, UserError> {
        Ok(AppInfo {
            version: APP_VERSION.into(),
            data_dir: self.paths.data_dir.display().to_string(),
            db_path: self.db.location().to_string(),
            log_dir: self.paths.log_dir.display().to_string(),
            schema_version: self.db.schema_version().await? as u32,
            language: self.language().await?,
            reader_feedback: self.reader_feedback().await?,
            wechat_api: self.wechat_config.base_url.clone(),
            wechat_api_official: tapstand_wechat::is_official_api(&self.wechat_config.base_url),
        })
    }
}

/// The keychain's password for a team database URL that carries none (`None`: the URL has one, or the
/// keychain has no entry — the server may not need one). A keychain that cannot be reached is not an
/// error here: the server then says whether it wanted a password.
pub(crate) async fn team_password_from_keychain(
    url: &str,
) -> Result<Option<SecretString>, UserError> {
    if tapstand_store::pg::url_has_password(url) {
        return Ok(None);
    }
    let account = tapstand_secrets::accounts::db_password(&tapstand_store::pg::location_of(url)?);
    tokio::task::spawn_blocking(move || {
        Keychain::native()
            .and_then(|k| tapstand_secrets::SecretStore::get(&k, &account))
            .map_err(|e| tracing::warn!("team database password: keychain not available: {e}"))
            .ok()
            .flatten()
    })
    .await
    .map_err(UserError::internal)
}

/// A poisoned lock still holds usable data here (caches): take it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

//! 设置 → 团队模式: which database this PC uses, kept in the data folder's `team.json` (the team database
//! URL *without* its password — the password lives in the OS keychain, [`Core::save_team_password`]).
//! The app reads the choice at start ([`database_choice`]); [`Core::switch_database`] opens the chosen
//! database first and saves the choice only once it opened, so a failed switch changes nothing.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tapstand_secrets::SecretString;

use crate::{AppPaths, Core, TeamDatabaseCheck, UserError};

/// The file in the data folder holding the choice.
pub const TEAM_FILE: &str = "team.json";

/// How the connection to the team database is encrypted (PostgreSQL's `sslmode`). There is no
/// "prefer": a connection that falls back to plain text when someone on the path says "no TLS" is not
/// offered (a saved `sslmode=prefer` from an older version reads as [`TeamTls::Require`], and the storage
/// layer connects it so).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "kebab-case")]
pub enum TeamTls {
    /// Encrypted, any certificate (the default; also what a URL without `sslmode` means).
    #[default]
    #[serde(alias = "prefer")]
    Require,
    /// Encrypted, and the server's certificate must match its host name (signed by the CA file, or the
    /// system's CAs).
    VerifyFull,
    /// Not encrypted (`sslmode=disable`): only on a network the merchant trusts; 设置 shows a warning.
    Disable,
}

/// What 设置 → 团队模式 fills in (never a password).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct TeamConnection {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    pub tls: TeamTls,
    /// With [`TeamTls::VerifyFull`]: the CA certificate file (PEM); empty: the system's CAs.
    pub ca_file: String,
}

/// The database this PC uses, for 设置 → 团队模式.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct TeamStatus {
    /// The saved team database (`None`: 单机, the data folder's file).
    pub saved: Option<TeamConnection>,
    /// Where the open database is (`postgres://user@host:port/db` or the file), if one is open.
    pub location: Option<String>,
    /// True when `--database-url` / `TAPSTAND_DATABASE_URL` chose the database for this run (the saved
    /// choice is then not used).
    pub overridden: bool,
    /// The open team database is reached without encryption (`sslmode=disable`): shown as a warning.
    pub plain_text: bool,
    /// On a team database: what this PC's user may do (head office, writer, other).
    pub role: Option<tapstand_store::roles::TeamRole>,
}

#[derive(Serialize, Deserialize)]
struct TeamFile {
    /// `postgres://user@host:port/db?sslmode=…`, never a password.
    database_url: String,
}

fn team_file(paths: &AppPaths) -> PathBuf {
    paths.data_dir.join(TEAM_FILE)
}

fn bad_field(field: &str, zh: &str, en: &str) -> UserError {
    UserError::new(
        "team.connection_incomplete",
        (
            "团队数据库的连接信息不完整。",
            "请按提示补全标红的项目后再试。",
        ),
        (
            "The team database connection is incomplete.",
            "Complete the fields marked in red, then try again.",
        ),
    )
    .with_field(field, zh, en)
}

/// What a user name, database name or CA path keeps unencoded in the URL: RFC 3986's unreserved set.
const URL_PART: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn encode(part: &str) -> String {
    utf8_percent_encode(part, URL_PART).to_string()
}

fn decode(part: &str) -> String {
    percent_decode_str(part).decode_utf8_lossy().into_owned()
}

impl TeamConnection {
    /// The URL (without a password) for these fields; a missing field is a `team.connection_incomplete`
    /// error naming it.
    pub fn url(&self) -> Result<String, UserError> {
        let host = self.host.trim();
        if host.is_empty() || host.contains(['/', '@', '?', ' ']) {
            return Err(bad_field(
                "host",
                "请填写服务器地址（IP 或域名）。",
                "Enter the server address (IP or host name).",
            ));
        }
        if self.port == 0 {
            return Err(bad_field(
                "port",
                "请填写端口（通常是 5432）。",
                "Enter the port (usually 5432).",
            ));
        }
        if self.database.trim().is_empty() {
            return Err(bad_field(
                "database",
                "请填写数据库名。",
                "Enter the database name.",
            ));
        }
        if self.user.trim().is_empty() {
            return Err(bad_field("user", "请填写用户名。", "Enter the user name."));
        }
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]") // IPv6
        } else {
            host.to_string()
        };
        let mut url = format!(
            "postgres://{}@{}:{}/{}",
            encode(self.user.trim()),
            host,
            self.port,
            encode(self.database.trim())
        );
        match self.tls {
            TeamTls::Require => url.push_str("?sslmode=require"),
            TeamTls::Disable => url.push_str("?sslmode=disable"),
            TeamTls::VerifyFull => {
                url.push_str("?sslmode=verify-full");
                let ca = self.ca_file.trim();
                if !ca.is_empty() {
                    if !Path::new(ca).is_file() {
                        return Err(bad_field(
                            "ca_file",
                            "找不到这个 CA 证书文件，请检查路径。",
                            "This CA certificate file was not found: check the path.",
                        ));
                    }
                    url.push_str("&sslrootcert=");
                    url.push_str(&encode(ca));
                }
            }
        }
        Ok(url)
    }

    /// The fields of a saved URL (the inverse of [`TeamConnection::url`]); `None` for another form.
    pub fn from_url(url: &str) -> Option<TeamConnection> {
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))?;
        let (main, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, database) = main.split_once('/')?;
        let (user, hostport) = authority.rsplit_once('@')?;
        let user = user.split(':').next()?; // never a password
        let (host, port) = hostport.rsplit_once(':')?;
        let mut c = TeamConnection {
            host: host.trim_start_matches('[').trim_end_matches(']').into(),
            port: port.parse().ok()?,
            database: decode(database),
            user: decode(user),
            ..Default::default()
        };
        for kv in query.split('&') {
            match kv.split_once('=') {
                Some(("sslmode", "require")) => c.tls = TeamTls::Require,
                Some(("sslmode", "verify-full")) => c.tls = TeamTls::VerifyFull,
                Some(("sslmode", "disable")) => c.tls = TeamTls::Disable,
                Some(("sslrootcert", v)) => c.ca_file = decode(v),
                _ => {}
            }
        }
        Some(c)
    }
}

/// The team database URL saved in the data folder (`None`: 单机). An unreadable file is a
/// `team.choice_unreadable` error (the app shows it with 改回单机).
pub fn saved_database_url(paths: &AppPaths) -> Result<Option<String>, UserError> {
    let path = team_file(paths);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(&path, e)),
    };
    let file: TeamFile = serde_json::from_str(&text).map_err(|e| unreadable(&path, e))?;
    Ok(Some(file.database_url).filter(|u| !u.trim().is_empty()))
}

fn unreadable(path: &Path, e: impl std::fmt::Display) -> UserError {
    UserError::new(
        "team.choice_unreadable",
        (
            "读不出本机保存的团队模式设置。",
            "点“改回单机”使用本机数据库，再到 设置 → 团队模式 重新填写。",
        ),
        (
            "The saved team mode setting cannot be read.",
            "Click “Use this PC only” to use the local database, then fill in Settings → Team mode again.",
        ),
    )
    .with_detail(format!("{}: {e}", path.display()))
}

/// The database the app opens at start: `--database-url` / `TAPSTAND_DATABASE_URL` (`overridden`), else
/// the saved team database, else `None` (the data folder's file).
pub fn database_choice(
    paths: &AppPaths,
    argument: Option<String>,
) -> Result<(Option<String>, bool), UserError> {
    match argument {
        Some(url) => Ok((Some(url), true)),
        None => Ok((saved_database_url(paths)?, false)),
    }
}

fn save_choice(paths: &AppPaths, url: Option<&str>) -> Result<(), UserError> {
    let path = team_file(paths);
    match url {
        None => match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(tapstand_error::safe_file::io_error(
                &path,
                tapstand_error::safe_file::Step::Replace,
                &e,
            )),
        },
        Some(url) => {
            if tapstand_store::pg::url_has_password(url) {
                return Err(UserError::internal(
                    "a team database URL with a password is never saved",
                ));
            }
            std::fs::create_dir_all(&paths.data_dir).map_err(|e| unreadable(&paths.data_dir, e))?;
            let body = serde_json::to_vec_pretty(&TeamFile {
                database_url: url.to_string(),
            })
            .map_err(UserError::internal)?;
            tapstand_error::safe_file::write_file(&path, |f| std::io::Write::write_all(f, &body))
        }
    }
}

impl Core {
    /// 设置 → 团队模式 → 测试连接 for the fields typed in (the saved password is used).
    pub async fn check_team_connection(c: &TeamConnection) -> Result<TeamDatabaseCheck, UserError> {
        Core::check_team_database(&c.url()?).await
    }

    /// Saves the password for the team database the fields name (OS keychain only).
    pub async fn save_team_connection_password(
        c: &TeamConnection,
        password: SecretString,
    ) -> Result<String, UserError> {
        if password.expose().is_empty() {
            return Err(bad_field("password", "请填写密码。", "Enter the password."));
        }
        Core::save_team_password(&c.url()?, password).await
    }

    /// 把本机数据复制到团队数据库: copies this PC's SQLite data into the (empty) team database the fields
    /// name, with the keychain's password.
    pub async fn copy_to_team_connection(
        &self,
        c: &TeamConnection,
    ) -> Result<tapstand_store::copy::CopyReport, UserError> {
        let url = c.url()?;
        let password = crate::team_password_from_keychain(&url).await?;
        let target =
            tapstand_store::pg::open_with_password(&url, password.as_ref().map(|p| p.expose()))
                .await?;
        let report = self.db.copy_to(&target).await;
        target.close().await;
        Ok(report?)
    }

    /// 使用团队数据库 (`Some`) / 改回单机 (`None`): opens that database (migrating it if needed) and, only
    /// once it is open, saves the choice so the app starts on it next time. The caller replaces its
    /// `Core` with the returned one (the write station must be stopped first).
    pub async fn switch_database(
        paths: AppPaths,
        team: Option<&TeamConnection>,
    ) -> Result<Core, UserError> {
        let url = team.map(TeamConnection::url).transpose()?;
        let core = Core::open_at(paths.clone(), url.as_deref()).await?;
        save_choice(&paths, url.as_deref())?;
        tracing::info!(location = %core.db.location(), "database switched");
        Ok(core)
    }

    /// Other PCs' changes on a team database: a receiver of changed table names (see
    /// [`tapstand_store::changes`]); `None` on this PC's own SQLite file.
    pub async fn watch_changes(
        &self,
    ) -> Result<Option<tokio::sync::mpsc::Receiver<String>>, UserError> {
        Ok(self.db.watch_changes().await?)
    }

    /// What 设置 → 团队模式 shows.
    pub fn team_status(
        paths: &AppPaths,
        open: Option<&Core>,
        overridden: bool,
    ) -> Result<TeamStatus, UserError> {
        let saved = saved_database_url(paths)?
            .as_deref()
            .and_then(TeamConnection::from_url);
        Ok(TeamStatus {
            saved,
            location: open.map(|c| c.db.location().to_string()),
            overridden,
            plain_text: open.is_some_and(|c| c.db.plain_text()),
            role: open.and_then(|c| c.db.team_role()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_through_the_saved_url_without_a_password() {
        let t = tempfile::tempdir().unwrap();
        let ca = t.path().join("ca.pem");
        std::fs::write(&ca, "x").unwrap();
        let c = TeamConnection {
            host: "10.0.0.5".into(),
            port: 5433,
            database: "连锁 db".into(),
            user: "hq@north".into(),
            tls: TeamTls::VerifyFull,
            ca_file: ca.display().to_string(),
        };
        let url = c.url().unwrap();
        assert!(!tapstand_store::pg::url_has_password(&url), "{url}");
        assert_eq!(TeamConnection::from_url(&url), Some(c));
        // An older version's saved "prefer" reads as require; disable round-trips (and is plain text).
        let old = TeamConnection::from_url("postgres://u@h:5432/d?sslmode=prefer").unwrap();
        assert_eq!(old.tls, TeamTls::Require);
        assert_eq!(old.url().unwrap(), "postgres://u@h:5432/d?sslmode=require");
        let plain = TeamConnection {
            tls: TeamTls::Disable,
            ..old
        };
        let url = plain.url().unwrap();
        assert!(tapstand_store::pg::url_is_plain_text(&url), "{url}");
        assert_eq!(TeamConnection::from_url(&url), Some(plain));
        let missing = TeamConnection {
            host: "h".into(),
            port: 5432,
            ..Default::default()
        };
        let e = missing.url().unwrap_err();
        assert_eq!(e.code, "team.connection_incomplete");
        assert_eq!(e.fields[0].field, "database");
    }

    #[test]
    fn the_choice_is_saved_in_the_data_folder_and_removed_for_single_pc() {
        let t = tempfile::tempdir().unwrap();
        let paths = AppPaths::under(t.path().to_path_buf());
        assert_eq!(saved_database_url(&paths).unwrap(), None);
        save_choice(&paths, Some("postgres://u@h:5432/d?sslmode=require")).unwrap();
        assert_eq!(
            database_choice(&paths, None).unwrap(),
            (Some("postgres://u@h:5432/d?sslmode=require".into()), false)
        );
        assert!(save_choice(&paths, Some("postgres://u:pw@h:5432/d")).is_err());
        save_choice(&paths, None).unwrap();
        assert_eq!(saved_database_url(&paths).unwrap(), None);
        std::fs::write(paths.data_dir.join(TEAM_FILE), "{").unwrap();
        assert_eq!(
            saved_database_url(&paths).unwrap_err().code,
            "team.choice_unreadable"
        );
    }
}

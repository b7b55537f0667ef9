//! Team mode: opening a PostgreSQL database a chain's PCs share.
//!
//! [`open`] connects (a pool of 4, `synchronous_commit=on`, `application_name=tapstand`), refuses a
//! database that holds another program's tables or a schema from a newer Tapstand (nothing is written
//! then), takes this handle's owner lock (a session-level advisory lock, see [`crate::owner`]) and applies
//! the PostgreSQL migrations (`migrations-pg/`; sqlx's migrator holds an advisory lock meanwhile, so two
//! PCs opening a fresh database at once migrate it once). Connection failures are classified
//! ([`ConnectFailure`]) so the merchant reads what to do; the password is registered for log redaction
//! before anything can print it, and never appears in [`Db::location`] or an error.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgSslMode};
use sqlx::ConnectOptions;

use crate::{known_pg_schema_version, owner, Backend, Db, StoreError, PG_MIGRATOR};

/// Why a team database could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectFailure {
    /// Not a usable `postgres://` URL.
    BadUrl,
    /// No server answers at that host and port (wrong address, server down, firewall), or it took too long.
    Unreachable,
    /// The server refused the user name or password.
    WrongPassword,
    /// The server does not allow this PC/user/database (pg_hba.conf has no line for it).
    NotAllowed,
    /// The database named in the URL does not exist on the server.
    NoDatabase,
    /// The server accepts only encrypted (TLS) connections and TLS was turned off.
    TlsRequired,
    /// TLS was required (always, unless the URL says `sslmode=disable`) but the server does not offer it
    /// or the handshake failed. Never answered by falling back to plain text.
    TlsFailed,
    /// `verify-full`/`verify-ca`: the server's certificate is not signed by the CA file (or the system's
    /// CAs) — a wrong CA file, or someone impersonating the server.
    TlsUntrusted,
    /// `verify-full`: the certificate is valid but names another host than the one connected to.
    TlsWrongHost,
    /// Anything else the server said.
    Other,
}

/// Whether `url` names a PostgreSQL database.
pub fn is_pg_url(url: &str) -> bool {
    let lower = url.get(..13).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// `postgres://user@host:port/database`: the URL without its password (or other parameters).
pub fn display_location(opts: &PgConnectOptions) -> String {
    format!(
        "postgres://{}@{}:{}/{}",
        opts.get_username(),
        opts.get_host(),
        opts.get_port(),
        opts.get_database().unwrap_or(opts.get_username())
    )
}

/// The password in a `postgres://` URL, if it has one (percent-decoded, as the driver uses it).
fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let userinfo = authority.rsplit_once('@')?.0;
    let raw = userinfo.split_once(':')?.1;
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok().filter(|p| !p.is_empty())
}

/// The `sslmode` a team database URL asks for, as written (`None`: not given).
pub fn url_ssl_mode(url: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| *k == "sslmode" || *k == "ssl-mode")
        .map(|(_, v)| v.to_ascii_lowercase())
        .next_back()
}

/// Whether a team database URL turns encryption off (`sslmode=disable`): the only way Tapstand talks to
/// a team database in plain text; 设置 → 团队模式 shows it as a warning.
pub fn url_is_plain_text(url: &str) -> bool {
    url_ssl_mode(url).as_deref() == Some("disable")
}

/// The TLS mode Tapstand uses for a URL: what it says, except that no `sslmode`, `prefer` and `allow`
/// (libpq's and sqlx's downgradeable defaults: whoever sits on the path can answer "no TLS" and read
/// everything) mean `require`. Plain text only with an explicit `sslmode=disable`.
fn ssl_mode_for(url: &str, parsed: PgSslMode) -> PgSslMode {
    match url_ssl_mode(url).as_deref() {
        None | Some("prefer") | Some("allow") => PgSslMode::Require,
        Some(_) => parsed,
    }
}

/// Parses a team database URL (registering its password for redaction first).
pub fn parse_url(url: &str) -> Result<PgConnectOptions, StoreError> {
    if let Some(pw) = url_password(url) {
        tapstand_secrets::redact::register(&pw);
    }
    url.parse::<PgConnectOptions>()
        .map_err(|e| StoreError::Connect {
            location: "postgres://…".into(),
            failure: ConnectFailure::BadUrl,
            detail: tapstand_secrets::redact::redact(&e.to_string()).into_owned(),
        })
        .map(|o| {
            let mode = ssl_mode_for(url, o.get_ssl_mode());
            o.ssl_mode(mode)
                .application_name("tapstand")
                .options([("synchronous_commit", "on")])
                .log_statements(tracing::log::LevelFilter::Trace)
                .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500))
        })
}

/// The two certificate refusals a merchant can act on, in rustls-webpki's words.
fn tls_refusal(text: &str) -> Option<ConnectFailure> {
    if text.contains("NotValidForName") || text.contains("not valid for name") {
        Some(ConnectFailure::TlsWrongHost)
    } else if text.contains("invalid peer certificate") || text.contains("UnknownIssuer") {
        Some(ConnectFailure::TlsUntrusted)
    } else {
        None
    }
}

/// Classifies a connection error (see [`ConnectFailure`]).
pub fn classify(e: &sqlx::Error) -> ConnectFailure {
    match e {
        // rustls reports a refused certificate through the socket (an io::Error wrapping it).
        sqlx::Error::Io(io) => {
            tls_refusal(&format!("{io} {io:?}")).unwrap_or(ConnectFailure::Unreachable)
        }
        sqlx::Error::PoolTimedOut => ConnectFailure::Unreachable,
        sqlx::Error::Tls(t) => {
            tls_refusal(&format!("{t} {t:?}")).unwrap_or(ConnectFailure::TlsFailed)
        }
        sqlx::Error::Configuration(_) => ConnectFailure::BadUrl,
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("28P01") => ConnectFailure::WrongPassword,
            Some("3D000") => ConnectFailure::NoDatabase,
            Some("28000") if db.message().contains("no encryption") => ConnectFailure::TlsRequired,
            Some("28000") => ConnectFailure::NotAllowed,
            _ => ConnectFailure::Other,
        },
        _ => ConnectFailure::Other,
    }
}

fn connect_error(location: &str, e: sqlx::Error) -> StoreError {
    StoreError::Connect {
        location: location.to_string(),
        failure: classify(&e),
        detail: tapstand_secrets::redact::redact(&e.to_string()).into_owned(),
    }
}

/// "Test connection": connects to the team database at `url` and reads its schema version without
/// changing anything (no migration, no owner lock). Ok(0): reachable and empty, ready for Tapstand.
/// The same failures as [`open`]: unreachable, wrong password, no database, TLS required, another
/// program's tables, a newer Tapstand's schema.
pub async fn check(url: &str, password: Option<&str>) -> Result<(String, i64), StoreError> {
    let mut opts = parse_url(url)?;
    if let Some(pw) = password.filter(|_| !url_has_password(url)) {
        tapstand_secrets::redact::register(pw);
        opts = opts.password(pw);
    }
    let location = display_location(&opts);
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(opts)
        .await
        .map_err(|e| connect_error(&location, e))?;
    let version = inspect(&pool, &location).await;
    pool.close().await;
    Ok((location, version?))
}

/// Whether a `postgres://` URL carries a password (otherwise one may come from the keychain).
pub fn url_has_password(url: &str) -> bool {
    url_password(url).is_some()
}

/// The location (`postgres://user@host:port/db`, the keychain's name for its password) of a URL.
pub fn location_of(url: &str) -> Result<String, StoreError> {
    parse_url(url).map(|o| display_location(&o))
}

/// Opens (migrating if needed) the team database at `url`.
pub async fn open(url: &str) -> Result<Db, StoreError> {
    open_with_password(url, None).await
}

/// [`open`], with the password (from the keychain) when the URL has none.
pub async fn open_with_password(url: &str, password: Option<&str>) -> Result<Db, StoreError> {
    let mut opts = parse_url(url)?;
    if let Some(pw) = password.filter(|_| !url_has_password(url)) {
        tapstand_secrets::redact::register(pw);
        opts = opts.password(pw);
    }
    let location = display_location(&opts);
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(opts.clone())
        .await
        .map_err(|e| connect_error(&location, e))?;
    let version = inspect(&pool, &location).await?;
    let owner = owner::PgOwnerLock::acquire(&opts)
        .await
        .map_err(|e| connect_error(&location, e))?;
    migrate(&pool, version, &location).await?;
    let role = crate::roles::current_role(&pool).await?;
    tracing::info!(%location, from = version, schema = known_pg_schema_version(), "team database open");
    Ok(Db {
        backend: Backend::Pg(pool),
        path: Default::default(),
        location,
        owner: std::sync::Arc::new(owner::Owner::Pg(owner)),
        plain_text: url_is_plain_text(url),
        team_role: Some(role),
    })
}

/// Applies the migrations a team database lacks. A user who may not create tables (the writer role,
/// [`crate::roles`]) on an up-to-date database skips the migrator (its bookkeeping table statement needs
/// that right); an older schema then fails plainly (`db.team.not_permitted`: head office upgrades it).
/// A member of the role owning `_sqlx_migrations` (the head office) migrates as that role, so new tables
/// belong to it and the writer's default privileges apply.
async fn migrate(pool: &PgPool, version: i64, location: &str) -> Result<(), StoreError> {
    let may_create: bool =
        sqlx::query_scalar("SELECT has_schema_privilege(current_schema(), 'CREATE')")
            .fetch_one(pool)
            .await?;
    if version >= known_pg_schema_version() && !may_create {
        return Ok(());
    }
    let owner: Option<String> = sqlx::query_scalar(
        "SELECT r.rolname::text FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
         WHERE c.oid = to_regclass('_sqlx_migrations') AND r.rolname <> current_user
           AND pg_has_role(current_user, r.oid, 'MEMBER')",
    )
    .fetch_optional(pool)
    .await?;
    // The migrator runs on a pool (a connection borrowed by it makes the caller's future not `Send`
    // for every lifetime, which Tauri commands need): for the owner's role, a one-connection pool whose
    // connection `SET ROLE`s first.
    let ran = match owner {
        None => PG_MIGRATOR.run(pool).await,
        Some(owner) => {
            let as_owner = PgPoolOptions::new()
                .max_connections(1)
                .after_connect(move |conn, _| {
                    let owner = owner.clone();
                    Box::pin(async move {
                        sqlx::query("SELECT set_config('role', $1, false)")
                            .bind(owner)
                            .execute(&mut *conn)
                            .await
                            .map(|_| ())
                    })
                })
                .connect_with((*pool.connect_options()).clone())
                .await?;
            let ran = PG_MIGRATOR.run(&as_owner).await;
            as_owner.close().await;
            ran
        }
    };
    ran.map_err(|e| match e {
        sqlx::migrate::MigrateError::VersionMismatch(version) => StoreError::MigrationMismatch {
            path: location.into(),
            version,
            detail: "checksum differs".into(),
        },
        other => StoreError::Migrate(other),
    })
}

/// The schema version of a team database without changing it; refuses another program's tables and a
/// newer Tapstand's schema.
pub async fn inspect(pool: &PgPool, location: &str) -> Result<i64, StoreError> {
    let has_migrations: bool =
        sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .fetch_one(pool)
            .await?;
    let version = if has_migrations {
        schema_version(pool).await?
    } else {
        let tables: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
        )
        .fetch_one(pool)
        .await?;
        if tables > 0 {
            return Err(StoreError::NotADatabase {
                path: location.into(),
            });
        }
        0
    };
    if version > known_pg_schema_version() {
        return Err(StoreError::NewerSchema {
            path: location.into(),
            found: version,
            known: known_pg_schema_version(),
        });
    }
    Ok(version)
}

/// The schema version applied to a team database.
pub async fn schema_version(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT coalesce(max(version), 0)::int8 FROM _sqlx_migrations WHERE success")
        .fetch_one(pool)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_passwords() {
        assert!(is_pg_url("postgres://a@b/c"));
        assert!(is_pg_url("PostgreSQL://a@b/c"));
        assert!(!is_pg_url("sqlite:///tmp/x.db"));
        assert!(!is_pg_url("/tmp/x.db"));
        assert_eq!(
            url_password("postgres://u:p%40ss@h:5433/db").as_deref(),
            Some("p@ss")
        );
        assert_eq!(url_password("postgres://u@h/db"), None);
        // No sslmode, or a downgradeable one: require. Plain text only when asked for by name.
        for (url, mode) in [
            ("postgres://u@h/db", PgSslMode::Require),
            ("postgres://u@h/db?sslmode=prefer", PgSslMode::Require),
            ("postgres://u@h/db?sslmode=allow", PgSslMode::Require),
            ("postgres://u@h/db?sslmode=require", PgSslMode::Require),
            (
                "postgres://u@h/db?sslmode=verify-full",
                PgSslMode::VerifyFull,
            ),
            ("postgres://u@h/db?sslmode=disable", PgSslMode::Disable),
        ] {
            let got = format!("{:?}", parse_url(url).unwrap().get_ssl_mode());
            assert_eq!(got, format!("{mode:?}"), "{url}");
            assert_eq!(url_is_plain_text(url), got == "Disable", "{url}");
        }
        let o = parse_url("postgres://u:secret@db.example:5433/team").unwrap();
        let loc = display_location(&o);
        assert_eq!(loc, "postgres://u@db.example:5433/team");
        assert!(!loc.contains("secret"));
    }
}

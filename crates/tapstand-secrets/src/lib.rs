//! Secrets for Tapstand: the mini program's AppSecret and tag passwords.
//!
//! They live only in the OS keychain: Windows Credential Manager, the macOS Keychain, or the Secret Service
//! (GNOME Keyring, KWallet) on Linux, through `keyring-core` and the native store crate of each OS.
//! There is no file fallback: when no keychain is reachable, [`Keychain::native`] fails and the caller
//! must tell the merchant (see [`SecretError::Unavailable`]).

use std::fmt;
use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error as KError};

pub mod redact;
pub mod tag_key;

/// The keychain "service" under which every Tapstand entry is stored.
pub const SERVICE: &str = "cn.tapstand.app";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// No keychain could be reached (no Secret Service on the session bus, keychain service stopped, ...).
    #[error("the OS keychain is not available: {0}")]
    Unavailable(String),
    /// The keychain is there but locked or refused access.
    #[error("the OS keychain refused access (locked?): {0}")]
    Locked(String),
    #[error("keychain error: {0}")]
    Other(String),
}

impl From<KError> for SecretError {
    fn from(e: KError) -> Self {
        match e {
            KError::NoStorageAccess(p) => SecretError::Locked(p.to_string()),
            KError::PlatformFailure(p) => SecretError::Unavailable(p.to_string()),
            KError::NoDefaultStore => SecretError::Unavailable("no credential store".into()),
            other => SecretError::Other(other.to_string()),
        }
    }
}

/// A secret value. Its `Debug`/`Display` never show it, and it is registered for log redaction.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        redact::register(&value);
        SecretString(value)
    }
    /// The secret itself: only for sending it where it belongs (the WeChat token request, the tag).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString([REDACTED])")
    }
}

/// Where secrets are kept. [`Keychain`] is the real one; tests may use [`Keychain::in_memory`].
pub trait SecretStore: Send + Sync {
    fn get(&self, account: &str) -> Result<Option<SecretString>, SecretError>;
    fn set(&self, account: &str, secret: &SecretString) -> Result<(), SecretError>;
    /// Returns whether an entry was there.
    fn delete(&self, account: &str) -> Result<bool, SecretError>;
    /// A human-readable name of the backend, e.g. "Secret Service (GNOME Keyring)".
    fn backend(&self) -> String;
}

/// The OS keychain (or keyring-core's in-memory mock store for unit tests).
#[derive(Clone)]
pub struct Keychain {
    store: Arc<CredentialStore>,
    backend: String,
}

impl Keychain {
    /// The native keychain of this OS. Fails when it cannot be reached; never falls back to a file.
    pub fn native() -> Result<Keychain, SecretError> {
        let store = native_store()?;
        let backend = format!("{} ({})", native_name(), store.vendor());
        Ok(Keychain { store, backend })
    }

    /// keyring-core's in-memory store: for unit tests only, never used by the app or the CLI.
    pub fn in_memory() -> Keychain {
        let store: Arc<CredentialStore> = keyring_core::mock::Store::new().expect("mock store");
        Keychain {
            store,
            backend: "in-memory (tests)".into(),
        }
    }

    fn entry(&self, account: &str) -> Result<Entry, SecretError> {
        Ok(self.store.build(SERVICE, account, None)?)
    }

    /// Checks that the keychain answers (reads an entry that normally does not exist).
    pub fn probe(&self) -> Result<(), SecretError> {
        self.get("tapstand-probe").map(|_| ())
    }
}

impl SecretStore for Keychain {
    fn get(&self, account: &str) -> Result<Option<SecretString>, SecretError> {
        match self.entry(account)?.get_password() {
            Ok(p) => Ok(Some(SecretString::new(p))),
            Err(KError::NoEntry) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn set(&self, account: &str, secret: &SecretString) -> Result<(), SecretError> {
        self.entry(account)?.set_password(secret.expose())?;
        tracing::info!(account, backend = %self.backend, "secret stored in the OS keychain");
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<bool, SecretError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(KError::NoEntry) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    fn backend(&self) -> String {
        self.backend.clone()
    }
}

/// The name of the native keychain on this OS, for messages and `doctor`.
pub fn native_name() -> &'static str {
    if cfg!(target_os = "windows") {
        "Windows Credential Manager"
    } else if cfg!(target_os = "macos") {
        "macOS Keychain"
    } else {
        "Secret Service"
    }
}

#[cfg(target_os = "linux")]
fn native_store() -> Result<Arc<CredentialStore>, SecretError> {
    let s: Arc<CredentialStore> = zbus_secret_service_keyring_store::Store::new()?;
    Ok(s)
}

#[cfg(target_os = "macos")]
fn native_store() -> Result<Arc<CredentialStore>, SecretError> {
    let s: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new()?;
    Ok(s)
}

#[cfg(target_os = "windows")]
fn native_store() -> Result<Arc<CredentialStore>, SecretError> {
    let s: Arc<CredentialStore> = windows_native_keyring_store::Store::new()?;
    Ok(s)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn native_store() -> Result<Arc<CredentialStore>, SecretError> {
    Err(SecretError::Unavailable(
        "no supported keychain on this OS".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_memory_round_trip_and_debug_hides_the_value() {
        let k = Keychain::in_memory();
        assert!(k.get("appsecret:wx0").unwrap().is_none());
        let s = SecretString::new("s3cr3t-value-0123456789");
        k.set("appsecret:wx0", &s).unwrap();
        assert_eq!(
            k.get("appsecret:wx0").unwrap().unwrap().expose(),
            "s3cr3t-value-0123456789"
        );
        assert!(!format!("{s:?}").contains("s3cr3t"));
        assert!(k.delete("appsecret:wx0").unwrap());
        assert!(!k.delete("appsecret:wx0").unwrap());
    }
}

/// Keychain account names, one place for every kind of secret Tapstand keeps.
pub mod accounts {
    /// The AppSecret of the mini program with this AppID.
    pub fn app_secret(appid: &str) -> String {
        format!("appsecret:{appid}")
    }
    /// The password of a team database, by its location `postgres://user@host:port/db` (no password).
    pub fn db_password(location: &str) -> String {
        format!("dbpwd:{location}")
    }
    /// A tag password (NTAG21x PWD) kept for one tag UID (hex): tags protected before tag keys; read
    /// only (new protections derive their password from the profile's tag key).
    pub fn tag_password(key: &str) -> String {
        format!("tagpwd:{key}")
    }
    /// The tag key of the profile of the mini program with this AppID (`crate::tag_key`).
    pub fn tag_key(appid: &str) -> String {
        format!("tagkey:{appid}")
    }
}

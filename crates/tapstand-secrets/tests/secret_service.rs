//! The real OS keychain: on Linux the Secret Service of a gnome-keyring started by
//! scripts/lib/keyring-session.sh (which sets TAPSTAND_REQUIRE_KEYCHAIN=1, so there this test must pass).
//! Outside such a session it says why it did not run.

use std::process::Command;

use tapstand_secrets::{accounts, Keychain, SecretStore, SecretString};

fn keychain_or_skip() -> Option<Keychain> {
    match Keychain::native().and_then(|k| k.probe().map(|_| k)) {
        Ok(k) => Some(k),
        Err(e)
            if std::env::var_os("TAPSTAND_REQUIRE_KEYCHAIN").is_none()
                && std::env::var("CI").map_or(true, |v| v != "true" && v != "1")
                && std::env::var("TAPSTAND_REQUIRE_PCSCD").as_deref() != Ok("1") =>
        {
            eprintln!("SKIPPED: no OS keychain here ({e}); scripts/test.sh runs this inside a real gnome-keyring session");
            None
        }
        Err(e) => panic!("the OS keychain must be available in this session: {e}"),
    }
}

#[test]
fn secret_round_trips_through_the_os_keychain_and_secret_tool_sees_it() {
    let Some(k) = keychain_or_skip() else { return };
    let account = accounts::app_secret(&format!("wxtest{}", std::process::id()));
    let secret = SecretString::new("0123456789abcdef0123456789abcdef");
    k.set(&account, &secret).unwrap();

    // A second, independent handle reads it back: it is in the keychain, not in this process.
    let again = Keychain::native().unwrap();
    assert_eq!(
        again.get(&account).unwrap().unwrap().expose(),
        secret.expose()
    );

    if cfg!(target_os = "linux") {
        let out = Command::new("secret-tool")
            .args([
                "lookup",
                "service",
                tapstand_secrets::SERVICE,
                "username",
                &account,
            ])
            .output()
            .expect("secret-tool (libsecret-tools) is installed by scripts/setup.sh");
        assert!(out.status.success(), "secret-tool lookup failed: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), secret.expose());
    }

    // Replace, then remove.
    k.set(
        &account,
        &SecretString::new("fedcba9876543210fedcba9876543210"),
    )
    .unwrap();
    assert_eq!(
        k.get(&account).unwrap().unwrap().expose(),
        "fedcba9876543210fedcba9876543210"
    );
    assert!(k.delete(&account).unwrap());
    assert!(k.get(&account).unwrap().is_none());
    assert!(!k.delete(&account).unwrap());
}

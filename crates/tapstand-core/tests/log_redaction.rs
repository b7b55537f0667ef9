//! A value registered as secret never appears in the log output: not in messages, fields, Debug output,
//! errors, or a panic report. Uses the real global subscriber and the real rolling log file.

use tapstand_secrets::SecretString;

#[test]
fn registered_secrets_never_reach_the_log_file() {
    let dir = tempfile::tempdir().unwrap();
    let guard = tapstand_core::logging::init(dir.path(), false).unwrap();

    // An AppSecret-shaped value (32 hex) and an access-token-shaped value.
    let app_secret = SecretString::new("9f86d081884c7d659a2feaa0c55ad015");
    let token = "86_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_token-tail";
    tapstand_secrets::redact::register(token);

    tracing::info!(
        "saving secret {} for wx1234567890abcdef",
        app_secret.expose()
    );
    tracing::warn!(secret = app_secret.expose(), token, "field values");
    tracing::error!(request = ?format!("POST /cgi-bin/stable_token {{\"secret\":\"{}\"}}", app_secret.expose()), "debug value");
    tracing::info!(url = %format!("https://api.weixin.qq.com/wxa/generatenfcscheme?access_token={token}"), "url");
    tracing::info!(secret = ?app_secret, "the wrapper's Debug");
    let _ = std::panic::catch_unwind(|| {
        panic!("crash while holding {}", "9f86d081884c7d659a2feaa0c55ad015")
    });
    tracing::info!("marker-end");
    drop(guard); // flushes the background writer

    let mut text = String::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        assert!(
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("tapstand"),
            "{path:?}"
        );
        text.push_str(&std::fs::read_to_string(path).unwrap());
    }
    assert!(text.contains("marker-end"), "log file was written: {text}");
    assert!(
        text.contains("wx1234567890abcdef"),
        "ordinary values are kept"
    );
    assert!(
        text.contains("crash while holding [REDACTED]"),
        "panic reports are logged, redacted: {text}"
    );
    assert!(text.matches("[REDACTED]").count() >= 6, "{text}");
    assert!(
        !text.contains("9f86d081884c7d659a2feaa0c55ad015"),
        "AppSecret leaked: {text}"
    );
    assert!(
        !text.contains("AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"),
        "token leaked: {text}"
    );
}

//! A process-wide list of secret values that must never reach a log, a crash report or the UI.
//!
//! Every secret read from or written to the keychain is registered here; the log writers in
//! `tapstand-core` pass every byte they write through [`redact`]. Registering is cheap and idempotent.

use std::sync::{OnceLock, RwLock};

/// Every registered secret is masked whatever its length: a short database password ("abc") is a secret
/// too, and a log made harder to read where it happens to match is the lesser harm. Only the empty string
/// is not registered (it matches everywhere).
pub const MASK: &str = "[REDACTED]";

fn registry() -> &'static RwLock<Vec<String>> {
    static R: OnceLock<RwLock<Vec<String>>> = OnceLock::new();
    R.get_or_init(|| RwLock::new(Vec::new()))
}

/// Registers a secret value so that it is masked in every log line from now on.
pub fn register(secret: &str) {
    if secret.is_empty() {
        return;
    }
    let mut r = registry().write().unwrap_or_else(|e| e.into_inner());
    if !r.iter().any(|s| s == secret) {
        r.push(secret.to_owned());
        // Longest first, so that a secret containing another is masked whole.
        r.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// Returns `text` with every registered secret replaced by [`MASK`]. Borrowed when nothing matches.
pub fn redact(text: &str) -> std::borrow::Cow<'_, str> {
    let r = registry().read().unwrap_or_else(|e| e.into_inner());
    if r.is_empty() || !r.iter().any(|s| text.contains(s.as_str())) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = text.to_owned();
    for s in r.iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), MASK);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The same for raw bytes (log writers receive bytes). Non-UTF-8 input is passed through unchanged.
pub fn redact_bytes(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    match std::str::from_utf8(bytes) {
        Ok(text) => match redact(text) {
            std::borrow::Cow::Borrowed(_) => std::borrow::Cow::Borrowed(bytes),
            std::borrow::Cow::Owned(s) => std::borrow::Cow::Owned(s.into_bytes()),
        },
        Err(_) => std::borrow::Cow::Borrowed(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_values_are_masked_short_ones_too() {
        register("0123456789abcdef0123456789abcdef");
        register("pw5!x");
        register("");
        let line = "secret=0123456789abcdef0123456789abcdef short=pw5!x";
        assert_eq!(redact(line), "secret=[REDACTED] short=[REDACTED]");
        assert!(matches!(
            redact("nothing here"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn the_longer_of_two_overlapping_secrets_is_masked_whole() {
        register("overlapXYZ");
        register("overlapXYZ-and-more");
        assert_eq!(
            redact("a overlapXYZ-and-more b overlapXYZ"),
            "a [REDACTED] b [REDACTED]"
        );
    }
}

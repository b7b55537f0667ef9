//! What kind of build this is, for the few rules that differ between a release build and the tests.
//!
//! A release build refuses the test API (`TAPSTAND_WECHAT_BASE_URL` outside developer mode), never writes a
//! link recorded from another API than WeChat's, ignores crash-test failpoints and the lease override, and
//! accepts updates over https only. Debug builds (the test suite) relax those rules so that the tests can
//! use the fake WeChat and a loopback update server. So that the release rules themselves are run by a test,
//! `TAPSTAND_RELEASE_RULES=1` turns them on in a debug build: the switch can only make a build stricter,
//! never looser, and a release build ignores it (it always applies them).

/// `TAPSTAND_RELEASE_RULES=1`: a debug build (a test) applies the release rules.
pub const RELEASE_RULES_ENV: &str = "TAPSTAND_RELEASE_RULES";

/// Whether the release rules apply: always in a release build; in a debug build only with
/// [`RELEASE_RULES_ENV`] set to `1`.
pub fn release_rules() -> bool {
    !cfg!(debug_assertions) || std::env::var(RELEASE_RULES_ENV).is_ok_and(|v| v.trim() == "1")
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_builds_relax_only_without_the_switch() {
        // This test binary is a debug build unless run with --release.
        if cfg!(debug_assertions) {
            std::env::remove_var(super::RELEASE_RULES_ENV);
            assert!(!super::release_rules());
            std::env::set_var(super::RELEASE_RULES_ENV, "1");
            assert!(super::release_rules());
            std::env::set_var(super::RELEASE_RULES_ENV, "0");
            assert!(!super::release_rules());
            std::env::remove_var(super::RELEASE_RULES_ENV);
        } else {
            assert!(super::release_rules());
        }
    }
}

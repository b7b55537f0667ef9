#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and runs the whole test suite: UI unit tests, the sqlx offline-data
# check of both backends, Rust unit and integration tests (real SQLite files, a real PostgreSQL server
# started for the run — scripts/lib/pg-session.sh —, a real Secret Service, real pcscd + vpcd, the local fake
# WeChat server), and the end-to-end tests through the real app window.
# Idempotent and non-interactive; CI runs exactly this (.ci/run).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"
started=$(date +%s)
# Green means green: a test whose real part (pcscd, vsmartcard-vpcd, the Secret Service) is missing fails
# instead of printing SKIPPED (tapstand_vtag::pcscd::must_not_skip), and the skips are counted below.
export TAPSTAND_REQUIRE_PCSCD=1
mkdir -p "$ROOT/target"
test_log="$ROOT/target/test-output.log"

"$ROOT/scripts/setup.sh"

step "Release files: one version everywhere, workflows clean under actionlint and zizmor"
"$ROOT/scripts/version.sh" check
"$ROOT/scripts/actionlint.sh"
"$ROOT/scripts/zizmor.sh"

step "UI: unit tests and production build"
(cd ui && npm test && npm run build)

step "Formatting and committed generated files"
cargo fmt --all -- --check
"$ROOT/scripts/sqlx-prepare.sh" --check

step "Clippy, warnings fatal (the GitHub workflow runs it on Windows and macOS too)"
cargo clippy --workspace --all-targets --features tapstand/custom-protocol -- -D warnings

step "Building everything (debug, UI embedded)"
cargo build --workspace --all-targets --features tapstand/custom-protocol

step "Rust unit and integration tests (with a real Secret Service and a real PostgreSQL)"
dbus-run-session -- "$ROOT/scripts/lib/keyring-session.sh" "$ROOT/scripts/lib/pg-session.sh" \
  cargo test --workspace --features tapstand/custom-protocol 2>&1 | tee "$test_log"
skipped=$(grep -c '^SKIPPED' "$test_log" || true)
echo "skipped tests: $skipped (0 on a healthy machine; each says why above)"
[ "$skipped" -eq 0 ] || die "$skipped tests skipped although this run requires every real part"

step "End-to-end tests (设置 → 团队模式 uses the real PostgreSQL)"
"$ROOT/scripts/lib/pg-session.sh" "$ROOT/scripts/e2e.sh" --no-build

step "Windows and macOS: cross-build, type-check, smoke test under Wine"
"$ROOT/scripts/check-platforms.sh"

step "All tests passed in $(( $(date +%s) - started )) s"

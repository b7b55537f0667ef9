#!/usr/bin/env bash
# The Rust tests that need neither pcscd (+ vpcd) nor a Secret Service nor poppler: what the Windows and macOS
# legs of .github/workflows/ci.yml run (README, "Which tests run where"). On Linux scripts/test.sh runs all of
# these and the rest. Needs ui/node_modules (npm ci) for the updater test's signer and the built UI (ui/dist).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

# Integration test binaries on real SQLite files, the in-memory keychain, the in-process fake WeChat, the
# in-process virtual tag and the scripted PC/SC doubles, a local update server.
PORTABLE_TESTS=(
  core log_redaction            # tapstand-core
  safe_file                     # tapstand-error
  fake                          # tapstand-fake-wechat
  codes                         # tapstand-materials
  dto                           # tapstand-print (no poppler)
  lookup records                # tapstand-records (keychain: keyring-core's in-memory store)
  history platform_doubles scheme_source   # tapstand-station (no pcscd)
  open wxacode                  # tapstand-store
  concurrency contract ledger log_secrets  # tapstand-wechat
  updater                       # tapstand (the app): tauri-plugin-updater against a loopback server
)
args=()
for t in "${PORTABLE_TESTS[@]}"; do args+=(--test "$t"); done

step "Unit tests of every crate, and the portable integration tests"
cargo test --workspace --features tapstand/custom-protocol --lib "${args[@]}" "$@"

#!/usr/bin/env bash
# Windows and macOS from this Linux machine, in every test run (scripts/test.sh calls it):
#   - cross-builds the Windows app (tapstand.exe, UI embedded) and tapstand-cli.exe for x86_64-pc-windows-gnu
#     with Debian's mingw-w64,
#   - type-checks the whole workspace for aarch64-apple-darwin and x86_64-apple-darwin (cargo check: nothing
#     is linked, so no Apple SDK is needed; C build scripts get /bin/true as their compiler),
#   - runs the Windows smoke test under Wine (scripts/wine-smoke.sh).
# Installs what it needs itself (rustup targets, mingw-w64, Wine). Idempotent and non-interactive. Any step that
# cannot run fails the script: nothing is skipped silently.
# Uses the normal target dir (CARGO_TARGET_DIR or ./target), so host build scripts and proc-macros built by
# the main build are reused; the cross builds add target/x86_64-pc-windows-gnu and target/*-apple-darwin.
# ui/dist must exist (scripts/test.sh builds it first; by hand: cd ui && npm run build).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"
started=$(date +%s)
WIN=x86_64-pc-windows-gnu
MACS=(aarch64-apple-darwin x86_64-apple-darwin)

step "Platform tools: rustup targets, mingw-w64, Wine"
command -v rustup >/dev/null || die "rustup not found: the cross targets are installed with rustup (https://rustup.rs)"
installed=$(rustup target list --installed)
for t in "$WIN" "${MACS[@]}"; do
  grep -qx "$t" <<<"$installed" || rustup target add "$t"
done
APT_PACKAGES=(gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 wine64 wine)
apt_install_missing "${APT_PACKAGES[@]}"
echo "rust targets: $WIN ${MACS[*]}"
command -v x86_64-w64-mingw32-gcc >/dev/null || die "x86_64-w64-mingw32-gcc missing after installing gcc-mingw-w64-x86-64"

step "Windows: tapstand.exe (UI embedded) and tapstand-cli.exe ($WIN)"
[ -f ui/dist/index.html ] || die "ui/dist is missing: build the UI first (cd ui && npm run build)"
t0=$(date +%s)
# One cargo call for both: their dependencies are built once for the target. Debug profile, like the main
# build, so the host build scripts and proc-macros are shared.
cargo build --target "$WIN" -p tapstand -p tapstand-cli --bin tapstand --bin tapstand-cli \
  --features tapstand/custom-protocol
win_dir="${CARGO_TARGET_DIR:-$ROOT/target}/$WIN/debug"
for f in tapstand.exe tapstand-cli.exe WebView2Loader.dll; do
  [ -s "$win_dir/$f" ] || die "$win_dir/$f was not produced"
done
echo "built in $(( $(date +%s) - t0 )) s: $(cd "$win_dir" && ls -s --block-size=M tapstand.exe tapstand-cli.exe WebView2Loader.dll | tr '\n' ' ')"

step "macOS: type-checking the workspace, clippy warnings fatal (${MACS[*]})"
t0=$(date +%s)
targets=()
for t in "${MACS[@]}"; do
  v=${t//-/_}
  # cargo check never links; C build scripts (SQLite, ring) only need a compiler that "succeeds".
  export "CC_$v=/bin/true" "CXX_$v=/bin/true" "AR_$v=/bin/true"
  targets+=(--target "$t")
done
# clippy is cargo check plus the lints (the dependencies are checked as by cargo check): macOS-only code gets the
# same -D warnings as the Linux code in scripts/test.sh.
cargo clippy --workspace "${targets[@]}" --features tapstand/custom-protocol -- -D warnings
echo "checked in $(( $(date +%s) - t0 )) s"

step "Windows smoke test under Wine"
"$ROOT/scripts/wine-smoke.sh"

step "Platforms checked in $(( $(date +%s) - started )) s"

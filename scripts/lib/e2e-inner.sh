#!/usr/bin/env bash
# Inside the D-Bus + keyring session: start Xvfb, the fake WeChat server and tauri-driver, run the e2e tests,
# stop them by PID.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"
logs="${CARGO_TARGET_DIR:-$ROOT/target}/e2e-artifacts/logs"
mkdir -p "$logs"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

display=":$((100 + RANDOM % 800))"
Xvfb "$display" -screen 0 1280x900x24 -nolisten tcp >"$logs/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -S "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done
[ -S "/tmp/.X11-unix/X${display#:}" ] || { cat "$logs/xvfb.log"; die "Xvfb did not start"; }
export DISPLAY="$display"
# No accessibility bus under Xvfb: it only adds start-up time and log noise.
export NO_AT_BRIDGE=1

# The fake WeChat API on a free loopback port. The app inherits tauri-driver's environment, so it talks to
# the fake (TAPSTAND_WECHAT_BASE_URL); the tests reach its /__fake/control through TAPSTAND_E2E_FAKE_WECHAT.
fake_bin="${CARGO_TARGET_DIR:-$ROOT/target}/debug/tapstand-fake-wechat"
[ -x "$fake_bin" ] || die "$fake_bin is missing: cargo build -p tapstand-fake-wechat (scripts/e2e.sh without --no-build does it)"
fake_port=$(free_port)
"$fake_bin" --port "$fake_port" >"$logs/fake-wechat.log" 2>&1 &
pids+=($!)
wait_port "$fake_port" 30 || { cat "$logs/fake-wechat.log"; die "the fake WeChat server did not start"; }
export TAPSTAND_WECHAT_BASE_URL="http://127.0.0.1:$fake_port"
export TAPSTAND_E2E_FAKE_WECHAT="$TAPSTAND_WECHAT_BASE_URL"

# A native save dialog cannot be driven through WebDriver: the 物料 page saves its PDFs into this folder
# (under the name the dialog would propose) instead of asking. The app reads it; the tests check the files.
export TAPSTAND_E2E_SAVE_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/e2e-artifacts/print-exports"
mkdir -p "$TAPSTAND_E2E_SAVE_DIR"

port=$(free_port); native=$(free_port)
tauri-driver --port "$port" --native-port "$native" >"$logs/tauri-driver.log" 2>&1 &
pids+=($!)
wait_port "$port" 30 || { cat "$logs/tauri-driver.log"; die "tauri-driver did not start"; }
export TAPSTAND_E2E_DRIVER="http://127.0.0.1:$port"

step "End-to-end tests (display $display, tauri-driver :$port, fake WeChat :$fake_port)"
cargo test -p tapstand --features custom-protocol --test e2e -- --ignored --test-threads=1 "$@"

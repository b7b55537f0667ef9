#!/usr/bin/env bash
# Inside the D-Bus + keyring session: start Xvfb and tauri-driver, run the e2e tests, stop both by PID.
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

port=$(free_port); native=$(free_port)
tauri-driver --port "$port" --native-port "$native" >"$logs/tauri-driver.log" 2>&1 &
pids+=($!)
wait_port "$port" 30 || { cat "$logs/tauri-driver.log"; die "tauri-driver did not start"; }
export TAPSTAND_E2E_DRIVER="http://127.0.0.1:$port"

step "End-to-end tests (display $display, tauri-driver :$port)"
cargo test -p tapstand --features custom-protocol --test e2e -- --ignored --test-threads=1 "$@"

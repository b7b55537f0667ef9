#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and starts Tapstand.
#   scripts/run.sh          build the UI, then the app with the UI embedded, and run it
#   scripts/run.sh --dev    `tauri dev`: Vite dev server with hot reload
# Extra arguments after -- go to the app (e.g. -- --data-dir /tmp/tapstand-demo).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh"
if [ "${1:-}" = "--dev" ]; then
  shift
  exec ui/node_modules/.bin/tauri dev "$@"
fi
[ "${1:-}" = "--" ] && shift
step "Building the UI"
(cd ui && npm run build)
step "Building and starting Tapstand"
exec cargo run -p tapstand --features custom-protocol -- "$@"

#!/usr/bin/env bash
# End-to-end tests: the real app window, driven through tauri-driver (WebKitWebDriver) under Xvfb, with a
# private D-Bus session, an unlocked gnome-keyring and the fake WeChat server. Screenshots go to
# target/e2e-artifacts/.
#   scripts/e2e.sh [--no-build] [TEST-NAME-FILTER]
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"
if [ "${1:-}" = "--no-build" ]; then shift; else
  step "Building the UI and the app with the UI embedded"
  (cd ui && npm run build)
  cargo build -p tapstand --features custom-protocol --tests
  cargo build -p tapstand-fake-wechat
fi
exec dbus-run-session -- "$ROOT/scripts/lib/keyring-session.sh" "$ROOT/scripts/lib/e2e-inner.sh" "$@"

#!/usr/bin/env bash
# Runs "$@" with a real, unlocked Secret Service (gnome-keyring) on a private D-Bus session bus.
# Must itself run under dbus-run-session:  dbus-run-session -- scripts/lib/keyring-session.sh CMD...
# The keyring lives in a throw-away directory, so tests never touch the developer's own keyring.
set -euo pipefail
[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || { echo "keyring-session.sh: no D-Bus session (use dbus-run-session)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/tapstand-keyring.XXXXXX)
export XDG_DATA_HOME="$tmp/data" XDG_RUNTIME_DIR="$tmp/run" XDG_CONFIG_HOME="$tmp/config"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" && mkdir -m700 "$XDG_RUNTIME_DIR"
eval "$(printf 'tapstand-test-keyring' | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)"
export GNOME_KEYRING_CONTROL
# Tests that need the keychain must pass here (outside such a session they say why they did not run).
export TAPSTAND_REQUIRE_KEYCHAIN=1
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
"$@"

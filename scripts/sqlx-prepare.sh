#!/usr/bin/env bash
# Regenerates the compile-time query data (crates/tapstand-store/.sqlx) from the migrations, without
# sqlx-cli: a scratch database is built from migrations/*.sql, then the sqlx macros run online once with
# SQLX_OFFLINE_DIR set, which makes them write their data files.
#   scripts/sqlx-prepare.sh          regenerate (run after changing a query or a migration)
#   scripts/sqlx-prepare.sh --check  fail if the committed data is stale (the test suite runs this)
set -euo pipefail
cd "$(dirname "$0")/.."
crate=crates/tapstand-store
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp/prepare.db" $crate/migrations/*.sql <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
# The same table sqlx's SQLite migrator creates, so queries on it can be described.
db.executescript("""CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
  installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, checksum BLOB NOT NULL,
  execution_time BIGINT NOT NULL);""")
for path in sorted(sys.argv[2:]):
    db.executescript(open(path, encoding="utf-8").read())
db.commit()
PY
mkdir -p "$tmp/sqlx"
# Proc macros only run when the crate is compiled again, and cargo does not track SQLX_* variables: use a
# target directory of our own (no other build can mark the crate fresh in between) and touch the crate.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}/sqlx-prepare"
touch $crate/src/lib.rs
SQLX_OFFLINE=false DATABASE_URL="sqlite://$tmp/prepare.db" SQLX_OFFLINE_DIR="$tmp/sqlx" \
  cargo check -q -p tapstand-store --all-targets
touch $crate/src/lib.rs
expected=$(grep -rhoE 'sqlx::query(_as|_scalar)?!' $crate/src $crate/tests 2>/dev/null | wc -l)
got=$(ls "$tmp/sqlx" | wc -l)
if [ "$got" -eq 0 ] || [ "$got" -lt $((expected / 2)) ]; then
  echo "sqlx-prepare: the macros wrote $got query files for ~$expected query macros: the crate was not recompiled online" >&2
  exit 1
fi
if [ "${1:-}" = "--check" ]; then
  if ! diff -r "$tmp/sqlx" $crate/.sqlx >/dev/null 2>&1; then
    diff -r "$tmp/sqlx" $crate/.sqlx || true
    echo "sqlx offline data in $crate/.sqlx is stale: run scripts/sqlx-prepare.sh and commit the result" >&2
    exit 1
  fi
  echo "sqlx offline data is up to date ($(ls $crate/.sqlx | wc -l) queries)"
else
  rm -rf $crate/.sqlx
  cp -r "$tmp/sqlx" $crate/.sqlx
  echo "wrote $crate/.sqlx ($(ls $crate/.sqlx | wc -l) queries)"
fi

#!/usr/bin/env bash
# Regenerates the compile-time query data of both storage backends, without sqlx-cli:
#   crates/tapstand-store/.sqlx     the SQLite queries (checked against a scratch file built from migrations/)
#   crates/tapstand-store-pg/.sqlx  the PostgreSQL queries (checked against a scratch database built from
#                                   crates/tapstand-store/migrations-pg/ on a private server, pg-session.sh)
# The sqlx macros run online once with SQLX_OFFLINE_DIR set, which makes them write their data files; each
# crate reads its own DATABASE_URL from a `.env` in its folder (sqlx's macros look there when the variable is
# not set; written here, removed on exit, ignored by git), so one `cargo check` prepares both. The files are
# then sorted by the database they were described on.
#   scripts/sqlx-prepare.sh          regenerate (run after changing a query or a migration)
#   scripts/sqlx-prepare.sh --check  fail if the committed data is stale (the test suite runs this)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${TAPSTAND_TEST_PG_URL:-}" ]; then
  exec "$PWD/scripts/lib/pg-session.sh" "$0" "$@"
fi
crate=crates/tapstand-store
pgcrate=crates/tapstand-store-pg
tmp=$(mktemp -d)
pgdb="sqlx_prepare_$$"
admin_url="$TAPSTAND_TEST_PG_URL"
cleanup() {
  rm -f $crate/.env $pgcrate/.env
  psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $pgdb" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
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
psql -q -v ON_ERROR_STOP=1 "$admin_url" -c "CREATE DATABASE $pgdb" >/dev/null
pg_url="${admin_url%/*}/$pgdb"
for f in $(ls $crate/migrations-pg/*.sql | sort); do
  psql -q -v ON_ERROR_STOP=1 "$pg_url" -f "$f" >/dev/null
done
mkdir -p "$tmp/sqlx"
# Proc macros only run when the crate is compiled again, and cargo does not track SQLX_* variables: use a
# target directory of our own (no other build can mark the crates fresh in between) and touch the crates.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}/sqlx-prepare"
touch $crate/src/lib.rs $pgcrate/src/lib.rs
echo "DATABASE_URL=sqlite://$tmp/prepare.db" >$crate/.env
echo "DATABASE_URL=$pg_url" >$pgcrate/.env
(unset DATABASE_URL; SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$tmp/sqlx" cargo check -q -p tapstand-store --all-targets)
rm -f $crate/.env $pgcrate/.env
touch $crate/src/lib.rs $pgcrate/src/lib.rs
mkdir -p "$tmp/sqlite" "$tmp/pg"
for f in "$tmp"/sqlx/*.json; do
  case "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["db_name"])' "$f")" in
    SQLite) mv "$f" "$tmp/sqlite/" ;;
    PostgreSQL) mv "$f" "$tmp/pg/" ;;
    *) echo "sqlx-prepare: $f: unexpected database" >&2; exit 1 ;;
  esac
done
status=0
for pair in "$crate:sqlite" "$pgcrate:pg"; do
  dir=${pair%%:*} kind=${pair##*:}
  expected=$( (grep -rhoE 'sqlx::query(_as|_scalar)?!' $dir/src $dir/tests 2>/dev/null || true) | wc -l)
  got=$(ls "$tmp/$kind" | wc -l)
  if [ "$got" -eq 0 ] || [ "$got" -lt $((expected / 2)) ]; then
    echo "sqlx-prepare: the macros wrote $got $kind query files for ~$expected query macros in $dir: not recompiled online" >&2
    exit 1
  fi
  if [ "${1:-}" = "--check" ]; then
    if ! diff -r "$tmp/$kind" $dir/.sqlx >/dev/null 2>&1; then
      diff -r "$tmp/$kind" $dir/.sqlx || true
      echo "sqlx offline data in $dir/.sqlx is stale: run scripts/sqlx-prepare.sh and commit the result" >&2
      status=1
    else
      echo "sqlx offline data is up to date ($dir: $(ls $dir/.sqlx | wc -l) queries)"
    fi
  else
    rm -rf $dir/.sqlx
    cp -r "$tmp/$kind" $dir/.sqlx
    echo "wrote $dir/.sqlx ($(ls $dir/.sqlx | wc -l) queries)"
  fi
done
exit $status

#!/usr/bin/env bash
# Runs "$@" with a real, private PostgreSQL server (Debian's `postgresql`, installed by scripts/setup.sh):
# initdb into a throw-away folder, pg_ctl on a free loopback port (never 5432), one database, and
#   TAPSTAND_TEST_PG_URL=postgres://tapstand:PASSWORD@127.0.0.1:PORT/tapstand_test
# exported for the command (the role may CREATE DATABASE: each storage test makes its own fresh one).
# The server is stopped and the folder removed afterwards, whatever "$@" did (trap). Password auth
# (scram-sha-256) on TCP, so a wrong password is a real failure; the password is a random throw-away one.
# TLS is on with a certificate for 127.0.0.1 (IP SAN only) signed by a throw-away test CA made here
# (openssl, P-256: fast), exported as TAPSTAND_TEST_PG_CA (PEM) for `sslmode=verify-full` tests, with
# TAPSTAND_TEST_PG_OTHER_CA, a second CA that signed nothing (the "wrong CA"). The role `tapstand_tls`
# (same password) may connect only over TLS, so "the server requires TLS" is a real server's answer too.
#   scripts/lib/pg-session.sh cargo test ...
# As root, initdb refuses to run: the server then runs as the unprivileged `postgres` user (Debian's
# package creates it) in a folder that user owns.
set -euo pipefail
source "$(dirname "$0")/common.sh"

bindir=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { bindir=$d; break; }
done
[ -n "$bindir" ] || die "PostgreSQL not found in /usr/lib/postgresql/*/bin: run scripts/setup.sh"

tmp=$(mktemp -d /tmp/tapstand-pg.XXXXXX)
chmod 755 "$tmp"
run_pg() { "$@"; }
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || die "no 'postgres' user to run the server as (install Debian's postgresql)"
  chown postgres: "$tmp"
  run_pg() { runuser -u postgres -- "$@"; }
fi
password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
port=$(free_port)
data="$tmp/data"
log="$tmp/server.log"

stop() {
  local rc=$?
  run_pg "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
  exit $rc
}
trap stop EXIT INT TERM

printf '%s\n' "$password" >"$tmp/pw"
if [ "$(id -u)" = 0 ]; then chown postgres: "$tmp/pw"; fi
run_pg "$bindir/initdb" -D "$data" -U tapstand --pwfile="$tmp/pw" --auth=scram-sha-256 \
  -E UTF8 --locale=C.UTF-8 >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; die "initdb failed"; }
rm -f "$tmp/pw"
# The test CAs and the server's certificate (made once per session folder; a second run finds them).
tls="$tmp/tls"
make_ca() { # $1: name
  [ -s "$tls/$1.crt" ] || run_pg openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days 2 -subj "/CN=Tapstand test $1" -keyout "$tls/$1.key" -out "$tls/$1.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
run_pg mkdir -p "$tls"
{
  make_ca ca && make_ca other-ca
  if [ ! -s "$data/server.crt" ]; then
    run_pg openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 \
      -keyout "$data/server.key" -out "$tls/server.csr"
    printf '%s\n' 'subjectAltName=IP:127.0.0.1' 'basicConstraints=critical,CA:FALSE' \
      'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' | run_pg tee "$tls/server.ext"
    run_pg openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
      -set_serial "0x$(python3 -c 'import secrets; print(secrets.token_hex(8))')" -days 2 \
      -extfile "$tls/server.ext" -out "$data/server.crt"
  fi
} >"$tmp/tls.log" 2>&1 || { cat "$tmp/tls.log" >&2; die "openssl could not make the test certificates"; }
run_pg chmod 600 "$data/server.key"
# First match wins: the TLS-only role is rejected on a plain connection, everything else as initdb wrote it.
{ echo "hostnossl all tapstand_tls 127.0.0.1/32 reject"; cat "$data/pg_hba.conf"; } >"$tmp/hba"
cat "$tmp/hba" >"$data/pg_hba.conf" && rm -f "$tmp/hba"
# fsync off: the tests check what the server does, not whether this machine's disk survives a power cut.
run_pg "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$tmp' -c max_connections=300 -c fsync=off -c ssl=on" \
  start >/dev/null || { cat "$log" >&2; die "PostgreSQL did not start"; }
PGPASSWORD="$password" "$bindir/psql" -q -h 127.0.0.1 -p "$port" -U tapstand -d postgres \
  -c "CREATE DATABASE tapstand_test" -c "CREATE ROLE tapstand_tls LOGIN CREATEDB PASSWORD '$password'" \
  || die "could not create the test database"
export TAPSTAND_TEST_PG_URL="postgres://tapstand:$password@127.0.0.1:$port/tapstand_test"
export TAPSTAND_TEST_PG_CA="$tls/ca.crt" TAPSTAND_TEST_PG_OTHER_CA="$tls/other-ca.crt"
# Tests under this script must not skip their PostgreSQL half.
export TAPSTAND_REQUIRE_PG=1
echo "PostgreSQL $("$bindir/postgres" -V | awk '{print $3}') on 127.0.0.1:$port (TAPSTAND_TEST_PG_URL)" >&2
"$@"

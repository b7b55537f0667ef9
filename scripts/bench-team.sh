#!/usr/bin/env bash
# Team-mode benchmark: `db copy-to` of a SQLite database with 10,000 stores and 1,000 tags (and their ledger
# rows and attempts) into a fresh database on a private PostgreSQL server (scripts/lib/pg-session.sh), through
# the test `ten_thousand_stores_and_a_thousand_tags` (crates/tapstand-store/tests/copy_to.rs), which also checks
# the counts. Writes benchmarks/team.md.
#   scripts/bench-team.sh [RUNS] [--release]
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"
runs=${1:-3}
profile=()
build="debug build (as scripts/test.sh runs it)"
if [ "${2:-}" = "--release" ]; then profile=(--release); build="release build"; fi
out=benchmarks/team.md
step "Building the test (${build})"
cargo test "${profile[@]}" --workspace --features tapstand/custom-protocol --test copy_to --no-run
figures=()
for i in $(seq 1 "$runs"); do
  line=$("$ROOT/scripts/lib/pg-session.sh" cargo test -q "${profile[@]}" --workspace --features tapstand/custom-protocol --test copy_to \
    ten_thousand -- --nocapture 2>/dev/null | grep '^COPY_TO_BENCH')
  echo "$line"
  figures+=("$(sed -n 's/.* ms=\([0-9]*\).*/\1/p' <<<"$line")")
  rows=$(sed -n 's/.* rows=\([0-9]*\).*/\1/p' <<<"$line")
done
median=$(printf '%s\n' "${figures[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
{
  echo "# Team mode benchmarks"
  echo
  echo "Measured by \`scripts/bench-team.sh $runs${2:+ $2}\` on $(date -u +%Y-%m-%d), $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p' | head -1)),"
  echo "$(free -g | awk '/^Mem/ {print $2}') GiB, $(uname -sr), ${build}, PostgreSQL $(/usr/lib/postgresql/*/bin/postgres -V | awk '{print $3}' | head -1) on loopback (fsync off, as the test server runs),"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| what | rows copied | runs (ms) | median |"
  echo "|---|---|---|---|"
  echo "| \`db copy-to\`: 10,000 stores + 1,000 tags (ledger rows, attempts, tags) SQLite → empty PostgreSQL, one transaction, counts checked | $rows | ${figures[*]} | **${median} ms** |"
  echo
  echo "The time is \`Db::copy_to\` alone (the target was opened and migrated before): a consistent read of the"
  echo "SQLite file, every row into PostgreSQL in multi-row INSERTs (up to 1,000 rows, under 60,000 bound values"
  echo "each), identities moved past the copied ids, the counts of every table compared, then one commit."
} >"$out"

# The roll-out at scale (crates/tapstand-cli/tests/pool_scale.rs): 3,000 pooled links generated against the fake
# WeChat with its per-second limit on (the generate killed a third of the way and finished by a second run), then
# twenty processes claiming from the PostgreSQL pool at once. It needs a keyring (the AppSecret).
step "Pool roll-out: 3,000 links, twenty claiming processes"
cargo test "${profile[@]}" -p tapstand-cli --test pool_scale --no-run
scale=$(dbus-run-session -- "$ROOT/scripts/lib/keyring-session.sh" "$ROOT/scripts/lib/pg-session.sh" \
  cargo test -q "${profile[@]}" -p tapstand-cli --test pool_scale -- --nocapture 2>/dev/null | grep -o 'POOL_SCALE_BENCH.*')
echo "$scale"
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$scale"; }
{
  echo
  echo "## A chain's roll-out: pool generate and twenty PCs claiming at once"
  echo
  echo "| what | figure |"
  echo "|---|---|"
  echo "| \`pool generate\` of $(field links) links against the fake WeChat, its 100 calls/s limit on (paced at 80/s; killed a third of the way, finished by a second run) | $(field generate_ms) ms, $(field generate_calls) calls, none issued twice |"
  echo "| $(field claimers) OS processes claiming from one PostgreSQL pool at once (\`Db::pool_claim\`, \`FOR UPDATE SKIP LOCKED\`), until empty | $(field claim_ms) ms: **$(field claims_per_s) claims/s**, $(field links) distinct links |"
  echo
  echo "Claims per process: $(sed -n 's/.*per_process=\(.*\)$/\1/p' <<<"$scale")."
} >>"$out"
step "Wrote $out"

#!/usr/bin/env bash
# Memory benchmarks (release builds, not timed tests): peak RSS (/usr/bin/time -v) of real commands on
# big inputs. Each case writes its own section of benchmarks/memory.md and leaves the other sections as
# they are.
#   scripts/bench-memory.sh [CASE ...]        (default: every case)
# Cases:
#   history-csv [ROWS]   `tapstand-cli history --csv` of ROWS (default 100,000) station attempts.
#                        Target: peak RSS <= 300 MB. BEFORE_CLI=/path/to/an/older/tapstand-cli also measures
#                        that binary (with --limit ROWS, which older builds need to export every row).
#   pdf [N]              `tapstand-cli export-pdf --all` of N stores (default 10,000) into one PDF and into one
#                        PDF per store (scripts/lib/bench-memory-pdf.sh). Target: peak RSS <= 300 MB each.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
command -v /usr/bin/time >/dev/null || die "needs /usr/bin/time (apt-get install time)"
out=benchmarks/memory.md

# Replaces the section "## $1" of $out with the contents of file $2 (appends it when missing).
write_section() {
  local title=$1 body=$2
  [ -f "$out" ] || printf '# Memory benchmarks\n\nMeasured by `scripts/bench-memory.sh`; peak RSS is "Maximum resident set size" from `/usr/bin/time -v`.\n' >"$out"
  python3 - "$out" "$title" "$body" <<'PY'
import sys, re
path, title, body = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().rstrip() + "\n"
text = open(path).read()
head = f"## {title}\n"
start = text.find(head)
if start < 0:
    text = text.rstrip() + "\n\n" + head + "\n" + body
else:
    nxt = text.find("\n## ", start + len(head))
    end = len(text) if nxt < 0 else nxt + 1
    text = text[:start] + head + "\n" + body + ("\n" + text[end:] if nxt >= 0 else "")
open(path, "w").write(text)
PY
}

# Runs "$@" under /usr/bin/time -v; prints "seconds peak_rss_kb".
measure() {
  local t; t=$(mktemp)
  /usr/bin/time -v "$@" >/dev/null 2>"$t" || { cat "$t" >&2; rm -f "$t"; die "failed: $*"; }
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = (n == 3) ? p[1]*3600 + p[2]*60 + p[3] : p[1]*60 + p[2] }
    /Maximum resident set size/ { rss = $2 }
    END { printf "%.2f %d\n", s, rss }' "$t"
  rm -f "$t"
}

case_history_csv() {
  local rows=${1:-100000}
  step "History CSV export: building tapstand-cli and the seed tool (release)"
  cargo build --release -q -p tapstand-station --example seed_history
  cargo build --release -q -p tapstand-cli --bin tapstand-cli
  local bin=$CARGO_TARGET_DIR/release/tapstand-cli seed=$CARGO_TARGET_DIR/release/examples/seed_history
  local tmp; tmp=$(mktemp -d)
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" RETURN
  step "Seeding $rows station attempts"
  local n; n=$("$seed" "$tmp/data" "$rows")
  [ "$n" = "$rows" ] || die "seeded $n rows, wanted $rows"
  local db_mb; db_mb=$(du -sm "$tmp/data" | cut -f1)
  local runs=() r
  for i in 1 2 3; do
    r=$(measure "$bin" --data-dir "$tmp/data" history --csv "$tmp/history.csv")
    runs+=("$r"); echo "  run $i: $r (s, KB)"
  done
  local lines; lines=$(python3 -c "import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], encoding='utf-8-sig', newline=''))) - 1)" "$tmp/history.csv")
  [ "$lines" = "$rows" ] || die "the CSV has $lines rows, wanted $rows"
  local csv_mb; csv_mb=$(awk -v b="$(stat -c %s "$tmp/history.csv")" 'BEGIN { printf "%.1f", b / 1048576 }')
  local before=""
  if [ -n "${BEFORE_CLI:-}" ]; then
    step "The same export with $BEFORE_CLI"
    r=$(measure "$BEFORE_CLI" --data-dir "$tmp/data" history --limit "$rows" --csv "$tmp/before.csv")
    before=$r; echo "  before: $r (s, KB)"
  fi
  local body="$tmp/section.md"
  {
    echo "Measured by \`scripts/bench-memory.sh history-csv\` on $(date -u +%Y-%m-%d), $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p' | head -1)),"
    echo "$(free -g | awk '/^Mem/ {print $2}') GiB, $(uname -sr), release build. Target: peak RSS <= 300 MB."
    echo
    echo "\`tapstand-cli --data-dir D history --csv out.csv\`: $rows station attempts (database ${db_mb} MB) into a ${csv_mb} MB CSV ($lines data rows, checked)."
    echo
    echo "| run | wall (s) | peak RSS (MB) |"
    echo "|---|---|---|"
    local i=1
    for r in "${runs[@]}"; do
      set -- $r
      echo "| $i | $1 | $(awk -v k="$2" 'BEGIN { printf "%.1f", k / 1024 }') |"
      i=$((i + 1))
    done
    if [ -n "$before" ]; then
      set -- $before
      echo "| before (\`${BEFORE_CLI##*/}\`, --limit $rows) | $1 | $(awk -v k="$2" 'BEGIN { printf "%.1f", k / 1024 }') |"
    fi
    echo
    echo "The database is seeded by \`crates/tapstand-station/examples/seed_history.rs\`: opened and migrated by"
    echo "\`Db::open\`, 1,000 attempts through \`station_insert_attempt\`, the rest copies of those by one"
    echo "\`INSERT … SELECT\` (each an hour earlier, with its own UID, sn and link). The export reads the rows with"
    echo "one sqlx fetch stream (\`Db::station_history_for_each\`) and writes each straight into a \`SafeFile\`"
    echo "(temporary file in the target folder, fsync, rename), so memory does not grow with the history."
  } >"$body"
  write_section "History CSV export" "$body"
  step "Wrote the History CSV export section of $out"
}

cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(history-csv pdf)
i=0
while [ $i -lt ${#cases[@]} ]; do
  c=${cases[$i]}
  case $c in
    history-csv)
      arg=""
      if [ $((i + 1)) -lt ${#cases[@]} ] && [[ ${cases[$((i + 1))]} =~ ^[0-9]+$ ]]; then arg=${cases[$((i + 1))]}; i=$((i + 1)); fi
      case_history_csv $arg ;;
    pdf)
      arg=""
      if [ $((i + 1)) -lt ${#cases[@]} ] && [[ ${cases[$((i + 1))]} =~ ^[0-9]+$ ]]; then arg=${cases[$((i + 1))]}; i=$((i + 1)); fi
      step "PDF export: ${arg:-10000} stores"
      "$ROOT/scripts/lib/bench-memory-pdf.sh" $arg ;;
    *) die "unknown case $c (history-csv, pdf)" ;;
  esac
  i=$((i + 1))
done

#!/usr/bin/env bash
# Memory benchmark (release build; a benchmark, not a timed test): peak RSS of the real CLI on a data folder
# with N stores (default 10,000), each with its own mini-program code in the cache.
#   1. `tapstand-cli export-pdf --all --offline --store-name --out all.pdf`      (one PDF)
#   2. `tapstand-cli export-pdf --all --offline --store-name --per-store --out DIR` (one PDF per store)
# Peak RSS = "Maximum resident set size" of /usr/bin/time -v. Target: <= 300 MB each.
# The data folder is seeded once by the `bench_seed` example (stores + codes fetched from the in-process fake
# WeChat, getwxacodeunlimit width 1280) and kept under $CARGO_TARGET_DIR/bench-memory/ for the next run.
#
#   scripts/bench-memory.sh pdf [N]   (this file is its "pdf" case)
#   BEFORE_CLI=/path/to/old/tapstand-cli scripts/bench-memory.sh pdf   also measures that binary ("before")
#
# Writes the PDF section of benchmarks/memory.md; everything from "## History CSV export" on is kept as it is
# (another case of this benchmark fills it).
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-10000}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
for t in qpdf pdfinfo; do command -v $t >/dev/null || { echo "needs $t (apt-get install qpdf poppler-utils)" >&2; exit 1; }; done

cargo build --release -q -p tapstand-cli --bin tapstand-cli --example bench_seed
cli=$CARGO_TARGET_DIR/release/tapstand-cli
seed=$CARGO_TARGET_DIR/release/examples/bench_seed
work=$CARGO_TARGET_DIR/bench-memory
data=$work/data-$n
if [ ! -f "$data/.seeded" ]; then
  rm -rf "$data"
  echo "seeding $n stores and their codes into $data ..."
  "$seed" "$data" "$n" | tee "$work.seed.txt"
  touch "$data/.seeded"
fi
code_kb=$(sqlite3 "$data/tapstand.db" "SELECT AVG(byte_len)/1024 FROM wxacode_cache" 2>/dev/null | cut -d. -f1 || true)
[ -n "$code_kb" ] || code_kb=$(awk -F'code_bytes_avg=' '/code_bytes_avg/ {printf "%d", $2/1024}' "$work.seed.txt" 2>/dev/null || echo "?")
out=$(mktemp -d -p "$work")
trap 'rm -rf "$out"' EXIT

secs_of() { awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$1" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }'; }
rss_mb() { awk -F': ' '/Maximum resident set size/ {printf "%d", $2/1024}' "$1"; }
cpu_s() { awk -F': ' '/User time|System time/ {s += $2} END {printf "%.0f", s}' "$1"; }

# run LABEL BIN MODE  → prints "secs rss_mb cpu_s bytes files pages check"
run() {
  local label=$1 bin=$2 mode=$3 target args
  rm -rf "$out/pdf" && mkdir -p "$out/pdf"
  if [ "$mode" = one ]; then target=$out/pdf/all.pdf; args=(--out "$target"); else target=$out/pdf/files; args=(--per-store --out "$target"); fi
  local t=$out/time-$label-$mode.txt
  if /usr/bin/time -v "$bin" --data-dir "$data" --json export-pdf --all --offline --store-name "${args[@]}" \
      >"$out/out.json" 2>"$t"; then
    local bytes files pages check
    bytes=$(du -sb "$target" | cut -f1)
    if [ "$mode" = one ]; then
      files=1
      pages=$(pdfinfo "$target" | awk '/^Pages:/ {print $2}')
      qpdf --check "$target" >"$out/qpdf.txt" 2>&1 && check="qpdf --check: ok" || check="qpdf --check: FAILED"
    else
      files=$(ls "$target" | wc -l)
      pages=$files
      check="files: $files"
    fi
    echo "$(secs_of "$t") $(rss_mb "$t") $(cpu_s "$t") $bytes $files $pages ${check// /_}"
  else
    echo "failed $(rss_mb "$t") $(cpu_s "$t") 0 0 0 exit_$(tail -c 300 "$t" | tr -s ' \n' '__' | cut -c1-80)"
  fi
}

declare -A R
for mode in one files; do
  if [ -n "${BEFORE_CLI:-}" ]; then
    R[before-$mode]=$(run before "$BEFORE_CLI" $mode); echo "before $mode: ${R[before-$mode]}"
  fi
  R[after-$mode]=$(run after "$cli" $mode); echo "after $mode: ${R[after-$mode]}"
done

row() {
  local what=$1 key=$2 secs rss cpu bytes files pages check
  if [ -z "${R[$key]:-}" ]; then echo "| $what | — | — | — | — | — |"; return; fi
  read -r secs rss cpu bytes files pages check <<<"${R[$key]}"
  if [ "$secs" = failed ]; then echo "| $what | failed (${check//_/ }) | $rss MB | ${cpu} s | — | — |"; return; fi
  echo "| $what | ${secs} s | **$rss MB** | ${cpu} s | $((bytes / 1024 / 1024)) MB ($((bytes / 1024 / (pages > 0 ? pages : 1))) KB per page), $pages pages | ${check//_/ } |"
}

profile="workspace profile"
[ -n "${CARGO_PROFILE_RELEASE_LTO:-}${CARGO_PROFILE_RELEASE_CODEGEN_UNITS:-}" ] &&
  profile="workspace profile with CARGO_PROFILE_RELEASE_LTO=${CARGO_PROFILE_RELEASE_LTO:-} CARGO_PROFILE_RELEASE_CODEGEN_UNITS=${CARGO_PROFILE_RELEASE_CODEGEN_UNITS:-} to save build time"
cpu_model=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
mem_gb=$(awk '/MemTotal/ {printf "%.0f", $2/1024/1024}' /proc/meminfo)
os=$(. /etc/os-release && echo "$PRETTY_NAME")
load=$(cut -d' ' -f1-3 /proc/loadavg)
rest=""
[ -f benchmarks/memory.md ] && rest=$(sed -n '/^## History CSV export/,$p' benchmarks/memory.md)
[ -n "$rest" ] || rest="## History CSV export"
mkdir -p benchmarks
cat > benchmarks/memory.md <<EOF
# Memory benchmark

Written by \`scripts/bench-memory.sh pdf $n\` on $(date -u +%Y-%m-%d) — release build ($profile), $(rustc --version | cut -d' ' -f1-2).

Machine: ${cpu_model}, $(nproc) vCPU, ${mem_gb} GB RAM, ${os}. Shared with other builds while measuring (load
average $load at the end), so wall times are an upper bound; peak memory does not depend on the load.

Peak memory = "Maximum resident set size" of \`/usr/bin/time -v\` for the whole CLI process. Target: **≤ 300 MB** each.

## PDF export of $n stores

Data: a data folder with $n stores and one profile; every store's code was fetched once from the fake WeChat
(\`getwxacodeunlimit\`, width 1280: the fake's 1280 px JPEG, ${code_kb} KB on average, $n distinct images) into the
code cache (SQLite), so the export runs \`--offline\` from the cache. Command:
\`tapstand-cli export-pdf --all --offline --store-name --out all.pdf\` (A5 vertical, default design), and the same
with \`--per-store --out DIR\`. "before" = the export as it was on main before the streaming change (every code
in memory, the whole document built and then saved); "after" = this branch.

| what | wall time | peak RSS | CPU (user+sys) | output | check |
|---|---|---|---|---|---|
$(row "before: $n stores → one PDF" before-one)
$(row "after: $n stores → one PDF" after-one)
$(row "before: $n stores → one PDF per store" before-files)
$(row "after: $n stores → one PDF per store" after-files)

Reproduce: \`scripts/bench-memory.sh pdf [N]\` (\`BEFORE_CLI=path/to/old/tapstand-cli\` adds the "before" rows; needs
qpdf, poppler-utils, /usr/bin/time).

$rest
EOF
echo "wrote benchmarks/memory.md"

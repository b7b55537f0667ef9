#!/usr/bin/env bash
# Print-engine benchmark (release build, not a timed test):
#   1. 200 stores into one PDF (A5 vertical, store names, one 1280 px code per store): wall time, peak memory
#      (/usr/bin/time -v), file size. Targets: <= 5 s, <= 300 MB.
#   2. one page with a 1280 px code: file size. Target: <= 1 MB.
# The codes are JPEG stand-ins of a 小程序码 (what getwxacodeunlimit returns by default: 1280 px, colour
# avatar in the middle), generated before timing starts. Writes benchmarks/print.md.
#   scripts/bench-print.sh [N]     (N stores, default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
cargo build --release -q -p tapstand-print --example bench_export
bin=$CARGO_TARGET_DIR/release/examples/bench_export
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bin" gen "$tmp/codes" "$n"
code_kb=$(( $(du -sk "$tmp/codes" | cut -f1) / n ))

runs=()
for i in 1 2 3; do
  /usr/bin/time -v "$bin" export "$tmp/codes" "$tmp/all.pdf" >"$tmp/out.txt" 2>"$tmp/time.txt"
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tmp/time.txt")
  secs=$(echo "$wall" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/time.txt")
  cpu=$(awk -F': ' '/Percent of CPU/ {print $2}' "$tmp/time.txt")
  cpu_s=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$tmp/time.txt")
  runs+=("$secs $rss_kb $cpu $cpu_s")
  echo "run $i: ${secs} s wall, ${cpu_s} s CPU, $((rss_kb / 1024)) MB peak, CPU $cpu — $(cat "$tmp/out.txt")"
done
best=$(printf '%s\n' "${runs[@]}" | sort -n | head -1)
median=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p)
all_bytes=$(stat -c %s "$tmp/all.pdf")
pages=$(pdfinfo "$tmp/all.pdf" | awk '/^Pages:/ {print $2}')
qpdf --check "$tmp/all.pdf" >/dev/null && qpdf_ok=yes || qpdf_ok=NO

/usr/bin/time -v "$bin" export-files "$tmp/codes" "$tmp/files" >"$tmp/out2.txt" 2>"$tmp/time2.txt"
f_wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tmp/time2.txt")
f_secs=$(echo "$f_wall" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
f_rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/time2.txt")
f_count=$(ls "$tmp/files" | wc -l)
f_bytes=$(du -sb "$tmp/files" | cut -f1)
echo "one file per store: ${f_secs} s, $((f_rss / 1024)) MB peak — $(cat "$tmp/out2.txt")"

"$bin" single "$tmp/codes/0000.jpg" "$tmp/one.pdf" >/dev/null
one_bytes=$(stat -c %s "$tmp/one.pdf")
one_img=$(pdfimages -list "$tmp/one.pdf" | awk 'NR==3 {print $4"x"$5" "$6" "$9", "$13" ppi, "$15}')

cpu_model=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
mem_gb=$(awk '/MemTotal/ {printf "%.0f", $2/1024/1024}' /proc/meminfo)
read -r m_secs m_rss m_cpu m_cpu_s <<<"$median"
read -r b_secs b_rss b_cpu b_cpu_s <<<"$best"
load=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p benchmarks
cat > benchmarks/print.md <<EOF
# Print engine benchmark

Written by \`scripts/bench-print.sh\` on $(date -u +%Y-%m-%d) — release build (workspace profile: opt-level "s",
thin LTO, 1 codegen unit), $(rustc --version | cut -d' ' -f1-2).

Machine: ${cpu_model}, $(nproc) vCPU, ${mem_gb} GB RAM, $(. /etc/os-release; echo "$PRETTY_NAME"). Shared with
other jobs while measuring (load average ${load} at the end; "CPU" below is the share of one core the run got), so
wall times are an upper bound; the CPU time (user + system) does not depend on the load.

Input: ${n} distinct JPEG stand-ins of a 小程序码 (1280 × 1280 px, colour avatar in the middle, ~${code_kb} KB each,
like getwxacodeunlimit's default JPEG), A5 vertical, store names printed, default design, one PDF. The images are
generated before timing; the timed process reads them, checks every store, converts each code losslessly
(neutral pixels → K only, Flate, no downsampling) on worker threads, writes the PDF and post-processes it.

| what | target | measured (median of 3) | best of 3 |
|---|---|---|---|
| ${n} stores → one PDF, wall time | ≤ 5 s | **${m_secs} s** (CPU ${m_cpu}) | ${b_secs} s (CPU ${b_cpu}) |
| ${n} stores → one PDF, CPU time (user + system) | — | ${m_cpu_s} s | ${b_cpu_s} s |
| ${n} stores → one PDF, peak memory (max RSS) | ≤ 300 MB | **$((m_rss / 1024)) MB** | $((b_rss / 1024)) MB |
| ${n} stores → one PDF, file size | — | $((all_bytes / 1024 / 1024)) MB ($((all_bytes / 1024 / n)) KB per store), ${pages} pages, qpdf --check: ${qpdf_ok} | |
| ${n} stores → one PDF per store (for comparison, 1 run) | — | ${f_secs} s, $((f_rss / 1024)) MB peak, ${f_count} files, $((f_bytes / 1024 / 1024)) MB | |
| one page with a 1280 px code, file size | ≤ 1 MB | **$((one_bytes / 1024)) KB** (image: ${one_img}) | |

Reproduce: \`scripts/bench-print.sh\` (needs poppler-utils, qpdf, /usr/bin/time).
EOF
cat benchmarks/print.md

#!/usr/bin/env bash
# Foundation benchmarks: build times, release binary and bundle size, launch-to-first-paint and idle memory.
# Writes benchmarks/foundation.md. Run on a quiet machine; figures vary with load.
#   scripts/bench.sh            everything except the cold build
#   scripts/bench.sh --cold     also a cold debug build into an empty target directory (~10 min on 2 cores)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"
cold=false; [ "${1:-}" = "--cold" ] && cold=true
out=benchmarks/foundation.md
results=()
add() { results+=("| $1 | $2 |"); printf '%-48s %s\n' "$1" "$2"; }
# Seconds a command takes (it must succeed: a failing build is not a figure).
secs() {
  local s log; s=$(date +%s.%N); log=$(mktemp)
  "$@" >"$log" 2>&1 || { tail -20 "$log" >&2; die "failed: $*"; }
  rm -f "$log"; printf '%.1f' "$(echo "$(date +%s.%N) - $s" | bc)"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
"$ROOT/scripts/setup.sh" >/dev/null
command -v bc >/dev/null || as_root apt-get install -y -q bc >/dev/null
(cd ui && npm run build >/dev/null)

step "Build times"
if $cold; then
  tdir=$(mktemp -d /tmp/tapstand-cold.XXXXXX)
  t=$(CARGO_TARGET_DIR=$tdir secs cargo build -p tapstand --features custom-protocol)
  add "cold debug build of the app (empty target/)" "$t s"
  rm -rf "$tdir"
fi
cargo build -p tapstand --features custom-protocol >/dev/null 2>&1
t=$(secs cargo build -p tapstand --features custom-protocol); add "no-op debug build" "$t s"
touch src-tauri/src/commands/app.rs
t=$(secs cargo build -p tapstand --features custom-protocol); add "warm debug build after editing the Tauri crate" "$t s"
touch crates/tapstand-core/src/lib.rs
t=$(secs cargo build -p tapstand --features custom-protocol); add "warm debug build after editing tapstand-core" "$t s"

step "Release binary and Linux bundle (tauri build --bundles deb)"
rel_time=$(secs ui/node_modules/.bin/tauri build --bundles deb)
add "release build + .deb bundle" "$rel_time s"
bin=target/release/tapstand
[ -x "$bin" ] || die "no release binary at $bin"
deb=$(ls -t target/release/bundle/deb/*.deb | head -1)
add "release app binary size" "$(numfmt --to=iec --suffix=B "$(stat -c %s "$bin")") ($(stat -c %s "$bin") bytes)"
add "Linux bundle (.deb) size" "$(numfmt --to=iec --suffix=B "$(stat -c %s "$deb")") ($(stat -c %s "$deb") bytes)"

step "Launch to first paint and idle memory (release binary, Xvfb, 5 launches)"
display=":$((100 + RANDOM % 800))"
Xvfb "$display" -screen 0 1280x900x24 -nolisten tcp >/dev/null 2>&1 &
xpid=$!
trap 'kill $xpid 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do [ -S "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done
paints=(); rss=(); pss=(); main_rss=()
tree_pids() { local p=$1; echo "$p"; for c in $(pgrep -P "$p"); do tree_pids "$c"; done; }
for i in 1 2 3 4 5; do
  data=$(mktemp -d /tmp/tapstand-bench.XXXXXX)
  log=$(mktemp)
  DISPLAY=$display TAPSTAND_BENCH_FIRST_PAINT=1 "$bin" --data-dir "$data" >"$log" 2>/dev/null &
  app=$!
  for _ in $(seq 1 300); do grep -q TAPSTAND_FIRST_PAINT_MS "$log" && break; sleep 0.1; done
  ms=$(sed -n 's/^TAPSTAND_FIRST_PAINT_MS=//p' "$log" | head -1)
  [ -n "$ms" ] || { kill $app; die "the app never reported its first paint (run $i)"; }
  paints+=("$ms")
  sleep 10  # idle
  r=0; s=0
  for p in $(tree_pids $app); do
    r=$((r + $(awk '/^VmRSS/ {print $2}' /proc/$p/status 2>/dev/null || echo 0)))
    s=$((s + $(awk '/^Pss:/ {print $2}' /proc/$p/smaps_rollup 2>/dev/null || echo 0)))
  done
  rss+=("$r"); pss+=("$s"); main_rss+=("$(awk '/^VmRSS/ {print $2}' /proc/$app/status)")
  kill $app; wait $app 2>/dev/null || true
  rm -rf "$data" "$log"
done
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
add "launch → first paint, median of 5 (min–max)" "$(median "${paints[@]}") ms ($(printf '%s\n' "${paints[@]}" | sort -n | head -1)–$(printf '%s\n' "${paints[@]}" | sort -n | tail -1) ms)"
add "idle memory after 10 s, the Rust app process alone, RSS (median)" "$(( $(median "${main_rss[@]}") / 1024 )) MiB"
add "idle memory after 10 s, app + WebKit processes, RSS sum (median)" "$(( $(median "${rss[@]}") / 1024 )) MiB"
add "idle memory after 10 s, app + WebKit processes, PSS sum (median)" "$(( $(median "${pss[@]}") / 1024 )) MiB"

{
  echo "# Foundation benchmarks"
  echo
  echo "Measured by \`scripts/bench.sh${1:+ $1}\` on $(date -u +%Y-%m-%d), $(nproc) cores, $(free -g | awk '/^Mem/ {print $2}') GiB, $(uname -sr);"
  echo "load average at the start: $load_start, at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine inflates build times and first paint)."
  echo "Targets: release app binary ≤ 25 MB, first paint ≤ 2 s, idle RSS ≤ 200 MB."
  echo
  echo "| what | figure |"
  echo "|---|---|"
  printf '%s\n' "${results[@]}"
  echo
  echo "First paint is the time from process start to the UI's \`ui_ready\` call, made after the first screen"
  echo "has rendered (Vue mounted + two animation frames), with a fresh data directory (database created)."
  echo "Idle memory adds up every process of the app (the Rust process and the WebKitGTK web and network"
  echo "processes); RSS counts shared libraries once per process, PSS shares them out fairly."
} > "$out"
step "Wrote $out"

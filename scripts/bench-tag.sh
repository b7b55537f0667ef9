#!/usr/bin/env bash
# Benchmark of the tag engine through the real pcscd + vsmartcard vpcd + the virtual tag (needs the Debian
# packages pcscd and vsmartcard-vpcd; starts pcscd itself unless one is running, and stops it by PID).
#   scripts/bench-tag.sh [LATENCY_MS=10] [RUNS=5]
# Results are recorded in benchmarks/tag-engine.md (Type 2) and benchmarks/type4.md (Type 4).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo run --quiet --release -p tapstand-tag --example bench_tag -- "${1:-10}" "${2:-5}"

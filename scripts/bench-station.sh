#!/usr/bin/env bash
# Write-station benchmark: tap-to-done (tag present → verified and recorded) through real pcscd + vpcd + the
# virtual tag at 10 ms per APDU, the in-process fake WeChat answering generatenfcscheme after 150 ms; p50/p95
# over 50 tags with an API call and 50 from the ledger. Needs pcscd + vsmartcard-vpcd (takes the pcscd lock).
# Prints the figures and writes them to benchmarks/station-latest.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
mkdir -p benchmarks
TAPSTAND_BENCH_OUT="$PWD/benchmarks/station-latest.txt" \
  cargo test -q -p tapstand-station --test bench_station -- --ignored --nocapture tap_to_done

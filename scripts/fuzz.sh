#!/usr/bin/env bash
# Fuzzes the Type 2 tag image / NDEF decoder (fuzz/fuzz_targets/tag_image.rs) for SECONDS (default 60).
#   scripts/fuzz.sh 600            # ten minutes
#   nice -n 19 scripts/fuzz.sh 600 # on a shared machine
# Uses cargo-fuzz on the stable toolchain (RUSTC_BOOTSTRAP=1 lets it pass its -Z flags). The committed seed
# corpus is fuzz/seeds/ (regenerate: cargo run -p tapstand-vtag --example fuzz_seeds -- fuzz/seeds); the
# growing corpus goes to fuzz/corpus/ and crashes to fuzz/artifacts/ (both git-ignored).
set -euo pipefail
SECS="${1:-60}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT/fuzz"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi
mkdir -p corpus/tag_image
export RUSTC_BOOTSTRAP=1
# ASan needs nightly-only runtime flags on some setups; SANITIZER=address turns it on.
exec cargo fuzz run --sanitizer "${SANITIZER:-none}" tag_image corpus/tag_image seeds -- \
    -max_total_time="$SECS" -max_len=4096 -print_final_stats=1

#!/usr/bin/env bash
# Fuzzes for SECONDS (default 60) one target of fuzz/ (default tag_image):
#   tag_image — the Type 2 tag image / NDEF decoder and the write planner (fuzz/fuzz_targets/tag_image.rs);
#   inspect   — the inspector: a real read of the bytes on the in-process virtual tag, then the verdict and
#               its words with fuzzed ledger / record / WeChat answers (fuzz/fuzz_targets/inspect.rs).
#   scripts/fuzz.sh 600                    # ten minutes of tag_image
#   nice -n 19 scripts/fuzz.sh 600 inspect # on a shared machine
# Uses cargo-fuzz on the stable toolchain (RUSTC_BOOTSTRAP=1 lets it pass its -Z flags). The committed seed
# corpus is fuzz/seeds/ (regenerate: cargo run -p tapstand-vtag --example fuzz_seeds -- fuzz/seeds), shared
# by both targets; fuzz/TARGET.dict, if there, is a target's dictionary. Each target's growing corpus goes
# to fuzz/corpus/TARGET/ and crashes to fuzz/artifacts/TARGET/ (both git-ignored).
set -euo pipefail
SECS="${1:-60}"
TARGET="${2:-tag_image}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT/fuzz"
if [ ! -f "fuzz_targets/$TARGET.rs" ]; then
    echo "no fuzz target '$TARGET' (have: $(cd fuzz_targets && ls ./*.rs | sed 's|^\./||; s|\.rs$||' | tr '\n' ' '))" >&2
    exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi
mkdir -p "corpus/$TARGET"
export RUSTC_BOOTSTRAP=1
# A target's dictionary (the words it looks for in tag memory), if it has one: fuzz/TARGET.dict.
DICT=()
if [ -f "$TARGET.dict" ]; then
    DICT=("-dict=$TARGET.dict")
fi
# ASan needs nightly-only runtime flags on some setups; SANITIZER=address turns it on.
exec cargo fuzz run --sanitizer "${SANITIZER:-none}" "$TARGET" "corpus/$TARGET" seeds -- \
    -max_total_time="$SECS" -max_len=4096 -print_final_stats=1 "${DICT[@]}"

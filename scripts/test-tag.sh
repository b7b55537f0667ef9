#!/usr/bin/env bash
# Tag engine tests: the fast unit tests (in-process virtual tag), then the integration tests through the
# real pcsc-lite daemon + vsmartcard's vpcd + Tapstand's virtual tag (one pcscd at a time: they take a
# file lock and run single-threaded). Those skip, saying why, only if pcscd / vsmartcard-vpcd are missing
# (Debian: apt-get install pcscd vsmartcard-vpcd). pcscd is started with `pcscd -f` and stopped by PID;
# a pcscd that is already running is used and left alone.
#   scripts/test-tag.sh            # everything (~4 min, the tear tests take ~1 min per chip)
#   scripts/test-tag.sh --quick    # unit tests only
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo test -p tapstand-ndef -p tapstand-vtag -p tapstand-tag --lib
if [[ "${1:-}" == "--quick" ]]; then exit 0; fi
cargo test -p tapstand-tag --test pcscd_vpcd -- --test-threads=1 --nocapture
cargo test -p tapstand-tag --test type4_pcscd -- --test-threads=1 --nocapture

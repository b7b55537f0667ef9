#!/usr/bin/env bash
# Regenerates ui/src/bindings.ts (the TypeScript side of every command and DTO) from the Rust types.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"
[ -d ui/dist ] || mkdir -p ui/dist
TAPSTAND_UPDATE_BINDINGS=1 cargo test -q -p tapstand --features custom-protocol --lib bindings_are_fresh
echo "wrote ui/src/bindings.ts"

#!/usr/bin/env bash
# Audits the GitHub Actions workflows (.github/workflows/) with zizmor, offline; fails on any finding of medium or
# high severity (actions not pinned by commit SHA, a cache restored in a tag-triggered job, broad token
# permissions, checkout keeping the token, template injection into run:, ...). Findings below medium are shown,
# not fatal. zizmor is the PyPI package, pinned in scripts/lib/common.sh and installed by scripts/setup.sh.
#
# No zizmor configuration file is read (--no-config): the only way to silence a finding is an inline
# `# zizmor: ignore[audit]` comment in the workflow, and this script accepts only the ones listed in ALLOWED
# below, each with the reason it is a false positive.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

# "file|the uses: line of the step|the ignore comment's line", one per accepted ignore.
# setup-node v4 restores a cache only when its `cache` input is set (none is, in release.yml); automatic caching,
# which zizmor assumes because it cannot read the version from a SHA, came with v5. A different pin of setup-node
# (e.g. v5+) must be looked at again: there `package-manager-cache: false` is the fix, not an ignore.
setup_node_v4='      - uses: actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020 # v4.4.0'
ALLOWED=(
  ".github/workflows/release.yml|$setup_node_v4|        with: # zizmor: ignore[cache-poisoning]"
)

zizmor=$(zizmor_bin) || die "zizmor $ZIZMOR_VERSION is missing: run scripts/setup.sh"
echo "$("$zizmor" --version) ($zizmor)"

# Every inline ignore must be one of ALLOWED (same file, same step, same comment).
bad=0
while IFS=: read -r file line _; do
  prev=$(sed -n "$((line - 1))p" "$file")
  this=$(sed -n "${line}p" "$file")
  ok=0
  for a in "${ALLOWED[@]}"; do
    [ "$a" = "$file|$prev|$this" ] && ok=1
  done
  if [ "$ok" = 0 ]; then
    echo "error: $file:$line: a zizmor ignore that scripts/zizmor.sh does not accept (fix the finding instead):" >&2
    echo "  $this" >&2
    bad=1
  fi
done < <(grep -n 'zizmor: *ignore' .github/workflows/*.yml .github/workflows/*.yaml 2>/dev/null || true)
[ "$bad" = 0 ] || exit 1

# Every finding, for the log (not fatal).
"$zizmor" --offline --no-config --no-progress --color never .github/workflows/ -q 2>/dev/null | tail -n 1 || true

# The gate: no finding of medium or high severity. zizmor exits non-zero when it reports a finding.
if ! "$zizmor" --offline --no-config --strict-collection --min-severity medium --no-progress --color never -q \
  .github/workflows/; then
  die "zizmor found medium or high severity problems in .github/workflows (above)"
fi
echo "workflows clean under zizmor (no medium or high finding)"

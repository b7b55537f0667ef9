#!/usr/bin/env bash
# The version lives in three files that must agree: Cargo.toml ([workspace.package] version, which every crate
# and the app inherit), tauri.conf.json ("version", what the installers and the updater compare) and
# ui/package.json (+ ui/package-lock.json).
#   scripts/version.sh check [vX.Y.Z]   fails when they differ (or differ from the tag, for release.yml)
#   scripts/version.sh set X.Y.Z        writes X.Y.Z into all of them (and Cargo.lock's workspace crates)
#   scripts/version.sh show             prints the version
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

cargo_version() {
  # The version line of [workspace.package].
  awk '/^\[/{sec=$0} sec=="[workspace.package]" && /^version *=/{gsub(/.*= *"|".*/,""); print; exit}' Cargo.toml
}
json_version() { node -p "require('./$1').version"; }

read_all() {
  CARGO=$(cargo_version)
  TAURI=$(json_version tauri.conf.json)
  UI=$(json_version ui/package.json)
  LOCK=$(node -p "const l=require('./ui/package-lock.json'); l.version + ' ' + l.packages[''].version")
}

semver_re='^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$'

case "${1:-check}" in
  show)
    read_all
    echo "$CARGO"
    ;;
  check)
    read_all
    echo "Cargo.toml $CARGO · tauri.conf.json $TAURI · ui/package.json $UI · ui/package-lock.json $LOCK"
    [[ $CARGO =~ $semver_re ]] || die "Cargo.toml's version '$CARGO' is not X.Y.Z"
    if [ "$CARGO" != "$TAURI" ] || [ "$CARGO" != "$UI" ] || [ "$LOCK" != "$CARGO $CARGO" ]; then
      die "the versions differ: run scripts/version.sh set X.Y.Z"
    fi
    if [ $# -ge 2 ]; then
      tag=$2
      [ "$tag" = "v$CARGO" ] || die "tag '$tag' is not v$CARGO (the version in Cargo.toml, tauri.conf.json and ui/package.json): bump with scripts/version.sh set, commit, then tag v<version>"
      echo "tag $tag matches"
    fi
    echo "versions agree: $CARGO"
    ;;
  set)
    new=${2:?usage: scripts/version.sh set X.Y.Z}
    [[ $new =~ $semver_re ]] || die "'$new' is not X.Y.Z"
    old=$(cargo_version)
    awk -v v="$new" '/^\[/{sec=$0} sec=="[workspace.package]" && /^version *=/ && !done {print "version = \"" v "\""; done=1; next} {print}' \
      Cargo.toml > Cargo.toml.tmp && mv Cargo.toml.tmp Cargo.toml
    # Only the version lines change (the files keep their layout): the first "version" of tauri.conf.json and
    # ui/package.json, the first two of ui/package-lock.json (the package and packages[""]); checked below.
    V="$new" node -e '
      const fs = require("fs");
      for (const [f, n] of [["tauri.conf.json", 1], ["ui/package.json", 1], ["ui/package-lock.json", 2]]) {
        let left = n;
        const text = fs.readFileSync(f, "utf8").replace(/("version": *")[^"]*(")/g, (m, a, b) =>
          left-- > 0 ? a + process.env.V + b : m);
        fs.writeFileSync(f, text);
      }'
    # Cargo.lock: only the workspace's own crates change.
    cargo update --workspace --offline >/dev/null 2>&1 || cargo update --workspace
    echo "version $old → $new"
    "$0" check
    ;;
  *) die "usage: scripts/version.sh check [vX.Y.Z] | set X.Y.Z | show" ;;
esac

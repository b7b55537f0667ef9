#!/usr/bin/env bash
# The Windows build under Wine (run by scripts/check-platforms.sh after the cross build): the Windows
# tapstand-cli.exe goes through the headless flow against the fake WeChat (the Linux binary, on loopback), in a
# private Wine prefix, with the default Windows data folder and Wine's Credential Manager; the Windows app
# tapstand.exe (Wine has no WebView2) must say so in its log and on screen and exit with code 3, not panic.
# The PDF and the history CSV are checked on the Linux side. What it cannot cover: PC/SC (Wine 8's winscard.dll
# is a stub, so readers and tags are tested on Linux only), the real WebView2 window, Windows' own Credential
# Manager (Wine's implementation stands in), installers and signing.
# Needs: target/x86_64-pc-windows-gnu/debug/{tapstand-cli,tapstand}.exe, target/debug/tapstand-fake-wechat
# (built here if missing), wine64, mingw-w64, Xvfb, xwininfo, poppler-utils, qpdf, python3.
# KEEP=1 keeps the temporary folder (Wine prefix, outputs) for a look afterwards.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"
started=$(date +%s)

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WIN_DIR="$TARGET_DIR/x86_64-pc-windows-gnu/debug"
CLI_EXE="$WIN_DIR/tapstand-cli.exe"
APP_EXE="$WIN_DIR/tapstand.exe"
FAKE="$TARGET_DIR/debug/tapstand-fake-wechat"
WINE=/usr/lib/wine/wine64
[ -x "$WINE" ] || WINE=$(command -v wine64 || true)
[ -n "$WINE" ] && [ -x "$WINE" ] || die "wine64 not found (apt-get install wine64 wine; scripts/check-platforms.sh does it)"
for f in "$CLI_EXE" "$APP_EXE"; do [ -s "$f" ] || die "$f missing: run scripts/check-platforms.sh (it cross-builds first)"; done
[ -x "$FAKE" ] || cargo build -p tapstand-fake-wechat --bin tapstand-fake-wechat
for c in x86_64-w64-mingw32-gcc Xvfb xwininfo pdfinfo pdffonts pdftotext qpdf python3; do
  command -v "$c" >/dev/null || die "$c not found (scripts/setup.sh and scripts/check-platforms.sh install it)"
done

WORK=$(mktemp -d /tmp/tapstand-wine.XXXXXX)
export WINEPREFIX="$WORK/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
# Nothing from the developer's environment reaches the exe but what is set here.
unset TAPSTAND_DATA_DIR TAPSTAND_WECHAT_BASE_URL TAPSTAND_DEVELOPER TAPSTAND_NO_DIALOG RUST_LOG
FAKE_PID= XVFB_PID=
cleanup() {
  [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null
  WINEPREFIX="$WORK/prefix" "$(dirname "$WINE")/wineserver" -k 2>/dev/null || true
  if [ "${KEEP:-}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
fail() { printf 'wine smoke test FAILED: %s\n' "$*" >&2; exit 1; }
# Python one-liners over a JSON document on stdin: `jq_py 'v["a"]["b"]'` prints the value.
jq_py() { python3 -c "import json,sys; v=json.load(sys.stdin); r=($1); print(r if isinstance(r,str) else json.dumps(r, ensure_ascii=False))"; }
winpath() { local p; p=$(readlink -f "$1"); printf 'Z:%s' "${p//\//\\}"; }

step "Wine prefix (private: $WINEPREFIX)"
t0=$(date +%s)
"$WINE" wineboot -i >"$WORK/wineboot.log" 2>&1 || { cat "$WORK/wineboot.log"; fail "wineboot -i"; }
"$(dirname "$WINE")/wineserver" -w
# Rust's std calls ProcessPrng from bcryptprimitives.dll (Windows 10+), which Wine 8 lacks: a stub that
# forwards to RtlGenRandom (see docs/architecture.md, "Platforms").
cat >"$WORK/prng.c" <<'EOF'
#include <windows.h>
#include <ntsecapi.h>
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) { return RtlGenRandom(data, (ULONG)len); }
EOF
printf 'LIBRARY bcryptprimitives\nEXPORTS\n    ProcessPrng\n' >"$WORK/prng.def"
x86_64-w64-mingw32-gcc -shared -O2 -o "$WORK/bcryptprimitives.dll" "$WORK/prng.c" "$WORK/prng.def" -ladvapi32
sys32="$WINEPREFIX/drive_c/windows/system32"
[ -e "$sys32/bcryptprimitives.dll" ] && ! cmp -s "$WORK/bcryptprimitives.dll" "$sys32/bcryptprimitives.dll" \
  && echo "note: this Wine has its own bcryptprimitives.dll; using the stub anyway"
cp "$WORK/bcryptprimitives.dll" "$sys32/"
WIN_USER=$(ls "$WINEPREFIX/drive_c/users" | grep -vx Public | head -1)
[ -n "$WIN_USER" ] || fail "no user folder in the Wine prefix"
LOCAL="$WINEPREFIX/drive_c/users/$WIN_USER/AppData/Local/cn.tapstand.app"
ROAMING="$WINEPREFIX/drive_c/users/$WIN_USER/AppData/Roaming/cn.tapstand.app"
echo "prefix ready in $(( $(date +%s) - t0 )) s (user $WIN_USER)"

step "Fake WeChat on loopback (Linux binary)"
APPID=wx5a1b2c3d4e5f6071
MODEL_ID=5utC432sD0LvHu6ial0u_g
SECRET=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')   # fresh per run: grepping for it means something
cat >"$WORK/fake.json" <<EOF
{"apps": [{"appid": "$APPID", "secret": "$SECRET", "pages": ["pages/index/index", "pages/member/card"]}],
 "models": [{"model_id": "$MODEL_ID", "appid": "$APPID", "mode": "per_device", "capability": true}]}
EOF
"$FAKE" --port 0 --config "$WORK/fake.json" >"$WORK/fake.out" 2>"$WORK/fake.err" &
FAKE_PID=$!
for _ in $(seq 100); do [ -s "$WORK/fake.out" ] && break; sleep 0.1; done
BASE_URL=$(jq_py 'v["base_url"]' <"$WORK/fake.out") || fail "the fake did not start: $(cat "$WORK/fake.err")"
echo "fake at $BASE_URL"
export TAPSTAND_WECHAT_BASE_URL="$BASE_URL"   # a debug build accepts a loopback override

# cli ARGS...: runs tapstand-cli.exe under Wine; stdout to $WORK/out, stderr to $WORK/err; returns its code.
cli() {
  local rc=0
  "$WINE" "$CLI_EXE" "$@" <"${CLI_STDIN:-/dev/null}" >"$WORK/out" 2>"$WORK/err" || rc=$?
  return $rc
}
ok() { cli "$@" || fail "tapstand-cli $* exited $?: $(cat "$WORK/err")"; }

step "An earlier version's database in the roaming folder"
ok --data-dir "C:\\users\\$WIN_USER\\AppData\\Roaming\\cn.tapstand.app" --json \
  profile add --name demo --appid "$APPID" --page pages/member/card
[ -f "$ROAMING/tapstand.db" ] || fail "no database in $ROAMING"
[ -f "$LOCAL/tapstand.db" ] && fail "a local database before the move"

step "doctor --json: Windows paths, Credential Manager, the Smart Card service with its remedy"
ok doctor --json
cp "$WORK/out" "$WORK/doctor.json"
d() { jq_py "$1" <"$WORK/doctor.json"; }
[ "$(d 'v["os"]')" = windows ] || fail "os: $(d 'v["os"]')"
d 'v["data_dir"]' | grep -qF "\\AppData\\Local\\cn.tapstand.app" || fail "data folder not in LOCALAPPDATA: $(d 'v["data_dir"]')"
d 'v["log_dir"]' | grep -qF "\\AppData\\Local\\cn.tapstand.app\\logs" || fail "log folder: $(d 'v["log_dir"]')"
[ "$(d 'v["database"]["exists"]')" = true ] || fail "the roaming database was not moved to the local folder"
[ -f "$LOCAL/tapstand.db" ] && [ ! -e "$ROAMING/tapstand.db" ] || fail "database not moved from $ROAMING to $LOCAL"
d 'v["keychain"]["backend"]' | grep -q "Windows Credential Manager" || fail "keychain: $(d 'v["keychain"]')"
[ "$(d 'v["keychain"]["available"]')" = true ] || fail "keychain unavailable: $(d 'v["keychain"]')"
[ "$(d 'v["readers"]["service_available"]')" = false ] || fail "Wine's winscard is a stub, yet PC/SC answered?"
[ "$(d 'v["readers"]["problem"]["code"]')" = tag.no_service ] || fail "no Smart Card state: $(d 'v["readers"]')"
d 'v["readers"]["problem"]["zh"]["message"]' | grep -q "Windows 的智能卡服务没有运行" || fail "zh state: $(d 'v["readers"]')"
d 'v["readers"]["problem"]["zh"]["remedy"]' | grep -q "插上读卡器后它会自动启动" || fail "zh remedy: $(d 'v["readers"]')"
d 'v["readers"]["problem"]["en"]["remedy"]' | grep -q "services.msc" || fail "en remedy: $(d 'v["readers"]')"
# Smart Card Plug and Play (issue 23): read from Wine's registry — on (no policy, no exception), with the
# advice and the exact commands for an administrator; then the exception written as an IT person would
# (Wine's reg.exe) is seen, and the undo removes it.
[ "$(d 'v["smart_card_pnp"]["enabled"]')" = true ] || fail "Smart Card PnP state: $(d 'v["smart_card_pnp"]')"
[ "$(d 'v["smart_card_pnp"]["exempted"]')" = false ] || fail "exception before any: $(d 'v["smart_card_pnp"]')"
[ "$(d 'v["smart_card_pnp"]["problem"]["code"]')" = scpnp.on ] || fail "no PnP advice: $(d 'v["smart_card_pnp"]')"
d 'v["smart_card_pnp"]["it_commands"][2]' | grep -qF '$DisableSCPnP$' || fail "IT commands: $(d 'v["smart_card_pnp"]')"
# Each command as cmd.exe would split it (double quotes; `$` and backslashes are literal), run by Wine.
wine_cmds() { python3 -c 'import json,shlex,subprocess,sys
for c in json.load(sys.stdin):
    subprocess.run([sys.argv[1]] + shlex.split(c), check=True, capture_output=True)' "$WINE"; }
d 'v["smart_card_pnp"]["it_commands"]' | wine_cmds || fail "the IT commands failed under Wine"
ok doctor --json
[ "$(jq_py 'v["smart_card_pnp"]["exempted"]' <"$WORK/out")" = true ] || fail "exception written but not seen: $(cat "$WORK/out")"
d 'v["smart_card_pnp"]["undo_commands"]' | wine_cmds || fail "the undo commands failed under Wine"
ok doctor --json
[ "$(jq_py 'v["smart_card_pnp"]["exempted"]' <"$WORK/out")" = false ] || fail "undo did not remove the exception"
ok doctor
grep -q "智能卡即插即用 / Smart Card Plug and Play: 开启 / on" "$WORK/out" || fail "doctor text lacks the PnP state: $(cat "$WORK/out")"
grep -q "Windows 的智能卡服务没有运行" "$WORK/out" || fail "doctor text lacks the Smart Card state: $(cat "$WORK/out")"
grep -q "The Windows Smart Card service is not running" "$WORK/out" || fail "doctor text lacks English"
sed -n '/PC\/SC/,/Keychain/p' "$WORK/out"
ok --json profile list
[ "$(jq_py 'v[0]["name"]' <"$WORK/out")" = demo ] || fail "the earlier profile is not there after the move: $(cat "$WORK/out")"

step "AppSecret into the Windows Credential Manager; profile test"
printf '%s\n' "$SECRET" >"$WORK/secret.in"
CLI_STDIN="$WORK/secret.in" ok profile set-secret --profile demo
rm -f "$WORK/secret.in"
ok --json profile list
[ "$(jq_py 'v[0]["secret_saved"]' <"$WORK/out")" = true ] || fail "secret not saved: $(cat "$WORK/out")"
ok --json profile test --profile demo
echo "profile test: $(head -c 300 "$WORK/out")"

step "A GBK CSV with a bad row is refused whole, then imported fixed"
python3 - "$WORK" <<'EOF'
import sys
w = sys.argv[1]
bad = "机构编号,组织/公司,门店名称\n18,辽宁民生事科技股份有限公司,总仓\n19,吕梁分公司,\n"
open(f"{w}/bad.csv", "wb").write(bad.encode("gbk"))
open(f"{w}/good.csv", "wb").write(bad.replace("吕梁分公司,\n", "吕梁分公司,吕梁第一门店\n").encode("gbk"))
EOF
rc=0; cli store import "$(winpath "$WORK/bad.csv")" || rc=$?
[ "$rc" = 1 ] || fail "a bad row must refuse the import with code 1, got $rc: $(cat "$WORK/out" "$WORK/err")"
grep -q "第 3 行" "$WORK/out" "$WORK/err" || fail "the bad line is not named: $(cat "$WORK/out" "$WORK/err")"
ok --json store list
[ "$(jq_py 'len(v)' <"$WORK/out")" = 0 ] || fail "rows written by a refused import"
ok --json store import "$(winpath "$WORK/good.csv")"
[ "$(jq_py 'v["inserted"]' <"$WORK/out")" = 2 ] || fail "import: $(cat "$WORK/out")"
ok --json store list --search 吕梁
[ "$(jq_py 'v[0]["name"]' <"$WORK/out")" = 吕梁第一门店 ] || fail "GBK text: $(cat "$WORK/out")"

step "scheme twice: one generate call"
scheme() { ok --json scheme --profile demo --model-id "$MODEL_ID" --sn SN-WINE-0001 --path pages/member/card --query store=18; }
scheme; first=$(jq_py 'v["openlink"] if "openlink" in v else v["value"]["openlink"]' <"$WORK/out") || fail "scheme: $(cat "$WORK/out")"
scheme; second=$(jq_py 'v["openlink"] if "openlink" in v else v["value"]["openlink"]' <"$WORK/out")
case "$first" in weixin://*) ;; *) fail "not an NFC link: $first" ;; esac
[ "$first" = "$second" ] || fail "the second scheme differs: $first vs $second"
generates=$(python3 -c "import json,sys,urllib.request
log=json.load(urllib.request.urlopen(sys.argv[1]+'/__fake/log'))
print(sum(1 for e in log if e['endpoint']=='generate_nfc_scheme'))" "$BASE_URL")
[ "$generates" = 1 ] || fail "$generates generate calls for one sn (want 1)"
echo "openlink $first; generate calls: $generates"

step "export-pdf, checked on the Linux side"
ok --json export-pdf --store 18 --profile demo --store-name --out "$(winpath "$WORK")\\stand.pdf"
pdf="$WORK/stand.pdf"
[ -s "$pdf" ] || fail "no PDF: $(cat "$WORK/out" "$WORK/err")"
qpdf --check "$pdf" >/dev/null || fail "qpdf --check"
pdfinfo -box "$pdf" >"$WORK/pdfinfo"
grep -q "^TrimBox:" "$WORK/pdfinfo" && grep -q "^BleedBox:" "$WORK/pdfinfo" || fail "no TrimBox/BleedBox: $(cat "$WORK/pdfinfo")"
pdffonts "$pdf" >"$WORK/pdffonts"
[ "$(tail -n +3 "$WORK/pdffonts" | wc -l)" -ge 1 ] || fail "no fonts in the PDF"
tail -n +3 "$WORK/pdffonts" | awk '{ if ($(NF-4) != "yes") bad=1 } END { exit bad }' || fail "a font is not embedded: $(cat "$WORK/pdffonts")"
pdftotext "$pdf" - | tr -d ' \n' >"$WORK/pdftext"
grep -q "会员中心" "$WORK/pdftext" && grep -q "总仓" "$WORK/pdftext" || fail "PDF text: $(cat "$WORK/pdftext")"
echo "PDF: $(grep -E '^(Pages|TrimBox|BleedBox)' "$WORK/pdfinfo" | tr -s ' ' | tr '\n' ';')"

step "history export"
ok --json history --csv "$(winpath "$WORK")\\history.csv"
[ -s "$WORK/history.csv" ] || fail "no history CSV: $(cat "$WORK/out" "$WORK/err")"
head -c 3 "$WORK/history.csv" | cmp -s - <(printf '\xef\xbb\xbf') || fail "the history CSV has no UTF-8 BOM (Excel)"
echo "history CSV: $(head -1 "$WORK/history.csv" | cut -c1-120)"

step "tapstand.exe without WebView2: the message on screen and in the log, exit code 3, no panic"
LOGS="$LOCAL/logs"
# On a virtual display the message box stays up: its window must be there, then the process is ended.
# Wine's desktop process (explorer.exe) started without a display serves every later window with the null
# driver: end this prefix's Wine session first, so the next one starts on the virtual display.
"$(dirname "$WINE")/wineserver" -k 2>/dev/null || true
"$(dirname "$WINE")/wineserver" -w 2>/dev/null || true
Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3>"$WORK/display" 2>"$WORK/xvfb.err" &
XVFB_PID=$!
for _ in $(seq 100); do [ -s "$WORK/display" ] && break; sleep 0.1; done
[ -s "$WORK/display" ] || fail "Xvfb did not start: $(cat "$WORK/xvfb.err")"
export DISPLAY=":$(cat "$WORK/display")"
LANG=C.UTF-8 "$WINE" "$APP_EXE" >"$WORK/app1.out" 2>"$WORK/app1.err" &
app_pid=$!
seen=
for _ in $(seq 600); do
  if xwininfo -root -tree 2>/dev/null | grep -q '"Tapstand cannot start"'; then seen=1; break; fi
  kill -0 "$app_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$seen" ] || fail "no message box window (exit $(wait "$app_pid"; echo $?)): $(tail -5 "$WORK/app1.err")"
echo "message box on screen: $(xwininfo -root -tree | grep '"Tapstand cannot start"' | head -1 | sed 's/^ *//')"
kill "$app_pid" 2>/dev/null || true; wait "$app_pid" 2>/dev/null || true
"$(dirname "$WINE")/wineserver" -k 2>/dev/null || true
"$(dirname "$WINE")/wineserver" -w 2>/dev/null || true
kill "$XVFB_PID"; XVFB_PID=; unset DISPLAY
grep -q "WebView2 runtime missing" "$WORK/app1.err" || fail "no WebView2 line on stderr: $(cat "$WORK/app1.err")"
# Without a display and with TAPSTAND_NO_DIALOG=1 (only the box is skipped): the exit code.
rc=0; TAPSTAND_NO_DIALOG=1 "$WINE" "$APP_EXE" >"$WORK/app2.out" 2>"$WORK/app2.err" || rc=$?
[ "$rc" = 3 ] || fail "tapstand.exe exited $rc (want 3): $(tail -5 "$WORK/app2.err")"
grep -q "panicked" "$WORK/app1.err" "$WORK/app2.err" && fail "tapstand.exe panicked: $(grep -h panicked "$WORK"/app*.err)"
grep -rqs "WebView2 runtime missing" "$LOGS" || fail "no WebView2 line in the log folder $LOGS"
grep -rqs "developer.microsoft.com/microsoft-edge/webview2" "$LOGS" || fail "the log does not say where to get WebView2"
echo "log: $(grep -rh "WebView2 runtime missing" "$LOGS" | tail -1 | cut -c1-200)"

step "The AppSecret is in no file under the Wine prefix"
"$(dirname "$WINE")/wineserver" -w   # the registry (user.reg, Wine's Credential Manager) is written out on exit
python3 - "$WINEPREFIX" "$SECRET" <<'EOF' || fail "the AppSecret was found in a file"
import os, sys
root, secret = sys.argv[1], sys.argv[2].encode()
forms = {
    "ascii": secret,
    "utf-16le": secret.decode().encode("utf-16-le"),
    # .reg files write binary values as comma-separated hex bytes
    "reg hex": ",".join(f"{b:02x}" for b in secret[:12]).encode(),
    "reg hex utf-16": ",".join(f"{b:02x}" for b in secret.decode().encode("utf-16-le")[:24]).encode(),
}
found, files = [], 0
for d, _, names in os.walk(root):
    for n in names:
        p = os.path.join(d, n)
        if os.path.islink(p) or not os.path.isfile(p):
            continue
        files += 1
        data = open(p, "rb").read()
        found += [f"{p} ({k})" for k, f in forms.items() if f in data]
print(f"{files} files searched")
if found:
    print("\n".join(found)); sys.exit(1)
EOF

step "Wine smoke test passed in $(( $(date +%s) - started )) s"

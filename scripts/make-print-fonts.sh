#!/usr/bin/env bash
# Regenerates the two CJK fonts bundled in crates/tapstand-print/fonts/ (committed; run this only to change them).
#
# Source: Debian 12 `fonts-noto-cjk` (20220127), NotoSansCJK-{Regular,Bold}.ttc, face 2 = "Noto Sans CJK SC"
# (SIL OFL 1.1). Each face is cut down to one single-face OTF (CID-keyed CFF, unchanged outlines) holding:
#   * GB2312 (6,763 hanzi + 682 symbols),
#   * 通用规范汉字表 (the 2013 Table of General Standard Chinese Characters, 8,105 hanzi; Unihan kTGH), which is
#     what mainland names and shop names are written with (喆 玥 堃 犇 垚 珺 昇 璟 … are in it, not in GB2312),
#   * ASCII, CJK and full-width punctuation, a few symbols.
# 9,062 characters, about 1.9 MB per weight (the whole TTC is 19.5 MB; GBK's 21,886 characters would be 5 MB per
# weight). No layout tables (the stand needs no shaping) and no hinting (print). A character outside this set
# is refused with a clear error (PrintError::MissingGlyphs), never printed as a blank box.
#
# Needs: apt-get install fonts-noto-cjk python3-fonttools unicode-data
set -euo pipefail
cd "$(dirname "$0")/.."
out=crates/tapstand-print/fonts
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp/charset.txt" <<'PY'
import bz2, sys
chars = set()
for hi in range(0xA1, 0xF8):          # GB2312 (EUC-CN rows 0xA1..0xF7)
    for lo in range(0xA1, 0xFF):
        try:
            chars.add(bytes([hi, lo]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
for line in bz2.open("/usr/share/unicode/Unihan_OtherMappings.txt.bz2", "rt", encoding="utf-8"):
    if line.startswith("U+") and "\tkTGH\t" in line:   # 通用规范汉字表
        chars.add(chr(int(line.split("\t")[0][2:], 16)))
chars |= {chr(c) for c in range(0x20, 0x7F)}          # ASCII
chars |= {chr(c) for c in range(0x3000, 0x3040)}      # CJK symbols and punctuation
chars |= {chr(c) for c in range(0xFF01, 0xFF5F)}      # full-width forms
chars |= set("·—–‘’“”…©®™°±×÷€£¥•◆★☆①②③④⑤⑥⑦⑧⑨⑩→←↑↓√✓")
open(sys.argv[1], "w", encoding="utf-8").write("".join(sorted(chars)))
print(len(chars), "characters")
PY
for w in Regular Bold; do
  /usr/bin/python3 -m fontTools.subset /usr/share/fonts/opentype/noto/NotoSansCJK-$w.ttc --font-number=2 \
    --text-file="$tmp/charset.txt" --output-file="$out/NotoSansCJKsc-$w.subset.otf" \
    --layout-features='' --drop-tables+=VORG,vhea,vmtx,GSUB,GPOS,BASE,DSIG --no-hinting \
    --name-IDs='0,1,2,3,4,5,6,13,14'
done
cp "$tmp/charset.txt" "$out/charset.txt"
ls -l "$out"

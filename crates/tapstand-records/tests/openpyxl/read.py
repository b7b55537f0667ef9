"""Reads an .xlsx with openpyxl (not with calamine, not with rust_xlsxwriter) and prints what a merchant's
Excel would see, as JSON: per sheet its name, frozen panes, autofilter range, column widths, and every
cell's value, type ('s' text, 'n' number, …) and number format.

    python3 read.py FILE.xlsx
"""
import json
import sys

import openpyxl

wb = openpyxl.load_workbook(sys.argv[1])
out = []
for ws in wb.worksheets:
    out.append(
        {
            "name": ws.title,
            "freeze": ws.freeze_panes,
            "filter": ws.auto_filter.ref,
            "widths": {k: v.width for k, v in ws.column_dimensions.items()},
            "rows": [
                [{"v": c.value, "t": c.data_type, "f": c.number_format} for c in row]
                for row in ws.iter_rows()
            ],
        }
    )
print(json.dumps(out, ensure_ascii=False))

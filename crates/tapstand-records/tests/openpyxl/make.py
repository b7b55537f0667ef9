"""Makes the workbooks the Excel import tests read, with openpyxl (another program than ours), the way a
merchant's Excel holds them: text-formatted code columns, `000000`-formatted numbers, General numbers,
scientific numbers, merged cells, several sheets.

    python3 make.py CASE OUT.xlsx
"""
import io
import sys
import zipfile

import openpyxl

HEADER = ["机构编号", "组织/公司", "门店名称", "地址"]


def text(ws, ref, value):
    ws[ref] = value
    ws[ref].number_format = "@"


def good(path):
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "说明"
    notes["A1"] = "这张表是门店清单，请看第二个工作表。"
    ws = wb.create_sheet("门店")
    ws["A1"] = "晋业餐饮 门店列表（2026 年 11 月）"
    ws.merge_cells("A1:D1")  # a merged title row above the header is fine
    ws.append(HEADER)
    text(ws, "A3", "000123")  # text-formatted code column
    ws["B3"], ws["C3"], ws["D3"] = "晋业餐饮", "南山店", "深圳市南山区科技园"
    ws["A4"] = 18  # a number shown through 000000
    ws["A4"].number_format = "000000"
    ws["B4"], ws["C4"], ws["D4"] = "晋业餐饮", "福田店", 1001  # a General number in a text column
    ws["A5"] = 7
    ws["A5"].number_format = "000000"
    ws["C5"] = "罗湖店"
    wb.save(path)


def damaged(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "门店"
    ws.append(HEADER)
    text(ws, "A2", "0019")  # text with a leading zero: the column's codes are 4 digits
    ws["C2"] = "一号店"
    ws["A3"] = 18  # General: "0018" lost its zeros
    ws["C3"] = "二号店"
    ws["A4"] = 120000000000000  # General: Excel shows 1.2E+14
    ws["C4"] = "三号店"
    ws["A5"] = 18.5  # a fraction
    ws["C5"] = "四号店"
    ws["A6"] = 1234
    ws["A6"].number_format = "0.00E+00"  # scientific format
    ws["C6"] = "五号店"
    ws["A7"] = 2001  # General, as long as the others: fine
    ws["C7"] = "六号店"
    wb.save(path)


def fixed(path):
    """`damaged` after the merchant fixed it: the code column is text."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "门店"
    ws.append(HEADER)
    for i, (code, name) in enumerate(
        [("0019", "一号店"), ("0018", "二号店"), ("120000000000000", "三号店"), ("0185", "四号店"), ("1234", "五号店"), ("2001", "六号店")],
        start=2,
    ):
        text(ws, f"A{i}", code)
        ws[f"C{i}"] = name
    wb.save(path)


def empty(path):
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.save(path)


def no_code_column(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["组织/公司", "门店名称", "地址"])
    ws.append(["晋业餐饮", "南山店", "深圳"])
    wb.save(path)


def merged_header(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["机构编号", "门店名称", None, "地址"])
    ws.merge_cells("B1:C1")
    text(ws, "A2", "1001")
    ws["B2"] = "南山店"
    wb.save(path)


def merged_rows(path):
    """One code merged over two data rows (the second row's code cell is empty in the file)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    text(ws, "A2", "1001")
    ws["C2"], ws["C3"] = "南山店", "福田店"
    ws.merge_cells("A2:A3")
    text(ws, "A4", "1002")
    ws["C4"] = "罗湖店"
    wb.save(path)


def terminals(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "前台"
    ws.append(["机器号", "终端号", "机构编号", "备注"])
    ws["A2"], ws["B2"] = "M-01", 88000001  # General, 8 digits: "88000001"
    text(ws, "C2", "000123")
    ws["A3"] = "M-02"
    ws["B3"] = 5
    ws["B3"].number_format = "00000000"  # "00000005"
    text(ws, "C3", "000123")
    wb.save(path)


def password(path):
    from msoffcrypto.format.ooxml import OOXMLFile

    buf = io.BytesIO()
    good(buf)
    buf.seek(0)
    with open(path, "wb") as out:
        OOXMLFile(buf).encrypt("门店密码", out)


def huge(path, rows=700_000):
    """A sheet whose XML is over 100 MB (700,000 rows, inline strings), written with zipfile directly: far
    past the import's row limit. Compressed it is a few MB, so the file-size limit does not catch it.
    `huge_test` is the same with 60,000 rows (past the limit too, quicker to make in a test)."""
    z = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED)
    z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
    z.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    z.writestr("xl/workbook.xml", '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="门店" sheetId="1" r:id="rId1"/></sheets></workbook>')
    z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
    with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
        f.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
        f.write('<row r="1"><c r="A1" t="inlineStr"><is><t>机构编号</t></is></c><c r="B1" t="inlineStr"><is><t>门店名称</t></is></c></row>'.encode())
        for r in range(2, rows + 2):
            f.write(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{r:08d}</t></is></c><c r="B{r}" t="inlineStr"><is><t>晋业餐饮连锁第{r}分店</t></is></c></row>'.encode())
        f.write(b"</sheetData></worksheet>")
    z.close()


def huge_test(path):
    huge(path, 60_000)


def xls(path):
    """An Excel 97-2003 .xls (xlwt: openpyxl writes no .xls): codes as text, and one as a number, whose
    display format calamine cannot tell for an .xls."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("门店")
    for c, h in enumerate(HEADER):
        ws.write(0, c, h)
    ws.write(1, 0, "000123")
    ws.write(1, 2, "南山店")
    ws.write(2, 0, 18, xlwt.easyxf(num_format_str="000000"))
    ws.write(2, 2, "福田店")
    wb.save(path)


def stores(path, n):
    """n stores, codes as text (the benchmark)."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("门店")
    ws.append(HEADER)
    for i in range(1, n + 1):
        ws.append([f"{100000 + i}", "晋业餐饮连锁管理有限公司", f"第{i}分店", f"广东省深圳市南山区科技园南区{i % 97}栋{i}号"])
    wb.save(path)


if __name__ == "__main__":
    case, out = sys.argv[1], sys.argv[2]
    if case == "stores":
        stores(out, int(sys.argv[3]))
    else:
        globals()[case](out)

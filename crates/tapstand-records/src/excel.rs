//! Reading Excel workbooks (`.xlsx` through calamine's streaming cell reader, `.xls` through calamine's
//! BIFF reader) into the rows the store and terminal import checks, with Excel's number damage handled.
//!
//! **The format** is told from the content: a ZIP file (`PK\3\4`) is an `.xlsx`, an OLE compound file
//! (`D0 CF 11 E0`) is an `.xls` or a password-protected `.xlsx` (Office encrypts into an OLE file);
//! anything else is CSV text. A file *named* `.xlsx`/`.xls` that is not a workbook is refused (it is
//! usually a CSV someone renamed).
//!
//! **The header row** is the first of the sheet's first [`HEADER_SCAN_ROWS`] rows that holds every
//! required column by one of the names the CSV import accepts (a title row above it is fine). A header
//! cell that is part of a merged range is refused (the merged columns would have no header).
//!
//! **Codes** (机构编号, 机器号, 终端号) must come out as the text the merchant sees in Excel:
//! - a text cell is taken as it is;
//! - a whole number is shown through its number format: `General`/`0`/`@` → its digits (`18` → "18"),
//!   a format of zeros (`000000`) pads with leading zeros (`18` → "000018"), `#`/`0` mixes likewise;
//! - the row is **flagged** (an error on that field, nothing imported until fixed) when the text is
//!   lost or uncertain: a number with a fraction (`18.5`), a negative number, a number of 12 digits or
//!   more under General (Excel shows `1.2E+14`) or 16 digits or more under any format (Excel keeps only
//!   15 significant digits), a scientific format, any other format (`#,##0`, `0.00`, dates), an error
//!   value (`#N/A`), and a General number that probably lost its leading zeros: another code in the same
//!   column starts with `0` and is longer, or at least two other codes all have one length that is
//!   longer (a fixed-width column: `1001`, `1002`, `18`);
//! - `.xls` files do not tell their number formats to calamine, so a number in a code column of an
//!   `.xls` is always flagged (save the file as `.xlsx`, or format the column as text).
//!
//! **Bounded memory**: a workbook over [`MAX_FILE_BYTES`], an `.xlsx` whose shared strings unpack to
//! more than [`MAX_SHARED_STRINGS_BYTES`], or a sheet with more than [`MAX_ROWS`] rows is refused with a
//! message before it is read whole; an `.xlsx` sheet is read cell by cell (never as a whole range), and
//! only the first [`MAX_COLUMNS`] columns are kept.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{DataRef, Dimensions, Reader, Xls, XlsError, Xlsx, XlsxError};
use tapstand_error::{FieldIssue, UserError};

use crate::validate::issue;
use crate::RecordKind;

/// A workbook larger than this is refused (10,000 stores are about 0.5 MB as `.xlsx`).
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// An `.xlsx` whose shared-string table unpacks to more than this is refused before it is loaded.
pub const MAX_SHARED_STRINGS_BYTES: u64 = 32 * 1024 * 1024;
/// Rows (including the header and anything above it) read from one sheet at most.
pub const MAX_ROWS: u32 = 50_000;
/// Columns read per row; cells further right are ignored.
pub const MAX_COLUMNS: u32 = 64;
/// How many rows from the top are searched for the header row.
pub const HEADER_SCAN_ROWS: usize = 30;

/// What the bytes are, by their first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniffed {
    /// A ZIP container: `.xlsx` (or another Office Open XML file).
    Zip,
    /// An OLE compound file: `.xls`, or an encrypted (password-protected) `.xlsx`.
    Ole,
    /// Anything else: CSV text.
    Text,
}

pub fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.starts_with(b"PK\x03\x04") {
        Sniffed::Zip
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Sniffed::Ole
    } else {
        Sniffed::Text
    }
}

/// Whether a file name says it is a workbook (`.xlsx`, `.xlsm`, `.xls`).
pub fn named_like_workbook(file_name: &str) -> bool {
    let lower = file_name.to_lowercase();
    [".xlsx", ".xlsm", ".xls"]
        .iter()
        .any(|e| lower.ends_with(e))
}

fn err(code: &str, zh: (&str, &str), en: (&str, &str)) -> UserError {
    UserError::new(code, zh, en)
}

pub(crate) fn not_a_workbook(file_name: &str) -> UserError {
    err(
        "import.not_excel",
        (
            &format!("“{file_name}”的名字是 Excel 工作簿，但内容不是（多半是改了扩展名的 CSV 文本文件）。没有导入任何数据。"),
            "请用 Excel 打开它并“另存为” Excel 工作簿（.xlsx），或把扩展名改回 .csv 后重新导入。",
        ),
        (
            &format!("'{file_name}' is named like an Excel workbook but is not one (usually a CSV file that was renamed). Nothing was imported."),
            "Open it in Excel and 'Save As' an Excel workbook (.xlsx), or rename it back to .csv, then import it again.",
        ),
    )
}

fn password_protected() -> UserError {
    err(
        "import.password_protected",
        (
            "这个 Excel 工作簿设置了打开密码（已加密），Tapstand 无法读取。没有导入任何数据。",
            "请在 Excel 中打开它，点“文件 → 信息 → 保护工作簿 → 用密码进行加密”，清空密码并保存，然后重新导入。",
        ),
        (
            "This Excel workbook is password-protected (encrypted); Tapstand cannot read it. Nothing was imported.",
            "Open it in Excel, choose File → Info → Protect Workbook → Encrypt with Password, clear the password, save, and import again.",
        ),
    )
}

fn bad_workbook(detail: impl std::fmt::Display) -> UserError {
    err(
        "import.bad_workbook",
        (
            "这个文件无法作为 Excel 工作簿读取（可能已损坏，或不是 Excel 文件）。没有导入任何数据。",
            "请用 Excel 打开它，另存为新的 .xlsx 文件（或“CSV UTF-8”）后重新导入。",
        ),
        (
            "This file cannot be read as an Excel workbook (it may be damaged, or not an Excel file). Nothing was imported.",
            "Open it in Excel, save it as a new .xlsx file (or 'CSV UTF-8'), and import that.",
        ),
    )
    .with_detail(detail.to_string())
}

fn too_big(what_zh: &str, what_en: &str) -> UserError {
    err(
        "import.too_big",
        (
            &format!("{what_zh}，超出了导入的上限（{} MB 的文件、{MAX_ROWS} 行）。没有导入任何数据。", MAX_FILE_BYTES / (1024 * 1024)),
            "请只保留门店 / 前台终端这一张表（删除其他大表和图片），或把它拆成几个文件分别导入。",
        ),
        (
            &format!("{what_en}: more than an import takes ({} MB file, {MAX_ROWS} rows). Nothing was imported.", MAX_FILE_BYTES / (1024 * 1024)),
            "Keep only the store / terminal list in the file (remove other large sheets and pictures), or split it into several files and import them one by one.",
        ),
    )
}

fn no_sheet(name: &str, sheets: &[String]) -> UserError {
    let list = sheets.join("、");
    err(
        "import.no_sheet",
        (
            &format!("工作簿里没有名为“{name}”的工作表。"),
            &format!("请从这些工作表中选择一个：{list}"),
        ),
        (
            &format!("The workbook has no sheet named '{name}'."),
            &format!("Choose one of its sheets: {}", sheets.join(", ")),
        ),
    )
}

/// An open workbook (read from memory).
pub(crate) enum Book<'a> {
    Xlsx(Box<Xlsx<Cursor<&'a [u8]>>>),
    Xls(Box<Xls<Cursor<&'a [u8]>>>),
}

/// Opens `bytes` as a workbook (the caller sniffed ZIP or OLE).
pub(crate) fn open(bytes: &[u8]) -> Result<Book<'_>, UserError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_big(
            &format!("这个文件有 {} MB", bytes.len() / (1024 * 1024)),
            &format!("The file is {} MB", bytes.len() / (1024 * 1024)),
        ));
    }
    match sniff(bytes) {
        Sniffed::Zip => {
            // The shared strings are loaded whole by calamine: check their unpacked size first.
            let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(bad_workbook)?;
            let mut strings = 0u64;
            for i in 0..zip.len() {
                let is_strings = zip
                    .name_for_index(i)
                    .and_then(Result::ok)
                    .is_some_and(|n| n.to_ascii_lowercase().ends_with("sharedstrings.xml"));
                if is_strings {
                    if let Ok(f) = zip.by_index_raw(i) {
                        strings += f.size();
                    }
                }
            }
            drop(zip);
            if strings > MAX_SHARED_STRINGS_BYTES {
                return Err(too_big(
                    &format!(
                        "这个工作簿的文字内容解压后有 {} MB",
                        strings / (1024 * 1024)
                    ),
                    &format!(
                        "The workbook's text unpacks to {} MB",
                        strings / (1024 * 1024)
                    ),
                ));
            }
            match Xlsx::new(Cursor::new(bytes)) {
                Ok(x) => Ok(Book::Xlsx(Box::new(x))),
                Err(XlsxError::Password) => Err(password_protected()),
                Err(e) => Err(bad_workbook(e)),
            }
        }
        Sniffed::Ole => {
            // An encrypted .xlsx is an OLE file with an `EncryptedPackage` stream; calamine's Xlsx says so.
            if let Err(XlsxError::Password) = Xlsx::new(Cursor::new(bytes)) {
                return Err(password_protected());
            }
            match Xls::new(Cursor::new(bytes)) {
                Ok(x) => Ok(Book::Xls(Box::new(x))),
                Err(XlsError::Password) => Err(password_protected()),
                Err(e) => Err(bad_workbook(e)),
            }
        }
        Sniffed::Text => Err(bad_workbook("not a ZIP or OLE file")),
    }
}

impl Book<'_> {
    pub(crate) fn is_xls(&self) -> bool {
        matches!(self, Book::Xls(_))
    }

    /// Visible worksheets in workbook order (hidden ones and chart sheets are left out).
    pub(crate) fn sheet_names(&self) -> Vec<String> {
        let meta = match self {
            Book::Xlsx(x) => x.sheets_metadata().to_vec(),
            Book::Xls(x) => x.sheets_metadata().to_vec(),
        };
        meta.into_iter()
            .filter(|s| {
                s.visible == calamine::SheetVisible::Visible
                    && s.typ == calamine::SheetType::WorkSheet
            })
            .map(|s| s.name)
            .collect()
    }

    /// Reads one sheet's cells (and its merged ranges).
    pub(crate) fn read(&mut self, name: &str) -> Result<Grid, UserError> {
        let too_many = || {
            too_big(
                &format!("工作表“{name}”超过 {MAX_ROWS} 行"),
                &format!("The sheet '{name}' has more than {MAX_ROWS} rows"),
            )
        };
        match self {
            Book::Xlsx(x) => {
                let merged = x.merge_cells_by_sheet_name(name).map_err(bad_workbook)?;
                let mut reader = x.worksheet_cells_reader(name).map_err(bad_workbook)?;
                let formats: Vec<Option<String>> = reader
                    .styles()
                    .iter()
                    .map(|s| s.number_format.as_ref().map(|f| f.format_code.clone()))
                    .collect();
                let mut grid = Grid {
                    rows: Vec::new(),
                    merged,
                };
                while let Some((cell, style)) =
                    reader.next_cell_with_style_id().map_err(bad_workbook)?
                {
                    let (row, col) = cell.get_position();
                    if row >= MAX_ROWS {
                        return Err(too_many());
                    }
                    if col >= MAX_COLUMNS {
                        continue;
                    }
                    let format = formats.get(style).cloned().flatten();
                    let value = from_ref(cell.get_value(), || {
                        Some(format.unwrap_or_else(|| "General".into()))
                    });
                    grid.put(row, col, value);
                }
                Ok(grid)
            }
            Book::Xls(x) => {
                let range = x.worksheet_range(name).map_err(bad_workbook)?;
                let merged = x.merge_cells_by_sheet_name(name).unwrap_or_default();
                let mut grid = Grid {
                    rows: Vec::new(),
                    merged,
                };
                if let Some((r0, c0)) = range.start() {
                    for (i, row) in range.rows().enumerate() {
                        let r = r0 + i as u32;
                        if r >= MAX_ROWS {
                            return Err(too_many());
                        }
                        for (j, v) in row.iter().enumerate() {
                            let c = c0 + j as u32;
                            if c >= MAX_COLUMNS {
                                break;
                            }
                            grid.put(r, c, from_data(v));
                        }
                    }
                }
                Ok(grid)
            }
        }
    }
}

/// One cell as the sheet holds it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum XCell {
    Empty,
    Text(String),
    /// A number and its number format code (`None`: the file does not say, as with `.xls`).
    Number {
        value: f64,
        format: Option<String>,
    },
    Bool(bool),
    /// A date or time, already as text.
    Date(String),
    /// An error value such as `#N/A`.
    Error(String),
}

fn from_ref(v: &DataRef<'_>, format: impl FnOnce() -> Option<String>) -> XCell {
    match v {
        DataRef::Empty => XCell::Empty,
        DataRef::String(s) => XCell::Text(s.clone()),
        DataRef::SharedString(s) => XCell::Text((*s).to_string()),
        DataRef::Int(i) => XCell::Number {
            value: *i as f64,
            format: format(),
        },
        DataRef::Float(f) => XCell::Number {
            value: *f,
            format: format(),
        },
        DataRef::Bool(b) => XCell::Bool(*b),
        DataRef::DateTime(d) => XCell::Date(excel_date(d.as_f64())),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => XCell::Date(s.clone()),
        DataRef::Error(e) => XCell::Error(e.to_string()),
    }
}

/// An `.xls` cell (calamine's `Range<Data>`; no number formats).
fn from_data(v: &calamine::Data) -> XCell {
    use calamine::Data;
    match v {
        Data::Empty => XCell::Empty,
        Data::String(s) => XCell::Text(s.clone()),
        Data::Int(i) => XCell::Number {
            value: *i as f64,
            format: None,
        },
        Data::Float(f) => XCell::Number {
            value: *f,
            format: None,
        },
        Data::Bool(b) => XCell::Bool(*b),
        Data::DateTime(d) => XCell::Date(excel_date(d.as_f64())),
        Data::DateTimeIso(s) | Data::DurationIso(s) => XCell::Date(s.clone()),
        Data::Error(e) => XCell::Error(e.to_string()),
    }
}

/// An Excel date serial (1900 system) as `yyyy-mm-dd` (with `hh:mm` when it has a time).
fn excel_date(serial: f64) -> String {
    let days = serial.floor() as i64 - 25_569; // 1970-01-01
    let secs = ((serial - serial.floor()) * 86_400.0).round() as i64;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    if secs == 0 {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}",
            secs / 3600,
            secs / 60 % 60
        )
    }
}

/// A sheet's cells by row (0-based row and column, as calamine numbers them), and its merged ranges.
#[derive(Debug, Default)]
pub(crate) struct Grid {
    rows: Vec<(u32, Vec<XCell>)>,
    merged: Vec<Dimensions>,
}

impl Grid {
    fn put(&mut self, row: u32, col: u32, v: XCell) {
        if v == XCell::Empty {
            return;
        }
        if self.rows.last().map(|(r, _)| *r) != Some(row) {
            self.rows.push((row, Vec::new()));
        }
        let cells = &mut self.rows.last_mut().expect("pushed").1;
        let col = col as usize;
        if cells.len() <= col {
            cells.resize(col + 1, XCell::Empty);
        }
        cells[col] = v;
    }

    fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Merged ranges that cover more than one cell of `row`, or touch it and the rows below.
    fn merged_in_row(&self, row: u32) -> Vec<&Dimensions> {
        self.merged
            .iter()
            .filter(|d| d.start.0 <= row && row <= d.end.0 && d.start != d.end)
            .collect()
    }
}

/// `A1`-style name of a cell.
pub fn cell_name(row: u32, col: u32) -> String {
    let mut c = col + 1;
    let mut letters = Vec::new();
    while c > 0 {
        let rem = (c - 1) % 26;
        letters.push((b'A' + rem as u8) as char);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", letters.into_iter().collect::<String>(), row + 1)
}

fn range_name(d: &Dimensions) -> String {
    format!(
        "{}:{}",
        cell_name(d.start.0, d.start.1),
        cell_name(d.end.0, d.end.1)
    )
}

/// A data row of a sheet, as text cells by column, with the problems found while reading it.
pub(crate) struct SourceRow {
    /// The row number as Excel shows it (row 1 = the first row).
    pub line: u32,
    pub cells: Vec<String>,
    pub issues: Vec<FieldIssue>,
}

/// A sheet made ready for the import checks.
pub(crate) struct SheetRows {
    pub keys: Vec<Option<&'static str>>,
    pub rows: Vec<SourceRow>,
    /// Problems with the sheet as a whole (no header, merged header cells, empty): nothing imports.
    pub file_errors: Vec<FieldIssue>,
}

fn code_columns(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Stores => &["org_code"],
        RecordKind::Terminals => &["machine_no", "terminal_no", "org_code"],
    }
}

fn text_of(c: &XCell) -> Option<&str> {
    match c {
        XCell::Text(s) => Some(s.as_str()),
        _ => None,
    }
}

/// Finds the header row: the first of the top rows holding every required column. Returns its index in
/// `grid.rows` and the column keys; or the missing columns of the best candidate.
fn find_header(
    kind: RecordKind,
    grid: &Grid,
) -> Result<(usize, Vec<Option<&'static str>>), Vec<&'static str>> {
    let mut best: Option<(usize, Vec<&'static str>)> = None;
    for (i, (_, cells)) in grid.rows.iter().enumerate().take(HEADER_SCAN_ROWS) {
        let keys: Vec<Option<&'static str>> = cells
            .iter()
            .map(|c| text_of(c).and_then(|t| crate::import::header_key(kind, t)))
            .collect();
        let missing = crate::import::missing_required(kind, &keys);
        if missing.is_empty() {
            return Ok((i, keys));
        }
        let found = keys.iter().flatten().count();
        if found > 0 && best.as_ref().is_none_or(|(f, _)| found > *f) {
            best = Some((found, missing));
        }
    }
    Err(best
        .map(|(_, m)| m)
        .unwrap_or_else(|| crate::import::missing_required(kind, &[])))
}

/// Reads sheet `name` of `book` as rows for `kind`.
pub(crate) fn sheet_rows(
    book: &mut Book<'_>,
    kind: RecordKind,
    name: &str,
) -> Result<SheetRows, UserError> {
    let grid = book.read(name)?;
    Ok(rows_of(kind, name, &grid, book.is_xls()))
}

/// Opens the workbook and picks the sheet: `wanted` if given, else the only one, else the first whose
/// header row is found (else the first). Returns the sheet names, the chosen one and its rows.
pub(crate) fn read_workbook(
    bytes: &[u8],
    kind: RecordKind,
    wanted: Option<&str>,
) -> Result<(Vec<String>, String, SheetRows), UserError> {
    let mut book = open(bytes)?;
    let sheets = book.sheet_names();
    if sheets.is_empty() {
        return Err(bad_workbook("no visible worksheet"));
    }
    if let Some(w) = wanted.filter(|w| !w.is_empty()) {
        let Some(name) = sheets.iter().find(|s| s.as_str() == w).cloned() else {
            return Err(no_sheet(w, &sheets));
        };
        let rows = sheet_rows(&mut book, kind, &name)?;
        return Ok((sheets, name, rows));
    }
    let mut first = None;
    for name in &sheets {
        let rows = sheet_rows(&mut book, kind, name)?;
        if rows.file_errors.is_empty() || sheets.len() == 1 {
            return Ok((sheets.clone(), name.clone(), rows));
        }
        if first.is_none() {
            first = Some((name.clone(), rows));
        }
    }
    let (name, rows) = first.expect("at least one sheet");
    Ok((sheets, name, rows))
}

fn rows_of(kind: RecordKind, sheet: &str, grid: &Grid, xls: bool) -> SheetRows {
    let mut out = SheetRows {
        keys: vec![],
        rows: vec![],
        file_errors: vec![],
    };
    if grid.is_empty() {
        out.file_errors.push(issue(
            "file",
            &format!("工作表“{sheet}”是空的。请选择有门店 / 前台终端数据的工作表，或先在 Excel 中填好再导入。"),
            &format!("The sheet '{sheet}' is empty. Choose the sheet with the data, or fill it in Excel first."),
        ));
        return out;
    }
    let (hi, keys) = match find_header(kind, grid) {
        Ok(h) => h,
        Err(missing) => {
            let names: Vec<&str> = missing
                .iter()
                .map(|k| crate::import::column_name(kind, k))
                .collect();
            out.file_errors.push(issue(
                "file",
                &format!(
                    "工作表“{sheet}”的前 {HEADER_SCAN_ROWS} 行里找不到表头：缺少“{}”列。表头一行应写：{}",
                    names.join("”“"),
                    crate::import::header_example(kind)
                ),
                &format!(
                    "No header row in the first {HEADER_SCAN_ROWS} rows of the sheet '{sheet}': the '{}' column is missing. The header row must read: {}",
                    names.join("', '"),
                    crate::import::header_example(kind)
                ),
            ));
            return out;
        }
    };
    let header_row = grid.rows[hi].0;
    let merged: Vec<String> = grid
        .merged_in_row(header_row)
        .iter()
        .map(|d| range_name(d))
        .collect();
    if !merged.is_empty() {
        out.file_errors.push(issue(
            "file",
            &format!(
                "工作表“{sheet}”第 {} 行的表头有合并的单元格（{}）。请在 Excel 中取消合并，让每一列都有自己的表头，然后重新导入。",
                header_row + 1,
                merged.join("、")
            ),
            &format!(
                "The header in row {} of the sheet '{sheet}' has merged cells ({}). Unmerge them in Excel so that every column has its own header, then import again.",
                header_row + 1,
                merged.join(", ")
            ),
        ));
        return out;
    }

    let codes = code_columns(kind);
    let code_cols: Vec<(usize, &'static str)> = keys
        .iter()
        .enumerate()
        .filter_map(|(i, k)| k.filter(|k| codes.contains(k)).map(|k| (i, k)))
        .collect();
    // Per code column: how many codes of each length and the longest led by a 0 (text cells, numbers through
    // their formats), to judge the General numbers that may have lost their leading zeros, in one pass
    // (not one per cell: 10,000 General numbers stay linear).
    let mut stats: HashMap<usize, ColumnStats> = HashMap::new();
    let data = &grid.rows[hi + 1..];
    for (_, cells) in data {
        for &(c, _) in &code_cols {
            if let Some(Ok(Shown::Exact(t) | Shown::General(t))) =
                cells.get(c).map(|v| shown_code(v, xls))
            {
                stats.entry(c).or_default().add(&t);
            }
        }
    }

    for (row, cells) in data {
        let line = row + 1;
        let mut issues = vec![];
        let mut texts = Vec::with_capacity(keys.len());
        for (c, key) in keys.iter().enumerate() {
            let v = cells.get(c).unwrap_or(&XCell::Empty);
            let Some(key) = key else {
                texts.push(String::new());
                continue;
            };
            if code_cols.iter().any(|(cc, _)| *cc == c) {
                match shown_code(v, xls) {
                    Ok(Shown::Exact(t)) => texts.push(t),
                    Ok(Shown::General(t)) => {
                        if stats.get(&c).is_some_and(|s| s.lost_leading_zeros(&t)) {
                            issues.push(code_issue(
                                key,
                                kind,
                                *row,
                                c,
                                &Damage::LeadingZeros(t.clone()),
                            ));
                        }
                        texts.push(t);
                    }
                    Err(d) => {
                        issues.push(code_issue(key, kind, *row, c, &d));
                        texts.push(display(v));
                    }
                }
            } else {
                if let XCell::Error(e) = v {
                    issues.push(issue(
                        key,
                        &format!(
                            "{} 单元格是错误值 {e}：请在 Excel 中改正后重新导入。",
                            cell_name(*row, c as u32)
                        ),
                        &format!(
                            "Cell {} holds the error value {e}: fix it in Excel and import again.",
                            cell_name(*row, c as u32)
                        ),
                    ));
                }
                texts.push(display(v));
            }
        }
        let merged = grid.merged_in_row(*row);
        if !merged.is_empty() {
            let names: Vec<String> = merged.iter().map(|d| range_name(d)).collect();
            issues.push(issue(
                "row",
                &format!("这一行有合并的单元格（{}）：请取消合并，并把值填到每一行。", names.join("、")),
                &format!("This row has merged cells ({}): unmerge them and fill the value into every row.", names.join(", ")),
            ));
        }
        out.rows.push(SourceRow {
            line,
            cells: texts,
            issues,
        });
    }
    out.keys = keys;
    out
}

/// What a code cell shows.
#[derive(Debug, PartialEq)]
enum Shown {
    /// Text, or a number through a format that fixes its digits (`000000`).
    Exact(String),
    /// A whole number under General (or `0`, or text format): its digits, leading zeros may be lost.
    General(String),
}

/// Why a code cell cannot be read as the text the merchant sees.
#[derive(Debug, PartialEq)]
enum Damage {
    Fraction(f64),
    Negative(f64),
    Scientific(String),
    TooManyDigits,
    Formatted(String),
    Date(String),
    Error(String),
    XlsNumber(f64),
    LeadingZeros(String),
}

fn int_text(v: f64) -> String {
    format!("{}", v as i64)
}

fn shown_code(v: &XCell, xls: bool) -> Result<Shown, Damage> {
    match v {
        XCell::Empty => Ok(Shown::Exact(String::new())),
        XCell::Text(s) => Ok(Shown::Exact(s.clone())),
        XCell::Bool(b) => Ok(Shown::Exact(if *b { "TRUE" } else { "FALSE" }.into())),
        XCell::Date(d) => Err(Damage::Date(d.clone())),
        XCell::Error(e) => Err(Damage::Error(e.clone())),
        XCell::Number { value, format } => {
            let v = *value;
            if !v.is_finite() || v.fract() != 0.0 {
                return Err(Damage::Fraction(v));
            }
            if v < 0.0 {
                return Err(Damage::Negative(v));
            }
            if xls {
                return Err(Damage::XlsNumber(v));
            }
            if v >= 1e15 {
                return Err(Damage::TooManyDigits);
            }
            // The positive section of the format, without quoted literals' quotes and colour tags.
            let format = format.as_deref().unwrap_or("General");
            let section = format.split(';').next().unwrap_or("").trim();
            let general = section.is_empty()
                || section.eq_ignore_ascii_case("general")
                || section == "@"
                || section == "0";
            if general {
                if v >= 1e11 && section != "0" {
                    // General shows 12+ digit numbers as 1.23457E+11.
                    return Err(Damage::Scientific(format.to_string()));
                }
                return Ok(Shown::General(int_text(v)));
            }
            if section.contains(['E', 'e']) {
                return Err(Damage::Scientific(format.to_string()));
            }
            if !section.is_empty() && section.chars().all(|c| c == '0' || c == '#') {
                let width = section.chars().filter(|c| *c == '0').count();
                return Ok(Shown::Exact(format!("{:0width$}", v as i64)));
            }
            Err(Damage::Formatted(format.to_string()))
        }
    }
}

/// What one code column holds, to judge its General numbers: how many codes of each length, and the
/// longest code that starts with `0`.
#[derive(Default)]
struct ColumnStats {
    lengths: HashMap<usize, usize>,
    longest_zero_led: usize,
}

impl ColumnStats {
    fn add(&mut self, code: &str) {
        if code.is_empty() {
            return;
        }
        let n = code.chars().count();
        *self.lengths.entry(n).or_default() += 1;
        if code.starts_with('0') {
            self.longest_zero_led = self.longest_zero_led.max(n);
        }
    }

    /// A General number `t` (itself counted in the column) whose leading zeros were probably lost:
    /// another code in its column starts with `0` and is longer, or at least two other codes all share
    /// one, longer, length.
    fn lost_leading_zeros(&self, t: &str) -> bool {
        let n = t.chars().count();
        if self.longest_zero_led > n {
            return true;
        }
        let mut others = self
            .lengths
            .iter()
            .map(|(len, count)| (*len, if *len == n { count - 1 } else { *count }))
            .filter(|(_, count)| *count > 0);
        match (others.next(), others.next()) {
            (Some((len, count)), None) => count >= 2 && len > n,
            _ => false,
        }
    }
}

#[cfg(test)]
fn lost_leading_zeros(t: &str, column: &[String]) -> bool {
    let mut stats = ColumnStats::default();
    for c in column {
        stats.add(c);
    }
    stats.lost_leading_zeros(t)
}

fn code_issue(key: &str, kind: RecordKind, row: u32, col: usize, d: &Damage) -> FieldIssue {
    let cell = cell_name(row, col as u32);
    let name = crate::import::column_name(kind, key);
    let fix_zh =
        "请在 Excel 中把这一列设为“文本”格式，按原样重新输入（或粘贴）这些编号，然后重新导入。";
    let fix_en = "In Excel, format this column as Text, type (or paste) the numbers again exactly as they should be, and import again.";
    let (zh, en) = match d {
        Damage::Fraction(v) => (
            format!("{cell} 的{name}是带小数的数字 {v}，不是编号。"),
            format!("{cell}: the {key} is the number {v} with a fraction, not a code."),
        ),
        Damage::Negative(v) => (
            format!("{cell} 的{name}是负数 {v}，不是编号。"),
            format!("{cell}: the {key} is the negative number {v}, not a code."),
        ),
        Damage::Scientific(f) => (
            format!("{cell} 的{name}在 Excel 里显示成科学计数法（如 1.2E+14，格式 {f}），原来的数字已经看不出来了。"),
            format!("{cell}: Excel shows the {key} in scientific notation (like 1.2E+14, format {f}); the original digits are not visible."),
        ),
        Damage::TooManyDigits => (
            format!("{cell} 的{name}是 16 位以上的数字：Excel 只保留 15 位有效数字，后面的数字已经丢了。"),
            format!("{cell}: the {key} is a number of 16 or more digits; Excel keeps only 15, the rest is lost."),
        ),
        Damage::Formatted(f) => (
            format!("{cell} 的{name}是数字，格式为 {f}，Tapstand 无法确定它显示的编号。"),
            format!("{cell}: the {key} is a number with the format {f}; Tapstand cannot tell which code it shows."),
        ),
        Damage::Date(d) => (
            format!("{cell} 的{name}被 Excel 当成了日期（{d}）。"),
            format!("{cell}: Excel turned the {key} into a date ({d})."),
        ),
        Damage::Error(e) => (
            format!("{cell} 的{name}是错误值 {e}。"),
            format!("{cell}: the {key} is the error value {e}."),
        ),
        Damage::XlsNumber(v) => (
            format!("{cell} 的{name}在 .xls 文件里存成了数字 {}，无法确定 Excel 显示的编号（例如开头的 0）。也可以把文件另存为 .xlsx 再导入。", int_text(*v)),
            format!("{cell}: the {key} is stored as the number {} in an .xls file, so the code Excel shows (leading zeros) cannot be told. Saving the file as .xlsx also works.", int_text(*v)),
        ),
        Damage::LeadingZeros(t) => (
            format!("{cell} 的{name}是数字 {t}，比这一列的其他编号短：开头的 0 可能被 Excel 去掉了。"),
            format!("{cell}: the {key} is the number {t}, shorter than the other codes in the column: Excel may have dropped its leading zeros."),
        ),
    };
    issue(key, &format!("{zh}{fix_zh}"), &format!("{en} {fix_en}"))
}

/// A non-code cell as text (numbers as General shows whole numbers).
fn display(v: &XCell) -> String {
    match v {
        XCell::Empty => String::new(),
        XCell::Text(s) => s.clone(),
        XCell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        XCell::Date(d) => d.clone(),
        XCell::Error(e) => e.clone(),
        XCell::Number { value, .. } => {
            if value.fract() == 0.0 && value.abs() < 1e15 {
                int_text(*value)
            } else {
                format!("{value}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(v: f64, f: &str) -> XCell {
        XCell::Number {
            value: v,
            format: Some(f.into()),
        }
    }

    #[test]
    fn codes_through_their_number_format() {
        assert_eq!(
            shown_code(&num(18.0, "General"), false),
            Ok(Shown::General("18".into()))
        );
        assert_eq!(
            shown_code(&num(18.0, "000000"), false),
            Ok(Shown::Exact("000018".into()))
        );
        assert_eq!(
            shown_code(&num(18.0, "#0000"), false),
            Ok(Shown::Exact("0018".into()))
        );
        assert!(matches!(
            shown_code(&num(18.5, "General"), false),
            Err(Damage::Fraction(_))
        ));
        assert!(matches!(
            shown_code(&num(1.2e14, "General"), false),
            Err(Damage::Scientific(_))
        ));
        assert!(matches!(
            shown_code(&num(1.2e14, "0.00E+00"), false),
            Err(Damage::Scientific(_))
        ));
        assert_eq!(
            shown_code(&num(120000000000000.0, "0"), false),
            Ok(Shown::General("120000000000000".into()))
        );
        assert!(matches!(
            shown_code(&num(1e16, "0"), false),
            Err(Damage::TooManyDigits)
        ));
        assert!(matches!(
            shown_code(&num(1001.0, "#,##0"), false),
            Err(Damage::Formatted(_))
        ));
        assert!(matches!(
            shown_code(&num(18.0, "General"), true),
            Err(Damage::XlsNumber(_))
        ));
        assert_eq!(
            shown_code(&XCell::Text("018".into()), false),
            Ok(Shown::Exact("018".into()))
        );
    }

    #[test]
    fn leading_zero_rule() {
        let col = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(lost_leading_zeros("18", &col(&["018", "19", "18"])));
        assert!(lost_leading_zeros("18", &col(&["1001", "1002", "18"])));
        assert!(!lost_leading_zeros("18", &col(&["1001", "18"])));
        assert!(!lost_leading_zeros("18", &col(&["1001", "5", "18"])));
        assert!(!lost_leading_zeros(
            "18",
            &col(&["1001", "1002", "18", "19"])
        ));
        assert!(!lost_leading_zeros("1001", &col(&["1001", "1002", "1003"])));
    }

    #[test]
    fn names_and_dates() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(4, 27), "AB5");
        assert_eq!(excel_date(45_000.0), "2023-03-15");
        assert_eq!(sniff(b"PK\x03\x04rest"), Sniffed::Zip);
        assert_eq!(sniff("机构编号".as_bytes()), Sniffed::Text);
    }
}

//! The station's history (记录) for the app and the CLI: filtered pages with totals
//! ([`tapstand_store::station::HistoryFilter`] → [`page`]), the CSV export ([`export_csv_file`],
//! streamed from SQLite into a safe file) and the `.xlsx` export ([`export_xlsx_file`], streamed into a
//! constant-memory worksheet, then a safe file); [`export_file`] picks one by the file name.
//!
//! The CSV is made for Excel on a Chinese Windows: UTF-8 with a BOM (Excel then reads Chinese correctly),
//! CRLF line ends, RFC 4180 quoting, times as `yyyy-mm-dd hh:mm:ss` China time, results in words. Cells
//! that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return)
//! get a leading `'` (CSV injection: operator names and error texts are free text); so does a cell that
//! already starts with `'`.

use std::io::{self, Write};
use std::path::Path;

use tapstand_error::safe_file::{self, SafeFile};

use tapstand_error::UserError;
use tapstand_store::station::{HistoryFilter, HistoryPage, StationAttempt};
use tapstand_store::Db;

/// The CSV header (Chinese, as the merchant's spreadsheet shows it).
pub const CSV_HEADER: [&str; 18] = [
    "时间",
    "结果",
    "UID",
    "芯片",
    "NXP 原厂芯片",
    "目标",
    "model_id",
    "sn",
    "页面",
    "参数",
    "链接",
    "链接来源",
    "已锁定",
    "读卡器",
    "操作员",
    "错误代码",
    "错误",
    "耗时(毫秒)",
];

/// The header in English (the `.xlsx` export when the UI is English).
pub const HEADER_EN: [&str; 18] = [
    "Time (UTC+8)",
    "Result",
    "UID",
    "Chip",
    "Genuine NXP",
    "Target",
    "model_id",
    "sn",
    "Page",
    "Query",
    "Link",
    "Link source",
    "Locked",
    "Reader",
    "Operator",
    "Error code",
    "Error",
    "Time taken (ms)",
];

/// Plain words for a recorded result.
pub fn result_zh(result: &str) -> &str {
    match result {
        "written" => "写入成功",
        "already_correct" => "已是正确内容",
        "needs_confirmation" => "需确认覆盖",
        "failed" => "失败",
        other => other,
    }
}

/// `yyyy-mm-dd hh:mm:ss`, China time (UTC+8).
pub fn china_time(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::macros::offset!(+8));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// One CSV cell: formula-looking text defused with a leading `'`
/// ([`tapstand_error::safe_file::defuse_cell`], shared by every CSV writer), then quoted when needed.
pub fn csv_cell(s: &str) -> String {
    let s = tapstand_error::safe_file::defuse_cell(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

/// The genuine-chip verdict in the CSV's "NXP 原厂芯片" column.
pub fn genuine_cell(genuine: Option<bool>) -> &'static str {
    match genuine {
        Some(true) => "是",
        Some(false) => "否（可能是国产兼容芯片或仿冒）",
        None => "无法检查",
    }
}

fn row_cells(r: &StationAttempt) -> [String; 18] {
    [
        china_time(r.started_at),
        result_zh(&r.result).to_string(),
        r.uid.clone(),
        r.chip.to_uppercase(),
        genuine_cell(r.genuine).to_string(),
        r.target_label.clone(),
        r.model_id.clone(),
        r.sn.clone(),
        r.path.clone(),
        r.query.clone(),
        r.openlink.clone().unwrap_or_default(),
        r.scheme_source.clone().unwrap_or_default(),
        if r.locked { "是" } else { "否" }.to_string(),
        r.reader.clone(),
        r.operator.clone(),
        r.error_code.clone().unwrap_or_default(),
        r.error_zh.clone().unwrap_or_default(),
        r.total_ms.to_string(),
    ]
}

fn write_line<W: Write>(w: &mut W, cells: &[impl AsRef<str>]) -> io::Result<()> {
    let line: Vec<String> = cells.iter().map(|c| csv_cell(c.as_ref())).collect();
    w.write_all(line.join(",").as_bytes())?;
    w.write_all(b"\r\n")
}

/// The start of the file: the BOM (so Excel reads the Chinese) and the header line.
pub fn write_csv_header<W: Write>(w: &mut W) -> io::Result<()> {
    w.write_all("\u{feff}".as_bytes())?;
    write_line(w, &CSV_HEADER)
}

/// One attempt as one CSV line.
pub fn write_csv_row<W: Write>(w: &mut W, r: &StationAttempt) -> io::Result<()> {
    write_line(w, &row_cells(r))
}

/// Writes `rows` as CSV (BOM, header, one line per attempt).
pub fn write_csv<W: Write>(rows: &[StationAttempt], mut w: W) -> io::Result<()> {
    write_csv_header(&mut w)?;
    for r in rows {
        write_csv_row(&mut w, r)?;
    }
    w.flush()
}

/// One page of history with totals (what the app's history table shows).
pub async fn page(db: &Db, filter: &HistoryFilter) -> Result<HistoryPage, UserError> {
    Ok(db.station_history_page(filter).await?)
}

/// Streams every attempt matching `filter` (all of them unless `filter.limit` is set; `offset` is
/// ignored) as CSV into `w`, row by row as SQLite reads them; `io_err` words a write error. Returns the
/// number of data rows (cells may hold line breaks: count rows, not lines).
pub async fn write_csv_from_db<W: Write>(
    db: &Db,
    filter: &HistoryFilter,
    w: &mut W,
    io_err: impl Fn(io::Error) -> UserError,
) -> Result<u64, UserError> {
    let all = HistoryFilter {
        offset: None,
        ..filter.clone()
    };
    write_csv_header(w).map_err(&io_err)?;
    let n = db
        .station_history_for_each(&all, |r| write_csv_row(w, &r).map_err(&io_err))
        .await?;
    w.flush().map_err(&io_err)?;
    Ok(n)
}

/// The export of 记录 → 导出 CSV and `tapstand-cli history --csv`: every attempt matching `filter` (all
/// unless `filter.limit` is set) streamed into `path` through a [`SafeFile`]: the file appears complete
/// or not at all (an old file stays as it was), and a failure says why (disk full, no permission, open in
/// Excel). Returns the number of rows written.
pub async fn export_csv_file(
    db: &Db,
    filter: &HistoryFilter,
    path: &Path,
) -> Result<u64, UserError> {
    let mut f = SafeFile::create(path)?;
    let target = path.to_path_buf();
    let n = write_csv_from_db(db, filter, &mut f, |e| {
        safe_file::io_error(&target, safe_file::Step::Write, &e)
    })
    .await?;
    f.commit()?;
    tracing::info!(rows = n, path = %path.display(), "history exported");
    Ok(n)
}

/// Plain English words for a recorded result.
pub fn result_en(result: &str) -> &str {
    match result {
        "written" => "written",
        "already_correct" => "already correct",
        "needs_confirmation" => "needs confirmation",
        "failed" => "failed",
        other => other,
    }
}

/// The `.xlsx` export of 记录 → 导出 Excel and `tapstand-cli history --export FILE.xlsx`: every attempt
/// matching `filter` (all unless `filter.limit` is set), streamed from SQLite into a constant-memory
/// worksheet ([`tapstand_records::xlsx::XlsxTable`]: text cells, China time, frozen header, filters),
/// then written through a safe file. Headers in Chinese, or English when `english`.
pub async fn export_xlsx_file(
    db: &Db,
    filter: &HistoryFilter,
    path: &Path,
    english: bool,
) -> Result<u64, UserError> {
    use tapstand_records::xlsx::{Cell, XlsxTable};
    let all = HistoryFilter {
        offset: None,
        ..filter.clone()
    };
    let (sheet, header) = if english {
        ("History", HEADER_EN)
    } else {
        ("记录", CSV_HEADER)
    };
    let mut t = XlsxTable::new(sheet, &header)?;
    db.station_history_for_each(&all, |r: StationAttempt| {
        let mut cells = row_cells(&r);
        if english {
            cells[1] = result_en(&r.result).to_string();
            cells[4] = match r.genuine {
                Some(true) => "yes",
                Some(false) => "no",
                None => "cannot be checked",
            }
            .to_string();
            cells[12] = if r.locked { "yes" } else { "no" }.to_string();
        }
        let mut row: Vec<Cell<'_>> = cells[..17].iter().map(|c| Cell::Text(c)).collect();
        row.push(Cell::Number(r.total_ms as f64));
        t.row(&row)
    })
    .await?;
    let n = t.finish(path)?;
    tracing::info!(rows = n, path = %path.display(), "history exported (xlsx)");
    Ok(n)
}

/// `.xlsx` when the file name ends so ([`export_xlsx_file`]), else CSV ([`export_csv_file`]).
pub async fn export_file(
    db: &Db,
    filter: &HistoryFilter,
    path: &Path,
    english: bool,
) -> Result<u64, UserError> {
    if tapstand_records::xlsx::wants_xlsx(path) {
        export_xlsx_file(db, filter, path, english).await
    } else {
        export_csv_file(db, filter, path).await
    }
}

/// Every attempt matching `filter` (its `limit` and `offset` are ignored) as CSV bytes (for tests and
/// small exports; files go through [`export_csv_file`]).
pub async fn export_csv(db: &Db, filter: &HistoryFilter) -> Result<Vec<u8>, UserError> {
    let all = HistoryFilter {
        limit: None,
        ..filter.clone()
    };
    let mut out = Vec::new();
    write_csv_from_db(db, &all, &mut out, UserError::internal).await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells() {
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("x\"y"), "\"x\"\"y\"");
        assert_eq!(
            csv_cell("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("南山店"), "南山店");
        assert_eq!(china_time(1_795_140_000_000), "2026-11-20 10:00:00");
    }
}

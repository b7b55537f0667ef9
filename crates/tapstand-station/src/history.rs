//! The station's history (记录) for the app and the CLI: filtered pages with totals
//! ([`tapstand_store::station::HistoryFilter`] → [`page`]) and the CSV export ([`write_csv`]).
//!
//! The CSV is made for Excel on a Chinese Windows: UTF-8 with a BOM (Excel then reads Chinese correctly),
//! CRLF line ends, RFC 4180 quoting, times as `yyyy-mm-dd hh:mm:ss` China time, results in words. Cells
//! that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return)
//! get a leading `'` (CSV injection: operator names and error texts are free text).

use std::io::{self, Write};

use tapstand_error::UserError;
use tapstand_store::station::{HistoryFilter, HistoryPage, StationAttempt};
use tapstand_store::Db;

/// The CSV header (Chinese, as the merchant's spreadsheet shows it).
pub const CSV_HEADER: [&str; 17] = [
    "时间",
    "结果",
    "UID",
    "芯片",
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

/// One CSV cell: formula-looking text defused with a leading `'`, then quoted when needed.
pub fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn row_cells(r: &StationAttempt) -> [String; 17] {
    [
        china_time(r.started_at),
        result_zh(&r.result).to_string(),
        r.uid.clone(),
        r.chip.to_uppercase(),
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

/// Writes `rows` as CSV (BOM, header, one line per attempt).
pub fn write_csv<W: Write>(rows: &[StationAttempt], mut w: W) -> io::Result<()> {
    w.write_all("\u{feff}".as_bytes())?;
    write_line(&mut w, &CSV_HEADER)?;
    for r in rows {
        write_line(&mut w, &row_cells(r))?;
    }
    w.flush()
}

/// One page of history with totals (what the app's history table shows).
pub async fn page(db: &Db, filter: &HistoryFilter) -> Result<HistoryPage, UserError> {
    Ok(db.station_history_page(filter).await?)
}

/// Every attempt matching `filter` (its `limit` and `offset` are ignored) as CSV bytes.
pub async fn export_csv(db: &Db, filter: &HistoryFilter) -> Result<Vec<u8>, UserError> {
    Ok(export_csv_counted(db, filter).await?.0)
}

/// [`export_csv`] with the number of data rows written (cells may hold line breaks: count rows, not lines).
pub async fn export_csv_counted(
    db: &Db,
    filter: &HistoryFilter,
) -> Result<(Vec<u8>, usize), UserError> {
    let all = HistoryFilter {
        limit: Some(i64::MAX),
        offset: None,
        ..filter.clone()
    };
    let rows = db.station_history(&all).await?;
    let mut out = Vec::with_capacity(256 + rows.len() * 200);
    write_csv(&rows, &mut out).map_err(UserError::internal)?;
    Ok((out, rows.len()))
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

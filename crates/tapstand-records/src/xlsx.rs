//! Writing `.xlsx` files for the merchant (rust_xlsxwriter): one sheet, a bold frozen header row, an
//! autofilter over the table, column widths from the contents, and every text cell a *text* cell
//! (number format `@`), so codes and UIDs keep their leading zeros when opened, edited and saved again.
//! Text that a spreadsheet would run as a formula is defused exactly as in the CSVs
//! ([`defuse_cell`]: a leading `'`), and the import takes it off again.
//!
//! Rows are streamed: the worksheet is rust_xlsxwriter's *constant memory* mode (each row goes to a
//! temporary file as it is written), so 100,000 history rows do not sit in memory. The workbook is then
//! written through a [`SafeFile`] (a temporary file in the target's folder, fsync, rename): the target
//! is the old file or the complete new one, and a failure says why (disk full, open in Excel, …).

use std::path::Path;

use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};
use tapstand_error::safe_file::{self, defuse_cell, SafeFile};
use tapstand_error::UserError;

/// One cell of a row.
pub enum Cell<'a> {
    /// Written as a text cell (defused).
    Text(&'a str),
    /// Written as a number cell (durations, counts).
    Number(f64),
}

/// A one-sheet workbook being written row by row.
pub struct XlsxTable {
    workbook: Workbook,
    sheet: Worksheet,
    text: Format,
    row: u32,
    widths: Vec<usize>,
}

const MAX_WIDTH: usize = 60;

/// Display width in Excel's character units (CJK characters count two).
fn width_of(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x2E80 { 2 } else { 1 })
        .sum()
}

fn internal(e: XlsxError) -> UserError {
    UserError::internal(e)
}

impl XlsxTable {
    /// A workbook with one sheet called `sheet_name` and the header row `headers`.
    pub fn new(sheet_name: &str, headers: &[&str]) -> Result<XlsxTable, UserError> {
        let mut workbook = Workbook::new();
        let mut sheet = workbook
            .new_worksheet_with_constant_memory()
            .map_err(internal)?;
        sheet.set_name(sheet_name).map_err(internal)?;
        let head = Format::new()
            .set_bold()
            .set_background_color("F2F3F5")
            .set_align(FormatAlign::Center)
            .set_num_format("@");
        let text = Format::new().set_num_format("@");
        for (c, h) in headers.iter().enumerate() {
            sheet
                .write_string_with_format(0, c as u16, *h, &head)
                .map_err(internal)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(internal)?;
        Ok(XlsxTable {
            workbook,
            sheet,
            text,
            row: 0,
            widths: headers.iter().map(|h| width_of(h) + 2).collect(),
        })
    }

    /// Appends one data row.
    pub fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), UserError> {
        self.row += 1;
        for (c, cell) in cells.iter().enumerate() {
            let col = c as u16;
            let w = match cell {
                Cell::Text(s) => {
                    if s.is_empty() {
                        continue;
                    }
                    let s = defuse_cell(s);
                    self.sheet
                        .write_string_with_format(self.row, col, s.as_ref(), &self.text)
                        .map_err(internal)?;
                    width_of(&s)
                }
                Cell::Number(n) => {
                    self.sheet
                        .write_number(self.row, col, *n)
                        .map_err(internal)?;
                    format!("{n}").len()
                }
            };
            if let Some(max) = self.widths.get_mut(c) {
                *max = (*max).max(w + 1);
            }
        }
        Ok(())
    }

    /// Data rows written so far.
    pub fn rows(&self) -> u64 {
        u64::from(self.row)
    }

    /// Widths, autofilter, then the workbook into `path` through a [`SafeFile`].
    pub fn finish(mut self, path: &Path) -> Result<u64, UserError> {
        let last_col = self.widths.len().saturating_sub(1) as u16;
        for (c, w) in self.widths.iter().enumerate() {
            self.sheet
                .set_column_width(c as u16, (*w).clamp(8, MAX_WIDTH) as f64)
                .map_err(internal)?;
        }
        self.sheet
            .autofilter(0, 0, self.row, last_col)
            .map_err(internal)?;
        self.workbook.push_worksheet(self.sheet);
        let mut f = SafeFile::create(path)?;
        if let Err(e) = self.workbook.save_to_writer(&mut f) {
            // An io error (disk full, …) somewhere in the chain is worded like every export's.
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(s) = source {
                if let Some(io) = s.downcast_ref::<std::io::Error>() {
                    return Err(safe_file::io_error(path, safe_file::Step::Write, io));
                }
                source = s.source();
            }
            return Err(internal(e));
        }
        f.commit()?;
        Ok(u64::from(self.row))
    }
}

/// Whether `path` asks for an `.xlsx` (by its extension; anything else is written as CSV).
pub fn wants_xlsx(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_count_cjk_twice() {
        assert_eq!(width_of("abc"), 3);
        assert_eq!(width_of("门店"), 4);
        assert!(wants_xlsx(Path::new("a/门店.XLSX")));
        assert!(!wants_xlsx(Path::new("a/门店.csv")));
    }
}

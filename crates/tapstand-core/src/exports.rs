//! Lists written for the merchant — stores, terminals, the station's history, the tag register — as
//! `.xlsx` (when the file name ends so) or CSV, with headers in the UI's language; and list files read
//! for an import. Both faces call these (the app's 导出 / 导入 and the CLI's `export`, `import`,
//! `history --export`, `tags export`).

use std::path::Path;

use tapstand_error::UserError;
use tapstand_records::import::{self, ImportOptions, ImportPreview, ImportResult};
use tapstand_records::RecordKind;
use tapstand_store::station::HistoryFilter;

use crate::{Core, Language};

/// Reads a list file for an import, refusing (before reading it) a file larger than an import takes.
pub fn read_import_file(path: &Path) -> Result<Vec<u8>, UserError> {
    let max = tapstand_records::excel::MAX_FILE_BYTES as u64;
    if let Ok(m) = std::fs::metadata(path) {
        if m.len() > max {
            return Err(import::too_big_file(m.len()));
        }
    }
    crate::files::read_input(path, ("导入", "import"))
}

impl Core {
    async fn english(&self) -> Result<bool, UserError> {
        Ok(self.language().await? == Language::EnUs)
    }

    /// Stores or terminals (archived too) to `path`: `.xlsx` or CSV by the file name.
    pub async fn export_records(&self, kind: RecordKind, path: &Path) -> Result<u64, UserError> {
        import::export_to(&self.db, kind, path, self.english().await?).await
    }

    /// The history matching `filter` to `path`: `.xlsx` or CSV by the file name.
    pub async fn export_history(
        &self,
        filter: &HistoryFilter,
        path: &Path,
    ) -> Result<u64, UserError> {
        tapstand_station::history::export_file(&self.db, filter, path, self.english().await?).await
    }

    /// The tag register (one row per recorded tag) to `path` (`.xlsx`).
    pub async fn export_tag_register(&self, path: &Path) -> Result<u64, UserError> {
        if !tapstand_records::xlsx::wants_xlsx(path) {
            return Err(UserError::new(
                "export.xlsx_only",
                (
                    "标签台账只能导出为 Excel 工作簿（.xlsx）。",
                    "请把文件名改为以 .xlsx 结尾，例如“标签台账.xlsx”。",
                ),
                (
                    "The tag register is exported as an Excel workbook (.xlsx) only.",
                    "Use a file name ending in .xlsx, e.g. tags.xlsx.",
                ),
            ));
        }
        tapstand_station::register::export_xlsx_file(&self.db, path, self.english().await?).await
    }

    /// What importing these bytes (CSV or workbook) would do; writes nothing.
    pub async fn preview_import(
        &self,
        kind: RecordKind,
        bytes: &[u8],
        options: &ImportOptions,
    ) -> Result<ImportPreview, UserError> {
        import::preview_with(&self.db, kind, bytes, options).await
    }

    /// Imports every row in one transaction, or none.
    pub async fn commit_import(
        &self,
        kind: RecordKind,
        bytes: &[u8],
        options: &ImportOptions,
    ) -> Result<ImportResult, UserError> {
        import::commit_with(&self.db, kind, bytes, options).await
    }
}

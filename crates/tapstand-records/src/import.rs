//! CSV and Excel import, and CSV export, of stores and terminals (the `.xlsx` export is [`crate::xlsx`]).
//!
//! Import is two steps: [`preview_with`] reads the file (CSV in UTF-8 with or without BOM, or GBK/GB18030
//! as Chinese Excel writes it; or an `.xlsx`/`.xls` workbook, told from the content, read by
//! [`crate::excel`]), checks every row against the rules and the database, and writes nothing; [`commit_with`]
//! writes all rows in one transaction, and refuses while any row has an error. Export writes UTF-8 with a
//! BOM, which Excel opens correctly, through a safe file ([`export_file`]); cells that a spreadsheet would
//! run as a formula get a leading `'`, which the import takes off again (export → import round-trips).

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use tapstand_error::safe_file::{self, defuse_cell, restore_cell, SafeFile};
use tapstand_error::{FieldIssue, UserError};
use tapstand_store::records::{StoreInput, TerminalInput, Upsert};
use tapstand_store::Db;

use crate::excel::{self, SourceRow};
use crate::validate::{issue, normalize_store, normalize_terminal, store_issues, terminal_issues};
use crate::RecordKind;

/// How the file was read: a CSV's text encoding, or the workbook format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Gb18030,
    /// An Excel workbook (`.xlsx`, Office Open XML).
    Xlsx,
    /// An Excel 97–2003 workbook (`.xls`).
    Xls,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    New,
    Update,
    Unchanged,
    /// The row has errors and would not be written.
    Invalid,
}

/// One data row of the file as the preview shows it.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct PreviewRow {
    /// Line number in a CSV (the header is line 1), or the row number as Excel shows it in a workbook
    /// (row 1 = the sheet's first row).
    pub line: u32,
    /// The row's values by column key (`org_code`, `name`, ... / `machine_no`, `terminal_no`, ...).
    pub values: Vec<(String, String)>,
    pub action: RowAction,
    pub errors: Vec<FieldIssue>,
}

#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct ImportPreview {
    pub kind: RecordKind,
    pub encoding: Encoding,
    /// The sheet read (workbooks only).
    pub sheet: Option<String>,
    /// The workbook's visible sheets, in order (empty for a CSV): the UI offers a choice when several.
    pub sheets: Vec<String>,
    pub rows: Vec<PreviewRow>,
    pub new_rows: u32,
    pub updated_rows: u32,
    pub unchanged_rows: u32,
    pub invalid_rows: u32,
    /// Problems with the file as a whole (missing column, ...): nothing can be imported until fixed.
    pub file_errors: Vec<FieldIssue>,
}

impl ImportPreview {
    pub fn can_commit(&self) -> bool {
        self.file_errors.is_empty() && self.invalid_rows == 0 && !self.rows.is_empty()
    }
}

#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct ImportResult {
    pub inserted: u32,
    pub updated: u32,
    pub unchanged: u32,
}

/// Decodes CSV bytes: a UTF-8 BOM, else valid UTF-8, else GB18030 (a superset of GBK and GB2312).
pub fn decode(bytes: &[u8]) -> (String, Encoding) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return (
            String::from_utf8_lossy(rest).into_owned(),
            Encoding::Utf8Bom,
        );
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (s.to_owned(), Encoding::Utf8);
    }
    let (text, _, _) = encoding_rs::GB18030.decode(bytes);
    (text.into_owned(), Encoding::Gb18030)
}

/// Column headers each key accepts (Chinese as the merchant's system exports them, or English).
fn columns(kind: RecordKind) -> &'static [(&'static str, &'static [&'static str], bool)] {
    match kind {
        RecordKind::Stores => &[
            (
                "org_code",
                &["机构编号", "机构", "机构号", "org_code", "org"],
                true,
            ),
            ("company", &["组织/公司", "组织", "公司", "company"], false),
            ("name", &["门店名称", "门店", "name", "store"], true),
            ("address", &["地址", "门店地址", "address"], false),
        ],
        RecordKind::Terminals => &[
            ("machine_no", &["机器号", "machine_no", "machine"], true),
            ("terminal_no", &["终端号", "terminal_no", "terminal"], true),
            (
                "org_code",
                &["机构编号", "门店机构编号", "机构", "org_code", "store"],
                false,
            ),
            ("note", &["备注", "note"], false),
        ],
    }
}

pub(crate) fn header_key(kind: RecordKind, header: &str) -> Option<&'static str> {
    let h = header.trim().trim_matches('\u{feff}');
    columns(kind)
        .iter()
        .find(|(_, names, _)| names.iter().any(|n| n.eq_ignore_ascii_case(h)))
        .map(|(k, _, _)| *k)
}

fn file_error(zh: &str, en: &str) -> FieldIssue {
    issue("file", zh, en)
}

/// What the import is told besides the bytes: the file's name (a file *named* `.xlsx` that is not a
/// workbook is refused) and, for a workbook, which sheet to read (default: the only one, or the first
/// whose header row is found).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct ImportOptions {
    #[serde(default)]
    pub file_name: Option<String>,
    #[serde(default)]
    pub sheet: Option<String>,
}

pub(crate) fn missing_required(kind: RecordKind, keys: &[Option<&str>]) -> Vec<&'static str> {
    columns(kind)
        .iter()
        .filter(|(key, _, required)| *required && !keys.contains(&Some(*key)))
        .map(|(key, _, _)| *key)
        .collect()
}

/// The column's Chinese header (the first name it accepts).
pub(crate) fn column_name(kind: RecordKind, key: &str) -> &'static str {
    columns(kind)
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, names, _)| names[0])
        .unwrap_or("")
}

/// Reads and checks a CSV file without writing anything (the format is told from the content; see
/// [`preview_with`] for workbooks).
pub async fn preview(db: &Db, kind: RecordKind, bytes: &[u8]) -> Result<ImportPreview, UserError> {
    preview_with(db, kind, bytes, &ImportOptions::default()).await
}

/// Reads and checks a CSV file or an Excel workbook (`.xlsx`, `.xls`; told from the content, see
/// [`crate::excel`]) without writing anything. A workbook's rows are numbered as Excel numbers them
/// and the preview names the sheet read.
pub async fn preview_with(
    db: &Db,
    kind: RecordKind,
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<ImportPreview, UserError> {
    let mut preview = ImportPreview {
        kind,
        encoding: Encoding::Utf8,
        sheet: None,
        sheets: vec![],
        rows: vec![],
        new_rows: 0,
        updated_rows: 0,
        unchanged_rows: 0,
        invalid_rows: 0,
        file_errors: vec![],
    };
    let sniffed = excel::sniff(bytes);
    let (keys, rows) = if sniffed == excel::Sniffed::Text {
        if let Some(name) = options.file_name.as_deref() {
            if excel::named_like_workbook(name) {
                return Err(excel::not_a_workbook(name));
            }
        }
        let (text, encoding) = decode(bytes);
        preview.encoding = encoding;
        match csv_rows(kind, &text) {
            Ok(kr) => kr,
            Err(errors) => {
                preview.file_errors = errors;
                return Ok(preview);
            }
        }
    } else {
        let (sheets, sheet, table) = excel::read_workbook(bytes, kind, options.sheet.as_deref())?;
        preview.encoding = if sniffed == excel::Sniffed::Zip {
            Encoding::Xlsx
        } else {
            Encoding::Xls
        };
        preview.sheets = sheets;
        preview.sheet = Some(sheet);
        if !table.file_errors.is_empty() {
            preview.file_errors = table.file_errors;
            return Ok(preview);
        }
        (table.keys, table.rows)
    };
    check_rows(db, kind, &keys, rows, &mut preview).await?;
    Ok(preview)
}

/// A table's column keys (by column) and its data rows.
type Table = (Vec<Option<&'static str>>, Vec<SourceRow>);

/// The CSV's column keys and data rows (line 1 is the header), or why the header is not usable.
fn csv_rows(kind: RecordKind, text: &str) -> Result<Table, Vec<FieldIssue>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(vec![file_error(
                &format!("无法读取表头：{e}"),
                &format!("The header line cannot be read: {e}"),
            )]);
        }
    };
    let keys: Vec<Option<&'static str>> = headers.iter().map(|h| header_key(kind, h)).collect();
    let mut errors = vec![];
    for key in missing_required(kind, &keys) {
        let names = columns(kind)
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, n, _)| *n)
            .unwrap_or(&[]);
        errors.push(file_error(
            &format!(
                "缺少“{}”列。第一行应是表头，例如：{}",
                names[0],
                header_example(kind)
            ),
            &format!(
                "The '{}' column is missing. The first line must be the header, e.g. {}",
                names[1.min(names.len() - 1)],
                header_example(kind)
            ),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut rows = vec![];
    for (i, record) in reader.records().enumerate() {
        let line = i as u32 + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                rows.push(SourceRow {
                    line,
                    cells: vec![],
                    issues: vec![issue(
                        "row",
                        &format!("这一行无法读取：{e}"),
                        &format!("This line cannot be read: {e}"),
                    )],
                });
                continue;
            }
        };
        let mut issues = vec![];
        if record.iter().any(|f| f.contains('\u{FFFD}')) {
            issues.push(issue(
                "row",
                "这一行有无法识别的文字（编码错误）。请在 Excel 中“另存为 CSV UTF-8”或“CSV（逗号分隔）”后重新导入。",
                "This line has unreadable characters (bad encoding). Save the sheet again as 'CSV UTF-8' or 'CSV (comma delimited)' and import it again.",
            ));
        }
        rows.push(SourceRow {
            line,
            cells: record.iter().map(str::to_string).collect(),
            issues,
        });
    }
    Ok((keys, rows))
}

/// Checks every data row (CSV or sheet) against the rules, the file's other rows (duplicates) and the
/// database (new, updated or unchanged), into `preview`.
async fn check_rows(
    db: &Db,
    kind: RecordKind,
    keys: &[Option<&'static str>],
    rows: Vec<SourceRow>,
    preview: &mut ImportPreview,
) -> Result<(), UserError> {
    let existing = Existing::load(db, kind).await?;
    let mut seen: HashMap<String, u32> = HashMap::new();
    for source in rows {
        if is_blank(&source) {
            continue;
        }
        let row = if source.cells.is_empty() {
            unreadable_row(source)
        } else {
            check_row(kind, keys, &existing, &mut seen, source)
        };
        preview.rows.push(row);
    }
    count_actions(preview);
    refuse_an_empty_file(preview);
    Ok(())
}

/// The records already there, to tell new from updated, and stores by 机构编号 for terminals.
struct Existing {
    stores: HashMap<String, tapstand_store::records::Store>,
    terminals: HashMap<String, tapstand_store::records::Terminal>,
}

impl Existing {
    async fn load(db: &Db, kind: RecordKind) -> Result<Existing, UserError> {
        let stores = db
            .list_stores("", true)
            .await?
            .into_iter()
            .map(|s| (s.org_code.clone(), s))
            .collect();
        let terminals = if kind == RecordKind::Terminals {
            db.list_terminals("", true)
                .await?
                .into_iter()
                .map(|t| (t.terminal_no.clone(), t))
                .collect()
        } else {
            HashMap::new()
        };
        Ok(Existing { stores, terminals })
    }
}

/// A line with nothing in it and nothing wrong with it.
fn is_blank(source: &SourceRow) -> bool {
    source.issues.is_empty() && source.cells.iter().all(|f| f.trim().is_empty())
}

/// A line that could not be read at all.
fn unreadable_row(source: SourceRow) -> PreviewRow {
    PreviewRow {
        line: source.line,
        values: vec![],
        action: RowAction::Invalid,
        errors: source.issues,
    }
}

/// One data row: its values as they would be written, what would happen to it, and what is wrong with it.
fn check_row(
    kind: RecordKind,
    keys: &[Option<&'static str>],
    existing: &Existing,
    seen: &mut HashMap<String, u32>,
    source: SourceRow,
) -> PreviewRow {
    let get = |key: &str| cell(keys, &source.cells, key);
    let mut errors = source.issues.clone();
    let (values, action) = match kind {
        RecordKind::Stores => check_store(&get, existing, seen, source.line, &mut errors),
        RecordKind::Terminals => check_terminal(&get, existing, seen, source.line, &mut errors),
    };
    let action = if errors.is_empty() {
        action
    } else {
        RowAction::Invalid
    };
    PreviewRow {
        line: source.line,
        values,
        action,
        errors,
    }
}

/// The cell under the column `key`, trimmed and with an export's formula guard taken off ('' when absent).
fn cell(keys: &[Option<&'static str>], cells: &[String], key: &str) -> String {
    keys.iter()
        .position(|k| *k == Some(key))
        .and_then(|i| cells.get(i))
        .map(|s| restore_cell(s.trim()))
        .unwrap_or("")
        .to_string()
}

type CheckedRow = (Vec<(String, String)>, RowAction);

fn check_store(
    get: &dyn Fn(&str) -> String,
    existing: &Existing,
    seen: &mut HashMap<String, u32>,
    line: u32,
    errors: &mut Vec<FieldIssue>,
) -> CheckedRow {
    let s = normalize_store(StoreInput {
        org_code: get("org_code"),
        company: get("company"),
        name: get("name"),
        address: get("address"),
    });
    errors.extend(store_issues(&s));
    dup_check(
        seen,
        &s.org_code,
        line,
        ("机构编号", "organisation number"),
        errors,
    );
    let action = action_for(existing.stores.get(&s.org_code), |e| {
        e.company == s.company && e.name == s.name && e.address == s.address
    });
    (
        vec![
            ("org_code".into(), s.org_code),
            ("company".into(), s.company),
            ("name".into(), s.name),
            ("address".into(), s.address),
        ],
        action,
    )
}

fn check_terminal(
    get: &dyn Fn(&str) -> String,
    existing: &Existing,
    seen: &mut HashMap<String, u32>,
    line: u32,
    errors: &mut Vec<FieldIssue>,
) -> CheckedRow {
    let org_code = get("org_code").trim().to_string();
    let store_id = store_of_terminal(existing, &org_code, errors);
    let t = normalize_terminal(TerminalInput {
        store_id,
        machine_no: get("machine_no"),
        terminal_no: get("terminal_no"),
        note: get("note"),
    });
    errors.extend(terminal_issues(&t));
    dup_check(
        seen,
        &t.terminal_no,
        line,
        ("终端号", "terminal number"),
        errors,
    );
    let action = action_for(existing.terminals.get(&t.terminal_no), |e| {
        e.store_id == t.store_id && e.machine_no == t.machine_no && e.note == t.note
    });
    (
        vec![
            ("machine_no".into(), t.machine_no),
            ("terminal_no".into(), t.terminal_no),
            ("org_code".into(), org_code),
            ("note".into(), t.note),
        ],
        action,
    )
}

/// The store a terminal row names by 机构编号: none when empty (不区分门店), an error when no store has it.
fn store_of_terminal(
    existing: &Existing,
    org_code: &str,
    errors: &mut Vec<FieldIssue>,
) -> Option<i64> {
    if org_code.is_empty() {
        return None;
    }
    let store = existing.stores.get(org_code);
    if store.is_none() {
        errors.push(issue(
            "org_code",
            &format!("机构编号 {org_code} 的门店不存在：请先导入门店，或留空表示不区分门店。"),
            &format!("No store has organisation number {org_code}: import the stores first, or leave it empty for all stores."),
        ));
    }
    store.map(|s| s.id)
}

/// New when no record has the row's key, unchanged when the record already holds what the row says, else
/// an update.
fn action_for<T>(existing: Option<&T>, same: impl Fn(&T) -> bool) -> RowAction {
    match existing {
        None => RowAction::New,
        Some(e) if same(e) => RowAction::Unchanged,
        Some(_) => RowAction::Update,
    }
}

fn count_actions(preview: &mut ImportPreview) {
    for r in &preview.rows {
        match r.action {
            RowAction::New => preview.new_rows += 1,
            RowAction::Update => preview.updated_rows += 1,
            RowAction::Unchanged => preview.unchanged_rows += 1,
            RowAction::Invalid => preview.invalid_rows += 1,
        }
    }
}

fn refuse_an_empty_file(preview: &mut ImportPreview) {
    if preview.rows.is_empty() {
        preview.file_errors.push(file_error(
            "文件里没有数据行。",
            "The file has no data rows.",
        ));
    }
}

fn dup_check(
    seen: &mut HashMap<String, u32>,
    key: &str,
    line: u32,
    (zh, en): (&str, &str),
    errors: &mut Vec<FieldIssue>,
) {
    if key.is_empty() {
        return;
    }
    if let Some(first) = seen.get(key) {
        errors.push(issue(
            "row",
            &format!("{zh} {key} 与第 {first} 行重复。"),
            &format!("The {en} {key} repeats line {first}."),
        ));
    } else {
        seen.insert(key.to_string(), line);
    }
}

pub(crate) fn header_example(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Stores => "机构编号,组织/公司,门店名称,地址",
        RecordKind::Terminals => "机器号,终端号,机构编号,备注",
    }
}

/// [`commit_with`] for a CSV (or a workbook's default sheet).
pub async fn commit(db: &Db, kind: RecordKind, bytes: &[u8]) -> Result<ImportResult, UserError> {
    commit_with(db, kind, bytes, &ImportOptions::default()).await
}

/// Writes every row of the file in one transaction; refuses (writing nothing) while any row has an error.
/// The file is read again, so what is written is exactly what the preview of these bytes shows.
pub async fn commit_with(
    db: &Db,
    kind: RecordKind,
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<ImportResult, UserError> {
    let p = preview_with(db, kind, bytes, options).await?;
    if !p.can_commit() {
        let mut e = UserError::new(
            "import.invalid",
            (
                &format!("有 {} 行需要修改，还没有导入任何数据。", p.invalid_rows + p.file_errors.len() as u32),
                "请按预览中标出的行修改文件后重新导入；修改前不会写入任何一行。",
            ),
            (
                &format!("{} rows need fixing; nothing was imported.", p.invalid_rows + p.file_errors.len() as u32),
                "Fix the rows marked in the preview and import again; no row is written until then.",
            ),
        );
        e.fields = p.file_errors.clone();
        for r in p.rows.iter().filter(|r| r.action == RowAction::Invalid) {
            for f in &r.errors {
                let at = match &p.sheet {
                    Some(sheet) => format!("sheet {sheet} row {}", r.line),
                    None => format!("line {}", r.line),
                };
                e.fields.push(FieldIssue {
                    field: format!("{at}: {}", f.field),
                    zh: f.zh.clone(),
                    en: f.en.clone(),
                });
            }
        }
        return Err(e);
    }
    let value = |r: &PreviewRow, k: &str| {
        r.values
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let outcome = match kind {
        RecordKind::Stores => {
            let rows: Vec<StoreInput> = p
                .rows
                .iter()
                .map(|r| StoreInput {
                    org_code: value(r, "org_code"),
                    company: value(r, "company"),
                    name: value(r, "name"),
                    address: value(r, "address"),
                })
                .collect();
            db.upsert_stores(&rows).await?
        }
        RecordKind::Terminals => {
            let stores: HashMap<String, i64> = db
                .list_stores("", true)
                .await?
                .into_iter()
                .map(|s| (s.org_code, s.id))
                .collect();
            let rows: Vec<TerminalInput> = p
                .rows
                .iter()
                .map(|r| TerminalInput {
                    store_id: stores.get(&value(r, "org_code")).copied(),
                    machine_no: value(r, "machine_no"),
                    terminal_no: value(r, "terminal_no"),
                    note: value(r, "note"),
                })
                .collect();
            db.upsert_terminals(&rows).await?
        }
    };
    let count = |u: Upsert| outcome.iter().filter(|o| **o == u).count() as u32;
    let result = ImportResult {
        inserted: count(Upsert::Inserted),
        updated: count(Upsert::Updated),
        unchanged: count(Upsert::Unchanged),
    };
    tracing::info!(
        ?kind,
        inserted = result.inserted,
        updated = result.updated,
        encoding = ?p.encoding,
        sheet = p.sheet.as_deref().unwrap_or(""),
        "import committed"
    );
    Ok(result)
}

/// The records as CSV (UTF-8 with BOM, Chinese headers): what Excel and a later import both read. Cells
/// that a spreadsheet would run as a formula get a leading `'` ([`defuse_cell`]); the import takes it
/// off again ([`restore_cell`]), so export → import gives back the same records.
pub async fn export(db: &Db, kind: RecordKind) -> Result<Vec<u8>, UserError> {
    let mut out = Vec::new();
    write_export(db, kind, &mut out, UserError::internal).await?;
    Ok(out)
}

/// [`export`] into the file `path` through a [`SafeFile`] (the app's 导出 and `tapstand-cli store export`):
/// an old file is replaced only by a complete new one; a failure says why. Returns the number of rows.
pub async fn export_file(db: &Db, kind: RecordKind, path: &Path) -> Result<u64, UserError> {
    let mut f = SafeFile::create(path)?;
    let target = path.to_path_buf();
    let n = write_export(db, kind, &mut f, |e| {
        safe_file::io_error(&target, safe_file::Step::Write, &e)
    })
    .await?;
    f.commit()?;
    tracing::info!(?kind, rows = n, path = %path.display(), "records exported");
    Ok(n)
}

/// Writes the export into `w`; `io_err` words a write error. The records are read with one query each
/// (10,000 stores are a few MB), then written row by row straight into `w`.
async fn write_export<W: Write>(
    db: &Db,
    kind: RecordKind,
    w: &mut W,
    io_err: impl Fn(io::Error) -> UserError,
) -> Result<u64, UserError> {
    w.write_all(b"\xEF\xBB\xBF").map_err(&io_err)?;
    let mut csv = csv::Writer::from_writer(w);
    let err = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(e) => io_err(e),
        other => UserError::internal(format!("{other:?}")),
    };
    let mut n = 0u64;
    let mut row =
        |cells: [&str; 5]| csv.write_record(cells.map(defuse_cell).iter().map(|c| c.as_bytes()));
    match kind {
        RecordKind::Stores => {
            row(["机构编号", "组织/公司", "门店名称", "地址", "已归档"]).map_err(err)?;
            for s in db.list_stores("", true).await? {
                let archived = if s.archived_at.is_some() { "是" } else { "" };
                row([&s.org_code, &s.company, &s.name, &s.address, archived]).map_err(err)?;
                n += 1;
            }
        }
        RecordKind::Terminals => {
            let stores: HashMap<i64, String> = db
                .list_stores("", true)
                .await?
                .into_iter()
                .map(|s| (s.id, s.org_code))
                .collect();
            row(["机器号", "终端号", "机构编号", "备注", "已归档"]).map_err(err)?;
            for t in db.list_terminals("", true).await? {
                let org = t
                    .store_id
                    .and_then(|id| stores.get(&id).cloned())
                    .unwrap_or_default();
                let archived = if t.archived_at.is_some() { "是" } else { "" };
                row([&t.machine_no, &t.terminal_no, &org, &t.note, archived]).map_err(err)?;
                n += 1;
            }
        }
    }
    csv.flush().map_err(&io_err)?;
    Ok(n)
}

/// The records' headers (Chinese, or English when the UI is English), as the import reads them back.
fn export_headers(kind: RecordKind, english: bool) -> [&'static str; 5] {
    match (kind, english) {
        (RecordKind::Stores, false) => ["机构编号", "组织/公司", "门店名称", "地址", "已归档"],
        (RecordKind::Stores, true) => ["org_code", "company", "name", "address", "archived"],
        (RecordKind::Terminals, false) => ["机器号", "终端号", "机构编号", "备注", "已归档"],
        (RecordKind::Terminals, true) => {
            ["machine_no", "terminal_no", "org_code", "note", "archived"]
        }
    }
}

/// Every record (archived too) as an `.xlsx` ([`crate::xlsx::XlsxTable`]: text cells, frozen header,
/// filters, widths) written through a safe file. Returns the number of rows.
pub async fn export_xlsx_file(
    db: &Db,
    kind: RecordKind,
    path: &Path,
    english: bool,
) -> Result<u64, UserError> {
    use crate::xlsx::{Cell, XlsxTable};
    let sheet = match (kind, english) {
        (RecordKind::Stores, false) => "门店",
        (RecordKind::Stores, true) => "Stores",
        (RecordKind::Terminals, false) => "前台终端",
        (RecordKind::Terminals, true) => "Terminals",
    };
    let mut t = XlsxTable::new(sheet, &export_headers(kind, english))?;
    let yes = if english { "yes" } else { "是" };
    match kind {
        RecordKind::Stores => {
            for s in db.list_stores("", true).await? {
                let archived = if s.archived_at.is_some() { yes } else { "" };
                t.row(&[
                    Cell::Text(&s.org_code),
                    Cell::Text(&s.company),
                    Cell::Text(&s.name),
                    Cell::Text(&s.address),
                    Cell::Text(archived),
                ])?;
            }
        }
        RecordKind::Terminals => {
            let stores: HashMap<i64, String> = db
                .list_stores("", true)
                .await?
                .into_iter()
                .map(|s| (s.id, s.org_code))
                .collect();
            for r in db.list_terminals("", true).await? {
                let org = r
                    .store_id
                    .and_then(|id| stores.get(&id).cloned())
                    .unwrap_or_default();
                let archived = if r.archived_at.is_some() { yes } else { "" };
                t.row(&[
                    Cell::Text(&r.machine_no),
                    Cell::Text(&r.terminal_no),
                    Cell::Text(&org),
                    Cell::Text(&r.note),
                    Cell::Text(archived),
                ])?;
            }
        }
    }
    let n = t.finish(path)?;
    tracing::info!(?kind, rows = n, path = %path.display(), "records exported (xlsx)");
    Ok(n)
}

/// The export of 导出 and `tapstand-cli store|terminal export FILE`: `.xlsx` when the file name ends so
/// ([`export_xlsx_file`]), else CSV ([`export_file`]).
pub async fn export_to(
    db: &Db,
    kind: RecordKind,
    path: &Path,
    english: bool,
) -> Result<u64, UserError> {
    if crate::xlsx::wants_xlsx(path) {
        export_xlsx_file(db, kind, path, english).await
    } else {
        export_file(db, kind, path).await
    }
}

/// "The file is too big to import" (a file over [`crate::excel::MAX_FILE_BYTES`]), said before it is read.
pub fn too_big_file(bytes: u64) -> UserError {
    let mb = bytes / (1024 * 1024);
    let max = crate::excel::MAX_FILE_BYTES / (1024 * 1024);
    UserError::new(
        "import.too_big",
        (
            &format!("这个文件有 {mb} MB，超过了导入的上限（{max} MB）。没有导入任何数据。"),
            "请只保留门店 / 前台终端这一张表（删除其他大表和图片），或把它拆成几个文件分别导入。",
        ),
        (
            &format!("The file is {mb} MB, more than an import takes ({max} MB). Nothing was imported."),
            "Keep only the store / terminal list in the file (remove other large sheets and pictures), or split it into several files and import them one by one.",
        ),
    )
}

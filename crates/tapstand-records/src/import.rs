//! CSV import and export of stores and terminals.
//!
//! Import is two steps: [`preview`] reads the file (UTF-8 with or without BOM, or GBK/GB18030 as Chinese
//! Excel writes it), checks every row against the rules and the database, and writes nothing; [`commit`]
//! writes all rows in one transaction, and refuses while any row has an error. Export writes UTF-8 with a
//! BOM, which Excel opens correctly, through a safe file ([`export_file`]); cells that a spreadsheet would
//! run as a formula get a leading `'`, which the import takes off again (export → import round-trips).

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;
use tapstand_error::safe_file::{self, defuse_cell, restore_cell, SafeFile};
use tapstand_error::{FieldIssue, UserError};
use tapstand_store::records::{StoreInput, TerminalInput, Upsert};
use tapstand_store::Db;

use crate::validate::{issue, normalize_store, normalize_terminal, store_issues, terminal_issues};
use crate::RecordKind;

/// How the file was decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Gb18030,
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
    /// Line number in the file (the header is line 1).
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

fn header_key(kind: RecordKind, header: &str) -> Option<&'static str> {
    let h = header.trim().trim_matches('\u{feff}');
    columns(kind)
        .iter()
        .find(|(_, names, _)| names.iter().any(|n| n.eq_ignore_ascii_case(h)))
        .map(|(k, _, _)| *k)
}

fn file_error(zh: &str, en: &str) -> FieldIssue {
    issue("file", zh, en)
}

/// Reads and checks a CSV file without writing anything.
pub async fn preview(db: &Db, kind: RecordKind, bytes: &[u8]) -> Result<ImportPreview, UserError> {
    let (text, encoding) = decode(bytes);
    let mut preview = ImportPreview {
        kind,
        encoding,
        rows: vec![],
        new_rows: 0,
        updated_rows: 0,
        unchanged_rows: 0,
        invalid_rows: 0,
        file_errors: vec![],
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            preview.file_errors.push(file_error(
                &format!("无法读取表头：{e}"),
                &format!("The header line cannot be read: {e}"),
            ));
            return Ok(preview);
        }
    };
    let keys: Vec<Option<&str>> = headers.iter().map(|h| header_key(kind, h)).collect();
    for (key, names, required) in columns(kind) {
        if *required && !keys.contains(&Some(*key)) {
            preview.file_errors.push(file_error(
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
    }
    if !preview.file_errors.is_empty() {
        return Ok(preview);
    }

    // Existing rows, to tell new from updated, and stores by 机构编号 for terminals.
    let stores: HashMap<String, tapstand_store::records::Store> = db
        .list_stores("", true)
        .await?
        .into_iter()
        .map(|s| (s.org_code.clone(), s))
        .collect();
    let terminals: HashMap<String, tapstand_store::records::Terminal> =
        if kind == RecordKind::Terminals {
            db.list_terminals("", true)
                .await?
                .into_iter()
                .map(|t| (t.terminal_no.clone(), t))
                .collect()
        } else {
            HashMap::new()
        };
    let mut seen: HashMap<String, u32> = HashMap::new();

    for (i, record) in reader.records().enumerate() {
        let line = i as u32 + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                preview.rows.push(PreviewRow {
                    line,
                    values: vec![],
                    action: RowAction::Invalid,
                    errors: vec![issue(
                        "row",
                        &format!("这一行无法读取：{e}"),
                        &format!("This line cannot be read: {e}"),
                    )],
                });
                continue;
            }
        };
        if record.iter().all(|f| f.is_empty()) {
            continue; // blank line
        }
        let get = |key: &str| -> String {
            keys.iter()
                .position(|k| *k == Some(key))
                .and_then(|i| record.get(i))
                .map(restore_cell)
                .unwrap_or("")
                .to_string()
        };
        let mut errors = vec![];
        if record.iter().any(|f| f.contains('\u{FFFD}')) {
            errors.push(issue(
                "row",
                "这一行有无法识别的文字（编码错误）。请在 Excel 中“另存为 CSV UTF-8”或“CSV（逗号分隔）”后重新导入。",
                "This line has unreadable characters (bad encoding). Save the sheet again as 'CSV UTF-8' or 'CSV (comma delimited)' and import it again.",
            ));
        }
        let (values, action) = match kind {
            RecordKind::Stores => {
                let s = normalize_store(StoreInput {
                    org_code: get("org_code"),
                    company: get("company"),
                    name: get("name"),
                    address: get("address"),
                });
                errors.extend(store_issues(&s));
                dup_check(
                    &mut seen,
                    &s.org_code,
                    line,
                    "机构编号",
                    "organisation number",
                    &mut errors,
                );
                let action = match stores.get(&s.org_code) {
                    None => RowAction::New,
                    Some(e)
                        if e.company == s.company && e.name == s.name && e.address == s.address =>
                    {
                        RowAction::Unchanged
                    }
                    Some(_) => RowAction::Update,
                };
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
            RecordKind::Terminals => {
                let org_code = get("org_code").trim().to_string();
                let store_id = if org_code.is_empty() {
                    None
                } else {
                    match stores.get(&org_code) {
                        Some(s) => Some(s.id),
                        None => {
                            errors.push(issue(
                                "org_code",
                                &format!("机构编号 {org_code} 的门店不存在：请先导入门店，或留空表示不区分门店。"),
                                &format!("No store has organisation number {org_code}: import the stores first, or leave it empty for all stores."),
                            ));
                            None
                        }
                    }
                };
                let t = normalize_terminal(TerminalInput {
                    store_id,
                    machine_no: get("machine_no"),
                    terminal_no: get("terminal_no"),
                    note: get("note"),
                });
                errors.extend(terminal_issues(&t));
                dup_check(
                    &mut seen,
                    &t.terminal_no,
                    line,
                    "终端号",
                    "terminal number",
                    &mut errors,
                );
                let action = match terminals.get(&t.terminal_no) {
                    None => RowAction::New,
                    Some(e)
                        if e.store_id == t.store_id
                            && e.machine_no == t.machine_no
                            && e.note == t.note =>
                    {
                        RowAction::Unchanged
                    }
                    Some(_) => RowAction::Update,
                };
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
        };
        let action = if errors.is_empty() {
            action
        } else {
            RowAction::Invalid
        };
        preview.rows.push(PreviewRow {
            line,
            values,
            action,
            errors,
        });
    }
    for r in &preview.rows {
        match r.action {
            RowAction::New => preview.new_rows += 1,
            RowAction::Update => preview.updated_rows += 1,
            RowAction::Unchanged => preview.unchanged_rows += 1,
            RowAction::Invalid => preview.invalid_rows += 1,
        }
    }
    if preview.rows.is_empty() {
        preview.file_errors.push(file_error(
            "文件里没有数据行。",
            "The file has no data rows.",
        ));
    }
    Ok(preview)
}

fn dup_check(
    seen: &mut HashMap<String, u32>,
    key: &str,
    line: u32,
    zh: &str,
    en: &str,
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

fn header_example(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Stores => "机构编号,组织/公司,门店名称,地址",
        RecordKind::Terminals => "机器号,终端号,机构编号,备注",
    }
}

/// Writes every row of the file in one transaction; refuses (writing nothing) while any row has an error.
/// The file is read again, so what is written is exactly what the preview of these bytes shows.
pub async fn commit(db: &Db, kind: RecordKind, bytes: &[u8]) -> Result<ImportResult, UserError> {
    let p = preview(db, kind, bytes).await?;
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
                e.fields.push(FieldIssue {
                    field: format!("line {}: {}", r.line, f.field),
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
        "CSV import committed"
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

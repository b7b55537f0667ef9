//! The tag register (标签台账): one row per tag the station recorded (`station_tags`), for head office
//! and print shops — UID, chip, whether the chip is a genuine NXP one, the target (store / terminal),
//! model_id, sn, the link, locked, first and last written, operator — as an `.xlsx`
//! ([`tapstand_records::xlsx::XlsxTable`]: UIDs and codes as text cells, China time, frozen header,
//! filters), streamed from SQLite and written through a safe file.

use std::path::Path;

use serde::Serialize;
use tapstand_error::UserError;
use tapstand_records::xlsx::{Cell, XlsxTable};
use tapstand_store::station::StationTag;
use tapstand_store::Db;

use crate::history::china_time;

/// One row of the register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RegisterRow {
    pub uid: String,
    pub chip: String,
    /// The genuine-NXP check of the chip: `Some(true)` genuine, `Some(false)` not, `None` the chip or reader cannot be checked.
    pub genuine: Option<bool>,
    /// `store`, `terminal` or `all`.
    pub target_kind: String,
    pub target_label: String,
    pub model_id: String,
    pub sn: String,
    pub openlink: String,
    pub locked: bool,
    pub first_written_at: i64,
    pub last_written_at: i64,
    pub operator: String,
}

impl From<StationTag> for RegisterRow {
    fn from(t: StationTag) -> Self {
        let target_kind = t.target.split(':').next().unwrap_or_default().to_string();
        RegisterRow {
            uid: t.uid,
            chip: t.chip,
            genuine: t.genuine,
            target_kind,
            target_label: t.target_label,
            model_id: t.model_id,
            sn: t.sn,
            openlink: t.openlink,
            locked: t.locked,
            first_written_at: t.first_written_at,
            last_written_at: t.last_verified_at,
            operator: t.operator,
        }
    }
}

/// The register's header (Chinese).
pub const HEADER_ZH: [&str; 12] = [
    "UID",
    "芯片",
    "原厂芯片",
    "目标类型",
    "目标",
    "model_id",
    "sn",
    "链接",
    "已锁定",
    "首次写入",
    "最近写入",
    "操作员",
];

/// The register's header (English).
pub const HEADER_EN: [&str; 12] = [
    "UID",
    "Chip",
    "Genuine NXP",
    "Target type",
    "Target",
    "model_id",
    "sn",
    "Link",
    "Locked",
    "First written (UTC+8)",
    "Last written (UTC+8)",
    "Operator",
];

fn words(row: &RegisterRow, english: bool) -> [String; 12] {
    let yes_no = |b: bool| match (b, english) {
        (true, false) => "是",
        (false, false) => "否",
        (true, true) => "yes",
        (false, true) => "no",
    };
    let genuine = match (row.genuine, english) {
        (None, false) => "无法检查",
        (None, true) => "cannot be checked",
        (Some(b), _) => yes_no(b),
    };
    let kind = match (row.target_kind.as_str(), english) {
        ("store", false) => "门店",
        ("terminal", false) => "前台终端",
        ("all", false) => "不区分门店",
        ("store", true) => "store",
        ("terminal", true) => "terminal",
        ("all", true) => "all stores",
        (other, _) => other,
    };
    [
        row.uid.clone(),
        row.chip.to_uppercase(),
        genuine.to_string(),
        kind.to_string(),
        row.target_label.clone(),
        row.model_id.clone(),
        row.sn.clone(),
        row.openlink.clone(),
        yes_no(row.locked).to_string(),
        china_time(row.first_written_at),
        china_time(row.last_written_at),
        row.operator.clone(),
    ]
}

/// Writes the register of every recorded tag to `path` (`.xlsx`). Returns the number of tags.
pub async fn export_xlsx_file(db: &Db, path: &Path, english: bool) -> Result<u64, UserError> {
    let (sheet, header) = if english {
        ("Tags", HEADER_EN)
    } else {
        ("标签台账", HEADER_ZH)
    };
    let mut t = XlsxTable::new(sheet, &header)?;
    db.station_tags_for_each(|tag: StationTag| {
        let cells = words(&RegisterRow::from(tag), english);
        let row: Vec<Cell<'_>> = cells.iter().map(|c| Cell::Text(c)).collect();
        t.row(&row)
    })
    .await?;
    let n = t.finish(path)?;
    tracing::info!(tags = n, path = %path.display(), "tag register exported");
    Ok(n)
}

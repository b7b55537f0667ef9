//! The stand after the write (migration 0011): tags retired by 换标签, links retired by re-pointing a
//! stand, and 巡检 (audit) runs.

use serde::Serialize;

/// A stand's tag that another tag replaced (`retired_tags`). The link stayed the stand's: it was written
/// onto `replaced_by`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct RetiredTag {
    #[specta(type = specta_typescript::Number)]
    pub id: i64,
    pub uid: String,
    pub chip: String,
    pub model_id: String,
    pub sn: String,
    pub openlink: String,
    pub target: String,
    pub target_label: String,
    #[specta(type = Option<specta_typescript::Number>)]
    pub store_id: Option<i64>,
    #[specta(type = Option<specta_typescript::Number>)]
    pub terminal_id: Option<i64>,
    #[specta(type = specta_typescript::Number)]
    pub first_written_at: i64,
    #[specta(type = specta_typescript::Number)]
    pub retired_at: i64,
    /// `broken`, `lost`, `tampered` or `other`.
    pub reason: String,
    /// The UID of the tag that took its place.
    pub replaced_by: String,
    pub operator: String,
}

/// A link a re-pointed stand no longer opens (`retired_links`). WeChat keeps it working forever (it cannot
/// be changed or deleted), so it must not be printed or written again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct RetiredLink {
    #[specta(type = specta_typescript::Number)]
    pub id: i64,
    pub model_id: String,
    pub sn: String,
    pub openlink: String,
    pub target: String,
    pub target_label: String,
    /// The stand's tag when its link was retired.
    pub uid: String,
    pub new_openlink: String,
    pub new_target: String,
    pub new_target_label: String,
    #[specta(type = specta_typescript::Number)]
    pub retired_at: i64,
    pub operator: String,
}

/// One 巡检 of a store (`audits`); `report` is the audit as JSON, rewritten after every tap.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct AuditRow {
    #[specta(type = specta_typescript::Number)]
    pub id: i64,
    #[specta(type = specta_typescript::Number)]
    pub store_id: i64,
    pub store_label: String,
    #[specta(type = specta_typescript::Number)]
    pub started_at: i64,
    #[specta(type = Option<specta_typescript::Number>)]
    pub finished_at: Option<i64>,
    pub operator: String,
    pub report: String,
}

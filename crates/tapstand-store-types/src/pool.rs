//! Pre-generated links (the pool, `link_pool`). Migration 0008.

use serde::{Deserialize, Serialize};

/// One pre-generated link: its serial sn, what it opens, and which tag it was handed to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct PoolLink {
    #[specta(type = specta_typescript::Number)]
    pub id: i64,
    pub appid: String,
    pub model_id: String,
    /// `store:<id>`, `terminal:<id>` or `all`.
    pub target: String,
    pub target_label: String,
    #[specta(type = specta_typescript::Number)]
    pub seq: i64,
    /// The serial sent to WeChat as sn (the target's prefix + the sequence, e.g. `1001-000017`).
    pub sn: String,
    pub path: String,
    pub query: String,
    /// `null` while WeChat's answer is outstanding (a crash there is finished by the next generate).
    pub openlink: Option<String>,
    #[specta(type = specta_typescript::Number)]
    pub created_at: i64,
    pub generated_by: String,
    /// The tag (UID) this link was handed to; set once, never changed.
    pub claimed_uid: Option<String>,
    #[specta(type = Option<specta_typescript::Number>)]
    pub claimed_at: Option<i64>,
    pub claimed_by: Option<String>,
}

/// A link about to be recorded (before WeChat is asked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPoolLink {
    pub appid: String,
    pub model_id: String,
    pub target: String,
    pub target_label: String,
    pub seq: i64,
    pub sn: String,
    pub path: String,
    pub query: String,
    pub generated_by: String,
}

/// What is left in the pool of one target (`pool list`, the 写卡 page's warning).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct PoolSummary {
    pub appid: String,
    pub model_id: String,
    pub target: String,
    pub target_label: String,
    /// Links recorded for the target.
    #[specta(type = specta_typescript::Number)]
    pub total: i64,
    /// Ready and not handed to any tag yet: what the writing PCs can still use.
    #[specta(type = specta_typescript::Number)]
    pub free: i64,
    /// Handed to a tag.
    #[specta(type = specta_typescript::Number)]
    pub claimed: i64,
    /// Of those, verified on their tag (the station recorded the tag with this link).
    #[specta(type = specta_typescript::Number)]
    pub written: i64,
    /// Recorded but WeChat's answer is outstanding (finished by the next generate on a PC with the
    /// AppSecret).
    #[specta(type = specta_typescript::Number)]
    pub unfinished: i64,
}

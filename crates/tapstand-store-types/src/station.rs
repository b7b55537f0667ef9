//! The write station's history: every attempt (`station_attempts`) and the latest good state of each tag
//! (`station_tags`). Migration 0005.

use serde::{Deserialize, Serialize};

/// One tap at the station, successful or not.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct StationAttempt {
    #[specta(type = specta_typescript::Number)]
    pub id: i64,
    #[specta(type = specta_typescript::Number)]
    pub started_at: i64,
    pub uid: String,
    pub chip: String,
    pub model_id: String,
    pub sn: String,
    pub openlink: Option<String>,
    pub target: String,
    pub target_label: String,
    #[specta(type = Option<specta_typescript::Number>)]
    pub store_id: Option<i64>,
    #[specta(type = Option<specta_typescript::Number>)]
    pub terminal_id: Option<i64>,
    pub path: String,
    pub query: String,
    pub reader: String,
    pub operator: String,
    /// `written`, `already_correct`, `failed` or `needs_confirmation`.
    pub result: String,
    pub scheme_source: Option<String>,
    pub error_code: Option<String>,
    pub error_zh: Option<String>,
    pub locked: bool,
    #[specta(type = specta_typescript::Number)]
    pub read_ms: i64,
    #[specta(type = specta_typescript::Number)]
    pub scheme_ms: i64,
    #[specta(type = specta_typescript::Number)]
    pub write_ms: i64,
    #[specta(type = specta_typescript::Number)]
    pub record_ms: i64,
    #[specta(type = specta_typescript::Number)]
    pub total_ms: i64,
    #[specta(type = specta_typescript::Number)]
    pub apdus: i64,
    /// NXP originality signature when the tag was read: `true` an NXP original, `false` not, `null` not
    /// checkable (chip or reader).
    pub genuine: Option<bool>,
}

/// A tag the station wrote (or found correct), latest state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct StationTag {
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
    pub path: String,
    pub query: String,
    pub reader: String,
    pub operator: String,
    pub locked: bool,
    #[specta(type = specta_typescript::Number)]
    pub first_written_at: i64,
    #[specta(type = specta_typescript::Number)]
    pub last_verified_at: i64,
    #[specta(type = specta_typescript::Number)]
    pub verify_count: i64,
    /// The last known genuine-chip verdict (see [`StationAttempt::genuine`]).
    pub genuine: Option<bool>,
}

/// History filter (all optional). The fields marked "optional" may be left out in JSON/TypeScript.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct HistoryFilter {
    #[specta(type = Option<specta_typescript::Number>)]
    pub store_id: Option<i64>,
    #[specta(type = Option<specta_typescript::Number>)]
    pub terminal_id: Option<i64>,
    /// Unix milliseconds, inclusive.
    #[specta(type = Option<specta_typescript::Number>)]
    pub since_ms: Option<i64>,
    /// `ok` (written or already correct), `failed` (failed or needs confirmation), or `all` / none.
    pub result: Option<String>,
    pub uid: Option<String>,
    /// Rows per page (default 10,000).
    #[specta(type = Option<specta_typescript::Number>)]
    pub limit: Option<i64>,
    /// Unix milliseconds, exclusive (e.g. the next day's midnight for "up to and including that day").
    #[serde(default)]
    #[specta(type = Option<specta_typescript::Number>, optional)]
    pub until_ms: Option<i64>,
    /// Rows to skip (paging, newest first).
    #[serde(default)]
    #[specta(type = Option<specta_typescript::Number>, optional)]
    pub offset: Option<i64>,
    /// Part of a UID, sn, target label, link or operator name (case-insensitive for ASCII).
    #[serde(default)]
    #[specta(optional)]
    pub search: Option<String>,
}

/// One page of history with the totals of everything the filter matches (not only this page).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct HistoryPage {
    pub rows: Vec<StationAttempt>,
    /// Attempts matching the filter.
    #[specta(type = specta_typescript::Number)]
    pub total: i64,
    /// Of those: written or already correct.
    #[specta(type = specta_typescript::Number)]
    pub ok: i64,
    /// Of those: failed or needing confirmation.
    #[specta(type = specta_typescript::Number)]
    pub failed: i64,
    /// Distinct tags (UIDs) among them.
    #[specta(type = specta_typescript::Number)]
    pub tags: i64,
}

impl HistoryFilter {
    /// `all` means no result filter.
    pub fn result_filter(&self) -> Option<&str> {
        self.result
            .as_deref()
            .filter(|r| !r.is_empty() && *r != "all")
    }

    /// `%search%` for LIKE, with LIKE's wildcards escaped (`\` is the escape character).
    pub fn search_pattern(&self) -> Option<String> {
        let s = self.search.as_deref()?.trim();
        if s.is_empty() {
            return None;
        }
        let mut p = String::from("%");
        for c in s.chars() {
            if matches!(c, '%' | '_' | '\\') {
                p.push('\\');
            }
            p.push(c);
        }
        p.push('%');
        Some(p)
    }
}

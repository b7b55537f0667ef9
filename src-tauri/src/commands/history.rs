//! 记录 and 检查标签: the station's history (pages with totals, CSV export) and the tag inspector ("what is
//! this tag?", also "verify again" for a tag from the history). Thin: tapstand-station does the work.

use std::time::Duration;

use serde::Serialize;
use tapstand_core::{CheckWith, UserError};
use tapstand_station::inspect::Inspection;
use tapstand_store::station::{HistoryFilter, HistoryPage};
use tapstand_wechat::SchemeSource;
use tauri::State;

use crate::AppState;

/// What an export (CSV or .xlsx) wrote.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct CsvExport {
    pub path: String,
    pub rows: u32,
}

#[tauri::command]
#[specta::specta]
pub async fn history_page(
    state: State<'_, AppState>,
    filter: HistoryFilter,
) -> Result<HistoryPage, UserError> {
    tapstand_station::history::page(&state.core()?.db, &filter).await
}

/// Every attempt matching `filter` into the file at `path` (chosen in the save dialog): an Excel workbook
/// when the name ends in `.xlsx`, else CSV.
#[tauri::command]
#[specta::specta]
pub async fn history_export_csv(
    state: State<'_, AppState>,
    filter: HistoryFilter,
    path: String,
) -> Result<CsvExport, UserError> {
    // Streamed from the database into a safe file: an old file is replaced only by a complete new one,
    // and a failure says why (disk full, no permission, open in Excel).
    let all = HistoryFilter {
        limit: None,
        ..filter
    };
    let rows = state
        .core()?
        .export_history(&all, std::path::Path::new(&path))
        .await?;
    Ok(CsvExport {
        path,
        rows: u32::try_from(rows).unwrap_or(u32::MAX),
    })
}

/// The tag register (one row per recorded tag) into the `.xlsx` file at `path`.
#[tauri::command]
#[specta::specta]
pub async fn export_tag_register(
    state: State<'_, AppState>,
    path: String,
) -> Result<CsvExport, UserError> {
    let rows = state
        .core()?
        .export_tag_register(std::path::Path::new(&path))
        .await?;
    Ok(CsvExport {
        path,
        rows: u32::try_from(rows).unwrap_or(u32::MAX),
    })
}

/// Reads the tag on the reader (waiting up to `wait_ms` for one) and says what it is. With a profile (or
/// the only one with a saved AppSecret), WeChat links that are not in the ledger are looked up with `queryscheme`.
#[tauri::command]
#[specta::specta]
pub async fn inspect_tag(
    state: State<'_, AppState>,
    profile_id: Option<i32>,
    reader: Option<String>,
    wait_ms: u32,
) -> Result<Inspection, UserError> {
    if state.station_running() {
        return Err(UserError::new(
            "inspect.station_running",
            (
                "写卡正在进行中，读卡器被占用。",
                "请先在“写卡”页点“停止”，再检查标签。",
            ),
            (
                "The write station is running and holds the reader.",
                "Press Stop on the Write page first, then inspect the tag.",
            ),
        ));
    }
    let core = state.core()?.clone();
    let reader = reader.filter(|r| !r.is_empty());
    let wait = Duration::from_millis(u64::from(wait_ms.min(60_000)));
    let reading = core.clone();
    let report =
        tauri::async_runtime::spawn_blocking(move || reading.read_tag(reader.as_deref(), wait))
            .await
            .map_err(UserError::internal)??;
    // queryscheme needs the AppSecret; without it (or offline) the inspector says it could not check.
    let with = match profile_id {
        Some(p) => CheckWith::Profile {
            profile: tapstand_core::lookup::profile_by_id(&core.db, i64::from(p)).await?,
            required: false,
        },
        None => CheckWith::OnlyWithSecret,
    };
    core.explain(&report, &with).await
}

/// What 找回链接 brought back.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct RecoveredLink {
    pub openlink: String,
    pub source: SchemeSource,
}

/// 找回链接 for a tag whose link request went unanswered: WeChat is asked once more and returns the link
/// it had issued (or issues the first one); never a second link for the sn.
#[tauri::command]
#[specta::specta]
pub async fn history_recover_link(
    state: State<'_, AppState>,
    model_id: String,
    sn: String,
) -> Result<RecoveredLink, UserError> {
    let out = state.core()?.recover_link(&model_id, &sn).await?;
    Ok(RecoveredLink {
        openlink: out.openlink,
        source: out.source,
    })
}

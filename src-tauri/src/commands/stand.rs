//! 检查 → 巡检 and 换标签: the stand after the write. Thin: tapstand-core does the work (`Core::audit_*`,
//! `Core::replace_stand`); the blocking tag I/O runs off the async workers.

use std::time::Duration;

use tapstand_core::stand::Replaced;
use tapstand_core::{CheckWith, UserError};
use tapstand_station::audit::AuditReport;
use tapstand_store::stand::RetiredTag;
use tapstand_store::station::StationTag;
use tauri::State;

use crate::AppState;

fn reader_free(state: &AppState) -> Result<(), UserError> {
    if state.station_running() {
        return Err(UserError::new(
            "inspect.station_running",
            (
                "写卡正在进行中，读卡器被占用。",
                "请先在“写卡”页点“停止”，再巡检或换标签。",
            ),
            (
                "The write station is running and holds the reader.",
                "Press Stop on the Write page first.",
            ),
        ));
    }
    Ok(())
}

fn wait(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms.min(60_000)))
}

/// Starts a 巡检 of the store `store_id`.
#[tauri::command]
#[specta::specta]
pub async fn audit_start(
    state: State<'_, AppState>,
    store_id: i32,
    operator: String,
) -> Result<AuditReport, UserError> {
    state
        .core()?
        .audit_start(&store_id.to_string(), operator.trim())
        .await
}

/// The 巡检 in progress, if any.
#[tauri::command]
#[specta::specta]
pub async fn audit_current(state: State<'_, AppState>) -> Result<Option<AuditReport>, UserError> {
    let core = state.core()?;
    match core.audit_load(None).await {
        Ok(r) => Ok(Some(r)),
        Err(e) if e.code == "audit.not_found" => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads the tag on the reader (waiting up to `wait_ms`) for the audit `audit_id`; with `lock`, a tag
/// holding its right link but unlocked is locked now. The report after the tap.
#[tauri::command]
#[specta::specta]
pub async fn audit_tap(
    state: State<'_, AppState>,
    audit_id: i32,
    lock: bool,
    wait_ms: u32,
) -> Result<AuditReport, UserError> {
    reader_free(&state)?;
    let core = state.core()?.clone();
    tauri::async_runtime::spawn_blocking(move || {
        core.audit_tap_by_id(
            i64::from(audit_id),
            None,
            wait(wait_ms),
            lock,
            &CheckWith::OnlyWithSecret,
        )
    })
    .await
    .map_err(UserError::internal)?
}

/// Ends the audit; with `path` (chosen in the save dialog), writes its report there (.xlsx).
#[tauri::command]
#[specta::specta]
pub async fn audit_finish(
    state: State<'_, AppState>,
    audit_id: i32,
    path: Option<String>,
    english: bool,
) -> Result<AuditReport, UserError> {
    let core = state.core()?;
    let mut r = core.audit_load(Some(i64::from(audit_id))).await?;
    core.audit_finish(&mut r, path.as_deref().map(std::path::Path::new), english)
        .await?;
    Ok(r)
}

/// The stand the register holds for `uid` (换标签 picks the stand by its old tag).
#[tauri::command]
#[specta::specta]
pub async fn stand_find(state: State<'_, AppState>, uid: String) -> Result<StationTag, UserError> {
    state.core()?.stand_by_uid(&uid, None).await
}

/// 换标签: the stand of `old_uid` gets the tag on the reader, with its own link.
#[tauri::command]
#[specta::specta]
pub async fn stand_replace(
    state: State<'_, AppState>,
    old_uid: String,
    reason: String,
    lock: bool,
    operator: String,
    wait_ms: u32,
) -> Result<Replaced, UserError> {
    reader_free(&state)?;
    let core = state.core()?.clone();
    let old = core.stand_by_uid(&old_uid, None).await?;
    tauri::async_runtime::spawn_blocking(move || {
        core.replace_stand(&old, &reason, lock, operator.trim(), None, wait(wait_ms))
    })
    .await
    .map_err(UserError::internal)?
}

/// Tags 换标签 retired, newest first.
#[tauri::command]
#[specta::specta]
pub async fn retired_tags(state: State<'_, AppState>) -> Result<Vec<RetiredTag>, UserError> {
    state.core()?.retired_tags(500).await
}

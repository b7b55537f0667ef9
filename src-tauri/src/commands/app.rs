//! Tauri commands: each one is a thin call into `tapstand-core`.

use tapstand_core::{doctor::DoctorReport, AppInfo, Language, UserError};
use tauri::State;

use crate::AppState;

/// `Ok` when the app is ready; otherwise the reason (damaged or newer database, ...) with its remedy.
#[tauri::command]
#[specta::specta]
pub async fn startup_status(state: State<'_, AppState>) -> Result<(), UserError> {
    state.core().map(|_| ())
}

#[tauri::command]
#[specta::specta]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, UserError> {
    state.core()?.app_info().await
}

#[tauri::command]
#[specta::specta]
pub async fn set_language(state: State<'_, AppState>, language: Language) -> Result<(), UserError> {
    state.core()?.set_language(language).await
}

/// 设置 → 读卡器提示: the reader's own light and beep while the station runs.
#[tauri::command]
#[specta::specta]
pub async fn set_reader_feedback(state: State<'_, AppState>, on: bool) -> Result<(), UserError> {
    state.core()?.set_reader_feedback(on).await
}

/// 设置 → 诊断 on Windows: adds (`exempt`) or removes the Smart Card Plug and Play exception for NFC
/// tags (Windows asks an administrator once); the state read back.
#[tauri::command]
#[specta::specta]
pub async fn scpnp_apply(exempt: bool) -> Result<tapstand_core::scpnp::ScPnpReport, UserError> {
    tauri::async_runtime::spawn_blocking(move || tapstand_core::scpnp::apply(exempt))
        .await
        .map_err(UserError::internal)?
}

/// Diagnostics (the same report as `tapstand-cli doctor`).
#[tauri::command]
#[specta::specta]
pub async fn doctor(state: State<'_, AppState>) -> Result<DoctorReport, UserError> {
    Ok(tapstand_core::doctor::run(&state.paths).await)
}

/// The UI calls this once its first screen is painted. Logs the time from process start; with
/// `TAPSTAND_BENCH_FIRST_PAINT=1` it also prints it on stdout for `scripts/bench.sh`.
#[tauri::command]
#[specta::specta]
pub async fn ui_ready(state: State<'_, AppState>) -> Result<(), UserError> {
    let ms = state.started.elapsed().as_millis();
    tracing::info!(first_paint_ms = ms as u64, "first screen painted");
    if std::env::var_os("TAPSTAND_BENCH_FIRST_PAINT").is_some() {
        println!("TAPSTAND_FIRST_PAINT_MS={ms}");
    }
    Ok(())
}

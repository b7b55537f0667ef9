//! 设置 → 更新: the version, 检查更新, the new version's notes, the download with its progress, and the install
//! the merchant confirms. Each command is one call into `crate::update::Updates` (the updater plugin, driven
//! with this build's configuration from `tapstand-update`).

use serde::Serialize;
use tapstand_core::UserError;
use tapstand_update::{UpdateInfo, UpdateProgress, UpdateStatus};
use tauri::{AppHandle, State};
use tauri_specta::Event;

use crate::update::Updates;

/// Sent while an update downloads, and once more when its signature was checked.
#[derive(Clone, Debug, Serialize, specta::Type, Event)]
pub struct UpdateDownload {
    pub progress: UpdateProgress,
}

/// Whether this build can update itself (and if not, why), its version and the servers it asks.
#[tauri::command]
#[specta::specta]
pub async fn update_status(updates: State<'_, Updates>) -> Result<UpdateStatus, UserError> {
    Ok(updates.setup.status(tapstand_core::APP_VERSION))
}

/// Asks the update servers; `null` when this is the newest version.
#[tauri::command]
#[specta::specta]
pub async fn update_check(
    app: AppHandle,
    updates: State<'_, Updates>,
) -> Result<Option<UpdateInfo>, UserError> {
    updates.check(&app).await
}

/// Downloads the new version's installer (progress as `UpdateDownload` events) and checks its signature.
/// Installs nothing.
#[tauri::command]
#[specta::specta]
pub async fn update_download(
    app: AppHandle,
    updates: State<'_, Updates>,
) -> Result<UpdateInfo, UserError> {
    updates
        .download(|progress| {
            if let Err(e) = (UpdateDownload { progress }).emit(&app) {
                tracing::warn!("update progress not delivered: {e}");
            }
        })
        .await
}

/// Installs the downloaded, verified update and restarts Tapstand (the merchant confirmed).
#[tauri::command]
#[specta::specta]
pub async fn update_install(app: AppHandle, updates: State<'_, Updates>) -> Result<(), UserError> {
    updates.install(&app)
}

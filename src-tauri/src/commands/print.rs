//! 物料: stand artwork for stores. Thin: each command is one call into `tapstand_core::print` (the stores'
//! codes, the preview, the export from the selection to the PDFs). The export reports progress with the typed
//! [`PrintProgress`] event; [`print_cancel`] stops it through the running export's token in [`AppState`]
//! (nothing half-written is left behind).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tapstand_core::print::{
    ExportMaterials, PrintExportResult, PrintOptions, PrintPhase, PrintPreview, PrintSettings,
    PrintStep, StoreCode, StoreSelection,
};
use tapstand_core::UserError;
use tapstand_materials::CodeStatus;
use tapstand_print::ExportTarget;
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;
use tauri_specta::Event;

use crate::AppState;

/// The end-to-end tests cannot drive a native save dialog (WebDriver does not reach it): when this variable
/// names a folder, the UI saves there under the name the dialog would have proposed instead of asking (see
/// `print_e2e_save_path`). `scripts/lib/e2e-inner.sh` sets it; it is never set in normal use.
#[cfg(debug_assertions)]
pub const E2E_SAVE_DIR_ENV: &str = "TAPSTAND_E2E_SAVE_DIR";

/// Export progress, as an event.
#[derive(Clone, Debug, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct PrintProgress {
    pub phase: PrintPhase,
    pub done: u32,
    pub total: u32,
    /// The store just handled (机构编号), '' when not about one store.
    pub store: String,
}

impl From<&PrintStep> for PrintProgress {
    fn from(s: &PrintStep) -> PrintProgress {
        PrintProgress {
            phase: s.phase,
            done: s.done,
            total: s.total,
            store: s.store.clone(),
        }
    }
}

#[tauri::command]
#[specta::specta]
pub fn print_options() -> PrintOptions {
    tapstand_core::print::options()
}

/// Every store that is not archived, with its code status under the profile.
#[tauri::command]
#[specta::specta]
pub async fn print_store_codes(
    state: State<'_, AppState>,
    profile_id: i32,
) -> Result<Vec<StoreCode>, UserError> {
    state.core()?.store_codes(profile_id.into()).await
}

/// The live preview (SVG, what prints) for one store, or for a sample store when none is chosen. Never
/// contacts WeChat: a store whose code is not fetched yet is shown with a grey stand-in.
#[tauri::command]
#[specta::specta]
pub async fn print_preview(
    state: State<'_, AppState>,
    settings: PrintSettings,
    store_id: Option<i32>,
) -> Result<PrintPreview, UserError> {
    let store_id = store_id.map(i64::from);
    state.core()?.preview_stand(&settings, store_id).await
}

/// Keeps a code image the merchant supplies (PNG/JPEG) for a store; it wins over fetching.
#[tauri::command]
#[specta::specta]
pub async fn print_import_code(
    state: State<'_, AppState>,
    profile_id: i32,
    store_id: i32,
    path: String,
) -> Result<CodeStatus, UserError> {
    let path = PathBuf::from(path);
    let core = state.core()?;
    core.import_store_code(profile_id.into(), store_id.into(), &path)
        .await
}

/// Exports the stores (in the order given) into one PDF at `path`, or one PDF per store into the folder
/// `path`. Missing codes are fetched first (and cached). Progress: [`PrintProgress`] events.
#[tauri::command]
#[specta::specta]
pub async fn print_export(
    app: AppHandle,
    state: State<'_, AppState>,
    settings: PrintSettings,
    store_ids: Vec<i32>,
    per_store: bool,
    path: String,
) -> Result<PrintExportResult, UserError> {
    let run = state.print.begin()?;
    let (design, logo) = settings.design()?;
    let path = PathBuf::from(path);
    let request = ExportMaterials {
        selection: StoreSelection::Ids {
            profile_id: settings.profile_id.into(),
            store_ids: store_ids.into_iter().map(i64::from).collect(),
        },
        design,
        logo,
        target: if per_store {
            ExportTarget::FilePerStore(path)
        } else {
            ExportTarget::OnePdf(path)
        },
        offline: false,
        preview_svg: None,
    };
    let emit = move |s: &PrintStep| {
        let _ = PrintProgress::from(s).emit(&app);
    };
    let core = state.core()?;
    let result = core.export_materials(request, emit, &run.token).await?;
    state.print.record(&result);
    Ok(result)
}

/// Stops the running export (codes fetched so far stay cached; no partial PDF is left).
#[tauri::command]
#[specta::specta]
pub fn print_cancel(state: State<'_, AppState>) {
    state.print.cancel();
}

/// Shows a file an export wrote in the system file manager (tauri-plugin-opener). Only files this app
/// exported: the window cannot have any other path revealed.
#[tauri::command]
#[specta::specta]
pub async fn print_reveal(
    app: AppHandle,
    state: State<'_, AppState>,
    path: String,
) -> Result<(), UserError> {
    let p = PathBuf::from(&path);
    let revealed = if state.print.wrote(&p) {
        // A D-Bus call on Linux, a shell call elsewhere: off the async workers.
        tauri::async_runtime::spawn_blocking(move || app.opener().reveal_item_in_dir(&p))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
    } else {
        Err("not a file this app exported".to_string())
    };
    revealed.map_err(|e| {
        UserError::new(
            "print.reveal",
            (
                &format!("无法在文件夹中显示 {path}。"),
                "请在文件管理器里手动打开这个文件夹。",
            ),
            (
                &format!("Cannot show {path} in its folder."),
                "Open the folder in your file manager.",
            ),
        )
        .with_detail(e)
    })
}

/// For the end-to-end tests only: where to save (`<TAPSTAND_E2E_SAVE_DIR>/<default_name>`) instead of
/// showing the native dialog, which WebDriver cannot drive. `None` in normal use; the UI then shows the
/// dialog. Release builds compile the hook out: there it always answers `None`, whatever the environment
/// says (the command stays so that the UI's bindings are the same in every build).
#[tauri::command]
#[specta::specta]
pub fn print_e2e_save_path(default_name: String) -> Option<String> {
    #[cfg(debug_assertions)]
    {
        let dir = std::env::var_os(E2E_SAVE_DIR_ENV).filter(|s| !s.is_empty())?;
        let name = std::path::Path::new(&default_name).file_name()?;
        Some(PathBuf::from(dir).join(name).display().to_string())
    }
    #[cfg(not(debug_assertions))]
    {
        let _ = default_name;
        None
    }
}

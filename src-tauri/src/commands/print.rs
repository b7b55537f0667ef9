//! 物料: stand artwork for stores. Thin: store selection and codes come from `tapstand-materials`, layout,
//! preview and PDF from `tapstand-print`. The export runs on a blocking thread and reports progress with the
//! typed [`PrintProgress`] event; [`print_cancel`] stops it (nothing half-written is left behind).

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use tapstand_core::files::read_input;
use tapstand_core::UserError;
use tapstand_materials::{CodeIndex, CodeStatus, StandTarget};
use tapstand_print::{
    Cmyk, ExportPhase, ExportReport, ExportRequest, ExportTarget, PageSize, SharedAssets,
    StandContent, StandDesign, StandPreview, SvgOptions,
};
use tapstand_store::records::Profile;
use tauri::{AppHandle, State};
use tauri_specta::Event;

use crate::AppState;

/// The end-to-end tests cannot drive a native save dialog (WebDriver does not reach it): when this variable
/// names a folder, the UI saves there under the name the dialog would have proposed instead of asking (see
/// `print_e2e_save_path`). `scripts/lib/e2e-inner.sh` sets it; it is never set in normal use.
#[cfg(debug_assertions)]
pub const E2E_SAVE_DIR_ENV: &str = "TAPSTAND_E2E_SAVE_DIR";

static BUSY: AtomicBool = AtomicBool::new(false);
static CANCEL: AtomicBool = AtomicBool::new(false);

fn id(v: i32) -> i64 {
    i64::from(v)
}

fn blocking_failed(e: impl std::fmt::Display) -> UserError {
    UserError::internal(format!("print worker: {e}"))
}

/// A size the merchant can pick.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct SizeOption {
    pub size: PageSize,
    /// A5, 10x15cm, …
    pub label: String,
    pub short_mm: f64,
    pub long_mm: f64,
}

/// What the 物料 page offers, and its defaults.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct PrintOptions {
    pub default_design: StandDesign,
    /// How the default brand colour (a CMYK process colour) looks on screen, for the colour picker.
    pub default_brand_hex: String,
    pub sizes: Vec<SizeOption>,
    pub bleed_mm: f64,
    pub nfc_zone_min_mm: f64,
    pub nfc_zone_max_mm: f64,
    pub warn_ppi: f64,
    pub min_ppi: f64,
}

/// The design as the page edits it: the brand colour may come as `#RRGGBB`, the logo as a file path.
#[derive(Clone, Debug, Deserialize, specta::Type)]
pub struct PrintSettings {
    pub profile_id: i32,
    pub design: StandDesign,
    /// `#RRGGBB`; replaces `design.brand_color` when set.
    pub brand_hex: Option<String>,
    /// A PNG or JPEG printed above the headline.
    pub logo_path: Option<String>,
}

/// A store in the picker, with where its code would come from.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct StoreCode {
    pub store_id: i32,
    pub org_code: String,
    pub name: String,
    pub company: String,
    pub code: CodeStatus,
    /// Why this store cannot get a code (e.g. a 机构编号 that does not fit a scene).
    pub problem: Option<UserError>,
}

#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct PrintPreview {
    pub preview: StandPreview,
    pub code: CodeStatus,
    /// The code shown is a grey stand-in (the store's code is not fetched yet, or no store is chosen).
    pub sample_code: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum PrintPhase {
    /// Fetching codes from WeChat (`getwxacodeunlimit`).
    Fetching,
    Checking,
    Rendering,
    Writing,
    Done,
}

/// Export progress, as an event.
#[derive(Clone, Debug, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct PrintProgress {
    pub phase: PrintPhase,
    pub done: u32,
    pub total: u32,
    /// The store just handled (机构编号), '' when not about one store.
    pub store: String,
}

#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct PrintExportResult {
    pub report: ExportReport,
    /// Codes fetched from WeChat for this export (now cached).
    pub fetched: u32,
}

#[tauri::command]
#[specta::specta]
pub fn print_options() -> PrintOptions {
    let sizes = PageSize::PRESETS
        .iter()
        .map(|&size| {
            let (short_mm, long_mm) = size.sides_mm();
            SizeOption {
                size,
                label: size.label(),
                short_mm,
                long_mm,
            }
        })
        .collect();
    let default_design = StandDesign::default();
    PrintOptions {
        default_brand_hex: default_design.brand_color.to_hex(),
        default_design,
        sizes,
        bleed_mm: tapstand_print::BLEED_MM,
        nfc_zone_min_mm: tapstand_print::NFC_ZONE_MIN_MM,
        nfc_zone_max_mm: tapstand_print::NFC_ZONE_MAX_MM,
        warn_ppi: tapstand_print::WARN_PPI,
        min_ppi: tapstand_print::MIN_PPI,
    }
}

async fn profile(state: &AppState, profile_id: i32) -> Result<Profile, UserError> {
    tapstand_core::lookup::profile_by_id(&state.core()?.db, id(profile_id)).await
}

/// Every store that is not archived, with its code status under the profile.
#[tauri::command]
#[specta::specta]
pub async fn print_store_codes(
    state: State<'_, AppState>,
    profile_id: i32,
) -> Result<Vec<StoreCode>, UserError> {
    let profile = profile(&state, profile_id).await?;
    let db = &state.core()?.db;
    let index = CodeIndex::load(db, &profile).await?;
    Ok(db
        .list_stores("", false)
        .await?
        .into_iter()
        .map(|s| {
            let (code, problem) = match StandTarget::store(&s) {
                Ok(t) => (index.status(&t.scene), None),
                Err(e) => (CodeStatus::Missing, Some(e)),
            };
            StoreCode {
                store_id: s.id as i32,
                org_code: s.org_code,
                name: s.name,
                company: s.company,
                code,
                problem,
            }
        })
        .collect())
}

fn design_and_assets(s: &PrintSettings) -> Result<(StandDesign, SharedAssets), UserError> {
    let mut design = s.design.clone();
    if let Some(hex) = s.brand_hex.as_deref().filter(|h| !h.trim().is_empty()) {
        design.brand_color = Cmyk::from_hex(hex).ok_or_else(|| {
            UserError::new(
                "print.bad_color",
                (
                    &format!("品牌色“{hex}”不是有效的颜色。"),
                    "请用 #RRGGBB 格式，例如 #07C160。",
                ),
                (
                    &format!("\"{hex}\" is not a colour."),
                    "Use #RRGGBB, e.g. #07C160.",
                ),
            )
        })?;
    }
    let logo = match s.logo_path.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => Some(read_input(Path::new(p), ("标志图片", "logo"))?),
        None => None,
    };
    Ok((design, SharedAssets { logo }))
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
    let (design, assets) = design_and_assets(&settings)?;
    let profile = profile(&state, settings.profile_id).await?;
    let db = &state.core()?.db;
    let mut content = StandContent {
        id: String::new(),
        store_name: Some("门店名称".into()),
        code_image: Vec::new(),
    };
    let mut code = CodeStatus::Missing;
    if let Some(sid) = store_id {
        if let Some(store) = db.get_store(id(sid)).await? {
            content.id = store.org_code.clone();
            content.store_name = Some(store.name.clone());
            let target = StandTarget::store(&store)?;
            if let Some((bytes, status)) =
                tapstand_materials::cached_code(db, &profile, &target.scene).await?
            {
                content.code_image = bytes;
                code = status;
            }
        }
    }
    let sample_code = content.code_image.is_empty();
    if sample_code {
        content.code_image = tapstand_materials::sample_code_png();
    }
    let preview = tauri::async_runtime::spawn_blocking(move || {
        tapstand_print::preview(&design, &assets, &content, SvgOptions::default())
    })
    .await
    .map_err(blocking_failed)??;
    Ok(PrintPreview {
        preview,
        code,
        sample_code,
    })
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
    let profile = profile(&state, profile_id).await?;
    let db = &state.core()?.db;
    let store = db.get_store(id(store_id)).await?.ok_or_else(|| {
        UserError::new(
            "not_found",
            ("门店不存在，可能已被删除。", "请刷新列表后重试。"),
            (
                "The store does not exist; it may have been deleted.",
                "Refresh the list and try again.",
            ),
        )
    })?;
    let bytes = read_input(Path::new(&path), ("小程序码", "code image"))?;
    tapstand_materials::import_code(db, &profile, &StandTarget::store(&store)?, &bytes).await?;
    Ok(CodeStatus::Imported)
}

fn emit(app: &AppHandle, phase: PrintPhase, done: u32, total: u32, store: &str) {
    let _ = PrintProgress {
        phase,
        done,
        total,
        store: store.to_string(),
    }
    .emit(app);
}

fn busy_error() -> UserError {
    UserError::new(
        "print.busy",
        ("正在导出，请等这次导出完成。", "可以点“取消”停止当前导出。"),
        (
            "An export is running; wait for it to finish.",
            "Press Cancel to stop it.",
        ),
    )
}

struct BusyGuard;

impl Drop for BusyGuard {
    fn drop(&mut self) {
        BUSY.store(false, Ordering::SeqCst);
    }
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
    if BUSY.swap(true, Ordering::SeqCst) {
        return Err(busy_error());
    }
    let _guard = BusyGuard;
    CANCEL.store(false, Ordering::SeqCst);
    let (design, assets) = design_and_assets(&settings)?;
    let profile = profile(&state, settings.profile_id).await?;
    let core = state.core()?;
    let mut stores = Vec::with_capacity(store_ids.len());
    for sid in &store_ids {
        if let Some(store) = core.db.get_store(id(*sid)).await? {
            stores.push(store);
        }
    }
    if stores.is_empty() {
        return Err(UserError::new(
            "print.no_stores",
            (
                "还没有选择门店。",
                "请在左侧勾选要导出的门店（可多选或全选）。",
            ),
            (
                "No store is selected.",
                "Tick the stores to export in the list (several or all).",
            ),
        ));
    }
    let app2 = app.clone();
    let materials = core
        .materials(&profile, &stores, false, &mut move |done, total, t| {
            emit(&app2, PrintPhase::Fetching, done, total, &t.label);
            if CANCEL.load(Ordering::SeqCst) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .await?;
    let fetched = materials.fetched;
    // Each store's code is read from the cache when its page is drawn, never all at once.
    let stores = tapstand_core::StandSource::new(core.db.clone(), profile, materials.targets);
    let target = if per_store {
        ExportTarget::FilePerStore(PathBuf::from(&path))
    } else {
        ExportTarget::OnePdf(PathBuf::from(&path))
    };
    let report = tauri::async_runtime::spawn_blocking(move || {
        tapstand_print::export(
            &ExportRequest {
                design: &design,
                assets: &assets,
                stores: &stores,
                target,
            },
            &mut |p| {
                let phase = match p.phase {
                    ExportPhase::Checking => PrintPhase::Checking,
                    ExportPhase::Rendering => PrintPhase::Rendering,
                    ExportPhase::Writing => PrintPhase::Writing,
                    ExportPhase::Done => PrintPhase::Done,
                };
                emit(&app, phase, p.done, p.total, &p.store_id);
                if CANCEL.load(Ordering::SeqCst) {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        )
    })
    .await
    .map_err(blocking_failed)??;
    tracing::info!(
        stores = report.stores,
        pages = report.pages,
        files = report.files.len(),
        fetched,
        "stand artwork exported"
    );
    Ok(PrintExportResult { report, fetched })
}

/// Stops the running export (codes fetched so far stay cached; no partial PDF is left).
#[tauri::command]
#[specta::specta]
pub fn print_cancel() {
    CANCEL.store(true, Ordering::SeqCst);
}

/// Shows an exported file (or folder) in the system file manager.
#[tauri::command]
#[specta::specta]
pub fn print_reveal(path: String) -> Result<(), UserError> {
    let p = PathBuf::from(&path);
    let dir = if p.is_dir() {
        p.clone()
    } else {
        p.parent().map(PathBuf::from).unwrap_or_default()
    };
    #[cfg(target_os = "windows")]
    let r = std::process::Command::new("explorer")
        .arg(format!("/select,{}", p.display()))
        .spawn();
    #[cfg(target_os = "macos")]
    let r = std::process::Command::new("open").arg("-R").arg(&p).spawn();
    #[cfg(not(any(target_os = "windows", target_os = "macos")))]
    let r = std::process::Command::new("xdg-open").arg(&dir).spawn();
    r.map(|_| ()).map_err(|e| {
        UserError::new(
            "print.reveal",
            (
                &format!("无法打开文件夹 {}。", dir.display()),
                "请在文件管理器里手动打开这个文件夹。",
            ),
            (
                &format!("Cannot open the folder {}.", dir.display()),
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

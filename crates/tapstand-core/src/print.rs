//! 物料 for both faces: what the page offers, the stores' codes, the live preview, and one call from a
//! selection to the files ([`Core::export_materials`]). The Tauri commands (`src-tauri/src/commands/print.rs`)
//! and the CLI's `export-pdf` parse their input, call one function here, and present the result.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tapstand_error::UserError;
use tapstand_materials::{CodeIndex, CodeStatus, StandTarget};
use tapstand_print::{
    ExportPhase, ExportProgress, ExportReport, ExportRequest, ExportTarget, PageSize, SharedAssets,
    StandContent, StandDesign, StandPreview, StoreSource, SvgOptions,
};
use tapstand_store::records::Store;

use crate::files::{read_input, write_file};
use crate::{lookup, Core, StandSource};

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

/// One step of an export, for a progress bar or a line on the terminal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrintStep {
    pub phase: PrintPhase,
    pub done: u32,
    pub total: u32,
    /// The store just handled (机构编号), '' when not about one store.
    pub store: String,
    /// Its 门店名称 while fetching, else ''.
    pub name: String,
}

#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct PrintExportResult {
    pub report: ExportReport,
    /// Codes fetched from WeChat for this export (now cached).
    pub fetched: u32,
}

/// Which stands to export.
#[derive(Clone, Debug)]
pub enum StoreSelection {
    /// Store row ids in the order given, as the 物料 page sends them (an id deleted meanwhile is skipped),
    /// with the codes of this profile.
    Ids {
        profile_id: i64,
        store_ids: Vec<i64>,
    },
    /// What the merchant typed (`--store`: 机构编号, 门店名称 or `#id`), or every store that is not archived,
    /// with the codes of the profile named (or the only one).
    Lookup {
        profile: Option<String>,
        stores: Vec<String>,
        all: bool,
    },
    /// One stand from a code image file, no store record (`--code-image`).
    CodeImage {
        image: PathBuf,
        id: String,
        store_name: Option<String>,
    },
}

/// Everything [`Core::export_materials`] needs.
#[derive(Clone, Debug)]
pub struct ExportMaterials {
    pub selection: StoreSelection,
    pub design: StandDesign,
    /// A PNG or JPEG printed above the headline.
    pub logo: Option<PathBuf>,
    pub target: ExportTarget,
    /// Never contact WeChat: only codes already cached or imported are used.
    pub offline: bool,
    /// Also write the first stand's live-preview SVG (front page) here.
    pub preview_svg: Option<PathBuf>,
}

/// Stops an export from another thread: [`CancelToken::cancel`], checked after every step.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    fn flow(&self) -> ControlFlow<()> {
        if self.is_cancelled() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// The app's one export at a time: [`ExportSlot::begin`] refuses while one runs, [`ExportSlot::cancel`]
/// stops it, and the files it wrote are the ones [`ExportSlot::wrote`] knows (reveal-in-folder shows only
/// those).
#[derive(Debug, Default)]
pub struct ExportSlot {
    running: Mutex<Option<CancelToken>>,
    written: Mutex<Vec<PathBuf>>,
}

/// The running export's hold on its [`ExportSlot`]; dropping it frees the slot.
pub struct ExportRun<'a> {
    slot: &'a ExportSlot,
    pub token: CancelToken,
}

impl ExportSlot {
    pub fn begin(&self) -> Result<ExportRun<'_>, UserError> {
        let mut running = lock(&self.running);
        if running.is_some() {
            return Err(UserError::new(
                "print.busy",
                ("正在导出，请等这次导出完成。", "可以点“取消”停止当前导出。"),
                (
                    "An export is running; wait for it to finish.",
                    "Press Cancel to stop it.",
                ),
            ));
        }
        let token = CancelToken::default();
        *running = Some(token.clone());
        Ok(ExportRun { slot: self, token })
    }

    /// Stops the running export, if any.
    pub fn cancel(&self) {
        if let Some(token) = lock(&self.running).as_ref() {
            token.cancel();
        }
    }

    /// Remembers the files an export wrote.
    pub fn record(&self, result: &PrintExportResult) {
        lock(&self.written).extend(result.report.files.iter().map(|f| PathBuf::from(&f.path)));
    }

    /// Whether an export of this app wrote `path`.
    pub fn wrote(&self, path: &Path) -> bool {
        lock(&self.written).iter().any(|p| p == path)
    }
}

impl Drop for ExportRun<'_> {
    fn drop(&mut self) {
        *lock(&self.slot.running) = None;
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn blocking_failed(e: impl std::fmt::Display) -> UserError {
    UserError::internal(format!("print worker: {e}"))
}

/// What the 物料 page offers, and its defaults.
pub fn options() -> PrintOptions {
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

impl PrintSettings {
    /// The design with the brand colour parsed ([`tapstand_print::parse::color`]), and the logo's path.
    pub fn design(&self) -> Result<(StandDesign, Option<PathBuf>), UserError> {
        let mut design = self.design.clone();
        if let Some(text) = self.brand_hex.as_deref().filter(|h| !h.trim().is_empty()) {
            design.brand_color = tapstand_print::parse::color(text)?;
        }
        let logo = self
            .logo_path
            .as_deref()
            .filter(|p| !p.is_empty())
            .map(PathBuf::from);
        Ok((design, logo))
    }
}

fn shared_assets(logo: Option<&Path>) -> Result<SharedAssets, UserError> {
    Ok(SharedAssets {
        logo: match logo {
            Some(p) => Some(read_input(p, ("标志图片", "logo"))?),
            None => None,
        },
    })
}

fn store_gone() -> UserError {
    UserError::new(
        "not_found",
        ("门店不存在，可能已被删除。", "请刷新列表后重试。"),
        (
            "The store does not exist; it may have been deleted.",
            "Refresh the list and try again.",
        ),
    )
}

fn nothing_selected() -> UserError {
    UserError::new(
        "print.no_stores",
        (
            "还没有选择门店。",
            "请在左侧勾选要导出的门店（可多选或全选）。",
        ),
        (
            "No store is selected.",
            "Tick the stores to export in the list (several or all).",
        ),
    )
}

fn fetch_step(done: u32, total: u32, t: &StandTarget) -> PrintStep {
    PrintStep {
        phase: PrintPhase::Fetching,
        done,
        total,
        store: t.label.clone(),
        name: t.name.clone(),
    }
}

fn engine_step(p: ExportProgress) -> PrintStep {
    PrintStep {
        phase: match p.phase {
            ExportPhase::Checking => PrintPhase::Checking,
            ExportPhase::Rendering => PrintPhase::Rendering,
            ExportPhase::Writing => PrintPhase::Writing,
            ExportPhase::Done => PrintPhase::Done,
        },
        done: p.done,
        total: p.total,
        store: p.store_id,
        name: String::new(),
    }
}

/// The stands of an export, ready for the engine.
type Stands = Box<dyn StoreSource + Send>;

impl Core {
    /// Every store that is not archived, with its code status under the profile.
    pub async fn store_codes(&self, profile_id: i64) -> Result<Vec<StoreCode>, UserError> {
        let profile = lookup::profile_by_id(&self.db, profile_id).await?;
        let index = CodeIndex::load(&self.db, &profile).await?;
        Ok(self
            .db
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

    /// The live preview (SVG, what prints) for one store, or for a sample store when none is chosen. Never
    /// contacts WeChat: a store whose code is not fetched yet is shown with a grey stand-in.
    pub async fn preview_stand(
        &self,
        settings: &PrintSettings,
        store_id: Option<i64>,
    ) -> Result<PrintPreview, UserError> {
        let (design, logo) = settings.design()?;
        let assets = shared_assets(logo.as_deref())?;
        let profile = lookup::profile_by_id(&self.db, settings.profile_id.into()).await?;
        let mut content = StandContent {
            id: String::new(),
            store_name: Some("门店名称".into()),
            code_image: Vec::new(),
        };
        let mut code = CodeStatus::Missing;
        if let Some(store) = match store_id {
            Some(id) => self.db.get_store(id).await?,
            None => None,
        } {
            content.id = store.org_code.clone();
            content.store_name = Some(store.name.clone());
            let target = StandTarget::store(&store)?;
            if let Some((bytes, status)) =
                tapstand_materials::cached_code(&self.db, &profile, &target.scene).await?
            {
                content.code_image = bytes;
                code = status;
            }
        }
        let sample_code = content.code_image.is_empty();
        if sample_code {
            content.code_image = tapstand_materials::sample_code_png();
        }
        let preview = tokio::task::spawn_blocking(move || {
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
    pub async fn import_store_code(
        &self,
        profile_id: i64,
        store_id: i64,
        path: &Path,
    ) -> Result<CodeStatus, UserError> {
        let profile = lookup::profile_by_id(&self.db, profile_id).await?;
        let store = self.db.get_store(store_id).await?.ok_or_else(store_gone)?;
        let bytes = read_input(path, ("小程序码", "code image"))?;
        tapstand_materials::import_code(&self.db, &profile, &StandTarget::store(&store)?, &bytes)
            .await?;
        Ok(CodeStatus::Imported)
    }

    /// Exports the selection: the stores looked up, their missing codes fetched (and cached) unless
    /// `offline`, then every store checked and the PDF(s) written by the print engine, one store's code read
    /// from the cache at a time. `progress` hears every step; `cancel` stops the export after the step it is
    /// in (codes fetched so far stay cached, no partial PDF is left).
    pub async fn export_materials(
        &self,
        request: ExportMaterials,
        mut progress: impl FnMut(&PrintStep) + Send + 'static,
        cancel: &CancelToken,
    ) -> Result<PrintExportResult, UserError> {
        let ExportMaterials {
            selection,
            design,
            logo,
            target,
            offline,
            preview_svg,
        } = request;
        let assets = shared_assets(logo.as_deref())?;
        let (stands, fetched) = self
            .stands(selection, offline, &mut progress, cancel)
            .await?;
        let cancel = cancel.clone();
        // The engine is CPU-bound, and `StandSource` waits for the database: off the async workers.
        let report = tokio::task::spawn_blocking(move || -> Result<ExportReport, UserError> {
            if let Some(path) = &preview_svg {
                write_preview(&design, &assets, stands.as_ref(), path)?;
            }
            let request = ExportRequest {
                design: &design,
                assets: &assets,
                stores: stands.as_ref(),
                target,
            };
            Ok(tapstand_print::export(&request, &mut |p| {
                progress(&engine_step(p));
                cancel.flow()
            })?)
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

    /// The stands of a selection and how many codes were fetched for them.
    async fn stands(
        &self,
        selection: StoreSelection,
        offline: bool,
        progress: &mut (impl FnMut(&PrintStep) + Send),
        cancel: &CancelToken,
    ) -> Result<(Stands, u32), UserError> {
        let (profile, stores) = match selection {
            StoreSelection::CodeImage {
                image,
                id,
                store_name,
            } => {
                let one = StandContent {
                    id,
                    store_name: store_name.filter(|n| !n.is_empty()),
                    code_image: read_input(&image, ("小程序码", "code image"))?,
                };
                return Ok((Box::new(vec![one]), 0));
            }
            StoreSelection::Ids {
                profile_id,
                store_ids,
            } => {
                let profile = lookup::profile_by_id(&self.db, profile_id).await?;
                (profile, self.stores_by_id(&store_ids).await?)
            }
            StoreSelection::Lookup {
                profile,
                stores,
                all,
            } => {
                let profile = lookup::profile_or_only(&self.db, profile.as_deref()).await?;
                let stores = tapstand_materials::resolve_stores(&self.db, &stores, all).await?;
                (profile, stores)
            }
        };
        let materials = self
            .materials(&profile, &stores, offline, &mut |done, total, t| {
                progress(&fetch_step(done, total, t));
                cancel.flow()
            })
            .await?;
        // Each store's code is read from the cache when its page is drawn, never all at once.
        let source = StandSource::new(self.db.clone(), profile, materials.targets);
        Ok((Box::new(source), materials.fetched))
    }

    async fn stores_by_id(&self, ids: &[i64]) -> Result<Vec<Store>, UserError> {
        let mut stores = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(store) = self.db.get_store(*id).await? {
                stores.push(store);
            }
        }
        if stores.is_empty() {
            return Err(nothing_selected());
        }
        Ok(stores)
    }
}

/// The first stand's front page as the live preview shows it.
fn write_preview(
    design: &StandDesign,
    assets: &SharedAssets,
    stands: &dyn StoreSource,
    path: &Path,
) -> Result<(), UserError> {
    let first = stands.load(0)?;
    let preview = tapstand_print::preview(design, assets, &first, SvgOptions::default())?;
    write_file(path, |f| {
        std::io::Write::write_all(f, preview.pages[0].as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_export_at_a_time_and_cancel_reaches_it() {
        let slot = ExportSlot::default();
        let run = slot.begin().unwrap();
        assert_eq!(slot.begin().err().unwrap().code, "print.busy");
        assert!(!run.token.is_cancelled());
        slot.cancel();
        assert!(run.token.is_cancelled());
        drop(run);
        let again = slot.begin().unwrap();
        assert!(
            !again.token.is_cancelled(),
            "a new export starts uncancelled"
        );
    }

    #[test]
    fn the_brand_colour_is_parsed_as_both_faces_parse_it() {
        let settings = |hex: &str| PrintSettings {
            profile_id: 1,
            design: StandDesign::default(),
            brand_hex: Some(hex.into()),
            logo_path: Some(String::new()),
        };
        let (design, logo) = settings("#000000").design().unwrap();
        assert_eq!(design.brand_color, tapstand_print::Cmyk::K100);
        assert_eq!(logo, None);
        let (design, _) = settings("  ").design().unwrap();
        assert_eq!(design.brand_color, StandDesign::default().brand_color);
        assert_eq!(
            settings("#12345").design().unwrap_err().code,
            "print.bad_color"
        );
    }
}

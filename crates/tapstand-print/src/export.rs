//! Export: one store or many, into one multi-page PDF or one file per store, with progress and cancel.
//!
//! Every store is checked first (image readable, resolution, texts fit, glyphs present), so an export either
//! starts with everything known to be printable or stops before writing anything. Files are written to a
//! temporary name and renamed, so a failed or cancelled export never leaves a half-written PDF.
//!
//! Memory stays bounded whatever the number of stores: the stores come from a [`StoreSource`] that loads one
//! store's content (its code image) when it is needed and drops it once its pages are drawn; the check pass
//! probes each image and keeps only the warnings; one PDF for many stores is written chunk by chunk
//! (`crate::stream`) instead of being held as one document.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::path::{Path as FsPath, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use serde::{Deserialize, Serialize};

use crate::error::{ImageRole, PrintError};
use crate::layout::{layout_page, PageInput, PageLayout};
use crate::model::*;
use crate::pdf::{PdfBuilder, PdfMeta};
use crate::raster::{self, ImageInfo, PrintImage};
use crate::stream::{PdfStreamWriter, DEFAULT_CHUNK_STORES};
use crate::svg::{self, SvgImages, SvgOptions};
use printpdf::XObjectId;

/// Where an export goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportTarget {
    /// All stores, one after another, in one PDF.
    OnePdf(PathBuf),
    /// One PDF per store in this folder.
    FilePerStore(PathBuf),
}

/// The stores of an export, in order, loaded one at a time: [`StoreSource::load`] is called once per store
/// while checking and once while drawing (from worker threads), and the content is dropped after use. A
/// `Vec<StandContent>` or a slice is one (nothing is loaded: they are borrowed); the app and the CLI load each
/// store's code from the materials cache on disk.
pub trait StoreSource: Sync {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Store `i`'s content. An error should name the store (e.g. [`PrintError::Source`]).
    fn load(&self, i: usize) -> Result<Cow<'_, StandContent>, PrintError>;
}

impl StoreSource for [StandContent] {
    fn len(&self) -> usize {
        <[StandContent]>::len(self)
    }
    fn load(&self, i: usize) -> Result<Cow<'_, StandContent>, PrintError> {
        Ok(Cow::Borrowed(&self[i]))
    }
}

impl StoreSource for &[StandContent] {
    fn len(&self) -> usize {
        <[StandContent]>::len(self)
    }
    fn load(&self, i: usize) -> Result<Cow<'_, StandContent>, PrintError> {
        Ok(Cow::Borrowed(&self[i]))
    }
}

impl StoreSource for Vec<StandContent> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }
    fn load(&self, i: usize) -> Result<Cow<'_, StandContent>, PrintError> {
        Ok(Cow::Borrowed(&self[i]))
    }
}

impl<const N: usize> StoreSource for [StandContent; N] {
    fn len(&self) -> usize {
        N
    }
    fn load(&self, i: usize) -> Result<Cow<'_, StandContent>, PrintError> {
        Ok(Cow::Borrowed(&self[i]))
    }
}

/// Everything an export needs.
#[derive(Clone)]
pub struct ExportRequest<'a> {
    pub design: &'a StandDesign,
    pub assets: &'a SharedAssets,
    pub stores: &'a dyn StoreSource,
    pub target: ExportTarget,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ExportPhase {
    /// Checking every store before anything is written.
    Checking,
    /// Drawing stores (`done` of `total`).
    Rendering,
    /// Writing the file.
    Writing,
    Done,
}

/// Progress, for a progress bar. Return `ControlFlow::Break(())` from the callback to cancel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct ExportProgress {
    pub phase: ExportPhase,
    pub done: u32,
    pub total: u32,
    /// The store just handled ('' when not about one store).
    pub store_id: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ExportedFile {
    pub path: String,
    pub store_ids: Vec<String>,
    pub pages: u32,
    pub size_bytes: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ExportReport {
    pub files: Vec<ExportedFile>,
    pub stores: u32,
    pub pages: u32,
    /// Lowest effective resolution of a code in this export.
    pub min_code_ppi: f64,
    pub warnings: Vec<PrintWarning>,
}

/// A preview of one stand.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct StandPreview {
    /// One SVG per page (front, and back for a double-sided stand).
    pub pages: Vec<String>,
    pub width_mm: f64,
    pub height_mm: f64,
    pub code_ppi: f64,
    pub warnings: Vec<PrintWarning>,
}

fn sides(design: &StandDesign) -> &'static [Side] {
    match design.sides {
        Sides::Single => &[Side::Front],
        Sides::Double => &[Side::Front, Side::Back],
    }
}

fn in_store(store: &StandContent, e: PrintError) -> PrintError {
    match e {
        PrintError::Store { .. } | PrintError::Cancelled | PrintError::Source(_) => e,
        e => PrintError::Store {
            store_id: store.id.clone(),
            store_name: store.store_name.clone().unwrap_or_default(),
            source: Box::new(e),
        },
    }
}

fn layouts(
    design: &StandDesign,
    store: &StandContent,
    code: ImageInfo,
    logo: Option<ImageInfo>,
) -> Result<Vec<PageLayout>, PrintError> {
    sides(design)
        .iter()
        .map(|&side| {
            layout_page(
                design,
                &PageInput {
                    store_id: &store.id,
                    store_name: store.store_name.as_deref(),
                    code_px: (code.width, code.height),
                    logo_px: logo.map(|l| (l.width, l.height)),
                    side,
                },
            )
        })
        .collect()
}

struct Checked {
    warnings: Vec<PrintWarning>,
    min_ppi: f64,
    logo: Option<ImageInfo>,
}

/// Checks every store (loading each, probing its image, laying its pages out, then dropping it): what can
/// stop an export is found before anything is written.
fn check_all(
    design: &StandDesign,
    assets: &SharedAssets,
    stores: &dyn StoreSource,
    progress: &mut dyn FnMut(ExportProgress) -> ControlFlow<()>,
) -> Result<Checked, PrintError> {
    design.validate()?;
    if stores.is_empty() {
        return Err(PrintError::NothingToExport);
    }
    let logo = match &assets.logo {
        Some(bytes) => Some(raster::probe(bytes, ImageRole::Logo)?),
        None => None,
    };
    let mut out = Checked {
        warnings: Vec::new(),
        min_ppi: f64::INFINITY,
        logo,
    };
    let total = stores.len() as u32;
    for i in 0..stores.len() {
        let store = stores.load(i)?;
        let code =
            raster::probe(&store.code_image, ImageRole::Code).map_err(|e| in_store(&store, e))?;
        let pages = layouts(design, &store, code, logo).map_err(|e| in_store(&store, e))?;
        if let Some(first) = pages.first() {
            out.min_ppi = out.min_ppi.min(first.code_ppi);
            for w in &first.warnings {
                if !out.warnings.contains(w) {
                    out.warnings.push(w.clone());
                }
            }
        }
        if progress(ExportProgress {
            phase: ExportPhase::Checking,
            done: i as u32 + 1,
            total,
            store_id: store.id.clone(),
        })
        .is_break()
        {
            return Err(PrintError::Cancelled);
        }
    }
    Ok(out)
}

/// Width of the images in the preview, px (plenty for a screen; the PDF gets the full image).
const PREVIEW_PX: u32 = 640;

/// Renders the SVG preview of one store's stand.
pub fn preview(
    design: &StandDesign,
    assets: &SharedAssets,
    store: &StandContent,
    opts: SvgOptions,
) -> Result<StandPreview, PrintError> {
    design.validate()?;
    let code = raster::probe(&store.code_image, ImageRole::Code)?;
    let logo = match &assets.logo {
        Some(b) => Some(raster::probe(b, ImageRole::Logo)?),
        None => None,
    };
    let pages = layouts(design, store, code, logo)?;
    // The images as they will print (same colour conversion), at screen resolution.
    let code_url = raster::preview_data_url(
        &store.code_image,
        ImageRole::Code,
        design.image_color,
        PREVIEW_PX,
    )?;
    let logo_url = match &assets.logo {
        Some(b) => Some(raster::preview_data_url(
            b,
            ImageRole::Logo,
            design.image_color,
            PREVIEW_PX,
        )?),
        None => None,
    };
    let images = SvgImages {
        code: &code_url,
        logo: logo_url.as_deref(),
    };
    let first = &pages[0];
    Ok(StandPreview {
        width_mm: first.trim_w,
        height_mm: first.trim_h,
        code_ppi: first.code_ppi,
        warnings: first.warnings.clone(),
        pages: pages
            .iter()
            .map(|p| svg::render(p, &images, opts))
            .collect(),
    })
}

/// Renders one store's stand to PDF bytes (what [`export`] writes for it).
pub fn render_pdf(
    design: &StandDesign,
    assets: &SharedAssets,
    store: &StandContent,
) -> Result<(Vec<u8>, Vec<PrintWarning>), PrintError> {
    let one = std::slice::from_ref(store);
    let checked = check_all(design, assets, &one, &mut |_| ControlFlow::Continue(()))?;
    let logo = prepare_logo(design, assets)?;
    let code = raster::prepare(&store.code_image, ImageRole::Code, design.image_color)
        .map_err(|e| in_store(store, e))?;
    let info = raster::probe(&store.code_image, ImageRole::Code)?;
    let pages = layouts(design, store, info, checked.logo).map_err(|e| in_store(store, e))?;
    let mut b = PdfBuilder::new(design.outline_text);
    let logo_id = logo.map(|l| b.add_image(l));
    let code_id = b.add_image(code);
    for page in &pages {
        b.add_page(page, &code_id, logo_id.as_ref());
    }
    let bytes = b.finish(&meta(design, 1, Some(store)))?;
    Ok((bytes, checked.warnings))
}

fn prepare_logo(
    design: &StandDesign,
    assets: &SharedAssets,
) -> Result<Option<PrintImage>, PrintError> {
    match &assets.logo {
        Some(b) => Ok(Some(raster::prepare(
            b,
            ImageRole::Logo,
            design.image_color,
        )?)),
        None => Ok(None),
    }
}

/// `first` = the store, when there is only one.
fn meta(design: &StandDesign, count: usize, first: Option<&StandContent>) -> PdfMeta {
    let (s, l) = design.size.sides_mm();
    let what = format!(
        "{} {} {}×{} mm{}",
        design.size.label(),
        design.orientation.zh(),
        fmt_mm(s),
        fmt_mm(l),
        match design.sides {
            Sides::Single => "",
            Sides::Double => " 双面",
        }
    );
    let title = match (count, first) {
        (1, Some(one)) => format!(
            "碰一碰立牌 · {} · {what}",
            one.store_name
                .as_deref()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or(&one.id)
        ),
        (many, _) => format!("碰一碰立牌 · {many} 家门店 · {what}"),
    };
    PdfMeta {
        title,
        subject: "NFC 碰一碰 + 小程序码 亚克力立牌印刷文件（出血 3 mm，裁切线，TrimBox/BleedBox）"
            .into(),
        keywords: vec![
            "碰一碰".into(),
            "小程序码".into(),
            "立牌".into(),
            "NFC".into(),
        ],
    }
}

/// One store, ready to draw: its pages laid out and its code image converted for print (the source bytes are
/// already dropped).
struct Prepared {
    id: String,
    name: String,
    pages: Vec<PageLayout>,
    code: PrintImage,
}

/// Loads and prepares the stores on worker threads, delivering them in order to `sink`. At most a few stores
/// are in flight at once (a bounded channel), so memory does not grow with the number of stores.
fn prepare_stores(
    design: &StandDesign,
    stores: &dyn StoreSource,
    logo: Option<ImageInfo>,
    cancel: &AtomicBool,
    sink: &mut dyn FnMut(usize, Prepared) -> Result<(), PrintError>,
) -> Result<(), PrintError> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4)
        .min(stores.len());
    let next = AtomicUsize::new(0);
    // Bounded so workers never run far ahead of the writer (memory stays flat).
    let (tx, rx) = mpsc::sync_channel::<(usize, Result<Prepared, PrintError>)>(workers * 2);
    let prepare = |i: usize| -> Result<Prepared, PrintError> {
        let store = stores.load(i)?;
        let inner = || -> Result<Prepared, PrintError> {
            let info = raster::probe(&store.code_image, ImageRole::Code)?;
            let pages = layouts(design, &store, info, logo)?;
            let code = raster::prepare(&store.code_image, ImageRole::Code, design.image_color)?;
            Ok(Prepared {
                id: store.id.clone(),
                name: store.store_name.clone().unwrap_or_default(),
                pages,
                code,
            })
        };
        inner().map_err(|e| in_store(&store, e))
    };
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let next = &next;
            let prepare = &prepare;
            scope.spawn(move || loop {
                if cancel.load(Ordering::Relaxed) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= stores.len() {
                    break;
                }
                if tx.send((i, prepare(i))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut expect = 0;
        let mut result = Ok(());
        for (i, r) in rx.iter() {
            pending.insert(i, r);
            while let Some(r) = pending.remove(&expect) {
                let step = r.and_then(|p| sink(expect, p));
                if let Err(e) = step {
                    cancel.store(true, Ordering::Relaxed);
                    result = Err(e);
                    break;
                }
                expect += 1;
            }
            if result.is_err() {
                break;
            }
        }
        // Drain so blocked workers can finish.
        drop(rx);
        result
    })
}

/// A file being written under a temporary name in its folder (`.NAME.part`): renamed to `path` by
/// [`PartFile::commit`], removed if dropped before (failure, cancel), so an old file of that name stays
/// untouched until the new one is complete.
struct PartFile {
    path: PathBuf,
    tmp: PathBuf,
    file: Option<BufWriter<std::fs::File>>,
}

impl PartFile {
    fn create(path: &FsPath) -> Result<PartFile, PrintError> {
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(".{file_name}.part"));
        let file = std::fs::File::create(&tmp).map_err(|source| PrintError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(PartFile {
            path: path.to_path_buf(),
            tmp,
            file: Some(BufWriter::with_capacity(1 << 20, file)),
        })
    }

    fn io(&self, source: std::io::Error) -> PrintError {
        PrintError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn commit(mut self) -> Result<(), PrintError> {
        let file = self.file.take().expect("not committed yet");
        let file = file.into_inner().map_err(|e| self.io(e.into_error()))?;
        file.sync_all().map_err(|e| self.io(e))?;
        drop(file);
        std::fs::rename(&self.tmp, &self.path).map_err(|e| self.io(e))
    }
}

impl Write for PartFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.as_mut().expect("not committed").write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().expect("not committed").flush()
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

fn write_atomic(path: &FsPath, bytes: &[u8]) -> Result<(), PrintError> {
    let io = |source| PrintError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.part"));
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

/// A safe file name for a store's PDF: `18-南昌公司红谷滩店-A5-竖版.pdf`.
pub fn store_file_name(design: &StandDesign, store: &StandContent) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_control() && !"\\/:*?\"<>|".contains(*c))
            .map(|c| if c.is_whitespace() { '_' } else { c })
            .collect::<String>()
            .trim_matches(['.', '_', ' '])
            .chars()
            .take(60)
            .collect()
    };
    let mut parts = vec![];
    let id = clean(&store.id);
    if !id.is_empty() {
        parts.push(id);
    }
    if let Some(n) = store
        .store_name
        .as_deref()
        .map(clean)
        .filter(|n| !n.is_empty())
    {
        parts.push(n);
    }
    if parts.is_empty() {
        parts.push("stand".into());
    }
    parts.push(design.size.label());
    parts.push(design.orientation.zh().into());
    if design.sides == Sides::Double {
        parts.push("双面".into());
    }
    format!("{}.pdf", parts.join("-"))
}

/// Exports. `progress` is called after each step; return `ControlFlow::Break(())` to cancel (nothing is
/// left on disk for the file being written).
pub fn export(
    req: &ExportRequest,
    progress: &mut dyn FnMut(ExportProgress) -> ControlFlow<()>,
) -> Result<ExportReport, PrintError> {
    export_chunked(req, DEFAULT_CHUNK_STORES, progress)
}

/// [`export`], drawing one PDF for many stores in chunks of `chunk_stores` stores (each chunk is appended to
/// the file as soon as it is drawn; see `crate::stream`).
pub fn export_chunked(
    req: &ExportRequest,
    chunk_stores: usize,
    progress: &mut dyn FnMut(ExportProgress) -> ControlFlow<()>,
) -> Result<ExportReport, PrintError> {
    let design = req.design;
    let chunk_stores = chunk_stores.max(1);
    let t0 = std::time::Instant::now();
    let checked = check_all(design, req.assets, req.stores, progress)?;
    let t_checked = t0.elapsed();
    let logo = prepare_logo(design, req.assets)?;
    let n = req.stores.len();
    let total = n as u32;
    let cancel = AtomicBool::new(false);
    let mut files = Vec::new();
    let mut pages_total = 0u32;
    let mut tick = |done: usize, phase: ExportPhase, id: &str| -> Result<(), PrintError> {
        if progress(ExportProgress {
            phase,
            done: done as u32,
            total,
            store_id: id.to_string(),
        })
        .is_break()
        {
            Err(PrintError::Cancelled)
        } else {
            Ok(())
        }
    };
    match &req.target {
        ExportTarget::OnePdf(path) => {
            let part = PartFile::create(path)?;
            let mut w = PdfStreamWriter::new(part, path)?;
            let mut chunk: Option<(PdfBuilder, Option<XObjectId>)> = None;
            let mut store_ids = Vec::with_capacity(n);
            let mut first: Option<StandContent> = None;
            prepare_stores(design, req.stores, checked.logo, &cancel, &mut |i, p| {
                let (b, logo_id) = chunk.get_or_insert_with(|| {
                    let mut b = PdfBuilder::new(design.outline_text);
                    let logo_id = logo.clone().map(|l| b.add_image(l));
                    (b, logo_id)
                });
                let code_id = b.add_image(p.code);
                for page in &p.pages {
                    b.add_page(page, &code_id, logo_id.as_ref());
                }
                if first.is_none() {
                    first = Some(StandContent {
                        id: p.id.clone(),
                        store_name: Some(p.name.clone()).filter(|s| !s.is_empty()),
                        code_image: Vec::new(),
                    });
                }
                store_ids.push(p.id.clone());
                tick(i + 1, ExportPhase::Rendering, &p.id)?;
                if (i + 1) % chunk_stores == 0 || i + 1 == n {
                    let (b, _) = chunk.take().expect("a chunk is open");
                    w.append(b)?;
                }
                Ok(())
            })?;
            tick(n, ExportPhase::Writing, "")?;
            pages_total = w.page_count() as u32;
            let (part, size_bytes) = w.finish(&meta(design, n, first.as_ref()))?;
            part.commit()?;
            tracing::debug!(
                check_ms = t_checked.as_millis() as u64,
                total_ms = t0.elapsed().as_millis() as u64,
                stores = n,
                chunk_stores,
                "export into one PDF"
            );
            files.push(ExportedFile {
                path: path.display().to_string(),
                store_ids,
                pages: pages_total,
                size_bytes: size_bytes.min(u32::MAX as u64) as u32,
            });
        }
        ExportTarget::FilePerStore(dir) => {
            std::fs::create_dir_all(dir).map_err(|source| PrintError::Io {
                path: dir.clone(),
                source,
            })?;
            let mut used_names: Vec<String> = Vec::new();
            prepare_stores(design, req.stores, checked.logo, &cancel, &mut |i, p| {
                let store = StandContent {
                    id: p.id.clone(),
                    store_name: Some(p.name.clone()).filter(|s| !s.is_empty()),
                    code_image: Vec::new(),
                };
                let mut b = PdfBuilder::new(design.outline_text);
                let logo_id = logo.clone().map(|l| b.add_image(l));
                let code_id = b.add_image(p.code);
                for page in &p.pages {
                    b.add_page(page, &code_id, logo_id.as_ref());
                }
                let pages = b.page_count() as u32;
                let bytes = b.finish(&meta(design, 1, Some(&store)))?;
                let mut name = store_file_name(design, &store);
                let mut k = 2;
                while used_names.contains(&name) {
                    name = store_file_name(design, &store).replace(".pdf", &format!("-{k}.pdf"));
                    k += 1;
                }
                used_names.push(name.clone());
                let path = dir.join(&name);
                write_atomic(&path, &bytes).map_err(|e| in_store(&store, e))?;
                pages_total += pages;
                files.push(ExportedFile {
                    path: path.display().to_string(),
                    store_ids: vec![store.id.clone()],
                    pages,
                    size_bytes: bytes.len().min(u32::MAX as usize) as u32,
                });
                tick(i + 1, ExportPhase::Rendering, &store.id)
            })?;
        }
    }
    tick(n, ExportPhase::Done, "")?;
    Ok(ExportReport {
        files,
        stores: total,
        pages: pages_total,
        min_code_ppi: checked.min_ppi,
        warnings: checked.warnings,
    })
}

//! `export-pdf`: print-ready stand artwork (the same engine and service as the app), for stores from the database
//! (`--store S`, `--all`: each store's mini-program code from the cache, an imported image, or
//! `getwxacodeunlimit`, then cached) or for one code image (`--code-image FILE`). Parse, one call
//! (`Core::export_materials`), present.

use std::path::PathBuf;

use clap::Args;
use tapstand_core::print::{CancelToken, ExportMaterials, PrintPhase, PrintStep, StoreSelection};
use tapstand_core::{Core, UserError};
use tapstand_print::{
    parse, Cmyk, ExportReport, ExportTarget, ImageColor, Orientation, PageSize, Sides, StandDesign,
};

use crate::output;

/// A flag's value through the shared parser (`tapstand_print::parse`), its refusal in clap's words.
fn flag<T>(parsed: Result<T, UserError>) -> Result<T, String> {
    parsed.map_err(|e| format!("{} {}", e.en.message, e.en.remedy))
}

fn parse_layout(s: &str) -> Result<Orientation, String> {
    flag(parse::layout(s))
}

fn parse_size(s: &str) -> Result<PageSize, String> {
    flag(parse::size(s))
}

fn parse_color(s: &str) -> Result<Cmyk, String> {
    flag(parse::color(s))
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["store", "all", "code_image"])))]
pub struct ExportPdfArgs {
    /// A store to export: 机构编号, full 门店名称 or #<row id> (repeat for several).
    #[arg(long, value_name = "S")]
    pub store: Vec<String>,
    /// Every store that is not archived.
    #[arg(long, conflicts_with_all = ["store", "code_image"])]
    pub all: bool,
    /// The mini program profile (name, AppID or id) whose codes are used; needed only when there are several.
    #[arg(long, value_name = "P")]
    pub profile: Option<String>,
    /// One PDF per store in the folder --out (default: all stores in one multi-page PDF).
    #[arg(long)]
    pub per_store: bool,
    /// Never contact WeChat: only codes already cached or imported are used.
    #[arg(long)]
    pub offline: bool,
    /// One-off: a mini-program code image (PNG or JPEG; fetch it 1280 px wide) instead of stores.
    #[arg(long, value_name = "FILE", conflicts_with = "store")]
    pub code_image: Option<PathBuf>,
    /// vertical (竖版) or horizontal (横版).
    #[arg(long, default_value = "vertical", value_parser = parse_layout)]
    pub layout: Orientation,
    /// A4, A5, A6, 10x15, 15x20 (cm) or a custom insert size such as 120x180mm.
    #[arg(long, default_value = "A5", value_parser = parse_size)]
    pub size: PageSize,
    /// Print the store name (门店名称) under the headline. With --code-image, give the name: --store-name NAME.
    #[arg(long, value_name = "NAME", num_args = 0..=1, default_missing_value = "")]
    pub store_name: Option<String>,
    /// With --code-image: store or terminal id, printed in the slug for the print shop.
    #[arg(long, default_value = "")]
    pub store_id: String,
    /// T stand: front and back (two pages; on the horizontal layout the back is mirrored).
    #[arg(long)]
    pub double_sided: bool,
    /// 转曲: text as outlines, no fonts in the PDF.
    #[arg(long)]
    pub outline_text: bool,
    /// Headline (default 会员中心).
    #[arg(long)]
    pub headline: Option<String>,
    /// Accent colour: #RRGGBB or C,M,Y,K in percent.
    #[arg(long, value_parser = parse_color)]
    pub brand_color: Option<Cmyk>,
    /// Logo image (PNG or JPEG) above the headline.
    #[arg(long, value_name = "FILE")]
    pub logo: Option<PathBuf>,
    /// Embed the images as supplied (RGB / original JPEG) instead of print-ready K-only black.
    #[arg(long)]
    pub original_colors: bool,
    /// Leave out the crop marks.
    #[arg(long)]
    pub no_crop_marks: bool,
    /// Also write the live-preview SVG (front page) here.
    #[arg(long, value_name = "FILE")]
    pub preview_svg: Option<PathBuf>,
    /// Where to write the PDF (with --per-store: the folder).
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
}

fn design(a: &ExportPdfArgs) -> StandDesign {
    StandDesign {
        orientation: a.layout,
        size: a.size,
        sides: if a.double_sided {
            Sides::Double
        } else {
            Sides::Single
        },
        show_store_name: a.store_name.is_some(),
        outline_text: a.outline_text,
        crop_marks: !a.no_crop_marks,
        image_color: if a.original_colors {
            ImageColor::Original
        } else {
            ImageColor::PrintReady
        },
        headline: a
            .headline
            .clone()
            .unwrap_or_else(|| StandDesign::default().headline),
        brand_color: a.brand_color.unwrap_or(Cmyk::DEFAULT_BRAND),
        ..StandDesign::default()
    }
}

fn selection(a: &ExportPdfArgs) -> StoreSelection {
    match &a.code_image {
        Some(image) => StoreSelection::CodeImage {
            image: image.clone(),
            id: a.store_id.clone(),
            store_name: a.store_name.clone(),
        },
        None => StoreSelection::Lookup {
            profile: a.profile.clone(),
            stores: a.store.clone(),
            all: a.all,
        },
    }
}

/// Fetching is told on stderr (the PDF's own progress is too quick to be worth a line).
fn tell(json: bool) -> impl FnMut(&PrintStep) + Send + 'static {
    move |s: &PrintStep| {
        if !json && s.phase == PrintPhase::Fetching {
            eprintln!(
                "获取小程序码 / fetching code {}/{}: {} {}",
                s.done, s.total, s.store, s.name
            );
        }
    }
}

pub async fn export_pdf(a: ExportPdfArgs, core: &Core, json: bool) -> Result<(), UserError> {
    let design = design(&a);
    let request = ExportMaterials {
        selection: selection(&a),
        design: design.clone(),
        logo: a.logo.clone(),
        target: if a.per_store {
            ExportTarget::FilePerStore(a.out.clone())
        } else {
            ExportTarget::OnePdf(a.out.clone())
        },
        offline: a.offline,
        preview_svg: a.preview_svg.clone(),
    };
    let result = core
        .export_materials(request, tell(json), &CancelToken::default())
        .await?;
    if json {
        output::json(&result.report);
    } else {
        present(&design, &result.report);
    }
    Ok(())
}

fn present(design: &StandDesign, report: &ExportReport) {
    let (w, h) = design.size.trim_mm(design.orientation);
    for f in &report.files {
        println!(
            "已导出 {}：{} 页，{} {} {}×{} mm（出血 3 mm），小程序码 {:.0} ppi，{} KB",
            f.path,
            f.pages,
            design.size.label(),
            design.orientation.zh(),
            w,
            h,
            report.min_code_ppi,
            f.size_bytes / 1024
        );
        println!(
            "Exported {}: {} page(s), trim {w}×{h} mm + 3 mm bleed, code at {:.0} ppi, {} KB",
            f.path,
            f.pages,
            report.min_code_ppi,
            f.size_bytes / 1024
        );
    }
    for w in &report.warnings {
        eprintln!("注意：{}\nNote: {}", w.zh, w.en);
    }
}

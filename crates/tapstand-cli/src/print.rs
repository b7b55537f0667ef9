//! `export-pdf`: print-ready stand artwork from a mini-program code image (the same engine as the app).

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use clap::Args;
use tapstand_core::UserError;
use tapstand_print::{
    Cmyk, ExportRequest, ExportTarget, ImageColor, Orientation, PageSize, SharedAssets, Sides,
    StandContent, StandDesign, SvgOptions,
};

use crate::output;

fn parse_layout(s: &str) -> Result<Orientation, String> {
    Orientation::parse(s).ok_or_else(|| format!("{s:?}: use vertical (竖版) or horizontal (横版)"))
}

fn parse_size(s: &str) -> Result<PageSize, String> {
    PageSize::parse(s).ok_or_else(|| {
        format!("{s:?}: use A4, A5, A6, 10x15, 15x20 or a custom size like 120x180mm")
    })
}

fn parse_color(s: &str) -> Result<Cmyk, String> {
    if let Some(c) = Cmyk::from_hex(s) {
        return Ok(c);
    }
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().trim_end_matches('%').parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("{s:?}: use #RRGGBB or C,M,Y,K in percent, e.g. 78,0,85,0"))?;
    match v[..] {
        [c, m, y, k] => Ok(Cmyk::new(c / 100.0, m / 100.0, y / 100.0, k / 100.0)),
        _ => Err(format!(
            "{s:?}: use #RRGGBB or C,M,Y,K in percent, e.g. 78,0,85,0"
        )),
    }
}

#[derive(Args, Debug)]
pub struct ExportPdfArgs {
    /// The mini-program code image (PNG or JPEG; fetch it 1280 px wide).
    #[arg(long, value_name = "FILE")]
    pub code_image: PathBuf,
    /// vertical (竖版) or horizontal (横版).
    #[arg(long, default_value = "vertical", value_parser = parse_layout)]
    pub layout: Orientation,
    /// A4, A5, A6, 10x15, 15x20 (cm) or a custom insert size such as 120x180mm.
    #[arg(long, default_value = "A5", value_parser = parse_size)]
    pub size: PageSize,
    /// Print this store name (门店名称) under the headline.
    #[arg(long)]
    pub store_name: Option<String>,
    /// Store or terminal id, printed in the slug for the print shop.
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
    /// Where to write the PDF.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
}

fn read(path: &Path, what_zh: &str, what_en: &str) -> Result<Vec<u8>, UserError> {
    std::fs::read(path).map_err(|e| {
        UserError::new(
            "print.read_input",
            (
                &format!("无法读取{what_zh}文件 {}。", path.display()),
                "请检查文件路径是否正确、文件是否存在。",
            ),
            (
                &format!("Cannot read the {what_en} file {}.", path.display()),
                "Check the path and that the file exists.",
            ),
        )
        .with_detail(e)
    })
}

pub fn export_pdf(a: ExportPdfArgs, json: bool) -> Result<(), UserError> {
    let design = StandDesign {
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
    };
    let assets = SharedAssets {
        logo: match &a.logo {
            Some(p) => Some(read(p, "标志图片", "logo")?),
            None => None,
        },
    };
    let store = StandContent {
        id: a.store_id.clone(),
        store_name: a.store_name.clone(),
        code_image: read(&a.code_image, "小程序码", "code image")?,
    };
    if let Some(svg_path) = &a.preview_svg {
        let prev = tapstand_print::preview(&design, &assets, &store, SvgOptions::default())?;
        std::fs::write(svg_path, &prev.pages[0]).map_err(|source| {
            tapstand_print::PrintError::Io {
                path: svg_path.clone(),
                source,
            }
        })?;
    }
    let stores = [store];
    let report = tapstand_print::export(
        &ExportRequest {
            design: &design,
            assets: &assets,
            stores: &stores,
            target: ExportTarget::OnePdf(a.out.clone()),
        },
        &mut |_| ControlFlow::Continue(()),
    )?;
    if json {
        output::json(&report);
        return Ok(());
    }
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
    Ok(())
}

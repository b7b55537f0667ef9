//! Shared helpers for the print tests: synthetic mini-program codes, the poppler/qpdf tools, artifacts.
#![allow(dead_code)]

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

/// `target/e2e-artifacts/print/` at the repository root.
pub fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e-artifacts/print");
    std::fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}

/// A stand-in for a 小程序码: `px`×`px`, a QR-like module pattern in black on white (round outside like the
/// real thing) and, if `avatar`, a coloured disc in the middle like the mini program's avatar.
pub fn code_image(px: u32, avatar: bool, seed: u32) -> RgbImage {
    let qr = qrcode::QrCode::with_error_correction_level(
        format!("https://example.com/tapstand/store/{seed}"),
        qrcode::EcLevel::Q,
    )
    .unwrap();
    let n = qr.width() as u32;
    let colors = qr.to_colors();
    let quiet = 4;
    let module = px as f64 / (n + 2 * quiet) as f64;
    let c = px as f64 / 2.0;
    let mut img = RgbImage::from_pixel(px, px, Rgb([255, 255, 255]));
    for (x, y, p) in img.enumerate_pixels_mut() {
        let mx = (x as f64 / module) as i64 - quiet as i64;
        let my = (y as f64 / module) as i64 - quiet as i64;
        if mx >= 0 && my >= 0 && (mx as u32) < n && (my as u32) < n {
            let dark = colors[(my as u32 * n + mx as u32) as usize] == qrcode::Color::Dark;
            if dark {
                *p = Rgb([0, 0, 0]);
            }
        }
        let d = ((x as f64 - c).powi(2) + (y as f64 - c).powi(2)).sqrt();
        if avatar && d < px as f64 * 0.16 {
            *p = if d < px as f64 * 0.15 {
                Rgb([230, 90, 40])
            } else {
                Rgb([255, 255, 255])
            };
        }
    }
    img
}

pub fn png(img: &DynamicImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

pub fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .encode_image(img)
        .unwrap();
    out.into_inner()
}

pub fn code_png(px: u32, avatar: bool, seed: u32) -> Vec<u8> {
    png(&DynamicImage::ImageRgb8(code_image(px, avatar, seed)))
}

/// A small transparent logo.
pub fn logo_png() -> Vec<u8> {
    let mut img = RgbaImage::from_pixel(600, 200, Rgba([0, 0, 0, 0]));
    for (x, y, p) in img.enumerate_pixels_mut() {
        let inside = ((x as f64 - 100.0).powi(2) + (y as f64 - 100.0).powi(2)).sqrt() < 90.0;
        if inside {
            *p = Rgba([200, 30, 60, 255]);
        } else if (220..580).contains(&x) && (70..130).contains(&y) {
            *p = Rgba([40, 40, 40, 255]);
        }
    }
    png(&DynamicImage::ImageRgba8(img))
}

/// Runs a tool, asserting success; returns stdout.
pub fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("{tool} not runnable ({e}); apt-get install poppler-utils qpdf")
    });
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `pdfinfo -box` boxes of page `page` (1-based): name → [llx, lly, urx, ury] in pt.
pub fn boxes(pdf: &Path, page: u32) -> std::collections::BTreeMap<String, [f64; 4]> {
    let p = page.to_string();
    let out = run(
        "pdfinfo",
        &["-box", "-f", &p, "-l", &p, pdf.to_str().unwrap()],
    );
    let mut m = std::collections::BTreeMap::new();
    for line in out.lines() {
        for name in ["MediaBox", "CropBox", "BleedBox", "TrimBox", "ArtBox"] {
            let key = format!("Page {:>4} {name}:", page);
            if let Some(rest) = line.strip_prefix(&key) {
                let v: Vec<f64> = rest
                    .split_whitespace()
                    .map(|x| x.parse().unwrap())
                    .collect();
                m.insert(name.to_string(), [v[0], v[1], v[2], v[3]]);
            }
        }
    }
    m
}

pub const MM_PT: f64 = 72.0 / 25.4;

/// Renders page `page` of `pdf` at 60 dpi into `out_png` and checks that the code and the NFC zone are drawn
/// where `layout` puts them (the code area at least `code_min` dark, the NFC zone ≥ 80 % ink) and that the
/// page is not black. The render includes the 12 mm slug/bleed margin around the trim.
pub fn render_and_look(
    pdf: &Path,
    page: u32,
    layout: &tapstand_print::layout::PageLayout,
    out_png: &Path,
    code_min: f64,
) {
    let dpi = 60.0;
    let stem = out_png.with_extension("");
    let p = page.to_string();
    run(
        "pdftoppm",
        &[
            "-r",
            "60",
            "-png",
            "-f",
            &p,
            "-l",
            &p,
            "-singlefile",
            pdf.to_str().unwrap(),
            stem.to_str().unwrap(),
        ],
    );
    let img = image::open(out_png).unwrap().to_rgb8();
    let px = |mm: f64| ((12.0 + mm) / 25.4 * dpi) as u32;
    let dark_fraction = |x0: f64, y0: f64, x1: f64, y1: f64, thr: u8| {
        let (mut dark, mut all) = (0u32, 0u32);
        for y in px(y0)..px(y1) {
            for x in px(x0)..px(x1) {
                all += 1;
                if img.get_pixel(x, y).0.iter().any(|&c| c < thr) {
                    dark += 1;
                }
            }
        }
        dark as f64 / all.max(1) as f64
    };
    let c = layout.code_rect;
    let f = dark_fraction(c.x + 2.0, c.y + 2.0, c.x + c.w - 2.0, c.y + c.h - 2.0, 128);
    assert!(
        f > code_min,
        "code area looks blank ({f:.2}) in {}",
        out_png.display()
    );
    let (nx, ny) = layout.nfc_center;
    let r = layout.nfc_diameter / 2.0 * 0.6;
    let f = dark_fraction(nx - r, ny - r, nx + r, ny + r, 250);
    assert!(
        f > 0.8,
        "NFC zone looks blank ({f:.2}) in {}",
        out_png.display()
    );
    // And white paper between the NFC zone and the code (not a blank or black page).
    let whole = dark_fraction(0.0, 0.0, layout.trim_w, layout.trim_h, 250);
    assert!(whole < 0.6, "page is too dark ({whole:.2})");
}

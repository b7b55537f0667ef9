//! What the merchant sees is what prints: the SVG preview (rendered with resvg) and the PDF (rendered with
//! poppler's pdftoppm, cropped to the TrimBox) of the same stand are compared pixel by pixel.

mod support;

use image::RgbImage;
use support::*;
use tapstand_print::*;

/// 127 dpi = 5 px per mm, so the 12 mm slug and every trim size are whole pixels.
const PX_PER_MM: f64 = 5.0;

fn render_svg(svg: &str, w_px: u32, h_px: u32) -> RgbImage {
    let tree = resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default()).unwrap();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(w_px, h_px).unwrap();
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    let sx = w_px as f32 / tree.size().width();
    let sy = h_px as f32 / tree.size().height();
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(sx, sy),
        &mut pixmap.as_mut(),
    );
    let mut img = RgbImage::new(w_px, h_px);
    for (i, p) in pixmap.pixels().iter().enumerate() {
        let c = p.demultiply();
        img.put_pixel(
            i as u32 % w_px,
            i as u32 / w_px,
            image::Rgb([c.red(), c.green(), c.blue()]),
        );
    }
    img
}

fn render_pdf_trim(
    pdf: &std::path::Path,
    page: u32,
    w_px: u32,
    h_px: u32,
    out: &std::path::Path,
) -> RgbImage {
    let slug = (12.0 * PX_PER_MM) as u32;
    let p = page.to_string();
    let stem = out.with_extension("");
    run(
        "pdftoppm",
        &[
            "-r",
            "127",
            "-f",
            &p,
            "-l",
            &p,
            "-x",
            &slug.to_string(),
            "-y",
            &slug.to_string(),
            "-W",
            &w_px.to_string(),
            "-H",
            &h_px.to_string(),
            "-png",
            "-singlefile",
            pdf.to_str().unwrap(),
            stem.to_str().unwrap(),
        ],
    );
    image::open(out).unwrap().to_rgb8()
}

/// (mean absolute difference per channel, fraction of pixels that differ by more than 64 in some channel),
/// after a light blur: the two rasterisers anti-alias edges differently, which is not a difference a merchant
/// could see.
fn compare(a: &RgbImage, b: &RgbImage, diff_out: &std::path::Path) -> (f64, f64) {
    assert_eq!(a.dimensions(), b.dimensions());
    let a = &image::imageops::blur(a, 1.0);
    let b = &image::imageops::blur(b, 1.0);
    let mut sum = 0u64;
    let mut big = 0u64;
    let mut diff = RgbImage::new(a.width(), a.height());
    for (x, y, pa) in a.enumerate_pixels() {
        let pb = b.get_pixel(x, y);
        let d: Vec<u8> = (0..3).map(|i| pa.0[i].abs_diff(pb.0[i])).collect();
        sum += d.iter().map(|&v| v as u64).sum::<u64>();
        let m = *d.iter().max().unwrap();
        if m > 64 {
            big += 1;
        }
        diff.put_pixel(x, y, image::Rgb([255 - m, 255 - m, 255 - m]));
    }
    diff.save(diff_out).unwrap();
    let n = (a.width() * a.height()) as f64;
    (sum as f64 / (n * 3.0), big as f64 / n)
}

#[test]
fn the_preview_looks_like_the_print() {
    let dir = artifacts();
    let cases = [
        (
            Orientation::Vertical,
            PageSize::A6,
            Sides::Single,
            Some("南昌公司 红谷滩店"),
            true,
        ),
        (
            Orientation::Horizontal,
            PageSize::A5,
            Sides::Double,
            Some("辽宁民生事科技股份有限公司 总仓"),
            false,
        ),
        (
            Orientation::Vertical,
            PageSize::Cm10x15,
            Sides::Single,
            None,
            false,
        ),
        (
            Orientation::Horizontal,
            PageSize::A6,
            Sides::Single,
            Some("潍坊二 鲁888888"),
            true,
        ),
    ];
    for (i, (o, size, sides, name, logo)) in cases.into_iter().enumerate() {
        let design = StandDesign {
            orientation: o,
            size,
            sides,
            ..StandDesign::default()
        };
        let assets = SharedAssets {
            logo: logo.then(logo_png),
        };
        let store = StandContent {
            id: "18".into(),
            store_name: name.map(Into::into),
            code_image: code_png(1280, true, 7),
        };
        let (pdf_bytes, _) = render_pdf(&design, &assets, &store).unwrap();
        let pdf = dir.join(format!("compare-{i}.pdf"));
        std::fs::write(&pdf, &pdf_bytes).unwrap();
        let prev = preview(&design, &assets, &store, SvgOptions::default()).unwrap();
        let (w, h) = size.trim_mm(o);
        let (wp, hp) = (
            (w * PX_PER_MM).round() as u32,
            (h * PX_PER_MM).round() as u32,
        );
        for (page, svg) in prev.pages.iter().enumerate() {
            let a = render_svg(svg, wp, hp);
            a.save(dir.join(format!("compare-{i}-p{}-preview.png", page + 1)))
                .unwrap();
            let b = render_pdf_trim(
                &pdf,
                page as u32 + 1,
                wp,
                hp,
                &dir.join(format!("compare-{i}-p{}-pdf.png", page + 1)),
            );
            let (mean, big) = compare(
                &a,
                &b,
                &dir.join(format!("compare-{i}-p{}-diff.png", page + 1)),
            );
            eprintln!(
                "case {i} page {}: mean |Δ| = {mean:.2}, pixels off by > 64: {:.3} %",
                page + 1,
                big * 100.0
            );
            assert!(
                mean < 3.0,
                "case {i} page {}: preview differs from the PDF (mean {mean:.2})",
                page + 1
            );
            assert!(
                big < 0.01,
                "case {i} page {}: {:.2} % of pixels differ a lot",
                page + 1,
                big * 100.0
            );
        }
    }
}

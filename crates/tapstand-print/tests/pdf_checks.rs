//! Real PDFs checked with real tools: poppler (`pdfinfo -box`, `pdffonts`, `pdfimages -list`, `pdftotext`,
//! `pdftoppm`), `qpdf --check`, and the content streams read back with lopdf. PNG renders of every layout and
//! size, with and without a store name, go to `target/e2e-artifacts/print/`.

mod support;

use std::path::Path;

use support::*;
use tapstand_print::layout::{layout_page, PageInput};
use tapstand_print::*;

const STORE: &str = "南昌公司 红谷滩店";

fn content(id: &str, name: Option<&str>, code: Vec<u8>) -> StandContent {
    StandContent {
        id: id.into(),
        store_name: name.map(Into::into),
        code_image: code,
    }
}

fn design(o: Orientation, size: PageSize) -> StandDesign {
    StandDesign {
        orientation: o,
        size,
        ..StandDesign::default()
    }
}

fn sizes() -> Vec<PageSize> {
    vec![
        PageSize::A4,
        PageSize::A5,
        PageSize::A6,
        PageSize::Cm10x15,
        PageSize::Cm15x20,
        PageSize::Custom {
            width_mm: 120.0,
            height_mm: 180.0,
        },
    ]
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Asserts `a` ≈ `b` within 0.05 pt.
fn close(a: [f64; 4], b: [f64; 4], what: &str) {
    for i in 0..4 {
        assert!((a[i] - b[i]).abs() < 0.05, "{what}: {a:?} != {b:?}");
    }
}

/// Every print check on one PDF of one store (`pages` pages of `w`×`h` mm).
fn check_pdf(pdf: &Path, w: f64, h: f64, pages: u32, store_name: Option<&str>, outlined: bool) {
    let p = pdf.to_str().unwrap();
    // Boxes.
    for page in 1..=pages {
        let b = boxes(pdf, page);
        let s = 12.0;
        close(
            b["TrimBox"],
            [s * MM_PT, s * MM_PT, (s + w) * MM_PT, (s + h) * MM_PT],
            "TrimBox",
        );
        close(
            b["BleedBox"],
            [
                (s - 3.0) * MM_PT,
                (s - 3.0) * MM_PT,
                (s + w + 3.0) * MM_PT,
                (s + h + 3.0) * MM_PT,
            ],
            "BleedBox",
        );
        close(
            b["MediaBox"],
            [0.0, 0.0, (w + 2.0 * s) * MM_PT, (h + 2.0 * s) * MM_PT],
            "MediaBox",
        );
        // Trim size is exactly the chosen size.
        let t = b["TrimBox"];
        assert!(
            ((t[2] - t[0]) / MM_PT - w).abs() < 0.02 && ((t[3] - t[1]) / MM_PT - h).abs() < 0.02
        );
    }
    let info = run("pdfinfo", &[p]);
    assert!(
        info.contains(&format!("Pages:           {pages}")),
        "{info}"
    );
    assert!(
        info.contains("Producer:        Tapstand print engine"),
        "{info}"
    );
    assert!(info.contains("Creator:         Tapstand"), "{info}");
    assert!(info.contains("Title:           碰一碰立牌"), "{info}");
    assert!(!info.contains("1970"), "dates must be real: {info}");
    // Fonts: all embedded and subset (or none at all for 转曲).
    let fonts = run("pdffonts", &[p]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    if outlined {
        assert!(
            rows.is_empty(),
            "outlined text must leave no fonts:\n{fonts}"
        );
    } else {
        assert!(!rows.is_empty(), "{fonts}");
        for row in &rows {
            let cols: Vec<&str> = row.split_whitespace().collect();
            // name type... emb sub uni object ID
            let n = cols.len();
            assert_eq!(
                &cols[n - 5..n - 2],
                &["yes", "yes", "yes"],
                "font not embedded+subset+unicode: {row}"
            );
            assert!(
                cols[0].len() > 7 && cols[0].as_bytes()[6] == b'+',
                "subset prefix: {row}"
            );
        }
    }
    // Images: the code at >= 300 ppi, lossless.
    let images = run("pdfimages", &["-list", p]);
    let rows: Vec<Vec<String>> = images
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().map(String::from).collect())
        .collect();
    assert!(rows.len() as u32 >= pages, "{images}");
    for r in &rows {
        // page num type width height color comp bpc enc interp object ID x-ppi y-ppi size ratio
        assert_eq!(r[2], "image", "{images}");
        assert_eq!(r[8], "image", "lossless (Flate) expected: {images}");
        assert!(r[5] == "gray" || r[5] == "cmyk", "{images}");
        let ppi: f64 = r[12].parse().unwrap();
        if r[3] == "1280" {
            assert!(ppi >= 300.0, "code below 300 ppi: {images}");
        }
    }
    // Structure.
    let qpdf = run("qpdf", &["--check", p]);
    assert!(
        qpdf.contains("No syntax or stream encoding errors found"),
        "{qpdf}"
    );
    // Text.
    if !outlined {
        let text = run("pdftotext", &["-layout", p, "-"]);
        if let Some(name) = store_name {
            // A wrapped name comes out as its lines; the name must be there exactly, in order.
            let flat: String = text.split_whitespace().collect();
            let want: String = name.split_whitespace().collect();
            assert!(
                flat.contains(&want),
                "store name {name:?} not found in:\n{text}"
            );
            assert!(text.contains(name.split_whitespace().next().unwrap()));
        }
        assert!(text.contains("碰一碰"), "{text}");
    }
    // Colour: every text and fill in DeviceCMYK; text in K100.
    check_colours(pdf, outlined);
}

/// Reads the content streams: no RGB/gray colour operators anywhere; inside BT…ET the fill is 0 0 0 1 k.
fn check_colours(pdf: &Path, outlined: bool) {
    let doc = lopdf::Document::load(pdf).unwrap();
    for (_, page_id) in doc.get_pages() {
        let content = lopdf::content::Content::decode(&doc.get_page_content(page_id)).unwrap();
        let mut fill: Vec<f64> = vec![];
        let mut in_text = false;
        let mut texts = 0;
        for op in &content.operations {
            let nums: Vec<f64> = op
                .operands
                .iter()
                .filter_map(|o| o.as_float().ok().map(|f| f as f64))
                .collect();
            match op.operator.as_str() {
                "rg" | "RG" | "g" | "G" | "sc" | "scn" | "SC" | "SCN" | "cs" | "CS" => {
                    panic!(
                        "non-CMYK colour operator {} in {}",
                        op.operator,
                        pdf.display()
                    )
                }
                "k" => fill = nums,
                "BT" => in_text = true,
                "ET" => in_text = false,
                "Tj" | "TJ" => {
                    assert!(in_text);
                    assert_eq!(fill, vec![0.0, 0.0, 0.0, 1.0], "text not in K100");
                    texts += 1;
                }
                _ => {}
            }
        }
        if outlined {
            assert_eq!(texts, 0, "outlined PDF still shows text");
        } else {
            assert!(texts > 3);
        }
    }
}

fn page_layout(d: &StandDesign, c: &StandContent, side: Side) -> layout::PageLayout {
    layout_page(
        d,
        &PageInput {
            store_id: &c.id,
            store_name: c.store_name.as_deref(),
            code_px: (1280, 1280),
            logo_px: None,
            side,
        },
    )
    .unwrap()
}

#[test]
fn every_layout_and_size_is_print_ready() {
    let dir = artifacts();
    let code = code_png(1280, true, 18);
    for o in [Orientation::Vertical, Orientation::Horizontal] {
        for size in sizes() {
            for name in [Some(STORE), None] {
                let d = design(o, size);
                let c = content("18", name, code.clone());
                let (bytes, warnings) = render_pdf(&d, &SharedAssets::default(), &c).unwrap();
                assert!(warnings.is_empty(), "{warnings:?}");
                let stem = format!(
                    "{}-{}-{}",
                    slug(&size.label()),
                    match o {
                        Orientation::Vertical => "vertical",
                        Orientation::Horizontal => "horizontal",
                    },
                    if name.is_some() {
                        "with-name"
                    } else {
                        "no-name"
                    }
                );
                let pdf = dir.join(format!("{stem}.pdf"));
                std::fs::write(&pdf, &bytes).unwrap();
                let (w, h) = size.trim_mm(o);
                check_pdf(&pdf, w, h, 1, name, false);
                let layout = page_layout(&d, &c, Side::Front);
                render_and_look(&pdf, 1, &layout, &dir.join(format!("{stem}.png")), 0.2);
                // The live preview of the same stand.
                let prev =
                    preview(&d, &SharedAssets::default(), &c, SvgOptions::default()).unwrap();
                std::fs::write(dir.join(format!("{stem}.svg")), &prev.pages[0]).unwrap();
                assert!((prev.width_mm - w).abs() < 1e-9 && (prev.height_mm - h).abs() < 1e-9);
                // A single page with a 1280 px code stays well under 1 MB.
                assert!(bytes.len() < 1_000_000, "{stem}: {} bytes", bytes.len());
            }
        }
    }
}

#[test]
fn double_sided_stands_have_two_pages_with_the_tap_target_over_the_same_spot() {
    let dir = artifacts();
    let code = code_png(1280, true, 21);
    for o in [Orientation::Vertical, Orientation::Horizontal] {
        let d = StandDesign {
            orientation: o,
            size: PageSize::A5,
            sides: Sides::Double,
            ..StandDesign::default()
        };
        let c = content("21", Some(STORE), code.clone());
        let (bytes, _) = render_pdf(&d, &SharedAssets::default(), &c).unwrap();
        let stem = format!(
            "A5-{}-double",
            if o == Orientation::Vertical {
                "vertical"
            } else {
                "horizontal"
            }
        );
        let pdf = dir.join(format!("{stem}.pdf"));
        std::fs::write(&pdf, &bytes).unwrap();
        let (w, h) = PageSize::A5.trim_mm(o);
        check_pdf(&pdf, w, h, 2, Some(STORE), false);
        let front = page_layout(&d, &c, Side::Front);
        let back = page_layout(&d, &c, Side::Back);
        render_and_look(&pdf, 1, &front, &dir.join(format!("{stem}-front.png")), 0.2);
        render_and_look(&pdf, 2, &back, &dir.join(format!("{stem}-back.png")), 0.2);
        // Seen from behind, the back's tap target is the mirror image of the front's: same sticker.
        assert!((back.nfc_center.0 - (w - front.nfc_center.0)).abs() < 1e-6);
        assert!((back.nfc_center.1 - front.nfc_center.1).abs() < 1e-6);
        let text = run("pdftotext", &[pdf.to_str().unwrap(), "-"]);
        assert!(
            text.contains("正面") && text.contains("背面"),
            "slug labels:\n{text}"
        );
    }
}

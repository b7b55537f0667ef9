//! Exports of many stores (one PDF or one file per store, progress, cancel), double-sided stands, 转曲,
//! resolution checks, long names, missing glyphs, original JPEG pass-through and single-black separations.

mod support;

use std::ops::ControlFlow;
use std::path::Path;
use std::process::Command;

use support::*;
use tapstand_error::UserError;
use tapstand_print::*;

fn store(id: &str, name: Option<&str>, code: Vec<u8>) -> StandContent {
    StandContent {
        id: id.into(),
        store_name: name.map(Into::into),
        code_image: code,
    }
}

fn pdftotext(pdf: &Path) -> String {
    run("pdftotext", &[pdf.to_str().unwrap(), "-"])
}

#[test]
fn many_stores_into_one_pdf_with_progress() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "南昌公司 红谷滩店",
        "吕梁分公司 吕梁第一门店",
        "潍坊二 鲁888888",
    ];
    let stores: Vec<StandContent> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            store(
                &format!("{}", 23 + i),
                Some(n),
                code_png(1280, true, i as u32),
            )
        })
        .collect();
    let design = StandDesign {
        sides: Sides::Double,
        ..StandDesign::default()
    };
    let out = dir.path().join("all.pdf");
    let mut events = Vec::new();
    let report = export(
        &ExportRequest {
            design: &design,
            assets: &SharedAssets::default(),
            stores: &stores,
            target: ExportTarget::OnePdf(out.clone()),
        },
        &mut |p| {
            events.push(p);
            ControlFlow::Continue(())
        },
    )
    .unwrap();
    assert_eq!(report.pages, 6);
    assert_eq!(report.files.len(), 1);
    assert!(report.min_code_ppi > 400.0, "{}", report.min_code_ppi);
    let rendering: Vec<u32> = events
        .iter()
        .filter(|e| e.phase == ExportPhase::Rendering)
        .map(|e| e.done)
        .collect();
    assert_eq!(rendering, vec![1, 2, 3]);
    assert_eq!(events.last().unwrap().phase, ExportPhase::Done);
    let info = run("pdfinfo", &[out.to_str().unwrap()]);
    assert!(info.contains("Pages:           6"), "{info}");
    assert!(info.contains("3 家门店"), "{info}");
    // Each store's name on its pages, in order; each page has only its own image.
    let text = pdftotext(&out);
    let pos: Vec<usize> = names.iter().map(|n| text.find(n).unwrap()).collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{pos:?}");
    let images = run("pdfimages", &["-list", out.to_str().unwrap()]);
    assert_eq!(
        images.lines().skip(2).count(),
        6,
        "one code per page:\n{images}"
    );
    let qpdf = run("qpdf", &["--check", out.to_str().unwrap()]);
    assert!(qpdf.contains("No syntax or stream encoding errors found"));
    // Every page has the right boxes.
    for page in 1..=6 {
        let b = boxes(&out, page);
        assert!((b["TrimBox"][2] - b["TrimBox"][0] - 148.0 * MM_PT).abs() < 0.05);
    }
}

#[test]
fn one_file_per_store_and_cancel_leaves_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let stores: Vec<StandContent> = (0..4)
        .map(|i| {
            store(
                &format!("{}", 18 + i),
                Some("秦皇岛 秦皇岛一号库"),
                code_png(1280, false, i),
            )
        })
        .collect();
    let design = StandDesign {
        orientation: Orientation::Horizontal,
        size: PageSize::A6,
        ..StandDesign::default()
    };
    let report = export(
        &ExportRequest {
            design: &design,
            assets: &SharedAssets::default(),
            stores: &stores,
            target: ExportTarget::FilePerStore(dir.path().join("out")),
        },
        &mut |_| ControlFlow::Continue(()),
    )
    .unwrap();
    assert_eq!(report.files.len(), 4);
    for f in &report.files {
        assert!(Path::new(&f.path).exists());
        assert!(
            f.path.ends_with("-秦皇岛_秦皇岛一号库-A6-横版.pdf"),
            "{}",
            f.path
        );
        let text = pdftotext(Path::new(&f.path));
        assert!(text.contains("秦皇岛 秦皇岛一号库"), "{text}");
    }
    // Same names: distinct files.
    let same = vec![store("", Some("同名店"), code_png(1280, false, 1)); 2];
    let r = export(
        &ExportRequest {
            design: &design,
            assets: &SharedAssets::default(),
            stores: &same,
            target: ExportTarget::FilePerStore(dir.path().join("same")),
        },
        &mut |_| ControlFlow::Continue(()),
    )
    .unwrap();
    assert_ne!(r.files[0].path, r.files[1].path);

    // Cancel while rendering into one PDF: nothing on disk.
    let out = dir.path().join("cancelled.pdf");
    let err = export(
        &ExportRequest {
            design: &design,
            assets: &SharedAssets::default(),
            stores: &stores,
            target: ExportTarget::OnePdf(out.clone()),
        },
        &mut |p| {
            if p.phase == ExportPhase::Rendering && p.done == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    )
    .unwrap_err();
    assert!(matches!(err, PrintError::Cancelled));
    assert!(!out.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn outlined_text_has_no_fonts_and_looks_the_same() {
    let dir = artifacts();
    let s = store("18", Some("南昌公司 红谷滩店"), code_png(1280, true, 3));
    let base = StandDesign::default();
    let outlined = StandDesign {
        outline_text: true,
        ..base.clone()
    };
    let (a, _) = render_pdf(&base, &SharedAssets::default(), &s).unwrap();
    let (b, _) = render_pdf(&outlined, &SharedAssets::default(), &s).unwrap();
    let (pa, pb) = (dir.join("outline-off.pdf"), dir.join("outline-on.pdf"));
    std::fs::write(&pa, &a).unwrap();
    std::fs::write(&pb, &b).unwrap();
    let fonts = run("pdffonts", &[pb.to_str().unwrap()]);
    assert_eq!(
        fonts.lines().count(),
        2,
        "转曲 must leave no fonts:\n{fonts}"
    );
    assert!(pdftotext(&pb).trim().is_empty());
    let qpdf = run("qpdf", &["--check", pb.to_str().unwrap()]);
    assert!(qpdf.contains("No syntax or stream encoding errors found"));
    // Rendered, the two are the same picture.
    for (p, stem) in [(&pa, "outline-off"), (&pb, "outline-on")] {
        run(
            "pdftoppm",
            &[
                "-r",
                "100",
                "-png",
                "-singlefile",
                p.to_str().unwrap(),
                dir.join(stem).to_str().unwrap(),
            ],
        );
    }
    let ia = image::open(dir.join("outline-off.png")).unwrap().to_luma8();
    let ib = image::open(dir.join("outline-on.png")).unwrap().to_luma8();
    let ia = image::imageops::blur(&ia, 1.0);
    let ib = image::imageops::blur(&ib, 1.0);
    let diff: u64 = ia
        .pixels()
        .zip(ib.pixels())
        .map(|(x, y)| x.0[0].abs_diff(y.0[0]) as u64)
        .sum();
    let mean = diff as f64 / (ia.width() * ia.height()) as f64;
    assert!(
        mean < 1.0,
        "outlined text renders differently (mean {mean:.2})"
    );
}

/// One store's print warnings, or the problem that stops its export: what [`render_pdf`] checks first, as
/// [`export`] does for every store before it writes anything.
fn checked(design: &StandDesign, store: &StandContent) -> Result<Vec<PrintWarning>, PrintError> {
    render_pdf(design, &SharedAssets::default(), store).map(|(_, warnings)| warnings)
}

#[test]
fn resolution_is_checked() {
    // 430 px (WeChat's default width) on A6 (code 50 mm): 218 ppi, printable with a warning.
    let a6 = StandDesign {
        size: PageSize::A6,
        ..StandDesign::default()
    };
    let s = store("18", None, code_png(430, false, 1));
    let w = checked(&a6, &s).unwrap();
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].code, "print.code_low_ppi");
    assert!(w[0].zh.contains("1280"), "{}", w[0].zh);
    // The same code on A4 (80 mm): 137 ppi, refused before anything is written.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a4.pdf");
    let err = export(
        &ExportRequest {
            design: &StandDesign {
                size: PageSize::A4,
                ..StandDesign::default()
            },
            assets: &SharedAssets::default(),
            stores: &[store("1", None, code_png(1280, false, 1)), s.clone()],
            target: ExportTarget::OnePdf(out.clone()),
        },
        &mut |_| ControlFlow::Continue(()),
    )
    .unwrap_err();
    assert!(
        matches!(err.root(), PrintError::LowResolution { .. }),
        "{err}"
    );
    assert!(!out.exists());
    let user: UserError = err.into();
    assert_eq!(user.code, "print.low_resolution");
    assert!(
        user.zh.message.starts_with("门店 18"),
        "{}",
        user.zh.message
    );
    assert!(user.zh.remedy.contains("更大的小程序码") && user.zh.remedy.contains("更小的尺寸"));
    // Asking for a smaller code makes it printable.
    let small_code = StandDesign {
        size: PageSize::A4,
        code_mm: Some(50.0),
        ..StandDesign::default()
    };
    assert!(checked(&small_code, &s).is_ok());
}

#[test]
fn long_names_wrap_or_are_refused_and_missing_glyphs_are_named() {
    let dir = artifacts();
    let long = "辽宁民生事科技股份有限公司沈阳市和平区太原街第一百货商店 总仓";
    let design = StandDesign {
        size: PageSize::A6,
        ..StandDesign::default()
    };
    let s = store("18", Some(long), code_png(1280, false, 2));
    let (bytes, _) = render_pdf(&design, &SharedAssets::default(), &s).unwrap();
    let pdf = dir.join("A6-vertical-long-name.pdf");
    std::fs::write(&pdf, bytes).unwrap();
    run(
        "pdftoppm",
        &[
            "-r",
            "80",
            "-png",
            "-singlefile",
            pdf.to_str().unwrap(),
            dir.join("A6-vertical-long-name").to_str().unwrap(),
        ],
    );
    let flat: String = pdftotext(&pdf).split_whitespace().collect();
    let want: String = long.split_whitespace().collect();
    assert!(flat.contains(&want), "{flat}");
    // Every text line lies inside the page's safe area.
    let page = layout::layout_page(
        &design,
        &layout::PageInput {
            store_id: "18",
            store_name: Some(long),
            code_px: (1280, 1280),
            logo_px: None,
            side: Side::Front,
        },
    )
    .unwrap();
    for item in &page.items {
        if let draw::Item::Text(t) = item {
            assert!(t.x >= 4.99 && t.x + t.width <= page.trim_w - 4.99, "{t:?}");
        }
    }
    // Far too long: refused with what to do.
    let silly = "很".repeat(120);
    let err = checked(&design, &store("1", Some(&silly), code_png(1280, false, 2))).unwrap_err();
    assert!(matches!(err.root(), PrintError::TextTooLong { .. }));
    let user: UserError = err.into();
    assert!(
        user.zh.remedy.contains("缩短门店名称"),
        "{}",
        user.zh.remedy
    );
    // A character the bundled font lacks is named, not printed as a box.
    let err = checked(
        &design,
        &store("1", Some("𠮷野家 旗舰店"), code_png(1280, false, 2)),
    )
    .unwrap_err();
    match err.root() {
        PrintError::MissingGlyphs { chars, .. } => assert_eq!(chars, "𠮷"),
        e => panic!("{e}"),
    }
    // Names written with the 通用规范汉字表 characters outside GB2312 print.
    assert!(checked(
        &design,
        &store("1", Some("喆玥堃犇垚珺 昇璟"), code_png(1280, false, 2))
    )
    .is_ok());
}

#[test]
fn original_jpeg_is_passed_through_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let jpg = jpeg(&code_image(1280, true, 9));
    let design = StandDesign {
        image_color: ImageColor::Original,
        ..StandDesign::default()
    };
    let (bytes, _) = render_pdf(
        &design,
        &SharedAssets::default(),
        &store("1", None, jpg.clone()),
    )
    .unwrap();
    let pdf = dir.path().join("jpeg.pdf");
    std::fs::write(&pdf, bytes).unwrap();
    let list = run("pdfimages", &["-list", pdf.to_str().unwrap()]);
    assert!(list.lines().nth(2).unwrap().contains(" jpeg "), "{list}");
    run(
        "pdfimages",
        &[
            "-j",
            pdf.to_str().unwrap(),
            dir.path().join("x").to_str().unwrap(),
        ],
    );
    let extracted = std::fs::read(dir.path().join("x-000.jpg")).unwrap();
    assert_eq!(extracted, jpg, "the JPEG must be embedded unchanged");
    // Print-ready (default): the same JPEG is decoded once and stored losslessly, never re-encoded.
    let (bytes, _) = render_pdf(
        &StandDesign::default(),
        &SharedAssets::default(),
        &store("1", None, jpg),
    )
    .unwrap();
    std::fs::write(&pdf, bytes).unwrap();
    let list = run("pdfimages", &["-list", pdf.to_str().unwrap()]);
    let row: Vec<&str> = list.lines().nth(2).unwrap().split_whitespace().collect();
    assert_eq!(
        (row[3], row[4], row[5], row[8]),
        ("1280", "1280", "cmyk", "image"),
        "{list}"
    );
}

#[test]
fn text_and_code_print_on_the_black_plate_only() {
    // Ghostscript's ink coverage: with a grey (K-only) accent colour, no crop marks and a black-and-white
    // code, nothing may land on the C, M or Y plates: text, code and the tap target are all single black.
    if Command::new("gs").arg("--version").output().is_err() {
        eprintln!("ghostscript not installed: skipped (apt-get install ghostscript)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let design = StandDesign {
        brand_color: Cmyk::new(0.0, 0.0, 0.0, 0.6),
        crop_marks: false,
        ..StandDesign::default()
    };
    let jpg = jpeg(&code_image(1280, false, 4)); // JPEG noise must not leak colour either
    let (bytes, _) = render_pdf(
        &design,
        &SharedAssets::default(),
        &store("1", Some("南昌公司 红谷滩店"), jpg),
    )
    .unwrap();
    let pdf = dir.path().join("k.pdf");
    std::fs::write(&pdf, bytes).unwrap();
    let out = run(
        "gs",
        &["-q", "-o", "-", "-sDEVICE=inkcov", pdf.to_str().unwrap()],
    );
    let v: Vec<f64> = out
        .split_whitespace()
        .take(4)
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(&v[..3], &[0.0, 0.0, 0.0], "ink on C/M/Y: {out}");
    assert!(v[3] > 0.05, "{out}");
    // With the default (green) accent and crop marks, colour appears only where expected.
    let (bytes, _) = render_pdf(
        &StandDesign::default(),
        &SharedAssets::default(),
        &store("1", None, code_png(1280, false, 4)),
    )
    .unwrap();
    std::fs::write(&pdf, bytes).unwrap();
    let out = run(
        "gs",
        &["-q", "-o", "-", "-sDEVICE=inkcov", pdf.to_str().unwrap()],
    );
    let v: Vec<f64> = out
        .split_whitespace()
        .take(4)
        .map(|x| x.parse().unwrap())
        .collect();
    assert!(v[0] > 0.0 && v[2] > 0.0, "{out}");
}

/// Stores handed out one at a time, like the app's cache reader; `fail_on` = (store, which load) fails.
struct Counted {
    stores: Vec<StandContent>,
    loads: Vec<std::sync::atomic::AtomicUsize>,
    fail_on: Option<(usize, usize)>,
}

impl Counted {
    fn new(stores: Vec<StandContent>, fail_on: Option<(usize, usize)>) -> Counted {
        let loads = (0..stores.len())
            .map(|_| std::sync::atomic::AtomicUsize::new(0))
            .collect();
        Counted {
            stores,
            loads,
            fail_on,
        }
    }
}

impl StoreSource for Counted {
    fn len(&self) -> usize {
        self.stores.len()
    }
    fn load(&self, i: usize) -> Result<std::borrow::Cow<'_, StandContent>, PrintError> {
        let k = self.loads[i].fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if self.fail_on == Some((i, k)) {
            return Err(PrintError::Source(Box::new(UserError::new(
                "print.code_missing",
                ("门店的小程序码不见了。", "请重新获取。"),
                ("The store's code is gone.", "Fetch it again."),
            ))));
        }
        // An owned copy, as a loader reading from disk hands out.
        Ok(std::borrow::Cow::Owned(self.stores[i].clone()))
    }
}

fn page_png(pdf: &Path, page: u32, stem: &Path) -> image::GrayImage {
    let p = page.to_string();
    run(
        "pdftoppm",
        &[
            "-r",
            "50",
            "-png",
            "-singlefile",
            "-f",
            &p,
            "-l",
            &p,
            pdf.to_str().unwrap(),
            stem.to_str().unwrap(),
        ],
    );
    image::open(stem.with_extension("png")).unwrap().to_luma8()
}

#[test]
fn one_pdf_in_chunks_is_one_valid_document() {
    let dir = artifacts().join("chunked");
    std::fs::create_dir_all(&dir).unwrap();
    let names = [
        "南昌公司 红谷滩店",
        "吕梁分公司 吕梁第一门店",
        "潍坊二 鲁888888",
        "秦皇岛 秦皇岛一号库",
        "九江公司 浔阳店",
        "喆玥堃 旗舰店",
        "沈阳 太原街店",
    ];
    let stores: Vec<StandContent> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            store(
                &format!("{}", 40 + i),
                Some(n),
                code_png(1280, i % 2 == 0, 100 + i as u32),
            )
        })
        .collect();
    let design = StandDesign {
        show_store_name: true,
        ..StandDesign::default()
    };
    let assets = SharedAssets {
        logo: Some(logo_png()),
    };
    let source = Counted::new(stores.clone(), None);
    let out = dir.join("seven-in-chunks-of-three.pdf");
    let _ = std::fs::remove_file(&out);
    let report = export_chunked(
        &ExportRequest {
            design: &design,
            assets: &assets,
            stores: &source,
            target: ExportTarget::OnePdf(out.clone()),
        },
        3,
        &mut |_| ControlFlow::Continue(()),
    )
    .unwrap();
    // Each store loaded once to check it and once to draw it, never kept.
    for l in &source.loads {
        assert_eq!(l.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
    assert_eq!(report.pages, 7);
    assert_eq!(report.files[0].store_ids.len(), 7);
    assert_eq!(
        report.files[0].size_bytes as u64,
        std::fs::metadata(&out).unwrap().len()
    );
    let p = out.to_str().unwrap();
    let qpdf = run("qpdf", &["--check", p]);
    assert!(
        qpdf.contains("No syntax or stream encoding errors found"),
        "{qpdf}"
    );
    let info = run("pdfinfo", &[p]);
    assert!(info.contains("Pages:           7"), "{info}");
    assert!(
        info.lines()
            .any(|l| l.starts_with("PDF version:") && l.trim_end().ends_with(" 1.4")),
        "{info}"
    );
    assert!(info.contains("7 家门店"), "{info}");
    assert!(info.contains("碰一碰立牌工作台"), "{info}");
    // The names in order, across the chunk boundaries.
    let text = pdftotext(&out);
    let pos: Vec<usize> = names
        .iter()
        .map(|n| {
            text.find(n)
                .unwrap_or_else(|| panic!("{n} missing:\n{text}"))
        })
        .collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{pos:?}");
    // Every page: the code and the logo, and only those (its own resources).
    let images = run("pdfimages", &["-list", p]);
    let mut per_page = [0u32; 7];
    for row in images.lines().skip(2) {
        let page: usize = row.split_whitespace().next().unwrap().parse().unwrap();
        per_page[page - 1] += 1;
    }
    assert_eq!(per_page, [2; 7], "{images}");
    // Boxes on every page, as a single document has them.
    let (single, _) = render_pdf(&design, &assets, &stores[0]).unwrap();
    let single_pdf = dir.join("store-40-alone.pdf");
    std::fs::write(&single_pdf, &single).unwrap();
    let want = boxes(&single_pdf, 1);
    assert!((want["TrimBox"][2] - want["TrimBox"][0] - 148.0 * MM_PT).abs() < 0.05);
    for page in 1..=7 {
        assert_eq!(boxes(&out, page), want, "page {page}");
    }
    // Fonts embedded (one subset per chunk and weight).
    let fonts = run("pdffonts", &[p]);
    for row in fonts.lines().skip(2) {
        assert!(row.contains(" yes yes "), "{fonts}");
    }
    // Pages from the first, middle and last chunk look exactly as each store's own PDF.
    for (page, i) in [(1u32, 0usize), (4, 3), (7, 6)] {
        let (alone, _) = render_pdf(&design, &assets, &stores[i]).unwrap();
        let alone_pdf = dir.join(format!("store-{i}-alone.pdf"));
        std::fs::write(&alone_pdf, &alone).unwrap();
        let a = page_png(&out, page, &dir.join(format!("chunked-p{page}")));
        let b = page_png(&alone_pdf, 1, &dir.join(format!("alone-{i}")));
        assert_eq!(a.dimensions(), b.dimensions());
        assert!(a == b, "page {page} differs from store {i} exported alone");
    }
}

#[test]
fn a_store_that_fails_while_drawing_leaves_the_old_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let stores: Vec<StandContent> = (0..7)
        .map(|i| store(&format!("{}", 60 + i), None, code_png(1280, false, i)))
        .collect();
    let out = dir.path().join("stands.pdf");
    std::fs::write(&out, b"the previous export").unwrap();
    // Store 5 checks fine, then cannot be read when its page is drawn (after two chunks were written).
    let source = Counted::new(stores, Some((5, 2)));
    let err = export_chunked(
        &ExportRequest {
            design: &StandDesign::default(),
            assets: &SharedAssets::default(),
            stores: &source,
            target: ExportTarget::OnePdf(out.clone()),
        },
        2,
        &mut |_| ControlFlow::Continue(()),
    )
    .unwrap_err();
    let user: UserError = err.into();
    assert_eq!(user.code, "print.code_missing");
    assert_eq!(std::fs::read(&out).unwrap(), b"the previous export");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        vec!["stands.pdf".to_string()],
        "left behind: {names:?}"
    );
}

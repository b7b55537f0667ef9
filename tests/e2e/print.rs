//! 物料 through the real window, against the fake WeChat server: a profile with its AppSecret (typed into
//! the UI, kept in the keychain) and two stores, then pick both on the 物料 page, export one PDF (the codes
//! are fetched with getwxacodeunlimit and cached) and one file per store (no further call), and check the
//! files as a print shop would: boxes, fonts, images, structure, text, and a rendered page.
//!
//! The native save dialog cannot be driven through WebDriver: `scripts/lib/e2e-inner.sh` sets
//! `TAPSTAND_E2E_SAVE_DIR`, and the page then saves there under the name the dialog would have proposed
//! (`print_e2e_save_path`). Everything else is the path a merchant takes.

use std::path::{Path, PathBuf};

use tapstand_fake_wechat::{DEMO_APPID, DEMO_SECRET};
use tapstand_print::layout::{layout_page, PageInput};
use tapstand_print::{Orientation, PageSize, Side, StandDesign};

use crate::harness::{artifacts_dir, temp_data_dir, App, Fake};

#[path = "../../crates/tapstand-print/tests/support/mod.rs"]
mod support;
use support::{boxes, run, MM_PT};

const STORES: [(&str, &str); 2] = [("1001", "南昌公司红谷滩店"), ("1002", "九江公司浔阳店")];

async fn shots(app: &App, name: &str) {
    app.screenshot(&format!("print-{name}-zh-CN")).await;
    app.switch_language("en-US").await;
    app.screenshot(&format!("print-{name}-en-US")).await;
    app.switch_language("zh-CN").await;
}

fn row(key: &str) -> String {
    format!("[data-testid=print-store-row][data-key=\"{key}\"]")
}

fn save_dir() -> PathBuf {
    PathBuf::from(
        std::env::var_os("TAPSTAND_E2E_SAVE_DIR").expect(
            "TAPSTAND_E2E_SAVE_DIR is not set: run the end-to-end tests with scripts/e2e.sh",
        ),
    )
}

fn close(a: [f64; 4], b: [f64; 4], what: &str) {
    for i in 0..4 {
        assert!((a[i] - b[i]).abs() < 0.05, "{what}: {a:?} != {b:?}");
    }
}

/// What a print shop checks, on a real exported file.
fn check_pdf(pdf: &Path, w: f64, h: f64, names: &[&str]) {
    let p = pdf.to_str().unwrap();
    let pages = names.len() as u32;
    let info = run("pdfinfo", &[p]);
    assert!(
        info.contains(&format!("Pages:           {pages}")),
        "{info}"
    );
    for page in 1..=pages {
        // TrimBox = the chosen size, BleedBox = trim + 3 mm on every side (12 mm of paper around the trim).
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
    }
    // Every font embedded and subset, with Unicode.
    let fonts = run("pdffonts", &[p]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for r in &rows {
        let cols: Vec<&str> = r.split_whitespace().collect();
        let n = cols.len();
        assert_eq!(&cols[n - 5..n - 2], &["yes", "yes", "yes"], "{fonts}");
        assert_eq!(cols[0].as_bytes()[6], b'+', "subset prefix: {fonts}");
    }
    // The code: one per store, 1280 px, ≥ 300 ppi, lossless (Flate "image", never re-encoded as JPEG).
    let images = run("pdfimages", &["-list", p]);
    let codes: Vec<Vec<&str>> = images
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|r| r[3] == "1280")
        .collect();
    assert_eq!(codes.len(), names.len(), "{images}");
    for r in &codes {
        assert_eq!(
            r[8], "image",
            "lossless (Flate) expected, not {}: {images}",
            r[8]
        );
        let ppi: f64 = r[12].parse().unwrap();
        assert!(ppi >= 300.0, "code below 300 ppi: {images}");
    }
    let qpdf = run("qpdf", &["--check", p]);
    assert!(
        qpdf.contains("No syntax or stream encoding errors found"),
        "{qpdf}"
    );
    // The store names in Chinese, exactly, one per page in order.
    for (i, name) in names.iter().enumerate() {
        let pg = (i + 1).to_string();
        let text = run("pdftotext", &["-f", &pg, "-l", &pg, p, "-"]);
        assert!(text.contains(name), "page {pg}: {name} not in {text:?}");
    }
}

/// Renders page `page` and checks it is not blank where the code and the NFC tap zone are.
fn render_and_look(pdf: &Path, page: u32, design: &StandDesign, name: &str, out: &Path) {
    let layout = layout_page(
        design,
        &PageInput {
            store_id: "",
            store_name: Some(name),
            code_px: (1280, 1280),
            logo_px: None,
            side: Side::Front,
        },
    )
    .unwrap();
    // The fake's code images are sparser than a real 小程序码: a lower bar for the code area.
    support::render_and_look(pdf, page, &layout, out, 0.05);
}

/// Waits until the textContent of `css` contains `needle` (WebDriver's element text is empty for what is
/// scrolled out of view; this page is taller than the window).
async fn wait_content(app: &App, css: &str, needle: &str) {
    let script =
        format!("const e = document.querySelector('{css}'); return e ? e.textContent : null;");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let text = app.js(&script, vec![]).await;
        if text.as_str().is_some_and(|t| t.contains(needle)) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{css} never contained {needle:?}; last: {text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Scrolls `css` to the middle of the window, then clicks it (this page is taller than the window, and an
/// element at the very top would sit under the app bar).
async fn click_centered(app: &App, css: &str) {
    app.wait(css).await;
    app.js(
        &format!(
            "document.querySelector('{css}').scrollIntoView({{ block: 'center' }}); return true;"
        ),
        vec![],
    )
    .await;
    app.click(css).await;
}

async fn result_files(app: &App) -> Vec<PathBuf> {
    app.wait("[data-testid=print-result]").await;
    let paths = app
        .js(
            r#"return [...document.querySelectorAll('[data-testid=print-result-file]')].map((e) => e.dataset.path);"#,
            vec![],
        )
        .await;
    paths
        .as_array()
        .unwrap()
        .iter()
        .map(|p| PathBuf::from(p.as_str().unwrap()))
        .collect()
}

#[tokio::test]
#[ignore = "end-to-end: run scripts/e2e.sh"]
async fn pick_two_stores_and_export_print_ready_pdfs() {
    Fake::reset_demo();
    let saves = save_dir();
    let _ = std::fs::remove_dir_all(&saves);
    std::fs::create_dir_all(&saves).unwrap();
    let dir = temp_data_dir("print");
    let app = App::launch(dir.path()).await;

    // Before anything is set up, the page says what to do first.
    app.click("[data-testid=wizard-skip]").await;
    app.wait("[data-testid=credentials-empty]").await;
    app.click("[data-testid=nav-print]").await;
    app.wait("[data-testid=print-no-profile]").await;
    shots(&app, "no-profile").await;

    // A profile with its AppSecret (typed into the UI; it goes to the keychain), and two stores.
    app.click("[data-testid=nav-credentials]").await;
    app.click("[data-testid=credentials-add-empty]").await;
    app.fill("[data-testid=profile-name]", "会员中心").await;
    app.fill("[data-testid=profile-appid]", DEMO_APPID).await;
    app.fill("[data-testid=profile-page-path]", "pages/member/card")
        .await;
    app.click("[data-testid=profile-save]").await;
    app.wait("[data-testid=secret-card]").await;
    app.fill("[data-testid=secret-input]", DEMO_SECRET).await;
    app.click("[data-testid=secret-save]").await;
    app.wait("[data-testid=secret-masked]").await;
    app.click("[data-testid=nav-stores]").await;
    for (code, name) in STORES {
        app.click("[data-testid=stores-add]").await;
        app.fill("[data-testid=store-org-code]", code).await;
        app.fill("[data-testid=store-name]", name).await;
        app.click("[data-testid=store-save]").await;
        app.wait(&format!("[data-testid=store-row][data-key=\"{code}\"]"))
            .await;
    }

    // 物料: both stores listed, their codes not fetched yet.
    app.click("[data-testid=nav-print]").await;
    app.wait("[data-testid=print-preview-svg] svg").await;
    for (code, _) in STORES {
        app.wait_attr(
            &format!("{} [data-testid=print-code-status]", row(code)),
            "data-status",
            "missing",
        )
        .await;
    }
    app.wait("[data-testid=print-sample-note]").await;
    shots(&app, "start").await;

    // Pick both: the preview follows the store, with its name.
    for (code, _) in STORES {
        app.click(&format!("{} .n-checkbox", row(code))).await;
    }
    wait_content(&app, "[data-testid=print-export-button]", "2").await;
    wait_content(&app, "[data-testid=print-will-fetch]", "2").await;
    app.click(&format!("{} td:nth-child(3)", row("1001"))).await;
    wait_content(
        &app,
        "[data-testid=print-preview-store]",
        "南昌公司红谷滩店",
    )
    .await;
    // The store name switch changes the preview (text is drawn as glyph outlines, as in the PDF), and back.
    let svg = || async {
        app.js(
            "return document.querySelector('[data-testid=print-preview-svg]').innerHTML",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    };
    let with_name = svg().await;
    assert!(with_name.contains("<svg"), "{with_name}");
    // Waits until the preview's SVG satisfies `ok`.
    let wait_svg = |what: &'static str, ok: Box<dyn Fn(&str) -> bool>| {
        let svg = &svg;
        async move {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            loop {
                let now = svg().await;
                if ok(&now) {
                    return now;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "the preview did not follow the store-name switch: {what}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    };
    app.click("[data-testid=print-store-name]").await;
    let n = with_name.len();
    let without = wait_svg("name off", Box::new(move |s| s.len() < n)).await;
    app.click("[data-testid=print-store-name]").await;
    let m = without.len();
    wait_svg("name on again", Box::new(move |s| s.len() > m)).await;
    wait_content(&app, "[data-testid=print-preview-meta]", "ppi").await;
    shots(&app, "selected").await;

    // Export into one PDF: both codes fetched (one call each), then cached.
    let before = Fake::calls("get_wxa_code_unlimit");
    app.click("[data-testid=print-export-button]").await;
    let files = result_files(&app).await;
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(Fake::calls("get_wxa_code_unlimit") - before, 2);
    let pdf = &files[0];
    assert!(pdf.starts_with(&saves), "{}", pdf.display());
    assert!(pdf.exists(), "{}", pdf.display());
    let names: Vec<&str> = STORES.iter().map(|(_, n)| *n).collect();
    check_pdf(pdf, 148.0, 210.0, &names);
    let design = StandDesign {
        orientation: Orientation::Vertical,
        size: PageSize::A5,
        ..StandDesign::default()
    };
    for (i, name) in names.iter().enumerate() {
        render_and_look(
            pdf,
            i as u32 + 1,
            &design,
            name,
            &artifacts_dir().join(format!("print-export-page{}.png", i + 1)),
        );
    }
    for (code, _) in STORES {
        app.wait_attr(
            &format!("{} [data-testid=print-code-status]", row(code)),
            "data-status",
            "cached",
        )
        .await;
    }
    app.wait("[data-testid=print-open-folder]").await;
    // The preview now shows the store's real code (no grey stand-in any more).
    app.wait_gone("[data-testid=print-sample-note]").await;
    shots(&app, "exported").await;

    // One file per store, horizontal: the cached codes, no further call.
    click_centered(&app, "[data-testid=print-layout-horizontal]").await;
    click_centered(&app, "[data-testid=print-per-store]").await;
    click_centered(&app, "[data-testid=print-export-button]").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while app.count("[data-testid=print-result-file]").await != 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "no result for the per-store export"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let files = result_files(&app).await;
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(
        Fake::calls("get_wxa_code_unlimit") - before,
        2,
        "the second export uses the cache"
    );
    for (f, name) in files.iter().zip(names.iter()) {
        assert!(f.exists(), "{}", f.display());
        check_pdf(f, 210.0, 148.0, &[name]);
    }
    shots(&app, "exported-per-store").await;
    app.quit().await;
}

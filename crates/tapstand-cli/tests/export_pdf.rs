//! `tapstand-cli export-pdf`: a real run of the binary, checked with poppler.

use std::process::Command;

const CLI: &str = env!("CARGO_BIN_EXE_tapstand-cli");

/// A black-and-white 1280 px stand-in for a mini-program code.
fn code_png(px: u32, path: &std::path::Path) {
    let img = image::GrayImage::from_fn(px, px, |x, y| {
        let m = px / 40;
        image::Luma([if (x / m * 7 + y / m * 3) % 5 < 2 {
            0
        } else {
            255
        }])
    });
    img.save(path).unwrap();
}

fn cli(args: &[&str], data: &std::path::Path) -> std::process::Output {
    Command::new(CLI)
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap()
}

#[test]
fn export_pdf_writes_a_print_ready_file() {
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("code.png");
    code_png(1280, &code);
    let out = dir.path().join("stand.pdf");
    let o = cli(
        &[
            "--json",
            "export-pdf",
            "--code-image",
            code.to_str().unwrap(),
            "--layout",
            "horizontal",
            "--size",
            "A5",
            "--store-name",
            "南昌公司 红谷滩店",
            "--double-sided",
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["pages"], 2);
    assert!(report["min_code_ppi"].as_f64().unwrap() >= 300.0);
    let info = Command::new("pdfinfo")
        .args(["-box", out.to_str().unwrap()])
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("Pages:           2"), "{info}");
    // A5 landscape trim (210 × 148 mm) at a 12 mm offset.
    assert!(
        info.contains("TrimBox:            34.02    34.02   629.29   453.54"),
        "{info}"
    );
    let text = Command::new("pdftotext")
        .args([out.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("南昌公司 红谷滩店"));
}

#[test]
fn a_code_too_small_for_the_size_is_refused_with_a_remedy() {
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("small.png");
    code_png(430, &code);
    let out = dir.path().join("a4.pdf");
    let o = cli(
        &[
            "export-pdf",
            "--code-image",
            code.to_str().unwrap(),
            "--size",
            "A4",
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("print.low_resolution") && err.contains("1280"),
        "{err}"
    );
    assert!(!out.exists());
    // Bad arguments are usage errors (exit 2).
    let o = cli(
        &[
            "export-pdf",
            "--code-image",
            "x.png",
            "--layout",
            "diagonal",
            "--out",
            "x.pdf",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
}

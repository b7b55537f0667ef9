//! Benchmark driver for `scripts/bench-print.sh` (not a test).
//!
//!   bench_export gen DIR N          write N distinct 1280 px mini-program-code stand-ins as JPEG (what
//!                                   getwxacodeunlimit returns by default), with a coloured avatar
//!   bench_export export DIR OUT     export every image in DIR as one store each into one PDF (A5 vertical,
//!                                   store names printed); prints the time spent in the engine
//!   bench_export export-files DIR OUTDIR   the same, one PDF per store
//!   bench_export single IMAGE OUT   one store, one page

#[path = "../tests/support/mod.rs"]
mod support;

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

use tapstand_print::*;

const NAMES: [&str; 6] = [
    "南昌公司 红谷滩店",
    "吕梁分公司 吕梁第一门店",
    "辽宁民生事科技股份有限公司 总仓",
    "秦皇岛 秦皇岛一号库",
    "太原分公司 太原第一门店",
    "潍坊二 鲁888888",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("gen") => {
            let dir = PathBuf::from(&args[1]);
            let n: u32 = args[2].parse().unwrap();
            std::fs::create_dir_all(&dir).unwrap();
            for i in 0..n {
                let img = support::code_image(1280, true, i);
                std::fs::write(dir.join(format!("{i:04}.jpg")), support::jpeg(&img)).unwrap();
            }
        }
        Some(mode @ ("export" | "export-files")) => {
            let per_store = mode == "export-files";
            let dir = PathBuf::from(&args[1]);
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            let t0 = Instant::now();
            let stores: Vec<StandContent> = files
                .iter()
                .enumerate()
                .map(|(i, f)| StandContent {
                    id: format!("{}", 18 + i),
                    store_name: Some(format!("{} {}号", NAMES[i % NAMES.len()], i + 1)),
                    code_image: std::fs::read(f).unwrap(),
                })
                .collect();
            // BENCH_CHUNK_STORES: stores per chunk of the one-PDF export (default DEFAULT_CHUNK_STORES).
            let chunk = std::env::var("BENCH_CHUNK_STORES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_CHUNK_STORES);
            let report = export_chunked(
                &ExportRequest {
                    design: &StandDesign::default(),
                    assets: &SharedAssets::default(),
                    stores: &stores,
                    target: if per_store {
                        ExportTarget::FilePerStore(PathBuf::from(&args[2]))
                    } else {
                        ExportTarget::OnePdf(PathBuf::from(&args[2]))
                    },
                },
                chunk,
                &mut |_| ControlFlow::Continue(()),
            )
            .unwrap();
            println!(
                "stores={} pages={} files={} bytes={} seconds={:.3} min_ppi={:.0}",
                report.stores,
                report.pages,
                report.files.len(),
                report
                    .files
                    .iter()
                    .map(|f| f.size_bytes as u64)
                    .sum::<u64>(),
                t0.elapsed().as_secs_f64(),
                report.min_code_ppi
            );
        }
        Some("profile") => {
            // Where the time goes, per step, for one code image.
            let bytes = std::fs::read(&args[1]).unwrap();
            let store = StandContent {
                id: "18".into(),
                store_name: Some(NAMES[0].into()),
                code_image: bytes.clone(),
            };
            let d = StandDesign::default();
            let t = Instant::now();
            for _ in 0..5 {
                image::load_from_memory(&bytes).unwrap();
            }
            println!("decode: {:.1} ms", t.elapsed().as_secs_f64() * 1000.0 / 5.0);
            let t = Instant::now();
            for _ in 0..5 {
                raster::prepare(&bytes, error::ImageRole::Code, ImageColor::PrintReady).unwrap();
            }
            println!(
                "prepare (decode+convert+deflate): {:.1} ms",
                t.elapsed().as_secs_f64() * 1000.0 / 5.0
            );
            let t = Instant::now();
            for _ in 0..5 {
                render_pdf(&d, &SharedAssets::default(), &store).unwrap();
            }
            println!(
                "render_pdf one page: {:.1} ms",
                t.elapsed().as_secs_f64() * 1000.0 / 5.0
            );
        }
        Some("single") => {
            let t0 = Instant::now();
            let store = StandContent {
                id: "18".into(),
                store_name: Some(NAMES[0].into()),
                code_image: std::fs::read(&args[1]).unwrap(),
            };
            let (bytes, _) =
                render_pdf(&StandDesign::default(), &SharedAssets::default(), &store).unwrap();
            std::fs::write(&args[2], &bytes).unwrap();
            println!(
                "pages=1 bytes={} seconds={:.3}",
                bytes.len(),
                t0.elapsed().as_secs_f64()
            );
        }
        _ => {
            eprintln!("usage: bench_export gen DIR N | export DIR OUT.pdf | single IMAGE OUT.pdf");
            std::process::exit(2);
        }
    }
}

//! The types the UI will use export to TypeScript (specta-typescript refuses 64-bit integers).

use tapstand_print::*;

#[test]
fn dtos_export_to_typescript() {
    let types = specta::Types::default()
        .register::<StandDesign>()
        .register::<PageSize>()
        .register::<Orientation>()
        .register::<Sides>()
        .register::<Side>()
        .register::<Cmyk>()
        .register::<ImageColor>()
        .register::<PrintWarning>()
        .register::<SvgOptions>()
        .register::<StandPreview>()
        .register::<ExportProgress>()
        .register::<ExportPhase>()
        .register::<ExportReport>()
        .register::<ExportedFile>();
    let ts = specta_typescript::Typescript::default()
        .export(&types, specta_serde::Format)
        .expect("print DTOs export to TypeScript");
    for name in ["StandDesign", "PageSize", "ExportReport", "StandPreview"] {
        assert!(
            ts.contains(&format!("export type {name}")),
            "{name} missing:\n{ts}"
        );
    }
    // The default design round-trips through JSON as the UI will send it back.
    let d = StandDesign::default();
    let json = serde_json::to_string(&d).unwrap();
    assert!(json.contains(r#""size":{"kind":"a5"}"#), "{json}");
    assert_eq!(serde_json::from_str::<StandDesign>(&json).unwrap(), d);
    let custom: PageSize =
        serde_json::from_str(r#"{"kind":"custom","width_mm":120,"height_mm":180}"#).unwrap();
    assert_eq!(custom.trim_mm(Orientation::Horizontal), (180.0, 120.0));
}

#[test]
fn sizes_parse_as_the_merchant_writes_them() {
    assert_eq!(PageSize::parse("a5"), Some(PageSize::A5));
    assert_eq!(PageSize::parse("10×15"), Some(PageSize::Cm10x15));
    assert_eq!(PageSize::parse("15x20cm"), Some(PageSize::Cm15x20));
    let mm = |w: f64, h: f64| PageSize::Custom {
        width_mm: w,
        height_mm: h,
    };
    assert_eq!(PageSize::parse("120x180mm"), Some(mm(120.0, 180.0)));
    assert_eq!(PageSize::parse("12x18cm"), Some(mm(120.0, 180.0)));
    assert_eq!(PageSize::parse("12x18"), Some(mm(120.0, 180.0)));
    assert_eq!(PageSize::parse("120*180"), Some(mm(120.0, 180.0)));
    assert_eq!(PageSize::parse("B5"), None);
    assert_eq!(Orientation::parse("横版"), Some(Orientation::Horizontal));
    assert_eq!(Cmyk::from_hex("#000000"), Some(Cmyk::K100));
    let g = Cmyk::from_hex("#07C160").unwrap();
    assert!(g.c > 0.9 && g.m == 0.0 && g.k > 0.2, "{g:?}");
    // K100 looks like K100 on screen (#231F20), as poppler shows it.
    assert_eq!(Cmyk::K100.to_hex(), "#231f20");
}

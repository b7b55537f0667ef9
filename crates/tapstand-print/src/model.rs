//! The stand design: what the merchant chooses once per export (layout, size, texts, colour), and the
//! per-store content (name, mini-program code). Plain data, shared by the PDF and the SVG renderers.

use serde::{Deserialize, Serialize};

use crate::error::PrintError;

/// Bleed on every side, mm (print shops: 一般出血留 3 mm).
pub const BLEED_MM: f64 = 3.0;
/// Distance from the trim edge to where a crop mark starts (outside the bleed), mm.
pub const CROP_MARK_OFFSET_MM: f64 = 5.0;
/// Length of a crop mark, mm.
pub const CROP_MARK_LENGTH_MM: f64 = 5.0;
/// Paper around the trim in the PDF (bleed, crop marks and the slug line), mm: MediaBox = trim + 2 × this.
pub const SLUG_MM: f64 = 12.0;
/// Effective resolution of the code below which the export warns.
pub const WARN_PPI: f64 = 300.0;
/// Effective resolution of the code below which the export refuses.
pub const MIN_PPI: f64 = 200.0;
/// The NFC tap target, mm (for a 25–30 mm sticker).
pub const NFC_ZONE_MIN_MM: f64 = 35.0;
pub const NFC_ZONE_MAX_MM: f64 = 45.0;
/// The smallest mini-program code we lay out, mm (customers scan from 20–50 cm).
pub const CODE_MIN_MM: f64 = 30.0;

/// 竖版 (portrait) or 横版 (landscape).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    Vertical,
    Horizontal,
}

impl Orientation {
    pub fn zh(self) -> &'static str {
        match self {
            Orientation::Vertical => "竖版",
            Orientation::Horizontal => "横版",
        }
    }

    pub fn parse(s: &str) -> Option<Orientation> {
        match s.trim().to_ascii_lowercase().as_str() {
            "vertical" | "portrait" | "v" | "竖版" | "竖" => Some(Orientation::Vertical),
            "horizontal" | "landscape" | "h" | "横版" | "横" => Some(Orientation::Horizontal),
            _ => None,
        }
    }
}

/// Trim size of the insert. Presets are the usual counter-stand sizes; confirm the exact insert size with the
/// print shop (clamp frames take an insert a few mm smaller than the acrylic).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PageSize {
    A4,
    A5,
    A6,
    /// 10 × 15 cm
    Cm10x15,
    /// 15 × 20 cm
    Cm15x20,
    /// Two sides in mm, in any order: the orientation decides which one is the width.
    Custom {
        width_mm: f64,
        height_mm: f64,
    },
}

impl PageSize {
    /// All presets, for the UI.
    pub const PRESETS: [PageSize; 5] = [
        PageSize::A4,
        PageSize::A5,
        PageSize::A6,
        PageSize::Cm10x15,
        PageSize::Cm15x20,
    ];

    /// (short side, long side) in mm.
    pub fn sides_mm(self) -> (f64, f64) {
        let (a, b) = match self {
            PageSize::A4 => (210.0, 297.0),
            PageSize::A5 => (148.0, 210.0),
            PageSize::A6 => (105.0, 148.0),
            PageSize::Cm10x15 => (100.0, 150.0),
            PageSize::Cm15x20 => (150.0, 200.0),
            PageSize::Custom {
                width_mm,
                height_mm,
            } => (width_mm, height_mm),
        };
        (a.min(b), a.max(b))
    }

    /// Trim width and height in mm for this orientation.
    pub fn trim_mm(self, orientation: Orientation) -> (f64, f64) {
        let (s, l) = self.sides_mm();
        match orientation {
            Orientation::Vertical => (s, l),
            Orientation::Horizontal => (l, s),
        }
    }

    /// A short name for file names and labels: `A5`, `10x15cm`, `120x180mm`.
    pub fn label(self) -> String {
        match self {
            PageSize::A4 => "A4".into(),
            PageSize::A5 => "A5".into(),
            PageSize::A6 => "A6".into(),
            PageSize::Cm10x15 => "10x15cm".into(),
            PageSize::Cm15x20 => "15x20cm".into(),
            PageSize::Custom { .. } => {
                let (s, l) = self.sides_mm();
                format!("{}x{}mm", fmt_mm(s), fmt_mm(l))
            }
        }
    }

    /// Parses `A4`, `A5`, `A6`, `10x15` (cm), `15x20` (cm), or a custom size `120x180mm` / `12x18cm` / `12x18`
    /// (no unit: centimetres up to 50, millimetres above).
    pub fn parse(s: &str) -> Option<PageSize> {
        let t = s.trim().to_ascii_lowercase().replace(['×', '*', ' '], "x");
        match t.as_str() {
            "a4" => return Some(PageSize::A4),
            "a5" => return Some(PageSize::A5),
            "a6" => return Some(PageSize::A6),
            "10x15" | "10x15cm" => return Some(PageSize::Cm10x15),
            "15x20" | "15x20cm" => return Some(PageSize::Cm15x20),
            _ => {}
        }
        let (body, unit) = if let Some(b) = t.strip_suffix("mm") {
            (b, 1.0)
        } else if let Some(b) = t.strip_suffix("cm") {
            (b, 10.0)
        } else {
            (t.as_str(), 1.0)
        };
        let (w, h) = body.split_once('x')?;
        let w: f64 = w.trim().parse().ok()?;
        let h: f64 = h.trim().parse().ok()?;
        // Without a unit, small numbers are centimetres (no insert is 5 cm or less): "12x18" = 12 × 18 cm.
        let unit = if !t.ends_with("mm") && !t.ends_with("cm") && w.max(h) <= 50.0 {
            10.0
        } else {
            unit
        };
        Some(PageSize::Custom {
            width_mm: w * unit,
            height_mm: h * unit,
        })
    }

    pub(crate) fn validate(self) -> Result<(), PrintError> {
        let (s, l) = self.sides_mm();
        if !(s.is_finite() && l.is_finite()) || s < 50.0 || l > 1000.0 {
            return Err(PrintError::InvalidSize {
                width_mm: s,
                height_mm: l,
            });
        }
        Ok(())
    }
}

pub(crate) fn fmt_mm(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

/// L stand (one printed side) or T stand (front and back: two pages per store).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Sides {
    Single,
    Double,
}

/// Which face of a double-sided stand a page is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Front,
    Back,
}

/// A process colour, each channel 0–1.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Cmyk {
    pub c: f64,
    pub m: f64,
    pub y: f64,
    pub k: f64,
}

impl Cmyk {
    /// Single black: text and codes are printed with the black plate only.
    pub const K100: Cmyk = Cmyk {
        c: 0.0,
        m: 0.0,
        y: 0.0,
        k: 1.0,
    };
    /// Registration colour (on every plate) for crop marks.
    pub const REGISTRATION: Cmyk = Cmyk {
        c: 1.0,
        m: 1.0,
        y: 1.0,
        k: 1.0,
    };
    /// The default accent: a green close to WeChat's, as process colours.
    pub const DEFAULT_BRAND: Cmyk = Cmyk {
        c: 0.78,
        m: 0.0,
        y: 0.85,
        k: 0.0,
    };

    pub fn new(c: f64, m: f64, y: f64, k: f64) -> Cmyk {
        Cmyk { c, m, y, k }
    }

    /// From `#RRGGBB` (what a merchant usually knows about their brand), by the plain formula
    /// (no colour profile; the print shop may adjust).
    pub fn from_hex(hex: &str) -> Option<Cmyk> {
        let h = hex.trim().trim_start_matches('#');
        if h.len() != 6 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let v = |i: usize| {
            u8::from_str_radix(&h[i..i + 2], 16)
                .ok()
                .map(|b| b as f64 / 255.0)
        };
        let (r, g, b) = (v(0)?, v(2)?, v(4)?);
        let k = 1.0 - r.max(g).max(b);
        if k >= 1.0 {
            return Some(Cmyk::K100);
        }
        let f = |x: f64| ((1.0 - x - k) / (1.0 - k) * 1000.0).round() / 1000.0;
        Some(Cmyk {
            c: f(r),
            m: f(g),
            y: f(b),
            k: (k * 1000.0).round() / 1000.0,
        })
    }

    /// How the colour looks printed, for the screen: the ink-mixing approximation xpdf and poppler use to
    /// display DeviceCMYK (K100 shows as #231F20, not #000000), so the preview looks like the PDF and the print.
    pub fn to_rgb8(self) -> [u8; 3] {
        let (r, g, b) = cmyk_to_screen(self.c, self.m, self.y, self.k);
        [r, g, b]
    }

    pub fn to_hex(self) -> String {
        let [r, g, b] = self.to_rgb8();
        format!("#{r:02x}{g:02x}{b:02x}")
    }

    /// The same hue at `t` (0–1) of its strength: a tint.
    pub fn tint(self, t: f64) -> Cmyk {
        Cmyk::new(self.c * t, self.m * t, self.y * t, self.k * t)
    }

    pub(crate) fn is_valid(self) -> bool {
        [self.c, self.m, self.y, self.k]
            .iter()
            .all(|v| v.is_finite() && (0.0..=1.0).contains(v))
    }

    /// Total ink coverage in percent.
    pub fn total_ink(self) -> f64 {
        (self.c + self.m + self.y + self.k) * 100.0
    }
}

/// What the merchant chooses once for a whole export. Every text is editable; [`StandDesign::default`] prints
/// as is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct StandDesign {
    pub orientation: Orientation,
    pub size: PageSize,
    pub sides: Sides,
    /// Print the store name (the merchant chooses per export, as in the current downloads).
    pub show_store_name: bool,
    /// Big title at the top.
    pub headline: String,
    /// The word inside the tap target.
    pub nfc_label: String,
    /// Lines under the tap target.
    pub nfc_lines: Vec<String>,
    /// Lines under the mini-program code.
    pub scan_lines: Vec<String>,
    /// Accent colour (bands, the tap target, the icon). Text and the code stay single black.
    pub brand_color: Cmyk,
    /// Diameter of the tap target, 35–45 mm; `None` = chosen from the page size.
    pub nfc_zone_mm: Option<f64>,
    /// Width of the mini-program code; `None` = as large as the page allows (up to 80 mm).
    pub code_mm: Option<f64>,
    /// Draw a thin dashed circle where the NFC sticker goes (behind the insert or between the acrylic layers).
    pub sticker_guide: bool,
    /// 转曲: draw text as outlines (no fonts in the PDF), for shops that ask for it.
    pub outline_text: bool,
    /// Crop marks (裁切线) outside the bleed.
    pub crop_marks: bool,
    /// How the code and logo images are embedded.
    pub image_color: ImageColor,
}

impl Default for StandDesign {
    fn default() -> Self {
        StandDesign {
            orientation: Orientation::Vertical,
            size: PageSize::A5,
            sides: Sides::Single,
            show_store_name: true,
            headline: "会员中心".into(),
            nfc_label: "碰一碰".into(),
            nfc_lines: vec!["解锁手机，碰一碰".into(), "快速领卡/用卡".into()],
            scan_lines: vec!["微信扫一扫，快速领卡/用卡".into()],
            brand_color: Cmyk::DEFAULT_BRAND,
            nfc_zone_mm: None,
            code_mm: None,
            sticker_guide: true,
            outline_text: false,
            crop_marks: true,
            image_color: ImageColor::PrintReady,
        }
    }
}

impl StandDesign {
    pub(crate) fn validate(&self) -> Result<(), PrintError> {
        self.size.validate()?;
        if !self.brand_color.is_valid() {
            return Err(PrintError::InvalidDesign {
                zh: "品牌色的数值必须在 0–100% 之间。".into(),
                en: "Brand colour channels must be between 0 and 100%.".into(),
            });
        }
        if let Some(d) = self.nfc_zone_mm {
            if !(NFC_ZONE_MIN_MM..=NFC_ZONE_MAX_MM).contains(&d) {
                return Err(PrintError::InvalidDesign {
                    zh: format!(
                        "碰一碰区域直径应为 {NFC_ZONE_MIN_MM}–{NFC_ZONE_MAX_MM} mm（贴纸 25–30 mm），现为 {} mm。",
                        fmt_mm(d)
                    ),
                    en: format!(
                        "The tap target must be {NFC_ZONE_MIN_MM}–{NFC_ZONE_MAX_MM} mm across (for a 25–30 mm sticker); it is {} mm.",
                        fmt_mm(d)
                    ),
                });
            }
        }
        if let Some(c) = self.code_mm {
            if !(CODE_MIN_MM..=200.0).contains(&c) {
                return Err(PrintError::InvalidDesign {
                    zh: format!(
                        "小程序码宽度应不小于 {CODE_MIN_MM} mm，现为 {} mm。",
                        fmt_mm(c)
                    ),
                    en: format!(
                        "The code must be at least {CODE_MIN_MM} mm wide; it is {} mm.",
                        fmt_mm(c)
                    ),
                });
            }
        }
        Ok(())
    }
}

/// How raster images (the code, the logo) go into the PDF. Never downsampled, never JPEG re-encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ImageColor {
    /// Neutral pixels (black, greys, white) go on the black plate only (K), so the code's modules print in
    /// single black without misregistration; coloured pixels (the avatar in the middle of a 小程序码, a logo)
    /// become CMYK by the plain formula. Lossless (Flate) from the decoded pixels.
    PrintReady,
    /// As supplied: a JPEG is embedded byte for byte, a PNG losslessly as RGB. The shop converts colours.
    Original,
}

/// One stand to print: the per-store data. The records (stores, terminals) and the WeChat client
/// (`getwxacodeunlimit`) produce these; the print engine needs nothing else.
#[derive(Clone, Debug, PartialEq)]
pub struct StandContent {
    /// Store or terminal id (机构编号 / 终端号): labels the page and names the file.
    pub id: String,
    /// 门店名称; printed when the design says so.
    pub store_name: Option<String>,
    /// The mini-program code image as fetched (JPEG or PNG; request width=1280).
    pub code_image: Vec<u8>,
}

/// Images shared by every page of an export.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SharedAssets {
    /// The merchant's logo (PNG or JPEG), printed above the headline.
    pub logo: Option<Vec<u8>>,
}

/// A problem that does not stop the export but that the merchant should see.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct PrintWarning {
    /// Stable code, e.g. `print.code_low_ppi`.
    pub code: String,
    /// The store it concerns ('' for the whole export).
    pub store_id: String,
    pub zh: String,
    pub en: String,
}

/// DeviceCMYK → screen RGB as xpdf/poppler render it (`GfxDeviceCMYKColorSpace::getRGB`): a blend of the 16
/// ink combinations, weighted by coverage.
pub fn cmyk_to_screen(c: f64, m: f64, y: f64, k: f64) -> (u8, u8, u8) {
    let (c, m, y, k) = (
        c.clamp(0.0, 1.0),
        m.clamp(0.0, 1.0),
        y.clamp(0.0, 1.0),
        k.clamp(0.0, 1.0),
    );
    let (c1, m1, y1, k1) = (1.0 - c, 1.0 - m, 1.0 - y, 1.0 - k);
    let (mut r, mut g, mut b);
    let mut x = c1 * m1 * y1 * k1; // 0 0 0 0
    r = x;
    g = x;
    b = x;
    x = c1 * m1 * y1 * k; // 0 0 0 1
    r += 0.1373 * x;
    g += 0.1216 * x;
    b += 0.1255 * x;
    x = c1 * m1 * y * k1; // 0 0 1 0
    r += x;
    g += 0.9490 * x;
    x = c1 * m1 * y * k; // 0 0 1 1
    r += 0.1098 * x;
    g += 0.1020 * x;
    x = c1 * m * y1 * k1; // 0 1 0 0
    r += 0.9255 * x;
    b += 0.5490 * x;
    x = c1 * m * y1 * k; // 0 1 0 1
    r += 0.1412 * x;
    x = c1 * m * y * k1; // 0 1 1 0
    r += 0.9294 * x;
    g += 0.1098 * x;
    b += 0.1412 * x;
    x = c1 * m * y * k; // 0 1 1 1
    r += 0.1333 * x;
    x = c * m1 * y1 * k1; // 1 0 0 0
    g += 0.6784 * x;
    b += 0.9373 * x;
    x = c * m1 * y1 * k; // 1 0 0 1
    g += 0.0588 * x;
    b += 0.1412 * x;
    x = c * m1 * y * k1; // 1 0 1 0
    g += 0.6510 * x;
    b += 0.3137 * x;
    x = c * m1 * y * k; // 1 0 1 1
    g += 0.0745 * x;
    x = c * m * y1 * k1; // 1 1 0 0
    r += 0.1804 * x;
    g += 0.1922 * x;
    b += 0.5725 * x;
    x = c * m * y1 * k; // 1 1 0 1
    b += 0.0078 * x;
    x = c * m * y * k1; // 1 1 1 0
    r += 0.2118 * x;
    g += 0.2119 * x;
    b += 0.2235 * x;
    let q = |v: f64| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    (q(r), q(g), q(b))
}

//! The bundled CJK fonts: Noto Sans CJK SC Regular and Bold (SIL OFL 1.1), cut down to GB2312 + the 8,105
//! characters of 通用规范汉字表 + ASCII/punctuation by `scripts/make-print-fonts.sh` (≈1.9 MB each).
//!
//! The same font files are measured here (ttf-parser: advances, outlines), embedded as a subset in the PDF
//! (printpdf) and drawn as outlines in the SVG preview and for 转曲, so line breaks and widths are identical
//! in every output.

use std::sync::OnceLock;

use ttf_parser::{Face, GlyphId, OutlineBuilder};

use crate::draw::{Path, Seg};

pub const REGULAR_OTF: &[u8] = include_bytes!("../fonts/NotoSansCJKsc-Regular.subset.otf");
pub const BOLD_OTF: &[u8] = include_bytes!("../fonts/NotoSansCJKsc-Bold.subset.otf");
/// The licence that must travel with the fonts.
pub const FONT_LICENSE: &str = include_str!("../fonts/OFL.txt");

/// 1 pt in mm.
pub const PT_MM: f64 = 25.4 / 72.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Weight {
    Regular,
    Bold,
}

impl Weight {
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Weight::Regular => REGULAR_OTF,
            Weight::Bold => BOLD_OTF,
        }
    }
}

struct Faces {
    regular: Face<'static>,
    bold: Face<'static>,
}

fn faces() -> &'static Faces {
    static FACES: OnceLock<Faces> = OnceLock::new();
    FACES.get_or_init(|| Faces {
        regular: Face::parse(REGULAR_OTF, 0).expect("bundled Regular font parses"),
        bold: Face::parse(BOLD_OTF, 0).expect("bundled Bold font parses"),
    })
}

pub(crate) fn face(w: Weight) -> &'static Face<'static> {
    match w {
        Weight::Regular => &faces().regular,
        Weight::Bold => &faces().bold,
    }
}

fn upm(w: Weight) -> f64 {
    face(w).units_per_em() as f64
}

/// Ascender and descender (positive down) in em.
pub fn ascent_descent_em(w: Weight) -> (f64, f64) {
    let f = face(w);
    (
        f.ascender() as f64 / upm(w),
        -(f.descender() as f64) / upm(w),
    )
}

/// Glyph of `ch`, if the bundled font has it (space always maps).
pub fn glyph(w: Weight, ch: char) -> Option<GlyphId> {
    face(w).glyph_index(ch)
}

/// Advance of `ch` in em.
pub fn advance_em(w: Weight, ch: char) -> f64 {
    match glyph(w, ch) {
        Some(g) => face(w).glyph_hor_advance(g).unwrap_or(0) as f64 / upm(w),
        None => 1.0,
    }
}

/// Width of `text` at `size_pt`, in mm.
pub fn text_width_mm(w: Weight, text: &str, size_pt: f64) -> f64 {
    text.chars().map(|c| advance_em(w, c)).sum::<f64>() * size_pt * PT_MM
}

/// Characters of `text` the bundled font cannot draw (deduplicated, in order).
pub fn missing_chars(w: Weight, text: &str) -> Vec<char> {
    let mut out = Vec::new();
    for c in text.chars() {
        if c.is_control() {
            continue;
        }
        if glyph(w, c).is_none() && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// The outline of a glyph in font units (y up), as cubic curves.
pub fn glyph_outline(w: Weight, g: GlyphId) -> Path {
    struct B(Vec<Seg>, (f64, f64));
    impl OutlineBuilder for B {
        fn move_to(&mut self, x: f32, y: f32) {
            self.1 = (x as f64, y as f64);
            self.0.push(Seg::M(x as f64, y as f64));
        }
        fn line_to(&mut self, x: f32, y: f32) {
            self.1 = (x as f64, y as f64);
            self.0.push(Seg::L(x as f64, y as f64));
        }
        fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
            // Lift the quadratic to a cubic: c1 = p0 + 2/3 (p1 − p0), c2 = p + 2/3 (p1 − p).
            let (x0, y0) = self.1;
            let (x1, y1, x, y) = (x1 as f64, y1 as f64, x as f64, y as f64);
            self.0.push(Seg::C(
                x0 + 2.0 / 3.0 * (x1 - x0),
                y0 + 2.0 / 3.0 * (y1 - y0),
                x + 2.0 / 3.0 * (x1 - x),
                y + 2.0 / 3.0 * (y1 - y),
                x,
                y,
            ));
            self.1 = (x, y);
        }
        fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
            self.1 = (x as f64, y as f64);
            self.0.push(Seg::C(
                x1 as f64, y1 as f64, x2 as f64, y2 as f64, x as f64, y as f64,
            ));
        }
        fn close(&mut self) {
            self.0.push(Seg::Z);
        }
    }
    let mut b = B(Vec::new(), (0.0, 0.0));
    face(w).outline_glyph(g, &mut b);
    Path(b.0)
}

/// Units per em of the face.
pub fn units_per_em(w: Weight) -> f64 {
    upm(w)
}

//! The display list: what a page is made of, in mm, origin at the top-left corner of the trim, y down.
//! The layout produces it once; the PDF and the SVG renderers draw exactly the same list.

use crate::fonts::Weight;
use crate::model::Cmyk;

/// One path segment (absolute coordinates).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Seg {
    M(f64, f64),
    L(f64, f64),
    C(f64, f64, f64, f64, f64, f64),
    Z,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Path(pub Vec<Seg>);

/// Control-point factor for a quarter circle as a cubic Bézier.
const KAPPA: f64 = 0.552_284_749_830_793_4;

impl Path {
    pub fn rect(x: f64, y: f64, w: f64, h: f64) -> Path {
        Path(vec![
            Seg::M(x, y),
            Seg::L(x + w, y),
            Seg::L(x + w, y + h),
            Seg::L(x, y + h),
            Seg::Z,
        ])
    }

    pub fn circle(cx: f64, cy: f64, r: f64) -> Path {
        let k = KAPPA * r;
        Path(vec![
            Seg::M(cx + r, cy),
            Seg::C(cx + r, cy + k, cx + k, cy + r, cx, cy + r),
            Seg::C(cx - k, cy + r, cx - r, cy + k, cx - r, cy),
            Seg::C(cx - r, cy - k, cx - k, cy - r, cx, cy - r),
            Seg::C(cx + k, cy - r, cx + r, cy - k, cx + r, cy),
            Seg::Z,
        ])
    }

    pub fn rounded_rect(x: f64, y: f64, w: f64, h: f64, r: f64) -> Path {
        let r = r.min(w / 2.0).min(h / 2.0);
        let k = KAPPA * r;
        Path(vec![
            Seg::M(x + r, y),
            Seg::L(x + w - r, y),
            Seg::C(x + w - r + k, y, x + w, y + r - k, x + w, y + r),
            Seg::L(x + w, y + h - r),
            Seg::C(x + w, y + h - r + k, x + w - r + k, y + h, x + w - r, y + h),
            Seg::L(x + r, y + h),
            Seg::C(x + r - k, y + h, x, y + h - r + k, x, y + h - r),
            Seg::L(x, y + r),
            Seg::C(x, y + r - k, x + r - k, y, x + r, y),
            Seg::Z,
        ])
    }

    /// An open arc of radius `r` around (cx, cy) from angle `a0` to `a1` (radians, 0 = +x, clockwise on the
    /// page because y points down).
    pub fn arc(cx: f64, cy: f64, r: f64, a0: f64, a1: f64) -> Path {
        let n = ((a1 - a0).abs() / std::f64::consts::FRAC_PI_2)
            .ceil()
            .max(1.0) as usize;
        let step = (a1 - a0) / n as f64;
        let t = 4.0 / 3.0 * (step / 4.0).tan();
        let mut segs = vec![Seg::M(cx + r * a0.cos(), cy + r * a0.sin())];
        for i in 0..n {
            let s = a0 + step * i as f64;
            let e = s + step;
            let (x0, y0) = (cx + r * s.cos(), cy + r * s.sin());
            let (x3, y3) = (cx + r * e.cos(), cy + r * e.sin());
            segs.push(Seg::C(
                x0 - t * r * s.sin(),
                y0 + t * r * s.cos(),
                x3 + t * r * e.sin(),
                y3 - t * r * e.cos(),
                x3,
                y3,
            ));
        }
        Path(segs)
    }

    pub fn line(x0: f64, y0: f64, x1: f64, y1: f64) -> Path {
        Path(vec![Seg::M(x0, y0), Seg::L(x1, y1)])
    }

    /// Maps every point through `f`.
    pub fn map(&self, f: impl Fn(f64, f64) -> (f64, f64)) -> Path {
        Path(
            self.0
                .iter()
                .map(|s| match *s {
                    Seg::M(x, y) => {
                        let (x, y) = f(x, y);
                        Seg::M(x, y)
                    }
                    Seg::L(x, y) => {
                        let (x, y) = f(x, y);
                        Seg::L(x, y)
                    }
                    Seg::C(a, b, c, d, x, y) => {
                        let (a, b) = f(a, b);
                        let (c, d) = f(c, d);
                        let (x, y) = f(x, y);
                        Seg::C(a, b, c, d, x, y)
                    }
                    Seg::Z => Seg::Z,
                })
                .collect(),
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stroke {
    pub color: Cmyk,
    pub width_mm: f64,
    /// Dash and gap lengths, mm.
    pub dash: Option<(f64, f64)>,
    /// Round caps and joins (icons); butt caps and miter joins otherwise.
    pub round: bool,
}

/// One line of text, already measured and positioned.
#[derive(Clone, Debug, PartialEq)]
pub struct TextLine {
    /// Left end of the baseline.
    pub x: f64,
    pub baseline: f64,
    pub size_pt: f64,
    pub weight: Weight,
    pub text: String,
    pub color: Cmyk,
    /// Measured advance width, mm.
    pub width: f64,
}

/// Which image a placed image shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageSlot {
    Code,
    Logo,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn center(&self) -> (f64, f64) {
        (self.x + self.w / 2.0, self.y + self.h / 2.0)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Fill { path: Path, color: Cmyk },
    Stroke { path: Path, stroke: Stroke },
    Text(TextLine),
    Image { slot: ImageSlot, rect: Rect },
}

/// Marks that live outside the trim, in the PDF's slug area only (crop marks, the page label).
#[derive(Clone, Debug, PartialEq)]
pub struct Slug {
    pub crop_marks: Vec<Path>,
    pub label: Option<TextLine>,
}

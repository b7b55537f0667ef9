//! The SVG renderer for the live preview: the same display list as the PDF, in mm. Text is drawn from the
//! bundled font's outlines (no dependency on the fonts of the machine or the web view), so line breaks,
//! sizes and positions are exactly those of the PDF. Colours are the plain CMYK→RGB formula (a screen
//! approximation; the PDF carries the CMYK values).

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::draw::{ImageSlot, Item, Path, Seg, TextLine};
use crate::fonts::{self, Weight, PT_MM};
use crate::layout::PageLayout;
use crate::model::{Cmyk, BLEED_MM};

/// What the preview shows besides the finished page.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type,
)]
pub struct SvgOptions {
    /// Show the 3 mm bleed around the page, with the trim line dashed.
    pub show_bleed: bool,
    /// Show the 5 mm safe area (dashed).
    pub show_safe_area: bool,
}

/// Images as `data:` URLs (or any URL the web view can load).
pub struct SvgImages<'a> {
    pub code: &'a str,
    pub logo: Option<&'a str>,
}

fn n(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

fn d_attr(p: &Path) -> String {
    let mut d = String::new();
    for s in &p.0 {
        match *s {
            Seg::M(x, y) => write!(d, "M{} {}", n(x), n(y)),
            Seg::L(x, y) => write!(d, "L{} {}", n(x), n(y)),
            Seg::C(a, b, c, e, x, y) => {
                write!(d, "C{} {} {} {} {} {}", n(a), n(b), n(c), n(e), n(x), n(y))
            }
            Seg::Z => write!(d, "Z"),
        }
        .ok();
    }
    d
}

fn rgb(c: Cmyk) -> String {
    c.to_hex()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

/// Renders one page.
pub fn render(layout: &PageLayout, images: &SvgImages, opts: SvgOptions) -> String {
    let (w, h) = (layout.trim_w, layout.trim_h);
    let pad = if opts.show_bleed { BLEED_MM } else { 0.0 };
    let mut body = String::new();
    let mut glyphs: BTreeMap<(Weight, u16), String> = BTreeMap::new();
    // Paper.
    write!(
        body,
        r##"<rect x="{}" y="{}" width="{}" height="{}" fill="#ffffff"/>"##,
        n(-BLEED_MM),
        n(-BLEED_MM),
        n(w + 2.0 * BLEED_MM),
        n(h + 2.0 * BLEED_MM)
    )
    .ok();
    for item in &layout.items {
        match item {
            Item::Fill { path, color } => {
                write!(
                    body,
                    r#"<path d="{}" fill="{}"/>"#,
                    d_attr(path),
                    rgb(*color)
                )
                .ok();
            }
            Item::Stroke { path, stroke } => {
                let dash = stroke
                    .dash
                    .map(|(a, b)| format!(r#" stroke-dasharray="{} {}""#, n(a), n(b)))
                    .unwrap_or_default();
                let (cap, join) = if stroke.round {
                    ("round", "round")
                } else {
                    ("butt", "miter")
                };
                write!(
                    body,
                    r#"<path d="{}" fill="none" stroke="{}" stroke-width="{}" stroke-linecap="{cap}" stroke-linejoin="{join}"{dash}/>"#,
                    d_attr(path),
                    rgb(stroke.color),
                    n(stroke.width_mm)
                )
                .ok();
            }
            Item::Text(line) => text(&mut body, &mut glyphs, line),
            Item::Image { slot, rect } => {
                let href = match slot {
                    ImageSlot::Code => Some(images.code),
                    ImageSlot::Logo => images.logo,
                };
                if let Some(href) = href {
                    write!(
                        body,
                        r#"<image x="{}" y="{}" width="{}" height="{}" preserveAspectRatio="none" href="{}"/>"#,
                        n(rect.x),
                        n(rect.y),
                        n(rect.w),
                        n(rect.h),
                        esc(href)
                    )
                    .ok();
                }
            }
        }
    }
    if opts.show_safe_area {
        write!(
            body,
            r##"<rect x="5" y="5" width="{}" height="{}" fill="none" stroke="#ff00aa" stroke-width="0.2" stroke-dasharray="1 1"/>"##,
            n(w - 10.0),
            n(h - 10.0)
        )
        .ok();
    }
    if opts.show_bleed {
        write!(
            body,
            r##"<rect x="0" y="0" width="{}" height="{}" fill="none" stroke="#00a0e9" stroke-width="0.25" stroke-dasharray="2 1"/>"##,
            n(w),
            n(h)
        )
        .ok();
    }
    let mut defs = String::new();
    for ((weight, gid), d) in glyphs.iter().filter(|(_, d)| !d.is_empty()) {
        write!(
            defs,
            r#"<path id="{}{}" d="{}"/>"#,
            glyph_prefix(*weight),
            gid,
            d
        )
        .ok();
    }
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{}mm" height="{}mm" viewBox="{} {} {} {}"><defs>{defs}</defs>{body}</svg>"#,
        n(w + 2.0 * pad),
        n(h + 2.0 * pad),
        n(-pad),
        n(-pad),
        n(w + 2.0 * pad),
        n(h + 2.0 * pad)
    )
}

fn glyph_prefix(w: Weight) -> &'static str {
    match w {
        Weight::Regular => "r",
        Weight::Bold => "b",
    }
}

fn text(body: &mut String, glyphs: &mut BTreeMap<(Weight, u16), String>, line: &TextLine) {
    let s = line.size_pt * PT_MM / fonts::units_per_em(line.weight);
    let mut pen = line.x;
    write!(body, r#"<g fill="{}">"#, rgb(line.color)).ok();
    for ch in line.text.chars() {
        if let Some(g) = fonts::glyph(line.weight, ch) {
            let key = (line.weight, g.0);
            let entry = glyphs
                .entry(key)
                .or_insert_with(|| d_attr(&fonts::glyph_outline(line.weight, g)));
            if !entry.is_empty() {
                write!(
                    body,
                    r##"<use href="#{}{}" transform="translate({} {}) scale({} {})"/>"##,
                    glyph_prefix(line.weight),
                    g.0,
                    n(pen),
                    n(line.baseline),
                    format_args!("{s:.6}"),
                    format_args!("{:.6}", -s)
                )
                .ok();
            }
        }
        pen += fonts::advance_em(line.weight, ch) * line.size_pt * PT_MM;
    }
    body.push_str("</g>");
}

//! The layout: from a design and one store's content to a page's display list, in mm.
//!
//! Vertical (竖版): brand band, [logo], headline, accent bar, [store name], the NFC tap target with its
//! instructions, the mini-program code with its caption, brand band. Horizontal (横版): the same header across
//! the top, then two columns — tap target and code — side by side; on the back of a double-sided (T) stand the
//! columns swap so the tap target sits over the same spot of the acrylic (where the sticker is).
//!
//! Rules from the print-shop note: 3 mm bleed (the bands run into it), text and code ≥ 5 mm inside the trim,
//! tap target 35–45 mm and ≥ 10 mm away from the code, code as large as the page allows up to 80 mm,
//! text and code in single black K100.

use crate::draw::{ImageSlot, Item, Path, Rect, Slug, Stroke, TextLine};
use crate::error::{ImageRole, PrintError, TextField};
use crate::fonts::{self, Weight, PT_MM};
use crate::model::*;
use crate::text::{self, FitSpec, Fitted};

/// What one page needs besides the design.
#[derive(Clone, Debug)]
pub struct PageInput<'a> {
    pub store_id: &'a str,
    pub store_name: Option<&'a str>,
    /// Pixel size of the code image.
    pub code_px: (u32, u32),
    /// Pixel size of the logo, if any.
    pub logo_px: Option<(u32, u32)>,
    pub side: Side,
}

/// One laid-out page.
#[derive(Clone, Debug)]
pub struct PageLayout {
    pub trim_w: f64,
    pub trim_h: f64,
    pub side: Side,
    pub items: Vec<Item>,
    pub slug: Slug,
    pub code_rect: Rect,
    pub code_ppi: f64,
    pub nfc_center: (f64, f64),
    pub nfc_diameter: f64,
    pub logo_rect: Option<Rect>,
    pub logo_ppi: Option<f64>,
    pub warnings: Vec<PrintWarning>,
}

/// Baseline of the first line below the top of a text block: the ideographic em box of Noto Sans CJK runs
/// from −0.12 em to 0.88 em.
const ASCENT_EM: f64 = 0.88;

struct Block {
    fitted: Fitted,
    weight: Weight,
}

impl Block {
    fn height(&self) -> f64 {
        if self.fitted.lines.is_empty() {
            0.0
        } else {
            self.fitted.block_height_mm()
        }
    }

    fn is_empty(&self) -> bool {
        self.fitted.lines.is_empty()
    }

    /// Text lines centred on `cx`, block top at `top`.
    fn place(&self, cx: f64, top: f64, out: &mut Vec<Item>) {
        let em = self.fitted.size_pt * PT_MM;
        for (i, (line, width)) in self.fitted.lines.iter().enumerate() {
            out.push(Item::Text(TextLine {
                x: cx - width / 2.0,
                baseline: top + ASCENT_EM * em + i as f64 * self.fitted.line_pitch_mm(),
                size_pt: self.fitted.size_pt,
                weight: self.weight,
                text: line.clone(),
                color: Cmyk::K100,
                width: *width,
            }));
        }
    }
}

fn check_glyphs(field: TextField, weight: Weight, text: &str) -> Result<(), PrintError> {
    let missing = fonts::missing_chars(weight, text);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(PrintError::MissingGlyphs {
            field,
            chars: missing.into_iter().collect(),
        })
    }
}

fn fit_block(field: TextField, text: &str, spec: FitSpec) -> Result<Block, PrintError> {
    check_glyphs(field, spec.weight, text)?;
    let fitted = text::fit(text, &spec).ok_or_else(|| PrintError::TextTooLong {
        field,
        text: text::normalize(text),
    })?;
    Ok(Block {
        fitted,
        weight: spec.weight,
    })
}

/// Several one-line texts at one common size (the smallest any of them needs).
fn fit_lines(field: TextField, lines: &[String], spec: FitSpec) -> Result<Block, PrintError> {
    let lines: Vec<String> = lines
        .iter()
        .map(|l| text::normalize(l))
        .filter(|l| !l.is_empty())
        .collect();
    let mut size = spec.size_max_pt;
    for l in &lines {
        check_glyphs(field, spec.weight, l)?;
        let f = text::fit(
            l,
            &FitSpec {
                max_lines: 1,
                ..spec
            },
        )
        .ok_or_else(|| PrintError::TextTooLong {
            field,
            text: l.clone(),
        })?;
        size = size.min(f.size_pt);
    }
    Ok(Block {
        fitted: Fitted {
            size_pt: size,
            lines: lines
                .into_iter()
                .map(|l| {
                    let w = fonts::text_width_mm(spec.weight, &l, size);
                    (l, w)
                })
                .collect(),
        },
        weight: spec.weight,
    })
}

struct Metrics {
    /// Scale against A5's short side.
    f: f64,
    margin: f64,
    band: f64,
    gap: f64,
}

impl Metrics {
    fn new(w: f64, h: f64) -> Metrics {
        let f = w.min(h) / 148.0;
        Metrics {
            f,
            margin: (7.0 * f).clamp(5.0, 12.0),
            band: (5.0 * f).clamp(3.5, 8.0),
            gap: (2.5 * f).clamp(1.5, 4.0),
        }
    }
}

/// Lays out one page: the page's frame, the sizes (tap target, logo, texts), where the blocks go, then the
/// items drawn in order (bands, header, tap target, code), the resolution checks and the slug.
pub fn layout_page(design: &StandDesign, input: &PageInput) -> Result<PageLayout, PrintError> {
    design.validate()?;
    let frame = Frame::new(design);
    let nfc_d = size_tap_target(design, &frame)?;
    let logo_size = size_logo(input, &frame);
    let texts = fit_texts(design, input, &frame, nfc_d, logo_size)?;
    let header = measure_header(&frame, &texts, logo_size);
    let body = measure_body(&frame, &texts, nfc_d);
    let spots = if frame.horizontal {
        side_by_side(design, input, &frame, &header, &body)?
    } else {
        stacked(design, &frame, &header, &body)?
    };

    let mut items = brand_bands(&frame, design.brand_color);
    let logo_rect = place_logo(&mut items, &frame, &header, &spots, logo_size);
    place_header_texts(
        &mut items,
        design.brand_color,
        &frame,
        &texts,
        &header,
        &spots,
        logo_size,
    );
    let nfc_center = place_tap_target(&mut items, design, &texts, &body, &spots);
    let code_rect = place_code(&mut items, &texts, &body, &spots);

    let mut warnings = Vec::new();
    let code_ppi = check_code_resolution(input, spots.code_size, &mut warnings)?;
    let logo_ppi = check_logo_resolution(input, logo_rect, &mut warnings)?;
    let slug = slug(design, input, frame.w, frame.h, texts.store_name.as_deref());
    Ok(PageLayout {
        trim_w: frame.w,
        trim_h: frame.h,
        side: input.side,
        items,
        slug,
        code_rect,
        code_ppi,
        nfc_center,
        nfc_diameter: body.nfc_d,
        logo_rect,
        logo_ppi,
        warnings,
    })
}

/// The trimmed page, its metrics, and the width a column of content has: the whole content width
/// (vertical) or one of two columns (horizontal).
struct Frame {
    w: f64,
    h: f64,
    m: Metrics,
    horizontal: bool,
    content_w: f64,
    col_w: f64,
}

impl Frame {
    fn new(design: &StandDesign) -> Frame {
        let (w, h) = design.size.trim_mm(design.orientation);
        let m = Metrics::new(w, h);
        let horizontal = design.orientation == Orientation::Horizontal;
        let content_w = w - 2.0 * m.margin;
        let col_gap = (2.0 * m.margin).max(10.0);
        let col_w = if horizontal {
            (content_w - col_gap) / 2.0
        } else {
            content_w
        };
        Frame {
            w,
            h,
            m,
            horizontal,
            content_w,
            col_w,
        }
    }

    fn too_small(&self) -> PrintError {
        PrintError::PageTooSmall {
            width_mm: self.w,
            height_mm: self.h,
        }
    }
}

/// The tap target's diameter: the design's, else from the page size; never wider than a column.
fn size_tap_target(design: &StandDesign, frame: &Frame) -> Result<f64, PrintError> {
    let nfc_d = design
        .nfc_zone_mm
        .unwrap_or_else(|| (40.0 * frame.m.f).clamp(NFC_ZONE_MIN_MM, NFC_ZONE_MAX_MM))
        .min(frame.col_w);
    if nfc_d < NFC_ZONE_MIN_MM {
        return Err(frame.too_small());
    }
    Ok(nfc_d)
}

/// The logo's size in the header, keeping its aspect ratio.
fn size_logo(input: &PageInput, frame: &Frame) -> Option<(f64, f64)> {
    input.logo_px.map(|(px_w, px_h)| {
        let aspect = px_w.max(1) as f64 / px_h.max(1) as f64;
        let mut lh = (11.0 * frame.m.f).clamp(8.0, 16.0);
        let max_w = if frame.horizontal {
            0.22 * frame.w
        } else {
            0.5 * frame.content_w
        };
        if lh * aspect > max_w {
            lh = max_w / aspect;
        }
        (lh * aspect, lh)
    })
}

/// Every text of the page, fitted to its width.
struct Texts {
    headline: Block,
    /// The store name as printed (normalised), when the design shows it.
    store_name: Option<String>,
    store: Option<Block>,
    label: Block,
    nfc_lines: Block,
    scan_lines: Block,
}

fn fit_texts(
    design: &StandDesign,
    input: &PageInput,
    frame: &Frame,
    nfc_d: f64,
    logo_size: Option<(f64, f64)>,
) -> Result<Texts, PrintError> {
    // Horizontal with a logo: the header texts share the width with the logo.
    let header_text_w = match (frame.horizontal, logo_size) {
        (true, Some((lw, _))) => frame.content_w - 2.0 * (lw + 2.0 * frame.m.gap),
        _ => frame.content_w,
    };
    let headline = fit_headline(design, frame, header_text_w)?;
    let store_name = input
        .store_name
        .filter(|_| design.show_store_name)
        .map(text::normalize)
        .filter(|s| !s.is_empty());
    let store = match &store_name {
        Some(name) => Some(fit_store_name(name, frame, header_text_w)?),
        None => None,
    };
    let (label, nfc_lines) = fit_tap_texts(design, frame, nfc_d)?;
    let scan_lines = fit_caption(design, frame)?;
    Ok(Texts {
        headline,
        store_name,
        store,
        label,
        nfc_lines,
        scan_lines,
    })
}

fn fit_headline(design: &StandDesign, frame: &Frame, width: f64) -> Result<Block, PrintError> {
    fit_block(
        TextField::Headline,
        &design.headline,
        FitSpec {
            weight: Weight::Bold,
            max_width_mm: width,
            max_lines: 2,
            size_max_pt: (30.0 * frame.m.f).clamp(16.0, 48.0),
            size_min_pt: 12.0,
            single_line_floor: 0.75,
        },
    )
}

fn fit_store_name(name: &str, frame: &Frame, width: f64) -> Result<Block, PrintError> {
    fit_block(
        TextField::StoreName,
        name,
        FitSpec {
            weight: Weight::Regular,
            max_width_mm: width,
            max_lines: 2,
            size_max_pt: (18.0 * frame.m.f).clamp(11.0, 30.0),
            size_min_pt: 8.0,
            single_line_floor: 0.8,
        },
    )
}

/// The word inside the tap target, and the lines under it.
fn fit_tap_texts(
    design: &StandDesign,
    frame: &Frame,
    nfc_d: f64,
) -> Result<(Block, Block), PrintError> {
    let f = frame.m.f;
    let label = fit_block(
        TextField::NfcLabel,
        &design.nfc_label,
        FitSpec {
            weight: Weight::Bold,
            max_width_mm: 0.5 * nfc_d,
            max_lines: 1,
            size_max_pt: (15.0 * f).clamp(11.0, 20.0),
            size_min_pt: 7.0,
            single_line_floor: 0.0,
        },
    )?;
    let nfc_lines = fit_lines(
        TextField::NfcLines,
        &design.nfc_lines,
        FitSpec {
            weight: Weight::Regular,
            max_width_mm: frame.col_w,
            max_lines: 1,
            size_max_pt: (14.0 * f).clamp(9.0, 22.0),
            size_min_pt: 7.0,
            single_line_floor: 0.0,
        },
    )?;
    Ok((label, nfc_lines))
}

/// The lines under the code.
fn fit_caption(design: &StandDesign, frame: &Frame) -> Result<Block, PrintError> {
    fit_lines(
        TextField::ScanLines,
        &design.scan_lines,
        FitSpec {
            weight: Weight::Regular,
            max_width_mm: frame.col_w,
            max_lines: 1,
            size_max_pt: (11.5 * frame.m.f).clamp(8.0, 18.0),
            size_min_pt: 7.0,
            single_line_floor: 0.0,
        },
    )
}

/// The header's height and its accent bar.
struct Header {
    h: f64,
    /// Horizontal: how far the texts sit below the header's top, to centre them on a taller logo.
    text_offset: f64,
    bar_w: f64,
    bar_h: f64,
}

/// Header height: [logo (vertical only)] headline, bar, [store]. Horizontal: the logo sits left of the
/// header texts, both centred on the header's height.
fn measure_header(frame: &Frame, texts: &Texts, logo_size: Option<(f64, f64)>) -> Header {
    let (f, gap) = (frame.m.f, frame.m.gap);
    let bar_w = (14.0 * f).clamp(10.0, 22.0);
    let bar_h = (0.9 * f).clamp(0.6, 1.2);
    let mut header_h = 0.0;
    if let (false, Some((_, lh))) = (frame.horizontal, logo_size) {
        header_h += lh + 1.5 * gap;
    }
    if !texts.headline.is_empty() {
        header_h += texts.headline.height() + gap + bar_h;
    }
    if let Some(s) = &texts.store {
        header_h += 1.2 * gap + s.height();
    }
    let mut text_offset = 0.0;
    if let (true, Some((_, lh))) = (frame.horizontal, logo_size) {
        if lh > header_h {
            text_offset = (lh - header_h) / 2.0;
            header_h = lh;
        }
    }
    Header {
        h: header_h,
        text_offset,
        bar_w,
        bar_h,
    }
}

/// The body's vertical room and what its blocks need: the tap target with its lines, the caption, the code.
struct Body {
    nfc_d: f64,
    text_gap: f64,
    nfc_group_h: f64,
    scan_h: f64,
    content_top: f64,
    available: f64,
}

fn measure_body(frame: &Frame, texts: &Texts, nfc_d: f64) -> Body {
    let (m, h) = (&frame.m, frame.h);
    let gap = m.gap;
    let text_gap = gap * 0.8;
    let nfc_group_h = nfc_d
        + if texts.nfc_lines.is_empty() {
            0.0
        } else {
            text_gap + texts.nfc_lines.height()
        };
    let scan_h = if texts.scan_lines.is_empty() {
        0.0
    } else {
        text_gap + texts.scan_lines.height()
    };
    let content_top = m.band + 2.0 * gap;
    let content_bottom = h - m.band - 2.0 * gap;
    Body {
        nfc_d,
        text_gap,
        nfc_group_h,
        scan_h,
        content_top,
        available: content_bottom - content_top,
    }
}

/// Where the blocks go: the header's top, the tap target's centre line and top, the code's corner and size.
struct Spots {
    header_top: f64,
    nfc_cx: f64,
    nfc_top: f64,
    code_x: f64,
    code_top: f64,
    code_size: f64,
}

/// The largest code the page allows, up to the design's (or the default) size.
fn code_target(design: &StandDesign, frame: &Frame) -> f64 {
    design
        .code_mm
        .unwrap_or_else(|| (0.48 * frame.w.min(frame.h)).clamp(CODE_MIN_MM, 80.0))
}

/// A code smaller than the minimum, or than the size the design asks for, does not fit.
fn code_fits(design: &StandDesign, code_size: f64, code_target: f64) -> bool {
    !(code_size < CODE_MIN_MM || (design.code_mm.is_some() && code_size + 1e-6 < code_target))
}

/// Vertical: header, tap target, code, one above the other; the circle's bottom ≥ 10 mm above the code's
/// top; the spare room spread in four.
fn stacked(
    design: &StandDesign,
    frame: &Frame,
    header: &Header,
    body: &Body,
) -> Result<Spots, PrintError> {
    let (w, gap) = (frame.w, frame.m.gap);
    let code_target = code_target(design, frame);
    let g1_min = 2.0 * gap; // header → body
    let nfc_below = body.nfc_group_h - body.nfc_d;
    let g2_min = (10.0 - nfc_below).max(2.0 * gap);
    let room = body.available - header.h - g1_min - body.nfc_group_h - g2_min - body.scan_h;
    let code_size = code_target.min(room).min(frame.col_w);
    if !code_fits(design, code_size, code_target) {
        return Err(frame.too_small());
    }
    let spare = (room - code_size).max(0.0);
    let pad = spare / 4.0;
    let header_top = body.content_top + pad;
    let nfc_top = header_top + header.h + g1_min + pad;
    let code_top = nfc_top + body.nfc_group_h + g2_min + pad;
    Ok(Spots {
        header_top,
        nfc_cx: w / 2.0,
        nfc_top,
        code_x: w / 2.0 - code_size / 2.0,
        code_top,
        code_size,
    })
}

/// Horizontal: the tap target and the code side by side on one axis, their texts below them; on the back
/// of a T stand the columns swap, so the target covers the same sticker.
fn side_by_side(
    design: &StandDesign,
    input: &PageInput,
    frame: &Frame,
    header: &Header,
    body: &Body,
) -> Result<Spots, PrintError> {
    let (w, m) = (frame.w, &frame.m);
    let code_target = code_target(design, frame);
    let g1_min = 2.0 * m.gap; // header → body
    let body_room = body.available - header.h - g1_min;
    let nfc_below = body.nfc_group_h - body.nfc_d;
    let below = nfc_below.max(body.scan_h);
    let code_size = code_target.min(body_room - below).min(frame.col_w);
    if !code_fits(design, code_size, code_target) || body.nfc_d + below > body_room {
        return Err(frame.too_small());
    }
    let main_h = body.nfc_d.max(code_size);
    let body_h = main_h + below;
    let spare = (body_room - body_h).max(0.0);
    let header_top = body.content_top + spare * 0.3;
    let body_top = header_top + header.h + g1_min + spare * 0.35;
    let left_cx = m.margin + frame.col_w / 2.0;
    let right_cx = w - m.margin - frame.col_w / 2.0;
    let (nfc_col, code_col) = match input.side {
        Side::Front => (left_cx, right_cx),
        Side::Back => (right_cx, left_cx),
    };
    Ok(Spots {
        header_top,
        nfc_cx: nfc_col,
        nfc_top: body_top + (main_h - body.nfc_d) / 2.0,
        code_x: code_col - code_size / 2.0,
        code_top: body_top + (main_h - code_size) / 2.0,
        code_size,
    })
}

/// Brand bands, top and bottom, into the bleed.
fn brand_bands(frame: &Frame, brand: Cmyk) -> Vec<Item> {
    let (w, h, band) = (frame.w, frame.h, frame.m.band);
    vec![
        Item::Fill {
            path: Path::rect(-BLEED_MM, -BLEED_MM, w + 2.0 * BLEED_MM, band + BLEED_MM),
            color: brand,
        },
        Item::Fill {
            path: Path::rect(-BLEED_MM, h - band, w + 2.0 * BLEED_MM, band + BLEED_MM),
            color: brand,
        },
    ]
}

/// The logo: left of the header texts (horizontal), or centred above them (vertical).
fn place_logo(
    items: &mut Vec<Item>,
    frame: &Frame,
    header: &Header,
    spots: &Spots,
    logo_size: Option<(f64, f64)>,
) -> Option<Rect> {
    let (lw, lh) = logo_size?;
    let rect = if frame.horizontal {
        Rect {
            x: frame.m.margin,
            y: spots.header_top + (header.h - lh).max(0.0) / 2.0,
            w: lw,
            h: lh,
        }
    } else {
        Rect {
            x: frame.w / 2.0 - lw / 2.0,
            y: spots.header_top + header.text_offset,
            w: lw,
            h: lh,
        }
    };
    items.push(Item::Image {
        slot: ImageSlot::Logo,
        rect,
    });
    Some(rect)
}

/// Headline, accent bar, store name, centred, below a vertical page's logo.
fn place_header_texts(
    items: &mut Vec<Item>,
    brand: Cmyk,
    frame: &Frame,
    texts: &Texts,
    header: &Header,
    spots: &Spots,
    logo_size: Option<(f64, f64)>,
) {
    let (w, gap) = (frame.w, frame.m.gap);
    let mut y = spots.header_top + header.text_offset;
    if let (false, Some((_, lh))) = (frame.horizontal, logo_size) {
        y += lh + 1.5 * gap;
    }
    if !texts.headline.is_empty() {
        texts.headline.place(w / 2.0, y, items);
        y += texts.headline.height() + gap;
        let (bar_w, bar_h) = (header.bar_w, header.bar_h);
        items.push(Item::Fill {
            path: Path::rounded_rect(w / 2.0 - bar_w / 2.0, y, bar_w, bar_h, bar_h / 2.0),
            color: brand,
        });
        y += bar_h;
    }
    if let Some(s) = &texts.store {
        y += 1.2 * gap;
        s.place(w / 2.0, y, items);
    }
}

/// The tap target (see [`nfc_zone`]) and the lines under it; returns its centre.
fn place_tap_target(
    items: &mut Vec<Item>,
    design: &StandDesign,
    texts: &Texts,
    body: &Body,
    spots: &Spots,
) -> (f64, f64) {
    let (nfc_cx, nfc_top, nfc_d) = (spots.nfc_cx, spots.nfc_top, body.nfc_d);
    let nfc_cy = nfc_top + nfc_d / 2.0;
    nfc_zone(
        items,
        nfc_cx,
        nfc_cy,
        nfc_d,
        design.brand_color,
        &texts.label,
        design.sticker_guide,
    );
    if !texts.nfc_lines.is_empty() {
        texts
            .nfc_lines
            .place(nfc_cx, nfc_top + nfc_d + body.text_gap, items);
    }
    (nfc_cx, nfc_cy)
}

/// The code and its caption; returns where the code is.
fn place_code(items: &mut Vec<Item>, texts: &Texts, body: &Body, spots: &Spots) -> Rect {
    let (code_x, code_top, code_size) = (spots.code_x, spots.code_top, spots.code_size);
    let code_rect = Rect {
        x: code_x,
        y: code_top,
        w: code_size,
        h: code_size,
    };
    items.push(Item::Image {
        slot: ImageSlot::Code,
        rect: code_rect,
    });
    if !texts.scan_lines.is_empty() {
        texts.scan_lines.place(
            code_x + code_size / 2.0,
            code_top + code_size + body.text_gap,
            items,
        );
    }
    code_rect
}

/// The code's effective resolution: refused below [`MIN_PPI`], a warning below [`WARN_PPI`].
fn check_code_resolution(
    input: &PageInput,
    code_size: f64,
    warnings: &mut Vec<PrintWarning>,
) -> Result<f64, PrintError> {
    let code_ppi = input.code_px.0 as f64 / (code_size / 25.4);
    if code_ppi < MIN_PPI {
        return Err(PrintError::LowResolution {
            role: ImageRole::Code,
            ppi: code_ppi,
            px: input.code_px.0,
            mm: code_size,
        });
    }
    if code_ppi < WARN_PPI {
        warnings.push(PrintWarning {
            code: "print.code_low_ppi".into(),
            store_id: input.store_id.into(),
            zh: format!(
                "小程序码只有 {} 像素，印成 {} mm 宽时为 {:.0} ppi（建议 ≥ 300）：可能发虚。请用 1280 像素的小程序码，或选小一点的尺寸。",
                input.code_px.0,
                fmt_mm(code_size),
                code_ppi
            ),
            en: format!(
                "The code is {} px: printed {} mm wide that is {:.0} ppi (300+ recommended) and may look soft. Use a 1280 px code or a smaller size.",
                input.code_px.0,
                fmt_mm(code_size),
                code_ppi
            ),
        });
    }
    Ok(code_ppi)
}

/// The logo's effective resolution: refused below 100 ppi, a warning below [`WARN_PPI`].
fn check_logo_resolution(
    input: &PageInput,
    logo_rect: Option<Rect>,
    warnings: &mut Vec<PrintWarning>,
) -> Result<Option<f64>, PrintError> {
    let (Some(r), Some((px, _))) = (logo_rect, input.logo_px) else {
        return Ok(None);
    };
    let ppi = px as f64 / (r.w / 25.4);
    if ppi < 100.0 {
        return Err(PrintError::LowResolution {
            role: ImageRole::Logo,
            ppi,
            px,
            mm: r.w,
        });
    }
    if ppi < WARN_PPI {
        warnings.push(PrintWarning {
            code: "print.logo_low_ppi".into(),
            store_id: input.store_id.into(),
            zh: format!("标志图片印出来只有 {ppi:.0} ppi（建议 ≥ 300），可能发虚。请换一张更大的标志图片。"),
            en: format!("The logo prints at {ppi:.0} ppi (300+ recommended) and may look soft. Use a larger logo image."),
        });
    }
    Ok(Some(ppi))
}

/// The tap target: a tinted disc with a ring, the sticker guide, a phone with NFC waves, and the label.
fn nfc_zone(
    out: &mut Vec<Item>,
    cx: f64,
    cy: f64,
    d: f64,
    brand: Cmyk,
    label: &Block,
    guide: bool,
) {
    let r = d / 2.0;
    out.push(Item::Fill {
        path: Path::circle(cx, cy, r),
        color: brand.tint(0.12),
    });
    let ring = 0.035 * d;
    out.push(Item::Stroke {
        path: Path::circle(cx, cy, r - ring / 2.0),
        stroke: Stroke {
            color: brand,
            width_mm: ring,
            dash: None,
            round: false,
        },
    });
    if guide {
        let gr = (15.0f64).min(r - 3.0);
        out.push(Item::Stroke {
            path: Path::circle(cx, cy, gr),
            stroke: Stroke {
                color: brand,
                width_mm: 0.25,
                dash: Some((1.2, 1.0)),
                round: false,
            },
        });
    }
    // Phone.
    let icon_stroke = Stroke {
        color: brand,
        width_mm: 0.024 * d,
        dash: None,
        round: true,
    };
    let (pw, ph) = (0.15 * d, 0.25 * d);
    let (pcx, pcy) = (cx - 0.06 * d, cy - 0.11 * d);
    out.push(Item::Stroke {
        path: Path::rounded_rect(pcx - pw / 2.0, pcy - ph / 2.0, pw, ph, 0.03 * d),
        stroke: icon_stroke,
    });
    out.push(Item::Stroke {
        path: Path::line(
            pcx - 0.025 * d,
            pcy - ph / 2.0 + 0.035 * d,
            pcx + 0.025 * d,
            pcy - ph / 2.0 + 0.035 * d,
        ),
        stroke: icon_stroke,
    });
    // Waves to the right of the phone.
    let a = 40f64.to_radians();
    for (i, wr) in [0.05, 0.085, 0.12].iter().enumerate() {
        let _ = i;
        out.push(Item::Stroke {
            path: Path::arc(pcx + pw / 2.0 + 0.005 * d, pcy, wr * d, -a, a),
            stroke: icon_stroke,
        });
    }
    if !label.is_empty() {
        let em = label.fitted.size_pt * PT_MM;
        let baseline = cy + 0.22 * d;
        label.place(cx, baseline - ASCENT_EM * em, out);
    }
}

/// Crop marks at the four corners (registration colour, 0.25 pt, starting 2 mm outside the bleed) and a small
/// label for the print shop in the slug (store, size, side).
fn slug(design: &StandDesign, input: &PageInput, w: f64, h: f64, shown_name: Option<&str>) -> Slug {
    let mut crop_marks = Vec::new();
    if design.crop_marks {
        let (o, l) = (CROP_MARK_OFFSET_MM, CROP_MARK_LENGTH_MM);
        for &(x, sx) in &[(0.0, -1.0), (w, 1.0)] {
            for &(y, sy) in &[(0.0, -1.0), (h, 1.0)] {
                crop_marks.push(Path::line(x + sx * o, y, x + sx * (o + l), y));
                crop_marks.push(Path::line(x, y + sy * o, x, y + sy * (o + l)));
            }
        }
    }
    let side = match (design.sides, input.side) {
        (Sides::Single, _) => "单面",
        (Sides::Double, Side::Front) => "正面",
        (Sides::Double, Side::Back) => "背面",
    };
    let who = match shown_name {
        Some(n) if !input.store_id.is_empty() => format!("{} {} · ", input.store_id, n),
        Some(n) => format!("{n} · "),
        None if !input.store_id.is_empty() => format!("{} · ", input.store_id),
        None => String::new(),
    };
    let (sw, sl) = design.size.sides_mm();
    let full = format!(
        "{who}{} {} {}×{} mm · {side} · 出血 {} mm · Tapstand",
        design.size.label(),
        design.orientation.zh(),
        fmt_mm(sw.min(sl)),
        fmt_mm(sw.max(sl)),
        fmt_mm(BLEED_MM)
    );
    let spec = FitSpec {
        weight: Weight::Regular,
        max_width_mm: w - 8.0,
        max_lines: 1,
        size_max_pt: 6.0,
        size_min_pt: 3.5,
        single_line_floor: 0.0,
    };
    let label = [full.clone(), full.replacen(&who, "", 1)]
        .into_iter()
        .filter(|t| fonts::missing_chars(Weight::Regular, t).is_empty())
        .find_map(|t| text::fit(&t, &spec))
        .and_then(|f| {
            f.lines.into_iter().next().map(|(t, width)| TextLine {
                x: 4.0,
                baseline: h + CROP_MARK_OFFSET_MM + 3.2,
                size_pt: f.size_pt,
                weight: Weight::Regular,
                text: t,
                color: Cmyk::K100,
                width,
            })
        });
    Slug { crop_marks, label }
}

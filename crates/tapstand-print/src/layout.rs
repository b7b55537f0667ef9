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

/// Lays out one page.
pub fn layout_page(design: &StandDesign, input: &PageInput) -> Result<PageLayout, PrintError> {
    design.validate()?;
    let (w, h) = design.size.trim_mm(design.orientation);
    let m = Metrics::new(w, h);
    let f = m.f;
    let brand = design.brand_color;
    let horizontal = design.orientation == Orientation::Horizontal;

    // Column width: the whole content width (vertical) or one of two columns (horizontal).
    let content_w = w - 2.0 * m.margin;
    let col_gap = (2.0 * m.margin).max(10.0);
    let col_w = if horizontal {
        (content_w - col_gap) / 2.0
    } else {
        content_w
    };

    // Tap target.
    let nfc_d = design
        .nfc_zone_mm
        .unwrap_or_else(|| (40.0 * f).clamp(NFC_ZONE_MIN_MM, NFC_ZONE_MAX_MM))
        .min(col_w);
    if nfc_d < NFC_ZONE_MIN_MM {
        return Err(PrintError::PageTooSmall {
            width_mm: w,
            height_mm: h,
        });
    }

    // Logo size (header), keeping its aspect ratio.
    let logo_size = input.logo_px.map(|(px_w, px_h)| {
        let aspect = px_w.max(1) as f64 / px_h.max(1) as f64;
        let mut lh = (11.0 * f).clamp(8.0, 16.0);
        let max_w = if horizontal {
            0.22 * w
        } else {
            0.5 * content_w
        };
        if lh * aspect > max_w {
            lh = max_w / aspect;
        }
        (lh * aspect, lh)
    });

    // Header texts.
    let header_text_w = match (horizontal, logo_size) {
        (true, Some((lw, _))) => content_w - 2.0 * (lw + 2.0 * m.gap),
        _ => content_w,
    };
    let headline = fit_block(
        TextField::Headline,
        &design.headline,
        FitSpec {
            weight: Weight::Bold,
            max_width_mm: header_text_w,
            max_lines: 2,
            size_max_pt: (30.0 * f).clamp(16.0, 48.0),
            size_min_pt: 12.0,
            single_line_floor: 0.75,
        },
    )?;
    let store_name = input
        .store_name
        .filter(|_| design.show_store_name)
        .map(text::normalize)
        .filter(|s| !s.is_empty());
    let store = match &store_name {
        Some(name) => Some(fit_block(
            TextField::StoreName,
            name,
            FitSpec {
                weight: Weight::Regular,
                max_width_mm: header_text_w,
                max_lines: 2,
                size_max_pt: (18.0 * f).clamp(11.0, 30.0),
                size_min_pt: 8.0,
                single_line_floor: 0.8,
            },
        )?),
        None => None,
    };
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
            max_width_mm: col_w,
            max_lines: 1,
            size_max_pt: (14.0 * f).clamp(9.0, 22.0),
            size_min_pt: 7.0,
            single_line_floor: 0.0,
        },
    )?;
    let scan_lines = fit_lines(
        TextField::ScanLines,
        &design.scan_lines,
        FitSpec {
            weight: Weight::Regular,
            max_width_mm: col_w,
            max_lines: 1,
            size_max_pt: (11.5 * f).clamp(8.0, 18.0),
            size_min_pt: 7.0,
            single_line_floor: 0.0,
        },
    )?;

    let gap = m.gap;
    let bar_w = (14.0 * f).clamp(10.0, 22.0);
    let bar_h = (0.9 * f).clamp(0.6, 1.2);

    // Header height: [logo (vertical only)] headline, bar, [store].
    let mut header_h = 0.0;
    if let (false, Some((_, lh))) = (horizontal, logo_size) {
        header_h += lh + 1.5 * gap;
    }
    if !headline.is_empty() {
        header_h += headline.height() + gap + bar_h;
    }
    if let Some(s) = &store {
        header_h += 1.2 * gap + s.height();
    }
    // Horizontal: the logo sits left of the header texts, both centred on the header's height.
    let mut header_text_offset = 0.0;
    if let (true, Some((_, lh))) = (horizontal, logo_size) {
        if lh > header_h {
            header_text_offset = (lh - header_h) / 2.0;
            header_h = lh;
        }
    }
    let text_gap = gap * 0.8;
    let nfc_group_h = nfc_d
        + if nfc_lines.is_empty() {
            0.0
        } else {
            text_gap + nfc_lines.height()
        };
    let scan_h = if scan_lines.is_empty() {
        0.0
    } else {
        text_gap + scan_lines.height()
    };

    let content_top = m.band + 2.0 * gap;
    let content_bottom = h - m.band - 2.0 * gap;
    let available = content_bottom - content_top;
    let code_target = design
        .code_mm
        .unwrap_or_else(|| (0.48 * w.min(h)).clamp(CODE_MIN_MM, 80.0));

    let mut items = Vec::new();
    // Brand bands, top and bottom, into the bleed.
    items.push(Item::Fill {
        path: Path::rect(-BLEED_MM, -BLEED_MM, w + 2.0 * BLEED_MM, m.band + BLEED_MM),
        color: brand,
    });
    items.push(Item::Fill {
        path: Path::rect(-BLEED_MM, h - m.band, w + 2.0 * BLEED_MM, m.band + BLEED_MM),
        color: brand,
    });

    let g1_min = 2.0 * gap; // header → body
    let code_size;
    let (nfc_cx, nfc_top, code_x, code_top, header_top);
    if !horizontal {
        // Circle bottom to code top ≥ 10 mm.
        let nfc_below = nfc_group_h - nfc_d;
        let g2_min = (10.0 - nfc_below).max(2.0 * gap);
        let room = available - header_h - g1_min - nfc_group_h - g2_min - scan_h;
        code_size = code_target.min(room).min(col_w);
        if code_size < CODE_MIN_MM || (design.code_mm.is_some() && code_size + 1e-6 < code_target) {
            return Err(PrintError::PageTooSmall {
                width_mm: w,
                height_mm: h,
            });
        }
        let spare = (room - code_size).max(0.0);
        let pad = spare / 4.0;
        header_top = content_top + pad;
        nfc_top = header_top + header_h + g1_min + pad;
        code_top = nfc_top + nfc_group_h + g2_min + pad;
        nfc_cx = w / 2.0;
        code_x = w / 2.0 - code_size / 2.0;
    } else {
        // The tap target and the code sit side by side on one axis, their texts below them.
        let body_room = available - header_h - g1_min;
        let nfc_below = nfc_group_h - nfc_d;
        let below = nfc_below.max(scan_h);
        code_size = code_target.min(body_room - below).min(col_w);
        if code_size < CODE_MIN_MM
            || nfc_d + below > body_room
            || (design.code_mm.is_some() && code_size + 1e-6 < code_target)
        {
            return Err(PrintError::PageTooSmall {
                width_mm: w,
                height_mm: h,
            });
        }
        let main_h = nfc_d.max(code_size);
        let body_h = main_h + below;
        let spare = (body_room - body_h).max(0.0);
        header_top = content_top + spare * 0.3;
        let body_top = header_top + header_h + g1_min + spare * 0.35;
        let left_cx = m.margin + col_w / 2.0;
        let right_cx = w - m.margin - col_w / 2.0;
        // Front: tap target left, code right. Back: mirrored, so the target covers the same sticker.
        let (nfc_col, code_col) = match input.side {
            Side::Front => (left_cx, right_cx),
            Side::Back => (right_cx, left_cx),
        };
        nfc_cx = nfc_col;
        nfc_top = body_top + (main_h - nfc_d) / 2.0;
        code_top = body_top + (main_h - code_size) / 2.0;
        code_x = code_col - code_size / 2.0;
    }

    // Header.
    let mut y = header_top + header_text_offset;
    let mut logo_rect = None;
    if let Some((lw, lh)) = logo_size {
        if horizontal {
            let block_h = header_h;
            let ly = header_top + (block_h - lh).max(0.0) / 2.0;
            logo_rect = Some(Rect {
                x: m.margin,
                y: ly,
                w: lw,
                h: lh,
            });
        } else {
            logo_rect = Some(Rect {
                x: w / 2.0 - lw / 2.0,
                y,
                w: lw,
                h: lh,
            });
            y += lh + 1.5 * gap;
        }
    }
    if let Some(r) = logo_rect {
        items.push(Item::Image {
            slot: ImageSlot::Logo,
            rect: r,
        });
    }
    if !headline.is_empty() {
        headline.place(w / 2.0, y, &mut items);
        y += headline.height() + gap;
        items.push(Item::Fill {
            path: Path::rounded_rect(w / 2.0 - bar_w / 2.0, y, bar_w, bar_h, bar_h / 2.0),
            color: brand,
        });
        y += bar_h;
    }
    if let Some(s) = &store {
        y += 1.2 * gap;
        s.place(w / 2.0, y, &mut items);
    }

    // Tap target.
    let nfc_cy = nfc_top + nfc_d / 2.0;
    nfc_zone(
        &mut items,
        nfc_cx,
        nfc_cy,
        nfc_d,
        brand,
        &label,
        design.sticker_guide,
    );
    if !nfc_lines.is_empty() {
        nfc_lines.place(nfc_cx, nfc_top + nfc_d + text_gap, &mut items);
    }

    // Code and caption.
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
    if !scan_lines.is_empty() {
        scan_lines.place(
            code_x + code_size / 2.0,
            code_top + code_size + text_gap,
            &mut items,
        );
    }

    // Resolution.
    let mut warnings = Vec::new();
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
    let logo_ppi = match (logo_rect, input.logo_px) {
        (Some(r), Some((px, _))) => {
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
            Some(ppi)
        }
        _ => None,
    };

    let slug = slug(design, input, w, h, store_name.as_deref());
    Ok(PageLayout {
        trim_w: w,
        trim_h: h,
        side: input.side,
        items,
        slug,
        code_rect,
        code_ppi,
        nfc_center: (nfc_cx, nfc_cy),
        nfc_diameter: nfc_d,
        logo_rect,
        logo_ppi,
        warnings,
    })
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

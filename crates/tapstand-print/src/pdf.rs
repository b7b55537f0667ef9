//! The PDF renderer: printpdf 0.12 draws the display list; lopdf then fixes what printpdf gets wrong for print
//! (see `shared/reference/print-pdf.md`):
//!
//! * printpdf writes page boxes as `[x y width height]` and has no BleedBox: every page gets a MediaBox of
//!   trim + 2 × 12 mm (bleed, crop marks, a label for the shop), CropBox = MediaBox, BleedBox = trim + 3 mm,
//!   TrimBox = the finished size, all as `[llx lly urx ury]`.
//! * printpdf's default save downsamples and re-encodes images as JPEG: images are added here as ready-made
//!   image XObjects (lossless Flate with PNG predictors, or the original JPEG bytes), which printpdf passes
//!   through untouched.
//! * printpdf's dates default to 1970 and the Info dictionary carries an empty `GTS_PDFXVersion`: the Info
//!   dictionary is rewritten (Title, Subject, Keywords, Creator, Producer, real dates, Trapped).
//! * printpdf gives every page every image of the document as resources: each page gets only its own.
//!
//! All text, the code's neutral pixels and the crop marks are DeviceCMYK (text K100, marks C=M=Y=K=100).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use lopdf::{Dictionary, Object};
use printpdf::{
    Color, DictItem, ExternalStream, ExternalXObject, FontId, ImageCompression,
    ImageOptimizationOptions, Line, LineCapStyle, LineDashPattern, LineJoinStyle, LinePoint, Mm,
    Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Polygon,
    PolygonRing, Pt, TextItem, TextMatrix, WindingOrder, XObjectId, XObjectTransform,
};

use crate::draw::{ImageSlot, Item, Path, Seg, Stroke, TextLine};
use crate::error::PrintError;
use crate::fonts::{self, Weight, PT_MM};
use crate::layout::PageLayout;
use crate::model::{Cmyk, BLEED_MM, SLUG_MM};
use crate::raster::PrintImage;

/// Document metadata.
#[derive(Clone, Debug)]
pub struct PdfMeta {
    pub title: String,
    pub subject: String,
    pub keywords: Vec<String>,
}

const MM_PT: f64 = 72.0 / 25.4;

fn parsed_font(w: Weight) -> &'static ParsedFont {
    static REGULAR: OnceLock<ParsedFont> = OnceLock::new();
    static BOLD: OnceLock<ParsedFont> = OnceLock::new();
    let cell = match w {
        Weight::Regular => &REGULAR,
        Weight::Bold => &BOLD,
    };
    cell.get_or_init(|| {
        ParsedFont::from_bytes(w.bytes(), 0, &mut Vec::new())
            .expect("bundled font parses with printpdf")
    })
}

fn color(c: Cmyk) -> Color {
    Color::Cmyk(printpdf::Cmyk::new(
        c.c as f32, c.m as f32, c.y as f32, c.k as f32, None,
    ))
}

/// Builds one PDF document page by page.
pub struct PdfBuilder {
    doc: PdfDocument,
    outline_text: bool,
    fonts: BTreeMap<Weight, FontId>,
    pages: Vec<PdfPage>,
    /// Per page: trim size and the image XObjects it uses.
    page_info: Vec<(f64, f64, Vec<String>)>,
}

impl PdfBuilder {
    pub fn new(outline_text: bool) -> PdfBuilder {
        PdfBuilder {
            doc: PdfDocument::new(""),
            outline_text,
            fonts: BTreeMap::new(),
            pages: Vec::new(),
            page_info: Vec::new(),
        }
    }

    /// Adds an image XObject; returns its resource name.
    pub fn add_image(&mut self, img: PrintImage) -> XObjectId {
        let mut dict = BTreeMap::new();
        let name = |s: &str| DictItem::Name(s.as_bytes().to_vec());
        dict.insert("Type".to_string(), name("XObject"));
        dict.insert("Subtype".to_string(), name("Image"));
        dict.insert("Width".to_string(), DictItem::Int(img.width as i64));
        dict.insert("Height".to_string(), DictItem::Int(img.height as i64));
        dict.insert("ColorSpace".to_string(), name(img.color_space));
        dict.insert("BitsPerComponent".to_string(), DictItem::Int(8));
        dict.insert("Filter".to_string(), name(img.filter));
        if let Some(colors) = img.predictor_colors {
            let mut parms = BTreeMap::new();
            parms.insert("Predictor".to_string(), DictItem::Int(15));
            parms.insert("Colors".to_string(), DictItem::Int(colors as i64));
            parms.insert("BitsPerComponent".to_string(), DictItem::Int(8));
            parms.insert("Columns".to_string(), DictItem::Int(img.width as i64));
            dict.insert("DecodeParms".to_string(), DictItem::Dict { map: parms });
        }
        if img.invert_decode {
            dict.insert(
                "Decode".to_string(),
                DictItem::Array(
                    [1, 0, 1, 0, 1, 0, 1, 0]
                        .iter()
                        .map(|v| DictItem::Int(*v))
                        .collect(),
                ),
            );
        }
        self.doc.add_xobject(&ExternalXObject {
            stream: ExternalStream {
                dict,
                content: img.data,
                compress: false,
            },
            width: None,
            height: None,
            dpi: None,
        })
    }

    fn font(&mut self, w: Weight) -> FontId {
        if let Some(id) = self.fonts.get(&w) {
            return id.clone();
        }
        let id = self.doc.add_font(parsed_font(w));
        self.fonts.insert(w, id.clone());
        id
    }

    /// Adds one page drawing `layout`, with the code (and logo) XObjects.
    pub fn add_page(&mut self, layout: &PageLayout, code: &XObjectId, logo: Option<&XObjectId>) {
        let (tw, th) = (layout.trim_w, layout.trim_h);
        let tf = Tf { trim_h: th };
        let mut ops = Vec::new();
        let mut used = Vec::new();
        for item in &layout.items {
            match item {
                Item::Fill { path, color: c } => {
                    ops.push(Op::SaveGraphicsState);
                    ops.push(Op::SetFillColor { col: color(*c) });
                    ops.push(Op::DrawPolygon {
                        polygon: polygon(&tf, path, PaintMode::Fill),
                    });
                    ops.push(Op::RestoreGraphicsState);
                }
                Item::Stroke { path, stroke } => stroke_ops(&mut ops, &tf, path, stroke),
                Item::Text(line) => self.text_ops(&mut ops, &tf, line),
                Item::Image { slot, rect } => {
                    let id = match slot {
                        ImageSlot::Code => code,
                        ImageSlot::Logo => match logo {
                            Some(l) => l,
                            None => continue,
                        },
                    };
                    if !used.contains(&id.0) {
                        used.push(id.0.clone());
                    }
                    let (x, y) = tf.pt(rect.x, rect.y + rect.h);
                    ops.push(Op::UseXobject {
                        id: id.clone(),
                        transform: XObjectTransform {
                            translate_x: Some(Pt(x)),
                            translate_y: Some(Pt(y)),
                            scale_x: Some((rect.w * MM_PT) as f32),
                            scale_y: Some((rect.h * MM_PT) as f32),
                            no_auto_scale: true,
                            ..Default::default()
                        },
                    });
                }
            }
        }
        for mark in &layout.slug.crop_marks {
            stroke_ops(
                &mut ops,
                &tf,
                mark,
                &Stroke {
                    color: Cmyk::REGISTRATION,
                    width_mm: 0.25 * PT_MM,
                    dash: None,
                    round: false,
                },
            );
        }
        if let Some(label) = &layout.slug.label {
            self.text_ops(&mut ops, &tf, label);
        }
        let (mw, mh) = (tw + 2.0 * SLUG_MM, th + 2.0 * SLUG_MM);
        self.pages
            .push(PdfPage::new(Mm(mw as f32), Mm(mh as f32), ops));
        self.page_info.push((tw, th, used));
    }

    fn text_ops(&mut self, ops: &mut Vec<Op>, tf: &Tf, line: &TextLine) {
        if self.outline_text {
            ops.push(Op::SaveGraphicsState);
            ops.push(Op::SetFillColor {
                col: color(line.color),
            });
            let path = text_outline(line);
            if !path.0.is_empty() {
                ops.push(Op::DrawPolygon {
                    polygon: polygon(tf, &path, PaintMode::Fill),
                });
            }
            ops.push(Op::RestoreGraphicsState);
            return;
        }
        let font = self.font(line.weight);
        let (x, y) = tf.pt(line.x, line.baseline);
        ops.push(Op::StartTextSection);
        ops.push(Op::SetFont {
            font: PdfFontHandle::External(font),
            size: Pt(line.size_pt as f32),
        });
        ops.push(Op::SetFillColor {
            col: color(line.color),
        });
        ops.push(Op::SetTextMatrix {
            matrix: TextMatrix::Translate(Pt(x), Pt(y)),
        });
        ops.push(Op::ShowText {
            items: vec![TextItem::Text(line.text.clone())],
        });
        ops.push(Op::EndTextSection);
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Serializes the document, fixes boxes, resources and metadata, and returns the file's bytes.
    pub fn finish(self, meta: &PdfMeta) -> Result<Vec<u8>, PrintError> {
        let mut lo = self.into_lopdf()?;
        set_info(&mut lo, meta);
        lo.prune_objects();
        lo.compress();
        let mut out = Vec::new();
        lo.save_to(&mut out)
            .map_err(|e| PrintError::Pdf(e.to_string()))?;
        Ok(out)
    }

    /// The document as lopdf objects with every page fixed (boxes, own resources) and version 1.4, but
    /// without the Info dictionary (see [`set_info`]) and not yet pruned or compressed: what [`finish`]
    /// saves, and what the streaming writer (`crate::stream`) appends chunk by chunk.
    ///
    /// [`finish`]: PdfBuilder::finish
    pub(crate) fn into_lopdf(mut self) -> Result<lopdf::Document, PrintError> {
        let now = printpdf::date::DateTime::now();
        {
            let info = &mut self.doc.metadata.info;
            info.creation_date = now;
            info.modification_date = now;
            info.metadata_date = now;
        }
        let page_info = std::mem::take(&mut self.page_info);
        self.doc.with_pages(std::mem::take(&mut self.pages));
        let opts = PdfSaveOptions {
            optimize: true,
            subset_fonts: true,
            secure: true,
            // Never let printpdf touch images (its defaults downscale and re-encode as JPEG). Ours are external
            // XObjects, which it copies as they are; this is belt and braces.
            image_optimization: Some(ImageOptimizationOptions {
                quality: None,
                max_image_size: None,
                dither_greyscale: Some(false),
                convert_to_greyscale: Some(false),
                auto_optimize: Some(false),
                format: Some(ImageCompression::Flate),
            }),
        };
        let mut warnings = Vec::new();
        let mut lo = self.doc.to_lopdf_document(&opts, &mut warnings);
        drop(self.doc);
        for w in warnings
            .iter()
            .filter(|w| w.severity == printpdf::PdfParseErrorSeverity::Error)
        {
            tracing::warn!(msg = %w.msg, "printpdf");
        }
        fix_pages(&mut lo, &page_info)?;
        Ok(lo)
    }
}

/// mm (trim origin, y down) → pt (MediaBox origin, y up).
struct Tf {
    trim_h: f64,
}

impl Tf {
    fn pt(&self, x: f64, y: f64) -> (f32, f32) {
        (
            ((SLUG_MM + x) * MM_PT) as f32,
            ((SLUG_MM + self.trim_h - y) * MM_PT) as f32,
        )
    }
    fn point(&self, x: f64, y: f64) -> Point {
        let (x, y) = self.pt(x, y);
        Point { x: Pt(x), y: Pt(y) }
    }
}

fn rings(tf: &Tf, path: &Path) -> (Vec<Vec<LinePoint>>, bool) {
    let mut rings: Vec<Vec<LinePoint>> = Vec::new();
    let mut closed = false;
    let lp = |x: f64, y: f64, bezier: bool| LinePoint {
        p: tf.point(x, y),
        bezier,
    };
    for s in &path.0 {
        match *s {
            Seg::M(x, y) => rings.push(vec![lp(x, y, false)]),
            Seg::L(x, y) => {
                if let Some(r) = rings.last_mut() {
                    r.push(lp(x, y, false));
                }
            }
            Seg::C(a, b, c, d, x, y) => {
                if let Some(r) = rings.last_mut() {
                    r.push(lp(a, b, true));
                    r.push(lp(c, d, true));
                    r.push(lp(x, y, false));
                }
            }
            Seg::Z => closed = true,
        }
    }
    (rings, closed)
}

fn polygon(tf: &Tf, path: &Path, mode: PaintMode) -> Polygon {
    Polygon {
        rings: rings(tf, path)
            .0
            .into_iter()
            .map(|points| PolygonRing { points })
            .collect(),
        mode,
        winding_order: WindingOrder::NonZero,
    }
}

fn stroke_ops(ops: &mut Vec<Op>, tf: &Tf, path: &Path, s: &Stroke) {
    ops.push(Op::SaveGraphicsState);
    ops.push(Op::SetOutlineColor {
        col: color(s.color),
    });
    ops.push(Op::SetOutlineThickness {
        pt: Pt((s.width_mm * MM_PT) as f32),
    });
    ops.push(Op::SetLineCapStyle {
        cap: if s.round {
            LineCapStyle::Round
        } else {
            LineCapStyle::Butt
        },
    });
    ops.push(Op::SetLineJoinStyle {
        join: if s.round {
            LineJoinStyle::Round
        } else {
            LineJoinStyle::Miter
        },
    });
    if let Some((dash, gap)) = s.dash {
        ops.push(Op::SetLineDashPattern {
            dash: LineDashPattern::new(0.0, &[(dash * MM_PT) as f32, (gap * MM_PT) as f32]),
        });
    }
    let (rings, closed) = rings(tf, path);
    if closed {
        ops.push(Op::DrawPolygon {
            polygon: Polygon {
                rings: rings
                    .into_iter()
                    .map(|points| PolygonRing { points })
                    .collect(),
                mode: PaintMode::Stroke,
                winding_order: WindingOrder::NonZero,
            },
        });
    } else {
        for points in rings {
            ops.push(Op::DrawLine {
                line: Line {
                    points,
                    is_closed: false,
                },
            });
        }
    }
    ops.push(Op::RestoreGraphicsState);
}

/// The glyph outlines of a line of text, in page mm (y down): 转曲.
pub(crate) fn text_outline(line: &TextLine) -> Path {
    let upm = fonts::units_per_em(line.weight);
    let s = line.size_pt * PT_MM / upm;
    let mut out = Vec::new();
    let mut pen = line.x;
    for ch in line.text.chars() {
        if let Some(g) = fonts::glyph(line.weight, ch) {
            let (ox, oy) = (pen, line.baseline);
            let p = fonts::glyph_outline(line.weight, g).map(|x, y| (ox + x * s, oy - y * s));
            out.extend(p.0);
        }
        pen += fonts::advance_em(line.weight, ch) * line.size_pt * PT_MM;
    }
    Path(out)
}

fn rect_pt(x0: f64, y0: f64, x1: f64, y1: f64) -> Object {
    Object::Array(
        [x0, y0, x1, y1]
            .iter()
            .map(|v| Object::Real((v * MM_PT) as f32))
            .collect(),
    )
}

fn pdf_text(s: &str) -> Object {
    // UTF-16BE with BOM: Chinese titles survive in every viewer.
    let mut bytes = vec![0xFE, 0xFF];
    for u in s.encode_utf16() {
        bytes.extend_from_slice(&u.to_be_bytes());
    }
    Object::String(bytes, lopdf::StringFormat::Hexadecimal)
}

fn pdf_date(t: time::OffsetDateTime) -> Object {
    let t = t.to_offset(time::UtcOffset::UTC);
    Object::string_literal(format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    ))
}

fn fix_pages(
    lo: &mut lopdf::Document,
    page_info: &[(f64, f64, Vec<String>)],
) -> Result<(), PrintError> {
    let err = |e: lopdf::Error| PrintError::Pdf(e.to_string());
    let pages: Vec<lopdf::ObjectId> = lo.get_pages().values().copied().collect();
    if pages.len() != page_info.len() {
        return Err(PrintError::Pdf(format!(
            "{} pages written, {} expected",
            pages.len(),
            page_info.len()
        )));
    }
    for (page_id, (tw, th, used)) in pages.iter().zip(page_info) {
        // The page's own XObject dictionary, holding only the images it draws.
        let res_ref = lo
            .get_dictionary(*page_id)
            .and_then(|d| d.get(b"Resources"))
            .and_then(|o| o.as_reference())
            .map_err(err)?;
        let resources = lo.get_dictionary(res_ref).map_err(err)?.clone();
        let global_xobjects = match resources.get(b"XObject") {
            Ok(Object::Reference(r)) => lo.get_dictionary(*r).map_err(err)?.clone(),
            Ok(Object::Dictionary(d)) => d.clone(),
            _ => Dictionary::new(),
        };
        let mut mine = Dictionary::new();
        for name in used {
            if let Ok(obj) = global_xobjects.get(name.as_bytes()) {
                mine.set(name.as_bytes().to_vec(), obj.clone());
            }
        }
        let mut new_res = Dictionary::new();
        if let Ok(fonts) = resources.get(b"Font") {
            let has_fonts = match fonts {
                Object::Reference(r) => lo
                    .get_dictionary(*r)
                    .map(|d| !d.is_empty())
                    .unwrap_or(false),
                Object::Dictionary(d) => !d.is_empty(),
                _ => false,
            };
            if has_fonts {
                new_res.set("Font", fonts.clone());
            }
        }
        if !mine.is_empty() {
            new_res.set("XObject", Object::Dictionary(mine));
        }
        new_res.set(
            "ProcSet",
            Object::Array(
                ["PDF", "Text", "ImageB", "ImageC"]
                    .iter()
                    .map(|n| Object::Name(n.as_bytes().to_vec()))
                    .collect(),
            ),
        );
        let new_res_id = lo.add_object(Object::Dictionary(new_res));

        let d = lo.get_dictionary_mut(*page_id).map_err(err)?;
        let (s, b) = (SLUG_MM, BLEED_MM);
        let media = rect_pt(0.0, 0.0, tw + 2.0 * s, th + 2.0 * s);
        d.set("MediaBox", media.clone());
        d.set("CropBox", media);
        d.set("BleedBox", rect_pt(s - b, s - b, s + tw + b, s + th + b));
        d.set("TrimBox", rect_pt(s, s, s + tw, s + th));
        d.set("Resources", Object::Reference(new_res_id));
        if matches!(d.get(b"Annots"), Ok(Object::Array(a)) if a.is_empty()) {
            d.remove(b"Annots");
        }
    }

    // BleedBox/TrimBox and CID fonts need no more than PDF 1.4; printpdf always writes 1.3.
    lo.version = "1.4".into();
    Ok(())
}

/// The Info dictionary of a Tapstand PDF (title, subject, keywords, creator, producer, real dates).
pub(crate) fn info_dict(meta: &PdfMeta) -> Dictionary {
    let now = time::OffsetDateTime::now_utc();
    let mut info = Dictionary::new();
    info.set("Title", pdf_text(&meta.title));
    info.set("Subject", pdf_text(&meta.subject));
    info.set("Keywords", pdf_text(&meta.keywords.join(", ")));
    info.set(
        "Creator",
        pdf_text(&format!(
            "Tapstand {} 碰一碰立牌工作台",
            env!("CARGO_PKG_VERSION")
        )),
    );
    info.set(
        "Producer",
        pdf_text(&format!(
            "Tapstand print engine {} (printpdf 0.12.8, lopdf 0.44)",
            env!("CARGO_PKG_VERSION")
        )),
    );
    info.set("CreationDate", pdf_date(now));
    info.set("ModDate", pdf_date(now));
    info.set("Trapped", Object::Name(b"False".to_vec()));
    info
}

/// Replaces printpdf's Info dictionary (1970 dates, an empty `GTS_PDFXVersion`) with [`info_dict`].
fn set_info(lo: &mut lopdf::Document, meta: &PdfMeta) {
    if let Ok(old) = lo.trailer.get(b"Info").and_then(|o| o.as_reference()) {
        lo.objects.remove(&old);
    }
    let info_id = lo.add_object(Object::Dictionary(info_dict(meta)));
    lo.trailer.set("Info", Object::Reference(info_id));
}

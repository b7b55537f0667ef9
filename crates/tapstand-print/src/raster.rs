//! Raster images for print: never downsampled, never JPEG re-encoded.
//!
//! [`ImageColor::PrintReady`] decodes the image once and writes it losslessly (Flate): neutral pixels go on
//! the black plate only — a DeviceGray image when the whole image is neutral (black-and-white code), else a
//! DeviceCMYK image whose neutral pixels have C = M = Y = 0 — and coloured pixels (the avatar in the middle of a
//! 小程序码, a logo) get the plain RGB→CMYK formula. Near-white neutrals (K ≤ 2.5 %) become paper white and
//! near-black ones (K ≥ 97.5 %) solid K100, which removes JPEG ringing from the code's white and black areas.
//! Transparency is flattened onto white (the code and the logo sit on white).
//!
//! [`ImageColor::Original`] embeds a JPEG byte for byte (DCTDecode) and a PNG losslessly as RGB.

use std::io::{Cursor, Write};

use flate2::write::ZlibEncoder;
use flate2::Compression;
use image::{DynamicImage, ImageFormat};
use tapstand_image::JpegColor;

use crate::error::{ImageRole, PrintError};
use crate::model::ImageColor;

/// Spread between the largest and smallest of R, G, B below which a pixel counts as neutral.
const NEUTRAL_SPREAD: u8 = 12;
const WHITE_CUT: u8 = 6;
const BLACK_CUT: u8 = 249;

/// PNG or JPEG (the formats the print engine takes).
pub use tapstand_image::Format as SourceFormat;

/// Format and pixel size, from the header only.
pub type ImageInfo = tapstand_image::Header;

fn unreadable(role: ImageRole, detail: impl std::fmt::Display) -> PrintError {
    PrintError::ImageUnreadable {
        role,
        detail: detail.to_string(),
    }
}

pub fn probe(bytes: &[u8], role: ImageRole) -> Result<ImageInfo, PrintError> {
    tapstand_image::header(bytes).map_err(|e| unreadable(role, e))
}

/// An image XObject's content, ready for the PDF.
#[derive(Clone, Debug, PartialEq)]
pub struct PrintImage {
    pub width: u32,
    pub height: u32,
    /// `DeviceGray`, `DeviceRGB` or `DeviceCMYK`.
    pub color_space: &'static str,
    /// `FlateDecode` or `DCTDecode`.
    pub filter: &'static str,
    /// Colours per pixel when the data carries PNG row predictors (Flate only).
    pub predictor_colors: Option<u8>,
    /// Adobe CMYK JPEGs store inverted values.
    pub invert_decode: bool,
    pub data: Vec<u8>,
}

pub fn prepare(bytes: &[u8], role: ImageRole, mode: ImageColor) -> Result<PrintImage, PrintError> {
    let info = probe(bytes, role)?;
    if mode == ImageColor::Original && info.format == SourceFormat::Jpeg {
        // `image` reports a CMYK JPEG as RGB (it converts while decoding), so the frame header says which
        // colour space the DCT data is in.
        if let Some(color) = tapstand_image::jpeg_color(bytes) {
            let (color_space, invert_decode) = match color {
                JpegColor::Gray => ("DeviceGray", false),
                JpegColor::Rgb => ("DeviceRGB", false),
                JpegColor::Cmyk { inverted } => ("DeviceCMYK", inverted),
            };
            return Ok(PrintImage {
                width: info.width,
                height: info.height,
                color_space,
                filter: "DCTDecode",
                predictor_colors: None,
                invert_decode,
                data: bytes.to_vec(),
            });
        }
    }
    let t0 = std::time::Instant::now();
    let img = decode(bytes, info, role)?;
    let t1 = std::time::Instant::now();
    let (w, h) = (img.width(), img.height());
    let px = print_pixels(img, mode);
    let t2 = std::time::Instant::now();
    let data = deflate_with_up_predictor(&px.data, w as usize * px.channels as usize)
        .map_err(|e| PrintError::Pdf(e.to_string()))?;
    tracing::trace!(
        decode_us = (t1 - t0).as_micros() as u64,
        convert_us = (t2 - t1).as_micros() as u64,
        deflate_us = t2.elapsed().as_micros() as u64,
        raw = px.data.len(),
        compressed = data.len(),
        "image prepared"
    );
    Ok(PrintImage {
        width: w,
        height: h,
        color_space: px.color_space,
        filter: "FlateDecode",
        predictor_colors: Some(px.channels),
        invert_decode: false,
        data,
    })
}

fn decode(bytes: &[u8], info: ImageInfo, role: ImageRole) -> Result<DynamicImage, PrintError> {
    image::load_from_memory_with_format(bytes, info.format.image_format())
        .map_err(|e| unreadable(role, e))
}

/// Pixels as they go into the PDF.
struct Pixels {
    color_space: &'static str,
    channels: u8,
    data: Vec<u8>,
}

fn print_pixels(img: DynamicImage, mode: ImageColor) -> Pixels {
    let (color_space, channels, data) = match mode {
        ImageColor::Original => ("DeviceRGB", 3u8, flatten_rgb(img)),
        ImageColor::PrintReady => match img {
            DynamicImage::ImageLuma8(g) => ("DeviceGray", 1, clean_gray(g.into_raw())),
            DynamicImage::ImageLumaA8(_) => {
                let g = img.to_luma_alpha8();
                let gray = g
                    .as_raw()
                    .chunks_exact(2)
                    .map(|p| over_white(p[0], p[1]))
                    .collect();
                ("DeviceGray", 1, clean_gray(gray))
            }
            other => {
                let rgb = flatten_rgb(other);
                let (cmyk, all_neutral) = to_cmyk(&rgb);
                if all_neutral {
                    // Gray = 255 − K, already cleaned.
                    let gray = cmyk.chunks_exact(4).map(|p| 255 - p[3]).collect();
                    ("DeviceGray", 1, gray)
                } else {
                    ("DeviceCMYK", 4, cmyk)
                }
            }
        },
    };
    Pixels {
        color_space,
        channels,
        data,
    }
}

/// A PNG `data:` URL of the image as it will print (after the same colour conversion as the PDF, shown with
/// the same screen approximation of the inks), at most `max_px` wide: the live preview's image.
pub fn preview_data_url(
    bytes: &[u8],
    role: ImageRole,
    mode: ImageColor,
    max_px: u32,
) -> Result<String, PrintError> {
    let info = probe(bytes, role)?;
    if mode == ImageColor::Original && info.format == SourceFormat::Jpeg && info.width <= max_px {
        return Ok(data_url(bytes, info.format));
    }
    let img = decode(bytes, info, role)?;
    let (w, h) = (img.width(), img.height());
    let px = print_pixels(img, mode);
    // Screen colour of every distinct ink value, computed once.
    let k_lut: Vec<[u8; 3]> = (0..=255u16)
        .map(|k| {
            let (r, g, b) = crate::model::cmyk_to_screen(0.0, 0.0, 0.0, k as f64 / 255.0);
            [r, g, b]
        })
        .collect();
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    match px.channels {
        1 => {
            for v in &px.data {
                rgb.extend_from_slice(&k_lut[255 - *v as usize]);
            }
        }
        4 => {
            for p in px.data.chunks_exact(4) {
                if p[0] == 0 && p[1] == 0 && p[2] == 0 {
                    rgb.extend_from_slice(&k_lut[p[3] as usize]);
                } else {
                    let f = |v: u8| v as f64 / 255.0;
                    let (r, g, b) =
                        crate::model::cmyk_to_screen(f(p[0]), f(p[1]), f(p[2]), f(p[3]));
                    rgb.extend_from_slice(&[r, g, b]);
                }
            }
        }
        _ => rgb = px.data,
    }
    let mut img =
        DynamicImage::ImageRgb8(image::RgbImage::from_raw(w, h, rgb).expect("size matches"));
    if w > max_px {
        let nh = ((h as u64 * max_px as u64) / w as u64).max(1) as u32;
        img = img.resize_exact(max_px, nh, image::imageops::FilterType::Triangle);
    }
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .map_err(|e| PrintError::Pdf(e.to_string()))?;
    Ok(data_url(out.get_ref(), SourceFormat::Png))
}

fn over_white(c: u8, a: u8) -> u8 {
    ((c as u16 * a as u16 + 255 * (255 - a as u16) + 127) / 255) as u8
}

/// RGB bytes, transparency flattened onto white.
fn flatten_rgb(img: DynamicImage) -> Vec<u8> {
    if img.color().has_alpha() {
        let rgba = img.to_rgba8();
        let mut out = Vec::with_capacity(rgba.len() / 4 * 3);
        for p in rgba.as_raw().chunks_exact(4) {
            out.push(over_white(p[0], p[3]));
            out.push(over_white(p[1], p[3]));
            out.push(over_white(p[2], p[3]));
        }
        out
    } else {
        img.into_rgb8().into_raw()
    }
}

/// Gray values (0 = black) with paper white and solid black snapped.
fn clean_gray(mut g: Vec<u8>) -> Vec<u8> {
    for v in g.iter_mut() {
        let k = 255 - *v;
        if k <= WHITE_CUT {
            *v = 255;
        } else if k >= BLACK_CUT {
            *v = 0;
        }
    }
    g
}

/// CMYK with neutral pixels on K only (cleaned like [`clean_gray`]), and whether every pixel was neutral.
fn to_cmyk(rgb: &[u8]) -> (Vec<u8>, bool) {
    let mut out = vec![0u8; rgb.len() / 3 * 4];
    let mut all_neutral = true;
    for (p, o) in rgb.chunks_exact(3).zip(out.chunks_exact_mut(4)) {
        let (r, g, b) = (p[0], p[1], p[2]);
        let max = r.max(g).max(b);
        let min = r.min(g).min(b);
        if max - min <= NEUTRAL_SPREAD {
            let v = ((r as u16 + g as u16 + b as u16 + 1) / 3) as u8;
            let k = 255 - v;
            o[3] = if k <= WHITE_CUT {
                0
            } else if k >= BLACK_CUT {
                255
            } else {
                k
            };
        } else {
            all_neutral = false;
            // max > 0 here: a pixel with max = 0 is black, hence neutral.
            let m = max as u32;
            o[0] = ((m - r as u32) * 255 / m) as u8;
            o[1] = ((m - g as u32) * 255 / m) as u8;
            o[2] = ((m - b as u32) * 255 / m) as u8;
            o[3] = 255 - max;
        }
    }
    (out, all_neutral)
}

/// Zlib data with the PNG "Up" predictor on every row (PDF `/Predictor 15`): the code's rows repeat, so this
/// compresses much better than raw rows, and it is still lossless.
fn deflate_with_up_predictor(pixels: &[u8], row_len: usize) -> std::io::Result<Vec<u8>> {
    let mut enc = ZlibEncoder::new(Vec::with_capacity(pixels.len() / 8), Compression::fast());
    let mut row = vec![0u8; row_len + 1];
    let mut prev: Option<&[u8]> = None;
    for cur in pixels.chunks_exact(row_len) {
        match prev {
            None => {
                row[0] = 0;
                row[1..].copy_from_slice(cur);
            }
            Some(p) => {
                row[0] = 2;
                for i in 0..row_len {
                    row[i + 1] = cur[i].wrapping_sub(p[i]);
                }
            }
        }
        enc.write_all(&row)?;
        prev = Some(cur);
    }
    enc.finish()
}

/// `data:` URL of the original bytes, for the SVG preview.
pub fn data_url(bytes: &[u8], format: SourceFormat) -> String {
    use base64::Engine;
    format!(
        "data:{};base64,{}",
        format.mime(),
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(img: DynamicImage) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn black_and_white_becomes_gray_and_roundtrips() {
        let mut g = image::GrayImage::new(64, 64);
        for (x, y, p) in g.enumerate_pixels_mut() {
            p.0 = [if (x / 8 + y / 8) % 2 == 0 { 0 } else { 255 }];
        }
        let rgb = DynamicImage::ImageLuma8(g.clone()).to_rgb8();
        let out = prepare(
            &png(DynamicImage::ImageRgb8(rgb)),
            ImageRole::Code,
            ImageColor::PrintReady,
        )
        .unwrap();
        assert_eq!(out.color_space, "DeviceGray");
        assert_eq!((out.width, out.height), (64, 64));
        // Undo the predictor and compare.
        let mut raw = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::ZlibDecoder::new(&out.data[..]), &mut raw)
            .unwrap();
        let mut prev = vec![0u8; 64];
        let mut pixels = Vec::new();
        for row in raw.chunks_exact(65) {
            let cur: Vec<u8> = row[1..]
                .iter()
                .zip(&prev)
                .map(|(d, p)| if row[0] == 2 { d.wrapping_add(*p) } else { *d })
                .collect();
            pixels.extend_from_slice(&cur);
            prev = cur;
        }
        assert_eq!(pixels, g.into_raw());
    }

    #[test]
    fn colour_pixels_make_cmyk_with_k_only_neutrals() {
        let mut img = image::RgbImage::new(8, 8);
        for (x, _, p) in img.enumerate_pixels_mut() {
            p.0 = if x < 4 { [0, 0, 0] } else { [7, 193, 96] };
        }
        let out = prepare(
            &png(DynamicImage::ImageRgb8(img)),
            ImageRole::Logo,
            ImageColor::PrintReady,
        )
        .unwrap();
        assert_eq!(out.color_space, "DeviceCMYK");
        let (cmyk, neutral) = to_cmyk(&[0, 0, 0, 255, 255, 255, 128, 128, 128]);
        assert_eq!(cmyk, vec![0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 127]);
        assert!(neutral);
        assert!(!to_cmyk(&[7, 193, 96]).1);
    }

    #[test]
    fn original_jpeg_is_embedded_byte_for_byte() {
        let mut img = image::RgbImage::new(16, 16);
        for p in img.pixels_mut() {
            p.0 = [200, 30, 30];
        }
        let mut jpg = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(img)
            .write_to(&mut jpg, ImageFormat::Jpeg)
            .unwrap();
        let jpg = jpg.into_inner();
        let out = prepare(&jpg, ImageRole::Code, ImageColor::Original).unwrap();
        assert_eq!(out.filter, "DCTDecode");
        assert_eq!(out.data, jpg);
        assert_eq!(out.color_space, "DeviceRGB");
    }

    #[test]
    fn original_gray_and_cmyk_jpegs_keep_their_colour_space() {
        let mut gray = Vec::new();
        jpeg_encoder::Encoder::new(&mut gray, 90)
            .encode(&[0u8; 16 * 16], 16, 16, jpeg_encoder::ColorType::Luma)
            .unwrap();
        let out = prepare(&gray, ImageRole::Code, ImageColor::Original).unwrap();
        assert_eq!((out.color_space, out.filter), ("DeviceGray", "DCTDecode"));
        assert!(!out.invert_decode);
        assert_eq!(out.data, gray);

        // CMYK as Photoshop writes it (APP14 "Adobe", inverted values): the PDF must decode it inverted.
        let mut cmyk = Vec::new();
        jpeg_encoder::Encoder::new(&mut cmyk, 90)
            .encode(&[0u8; 16 * 8 * 4], 16, 8, jpeg_encoder::ColorType::Cmyk)
            .unwrap();
        let out = prepare(&cmyk, ImageRole::Logo, ImageColor::Original).unwrap();
        assert_eq!((out.color_space, out.filter), ("DeviceCMYK", "DCTDecode"));
        assert!(out.invert_decode);
        assert_eq!((out.width, out.height), (16, 8));
        assert_eq!(out.data, cmyk);
    }

    #[test]
    fn garbage_is_refused() {
        assert!(matches!(
            prepare(b"not an image", ImageRole::Code, ImageColor::PrintReady),
            Err(PrintError::ImageUnreadable { .. })
        ));
    }
}

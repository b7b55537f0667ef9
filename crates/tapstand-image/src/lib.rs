//! What Tapstand reads from an image file without decoding its pixels: whether it is a PNG or a JPEG and its
//! pixel size ([`header`], through the `image` crate), and the colour layout of a JPEG's frame
//! ([`jpeg_color`]), which `image` does not report.
//!
//! Used by the print engine (to check and embed the 小程序码 and the logo) and by the WeChat client (to tell a
//! 小程序码 image from an error answer and to record its size).

use std::io::Cursor;

/// The image formats Tapstand takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Png,
    Jpeg,
}

impl Format {
    pub fn mime(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
        }
    }

    /// The same format as the `image` crate names it.
    pub fn image_format(self) -> image::ImageFormat {
        match self {
            Format::Png => image::ImageFormat::Png,
            Format::Jpeg => image::ImageFormat::Jpeg,
        }
    }
}

/// Why an image's header cannot be used. The messages are the `detail` of the print engine's "image
/// unreadable" error.
#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    #[error("{0:?} is not supported; use PNG or JPEG")]
    Unsupported(image::ImageFormat),
    #[error("{0}")]
    Unreadable(#[from] image::ImageError),
    #[error("empty image")]
    Empty,
}

/// Format and pixel size, from the header only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub format: Format,
    pub width: u32,
    pub height: u32,
}

/// PNG or JPEG, by the file's signature (`89 50 4E 47 0D 0A 1A 0A`, `FF D8 FF`). Another format that
/// `image` knows by its signature is named in the error.
pub fn format(bytes: &[u8]) -> Result<Format, HeaderError> {
    match image::guess_format(bytes)? {
        image::ImageFormat::Png => Ok(Format::Png),
        image::ImageFormat::Jpeg => Ok(Format::Jpeg),
        other => Err(HeaderError::Unsupported(other)),
    }
}

/// Format and pixel size (PNG IHDR, JPEG frame header); the pixels are not decoded. A size of zero is an
/// error.
pub fn header(bytes: &[u8]) -> Result<Header, HeaderError> {
    let format = format(bytes)?;
    let (width, height) =
        image::ImageReader::with_format(Cursor::new(bytes), format.image_format())
            .into_dimensions()?;
    if width == 0 || height == 0 {
        return Err(HeaderError::Empty);
    }
    Ok(Header {
        format,
        width,
        height,
    })
}

/// How a JPEG stores its colours, which decides how it is embedded byte for byte in a PDF (DCTDecode with
/// DeviceGray, DeviceRGB or DeviceCMYK). `image` cannot tell: it converts CMYK JPEGs to RGB while
/// decoding and reports them as RGB, and it does not expose the Adobe marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JpegColor {
    /// One component.
    Gray,
    /// Three components (YCbCr or RGB; the DCT decoder converts them).
    Rgb,
    /// Four components. `inverted`: the file has an Adobe APP14 segment, whose CMYK JPEGs (Photoshop's)
    /// store inverted values, so the PDF must decode them inverted.
    Cmyk { inverted: bool },
}

/// The colour layout of a JPEG from its frame header (SOFn, baseline to lossless), or `None` when the
/// bytes are not a JPEG with a readable frame header or the component count is not 1, 3 or 4.
pub fn jpeg_color(b: &[u8]) -> Option<JpegColor> {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    // Segments after SOI: FF, the marker, a big-endian length that counts itself; fill bytes (FF) may
    // stand between segments. The frame header holds precision (1 byte), height, width (2 each), then the
    // number of components.
    let mut i = 2;
    let components = loop {
        if i + 4 > b.len() || b[i] != 0xFF {
            return None;
        }
        let marker = b[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = u16::from_be_bytes([b[i + 2], b[i + 3]]) as usize;
        if matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF) {
            break *b.get(i + 9)?;
        }
        i += 2 + len;
    };
    match components {
        1 => Some(JpegColor::Gray),
        3 => Some(JpegColor::Rgb),
        4 => Some(JpegColor::Cmyk {
            inverted: has_adobe_segment(b),
        }),
        _ => None,
    }
}

/// An APP14 "Adobe" segment near the start of the file (it comes before the image data).
fn has_adobe_segment(b: &[u8]) -> bool {
    b.windows(7)
        .take(4096)
        .any(|w| w[0] == 0xFF && w[1] == 0xEE && &w[4..7] == b"Ado")
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, GrayImage, ImageFormat, RgbImage};

    fn encoded(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    /// A JPEG's headers only, as a CMYK file from Photoshop begins: SOI, optionally APP14 "Adobe", fill
    /// bytes, an APP1 to skip, and a baseline frame header with `components` components.
    fn jpeg_headers(components: u8, adobe: bool) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8];
        if adobe {
            b.extend_from_slice(&[0xFF, 0xEE, 0x00, 0x0E]);
            b.extend_from_slice(b"Adobe\x00\x64\x00\x00\x00\x00\x02");
        }
        b.extend_from_slice(&[0xFF, 0xFF]); // fill
        b.extend_from_slice(&[0xFF, 0xE1, 0x00, 0x06, b'E', b'x', b'i', b'f']);
        let len = 8 + 3 * components as u16;
        b.extend_from_slice(&[0xFF, 0xC0]);
        b.extend_from_slice(&len.to_be_bytes());
        b.extend_from_slice(&[8, 0x01, 0x2C, 0x02, 0x58, components]); // 8 bit, 300 high, 600 wide
        for c in 1..=components {
            b.extend_from_slice(&[c, 0x11, 0]);
        }
        b.extend_from_slice(&[0xFF, 0xD9]);
        b
    }

    #[test]
    fn header_reads_png_and_jpeg_sizes() {
        let png = encoded(
            DynamicImage::ImageRgb8(RgbImage::new(430, 280)),
            ImageFormat::Png,
        );
        let h = header(&png).unwrap();
        assert_eq!((h.format, h.width, h.height), (Format::Png, 430, 280));
        assert_eq!(h.format.mime(), "image/png");
        let jpg = encoded(
            DynamicImage::ImageLuma8(GrayImage::new(64, 32)),
            ImageFormat::Jpeg,
        );
        let h = header(&jpg).unwrap();
        assert_eq!((h.format, h.width, h.height), (Format::Jpeg, 64, 32));
        assert_eq!(h.format.mime(), "image/jpeg");
    }

    #[test]
    fn header_refuses_other_formats_and_garbage() {
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert_eq!(
            header(gif).unwrap_err().to_string(),
            "Gif is not supported; use PNG or JPEG"
        );
        assert!(matches!(format(b"<html>"), Err(HeaderError::Unreadable(_))));
        assert!(matches!(
            format(b"{\"errcode\":40001}"),
            Err(HeaderError::Unreadable(_))
        ));
        // A PNG signature with nothing after it.
        assert_eq!(format(b"\x89PNG\r\n\x1a\n").unwrap(), Format::Png);
        assert!(matches!(
            header(b"\x89PNG\r\n\x1a\n"),
            Err(HeaderError::Unreadable(_))
        ));
    }

    #[test]
    fn jpeg_color_counts_components() {
        let gray = encoded(
            DynamicImage::ImageLuma8(GrayImage::new(8, 8)),
            ImageFormat::Jpeg,
        );
        assert_eq!(jpeg_color(&gray), Some(JpegColor::Gray));
        let rgb = encoded(
            DynamicImage::ImageRgb8(RgbImage::new(8, 8)),
            ImageFormat::Jpeg,
        );
        assert_eq!(jpeg_color(&rgb), Some(JpegColor::Rgb));
        assert_eq!(jpeg_color(&jpeg_headers(1, false)), Some(JpegColor::Gray));
        assert_eq!(jpeg_color(&jpeg_headers(3, false)), Some(JpegColor::Rgb));
    }

    #[test]
    fn cmyk_jpegs_are_inverted_only_with_the_adobe_marker() {
        assert_eq!(
            jpeg_color(&jpeg_headers(4, true)),
            Some(JpegColor::Cmyk { inverted: true })
        );
        assert_eq!(
            jpeg_color(&jpeg_headers(4, false)),
            Some(JpegColor::Cmyk { inverted: false })
        );
    }

    #[test]
    fn jpeg_color_is_none_without_a_usable_frame() {
        assert_eq!(jpeg_color(&jpeg_headers(2, false)), None);
        assert_eq!(jpeg_color(b"not a jpeg"), None);
        assert_eq!(jpeg_color(&[0xFF, 0xD8]), None);
        let png = encoded(
            DynamicImage::ImageRgb8(RgbImage::new(4, 4)),
            ImageFormat::Png,
        );
        assert_eq!(jpeg_color(&png), None);
        // Cut inside the frame header, before the component count.
        let cut = jpeg_headers(3, false);
        let sof = cut.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        assert_eq!(jpeg_color(&cut[..sof + 8]), None);
    }
}

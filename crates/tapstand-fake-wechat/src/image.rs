//! Real image bytes for getwxacodeunlimit: a JPEG (opaque) or a PNG (`is_hyaline`, transparent
//! background) of `width`×`width` pixels. The pattern (a ring of dots, like a 小程序码, derived from the
//! scene) is not scannable; it only has to be a real, decodable image of the right size.

fn hash(s: &str) -> u64 {
    // FNV-1a
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// Whether pixel (x, y) is dark.
fn dark(x: u32, y: u32, w: u32, seed: u64) -> bool {
    let c = w as f32 / 2.0;
    let (dx, dy) = (x as f32 + 0.5 - c, y as f32 + 0.5 - c);
    let r = (dx * dx + dy * dy).sqrt() / c; // 0 at the centre, 1 at the edge
    if r > 0.98 {
        return false;
    }
    if r < 0.30 {
        // the centre "logo" disc with a ring
        return !(0.05..=0.26).contains(&r);
    }
    // rays of dots: angle sector × radial band
    let angle = dy.atan2(dx) + std::f32::consts::PI; // 0..2π
    let sector = (angle / (2.0 * std::f32::consts::PI) * 72.0) as u64;
    let band = ((r - 0.30) / 0.68 * 12.0) as u64;
    let bit =
        (seed.rotate_left((sector * 7 + band * 13) as u32 % 64) ^ (sector * 31 + band)) & 1 == 1;
    // round-ish dots: only the middle of each cell
    let frac_r = ((r - 0.30) / 0.68 * 12.0).fract();
    let frac_a = (angle / (2.0 * std::f32::consts::PI) * 72.0).fract();
    bit && (0.2..0.8).contains(&frac_r) && (0.2..0.8).contains(&frac_a)
}

/// The image for `scene` at `width` px: PNG when `hyaline`, else JPEG.
pub fn wxacode(scene: &str, width: u32, hyaline: bool) -> Vec<u8> {
    let seed = hash(scene);
    let w = width;
    let mut out = Vec::new();
    if hyaline {
        let mut data = Vec::with_capacity((w * w * 4) as usize);
        for y in 0..w {
            for x in 0..w {
                if dark(x, y, w, seed) {
                    data.extend_from_slice(&[0, 0, 0, 255]);
                } else {
                    data.extend_from_slice(&[255, 255, 255, 0]);
                }
            }
        }
        let mut enc = png::Encoder::new(&mut out, w, w);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().expect("png header");
        writer.write_image_data(&data).expect("png data");
        writer.finish().expect("png finish");
    } else {
        let mut data = Vec::with_capacity((w * w) as usize);
        for y in 0..w {
            for x in 0..w {
                data.push(if dark(x, y, w, seed) { 0 } else { 255 });
            }
        }
        let enc = jpeg_encoder::Encoder::new(&mut out, 85);
        enc.encode(&data, w as u16, w as u16, jpeg_encoder::ColorType::Luma)
            .expect("jpeg");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes() {
        let j = wxacode("a=1", 280, false);
        assert_eq!(&j[..3], &[0xFF, 0xD8, 0xFF]);
        let p = wxacode("a=1", 280, true);
        assert_eq!(&p[..8], b"\x89PNG\r\n\x1a\n");
        // IHDR width/height
        assert_eq!(u32::from_be_bytes(p[16..20].try_into().unwrap()), 280);
        assert_eq!(u32::from_be_bytes(p[20..24].try_into().unwrap()), 280);
    }
}

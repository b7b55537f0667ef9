//! The mini-program code cache (migration 0004): `getwxacodeunlimit` images keyed by every parameter that
//! changes the picture (appid, scene, page, width, env_version, is_hyaline, auto_color, line_color), so the
//! stand artwork is laid out and exported offline and each code is fetched once. Each read checks the
//! sha256; a damaged row is removed and reported as a miss, so the caller fetches it again.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Everything that changes the image WeChat returns.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WxacodeKey {
    pub appid: String,
    /// At most 32 characters (WeChat's rule); carries the store or terminal id.
    pub scene: String,
    /// '' = the mini program's home page.
    pub page: String,
    /// 280–1280 px; request 1280 for print.
    pub width: u32,
    /// release, trial or develop.
    pub env_version: String,
    pub is_hyaline: bool,
    pub auto_color: bool,
    /// (r, g, b) when a line colour was asked for.
    pub line_color: Option<(u8, u8, u8)>,
}

impl WxacodeKey {
    /// The usual key for print: width 1280, release, not transparent, default colours.
    pub fn for_print(appid: &str, scene: &str, page: &str) -> WxacodeKey {
        WxacodeKey {
            appid: appid.into(),
            scene: scene.into(),
            page: page.into(),
            width: 1280,
            env_version: "release".into(),
            is_hyaline: false,
            auto_color: false,
            line_color: None,
        }
    }

    /// The line colour as stored: 'r,g,b', or '' for none.
    pub fn line_color_text(&self) -> String {
        self.line_color
            .map(|(r, g, b)| format!("{r},{g},{b}"))
            .unwrap_or_default()
    }
}

/// A cached code image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedWxacode {
    pub id: i64,
    pub key: WxacodeKey,
    /// image/jpeg or image/png.
    pub mime: String,
    pub bytes: Vec<u8>,
    /// Lower-case hex sha256 of `bytes`.
    pub sha256: String,
    /// Unix milliseconds.
    pub fetched_at: i64,
    pub last_used_at: Option<i64>,
}

/// One cache entry without the image, for lists in the UI.
#[derive(Clone, Debug, PartialEq, Serialize, specta::Type)]
pub struct WxacodeSummary {
    pub scene: String,
    pub page: String,
    pub width: u32,
    pub env_version: String,
    pub is_hyaline: bool,
    pub mime: String,
    pub size_bytes: u32,
    pub sha256: String,
    /// Unix milliseconds.
    pub fetched_at: f64,
    pub last_used_at: Option<f64>,
}

/// Lower-case hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The MIME type of a code image from its first bytes (WeChat sends JPEG, or PNG with is_hyaline).
pub fn sniff_mime(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

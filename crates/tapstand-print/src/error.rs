//! Print errors, and how they read to the merchant (Chinese first, with what to do next).

use std::path::PathBuf;

use tapstand_error::UserError;

use crate::model::{fmt_mm, MIN_PPI};

/// Which image a problem is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageRole {
    Code,
    Logo,
}

impl ImageRole {
    fn zh(self) -> &'static str {
        match self {
            ImageRole::Code => "小程序码",
            ImageRole::Logo => "标志图片",
        }
    }
    fn en(self) -> &'static str {
        match self {
            ImageRole::Code => "mini-program code",
            ImageRole::Logo => "logo",
        }
    }
}

/// Which text a problem is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextField {
    Headline,
    StoreName,
    NfcLabel,
    NfcLines,
    ScanLines,
}

impl TextField {
    pub fn zh(self) -> &'static str {
        match self {
            TextField::Headline => "标题",
            TextField::StoreName => "门店名称",
            TextField::NfcLabel => "碰一碰区域文字",
            TextField::NfcLines => "碰一碰说明",
            TextField::ScanLines => "扫码说明",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            TextField::Headline => "headline",
            TextField::StoreName => "store name",
            TextField::NfcLabel => "tap-target label",
            TextField::NfcLines => "tap instructions",
            TextField::ScanLines => "scan instructions",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("the {} image cannot be read: {detail}", role.en())]
    ImageUnreadable { role: ImageRole, detail: String },
    #[error("the {} image is {ppi:.0} ppi at {mm:.1} mm ({px} px); at least {MIN_PPI} ppi is needed", role.en())]
    LowResolution {
        role: ImageRole,
        ppi: f64,
        px: u32,
        mm: f64,
    },
    #[error("the bundled font has no glyph for {chars:?} in the {}", field.en())]
    MissingGlyphs { field: TextField, chars: String },
    #[error("the {} does not fit even at the smallest size: {text}", field.en())]
    TextTooLong { field: TextField, text: String },
    #[error("{width_mm} × {height_mm} mm is too small for the tap target and the code")]
    PageTooSmall { width_mm: f64, height_mm: f64 },
    #[error("invalid size {width_mm} × {height_mm} mm (each side 50–1000 mm)")]
    InvalidSize { width_mm: f64, height_mm: f64 },
    #[error("invalid design: {en}")]
    InvalidDesign { zh: String, en: String },
    #[error("no stores to export")]
    NothingToExport,
    #[error("store {store_id} ({store_name}): {source}")]
    Store {
        store_id: String,
        store_name: String,
        #[source]
        source: Box<PrintError>,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("writing the PDF failed: {0}")]
    Pdf(String),
    #[error("cancelled")]
    Cancelled,
    /// A store's content could not be loaded (e.g. its code is no longer in the cache): the loader's own
    /// error, which names the store and says what to do; passed through unchanged.
    #[error("{}", .0.en.message)]
    Source(Box<UserError>),
}

impl PrintError {
    /// The error without the store wrapper.
    pub fn root(&self) -> &PrintError {
        match self {
            PrintError::Store { source, .. } => source.root(),
            e => e,
        }
    }
}

impl From<PrintError> for UserError {
    fn from(e: PrintError) -> UserError {
        let e = match e {
            PrintError::Source(u) => return *u,
            PrintError::Store { source, .. } if matches!(*source, PrintError::Source(_)) => {
                return (*source).into()
            }
            e => e,
        };
        // A file that could not be written says why in words (disk full, no permission, open in a PDF viewer,
        // folder gone, read-only disk), as every other export does; the old file is untouched.
        if let PrintError::Io { path, source } = e.root() {
            return tapstand_error::safe_file::io_error(
                path,
                tapstand_error::safe_file::Step::Write,
                source,
            );
        }
        let detail = e.to_string();
        let (prefix_zh, prefix_en) = match &e {
            PrintError::Store {
                store_id,
                store_name,
                ..
            } => match (store_id.trim(), store_name.trim()) {
                ("", "") => (String::new(), String::new()),
                (id, "") => (format!("门店 {id}："), format!("Store {id}: ")),
                ("", name) => (format!("门店“{name}”："), format!("Store \"{name}\": ")),
                (id, name) => (
                    format!("门店 {id}（{name}）："),
                    format!("Store {id} ({name}): "),
                ),
            },
            _ => (String::new(), String::new()),
        };
        let (code, zh, zh_fix, en, en_fix): (&str, String, String, String, String) = match e.root() {
            PrintError::ImageUnreadable { role, .. } => (
                "print.image_unreadable",
                format!("{}无法读取（不是有效的 PNG 或 JPEG 图片）。", role.zh()),
                match role {
                    ImageRole::Code => "请重新获取小程序码，或导入微信后台下载的原图（PNG/JPEG）。".into(),
                    ImageRole::Logo => "请换一张 PNG 或 JPEG 格式的标志图片。".into(),
                },
                format!("The {} image cannot be read (not a valid PNG or JPEG).", role.en()),
                match role {
                    ImageRole::Code => "Fetch the code again, or import the original PNG/JPEG from the WeChat console.".into(),
                    ImageRole::Logo => "Use a PNG or JPEG logo.".into(),
                },
            ),
            PrintError::LowResolution { role, ppi, px, mm } => (
                "print.low_resolution",
                format!(
                    "{}分辨率太低：{px} 像素印成 {} mm 宽只有 {ppi:.0} ppi，印刷至少需要 {MIN_PPI:.0} ppi，已停止导出。",
                    role.zh(),
                    fmt_mm(*mm)
                ),
                match role {
                    ImageRole::Code => "请使用更大的小程序码图片（获取时宽度选 1280 像素），或选择更小的尺寸。".into(),
                    ImageRole::Logo => "请换一张更大的标志图片，或不放标志。".into(),
                },
                format!(
                    "The {} resolution is too low: {px} px printed {} mm wide is {ppi:.0} ppi; printing needs at least {MIN_PPI:.0} ppi. Nothing was exported.",
                    role.en(),
                    fmt_mm(*mm)
                ),
                match role {
                    ImageRole::Code => "Use a larger code image (fetch it 1280 px wide) or choose a smaller size.".into(),
                    ImageRole::Logo => "Use a larger logo image, or leave the logo out.".into(),
                },
            ),
            PrintError::MissingGlyphs { field, chars } => (
                "print.missing_glyphs",
                format!("{}中的“{chars}”不在内置字体里，印出来会缺字，已停止导出。", field.zh()),
                "请改用常用字写法（内置字体含 GB2312 和《通用规范汉字表》的全部汉字），或删掉这些字符。".into(),
                format!("The bundled font cannot draw \"{chars}\" in the {}; nothing was exported.", field.en()),
                "Write these characters differently (the font covers GB2312 and the 8,105 standard characters) or remove them.".into(),
            ),
            PrintError::TextTooLong { field, .. } => (
                "print.text_too_long",
                format!("{}太长，缩到最小字号也放不下。", field.zh()),
                format!("请缩短{}，或选择更大的尺寸。", field.zh()),
                format!("The {} is too long to fit even at the smallest size.", field.en()),
                format!("Shorten the {}, or choose a larger size.", field.en()),
            ),
            PrintError::PageTooSmall { width_mm, height_mm } => (
                "print.page_too_small",
                format!(
                    "{} × {} mm 放不下碰一碰区域（至少 35 mm）和小程序码（至少 30 mm），或放不下指定的小程序码宽度。",
                    fmt_mm(*width_mm),
                    fmt_mm(*height_mm)
                ),
                "请选择更大的尺寸、换成另一种版式，或减小小程序码宽度、缩短文字。".into(),
                format!(
                    "{} × {} mm cannot hold the tap target (35 mm or more) and the code (30 mm or more), or the code width asked for.",
                    fmt_mm(*width_mm),
                    fmt_mm(*height_mm)
                ),
                "Choose a larger size or the other layout, or make the code smaller or the texts shorter.".into(),
            ),
            PrintError::InvalidSize { .. } => (
                "print.invalid_size",
                "自定义尺寸无效：每边应在 50–1000 mm 之间。".into(),
                "请向印刷厂确认插页的实际尺寸后重新填写。".into(),
                "Invalid custom size: each side must be 50–1000 mm.".into(),
                "Ask the print shop for the exact insert size and enter it again.".into(),
            ),
            PrintError::InvalidDesign { zh, en } => (
                "print.invalid_design",
                zh.clone(),
                "请修改后重试。".into(),
                en.clone(),
                "Change it and try again.".into(),
            ),
            PrintError::NothingToExport => (
                "print.nothing_to_export",
                "没有选择任何门店。".into(),
                "请至少选择一家门店后再导出。".into(),
                "No store is selected.".into(),
                "Select at least one store, then export.".into(),
            ),
            PrintError::Pdf(_) => (
                "print.pdf",
                "生成 PDF 时出错，没有写出文件。".into(),
                "请重试；如果仍然出错，请联系技术支持并提供日志。".into(),
                "Creating the PDF failed; no file was written.".into(),
                "Try again; if it keeps failing, contact support with the log folder.".into(),
            ),
            PrintError::Cancelled => (
                "print.cancelled",
                "已取消导出，没有留下未完成的文件。".into(),
                "需要时重新导出即可。".into(),
                "Export cancelled; no partial file was left.".into(),
                "Export again when you are ready.".into(),
            ),
            PrintError::Store { .. } | PrintError::Source(_) | PrintError::Io { .. } => {
                unreachable!("root() unwraps stores; a loader's and a file's errors are returned above")
            }
        };
        UserError::new(
            code,
            (&format!("{prefix_zh}{zh}"), &zh_fix),
            (&format!("{prefix_en}{en}"), &en_fix),
        )
        .with_detail(detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PDF that cannot be written says why, in the words every export uses.
    #[test]
    fn a_file_error_says_why() {
        let e = PrintError::Io {
            path: PathBuf::from("/tmp/x/门店.pdf"),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        let u: UserError = e.into();
        assert_eq!(u.code, "file.no_permission", "{u:?}");
        assert!(u.zh.message.contains("门店.pdf"), "{}", u.zh.message);
    }
}

//! The one error shape every user sees, in the app and in the CLI: a stable code, a message and what to do
//! next, in Chinese first and English. Technical detail is kept separately and is redacted.
//!
//! Every library crate converts its typed errors into [`UserError`] (`impl From<TheirError> for UserError`),
//! so the app, the CLI and the logs all say the same thing.

use serde::Serialize;

pub mod build;
pub mod safe_file;

/// A message and the remedy, in one language.
#[derive(Clone, Debug, Serialize, specta::Type, PartialEq, Eq)]
pub struct Localized {
    pub message: String,
    /// What the merchant should do next.
    pub remedy: String,
}

#[derive(Clone, Debug, Serialize, specta::Type, PartialEq, Eq, thiserror::Error)]
#[error("[{code}] {} — {}", zh.message, zh.remedy)]
pub struct UserError {
    /// Stable machine-readable code, e.g. `db.newer_schema`.
    pub code: String,
    // Boxed: a `Result<_, UserError>` stays small on the happy path (clippy's result_large_err).
    pub zh: Box<Localized>,
    pub en: Box<Localized>,
    /// Technical detail for support (paths, library messages); secrets are masked.
    pub detail: Option<String>,
    /// Problems tied to one input field, so a form can show each next to the field it concerns.
    pub fields: Vec<FieldIssue>,
}

/// A problem with one input field (a form field name such as `appid`, or `row 7: 门店名称` in an import).
#[derive(Clone, Debug, Serialize, specta::Type, PartialEq, Eq)]
pub struct FieldIssue {
    pub field: String,
    pub zh: String,
    pub en: String,
}

impl UserError {
    pub fn new(code: &str, zh: (&str, &str), en: (&str, &str)) -> UserError {
        UserError {
            code: code.into(),
            zh: Box::new(Localized {
                message: zh.0.into(),
                remedy: zh.1.into(),
            }),
            en: Box::new(Localized {
                message: en.0.into(),
                remedy: en.1.into(),
            }),
            detail: None,
            fields: Vec::new(),
        }
    }

    pub fn with_detail(mut self, detail: impl std::fmt::Display) -> UserError {
        self.detail = Some(tapstand_secrets::redact::redact(&detail.to_string()).into_owned());
        self
    }

    pub fn with_field(mut self, field: &str, zh: &str, en: &str) -> UserError {
        self.fields.push(FieldIssue {
            field: field.into(),
            zh: zh.into(),
            en: en.into(),
        });
        self
    }

    /// zh-CN text then English, for the terminal.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "错误 [{}]：{}\n处理办法：{}\nError: {}\nWhat to do: {}",
            self.code, self.zh.message, self.zh.remedy, self.en.message, self.en.remedy
        );
        for f in &self.fields {
            s.push_str(&format!("\n  - {}: {} / {}", f.field, f.zh, f.en));
        }
        if let Some(d) = &self.detail {
            s.push_str(&format!("\n详情 / Detail: {d}"));
        }
        s
    }

    pub fn internal(detail: impl std::fmt::Display) -> UserError {
        UserError::new(
            "internal",
            ("程序内部出错。", "请重试；如果仍然出错，请把“设置”页中的日志文件夹发给技术支持。"),
            (
                "Something went wrong inside Tapstand.",
                "Try again; if it keeps happening, send the log folder shown in Settings to support.",
            ),
        )
        .with_detail(detail)
    }
}

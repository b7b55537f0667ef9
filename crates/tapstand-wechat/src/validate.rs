//! Local validation before any call (reference §5). Hard rules (sn, path, query, scene, page,
//! env_version, width) are errors: the call is not made. Formats WeChat does not document (AppID,
//! AppSecret, model_id) only produce warnings, because a real value that breaks the convention must
//! still work.

use serde::Serialize;

/// A rule a value breaks; the call is not made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("AppID is empty")]
    AppIdEmpty,
    #[error("AppSecret is empty")]
    SecretEmpty,
    #[error("model_id is empty")]
    ModelIdEmpty,
    #[error("sn is empty (一机一码 needs one sn per tag)")]
    SnEmpty,
    #[error("sn is {len} bytes long (at most 128)")]
    SnTooLong { len: usize },
    #[error("sn contains {ch:?} (only A-Z a-z 0-9 _ -)")]
    SnInvalidChar { ch: char },
    #[error("path contains '?' (put parameters in query)")]
    PathHasQuery,
    #[error("path contains {ch:?}")]
    PathInvalidChar { ch: char },
    #[error("query is {len} characters long (at most 1024)")]
    QueryTooLong { len: usize },
    #[error("query contains {ch:?} (percent-encode it)")]
    QueryInvalidChar { ch: char },
    #[error("query part {part:?} is not key=value")]
    QueryFormat { part: String },
    #[error("scene is empty")]
    SceneEmpty,
    #[error("scene is {len} characters long (at most 32)")]
    SceneTooLong { len: usize },
    #[error(
        "scene contains {ch:?} (no % and no Chinese: only A-Z a-z 0-9 and !#$&'()*+,/:;=?@-._~)"
    )]
    SceneInvalidChar { ch: char },
    #[error("page starts with '/'")]
    PageLeadingSlash,
    #[error("page contains '?'")]
    PageHasQuery,
    #[error("page contains the reserved word scancode_time")]
    PageReserved,
    #[error("page contains {ch:?}")]
    PageInvalidChar { ch: char },
    #[error("env_version {value:?} is not release, trial or develop")]
    EnvVersion { value: String },
    #[error("width {value} is outside 280–1280")]
    Width { value: u32 },
}

/// A value that looks wrong but is sent anyway.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct Warning {
    pub code: String,
    pub zh: String,
    pub en: String,
}

impl Warning {
    fn new(code: &str, zh: &str, en: &str) -> Warning {
        Warning {
            code: code.into(),
            zh: zh.into(),
            en: en.into(),
        }
    }
}

fn query_char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$&'()*+,/:;=?@-._~%".contains(c)
}

fn scene_char_ok(c: char) -> bool {
    c != '%' && query_char_ok(c)
}

/// Trims the AppID; warns unless it is `wx` + 16 lowercase hex (an undocumented convention). The case is
/// never changed (40013's advice: mind the case).
pub fn appid(raw: &str) -> Result<(String, Vec<Warning>), ValidationError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(ValidationError::AppIdEmpty);
    }
    let mut w = Vec::new();
    let ok = v.len() == 18
        && v.starts_with("wx")
        && v[2..]
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
    if !ok {
        w.push(Warning::new(
            "appid.format",
            "AppID 通常是 wx 开头加 16 位小写字母或数字（共 18 位）。请对照微信公众平台 → 开发管理 → 开发设置 核对，注意大小写。",
            "An AppID is usually \"wx\" plus 16 lowercase hex characters (18 in all). Compare it with WeChat Official Accounts Platform → Development → Development settings; mind the case.",
        ));
    }
    Ok((v.to_string(), w))
}

/// Trims the AppSecret (stray whitespace is a common cause of 40125); warns unless 32 lowercase hex.
pub fn app_secret(raw: &str) -> Result<(String, Vec<Warning>), ValidationError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(ValidationError::SecretEmpty);
    }
    let mut w = Vec::new();
    if !(v.len() == 32
        && v.chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)))
    {
        w.push(Warning::new(
            "secret.format",
            "小程序密钥（AppSecret）通常是 32 位小写字母或数字。请确认复制完整，没有多余字符。",
            "An AppSecret is usually 32 lowercase hex characters. Check that it was copied whole, without extra characters.",
        ));
    }
    Ok((v.to_string(), w))
}

/// Warns unless the model_id is 22 characters of `[A-Za-z0-9_-]` (every observed value is).
pub fn model_id(raw: &str) -> Result<Vec<Warning>, ValidationError> {
    if raw.trim().is_empty() {
        return Err(ValidationError::ModelIdEmpty);
    }
    let mut w = Vec::new();
    if !(raw.len() == 22
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    {
        w.push(Warning::new(
            "model_id.format",
            "设备 model_id 通常是 22 位字母、数字、_ 或 -。请从小程序后台 → 功能 → 硬件设备 → 设备管理 复制。",
            "A device model_id is usually 22 characters of letters, digits, _ and -. Copy it from the mini program admin → Features → Hardware devices → Device management.",
        ));
    }
    Ok(w)
}

/// `^[A-Za-z0-9_-]{1,128}$` (the rule WeChat's device APIs give for the same sn; applying it to NFC is
/// an inference).
pub fn sn(v: &str) -> Result<(), ValidationError> {
    if v.is_empty() {
        return Err(ValidationError::SnEmpty);
    }
    if v.len() > 128 {
        return Err(ValidationError::SnTooLong { len: v.len() });
    }
    if let Some(ch) = v
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(ValidationError::SnInvalidChar { ch });
    }
    Ok(())
}

/// A jump path for an NFC scheme: optional, no `?`, no whitespace or control characters. A leading `/`
/// is allowed (the official example has one).
pub fn nfc_path(v: &str) -> Result<(), ValidationError> {
    if v.contains('?') {
        return Err(ValidationError::PathHasQuery);
    }
    if let Some(ch) = v.chars().find(|c| c.is_control() || c.is_whitespace()) {
        return Err(ValidationError::PathInvalidChar { ch });
    }
    Ok(())
}

/// An NFC query: ≤ 1024 characters from the allowed set, `k=v(&k=v)*`.
pub fn nfc_query(v: &str) -> Result<(), ValidationError> {
    let len = v.chars().count();
    if len > 1024 {
        return Err(ValidationError::QueryTooLong { len });
    }
    if let Some(ch) = v.chars().find(|c| !query_char_ok(*c)) {
        return Err(ValidationError::QueryInvalidChar { ch });
    }
    if let Some(part) = v
        .split('&')
        .find(|p| p.split_once('=').is_none_or(|(k, _)| k.is_empty()))
    {
        return Err(ValidationError::QueryFormat {
            part: part.to_string(),
        });
    }
    Ok(())
}

/// A 小程序码 scene: 1–32 characters, no `%`.
pub fn scene(v: &str) -> Result<Vec<Warning>, ValidationError> {
    let len = v.chars().count();
    if len == 0 {
        return Err(ValidationError::SceneEmpty);
    }
    if len > 32 {
        return Err(ValidationError::SceneTooLong { len });
    }
    if let Some(ch) = v.chars().find(|c| !scene_char_ok(*c)) {
        return Err(ValidationError::SceneInvalidChar { ch });
    }
    let mut w = Vec::new();
    if v.contains('&') {
        w.push(Warning::new(
            "scene.ampersand",
            "scene 中的 & 有时会被微信拒绝（40129）或在安卓扫码时被截断，建议改用其他分隔符，例如 _ 或 -。",
            "A '&' in the scene is sometimes refused (40129) or cut off by Android scanning; prefer another separator such as _ or -.",
        ));
    }
    Ok(w)
}

/// A 小程序码 page: no leading `/`, no `?`, not the reserved `scancode_time`.
pub fn page(v: &str) -> Result<(), ValidationError> {
    if v.starts_with('/') {
        return Err(ValidationError::PageLeadingSlash);
    }
    if v.contains('?') {
        return Err(ValidationError::PageHasQuery);
    }
    if v.contains("scancode_time") {
        return Err(ValidationError::PageReserved);
    }
    if let Some(ch) = v.chars().find(|c| c.is_control() || c.is_whitespace()) {
        return Err(ValidationError::PageInvalidChar { ch });
    }
    Ok(())
}

pub fn env_version(v: &str) -> Result<(), ValidationError> {
    match v {
        "release" | "trial" | "develop" => Ok(()),
        _ => Err(ValidationError::EnvVersion {
            value: v.to_string(),
        }),
    }
}

pub fn width(v: u32) -> Result<(), ValidationError> {
    if (280..=1280).contains(&v) {
        Ok(())
    } else {
        Err(ValidationError::Width { value: v })
    }
}

/// A warning for a scheme generated with `develop` or `trial` for a real sn: that sn can never get a
/// `release` scheme afterwards (9800010).
pub fn non_release_warning(env: &str) -> Option<Warning> {
    (env != "release").then(|| {
        Warning::new(
            "env.not_release",
            "非正式版（trial/develop）的 scheme 也会永久占用这个 sn，之后无法再为它生成正式版。正式标签请用 release。",
            "A trial/develop scheme uses up this sn forever; it can never get a release scheme afterwards. Use release for real tags.",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_rules() {
        assert!(sn("04A1B2C3D4E5F6").is_ok());
        assert_eq!(sn(""), Err(ValidationError::SnEmpty));
        assert_eq!(
            sn(&"a".repeat(129)),
            Err(ValidationError::SnTooLong { len: 129 })
        );
        assert_eq!(sn("a b"), Err(ValidationError::SnInvalidChar { ch: ' ' }));
        assert!(nfc_path("/pages/index/index").is_ok());
        assert_eq!(nfc_path("pages/a?x=1"), Err(ValidationError::PathHasQuery));
        assert!(nfc_query("store=001&desk=2").is_ok());
        assert!(nfc_query("").is_err());
        assert!(nfc_query("a=%E4%B8%AD").is_ok());
        assert_eq!(
            nfc_query("a=中"),
            Err(ValidationError::QueryInvalidChar { ch: '中' })
        );
        assert_eq!(
            nfc_query("a=1\n"),
            Err(ValidationError::QueryInvalidChar { ch: '\n' })
        );
        assert_eq!(
            nfc_query("abc"),
            Err(ValidationError::QueryFormat { part: "abc".into() })
        );
        assert_eq!(
            nfc_query(&format!("a={}", "b".repeat(1023))),
            Err(ValidationError::QueryTooLong { len: 1025 })
        );
        assert!(scene("s=001").is_ok());
        assert_eq!(
            scene("a%20"),
            Err(ValidationError::SceneInvalidChar { ch: '%' })
        );
        assert_eq!(
            scene(&"x".repeat(33)),
            Err(ValidationError::SceneTooLong { len: 33 })
        );
        assert_eq!(scene("a&b").unwrap().len(), 1);
        assert_eq!(
            page("/pages/index/index"),
            Err(ValidationError::PageLeadingSlash)
        );
        assert_eq!(
            page("pages/scancode_time"),
            Err(ValidationError::PageReserved)
        );
        assert!(env_version("release").is_ok() && env_version("prod").is_err());
        assert!(
            width(280).is_ok()
                && width(1280).is_ok()
                && width(279).is_err()
                && width(1281).is_err()
        );
    }

    #[test]
    fn soft_rules_warn_and_trim() {
        let (id, w) = appid("  wx5a1b2c3d4e5f6071 \n").unwrap();
        assert_eq!(id, "wx5a1b2c3d4e5f6071");
        assert!(w.is_empty());
        assert_eq!(
            appid("WX5A1B2C3D4E5F6071").unwrap().1.len(),
            1,
            "upper case warns, is not folded"
        );
        let (s, w) = app_secret(" 9c1e4b7a2d5f80364a1b2c3d4e5f6a7b ").unwrap();
        assert_eq!(s.len(), 32);
        assert!(w.is_empty());
        assert_eq!(app_secret("short").unwrap().1.len(), 1);
        assert!(model_id("5utC432sD0LvHu6ial0u_g").unwrap().is_empty());
        assert_eq!(model_id("abc").unwrap().len(), 1);
        assert!(model_id("").is_err());
    }
}

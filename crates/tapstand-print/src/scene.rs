//! The `scene` of a mini-program code (`getwxacodeunlimit`): at most 32 visible characters from
//! `0-9 A-Z a-z ! # $ & ' ( ) * + , / : ; = ? @ - . _ ~`. The mini program receives it (URL-encoded) in
//! `options.scene`; Tapstand writes `key=value` pairs joined by `&` (e.g. `s=18` for a store,
//! `s=18&t=0003` for a front-desk terminal), the usual convention.

use std::fmt;

pub const SCENE_MAX_LEN: usize = 32;

/// True for a character WeChat accepts in a scene.
pub fn is_scene_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$&'()*+,/:;=?@-._~".contains(c)
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SceneError {
    #[error("the scene is empty")]
    Empty,
    #[error("the scene is {len} characters; WeChat allows at most {SCENE_MAX_LEN}")]
    TooLong { len: usize },
    #[error("{c:?} (position {pos}) is not allowed in a scene")]
    BadChar { c: char, pos: usize },
    #[error("{0:?}: keys and values must not contain '&' or '='")]
    Separator(String),
}

impl From<SceneError> for tapstand_error::UserError {
    fn from(e: SceneError) -> Self {
        let detail = e.to_string();
        let (zh, en) = match &e {
            SceneError::Empty => ("小程序码参数（scene）为空。".to_string(), "The code's scene is empty.".to_string()),
            SceneError::TooLong { len } => (
                format!("小程序码参数（scene）有 {len} 个字符，微信最多允许 {SCENE_MAX_LEN} 个。"),
                format!("The code's scene has {len} characters; WeChat allows {SCENE_MAX_LEN}."),
            ),
            SceneError::BadChar { c, .. } => (
                format!("小程序码参数（scene）里不能有“{c}”（只能用英文字母、数字和 !#$&'()*+,/:;=?@-._~）。"),
                format!("The code's scene cannot contain \"{c}\" (letters, digits and !#$&'()*+,/:;=?@-._~ only)."),
            ),
            SceneError::Separator(_) => (
                "门店或终端编号里不能有“&”或“=”。".to_string(),
                "Store and terminal ids cannot contain '&' or '='.".to_string(),
            ),
        };
        tapstand_error::UserError::new(
            "print.bad_scene",
            (&zh, "请把门店编号、终端号改短，或只用字母和数字。"),
            (
                &en,
                "Use shorter store or terminal ids, with letters and digits only.",
            ),
        )
        .with_detail(detail)
    }
}

/// Checks a finished scene against WeChat's rule.
pub fn validate_scene(s: &str) -> Result<(), SceneError> {
    if s.is_empty() {
        return Err(SceneError::Empty);
    }
    if let Some((pos, c)) = s.chars().enumerate().find(|(_, c)| !is_scene_char(*c)) {
        return Err(SceneError::BadChar { c, pos });
    }
    let len = s.chars().count();
    if len > SCENE_MAX_LEN {
        return Err(SceneError::TooLong { len });
    }
    Ok(())
}

/// Builds `k=v&k=v` scenes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SceneBuilder {
    parts: Vec<(String, String)>,
}

impl SceneBuilder {
    pub fn new() -> SceneBuilder {
        SceneBuilder::default()
    }

    pub fn push(mut self, key: &str, value: &str) -> SceneBuilder {
        self.parts
            .push((key.trim().to_string(), value.trim().to_string()));
        self
    }

    pub fn build(&self) -> Result<String, SceneError> {
        for (k, v) in &self.parts {
            for part in [k, v] {
                if part.contains('&') || part.contains('=') {
                    return Err(SceneError::Separator(part.clone()));
                }
            }
        }
        let s = self
            .parts
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        validate_scene(&s)?;
        Ok(s)
    }
}

impl fmt::Display for SceneBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.build() {
            Ok(s) => f.write_str(&s),
            Err(e) => write!(f, "<invalid scene: {e}>"),
        }
    }
}

/// `s=<store id>`: the code of a store (机构编号).
pub fn store_scene(store_id: &str) -> Result<String, SceneError> {
    SceneBuilder::new().push("s", store_id).build()
}

/// `s=<store id>&t=<terminal id>`: the code of a front-desk terminal (机器号/终端号).
pub fn terminal_scene(store_id: &str, terminal_id: &str) -> Result<String, SceneError> {
    SceneBuilder::new()
        .push("s", store_id)
        .push("t", terminal_id)
        .build()
}

/// Splits a scene back into its pairs (what the mini program does after `decodeURIComponent`).
pub fn parse_scene(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (p.to_string(), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_and_terminal_scenes() {
        assert_eq!(store_scene("18").unwrap(), "s=18");
        assert_eq!(terminal_scene("18", "0003").unwrap(), "s=18&t=0003");
        assert_eq!(
            parse_scene("s=18&t=0003"),
            vec![("s".into(), "18".into()), ("t".into(), "0003".into())]
        );
    }

    #[test]
    fn rule_is_enforced() {
        assert_eq!(validate_scene(&"a".repeat(32)), Ok(()));
        assert_eq!(
            validate_scene(&"a".repeat(33)),
            Err(SceneError::TooLong { len: 33 })
        );
        assert_eq!(
            validate_scene("s=门店"),
            Err(SceneError::BadChar { c: '门', pos: 2 })
        );
        assert_eq!(
            validate_scene("a b"),
            Err(SceneError::BadChar { c: ' ', pos: 1 })
        );
        assert_eq!(validate_scene("!#$&'()*+,/:;=?@-._~"), Ok(()));
        assert_eq!(
            validate_scene("%20"),
            Err(SceneError::BadChar { c: '%', pos: 0 })
        );
        assert!(matches!(store_scene("1&2"), Err(SceneError::Separator(_))));
        assert_eq!(validate_scene(""), Err(SceneError::Empty));
    }
}

//! A permanent link is confirmed once. Every WeChat NFC link of a target opens the same page path and query
//! (with the tag's sn) for ever: WeChat never changes or deletes a link (9800010). So before the first link of
//! a target is generated — a station that may call WeChat, a pool generate, a re-point — the merchant sees the
//! page and query and confirms them once; the confirmation is kept in the settings per link shape (AppID,
//! model_id, target, page, query template), so a changed page or query asks again.

use sha2::{Digest, Sha256};
use tapstand_error::UserError;
use tapstand_station::Target;
use tapstand_store::now_ms;

use crate::Core;

/// The settings key of a target's link shape (≤ 64 characters, stable across versions).
pub fn shape_key(target: &Target) -> String {
    let mut h = Sha256::new();
    for part in [
        &target.appid,
        &target.model_id,
        &target.key,
        &target.path,
        &target.query_template,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("link_confirmed:{hex}")
}

/// What every link of `target` will open, in plain words (the query shows `{sn}` where each tag's goes).
fn shape_words(target: &Target) -> (String, String) {
    let path = if target.path.is_empty() {
        "（小程序首页）".to_string()
    } else {
        target.path.clone()
    };
    let query = if target.query_template.is_empty() {
        "（无）".to_string()
    } else {
        target.query_template.clone()
    };
    (path, query)
}

/// The question, as the error a start or a generate returns until it is answered.
pub fn confirm_needed(target: &Target) -> UserError {
    let (path, query) = shape_words(target);
    UserError::new(
        "link.confirm_needed",
        (
            &format!(
                "将为“{}”生成永久链接。每个链接都会永远打开页面 {path}，参数 {query}（{{sn}} 是每张标签自己的编号）；微信不允许以后修改或删除链接。",
                target.label
            ),
            "请确认页面和参数无误后再开始（命令行：加 --yes）。如果不对，请先在“凭据”里改好小程序的页面和参数。",
        ),
        (
            &format!(
                "Permanent links will be generated for \"{}\". Every link opens the page {path} with the query {query} ({{sn}} is each tag's own number) for ever: WeChat never lets a link be changed or deleted.",
                target.label
            ),
            "Confirm the page and query before starting (CLI: add --yes). If they are wrong, fix the mini program's page and query in Credentials first.",
        ),
    )
}

impl Core {
    /// Whether the merchant confirmed the link shape of `target`.
    pub async fn link_confirmed(&self, target: &Target) -> Result<bool, UserError> {
        Ok(self.db.get_setting(&shape_key(target)).await?.is_some())
    }

    /// Records the merchant's confirmation of `target`'s link shape (the moment, for support).
    pub async fn confirm_link(&self, target: &Target) -> Result<(), UserError> {
        self.db
            .set_setting(&shape_key(target), &now_ms().to_string())
            .await?;
        tracing::info!(target = %target.key, path = %target.path, query = %target.query_template, "permanent link shape confirmed");
        Ok(())
    }

    /// Refuses, with the question, a target whose link shape was not confirmed.
    pub async fn require_confirmed(&self, target: &Target) -> Result<(), UserError> {
        if self.link_confirmed(target).await? {
            Ok(())
        } else {
            Err(confirm_needed(target))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(path: &str, query: &str) -> Target {
        Target {
            appid: "wx1".into(),
            env_version: "release".into(),
            model_id: "m".into(),
            link_type: "per_device".into(),
            key: "store:1".into(),
            label: "门店 1001 南山店".into(),
            store_id: Some(1),
            terminal_id: None,
            path: path.into(),
            query_template: query.into(),
            only_genuine: false,
        }
    }

    #[test]
    fn a_changed_page_or_query_is_another_shape() {
        let a = shape_key(&target("pages/a", "sn={sn}"));
        assert!(a.len() <= 64, "{a}");
        assert_eq!(a, shape_key(&target("pages/a", "sn={sn}")));
        assert_ne!(a, shape_key(&target("pages/b", "sn={sn}")));
        assert_ne!(a, shape_key(&target("pages/a", "s={sn}")));
        // The separator keeps ("ab", "") apart from ("a", "b").
        assert_ne!(shape_key(&target("ab", "")), shape_key(&target("a", "b")));
    }

    #[test]
    fn the_question_shows_the_page_and_the_query() {
        let e = confirm_needed(&target("pages/member/card", "store=1001&sn={sn}"));
        assert_eq!(e.code, "link.confirm_needed");
        assert!(e.zh.message.contains("pages/member/card"));
        assert!(e.zh.message.contains("store=1001&sn={sn}"));
        assert!(e.en.remedy.contains("--yes"));
        let home = confirm_needed(&target("", ""));
        assert!(
            home.zh.message.contains("小程序首页"),
            "{}",
            home.zh.message
        );
    }
}

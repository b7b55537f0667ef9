//! Writing from the pool of pre-generated links (团队模式): a PC without the AppSecret claims one link per
//! tag. The claim is atomic in the database (`Db::pool_claim`), bound to the tag's UID for good: the same
//! tag always gets its own link back (a re-tap, a torn write), a link never goes to a second tag.

use tapstand_error::UserError;
use tapstand_store::pool::PoolLink;
use tapstand_store::{now_ms, Db};

use crate::{TagLink, Target};

/// `station_attempts.scheme_source` of a tap whose link came from the pool.
pub const SCHEME_SOURCE: &str = "pool";

/// This PC's name (recorded as `claimed_by` / `generated_by`), or "" when the system does not say.
pub fn host_name() -> String {
    whoami::hostname().unwrap_or_default()
}

/// The sn, page and query of a pooled link.
pub fn tag_link(l: &PoolLink) -> TagLink {
    TagLink {
        sn: l.sn.clone(),
        path: l.path.clone(),
        query: l.query.clone(),
    }
}

/// Hands the tag `uid` a link of the target's pool (its own if it has one).
pub(crate) fn claim(
    rt: &tokio::runtime::Handle,
    db: &Db,
    target: &Target,
    uid: &str,
    host: &str,
) -> Result<PoolLink, UserError> {
    rt.block_on(db.pool_claim(&target.model_id, &target.key, uid, host, now_ms()))?
        .ok_or_else(|| pool_empty(&target.label))
}

/// The target's pool has no free link left.
pub fn pool_empty(label: &str) -> UserError {
    UserError::new(
        "pool.empty",
        (
            &format!("“{label}”的预生成链接已经用完，这张标签没有写入。"),
            "请在保存了 AppSecret 的电脑上为这个目标生成更多链接（写卡 → 预生成链接，或命令行 tapstand-cli pool generate），再把标签放上来。",
        ),
        (
            &format!("The pre-generated links for \"{label}\" are used up; this tag was not written."),
            "On a PC with the AppSecret, generate more links for this target (写卡 → pre-generated links, or tapstand-cli pool generate), then tap the tag again.",
        ),
    )
}

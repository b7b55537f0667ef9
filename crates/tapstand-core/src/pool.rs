//! Pre-generated links (团队模式): a PC with the AppSecret fills a target's pool ahead of time, the PCs
//! that write claim one link per tag ([`Core::station`] with `options.from_pool`). Each link is an
//! ordinary ledger scheme for (model_id, serial sn), so the ledger's crash safety holds: a link is recorded
//! in the pool before WeChat is asked, and a generate that stopped half-way is finished by the next one
//! through the ledger (never a second call for one sn).

use serde::Serialize;
use tapstand_error::UserError;
use tapstand_station::{Target, TargetChoice};
use tapstand_store::now_ms;
use tapstand_store::pool::{NewPoolLink, PoolSummary};
use tapstand_store::records::{DeviceModel, Profile};
use tapstand_wechat::SchemeRequest;

use crate::Core;

/// The most links one generate makes (WeChat counts every one towards the AppID's quota): a chain's roll-out
/// in one go, paced (see [`PACE_PER_SECOND`]).
pub const MAX_GENERATE: u32 = 10_000;

/// generatenfcscheme calls a generate sends per second at most: under WeChat's 100 a second for the AppID
/// (44990), with room for another PC's station. A 44990 that still comes is retried with backoff by the client.
pub const PACE_PER_SECOND: u32 = 80;

/// What a generate did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct PoolGenerated {
    /// New links made now.
    pub generated: u32,
    /// Links an earlier generate had recorded but not finished, finished now.
    pub finished: u32,
    /// The target's pool afterwards.
    pub summary: PoolSummary,
}

/// A target that can have a pool: 一机一码, and a query that does not name the tag's UID (a pooled link is
/// made before its tag is known).
pub fn check_poolable(target: &Target) -> Result<(), UserError> {
    if !target.per_device() {
        return Err(UserError::new(
            "pool.per_model",
            (
                &format!("设备型号 {} 是“一型一码”：所有标签共用同一个链接，不需要也不能预生成链接。", target.model_id),
                "直接写卡即可；要预生成链接，请使用“一机一码”的设备型号。",
            ),
            (
                &format!("Device model {} is per-model (一型一码): every tag shares one link, so there is nothing to pre-generate.", target.model_id),
                "Write tags directly; to pre-generate links use a per-device (一机一码) model.",
            ),
        ));
    }
    if target.query_template.contains("{uid}") {
        return Err(UserError::new(
            "pool.uid_in_query",
            (
                "这个小程序的页面参数里有 {uid}（标签的 UID）：预生成链接时还不知道会写到哪张标签上。",
                "请在“凭据”里把页面参数改用 {sn}、{store_id} 等（不含 {uid}），或者在有 AppSecret 的电脑上直接写卡。",
            ),
            (
                "The mini program's query names {uid} (the tag's UID), which is not known when links are pre-generated.",
                "Change the query in Credentials to use {sn}, {store_id}, … (not {uid}), or write the tags on a PC with the AppSecret.",
            ),
        ));
    }
    Ok(())
}

fn count_error(count: u32) -> UserError {
    UserError::new(
        "pool.count",
        (
            &format!("链接数量 {count} 不合适：一次可以生成 1 到 {MAX_GENERATE} 个。"),
            &format!("请填写 1 到 {MAX_GENERATE} 之间的数量；每个链接都计入小程序的生成额度，按实际要写的标签数生成。"),
        ),
        (
            &format!("{count} links is not a count that can be generated: 1 to {MAX_GENERATE} at a time."),
            &format!("Enter a count from 1 to {MAX_GENERATE}; every link counts towards the mini program's quota, so generate as many as tags you will write."),
        ),
    )
}

/// The serial's prefix for a target: the store's code (机构编号) when it is a valid sn, else `S<id>`;
/// `T<id>` for a terminal; `ALL` for 不区分门店. WeChat takes sn of letters, digits, `_` and `-`.
async fn prefix(core: &Core, target: &Target) -> Result<String, UserError> {
    if let Some(id) = target.terminal_id {
        return Ok(format!("T{id}"));
    }
    if let Some(id) = target.store_id {
        let code = core
            .db
            .get_store(id)
            .await?
            .map(|s| s.org_code)
            .unwrap_or_default();
        let ok = !code.is_empty()
            && code.len() <= 20
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        return Ok(if ok { code } else { format!("S{id}") });
    }
    Ok("ALL".into())
}

impl Core {
    /// Generates `count` links for a target into its pool (needs the profile's AppSecret), after finishing
    /// any link an earlier generate left unfinished.
    pub async fn pool_generate(
        &self,
        profile: &Profile,
        model: &DeviceModel,
        choice: &TargetChoice,
        count: u32,
    ) -> Result<PoolGenerated, UserError> {
        self.pool_generate_with(profile, model, choice, count, &|_, _| {})
            .await
    }

    /// [`Core::pool_generate`] with `progress(done, total)` after each link (the unfinished ones of an
    /// earlier run count in `total`). Calls are paced at [`PACE_PER_SECOND`]; every link is recorded before
    /// it is asked for, so a generate stopped half-way is finished by the next one, never asked twice.
    pub async fn pool_generate_with(
        &self,
        profile: &Profile,
        model: &DeviceModel,
        choice: &TargetChoice,
        count: u32,
        progress: &(dyn Fn(u32, u32) + Sync),
    ) -> Result<PoolGenerated, UserError> {
        if count == 0 || count > MAX_GENERATE {
            return Err(count_error(count));
        }
        let target = self.target(profile, model, choice).await?;
        check_poolable(&target)?;
        self.require_confirmed(&target).await?;
        let svc = self.scheme_service(profile).await?;
        // Refused before any call when the quota cannot cover it (every PC's links are in this ledger).
        self.quota_guard(&svc, u64::from(count)).await?;
        let host = tapstand_station::pool::host_name();
        let request = |sn: &str, query: &str| SchemeRequest {
            model_id: target.model_id.clone(),
            sn: sn.to_string(),
            path: (!target.path.is_empty()).then(|| target.path.clone()),
            query: (!query.is_empty()).then(|| query.to_string()),
            env_version: Some(target.env_version.clone()),
        };
        let mut pace = tokio::time::interval(std::time::Duration::from_micros(
            1_000_000 / u64::from(PACE_PER_SECOND),
        ));
        pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let unfinished = self
            .db
            .pool_unfinished(&target.model_id, &target.key)
            .await?;
        let total = count + unfinished.len() as u32;
        let mut finished = 0;
        for l in unfinished {
            pace.tick().await;
            let got = svc.get_or_recover(&request(&l.sn, &l.query)).await?;
            self.db.pool_set_openlink(l.id, &got.openlink).await?;
            finished += 1;
            progress(finished, total);
        }
        let prefix = prefix(self, &target).await?;
        let mut generated = 0;
        let mut seq = self.db.pool_next_seq(&target.model_id, &target.key).await?;
        while generated < count {
            let sn = format!("{prefix}-{seq:06}");
            seq += 1;
            // An sn the ledger already knows (written some other way) is never reused for the pool.
            if self.db.scheme_find(&target.model_id, &sn).await?.is_some() {
                continue;
            }
            let query = target.query_template.replace("{sn}", &sn);
            let new = NewPoolLink {
                appid: target.appid.clone(),
                model_id: target.model_id.clone(),
                target: target.key.clone(),
                target_label: target.label.clone(),
                seq: seq - 1,
                sn: sn.clone(),
                path: target.path.clone(),
                query: query.clone(),
                generated_by: host.clone(),
            };
            // Taken by another PC generating for the same target at this moment: the next number.
            let Some(id) = self.db.pool_insert(&new, now_ms()).await? else {
                continue;
            };
            pace.tick().await;
            let got = svc.get_or_recover(&request(&sn, &query)).await?;
            self.db.pool_set_openlink(id, &got.openlink).await?;
            generated += 1;
            progress(finished + generated, total);
        }
        let summary = self.pool_summary(&target).await?;
        Ok(PoolGenerated {
            generated,
            finished,
            summary,
        })
    }

    /// [`Core::pool_generate`] from the ids the UI sends.
    pub async fn pool_generate_by_ids(
        &self,
        profile_id: i64,
        model_id: i64,
        choice: &TargetChoice,
        count: u32,
    ) -> Result<PoolGenerated, UserError> {
        let (profile, model) = self.profile_and_model(profile_id, model_id).await?;
        self.pool_generate(&profile, &model, choice, count).await
    }

    /// What is left in every target's pool.
    pub async fn pool_list(&self) -> Result<Vec<PoolSummary>, UserError> {
        Ok(self.db.pool_summaries().await?)
    }

    /// The pool of one target (all zero when it has none).
    pub async fn pool_summary(&self, target: &Target) -> Result<PoolSummary, UserError> {
        Ok(self
            .db
            .pool_summaries()
            .await?
            .into_iter()
            .find(|s| s.model_id == target.model_id && s.target == target.key)
            .unwrap_or_else(|| PoolSummary {
                appid: target.appid.clone(),
                model_id: target.model_id.clone(),
                target: target.key.clone(),
                target_label: target.label.clone(),
                ..Default::default()
            }))
    }

    /// [`Core::pool_summary`] from the ids the UI sends (the 写卡 page: offer the pool, warn when low).
    pub async fn pool_summary_by_ids(
        &self,
        profile_id: i64,
        model_id: i64,
        choice: &TargetChoice,
    ) -> Result<PoolSummary, UserError> {
        let target = self.target_by_ids(profile_id, model_id, choice).await?;
        self.pool_summary(&target).await
    }

    /// Free links of a target's pool.
    pub(crate) async fn pool_left(&self, target: &Target) -> Result<i64, UserError> {
        Ok(self.pool_summary(target).await?.free)
    }
}

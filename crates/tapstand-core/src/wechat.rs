//! The keychain, "the WeChat client for this profile" and the scheme service, built in one place for the
//! app and the CLI.

use std::sync::Arc;
use std::time::Duration;

use tapstand_error::UserError;
use tapstand_secrets::{Keychain, SecretStore, SecretString};
use tapstand_store::records::Profile;
use tapstand_wechat::{SchemeService, Warning, WechatClient, BASE_URL_ENV};

use crate::{lock, Core};

/// Test knob (debug builds only): how long an in-flight scheme request is presumed alive (seconds).
pub const SCHEME_LEASE_ENV: &str = "TAPSTAND_SCHEME_LEASE_SECS";

/// The OS keychain as the tag engine takes it, for tag commands that open no database; none when there is
/// no keychain.
pub fn native_tag_secrets() -> Option<Arc<dyn SecretStore>> {
    Keychain::native()
        .ok()
        .map(|k| Arc::new(k) as Arc<dyn SecretStore>)
}

impl Core {
    /// The OS keychain, connected on first use (a keychain that comes up later is picked up then). Blocking:
    /// for threads that may block (the station, the CLI's synchronous code); async code uses [`Core::secrets`].
    pub fn keychain(&self) -> Result<Arc<Keychain>, UserError> {
        let mut slot = lock(&self.keychain);
        if let Some(k) = slot.as_ref() {
            return Ok(k.clone());
        }
        let k = Arc::new(Keychain::native().map_err(tapstand_records::keychain_error)?);
        *slot = Some(k.clone());
        Ok(k)
    }

    /// The keychain for the record and WeChat calls, connected off the async runtime on first use (connecting
    /// talks to D-Bus / the Security framework and can block).
    pub async fn secrets(&self) -> Result<Arc<dyn SecretStore>, UserError> {
        if let Some(k) = lock(&self.keychain).as_ref() {
            return Ok(k.clone() as Arc<dyn SecretStore>);
        }
        let k = tokio::task::spawn_blocking(Keychain::native)
            .await
            .map_err(UserError::internal)?
            .map_err(tapstand_records::keychain_error)?;
        let k = lock(&self.keychain)
            .get_or_insert_with(|| Arc::new(k))
            .clone();
        Ok(k as Arc<dyn SecretStore>)
    }

    /// The keychain as the tag engine takes it (to open tags this install protected with a password), or
    /// none when there is no keychain: reading a tag does not need one.
    pub fn tag_secrets(&self) -> Option<Arc<dyn SecretStore>> {
        self.keychain().ok().map(|k| k as Arc<dyn SecretStore>)
    }

    /// Keeps a profile's tag key in the keychain (`tagkey:<appid>`): the passwords of the tags this profile
    /// protects are derived from it and the UID (`tapstand_secrets::tag_key`). A team types the same key on
    /// each PC, as it does the team database's password, so any PC can unlock a tag another protected.
    pub async fn save_tag_key(
        &self,
        profile: &Profile,
        key: SecretString,
    ) -> Result<(), UserError> {
        if key.expose().chars().count() < tapstand_secrets::tag_key::MIN_KEY_LEN {
            return Err(UserError::new(
                "profile.tag_key_short",
                (
                    &format!(
                        "标签密码密钥太短（至少 {} 个字符）：它保护这个小程序的所有标签。",
                        tapstand_secrets::tag_key::MIN_KEY_LEN
                    ),
                    "请换一个更长、不容易猜到的密钥，团队的每台电脑输入同一个。",
                ),
                (
                    &format!(
                        "The tag key is too short (at least {} characters): it protects every tag of this mini program.",
                        tapstand_secrets::tag_key::MIN_KEY_LEN
                    ),
                    "Choose a longer key that is hard to guess, and type the same one on every PC of the team.",
                ),
            ));
        }
        let account = tapstand_secrets::accounts::tag_key(&profile.appid);
        let store = self.secrets().await?;
        tokio::task::spawn_blocking(move || store.set(&account, &key))
            .await
            .map_err(UserError::internal)?
            .map_err(tapstand_records::keychain_error)
    }

    /// A profile's tag key from the keychain; `profile.tag_key_missing` when none was saved on this PC.
    pub async fn tag_key(&self, profile: &Profile) -> Result<SecretString, UserError> {
        let account = tapstand_secrets::accounts::tag_key(&profile.appid);
        let store = self.secrets().await?;
        let got = tokio::task::spawn_blocking(move || store.get(&account))
            .await
            .map_err(UserError::internal)?
            .map_err(tapstand_records::keychain_error)?;
        got.ok_or_else(|| {
            UserError::new(
                "profile.tag_key_missing",
                (
                    &format!("这台电脑还没有保存小程序 {} 的标签密码密钥。", profile.appid),
                    &format!("先运行 tapstand-cli profile set-tag-key --profile {}（团队的每台电脑输入同一个密钥），再加密码写入。", profile.name),
                ),
                (
                    &format!("This PC has no tag key for mini program {} yet.", profile.appid),
                    &format!("Run tapstand-cli profile set-tag-key --profile {} first (the same key on every PC of the team), then write with a password.", profile.name),
                ),
            )
        })
    }

    /// The WeChat client for a profile: its AppID and the AppSecret from the keychain. One client per
    /// profile for the life of the [`Core`] (it keeps the access token in memory only).
    pub async fn wechat(&self, profile: &Profile) -> Result<Arc<WechatClient>, UserError> {
        Ok(self.wechat_with_warnings(profile).await?.0)
    }

    /// [`Core::wechat`], with the warnings about the AppID or secret (e.g. one that does not look like
    /// one) for a command that shows them.
    pub async fn wechat_with_warnings(
        &self,
        profile: &Profile,
    ) -> Result<(Arc<WechatClient>, Vec<Warning>), UserError> {
        if let Some(c) = lock(&self.clients).get(&profile.id) {
            return Ok(c.clone());
        }
        let secrets = self.secrets().await?;
        let secret = tapstand_records::app_secret(&self.db, &secrets, profile.id).await?;
        let (client, warnings) =
            WechatClient::new(self.wechat_config.clone(), &profile.appid, &secret)?;
        if std::env::var_os(BASE_URL_ENV).is_some() {
            tracing::info!(base_url = %client.base_url(), "WeChat base URL overridden");
        }
        let entry = (Arc::new(client), warnings);
        lock(&self.clients).insert(profile.id, entry.clone());
        Ok(entry)
    }

    /// [`Core::wechat`] for the profile with this id (the UI sends ids).
    pub async fn wechat_by_id(&self, profile_id: i64) -> Result<Arc<WechatClient>, UserError> {
        let profile = tapstand_records::lookup::profile_by_id(&self.db, profile_id).await?;
        self.wechat(&profile).await
    }

    /// Drops the cached client (and its token) after the profile's secret changed.
    pub fn forget_wechat(&self, profile_id: i64) {
        lock(&self.clients).remove(&profile_id);
    }

    /// The scheme ledger + WeChat for a profile: the ledger first, WeChat only when it holds nothing.
    pub async fn scheme_service(&self, profile: &Profile) -> Result<SchemeService, UserError> {
        let client = self.wechat(profile).await?;
        let mut svc = SchemeService::new(client, self.db.clone());
        if let Some(secs) = std::env::var(SCHEME_LEASE_ENV)
            .ok()
            .filter(|_| !tapstand_error::build::release_rules())
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            svc = svc.with_lease(Duration::from_secs(secs));
        }
        Ok(svc)
    }

    /// 找回链接: the link of (model_id, sn) whose earlier call went unanswered, asked from WeChat once more
    /// with the profile of the row's AppID (9800010 brings back the existing link; never a second one).
    pub async fn recover_link(
        &self,
        model_id: &str,
        sn: &str,
    ) -> Result<tapstand_wechat::SchemeOutcome, UserError> {
        let row = self.db.scheme_find(model_id, sn).await?.ok_or_else(|| {
            UserError::from(tapstand_wechat::SchemeError::NothingToResolve {
                model_id: model_id.into(),
                sn: sn.into(),
            })
        })?;
        let profile = tapstand_records::lookup::profile(&self.db, &row.appid).await?;
        let svc = self.scheme_service(&profile).await?;
        Ok(svc.resolve(model_id, sn).await?)
    }
}

//! 检查标签: read the tag on a reader and say in plain words what it is, asking WeChat (queryscheme) about
//! links that are not in the ledger when a profile with a saved AppSecret is at hand.

use std::sync::Arc;
use std::time::Duration;

use tapstand_error::UserError;
use tapstand_station::inspect::{self, Inspection, SchemeQuery};
use tapstand_store::records::Profile;
use tapstand_tag::TagReport;
use tapstand_wechat::WechatClient;

use crate::Core;

/// Whose WeChat account checks links that are not ours.
#[derive(Clone, Debug)]
pub enum CheckWith {
    /// Nobody: decide from the local records only.
    Offline,
    /// This profile. `required`: an error building its client (no secret, no keychain) is returned
    /// instead of inspecting without WeChat.
    Profile { profile: Profile, required: bool },
    /// The only profile with a saved AppSecret, if there is exactly one (best effort).
    OnlyWithSecret,
}

impl Core {
    /// Reads the tag on `reader` (or the one a tag is put on), waiting up to `wait`. Blocks: call it off
    /// the async workers.
    pub fn read_tag(&self, reader: Option<&str>, wait: Duration) -> Result<TagReport, UserError> {
        let mut pcsc = tapstand_tag::Pcsc::new();
        inspect::read_on_reader_with(&mut pcsc, reader, wait, self.tag_secrets())
    }

    /// The client [`CheckWith`] names, if any.
    pub async fn check_client(
        &self,
        with: &CheckWith,
    ) -> Result<Option<Arc<WechatClient>>, UserError> {
        match with {
            CheckWith::Offline => Ok(None),
            CheckWith::Profile { profile, required } => match self.wechat(profile).await {
                Ok(c) => Ok(Some(c)),
                Err(e) if *required => Err(e),
                Err(e) => {
                    tracing::info!(code = %e.code, "inspect: no WeChat client");
                    Ok(None)
                }
            },
            CheckWith::OnlyWithSecret => {
                let mut with_secret: Vec<Profile> = tapstand_records::list_profiles(&self.db)
                    .await?
                    .into_iter()
                    .filter(|p| p.secret_saved)
                    .collect();
                if with_secret.len() != 1 {
                    return Ok(None);
                }
                let p = with_secret.remove(0);
                Ok(self.wechat(&p).await.ok())
            }
        }
    }

    /// What the tag is, in plain words (ours for which target, another mini program's, a web link, …).
    pub async fn explain(
        &self,
        report: &TagReport,
        with: &CheckWith,
    ) -> Result<Inspection, UserError> {
        let client = self.check_client(with).await?;
        let query = client.as_deref().map(|c| c as &dyn SchemeQuery);
        Ok(inspect::explain(&self.db, report, query).await)
    }
}

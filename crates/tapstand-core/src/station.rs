//! The write station for a target: profile + device model + (store | terminal | 不区分门店) → target →
//! scheme service → [`Station`], for the app's worker and the CLI's `write` alike.

use std::sync::Arc;

use tapstand_error::UserError;
use tapstand_station::{resolve_target, Station, StationOptions, Target, TargetChoice};
use tapstand_store::records::{DeviceModel, Profile};

use crate::Core;

/// What to write: the records the merchant picked and how.
#[derive(Clone, Debug)]
pub struct StationSetup {
    pub profile: Profile,
    pub model: DeviceModel,
    pub choice: TargetChoice,
    pub options: StationOptions,
}

impl Core {
    /// The target the tags will open (page path and query), without touching the keychain.
    pub async fn target(
        &self,
        profile: &Profile,
        model: &DeviceModel,
        choice: &TargetChoice,
    ) -> Result<Target, UserError> {
        resolve_target(&self.db, profile, model, choice).await
    }

    /// [`Core::target`] from the ids the UI sends.
    pub async fn target_by_ids(
        &self,
        profile_id: i64,
        model_id: i64,
        choice: &TargetChoice,
    ) -> Result<Target, UserError> {
        let (profile, model) = self.profile_and_model(profile_id, model_id).await?;
        self.target(&profile, &model, choice).await
    }

    /// The profile and device model the UI picked (each may have been deleted meanwhile).
    pub async fn profile_and_model(
        &self,
        profile_id: i64,
        model_id: i64,
    ) -> Result<(Profile, DeviceModel), UserError> {
        let profile = tapstand_records::lookup::profile_by_id(&self.db, profile_id).await?;
        let model = tapstand_records::lookup::model_by_id(&self.db, model_id).await?;
        Ok((profile, model))
    }

    /// A station ready to run on the calling runtime: the target resolved and the AppSecret found now
    /// (a missing secret is said before the first tag, not at the first tap). With
    /// `options.from_pool` the station writes from the target's pool of pre-generated links and needs no
    /// AppSecret; an empty pool is said now, not at the first tap. A station that may generate links needs
    /// the target's link shape confirmed ([`Core::confirm_link`]; `link.confirm_needed` otherwise).
    pub async fn station(&self, setup: StationSetup) -> Result<Station, UserError> {
        let target = self
            .target(&setup.profile, &setup.model, &setup.choice)
            .await?;
        if setup.options.from_pool {
            crate::pool::check_poolable(&target)?;
            let left = self.pool_left(&target).await?;
            if left == 0 {
                return Err(tapstand_station::pool::pool_empty(&target.label));
            }
            let feedback = self.reader_feedback().await?;
            return Ok(Station::from_pool(
                tokio::runtime::Handle::current(),
                self.db.clone(),
                target,
                setup.options,
            )
            .with_reader_feedback(feedback));
        }
        // Every link of this target opens its page and query for ever: confirmed once before the first.
        self.require_confirmed(&target).await?;
        let schemes = Arc::new(self.scheme_service(&setup.profile).await?);
        let feedback = self.reader_feedback().await?;
        Ok(Station::new(
            tokio::runtime::Handle::current(),
            self.db.clone(),
            schemes,
            target,
            setup.options,
        )
        .with_reader_feedback(feedback))
    }
}

//! 物料 for a selection of stores: each store's mini-program code from the cache, an imported image, or
//! WeChat (fetched once, then cached), as the print engine's contents.

use std::ops::ControlFlow;

use tapstand_error::UserError;
use tapstand_materials::{CodePlan, StandTarget};
use tapstand_print::StandContent;
use tapstand_store::records::{Profile, Store};

use crate::Core;

/// Progress while codes are fetched: (done, total, the store just fetched); `Break` stops.
pub type FetchProgress<'a> = dyn FnMut(u32, u32, &StandTarget) -> ControlFlow<()> + Send + 'a;

/// The stores' contents and how many codes were fetched for them.
pub struct Materials {
    pub contents: Vec<StandContent>,
    pub fetched: u32,
}

impl Core {
    /// The stand contents for `stores` under `profile`: codes from the cache or imported, the missing ones
    /// fetched from WeChat unless `offline` (an error names the stores whose code cannot be had).
    pub async fn materials(
        &self,
        profile: &Profile,
        stores: &[Store],
        offline: bool,
        progress: &mut FetchProgress<'_>,
    ) -> Result<Materials, UserError> {
        let targets = stores
            .iter()
            .map(StandTarget::store)
            .collect::<Result<Vec<_>, _>>()?;
        let mut plan = CodePlan::new(&self.db, profile, targets).await?;
        if !plan.missing().is_empty() && !offline {
            let client = tapstand_materials::client_for_missing(&plan, self.wechat(profile).await)?;
            plan.fetch_missing(&self.db, &client, profile, progress)
                .await?;
        }
        let fetched = plan.fetched;
        Ok(Materials {
            contents: plan.into_contents(offline)?,
            fetched,
        })
    }
}

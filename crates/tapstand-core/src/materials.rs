//! 物料 for a selection of stores: each store's mini-program code from the cache, an imported image, or
//! WeChat (fetched once, then cached), as the print engine's contents: a [`StandSource`] that reads one
//! store's code from the cache when the engine asks for it, so memory does not grow with the selection.

use std::borrow::Cow;
use std::ops::ControlFlow;

use tapstand_error::UserError;
use tapstand_materials::{CodePlan, StandTarget};
use tapstand_print::{PrintError, StandContent, StoreSource};
use tapstand_store::records::{Profile, Store};
use tapstand_store::Db;

use crate::Core;

/// Progress while codes are fetched: (done, total, the store just fetched); `Break` stops.
pub type FetchProgress<'a> = dyn FnMut(u32, u32, &StandTarget) -> ControlFlow<()> + Send + 'a;

/// The stands of an export (every code at hand in the cache) and how many codes were fetched for them.
pub struct Materials {
    pub targets: Vec<StandTarget>,
    pub fetched: u32,
}

impl Core {
    /// The stands for `stores` under `profile`: codes from the cache or imported, the missing ones fetched
    /// from WeChat (and cached) unless `offline` (an error names the stores whose code cannot be had). No
    /// image is kept: [`StandSource`] reads them when the pages are drawn.
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
            targets: plan.into_targets(offline)?,
            fetched,
        })
    }
}

/// The print engine's stores, read from the materials cache (SQLite) one at a time. Create it inside the
/// Tokio runtime; [`StoreSource::load`] must then be called off the async workers (a blocking thread,
/// `spawn_blocking` or `block_in_place`), where it waits for the query on the runtime.
pub struct StandSource {
    db: Db,
    profile: Profile,
    targets: Vec<StandTarget>,
    rt: tokio::runtime::Handle,
}

impl StandSource {
    pub fn new(db: Db, profile: Profile, targets: Vec<StandTarget>) -> StandSource {
        StandSource {
            db,
            profile,
            targets,
            rt: tokio::runtime::Handle::current(),
        }
    }
}

impl StoreSource for StandSource {
    fn len(&self) -> usize {
        self.targets.len()
    }

    fn load(&self, i: usize) -> Result<Cow<'_, StandContent>, PrintError> {
        let target = &self.targets[i];
        self.rt
            .block_on(tapstand_materials::load_content(
                &self.db,
                &self.profile,
                target,
            ))
            .map(Cow::Owned)
            .map_err(|e| PrintError::Source(Box::new(e)))
    }
}

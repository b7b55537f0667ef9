use std::sync::{Arc, Mutex};

use tapstand_core::{AppPaths, Core, UserError};
use tapstand_station::worker::{StationStatus, StationWorker};

/// Managed state: the open core (or why it could not be opened, shown by the UI as a full-page error) and
/// the write station. The keychain and the WeChat clients live in the core (tapstand-core), shared with
/// the CLI.
pub struct AppState {
    pub paths: AppPaths,
    /// When the process started (for the first-paint figure).
    pub started: std::time::Instant,
    core: Result<Arc<Core>, UserError>,
    /// The running write station (at most one: it owns the readers), and the status it ended with.
    station: Mutex<Option<StationWorker>>,
    station_last: Mutex<StationStatus>,
}

impl AppState {
    pub async fn open(paths: AppPaths, started: std::time::Instant) -> AppState {
        // A team database from `--database-url URL` or TAPSTAND_DATABASE_URL, else the data folder's file.
        let url = tapstand_core::paths::database_url_arg(std::env::args_os().skip(1));
        let core = Core::open_at(paths.clone(), url.as_deref())
            .await
            .map(Arc::new);
        if let Err(e) = &core {
            tracing::error!(code = %e.code, detail = ?e.detail, "database could not be opened");
        }
        AppState {
            paths,
            started,
            core,
            station: Mutex::new(None),
            station_last: Mutex::new(StationStatus::default()),
        }
    }

    pub fn core(&self) -> Result<&Arc<Core>, UserError> {
        self.core.as_ref().map_err(Clone::clone)
    }

    pub fn station_running(&self) -> bool {
        lock(&self.station)
            .as_ref()
            .is_some_and(|w| !w.is_finished())
    }

    pub fn set_station(&self, worker: StationWorker) {
        *lock(&self.station) = Some(worker);
    }

    pub fn take_station(&self) -> Option<StationWorker> {
        lock(&self.station).take()
    }

    /// The running station's status, or the last one's final status.
    pub fn station_status(&self) -> StationStatus {
        match lock(&self.station).as_ref() {
            Some(w) => w.status(),
            None => lock(&self.station_last).clone(),
        }
    }

    pub fn remember_station_status(&self, status: StationStatus) {
        *lock(&self.station_last) = status;
    }

    pub fn station_decide(&self, uid: &str, overwrite: bool) {
        if let Some(w) = lock(&self.station).as_ref() {
            w.decide(uid, overwrite);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

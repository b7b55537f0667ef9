use std::sync::{Arc, Mutex};

use tapstand_core::print::ExportSlot;
use tapstand_core::{AppPaths, Core, UserError};
use tapstand_station::worker::{StationStatus, StationWorker};

/// Managed state: the open core (or why it could not be opened, shown by the UI as a full-page error) and
/// the write station. The keychain and the WeChat clients live in the core (tapstand-core), shared with
/// the CLI.
pub struct AppState {
    pub paths: AppPaths,
    /// When the process started (for the first-paint figure).
    pub started: std::time::Instant,
    /// Replaced in place by 设置 → 团队模式 (使用团队数据库 / 改回单机) and the startup error's 重试.
    core: std::sync::RwLock<Result<Arc<Core>, UserError>>,
    /// `--database-url` / `TAPSTAND_DATABASE_URL` chose the database for this run.
    pub database_overridden: bool,
    /// The running write station (at most one: it owns the readers), and the status it ended with.
    station: Mutex<Option<StationWorker>>,
    station_last: Mutex<StationStatus>,
    /// Forwards the open team database's change notifications to the window.
    watcher: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
    /// The 物料 export: one at a time, its cancel token, the files it wrote.
    pub print: ExportSlot,
}

impl AppState {
    pub async fn open(paths: AppPaths, started: std::time::Instant) -> AppState {
        // A team database from `--database-url URL` or TAPSTAND_DATABASE_URL, else the one saved in
        // 设置 → 团队模式, else the data folder's file.
        let arg = tapstand_core::paths::database_url_arg(std::env::args_os().skip(1));
        let database_overridden = arg.is_some();
        let core = Self::open_core(&paths, arg).await;
        AppState {
            paths,
            started,
            core: std::sync::RwLock::new(core),
            database_overridden,
            station: Mutex::new(None),
            station_last: Mutex::new(StationStatus::default()),
            watcher: Mutex::new(None),
            print: ExportSlot::default(),
        }
    }

    async fn open_core(paths: &AppPaths, arg: Option<String>) -> Result<Arc<Core>, UserError> {
        let core = match tapstand_core::team::database_choice(paths, arg) {
            Ok((url, _)) => Core::open_at(paths.clone(), url.as_deref())
                .await
                .map(Arc::new),
            Err(e) => Err(e),
        };
        if let Err(e) = &core {
            tracing::error!(code = %e.code, detail = ?e.detail, "database could not be opened");
        }
        core
    }

    pub fn core(&self) -> Result<Arc<Core>, UserError> {
        self.core.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Puts a newly opened core in place of the current one (refused while the station runs: it holds
    /// the old database).
    pub fn replace_core(&self, core: Core) -> Result<(), UserError> {
        self.refuse_while_station_runs()?;
        *self.core.write().unwrap_or_else(|e| e.into_inner()) = Ok(Arc::new(core));
        Ok(())
    }

    /// 重试 on the startup error: opens the chosen database again.
    pub async fn reopen(&self) -> Result<(), UserError> {
        self.refuse_while_station_runs()?;
        let arg = tapstand_core::paths::database_url_arg(std::env::args_os().skip(1));
        let core = Self::open_core(&self.paths, arg).await;
        let result = core.as_ref().map(|_| ()).map_err(Clone::clone);
        *self.core.write().unwrap_or_else(|e| e.into_inner()) = core;
        result
    }

    /// Keeps the change forwarder of the open core, stopping the previous one.
    pub fn set_watcher(&self, task: tauri::async_runtime::JoinHandle<()>) {
        if let Some(old) = lock(&self.watcher).replace(task) {
            old.abort();
        }
    }

    pub fn refuse_while_station_runs(&self) -> Result<(), UserError> {
        if self.station_running() {
            return Err(UserError::new(
                "team.station_running",
                (
                    "写卡台正在运行，不能切换数据库。",
                    "先到“写卡”页停止写卡，再切换。",
                ),
                (
                    "The write station is running: the database cannot be switched.",
                    "Stop the station on the Write page first, then switch.",
                ),
            ));
        }
        Ok(())
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

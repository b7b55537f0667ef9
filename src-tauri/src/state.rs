use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tapstand_core::{AppPaths, Core, UserError};
use tapstand_secrets::Keychain;
use tapstand_station::worker::{StationStatus, StationWorker};
use tapstand_wechat::{ClientConfig, WechatClient};

/// Managed state: the open core (or why it could not be opened, shown by the UI as a full-page error), the
/// OS keychain, and one WeChat client per profile (each keeps its access token in memory only).
pub struct AppState {
    pub paths: AppPaths,
    /// When the process started (for the first-paint figure).
    pub started: std::time::Instant,
    core: Result<Core, UserError>,
    keychain: Mutex<Option<Arc<Keychain>>>,
    wechat_config: ClientConfig,
    wechat: Mutex<HashMap<i64, Arc<WechatClient>>>,
    /// The running write station (at most one: it owns the readers), and the status it ended with.
    station: Mutex<Option<StationWorker>>,
    station_last: Mutex<StationStatus>,
}

impl AppState {
    pub async fn open(paths: AppPaths, started: std::time::Instant) -> AppState {
        let core = Core::open(paths.clone()).await;
        if let Err(e) = &core {
            tracing::error!(code = %e.code, detail = ?e.detail, "database could not be opened");
        }
        AppState {
            paths,
            started,
            core,
            keychain: Mutex::new(None),
            // TAPSTAND_WECHAT_BASE_URL overrides https://api.weixin.qq.com (the local fake in tests and demos).
            wechat_config: ClientConfig::from_env(),
            wechat: Mutex::new(HashMap::new()),
            station: Mutex::new(None),
            station_last: Mutex::new(StationStatus::default()),
        }
    }

    pub fn core(&self) -> Result<&Core, UserError> {
        self.core.as_ref().map_err(Clone::clone)
    }

    /// The OS keychain, connected on first use (a keychain that comes up later is picked up then).
    pub fn keychain(&self) -> Result<Arc<Keychain>, UserError> {
        let mut slot = self.keychain.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = slot.as_ref() {
            return Ok(k.clone());
        }
        let k = Arc::new(Keychain::native().map_err(tapstand_records::keychain_error)?);
        *slot = Some(k.clone());
        Ok(k)
    }

    /// The WeChat client for a profile, built from its AppID and the AppSecret in the keychain.
    pub async fn wechat_client(&self, profile_id: i64) -> Result<Arc<WechatClient>, UserError> {
        if let Some(c) = self
            .wechat
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&profile_id)
        {
            return Ok(c.clone());
        }
        let db = &self.core()?.db;
        let profile = db
            .get_profile(profile_id)
            .await?
            .ok_or_else(|| UserError::internal(format!("profile {profile_id} not found")))?;
        let secret = tapstand_records::app_secret(db, &*self.keychain()?, profile_id).await?;
        let (client, _warnings) =
            WechatClient::new(self.wechat_config.clone(), &profile.appid, &secret)?;
        let client = Arc::new(client);
        self.wechat
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(profile_id, client.clone());
        Ok(client)
    }

    /// Drops the cached client (and its token) after the secret changed.
    pub fn forget_wechat_client(&self, profile_id: i64) {
        self.wechat
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&profile_id);
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

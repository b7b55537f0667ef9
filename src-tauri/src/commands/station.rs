//! 写标签: the write station. The loop runs on its own thread (tapstand-station's worker, which owns the
//! PC/SC context); this layer starts/stops it, forwards its events to the window as `StationUpdate`, and
//! passes the merchant's overwrite answers back.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tapstand_core::UserError;
use tapstand_station::worker::{StationStatus, StationWorker};
use tapstand_station::{resolve_target, Station, StationEvent, StationOptions, TargetChoice};
use tapstand_wechat::SchemeService;
use tauri::{AppHandle, State};
use tauri_specta::Event;

use crate::AppState;

const LAST_REQUEST: &str = "station.last_request";

/// Every station event with the status after it (the window replaces its status, and plays the sound for
/// the event).
#[derive(Clone, Debug, Serialize, specta::Type, Event)]
pub struct StationUpdate {
    pub event: StationEvent,
    pub status: StationStatus,
}

/// What the merchant picked on the station page.
#[derive(Clone, Debug, Serialize, Deserialize, specta::Type)]
pub struct StationRequest {
    pub profile_id: i32,
    pub model_id: i32,
    pub choice: TargetChoice,
    /// Permanently lock each tag after verifying it.
    pub lock: bool,
    pub operator: String,
    /// One reader (name); none = whichever reader a tag is put on.
    pub reader: Option<String>,
}

/// The page path and query the tags will open, shown before writing.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct TargetPreview {
    pub label: String,
    pub model_id: String,
    pub per_device: bool,
    pub path: String,
    /// With `{sn}` / `{uid}` still as placeholders.
    pub query: String,
    /// The same for an example tag (UID 04A1B2C3D4E5F6).
    pub example_query: String,
    pub env_version: String,
}

/// A PC/SC reader, as the station page lists it.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct ReaderView {
    pub name: String,
    pub tag_present: bool,
}

async fn target_for(
    state: &AppState,
    profile_id: i32,
    model_id: i32,
    choice: &TargetChoice,
) -> Result<tapstand_station::Target, UserError> {
    let db = &state.core()?.db;
    let profile = db
        .get_profile(i64::from(profile_id))
        .await?
        .ok_or_else(|| not_found("小程序", "mini program"))?;
    let model = tapstand_records::list_device_models(db)
        .await?
        .into_iter()
        .find(|m| m.id == i64::from(model_id))
        .ok_or_else(|| not_found("设备型号", "device model"))?;
    resolve_target(db, &profile, &model, choice).await
}

fn not_found(zh: &str, en: &str) -> UserError {
    UserError::new(
        "station.choice_gone",
        (
            &format!("所选的{zh}已不存在（可能刚被删除）。"),
            "请重新选择。",
        ),
        (
            &format!("The selected {en} no longer exists (perhaps just deleted)."),
            "Choose again.",
        ),
    )
}

fn busy() -> UserError {
    UserError::new(
        "station.busy",
        ("写标签正在进行中。", "请先点“停止”，再更换目标或检查标签。"),
        (
            "The write station is running.",
            "Press Stop first, then change the target or inspect a tag.",
        ),
    )
}

#[tauri::command]
#[specta::specta]
pub async fn station_preview(
    state: State<'_, AppState>,
    profile_id: i32,
    model_id: i32,
    choice: TargetChoice,
) -> Result<TargetPreview, UserError> {
    let t = target_for(&state, profile_id, model_id, &choice).await?;
    let (path, example_query) = t.path_query("04A1B2C3D4E5F6");
    Ok(TargetPreview {
        label: t.label.clone(),
        model_id: t.model_id.clone(),
        per_device: t.per_device(),
        path,
        query: t.query_template.clone(),
        example_query,
        env_version: t.env_version.clone(),
    })
}

/// The readers PC/SC knows now (empty when none is plugged in; an error when the service is missing).
#[tauri::command]
#[specta::specta]
pub async fn station_readers() -> Result<Vec<ReaderView>, UserError> {
    tauri::async_runtime::spawn_blocking(|| {
        let mut pcsc = tapstand_tag::Pcsc::new();
        match pcsc.readers() {
            Ok(rs) => Ok(rs
                .into_iter()
                .map(|r| ReaderView {
                    name: r.name,
                    tag_present: r.tag_present,
                })
                .collect()),
            Err(tapstand_tag::TagError::NoReader) => Ok(vec![]),
            Err(e) => Err(UserError::from(e)),
        }
    })
    .await
    .map_err(UserError::internal)?
}

/// The last start request (to pre-fill the page), if any.
#[tauri::command]
#[specta::specta]
pub async fn station_last_request(
    state: State<'_, AppState>,
) -> Result<Option<StationRequest>, UserError> {
    let raw = state.core()?.db.get_setting(LAST_REQUEST).await?;
    Ok(raw.and_then(|r| serde_json::from_str(&r).ok()))
}

#[tauri::command]
#[specta::specta]
pub async fn station_start(
    app: AppHandle,
    state: State<'_, AppState>,
    request: StationRequest,
) -> Result<StationStatus, UserError> {
    if state.station_running() {
        return Err(busy());
    }
    let target = target_for(
        &state,
        request.profile_id,
        request.model_id,
        &request.choice,
    )
    .await?;
    // The AppSecret must be in the keychain before the first tag: say so now, not at the first tap.
    let client = state.wechat_client(i64::from(request.profile_id)).await?;
    let db = state.core()?.db.clone();
    db.set_setting(
        LAST_REQUEST,
        &serde_json::to_string(&request).map_err(UserError::internal)?,
    )
    .await?;
    let schemes = Arc::new(SchemeService::new(client, db.clone()));
    let station = Station::new(
        tokio::runtime::Handle::current(),
        db,
        schemes,
        target,
        StationOptions {
            lock: request.lock,
            overwrite: false,
            operator: request.operator.trim().to_string(),
        },
    );
    let app2 = app.clone();
    let worker = StationWorker::spawn(
        station,
        request.reader.clone().filter(|r| !r.is_empty()),
        Arc::new(move |event: &StationEvent, status: &StationStatus| {
            let update = StationUpdate {
                event: event.clone(),
                status: status.clone(),
            };
            if let Err(e) = update.emit(&app2) {
                tracing::warn!("station event not delivered: {e}");
            }
        }),
    )
    .map_err(UserError::internal)?;
    let status = worker.status();
    state.set_station(worker);
    tracing::info!(target = %status.target.as_ref().map(|t| t.key.as_str()).unwrap_or(""), "station started");
    Ok(status)
}

#[tauri::command]
#[specta::specta]
pub async fn station_stop(state: State<'_, AppState>) -> Result<StationStatus, UserError> {
    let Some(worker) = state.take_station() else {
        return Ok(StationStatus::default());
    };
    // Joining waits for a tap in progress to finish (never cut a write short): off the async runtime.
    let status = tauri::async_runtime::spawn_blocking(move || worker.stop())
        .await
        .map_err(UserError::internal)?;
    state.remember_station_status(status.clone());
    tracing::info!(
        written = status.summary.written,
        failed = status.summary.failed,
        "station stopped"
    );
    Ok(status)
}

#[tauri::command]
#[specta::specta]
pub async fn station_status(state: State<'_, AppState>) -> Result<StationStatus, UserError> {
    Ok(state.station_status())
}

/// The merchant's answer for the tag that holds another link: overwrite it, or leave it.
#[tauri::command]
#[specta::specta]
pub async fn station_decide(
    state: State<'_, AppState>,
    uid: String,
    overwrite: bool,
) -> Result<(), UserError> {
    state.station_decide(&uid, overwrite);
    Ok(())
}

//! 写标签: the write station. The loop runs on its own thread (tapstand-station's worker, which owns the
//! PC/SC context); this layer starts/stops it, forwards its events to the window as `StationUpdate`, and
//! passes the merchant's overwrite answers back.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tapstand_core::{StationSetup, UserError};
use tapstand_station::worker::{StationStatus, StationWorker};
use tapstand_station::{StationEvent, StationOptions, TargetChoice};
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
    /// Write from the target's pool of pre-generated links (团队模式): no AppSecret, no WeChat call.
    #[serde(default)]
    #[specta(optional)]
    pub from_pool: bool,
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
    let t = state
        .core()?
        .target_by_ids(i64::from(profile_id), i64::from(model_id), &choice)
        .await?;
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

/// The merchant confirmed the page and query every link of this target opens for ever (asked once per
/// target before its first link is generated: `link.confirm_needed`).
#[tauri::command]
#[specta::specta]
pub async fn station_confirm_link(
    state: State<'_, AppState>,
    profile_id: i32,
    model_id: i32,
    choice: TargetChoice,
) -> Result<(), UserError> {
    let core = state.core()?;
    let t = core
        .target_by_ids(i64::from(profile_id), i64::from(model_id), &choice)
        .await?;
    core.confirm_link(&t).await
}

/// The link quota of the profile's mini program (写卡, 设置): issued, left, today's.
#[tauri::command]
#[specta::specta]
pub async fn quota_summary(
    state: State<'_, AppState>,
    profile_id: i32,
) -> Result<tapstand_core::stand::QuotaView, UserError> {
    let core = state.core()?;
    let profile = tapstand_core::lookup::profile_by_id(&core.db, i64::from(profile_id)).await?;
    core.quota_view(&profile).await
}

/// The readers PC/SC knows now (empty when none is plugged in; an error when the service is missing).
#[tauri::command]
#[specta::specta]
pub async fn station_readers() -> Result<Vec<ReaderView>, UserError> {
    let readers = tauri::async_runtime::spawn_blocking(tapstand_core::readers::readers)
        .await
        .map_err(UserError::internal)??;
    Ok(readers
        .into_iter()
        .map(|r| ReaderView {
            name: r.name,
            tag_present: r.tag_present,
        })
        .collect())
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
    let core = state.core()?;
    let (profile, model) = core
        .profile_and_model(i64::from(request.profile_id), i64::from(request.model_id))
        .await?;
    // The target and the AppSecret are checked now: a missing secret is said before the first tag.
    let station = core
        .station(StationSetup {
            profile,
            model,
            choice: request.choice.clone(),
            options: StationOptions {
                lock: request.lock,
                overwrite: false,
                operator: request.operator.trim().to_string(),
                from_pool: request.from_pool,
            },
        })
        .await?;
    core.db
        .set_setting(
            LAST_REQUEST,
            &serde_json::to_string(&request).map_err(UserError::internal)?,
        )
        .await?;
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

/// The pool of pre-generated links of the target the station page has picked (all zero when it has none).
#[tauri::command]
#[specta::specta]
pub async fn pool_summary(
    state: State<'_, AppState>,
    profile_id: i32,
    model_id: i32,
    choice: TargetChoice,
) -> Result<tapstand_store::pool::PoolSummary, UserError> {
    state
        .core()?
        .pool_summary_by_ids(i64::from(profile_id), i64::from(model_id), &choice)
        .await
}

/// Generates `count` links into the target's pool (needs the AppSecret on this PC).
#[tauri::command]
#[specta::specta]
pub async fn pool_generate(
    state: State<'_, AppState>,
    profile_id: i32,
    model_id: i32,
    choice: TargetChoice,
    count: u32,
) -> Result<tapstand_core::pool::PoolGenerated, UserError> {
    state
        .core()?
        .pool_generate_by_ids(i64::from(profile_id), i64::from(model_id), &choice, count)
        .await
}

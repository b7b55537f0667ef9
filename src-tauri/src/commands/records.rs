//! 凭据 / 设备型号 / 门店与前台: profiles (AppSecret in the keychain), device models, stores, terminals.
//! IDs arrive as i32 (TypeScript `number`): row ids of this app's tables stay far below 2^31.

use tapstand_core::UserError;
use tapstand_records::import::{ImportOptions, ImportPreview, ImportResult};
use tapstand_records::registration::RegistrationHelp;
use tapstand_records::{RecordKind, Saved};
use tapstand_store::records::{
    DeviceModel, DeviceModelInput, Profile, ProfileInput, Store, StoreInput, Terminal,
    TerminalInput,
};
use tapstand_wechat::TokenCheck;
use tauri::State;

use crate::AppState;
use tapstand_error::FieldIssue;

fn id(v: i32) -> i64 {
    i64::from(v)
}

#[tauri::command]
#[specta::specta]
pub async fn list_profiles(state: State<'_, AppState>) -> Result<Vec<Profile>, UserError> {
    tapstand_records::list_profiles(&state.core()?.db).await
}

#[tauri::command]
#[specta::specta]
pub async fn save_profile(
    state: State<'_, AppState>,
    id: Option<i32>,
    input: ProfileInput,
) -> Result<Saved<Profile>, UserError> {
    tapstand_records::save_profile(&state.core()?.db, id.map(self::id), input).await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_profile(state: State<'_, AppState>, id: i32) -> Result<(), UserError> {
    let core = state.core()?;
    tapstand_records::delete_profile(&core.db, &core.secrets().await?, self::id(id)).await
}

/// Saves the AppSecret in the OS keychain. It is never returned to the UI afterwards.
#[tauri::command]
#[specta::specta]
pub async fn set_app_secret(
    state: State<'_, AppState>,
    profile_id: i32,
    secret: String,
) -> Result<Vec<FieldIssue>, UserError> {
    let core = state.core()?;
    let warnings =
        tapstand_records::set_app_secret(&core.db, &core.secrets().await?, id(profile_id), &secret)
            .await?;
    core.forget_wechat(id(profile_id));
    Ok(warnings)
}

#[tauri::command]
#[specta::specta]
pub async fn remove_app_secret(
    state: State<'_, AppState>,
    profile_id: i32,
) -> Result<(), UserError> {
    let core = state.core()?;
    core.forget_wechat(id(profile_id));
    tapstand_records::remove_app_secret(&core.db, &core.secrets().await?, id(profile_id)).await
}

/// "Test connection": fetches an access token with the saved secret (stable_token, never force-refreshed).
#[tauri::command]
#[specta::specta]
pub async fn test_connection(
    state: State<'_, AppState>,
    profile_id: i32,
) -> Result<TokenCheck, UserError> {
    let client = state.core()?.wechat_by_id(id(profile_id)).await?;
    Ok(client.check().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn list_device_models(state: State<'_, AppState>) -> Result<Vec<DeviceModel>, UserError> {
    tapstand_records::list_device_models(&state.core()?.db).await
}

#[tauri::command]
#[specta::specta]
pub async fn save_device_model(
    state: State<'_, AppState>,
    id: Option<i32>,
    input: DeviceModelInput,
) -> Result<Saved<DeviceModel>, UserError> {
    tapstand_records::save_device_model(&state.core()?.db, id.map(self::id), input).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_device_model_status(
    state: State<'_, AppState>,
    id: i32,
    status: String,
    reject_reason: String,
    model_id: Option<String>,
) -> Result<Saved<DeviceModel>, UserError> {
    tapstand_records::set_device_model_status(
        &state.core()?.db,
        self::id(id),
        &status,
        &reject_reason,
        model_id,
    )
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_device_model(state: State<'_, AppState>, id: i32) -> Result<(), UserError> {
    tapstand_records::delete_device_model(&state.core()?.db, self::id(id)).await
}

/// The values for WeChat's 登记设备 and 申请设备能力 forms, and model-name variants for "型号已经存在".
#[tauri::command]
#[specta::specta]
pub async fn registration_help(
    state: State<'_, AppState>,
    model: Option<String>,
) -> Result<(RegistrationHelp, Vec<String>), UserError> {
    let taken: Vec<String> = tapstand_records::list_device_models(&state.core()?.db)
        .await?
        .into_iter()
        .map(|m| m.model_name)
        .collect();
    let help = tapstand_records::registration::help(model.as_deref());
    let base = model.unwrap_or_else(|| tapstand_records::registration::DEFAULT_MODEL.into());
    Ok((
        help,
        tapstand_records::registration::model_variants(&base, &taken),
    ))
}

#[tauri::command]
#[specta::specta]
pub async fn list_stores(
    state: State<'_, AppState>,
    search: String,
    include_archived: bool,
) -> Result<Vec<Store>, UserError> {
    tapstand_records::list_stores(&state.core()?.db, &search, include_archived).await
}

#[tauri::command]
#[specta::specta]
pub async fn save_store(
    state: State<'_, AppState>,
    id: Option<i32>,
    input: StoreInput,
) -> Result<Saved<Store>, UserError> {
    tapstand_records::save_store(&state.core()?.db, id.map(self::id), input).await
}

#[tauri::command]
#[specta::specta]
pub async fn archive_store(
    state: State<'_, AppState>,
    id: i32,
    archived: bool,
) -> Result<(), UserError> {
    tapstand_records::archive_store(&state.core()?.db, self::id(id), archived).await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_store(state: State<'_, AppState>, id: i32) -> Result<(), UserError> {
    tapstand_records::delete_store(&state.core()?.db, self::id(id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn list_terminals(
    state: State<'_, AppState>,
    search: String,
    include_archived: bool,
) -> Result<Vec<Terminal>, UserError> {
    tapstand_records::list_terminals(&state.core()?.db, &search, include_archived).await
}

#[tauri::command]
#[specta::specta]
pub async fn save_terminal(
    state: State<'_, AppState>,
    id: Option<i32>,
    input: TerminalInput,
) -> Result<Saved<Terminal>, UserError> {
    tapstand_records::save_terminal(&state.core()?.db, id.map(self::id), input).await
}

#[tauri::command]
#[specta::specta]
pub async fn archive_terminal(
    state: State<'_, AppState>,
    id: i32,
    archived: bool,
) -> Result<(), UserError> {
    tapstand_records::archive_terminal(&state.core()?.db, self::id(id), archived).await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_terminal(state: State<'_, AppState>, id: i32) -> Result<(), UserError> {
    tapstand_records::delete_terminal(&state.core()?.db, self::id(id)).await
}

/// Reads a CSV file's or an Excel workbook's bytes (the UI reads the file the merchant picked; `options`
/// carry its name and the chosen sheet) and shows what an import would do. Writes nothing.
#[tauri::command]
#[specta::specta]
pub async fn preview_import(
    state: State<'_, AppState>,
    kind: RecordKind,
    bytes: Vec<u8>,
    options: ImportOptions,
) -> Result<ImportPreview, UserError> {
    state.core()?.preview_import(kind, &bytes, &options).await
}

/// Imports every row in one transaction; refuses, writing nothing, while any row has an error.
#[tauri::command]
#[specta::specta]
pub async fn commit_import(
    state: State<'_, AppState>,
    kind: RecordKind,
    bytes: Vec<u8>,
    options: ImportOptions,
) -> Result<ImportResult, UserError> {
    state.core()?.commit_import(kind, &bytes, &options).await
}

/// Writes the records to `path` (chosen in the save dialog): an Excel workbook when the name ends in
/// `.xlsx` (headers in the UI's language), else CSV (UTF-8 with BOM).
#[tauri::command]
#[specta::specta]
pub async fn export_records(
    state: State<'_, AppState>,
    kind: RecordKind,
    path: String,
) -> Result<(), UserError> {
    // Through a safe file: an old file is replaced only by a complete new one, and a failure says why.
    state
        .core()?
        .export_records(kind, std::path::Path::new(&path))
        .await?;
    Ok(())
}

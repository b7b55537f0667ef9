//! 设置 → 团队模式: each command is one `tapstand-core` call (plus putting a newly opened core in place).

use tapstand_core::team::{TeamConnection, TeamStatus};
use tapstand_core::{Core, TeamDatabaseCheck, UserError};
use tapstand_secrets::SecretString;
use tapstand_store::copy::CopyReport;
use tauri::State;

use crate::AppState;

/// Which database this PC uses and the saved team database's fields (never a password).
#[tauri::command]
#[specta::specta]
pub async fn team_status(state: State<'_, AppState>) -> Result<TeamStatus, UserError> {
    let core = state.core().ok();
    Core::team_status(&state.paths, core.as_deref(), state.database_overridden)
}

/// Saves the team database's password in the OS keychain (never returned, never in a file).
#[tauri::command]
#[specta::specta]
pub async fn team_save_password(
    connection: TeamConnection,
    password: String,
) -> Result<String, UserError> {
    Core::save_team_connection_password(&connection, SecretString::new(password)).await
}

/// 测试连接: changes nothing.
#[tauri::command]
#[specta::specta]
pub async fn team_check(connection: TeamConnection) -> Result<TeamDatabaseCheck, UserError> {
    Core::check_team_connection(&connection).await
}

/// 把本机数据复制到团队数据库 (all or nothing; refuses a target holding other data).
#[tauri::command]
#[specta::specta]
pub async fn team_copy(
    state: State<'_, AppState>,
    connection: TeamConnection,
) -> Result<CopyReport, UserError> {
    state.core()?.copy_to_team_connection(&connection).await
}

/// 使用团队数据库 (`Some`) / 改回单机 (`None`): opens that database, saves the choice, and puts it in
/// place of the open one (refused while the write station runs). Also the startup error's 改回单机.
#[tauri::command]
#[specta::specta]
pub async fn team_switch(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    connection: Option<TeamConnection>,
) -> Result<(), UserError> {
    state.refuse_while_station_runs()?;
    let core = Core::switch_database(state.paths.clone(), connection.as_ref()).await?;
    state.replace_core(core)?;
    watch_changes(&app);
    Ok(())
}

/// The startup error's 重试: opens the chosen database again.
#[tauri::command]
#[specta::specta]
pub async fn team_retry(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> Result<(), UserError> {
    state.reopen().await?;
    watch_changes(&app);
    Ok(())
}

/// Another process (another PC) changed a list on the team database: the window reloads the lists
/// showing `table` (`stores`, `terminals`, `station_tags`, `profiles`, `device_models`; `*`: all).
#[derive(Clone, Debug, serde::Serialize, specta::Type, tauri_specta::Event)]
pub struct DataChanged {
    pub table: String,
}

/// Forwards the open core's change notifications to the window as [`DataChanged`] (nothing on SQLite).
/// Called at start and after every switch; the previous forwarder is stopped.
pub fn watch_changes(app: &tauri::AppHandle) {
    use tauri::Manager;
    use tauri_specta::Event;
    let state = app.state::<AppState>();
    let Ok(core) = state.core() else { return };
    let app = app.clone();
    let task = tauri::async_runtime::spawn(async move {
        let mut rx = match core.watch_changes().await {
            Ok(Some(rx)) => rx,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(code = %e.code, "team database changes are not watched");
                return;
            }
        };
        drop(core); // a replaced core is not kept alive by its forwarder
        while let Some(table) = rx.recv().await {
            if let Err(e) = (DataChanged { table }).emit(&app) {
                tracing::warn!("data change not delivered: {e}");
            }
        }
    });
    state.set_watcher(task);
}

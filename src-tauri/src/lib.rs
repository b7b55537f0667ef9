//! The Tauri shell: wires commands, events and state to `tapstand-core`. No business logic here.

mod commands;
mod state;
pub mod update;

use tauri::Manager;

pub use state::AppState;

/// All commands and events, for the invoke handler and for the generated TypeScript bindings.
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        // Every DTO is either sent or received, never both ways with different shapes: one type per DTO.
        .disable_serde_phases()
        .commands(tauri_specta::collect_commands![
            commands::app::startup_status,
            commands::app::app_info,
            commands::app::set_language,
            commands::app::set_reader_feedback,
            commands::app::scpnp_apply,
            commands::app::doctor,
            commands::app::ui_ready,
            commands::records::list_profiles,
            commands::records::save_profile,
            commands::records::delete_profile,
            commands::records::set_app_secret,
            commands::records::remove_app_secret,
            commands::records::test_connection,
            commands::records::list_device_models,
            commands::records::save_device_model,
            commands::records::set_device_model_status,
            commands::records::delete_device_model,
            commands::records::registration_help,
            commands::records::list_stores,
            commands::records::save_store,
            commands::records::archive_store,
            commands::records::delete_store,
            commands::records::list_terminals,
            commands::records::save_terminal,
            commands::records::archive_terminal,
            commands::records::delete_terminal,
            commands::records::preview_import,
            commands::records::commit_import,
            commands::records::export_records,
            commands::station::station_preview,
            commands::station::station_confirm_link,
            commands::station::quota_summary,
            commands::station::station_readers,
            commands::station::station_last_request,
            commands::station::station_start,
            commands::station::pool_summary,
            commands::station::pool_generate,
            commands::station::station_stop,
            commands::station::station_status,
            commands::station::station_decide,
            commands::history::history_page,
            commands::history::history_export_csv,
            commands::history::export_tag_register,
            commands::history::inspect_tag,
            commands::history::history_recover_link,
            commands::stand::audit_start,
            commands::stand::audit_current,
            commands::stand::audit_tap,
            commands::stand::audit_finish,
            commands::stand::stand_find,
            commands::stand::stand_replace,
            commands::stand::retired_tags,
            commands::print::print_options,
            commands::print::print_store_codes,
            commands::print::print_preview,
            commands::print::print_import_code,
            commands::print::print_export,
            commands::print::print_cancel,
            commands::print::print_reveal,
            commands::print::print_e2e_save_path,
            commands::update::update_status,
            commands::update::update_check,
            commands::update::update_download,
            commands::update::update_install,
            commands::team::team_status,
            commands::team::team_save_password,
            commands::team::team_check,
            commands::team::team_copy,
            commands::team::team_switch,
            commands::team::team_retry,
        ])
        .events(tauri_specta::collect_events![
            commands::station::StationUpdate,
            commands::print::PrintProgress,
            commands::update::UpdateDownload,
            commands::team::DataChanged
        ])
}

/// The TypeScript exporter settings used for `ui/src/bindings.ts`.
pub fn typescript() -> specta_typescript::Typescript {
    // i64/u64 are refused by specta-typescript (JSON numbers lose precision past 2^53): DTOs use 32-bit
    // integers, f64 or strings instead.
    specta_typescript::Typescript::default().header("// Generated from the Rust types by tauri-specta (src-tauri/src/lib.rs). Do not edit.\n// Regenerate: scripts/gen-bindings.sh\n")
}

pub fn run() {
    let started = std::time::Instant::now();
    let data_dir = tapstand_core::paths::data_dir_arg(std::env::args_os().skip(1));
    let paths = match tapstand_core::AppPaths::resolve_with(data_dir) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("Tapstand cannot find its data folder: {e}");
            std::process::exit(1);
        }
    };
    let log_guard = tapstand_core::logging::init(&paths.log_dir, true)
        .map_err(|e| eprintln!("logging to {} failed: {e}", paths.log_dir.display()))
        .ok();
    tracing::info!(version = tapstand_core::APP_VERSION, data = %paths.data_dir.display(), "Tapstand starting");

    let builder = specta_builder();
    let running_dir = paths.data_dir.clone();
    // A second instance hands over to the first one inside the single-instance plugin's setup; if the first
    // one never answers, do not sit there invisibly: say so and exit.
    let past_single_instance = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let past = past_single_instance.clone();
        std::thread::spawn(move || {
            std::thread::sleep(SECOND_LAUNCH_TIMEOUT);
            if !past.load(std::sync::atomic::Ordering::SeqCst) {
                tracing::error!("another Tapstand is running but did not answer; exiting");
                eprintln!("Tapstand 已经在运行，但没有响应。请在任务栏找到它的窗口，或结束它后再打开。/ Tapstand is already running but does not answer: find its window, or end it and start again.");
                std::process::exit(1);
            }
        });
    }
    // Updates: on only when this build was given an update key and endpoints (tapstand-update).
    let updates = tapstand_update::build_setup();
    let mut context = tauri::generate_context!();
    let app = tauri::Builder::default()
        // One Tapstand per user, whatever its data folder (the reader and the OS keychain are per user
        // too): a second launch brings this window to the front and exits. First among the plugins, so
        // that a second instance stops before anything else starts.
        .plugin(tauri_plugin_single_instance::init(
            move |app, argv, _cwd| bring_to_front(app, &argv, &running_dir),
        ))
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init());
    let app = update::register(app, &mut context, &updates)
        .manage(update::Updates::new(updates))
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            // Plugins are set up before this: we are the only instance.
            past_single_instance.store(true, std::sync::atomic::Ordering::SeqCst);
            builder.mount_events(app);
            // Open the database before the window asks for anything; a failure is kept and shown by the UI.
            let state = tauri::async_runtime::block_on(AppState::open(paths, started));
            app.manage(state);
            commands::team::watch_changes(app.handle());
            app.manage(LogGuardHolder(log_guard));
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window while a tag is being written: finish that tag (it is recorded), then
            // close. Never cut a write or a WeChat call short.
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                if window.state::<AppState>().station_running() {
                    api.prevent_close();
                    let window = window.clone();
                    std::thread::spawn(move || {
                        stop_station(window.app_handle());
                        let _ = window.destroy();
                    });
                }
            }
        })
        .build(context)
        .expect("error while building Tapstand");
    app.run(|handle, event| {
        // Quitting (Cmd-Q, the OS logging out) while the station runs: the same as closing the window.
        if let tauri::RunEvent::ExitRequested { api, .. } = event {
            if handle.state::<AppState>().station_running() {
                api.prevent_exit();
                let handle = handle.clone();
                std::thread::spawn(move || {
                    stop_station(&handle);
                    handle.exit(0);
                });
            }
        }
    });
}

/// How long a second launch may wait for the first instance to take over before it gives up.
const SECOND_LAUNCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// Another launch of Tapstand (by the same user) was refused: show this window instead.
fn bring_to_front(app: &tauri::AppHandle, argv: &[String], running_dir: &std::path::Path) {
    let asked = tapstand_core::paths::data_dir_arg(argv.iter().skip(1).map(Into::into));
    match asked.as_deref() {
        Some(d) if d != running_dir => tracing::warn!(
            asked = %d.display(),
            running = %running_dir.display(),
            "a second launch asked for another data folder; Tapstand is already running with this one"
        ),
        _ => tracing::info!("a second launch: bringing the window to the front"),
    }
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}

/// Stops the write station, waiting for the tag in progress to be finished and recorded.
fn stop_station(handle: &tauri::AppHandle) {
    let state = handle.state::<AppState>();
    if let Some(worker) = state.take_station() {
        tracing::info!("closing: finishing the tag in progress before the station stops");
        let status = worker.stop();
        tracing::info!(
            written = status.summary.written,
            failed = status.summary.failed,
            "station stopped at close"
        );
        state.remember_station_status(status);
    }
}

struct LogGuardHolder(#[allow(dead_code)] Option<tapstand_core::logging::LogGuard>);

#[cfg(test)]
mod tests {
    use std::path::Path;

    const BINDINGS: &str = "ui/src/bindings.ts";

    /// The committed TypeScript bindings must equal what the Rust types generate now.
    /// `TAPSTAND_UPDATE_BINDINGS=1 cargo test -p tapstand bindings` rewrites them.
    #[test]
    fn bindings_are_fresh() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let tmp = tempfile::tempdir().unwrap();
        let generated = tmp.path().join("bindings.ts");
        super::specta_builder()
            .export(super::typescript(), &generated)
            .expect("export bindings");
        let generated = std::fs::read_to_string(&generated).unwrap();
        let committed_path = root.join(BINDINGS);
        if std::env::var_os("TAPSTAND_UPDATE_BINDINGS").is_some() {
            std::fs::write(&committed_path, &generated).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
        assert!(
            committed == generated,
            "{BINDINGS} is stale: run scripts/gen-bindings.sh and commit the result"
        );
    }

    /// A wrong capabilities glob silently yields an empty capability set, and the window gets no IPC.
    #[test]
    fn capabilities_reach_the_main_window() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let caps = std::fs::read_to_string(root.join("gen/schemas/capabilities.json"))
            .expect("tauri-build writes gen/schemas/capabilities.json");
        let caps: serde_json::Value = serde_json::from_str(&caps).unwrap();
        let default = &caps["default"];
        assert!(default.is_object(), "capability 'default' missing: {caps}");
        assert!(default["windows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == "main"));
        assert!(default["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "core:default"));
    }
}

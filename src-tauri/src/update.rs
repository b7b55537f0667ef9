//! Drives `tauri-plugin-updater` with this build's update configuration (`tapstand_update`): check, download
//! with progress and signature check, install. Generic over the Tauri runtime so that `tests/updater.rs`
//! runs exactly this code in a mock app against a local update server.
//!
//! The plugin checks the endpoints in order (the next one on a connection error, a timeout or a non-2xx
//! answer), verifies the installer's minisign signature against the build's public key after the download
//! and again before installing; nothing here can switch that off.

use std::sync::Mutex;

use tapstand_error::UserError;
use tapstand_update::{Failure, UpdateConfig, UpdateInfo, UpdateProgress, UpdateSetup};
use tauri::{AppHandle, Runtime};
use tauri_plugin_updater::{Error as PluginError, Update, UpdaterExt};

/// Managed state: this build's configuration and the update found / downloaded, if any.
pub struct Updates {
    pub setup: UpdateSetup,
    pending: Mutex<Option<Pending>>,
}

struct Pending {
    update: Update,
    /// The verified installer, once downloaded.
    bytes: Option<Vec<u8>>,
}

impl Updates {
    pub fn new(setup: UpdateSetup) -> Updates {
        Updates {
            setup,
            pending: Mutex::new(None),
        }
    }

    fn config(&self) -> Result<&UpdateConfig, UserError> {
        match &self.setup {
            UpdateSetup::Enabled(c) => Ok(c),
            UpdateSetup::Disabled(why) => Err(why.clone()),
        }
    }

    /// Checks the servers; remembers a newer version for [`Updates::download`].
    pub async fn check<R: Runtime>(
        &self,
        app: &AppHandle<R>,
    ) -> Result<Option<UpdateInfo>, UserError> {
        let found = check(app, self.config()?).await?;
        let info = found.as_ref().map(info);
        *lock(&self.pending) = found.map(|update| Pending {
            update,
            bytes: None,
        });
        Ok(info)
    }

    /// Downloads the installer of the version found by the last check and verifies its signature.
    pub async fn download(
        &self,
        on_progress: impl FnMut(UpdateProgress),
    ) -> Result<UpdateInfo, UserError> {
        let update = lock(&self.pending)
            .as_ref()
            .map(|p| p.update.clone())
            .ok_or(Failure::NothingPending)?;
        let bytes = download(&update, on_progress).await?;
        let info = info(&update);
        *lock(&self.pending) = Some(Pending {
            update,
            bytes: Some(bytes),
        });
        Ok(info)
    }

    /// Installs the downloaded installer (the merchant confirmed), then restarts into the new version.
    /// On Windows the NSIS installer takes over and the app exits.
    pub fn install<R: Runtime>(&self, app: &AppHandle<R>) -> Result<(), UserError> {
        let pending = lock(&self.pending).take();
        let Some(Pending {
            update,
            bytes: Some(bytes),
        }) = pending
        else {
            return Err(Failure::NothingPending.into());
        };
        tracing::info!(version = %update.version, "installing the update");
        // `install` verifies the bytes against the signature once more before it touches anything.
        update
            .install(&bytes)
            .map_err(|e| UserError::from(classify(e, Stage::Install)))?;
        app.restart()
    }
}

/// Registers the updater plugin when this build has an update key; its configuration (key, endpoints) is
/// put into the app's context here, so `tauri.conf.json` holds none.
pub fn register<R: Runtime>(
    builder: tauri::Builder<R>,
    context: &mut tauri::Context<R>,
    setup: &UpdateSetup,
) -> tauri::Builder<R> {
    match setup {
        UpdateSetup::Enabled(c) => {
            context.config_mut().plugins.0.insert(
                "updater".into(),
                serde_json::json!({
                    "pubkey": c.pubkey,
                    "endpoints": c.endpoints.iter().map(|u| u.as_str()).collect::<Vec<_>>(),
                    // Debug builds accept plain http for the loopback test server (tapstand_update refuses
                    // it for any other host); release builds only ever get https endpoints.
                    "dangerousInsecureTransportProtocol": !tapstand_error::build::release_rules(),
                    // The signature must carry the version it was signed for (`tauri build` binds it;
                    // by hand: `tauri signer sign --app-version`): an old, validly signed installer cannot be
                    // passed off as a new version by a tampered manifest.
                    "requireSignedVersion": true,
                }),
            );
            builder.plugin(tauri_plugin_updater::Builder::new().build())
        }
        UpdateSetup::Disabled(why) => {
            tracing::info!(code = %why.code, "updates are off in this build");
            builder
        }
    }
}

/// Asks the servers in order (each within the configured timeout); `None` when there is nothing newer.
pub async fn check<R: Runtime>(
    app: &AppHandle<R>,
    cfg: &UpdateConfig,
) -> Result<Option<Update>, UserError> {
    let started = std::time::Instant::now();
    let updater = app
        .updater_builder()
        .endpoints(cfg.endpoints.clone())
        .and_then(|b| b.pubkey(cfg.pubkey.clone()).timeout(cfg.timeout).build())
        .map_err(|e| UserError::from(classify(e, Stage::Check)))?;
    let found = updater
        .check()
        .await
        .map_err(|e| UserError::from(classify(e, Stage::Check)))?;
    tracing::info!(
        found = ?found.as_ref().map(|u| &u.version),
        ms = started.elapsed().as_millis() as u64,
        "update check"
    );
    Ok(found)
}

/// Downloads the installer and verifies its signature; the bytes are returned only when it matches.
pub async fn download(
    update: &Update,
    mut on_progress: impl FnMut(UpdateProgress),
) -> Result<Vec<u8>, UserError> {
    let mut update = update.clone();
    update.timeout = Some(tapstand_update::DOWNLOAD_TIMEOUT);
    let mut downloaded = 0u64;
    let mut total = None;
    let bytes = update
        .download(
            |chunk, len| {
                downloaded += chunk as u64;
                total = len;
                on_progress(UpdateProgress {
                    downloaded: bytes_u32(downloaded),
                    total: len.map(bytes_u32),
                    verified: false,
                });
            },
            || {},
        )
        .await
        .map_err(|e| {
            let f = classify(e, Stage::Download);
            tracing::warn!(?f, version = %update.version, "update download refused");
            UserError::from(f)
        })?;
    on_progress(UpdateProgress {
        downloaded: bytes_u32(bytes.len() as u64),
        total: total.map(bytes_u32),
        verified: true,
    });
    tracing::info!(version = %update.version, bytes = bytes.len(), "update downloaded and verified");
    Ok(bytes)
}

/// What 设置 shows about a found update.
pub fn info(update: &Update) -> UpdateInfo {
    UpdateInfo {
        current_version: update.current_version.clone(),
        version: update.version.clone(),
        notes: update.body.clone().filter(|n| !n.trim().is_empty()),
        date: update.date.and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        }),
        source: tapstand_update::source_name(&update.download_url),
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Stage {
    Check,
    Download,
    Install,
}

/// The plugin's error, as the merchant needs to tell it apart.
pub fn classify(e: PluginError, stage: Stage) -> Failure {
    let d = e.to_string();
    match e {
        PluginError::Minisign(_)
        | PluginError::Base64(_)
        | PluginError::SignatureUtf8(_)
        | PluginError::SignedVersionMismatch { .. }
        | PluginError::MissingSignedVersion => Failure::BadSignature(d),
        PluginError::TargetNotFound(_) | PluginError::TargetsNotFound(_) => Failure::NoPlatform(d),
        PluginError::Reqwest(ref r) if r.is_decode() => Failure::BadManifest(d),
        PluginError::Serialization(_) | PluginError::Semver(_) | PluginError::UrlParse(_) => {
            Failure::BadManifest(d)
        }
        _ => match stage {
            Stage::Check => Failure::Unreachable(d),
            Stage::Download => Failure::Download(d),
            Stage::Install => Failure::Install(d),
        },
    }
}

fn bytes_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

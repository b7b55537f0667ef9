use tapstand_core::{AppPaths, Core, UserError};

/// Managed state: the open core, or why it could not be opened (shown by the UI as a full-page error).
pub struct AppState {
    pub paths: AppPaths,
    /// When the process started (for the first-paint figure).
    pub started: std::time::Instant,
    core: Result<Core, UserError>,
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
        }
    }

    pub fn core(&self) -> Result<&Core, UserError> {
        self.core.as_ref().map_err(Clone::clone)
    }
}

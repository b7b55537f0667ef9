//! The end-to-end harness: drives the real Tapstand window through tauri-driver (WebKitWebDriver) under Xvfb.
//!
//! `scripts/e2e.sh` starts Xvfb, a D-Bus session with an unlocked gnome-keyring and tauri-driver, then runs
//! these tests with `--ignored` and `TAPSTAND_E2E_DRIVER` pointing at tauri-driver. Each test launches the
//! app binary built with the UI embedded (`--features custom-protocol`) in its own temporary data directory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;
use thirtyfour::prelude::*;
use thirtyfour::Capabilities;

pub const AREAS: [&str; 7] = [
    "credentials",
    "models",
    "stores",
    "write",
    "print",
    "history",
    "settings",
];
pub const LANGS: [&str; 2] = ["zh-CN", "en-US"];

pub fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("e2e-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn driver_url() -> String {
    std::env::var("TAPSTAND_E2E_DRIVER").expect(
        "TAPSTAND_E2E_DRIVER is not set: run the end-to-end tests with scripts/e2e.sh, which starts Xvfb and tauri-driver",
    )
}

/// One running app window with its own data directory.
pub struct App {
    pub driver: WebDriver,
}

impl App {
    /// Launches the app on `data_dir` (created if missing) and waits for the UI to be up.
    pub async fn launch(data_dir: &Path) -> App {
        std::fs::create_dir_all(data_dir).unwrap();
        let mut caps = Capabilities::new();
        // No browserName: WebKitGTK reports "MiniBrowser" and a mismatch refuses the session.
        caps.set(
            "tauri:options",
            json!({
                "application": env!("CARGO_BIN_EXE_tapstand"),
                "args": ["--data-dir", data_dir.to_str().unwrap()],
            }),
        )
        .unwrap();
        let started = Instant::now();
        let driver = loop {
            match WebDriver::new(driver_url(), caps.clone()).await {
                Ok(d) => break d,
                // The first session on a cold machine can take tens of seconds; retry a few times.
                Err(e) if started.elapsed() < Duration::from_secs(90) => {
                    eprintln!("session not ready yet: {e}");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
                Err(e) => panic!("could not start a WebDriver session: {e}"),
            }
        };
        let app = App { driver };
        app.wait_any(&["[data-testid=nav-settings]", "[data-testid=startup-error]"])
            .await;
        app
    }

    pub async fn quit(self) {
        self.driver.quit().await.expect("quit the session");
    }

    /// Waits until an element matching `css` exists and returns it.
    pub async fn wait(&self, css: &str) -> WebElement {
        self.wait_any(&[css]).await
    }

    pub async fn wait_any(&self, selectors: &[&str]) -> WebElement {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            for css in selectors {
                if let Ok(e) = self.driver.find(By::Css(*css)).await {
                    return e;
                }
            }
            if Instant::now() > deadline {
                let html = self.driver.source().await.unwrap_or_default();
                panic!("none of {selectors:?} appeared within 30 s; page source:\n{html}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `css` exists and its text contains `needle`.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(e) = self.driver.find(By::Css(css)).await {
                if let Ok(t) = e.text().await {
                    if t.contains(needle) {
                        return t;
                    }
                    if Instant::now() > deadline {
                        panic!("{css} never contained {needle:?}; last text: {t:?}");
                    }
                }
            } else if Instant::now() > deadline {
                panic!("{css} never appeared");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn click(&self, css: &str) {
        self.wait(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    pub async fn html_lang(&self) -> String {
        let r = self
            .driver
            .execute(
                "return document.documentElement.lang",
                Vec::<serde_json::Value>::new(),
            )
            .await
            .unwrap();
        r.json().as_str().unwrap_or_default().to_string()
    }

    pub async fn switch_language(&self, lang: &str) {
        self.click(&format!("[data-testid=lang-{lang}]")).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.html_lang().await != lang {
            assert!(Instant::now() < deadline, "the UI did not switch to {lang}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Saves a screenshot after two animation frames (with a cold Mesa shader cache WebKit otherwise
    /// returns a stale frame).
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        self.driver
            .execute_async(
                "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                Vec::<serde_json::Value>::new(),
            )
            .await
            .expect("wait two animation frames");
        let path = artifacts_dir().join(format!("{name}.png"));
        self.driver.screenshot(&path).await.expect("screenshot");
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 2000,
            "{} is not a real screenshot",
            path.display()
        );
        path
    }
}

/// A fresh temporary data directory for one test (kept under target/ so it can be inspected after a failure).
pub fn temp_data_dir(test: &str) -> tempfile::TempDir {
    let base = artifacts_dir().join("data");
    std::fs::create_dir_all(&base).unwrap();
    tempfile::Builder::new()
        .prefix(&format!("{test}-"))
        .tempdir_in(base)
        .unwrap()
}

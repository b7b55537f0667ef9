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

pub const AREAS: [&str; 8] = [
    "credentials",
    "models",
    "stores",
    "write",
    "print",
    "history",
    "inspect",
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
    /// Set by [`App::quit`]; otherwise dropping the App (a failed assertion) ends the session itself, so the
    /// next test can start one (tauri-driver allows one at a time).
    closed: bool,
}

impl Drop for App {
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        // The test is unwinding (or forgot to quit): keep a picture of the failure, then close the session
        // with plain blocking HTTP (the async client may belong to a runtime that is going away).
        let session = self.driver.session_id().to_string();
        let base = format!("{}/session/{session}", driver_url());
        if std::thread::panicking() {
            if let Ok(body) = try_http("GET", &format!("{base}/screenshot"), None) {
                let png = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["value"].as_str().map(base64_decode));
                if let Some(png) = png {
                    let stamp = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs())
                        .unwrap_or(0);
                    let name = std::thread::current()
                        .name()
                        .unwrap_or("test")
                        .replace("::", "-");
                    let path = artifacts_dir().join(format!("failed-{name}-{stamp}.png"));
                    let _ = std::fs::write(&path, png);
                    eprintln!("screenshot of the failure: {}", path.display());
                }
            }
        }
        let _ = try_http("DELETE", &base, None);
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in text.bytes().filter_map(value) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

impl App {
    /// Launches the app on `data_dir` (created if missing) and waits for the UI to be up.
    pub async fn launch(data_dir: &Path) -> App {
        std::fs::create_dir_all(data_dir).unwrap();
        // The app of the previous test may still be exiting: a launch now would be its second instance
        // and hand over to it (single-instance) instead of opening a window.
        wait_single_instance_free().await;
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
        let app = App {
            driver,
            closed: false,
        };
        app.wait_any(&["[data-testid=nav-settings]", "[data-testid=startup-error]"])
            .await;
        app
    }

    pub async fn quit(mut self) {
        self.closed = true;
        self.driver.clone().quit().await.expect("quit the session");
    }

    /// The app has exited by itself (the test closed its window): end the WebDriver session without expecting
    /// the app to answer.
    pub async fn gone(mut self) {
        self.closed = true;
        let _ = self.driver.clone().quit().await;
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

    /// Waits (at most 3 s) until no finite CSS transition or animation runs (modals, drawers and messages
    /// animate in and out; a click during one can land where the element was a frame ago).
    pub async fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            let busy = self
                .driver
                .execute(
                    r#"if (!document.getAnimations) return 0;
                       return document.getAnimations().filter((a) => a.playState === "running"
                         && a.effect && a.effect.getComputedTiming().iterations !== Infinity).length;"#,
                    Vec::<serde_json::Value>::new(),
                )
                .await
                .map(|r| r.json().as_u64().unwrap_or(0))
                .unwrap_or(0);
            if busy == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks `css` once it exists, nothing animates and it has stopped moving; retries while something
    /// else (a toast, a closing mask) covers it.
    pub async fn click(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut last_rect = None;
        loop {
            self.settle().await;
            let el = self.wait(css).await;
            let rect = el.rect().await.ok().map(|r| (r.x, r.y, r.width, r.height));
            if rect.is_some() && rect == last_rect {
                match el.click().await {
                    Ok(()) => return,
                    Err(e) if Instant::now() < deadline => eprintln!("click {css} retried: {e}"),
                    Err(e) => panic!("click {css}: {e}"),
                }
            }
            last_rect = rect;
            assert!(Instant::now() < deadline, "{css} never became clickable");
            tokio::time::sleep(Duration::from_millis(80)).await;
        }
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
        let css = format!("[data-testid=lang-{lang}]");
        let option = self.wait(&css).await;
        if option.click().await.is_err() {
            // A dialog's mask covers the top bar: switch underneath it (for screenshots of open dialogs).
            self.js(
                "arguments[0].click(); return true;",
                vec![option.to_json().unwrap()],
            )
            .await;
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.html_lang().await != lang {
            assert!(Instant::now() < deadline, "the UI did not switch to {lang}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs `script` (with `arguments[0..]` = `args`) and returns its JSON result.
    pub async fn js(&self, script: &str, args: Vec<serde_json::Value>) -> serde_json::Value {
        self.driver
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
            .json()
            .clone()
    }

    /// Whether an element matching `css` exists right now.
    pub async fn exists(&self, css: &str) -> bool {
        self.driver.find(By::Css(css)).await.is_ok()
    }

    /// How many elements match `css` right now.
    pub async fn count(&self, css: &str) -> usize {
        self.driver
            .find_all(By::Css(css))
            .await
            .map(|v| v.len())
            .unwrap_or(0)
    }

    /// The text of the first element matching `css` (waits for it).
    pub async fn text(&self, css: &str) -> String {
        self.wait(css).await.text().await.unwrap_or_default()
    }

    /// Waits until nothing matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.exists(css).await {
            assert!(Instant::now() < deadline, "{css} is still there after 30 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `css` exists and its attribute `name` equals `value`.
    pub async fn wait_attr(&self, css: &str, name: &str, value: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut last = None;
            if let Ok(e) = self.driver.find(By::Css(css)).await {
                last = e.attr(name).await.ok().flatten();
                if last.as_deref() == Some(value) {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "{css} never had {name}={value:?} (last: {last:?})"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sets the value of the input or textarea `css` (or the one inside it, for Naive UI's wrappers) the way
    /// typing does: the value, then `input` and `change` events. Works for any text, Chinese included.
    pub async fn fill(&self, css: &str, value: &str) {
        let el = self.wait(css).await;
        let ok = self
            .js(
                r#"let el = arguments[0];
                   if (!(el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement)) {
                     el = el.querySelector("input:not([type=file]), textarea");
                   }
                   if (!el) return false;
                   el.focus();
                   el.value = arguments[1];
                   el.dispatchEvent(new Event("input", { bubbles: true }));
                   el.dispatchEvent(new Event("change", { bubbles: true }));
                   return true;"#,
                vec![el.to_json().unwrap(), serde_json::json!(value)],
            )
            .await;
        assert_eq!(ok, serde_json::json!(true), "{css} has no input to fill");
    }

    /// Gives the file input `css` a file (what picking it in the file chooser does).
    pub async fn choose_file(&self, css: &str, path: &Path) {
        let el = self.wait(css).await;
        el.send_keys(path.to_str().unwrap())
            .await
            .unwrap_or_else(|e| panic!("choose {} in {css}: {e}", path.display()));
    }

    /// Whether the button `css` can be clicked.
    pub async fn enabled(&self, css: &str) -> bool {
        self.wait(css).await.is_enabled().await.unwrap_or(false)
    }

    /// Clicks the first element whose XPath matches (e.g. a select option by its text).
    pub async fn click_xpath(&self, xpath: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(e) = self.driver.find(By::XPath(xpath)).await {
                if e.click().await.is_ok() {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "could not click {xpath}");
            tokio::time::sleep(Duration::from_millis(150)).await;
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

/// The fake WeChat server that `scripts/lib/e2e-inner.sh` started (the app reaches it through
/// `TAPSTAND_WECHAT_BASE_URL`).
pub struct Fake;

impl Fake {
    fn base() -> String {
        std::env::var("TAPSTAND_E2E_FAKE_WECHAT").expect(
            "TAPSTAND_E2E_FAKE_WECHAT is not set: run the end-to-end tests with scripts/e2e.sh",
        )
    }

    /// `POST /__fake/control` with one command (see `tapstand_fake_wechat::Control`).
    pub fn control(command: &tapstand_fake_wechat::Control) -> serde_json::Value {
        let body = serde_json::to_string(command).unwrap();
        let text = http(
            "POST",
            &format!("{}/__fake/control", Self::base()),
            Some(&body),
        );
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
    }

    /// The fake's request log (`GET /__fake/log`), oldest first.
    pub fn log() -> Vec<serde_json::Value> {
        let text = http("GET", &format!("{}/__fake/log", Self::base()), None);
        serde_json::from_str(&text).expect("the fake's log is JSON")
    }

    /// generatenfcscheme calls the fake received for `sn` (answered or not).
    pub fn generates_for(sn: &str) -> usize {
        Self::log()
            .iter()
            .filter(|e| e["endpoint"] == "generate_nfc_scheme" && e["sn"] == sn)
            .count()
    }

    /// How many calls the fake has answered for `endpoint` (snake_case, e.g. `get_wxa_code_unlimit`).
    pub fn calls(endpoint: &str) -> usize {
        let text = http("GET", &format!("{}/__fake/log", Self::base()), None);
        let log: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        log.as_array()
            .map(|a| a.iter().filter(|e| e["endpoint"] == endpoint).count())
            .unwrap_or(0)
    }

    /// Forgets everything and starts again with the demo mini program and device models.
    pub fn reset_demo() {
        Self::control(&tapstand_fake_wechat::Control::Reset(
            tapstand_fake_wechat::FakeConfig::demo(),
        ));
    }
}

/// A minimal HTTP/1.1 client for loopback servers (the fake, tauri-driver); panics unless the answer is 200.
fn http(method: &str, url: &str, body: Option<&str>) -> String {
    try_http(method, url, body).unwrap_or_else(|e| panic!("{method} {url}: {e}"))
}

fn try_http(method: &str, url: &str, body: Option<&str>) -> Result<String, String> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http:// URL");
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut stream =
        std::net::TcpStream::connect(host).map_err(|e| format!("connect {host}: {e}"))?;
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .map_err(|e| e.to_string())?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(response.len());
    let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    let mut body = response.get(split + 4..).unwrap_or(&[]).to_vec();
    if !head.starts_with("http/1.1 200") {
        return Err(head);
    }
    if head.contains("transfer-encoding: chunked") {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
            let n = usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16)
                .unwrap_or(0);
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[eol + 2..eol + 2 + n]);
            rest = &rest[eol + 2 + n + 2..];
        }
        body = out;
    }
    String::from_utf8(body).map_err(|e| e.to_string())
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

/// The D-Bus name the single-instance plugin holds while a Tapstand runs in this session
/// (`<identifier>.SingleInstance`).
pub const SINGLE_INSTANCE_NAME: &str = "cn.tapstand.app.SingleInstance";

/// Whether some process owns [`SINGLE_INSTANCE_NAME`] on the session bus (`None`: cannot tell, no
/// dbus-send or no session bus).
pub fn single_instance_owned() -> Option<bool> {
    let out = std::process::Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            &format!("string:{SINGLE_INSTANCE_NAME}"),
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if text.contains("boolean true") {
        Some(true)
    } else if text.contains("boolean false") {
        Some(false)
    } else {
        None
    }
}

/// Waits (at most 30 s) until no Tapstand holds the single-instance name in this session. An app still
/// holding it after 15 s is a leftover of a test that failed before it could quit (its window hung): it is
/// killed, said on stderr, so that one failure does not fail every test after it.
pub async fn wait_single_instance_free() {
    let started = Instant::now();
    let mut killed = false;
    while single_instance_owned() == Some(true) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "a Tapstand from an earlier test still runs after 30 s (it holds {SINGLE_INSTANCE_NAME})"
        );
        if !killed && started.elapsed() > Duration::from_secs(15) {
            if let Some(pid) = single_instance_pid() {
                eprintln!("killing a Tapstand left over by an earlier test (pid {pid}, holds {SINGLE_INSTANCE_NAME})");
                let _ = std::process::Command::new("kill")
                    .args(["-9", &pid.to_string()])
                    .status();
            }
            killed = true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The process that owns [`SINGLE_INSTANCE_NAME`] on the session bus, if any.
fn single_instance_pid() -> Option<u32> {
    let out = std::process::Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.GetConnectionUnixProcessID",
            &format!("string:{SINGLE_INSTANCE_NAME}"),
        ])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .skip_while(|w| *w != "uint32")
        .nth(1)?
        .parse()
        .ok()
}

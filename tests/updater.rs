//! The updater against a local update server on loopback, through the real `tauri-plugin-updater` in a mock
//! app (`tauri::test`) and the app's own update code (`tapstand_app::update`): a key pair made by the Tauri
//! CLI's signer (`ui/node_modules`, installed by `npm ci`), a `latest.json`, an installer signed with it.
//!
//! - the check finds the newer version (past a first server that never answers, within the timeout), and
//!   the download verifies the installer;
//! - a tampered signature, a tampered installer, another key's signature, an old installer announced as
//!   a new version and a signature that names no version are all refused as `update.bad_signature`;
//! - no server reachable is `update.unreachable`, within the timeout per server.

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use axum::{extract::Path as UrlPath, http::StatusCode, routing::get, Router};
use tapstand_app::update::Updates;
use tapstand_update::{UpdateProgress, UpdateSetup};

const TIMEOUT_SECS: u64 = 2;

struct Keys {
    private: PathBuf,
    public: String,
}

fn tauri_cli() -> Command {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let js = root.join("ui/node_modules/@tauri-apps/cli/tauri.js");
    assert!(
        js.is_file(),
        "{} is missing: run scripts/setup.sh (npm ci in ui/)",
        js.display()
    );
    let mut c = Command::new("node");
    c.arg(js);
    c
}

/// `tauri signer generate --ci`: a fresh key pair without a password.
fn generate_keys(dir: &Path, name: &str) -> Keys {
    let private = dir.join(name);
    let out = tauri_cli()
        .args(["signer", "generate", "--ci", "-p", "", "-w"])
        .arg(&private)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "signer generate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = std::fs::read_to_string(dir.join(format!("{name}.pub"))).unwrap();
    Keys {
        private,
        public: public.trim().to_string(),
    }
}

/// `tauri signer sign [--app-version V] FILE`: the contents of FILE.sig.
fn sign(keys: &Keys, file: &Path, version: &str) -> String {
    let mut cmd = tauri_cli();
    cmd.args(["signer", "sign", "-p", ""]);
    if !version.is_empty() {
        cmd.args(["--app-version", version]);
    }
    let out = cmd
        .arg("-f")
        .arg(&keys.private)
        .arg(file)
        .env_remove("TAURI_SIGNING_PRIVATE_KEY")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "signer sign: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut sig = file.as_os_str().to_owned();
    sig.push(".sig");
    std::fs::read_to_string(sig).unwrap().trim().to_string()
}

/// `latest.json` with the same installer for every system the updater might look for.
fn manifest(version: &str, url: &str, signature: &str) -> String {
    let entry = serde_json::json!({ "url": url, "signature": signature });
    let mut platforms = serde_json::Map::new();
    for os in ["linux", "windows", "darwin"] {
        for arch in ["x86_64", "aarch64", "i686", "armv7"] {
            platforms.insert(format!("{os}-{arch}"), entry.clone());
        }
    }
    serde_json::json!({
        "version": version,
        "notes": "新版本：写卡更快。\nFaster tag writing.",
        "pub_date": "2026-12-01T08:00:00Z",
        "platforms": platforms,
    })
    .to_string()
}

/// Serves every file of `dir` at `/NAME`, on 127.0.0.1 (a port of its own).
async fn serve(dir: PathBuf) -> String {
    let app = Router::new().route(
        "/{name}",
        get(move |UrlPath(name): UrlPath<String>| {
            let dir = dir.clone();
            async move {
                match std::fs::read(dir.join(&name)) {
                    Ok(b) => Ok(b),
                    Err(_) => Err(StatusCode::NOT_FOUND),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// A server that accepts connections (the kernel does) and never answers: only the timeout ends a request.
fn silent_server() -> (StdListener, String) {
    let l = StdListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/latest.json", l.local_addr().unwrap());
    (l, url)
}

struct Fixture {
    _dir: tempfile::TempDir,
    base: String,
    keys: Keys,
    artifact: Vec<u8>,
}

/// Key pair, installer (`tapstand.tar.gz`, random bytes), and manifests:
/// `good.json`, `bad-sig.json` (the signature of another file), `bad-file.json` (the installer changed after
/// signing), `other-key.json`, `old-signed.json` (an installer signed as 0.1.5 announced as 0.2.0),
/// `unversioned.json` (a signature that names no version), `same.json` (nothing newer).
async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let keys = generate_keys(d, "tapstand.key");
    let other = generate_keys(d, "other.key");
    let artifact: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(d.join("tapstand.tar.gz"), &artifact).unwrap();
    let good_sig = sign(&keys, &d.join("tapstand.tar.gz"), "0.2.0");

    std::fs::write(d.join("decoy.tar.gz"), b"some other file").unwrap();
    let decoy_sig = sign(&keys, &d.join("decoy.tar.gz"), "0.2.0");
    let mut changed = artifact.clone();
    changed[1000] ^= 0x01;
    std::fs::write(d.join("changed.tar.gz"), &changed).unwrap();
    std::fs::copy(d.join("tapstand.tar.gz"), d.join("other.tar.gz")).unwrap();
    let other_sig = sign(&other, &d.join("other.tar.gz"), "0.2.0");
    std::fs::copy(d.join("tapstand.tar.gz"), d.join("old.tar.gz")).unwrap();
    let old_sig = sign(&keys, &d.join("old.tar.gz"), "0.1.5");
    // Signed without naming a version (what the CLI did before --app-version): the updater requires one.
    std::fs::copy(d.join("tapstand.tar.gz"), d.join("unversioned.tar.gz")).unwrap();
    let unversioned_sig = sign(&keys, &d.join("unversioned.tar.gz"), "");

    let base = serve(d.to_path_buf()).await;
    let file = |n: &str| format!("{base}/{n}");
    for (name, version, url, sig) in [
        ("good.json", "0.2.0", file("tapstand.tar.gz"), &good_sig),
        ("bad-sig.json", "0.2.0", file("tapstand.tar.gz"), &decoy_sig),
        ("bad-file.json", "0.2.0", file("changed.tar.gz"), &good_sig),
        ("other-key.json", "0.2.0", file("other.tar.gz"), &other_sig),
        ("old-signed.json", "0.2.0", file("old.tar.gz"), &old_sig),
        (
            "unversioned.json",
            "0.2.0",
            file("unversioned.tar.gz"),
            &unversioned_sig,
        ),
        ("same.json", "0.1.0", file("tapstand.tar.gz"), &good_sig),
    ] {
        std::fs::write(d.join(name), manifest(version, &url, sig)).unwrap();
    }
    Fixture {
        _dir: dir,
        base,
        keys,
        artifact,
    }
}

/// A mock app (version 0.1.0) with the updater registered exactly as the product does it.
fn app(setup: &UpdateSetup) -> tauri::App<tauri::test::MockRuntime> {
    let mut ctx = tauri::test::mock_context(tauri::test::noop_assets());
    assert_eq!(ctx.package_info().version.to_string(), "0.1.0");
    tapstand_app::update::register(tauri::test::mock_builder(), &mut ctx, setup)
        .build(ctx)
        .unwrap()
}

fn setup(f: &Fixture, endpoints: &[String]) -> UpdateSetup {
    let s = UpdateSetup::from_values(
        Some(&f.keys.public),
        Some(&endpoints.join(" ")),
        Some(&TIMEOUT_SECS.to_string()),
        true,
    );
    assert!(s.config().is_some(), "{s:?}");
    s
}

/// A check that ignored the timeout would wait for the silent server for ever: fail instead.
async fn within_timeouts<T>(check: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(3 * TIMEOUT_SECS + 5), check)
        .await
        .expect("the check did not end: is the timeout passed to the updater?")
}

#[tokio::test(flavor = "multi_thread")]
async fn finds_the_newer_version_past_a_silent_server_and_verifies_it() {
    let f = fixture().await;
    let (_silent, silent_url) = silent_server();
    let s = setup(&f, &[silent_url, format!("{}/good.json", f.base)]);
    let app = app(&s);
    let updates = Updates::new(s);

    let t0 = Instant::now();
    let info = within_timeouts(updates.check(app.handle()))
        .await
        .unwrap()
        .expect("an update");
    let took = t0.elapsed();
    assert_eq!(info.version, "0.2.0");
    assert_eq!(info.current_version, "0.1.0");
    assert_eq!(
        info.notes.as_deref(),
        Some("新版本：写卡更快。\nFaster tag writing.")
    );
    assert_eq!(info.date.as_deref(), Some("2026-12-01T08:00:00Z"));
    assert!(info.source.starts_with("127.0.0.1:"));
    // The first server never answers: the check waited for its timeout, then asked the next one.
    assert!(
        took >= Duration::from_secs(TIMEOUT_SECS),
        "no fallback wait? {took:?}"
    );
    assert!(
        took < Duration::from_secs(TIMEOUT_SECS + 3),
        "fallback too slow: {took:?}"
    );

    let mut seen: Vec<UpdateProgress> = Vec::new();
    let downloaded = updates.download(|p| seen.push(p)).await.unwrap();
    assert_eq!(downloaded.version, "0.2.0");
    let last = seen.last().unwrap();
    assert!(last.verified);
    assert_eq!(last.downloaded as usize, f.artifact.len());
    assert_eq!(last.total, Some(f.artifact.len() as u32));
    assert!(seen.iter().rev().skip(1).all(|p| !p.verified));
    assert!(seen.len() >= 2);
    // The verified bytes are the installer itself.
    let found = tapstand_app::update::check(app.handle(), updates.setup.config().unwrap())
        .await
        .unwrap()
        .unwrap();
    let bytes = tapstand_app::update::download(&found, |_| {})
        .await
        .unwrap();
    assert_eq!(bytes, f.artifact);
}

async fn refused(f: &Fixture, manifest: &str) -> tapstand_error::UserError {
    let s = setup(f, &[format!("{}/{manifest}", f.base)]);
    let app = app(&s);
    let updates = Updates::new(s);
    let info = updates
        .check(app.handle())
        .await
        .unwrap()
        .expect("an update");
    assert_eq!(info.version, "0.2.0");
    let e = updates.download(|_| {}).await.unwrap_err();
    // Nothing was kept to install.
    assert_eq!(
        updates.install(app.handle()).unwrap_err().code,
        "update.nothing_pending"
    );
    e
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tampered_signature_or_installer_is_refused() {
    let f = fixture().await;
    for manifest in [
        "bad-sig.json",
        "bad-file.json",
        "other-key.json",
        "old-signed.json",
        "unversioned.json",
    ] {
        let e = refused(&f, manifest).await;
        assert_eq!(e.code, "update.bad_signature", "{manifest}: {e:?}");
        assert!(e.zh.message.contains("签名校验不通过"), "{manifest}");
        assert!(
            e.en.message.contains("failed its signature check"),
            "{manifest}"
        );
        assert!(e.zh.remedy.contains("当前版本没有任何改动"));
        assert!(e.detail.is_some());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_newer_is_no_update() {
    let f = fixture().await;
    let s = setup(&f, &[format!("{}/same.json", f.base)]);
    let app = app(&s);
    assert_eq!(Updates::new(s).check(app.handle()).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_server_reachable_is_said_within_the_timeouts() {
    let f = fixture().await;
    let (_silent, silent_url) = silent_server();
    // A port nobody listens on (refused at once) and a server that never answers (the timeout).
    let closed = StdListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://{}/latest.json", closed.local_addr().unwrap());
    drop(closed);
    let s = setup(&f, &[closed_url, silent_url]);
    let app = app(&s);
    let t0 = Instant::now();
    let e = within_timeouts(Updates::new(s).check(app.handle()))
        .await
        .unwrap_err();
    assert!(
        t0.elapsed() < Duration::from_secs(TIMEOUT_SECS + 3),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(e.code, "update.unreachable");
    assert!(e.zh.remedy.contains("检查更新"));
}

#[test]
fn a_build_without_a_key_has_updates_off() {
    let s = UpdateSetup::from_values(None, Some("https://cdn.example.cn/latest.json"), None, true);
    let app = app(&s);
    let status = s.status("0.1.0");
    assert!(!status.enabled);
    let updates = Updates::new(s);
    let e = tauri::async_runtime::block_on(updates.check(app.handle())).unwrap_err();
    assert_eq!(e.code, "update.not_configured");
}

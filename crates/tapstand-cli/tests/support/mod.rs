//! Shared by the CLI tests: a private Secret Service (dbus-daemon + gnome-keyring-daemon) in a temporary
//! HOME, so the CLI reads a real keychain.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A private session bus with an unlocked GNOME keyring, in a temporary HOME.
pub struct Keyring {
    pub env: Vec<(String, String)>,
    children: Vec<Child>,
}

impl Keyring {
    /// The keyring, or `None` after saying why (`SKIPPED …`); under CI / `TAPSTAND_REQUIRE_PCSCD=1` a missing
    /// Secret Service fails the test instead (`tapstand_vtag::pcscd::skip_or_fail`).
    pub fn start(dir: &Path) -> Option<Keyring> {
        let k = Keyring::try_start(dir);
        if k.is_none() {
            tapstand_vtag::pcscd::skip_or_fail(
                "a CLI test with the keychain",
                "dbus-daemon / gnome-keyring-daemon not available (no Secret Service for the keychain)",
            );
        }
        k
    }

    fn try_start(dir: &Path) -> Option<Keyring> {
        let home = dir.join("home");
        let run = dir.join("run");
        std::fs::create_dir_all(&home).ok()?;
        std::fs::create_dir_all(&run).ok()?;
        std::fs::set_permissions(&run, std::os::unix::fs::PermissionsExt::from_mode(0o700)).ok()?;
        let bus = dir.join("bus");
        let address = format!("unix:path={}", bus.display());
        let dbus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", &format!("--address={address}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut children = vec![dbus];
        let deadline = Instant::now() + Duration::from_secs(5);
        while !bus.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let env = vec![
            ("DBUS_SESSION_BUS_ADDRESS".to_string(), address),
            ("HOME".to_string(), home.display().to_string()),
            (
                "XDG_DATA_HOME".to_string(),
                home.join(".local/share").display().to_string(),
            ),
            ("XDG_RUNTIME_DIR".to_string(), run.display().to_string()),
        ];
        let mut gk = Command::new("gnome-keyring-daemon");
        gk.args(["--foreground", "--unlock", "--components=secrets"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in &env {
            gk.env(k, v);
        }
        let mut keyring = Keyring {
            env,
            children: Vec::new(),
        };
        let Ok(mut gk) = gk.spawn() else {
            keyring.children = children;
            return None;
        };
        {
            use std::io::Write;
            let mut stdin = gk.stdin.take().unwrap();
            stdin.write_all(b"test-keyring-password").ok()?;
        }
        children.push(gk);
        keyring.children = children;
        Some(keyring)
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        for c in self.children.iter_mut().rev() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The real `tapstand-cli` with a private data folder, the keyring above and a WeChat base URL (the fake),
/// and nothing else from the environment.
pub struct CliEnv {
    pub data: std::path::PathBuf,
    pub base_url: String,
    pub keyring: Keyring,
}

impl CliEnv {
    /// A "PC" of its own in `dir`: a private keyring, a data folder, the API at `base_url`, and — when
    /// `appid` is given — the profile 会员中心 for that mini program. `None` (said why) without a keyring.
    pub fn pc(dir: &Path, base_url: &str, appid: Option<&str>) -> Option<CliEnv> {
        std::fs::create_dir_all(dir).unwrap();
        let keyring = Keyring::start(dir)?;
        let data = dir.join("data");
        std::fs::create_dir_all(&data).unwrap();
        let env = CliEnv {
            data,
            base_url: base_url.into(),
            keyring,
        };
        if let Some(appid) = appid {
            let o = env.run(
                &[
                    "profile",
                    "add",
                    "--name",
                    "会员中心",
                    "--appid",
                    appid,
                    "--page",
                    "pages/member/card",
                ],
                &[],
            );
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
        Some(env)
    }

    pub fn cmd(&self, args: &[&str], extra: &[(&str, &str)]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tapstand-cli"));
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TAPSTAND_DATA_DIR", &self.data)
            .env("TAPSTAND_WECHAT_BASE_URL", &self.base_url)
            .current_dir(&self.data)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.keyring.env {
            c.env(k, v);
        }
        for (k, v) in extra {
            c.env(k, v);
        }
        c
    }

    pub fn run(&self, args: &[&str], extra: &[(&str, &str)]) -> std::process::Output {
        self.cmd(args, extra).output().expect("run tapstand-cli")
    }
}

impl CliEnv {
    /// Head office's setup of the demo mini program: the profile `profile` (page `pages/member/card`, query
    /// `store={org_code}&sn={sn}`), its AppSecret in this PC's keychain, and the demo device model `model_name`,
    /// approved. `extra`: more environment (e.g. the team database's URL).
    pub fn seed_demo_profile(&self, profile: &str, model_name: &str, extra: &[(&str, &str)]) {
        use tapstand_fake_wechat::{DEMO_APPID, DEMO_MODEL_ID, DEMO_SECRET};
        let must = |args: &[&str]| {
            let o = self.run(args, extra);
            assert!(
                o.status.success(),
                "{args:?}: {}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
        };
        must(&[
            "profile",
            "add",
            "--name",
            profile,
            "--appid",
            DEMO_APPID,
            "--page",
            "pages/member/card",
            "--query",
            "store={org_code}&sn={sn}",
        ]);
        pipe_secret_until_ok(
            || {
                self.cmd(
                    &["--json", "profile", "set-secret", "--profile", profile],
                    extra,
                )
            },
            DEMO_SECRET,
        );
        must(&[
            "model",
            "add",
            "--name",
            model_name,
            "--model-id",
            DEMO_MODEL_ID,
            "--status",
            "approved",
            "--profile",
            profile,
        ]);
    }
}

/// Runs `make()` with `secret` on its stdin until it succeeds (a fresh keyring may need a moment to come
/// up), at most 10 s.
pub fn pipe_secret_until_ok(
    mut make: impl FnMut() -> Command,
    secret: &str,
) -> std::process::Output {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut child = make()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tapstand-cli");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(format!("{secret}\n").as_bytes()).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        if out.status.success() {
            return out;
        }
        assert!(
            Instant::now() < deadline,
            "storing the secret never succeeded: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A URL for a new, empty database on the test server (`None`: no server configured).
pub async fn new_pg_database(prefix: &str) -> Option<String> {
    let Ok(admin) = std::env::var("TAPSTAND_TEST_PG_URL") else {
        assert!(
            std::env::var("TAPSTAND_REQUIRE_PG").as_deref() != Ok("1"),
            "TAPSTAND_REQUIRE_PG=1 but TAPSTAND_TEST_PG_URL is not set"
        );
        eprintln!("SKIPPED: TAPSTAND_TEST_PG_URL is not set (scripts/lib/pg-session.sh sets it)");
        return None;
    };
    let name = format!("{prefix}_{}", std::process::id());
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name}"
    )))
    .execute(&mut c)
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .unwrap();
    Some(format!("{}/{name}", admin.rsplit_once('/').unwrap().0))
}

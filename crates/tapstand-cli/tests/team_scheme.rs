//! Team mode, two PCs: two real `tapstand-cli` processes with their own data folders share one real
//! PostgreSQL database (`--database-url` / TAPSTAND_DATABASE_URL) and ask `scheme` for the same sn at
//! the same moment, against the fake WeChat. The claim of (model_id, sn) is in the database, so WeChat
//! sees ONE generate call; both end with the same link (or the loser says the other's call is in
//! progress, and the next ask reads the link from the ledger without a call).
#![cfg(unix)]

use std::process::Output;
use std::time::Duration;

use serde_json::Value;
use tapstand_fake_wechat::{
    Action, Endpoint as FE, FakeConfig, FakeWechat, DEMO_APPID, DEMO_MODEL_ID, DEMO_SECRET,
};

mod support;
use support::{new_pg_database, pipe_secret_until_ok, CliEnv, Keyring};

fn json(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|_| {
        panic!(
            "not JSON: {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

const SCHEME: &[&str] = &[
    "--json",
    "scheme",
    "--profile",
    "demo",
    "--model-id",
    DEMO_MODEL_ID,
    "--sn",
    "04C0FFEE000001",
    "--path",
    "pages/member/card",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pcs_asking_for_one_sn_at_once_make_one_generate_call() {
    let Some(url) = new_pg_database("cli_team").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(keyring) = Keyring::start(dir.path()) else {
        return;
    };
    let mut config = FakeConfig::demo();
    config.limits.nfc_per_second = 1000;
    let fake = FakeWechat::start(config).await.unwrap();
    // Two PCs: two data folders (logs, owner locks), one team database, the same keychain entry.
    let pc = |name: &str| {
        let data = dir.path().join(name);
        std::fs::create_dir_all(&data).unwrap();
        data
    };
    let (a, b) = (pc("pc-a"), pc("pc-b"));
    let env_a = CliEnv {
        data: a,
        base_url: fake.base_url(),
        keyring,
    };
    let db = [("TAPSTAND_DATABASE_URL", url.as_str())];
    let added = env_a.run(
        &[
            "--json", "profile", "add", "--name", "demo", "--appid", DEMO_APPID,
        ],
        &db,
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stdout)
    );
    pipe_secret_until_ok(
        || {
            env_a.cmd(
                &["--json", "wechat", "set-secret", "--profile", "demo"],
                &db,
            )
        },
        DEMO_SECRET,
    );
    // PC B sees PC A's profile: one database.
    let mut listed = env_a.cmd(&["--json", "profile", "list"], &db);
    listed.env("TAPSTAND_DATA_DIR", &b);
    let listed = listed.output().unwrap();
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains(DEMO_APPID),
        "{}",
        String::from_utf8_lossy(&listed.stdout)
    );

    // Both processes stop right after recording the request (both see a pending row), then go at once:
    // only the database's claim can keep them from both calling. WeChat answers slowly, too.
    fake.inject(FE::GenerateNfcScheme, 1, Action::Delay { ms: 500 });
    let barrier = dir.path().join("barrier");
    std::fs::create_dir_all(&barrier).unwrap();
    let pause = format!("scheme.after_record={}", barrier.display());
    let spawn = |data: &std::path::Path, paused: bool| {
        let mut c = env_a.cmd(SCHEME, &db);
        c.env("TAPSTAND_DATA_DIR", data);
        if paused {
            c.env("TAPSTAND_FAILPOINT_PAUSE", &pause);
        }
        c.spawn().unwrap()
    };
    let first = spawn(&dir.path().join("pc-a"), true);
    let second = spawn(&b, true);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::fs::read_dir(&barrier).unwrap().count() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the processes never reached the pause"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    std::fs::write(barrier.join("go"), b"").unwrap();
    let (first, second) = (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    );
    let answers = [json(&first), json(&second)];
    let calls = fake
        .calls(FE::GenerateNfcScheme)
        .into_iter()
        .filter(|e| e.sn.as_deref() == Some("04C0FFEE000001"))
        .count();
    assert_eq!(
        calls, 1,
        "one generate call for one sn across two PCs: {answers:?}"
    );
    let links: Vec<&str> = answers
        .iter()
        .filter_map(|v| v["openlink"].as_str())
        .collect();
    assert!(!links.is_empty(), "{answers:?}");
    assert!(links.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
    for v in &answers {
        if let Some(e) = v.get("error") {
            assert_eq!(e["code"], "scheme.in_progress", "{answers:?}");
        }
    }
    // Afterwards either PC reads it from the ledger, without a call.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let again = json(&spawn(&b, false).wait_with_output().unwrap());
    assert_eq!(again["openlink"].as_str(), Some(links[0]), "{again}");
    assert_eq!(
        fake.calls(FE::GenerateNfcScheme)
            .into_iter()
            .filter(|e| e.sn.as_deref() == Some("04C0FFEE000001"))
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_team_password_comes_from_the_keychain_not_the_url() {
    let Some(url) = new_pg_database("cli_team_pw").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(keyring) = Keyring::start(dir.path()) else {
        return;
    };
    let data = dir.path().join("pc");
    std::fs::create_dir_all(&data).unwrap();
    let env = CliEnv {
        data,
        base_url: "http://127.0.0.1:1".into(),
        keyring,
    };
    // postgres://tapstand:PASSWORD@host:port/db → postgres://tapstand@host:port/db
    let password = url
        .split(':')
        .nth(2)
        .unwrap()
        .split('@')
        .next()
        .unwrap()
        .to_string();
    let bare = url.replacen(&format!(":{password}@"), "@", 1);
    let db = [("TAPSTAND_DATABASE_URL", bare.as_str())];
    // No password anywhere yet: the server's refusal, in plain words.
    let o = env.run(&["--json", "store", "list"], &db);
    assert_eq!(
        json(&o)["error"]["code"],
        "db.team.wrong_password",
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // Saved once (stdin → keychain), the bare URL opens the team database.
    let saved = pipe_secret_until_ok(
        || env.cmd(&["--json", "db", "set-password", &bare], &[]),
        &password,
    );
    assert!(!String::from_utf8_lossy(&saved.stdout).contains(&password));
    let o = env.run(&["--json", "store", "list"], &db);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    assert_eq!(json(&o), serde_json::json!([]));
    // Never in the log files.
    for e in std::fs::read_dir(env.data.join("logs"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        assert!(
            !text.contains(&password),
            "{:?} holds the password",
            e.path()
        );
    }
}

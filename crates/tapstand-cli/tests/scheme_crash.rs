//! Crash test of "generate and store": the real CLI process is killed at each step (a failpoint that
//! aborts, and a SIGKILL while it waits for WeChat's answer), then started again, against the real fake
//! over loopback and a real SQLite file, with the AppSecret in a real Secret Service keychain
//! (a private dbus-daemon + gnome-keyring-daemon).
//!
//! What must hold: the fake's request log shows at most one generate call per sn across the crashes
//! and restarts; every openlink the fake returned and the client committed is in the ledger; after the
//! explicit resolve, every scheme the fake holds is in the ledger; the log files never contain the
//! AppSecret or an access token.
#![cfg(unix)]

use std::collections::HashMap;
use std::os::unix::process::ExitStatusExt;
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;
use tapstand_fake_wechat::{
    Action, Endpoint as FE, FakeConfig, FakeWechat, DEMO_APPID, DEMO_MODEL_ID, DEMO_SECRET,
};
use tapstand_store::ledger::SchemeState;
use tapstand_store::Db;

mod support;
use support::{pipe_secret_until_ok, CliEnv, Keyring};

/// The profile the test adds for the demo mini program.
const PROFILE: &str = "demo";

struct Env(CliEnv);

impl std::ops::Deref for Env {
    type Target = CliEnv;
    fn deref(&self) -> &CliEnv {
        &self.0
    }
}

impl Env {
    fn scheme_args(sn: &str) -> Vec<String> {
        [
            "--json",
            "scheme",
            "--profile",
            PROFILE,
            "--model-id",
            DEMO_MODEL_ID,
            "--sn",
            sn,
            "--path",
            "pages/member/card",
            "--query",
            "store=001",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    /// `scheme` for sn: Ok(openlink) or Err(error code).
    fn scheme(&self, sn: &str, extra: &[(&str, &str)]) -> Result<String, String> {
        let args = Self::scheme_args(sn);
        let out = self.run(&args.iter().map(String::as_str).collect::<Vec<_>>(), extra);
        parse(&out)
    }
}

fn parse(out: &Output) -> Result<String, String> {
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(text.trim()).unwrap_or_else(|_| {
        panic!(
            "not JSON: {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    if let Some(e) = v.get("error") {
        assert_eq!(out.status.code(), Some(1));
        return Err(e["code"].as_str().unwrap().to_string());
    }
    assert!(out.status.success());
    Ok(v["openlink"].as_str().unwrap().to_string())
}

fn generate_calls(fake: &FakeWechat, sn: &str) -> Vec<tapstand_fake_wechat::LogEntry> {
    fake.calls(FE::GenerateNfcScheme)
        .into_iter()
        .filter(|e| e.sn.as_deref() == Some(sn))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_every_step_of_generate_and_store() {
    let dir = tempfile::tempdir().unwrap();
    let Some(keyring) = Keyring::start(dir.path()) else {
        return;
    };
    let mut config = FakeConfig::demo();
    config.limits.nfc_per_second = 1000;
    let fake = FakeWechat::start(config).await.unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let env = Env(CliEnv {
        data: data.clone(),
        base_url: fake.base_url(),
        keyring,
    });

    let added = env.run(
        &[
            "--json", "profile", "add", "--name", PROFILE, "--appid", DEMO_APPID,
        ],
        &[],
    );
    assert!(
        added.status.success(),
        "profile add: {}",
        String::from_utf8_lossy(&added.stdout)
    );
    // The AppSecret goes to the keychain through stdin (the keyring may need a moment to come up).
    pipe_secret_until_ok(
        || {
            env.cmd(
                &["--json", "wechat", "set-secret", "--profile", PROFILE],
                &[],
            )
        },
        DEMO_SECRET,
    );
    let check = env.run(&["--json", "wechat", "check", "--profile", PROFILE], &[]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    let steps = [
        "scheme.before_record",
        "scheme.after_record",
        "scheme.after_begin",
        "scheme.after_response",
        "scheme.after_commit",
        "sigkill.waiting_for_answer",
    ];
    let mut results: HashMap<String, Result<String, String>> = HashMap::new();
    for (i, step) in steps.iter().enumerate() {
        let sn = format!("CRASH{i}");
        if *step == "sigkill.waiting_for_answer" {
            // WeChat processes the call, then the answer is slow; the process is killed meanwhile.
            fake.inject(FE::GenerateNfcScheme, 1, Action::Delay { ms: 5000 });
            let args = Env::scheme_args(&sn);
            let mut child = env
                .cmd(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[])
                .spawn()
                .unwrap();
            let deadline = Instant::now() + Duration::from_secs(20);
            while generate_calls(&fake, &sn).is_empty() {
                assert!(Instant::now() < deadline, "the call never reached the fake");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            child.kill().unwrap();
            let status = child.wait().unwrap();
            assert_eq!(status.signal(), Some(9), "{step}");
        } else {
            let out = env.run(
                &Env::scheme_args(&sn)
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
                &[("TAPSTAND_FAILPOINT", step)],
            );
            assert_eq!(
                out.status.signal(),
                Some(6),
                "{step}: aborted at the failpoint; stderr {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // Restart twice: the same answer both times, and no new call the second time.
        let first = env.scheme(&sn, &[]);
        let calls_after_first = generate_calls(&fake, &sn).len();
        let second = env.scheme(&sn, &[]);
        assert_eq!(first, second, "{step}");
        assert_eq!(
            generate_calls(&fake, &sn).len(),
            calls_after_first,
            "{step}"
        );
        assert!(
            generate_calls(&fake, &sn).len() <= 1,
            "{step}: more than one generate call: {:?}",
            generate_calls(&fake, &sn)
        );
        match *step {
            // Killed before anything was sent: the restart generates, once.
            "scheme.before_record" | "scheme.after_record" => {
                assert!(first.is_ok(), "{step}: {first:?}");
                assert_eq!(generate_calls(&fake, &sn).len(), 1, "{step}");
            }
            // Committed before the kill: the restart reads the ledger.
            "scheme.after_commit" => {
                assert!(first.is_ok(), "{step}: {first:?}");
                assert_eq!(generate_calls(&fake, &sn).len(), 1, "{step}");
            }
            // The call may have reached WeChat: no automatic second call; the merchant is told.
            _ => {
                let code = first.clone().unwrap_err();
                assert!(
                    code == "scheme.in_progress" || code == "scheme.outcome_unknown",
                    "{step}: {code}"
                );
            }
        }
        results.insert(sn, first);
    }

    // The ledger against the fake: every committed openlink is the one the fake issued.
    let db = Db::open(&data.join("tapstand.db")).await.unwrap();
    for (i, step) in steps.iter().enumerate() {
        let sn = format!("CRASH{i}");
        let row = db.scheme_find(DEMO_MODEL_ID, &sn).await.unwrap();
        let issued: Vec<String> = generate_calls(&fake, &sn)
            .into_iter()
            .filter_map(|e| e.openlink)
            .collect();
        match (&results[&sn], row) {
            (Ok(link), Some(row)) => {
                assert_eq!(row.state, SchemeState::Issued, "{step}");
                assert_eq!(row.openlink.as_deref(), Some(link.as_str()), "{step}");
                assert_eq!(issued, std::slice::from_ref(link), "{step}");
            }
            (Err(_), Some(row)) => {
                assert!(
                    matches!(row.state, SchemeState::InFlight | SchemeState::Unknown),
                    "{step}: {row:?}"
                );
                assert!(row.openlink.is_none());
            }
            (r, None) => panic!("{step}: no ledger row ({r:?})"),
        }
    }
    db.close().await;

    // The merchant's explicit "recover": one more call where the outcome was unknown; 9800010 brings
    // back the scheme WeChat had issued; a request that never left gets its first scheme.
    for (i, step) in steps.iter().enumerate() {
        let sn = format!("CRASH{i}");
        if results[&sn].is_ok() {
            continue;
        }
        let out = env.run(
            &[
                "--json",
                "scheme",
                "--profile",
                PROFILE,
                "--resolve",
                "--model-id",
                DEMO_MODEL_ID,
                "--sn",
                &sn,
            ],
            &[("TAPSTAND_SCHEME_LEASE_SECS", "0")],
        );
        let link = parse(&out).unwrap_or_else(|e| panic!("{step}: resolve failed: {e}"));
        let calls = generate_calls(&fake, &sn);
        let codes: Vec<_> = calls.iter().map(|c| c.errcode).collect();
        match *step {
            "scheme.after_begin" => {
                assert_eq!(codes, [Some(0)], "{step}: never sent before, now generated")
            }
            _ => assert_eq!(
                codes,
                [Some(0), Some(9800010)],
                "{step}: recovered from 9800010"
            ),
        }
        assert_eq!(calls[0].openlink.as_deref(), Some(link.as_str()), "{step}");
        results.insert(sn, Ok(link));
    }
    let db = Db::open(&data.join("tapstand.db")).await.unwrap();
    for scheme in fake.schemes() {
        let sn = scheme.sn.clone().unwrap();
        let row = db.scheme_find(DEMO_MODEL_ID, &sn).await.unwrap().unwrap();
        assert_eq!(
            row.openlink.as_deref(),
            Some(scheme.openlink.as_str()),
            "{sn}: every scheme the fake holds is in the ledger"
        );
        assert!(row.state.has_openlink());
    }
    assert_eq!(fake.schemes().len(), steps.len());
    db.close().await;

    // Never the classic token endpoint, never a forced refresh.
    assert!(fake.calls(FE::Token).is_empty());
    assert!(fake
        .calls(FE::StableToken)
        .iter()
        .all(|e| e.force_refresh == Some(false)));

    // The log files: the CLI logged its work, never the secret or a token.
    let client = tapstand_wechat::WechatClient::new(
        tapstand_wechat::ClientConfig::default().with_base_url(fake.base_url()),
        DEMO_APPID,
        &tapstand_secrets::SecretString::new(DEMO_SECRET),
    )
    .unwrap()
    .0;
    let token = client.access_token().await.unwrap().expose().to_string();
    let mut text = String::new();
    for entry in std::fs::read_dir(data.join("logs")).unwrap() {
        text.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(
        text.contains("scheme stored in the ledger"),
        "the CLI logs: {text}"
    );
    assert!(!text.contains(DEMO_SECRET), "AppSecret in the log");
    assert!(!text.contains(&token), "access token in the log");
    assert!(
        !text.contains("access_token="),
        "a URL with the token in the log"
    );
}

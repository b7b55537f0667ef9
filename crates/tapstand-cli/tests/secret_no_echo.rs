//! A secret typed at a terminal is not echoed: `profile set-secret` and `db set-password` run under a real
//! pseudo-terminal (Python's `pty`), the secret is typed after the prompt, and the terminal's transcript
//! must show the prompt but not the secret, while the secret reaches the keychain.
#![cfg(unix)]

use std::process::Command;

mod support;
use support::CliEnv;

/// Runs the CLI with `args` on a pseudo-terminal, types `secret` + Enter once the prompt appears, and
/// returns (exit code, everything the terminal showed).
fn on_a_terminal(env: &CliEnv, args: &[&str], secret: &str) -> (i32, String) {
    const DRIVER: &str = r#"
import os, pty, select, sys, time
argv, secret = sys.argv[2:], sys.argv[1].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out, sent, deadline = b"", False, time.time() + 30
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    if not sent and b"not shown" in out:
        time.sleep(0.2)
        os.write(fd, secret + b"\r")
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    let probe = env.cmd(&[], &[]);
    let mut c = Command::new("python3");
    c.arg("-c")
        .arg(DRIVER)
        .arg(secret)
        .arg(probe.get_program())
        .args(args);
    c.env_clear();
    for (k, v) in probe.get_envs() {
        if let Some(v) = v {
            c.env(k, v);
        }
    }
    c.current_dir(&env.data);
    let out = c.output().expect("python3 pty driver");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn secrets_typed_at_a_terminal_are_not_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let Some(env) = CliEnv::pc(dir.path(), "http://127.0.0.1:9", Some("wx5a1b2c3d4e5f6071")) else {
        return;
    };

    let secret = "4e015658b5f2f2d1d6a2ec5995bede86";
    let (code, shown) = on_a_terminal(
        &env,
        &["profile", "set-secret", "--profile", "会员中心"],
        secret,
    );
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("AppSecret"), "the prompt is shown: {shown}");
    assert!(!shown.contains(secret), "the AppSecret was echoed: {shown}");
    let list = env.run(&["--json", "profile", "list"], &[]);
    let v: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(v[0]["secret_saved"], true, "{v}");

    let pw = "abc"; // short on purpose: redacted and never echoed all the same
    let (code, shown) = on_a_terminal(
        &env,
        &[
            "db",
            "set-password",
            "postgres://tapstand@127.0.0.1:5432/team",
        ],
        pw,
    );
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("password"), "the prompt is shown: {shown}");
    let after_prompt = shown.split("not shown").nth(1).unwrap_or("");
    assert!(
        !after_prompt.contains(pw),
        "the password was echoed: {shown}"
    );
}

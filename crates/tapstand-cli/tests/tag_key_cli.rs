//! Tag passwords from the profile's tag key, across PCs: PC A protects a tag with `write-ndef
//! --password-protect --profile P`; PC B — its own data folder and its own keychain, holding only the same
//! tag key (`profile set-tag-key`) — rewrites it; PC C with another key cannot, and the tag keeps A's…B's
//! content. Real pcscd + vpcd + the virtual tag, real Secret Services (one per PC), real SQLite files.
#![cfg(unix)]

use std::process::Output;

use tapstand_vtag::rig::{content, Content};
use tapstand_vtag::{nth_uid, Rig, TagState, VChip};

mod support;
use support::{pipe_secret_until_ok, CliEnv};

const APPID: &str = "wx5a1b2c3d4e5f6071";

fn pc(root: &std::path::Path, name: &str, key: &str) -> Option<CliEnv> {
    let env = CliEnv::pc(&root.join(name), "http://127.0.0.1:9", Some(APPID))?;
    pipe_secret_until_ok(
        || {
            env.cmd(
                &["--json", "profile", "set-tag-key", "--profile", "会员中心"],
                &[],
            )
        },
        key,
    );
    Some(env)
}

fn write(env: &CliEnv, uri: &str, protect: bool) -> Output {
    let mut args = vec![
        "--json",
        "write-ndef",
        "--uri",
        uri,
        "--profile",
        "会员中心",
    ];
    if protect {
        args.push("--password-protect");
    }
    env.run(&args, &[])
}

#[test]
fn a_tag_protected_on_one_pc_is_rewritten_by_another_with_the_same_tag_key() {
    let Some(mut rig) = Rig::start("cli: tag key across PCs") else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let key = "门店标签密钥-chain-2026";
    let (Some(a), Some(b), Some(c)) = (
        pc(root.path(), "a", key),
        pc(root.path(), "b", key),
        pc(root.path(), "c", "some other key 12345"),
    ) else {
        return;
    };
    let uid = nth_uid(7_500);
    rig.put(TagState::factory(VChip::Ntag215, uid));

    let o = write(&a, "https://example.com/a", true);
    assert!(
        o.status.success(),
        "A: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["password_protected"], true, "{v}");
    let (pwd, _) = tapstand_secrets::tag_key::derive(key, &uid);
    assert_eq!(
        rig.tag().unwrap().pwd(),
        pwd,
        "the derived password is on the tag"
    );
    // Nothing per tag in A's keychain.
    let lookup = std::process::Command::new("secret-tool")
        .args(["search", "--all", "service", "cn.tapstand.app"])
        .envs(a.keyring.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output();
    if let Ok(l) = lookup {
        let listed =
            String::from_utf8_lossy(&l.stdout).to_string() + &String::from_utf8_lossy(&l.stderr);
        assert!(
            !listed.contains("tagpwd:"),
            "a keychain entry per tag: {listed}"
        );
    }

    let o = write(&c, "https://example.com/c", false);
    assert!(!o.status.success(), "C, another key, rewrote the tag");
    let o = write(&b, "https://example.com/b", false);
    assert!(
        o.status.success(),
        "B: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    match content(&rig.memory()) {
        Content::Message(m) => assert!(
            String::from_utf8_lossy(&m).contains("example.com/b"),
            "{m:02X?}"
        ),
        other => panic!("{other:?}"),
    }
    // --password-protect without a tag key on this PC: said plainly.
    let Some(d) = CliEnv::pc(&root.path().join("d"), "http://127.0.0.1:9", Some(APPID)) else {
        return;
    };
    let o = write(&d, "https://example.com/d", true);
    assert!(!o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    assert_eq!(
        v["error"]["code"],
        "profile.tag_key_missing",
        "{v} {}",
        String::from_utf8_lossy(&o.stderr)
    );
    rig.take_away();
}

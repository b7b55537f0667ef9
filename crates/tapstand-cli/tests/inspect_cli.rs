//! `tapstand-cli inspect --explain` through the real pcscd + vpcd + the virtual tag (the shared rig),
//! against a real SQLite file in a temporary data folder. Skipped, saying why, without pcscd/vpcd.

use std::process::{Command, Output};

use tapstand_store::ledger::NewSchemeRequest;
use tapstand_store::station::StationAttempt;
use tapstand_store::Db;
use tapstand_tag::ndef::wechat::wechat_message;
use tapstand_vtag::{nth_uid, Rig, TagState, VChip};

const LINK: &str = "weixin://dl/business/?t=CliInspect1";

fn cli(dir: &std::path::Path, args: &[&str]) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_tapstand-cli"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

#[test]
fn inspect_explain_says_what_the_tag_is() {
    let Some(mut rig) = Rig::start("cli: inspect --explain") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let uid = nth_uid(700);
    let uid_hex: String = uid.iter().map(|b| format!("{b:02X}")).collect();
    // The ledger and the station's record of a tag written for a store.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let db = Db::open(&dir.path().join(tapstand_store::DB_FILE_NAME))
            .await
            .unwrap();
        let row = db
            .scheme_record_request(&NewSchemeRequest {
                api_base: "http://127.0.0.1:1",
                appid: "wx5a1b2c3d4e5f6071",
                model_id: "model-1",
                sn: &uid_hex,
                path: "pages/member/card",
                query: "store=1001",
                env_version: "release",
            })
            .await
            .unwrap();
        let call = db
            .scheme_begin_call(row.id, false, 0, None, "http://127.0.0.1:1")
            .await
            .unwrap()
            .unwrap();
        db.scheme_finish_issued(row.id, call, LINK).await.unwrap();
        db.station_upsert_tag(&StationAttempt {
            started_at: 1_795_140_000_000,
            uid: uid_hex.clone(),
            chip: "ntag213".into(),
            model_id: "model-1".into(),
            sn: uid_hex.clone(),
            openlink: Some(LINK.into()),
            target: "store:1".into(),
            target_label: "门店 1001 南山店".into(),
            store_id: Some(1),
            result: "written".into(),
            ..Default::default()
        })
        .await
        .unwrap();
        db.close().await;
    });

    let msg = wechat_message(LINK).unwrap().encode().unwrap();
    rig.put(TagState::with_message(VChip::Ntag213, uid, &msg));
    let o = cli(
        dir.path(),
        &["--json", "inspect", "--explain", "--offline", "--wait", "5"],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verdict"]["kind"], "ours", "{v}");
    assert_eq!(v["verdict"]["target_label"], "门店 1001 南山店");
    assert_eq!(v["verdict"]["written_at"], 1_795_140_000_000i64);
    assert_eq!(
        v["headline"]["zh"],
        "这是本店写的标签：门店 1001 南山店，2026-11-20 写入。"
    );
    assert_eq!(v["record_match"]["kind"], "matches");
    assert_eq!(v["chip"], "NTAG213");

    rig.put(TagState::factory(VChip::Ntag215, nth_uid(701)));
    let o = cli(
        dir.path(),
        &["inspect", "--explain", "--offline", "--wait", "5"],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.starts_with("这是一张空白标签，里面没有内容。"),
        "{text}"
    );
    assert!(text.contains("This is a blank tag"), "{text}");
    assert!(text.contains("芯片 / Chip:         NTAG215"), "{text}");

    // A Type 4 tag: the engine's report names the NDEF file and says it cannot be locked; the inspector's
    // headline names the chip with its room.
    rig.put(TagState::factory(VChip::Ntag424Dna, nth_uid(702)));
    let o = cli(dir.path(), &["inspect", "--wait", "5"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("芯片 / Chip:         NTAG 424 DNA"), "{text}");
    assert!(
        text.contains(
            "NDEF 文件 / file E104 (256 字节 / bytes), 映射 / mapping 2.0, MLe 256 MLc 255"
        ),
        "{text}"
    );
    assert!(text.contains("Tapstand 不能锁定这种标签"), "{text}");
    let o = cli(
        dir.path(),
        &["--json", "inspect", "--explain", "--offline", "--wait", "5"],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verdict"]["kind"], "empty", "{v}");
    assert_eq!(v["report"]["type4"]["ndef_file"], "E104", "{v}");
    assert_eq!(v["report"]["type4"]["write_access"]["kind"], "free", "{v}");
    assert_eq!(v["capacity"], 254);
    assert!(
        v["headline"]["zh"]
            .as_str()
            .unwrap()
            .ends_with("这是 NTAG 424 DNA（NFC Forum Type 4 标签，可写 254 字节），手机碰一碰可以读；Tapstand 不能把它永久锁定。"),
        "{v}"
    );
    rig.take_away();
}

/// `inspect --json` (the engine's report) and `inspect --explain --json` carry the genuine-chip verdict as
/// `genuine`: true for NXP's public test UID answering NXP's signature, false for a chip signed with
/// another key, null for an NTAG203 (no originality signature). The text output says it in words.
#[test]
fn inspect_json_carries_the_genuine_verdict() {
    let Some(mut rig) = Rig::start("cli: inspect genuine") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (tag, want) in [
        (
            TagState::factory(VChip::Ntag215, tapstand_vtag::NXP_TEST_UID),
            serde_json::Value::Bool(true),
        ),
        (
            TagState::factory(VChip::Ntag213, nth_uid(710)),
            serde_json::Value::Bool(false),
        ),
        (
            TagState::factory(VChip::Ntag216, nth_uid(711))
                .with_signature(tapstand_vtag::SigMode::Nak),
            serde_json::Value::Bool(false),
        ),
        (
            TagState::factory(VChip::Ntag203, nth_uid(712)),
            serde_json::Value::Null,
        ),
    ] {
        rig.put(tag);
        let o = cli(dir.path(), &["--json", "inspect", "--wait", "5"]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["genuine"], want, "{v}");
        let o = cli(
            dir.path(),
            &["--json", "inspect", "--explain", "--offline", "--wait", "5"],
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["genuine"], want, "{v}");
    }
    rig.put(TagState::factory(
        VChip::Ntag215,
        tapstand_vtag::NXP_TEST_UID,
    ));
    let o = cli(dir.path(), &["inspect", "--wait", "5"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("原厂 / Genuine:      NXP 原厂芯片 / NXP original chip"),
        "{text}"
    );
    rig.take_away();
}

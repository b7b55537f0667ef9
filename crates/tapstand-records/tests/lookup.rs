//! Record lookup (what `--profile`, `--model`, `--store`, `--terminal` accept) on a real SQLite file.

use tapstand_records::lookup;
use tapstand_records::*;
use tapstand_store::records::{DeviceModelInput, ProfileInput, StoreInput, TerminalInput};
use tapstand_store::Db;

async fn db() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("tapstand.db")).await.unwrap();
    (dir, db)
}

async fn profile(db: &Db, name: &str, appid: &str) -> i64 {
    save_profile(
        db,
        None,
        ProfileInput {
            name: name.into(),
            appid: appid.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .value
    .id
}

async fn store(db: &Db, code: &str, name: &str) -> i64 {
    save_store(
        db,
        None,
        StoreInput {
            org_code: code.into(),
            company: String::new(),
            name: name.into(),
            address: String::new(),
        },
    )
    .await
    .unwrap()
    .value
    .id
}

#[tokio::test]
async fn profiles_by_name_appid_and_id() {
    let (_dir, db) = db().await;
    // No profile: say how to add one.
    let e = lookup::profile_or_only(&db, None).await.unwrap_err();
    assert_eq!(e.code, "profile.none");
    let a = profile(&db, "会员中心", "wx8928293522b7aa0d").await;
    // One profile: no --profile needed.
    assert_eq!(lookup::profile_or_only(&db, None).await.unwrap().id, a);
    let b = profile(&db, "二号店", "wx1111111111111111").await;
    let e = lookup::profile_or_only(&db, None).await.unwrap_err();
    assert_eq!(e.code, "profile.choose");
    assert!(e.zh.message.contains('2'), "{}", e.zh.message);
    for key in ["会员中心", " 会员中心 ", "wx8928293522b7aa0d", "#1"] {
        assert_eq!(lookup::profile(&db, key).await.unwrap().id, a, "{key}");
    }
    assert_eq!(
        lookup::profile(&db, &b.to_string()).await.unwrap().id,
        b,
        "a bare id"
    );
    assert_eq!(
        lookup::profile_or_only(&db, Some("二号店"))
            .await
            .unwrap()
            .id,
        b
    );
    let e = lookup::profile(&db, "三号店").await.unwrap_err();
    assert_eq!(e.code, "profile.not_found");
    assert!(e.zh.message.contains("三号店"));
    assert!(e.zh.remedy.contains("profile list"), "{}", e.zh.remedy);
    assert_eq!(
        lookup::profile_by_id(&db, 99).await.unwrap_err().code,
        "profile.gone"
    );
}

#[tokio::test]
async fn stores_by_code_first_then_unique_name_then_id() {
    let (_dir, db) = db().await;
    let s18 = store(&db, "18", "南山店").await;
    let s2 = store(&db, "2", "同名店").await;
    let s3 = store(&db, "30", "同名店").await;
    assert_eq!(lookup::store(&db, "18").await.unwrap().id, s18);
    assert_eq!(lookup::store(&db, "南山店").await.unwrap().id, s18);
    assert_eq!(lookup::store(&db, &format!("#{s3}")).await.unwrap().id, s3);
    // A code wins over a row id that happens to be the same number.
    assert_eq!(s2, 2);
    assert_eq!(lookup::store(&db, "2").await.unwrap().org_code, "2");
    let e = lookup::store(&db, "同名店").await.unwrap_err();
    assert_eq!(e.code, "store.ambiguous");
    assert!(e.zh.message.contains("同名店"));
    let e = lookup::store(&db, "99").await.unwrap_err();
    assert_eq!(e.code, "store.not_found");
    // Archived: still found by code and id, no longer by name.
    archive_store(&db, s18, true).await.unwrap();
    assert_eq!(lookup::store(&db, "18").await.unwrap().id, s18);
    assert_eq!(
        lookup::store(&db, "南山店").await.unwrap_err().code,
        "store.not_found"
    );
}

#[tokio::test]
async fn models_and_terminals() {
    let (_dir, db) = db().await;
    let p = profile(&db, "会员中心", "wx8928293522b7aa0d").await;
    let m = save_device_model(
        &db,
        None,
        DeviceModelInput {
            profile_id: Some(p),
            model_id: Some("Ab12Cd34".into()),
            model_name: "ZHS-NTAG216".into(),
            link_type: "per_device".into(),
            status: "approved".into(),
            reject_reason: String::new(),
            notes: String::new(),
        },
    )
    .await
    .unwrap()
    .value
    .id;
    for key in ["Ab12Cd34", "ZHS-NTAG216", "#1", "1"] {
        assert_eq!(lookup::model(&db, key).await.unwrap().id, m, "{key}");
    }
    assert_eq!(
        lookup::model(&db, "x").await.unwrap_err().code,
        "model.not_found"
    );
    assert_eq!(
        lookup::model_by_id(&db, 42).await.unwrap_err().code,
        "model.gone"
    );
    let t = save_terminal(
        &db,
        None,
        TerminalInput {
            store_id: None,
            machine_no: "M01".into(),
            terminal_no: "T0001".into(),
            note: String::new(),
        },
    )
    .await
    .unwrap()
    .value
    .id;
    for key in ["T0001", "M01", &format!("#{t}")] {
        assert_eq!(lookup::terminal(&db, key).await.unwrap().id, t, "{key}");
    }
    assert_eq!(
        lookup::terminal(&db, "T9").await.unwrap_err().code,
        "terminal.not_found"
    );
}

//! 设置 → 团队模式 against the real PostgreSQL server `scripts/lib/pg-session.sh` starts
//! (`TAPSTAND_TEST_PG_URL`, a fresh database per run): fill in the connection (the password goes to the
//! keychain), 测试连接, copy this PC's stores, switch, and the 门店 list shows the copied stores from the
//! team database; the app starts on it again next time. Then head office (another PC, with the AppSecret)
//! fills a store's pool of pre-generated links, the AppSecret leaves this session's keychain, and the 写卡
//! page writes a tag from the pool on the team database (no WeChat call).

use sqlx::Connection;
use tapstand_core::{AppPaths, Core};
use tapstand_fake_wechat::{DEMO_APPID, DEMO_MODEL_ID, DEMO_SECRET};
use tapstand_station::TargetChoice;
use tapstand_store::records::{DeviceModelInput, ProfileInput, StoreInput};
use tapstand_tag::ndef::wechat::wechat_message;
use tapstand_vtag::{message_bytes, nth_uid, Rig, TagState, VChip};

use crate::harness::{self, App};

/// The parts of a fresh database's URL: (host, port, database, user, password).
async fn fresh_team_database() -> Option<(String, String, String, String, String)> {
    let admin = match std::env::var("TAPSTAND_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            assert!(
                std::env::var("TAPSTAND_REQUIRE_PG").as_deref() != Ok("1"),
                "TAPSTAND_REQUIRE_PG=1 but TAPSTAND_TEST_PG_URL is not set"
            );
            eprintln!(
                "skipped: TAPSTAND_TEST_PG_URL is not set (run under scripts/lib/pg-session.sh)"
            );
            return None;
        }
    };
    let name = format!("e2e_team_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name}"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.ok();
    // postgres://user:password@host:port/db
    let rest = admin.split_once("://").unwrap().1;
    let (userinfo, hostpart) = rest.rsplit_once('@').unwrap();
    let (user, password) = userinfo.split_once(':').unwrap();
    let hostport = hostpart.split('/').next().unwrap();
    let (host, port) = hostport.rsplit_once(':').unwrap();
    Some((host.into(), port.into(), name, user.into(), password.into()))
}

#[tokio::test]
#[ignore = "needs a display and tauri-driver: run scripts/e2e.sh"]
async fn team_mode_copies_this_pcs_stores_switches_to_the_team_database_and_writes_from_its_pool() {
    let Some((host, port, database, user, password)) = fresh_team_database().await else {
        return;
    };
    let data = harness::temp_data_dir("team");
    // This PC's own database with two stores.
    {
        let core = Core::open_at(AppPaths::under(data.path().into()), None)
            .await
            .unwrap();
        for (code, name) in [("2001", "人民路店"), ("2002", "解放路店")] {
            tapstand_records::save_store(
                &core.db,
                None,
                StoreInput {
                    org_code: code.into(),
                    company: "连锁公司".into(),
                    name: name.into(),
                    address: String::new(),
                },
            )
            .await
            .unwrap();
        }
        core.db.close().await;
    }

    let app = App::launch(data.path()).await;
    app.click("[data-testid=nav-settings]").await;
    app.wait_text("[data-testid=team-current]", "本机数据库")
        .await;
    app.click("[data-testid=team-mode-team]").await;
    app.fill("[data-testid=team-host]", &host).await;
    app.fill("[data-testid=team-port]", &port).await;
    app.fill("[data-testid=team-database]", &database).await;
    app.fill("[data-testid=team-user]", &user).await;
    app.fill("[data-testid=team-password]", &password).await;

    // 测试连接: reachable and empty (the password went to the keychain and the field is empty again).
    app.click("[data-testid=team-check]").await;
    app.wait_text("[data-testid=team-check-ok]", "连接成功")
        .await;
    let typed: serde_json::Value = app
        .js(
            "return document.querySelector('[data-testid=team-password] input').value",
            vec![],
        )
        .await;
    assert_eq!(
        typed,
        serde_json::json!(""),
        "the password is not kept in the form"
    );
    app.screenshot("team-check-zh").await;

    // 复制: confirmed, then the counts.
    app.click("[data-testid=team-copy]").await;
    app.click("[data-testid=team-copy-confirm]").await;
    app.wait_text("[data-testid=team-count-stores]", "stores: 2")
        .await;
    app.screenshot("team-copied-zh").await;

    // 使用团队数据库.
    app.click("[data-testid=team-use-team]").await;
    app.wait_text("[data-testid=team-current]", "postgres://")
        .await;
    let saved = std::fs::read_to_string(data.path().join("team.json")).unwrap();
    assert!(saved.contains(&database), "{saved}");
    assert!(
        !saved.contains(&password),
        "no password in the settings file"
    );

    // The 门店 list is the team database's: a store added there by another PC shows up too.
    app.click("[data-testid=nav-stores]").await;
    app.wait("[data-testid=store-row][data-key=\"2001\"]").await;
    app.wait("[data-testid=store-row][data-key=\"2002\"]").await;
    let other_pc = Core::open_at(
        AppPaths::under(harness::temp_data_dir("team-other").path().into()),
        Some(&format!(
            "postgres://{user}:{password}@{host}:{port}/{database}"
        )),
    )
    .await
    .unwrap();
    tapstand_records::save_store(
        &other_pc.db,
        None,
        StoreInput {
            org_code: "2003".into(),
            company: "连锁公司".into(),
            name: "另一台电脑加的店".into(),
            address: String::new(),
        },
    )
    .await
    .unwrap();
    let started = std::time::Instant::now();
    app.wait("[data-testid=store-row][data-key=\"2003\"]").await;
    eprintln!("another PC's store shown after {:?}", started.elapsed());
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    app.screenshot("team-stores-zh").await;
    app.quit().await;

    // Next start: on the team database again.
    let app = App::launch(data.path()).await;
    app.click("[data-testid=nav-settings]").await;
    app.wait_text("[data-testid=team-current]", "postgres://")
        .await;

    // Head office (the other PC, with the AppSecret) fills 人民路店's pool; then the AppSecret is gone from
    // this session's keychain, as on a store PC that never had it, and the 写卡 page writes from the pool.
    let db = &other_pc.db;
    let profile = tapstand_records::save_profile(
        db,
        None,
        ProfileInput {
            name: "会员中心".into(),
            appid: DEMO_APPID.into(),
            env_version: "release".into(),
            page_path: "pages/member/card".into(),
            query_template: "store={org_code}&sn={sn}".into(),
            only_genuine: false,
        },
    )
    .await
    .unwrap()
    .value;
    let keychain = other_pc.secrets().await.unwrap();
    tapstand_records::set_app_secret(db, &keychain, profile.id, DEMO_SECRET)
        .await
        .unwrap();
    let model = tapstand_records::save_device_model(
        db,
        None,
        DeviceModelInput {
            profile_id: Some(profile.id),
            model_id: Some(DEMO_MODEL_ID.into()),
            model_name: "收银台立牌".into(),
            link_type: "per_device".into(),
            status: "approved".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .value;
    let store = tapstand_records::lookup::store(db, "2001").await.unwrap();
    // Head office confirms once the page and query its links will open for ever.
    let target = other_pc
        .target(&profile, &model, &TargetChoice::Store { id: store.id })
        .await
        .unwrap();
    other_pc.confirm_link(&target).await.unwrap();
    let made = other_pc
        .pool_generate(&profile, &model, &TargetChoice::Store { id: store.id }, 2)
        .await
        .unwrap();
    assert_eq!(made.summary.free, 2);
    tapstand_records::remove_app_secret(db, &keychain, profile.id)
        .await
        .unwrap();
    let generated = harness::Fake::calls("generate_nfc_scheme");

    app.click("[data-testid=nav-write]").await;
    app.wait("[data-testid=station-setup]").await;
    app.click("[data-testid=station-store]").await;
    app.click_xpath("//div[contains(@class,'n-base-select-option') and contains(., '人民路店')]")
        .await;
    app.wait_text("[data-testid=station-pool-counts]", "可用 2 个")
        .await;
    app.click("[data-testid=station-from-pool]").await;
    let mut rig = Rig::try_start().expect("pcscd with vsmartcard-vpcd (scripts/setup.sh)");
    app.click("[data-testid=station-start]").await;
    app.wait("[data-testid=station-running]").await;
    let uid = nth_uid(5_400);
    let hex: String = uid.iter().map(|b| format!("{b:02X}")).collect();
    rig.put(TagState::factory(VChip::Ntag215, uid));
    app.wait_text("[data-testid=count-written]", "1").await;
    app.wait_text("[data-testid=station-pool-left]", "1").await;
    app.screenshot("team-pool-written-zh").await;
    let pg = sqlx::PgPool::connect(&format!(
        "postgres://{user}:{password}@{host}:{port}/{database}"
    ))
    .await
    .unwrap();
    let (sn, link): (String, String) =
        sqlx::query_as("SELECT sn, openlink FROM link_pool WHERE claimed_uid = $1")
            .bind(&hex)
            .fetch_one(&pg)
            .await
            .unwrap();
    pg.close().await;
    assert_eq!(sn, "2001-000001");
    assert_eq!(
        message_bytes(&rig.memory()),
        Some(wechat_message(&link).unwrap().encode().unwrap()),
        "the tag holds the pooled link the team database bound to it"
    );
    assert_eq!(
        harness::Fake::calls("generate_nfc_scheme"),
        generated,
        "no WeChat call from a PC without the AppSecret"
    );
    app.click("[data-testid=station-stop]").await;
    app.quit().await;
    other_pc.db.close().await;
}

#[tokio::test]
#[ignore = "needs a display and tauri-driver: run scripts/e2e.sh"]
async fn an_unreachable_team_database_opens_the_error_page_with_use_this_pc_only() {
    let data = harness::temp_data_dir("team-down");
    // A saved team database on a port nobody listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        data.path().join("team.json"),
        format!(r#"{{"database_url": "postgres://tapstand@127.0.0.1:{port}/x?sslmode=prefer"}}"#),
    )
    .unwrap();
    let app = App::launch(data.path()).await;
    app.wait("[data-testid=startup-error]").await;
    let code: serde_json::Value = app
        .js(
            "return document.querySelector('[data-testid=user-error]').dataset.code",
            vec![],
        )
        .await;
    assert_eq!(code, serde_json::json!("db.team.unreachable"));
    app.wait("[data-testid=startup-retry]").await;
    app.screenshot("team-unreachable-zh").await;
    // 改回单机: the shell on this PC's own database, and the choice is gone.
    app.click("[data-testid=startup-use-local]").await;
    app.wait("[data-testid=nav-settings]").await;
    assert!(!data.path().join("team.json").exists());
    app.click("[data-testid=nav-settings]").await;
    app.wait_text("[data-testid=team-current]", "本机数据库")
        .await;
    app.quit().await;
}

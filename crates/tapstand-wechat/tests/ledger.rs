//! The scheme ledger end to end: the client, the real fake over loopback, a real SQLite file.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use tapstand_error::UserError;
use tapstand_fake_wechat::{Endpoint as FE, ExistingSchemeEcho, FakeConfig, FakeWechat, Limits};
use tapstand_store::ledger::{NewSchemeRequest, SchemeState};
use tapstand_store::Db;
use tapstand_wechat::{SchemeError, SchemeRequest, SchemeService, SchemeSource, WechatClient};

struct Env {
    fake: FakeWechat,
    db: Db,
    _dir: tempfile::TempDir,
}

async fn env_with(config: FakeConfig) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("tapstand.db")).await.unwrap();
    Env {
        fake: fake_with(config).await,
        db,
        _dir: dir,
    }
}

async fn env() -> Env {
    env_with(FakeConfig::demo()).await
}

impl Env {
    fn service(&self) -> SchemeService {
        SchemeService::new(Arc::new(client(&self.fake)), self.db.clone())
    }

    fn service_with(&self, client: WechatClient) -> SchemeService {
        SchemeService::new(Arc::new(client), self.db.clone())
    }

    fn generate_calls(&self, sn: &str) -> Vec<tapstand_fake_wechat::LogEntry> {
        self.fake
            .calls(FE::GenerateNfcScheme)
            .into_iter()
            .filter(|e| e.sn.as_deref() == Some(sn))
            .collect()
    }

    /// The openlink the fake holds for this sn.
    fn fake_link(&self, sn: &str) -> Option<String> {
        self.fake
            .schemes()
            .into_iter()
            .find(|s| s.sn.as_deref() == Some(sn))
            .map(|s| s.openlink)
    }
}

fn req(sn: &str) -> SchemeRequest {
    SchemeRequest {
        model_id: DEMO_MODEL_ID.into(),
        sn: sn.into(),
        path: Some("pages/member/card".into()),
        query: Some("store=001".into()),
        env_version: None,
    }
}

#[tokio::test]
async fn generated_once_then_served_from_the_ledger() {
    let env = env().await;
    let svc = env.service();
    let first = svc.get_or_generate(&req("A1")).await.unwrap();
    assert_eq!(first.source, SchemeSource::Generated);
    assert_eq!(Some(first.openlink.clone()), env.fake_link("A1"));
    assert_eq!(first.row.state, SchemeState::Issued);
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);

    let again = svc.get_or_generate(&req("A1")).await.unwrap();
    assert_eq!(again.source, SchemeSource::Ledger);
    assert_eq!(again.openlink, first.openlink);
    // Asking for another target: the same scheme (it cannot change), with a warning.
    let mut other = req("A1");
    other.query = Some("store=002".into());
    let changed = svc.get_or_generate(&other).await.unwrap();
    assert_eq!(changed.openlink, first.openlink);
    assert_eq!(
        changed
            .warnings
            .iter()
            .map(|w| w.code.as_str())
            .collect::<Vec<_>>(),
        ["scheme.differs"]
    );
    assert_eq!(env.generate_calls("A1").len(), 1);

    // A new process (new service, reopened database) still finds it without a call.
    let path = env.db.path().to_path_buf();
    env.db.clone().close().await;
    let db = Db::open(&path).await.unwrap();
    let svc = SchemeService::new(Arc::new(client(&env.fake)), db.clone());
    assert_eq!(
        svc.get_or_generate(&req("A1")).await.unwrap().source,
        SchemeSource::Ledger
    );
    assert_eq!(env.generate_calls("A1").len(), 1);
    let by_link = db
        .scheme_find_by_openlink(&first.openlink)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_link.sn, "A1");
}

#[tokio::test]
async fn existing_scheme_from_another_tool_is_adopted_from_9800010_and_checked() {
    let env = env().await;
    let seeded = env.fake.control(Control::SeedScheme {
        model_id: DEMO_MODEL_ID.into(),
        sn: Some("B1".into()),
        path: "pages/index/index".into(),
        query: "from=android".into(),
        env_version: "release".into(),
    });
    let link = seeded["openlink"].as_str().unwrap().to_string();
    let out = env.service().get_or_generate(&req("B1")).await.unwrap();
    assert_eq!(out.source, SchemeSource::Adopted);
    assert_eq!(out.openlink, link);
    assert_eq!(out.row.state, SchemeState::Recovered);
    assert_eq!(out.row.recovered_own, Some(false));
    // queryscheme told what it really opens; it differs from the request.
    assert_eq!(out.row.wx_path.as_deref(), Some("pages/index/index"));
    assert_eq!(out.row.wx_query.as_deref(), Some("from=android"));
    assert!(
        out.warnings.iter().any(|w| w.code == "scheme.differs"),
        "{:?}",
        out.warnings
    );
    assert_eq!(env.fake.calls(FE::QueryScheme).len(), 1);
}

#[tokio::test]
async fn sn_used_elsewhere_without_url_is_marked_and_never_called_again() {
    let env = env().await;
    env.fake.control(Control::SeedScheme {
        model_id: DEMO_MODEL_ID.into(),
        sn: Some("C1".into()),
        path: String::new(),
        query: String::new(),
        env_version: "release".into(),
    });
    env.fake.control(Control::SetExistingSchemeEcho {
        echo: ExistingSchemeEcho::Empty,
    });
    let svc = env.service();
    let e = svc.get_or_generate(&req("C1")).await.unwrap_err();
    assert!(matches!(e, SchemeError::UsedElsewhere { .. }), "{e:?}");
    let u: UserError = e.into();
    assert_eq!(u.code, "scheme.used_elsewhere");
    assert!(u.zh.remedy.contains("新的 sn"), "{u:?}");
    assert_eq!(
        env.db
            .scheme_find(DEMO_MODEL_ID, "C1")
            .await
            .unwrap()
            .unwrap()
            .state,
        SchemeState::UsedElsewhere
    );
    assert!(matches!(
        svc.get_or_generate(&req("C1")).await.unwrap_err(),
        SchemeError::UsedElsewhere { .. }
    ));
    assert_eq!(env.generate_calls("C1").len(), 1);
}

#[tokio::test]
async fn lost_answer_is_never_regenerated_automatically_and_resolve_recovers_it() {
    let env = env().await;
    let svc = env.service();
    // WeChat issues the scheme but the connection drops before the answer.
    env.fake.inject(FE::GenerateNfcScheme, 1, Action::DropAfter);
    let e = svc.get_or_generate(&req("D1")).await.unwrap_err();
    assert!(matches!(e, SchemeError::OutcomeUnknown { .. }), "{e:?}");
    let row = env
        .db
        .scheme_find(DEMO_MODEL_ID, "D1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, SchemeState::Unknown);
    let u: UserError = e.into();
    assert_eq!(u.code, "scheme.outcome_unknown");
    assert!(u.zh.remedy.contains("找回"), "{u:?}");

    // Asking again does not call.
    assert!(matches!(
        svc.get_or_generate(&req("D1")).await.unwrap_err(),
        SchemeError::OutcomeUnknown { .. }
    ));
    assert_eq!(env.generate_calls("D1").len(), 1);

    // The explicit resolve: one more call, answered 9800010 with the scheme the fake issued.
    let out = svc.resolve(DEMO_MODEL_ID, "D1").await.unwrap();
    assert_eq!(out.source, SchemeSource::Recovered);
    assert_eq!(Some(out.openlink.clone()), env.fake_link("D1"));
    assert_eq!(out.row.recovered_own, Some(true));
    assert!(out.warnings.is_empty(), "same target: {:?}", out.warnings);
    let calls: Vec<_> = env
        .generate_calls("D1")
        .iter()
        .map(|c| (c.errcode, c.dropped))
        .collect();
    assert_eq!(calls, [(Some(0), true), (Some(9800010), false)]);
    assert_eq!(
        env.fake
            .schemes()
            .iter()
            .filter(|s| s.sn.as_deref() == Some("D1"))
            .count(),
        1
    );
    // From now on: the ledger.
    assert_eq!(
        svc.get_or_generate(&req("D1")).await.unwrap().source,
        SchemeSource::Ledger
    );
    assert_eq!(env.generate_calls("D1").len(), 2);
}

#[tokio::test]
async fn timeout_then_resolve() {
    let env = env().await;
    let slow = WechatClient::new(
        tapstand_wechat::ClientConfig {
            timeout: Duration::from_millis(800),
            ..config(&env.fake)
        },
        tapstand_fake_wechat::DEMO_APPID,
        &tapstand_secrets::SecretString::new(tapstand_fake_wechat::DEMO_SECRET),
    )
    .unwrap()
    .0;
    let svc = env.service_with(slow);
    svc.client().check().await.unwrap();
    env.fake
        .inject(FE::GenerateNfcScheme, 1, Action::Delay { ms: 2500 });
    assert!(matches!(
        svc.get_or_generate(&req("E1")).await.unwrap_err(),
        SchemeError::OutcomeUnknown { .. }
    ));
    let out = svc.resolve(DEMO_MODEL_ID, "E1").await.unwrap();
    assert_eq!(out.source, SchemeSource::Recovered);
    assert_eq!(Some(out.openlink), env.fake_link("E1"));
}

#[tokio::test]
async fn request_that_never_arrived_resolves_to_a_first_scheme() {
    let env = env().await;
    let svc = env.service();
    env.fake
        .inject(FE::GenerateNfcScheme, 1, Action::DropBefore);
    assert!(matches!(
        svc.get_or_generate(&req("F1")).await.unwrap_err(),
        SchemeError::OutcomeUnknown { .. }
    ));
    assert!(env.fake_link("F1").is_none());
    let out = svc.resolve(DEMO_MODEL_ID, "F1").await.unwrap();
    assert_eq!(out.source, SchemeSource::Generated);
    assert_eq!(Some(out.openlink), env.fake_link("F1"));
}

#[tokio::test]
async fn lost_for_good_when_9800010_has_no_url() {
    let env = env().await;
    let svc = env.service();
    env.fake.inject(FE::GenerateNfcScheme, 1, Action::DropAfter);
    svc.get_or_generate(&req("G1")).await.unwrap_err();
    env.fake.control(Control::SetExistingSchemeEcho {
        echo: ExistingSchemeEcho::Empty,
    });
    let e = svc.resolve(DEMO_MODEL_ID, "G1").await.unwrap_err();
    assert!(matches!(e, SchemeError::Lost { .. }), "{e:?}");
    assert_eq!(
        env.db
            .scheme_find(DEMO_MODEL_ID, "G1")
            .await
            .unwrap()
            .unwrap()
            .state,
        SchemeState::Lost
    );
    assert_eq!(UserError::from(e).code, "scheme.lost");
}

#[tokio::test]
async fn definite_errors_leave_the_sn_usable() {
    let env = env().await;
    let svc = env.service();
    let mut bad = req("H1");
    bad.path = Some("pages/not/published".into());
    let e = svc.get_or_generate(&bad).await.unwrap_err();
    assert_eq!(UserError::from(e).code, "wechat.nfc.invalid_path");
    let row = env
        .db
        .scheme_find(DEMO_MODEL_ID, "H1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.state, row.last_errcode),
        (SchemeState::Pending, Some(40165))
    );
    // Fixed request: generated, with the new path recorded.
    let out = svc.get_or_generate(&req("H1")).await.unwrap();
    assert_eq!(out.source, SchemeSource::Generated);
    assert_eq!(out.row.path, "pages/member/card");
    assert_eq!(out.row.attempts, 2);
}

#[tokio::test]
async fn invalid_requests_are_not_recorded() {
    let env = env().await;
    let e = env
        .service()
        .get_or_generate(&req("bad sn"))
        .await
        .unwrap_err();
    assert_eq!(UserError::from(e).code, "wechat.input.sn");
    assert!(env.db.scheme_list(10).await.unwrap().is_empty());
    assert!(env.fake.log().is_empty());
}

#[tokio::test]
async fn an_in_flight_row_is_never_taken_over_within_its_lease() {
    let env = env().await;
    // What a process killed after "begin call" leaves behind.
    let row = env
        .db
        .scheme_record_request(&NewSchemeRequest {
            api_base: "http://127.0.0.1:1",
            appid: tapstand_fake_wechat::DEMO_APPID,
            model_id: DEMO_MODEL_ID,
            sn: "I1",
            path: "",
            query: "",
            env_version: "release",
        })
        .await
        .unwrap();
    env.db
        .scheme_begin_call(row.id, false, 0, None, "http://127.0.0.1:1")
        .await
        .unwrap()
        .unwrap();
    let svc = env.service();
    let e = svc.get_or_generate(&req("I1")).await.unwrap_err();
    assert!(matches!(e, SchemeError::InProgress { .. }), "{e:?}");
    assert_eq!(UserError::from(e).code, "scheme.in_progress");
    assert!(matches!(
        svc.resolve(DEMO_MODEL_ID, "I1").await.unwrap_err(),
        SchemeError::InProgress { .. }
    ));
    // After the lease: outcome unknown, and resolve may call (here: never sent → a first scheme).
    let svc = env.service().with_lease(Duration::ZERO);
    assert!(matches!(
        svc.get_or_generate(&req("I1")).await.unwrap_err(),
        SchemeError::OutcomeUnknown { .. }
    ));
    assert!(env.generate_calls("I1").is_empty());
    let out = svc.resolve(DEMO_MODEL_ID, "I1").await.unwrap();
    assert_eq!(out.source, SchemeSource::Generated);
    assert_eq!(env.generate_calls("I1").len(), 1);
}

#[tokio::test]
async fn same_sn_concurrently_in_one_process_is_generated_once() {
    let env = env().await;
    let svc = Arc::new(env.service());
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let svc = svc.clone();
            tokio::spawn(async move { svc.get_or_generate(&req("J1")).await.map(|o| o.openlink) })
        })
        .collect();
    let mut links = Vec::new();
    for t in tasks {
        links.push(t.await.unwrap().unwrap());
    }
    links.dedup();
    assert_eq!(links.len(), 1);
    assert_eq!(env.generate_calls("J1").len(), 1);
}

#[tokio::test]
async fn quota_use_is_tracked() {
    let mut config = FakeConfig::demo();
    config.limits = Limits {
        nfc_lifetime: 3,
        ..Limits::default()
    };
    let env = env_with(config).await;
    let svc = env.service();
    for sn in ["K1", "K2", "K3"] {
        svc.get_or_generate(&req(sn)).await.unwrap();
    }
    let e = svc.get_or_generate(&req("K4")).await.unwrap_err();
    let u = UserError::from(e);
    assert_eq!(u.code, "wechat.nfc.lifetime_quota");
    let q = svc.quota().await.unwrap();
    assert_eq!(
        (
            q.lifetime_issued,
            q.today_issued,
            q.lifetime_limit,
            q.daily_limit
        ),
        (3, 3, 100_000, 500_000)
    );
    assert_eq!(q.last_quota_errcode, Some(85400));
    assert_eq!(q.unanswered_calls, 0);
}

#[test]
fn china_day_boundary() {
    // 2024-01-01T16:00:00Z is midnight in China.
    let midnight = 1_704_124_800_000;
    assert_eq!(
        tapstand_wechat::scheme::china_day_start_ms(midnight + 1),
        midnight
    );
    assert_eq!(
        tapstand_wechat::scheme::china_day_start_ms(midnight - 1),
        midnight - 86_400_000
    );
}

/// What a process killed after "begin call" leaves behind, written through its own database handle.
async fn in_flight_by(db: &Db, sn: &str) {
    let row = db
        .scheme_record_request(&NewSchemeRequest {
            api_base: "http://127.0.0.1:1",
            appid: tapstand_fake_wechat::DEMO_APPID,
            model_id: DEMO_MODEL_ID,
            sn,
            path: "pages/member/card",
            query: "store=001",
            env_version: "release",
        })
        .await
        .unwrap();
    db.scheme_begin_call(row.id, false, 0, None, "http://127.0.0.1:1")
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_call_whose_process_died_is_recovered_at_once_and_a_live_one_is_not_touched() {
    let env = env().await;
    let path = env.db.path().to_path_buf();
    // Another process's handle (its own owner lock), alive: its call is in progress.
    let other = Db::open(&path).await.unwrap();
    in_flight_by(&other, "K1").await;
    let row = env
        .db
        .scheme_find(DEMO_MODEL_ID, "K1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.in_flight_owner.as_deref(), Some(other.owner_token()));
    let svc = env.service();
    for e in [
        svc.get_or_recover(&req("K1")).await.unwrap_err(),
        svc.resolve(DEMO_MODEL_ID, "K1").await.unwrap_err(),
    ] {
        assert!(matches!(e, SchemeError::InProgress { .. }), "{e:?}");
    }
    assert!(env.generate_calls("K1").is_empty());

    // The owner dies (its lock is released): no lease to wait for. get_or_generate still never calls for
    // an unknown outcome; the station's get_or_recover makes the one call that settles it.
    drop(other);
    assert!(matches!(
        svc.get_or_generate(&req("K1")).await.unwrap_err(),
        SchemeError::OutcomeUnknown { .. }
    ));
    assert!(env.generate_calls("K1").is_empty());
    let out = svc.get_or_recover(&req("K1")).await.unwrap();
    // That request had never left: a first scheme, the only one.
    assert_eq!(out.source, SchemeSource::Generated);
    assert_eq!(Some(out.openlink.clone()), env.fake_link("K1"));
    assert_eq!(out.row.api_base, env.fake.base_url());
    assert_eq!(out.row.in_flight_owner, None);
    assert_eq!(env.generate_calls("K1").len(), 1);
    // From now on: the ledger.
    let again = svc.get_or_recover(&req("K1")).await.unwrap();
    assert_eq!(again.source, SchemeSource::Ledger);
    assert_eq!(env.generate_calls("K1").len(), 1);
}

#[tokio::test]
async fn an_unknown_outcome_is_recovered_by_the_next_request_through_get_or_recover() {
    let env = env().await;
    let svc = env.service();
    // WeChat issues the scheme but the answer is lost.
    env.fake.inject(FE::GenerateNfcScheme, 1, Action::DropAfter);
    assert!(matches!(
        svc.get_or_recover(&req("L1")).await.unwrap_err(),
        SchemeError::OutcomeUnknown { .. }
    ));
    // Not repeated within the same request: one call so far.
    assert_eq!(env.generate_calls("L1").len(), 1);
    // The tag comes back: one more call, answered 9800010 with the scheme WeChat had issued.
    let out = svc.get_or_recover(&req("L1")).await.unwrap();
    assert_eq!(out.source, SchemeSource::Recovered);
    assert_eq!(Some(out.openlink), env.fake_link("L1"));
    let codes: Vec<_> = env.generate_calls("L1").iter().map(|c| c.errcode).collect();
    assert_eq!(codes, [Some(0), Some(9800010)]);
    assert_eq!(
        env.fake
            .schemes()
            .iter()
            .filter(|s| s.sn.as_deref() == Some("L1"))
            .count(),
        1,
        "never a second scheme for an sn"
    );
}

//! 100 concurrent scheme requests with an expired token make exactly one token request.

mod common;

use std::sync::Arc;

use common::*;
use tapstand_fake_wechat::{Endpoint as FE, FakeConfig};
use tapstand_store::ledger::SchemeState;
use tapstand_store::Db;
use tapstand_wechat::{SchemeRequest, SchemeService, SchemeSource};

fn config() -> FakeConfig {
    let mut c = FakeConfig::demo();
    // 100 generates (200 with the refused first round) in about a second: above WeChat's 100/s.
    c.limits.nfc_per_second = 1000;
    c
}

async fn run_100(svc: Arc<SchemeService>, prefix: &str) -> Vec<String> {
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let svc = svc.clone();
            let sn = format!("{prefix}{i:03}");
            tokio::spawn(async move {
                let req = SchemeRequest {
                    model_id: DEMO_MODEL_ID.into(),
                    sn,
                    ..SchemeRequest::default()
                };
                svc.get_or_generate(&req).await
            })
        })
        .collect();
    let mut links = Vec::new();
    for t in tasks {
        let out = t.await.unwrap().unwrap();
        assert_eq!(out.source, SchemeSource::Generated);
        links.push(out.openlink);
    }
    links
}

async fn check_ledger(
    db: &Db,
    fake: &tapstand_fake_wechat::FakeWechat,
    prefix: &str,
    links: &[String],
) {
    for (i, link) in links.iter().enumerate() {
        let sn = format!("{prefix}{i:03}");
        let row = db.scheme_find(DEMO_MODEL_ID, &sn).await.unwrap().unwrap();
        assert_eq!(row.state, SchemeState::Issued);
        assert_eq!(row.openlink.as_deref(), Some(link.as_str()));
        let fake_link = fake
            .schemes()
            .into_iter()
            .find(|s| s.sn.as_deref() == Some(sn.as_str()))
            .unwrap()
            .openlink;
        assert_eq!(&fake_link, link);
    }
}

/// The client's cache knows the token expired (shared clock): all 100 callers need a token at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expired_in_cache_one_token_request() {
    let fake = fake_with(config()).await;
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("tapstand.db")).await.unwrap();
    let c = client(&fake);
    c.check().await.unwrap();
    fake.advance_secs(7200);
    fake.control(Control::ClearLog);
    let svc = Arc::new(SchemeService::new(Arc::new(c), db.clone()));
    let links = run_100(svc, "exp").await;
    assert_eq!(
        fake.calls(FE::StableToken).len(),
        1,
        "exactly one token request"
    );
    let gen = fake.calls(FE::GenerateNfcScheme);
    assert_eq!(gen.len(), 100);
    assert!(gen.iter().all(|e| e.errcode == Some(0)));
    check_ledger(&db, &fake, "exp", &links).await;
    assert_token_rules(&fake);
}

/// The client believes its token is fresh, WeChat says 42001 to all 100: compare-and-invalidate makes
/// one token request, and each call is retried once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expired_at_wechat_one_token_request() {
    let fake = fake_with(config()).await;
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("tapstand.db")).await.unwrap();
    let c = tapstand_wechat::WechatClient::new(
        tapstand_wechat::ClientConfig {
            clock: tapstand_wechat::client::system_clock(),
            ..common::config(&fake)
        },
        tapstand_fake_wechat::DEMO_APPID,
        &tapstand_secrets::SecretString::new(tapstand_fake_wechat::DEMO_SECRET),
    )
    .unwrap()
    .0;
    c.check().await.unwrap();
    fake.advance_secs(7300);
    fake.control(Control::ClearLog);
    let svc = Arc::new(SchemeService::new(Arc::new(c), db.clone()));
    let links = run_100(svc, "wx").await;
    assert_eq!(
        fake.calls(FE::StableToken).len(),
        1,
        "exactly one token request"
    );
    let gen = fake.calls(FE::GenerateNfcScheme);
    // Every caller that sent the old token got 42001 and retried once with the new one; callers that
    // came later used the new token directly (the ledger writes spread the 100 requests out).
    let refused = gen.iter().filter(|e| e.errcode == Some(42001)).count();
    assert!((1..=100).contains(&refused), "{refused}");
    assert_eq!(gen.iter().filter(|e| e.errcode == Some(0)).count(), 100);
    assert_eq!(gen.len(), 100 + refused);
    for i in 0..100 {
        let sn = format!("wx{i:03}");
        let calls: Vec<_> = gen
            .iter()
            .filter(|e| e.sn.as_deref() == Some(sn.as_str()))
            .map(|e| e.errcode)
            .collect();
        assert!(
            calls == [Some(0)] || calls == [Some(42001), Some(0)],
            "{sn}: {calls:?}"
        );
    }
    check_ledger(&db, &fake, "wx", &links).await;
    assert_token_rules(&fake);
}

/// Without the ledger in between, the 100 requests really overlap: many are refused with the old
/// token at once, and compare-and-invalidate still makes one token request.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn client_only_overlapping_refusals_one_token_request() {
    let fake = fake_with(config()).await;
    let c = Arc::new(
        tapstand_wechat::WechatClient::new(
            tapstand_wechat::ClientConfig {
                clock: tapstand_wechat::client::system_clock(),
                ..common::config(&fake)
            },
            tapstand_fake_wechat::DEMO_APPID,
            &tapstand_secrets::SecretString::new(tapstand_fake_wechat::DEMO_SECRET),
        )
        .unwrap()
        .0,
    );
    c.check().await.unwrap();
    fake.advance_secs(7300);
    fake.control(Control::ClearLog);
    // Answers are held back 300 ms, so every request has left with the old token before the first
    // 42001 comes back.
    fake.inject(FE::GenerateNfcScheme, 100, Action::Delay { ms: 300 });
    let barrier = Arc::new(tokio::sync::Barrier::new(100));
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let (c, barrier) = (c.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let req = tapstand_wechat::NfcSchemeRequest {
                    model_id: DEMO_MODEL_ID.into(),
                    sn: Some(format!("c{i:03}")),
                    ..Default::default()
                };
                c.generate_nfc_scheme(&req).await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let gen = fake.calls(FE::GenerateNfcScheme);
    let refused = gen.iter().filter(|e| e.errcode == Some(42001)).count();
    assert!(refused > 1, "requests overlapped: {refused}");
    assert_eq!(gen.len(), 100 + refused);
    assert_eq!(
        fake.calls(FE::StableToken).len(),
        1,
        "exactly one token request"
    );
    assert_token_rules(&fake);
}

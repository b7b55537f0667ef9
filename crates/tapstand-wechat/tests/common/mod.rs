//! Shared setup: the real fake on loopback and a client pointed at it.
#![allow(dead_code, unused_imports)]

use std::time::Duration;

use tapstand_fake_wechat::{
    Endpoint as FakeEndpoint, FakeConfig, FakeWechat, DEMO_APPID, DEMO_SECRET,
};
use tapstand_secrets::SecretString;
use tapstand_wechat::{ClientConfig, RetryPolicy, WechatClient};

pub use tapstand_fake_wechat::{Action, Control, DEMO_MODEL_ID, DEMO_MODEL_ID_PER_MODEL};

pub async fn fake() -> FakeWechat {
    fake_with(FakeConfig::demo()).await
}

pub async fn fake_with(config: FakeConfig) -> FakeWechat {
    FakeWechat::start(config).await.expect("fake starts")
}

/// Fast retries, the fake's clock.
pub fn config(fake: &FakeWechat) -> ClientConfig {
    ClientConfig {
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
        },
        clock: fake.clock(),
        ..ClientConfig::default().with_base_url(fake.base_url())
    }
}

pub fn client(fake: &FakeWechat) -> WechatClient {
    client_for(fake, DEMO_APPID, DEMO_SECRET)
}

pub fn client_for(fake: &FakeWechat, appid: &str, secret: &str) -> WechatClient {
    WechatClient::new(config(fake), appid, &SecretString::new(secret))
        .expect("client")
        .0
}

pub fn count(fake: &FakeWechat, e: FakeEndpoint) -> usize {
    fake.calls(e).len()
}

/// The rules every test must keep: never the classic token endpoint, never a forced refresh.
pub fn assert_token_rules(fake: &FakeWechat) {
    assert_eq!(
        count(fake, FakeEndpoint::Token),
        0,
        "the classic /cgi-bin/token was called"
    );
    for e in fake.calls(FakeEndpoint::StableToken) {
        assert_eq!(
            e.force_refresh,
            Some(false),
            "stable_token called with force_refresh: {e:?}"
        );
        assert_eq!(e.method, "POST");
    }
}

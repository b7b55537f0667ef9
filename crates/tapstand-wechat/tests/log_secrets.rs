//! Captured logs never contain the AppSecret or an access token. The capture is raw (no redacting
//! writer) and at TRACE for every crate, including reqwest, hyper and rustls: the client must not log
//! them in the first place. (The app's log writer also redacts; see tapstand-core's log_redaction test.)

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use tapstand_fake_wechat::{Endpoint as FE, DEMO_SECRET};
use tapstand_store::Db;
use tapstand_wechat::{SchemeRequest, SchemeService, WxaCodeRequest};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_never_contain_the_secret_or_a_token() {
    let capture = Capture::default();
    let writer = capture.clone();
    // Global (the HTTP stack logs from worker threads too), with the `log` bridge (reqwest uses `log`).
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .expect("the only subscriber in this test binary");

    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("tapstand.db")).await.unwrap();
    let c = Arc::new(client(&fake));
    c.check().await.unwrap();
    let token = c.access_token().await.unwrap().expose().to_string();
    let svc = SchemeService::new(c.clone(), db);
    svc.get_or_generate(&SchemeRequest {
        model_id: DEMO_MODEL_ID.into(),
        sn: "L1".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    // Error paths too: a refused token (retry), a dropped connection, a wrong secret, an image.
    fake.inject(
        FE::GenerateNfcScheme,
        1,
        Action::Error {
            errcode: 40001,
            errmsg: None,
        },
    );
    svc.get_or_generate(&SchemeRequest {
        model_id: DEMO_MODEL_ID.into(),
        sn: "L2".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let token2 = c.access_token().await.unwrap().expose().to_string();
    fake.inject(FE::GenerateNfcScheme, 1, Action::DropAfter);
    let _ = svc
        .get_or_generate(&SchemeRequest {
            model_id: DEMO_MODEL_ID.into(),
            sn: "L3".into(),
            ..Default::default()
        })
        .await;
    c.get_wxacode_unlimit(&WxaCodeRequest::new("s=1", None))
        .await
        .unwrap();
    let wrong = client_for(
        &fake,
        tapstand_fake_wechat::DEMO_APPID,
        "0123456789abcdef0123456789abcdef",
    );
    let e = wrong.check().await.unwrap_err();
    tracing::warn!(error = %e, debug = ?e, client = ?wrong, "for the record");

    let text = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("NFC scheme generated"),
        "the capture works: {text}"
    );
    assert!(
        text.contains("reqwest::") && text.contains("hyper"),
        "the HTTP stack's TRACE output was captured: {text}"
    );
    for (what, value) in [
        ("AppSecret", DEMO_SECRET),
        ("wrong AppSecret", "0123456789abcdef0123456789abcdef"),
        ("token", token.as_str()),
        ("second token", token2.as_str()),
    ] {
        assert!(!text.contains(value), "{what} leaked into the log:\n{text}");
    }
    assert!(
        !text.contains("access_token="),
        "a URL with the token was logged"
    );
}

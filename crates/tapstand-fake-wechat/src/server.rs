//! The HTTP side: a real HTTP/1.1 server on a loopback port (hyper + an axum router).
//!
//! The accept loop is hyper's own (not `axum::serve`) so that an injected failure can close a connection
//! without any answer, before or after the call was processed, exactly like a network drop.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tower::ServiceExt;

use crate::config::*;
use crate::state::{FakeState, Handled, Incoming, LogEntry, Reply, SchemeRecord};

type Shared = Arc<Mutex<FakeState>>;

fn lock(s: &Shared) -> MutexGuard<'_, FakeState> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running fake. Dropping it stops accepting connections.
pub struct FakeWechat {
    addr: SocketAddr,
    shared: Shared,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

#[derive(Clone)]
struct Injected(Action);

#[derive(Clone, Copy)]
struct Seq(u64);

impl FakeWechat {
    /// Starts on `127.0.0.1` with an OS-chosen port (tests).
    pub async fn start(config: FakeConfig) -> std::io::Result<FakeWechat> {
        FakeWechat::bind(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
    }

    /// Starts on `addr` (the binary uses `127.0.0.1:PORT`).
    pub async fn bind(addr: SocketAddr, config: FakeConfig) -> std::io::Result<FakeWechat> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared: Shared = Arc::new(Mutex::new(FakeState::new(config)));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, shared.clone(), rx));
        tracing::info!(%addr, "fake WeChat API listening");
        Ok(FakeWechat {
            addr,
            shared,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the client's base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn control(&self, c: Control) -> Value {
        lock(&self.shared).control(c)
    }

    /// Every call so far, in order.
    pub fn log(&self) -> Vec<LogEntry> {
        lock(&self.shared).log().to_vec()
    }

    /// Calls to one endpoint.
    pub fn calls(&self, endpoint: Endpoint) -> Vec<LogEntry> {
        lock(&self.shared)
            .log()
            .iter()
            .filter(|e| e.endpoint == endpoint)
            .cloned()
            .collect()
    }

    /// The log of issued schemes: one entry per scheme minted, in order, never merged by (model_id, sn),
    /// so counting per sn from here shows a second issue if there ever was one.
    pub fn issued(&self) -> Vec<SchemeRecord> {
        lock(&self.shared).issued()
    }

    /// Every scheme the fake holds, one per (model_id, sn).
    pub fn schemes(&self) -> Vec<SchemeRecord> {
        lock(&self.shared).schemes()
    }

    /// The fake's clock (unix milliseconds).
    pub fn now_ms(&self) -> i64 {
        lock(&self.shared).now_ms()
    }

    /// The fake's clock as a function, to give the client the same notion of time in tests.
    pub fn clock(&self) -> Arc<dyn Fn() -> i64 + Send + Sync> {
        let shared = self.shared.clone();
        Arc::new(move || lock(&shared).now_ms())
    }

    pub fn advance_secs(&self, secs: i64) {
        self.control(Control::AdvanceClock { secs });
    }

    pub fn inject(&self, endpoint: Endpoint, count: u32, action: Action) {
        self.control(Control::Inject {
            endpoint: Some(endpoint),
            count,
            action,
        });
    }

    /// Stops accepting connections and waits for the accept loop to end.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for FakeWechat {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    shared: Shared,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let router = router(shared.clone());
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else { continue };
                let router = router.clone();
                let shared = shared.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        serve_one(req, router.clone(), shared.clone())
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        }
    }
}

/// One request: applies injected drops and delays around the router. An `Err` makes hyper close the
/// connection without an answer.
async fn serve_one(
    req: hyper::Request<hyper::body::Incoming>,
    router: Router,
    shared: Shared,
) -> Result<Response, std::io::Error> {
    let endpoint = Endpoint::from_path(req.uri().path());
    let action = endpoint.and_then(|e| lock(&shared).take_injection(e));
    let mut req = req.map(Body::new);
    if let (Some(Action::DropBefore), Some(e)) = (&action, endpoint) {
        let method = req.method().as_str().to_string();
        let body = axum::body::to_bytes(req.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        lock(&shared).log_dropped_before(e, &method, &body);
        return Err(std::io::Error::other(
            "injected: connection dropped before processing",
        ));
    }
    if let Some(a @ Action::Error { .. }) = &action {
        req.extensions_mut().insert(Injected(a.clone()));
    }
    let resp = match router.oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    match action {
        Some(Action::DropAfter) => {
            if let Some(Seq(seq)) = resp.extensions().get::<Seq>() {
                lock(&shared).mark_dropped(*seq);
            }
            Err(std::io::Error::other(
                "injected: connection dropped after processing",
            ))
        }
        Some(Action::Delay { ms }) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            Ok(resp)
        }
        _ => Ok(resp),
    }
}

fn router(shared: Shared) -> Router {
    Router::new()
        .route("/__fake/control", post(control))
        .route("/__fake/log", get(log))
        .route("/__fake/schemes", get(schemes))
        .route("/__fake/config", get(config))
        .fallback(api)
        .with_state(shared)
}

async fn control(State(s): State<Shared>, Json(c): Json<Control>) -> Json<Value> {
    Json(lock(&s).control(c))
}

async fn log(State(s): State<Shared>) -> Json<Vec<LogEntry>> {
    Json(lock(&s).log().to_vec())
}

async fn schemes(State(s): State<Shared>) -> Json<Vec<SchemeRecord>> {
    Json(lock(&s).schemes())
}

async fn config(State(s): State<Shared>) -> Json<FakeConfig> {
    Json(lock(&s).config.clone())
}

async fn api(State(s): State<Shared>, req: Request) -> Response {
    let Some(endpoint) = Endpoint::from_path(req.uri().path()) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let method = req.method().as_str().to_string();
    let query: HashMap<String, String> = Query::<HashMap<String, String>>::try_from_uri(req.uri())
        .map(|q| q.0)
        .unwrap_or_default();
    let injected = req.extensions().get::<Injected>().map(|i| i.0.clone());
    let body = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let Handled {
        reply,
        seq,
        error_content_type,
    } = lock(&s).handle(Incoming {
        endpoint,
        method: &method,
        query: &query,
        body: &body,
        injected,
    });
    // Always HTTP 200 (reference §0).
    let mut resp = match reply {
        Reply::Json(v) => {
            let ct = error_content_type.unwrap_or_else(|| JSON_CONTENT_TYPE.to_string());
            let mut r = Response::new(Body::from(serde_json::to_vec(&v).expect("json")));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_str(&ct).unwrap_or(HeaderValue::from_static(JSON_CONTENT_TYPE)),
            );
            r
        }
        Reply::Image(bytes) => {
            let len = bytes.len();
            let mut r = Response::new(Body::from(bytes));
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
            r.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            r
        }
    };
    resp.extensions_mut().insert(Seq(seq));
    resp
}

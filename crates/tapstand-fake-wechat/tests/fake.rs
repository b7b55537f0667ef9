//! The fake's own behaviour over raw HTTP/1.1 (reference §7): validation orders, token lifetimes and
//! isolation, forced refresh, 9800010, images, and the control endpoint for out-of-process use.

use std::collections::HashMap;
use std::net::SocketAddr;

use serde_json::{json, Value};
use tapstand_fake_wechat::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Resp {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {:?}", String::from_utf8_lossy(&self.body)))
    }
    fn errcode(&self) -> i64 {
        self.json()
            .get("errcode")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }
}

async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> std::io::Result<Resp> {
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no answer ({} bytes)", raw.len())))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Resp {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}

async fn post(addr: SocketAddr, path: &str, body: Value) -> Resp {
    http(addr, "POST", path, &body.to_string()).await.unwrap()
}

fn creds() -> Value {
    json!({"grant_type": "client_credential", "appid": DEMO_APPID, "secret": DEMO_SECRET})
}

async fn stable(addr: SocketAddr, force: bool) -> Resp {
    let mut b = creds();
    b["force_refresh"] = force.into();
    post(addr, "/cgi-bin/stable_token", b).await
}

async fn token_of(r: &Resp) -> String {
    r.json()["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{:?}", r.json()))
        .to_string()
}

async fn gen(addr: SocketAddr, token: &str, body: Value) -> Resp {
    post(
        addr,
        &format!("/wxa/generatenfcscheme?access_token={token}"),
        body,
    )
    .await
}

#[tokio::test]
async fn stable_token_validation_order_and_format() {
    let mut config = FakeConfig::demo();
    config.apps[0].whitelist_enabled = true;
    config.apps[0].whitelist = vec!["198.51.100.*".into()];
    config.apps[0].frozen = true;
    let fake = FakeWechat::start(config).await.unwrap();
    let a = fake.addr();
    let r = http(a, "GET", "/cgi-bin/stable_token", "").await.unwrap();
    assert_eq!((r.status, r.errcode()), (200, 43002));
    assert_eq!(
        r.headers["content-type"],
        "application/json; encoding=utf-8"
    );
    let msg = r.json()["errmsg"].as_str().unwrap().to_string();
    let rid = msg.rsplit("rid: ").next().unwrap();
    assert!(
        rid.len() == 26
            && rid
                .split('-')
                .all(|g| g.len() == 8 && g.chars().all(|c| c.is_ascii_hexdigit())),
        "{msg}"
    );
    assert_eq!(
        http(a, "POST", "/cgi-bin/stable_token", "grant_type=x")
            .await
            .unwrap()
            .errcode(),
        47001
    );
    assert_eq!(
        post(a, "/cgi-bin/stable_token", json!({"secret": "x"}))
            .await
            .errcode(),
        41002
    );
    assert_eq!(
        post(a, "/cgi-bin/stable_token", json!({"appid": "x"}))
            .await
            .errcode(),
        41004
    );
    assert_eq!(
        post(
            a,
            "/cgi-bin/stable_token",
            json!({"appid": "x", "secret": "y", "grant_type": "z"})
        )
        .await
        .errcode(),
        40002
    );
    let mut b = creds();
    b["appid"] = "wx0000000000000000".into();
    assert_eq!(post(a, "/cgi-bin/stable_token", b).await.errcode(), 40013);
    let mut b = creds();
    b["secret"] = "wrong".into();
    let r = post(a, "/cgi-bin/stable_token", b.clone()).await;
    assert_eq!(r.errcode(), 40164, "whitelist before secret");
    assert!(r.json()["errmsg"]
        .as_str()
        .unwrap()
        .starts_with("invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist rid: "));
    fake.control(Control::SetClientIp {
        ip: "198.51.100.20".into(),
    });
    assert_eq!(post(a, "/cgi-bin/stable_token", b).await.errcode(), 40125);
    assert_eq!(stable(a, false).await.errcode(), 40243, "frozen comes last");
    let mut app = FakeConfig::demo().apps.remove(0);
    app.frozen = false;
    fake.control(Control::UpsertApp(app));
    let r = stable(a, false).await;
    let v = r.json();
    assert!(
        v.get("errcode").is_none(),
        "token answers have no errcode: {v}"
    );
    assert_eq!(v["expires_in"], 7200);
    let t = v["access_token"].as_str().unwrap();
    let (prefix, rest) = t.split_once('_').unwrap();
    assert!(prefix.chars().all(|c| c.is_ascii_digit()));
    assert!(
        (100..=180).contains(&rest.len())
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        "{t}"
    );
}

#[tokio::test]
async fn stable_token_lifetime_rotation_and_forced_refresh() {
    let mut config = FakeConfig::demo();
    config.limits.force_refresh_daily = 2;
    let fake = FakeWechat::start(config).await.unwrap();
    let a = fake.addr();
    let t1 = token_of(&stable(a, false).await).await;
    fake.advance_secs(1000);
    let r = stable(a, false).await;
    assert_eq!(token_of(&r).await, t1, "normal mode: the same token");
    let left = r.json()["expires_in"].as_i64().unwrap();
    assert!(
        (6199..=6200).contains(&left),
        "with the remaining lifetime: {left}"
    );
    // Last 5 minutes: a new token; the old one keeps working until it expires.
    fake.advance_secs(6000);
    let r = stable(a, false).await;
    let t2 = token_of(&r).await;
    assert_ne!(t2, t1);
    assert_eq!(r.json()["expires_in"], 7200);
    let body = json!({"model_id": DEMO_MODEL_ID, "sn": "s1"});
    assert_eq!(gen(a, &t1, body.clone()).await.errcode(), 0, "overlap");
    fake.advance_secs(300);
    assert_eq!(
        gen(a, &t1, json!({"model_id": DEMO_MODEL_ID, "sn": "s2"}))
            .await
            .errcode(),
        42001
    );
    assert_eq!(
        gen(a, &t2, json!({"model_id": DEMO_MODEL_ID, "sn": "s2"}))
            .await
            .errcode(),
        0
    );
    // Forced: the previous token is invalid at once; within 30 s nothing changes; then the daily cap.
    let t3 = token_of(&stable(a, true).await).await;
    assert_ne!(t3, t2);
    assert_eq!(
        gen(a, &t2, json!({"model_id": DEMO_MODEL_ID, "sn": "s3"}))
            .await
            .errcode(),
        40001
    );
    fake.advance_secs(10);
    assert_eq!(
        token_of(&stable(a, true).await).await,
        t3,
        "不会刷新 within 30 s"
    );
    fake.advance_secs(30);
    let t4 = token_of(&stable(a, true).await).await;
    assert_ne!(t4, t3);
    fake.advance_secs(30);
    assert_eq!(
        stable(a, true).await.errcode(),
        45009,
        "forced refreshes per day exhausted"
    );
    // Missing and unknown tokens.
    assert_eq!(
        post(a, "/wxa/generatenfcscheme", json!({})).await.errcode(),
        41001
    );
    assert_eq!(gen(a, "12_nope", json!({})).await.errcode(), 40001);
}

#[tokio::test]
async fn classic_tokens_replace_each_other_and_are_isolated_from_stable_ones() {
    let mut config = FakeConfig::demo();
    config.limits.classic_daily = 2;
    let fake = FakeWechat::start(config).await.unwrap();
    let a = fake.addr();
    let q = format!(
        "/cgi-bin/token?grant_type=client_credential&appid={DEMO_APPID}&secret={DEMO_SECRET}"
    );
    let stable_t = token_of(&stable(a, false).await).await;
    let c1 = token_of(&http(a, "GET", &q, "").await.unwrap()).await;
    let c2 = token_of(&http(a, "GET", &q, "").await.unwrap()).await;
    assert_ne!(c1, c2);
    assert_eq!(
        gen(a, &c1, json!({"model_id": DEMO_MODEL_ID, "sn": "c1"}))
            .await
            .errcode(),
        0,
        "5 more minutes"
    );
    fake.advance_secs(301);
    assert_eq!(
        gen(a, &c1, json!({"model_id": DEMO_MODEL_ID, "sn": "c2"}))
            .await
            .errcode(),
        40001
    );
    assert_eq!(
        gen(a, &c2, json!({"model_id": DEMO_MODEL_ID, "sn": "c2"}))
            .await
            .errcode(),
        0
    );
    assert_eq!(
        gen(a, &stable_t, json!({"model_id": DEMO_MODEL_ID, "sn": "c3"}))
            .await
            .errcode(),
        0,
        "isolated"
    );
    assert_eq!(
        http(a, "GET", &q, "").await.unwrap().errcode(),
        45009,
        "2000/day (2 here)"
    );
}

#[tokio::test]
async fn generatenfcscheme_validation_order_and_9800010() {
    let fake = FakeWechat::start(FakeConfig::demo()).await.unwrap();
    let a = fake.addr();
    let t = token_of(&stable(a, false).await).await;
    // Fails several checks at once: the earliest wins.
    let body = |model: &str, sn: Option<&str>, path: &str, query: &str, env: &str| {
        let mut b = json!({"model_id": model, "jump_wxa": {"path": path, "query": query, "env_version": env}});
        if let Some(sn) = sn {
            b["sn"] = sn.into();
        }
        b
    };
    assert_eq!(
        http(
            a,
            "POST",
            &format!("/wxa/generatenfcscheme?access_token={t}"),
            "{"
        )
        .await
        .unwrap()
        .errcode(),
        47001
    );
    assert_eq!(
        gen(a, &t, body("unknown", None, "x", "中", "bad"))
            .await
            .errcode(),
        9800003
    );
    assert_eq!(
        gen(a, &t, body(DEMO_MODEL_ID, None, "x", "中", "bad"))
            .await
            .errcode(),
        9800008
    );
    assert_eq!(
        gen(
            a,
            &t,
            body(DEMO_MODEL_ID_PER_MODEL, Some("s"), "x", "中", "bad")
        )
        .await
        .errcode(),
        9800009
    );
    assert_eq!(
        gen(
            a,
            &t,
            body(DEMO_MODEL_ID, Some(&"s".repeat(129)), "x", "中", "bad")
        )
        .await
        .errcode(),
        9800001
    );
    assert_eq!(
        gen(a, &t, body(DEMO_MODEL_ID, Some("a b"), "x", "中", "bad"))
            .await
            .errcode(),
        9800002
    );
    assert_eq!(
        gen(a, &t, body(DEMO_MODEL_ID, Some("s"), "x", "中", "bad"))
            .await
            .errcode(),
        40165
    );
    assert_eq!(
        gen(
            a,
            &t,
            body(DEMO_MODEL_ID, Some("s"), "pages/index/index?a=1", "", "")
        )
        .await
        .errcode(),
        40165
    );
    assert_eq!(
        gen(
            a,
            &t,
            body(DEMO_MODEL_ID, Some("s"), "/pages/index/index", "中", "bad")
        )
        .await
        .errcode(),
        40212
    );
    assert_eq!(
        gen(
            a,
            &t,
            body(
                DEMO_MODEL_ID,
                Some("s"),
                "/pages/index/index",
                &"a".repeat(1025),
                "bad"
            )
        )
        .await
        .errcode(),
        40212
    );
    assert_eq!(
        gen(
            a,
            &t,
            body(
                DEMO_MODEL_ID,
                Some("s"),
                "/pages/index/index",
                "a=%E4",
                "bad"
            )
        )
        .await
        .errcode(),
        85402
    );
    let ok = gen(
        a,
        &t,
        body(
            DEMO_MODEL_ID,
            Some("s"),
            "/pages/index/index",
            "a=%E4",
            "develop",
        ),
    )
    .await
    .json();
    let link = ok["openlink"].as_str().unwrap().to_string();
    assert_eq!(ok["errcode"], 0);
    let ticket = link.strip_prefix("weixin://dl/business/?t=").unwrap();
    assert!(ticket.len() == 11 && ticket.chars().all(|c| c.is_ascii_alphanumeric()));
    // Exists: regardless of path, query or env_version.
    let r = gen(a, &t, body(DEMO_MODEL_ID, Some("s"), "", "b=2", "release"))
        .await
        .json();
    assert_eq!(r["errcode"], 9800010);
    assert!(
        r["errmsg"]
            .as_str()
            .unwrap()
            .starts_with(&format!("schema已存在 schema: {link} rid: ")),
        "{r}"
    );
    fake.control(Control::SetExistingSchemeEcho {
        echo: ExistingSchemeEcho::Empty,
    });
    let r = gen(a, &t, body(DEMO_MODEL_ID, Some("s"), "", "", "release"))
        .await
        .json();
    assert!(
        r["errmsg"]
            .as_str()
            .unwrap()
            .starts_with("schema已存在  schema:  rid: "),
        "{r}"
    );
    // queryscheme.
    let q = post(
        a,
        &format!("/wxa/queryscheme?access_token={t}"),
        json!({"scheme": link}),
    )
    .await
    .json();
    assert_eq!(q["scheme_info"]["env_version"], "develop");
    assert_eq!(q["scheme_info"]["query"], "a=%E4");
    assert_eq!(q["scheme_info"]["expire_time"], 0);
    assert!(q["quota_info"]["remain_visit_quota"].is_number());
    let q = post(
        a,
        &format!("/wxa/queryscheme?access_token={t}"),
        json!({"query_type": 0}),
    )
    .await;
    assert_eq!(q.errcode(), 40097);
    let q = post(
        a,
        &format!("/wxa/queryscheme?access_token={t}"),
        json!({"query_type": 1}),
    )
    .await
    .json();
    assert_eq!(q["errcode"], 0);
    let q = post(
        a,
        &format!("/wxa/queryscheme?access_token={t}"),
        json!({"scheme": "weixin://dl/business/?t=x"}),
    )
    .await;
    assert_eq!(q.errcode(), 85403);
}

#[tokio::test]
async fn wxacode_order_clamp_and_content_type() {
    let fake = FakeWechat::start(FakeConfig::demo()).await.unwrap();
    let a = fake.addr();
    let t = token_of(&stable(a, false).await).await;
    let p = format!("/wxa/getwxacodeunlimit?access_token={t}");
    assert_eq!(
        http(a, "POST", &p, "scene=1").await.unwrap().errcode(),
        47001
    );
    assert_eq!(post(a, &p, json!({"page": "/x"})).await.errcode(), 40169);
    assert_eq!(
        post(a, &p, json!({"scene": "a".repeat(33)}))
            .await
            .errcode(),
        40169
    );
    assert_eq!(
        post(a, &p, json!({"scene": "a%20", "page": "/x"}))
            .await
            .errcode(),
        40129
    );
    assert_eq!(
        post(a, &p, json!({"scene": "a", "page": "/pages/index/index"}))
            .await
            .errcode(),
        41030
    );
    assert_eq!(
        post(a, &p, json!({"scene": "a", "page": "pages/missing"}))
            .await
            .errcode(),
        41030
    );
    assert_eq!(
        post(
            a,
            &p,
            json!({"scene": "a", "page": "pages/scancode_time", "check_path": false})
        )
        .await
        .errcode(),
        85096
    );
    assert_eq!(
        post(a, &p, json!({"scene": "a", "env_version": "prod"}))
            .await
            .errcode(),
        40097
    );
    let r = post(a, &p, json!({"scene": "a", "width": 100})).await;
    assert_eq!(r.headers["content-type"], "image/jpeg");
    assert_eq!(r.headers["content-length"], r.body.len().to_string());
    assert_eq!(&r.body[..3], &[0xFF, 0xD8, 0xFF]);
    assert_eq!(jpeg_size(&r.body), (280, 280), "clamped up");
    let r = post(
        a,
        &p,
        json!({"scene": "a", "width": 5000, "is_hyaline": true}),
    )
    .await;
    assert_eq!(
        r.headers["content-type"], "image/jpeg",
        "a PNG labelled image/jpeg"
    );
    assert_eq!(&r.body[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(
        u32::from_be_bytes(r.body[16..20].try_into().unwrap()),
        1280,
        "clamped down"
    );
    fake.control(Control::SetWxacodeErrorContentType {
        content_type: "text/plain".into(),
    });
    let r = post(a, &p, json!({"scene": ""})).await;
    assert_eq!(
        (r.headers["content-type"].as_str(), r.errcode()),
        ("text/plain", 40169)
    );
}

fn jpeg_size(b: &[u8]) -> (u32, u32) {
    let mut i = 2;
    while i + 9 < b.len() {
        let m = b[i + 1];
        let len = u16::from_be_bytes([b[i + 2], b[i + 3]]) as usize;
        if (0xC0..=0xC3).contains(&m) {
            let h = u16::from_be_bytes([b[i + 5], b[i + 6]]) as u32;
            let w = u16::from_be_bytes([b[i + 7], b[i + 8]]) as u32;
            return (w, h);
        }
        i += 2 + len;
    }
    panic!("no SOF")
}

#[tokio::test]
async fn quotas_and_clock() {
    let mut config = FakeConfig::demo();
    config.limits = Limits {
        nfc_per_second: 2,
        nfc_daily: 3,
        nfc_lifetime: 4,
        ..Limits::default()
    };
    let fake = FakeWechat::start(config).await.unwrap();
    let a = fake.addr();
    let t = token_of(&stable(a, false).await).await;
    let g = |sn: &str| json!({"model_id": DEMO_MODEL_ID, "sn": sn});
    fake.control(Control::SetClock {
        unix_ms: 1_800_000_000_000,
    });
    assert_eq!(
        gen(a, &t, g("q1")).await.errcode(),
        42001,
        "the clock moved years ahead"
    );
    let t = token_of(&stable(a, false).await).await;
    assert_eq!(gen(a, &t, g("q1")).await.errcode(), 0);
    assert_eq!(gen(a, &t, g("q2")).await.errcode(), 0);
    assert_eq!(
        gen(a, &t, g("q3")).await.errcode(),
        44990,
        "3rd in one second"
    );
    fake.advance_secs(1);
    assert_eq!(gen(a, &t, g("q3")).await.errcode(), 0);
    fake.advance_secs(1);
    assert_eq!(gen(a, &t, g("q4")).await.errcode(), 44993, "daily 3");
    fake.advance_secs(3600);
    let t = token_of(&stable(a, false).await).await;
    fake.advance_secs(86_400 - 3600);
    let t2 = token_of(&stable(a, false).await).await;
    assert_ne!(t, t2);
    assert_eq!(gen(a, &t2, g("q4")).await.errcode(), 0, "next day");
    fake.advance_secs(1);
    assert_eq!(gen(a, &t2, g("q5")).await.errcode(), 85400, "lifetime 4");
}

#[tokio::test]
async fn control_endpoint_injection_drops_and_log_over_http() {
    let fake = FakeWechat::start(FakeConfig::demo()).await.unwrap();
    let a = fake.addr();
    let t = token_of(&stable(a, false).await).await;
    let ctl = |v: Value| async move { post(a, "/__fake/control", v).await };
    let r = ctl(json!({"op": "inject", "endpoint": "generate_nfc_scheme", "count": 2, "action": {"kind": "error", "errcode": 45011}})).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        gen(a, &t, json!({"model_id": DEMO_MODEL_ID, "sn": "h1"}))
            .await
            .errcode(),
        45011
    );
    assert_eq!(
        gen(a, &t, json!({"model_id": DEMO_MODEL_ID, "sn": "h1"}))
            .await
            .errcode(),
        45011
    );
    assert_eq!(
        gen(a, &t, json!({"model_id": DEMO_MODEL_ID, "sn": "h1"}))
            .await
            .errcode(),
        0
    );
    ctl(json!({"op": "inject", "endpoint": "generate_nfc_scheme", "action": {"kind": "drop_before"}})).await;
    assert!(http(
        a,
        "POST",
        &format!("/wxa/generatenfcscheme?access_token={t}"),
        &json!({"model_id": DEMO_MODEL_ID, "sn": "h2"}).to_string()
    )
    .await
    .is_err());
    ctl(json!({"op": "inject", "endpoint": "generate_nfc_scheme", "action": {"kind": "drop_after"}})).await;
    assert!(http(
        a,
        "POST",
        &format!("/wxa/generatenfcscheme?access_token={t}"),
        &json!({"model_id": DEMO_MODEL_ID, "sn": "h3"}).to_string()
    )
    .await
    .is_err());
    ctl(json!({"op": "advance_clock", "secs": 60})).await;
    let log = http(a, "GET", "/__fake/log", "").await.unwrap().json();
    let gens: Vec<_> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["endpoint"] == "generate_nfc_scheme")
        .map(|e| {
            (
                e["sn"].as_str().unwrap().to_string(),
                e["errcode"].clone(),
                e["dropped"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        gens,
        [
            ("h1".into(), json!(45011), false),
            ("h1".into(), json!(45011), false),
            ("h1".into(), json!(0), false),
            ("h2".into(), Value::Null, true),
            ("h3".into(), json!(0), true),
        ]
    );
    let schemes = http(a, "GET", "/__fake/schemes", "").await.unwrap().json();
    let sns: Vec<_> = schemes
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sn"].as_str().unwrap())
        .collect();
    assert_eq!(
        sns,
        ["h1", "h3"],
        "drop_after processed the call, drop_before did not"
    );
    assert!(!log.to_string().contains(&t), "the log never holds a token");
    assert!(!log.to_string().contains(DEMO_SECRET), "nor the secret");
    let r = ctl(json!({"op": "reset", "apps": [], "models": []})).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        stable(a, false).await.errcode(),
        40013,
        "reset forgot the demo app"
    );
}

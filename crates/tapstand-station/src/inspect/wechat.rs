//! Asking WeChat: a WeChat link that is not in the ledger is looked up with `queryscheme` through
//! [`SchemeQuery`] (the real client, or a double in tests), within [`QUERY_TIMEOUT`]. A plain-text scheme
//! needs no question: it says what it opens itself.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tapstand_error::UserError;
use tapstand_store::now_ms;
use tapstand_wechat::error::{is_openlink, QueryCode};
use tapstand_wechat::{ApiErrorKind, WechatClient, WechatError};

use super::tag::{PlainScheme, TagFacts};
use super::{words, Bilingual, Finding, Verdict, WechatLookup};

/// What `queryscheme` answered (the WeChat client's type, renamed here: [`SchemeQuery`] is the trait).
pub use tapstand_wechat::SchemeQuery as SchemeAnswer;

/// How long the inspector waits for `queryscheme` before saying "cannot be checked now".
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(8);

/// A boxed `queryscheme` call (object-safe without `async_trait`).
pub type QueryFuture<'a> =
    Pin<Box<dyn Future<Output = Result<SchemeAnswer, WechatError>> + Send + 'a>>;

/// `queryscheme` for the inspector: the real [`WechatClient`], or a double in tests.
pub trait SchemeQuery: Send + Sync {
    /// The mini program the client asks for.
    fn appid(&self) -> &str;
    /// What `scheme` opens (errors are the client's typed errors; 85403 = not known for this AppID).
    fn query<'a>(&'a self, scheme: &'a str) -> QueryFuture<'a>;
}

impl SchemeQuery for WechatClient {
    fn appid(&self) -> &str {
        WechatClient::appid(self)
    }

    fn query<'a>(&'a self, scheme: &'a str) -> QueryFuture<'a> {
        Box::pin(self.query_scheme(scheme))
    }
}

impl<T: SchemeQuery + ?Sized> SchemeQuery for Arc<T> {
    fn appid(&self) -> &str {
        (**self).appid()
    }

    fn query<'a>(&'a self, scheme: &'a str) -> QueryFuture<'a> {
        (**self).query(scheme)
    }
}

/// Asks WeChat about `link` (a link that is not in the ledger) within [`QUERY_TIMEOUT`]. `None`: not
/// asked — no client, or a plain-text scheme, which needs no question.
pub(super) async fn ask(link: &str, wechat: Option<&dyn SchemeQuery>) -> Option<WechatLookup> {
    if !is_openlink(link) {
        return None;
    }
    let client = wechat?;
    Some(
        match tokio::time::timeout(QUERY_TIMEOUT, client.query(link)).await {
            Ok(answer) => WechatLookup::Asked {
                appid: client.appid().to_string(),
                answer,
            },
            Err(_) => WechatLookup::TimedOut,
        },
    )
}

/// A WeChat link this install did not generate: read from the link itself (plain-text scheme), or what
/// WeChat said about it (`None`: not asked).
pub(super) fn not_in_ledger(link: &str, asked: Option<&WechatLookup>, tag: &TagFacts) -> Finding {
    if !is_openlink(link) {
        return plaintext(link, tag);
    }
    match asked {
        None => not_checked(link, None),
        Some(WechatLookup::TimedOut) => not_checked(link, Some(words::query_timeout())),
        Some(WechatLookup::Asked { appid, answer }) => match answer {
            Ok(a) => answered(link, a, appid, tag),
            Err(WechatError::Api(e)) if e.kind == ApiErrorKind::Query(QueryCode::NotFound) => {
                not_ours(link, UserError::from(WechatError::Api(e.clone())), tag)
            }
            Err(e) => not_checked(link, Some(UserError::from(e.clone()))),
        },
    }
}

/// The advice for another mini program's link: overwrite it if it should be ours.
fn overwrite(tag: &TagFacts) -> Bilingual {
    words::or_replace(tag, words::overwrite_if_it_should_be_ours())
}

/// A plain-text scheme says what it opens itself.
fn plaintext(link: &str, tag: &TagFacts) -> Finding {
    let s = PlainScheme::parse(link);
    Finding {
        headline: words::plaintext(s.appid.as_deref(), s.path.as_deref()),
        verdict: Verdict::WechatOther {
            openlink: link.to_string(),
            appid: s.appid,
            path: s.path,
            query: s.query,
            source: "plaintext".into(),
            query_error: None,
            expire_time: None,
            env_version: s.env_version,
        },
        advice: overwrite(tag),
    }
}

/// WeChat could not be asked (no client, no network, another error: `query_error`).
fn not_checked(link: &str, query_error: Option<UserError>) -> Finding {
    Finding {
        headline: words::not_checked(),
        advice: words::check_again_online(query_error.as_ref()),
        verdict: Verdict::WechatOther {
            openlink: link.to_string(),
            appid: None,
            path: None,
            query: None,
            source: "offline".into(),
            query_error,
            expire_time: None,
            env_version: None,
        },
    }
}

/// `queryscheme` knew the link: which mini program, which page, until when, which version.
fn answered(link: &str, a: &SchemeAnswer, our_appid: &str, tag: &TagFacts) -> Finding {
    let i = &a.scheme_info;
    let page = if i.query.is_empty() {
        i.path.clone()
    } else {
        format!("{}?{}", i.path, i.query)
    };
    let other_app = !i.appid.is_empty() && i.appid != our_appid;
    let mut headline = if other_app {
        words::other_app(&i.appid, &page)
    } else {
        words::this_app_elsewhere(&page)
    };
    let now_s = now_ms() / 1000;
    let expired = i.expire_time > 0 && i.expire_time <= now_s;
    if expired {
        headline = headline.then(words::expired(i.expire_time));
    } else if i.expire_time > 0 {
        headline = headline.then(words::valid_until(i.expire_time));
    }
    let test_version = words::test_version_note(&i.env_version);
    let rewrite = expired || test_version.is_some();
    if let Some(note) = test_version {
        headline = headline.then(note);
    }
    let advice = if rewrite {
        words::or_replace(tag, words::rewrite_for_the_right_store())
    } else {
        overwrite(tag)
    };
    Finding {
        verdict: Verdict::WechatOther {
            openlink: link.to_string(),
            appid: (!i.appid.is_empty()).then(|| i.appid.clone()),
            path: Some(i.path.clone()),
            query: Some(i.query.clone()),
            source: "queryscheme".into(),
            query_error: None,
            expire_time: Some(i.expire_time),
            env_version: (!i.env_version.is_empty()).then(|| i.env_version.clone()),
        },
        headline,
        advice,
    }
}

/// WeChat does not know the link for the configured mini program (85403): another mini program's.
fn not_ours(link: &str, err: UserError, tag: &TagFacts) -> Finding {
    Finding {
        verdict: Verdict::WechatOther {
            openlink: link.to_string(),
            appid: None,
            path: None,
            query: None,
            source: "not_ours".into(),
            query_error: Some(err),
            expire_time: None,
            env_version: None,
        },
        headline: words::other_app_unknown(),
        advice: overwrite(tag),
    }
}

#[cfg(test)]
mod tests {
    use super::super::explain;
    use super::super::test_support::*;
    use super::*;
    use tapstand_tag::ndef::wechat::{uri_and_aar, WECHAT_PACKAGE};
    use tapstand_vtag::{nth_uid, TagState, VChip};
    use tapstand_wechat::{ApiError, Endpoint, SchemeInfo, TransportKind};

    struct Double(Result<SchemeAnswer, WechatError>);

    impl SchemeQuery for Double {
        fn appid(&self) -> &str {
            "wx5a1b2c3d4e5f6071"
        }
        fn query<'a>(&'a self, _scheme: &'a str) -> QueryFuture<'a> {
            let r = self.0.clone();
            Box::pin(async move { r })
        }
    }

    fn answer(appid: &str, expire_time: i64, env: &str) -> Double {
        Double(Ok(SchemeAnswer {
            scheme_info: SchemeInfo {
                appid: appid.into(),
                path: "pages/index/index".into(),
                query: "from=nfc".into(),
                create_time: 1_700_000_000,
                expire_time,
                env_version: env.into(),
            },
            remain_visit_quota: Some(100),
        }))
    }

    #[tokio::test]
    async fn wechat_link_not_in_the_ledger() {
        let (db, _d) = db().await;
        let r = read(wechat_tag(nth_uid(3), OTHER));

        // queryscheme knows it: this mini program, another install.
        let d = answer("wx5a1b2c3d4e5f6071", 0, "release");
        let i = explain(&db, &r, Some(&d)).await;
        match &i.verdict {
            Verdict::WechatOther {
                source,
                path,
                query,
                appid,
                expire_time,
                query_error,
                ..
            } => {
                assert_eq!(source, "queryscheme");
                assert_eq!(path.as_deref(), Some("pages/index/index"));
                assert_eq!(query.as_deref(), Some("from=nfc"));
                assert_eq!(appid.as_deref(), Some("wx5a1b2c3d4e5f6071"));
                assert_eq!(*expire_time, Some(0));
                assert!(query_error.is_none());
            }
            v => panic!("{v:?}"),
        }
        assert!(i
            .headline
            .zh
            .contains("本小程序的碰一碰标签，但不是这台电脑写的"));
        assert!(i.headline.zh.contains("pages/index/index?from=nfc"));

        // Expired, trial version.
        let d = answer("wx5a1b2c3d4e5f6071", 1_700_000_100, "trial");
        let i = explain(&db, &r, Some(&d)).await;
        assert!(
            i.headline.zh.contains("链接已于 2023-11-15 过期"),
            "{}",
            i.headline.zh
        );
        assert!(i.headline.zh.contains("体验版"));

        // 85403: another mini program's tag.
        let d = Double(Err(WechatError::Api(ApiError::new(
            Endpoint::QueryScheme,
            85403,
            "scheme not exist rid: 1",
        ))));
        let i = explain(&db, &r, Some(&d)).await;
        match &i.verdict {
            Verdict::WechatOther {
                source,
                query_error,
                ..
            } => {
                assert_eq!(source, "not_ours");
                assert_eq!(query_error.as_ref().unwrap().code, "wechat.query.not_found");
            }
            v => panic!("{v:?}"),
        }
        assert!(i.headline.zh.starts_with("这是另一个小程序的碰一碰标签"));
        assert!(i.advice.zh.contains("覆盖"));

        // Offline: no answer from WeChat.
        let d = Double(Err(WechatError::Transport {
            endpoint: Endpoint::QueryScheme,
            kind: TransportKind::Connect,
            detail: "connection refused".into(),
        }));
        let i = explain(&db, &r, Some(&d)).await;
        match &i.verdict {
            Verdict::WechatOther {
                source,
                query_error,
                ..
            } => {
                assert_eq!(source, "offline");
                assert_eq!(query_error.as_ref().unwrap().code, "wechat.network.connect");
            }
            v => panic!("{v:?}"),
        }
        assert!(i.headline.zh.contains("现在无法向微信核对"));

        // No client at all.
        let i = explain(&db, &r, None).await;
        assert!(matches!(
            &i.verdict,
            Verdict::WechatOther { source, query_error: None, .. } if source == "offline"
        ));
    }

    #[tokio::test]
    async fn plaintext_scheme_says_what_it_opens() {
        let (db, _d) = db().await;
        let link = "weixin://dl/business/?appid=wx1234567890abcdef&path=pages/a/b&query=x%3D1%26y%3D2&env_version=release";
        let m = uri_and_aar(link, Some(WECHAT_PACKAGE)).encode().unwrap();
        let i = explain(
            &db,
            &read(TagState::with_message(VChip::Ntag216, nth_uid(4), &m)),
            None,
        )
        .await;
        match &i.verdict {
            Verdict::WechatOther {
                source,
                appid,
                path,
                query,
                ..
            } => {
                assert_eq!(source, "plaintext");
                assert_eq!(appid.as_deref(), Some("wx1234567890abcdef"));
                assert_eq!(path.as_deref(), Some("pages/a/b"));
                assert_eq!(query.as_deref(), Some("x=1&y=2"));
            }
            v => panic!("{v:?}"),
        }
        assert!(i.problems.iter().any(|p| p.zh.contains("明文")));
    }
}

//! The access-token cache: in memory, refreshed at least 300 s before expiry, single-flight (any number
//! of concurrent callers cause one token request; a failed request is shared with the callers that were
//! waiting for it), compare-and-invalidate on a refused token.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::client::Clock;
use crate::error::WechatError;

/// An access token. Registered for log redaction when created; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(Arc<str>);

impl AccessToken {
    pub(crate) fn new(value: &str) -> AccessToken {
        tapstand_secrets::redact::register(value);
        AccessToken(Arc::from(value))
    }

    /// Only for putting it in the request URL.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken([REDACTED])")
    }
}

/// Refresh this long before expiry (the stable token rotates in its last 5 minutes).
pub const REFRESH_MARGIN_SECS: i64 = 300;

struct Cached {
    token: AccessToken,
    refresh_at_ms: i64,
}

#[derive(Default)]
struct State {
    cached: Option<Cached>,
    /// Incremented by every completed fetch.
    generation: u64,
    last_error: Option<WechatError>,
}

impl State {
    fn fresh(&self, now_ms: i64) -> Option<AccessToken> {
        self.cached
            .as_ref()
            .filter(|c| now_ms < c.refresh_at_ms)
            .map(|c| c.token.clone())
    }
}

pub(crate) struct TokenCache {
    clock: Clock,
    state: Mutex<State>,
    /// Held while a fetch is running: the single flight.
    refresh: tokio::sync::Mutex<()>,
}

impl TokenCache {
    pub fn new(clock: Clock) -> TokenCache {
        TokenCache {
            clock,
            state: Mutex::new(State::default()),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    /// The cached token if it is not due for refresh; otherwise one caller runs `fetch` (returning the
    /// token and its `expires_in`) while the others wait for its result.
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<AccessToken, WechatError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(AccessToken, i64), WechatError>>,
    {
        let seen = {
            let s = self.lock();
            if let Some(t) = s.fresh(self.now()) {
                return Ok(t);
            }
            s.generation
        };
        let _flight = self.refresh.lock().await;
        {
            let s = self.lock();
            if let Some(t) = s.fresh(self.now()) {
                return Ok(t);
            }
            if s.generation != seen {
                if let Some(e) = &s.last_error {
                    // The fetch we waited for failed: share its error instead of asking again.
                    return Err(e.clone());
                }
            }
        }
        let result = fetch().await;
        let mut s = self.lock();
        s.generation += 1;
        match result {
            Ok((token, expires_in)) => {
                s.cached = Some(Self::entry(token.clone(), expires_in, self.now()));
                s.last_error = None;
                Ok(token)
            }
            Err(e) => {
                s.last_error = Some(e.clone());
                Err(e)
            }
        }
    }

    fn entry(token: AccessToken, expires_in: i64, now_ms: i64) -> Cached {
        // ≥ 300 s before expiry; for a short-lived answer (the stable token always has ≥ 300 s left),
        // half of what is left, so a token is never used near its end nor re-asked in a tight loop.
        let margin = REFRESH_MARGIN_SECS.min(expires_in / 2).max(0);
        Cached {
            token,
            refresh_at_ms: now_ms + (expires_in - margin).max(0) * 1000,
        }
    }

    /// Stores a token fetched outside [`get`](Self::get) ("test connection").
    pub fn store(&self, token: AccessToken, expires_in: i64) {
        let now = self.now();
        let mut s = self.lock();
        s.cached = Some(Self::entry(token, expires_in, now));
        s.generation += 1;
        s.last_error = None;
    }

    /// Forgets the cached token only if it is `failed` (another caller may already have replaced it).
    pub fn invalidate_if(&self, failed: &AccessToken) {
        let mut s = self.lock();
        if s.cached.as_ref().is_some_and(|c| &c.token == failed) {
            s.cached = None;
        }
    }

    pub fn clear(&self) {
        self.lock().cached = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

    fn clock(t: Arc<AtomicI64>) -> Clock {
        Arc::new(move || t.load(Ordering::SeqCst))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn single_flight_and_margin() {
        let t = Arc::new(AtomicI64::new(1_000_000));
        let cache = Arc::new(TokenCache::new(clock(t.clone())));
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..100 {
            let (cache, calls) = (cache.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get(|| async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        Ok((AccessToken::new("tok-one-abcdef"), 7200))
                    })
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().expose(), "tok-one-abcdef");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // 6899 s later: still fresh; 6900 s (300 s before expiry): refreshed.
        t.fetch_add(6_899_000, Ordering::SeqCst);
        let fetch = || async { Ok((AccessToken::new("tok-two-abcdef"), 7200)) };
        assert_eq!(cache.get(fetch).await.unwrap().expose(), "tok-one-abcdef");
        t.fetch_add(1_000, Ordering::SeqCst);
        assert_eq!(cache.get(fetch).await.unwrap().expose(), "tok-two-abcdef");
    }

    #[test]
    fn compare_and_invalidate() {
        let cache = TokenCache::new(clock(Arc::new(AtomicI64::new(0))));
        let a = AccessToken::new("token-aaaaaa");
        let b = AccessToken::new("token-bbbbbb");
        cache.store(b.clone(), 7200);
        cache.invalidate_if(&a);
        assert!(cache.lock().fresh(0).is_some(), "another token is kept");
        cache.invalidate_if(&b);
        assert!(cache.lock().fresh(0).is_none());
        assert!(!format!("{b:?}").contains("bbbbbb"));
    }
}

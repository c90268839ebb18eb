//! Shared cache for temporary credentials: one refresh at a time, early refresh
//! before expiry, and the old credentials kept when a refresh fails but they still work.

use std::future::Future;
use std::time::{Duration, SystemTime};

use tokio::sync::{Mutex, RwLock};
use tokio::time::Instant;

use super::{Credentials, CredentialsError};

#[derive(Debug)]
pub(crate) struct RefreshCache {
    state: RwLock<Option<Cached>>,
    // Held for the whole fetch so that concurrent callers wait for one refresh
    // instead of each starting their own.
    refresh: Mutex<()>,
    margin: Duration,
}

#[derive(Debug, Clone)]
struct Cached {
    credentials: Credentials,
    // Due when either clock says so: the wall clock (which the expiry is written in)
    // and tokio's monotonic one, which also keeps time across wall-clock jumps and can
    // be paused and advanced in tests.
    refresh_at: Option<(SystemTime, Instant)>,
}

impl RefreshCache {
    pub(crate) fn new(margin: Duration) -> Self {
        RefreshCache {
            state: RwLock::new(None),
            refresh: Mutex::new(()),
            margin,
        }
    }

    pub(crate) fn set_margin(&mut self, margin: Duration) {
        self.margin = margin;
    }

    /// Returns cached credentials while fresh, otherwise runs `fetch` (at most one
    /// concurrent run) and caches its result.
    pub(crate) async fn get_or_refresh<F, Fut>(
        &self,
        source_name: &str,
        fetch: F,
    ) -> Result<Credentials, CredentialsError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Credentials, CredentialsError>>,
    {
        if let Some(c) = self.fresh(SystemTime::now()).await {
            return Ok(c);
        }
        let _refreshing = self.refresh.lock().await;
        // Another caller may have refreshed while this one waited for the lock.
        let now = SystemTime::now();
        if let Some(c) = self.fresh(now).await {
            return Ok(c);
        }
        match fetch().await {
            Ok(credentials) => {
                if let Some(at) = credentials.expires_at.filter(|at| *at <= now) {
                    return Err(CredentialsError::expired(source_name, at));
                }
                let refresh_at = credentials.expires_at.map(|at| {
                    let wall = self.refresh_time(now, at);
                    let wait = wall.duration_since(now).unwrap_or(Duration::ZERO);
                    (wall, Instant::now() + wait)
                });
                *self.state.write().await = Some(Cached {
                    credentials: credentials.clone(),
                    refresh_at,
                });
                Ok(credentials)
            }
            Err(err) => {
                // Credentials inside the refresh margin still sign valid requests.
                let stale = self.state.read().await.clone();
                match stale {
                    Some(cached) if !cached.credentials.is_expired_at(now) => {
                        tracing::warn!(
                            source = source_name,
                            error = %err,
                            "credential refresh failed; using cached credentials until they expire"
                        );
                        Ok(cached.credentials)
                    }
                    _ => Err(err),
                }
            }
        }
    }

    async fn fresh(&self, now: SystemTime) -> Option<Credentials> {
        let state = self.state.read().await;
        let cached = state.as_ref()?;
        match cached.refresh_at {
            Some((wall, monotonic)) if wall <= now || monotonic <= Instant::now() => None,
            _ => Some(cached.credentials.clone()),
        }
    }

    /// `margin` before expiry, but never earlier than halfway through the lifetime, so
    /// credentials shorter-lived than the margin do not cause a refresh on every call.
    fn refresh_time(&self, now: SystemTime, expires_at: SystemTime) -> SystemTime {
        let lifetime = expires_at.duration_since(now).unwrap_or(Duration::ZERO);
        expires_at - self.margin.min(lifetime / 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn creds_expiring_in(secs: u64) -> Credentials {
        Credentials::new("id", "key").with_expiry(SystemTime::now() + Duration::from_secs(secs))
    }

    #[tokio::test]
    async fn caches_until_refresh_time() {
        let cache = RefreshCache::new(Duration::from_secs(300));
        let calls = AtomicUsize::new(0);
        for _ in 0..3 {
            cache
                .get_or_refresh("test", || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Ok(creds_expiring_in(3600))
                })
                .await
                .unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    // Paused time: `advance` moves tokio's clock at once, no waiting.
    #[tokio::test(start_paused = true)]
    async fn refreshes_inside_margin() {
        // With a margin longer than the whole lifetime, refresh happens halfway.
        let cache = RefreshCache::new(Duration::from_secs(300));
        let calls = AtomicUsize::new(0);
        let fetch = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(creds_expiring_in(100))
        };
        cache.get_or_refresh("test", fetch).await.unwrap();
        tokio::time::advance(Duration::from_secs(49)).await;
        cache.get_or_refresh("test", fetch).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "before half the lifetime");
        tokio::time::advance(Duration::from_secs(2)).await;
        cache.get_or_refresh("test", fetch).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2, "after half the lifetime");
    }

    #[tokio::test(start_paused = true)]
    async fn refreshes_the_margin_before_expiry() {
        let cache = RefreshCache::new(Duration::from_secs(300));
        let calls = AtomicUsize::new(0);
        let fetch = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(creds_expiring_in(7200))
        };
        cache.get_or_refresh("test", fetch).await.unwrap();
        tokio::time::advance(Duration::from_secs(7200 - 300 - 2)).await;
        cache.get_or_refresh("test", fetch).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_secs(3)).await;
        cache.get_or_refresh("test", fetch).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn expired_result_is_an_error_naming_the_source() {
        let cache = RefreshCache::new(Duration::from_secs(300));
        let err = cache
            .get_or_refresh("STS AssumeRole", || async {
                Ok(Credentials::new("id", "key").with_expiry(SystemTime::UNIX_EPOCH))
            })
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "STS AssumeRole: credentials expired at 1970-01-01T00:00:00Z"
        );
    }

    #[tokio::test]
    async fn failed_refresh_keeps_unexpired_credentials() {
        let cache = RefreshCache::new(Duration::from_secs(300));
        cache
            .get_or_refresh("t", || async { Ok(creds_expiring_in(100)) })
            .await
            .unwrap();
        // Force the next call to refresh by pretending the refresh time has passed.
        cache.state.write().await.as_mut().unwrap().refresh_at =
            Some((SystemTime::UNIX_EPOCH, Instant::now()));
        let got = cache
            .get_or_refresh("t", || async {
                Err(CredentialsError::unavailable("t", "connection refused"))
            })
            .await
            .unwrap();
        assert_eq!(got.secret_id, "id");
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_refresh() {
        let cache = Arc::new(RefreshCache::new(Duration::from_secs(300)));
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let cache = cache.clone();
            let calls = calls.clone();
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_refresh("t", || async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok(creds_expiring_in(3600))
                    })
                    .await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}

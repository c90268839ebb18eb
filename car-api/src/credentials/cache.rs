//! Shared cache for temporary credentials: one refresh at a time, early refresh
//! before expiry, and the old credentials kept when a refresh fails but they still work.

use std::fmt;
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
    wall_clock: Box<dyn WallClock>,
}

/// Where the cache reads the wall-clock time that expiry times are written in: the
/// system clock, or in tests one they set, so they can stand just before or after a
/// refresh time or an expiry without waiting for it.
trait WallClock: fmt::Debug + Send + Sync {
    fn now(&self) -> SystemTime;
}

#[derive(Debug)]
struct SystemClock;

impl WallClock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
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
            wall_clock: Box::new(SystemClock),
        }
    }

    /// The same cache reading the wall-clock time from `clock` instead of the system.
    #[cfg(test)]
    fn with_wall_clock(mut self, clock: impl WallClock + 'static) -> Self {
        self.wall_clock = Box::new(clock);
        self
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
        if let Some(c) = self.fresh(self.wall_clock.now()).await {
            return Ok(c);
        }
        let _refreshing = self.refresh.lock().await;
        // Another caller may have refreshed while this one waited for the lock.
        let now = self.wall_clock.now();
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

    // 2023-11-14T22:13:20Z; any fixed time does, the cache only compares and subtracts.
    const T0_UNIX: u64 = 1_700_000_000;

    /// A wall clock that stands still until a test moves it.
    #[derive(Debug, Clone)]
    struct TestClock(Arc<std::sync::Mutex<SystemTime>>);

    impl WallClock for TestClock {
        fn now(&self) -> SystemTime {
            *self.0.lock().unwrap()
        }
    }

    impl TestClock {
        fn new() -> Self {
            let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(T0_UNIX);
            TestClock(Arc::new(std::sync::Mutex::new(t0)))
        }

        /// Sets the clock to `secs` after the start.
        fn set(&self, secs: u64) {
            *self.0.lock().unwrap() = SystemTime::UNIX_EPOCH + Duration::from_secs(T0_UNIX + secs);
        }

        /// Credentials expiring `secs` after the start.
        fn creds_expiring_at(&self, secs: u64) -> Credentials {
            Credentials::new("id", "key")
                .with_expiry(SystemTime::UNIX_EPOCH + Duration::from_secs(T0_UNIX + secs))
        }

        fn cache(&self, margin: Duration) -> RefreshCache {
            RefreshCache::new(margin).with_wall_clock(self.clone())
        }
    }

    /// Asks the cache once with a fetch that counts its runs and returns `fetched`.
    async fn get(
        cache: &RefreshCache,
        calls: &AtomicUsize,
        fetched: Result<Credentials, CredentialsError>,
    ) -> Result<Credentials, CredentialsError> {
        cache
            .get_or_refresh("t", || async {
                calls.fetch_add(1, Ordering::SeqCst);
                fetched
            })
            .await
    }

    #[tokio::test]
    async fn caches_until_refresh_time() {
        let clock = TestClock::new();
        let cache = clock.cache(Duration::from_secs(300));
        let calls = AtomicUsize::new(0);
        for _ in 0..3 {
            get(&cache, &calls, Ok(clock.creds_expiring_at(3600)))
                .await
                .unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    // tokio's clock does not move here (not paused, and a test takes far less than the
    // hour the credentials live): only the wall clock can make the refresh due.
    #[tokio::test]
    async fn the_wall_clock_makes_a_refresh_due_the_margin_before_expiry() {
        let clock = TestClock::new();
        let cache = clock.cache(Duration::from_secs(300));
        let calls = AtomicUsize::new(0);
        get(&cache, &calls, Ok(clock.creds_expiring_at(3600)))
            .await
            .unwrap();
        clock.set(3600 - 300 - 1);
        get(&cache, &calls, Ok(clock.creds_expiring_at(7200)))
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "a second before");
        clock.set(3600 - 300);
        let got = get(&cache, &calls, Ok(clock.creds_expiring_at(7200)))
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2, "at the refresh time");
        assert_eq!(got.expires_at, clock.creds_expiring_at(7200).expires_at);
    }

    #[tokio::test]
    async fn a_margin_set_later_moves_the_refresh_time() {
        let clock = TestClock::new();
        let mut cache = clock.cache(Duration::from_secs(300));
        cache.set_margin(Duration::from_secs(60));
        let calls = AtomicUsize::new(0);
        get(&cache, &calls, Ok(clock.creds_expiring_at(3600)))
            .await
            .unwrap();
        // Inside the old 300 s margin, outside the new 60 s one.
        clock.set(3600 - 61);
        get(&cache, &calls, Ok(clock.creds_expiring_at(7200)))
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "61 s before expiry");
        clock.set(3600 - 60);
        get(&cache, &calls, Ok(clock.creds_expiring_at(7200)))
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2, "60 s before expiry");
    }

    // Paused time: `advance` moves tokio's clock at once, no waiting. The wall clock
    // stands still, so here tokio's clock alone makes the refresh due (as it must when
    // the wall clock is set back).
    #[tokio::test(start_paused = true)]
    async fn refreshes_inside_margin() {
        // With a margin longer than the whole lifetime, refresh happens halfway.
        let clock = TestClock::new();
        let cache = clock.cache(Duration::from_secs(300));
        let calls = AtomicUsize::new(0);
        get(&cache, &calls, Ok(clock.creds_expiring_at(100)))
            .await
            .unwrap();
        tokio::time::advance(Duration::from_secs(49)).await;
        get(&cache, &calls, Ok(clock.creds_expiring_at(100)))
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "before half the lifetime");
        tokio::time::advance(Duration::from_secs(1)).await;
        get(&cache, &calls, Ok(clock.creds_expiring_at(100)))
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2, "at half the lifetime");
    }

    #[tokio::test(start_paused = true)]
    async fn refreshes_the_margin_before_expiry() {
        let clock = TestClock::new();
        let cache = clock.cache(Duration::from_secs(300));
        let calls = AtomicUsize::new(0);
        get(&cache, &calls, Ok(clock.creds_expiring_at(7200)))
            .await
            .unwrap();
        tokio::time::advance(Duration::from_secs(7200 - 300 - 1)).await;
        get(&cache, &calls, Ok(clock.creds_expiring_at(7200)))
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_secs(1)).await;
        get(&cache, &calls, Ok(clock.creds_expiring_at(7200)))
            .await
            .unwrap();
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

    // `Credentials::is_expired_at`: expired when the expiry is not after now.
    #[tokio::test]
    async fn credentials_expiring_this_second_are_refused() {
        let clock = TestClock::new();
        let cache = clock.cache(Duration::from_secs(300));
        let calls = AtomicUsize::new(0);
        let err = get(&cache, &calls, Ok(clock.creds_expiring_at(0)))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "t: credentials expired at 2023-11-14T22:13:20Z"
        );
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_the_credentials_until_they_expire() {
        let clock = TestClock::new();
        let cache = clock.cache(Duration::from_secs(300));
        let calls = AtomicUsize::new(0);
        let refused = || Err(CredentialsError::unavailable("t", "connection refused"));
        get(&cache, &calls, Ok(clock.creds_expiring_at(100)))
            .await
            .unwrap();
        // Due (halfway through the lifetime), not yet expired: the old ones still sign.
        clock.set(99);
        let got = get(&cache, &calls, refused()).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2, "a refresh was tried");
        assert_eq!(got.expires_at, clock.creds_expiring_at(100).expires_at);
        // Expired: the refresh's own error, not credentials the server would refuse.
        clock.set(100);
        let err = get(&cache, &calls, refused()).await.unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(err.to_string(), "t: connection refused");
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_refresh() {
        let clock = TestClock::new();
        let cache = Arc::new(clock.cache(Duration::from_secs(300)));
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let cache = cache.clone();
            let calls = calls.clone();
            let fetched = clock.creds_expiring_at(3600);
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_refresh("t", || async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok(fetched)
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

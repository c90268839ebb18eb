//! Client-side throttling: one token bucket per action, shared by every task using a
//! client, so a busy program stays under the server's per-action limits instead of
//! collecting `RequestLimitExceeded` answers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Bucket {
    capacity: f64,
    per_sec: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn new(per_sec: u32) -> Bucket {
        let per_sec = f64::from(per_sec.max(1));
        Bucket {
            capacity: per_sec,
            per_sec,
            tokens: per_sec,
            last: Instant::now(),
        }
    }

    /// Takes a token, or says how long until one is available.
    fn take(&mut self, now: Instant) -> Option<Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.capacity);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            None
        } else {
            Some(Duration::from_secs_f64((1.0 - self.tokens) / self.per_sec))
        }
    }
}

/// Token buckets keyed by action name.
pub(crate) struct RateLimiter {
    buckets: Mutex<HashMap<&'static str, Bucket>>,
}

impl RateLimiter {
    pub(crate) fn new() -> RateLimiter {
        RateLimiter {
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Waits until `action` may be called again at `per_sec` calls per second.
    pub(crate) async fn acquire(&self, action: &'static str, per_sec: u32) {
        loop {
            let wait = {
                // A poisoned lock only means another task panicked mid-update; the
                // bucket is still a valid number, so keep going.
                let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
                buckets
                    .entry(action)
                    .or_insert_with(|| Bucket::new(per_sec))
                    .take(Instant::now())
            };
            match wait {
                None => return,
                Some(d) => tokio::time::sleep(d).await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_paces() {
        let start = Instant::now();
        let mut b = Bucket::new(20);
        b.last = start;
        for _ in 0..20 {
            assert!(b.take(start).is_none());
        }
        let wait = b
            .take(start)
            .expect("21st call in the same instant must wait");
        assert!(
            wait > Duration::from_millis(40) && wait <= Duration::from_millis(51),
            "{wait:?}"
        );
        assert!(b.take(start + Duration::from_millis(50)).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn limiter_spaces_calls_per_action() {
        let l = RateLimiter::new();
        let start = tokio::time::Instant::now();
        for _ in 0..25 {
            l.acquire("A", 20).await;
        }
        // 20 from the burst, 5 more at 50 ms each.
        assert!(tokio::time::Instant::now() - start >= Duration::from_millis(240));
        let before_b = tokio::time::Instant::now();
        l.acquire("B", 20).await;
        assert_eq!(
            tokio::time::Instant::now(),
            before_b,
            "another action has its own bucket"
        );
    }
}

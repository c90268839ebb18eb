//! Client-side throttling: one token bucket per action, shared by every task using a
//! client, so a busy program stays under the server's per-action limits instead of
//! collecting `RequestLimitExceeded` answers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

// tokio's clock, not std's: the waits are tokio sleeps, and tests pause this clock to
// check the pacing exactly.
use tokio::time::Instant;

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
        // 20 per second: one token every 50 ms.
        let wait = b
            .take(start)
            .expect("21st call in the same instant must wait");
        assert_near(wait, Duration::from_millis(50));
        // 49 ms later the token is 49/50 refilled: 1 ms to go.
        let wait = b.take(start + Duration::from_millis(49)).expect("not yet");
        assert_near(wait, Duration::from_millis(1));
        assert!(b.take(start + Duration::from_millis(50)).is_none());
    }

    /// Equal up to the rounding of the bucket's floating-point arithmetic.
    #[track_caller]
    fn assert_near(got: Duration, want: Duration) {
        assert!(
            got.abs_diff(want) < Duration::from_micros(1),
            "got {got:?}, want {want:?}"
        );
    }

    #[test]
    fn idle_time_refills_no_more_than_the_burst() {
        let start = Instant::now();
        let mut b = Bucket::new(20);
        b.last = start;
        let later = start + Duration::from_secs(60);
        for _ in 0..20 {
            assert!(b.take(later).is_none());
        }
        assert!(
            b.take(later).is_some(),
            "a minute idle still allows only 20"
        );
    }

    #[test]
    fn zero_rate_means_one_per_second() {
        let start = Instant::now();
        let mut b = Bucket::new(0);
        b.last = start;
        assert!(b.take(start).is_none());
        assert_eq!(b.take(start), Some(Duration::from_secs(1)));
    }

    #[tokio::test(start_paused = true)]
    async fn limiter_spaces_calls_per_action() {
        let l = RateLimiter::new();
        let start = Instant::now();
        let mut done = Vec::new();
        for _ in 0..25 {
            l.acquire("A", 20).await;
            done.push(Instant::now() - start);
        }
        // The burst of 20 goes at once; each later call waits one 50 ms interval
        // (tokio's timer rounds a sleep up to the next millisecond).
        assert!(done[..20].iter().all(|d| d.is_zero()), "{done:?}");
        for (i, d) in done[20..].iter().enumerate() {
            let want = Duration::from_millis(50 * (i as u64 + 1));
            assert!(
                *d >= want && *d <= want + Duration::from_millis(1),
                "call {} finished after {d:?}, want {want:?}",
                i + 21
            );
        }
        let before_b = Instant::now();
        l.acquire("B", 20).await;
        assert_eq!(
            Instant::now(),
            before_b,
            "another action has its own bucket"
        );
    }
}

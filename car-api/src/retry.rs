//! Which failures are retried, and how long to wait between attempts.

use std::time::Duration;

use rand::Rng;

use crate::config::RetryConfig;

/// How an attempt failed, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// `RequestLimitExceeded*`: the server did nothing; always retried.
    Throttled,
    /// The connection was never made, so the request provably never left.
    NotSent,
    /// 5xx, reset connection or timeout after sending: the server may have acted.
    MaybeSent,
    /// Anything else: retrying would give the same answer.
    Final,
}

impl Failure {
    pub(crate) fn retryable(self, retry_safe: bool) -> bool {
        match self {
            Failure::Throttled | Failure::NotSent => true,
            Failure::MaybeSent => retry_safe,
            Failure::Final => false,
        }
    }
}

/// Full-jitter exponential back-off for the wait before attempt `attempt + 1`.
pub(crate) fn backoff(cfg: &RetryConfig, attempt: u32) -> Duration {
    jitter(ceiling(cfg, attempt), &mut rand::thread_rng())
}

/// The longest wait after `attempt`: `initial_backoff` doubled per earlier retry, at
/// most `max_backoff`.
fn ceiling(cfg: &RetryConfig, attempt: u32) -> Duration {
    let exp = cfg
        .initial_backoff
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    exp.min(cfg.max_backoff)
}

/// A wait drawn uniformly from `0..=cap`, in whole milliseconds.
fn jitter(cap: Duration, rng: &mut impl Rng) -> Duration {
    let millis = cap.as_millis().min(u128::from(u64::MAX)) as u64;
    Duration::from_millis(rng.gen_range(0..=millis))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn classes() {
        assert!(Failure::Throttled.retryable(false));
        assert!(Failure::Throttled.retryable(true));
        assert!(Failure::NotSent.retryable(false));
        assert!(Failure::NotSent.retryable(true));
        assert!(!Failure::MaybeSent.retryable(false));
        assert!(Failure::MaybeSent.retryable(true));
        assert!(!Failure::Final.retryable(false));
        assert!(!Failure::Final.retryable(true));
    }

    #[test]
    fn ceiling_doubles_from_the_initial_back_off_up_to_the_maximum() {
        // The documented defaults: 100 ms first, doubling, never above 5 s.
        let cfg = RetryConfig::default();
        let ms = |attempt| ceiling(&cfg, attempt).as_millis();
        assert_eq!(ms(0), 100);
        assert_eq!(ms(1), 100);
        assert_eq!(ms(2), 200);
        assert_eq!(ms(3), 400);
        assert_eq!(ms(4), 800);
        assert_eq!(ms(5), 1600);
        assert_eq!(ms(6), 3200);
        assert_eq!(ms(7), 5000);
        assert_eq!(ms(40), 5000);
        assert_eq!(ms(u32::MAX), 5000);

        // Without a low maximum the doubling stops after 16 steps instead of overflowing.
        let wide = RetryConfig {
            max_backoff: Duration::MAX,
            ..RetryConfig::default()
        };
        assert_eq!(ceiling(&wide, 17), Duration::from_millis(100 << 16));
        assert_eq!(ceiling(&wide, 40), Duration::from_millis(100 << 16));
    }

    #[test]
    fn jitter_covers_zero_to_the_ceiling() {
        // A fixed seed keeps this deterministic; the checks are properties of a
        // uniform draw, not values taken from this code.
        let mut rng = rand::rngs::StdRng::seed_from_u64(8);
        let cap = Duration::from_millis(400);
        let draws: Vec<u64> = (0..2000)
            .map(|_| jitter(cap, &mut rng).as_millis() as u64)
            .collect();
        assert!(draws.iter().all(|&d| d <= 400));
        assert!(draws.iter().any(|&d| d <= 20), "never near zero");
        assert!(draws.iter().any(|&d| d >= 380), "never near the ceiling");
        let mean = draws.iter().sum::<u64>() as f64 / draws.len() as f64;
        assert!((180.0..=220.0).contains(&mean), "mean {mean}");
        assert_eq!(jitter(Duration::ZERO, &mut rng), Duration::ZERO);
    }

    #[test]
    fn backoff_is_bounded_and_not_zero() {
        let cfg = RetryConfig::default();
        for attempt in 1..10 {
            let cap = ceiling(&cfg, attempt);
            // 500 uniform draws all in the lower half: probability 2^-500.
            let draws: Vec<Duration> = (0..500).map(|_| backoff(&cfg, attempt)).collect();
            assert!(draws.iter().all(|d| *d <= cap), "attempt {attempt}");
            assert!(
                draws.iter().any(|d| *d > cap / 2),
                "attempt {attempt}: back-off never reaches the upper half of {cap:?}"
            );
        }
    }
}

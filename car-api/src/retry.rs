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
    let exp = cfg
        .initial_backoff
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let cap = exp.min(cfg.max_backoff);
    let millis = cap.as_millis().min(u128::from(u64::MAX)) as u64;
    Duration::from_millis(rand::thread_rng().gen_range(0..=millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert!(Failure::Throttled.retryable(false));
        assert!(Failure::NotSent.retryable(false));
        assert!(!Failure::MaybeSent.retryable(false));
        assert!(Failure::MaybeSent.retryable(true));
        assert!(!Failure::Final.retryable(true));
    }

    #[test]
    fn backoff_is_bounded_and_grows() {
        let cfg = RetryConfig::default();
        for attempt in 1..40 {
            let d = backoff(&cfg, attempt);
            assert!(d <= cfg.max_backoff);
            let ceiling = cfg
                .initial_backoff
                .saturating_mul(1 << (attempt - 1).min(16));
            assert!(d <= ceiling);
        }
    }
}

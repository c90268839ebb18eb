//! Which failures are retried, and how long to wait between attempts.

use std::future::Future;
use std::time::Duration;

use rand::Rng;
use tokio::time::Instant;

use crate::config::RetryConfig;
use crate::error::{Error, ErrorKind};

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

/// How one call may be retried.
pub(crate) struct Plan<'a> {
    pub(crate) retry: &'a RetryConfig,
    /// Attempts in all; may differ from `retry.max_attempts` for one call.
    pub(crate) max_attempts: u32,
    /// The whole call's deadline, counted from the first attempt.
    pub(crate) deadline: Duration,
    /// Whether a failure after the request may have been sent can be retried.
    pub(crate) retry_safe: bool,
}

/// Runs `attempt` (given its number and the call's deadline) until it succeeds, fails
/// for good, runs out of attempts, or the deadline leaves no room. `wait` gives the
/// back-off after each failed attempt. Every timer is tokio's, so tests run it on
/// paused time.
pub(crate) async fn run<T, F, Fut>(
    plan: Plan<'_>,
    mut wait: impl FnMut(u32) -> Duration,
    mut attempt: F,
) -> Result<T, Error>
where
    F: FnMut(u32, Instant) -> Fut,
    Fut: Future<Output = (Result<T, Error>, Failure)>,
{
    let started = Instant::now();
    // A deadline beyond what the clock can hold is no deadline.
    let deadline = started
        .checked_add(plan.deadline)
        .unwrap_or_else(|| started + Duration::from_secs(100 * 365 * 86_400));
    let gave_up = |attempts: u32, last: Option<Error>| {
        Error::new(ErrorKind::Deadline {
            after: plan.deadline,
            attempts,
            elapsed: started.elapsed(),
            last_error: last.map(Box::new),
        })
    };
    let mut n = 0u32;
    loop {
        n += 1;
        let (result, failure) = match tokio::time::timeout_at(deadline, attempt(n, deadline)).await
        {
            Ok(outcome) => outcome,
            Err(_) => return Err(gave_up(n, None)),
        };
        let err = match result {
            Ok(value) => return Ok(value),
            Err(e) => e,
        };
        // The transport's own timer is set to the time left, so its timeout at the
        // deadline is the deadline.
        if matches!(err.kind(), ErrorKind::Timeout { .. }) && Instant::now() >= deadline {
            return Err(gave_up(n, None));
        }
        let may_retry = failure.retryable(plan.retry_safe)
            && n < plan.max_attempts
            && started.elapsed() < plan.retry.max_elapsed;
        if !may_retry {
            return Err(err);
        }
        let pause = wait(n);
        if Instant::now() + pause >= deadline {
            return Err(gave_up(n, Some(err)));
        }
        tracing::info!(
            code = err.code(),
            attempt = n,
            wait_ms = pause.as_millis() as u64,
            "retrying"
        );
        tokio::time::sleep(pause).await;
    }
}

/// Full-jitter exponential back-off for the wait before attempt `attempt + 1`.
pub fn backoff(cfg: &RetryConfig, attempt: u32) -> Duration {
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

    fn plan(cfg: &RetryConfig, max_attempts: u32, deadline_secs: u64) -> Plan<'_> {
        Plan {
            retry: cfg,
            max_attempts,
            deadline: Duration::from_secs(deadline_secs),
            retry_safe: true,
        }
    }

    fn throttled() -> (Result<(), Error>, Failure) {
        (
            Err(Error::api("RequestLimitExceeded", "slow down", None)),
            Failure::Throttled,
        )
    }

    #[tokio::test(start_paused = true)]
    async fn an_attempt_running_into_the_deadline_is_cut_off_there() {
        // Attempts of 3 s with 1 s between them against a 10 s deadline: they start at
        // 0, 4 and 8 s, and the third is cut off at 10 s.
        let cfg = RetryConfig::default();
        let mut starts = Vec::new();
        let err = run(
            plan(&cfg, 10, 10),
            |_| Duration::from_secs(1),
            |n, _| {
                starts.push((n, Instant::now()));
                async {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    throttled()
                }
            },
        )
        .await
        .unwrap_err();
        assert_eq!(starts.len(), 3);
        assert_eq!(err.code(), "ClientTimeout");
        assert_eq!(
            err.message(),
            "gave up after 3 attempts in 10.0 s: deadline 10 s reached"
        );
        assert!(matches!(
            err.kind(),
            ErrorKind::Deadline {
                attempts: 3,
                last_error: None,
                ..
            }
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn no_retry_starts_when_its_back_off_would_pass_the_deadline() {
        // Instant failures, 4 s back-off, 10 s deadline: attempts at 0, 4 and 8 s; the
        // next would start at 12 s, so the call gives up at 8 s with the last error.
        let cfg = RetryConfig::default();
        let err = run(
            plan(&cfg, 10, 10),
            |_| Duration::from_secs(4),
            |_, _| async { throttled() },
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.message(),
            "gave up after 3 attempts in 8.0 s: the next attempt could not start before \
             the 10 s deadline; last error: RequestLimitExceeded: slow down"
        );
        match err.kind() {
            ErrorKind::Deadline {
                last_error: Some(last),
                elapsed,
                ..
            } => {
                assert!(last.is_throttling());
                assert_eq!(*elapsed, Duration::from_secs(8));
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_attempt_bound_still_ends_a_call_with_its_own_error() {
        let cfg = RetryConfig::default();
        let mut count = 0;
        let err = run(
            plan(&cfg, 2, 60),
            |_| Duration::from_secs(1),
            |_, _| {
                count += 1;
                async { throttled() }
            },
        )
        .await
        .unwrap_err();
        assert_eq!(count, 2);
        assert!(err.is_throttling(), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_that_succeeds_in_time_returns_its_value() {
        let cfg = RetryConfig::default();
        let got = run(
            plan(&cfg, 4, 10),
            |_| Duration::from_secs(2),
            |n, _| async move {
                if n < 3 {
                    throttled()
                } else {
                    (Ok(()), Failure::Final)
                }
            },
        )
        .await;
        assert!(got.is_ok());
    }

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

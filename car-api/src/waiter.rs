//! Polling until a resource reaches a state: the `wait_until_*` client methods, generated
//! from the spec's waiters, run [`wait`] with a [`WaitPolicy`].
//!
//! Time comes from tokio's clock, so tests can run waits under paused time.

use std::future::Future;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::{Client, Error};

/// How long to wait in all, and how to space the polls: the first poll goes out at once,
/// the next after `interval`, each later gap `backoff` times the one before, up to
/// `max_interval`. No poll starts after `timeout`, and a poll still running then is cut off.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WaitPolicy {
    /// The whole wait, every poll included.
    pub timeout: Duration,
    /// The gap after the first poll.
    pub interval: Duration,
    /// Each gap is this many times the previous one (1.0 keeps it constant).
    pub backoff: f64,
    /// The longest gap.
    pub max_interval: Duration,
}

impl Default for WaitPolicy {
    /// tccli's waiter defaults (180 s in all, 5 s between polls), backing off to 30 s.
    fn default() -> Self {
        WaitPolicy {
            timeout: Duration::from_secs(180),
            interval: Duration::from_secs(5),
            backoff: 1.5,
            max_interval: Duration::from_secs(30),
        }
    }
}

impl WaitPolicy {
    /// The default policy with another total timeout.
    pub fn with_timeout(timeout: Duration) -> Self {
        WaitPolicy {
            timeout,
            ..WaitPolicy::default()
        }
    }

    /// Sets the first gap between polls.
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Sets the growth factor of the gaps (values below 1.0 count as 1.0).
    #[must_use]
    pub fn backoff(mut self, factor: f64, max_interval: Duration) -> Self {
        self.backoff = factor;
        self.max_interval = max_interval;
        self
    }

    fn next_gap(&self, gap: Duration) -> Duration {
        let factor = if self.backoff.is_finite() && self.backoff > 1.0 {
            self.backoff
        } else {
            1.0
        };
        // Saturates instead of panicking on absurd policies (a gap of `Duration::MAX`).
        let grown =
            Duration::try_from_secs_f64(gap.as_secs_f64() * factor).unwrap_or(Duration::MAX);
        grown.min(self.max_interval.max(self.interval))
    }
}

/// What one poll found.
#[derive(Debug, Clone, PartialEq)]
pub enum Check<T> {
    /// The awaited state: the wait ends with this value.
    Done(T),
    /// A state the awaited one cannot follow: the wait ends with a failure.
    Failed(String),
    /// Not there yet; the state seen, for the timeout message.
    Pending(String),
}

/// Why a wait ended without success.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// The resource reached a state the awaited one cannot follow.
    #[error("waiter {waiter}: reached state `{state}`, which ends the wait unsuccessfully")]
    Failed {
        /// The waiter's spec name, e.g. `ApplicationVersionReady`.
        waiter: &'static str,
        /// The state seen.
        state: String,
    },
    /// The policy's timeout passed first.
    #[error("waiter {waiter}: gave up after {elapsed:?} and {attempts} poll(s); last state seen: {last_state}")]
    TimedOut {
        /// The waiter's spec name.
        waiter: &'static str,
        /// Time spent, by tokio's clock.
        elapsed: Duration,
        /// Polls that completed.
        attempts: u32,
        /// The state the last completed poll saw (`none` if no poll completed).
        last_state: String,
    },
    /// A poll failed after the client's own retries.
    #[error("waiter {waiter}: {source}")]
    Call {
        /// The waiter's spec name.
        waiter: &'static str,
        /// The call's error.
        #[source]
        source: Error,
    },
}

impl WaitError {
    /// The call error, when a poll failed.
    pub fn call_error(&self) -> Option<&Error> {
        match self {
            WaitError::Call { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Runs `poll` until it reports [`Check::Done`] or [`Check::Failed`], or `policy` runs out.
pub async fn wait<T, F, Fut>(
    policy: &WaitPolicy,
    waiter: &'static str,
    mut poll: F,
) -> Result<T, WaitError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Check<T>, Error>>,
{
    let start = Instant::now();
    // A timeout too large for the clock means no timeout.
    let deadline = start.checked_add(policy.timeout).unwrap_or_else(far_future);
    let mut gap = policy.interval;
    let mut attempts = 0u32;
    let mut last_state = String::from("none");
    loop {
        let timed_out = |attempts, last_state| WaitError::TimedOut {
            waiter,
            elapsed: start.elapsed(),
            attempts,
            last_state,
        };
        let outcome = match tokio::time::timeout_at(deadline, poll()).await {
            Ok(outcome) => outcome,
            Err(_) => return Err(timed_out(attempts, last_state)),
        };
        attempts += 1;
        match outcome.map_err(|source| WaitError::Call { waiter, source })? {
            Check::Done(value) => return Ok(value),
            Check::Failed(state) => return Err(WaitError::Failed { waiter, state }),
            Check::Pending(state) => last_state = state,
        }
        let next = Instant::now().checked_add(gap).unwrap_or_else(far_future);
        if next >= deadline {
            return Err(timed_out(attempts, last_state));
        }
        tokio::time::sleep_until(next).await;
        gap = policy.next_gap(gap);
    }
}

/// About thirty years on: later than any wait can run, early enough for every clock.
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(30 * 365 * 24 * 3600)
}

/// What a waiter reads into an awaited entry missing from the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbsentMeans {
    /// Not there yet: keep polling.
    Pending,
    /// Gone, which is what the waiter waits for.
    Success,
    /// Gone for good: stop with a failure.
    Failure,
}

/// A waiter by wire names; [`crate::metadata::WAITERS`] lists them.
#[derive(Debug, Clone, Copy)]
pub struct WaiterMeta {
    /// The spec name, e.g. `ApplicationVersionReady`.
    pub name: &'static str,
    /// The client method, e.g. `wait_until_application_version_ready`.
    pub method: &'static str,
    /// What it waits for.
    pub doc: &'static str,
    /// The action it polls.
    pub action: &'static str,
    /// Output list searched for the awaited entry.
    pub list: &'static str,
    /// Member of an entry that identifies it.
    pub key: &'static str,
    /// Member of an entry holding its state.
    pub state: &'static str,
    /// States that end the wait successfully.
    pub success: &'static [&'static str],
    /// States that end it with a failure.
    pub failure: &'static [&'static str],
    /// What an entry missing from the list means.
    pub absent: AbsentMeans,
}

/// A waiter by its spec name (`ApplicationVersionReady`) or method name
/// (`wait_until_application_version_ready`).
pub fn waiter_meta(name: &str) -> Option<&'static WaiterMeta> {
    crate::metadata::WAITERS
        .iter()
        .find(|w| w.name == name || w.method == name)
}

/// Reads one polled JSON response the way the generated waiters read typed ones.
fn check_json(w: &WaiterMeta, response: &Value, key: &str) -> Check<Value> {
    // An answer without the list says nothing about the entry; for a waiter whose success
    // is the entry's absence, reading it as empty would end the wait falsely.
    let Some(list) = response.get(w.list).and_then(Value::as_array) else {
        return Check::Pending(format!("no {} in the answer", w.list));
    };
    let entry = list
        .iter()
        .find(|e| e.get(w.key).and_then(Value::as_str) == Some(key));
    let Some(entry) = entry else {
        return match w.absent {
            AbsentMeans::Pending => Check::Pending("absent".into()),
            AbsentMeans::Success => Check::Done(Value::Null),
            AbsentMeans::Failure => Check::Failed("absent".into()),
        };
    };
    let state = entry
        .get(w.state)
        .and_then(Value::as_str)
        .unwrap_or("unset");
    if w.absent == AbsentMeans::Success {
        Check::Pending(state.to_owned())
    } else if w.success.contains(&state) {
        Check::Done(entry.clone())
    } else if w.failure.contains(&state) {
        Check::Failed(state.to_owned())
    } else {
        Check::Pending(state.to_owned())
    }
}

impl Client {
    /// Runs a waiter on JSON, as the CLI needs it: polls the waiter's action with
    /// `params` until the entry whose key member equals `key` reaches a success state.
    /// Returns that entry, or `null` for a waiter whose success is the entry's absence.
    pub async fn wait_json(
        &self,
        waiter: &'static WaiterMeta,
        params: &Value,
        key: &str,
        policy: &WaitPolicy,
    ) -> Result<Value, WaitError> {
        let Some(action) = crate::meta::action(waiter.action) else {
            let message = format!(
                "waiter {} polls {}, which is not an action",
                waiter.name, waiter.action
            );
            return Err(WaitError::Call {
                waiter: waiter.name,
                source: Error::invalid_request(None, message),
            });
        };
        wait(policy, waiter.name, || async {
            let response = self.call_json(action, params).await?;
            Ok(check_json(waiter, &response, key))
        })
        .await
    }
}

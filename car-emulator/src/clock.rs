//! Wall-clock time for everything the emulator dates: request skew checks, credential
//! expiry, processing delays and rate-limit windows. Tests hand in a [`ManualClock`] and
//! move it forward instead of sleeping.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// The current time in whole seconds since the Unix epoch (the unit of `X-TC-Timestamp`,
    /// COS key times and CAR's `StartTime`/`ExpiredTime`).
    fn unix_seconds(&self) -> i64 {
        match self.now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
        }
    }
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that stands still until told to move; clones share one time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<SystemTime>>,
}

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: SystemTime) -> ManualClock {
        ManualClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// A clock showing `secs` seconds after the Unix epoch.
    pub fn at_unix(secs: u64) -> ManualClock {
        ManualClock::new(UNIX_EPOCH + Duration::from_secs(secs))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }

    /// Sets the clock to `to` (which may be in the past).
    pub fn set(&self, to: SystemTime) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told_and_clones_share_it() {
        let clock = ManualClock::at_unix(1_700_000_000);
        let other = clock.clone();
        assert_eq!(clock.unix_seconds(), 1_700_000_000);
        other.advance(Duration::from_secs(301));
        assert_eq!(clock.unix_seconds(), 1_700_000_301);
        clock.set(UNIX_EPOCH - Duration::from_secs(5));
        assert_eq!(other.unix_seconds(), -5);
    }
}

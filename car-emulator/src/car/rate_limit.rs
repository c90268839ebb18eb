//! Per-action rate limits as the service states them (requests per second, per account):
//! a fixed one-second window per (account, action), timed by the emulator's clock so tests
//! move a `ManualClock` instead of waiting.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// Counts requests per (account, action) in the current second.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<(String, &'static str), Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    second: u64,
    count: u32,
}

impl RateLimiter {
    /// A limiter with every window empty.
    pub fn new() -> RateLimiter {
        RateLimiter::default()
    }

    /// Counts one request of `action` by `uin` at `now`; false when it is over `per_second`
    /// (a refused request does not count). A limit of 0 means none is documented.
    pub fn admit(&self, uin: &str, action: &'static str, per_second: u32, now: SystemTime) -> bool {
        if per_second == 0 {
            return true;
        }
        let second = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let window = windows
            .entry((uin.to_owned(), action))
            .or_insert(Window { second, count: 0 });
        if window.second != second {
            *window = Window { second, count: 0 };
        }
        if window.count >= per_second {
            return false;
        }
        window.count += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_limit_holds_within_a_second_per_account_and_action_and_resets_after() {
        let limiter = RateLimiter::new();
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_250);
        assert!(limiter.admit("1", "A", 2, t));
        assert!(limiter.admit("1", "A", 2, t + Duration::from_millis(500)));
        assert!(!limiter.admit("1", "A", 2, t + Duration::from_millis(700)));
        // Another action and another account have their own windows.
        assert!(limiter.admit("1", "B", 2, t));
        assert!(limiter.admit("2", "A", 2, t));
        // The next second starts a fresh window.
        assert!(limiter.admit("1", "A", 2, t + Duration::from_millis(750)));
        assert!(limiter.admit("1", "A", 2, t + Duration::from_millis(800)));
        assert!(!limiter.admit("1", "A", 2, t + Duration::from_millis(900)));
        assert!(limiter.admit("1", "A", 0, t), "no documented limit");
    }
}

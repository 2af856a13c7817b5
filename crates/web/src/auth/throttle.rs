//! Login throttling: after 5 failures in 15 minutes for one address or one account, further
//! attempts are refused until the oldest failure leaves the window. Kept in memory per process:
//! a brute force spread over several Relais processes gets 5 tries per process, which is still
//! far too few to matter against argon2id and 10-character passwords.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: usize = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginThrottle {
    /// `Some(wait)` when any of `keys` is locked out at `now`.
    pub fn locked_for(&self, keys: &[&str], now: Instant) -> Option<Duration> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = None;
        for key in keys {
            if let Some(list) = map.get_mut(*key) {
                while list
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= WINDOW)
                {
                    list.pop_front();
                }
                if list.len() >= MAX_FAILURES {
                    let oldest = list.front().copied().unwrap_or(now);
                    let w = WINDOW.saturating_sub(now.duration_since(oldest));
                    wait = Some(wait.map_or(w, |x: Duration| x.max(w)));
                }
            }
        }
        wait
    }

    pub fn record_failure(&self, keys: &[&str], now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        // Bound memory under a flood of distinct keys: forget everything rather than grow.
        if map.len() > 100_000 {
            map.clear();
        }
        for key in keys {
            let list = map.entry((*key).to_owned()).or_default();
            list.push_back(now);
            while list.len() > MAX_FAILURES {
                list.pop_front();
            }
        }
    }

    pub fn record_success(&self, keys: &[&str]) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in keys {
            map.remove(*key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_until_the_window_passes() {
        let t = LoginThrottle::default();
        let start = Instant::now();
        for i in 0..MAX_FAILURES {
            assert!(
                t.locked_for(&["ip:1", "user:a"], start).is_none(),
                "attempt {i} allowed"
            );
            t.record_failure(&["ip:1", "user:a"], start);
        }
        let wait = t.locked_for(&["user:a"], start).expect("locked");
        assert!(wait <= WINDOW && wait > WINDOW - Duration::from_secs(1));
        assert!(
            t.locked_for(&["ip:2", "user:b"], start).is_none(),
            "others are not affected"
        );
        assert!(
            t.locked_for(&["user:a"], start + WINDOW).is_none(),
            "unlocked after the window"
        );
    }

    #[test]
    fn success_clears_the_count() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..4 {
            t.record_failure(&["user:a"], now);
        }
        t.record_success(&["user:a"]);
        t.record_failure(&["user:a"], now);
        assert!(t.locked_for(&["user:a"], now).is_none());
    }
}

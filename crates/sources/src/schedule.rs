//! When to poll a source again, and how it is doing. Pure: times are given, never read.
//!
//! A healthy source is polled every `interval`. Each consecutive failure doubles the wait
//! (2×, 4×, 8× the interval…) up to [`MAX_BACKOFF`], less a random part of up to a fifth so
//! that sources which failed together (a network outage) do not all come back at the same
//! second; a `Retry-After` from the server is honoured, within the same cap. One success
//! resets everything.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The longest wait between two attempts, failures or `Retry-After` notwithstanding: a
/// source that was down for a week is still retried daily.
pub const MAX_BACKOFF: Duration = Duration::from_secs(24 * 60 * 60);
/// The shortest interval between polls of one source, whatever is configured: polling faster
/// is impolite to the site and useless for listening.
pub const MIN_INTERVAL: Duration = Duration::from_secs(60);
/// Characters of an error message kept in the state.
const MAX_ERROR_CHARS: usize = 500;

/// Where a source stands: what to send next time (validators), what was seen, how it went.
/// Times are Unix milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PollState {
    /// The last `ETag`, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// The last `Last-Modified`, sent back verbatim as `If-Modified-Since`.
    pub last_modified: Option<String>,
    /// Digest of the last content read, to skip servers that ignore validators.
    pub content_hash: Option<String>,
    /// Consecutive failures (0 after a success).
    pub failures: u32,
    /// When the source last answered usefully (content or "not modified").
    pub last_success_at: Option<i64>,
    /// The last failure's reason, for the source's page.
    pub last_error: Option<String>,
    /// When it last failed.
    pub last_error_at: Option<i64>,
    /// When the current run of failures began; `None` while healthy.
    pub failing_since: Option<i64>,
    /// When to poll next; `None` means now.
    pub next_poll_at: Option<i64>,
}

/// How a source is doing, for its page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Health {
    /// Not polled yet.
    NeverPolled,
    /// The last attempt worked.
    Ok { last_success_at: i64 },
    /// The last attempts failed.
    Failing {
        since: i64,
        failures: u32,
        last_error: String,
        last_success_at: Option<i64>,
        next_poll_at: Option<i64>,
    },
}

impl PollState {
    /// True when the source should be polled at `now`.
    pub fn is_due(&self, now: i64) -> bool {
        self.next_poll_at.is_none_or(|at| at <= now)
    }

    /// Records a successful fetch (new content or not): failures forgotten, next poll one
    /// interval from `now`. Validators and content digest are the caller's to set.
    pub fn after_success(&mut self, now: i64, interval: Duration) {
        self.failures = 0;
        self.failing_since = None;
        self.last_success_at = Some(now);
        self.next_poll_at = Some(now.saturating_add(millis(effective(interval))));
    }

    /// Records a "304 Not Modified" (or content identical to the last): a success.
    pub fn after_not_modified(&mut self, now: i64, interval: Duration) {
        self.after_success(now, interval);
    }

    /// Records a failure: the wait doubles with each consecutive one (see the module), at least
    /// `retry_after` when the server asked for it. `seed` drives the jitter: give something
    /// that differs between sources (a digest of the address) and tests stay deterministic.
    pub fn after_failure(
        &mut self,
        now: i64,
        interval: Duration,
        error: &str,
        retry_after: Option<Duration>,
        seed: u64,
    ) {
        self.failures = self.failures.saturating_add(1);
        self.failing_since.get_or_insert(now);
        self.last_error = Some(error.chars().take(MAX_ERROR_CHARS).collect());
        self.last_error_at = Some(now);
        let wait = backoff(interval, self.failures, seed)
            .max(retry_after.unwrap_or_default().min(MAX_BACKOFF));
        self.next_poll_at = Some(now.saturating_add(millis(wait)));
    }

    /// The source's health, for its page.
    pub fn health(&self) -> Health {
        match (self.failures, self.last_success_at) {
            (0, None) => Health::NeverPolled,
            (0, Some(last_success_at)) => Health::Ok { last_success_at },
            (failures, last_success_at) => Health::Failing {
                since: self
                    .failing_since
                    .or(self.last_error_at)
                    .unwrap_or_default(),
                failures,
                last_error: self.last_error.clone().unwrap_or_default(),
                last_success_at,
                next_poll_at: self.next_poll_at,
            },
        }
    }
}

/// The wait after the `failures`-th consecutive failure: interval × 2^failures, capped, less
/// up to a fifth chosen by `seed`.
pub fn backoff(interval: Duration, failures: u32, seed: u64) -> Duration {
    let doubled = effective(interval)
        .checked_mul(1u32.checked_shl(failures.min(31)).unwrap_or(u32::MAX))
        .unwrap_or(MAX_BACKOFF)
        .min(MAX_BACKOFF);
    // splitmix64: a well-mixed number from the seed and the failure count.
    let mut x = seed ^ u64::from(failures).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    let fraction = (x >> 11) as f64 / (1u64 << 53) as f64; // in [0, 1)
    doubled.mul_f64(1.0 - 0.2 * fraction)
}

fn effective(interval: Duration) -> Duration {
    interval.max(MIN_INTERVAL)
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);
    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn backoff_doubles_is_capped_and_jitter_stays_within_a_fifth() {
        for seed in [0, 1, 42, u64::MAX] {
            let mut previous = Duration::ZERO;
            for failures in 1..=4 {
                let wait = backoff(HOUR, failures, seed);
                let full = HOUR * 2u32.pow(failures);
                assert!(
                    wait <= full && wait >= full.mul_f64(0.8),
                    "{wait:?} vs {full:?}"
                );
                assert!(wait > previous, "grows with each failure");
                previous = wait;
            }
            assert!(backoff(HOUR, 5, seed) <= MAX_BACKOFF);
            assert!(backoff(HOUR, u32::MAX, seed) >= MAX_BACKOFF.mul_f64(0.8));
        }
        assert_eq!(backoff(HOUR, 2, 7), backoff(HOUR, 2, 7), "deterministic");
        assert_ne!(backoff(HOUR, 2, 7), backoff(HOUR, 2, 8), "the seed matters");
    }

    #[test]
    fn failures_grow_the_wait_and_a_success_resets_it() {
        let mut state = PollState::default();
        assert_eq!(state.health(), Health::NeverPolled);
        assert!(state.is_due(NOW));
        let mut waits = Vec::new();
        for attempt in 0..3 {
            let now = NOW + attempt * 1000;
            state.after_failure(now, HOUR, "server error", None, 9);
            waits.push(state.next_poll_at.expect("scheduled") - now);
        }
        assert!(waits[0] < waits[1] && waits[1] < waits[2], "{waits:?}");
        assert!(!state.is_due(NOW + 3000));
        assert_eq!(
            state.health(),
            Health::Failing {
                since: NOW,
                failures: 3,
                last_error: "server error".to_owned(),
                last_success_at: None,
                next_poll_at: state.next_poll_at,
            }
        );
        state.after_success(NOW + 10_000, HOUR);
        assert_eq!(state.failures, 0);
        assert_eq!(state.next_poll_at, Some(NOW + 10_000 + 3_600_000));
        assert_eq!(
            state.health(),
            Health::Ok {
                last_success_at: NOW + 10_000
            }
        );
        state.after_failure(NOW + 20_000, HOUR, "again", None, 9);
        assert_eq!(state.next_poll_at.map(|t| t - NOW - 20_000), Some(waits[0]));
    }

    #[test]
    fn retry_after_is_honoured_within_the_cap() {
        let mut state = PollState::default();
        state.after_failure(NOW, HOUR, "429", Some(HOUR * 10), 1);
        assert_eq!(state.next_poll_at, Some(NOW + 36_000_000));
        state.after_failure(NOW, HOUR, "429", Some(HOUR * 1000), 1);
        assert_eq!(state.next_poll_at, Some(NOW + 86_400_000));
    }

    #[test]
    fn tiny_intervals_are_raised_and_errors_are_bounded() {
        let mut state = PollState::default();
        state.after_success(NOW, Duration::ZERO);
        assert_eq!(state.next_poll_at, Some(NOW + 60_000));
        state.after_failure(NOW, HOUR, &"e".repeat(10_000), None, 0);
        assert_eq!(state.last_error.map(|e| e.len()), Some(MAX_ERROR_CHARS));
    }

    #[test]
    fn old_states_without_new_fields_still_load() {
        let state: PollState =
            serde_json::from_str(r#"{"etag":"\"v1\"","failures":2}"#).expect("readable");
        assert_eq!(state.etag.as_deref(), Some("\"v1\""));
        assert_eq!(state.failures, 2);
        assert_eq!(state.failing_since, None);
    }
}

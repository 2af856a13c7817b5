//! Time as stored: milliseconds since the Unix epoch, UTC. Both database backends keep it as a
//! 64-bit integer, so comparisons and ordering behave the same everywhere. Time zones are applied
//! only when showing a time to a person.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn now() -> Self {
        Self(chrono::Utc::now().timestamp_millis())
    }

    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub const fn millis(self) -> i64 {
        self.0
    }

    pub fn plus_seconds(self, seconds: i64) -> Self {
        Self(self.0.saturating_add(seconds.saturating_mul(1000)))
    }

    /// RFC 3339 in UTC, to the second: what the API and the audit page show.
    pub fn to_rfc3339(self) -> String {
        match chrono::DateTime::from_timestamp_millis(self.0) {
            Some(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            None => format!("@{}ms", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_utc_rfc3339() {
        assert_eq!(
            Timestamp::from_millis(0).to_rfc3339(),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            Timestamp::from_millis(1_700_000_000_999).to_rfc3339(),
            "2023-11-14T22:13:20Z"
        );
    }

    #[test]
    fn adding_seconds_never_overflows() {
        let far = Timestamp::from_millis(i64::MAX - 5);
        assert_eq!(far.plus_seconds(10).millis(), i64::MAX);
    }
}

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
        match self.utc() {
            Some((y, mo, d, h, mi, s)) => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"),
            None => format!("@{}ms", self.0),
        }
    }

    /// Day and minute in UTC, for people (`2024-05-01 12:34 UTC`); empty when out of range.
    pub fn to_utc_minute(self) -> String {
        match self.utc() {
            Some((y, mo, d, h, mi, _)) => format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02} UTC"),
            None => String::new(),
        }
    }

    /// Year, month, day, hour, minute, second in UTC. Read off the calendar directly rather
    /// than through a format string: lists draw dozens of these per page, and parsing a
    /// `strftime` pattern each time was a tenth of the inbox page's work.
    fn utc(self) -> Option<(i32, u32, u32, u32, u32, u32)> {
        use chrono::{Datelike, Timelike};
        let t = chrono::DateTime::from_timestamp_millis(self.0)?;
        Some((
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
        ))
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
    fn formats_the_minute_for_people() {
        assert_eq!(
            Timestamp::from_millis(1_700_000_000_999).to_utc_minute(),
            "2023-11-14 22:13 UTC"
        );
        assert_eq!(
            Timestamp::from_millis(-1).to_utc_minute(),
            "1969-12-31 23:59 UTC"
        );
        assert_eq!(Timestamp::from_millis(i64::MAX).to_utc_minute(), "");
        assert_eq!(
            Timestamp::from_millis(i64::MAX).to_rfc3339(),
            format!("@{}ms", i64::MAX)
        );
    }

    #[test]
    fn adding_seconds_never_overflows() {
        let far = Timestamp::from_millis(i64::MAX - 5);
        assert_eq!(far.plus_seconds(10).millis(), i64::MAX);
    }
}

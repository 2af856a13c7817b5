//! Times as people write them, turned into exact instants.
//!
//! A planned time is either absolute (RFC 3339 with its offset: `2026-06-01T09:00:00+02:00`) or
//! a wall-clock time in a time zone (`2026-06-01 09:00` in `Europe/Paris`). The second is what a
//! community manager means by "9 o'clock": it is resolved with the zone's rules for that very
//! day, so 09:00 in Paris is 07:00 UTC in summer and 08:00 UTC in winter. A wall-clock time that
//! does not exist (the hour skipped when clocks go forward) is refused with the reason; one that
//! happens twice (the hour repeated when they go back) is the first of the two.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("`{0}` is not a time zone; use an IANA name such as Europe/Paris or America/Montreal")]
    UnknownZone(String),
    #[error(
        "`{0}` is not a time; write it as 2026-06-01 09:00 (in the time zone given) or 2026-06-01T09:00:00+02:00"
    )]
    Unreadable(String),
    #[error("{0} does not exist in {1}: the clocks jump forward that night; choose another time")]
    Skipped(String, String),
    #[error("{0} is in the past; choose a time to come, or leave the time out to publish now")]
    Past(String),
}

pub fn zone(name: &str) -> Result<Tz, TimeError> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| TimeError::UnknownZone(name.trim().to_owned()))
}

/// The instant (milliseconds since the epoch, UTC) a written time means in `zone`.
pub fn resolve(written: &str, zone_name: &str) -> Result<i64, TimeError> {
    let s = written.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc).timestamp_millis());
    }
    let tz = zone(zone_name)?;
    let naive = [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .ok_or_else(|| TimeError::Unreadable(s.to_owned()))?;
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc).timestamp_millis()),
        LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc).timestamp_millis()),
        LocalResult::None => Err(TimeError::Skipped(s.to_owned(), tz.name().to_owned())),
    }
}

/// Like [`resolve`], refusing a time before `now_ms` (a minute of slack allows "right now").
pub fn resolve_future(written: &str, zone_name: &str, now_ms: i64) -> Result<i64, TimeError> {
    let at = resolve(written, zone_name)?;
    if at < now_ms - 60_000 {
        return Err(TimeError::Past(written.trim().to_owned()));
    }
    Ok(at)
}

/// An instant shown as wall-clock time in a zone, with its offset (`2026-06-01 09:00 +02:00`).
pub fn show(ms: i64, zone_name: &str) -> String {
    let Some(t) = Utc.timestamp_millis_opt(ms).single() else {
        return format!("@{ms}");
    };
    match zone(zone_name) {
        Ok(tz) => t
            .with_timezone(&tz)
            .format("%Y-%m-%d %H:%M %:z")
            .to_string(),
        Err(_) => t.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp_millis())
            .unwrap_or(i64::MIN)
    }

    #[test]
    fn nine_in_paris_follows_daylight_saving() {
        assert_eq!(
            resolve("2026-01-15 09:00", "Europe/Paris"),
            Ok(utc("2026-01-15T08:00:00Z"))
        );
        assert_eq!(
            resolve("2026-07-15 09:00", "Europe/Paris"),
            Ok(utc("2026-07-15T07:00:00Z"))
        );
        // The days the clocks change: 09:00 is still 09:00 on the wall.
        assert_eq!(
            resolve("2026-03-29 09:00", "Europe/Paris"),
            Ok(utc("2026-03-29T07:00:00Z"))
        );
        assert_eq!(
            resolve("2026-10-25 09:00", "Europe/Paris"),
            Ok(utc("2026-10-25T08:00:00Z"))
        );
    }

    #[test]
    fn the_skipped_hour_is_refused_and_the_repeated_hour_is_the_first() {
        let skipped = resolve("2026-03-29 02:30", "Europe/Paris").unwrap_err();
        assert!(matches!(skipped, TimeError::Skipped(..)));
        assert!(skipped.to_string().contains("clocks jump forward"));
        // 02:30 happens at +02:00 and again at +01:00; the first is 00:30 UTC.
        assert_eq!(
            resolve("2026-10-25 02:30", "Europe/Paris"),
            Ok(utc("2026-10-25T00:30:00Z"))
        );
        // Southern hemisphere and other offsets.
        assert_eq!(
            resolve("2026-04-05 02:30", "Australia/Sydney"),
            Ok(utc("2026-04-04T15:30:00Z"))
        );
        assert_eq!(
            resolve("2026-06-01T09:00", "America/Montreal"),
            Ok(utc("2026-06-01T13:00:00Z"))
        );
    }

    #[test]
    fn absolute_times_keep_their_offset_and_bad_input_says_why() {
        assert_eq!(
            resolve("2026-06-01T09:00:00+02:00", "Asia/Tokyo"),
            Ok(utc("2026-06-01T07:00:00Z"))
        );
        assert!(matches!(
            resolve("demain 9h", "UTC"),
            Err(TimeError::Unreadable(_))
        ));
        assert!(matches!(
            resolve("2026-06-01 09:00", "Paris"),
            Err(TimeError::UnknownZone(_))
        ));
        assert!(matches!(
            resolve("2026-02-30 09:00", "UTC"),
            Err(TimeError::Unreadable(_))
        ));
        let now = utc("2026-06-01T12:00:00Z");
        assert!(matches!(
            resolve_future("2026-06-01 09:00", "UTC", now),
            Err(TimeError::Past(_))
        ));
        assert!(
            resolve_future("2026-06-01 12:00", "UTC", now + 30_000).is_ok(),
            "a minute of slack"
        );
    }

    #[test]
    fn instants_show_as_wall_time() {
        assert_eq!(
            show(utc("2026-07-15T07:00:00Z"), "Europe/Paris"),
            "2026-07-15 09:00 +02:00"
        );
        assert_eq!(
            show(utc("2026-01-15T08:00:00Z"), "Nowhere/Land"),
            "2026-01-15 08:00 UTC"
        );
    }
}

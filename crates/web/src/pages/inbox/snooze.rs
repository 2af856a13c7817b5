//! When a snoozed conversation comes back: an hour from now, tomorrow at 09:00, next Monday at
//! 09:00, or a time typed by the member. "09:00" is the member's: the page's script sends the
//! browser's time zone with the form; without it (no script, or a zone we do not know), UTC.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Weekday};
use chrono_tz::Tz;
use relais_core::Timestamp;

/// Why a snooze time was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum SnoozeError {
    /// Not a preset we know, nor a readable date and time.
    Unreadable,
    /// The time is not in the future.
    Past,
}

/// The zone of a form's `tz` field (an IANA name), UTC when missing or unknown.
pub fn zone(raw: &str) -> Tz {
    raw.trim().parse().unwrap_or(chrono_tz::UTC)
}

/// The instant `day` at `time` in `tz`; in a spring-forward gap, the first valid instant
/// after it.
fn at_local(tz: Tz, day: NaiveDate, time: NaiveTime) -> Option<i64> {
    let mut probe = day.and_time(time);
    // A gap lasts an hour at most (30 minutes on Lord Howe Island): step until out of it.
    for _ in 0..8 {
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            return Some(t.timestamp_millis());
        }
        probe += Duration::minutes(15);
    }
    None
}

/// When a conversation snoozed now with `preset` (`1h`, `tomorrow`, `monday`, `until`) comes
/// back; `until` is a `datetime-local` value (`2024-05-02T14:30`) read in `tz`.
pub fn snooze_until(
    preset: &str,
    until: &str,
    tz: Tz,
    now: Timestamp,
) -> Result<Timestamp, SnoozeError> {
    let nine = NaiveTime::from_hms_opt(9, 0, 0).ok_or(SnoozeError::Unreadable)?;
    let today = chrono::DateTime::from_timestamp_millis(now.millis())
        .ok_or(SnoozeError::Unreadable)?
        .with_timezone(&tz)
        .date_naive();
    let at = match preset.trim() {
        "1h" => now.millis() + 3_600_000,
        "tomorrow" => {
            let day = today.succ_opt().ok_or(SnoozeError::Unreadable)?;
            at_local(tz, day, nine).ok_or(SnoozeError::Unreadable)?
        }
        "monday" => {
            // Next Monday: a week from today when today is a Monday.
            let ahead = match today.weekday() {
                Weekday::Mon => 7,
                other => 7 - i64::from(other.num_days_from_monday()),
            };
            let day = today + Duration::days(ahead);
            at_local(tz, day, nine).ok_or(SnoozeError::Unreadable)?
        }
        "until" | "" => {
            let raw = until.trim();
            let local = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
                .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M"))
                .map_err(|_| SnoozeError::Unreadable)?;
            at_local(tz, local.date(), local.time()).ok_or(SnoozeError::Unreadable)?
        }
        _ => return Err(SnoozeError::Unreadable),
    };
    if at <= now.millis() {
        return Err(SnoozeError::Past);
    }
    Ok(Timestamp::from_millis(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wednesday 2024-05-01, 12:00 UTC (14:00 in Paris).
    const NOW: Timestamp = Timestamp::from_millis(1_714_564_800_000);

    fn utc(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s)
            .expect("a test date")
            .timestamp_millis()
    }

    #[test]
    fn presets_land_at_nine_in_the_members_zone() {
        let paris = zone("Europe/Paris");
        assert_eq!(
            snooze_until("1h", "", paris, NOW).map(Timestamp::millis),
            Ok(NOW.millis() + 3_600_000)
        );
        assert_eq!(
            snooze_until("tomorrow", "", paris, NOW).map(Timestamp::millis),
            Ok(utc("2024-05-02T07:00:00Z"))
        );
        assert_eq!(
            snooze_until("monday", "", paris, NOW).map(Timestamp::millis),
            Ok(utc("2024-05-06T07:00:00Z"))
        );
        assert_eq!(
            snooze_until("tomorrow", "", zone("nowhere/at-all"), NOW).map(Timestamp::millis),
            Ok(utc("2024-05-02T09:00:00Z")),
            "an unknown zone is UTC"
        );
        // On a Monday, "next Monday" is a week later.
        let monday = Timestamp::from_millis(utc("2024-05-06T06:00:00Z"));
        assert_eq!(
            snooze_until("monday", "", paris, monday).map(Timestamp::millis),
            Ok(utc("2024-05-13T07:00:00Z"))
        );
    }

    #[test]
    fn a_typed_time_is_read_in_the_zone_and_must_be_ahead() {
        let paris = zone("Europe/Paris");
        assert_eq!(
            snooze_until("until", "2024-05-03T18:30", paris, NOW).map(Timestamp::millis),
            Ok(utc("2024-05-03T16:30:00Z"))
        );
        assert_eq!(
            snooze_until("until", "2024-04-30T18:30", paris, NOW),
            Err(SnoozeError::Past)
        );
        assert_eq!(
            snooze_until("until", "soon", paris, NOW),
            Err(SnoozeError::Unreadable)
        );
        assert_eq!(
            snooze_until("later", "", paris, NOW),
            Err(SnoozeError::Unreadable)
        );
        // 02:30 does not exist in Paris on 2024-03-31: the first valid time after it.
        let before = Timestamp::from_millis(utc("2024-03-30T00:00:00Z"));
        assert_eq!(
            snooze_until("until", "2024-03-31T02:30", paris, before).map(Timestamp::millis),
            Ok(utc("2024-03-31T01:00:00Z"))
        );
    }
}

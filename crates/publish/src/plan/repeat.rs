//! Recurring posts: the times of a post repeated every day, week or month, kept at the same
//! wall-clock time in its zone (a Monday 09:00 Paris post stays at 09:00 after the clocks
//! change). A month-end date repeats on each month's last day when the month is shorter (31
//! January → 28 February → 31 March). Occurrences are planned ahead as separate posts, so each
//! can be moved or refused on its own; hence a bound on how many.

use chrono::{Duration, LocalResult, Months, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// At most this many occurrences of one post (a year of weekly posts).
pub const MAX_OCCURRENCES: u32 = 52;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Every {
    Day,
    Week,
    Month,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RepeatError {
    #[error(
        "`{0}` is not a repetition; use daily, weekly or monthly (quotidien, hebdomadaire, mensuel)"
    )]
    Unknown(String),
    #[error("a post repeats 2 to {MAX_OCCURRENCES} times; give a count in that range")]
    Count,
}

impl Every {
    pub fn parse(written: &str) -> Result<Self, RepeatError> {
        match written.trim().to_lowercase().as_str() {
            "daily" | "day" | "quotidien" | "jour" => Ok(Every::Day),
            "weekly" | "week" | "hebdomadaire" | "semaine" => Ok(Every::Week),
            "monthly" | "month" | "mensuel" | "mois" => Ok(Every::Month),
            _ => Err(RepeatError::Unknown(written.trim().to_owned())),
        }
    }
}

/// The instants of `count` occurrences, the first at `first_ms` (UTC milliseconds), each the
/// same local time in `zone`. A local time that does not exist on a day (skipped when clocks go
/// forward) moves to the first minute after; one that happens twice is the first.
pub fn occurrences(
    first_ms: i64,
    zone: Tz,
    every: Every,
    count: u32,
) -> Result<Vec<i64>, RepeatError> {
    if !(2..=MAX_OCCURRENCES).contains(&count) {
        return Err(RepeatError::Count);
    }
    let Some(first) = Utc.timestamp_millis_opt(first_ms).single() else {
        return Err(RepeatError::Count);
    };
    let local = first.with_timezone(&zone).naive_local();
    let (day, time) = (local.date(), local.time());
    let mut out = Vec::with_capacity(count as usize);
    for n in 0..count {
        let date = match every {
            Every::Day => day.checked_add_signed(Duration::days(i64::from(n))),
            Every::Week => day.checked_add_signed(Duration::weeks(i64::from(n))),
            Every::Month => add_months_clamped(day, n),
        };
        let Some(date) = date else { break };
        if let Some(at) = resolve(zone, date.and_time(time)) {
            out.push(at);
        }
    }
    Ok(out)
}

/// `day` plus `n` months, on the same day of the month or, in a shorter month, its last day
/// (chrono clamps).
fn add_months_clamped(day: NaiveDate, n: u32) -> Option<NaiveDate> {
    day.checked_add_months(Months::new(n))
}

fn resolve(zone: Tz, local: NaiveDateTime) -> Option<i64> {
    let mut at = local;
    for _ in 0..=180 {
        match zone.from_local_datetime(&at) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                return Some(t.with_timezone(&Utc).timestamp_millis());
            }
            LocalResult::None => at += Duration::minutes(1),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(rfc3339: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .timestamp_millis()
    }
    const PARIS: Tz = chrono_tz::Europe::Paris;

    #[test]
    fn weekly_posts_keep_their_hour_across_daylight_saving() {
        // Monday 19 October 2026, 09:00 in Paris (UTC+2); the clocks go back on the 25th.
        let t = occurrences(ms("2026-10-19T07:00:00Z"), PARIS, Every::Week, 3).unwrap();
        assert_eq!(
            t,
            [
                ms("2026-10-19T07:00:00Z"),
                ms("2026-10-26T08:00:00Z"),
                ms("2026-11-02T08:00:00Z")
            ]
        );
    }

    #[test]
    fn daily_and_monthly_steps() {
        let d = occurrences(ms("2026-03-28T08:00:00Z"), PARIS, Every::Day, 3).unwrap();
        assert_eq!(
            d,
            [
                ms("2026-03-28T08:00:00Z"),
                ms("2026-03-29T07:00:00Z"),
                ms("2026-03-30T07:00:00Z")
            ]
        );
        // 31 January → the last day of each shorter month, back to the 31st when it exists.
        let m = occurrences(ms("2027-01-31T09:00:00Z"), PARIS, Every::Month, 4).unwrap();
        let days: Vec<String> = m
            .iter()
            .map(|t| {
                Utc.timestamp_millis_opt(*t)
                    .unwrap()
                    .with_timezone(&PARIS)
                    .format("%m-%d %H:%M")
                    .to_string()
            })
            .collect();
        assert_eq!(
            days,
            ["01-31 10:00", "02-28 10:00", "03-31 10:00", "04-30 10:00"]
        );
    }

    #[test]
    fn a_time_skipped_by_the_clocks_moves_forward_that_day_only() {
        // Saturday 28 March 2026 02:30 in Paris; on Sunday 29th 02:30 does not exist.
        let t = occurrences(ms("2026-03-28T01:30:00Z"), PARIS, Every::Day, 3).unwrap();
        assert_eq!(
            t,
            [
                ms("2026-03-28T01:30:00Z"),
                ms("2026-03-29T01:00:00Z"),
                ms("2026-03-30T00:30:00Z")
            ]
        );
    }

    #[test]
    fn counts_and_names_are_checked() {
        assert_eq!(
            occurrences(0, PARIS, Every::Day, 1),
            Err(RepeatError::Count)
        );
        assert_eq!(
            occurrences(0, PARIS, Every::Day, MAX_OCCURRENCES + 1),
            Err(RepeatError::Count)
        );
        assert_eq!(Every::parse(" Hebdomadaire "), Ok(Every::Week));
        assert_eq!(Every::parse("monthly"), Ok(Every::Month));
        assert!(matches!(
            Every::parse("yearly"),
            Err(RepeatError::Unknown(_))
        ));
    }
}

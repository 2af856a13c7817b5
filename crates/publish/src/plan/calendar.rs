//! The calendar's grid: the days of a week or of a month, weeks starting on Monday (as in France
//! and most of Europe), and the day an instant falls on in a time zone.

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};

use super::time;

/// The Monday-to-Sunday week holding `day`.
pub fn week_of(day: NaiveDate) -> [NaiveDate; 7] {
    let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
    std::array::from_fn(|i| monday + Duration::days(i as i64))
}

/// The weeks (Monday first) that hold the days of `day`'s month, from the week of the 1st to
/// the week of the last day.
pub fn month_of(day: NaiveDate) -> Vec<[NaiveDate; 7]> {
    let first = day.with_day(1).unwrap_or(day);
    let next_month = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    let last = next_month - Duration::days(1);
    let mut weeks = Vec::new();
    let mut monday = week_of(first)[0];
    while monday <= last {
        weeks.push(week_of(monday));
        monday += Duration::days(7);
    }
    weeks
}

/// The calendar day of an instant in a zone (UTC when the zone is unknown).
pub fn day_in(ms: i64, zone: &str) -> Option<NaiveDate> {
    let t = Utc.timestamp_millis_opt(ms).single()?;
    Some(match time::zone(zone) {
        Ok(tz) => t.with_timezone(&tz).date_naive(),
        Err(_) => t.date_naive(),
    })
}

/// The same wall-clock time as `ms` in `zone`, on another day: what dragging a post to another
/// day means. Fails like [`time::resolve`] when that time does not exist that day.
pub fn same_time_on(ms: i64, zone: &str, day: NaiveDate) -> Result<i64, time::TimeError> {
    let t = Utc.timestamp_millis_opt(ms).single().unwrap_or_default();
    let local = match time::zone(zone) {
        Ok(tz) => t.with_timezone(&tz).time(),
        Err(_) => t.time(),
    };
    time::resolve(
        &format!("{} {}", day.format("%Y-%m-%d"), local.format("%H:%M:%S")),
        zone,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn weeks_start_on_monday() {
        let w = week_of(d("2026-11-26"));
        assert_eq!((w[0], w[6]), (d("2026-11-23"), d("2026-11-29")));
        assert_eq!(week_of(d("2026-11-23"))[0], d("2026-11-23"));
        assert_eq!(
            week_of(d("2026-11-29"))[0],
            d("2026-11-23"),
            "Sunday ends the week"
        );
    }

    #[test]
    fn months_cover_every_day_in_whole_weeks() {
        let m = month_of(d("2026-02-10"));
        assert_eq!(m.first().map(|w| w[0]), Some(d("2026-01-26")));
        assert_eq!(m.last().map(|w| w[6]), Some(d("2026-03-01")));
        assert_eq!(m.len(), 5);
        let june = month_of(d("2026-06-15"));
        assert_eq!(june[0][0], d("2026-06-01"), "June 2026 starts on a Monday");
        for month in ["2026-01-05", "2026-03-31", "2026-08-01", "2027-02-01"] {
            let grid = month_of(d(month));
            let first = d(month).with_day(1).unwrap_or_default();
            assert!(grid[0].contains(&first), "{month}");
            assert!(
                grid.iter()
                    .flatten()
                    .filter(|x| x.month() == first.month())
                    .count()
                    >= 28
            );
        }
    }

    #[test]
    fn moving_keeps_the_wall_clock_time_across_daylight_saving() {
        // 09:00 in Paris on a winter day, moved to a summer day: still 09:00 in Paris.
        let winter = time::resolve("2026-03-27 09:00", "Europe/Paris").unwrap_or_default();
        let moved = same_time_on(winter, "Europe/Paris", d("2026-03-30")).unwrap_or_default();
        assert_eq!(time::show(moved, "Europe/Paris"), "2026-03-30 09:00 +02:00");
        assert_eq!(day_in(moved, "Europe/Paris"), Some(d("2026-03-30")));
        // 02:30 does not exist on the night clocks jump.
        let at_0230 = time::resolve("2026-03-27 02:30", "Europe/Paris").unwrap_or_default();
        assert!(same_time_on(at_0230, "Europe/Paris", d("2026-03-29")).is_err());
        // 23:30 UTC is already the next day in Paris.
        let late = time::resolve("2026-06-01T23:30:00Z", "UTC").unwrap_or_default();
        assert_eq!(day_in(late, "Europe/Paris"), Some(d("2026-06-02")));
    }
}

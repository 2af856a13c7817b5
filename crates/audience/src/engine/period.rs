//! Periods and time buckets in the site's time zone.
//!
//! A query's dates are the site's local dates ("today" in Paris is not today in UTC). The engine
//! works on instants, so a period is turned into `[start, end)` in milliseconds once, and time
//! buckets into a sorted list of their starting instants; events (sorted by time) are then put in
//! buckets by walking both lists, with no time-zone arithmetic per event.

use chrono::{DateTime, Datelike, Days, Duration, Months, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::query::{DateRange, TimeGrain};

/// A resolved period: instants, and the local dates it covers (for labels and comparisons).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start_ms: i64,
    /// Exclusive.
    pub end_ms: i64,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub tz: Tz,
}

/// Why a period cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PeriodError(pub String);

/// Resolves a date range for a site whose statistics start on `site_start` (local date), at
/// `now`. As in Plausible, `"7d"` and `"30d"` are the N whole days before today, `"6mo"` and
/// `"12mo"` the N whole calendar months before the current one.
pub fn resolve(
    range: &DateRange,
    now: DateTime<Utc>,
    tz: Tz,
    site_start: NaiveDate,
) -> Result<Period, PeriodError> {
    let today = now.with_timezone(&tz).date_naive();
    let (first, last) = match range {
        DateRange::Today => (today, today),
        DateRange::LastDays(n) => {
            let yesterday = today.pred_opt().unwrap_or(today);
            let back = u64::from(n.saturating_sub(1));
            (
                yesterday
                    .checked_sub_days(Days::new(back))
                    .unwrap_or(yesterday),
                yesterday,
            )
        }
        DateRange::ThisMonth => (today.with_day(1).unwrap_or(today), today),
        DateRange::LastMonths(n) => {
            let month_start = today.with_day(1).unwrap_or(today);
            let first = month_start
                .checked_sub_months(Months::new(*n))
                .unwrap_or(month_start);
            (first, month_start.pred_opt().unwrap_or(month_start))
        }
        DateRange::ThisYear => (
            NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
            today,
        ),
        DateRange::All => (site_start.min(today), today),
        DateRange::Dates(a, b) => {
            if a > b {
                return Err(PeriodError(format!(
                    "the date range starts ({a}) after it ends ({b}); swap the two dates"
                )));
            }
            (*a, *b)
        }
        DateRange::Instants(a, b) => {
            if a > b {
                return Err(PeriodError(
                    "the date range starts after it ends; swap the two instants".into(),
                ));
            }
            return Ok(Period {
                start_ms: a.timestamp_millis(),
                end_ms: b.timestamp_millis().saturating_add(1),
                first_day: a.with_timezone(&tz).date_naive(),
                last_day: b.with_timezone(&tz).date_naive(),
                tz,
            });
        }
    };
    Ok(Period {
        start_ms: local_midnight(tz, first),
        end_ms: local_midnight(tz, last.succ_opt().unwrap_or(last)),
        first_day: first,
        last_day: last,
        tz,
    })
}

impl Period {
    /// The period of the same length just before this one (for "compare with previous period").
    pub fn previous(&self) -> Period {
        let days = (self.last_day - self.first_day).num_days() + 1;
        let whole_days = self.start_ms == local_midnight(self.tz, self.first_day)
            && self.end_ms == local_midnight(self.tz, self.last_day + Duration::days(1));
        if whole_days {
            let last = self.first_day - Duration::days(1);
            let first = last - Duration::days(days - 1);
            return Period {
                start_ms: local_midnight(self.tz, first),
                end_ms: local_midnight(self.tz, self.first_day),
                first_day: first,
                last_day: last,
                tz: self.tz,
            };
        }
        let length = self.end_ms - self.start_ms;
        let start_ms = self.start_ms - length;
        Period {
            start_ms,
            end_ms: self.start_ms,
            first_day: day_of(self.tz, start_ms),
            last_day: day_of(self.tz, self.start_ms - 1),
            tz: self.tz,
        }
    }

    /// The grain `time` stands for: hours over a day or less, days up to about two months,
    /// months beyond.
    pub fn auto_grain(&self) -> TimeGrain {
        let days = (self.last_day - self.first_day).num_days() + 1;
        match days {
            ..=1 => TimeGrain::Hour,
            2..=62 => TimeGrain::Day,
            _ => TimeGrain::Month,
        }
    }

    /// Every bucket of the period at a grain: its starting instant and its label, in order. The
    /// first bucket starts at the period's start even when the grain would start earlier (a
    /// week that began before the period).
    pub fn buckets(&self, grain: TimeGrain) -> Vec<(i64, String)> {
        let grain = match grain {
            TimeGrain::Auto => self.auto_grain(),
            g => g,
        };
        let mut out = Vec::new();
        let mut local = bucket_start(grain, self.tz, self.start_ms);
        // A bound on the number of buckets: an "all" period of hours would be huge.
        while out.len() < 100_000 {
            let skipped_hour = grain == TimeGrain::Hour
                && self.tz.from_local_datetime(&local).earliest().is_none();
            let start = local_instant(self.tz, local).max(self.start_ms);
            if start >= self.end_ms {
                break;
            }
            // The hour a clock skips in spring has no bucket; the next one starts then.
            if !skipped_hour {
                out.push((start, label(grain, local)));
            }
            local = next_bucket(grain, local);
        }
        out
    }
}

/// The local start of the bucket holding an instant.
fn bucket_start(grain: TimeGrain, tz: Tz, at_ms: i64) -> NaiveDateTime {
    let local = DateTime::from_timestamp_millis(at_ms)
        .unwrap_or_default()
        .with_timezone(&tz)
        .naive_local();
    let day = local.date();
    let date = match grain {
        TimeGrain::Hour | TimeGrain::Auto => {
            return local
                .date()
                .and_hms_opt(chrono::Timelike::hour(&local), 0, 0)
                .unwrap_or(local);
        }
        TimeGrain::Day => day,
        TimeGrain::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
        TimeGrain::Month => day.with_day(1).unwrap_or(day),
    };
    date.and_hms_opt(0, 0, 0).unwrap_or(local)
}

fn next_bucket(grain: TimeGrain, local: NaiveDateTime) -> NaiveDateTime {
    match grain {
        TimeGrain::Hour | TimeGrain::Auto => local + Duration::hours(1),
        TimeGrain::Day => local + Duration::days(1),
        TimeGrain::Week => local + Duration::days(7),
        TimeGrain::Month => local
            .checked_add_months(Months::new(1))
            .unwrap_or(local + Duration::days(31)),
    }
}

/// How Plausible labels a bucket: `2024-05-01` for days, weeks and months,
/// `2024-05-01 13:00:00` for hours.
fn label(grain: TimeGrain, local: NaiveDateTime) -> String {
    match grain {
        TimeGrain::Hour | TimeGrain::Auto => local.format("%Y-%m-%d %H:00:00").to_string(),
        _ => local.format("%Y-%m-%d").to_string(),
    }
}

/// The instant a local date and time happens; a time skipped by a daylight-saving change is
/// taken as the first instant after the gap.
fn local_instant(tz: Tz, local: NaiveDateTime) -> i64 {
    for minutes in (0..=180).step_by(30) {
        let probe = local + Duration::minutes(minutes);
        if let Some(at) = tz.from_local_datetime(&probe).earliest() {
            return at.timestamp_millis();
        }
    }
    local.and_utc().timestamp_millis()
}

fn local_midnight(tz: Tz, day: NaiveDate) -> i64 {
    local_instant(tz, day.and_hms_opt(0, 0, 0).unwrap_or_default())
}

fn day_of(tz: Tz, at_ms: i64) -> NaiveDate {
    DateTime::from_timestamp_millis(at_ms)
        .unwrap_or_default()
        .with_timezone(&tz)
        .date_naive()
}

/// The UTC day an instant falls on: the day of the segment that holds it.
pub fn utc_day(at_ms: i64) -> NaiveDate {
    DateTime::from_timestamp_millis(at_ms)
        .unwrap_or_default()
        .date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_are_local_days_of_the_site() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        // 23:30 UTC on 31 March is already 1 April in Paris.
        let now = at("2024-03-31T23:30:00Z");
        let today = resolve(&DateRange::Today, now, paris, date("2020-01-01")).unwrap();
        assert_eq!(today.first_day, date("2024-04-01"));
        assert_eq!(
            today.start_ms,
            at("2024-03-31T22:00:00Z").timestamp_millis()
        );
        assert_eq!(today.end_ms, at("2024-04-01T22:00:00Z").timestamp_millis());

        let week = resolve(&DateRange::LastDays(7), now, paris, date("2020-01-01")).unwrap();
        assert_eq!(
            (week.first_day, week.last_day),
            (date("2024-03-25"), date("2024-03-31"))
        );
        // The week holds the spring-forward night: 7 days of 24 h but one of 23 h.
        assert_eq!(week.end_ms - week.start_ms, (7 * 24 - 1) * 3_600_000);
        assert_eq!(week.end_ms, today.start_ms);

        let half_year = resolve(&DateRange::LastMonths(6), now, paris, date("2020-01-01")).unwrap();
        assert_eq!(
            (half_year.first_day, half_year.last_day),
            (date("2023-10-01"), date("2024-03-31"))
        );
        let all = resolve(&DateRange::All, now, paris, date("2024-02-10")).unwrap();
        assert_eq!(all.first_day, date("2024-02-10"));
        assert!(
            resolve(
                &DateRange::Dates(date("2024-02-02"), date("2024-02-01")),
                now,
                paris,
                date("2020-01-01")
            )
            .is_err()
        );
    }

    #[test]
    fn previous_period_has_the_same_number_of_days() {
        let utc: Tz = "UTC".parse().unwrap();
        let p = resolve(
            &DateRange::Dates(date("2024-03-01"), date("2024-03-31")),
            at("2024-04-02T00:00:00Z"),
            utc,
            date("2020-01-01"),
        )
        .unwrap();
        let before = p.previous();
        assert_eq!(
            (before.first_day, before.last_day),
            (date("2024-01-30"), date("2024-02-29"))
        );
        assert_eq!(before.end_ms, p.start_ms);
    }

    #[test]
    fn buckets_follow_local_hours_days_weeks_and_months() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let day = resolve(
            &DateRange::Dates(date("2024-03-31"), date("2024-03-31")),
            at("2024-04-02T00:00:00Z"),
            paris,
            date("2020-01-01"),
        )
        .unwrap();
        let hours = day.buckets(TimeGrain::Auto);
        assert_eq!(hours.len(), 23, "the spring-forward day has 23 hours");
        assert_eq!(hours[0].1, "2024-03-31 00:00:00");
        assert_eq!(hours[2].1, "2024-03-31 03:00:00");
        assert_eq!(hours[2].0 - hours[1].0, 3_600_000);

        let march = resolve(
            &DateRange::Dates(date("2024-03-01"), date("2024-03-31")),
            at("2024-04-02T00:00:00Z"),
            paris,
            date("2020-01-01"),
        )
        .unwrap();
        assert_eq!(march.buckets(TimeGrain::Day).len(), 31);
        let weeks = march.buckets(TimeGrain::Week);
        assert_eq!(
            weeks[0],
            (march.start_ms, "2024-02-26".to_string()),
            "the week holding 1 March started on Monday 26 February"
        );
        assert_eq!(weeks[1].1, "2024-03-04");
        assert_eq!(
            march.buckets(TimeGrain::Month),
            vec![(march.start_ms, "2024-03-01".to_string())]
        );
    }
}

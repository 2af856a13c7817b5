//! When listening raises an alert, pure: whether the last complete
//! hour of a query's series is a spike (of mentions, or of the share of negative ones), and when
//! a digest is due. The caller brings the series from the store and sends what this decides.

use crate::spike::{self, SpikeRule};

pub const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// What a spike rule watches (the store keeps the rule's kind; keyword rules have no series).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpikeOf {
    /// The hourly count of mentions.
    Volume,
    /// The hourly share of negative mentions.
    NegativeShare,
}

/// How often a digest of alerts is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestEvery {
    /// Every day at the digest hour (UTC).
    Day,
    /// On Mondays at the digest hour (UTC).
    Week,
}

/// A query's mentions hour by hour, oldest first, from `start` (the start of an hour, Unix ms).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hourly {
    pub start: i64,
    pub total: Vec<u64>,
    pub negative: Vec<u64>,
}

impl Hourly {
    /// `hours` hours from `start`, filled from `(hour start, total, negative)` points; points
    /// outside the range are left out, hours without a point count 0.
    pub fn from_points(
        start: i64,
        hours: usize,
        points: impl IntoIterator<Item = (i64, u64, u64)>,
    ) -> Hourly {
        let mut series = Hourly {
            start,
            total: vec![0; hours],
            negative: vec![0; hours],
        };
        for (at, total, negative) in points {
            let offset = at - start;
            if offset < 0 || offset % HOUR_MS != 0 {
                continue;
            }
            if let Some(index) = usize::try_from(offset / HOUR_MS)
                .ok()
                .filter(|i| *i < hours)
            {
                series.total[index] += total;
                series.negative[index] += negative;
            }
        }
        series
    }

    /// The start of the hour at `index`.
    pub fn hour_start(&self, index: usize) -> i64 {
        self.start + index as i64 * HOUR_MS
    }
}

/// A spike worth an alert.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpikeAlert {
    /// The hour that rose (its start, Unix ms): with the rule, what makes an alert unique.
    pub hour_start: i64,
    pub value: f64,
    pub threshold: f64,
    pub mean: f64,
}

/// The start of the hour before the one `now` is in: the last hour whose count is complete.
pub fn last_complete_hour(now: i64) -> i64 {
    now.div_euclid(HOUR_MS) * HOUR_MS - HOUR_MS
}

/// Whether the last hour of `series` (which should end with the last complete hour) is a spike
/// of `what`, for a rule with its `k` and minimum of mentions.
pub fn check_spike(
    what: SpikeOf,
    series: &Hourly,
    k: f64,
    min_mentions: u64,
) -> Option<SpikeAlert> {
    let (values, rule) = match what {
        SpikeOf::Volume => {
            let mut rule = SpikeRule::counts(k);
            rule.min_value = rule.min_value.max(min_mentions as f64);
            (spike::counts(&series.total), rule)
        }
        SpikeOf::NegativeShare => (
            spike::negative_shares(&series.negative, &series.total, min_mentions.max(1)),
            SpikeRule::shares(k),
        ),
    };
    let found = spike::latest_spike(&values, &rule)?;
    Some(SpikeAlert {
        hour_start: series.hour_start(found.index),
        value: found.value,
        threshold: found.threshold,
        mean: found.mean,
    })
}

/// The last moment a digest was due at or before `now`: today's (or yesterday's) `hour`
/// o'clock UTC, or for weekly digests the last Monday's.
pub fn last_digest_time(every: DigestEvery, now: i64, hour: u32) -> i64 {
    let offset = i64::from(hour.min(23)) * HOUR_MS;
    let day = (now - offset).div_euclid(DAY_MS);
    match every {
        DigestEvery::Day => day * DAY_MS + offset,
        DigestEvery::Week => {
            // 1970-01-01 was a Thursday: day 0 is 3 days after a Monday.
            let since_monday = (day + 3).rem_euclid(7);
            (day - since_monday) * DAY_MS + offset
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-12-07 (a Monday) 00:00 UTC.
    const MONDAY: i64 = 1_796_601_600_000;

    #[test]
    fn points_fill_their_hours_and_others_count_zero() {
        let start = MONDAY;
        let series = Hourly::from_points(
            start,
            3,
            [
                (start, 4, 1),
                (start + 2 * HOUR_MS, 7, 7),
                (start + 3 * HOUR_MS, 9, 0),
                (start - HOUR_MS, 9, 0),
                (start + 1, 9, 0),
            ],
        );
        assert_eq!(series.total, vec![4, 0, 7]);
        assert_eq!(series.negative, vec![1, 0, 7]);
    }

    #[test]
    fn the_last_hour_rising_is_an_alert_with_its_hour() {
        let mut points: Vec<(i64, u64, u64)> = (0..48)
            .map(|h| (MONDAY + h * HOUR_MS, 10 + (h as u64 % 3), 1))
            .collect();
        points.push((MONDAY + 48 * HOUR_MS, 40, 2));
        let series = Hourly::from_points(MONDAY, 49, points.clone());
        let alert = check_spike(SpikeOf::Volume, &series, 3.0, 5).expect("a spike");
        assert_eq!(alert.hour_start, MONDAY + 48 * HOUR_MS);
        assert_eq!(alert.value, 40.0);
        assert!(alert.threshold > 11.0 && alert.threshold < 40.0);
        // The share of negative ones did not rise (2 of 40).
        assert_eq!(check_spike(SpikeOf::NegativeShare, &series, 3.0, 5), None);
        // A minimum of mentions above the hour's count silences it.
        assert_eq!(check_spike(SpikeOf::Volume, &series, 3.0, 50), None);
        // An earlier spike is not the last hour's: no alert.
        points.push((MONDAY + 49 * HOUR_MS, 11, 1));
        let later = Hourly::from_points(MONDAY, 50, points);
        assert_eq!(check_spike(SpikeOf::Volume, &later, 3.0, 5), None);
    }

    #[test]
    fn a_rising_share_of_negative_mentions_is_an_alert() {
        let mut points: Vec<(i64, u64, u64)> = (0..30)
            .map(|h| (MONDAY + h * HOUR_MS, 20, 2 + (h as u64 % 2)))
            .collect();
        points.push((MONDAY + 30 * HOUR_MS, 20, 15));
        let series = Hourly::from_points(MONDAY, 31, points);
        let alert = check_spike(SpikeOf::NegativeShare, &series, 3.0, 10).expect("a spike");
        assert_eq!(alert.value, 0.75);
        // Too few mentions in the hour to judge the mood.
        assert_eq!(check_spike(SpikeOf::NegativeShare, &series, 3.0, 21), None);
    }

    #[test]
    fn the_last_complete_hour_is_the_one_before_now() {
        assert_eq!(last_complete_hour(MONDAY + 90 * 60_000), MONDAY);
        assert_eq!(last_complete_hour(MONDAY), MONDAY - HOUR_MS);
    }

    #[test]
    fn digests_are_due_at_the_hour_each_day_or_each_monday() {
        let eight = MONDAY + 8 * HOUR_MS;
        assert_eq!(last_digest_time(DigestEvery::Day, eight + 1, 8), eight);
        assert_eq!(
            last_digest_time(DigestEvery::Day, eight - 1, 8),
            eight - DAY_MS
        );
        assert_eq!(
            last_digest_time(DigestEvery::Week, eight + 3 * DAY_MS, 8),
            eight
        );
        assert_eq!(
            last_digest_time(DigestEvery::Week, eight - 1, 8),
            eight - 7 * DAY_MS
        );
    }
}

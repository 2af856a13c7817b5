//! A channel's queue: weekly publishing times ("Tuesday 09:00, Thursday 17:30" in a zone) and
//! the next one no post takes yet, for "add to queue".
//!
//! A slot is a wall-clock time in the channel's zone, resolved for each day with that day's
//! rules: a 09:00 slot in Europe/Paris is 07:00 UTC in summer and 08:00 UTC in winter. On the
//! night the clocks go forward, a slot in the skipped hour (02:30) moves to the first minute
//! that exists after it (03:00); on the night they go back, a slot in the repeated hour is the
//! first of the two.

use chrono::{Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A weekly time: ISO weekday (1 = Monday … 7 = Sunday) and minutes after midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct WeeklySlot {
    pub weekday: u8,
    pub minute: u16,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    #[error(
        "`{0}` is not a day of the week; use mon, tue, wed, thu, fri, sat or sun (or lun … dim)"
    )]
    Day(String),
    #[error("`{0}` is not a time of day; write it as 09:00 or 17:30")]
    Time(String),
}

/// How far ahead a free slot is looked for: past that, the queue is full.
pub const HORIZON_DAYS: i64 = 366;

impl WeeklySlot {
    pub fn new(weekday: u8, minute: u16) -> Option<Self> {
        ((1..=7).contains(&weekday) && minute < 24 * 60).then_some(Self { weekday, minute })
    }

    /// Reads `mon 09:00`, `lundi 9h30`, `Thu 17:30`.
    pub fn parse(written: &str) -> Result<Self, SlotError> {
        let mut words = written.split_whitespace();
        let day = words.next().unwrap_or_default();
        let time = words.collect::<Vec<_>>().join("");
        let weekday = weekday_of(day).ok_or_else(|| SlotError::Day(day.to_owned()))?;
        let minute = minute_of(&time).ok_or_else(|| SlotError::Time(time.clone()))?;
        Ok(Self { weekday, minute })
    }

    /// `mon 09:00`: what [`WeeklySlot::parse`] reads back.
    pub fn label(&self) -> String {
        const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        format!(
            "{} {:02}:{:02}",
            DAYS[usize::from(self.weekday.clamp(1, 7) - 1)],
            self.minute / 60,
            self.minute % 60
        )
    }
}

fn weekday_of(word: &str) -> Option<u8> {
    let w = word.trim_end_matches('.').to_lowercase();
    let prefixes: [(&[&str], u8); 7] = [
        (&["mon", "lun"], 1),
        (&["tue", "mar"], 2),
        (&["wed", "mer"], 3),
        (&["thu", "jeu"], 4),
        (&["fri", "ven"], 5),
        (&["sat", "sam"], 6),
        (&["sun", "dim"], 7),
    ];
    if w.chars().count() < 3 {
        return None;
    }
    prefixes
        .iter()
        .find(|(names, _)| names.iter().any(|n| w.starts_with(n)))
        .map(|(_, d)| *d)
}

fn minute_of(time: &str) -> Option<u16> {
    let t = time.to_lowercase();
    let (h, m) = t.split_once([':', 'h']).unwrap_or((t.as_str(), ""));
    let h: u16 = h.parse().ok()?;
    let m: u16 = if m.is_empty() { 0 } else { m.parse().ok()? };
    // `then`, not `then_some`: the sum must not be computed for an hour out of range (2222 × 60
    // overflows; found by fuzzing).
    (h < 24 && m < 60).then(|| h * 60 + m)
}

/// The instant a slot falls on `day` in `zone`, or `None` when the slot is for another weekday.
pub fn on_day(slot: WeeklySlot, day: NaiveDate, zone: Tz) -> Option<i64> {
    if day.weekday().number_from_monday() != u32::from(slot.weekday) {
        return None;
    }
    let mut minute = u32::from(slot.minute);
    // Walk forward out of a skipped hour (at most the length of the jump).
    while minute < 24 * 60 {
        let time = NaiveTime::from_hms_opt(minute / 60, minute % 60, 0)?;
        match zone.from_local_datetime(&day.and_time(time)) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                return Some(t.with_timezone(&Utc).timestamp_millis());
            }
            LocalResult::None => minute += 1,
        }
    }
    None
}

/// The first slot strictly after `after_ms` that no time of `taken` occupies, within
/// [`HORIZON_DAYS`]. `None` when there are no slots or all are taken.
pub fn next_free(slots: &[WeeklySlot], zone: Tz, after_ms: i64, taken: &[i64]) -> Option<i64> {
    if slots.is_empty() {
        return None;
    }
    let mut sorted = slots.to_vec();
    sorted.sort_unstable();
    let start = Utc
        .timestamp_millis_opt(after_ms)
        .single()?
        .with_timezone(&zone)
        .date_naive();
    (0..=HORIZON_DAYS)
        .filter_map(|d| start.checked_add_signed(Duration::days(d)))
        .flat_map(|day| sorted.iter().filter_map(move |s| on_day(*s, day, zone)))
        .find(|at| *at > after_ms && !taken.contains(at))
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
    fn slots_are_read_in_english_and_french() {
        assert_eq!(
            WeeklySlot::parse("mon 09:00"),
            Ok(WeeklySlot {
                weekday: 1,
                minute: 540
            })
        );
        assert_eq!(
            WeeklySlot::parse("Jeudi 17h30"),
            Ok(WeeklySlot {
                weekday: 4,
                minute: 1050
            })
        );
        assert_eq!(
            WeeklySlot::parse("sunday 7"),
            Ok(WeeklySlot {
                weekday: 7,
                minute: 420
            })
        );
        assert_eq!(
            WeeklySlot::parse("dim. 23:59").map(|s| s.label()),
            Ok("sun 23:59".into())
        );
        assert!(matches!(
            WeeklySlot::parse("mo 09:00"),
            Err(SlotError::Day(_))
        ));
        assert!(matches!(
            WeeklySlot::parse("mon 24:00"),
            Err(SlotError::Time(_))
        ));
        assert!(matches!(
            WeeklySlot::parse("mon 9:600"),
            Err(SlotError::Time(_))
        ));
        assert!(matches!(WeeklySlot::parse(""), Err(SlotError::Day(_))));
        // Hours far out of range are refused, not overflowed (found by fuzzing).
        for far in ["sun 002222", "sun 99999:00"] {
            assert!(
                matches!(WeeklySlot::parse(far), Err(SlotError::Time(_))),
                "{far}"
            );
        }
        assert_eq!(WeeklySlot::new(8, 0), None);
    }

    #[test]
    fn a_nine_o_clock_slot_stays_at_nine_across_daylight_saving() {
        let slots = [WeeklySlot::parse("mon 09:00").unwrap()];
        // Monday 23 March 2026, winter time (UTC+1); then 30 March, summer time (UTC+2).
        let first = next_free(&slots, PARIS, ms("2026-03-22T12:00:00Z"), &[]).unwrap();
        assert_eq!(first, ms("2026-03-23T08:00:00Z"));
        let second = next_free(&slots, PARIS, first, &[]).unwrap();
        assert_eq!(second, ms("2026-03-30T07:00:00Z"));
    }

    #[test]
    fn taken_slots_are_skipped_in_week_order() {
        let slots = [
            WeeklySlot::parse("thu 17:30").unwrap(),
            WeeklySlot::parse("tue 09:00").unwrap(),
        ];
        let now = ms("2026-11-23T10:00:00Z"); // a Monday
        let tue = ms("2026-11-24T08:00:00Z");
        let thu = ms("2026-11-26T16:30:00Z");
        assert_eq!(next_free(&slots, PARIS, now, &[]), Some(tue));
        assert_eq!(next_free(&slots, PARIS, now, &[tue]), Some(thu));
        assert_eq!(
            next_free(&slots, PARIS, now, &[tue, thu]),
            Some(ms("2026-12-01T08:00:00Z"))
        );
        // A slot earlier today has passed.
        assert_eq!(
            next_free(&slots, PARIS, ms("2026-11-24T08:00:00Z"), &[]),
            Some(thu)
        );
        assert_eq!(next_free(&[], PARIS, now, &[]), None);
    }

    #[test]
    fn a_slot_in_the_skipped_hour_moves_to_the_first_minute_after() {
        // Sunday 29 March 2026: Paris jumps from 02:00 to 03:00.
        let slots = [WeeklySlot::parse("sun 02:30").unwrap()];
        let at = next_free(&slots, PARIS, ms("2026-03-28T00:00:00Z"), &[]).unwrap();
        assert_eq!(at, ms("2026-03-29T01:00:00Z")); // 03:00 summer time
        // Sunday 25 October 2026: 02:30 happens twice; the first (summer time) is taken.
        let at = next_free(&slots, PARIS, ms("2026-10-24T00:00:00Z"), &[]).unwrap();
        assert_eq!(at, ms("2026-10-25T00:30:00Z"));
    }
}

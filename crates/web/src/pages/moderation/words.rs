//! Durations and shares as people read them, in the page's language: `12 min`, `3 h 05`,
//! `2 d 4 h` (`2 j 4 h` in French), `80%` (`80 %`).

use crate::i18n::ModerationMsgs;

const MINUTE_MS: i64 = 60_000;
const HOUR_MINUTES: i64 = 60;
const DAY_MINUTES: i64 = 24 * 60;
/// From this many days on, the hours are left out: they no longer matter to the reader.
const DAYS_WITHOUT_HOURS: i64 = 10;

/// A duration in the largest units that keep it readable, cut (not rounded) to the minute: a
/// reply after 12 min 50 s is still "12 min", never "13 min" (a target of 13 min was not missed).
pub fn duration(m: &ModerationMsgs, ms: i64) -> String {
    let minutes = ms.max(0) / MINUTE_MS;
    if minutes == 0 {
        return m.dur_under_minute.to_owned();
    }
    if minutes < HOUR_MINUTES {
        return m.dur_minutes.replace("{m}", &minutes.to_string());
    }
    if minutes < DAY_MINUTES {
        let (h, rest) = (minutes / HOUR_MINUTES, minutes % HOUR_MINUTES);
        return if rest == 0 {
            m.dur_hours.replace("{h}", &h.to_string())
        } else {
            m.dur_hours_minutes
                .replace("{h}", &h.to_string())
                .replace("{mm}", &format!("{rest:02}"))
        };
    }
    let (d, h) = (
        minutes / DAY_MINUTES,
        (minutes % DAY_MINUTES) / HOUR_MINUTES,
    );
    if h == 0 || d >= DAYS_WITHOUT_HOURS {
        m.dur_days.replace("{d}", &d.to_string())
    } else {
        m.dur_days_hours
            .replace("{d}", &d.to_string())
            .replace("{h}", &h.to_string())
    }
}

/// A share (0 to 1) as a whole percentage, rounded to the nearest.
pub fn percent(m: &ModerationMsgs, share: f64) -> String {
    let whole = (share.clamp(0.0, 1.0) * 100.0).round() as u32;
    m.percent.replace("{n}", &whole.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = MINUTE_MS;

    #[test]
    fn durations_read_in_words() {
        let en = crate::i18n::EN.moder;
        let fr = crate::i18n::FR.moder;
        assert_eq!(duration(en, 30_000), "< 1 min");
        assert_eq!(duration(en, -5), "< 1 min");
        assert_eq!(duration(en, 12 * MIN + 59_000), "12 min");
        assert_eq!(duration(en, 60 * MIN), "1 h");
        assert_eq!(duration(en, 185 * MIN), "3 h 05");
        assert_eq!(duration(fr, 185 * MIN), "3\u{a0}h\u{a0}05");
        assert_eq!(duration(en, 2 * DAY_MINUTES * MIN), "2 d");
        assert_eq!(duration(fr, 2 * DAY_MINUTES * MIN), "2\u{a0}j");
        assert_eq!(
            duration(en, (2 * DAY_MINUTES + 4 * 60 + 30) * MIN),
            "2 d 4 h"
        );
        assert_eq!(
            duration(fr, (2 * DAY_MINUTES + 4 * 60) * MIN),
            "2\u{a0}j 4\u{a0}h"
        );
        assert_eq!(duration(en, (12 * DAY_MINUTES + 4 * 60) * MIN), "12 d");
    }

    #[test]
    fn shares_round_to_whole_percents() {
        let en = crate::i18n::EN.moder;
        let fr = crate::i18n::FR.moder;
        assert_eq!(percent(en, 0.6), "60%");
        assert_eq!(percent(en, 2.0 / 3.0), "67%");
        assert_eq!(percent(fr, 0.006), "1\u{a0}%");
        assert_eq!(percent(en, 1.5), "100%");
    }
}

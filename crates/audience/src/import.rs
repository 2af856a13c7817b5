//! Bringing history in: Relais's own export (JSON lines of events) and the daily totals of
//! Plausible's CSV export (`imported_visitors_*.csv`: date, visitors, page views, bounces,
//! visits, total visit duration), turned into events that give back exactly those totals.

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;

use crate::event::Event;
use crate::hit::PAGEVIEW;

/// A line of an import that was not taken, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// 1-based line of the file.
    pub line: usize,
    pub reason: String,
}

/// Most events one day of daily totals may make (a row claiming more is refused).
const MAX_DAY_EVENTS: u64 = 2_000_000;

/// Longest average visit taken from daily totals, in seconds. Visits are laid out in the part
/// of the local day that is also one UTC day (at least 10 hours in any zone), so that none
/// straddles two of the event store's daily segments: their starts in its first half, their
/// lengths within its second.
const MAX_VISIT_S: u64 = 5 * 3600;

/// Reads JSON lines of events (as `relais analytics export` writes them) for a site: each line
/// is kept with the site's id, or refused with its line number.
pub fn json_lines(text: &str, site: &str) -> (Vec<Event>, Vec<Refused>) {
    let mut events = Vec::new();
    let mut refused = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Event>(line) {
            Ok(mut event) if event.name.is_empty() || event.pathname.is_empty() => {
                event.site.clear();
                refused.push(Refused {
                    line: n + 1,
                    reason: "an event needs a name and a pathname".into(),
                });
            }
            Ok(mut event) => {
                event.site = site.to_string();
                events.push(event);
            }
            Err(e) => refused.push(Refused {
                line: n + 1,
                reason: format!("not an event ({e})"),
            }),
        }
    }
    (events, refused)
}

/// One row of `imported_visitors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DayTotals {
    date: NaiveDate,
    visitors: u64,
    pageviews: u64,
    bounces: u64,
    visits: u64,
    /// Seconds, all visits together.
    duration: u64,
}

/// Reads Plausible's `imported_visitors` CSV and makes, for each day, visits and page views that
/// add up to its totals: `visits` visits by `visitors` visitors, `bounces` of them one page
/// long, `pageviews` page views, and `visit_duration` seconds between the first and last page
/// of the visits that did not bounce. Times are spread over the day in the site's zone.
pub fn plausible_visitors_csv(text: &str, site: &str, tz: Tz) -> (Vec<Event>, Vec<Refused>) {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(str::to_owned).collect(),
        Err(e) => {
            return (
                Vec::new(),
                vec![Refused {
                    line: 1,
                    reason: format!("not CSV ({e})"),
                }],
            );
        }
    };
    let column = |name: &str| headers.iter().position(|h| h == name);
    let wanted = [
        "date",
        "visitors",
        "pageviews",
        "bounces",
        "visits",
        "visit_duration",
    ];
    let positions: Vec<Option<usize>> = wanted.iter().map(|w| column(w)).collect();
    if let Some(missing) = wanted.iter().zip(&positions).find(|(_, p)| p.is_none()) {
        return (
            Vec::new(),
            vec![Refused {
                line: 1,
                reason: format!(
                    "no `{}` column: this is not Plausible's imported_visitors file (its header is {})",
                    missing.0,
                    wanted.join(",")
                ),
            }],
        );
    }
    let mut events = Vec::new();
    let mut refused = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        let row = record.map_err(|e| e.to_string()).and_then(|r| {
            let cell = |i: usize| positions[i].and_then(|p| r.get(p)).unwrap_or("");
            let number = |i: usize| {
                cell(i)
                    .parse::<u64>()
                    .map_err(|_| format!("`{}` is not a count in column {}", cell(i), wanted[i]))
            };
            Ok(DayTotals {
                date: cell(0)
                    .parse()
                    .map_err(|_| format!("`{}` is not a date (YYYY-MM-DD)", cell(0)))?,
                visitors: number(1)?,
                pageviews: number(2)?,
                bounces: number(3)?,
                visits: number(4)?,
                duration: number(5)?,
            })
        });
        match row.and_then(check_totals) {
            Ok(day) => events.extend(day_events(&day, site, tz)),
            Err(reason) => refused.push(Refused { line, reason }),
        }
    }
    (events, refused)
}

/// Totals that no set of visits can give are refused rather than bent.
fn check_totals(day: DayTotals) -> Result<DayTotals, String> {
    let non_bounces = day.visits.saturating_sub(day.bounces);
    if day.bounces > day.visits {
        return Err(format!("{} bounces for {} visits", day.bounces, day.visits));
    }
    if day.visitors > day.visits || (day.visits > 0 && day.visitors == 0) {
        return Err(format!(
            "{} visitors for {} visits",
            day.visitors, day.visits
        ));
    }
    if day.pageviews < day.bounces + 2 * non_bounces {
        return Err(format!(
            "{} page views cannot make {} bounces and {non_bounces} longer visits",
            day.pageviews, day.bounces
        ));
    }
    if day.duration > 0 && non_bounces == 0 {
        return Err("a visit duration without any visit longer than one page".into());
    }
    if day.pageviews > MAX_DAY_EVENTS || day.duration > non_bounces * MAX_VISIT_S {
        return Err("longer visits, or more page views, than a day holds".into());
    }
    Ok(day)
}

fn day_events(day: &DayTotals, site: &str, tz: Tz) -> Vec<Event> {
    let local = |date: NaiveDate| {
        tz.from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map_or(0, |t| t.timestamp_millis())
    };
    let utc = |date: NaiveDate| {
        date.and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp_millis()
    };
    let next = day.date.succ_opt().unwrap_or(day.date);
    let window_start = local(day.date).max(utc(day.date));
    let window = local(next).min(utc(next)) - window_start;
    let midnight = window_start;
    let non_bounces = day.visits - day.bounces;
    let mut events = Vec::with_capacity(day.pageviews as usize);
    let extra_views = day.pageviews - day.bounces - 2 * non_bounces;
    let day_seed = (day.date.num_days_from_ce() as u64) << 32;
    for visit in 0..day.visits {
        // Starts spread over the day; visitors take turns so that each has at least one visit.
        let start = midnight + (visit as i64) * (window / 2) / (day.visits.max(1) as i64);
        let visitor = (1 << 62) | day_seed | (visit % day.visitors.max(1));
        let session = (1 << 62) | day_seed | (1 << 31) | visit;
        let (pages, length_s) = if visit < day.bounces {
            (1, 0)
        } else {
            let k = visit - day.bounces;
            let pages = 2 + extra_views / non_bounces + u64::from(k < extra_views % non_bounces);
            let length = day.duration / non_bounces + u64::from(k < day.duration % non_bounces);
            (pages, length)
        };
        for p in 0..pages {
            let offset_ms = if p + 1 == pages {
                length_s * 1000
            } else {
                (length_s * 1000 * p) / pages.max(1)
            };
            events.push(imported_event(
                site,
                start + offset_ms as i64,
                visitor,
                session,
            ));
        }
    }
    events
}

fn imported_event(site: &str, at_ms: i64, visitor: u64, session: u64) -> Event {
    Event {
        site: site.to_string(),
        at_ms,
        visitor,
        session,
        name: PAGEVIEW.into(),
        hostname: String::new(),
        pathname: "/".into(),
        referrer: None,
        source: None,
        channel: "Direct".into(),
        utm_source: None,
        utm_medium: None,
        utm_campaign: None,
        utm_content: None,
        utm_term: None,
        country: None,
        browser: None,
        browser_version: None,
        os: None,
        os_version: None,
        device: None,
        props: Vec::new(),
        revenue: None,
        interactive: true,
        scroll_depth: None,
        engaged_ms: None,
    }
}

use chrono::Datelike;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::answer::{Site, answer};
    use crate::engine::segment::Segment;
    use crate::query::{DateRange, Include, Metric, Pagination, Query};

    const CSV: &str = "\"date\",\"visitors\",\"pageviews\",\"bounces\",\"visits\",\"visit_duration\"\n\
        \"2011-12-25\",5,50,2,7,8640\n\
        \"2011-12-26\",3,4,2,3,43\n\
        \"2011-12-27\",3,6,2,4,2313\n\
        \"2011-12-30\",1,1,1,1,0\n\
        \"2011-12-31\",9,1,0,2,0\n\
        \"not a date\",1,1,1,1,0\n";

    fn totals(events: &[Event], day: &str) -> Vec<serde_json::Value> {
        let seg = Segment::build(events);
        let query = Query {
            site_id: String::new(),
            metrics: vec![
                Metric::Visitors,
                Metric::Pageviews,
                Metric::BounceRate,
                Metric::Visits,
                Metric::VisitDuration,
            ],
            date_range: DateRange::Dates(day.parse().unwrap(), day.parse().unwrap()),
            dimensions: vec![],
            filter: None,
            order_by: vec![],
            include: Include::default(),
            pagination: Pagination::default(),
        };
        let site = Site {
            goals: &[],
            tz: chrono_tz::Europe::Paris,
            start: "2011-01-01".parse().unwrap(),
        };
        let a = answer(
            &query,
            &[&seg],
            site,
            "2012-01-05T00:00:00Z".parse().unwrap(),
        )
        .unwrap();
        a.results
            .first()
            .map(|r| r.metrics.clone())
            .unwrap_or_default()
    }

    #[test]
    fn plausible_daily_totals_come_back_exactly() {
        let (events, refused) = plausible_visitors_csv(CSV, "site", chrono_tz::Europe::Paris);
        // 25 Dec: 5 visitors, 50 page views, 2 bounces of 7 visits (29 %), 8640 s over 7 visits.
        assert_eq!(
            totals(&events, "2011-12-25"),
            [5, 50, 29, 7, 1234].map(serde_json::Value::from)
        );
        assert_eq!(
            totals(&events, "2011-12-26"),
            [3, 4, 67, 3, 14].map(serde_json::Value::from)
        );
        assert_eq!(
            totals(&events, "2011-12-27"),
            [3, 6, 50, 4, 578].map(serde_json::Value::from)
        );
        assert_eq!(
            totals(&events, "2011-12-30"),
            [1, 1, 100, 1, 0].map(serde_json::Value::from)
        );
        assert_eq!(
            refused.iter().map(|r| r.line).collect::<Vec<_>>(),
            [6, 7],
            "{refused:?}"
        );
        assert!(
            refused[0].reason.contains("visitors"),
            "{}",
            refused[0].reason
        );
        assert!(refused[1].reason.contains("date"));
    }

    #[test]
    fn a_file_that_is_not_plausibles_says_so() {
        let (events, refused) = plausible_visitors_csv(
            "date,page,visitors\n2024-01-01,/,3\n",
            "site",
            chrono_tz::UTC,
        );
        assert!(events.is_empty());
        assert!(
            refused[0].reason.contains("imported_visitors"),
            "{}",
            refused[0].reason
        );
    }

    #[test]
    fn json_lines_keep_good_lines_and_number_the_bad_ones() {
        let good = r#"{"site":"other","at_ms":1700000000000,"visitor":1,"session":2,"name":"pageview","hostname":"e.com","pathname":"/","channel":"Direct"}"#;
        let text = format!(
            "{good}\n\nnot json\n{}\n",
            good.replace("\"pathname\":\"/\"", "\"pathname\":\"\"")
        );
        let (events, refused) = json_lines(&text, "mine");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].site, "mine");
        assert_eq!(refused.iter().map(|r| r.line).collect::<Vec<_>>(), [3, 4]);
    }
}

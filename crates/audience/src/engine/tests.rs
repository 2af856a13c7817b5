//! The engine on a small data set whose answers were worked out by hand.
//!
//! 1 May 2024 (UTC site):
//! - visitor A, visit s1 from Bluesky (FR, Chrome, Desktop): 10:00 `/`, 10:02 `/pricing`,
//!   10:03 engagement on `/pricing` (scrolled 80 %, 30 s), 10:05 custom event `Signup`
//!   (plan = pro) on `/pricing`. Two page views, 5 minutes, not a bounce.
//! - visitor B, visit s2 direct (DE, Firefox, Mobile): 11:00 `/`. A bounce.
//! - visitor B, visit s3 from Google at 12:00 `/blog/a`, 12:01 engagement (40 %, 10 s). A bounce
//!   (the engagement report does not count as an interaction).
//! - visitor C, visit s4 from Bluesky (FR, Safari, Mobile): 13:00 `/pricing`, 13:10 `/`.
//!   Ten minutes, not a bounce.
//!
//! 2 May 2024: visitor A again, with the same hash value as on 1 May (a new day's visitor all
//! the same), visit s5 from Bluesky at 09:00 on `/`.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use super::answer::{Site, answer};
use super::goal::Goal;
use super::segment::Segment;
use crate::event::Event;
use crate::query::{
    Condition, DateRange, Dimension, Direction, EventDimension, Filter, Include, Metric, Operator,
    OrderKey, Pagination, Query, TimeGrain, VisitDimension,
};

fn at(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
}

struct Visit {
    visitor: u64,
    session: u64,
    source: Option<&'static str>,
    country: &'static str,
    browser: &'static str,
    device: &'static str,
}

impl Visit {
    fn event(&self, when: &str, name: &str, page: &str) -> Event {
        Event {
            site: "site".into(),
            at_ms: at(when),
            visitor: self.visitor,
            session: self.session,
            name: name.into(),
            hostname: "example.com".into(),
            pathname: page.into(),
            referrer: self
                .source
                .map(|s| format!("{}.example/x", s.to_lowercase())),
            source: self.source.map(str::to_string),
            channel: match self.source {
                Some("Bluesky") => "Organic Social",
                Some("Google") => "Organic Search",
                _ => "Direct",
            }
            .into(),
            utm_source: None,
            utm_medium: None,
            utm_campaign: None,
            utm_content: None,
            utm_term: None,
            country: Some(self.country.into()),
            browser: Some(self.browser.into()),
            browser_version: None,
            os: None,
            os_version: None,
            device: Some(self.device.into()),
            props: vec![],
            revenue: None,
            interactive: true,
            scroll_depth: None,
            engaged_ms: None,
        }
    }

    fn engagement(&self, when: &str, page: &str, scroll: u8, ms: u32) -> Event {
        Event {
            scroll_depth: Some(scroll),
            engaged_ms: Some(ms),
            ..self.event(when, "engagement", page)
        }
    }
}

fn day_one() -> Vec<Event> {
    let s1 = Visit {
        visitor: 1,
        session: 11,
        source: Some("Bluesky"),
        country: "FR",
        browser: "Chrome",
        device: "Desktop",
    };
    let s2 = Visit {
        visitor: 2,
        session: 12,
        source: None,
        country: "DE",
        browser: "Firefox",
        device: "Mobile",
    };
    let s3 = Visit {
        source: Some("Google"),
        session: 13,
        ..s2
    };
    let s4 = Visit {
        visitor: 3,
        session: 14,
        source: Some("Bluesky"),
        country: "FR",
        browser: "Safari",
        device: "Mobile",
    };
    let mut signup = s1.event("2024-05-01T10:05:00Z", "Signup", "/pricing");
    signup.props = vec![("plan".into(), "pro".into())];
    // Shuffled on purpose: segments sort by time themselves.
    vec![
        s4.event("2024-05-01T13:10:00Z", "pageview", "/"),
        s1.event("2024-05-01T10:00:00Z", "pageview", "/"),
        signup,
        s1.event("2024-05-01T10:02:00Z", "pageview", "/pricing"),
        s1.engagement("2024-05-01T10:03:00Z", "/pricing", 80, 30_000),
        s2.event("2024-05-01T11:00:00Z", "pageview", "/"),
        s3.event("2024-05-01T12:00:00Z", "pageview", "/blog/a"),
        s3.engagement("2024-05-01T12:01:00Z", "/blog/a", 40, 10_000),
        s4.event("2024-05-01T13:00:00Z", "pageview", "/pricing"),
    ]
}

fn day_two() -> Vec<Event> {
    let s5 = Visit {
        visitor: 1,
        session: 15,
        source: Some("Bluesky"),
        country: "FR",
        browser: "Chrome",
        device: "Desktop",
    };
    vec![s5.event("2024-05-02T09:00:00Z", "pageview", "/")]
}

fn query(metrics: &[Metric], dimensions: Vec<Dimension>, filter: Option<Filter>) -> Query {
    Query {
        site_id: "example.com".into(),
        metrics: metrics.to_vec(),
        date_range: DateRange::Dates(date("2024-05-01"), date("2024-05-01")),
        dimensions,
        filter,
        order_by: vec![],
        include: Include::default(),
        pagination: Pagination::default(),
    }
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn is(operator: Operator, dimension: Dimension, clauses: &[&str]) -> Filter {
    Filter::Condition(Condition {
        operator,
        dimension,
        clauses: clauses.iter().map(|c| c.to_string()).collect(),
        case_sensitive: true,
    })
}

/// Rows as `[dimensions..., metrics...]` arrays, for short assertions.
fn ask(q: &Query) -> Vec<Value> {
    let segments = [Segment::build(&day_one()), Segment::build(&day_two())];
    ask_over(q, &segments).unwrap()
}

/// [`ask`] over given segments; the engine's error as its message.
fn ask_over(q: &Query, segments: &[Segment]) -> Result<Vec<Value>, String> {
    let refs: Vec<&Segment> = segments.iter().collect();
    let goals = [Goal::event("Signup"), Goal::page("/pricing")];
    let site = Site {
        goals: &goals,
        tz: chrono_tz::UTC,
        start: date("2024-01-01"),
    };
    let now: DateTime<Utc> = "2024-05-02T12:00:00Z".parse().unwrap();
    let answer = answer(q, &refs, site, now).map_err(|e| e.0)?;
    Ok(answer
        .results
        .iter()
        .map(|r| {
            let mut cells: Vec<Value> = r.dimensions.iter().map(|d| json!(d)).collect();
            cells.extend(r.metrics.iter().cloned());
            Value::Array(cells)
        })
        .collect())
}

const PAGE: Dimension = Dimension::Event(EventDimension::Page);
const SOURCE: Dimension = Dimension::Visit(VisitDimension::Source);
const GOAL: Dimension = Dimension::Event(EventDimension::Goal);

#[test]
fn aggregate_metrics_of_the_day() {
    use Metric::*;
    let q = query(
        &[
            Visitors,
            Visits,
            Pageviews,
            Events,
            BounceRate,
            VisitDuration,
            ViewsPerVisit,
        ],
        vec![],
        None,
    );
    assert_eq!(ask(&q), vec![json!([3, 4, 6, 7, 50, 225, 1.5])]);
}

#[test]
fn visitors_of_two_days_are_counted_per_day() {
    let mut q = query(&[Metric::Visitors, Metric::Visits], vec![], None);
    q.date_range = DateRange::Dates(date("2024-05-01"), date("2024-05-02"));
    assert_eq!(ask(&q), vec![json!([4, 5])]);
}

#[test]
fn sources_with_session_metrics_and_percentage() {
    use Metric::*;
    let q = query(
        &[
            Visitors,
            Visits,
            Pageviews,
            BounceRate,
            VisitDuration,
            Percentage,
        ],
        vec![SOURCE],
        None,
    );
    assert_eq!(
        ask(&q),
        vec![
            json!(["Bluesky", 2, 2, 4, 0, 450, 66.7]),
            json!(["Direct / None", 1, 1, 1, 100, 0, 33.3]),
            json!(["Google", 1, 1, 1, 100, 0, 33.3]),
        ]
    );
}

#[test]
fn pages_with_scroll_depth_and_time_on_page() {
    use Metric::*;
    let q = query(
        &[Visitors, Pageviews, Events, ScrollDepth, TimeOnPage],
        vec![PAGE],
        None,
    );
    assert_eq!(
        ask(&q),
        vec![
            json!(["/", 3, 3, 3, null, null]),
            json!(["/pricing", 2, 2, 3, 80, 30]),
            json!(["/blog/a", 1, 1, 1, 40, 10]),
        ]
    );
}

#[test]
fn bounce_rate_and_duration_per_page_are_those_of_the_visits_that_landed_there() {
    use Metric::*;
    let q = query(&[Visitors, BounceRate, VisitDuration], vec![PAGE], None);
    // Landed on `/`: s1 (not a bounce, 300 s) and s2 (bounce, 0 s); on `/blog/a`: s3 (bounce);
    // on `/pricing`: s4 (not a bounce, 600 s).
    assert_eq!(
        ask(&q),
        vec![
            json!(["/", 3, 50, 150]),
            json!(["/pricing", 2, 0, 600]),
            json!(["/blog/a", 1, 100, 0])
        ]
    );
}

#[test]
fn goals_conversion_rates_and_group_conversion_rates() {
    use Metric::*;
    let q = query(&[Visitors, Events, ConversionRate], vec![GOAL], None);
    assert_eq!(
        ask(&q),
        vec![
            json!(["Visit /pricing", 2, 2, 66.67]),
            json!(["Signup", 1, 1, 33.33])
        ]
    );
    let only_signup = query(
        &[Visitors, ConversionRate],
        vec![],
        Some(is(Operator::Is, GOAL, &["Signup"])),
    );
    assert_eq!(ask(&only_signup), vec![json!([1, 33.33])]);
    let by_source = query(&[Visitors, GroupConversionRate], vec![SOURCE, GOAL], None);
    assert_eq!(
        ask(&by_source),
        vec![
            json!(["Bluesky", "Visit /pricing", 2, 100.0]),
            json!(["Bluesky", "Signup", 1, 50.0])
        ]
    );
}

#[test]
fn filters_on_visits_pages_props_and_their_combinations() {
    use Metric::*;
    let fr = is(
        Operator::Is,
        Dimension::Visit(VisitDimension::Country),
        &["FR"],
    );
    assert_eq!(
        ask(&query(&[Visitors], vec![], Some(fr.clone()))),
        vec![json!([2])]
    );
    // Visits that saw a page containing "pric": s1 and s4, with their whole visit's bounce state.
    let pricing = is(Operator::Contains, PAGE, &["pric"]);
    assert_eq!(
        ask(&query(&[Visits, BounceRate], vec![], Some(pricing))),
        vec![json!([2, 0])]
    );
    let not_home = Filter::Not(Box::new(is(Operator::Is, PAGE, &["/"])));
    assert_eq!(
        ask(&query(&[Visitors], vec![], Some(not_home))),
        vec![json!([3])]
    );
    let blog = is(Operator::Matches, PAGE, &["^/blog/"]);
    assert_eq!(
        ask(&query(&[Visitors, Pageviews], vec![], Some(blog.clone()))),
        vec![json!([1, 1])]
    );
    let either = Filter::Or(vec![fr, blog]);
    assert_eq!(
        ask(&query(&[Visitors], vec![], Some(either))),
        vec![json!([3])]
    );
    let chrome_insensitive = Filter::Condition(Condition {
        operator: Operator::Is,
        dimension: Dimension::Visit(VisitDimension::Browser),
        clauses: vec!["chrome".into()],
        case_sensitive: false,
    });
    assert_eq!(
        ask(&query(&[Visitors], vec![], Some(chrome_insensitive))),
        vec![json!([1])]
    );
    let plan = Dimension::Event(EventDimension::Prop("plan".into()));
    assert_eq!(
        ask(&query(&[Events], vec![plan.clone()], None)),
        vec![json!(["(none)", 6]), json!(["pro", 1])]
    );
    assert_eq!(
        ask(&query(
            &[Events],
            vec![],
            Some(is(Operator::Is, plan, &["pro"]))
        )),
        vec![json!([1])]
    );
}

#[test]
fn time_buckets_ordering_pagination_and_labels() {
    let mut q = query(
        &[Metric::Visitors],
        vec![Dimension::Time(TimeGrain::Hour)],
        None,
    );
    assert_eq!(
        ask(&q),
        vec![
            json!(["2024-05-01 10:00:00", 1]),
            json!(["2024-05-01 11:00:00", 1]),
            json!(["2024-05-01 12:00:00", 1]),
            json!(["2024-05-01 13:00:00", 1]),
        ]
    );
    q.order_by = vec![(
        OrderKey::Dimension(Dimension::Time(TimeGrain::Hour)),
        Direction::Desc,
    )];
    q.pagination = Pagination {
        limit: 2,
        offset: 1,
    };
    assert_eq!(
        ask(&q),
        vec![
            json!(["2024-05-01 12:00:00", 1]),
            json!(["2024-05-01 11:00:00", 1])
        ]
    );
}

#[test]
fn comparison_with_the_previous_period() {
    let segments = [Segment::build(&day_one()), Segment::build(&day_two())];
    let refs: Vec<&Segment> = segments.iter().collect();
    let site = Site {
        goals: &[],
        tz: chrono_tz::UTC,
        start: date("2024-01-01"),
    };
    let mut q = query(&[Metric::Visitors, Metric::BounceRate], vec![], None);
    q.date_range = DateRange::Dates(date("2024-05-02"), date("2024-05-02"));
    q.include.compare_previous_period = true;
    q.include.time_labels = true;
    let now: DateTime<Utc> = "2024-05-03T00:00:00Z".parse().unwrap();
    let a = answer(&q, &refs, site, now).unwrap();
    let c = a.results[0].comparison.clone().unwrap();
    assert_eq!(a.results[0].metrics, vec![json!(1), json!(100)]);
    assert_eq!(c.metrics, vec![json!(3), json!(50)]);
    assert_eq!(c.change, vec![json!(-67), json!(50.0)]);
    assert_eq!(a.comparison_period.unwrap().first_day, date("2024-05-01"));
    assert_eq!(a.total_rows, 1);
}

#[test]
fn a_segment_gives_its_events_back_and_rebuilds_to_the_same_answers() {
    let original = Segment::build(&day_one());
    let rebuilt = Segment::build(&original.events("site"));
    let refs = [&rebuilt];
    let site = Site {
        goals: &[],
        tz: chrono_tz::UTC,
        start: date("2024-01-01"),
    };
    let q = query(
        &[
            Metric::Visitors,
            Metric::Visits,
            Metric::Pageviews,
            Metric::BounceRate,
        ],
        vec![SOURCE],
        None,
    );
    let now: DateTime<Utc> = "2024-05-02T12:00:00Z".parse().unwrap();
    let rows: Vec<Vec<Value>> = answer(&q, &refs, site, now)
        .unwrap()
        .results
        .into_iter()
        .map(|r| r.metrics)
        .collect();
    assert_eq!(
        rows,
        vec![
            vec![json!(2), json!(2), json!(4), json!(0)],
            vec![json!(1), json!(1), json!(1), json!(100)],
            vec![json!(1), json!(1), json!(1), json!(100)]
        ]
    );
    assert_eq!(
        original
            .events("site")
            .iter()
            .filter(|e| !e.props.is_empty())
            .count(),
        1
    );
}

#[test]
fn funnels_count_visitors_going_through_the_steps_in_order_within_a_visit() {
    use super::funnel::funnel;
    use super::period::resolve;
    let segments = [Segment::build(&day_one()), Segment::build(&day_two())];
    let refs: Vec<&Segment> = segments.iter().collect();
    let now: DateTime<Utc> = "2024-05-03T00:00:00Z".parse().unwrap();
    let period = resolve(
        &DateRange::Dates(date("2024-05-01"), date("2024-05-02")),
        now,
        chrono_tz::UTC,
        date("2024-01-01"),
    )
    .unwrap();
    let steps = [Goal::page("/pricing"), Goal::event("Signup")];
    let shown: Vec<(String, u64, f64, u64)> = funnel(&refs, &period, None, &steps)
        .unwrap()
        .into_iter()
        .map(|s| (s.label, s.visitors, s.conversion, s.dropoff))
        .collect();
    assert_eq!(
        shown,
        vec![
            ("Visit /pricing".into(), 2, 100.0, 0),
            ("Signup".into(), 1, 50.0, 1)
        ]
    );
    // The other way round, nobody went on: A signed up after seeing the pricing, not before.
    let reversed = [Goal::event("Signup"), Goal::page("/pricing")];
    let shown: Vec<u64> = funnel(&refs, &period, None, &reversed)
        .unwrap()
        .into_iter()
        .map(|s| s.visitors)
        .collect();
    assert_eq!(shown, vec![1, 0]);
    // Filtered on French visitors: still A and C.
    let fr = is(
        Operator::Is,
        Dimension::Visit(VisitDimension::Country),
        &["FR"],
    );
    let shown: Vec<u64> = funnel(&refs, &period, Some(&fr), &steps)
        .unwrap()
        .into_iter()
        .map(|s| s.visitors)
        .collect();
    assert_eq!(shown, vec![2, 1]);
}

#[test]
fn every_other_dimension_of_the_day() {
    use Metric::Visitors;
    let rows = |d: Dimension| ask(&query(&[Visitors], vec![d], None));
    assert_eq!(
        rows(Dimension::Visit(VisitDimension::Referrer)),
        vec![
            json!(["bluesky.example/x", 2]),
            json!(["(none)", 1]),
            json!(["google.example/x", 1])
        ]
    );
    assert_eq!(
        rows(Dimension::Visit(VisitDimension::Channel)),
        vec![
            json!(["Organic Social", 2]),
            json!(["Direct", 1]),
            json!(["Organic Search", 1])
        ]
    );
    assert_eq!(
        rows(Dimension::Visit(VisitDimension::Country)),
        vec![json!(["FR", 2]), json!(["DE", 1])]
    );
    assert_eq!(
        rows(Dimension::Visit(VisitDimension::Device)),
        vec![json!(["Mobile", 2]), json!(["Desktop", 1])]
    );
    assert_eq!(
        rows(Dimension::Visit(VisitDimension::UtmCampaign)),
        vec![json!(["(none)", 3])]
    );
    assert_eq!(
        rows(Dimension::Visit(VisitDimension::ExitPage)),
        vec![
            json!(["/", 2]),
            json!(["/blog/a", 1]),
            json!(["/pricing", 1])
        ]
    );
    assert_eq!(
        rows(Dimension::Visit(VisitDimension::EntryPageHostname)),
        vec![json!(["example.com", 3])]
    );
    assert_eq!(
        rows(Dimension::Event(EventDimension::Hostname)),
        vec![json!(["example.com", 3])]
    );
    assert_eq!(
        rows(Dimension::Event(EventDimension::Name)),
        vec![json!(["pageview", 3]), json!(["Signup", 1])]
    );
    let mut month = query(&[Visitors], vec![Dimension::Time(TimeGrain::Month)], None);
    month.date_range = DateRange::Dates(date("2024-04-20"), date("2024-05-02"));
    assert_eq!(
        ask(&month),
        vec![json!(["2024-05-01", 4])],
        "3 visitors on 1 May and 1 on 2 May"
    );
    let mut week = query(&[Visitors], vec![Dimension::Time(TimeGrain::Week)], None);
    week.date_range = DateRange::Dates(date("2024-04-29"), date("2024-05-05"));
    assert_eq!(ask(&week), vec![json!(["2024-04-29", 4])]);
}

#[test]
fn rollups_give_what_the_scan_gives() {
    use Metric::*;
    let all = [
        Visitors,
        Visits,
        Pageviews,
        Events,
        BounceRate,
        VisitDuration,
        ViewsPerVisit,
        ScrollDepth,
        TimeOnPage,
    ];
    // A filter every event passes makes the engine scan; without it, whole days come from rollups.
    let everything = Filter::Not(Box::new(is(Operator::Is, PAGE, &["/nowhere"])));
    let mut dims: Vec<Vec<Dimension>> = vec![
        vec![],
        vec![PAGE],
        vec![Dimension::Event(EventDimension::Name)],
        vec![Dimension::Time(TimeGrain::Day)],
    ];
    dims.extend(
        VisitDimension::ALL
            .iter()
            .map(|v| vec![Dimension::Visit(*v)]),
    );
    dims.push(vec![SOURCE, Dimension::Time(TimeGrain::Day)]);
    for d in dims {
        let metrics: Vec<Metric> = if d.iter().any(|x| matches!(x, Dimension::Event(_))) {
            vec![Visitors, Visits, Pageviews, Events, ScrollDepth, TimeOnPage]
        } else {
            all.to_vec()
        };
        let mut rolled = query(&metrics, d.clone(), None);
        rolled.date_range = DateRange::Dates(date("2024-04-30"), date("2024-05-02"));
        let mut scanned = rolled.clone();
        scanned.filter = Some(everything.clone());
        assert_eq!(ask(&rolled), ask(&scanned), "{d:?}");
    }
}

#[test]
fn summaries_answer_the_dashboard_as_the_columns_do_and_ask_for_columns_otherwise() {
    use super::aggregate::needs_columns;
    use super::summary::{
        SummaryHead, SummaryPart, dashboard_dimensions, summarize, summary_segment,
    };
    use Metric::*;
    let columns = [Segment::build(&day_one()), Segment::build(&day_two())];
    // Through their written form, as a store just opened reads them.
    let written: Vec<(SummaryHead, Vec<SummaryPart>)> = columns
        .iter()
        .map(|seg| {
            let (head, parts) = summarize(seg).unwrap();
            let head = serde_json::to_string(&head).unwrap();
            let parts = serde_json::to_string(&parts).unwrap();
            (
                serde_json::from_str(&head).unwrap(),
                serde_json::from_str(&parts).unwrap(),
            )
        })
        .collect();
    let summaries: Vec<Segment> = written
        .iter()
        .map(|(head, parts)| summary_segment(head, parts).unwrap())
        .collect();
    let heads_only: Vec<Segment> = written
        .iter()
        .map(|(head, _)| summary_segment(head, &[]).unwrap())
        .collect();
    assert!(
        summaries
            .iter()
            .all(|s| s.is_summary() && s.events.at_ms.is_empty())
    );
    for dimension in dashboard_dimensions() {
        for with_days in [false, true] {
            let mut dims: Vec<Dimension> = dimension.iter().cloned().collect();
            if with_days {
                dims.push(Dimension::Time(TimeGrain::Day));
            }
            let metrics = if matches!(dimension, Some(Dimension::Event(_))) {
                vec![Visitors, Visits, Pageviews, Events, ScrollDepth, TimeOnPage]
            } else {
                vec![
                    Visitors,
                    Visits,
                    Pageviews,
                    BounceRate,
                    VisitDuration,
                    ViewsPerVisit,
                ]
            };
            let mut q = query(&metrics, dims.clone(), None);
            q.date_range = DateRange::Dates(date("2024-04-30"), date("2024-05-02"));
            let from_columns = ask_over(&q, &columns).unwrap();
            assert!(!from_columns.is_empty());
            assert_eq!(
                ask_over(&q, &summaries),
                Ok(from_columns.clone()),
                "{dims:?}"
            );
            // The head alone answers the totals; a dimension needs its part.
            match dimension {
                None => assert_eq!(ask_over(&q, &heads_only), Ok(from_columns)),
                Some(_) => assert!(needs_columns(&ask_over(&q, &heads_only).unwrap_err())),
            }
        }
    }
    // A filter, a custom property or part of a day: the columns are needed, and said so.
    let mut filtered = query(
        &[Visitors],
        vec![],
        Some(is(Operator::Is, SOURCE, &["Bluesky"])),
    );
    filtered.date_range = DateRange::Dates(date("2024-04-30"), date("2024-05-02"));
    let hours = query(&[Visitors], vec![Dimension::Time(TimeGrain::Hour)], None);
    for q in [filtered, hours] {
        let refused = ask_over(&q, &summaries).unwrap_err();
        assert!(needs_columns(&refused), "{refused}");
        assert!(ask_over(&q, &columns).is_ok());
    }
}

#[test]
fn a_damaged_summary_is_refused_with_the_reason() {
    use super::summary::{SummaryPart, summarize, summary_segment};
    let seg = Segment::build(&day_one());
    let (head, parts) = summarize(&seg).unwrap();
    let mut text = serde_json::to_value(&parts).unwrap();
    // A page row whose code is outside the page dictionary.
    let pages = text
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["dimension"] == "event:page")
        .unwrap();
    pages["rows"][0][0] = json!(4000);
    let damaged: Vec<SummaryPart> = serde_json::from_value(text).unwrap();
    let refused = summary_segment(&head, &damaged).unwrap_err();
    assert!(refused.contains("outside its dictionary"), "{refused}");
    assert!(
        summarize(&Segment::default()).is_none(),
        "nothing to summarize"
    );
}

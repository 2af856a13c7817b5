//! The three questions a dashboard asks first, put to both engines: the Stats API query the
//! embedded engine answers, and the SQL that gives PostgreSQL's equivalent answer over one
//! denormalised table. Both answers are brought to the same rows so that they can be compared:
//! a peer that answers something else is not a peer.

use std::time::Duration;

use chrono::NaiveDate;
use relais_audience::engine::answer::Answer;
use relais_audience::query::{
    DateRange, Dimension, EventDimension, Include, Metric, Pagination, Query, TimeGrain,
    VisitDimension,
};

/// PostgreSQL's table of events.
pub const TABLE: &str = "relais_bench_audience_events";

/// How many rows the top lists show (as the dashboard does).
const TOP: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dashboard {
    /// Visitors, visits, page views, bounce rate and visit duration for each day.
    MainGraph,
    /// Visitors by the visit's source, top 10.
    TopSources,
    /// Visitors and page views by page, top 10.
    TopPages,
}

impl Dashboard {
    pub const ALL: [Dashboard; 3] = [
        Dashboard::MainGraph,
        Dashboard::TopSources,
        Dashboard::TopPages,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Dashboard::MainGraph => "main graph",
            Dashboard::TopSources => "top sources",
            Dashboard::TopPages => "top pages",
        }
    }

    /// The key in the JSON figures.
    pub fn key(self) -> &'static str {
        match self {
            Dashboard::MainGraph => "main_graph",
            Dashboard::TopSources => "top_sources",
            Dashboard::TopPages => "top_pages",
        }
    }

    /// The Stats API question, over the days `first..=last`.
    pub fn query(self, domain: &str, first: NaiveDate, last: NaiveDate) -> Query {
        let (metrics, dimensions, limit) = match self {
            Dashboard::MainGraph => (
                vec![
                    Metric::Visitors,
                    Metric::Visits,
                    Metric::Pageviews,
                    Metric::BounceRate,
                    Metric::VisitDuration,
                ],
                vec![Dimension::Time(TimeGrain::Day)],
                Pagination::default().limit,
            ),
            Dashboard::TopSources => (
                vec![Metric::Visitors],
                vec![Dimension::Visit(VisitDimension::Source)],
                TOP,
            ),
            Dashboard::TopPages => (
                vec![Metric::Visitors, Metric::Pageviews],
                vec![Dimension::Event(EventDimension::Page)],
                TOP,
            ),
        };
        Query {
            site_id: domain.to_owned(),
            metrics,
            date_range: DateRange::Dates(first, last),
            dimensions,
            filter: None,
            order_by: Vec::new(),
            include: Include::default(),
            pagination: Pagination { limit, offset: 0 },
        }
    }

    /// The same question in SQL; `$1` and `$2` are the period's bounds in milliseconds (from
    /// included, to excluded). Engagement reports count for no visitor or visit, as in the
    /// engine; a visitor is distinct within a day (ids change every UTC day, so distinct over
    /// the period is the sum of the days'); ties are broken by label in byte order.
    pub fn sql(self) -> String {
        let events = format!("FROM {TABLE} WHERE at >= $1 AND at < $2 AND name <> 'engagement'");
        match self {
            Dashboard::MainGraph => format!(
                "WITH visits AS (
                    SELECT session, min(at) AS started, max(at) AS ended,
                           count(*) FILTER (WHERE name = 'pageview') AS pageviews,
                           bool_or(name <> 'pageview' AND interactive) AS interacted
                    {events} GROUP BY session
                ), by_visit_day AS (
                    SELECT started / 86400000 AS day, count(*) AS visits,
                           count(*) FILTER (WHERE pageviews <= 1 AND NOT interacted) AS bounces,
                           sum(ended - started) AS duration_ms
                    FROM visits GROUP BY 1
                ), by_event_day AS (
                    SELECT at / 86400000 AS day, count(DISTINCT visitor) AS visitors,
                           count(*) FILTER (WHERE name = 'pageview') AS pageviews
                    {events} GROUP BY 1
                )
                SELECT e.day::bigint, e.visitors, coalesce(v.visits, 0)::bigint, e.pageviews,
                       coalesce(round(100.0 * v.bounces / nullif(v.visits, 0)), 0)::bigint,
                       coalesce(round(v.duration_ms / nullif(v.visits, 0) / 1000.0), 0)::bigint
                FROM by_event_day e LEFT JOIN by_visit_day v USING (day)
                ORDER BY e.day"
            ),
            Dashboard::TopSources => format!(
                "SELECT coalesce(source, 'Direct / None') AS label, count(DISTINCT visitor) AS visitors
                 {events} GROUP BY 1 ORDER BY 2 DESC, coalesce(source, 'Direct / None') COLLATE \"C\" LIMIT {TOP}"
            ),
            Dashboard::TopPages => format!(
                "SELECT page, count(DISTINCT visitor) AS visitors,
                        count(*) FILTER (WHERE name = 'pageview') AS pageviews
                 {events} GROUP BY 1 ORDER BY 2 DESC, page COLLATE \"C\" LIMIT {TOP}"
            ),
        }
    }

    /// Whether two answers are the same: labels and counts exactly; rounded rates and
    /// durations (the main graph's last two metrics) within 1, as a float and PostgreSQL's
    /// exact numerics may round a half differently.
    pub fn agree(self, relais: &[Row], peer: &[Row]) -> Result<(), String> {
        if relais.len() != peer.len() {
            return Err(format!(
                "{}: Relais gives {} rows, PostgreSQL {}",
                self.label(),
                relais.len(),
                peer.len()
            ));
        }
        for (n, (a, b)) in relais.iter().zip(peer).enumerate() {
            let close = a.metrics.len() == b.metrics.len()
                && a.metrics
                    .iter()
                    .zip(&b.metrics)
                    .enumerate()
                    .all(|(i, (x, y))| {
                        let rounded = self == Dashboard::MainGraph && i >= 3;
                        if rounded { x.abs_diff(*y) <= 1 } else { x == y }
                    });
            if a.labels != b.labels || !close {
                return Err(format!(
                    "{}: row {} differs: Relais {:?} {:?}, PostgreSQL {:?} {:?}",
                    self.label(),
                    n + 1,
                    a.labels,
                    a.metrics,
                    b.labels,
                    b.metrics
                ));
            }
        }
        Ok(())
    }
}

/// One row of an answer, whichever engine gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub labels: Vec<String>,
    pub metrics: Vec<i64>,
}

/// The embedded engine's answer as rows (every metric asked here is a whole number).
pub fn rows_of(answer: &Answer) -> Vec<Row> {
    answer
        .results
        .iter()
        .map(|r| Row {
            labels: r.dimensions.clone(),
            metrics: r
                .metrics
                .iter()
                .map(|v| {
                    v.as_i64()
                        .or_else(|| v.as_f64().map(|f| f.round() as i64))
                        .unwrap_or(i64::MIN)
                })
                .collect(),
        })
        .collect()
}

/// A day number since 1970 as the engine labels days.
pub fn day_label(days_since_epoch: i64) -> String {
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|epoch| epoch.checked_add_signed(chrono::Duration::try_days(days_since_epoch)?))
        .map_or_else(|| days_since_epoch.to_string(), |d| d.to_string())
}

/// A question's timings: the first run after the data was opened, and the runs after it.
#[derive(Clone, Debug, Default)]
pub struct Timed {
    pub cold: Duration,
    pub warm: Vec<Duration>,
}

impl Timed {
    /// The median warm run (the lower middle one for an even count).
    pub fn warm_median(&self) -> Duration {
        let mut runs = self.warm.clone();
        runs.sort();
        runs.get(runs.len().saturating_sub(1) / 2)
            .copied()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(labels: &[&str], metrics: &[i64]) -> Row {
        Row {
            labels: labels.iter().map(|l| (*l).to_owned()).collect(),
            metrics: metrics.to_vec(),
        }
    }

    #[test]
    fn answers_agree_only_when_they_say_the_same() {
        let a = vec![row(&["Google"], &[120]), row(&["Direct / None"], &[80])];
        assert!(Dashboard::TopSources.agree(&a, &a.clone()).is_ok());
        let other = vec![row(&["Google"], &[121]), row(&["Direct / None"], &[80])];
        let e = Dashboard::TopSources.agree(&a, &other).unwrap_err();
        assert!(e.contains("row 1") && e.contains("121"), "{e}");
        assert!(Dashboard::TopSources.agree(&a, &a[..1]).is_err());
        let swapped = vec![a[1].clone(), a[0].clone()];
        assert!(Dashboard::TopSources.agree(&a, &swapped).is_err());

        // Rates may round a half differently; counts may not.
        let day = row(&["2024-05-01"], &[10, 12, 30, 41, 95]);
        let rounded = row(&["2024-05-01"], &[10, 12, 30, 42, 94]);
        let miscounted = row(&["2024-05-01"], &[10, 13, 30, 41, 95]);
        assert!(
            Dashboard::MainGraph
                .agree(std::slice::from_ref(&day), &[rounded])
                .is_ok()
        );
        assert!(Dashboard::MainGraph.agree(&[day], &[miscounted]).is_err());
    }

    #[test]
    fn queries_ask_what_the_dashboard_shows() {
        let (first, last) = (
            NaiveDate::from_ymd_opt(2024, 5, 1).unwrap_or_default(),
            NaiveDate::from_ymd_opt(2024, 5, 30).unwrap_or_default(),
        );
        let q = Dashboard::MainGraph.query("bench.example.com", first, last);
        assert_eq!(q.metrics.len(), 5);
        assert_eq!(q.date_range, DateRange::Dates(first, last));
        assert_eq!(q.dimensions, vec![Dimension::Time(TimeGrain::Day)]);
        assert_eq!(
            Dashboard::TopPages.query("x", first, last).pagination.limit,
            10
        );
        for d in Dashboard::ALL {
            let sql = d.sql();
            assert!(sql.contains(TABLE) && sql.contains("$1") && sql.contains("$2"));
            assert!(sql.contains("name <> 'engagement'"), "{sql}");
            // A tie is broken by the label in byte order, as the engine breaks it.
            assert_eq!(
                sql.contains("COLLATE \"C\""),
                d != Dashboard::MainGraph,
                "{sql}"
            );
        }
        assert_eq!(day_label(19_844), "2024-05-01");
        assert_eq!(day_label(i64::MAX), i64::MAX.to_string());
    }

    #[test]
    fn the_warm_median_is_a_run_that_happened() {
        let ms = Duration::from_millis;
        let t = Timed {
            cold: ms(90),
            warm: vec![ms(5), ms(3), ms(40), ms(4)],
        };
        assert_eq!(t.warm_median(), ms(4));
        assert_eq!(Timed::default().warm_median(), Duration::ZERO);
    }
}

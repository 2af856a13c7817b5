//! A whole query answered: metrics computed from the grouped counts, rows sorted and paginated,
//! the previous period beside each row when asked, in the shape of Plausible's answers.

use std::cmp::Ordering;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

use super::aggregate::{Grouped, Labels, Totals, aggregate};
use super::goal::Goal;
use super::period::{self, Period};
use super::segment::Segment;
use crate::query::{Dimension, Direction, EventDimension, Filter, Metric, OrderKey, Query};

/// What the engine knows of the site a query is about.
#[derive(Debug, Clone, Copy)]
pub struct Site<'a> {
    pub goals: &'a [Goal],
    pub tz: Tz,
    /// First day of statistics ("all" starts there).
    pub start: NaiveDate,
}

/// Why a query cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EngineError(pub String);

/// One row of an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub dimensions: Vec<String>,
    pub metrics: Vec<Value>,
    pub comparison: Option<Comparison>,
}

/// The same row in the previous period.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub dimensions: Vec<String>,
    pub metrics: Vec<Value>,
    /// Change per metric: percent for counts, points for rates; `null` when there is nothing to
    /// compare with.
    pub change: Vec<Value>,
}

/// A query's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub results: Vec<Row>,
    pub period: Period,
    pub comparison_period: Option<Period>,
    pub total_rows: usize,
    pub time_labels: Option<Vec<String>>,
}

/// Answers a query over the segments of its site.
pub fn answer(
    query: &Query,
    segments: &[&Segment],
    site: Site<'_>,
    now: DateTime<Utc>,
) -> Result<Answer, EngineError> {
    let period = period::resolve(&query.date_range, now, site.tz, site.start)
        .map_err(|e| EngineError(e.0))?;
    let current = Evaluated::run(query, segments, site, &period)?;
    let mut rows = current.rows(query);
    sort(&mut rows, query);
    let total_rows = rows.len();
    let rows: Vec<_> = rows
        .into_iter()
        .skip(query.pagination.offset)
        .take(query.pagination.limit)
        .collect();

    let (results, comparison_period) = if query.include.compare_previous_period {
        let before = period.previous();
        let previous = Evaluated::run(query, segments, site, &before)?;
        let by_key: HashMap<Labels, (Labels, Vec<Value>)> = previous
            .rows(query)
            .into_iter()
            .map(|(labels, metrics)| (previous.match_key(query, &labels), (labels, metrics)))
            .collect();
        let results = rows
            .into_iter()
            .map(|(labels, metrics)| {
                let (old_labels, old) = by_key
                    .get(&current.match_key(query, &labels))
                    .cloned()
                    .unwrap_or_else(|| (labels.clone(), zeroes(&query.metrics)));
                let change = query
                    .metrics
                    .iter()
                    .zip(metrics.iter().zip(&old))
                    .map(|(m, (now, then))| change(*m, now, then))
                    .collect();
                Row {
                    dimensions: labels,
                    metrics,
                    comparison: Some(Comparison {
                        dimensions: old_labels,
                        metrics: old,
                        change,
                    }),
                }
            })
            .collect();
        (results, Some(before))
    } else {
        let results = rows
            .into_iter()
            .map(|(dimensions, metrics)| Row {
                dimensions,
                metrics,
                comparison: None,
            })
            .collect();
        (results, None)
    };
    Ok(Answer {
        results,
        period,
        comparison_period,
        total_rows,
        time_labels: query
            .include
            .time_labels
            .then(|| current.grouped.buckets.clone()),
    })
}

/// A period's grouped counts and the totals that rates are computed against.
struct Evaluated {
    grouped: Grouped,
    /// Visitors of the whole filtered period (for `percentage`).
    total_visitors: u64,
    /// Visitors with the goal conditions lifted (for `conversion_rate`).
    all_visitors: u64,
    /// The same, per group of the dimensions other than the goal (`group_conversion_rate`).
    group_visitors: HashMap<Labels, u64>,
}

impl Evaluated {
    fn run(
        query: &Query,
        segments: &[&Segment],
        site: Site<'_>,
        period: &Period,
    ) -> Result<Evaluated, EngineError> {
        let run = |dimensions: &[Dimension], filter: Option<&Filter>| {
            aggregate(segments, period, dimensions, filter, site.goals)
                .map_err(|e| EngineError(e.0))
        };
        let filter = query.filter.as_ref();
        let grouped = run(&query.dimensions, filter)?;
        let wants = |m: Metric| query.metrics.contains(&m);
        let total_visitors = if wants(Metric::Percentage) {
            visitors_of(&run(&[], filter)?)
        } else {
            0
        };
        let without_goals = filter.and_then(lift_goals);
        let all_visitors = if wants(Metric::ConversionRate) {
            visitors_of(&run(&[], without_goals.as_ref())?)
        } else {
            0
        };
        let group_visitors = if wants(Metric::GroupConversionRate) {
            let other: Vec<Dimension> = query
                .dimensions
                .iter()
                .filter(|d| **d != Dimension::Event(EventDimension::Goal))
                .cloned()
                .collect();
            run(&other, without_goals.as_ref())?
                .rows
                .into_iter()
                .map(|(labels, t)| (labels, t.visitors))
                .collect()
        } else {
            HashMap::new()
        };
        Ok(Evaluated {
            grouped,
            total_visitors,
            all_visitors,
            group_visitors,
        })
    }

    fn rows(&self, query: &Query) -> Vec<(Labels, Vec<Value>)> {
        self.grouped
            .rows
            .iter()
            .filter(|(_, t)| t.events > 0 || t.visits > 0)
            .map(|(labels, totals)| {
                let metrics = query
                    .metrics
                    .iter()
                    .map(|m| self.metric(*m, query, labels, totals))
                    .collect();
                (labels.clone(), metrics)
            })
            .collect()
    }

    fn metric(&self, metric: Metric, query: &Query, labels: &Labels, t: &Totals) -> Value {
        let session_based = !query
            .dimensions
            .iter()
            .any(|d| matches!(d, Dimension::Event(_)));
        let visits = if session_based {
            t.visits
        } else {
            t.event_visits
        };
        match metric {
            Metric::Visitors => json!(t.visitors),
            Metric::Visits => json!(visits),
            Metric::Pageviews => json!(t.pageviews),
            Metric::Events => json!(t.events),
            Metric::ViewsPerVisit => json!(round(ratio(t.visit_pageviews, t.visits), 2)),
            Metric::BounceRate => json!(ratio(t.bounces * 100, t.visits).round() as i64),
            Metric::VisitDuration => {
                json!((ratio_f(t.duration_ms as f64, t.visits) / 1000.0).round() as i64)
            }
            Metric::Percentage => json!(round(ratio(t.visitors * 100, self.total_visitors), 1)),
            Metric::ConversionRate => json!(round(ratio(t.visitors * 100, self.all_visitors), 2)),
            Metric::GroupConversionRate => {
                let key: Labels = query
                    .dimensions
                    .iter()
                    .zip(labels)
                    .filter(|(d, _)| **d != Dimension::Event(EventDimension::Goal))
                    .map(|(_, l)| l.clone())
                    .collect();
                let base = self.group_visitors.get(&key).copied().unwrap_or(0);
                json!(round(ratio(t.visitors * 100, base), 2))
            }
            Metric::ScrollDepth => match t.scroll_count {
                0 => Value::Null,
                n => json!(ratio(t.scroll_sum, n).round() as i64),
            },
            Metric::TimeOnPage => match t.engaged_visitors {
                0 => Value::Null,
                n => json!((ratio_f(t.engaged_ms as f64, n) / 1000.0).round() as i64),
            },
        }
    }

    /// How a row is matched with the previous period's: time buckets by their position.
    fn match_key(&self, query: &Query, labels: &Labels) -> Labels {
        query
            .dimensions
            .iter()
            .zip(labels)
            .map(|(d, l)| match d {
                Dimension::Time(_) => self
                    .grouped
                    .buckets
                    .iter()
                    .position(|b| b == l)
                    .map_or_else(|| l.clone(), |p| format!("#{p}")),
                _ => l.clone(),
            })
            .collect()
    }
}

fn visitors_of(grouped: &Grouped) -> u64 {
    grouped.rows.values().map(|t| t.visitors).sum()
}

/// The filter without its conditions on goals (the denominator of a conversion rate). Only
/// conditions joined by "and" are lifted; a goal inside "or" or "not" stays.
fn lift_goals(filter: &Filter) -> Option<Filter> {
    match filter {
        Filter::Condition(c) if c.dimension == Dimension::Event(EventDimension::Goal) => None,
        Filter::And(parts) => {
            let kept: Vec<Filter> = parts.iter().filter_map(lift_goals).collect();
            (!kept.is_empty()).then_some(Filter::And(kept))
        }
        other => Some(other.clone()),
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    ratio_f(part as f64, whole)
}

fn ratio_f(part: f64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { part / whole as f64 }
}

fn round(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

fn zeroes(metrics: &[Metric]) -> Vec<Value> {
    metrics
        .iter()
        .map(|m| match m {
            Metric::ScrollDepth | Metric::TimeOnPage => Value::Null,
            Metric::ViewsPerVisit
            | Metric::Percentage
            | Metric::ConversionRate
            | Metric::GroupConversionRate => json!(0.0),
            _ => json!(0),
        })
        .collect()
}

/// Rates change by points; counts and durations by percent (100 when there was nothing before).
fn change(metric: Metric, now: &Value, then: &Value) -> Value {
    let (Some(now), Some(then)) = (now.as_f64(), then.as_f64()) else {
        return Value::Null;
    };
    match metric {
        Metric::BounceRate
        | Metric::ConversionRate
        | Metric::GroupConversionRate
        | Metric::Percentage
        | Metric::ScrollDepth => json!(round(now - then, 1)),
        _ if then == 0.0 => json!(if now > 0.0 { 100 } else { 0 }),
        _ => json!(((now - then) / then * 100.0).round() as i64),
    }
}

/// Sorts rows by the query's order, or by time then by the first metric, largest first.
fn sort(rows: &mut [(Labels, Vec<Value>)], query: &Query) {
    let order: Vec<(OrderKey, Direction)> = if query.order_by.is_empty() {
        let mut default = Vec::new();
        if let Some(time) = query
            .dimensions
            .iter()
            .find(|d| matches!(d, Dimension::Time(_)))
        {
            default.push((OrderKey::Dimension(time.clone()), Direction::Asc));
        }
        if let Some(first) = query.metrics.first() {
            default.push((OrderKey::Metric(*first), Direction::Desc));
        }
        default
    } else {
        query.order_by.clone()
    };
    rows.sort_by(|a, b| {
        for (key, direction) in &order {
            let ordering = match key {
                OrderKey::Metric(m) => query
                    .metrics
                    .iter()
                    .position(|x| x == m)
                    .map_or(Ordering::Equal, |i| compare_values(&a.1[i], &b.1[i])),
                OrderKey::Dimension(d) => query
                    .dimensions
                    .iter()
                    .position(|x| x == d)
                    .map_or(Ordering::Equal, |i| a.0[i].cmp(&b.0[i])),
            };
            let ordering = match direction {
                Direction::Asc => ordering,
                Direction::Desc => ordering.reverse(),
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        a.0.cmp(&b.0)
    });
}

fn compare_values(a: &Value, b: &Value) -> Ordering {
    let (a, b) = (
        a.as_f64().unwrap_or(f64::MIN),
        b.as_f64().unwrap_or(f64::MIN),
    );
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

impl Answer {
    /// The answer in Plausible's shape, without the echo of the query (the caller adds it).
    pub fn results_json(&self) -> Value {
        Value::Array(
            self.results
                .iter()
                .map(|r| {
                    let mut row = json!({"metrics": r.metrics, "dimensions": r.dimensions});
                    if let Some(c) = &r.comparison {
                        row["comparison"] = json!({
                            "dimensions": c.dimensions, "metrics": c.metrics, "change": c.change
                        });
                    }
                    row
                })
                .collect(),
        )
    }

    /// The period resolved, as Plausible echoes it: two ISO 8601 instants in the site's zone.
    pub fn date_range_json(period: &Period) -> Value {
        let at = |ms: i64| {
            DateTime::from_timestamp_millis(ms)
                .unwrap_or_default()
                .with_timezone(&period.tz)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
        };
        json!([at(period.start_ms), at(period.end_ms - 1000)])
    }
}

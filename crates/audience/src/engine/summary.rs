//! A segment's summary: what the dashboard's first questions need of a sealed day without its
//! columns (its span, dictionaries and whole-segment rollups), small enough to read in a
//! millisecond. A store just opened answers from summaries and reads a day's columns only for
//! a question the rollups cannot answer (a filter, a custom property, part of a day).

use serde::{Deserialize, Serialize};

use super::aggregate::{Totals, warm_rollups};
use super::dict::Dict;
use super::segment::{Dicts, Segment};
use crate::query::parse::{dimension_by_name, dimension_name};
use crate::query::{Dimension, EventDimension, VisitDimension};

/// The dimensions a summary keeps rollups of (`None`: the totals): the dashboard's panels.
pub fn dashboard_dimensions() -> Vec<Option<Dimension>> {
    use VisitDimension as V;
    std::iter::once(None)
        .chain(
            [
                V::Source,
                V::Channel,
                V::UtmCampaign,
                V::EntryPage,
                V::ExitPage,
                V::Country,
                V::Browser,
                V::Os,
                V::Device,
            ]
            .map(|v| Some(Dimension::Visit(v))),
        )
        .chain([Some(Dimension::Event(EventDimension::Page))])
        .collect()
}

/// A segment's summary, as written beside its columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// First and last event time (ms).
    span: (i64, i64),
    visitors: u32,
    name: Vec<String>,
    page: Vec<String>,
    hostname: Vec<String>,
    /// One per [`VisitDimension`], in [`VisitDimension::ALL`] order.
    visit: Vec<Vec<String>>,
    rollups: Vec<Rolled>,
}

/// The rows of one rollup: the dimension's code and the group's counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Rolled {
    /// The dimension's Stats API name; `None` for the totals.
    dimension: Option<String>,
    rows: Vec<(u32, [i64; 12])>,
}

impl Summary {
    /// Summarizes a segment, computing the rollups of [`dashboard_dimensions`] it lacks.
    /// `None` for a segment with no events or one that is itself a summary.
    pub fn of(seg: &Segment) -> Option<Summary> {
        if seg.is_summary() {
            return None;
        }
        let span = seg.span()?;
        let dimensions = dashboard_dimensions();
        warm_rollups(seg, &dimensions);
        let rollups = dimensions
            .iter()
            .filter_map(|d| {
                let rows = seg.rollups.get(d)?;
                let mut rows: Vec<(u32, [i64; 12])> = rows
                    .iter()
                    .map(|(codes, totals)| (codes[0], to_numbers(totals)))
                    .collect();
                rows.sort_by_key(|r| r.0);
                Some(Rolled {
                    dimension: d.as_ref().map(dimension_name),
                    rows,
                })
            })
            .collect();
        let d = &seg.dicts;
        Some(Summary {
            span,
            visitors: seg.visitors,
            name: d.name.values().to_vec(),
            page: d.page.values().to_vec(),
            hostname: d.hostname.values().to_vec(),
            visit: d.visit.iter().map(|v| v.values().to_vec()).collect(),
            rollups,
        })
    }

    /// The segment the summary stands for: no columns, its dictionaries and rollups.
    /// Refuses a summary whose parts do not fit together (a damaged or foreign file).
    pub fn into_segment(self) -> Result<Segment, String> {
        if self.span.0 > self.span.1 {
            return Err("its time span ends before it starts".into());
        }
        if self.visit.len() != VisitDimension::ALL.len() {
            return Err(format!(
                "it has {} visit dictionaries, not {}",
                self.visit.len(),
                VisitDimension::ALL.len()
            ));
        }
        let dicts = Dicts {
            name: Dict::from_values(self.name),
            page: Dict::from_values(self.page),
            hostname: Dict::from_values(self.hostname),
            prop_key: Dict::default(),
            prop_value: Dict::default(),
            visit: self.visit.into_iter().map(Dict::from_values).collect(),
        };
        let seg = Segment {
            dicts,
            visitors: self.visitors,
            summary_span: Some(self.span),
            ..Segment::default()
        };
        for rolled in self.rollups {
            let dimension = match &rolled.dimension {
                None => None,
                Some(name) => Some(
                    dimension_by_name(name)
                        .ok_or_else(|| format!("it names an unknown dimension `{name}`"))?,
                ),
            };
            let size = match &dimension {
                None => 1,
                Some(Dimension::Visit(v)) => seg.dicts.of_visit(*v).len(),
                Some(Dimension::Event(EventDimension::Page)) => seg.dicts.page.len(),
                Some(Dimension::Event(EventDimension::Name)) => seg.dicts.name.len(),
                Some(Dimension::Event(EventDimension::Hostname)) => seg.dicts.hostname.len(),
                Some(other) => return Err(format!("it rolls up `{}`", dimension_name(other))),
            };
            if let Some(bad) = rolled.rows.iter().find(|r| r.0 as usize >= size) {
                return Err(format!(
                    "a row's code {} is outside its dictionary of {size}",
                    bad.0
                ));
            }
            let rows = rolled
                .rows
                .iter()
                .map(|(code, numbers)| (*code, from_numbers(numbers)));
            seg.rollups.insert(dimension, rows);
        }
        Ok(seg)
    }
}

fn to_numbers(t: &Totals) -> [i64; 12] {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    [
        n(t.visitors),
        n(t.event_visits),
        n(t.pageviews),
        n(t.events),
        n(t.visits),
        n(t.bounces),
        t.duration_ms,
        n(t.visit_pageviews),
        n(t.scroll_sum),
        n(t.scroll_count),
        n(t.engaged_ms),
        n(t.engaged_visitors),
    ]
}

fn from_numbers(v: &[i64; 12]) -> Totals {
    let n = |i: usize| u64::try_from(v[i]).unwrap_or(0);
    Totals {
        visitors: n(0),
        event_visits: n(1),
        pageviews: n(2),
        events: n(3),
        visits: n(4),
        bounces: n(5),
        duration_ms: v[6],
        visit_pageviews: n(7),
        scroll_sum: n(8),
        scroll_count: n(9),
        engaged_ms: n(10),
        engaged_visitors: n(11),
    }
}

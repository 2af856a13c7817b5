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

/// The part of a summary every question reads: the day's span, visitor count and totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryHead {
    /// First and last event time (ms).
    span: (i64, i64),
    visitors: u32,
    totals: [i64; 12],
}

/// One dimension's rollup: the dictionary its codes refer to and the rows by code. Read only
/// by the questions that group by that dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryPart {
    /// The dimension's Stats API name (`visit:source`).
    dimension: String,
    /// The dictionary's values, in code order (code 0, "no value", first).
    values: Vec<String>,
    rows: Vec<(u32, [i64; 12])>,
}

impl SummaryPart {
    /// The dimension's Stats API name.
    pub fn dimension(&self) -> &str {
        &self.dimension
    }

    /// The dimension's name, fit for a file name (`visit_source`).
    pub fn file_stem(&self) -> String {
        file_stem(&self.dimension)
    }
}

/// A dimension's name fit for a file name (`visit:source` → `visit_source`).
pub fn file_stem(dimension_name: &str) -> String {
    dimension_name.replace(':', "_")
}

/// Summarizes a segment, computing the rollups of [`dashboard_dimensions`] it lacks.
/// `None` for a segment with no events or one that is itself a summary.
pub fn summarize(seg: &Segment) -> Option<(SummaryHead, Vec<SummaryPart>)> {
    if seg.is_summary() {
        return None;
    }
    let span = seg.span()?;
    let dimensions = dashboard_dimensions();
    warm_rollups(seg, &dimensions);
    let totals = seg
        .rollups
        .get(&None)
        .and_then(|rows| rows.values().next().copied())
        .unwrap_or_default();
    let head = SummaryHead {
        span,
        visitors: seg.visitors,
        totals: to_numbers(&totals),
    };
    let parts = dimensions
        .iter()
        .flatten()
        .filter_map(|d| {
            let rows = seg.rollups.get(&Some(d.clone()))?;
            let mut rows: Vec<(u32, [i64; 12])> = rows
                .iter()
                .map(|(codes, totals)| (codes[0], to_numbers(totals)))
                .collect();
            rows.sort_by_key(|r| r.0);
            Some(SummaryPart {
                dimension: dimension_name(d),
                values: dict_of(&seg.dicts, d)?.values().to_vec(),
                rows,
            })
        })
        .collect();
    Some((head, parts))
}

/// The dictionary a rolled-up dimension's codes refer to.
fn dict_of<'a>(dicts: &'a Dicts, dimension: &Dimension) -> Option<&'a Dict> {
    match dimension {
        Dimension::Visit(v) => Some(dicts.of_visit(*v)),
        Dimension::Event(EventDimension::Page) => Some(&dicts.page),
        Dimension::Event(EventDimension::Name) => Some(&dicts.name),
        Dimension::Event(EventDimension::Hostname) => Some(&dicts.hostname),
        _ => None,
    }
}

/// The dictionary slot of a rolled-up dimension, to fill from a part.
fn dict_slot<'a>(dicts: &'a mut Dicts, dimension: &Dimension) -> Option<&'a mut Dict> {
    match dimension {
        Dimension::Visit(VisitDimension::EntryPage | VisitDimension::ExitPage)
        | Dimension::Event(EventDimension::Page) => Some(&mut dicts.page),
        Dimension::Visit(VisitDimension::EntryPageHostname | VisitDimension::ExitPageHostname)
        | Dimension::Event(EventDimension::Hostname) => Some(&mut dicts.hostname),
        Dimension::Visit(v) => dicts.visit.get_mut(v.index()),
        Dimension::Event(EventDimension::Name) => Some(&mut dicts.name),
        _ => None,
    }
}

/// The segment a summary stands for: no columns, the totals and the rollups of `parts` (the
/// dimensions read so far). Refuses parts that do not fit (a damaged or foreign file).
pub fn summary_segment(head: &SummaryHead, parts: &[SummaryPart]) -> Result<Segment, String> {
    if head.span.0 > head.span.1 {
        return Err("its time span ends before it starts".into());
    }
    let mut dicts = Dicts::default();
    let mut rollups = Vec::with_capacity(parts.len() + 1);
    rollups.push((None, vec![(0, from_numbers(&head.totals))]));
    for part in parts {
        let dimension = dimension_by_name(&part.dimension)
            .ok_or_else(|| format!("it names an unknown dimension `{}`", part.dimension))?;
        let slot = dict_slot(&mut dicts, &dimension)
            .ok_or_else(|| format!("it rolls up `{}`, which Relais does not", part.dimension))?;
        // Page, entry and exit pages share one dictionary: their parts carry the same values.
        if slot.len() < part.values.len() {
            *slot = Dict::from_values(part.values.clone());
        }
        let size = part.values.len().max(1);
        if let Some(bad) = part.rows.iter().find(|r| r.0 as usize >= size) {
            return Err(format!(
                "a row's code {} is outside its dictionary of {size}",
                bad.0
            ));
        }
        let rows = part
            .rows
            .iter()
            .map(|(code, numbers)| (*code, from_numbers(numbers)))
            .collect();
        rollups.push((Some(dimension), rows));
    }
    let seg = Segment {
        dicts,
        visitors: head.visitors,
        summary_span: Some(head.span),
        ..Segment::default()
    };
    for (dimension, rows) in rollups {
        seg.rollups.insert(dimension, rows.into_iter());
    }
    Ok(seg)
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

//! One pass over the segments of a period: rows grouped by the query's dimensions, with the
//! counts every metric is computed from.
//!
//! Events are counted per group (events, page views, distinct visitors and visits); visits are
//! counted per group of their own attributes (bounces, durations), a visit being in the period
//! when one of its events passes the filter. Visitors are distinct within a segment and summed
//! across segments: a segment is one UTC day and visitor hashes change every UTC day, so the sum
//! is the number of distinct day-visitors, as Plausible counts them.

use std::collections::{HashMap, HashSet};

use super::dict::NONE;
use super::filter::{self, Compiled, FilterError};
use super::goal::{Goal, GoalIndex};
use super::period::Period;
use super::segment::{NO_SCROLL, Segment};
use crate::hit::{ENGAGEMENT, PAGEVIEW};
use crate::query::{Dimension, EventDimension, Filter, TimeGrain, VisitDimension};

/// The error of a pass that needs the columns of a segment of which only the summary is here:
/// the caller reads the columns and asks again (see [`needs_columns`]).
const COLUMNS_NEEDED: &str =
    "this question needs the columns of a day only summarized in memory; read them and ask again";

/// Whether a pass (or the answer built on it) failed, with this message, only because a
/// segment was a summary.
pub fn needs_columns(message: &str) -> bool {
    message == COLUMNS_NEEDED
}

/// Most dimensions one query may group by.
pub const MAX_DIMENSIONS: usize = 6;

type Codes = [u32; MAX_DIMENSIONS];

/// Counts of one group.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    pub visitors: u64,
    /// Distinct visits with a counted event in the group.
    pub event_visits: u64,
    pub pageviews: u64,
    pub events: u64,
    /// Visits grouped by their own attributes and start time.
    pub visits: u64,
    pub bounces: u64,
    pub duration_ms: i64,
    pub visit_pageviews: u64,
    pub scroll_sum: u64,
    pub scroll_count: u64,
    pub engaged_ms: u64,
    pub engaged_visitors: u64,
}

impl Totals {
    fn add(&mut self, o: &Totals) {
        self.visitors += o.visitors;
        self.event_visits += o.event_visits;
        self.pageviews += o.pageviews;
        self.events += o.events;
        self.visits += o.visits;
        self.bounces += o.bounces;
        self.duration_ms += o.duration_ms;
        self.visit_pageviews += o.visit_pageviews;
        self.scroll_sum += o.scroll_sum;
        self.scroll_count += o.scroll_count;
        self.engaged_ms += o.engaged_ms;
        self.engaged_visitors += o.engaged_visitors;
    }
}

/// A group's labels: one per dimension (a time bucket is its label).
pub type Labels = Vec<String>;

/// The rows of a pass, by labels, and the labels of the time buckets in order.
#[derive(Debug, Default)]
pub struct Grouped {
    pub rows: HashMap<Labels, Totals>,
    pub buckets: Vec<String>,
}

/// Groups the events of `segments` that fall in `period` and pass `filter` by `dimensions`.
pub fn aggregate(
    segments: &[&Segment],
    period: &Period,
    dimensions: &[Dimension],
    filter: Option<&Filter>,
    goals: &[Goal],
) -> Result<Grouped, FilterError> {
    if dimensions.len() > MAX_DIMENSIONS {
        return Err(FilterError(format!(
            "Relais groups by at most {MAX_DIMENSIONS} dimensions at once"
        )));
    }
    let grain = dimensions.iter().find_map(|d| match d {
        Dimension::Time(TimeGrain::Auto) => Some(period.auto_grain()),
        Dimension::Time(g) => Some(*g),
        _ => None,
    });
    let buckets = grain.map(|g| period.buckets(g)).unwrap_or_default();
    let starts: Vec<i64> = buckets.iter().map(|b| b.0).collect();
    let mut grouped = Grouped {
        rows: HashMap::new(),
        buckets: buckets.into_iter().map(|b| b.1).collect(),
    };
    for seg in segments {
        let Some((first, last)) = seg.span() else {
            continue;
        };
        if last < period.start_ms || first >= period.end_ms {
            continue;
        }
        if let Some(rolled) = rolled_up(seg, period, dimensions, filter, &starts) {
            for (codes, totals) in rolled {
                let labels = labels(seg, dimensions, goals, &grouped.buckets, &codes);
                grouped.rows.entry(labels).or_default().add(&totals);
            }
            continue;
        }
        if seg.is_summary() {
            return Err(FilterError(COLUMNS_NEEDED.into()));
        }
        let pass = SegmentPass::new(seg, period, dimensions, filter, goals, &starts)?;
        for (codes, totals) in pass.run() {
            let labels = labels(seg, dimensions, goals, &grouped.buckets, &codes);
            grouped.rows.entry(labels).or_default().add(&totals);
        }
    }
    Ok(grouped)
}

/// Whole-segment answers, by the non-time dimension they group by (none, or one): a segment
/// lying wholly inside a query's period and inside one of its time buckets, queried without a
/// filter, gives the same rows every time, so they are computed once (by the very pass that
/// scans) and summed from then on. Visitors stay exact: they are distinct within a segment and
/// summed across segments anyway.
#[derive(Default)]
pub struct RollupCache(std::sync::Mutex<HashMap<Option<Dimension>, Rows>>);

/// A segment's rows by their codes, shared between queries.
pub type Rows = std::sync::Arc<HashMap<Codes, Totals>>;

impl Clone for RollupCache {
    /// A copy of a segment (a day still going on) starts without the original's answers.
    fn clone(&self) -> Self {
        RollupCache::default()
    }
}

impl std::fmt::Debug for RollupCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RollupCache")
    }
}

impl RollupCache {
    /// The rows of one rollup, by the dimension's code, if computed.
    pub fn get(&self, dimension: &Option<Dimension>) -> Option<Rows> {
        let cache = self.0.lock().unwrap_or_else(|p| p.into_inner());
        cache.get(dimension).cloned()
    }

    /// Sets the rows of one rollup, by the dimension's code (a summary read back).
    pub fn insert(&self, dimension: Option<Dimension>, rows: impl Iterator<Item = (u32, Totals)>) {
        let rows = rows
            .map(|(code, totals)| {
                let mut codes = [NONE; MAX_DIMENSIONS];
                codes[0] = code;
                (codes, totals)
            })
            .collect();
        let mut cache = self.0.lock().unwrap_or_else(|p| p.into_inner());
        cache.insert(dimension, std::sync::Arc::new(rows));
    }
}

/// Computes a segment's rollups for these dimensions (`None`: totals) ahead of the queries that
/// will need them, as a server does after it starts. A summary has the ones it has.
pub fn warm_rollups(seg: &Segment, dimensions: &[Option<Dimension>]) {
    if seg.is_summary() {
        return;
    }
    for dimension in dimensions {
        let _ = rollup_of(seg, dimension.clone());
    }
}

/// A segment's whole-segment rows grouped by one dimension (or none), computed once.
fn rollup_of(seg: &Segment, other: Option<Dimension>) -> Rows {
    let mut cache = seg.rollups.0.lock().unwrap_or_else(|p| p.into_inner());
    cache
        .entry(other.clone())
        .or_insert_with(|| {
            let whole = Period {
                start_ms: i64::MIN,
                end_ms: i64::MAX,
                first_day: chrono::NaiveDate::MIN,
                last_day: chrono::NaiveDate::MAX,
                tz: chrono_tz::UTC,
            };
            let dims: Vec<Dimension> = other.iter().cloned().collect();
            let pass = SegmentPass::new(seg, &whole, &dims, None, &[], &[]);
            std::sync::Arc::new(pass.map(|p| p.run()).unwrap_or_default())
        })
        .clone()
}

/// The rows of a segment from its rollups, laid out for `dimensions`; `None` when the query
/// cannot use them (a filter, a part of the segment outside the period or split between time
/// buckets, more than one other dimension, goals or properties).
fn rolled_up(
    seg: &Segment,
    period: &Period,
    dimensions: &[Dimension],
    filter: Option<&Filter>,
    starts: &[i64],
) -> Option<Vec<(Codes, Totals)>> {
    let (first, last) = seg.span()?;
    if filter.is_some() || first < period.start_ms || last >= period.end_ms {
        return None;
    }
    let others: Vec<&Dimension> = dimensions
        .iter()
        .filter(|d| !matches!(d, Dimension::Time(_)))
        .collect();
    let other = match others.as_slice() {
        [] => None,
        [d] if matches!(d, Dimension::Visit(_))
            || matches!(
                d,
                Dimension::Event(
                    EventDimension::Page | EventDimension::Name | EventDimension::Hostname
                )
            ) =>
        {
            Some((*d).clone())
        }
        _ => return None,
    };
    let bucket_of = |t: i64| starts.partition_point(|&s| s <= t).saturating_sub(1);
    let bucket = bucket_of(first);
    if bucket != bucket_of(last) {
        return None;
    }
    let table = if seg.is_summary() {
        seg.rollups.get(&other)?
    } else {
        rollup_of(seg, other)
    };
    Some(
        table
            .iter()
            .map(|(rolled, totals)| {
                let mut codes = [NONE; MAX_DIMENSIONS];
                for (slot, d) in dimensions.iter().enumerate() {
                    codes[slot] = match d {
                        Dimension::Time(_) => bucket as u32,
                        _ => rolled[0],
                    };
                }
                (codes, *totals)
            })
            .collect(),
    )
}

struct SegmentPass<'a> {
    seg: &'a Segment,
    period: &'a Period,
    dimensions: &'a [Dimension],
    filter: Option<Compiled>,
    goals: GoalIndex,
    prop_keys: Vec<Option<u32>>,
    starts: &'a [i64],
    pageview: Option<u32>,
    engagement: Option<u32>,
}

impl<'a> SegmentPass<'a> {
    fn new(
        seg: &'a Segment,
        period: &'a Period,
        dimensions: &'a [Dimension],
        filter: Option<&Filter>,
        goals: &[Goal],
        starts: &'a [i64],
    ) -> Result<Self, FilterError> {
        let uses_goals = dimensions.contains(&Dimension::Event(EventDimension::Goal))
            || filter.is_some_and(mentions_goal);
        Ok(SegmentPass {
            seg,
            period,
            dimensions,
            filter: filter.map(|f| filter::compile(f, seg, goals)).transpose()?,
            goals: if uses_goals {
                GoalIndex::build(seg, goals)
            } else {
                GoalIndex::default()
            },
            prop_keys: dimensions
                .iter()
                .map(|d| match d {
                    Dimension::Event(EventDimension::Prop(key)) => seg.dicts.prop_key.find(key),
                    _ => None,
                })
                .collect(),
            starts,
            pageview: seg.dicts.name.find(PAGEVIEW),
            engagement: seg.dicts.name.find(ENGAGEMENT),
        })
    }

    fn run(&self) -> HashMap<Codes, Totals> {
        let e = &self.seg.events;
        let lo = e.at_ms.partition_point(|&t| t < self.period.start_ms);
        let hi = e.at_ms.partition_point(|&t| t < self.period.end_ms);
        let mut totals: HashMap<Codes, Totals> = HashMap::new();
        let mut visitors: HashSet<(Codes, u32)> = HashSet::new();
        let mut visits: HashSet<(Codes, u32)> = HashSet::new();
        let mut scrolls: HashMap<(Codes, u32), u8> = HashMap::new();
        let mut engaged: HashMap<(Codes, u32), u64> = HashMap::new();
        let mut selected = vec![false; self.seg.sessions.visitor.len()];
        let mut bucket = 0usize;
        let mut keys: Vec<Codes> = Vec::with_capacity(2);

        for i in lo..hi {
            while bucket + 1 < self.starts.len() && self.starts[bucket + 1] <= e.at_ms[i] {
                bucket += 1;
            }
            if let Some(f) = &self.filter
                && !f.accepts(self.seg, i, &self.goals)
            {
                continue;
            }
            let session = e.session[i];
            let visitor = self.seg.sessions.visitor[session as usize];
            self.keys_of(i, session as usize, bucket, &mut keys);
            if Some(e.name[i]) == self.engagement {
                for key in &keys {
                    if e.scroll_depth[i] != NO_SCROLL {
                        let deepest = scrolls.entry((*key, visitor)).or_insert(0);
                        *deepest = (*deepest).max(e.scroll_depth[i]);
                    }
                    *engaged.entry((*key, visitor)).or_insert(0) += u64::from(e.engaged_ms[i]);
                }
                continue;
            }
            selected[session as usize] = true;
            for key in &keys {
                let t = totals.entry(*key).or_default();
                t.events += 1;
                if Some(e.name[i]) == self.pageview {
                    t.pageviews += 1;
                }
                if visitors.insert((*key, visitor)) {
                    t.visitors += 1;
                }
                if visits.insert((*key, session)) {
                    t.event_visits += 1;
                }
            }
        }
        for ((key, _), deepest) in scrolls {
            let t = totals.entry(key).or_default();
            t.scroll_sum += u64::from(deepest);
            t.scroll_count += 1;
        }
        for ((key, _), ms) in engaged {
            let t = totals.entry(key).or_default();
            t.engaged_ms += ms;
            t.engaged_visitors += 1;
        }
        if self.visits_can_be_grouped() {
            self.count_visits(&selected, &mut totals);
        }
        totals
    }

    /// Visits, bounces and durations per group of the visits' own attributes.
    fn count_visits(&self, selected: &[bool], totals: &mut HashMap<Codes, Totals>) {
        let s = &self.seg.sessions;
        for (row, _) in selected.iter().enumerate().filter(|(_, on)| **on) {
            let bucket = self
                .starts
                .partition_point(|&start| start <= s.start_ms[row])
                .saturating_sub(1);
            let t = totals.entry(self.codes(None, row, bucket, 0)).or_default();
            t.visits += 1;
            t.bounces += u64::from(s.bounce[row]);
            t.duration_ms += s.end_ms[row] - s.start_ms[row];
            t.visit_pageviews += u64::from(s.pageviews[row]);
        }
    }

    /// Visits group by their own attributes, and by page through their entry page (as
    /// Plausible's bounce rate per page is that of the visits that landed on it); no other
    /// event dimension says anything of a whole visit.
    fn visits_can_be_grouped(&self) -> bool {
        self.dimensions.iter().all(|d| {
            !matches!(d, Dimension::Event(_)) || *d == Dimension::Event(EventDimension::Page)
        })
    }

    /// The group keys of event `i`: one, or one per goal reached when grouping by goal (none
    /// when it reaches no goal).
    fn keys_of(&self, i: usize, session: usize, bucket: usize, keys: &mut Vec<Codes>) {
        keys.clear();
        let goal_position = self
            .dimensions
            .iter()
            .position(|d| *d == Dimension::Event(EventDimension::Goal));
        match goal_position {
            None => keys.push(self.codes(Some(i), session, bucket, 0)),
            Some(_) => {
                for &goal in self.goals.of(self.seg, i) {
                    keys.push(self.codes(Some(i), session, bucket, goal as u32));
                }
            }
        }
    }

    /// The codes of a row: event `event` (if any) of visit `session`, in time bucket `bucket`.
    fn codes(&self, event: Option<usize>, session: usize, bucket: usize, goal: u32) -> Codes {
        let mut codes = [NONE; MAX_DIMENSIONS];
        let e = &self.seg.events;
        for (slot, dimension) in self.dimensions.iter().enumerate() {
            codes[slot] = match (dimension, event) {
                (Dimension::Time(_), _) => bucket as u32,
                (Dimension::Visit(v), _) => self.seg.sessions.dims[v.index()][session],
                (Dimension::Event(EventDimension::Name), Some(i)) => e.name[i],
                (Dimension::Event(EventDimension::Page), Some(i)) => e.page[i],
                (Dimension::Event(EventDimension::Page), None) => {
                    self.seg.sessions.dims[VisitDimension::EntryPage.index()][session]
                }
                (Dimension::Event(EventDimension::Hostname), Some(i)) => e.hostname[i],
                (Dimension::Event(EventDimension::Goal), Some(_)) => goal,
                (Dimension::Event(EventDimension::Prop(_)), Some(i)) => {
                    self.prop_keys[slot].map_or(NONE, |k| filter::prop_value(self.seg, i, k))
                }
                (Dimension::Event(_), None) => NONE,
            };
        }
        codes
    }
}

fn mentions_goal(filter: &Filter) -> bool {
    match filter {
        Filter::And(parts) | Filter::Or(parts) => parts.iter().any(mentions_goal),
        Filter::Not(inner) => mentions_goal(inner),
        Filter::Condition(c) => c.dimension == Dimension::Event(EventDimension::Goal),
    }
}

/// The labels of a segment's group codes.
fn labels(
    seg: &Segment,
    dimensions: &[Dimension],
    goals: &[Goal],
    buckets: &[String],
    codes: &Codes,
) -> Labels {
    let d = &seg.dicts;
    dimensions
        .iter()
        .zip(codes)
        .map(|(dimension, &code)| {
            let text = match dimension {
                Dimension::Time(_) => buckets.get(code as usize).map(String::as_str),
                Dimension::Event(EventDimension::Goal) => {
                    return goals
                        .get(code as usize)
                        .map(Goal::display_name)
                        .unwrap_or_default();
                }
                Dimension::Event(EventDimension::Name) => d.name.value(code),
                Dimension::Event(EventDimension::Page) => d.page.value(code),
                Dimension::Event(EventDimension::Hostname) => d.hostname.value(code),
                Dimension::Event(EventDimension::Prop(_)) => d.prop_value.value(code),
                Dimension::Visit(v) => d.of_visit(*v).value(code),
            };
            text.map_or_else(|| none_label(dimension).to_string(), str::to_string)
        })
        .collect()
}

/// How a row without a value is labelled.
pub fn none_label(dimension: &Dimension) -> &'static str {
    match dimension {
        Dimension::Visit(crate::query::VisitDimension::Source) => "Direct / None",
        _ => "(none)",
    }
}

//! Funnels: how many visitors went through a site's goals in order, within one visit, and where
//! the others left.

use super::filter::{self, FilterError};
use super::goal::{Goal, GoalIndex};
use super::period::Period;
use super::segment::Segment;
use crate::query::Filter;

/// One step's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The goal's display name.
    pub label: String,
    /// Visitors who reached this step after all the steps before it, in one visit.
    pub visitors: u64,
    /// Of those who entered the funnel (reached step 1), in percent.
    pub conversion: f64,
    /// Visitors of the step before who did not reach this one.
    pub dropoff: u64,
}

/// Walks every visit of the period, in time order, through the steps: a visit reaches step
/// k + 1 when, after reaching step k, one of its events (that passes the filter) reaches the
/// next goal. A visitor counts at the deepest step any of their visits reached.
pub fn funnel(
    segments: &[&Segment],
    period: &Period,
    filter: Option<&Filter>,
    steps: &[Goal],
) -> Result<Vec<Step>, FilterError> {
    let mut reached_by_depth = vec![0u64; steps.len() + 1];
    for seg in segments {
        let compiled = filter.map(|f| filter::compile(f, seg, steps)).transpose()?;
        let goals = GoalIndex::build(seg, steps);
        let e = &seg.events;
        let lo = e.at_ms.partition_point(|&t| t < period.start_ms);
        let hi = e.at_ms.partition_point(|&t| t < period.end_ms);
        let mut visit_depth = vec![0usize; seg.sessions.visitor.len()];
        for i in lo..hi {
            if let Some(f) = &compiled
                && !f.accepts(seg, i, &goals)
            {
                continue;
            }
            let visit = e.session[i] as usize;
            let depth = visit_depth[visit];
            if depth < steps.len() && goals.of(seg, i).contains(&depth) {
                visit_depth[visit] = depth + 1;
            }
        }
        // Visitors are a segment's own (see `aggregate`): their deepest visit counts.
        let mut visitor_depth = vec![0usize; seg.visitors as usize];
        for (visit, depth) in visit_depth.into_iter().enumerate() {
            let v = seg.sessions.visitor[visit] as usize;
            visitor_depth[v] = visitor_depth[v].max(depth);
        }
        for depth in visitor_depth {
            reached_by_depth[depth] += 1;
        }
    }
    // Visitors at step k = those whose deepest step is k or beyond.
    let mut out = Vec::with_capacity(steps.len());
    let mut previous = 0;
    for (k, goal) in steps.iter().enumerate() {
        let visitors: u64 = reached_by_depth[k + 1..].iter().sum();
        let first: u64 = reached_by_depth[1..].iter().sum();
        out.push(Step {
            label: goal.display_name(),
            visitors,
            conversion: if first == 0 {
                0.0
            } else {
                (visitors as f64 * 10_000.0 / first as f64).round() / 100.0
            },
            dropoff: if k == 0 { 0 } else { previous - visitors },
        });
        previous = visitors;
    }
    Ok(out)
}

//! Response times against a workspace's targets: which conversations are overdue now, and
//! figures per member and per channel (how many were answered, how fast, how many within the
//! target).
//!
//! Two clocks, as support teams count them: the *response* clock runs from the oldest message
//! the team has not answered (`awaiting_since`) until the team answers; the *resolution* clock
//! from the first message of the conversation until it is closed. A closed conversation is
//! never overdue. Times are Unix milliseconds.

use std::collections::BTreeMap;

const MINUTE_MS: i64 = 60_000;

/// A workspace's targets, in minutes (`None`: no target).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Targets {
    pub first_response_minutes: Option<u32>,
    pub resolution_minutes: Option<u32>,
}

impl Targets {
    fn response_ms(&self) -> Option<i64> {
        self.first_response_minutes
            .map(|m| i64::from(m) * MINUTE_MS)
    }

    fn resolution_ms(&self) -> Option<i64> {
        self.resolution_minutes.map(|m| i64::from(m) * MINUTE_MS)
    }
}

/// The times of one conversation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Times {
    pub closed: bool,
    pub first_inbound_at: Option<i64>,
    pub first_response_at: Option<i64>,
    pub awaiting_since: Option<i64>,
    pub closed_at: Option<i64>,
}

/// Which clock ran out, and by how much.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overdue {
    /// Nobody has answered yet.
    FirstResponse {
        late_by_ms: i64,
    },
    /// The team answered once, and a newer message waits too long.
    Response {
        late_by_ms: i64,
    },
    Resolution {
        late_by_ms: i64,
    },
}

impl Overdue {
    pub fn late_by_ms(self) -> i64 {
        match self {
            Overdue::FirstResponse { late_by_ms }
            | Overdue::Response { late_by_ms }
            | Overdue::Resolution { late_by_ms } => late_by_ms,
        }
    }
}

/// When the response clock runs out (`None`: not waiting, closed, or no target).
pub fn response_due_at(times: &Times, targets: &Targets) -> Option<i64> {
    if times.closed {
        return None;
    }
    Some(times.awaiting_since? + targets.response_ms()?)
}

/// Whether the conversation is overdue at `now`; the response clock first (it is what a fan
/// feels).
pub fn overdue(times: &Times, targets: &Targets, now: i64) -> Option<Overdue> {
    if times.closed {
        return None;
    }
    if let Some(due) = response_due_at(times, targets).filter(|due| now > *due) {
        let late_by_ms = now - due;
        return Some(if times.first_response_at.is_none() {
            Overdue::FirstResponse { late_by_ms }
        } else {
            Overdue::Response { late_by_ms }
        });
    }
    let due = times.first_inbound_at? + targets.resolution_ms()?;
    (now > due).then_some(Overdue::Resolution {
        late_by_ms: now - due,
    })
}

/// The `awaiting_since` before which an open conversation is overdue for an answer at `now`:
/// what a store filters on to list overdue conversations.
pub fn overdue_if_awaiting_before(targets: &Targets, now: i64) -> Option<i64> {
    targets.response_ms().map(|target| now - target)
}

/// Figures over a set of conversations.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    pub conversations: u64,
    /// Conversations the team answered at least once.
    pub answered: u64,
    pub median_first_response_ms: Option<i64>,
    pub p90_first_response_ms: Option<i64>,
    /// Share of answered conversations answered within the target (0..=1), `None` without a
    /// target or an answer.
    pub first_response_within_target: Option<f64>,
    pub resolved: u64,
    pub median_resolution_ms: Option<i64>,
    pub resolution_within_target: Option<f64>,
    /// Overdue at the time the figures were made.
    pub overdue_now: u64,
}

/// Figures over `samples`.
pub fn figures<'a>(
    samples: impl IntoIterator<Item = &'a Times>,
    targets: &Targets,
    now: i64,
) -> Figures {
    let mut first_responses = Vec::new();
    let mut resolutions = Vec::new();
    let mut conversations = 0;
    let mut overdue_now = 0;
    for times in samples {
        conversations += 1;
        if let (Some(start), Some(answer)) = (times.first_inbound_at, times.first_response_at) {
            first_responses.push((answer - start).max(0));
        }
        if let (true, Some(start), Some(end)) =
            (times.closed, times.first_inbound_at, times.closed_at)
        {
            resolutions.push((end - start).max(0));
        }
        if overdue(times, targets, now).is_some() {
            overdue_now += 1;
        }
    }
    first_responses.sort_unstable();
    resolutions.sort_unstable();
    Figures {
        conversations,
        answered: first_responses.len() as u64,
        median_first_response_ms: percentile(&first_responses, 50),
        p90_first_response_ms: percentile(&first_responses, 90),
        first_response_within_target: within(&first_responses, targets.response_ms()),
        resolved: resolutions.len() as u64,
        median_resolution_ms: percentile(&resolutions, 50),
        resolution_within_target: within(&resolutions, targets.resolution_ms()),
        overdue_now,
    }
}

/// Figures per group (a member, a channel), `key` naming each sample's group.
pub fn figures_by<K: Ord, S>(
    samples: &[S],
    key: impl Fn(&S) -> K,
    times: impl Fn(&S) -> Times,
    targets: &Targets,
    now: i64,
) -> BTreeMap<K, Figures> {
    let mut groups: BTreeMap<K, Vec<Times>> = BTreeMap::new();
    for sample in samples {
        groups.entry(key(sample)).or_default().push(times(sample));
    }
    groups
        .into_iter()
        .map(|(k, list)| (k, figures(&list, targets, now)))
        .collect()
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

fn within(sorted: &[i64], target: Option<i64>) -> Option<f64> {
    let target = target?;
    if sorted.is_empty() {
        return None;
    }
    let ok = sorted.partition_point(|d| *d <= target);
    Some(ok as f64 / sorted.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = MINUTE_MS;

    fn targets() -> Targets {
        Targets {
            first_response_minutes: Some(30),
            resolution_minutes: Some(24 * 60),
        }
    }

    #[test]
    fn the_response_clock_runs_from_the_oldest_unanswered_message() {
        let waiting = Times {
            first_inbound_at: Some(0),
            awaiting_since: Some(0),
            ..Times::default()
        };
        assert_eq!(overdue(&waiting, &targets(), 30 * MIN), None);
        assert_eq!(
            overdue(&waiting, &targets(), 31 * MIN),
            Some(Overdue::FirstResponse { late_by_ms: MIN })
        );
        let answered_then_waiting = Times {
            first_response_at: Some(5 * MIN),
            awaiting_since: Some(60 * MIN),
            ..waiting
        };
        assert_eq!(
            overdue(&answered_then_waiting, &targets(), 100 * MIN),
            Some(Overdue::Response {
                late_by_ms: 10 * MIN
            })
        );
        let answered = Times {
            awaiting_since: None,
            ..answered_then_waiting
        };
        assert_eq!(overdue(&answered, &targets(), 100 * MIN), None);
        // The resolution clock, once the team has answered but not closed.
        assert_eq!(
            overdue(&answered, &targets(), 25 * 60 * MIN),
            Some(Overdue::Resolution {
                late_by_ms: 60 * MIN
            })
        );
        let closed = Times {
            closed: true,
            closed_at: Some(MIN),
            ..waiting
        };
        assert_eq!(overdue(&closed, &targets(), 1000 * MIN), None);
        assert_eq!(overdue(&waiting, &Targets::default(), 1000 * MIN), None);
        assert_eq!(
            overdue_if_awaiting_before(&targets(), 100 * MIN),
            Some(70 * MIN)
        );
    }

    #[test]
    fn figures_count_medians_and_shares_within_target() {
        let answered_in = |minutes: i64| Times {
            first_inbound_at: Some(0),
            first_response_at: Some(minutes * MIN),
            ..Times::default()
        };
        let samples = [
            answered_in(10),
            answered_in(20),
            answered_in(40),
            answered_in(50),
            Times {
                closed: true,
                first_inbound_at: Some(0),
                first_response_at: Some(5 * MIN),
                closed_at: Some(120 * MIN),
                awaiting_since: None,
            },
            Times {
                first_inbound_at: Some(0),
                awaiting_since: Some(0),
                ..Times::default()
            },
        ];
        let f = figures(&samples, &targets(), 60 * MIN);
        assert_eq!(f.conversations, 6);
        assert_eq!(f.answered, 5);
        assert_eq!(f.median_first_response_ms, Some(20 * MIN));
        assert_eq!(f.p90_first_response_ms, Some(50 * MIN));
        assert_eq!(f.first_response_within_target, Some(3.0 / 5.0));
        assert_eq!(f.resolved, 1);
        assert_eq!(f.median_resolution_ms, Some(120 * MIN));
        assert_eq!(f.resolution_within_target, Some(1.0));
        assert_eq!(f.overdue_now, 1);
    }

    #[test]
    fn figures_by_group() {
        let samples = [("ana", 10), ("ana", 30), ("bob", 90)];
        let by = figures_by(
            &samples,
            |s| s.0,
            |s| Times {
                first_inbound_at: Some(0),
                first_response_at: Some(s.1 * MIN),
                ..Times::default()
            },
            &targets(),
            0,
        );
        assert_eq!(by["ana"].answered, 2);
        assert_eq!(by["ana"].median_first_response_ms, Some(10 * MIN));
        assert_eq!(by["bob"].first_response_within_target, Some(0.0));
    }
}

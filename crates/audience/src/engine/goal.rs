//! Goals: what counts as a conversion on a site, a page visited or a custom event.

use crate::hit::PAGEVIEW;

/// One goal of a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goal {
    pub kind: GoalKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoalKind {
    /// A page view whose path matches; `*` stands for any text (`/blog/*`).
    Page(String),
    /// A custom event of this name.
    Event(String),
}

impl Goal {
    pub fn page(path: &str) -> Goal {
        Goal {
            kind: GoalKind::Page(path.to_string()),
        }
    }

    pub fn event(name: &str) -> Goal {
        Goal {
            kind: GoalKind::Event(name.to_string()),
        }
    }

    /// The goal's name as the statistics show it: the event's name, or `Visit /path`.
    pub fn display_name(&self) -> String {
        match &self.kind {
            GoalKind::Page(path) => format!("Visit {path}"),
            GoalKind::Event(name) => name.clone(),
        }
    }

    /// Whether an event of this name on this page reaches the goal.
    pub fn reached_by(&self, name: &str, page: &str) -> bool {
        match &self.kind {
            GoalKind::Event(goal) => name == goal,
            GoalKind::Page(pattern) => name == PAGEVIEW && wildcard_match(pattern, page),
        }
    }
}

/// `*` matches any run of characters (`/blog/*` matches `/blog/a/b`); everything else is literal.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, rest) = (parts[0], &parts[1..]);
    let Some(mut remaining) = text.strip_prefix(first) else {
        return false;
    };
    let last = rest[rest.len() - 1];
    for middle in &rest[..rest.len() - 1] {
        match remaining.find(middle) {
            Some(at) => remaining = &remaining[at + middle.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

/// Which goals each event of a segment reaches, looked up by the event's name and page codes.
#[derive(Debug, Default)]
pub struct GoalIndex {
    pageview: Option<u32>,
    by_page: Vec<Vec<usize>>,
    by_name: Vec<Vec<usize>>,
}

impl GoalIndex {
    /// Evaluates every goal once against each distinct page and event name of a segment.
    pub fn build(seg: &super::segment::Segment, goals: &[Goal]) -> GoalIndex {
        let d = &seg.dicts;
        let by_page = d
            .page
            .values()
            .iter()
            .map(|page| {
                goal_indexes(
                    goals,
                    |g| matches!(&g.kind, GoalKind::Page(p) if wildcard_match(p, page)),
                )
            })
            .collect();
        let by_name = d
            .name
            .values()
            .iter()
            .map(|name| {
                goal_indexes(
                    goals,
                    |g| matches!(&g.kind, GoalKind::Event(n) if n == name),
                )
            })
            .collect();
        GoalIndex {
            pageview: d.name.find(PAGEVIEW),
            by_page,
            by_name,
        }
    }

    /// The goals event `i` reaches, as indexes in the site's goals.
    pub fn of(&self, seg: &super::segment::Segment, i: usize) -> &[usize] {
        let e = &seg.events;
        let list = if Some(e.name[i]) == self.pageview {
            self.by_page.get(e.page[i] as usize)
        } else {
            self.by_name.get(e.name[i] as usize)
        };
        list.map_or(&[], Vec::as_slice)
    }
}

fn goal_indexes(goals: &[Goal], reached: impl Fn(&Goal) -> bool) -> Vec<usize> {
    goals
        .iter()
        .enumerate()
        .filter(|(_, g)| reached(g))
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_goals_take_wildcards_and_event_goals_names() {
        let blog = Goal::page("/blog/*");
        assert!(blog.reached_by("pageview", "/blog/a/b"));
        assert!(!blog.reached_by("pageview", "/shop/blog/a"));
        assert!(!blog.reached_by("Signup", "/blog/a"));
        assert_eq!(blog.display_name(), "Visit /blog/*");
        assert!(Goal::page("/pricing").reached_by("pageview", "/pricing"));
        assert!(!Goal::page("/pricing").reached_by("pageview", "/pricing/x"));
        assert!(Goal::event("Signup").reached_by("Signup", "/any"));
        assert!(wildcard_match("*/thanks", "/order/12/thanks"));
        assert!(wildcard_match("/a*b*c", "/aXbYc"));
        assert!(!wildcard_match("/a*b*c", "/aXcYb"));
        assert!(!wildcard_match("/ab*ab", "/ab"));
    }
}

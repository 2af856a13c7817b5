//! Visits: a visitor's events belong to one visit until they are idle for 30 minutes.

use std::collections::HashMap;

/// A visit ends after this long without an event.
pub const IDLE_MS: i64 = 30 * 60 * 1000;

/// The visits going on, per site and visitor. Visitors change every day (see
/// [`crate::visitor`]), so a visit never spans two UTC days.
#[derive(Debug, Default)]
pub struct Sessions {
    open: HashMap<(u64, u64), Open>,
}

#[derive(Debug, Clone, Copy)]
struct Open {
    id: u64,
    last_ms: i64,
}

impl Sessions {
    /// The visit an event at `at_ms` belongs to, opening one if the visitor had none or was idle
    /// too long. An event older than the visit's last one (a late request) joins it.
    pub fn visit(&mut self, site: u64, visitor: u64, at_ms: i64) -> u64 {
        let open = self.open.entry((site, visitor)).or_insert(Open {
            id: session_id(site, visitor, at_ms),
            last_ms: at_ms,
        });
        if at_ms - open.last_ms > IDLE_MS {
            *open = Open {
                id: session_id(site, visitor, at_ms),
                last_ms: at_ms,
            };
        }
        open.last_ms = open.last_ms.max(at_ms);
        open.id
    }

    /// The visit going on for a visitor at `at_ms`, without opening or lengthening one (for
    /// engagement reports, which say how a page was read, not that the visitor is still there).
    pub fn current(&self, site: u64, visitor: u64, at_ms: i64) -> Option<u64> {
        self.open
            .get(&(site, visitor))
            .filter(|o| at_ms - o.last_ms <= IDLE_MS)
            .map(|o| o.id)
    }

    /// Takes up a visit known from events already stored (after a restart), unless the visitor
    /// has a later one open.
    pub fn resume(&mut self, site: u64, visitor: u64, session: u64, at_ms: i64) {
        let open = self.open.entry((site, visitor)).or_insert(Open {
            id: session,
            last_ms: at_ms,
        });
        if at_ms >= open.last_ms {
            *open = Open {
                id: session,
                last_ms: at_ms,
            };
        }
    }

    /// Forgets visits idle for longer than [`IDLE_MS`] at `now_ms`, so memory follows the
    /// number of people on the site now, not all day.
    pub fn forget_idle(&mut self, now_ms: i64) {
        self.open.retain(|_, o| now_ms - o.last_ms <= IDLE_MS);
    }

    pub fn len(&self) -> usize {
        self.open.len()
    }

    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }
}

/// A visit's id, derived from who and when it started, so that replaying the same events after a
/// restart gives the same ids.
fn session_id(site: u64, visitor: u64, start_ms: i64) -> u64 {
    // splitmix64 finaliser over the three parts: well spread, cheap, deterministic.
    let mut z = site
        .rotate_left(21)
        .wrapping_add(visitor)
        .wrapping_add((start_ms as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn a_visit_lasts_until_thirty_idle_minutes() {
        let mut s = Sessions::default();
        let first = s.visit(1, 7, 0);
        assert_eq!(s.visit(1, 7, 29 * MIN), first);
        assert_eq!(
            s.visit(1, 7, 58 * MIN),
            first,
            "29 minutes after the last event"
        );
        let second = s.visit(1, 7, 89 * MIN);
        assert_ne!(second, first, "31 idle minutes start a new visit");
        assert_ne!(s.visit(1, 8, 89 * MIN), second, "another visitor");
        assert_ne!(
            s.visit(2, 7, 89 * MIN),
            second,
            "same visitor hash on another site"
        );
        assert_eq!(
            s.visit(1, 7, 88 * MIN),
            second,
            "a late event joins the visit"
        );
    }

    #[test]
    fn idle_visits_are_forgotten_and_ids_are_reproducible() {
        let mut s = Sessions::default();
        let id = s.visit(1, 7, 0);
        s.visit(1, 9, 40 * MIN);
        s.forget_idle(45 * MIN);
        assert_eq!(s.len(), 1);
        let mut replay = Sessions::default();
        assert_eq!(replay.visit(1, 7, 0), id);
        let mut restarted = Sessions::default();
        restarted.resume(1, 7, 42, 10 * MIN);
        assert_eq!(
            restarted.visit(1, 7, 20 * MIN),
            42,
            "a visit stored before a restart goes on"
        );
    }
}

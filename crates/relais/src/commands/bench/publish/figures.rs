//! The maths of a publication run: when each post is due, how late each went out, and what a
//! whole run comes to (publications per second, lateness percentiles, duplicates, failures),
//! pure so that it is tested on its own.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::super::load::percentile;

/// When post `i` of `n` is due, in milliseconds since the Unix epoch: evenly spread over
/// `spread_ms` from `t0_ms` (post 0 at `t0_ms`, the last one just before `t0_ms + spread_ms`);
/// all at `t0_ms` when `spread_ms` is 0.
pub fn due_ms(t0_ms: i64, i: usize, n: usize, spread_ms: i64) -> i64 {
    if n == 0 {
        return t0_ms;
    }
    let offset = (i as i128 * i128::from(spread_ms)) / n as i128;
    t0_ms.saturating_add(i64::try_from(offset).unwrap_or(i64::MAX))
}

/// One request as the receiver got it: the `Idempotency-Key` and when it arrived, in
/// microseconds since the Unix epoch (the same wall clock the queue's due times are read on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrival {
    pub key: String,
    pub at_us: i64,
}

/// What one run (Relais or the peer) came to.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Posts the run was to publish.
    pub expected: usize,
    /// Distinct posts the receiver got.
    pub published: usize,
    /// Requests beyond the first for a post (a post published twice counts once here).
    pub duplicates: usize,
    /// Requests with a key the run never planned (should never happen).
    pub unknown: usize,
    /// Posts that arrived before they were due (a scheduler must never do that).
    pub early: usize,
    /// Lateness of each published post (its first arrival minus its due time), in
    /// microseconds, sorted; an early post counts as 0.
    pub lateness_us: Vec<u64>,
    /// The first due time and the last first-arrival, in microseconds since the epoch.
    pub first_due_us: i64,
    pub last_arrival_us: i64,
    /// Posts the run itself reports as failed for good (dead jobs; the peer's refused requests).
    pub failed: usize,
    /// The most posts due but not yet published at any moment.
    pub peak_backlog: usize,
    pub cpu: CpuShares,
}

/// How busy a run kept the machine, each as a share of all its CPUs (1.0 = every CPU busy).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CpuShares {
    /// The whole machine, whoever used it (another program's work shows here too).
    pub machine: Option<f64>,
    /// This process: Relais's store (SQLite runs inside it), worker and HTTP client, or the
    /// peer's clients, and the receiver's thread.
    pub process: Option<f64>,
    /// PostgreSQL's server processes, when the benchmark started them.
    pub database: Option<f64>,
}

impl Outcome {
    /// Joins what the receiver saw with when each post was due (`due_ms` by key).
    pub fn from_arrivals(due_ms: &HashMap<String, i64>, arrivals: &[Arrival]) -> Self {
        let mut first: HashMap<&str, i64> = HashMap::with_capacity(due_ms.len());
        let mut out = Outcome {
            expected: due_ms.len(),
            first_due_us: due_ms
                .values()
                .min()
                .map_or(0, |ms| ms.saturating_mul(1000)),
            ..Outcome::default()
        };
        for a in arrivals {
            if !due_ms.contains_key(&a.key) {
                out.unknown += 1;
                continue;
            }
            match first.get_mut(a.key.as_str()) {
                Some(at) => {
                    out.duplicates += 1;
                    *at = (*at).min(a.at_us);
                }
                None => {
                    first.insert(a.key.as_str(), a.at_us);
                }
            }
        }
        out.published = first.len();
        out.lateness_us = first
            .iter()
            .filter_map(|(key, at)| {
                let due_us = due_ms.get(*key)?.saturating_mul(1000);
                Some(at.saturating_sub(due_us))
            })
            .map(|late| {
                if late < 0 {
                    out.early += 1;
                }
                u64::try_from(late).unwrap_or(0)
            })
            .collect();
        out.lateness_us.sort_unstable();
        out.last_arrival_us = first.values().copied().max().unwrap_or(out.first_due_us);
        out.peak_backlog = peak_backlog(
            due_ms.values().map(|ms| ms.saturating_mul(1000)).collect(),
            first.values().copied().collect(),
        );
        out
    }

    /// Posts that never reached the receiver.
    pub fn missing(&self) -> usize {
        self.expected.saturating_sub(self.published)
    }

    /// Published posts per second, from the first due time to the last publication: the
    /// schedule's own rate (posts ÷ spread) at best, less when the run fell behind it.
    pub fn posts_per_second(&self) -> f64 {
        let span = (self.last_arrival_us - self.first_due_us) as f64 / 1e6;
        if span > 0.0 {
            self.published as f64 / span
        } else {
            0.0
        }
    }

    /// Nearest-rank percentile (`q` in 0..=1) of the lateness; zero when nothing was published.
    pub fn lateness(&self, q: f64) -> Duration {
        Duration::from_micros(percentile(&self.lateness_us, q))
    }

    pub fn max_lateness(&self) -> Duration {
        Duration::from_micros(self.lateness_us.last().copied().unwrap_or(0))
    }

    /// From the first due time to the last publication.
    pub fn span(&self) -> Duration {
        Duration::from_micros(u64::try_from(self.last_arrival_us - self.first_due_us).unwrap_or(0))
    }

    pub fn json(&self) -> Value {
        let ms = |d: Duration| (d.as_secs_f64() * 1e4).round() / 10.0;
        let share = |s: Option<f64>| s.map(|c| (c * 100.0).round() / 100.0);
        json!({
            "posts": self.expected,
            "published": self.published,
            "duplicates": self.duplicates,
            "failed": self.failed,
            "missing": self.missing(),
            "unknown_keys": self.unknown,
            "early": self.early,
            "posts_per_second": (self.posts_per_second() * 10.0).round() / 10.0,
            "lateness_p50_ms": ms(self.lateness(0.50)),
            "lateness_p99_ms": ms(self.lateness(0.99)),
            "lateness_max_ms": ms(self.max_lateness()),
            "first_due_to_last_publication_s": (self.span().as_secs_f64() * 100.0).round() / 100.0,
            "peak_backlog": self.peak_backlog,
            "cpu_share_of_machine": {
                "busy": share(self.cpu.machine),
                "this_process": share(self.cpu.process),
                "postgresql_server": share(self.cpu.database),
            },
        })
    }
}

/// The most posts due and not yet published at the same moment: each due time adds one, each
/// publication takes one away (a publication at the very time it falls due never waits).
fn peak_backlog(mut due_us: Vec<i64>, mut published_us: Vec<i64>) -> usize {
    due_us.sort_unstable();
    published_us.sort_unstable();
    let (mut waiting, mut peak, mut p) = (0usize, 0usize, 0usize);
    for due in due_us {
        while published_us.get(p).is_some_and(|&at| at <= due) {
            waiting = waiting.saturating_sub(1);
            p += 1;
        }
        waiting += 1;
        peak = peak.max(waiting);
    }
    peak
}

/// Relais's publications per second as a share of the peer's (1.0 = as many).
pub fn ratio(relais: &Outcome, peer: &Outcome) -> f64 {
    let p = peer.posts_per_second();
    if p > 0.0 {
        relais.posts_per_second() / p
    } else {
        0.0
    }
}

/// Busy and total CPU ticks of the whole machine from /proc/stat's first (`cpu`) line: busy
/// is everything but idle and I/O wait (steal counts as busy: the machine was not ours).
pub fn machine_ticks(proc_stat: &str) -> Option<(u64, u64)> {
    let line = proc_stat.lines().next()?;
    let mut fields = line.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    let v: Vec<u64> = fields
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    if v.len() < 5 {
        return None;
    }
    let total: u64 = v.iter().sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    Some((total.saturating_sub(idle), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrivals(list: &[(&str, i64)]) -> Vec<Arrival> {
        list.iter()
            .map(|(k, at)| Arrival {
                key: (*k).into(),
                at_us: *at,
            })
            .collect()
    }

    #[test]
    fn due_times_spread_evenly_over_the_window() {
        assert_eq!(due_ms(1_000, 0, 4, 60_000), 1_000);
        assert_eq!(due_ms(1_000, 1, 4, 60_000), 16_000);
        assert_eq!(due_ms(1_000, 3, 4, 60_000), 46_000);
        // 100 000 posts over a minute: 0.6 ms apart, the last one inside the minute.
        assert_eq!(due_ms(0, 99_999, 100_000, 60_000), 59_999);
        assert_eq!(due_ms(0, 50_000, 100_000, 60_000), 30_000);
        // No spread: all at once.
        assert_eq!(due_ms(7, 123, 1_000, 0), 7);
        assert_eq!(due_ms(7, 0, 0, 60_000), 7);
    }

    #[test]
    fn lateness_is_first_arrival_minus_due_time() {
        // Due at 1.000 s, 1.001 s, …; times below in µs.
        let due: HashMap<String, i64> = (0..100)
            .map(|i| (format!("k{i}"), 1_000 + i64::from(i)))
            .collect();
        // Post i arrives i × 10 ms late; "k5" twice (the second later), a stranger once.
        let mut list: Vec<(String, i64)> = (0..100)
            .map(|i| (format!("k{i}"), (1_000 + i) * 1000 + i * 10_000))
            .collect();
        list.push(("k5".into(), 9_000_000));
        list.push(("stranger".into(), 2_000_000));
        let a: Vec<Arrival> = list
            .iter()
            .map(|(k, at)| Arrival {
                key: k.clone(),
                at_us: *at,
            })
            .collect();
        let o = Outcome::from_arrivals(&due, &a);
        assert_eq!((o.expected, o.published, o.missing()), (100, 100, 0));
        assert_eq!((o.duplicates, o.unknown, o.early), (1, 1, 0));
        // Nearest rank: p50 is the 50th smallest (i = 49), p99 the 99th (i = 98).
        assert_eq!(o.lateness(0.50), Duration::from_millis(490));
        assert_eq!(o.lateness(0.99), Duration::from_millis(980));
        assert_eq!(o.max_lateness(), Duration::from_millis(990));
        // From the first due time (1.000 s) to the last first arrival (1.099 s + 990 ms).
        assert_eq!(o.span(), Duration::from_millis(1_089));
        assert!((o.posts_per_second() - 100.0 / 1.089).abs() < 1e-9);
        let j = o.json();
        assert_eq!(j["lateness_p99_ms"], 980.0);
        assert_eq!(j["duplicates"], 1);
    }

    #[test]
    fn missing_early_and_empty_runs() {
        let due: HashMap<String, i64> = [("a".to_owned(), 10), ("b".to_owned(), 20)].into();
        // "a" 1 ms early, "b" never arrives.
        let o = Outcome::from_arrivals(&due, &arrivals(&[("a", 9_000)]));
        assert_eq!((o.published, o.missing(), o.early), (1, 1, 1));
        assert_eq!(o.lateness(0.99), Duration::ZERO);
        let none = Outcome::from_arrivals(&due, &[]);
        assert_eq!((none.published, none.posts_per_second()), (0, 0.0));
        assert_eq!(none.lateness(0.5), Duration::ZERO);
        assert_eq!(ratio(&o, &none), 0.0);
    }

    #[test]
    fn throughput_ratio() {
        let due: HashMap<String, i64> = [("a".to_owned(), 0), ("b".to_owned(), 0)].into();
        let slow = Outcome::from_arrivals(&due, &arrivals(&[("a", 500_000), ("b", 1_000_000)]));
        let fast = Outcome::from_arrivals(&due, &arrivals(&[("a", 100_000), ("b", 250_000)]));
        assert_eq!(slow.posts_per_second(), 2.0);
        assert_eq!(fast.posts_per_second(), 8.0);
        assert_eq!(ratio(&slow, &fast), 0.25);
    }

    #[test]
    fn the_backlog_is_what_fell_due_and_did_not_go_yet() {
        // Due at 0, 10, 20, 30; published at 5, 40, 41, 42: after 30, three wait at once.
        assert_eq!(peak_backlog(vec![0, 10, 20, 30], vec![5, 40, 41, 42]), 3);
        // Each published before the next falls due: never more than one.
        assert_eq!(peak_backlog(vec![0, 10, 20], vec![1, 11, 21]), 1);
        // All at once: all wait.
        assert_eq!(peak_backlog(vec![0, 0, 0], vec![1, 2, 3]), 3);
        assert_eq!(peak_backlog(vec![], vec![]), 0);
        let due: HashMap<String, i64> = [("a".to_owned(), 0), ("b".to_owned(), 0)].into();
        let o = Outcome::from_arrivals(&due, &arrivals(&[("a", 1_000), ("b", 2_000)]));
        assert_eq!(o.peak_backlog, 2);
    }

    #[test]
    fn machine_cpu_from_proc_stat() {
        let stat = "cpu  100 5 50 800 20 3 2 10 0 0\ncpu0 1 2 3 4\n";
        // total 990; idle 800 + iowait 20.
        assert_eq!(machine_ticks(stat), Some((170, 990)));
        assert_eq!(machine_ticks("intr 1 2 3"), None);
        assert_eq!(machine_ticks(""), None);
    }
}

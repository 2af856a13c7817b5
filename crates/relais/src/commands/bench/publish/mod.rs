//! `relais bench publish`: how many scheduled posts Relais publishes a second, and how late,
//! when many fall due together — beside the best any scheduler could do on the same machine in
//! the same run.
//!
//! **The scenario.** N posts (100 000 by default), one webhook channel, due evenly over one
//! minute (`--spread`; 0 puts them all at the same instant), and a local receiver that answers
//! each after 50 ms, as a network's API would on a good day. A post's **lateness** is when the
//! receiver got it minus when it was due; throughput is the posts published per second from the
//! first due time to the last publication (at best the schedule's own rate, N ÷ spread).
//!
//! **Relais** ([`relais_side`]): a fresh store, the posts created through it as the composer
//! creates them (loading is timed apart, not measured), then the worker `relais serve` runs,
//! with `--concurrency` jobs at once: claim, intent, signed POST, result, done.
//!
//! **The peer** ([`peer`]): `--concurrency` tasks sending the same posts with the webhook
//! connector itself, each as soon as it is due, from a list in memory: no queue, no database.
//! The two take turns (peer first on the first database, Relais first on the next).

mod figures;
mod peer;
pub(super) mod postgres;
mod receiver;
mod relais_side;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::{Value, json};

use super::load::cpu_ticks;
use super::report::{Machine, latency, thousands};
use crate::cli::{BenchBackend, BenchPublishArgs};
use figures::{CpuShares, Outcome, machine_ticks, ratio};
use relais_side::{Database, Loading, RelaisRun};

/// How long the receiver takes to answer each post.
const RECEIVER_DELAY: Duration = Duration::from_millis(50);

/// What one run is asked to do; Relais and its peer get the same.
#[derive(Clone, Debug)]
pub struct Spec {
    pub posts: usize,
    pub concurrency: usize,
    pub spread: Duration,
    pub receiver_delay: Duration,
}

/// The text of post `i`, the same for Relais and the peer.
pub fn post_text(i: usize) -> String {
    format!("Relais benchmark post {i}: due in the same minute as many others, published once.")
}

/// The outgoing HTTP client as `relais serve` builds it with `allow_private_addresses` on (the
/// receiver listens on loopback).
pub fn http_client() -> Result<relais_outbound::HttpClient> {
    Ok(relais_outbound::HttpClient::new(
        relais_outbound::OutboundConfig {
            allow_private_addresses: true,
            ..Default::default()
        },
    )?)
}

/// Microseconds since the epoch; re-exported for the runs.
pub use receiver::now_us;

/// Sleeps until the wall clock reads `ms` (milliseconds since the epoch); at once if it has.
pub async fn sleep_until_wall_ms(ms: i64) {
    let wait_us = ms.saturating_mul(1000).saturating_sub(now_us());
    if let Ok(us) = u64::try_from(wait_us)
        && us > 0
    {
        tokio::time::sleep(Duration::from_micros(us)).await;
    }
}

/// CPU ticks of the machine, of this process and of PostgreSQL's server (when the benchmark
/// started it) at one moment, to say how busy a run kept each.
pub struct Cpu {
    machine: Option<(u64, u64)>,
    process: Option<u64>,
    database: Option<u64>,
}

impl Cpu {
    /// `database`: the server's ticks now, if known.
    pub fn sample(database: Option<u64>) -> Self {
        Self {
            machine: std::fs::read_to_string("/proc/stat")
                .ok()
                .and_then(|s| machine_ticks(&s)),
            process: std::fs::read_to_string("/proc/self/stat")
                .ok()
                .and_then(|s| cpu_ticks(&s)),
            database,
        }
    }

    /// Each one's share of all the machine's CPUs since this sample.
    pub fn since(&self, database: Option<u64>) -> CpuShares {
        let now = Self::sample(database);
        let Some(((busy0, total0), (busy1, total1))) = self.machine.zip(now.machine) else {
            return CpuShares::default();
        };
        let total = total1.saturating_sub(total0);
        if total == 0 {
            return CpuShares::default();
        }
        let share = |a: Option<u64>, b: Option<u64>| {
            a.zip(b)
                .map(|(a, b)| b.saturating_sub(a) as f64 / total as f64)
        };
        CpuShares {
            machine: Some(busy1.saturating_sub(busy0) as f64 / total as f64),
            process: share(self.process, now.process),
            database: share(self.database, now.database),
        }
    }
}

/// One database's result: Relais on it, and the peer measured next to it.
struct BackendFigures {
    name: &'static str,
    database: String,
    loading: Loading,
    relais: Outcome,
    peer: Outcome,
}

impl BackendFigures {
    fn json(&self, spec: &Spec, machine: &Machine) -> Value {
        json!({
            "backend": self.name,
            "database": self.database,
            "posts": spec.posts,
            "concurrency": spec.concurrency,
            "spread_seconds": spec.spread.as_secs(),
            "receiver_delay_ms": spec.receiver_delay.as_millis(),
            "lateness": "when the receiver got the post minus when it was due",
            "loading": {
                "seconds": (self.loading.took.as_secs_f64() * 10.0).round() / 10.0,
                "posts_per_second": self.loading.posts_per_second().round(),
            },
            "relais": self.relais.json(),
            "peer": self.peer.json(),
            "peer_is": "the webhook connector alone: the same posts, clients and receiver, no queue or database",
            "ratio_relais_to_peer": (ratio(&self.relais, &self.peer) * 1000.0).round() / 1000.0,
            "machine": {
                "cpus": machine.cpus,
                "cpu_model": machine.cpu_model,
                "load_average_before": machine.load_average,
                "relais_version": machine.relais_version,
                "relais_profile": machine.profile(),
                "date": machine.date,
            },
        })
    }
}

pub async fn run(args: BenchPublishArgs) -> Result<()> {
    let machine = Machine::probe("");
    let debug_warning = "WARNING: this relais is a DEBUG build: its figures are not meaningful. \
                         Build with `cargo build --release -p relais` and run target/release/relais.";
    if !machine.release_build {
        eprintln!("{debug_warning}");
    }
    let spec = Spec {
        posts: args.posts as usize,
        concurrency: args.concurrency as usize,
        spread: Duration::from_secs(u64::from(args.spread)),
        receiver_delay: RECEIVER_DELAY,
    };
    let postgres = match args.postgres_url.as_deref().map(str::trim) {
        Some(url) if !url.is_empty() => Database::PostgresUrl(url.to_owned()),
        _ => Database::PostgresPrivate,
    };
    let databases: Vec<(&'static str, Database)> = match args.backend {
        BenchBackend::Sqlite => vec![("sqlite", Database::Sqlite)],
        BenchBackend::Postgres => vec![("postgres", postgres)],
        BenchBackend::Both => vec![("sqlite", Database::Sqlite), ("postgres", postgres)],
    };
    // At best the schedule's length; at worst, the posts one batch of C after another.
    let each = spec.spread.max(
        spec.receiver_delay
            * u32::try_from(spec.posts.div_ceil(spec.concurrency)).unwrap_or(u32::MAX),
    );
    eprintln!(
        "relais bench publish: {} posts due over {} s, {} at once, on {}: at least {} s per run, \
         2 runs per database (Relais, then the peer, or the other way), plus loading",
        thousands(spec.posts as f64),
        spec.spread.as_secs(),
        spec.concurrency,
        databases
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(" and "),
        each.as_secs() + 3,
    );

    let mut results = Vec::new();
    for (k, (name, database)) in databases.into_iter().enumerate() {
        results.push(measure(&spec, name, &database, k % 2 == 0).await?);
    }

    if args.json {
        for r in &results {
            println!("{}", r.json(&spec, &machine));
        }
        return Ok(());
    }
    print!("{}", header(&spec, &machine));
    for r in &results {
        println!();
        print!("{}", table(r));
    }
    if !machine.release_build {
        println!("{debug_warning}");
    }
    Ok(())
}

/// Relais on `database` and the peer, taking turns as `peer_first` says.
async fn measure(
    spec: &Spec,
    name: &'static str,
    database: &Database,
    peer_first: bool,
) -> Result<BackendFigures> {
    let mut peer = None;
    if peer_first {
        peer = Some(run_peer(spec, name).await?);
    }
    eprintln!("  {name}: Relais (loading the posts first)…");
    let started = Instant::now();
    let RelaisRun {
        outcome: relais,
        loading,
        database,
    } = relais_side::run(spec, database).await?;
    eprintln!(
        "  {name}: Relais: loading {:.1} s; {} posts/s, lateness p50 {}, p99 {} ({:.0} s in all)",
        loading.took.as_secs_f64(),
        thousands(relais.posts_per_second()),
        latency(relais.lateness(0.50)),
        latency(relais.lateness(0.99)),
        started.elapsed().as_secs_f64()
    );
    let peer = match peer {
        Some(p) => p,
        None => run_peer(spec, name).await?,
    };
    Ok(BackendFigures {
        name,
        database,
        loading,
        relais,
        peer,
    })
}

async fn run_peer(spec: &Spec, name: &str) -> Result<Outcome> {
    eprintln!("  {name}: the peer…");
    let peer = peer::run(spec).await?;
    eprintln!(
        "  {name}: peer: {} posts/s, lateness p50 {}, p99 {}",
        thousands(peer.posts_per_second()),
        latency(peer.lateness(0.50)),
        latency(peer.lateness(0.99))
    );
    Ok(peer)
}

fn header(spec: &Spec, machine: &Machine) -> String {
    let mut out = String::new();
    let rate = if spec.spread.is_zero() {
        "all at the same instant".to_owned()
    } else {
        format!(
            "due evenly over {} s ({} a second)",
            spec.spread.as_secs(),
            thousands(spec.posts as f64 / spec.spread.as_secs_f64())
        )
    };
    let _ = writeln!(
        out,
        "relais bench publish: {} posts {rate}, one webhook channel, a receiver answering each after {} ms; {} at once",
        thousands(spec.posts as f64),
        spec.receiver_delay.as_millis(),
        spec.concurrency
    );
    let _ = writeln!(
        out,
        "lateness: when the receiver got a post minus when it was due; posts/s: from the first due time to the last publication"
    );
    let _ = writeln!(
        out,
        "peer: the webhook connector alone, {} clients sending the same posts as each falls due (no queue, no database)",
        spec.concurrency
    );
    let _ = writeln!(
        out,
        "machine: {} CPUs ({}), load average {} before the run; relais {} ({} build); {}",
        machine.cpus,
        machine.cpu_model,
        machine.load_average,
        machine.relais_version,
        machine.profile(),
        machine.date
    );
    out
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "-".into(), |s| format!("{:.0}%", s * 100.0))
}

/// One database's block: Relais, the peer, and the ratio.
fn table(r: &BackendFigures) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}", r.name, r.database);
    let _ = writeln!(
        out,
        "  loading {} posts: {:.1} s ({} posts/s), not measured",
        thousands(r.loading.posts as f64),
        r.loading.took.as_secs_f64(),
        thousands(r.loading.posts_per_second())
    );
    let _ = writeln!(
        out,
        "  {:<31} {:>7} {:>12} {:>9} {:>9} {:>8} {:>5} {:>6} {:>7}   CPU: machine / process / PostgreSQL",
        "", "posts/s", "lateness p50", "p99", "max", "backlog", "dupl.", "failed", "missing",
    );
    for (label, o) in [
        ("relais (queue, store, worker)", &r.relais),
        ("peer (connector, nothing else)", &r.peer),
    ] {
        let _ = writeln!(
            out,
            "  {:<31} {:>7} {:>12} {:>9} {:>9} {:>8} {:>5} {:>6} {:>7}   {} / {} / {}",
            label,
            thousands(o.posts_per_second()),
            latency(o.lateness(0.50)),
            latency(o.lateness(0.99)),
            latency(o.max_lateness()),
            thousands(o.peak_backlog as f64),
            o.duplicates,
            o.failed,
            o.missing(),
            percent(o.cpu.machine),
            percent(o.cpu.process),
            percent(o.cpu.database),
        );
    }
    let _ = writeln!(
        out,
        "  {:<31} {:>7.2}   (Relais's posts per second as a share of the peer's)",
        "relais/peer",
        ratio(&r.relais, &r.peer)
    );
    let _ = writeln!(
        out,
        "  backlog: most posts due and not yet published at once; CPU: share of all the machine's CPUs"
    );
    out
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{BenchCommand, Cli, Command};

    #[test]
    fn bench_publish_flags_and_their_limits() {
        let cli = Cli::try_parse_from(["relais", "bench", "publish"]).unwrap();
        let Command::Bench(BenchCommand::Publish(a)) = cli.command else {
            panic!("not bench publish");
        };
        assert_eq!(
            (a.posts, a.concurrency, a.spread, a.backend, a.json),
            (100_000, 128, 60, BenchBackend::Both, false)
        );
        let cli = Cli::try_parse_from([
            "relais",
            "bench",
            "publish",
            "--posts",
            "2000",
            "--concurrency",
            "128",
            "--backend",
            "postgres",
            "--spread",
            "0",
            "--json",
        ])
        .unwrap();
        let Command::Bench(BenchCommand::Publish(a)) = cli.command else {
            panic!("not bench publish");
        };
        assert_eq!(
            (a.posts, a.concurrency, a.spread, a.backend, a.json),
            (2000, 128, 0, BenchBackend::Postgres, true)
        );
        for bad in [
            ["--posts", "0"],
            ["--concurrency", "0"],
            ["--concurrency", "2000"],
            ["--backend", "mysql"],
        ] {
            let mut argv = vec!["relais", "bench", "publish"];
            argv.extend(bad);
            assert!(Cli::try_parse_from(argv).is_err(), "{bad:?}");
        }
    }

    fn small() -> Spec {
        Spec {
            posts: 200,
            concurrency: 16,
            spread: Duration::from_secs(1),
            receiver_delay: Duration::from_millis(5),
        }
    }

    fn check(o: &Outcome, who: &str) {
        assert_eq!(o.expected, 200, "{who}");
        assert_eq!(o.published, 200, "{who}: every post arrives");
        assert_eq!(o.duplicates, 0, "{who}: none twice");
        assert_eq!((o.failed, o.unknown, o.early), (0, 0, 0), "{who}");
        assert_eq!(o.lateness_us.len(), 200, "{who}");
        assert!(o.posts_per_second() > 0.0, "{who}");
    }

    /// The whole run on SQLite, small: Relais and the peer each publish every post once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_small_run_on_sqlite_publishes_every_post_once() {
        let spec = small();
        let relais = relais_side::run(&spec, &Database::Sqlite).await.unwrap();
        check(&relais.outcome, "relais");
        assert_eq!(relais.loading.posts, 200);
        assert!(relais.database.starts_with("SQLite"));
        let peer = peer::run(&spec).await.unwrap();
        check(&peer, "peer");
        let r = BackendFigures {
            name: "sqlite",
            database: relais.database,
            loading: relais.loading,
            relais: relais.outcome,
            peer,
        };
        let t = table(&r);
        assert!(
            t.contains("relais/peer") && t.contains("loading 200 posts"),
            "{t}"
        );
        let j = r.json(&spec, &Machine::probe(""));
        assert_eq!(j["relais"]["published"], 200);
        assert_eq!(j["peer"]["duplicates"], 0);
    }

    /// The same on PostgreSQL, in a throwaway cluster of the benchmark's own.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_small_run_on_postgres_publishes_every_post_once() {
        let relais = relais_side::run(&small(), &Database::PostgresPrivate)
            .await
            .unwrap();
        check(&relais.outcome, "relais");
        assert!(relais.database.starts_with("PostgreSQL"));
    }

    /// A database that is not empty is refused: the worker would take its jobs.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_postgres_database_in_use_is_refused() {
        let url = relais_testkit::postgres::fresh_database();
        let store = relais_store::open(&relais_store::DatabaseLocation::Postgres(url.clone()))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let slug = relais_core::Slug::parse("taken").unwrap();
        store
            .create_workspace(
                &slug,
                "Taken",
                None,
                relais_core::audit::AuditEvent {
                    workspace_id: None,
                    actor: relais_core::audit::Actor::cli(),
                    action: "workspace.create".into(),
                    target: "taken".into(),
                    details: Value::Null,
                },
            )
            .await
            .unwrap();
        store.close().await;
        let Err(e) = relais_side::run(&small(), &Database::PostgresUrl(url)).await else {
            panic!("a database in use was accepted");
        };
        assert!(e.to_string().contains("not empty"), "{e}");
    }
}

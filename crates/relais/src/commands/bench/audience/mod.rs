//! `relais bench audience`: the audience capability at scale, each figure beside a peer
//! measured in the same run on the same machine.
//!
//! - **Events**: N realistic events of one site over D UTC days ending yesterday
//!   ([`generate`]), appended to a fresh embedded store and sealed into segments
//!   ([`embedded_side`]); bytes on disk per event, beside PostgreSQL's table and index.
//! - **Dashboard**: the 30-day main graph, the top sources and the top pages, on the embedded
//!   engine and on PostgreSQL holding the same events ([`postgres_side`]), first run and median
//!   warm run; both engines' answers must agree ([`dashboard`]), or the benchmark fails.
//! - **HTTP**: page views POSTed to `/api/event` and a short link followed at `/l/bench`, on
//!   the real router with the audience started, beside nginx answering a bare 202 and 302
//!   ([`http_side`]), taking turns as `bench http` does.

mod dashboard;
mod embedded_side;
mod generate;
mod http_side;
mod postgres_side;

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use relais_analytics::SiteInfo;
use serde_json::{Value, json};

use super::Turns;
use super::publish::postgres::Cluster;
use super::report::{Machine, Summary, latency, thousands};
use crate::cli::BenchAudienceArgs;
use dashboard::{Dashboard, Row, Timed};
use http_side::HttpFigures;

/// The generated site's domain (the tracker's `d`).
pub const DOMAIN: &str = "bench.example.com";
/// The generated site's id; events carry it.
const SITE_ID: &str = "4f6c0e1a-8d2b-4c3e-9a57-b1d2c3e4f5a6";
/// Seed of the generator: the same events in every run.
const SEED: u64 = 0x5EED_A0D1_E4CE;
/// Rounds of the HTTP comparisons (nginx, Relais, Relais, nginx, nginx, Relais).
const ROUNDS: u32 = 3;

/// The aims.
const AIM_QUERY: Duration = Duration::from_millis(50);
const AIM_BYTES_PER_EVENT: f64 = 40.0;
const AIM_HTTP_SHARE: f64 = 0.5;

/// Every figure of a run.
struct Figures {
    spec: generate::Spec,
    embedded: embedded_side::Loaded,
    postgres: postgres_side::Loaded,
    postgres_server: String,
    relais_answers: Vec<(Dashboard, Timed, Vec<Row>)>,
    postgres_answers: Vec<(Dashboard, Timed, Vec<Row>)>,
    http: HttpFigures,
    turns: Turns,
}

pub async fn run(args: BenchAudienceArgs) -> Result<()> {
    let mut machine = Machine::probe("");
    let debug_warning = "WARNING: this relais is a DEBUG build: its figures are not meaningful. \
                         Build with `cargo build --release -p relais` and run target/release/relais.";
    if !machine.release_build {
        eprintln!("{debug_warning}");
    }
    let now = Utc::now();
    let spec = spec_for(args.events, args.days, now);
    let turns = Turns {
        rounds: ROUNDS,
        seconds: args.seconds,
        connections: args.connections,
    };
    eprintln!(
        "relais bench audience: {} events over {} days ({} to {}); HTTP: {} connections, {} s per run, {} rounds",
        thousands(spec.events as f64),
        spec.days,
        spec.first_day,
        spec.last_day(),
        turns.connections,
        turns.seconds,
        turns.rounds
    );

    eprintln!("HTTP: /api/event and /l/bench, Relais and nginx taking turns…");
    let http = http_side::measure(&turns, args.nginx.as_deref()).await?;
    machine.nginx_version = http.nginx_version.clone();

    eprintln!("embedded: generating and appending…");
    let dir = tempfile::Builder::new()
        .prefix("relais-bench-events-")
        .tempdir()
        .context("cannot create a temporary directory for the event store")?;
    let embedded = embedded_side::load(dir.path(), &spec, now).await?;
    eprintln!(
        "  embedded: {} days sealed, {:.1} bytes per event on disk",
        embedded.days_sealed,
        embedded.bytes_per_event()
    );
    let relais_answers = embedded_side::ask(dir.path(), &site_info(&spec), &spec, now).await?;
    drop(dir);

    let (postgres, postgres_answers, postgres_server) = on_postgres(&args, &spec).await?;
    for ((dashboard, _, ours), (_, _, theirs)) in relais_answers.iter().zip(&postgres_answers) {
        if let Err(difference) = dashboard.agree(ours, theirs) {
            bail!("the embedded engine and PostgreSQL disagree: {difference}");
        }
    }
    eprintln!("both engines give the same answers to the three questions");

    let figures = Figures {
        spec,
        embedded,
        postgres,
        postgres_server,
        relais_answers,
        postgres_answers,
        http,
        turns,
    };
    print!("{}", table(&figures, &machine));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&figures.json(&machine))?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("figures written to {}", path.display());
    }
    if !machine.release_build {
        println!("{debug_warning}");
    }
    Ok(())
}

/// `events` over `days` UTC days ending the day before `now`.
fn spec_for(events: u64, days: u32, now: DateTime<Utc>) -> generate::Spec {
    let today = now.date_naive();
    generate::Spec {
        site: SITE_ID.into(),
        events,
        days,
        first_day: today - chrono::Duration::days(i64::from(days)),
        seed: SEED,
    }
}

fn site_info(spec: &generate::Spec) -> SiteInfo {
    SiteInfo {
        id: SITE_ID.into(),
        goals: Vec::new(),
        tz: chrono_tz::UTC,
        start: spec.first_day,
    }
}

type Answers = Vec<(Dashboard, Timed, Vec<Row>)>;

/// Loads and asks PostgreSQL: the database given, or a throwaway cluster (as `bench publish`
/// starts one), stopped at the end.
async fn on_postgres(
    args: &BenchAudienceArgs,
    spec: &generate::Spec,
) -> Result<(postgres_side::Loaded, Answers, String)> {
    let given = args
        .postgres_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    let (url, cluster) = match given {
        Some(url) => (url.to_owned(), None),
        None => {
            eprintln!("postgres: starting a throwaway cluster…");
            let cluster = Cluster::start().await?;
            (cluster.url.clone(), Some(cluster))
        }
    };
    let result = async {
        eprintln!("postgres: generating the same events and copying them…");
        let loaded = postgres_side::load(&url, spec).await?;
        let answers = postgres_side::ask(&url, spec).await?;
        Ok::<_, anyhow::Error>((loaded, answers))
    }
    .await;
    let server = match &cluster {
        Some(c) => format!("{} (throwaway cluster, default settings)", c.version),
        None => "the database given with --postgres-url".to_owned(),
    };
    match cluster {
        Some(c) => c.stop().await,
        None => {
            if let Err(e) = postgres_side::drop_table(&url).await {
                eprintln!("postgres: cannot drop the benchmark's table: {e:#}");
            }
        }
    }
    let (loaded, answers) = result?;
    Ok((loaded, answers, server))
}

/// Bytes on disk per event, the same way for both engines (0 without events).
fn bytes_per_event(bytes: u64, events: u64) -> f64 {
    if events == 0 {
        0.0
    } else {
        bytes as f64 / events as f64
    }
}

/// Relais's figure against the peer's: a share for rates, a multiple for times.
fn ratio(relais: f64, peer: f64) -> f64 {
    if peer > 0.0 { relais / peer } else { 0.0 }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// A ratio as it reads best: two decimals, or its order of magnitude when far below 1 (a
/// query answered in 90 µs against 12 s).
fn shown_ratio(r: f64) -> String {
    if r >= 0.01 || r == 0.0 {
        format!("{r:.2}")
    } else {
        format!("{r:.1e}")
    }
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "unknown".into(), |s| format!("{:.0}%", s * 100.0))
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

fn table(f: &Figures, machine: &Machine) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "relais bench audience: {} events of one site over {} UTC days ({} to {}), seed {SEED:#x}",
        thousands(f.spec.events as f64),
        f.spec.days,
        f.spec.first_day,
        f.spec.last_day()
    );
    let _ = writeln!(out, "machine: {}", machine.describe());
    let _ = writeln!(
        out,
        "PostgreSQL: {}; HTTP: {} connections, {} s per run after 1 s of warm-up, {} rounds taking turns, median shown",
        f.postgres_server, f.turns.connections, f.turns.seconds, f.turns.rounds
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<34} {:>12} {:>12}  {:<11} {:>11}  aim",
        "figure", "relais", "peer", "peer is", "relais/peer"
    );
    let rate_row = |out: &mut String, label: &str, (relais, nginx): &(Summary, Summary)| {
        let share = ratio(relais.requests_per_second(), nginx.requests_per_second());
        let _ = writeln!(
            out,
            "{:<34} {:>12} {:>12}  {:<11} {:>11}  {:<10} {}",
            label,
            thousands(relais.requests_per_second()),
            thousands(nginx.requests_per_second()),
            "nginx",
            shown_ratio(share),
            "≥ 0.50",
            verdict(share >= AIM_HTTP_SHARE)
        );
    };
    rate_row(&mut out, "ingest POST /api/event, req/s", &f.http.ingest);
    rate_row(&mut out, "redirect GET /l/bench, req/s", &f.http.redirect);
    let (ours, theirs) = (f.embedded.bytes_per_event(), f.postgres.bytes_per_event());
    let _ = writeln!(
        out,
        "{:<34} {:>12.1} {:>12.1}  {:<11} {:>11}  {:<10} {}",
        "bytes on disk per event",
        ours,
        theirs,
        "PostgreSQL",
        shown_ratio(ratio(ours, theirs)),
        "≤ 40",
        verdict(ours <= AIM_BYTES_PER_EVENT)
    );
    for ((dashboard, relais, _), (_, peer, _)) in f.relais_answers.iter().zip(&f.postgres_answers) {
        for (when, a, b) in [
            ("first run", relais.cold, peer.cold),
            ("warm, median", relais.warm_median(), peer.warm_median()),
        ] {
            let _ = writeln!(
                out,
                "{:<34} {:>12} {:>12}  {:<11} {:>11}  {:<10} {}",
                format!("{}, {when}", dashboard.label()),
                latency(a),
                latency(b),
                "PostgreSQL",
                shown_ratio(ratio(a.as_secs_f64(), b.as_secs_f64())),
                "< 50 ms",
                verdict(a < AIM_QUERY)
            );
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "relais/peer: Relais's figure over the peer's (requests: higher is better; bytes and times: lower is better)"
    );
    let _ = writeln!(
        out,
        "first run: on a store (or connection) just opened, nothing of the events in the process's memory; the system's file cache may hold them"
    );
    let warm_runs: Vec<String> = f
        .relais_answers
        .iter()
        .zip(&f.postgres_answers)
        .map(|((d, a, _), (_, b, _))| format!("{} {}/{}", d.label(), a.warm.len(), b.warm.len()))
        .collect();
    let _ = writeln!(
        out,
        "warm runs (relais/PostgreSQL): {}",
        warm_runs.join(", ")
    );
    let _ = writeln!(
        out,
        "loading, not compared: generating {:.1} s, appending {:.1} s ({} events/s through the synced day logs), sealing {} days {:.1} s; PostgreSQL COPY {:.1} s, index and ANALYZE {:.1} s",
        f.embedded.generating.as_secs_f64(),
        f.embedded.appending.as_secs_f64(),
        thousands(f.embedded.events as f64 / f.embedded.appending.as_secs_f64().max(1e-9)),
        f.embedded.days_sealed,
        f.embedded.sealing.as_secs_f64(),
        f.postgres.copying.as_secs_f64(),
        f.postgres.indexing.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "load generator's use of its one CPU (near 100%: the generator, not the server, set the pace): \
         ingest {} during nginx runs, {} during Relais runs; redirect {} and {}",
        percent(f.http.ingest.1.generator_busy()),
        percent(f.http.ingest.0.generator_busy()),
        percent(f.http.redirect.1.generator_busy()),
        percent(f.http.redirect.0.generator_busy())
    );
    let _ = writeln!(
        out,
        "ingest: Relais kept {} events for the {} page views it answered inside the measured windows (warm-ups add more)",
        thousands(f.http.kept as f64),
        thousands(f.http.answered as f64)
    );
    let _ = writeln!(
        out,
        "both engines gave the same main graph ({} days), top sources and top pages",
        f.relais_answers
            .first()
            .map_or(0, |(_, _, rows)| rows.len())
    );
    out
}

impl Figures {
    fn json(&self, machine: &Machine) -> Value {
        let http = |(relais, nginx): &(Summary, Summary)| {
            json!({
                "relais_requests_per_second": relais.requests_per_second().round(),
                "nginx_requests_per_second": nginx.requests_per_second().round(),
                "ratio_relais_to_nginx": (ratio(relais.requests_per_second(), nginx.requests_per_second()) * 1000.0).round() / 1000.0,
                "relais_p50_ms": ms(relais.p50()),
                "relais_p99_ms": ms(relais.p99()),
                "nginx_p50_ms": ms(nginx.p50()),
                "nginx_p99_ms": ms(nginx.p99()),
                "relais_runs": relais.runs.iter().map(|r| r.requests_per_second.round()).collect::<Vec<_>>(),
                "nginx_runs": nginx.runs.iter().map(|r| r.requests_per_second.round()).collect::<Vec<_>>(),
                "relais_load_generator_cpu": relais.generator_busy().map(|b| (b * 100.0).round() / 100.0),
                "nginx_load_generator_cpu": nginx.generator_busy().map(|b| (b * 100.0).round() / 100.0),
            })
        };
        let timed = |t: &Timed| {
            json!({
                "first_ms": ms(t.cold),
                "warm_median_ms": ms(t.warm_median()),
                "warm_runs_ms": t.warm.iter().map(|d| ms(*d)).collect::<Vec<_>>(),
            })
        };
        let mut queries = serde_json::Map::new();
        for ((d, relais, rows), (_, peer, _)) in
            self.relais_answers.iter().zip(&self.postgres_answers)
        {
            queries.insert(
                d.key().into(),
                json!({ "relais": timed(relais), "postgresql": timed(peer), "rows": rows.len() }),
            );
        }
        json!({
            "benchmark": "relais bench audience",
            "events": self.spec.events,
            "days": self.spec.days,
            "first_day": self.spec.first_day.to_string(),
            "last_day": self.spec.last_day().to_string(),
            "seed": SEED,
            "ingest": http(&self.http.ingest),
            "redirect": http(&self.http.redirect),
            "ingest_events_kept": self.http.kept,
            "ingest_answered_in_windows": self.http.answered,
            "bytes_per_event": {
                "relais": (self.embedded.bytes_per_event() * 10.0).round() / 10.0,
                "postgresql": (self.postgres.bytes_per_event() * 10.0).round() / 10.0,
                "relais_bytes": self.embedded.bytes_on_disk,
                "postgresql_bytes": self.postgres.bytes_on_disk,
            },
            "queries": queries,
            "answers_agree": true,
            "loading_seconds": {
                "generating": self.embedded.generating.as_secs_f64(),
                "appending": self.embedded.appending.as_secs_f64(),
                "sealing": self.embedded.sealing.as_secs_f64(),
                "postgresql_copy": self.postgres.copying.as_secs_f64(),
                "postgresql_index_analyze": self.postgres.indexing.as_secs_f64(),
            },
            "aims": {
                "query_ms": AIM_QUERY.as_millis() as u64,
                "bytes_per_event": AIM_BYTES_PER_EVENT,
                "http_share_of_nginx": AIM_HTTP_SHARE,
            },
            "parameters": {
                "connections": self.turns.connections,
                "seconds": self.turns.seconds,
                "rounds": self.turns.rounds,
                "warm_runs_at_most": embedded_side::WARM_RUNS,
            },
            "postgresql": {
                "server": self.postgres_server,
                "version": self.postgres.version,
            },
            "machine": {
                "cpus": machine.cpus,
                "cpu_model": machine.cpu_model,
                "load_average_before": machine.load_average,
                "relais_version": machine.relais_version,
                "relais_profile": machine.profile(),
                "nginx_version": machine.nginx_version,
                "date": machine.date,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{BenchCommand, Cli, Command};

    #[test]
    fn bench_audience_flags_and_their_limits() {
        let cli = Cli::try_parse_from(["relais", "bench", "audience"]).unwrap();
        let Command::Bench(BenchCommand::Audience(a)) = cli.command else {
            panic!("not bench audience");
        };
        assert_eq!(
            (a.events, a.days, a.seconds, a.connections),
            (10_000_000, 30, 10, 64)
        );
        assert!(a.json.is_none() && a.nginx.is_none());
        let cli = Cli::try_parse_from([
            "relais",
            "bench",
            "audience",
            "--events",
            "20000",
            "--days",
            "7",
            "--json",
            "/tmp/f.json",
        ])
        .unwrap();
        let Command::Bench(BenchCommand::Audience(a)) = cli.command else {
            panic!("not bench audience");
        };
        assert_eq!((a.events, a.days), (20_000, 7));
        assert_eq!(a.json.as_deref(), Some(std::path::Path::new("/tmp/f.json")));
        for bad in [
            ["--events", "0"],
            ["--days", "0"],
            ["--connections", "0"],
            ["--seconds", "x"],
        ] {
            let mut argv = vec!["relais", "bench", "audience"];
            argv.extend(bad);
            assert!(Cli::try_parse_from(argv).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ratios_read_at_a_glance() {
        assert_eq!(shown_ratio(0.457), "0.46");
        assert_eq!(shown_ratio(0.0), "0.00");
        assert_eq!(shown_ratio(92e-6 / 12.66), "7.3e-6");
        assert_eq!(ratio(1.0, 0.0), 0.0);
        assert_eq!(percent(Some(0.674)), "67%");
        assert_eq!(percent(None), "unknown");
    }

    #[test]
    fn the_days_end_yesterday() {
        let now = DateTime::parse_from_rfc3339("2024-06-01T00:03:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let spec = spec_for(1_000, 30, now);
        assert_eq!(spec.first_day.to_string(), "2024-05-02");
        assert_eq!(spec.last_day().to_string(), "2024-05-31");
    }

    /// The embedded part end to end, small: generated, appended, sealed, measured, and the
    /// answers what the generated events say.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_small_embedded_run_loads_seals_and_answers() {
        use std::collections::{HashMap, HashSet};

        let now = Utc::now();
        let spec = spec_for(20_000, 5, now);
        let dir = tempfile::tempdir().unwrap();
        let loaded = embedded_side::load(dir.path(), &spec, now).await.unwrap();
        assert_eq!(loaded.events, 20_000);
        assert_eq!(loaded.days_sealed, 5);
        assert!(loaded.bytes_on_disk > 0);
        assert!(loaded.bytes_per_event() > 1.0 && loaded.bytes_per_event() < 1_000.0);
        assert!(
            !dir.path().join("log").read_dir().unwrap().any(|e| e
                .map(|e| e.file_name().to_string_lossy().ends_with(".jsonl"))
                .unwrap_or(false)),
            "every day's log was sealed"
        );

        let answers = embedded_side::ask(dir.path(), &site_info(&spec), &spec, now)
            .await
            .unwrap();
        assert_eq!(answers.len(), 3);
        let (_, timed, graph) = &answers[0];
        assert_eq!(graph.len(), 5, "one row a day");
        assert!(timed.cold > Duration::ZERO && timed.warm.len() >= embedded_side::MIN_WARM_RUNS);

        // What the answers should be, counted from the events themselves.
        let tables = generate::Tables::default();
        let events: Vec<_> = (0..spec.days)
            .flat_map(|d| generate::day_events(&spec, d, &tables))
            .collect();
        let pageviews = events.iter().filter(|e| e.name == "pageview").count() as i64;
        let graph_pageviews: i64 = graph.iter().map(|r| r.metrics[2]).sum();
        assert_eq!(graph_pageviews, pageviews);
        let mut home: HashSet<u64> = HashSet::new();
        let mut by_source: HashMap<u64, Option<String>> = HashMap::new();
        for e in &events {
            by_source
                .entry(e.session)
                .or_insert_with(|| e.source.clone());
            if e.pathname == "/" && e.name != "engagement" {
                home.insert(e.visitor);
            }
        }
        let (_, _, pages) = &answers[2];
        assert_eq!(pages[0].labels, vec!["/".to_owned()]);
        assert_eq!(pages[0].metrics[0], home.len() as i64);
        let (_, _, sources) = &answers[1];
        assert!(sources.len() <= 10 && !sources.is_empty());
        let google_visitors: HashSet<u64> = events
            .iter()
            .filter(|e| e.name != "engagement")
            .filter(|e| by_source[&e.session].as_deref() == Some("Google"))
            .map(|e| e.visitor)
            .collect();
        let google = sources
            .iter()
            .find(|r| r.labels == ["Google"])
            .map(|r| r.metrics[0]);
        assert_eq!(google, Some(google_visitors.len() as i64));
    }
}

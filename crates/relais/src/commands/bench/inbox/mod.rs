//! `relais bench inbox`: the inbox's list page under load, with a million messages in a hundred
//! thousand conversations, on SQLite and on PostgreSQL, beside nginx serving the same page's
//! bytes from a file in the same run.
//!
//! The data is made once, on SQLite, through the store's own ingest path (threading, contacts,
//! counters: its rate is reported too), then statuses and assignees are set as a team leaves an
//! inbox. The PostgreSQL run gets the same rows through `relais db copy`'s path (each table read
//! and loaded in one transaction), into a throwaway cluster with PostgreSQL's default settings
//! unless `--postgres-url` names an empty database.
//!
//! The page measured is `/w/bench/inbox` as the team's members see it (`--members`, each with a
//! session of their own, taken in turn by the requests): the inbox's default
//! columns (to answer, mine, overdue when a target is set), each a keyset-paged query with its
//! rows' contacts, assignees and tags. Clients are closed-loop keep-alive connections on this
//! machine (the load generator shares the CPUs with the server, as it does with nginx).

mod seed;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use relais_core::Timestamp;
use relais_store::{DatabaseLocation, NewSession, Store, TABLES};
use relais_web::{AppState, WebConfig};

use super::load::{Shape, fetch_shaped};
use super::nginx::{self, NginxPeer};
use super::publish::postgres::Cluster;
use super::relais_server::{Serving, fresh_store};
use super::report::{Machine, Summary, latency, thousands};
use super::{Turns, take_turns};
use crate::cli::{BenchBackend, BenchInboxArgs};

/// The aim the issue sets for the page's p99 latency.
const AIM_P99: Duration = Duration::from_millis(50);

struct Figures {
    database: String,
    relais: Summary,
    nginx: Summary,
    body_bytes: usize,
}

pub async fn run(args: BenchInboxArgs) -> Result<()> {
    let nginx_binary = nginx::find(args.nginx.as_deref())?;
    let build = nginx::Build::probe(&nginx_binary).await?;
    let machine = Machine::probe(&build.version);
    if !machine.release_build {
        eprintln!(
            "WARNING: this relais is a DEBUG build: its figures are not meaningful. Build with \
             `cargo build --release -p relais` and run target/release/relais."
        );
    }
    eprintln!(
        "relais bench inbox: {} conversations of {} messages, {} clients, {} s × {} rounds per server",
        thousands(args.conversations as f64),
        args.messages_per_conversation,
        args.clients,
        args.seconds,
        args.rounds
    );
    let (_dir, sqlite) = fresh_store("relais-bench-inbox-").await?;
    eprintln!("  making the data on SQLite through the store's ingest…");
    let seeded = seed::seed(
        &sqlite,
        args.conversations,
        args.messages_per_conversation,
        args.members,
    )
    .await?;
    eprintln!(
        "  ingested {} messages in {:.1} s ({} messages/s); statuses and assignees in {:.1} s",
        thousands(seeded.messages as f64),
        seeded.ingest_took.as_secs_f64(),
        thousands(seeded.messages as f64 / seeded.ingest_took.as_secs_f64().max(1e-9)),
        seeded.triage_took.as_secs_f64()
    );
    let path = format!("/w/{}/inbox", seeded.slug);
    let mut results = Vec::new();
    if matches!(args.backend, BenchBackend::Sqlite | BenchBackend::Both) {
        let figures = measure(
            &args,
            "SQLite (WAL)",
            sqlite.clone(),
            &seeded,
            &path,
            &nginx_binary,
            &build,
        )
        .await?;
        results.push(figures);
    }
    if matches!(args.backend, BenchBackend::Postgres | BenchBackend::Both) {
        let (cluster, url) = match args.postgres_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => (None, url.to_owned()),
            _ => {
                let cluster = Cluster::start().await?;
                let url = cluster.url.clone();
                (Some(cluster), url)
            }
        };
        let outcome = async {
            let postgres = copy_to_postgres(&sqlite, &url).await?;
            let figures = measure(
                &args,
                "PostgreSQL",
                postgres.clone(),
                &seeded,
                &path,
                &nginx_binary,
                &build,
            )
            .await;
            postgres.close().await;
            figures
        }
        .await;
        if let Some(cluster) = cluster {
            cluster.stop().await;
        }
        results.push(outcome?);
    }
    sqlite.close().await;

    println!(
        "relais bench inbox: GET {path} (the inbox's default columns) as the {} members of a \
         team in turn, {} conversations holding {} messages, {} clients, {} s measured × {} \
         rounds per server after 1 s of warm-up, taking turns with nginx; medians of the rounds",
        seeded.team.len(),
        thousands(seeded.conversations as f64),
        thousands(seeded.messages as f64),
        args.clients,
        args.seconds,
        args.rounds
    );
    println!("machine: {}", machine.describe());
    println!(
        "data made through the store's ingest on SQLite: {} messages/s",
        thousands(seeded.messages as f64 / seeded.ingest_took.as_secs_f64().max(1e-9))
    );
    println!();
    println!(
        "| database | relais req/s | p50 | p99 | nginx req/s (same bytes) | p50 | p99 | aim p99 < 50 ms |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for f in &results {
        println!(
            "| {} | {} | {} | **{}** | {} | {} | {} | {} |",
            f.database,
            thousands(f.relais.requests_per_second()),
            latency(f.relais.p50()),
            latency(f.relais.p99()),
            thousands(f.nginx.requests_per_second()),
            latency(f.nginx.p50()),
            latency(f.nginx.p99()),
            if f.relais.p99() < AIM_P99 {
                "met"
            } else {
                "**not met**"
            }
        );
    }
    if let Some(f) = results.first() {
        println!("page size: {} bytes", thousands(f.body_bytes as f64));
    }
    Ok(())
}

/// Copies every table of `from` into an empty PostgreSQL database, as `relais db copy` does.
async fn copy_to_postgres(from: &Arc<dyn Store>, url: &str) -> Result<Arc<dyn Store>> {
    let began = Instant::now();
    let to = relais_store::open(&DatabaseLocation::Postgres(url.to_owned()))
        .await
        .context("cannot open the PostgreSQL database")?;
    to.migrate().await.context("cannot migrate PostgreSQL")?;
    if !to.is_empty().await? {
        bail!("the PostgreSQL database is not empty; give the benchmark an empty one");
    }
    // `load_rows` analyses each table once loaded, so the planner has statistics.
    for table in TABLES {
        let rows = from.dump_table(table).await?;
        to.load_rows(table, rows)
            .await
            .with_context(|| format!("cannot load {} into PostgreSQL", table.name))?;
    }
    eprintln!(
        "  copied to PostgreSQL in {:.1} s",
        began.elapsed().as_secs_f64()
    );
    Ok(to)
}

async fn measure(
    args: &BenchInboxArgs,
    database: &str,
    store: Arc<dyn Store>,
    seeded: &seed::Seeded,
    path: &str,
    nginx_binary: &std::path::Path,
    build: &nginx::Build,
) -> Result<Figures> {
    // A session for each member of the team; the requests take them in turn.
    let now = Timestamp::now();
    let mut cookies = Vec::with_capacity(seeded.team.len());
    for member in &seeded.team {
        let secret = relais_web::auth::secret::new_secret("");
        store
            .create_session(NewSession {
                token_hash: relais_web::auth::secret::hash_secret(&secret),
                user_id: *member,
                created_at: now,
                expires_at: now.plus_seconds(86_400),
            })
            .await?;
        cookies.push(format!("{}={secret}", relais_web::context::SESSION_COOKIE));
    }
    let state = AppState::new(store.clone(), WebConfig::default(), None)
        .await
        .context("cannot prepare the web part")?;
    let serving = Serving::start(state, store).await?;
    let shape = Shape {
        cookies,
        ..Shape::get()
    };
    let result = async {
        let (status, body) = fetch_shaped(serving.addr, path, &shape).await?;
        if status != 200 {
            bail!("Relais answers {status} at {path} instead of 200: nothing to measure");
        }
        if !String::from_utf8_lossy(&body).contains("fan") {
            return Err(anyhow!(
                "the inbox page shows no conversation: the measure would not be of a full page"
            ));
        }
        let peer = NginxPeer::start(
            nginx_binary,
            build,
            &[(path, body.clone())],
            "",
            args.clients,
        )
        .await?;
        let nginx_addr = SocketAddr::from(([127, 0, 0, 1], peer.port));
        let turns = Turns {
            rounds: args.rounds,
            seconds: args.seconds,
            connections: args.clients,
        };
        let measured = take_turns(&turns, path, &shape, serving.addr, nginx_addr).await;
        peer.stop().await;
        let (relais, nginx) = measured?;
        Ok(Figures {
            database: database.to_owned(),
            relais,
            nginx,
            body_bytes: body.len(),
        })
    }
    .await;
    // The store is closed by the caller (SQLite is used again for the copy).
    let _ = tokio::time::timeout(Duration::from_secs(10), serving.stop_serving()).await;
    result
}

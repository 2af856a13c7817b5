//! `relais bench`: speed figures, each beside a peer measured in the same run on the same
//! machine (a figure alone says more about the machine than about Relais).
//!
//! `relais bench http` measures what Relais's HTTP stack can answer — static asset, a request
//! with one database round-trip, a full templated page — against nginx serving the same bytes
//! from files. The two servers take turns (nginx, Relais, Relais, nginx, …) with the same load
//! generator, so that a drift of the machine's speed falls on both.
//!
//! `relais bench publish` measures how many scheduled posts the queue, the store and the worker
//! publish a second, and how late, against a bare loop of HTTP clients sending the same posts
//! to the same receiver with no queue or database (see [`publish`]).
//!
//! `relais bench audience` measures the audience capability at scale: generated events loaded
//! into the embedded store, its dashboard queries beside PostgreSQL's, and the tracker endpoint
//! and a short link's redirect beside nginx answering a bare 202 and 302 (see [`audience`]).
//!
//! `relais bench inbox` measures the inbox's list page with a million messages, on SQLite and
//! PostgreSQL, under 200 clients, beside nginx serving the same page's bytes (see [`inbox`]).
//!
//! `relais bench listen` measures the listening pipeline per post on one core, each step apart,
//! beside Python's vaderSentiment on the same texts (see [`listen`]).

mod audience;
mod inbox;
mod listen;
mod load;
mod nginx;
mod publish;
mod relais_server;
mod report;
mod response;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Result, bail};
use serde_json::json;

use crate::cli::BenchHttpArgs;
pub use audience::run as audience;
pub use inbox::run as inbox;
pub use listen::run as listen;
use load::{LoadSpec, Shape, fetch, run_on_own_thread};
use nginx::NginxPeer;
pub use publish::run as publish;
use relais_server::RelaisServer;
use report::{Machine, RouteFigures, RunFigures, Summary};

/// Every run starts with this much load that is not counted (connections opened, caches warm).
const WARMUP: Duration = Duration::from_secs(1);

/// A route of Relais, and what nginx serves at the same path to compare with it.
struct Route {
    path: &'static str,
    label: &'static str,
    peer: &'static str,
}

const ROUTES: [Route; 3] = [
    Route {
        path: "/assets/app.css",
        label: "static /assets/app.css",
        peer: "the same CSS bytes from a file (the fairest comparison: both serve a constant)",
    },
    Route {
        path: "/healthz",
        label: "/healthz (DB ping)",
        peer: "a file holding \"ok\\n\" (Relais asks SQLite first: the cost of the whole stack)",
    },
    Route {
        path: "/login",
        label: "/login (template+cookie)",
        peer: "a file holding a copy of the page Relais rendered (Relais renders it and sets a CSRF cookie each time)",
    },
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Server {
    Nginx,
    Relais,
}

impl Server {
    fn name(self) -> &'static str {
        match self {
            Server::Nginx => "nginx",
            Server::Relais => "relais",
        }
    }
}

pub async fn http(args: BenchHttpArgs) -> Result<()> {
    let nginx_binary = nginx::find(args.nginx.as_deref())?;
    let build = nginx::Build::probe(&nginx_binary).await?;
    let machine = Machine::probe(&build.version);
    let debug_warning = "WARNING: this relais is a DEBUG build: its figures are not meaningful. \
                         Build with `cargo build --release -p relais` and run target/release/relais.";
    if !machine.release_build {
        eprintln!("{debug_warning}");
    }
    let runs = ROUTES.len() as u64 * 2 * u64::from(args.rounds);
    eprintln!(
        "relais bench http: {} routes × 2 servers × {} rounds, {} s + {} s warm-up each: about {} s",
        ROUTES.len(),
        args.rounds,
        args.seconds,
        WARMUP.as_secs(),
        runs * (args.seconds + WARMUP.as_secs())
    );

    let relais = RelaisServer::start().await?;
    let measured = measure(&args, &relais, &nginx_binary, &build).await;
    relais.stop().await;
    let routes = measured?;

    if args.json {
        let params = json!({
            "seconds": args.seconds,
            "warmup_seconds": WARMUP.as_secs(),
            "connections": args.connections,
            "rounds": args.rounds,
            "load_generator": "closed loop, keep-alive HTTP/1.1, one thread on the same machine",
        });
        for r in &routes {
            println!("{}", r.json(&machine, &params));
        }
        return Ok(());
    }
    println!(
        "relais bench http: {} connections, {} s measured per run after {} s of warm-up, \
         {} runs per server and route taking turns; the median run is shown",
        args.connections,
        args.seconds,
        WARMUP.as_secs(),
        args.rounds
    );
    println!("machine: {}", machine.describe());
    println!(
        "the load generator (one thread) runs on this machine too and shares its CPUs with the \
         server under test: the same handicap for both"
    );
    println!();
    print!("{}", report::table(&routes));
    println!(
        "relais/nginx: Relais's requests per second as a share of nginx's on this machine in this run (1.00 = as many)"
    );
    if !machine.release_build {
        println!("{debug_warning}");
    }
    Ok(())
}

/// Starts nginx with the bytes Relais serves, then measures every route on both servers.
async fn measure(
    args: &BenchHttpArgs,
    relais: &RelaisServer,
    nginx_binary: &Path,
    build: &nginx::Build,
) -> Result<Vec<RouteFigures>> {
    let mut files = Vec::new();
    for route in &ROUTES {
        files.push((
            route.path,
            expect_ok(relais.addr, route.path, "Relais").await?,
        ));
    }
    let peer = NginxPeer::start(nginx_binary, build, &files, "", args.connections).await?;
    let nginx_addr = SocketAddr::from(([127, 0, 0, 1], peer.port));
    let result = async {
        for (path, bytes) in &files {
            if expect_ok(nginx_addr, path, "nginx").await? != *bytes {
                bail!("nginx does not serve at {path} the bytes it was given");
            }
        }
        let mut out = Vec::new();
        for route in &ROUTES {
            out.push(measure_route(args, route, relais.addr, nginx_addr).await?);
        }
        Ok(out)
    }
    .await;
    peer.stop().await;
    result
}

/// GETs `path` once and returns the body; anything but 200 stops the benchmark.
async fn expect_ok(addr: SocketAddr, path: &str, who: &str) -> Result<Vec<u8>> {
    let (status, body) = fetch(addr, path).await?;
    if status != 200 {
        bail!("{who} answers {status} at {path} instead of 200: nothing to measure");
    }
    Ok(body)
}

/// `rounds` runs on each server, taking turns and swapping who starts each round (nginx
/// first, then Relais first, …), so that a steady drift favours neither.
async fn measure_route(
    args: &BenchHttpArgs,
    route: &Route,
    relais: SocketAddr,
    nginx: SocketAddr,
) -> Result<RouteFigures> {
    let turns = Turns {
        rounds: args.rounds,
        seconds: args.seconds,
        connections: args.connections,
    };
    let (relais_runs, nginx_runs) =
        take_turns(&turns, route.path, &Shape::get(), relais, nginx).await?;
    Ok(RouteFigures {
        path: route.path,
        label: route.label,
        peer: route.peer,
        relais: relais_runs,
        nginx: nginx_runs,
    })
}

/// How a comparison of Relais with nginx runs: rounds, seconds measured, connections.
pub(super) struct Turns {
    pub rounds: u32,
    pub seconds: u64,
    pub connections: u32,
}

/// `rounds` runs of the same requests on each server, taking turns and swapping who starts each
/// round (nginx, Relais, Relais, nginx, …); returns Relais's runs, then nginx's. Any error or a
/// run with no answer stops the benchmark: such figures would not compare.
pub(super) async fn take_turns(
    turns: &Turns,
    path: &str,
    shape: &Shape,
    relais: SocketAddr,
    nginx: SocketAddr,
) -> Result<(Summary, Summary)> {
    let mut relais_runs = Summary::default();
    let mut nginx_runs = Summary::default();
    for round in 0..turns.rounds {
        let order = if round % 2 == 0 {
            [Server::Nginx, Server::Relais]
        } else {
            [Server::Relais, Server::Nginx]
        };
        for server in order {
            let addr = if server == Server::Relais {
                relais
            } else {
                nginx
            };
            let result = run_on_own_thread(LoadSpec {
                addr,
                path: path.into(),
                connections: turns.connections,
                warmup: WARMUP,
                measure: Duration::from_secs(turns.seconds),
                shape: shape.clone(),
            })
            .await?;
            if result.errors > 0 || result.requests == 0 {
                bail!(
                    "{} at {}: {} errors and {} answers counted (first error: {}); such figures would not compare",
                    server.name(),
                    path,
                    result.errors,
                    result.requests,
                    result.first_error.as_deref().unwrap_or("none")
                );
            }
            let figures = RunFigures::from(&result);
            eprintln!(
                "  {:<16} {:<6} round {}/{}: {:>9.0} req/s, p50 {}, p99 {}",
                path,
                server.name(),
                round + 1,
                turns.rounds,
                figures.requests_per_second,
                report::latency(figures.p50),
                report::latency(figures.p99)
            );
            match server {
                Server::Relais => relais_runs.runs.push(figures),
                Server::Nginx => nginx_runs.runs.push(figures),
            }
        }
    }
    Ok((relais_runs, nginx_runs))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{BenchCommand, Cli, Command};

    #[test]
    fn bench_http_flags_and_their_limits() {
        let cli = Cli::try_parse_from([
            "relais",
            "bench",
            "http",
            "--seconds",
            "2",
            "--connections",
            "8",
            "--json",
        ])
        .unwrap();
        let Command::Bench(BenchCommand::Http(a)) = cli.command else {
            panic!("not bench http");
        };
        assert_eq!(
            (a.seconds, a.connections, a.rounds, a.json),
            (2, 8, 3, true)
        );
        for bad in [
            ["--seconds", "0"],
            ["--connections", "0"],
            ["--rounds", "x"],
        ] {
            let mut argv = vec!["relais", "bench", "http"];
            argv.extend(bad);
            assert!(Cli::try_parse_from(argv).is_err(), "{bad:?}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn relais_serves_every_route_it_is_compared_on() {
        let relais = super::RelaisServer::start().await.unwrap();
        for route in &super::ROUTES {
            let body = super::expect_ok(relais.addr, route.path, "Relais")
                .await
                .unwrap();
            assert!(!body.is_empty(), "{}", route.path);
        }
        relais.stop().await;
    }
}

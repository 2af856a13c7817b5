//! The closed-loop load generator: C keep-alive HTTP/1.1 connections, each sending its next
//! request as soon as the last is answered, for a warm-up and then a measured window.
//!
//! It runs on its own thread with a single-threaded runtime (see [`run_on_own_thread`]), so that
//! it takes the same share of the machine whichever server it measures, and never shares the
//! Relais server's runtime threads. It writes raw requests and parses responses with
//! [`super::response`]: a full HTTP client would add its own cost to every figure.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use super::response;

/// How long a connection waits for an answer past the end of the window before giving up.
const LATE_GRACE: Duration = Duration::from_secs(5);

/// One run: where, what, how many connections, for how long.
#[derive(Clone, Debug)]
pub struct LoadSpec {
    pub addr: SocketAddr,
    pub path: String,
    pub connections: u32,
    pub warmup: Duration,
    pub measure: Duration,
}

/// What one run saw. Only responses completed inside the measured window count.
#[derive(Clone, Debug)]
pub struct LoadResult {
    pub requests: u64,
    /// Responses other than 200, broken connections, unparsable answers (whole run).
    pub errors: u64,
    pub first_error: Option<String>,
    pub window: Duration,
    /// Latency of every counted request, in nanoseconds, sorted.
    pub latencies_ns: Vec<u64>,
    /// Body bytes of the counted responses.
    pub body_bytes: u64,
    /// Share of one CPU the generator's thread used over the run (warm-up included), when the
    /// system says (Linux). Near 1.0, the generator rather than the server set the pace.
    pub generator_busy: Option<f64>,
}

impl LoadResult {
    pub fn requests_per_second(&self) -> f64 {
        let secs = self.window.as_secs_f64();
        if secs > 0.0 {
            self.requests as f64 / secs
        } else {
            0.0
        }
    }

    /// Nearest-rank percentile (`q` in 0..=1) of the latencies; zero when nothing was counted.
    pub fn latency(&self, q: f64) -> Duration {
        Duration::from_nanos(percentile(&self.latencies_ns, q))
    }
}

/// Nearest-rank percentile of sorted values; 0 for none.
pub fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    let index = rank.saturating_sub(1).min(sorted.len() - 1);
    sorted.get(index).copied().unwrap_or(0)
}

/// Runs [`run`] on a thread of its own with a single-threaded runtime, and waits for it.
pub async fn run_on_own_thread(spec: LoadSpec) -> Result<LoadResult> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("bench-load".into())
        .spawn(move || {
            let cpu_before = thread_cpu_time();
            let wall = Instant::now();
            let result = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start the load generator's runtime")
                .and_then(|rt| rt.block_on(run(spec)))
                .map(|mut r| {
                    let wall = wall.elapsed().as_secs_f64();
                    r.generator_busy = match (cpu_before, thread_cpu_time()) {
                        (Some(a), Some(b)) if wall > 0.0 && b >= a => {
                            Some((b - a).as_secs_f64() / wall)
                        }
                        _ => None,
                    };
                    r
                });
            let _ = tx.send(result);
        })
        .context("cannot start the load generator's thread")?;
    rx.await
        .map_err(|_| anyhow!("the load generator's thread stopped without an answer"))?
}

/// CPU time (user + system) of the calling thread, from /proc/thread-self/stat; `None` where
/// there is no such file. The kernel counts it in ticks of 1/100 s (USER_HZ).
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    cpu_ticks(&stat).map(|ticks| Duration::from_millis(ticks.saturating_mul(10)))
}

/// utime + stime from a `stat` line: the 14th and 15th fields, counted after the command name,
/// which is in parentheses and may itself hold spaces or parentheses.
pub(super) fn cpu_ticks(stat: &str) -> Option<u64> {
    let (_, after_name) = stat.rsplit_once(')')?;
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime.saturating_add(stime))
}

/// Drives `spec.connections` connections until the window closes; merges what they saw.
pub async fn run(spec: LoadSpec) -> Result<LoadResult> {
    let request: Arc<[u8]> = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: relais-bench\r\nAccept: */*\r\n\r\n",
        spec.path, spec.addr
    )
    .into_bytes()
    .into();
    let start = Instant::now() + spec.warmup;
    let end = start + spec.measure;
    let mut set = JoinSet::new();
    for _ in 0..spec.connections {
        set.spawn(connection(spec.addr, request.clone(), start, end));
    }
    let mut total = LoadResult {
        requests: 0,
        errors: 0,
        first_error: None,
        window: spec.measure,
        latencies_ns: Vec::new(),
        body_bytes: 0,
        generator_busy: None,
    };
    while let Some(joined) = set.join_next().await {
        let c = joined.context("a load generator connection failed")?;
        total.requests += c.latencies_ns.len() as u64;
        total.errors += c.errors;
        total.body_bytes += c.body_bytes;
        total.latencies_ns.extend_from_slice(&c.latencies_ns);
        if total.first_error.is_none() {
            total.first_error = c.first_error;
        }
    }
    total.latencies_ns.sort_unstable();
    Ok(total)
}

#[derive(Default)]
struct ConnStats {
    latencies_ns: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
    body_bytes: u64,
}

impl ConnStats {
    fn error(&mut self, e: impl std::fmt::Display) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(e.to_string());
        }
    }
}

/// One connection's loop: request, wait for the whole answer, record, repeat. Reconnects when
/// the server closes the connection (or breaks it, which counts as an error).
async fn connection(
    addr: SocketAddr,
    request: Arc<[u8]>,
    start: Instant,
    end: Instant,
) -> ConnStats {
    let mut stats = ConnStats::default();
    let mut stream: Option<TcpStream> = None;
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    let give_up = tokio::time::Instant::from_std(end + LATE_GRACE);
    while Instant::now() < end {
        let s = match stream.take() {
            Some(s) => s,
            None => match TcpStream::connect(addr).await {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    s
                }
                Err(e) => {
                    stats.error(format!("cannot connect to {addr}: {e}"));
                    // Don't spin on a refusing server.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        buf.clear();
        let sent = Instant::now();
        let answer = tokio::time::timeout_at(give_up, exchange(s, &request, &mut buf)).await;
        let done = Instant::now();
        match answer {
            Err(_) => {
                stats.error(format!(
                    "no answer from {addr} within {LATE_GRACE:?} after the run"
                ));
                break;
            }
            Ok(Err(e)) => stats.error(format!("{e:#}")),
            Ok(Ok((s, status, body_len, close))) => {
                if status != 200 {
                    stats.error(format!("answer {status} instead of 200"));
                } else if done >= start && done < end {
                    let ns =
                        u64::try_from(done.duration_since(sent).as_nanos()).unwrap_or(u64::MAX);
                    stats.latencies_ns.push(ns);
                    stats.body_bytes += body_len as u64;
                }
                if !close {
                    stream = Some(s);
                }
            }
        }
    }
    stats
}

/// Sends one request and reads its whole response: (stream, status, body length, closes).
async fn exchange(
    mut s: TcpStream,
    request: &[u8],
    buf: &mut Vec<u8>,
) -> Result<(TcpStream, u16, usize, bool)> {
    s.write_all(request)
        .await
        .context("cannot send the request")?;
    loop {
        buf.reserve(16 * 1024);
        let n = s.read_buf(buf).await.context("cannot read the response")?;
        if n == 0 {
            bail!("the server closed the connection before answering in full");
        }
        if let Some(p) = response::parse(buf)? {
            if p.consumed != buf.len() {
                bail!("the server sent more than one response to one request");
            }
            return Ok((s, p.status, p.body_len(), p.close));
        }
    }
}

/// One GET on a fresh connection: status and decoded body. For fetching what nginx should serve.
pub async fn fetch(addr: SocketAddr, path: &str) -> Result<(u16, Vec<u8>)> {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: relais-bench\r\nConnection: close\r\n\r\n"
    );
    let fetching = async {
        let mut s = TcpStream::connect(addr)
            .await
            .with_context(|| format!("cannot connect to {addr}"))?;
        s.write_all(request.as_bytes()).await?;
        let mut buf = Vec::new();
        loop {
            buf.reserve(16 * 1024);
            let n = s.read_buf(&mut buf).await?;
            if let Some(p) = response::parse(&buf)? {
                return Ok((p.status, p.body_bytes(&buf)));
            }
            if n == 0 {
                bail!("the connection closed before the response was complete");
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), fetching)
        .await
        .map_err(|_| anyhow!("no answer from {addr}{path} within 10 s"))?
        .with_context(|| format!("GET http://{addr}{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), 50);
        assert_eq!(percentile(&v, 0.99), 99);
        assert_eq!(percentile(&v, 1.0), 100);
        assert_eq!(percentile(&v, 0.0), 1);
        assert_eq!(percentile(&[], 0.5), 0);
        assert_eq!(percentile(&[7], 0.99), 7);
    }

    #[test]
    fn cpu_time_from_a_stat_line() {
        let line = "4242 (bench (load) x) R 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20 0 1 0";
        assert_eq!(cpu_ticks(line), Some(175));
        assert_eq!(cpu_ticks("garbage"), None);
        assert_eq!(cpu_ticks("1 (x) R 1 2"), None);
    }

    async fn tiny_server() -> SocketAddr {
        let app = Router::new().route("/", get(|| async { "ok\n" })).route(
            "/missing",
            get(|| async { (axum::http::StatusCode::NOT_FOUND, "no\n") }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    }

    fn spec(addr: SocketAddr, path: &str) -> LoadSpec {
        LoadSpec {
            addr,
            path: path.into(),
            connections: 4,
            warmup: Duration::from_millis(200),
            measure: Duration::from_millis(800),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn counts_requests_and_orders_latencies() {
        let addr = tiny_server().await;
        let r = run_on_own_thread(spec(addr, "/")).await.unwrap();
        assert_eq!(r.errors, 0, "{:?}", r.first_error);
        assert!(r.requests > 0);
        assert_eq!(r.latencies_ns.len() as u64, r.requests);
        assert_eq!(r.body_bytes, 3 * r.requests);
        assert!(r.latency(0.5) > Duration::ZERO);
        assert!(r.latency(0.5) <= r.latency(0.99));
        assert!(r.requests_per_second() > 0.0);
        if let Some(busy) = r.generator_busy {
            assert!((0.0..=1.5).contains(&busy), "{busy}");
        }

        let (status, body) = fetch(addr, "/").await.unwrap();
        assert_eq!((status, body.as_slice()), (200, &b"ok\n"[..]));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn other_statuses_and_refused_connections_are_errors() {
        let addr = tiny_server().await;
        let r = run(spec(addr, "/missing")).await.unwrap();
        assert_eq!(r.requests, 0);
        assert!(r.errors > 0);
        assert!(r.first_error.unwrap().contains("404"));

        // A port nobody listens on (bound, then closed).
        let free = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let mut s = spec(free, "/");
        s.connections = 1;
        s.warmup = Duration::ZERO;
        s.measure = Duration::from_millis(100);
        let r = run(s).await.unwrap();
        assert_eq!(r.requests, 0);
        assert!(r.first_error.unwrap().contains("cannot connect"));
    }
}

//! The closed-loop load generator: C keep-alive HTTP/1.1 connections, each sending its next
//! request as soon as the last is answered, for a warm-up and then a measured window.
//!
//! It runs on its own thread with a single-threaded runtime (see [`run_on_own_thread`]), so that
//! it takes the same share of the machine whichever server it measures, and never shares the
//! Relais server's runtime threads. It writes raw requests and parses responses with
//! [`super::response`]: a full HTTP client would add its own cost to every figure.
//!
//! A run sends GETs by default ([`Shape::get`]); it can also POST bodies, taken in turn from a
//! list built before the run (so that varying them costs nothing during it), with the
//! User-Agent and the status that counts as an answer chosen by the caller ([`Shape::post`]).

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
    /// The requests' method, bodies, User-Agent and the status that counts.
    pub shape: Shape,
}

/// The bench's own User-Agent for GETs: Relais's robot filter would drop it at the trackers'
/// endpoints, which is why [`Shape::post`] takes one.
pub const BENCH_AGENT: &str = "relais-bench";

/// What the requests of a run are, besides where they go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    /// `GET` when `bodies` is empty, else `POST`.
    pub bodies: Vec<Vec<u8>>,
    pub content_type: &'static str,
    pub user_agent: String,
    /// Any other status is an error that stops the benchmark.
    pub expect_status: u16,
    /// `Cookie` headers, one per request in turn (signed-in members' sessions); none when
    /// empty.
    pub cookies: Vec<String>,
}

impl Shape {
    /// A GET answered with 200, as `bench http` sends.
    pub fn get() -> Self {
        Self::get_expecting(200)
    }

    /// A GET answered with `status` (a redirect's 302, say).
    pub fn get_expecting(status: u16) -> Self {
        Shape {
            bodies: Vec::new(),
            content_type: "",
            user_agent: BENCH_AGENT.into(),
            expect_status: status,
            cookies: Vec::new(),
        }
    }

    /// POSTs of `bodies`, one after the other (connection `c` starts at body `c`).
    pub fn post(
        bodies: Vec<Vec<u8>>,
        content_type: &'static str,
        user_agent: &str,
        expect_status: u16,
    ) -> Self {
        Shape {
            bodies,
            content_type,
            user_agent: user_agent.into(),
            expect_status,
            cookies: Vec::new(),
        }
    }

    /// Every raw request of the run, in the order they are taken. Header values are cleaned of
    /// line breaks: a caller's User-Agent cannot add headers.
    pub fn requests(&self, path: &str, addr: SocketAddr) -> Vec<Arc<[u8]>> {
        let agent: String = self
            .user_agent
            .chars()
            .filter(|c| !matches!(c, '\r' | '\n'))
            .collect();
        let cookies: Vec<String> = if self.cookies.is_empty() {
            vec![String::new()]
        } else {
            self.cookies
                .iter()
                .map(|c| {
                    let clean: String = c.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
                    format!("Cookie: {clean}\r\n")
                })
                .collect()
        };
        if self.bodies.is_empty() {
            return cookies
                .iter()
                .map(|cookie| {
                    let head = format!(
                        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: {agent}\r\nAccept: */*\r\n{cookie}\r\n"
                    );
                    head.into_bytes().into()
                })
                .collect();
        }
        self.bodies
            .iter()
            .enumerate()
            .map(|(i, body)| {
                let cookie = &cookies[i % cookies.len()];
                let mut request = format!(
                    "POST {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: {agent}\r\nAccept: */*\r\n{cookie}Content-Type: {}\r\nContent-Length: {}\r\n\r\n",
                    self.content_type,
                    body.len()
                )
                .into_bytes();
                request.extend_from_slice(body);
                request.into()
            })
            .collect()
    }
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
    let requests: Arc<[Arc<[u8]>]> = spec.shape.requests(&spec.path, spec.addr).into();
    let start = Instant::now() + spec.warmup;
    let end = start + spec.measure;
    let mut set = JoinSet::new();
    for c in 0..spec.connections {
        let turn = Turn {
            requests: requests.clone(),
            first: c as usize,
            expect: spec.shape.expect_status,
        };
        set.spawn(connection(spec.addr, turn, start, end));
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

/// What one connection sends: the run's requests, taken in turn from `first` on, and the
/// status that counts as an answer.
struct Turn {
    requests: Arc<[Arc<[u8]>]>,
    first: usize,
    expect: u16,
}

/// One connection's loop: request, wait for the whole answer, record, repeat. Reconnects when
/// the server closes the connection (or breaks it, which counts as an error).
async fn connection(addr: SocketAddr, turn: Turn, start: Instant, end: Instant) -> ConnStats {
    let mut stats = ConnStats::default();
    let mut stream: Option<TcpStream> = None;
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    let give_up = tokio::time::Instant::from_std(end + LATE_GRACE);
    let mut next = turn.first;
    while Instant::now() < end {
        let Some(request) = turn.requests.get(next % turn.requests.len().max(1)) else {
            stats.error("no request to send");
            break;
        };
        next = next.wrapping_add(1);
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
        let answer = tokio::time::timeout_at(give_up, exchange(s, request, &mut buf)).await;
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
                if status != turn.expect {
                    stats.error(format!("answer {status} instead of {}", turn.expect));
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
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: {BENCH_AGENT}\r\nConnection: close\r\n\r\n"
    );
    send_once(addr, path, request.as_bytes()).await
}

/// The first request of a run's shape, once, on a fresh connection: status and decoded body.
/// For checking that a server answers as the run expects before measuring it.
pub async fn fetch_shaped(addr: SocketAddr, path: &str, shape: &Shape) -> Result<(u16, Vec<u8>)> {
    let requests = shape.requests(path, addr);
    let Some(first) = requests.first() else {
        bail!("no request to send to {addr}{path}");
    };
    send_once(addr, path, first).await
}

async fn send_once(addr: SocketAddr, path: &str, request: &[u8]) -> Result<(u16, Vec<u8>)> {
    let fetching = async {
        let mut s = TcpStream::connect(addr)
            .await
            .with_context(|| format!("cannot connect to {addr}"))?;
        s.write_all(request).await?;
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
            shape: Shape::get(),
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

    async fn post_server() -> SocketAddr {
        use axum::body::Bytes;
        use axum::http::{HeaderMap, StatusCode, header};
        let app = Router::new().route(
            "/api/event",
            axum::routing::post(|headers: HeaderMap, body: Bytes| async move {
                let agent = headers
                    .get(header::USER_AGENT)
                    .and_then(|v| v.to_str().ok());
                let json = headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok());
                if agent == Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0")
                    && json == Some("application/json")
                    && body.starts_with(b"{")
                {
                    (StatusCode::ACCEPTED, body)
                } else {
                    (StatusCode::BAD_REQUEST, Bytes::new())
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    }

    fn posting(addr: SocketAddr, expect: u16) -> LoadSpec {
        let bodies = vec![br#"{"u":"/a"}"#.to_vec(), br#"{"u":"/bbbb"}"#.to_vec()];
        LoadSpec {
            path: "/api/event".into(),
            shape: Shape::post(
                bodies,
                "application/json",
                "Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0",
                expect,
            ),
            ..spec(addr, "/")
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn posts_bodies_in_turn_and_counts_the_status_asked() {
        let addr = post_server().await;
        let r = run_on_own_thread(posting(addr, 202)).await.unwrap();
        assert_eq!(r.errors, 0, "{:?}", r.first_error);
        assert!(r.requests > 10);
        // The server echoes each body: both lengths (10 and 13 bytes) were sent.
        assert!(r.body_bytes > 10 * r.requests && r.body_bytes < 13 * r.requests);
        let shaped = posting(addr, 202).shape;
        let (status, body) = fetch_shaped(addr, "/api/event", &shaped).await.unwrap();
        assert_eq!((status, body.as_slice()), (202, &br#"{"u":"/a"}"#[..]));

        let r = run(posting(addr, 200)).await.unwrap();
        assert_eq!(r.requests, 0);
        assert!(r.first_error.unwrap().contains("202 instead of 200"));
    }

    #[test]
    fn requests_carry_their_length_and_no_smuggled_header() {
        let addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let shape = Shape::post(vec![b"{}".to_vec()], "text/plain", "A\r\nX-Evil: 1", 202);
        let raw = String::from_utf8(shape.requests("/p", addr)[0].to_vec()).unwrap();
        assert!(raw.starts_with("POST /p HTTP/1.1\r\n"), "{raw}");
        assert!(
            raw.contains("User-Agent: AX-Evil: 1\r\n") && raw.contains("Content-Length: 2\r\n")
        );
        assert!(raw.ends_with("\r\n\r\n{}"));
        let get = Shape::get_expecting(302).requests("/l/x", addr);
        assert_eq!(get.len(), 1);
        assert!(get[0].starts_with(b"GET /l/x HTTP/1.1\r\n"));
        assert!(Shape::post(Vec::new(), "", "x", 202).requests("/", addr)[0].starts_with(b"GET"));
    }

    #[test]
    fn each_session_gets_its_request_in_turn() {
        let addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let shape = Shape {
            cookies: vec!["s=a".into(), "s=b\r\nX-Evil: 1".into()],
            ..Shape::get()
        };
        let raw: Vec<String> = shape
            .requests("/w/x/inbox", addr)
            .iter()
            .map(|r| String::from_utf8(r.to_vec()).unwrap())
            .collect();
        assert_eq!(raw.len(), 2);
        assert!(raw[0].contains("\r\nCookie: s=a\r\n\r\n"), "{}", raw[0]);
        assert!(
            raw[1].contains("\r\nCookie: s=bX-Evil: 1\r\n\r\n"),
            "{}",
            raw[1]
        );
        // Bodies take the sessions in turn too.
        let posts = Shape {
            cookies: vec!["s=a".into(), "s=b".into()],
            ..Shape::post(
                vec![b"1".to_vec(), b"2".to_vec(), b"3".to_vec()],
                "text/plain",
                "x",
                200,
            )
        }
        .requests("/p", addr);
        let cookie_of = |r: &Arc<[u8]>| String::from_utf8(r.to_vec()).unwrap().contains("s=a");
        assert_eq!(
            posts.iter().map(cookie_of).collect::<Vec<_>>(),
            [true, false, true]
        );
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

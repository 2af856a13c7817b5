//! Local servers and fixtures for the integration tests. Everything listens on 127.0.0.1, which
//! the clients built here are allowed to reach (the default configuration is not).

#![allow(dead_code)] // each test file uses a different subset

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, header};
use axum::routing::{MethodRouter, get};
use relais_outbound::{HttpClient, OutboundConfig};
use relais_sources::{FeedOutcome, FeedPoll, ParsedFeed, PollState, poll_feed};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The tests' "now": 2026-03-08T20:00:00Z, a few days after the fixtures' items.
pub const NOW: i64 = 1_773_000_000_000;
pub const HOUR: Duration = Duration::from_secs(3600);

/// The bytes of `tests/fixtures/{name}`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// A client allowed to reach loopback servers.
pub fn open_client() -> HttpClient {
    client(OutboundConfig {
        allow_private_addresses: true,
        ..OutboundConfig::default()
    })
}

pub fn client(config: OutboundConfig) -> HttpClient {
    HttpClient::new(config).expect("client configuration is valid")
}

/// A route serving a fixture with the given `Content-Type`.
pub fn file(content_type: &'static str, name: &'static str) -> MethodRouter {
    get(move || async move { ([(header::CONTENT_TYPE, content_type)], fixture(name)) })
}

/// Serves `router` on 127.0.0.1 at a free port; returns `http://127.0.0.1:PORT`.
pub async fn serve(router: Router) -> String {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind test server");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("test server");
    });
    format!("http://{addr}")
}

/// Serves hand-written HTTP (for what axum makes hard on purpose: lying or endless bodies).
/// For each connection: reads the request head, then hands the socket to `respond`.
pub async fn serve_raw<F, Fut>(respond: F) -> String
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind raw server");
    let addr: SocketAddr = listener.local_addr().expect("local address");
    let respond = Arc::new(respond);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let respond = Arc::clone(&respond);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                respond(socket).await;
            });
        }
    });
    format!("http://{addr}")
}

/// Writes `bytes`; false once the peer has gone.
pub async fn write(socket: &mut TcpStream, bytes: &[u8]) -> bool {
    socket.write_all(bytes).await.is_ok()
}

/// An address where nothing listens (connection refused).
pub fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("local address");
    drop(listener);
    format!("http://{addr}/feed.xml")
}

/// The request headers a route received, in order.
#[derive(Clone, Default)]
pub struct Seen(Arc<Mutex<Vec<HeaderMap>>>);

impl Seen {
    pub fn record(&self, headers: &HeaderMap) {
        self.0.lock().expect("not poisoned").push(headers.clone());
    }

    pub fn all(&self) -> Vec<HeaderMap> {
        self.0.lock().expect("not poisoned").clone()
    }
}

/// Polls `url` as a feed never polled before.
pub async fn first_poll(url: &str) -> FeedPoll {
    poll_feed(&open_client(), url, &PollState::default(), NOW, HOUR).await
}

/// The feed at `url`, which must read.
pub async fn read_feed(url: &str) -> ParsedFeed {
    let poll = first_poll(url).await;
    match poll.outcome {
        FeedOutcome::Fresh(feed) => feed,
        other => panic!("{url}: expected a feed, got {other:?}"),
    }
}

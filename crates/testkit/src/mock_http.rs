//! A local HTTP server for tests that need a peer answering as a documented API does (a webhook
//! receiver, a fake of a network's REST API): give it an axum [`Router`], get its base URL.
//!
//! ```no_run
//! # async fn demo() {
//! use axum::{Router, routing::get};
//! use relais_testkit::mock_http::MockHttp;
//!
//! let server = MockHttp::start(Router::new().route("/ping", get(|| async { "pong" }))).await;
//! let body = reqwest::get(server.url("/ping")).await.unwrap().text().await.unwrap();
//! assert_eq!(body, "pong");
//! // Dropping `server` stops it.
//! # }
//! ```
//!
//! It listens on 127.0.0.1 (a loopback address the SSRF guard of `relais-outbound` refuses:
//! build the client under test with `allow_private_addresses: true`).

use std::net::{Ipv4Addr, SocketAddr};

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server; it stops when dropped (requests in progress are allowed to finish).
pub struct MockHttp {
    addr: SocketAddr,
    base: String,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl MockHttp {
    /// Serves `router` on a free port of 127.0.0.1, in the current tokio runtime.
    pub async fn start(router: Router) -> Self {
        Self::start_on(Ipv4Addr::LOCALHOST, router).await
    }

    /// Serves `router` on a free port of `ip` (Linux routes all of 127.0.0.0/8 to loopback,
    /// so 127.0.0.2 makes a second, distinct host without any set-up).
    pub async fn start_on(ip: Ipv4Addr, router: Router) -> Self {
        let listener = TcpListener::bind((ip, 0))
            .await
            .expect("bind a loopback port for the mock HTTP server");
        let addr = listener
            .local_addr()
            .expect("the mock HTTP server's address");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            if let Err(e) = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await
            {
                eprintln!("mock HTTP server on {addr} failed: {e}");
            }
        });
        Self {
            addr,
            base: format!("http://{addr}"),
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// The base URL, `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The base URL followed by `path` (which should start with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and waits until it no longer accepts connections and the requests in
    /// progress are answered.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockHttp {
    fn drop(&mut self) {
        // Graceful: the listener closes at once, requests in progress still get their answer.
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;

    #[tokio::test]
    async fn serves_the_router_and_stops() {
        let server = MockHttp::start(Router::new().route("/ping", get(|| async { "pong" }))).await;
        let url = server.url("/ping");
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        let body = reqwest::get(&url)
            .await
            .expect("the mock answers")
            .text()
            .await
            .expect("a body");
        assert_eq!(body, "pong");
        let addr = server.addr();
        server.stop().await;
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "nothing listens after stop"
        );
    }

    #[tokio::test]
    async fn dropping_stops_it() {
        let server = MockHttp::start(Router::new().route("/", get(|| async { "up" }))).await;
        let addr = server.addr();
        drop(server);
        // The serve task notices the signal on its next poll.
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(addr).await.is_err() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the server still accepts connections after being dropped");
    }
}

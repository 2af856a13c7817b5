//! Local servers for the integration tests, counting what reaches them.
//!
//! Linux routes the whole of 127.0.0.0/8 to the loopback interface, so servers on 127.0.0.1
//! and 127.0.0.2 act as two distinct hosts without any network set-up.

#![allow(dead_code)] // each test file uses a different subset

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::serve::ListenerExt;
use relais_outbound::{HttpClient, OutboundConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const HOST_A: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
pub const HOST_B: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// A running server and what it has seen.
pub struct TestServer {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

impl TestServer {
    /// `http://IP:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// HTTP requests handled so far (for raw servers: equal to connections).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Serves `router` on `ip` at a free port, counting connections and requests.
pub async fn serve(ip: Ipv4Addr, router: Router) -> TestServer {
    let listener = TcpListener::bind((ip, 0)).await.expect("bind test server");
    let addr = listener.local_addr().expect("local addr");
    let connections = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));

    let counter = Arc::clone(&requests);
    let router = router.layer(middleware::from_fn(move |req: Request, next: Next| {
        let counter = Arc::clone(&counter);
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            next.run(req).await
        }
    }));
    let conn_counter = Arc::clone(&connections);
    let listener = listener.tap_io(move |_| {
        conn_counter.fetch_add(1, Ordering::SeqCst);
    });
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("test server");
    });
    TestServer {
        addr,
        connections,
        requests,
    }
}

/// Serves hand-written HTTP: for each connection, reads the request head, then runs `respond`
/// on the socket. Used for what axum makes hard on purpose (endless or stalled bodies).
pub async fn serve_raw<F, Fut>(ip: Ipv4Addr, respond: F) -> TestServer
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind((ip, 0)).await.expect("bind raw server");
    let addr = listener.local_addr().expect("local addr");
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&connections);
    let respond = Arc::new(respond);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let respond = Arc::clone(&respond);
            tokio::spawn(async move {
                read_head(&mut socket).await;
                respond(socket).await;
            });
        }
    });
    TestServer {
        addr,
        requests: Arc::clone(&connections),
        connections,
    }
}

async fn read_head(socket: &mut TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0_u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
}

/// Writes `bytes`, ignoring a client that went away.
pub async fn write(socket: &mut TcpStream, bytes: &[u8]) -> bool {
    socket.write_all(bytes).await.is_ok()
}

/// A port on which nothing listens.
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind((HOST_A, 0)).await.expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A client with the guard on (the production default) and short time-outs.
pub fn guarded() -> HttpClient {
    client(OutboundConfig::default())
}

/// A client with the guard on, except for the given exact addresses.
pub fn guarded_except(allowed: &[Ipv4Addr]) -> HttpClient {
    client(OutboundConfig {
        allowed_private: allowed.iter().map(|ip| (*ip).into()).collect(),
        ..OutboundConfig::default()
    })
}

/// A client with the guard lifted, as with RELAIS_ALLOW_PRIVATE_ADDRESSES=true.
pub fn open() -> HttpClient {
    client(OutboundConfig {
        allow_private_addresses: true,
        ..OutboundConfig::default()
    })
}

/// Builds a client from `cfg`, with time-outs short enough that a hang fails the test fast.
pub fn client(cfg: OutboundConfig) -> HttpClient {
    HttpClient::new(OutboundConfig {
        connect_timeout: Duration::from_secs(5),
        total_timeout: cfg.total_timeout.min(Duration::from_secs(10)),
        ..cfg
    })
    .expect("client builds")
}

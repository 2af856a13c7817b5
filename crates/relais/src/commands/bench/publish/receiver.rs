//! The receiving end: a webhook receiver that answers each post after a fixed delay (50 ms, a
//! network's API on a good day), as a receiver should: it checks the signature, notes the
//! `Idempotency-Key` and when it arrived (to find duplicates and lateness afterwards), then
//! answers 200 `{"id": …, "url": …}` (the key names the post, so a duplicate gets the same answer).
//!
//! It runs on a thread of its own with a single-threaded runtime, so that it takes the same
//! share of the machine whoever sends (Relais or the peer) and never shares their runtime's
//! threads. A fresh receiver serves each run.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use relais_networks::webhook::{
    DEFAULT_SIGNATURE_HEADER, IDEMPOTENCY_HEADER, TIMESTAMP_HEADER, verify_signature,
};
use serde_json::json;
use tokio::sync::oneshot;

use super::figures::Arrival;

/// Microseconds since the Unix epoch, on the wall clock the queue's due times use.
pub fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

#[derive(Default)]
struct Log {
    arrivals: Vec<Arrival>,
    seen: HashSet<String>,
}

struct Shared {
    secret: String,
    delay: Duration,
    base: String,
    log: Mutex<Log>,
    distinct: AtomicU64,
    refused: AtomicU64,
    first_refusal: Mutex<Option<String>>,
}

/// A running receiver; [`Receiver::finish`] stops it and hands over what it saw.
pub struct Receiver {
    /// Where to POST: `http://127.0.0.1:PORT/hook`.
    pub url: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What a receiver saw over its life.
pub struct Received {
    pub arrivals: Vec<Arrival>,
    /// Requests answered 401 (bad signature) or 400 (no idempotency key).
    pub refused: u64,
    pub first_refusal: Option<String>,
}

impl Receiver {
    /// Listens on a free loopback port; each post is answered after `delay`.
    pub fn start(secret: &str, delay: Duration) -> Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .context("cannot listen on a loopback port for the receiver")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            secret: secret.to_owned(),
            delay,
            base: format!("http://{addr}"),
            log: Mutex::new(Log::default()),
            distinct: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            first_refusal: Mutex::new(None),
        });
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<()>>();
        let thread = std::thread::Builder::new()
            .name("bench-receiver".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(anyhow!("cannot start its runtime: {e}")));
                        return;
                    }
                };
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(anyhow!("cannot listen: {e}")));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
                        .await;
                });
            })
            .context("cannot start the receiver's thread")?;
        ready_rx
            .recv()
            .map_err(|_| anyhow!("the receiver's thread stopped at once"))?
            .context("the receiver did not start")?;
        Ok(Self {
            url: format!("http://{addr}/hook"),
            shared,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Distinct posts received so far.
    pub fn distinct(&self) -> u64 {
        self.shared.distinct.load(Ordering::Relaxed)
    }

    /// Requests refused so far (bad signature, no key): the run is misconfigured.
    pub fn refused(&self) -> u64 {
        self.shared.refused.load(Ordering::Relaxed)
    }

    /// Stops serving (requests in progress finish first) and returns what was received.
    pub async fn finish(mut self) -> Received {
        self.shutdown();
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
        let log = std::mem::take(
            &mut *self
                .shared
                .log
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        Received {
            arrivals: log.arrivals,
            refused: self.refused(),
            first_refusal: self
                .shared
                .first_refusal
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        }
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shutdown();
    }
}

async fn receive(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let at_us = now_us();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let key = header(IDEMPOTENCY_HEADER);
    let now_secs = u64::try_from(at_us / 1_000_000).unwrap_or(0);
    let refusal = if key.is_empty() {
        Some((StatusCode::BAD_REQUEST, "no Idempotency-Key header"))
    } else if !verify_signature(
        shared.secret.as_bytes(),
        header(TIMESTAMP_HEADER),
        &body,
        header(DEFAULT_SIGNATURE_HEADER),
        now_secs,
    ) {
        Some((StatusCode::UNAUTHORIZED, "the signature does not match"))
    } else {
        None
    };
    if let Some((status, message)) = refusal {
        shared.refused.fetch_add(1, Ordering::Relaxed);
        shared
            .first_refusal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert_with(|| format!("{status}: {message}"));
        return (status, axum::Json(json!({ "error": message }))).into_response();
    }
    {
        let mut log = shared.log.lock().unwrap_or_else(PoisonError::into_inner);
        if log.seen.insert(key.to_owned()) {
            shared.distinct.fetch_add(1, Ordering::Relaxed);
        }
        log.arrivals.push(Arrival {
            key: key.to_owned(),
            at_us,
        });
    }
    tokio::time::sleep(shared.delay).await;
    // The same answer for the same key, as a receiver that deduplicates gives.
    axum::Json(json!({ "id": key, "url": format!("{}/p/{key}", shared.base) })).into_response()
}

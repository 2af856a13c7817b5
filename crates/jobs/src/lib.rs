//! Background workers: claim due jobs from the store's queue, run the handler registered for
//! their kind, and record the outcome. A failed attempt is retried with exponential back-off
//! and jitter (or at the time the handler asks, such as a network's `Retry-After`), until the
//! job's attempts run out and it is marked dead. A worker that dies loses its lease, and the job
//! goes to another worker once the lease expires.
//!
//! Capabilities register their handlers; this crate ships the housekeeping ones.

mod backoff;
mod housekeeping;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use relais_core::Timestamp;
use relais_store::{Job, Store};
use tokio::sync::watch;

pub use backoff::retry_delay_ms;
pub use housekeeping::{PURGE_SESSIONS, PurgeSessions};

/// What a handler says about an attempt that did not succeed.
#[derive(Debug)]
pub enum JobError {
    /// Try again later: at the given time, or after the usual back-off when `None`.
    Retry {
        reason: String,
        at: Option<Timestamp>,
    },
    /// Never try again (bad input, a refusal that will not change).
    Permanent(String),
}

/// Who marks a job that succeeded as done.
#[derive(Debug, PartialEq, Eq)]
pub enum Finished {
    /// The worker, once the handler returns (most handlers).
    ByWorker,
    /// The handler already did, in the transaction of its result: one write fewer per job on
    /// the publishing path (see `Store::record_target_part`).
    ByHandler,
}

#[async_trait]
pub trait JobHandler: Send + Sync + 'static {
    async fn run(&self, job: &Job, store: &Arc<dyn Store>) -> Result<(), JobError>;

    /// Runs the job and says who marks it done. Override only to mark it done yourself.
    async fn run_to_end(&self, job: &Job, store: &Arc<dyn Store>) -> Result<Finished, JobError> {
        self.run(job, store).await.map(|()| Finished::ByWorker)
    }
}

pub struct Worker {
    store: Arc<dyn Store>,
    handlers: HashMap<String, Arc<dyn JobHandler>>,
    name: String,
    lease_ms: i64,
    idle: Duration,
    concurrency: usize,
}

impl Worker {
    pub fn new(store: Arc<dyn Store>, name: impl Into<String>) -> Self {
        let mut w = Self {
            store,
            handlers: HashMap::new(),
            name: name.into(),
            lease_ms: 60_000,
            idle: Duration::from_secs(1),
            concurrency: 1,
        };
        w.register(PURGE_SESSIONS, Arc::new(PurgeSessions));
        w
    }

    pub fn register(&mut self, kind: &str, handler: Arc<dyn JobHandler>) {
        self.handlers.insert(kind.to_owned(), handler);
    }

    pub fn with_idle(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self
    }

    /// How many jobs this worker runs at once. Jobs mostly wait on networks, so a few dozen
    /// share one process well; each claims its own job, so none is run twice.
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.clamp(1, 1024);
        self
    }

    /// How long a claimed job stays this worker's without a heartbeat. The worker renews it
    /// every third of that while the job runs; a worker that dies loses it after this long.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease_ms = i64::try_from(lease.as_millis())
            .unwrap_or(i64::MAX)
            .max(100);
        self
    }

    /// Runs one due job if there is one; true if it did.
    pub async fn run_once(&self) -> Result<bool, relais_store::StoreError> {
        let now = Timestamp::now();
        let Some(job) = self.store.claim_job(&self.name, now, self.lease_ms).await? else {
            return Ok(false);
        };
        let outcome = match self.handlers.get(&job.kind) {
            Some(h) => {
                let beat = self.heartbeat(job.id);
                let outcome = h.run_to_end(&job, &self.store).await;
                beat.abort();
                outcome
            }
            None => Err::<Finished, _>(JobError::Permanent(format!(
                "no handler for job kind `{}` in this Relais",
                job.kind
            ))),
        };
        let done_at = Timestamp::now();
        match outcome {
            Ok(Finished::ByWorker) => {
                self.store.complete_job(job.id, &self.name, done_at).await?;
            }
            Ok(Finished::ByHandler) => {}
            Err(JobError::Retry { reason, at }) if job.attempts < job.max_attempts => {
                let at = at.unwrap_or_else(|| {
                    Timestamp::from_millis(
                        done_at.millis() + retry_delay_ms(job.attempts, jitter()),
                    )
                });
                tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, %reason, "job failed; will retry");
                self.store
                    .fail_job(job.id, &self.name, &reason, Some(at), done_at)
                    .await?;
            }
            Err(JobError::Retry { reason, .. }) | Err(JobError::Permanent(reason)) => {
                tracing::error!(job = %job.id, kind = %job.kind, %reason, "job failed for good");
                self.store
                    .fail_job(job.id, &self.name, &reason, None, done_at)
                    .await?;
            }
        }
        Ok(true)
    }

    /// Keeps the lease of a running job alive until aborted.
    fn heartbeat(&self, job: relais_core::JobId) -> tokio::task::JoinHandle<()> {
        let store = self.store.clone();
        let name = self.name.clone();
        let lease_ms = self.lease_ms;
        tokio::spawn(async move {
            let every = Duration::from_millis(u64::try_from(lease_ms / 3).unwrap_or(1000).max(50));
            loop {
                tokio::time::sleep(every).await;
                let until =
                    Timestamp::from_millis(Timestamp::now().millis().saturating_add(lease_ms));
                match store.heartbeat_job(job, &name, until).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(%job, "lost the lease of a running job");
                        return;
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot renew a job's lease"),
                }
            }
        })
    }

    /// Works until `stop` turns true, `concurrency` jobs at a time, each loop sleeping `idle`
    /// when the queue is empty.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        tracing::info!(worker = %self.name, concurrency = self.concurrency, "worker started");
        let me = Arc::new(self);
        let mut loops = tokio::task::JoinSet::new();
        for _ in 0..me.concurrency {
            loops.spawn(Arc::clone(&me).work(stop.clone()));
        }
        while loops.join_next().await.is_some() {}
        tracing::info!(worker = %me.name, "worker stopped");
    }

    async fn work(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                break;
            }
            let worked = match self.run_once().await {
                Ok(w) => w,
                Err(e) => {
                    tracing::warn!(error = %e, "worker cannot reach the queue");
                    false
                }
            };
            if !worked {
                tokio::select! {
                    _ = tokio::time::sleep(self.idle) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }
}

fn jitter() -> f64 {
    let mut b = [0u8; 2];
    if getrandom::fill(&mut b).is_err() {
        return 0.5;
    }
    f64::from(u16::from_le_bytes(b)) / f64::from(u16::MAX)
}

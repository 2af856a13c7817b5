#![allow(clippy::unwrap_used)]
//! The worker against a real (SQLite) queue: success, retry with back-off, permanent failure,
//! unknown kinds.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use relais_core::Timestamp;
use relais_jobs::{JobError, JobHandler, Worker};
use relais_store::{DatabaseLocation, Job, JobStatus, NewJob, Store, open};

async fn store() -> Arc<dyn Store> {
    let dir = tempfile::tempdir().expect("tmp").keep();
    let s = open(&DatabaseLocation::parse(dir.to_str().expect("utf-8")))
        .await
        .expect("open");
    s.migrate().await.expect("migrate");
    s
}

struct Flaky {
    calls: AtomicU32,
    fail_first: u32,
}

#[async_trait]
impl JobHandler for Flaky {
    async fn run(&self, job: &Job, _: &Arc<dyn Store>) -> Result<(), JobError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if job.payload["permanent"] == true {
            return Err(JobError::Permanent("bad input".into()));
        }
        if n <= self.fail_first {
            return Err(JobError::Retry {
                reason: format!("try {n} failed"),
                at: Some(Timestamp::from_millis(0)),
            });
        }
        Ok(())
    }
}

fn job(kind: &str, payload: serde_json::Value, max: u32) -> NewJob {
    NewJob {
        workspace_id: None,
        kind: kind.into(),
        payload,
        run_at: Timestamp::now(),
        max_attempts: max,
    }
}

#[tokio::test]
async fn retries_then_succeeds_and_gives_up_when_told() {
    let s = store().await;
    let flaky = Arc::new(Flaky {
        calls: AtomicU32::new(0),
        fail_first: 2,
    });
    let mut w = Worker::new(s.clone(), "w");
    w.register("flaky", flaky.clone());

    let id = s
        .enqueue_job(job("flaky", serde_json::json!({}), 5))
        .await
        .unwrap();
    while w.run_once().await.unwrap() {}
    let done = s.job(id).await.unwrap().unwrap();
    assert_eq!(
        (done.status, done.attempts),
        (JobStatus::Done, 3),
        "two failures, then success"
    );
    assert_eq!(flaky.calls.load(Ordering::SeqCst), 3);

    let perm = s
        .enqueue_job(job("flaky", serde_json::json!({"permanent": true}), 5))
        .await
        .unwrap();
    while w.run_once().await.unwrap() {}
    let dead = s.job(perm).await.unwrap().unwrap();
    assert_eq!(
        (dead.status, dead.attempts),
        (JobStatus::Dead, 1),
        "no retry after a permanent error"
    );
    assert_eq!(dead.last_error.as_deref(), Some("bad input"));
}

#[tokio::test]
async fn out_of_attempts_is_dead_and_unknown_kinds_are_dead() {
    let s = store().await;
    let mut w = Worker::new(s.clone(), "w");
    w.register(
        "flaky",
        Arc::new(Flaky {
            calls: AtomicU32::new(0),
            fail_first: 100,
        }),
    );
    let id = s
        .enqueue_job(job("flaky", serde_json::json!({}), 2))
        .await
        .unwrap();
    while w.run_once().await.unwrap() {}
    let j = s.job(id).await.unwrap().unwrap();
    assert_eq!((j.status, j.attempts), (JobStatus::Dead, 2));

    let unknown = s
        .enqueue_job(job("from.the.future", serde_json::Value::Null, 3))
        .await
        .unwrap();
    while w.run_once().await.unwrap() {}
    let j = s.job(unknown).await.unwrap().unwrap();
    assert_eq!(j.status, JobStatus::Dead);
    assert!(j.last_error.unwrap().contains("no handler"));
}

#[tokio::test]
async fn purge_job_removes_expired_sessions_and_reschedules_itself() {
    let s = store().await;
    let w = Worker::new(s.clone(), "w");
    let id = s
        .enqueue_job(job(relais_jobs::PURGE_SESSIONS, serde_json::Value::Null, 3))
        .await
        .unwrap();
    assert!(w.run_once().await.unwrap());
    assert_eq!(s.job(id).await.unwrap().unwrap().status, JobStatus::Done);
    let counts = s.job_counts().await.unwrap();
    assert!(
        counts.contains(&("queued".to_owned(), 1)),
        "the next purge is planned: {counts:?}"
    );
    assert!(!w.run_once().await.unwrap(), "and not due before an hour");
}

/// Four jobs that can only finish together: they need four running at once.
struct Rendezvous(Arc<tokio::sync::Barrier>);

#[async_trait]
impl JobHandler for Rendezvous {
    async fn run(&self, _: &Job, _: &Arc<dyn Store>) -> Result<(), JobError> {
        self.0.wait().await;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_worker_runs_several_jobs_at_once_each_once() {
    let s = store().await;
    let mut w = Worker::new(s.clone(), "w")
        .with_concurrency(4)
        .with_idle(std::time::Duration::from_millis(20));
    w.register(
        "meet",
        Arc::new(Rendezvous(Arc::new(tokio::sync::Barrier::new(4)))),
    );
    let mut ids = Vec::new();
    for _ in 0..8 {
        ids.push(
            s.enqueue_job(job("meet", serde_json::Value::Null, 1))
                .await
                .unwrap(),
        );
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(w.run(stop_rx));
    // Generous: the point is that it finishes at all (one at a time, it never could).
    let all_done = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        loop {
            let mut done = 0;
            for id in &ids {
                if s.job(*id).await.unwrap().unwrap().status == JobStatus::Done {
                    done += 1;
                }
            }
            if done == ids.len() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    stop_tx.send(true).unwrap();
    running.await.unwrap();
    assert!(all_done.is_ok(), "four jobs ran at once");
    for id in ids {
        assert_eq!(
            s.job(id).await.unwrap().unwrap().attempts,
            1,
            "each job ran once"
        );
    }
}

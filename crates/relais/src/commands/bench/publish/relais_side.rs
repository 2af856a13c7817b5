//! The Relais under test: a fresh store (SQLite in a temporary directory, or PostgreSQL), a
//! workspace with a webhook channel pointing at the receiver (its secret sealed by a fresh
//! vault), N scheduled posts created through the store as the composer creates them (post,
//! target and `publish.target` job in one transaction each), then the worker `relais serve`
//! runs — built by the same function, with every job handler — until the receiver has them all.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{ChannelId, PostId, Slug, TargetId, Timestamp, WorkspaceId};
use relais_store::{DatabaseLocation, NewChannel, NewPost, NewTarget, PostPart, PostStatus, Store};
use relais_vault::Vault;
use tokio::task::JoinSet;

use super::figures::{Outcome, due_ms};
use super::postgres::Cluster;
use super::receiver::{Receiver, now_us};
use super::{Cpu, Spec, post_text, sleep_until_wall_ms};
use crate::cli::DataArgs;
use crate::config::FileConfig;

/// Posts created at once while loading (each its own transaction): SQLite takes them one at a
/// time anyway; PostgreSQL's pool has 16 connections.
const LOADERS: usize = 8;
/// Loading is planned from the rate of a first batch; this much more time is allowed.
const LOAD_MARGIN: f64 = 1.5;
/// The worker starts this long at least before the first post is due.
const LEAD: Duration = Duration::from_secs(3);
/// The run stops when nothing new arrived for this long after the last due time.
const STALL: Duration = Duration::from_secs(30);

/// Which database the run uses.
#[derive(Clone, Debug)]
pub enum Database {
    /// A fresh file in a temporary directory.
    Sqlite,
    /// An empty database at this URL.
    PostgresUrl(String),
    /// A throwaway cluster started for the run.
    PostgresPrivate,
}

/// Loading the posts: not part of the measure, reported beside it.
#[derive(Clone, Copy, Debug)]
pub struct Loading {
    pub posts: usize,
    pub took: Duration,
}

impl Loading {
    pub fn posts_per_second(&self) -> f64 {
        let s = self.took.as_secs_f64();
        if s > 0.0 { self.posts as f64 / s } else { 0.0 }
    }
}

pub struct RelaisRun {
    pub outcome: Outcome,
    pub loading: Loading,
    /// What the database was, in words.
    pub database: String,
}

/// The store and what must outlive it.
struct Opened {
    store: Arc<dyn Store>,
    data: DataArgs,
    describe: String,
    cluster: Option<Cluster>,
    _dir: Option<tempfile::TempDir>,
}

impl Opened {
    async fn open(database: &Database) -> Result<Self> {
        let (location, describe, cluster, dir) = match database {
            Database::Sqlite => {
                let dir = tempfile::Builder::new()
                    .prefix("relais-bench-")
                    .tempdir()
                    .context("cannot create a temporary directory for the database")?;
                let path = dir.path().join("relais.db");
                (
                    DatabaseLocation::Sqlite(path.clone()),
                    format!(
                        "SQLite (WAL, synchronous=NORMAL, pool of 8) in {}",
                        dir.path().display()
                    ),
                    None,
                    Some(dir),
                )
            }
            Database::PostgresUrl(url) => (
                DatabaseLocation::Postgres(url.clone()),
                format!(
                    "PostgreSQL at {} (pool of 16)",
                    DatabaseLocation::Postgres(url.clone()).describe()
                ),
                None,
                None,
            ),
            Database::PostgresPrivate => {
                let cluster = Cluster::start().await?;
                (
                    DatabaseLocation::Postgres(cluster.url.clone()),
                    format!(
                        "PostgreSQL, a throwaway cluster with the default settings ({}; pool of 16)",
                        cluster.version
                    ),
                    Some(cluster),
                    None,
                )
            }
        };
        let store = relais_store::open(&location)
            .await
            .context("cannot open the benchmark's database")?;
        let ready = async {
            store
                .migrate()
                .await
                .context("cannot migrate the benchmark's database")?;
            if !store.is_empty().await? {
                bail!(
                    "{} is not empty; the benchmark needs an empty database (it fills it with posts \
                     and runs a worker that would take any job in it)",
                    location.describe()
                );
            }
            Ok(())
        };
        if let Err(e) = ready.await {
            store.close().await;
            if let Some(c) = cluster {
                c.stop().await;
            }
            return Err(e);
        }
        let data = DataArgs {
            config: None,
            data_dir: dir.as_ref().map(|d| d.path().to_owned()),
            database_url: match &location {
                DatabaseLocation::Postgres(url) => Some(url.clone()),
                DatabaseLocation::Sqlite(_) => None,
            },
        };
        Ok(Self {
            store,
            data,
            describe,
            cluster,
            _dir: dir,
        })
    }

    async fn close(self) {
        self.store.close().await;
        if let Some(c) = self.cluster {
            c.stop().await;
        }
    }
}

/// One measured run of Relais on `database`.
pub async fn run(spec: &Spec, database: &Database) -> Result<RelaisRun> {
    let opened = Opened::open(database).await?;
    let result = run_on(spec, &opened).await;
    let describe = opened.describe.clone();
    opened.close().await;
    let (outcome, loading) = result?;
    Ok(RelaisRun {
        outcome,
        loading,
        database: describe,
    })
}

/// Where the posts go: the workspace and its webhook channel.
#[derive(Clone, Copy)]
struct Place {
    workspace: WorkspaceId,
    channel: ChannelId,
}

async fn run_on(spec: &Spec, db: &Opened) -> Result<(Outcome, Loading)> {
    let store = &db.store;
    let secret = relais_vault::generate_key()?;
    let receiver = Receiver::start(&secret, spec.receiver_delay)?;
    let vault_key = relais_vault::generate_key()?;
    let place = prepare(
        store.as_ref(),
        &Vault::from_base64(&vault_key)?,
        &receiver,
        &secret,
    )
    .await?;

    // How fast this store takes posts, from a first batch that waits for approval (no job, so
    // no worker ever touches it); the schedule starts once all the posts can be in.
    let sample = (spec.posts / 100).clamp(50, 500);
    let started = Instant::now();
    create_posts(store, place, 0..sample, |_| None).await?;
    let per_post = started.elapsed().as_secs_f64() / sample as f64;
    let planned = Duration::from_secs_f64(per_post * spec.posts as f64 * LOAD_MARGIN);
    // On a whole second, so that the due times read easily.
    let t0_ms = (now_us() / 1000 + i64::try_from((planned + LEAD).as_millis()).unwrap_or(0)) / 1000
        * 1000
        + 1000;
    let spread_ms = i64::try_from(spec.spread.as_millis()).unwrap_or(i64::MAX);
    let n = spec.posts;

    let started = Instant::now();
    let made = create_posts(store, place, 0..n, move |i| {
        Some(Timestamp::from_millis(due_ms(t0_ms, i, n, spread_ms)))
    })
    .await?;
    let loading = Loading {
        posts: n,
        took: started.elapsed(),
    };
    if now_us() / 1000 > t0_ms - 500 {
        bail!(
            "loading the posts took {:.1} s, more than the {:.1} s planned from the first {sample}: \
             the first posts were due before the worker started; run again",
            loading.took.as_secs_f64(),
            planned.as_secs_f64()
        );
    }
    let due: HashMap<String, i64> = made
        .into_iter()
        .map(|(i, target)| (format!("{target}/0"), due_ms(t0_ms, i, n, spread_ms)))
        .collect();

    // The worker as `relais serve` builds it, with the run's concurrency and a vault key of
    // its own; private addresses allowed, as the receiver listens on loopback.
    let file = FileConfig {
        secret_key: Some(vault_key),
        allow_private_addresses: true,
        worker_concurrency: spec.concurrency,
        ..FileConfig::default()
    };
    let worker = crate::commands::worker(
        store.clone(),
        &db.data,
        &file,
        format!("bench-{}", std::process::id()),
    )?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let working = tokio::spawn(worker.run(stop_rx));

    sleep_until_wall_ms(t0_ms).await;
    let server_ticks = || db.cluster.as_ref().and_then(Cluster::cpu_ticks);
    let cpu = Cpu::sample(server_ticks());
    let last_due_ms = due_ms(t0_ms, n.saturating_sub(1), n, spread_ms);
    wait_for_all(&receiver, n, last_due_ms).await;
    let used = cpu.since(server_ticks());

    // Let the worker record the last answers, then stop it as `serve` does.
    let counts = settle(store.as_ref(), n).await;
    let _ = stop_tx.send(true);
    if tokio::time::timeout(Duration::from_secs(30), working)
        .await
        .is_err()
    {
        eprintln!("  the worker did not stop within 30 s");
    }
    let received = receiver.finish().await;
    if received.refused > 0 {
        bail!(
            "the receiver refused {} requests ({}); the run is misconfigured",
            received.refused,
            received.first_refusal.unwrap_or_default()
        );
    }
    let mut outcome = Outcome::from_arrivals(&due, &received.arrivals);
    outcome.failed = counts.get("dead").copied().unwrap_or(0) as usize;
    outcome.cpu = used;
    Ok((outcome, loading))
}

/// The workspace and the webhook channel, its secret sealed as `relais channel add` seals it.
async fn prepare(
    store: &dyn Store,
    vault: &Vault,
    receiver: &Receiver,
    secret: &str,
) -> Result<Place> {
    let slug = Slug::parse("bench").map_err(|e| anyhow!(e.message))?;
    let event = |workspace_id, action: &str| AuditEvent {
        workspace_id,
        actor: Actor::cli(),
        action: action.into(),
        target: "bench".into(),
        details: serde_json::json!({ "bench": true }),
    };
    let ws = store
        .create_workspace(&slug, "Bench", None, event(None, "workspace.create"))
        .await
        .map_err(|e| anyhow!("cannot create the benchmark's workspace: {e}"))?;
    let id = ChannelId::new();
    let secrets = [("secret".to_owned(), secret.to_owned())].into();
    let channel = store
        .create_channel(
            NewChannel {
                id,
                workspace_id: ws.id,
                network: "webhook".into(),
                name: "bench".into(),
                settings: serde_json::json!({ "url": receiver.url }),
                secrets: vault.seal_all(&format!("channel:{id}"), &secrets)?,
                created_by: None,
            },
            event(Some(ws.id), "channel.create"),
        )
        .await
        .map_err(|e| anyhow!("cannot create the benchmark's channel: {e}"))?;
    Ok(Place {
        workspace: ws.id,
        channel: channel.id,
    })
}

/// Creates posts `range` (one target each) with `LOADERS` at once; `due(i)` gives post i's
/// time (it is scheduled, with its job) or `None` (it waits for approval, with no job).
/// Returns each scheduled post's index and target.
async fn create_posts(
    store: &Arc<dyn Store>,
    place: Place,
    range: Range<usize>,
    due: impl Fn(usize) -> Option<Timestamp> + Send + Sync + 'static,
) -> Result<Vec<(usize, TargetId)>> {
    let next = Arc::new(AtomicUsize::new(range.start));
    let due = Arc::new(due);
    let mut loaders = JoinSet::new();
    for _ in 0..LOADERS {
        let (store, next, due, end) = (store.clone(), next.clone(), due.clone(), range.end);
        loaders.spawn(async move {
            let mut made = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= end {
                    return Ok::<_, anyhow::Error>(made);
                }
                let at = due(i);
                let post_id = PostId::new();
                let target = TargetId::new();
                let (status, plan) = match at {
                    Some(t) => (
                        PostStatus::Scheduled,
                        Some(relais_publisher::compose::publish_plan(t)),
                    ),
                    None => (PostStatus::PendingApproval, None),
                };
                store
                    .create_post(
                        NewPost {
                            id: post_id,
                            workspace_id: place.workspace,
                            author_id: None,
                            author_label: "bench".into(),
                            status,
                            parts: vec![PostPart {
                                text: post_text(i),
                                media: Vec::new(),
                            }],
                            scheduled_at: at,
                            time_zone: Some("UTC".into()),
                        },
                        vec![NewTarget {
                            id: target,
                            channel_id: place.channel,
                            parts: None,
                        }],
                        plan,
                        AuditEvent {
                            workspace_id: Some(place.workspace),
                            actor: Actor::cli(),
                            action: "post.create".into(),
                            target: post_id.to_string(),
                            details: serde_json::json!({ "bench": true }),
                        },
                    )
                    .await
                    .map_err(|e| anyhow!("cannot create post {i}: {e}"))?;
                if at.is_some() {
                    made.push((i, target));
                }
            }
        });
    }
    let mut made = Vec::with_capacity(range.len());
    while let Some(joined) = loaders.join_next().await {
        made.extend(joined.context("a loader failed")??);
    }
    Ok(made)
}

/// Waits until the receiver has `n` distinct posts, it refuses one (misconfigured), or nothing
/// new arrived for [`STALL`] after the last due time. Says how it goes every 10 s.
async fn wait_for_all(receiver: &Receiver, n: usize, last_due_ms: i64) {
    let target = n as u64;
    let begun = Instant::now();
    let mut last = (0, Instant::now());
    let mut told = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let got = receiver.distinct();
        if got >= target || receiver.refused() > 0 {
            return;
        }
        if got != last.0 {
            last = (got, Instant::now());
        } else if now_us() / 1000 > last_due_ms && last.1.elapsed() > STALL {
            eprintln!(
                "  nothing new for {} s after the last due time: stopping with {got} of {n}",
                STALL.as_secs()
            );
            return;
        }
        if told.elapsed() >= Duration::from_secs(10) {
            told = Instant::now();
            eprintln!(
                "  relais: {got} of {n} published, {:.0} s after the first due time",
                begun.elapsed().as_secs_f64()
            );
        }
    }
}

/// Waits (up to 10 s) until no job runs and `n` are done or dead, so that every answer is
/// recorded; returns the number of jobs in each status.
async fn settle(store: &dyn Store, n: usize) -> HashMap<String, u64> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let counts: HashMap<String, u64> = store
            .job_counts()
            .await
            .map(|c| c.into_iter().collect())
            .unwrap_or_default();
        let get = |s: &str| counts.get(s).copied().unwrap_or(0);
        let finished = get("done") + get("dead") >= n as u64 && get("running") == 0;
        if finished || Instant::now() >= deadline {
            return counts;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

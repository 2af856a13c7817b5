//! The embedded engine's side: the generated events appended to a fresh [`Embedded`] store in
//! batches (as the ingestion pipeline would, through the synced day logs), the finished days
//! sealed into segments, the bytes they take, and the dashboard's questions timed.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, Utc};
use relais_analytics::embedded::Embedded;
use relais_analytics::{EventStore, SiteInfo};

use super::dashboard::{Dashboard, Row, Timed, rows_of};
use super::generate::{Spec, Tables, day_events};

/// Events appended at once.
pub const BATCH: usize = 100_000;
/// Warm runs of each question; the median is reported.
pub const WARM_RUNS: usize = 10;
/// A question slower than this budget allows gets fewer warm runs, never fewer than
/// [`MIN_WARM_RUNS`]: ten runs of a 20-second query would add minutes and nothing to the median.
pub const WARM_BUDGET: Duration = Duration::from_secs(60);
pub const MIN_WARM_RUNS: usize = 3;

/// How loading went (reported beside the figures, not measured against a peer).
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub events: u64,
    pub generating: Duration,
    pub appending: Duration,
    pub sealing: Duration,
    pub days_sealed: usize,
    pub bytes_on_disk: u64,
}

impl Loaded {
    pub fn bytes_per_event(&self) -> f64 {
        super::bytes_per_event(self.bytes_on_disk, self.events)
    }
}

/// Generates every day of `spec`, appends it to a fresh store in `dir` in batches, then seals
/// the finished days. `now` decides which days are finished (the days generated end
/// yesterday).
pub async fn load(dir: &Path, spec: &Spec, now: DateTime<Utc>) -> Result<Loaded> {
    let store = open(dir).await?;
    let tables = std::sync::Arc::new(Tables::default());
    let mut loaded = Loaded::default();
    for index in 0..spec.days {
        let started = Instant::now();
        let (for_day, tables_for_day) = (spec.clone(), tables.clone());
        let mut events =
            tokio::task::spawn_blocking(move || day_events(&for_day, index, &tables_for_day))
                .await
                .context("the generator stopped")?;
        loaded.generating += started.elapsed();
        let started = Instant::now();
        loaded.events += events.len() as u64;
        while !events.is_empty() {
            let rest = events.split_off(events.len().min(BATCH));
            store
                .append(events)
                .await
                .map_err(|e| anyhow!("cannot append events: {e}"))?;
            events = rest;
        }
        loaded.appending += started.elapsed();
        if (index + 1) % 5 == 0 || index + 1 == spec.days {
            eprintln!(
                "  embedded: {} of {} days loaded ({} events)",
                index + 1,
                spec.days,
                loaded.events
            );
        }
    }
    let started = Instant::now();
    let sealing = store.clone();
    // Past the store's grace period after midnight: a run started at 00:02 would otherwise
    // keep yesterday in its log. Today has no events, so nothing else is sealed early.
    let seal_at = now + chrono::Duration::minutes(10);
    loaded.days_sealed = tokio::task::spawn_blocking(move || sealing.seal_finished_days(seal_at))
        .await
        .context("the sealing task stopped")?
        .map_err(|e| anyhow!("cannot seal the finished days: {e}"))?;
    loaded.sealing = started.elapsed();
    loaded.bytes_on_disk = store.bytes_on_disk();
    close(store).await;
    Ok(loaded)
}

/// Asks each question of the dashboard: the first time on a store just opened (the days'
/// summaries, or their columns if the question needs them, read from disk: the process has
/// none in memory; the system's file cache may), then
/// [`WARM_RUNS`] times more. Returns the timings and the last answer of each.
pub async fn ask(
    dir: &Path,
    site: &SiteInfo,
    spec: &Spec,
    now: DateTime<Utc>,
) -> Result<Vec<(Dashboard, Timed, Vec<Row>)>> {
    let mut out = Vec::new();
    for dashboard in Dashboard::ALL {
        let query = dashboard.query(super::DOMAIN, spec.first_day, spec.last_day());
        let store = open(dir).await?;
        let mut timed = Timed::default();
        let mut rows = Vec::new();
        let warming = Instant::now();
        for run in 0..=WARM_RUNS {
            if run > MIN_WARM_RUNS && warming.elapsed() > WARM_BUDGET {
                break;
            }
            let started = Instant::now();
            let answer = store.answer(site, &query, now).await.map_err(|e| {
                anyhow!(
                    "the embedded engine cannot answer the {}: {e}",
                    dashboard.label()
                )
            })?;
            let took = started.elapsed();
            if run == 0 {
                timed.cold = took;
            } else {
                timed.warm.push(took);
            }
            rows = rows_of(&answer);
        }
        close(store).await;
        out.push((dashboard, timed, rows));
    }
    Ok(out)
}

async fn open(dir: &Path) -> Result<Embedded> {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || Embedded::open(&dir))
        .await
        .context("opening the event store stopped")?
        .map_err(|e| anyhow!("cannot open the event store: {e}"))
}

/// Drops the store where blocking is allowed: its last clone joins the log writer's thread.
async fn close(store: Embedded) {
    let _ = tokio::task::spawn_blocking(move || drop(store)).await;
}

//! The listening job: every minute, the sources that are due are polled (several at once),
//! what they found is analysed and stored, keyword alerts are raised on the new mentions, spike
//! alerts once an hour, and the alerts due are sent. The job plans its next run before doing
//! anything, so that a failure never ends the chain; one run's failure is logged and the next
//! run, a minute later, starts afresh.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use relais_core::Timestamp;
use relais_jobs::{JobError, JobHandler};
use relais_listen::alert::last_complete_hour;
use relais_listen::lang::LanguageSet;
use relais_listen::sentiment::SentimentError;
use relais_outbound::HttpClient;
use relais_store::listening::ListenSource;
use relais_store::{Job, NewJob, Store, StoreResult};
use relais_vault::Vault;
use serde::Serialize;
use tokio::sync::Mutex;
use tokio::task::JoinSet;

use crate::alerts::{KeywordRules, keyword_alerts, spike_alerts};
use crate::deliver::Courier;
use crate::fetch::{Polled, poll_source};
use crate::ingest::{FOLDER_CAPACITY, Folders, WorkspaceFolder, mentions_of};
use crate::queries::CompiledQueries;

/// The job kind of the listening tick.
pub const LISTEN_TICK: &str = "listen.tick";
/// How far back the near-duplicate folder looks when it starts (a week).
const FOLDER_HORIZON_MS: i64 = 7 * 24 * 3_600_000;

/// What one tick did, for logs and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct TickReport {
    pub sources_polled: u32,
    pub sources_failed: u32,
    pub items_found: u32,
    pub mentions_stored: u32,
    pub alerts_raised: u32,
    pub alerts_sent: u32,
}

/// How often and how much the tick polls.
#[derive(Debug, Clone)]
pub struct TickSettings {
    pub every: Duration,
    /// Sources polled per tick at most (the others wait for the next).
    pub sources_per_tick: u32,
    /// Sources polled at once.
    pub concurrency: usize,
}

impl Default for TickSettings {
    fn default() -> Self {
        TickSettings {
            every: Duration::from_secs(60),
            sources_per_tick: 100,
            concurrency: 8,
        }
    }
}

struct TickState {
    queries: CompiledQueries,
    folders: Folders,
    keywords: KeywordRules,
    /// The last hour whose spikes were checked.
    spikes_checked: Option<i64>,
}

/// The job handler of [`LISTEN_TICK`]. Keeps the compiled queries and the near-duplicate
/// folders between runs (rebuilt when queries change; warmed from the store at start).
pub struct ListenTick {
    http: HttpClient,
    vault: Option<Vault>,
    courier: Courier,
    settings: TickSettings,
    state: Mutex<TickState>,
}

/// The job that runs the next tick at `at`.
pub fn tick_job(at: Timestamp) -> NewJob {
    NewJob {
        workspace_id: None,
        kind: LISTEN_TICK.into(),
        payload: serde_json::Value::Null,
        run_at: at,
        max_attempts: 1,
    }
}

impl ListenTick {
    /// Loads the language and sentiment models (a few milliseconds).
    pub fn new(
        http: HttpClient,
        vault: Option<Vault>,
        courier: Courier,
        settings: TickSettings,
    ) -> Result<Self, SentimentError> {
        Ok(ListenTick {
            http,
            vault,
            courier,
            settings,
            state: Mutex::new(TickState {
                queries: CompiledQueries::new(LanguageSet::french_english())?,
                folders: Folders::default(),
                keywords: KeywordRules::default(),
                spikes_checked: None,
            }),
        })
    }

    /// One tick at `now`.
    pub async fn tick(&self, store: &Arc<dyn Store>, now: Timestamp) -> StoreResult<TickReport> {
        let mut state = self.state.lock().await;
        let state = &mut *state;
        let mut report = TickReport::default();
        state.queries.refresh(&store.all_listen_queries().await?);
        let rules = store.all_alert_rules().await?;
        state.keywords.refresh(&rules);

        let due = store
            .due_sources(now, self.settings.sources_per_tick)
            .await?;
        for (source, polled) in self.poll_all(store, due, now).await? {
            report.sources_polled += 1;
            report.sources_failed += u32::from(polled.poll.failures > 0);
            report.items_found += polled.found.len() as u32;
            let folder = match state.folders.get_mut(source.workspace_id) {
                Some(folder) => folder,
                None => {
                    let since = Timestamp::from_millis(now.millis() - FOLDER_HORIZON_MS);
                    let known = store
                        .latest_fingerprints(source.workspace_id, since, FOLDER_CAPACITY as u32)
                        .await?;
                    state
                        .folders
                        .insert(source.workspace_id, WorkspaceFolder::warmed(&known));
                    state
                        .folders
                        .get_mut(source.workspace_id)
                        .expect("the folder was just inserted")
                }
            };
            let mentions = mentions_of(&source, &polled.found, &state.queries, folder, now);
            if !mentions.is_empty() {
                let ids = store.insert_mentions(mentions.clone()).await?;
                let stored: Vec<_> = mentions
                    .into_iter()
                    .zip(ids)
                    .filter_map(|(mention, id)| id.map(|_| mention))
                    .collect();
                report.mentions_stored += stored.len() as u32;
                report.alerts_raised +=
                    keyword_alerts(&**store, &state.keywords, &stored, now).await?;
            }
            store.record_poll(source.id, polled.poll).await?;
        }

        let hour = last_complete_hour(now.millis());
        if state.spikes_checked != Some(hour) {
            report.alerts_raised += spike_alerts(&**store, &rules, now).await?;
            state.spikes_checked = Some(hour);
        }
        report.alerts_sent = self.courier.deliver(&**store, &rules, now).await?;
        Ok(report)
    }

    /// Polls `sources`, several at once; each result comes with its source.
    async fn poll_all(
        &self,
        store: &Arc<dyn Store>,
        sources: Vec<ListenSource>,
        now: Timestamp,
    ) -> StoreResult<Vec<(ListenSource, Polled)>> {
        let semaphore = Arc::new(tokio::sync::Semaphore::new(
            self.settings.concurrency.max(1),
        ));
        let mut tasks = JoinSet::new();
        for source in sources {
            let (http, vault, store) = (self.http.clone(), self.vault.clone(), store.clone());
            let semaphore = semaphore.clone();
            tasks.spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                let polled = poll_source(&http, vault.as_ref(), &*store, &source, now).await;
                polled.map(|polled| (source, polled))
            });
        }
        let mut done = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(result) => done.push(result?),
                // A poll that panicked is a bug; the source is polled again at the next tick.
                Err(err) => tracing::error!(%err, "a listening poll stopped unexpectedly"),
            }
        }
        Ok(done)
    }
}

#[async_trait]
impl JobHandler for ListenTick {
    async fn run(&self, _job: &Job, store: &Arc<dyn Store>) -> Result<(), JobError> {
        let now = Timestamp::now();
        let next = Timestamp::from_millis(now.millis() + self.settings.every.as_millis() as i64);
        store
            .enqueue_job(tick_job(next))
            .await
            .map_err(|e| JobError::Retry {
                reason: format!("the next listening tick could not be planned: {e}"),
                at: None,
            })?;
        match self.tick(store, now).await {
            Ok(report) => {
                tracing::debug!(?report, "listening tick");
                Ok(())
            }
            Err(err) => Err(JobError::Permanent(format!(
                "listening tick failed (the next one runs as planned): {err}"
            ))),
        }
    }
}

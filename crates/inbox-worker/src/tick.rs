//! The inbox job: every half minute, each connected channel whose inbox is due is read (several
//! at once), unless a live stream already follows it; what is new is stored and moderated. The
//! job plans its next run before doing anything, so that a failure never ends the chain.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use relais_core::Timestamp;
use relais_jobs::{JobError, JobHandler};
use relais_networks::inbox::{INBOX_NETWORKS, least_read_interval};
use relais_outbound::HttpClient;
use relais_store::{Channel, ChannelStatus, Job, NewJob, Store, StoreResult};
use relais_vault::Vault;
use serde::Serialize;
use tokio::task::JoinSet;

use crate::moderate::Moderator;
use crate::read::{ReadOutcome, read_channel};
use crate::streams::LiveStreams;

/// The job kind of the inbox tick.
pub const INBOX_TICK: &str = "inbox.tick";

/// What one tick did, for logs and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct TickReport {
    pub channels_read: u32,
    pub channels_failed: u32,
    /// Channels left to their live stream.
    pub channels_streaming: u32,
    pub messages_read: u32,
    pub messages_stored: u32,
    pub held_for_review: u32,
}

#[derive(Debug, Clone)]
pub struct TickSettings {
    pub every: Duration,
    /// How often one channel is read when it is well.
    pub read_interval: Duration,
    /// Channels read at once.
    pub concurrency: usize,
}

impl Default for TickSettings {
    fn default() -> Self {
        TickSettings {
            every: Duration::from_secs(30),
            read_interval: Duration::from_secs(60),
            concurrency: 8,
        }
    }
}

/// The job that runs the next tick at `at`.
pub fn tick_job(at: Timestamp) -> NewJob {
    NewJob {
        workspace_id: None,
        kind: INBOX_TICK.into(),
        payload: serde_json::Value::Null,
        run_at: at,
        max_attempts: 1,
    }
}

type ReadResult = Result<StoreResult<Option<ReadOutcome>>, tokio::task::JoinError>;

/// The handler of [`INBOX_TICK`].
pub struct InboxTick {
    http: HttpClient,
    vault: Option<Vault>,
    settings: TickSettings,
    live: Arc<LiveStreams>,
    moderator: Arc<Moderator>,
}

impl InboxTick {
    pub fn new(
        http: HttpClient,
        vault: Option<Vault>,
        settings: TickSettings,
        live: Arc<LiveStreams>,
        moderator: Arc<Moderator>,
    ) -> Self {
        InboxTick {
            http,
            vault,
            settings,
            live,
            moderator,
        }
    }

    /// The channels whose inbox Relais reads.
    async fn inbox_channels(store: &Arc<dyn Store>) -> StoreResult<Vec<Channel>> {
        let mut channels = Vec::new();
        for workspace in store.all_workspaces().await? {
            channels.extend(store.channels(workspace.id).await?.into_iter().filter(|c| {
                c.status == ChannelStatus::Active && INBOX_NETWORKS.contains(&c.network.as_str())
            }));
        }
        Ok(channels)
    }

    /// One tick at `now`.
    pub async fn tick(&self, store: &Arc<dyn Store>, now: Timestamp) -> StoreResult<TickReport> {
        let mut report = TickReport::default();
        let mut tasks = JoinSet::new();
        for channel in Self::inbox_channels(store).await? {
            if self.live.is_live(channel.id, now) {
                report.channels_streaming += 1;
                continue;
            }
            while tasks.len() >= self.settings.concurrency.max(1) {
                if let Some(done) = tasks.join_next().await {
                    self.count(store, done, &mut report, now).await?;
                }
            }
            let (store, http, vault) = (store.clone(), self.http.clone(), self.vault.clone());
            let interval = self
                .settings
                .read_interval
                .max(least_read_interval(&channel.network));
            tasks.spawn(async move {
                read_channel(&store, &http, vault.as_ref(), &channel, interval, now).await
            });
        }
        while let Some(done) = tasks.join_next().await {
            self.count(store, done, &mut report, now).await?;
        }
        Ok(report)
    }

    async fn count(
        &self,
        store: &Arc<dyn Store>,
        done: ReadResult,
        report: &mut TickReport,
        now: Timestamp,
    ) -> StoreResult<()> {
        let outcome = match done {
            Ok(result) => result?,
            Err(e) => {
                tracing::error!(error = %e, "an inbox read panicked");
                report.channels_failed += 1;
                return Ok(());
            }
        };
        let Some(outcome) = outcome else {
            return Ok(());
        };
        report.channels_read += 1;
        if outcome.error.is_some() {
            report.channels_failed += 1;
        }
        report.messages_read += outcome.read as u32;
        report.messages_stored += outcome.arrived.len() as u32;
        report.held_for_review += self
            .moderator
            .moderate(store, &outcome.arrived, now)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl JobHandler for InboxTick {
    async fn run(&self, _job: &Job, store: &Arc<dyn Store>) -> Result<(), JobError> {
        let now = Timestamp::now();
        let next = now.plus_seconds(self.settings.every.as_secs().max(1) as i64);
        if let Err(e) = store.enqueue_job(tick_job(next)).await {
            tracing::error!(error = %e, "cannot plan the next inbox tick");
        }
        match self.tick(store, now).await {
            Ok(report) => {
                if report.messages_stored > 0 || report.channels_failed > 0 {
                    tracing::info!(?report, "inbox tick");
                }
                Ok(())
            }
            Err(e) => Err(JobError::Permanent(format!("inbox tick: {e}"))),
        }
    }
}

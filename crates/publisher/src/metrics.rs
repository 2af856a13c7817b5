//! Reading a published post's counts (likes, reposts, replies…) on a schedule, into a time
//! series: every hour on the first day, every six hours for a week, daily for a month, then no
//! more (a post's counts barely move after that, and every reading costs an API call).

use std::sync::Arc;

use async_trait::async_trait;
use relais_core::{TargetId, Timestamp, WorkspaceId};
use relais_jobs::{JobError, JobHandler};
use relais_networks::{Credentials, NetworkError, PublishedPost, connector_for};
use relais_outbound::HttpClient;
use relais_store::{ChannelStatus, Job, MetricsSample, NewJob, Store, TargetStatus};
use relais_vault::Vault;

use crate::METRICS_JOB;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// When to read again, given when the post went out; `None` once it is old enough to stop.
pub fn next_reading(published_at_ms: i64, now_ms: i64) -> Option<i64> {
    let age = now_ms.saturating_sub(published_at_ms);
    let step = if age < DAY {
        HOUR
    } else if age < 7 * DAY {
        6 * HOUR
    } else if age < 30 * DAY {
        DAY
    } else {
        return None;
    };
    Some(now_ms + step)
}

fn reading_job(ws: WorkspaceId, target: TargetId, at: i64) -> NewJob {
    NewJob {
        workspace_id: Some(ws),
        kind: METRICS_JOB.into(),
        payload: serde_json::json!({ "workspace_id": ws, "target_id": target }),
        run_at: Timestamp::from_millis(at),
        max_attempts: 4,
    }
}

/// The first reading, a quarter of an hour after publication.
pub(crate) fn first_reading(ws: WorkspaceId, target: TargetId) -> NewJob {
    reading_job(ws, target, Timestamp::now().millis() + 15 * MINUTE)
}

pub struct PollMetrics {
    http: HttpClient,
    vault: Vault,
}

impl PollMetrics {
    pub fn new(http: HttpClient, vault: Vault) -> Self {
        Self { http, vault }
    }
}

#[async_trait]
impl JobHandler for PollMetrics {
    async fn run(&self, job: &Job, store: &Arc<dyn Store>) -> Result<(), JobError> {
        let retry = |e: relais_store::StoreError| JobError::Retry {
            reason: e.to_string(),
            at: None,
        };
        let field = |k: &str| {
            job.payload
                .get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let (Ok(ws), Ok(id)) = (
            field("workspace_id").parse::<WorkspaceId>(),
            field("target_id").parse::<TargetId>(),
        ) else {
            return Err(JobError::Permanent(
                "the job does not name a publication".into(),
            ));
        };
        let Some(target) = store.target(ws, id).await.map_err(retry)? else {
            return Ok(()); // deleted since: nothing to read.
        };
        let (Some(first), Some(published_at), TargetStatus::Published) =
            (target.published.first(), target.published_at, target.status)
        else {
            return Ok(());
        };
        let Some(channel) = store.channel(ws, target.channel_id).await.map_err(retry)? else {
            return Ok(());
        };
        if channel.status != ChannelStatus::Active {
            return Ok(());
        }
        let Some(connector) = connector_for(&channel.network, self.http.clone()) else {
            return Ok(());
        };
        let secrets = self
            .vault
            .open_all(&format!("channel:{}", channel.id), &channel.secrets)
            .map_err(|e| JobError::Permanent(e.to_string()))?;
        let mut creds = Credentials {
            settings: channel.settings.clone(),
            secrets,
            changed: false,
        };
        let post = PublishedPost {
            id: first.id.clone(),
            version: first.version.clone(),
            url: first.url.clone(),
        };
        let reading = connector.metrics(&mut creds, &post).await;
        if creds.changed
            && let Ok(sealed) = self
                .vault
                .seal_all(&format!("channel:{}", channel.id), &creds.secrets)
        {
            store
                .update_channel_secrets(ws, channel.id, &sealed)
                .await
                .map_err(retry)?;
        }
        let now = Timestamp::now();
        match reading {
            Ok(m) => {
                let sample = MetricsSample {
                    at: now,
                    likes: m.likes,
                    reposts: m.reposts,
                    replies: m.replies,
                    quotes: m.quotes,
                    views: m.views,
                };
                store.record_metrics(ws, id, sample).await.map_err(retry)?;
                if let Some(at) = next_reading(published_at.millis(), now.millis()) {
                    store
                        .enqueue_job(reading_job(ws, id, at))
                        .await
                        .map_err(retry)?;
                }
                Ok(())
            }
            // This network (or this server) does not count: stop asking.
            Err(NetworkError::Unsupported(_)) => Ok(()),
            Err(e) if e.is_retryable() => Err(JobError::Retry {
                reason: e.to_string(),
                at: None,
            }),
            Err(e) => Err(JobError::Permanent(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_thin_out_then_stop() {
        let t0 = 1_000_000_000_000;
        assert_eq!(
            next_reading(t0, t0 + 2 * HOUR),
            Some(t0 + 3 * HOUR),
            "hourly on the first day"
        );
        assert_eq!(
            next_reading(t0, t0 + 2 * DAY),
            Some(t0 + 2 * DAY + 6 * HOUR),
            "every 6 hours in the first week"
        );
        assert_eq!(
            next_reading(t0, t0 + 10 * DAY),
            Some(t0 + 11 * DAY),
            "daily in the first month"
        );
        assert_eq!(next_reading(t0, t0 + 31 * DAY), None, "then no more");
    }
}

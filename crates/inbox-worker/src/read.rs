//! Reading one channel's inbox by polling: from its cursor, storing what is new, and keeping the
//! channel's inbox health (last success, last error, failures in a row, next read) so that a
//! failing network is retried with back-off and shown to people, and never stops the others.

use std::sync::Arc;
use std::time::Duration;

use relais_core::Timestamp;
use relais_networks::NetworkError;
use relais_networks::inbox;
use relais_outbound::HttpClient;
use relais_store::inbox::InboxChannelState;
use relais_store::{Channel, ChannelStatus, Store, StoreResult};
use relais_vault::Vault;

use crate::credentials;
use crate::ingest::{Arrived, store_messages};

/// The longest wait after failures: a channel is tried at least once every six hours.
const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);

/// What reading a channel did.
#[derive(Debug, Default)]
pub struct ReadOutcome {
    /// Messages the network returned (new or not).
    pub read: usize,
    /// The ones new to the store.
    pub arrived: Vec<Arrived>,
    /// Why the read failed, when it did.
    pub error: Option<String>,
}

/// The wait before the next read after `failures` failures in a row: the interval doubled per
/// failure, capped, with up to a quarter more so that channels failing together spread out.
pub fn backoff(interval: Duration, failures: u32, jitter: f64) -> Duration {
    let factor = 1u32 << failures.min(16);
    let base = interval.saturating_mul(factor).min(MAX_BACKOFF);
    base.mul_f64(1.0 + 0.25 * jitter.clamp(0.0, 1.0))
}

/// A number in [0, 1) that differs per channel and per failure count, for jitter.
fn jitter_of(channel: &Channel, failures: u32) -> f64 {
    let text = format!("{}:{failures}", channel.id);
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (hash % 1_000) as f64 / 1_000.0
}

/// Reads `channel`'s inbox once if it is due at `now`, stores what is new and records the
/// outcome on the channel's inbox state. Store errors are returned; network errors are
/// recorded.
pub async fn read_channel(
    store: &Arc<dyn Store>,
    http: &HttpClient,
    vault: Option<&Vault>,
    channel: &Channel,
    interval: Duration,
    now: Timestamp,
) -> StoreResult<Option<ReadOutcome>> {
    let mut state = store
        .inbox_channel_state(channel.id)
        .await?
        .unwrap_or_default();
    if state.next_poll_at.is_some_and(|at| at > now) {
        return Ok(None);
    }
    let mut creds = match credentials::open(vault, channel) {
        Ok(creds) => creds,
        Err(reason) => {
            failed(store, channel, &mut state, &reason, None, interval, now).await?;
            return Ok(Some(ReadOutcome {
                error: Some(reason),
                ..ReadOutcome::default()
            }));
        }
    };
    let result = inbox::read(
        &channel.network,
        http,
        &mut creds,
        state.poll_cursor.as_deref(),
    )
    .await;
    credentials::save_if_changed(store, vault, channel, &creds).await?;
    match result {
        Ok(page) => {
            let read = page.messages.len();
            let arrived = store_messages(
                store,
                channel.workspace_id,
                Some(channel.id),
                &channel.network,
                page.messages,
                now,
            )
            .await?;
            if page.cursor.is_some() {
                state.poll_cursor = page.cursor;
            }
            state.failures = 0;
            state.last_success_at = Some(now);
            state.next_poll_at = Some(now.plus_seconds(interval.as_secs() as i64));
            store
                .save_inbox_channel_state(channel.workspace_id, channel.id, &state)
                .await?;
            Ok(Some(ReadOutcome {
                read,
                arrived,
                error: None,
            }))
        }
        Err(error) => {
            let reason = error.to_string();
            if let NetworkError::Unauthorized(_) = error {
                // The same credentials publish: the channel needs a person either way.
                store
                    .set_channel_status(
                        channel.workspace_id,
                        channel.id,
                        ChannelStatus::NeedsReconnect,
                        Some(&reason),
                    )
                    .await?;
            }
            let wait = match error {
                NetworkError::RateLimited { retry_after } => retry_after,
                _ => None,
            };
            failed(store, channel, &mut state, &reason, wait, interval, now).await?;
            Ok(Some(ReadOutcome {
                error: Some(reason),
                ..ReadOutcome::default()
            }))
        }
    }
}

async fn failed(
    store: &Arc<dyn Store>,
    channel: &Channel,
    state: &mut InboxChannelState,
    reason: &str,
    wait: Option<Duration>,
    interval: Duration,
    now: Timestamp,
) -> StoreResult<()> {
    state.failures = state.failures.saturating_add(1);
    state.last_error = Some(reason.to_owned());
    state.last_error_at = Some(now);
    let backoff = backoff(interval, state.failures, jitter_of(channel, state.failures));
    let wait = wait.map_or(backoff, |w| w.max(interval));
    state.next_poll_at = Some(now.plus_seconds(wait.as_secs().max(1) as i64));
    tracing::info!(channel = %channel.id, network = %channel.network, failures = state.failures, error = %reason, "inbox read failed");
    store
        .save_inbox_channel_state(channel.workspace_id, channel.id, state)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_spreads() {
        let minute = Duration::from_secs(60);
        assert_eq!(backoff(minute, 0, 0.0), minute);
        assert_eq!(backoff(minute, 3, 0.0), minute * 8);
        assert_eq!(backoff(minute, 30, 0.0), MAX_BACKOFF);
        assert_eq!(backoff(minute, 1, 1.0), Duration::from_secs(150));
    }
}

//! Following channels live: one task per channel whose network offers a stream (Bluesky's
//! repository event stream, Mastodon's streaming API), storing and moderating each message as
//! it comes and keeping the stream's cursor, so that a reconnection resumes where it stopped and
//! nothing is missed. While a channel's stream is alive the tick does not poll it; when the
//! stream fails, the tick's polling takes over until it comes back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use relais_core::{ChannelId, Timestamp};
use relais_networks::NetworkError;
use relais_networks::inbox::{self, Streamed};
use relais_outbound::HttpClient;
use relais_store::inbox::InboxChannelState;
use relais_store::{Channel, ChannelStatus, Store, StoreResult};
use relais_vault::Vault;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::credentials;
use crate::ingest::store_messages;
use crate::moderate::Moderator;

/// The networks whose inbox can be followed live.
pub const STREAM_NETWORKS: [&str; 2] = ["bluesky", "mastodon"];
/// How long a stream counts as alive after its last sign of life.
const ALIVE_FOR_MS: i64 = 90_000;
/// How often a connected stream says it is alive, even when no message comes.
const HEARTBEAT: Duration = Duration::from_secs(30);
/// How often the supervisor looks for channels added or removed.
const SUPERVISE_EVERY: Duration = Duration::from_secs(60);

/// Which channels a live stream follows now (shared by the followers and the tick).
#[derive(Debug, Default)]
pub struct LiveStreams {
    seen: Mutex<HashMap<ChannelId, i64>>,
}

impl LiveStreams {
    pub fn mark(&self, channel: ChannelId, now: Timestamp) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.insert(channel, now.millis());
        }
    }

    pub fn forget(&self, channel: ChannelId) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.remove(&channel);
        }
    }

    pub fn is_live(&self, channel: ChannelId, now: Timestamp) -> bool {
        self.seen
            .lock()
            .ok()
            .and_then(|seen| seen.get(&channel).copied())
            .is_some_and(|at| now.millis() - at < ALIVE_FOR_MS)
    }
}

/// What the followers need.
#[derive(Clone)]
pub struct StreamDeps {
    pub store: Arc<dyn Store>,
    pub http: HttpClient,
    pub vault: Option<Vault>,
    pub live: Arc<LiveStreams>,
    pub moderator: Arc<Moderator>,
}

/// How a follower ended.
#[derive(Debug, PartialEq, Eq)]
pub enum FollowEnd {
    /// Asked to stop.
    Stopped,
    /// The network offers no stream for this channel: polling it is.
    Unsupported(String),
}

/// Follows one channel until `stop` says so or its network turns out to have no stream.
pub async fn follow(
    deps: StreamDeps,
    channel: Channel,
    mut stop: watch::Receiver<bool>,
) -> StoreResult<FollowEnd> {
    let mut failures: u32 = 0;
    loop {
        if *stop.borrow() {
            return Ok(FollowEnd::Stopped);
        }
        let result = follow_once(&deps, &channel, &mut stop).await?;
        let pause = match result {
            Once::Stopped => return Ok(FollowEnd::Stopped),
            Once::Closed => {
                failures = 0;
                Duration::from_secs(1)
            }
            Once::Failed(NetworkError::Unsupported(why)) => {
                deps.live.forget(channel.id);
                return Ok(FollowEnd::Unsupported(why));
            }
            Once::Failed(error) => {
                deps.live.forget(channel.id);
                failures = failures.saturating_add(1);
                tracing::info!(channel = %channel.id, failures, %error, "inbox stream failed");
                match error {
                    NetworkError::RateLimited {
                        retry_after: Some(wait),
                    } => wait,
                    _ => crate::read::backoff(Duration::from_secs(5), failures, 0.5)
                        .min(Duration::from_secs(600)),
                }
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.changed() => return Ok(FollowEnd::Stopped),
        }
    }
}

enum Once {
    Stopped,
    Closed,
    Failed(NetworkError),
}

async fn follow_once(
    deps: &StreamDeps,
    channel: &Channel,
    stop: &mut watch::Receiver<bool>,
) -> StoreResult<Once> {
    let store = &deps.store;
    let mut state = store
        .inbox_channel_state(channel.id)
        .await?
        .unwrap_or_default();
    let mut creds = match credentials::open(deps.vault.as_ref(), channel) {
        Ok(creds) => creds,
        Err(reason) => return Ok(Once::Failed(NetworkError::Misconfigured(reason))),
    };
    let (sender, mut receiver) = mpsc::unbounded_channel::<Streamed>();
    let cursor = state.stream_cursor.clone();
    let ended = {
        let mut deliver = move |item: Streamed| {
            let _ = sender.send(item);
        };
        let stream = inbox::stream(
            &channel.network,
            &deps.http,
            &mut creds,
            cursor.as_deref(),
            &mut deliver,
        );
        tokio::pin!(stream);
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        loop {
            tokio::select! {
                result = &mut stream => break Some(result),
                Some(item) = receiver.recv() => {
                    deps.live.mark(channel.id, Timestamp::now());
                    take(deps, channel, &mut state, item).await?;
                }
                _ = heartbeat.tick() => deps.live.mark(channel.id, Timestamp::now()),
                _ = stop.changed() => break None,
            }
        }
    };
    // What was delivered before the stream ended is stored too.
    while let Ok(item) = receiver.try_recv() {
        take(deps, channel, &mut state, item).await?;
    }
    credentials::save_if_changed(store, deps.vault.as_ref(), channel, &creds).await?;
    Ok(match ended {
        None => Once::Stopped,
        Some(Ok(closed)) => {
            if closed.cursor.is_some() && closed.cursor != state.stream_cursor {
                state.stream_cursor = closed.cursor;
                store
                    .save_inbox_channel_state(channel.workspace_id, channel.id, &state)
                    .await?;
            }
            Once::Closed
        }
        Some(Err(error)) => Once::Failed(error),
    })
}

/// Stores one streamed message, moderates it, and moves the stream's cursor past it.
async fn take(
    deps: &StreamDeps,
    channel: &Channel,
    state: &mut InboxChannelState,
    item: Streamed,
) -> StoreResult<()> {
    let now = Timestamp::now();
    let arrived = store_messages(
        &deps.store,
        channel.workspace_id,
        Some(channel.id),
        &channel.network,
        vec![item.message],
        now,
    )
    .await?;
    deps.moderator.moderate(&deps.store, &arrived, now).await?;
    if item.cursor.is_some() {
        state.stream_cursor = item.cursor;
        state.last_success_at = Some(now);
        deps.store
            .save_inbox_channel_state(channel.workspace_id, channel.id, state)
            .await?;
    }
    Ok(())
}

/// Keeps one follower per active channel of a streaming network, starting followers for new
/// channels and stopping those of channels removed or disconnected, until `stop`.
pub async fn supervise(deps: StreamDeps, mut stop: watch::Receiver<bool>) {
    let mut running: HashMap<ChannelId, (JoinHandle<()>, watch::Sender<bool>)> = HashMap::new();
    loop {
        match wanted_channels(&deps.store).await {
            Ok(channels) => {
                let wanted: HashMap<ChannelId, Channel> =
                    channels.into_iter().map(|c| (c.id, c)).collect();
                running.retain(|id, (task, stopper)| {
                    let keep = wanted.contains_key(id) && !task.is_finished();
                    if !keep {
                        // A follower parked on a network without a stream ignores the signal.
                        let _ = stopper.send(true);
                        task.abort();
                    }
                    keep
                });
                for (id, channel) in wanted {
                    if running.contains_key(&id) {
                        continue;
                    }
                    let (stopper, receiver) = watch::channel(false);
                    let deps = deps.clone();
                    let task = tokio::spawn(async move {
                        match follow(deps, channel, receiver).await {
                            Ok(FollowEnd::Unsupported(why)) => {
                                tracing::info!(channel = %id, %why, "no inbox stream; polling");
                                // Parked: the supervisor must not restart it every minute.
                                std::future::pending::<()>().await;
                            }
                            Ok(FollowEnd::Stopped) => {}
                            Err(e) => {
                                tracing::error!(channel = %id, error = %e, "inbox stream stopped")
                            }
                        }
                    });
                    running.insert(id, (task, stopper));
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot list the channels to follow"),
        }
        tokio::select! {
            _ = tokio::time::sleep(SUPERVISE_EVERY) => {}
            _ = stop.changed() => {
                for (_, (task, stopper)) in running {
                    let _ = stopper.send(true);
                    task.abort();
                }
                return;
            }
        }
    }
}

async fn wanted_channels(store: &Arc<dyn Store>) -> StoreResult<Vec<Channel>> {
    let mut out = Vec::new();
    for workspace in store.all_workspaces().await? {
        out.extend(store.channels(workspace.id).await?.into_iter().filter(|c| {
            c.status == ChannelStatus::Active && STREAM_NETWORKS.contains(&c.network.as_str())
        }));
    }
    Ok(out)
}

//! Storing what a channel's inbox delivered, by polling or by a stream: oldest first, threaded,
//! each message once.

use std::sync::Arc;

use relais_core::{ChannelId, Timestamp, WorkspaceId};
use relais_networks::inbox::IncomingMessage;
use relais_store::inbox::{Ingested, NewInboxMessage};
use relais_store::{Store, StoreResult};

use crate::incoming::{oldest_first, to_new_message};

/// A message that was new to the store, as stored.
#[derive(Debug, Clone)]
pub struct Arrived {
    pub workspace_id: WorkspaceId,
    pub message: NewInboxMessage,
    pub ingested: Ingested,
}

/// Stores `messages` read on `network` for `channel`; returns the ones that were new.
pub async fn store_messages(
    store: &Arc<dyn Store>,
    workspace: WorkspaceId,
    channel: Option<ChannelId>,
    network: &str,
    messages: Vec<IncomingMessage>,
    now: Timestamp,
) -> StoreResult<Vec<Arrived>> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let new: Vec<NewInboxMessage> = oldest_first(messages)
        .iter()
        .map(|m| to_new_message(network, m))
        .collect();
    let ingested = store.ingest_messages(workspace, channel, &new, now).await?;
    Ok(new
        .into_iter()
        .zip(ingested)
        .filter(|(_, i)| !i.duplicate)
        .map(|(message, ingested)| Arrived {
            workspace_id: workspace,
            message,
            ingested,
        })
        .collect())
}

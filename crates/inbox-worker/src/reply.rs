//! Sending a member's reply on the network, threaded under the message it answers, exactly once.
//!
//! A reply is a job (`inbox.reply`) so that it survives a restart and is retried when the network
//! fails for a while. It goes out through the channel's connector with the reply's id as the
//! idempotency key: when an attempt is retried (the worker crashed mid-call, or the network
//! answered too late), the connector first looks the key up on the network, and a reply already
//! there is recorded instead of being sent again. What the network refuses for good (too long,
//! the original deleted) marks the reply failed with the reason, shown on the conversation.

use std::sync::Arc;

use async_trait::async_trait;
use relais_core::{InboxMessageId, Timestamp, WorkspaceId};
use relais_inbox::reply;
use relais_jobs::{JobError, JobHandler};
use relais_networks::{NetworkError, OutgoingPost, PublishedPost, ReplyTarget, connector_for};
use relais_outbound::HttpClient;
use relais_store::inbox::{DeliveryState, InboxMessage};
use relais_store::{Channel, ChannelStatus, Job, NewJob, Store, StoreError};
use relais_vault::Vault;

use crate::credentials;

/// The job kind that sends one reply.
pub const INBOX_REPLY: &str = "inbox.reply";
/// Attempts before a reply that keeps failing for passing reasons is marked failed.
const MAX_ATTEMPTS: u32 = 8;

/// The job that sends reply `message` of `workspace`.
pub fn reply_job(workspace: WorkspaceId, message: InboxMessageId, now: Timestamp) -> NewJob {
    NewJob {
        workspace_id: Some(workspace),
        kind: INBOX_REPLY.into(),
        payload: serde_json::json!({
            "workspace_id": workspace.to_string(),
            "message_id": message.to_string(),
        }),
        run_at: now,
        max_attempts: MAX_ATTEMPTS,
    }
}

/// The handler of [`INBOX_REPLY`].
pub struct SendReply {
    http: HttpClient,
    vault: Option<Vault>,
}

impl SendReply {
    pub fn new(http: HttpClient, vault: Option<Vault>) -> Self {
        SendReply { http, vault }
    }
}

fn store_error(e: StoreError) -> JobError {
    JobError::Retry {
        reason: format!("storage: {e}"),
        at: None,
    }
}

/// The message a reply answers: the newest message of the conversation written before the
/// reply that the network knows (received, or one of the team's replies already sent).
fn answered(messages: &[InboxMessage], reply: &InboxMessage) -> Option<ReplyTarget> {
    let parent = messages
        .iter()
        .filter(|m| m.network_id.is_some() && m.sent_at <= reply.sent_at && m.id != reply.id)
        .filter(|m| !m.outgoing || m.delivery == DeliveryState::Sent)
        .max_by_key(|m| (m.sent_at, m.received_at))?;
    let published = |id: &str, version: Option<&str>, url: Option<&str>| PublishedPost {
        id: id.to_owned(),
        version: version.map(str::to_owned),
        url: url.unwrap_or_default().to_owned(),
    };
    let parent_post = published(
        parent.network_id.as_deref()?,
        parent.version.as_deref(),
        parent.url.as_deref(),
    );
    // The thread's first post: the one the parent names, else the parent itself.
    let root = match &parent.root_id {
        Some(id) => published(id, parent.root_version.as_deref(), None),
        None => parent_post.clone(),
    };
    Some(ReplyTarget {
        parent: parent_post,
        root,
    })
}

impl SendReply {
    async fn send(
        &self,
        store: &Arc<dyn Store>,
        job: &Job,
        ws: WorkspaceId,
        id: InboxMessageId,
    ) -> Result<(), JobError> {
        let Some(message) = store.inbox_message(ws, id).await.map_err(store_error)? else {
            return Err(JobError::Permanent("the reply was deleted".into()));
        };
        match message.delivery {
            DeliveryState::Queued => {}
            DeliveryState::Sent => return Ok(()),
            other => {
                return Err(JobError::Permanent(format!(
                    "the reply is {}, not queued",
                    other.as_str()
                )));
            }
        }
        let fail = |reason: String| async move {
            store
                .reply_failed(ws, id, &reason)
                .await
                .map_err(store_error)?;
            Ok::<(), JobError>(())
        };
        let Some(conversation) = store
            .conversation(ws, message.conversation_id)
            .await
            .map_err(store_error)?
        else {
            return Err(JobError::Permanent("the conversation was deleted".into()));
        };
        let channel = match conversation.channel_id {
            Some(channel_id) => store.channel(ws, channel_id).await.map_err(store_error)?,
            None => None,
        };
        let Some(channel) = channel else {
            return fail(reply::ReplyProblem::NoChannel.to_string()).await;
        };
        if let Err(problem) = reply::check(Some(&channel.network), &message.text) {
            return fail(problem.to_string()).await;
        }
        let Some(connector) = connector_for(&channel.network, self.http.clone()) else {
            return fail(format!("Relais cannot answer on {}", channel.network)).await;
        };
        let messages = store
            .conversation_messages(ws, conversation.id)
            .await
            .map_err(store_error)?;
        let Some(target) = answered(&messages, &message) else {
            return fail("the conversation has no message on the network to answer".into()).await;
        };
        let mut creds = match credentials::open(self.vault.as_ref(), &channel) {
            Ok(creds) => creds,
            Err(reason) => return fail(reason).await,
        };
        let post = OutgoingPost {
            text: message.text.clone(),
            media: Vec::new(),
            reply_to: Some(target),
            langs: message.lang.iter().cloned().collect(),
            idempotency_key: format!("inbox-{}", message.id),
            created_at_ms: message.sent_at.millis(),
        };
        // A retried attempt may follow one that reached the network: look before sending.
        let mut outcome = Ok(None);
        if job.attempts > 1 {
            outcome = connector.find_published(&mut creds, &post).await;
        }
        let outcome = match outcome {
            Ok(Some(found)) => Ok(found),
            Ok(None) => connector.publish(&mut creds, &post).await,
            Err(e) => Err(e),
        };
        credentials::save_if_changed(store, self.vault.as_ref(), &channel, &creds)
            .await
            .map_err(store_error)?;
        match outcome {
            Ok(published) => {
                let url = Some(published.url.as_str()).filter(|u| !u.is_empty());
                store
                    .reply_sent(
                        ws,
                        id,
                        &published.id,
                        published.version.as_deref(),
                        url,
                        Timestamp::now(),
                    )
                    .await
                    .map_err(store_error)?;
                Ok(())
            }
            Err(error) => self.failed(store, job, ws, &message, &channel, error).await,
        }
    }

    async fn failed(
        &self,
        store: &Arc<dyn Store>,
        job: &Job,
        ws: WorkspaceId,
        message: &InboxMessage,
        channel: &Channel,
        error: NetworkError,
    ) -> Result<(), JobError> {
        let reason = error.to_string();
        let last_attempt = job.attempts >= job.max_attempts;
        if let NetworkError::Unauthorized(_) = error {
            store
                .set_channel_status(ws, channel.id, ChannelStatus::NeedsReconnect, Some(&reason))
                .await
                .map_err(store_error)?;
        }
        let passing = error.is_retryable() || matches!(error, NetworkError::Unauthorized(_));
        if passing && !last_attempt {
            let problem = format!("the reply is waiting to be sent again: {reason}");
            store
                .set_conversation_problem(ws, message.conversation_id, Some(&problem))
                .await
                .map_err(store_error)?;
            let at = match error {
                NetworkError::RateLimited {
                    retry_after: Some(wait),
                } => Some(Timestamp::now().plus_seconds(wait.as_secs() as i64)),
                _ => None,
            };
            return Err(JobError::Retry { reason, at });
        }
        store
            .reply_failed(ws, message.id, &reason)
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

#[async_trait]
impl JobHandler for SendReply {
    async fn run(&self, job: &Job, store: &Arc<dyn Store>) -> Result<(), JobError> {
        let field = |k: &str| {
            job.payload
                .get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let (Ok(ws), Ok(id)) = (
            field("workspace_id").parse::<WorkspaceId>(),
            field("message_id").parse::<InboxMessageId>(),
        ) else {
            return Err(JobError::Permanent("the job does not name a reply".into()));
        };
        self.send(store, job, ws, id).await
    }
}

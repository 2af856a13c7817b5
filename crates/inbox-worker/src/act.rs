//! Acting on a message or its author on the network (like, repost, hide, delete, mute, block,
//! report), for a member or for a moderation rule. Each action is a job (`inbox.act`) so that
//! it is retried when the network fails for a while, and each is written to the audit log with
//! who asked and why, whether the network did it or refused.

use std::sync::Arc;

use async_trait::async_trait;
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{InboxMessageId, Timestamp, UserId, WorkspaceId};
use relais_jobs::{JobError, JobHandler};
use relais_networks::NetworkError;
use relais_networks::inbox::{self, Author, Interaction, PostRef};
use relais_outbound::HttpClient;
use relais_store::inbox::{InboxMessage, NetworkState};
use relais_store::{Job, NewJob, Store, StoreError};
use relais_vault::Vault;
use serde::{Deserialize, Serialize};

use crate::credentials;

/// The job kind of one action on the network.
pub const INBOX_ACT: &str = "inbox.act";
const MAX_ATTEMPTS: u32 = 6;

/// What to do, by name (the job's payload and the pages' forms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionName {
    Like,
    Repost,
    Hide,
    Delete,
    Mute,
    Block,
    Report,
}

impl ActionName {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionName::Like => "like",
            ActionName::Repost => "repost",
            ActionName::Hide => "hide",
            ActionName::Delete => "delete",
            ActionName::Mute => "mute",
            ActionName::Block => "block",
            ActionName::Report => "report",
        }
    }

    pub fn parse(text: &str) -> Option<ActionName> {
        Some(match text {
            "like" => ActionName::Like,
            "repost" => ActionName::Repost,
            "hide" => ActionName::Hide,
            "delete" => ActionName::Delete,
            "mute" => ActionName::Mute,
            "block" => ActionName::Block,
            "report" => ActionName::Report,
            _ => return None,
        })
    }

    /// Moderation actions (all but like and repost) need the `Moderate` permission.
    pub fn is_moderation(self) -> bool {
        !matches!(self, ActionName::Like | ActionName::Repost)
    }
}

/// The payload of an [`INBOX_ACT`] job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActRequest {
    pub workspace_id: WorkspaceId,
    pub message_id: InboxMessageId,
    pub action: ActionName,
    /// Why (a member's words, or the rule that matched): for the audit log and reports.
    pub reason: String,
    /// Who asked: a member, or `None` for a moderation rule.
    pub user_id: Option<UserId>,
    /// What the audit log shows as the actor (an e-mail, `rule:Insults`).
    pub actor_label: String,
}

/// The job that carries out `request` now.
pub fn act_job(request: &ActRequest, now: Timestamp) -> NewJob {
    NewJob {
        workspace_id: Some(request.workspace_id),
        kind: INBOX_ACT.into(),
        payload: serde_json::to_value(request).unwrap_or_default(),
        run_at: now,
        max_attempts: MAX_ATTEMPTS,
    }
}

/// The network's shape of the action on `message`.
fn interaction(action: ActionName, message: &InboxMessage, reason: &str) -> Option<Interaction> {
    let post = PostRef {
        id: message.network_id.clone()?,
        version: message.version.clone(),
        url: message.url.clone(),
    };
    let author = Author {
        id: message.author_id.clone().unwrap_or_default(),
        handle: message.author_handle.clone(),
        ..Author::default()
    };
    Some(match action {
        ActionName::Like => Interaction::Like { message: post },
        ActionName::Repost => Interaction::Repost { message: post },
        ActionName::Hide => Interaction::Hide { message: post },
        ActionName::Delete => Interaction::Delete { message: post },
        ActionName::Mute => Interaction::Mute { author },
        ActionName::Block => Interaction::Block {
            author,
            message: Some(post),
        },
        ActionName::Report => Interaction::Report {
            message: post,
            author,
            reason: reason.to_owned(),
        },
    })
}

/// The handler of [`INBOX_ACT`].
pub struct NetworkAction {
    http: HttpClient,
    vault: Option<Vault>,
}

impl NetworkAction {
    pub fn new(http: HttpClient, vault: Option<Vault>) -> Self {
        NetworkAction { http, vault }
    }
}

fn store_error(e: StoreError) -> JobError {
    JobError::Retry {
        reason: format!("storage: {e}"),
        at: None,
    }
}

fn audit(request: &ActRequest, message: &InboxMessage, outcome: &str) -> AuditEvent {
    AuditEvent {
        workspace_id: Some(request.workspace_id),
        actor: Actor {
            user_id: request.user_id,
            label: request.actor_label.clone(),
            origin: "inbox".into(),
        },
        action: format!("inbox.{}", request.action.as_str()),
        target: format!(
            "@{} ({})",
            message.author_handle.trim_start_matches('@'),
            message.id
        ),
        details: serde_json::json!({
            "reason": request.reason,
            "outcome": outcome,
            "network_id": message.network_id,
            "conversation_id": message.conversation_id.to_string(),
        }),
    }
}

impl NetworkAction {
    async fn carry_out(
        &self,
        store: &Arc<dyn Store>,
        job: &Job,
        request: &ActRequest,
    ) -> Result<(), JobError> {
        let ws = request.workspace_id;
        let Some(message) = store
            .inbox_message(ws, request.message_id)
            .await
            .map_err(store_error)?
        else {
            return Err(JobError::Permanent("the message was deleted".into()));
        };
        let message = &message;
        let channel = match message.channel_id {
            Some(id) => store.channel(ws, id).await.map_err(store_error)?,
            None => None,
        };
        // What the network could not do is audited too, then given up.
        let refused = |outcome: String| async move {
            store
                .record_audit(audit(request, message, &outcome))
                .await
                .map_err(store_error)?;
            Err::<(), JobError>(JobError::Permanent(outcome))
        };
        let Some(channel) = channel else {
            return refused("not done: the message has no channel".into()).await;
        };
        let Some(interaction) = interaction(request.action, message, &request.reason) else {
            return refused("not done: the message is not on the network".into()).await;
        };
        let mut creds = match credentials::open(self.vault.as_ref(), &channel) {
            Ok(creds) => creds,
            Err(reason) => return refused(format!("not done: {reason}")).await,
        };
        let result = inbox::act(&channel.network, &self.http, &mut creds, &interaction).await;
        credentials::save_if_changed(store, self.vault.as_ref(), &channel, &creds)
            .await
            .map_err(store_error)?;
        match result {
            Ok(()) => {
                let state = match request.action {
                    ActionName::Hide => Some(NetworkState::Hidden),
                    ActionName::Delete => Some(NetworkState::Deleted),
                    _ => None,
                };
                let event = audit(request, message, "done");
                match state {
                    Some(state) => {
                        store
                            .set_message_network_state(ws, message.id, state, event)
                            .await
                            .map_err(store_error)?;
                    }
                    None => store.record_audit(event).await.map_err(store_error)?,
                }
                Ok(())
            }
            Err(error) if error.is_retryable() && job.attempts < job.max_attempts => {
                let at = match error {
                    NetworkError::RateLimited {
                        retry_after: Some(wait),
                    } => Some(Timestamp::now().plus_seconds(wait.as_secs() as i64)),
                    _ => None,
                };
                Err(JobError::Retry {
                    reason: error.to_string(),
                    at,
                })
            }
            Err(error) => refused(format!("not done: {error}")).await,
        }
    }
}

#[async_trait]
impl JobHandler for NetworkAction {
    async fn run(&self, job: &Job, store: &Arc<dyn Store>) -> Result<(), JobError> {
        let request: ActRequest = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::Permanent(format!("the job does not name an action: {e}")))?;
        self.carry_out(store, job, &request).await
    }
}

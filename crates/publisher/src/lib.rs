//! The publisher: the job handler that publishes one post on one channel (a "target").
//!
//! Exactly once, whatever crashes: before each part goes to the network the intent is recorded
//! (`begin_target_part`), and after the network answers the result is recorded
//! (`record_target_part`). A worker that finds an intent without a result (it, or another
//! worker, died in between) first asks the network whether that part exists
//! ([`Connector::find_published`]), and only publishes it when it does not. Connectors also hand
//! the network a key derived from the part (Bluesky: the record key), so that even two workers
//! racing past an expired lease cannot make two posts.

use std::sync::Arc;

use async_trait::async_trait;
use relais_core::{TargetId, Timestamp, WorkspaceId};
use relais_jobs::{Finished, JobError, JobHandler};
use relais_networks::{
    Connector, Credentials, MediaFile, NetworkError, OutgoingPost, PublishedPost, ReplyTarget,
    connector_for,
};
use relais_outbound::HttpClient;
use relais_store::{
    Channel, ChannelStatus, Job, JobLease, Post, PostPart, PublishedRef, Store, StoreError, Target,
    TargetStatus,
};
use relais_vault::Vault;

/// The job kind of a target's publication.
pub const PUBLISH_JOB: &str = "publish.target";
/// Attempts before a publication fails for good (retries back off exponentially).
pub const PUBLISH_ATTEMPTS: u32 = 8;
/// How long a worker whose credentials were refused waits before looking whether another
/// worker renewed them meanwhile.
const RENEWAL_GRACE: std::time::Duration = std::time::Duration::from_secs(1);
/// The job kind of a metrics reading of a published target.
pub const METRICS_JOB: &str = "publish.metrics";

pub mod compose;
pub mod feeds;
pub mod media_link;
mod metrics;
pub mod queue;
pub use metrics::{PollMetrics, next_reading};

pub struct PublishTarget {
    http: HttpClient,
    vault: Vault,
    mailer: Option<Arc<dyn relais_mail::Mailer>>,
    public_url: String,
    /// Where networks that fetch media by address reach Relais; `None` when Relais has no
    /// public address configured.
    media_base: Option<String>,
    media_key: media_link::KeyCache,
}

impl PublishTarget {
    pub fn new(http: HttpClient, vault: Vault) -> Self {
        Self {
            http,
            vault,
            mailer: None,
            public_url: String::new(),
            media_base: None,
            media_key: media_link::KeyCache::default(),
        }
    }

    /// Lets networks that take media only by address (Instagram, Threads) fetch them from
    /// `public_url` (see [`media_link`]).
    pub fn with_media_links(mut self, public_url: &str) -> Self {
        self.media_base = Some(public_url.trim_end_matches('/').to_owned());
        self
    }

    /// Mails the author of a post that failed for good (with the reason), linking to `public_url`.
    pub fn with_mailer(
        mut self,
        mailer: Option<Arc<dyn relais_mail::Mailer>>,
        public_url: &str,
    ) -> Self {
        self.mailer = mailer;
        self.public_url = public_url.trim_end_matches('/').to_owned();
        self
    }

    /// Tells the post's author that a publication failed for good. Best effort.
    async fn tell_failure(
        &self,
        store: &Arc<dyn Store>,
        ws: WorkspaceId,
        target: TargetId,
        reason: &str,
    ) {
        let Some(mailer) = &self.mailer else { return };
        let Ok(Some(t)) = store.target(ws, target).await else {
            return;
        };
        let Ok(Some(post)) = store.post(ws, t.post_id).await else {
            return;
        };
        let Some(author) = post.author_id else { return };
        let (Ok(Some(user)), Ok(Some(workspace)), Ok(channel)) = (
            store.user_by_id(author).await,
            store.workspace_by_id(ws).await,
            store.channel(ws, t.channel_id).await,
        ) else {
            return;
        };
        let channel = channel.map(|c| c.name).unwrap_or_default();
        let excerpt: String = post
            .parts
            .first()
            .map(|p| p.text.chars().take(280).collect())
            .unwrap_or_default();
        let link = format!("{}/w/{}/publish", self.public_url, workspace.slug);
        let (subject, text) = if user.locale.as_deref() == Some("fr") {
            (
                format!("Échec de publication sur {channel}"),
                format!(
                    "Votre publication n’a pas pu partir sur {channel} ({}) :\n\n{excerpt}\n\nRaison : {reason}\n\nCorrigez ce qui est dit, puis proposez-la de nouveau : {link}\n",
                    workspace.name
                ),
            )
        } else {
            (
                format!("Publication failed on {channel}"),
                format!(
                    "Your post could not go out on {channel} ({}):\n\n{excerpt}\n\nReason: {reason}\n\nFix what is said, then post it again: {link}\n",
                    workspace.name
                ),
            )
        };
        let mail = relais_mail::Mail {
            to: user.email.to_string(),
            subject,
            text,
        };
        if let Err(e) = mailer.send(mail).await {
            tracing::warn!(error = %e, "failure mail not sent");
        }
    }
}

/// Why a publication stopped, and whether it may go on later.
struct Stop {
    reason: String,
    /// `None`: never retry. `Some(None)`: retry after the usual back-off. `Some(Some(t))`: at `t`.
    retry_at: Option<Option<Timestamp>>,
    /// The network refused the credentials: a person must connect the channel again.
    needs_reconnect: bool,
}

impl Stop {
    fn permanent(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            retry_at: None,
            needs_reconnect: false,
        }
    }

    fn retry(reason: impl Into<String>, at: Option<Timestamp>) -> Self {
        Self {
            reason: reason.into(),
            retry_at: Some(at),
            needs_reconnect: false,
        }
    }
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        // The database failing is worth another try; the lease will bring the job back.
        Self::retry(format!("database: {e}"), None)
    }
}

fn to_ref(p: &PublishedPost) -> PublishedRef {
    PublishedRef {
        id: p.id.clone(),
        version: p.version.clone(),
        url: p.url.clone(),
    }
}

fn from_ref(p: &PublishedRef) -> PublishedPost {
    PublishedPost {
        id: p.id.clone(),
        version: p.version.clone(),
        url: p.url.clone(),
    }
}

/// What the network said, as a decision for the queue.
fn stop_for(e: NetworkError) -> Stop {
    match e {
        NetworkError::RateLimited { retry_after } => Stop::retry(
            e.to_string(),
            retry_after.map(|d| Timestamp::now().plus_seconds(d.as_secs().min(86_400) as i64 + 1)),
        ),
        NetworkError::Transient(_) => Stop::retry(e.to_string(), None),
        NetworkError::Unauthorized(_) => Stop {
            needs_reconnect: true,
            ..Stop::permanent(e.to_string())
        },
        NetworkError::Rejected(_)
        | NetworkError::Misconfigured(_)
        | NetworkError::Unsupported(_) => Stop::permanent(e.to_string()),
    }
}

impl PublishTarget {
    async fn publish(
        &self,
        store: &Arc<dyn Store>,
        ws: WorkspaceId,
        target: Target,
        lease: Option<&JobLease>,
    ) -> Result<bool, Stop> {
        let post = store
            .post(ws, target.post_id)
            .await?
            .ok_or_else(|| Stop::permanent("the post was deleted"))?;
        let channel = store
            .channel(ws, target.channel_id)
            .await?
            .ok_or_else(|| Stop::permanent("the channel was removed"))?;
        if channel.status != ChannelStatus::Active {
            return Err(Stop::permanent(format!(
                "the channel `{}` is {}: {}",
                channel.name,
                channel.status.as_str().replace('_', " "),
                channel
                    .status_detail
                    .clone()
                    .unwrap_or_else(|| "connect it again".into())
            )));
        }
        let connector = connector_for(&channel.network, self.http.clone()).ok_or_else(|| {
            Stop::permanent(format!("this Relais cannot publish on {}", channel.network))
        })?;
        let mut channel = channel;
        let mut outcome = self
            .publish_with(
                store,
                ws,
                &target,
                &post,
                &channel,
                connector.as_ref(),
                lease,
            )
            .await;
        // Credentials refused: another worker may have renewed them meanwhile (networks such as
        // X rotate refresh tokens, so the loser of a race holds a dead one). Look again, after
        // a moment for the winner to save, and try once more with what it saved.
        if matches!(&outcome, Err(stop) if stop.needs_reconnect) {
            tokio::time::sleep(RENEWAL_GRACE).await;
            if let Some(fresh) = store.channel(ws, channel.id).await?
                && fresh.secrets != channel.secrets
                && fresh.status == ChannelStatus::Active
            {
                channel = fresh;
                let target = store.target(ws, target.id).await?.unwrap_or(target);
                outcome = self
                    .publish_with(
                        store,
                        ws,
                        &target,
                        &post,
                        &channel,
                        connector.as_ref(),
                        lease,
                    )
                    .await;
            }
        }
        if let Err(stop) = &outcome
            && stop.needs_reconnect
        {
            mark_needs_reconnect(store, &channel, &stop.reason).await;
        }
        outcome
    }

    /// One try with the channel's credentials as stored; renewed tokens are saved even when the
    /// publication failed.
    #[allow(clippy::too_many_arguments)]
    async fn publish_with(
        &self,
        store: &Arc<dyn Store>,
        ws: WorkspaceId,
        target: &Target,
        post: &Post,
        channel: &Channel,
        connector: &dyn Connector,
        lease: Option<&JobLease>,
    ) -> Result<bool, Stop> {
        let secrets = self
            .vault
            .open_all(&format!("channel:{}", channel.id), &channel.secrets)
            .map_err(|e| {
                Stop::permanent(format!("the channel's credentials cannot be read: {e}"))
            })?;
        let mut creds = Credentials {
            settings: channel.settings.clone(),
            secrets,
            changed: false,
        };
        let parts = target.parts.clone().unwrap_or_else(|| post.parts.clone());
        let outcome = self
            .publish_parts(
                store, ws, target, post, &parts, connector, &mut creds, lease,
            )
            .await;
        if creds.changed
            && let Ok(sealed) = self
                .vault
                .seal_all(&format!("channel:{}", channel.id), &creds.secrets)
        {
            store
                .update_channel_secrets(ws, channel.id, &sealed)
                .await?;
        }
        outcome
    }

    #[allow(clippy::too_many_arguments)]
    async fn publish_parts(
        &self,
        store: &Arc<dyn Store>,
        ws: WorkspaceId,
        target: &Target,
        post: &Post,
        parts: &[PostPart],
        connector: &dyn Connector,
        creds: &mut Credentials,
        lease: Option<&JobLease>,
    ) -> Result<bool, Stop> {
        // Whether this run recorded the last part (and with it marked the job done).
        let mut recorded_last = false;
        let total = u32::try_from(parts.len()).unwrap_or(u32::MAX);
        let mut published: Vec<PublishedPost> = target.published.iter().map(from_ref).collect();
        for (i, part) in parts.iter().enumerate().skip(published.len()) {
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            let before = store.begin_target_part(ws, target.id, index).await?;
            let outgoing = self
                .outgoing(store, ws, target.id, post, part, index, &published)
                .await?;
            // An intent without a result: an earlier attempt may have reached the network.
            let existing = if before.in_flight_part == Some(index) {
                connector
                    .find_published(creds, &outgoing)
                    .await
                    .map_err(stop_for)?
            } else {
                None
            };
            let done = match existing {
                Some(p) => {
                    tracing::info!(target = %target.id, part = i, "found on the network after an interrupted attempt");
                    p
                }
                None => connector
                    .publish(creds, &outgoing)
                    .await
                    .map_err(stop_for)?,
            };
            store
                .record_target_part(
                    ws,
                    target.id,
                    index,
                    to_ref(&done),
                    total,
                    Some(metrics::first_reading(ws, target.id)),
                    lease,
                )
                .await?;
            published.push(done);
            recorded_last = published.len() == parts.len();
        }
        Ok(recorded_last)
    }

    #[allow(clippy::too_many_arguments)]
    async fn outgoing(
        &self,
        store: &Arc<dyn Store>,
        ws: WorkspaceId,
        target: TargetId,
        post: &Post,
        part: &PostPart,
        index: u32,
        published: &[PublishedPost],
    ) -> Result<OutgoingPost, Stop> {
        let mut media = Vec::new();
        let link_key = match (&self.media_base, part.media.is_empty()) {
            (Some(_), false) => Some(self.media_key.get(store.as_ref()).await?),
            _ => None,
        };
        for m in &part.media {
            let (info, bytes) = store.media(ws, m.id).await?.ok_or_else(|| {
                Stop::permanent("an image of the post was deleted from the media library")
            })?;
            media.push(MediaFile {
                mime: info.mime,
                bytes,
                alt: m.alt.clone().or(info.alt),
                public_url: self
                    .media_base
                    .as_deref()
                    .zip(link_key)
                    .map(|(base, key)| media_link::url(base, key, ws, m.id)),
            });
        }
        let reply_to = match (published.first(), published.last()) {
            (Some(root), Some(parent)) => Some(ReplyTarget {
                root: root.clone(),
                parent: parent.clone(),
            }),
            _ => None,
        };
        Ok(OutgoingPost {
            text: part.text.clone(),
            media,
            reply_to,
            langs: Vec::new(),
            idempotency_key: format!("{target}/{index}"),
            created_at_ms: post.created_at.millis(),
        })
    }
}

async fn mark_needs_reconnect(store: &Arc<dyn Store>, channel: &Channel, reason: &str) {
    if let Err(e) = store
        .set_channel_status(
            channel.workspace_id,
            channel.id,
            ChannelStatus::NeedsReconnect,
            Some(reason),
        )
        .await
    {
        tracing::warn!(error = %e, "cannot mark the channel for reconnection");
    }
}

#[async_trait]
impl JobHandler for PublishTarget {
    async fn run(&self, job: &Job, store: &Arc<dyn Store>) -> Result<(), JobError> {
        self.run_to_end(job, store).await.map(|_| ())
    }

    /// A publication that goes out marks its job done with its last part, in one transaction.
    async fn run_to_end(&self, job: &Job, store: &Arc<dyn Store>) -> Result<Finished, JobError> {
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
        let target = match store.target(ws, id).await {
            Ok(Some(t)) => t,
            Ok(None) => {
                return Err(JobError::Permanent(
                    "the publication no longer exists".into(),
                ));
            }
            Err(e) => {
                return Err(JobError::Retry {
                    reason: e.to_string(),
                    at: None,
                });
            }
        };
        if matches!(
            target.status,
            TargetStatus::Published | TargetStatus::Failed | TargetStatus::Cancelled
        ) {
            return Ok(Finished::ByWorker);
        }
        let lease = job.lease_owner.clone().map(|worker| JobLease {
            job: job.id,
            worker,
        });
        match self.publish(store, ws, target, lease.as_ref()).await {
            Ok(true) if lease.is_some() => Ok(Finished::ByHandler),
            Ok(_) => Ok(Finished::ByWorker),
            Err(stop) => {
                let last_attempt = job.attempts >= job.max_attempts;
                let permanent = stop.retry_at.is_none() || last_attempt;
                let reason = if last_attempt && stop.retry_at.is_some() {
                    format!(
                        "gave up after {} attempts; the last said: {}",
                        job.attempts, stop.reason
                    )
                } else {
                    stop.reason.clone()
                };
                if let Err(e) = store.fail_target(ws, id, &reason, permanent).await {
                    tracing::warn!(error = %e, "cannot record the failure on the publication");
                }
                if permanent {
                    self.tell_failure(store, ws, id, &reason).await;
                }
                match stop.retry_at {
                    Some(at) if !last_attempt => Err(JobError::Retry { reason, at }),
                    _ => Err(JobError::Permanent(reason)),
                }
            }
        }
    }
}

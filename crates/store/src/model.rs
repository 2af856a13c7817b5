//! Rows as the rest of Relais sees them.

use relais_core::audit::AuditEvent;
use relais_core::{
    ApiTokenId, DisplayName, Email, InvitationId, JobId, Role, Slug, Timestamp, UserId, WorkspaceId,
};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub name: DisplayName,
    /// May create workspaces and sees every one of them.
    pub is_instance_admin: bool,
    /// `fr` or `en` once the user chose; `None` follows the browser.
    pub locale: Option<String>,
    pub created_at: Timestamp,
}

/// A user to create; the password is already hashed.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: Email,
    pub name: DisplayName,
    pub password_hash: String,
    pub is_instance_admin: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub slug: Slug,
    pub name: String,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Member {
    pub user: User,
    pub role: Role,
    pub joined_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct NewInvitation {
    pub workspace_id: WorkspaceId,
    pub email: Email,
    pub role: Role,
    /// SHA-256 of the secret in the link; the secret itself is never stored.
    pub token_hash: String,
    pub invited_by: Option<UserId>,
    pub expires_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Invitation {
    pub id: InvitationId,
    pub workspace_id: WorkspaceId,
    pub email: Email,
    pub role: Role,
    pub invited_by: Option<UserId>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl Invitation {
    pub fn is_pending(&self, now: Timestamp) -> bool {
        self.accepted_at.is_none() && self.revoked_at.is_none() && now < self.expires_at
    }
}

/// Who accepts an invitation.
#[derive(Clone, Debug)]
pub enum Invitee {
    Existing(UserId),
    New(NewUser),
}

#[derive(Clone, Debug)]
pub struct NewSession {
    pub token_hash: String,
    pub user_id: UserId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct NewApiToken {
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub role: Role,
    pub token_hash: String,
    pub created_by: Option<UserId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub role: Role,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Clone, Debug)]
pub struct NewJob {
    pub workspace_id: Option<WorkspaceId>,
    /// Which handler runs it, such as `sessions.purge`.
    pub kind: String,
    pub payload: serde_json::Value,
    pub run_at: Timestamp,
    pub max_attempts: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    /// Failed for good: out of attempts, or a permanent error.
    Dead,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => JobStatus::Queued,
            "running" => JobStatus::Running,
            "done" => JobStatus::Done,
            "dead" => JobStatus::Dead,
            _ => return None,
        })
    }
}

/// A job as held by the worker running it: what it takes to mark it done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobLease {
    pub job: JobId,
    pub worker: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Job {
    pub id: JobId,
    pub workspace_id: Option<WorkspaceId>,
    pub kind: String,
    pub payload: serde_json::Value,
    pub status: JobStatus,
    pub run_at: Timestamp,
    /// Attempts started so far, this one included once claimed.
    pub attempts: u32,
    pub max_attempts: u32,
    pub lease_owner: Option<String>,
    pub lease_until: Option<Timestamp>,
    pub last_error: Option<String>,
}

/// Helper for callers that build audit events: the same event, retargeted.
pub fn audit_for(
    workspace: Option<WorkspaceId>,
    actor: relais_core::audit::Actor,
    action: &str,
    target: &str,
) -> AuditEvent {
    AuditEvent {
        workspace_id: workspace,
        actor,
        action: action.to_owned(),
        target: target.to_owned(),
        details: serde_json::Value::Null,
    }
}

/// A workspace's account on one network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Channel {
    pub id: relais_core::ChannelId,
    pub workspace_id: WorkspaceId,
    /// `bluesky`, `mastodon`, … (see relais-publish's `Network`).
    pub network: String,
    /// Unique in the workspace: what people and `relais post --channel` call it.
    pub name: String,
    /// Public settings (service URL, handle…).
    pub settings: serde_json::Value,
    /// Field name → value sealed by relais-vault. Never shown.
    #[serde(skip)]
    pub secrets: std::collections::BTreeMap<String, String>,
    pub status: ChannelStatus,
    /// Why the channel is not active, in words people can act on.
    pub status_detail: Option<String>,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelStatus {
    Active,
    /// The network refused the credentials: someone must connect it again.
    NeedsReconnect,
    /// Turned off by a person.
    Disabled,
}

impl ChannelStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelStatus::Active => "active",
            ChannelStatus::NeedsReconnect => "needs_reconnect",
            ChannelStatus::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "active" => ChannelStatus::Active,
            "needs_reconnect" => ChannelStatus::NeedsReconnect,
            "disabled" => ChannelStatus::Disabled,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug)]
pub struct NewChannel {
    /// Made by the caller, so that secrets can be sealed to this id before the row exists.
    pub id: relais_core::ChannelId,
    pub workspace_id: WorkspaceId,
    pub network: String,
    pub name: String,
    pub settings: serde_json::Value,
    pub secrets: std::collections::BTreeMap<String, String>,
    pub created_by: Option<UserId>,
}

/// One post of a thread (or the whole post when it has one part).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PostPart {
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<PartMedia>,
}

/// A media of the library used in a part, with the alt text for this use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PartMedia {
    pub id: relais_core::MediaId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    Draft,
    PendingApproval,
    Scheduled,
    Published,
    Failed,
    Cancelled,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    /// Waiting for the post to be approved or planned.
    Waiting,
    /// A publication job is planned.
    Queued,
    /// A part is being published (or was, when a worker died): see `in_flight_part`.
    Publishing,
    Published,
    /// Failed for good; `last_error` says why.
    Failed,
    Cancelled,
}

macro_rules! status_text {
    ($ty:ty { $($variant:ident => $text:literal),* $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some(Self::$variant),)* _ => None }
            }
        }
    };
}

status_text!(PostStatus {
    Draft => "draft", PendingApproval => "pending_approval", Scheduled => "scheduled",
    Published => "published", Failed => "failed", Cancelled => "cancelled",
});
status_text!(TargetStatus {
    Waiting => "waiting", Queued => "queued", Publishing => "publishing",
    Published => "published", Failed => "failed", Cancelled => "cancelled",
});

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Post {
    pub id: relais_core::PostId,
    pub workspace_id: WorkspaceId,
    pub author_id: Option<UserId>,
    pub author_label: String,
    pub status: PostStatus,
    pub parts: Vec<PostPart>,
    /// When to publish (UTC); `None` means as soon as possible.
    pub scheduled_at: Option<Timestamp>,
    /// The zone the time was planned in, to show it back as it was written.
    pub time_zone: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct NewPost {
    pub id: relais_core::PostId,
    pub workspace_id: WorkspaceId,
    pub author_id: Option<UserId>,
    pub author_label: String,
    pub status: PostStatus,
    pub parts: Vec<PostPart>,
    pub scheduled_at: Option<Timestamp>,
    pub time_zone: Option<String>,
}

/// A part as the network has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PublishedRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub url: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Target {
    pub id: relais_core::TargetId,
    pub post_id: relais_core::PostId,
    pub workspace_id: WorkspaceId,
    pub channel_id: relais_core::ChannelId,
    /// This channel's variant of the post, when it differs.
    pub parts: Option<Vec<PostPart>>,
    pub status: TargetStatus,
    pub published: Vec<PublishedRef>,
    pub in_flight_part: Option<u32>,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub url: Option<String>,
    pub published_at: Option<Timestamp>,
}

#[derive(Clone, Debug)]
pub struct NewTarget {
    pub id: relais_core::TargetId,
    pub channel_id: relais_core::ChannelId,
    pub parts: Option<Vec<PostPart>>,
}

/// Jobs to plan with a new post, one per target, in the same transaction.
#[derive(Clone, Debug)]
pub struct PublishPlan {
    pub job_kind: String,
    pub run_at: Timestamp,
    pub max_attempts: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Media {
    pub id: relais_core::MediaId,
    pub workspace_id: WorkspaceId,
    pub file_name: String,
    pub mime: String,
    pub size: u64,
    pub sha256: String,
    pub alt: Option<String>,
    pub created_at: Timestamp,
    /// Whether a preview is stored (see [`NewMedia::thumbnail`]); the bytes themselves are read
    /// on their own, by the library page only.
    pub has_thumbnail: bool,
}

#[derive(Clone, Debug)]
pub struct NewMedia {
    pub id: relais_core::MediaId,
    pub workspace_id: WorkspaceId,
    pub file_name: String,
    pub mime: String,
    pub alt: Option<String>,
    pub content: Vec<u8>,
    pub created_by: Option<UserId>,
    /// A small JPEG preview made by Relais at upload for the library page; `None` for a video,
    /// or an image it could not read.
    pub thumbnail: Option<Vec<u8>>,
}

/// One reading of a published post's counts. `None`: the network does not give that count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MetricsSample {
    pub at: Timestamp,
    pub likes: Option<u64>,
    pub reposts: Option<u64>,
    pub replies: Option<u64>,
    pub quotes: Option<u64>,
    pub views: Option<u64>,
}

//! What publishing keeps beside posts: the OAuth apps and connections under way, the team's
//! comments on posts, each channel's queue of weekly time slots, and feeds turned into posts.
//!
//! A trait of its own ([`PlanningStore`], a supertrait of [`crate::Store`]) so that the main
//! trait and its SQL body stay readable; both backends implement it from one body of SQL
//! (`sql_planning.rs`), checked by the same conformance scenarios.

use async_trait::async_trait;
use relais_core::audit::AuditEvent;
use relais_core::{ChannelId, CommentId, FeedId, PostId, SlotId, Timestamp, UserId, WorkspaceId};
use serde::Serialize;

use crate::{NewPost, NewTarget, Post, PublishPlan, StoreResult, Target};

/// An app the brand registered with an OAuth network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthAppRecord {
    pub workspace_id: WorkspaceId,
    pub network: String,
    pub client_id: String,
    /// Sealed by relais-vault; `None` for a public client.
    pub client_secret: Option<String>,
    pub updated_at: Timestamp,
}

/// A connection under way (see the `oauth_connections` table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthConnection {
    pub state_hash: String,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub network: String,
    /// Sealed PKCE verifier.
    pub verifier: String,
    pub redirect_uri: String,
    /// Sealed JSON of the accounts found, once the network has answered.
    pub accounts: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PostComment {
    pub id: CommentId,
    pub post_id: PostId,
    pub author_id: Option<UserId>,
    pub author_label: String,
    pub body: String,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct NewPostComment {
    pub workspace_id: WorkspaceId,
    pub post_id: PostId,
    pub author_id: Option<UserId>,
    pub author_label: String,
    pub body: String,
}

/// A weekly publishing time of a channel: ISO weekday (1 = Monday … 7 = Sunday) and minutes
/// after midnight, in `time_zone`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QueueSlot {
    pub id: SlotId,
    pub channel_id: ChannelId,
    pub weekday: u8,
    pub minute: u16,
    pub time_zone: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedMode {
    /// Each new entry becomes a draft for a person to review.
    Draft,
    /// Each new entry is queued in the next free slot of every channel.
    Queue,
}

impl FeedMode {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedMode::Draft => "draft",
            FeedMode::Queue => "queue",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(FeedMode::Draft),
            "queue" => Some(FeedMode::Queue),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Feed {
    pub id: FeedId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub url: String,
    pub channel_ids: Vec<ChannelId>,
    pub mode: FeedMode,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_polled_at: Option<Timestamp>,
    /// The last poll that read the feed; `None` until one has (then the entries already in
    /// the feed are marked seen without making posts).
    pub last_success_at: Option<Timestamp>,
    /// Why the last poll failed, in words people can act on; `None` after a good one.
    pub last_error: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct NewFeed {
    pub id: FeedId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub url: String,
    pub channel_ids: Vec<ChannelId>,
    pub mode: FeedMode,
    pub created_by: Option<UserId>,
}

/// What a poll learnt: the validators for the next conditional request, or why it failed.
#[derive(Clone, Debug, Default)]
pub struct FeedPoll {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub error: Option<String>,
}

/// A post to make with its targets, its jobs' plan and its audit line: from a feed entry, or
/// one occurrence of a recurring post.
#[derive(Clone, Debug)]
pub struct PostToMake {
    pub post: NewPost,
    /// Written with the post.
    pub audit: AuditEvent,
    pub targets: Vec<NewTarget>,
    pub plan: Option<PublishPlan>,
}

#[async_trait]
pub trait PlanningStore: Send + Sync {
    /// Creates or updates the workspace's app for `network`. `client_secret`: `Some(sealed)`
    /// replaces it, `None` keeps the one stored.
    async fn save_oauth_app(
        &self,
        workspace: WorkspaceId,
        network: &str,
        client_id: &str,
        client_secret: Option<&str>,
        by: Option<UserId>,
        audit: AuditEvent,
    ) -> StoreResult<OAuthAppRecord>;
    async fn oauth_apps(&self, workspace: WorkspaceId) -> StoreResult<Vec<OAuthAppRecord>>;
    async fn oauth_app(
        &self,
        workspace: WorkspaceId,
        network: &str,
    ) -> StoreResult<Option<OAuthAppRecord>>;
    async fn delete_oauth_app(
        &self,
        workspace: WorkspaceId,
        network: &str,
        audit: AuditEvent,
    ) -> StoreResult<()>;

    /// Keeps a connection under way, and drops those that have expired.
    async fn start_oauth_connection(&self, connection: OAuthConnection) -> StoreResult<()>;
    /// The connection `state_hash` names, if it has not expired at `now`.
    async fn oauth_connection(
        &self,
        state_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<OAuthConnection>>;
    async fn set_oauth_accounts(&self, state_hash: &str, sealed_accounts: &str) -> StoreResult<()>;
    async fn end_oauth_connection(&self, state_hash: &str) -> StoreResult<()>;

    async fn add_post_comment(
        &self,
        comment: NewPostComment,
        audit: AuditEvent,
    ) -> StoreResult<PostComment>;
    /// Oldest first.
    async fn post_comments(
        &self,
        workspace: WorkspaceId,
        post: PostId,
    ) -> StoreResult<Vec<PostComment>>;

    /// Replaces the channel's slots by `slots` (weekday, minute), all in `time_zone`.
    async fn set_queue_slots(
        &self,
        workspace: WorkspaceId,
        channel: ChannelId,
        slots: &[(u8, u16)],
        time_zone: &str,
        audit: AuditEvent,
    ) -> StoreResult<Vec<QueueSlot>>;
    /// A channel's slots, in week order.
    async fn queue_slots(
        &self,
        workspace: WorkspaceId,
        channel: ChannelId,
    ) -> StoreResult<Vec<QueueSlot>>;
    /// The planned times, in `[from, to)`, of the posts that will go out on `channel` (not
    /// cancelled, not failed): the slots they take.
    async fn planned_times(
        &self,
        workspace: WorkspaceId,
        channel: ChannelId,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<Timestamp>>;

    async fn create_feed(&self, feed: NewFeed, audit: AuditEvent) -> StoreResult<Feed>;
    async fn feeds(&self, workspace: WorkspaceId) -> StoreResult<Vec<Feed>>;
    async fn feed(&self, workspace: WorkspaceId, id: FeedId) -> StoreResult<Option<Feed>>;
    async fn delete_feed(
        &self,
        workspace: WorkspaceId,
        id: FeedId,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    async fn record_feed_poll(
        &self,
        workspace: WorkspaceId,
        id: FeedId,
        poll: FeedPoll,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// Makes several posts (the occurrences of a recurring post) in one transaction: all or
    /// none.
    async fn create_posts(&self, posts: Vec<PostToMake>) -> StoreResult<Vec<(Post, Vec<Target>)>>;
    /// Marks an entry of the feed as seen and, with `post`, makes its post, in one
    /// transaction. `false` when the entry was seen before: then nothing is made (twice).
    async fn take_feed_entry(
        &self,
        workspace: WorkspaceId,
        feed: FeedId,
        entry_key: &str,
        post: Option<PostToMake>,
    ) -> StoreResult<bool>;
}

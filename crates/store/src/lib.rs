//! Relais storage.
//!
//! [`Store`] is what every other crate sees. Two real backends implement it from one body of
//! portable SQL ([`sqlite::SqlStore`] and [`postgres::SqlStore`]); the small differences (how a
//! write transaction starts, how a job is claimed) live in each backend's module. The
//! [`conformance`] scenarios run unchanged on both.
//!
//! Errors: backends turn `sqlx` errors into [`StoreError`], which says what went wrong in
//! domain words (a slug is taken, the database cannot be reached); no `sqlx` type crosses the
//! trait.

#[macro_use]
mod macros;

pub mod audience;
mod error;
pub mod inbox;
pub mod library;
pub mod listening;
mod migrate;
mod model;
mod open;
pub mod planning;
pub mod postgres;
pub mod sqlite;
pub mod tables;

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;

use async_trait::async_trait;
use relais_core::audit::{AuditEvent, AuditRecord};
use relais_core::{
    ApiTokenId, AuditId, ChannelId, Email, InvitationId, JobId, MediaId, PostId, Role, Slug,
    TargetId, Timestamp, UserId, WorkspaceId,
};

pub use audience::AudienceStore;
pub use error::{Conflict, StoreError};
pub use inbox::InboxStore;
pub use library::{LibraryStore, MediaDeletion};
pub use listening::ListeningStore;
pub use model::*;
pub use open::{DatabaseLocation, open};
pub use planning::PlanningStore;
pub use tables::{Cell, TABLES, TableSpec};

pub type StoreResult<T> = Result<T, StoreError>;

/// Everything Relais keeps. Every method that changes data takes the [`AuditEvent`] describing
/// the change and writes it in the same transaction.
#[async_trait]
pub trait Store:
    PlanningStore + LibraryStore + AudienceStore + ListeningStore + InboxStore + Send + Sync + 'static
{
    /// `sqlite` or `postgres`, for logs and metrics.
    fn backend(&self) -> &'static str;
    /// Answers when the database does: what `/healthz` asks.
    async fn ping(&self) -> StoreResult<()>;
    /// Applies the migrations not yet applied; returns how many were.
    async fn migrate(&self) -> StoreResult<usize>;
    async fn close(&self);

    // ----- users -----
    async fn count_users(&self) -> StoreResult<u64>;
    /// Creates the first instance administrator, only while there is no user at all.
    async fn create_first_admin(&self, user: NewUser, audit: AuditEvent) -> StoreResult<User>;
    async fn create_user(&self, user: NewUser, audit: AuditEvent) -> StoreResult<User>;
    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<User>>;
    /// The user and their password hash, for logging in.
    async fn credentials_by_email(&self, email: &Email) -> StoreResult<Option<(User, String)>>;
    async fn set_user_locale(&self, id: UserId, locale: Option<&str>) -> StoreResult<()>;
    /// Replaces a user's password hash and ends all their sessions but `keep_session` (the one
    /// changing it), so that a stolen session dies with the old password.
    async fn set_password(
        &self,
        id: UserId,
        password_hash: &str,
        keep_session: Option<&str>,
        audit: AuditEvent,
    ) -> StoreResult<()>;

    // ----- workspaces -----
    /// Creates a workspace; `admin`, when given, becomes its first admin.
    async fn create_workspace(
        &self,
        slug: &Slug,
        name: &str,
        admin: Option<UserId>,
        audit: AuditEvent,
    ) -> StoreResult<Workspace>;
    async fn workspace_by_slug(&self, slug: &Slug) -> StoreResult<Option<Workspace>>;
    async fn workspace_by_id(&self, id: WorkspaceId) -> StoreResult<Option<Workspace>>;
    async fn rename_workspace(
        &self,
        id: WorkspaceId,
        name: &str,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    async fn all_workspaces(&self) -> StoreResult<Vec<Workspace>>;
    /// The workspaces a user belongs to, with their role in each, by name.
    async fn workspaces_of(&self, user: UserId) -> StoreResult<Vec<(Workspace, Role)>>;

    // ----- members -----
    async fn members(&self, workspace: WorkspaceId) -> StoreResult<Vec<Member>>;
    async fn role_of(&self, workspace: WorkspaceId, user: UserId) -> StoreResult<Option<Role>>;
    /// The workspace named `slug` with `user`'s role in it, in one query (what every workspace
    /// page asks first); `None` when there is no such workspace or the user is not a member.
    async fn membership_by_slug(
        &self,
        slug: &Slug,
        user: UserId,
    ) -> StoreResult<Option<(Workspace, Role)>>;
    async fn add_member(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        role: Role,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    /// Changes a role; refuses to leave the workspace without an admin.
    async fn change_role(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        role: Role,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    /// Removes a member; refuses to remove the last admin.
    async fn remove_member(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        audit: AuditEvent,
    ) -> StoreResult<()>;

    // ----- invitations -----
    async fn create_invitation(
        &self,
        invitation: NewInvitation,
        audit: AuditEvent,
    ) -> StoreResult<Invitation>;
    async fn invitation_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<Invitation>>;
    /// Invitations neither accepted, revoked nor expired at `now`.
    async fn pending_invitations(
        &self,
        workspace: WorkspaceId,
        now: Timestamp,
    ) -> StoreResult<Vec<Invitation>>;
    /// Joins the invited workspace, as an existing user or as a new one made in the same
    /// transaction. Fails if the invitation is no longer pending at `now`.
    async fn accept_invitation(
        &self,
        invitation: InvitationId,
        who: Invitee,
        now: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<User>;
    async fn revoke_invitation(
        &self,
        workspace: WorkspaceId,
        invitation: InvitationId,
        audit: AuditEvent,
    ) -> StoreResult<()>;

    // ----- sessions -----
    async fn create_session(&self, session: NewSession) -> StoreResult<()>;
    /// The session's user if the session exists and has not expired at `now`.
    async fn session_user(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<User>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Ends every session of `user` except `keep` (log out everywhere else); returns how many.
    async fn delete_other_sessions(&self, user: UserId, keep: Option<&str>) -> StoreResult<u64>;
    /// Deletes sessions expired at `now`; returns how many.
    async fn purge_expired_sessions(&self, now: Timestamp) -> StoreResult<u64>;

    // ----- API tokens -----
    async fn create_api_token(
        &self,
        token: NewApiToken,
        audit: AuditEvent,
    ) -> StoreResult<ApiToken>;
    /// A live (not revoked) token by its hash; marks it used at `now`.
    async fn use_api_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<ApiToken>>;
    async fn api_tokens(&self, workspace: WorkspaceId) -> StoreResult<Vec<ApiToken>>;
    async fn revoke_api_token(
        &self,
        workspace: WorkspaceId,
        token: ApiTokenId,
        audit: AuditEvent,
    ) -> StoreResult<()>;

    // ----- channels -----
    async fn create_channel(&self, channel: NewChannel, audit: AuditEvent) -> StoreResult<Channel>;
    async fn channels(&self, workspace: WorkspaceId) -> StoreResult<Vec<Channel>>;
    async fn channel(&self, workspace: WorkspaceId, id: ChannelId) -> StoreResult<Option<Channel>>;
    async fn channel_by_name(
        &self,
        workspace: WorkspaceId,
        name: &str,
    ) -> StoreResult<Option<Channel>>;
    /// Replaces a channel's sealed secrets (after a token refresh), keeping it active.
    async fn update_channel_secrets(
        &self,
        workspace: WorkspaceId,
        id: ChannelId,
        secrets: &std::collections::BTreeMap<String, String>,
    ) -> StoreResult<()>;
    /// Records that a channel works, or why it does not.
    async fn set_channel_status(
        &self,
        workspace: WorkspaceId,
        id: ChannelId,
        status: ChannelStatus,
        detail: Option<&str>,
    ) -> StoreResult<()>;
    async fn delete_channel(
        &self,
        workspace: WorkspaceId,
        id: ChannelId,
        audit: AuditEvent,
    ) -> StoreResult<()>;

    // ----- media and posts -----
    async fn create_media(&self, media: NewMedia, audit: AuditEvent) -> StoreResult<Media>;
    async fn media(
        &self,
        workspace: WorkspaceId,
        id: MediaId,
    ) -> StoreResult<Option<(Media, Vec<u8>)>>;
    /// Creates a post, its targets and (with a plan) one publication job per target, all in one
    /// transaction: a post is never half-made, nor made without its jobs.
    async fn create_post(
        &self,
        post: NewPost,
        targets: Vec<NewTarget>,
        plan: Option<PublishPlan>,
        audit: AuditEvent,
    ) -> StoreResult<(Post, Vec<Target>)>;
    async fn post(&self, workspace: WorkspaceId, id: PostId) -> StoreResult<Option<Post>>;
    /// An editor's decision on a post waiting for approval: approved, it is queued with `plan`
    /// (targets and jobs in the same transaction); refused, it is cancelled. Fails with
    /// `NotFound` when the post is not waiting for approval (decided already, say).
    async fn decide_post(
        &self,
        workspace: WorkspaceId,
        id: PostId,
        approved: Option<PublishPlan>,
        audit: AuditEvent,
    ) -> StoreResult<Post>;
    /// Moves a post not yet gone to another time, with its queued publication jobs. Refused
    /// (`NotFound`) once any of its targets has started publishing.
    async fn reschedule_post(
        &self,
        workspace: WorkspaceId,
        id: PostId,
        at: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<Post>;
    /// Newest first.
    async fn posts(&self, workspace: WorkspaceId, limit: u32) -> StoreResult<Vec<Post>>;
    async fn targets_of(&self, workspace: WorkspaceId, post: PostId) -> StoreResult<Vec<Target>>;
    async fn target(&self, workspace: WorkspaceId, id: TargetId) -> StoreResult<Option<Target>>;
    /// Records the intent to publish part `part` (before calling the network) and returns the
    /// target as it was before, whose `in_flight_part` tells whether an earlier attempt at this
    /// part may have reached the network.
    async fn begin_target_part(
        &self,
        workspace: WorkspaceId,
        id: TargetId,
        part: u32,
    ) -> StoreResult<Target>;
    /// Records part `part` as published; the target (and its post, when every target is) becomes
    /// published after its last part, and `then` (the first metrics reading, say) is queued in
    /// the same transaction; so is `finish`, the job publishing it, marked done (when its lease
    /// is still this worker's) — one write fewer per publication than marking it apart.
    /// Recording the same part twice changes nothing.
    #[allow(clippy::too_many_arguments)]
    async fn record_target_part(
        &self,
        workspace: WorkspaceId,
        id: TargetId,
        part: u32,
        published: PublishedRef,
        total_parts: u32,
        then: Option<NewJob>,
        finish: Option<&JobLease>,
    ) -> StoreResult<Target>;
    /// Adds a metrics reading to a target's time series.
    async fn record_metrics(
        &self,
        workspace: WorkspaceId,
        target: TargetId,
        sample: MetricsSample,
    ) -> StoreResult<()>;
    /// A target's readings, oldest first.
    async fn metrics_of(
        &self,
        workspace: WorkspaceId,
        target: TargetId,
    ) -> StoreResult<Vec<MetricsSample>>;
    /// Records a failure; a permanent one fails the target and its post.
    async fn fail_target(
        &self,
        workspace: WorkspaceId,
        id: TargetId,
        error: &str,
        permanent: bool,
    ) -> StoreResult<()>;

    // ----- audit -----
    /// Records an event that goes with no other change (a failed login, say).
    async fn record_audit(&self, audit: AuditEvent) -> StoreResult<()>;
    /// Newest first; `before` pages back from an id; `None` workspace reads instance events.
    async fn audit_log(
        &self,
        workspace: Option<WorkspaceId>,
        before: Option<AuditId>,
        limit: u32,
    ) -> StoreResult<Vec<AuditRecord>>;

    // ----- instance settings -----
    /// Returns the stored value of `key`, storing `value` first if there is none. Several
    /// processes racing here all get the same winner.
    async fn setting_or_insert(&self, key: &str, value: &str) -> StoreResult<String>;

    // ----- jobs -----
    async fn enqueue_job(&self, job: NewJob) -> StoreResult<JobId>;
    /// Takes the oldest due job (queued, or running with an expired lease) for `worker` until
    /// `now + lease`. Two workers never hold the same job at once.
    async fn claim_job(
        &self,
        worker: &str,
        now: Timestamp,
        lease_ms: i64,
    ) -> StoreResult<Option<Job>>;
    /// Pushes a claimed job's lease forward; false if the worker lost it.
    async fn heartbeat_job(
        &self,
        id: JobId,
        worker: &str,
        lease_until: Timestamp,
    ) -> StoreResult<bool>;
    async fn complete_job(&self, id: JobId, worker: &str, now: Timestamp) -> StoreResult<bool>;
    /// Records a failure: requeued for `retry_at`, or dead when `None`.
    async fn fail_job(
        &self,
        id: JobId,
        worker: &str,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<bool>;
    async fn job(&self, id: JobId) -> StoreResult<Option<Job>>;
    /// How many jobs are in each status, for `/metrics`.
    async fn job_counts(&self) -> StoreResult<Vec<(String, u64)>>;
    /// Jobs of `kind` queued or running: a job that plans its own next run (a periodic one) is
    /// planned at start only when none is waiting, so that restarts do not multiply it.
    async fn jobs_waiting(&self, kind: &str) -> StoreResult<u64>;

    // ----- copy between backends -----
    /// True when no table holds a row (migrations aside).
    async fn is_empty(&self) -> StoreResult<bool>;
    async fn dump_table(&self, table: &TableSpec) -> StoreResult<Vec<Vec<Cell>>>;
    /// Inserts rows as they are, in one transaction.
    async fn load_rows(&self, table: &TableSpec, rows: Vec<Vec<Cell>>) -> StoreResult<()>;
    /// The columns the database really has for `table`, to check [`TABLES`] against.
    async fn actual_columns(&self, table: &str) -> StoreResult<Vec<String>>;
}

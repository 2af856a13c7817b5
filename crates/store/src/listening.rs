//! What listening keeps: the queries a workspace watches for, the sources polled for mentions
//! (with the poller's state), the mentions found (the queries each matched, the tags a person
//! gave it), and the alert rules with the alerts they raised.
//!
//! A trait of its own ([`ListeningStore`], a supertrait of [`crate::Store`]); both backends
//! implement it from one body of SQL (`sql_listening.rs`), checked by the scenarios of
//! `conformance/listening.rs`.
//!
//! Everything a person asks for is scoped to a workspace, and what a person changes is written
//! with its [`AuditEvent`]. The poller's writes ([`ListeningStore::record_poll`],
//! [`ListeningStore::insert_mentions`], the alert events) are not audited, and the methods it
//! uses to find its work ([`ListeningStore::due_sources`], [`ListeningStore::all_listen_queries`],
//! [`ListeningStore::all_alert_rules`]) read across workspaces.
//!
//! Ids are made by the caller where it needs them before the row exists (a mention, so that
//! near-duplicates in one batch can name their first; an alert rule, so that its webhook secret
//! can be sealed to it); the store makes alert events' ids.

use async_trait::async_trait;
use relais_core::audit::AuditEvent;
use relais_core::{
    AlertEventId, AlertRuleId, ChannelId, ListenQueryId, ListenSourceId, MentionId, Timestamp,
    UserId, WorkspaceId,
};
use serde::Serialize;

use crate::StoreResult;

stored_as_text!(
    /// What a query stands for, for share of voice.
    QueryRole {
        Brand = "brand",
        Competitor = "competitor",
        Topic = "topic",
    }
);

stored_as_text!(
    /// Where mentions come from.
    SourceKind {
        /// An RSS, Atom or JSON feed.
        Feed = "feed",
        /// A web page watched for changes.
        Page = "page",
        Bluesky = "bluesky",
        Mastodon = "mastodon",
        X = "x",
        Youtube = "youtube",
        Reddit = "reddit",
    }
);

stored_as_text!(
    /// A mention's tone.
    Sentiment {
        Negative = "negative",
        Neutral = "neutral",
        Positive = "positive",
    }
);

stored_as_text!(
    /// What an alert rule watches.
    AlertKind {
        /// The hourly count of mentions rises above its baseline.
        VolumeSpike = "volume_spike",
        /// The hourly share of negative mentions rises above its baseline.
        NegativeSpike = "negative_spike",
        /// A new mention matches the rule's keywords.
        Keyword = "keyword",
    }
);

stored_as_text!(
    /// When an alert rule's alerts are sent.
    Delivery {
        Instant = "instant",
        Daily = "daily",
        Weekly = "weekly",
    }
);

/// Bytes sealed by the vault (a webhook's signing secret). Shown as `(sealed)` in logs and
/// debug output, and never serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedBytes(pub Vec<u8>);

impl std::fmt::Debug for SealedBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(sealed)")
    }
}

// ----- queries -----

/// What a workspace watches for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ListenQuery {
    pub id: ListenQueryId,
    pub workspace_id: WorkspaceId,
    /// Unique in the workspace.
    pub name: String,
    /// The text of the query language (parsed by the caller, kept as written).
    pub query: String,
    pub role: QueryRole,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct NewListenQuery {
    pub id: ListenQueryId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub query: String,
    pub role: QueryRole,
    pub created_by: Option<UserId>,
}

// ----- sources -----

/// The poller's state of a source, written whole after every poll.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PollState {
    /// Validators for the next conditional request.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Hash of a watched page's content, to tell a change.
    pub content_hash: Option<String>,
    /// Where a network's search resumes (its paging cursor, the newest id seen).
    pub cursor: Option<String>,
    /// `None`: poll at the first chance (a new source).
    pub next_poll_at: Option<Timestamp>,
    /// Failures in a row, for the back-off; 0 after a good poll.
    pub failures: u32,
    pub last_success_at: Option<Timestamp>,
    /// Why the last failed poll failed, in words a person can act on.
    pub last_error: Option<String>,
    pub last_error_at: Option<Timestamp>,
    /// How many items the last good poll found.
    pub last_items: Option<u64>,
}

/// A place polled for mentions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ListenSource {
    pub id: ListenSourceId,
    pub workspace_id: WorkspaceId,
    pub kind: SourceKind,
    /// A URL (feeds, pages) or search terms (networks).
    pub target: String,
    pub label: Option<String>,
    pub interval_secs: u32,
    pub enabled: bool,
    /// The account whose credentials a network's search uses.
    pub channel_id: Option<ChannelId>,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    pub poll: PollState,
}

#[derive(Clone, Debug)]
pub struct NewListenSource {
    pub id: ListenSourceId,
    pub workspace_id: WorkspaceId,
    pub kind: SourceKind,
    pub target: String,
    pub label: Option<String>,
    pub interval_secs: u32,
    pub enabled: bool,
    /// Must be a channel of the same workspace.
    pub channel_id: Option<ChannelId>,
    pub created_by: Option<UserId>,
}

// ----- mentions -----

/// One item found, as analysed by the pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMention {
    /// Made by the caller (ids grow with arrival: the near-duplicate folder takes the smallest
    /// as the first of a content).
    pub id: MentionId,
    pub workspace_id: WorkspaceId,
    /// The source that found it; ignored (kept `None`) unless a source of the same workspace.
    pub source_id: Option<ListenSourceId>,
    pub source_kind: SourceKind,
    /// Its identity at its source: a second find of the same key is not stored again.
    pub key: String,
    pub url: Option<String>,
    pub title: Option<String>,
    pub text: String,
    pub author: Option<String>,
    pub reach: Option<u64>,
    pub site: Option<String>,
    pub lang: Option<String>,
    pub sentiment: Sentiment,
    /// The sentiment score, -1000..=1000 (thousandths).
    pub score_milli: i64,
    pub fingerprint: Option<u64>,
    /// The first mention of the same content: stored earlier, or earlier in the same batch.
    pub duplicate_of: Option<MentionId>,
    /// The time it counts at: its publication time, or when it was found.
    pub at: Timestamp,
    pub found_at: Timestamp,
    /// The queries it matched; those not of its workspace are left out.
    pub query_ids: Vec<ListenQueryId>,
}

/// A stored mention, with its tags and the queries it matched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mention {
    pub id: MentionId,
    pub workspace_id: WorkspaceId,
    /// `None` once its source is deleted.
    pub source_id: Option<ListenSourceId>,
    pub source_kind: SourceKind,
    pub key: String,
    pub url: Option<String>,
    pub title: Option<String>,
    pub text: String,
    pub author: Option<String>,
    pub reach: Option<u64>,
    pub site: Option<String>,
    pub lang: Option<String>,
    pub sentiment: Sentiment,
    pub score_milli: i64,
    pub fingerprint: Option<u64>,
    pub duplicate_of: Option<MentionId>,
    pub at: Timestamp,
    pub found_at: Timestamp,
    pub muted: bool,
    pub inbox_sent_at: Option<Timestamp>,
    /// By name.
    pub tags: Vec<String>,
    pub query_ids: Vec<ListenQueryId>,
}

/// Which mentions to list. The default lists every first mention (not a duplicate) that is not
/// muted.
#[derive(Clone, Debug, Default)]
pub struct MentionFilter {
    pub query: Option<ListenQueryId>,
    pub sentiment: Option<Sentiment>,
    /// As stored (`fr`, `en`).
    pub lang: Option<String>,
    pub source_kind: Option<SourceKind>,
    /// The exact author.
    pub author: Option<String>,
    /// `at` in `[from, to)`.
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub tag: Option<String>,
    pub include_muted: bool,
    pub include_duplicates: bool,
    /// Found in the text or the title, ignoring case (ASCII letters only on SQLite: `É` and `é`
    /// differ there).
    pub text: Option<String>,
    /// Only mentions stored after this moment, whenever they were published: what arrived since
    /// a page was shown.
    pub found_after: Option<Timestamp>,
    /// Keyset paging: only mentions older than this `(at, id)`, the last of the page before.
    pub before: Option<(Timestamp, MentionId)>,
}

/// Mentions in one time bucket. Duplicates and muted mentions are not counted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeriesPoint {
    /// `None` in the series of every mention of the workspace.
    pub query_id: Option<ListenQueryId>,
    pub bucket_start: Timestamp,
    pub total: u64,
    pub negative: u64,
    pub neutral: u64,
    pub positive: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TopAuthor {
    pub author: String,
    pub mentions: u64,
    /// The largest audience any of their mentions told.
    pub max_reach: Option<u64>,
}

/// What a top-terms count reads of a mention.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MentionText {
    pub title: Option<String>,
    pub text: String,
    /// For the language's stop words.
    pub lang: Option<String>,
}

// ----- alerts -----

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AlertRule {
    pub id: AlertRuleId,
    pub workspace_id: WorkspaceId,
    /// Unique in the workspace.
    pub name: String,
    pub kind: AlertKind,
    /// For spikes: whose series is watched (`None`: every mention).
    pub query_id: Option<ListenQueryId>,
    /// For `keyword`: a query text new mentions are matched against.
    pub keywords: Option<String>,
    /// A spike's k (standard deviations above the mean), in thousandths.
    pub k_milli: i64,
    /// Fewest mentions in an hour for a spike.
    pub min_mentions: u32,
    pub delivery: Delivery,
    pub email: Option<String>,
    pub webhook_url: Option<String>,
    #[serde(skip)]
    pub webhook_secret: Option<SealedBytes>,
    pub enabled: bool,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    pub last_fired_at: Option<Timestamp>,
}

#[derive(Clone, Debug)]
pub struct NewAlertRule {
    /// Made by the caller, so that the webhook secret can be sealed to it.
    pub id: AlertRuleId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub kind: AlertKind,
    /// Must be a query of the same workspace.
    pub query_id: Option<ListenQueryId>,
    pub keywords: Option<String>,
    pub k_milli: i64,
    pub min_mentions: u32,
    pub delivery: Delivery,
    pub email: Option<String>,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<SealedBytes>,
    pub enabled: bool,
    pub created_by: Option<UserId>,
}

/// An alert raised by a rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AlertEvent {
    pub id: AlertEventId,
    pub workspace_id: WorkspaceId,
    pub rule_id: AlertRuleId,
    pub fired_at: Timestamp,
    /// The rule's kind when it fired.
    pub kind: AlertKind,
    /// One line for people ("42 mentions of Acme in the hour, usually 6").
    pub summary: String,
    /// What was measured and what it went above, in thousandths.
    pub value_milli: i64,
    pub threshold_milli: i64,
    /// For a spike: the hour's start.
    pub bucket_start: Option<Timestamp>,
    /// For a keyword: the mention that matched (`None` once it is deleted).
    pub mention_id: Option<MentionId>,
    pub sent_at: Option<Timestamp>,
    /// Why the last try to send it failed.
    pub last_attempt_error: Option<String>,
}

/// An alert to record. A rule fires once per `bucket_start` and once per `mention_id`.
#[derive(Clone, Debug)]
pub struct NewAlertEvent {
    pub workspace_id: WorkspaceId,
    pub rule_id: AlertRuleId,
    pub fired_at: Timestamp,
    pub summary: String,
    pub value_milli: i64,
    pub threshold_milli: i64,
    pub bucket_start: Option<Timestamp>,
    pub mention_id: Option<MentionId>,
}

#[async_trait]
pub trait ListeningStore: Send + Sync {
    // ----- queries -----
    /// [`crate::Conflict::Other`] when the workspace has a query of that name.
    async fn create_listen_query(
        &self,
        query: NewListenQuery,
        audit: AuditEvent,
    ) -> StoreResult<ListenQuery>;
    /// By name.
    async fn listen_queries(&self, workspace: WorkspaceId) -> StoreResult<Vec<ListenQuery>>;
    async fn listen_query(
        &self,
        workspace: WorkspaceId,
        id: ListenQueryId,
    ) -> StoreResult<Option<ListenQuery>>;
    /// Renames and rewrites a query; `None` when the workspace has no such query,
    /// [`crate::Conflict::Other`] when the name is another query's. Mentions already matched
    /// keep their matches.
    async fn update_listen_query(
        &self,
        workspace: WorkspaceId,
        id: ListenQueryId,
        name: &str,
        query: &str,
        role: QueryRole,
        audit: AuditEvent,
    ) -> StoreResult<Option<ListenQuery>>;
    /// Deletes a query with its matches and the alert rules watching it (with their alerts);
    /// the mentions stay. `false` when there was none.
    async fn delete_listen_query(
        &self,
        workspace: WorkspaceId,
        id: ListenQueryId,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
    /// Every workspace's queries, for the worker that matches them all at once.
    async fn all_listen_queries(&self) -> StoreResult<Vec<ListenQuery>>;

    // ----- sources -----
    /// [`crate::Conflict::Other`] when the workspace has a source of that kind and target;
    /// [`crate::StoreError::NotFound`] when the channel is not one of the workspace's.
    async fn create_listen_source(
        &self,
        source: NewListenSource,
        audit: AuditEvent,
    ) -> StoreResult<ListenSource>;
    /// Oldest first.
    async fn listen_sources(&self, workspace: WorkspaceId) -> StoreResult<Vec<ListenSource>>;
    async fn listen_source(
        &self,
        workspace: WorkspaceId,
        id: ListenSourceId,
    ) -> StoreResult<Option<ListenSource>>;
    /// The mentions it found stay (without their source).
    async fn delete_listen_source(
        &self,
        workspace: WorkspaceId,
        id: ListenSourceId,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
    /// Changes a source's label (`None` removes it) and polling interval (from its next poll
    /// on); `false` when the workspace has no such source.
    async fn update_listen_source(
        &self,
        workspace: WorkspaceId,
        id: ListenSourceId,
        label: Option<&str>,
        interval_secs: u32,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
    async fn set_listen_source_enabled(
        &self,
        workspace: WorkspaceId,
        id: ListenSourceId,
        enabled: bool,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
    /// Enabled sources of every workspace whose `next_poll_at` is `now` or earlier (or unset),
    /// the longest waiting first. Reads only: the caller holds the polling job's lease.
    async fn due_sources(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<ListenSource>>;
    /// Writes a poll's outcome (every poll-state column); `false` when the source is gone.
    async fn record_poll(&self, source: ListenSourceId, poll: PollState) -> StoreResult<bool>;

    // ----- mentions -----
    /// Stores mentions with their matches in one transaction. A mention whose workspace already
    /// has its source kind and key is skipped (`None` at its place in the answer; later
    /// mentions of the batch naming it as their first are pointed at the stored one).
    async fn insert_mentions(
        &self,
        mentions: Vec<NewMention>,
    ) -> StoreResult<Vec<Option<MentionId>>>;
    /// Newest first (by `at`, then id), at most `limit`.
    async fn mentions(
        &self,
        workspace: WorkspaceId,
        filter: &MentionFilter,
        limit: u32,
    ) -> StoreResult<Vec<Mention>>;
    async fn mention(&self, workspace: WorkspaceId, id: MentionId) -> StoreResult<Option<Mention>>;
    /// `false` when the workspace has no such mention.
    async fn set_mention_muted(
        &self,
        workspace: WorkspaceId,
        id: MentionId,
        muted: bool,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
    /// Puts a tag (as given) on a mention; `false` when the workspace has no such mention.
    /// Tagging twice keeps one tag and writes no second audit line.
    async fn tag_mention(
        &self,
        workspace: WorkspaceId,
        id: MentionId,
        tag: &str,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
    /// `false` when the mention had no such tag.
    async fn untag_mention(
        &self,
        workspace: WorkspaceId,
        id: MentionId,
        tag: &str,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
    /// Records that the mention went to the inbox at `at`; `false` when it had already gone
    /// (or does not exist), so that two clicks send it once.
    async fn mark_mention_sent_to_inbox(
        &self,
        workspace: WorkspaceId,
        id: MentionId,
        at: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
    /// The fingerprints of the latest first mentions (not duplicates) found since `since`,
    /// oldest first, at most `limit`: what the near-duplicate folder remembers at start.
    async fn latest_fingerprints(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<(MentionId, u64)>>;

    // ----- statistics (duplicates and muted mentions are never counted) -----
    /// Mentions with `at` in `[from, to)`, counted by buckets of `bucket_ms` starting at
    /// `from`, by sentiment: one series per query of `query_ids` (a mention counts in each
    /// query it matched), or with `None` one series of every mention, each counted once.
    /// Buckets without mentions are left out; oldest first, by query.
    async fn mention_series(
        &self,
        workspace: WorkspaceId,
        query_ids: Option<&[ListenQueryId]>,
        from: Timestamp,
        to: Timestamp,
        bucket_ms: i64,
    ) -> StoreResult<Vec<SeriesPoint>>;
    /// The authors with most mentions in `[from, to)` (of `query`, or of any), most first.
    async fn top_authors(
        &self,
        workspace: WorkspaceId,
        query: Option<ListenQueryId>,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<TopAuthor>>;
    /// The texts of mentions in `[from, to)` (of `query`, or of any), newest first, for a
    /// count of top terms.
    async fn mention_texts(
        &self,
        workspace: WorkspaceId,
        query: Option<ListenQueryId>,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<MentionText>>;

    // ----- alerts -----
    /// [`crate::Conflict::Other`] when the workspace has a rule of that name;
    /// [`crate::StoreError::NotFound`] when the query is not one of the workspace's.
    async fn create_alert_rule(
        &self,
        rule: NewAlertRule,
        audit: AuditEvent,
    ) -> StoreResult<AlertRule>;
    /// By name.
    async fn alert_rules(&self, workspace: WorkspaceId) -> StoreResult<Vec<AlertRule>>;
    async fn alert_rule(
        &self,
        workspace: WorkspaceId,
        id: AlertRuleId,
    ) -> StoreResult<Option<AlertRule>>;
    /// Deletes a rule with its alerts.
    async fn delete_alert_rule(
        &self,
        workspace: WorkspaceId,
        id: AlertRuleId,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
    async fn set_alert_rule_enabled(
        &self,
        workspace: WorkspaceId,
        id: AlertRuleId,
        enabled: bool,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
    /// Every workspace's rules, disabled ones included, by workspace and name.
    async fn all_alert_rules(&self) -> StoreResult<Vec<AlertRule>>;
    /// Records an alert and the rule's `last_fired_at`; `None` when the rule already fired for
    /// this bucket or this mention. [`crate::StoreError::NotFound`] when the rule, or the
    /// mention, is not of the workspace.
    async fn record_alert_event(&self, event: NewAlertEvent) -> StoreResult<Option<AlertEvent>>;
    /// Newest first.
    async fn alert_events(
        &self,
        workspace: WorkspaceId,
        limit: u32,
    ) -> StoreResult<Vec<AlertEvent>>;
    /// A rule's alerts not yet sent, oldest first (what a digest or an instant send takes).
    async fn unsent_alert_events(
        &self,
        rule: AlertRuleId,
        limit: u32,
    ) -> StoreResult<Vec<AlertEvent>>;
    /// Marks alerts sent at `at` (those not sent already); returns how many were marked.
    async fn mark_alert_events_sent(&self, ids: &[AlertEventId], at: Timestamp)
    -> StoreResult<u64>;
    /// Records why sending an alert failed; `false` when it is gone.
    async fn record_alert_error(&self, id: AlertEventId, error: &str) -> StoreResult<bool>;
}

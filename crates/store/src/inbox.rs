//! What the team inbox keeps: contacts and their accounts, conversations with their messages
//! (received and sent), tags, notes, who is looking at what, canned replies, saved columns,
//! each workspace's inbox settings, each channel's reading state, moderation rules and the
//! review queue.
//!
//! A trait of its own ([`InboxStore`], a supertrait of [`crate::Store`]); both backends implement
//! it from one body of SQL (`sql_inbox.rs`), checked by the scenarios of `conformance/inbox.rs`.
//!
//! Everything a person asks for is scoped to a workspace, and what a person changes is written
//! with its [`AuditEvent`]. The inbox worker's writes (ingesting messages, a reply's outcome,
//! a channel's reading state, moderation verdicts, reviews it opens) are not audited; the
//! moderation *actions* taken on the networks are, whoever takes them: hiding and deleting
//! through [`InboxStore::set_message_network_state`], the others (mute, block, report) through
//! [`crate::Store::record_audit`].
//!
//! Threading is decided by the caller (the pure core, `relais-inbox`), which names the network
//! ids a new message may belong under ([`NewInboxMessage::thread_candidates`]); the store finds
//! the first one it knows, in one transaction with the insert, so that two paths delivering
//! the same thread at once cannot split it.

use async_trait::async_trait;
use relais_core::audit::AuditEvent;
use relais_core::{
    CannedReplyId, ChannelId, ContactId, ConversationId, InboxColumnId, InboxMessageId,
    ModerationRuleId, NoteId, ReviewId, Timestamp, UserId, WorkspaceId,
};
use serde::{Deserialize, Serialize};

use crate::StoreResult;

stored_as_text!(
    /// Where a conversation stands for the team. Snoozing keeps a conversation open with a
    /// time before which it is out of the way ([`Conversation::snoozed_until`]).
    ConversationStatus {
        /// Someone must act.
        Open = "open",
        /// Waiting on the other side (an answer, a piece of information).
        Pending = "pending",
        /// Done. A new message from the other side opens it again.
        Closed = "closed",
    }
);

stored_as_text!(
    /// Why a message is in the inbox (as `relais_networks::inbox::MessageKind` says), or
    /// `Outgoing` for what the team sent.
    MessageKind {
        Mention = "mention",
        Reply = "reply",
        Comment = "comment",
        Quote = "quote",
        Repost = "repost",
        Direct = "direct",
        /// Sent over from listening by a person.
        Listening = "listening",
        /// Written by the team.
        Outgoing = "outgoing",
    }
);

/// A saved column keeps its [`ConversationFilter`] as JSON, so the enums it holds read back
/// from the same texts they are stored as (`stored_as_text!` only writes them).
macro_rules! read_from_stored_text {
    ($($name:ident),+) => {
        $(
            impl<'de> Deserialize<'de> for $name {
                fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    let text = String::deserialize(d)?;
                    $name::parse(&text).ok_or_else(|| {
                        serde::de::Error::custom(format!(
                            "`{text}` is not a {} (one of: {})",
                            stringify!($name),
                            $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
                        ))
                    })
                }
            }
        )+
    };
}

read_from_stored_text!(ConversationStatus, MessageKind);

stored_as_text!(
    /// Where a message is between the network and the team.
    DeliveryState {
        /// Came from the network.
        Received = "received",
        /// A contributor's reply waiting for an editor (the workspace asks for it).
        AwaitingApproval = "awaiting_approval",
        /// A reply handed to the worker, not yet confirmed by the network.
        Queued = "queued",
        /// On the network ([`InboxMessage::network_id`] is set).
        Sent = "sent",
        /// Refused for good ([`InboxMessage::delivery_error`] says why); never retried.
        Failed = "failed",
    }
);

stored_as_text!(
    /// What the network shows of a received message after moderation.
    NetworkState {
        Visible = "visible",
        Hidden = "hidden",
        Deleted = "deleted",
    }
);

stored_as_text!(
    /// A review's outcome.
    ReviewStatus {
        Pending = "pending",
        /// Looked at and left as it is.
        Approved = "approved",
        /// Hidden or deleted on the network.
        Removed = "removed",
    }
);

/// A network account as a message presents its author.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NewContactAccount {
    pub network: String,
    /// The network's stable id for the account (a DID, an account id).
    pub author_id: String,
    pub handle: String,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
    pub profile_url: Option<String>,
    pub followers: Option<u64>,
    pub account_created_at: Option<Timestamp>,
}

/// A message to add, as read from a network (or sent over from listening).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewInboxMessage {
    /// Made by the caller; unused when the message is already stored.
    pub id: InboxMessageId,
    pub network_id: String,
    pub kind: MessageKind,
    pub author: NewContactAccount,
    pub text: String,
    pub lang: Option<String>,
    pub url: Option<String>,
    pub version: Option<String>,
    pub parent_id: Option<String>,
    pub root_id: Option<String>,
    /// The root's version (AT Protocol's CID), which a reply under the same root must name.
    pub root_version: Option<String>,
    pub sent_at: Timestamp,
    /// Network ids the message may belong under, best first (its parent, its root, a private
    /// thread's id): the conversation of the first one known to the store, as a stored
    /// message's id or as a conversation's thread key, gets it.
    pub thread_candidates: Vec<String>,
    /// The thread key of the conversation created when no candidate is known.
    pub new_thread_key: String,
}

/// What became of one [`NewInboxMessage`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ingested {
    pub message_id: InboxMessageId,
    pub conversation_id: ConversationId,
    pub contact_id: Option<ContactId>,
    /// Already stored (it came by another path): nothing changed.
    pub duplicate: bool,
    /// The message started a conversation.
    pub new_conversation: bool,
    /// The message opened a closed, pending or snoozed conversation again.
    pub reopened: bool,
}

/// A conversation as lists and pages show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub workspace_id: WorkspaceId,
    pub channel_id: Option<ChannelId>,
    /// The channel's network and name, for display (`None` without a channel).
    pub network: Option<String>,
    pub channel_name: Option<String>,
    pub thread_key: String,
    pub kind: MessageKind,
    pub status: ConversationStatus,
    pub assignee_id: Option<UserId>,
    pub assignee_name: Option<String>,
    pub snoozed_until: Option<Timestamp>,
    pub contact_id: Option<ContactId>,
    pub contact_name: Option<String>,
    pub contact_handle: Option<String>,
    pub preview: String,
    pub message_count: u64,
    pub last_message_at: Timestamp,
    /// When the oldest message the team has not answered arrived (`None` when the team spoke
    /// last): where the response clock starts.
    pub awaiting_since: Option<Timestamp>,
    pub first_inbound_at: Option<Timestamp>,
    pub first_response_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    /// The last failure on the conversation (a reply the network refused), for people to see.
    pub problem: Option<String>,
    pub tags: Vec<String>,
    pub created_at: Timestamp,
}

/// Who a conversation filter keeps by assignee.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssigneeFilter {
    Unassigned,
    User(UserId),
}

/// Which conversations a list shows (also the JSON of a saved column). Every field narrows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConversationFilter {
    pub status: Option<ConversationStatus>,
    /// `Some(true)`: only snoozed ones (snoozed until after `now`); `Some(false)`: none of them.
    pub snoozed: Option<bool>,
    pub assignee: Option<AssigneeFilter>,
    pub channel: Option<ChannelId>,
    pub kind: Option<MessageKind>,
    pub tag: Option<String>,
    pub contact: Option<ContactId>,
    /// Only conversations waiting for an answer since before this time (overdue ones, when it
    /// is now minus the workspace's target).
    pub awaiting_before: Option<Timestamp>,
}

/// A message of a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InboxMessage {
    pub id: InboxMessageId,
    pub workspace_id: WorkspaceId,
    pub conversation_id: ConversationId,
    pub channel_id: Option<ChannelId>,
    pub network_id: Option<String>,
    /// `true` for what the team sent.
    pub outgoing: bool,
    pub kind: MessageKind,
    pub contact_id: Option<ContactId>,
    pub author_id: Option<String>,
    pub author_handle: String,
    pub author_name: Option<String>,
    pub text: String,
    pub lang: Option<String>,
    pub url: Option<String>,
    pub version: Option<String>,
    pub parent_id: Option<String>,
    pub root_id: Option<String>,
    pub root_version: Option<String>,
    pub sent_at: Timestamp,
    pub received_at: Timestamp,
    /// The member who wrote a reply.
    pub sender_id: Option<UserId>,
    pub delivery: DeliveryState,
    pub delivery_error: Option<String>,
    pub approved_by: Option<UserId>,
    /// 0..=1000.
    pub toxicity_milli: Option<i64>,
    /// The moderation verdict's JSON, as relais-moderation wrote it.
    pub moderation: Option<serde_json::Value>,
    pub network_state: NetworkState,
}

/// A reply written in a conversation.
#[derive(Clone, Debug)]
pub struct NewReply {
    pub id: InboxMessageId,
    pub conversation_id: ConversationId,
    /// The member who wrote it; `None` for an automatic reply of a moderation rule.
    pub sender_id: Option<UserId>,
    /// The sender's name as the conversation shows it.
    pub sender_label: String,
    pub text: String,
    /// [`DeliveryState::AwaitingApproval`] or [`DeliveryState::Queued`].
    pub delivery: DeliveryState,
    pub written_at: Timestamp,
    /// The job that sends a queued reply, queued in the same transaction: a reply is never
    /// left queued with nothing to send it.
    pub send: Option<crate::NewJob>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    pub id: NoteId,
    pub conversation_id: ConversationId,
    pub author_id: Option<UserId>,
    pub author_label: String,
    pub text: String,
    pub created_at: Timestamp,
}

/// Someone with a conversation open now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Presence {
    pub user_id: UserId,
    pub user_name: String,
    /// Writing a reply (the collision warning), not only reading.
    pub replying: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContactAccount {
    pub contact_id: ContactId,
    pub network: String,
    pub author_id: String,
    pub handle: String,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
    pub profile_url: Option<String>,
    pub followers: Option<u64>,
    pub account_created_at: Option<Timestamp>,
    pub first_seen_at: Timestamp,
    pub last_seen_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub id: ContactId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub note: Option<String>,
    pub accounts: Vec<ContactAccount>,
    /// Conversations with this contact, all statuses.
    pub conversation_count: u64,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CannedReply {
    pub id: CannedReplyId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    /// `fr` or `en`.
    pub lang: String,
    pub body: String,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCannedReply {
    pub id: CannedReplyId,
    pub name: String,
    pub lang: String,
    pub body: String,
    pub created_by: Option<UserId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InboxColumn {
    pub id: InboxColumnId,
    pub workspace_id: WorkspaceId,
    /// `None`: the whole team's column; else one member's.
    pub user_id: Option<UserId>,
    pub name: String,
    pub filter: ConversationFilter,
    pub position: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewInboxColumn {
    pub id: InboxColumnId,
    pub user_id: Option<UserId>,
    pub name: String,
    pub filter: ConversationFilter,
}

/// Marks of the last changes to what the inbox pages show of a workspace. Every change to a
/// conversation that a list shows moves `conversations` (see
/// [`InboxStore::conversations_changed_since`]); saving the settings moves `settings`; adding,
/// changing or removing a channel moves `channels`; adding or removing a member or a saved
/// column moves `members` or `columns`. What none of them sees: what time alone changes (a
/// snooze ending, a conversation falling overdue), erased conversations, a member renaming
/// themselves; a reader of these marks bounds those by time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InboxVersion {
    /// The latest change to any conversation.
    pub conversations: Option<Timestamp>,
    pub settings: Option<Timestamp>,
    /// How many channels, and their latest change.
    pub channels: (u64, Option<Timestamp>),
    /// How many members.
    pub members: u64,
    /// How many saved columns, and when the newest was made (columns are not edited).
    pub columns: (u64, Option<Timestamp>),
}

impl InboxVersion {
    /// The newest of its times.
    pub fn newest(&self) -> Option<Timestamp> {
        [
            self.conversations,
            self.settings,
            self.channels.1,
            self.columns.1,
        ]
        .into_iter()
        .flatten()
        .max()
    }
}

/// A workspace's inbox settings; [`InboxSettings::default`] until someone saves them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct InboxSettings {
    /// Target for the first answer, in minutes (`None`: no target).
    pub first_response_minutes: Option<u32>,
    /// Target for closing a conversation, in minutes.
    pub resolution_minutes: Option<u32>,
    /// Contributors' replies wait for an editor's approval.
    pub approve_contributor_replies: bool,
    /// The netiquette, in plain text with blank lines between paragraphs.
    pub netiquette: String,
    /// Whether `/n/{slug}` shows the netiquette to the public.
    pub netiquette_public: bool,
}

/// Where reading a channel's inbox stands.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct InboxChannelState {
    pub poll_cursor: Option<String>,
    pub stream_cursor: Option<String>,
    pub next_poll_at: Option<Timestamp>,
    pub failures: u32,
    pub last_success_at: Option<Timestamp>,
    pub last_error: Option<String>,
    pub last_error_at: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ModerationRuleRow {
    pub id: ModerationRuleId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    /// The rule as relais-moderation reads it (kind, settings, actions).
    pub rule: serde_json::Value,
    pub enabled: bool,
    pub position: i64,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewModerationRule {
    pub id: ModerationRuleId,
    pub name: String,
    pub rule: serde_json::Value,
    pub enabled: bool,
    pub created_by: Option<UserId>,
}

/// A message held for review, with the message itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Review {
    pub id: ReviewId,
    pub workspace_id: WorkspaceId,
    pub message: InboxMessage,
    /// What matched, as relais-moderation wrote it.
    pub reasons: serde_json::Value,
    pub status: ReviewStatus,
    pub created_at: Timestamp,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<Timestamp>,
}

/// The times of one conversation, for response-time figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SlaSample {
    pub conversation_id: ConversationId,
    pub channel_id: Option<ChannelId>,
    pub assignee_id: Option<UserId>,
    pub status: ConversationStatus,
    pub first_inbound_at: Option<Timestamp>,
    pub first_response_at: Option<Timestamp>,
    pub awaiting_since: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
}

#[async_trait]
pub trait InboxStore: Send + Sync {
    // ----- ingest (the worker; not audited) -----

    /// Adds messages to `channel`'s conversations, oldest first so that an answer finds the
    /// message it answers in the same batch. A message already stored for the channel (by
    /// network id) is reported as a duplicate and changes nothing. Each new message creates
    /// or refreshes its author's contact account (and contact), updates its conversation's
    /// preview, counters and response clock, and opens a closed, pending or snoozed
    /// conversation again.
    async fn ingest_messages(
        &self,
        workspace: WorkspaceId,
        channel: Option<ChannelId>,
        messages: &[NewInboxMessage],
        received_at: Timestamp,
    ) -> StoreResult<Vec<Ingested>>;

    /// The reading state of a channel's inbox (`None` before the first read).
    async fn inbox_channel_state(
        &self,
        channel: ChannelId,
    ) -> StoreResult<Option<InboxChannelState>>;

    /// Replaces the reading state of a channel's inbox.
    async fn save_inbox_channel_state(
        &self,
        workspace: WorkspaceId,
        channel: ChannelId,
        state: &InboxChannelState,
    ) -> StoreResult<()>;

    /// What an author wrote in the workspace since `since`, newest first, at most `limit`
    /// (moderation's repeated-message rule).
    async fn author_recent_messages(
        &self,
        workspace: WorkspaceId,
        author_id: &str,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<InboxMessage>>;

    /// Records the moderation verdict of a received message (toxicity 0..=1000 and the
    /// verdict's JSON, `None` when no rule matched).
    async fn set_message_moderation(
        &self,
        workspace: WorkspaceId,
        message: InboxMessageId,
        toxicity_milli: Option<i64>,
        verdict: Option<&serde_json::Value>,
    ) -> StoreResult<()>;

    /// Holds a message for review (once per message: a second call returns the first review).
    async fn open_review(
        &self,
        workspace: WorkspaceId,
        id: ReviewId,
        message: InboxMessageId,
        reasons: &serde_json::Value,
        at: Timestamp,
    ) -> StoreResult<ReviewId>;

    // ----- replies -----

    /// Adds a reply to a conversation, in the state `reply.delivery` says. Returns `None` when
    /// the conversation is not in the workspace.
    async fn add_reply(
        &self,
        workspace: WorkspaceId,
        reply: NewReply,
        audit: AuditEvent,
    ) -> StoreResult<Option<InboxMessage>>;

    /// Lets a reply waiting for approval go, queueing `send` (the job that sends it) in the
    /// same transaction, so that an approved reply always has its job: `false`, and nothing
    /// queued, when it was not waiting (already approved, or not a reply of this workspace).
    async fn approve_reply(
        &self,
        workspace: WorkspaceId,
        message: InboxMessageId,
        approver: UserId,
        send: crate::NewJob,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    /// Records that the network has a reply: its network id and address; the conversation's
    /// response clock stops (first response time, nothing awaiting) and its problem clears.
    /// `false` when the message is not a queued reply (already recorded: a retried job).
    async fn reply_sent(
        &self,
        workspace: WorkspaceId,
        message: InboxMessageId,
        network_id: &str,
        version: Option<&str>,
        url: Option<&str>,
        at: Timestamp,
    ) -> StoreResult<bool>;

    /// Records that a reply was refused for good, and shows why on its conversation.
    async fn reply_failed(
        &self,
        workspace: WorkspaceId,
        message: InboxMessageId,
        reason: &str,
    ) -> StoreResult<()>;

    /// Shows a passing problem on a conversation (a reply that will be retried), or clears it.
    async fn set_conversation_problem(
        &self,
        workspace: WorkspaceId,
        conversation: ConversationId,
        problem: Option<&str>,
    ) -> StoreResult<()>;

    // ----- reading -----

    /// Conversations matching `filter`, most recent activity first, after the keyset cursor
    /// `after` ((last_message_at, id) of the last row of the previous page). `now` decides what
    /// is snoozed.
    async fn list_conversations(
        &self,
        workspace: WorkspaceId,
        filter: &ConversationFilter,
        now: Timestamp,
        after: Option<(Timestamp, ConversationId)>,
        limit: u32,
    ) -> StoreResult<Vec<Conversation>>;

    /// How many conversations `filter` holds, counted up to `cap` (the answer is `cap` when
    /// there are more): a column says "1 000+" rather than walking a whole busy inbox.
    async fn count_conversations(
        &self,
        workspace: WorkspaceId,
        filter: &ConversationFilter,
        now: Timestamp,
        cap: u64,
    ) -> StoreResult<u64>;

    /// Where the workspace's inbox stands (one query): what the inbox pages read stays right
    /// while it holds. See [`InboxVersion`].
    async fn inbox_version(&self, workspace: WorkspaceId) -> StoreResult<InboxVersion>;

    async fn conversation(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
    ) -> StoreResult<Option<Conversation>>;

    /// The conversations of the workspace changed after `since` (a message, a status, an
    /// assignment, a tag…), with the time of their last change, oldest change first, at most
    /// `limit`: what live pages poll to know which rows to draw again.
    async fn conversations_changed_since(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<(ConversationId, Timestamp)>>;

    /// A conversation's messages, oldest first.
    async fn conversation_messages(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
    ) -> StoreResult<Vec<InboxMessage>>;

    async fn inbox_message(
        &self,
        workspace: WorkspaceId,
        id: InboxMessageId,
    ) -> StoreResult<Option<InboxMessage>>;

    /// A message of the workspace by its network id (on `channel`, or without a channel).
    async fn inbox_message_by_network_id(
        &self,
        workspace: WorkspaceId,
        channel: Option<ChannelId>,
        network_id: &str,
    ) -> StoreResult<Option<InboxMessage>>;

    // ----- team work (audited) -----

    /// `false` when the conversation is not in the workspace.
    async fn assign_conversation(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
        assignee: Option<UserId>,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    /// Sets the status; `snoozed_until` (only with [`ConversationStatus::Open`]) puts it out of
    /// the way until then. Closing records the time (resolution), opening clears it.
    async fn set_conversation_status(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
        status: ConversationStatus,
        snoozed_until: Option<Timestamp>,
        now: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    async fn tag_conversation(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
        tag: &str,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    async fn untag_conversation(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
        tag: &str,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    /// The workspace's tags in use, with how many conversations carry each.
    async fn conversation_tags(&self, workspace: WorkspaceId) -> StoreResult<Vec<(String, u64)>>;

    async fn add_note(
        &self,
        workspace: WorkspaceId,
        note: Note,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    async fn conversation_notes(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
    ) -> StoreResult<Vec<Note>>;

    /// Says that `user` has the conversation open (writing a reply or not) until `until`.
    async fn touch_presence(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
        user: UserId,
        replying: bool,
        until: Timestamp,
    ) -> StoreResult<()>;

    /// Who has the conversation open at `now`.
    async fn presence(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
        now: Timestamp,
    ) -> StoreResult<Vec<Presence>>;

    /// Marks a received message hidden or deleted on the network (a moderation action, done
    /// by a person or by a rule: the audit event says who and why).
    async fn set_message_network_state(
        &self,
        workspace: WorkspaceId,
        message: InboxMessageId,
        state: NetworkState,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    // ----- contacts -----

    async fn contact(&self, workspace: WorkspaceId, id: ContactId) -> StoreResult<Option<Contact>>;

    /// Contacts whose name or a handle contains `search` (all when empty), by name.
    async fn contacts(
        &self,
        workspace: WorkspaceId,
        search: &str,
        limit: u32,
    ) -> StoreResult<Vec<Contact>>;

    async fn update_contact(
        &self,
        workspace: WorkspaceId,
        id: ContactId,
        name: &str,
        note: Option<&str>,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    /// Makes one person of two: `absorbed`'s accounts, conversations and messages move to
    /// `kept`, and `absorbed` is deleted. `false` when either is not in the workspace or they
    /// are the same.
    async fn merge_contacts(
        &self,
        workspace: WorkspaceId,
        kept: ContactId,
        absorbed: ContactId,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    // ----- canned replies, columns, settings -----

    async fn canned_replies(&self, workspace: WorkspaceId) -> StoreResult<Vec<CannedReply>>;

    /// Fails with a conflict when the workspace has a canned reply of that name and language.
    async fn create_canned_reply(
        &self,
        workspace: WorkspaceId,
        reply: NewCannedReply,
        audit: AuditEvent,
    ) -> StoreResult<CannedReply>;

    async fn update_canned_reply(
        &self,
        workspace: WorkspaceId,
        id: CannedReplyId,
        name: &str,
        lang: &str,
        body: &str,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    async fn delete_canned_reply(
        &self,
        workspace: WorkspaceId,
        id: CannedReplyId,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    /// The team's columns and `user`'s own, by position.
    async fn inbox_columns(
        &self,
        workspace: WorkspaceId,
        user: UserId,
    ) -> StoreResult<Vec<InboxColumn>>;

    /// Adds a column after the others.
    async fn create_inbox_column(
        &self,
        workspace: WorkspaceId,
        column: NewInboxColumn,
        audit: AuditEvent,
    ) -> StoreResult<InboxColumn>;

    /// Deletes a column: the team's, or `user`'s own (another member's column is left alone
    /// and `false` is returned).
    async fn delete_inbox_column(
        &self,
        workspace: WorkspaceId,
        id: InboxColumnId,
        user: UserId,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    async fn inbox_settings(&self, workspace: WorkspaceId) -> StoreResult<InboxSettings>;

    async fn save_inbox_settings(
        &self,
        workspace: WorkspaceId,
        settings: &InboxSettings,
        audit: AuditEvent,
    ) -> StoreResult<()>;

    // ----- moderation rules and reviews -----

    /// The workspace's rules, by position.
    async fn moderation_rules(&self, workspace: WorkspaceId)
    -> StoreResult<Vec<ModerationRuleRow>>;

    /// Adds a rule after the others; a conflict when the name is taken.
    async fn create_moderation_rule(
        &self,
        workspace: WorkspaceId,
        rule: NewModerationRule,
        audit: AuditEvent,
    ) -> StoreResult<ModerationRuleRow>;

    async fn update_moderation_rule(
        &self,
        workspace: WorkspaceId,
        id: ModerationRuleId,
        name: &str,
        rule: &serde_json::Value,
        enabled: bool,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    async fn delete_moderation_rule(
        &self,
        workspace: WorkspaceId,
        id: ModerationRuleId,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    /// Reviews in `status`, oldest first.
    async fn reviews(
        &self,
        workspace: WorkspaceId,
        status: ReviewStatus,
        limit: u32,
    ) -> StoreResult<Vec<Review>>;

    async fn review(&self, workspace: WorkspaceId, id: ReviewId) -> StoreResult<Option<Review>>;

    /// Decides a pending review: `false` when it was already decided or is not in the
    /// workspace.
    async fn decide_review(
        &self,
        workspace: WorkspaceId,
        id: ReviewId,
        status: ReviewStatus,
        by: UserId,
        at: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    // ----- figures -----

    /// The response times of conversations that started since `since` (first inbound
    /// message), for figures per member and per channel.
    async fn sla_samples(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> StoreResult<Vec<SlaSample>>;
}

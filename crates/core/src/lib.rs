//! Shared domain types of Relais.
//!
//! Everything here is pure: no I/O, no database, no network. Capabilities build on these types,
//! and the store and web layers convert to and from them at their edges.

pub mod audit;
pub mod error;
pub mod ids;
pub mod role;
pub mod time;
pub mod validate;

pub use error::{DomainError, ErrorCode};
pub use ids::{
    AlertEventId, AlertRuleId, ApiTokenId, AuditId, CannedReplyId, ChannelId, CommentId, ContactId,
    ConversationId, FeedId, FunnelId, GoalId, InboxColumnId, InboxMessageId, InvitationId, JobId,
    LinkId, ListenQueryId, ListenSourceId, MediaId, MentionId, ModerationRuleId, NoteId, PostId,
    ReviewId, SiteId, SlotId, TargetId, UserId, WorkspaceId,
};
pub use role::{Permission, Role};
pub use time::Timestamp;
pub use validate::{DisplayName, Email, Password, Slug};

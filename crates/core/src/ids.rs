//! Typed identifiers. Each kind of row has its own id type so that a user id can never be passed
//! where a workspace id is expected. Ids are UUID v7: unique without coordination between
//! processes, sortable by creation time, and stored as text on both database backends.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh id, ordered after every id made before it in this process.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(value: Uuid) -> Self {
                Self(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = crate::DomainError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self).map_err(|_| crate::DomainError::invalid(
                    crate::ErrorCode::InvalidId,
                    format!("`{s}` is not a valid identifier; identifiers look like 0192f5c4-8a7b-7c3e-9d2f-1a2b3c4d5e6f"),
                ))
            }
        }
    };
}

typed_id!(
    /// A person who can log in.
    UserId
);
typed_id!(
    /// A brand or client: the unit of data isolation.
    WorkspaceId
);
typed_id!(
    /// An invitation to join a workspace, sent by e-mail.
    InvitationId
);
typed_id!(
    /// An API token, scoped to one workspace.
    ApiTokenId
);
typed_id!(
    /// One line of the audit log.
    AuditId
);
typed_id!(
    /// A background job in the queue.
    JobId
);
typed_id!(
    /// A workspace's account on one network.
    ChannelId
);
typed_id!(
    /// A post: one text (or thread) meant for one or more channels.
    PostId
);
typed_id!(
    /// One post's publication on one channel.
    TargetId
);
typed_id!(
    /// An image or video in a workspace's media library.
    MediaId
);
typed_id!(
    /// A team member's comment on a post.
    CommentId
);
typed_id!(
    /// One weekly time slot of a channel's queue.
    SlotId
);
typed_id!(
    /// An RSS or Atom feed turned into posts.
    FeedId
);

typed_id!(
    /// A web site whose audience a workspace measures.
    SiteId
);
typed_id!(
    /// A goal of a site: a page visited or a custom event.
    GoalId
);

typed_id!(
    /// A tracked short link (`/l/{slug}`).
    LinkId
);

typed_id!(
    /// An ordered path through a site's goals.
    FunnelId
);

typed_id!(
    /// A listening query: what a workspace watches for (its brand, a competitor, a topic).
    ListenQueryId
);
typed_id!(
    /// A place listening polls for mentions: a feed, a watched page, a network's search.
    ListenSourceId
);
typed_id!(
    /// One item found by listening (a post, an article, a comment).
    MentionId
);
typed_id!(
    /// A rule that raises listening alerts (spikes, keywords).
    AlertRuleId
);
typed_id!(
    /// One alert raised by a rule.
    AlertEventId
);

typed_id!(
    /// A person of the community, with their accounts on the networks.
    ContactId
);
typed_id!(
    /// A thread of messages on one channel, handled by the team as one.
    ConversationId
);
typed_id!(
    /// One message of a conversation, received or sent.
    InboxMessageId
);
typed_id!(
    /// A team member's internal note on a conversation.
    NoteId
);
typed_id!(
    /// A prepared answer the team inserts into replies.
    CannedReplyId
);
typed_id!(
    /// A saved filter of the inbox, shown as a column.
    InboxColumnId
);
typed_id!(
    /// A workspace's moderation rule.
    ModerationRuleId
);
typed_id!(
    /// A message held for a person to review, with why.
    ReviewId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        let id = UserId::new();
        let parsed: UserId = id.to_string().parse().expect("own output parses");
        assert_eq!(id, parsed);
    }

    #[test]
    fn ids_made_later_sort_later() {
        let a = AuditId::new();
        let b = AuditId::new();
        assert!(
            a < b,
            "v7 ids must be time ordered so the audit log sorts by id"
        );
        assert!(
            a.to_string() < b.to_string(),
            "and their text form sorts the same way"
        );
    }

    #[test]
    fn garbage_is_refused_with_a_hint() {
        let err = "not-an-id".parse::<WorkspaceId>().unwrap_err();
        assert_eq!(err.code, crate::ErrorCode::InvalidId);
        assert!(err.message.contains("look like"));
    }
}

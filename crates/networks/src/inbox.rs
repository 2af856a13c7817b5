//! The team inbox's side of the networks: what concerns the brand's account (mentions, replies
//! and comments on its posts, quotes, reposts, direct messages), read in one shape
//! ([`IncomingMessage`]) a page at a time ([`read`]) or as it happens ([`stream`]), and what the
//! team does about it on the network ([`act`]: like, repost, hide, delete, mute, block, report).
//! Replies go out through [`crate::Connector::publish`] with a [`crate::ReplyTarget`], so that
//! they get the publisher's exactly-once guarantees.
//!
//! | network | read (polling) | stream | cursor |
//! |---|---|---|---|
//! | `bluesky` | `app.bsky.notification.listNotifications` (needs an AppView) | the PDS's `com.atproto.sync.subscribeRepos`, filtered to the brand | the stream's `seq`, or the newest notification's `indexedAt` |
//! | `mastodon` | `GET /api/v1/notifications` (mentions, quotes, reblogs) and `GET /api/v1/conversations` | `GET /api/v1/streaming/user` (server-sent events) | the newest notification id |
//! | `youtube` | `GET /youtube/v3/commentThreads?allThreadsRelatedToChannelId=` (comments and their replies; `comments.list` for the rest of a long thread) | none | the newest `publishedAt`, with the ids just before it |
//! | `facebook` | `GET /{page-id}/feed` with the newest posts' comments at every level (then `/{post-id}/comments`), `/{page-id}/tagged`, Messenger `/{page-id}/conversations` | none | the newest `created_time`, with the ids just before it |
//! | `instagram` | `GET /{ig-user-id}/media` with the newest media's comments and replies (then `/{media}/comments`, `/{comment}/replies`) | none | the newest `timestamp`, with the ids just before it |
//! | `threads` | the newest posts' `GET /{media-id}/conversation` (replies at every depth) and `GET /{user-id}/mentions` | none | the newest `timestamp`, with the ids just before it |
//! | `linkedin` | the organization's newest posts' `GET /rest/socialActions/{urn}/comments` and their nested comments | none | the newest `created.time`, with the ids just before it |
//! | `x` | `GET /2/users/:id/mentions` (mentions, replies, quotes) and `GET /2/dm_events` | none | the newest mention id and direct message event id |
//!
//! Cursors are opaque, as search cursors are: store [`InboxPage::cursor`] and hand it back. A
//! message may come twice (by the stream and by polling, or after a cursor was lost): the
//! store keeps one per (channel, [`IncomingMessage::network_id`]).

use relais_outbound::HttpClient;
use serde::{Deserialize, Serialize};

use crate::{Credentials, NetworkError};

/// The networks whose inbox [`read`] knows, by their names as stored on channels.
pub const INBOX_NETWORKS: [&str; 8] = [
    "bluesky",
    "mastodon",
    "x",
    "youtube",
    "facebook",
    "instagram",
    "threads",
    "linkedin",
];

/// The least time between two reads of one channel's inbox on `network`, for networks whose
/// quotas ask for more than the inbox's usual minute: a YouTube read costs about 5 of the
/// 10 000 units a project has a day (and uploads share them), and X limits how often one user's
/// mentions may be read on its smaller plans. Zero for the others.
pub fn least_read_interval(network: &str) -> std::time::Duration {
    let minutes = match network {
        "youtube" => 5,
        "x" => 2,
        _ => 0,
    };
    std::time::Duration::from_secs(minutes * 60)
}

/// Why a message is in the brand's inbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A post that names the brand's account.
    Mention,
    /// An answer to one of the brand's posts, or to a post in one of its threads.
    Reply,
    /// A comment under one of the brand's posts or videos (networks where comments are not
    /// posts: Facebook, Instagram, YouTube).
    Comment,
    /// A post that quotes one of the brand's posts.
    Quote,
    /// A repost (boost, retweet) of one of the brand's posts: no text of its own.
    Repost,
    /// A private message to the brand.
    Direct,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Mention => "mention",
            MessageKind::Reply => "reply",
            MessageKind::Comment => "comment",
            MessageKind::Quote => "quote",
            MessageKind::Repost => "repost",
            MessageKind::Direct => "direct",
        }
    }
}

/// Who wrote a message, as much as the network tells.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// The network's stable id for the account (a DID, an account id): handles change.
    pub id: String,
    /// The handle as the network writes it (`fan.bsky.social`, `fan@instance.social`).
    pub handle: String,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
    /// Where a person opens the profile.
    pub profile_url: Option<String>,
    pub followers: Option<u64>,
    /// When the account was created, Unix milliseconds: moderation's "very new account" rule.
    pub created_at: Option<i64>,
}

/// A post as another post refers to it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostRef {
    pub id: String,
    /// A content hash or version the network needs for references (AT Protocol's CID).
    pub version: Option<String>,
    pub url: Option<String>,
}

/// One message that concerns the brand's account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingMessage {
    /// The message's id on the network, stable whatever the path it came by (a post's AT URI,
    /// a status id on the channel's instance, a comment id).
    pub network_id: String,
    pub version: Option<String>,
    /// Where a person reads it.
    pub url: Option<String>,
    pub kind: MessageKind,
    pub author: Author,
    /// Plain text (HTML reduced to text, entities decoded). Empty for a repost.
    pub text: String,
    /// The language the author or the network declared (`fr`, `en`).
    pub lang: Option<String>,
    /// Publication time, Unix milliseconds.
    pub created_at: i64,
    /// What it answers directly, when it is an answer.
    pub parent: Option<PostRef>,
    /// The first post of its thread, when the network says (Bluesky does; Mastodon gives only
    /// the parent).
    pub root: Option<PostRef>,
    /// The brand's post it quotes or reposts.
    pub subject: Option<PostRef>,
    /// The network's id of the private conversation a direct message belongs to.
    pub direct_thread: Option<String>,
}

/// What one call read, oldest first, and where the next call starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InboxPage {
    pub messages: Vec<IncomingMessage>,
    /// What to give back next time to read only what is newer.
    pub cursor: Option<String>,
}

/// What the team does to a message or its author on the network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Interaction {
    Like {
        message: PostRef,
    },
    Repost {
        message: PostRef,
    },
    /// Hides a comment under the brand's post from everyone but its author (Facebook,
    /// Instagram, YouTube's "held for review").
    Hide {
        message: PostRef,
    },
    /// Deletes a comment under the brand's post (networks that let a page do it).
    Delete {
        message: PostRef,
    },
    /// The brand no longer sees the author.
    Mute {
        author: Author,
    },
    /// The author can no longer answer or follow the brand. `message`, one of theirs, is how
    /// networks that ban through a comment (YouTube) reach them.
    Block {
        author: Author,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<PostRef>,
    },
    /// Reports the message to the network's moderators.
    Report {
        message: PostRef,
        author: Author,
        reason: String,
    },
}

impl Interaction {
    pub fn name(&self) -> &'static str {
        match self {
            Interaction::Like { .. } => "like",
            Interaction::Repost { .. } => "repost",
            Interaction::Hide { .. } => "hide",
            Interaction::Delete { .. } => "delete",
            Interaction::Mute { .. } => "mute",
            Interaction::Block { .. } => "block",
            Interaction::Report { .. } => "report",
        }
    }
}

/// One message pushed by a stream, with the cursor to resume after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Streamed {
    pub message: IncomingMessage,
    pub cursor: Option<String>,
}

/// How a stream ended without an error: the network closed it (reconnect after a pause).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamClosed {
    /// The cursor to resume from.
    pub cursor: Option<String>,
}

/// What one read of a network without its own cursor found (comments listed newest first,
/// replies of posts): each message once, kept against the cursor's watermark (the newest time
/// handed out and the ids just before it, see [`crate::search::Watermark`]), given back oldest
/// first with the watermark moved past them.
pub(crate) struct Found {
    pub(crate) mark: Option<crate::search::Watermark>,
    pub(crate) messages: Vec<IncomingMessage>,
}

impl Found {
    /// Starts a read from `cursor` (a cursor that cannot be read is dropped with a warning,
    /// naming `network`: the read starts from the newest page).
    pub(crate) fn after(cursor: Option<&str>, network: &str) -> Self {
        Self {
            mark: crate::search::Watermark::parse(cursor, network),
            messages: Vec::new(),
        }
    }

    /// Whether an item of this time lies behind the mark (paging stops there).
    pub(crate) fn is_behind(&self, at_ms: i64) -> bool {
        self.mark.as_ref().is_some_and(|m| m.is_behind(at_ms))
    }

    /// Keeps `message` unless it was handed out before or met already in this read (the first
    /// met wins: a reply under the brand's post that also names the brand is a reply).
    pub(crate) fn offer(&mut self, message: impl Into<Option<IncomingMessage>>) {
        let Some(message) = message.into() else {
            return;
        };
        let seen_before = self
            .mark
            .as_ref()
            .is_some_and(|m| !m.is_new(&message.network_id, message.created_at));
        if !seen_before
            && !self
                .messages
                .iter()
                .any(|m| m.network_id == message.network_id)
        {
            self.messages.push(message);
        }
    }

    /// The messages, oldest first, and the cursor moved past them.
    pub(crate) fn into_page(mut self) -> InboxPage {
        self.messages
            .sort_by(|a, b| (a.created_at, &a.network_id).cmp(&(b.created_at, &b.network_id)));
        let seen: Vec<(String, i64)> = self
            .messages
            .iter()
            .map(|m| (m.network_id.clone(), m.created_at))
            .collect();
        InboxPage {
            cursor: crate::search::Watermark::advance(self.mark, &seen).map(|w| w.encode()),
            messages: self.messages,
        }
    }
}

/// Reads what concerns the channel's account since `cursor` (the newest page when `None`).
pub async fn read(
    network: &str,
    http: &HttpClient,
    creds: &mut Credentials,
    cursor: Option<&str>,
) -> Result<InboxPage, NetworkError> {
    match network {
        "bluesky" => crate::bluesky::inbox::read(http, creds, cursor).await,
        "mastodon" => crate::mastodon::inbox::read(http, creds, cursor).await,
        "x" => crate::x::inbox::read(http, creds, cursor).await,
        "youtube" => crate::youtube::inbox::read(http, creds, cursor).await,
        "facebook" => crate::meta::inbox::read_facebook(http, creds, cursor).await,
        "instagram" => crate::meta::inbox::read_instagram(http, creds, cursor).await,
        "threads" => crate::threads::inbox::read(http, creds, cursor).await,
        "linkedin" => crate::linkedin::inbox::read(http, creds, cursor).await,
        other => Err(NetworkError::Unsupported(format!(
            "Relais does not read the {other} inbox yet"
        ))),
    }
}

/// Follows the channel's account live from `cursor`, calling `deliver` for each message that
/// concerns it, until the connection ends. Networks without a stream answer
/// [`NetworkError::Unsupported`]: poll them with [`read`].
pub async fn stream(
    network: &str,
    http: &HttpClient,
    creds: &mut Credentials,
    cursor: Option<&str>,
    deliver: &mut (dyn FnMut(Streamed) + Send),
) -> Result<StreamClosed, NetworkError> {
    match network {
        "bluesky" => crate::bluesky::inbox::stream(http, creds, cursor, deliver).await,
        "mastodon" => crate::mastodon::inbox::stream(http, creds, cursor, deliver).await,
        other => Err(NetworkError::Unsupported(format!(
            "{other} offers no stream Relais can follow"
        ))),
    }
}

/// Does `interaction` on the network with the channel's account.
pub async fn act(
    network: &str,
    http: &HttpClient,
    creds: &mut Credentials,
    interaction: &Interaction,
) -> Result<(), NetworkError> {
    match network {
        "bluesky" => crate::bluesky::inbox::act(http, creds, interaction).await,
        "mastodon" => crate::mastodon::inbox::act(http, creds, interaction).await,
        "x" => crate::x::inbox::act(http, creds, interaction).await,
        "youtube" => crate::youtube::inbox::act(http, creds, interaction).await,
        "facebook" => crate::meta::inbox::act_facebook(http, creds, interaction).await,
        "instagram" => crate::meta::inbox::act_instagram(http, creds, interaction).await,
        "threads" => crate::threads::inbox::act(http, creds, interaction).await,
        "linkedin" => crate::linkedin::inbox::act(http, creds, interaction).await,
        other => Err(NetworkError::Unsupported(format!(
            "Relais cannot {} on {other} yet",
            interaction.name()
        ))),
    }
}

//! The brand's X inbox (see [`crate::inbox`]), through X's API v2 with the channel's OAuth 2.0
//! token (renewed on a 401 as the connector does).
//!
//! - Read: the mentions timeline (`GET /2/users/:id/mentions`, `mentions.rs`), where replies
//!   to the brand come too since they name it, and the direct messages
//!   (`GET /2/dm_events`, `direct.rs`). `:id` is the brand's user id, kept in the channel's
//!   secrets (`user_id`) once `GET /2/users/me` gave it.
//! - Kinds (`message.rs`): a post that replies (`referenced_tweets` `replied_to`) is a reply,
//!   its parent the post answered and its root the conversation's first post
//!   (`conversation_id`); one that quotes a brand's post a quote (the post as `subject`); a
//!   repost of a brand's post a repost; anything else a mention. A direct message is direct,
//!   its conversation as `direct_thread`.
//! - Ids: a post's id; a direct message is `dm:<conversation id>:<event id>`, which cannot
//!   clash with a post's and is all an answer needs (`reply.rs`: the connector's `publish`
//!   sends a reply to such an id as a direct message to that conversation).
//! - Cursor (`cursor.rs`): `m:<newest post id>;d:<newest event id>`, plus `;nodm` once X
//!   refused the direct messages. That refusal (a 403: the X app's access level has no direct
//!   messages, or the token lacks `dm.read`) is warned about once per channel and does not
//!   stop the mentions; nor does any other failure of the direct messages but a refused
//!   token: they are read again from the same place next time.
//! - Act (`actions.rs`): like, repost, hide a reply, mute, block; delete and report answer
//!   [`NetworkError::Unsupported`].
//! - Left aside: the brand's own posts and messages, reposts of other people's posts, quotes
//!   of them that do not name the brand (X's mentions timeline does not list those), likes
//!   and follows, and group-conversation events other than messages.

mod actions;
mod cursor;
mod direct;
mod mentions;
mod message;
mod reply;

use std::collections::HashSet;

use relais_outbound::HttpClient;

use super::{X, is_username};
use crate::inbox::{InboxPage, IncomingMessage, Interaction};
use crate::{Credentials, NetworkError};
use cursor::Cursor;
use direct::DirectRead;
use message::Brand;
pub(crate) use reply::{direct_conversation, find_direct, send_direct};

pub(crate) async fn read(
    http: &HttpClient,
    creds: &mut Credentials,
    cursor: Option<&str>,
) -> Result<InboxPage, NetworkError> {
    let x = X::new(http.clone());
    let brand_id = x.user_id(creds).await?;
    let username = creds
        .secret("username")
        .filter(|u| is_username(u))
        .map(str::to_owned);
    let brand = Brand {
        id: &brand_id,
        username: username.as_deref(),
    };
    let start = Cursor::parse(cursor).unwrap_or_default();
    let mentions = mentions::poll(&x, creds, brand, start.mentions.as_deref()).await?;
    let mut next = Cursor {
        mentions: mentions.newest,
        ..start.clone()
    };
    let mut messages = mentions.messages;
    match direct::poll(&x, creds, brand, start.direct.as_deref()).await {
        Ok(DirectRead::Read(polled)) => {
            next.direct = polled.newest;
            next.direct_refused = false;
            messages.extend(polled.messages);
        }
        Ok(DirectRead::Refused(detail)) => {
            if start.direct_refused {
                tracing::debug!(%detail, "X still refuses the channel's direct messages");
            } else {
                tracing::warn!(
                    %detail,
                    "X refused to list the channel's direct messages (the X app's access level \
                     has none, or the channel was connected without `dm.read`): the mentions \
                     are read without them"
                );
            }
            next.direct_refused = true;
        }
        Err(e @ NetworkError::Unauthorized(_)) => return Err(e),
        Err(e) => tracing::warn!(
            error = %e,
            "X's direct messages could not be read this time; they are read from the same \
             place next time"
        ),
    }
    Ok(InboxPage {
        messages: oldest_first(messages),
        cursor: next.encode(),
    })
}

pub(crate) async fn act(
    http: &HttpClient,
    creds: &mut Credentials,
    interaction: &Interaction,
) -> Result<(), NetworkError> {
    actions::act(&X::new(http.clone()), creds, interaction).await
}

/// Oldest first (by time, then by id: snowflakes grow with time), each message once.
fn oldest_first(mut messages: Vec<IncomingMessage>) -> Vec<IncomingMessage> {
    let mut seen = HashSet::new();
    messages.retain(|m| seen.insert(m.network_id.clone()));
    // Ids of a kind grow with time: a longer one is newer, and those of a length sort as text.
    let key = |m: &IncomingMessage| (m.created_at, m.network_id.len(), m.network_id.clone());
    messages.sort_by_key(key);
    messages
}

/// For the fuzz target only, not an API: the readings of what X sends, without the network,
/// for a brand whose user id is `1001` and username `relais_app`.
#[doc(hidden)]
pub mod fuzzing {
    use serde_json::Value;

    use super::cursor::Cursor;
    use super::mentions::{self, Polled};
    use super::message::Brand;
    use crate::inbox::IncomingMessage;

    const BRAND: Brand<'static> = Brand {
        id: "1001",
        username: Some("relais_app"),
    };

    fn json(data: &[u8]) -> Value {
        serde_json::from_slice(data).unwrap_or(Value::Null)
    }

    /// The messages in `data` read as a page of `GET /2/users/:id/mentions`. Never panics.
    pub fn read_mentions(data: &[u8]) -> Vec<IncomingMessage> {
        let mut polled = Polled::default();
        let _ = mentions::read_page(&json(data), BRAND, None, &mut polled);
        polled.messages
    }

    /// The messages in `data` read as a page of `GET /2/dm_events`. Never panics.
    pub fn read_direct_messages(data: &[u8]) -> Vec<IncomingMessage> {
        let mut polled = Polled::default();
        let _ = super::direct::read_page(&json(data), BRAND, None, &mut polled);
        polled.messages
    }

    /// `data` read as either answer: the mentions, then the direct messages. Never panics.
    pub fn read_page(data: &[u8]) -> Vec<IncomingMessage> {
        let mut messages = read_mentions(data);
        messages.extend(read_direct_messages(data));
        messages
    }

    /// A cursor read and written again (`None` when it is dropped). Never panics.
    pub fn read_cursor(cursor: &str) -> Option<String> {
        Cursor::parse(Some(cursor)).and_then(|c| c.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbox::{Author, MessageKind};

    fn at(id: &str, created_at: i64) -> IncomingMessage {
        IncomingMessage {
            network_id: id.into(),
            version: None,
            url: None,
            kind: MessageKind::Mention,
            author: Author::default(),
            text: String::new(),
            lang: None,
            created_at,
            parent: None,
            root: None,
            subject: None,
            direct_thread: None,
        }
    }

    #[test]
    fn messages_come_oldest_first_and_once() {
        let sorted = oldest_first(vec![
            at("100", 5),
            at("dm:1-2:90", 3),
            at("99", 5),
            at("100", 5),
            at("7", 1),
        ]);
        let ids: Vec<&str> = sorted.iter().map(|m| m.network_id.as_str()).collect();
        assert_eq!(ids, ["7", "dm:1-2:90", "99", "100"]);
    }
}

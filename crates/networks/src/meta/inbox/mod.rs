//! The brand's Facebook Page and Instagram inboxes (see [`crate::inbox`]), read by polling the
//! Graph API with the channel's Page token (`graph.rs`: errors, paging, version).
//!
//! - Facebook (`facebook.rs`): comments and replies under the Page's 25 newest posts (one call,
//!   by field expansion), posts by others on the Page and posts the Page is tagged in
//!   (`/{page-id}/tagged`) as mentions, and Messenger conversations as direct messages.
//! - Instagram (`instagram.rs`): comments and replies under the account's 25 newest media.
//! - Actions (`actions.rs`): hide, delete, like, block where Graph offers them.
//!
//! **Ids and versions.** A message's id is Graph's (a Facebook comment `<post>_<comment>`, an
//! Instagram comment, a Messenger message `m_…`): the same whatever the list it came from. The
//! version says what it is, for an answer to go the right place (see [`super::Facebook`] and
//! [`super::Instagram`], which publish answers): `comment`; `reply:<top-level comment id>` for
//! an Instagram reply (an answer to it goes under that comment: Instagram nests one level);
//! `direct:<sender's page-scoped id>` for a Messenger message (an answer is sent to that id);
//! none for a post. `root` is the post or media a comment sits under; `parent` what it answers
//! (the post, or the comment it replies to).
//!
//! **Cursor.** The newest time handed out and the ids handed out in the 15 minutes before it
//! (`collect.rs`): Graph lists read by time, and some show items late. A first read takes the
//! newest page of each list; a later one pages back (five pages at most) to the cursor.
//!
//! **Left aside.** Comments under posts older than the 25 newest (Meta's webhooks would bring
//! them; Relais polls), Instagram mentions and direct messages, Messenger attachments (a message
//! of only a picture comes with empty text), reactions.

mod actions;
mod collect;
mod facebook;
mod instagram;
mod lists;

use relais_outbound::HttpClient;

use crate::inbox::{InboxPage, Interaction};
use crate::{Credentials, NetworkError};

/// What starts the version of a Messenger message: the sender's page-scoped id follows.
pub(crate) const DIRECT_PREFIX: &str = "direct:";

pub(crate) async fn read_facebook(
    http: &HttpClient,
    creds: &mut Credentials,
    cursor: Option<&str>,
) -> Result<InboxPage, NetworkError> {
    facebook::read(http, creds, cursor).await
}

pub(crate) async fn read_instagram(
    http: &HttpClient,
    creds: &mut Credentials,
    cursor: Option<&str>,
) -> Result<InboxPage, NetworkError> {
    instagram::read(http, creds, cursor).await
}

pub(crate) async fn act_facebook(
    http: &HttpClient,
    creds: &mut Credentials,
    interaction: &Interaction,
) -> Result<(), NetworkError> {
    actions::facebook(http, creds, interaction).await
}

pub(crate) async fn act_instagram(
    http: &HttpClient,
    creds: &mut Credentials,
    interaction: &Interaction,
) -> Result<(), NetworkError> {
    actions::instagram(http, creds, interaction).await
}

/// An address Graph gave, when it is a web address people can open.
fn https(url: Option<&str>) -> Option<&str> {
    url.map(str::trim).filter(|u| u.starts_with("https://"))
}

/// For the fuzz targets only, not an API: the readings of what Graph answers, without the
/// network, for the brand of the test fixtures (Page `105000000000001`, Instagram account
/// `17841400000000001` named `cafe.relais`).
#[doc(hidden)]
pub mod fuzzing {
    use serde_json::Value;

    use super::super::graph::{items, str_field};
    use super::{facebook, instagram};
    use crate::inbox::IncomingMessage;

    const PAGE: &str = "105000000000001";
    const ACCOUNT: instagram::Account<'static> = instagram::Account {
        id: "17841400000000001",
        username: Some("cafe.relais"),
    };

    fn list(data: &[u8]) -> Vec<Value> {
        serde_json::from_slice::<Value>(data)
            .map(|v| items(&v).to_vec())
            .unwrap_or_default()
    }

    /// `data` read as an answer of `GET /{page-id}/feed` with comments expanded. Never panics.
    pub fn read_facebook_feed(data: &[u8]) -> Vec<IncomingMessage> {
        let mut out = Vec::new();
        for post in list(data) {
            let Some(root) = facebook::post_ref(&post) else {
                continue;
            };
            out.extend(facebook::visitor_post(&post, PAGE));
            let comments = post.get("comments").map(items).unwrap_or_default();
            out.extend(
                comments
                    .iter()
                    .filter_map(|c| facebook::comment_message(c, &root, PAGE)),
            );
        }
        out
    }

    /// `data` read as an answer of `GET /{page-id}/tagged`. Never panics.
    pub fn read_facebook_tagged(data: &[u8]) -> Vec<IncomingMessage> {
        list(data)
            .iter()
            .filter_map(|p| facebook::mention(p, PAGE))
            .collect()
    }

    /// `data` read as an answer of `GET /{page-id}/conversations` with messages expanded.
    /// Never panics.
    pub fn read_facebook_conversations(data: &[u8]) -> Vec<IncomingMessage> {
        let mut out = Vec::new();
        for conversation in list(data) {
            let Some(thread) = str_field(&conversation, "id") else {
                continue;
            };
            let messages = conversation.get("messages").map(items).unwrap_or_default();
            out.extend(
                messages
                    .iter()
                    .filter_map(|m| facebook::direct_message(m, thread, PAGE)),
            );
        }
        out
    }

    /// `data` read as an answer of `GET /{ig-user-id}/media` with comments and replies
    /// expanded. Never panics.
    pub fn read_instagram_media(data: &[u8]) -> Vec<IncomingMessage> {
        let mut out = Vec::new();
        for media in list(data) {
            let Some(root) = instagram::media_ref(&media) else {
                continue;
            };
            for c in media.get("comments").map(items).unwrap_or_default() {
                out.extend(instagram::comment_message(c, &root, ACCOUNT));
                let (Some(top), Some(replies)) = (str_field(c, "id"), c.get("replies")) else {
                    continue;
                };
                out.extend(
                    items(replies)
                        .iter()
                        .filter_map(|r| instagram::reply_message(r, top, &root, ACCOUNT)),
                );
            }
        }
        out
    }
}

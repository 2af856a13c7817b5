//! The brand's Threads inbox (see [`crate::inbox`]): the replies under its recent posts and
//! the posts that mention it, read by polling (`poll.rs`), and hiding a reply (`actions.rs`).
//! Replies go out through the connector's `publish`, whose container's `reply_to_id` is the
//! message answered (the reply's parent, never the thread's root), so that the answer sits
//! under the fan's reply.
//!
//! - Read: `GET /{user-id}/threads?fields=id,timestamp,permalink,media_type,has_replies&limit=25`
//!   (the brand's newest posts, but its reposts and posts without replies), then for each
//!   `GET /{media-id}/conversation?fields=id,text,username,timestamp,permalink,replied_to,
//!   root_post,is_reply_owned_by_me,hide_status&reverse=true`, paged with `after`. The
//!   conversation rather than `/replies`: it holds the replies at every depth (a fan
//!   answering the brand's answer, or another fan), flattened; newest first (`reverse=true`)
//!   so that paging stops at the cursor instead of walking the whole conversation. Then
//!   `GET /{user-id}/mentions` (the same fields, without the ownership ones; paged by the
//!   `after` cursor alone, as Meta documents), which needs the `threads_manage_mentions`
//!   permission: without it the replies are still read, and the refusal logged.
//! - Kinds and threads: a reply in a conversation is a [`MessageKind::Reply`] whose parent
//!   is `replied_to` and root `root_post` (the brand's post); a mention is a
//!   [`MessageKind::Mention`], with `replied_to` and `root_post` when it answers a post. A
//!   reply that also mentions the brand comes once, as a reply.
//! - Ids: Threads media ids. Authors: Threads gives no stable user id with a reply, only its
//!   `username`, which is the author's id as well as their handle (an account renamed looks
//!   like a new one); a private profile's reply comes without one, and its author is empty.
//! - Left out: the brand's own posts (`is_reply_owned_by_me`, or its username), answers to
//!   the brand's replies under other accounts' posts (unless they mention it), replies under
//!   posts older than the 25 newest, and edits.
//! - Cursor: a watermark on `timestamp` (see `poll.rs`). One that cannot be read is dropped
//!   with a warning and the read starts again from the newest pages.
//! - Act: hide ([`Interaction::Hide`]); like, repost, delete (an account deletes only its
//!   own posts), mute, block and report answer [`NetworkError::Unsupported`]: the Threads API
//!   does not offer them.
//!
//! [`MessageKind::Reply`]: crate::inbox::MessageKind::Reply
//! [`MessageKind::Mention`]: crate::inbox::MessageKind::Mention

mod actions;
mod message;
mod poll;

use relais_outbound::HttpClient;

use super::Threads;
use crate::inbox::{InboxPage, Interaction};
use crate::{Credentials, NetworkError};

pub(crate) async fn read(
    http: &HttpClient,
    creds: &mut Credentials,
    cursor: Option<&str>,
) -> Result<InboxPage, NetworkError> {
    poll::read(&Threads::new(http.clone()), creds, cursor).await
}

pub(crate) async fn act(
    http: &HttpClient,
    creds: &mut Credentials,
    interaction: &Interaction,
) -> Result<(), NetworkError> {
    actions::act(&Threads::new(http.clone()), creds, interaction).await
}

/// For the fuzz target only, not an API: the readings of what Threads sends, without the
/// network. The brand is `relais_app`; the conversation is under its post `100`.
#[doc(hidden)]
pub mod fuzzing {
    use serde_json::Value;

    use super::message::{Brand, mention_of};
    use super::poll::conversation_page;
    use crate::inbox::IncomingMessage;

    const BRAND: Brand<'static> = Brand {
        username: Some("relais_app"),
    };

    /// The messages of `body` read as a page of `GET /{media-id}/conversation`. Never panics.
    pub fn read_conversation(body: &[u8]) -> Vec<IncomingMessage> {
        serde_json::from_slice::<Value>(body)
            .map(|page| conversation_page(&page, BRAND))
            .unwrap_or_default()
    }

    /// The messages of `body` read as a page of `GET /{user-id}/mentions`. Never panics.
    pub fn read_mentions(body: &[u8]) -> Vec<IncomingMessage> {
        let Ok(page) = serde_json::from_slice::<Value>(body) else {
            return Vec::new();
        };
        page.get("data")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|item| mention_of(item, BRAND))
            .collect()
    }
}

//! The brand's LinkedIn inbox (see [`crate::inbox`]): the comments on the organisation's
//! recent posts and the comments nested under them, read by polling (`poll.rs`), and liking
//! or deleting a comment (`actions.rs`). Replies go out through the connector's `publish`: an
//! answer to a comment is a comment nested under it (see [`crate::linkedin`]).
//!
//! - Read (Community Management API, versioned `/rest/` calls with `LinkedIn-Version`):
//!   `GET /rest/posts?author={org}&q=author&count=20&sortBy=LAST_MODIFIED`, then for each
//!   post `GET /rest/socialActions/{post URN}/comments?start=&count=100`, and for the newest
//!   20 top-level comments that may have some (their `commentsSummary`), the nested ones:
//!   `GET /rest/socialActions/{comment URN}/comments`. About 20 to 40 calls a read.
//! - Kinds and threads: a comment on a post is a [`MessageKind::Comment`] whose parent and
//!   root are the post; a nested comment (`parentComment`) is a [`MessageKind::Reply`] whose
//!   parent is that comment and root the post. LinkedIn nests one level: a nested comment's
//!   `version` is its top-level comment, under which an answer to it must go.
//! - Ids: comment URNs (`urn:li:comment:({activity},{id})`); addresses open the post at the
//!   comment. Authors: the actor's URN is the id and the handle (LinkedIn gives members'
//!   names only to the People API's few partners); a company page gets its address.
//! - Cursor: a watermark on `created.time` (see `poll.rs`). One that cannot be read is
//!   dropped with a warning and the read starts again from the newest comments.
//! - Left out: the organisation's own comments; mentions of the organisation in others'
//!   posts and comments (LinkedIn tells of them only through its webhooks, which need a
//!   public address and app review, not through a list Relais could read); comments on
//!   posts beyond the 20 most recently modified, beyond 500 under one post or comment, or
//!   nested under older comments than the 20 newest that have some; edits; images in comments.
//! - Act: like (a LIKE reaction) and delete; hide, repost, mute, block and report answer
//!   [`NetworkError::Unsupported`]: LinkedIn's API does not offer them.
//!
//! [`MessageKind::Comment`]: crate::inbox::MessageKind::Comment
//! [`MessageKind::Reply`]: crate::inbox::MessageKind::Reply

mod actions;
mod comment;
mod poll;

use relais_outbound::HttpClient;

use super::LinkedIn;
use crate::inbox::{InboxPage, Interaction};
use crate::{Credentials, NetworkError};

pub(crate) async fn read(
    http: &HttpClient,
    creds: &mut Credentials,
    cursor: Option<&str>,
) -> Result<InboxPage, NetworkError> {
    poll::read(&LinkedIn::new(http.clone()), creds, cursor).await
}

pub(crate) async fn act(
    http: &HttpClient,
    creds: &mut Credentials,
    interaction: &Interaction,
) -> Result<(), NetworkError> {
    actions::act(&LinkedIn::new(http.clone()), creds, interaction).await
}

/// For the fuzz target only, not an API: the reading of what LinkedIn sends, without the
/// network. The organisation is `urn:li:organization:1`; the comments are on its post
/// `urn:li:share:1`.
#[doc(hidden)]
pub mod fuzzing {
    use serde_json::Value;

    use crate::inbox::IncomingMessage;

    /// The messages of `body` read as a page of `GET /rest/socialActions/{urn}/comments`.
    /// Never panics.
    pub fn read_comments(body: &[u8]) -> Vec<IncomingMessage> {
        serde_json::from_slice::<Value>(body)
            .map(|page| super::poll::comments_page(&page))
            .unwrap_or_default()
    }
}

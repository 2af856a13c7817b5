//! The brand's YouTube inbox (see [`crate::inbox`]): the comments under the channel's videos,
//! read by polling (`poll.rs`), the team's moderation of them (`actions.rs`), and the
//! channel's replies under a comment (`answer.rs`, used by the connector's `publish`).
//!
//! - Read: `GET /youtube/v3/commentThreads?part=snippet,replies&allThreadsRelatedToChannelId=
//!   <channel>&order=time&maxResults=100&textFormat=plainText` (with `pageToken`), and for a
//!   thread with more replies than included, `GET /youtube/v3/comments?parentId=`. The
//!   channel's id is the connector's (the `channel_id` secret, asked of `channels.list` once).
//! - Kinds and threads: a top-level comment is a [`MessageKind::Comment`] whose parent and
//!   root are the video (`watch?v=`); a reply is a [`MessageKind::Reply`] whose parent is its
//!   top-level comment and root the video. The channel's own comments are left out.
//! - Ids: as YouTube gives them: a top-level comment's (which is its thread's), a reply's
//!   `<top-level comment id>.<its own>`. Addresses open the video at the comment (`&lc=`).
//! - Authors: the commenter's channel id (`authorChannelId.value`), `authorDisplayName` as the
//!   handle, avatar and channel address.
//! - Cursor: a watermark on `publishedAt` (see `poll.rs`). One that cannot be read is dropped
//!   with a warning and the read starts again from the newest page.
//! - Act: hide (held for review), delete (rejected) through `comments.setModerationStatus`;
//!   block needs one of the author's comments ([`ban_author_of`]), so the author alone answers
//!   [`crate::NetworkError::Unsupported`], as do like, repost, mute and report, which YouTube's
//!   API does not offer (any more, for spam reports).
//! - Left aside: comments held for review or likely spam (YouTube lists published ones by
//!   default), edits (a comment is read once, as first published), comments about the channel
//!   rather than a video, a comment whose author has no channel id, and new replies under a
//!   thread older than the pages read, unless YouTube includes them with the thread.
//!
//! [`MessageKind::Comment`]: crate::inbox::MessageKind::Comment
//! [`MessageKind::Reply`]: crate::inbox::MessageKind::Reply

mod actions;
mod answer;
mod comment;
mod poll;

use relais_outbound::HttpClient;

use crate::inbox::{InboxPage, Interaction};
use crate::{Credentials, NetworkError};
pub use actions::ban_author_of;

pub(crate) async fn read(
    http: &HttpClient,
    creds: &mut Credentials,
    cursor: Option<&str>,
) -> Result<InboxPage, NetworkError> {
    poll::read(http, creds, cursor).await
}

pub(crate) async fn act(
    http: &HttpClient,
    creds: &mut Credentials,
    interaction: &Interaction,
) -> Result<(), NetworkError> {
    actions::act(http, creds, interaction).await
}

/// For the fuzz target only, not an API: the readings of what YouTube sends, without the
/// network. The brand's channel is `UCbrand`.
#[doc(hidden)]
pub mod fuzzing {
    use serde_json::Value;

    use super::comment::{Thread, replies_of};
    use crate::inbox::IncomingMessage;

    const BRAND: &str = "UCbrand";

    /// The messages of `body` read as a page of `commentThreads.list` (the included replies
    /// too). Never panics.
    pub fn read_page(body: &[u8]) -> Vec<IncomingMessage> {
        let Ok(page) = serde_json::from_slice::<Value>(body) else {
            return Vec::new();
        };
        super::super::items(&page)
            .iter()
            .filter_map(Thread::of)
            .flat_map(|t| {
                t.top_message(BRAND)
                    .into_iter()
                    .chain(t.reply_messages(BRAND))
            })
            .collect()
    }

    /// The messages of `body` read as a page of `comments.list?parentId=UgxThread0000000000`
    /// under the video `dQw4w9WgXcQ`. Never panics.
    pub fn read_replies(body: &[u8]) -> Vec<IncomingMessage> {
        let Ok(page) = serde_json::from_slice::<Value>(body) else {
            return Vec::new();
        };
        replies_of(&page, "dQw4w9WgXcQ", "UgxThread0000000000", BRAND)
    }
}

//! What the team does on YouTube about a comment under the channel's videos: hold it for
//! review (hide), reject it (delete), or reject it and ban its author from the channel
//! (block), all through `POST /youtube/v3/comments/setModerationStatus` (no body; 204). The
//! channel may moderate the comments on its own videos only.
//!
//! YouTube's API offers no like of a comment (only videos are rated), no repost, no mute, and
//! no longer takes spam reports (`comments.markAsSpam` is withdrawn): those answer
//! [`NetworkError::Unsupported`] saying what to do instead.

use relais_outbound::HttpClient;
use reqwest::Method;

use super::super::YouTube;
use super::super::ids::{is_comment_id, is_video_id};
use crate::inbox::{Interaction, PostRef};
use crate::{Credentials, NetworkError};

const SET_MODERATION_STATUS: &str = "/comments/setModerationStatus";

/// What a moderation asks of YouTube.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Moderation {
    /// `heldForReview`: hidden from everyone but its author until approved in YouTube Studio.
    Hold,
    /// `rejected`: removed from the video (its replies with it).
    Reject,
    /// `rejected` with `banAuthor=true`: the author's later comments are rejected too.
    RejectAndBan,
}

pub(crate) async fn act(
    http: &HttpClient,
    creds: &mut Credentials,
    interaction: &Interaction,
) -> Result<(), NetworkError> {
    match interaction {
        Interaction::Hide { message } => moderate(http, creds, message, Moderation::Hold).await,
        Interaction::Delete { message } => moderate(http, creds, message, Moderation::Reject).await,
        Interaction::Block {
            message: Some(comment),
            ..
        } => ban_author_of(http, creds, comment).await,
        Interaction::Block { message: None, .. } => Err(NetworkError::Unsupported(
            "YouTube bans an author only through one of their comments, and Relais was given \
             the author alone: in YouTube Studio, open one of their comments and choose \"Hide \
             user from channel\" (or delete a comment of theirs here, then ban them there)"
                .into(),
        )),
        Interaction::Report { .. } => Err(NetworkError::Unsupported(
            "YouTube's API no longer takes spam reports: report the comment on youtube.com \
             (its ⋮ menu, Report), or hide or delete it from here"
                .into(),
        )),
        Interaction::Like { .. } => Err(NetworkError::Unsupported(
            "YouTube's API cannot like a comment: like it in YouTube Studio, or answer it".into(),
        )),
        Interaction::Repost { .. } => Err(NetworkError::Unsupported(
            "YouTube has no reposts of comments: answer the comment, or share its video".into(),
        )),
        Interaction::Mute { .. } => Err(NetworkError::Unsupported(
            "YouTube has no mute: hide the comment (held for review) or delete it; to stop an \
             author for good, choose \"Hide user from channel\" in YouTube Studio"
                .into(),
        )),
    }
}

/// Rejects `comment` and bans its author from the channel: what blocking is on YouTube, for a
/// caller that has one of the author's comments (`POST /youtube/v3/comments/setModerationStatus
/// ?id=…&moderationStatus=rejected&banAuthor=true`).
pub async fn ban_author_of(
    http: &HttpClient,
    creds: &mut Credentials,
    comment: &PostRef,
) -> Result<(), NetworkError> {
    moderate(http, creds, comment, Moderation::RejectAndBan).await
}

async fn moderate(
    http: &HttpClient,
    creds: &mut Credentials,
    message: &PostRef,
    moderation: Moderation,
) -> Result<(), NetworkError> {
    let id = comment_id(message)?;
    let yt = YouTube::new(http.clone());
    let answer = yt
        .call_api(
            creds,
            Method::POST,
            SET_MODERATION_STATUS,
            &query(id, moderation),
        )
        .await?;
    match answer {
        Ok(_) => Ok(()),
        // Gone already: what rejecting asked for.
        Err(f) if f.status == 404 && moderation == Moderation::Reject => Ok(()),
        Err(f) if f.status == 404 => Err(NetworkError::Rejected(format!(
            "the comment is gone from YouTube (deleted by its author or by YouTube: {})",
            f.detail()
        ))),
        Err(f) if f.reason == "forbidden" => Err(NetworkError::Rejected(format!(
            "YouTube lets the channel moderate only the comments on its own videos ({})",
            f.detail()
        ))),
        Err(f) => Err(f.into_network_error()),
    }
}

/// `setModerationStatus`'s parameters.
fn query(id: &str, moderation: Moderation) -> Vec<(&str, &str)> {
    let mut query = vec![("id", id)];
    match moderation {
        Moderation::Hold => query.push(("moderationStatus", "heldForReview")),
        Moderation::Reject => query.push(("moderationStatus", "rejected")),
        Moderation::RejectAndBan => {
            query.push(("moderationStatus", "rejected"));
            query.push(("banAuthor", "true"));
        }
    }
    query
}

fn comment_id(message: &PostRef) -> Result<&str, NetworkError> {
    let id = message.id.trim();
    if is_video_id(id) {
        return Err(NetworkError::Rejected(format!(
            "`{id}` is a YouTube video, not a comment: only comments are moderated"
        )));
    }
    Some(id).filter(|id| is_comment_id(id)).ok_or_else(|| {
        NetworkError::Rejected(format!("`{}` is not a YouTube comment id", message.id))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moderations_ask_what_youtube_documents() {
        let id = "UgzComment000000000000";
        assert_eq!(
            query(id, Moderation::Hold),
            [("id", id), ("moderationStatus", "heldForReview")]
        );
        assert_eq!(
            query(id, Moderation::RejectAndBan),
            [
                ("id", id),
                ("moderationStatus", "rejected"),
                ("banAuthor", "true")
            ]
        );
        let post = |id: &str| PostRef {
            id: id.into(),
            ..PostRef::default()
        };
        assert!(matches!(comment_id(&post("dQw4w9WgXcQ")),
                Err(NetworkError::Rejected(ref m)) if m.contains("video")));
        assert!(matches!(
            comment_id(&post("a/b")),
            Err(NetworkError::Rejected(_))
        ));
        assert_eq!(
            comment_id(&post("UgzComment000000000000.r1")).ok(),
            Some("UgzComment000000000000.r1")
        );
    }
}

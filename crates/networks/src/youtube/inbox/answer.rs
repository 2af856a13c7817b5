//! The channel's answers under a comment, for [`crate::Connector::publish`] and
//! [`crate::Connector::find_published`] when a reply's parent is a comment (a fan's, answered
//! from the inbox, or an earlier comment of a thread):
//!
//! - sending: `POST /youtube/v3/comments?part=snippet` with
//!   `{"snippet": {"parentId", "textOriginal"}}`.
//!   YouTube nests replies one level only: the parent named is the top-level comment (the part
//!   of a reply's id before the `.`), whichever comment of the thread is answered.
//! - finding again after a crash: the top-level comment's replies (`GET /youtube/v3/comments?
//!   parentId=`, 100 a page, up to [`MAX_PAGES`] pages), the channel's own with the post's text
//!   written since a minute before the post.
//!
//! A parent YouTube no longer has (deleted by its author or a moderator) is refused for good,
//! saying so: YouTube answers `404` (`commentNotFound`, or `parentCommentNotFound`), or `400`
//! `processingFailure`, which its documentation gives for a request it could not process and
//! which a deleted or hidden parent causes.

use reqwest::Method;
use serde_json::{Value, json};

use super::super::api::Failure;
use super::super::ids::{comment_url, is_comment_id, is_video_id, thread_of, video_of};
use super::super::{Settings, YouTube, comment_text, items, str_field};
use crate::search::time_ms;
use crate::{Credentials, NetworkError, OutgoingPost, PublishedPost, ReplyTarget};

/// Replies a page (YouTube's most)…
const PAGE: &str = "100";
/// …for at most this many pages when looking an answer up again.
const MAX_PAGES: usize = 5;
/// How long before the post was written an answer may be (clocks of two machines differ).
const LOOKBACK_MS: i64 = 60_000;

impl YouTube {
    /// A reply under the comment `target.parent` answers (under its top-level comment).
    pub(in crate::youtube) async fn publish_answer(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
        target: &ReplyTarget,
    ) -> Result<PublishedPost, NetworkError> {
        let parent = top_level_of(target)?;
        let text = comment_text(post)?;
        let body = json!({ "snippet": { "parentId": parent, "textOriginal": text } });
        let url = format!("{}/youtube/v3/comments", Settings::of(creds)?.api_base);
        let made = match self
            .call(
                creds,
                Method::POST,
                &url,
                &[("part", "snippet")],
                Some(&body),
                &[],
            )
            .await?
        {
            Ok(reply) => reply.body,
            Err(f) => return Err(refused(f)),
        };
        let id = str_field(&made, "id")
            .filter(|id| is_comment_id(id))
            .ok_or_else(|| NetworkError::Transient("YouTube answered without a reply id".into()))?;
        let video = made
            .get("snippet")
            .and_then(|s| str_field(s, "videoId"))
            .filter(|v| is_video_id(v));
        Ok(answer_post(target, video, id))
    }

    /// The channel's reply with `post`'s text under the top-level comment `target` answers,
    /// written since a minute before `post`.
    pub(in crate::youtube) async fn find_answer(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
        target: &ReplyTarget,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        let parent = top_level_of(target)?;
        let (channel, _) = self.channel_ids(creds).await?;
        let now_ms = chrono::Utc::now().timestamp_millis();
        let since = post.created_at_ms.min(now_ms).saturating_sub(LOOKBACK_MS);
        let text = post.text.trim();
        let mut next: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![
                ("part", "snippet"),
                ("parentId", parent),
                ("maxResults", PAGE),
                ("textFormat", "plainText"),
            ];
            if let Some(token) = &next {
                query.push(("pageToken", token.as_str()));
            }
            let page = match self
                .call_api(creds, Method::GET, "/comments", &query)
                .await?
            {
                Ok(page) => page,
                // The comment answered is gone, or its video's comments are off: no answer of
                // ours is there (publishing then says why).
                Err(f) if f.status == 404 || f.reason == "commentsDisabled" => return Ok(None),
                Err(f) => return Err(f.into_network_error()),
            };
            // YouTube does not say in which order replies come: every page is looked at.
            for comment in items(&page) {
                let snippet = comment.get("snippet").unwrap_or(&Value::Null);
                let author = snippet
                    .get("authorChannelId")
                    .and_then(|a| str_field(a, "value"));
                let said = str_field(snippet, "textOriginal")
                    .or_else(|| str_field(snippet, "textDisplay"))
                    .map(str::trim);
                let recent = str_field(snippet, "publishedAt")
                    .and_then(time_ms)
                    .is_some_and(|at| at >= since);
                let id = str_field(comment, "id").filter(|id| is_comment_id(id));
                if let Some(id) = id
                    && recent
                    && author == Some(channel.as_str())
                    && said == Some(text)
                {
                    return Ok(Some(answer_post(target, None, id)));
                }
            }
            next = str_field(&page, "nextPageToken").map(str::to_owned);
            if next.is_none() {
                break;
            }
        }
        Ok(None)
    }
}

/// The top-level comment a reply to `target.parent` goes under.
fn top_level_of(target: &ReplyTarget) -> Result<&str, NetworkError> {
    Some(thread_of(&target.parent.id))
        .filter(|id| is_comment_id(id))
        .ok_or_else(|| {
            NetworkError::Rejected(format!(
                "`{}` is not a YouTube comment to answer",
                target.parent.id
            ))
        })
}

/// The published reply `id`: its address opens its video at it. The video is the thread's
/// root, else the one the parent's address names, else the one YouTube gave.
fn answer_post(target: &ReplyTarget, given: Option<&str>, id: &str) -> PublishedPost {
    let video = video_of(&target.root)
        .or_else(|_| video_of(&target.parent))
        .ok()
        .or_else(|| given.map(str::to_owned));
    PublishedPost {
        id: id.to_owned(),
        version: None,
        url: match video {
            Some(video) => comment_url(&video, id),
            // Nothing names the video: the parent's address is the nearest there is.
            None => target.parent.url.clone(),
        },
    }
}

/// What a refused reply means for the person who wrote it.
fn refused(f: Failure) -> NetworkError {
    match (f.status, f.reason.as_str()) {
        (404, _) => NetworkError::Rejected(format!(
            "the comment this answers was deleted from YouTube ({}): the reply cannot go under it",
            f.detail()
        )),
        (400, "processingFailure") => NetworkError::Rejected(format!(
            "YouTube could not put the reply under the comment it answers ({}): that comment \
             was most likely deleted or hidden since",
            f.detail()
        )),
        (400, "parentCommentIsPrivate") => NetworkError::Rejected(format!(
            "the comment this answers is not public on YouTube (held for review or hidden: {}): \
             publish it in YouTube Studio first, or answer elsewhere",
            f.detail()
        )),
        _ => f.into_network_error(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(id: &str, url: &str) -> PublishedPost {
        PublishedPost {
            id: id.into(),
            version: None,
            url: url.into(),
        }
    }

    #[test]
    fn answers_go_under_the_top_level_comment_and_open_on_their_video() {
        let target = ReplyTarget {
            parent: post(
                "UgzTopLevel0000000000000.AaBbReply",
                "https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc=UgzTopLevel0000000000000.AaBbReply",
            ),
            root: post("dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        };
        assert_eq!(top_level_of(&target).ok(), Some("UgzTopLevel0000000000000"));
        assert_eq!(
            answer_post(&target, None, "UgzTopLevel0000000000000.CcDd").url,
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc=UgzTopLevel0000000000000.CcDd"
        );
        // A root that is not a video: the parent's address names it.
        let mut odd = target.clone();
        odd.root = post("UgzTopLevel0000000000000", "");
        assert!(
            answer_post(&odd, None, "x.y")
                .url
                .contains("v=dQw4w9WgXcQ&lc=x.y")
        );
        // Nothing names it: YouTube's word, else the parent's address.
        odd.parent.url = "https://example.org/p".into();
        assert!(
            answer_post(&odd, Some("abcdefghijk"), "x.y")
                .url
                .contains("v=abcdefghijk")
        );
        assert_eq!(answer_post(&odd, None, "x.y").url, "https://example.org/p");
        odd.parent.id = "not a comment".into();
        assert!(matches!(top_level_of(&odd), Err(NetworkError::Rejected(_))));
    }

    #[test]
    fn a_deleted_parent_is_said_so() {
        let f = |status: u16, reason: &str| Failure {
            status,
            reason: reason.into(),
            message: "m".into(),
            retry_after: None,
        };
        for (status, reason) in [
            (404, "commentNotFound"),
            (404, "parentCommentNotFound"),
            (400, "processingFailure"),
        ] {
            assert!(
                matches!(refused(f(status, reason)),
                    NetworkError::Rejected(ref m) if m.contains("deleted")),
                "{reason}"
            );
        }
        assert!(matches!(
            refused(f(403, "quotaExceeded")),
            NetworkError::RateLimited { .. }
        ));
        assert!(matches!(
            refused(f(400, "commentTextTooLong")),
            NetworkError::Rejected(ref m) if m.contains("commentTextTooLong")
        ));
    }
}

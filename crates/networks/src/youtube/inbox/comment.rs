//! YouTube's comment resources as inbox messages: a `commentThread` (its top-level comment and
//! the replies it includes) and a `comment` of `comments.list`. Nothing here panics on what
//! YouTube sends: a resource missing what a message needs is left out.

use serde_json::Value;

use super::super::ids::{
    comment_url, is_comment_id, is_plain_id, is_video_id, thread_of, watch_url,
};
use super::super::{items, str_field};
use crate::inbox::{Author, IncomingMessage, MessageKind, PostRef};
use crate::search::{text_field, time_ms};

/// One comment thread of a `commentThreads.list` page, as far as the inbox needs it.
pub(crate) struct Thread<'a> {
    /// The thread's id, which is its top-level comment's.
    pub id: &'a str,
    pub video: &'a str,
    pub top: &'a Value,
    /// The replies the page included (`replies.comments`): some of them only, when there are
    /// more than a few.
    pub replies: &'a [Value],
    /// How many replies the thread has in all.
    pub total_replies: u64,
}

impl<'a> Thread<'a> {
    /// The thread in `v`; `None` for one that is not on a video (a comment about the channel
    /// itself) or lacks its ids.
    pub fn of(v: &'a Value) -> Option<Self> {
        let snippet = v.get("snippet")?;
        let top = snippet.get("topLevelComment")?;
        let id = str_field(top, "id")
            .or_else(|| str_field(v, "id"))
            .filter(|id| is_comment_id(id))?;
        let video = str_field(snippet, "videoId")
            .or_else(|| top.get("snippet").and_then(|s| str_field(s, "videoId")))
            .filter(|v| is_video_id(v))?;
        let replies = v
            .get("replies")
            .and_then(|r| r.get("comments"))
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let total_replies = match snippet.get("totalReplyCount") {
            Some(Value::String(s)) => s.trim().parse().unwrap_or_default(),
            Some(n) => n.as_u64().unwrap_or_default(),
            None => 0,
        };
        Some(Self {
            id,
            video,
            top,
            replies,
            total_replies,
        })
    }

    /// Whether YouTube has replies the page left out (`comments.list` reads them).
    pub fn has_more_replies(&self) -> bool {
        self.total_replies > self.replies.len() as u64
    }

    /// The top-level comment as a message; `None` when it is the brand's.
    pub fn top_message(&self, brand: &str) -> Option<IncomingMessage> {
        message_of(self.top, self.video, None, brand)
    }

    /// The included replies as messages, leaving out the brand's.
    pub fn reply_messages(&self, brand: &str) -> Vec<IncomingMessage> {
        self.replies
            .iter()
            .filter_map(|r| message_of(r, self.video, Some(self.id), brand))
            .collect()
    }

    /// The newest publication time in the thread as included (the brand's comments too),
    /// Unix milliseconds: how recent the thread is, as far as the page shows.
    pub fn latest_ms(&self) -> Option<i64> {
        std::iter::once(self.top)
            .chain(self.replies)
            .filter_map(published_ms)
            .max()
    }
}

/// The replies of a `comments.list?parentId=` page under thread `thread` of `video`, leaving
/// out the brand's.
pub(crate) fn replies_of(
    page: &Value,
    video: &str,
    thread: &str,
    brand: &str,
) -> Vec<IncomingMessage> {
    items(page)
        .iter()
        .filter_map(|c| message_of(c, video, Some(thread), brand))
        .collect()
}

/// When a comment was published, Unix milliseconds.
pub(crate) fn published_ms(comment: &Value) -> Option<i64> {
    comment
        .get("snippet")
        .and_then(|s| str_field(s, "publishedAt"))
        .and_then(time_ms)
}

/// The comment `c` on `video` as a message: a top-level comment when `thread` is `None`, a
/// reply under `thread` otherwise. `None` for the brand's own (`authorChannelId` is the
/// channel) and for a comment missing its id, time or author.
fn message_of(
    c: &Value,
    video: &str,
    thread: Option<&str>,
    brand: &str,
) -> Option<IncomingMessage> {
    let snippet = c.get("snippet")?;
    let id = str_field(c, "id").filter(|id| is_comment_id(id))?;
    let created_at = published_ms(c)?;
    let author = author_of(snippet)?;
    if author.id == brand {
        return None;
    }
    let video_ref = PostRef {
        id: video.to_owned(),
        version: None,
        url: Some(watch_url(video)),
    };
    let (kind, parent) = match thread {
        None => (MessageKind::Comment, video_ref.clone()),
        Some(thread) => {
            // YouTube names the top-level comment; the reply's own id starts with it too.
            let parent = str_field(snippet, "parentId")
                .filter(|p| is_comment_id(p))
                .unwrap_or_else(|| thread_of(id));
            let parent = if parent == id { thread } else { parent };
            (
                MessageKind::Reply,
                PostRef {
                    id: parent.to_owned(),
                    version: None,
                    url: Some(comment_url(video, parent)),
                },
            )
        }
    };
    // Asked as `plainText`, `textDisplay` is the text without markup; `textOriginal` is
    // given to the comment's author only.
    let text = text_field(snippet, "textDisplay")
        .or_else(|| text_field(snippet, "textOriginal"))
        .unwrap_or_default();
    Some(IncomingMessage {
        network_id: id.to_owned(),
        version: None,
        url: Some(comment_url(video, id)),
        kind,
        author,
        text,
        lang: None,
        created_at,
        parent: Some(parent),
        root: Some(video_ref),
        subject: None,
        direct_thread: None,
    })
}

/// The comment's author: their channel, as YouTube names it.
fn author_of(snippet: &Value) -> Option<Author> {
    let id = snippet
        .get("authorChannelId")
        .and_then(|a| str_field(a, "value"))
        .filter(|id| is_plain_id(id))?;
    let link = |key: &str| {
        text_field(snippet, key).filter(|u| u.starts_with("https://") || u.starts_with("http://"))
    };
    Some(Author {
        id: id.to_owned(),
        // Handles (`@name`) are what YouTube now shows as the author's name.
        handle: text_field(snippet, "authorDisplayName").unwrap_or_else(|| id.to_owned()),
        display_name: None,
        avatar_url: link("authorProfileImageUrl"),
        profile_url: link("authorChannelUrl"),
        followers: None,
        created_at: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn comment(id: &str, author: &str, at: &str) -> Value {
        json!({ "kind": "youtube#comment", "id": id, "snippet": {
            "authorDisplayName": "@fan", "authorChannelId": { "value": author },
            "authorChannelUrl": "http://www.youtube.com/@fan",
            "authorProfileImageUrl": "https://yt3.ggpht.com/fan.jpg",
            "textDisplay": "Super vidéo", "textOriginal": "Super vidéo",
            "publishedAt": at, "updatedAt": at
        }})
    }

    #[test]
    fn a_thread_gives_its_comment_and_replies_but_not_the_brands() {
        let thread = json!({ "kind": "youtube#commentThread", "id": "UgxThread00000000000000",
            "snippet": { "videoId": "dQw4w9WgXcQ", "totalReplyCount": 3,
                "topLevelComment":
                    comment("UgxThread00000000000000", "UCfan", "2026-03-01T10:00:00Z") },
            "replies": { "comments": [
                comment("UgxThread00000000000000.r1", "UCbrand", "2026-03-01T10:05:00Z"),
                comment("UgxThread00000000000000.r2", "UCother", "2026-03-01T10:06:00Z"),
            ]}
        });
        let t = Thread::of(&thread).expect("a thread");
        assert!(t.has_more_replies());
        assert_eq!(t.latest_ms(), time_ms("2026-03-01T10:06:00Z"));
        let top = t.top_message("UCbrand").expect("the fan's comment");
        assert_eq!(top.kind, MessageKind::Comment);
        assert_eq!(top.parent, top.root);
        assert_eq!(
            top.root.as_ref().map(|r| r.id.as_str()),
            Some("dQw4w9WgXcQ")
        );
        assert_eq!(
            top.author.profile_url.as_deref(),
            Some("http://www.youtube.com/@fan")
        );
        let replies = t.reply_messages("UCbrand");
        assert_eq!(replies.len(), 1, "the brand's own reply is left out");
        assert_eq!(replies[0].kind, MessageKind::Reply);
        assert_eq!(
            replies[0].parent.as_ref().map(|p| p.id.as_str()),
            Some("UgxThread00000000000000")
        );
        assert!(t.top_message("UCfan").is_none());
    }

    #[test]
    fn what_lacks_an_id_a_time_or_an_author_is_left_out() {
        for bad in [
            json!({ "snippet": { "publishedAt": "2026-03-01T10:00:00Z",
                "authorChannelId": { "value": "UCfan" } } }),
            json!({ "id": "UgxComment0000000000", "snippet": {
                "authorChannelId": { "value": "UCfan" } } }),
            json!({ "id": "UgxComment0000000000", "snippet": {
                "publishedAt": "2026-03-01T10:00:00Z" } }),
            json!({ "id": "UgxComment0000000000", "snippet": { "publishedAt": "yesterday",
                "authorChannelId": { "value": "UCfan" } } }),
            json!("nothing"),
        ] {
            assert!(
                message_of(&bad, "dQw4w9WgXcQ", None, "UCbrand").is_none(),
                "{bad}"
            );
        }
        // A thread about the channel, not on a video.
        let about_channel = json!({ "id": "UgxThread00000000000000", "snippet": {
            "channelId": "UCbrand",
            "topLevelComment": comment("UgxThread00000000000000", "UCfan", "2026-03-01T10:00:00Z")
        } });
        assert!(Thread::of(&about_channel).is_none());
    }
}

//! YouTube's ids, and the published posts they make: a video's id has 11 characters of
//! base64url; a comment's (a comment thread's, which is its top-level comment's) is longer; a
//! reply's is its top-level comment's, a `.`, and its own (`Ugz….AaBb…`).

use crate::{NetworkError, PublishedPost};

/// Letters, digits, `-` and `_`: YouTube's channel, playlist and video ids.
pub(super) fn is_plain_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A video id: 11 characters of base64url.
pub(super) fn is_video_id(id: &str) -> bool {
    id.len() == 11 && is_plain_id(id)
}

/// A comment (or comment thread) id: longer than a video's, with `.` in a reply's.
pub(super) fn is_comment_id(id: &str) -> bool {
    (12..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// A reply's id: a comment id with a `.` between its top-level comment's id and its own.
pub(super) fn is_reply_id(id: &str) -> bool {
    is_comment_id(id) && id.contains('.')
}

/// The top-level comment (the thread) a comment id belongs to: the part of a reply's id before
/// the `.`, or the id itself. YouTube nests replies one level only, so this is what a reply
/// to a reply answers on YouTube.
pub(super) fn thread_of(id: &str) -> &str {
    id.split_once('.').map_or(id, |(thread, _)| thread)
}

/// A language tag YouTube may take: letters, digits and `-`, short.
pub(super) fn is_language(tag: &str) -> bool {
    (2..=35).contains(&tag.len())
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && tag.as_bytes()[0].is_ascii_alphabetic()
}

pub(super) fn video_post(id: &str) -> PublishedPost {
    PublishedPost {
        id: id.to_owned(),
        version: None,
        url: format!("https://www.youtube.com/watch?v={id}"),
    }
}

pub(super) fn comment_post(video: &str, id: &str) -> PublishedPost {
    PublishedPost {
        id: id.to_owned(),
        version: None,
        url: comment_url(video, id),
    }
}

/// Where a person watches a video.
pub(super) fn watch_url(video: &str) -> String {
    format!("https://www.youtube.com/watch?v={video}")
}

/// Where a person reads a comment: its video, opened at the comment.
pub(super) fn comment_url(video: &str, comment: &str) -> String {
    format!("https://www.youtube.com/watch?v={video}&lc={comment}")
}

/// The video a published post is, or a comment is on (from its address).
pub(super) fn video_of(post: &PublishedPost) -> Result<String, NetworkError> {
    if is_video_id(&post.id) {
        return Ok(post.id.clone());
    }
    url::Url::parse(&post.url)
        .ok()
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "v")
                .map(|(_, v)| v.into_owned())
        })
        .filter(|v| is_video_id(v))
        .ok_or_else(|| NetworkError::Rejected(format!("`{}` is not a YouTube video", post.id)))
}

/// What a published post is on YouTube.
pub(super) enum Kind {
    Video,
    /// A top-level comment (the first of a comment thread).
    Comment,
    /// A reply under a top-level comment.
    Reply,
}

pub(super) fn kind_of(post: &PublishedPost) -> Result<Kind, NetworkError> {
    if is_video_id(&post.id) {
        Ok(Kind::Video)
    } else if is_reply_id(&post.id) {
        Ok(Kind::Reply)
    } else if is_comment_id(&post.id) {
        Ok(Kind::Comment)
    } else {
        Err(NetworkError::Rejected(format!(
            "`{}` is neither a YouTube video nor a comment",
            post.id
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn ids_tell_videos_from_comments() {
        let v = video_post("dQw4w9WgXcQ");
        assert_eq!(v.url, "https://www.youtube.com/watch?v=dQw4w9WgXcQ");
        assert!(matches!(kind_of(&v), Ok(Kind::Video)));
        let c = comment_post("dQw4w9WgXcQ", "UgzDE2tasfmrYLyNkGt4AaABAg");
        assert_eq!(
            c.url,
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc=UgzDE2tasfmrYLyNkGt4AaABAg"
        );
        assert!(matches!(kind_of(&c), Ok(Kind::Comment)));
        assert_eq!(video_of(&c).ok().as_deref(), Some("dQw4w9WgXcQ"));
        let reply = PublishedPost {
            id: "UgzDE2tasfmrYLyNkGt4AaABAg.9xyzAbc".into(),
            version: None,
            url: String::new(),
        };
        assert!(matches!(kind_of(&reply), Ok(Kind::Reply)));
        assert_eq!(thread_of(&reply.id), "UgzDE2tasfmrYLyNkGt4AaABAg");
        assert_eq!(
            thread_of("UgzDE2tasfmrYLyNkGt4AaABAg"),
            "UgzDE2tasfmrYLyNkGt4AaABAg"
        );
        assert!(!is_reply_id("UgzDE2tasfmrYLyNkGt4AaABAg"));
        assert!(matches!(video_of(&reply), Err(NetworkError::Rejected(_))));
        let odd = PublishedPost {
            id: "a b".into(),
            version: None,
            url: String::new(),
        };
        assert!(matches!(kind_of(&odd), Err(NetworkError::Rejected(_))));
    }
}

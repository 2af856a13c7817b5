//! A record that concerns the brand, as an inbox message: the same message whether it came by
//! the firehose or by the notifications (same id: the record's `at://` URI).

use serde_json::Value;

use super::concern::{Concern, POST, authority};
use crate::Credentials;
use crate::inbox::{Author, IncomingMessage, PostRef};
use crate::search::{text_field, time_ms};

/// Where people read posts: the channel's `web` setting, or `https://bsky.app`.
pub(crate) fn web(creds: &Credentials) -> String {
    creds
        .setting("web")
        .map(str::trim)
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
        .unwrap_or("https://bsky.app")
        .trim_end_matches('/')
        .to_owned()
}

/// The parts of `at://authority/collection/rkey`.
pub(crate) fn parse_at_uri(uri: &str) -> Option<(&str, &str, &str)> {
    let mut parts = uri.strip_prefix("at://")?.split('/');
    let (authority, collection, rkey) = (parts.next()?, parts.next()?, parts.next()?);
    let whole = parts.next().is_none() && ![authority, collection, rkey].contains(&"");
    whole.then_some((authority, collection, rkey))
}

/// A reference with the address people open, for posts (other records have none).
fn with_url(mut post: PostRef, web: &str) -> PostRef {
    if let Some((did, POST, rkey)) = parse_at_uri(&post.id) {
        post.url = Some(format!("{web}/profile/{did}/post/{rkey}"));
    }
    post
}

/// What is known of an account from its DID alone; the handle is the DID until resolved.
pub(crate) fn author_of(did: &str, web: &str) -> Author {
    Author {
        id: did.to_owned(),
        handle: did.to_owned(),
        profile_url: Some(format!("{web}/profile/{did}")),
        ..Author::default()
    }
}

/// The record at `uri` (version `cid`) as a message. `fallback_ms` dates a record without a
/// readable `createdAt`.
pub(crate) fn message_of(
    uri: &str,
    cid: Option<String>,
    author: Author,
    record: &Value,
    concern: Concern,
    web: &str,
    fallback_ms: i64,
) -> IncomingMessage {
    let is_post = parse_at_uri(uri).is_some_and(|(_, collection, _)| collection == POST);
    let url = parse_at_uri(uri)
        .filter(|_| is_post)
        .map(|(did, _, rkey)| format!("{web}/profile/{did}/post/{rkey}"));
    let text = if is_post {
        record
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    } else {
        String::new()
    };
    IncomingMessage {
        network_id: uri.to_owned(),
        version: cid,
        url,
        kind: concern.kind,
        author,
        text,
        lang: record
            .get("langs")
            .and_then(Value::as_array)
            .and_then(|l| l.first())
            .and_then(Value::as_str)
            .map(str::to_owned)
            .filter(|_| is_post),
        created_at: record
            .get("createdAt")
            .and_then(Value::as_str)
            .and_then(time_ms)
            .unwrap_or(fallback_ms),
        parent: concern.parent.map(|p| with_url(p, web)),
        root: concern.root.map(|p| with_url(p, web)),
        subject: concern.subject.map(|p| with_url(p, web)),
        direct_thread: None,
    }
}

/// What a profile view (`app.bsky.actor.defs#profileView` or `…Detailed`) tells of an author.
pub(crate) fn fill_profile(author: &mut Author, profile: &Value) {
    if let Some(handle) = text_field(profile, "handle").filter(|h| h != "handle.invalid") {
        author.handle = handle;
    }
    author.display_name = text_field(profile, "displayName").or(author.display_name.take());
    author.avatar_url = text_field(profile, "avatar")
        .filter(|a| a.starts_with("https://") || a.starts_with("http://"))
        .or(author.avatar_url.take());
    author.followers = profile
        .get("followersCount")
        .and_then(Value::as_u64)
        .or(author.followers);
    author.created_at = text_field(profile, "createdAt")
        .and_then(|t| time_ms(&t))
        .or(author.created_at);
}

/// Whether `uri` lies in the repository of `did`.
pub(crate) fn in_repo(uri: &str, did: &str) -> bool {
    authority(uri) == Some(did)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbox::MessageKind;
    use serde_json::json;

    #[test]
    fn a_reply_becomes_a_message_with_addresses() {
        let record = json!({ "$type": POST, "text": "Merci !", "langs": ["fr"], "createdAt": "2026-03-01T10:00:00.000Z",
            "reply": { "root": { "uri": "at://did:plc:brand/app.bsky.feed.post/3lroot", "cid": "bafyroot" },
                       "parent": { "uri": "at://did:plc:brand/app.bsky.feed.post/3lroot", "cid": "bafyroot" } } });
        let concern = super::super::concern::concern("did:plc:fan", POST, &record, "did:plc:brand")
            .expect("a reply");
        let uri = "at://did:plc:fan/app.bsky.feed.post/3lreply";
        let m = message_of(
            uri,
            Some("bafyreply".into()),
            author_of("did:plc:fan", "https://bsky.app"),
            &record,
            concern,
            "https://bsky.app",
            0,
        );
        assert_eq!(m.kind, MessageKind::Reply);
        assert_eq!(
            m.url.as_deref(),
            Some("https://bsky.app/profile/did:plc:fan/post/3lreply")
        );
        assert_eq!(m.text, "Merci !");
        assert_eq!(m.lang.as_deref(), Some("fr"));
        assert_eq!(m.created_at, 1_772_359_200_000);
        let root = m.root.expect("root");
        assert_eq!(
            root.url.as_deref(),
            Some("https://bsky.app/profile/did:plc:brand/post/3lroot")
        );
        assert_eq!(root.version.as_deref(), Some("bafyroot"));
        assert_eq!(
            m.author.profile_url.as_deref(),
            Some("https://bsky.app/profile/did:plc:fan")
        );
    }

    #[test]
    fn at_uris_split_in_three() {
        assert_eq!(
            parse_at_uri("at://did:plc:a/app.bsky.feed.post/3l"),
            Some(("did:plc:a", POST, "3l"))
        );
        assert_eq!(parse_at_uri("at://did:plc:a/app.bsky.feed.post"), None);
        assert_eq!(parse_at_uri("at://did:plc:a/app.bsky.feed.post/3l/x"), None);
        assert_eq!(parse_at_uri("at://did:plc:a//3l"), None);
        assert!(
            in_repo("at://did:plc:a/c/r", "did:plc:a")
                && !in_repo("at://did:plc:ab/c/r", "did:plc:a")
        );
    }

    #[test]
    fn a_profile_fills_in_the_author() {
        let mut author = author_of("did:plc:fan", "https://bsky.app");
        fill_profile(
            &mut author,
            &json!({ "did": "did:plc:fan", "handle": "fan.bsky.social",
            "displayName": "Fan", "avatar": "https://cdn.bsky.app/a.jpg", "followersCount": 12,
            "createdAt": "2024-01-01T00:00:00.000Z" }),
        );
        assert_eq!(author.handle, "fan.bsky.social");
        assert_eq!(author.display_name.as_deref(), Some("Fan"));
        assert_eq!(author.followers, Some(12));
        assert_eq!(author.created_at, Some(1_704_067_200_000));
        fill_profile(
            &mut author,
            &json!({ "handle": "handle.invalid", "avatar": "javascript:x" }),
        );
        assert_eq!(author.handle, "fan.bsky.social");
        assert_eq!(
            author.avatar_url.as_deref(),
            Some("https://cdn.bsky.app/a.jpg")
        );
    }
}

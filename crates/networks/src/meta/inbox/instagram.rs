//! The Instagram account's inbox: the comments under its 25 newest media and the replies under
//! those comments, in one call by field expansion (`GET /{ig-user-id}/media?fields=id,
//! timestamp,permalink,comments.limit(50){id,text,timestamp,username,from,parent_id,
//! replies{…}}`), read on from `GET /{ig-media-id}/comments` and `GET /{ig-comment-id}/replies`
//! for a media or a comment with more.
//!
//! Instagram nests one level: a reply's parent is always a top-level comment, and a reply to
//! a reply sits under that same comment. The account's own comments are left out (replies to
//! them are not).
//!
//! Instagram does not document the order of comments and replies, nor takes `since`: a list
//! that runs newest first stops at the page that reaches behind the cursor, one in another
//! order is read to its end (five pages at most). So a new reply under an old comment that
//! lies past the comments' pages read is missed. Mentions of the account in others' posts and
//! direct messages are left aside: they need webhooks and the Instagram messaging
//! permissions.

use relais_outbound::HttpClient;
use serde_json::Value;

use super::super::graph::{Graph, is_object_id, items, str_field, time_ms};
use super::super::instagram::reply_version;
use super::super::{COMMENT, graph_for, id_setting};
use super::collect::Collector;
use super::https;
use super::lists::{first_page, newer_may_follow_any_order, with_next_pages};
use crate::inbox::{Author, InboxPage, IncomingMessage, MessageKind, PostRef};
use crate::{Credentials, NetworkError};

const NETWORK: &str = "Instagram";
const MEDIA: &str = "25";
const COMMENT_FIELDS: &str = "id,text,timestamp,username,from,parent_id";

fn media_fields() -> String {
    format!(
        "id,timestamp,permalink,comments.limit(50){{{COMMENT_FIELDS},replies{{{COMMENT_FIELDS}}}}}"
    )
}

/// The account, to tell its own comments apart.
#[derive(Clone, Copy)]
pub(crate) struct Account<'a> {
    pub id: &'a str,
    /// `username` from the channel's settings, when kept.
    pub username: Option<&'a str>,
}

pub(crate) async fn read(
    http: &HttpClient,
    creds: &Credentials,
    cursor: Option<&str>,
) -> Result<InboxPage, NetworkError> {
    let user = id_setting(creds, "ig_user_id", NETWORK)?;
    let account = Account {
        id: &user,
        username: creds
            .setting("username")
            .map(str::trim)
            .filter(|u| !u.is_empty()),
    };
    let graph = graph_for(http, creds, NETWORK)?;
    let mut found = Collector::new(cursor, "instagram");
    let fields = media_fields();
    let path = format!("/{user}/media");
    let media = first_page(&graph, &path, &[("fields", &fields), ("limit", MEDIA)]).await?;
    for m in items(&media) {
        let Some(root) = media_ref(m) else {
            continue;
        };
        comments_of(&graph, m, &root, account, &mut found).await?;
    }
    Ok(found.finish())
}

/// The comments of media `m` and their replies.
async fn comments_of(
    graph: &Graph<'_>,
    m: &Value,
    root: &PostRef,
    account: Account<'_>,
    found: &mut Collector,
) -> Result<(), NetworkError> {
    let nested = m.get("comments").unwrap_or(&Value::Null);
    let path = format!("/{}/comments", root.id);
    let comments = with_next_pages(graph, &path, nested, |p| {
        newer_may_follow_any_order(found, p, "timestamp")
    })
    .await?;
    for c in &comments {
        let Some(top) = str_field(c, "id").filter(|id| is_object_id(id)) else {
            continue;
        };
        if let Some(message) = comment_message(c, root, account) {
            found.offer(message);
        }
        let nested = c.get("replies").unwrap_or(&Value::Null);
        let path = format!("/{top}/replies");
        let replies = with_next_pages(graph, &path, nested, |p| {
            newer_may_follow_any_order(found, p, "timestamp")
        })
        .await?;
        for r in &replies {
            if let Some(message) = reply_message(r, top, root, account) {
                found.offer(message);
            }
        }
    }
    Ok(())
}

/// A media as the root of its comments: its id and `permalink`.
pub(crate) fn media_ref(m: &Value) -> Option<PostRef> {
    let id = str_field(m, "id").filter(|id| is_object_id(id))?;
    Some(PostRef {
        id: id.to_owned(),
        version: None,
        url: https(str_field(m, "permalink")).map(str::to_owned),
    })
}

/// Who wrote comment `c`, unless it is the account: `from{id,username}`, else `username`.
fn author(c: &Value, account: Account<'_>) -> Option<Author> {
    let from = c.get("from");
    let id = from
        .and_then(|f| str_field(f, "id"))
        .filter(|id| is_object_id(id));
    let username = from
        .and_then(|f| str_field(f, "username"))
        .or_else(|| str_field(c, "username"))
        .map(str::trim)
        .filter(|u| !u.is_empty());
    let own_id = id == Some(account.id);
    let own_name = match (username, account.username) {
        (Some(u), Some(mine)) => u.eq_ignore_ascii_case(mine),
        _ => false,
    };
    if own_id || own_name || (id.is_none() && username.is_none()) {
        return None;
    }
    let handle = username.or(id)?.to_owned();
    Some(Author {
        id: id.or(username)?.to_owned(),
        profile_url: username
            .filter(|u| {
                u.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
            })
            .map(|u| format!("https://www.instagram.com/{u}/")),
        handle,
        ..Author::default()
    })
}

/// What comment and reply share: the id, time, author and text, or `None` for the account's
/// own and for what cannot be read.
fn message(c: &Value, account: Account<'_>) -> Option<(String, i64, Author, String)> {
    let id = str_field(c, "id").filter(|id| is_object_id(id))?;
    let at = str_field(c, "timestamp").and_then(time_ms)?;
    let author = author(c, account)?;
    let text = str_field(c, "text").unwrap_or_default().to_owned();
    Some((id.to_owned(), at, author, text))
}

/// A top-level comment under `root`. One that names a parent (a reply listed among the
/// comments) is read as that parent's reply.
pub(crate) fn comment_message(
    c: &Value,
    root: &PostRef,
    account: Account<'_>,
) -> Option<IncomingMessage> {
    if let Some(parent) = str_field(c, "parent_id").filter(|p| is_object_id(p)) {
        return reply_message(c, parent, root, account);
    }
    let (id, created_at, author, text) = message(c, account)?;
    Some(IncomingMessage {
        network_id: id,
        version: Some(COMMENT.to_owned()),
        url: root.url.clone(),
        kind: MessageKind::Comment,
        author,
        text,
        lang: None,
        created_at,
        parent: Some(root.clone()),
        root: Some(root.clone()),
        subject: None,
        direct_thread: None,
    })
}

/// A reply under top-level comment `top`. Its version names `top`, where an answer to it goes.
pub(crate) fn reply_message(
    r: &Value,
    top: &str,
    root: &PostRef,
    account: Account<'_>,
) -> Option<IncomingMessage> {
    let (id, created_at, author, text) = message(r, account)?;
    Some(IncomingMessage {
        network_id: id,
        version: Some(reply_version(top)),
        url: root.url.clone(),
        kind: MessageKind::Reply,
        author,
        text,
        lang: None,
        created_at,
        parent: Some(PostRef {
            id: top.to_owned(),
            version: Some(COMMENT.to_owned()),
            url: root.url.clone(),
        }),
        root: Some(root.clone()),
        subject: None,
        direct_thread: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ACCOUNT: Account<'static> = Account {
        id: "1784",
        username: Some("cafe.relais"),
    };

    #[test]
    fn comments_replies_and_the_accounts_own() {
        let media = json!({ "id": "180", "permalink": "https://www.instagram.com/p/X/" });
        let root = media_ref(&media).expect("a root");
        let c = json!({ "id": "181", "text": "Joli", "timestamp": "2025-01-01T10:00:00+0000",
                        "username": "fan_1", "from": { "id": "555", "username": "fan_1" } });
        let m = comment_message(&c, &root, ACCOUNT).expect("a comment");
        assert_eq!(m.kind, MessageKind::Comment);
        assert_eq!(m.version.as_deref(), Some("comment"));
        assert_eq!(
            (m.author.id.as_str(), m.author.handle.as_str()),
            ("555", "fan_1")
        );
        assert_eq!(
            m.author.profile_url.as_deref(),
            Some("https://www.instagram.com/fan_1/")
        );
        let r = json!({ "id": "182", "text": "Merci", "timestamp": "2025-01-01T10:01:00+0000",
                        "username": "fan_2" });
        let reply = reply_message(&r, "181", &root, ACCOUNT).expect("a reply");
        assert_eq!(reply.kind, MessageKind::Reply);
        assert_eq!(reply.version.as_deref(), Some("reply:181"));
        assert_eq!(reply.parent.as_ref().map(|p| p.id.as_str()), Some("181"));
        assert_eq!(reply.author.id, "fan_2", "no from: the username stands in");
        for own in [
            json!({ "id": "183", "timestamp": "2025-01-01T10:00:00+0000", "from": { "id": "1784" } }),
            json!({ "id": "184", "timestamp": "2025-01-01T10:00:00+0000", "username": "Cafe.Relais" }),
            json!({ "id": "185", "timestamp": "2025-01-01T10:00:00+0000" }),
        ] {
            assert!(comment_message(&own, &root, ACCOUNT).is_none(), "{own}");
        }
    }
}

//! The Facebook Page's inbox, read from three lists:
//!
//! 1. the Page's 25 newest posts with, by field expansion, their comments of every level newest
//!    first (`GET /{page-id}/feed?fields=…,comments.filter(stream).order(reverse_chronological)
//!    .limit(50){id,message,created_time,from{id,name},parent{id},permalink_url}`); a post
//!    with more new comments than that is read on from `GET /{post-id}/comments`. One call
//!    covers the usual read, where one per post would cost 26 against the Page's call quota at
//!    every poll. A post someone else wrote on the Page (a visitor post) is a mention;
//! 2. the posts the Page is tagged in (`GET /{page-id}/tagged`): mentions;
//! 3. Messenger conversations (`GET /{page-id}/conversations?platform=messenger`, their
//!    messages by field expansion): direct messages, whose thread is the conversation. A Page
//!    token without the `pages_messaging` permission cannot read them: they are left out with
//!    a warning, as tagged posts are without theirs.
//!
//! The Page's own posts, comments and messages are left out.

use relais_outbound::HttpClient;
use serde_json::Value;

use super::super::graph::{Graph, is_object_id, items, str_field, time_ms};
use super::super::{COMMENT, graph_for, id_setting};
use super::collect::Collector;
use super::lists::{first_page, newer_may_follow, optional_first_page, with_next_pages};
use super::{DIRECT_PREFIX, https};
use crate::inbox::{Author, InboxPage, IncomingMessage, MessageKind, PostRef};
use crate::{Credentials, NetworkError};

const NETWORK: &str = "Facebook";
/// Posts read for their comments: Graph's default page of a feed.
const POSTS: &str = "25";
/// Conversations and tagged posts a page.
const LIST_PAGE: &str = "25";
const COMMENT_FIELDS: &str = "id,message,created_time,from{id,name},parent{id},permalink_url";
const TAGGED_FIELDS: &str = "id,message,created_time,from{id,name},permalink_url";

fn feed_fields() -> String {
    format!(
        "id,created_time,permalink_url,message,from{{id,name}},\
         comments.filter(stream).order(reverse_chronological).limit(50){{{COMMENT_FIELDS}}}"
    )
}

fn conversation_fields() -> String {
    "id,updated_time,messages.limit(25){id,message,from{id,name},created_time}".to_owned()
}

pub(crate) async fn read(
    http: &HttpClient,
    creds: &Credentials,
    cursor: Option<&str>,
) -> Result<InboxPage, NetworkError> {
    let page = id_setting(creds, "page_id", NETWORK)?;
    let graph = graph_for(http, creds, NETWORK)?;
    let mut found = Collector::new(cursor, "facebook");
    comments(&graph, &page, &mut found).await?;
    tagged(&graph, &page, &mut found).await?;
    conversations(&graph, &page, &mut found).await?;
    Ok(found.finish())
}

/// Visitor posts and comments of the Page's newest posts.
async fn comments(
    graph: &Graph<'_>,
    page: &str,
    found: &mut Collector,
) -> Result<(), NetworkError> {
    let fields = feed_fields();
    let path = format!("/{page}/feed");
    let feed = first_page(graph, &path, &[("fields", &fields), ("limit", POSTS)]).await?;
    for post in items(&feed) {
        let Some(root) = post_ref(post) else {
            continue;
        };
        if let Some(m) = visitor_post(post, page) {
            found.offer(m);
        }
        let nested = post.get("comments").unwrap_or(&Value::Null);
        let path = format!("/{}/comments", root.id);
        let all = with_next_pages(graph, &path, nested, |p| {
            newer_may_follow(found, p, "created_time")
        })
        .await?;
        for c in &all {
            if let Some(m) = comment_message(c, &root, page) {
                found.offer(m);
            }
        }
    }
    Ok(())
}

async fn tagged(graph: &Graph<'_>, page: &str, found: &mut Collector) -> Result<(), NetworkError> {
    let path = format!("/{page}/tagged");
    let query = [("fields", TAGGED_FIELDS), ("limit", LIST_PAGE)];
    let Some(list) =
        optional_first_page(graph, &path, &query, "posts the Page is tagged in").await?
    else {
        return Ok(());
    };
    let all = with_next_pages(graph, &path, &list, |p| {
        newer_may_follow(found, p, "created_time")
    })
    .await?;
    for post in &all {
        if let Some(m) = mention(post, page) {
            found.offer(m);
        }
    }
    Ok(())
}

async fn conversations(
    graph: &Graph<'_>,
    page: &str,
    found: &mut Collector,
) -> Result<(), NetworkError> {
    let path = format!("/{page}/conversations");
    let fields = conversation_fields();
    let query = [
        ("platform", "messenger"),
        ("fields", fields.as_str()),
        ("limit", LIST_PAGE),
    ];
    let Some(list) = optional_first_page(graph, &path, &query, "Messenger conversations").await?
    else {
        return Ok(());
    };
    // Conversations come by their last message, newest first.
    let all = with_next_pages(graph, &path, &list, |p| {
        newer_may_follow(found, p, "updated_time")
    })
    .await?;
    for conversation in &all {
        let Some(thread) = str_field(conversation, "id").filter(|id| is_message_id(id)) else {
            continue;
        };
        if str_field(conversation, "updated_time")
            .and_then(time_ms)
            .is_some_and(|at| found.is_behind(at))
        {
            continue;
        }
        let nested = conversation.get("messages").unwrap_or(&Value::Null);
        let path = format!("/{thread}/messages");
        let messages = with_next_pages(graph, &path, nested, |p| {
            newer_may_follow(found, p, "created_time")
        })
        .await?;
        for m in &messages {
            if let Some(m) = direct_message(m, thread, page) {
                found.offer(m);
            }
        }
    }
    Ok(())
}

/// A post as the root of its comments.
pub(crate) fn post_ref(post: &Value) -> Option<PostRef> {
    let id = str_field(post, "id").filter(|id| is_object_id(id))?;
    Some(PostRef {
        id: id.to_owned(),
        version: None,
        url: Some(
            https(str_field(post, "permalink_url"))
                .map_or_else(|| format!("https://www.facebook.com/{id}"), str::to_owned),
        ),
    })
}

/// Who wrote `v` (its `from`), unless it is the Page itself or Graph did not say.
fn author(v: &Value, page: &str) -> Option<Author> {
    let from = v.get("from")?;
    let id = str_field(from, "id")
        .map(str::trim)
        .filter(|id| !id.is_empty())?;
    if id == page {
        return None;
    }
    let name = str_field(from, "name")
        .map(str::trim)
        .filter(|n| !n.is_empty());
    Some(Author {
        id: id.to_owned(),
        // Facebook shows people by name and gives no handle.
        handle: name.unwrap_or(id).to_owned(),
        display_name: name.map(str::to_owned),
        ..Author::default()
    })
}

fn text(v: &Value) -> String {
    str_field(v, "message").unwrap_or_default().to_owned()
}

/// A comment under `root`: a reply when it answers another comment.
pub(crate) fn comment_message(c: &Value, root: &PostRef, page: &str) -> Option<IncomingMessage> {
    let id = str_field(c, "id").filter(|id| is_object_id(id))?;
    let created_at = str_field(c, "created_time").and_then(time_ms)?;
    let author = author(c, page)?;
    let comment_url = |comment: &str| {
        let base = root.url.clone().unwrap_or_default();
        let separator = if base.contains('?') { '&' } else { '?' };
        let short = comment.rsplit('_').next().unwrap_or(comment);
        format!("{base}{separator}comment_id={short}")
    };
    let answered = c
        .get("parent")
        .and_then(|p| str_field(p, "id"))
        .filter(|p| is_object_id(p) && *p != root.id);
    let (kind, parent) = match answered {
        Some(parent) => (
            MessageKind::Reply,
            PostRef {
                id: parent.to_owned(),
                version: Some(COMMENT.to_owned()),
                url: Some(comment_url(parent)),
            },
        ),
        None => (MessageKind::Comment, root.clone()),
    };
    Some(IncomingMessage {
        network_id: id.to_owned(),
        version: Some(COMMENT.to_owned()),
        url: Some(
            https(str_field(c, "permalink_url")).map_or_else(|| comment_url(id), str::to_owned),
        ),
        kind,
        author,
        text: text(c),
        lang: None,
        created_at,
        parent: Some(parent),
        root: Some(root.clone()),
        subject: None,
        direct_thread: None,
    })
}

/// A post someone else wrote on the Page.
pub(crate) fn visitor_post(post: &Value, page: &str) -> Option<IncomingMessage> {
    mention(post, page)
}

/// A post by someone else that names or tags the Page.
pub(crate) fn mention(post: &Value, page: &str) -> Option<IncomingMessage> {
    let root = post_ref(post)?;
    let created_at = str_field(post, "created_time").and_then(time_ms)?;
    let author = author(post, page)?;
    Some(IncomingMessage {
        network_id: root.id,
        version: None,
        url: root.url,
        kind: MessageKind::Mention,
        author,
        text: text(post),
        lang: None,
        created_at,
        parent: None,
        root: None,
        subject: None,
        direct_thread: None,
    })
}

/// A Messenger message of conversation `thread`. Its version keeps the sender's page-scoped id,
/// which an answer is sent to.
pub(crate) fn direct_message(m: &Value, thread: &str, page: &str) -> Option<IncomingMessage> {
    let id = str_field(m, "id").filter(|id| is_message_id(id))?;
    let created_at = str_field(m, "created_time").and_then(time_ms)?;
    let author = author(m, page)?;
    if !is_object_id(&author.id) {
        return None;
    }
    Some(IncomingMessage {
        network_id: id.to_owned(),
        version: Some(format!("{DIRECT_PREFIX}{}", author.id)),
        url: Some(format!(
            "https://business.facebook.com/latest/inbox/messenger?asset_id={page}"
        )),
        kind: MessageKind::Direct,
        author,
        text: text(m),
        lang: None,
        created_at,
        parent: None,
        root: None,
        subject: None,
        direct_thread: Some(thread.to_owned()),
    })
}

/// Messenger's ids (`m_…`, `t_…`): letters, digits, `_` and `-`, without white space that would
/// break a cursor.
fn is_message_id(id: &str) -> bool {
    (1..=200).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PAGE: &str = "105";

    #[test]
    fn comments_replies_and_the_pages_own() {
        let post = json!({ "id": "105_1", "created_time": "2025-01-01T10:00:00+0000",
                           "permalink_url": "https://www.facebook.com/cafe/posts/1",
                           "from": { "id": PAGE, "name": "Café" } });
        let root = post_ref(&post).expect("a root");
        assert!(visitor_post(&post, PAGE).is_none(), "the Page's own post");
        let comment = json!({ "id": "1_10", "message": "Bravo", "from": { "id": "7", "name": "Ana" },
                              "created_time": "2025-01-01T10:05:00+0000" });
        let m = comment_message(&comment, &root, PAGE).expect("a comment");
        assert_eq!(m.kind, MessageKind::Comment);
        assert_eq!(m.parent, Some(root.clone()));
        assert_eq!(
            m.url.as_deref(),
            Some("https://www.facebook.com/cafe/posts/1?comment_id=10")
        );
        assert_eq!(
            (m.author.id.as_str(), m.author.handle.as_str()),
            ("7", "Ana")
        );
        let reply = json!({ "id": "1_11", "message": "Oui", "parent": { "id": "1_10" },
                            "from": { "id": "8" }, "created_time": "2025-01-01T10:06:00+0000" });
        let r = comment_message(&reply, &root, PAGE).expect("a reply");
        assert_eq!(r.kind, MessageKind::Reply);
        assert_eq!(r.parent.as_ref().map(|p| p.id.as_str()), Some("1_10"));
        assert_eq!(r.author.handle, "8", "no name: the id stands in");
        let own = json!({ "id": "1_12", "from": { "id": PAGE },
                          "created_time": "2025-01-01T10:07:00+0000" });
        assert!(comment_message(&own, &root, PAGE).is_none());
        for bad in [
            json!({ "id": "../x", "from": { "id": "7" }, "created_time": "2025-01-01T10:07:00+0000" }),
            json!({ "id": "1_13", "from": { "id": "7" }, "created_time": "hier" }),
            json!({ "id": "1_14", "created_time": "2025-01-01T10:07:00+0000" }),
        ] {
            assert!(comment_message(&bad, &root, PAGE).is_none(), "{bad}");
        }
    }

    #[test]
    fn direct_messages_keep_their_sender() {
        let m = json!({ "id": "m_AbC-1", "message": "Bonjour", "from": { "id": "99", "name": "Léa" },
                        "created_time": "2025-01-01T10:00:00+0000" });
        let d = direct_message(&m, "t_55", PAGE).expect("a message");
        assert_eq!(d.version.as_deref(), Some("direct:99"));
        assert_eq!(d.direct_thread.as_deref(), Some("t_55"));
        assert!(direct_message(&json!({ "id": "m 1" }), "t_55", PAGE).is_none());
    }
}

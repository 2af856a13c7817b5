//! A Threads media object, as `/conversation` and `/mentions` give it, read as an inbox
//! message.
//!
//! Fields used: `id`, `timestamp` (ISO 8601, `+0000`), `text` (absent on a reply that is only
//! an image), `username` (given for public profiles only), `permalink`, `replied_to` and
//! `root_post` (objects `{"id"}`; a bare id is accepted too) and `is_reply_owned_by_me`.

use std::collections::HashMap;

use serde_json::Value;

use super::super::lookup::timestamp_ms;
use super::super::{is_id, is_username, str_field};
use crate::inbox::{Author, IncomingMessage, MessageKind, PostRef};

/// The account whose inbox is read, to leave its own posts out.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Brand<'a> {
    /// Its username, when known (kept in the channel's secrets since it was connected).
    pub username: Option<&'a str>,
}

impl Brand<'_> {
    /// Whether the brand wrote `item`: Threads says so of replies (`is_reply_owned_by_me`);
    /// otherwise the username tells.
    pub fn wrote(&self, item: &Value) -> bool {
        if item.get("is_reply_owned_by_me").and_then(Value::as_bool) == Some(true) {
            return true;
        }
        matches!(
            (self.username, str_field(item, "username")),
            (Some(me), Some(them)) if me.eq_ignore_ascii_case(them.trim())
        )
    }
}

/// The addresses of the posts met so far, by id: a reply's parent is often one of them (the
/// brand's post, or another reply of the same conversation).
pub(crate) type Links = HashMap<String, String>;

/// An item's `permalink`, when it is an https address.
pub(crate) fn permalink(item: &Value) -> Option<String> {
    str_field(item, "permalink")
        .map(str::trim)
        .filter(|l| l.starts_with("https://"))
        .map(str::to_owned)
}

/// A media id written as an object (`"replied_to": {"id": "…"}`, as Meta does) or bare.
fn media_ref(item: &Value, key: &str) -> Option<String> {
    let v = item.get(key)?;
    let id = v.as_str().or_else(|| str_field(v, "id"))?.trim();
    is_id(id).then(|| id.to_owned())
}

fn post_ref(id: String, links: &Links) -> PostRef {
    PostRef {
        url: links.get(&id).cloned(),
        id,
        version: None,
    }
}

/// Who wrote `item`. Threads gives no stable user id with a reply, only the username: it is
/// the author's id as well as their handle (a renamed account looks like a new one). A
/// private profile comes without a username: its author is left empty.
fn author_of(item: &Value) -> Author {
    let Some(name) = str_field(item, "username")
        .map(str::trim)
        .filter(|u| is_username(u))
    else {
        return Author::default();
    };
    Author {
        id: name.to_owned(),
        handle: name.to_owned(),
        profile_url: Some(format!("https://www.threads.com/@{name}")),
        ..Author::default()
    }
}

/// What every message takes from its media object; `None` when it is no message (no id, no
/// time, or the brand's own).
fn base(item: &Value, brand: Brand<'_>, kind: MessageKind) -> Option<IncomingMessage> {
    let id = str_field(item, "id")
        .map(str::trim)
        .filter(|id| is_id(id))?;
    let created_at = timestamp_ms(item)?;
    if brand.wrote(item) {
        return None;
    }
    Some(IncomingMessage {
        network_id: id.to_owned(),
        version: None,
        url: permalink(item),
        kind,
        author: author_of(item),
        text: str_field(item, "text").unwrap_or_default().to_owned(),
        lang: None,
        created_at,
        parent: None,
        root: None,
        subject: None,
        direct_thread: None,
    })
}

/// A reply in the conversation under the brand's post `post`: what it answers (`replied_to`,
/// else the post) is its parent, the conversation's first post (`root_post`, else the post)
/// its root.
pub(crate) fn reply_of(
    item: &Value,
    brand: Brand<'_>,
    post: &str,
    links: &Links,
) -> Option<IncomingMessage> {
    let mut message = base(item, brand, MessageKind::Reply)?;
    let parent = media_ref(item, "replied_to").unwrap_or_else(|| post.to_owned());
    let root = media_ref(item, "root_post").unwrap_or_else(|| post.to_owned());
    message.parent = Some(post_ref(parent, links));
    message.root = Some(post_ref(root, links));
    Some(message)
}

/// A post that names the brand. When it is itself a reply, Threads names what it answers and
/// its thread's first post.
pub(crate) fn mention_of(item: &Value, brand: Brand<'_>) -> Option<IncomingMessage> {
    let mut message = base(item, brand, MessageKind::Mention)?;
    let links = Links::new();
    message.parent = media_ref(item, "replied_to").map(|id| post_ref(id, &links));
    message.root = media_ref(item, "root_post").map(|id| post_ref(id, &links));
    Some(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BRAND: Brand<'static> = Brand {
        username: Some("relais_app"),
    };

    #[test]
    fn a_reply_names_its_parent_and_root() {
        let links: Links = [(
            "100".to_owned(),
            "https://www.threads.com/@relais_app/post/A".to_owned(),
        )]
        .into();
        let item = json!({
            "id": "201", "text": "Une question", "username": "fan.one",
            "timestamp": "2026-03-01T10:00:00+0000",
            "permalink": "https://www.threads.com/@fan.one/post/B",
            "replied_to": { "id": "100" }, "root_post": { "id": "100" },
            "is_reply_owned_by_me": false, "hide_status": "NOT_HUSHED"
        });
        let m = reply_of(&item, BRAND, "100", &links).expect("a message");
        assert_eq!(m.network_id, "201");
        assert_eq!(m.kind, MessageKind::Reply);
        assert_eq!(m.created_at, 1_772_359_200_000);
        assert_eq!(
            (m.author.id.as_str(), m.author.handle.as_str()),
            ("fan.one", "fan.one")
        );
        assert_eq!(
            m.author.profile_url.as_deref(),
            Some("https://www.threads.com/@fan.one")
        );
        let parent = m.parent.expect("a parent");
        assert_eq!(parent.id, "100");
        assert_eq!(
            parent.url.as_deref(),
            Some("https://www.threads.com/@relais_app/post/A")
        );
        assert_eq!(m.root.map(|r| r.id).as_deref(), Some("100"));
    }

    #[test]
    fn the_brands_own_and_broken_items_are_left_out() {
        let own = json!({ "id": "1", "timestamp": "2026-03-01T10:00:00+0000",
                          "is_reply_owned_by_me": true, "username": "someone" });
        assert!(reply_of(&own, BRAND, "9", &Links::new()).is_none());
        let by_name = json!({ "id": "1", "timestamp": "2026-03-01T10:00:00+0000",
                              "username": "Relais_App" });
        assert!(mention_of(&by_name, BRAND).is_none());
        for bad in [
            json!({ "timestamp": "2026-03-01T10:00:00+0000" }),
            json!({ "id": "../me", "timestamp": "2026-03-01T10:00:00+0000" }),
            json!({ "id": "1", "timestamp": "yesterday" }),
            json!({ "id": 1, "timestamp": "2026-03-01T10:00:00+0000" }),
        ] {
            assert!(reply_of(&bad, BRAND, "9", &Links::new()).is_none(), "{bad}");
        }
        // A private profile: no username, still a message.
        let private = json!({ "id": "5", "timestamp": "2026-03-01T10:00:00Z",
                              "replied_to": "7" });
        let m = reply_of(&private, BRAND, "9", &Links::new()).expect("a message");
        assert_eq!(m.author, Author::default());
        assert_eq!(m.parent.map(|p| p.id).as_deref(), Some("7"));
        assert_eq!(m.root.map(|r| r.id).as_deref(), Some("9"));
        assert_eq!(m.text, "");
    }

    #[test]
    fn a_mention_names_its_thread_only_when_it_answers() {
        let alone = json!({ "id": "3", "timestamp": "2026-03-01T10:00:00+0000",
                            "username": "fan", "text": "@relais_app bravo",
                            "permalink": "javascript:alert(1)" });
        let m = mention_of(&alone, BRAND).expect("a mention");
        assert_eq!(
            (m.kind, m.parent, m.root, m.url),
            (MessageKind::Mention, None, None, None)
        );
        let answering = json!({ "id": "4", "timestamp": "2026-03-01T10:00:00+0000",
                                "replied_to": { "id": "8" }, "root_post": { "id": "2" } });
        let m = mention_of(&answering, BRAND).expect("a mention");
        assert_eq!(m.parent.map(|p| p.id).as_deref(), Some("8"));
        assert_eq!(m.root.map(|r| r.id).as_deref(), Some("2"));
    }
}

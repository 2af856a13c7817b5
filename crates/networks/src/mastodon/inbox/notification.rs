//! One Mastodon notification as an inbox message, without the network: what it is (mention,
//! reply, quote, repost, direct message), who wrote it and what it refers to. The same reading
//! serves polling (`GET /api/v1/notifications`) and the stream (`notification` events), so a
//! message has the same id and content whichever way it came.

use serde_json::Value;

use super::super::search::hit_of;
use super::super::{is_id, str_field};
use crate::inbox::{Author, IncomingMessage, MessageKind, PostRef};
use crate::search::{text_field, time_ms};

/// The notification types that are inbox messages. `quote` exists since Mastodon 4.5; older
/// instances ignore the name.
pub(crate) const TYPES: [&str; 3] = ["mention", "reblog", "quote"];

/// Whose inbox it is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Brand<'a> {
    /// The brand's account id on its instance.
    pub id: &'a str,
    /// The instance's host, added to local accounts' handles.
    pub home: Option<&'a str>,
}

/// The notification's id (the cursor's unit), when it has a usable one.
pub(crate) fn notification_id(notification: &Value) -> Option<&str> {
    str_field(notification, "id").filter(|id| is_id(id))
}

/// The inbox message a notification is, or `None` when it is none (another type, a status
/// gone, the brand's own doing, fields missing).
pub(crate) fn message_of(notification: &Value, brand: Brand<'_>) -> Option<IncomingMessage> {
    let kind = str_field(notification, "type")?;
    if !TYPES.contains(&kind) {
        return None;
    }
    let status = notification.get("status").filter(|s| s.is_object())?;
    let notified_at = str_field(notification, "created_at").and_then(time_ms);
    if kind == "reblog" {
        return repost_of(notification, status, notified_at, brand);
    }
    let id = str_field(status, "id").filter(|id| is_id(id))?;
    let author = author_of(status.get("account")?, brand.home)?;
    if author.id == brand.id {
        return None;
    }
    let hit = hit_of(status, brand.home);
    let quoted = quoted_of(status);
    let quotes_brand = quoted
        .as_ref()
        .is_some_and(|(_, owner)| owner.as_deref() == Some(brand.id));
    let kind = if text_field(status, "visibility").as_deref() == Some("direct") {
        MessageKind::Direct
    } else if kind == "quote" || quotes_brand {
        MessageKind::Quote
    } else if text_field(status, "in_reply_to_account_id").as_deref() == Some(brand.id) {
        MessageKind::Reply
    } else {
        MessageKind::Mention
    };
    Some(IncomingMessage {
        network_id: id.to_owned(),
        version: None,
        url: hit.url,
        kind,
        author,
        text: hit.text,
        lang: hit.lang,
        created_at: hit.published_at.or(notified_at)?,
        parent: hit.in_reply_to.filter(|p| is_id(p)).map(|id| PostRef {
            id,
            ..PostRef::default()
        }),
        root: None,
        subject: match kind {
            MessageKind::Quote => quoted.map(|(post, _)| post),
            _ => None,
        },
        direct_thread: None,
    })
}

/// A boost of the brand's status: no status of its own in the notification, so its id is the
/// pair (who boosted, what), which a second boost of the same status by the same account
/// shares.
fn repost_of(
    notification: &Value,
    status: &Value,
    notified_at: Option<i64>,
    brand: Brand<'_>,
) -> Option<IncomingMessage> {
    let author = author_of(notification.get("account")?, brand.home)?;
    if author.id == brand.id {
        return None;
    }
    let subject = post_ref(status)?;
    Some(IncomingMessage {
        network_id: format!("reblog:{}:{}", author.id, subject.id),
        version: None,
        url: None,
        kind: MessageKind::Repost,
        author,
        text: String::new(),
        lang: None,
        created_at: notified_at?,
        parent: None,
        root: None,
        subject: Some(subject),
        direct_thread: None,
    })
}

/// An account as an author; `None` without a usable id.
pub(crate) fn author_of(account: &Value, home: Option<&str>) -> Option<Author> {
    let id = str_field(account, "id").filter(|id| is_id(id))?;
    let acct = text_field(account, "acct")
        .or_else(|| text_field(account, "username"))
        .unwrap_or_else(|| id.to_owned());
    let handle = match (acct.contains('@'), home) {
        (false, Some(home)) => format!("{acct}@{home}"),
        _ => acct,
    };
    Some(Author {
        id: id.to_owned(),
        handle,
        display_name: text_field(account, "display_name"),
        avatar_url: web_address(account, "avatar"),
        profile_url: web_address(account, "url"),
        followers: account.get("followers_count").and_then(Value::as_u64),
        created_at: str_field(account, "created_at").and_then(time_ms),
    })
}

/// A status as another refers to it; `None` without a usable id.
pub(crate) fn post_ref(status: &Value) -> Option<PostRef> {
    let id = str_field(status, "id").filter(|id| is_id(id))?;
    Some(PostRef {
        id: id.to_owned(),
        version: None,
        url: web_address(status, "url").or_else(|| web_address(status, "uri")),
    })
}

/// The status this one quotes and its author's id (Mastodon 4.5's `quote`: a full
/// `quoted_status`, or only `quoted_status_id` in its shallow form).
fn quoted_of(status: &Value) -> Option<(PostRef, Option<String>)> {
    let quote = status.get("quote").filter(|q| q.is_object())?;
    if let Some(quoted) = quote.get("quoted_status").filter(|s| s.is_object()) {
        let owner = quoted
            .get("account")
            .and_then(|a| str_field(a, "id"))
            .map(str::to_owned);
        return Some((post_ref(quoted)?, owner));
    }
    let id = str_field(quote, "quoted_status_id").filter(|id| is_id(id))?;
    Some((
        PostRef {
            id: id.to_owned(),
            ..PostRef::default()
        },
        None,
    ))
}

/// A field that holds a web address; anything else (an instance could send anything) is
/// dropped.
fn web_address(v: &Value, key: &str) -> Option<String> {
    text_field(v, key).filter(|u| u.starts_with("https://") || u.starts_with("http://"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BRAND: Brand<'static> = Brand {
        id: "1",
        home: Some("home.example"),
    };

    fn account(id: &str, acct: &str) -> Value {
        json!({ "id": id, "acct": acct, "username": acct.split('@').next(),
                "display_name": "Fan", "avatar": "https://home.example/a.png",
                "url": "https://remote.example/@fan", "followers_count": 7,
                "created_at": "2026-01-01T00:00:00.000Z" })
    }

    fn status(id: &str, extra: Value) -> Value {
        let mut s = json!({
            "id": id, "url": format!("https://remote.example/@fan/{id}"),
            "created_at": "2026-03-01T10:00:00.000Z", "visibility": "public",
            "language": "fr", "in_reply_to_id": null, "in_reply_to_account_id": null,
            "spoiler_text": "", "content": "<p>@brand bonjour &amp; merci</p>",
            "account": account("20", "fan@remote.example"), "quote": null
        });
        s.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        s
    }

    fn notification(kind: &str, status: Value) -> Value {
        json!({ "id": "500", "type": kind, "created_at": "2026-03-01T10:00:01.000Z",
                "account": account("20", "fan@remote.example"), "status": status })
    }

    #[test]
    fn a_mention_reads_in_full() {
        let m = message_of(&notification("mention", status("100", json!({}))), BRAND)
            .expect("a message");
        assert_eq!(m.network_id, "100");
        assert_eq!(m.kind, MessageKind::Mention);
        assert_eq!(m.text, "@brand bonjour & merci");
        assert_eq!(m.lang.as_deref(), Some("fr"));
        assert_eq!(m.created_at, 1_772_359_200_000);
        assert_eq!(m.url.as_deref(), Some("https://remote.example/@fan/100"));
        assert_eq!(m.author.id, "20");
        assert_eq!(m.author.handle, "fan@remote.example");
        assert_eq!(m.author.followers, Some(7));
        assert_eq!(m.author.created_at, Some(1_767_225_600_000));
        assert_eq!(m.parent, None);
        assert_eq!(m.subject, None);
    }

    #[test]
    fn replies_quotes_and_direct_messages_are_told_apart() {
        let reply = status(
            "101",
            json!({ "in_reply_to_id": "90", "in_reply_to_account_id": "1" }),
        );
        let m = message_of(&notification("mention", reply), BRAND).expect("reply");
        assert_eq!(m.kind, MessageKind::Reply);
        assert_eq!(m.parent.map(|p| p.id).as_deref(), Some("90"));

        // An answer to someone else in a thread that names the brand stays a mention.
        let other = status(
            "102",
            json!({ "in_reply_to_id": "91", "in_reply_to_account_id": "33" }),
        );
        let m = message_of(&notification("mention", other), BRAND).expect("mention");
        assert_eq!(m.kind, MessageKind::Mention);

        // A quote of the brand's status, whether the notification says quote or mention.
        let brand_status = json!({ "id": "80", "url": "https://home.example/@brand/80",
                                   "account": { "id": "1", "acct": "brand" } });
        let quote = status(
            "103",
            json!({ "quote": { "state": "accepted", "quoted_status": brand_status } }),
        );
        for kind in ["quote", "mention"] {
            let m = message_of(&notification(kind, quote.clone()), BRAND).expect("quote");
            assert_eq!(m.kind, MessageKind::Quote, "{kind}");
            let subject = m.subject.expect("the quoted status");
            assert_eq!(subject.id, "80");
            assert_eq!(
                subject.url.as_deref(),
                Some("https://home.example/@brand/80")
            );
        }
        // A shallow quote (an id only) in a quote notification.
        let shallow = status(
            "104",
            json!({ "quote": { "state": "accepted", "quoted_status_id": "81" } }),
        );
        let m = message_of(&notification("quote", shallow.clone()), BRAND).expect("quote");
        assert_eq!(
            (m.kind, m.subject.map(|s| s.id)),
            (MessageKind::Quote, Some("81".into()))
        );
        // …but a mention quoting someone else's status is a mention.
        let m = message_of(&notification("mention", shallow), BRAND).expect("mention");
        assert_eq!((m.kind, m.subject), (MessageKind::Mention, None));

        let direct = status(
            "105",
            json!({ "visibility": "direct", "in_reply_to_account_id": "1" }),
        );
        let m = message_of(&notification("mention", direct), BRAND).expect("direct");
        assert_eq!(m.kind, MessageKind::Direct);
    }

    #[test]
    fn a_boost_is_a_repost_of_the_brands_status() {
        let brand_status = status(
            "80",
            json!({ "account": account("1", "brand"), "url": "https://home.example/@brand/80" }),
        );
        let n = notification("reblog", brand_status);
        let m = message_of(&n, BRAND).expect("a repost");
        assert_eq!(m.kind, MessageKind::Repost);
        assert_eq!(m.network_id, "reblog:20:80");
        assert_eq!(m.text, "");
        assert_eq!(m.author.id, "20", "the booster, not the status's author");
        assert_eq!(m.created_at, 1_772_359_201_000, "the notification's time");
        assert_eq!(m.subject.map(|s| s.id).as_deref(), Some("80"));
    }

    #[test]
    fn what_is_not_an_inbox_message_is_left_out() {
        let s = status("100", json!({}));
        assert!(message_of(&notification("favourite", s.clone()), BRAND).is_none());
        assert!(message_of(&notification("follow", Value::Null), BRAND).is_none());
        assert!(message_of(&notification("mention", Value::Null), BRAND).is_none());
        let own = status("100", json!({ "account": account("1", "brand") }));
        assert!(message_of(&notification("mention", own), BRAND).is_none());
        let bad_id = status("../x", json!({}));
        assert!(message_of(&notification("mention", bad_id), BRAND).is_none());
        let no_time = status("100", json!({ "created_at": "soon" }));
        let mut n = notification("mention", no_time);
        assert!(
            message_of(&n, BRAND).is_some(),
            "the notification's time serves"
        );
        n["created_at"] = json!(null);
        assert!(message_of(&n, BRAND).is_none());
        assert!(message_of(&json!([1, 2]), BRAND).is_none());
    }

    #[test]
    fn local_handles_get_the_instance_and_odd_links_are_dropped() {
        let mut a = account("20", "fan");
        a["avatar"] = json!("javascript:alert(1)");
        let author = author_of(&a, Some("home.example")).expect("author");
        assert_eq!(author.handle, "fan@home.example");
        assert_eq!(author.avatar_url, None);
        assert_eq!(
            author.profile_url.as_deref(),
            Some("https://remote.example/@fan")
        );
        assert!(author_of(&json!({ "acct": "x" }), None).is_none());
    }
}

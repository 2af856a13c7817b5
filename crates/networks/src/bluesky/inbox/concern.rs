//! Whether a record concerns the brand, decided from the record alone (no network): the
//! firehose shows every record of every account, and only a few are the brand's business.
//!
//! A post concerns the brand when it answers into one of the brand's threads (`reply.parent`
//! or `reply.root` in the brand's repository), quotes one of its records (`embed` of
//! `app.bsky.embed.record`, or the record part of `app.bsky.embed.recordWithMedia`), or names
//! its account in a mention facet. A repost concerns it when its subject is the brand's. The
//! brand's own records never do.

use serde_json::Value;

use crate::inbox::{MessageKind, PostRef};

pub(crate) const POST: &str = "app.bsky.feed.post";
pub(crate) const REPOST: &str = "app.bsky.feed.repost";

/// Why a record is in the brand's inbox, and what it points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Concern {
    pub kind: MessageKind,
    pub parent: Option<PostRef>,
    pub root: Option<PostRef>,
    /// The brand's record it quotes or reposts.
    pub subject: Option<PostRef>,
}

/// What a post or a repost points at, whoever it belongs to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Refs {
    pub parent: Option<PostRef>,
    pub root: Option<PostRef>,
    /// The quoted record (a post) or the reposted one (a repost).
    pub subject: Option<PostRef>,
    /// The DIDs of the mention facets.
    pub mentions: Vec<String>,
}

/// The DID (or handle) an `at://` URI points into.
pub(crate) fn authority(uri: &str) -> Option<&str> {
    let rest = uri.strip_prefix("at://")?;
    let end = rest.find('/').unwrap_or(rest.len());
    Some(&rest[..end]).filter(|a| !a.is_empty())
}

/// `{uri, cid}` (a `com.atproto.repo.strongRef`) as a reference, without its web address.
pub(crate) fn strong_ref(value: &Value) -> Option<PostRef> {
    let uri = value.get("uri")?.as_str()?;
    authority(uri)?;
    Some(PostRef {
        id: uri.to_owned(),
        version: value
            .get("cid")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
        url: None,
    })
}

/// What a record of `collection` points at.
pub(crate) fn refs(collection: &str, record: &Value) -> Refs {
    let mut found = Refs::default();
    match collection {
        REPOST => found.subject = record.get("subject").and_then(strong_ref),
        POST => {
            let reply = record.get("reply");
            found.parent = reply.and_then(|r| r.get("parent")).and_then(strong_ref);
            found.root = reply.and_then(|r| r.get("root")).and_then(strong_ref);
            let embed = record.get("embed");
            found.subject = match embed.and_then(|e| e.get("$type")).and_then(Value::as_str) {
                Some("app.bsky.embed.record") => embed.and_then(|e| e.get("record")),
                Some("app.bsky.embed.recordWithMedia") => embed
                    .and_then(|e| e.get("record"))
                    .and_then(|r| r.get("record")),
                _ => None,
            }
            .and_then(strong_ref);
            let facets = record.get("facets").and_then(Value::as_array);
            for facet in facets.into_iter().flatten() {
                let features = facet.get("features").and_then(Value::as_array);
                for feature in features.into_iter().flatten() {
                    let is_mention = feature.get("$type").and_then(Value::as_str)
                        == Some("app.bsky.richtext.facet#mention");
                    if let Some(did) = feature
                        .get("did")
                        .and_then(Value::as_str)
                        .filter(|_| is_mention)
                    {
                        found.mentions.push(did.to_owned());
                    }
                }
            }
        }
        _ => {}
    }
    found
}

/// Whether the record `author` wrote in `collection` concerns `brand` (a DID), and how. A
/// reply into the brand's thread is a reply even when it also quotes or mentions; a quote
/// comes before a mention.
pub(crate) fn concern(
    author: &str,
    collection: &str,
    record: &Value,
    brand: &str,
) -> Option<Concern> {
    if author == brand || brand.is_empty() {
        return None;
    }
    let refs = refs(collection, record);
    let brands = |r: &Option<PostRef>| r.as_ref().is_some_and(|r| authority(&r.id) == Some(brand));
    let kind = match collection {
        REPOST if brands(&refs.subject) => MessageKind::Repost,
        POST if brands(&refs.parent) || brands(&refs.root) => MessageKind::Reply,
        POST if brands(&refs.subject) => MessageKind::Quote,
        POST if refs.mentions.iter().any(|d| d == brand) => MessageKind::Mention,
        _ => return None,
    };
    let subject = refs.subject.filter(|s| authority(&s.id) == Some(brand));
    Some(Concern {
        kind,
        parent: refs.parent,
        root: refs.root,
        subject,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BRAND: &str = "did:plc:brand";
    const FAN: &str = "did:plc:fan";

    fn strong(uri: &str) -> Value {
        json!({ "uri": uri, "cid": "bafyparent" })
    }

    fn post(extra: Value) -> Value {
        let mut record =
            json!({ "$type": POST, "text": "hello", "createdAt": "2026-03-01T10:00:00.000Z" });
        if let (Some(r), Some(e)) = (record.as_object_mut(), extra.as_object()) {
            r.extend(e.clone());
        }
        record
    }

    fn kind(author: &str, collection: &str, record: &Value) -> Option<MessageKind> {
        concern(author, collection, record, BRAND).map(|c| c.kind)
    }

    #[test]
    fn a_reply_in_the_brands_thread_is_a_reply_with_its_refs() {
        let brand_post = "at://did:plc:brand/app.bsky.feed.post/3lroot";
        let other = "at://did:plc:other/app.bsky.feed.post/3lother";
        let direct =
            post(json!({ "reply": { "root": strong(brand_post), "parent": strong(brand_post) } }));
        let found = concern(FAN, POST, &direct, BRAND).expect("concerns");
        assert_eq!(found.kind, MessageKind::Reply);
        assert_eq!(
            found.parent.as_ref().map(|p| p.id.as_str()),
            Some(brand_post)
        );
        assert_eq!(
            found.root.and_then(|r| r.version).as_deref(),
            Some("bafyparent")
        );
        assert_eq!(found.subject, None);

        // Deep in the brand's thread (the parent is someone else's), or under the brand's
        // answer in someone else's thread.
        let deep =
            post(json!({ "reply": { "root": strong(brand_post), "parent": strong(other) } }));
        assert_eq!(kind(FAN, POST, &deep), Some(MessageKind::Reply));
        let under =
            post(json!({ "reply": { "root": strong(other), "parent": strong(brand_post) } }));
        assert_eq!(kind(FAN, POST, &under), Some(MessageKind::Reply));
        // Someone else's thread only.
        let elsewhere =
            post(json!({ "reply": { "root": strong(other), "parent": strong(other) } }));
        assert_eq!(kind(FAN, POST, &elsewhere), None);
    }

    #[test]
    fn quotes_mentions_and_reposts() {
        let brand_post = "at://did:plc:brand/app.bsky.feed.post/3lq";
        let quote = post(
            json!({ "embed": { "$type": "app.bsky.embed.record", "record": strong(brand_post) } }),
        );
        let found = concern(FAN, POST, &quote, BRAND).expect("a quote");
        assert_eq!(found.kind, MessageKind::Quote);
        assert_eq!(found.subject.map(|s| s.id), Some(brand_post.to_owned()));
        let with_media = post(
            json!({ "embed": { "$type": "app.bsky.embed.recordWithMedia",
            "record": { "$type": "app.bsky.embed.record", "record": strong(brand_post) },
            "media": { "$type": "app.bsky.embed.images", "images": [] } } }),
        );
        assert_eq!(kind(FAN, POST, &with_media), Some(MessageKind::Quote));
        let other_quote = post(json!({ "embed": { "$type": "app.bsky.embed.record",
            "record": strong("at://did:plc:other/app.bsky.feed.post/1") } }));
        assert_eq!(kind(FAN, POST, &other_quote), None);

        let facet = |did: &str| {
            json!({ "facets": [
            { "index": { "byteStart": 0, "byteEnd": 3 }, "features": [ { "$type": "app.bsky.richtext.facet#link", "uri": "https://x.example" } ] },
            { "index": { "byteStart": 4, "byteEnd": 15 }, "features": [ { "$type": "app.bsky.richtext.facet#mention", "did": did } ] } ] })
        };
        assert_eq!(
            kind(FAN, POST, &post(facet(BRAND))),
            Some(MessageKind::Mention)
        );
        assert_eq!(kind(FAN, POST, &post(facet("did:plc:other"))), None);
        // A brand DID that is a prefix of another DID is not that DID.
        assert_eq!(kind(FAN, POST, &post(facet("did:plc:brand2"))), None);
        // A link facet that carries a `did` is not a mention.
        let fake = post(
            json!({ "facets": [ { "features": [ { "$type": "app.bsky.richtext.facet#link", "did": BRAND } ] } ] }),
        );
        assert_eq!(kind(FAN, POST, &fake), None);

        let repost = json!({ "$type": REPOST, "subject": strong(brand_post), "createdAt": "2026-03-01T10:00:00Z" });
        let found = concern(FAN, REPOST, &repost, BRAND).expect("a repost");
        assert_eq!(
            (found.kind, found.subject.map(|s| s.id)),
            (MessageKind::Repost, Some(brand_post.to_owned()))
        );
        let elsewhere = json!({ "$type": REPOST, "subject": strong("at://did:plc:brandx/app.bsky.feed.post/1") });
        assert_eq!(kind(FAN, REPOST, &elsewhere), None);
    }

    #[test]
    fn the_brands_own_records_and_other_collections_never_concern_it() {
        let brand_post = "at://did:plc:brand/app.bsky.feed.post/3lq";
        let reply =
            post(json!({ "reply": { "root": strong(brand_post), "parent": strong(brand_post) } }));
        assert_eq!(kind(BRAND, POST, &reply), None);
        let like = json!({ "$type": "app.bsky.feed.like", "subject": strong(brand_post) });
        assert_eq!(kind(FAN, "app.bsky.feed.like", &like), None);
        assert_eq!(kind(FAN, POST, &json!("not a record")), None);
        assert_eq!(
            concern(FAN, POST, &reply, ""),
            None,
            "no brand DID, nothing"
        );
    }

    #[test]
    fn a_reply_that_also_quotes_and_mentions_is_a_reply() {
        let brand_post = "at://did:plc:brand/app.bsky.feed.post/3lq";
        let all = post(json!({
            "reply": { "root": strong(brand_post), "parent": strong(brand_post) },
            "embed": { "$type": "app.bsky.embed.record", "record": strong(brand_post) },
            "facets": [ { "features": [ { "$type": "app.bsky.richtext.facet#mention", "did": BRAND } ] } ] }));
        let found = concern(FAN, POST, &all, BRAND).expect("concerns");
        assert_eq!(found.kind, MessageKind::Reply);
        assert!(
            found.subject.is_some(),
            "the quoted brand post is kept as the subject"
        );
    }

    #[test]
    fn authorities_are_read_exactly() {
        assert_eq!(
            authority("at://did:plc:a/app.bsky.feed.post/1"),
            Some("did:plc:a")
        );
        assert_eq!(authority("at://did:plc:a"), Some("did:plc:a"));
        assert_eq!(authority("at:///x"), None);
        assert_eq!(authority("https://did:plc:a/x"), None);
        assert_eq!(strong_ref(&json!({ "uri": "not a uri", "cid": "b" })), None);
    }
}

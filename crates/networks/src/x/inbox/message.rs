//! One post of the mentions timeline, or one direct-message event, as an inbox message, without
//! the network. Both come with `includes` (the expanded users, and for posts the posts they
//! refer to), which give the author and tell whose post a quote or a repost is about.

use serde_json::Value;

use super::super::search::hit_of;
use super::super::{is_id, is_username, str_field};
use crate::inbox::{Author, IncomingMessage, MessageKind, PostRef};
use crate::search::time_ms;

/// X's snowflake ids count milliseconds from this instant (2010-11-04T01:42:54.657Z).
const SNOWFLAKE_EPOCH_MS: i64 = 1_288_834_974_657;
/// What prefixes a direct message's id, which could otherwise clash with a post's.
pub(crate) const DM_PREFIX: &str = "dm:";

/// Whose inbox it is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Brand<'a> {
    pub id: &'a str,
    pub username: Option<&'a str>,
}

/// The `includes` of an answer: expanded users and referenced posts.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Includes<'a> {
    pub users: &'a [Value],
    pub tweets: &'a [Value],
}

impl<'a> Includes<'a> {
    pub fn of(body: &'a Value) -> Self {
        let list = |key: &str| {
            body.get("includes")
                .and_then(|i| i.get(key))
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
        };
        Self {
            users: list("users"),
            tweets: list("tweets"),
        }
    }

    fn user(&self, id: &str) -> Option<&'a Value> {
        self.users.iter().find(|u| str_field(u, "id") == Some(id))
    }

    fn tweet(&self, id: &str) -> Option<&'a Value> {
        self.tweets.iter().find(|t| str_field(t, "id") == Some(id))
    }
}

/// When a snowflake id was made, Unix milliseconds: the time of a post or event that came
/// without `created_at`.
pub(crate) fn snowflake_ms(id: &str) -> Option<i64> {
    let n: u64 = id.parse().ok()?;
    i64::try_from(n >> 22).ok()?.checked_add(SNOWFLAKE_EPOCH_MS)
}

/// The inbox message a post of the mentions timeline is; `None` for the brand's own posts,
/// reposts of other people's posts (the post reposted is a mention of its own), and posts
/// without a usable id or author.
pub(crate) fn message_of_tweet(
    tweet: &Value,
    includes: Includes<'_>,
    brand: Brand<'_>,
) -> Option<IncomingMessage> {
    let id = str_field(tweet, "id").filter(|id| is_id(id))?;
    let author_id = str_field(tweet, "author_id").filter(|a| is_id(a))?;
    if author_id == brand.id {
        return None;
    }
    let referenced = |kind: &str| {
        tweet
            .get("referenced_tweets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|r| str_field(r, "type") == Some(kind))
            .and_then(|r| str_field(r, "id"))
            .filter(|id| is_id(id))
    };
    // A referenced post the brand wrote, as a reference to it.
    let brand_post = |kind: &str| {
        let id = referenced(kind)?;
        let post = includes.tweet(id)?;
        (str_field(post, "author_id") == Some(brand.id)).then(|| post_ref(id, brand.username))
    };
    let created_at = |hit_time: Option<i64>| hit_time.or_else(|| snowflake_ms(id));
    let author = author_of(author_id, includes);

    if referenced("retweeted").is_some() {
        let subject = brand_post("retweeted")?;
        let hit = hit_of(tweet, includes.users)?;
        return Some(IncomingMessage {
            network_id: id.to_owned(),
            version: None,
            url: hit.url,
            kind: MessageKind::Repost,
            author,
            text: String::new(),
            lang: None,
            created_at: created_at(hit.published_at)?,
            parent: None,
            root: None,
            subject: Some(subject),
            direct_thread: None,
        });
    }

    let hit = hit_of(tweet, includes.users)?;
    let parent = referenced("replied_to").map(|p| {
        let by_brand = includes
            .tweet(p)
            .is_some_and(|t| str_field(t, "author_id") == Some(brand.id));
        post_ref(p, if by_brand { brand.username } else { None })
    });
    // The conversation's first post, when this one is not it.
    let root = parent.as_ref().and_then(|_| {
        str_field(tweet, "conversation_id")
            .filter(|c| is_id(c) && *c != id)
            .map(|c| post_ref(c, None))
    });
    let subject = brand_post("quoted");
    let kind = if parent.is_some() {
        MessageKind::Reply
    } else if subject.is_some() {
        MessageKind::Quote
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
        created_at: created_at(hit.published_at)?,
        parent,
        root,
        subject,
        direct_thread: None,
    })
}

/// A direct message's id: its conversation and its event, so that answering it needs nothing
/// more (`dm:<conversation id>:<event id>`).
pub(crate) fn direct_id(conversation: &str, event: &str) -> String {
    format!("{DM_PREFIX}{conversation}:{event}")
}

/// A DM conversation id as X makes them: one id, or two user ids joined by `-` for a
/// one-to-one conversation.
pub(crate) fn is_conversation_id(id: &str) -> bool {
    match id.split_once('-') {
        Some((a, b)) => is_id(a) && is_id(b),
        None => is_id(id),
    }
}

/// The event's id, when it is one (the DM cursor's unit).
pub(crate) fn event_id(event: &Value) -> Option<&str> {
    str_field(event, "id").filter(|id| is_id(id))
}

/// The inbox message a direct-message event is; `None` for the brand's own messages, other
/// event types (people joining or leaving a group) and events without a conversation.
pub(crate) fn message_of_event(
    event: &Value,
    includes: Includes<'_>,
    brand: Brand<'_>,
) -> Option<IncomingMessage> {
    let id = event_id(event)?;
    if str_field(event, "event_type").is_some_and(|t| t != "MessageCreate") {
        return None;
    }
    let sender = str_field(event, "sender_id").filter(|s| is_id(s))?;
    if sender == brand.id {
        return None;
    }
    let conversation = str_field(event, "dm_conversation_id").filter(|c| is_conversation_id(c))?;
    Some(IncomingMessage {
        network_id: direct_id(conversation, id),
        version: None,
        url: Some(format!("https://x.com/messages/{conversation}")),
        kind: MessageKind::Direct,
        author: author_of(sender, includes),
        text: str_field(event, "text")
            .unwrap_or_default()
            .trim()
            .to_owned(),
        lang: None,
        created_at: str_field(event, "created_at")
            .and_then(time_ms)
            .or_else(|| snowflake_ms(id))?,
        parent: None,
        root: None,
        subject: None,
        direct_thread: Some(conversation.to_owned()),
    })
}

/// The author from the expanded users; only the id (and an address that opens the profile by
/// it) when X did not expand it.
fn author_of(id: &str, includes: Includes<'_>) -> Author {
    let Some(user) = includes.user(id) else {
        return Author {
            id: id.to_owned(),
            handle: id.to_owned(),
            profile_url: Some(format!("https://x.com/i/user/{id}")),
            ..Author::default()
        };
    };
    let username = str_field(user, "username").filter(|u| is_username(u));
    let text = |k: &str| {
        str_field(user, k)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Author {
        id: id.to_owned(),
        handle: username.unwrap_or(id).to_owned(),
        display_name: text("name"),
        avatar_url: text("profile_image_url").filter(|u| u.starts_with("https://")),
        profile_url: Some(match username {
            Some(name) => format!("https://x.com/{name}"),
            None => format!("https://x.com/i/user/{id}"),
        }),
        followers: user
            .get("public_metrics")
            .and_then(|m| m.get("followers_count"))
            .and_then(Value::as_u64),
        created_at: str_field(user, "created_at").and_then(time_ms),
    }
}

/// A post by its id, with the address people open (under its author's name when known).
fn post_ref(id: &str, username: Option<&str>) -> PostRef {
    PostRef {
        id: id.to_owned(),
        version: None,
        url: Some(match username.filter(|u| is_username(u)) {
            Some(user) => format!("https://x.com/{user}/status/{id}"),
            None => format!("https://x.com/i/web/status/{id}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BRAND: Brand<'static> = Brand {
        id: "1001",
        username: Some("relais_app"),
    };

    fn body() -> Value {
        json!({
            "includes": {
                "users": [{ "id": "7", "username": "fan", "name": "Fan ", "created_at": "2020-01-01T00:00:00.000Z",
                            "profile_image_url": "https://pbs.twimg.com/p.jpg",
                            "public_metrics": { "followers_count": 12 } }],
                "tweets": [{ "id": "100", "author_id": "1001", "text": "brand post" },
                           { "id": "200", "author_id": "8", "text": "someone else" }]
            }
        })
    }

    #[test]
    fn a_snowflake_tells_its_time() {
        // A post of X's documentation, created 2021-01-06T18:40:40Z.
        assert_eq!(snowflake_ms("1346889436626259968"), Some(1_609_958_440_344));
        assert_eq!(snowflake_ms("x"), None);
    }

    #[test]
    fn kinds_follow_the_references() {
        let b = body();
        let inc = Includes::of(&b);
        let reply = json!({ "id": "300", "author_id": "7", "text": "@relais_app oui &amp; non",
                            "conversation_id": "100", "created_at": "2026-03-01T10:00:00.000Z",
                            "referenced_tweets": [{ "type": "replied_to", "id": "100" }] });
        let m = message_of_tweet(&reply, inc, BRAND).expect("a reply");
        assert_eq!(m.kind, MessageKind::Reply);
        assert_eq!(m.text, "@relais_app oui & non");
        assert_eq!(
            m.parent.and_then(|p| p.url).as_deref(),
            Some("https://x.com/relais_app/status/100")
        );
        assert_eq!(m.root.map(|r| r.id).as_deref(), Some("100"));
        assert_eq!(m.author.handle, "fan");
        assert_eq!(m.author.display_name.as_deref(), Some("Fan"));
        assert_eq!(m.author.followers, Some(12));
        assert_eq!(m.author.created_at, Some(1_577_836_800_000));

        let quote = json!({ "id": "301", "author_id": "7", "text": "vu",
                            "referenced_tweets": [{ "type": "quoted", "id": "100" }] });
        let m = message_of_tweet(&quote, inc, BRAND).expect("a quote");
        assert_eq!(m.kind, MessageKind::Quote);
        assert_eq!(m.subject.map(|s| s.id).as_deref(), Some("100"));
        assert!(m.created_at > 0, "the time from the id");

        let other = json!({ "id": "302", "author_id": "7", "text": "@relais_app vu",
                            "referenced_tweets": [{ "type": "quoted", "id": "200" }] });
        let m = message_of_tweet(&other, inc, BRAND).expect("a mention");
        assert_eq!((m.kind, m.subject), (MessageKind::Mention, None));

        let repost = json!({ "id": "303", "author_id": "7", "text": "RT @relais_app: brand post",
                             "referenced_tweets": [{ "type": "retweeted", "id": "100" }] });
        let m = message_of_tweet(&repost, inc, BRAND).expect("a repost");
        assert_eq!((m.kind, m.text.as_str()), (MessageKind::Repost, ""));
        let elsewhere = json!({ "id": "304", "author_id": "7", "text": "RT @x: @relais_app",
                                "referenced_tweets": [{ "type": "retweeted", "id": "200" }] });
        assert_eq!(message_of_tweet(&elsewhere, inc, BRAND), None);

        let own = json!({ "id": "305", "author_id": "1001", "text": "@relais_app" });
        assert_eq!(message_of_tweet(&own, inc, BRAND), None);
        let unknown = json!({ "id": "306", "author_id": "99", "text": "@relais_app" });
        let m = message_of_tweet(&unknown, inc, BRAND).expect("a mention");
        assert_eq!(m.author.handle, "99");
        assert_eq!(
            m.author.profile_url.as_deref(),
            Some("https://x.com/i/user/99")
        );
    }

    #[test]
    fn direct_messages_carry_their_conversation() {
        let b = body();
        let inc = Includes::of(&b);
        let event = json!({ "id": "500", "event_type": "MessageCreate", "text": " Bonjour ",
                            "sender_id": "7", "dm_conversation_id": "7-1001",
                            "created_at": "2026-03-01T10:00:00.000Z" });
        let m = message_of_event(&event, inc, BRAND).expect("a direct message");
        assert_eq!(m.network_id, "dm:7-1001:500");
        assert_eq!(m.direct_thread.as_deref(), Some("7-1001"));
        assert_eq!((m.kind, m.text.as_str()), (MessageKind::Direct, "Bonjour"));
        assert_eq!(m.url.as_deref(), Some("https://x.com/messages/7-1001"));

        let mine = json!({ "id": "501", "event_type": "MessageCreate", "text": "x",
                           "sender_id": "1001", "dm_conversation_id": "7-1001" });
        assert_eq!(message_of_event(&mine, inc, BRAND), None);
        for odd in ["7-", "a-b", "7:1001", "../x"] {
            let e = json!({ "id": "502", "event_type": "MessageCreate", "text": "x",
                            "sender_id": "7", "dm_conversation_id": odd });
            assert_eq!(message_of_event(&e, inc, BRAND), None, "{odd}");
        }
        let join = json!({ "id": "503", "event_type": "ParticipantsJoin", "sender_id": "7",
                           "dm_conversation_id": "1582838223" });
        assert_eq!(message_of_event(&join, inc, BRAND), None);
    }
}

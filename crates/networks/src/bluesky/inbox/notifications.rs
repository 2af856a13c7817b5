//! Reading the inbox a page at a time: `app.bsky.notification.listNotifications` (reasons
//! `mention`, `reply`, `quote`, `repost`), which the PDS hands to its AppView. A PDS without
//! one (a bare self-hosted PDS, the local test PDS) answers 502: the stream is the way then.
//!
//! The AppView pages from the newest backwards; the cursor Relais keeps is the newest
//! `indexedAt` seen, and a later call reads pages until it reaches it (at most
//! [`MAX_PAGES`]).

use relais_outbound::HttpClient;
use reqwest::Method;
use serde_json::Value;

use super::brand_did;
use super::concern::{Concern, POST, REPOST, authority, refs};
use super::message::{author_of, fill_profile, in_repo, message_of, parse_at_uri, web};
use crate::bluesky::Bluesky;
use crate::inbox::{InboxPage, IncomingMessage, MessageKind, PostRef};
use crate::search::{MAX_PAGES, rfc3339_ms, text_field, time_ms};
use crate::{Credentials, NetworkError};

const LIST: &str = "app.bsky.notification.listNotifications";
/// The notifications that are messages (likes and follows are not).
const REASONS: [&str; 4] = ["mention", "reply", "quote", "repost"];
/// The most the lexicon allows a page.
const PAGE: &str = "100";

/// A stored cursor as Unix milliseconds; anything else is dropped with a warning.
fn parse_cursor(cursor: Option<&str>) -> Option<i64> {
    let text = cursor?;
    let at = time_ms(text);
    if at.is_none() {
        tracing::warn!(
            cursor = text,
            "Bluesky inbox: a notifications cursor that is not a time, dropped; reading the newest page"
        );
    }
    at
}

/// A notification as a message; `None` for other reasons, the brand's own records and
/// notifications without a record URI.
pub(crate) fn message_of_notification(
    n: &Value,
    brand: &str,
    web: &str,
) -> Option<IncomingMessage> {
    let kind = match n.get("reason").and_then(Value::as_str)? {
        "mention" => MessageKind::Mention,
        "reply" => MessageKind::Reply,
        "quote" => MessageKind::Quote,
        "repost" => MessageKind::Repost,
        _ => return None,
    };
    let uri = text_field(n, "uri")?;
    let (did, collection, _) = parse_at_uri(&uri)?;
    // A notification whose record is not of its reason's kind (a "repost" that is a post) is
    // not believed: found by fuzzing.
    let expected = if kind == MessageKind::Repost {
        REPOST
    } else {
        POST
    };
    if did == brand || collection != expected {
        return None;
    }
    let record = n.get("record").unwrap_or(&Value::Null);
    let found = refs(collection, record);
    let subject = found.subject.filter(|s| in_repo(&s.id, brand)).or_else(|| {
        // A repost notification names what was reposted even when its record is missing.
        text_field(n, "reasonSubject")
            .filter(|s| collection == REPOST && authority(s) == Some(brand))
            .map(|id| PostRef {
                id,
                version: None,
                url: None,
            })
    });
    let concern = Concern {
        kind,
        parent: found.parent,
        root: found.root,
        subject,
    };
    let mut author = author_of(did, web);
    if let Some(profile) = n
        .get("author")
        .filter(|a| a.get("did").and_then(Value::as_str) == Some(did))
    {
        fill_profile(&mut author, profile);
    }
    let indexed = text_field(n, "indexedAt")
        .and_then(|t| time_ms(&t))
        .unwrap_or_default();
    Some(message_of(
        &uri,
        text_field(n, "cid"),
        author,
        record,
        concern,
        web,
        indexed,
    ))
}

async fn list(
    bluesky: &Bluesky,
    creds: &mut Credentials,
    params: &[(&str, &str)],
) -> Result<Value, NetworkError> {
    match bluesky
        .authed(creds, Method::GET, LIST, params, None, None)
        .await?
    {
        Ok(v) => Ok(v),
        Err(f) if matches!(f.status, 501 | 502) || f.error == "MethodNotImplemented" => {
            Err(NetworkError::Transient(format!(
                "the channel's PDS has no AppView to list notifications (HTTP {}{}): the inbox must \
                 follow its stream (com.atproto.sync.subscribeRepos) instead",
                f.status,
                if f.error.is_empty() {
                    String::new()
                } else {
                    format!(" {}", f.error)
                }
            )))
        }
        Err(f) => Err(f.into_network_error()),
    }
}

pub(crate) async fn read(
    http: &HttpClient,
    creds: &mut Credentials,
    cursor: Option<&str>,
) -> Result<InboxPage, NetworkError> {
    let bluesky = Bluesky::new(http.clone());
    let brand = brand_did(&bluesky, creds).await?;
    let web = web(creds);
    let since = parse_cursor(cursor);
    let mut newest = since;
    let mut found: Vec<(i64, IncomingMessage)> = Vec::new();
    let mut page_token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut params = vec![("limit", PAGE)];
        params.extend(REASONS.iter().map(|r| ("reasons", *r)));
        if let Some(token) = &page_token {
            params.push(("cursor", token));
        }
        let body = list(&bluesky, creds, &params).await?;
        let items = body
            .get("notifications")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                NetworkError::Transient(format!("{LIST} answered without a list of notifications"))
            })?;
        let mut reached_cursor = false;
        for n in items {
            let Some(at) = text_field(n, "indexedAt").and_then(|t| time_ms(&t)) else {
                continue;
            };
            if since.is_some_and(|s| at <= s) {
                reached_cursor = true;
                continue;
            }
            newest = newest.max(Some(at));
            // The AppView may not know the `reasons` filter: the reason is checked here too.
            if let Some(message) = message_of_notification(n, &brand, &web) {
                found.push((at, message));
            }
        }
        page_token = text_field(&body, "cursor");
        // A first call reads the newest page only.
        if since.is_none() || reached_cursor || items.is_empty() || page_token.is_none() {
            break;
        }
    }
    found.sort_by_key(|(at, _)| *at);
    let mut messages: Vec<IncomingMessage> = Vec::with_capacity(found.len());
    for (_, message) in found {
        if !messages.iter().any(|m| m.network_id == message.network_id) {
            messages.push(message);
        }
    }
    Ok(InboxPage {
        messages,
        cursor: newest.map(rfc3339_ms),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn notifications_become_messages() {
        let repost = json!({ "uri": "at://did:plc:fan/app.bsky.feed.repost/3lr", "cid": "bafyrepost",
            "reason": "repost", "reasonSubject": "at://did:plc:brand/app.bsky.feed.post/3lp",
            "author": { "did": "did:plc:fan", "handle": "fan.bsky.social", "displayName": "Fan" },
            "record": { "$type": "app.bsky.feed.repost", "createdAt": "2026-03-01T10:00:00.000Z",
                        "subject": { "uri": "at://did:plc:brand/app.bsky.feed.post/3lp", "cid": "bafypost" } },
            "indexedAt": "2026-03-01T10:00:01.000Z" });
        let m = message_of_notification(&repost, "did:plc:brand", "https://bsky.app")
            .expect("a message");
        assert_eq!(m.kind, MessageKind::Repost);
        assert_eq!(m.author.handle, "fan.bsky.social");
        assert_eq!(
            m.subject.as_ref().and_then(|s| s.version.as_deref()),
            Some("bafypost")
        );

        let mut bare = repost.clone();
        bare["record"] = Value::Null;
        let m =
            message_of_notification(&bare, "did:plc:brand", "https://bsky.app").expect("a message");
        assert_eq!(
            m.subject.map(|s| s.id).as_deref(),
            Some("at://did:plc:brand/app.bsky.feed.post/3lp")
        );
        assert_eq!(
            m.created_at, 1_772_359_201_000,
            "dated by indexedAt without a record"
        );

        let mut confused = repost.clone();
        confused["uri"] = json!("at://did:plc:fan/app.bsky.feed.post/3lr");
        assert!(
            message_of_notification(&confused, "did:plc:brand", "https://bsky.app").is_none(),
            "a repost that is a post"
        );
        confused["reason"] = json!("mention");
        confused["uri"] = json!("at://did:plc:fan/app.bsky.feed.repost/3lr");
        assert!(
            message_of_notification(&confused, "did:plc:brand", "https://bsky.app").is_none(),
            "a mention that is a repost"
        );

        let mut like = repost.clone();
        like["reason"] = json!("like");
        assert!(message_of_notification(&like, "did:plc:brand", "https://bsky.app").is_none());
        assert!(
            message_of_notification(&repost, "did:plc:fan", "https://bsky.app").is_none(),
            "one's own"
        );
        // An author that is not the record's writer is not believed.
        let mut odd = repost.clone();
        odd["author"]["did"] = json!("did:plc:someone");
        let m =
            message_of_notification(&odd, "did:plc:brand", "https://bsky.app").expect("a message");
        assert_eq!(m.author.handle, "did:plc:fan");
    }

    #[test]
    fn cursors_are_times() {
        assert_eq!(
            parse_cursor(Some("2026-03-01T10:00:00.000Z")),
            Some(1_772_359_200_000)
        );
        assert_eq!(parse_cursor(Some("12345")), None);
    }
}

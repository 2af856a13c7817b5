//! Answering a direct message, for the connector's `publish` and `find_published`: a reply
//! whose parent is a direct message (`dm:<conversation id>:<event id>`, as the inbox reads
//! them and as this module returns the brand's answers) goes to that conversation with
//! `POST /2/dm_conversations/:dm_conversation_id/messages` (`{"text"}`), not as a post.
//!
//! Exactly once: X has no idempotency key for messages either. [`find_direct`] reads the
//! conversation back (`GET /2/dm_conversations/:id/dm_events`, newest first, at most
//! [`MAX_LOOKUP_PAGES`] pages) for a message of the brand's, written since a minute before the
//! reply was, with the same text.
//!
//! Left aside: images in direct messages (their upload takes other media categories); a reply
//! with media to a direct message is refused before anything is sent.

use reqwest::Method;
use serde_json::{Value, json};

use super::super::api::Body;
use super::super::{LOOKBACK_MS, X, api, is_id, str_field, text};
use super::message::{DM_PREFIX, direct_id, is_conversation_id};
use crate::search::time_ms;
use crate::{Credentials, NetworkError, OutgoingPost, PublishedPost};

/// Pages of a conversation `find_direct` reads at most (100 events each).
pub(crate) const MAX_LOOKUP_PAGES: usize = 3;

/// The conversation a post goes to when it answers a direct message; `None` for a post, or a
/// reply to a post.
pub(crate) fn direct_conversation(post: &OutgoingPost) -> Result<Option<String>, NetworkError> {
    let Some(target) = &post.reply_to else {
        return Ok(None);
    };
    let Some(rest) = target.parent.id.strip_prefix(DM_PREFIX) else {
        return Ok(None);
    };
    match rest.split_once(':') {
        Some((conversation, event)) if is_conversation_id(conversation) && is_id(event) => {
            Ok(Some(conversation.to_owned()))
        }
        _ => Err(NetworkError::Rejected(format!(
            "`{}` is not an X direct message id (dm:<conversation>:<event>)",
            target.parent.id
        ))),
    }
}

/// The address of a conversation on x.com.
fn conversation_url(conversation: &str) -> String {
    format!("https://x.com/messages/{conversation}")
}

/// Sends `post`'s text to `conversation`.
pub(crate) async fn send_direct(
    x: &X,
    creds: &mut Credentials,
    post: &OutgoingPost,
    conversation: &str,
) -> Result<PublishedPost, NetworkError> {
    if !post.media.is_empty() {
        return Err(NetworkError::Rejected(
            "Relais answers X direct messages with text only: remove the images".into(),
        ));
    }
    if post.text.trim().is_empty() {
        return Err(NetworkError::Rejected(
            "a direct message on X needs a text".into(),
        ));
    }
    let path = format!("/2/dm_conversations/{conversation}/messages");
    let body = Body::Json(json!({ "text": post.text }));
    match x.call(creds, Method::POST, &path, &[], body).await? {
        Ok(reply) => {
            let data = reply.body.get("data").unwrap_or(&Value::Null);
            let event = str_field(data, "dm_event_id")
                .filter(|id| is_id(id))
                .ok_or_else(|| {
                    NetworkError::Transient(format!(
                        "X answered the direct message without its event id: {}",
                        api::problem_detail(&reply.body)
                    ))
                })?;
            Ok(PublishedPost {
                id: direct_id(conversation, event),
                version: None,
                url: conversation_url(conversation),
            })
        }
        Err(f) if f.status == 404 => Err(NetworkError::Rejected(format!(
            "the direct-message conversation is gone from X ({})",
            f.detail()
        ))),
        Err(f) if f.status == 403 => Err(NetworkError::Rejected(format!(
            "X refused the direct message ({}): the person may no longer accept messages from \
             the account, or the channel must be connected again to grant Relais the \
             `dm.write` permission",
            f.detail()
        ))),
        Err(f) => Err(f.into_network_error()),
    }
}

/// The brand's message in `conversation` that is `post`, if an earlier attempt sent it.
pub(crate) async fn find_direct(
    x: &X,
    creds: &mut Credentials,
    post: &OutgoingPost,
    conversation: &str,
) -> Result<Option<PublishedPost>, NetworkError> {
    let brand = x.user_id(creds).await?;
    let path = format!("/2/dm_conversations/{conversation}/dm_events");
    let since = post.created_at_ms.saturating_sub(LOOKBACK_MS);
    let mut next_token: Option<String> = None;
    for _ in 0..MAX_LOOKUP_PAGES {
        let mut query = vec![
            ("event_types", "MessageCreate"),
            (
                "dm_event.fields",
                "id,text,sender_id,created_at,dm_conversation_id",
            ),
            ("max_results", "100"),
        ];
        if let Some(token) = &next_token {
            query.push(("pagination_token", token.as_str()));
        }
        let page = match x
            .call(creds, Method::GET, &path, &query, Body::None)
            .await?
        {
            Ok(reply) => reply.body,
            Err(f) if f.status == 404 => return Ok(None),
            Err(f) => return Err(f.into_network_error()),
        };
        let events = page
            .get("data")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut older = false;
        for event in events {
            let Some(id) = str_field(event, "id").filter(|id| is_id(id)) else {
                continue;
            };
            let at = str_field(event, "created_at")
                .and_then(time_ms)
                .or_else(|| super::message::snowflake_ms(id));
            if at.is_some_and(|at| at < since) {
                older = true;
                continue;
            }
            let shown = str_field(event, "text").unwrap_or_default();
            if str_field(event, "sender_id") == Some(brand.as_str())
                && text::same_text(&post.text, shown)
            {
                return Ok(Some(PublishedPost {
                    id: direct_id(conversation, id),
                    version: None,
                    url: conversation_url(conversation),
                }));
            }
        }
        next_token = page
            .get("meta")
            .and_then(|m| str_field(m, "next_token"))
            .map(str::to_owned);
        if older || next_token.is_none() || events.is_empty() {
            break;
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ReplyTarget;

    fn answering(id: &str) -> OutgoingPost {
        let parent = PublishedPost {
            id: id.into(),
            version: None,
            url: String::new(),
        };
        OutgoingPost {
            text: "Bonjour".into(),
            media: vec![],
            reply_to: Some(ReplyTarget {
                root: parent.clone(),
                parent,
            }),
            langs: vec![],
            idempotency_key: "k".into(),
            created_at_ms: 0,
        }
    }

    #[test]
    fn a_direct_message_parent_names_its_conversation() {
        assert_eq!(
            direct_conversation(&answering("dm:7-1001:500")).expect("an id"),
            Some("7-1001".into())
        );
        assert_eq!(
            direct_conversation(&answering("1900000000000000001")).expect("a post"),
            None
        );
        for bad in ["dm:7-1001", "dm:../x:1", "dm:7-1001:abc", "dm::1"] {
            assert!(
                matches!(
                    direct_conversation(&answering(bad)),
                    Err(NetworkError::Rejected(_))
                ),
                "{bad}"
            );
        }
    }
}

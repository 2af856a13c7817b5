//! The mentions timeline: `GET /2/users/:id/mentions`, newest first, with the authors and the
//! posts referred to expanded. Every reply to the brand names it, so replies come this way too.
//!
//! Newer than last time: `since_id` is the newest post the cursor holds, and the pages are
//! followed (`pagination_token`) down to it, up to [`MAX_PAGES`] of 100: the 800 most recent
//! mentions, all X keeps in this timeline. A first read takes the newest page only.

use reqwest::Method;
use serde_json::Value;

use super::super::api::Body;
use super::super::{X, api, str_field};
use super::message::{Brand, Includes, message_of_tweet};
use crate::inbox::IncomingMessage;
use crate::search::{id_after, raise_newest};
use crate::{Credentials, NetworkError};

/// Posts a page (X's most).
const PAGE: &str = "100";
/// Pages a read follows at most: 800 posts, as many as X keeps in a mentions timeline.
pub(crate) const MAX_PAGES: usize = 8;
const TWEET_FIELDS: &str =
    "author_id,conversation_id,created_at,in_reply_to_user_id,lang,referenced_tweets,note_tweet";
const EXPANSIONS: &str = "author_id,referenced_tweets.id";
/// The users' fields an inbox author needs (direct messages ask for the same).
pub(crate) const USER_FIELDS: &str = "username,name,profile_image_url,created_at,public_metrics";

/// What a poll read: the messages (newest first, as X gives them) and the newest post id seen.
#[derive(Debug, Default)]
pub(crate) struct Polled {
    pub messages: Vec<IncomingMessage>,
    pub newest: Option<String>,
}

pub(crate) async fn poll(
    x: &X,
    creds: &mut Credentials,
    brand: Brand<'_>,
    since: Option<&str>,
) -> Result<Polled, NetworkError> {
    let path = format!("/2/users/{}/mentions", brand.id);
    let mut polled = Polled {
        messages: Vec::new(),
        newest: since.map(str::to_owned),
    };
    let mut next_token: Option<String> = None;
    for page_number in 1..=MAX_PAGES {
        let mut query = vec![
            ("max_results", PAGE),
            ("tweet.fields", TWEET_FIELDS),
            ("expansions", EXPANSIONS),
            ("user.fields", USER_FIELDS),
        ];
        if let Some(id) = since {
            query.push(("since_id", id));
        }
        if let Some(token) = &next_token {
            query.push(("pagination_token", token.as_str()));
        }
        let body = match x
            .call(creds, Method::GET, &path, &query, Body::None)
            .await?
        {
            Ok(reply) => reply.body,
            Err(f) if f.status == 403 => {
                return Err(NetworkError::Unsupported(format!(
                    "X does not let this app read the account's mentions ({}): the X app's \
                     access level must include the user mention timeline",
                    f.detail()
                )));
            }
            Err(f) => return Err(f.into_network_error()),
        };
        read_page(&body, brand, since, &mut polled)?;
        next_token = body
            .get("meta")
            .and_then(|m| str_field(m, "next_token"))
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if since.is_none() || next_token.is_none() {
            break;
        }
        if page_number == MAX_PAGES {
            tracing::warn!(
                "more than {} new X mentions since the last read: the older ones are past what \
                 X keeps and were not read",
                MAX_PAGES * 100
            );
        }
    }
    Ok(polled)
}

/// The messages of one page, raising the newest id past every post in it (the brand's own
/// included: the cursor moves past what is not a message too).
pub(crate) fn read_page(
    body: &Value,
    brand: Brand<'_>,
    since: Option<&str>,
    polled: &mut Polled,
) -> Result<(), NetworkError> {
    if !body.is_object() {
        return Err(NetworkError::Transient(
            "X answered the mentions timeline with something that is not a page of posts".into(),
        ));
    }
    let data = body.get("data");
    if data.is_none() && body.get("errors").is_some() {
        return Err(NetworkError::Transient(format!(
            "X could not list the account's mentions: {}",
            api::problem_detail(body)
        )));
    }
    let includes = Includes::of(body);
    for tweet in data.and_then(Value::as_array).into_iter().flatten() {
        let Some(id) = str_field(tweet, "id").filter(|id| super::super::is_id(id)) else {
            continue;
        };
        // `since_id` is X's to honour; a post at or before it was read last time.
        if since.is_some_and(|s| !id_after(id, s)) {
            continue;
        }
        raise_newest(&mut polled.newest, id);
        if let Some(message) = message_of_tweet(tweet, includes, brand) {
            polled.messages.push(message);
        }
    }
    Ok(())
}

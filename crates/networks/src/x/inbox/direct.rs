//! Direct messages: `GET /2/dm_events` (the brand's conversations, one-to-one and groups,
//! the last 30 days), only `MessageCreate` events, the senders expanded.
//!
//! The endpoint has no `since_id`: it answers newest first, and the pages are followed
//! (`pagination_token`) until an event at or before the cursor's, up to
//! [`crate::search::MAX_PAGES`] pages of 100. A first read takes the newest page only.
//!
//! X refuses this endpoint (403) to apps whose access level has no direct messages, and to
//! tokens granted without `dm.read`: that is told to the caller, which reads the mentions
//! anyway.

use reqwest::Method;
use serde_json::Value;

use super::super::api::Body;
use super::super::{X, api, str_field};
use super::mentions::{Polled, USER_FIELDS};
use super::message::{Brand, Includes, event_id, message_of_event};
use crate::search::{MAX_PAGES, id_after, raise_newest};
use crate::{Credentials, NetworkError};

const PATH: &str = "/2/dm_events";
/// Events a page (X's most).
const PAGE: &str = "100";
const EVENT_FIELDS: &str = "id,text,event_type,dm_conversation_id,created_at,sender_id";

/// What reading the direct messages gave.
#[derive(Debug)]
pub(crate) enum DirectRead {
    Read(Polled),
    /// X refused to list them (403), with its words.
    Refused(String),
}

pub(crate) async fn poll(
    x: &X,
    creds: &mut Credentials,
    brand: Brand<'_>,
    since: Option<&str>,
) -> Result<DirectRead, NetworkError> {
    let mut polled = Polled {
        messages: Vec::new(),
        newest: since.map(str::to_owned),
    };
    let mut next_token: Option<String> = None;
    for page_number in 1..=MAX_PAGES {
        let mut query = vec![
            ("event_types", "MessageCreate"),
            ("dm_event.fields", EVENT_FIELDS),
            ("expansions", "sender_id"),
            ("user.fields", USER_FIELDS),
            ("max_results", PAGE),
        ];
        if let Some(token) = &next_token {
            query.push(("pagination_token", token.as_str()));
        }
        let body = match x.call(creds, Method::GET, PATH, &query, Body::None).await? {
            Ok(reply) => reply.body,
            Err(f) if f.status == 403 => return Ok(DirectRead::Refused(f.detail())),
            Err(f) => return Err(f.into_network_error()),
        };
        let reached = read_page(&body, brand, since, &mut polled)?;
        next_token = body
            .get("meta")
            .and_then(|m| str_field(m, "next_token"))
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if since.is_none() || reached || next_token.is_none() {
            break;
        }
        if page_number == MAX_PAGES {
            tracing::warn!(
                "more than {} new X direct-message events since the last read: the older ones \
                 were not read",
                MAX_PAGES * 100
            );
        }
    }
    Ok(DirectRead::Read(polled))
}

/// The messages of one page of events, raising the newest id past every event in it; whether
/// the page reached the cursor (what follows was read before).
pub(crate) fn read_page(
    body: &Value,
    brand: Brand<'_>,
    since: Option<&str>,
    polled: &mut Polled,
) -> Result<bool, NetworkError> {
    if !body.is_object() {
        return Err(NetworkError::Transient(format!(
            "X answered {PATH} with something that is not a page of direct-message events"
        )));
    }
    let data = body.get("data");
    if data.is_none() && body.get("errors").is_some() {
        return Err(NetworkError::Transient(format!(
            "X could not list the direct messages: {}",
            api::problem_detail(body)
        )));
    }
    let includes = Includes::of(body);
    let mut reached = false;
    for event in data.and_then(Value::as_array).into_iter().flatten() {
        let Some(id) = event_id(event) else {
            continue;
        };
        if since.is_some_and(|s| !id_after(id, s)) {
            reached = true;
            continue;
        }
        raise_newest(&mut polled.newest, id);
        if let Some(message) = message_of_event(event, includes, brand) {
            polled.messages.push(message);
        }
    }
    Ok(reached)
}

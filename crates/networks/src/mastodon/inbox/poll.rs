//! Polling: `GET /api/v1/notifications` for the types that are inbox messages, forwards in
//! time from the cursor (`min_id`, which Mastodon answers with the notifications just after
//! it), up to [`MAX_PAGES`] pages a call; what lies beyond is read on the next call.

use std::collections::HashSet;

use serde_json::Value;

use super::Session;
use super::notification::{TYPES, message_of, notification_id};
use crate::inbox::IncomingMessage;
use crate::search::{MAX_PAGES, id_cursor, raise_newest};
use crate::{Credentials, NetworkError};

/// Notifications a page: Mastodon's most.
pub(crate) const PAGE: usize = 40;

/// A message and the notification that brought it (what a cursor placed just after it is).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Item {
    pub notification_id: String,
    pub message: IncomingMessage,
}

/// What one poll read: the messages, oldest first, each once, and the newest notification id
/// seen (of any type: the cursor moves past what is not a message too).
#[derive(Debug, Default)]
pub(crate) struct Polled {
    pub items: Vec<Item>,
    pub cursor: Option<String>,
    /// [`MAX_PAGES`] full pages were read: more may wait after the cursor.
    pub more: bool,
}

pub(crate) async fn poll(
    session: &Session,
    creds: &Credentials,
    cursor: Option<&str>,
) -> Result<Polled, NetworkError> {
    let start = id_cursor(cursor, "mastodon", super::super::is_id);
    let mut newest: Option<String> = start.map(str::to_owned);
    let mut items = Vec::new();
    let mut more = false;
    for page_number in 1..=MAX_PAGES {
        let limit = PAGE.to_string();
        let mut query: Vec<(&str, &str)> = TYPES.iter().map(|t| ("types[]", *t)).collect();
        query.push(("limit", &limit));
        // Mastodon 4.3+ sets aside, by default, private mentions from accounts the brand does
        // not follow (its "notification requests"): a brand's customers write exactly so.
        query.push(("include_filtered", "true"));
        if let Some(min_id) = &newest {
            query.push(("min_id", min_id));
        }
        let body = session
            .get(creds, "/api/v1/notifications", &query)
            .await?
            .map_err(|f| f.into_network_error())?;
        let (page, count) = read_page(&body, session, &mut newest)?;
        items.extend(page);
        // A first read takes the newest page only; a short page is the last one.
        if start.is_none() || count < PAGE {
            break;
        }
        more = page_number == MAX_PAGES;
    }
    Ok(Polled {
        items: oldest_first(items),
        cursor: newest,
        more,
    })
}

/// The messages of one page of notifications, raising `newest` past every notification in
/// it, and how many notifications the page held (messages or not).
fn read_page(
    body: &Value,
    session: &Session,
    newest: &mut Option<String>,
) -> Result<(Vec<Item>, usize), NetworkError> {
    let notifications = body.as_array().ok_or_else(|| {
        NetworkError::Transient(
            "the instance answered /api/v1/notifications with something that is not a list".into(),
        )
    })?;
    let mut items = Vec::new();
    for n in notifications {
        let Some(id) = notification_id(n) else {
            continue;
        };
        raise_newest(newest, id);
        if let Some(message) = message_of(n, session.brand()) {
            items.push(Item {
                notification_id: id.to_owned(),
                message,
            });
        }
    }
    Ok((items, notifications.len()))
}

/// `items` by notification id, oldest first, each message once (a status that both mentions
/// and quotes the brand brings two notifications; the first is kept).
pub(crate) fn oldest_first(mut items: Vec<Item>) -> Vec<Item> {
    // Ids grow with time: a longer one is newer, and those of a length sort as text.
    items.sort_by(|a, b| {
        let key = |i: &Item| (i.notification_id.len(), i.notification_id.clone());
        key(a).cmp(&key(b))
    });
    let mut seen = HashSet::new();
    items.retain(|i| seen.insert(i.message.network_id.clone()));
    items
}

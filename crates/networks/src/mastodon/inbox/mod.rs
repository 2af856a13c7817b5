//! The brand's Mastodon inbox (see [`crate::inbox`]): the notifications that are messages —
//! mentions (replies and direct messages among them), quotes (Mastodon 4.5+) and boosts of the
//! brand's statuses — read by polling (`GET /api/v1/notifications`, `poll.rs`) or live
//! (`GET /api/v1/streaming/user`, `live.rs`), and the team's actions on them (`actions.rs`).
//!
//! - Ids: a status's id on the brand's instance; a boost, which has no status of its own in
//!   the notification, is `reblog:<account id>:<status id>`.
//! - Kinds: a status of `direct` visibility is a direct message; one that quotes a brand's
//!   status (or comes as a `quote` notification) a quote; one that answers the brand, or sits
//!   in a thread the brand started, a reply; anything else that names the brand a mention.
//! - Threads: `parent` is the status answered; `root`, the thread's first status, costs one
//!   call (`/context`) per message, at most 20 a read (`threads.rs`); a direct message's
//!   conversation is found when it is the conversation's last status (one call a read).
//! - Cursor: the newest notification id seen (`min_id` next time). One that is not an id is
//!   dropped with a warning and the read starts again from the newest page. The stream starts
//!   by polling from its cursor (the newest page without one), as a read does; see `live.rs`
//!   for why its cursor is the last poll's.
//! - Left aside: the brand's own doing, and notifications of other types (favourites,
//!   follows, polls, edits).

mod actions;
mod live;
mod notification;
mod poll;
mod sse;
mod threads;

use relais_outbound::HttpClient;
use reqwest::Method;
use serde_json::Value;

use super::Mastodon;
use super::api::{Failure, Payload};
use crate::inbox::{InboxPage, Interaction, StreamClosed, Streamed};
use crate::search::host_of;
use crate::{Credentials, NetworkError};
use notification::Brand;

pub(crate) async fn read(
    http: &HttpClient,
    creds: &mut Credentials,
    cursor: Option<&str>,
) -> Result<InboxPage, NetworkError> {
    let session = Session::open(http, creds).await?;
    let polled = poll::poll(&session, creds, cursor).await?;
    let mut messages: Vec<_> = polled.items.into_iter().map(|i| i.message).collect();
    threads::Threads::new()
        .complete(&session, creds, &mut messages)
        .await;
    Ok(InboxPage {
        messages,
        cursor: polled.cursor,
    })
}

pub(crate) async fn stream(
    http: &HttpClient,
    creds: &mut Credentials,
    cursor: Option<&str>,
    deliver: &mut (dyn FnMut(Streamed) + Send),
) -> Result<StreamClosed, NetworkError> {
    let session = Session::open(http, creds).await?;
    live::follow(&session, http, creds, cursor, deliver).await
}

pub(crate) async fn act(
    http: &HttpClient,
    creds: &mut Credentials,
    interaction: &Interaction,
) -> Result<(), NetworkError> {
    actions::act(&Mastodon::new(http.clone()), creds, interaction).await
}

/// The brand's account on its instance, and the calls made for it.
pub(crate) struct Session {
    mastodon: Mastodon,
    brand_id: String,
    home: Option<String>,
}

impl Session {
    /// Learns the brand's account id (kept in the channel's secrets after the first time).
    async fn open(http: &HttpClient, creds: &mut Credentials) -> Result<Self, NetworkError> {
        let mastodon = Mastodon::new(http.clone());
        let home = host_of(&Mastodon::instance(creds)?);
        let brand_id = mastodon.account_id(creds).await?;
        Ok(Self {
            mastodon,
            brand_id,
            home,
        })
    }

    fn brand(&self) -> Brand<'_> {
        Brand {
            id: &self.brand_id,
            home: self.home.as_deref(),
        }
    }

    /// A `GET`: its JSON, or the refusal for the caller to judge.
    async fn get(
        &self,
        creds: &Credentials,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Result<Value, Failure>, NetworkError> {
        Ok(self
            .mastodon
            .call(creds, Method::GET, path, query, Payload::None, None)
            .await?
            .map(|reply| reply.body))
    }
}

/// For the fuzz target `mastodon_inbox` only, not an API: the readings of what an instance
/// sends, without the network.
#[doc(hidden)]
pub mod fuzzing {
    use serde_json::Value;

    use super::notification::{Brand, message_of, notification_id};
    use super::sse::SseParser;
    use crate::inbox::IncomingMessage;

    const BRAND: Brand<'static> = Brand {
        id: "1",
        home: Some("home.example"),
    };

    /// The messages in `body` read as a page of `GET /api/v1/notifications` (brand account
    /// `1`). Never panics.
    pub fn read_notifications(body: &[u8]) -> Vec<IncomingMessage> {
        let Ok(Value::Array(list)) = serde_json::from_slice::<Value>(body) else {
            return Vec::new();
        };
        list.iter()
            .filter(|n| notification_id(n).is_some())
            .filter_map(|n| message_of(n, BRAND))
            .collect()
    }

    /// The messages of `stream` read as the streaming API's bytes, cut in two at `cut`, and
    /// whether reading it whole gives the same events. Never panics.
    pub fn read_stream(stream: &[u8], cut: usize) -> (Vec<IncomingMessage>, bool) {
        let (a, b) = stream.split_at(cut.min(stream.len()));
        let mut parser = SseParser::new();
        let split: Option<Vec<_>> = parser
            .feed(a)
            .and_then(|mut first| {
                first.extend(parser.feed(b)?);
                Ok(first)
            })
            .ok();
        let whole = SseParser::new().feed(stream).ok();
        let same = split == whole;
        let messages = whole
            .unwrap_or_default()
            .iter()
            .filter(|e| e.name == "notification")
            .filter_map(|e| serde_json::from_str::<Value>(&e.data).ok())
            .filter(|n| notification_id(n).is_some())
            .filter_map(|n| message_of(&n, BRAND))
            .collect();
        (messages, same)
    }
}

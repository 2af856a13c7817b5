//! Following the brand's account live: `GET /api/v1/streaming/user` (server-sent events, the
//! token in the `Authorization` header), whose `notification` events are read as polling reads
//! notifications.
//!
//! The stream cannot resume from a cursor and leaves out what Mastodon sets aside
//! (notifications filtered by the account's policy, such as private mentions from strangers),
//! so it runs with polling beside it: once connected it polls from the cursor (what came
//! since, delivered before the live events), then again every [`RECHECK`], and a last time
//! when the server closes. The cursor handed out is the last poll's: everything up to it was
//! seen, filtered or not. Live events after it may come again from the next poll: the ones
//! delivered are remembered (by message id) and not delivered twice.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use relais_outbound::{HttpClient, OutboundError};
use reqwest::Response;
use serde_json::Value;
use tokio::time::Instant;

use super::super::Mastodon;
use super::super::api::{Failure, retry_after, transport};
use super::Session;
use super::notification::{message_of, notification_id};
use super::poll::{Item, poll};
use super::sse::{SseEvent, SseParser};
use super::threads::Threads;
use crate::inbox::{StreamClosed, Streamed};
use crate::{Credentials, NetworkError};

/// How often the stream polls beside it.
pub(crate) const RECHECK: Duration = Duration::from_secs(5 * 60);
/// Silence after which the connection is taken for dead: Mastodon sends a heartbeat comment
/// every 15 s or so.
pub(crate) const IDLE: Duration = Duration::from_secs(90);
/// How long one connection is kept before it is closed cleanly (the caller reconnects).
pub(crate) const MAX_SESSION: Duration = Duration::from_secs(6 * 60 * 60);
/// How many message ids are remembered against duplicates.
const REMEMBERED: usize = 2000;
/// The most polls one catch-up chains when a backlog fills every page.
const MAX_CATCH_UP: usize = 10;
/// The most of an error answer read.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub(crate) async fn follow(
    session: &Session,
    http: &HttpClient,
    creds: &Credentials,
    cursor: Option<&str>,
    deliver: &mut (dyn FnMut(Streamed) + Send),
) -> Result<StreamClosed, NetworkError> {
    let mut response = connect(http, creds).await?;
    let mut live = Live {
        session,
        creds,
        mark: cursor.map(str::to_owned),
        delivered: Delivered::default(),
        threads: Threads::new(),
    };
    live.catch_up(deliver).await?;
    let mut parser = SseParser::new();
    let end = Instant::now() + MAX_SESSION;
    let mut next_check = Instant::now() + RECHECK;
    let mut last_heard = Instant::now();
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        if now >= next_check {
            live.threads = Threads::new();
            live.catch_up(deliver).await?;
            next_check = Instant::now() + RECHECK;
            // Bytes waited in the connection meanwhile: the poll's time is not silence.
            last_heard = Instant::now();
            continue;
        }
        if now >= last_heard + IDLE {
            return Err(NetworkError::Transient(format!(
                "the instance's stream went silent for {} s; reconnect",
                IDLE.as_secs()
            )));
        }
        let wake = (last_heard + IDLE).min(next_check).min(end);
        match tokio::time::timeout_at(wake, response.chunk()).await {
            Err(_) => {}
            Ok(Err(e)) => return Err(from_reqwest(e, "the stream broke off")),
            Ok(Ok(None)) => break,
            Ok(Ok(Some(bytes))) => {
                last_heard = Instant::now();
                let events = parser.feed(&bytes).map_err(|_| {
                    NetworkError::Transient(
                        "the instance's stream sent an event of more than 1 MiB".into(),
                    )
                })?;
                for event in events {
                    live.on_event(&event, deliver).await;
                }
            }
        }
    }
    // Closed by the server (or by the session's end): a last poll brings what the stream had
    // no time to, and moves the cursor.
    drop(response);
    if let Err(e) = live.catch_up(deliver).await {
        tracing::warn!(error = %e, "the poll after the Mastodon stream closed failed");
    }
    Ok(StreamClosed { cursor: live.mark })
}

struct Live<'a> {
    session: &'a Session,
    creds: &'a Credentials,
    /// The last poll's cursor.
    mark: Option<String>,
    delivered: Delivered,
    threads: Threads,
}

impl Live<'_> {
    /// Polls from the mark and delivers what was not delivered yet, each with the id of its
    /// notification as cursor (oldest first: all before it was seen).
    async fn catch_up(
        &mut self,
        deliver: &mut (dyn FnMut(Streamed) + Send),
    ) -> Result<(), NetworkError> {
        for _ in 0..MAX_CATCH_UP {
            let polled = poll(self.session, self.creds, self.mark.as_deref()).await?;
            let fresh: Vec<Item> = polled
                .items
                .into_iter()
                .filter(|i| !self.delivered.contains(&i.message.network_id))
                .collect();
            let (ids, mut messages): (Vec<String>, Vec<_>) = fresh
                .into_iter()
                .map(|i| (i.notification_id, i.message))
                .unzip();
            self.threads
                .complete(self.session, self.creds, &mut messages)
                .await;
            for (id, message) in ids.into_iter().zip(messages) {
                self.delivered.remember(&message.network_id);
                deliver(Streamed {
                    message,
                    cursor: Some(id),
                });
            }
            // The poll's cursor is the mark, or past it (or nothing when the mark was unreadable
            // and there is nothing yet).
            self.mark = polled.cursor;
            if !polled.more {
                break;
            }
        }
        Ok(())
    }

    /// A live event: a notification that is an inbox message and was not delivered yet is
    /// delivered, with the last poll's cursor. Other events (timeline updates, deletions) and
    /// what cannot be read are passed over.
    async fn on_event(&mut self, event: &SseEvent, deliver: &mut (dyn FnMut(Streamed) + Send)) {
        if event.name != "notification" {
            return;
        }
        let Ok(notification) = serde_json::from_str::<Value>(&event.data) else {
            tracing::warn!("the Mastodon stream sent a notification that is not JSON");
            return;
        };
        if notification_id(&notification).is_none() {
            return;
        }
        let Some(message) = message_of(&notification, self.session.brand()) else {
            return;
        };
        if self.delivered.contains(&message.network_id) {
            return;
        }
        let mut one = [message];
        self.threads
            .complete(self.session, self.creds, &mut one)
            .await;
        let [message] = one;
        self.delivered.remember(&message.network_id);
        deliver(Streamed {
            message,
            cursor: self.mark.clone(),
        });
    }
}

/// The ids of the messages delivered lately (the newest [`REMEMBERED`]).
#[derive(Default)]
pub(crate) struct Delivered {
    order: VecDeque<String>,
    set: HashSet<String>,
}

impl Delivered {
    pub fn contains(&self, id: &str) -> bool {
        self.set.contains(id)
    }

    pub fn remember(&mut self, id: &str) {
        if self.set.insert(id.to_owned()) {
            self.order.push_back(id.to_owned());
            if self.order.len() > REMEMBERED
                && let Some(old) = self.order.pop_front()
            {
                self.set.remove(&old);
            }
        }
    }
}

/// Opens the stream. An instance that turned streaming off answers 404:
/// [`NetworkError::Unsupported`], so that the caller polls instead.
async fn connect(http: &HttpClient, creds: &Credentials) -> Result<Response, NetworkError> {
    let instance = Mastodon::instance(creds)?;
    let token = Mastodon::token(creds)?;
    let request = http
        .get(&format!("{instance}/api/v1/streaming/user"))
        .map_err(transport)?
        .bearer_auth(token)
        .header("accept", "text/event-stream")
        // The client's time-out bounds whole exchanges; this one has no end but the session's.
        .timeout(MAX_SESSION + Duration::from_secs(60))
        .build()
        .map_err(|e| NetworkError::Misconfigured(format!("the stream's request: {e}")))?;
    // Bounded here instead: a server that accepts and never answers.
    let limit = http.config().total_timeout;
    let mut response = tokio::time::timeout(limit, http.reqwest().execute(request))
        .await
        .map_err(|_| {
            NetworkError::Transient(format!(
                "the instance did not open its stream within {} s",
                limit.as_secs()
            ))
        })?
        .map_err(|e| from_reqwest(e, "the stream could not be opened"))?;
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(response);
    }
    if status == 404 {
        return Err(NetworkError::Unsupported(
            "the instance has turned its streaming API off (404): Relais polls it instead".into(),
        ));
    }
    let wait = (status == 429)
        .then(|| retry_after(response.headers(), std::time::SystemTime::now()))
        .flatten();
    let body = error_body(&mut response).await;
    let error = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    Err(Failure {
        status,
        error,
        retry_after: wait,
    }
    .into_network_error())
}

/// The start of an error answer, read within a few seconds.
async fn error_body(response: &mut Response) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < MAX_ERROR_BODY {
        match tokio::time::timeout(Duration::from_secs(5), response.chunk()).await {
            Ok(Ok(Some(chunk))) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body
}

/// A reqwest error as the scheduler reads it: the SSRF guard's refusal is the channel's
/// setting to fix, anything else may pass.
fn from_reqwest(e: reqwest::Error, what: &str) -> NetworkError {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&e);
    while let Some(c) = cause {
        if let Some(own) = c.downcast_ref::<OutboundError>() {
            return transport(own.clone());
        }
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    NetworkError::Transient(format!("{what}: {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivered_ids_are_remembered_up_to_the_cap() {
        let mut d = Delivered::default();
        d.remember("a");
        d.remember("a");
        assert!(d.contains("a"));
        assert_eq!(d.order.len(), 1);
        for i in 0..REMEMBERED {
            d.remember(&i.to_string());
        }
        assert!(!d.contains("a"), "the oldest is forgotten first");
        assert!(d.contains("0"));
        assert_eq!(d.set.len(), REMEMBERED);
    }
}

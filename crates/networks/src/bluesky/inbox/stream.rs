//! Following the brand live on the firehose (`com.atproto.sync.subscribeRepos`) of its PDS, or
//! of the relay named in the channel's `firehose` setting (such as `https://bsky.network`):
//! every commit is read, and the records that concern the brand (see [`super::concern`])
//! become messages. A PDS's firehose carries only the accounts it hosts; a relay's carries the
//! whole network.
//!
//! The cursor is the `seq` of the last frame read: given back, the server replays what came
//! after it, so nothing is missed while disconnected and nothing comes twice.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use relais_outbound::HttpClient;
use reqwest::Method;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::concern::{POST, REPOST, concern};
use super::firehose::{self, Frame};
use super::message::{author_of, fill_profile, message_of, web};
use super::{brand_did, socket};
use crate::bluesky::Bluesky;
use crate::bluesky::xrpc::{Outcome, Xrpc};
use crate::inbox::{Author, IncomingMessage, StreamClosed, Streamed};
use crate::search::text_field;
use crate::{Credentials, NetworkError};

/// How often a quiet connection is checked with a ping.
const PING_EVERY: Duration = Duration::from_secs(30);
/// Silence (not even a pong) after which the connection is taken for dead.
const SILENCE_LIMIT: Duration = Duration::from_secs(90);

/// A stored cursor as a `seq`; anything else is dropped with a warning.
pub(crate) fn parse_cursor(cursor: Option<&str>) -> Option<i64> {
    let text = cursor?.trim();
    match text.parse::<i64>() {
        Ok(seq) if seq >= 0 => Some(seq),
        _ => {
            tracing::warn!(
                cursor = text,
                "Bluesky inbox: a stream cursor that is not a seq, dropped; following from now"
            );
            None
        }
    }
}

/// The records of a commit that concern `brand`, as messages whose author is known only by
/// DID. Pure: what the stream and the fuzz target share.
pub(crate) fn messages_of_commit(
    commit: &firehose::Commit<'_>,
    brand: &str,
    web: &str,
) -> Vec<IncomingMessage> {
    if commit.repo == brand {
        return Vec::new();
    }
    let created = match firehose::created_records(commit, |c| c == POST || c == REPOST) {
        Ok(created) => created,
        Err(e) => {
            tracing::warn!(seq = commit.seq, repo = commit.repo, %e, "Bluesky inbox: a commit's blocks cannot be read, skipped");
            return Vec::new();
        }
    };
    let now = chrono::Utc::now().timestamp_millis();
    created
        .into_iter()
        .filter_map(|record| {
            let concern = concern(commit.repo, record.collection, &record.record, brand)?;
            let uri = format!("at://{}/{}/{}", commit.repo, record.collection, record.rkey);
            Some(message_of(
                &uri,
                Some(record.cid.to_text()),
                author_of(commit.repo, web),
                &record.record,
                concern,
                web,
                now,
            ))
        })
        .collect()
}

/// Authors met on this stream, looked up once each.
struct Authors {
    known: HashMap<String, Author>,
    /// Set once the AppView answered no: the PDS has none, do not ask again.
    no_appview: bool,
}

impl Authors {
    /// The author `stub` (known by DID) with what the service says of it: the handle from
    /// `com.atproto.repo.describeRepo`, and, where the PDS has an AppView, the profile's
    /// display name, avatar, followers and creation time (`app.bsky.actor.getProfile`).
    async fn complete(
        &mut self,
        bluesky: &Bluesky,
        creds: &mut Credentials,
        stub: Author,
    ) -> Author {
        if let Some(known) = self.known.get(&stub.id) {
            return known.clone();
        }
        let mut author = stub;
        if let Ok(service) = Bluesky::service(creds).map(str::to_owned) {
            let xrpc = Xrpc {
                http: &bluesky.http,
                service: &service,
            };
            let query = [("repo", author.id.as_str())];
            if let Ok(Outcome::Ok(v)) = xrpc
                .call(
                    Method::GET,
                    "com.atproto.repo.describeRepo",
                    None,
                    &query,
                    None,
                    None,
                )
                .await
                && let Some(handle) = text_field(&v, "handle").filter(|h| h != "handle.invalid")
            {
                author.handle = handle;
            }
        }
        if !self.no_appview {
            let query = [("actor", author.id.as_str())];
            match bluesky
                .authed(
                    creds,
                    Method::GET,
                    "app.bsky.actor.getProfile",
                    &query,
                    None,
                    None,
                )
                .await
            {
                Ok(Ok(profile)) => fill_profile(&mut author, &profile),
                Ok(Err(f))
                    if matches!(f.status, 501 | 502) || f.error == "MethodNotImplemented" =>
                {
                    self.no_appview = true
                }
                _ => {}
            }
        }
        self.known.insert(author.id.clone(), author.clone());
        author
    }

    /// A handle change announced by an `#identity` frame.
    fn renamed(&mut self, did: &str, handle: Option<&str>) {
        match (self.known.get_mut(did), handle) {
            (Some(author), Some(handle)) => author.handle = handle.to_owned(),
            // Unknown handle: look it up again when the account next writes.
            (Some(_), None) => {
                self.known.remove(did);
            }
            _ => {}
        }
    }
}

/// Whether a websocket error means the connection simply ended (reconnect from the cursor).
fn is_disconnection(e: &WsError) -> bool {
    matches!(
        e,
        WsError::ConnectionClosed | WsError::AlreadyClosed | WsError::Io(_)
    ) || matches!(e, WsError::Protocol(p) if p.to_string().contains("closing handshake"))
}

pub(crate) async fn stream(
    http: &HttpClient,
    creds: &mut Credentials,
    cursor: Option<&str>,
    deliver: &mut (dyn FnMut(Streamed) + Send),
) -> Result<StreamClosed, NetworkError> {
    let bluesky = Bluesky::new(http.clone());
    let brand = brand_did(&bluesky, creds).await?;
    let web = web(creds);
    let source = creds
        .setting("firehose")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map_or_else(
            || Bluesky::service(creds).map(str::to_owned),
            |s| Ok(s.to_owned()),
        )?;
    let mut seq = parse_cursor(cursor);
    let mut socket = socket::connect(http, &socket::subscribe_url(&source, seq)?).await?;
    tracing::debug!(%source, ?seq, "Bluesky inbox: following the firehose");
    let mut authors = Authors {
        known: HashMap::new(),
        no_appview: false,
    };
    let closed = |seq: Option<i64>| {
        Ok(StreamClosed {
            cursor: seq.map(|s| s.to_string()),
        })
    };
    let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    let mut heard = Instant::now();
    loop {
        let bytes = tokio::select! {
            next = socket.next() => {
                heard = Instant::now();
                match next {
                    None | Some(Ok(Message::Close(_))) => return closed(seq),
                    Some(Ok(Message::Binary(bytes))) => bytes,
                    Some(Ok(_)) => continue,
                    Some(Err(e)) if is_disconnection(&e) => {
                        tracing::debug!(%e, "Bluesky inbox: the firehose connection ended");
                        return closed(seq);
                    }
                    Some(Err(e)) => return Err(NetworkError::Transient(format!("the firehose failed: {e}"))),
                }
            }
            _ = ping.tick() => {
                if heard.elapsed() > SILENCE_LIMIT {
                    tracing::info!("Bluesky inbox: the firehose went silent; reconnecting");
                    return closed(seq);
                }
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return closed(seq);
                }
                continue;
            }
        };
        let frame = match firehose::decode_frame(&bytes) {
            Ok(frame) => frame,
            Err(e) => {
                tracing::warn!(%e, "Bluesky inbox: an unreadable firehose frame, skipped");
                continue;
            }
        };
        // Replays stop at the cursor; a server that sends older frames again is not believed.
        if let (Some(at), Some(now)) = (frame.seq(), seq)
            && at <= now
        {
            continue;
        }
        match &frame {
            Frame::Commit(commit) => {
                let found = messages_of_commit(commit, &brand, &web);
                let last = found.len().saturating_sub(1);
                for (i, mut message) in found.into_iter().enumerate() {
                    message.author = authors.complete(&bluesky, creds, message.author).await;
                    // Only the commit's last message moves the cursor past the commit: a
                    // consumer that stops in the middle reads the rest again, never skips it.
                    let cursor = if i == last { Some(commit.seq) } else { seq };
                    deliver(Streamed {
                        message,
                        cursor: cursor.map(|s| s.to_string()),
                    });
                }
            }
            Frame::Identity { did, handle, .. } => authors.renamed(did, *handle),
            Frame::Info { name, message } => {
                tracing::info!(
                    name,
                    message = message.unwrap_or_default(),
                    "Bluesky inbox: a note from the firehose"
                );
                if *name == "OutdatedCursor" {
                    tracing::warn!(
                        "Bluesky inbox: the cursor is older than what the server keeps; some messages may have been missed (the notifications have them)"
                    );
                }
            }
            Frame::Error { error, message } => {
                let message = message.unwrap_or_default();
                return match *error {
                    // The server started over (a new PDS at the same address): from now on.
                    "FutureCursor" => {
                        tracing::warn!(
                            message,
                            "Bluesky inbox: the cursor is ahead of the firehose; following from now"
                        );
                        closed(None)
                    }
                    "ConsumerTooSlow" => closed(seq),
                    other => Err(NetworkError::Transient(format!(
                        "the firehose ended with {other}: {message}"
                    ))),
                };
            }
            Frame::Other { kind, .. } => {
                tracing::trace!(kind, "Bluesky inbox: a firehose frame with no message")
            }
        }
        if let Some(at) = frame.seq() {
            seq = Some(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bluesky::inbox::firehose::cbor::write::{array, map, text};
    use crate::bluesky::inbox::firehose::cid::tests::cid_of;
    use crate::bluesky::inbox::firehose::write::commit;
    use crate::inbox::MessageKind;

    const BRAND: &str = "did:plc:brand";

    fn post(extra: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut entries = vec![
            ("$type", text(POST)),
            ("createdAt", text("2026-03-01T10:00:00.000Z")),
            ("text", text("hello @brand.test")),
        ];
        entries.extend(extra.iter().cloned());
        map(&entries)
    }

    fn strong(uri: &str) -> Vec<u8> {
        map(&[("cid", text("bafyreibrand")), ("uri", text(uri))])
    }

    #[test]
    fn a_commit_gives_the_records_that_concern_the_brand() {
        let brand_post = "at://did:plc:brand/app.bsky.feed.post/3lroot";
        let mention = post(&[(
            "facets",
            array(&[map(&[(
                "features",
                array(&[map(&[
                    ("$type", text("app.bsky.richtext.facet#mention")),
                    ("did", text(BRAND)),
                ])]),
            )])]),
        )]);
        let reply = post(&[(
            "reply",
            map(&[("parent", strong(brand_post)), ("root", strong(brand_post))]),
        )]);
        let unrelated = post(&[]);
        let repost = map(&[
            ("$type", text(REPOST)),
            ("createdAt", text("2026-03-01T10:00:00Z")),
            ("subject", strong(brand_post)),
        ]);
        let like = map(&[
            ("$type", text("app.bsky.feed.like")),
            ("subject", strong(brand_post)),
        ]);
        let bytes = commit(
            9,
            "did:plc:fan",
            &[
                ("app.bsky.feed.post/3la", mention.clone()),
                ("app.bsky.feed.post/3lb", reply),
                ("app.bsky.feed.post/3lc", unrelated),
                ("app.bsky.feed.repost/3ld", repost),
                ("app.bsky.feed.like/3le", like),
            ],
        );
        let Ok(Frame::Commit(c)) = firehose::decode_frame(&bytes) else {
            panic!("a commit")
        };
        let found = messages_of_commit(&c, BRAND, "https://bsky.app");
        let kinds: Vec<(MessageKind, &str)> = found
            .iter()
            .map(|m| (m.kind, m.network_id.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (
                    MessageKind::Mention,
                    "at://did:plc:fan/app.bsky.feed.post/3la"
                ),
                (
                    MessageKind::Reply,
                    "at://did:plc:fan/app.bsky.feed.post/3lb"
                ),
                (
                    MessageKind::Repost,
                    "at://did:plc:fan/app.bsky.feed.repost/3ld"
                ),
            ]
        );
        let expected_cid = firehose::cid::Cid::from_bytes(&cid_of(&mention))
            .expect("cid")
            .to_text();
        assert_eq!(found[0].version.as_deref(), Some(expected_cid.as_str()));
        assert_eq!(found[0].author.id, "did:plc:fan");
        assert_eq!(found[2].text, "", "a repost has no text");
        assert_eq!(found[2].url, None);

        // The same records in the brand's own repository: nothing.
        let own_bytes = commit(10, BRAND, &[("app.bsky.feed.post/3la", mention)]);
        let Ok(Frame::Commit(own)) = firehose::decode_frame(&own_bytes) else {
            panic!("a commit")
        };
        assert!(messages_of_commit(&own, BRAND, "https://bsky.app").is_empty());
    }

    #[test]
    fn cursors_are_seqs() {
        assert_eq!(parse_cursor(Some("42")), Some(42));
        assert_eq!(parse_cursor(Some(" 7 ")), Some(7));
        assert_eq!(parse_cursor(Some("2026-03-01T10:00:00Z")), None);
        assert_eq!(parse_cursor(Some("-3")), None);
        assert_eq!(parse_cursor(None), None);
    }
}

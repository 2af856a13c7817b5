//! A generic outgoing webhook: each post is POSTed as signed JSON to a URL the workspace
//! chooses (its own site, an automation tool, a chat bridge…).
//!
//! Settings: `url` (where to POST; `http://` or `https://`), optionally `secret_header` (the
//! name of the signature header, [`DEFAULT_SIGNATURE_HEADER`] by default). Secrets: `secret`,
//! the HMAC key, shared with the receiver.
//!
//! # What is sent
//!
//! Every request is a `POST` of `application/json` to `url`, with these headers:
//!
//! | header | value |
//! |---|---|
//! | `X-Relais-Event` | `post.published`, `post.deleted` or `ping` |
//! | `X-Relais-Timestamp` | when the request was signed, in Unix seconds |
//! | `X-Relais-Signature` (or `secret_header`) | `sha256=` and the lowercase hex HMAC-SHA256 (see below) |
//! | `Idempotency-Key` | for `post.published`: the post's idempotency key; for `post.deleted`: `delete:` and the id |
//!
//! A post (`post.published`):
//!
//! ```json
//! {
//!   "id": "<idempotency key>",
//!   "text": "Hello",
//!   "media": [{ "mime": "image/png", "alt": "A logo", "data_base64": "iVBORw0…" }],
//!   "reply_to": { "parent": { "id": "…", "version": null, "url": "…" },
//!                 "root":   { "id": "…", "version": null, "url": "…" } },
//!   "langs": ["fr"],
//!   "created_at": "2025-11-23T12:13:20.000Z"
//! }
//! ```
//!
//! (`reply_to` is `null` for a post that starts a thread; `alt` is `null` when unknown.) The
//! receiver answers 2xx, optionally with JSON `{"id": "…", "url": "…"}` naming the post on its
//! side; without it (or with a body that is not such JSON) the post's id is the idempotency key
//! and its URL is empty. A deletion is `{"deleted": "<id>"}` (the id the receiver gave, or the
//! idempotency key); a receiver that no longer knows the post answers 2xx or 410. The check
//! made when the channel is added is `{"ping": true}`, which must be answered 2xx.
//!
//! # Verifying a request (receivers)
//!
//! The signature is the HMAC-SHA256, keyed with the shared secret (its UTF-8 bytes), of the
//! timestamp header's value, a dot, and the raw request body, exactly as received:
//!
//! ```text
//! signed  = X-Relais-Timestamp + "." + body
//! header  = "sha256=" + hex(HMAC-SHA256(secret, signed))
//! ```
//!
//! A receiver should:
//!
//! 1. read the raw body before parsing it (re-serialised JSON would not match);
//! 2. recompute the HMAC and compare it with the header in constant time;
//! 3. refuse a timestamp more than 5 minutes away from its clock: as the timestamp is signed,
//!    a captured request cannot be replayed later with a fresh one;
//! 4. **deduplicate on `Idempotency-Key`**: a retry (after a time-out, a 5xx, or a crash of
//!    Relais between sending and recording) sends the same post again with the same key, and
//!    must be answered 2xx (with the same `id` and `url`) without publishing twice. Keep the
//!    keys at least a week. This is the whole exactly-once contract of a webhook: it cannot be
//!    asked afterwards whether a post arrived, so [`Connector::find_published`] answers `None`
//!    and the publisher sends again.
//!
//! [`verify_signature`] does steps 2 and 3 for receivers written in Rust.
//!
//! Answers: 2xx is success; 401/403 mean the receiver refused the signature (the channel needs
//! a new secret); 429 is a rate limit (`Retry-After` honoured); 5xx, time-outs and refused
//! connections are retried; other 4xx refuse the post for good, quoting the receiver's message
//! (the `message` or `error` field of a JSON body, or the text). Metrics: not offered.

pub(crate) mod answer;

use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use base64::Engine;
use hmac::{Hmac, Mac};
use relais_outbound::{FetchedResponse, HttpClient};
use reqwest::header::{CONTENT_TYPE, HeaderName};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::{Connector, Credentials, Metrics, NetworkError, OutgoingPost, PublishedPost};

/// The signature header unless the channel names another (`secret_header`).
pub const DEFAULT_SIGNATURE_HEADER: &str = "X-Relais-Signature";
/// Unix seconds at signing time; part of the signed text.
pub const TIMESTAMP_HEADER: &str = "X-Relais-Timestamp";
/// `post.published`, `post.deleted` or `ping`.
pub const EVENT_HEADER: &str = "X-Relais-Event";
/// The key receivers deduplicate on.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// How far a timestamp may be from the receiver's clock in [`verify_signature`], in seconds.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// Headers the channel may not pick as its signature header: they already mean something.
const RESERVED_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "host",
    "transfer-encoding",
    "connection",
    "user-agent",
    "idempotency-key",
    "x-relais-timestamp",
    "x-relais-event",
];

type HmacSha256 = Hmac<Sha256>;

/// `sha256=` and the hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`.
pub fn signature(secret: &[u8], timestamp: u64, body: &[u8]) -> String {
    let mut mac = hmac_of(secret);
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

/// Checks a request the way a receiver should: the signature header against the timestamp
/// header and the raw body (in constant time), and the timestamp within
/// [`MAX_CLOCK_SKEW_SECS`] of `now_secs`.
pub fn verify_signature(
    secret: &[u8],
    timestamp: &str,
    body: &[u8],
    signature: &str,
    now_secs: u64,
) -> bool {
    let Ok(ts) = timestamp.trim().parse::<u64>() else {
        return false;
    };
    if ts.abs_diff(now_secs) > MAX_CLOCK_SKEW_SECS {
        return false;
    }
    let Some(expected) = signature.trim().strip_prefix("sha256=").and_then(unhex) else {
        return false;
    };
    let mut mac = hmac_of(secret);
    mac.update(ts.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

fn hmac_of(secret: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (long ones are hashed first): this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The JSON body of a post, as documented in the module.
pub fn payload(post: &OutgoingPost) -> Value {
    let b64 = base64::engine::general_purpose::STANDARD;
    let media: Vec<Value> = post
        .media
        .iter()
        .map(|m| json!({ "mime": m.mime, "alt": m.alt, "data_base64": b64.encode(&m.bytes) }))
        .collect();
    json!({
        "id": post.idempotency_key,
        "text": post.text,
        "media": media,
        "reply_to": post.reply_to,
        "langs": post.langs,
        "created_at": rfc3339_millis(post.created_at_ms),
    })
}

fn rfc3339_millis(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// What the channel's settings say, checked.
struct Target {
    url: String,
    secret: String,
    header: HeaderName,
}

impl Target {
    fn of(creds: &Credentials) -> Result<Self, NetworkError> {
        let url = creds
            .setting("url")
            .map(str::trim)
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .ok_or_else(|| {
                NetworkError::Misconfigured(
                    "the webhook has no URL to POST to (such as https://example.org/hooks/relais)"
                        .into(),
                )
            })?
            .to_owned();
        let secret = creds
            .secret("secret")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                NetworkError::Misconfigured(
                    "the webhook has no secret to sign its requests with; set one and share it with the receiver"
                        .into(),
                )
            })?
            .to_owned();
        let name = creds
            .setting("secret_header")
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .unwrap_or(DEFAULT_SIGNATURE_HEADER);
        let header = HeaderName::from_bytes(name.as_bytes())
            .ok()
            .filter(|h| !RESERVED_HEADERS.contains(&h.as_str()))
            .ok_or_else(|| {
                NetworkError::Misconfigured(format!(
                    "`{}` cannot be the signature header: use a plain header name such as {DEFAULT_SIGNATURE_HEADER}",
                    answer::short(name)
                ))
            })?;
        Ok(Self {
            url,
            secret,
            header,
        })
    }
}

pub struct Webhook {
    http: HttpClient,
}

impl Webhook {
    pub fn new(http: HttpClient) -> Self {
        Self { http }
    }

    /// POSTs `body`, signed; a 2xx answer is returned, anything else is the mapped error.
    async fn send(
        &self,
        creds: &Credentials,
        event: &str,
        body: &Value,
        idempotency_key: Option<&str>,
    ) -> Result<FetchedResponse, NetworkError> {
        let response = self.exchange(creds, event, body, idempotency_key).await?;
        if response.is_success() {
            Ok(response)
        } else {
            Err(answer::status_error(
                response.status,
                &answer::message_of(&response.body),
                &response.headers,
            ))
        }
    }

    /// POSTs `body`, signed, and returns the answer whatever its status.
    async fn exchange(
        &self,
        creds: &Credentials,
        event: &str,
        body: &Value,
        idempotency_key: Option<&str>,
    ) -> Result<FetchedResponse, NetworkError> {
        let target = Target::of(creds)?;
        let bytes = serde_json::to_vec(body)
            .map_err(|e| NetworkError::Rejected(format!("the post cannot be sent as JSON: {e}")))?;
        let timestamp = now_secs();
        let mut request = self
            .http
            .post(&target.url)
            .map_err(answer::transport)?
            .header(CONTENT_TYPE, "application/json")
            .header(EVENT_HEADER, event)
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(
                target.header,
                signature(target.secret.as_bytes(), timestamp, &bytes),
            );
        if let Some(key) = idempotency_key {
            request = request.header(IDEMPOTENCY_HEADER, key);
        }
        self.http
            .fetch(request.body(bytes))
            .await
            .map_err(answer::transport)
    }
}

/// The post as the receiver named it, when its answer says so.
fn published_from(answer: &[u8], post: &OutgoingPost) -> PublishedPost {
    let v: Value = serde_json::from_slice(answer).unwrap_or(Value::Null);
    let id = match v.get("id") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => post.idempotency_key.clone(),
    };
    let url = v
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    PublishedPost {
        id,
        version: None,
        url,
    }
}

#[async_trait]
impl Connector for Webhook {
    fn network(&self) -> &'static str {
        "webhook"
    }

    /// Sends a signed `{"ping": true}`; returns the receiver's host name (the full URL may
    /// carry a token in its path, so it is not shown).
    async fn verify(&self, creds: &mut Credentials) -> Result<String, NetworkError> {
        self.send(creds, "ping", &json!({ "ping": true }), None)
            .await?;
        let url = Target::of(creds)?.url;
        Ok(url::Url::parse(&url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default())
    }

    async fn publish(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<PublishedPost, NetworkError> {
        let response = self
            .send(
                creds,
                "post.published",
                &payload(post),
                Some(&post.idempotency_key),
            )
            .await?;
        Ok(published_from(&response.body, post))
    }

    /// A webhook cannot be asked: always `None`, so the publisher sends again after a crash,
    /// with the same `Idempotency-Key`, which the receiver deduplicates on.
    async fn find_published(
        &self,
        _creds: &mut Credentials,
        _post: &OutgoingPost,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        Ok(None)
    }

    /// POSTs `{"deleted": id}`, signed; 2xx or 410 (already gone) is success.
    async fn delete(
        &self,
        creds: &mut Credentials,
        post: &PublishedPost,
    ) -> Result<(), NetworkError> {
        let key = format!("delete:{}", post.id);
        let response = self
            .exchange(
                creds,
                "post.deleted",
                &json!({ "deleted": post.id }),
                Some(&key),
            )
            .await?;
        if response.is_success() || response.status == 410 {
            Ok(())
        } else {
            Err(answer::status_error(
                response.status,
                &answer::message_of(&response.body),
                &response.headers,
            ))
        }
    }

    async fn metrics(
        &self,
        _creds: &mut Credentials,
        _post: &PublishedPost,
    ) -> Result<Metrics, NetworkError> {
        Err(NetworkError::Unsupported(
            "a webhook does not report likes or replies".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MediaFile, ReplyTarget};

    /// RFC 4231, test case 2: key "Jefe".
    #[test]
    fn hmac_matches_the_rfc_4231_vector() {
        let mut mac = hmac_of(b"Jefe");
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_signature_covers_timestamp_and_body() {
        let sig = signature(b"s3cret", 1_700_000_000, br#"{"ping":true}"#);
        let mut mac = hmac_of(b"s3cret");
        mac.update(br#"1700000000.{"ping":true}"#);
        assert_eq!(sig, format!("sha256={}", hex(&mac.finalize().into_bytes())));

        let now = 1_700_000_100;
        assert!(verify_signature(
            b"s3cret",
            "1700000000",
            br#"{"ping":true}"#,
            &sig,
            now
        ));
        // Another body, timestamp or key, or a stale request: refused.
        assert!(!verify_signature(
            b"s3cret",
            "1700000000",
            br#"{"ping":false}"#,
            &sig,
            now
        ));
        assert!(!verify_signature(
            b"s3cret",
            "1700000001",
            br#"{"ping":true}"#,
            &sig,
            now
        ));
        assert!(!verify_signature(
            b"other",
            "1700000000",
            br#"{"ping":true}"#,
            &sig,
            now
        ));
        assert!(!verify_signature(
            b"s3cret",
            "1700000000",
            br#"{"ping":true}"#,
            &sig,
            now + MAX_CLOCK_SKEW_SECS + 1
        ));
        assert!(!verify_signature(
            b"s3cret",
            "1700000000",
            br#"{"ping":true}"#,
            "sha256=zz",
            now
        ));
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex(&[0, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(unhex("000fa5ff"), Some(vec![0, 0x0f, 0xa5, 0xff]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex("é0"), None);
    }

    #[test]
    fn the_payload_has_the_documented_shape() {
        let parent = PublishedPost {
            id: "p1".into(),
            version: None,
            url: "https://example.org/p1".into(),
        };
        let post = OutgoingPost {
            text: "Bonjour".into(),
            media: vec![MediaFile {
                mime: "image/png".into(),
                bytes: b"png".to_vec(),
                alt: Some("logo".into()),
                public_url: None,
            }],
            reply_to: Some(ReplyTarget {
                parent: parent.clone(),
                root: parent,
            }),
            langs: vec!["fr".into()],
            idempotency_key: "key-1".into(),
            created_at_ms: 1_700_000_000_123,
        };
        let v = payload(&post);
        assert_eq!(v["id"], "key-1");
        assert_eq!(v["text"], "Bonjour");
        assert_eq!(
            v["media"],
            json!([{ "mime": "image/png", "alt": "logo", "data_base64": "cG5n" }])
        );
        assert_eq!(v["reply_to"]["parent"]["id"], "p1");
        assert_eq!(v["reply_to"]["root"]["url"], "https://example.org/p1");
        assert_eq!(v["created_at"], "2023-11-14T22:13:20.123Z");
        let root = OutgoingPost {
            reply_to: None,
            ..post
        };
        assert_eq!(payload(&root)["reply_to"], Value::Null);
    }

    #[test]
    fn the_answer_names_the_post_or_the_key_does() {
        let post = OutgoingPost {
            text: String::new(),
            media: vec![],
            reply_to: None,
            langs: vec![],
            idempotency_key: "k".into(),
            created_at_ms: 0,
        };
        let p = published_from(br#"{"id":"42","url":"https://x/42"}"#, &post);
        assert_eq!((p.id.as_str(), p.url.as_str()), ("42", "https://x/42"));
        assert_eq!(published_from(br#"{"id":42}"#, &post).id, "42");
        let p = published_from(b"<html>ok</html>", &post);
        assert_eq!((p.id.as_str(), p.url.as_str()), ("k", ""));
        assert_eq!(published_from(b"", &post).id, "k");
    }

    #[test]
    fn settings_are_checked() {
        let mut creds = Credentials {
            settings: json!({ "url": "https://example.org/hook" }),
            secrets: [("secret".to_owned(), "k".to_owned())].into(),
            changed: false,
        };
        let t = Target::of(&creds).expect("valid settings");
        assert_eq!(t.header.as_str(), "x-relais-signature");
        creds.settings =
            json!({ "url": "https://example.org/hook", "secret_header": "X-Hub-Signature-256" });
        assert_eq!(
            Target::of(&creds).expect("valid").header.as_str(),
            "x-hub-signature-256"
        );
        for bad in ["Content-Type", "bad header", "Idempotency-Key"] {
            creds.settings = json!({ "url": "https://example.org/hook", "secret_header": bad });
            assert!(
                matches!(Target::of(&creds), Err(NetworkError::Misconfigured(_))),
                "{bad}"
            );
        }
        creds.settings = json!({ "url": "ftp://example.org/hook" });
        assert!(matches!(
            Target::of(&creds),
            Err(NetworkError::Misconfigured(_))
        ));
        creds.settings = json!({ "url": "https://example.org/hook" });
        creds.secrets.clear();
        assert!(matches!(
            Target::of(&creds),
            Err(NetworkError::Misconfigured(_))
        ));
    }
}

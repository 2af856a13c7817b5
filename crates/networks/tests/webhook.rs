//! The webhook connector against a local receiver that does what the module documentation asks
//! of receivers: it recomputes the HMAC over "<timestamp>.<body>", refuses stale timestamps and
//! bad signatures (401), and deduplicates on `Idempotency-Key`. Scripted answers cover the error
//! mapping: 500 then 200, 429 with Retry-After, a slow receiver, a 2xx body that is not JSON.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing;
use base64::Engine;
use common::client;
use hmac::{Hmac, Mac};
use relais_networks::webhook::Webhook;
use relais_networks::{
    Connector, Credentials, MediaFile, NetworkError, OutgoingPost, PublishedPost, ReplyTarget,
    connector_for,
};
use relais_outbound::{HttpClient, OutboundConfig};
use relais_testkit::mock_http::MockHttp;
use serde_json::{Value, json};
use sha2::Sha256;

const SECRET: &str = "partagé-avec-le-récepteur";

/// A request as the receiver saw it.
#[derive(Clone, Debug)]
struct Seen {
    headers: HeaderMap,
    body: Value,
}

/// A scripted answer: status, extra headers, body.
type Scripted = (StatusCode, Vec<(&'static str, &'static str)>, &'static str);

#[derive(Default)]
struct Receiver {
    /// Name of the signature header it checks.
    signature_header: String,
    seen: Vec<Seen>,
    /// Posts kept, by idempotency key, with the id given.
    posts: BTreeMap<String, String>,
    deleted: Vec<String>,
    script: VecDeque<Scripted>,
    delay: Option<Duration>,
}

type Shared = Arc<Mutex<Receiver>>;

/// HMAC-SHA256 over "<timestamp>.<body>", recomputed here without the connector's code.
fn signature_ok(headers: &HeaderMap, header: &str, body: &[u8]) -> bool {
    let (Some(ts), Some(sig)) = (
        headers
            .get("x-relais-timestamp")
            .and_then(|v| v.to_str().ok()),
        headers.get(header).and_then(|v| v.to_str().ok()),
    ) else {
        return false;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let Ok(ts_n) = ts.parse::<u64>() else {
        return false;
    };
    if ts_n.abs_diff(now) > 300 {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(ts.as_bytes());
    mac.update(b".");
    mac.update(body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    sig == format!("sha256={expected}")
}

async fn receive(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let (delay, scripted, header) = {
        let mut r = state.lock().unwrap();
        (r.delay, r.script.pop_front(), r.signature_header.clone())
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    if !signature_ok(&headers, &header, &body) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "error": "bad signature" })),
        )
            .into_response();
    }
    let parsed: Value = serde_json::from_slice(&body).unwrap();
    let mut r = state.lock().unwrap();
    r.seen.push(Seen {
        headers: headers.clone(),
        body: parsed.clone(),
    });
    if let Some((status, extra, text)) = scripted {
        let mut response = (status, text).into_response();
        for (k, v) in extra {
            response.headers_mut().insert(k, v.parse().unwrap());
        }
        return response;
    }
    if parsed.get("ping").is_some() {
        return StatusCode::NO_CONTENT.into_response();
    }
    if let Some(id) = parsed.get("deleted").and_then(Value::as_str) {
        r.deleted.push(id.to_owned());
        return StatusCode::OK.into_response();
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_owned();
    assert_eq!(parsed["id"], key, "the body's id is the idempotency key");
    // Deduplicate: a key seen before gets the same answer, and nothing is published again.
    let n = r.posts.len() + 1;
    let id = r
        .posts
        .entry(key)
        .or_insert_with(|| format!("hook-{n}"))
        .clone();
    axum::Json(json!({ "id": id, "url": format!("https://receiver.example/posts/{id}") }))
        .into_response()
}

async fn receiver(signature_header: &str) -> (MockHttp, Shared) {
    let state: Shared = Arc::new(Mutex::new(Receiver {
        signature_header: signature_header.to_ascii_lowercase(),
        ..Receiver::default()
    }));
    let router = Router::new()
        .route("/hooks/relais", routing::post(receive))
        .with_state(state.clone());
    (MockHttp::start(router).await, state)
}

fn webhook() -> Webhook {
    Webhook::new(client(Duration::from_secs(10)))
}

fn credentials(server: &MockHttp) -> Credentials {
    Credentials {
        settings: json!({ "url": server.url("/hooks/relais") }),
        secrets: [("secret".to_owned(), SECRET.to_owned())].into(),
        changed: false,
    }
}

fn post(text: &str, key: &str) -> OutgoingPost {
    OutgoingPost {
        text: text.to_owned(),
        media: vec![],
        reply_to: None,
        langs: vec!["fr".into()],
        idempotency_key: key.to_owned(),
        created_at_ms: 1_763_900_000_000,
    }
}

#[tokio::test]
async fn posts_signed_json_once_per_idempotency_key() {
    let (server, state) = receiver("X-Relais-Signature").await;
    let hook = webhook();
    let mut creds = credentials(&server);

    let parent = PublishedPost {
        id: "hook-0".into(),
        version: None,
        url: "https://receiver.example/posts/hook-0".into(),
    };
    let mut outgoing = post("Bonjour <b>tout</b> le monde 🎉", "target-1/0");
    outgoing.media.push(MediaFile {
        mime: "image/png".into(),
        bytes: vec![0x89, b'P', b'N', b'G', 0, 1, 2],
        alt: Some("Le logo".into()),
        public_url: None,
    });
    outgoing.reply_to = Some(ReplyTarget {
        parent: parent.clone(),
        root: parent,
    });
    let published = hook.publish(&mut creds, &outgoing).await.unwrap();
    assert_eq!(published.id, "hook-1");
    assert_eq!(published.url, "https://receiver.example/posts/hook-1");
    assert!(!creds.changed, "nothing to store again");

    let seen = state.lock().unwrap().seen.clone();
    assert_eq!(seen.len(), 1, "the signature was accepted (else 401)");
    let (headers, body) = (&seen[0].headers, &seen[0].body);
    assert_eq!(headers["idempotency-key"], "target-1/0");
    assert_eq!(headers["x-relais-event"], "post.published");
    assert_eq!(headers["content-type"], "application/json");
    assert!(
        headers["x-relais-signature"]
            .to_str()
            .unwrap()
            .starts_with("sha256=")
    );
    assert_eq!(body["id"], "target-1/0");
    assert_eq!(body["text"], "Bonjour <b>tout</b> le monde 🎉");
    assert_eq!(body["created_at"], "2025-11-23T12:13:20.000Z");
    assert_eq!(body["media"][0]["mime"], "image/png");
    assert_eq!(body["media"][0]["alt"], "Le logo");
    let data = base64::engine::general_purpose::STANDARD
        .decode(body["media"][0]["data_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(data, vec![0x89, b'P', b'N', b'G', 0, 1, 2]);
    assert_eq!(body["reply_to"]["parent"]["id"], "hook-0");
    assert_eq!(body["reply_to"]["root"]["id"], "hook-0");

    // A retry after a crash: the webhook cannot be asked, so the publisher sends again with the
    // same key; the receiver deduplicates and answers with the same post.
    assert_eq!(hook.find_published(&mut creds, &outgoing).await, Ok(None));
    let again = hook.publish(&mut creds, &outgoing).await.unwrap();
    assert_eq!(again, published);
    {
        let r = state.lock().unwrap();
        assert_eq!(r.seen.len(), 2);
        assert_eq!(r.posts.len(), 1, "published once");
        assert_eq!(
            r.seen[0].headers["idempotency-key"],
            r.seen[1].headers["idempotency-key"]
        );
    }

    // A post starting a thread has a null reply_to.
    let root = hook
        .publish(&mut creds, &post("Autre", "target-2/0"))
        .await
        .unwrap();
    assert_eq!(root.id, "hook-2");
    assert_eq!(state.lock().unwrap().seen[2].body["reply_to"], Value::Null);

    // Delete: signed {"deleted": id}; a receiver that no longer knows it may answer 410.
    hook.delete(&mut creds, &published).await.unwrap();
    {
        let r = state.lock().unwrap();
        assert_eq!(r.deleted, vec!["hook-1".to_owned()]);
        let last = r.seen.last().unwrap();
        assert_eq!(last.body, json!({ "deleted": "hook-1" }));
        assert_eq!(last.headers["x-relais-event"], "post.deleted");
        assert_eq!(last.headers["idempotency-key"], "delete:hook-1");
    }
    state
        .lock()
        .unwrap()
        .script
        .push_back((StatusCode::GONE, vec![], ""));
    hook.delete(&mut creds, &published).await.unwrap();

    assert!(matches!(
        hook.metrics(&mut creds, &published).await,
        Err(NetworkError::Unsupported(_))
    ));
}

#[tokio::test]
async fn verify_pings_and_names_the_host_only() {
    let (server, state) = receiver("X-Relais-Signature").await;
    let hook = webhook();
    let mut creds = credentials(&server);
    assert_eq!(hook.verify(&mut creds).await.unwrap(), "127.0.0.1");
    let seen = state.lock().unwrap().seen.clone();
    assert_eq!(seen[0].body, json!({ "ping": true }));
    assert_eq!(seen[0].headers["x-relais-event"], "ping");

    // A receiver that does not know the secret refuses the signature: reconnect.
    creds
        .secrets
        .insert("secret".into(), "un autre secret".into());
    assert!(matches!(
        hook.verify(&mut creds).await,
        Err(NetworkError::Unauthorized(m)) if m.contains("bad signature")
    ));
    creds.secrets.clear();
    assert!(matches!(
        hook.verify(&mut creds).await,
        Err(NetworkError::Misconfigured(_))
    ));
}

#[tokio::test]
async fn the_signature_header_can_be_renamed() {
    let (server, state) = receiver("X-Hub-Signature-256").await;
    let hook = webhook();
    let mut creds = credentials(&server);
    creds.settings["secret_header"] = json!("X-Hub-Signature-256");
    hook.publish(&mut creds, &post("Salut", "k-1"))
        .await
        .unwrap();
    let seen = state.lock().unwrap().seen.clone();
    assert!(seen[0].headers.contains_key("x-hub-signature-256"));
    assert!(!seen[0].headers.contains_key("x-relais-signature"));
}

#[tokio::test]
async fn server_errors_are_transient_then_the_retry_lands() {
    let (server, state) = receiver("X-Relais-Signature").await;
    let hook = webhook();
    let mut creds = credentials(&server);
    state.lock().unwrap().script.push_back((
        StatusCode::INTERNAL_SERVER_ERROR,
        vec![],
        "database down",
    ));
    let outgoing = post("Encore", "retry-1");
    let first = hook.publish(&mut creds, &outgoing).await;
    assert!(
        matches!(&first, Err(NetworkError::Transient(m)) if m.contains("500") && m.contains("database down")),
        "{first:?}"
    );
    assert!(first.unwrap_err().is_retryable());
    let second = hook.publish(&mut creds, &outgoing).await.unwrap();
    assert_eq!(second.id, "hook-1");
}

#[tokio::test]
async fn rate_limits_carry_the_wait() {
    let (server, state) = receiver("X-Relais-Signature").await;
    let hook = webhook();
    let mut creds = credentials(&server);
    state.lock().unwrap().script.push_back((
        StatusCode::TOO_MANY_REQUESTS,
        vec![("retry-after", "7")],
        "slow down",
    ));
    assert_eq!(
        hook.publish(&mut creds, &post("Vite", "rl-1")).await,
        Err(NetworkError::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        })
    );
}

#[tokio::test]
async fn refusals_quote_the_receiver() {
    let (server, state) = receiver("X-Relais-Signature").await;
    let hook = webhook();
    let mut creds = credentials(&server);
    state.lock().unwrap().script.push_back((
        StatusCode::UNPROCESSABLE_ENTITY,
        vec![("content-type", "application/json")],
        r#"{"message":"text too long for the display"}"#,
    ));
    assert_eq!(
        hook.publish(&mut creds, &post("Long", "rej-1")).await,
        Err(NetworkError::Rejected(
            "HTTP 422: text too long for the display".into()
        ))
    );
    state
        .lock()
        .unwrap()
        .script
        .push_back((StatusCode::NOT_FOUND, vec![], "no such hook"));
    assert!(matches!(
        hook.publish(&mut creds, &post("Long", "rej-2")).await,
        Err(NetworkError::Rejected(m)) if m == "HTTP 404: no such hook"
    ));
}

#[tokio::test]
async fn a_2xx_without_json_is_still_a_success() {
    let (server, state) = receiver("X-Relais-Signature").await;
    let hook = webhook();
    let mut creds = credentials(&server);
    state
        .lock()
        .unwrap()
        .script
        .push_back((StatusCode::OK, vec![], "<html>merci !</html>"));
    let published = hook
        .publish(&mut creds, &post("Corps", "garbage-1"))
        .await
        .unwrap();
    assert_eq!(published.id, "garbage-1", "the idempotency key names it");
    assert_eq!(published.url, "");
}

#[tokio::test]
async fn a_slow_receiver_times_out_as_transient() {
    let (server, state) = receiver("X-Relais-Signature").await;
    state.lock().unwrap().delay = Some(Duration::from_secs(3));
    let hook = Webhook::new(client(Duration::from_millis(300)));
    let mut creds = credentials(&server);
    let result = hook.publish(&mut creds, &post("Lent", "slow-1")).await;
    assert!(
        matches!(&result, Err(NetworkError::Transient(m)) if m.contains("did not finish")),
        "{result:?}"
    );
}

#[tokio::test]
async fn unreachable_and_forbidden_addresses() {
    // The receiver listens on 127.0.0.1 only: the same port on 127.0.0.3 refuses connections,
    // which is worth a retry.
    let (server, _) = receiver("X-Relais-Signature").await;
    let mut creds = credentials(&server);
    creds.settings["url"] = json!(format!(
        "http://127.0.0.3:{}/hooks/relais",
        server.addr().port()
    ));
    assert!(matches!(
        webhook().publish(&mut creds, &post("x", "k")).await,
        Err(NetworkError::Transient(_))
    ));

    // With the SSRF guard on (the default), a loopback URL is a setting to fix, not a retry.
    let guarded = Webhook::new(HttpClient::new(OutboundConfig::default()).unwrap());
    for url in ["http://127.0.0.1:9/hook", "http://[::1]/hook"] {
        creds.settings["url"] = json!(url);
        assert!(
            matches!(
                guarded.publish(&mut creds, &post("x", "k")).await,
                Err(NetworkError::Misconfigured(m)) if m.contains("loopback")
            ),
            "{url}"
        );
    }
    creds.settings["url"] = json!("file:///etc/passwd");
    assert!(matches!(
        guarded.verify(&mut creds).await,
        Err(NetworkError::Misconfigured(_))
    ));
}

#[test]
fn both_connectors_are_registered() {
    let http = HttpClient::new(OutboundConfig::default()).unwrap();
    assert_eq!(
        connector_for("webhook", http.clone()).unwrap().network(),
        "webhook"
    );
    assert_eq!(
        connector_for("wordpress", http).unwrap().network(),
        "wordpress"
    );
}

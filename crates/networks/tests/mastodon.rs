//! The Mastodon connector against a real Mastodon API server: the PyPI package mastodon-mock
//! (stateful, FastAPI + SQLite, with fault injection), started by the test kit. Statuses are
//! read back from the server without the connector.
//!
//! Covered: verify; an image with its description; a thread of three; visibility, content
//! warning and language stored; the same idempotency key twice gives one status; find_published
//! (HTML-stripped text, and the source text when the HTML differs); metrics; delete; 401, 403,
//! 422, 429 (Retry-After, and Mastodon's ISO X-RateLimit-Reset), 503, a malformed answer and a
//! time-out; media processed in the background (202 then 206), bounded; a publication retried
//! after a time-out, and after an answer lost once the status was made.
#![allow(clippy::unwrap_used)]

mod common;

use common::{PNG, client, reply};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use relais_networks::mastodon::Mastodon;
use relais_networks::{Connector, Credentials, MediaFile, NetworkError, OutgoingPost};
use relais_outbound::{HttpClient, OutboundConfig};
use relais_testkit::mastodon::MockMastodon;
use serde_json::{Value, json};

fn connector() -> Mastodon {
    Mastodon::new(client(Duration::from_secs(30)))
}

fn credentials(m: &MockMastodon, username: &str, settings: Value) -> Credentials {
    let mut s = json!({ "instance": m.instance });
    if let (Some(s), Some(extra)) = (s.as_object_mut(), settings.as_object()) {
        s.extend(extra.clone());
    }
    Credentials {
        settings: s,
        secrets: [(
            "access_token".to_owned(),
            m.account(username).access_token.clone(),
        )]
        .into(),
        changed: false,
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn post(text: &str, key: &str) -> OutgoingPost {
    OutgoingPost {
        text: text.to_owned(),
        media: vec![],
        reply_to: None,
        langs: vec!["fr-FR".into()],
        idempotency_key: key.to_owned(),
        created_at_ms: now_ms(),
    }
}

fn with_image(mut p: OutgoingPost, alt: &str) -> OutgoingPost {
    p.media.push(MediaFile {
        mime: "image/png".into(),
        bytes: PNG.to_vec(),
        alt: Some(alt.to_owned()),
        public_url: None,
    });
    p
}

/// A call to the server as some account, without the connector.
async fn api(m: &MockMastodon, user: &str, verb: reqwest::Method, path: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .request(verb, format!("{}{path}", m.instance))
        .bearer_auth(&m.account(user).access_token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn status(m: &MockMastodon, id: &str) -> Value {
    let (code, body) = api(
        m,
        "brand",
        reqwest::Method::GET,
        &format!("/api/v1/statuses/{id}"),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    body
}

/// The brand's statuses whose content contains `needle`.
async fn statuses_containing(m: &MockMastodon, brand: &Credentials, needle: &str) -> Vec<Value> {
    let account = brand.secret("account_id").unwrap();
    let (_, list) = api(
        m,
        "brand",
        reqwest::Method::GET,
        &format!("/api/v1/accounts/{account}/statuses?limit=40"),
    )
    .await;
    list.as_array()
        .unwrap()
        .iter()
        .filter(|s| s["content"].as_str().unwrap().contains(needle))
        .cloned()
        .collect()
}

async fn start() -> MockMastodon {
    tokio::task::spawn_blocking(MockMastodon::start)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_media_threads_visibility_and_content_warnings_exactly_once() {
    let m = start().await;
    let masto = connector();
    let mut brand = credentials(
        &m,
        "brand",
        json!({ "visibility": "unlisted", "content_warning": "Nouveau logo" }),
    );
    let handle = masto.verify(&mut brand).await.unwrap();
    assert_eq!(handle, "brand@127.0.0.1");
    assert!(brand.changed, "the account id is kept with the secrets");
    assert!(brand.secret("account_id").is_some());

    // An image with its description; visibility, content warning and language as stored.
    let img_post = with_image(
        post("Notre nouveau logo", "post-image"),
        "Le logo, bleu sur blanc",
    );
    let img = masto.publish(&mut brand, &img_post).await.unwrap();
    assert!(img.url.starts_with(&m.instance), "{}", img.url);
    assert!(img.url.ends_with(&img.id), "{}", img.url);
    let stored = status(&m, &img.id).await;
    assert_eq!(stored["visibility"], "unlisted");
    assert_eq!(stored["spoiler_text"], "Nouveau logo");
    assert_eq!(stored["language"], "fr");
    assert_eq!(stored["content"], "<p>Notre nouveau logo</p>");
    let media = &stored["media_attachments"][0];
    assert_eq!(media["type"], "image");
    assert_eq!(media["description"], "Le logo, bleu sur blanc");
    let bytes = reqwest::get(media["url"].as_str().unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], PNG, "the image arrived whole");

    // Exactly once: the same idempotency key again gives the same status, not a second one.
    let again = masto.publish(&mut brand, &img_post).await.unwrap();
    assert_eq!(again, img);
    assert_eq!(
        statuses_containing(&m, &brand, "Notre nouveau logo")
            .await
            .len(),
        1
    );
    // And after a crash, the status is found again without publishing.
    let found = masto.find_published(&mut brand, &img_post).await.unwrap();
    assert_eq!(found, Some(img.clone()));
    assert_eq!(
        masto
            .find_published(&mut brand, &post("jamais envoyé", "post-none"))
            .await
            .unwrap(),
        None
    );
    // Same text, but without the image: not that status.
    assert_eq!(
        masto
            .find_published(&mut brand, &post("Notre nouveau logo", "post-other"))
            .await
            .unwrap(),
        None
    );

    // Text whose HTML does not give it back (this server renders **…** as <strong>): found
    // through the status's source; and entities, line breaks and paragraphs round-trip.
    let marked = post(
        "**Soldes** d'été <3 & plus\nligne 2\n\nparagraphe",
        "post-marked",
    );
    let marked_p = masto.publish(&mut brand, &marked).await.unwrap();
    assert_eq!(
        masto.find_published(&mut brand, &marked).await.unwrap(),
        Some(marked_p)
    );
    let plain = post(
        "Été <3 & plus\nligne 2\n\nparagraphe https://example.com/x",
        "post-plain",
    );
    let plain_p = masto.publish(&mut brand, &plain).await.unwrap();
    assert_eq!(
        masto.find_published(&mut brand, &plain).await.unwrap(),
        Some(plain_p)
    );

    // A thread of three: each replies to the one before.
    let first = masto
        .publish(&mut brand, &post("1/3 Un fil", "thread-1"))
        .await
        .unwrap();
    let second_post = reply(post("2/3 la suite", "thread-2"), &first, &first);
    let second = masto.publish(&mut brand, &second_post).await.unwrap();
    let third_post = reply(post("3/3 la fin", "thread-3"), &first, &second);
    let third = masto.publish(&mut brand, &third_post).await.unwrap();
    assert_eq!(status(&m, &first.id).await["in_reply_to_id"], Value::Null);
    assert_eq!(status(&m, &second.id).await["in_reply_to_id"], first.id);
    assert_eq!(status(&m, &third.id).await["in_reply_to_id"], second.id);
    let (_, context) = api(
        &m,
        "brand",
        reqwest::Method::GET,
        &format!("/api/v1/statuses/{}/context", third.id),
    )
    .await;
    let ancestors: Vec<&str> = context["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ancestors, [first.id.as_str(), second.id.as_str()]);
    assert_eq!(
        masto
            .find_published(&mut brand, &second_post)
            .await
            .unwrap(),
        Some(second.clone())
    );

    // Metrics: a fan favourites, boosts and replies.
    for action in ["favourite", "reblog"] {
        let (code, body) = api(
            &m,
            "fan",
            reqwest::Method::POST,
            &format!("/api/v1/statuses/{}/{action}", img.id),
        )
        .await;
        assert_eq!(code, 200, "{body}");
    }
    let mut fan = credentials(&m, "fan", json!({}));
    masto
        .publish(
            &mut fan,
            &reply(post("Très beau !", "fan-reply"), &img, &img),
        )
        .await
        .unwrap();
    let metrics = masto.metrics(&mut brand, &img).await.unwrap();
    assert_eq!(
        (metrics.likes, metrics.reposts, metrics.replies),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(metrics.views, None);

    // Delete: the status is gone; deleting again is no error.
    masto.delete(&mut brand, &third).await.unwrap();
    let (code, _) = api(
        &m,
        "brand",
        reqwest::Method::GET,
        &format!("/api/v1/statuses/{}", third.id),
    )
    .await;
    assert_eq!(code, 404);
    masto.delete(&mut brand, &third).await.unwrap();
    assert_eq!(
        masto.find_published(&mut brand, &third_post).await.unwrap(),
        None
    );
    let err = masto.metrics(&mut brand, &third).await.unwrap_err();
    assert!(matches!(err, NetworkError::Rejected(_)), "{err}");

    // Without a visibility setting, the account's default (public) applies.
    let mut plain_channel = credentials(&m, "brand", json!({}));
    let public = masto
        .publish(&mut plain_channel, &post("Public", "post-public"))
        .await
        .unwrap();
    let stored = status(&m, &public.id).await;
    assert_eq!(stored["visibility"], "public");
    assert_eq!(stored["spoiler_text"], "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_limits_and_failures_map_to_what_the_scheduler_does() {
    let m = start().await;
    let masto = connector();
    let mut brand = credentials(&m, "brand", json!({}));
    masto.verify(&mut brand).await.unwrap();

    // 401: Mastodon tokens do not expire, so a refused one needs a person.
    let mut revoked = credentials(&m, "brand", json!({}));
    revoked
        .secrets
        .insert("access_token".into(), "revoked-token".into());
    let err = masto.verify(&mut revoked).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref msg) if msg.contains("connect the channel again")),
        "{err}"
    );
    let err = masto
        .publish(&mut revoked, &post("refusé", "unauth"))
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Unauthorized(_)), "{err}");

    // 422: refused for good, with Mastodon's reason.
    let err = masto
        .publish(&mut brand, &post(&"a".repeat(501), "too-long"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref msg) if msg.contains("Validation failed") && msg.contains("too long")),
        "{err}"
    );

    // 429 with Retry-After.
    m.add_fault(json!({
        "match": { "methods": ["POST"], "path": "/api/v1/statuses" },
        "effect": { "type": "ratelimit", "headers": { "Retry-After": "7" } },
        "count": 1
    }));
    let err = masto
        .publish(&mut brand, &post("trop vite", "rate-1"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        NetworkError::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        }
    );

    // 429 as Mastodon sends it: no Retry-After, the end of the window as an ISO time.
    let reset = (chrono::Utc::now() + chrono::Duration::seconds(120))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    m.add_fault(json!({
        "match": { "methods": ["POST"], "path": "/api/v1/statuses" },
        "effect": { "type": "status", "status": 429, "body": { "error": "Too many requests" },
                    "headers": { "X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                                 "X-RateLimit-Reset": reset } },
        "count": 1
    }));
    let err = masto
        .publish(&mut brand, &post("trop vite", "rate-2"))
        .await
        .unwrap_err();
    match err {
        NetworkError::RateLimited {
            retry_after: Some(wait),
        } => assert!(
            (Duration::from_secs(100)..=Duration::from_secs(120)).contains(&wait),
            "{wait:?}"
        ),
        other => panic!("expected a rate limit with a wait, got {other:?}"),
    }

    // 503 and 500: worth another try.
    m.add_fault(json!({
        "match": { "methods": ["POST"], "path": "/api/v2/media" },
        "effect": { "type": "status", "status": 503 },
        "count": 1
    }));
    let err = masto
        .publish(&mut brand, &with_image(post("panne", "down"), "x"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref msg) if msg.contains("503")),
        "{err}"
    );
    m.add_fault(json!({
        "match": { "methods": ["GET"], "path_regex": "^/api/v1/statuses/[0-9]+$" },
        "effect": { "type": "status", "status": 500 },
        "count": 1
    }));
    let p = masto
        .publish(&mut brand, &post("compté", "metrics"))
        .await
        .unwrap();
    let err = masto.metrics(&mut brand, &p).await.unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");
    assert!(err.is_retryable());

    // A malformed answer (200 with truncated JSON).
    m.add_fault(json!({
        "match": { "methods": ["GET"], "path": "/api/v1/accounts/verify_credentials" },
        "effect": { "type": "malformed" },
        "count": 1
    }));
    let err = masto.verify(&mut brand).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref msg) if msg.contains("not JSON")),
        "{err}"
    );

    // 403 (a token without the write scope): the channel needs reconnecting.
    m.add_fault(json!({
        "match": { "methods": ["POST"], "path": "/api/v1/statuses" },
        "effect": { "type": "status", "status": 403,
                    "body": { "error": "This action is outside the authorized scopes" } },
        "count": 1
    }));
    let err = masto
        .publish(&mut brand, &post("interdit", "forbidden"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref msg) if msg.contains("outside the authorized scopes")),
        "{err}"
    );

    // A server that does not answer in time.
    m.add_fault(json!({
        "match": { "methods": ["GET"], "path": "/api/v1/accounts/verify_credentials" },
        "effect": { "type": "timeout" },
        "count": 1
    }));
    let impatient = Mastodon::new(client(Duration::from_secs(1)));
    let started = Instant::now();
    let err = impatient.verify(&mut brand).await.unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));

    // Every fault fired, and nothing else is wrong: publishing works again.
    assert_eq!(m.faults(), json!([]));
    masto
        .publish(&mut brand, &post("tout va bien", "fine"))
        .await
        .unwrap();

    // Settings a person must fix.
    let mut no_token = credentials(&m, "brand", json!({}));
    no_token.secrets.clear();
    let err = masto.verify(&mut no_token).await.unwrap_err();
    assert!(matches!(err, NetworkError::Misconfigured(_)), "{err}");
    let mut bad_visibility = credentials(&m, "brand", json!({ "visibility": "friends" }));
    let err = masto
        .publish(&mut bad_visibility, &post("x", "vis"))
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Misconfigured(_)), "{err}");
    let err = masto
        .publish(
            &mut brand,
            &OutgoingPost {
                media: vec![MediaFile {
                    mime: "application/pdf".into(),
                    bytes: b"%PDF".to_vec(),
                    alt: None,
                    public_url: None,
                }],
                ..post("un PDF", "pdf")
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Rejected(_)), "{err}");
    // With the SSRF guard on, an instance on loopback is refused before any connection.
    let guarded = Mastodon::new(HttpClient::new(OutboundConfig::default()).unwrap());
    let err = guarded
        .verify(&mut credentials(&m, "brand", json!({})))
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Misconfigured(_)), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_processed_in_the_background_is_awaited_within_bounds() {
    let m = start().await;
    let masto = connector();
    let mut brand = credentials(&m, "brand", json!({}));

    // A media already on the server, which the faults below pretend is still being processed.
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(PNG.to_vec())
                .file_name("big.png")
                .mime_str("image/png")
                .unwrap(),
        )
        .text("description", "Une grande image");
    let uploaded: Value = reqwest::Client::new()
        .post(format!("{}/api/v2/media", m.instance))
        .bearer_auth(&m.brand().access_token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = uploaded["id"].as_str().unwrap().to_owned();
    let processing = json!({ "id": id, "type": "image", "url": null, "preview_url": null,
                             "description": "Une grande image" });

    // 202 on upload, 206 twice while processing, then ready.
    m.add_fault(json!({
        "match": { "methods": ["POST"], "path": "/api/v2/media" },
        "effect": { "type": "status", "status": 202, "body": processing },
        "count": 1
    }));
    m.add_fault(json!({
        "match": { "methods": ["GET"], "path": format!("/api/v1/media/{id}") },
        "effect": { "type": "status", "status": 206, "body": processing },
        "count": 2
    }));
    let p = masto
        .publish(
            &mut brand,
            &with_image(post("Une grande image", "big"), "Une grande image"),
        )
        .await
        .unwrap();
    assert_eq!(m.faults(), json!([]), "the connector polled until ready");
    assert_eq!(status(&m, &p.id).await["media_attachments"][0]["id"], id);

    // Never ready: the wait is bounded, and trying again later may help.
    m.add_fault(json!({
        "match": { "methods": ["POST"], "path": "/api/v2/media" },
        "effect": { "type": "status", "status": 202, "body": processing },
        "count": 1
    }));
    m.add_fault(json!({
        "match": { "methods": ["GET"], "path": format!("/api/v1/media/{id}") },
        "effect": { "type": "status", "status": 206, "body": processing }
    }));
    let hurried =
        Mastodon::new(client(Duration::from_secs(30))).with_media_wait(Duration::from_secs(2));
    let started = Instant::now();
    let err = hurried
        .publish(&mut brand, &with_image(post("jamais prête", "never"), "x"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref msg) if msg.contains("still processing")),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    m.clear_faults();

    // Processing failed: refused for good, with the instance's reason.
    m.add_fault(json!({
        "match": { "methods": ["POST"], "path": "/api/v2/media" },
        "effect": { "type": "status", "status": 202, "body": processing },
        "count": 1
    }));
    m.add_fault(json!({
        "match": { "methods": ["GET"], "path": format!("/api/v1/media/{id}") },
        "effect": { "type": "status", "status": 422,
                    "body": { "error": "Error processing thumbnail for uploaded media" } },
        "count": 1
    }));
    let err = masto
        .publish(&mut brand, &with_image(post("cassée", "broken"), "x"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref msg) if msg.contains("Error processing")),
        "{err}"
    );

    // The status refused because a media is not ready yet: try again later.
    m.add_fault(json!({
        "match": { "methods": ["POST"], "path": "/api/v1/statuses" },
        "effect": { "type": "status", "status": 422, "body": {
            "error": "Cannot attach files that have not finished processing. Try again in a moment!" } },
        "count": 1
    }));
    let err = masto
        .publish(&mut brand, &with_image(post("pas prête", "not-ready"), "x"))
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");
    assert_eq!(m.faults(), json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_outs_and_lost_answers_publish_once() {
    let m = start().await;
    let masto = connector();
    let mut brand = credentials(&m, "brand", json!({}));
    masto.verify(&mut brand).await.unwrap();

    // The client gives up before the server answers. (mastodon-mock then drops the request,
    // as the client went away: nothing was made.)
    m.add_fault(json!({
        "match": { "methods": ["POST"], "path": "/api/v1/statuses" },
        "effect": { "type": "latency", "delay_ms": 2500 },
        "count": 1
    }));
    let impatient = Mastodon::new(client(Duration::from_secs(1)));
    let slow = post("Trop lent", "slow");
    let err = impatient.publish(&mut brand, &slow).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref msg) if msg.contains("did not finish")),
        "{err}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    // The publisher asks before publishing again; nothing there, so it publishes, once.
    assert_eq!(masto.find_published(&mut brand, &slow).await.unwrap(), None);
    masto.publish(&mut brand, &slow).await.unwrap();
    assert_eq!(statuses_containing(&m, &brand, "Trop lent").await.len(), 1);

    // An attempt whose status was made but whose answer never came back (sent here without
    // the connector, with the post's Idempotency-Key, and its answer thrown away).
    let lost = post("Réponse perdue", "lost-answer");
    let made: Value = reqwest::Client::new()
        .post(format!("{}/api/v1/statuses", m.instance))
        .bearer_auth(&m.brand().access_token)
        .header("Idempotency-Key", &lost.idempotency_key)
        .json(&json!({ "status": lost.text, "language": "fr" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let made_id = made["id"].as_str().unwrap();
    // After a crash, the publisher finds it…
    let found = masto
        .find_published(&mut brand, &lost)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, made_id);
    // …and a plain retry with the same key gets that status back, not a second one.
    let retried = masto.publish(&mut brand, &lost).await.unwrap();
    assert_eq!(retried, found);
    assert_eq!(
        statuses_containing(&m, &brand, "Réponse perdue")
            .await
            .len(),
        1
    );
}

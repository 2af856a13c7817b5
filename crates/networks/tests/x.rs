//! The X connector against a small stateful fake of the X API v2 endpoints it uses, written
//! from X's developer documentation: OAuth 2.0 bearer tokens with a token endpoint that
//! rotates refresh tokens (`invalid_request` for a used or revoked one) and checks PKCE on the
//! authorization-code grant; `GET /2/users/me`; `POST /2/tweets` (`reply.in_reply_to_tweet_id`,
//! `media.media_ids`, 403 "duplicate content"), `DELETE` and `GET /2/tweets/:id` (with
//! `public_metrics`; a 200 with only `errors` when the post is gone); the user timeline with
//! `start_time`, `max_results` and `pagination_token`, whose texts carry `t.co` links,
//! HTML-escaped `&<>` and a trailing media link, as X's do; `POST /2/media/upload` (multipart,
//! `media_category`, processing for GIFs with `command=STATUS`) and `POST /2/media/metadata`;
//! errors as RFC 7807 problems and 429s with `x-rate-limit-*` headers.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{self, get};
use base64::Engine;
use chrono::{DateTime, Utc};
use common::{Injected, PNG, push_injected, reply, take_injected};
use relais_networks::x::{X, oauth};
use relais_networks::{
    Connector, Credentials, MediaFile, NetworkError, OutgoingPost, PublishedPost,
};
use relais_outbound::{HttpClient, OutboundConfig};
use relais_testkit::mock_http::MockHttp;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const USER_ID: &str = "1001";
const USERNAME: &str = "relais_app";
const CLIENT_ID: &str = "cmVsYWlzLWNsaWVudA";
const DUPLICATE: &str = "You are not allowed to create a Tweet with duplicate content.";

struct Tweet {
    id: String,
    /// The text as sent.
    sent: String,
    created_at: DateTime<Utc>,
    reply_to: Option<String>,
    media: Vec<String>,
    deleted: bool,
    /// like, retweet, reply, quote, impression.
    metrics: [u64; 5],
}

struct Media {
    bytes: Vec<u8>,
    mime: String,
    category: String,
    alt: Option<String>,
    /// STATUS answers still to give before processing succeeds.
    polls_left: u32,
}

struct Fake {
    access_token: String,
    refresh_token: String,
    /// The token endpoint refuses every refresh token.
    refuse_refresh: bool,
    /// A confidential client: the token endpoint wants HTTP Basic.
    client_secret: Option<String>,
    /// Authorization codes: code → (challenge, redirect_uri).
    codes: HashMap<String, (String, String)>,
    issued: u32,
    next_id: u64,
    tweets: Vec<Tweet>,
    media: HashMap<String, Media>,
    inject: VecDeque<Injected>,
    /// The next post is made, then its answer is a 503 (the client never learns its id).
    lose_next_answer: bool,
    /// `METHOD path` of every request that passed the gate, in order.
    log: Vec<String>,
}

impl Default for Fake {
    fn default() -> Self {
        Self {
            access_token: "at-0".into(),
            refresh_token: "rt-0".into(),
            refuse_refresh: false,
            client_secret: None,
            codes: HashMap::new(),
            issued: 0,
            next_id: 1_900_000_000_000_000_000,
            tweets: Vec::new(),
            media: HashMap::new(),
            inject: VecDeque::new(),
            lose_next_answer: false,
            log: Vec::new(),
        }
    }
}

impl Fake {
    fn id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
    }

    fn live(&self, id: &str) -> Option<&Tweet> {
        self.tweets.iter().find(|t| t.id == id && !t.deleted)
    }

    /// The text as X shows it: links as t.co, `&<>` escaped, a link to the media at the end.
    fn shown(t: &Tweet) -> String {
        let linked: Vec<String> = t
            .sent
            .split(' ')
            .map(|w| {
                if w.starts_with("http://") || w.starts_with("https://") || w.starts_with("www.") {
                    let hash = Sha256::digest(w.as_bytes());
                    format!("https://t.co/{}", &hex(&hash)[..10])
                } else {
                    w.to_owned()
                }
            })
            .collect();
        let mut text = linked
            .join(" ")
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        if !t.media.is_empty() {
            text.push_str(&format!(" https://t.co/m{}", &t.id[t.id.len() - 6..]));
        }
        text
    }

    fn tweet_json(t: &Tweet, fields: &str) -> Value {
        let mut v = json!({ "id": t.id, "text": Self::shown(t), "edit_history_tweet_ids": [t.id] });
        for field in fields.split(',') {
            match field {
                "created_at" => {
                    v["created_at"] = json!(
                        t.created_at
                            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                    )
                }
                "referenced_tweets" => {
                    if let Some(p) = &t.reply_to {
                        v["referenced_tweets"] = json!([{ "type": "replied_to", "id": p }]);
                    }
                }
                "in_reply_to_user_id" if t.reply_to.is_some() => {
                    v["in_reply_to_user_id"] = json!(USER_ID);
                }
                "attachments" if !t.media.is_empty() => {
                    let keys: Vec<String> = t.media.iter().map(|m| format!("3_{m}")).collect();
                    v["attachments"] = json!({ "media_keys": keys });
                }
                "public_metrics" => {
                    let [like, retweet, reply, quote, impression] = t.metrics;
                    v["public_metrics"] = json!({
                        "retweet_count": retweet, "reply_count": reply, "like_count": like,
                        "quote_count": quote, "bookmark_count": 0, "impression_count": impression
                    });
                }
                _ => {}
            }
        }
        v
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

type Shared = Arc<Mutex<Fake>>;

fn problem(status: u16, title: &str, detail: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(
            json!({ "title": title, "detail": detail, "type": "about:blank", "status": status }),
        ),
    )
        .into_response()
}

fn invalid(parameter: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({
            "errors": [{ "parameters": { parameter: [] }, "message": message }],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request"
        })),
    )
        .into_response()
}

/// Injected answers first, then the bearer token.
fn gate(fake: &mut Fake, method: &str, path: &str, headers: &HeaderMap) -> Option<Response> {
    if let Some(r) = take_injected(&mut fake.inject, method, path) {
        return Some(r);
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(fake.access_token.as_str()) {
        return Some(problem(401, "Unauthorized", "Unauthorized"));
    }
    fake.log.push(format!("{method} {path}"));
    None
}

fn issue(fake: &mut Fake) -> Response {
    fake.issued += 1;
    fake.access_token = format!("at-{}", fake.issued);
    fake.refresh_token = format!("rt-{}", fake.issued);
    axum::Json(json!({
        "token_type": "bearer",
        "expires_in": 7200,
        "access_token": fake.access_token,
        "scope": "tweet.read tweet.write users.read offline.access media.write",
        "refresh_token": fake.refresh_token,
    }))
    .into_response()
}

fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

async fn token(
    State(s): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = take_injected(&mut fake.inject, "POST", "/2/oauth2/token") {
        return r;
    }
    // Client authentication: Basic for a confidential client, client_id for a public one.
    match &fake.client_secret {
        Some(secret) => {
            let expected = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{secret}"))
            );
            if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str())
            {
                return oauth_error(
                    401,
                    "unauthorized_client",
                    "Missing valid authorization header",
                );
            }
        }
        None => {
            if f.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
                return oauth_error(
                    400,
                    "invalid_request",
                    "Missing required parameter [client_id].",
                );
            }
        }
    }
    match f.get("grant_type").map(String::as_str) {
        Some("refresh_token") => {
            if fake.refuse_refresh
                || f.get("refresh_token").map(String::as_str) != Some(fake.refresh_token.as_str())
            {
                return oauth_error(
                    400,
                    "invalid_request",
                    "Value passed for the token was invalid.",
                );
            }
            issue(&mut fake)
        }
        Some("authorization_code") => {
            let code = f.get("code").cloned().unwrap_or_default();
            let Some((challenge, redirect)) = fake.codes.remove(&code) else {
                return oauth_error(
                    400,
                    "invalid_request",
                    "Value passed for the authorization code was invalid.",
                );
            };
            let verifier = f.get("code_verifier").cloned().unwrap_or_default();
            let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(Sha256::digest(verifier.as_bytes()));
            if computed != challenge || f.get("redirect_uri") != Some(&redirect) {
                return oauth_error(
                    400,
                    "invalid_request",
                    "Value passed for the authorization code was invalid.",
                );
            }
            issue(&mut fake)
        }
        _ => oauth_error(
            400,
            "invalid_request",
            "Missing required parameter [grant_type].",
        ),
    }
}

async fn users_me(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "GET", "/2/users/me", &headers) {
        return r;
    }
    axum::Json(json!({ "data": { "id": USER_ID, "name": "Relais", "username": USERNAME } }))
        .into_response()
}

async fn create_tweet(
    State(s): State<Shared>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "POST", "/2/tweets", &headers) {
        return r;
    }
    let text = body["text"].as_str().unwrap_or_default().to_owned();
    let media: Vec<String> = body["media"]["media_ids"]
        .as_array()
        .map(|ids| {
            ids.iter()
                .map(|i| i.as_str().unwrap_or("?").to_owned())
                .collect()
        })
        .unwrap_or_default();
    if text.is_empty() && media.is_empty() {
        return invalid(
            "text",
            "The `text` field is required when there is no media.",
        );
    }
    if media
        .iter()
        .any(|m| fake.media.get(m).is_none_or(|m| m.polls_left > 0))
    {
        return invalid("media.media_ids", "Your media IDs are invalid.");
    }
    let reply_to = body["reply"]["in_reply_to_tweet_id"]
        .as_str()
        .map(str::to_owned);
    if let Some(parent) = &reply_to
        && fake.live(parent).is_none()
    {
        return problem(
            403,
            "Forbidden",
            "You attempted to reply to a Tweet that is deleted or not visible to you.",
        );
    }
    if !text.is_empty() && fake.tweets.iter().any(|t| !t.deleted && t.sent == text) {
        return problem(403, "Forbidden", DUPLICATE);
    }
    let id = fake.id();
    let tweet = Tweet {
        id: id.clone(),
        sent: text,
        created_at: Utc::now(),
        reply_to,
        media,
        deleted: false,
        metrics: [0; 5],
    };
    let answer = json!({ "data": { "id": id, "text": Fake::shown(&tweet),
                                   "edit_history_tweet_ids": [id] } });
    fake.tweets.push(tweet);
    if std::mem::take(&mut fake.lose_next_answer) {
        return problem(503, "Service Unavailable", "Service Unavailable");
    }
    (StatusCode::CREATED, axum::Json(answer)).into_response()
}

async fn read_tweet(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "GET", &format!("/2/tweets/{id}"), &headers) {
        return r;
    }
    let fields = q.get("tweet.fields").cloned().unwrap_or_default();
    match fake.live(&id) {
        Some(t) => axum::Json(json!({ "data": Fake::tweet_json(t, &fields) })).into_response(),
        None => axum::Json(json!({ "errors": [{
            "value": id, "detail": format!("Could not find tweet with id: [{id}]."),
            "title": "Not Found Error", "resource_type": "tweet", "parameter": "id",
            "resource_id": id, "type": "https://api.twitter.com/2/problems/resource-not-found"
        }] }))
        .into_response(),
    }
}

async fn delete_tweet(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "DELETE", &format!("/2/tweets/{id}"), &headers) {
        return r;
    }
    let deleted = match fake.tweets.iter_mut().find(|t| t.id == id && !t.deleted) {
        Some(t) => {
            t.deleted = true;
            true
        }
        None => false,
    };
    axum::Json(json!({ "data": { "deleted": deleted } })).into_response()
}

async fn timeline(
    State(s): State<Shared>,
    Path(user): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(
        &mut fake,
        "GET",
        &format!("/2/users/{user}/tweets"),
        &headers,
    ) {
        return r;
    }
    let max: usize = match q.get("max_results").map(|m| m.parse()) {
        None => 10,
        Some(Ok(m)) if (5..=100).contains(&m) => m,
        _ => {
            return invalid(
                "max_results",
                "The `max_results` query parameter value is not between 5 and 100",
            );
        }
    };
    let since = match q.get("start_time").map(|t| DateTime::parse_from_rfc3339(t)) {
        None => DateTime::<Utc>::MIN_UTC,
        Some(Ok(t)) => t.with_timezone(&Utc),
        Some(Err(_)) => return invalid("start_time", "Invalid start_time"),
    };
    let offset: usize = q
        .get("pagination_token")
        .and_then(|t| t.strip_prefix("page-"))
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let fields = q.get("tweet.fields").cloned().unwrap_or_default();
    let mut all: Vec<&Tweet> = fake
        .tweets
        .iter()
        .filter(|t| !t.deleted && t.created_at >= since && user == USER_ID)
        .collect();
    all.reverse();
    let page: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(max)
        .map(|t| Fake::tweet_json(t, &fields))
        .collect();
    if page.is_empty() {
        return axum::Json(json!({ "meta": { "result_count": 0 } })).into_response();
    }
    let mut meta = json!({
        "result_count": page.len(),
        "newest_id": page[0]["id"],
        "oldest_id": page[page.len() - 1]["id"],
    });
    if offset + max < all.len() {
        meta["next_token"] = json!(format!("page-{}", offset + max));
    }
    axum::Json(json!({ "data": page, "meta": meta })).into_response()
}

/// The parts of a `multipart/form-data` body: name → (content type, bytes).
fn multipart(headers: &HeaderMap, body: &[u8]) -> HashMap<String, (String, Vec<u8>)> {
    let ct = headers["content-type"].to_str().unwrap();
    let boundary = format!("--{}", ct.split("boundary=").nth(1).unwrap());
    let mut parts = HashMap::new();
    let mut rest = body;
    while let Some(at) = find(rest, boundary.as_bytes()) {
        rest = &rest[at + boundary.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let rest_part = rest.strip_prefix(b"\r\n").unwrap_or(rest);
        let end = find(rest_part, boundary.as_bytes()).unwrap();
        let part = &rest_part[..end];
        let split = find(part, b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&part[..split]).to_string();
        let content = part[split + 4..].strip_suffix(b"\r\n").unwrap().to_vec();
        let name = head
            .split("name=\"")
            .nth(1)
            .and_then(|n| n.split('"').next())
            .unwrap()
            .to_owned();
        let mime = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-type:")
                    .map(|v| v.trim().to_owned())
            })
            .unwrap_or_default();
        parts.insert(name, (mime, content));
        rest = rest_part;
    }
    parts
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

async fn upload(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "POST", "/2/media/upload", &headers) {
        return r;
    }
    let parts = multipart(&headers, &body);
    let Some((mime, bytes)) = parts.get("media").cloned() else {
        return invalid("media", "The `media` field is required.");
    };
    let category = parts
        .get("media_category")
        .map(|(_, v)| String::from_utf8_lossy(v).to_string())
        .unwrap_or_default();
    if !["tweet_image", "tweet_gif", "tweet_video"].contains(&category.as_str()) {
        return invalid("media_category", "Invalid media_category");
    }
    let id = fake.id();
    let gif = category == "tweet_gif";
    let size = bytes.len();
    fake.media.insert(
        id.clone(),
        Media {
            bytes,
            mime,
            category,
            alt: None,
            polls_left: if gif { 2 } else { 0 },
        },
    );
    let mut data = json!({ "id": id, "media_key": format!("3_{id}"), "size": size,
                           "expires_after_secs": 86400 });
    if gif {
        data["processing_info"] = json!({ "state": "pending", "check_after_secs": 0 });
    }
    axum::Json(json!({ "data": data })).into_response()
}

async fn upload_status(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "GET", "/2/media/upload", &headers) {
        return r;
    }
    if q.get("command").map(String::as_str) != Some("STATUS") {
        return invalid("command", "Invalid command");
    }
    let id = q.get("media_id").cloned().unwrap_or_default();
    let Some(m) = fake.media.get_mut(&id) else {
        return invalid("media_id", "Invalid media_id");
    };
    m.polls_left = m.polls_left.saturating_sub(1);
    let info = if m.polls_left == 0 {
        json!({ "state": "succeeded", "progress_percent": 100 })
    } else {
        json!({ "state": "in_progress", "check_after_secs": 0, "progress_percent": 50 })
    };
    axum::Json(
        json!({ "data": { "id": id, "media_key": format!("3_{id}"), "processing_info": info } }),
    )
    .into_response()
}

async fn metadata(
    State(s): State<Shared>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "POST", "/2/media/metadata", &headers) {
        return r;
    }
    let id = body["id"].as_str().unwrap_or_default().to_owned();
    let Some(alt) = body["metadata"]["alt_text"]["text"].as_str() else {
        return invalid("metadata", "Invalid metadata");
    };
    if alt.chars().count() > 1000 {
        return invalid("metadata.alt_text.text", "Alt text is too long.");
    }
    let Some(m) = fake.media.get_mut(&id) else {
        return invalid("id", "Invalid media id");
    };
    m.alt = Some(alt.to_owned());
    axum::Json(
        json!({ "data": { "id": id, "associated_metadata": { "alt_text": { "text": alt } } } }),
    )
    .into_response()
}

async fn start() -> (MockHttp, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Fake::default()));
    let router = Router::new()
        .route("/2/oauth2/token", routing::post(token))
        .route("/2/users/me", get(users_me))
        .route("/2/users/{id}/tweets", get(timeline))
        .route("/2/tweets", routing::post(create_tweet))
        .route("/2/tweets/{id}", get(read_tweet).delete(delete_tweet))
        .route("/2/media/upload", routing::post(upload).get(upload_status))
        .route("/2/media/metadata", routing::post(metadata))
        .with_state(shared.clone());
    (MockHttp::start(router).await, shared)
}

fn client() -> HttpClient {
    common::client(Duration::from_secs(10))
}

fn credentials(server: &MockHttp, fake: &Shared) -> Credentials {
    let f = fake.lock().unwrap();
    Credentials {
        settings: json!({ "api_base": server.base_url(), "client_id": CLIENT_ID }),
        secrets: [
            ("access_token".to_owned(), f.access_token.clone()),
            ("refresh_token".to_owned(), f.refresh_token.clone()),
        ]
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

fn post(text: &str) -> OutgoingPost {
    OutgoingPost {
        text: text.to_owned(),
        media: vec![],
        reply_to: None,
        langs: vec!["fr".into()],
        idempotency_key: format!("key-{text}"),
        created_at_ms: now_ms(),
    }
}

fn with_media(mut p: OutgoingPost, mime: &str, alt: Option<&str>) -> OutgoingPost {
    p.media.push(MediaFile {
        mime: mime.to_owned(),
        bytes: PNG.to_vec(),
        alt: alt.map(str::to_owned),
        public_url: None,
    });
    p
}

fn inject(
    fake: &Shared,
    method: &'static str,
    path: &str,
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: &str,
) {
    push_injected(
        &mut fake.lock().unwrap().inject,
        method,
        path,
        status,
        headers,
        body,
    );
}

fn stored<T>(fake: &Shared, id: &str, f: impl FnOnce(&Tweet) -> T) -> T {
    let fake = fake.lock().unwrap();
    f(fake.tweets.iter().find(|t| t.id == id).unwrap())
}

#[tokio::test]
async fn verifies_and_publishes_text_threads_and_images() {
    let (server, fake) = start().await;
    let x = X::new(client());
    let mut creds = credentials(&server, &fake);

    // Verify: the handle, and the user's id and name kept with the secrets.
    assert_eq!(x.verify(&mut creds).await.unwrap(), "@relais_app");
    assert!(creds.changed);
    assert_eq!(creds.secret("user_id"), Some(USER_ID));
    assert_eq!(creds.secret("username"), Some(USERNAME));

    // A text post, with a link and characters X escapes.
    let text = post("Nos soldes <3 & plus : https://example.org/soldes?x=1 à bientôt");
    let p = x.publish(&mut creds, &text).await.unwrap();
    assert_eq!(p.url, format!("https://x.com/relais_app/status/{}", p.id));
    assert_eq!(p.version, None);
    assert_eq!(stored(&fake, &p.id, |t| t.sent.clone()), text.text);
    assert_eq!(stored(&fake, &p.id, |t| t.reply_to.clone()), None);
    // Found again after a crash (X's text has a t.co link and &amp;), and only that one.
    assert_eq!(
        x.find_published(&mut creds, &text).await.unwrap(),
        Some(p.clone())
    );
    assert_eq!(
        x.find_published(&mut creds, &post("jamais envoyé"))
            .await
            .unwrap(),
        None
    );
    let log = fake.lock().unwrap().log.clone();
    assert!(
        log.contains(&format!("GET /2/users/{USER_ID}/tweets")),
        "{log:?}"
    );

    // A thread of three: each replies to the one before.
    let first = x.publish(&mut creds, &post("1/3 Un fil")).await.unwrap();
    let second_post = reply(post("2/3 la suite"), &first, &first);
    let second = x.publish(&mut creds, &second_post).await.unwrap();
    let third_post = reply(post("3/3 la fin"), &first, &second);
    let third = x.publish(&mut creds, &third_post).await.unwrap();
    assert_eq!(stored(&fake, &first.id, |t| t.reply_to.clone()), None);
    assert_eq!(
        stored(&fake, &second.id, |t| t.reply_to.clone()),
        Some(first.id.clone())
    );
    assert_eq!(
        stored(&fake, &third.id, |t| t.reply_to.clone()),
        Some(second.id.clone())
    );
    assert_eq!(
        x.find_published(&mut creds, &third_post).await.unwrap(),
        Some(third.clone())
    );
    // The same text as a reply elsewhere is not that post.
    assert_eq!(
        x.find_published(&mut creds, &reply(post("3/3 la fin"), &first, &first))
            .await
            .unwrap(),
        None
    );

    // An image with its alt text: upload, then metadata, then the post with the media id.
    fake.lock().unwrap().log.clear();
    let img_post = with_media(
        post("Notre nouveau logo"),
        "image/png",
        Some("Le logo, bleu sur blanc"),
    );
    let img = x.publish(&mut creds, &img_post).await.unwrap();
    let media_ids = stored(&fake, &img.id, |t| t.media.clone());
    assert_eq!(media_ids.len(), 1);
    {
        let f = fake.lock().unwrap();
        assert_eq!(
            f.log,
            [
                "POST /2/media/upload",
                "POST /2/media/metadata",
                "POST /2/tweets"
            ]
        );
        let m = &f.media[&media_ids[0]];
        assert_eq!(m.bytes, PNG, "the image arrived whole");
        assert_eq!(m.mime, "image/png");
        assert_eq!(m.category, "tweet_image");
        assert_eq!(m.alt.as_deref(), Some("Le logo, bleu sur blanc"));
    }
    // Its text on X ends with a link to the image: still found.
    assert_eq!(
        x.find_published(&mut creds, &img_post).await.unwrap(),
        Some(img.clone())
    );
    // Without alt text, no metadata call.
    fake.lock().unwrap().log.clear();
    x.publish(
        &mut creds,
        &with_media(post("Sans description"), "image/jpeg", None),
    )
    .await
    .unwrap();
    assert_eq!(
        fake.lock().unwrap().log,
        ["POST /2/media/upload", "POST /2/tweets"]
    );

    // A GIF, which X processes in the background: polled until it succeeded.
    fake.lock().unwrap().log.clear();
    let gif = x
        .publish(
            &mut creds,
            &with_media(post("Animé"), "image/gif", Some("Un GIF")),
        )
        .await
        .unwrap();
    let gif_media = stored(&fake, &gif.id, |t| t.media[0].clone());
    {
        let f = fake.lock().unwrap();
        assert_eq!(f.media[&gif_media].category, "tweet_gif");
        assert_eq!(
            f.log,
            [
                "POST /2/media/upload",
                "GET /2/media/upload",
                "GET /2/media/upload",
                "POST /2/media/metadata",
                "POST /2/tweets"
            ]
        );
    }

    // A video is refused before anything is sent.
    fake.lock().unwrap().log.clear();
    let err = x
        .publish(&mut creds, &with_media(post("Vidéo"), "video/mp4", None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("video/mp4")),
        "{err}"
    );
    assert!(fake.lock().unwrap().log.is_empty());

    // Through `connector_for`, as the publisher gets it.
    let c = relais_networks::connector_for("x", client()).unwrap();
    assert_eq!(c.network(), "x");
    assert_eq!(c.verify(&mut creds).await.unwrap(), "@relais_app");
}

#[tokio::test]
async fn metrics_and_delete() {
    let (server, fake) = start().await;
    let x = X::new(client());
    let mut creds = credentials(&server, &fake);
    let p = x.publish(&mut creds, &post("Compté")).await.unwrap();
    // Without a known username, the address goes through /i/web/.
    assert_eq!(p.url, format!("https://x.com/i/web/status/{}", p.id));

    fake.lock()
        .unwrap()
        .tweets
        .iter_mut()
        .find(|t| t.id == p.id)
        .unwrap()
        .metrics = [12, 3, 4, 1, 1500];
    let m = x.metrics(&mut creds, &p).await.unwrap();
    assert_eq!(
        (m.likes, m.reposts, m.replies, m.quotes, m.views),
        (Some(12), Some(3), Some(4), Some(1), Some(1500))
    );

    x.delete(&mut creds, &p).await.unwrap();
    assert!(stored(&fake, &p.id, |t| t.deleted));
    // Deleting again is no error; the post is gone for metrics and for find_published.
    x.delete(&mut creds, &p).await.unwrap();
    let err = x.metrics(&mut creds, &p).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("gone")),
        "{err}"
    );
    assert_eq!(
        x.find_published(&mut creds, &post("Compté")).await.unwrap(),
        None
    );

    // An id that is not X's never reaches a path.
    let bogus = PublishedPost {
        id: "../2/users/me".into(),
        version: None,
        url: String::new(),
    };
    assert!(matches!(
        x.delete(&mut creds, &bogus).await,
        Err(NetworkError::Rejected(_))
    ));
}

#[tokio::test]
async fn an_expired_access_token_is_renewed_and_the_rotated_refresh_token_kept() {
    let (server, fake) = start().await;
    let x = X::new(client());
    let mut creds = credentials(&server, &fake);
    // X expires the access token.
    fake.lock().unwrap().access_token = "at-expired-elsewhere".into();

    let p = x
        .publish(&mut creds, &post("Après renouvellement"))
        .await
        .unwrap();
    assert_eq!(
        stored(&fake, &p.id, |t| t.sent.clone()),
        "Après renouvellement"
    );
    assert!(creds.changed, "the new tokens must be saved");
    {
        let f = fake.lock().unwrap();
        assert_eq!(f.issued, 1);
        assert_eq!(creds.secret("access_token"), Some(f.access_token.as_str()));
        assert_eq!(
            creds.secret("refresh_token"),
            Some(f.refresh_token.as_str())
        );
    }
    assert_eq!(creds.secret("refresh_token"), Some("rt-1"), "rotated");

    // The old refresh token is dead: a channel that kept it could not renew again.
    let mut stale = credentials(&server, &fake);
    stale.secrets.insert("access_token".into(), "at-old".into());
    stale.secrets.insert("refresh_token".into(), "rt-0".into());
    let err = x.verify(&mut stale).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("connect the channel again")),
        "{err}"
    );

    // A confidential client renews with HTTP Basic and its secret.
    fake.lock().unwrap().client_secret = Some("s3cret".into());
    fake.lock().unwrap().access_token = "at-expired-again".into();
    let mut confidential = creds.clone();
    confidential.changed = false;
    let err = x.verify(&mut confidential).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(_)),
        "no secret, no renewal: {err}"
    );
    confidential
        .secrets
        .insert("client_secret".into(), "s3cret".into());
    confidential.secrets.insert(
        "refresh_token".into(),
        fake.lock().unwrap().refresh_token.clone(),
    );
    assert_eq!(x.verify(&mut confidential).await.unwrap(), "@relais_app");
    assert!(confidential.changed);
    assert_eq!(confidential.secret("refresh_token"), Some("rt-2"));
}

#[tokio::test]
async fn a_refused_refresh_means_connecting_again() {
    let (server, fake) = start().await;
    let x = X::new(client());
    let mut creds = credentials(&server, &fake);
    {
        let mut f = fake.lock().unwrap();
        f.access_token = "at-revoked".into();
        f.refuse_refresh = true;
    }
    let err = x.publish(&mut creds, &post("Refusé")).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("connect the channel again")
            && m.contains("Value passed for the token was invalid")),
        "{err}"
    );
    assert!(!creds.changed);
    assert!(fake.lock().unwrap().tweets.is_empty());

    // Without a refresh token at all: the same.
    creds.secrets.remove("refresh_token");
    let err = x.verify(&mut creds).await.unwrap_err();
    assert!(matches!(err, NetworkError::Unauthorized(_)), "{err}");
    // Without any access token, a person must set the channel up.
    creds.secrets.clear();
    let err = x.verify(&mut creds).await.unwrap_err();
    assert!(matches!(err, NetworkError::Misconfigured(_)), "{err}");
}

#[tokio::test]
async fn limits_failures_and_garbled_answers() {
    let (server, fake) = start().await;
    let x = X::new(client());
    let mut creds = credentials(&server, &fake);

    // 429 with X's headers: wait until the window's reset.
    let reset = (SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 120)
        .to_string();
    inject(
        &fake,
        "POST",
        "/2/tweets",
        429,
        vec![
            ("x-rate-limit-limit", "100".into()),
            ("x-rate-limit-remaining", "0".into()),
            ("x-rate-limit-reset", reset),
        ],
        r#"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}"#,
    );
    let err = x.publish(&mut creds, &post("Trop vite")).await.unwrap_err();
    match err {
        NetworkError::RateLimited {
            retry_after: Some(wait),
        } => assert!(
            (Duration::from_secs(115)..=Duration::from_secs(120)).contains(&wait),
            "{wait:?}"
        ),
        other => panic!("expected a rate limit with a wait, got {other:?}"),
    }
    // Retry-After, when sent, is the wait.
    inject(
        &fake,
        "GET",
        "/2/users/me",
        429,
        vec![("retry-after", "7".into())],
        "{}",
    );
    assert_eq!(
        x.verify(&mut creds).await.unwrap_err(),
        NetworkError::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        }
    );

    // 5xx: worth another try.
    inject(
        &fake,
        "POST",
        "/2/tweets",
        503,
        vec![],
        r#"{"title":"Service Unavailable","detail":"Service Unavailable","type":"about:blank","status":503}"#,
    );
    let err = x.publish(&mut creds, &post("En panne")).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("503")),
        "{err}"
    );
    assert!(err.is_retryable());
    inject(
        &fake,
        "POST",
        "/2/media/upload",
        500,
        vec![],
        "<html>oops</html>",
    );
    let err = x
        .publish(
            &mut creds,
            &with_media(post("Image en panne"), "image/png", None),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");

    // A malformed answer: a 200 with truncated JSON.
    inject(
        &fake,
        "GET",
        "/2/users/me",
        200,
        vec![],
        r#"{"data": {"id": "10"#,
    );
    let err = x.verify(&mut creds).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("not JSON")),
        "{err}"
    );
    inject(
        &fake,
        "POST",
        "/2/tweets",
        201,
        vec![],
        r#"{"data": {"text": "no id"}}"#,
    );
    let err = x.publish(&mut creds, &post("Sans id")).await.unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");

    // 403 and 400: refused for good, with X's words.
    inject(
        &fake,
        "POST",
        "/2/tweets",
        403,
        vec![],
        r#"{"title":"Forbidden","detail":"You are not permitted to perform this action.","type":"about:blank","status":403}"#,
    );
    let err = x.publish(&mut creds, &post("Interdit")).await.unwrap_err();
    assert_eq!(
        err,
        NetworkError::Rejected("You are not permitted to perform this action.".into())
    );
    let err = x
        .publish(
            &mut creds,
            &with_media(post("Trop décrit"), "image/png", Some(&"a".repeat(1001))),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("alt text") && m.contains("too long")),
        "{err}"
    );
    // A reply to a post that is gone.
    let gone = PublishedPost {
        id: "42".into(),
        version: None,
        url: String::new(),
    };
    let err = x
        .publish(&mut creds, &reply(post("Orphelin"), &gone, &gone))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("deleted")),
        "{err}"
    );

    // Every injected answer was used, and nothing else is wrong.
    assert!(fake.lock().unwrap().inject.is_empty());
    x.publish(&mut creds, &post("Tout va bien")).await.unwrap();

    // Settings a person must fix; the SSRF guard on refuses loopback.
    let mut bad = credentials(&server, &fake);
    bad.settings = json!({ "api_base": "ftp://api.x.com" });
    assert!(matches!(
        x.verify(&mut bad).await,
        Err(NetworkError::Misconfigured(_))
    ));
    let guarded = X::new(HttpClient::new(OutboundConfig::default()).unwrap());
    let err = guarded
        .verify(&mut credentials(&server, &fake))
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Misconfigured(_)), "{err}");
}

#[tokio::test]
async fn a_duplicate_after_a_lost_answer_returns_the_earlier_post() {
    let (server, fake) = start().await;
    let x = X::new(client());
    let mut creds = credentials(&server, &fake);
    x.verify(&mut creds).await.unwrap();

    // The post is made, but its answer is lost.
    let lost = with_media(
        post("Réponse perdue & retrouvée https://example.org/billet"),
        "image/png",
        Some("Une image"),
    );
    fake.lock().unwrap().lose_next_answer = true;
    let err = x.publish(&mut creds, &lost).await.unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");
    let made = fake.lock().unwrap().tweets[0].id.clone();

    // Publishing again: X refuses the duplicate, the connector finds the earlier post.
    let again = x.publish(&mut creds, &lost).await.unwrap();
    assert_eq!(again.id, made);
    assert_eq!(again.url, format!("https://x.com/relais_app/status/{made}"));
    assert_eq!(
        fake.lock()
            .unwrap()
            .tweets
            .iter()
            .filter(|t| !t.deleted)
            .count(),
        1,
        "published once"
    );

    // A duplicate of an older post (outside the look-back window) is not this post: refused.
    fake.lock().unwrap().tweets.push(Tweet {
        id: "1800000000000000001".into(),
        sent: "Bonjour à tous".into(),
        created_at: Utc::now() - chrono::Duration::hours(3),
        reply_to: None,
        media: vec![],
        deleted: false,
        metrics: [0; 5],
    });
    let err = x
        .publish(&mut creds, &post("Bonjour à tous"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("duplicate content")),
        "{err}"
    );
}

#[tokio::test]
async fn find_published_pages_through_the_timeline() {
    let (server, fake) = start().await;
    let x = X::new(client());
    let mut creds = credentials(&server, &fake);
    x.verify(&mut creds).await.unwrap();
    let first = post("Le tout premier");
    let p = x.publish(&mut creds, &first).await.unwrap();
    for i in 0..150 {
        x.publish(&mut creds, &post(&format!("Billet {i}")))
            .await
            .unwrap();
    }
    fake.lock().unwrap().log.clear();
    assert_eq!(x.find_published(&mut creds, &first).await.unwrap(), Some(p));
    let log = fake.lock().unwrap().log.clone();
    assert_eq!(log.len(), 2, "two pages of 100: {log:?}");
}

#[tokio::test]
async fn oauth_pkce_authorize_exchange_and_refresh() {
    // RFC 7636, appendix B.
    assert_eq!(
        oauth::pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    let (verifier, challenge) = oauth::pkce_pair();
    assert!((43..=128).contains(&verifier.len()));
    assert!(
        verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
    );
    assert_eq!(
        challenge,
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(verifier.as_bytes()))
    );

    // The authorize URL carries every parameter, encoded.
    let state = oauth::random_state();
    let redirect = "https://relais.example/w/acme/channels/x/callback";
    let url = oauth::authorize_url(
        oauth::AUTHORIZE_URL,
        CLIENT_ID,
        redirect,
        &oauth::SCOPES,
        &state,
        &challenge,
    );
    let parsed = url::Url::parse(&url).unwrap();
    assert_eq!(
        parsed.as_str().split('?').next(),
        Some("https://x.com/i/oauth2/authorize")
    );
    let q: HashMap<String, String> = parsed.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["redirect_uri"], redirect);
    assert_eq!(
        q["scope"],
        "tweet.read tweet.write users.read offline.access media.write dm.read dm.write \
         like.write mute.write block.write tweet.moderate.write"
    );
    assert_eq!(q["state"], state);
    assert_eq!(q["code_challenge"], challenge);
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q.len(), 7);
    assert!(
        url.contains("redirect_uri=https%3A%2F%2Frelais.example%2Fw%2Facme"),
        "{url}"
    );
    assert!(url.contains("scope=tweet.read%20tweet.write%20"), "{url}");

    // The code comes back; the verifier must match the challenge.
    let (server, fake) = start().await;
    let http = client();
    let token_url = server.url("/2/oauth2/token");
    fake.lock()
        .unwrap()
        .codes
        .insert("code-1".into(), (challenge.clone(), redirect.into()));
    let err = oauth::exchange_code(
        &http,
        &token_url,
        CLIENT_ID,
        None,
        "code-1",
        "wrong-verifier-wrong-verifier-wrong-verifier",
        redirect,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, NetworkError::Unauthorized(_)), "{err}");
    fake.lock()
        .unwrap()
        .codes
        .insert("code-2".into(), (challenge.clone(), redirect.into()));
    let tokens = oauth::exchange_code(
        &http, &token_url, CLIENT_ID, None, "code-2", &verifier, redirect,
    )
    .await
    .unwrap();
    assert_eq!(tokens.access_token, "at-1");
    assert_eq!(tokens.refresh_token.as_deref(), Some("rt-1"));
    assert_eq!(tokens.expires_in, Some(Duration::from_secs(7200)));
    let expires_at = tokens.expires_at_ms.unwrap();
    assert!((now_ms() + 7_190_000..=now_ms() + 7_200_000).contains(&expires_at));
    // A code is used once.
    let err = oauth::exchange_code(
        &http, &token_url, CLIENT_ID, None, "code-2", &verifier, redirect,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, NetworkError::Unauthorized(_)), "{err}");

    // Refresh: rotated; the old refresh token is refused afterwards.
    let renewed = oauth::refresh(&http, &token_url, CLIENT_ID, None, "rt-1")
        .await
        .unwrap();
    assert_eq!(
        (
            renewed.access_token.as_str(),
            renewed.refresh_token.as_deref()
        ),
        ("at-2", Some("rt-2"))
    );
    let err = oauth::refresh(&http, &token_url, CLIENT_ID, None, "rt-1")
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("connect the channel again")),
        "{err}"
    );
    // A confidential client authenticates with HTTP Basic.
    fake.lock().unwrap().client_secret = Some("s3cret".into());
    let err = oauth::refresh(&http, &token_url, CLIENT_ID, None, "rt-2")
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Unauthorized(_)), "{err}");
    let renewed = oauth::refresh(&http, &token_url, CLIENT_ID, Some("s3cret"), "rt-2")
        .await
        .unwrap();
    assert_eq!(renewed.refresh_token.as_deref(), Some("rt-3"));
    // The token endpoint failing is worth another try, and says so.
    inject(&fake, "POST", "/2/oauth2/token", 503, vec![], "{}");
    let err = oauth::refresh(&http, &token_url, CLIENT_ID, Some("s3cret"), "rt-3")
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");
    inject(
        &fake,
        "POST",
        "/2/oauth2/token",
        429,
        vec![("retry-after", "30".into())],
        "{}",
    );
    let err = oauth::refresh(&http, &token_url, CLIENT_ID, Some("s3cret"), "rt-3")
        .await
        .unwrap_err();
    assert_eq!(
        err,
        NetworkError::RateLimited {
            retry_after: Some(Duration::from_secs(30))
        }
    );
    // And a connector whose renewal meets that failure passes it on, tokens unchanged.
    inject(&fake, "POST", "/2/oauth2/token", 503, vec![], "{}");
    fake.lock().unwrap().access_token = "at-expired".into();
    let mut creds = Credentials {
        settings: json!({ "api_base": server.base_url(), "client_id": CLIENT_ID }),
        secrets: [
            ("access_token".to_owned(), "at-3".to_owned()),
            ("refresh_token".to_owned(), "rt-3".to_owned()),
            ("client_secret".to_owned(), "s3cret".to_owned()),
        ]
        .into(),
        changed: false,
    };
    let err = X::new(client()).verify(&mut creds).await.unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");
    assert!(!creds.changed);
    // The next attempt renews.
    assert_eq!(
        X::new(client()).verify(&mut creds).await.unwrap(),
        "@relais_app"
    );
    assert_eq!(creds.secret("refresh_token"), Some("rt-4"));
}

//! The X inbox against a small stateful fake of the X API v2, written from X's documentation:
//! the mentions timeline (`GET /2/users/:id/mentions`: `since_id`, `max_results` 5 to 100,
//! `pagination_token`, newest first, `tweet.fields`, `user.fields` and the `author_id` and
//! `referenced_tweets.id` expansions, only the fields asked for), direct-message events
//! (`GET /2/dm_events` and `GET /2/dm_conversations/:id/dm_events`: `event_types`,
//! `dm_event.fields`, the `sender_id` expansion, a 403 for an access level without them),
//! `POST /2/dm_conversations/:id/messages`, `POST /2/tweets` (a 403 for a reply to a deleted
//! post), likes, retweets, hidden replies (only in the account's own conversations), muting and
//! blocking (Enterprise only), `GET /2/users/me`, and an OAuth 2.0 token endpoint that rotates
//! refresh tokens. Errors are RFC 7807 problems, 429s carry `x-rate-limit-*` headers, and ids
//! are snowflakes (their time is their `created_at`). Posts, users and events start from
//! `fixtures/inbox/x_mentions.json` and `fixtures/inbox/x_dm_events.json`.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use common::search::{rate_limit_wait, unix_now};
use common::{Injected, push_injected, take_injected};
use relais_networks::inbox::{
    self, Author, InboxPage, IncomingMessage, Interaction, MessageKind, PostRef,
};
use relais_networks::x::X;
use relais_networks::{
    Connector, Credentials, MediaFile, NetworkError, OutgoingPost, PublishedPost, ReplyTarget,
};
use relais_testkit::mock_http::MockHttp;
use serde_json::{Value, json};

const BRAND_ID: &str = "1001";
const BRAND: &str = "relais_app";
const CLIENT_ID: &str = "cmVsYWlzLWluYm94";
const MENTIONS: &str = "/2/users/1001/mentions";
const DM_EVENTS: &str = "/2/dm_events";
const FIXTURE: &str = include_str!("fixtures/inbox/x_mentions.json");
const DM_FIXTURE: &str = include_str!("fixtures/inbox/x_dm_events.json");
const SNOWFLAKE_EPOCH_MS: u64 = 1_288_834_974_657;
const GONE: &str = "You attempted to reply to a Tweet that is deleted or not visible to you.";
const NOT_ENROLLED: &str = r#"{"title": "Client Forbidden", "detail": "This request must be made using an approved developer account that is enrolled in the requested endpoint.", "reason": "client-not-enrolled", "registration_url": "https://developer.x.com/en/portal/product", "type": "https://api.twitter.com/2/problems/client-forbidden", "required_enrollment": "Appropriate Level of API Access"}"#;

// The fake.

/// One request that passed the fake's gate.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    query: HashMap<String, String>,
    body: Value,
}

struct Fake {
    access_token: String,
    refresh_token: String,
    refuse_refresh: bool,
    issued: u32,
    users: Vec<Value>,
    /// Posts as stored, without `created_at` (their id tells it).
    tweets: Vec<Value>,
    deleted: HashSet<String>,
    events: Vec<Value>,
    /// The app's access level has no direct messages.
    dm_forbidden: bool,
    /// The app is on the Enterprise plan (blocking allowed).
    enterprise: bool,
    last_id: u64,
    likes: HashSet<String>,
    retweets: HashSet<String>,
    hidden: HashSet<String>,
    muted: HashSet<String>,
    blocked: HashSet<String>,
    inject: VecDeque<Injected>,
    seen: Vec<Seen>,
}

type Shared = Arc<Mutex<Fake>>;

impl Fake {
    /// A new snowflake: from now, above every id given before.
    fn mint(&mut self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let id = ((now - SNOWFLAKE_EPOCH_MS) << 22).max(self.last_id + 1);
        self.last_id = id;
        id.to_string()
    }

    fn tweet(&self, id: &str) -> Option<&Value> {
        self.tweets
            .iter()
            .find(|t| t["id"] == id && !self.deleted.contains(id))
    }

    fn user(&self, id: &str) -> Option<&Value> {
        self.users.iter().find(|u| u["id"] == id)
    }
}

fn snowflake_time(id: &str) -> String {
    let ms = (id.parse::<u64>().unwrap() >> 22) + SNOWFLAKE_EPOCH_MS;
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn fields(q: &HashMap<String, String>, key: &str) -> Vec<String> {
    q.get(key)
        .map(|f| f.split(',').map(str::to_owned).collect())
        .unwrap_or_default()
}

/// An object with its default fields and those asked for (`created_at` from the id).
fn shaped(stored: &Value, defaults: &[&str], asked: &[String]) -> Value {
    let mut v = json!({});
    for key in defaults
        .iter()
        .copied()
        .chain(asked.iter().map(String::as_str))
    {
        if key == "created_at" && stored.get("created_at").is_none() {
            v["created_at"] = json!(snowflake_time(stored["id"].as_str().unwrap()));
        } else if key == "edit_history_tweet_ids" {
            v[key] = json!([stored["id"]]);
        } else if let Some(value) = stored.get(key) {
            v[key] = value.clone();
        }
    }
    v
}

fn problem(status: u16, title: &str, detail: &str) -> Response {
    let body = json!({ "title": title, "detail": detail, "type": "about:blank", "status": status });
    (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
}

fn invalid(message: &str) -> Response {
    let body = json!({
        "errors": [{ "message": message }],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request"
    });
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

fn raw(status: StatusCode, body: &str) -> Response {
    let mut r = (status, body.to_owned()).into_response();
    r.headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    r
}

/// Injected answers first, then the bearer token; what passes is logged.
fn gate(
    fake: &mut Fake,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Value,
) -> Option<Response> {
    let path = uri.path();
    if let Some(r) = take_injected(&mut fake.inject, method.as_str(), path) {
        return Some(r);
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(fake.access_token.as_str()) {
        return Some(problem(401, "Unauthorized", "Unauthorized"));
    }
    let query = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    fake.seen.push(Seen {
        method: method.to_string(),
        path: path.to_owned(),
        query,
        body: body.clone(),
    });
    None
}

async fn token(State(s): State<Shared>, Form(f): Form<HashMap<String, String>>) -> Response {
    let mut fake = s.lock().unwrap();
    let valid = !fake.refuse_refresh
        && f.get("grant_type").map(String::as_str) == Some("refresh_token")
        && f.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && f.get("refresh_token") == Some(&fake.refresh_token);
    if !valid {
        let body = json!({ "error": "invalid_request",
                           "error_description": "Value passed for the token was invalid." });
        return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    fake.issued += 1;
    fake.access_token = format!("at-{}", fake.issued);
    fake.refresh_token = format!("rt-{}", fake.issued);
    axum::Json(json!({ "token_type": "bearer", "expires_in": 7200,
                       "access_token": fake.access_token, "refresh_token": fake.refresh_token,
                       "scope": "tweet.read users.read dm.read offline.access" }))
    .into_response()
}

async fn users_me(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, &method, &uri, &headers, &Value::Null) {
        return r;
    }
    axum::Json(json!({ "data": { "id": BRAND_ID, "name": "Relais", "username": BRAND } }))
        .into_response()
}

/// The offset a `pagination_token` stands for (`next-<n>`); `None` for a token the fake did
/// not give.
fn offset(q: &HashMap<String, String>) -> Option<usize> {
    match q.get("pagination_token") {
        None => Some(0),
        Some(t) => t.strip_prefix("next-").and_then(|n| n.parse().ok()),
    }
}

fn bad_token() -> Response {
    invalid("The `pagination_token` query parameter value is invalid")
}

fn id_of(v: &Value) -> u64 {
    v["id"].as_str().unwrap().parse().unwrap()
}

async fn mentions(
    State(s): State<Shared>,
    Path(user): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, &method, &uri, &headers, &Value::Null) {
        return r;
    }
    let max: usize = q
        .get("max_results")
        .and_then(|m| m.parse().ok())
        .unwrap_or(10);
    if !(5..=100).contains(&max) {
        return invalid("The `max_results` query parameter value is not between 5 and 100");
    }
    let Some(start) = offset(&q) else {
        return bad_token();
    };
    let Some(username) = fake
        .user(&user)
        .map(|u| u["username"].as_str().unwrap().to_owned())
    else {
        return problem(404, "Not Found Error", "Could not find user");
    };
    let since: Option<u64> = q.get("since_id").map(|s| s.parse().unwrap());
    let handle = format!("@{}", username.to_lowercase());
    let mut matching: Vec<&Value> = fake
        .tweets
        .iter()
        .filter(|t| !fake.deleted.contains(t["id"].as_str().unwrap()))
        .filter(|t| {
            let text = t["note_tweet"]["text"]
                .as_str()
                .or(t["text"].as_str())
                .unwrap();
            text.to_lowercase().contains(&handle) && since.is_none_or(|s| id_of(t) > s)
        })
        .collect();
    matching.sort_by_key(|t| std::cmp::Reverse(id_of(t)));
    let page: Vec<&Value> = matching.iter().skip(start).take(max).copied().collect();
    if page.is_empty() {
        return axum::Json(json!({ "meta": { "result_count": 0 } })).into_response();
    }
    let tweet_fields = fields(&q, "tweet.fields");
    let user_fields = fields(&q, "user.fields");
    let expansions = fields(&q, "expansions");
    let defaults = ["id", "text", "edit_history_tweet_ids"];
    let data: Vec<Value> = page
        .iter()
        .map(|t| shaped(t, &defaults, &tweet_fields))
        .collect();
    let mut includes = json!({});
    if expansions.iter().any(|e| e == "referenced_tweets.id") {
        let referenced: Vec<Value> = page
            .iter()
            .flat_map(|t| {
                t["referenced_tweets"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter_map(|r| fake.tweet(r["id"].as_str().unwrap()).cloned())
            .map(|t| shaped(&t, &defaults, &tweet_fields))
            .collect();
        includes["tweets"] = json!(referenced);
    }
    if expansions.iter().any(|e| e == "author_id") {
        let mut ids: Vec<&str> = page
            .iter()
            .map(|t| t["author_id"].as_str().unwrap())
            .collect();
        ids.dedup();
        let users: Vec<Value> = ids
            .iter()
            .filter_map(|id| fake.user(id))
            .map(|u| shaped(u, &["id", "name", "username"], &user_fields))
            .collect();
        includes["users"] = json!(users);
    }
    let mut meta = json!({ "result_count": page.len(), "newest_id": page[0]["id"],
                           "oldest_id": page[page.len() - 1]["id"] });
    if start + page.len() < matching.len() {
        meta["next_token"] = json!(format!("next-{}", start + page.len()));
    }
    axum::Json(json!({ "data": data, "includes": includes, "meta": meta })).into_response()
}

/// A page of direct-message events, newest first, of one conversation or all.
fn events_page(fake: &Fake, q: &HashMap<String, String>, conversation: Option<&str>) -> Response {
    let max: usize = q
        .get("max_results")
        .and_then(|m| m.parse().ok())
        .unwrap_or(100);
    if !(1..=100).contains(&max) {
        return invalid("The `max_results` query parameter value is not between 1 and 100");
    }
    let Some(start) = offset(q) else {
        return bad_token();
    };
    let types = fields(q, "event_types");
    let mut matching: Vec<&Value> = fake
        .events
        .iter()
        .filter(|e| types.is_empty() || types.iter().any(|t| e["event_type"] == t.as_str()))
        .filter(|e| conversation.is_none_or(|c| e["dm_conversation_id"] == c))
        .collect();
    matching.sort_by_key(|e| std::cmp::Reverse(id_of(e)));
    let page: Vec<&Value> = matching.iter().skip(start).take(max).copied().collect();
    let event_fields = fields(q, "dm_event.fields");
    let data: Vec<Value> = page
        .iter()
        .map(|e| shaped(e, &["id", "text", "event_type"], &event_fields))
        .collect();
    let mut body = json!({ "meta": { "result_count": page.len() } });
    if !data.is_empty() {
        body["data"] = json!(data);
    }
    if fields(q, "expansions").iter().any(|e| e == "sender_id") {
        let user_fields = fields(q, "user.fields");
        let users: Vec<Value> = fake
            .users
            .iter()
            .filter(|u| page.iter().any(|e| e["sender_id"] == u["id"]))
            .map(|u| shaped(u, &["id", "name", "username"], &user_fields))
            .collect();
        body["includes"] = json!({ "users": users });
    }
    if start + page.len() < matching.len() {
        body["meta"]["next_token"] = json!(format!("next-{}", start + page.len()));
    }
    axum::Json(body).into_response()
}

async fn dm_events(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, &method, &uri, &headers, &Value::Null) {
        return r;
    }
    if fake.dm_forbidden {
        return raw(StatusCode::FORBIDDEN, NOT_ENROLLED);
    }
    events_page(&fake, &q, None)
}

async fn conversation_events(
    State(s): State<Shared>,
    Path(conversation): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, &method, &uri, &headers, &Value::Null) {
        return r;
    }
    events_page(&fake, &q, Some(&conversation))
}

async fn send_message(
    State(s): State<Shared>,
    Path(conversation): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, &method, &uri, &headers, &body) {
        return r;
    }
    let text = body["text"].as_str().unwrap_or_default().to_owned();
    if text.is_empty() {
        return invalid("$.text: must be at least 1 character long");
    }
    if !fake
        .events
        .iter()
        .any(|e| e["dm_conversation_id"] == conversation.as_str())
    {
        return problem(404, "Not Found Error", "Could not find DM conversation");
    }
    let id = fake.mint();
    fake.events.push(
        json!({ "id": id, "event_type": "MessageCreate", "text": text,
                             "sender_id": BRAND_ID, "dm_conversation_id": conversation }),
    );
    (
        StatusCode::CREATED,
        axum::Json(json!({ "data": { "dm_conversation_id": conversation, "dm_event_id": id } })),
    )
        .into_response()
}

async fn create_tweet(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, &method, &uri, &headers, &body) {
        return r;
    }
    let text = body["text"].as_str().unwrap_or_default().to_owned();
    let mut tweet = json!({ "author_id": BRAND_ID, "text": text });
    if let Some(parent) = body["reply"]["in_reply_to_tweet_id"].as_str() {
        let Some(answered) = fake.tweet(parent).cloned() else {
            return problem(403, "Forbidden", GONE);
        };
        tweet["referenced_tweets"] = json!([{ "type": "replied_to", "id": parent }]);
        tweet["conversation_id"] = answered["conversation_id"].clone();
        tweet["in_reply_to_user_id"] = answered["author_id"].clone();
    }
    let id = fake.mint();
    tweet["id"] = json!(id);
    if tweet.get("conversation_id").is_none() {
        tweet["conversation_id"] = json!(id);
    }
    fake.tweets.push(tweet);
    let answer = json!({ "data": { "id": id, "text": text, "edit_history_tweet_ids": [id] } });
    (StatusCode::CREATED, axum::Json(answer)).into_response()
}

/// `POST /2/users/:id/{likes,retweets,muting,blocking}`: only as the token's user.
async fn user_action(
    State(s): State<Shared>,
    Path((user, action)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, &method, &uri, &headers, &body) {
        return r;
    }
    if user != BRAND_ID {
        return problem(
            403,
            "Forbidden",
            "You are not permitted to perform this action.",
        );
    }
    let field = |k: &str| body[k].as_str().map(str::to_owned);
    let (answer, done) = match action.as_str() {
        "likes" | "retweets" => {
            let Some(tweet) = field("tweet_id") else {
                return invalid("$.tweet_id: is missing but it is required");
            };
            if fake.tweet(&tweet).is_none() {
                return problem(
                    404,
                    "Not Found Error",
                    &format!("Could not find tweet with id: [{tweet}]."),
                );
            }
            let set = if action == "likes" {
                &mut fake.likes
            } else {
                &mut fake.retweets
            };
            set.insert(tweet);
            (
                if action == "likes" {
                    "liked"
                } else {
                    "retweeted"
                },
                true,
            )
        }
        "muting" | "blocking" => {
            let Some(target) = field("target_user_id") else {
                return invalid("$.target_user_id: is missing but it is required");
            };
            if action == "blocking" && !fake.enterprise {
                return raw(StatusCode::FORBIDDEN, NOT_ENROLLED);
            }
            let set = if action == "muting" {
                &mut fake.muted
            } else {
                &mut fake.blocked
            };
            set.insert(target);
            (action.as_str(), true)
        }
        _ => return problem(404, "Not Found", "Sorry, that page does not exist"),
    };
    axum::Json(json!({ "data": { answer: done } })).into_response()
}

async fn hide(
    State(s): State<Shared>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, &method, &uri, &headers, &body) {
        return r;
    }
    let Some(hidden) = body["hidden"].as_bool() else {
        return invalid("$.hidden: is missing but it is required");
    };
    let Some(tweet) = fake.tweet(&id).cloned() else {
        return problem(404, "Not Found Error", "Could not find tweet");
    };
    let root_author = tweet["conversation_id"]
        .as_str()
        .and_then(|c| fake.tweet(c))
        .map(|root| root["author_id"].clone());
    if tweet["conversation_id"] == tweet["id"] || root_author != Some(json!(BRAND_ID)) {
        return problem(
            403,
            "Forbidden",
            "You can only hide or unhide replies to conversations you started.",
        );
    }
    if hidden {
        fake.hidden.insert(id);
    } else {
        fake.hidden.remove(&id);
    }
    axum::Json(json!({ "data": { "hidden": hidden } })).into_response()
}

async fn start() -> (MockHttp, Shared) {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let dms: Value = serde_json::from_str(DM_FIXTURE).unwrap();
    let shared: Shared = Arc::new(Mutex::new(Fake {
        access_token: "at-0".into(),
        refresh_token: "rt-0".into(),
        refuse_refresh: false,
        issued: 0,
        users: fixture["users"].as_array().unwrap().clone(),
        tweets: fixture["tweets"].as_array().unwrap().clone(),
        deleted: HashSet::new(),
        events: dms["events"].as_array().unwrap().clone(),
        dm_forbidden: false,
        enterprise: false,
        last_id: 0,
        likes: HashSet::new(),
        retweets: HashSet::new(),
        hidden: HashSet::new(),
        muted: HashSet::new(),
        blocked: HashSet::new(),
        inject: VecDeque::new(),
        seen: Vec::new(),
    }));
    let router = Router::new()
        .route("/2/oauth2/token", post(token))
        .route("/2/users/me", get(users_me))
        .route("/2/users/{id}/mentions", get(mentions))
        .route("/2/users/{id}/{action}", post(user_action))
        .route("/2/dm_events", get(dm_events))
        .route(
            "/2/dm_conversations/{id}/dm_events",
            get(conversation_events),
        )
        .route("/2/dm_conversations/{id}/messages", post(send_message))
        .route("/2/tweets", post(create_tweet))
        .route("/2/tweets/{id}/hidden", put(hide))
        .with_state(shared.clone());
    (MockHttp::start(router).await, shared)
}

// What the tests share.

/// The channel as connected: tokens, but no user id yet (the first read asks `/2/users/me`).
fn credentials(server: &MockHttp) -> Credentials {
    Credentials {
        settings: json!({ "api_base": server.base_url(), "client_id": CLIENT_ID }),
        secrets: [
            ("access_token".to_owned(), "at-0".to_owned()),
            ("refresh_token".to_owned(), "rt-0".to_owned()),
        ]
        .into(),
        changed: false,
    }
}

async fn read(creds: &mut Credentials, cursor: Option<&str>) -> Result<InboxPage, NetworkError> {
    let http = common::client(Duration::from_secs(10));
    inbox::read("x", &http, creds, cursor).await
}

async fn act(creds: &mut Credentials, interaction: Interaction) -> Result<(), NetworkError> {
    let http = common::client(Duration::from_secs(10));
    inbox::act("x", &http, creds, &interaction).await
}

fn connector() -> X {
    X::new(common::client(Duration::from_secs(10)))
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

/// The requests the fake received for `method path`, in order.
fn seen(fake: &Shared, method: &str, path: &str) -> Vec<Seen> {
    let f = fake.lock().unwrap();
    f.seen
        .iter()
        .filter(|s| s.method == method && s.path == path)
        .cloned()
        .collect()
}

fn clear_seen(fake: &Shared) {
    fake.lock().unwrap().seen.clear();
}

fn ids(messages: &[IncomingMessage]) -> Vec<&str> {
    messages.iter().map(|m| m.network_id.as_str()).collect()
}

fn tweet_id(n: u64) -> String {
    (1_900_000_000_000_000_000 + n * 100_000_000_000_000).to_string()
}

fn event_id(n: u64) -> String {
    (1_900_000_000_000_000_000 + n * 100_000_000_000_000 + 50_000_000_000_000).to_string()
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn answer(text: &str, parent: &IncomingMessage) -> OutgoingPost {
    let target = |r: &PostRef| PublishedPost {
        id: r.id.clone(),
        version: r.version.clone(),
        url: r.url.clone().unwrap_or_default(),
    };
    let parent_post = PublishedPost {
        id: parent.network_id.clone(),
        version: None,
        url: parent.url.clone().unwrap_or_default(),
    };
    OutgoingPost {
        text: text.to_owned(),
        media: vec![],
        reply_to: Some(ReplyTarget {
            root: parent
                .root
                .as_ref()
                .map(target)
                .unwrap_or_else(|| parent_post.clone()),
            parent: parent_post,
        }),
        langs: vec!["fr".into()],
        idempotency_key: format!("inbox-{text}"),
        created_at_ms: now_ms(),
    }
}

/// A new mention of the brand by `fan_fr`; its id.
fn new_mention(fake: &Shared, text: &str) -> String {
    let mut f = fake.lock().unwrap();
    let id = f.mint();
    f.tweets.push(
        json!({ "id": id, "author_id": "2001", "text": format!("@relais_app {text}"),
                          "lang": "fr", "conversation_id": id }),
    );
    id
}

/// A new direct message to the brand by `curious_dev`; its event id.
fn new_direct(fake: &Shared, sender: &str, text: &str) -> String {
    let mut f = fake.lock().unwrap();
    let id = f.mint();
    f.events.push(
        json!({ "id": id, "event_type": "MessageCreate", "text": text,
                          "sender_id": sender, "dm_conversation_id": "1001-2002" }),
    );
    id
}

// The tests.

#[tokio::test]
async fn mentions_replies_quotes_reposts_and_direct_messages_are_read_once() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let page = read(&mut creds, None).await.unwrap();

    let dm_order = format!("dm:1001-2001:{}", event_id(3));
    let dm_group = format!("dm:1582838223443345408:{}", event_id(6));
    assert_eq!(
        ids(&page.messages),
        [
            tweet_id(3),
            dm_order.clone(),
            tweet_id(4),
            tweet_id(5),
            tweet_id(6),
            dm_group.clone(),
            tweet_id(7),
            tweet_id(8),
            tweet_id(10),
        ],
        "oldest first; the brand's own post and message, and the group join, left out"
    );
    let kinds: Vec<MessageKind> = page.messages.iter().map(|m| m.kind).collect();
    use MessageKind::*;
    assert_eq!(
        kinds,
        [
            Mention, Direct, Reply, Reply, Quote, Direct, Mention, Repost, Mention
        ]
    );

    let by_id = |id: &str| page.messages.iter().find(|m| m.network_id == id).unwrap();
    let mention = by_id(&tweet_id(3));
    assert_eq!(
        mention.text,
        "Bonjour @relais_app, une question & une remarque <3"
    );
    assert_eq!(mention.lang.as_deref(), Some("fr"));
    assert_eq!(
        mention.url.as_deref(),
        Some(format!("https://x.com/fan_fr/status/{}", tweet_id(3)).as_str())
    );
    assert_eq!(
        mention.author,
        Author {
            id: "2001".into(),
            handle: "fan_fr".into(),
            display_name: Some("Fan de Relais".into()),
            avatar_url: Some("https://pbs.twimg.com/profile_images/2/fan_normal.jpg".into()),
            profile_url: Some("https://x.com/fan_fr".into()),
            followers: Some(1250),
            created_at: Some(1_556_798_400_000),
        }
    );
    assert_eq!(
        mention.created_at,
        chrono::DateTime::parse_from_rfc3339("2025-03-13T21:36:40.523Z")
            .unwrap()
            .timestamp_millis(),
        "the time X gives, which is the id's"
    );
    assert_eq!(
        (&mention.parent, &mention.root, &mention.subject),
        (&None, &None, &None)
    );

    let reply = by_id(&tweet_id(4));
    let brand_post = PostRef {
        id: tweet_id(1),
        version: None,
        url: Some(format!("https://x.com/relais_app/status/{}", tweet_id(1))),
    };
    assert_eq!(reply.parent.as_ref(), Some(&brand_post));
    assert_eq!(
        reply.root.as_ref().map(|r| r.id.as_str()),
        Some(tweet_id(1).as_str())
    );
    let deeper = by_id(&tweet_id(5));
    assert_eq!(
        deeper.parent.as_ref().map(|p| p.id.as_str()),
        Some(tweet_id(4).as_str()),
        "what it answers directly"
    );
    assert_eq!(
        deeper.root.as_ref().map(|r| r.id.as_str()),
        Some(tweet_id(1).as_str()),
        "the brand's post the thread started from"
    );
    assert_eq!(deeper.author.handle, "curious_dev");
    assert_eq!(deeper.lang.as_deref(), Some("en"));

    let quote = by_id(&tweet_id(6));
    assert_eq!(quote.subject.as_ref(), Some(&brand_post));
    assert_eq!(quote.parent, None);
    assert_eq!(by_id(&tweet_id(7)).subject, None, "it quotes another brand");
    let repost = by_id(&tweet_id(8));
    assert_eq!(
        (repost.text.as_str(), repost.subject.as_ref()),
        ("", Some(&brand_post))
    );
    let long = by_id(&tweet_id(10));
    assert!(
        long.text
            .ends_with("donné en entier dans note_tweet & pas coupé"),
        "{}",
        long.text
    );
    assert_eq!(long.lang, None, "`qme` (media only) is no language");

    let order = by_id(&dm_order);
    assert_eq!(order.text, "Bonjour, où en est ma commande ?");
    assert_eq!(order.direct_thread.as_deref(), Some("1001-2001"));
    assert_eq!(order.author.handle, "fan_fr");
    assert_eq!(
        order.url.as_deref(),
        Some("https://x.com/messages/1001-2001")
    );
    assert_eq!(
        by_id(&dm_group).direct_thread.as_deref(),
        Some("1582838223443345408")
    );

    // The brand's id was learnt once and kept.
    assert_eq!(creds.secret("user_id"), Some(BRAND_ID));
    assert!(creds.changed);
    assert_eq!(seen(&fake, "GET", "/2/users/me").len(), 1);

    // What was asked: the newest page, the fields and expansions the messages need.
    let asked = seen(&fake, "GET", MENTIONS);
    assert_eq!(asked.len(), 1);
    let q = &asked[0].query;
    assert_eq!(q.get("since_id"), None);
    assert_eq!(q["max_results"], "100");
    assert_eq!(q["expansions"], "author_id,referenced_tweets.id");
    for field in [
        "conversation_id",
        "in_reply_to_user_id",
        "referenced_tweets",
        "created_at",
        "lang",
        "author_id",
    ] {
        assert!(q["tweet.fields"].split(',').any(|f| f == field), "{field}");
    }
    for field in [
        "username",
        "name",
        "profile_image_url",
        "created_at",
        "public_metrics",
    ] {
        assert!(q["user.fields"].split(',').any(|f| f == field), "{field}");
    }
    let dm_q = &seen(&fake, "GET", DM_EVENTS)[0].query;
    assert_eq!(dm_q["event_types"], "MessageCreate");
    assert_eq!(dm_q["expansions"], "sender_id");
    assert!(dm_q["dm_event.fields"].contains("dm_conversation_id"));

    // The cursor holds both positions (the brand's own event is the newest), and with it
    // nothing comes twice.
    let cursor = page.cursor.unwrap();
    assert_eq!(cursor, format!("m:{};d:{}", tweet_id(10), event_id(6)));
    let again = read(&mut creds, Some(&cursor)).await.unwrap();
    assert!(again.messages.is_empty(), "{:?}", again.messages);
    assert_eq!(again.cursor.as_deref(), Some(cursor.as_str()));
    let last = seen(&fake, "GET", MENTIONS).pop().unwrap();
    assert_eq!(last.query.get("since_id"), Some(&tweet_id(10)));
}

#[tokio::test]
async fn the_cursor_reads_only_what_is_newer_through_every_page() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    // More direct messages than a page before the cursor: the read must stop at the cursor,
    // not page on through them.
    for n in 0..150 {
        new_direct(&fake, "2002", &format!("ancien message {n}"));
    }
    let cursor = read(&mut creds, None).await.unwrap().cursor.unwrap();

    let mut mentions = Vec::new();
    for n in 0..130 {
        mentions.push(new_mention(&fake, &format!("question {n}")));
    }
    let mut directs = Vec::new();
    for n in 0..105 {
        directs.push(new_direct(&fake, "2002", &format!("message {n}")));
    }
    let own = new_direct(&fake, BRAND_ID, "Réponse de la marque");
    clear_seen(&fake);

    let page = read(&mut creds, Some(&cursor)).await.unwrap();
    let got: Vec<&str> = ids(&page.messages);
    let mut want: Vec<String> = mentions.clone();
    want.extend(directs.iter().map(|e| format!("dm:1001-2002:{e}")));
    want.sort_by_key(|id| id.rsplit(':').next().unwrap().parse::<u64>().unwrap());
    assert_eq!(
        got, want,
        "every new mention and message, each once, oldest first"
    );
    assert_eq!(
        page.cursor.as_deref(),
        Some(format!("m:{};d:{own}", mentions[129]).as_str())
    );

    // Mentions: since_id on both pages, the second by its token.
    let asked = seen(&fake, "GET", MENTIONS);
    assert_eq!(asked.len(), 2);
    assert!(
        asked
            .iter()
            .all(|s| s.query.get("since_id") == Some(&tweet_id(10)))
    );
    assert_eq!(
        asked[1].query.get("pagination_token").map(String::as_str),
        Some("next-100")
    );
    // Direct messages: pages until the one that reaches the cursor's event.
    let dm_asked = seen(&fake, "GET", DM_EVENTS);
    assert_eq!(dm_asked.len(), 2);
    assert_eq!(
        dm_asked[1]
            .query
            .get("pagination_token")
            .map(String::as_str),
        Some("next-100")
    );
}

#[tokio::test]
async fn an_unreadable_cursor_starts_again_from_the_newest_page() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    for bad in ["1900000000000000104", "m:abc;d:1", "{\"m\": 1}"] {
        let page = read(&mut creds, Some(bad)).await.unwrap();
        assert_eq!(page.messages.len(), 9, "{bad}");
        let last = seen(&fake, "GET", MENTIONS).pop().unwrap();
        assert_eq!(last.query.get("since_id"), None, "{bad}");
    }
}

#[tokio::test]
async fn an_expired_token_is_renewed_and_a_revoked_refresh_says_to_reconnect() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    fake.lock().unwrap().access_token = "at-elsewhere".into();
    let page = read(&mut creds, None).await.unwrap();
    assert_eq!(page.messages.len(), 9);
    assert_eq!(creds.secret("access_token"), Some("at-1"));
    assert_eq!(
        creds.secret("refresh_token"),
        Some("rt-1"),
        "X rotates refresh tokens"
    );
    assert!(creds.changed);

    {
        let mut f = fake.lock().unwrap();
        f.access_token = "at-gone".into();
        f.refuse_refresh = true;
    }
    let err = read(&mut creds, None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("invalid")),
        "{err}"
    );
    let err = act(
        &mut creds,
        Interaction::Like {
            message: PostRef {
                id: tweet_id(3),
                ..PostRef::default()
            },
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, NetworkError::Unauthorized(_)), "{err}");
}

#[tokio::test]
async fn rate_limits_and_garbage_are_clear_errors() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    creds.set_secret("user_id", BRAND_ID.into());
    let reset = unix_now() + 300;
    inject(
        &fake,
        "GET",
        MENTIONS,
        429,
        vec![
            ("x-rate-limit-limit", "180".into()),
            ("x-rate-limit-remaining", "0".into()),
            ("x-rate-limit-reset", reset.to_string()),
        ],
        r#"{"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}"#,
    );
    let wait = rate_limit_wait(read(&mut creds, None).await.unwrap_err());
    assert!((298..=300).contains(&wait.as_secs()), "{wait:?}");

    inject(
        &fake,
        "GET",
        MENTIONS,
        200,
        vec![],
        r#"{"data": [{"id": "19"#,
    );
    let err = read(&mut creds, None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("not JSON")),
        "{err}"
    );

    inject(&fake, "GET", MENTIONS, 200, vec![], "[1, 2]");
    let err = read(&mut creds, None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("not a page of posts")),
        "{err}"
    );

    inject(&fake, "GET", MENTIONS, 403, vec![], NOT_ENROLLED);
    let err = read(&mut creds, None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unsupported(ref m) if m.contains("mentions")),
        "{err}"
    );

    // Odd posts in a page are skipped, not a failure.
    inject(
        &fake,
        "GET",
        MENTIONS,
        200,
        vec![],
        r#"{"data": [{"id": "../2/users/me", "text": "x"}, {"text": "no id"}, {"id": "12", "text": "@relais_app no author"}, 7],
            "includes": {"users": "nope"}, "meta": {"result_count": 4}}"#,
    );
    let page = read(&mut creds, None).await.unwrap();
    assert_eq!(
        ids(&page.messages),
        [
            format!("dm:1001-2001:{}", event_id(3)),
            format!("dm:1582838223443345408:{}", event_id(6))
        ]
    );
}

#[tokio::test]
async fn direct_messages_refused_for_the_access_level_leave_the_mentions() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    fake.lock().unwrap().dm_forbidden = true;
    let page = read(&mut creds, None).await.unwrap();
    assert_eq!(page.messages.len(), 7, "the mentions all the same");
    assert!(page.messages.iter().all(|m| m.kind != MessageKind::Direct));
    let cursor = page.cursor.unwrap();
    assert_eq!(cursor, format!("m:{};nodm", tweet_id(10)));

    // Still refused: still read, the refusal remembered (it was warned about once).
    let mention = new_mention(&fake, "toujours là ?");
    let page = read(&mut creds, Some(&cursor)).await.unwrap();
    assert_eq!(ids(&page.messages), [mention.as_str()]);
    let cursor = page.cursor.unwrap();
    assert_eq!(cursor, format!("m:{mention};nodm"));

    // A passing failure of the direct messages keeps their position and the mentions.
    fake.lock().unwrap().dm_forbidden = false;
    inject(
        &fake,
        "GET",
        DM_EVENTS,
        503,
        vec![],
        r#"{"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank", "status": 503}"#,
    );
    let page = read(&mut creds, Some(&cursor)).await.unwrap();
    assert!(page.messages.is_empty());
    assert_eq!(page.cursor.as_deref(), Some(cursor.as_str()));

    // Once the access level allows them, they come, and the mark goes.
    let page = read(&mut creds, Some(&cursor)).await.unwrap();
    assert_eq!(page.messages.len(), 2);
    assert!(page.messages.iter().all(|m| m.kind == MessageKind::Direct));
    assert_eq!(
        page.cursor.unwrap(),
        format!("m:{mention};d:{}", event_id(6))
    );
}

#[tokio::test]
async fn a_reply_threads_under_the_fans_post_and_a_deleted_original_is_refused() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let page = read(&mut creds, None).await.unwrap();
    let deeper = page
        .messages
        .iter()
        .find(|m| m.network_id == tweet_id(5))
        .unwrap();
    let x = connector();

    let sent = x
        .publish(
            &mut creds,
            &answer("@curious_dev oui, avec les fils", deeper),
        )
        .await
        .unwrap();
    let posted = seen(&fake, "POST", "/2/tweets");
    assert_eq!(posted.len(), 1);
    assert_eq!(
        posted[0].body["reply"]["in_reply_to_tweet_id"],
        tweet_id(5),
        "under the fan's post, not the root"
    );
    assert_eq!(
        sent.url,
        format!("https://x.com/relais_app/status/{}", sent.id)
    );
    assert_eq!(
        fake.lock().unwrap().tweet(&sent.id).unwrap()["conversation_id"],
        tweet_id(1),
        "in the brand's thread"
    );

    let mention = page
        .messages
        .iter()
        .find(|m| m.network_id == tweet_id(3))
        .unwrap();
    fake.lock().unwrap().deleted.insert(tweet_id(3));
    let err = x
        .publish(&mut creds, &answer("Bonjour !", mention))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("was deleted") && m.contains(&tweet_id(3))),
        "{err}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_reply_to_a_direct_message_goes_to_its_conversation_once() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let page = read(&mut creds, None).await.unwrap();
    let order = page
        .messages
        .iter()
        .find(|m| m.kind == MessageKind::Direct)
        .unwrap();
    let x = connector();

    let reply = answer("Votre commande part demain.", order);
    // Nothing sent yet: nothing found.
    assert_eq!(x.find_published(&mut creds, &reply).await.unwrap(), None);
    let sent = x.publish(&mut creds, &reply).await.unwrap();
    let posted = seen(&fake, "POST", "/2/dm_conversations/1001-2001/messages");
    assert_eq!(posted.len(), 1);
    assert_eq!(
        posted[0].body,
        json!({ "text": "Votre commande part demain." })
    );
    assert!(
        seen(&fake, "POST", "/2/tweets").is_empty(),
        "not a public post"
    );
    let event = fake.lock().unwrap().events.last().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(sent.id, format!("dm:1001-2001:{event}"));
    assert_eq!(sent.url, "https://x.com/messages/1001-2001");

    // A retry finds it instead of sending it twice; another text is not it.
    assert_eq!(
        x.find_published(&mut creds, &reply).await.unwrap(),
        Some(sent.clone())
    );
    assert_eq!(
        x.find_published(&mut creds, &answer("Autre chose", order))
            .await
            .unwrap(),
        None
    );
    let looked = seen(&fake, "GET", "/2/dm_conversations/1001-2001/dm_events");
    assert_eq!(looked.last().unwrap().query["event_types"], "MessageCreate");

    // The brand's answer can be answered in turn (a follow-up of the team).
    let mut follow_up = reply.clone();
    follow_up.text = "Et voici le suivi.".into();
    if let Some(target) = follow_up.reply_to.as_mut() {
        target.parent = sent.clone();
    }
    x.publish(&mut creds, &follow_up).await.unwrap();
    assert_eq!(
        seen(&fake, "POST", "/2/dm_conversations/1001-2001/messages").len(),
        2
    );

    // Images are not sent in direct messages; an odd id is refused; a conversation gone is said.
    let mut with_image = reply.clone();
    with_image.media.push(MediaFile {
        mime: "image/png".into(),
        bytes: common::PNG.to_vec(),
        alt: None,
        public_url: None,
    });
    let err = x.publish(&mut creds, &with_image).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("text only")),
        "{err}"
    );
    let mut odd = reply.clone();
    odd.reply_to.as_mut().unwrap().parent.id = "dm:../2/users:1".into();
    assert!(matches!(
        x.publish(&mut creds, &odd).await,
        Err(NetworkError::Rejected(_))
    ));
    let mut gone = reply.clone();
    gone.reply_to.as_mut().unwrap().parent.id = "dm:1001-2999:1900000000000000001".into();
    let err = x.publish(&mut creds, &gone).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("conversation is gone")),
        "{err}"
    );
    assert_eq!(
        seen(&fake, "POST", "/2/dm_conversations/1001-2001/messages").len(),
        2
    );
}

#[tokio::test]
async fn each_interaction_calls_its_endpoint_with_its_body() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let post = |id: String| PostRef {
        id,
        ..PostRef::default()
    };
    let fan = Author {
        id: "2002".into(),
        handle: "curious_dev".into(),
        ..Author::default()
    };

    act(
        &mut creds,
        Interaction::Like {
            message: post(tweet_id(3)),
        },
    )
    .await
    .unwrap();
    act(
        &mut creds,
        Interaction::Repost {
            message: post(tweet_id(6)),
        },
    )
    .await
    .unwrap();
    act(
        &mut creds,
        Interaction::Hide {
            message: post(tweet_id(5)),
        },
    )
    .await
    .unwrap();
    act(
        &mut creds,
        Interaction::Mute {
            author: fan.clone(),
        },
    )
    .await
    .unwrap();

    let one = |method: &str, path: &str| {
        let s = seen(&fake, method, path);
        assert_eq!(s.len(), 1, "{method} {path}");
        s[0].body.clone()
    };
    assert_eq!(
        one("POST", "/2/users/1001/likes"),
        json!({ "tweet_id": tweet_id(3) })
    );
    assert_eq!(
        one("POST", "/2/users/1001/retweets"),
        json!({ "tweet_id": tweet_id(6) })
    );
    assert_eq!(
        one("PUT", &format!("/2/tweets/{}/hidden", tweet_id(5))),
        json!({ "hidden": true })
    );
    assert_eq!(
        one("POST", "/2/users/1001/muting"),
        json!({ "target_user_id": "2002" })
    );
    {
        let f = fake.lock().unwrap();
        assert!(f.likes.contains(&tweet_id(3)) && f.retweets.contains(&tweet_id(6)));
        assert!(f.hidden.contains(&tweet_id(5)) && f.muted.contains("2002"));
    }

    // Hiding what is not a reply in the brand's conversation: X's refusal, said.
    let err = act(
        &mut creds,
        Interaction::Hide {
            message: post(tweet_id(3)),
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("conversations")),
        "{err}"
    );
    // A deleted post cannot be liked.
    fake.lock().unwrap().deleted.insert(tweet_id(7));
    let err = act(
        &mut creds,
        Interaction::Like {
            message: post(tweet_id(7)),
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.starts_with("the post was deleted")),
        "{err}"
    );

    // Blocking: Enterprise only.
    let err = act(
        &mut creds,
        Interaction::Block {
            author: fan.clone(),
            message: None,
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, NetworkError::Unsupported(ref m) if m.contains("Enterprise") && m.contains("@curious_dev")),
        "{err}"
    );
    fake.lock().unwrap().enterprise = true;
    act(
        &mut creds,
        Interaction::Block {
            author: fan.clone(),
            message: None,
        },
    )
    .await
    .unwrap();
    let blocks = seen(&fake, "POST", "/2/users/1001/blocking");
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[1].body, json!({ "target_user_id": "2002" }));
    assert!(fake.lock().unwrap().blocked.contains("2002"));

    // What X offers no API for, or cannot apply to a direct message: said, nothing sent.
    clear_seen(&fake);
    let dm = post(format!("dm:1001-2001:{}", event_id(3)));
    for (interaction, words) in [
        (
            Interaction::Delete {
                message: post(tweet_id(3)),
            },
            "only its author",
        ),
        (
            Interaction::Report {
                message: post(tweet_id(3)),
                author: fan.clone(),
                reason: "spam".into(),
            },
            "report it on x.com",
        ),
        (
            Interaction::Like {
                message: dm.clone(),
            },
            "direct message",
        ),
        (Interaction::Hide { message: dm }, "direct message"),
    ] {
        let name = interaction.name();
        let err = act(&mut creds, interaction).await.unwrap_err();
        assert!(
            matches!(err, NetworkError::Unsupported(ref m) if m.contains(words)),
            "{name}: {err}"
        );
    }
    let bad = Author {
        id: "../me".into(),
        ..Author::default()
    };
    assert!(matches!(
        act(&mut creds, Interaction::Mute { author: bad }).await,
        Err(NetworkError::Rejected(_))
    ));
    assert!(
        fake.lock().unwrap().seen.is_empty(),
        "{:?}",
        fake.lock().unwrap().seen
    );
}

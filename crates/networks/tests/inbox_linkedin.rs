//! The LinkedIn inbox against a small stateful fake of the Community Management API,
//! written from LinkedIn's documentation (learn.microsoft.com/linkedin/marketing):
//!
//! - every `/rest/` call carries the bearer token (401 `EXPIRED_ACCESS_TOKEN` or
//!   `REVOKED_ACCESS_TOKEN` otherwise), a served `LinkedIn-Version` (426 otherwise) and
//!   `X-Restli-Protocol-Version: 2.0.0`; URNs in paths and queries are percent-encoded whole;
//! - the token endpoint renews an access token with the refresh token (`invalid_grant` when
//!   it is refused);
//! - `GET /rest/posts?q=author` (most recently modified first);
//! - `GET /rest/socialActions/{post URN}/comments` (the top-level comments, with
//!   `commentsSummary`) and `GET /rest/socialActions/{comment URN}/comments` (the comments
//!   nested under one, with `parentComment`), paged by `start` and `count` with
//!   `paging.total`; errors as `{"status", "code", "serviceErrorCode", "message"}`;
//! - `POST /rest/socialActions/{URN}/comments` (a nested comment: under a top-level comment
//!   only, `parentComment` naming it, `object` its post), answering 201 and `x-restli-id`;
//! - `DELETE /rest/socialActions/{post}/comments/{id}?actor=` (the page deletes comments on
//!   its own posts), 204;
//! - `POST /rest/reactions?actor=` with `{"root", "reactionType"}`, 201, 409 for a reaction
//!   that exists already.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use common::{Injected, push_injected, take_injected};
use relais_networks::inbox::{
    self, Author, InboxPage, IncomingMessage, Interaction, MessageKind, PostRef,
};
use relais_networks::linkedin::LinkedIn;
use relais_networks::linkedin::inbox::fuzzing;
use relais_networks::{
    Connector, Credentials, NetworkError, OutgoingPost, PublishedPost, ReplyTarget,
};
use relais_testkit::mock_http::MockHttp;
use serde_json::{Value, json};

const ORG: &str = "2414183";
const ORG_URN: &str = "urn:li:organization:2414183";
const OTHER_ORG: &str = "urn:li:organization:5515715";
const CLIENT_ID: &str = "86abcdefghij";
const CLIENT_SECRET: &str = "s3cret";
const SERVED: [&str; 2] = ["202603", "202605"];

struct Post {
    urn: String,
    activity: String,
    author: String,
    modified: i64,
    deleted: bool,
}

struct Comment {
    id: u64,
    /// The post's URN and the activity LinkedIn names it by in comment URNs.
    post: String,
    activity: String,
    actor: String,
    text: String,
    created: i64,
    /// The top-level comment a nested one is under.
    parent: Option<u64>,
    deleted: bool,
}

impl Comment {
    fn urn(&self) -> String {
        format!("urn:li:comment:({},{})", self.activity, self.id)
    }
}

/// One request that passed the gate.
#[derive(Clone, Debug)]
struct Call {
    method: String,
    /// As sent (URNs percent-encoded), with its query.
    raw: String,
    /// Decoded.
    path: String,
    query: HashMap<String, String>,
    body: Value,
}

struct Fake {
    access_token: String,
    refresh_token: String,
    refuse_refresh: bool,
    refreshes: u32,
    /// What a refused access token hears: LinkedIn's code.
    token_error: &'static str,
    next_id: u64,
    posts: Vec<Post>,
    comments: Vec<Comment>,
    /// (actor, root) of each reaction.
    reactions: Vec<(String, String)>,
    inject: VecDeque<Injected>,
    log: Vec<Call>,
}

impl Default for Fake {
    fn default() -> Self {
        Self {
            access_token: "at-0".into(),
            refresh_token: "rt-0".into(),
            refuse_refresh: false,
            refreshes: 0,
            token_error: "EXPIRED_ACCESS_TOKEN",
            next_id: 7_300_000_000_000_000_000,
            posts: Vec::new(),
            comments: Vec::new(),
            reactions: Vec::new(),
            inject: VecDeque::new(),
            log: Vec::new(),
        }
    }
}

impl Fake {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn post(&self, urn: &str) -> Option<&Post> {
        self.posts
            .iter()
            .find(|p| (p.urn == urn || p.activity == urn) && !p.deleted)
    }

    fn comment(&self, urn: &str) -> Option<&Comment> {
        self.comments.iter().find(|c| !c.deleted && c.urn() == urn)
    }

    fn comment_json(&self, c: &Comment) -> Value {
        let mut v = json!({
            "actor": c.actor, "agent": "urn:li:person:admin", "commentUrn": c.urn(),
            "id": c.id.to_string(), "object": c.activity,
            "message": { "text": c.text, "attributes": [] },
            "created": { "actor": c.actor, "time": c.created },
            "lastModified": { "actor": c.actor, "time": c.created },
            "likesSummary": { "totalLikes": 0, "likedByCurrentUser": false },
        });
        match c.parent {
            Some(p) => v["parentComment"] = json!(format!("urn:li:comment:({},{p})", c.activity)),
            None => {
                let nested = self
                    .comments
                    .iter()
                    .filter(|n| !n.deleted && n.parent == Some(c.id))
                    .count();
                v["commentsSummary"] =
                    json!({ "totalFirstLevelComments": nested, "aggregatedTotalComments": nested });
            }
        }
        v
    }
}

type Shared = Arc<Mutex<Fake>>;

fn error(status: u16, code: &str, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(
            json!({ "status": status, "code": code, "serviceErrorCode": 100,
                           "message": message }),
        ),
    )
        .into_response()
}

fn decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn created(body: Value, restli_id: &str) -> Response {
    let mut r = (StatusCode::CREATED, axum::Json(body)).into_response();
    r.headers_mut()
        .insert("x-restli-id", restli_id.parse().unwrap());
    r
}

async fn api(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let raw_path = uri.path().to_owned();
    let header = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut fake = s.lock().unwrap();
    if raw_path == "/oauth/v2/accessToken" {
        let form: HashMap<String, String> =
            url::form_urlencoded::parse(&body).into_owned().collect();
        let field = |k: &str| form.get(k).map(String::as_str);
        if field("client_id") != Some(CLIENT_ID) || field("client_secret") != Some(CLIENT_SECRET) {
            return error(401, "invalid_client", "Client authentication failed");
        }
        if field("grant_type") != Some("refresh_token")
            || fake.refuse_refresh
            || field("refresh_token") != Some(fake.refresh_token.as_str())
        {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({ "error": "invalid_grant",
                    "error_description": "The provided authorization grant is invalid, expired, revoked" })),
            )
                .into_response();
        }
        fake.refreshes += 1;
        fake.access_token = format!("at-r{}", fake.refreshes);
        return axum::Json(
            json!({ "access_token": fake.access_token, "expires_in": 5_184_000,
                                  "refresh_token": fake.refresh_token,
                                  "refresh_token_expires_in": 31_536_000 }),
        )
        .into_response();
    }
    if header("authorization")
        .as_deref()
        .and_then(|b| b.strip_prefix("Bearer "))
        != Some(fake.access_token.as_str())
    {
        let message = match fake.token_error {
            "REVOKED_ACCESS_TOKEN" => "The token used in the request has been revoked by the user",
            _ => "The token used in the request has expired",
        };
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "status": 401, "serviceErrorCode": 65601,
                               "code": fake.token_error, "message": message })),
        )
            .into_response();
    }
    match header("linkedin-version") {
        Some(v) if SERVED.contains(&v.as_str()) => {}
        Some(v) => {
            return error(
                426,
                "NONEXISTENT_VERSION",
                &format!("Requested version {v} is not active"),
            );
        }
        None => return error(400, "VERSION_MISSING", "A version must be present"),
    }
    if header("x-restli-protocol-version").as_deref() != Some("2.0.0") {
        return error(
            400,
            "ILLEGAL_ARGUMENT",
            "Rest.li protocol 2.0.0 is required",
        );
    }
    let segments: Vec<String> = raw_path.trim_matches('/').split('/').map(decode).collect();
    let path = format!("/{}", segments.join("/"));
    let query: HashMap<String, String> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let json_body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    fake.log.push(Call {
        method: method.to_string(),
        raw: match uri.query() {
            Some(q) => format!("{raw_path}?{q}"),
            None => raw_path.clone(),
        },
        path: path.clone(),
        query: query.clone(),
        body: json_body.clone(),
    });
    if let Some(r) = take_injected(&mut fake.inject, method.as_str(), &path) {
        return r;
    }
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let number =
        |k: &str, default: usize| query.get(k).and_then(|v| v.parse().ok()).unwrap_or(default);
    match (method.as_str(), segs.as_slice()) {
        ("GET", ["rest", "posts"]) => {
            if query.get("q").map(String::as_str) != Some("author") {
                return error(400, "ILLEGAL_ARGUMENT", "Unsupported finder");
            }
            if query.get("author").map(String::as_str) != Some(ORG_URN) {
                return error(
                    403,
                    "ACCESS_DENIED",
                    "Not enough permissions to read these posts",
                );
            }
            let mut own: Vec<&Post> = fake
                .posts
                .iter()
                .filter(|p| p.author == ORG_URN && !p.deleted)
                .collect();
            own.sort_by_key(|p| std::cmp::Reverse(p.modified));
            let (start, count) = (number("start", 0), number("count", 10));
            let elements: Vec<Value> = own
                .iter()
                .skip(start)
                .take(count)
                .map(|p| {
                    json!({ "id": p.urn, "author": p.author, "lifecycleState": "PUBLISHED",
                                 "visibility": "PUBLIC", "createdAt": p.modified,
                                 "lastModifiedAt": p.modified, "commentary": "…" })
                })
                .collect();
            axum::Json(json!({ "elements": elements,
                               "paging": { "start": start, "count": count, "total": own.len() } }))
            .into_response()
        }
        ("GET", ["rest", "socialActions", urn, "comments"]) => {
            let listed: Vec<&Comment> = if let Some(p) = fake.post(urn) {
                fake.comments
                    .iter()
                    .filter(|c| c.post == p.urn && c.parent.is_none() && !c.deleted)
                    .collect()
            } else if let Some(top) = fake.comment(urn) {
                fake.comments
                    .iter()
                    .filter(|c| {
                        c.parent == Some(top.id) && c.activity == top.activity && !c.deleted
                    })
                    .collect()
            } else {
                return error(404, "NOT_FOUND", &format!("{urn} not found"));
            };
            let (start, count) = (number("start", 0), number("count", 10));
            let elements: Vec<Value> = listed
                .iter()
                .skip(start)
                .take(count)
                .map(|c| fake.comment_json(c))
                .collect();
            axum::Json(json!({ "elements": elements,
                               "paging": { "start": start, "count": count, "total": listed.len(), "links": [] } }))
            .into_response()
        }
        ("POST", ["rest", "socialActions", urn, "comments"]) => {
            if json_body["actor"].as_str() != Some(ORG_URN) {
                return error(
                    403,
                    "ACCESS_DENIED",
                    "Not enough permissions to comment as this actor",
                );
            }
            let Some(text) = json_body["message"]["text"].as_str().map(str::to_owned) else {
                return error(422, "MISSING_FIELD", "/message/text is required");
            };
            let object = json_body["object"].as_str().unwrap_or_default().to_owned();
            let (post, activity, parent) = if let Some(p) = fake.post(urn) {
                if object != p.urn && object != p.activity {
                    return error(400, "INVALID_VALUE", "object must be the commented entity");
                }
                (p.urn.clone(), p.activity.clone(), None)
            } else if let Some(top) = fake.comment(urn) {
                if top.parent.is_some() {
                    return error(
                        400,
                        "INVALID_VALUE",
                        "Comments are nested one level deep only",
                    );
                }
                if json_body["parentComment"].as_str() != Some(urn) {
                    return error(
                        400,
                        "INVALID_VALUE",
                        "parentComment must be the comment in the path",
                    );
                }
                if object != top.activity && object != top.post {
                    return error(
                        400,
                        "INVALID_VALUE",
                        "object must be the parent comment's post",
                    );
                }
                (top.post.clone(), top.activity.clone(), Some(top.id))
            } else {
                return error(404, "NOT_FOUND", &format!("{urn} not found"));
            };
            let id = fake.id();
            let c = Comment {
                id,
                post,
                activity,
                actor: ORG_URN.into(),
                text,
                created: now_ms(),
                parent,
                deleted: false,
            };
            let body = fake.comment_json(&c);
            fake.comments.push(c);
            created(body, &id.to_string())
        }
        ("DELETE", ["rest", "socialActions", urn, "comments", id]) => {
            let Some(post) = fake.post(urn).map(|p| (p.urn.clone(), p.author.clone())) else {
                return error(404, "NOT_FOUND", &format!("{urn} not found"));
            };
            let actor = query.get("actor").cloned().unwrap_or_default();
            let Some(c) = fake
                .comments
                .iter_mut()
                .find(|c| c.post == post.0 && c.id.to_string() == *id && !c.deleted)
            else {
                return error(404, "NOT_FOUND", "Comment not found");
            };
            if actor != c.actor && actor != post.1 {
                return error(403, "ACCESS_DENIED", "actor may not delete this comment");
            }
            c.deleted = true;
            StatusCode::NO_CONTENT.into_response()
        }
        ("POST", ["rest", "reactions"]) => {
            let actor = query.get("actor").cloned().unwrap_or_default();
            if actor != ORG_URN {
                return error(
                    403,
                    "ACCESS_DENIED",
                    "Not enough permissions to react as this actor",
                );
            }
            let root = json_body["root"].as_str().unwrap_or_default().to_owned();
            if ![
                "LIKE",
                "PRAISE",
                "EMPATHY",
                "INTEREST",
                "APPRECIATION",
                "ENTERTAINMENT",
            ]
            .contains(&json_body["reactionType"].as_str().unwrap_or_default())
            {
                return error(422, "INVALID_VALUE", "reactionType is not a reaction");
            }
            if fake.comment(&root).is_none() && fake.post(&root).is_none() {
                return error(404, "NOT_FOUND", &format!("{root} not found"));
            }
            if fake
                .reactions
                .iter()
                .any(|(a, r)| *a == actor && *r == root)
            {
                return error(409, "DUPLICATE", "The reaction already exists");
            }
            fake.reactions.push((actor.clone(), root.clone()));
            created(
                json!({ "root": root, "reactionType": json_body["reactionType"] }),
                &format!("urn:li:reaction:({actor},{root})"),
            )
        }
        _ => error(404, "RESOURCE_NOT_FOUND", "No such resource"),
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn ago(minutes: i64) -> i64 {
    now_ms() - minutes * 60_000
}

async fn start() -> (MockHttp, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Fake::default()));
    let router = Router::new().fallback(api).with_state(shared.clone());
    (MockHttp::start(router).await, shared)
}

fn credentials(server: &MockHttp) -> Credentials {
    Credentials {
        settings: json!({ "api_base": server.base_url(), "oauth_base": server.base_url(),
                          "client_id": CLIENT_ID, "organization_id": ORG }),
        secrets: [
            ("access_token".to_owned(), "at-0".to_owned()),
            ("refresh_token".to_owned(), "rt-0".to_owned()),
            ("client_secret".to_owned(), CLIENT_SECRET.to_owned()),
        ]
        .into(),
        changed: false,
    }
}

fn http() -> relais_outbound::HttpClient {
    common::client(Duration::from_secs(10))
}

async fn read(creds: &mut Credentials, cursor: Option<&str>) -> Result<InboxPage, NetworkError> {
    inbox::read("linkedin", &http(), creds, cursor).await
}

async fn act(creds: &mut Credentials, interaction: Interaction) -> Result<(), NetworkError> {
    inbox::act("linkedin", &http(), creds, &interaction).await
}

/// A post by `author` last modified `minutes` ago; its URN.
fn add_post(fake: &Shared, author: &str, n: u64, minutes: i64) -> String {
    let urn = format!("urn:li:share:{n}");
    fake.lock().unwrap().posts.push(Post {
        urn: urn.clone(),
        activity: format!("urn:li:activity:{}", n + 1000),
        author: author.into(),
        modified: ago(minutes),
        deleted: false,
    });
    urn
}

/// A comment on `post` by `actor`, under the top-level comment `parent` if any; its URN.
fn add_comment(
    fake: &Shared,
    post: &str,
    actor: &str,
    text: &str,
    minutes: i64,
    parent: Option<&str>,
) -> String {
    let mut f = fake.lock().unwrap();
    let p = f
        .post(post)
        .map(|p| (p.urn.clone(), p.activity.clone()))
        .unwrap();
    let parent = parent.map(|u| f.comment(u).unwrap().id);
    let id = f.id();
    let c = Comment {
        id,
        post: p.0,
        activity: p.1,
        actor: actor.into(),
        text: text.into(),
        created: ago(minutes),
        parent,
        deleted: false,
    };
    let urn = c.urn();
    f.comments.push(c);
    urn
}

fn ids(messages: &[IncomingMessage]) -> Vec<&str> {
    messages.iter().map(|m| m.network_id.as_str()).collect()
}

fn calls(fake: &Shared, method: &str, path_start: &str) -> Vec<Call> {
    fake.lock()
        .unwrap()
        .log
        .iter()
        .filter(|c| c.method == method && c.path.starts_with(path_start))
        .cloned()
        .collect()
}

fn clear_log(fake: &Shared) {
    fake.lock().unwrap().log.clear();
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

fn feed(urn: &str) -> Option<String> {
    Some(format!("https://www.linkedin.com/feed/update/{urn}/"))
}

/// The page's posts and the comments on them.
struct Scene {
    post: String,
    other_post: String,
    /// A member's comment on `post`, and an organisation's answer nested under it.
    fan: String,
    nested_on_fan: String,
    /// The page's own first comment, and a member's answer nested under it.
    own: String,
    nested_on_own: String,
    /// A member's comment on `other_post`.
    lone: String,
}

fn scene(fake: &Shared) -> Scene {
    let post = add_post(fake, ORG_URN, 1001, 60);
    let other_post = add_post(fake, ORG_URN, 1002, 30);
    let foreign = add_post(fake, OTHER_ORG, 1003, 10);
    let fan = add_comment(
        fake,
        &post,
        "urn:li:person:fanA",
        "Où s'inscrire ?",
        50,
        None,
    );
    let own = add_comment(
        fake,
        &post,
        ORG_URN,
        "Les inscriptions sont ouvertes",
        49,
        None,
    );
    let nested_on_own = add_comment(fake, &post, "urn:li:person:fanB", "Merci !", 45, Some(&own));
    let nested_on_fan = add_comment(fake, &post, OTHER_ORG, "Sur leur site", 40, Some(&fan));
    let lone = add_comment(fake, &other_post, "urn:li:person:fanD", "Bravo", 20, None);
    add_comment(
        fake,
        &foreign,
        "urn:li:person:fanE",
        "Pas chez nous",
        5,
        None,
    );
    Scene {
        post,
        other_post,
        fan,
        nested_on_fan,
        own,
        nested_on_own,
        lone,
    }
}

#[tokio::test]
async fn comments_and_nested_ones_are_read_once_in_their_places() {
    let (server, fake) = start().await;
    let s = scene(&fake);
    let mut creds = credentials(&server);

    let page = read(&mut creds, None).await.unwrap();
    assert_eq!(
        ids(&page.messages),
        [&s.fan, &s.nested_on_own, &s.nested_on_fan, &s.lone],
        "oldest first, the page's own comment left out, other pages' posts not read"
    );
    let by_id = |id: &str| page.messages.iter().find(|m| m.network_id == id).unwrap();
    let post = PostRef {
        id: s.post.clone(),
        version: None,
        url: feed(&s.post),
    };

    let fan = by_id(&s.fan);
    assert_eq!(fan.kind, MessageKind::Comment);
    assert_eq!(
        (fan.parent.as_ref(), fan.root.as_ref()),
        (Some(&post), Some(&post))
    );
    assert_eq!(fan.version, None);
    assert_eq!(fan.text, "Où s'inscrire ?");
    assert_eq!(
        fan.author,
        Author {
            id: "urn:li:person:fanA".into(),
            handle: "urn:li:person:fanA".into(),
            ..Author::default()
        }
    );
    assert!(fan.url.as_deref().is_some_and(|u| u.starts_with(
        "https://www.linkedin.com/feed/update/urn:li:activity:2001/?commentUrn=urn%3Ali%3Acomment"
    )));

    // Nested under the fan's comment: a reply to it, whose version is where answers go.
    let nested = by_id(&s.nested_on_fan);
    assert_eq!(nested.kind, MessageKind::Reply);
    assert_eq!(
        nested.parent.as_ref().map(|p| p.id.as_str()),
        Some(s.fan.as_str())
    );
    assert_eq!(nested.root.as_ref(), Some(&post));
    assert_eq!(nested.version.as_deref(), Some(s.fan.as_str()));
    assert_eq!(
        nested.author.profile_url.as_deref(),
        Some("https://www.linkedin.com/company/5515715/")
    );
    // Nested under the page's own comment: read too.
    let on_own = by_id(&s.nested_on_own);
    assert_eq!(
        on_own.parent.as_ref().map(|p| p.id.as_str()),
        Some(s.own.as_str())
    );
    let lone = by_id(&s.lone);
    assert_eq!(
        lone.root.as_ref().map(|r| r.id.as_str()),
        Some(s.other_post.as_str())
    );

    // What was asked, as documented, URNs encoded whole.
    let posts = calls(&fake, "GET", "/rest/posts");
    assert_eq!(posts.len(), 1);
    assert_eq!(
        posts[0].raw,
        "/rest/posts?author=urn%3Ali%3Aorganization%3A2414183&q=author&count=20&sortBy=LAST_MODIFIED"
    );
    let lists: Vec<String> = calls(&fake, "GET", "/rest/socialActions/")
        .into_iter()
        .map(|c| c.raw)
        .collect();
    let encoded =
        |urn: &str| url::form_urlencoded::byte_serialize(urn.as_bytes()).collect::<String>();
    for under in [&s.other_post, &s.post, &s.fan, &s.own] {
        assert!(
            lists.contains(&format!(
                "/rest/socialActions/{}/comments?start=0&count=100",
                encoded(under)
            )),
            "{under}: {lists:?}"
        );
    }
    assert_eq!(
        lists.len(),
        4,
        "no nested list for a comment without answers: {lists:?}"
    );

    // Again with the cursor: nothing. New comments: those only.
    let again = read(&mut creds, page.cursor.as_deref()).await.unwrap();
    assert!(again.messages.is_empty(), "{:?}", ids(&again.messages));
    let late = add_comment(
        &fake,
        &s.other_post,
        "urn:li:person:fanF",
        "Et ensuite ?",
        2,
        Some(&s.lone),
    );
    let newer = add_comment(&fake, &s.post, "urn:li:person:fanG", "Complet ?", 1, None);
    let next = read(&mut creds, again.cursor.as_deref()).await.unwrap();
    assert_eq!(ids(&next.messages), [&late, &newer]);

    // A cursor that cannot be read: everything listed again (the store keeps one of each).
    let restarted = read(&mut creds, Some("w1 nope")).await.unwrap();
    assert_eq!(restarted.messages.len(), 6);
}

#[tokio::test]
async fn every_page_of_comments_is_read() {
    let (server, fake) = start().await;
    let post = add_post(&fake, ORG_URN, 1001, 600);
    let all: Vec<String> = (0..130)
        .map(|i| {
            add_comment(
                &fake,
                &post,
                &format!("urn:li:person:p{i}"),
                &format!("n°{i}"),
                500 - i,
                None,
            )
        })
        .collect();
    let mut creds = credentials(&server);
    let page = read(&mut creds, None).await.unwrap();
    assert_eq!(ids(&page.messages), all);
    let starts: Vec<String> = calls(&fake, "GET", "/rest/socialActions/")
        .iter()
        .map(|c| format!("{}/{}", c.query["start"], c.query["count"]))
        .collect();
    assert_eq!(starts, ["0/100", "100/100"]);

    let late = add_comment(&fake, &post, "urn:li:person:late", "Enfin", 1, None);
    let next = read(&mut creds, page.cursor.as_deref()).await.unwrap();
    assert_eq!(ids(&next.messages), [&late]);
}

#[tokio::test]
async fn tokens_limits_and_garbage() {
    let (server, fake) = start().await;
    let s = scene(&fake);
    let mut creds = credentials(&server);

    // An expired access token is renewed with the refresh token, and the read goes on.
    fake.lock().unwrap().access_token = "at-elsewhere".into();
    let page = read(&mut creds, None).await.unwrap();
    assert_eq!(page.messages.len(), 4);
    assert!(creds.changed);
    assert_eq!(creds.secret("access_token"), Some("at-r1"));
    assert_eq!(fake.lock().unwrap().refreshes, 1);

    // A revoked one whose refresh LinkedIn refuses: connect again.
    {
        let mut f = fake.lock().unwrap();
        f.access_token = "at-other".into();
        f.token_error = "REVOKED_ACCESS_TOKEN";
        f.refuse_refresh = true;
    }
    let err = read(&mut creds, None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("connect the channel again")),
        "{err}"
    );
    // No refresh token at all: the same, saying why.
    creds.secrets.remove("refresh_token");
    let err = read(&mut creds, None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("revoked") && m.contains("refresh token")),
        "{err}"
    );
    creds = credentials(&server);
    {
        let mut f = fake.lock().unwrap();
        f.access_token = "at-0".into();
        f.refuse_refresh = false;
    }

    let comments_of_post = format!("/rest/socialActions/{}/comments", s.post);
    inject(
        &fake,
        "GET",
        "/rest/posts",
        429,
        vec![("retry-after", "60".into())],
        r#"{"status": 429, "message": "Too many requests"}"#,
    );
    assert_eq!(
        read(&mut creds, None).await.unwrap_err(),
        NetworkError::RateLimited {
            retry_after: Some(Duration::from_secs(60))
        }
    );
    inject(&fake, "GET", &comments_of_post, 429, vec![], "{}");
    assert_eq!(
        read(&mut creds, None).await.unwrap_err(),
        NetworkError::RateLimited { retry_after: None }
    );
    inject(
        &fake,
        "GET",
        &comments_of_post,
        200,
        vec![],
        r#"{"elements": [{"actor": "#,
    );
    assert!(matches!(
        read(&mut creds, None).await.unwrap_err(),
        NetworkError::Transient(ref m) if m.contains("not JSON")
    ));
    inject(
        &fake,
        "GET",
        "/rest/posts",
        200,
        vec![],
        r#"{"paging": {}}"#,
    );
    assert!(matches!(
        read(&mut creds, None).await.unwrap_err(),
        NetworkError::Transient(ref m) if m.contains("`elements`")
    ));
    inject(
        &fake,
        "GET",
        &comments_of_post,
        503,
        vec![],
        "<html>Service unavailable</html>",
    );
    assert!(matches!(
        read(&mut creds, None).await.unwrap_err(),
        NetworkError::Transient(_)
    ));
    inject(
        &fake,
        "GET",
        "/rest/posts",
        403,
        vec![],
        r#"{"status": 403, "code": "ACCESS_DENIED", "message": "Not enough permissions to access: partnerApiPostsExternal.FINDER-author"}"#,
    );
    assert!(matches!(
        read(&mut creds, None).await.unwrap_err(),
        NetworkError::Unauthorized(ref m) if m.contains("administrator")
    ));

    // A post deleted while its comments are read: skipped, the others are read.
    inject(
        &fake,
        "GET",
        &comments_of_post,
        404,
        vec![],
        r#"{"status": 404, "message": "Not found"}"#,
    );
    let page = read(&mut creds, None).await.unwrap();
    assert_eq!(ids(&page.messages), [&s.lone]);
}

#[tokio::test]
async fn likes_and_deletions_use_the_documented_endpoints() {
    let (server, fake) = start().await;
    let s = scene(&fake);
    let mut creds = credentials(&server);
    let at = |urn: &str| PostRef {
        id: urn.into(),
        ..PostRef::default()
    };

    act(
        &mut creds,
        Interaction::Like {
            message: at(&s.fan),
        },
    )
    .await
    .unwrap();
    let likes = calls(&fake, "POST", "/rest/reactions");
    assert_eq!(likes.len(), 1);
    assert_eq!(
        likes[0].raw,
        "/rest/reactions?actor=urn%3Ali%3Aorganization%3A2414183"
    );
    assert_eq!(
        likes[0].body,
        json!({ "root": s.fan, "reactionType": "LIKE" })
    );
    assert_eq!(
        fake.lock().unwrap().reactions,
        [(ORG_URN.to_owned(), s.fan.clone())]
    );
    // Liked already: done.
    act(
        &mut creds,
        Interaction::Like {
            message: at(&s.fan),
        },
    )
    .await
    .unwrap();

    // Deleting the organisation's answer nested under the fan's comment, on the page's post.
    clear_log(&fake);
    act(
        &mut creds,
        Interaction::Delete {
            message: at(&s.nested_on_fan),
        },
    )
    .await
    .unwrap();
    let deletions = calls(&fake, "DELETE", "/rest/socialActions/");
    assert_eq!(deletions.len(), 1);
    let id = s
        .nested_on_fan
        .rsplit_once(',')
        .unwrap()
        .1
        .trim_end_matches(')');
    assert_eq!(
        deletions[0].raw,
        format!(
            "/rest/socialActions/urn%3Ali%3Aactivity%3A2001/comments/{id}?actor=urn%3Ali%3Aorganization%3A2414183"
        )
    );
    assert!(fake.lock().unwrap().comment(&s.nested_on_fan).is_none());
    // Gone already: what was asked.
    act(
        &mut creds,
        Interaction::Delete {
            message: at(&s.nested_on_fan),
        },
    )
    .await
    .unwrap();
    // A deleted comment cannot be liked: said so.
    let err = act(
        &mut creds,
        Interaction::Like {
            message: at(&s.nested_on_fan),
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("deleted")),
        "{err}"
    );

    // What LinkedIn's API does not offer is refused without a call.
    clear_log(&fake);
    let member = Author {
        id: "urn:li:person:fanA".into(),
        handle: "urn:li:person:fanA".into(),
        ..Author::default()
    };
    for interaction in [
        Interaction::Hide {
            message: at(&s.fan),
        },
        Interaction::Repost {
            message: at(&s.fan),
        },
        Interaction::Mute {
            author: member.clone(),
        },
        Interaction::Block {
            author: member.clone(),
            message: Some(at(&s.fan)),
        },
        Interaction::Report {
            message: at(&s.fan),
            author: member.clone(),
            reason: "spam".into(),
        },
    ] {
        let name = interaction.name();
        let err = act(&mut creds, interaction).await.unwrap_err();
        assert!(matches!(err, NetworkError::Unsupported(_)), "{name}: {err}");
    }
    assert!(fake.lock().unwrap().log.is_empty());
}

#[tokio::test]
async fn replies_from_the_inbox_nest_under_the_comment_answered() {
    let (server, fake) = start().await;
    let s = scene(&fake);
    let mut creds = credentials(&server);
    let page = read(&mut creds, None).await.unwrap();
    let message = |id: &str| {
        page.messages
            .iter()
            .find(|m| m.network_id == id)
            .unwrap()
            .clone()
    };
    // As the worker builds it: the parent is the fan's message (with its version).
    let target = |m: &IncomingMessage| ReplyTarget {
        parent: PublishedPost {
            id: m.network_id.clone(),
            version: m.version.clone(),
            url: m.url.clone().unwrap_or_default(),
        },
        root: PublishedPost {
            id: m.root.as_ref().unwrap().id.clone(),
            version: None,
            url: String::new(),
        },
    };
    let reply = |text: &str, to: ReplyTarget| OutgoingPost {
        text: text.into(),
        media: vec![],
        reply_to: Some(to),
        langs: vec!["fr".into()],
        idempotency_key: format!("k-{text}"),
        created_at_ms: now_ms(),
    };
    let li = LinkedIn::new(http());
    let parent_of = |urn: &str| {
        let f = fake.lock().unwrap();
        let c = f.comment(urn).unwrap();
        c.parent
            .map(|p| format!("urn:li:comment:({},{p})", c.activity))
    };

    // Under a top-level comment: nested under it.
    clear_log(&fake);
    let sent = li
        .publish(
            &mut creds,
            &reply("Sur notre site", target(&message(&s.fan))),
        )
        .await
        .unwrap();
    let posted = calls(&fake, "POST", "/rest/socialActions/");
    assert_eq!(posted.len(), 1);
    assert_eq!(
        posted[0].raw,
        format!(
            "/rest/socialActions/{}/comments",
            url::form_urlencoded::byte_serialize(s.fan.as_bytes()).collect::<String>()
        )
    );
    assert_eq!(
        posted[0].body,
        json!({ "actor": ORG_URN, "object": "urn:li:activity:2001",
                "message": { "text": "Sur notre site" }, "parentComment": s.fan })
    );
    assert_eq!(parent_of(&sent.id), Some(s.fan.clone()));
    assert_eq!(sent.version.as_deref(), Some(s.fan.as_str()));
    assert!(sent.url.contains("commentUrn="));
    // Found again after a crash, where it went.
    let found = li
        .find_published(
            &mut creds,
            &reply("Sur notre site", target(&message(&s.fan))),
        )
        .await
        .unwrap();
    assert_eq!(found.map(|f| f.id), Some(sent.id.clone()));

    // Under a nested comment: LinkedIn nests one level, so under its top-level comment.
    let sent = li
        .publish(
            &mut creds,
            &reply("Merci à vous", target(&message(&s.nested_on_fan))),
        )
        .await
        .unwrap();
    assert_eq!(parent_of(&sent.id), Some(s.fan.clone()));
    let sent = li
        .publish(
            &mut creds,
            &reply("Avec plaisir", target(&message(&s.nested_on_own))),
        )
        .await
        .unwrap();
    assert_eq!(parent_of(&sent.id), Some(s.own.clone()));

    // The page's answers are not inbox messages.
    let next = read(&mut creds, page.cursor.as_deref()).await.unwrap();
    assert!(next.messages.is_empty(), "{:?}", ids(&next.messages));

    // The comment was deleted meanwhile: said so.
    let lone = message(&s.lone);
    fake.lock().unwrap().comments.iter_mut().for_each(|c| {
        if c.urn() == s.lone {
            c.deleted = true;
        }
    });
    let err = li
        .publish(&mut creds, &reply("Trop tard", target(&lone)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("was deleted")),
        "{err}"
    );
}

#[test]
fn documented_answers_read_offline() {
    let messages = fuzzing::read_comments(include_bytes!("fixtures/inbox/linkedin_comments.json"));
    let top = "urn:li:comment:(urn:li:activity:6631349431612559360,6636062862760562688)";
    assert_eq!(
        ids(&messages),
        [
            top,
            "urn:li:comment:(urn:li:activity:6631349431612559360,6636062862760562695)",
            "urn:li:comment:(urn:li:activity:6631349431612559360,6636062862760562699)",
        ],
        "the organisation's own answer is left out"
    );
    assert_eq!(messages[0].kind, MessageKind::Comment);
    assert_eq!(messages[0].created_at, 1_770_000_000_000);
    assert_eq!(
        messages[0].parent.as_ref().map(|p| p.id.as_str()),
        Some("urn:li:share:1")
    );
    assert_eq!(messages[1].kind, MessageKind::Reply);
    assert_eq!(messages[1].version.as_deref(), Some(top));
    assert_eq!(
        messages[1].parent.as_ref().map(|p| p.id.as_str()),
        Some(top)
    );
    assert_eq!(messages[2].text, "Merci pour le partage");
    for garbage in [
        &b""[..],
        b"[]",
        b"{\"elements\": 3}",
        b"{\"elements\": [null, {\"created\": {}}]}",
    ] {
        assert!(fuzzing::read_comments(garbage).is_empty());
    }
}

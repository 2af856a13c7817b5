//! The Threads inbox against a small stateful fake of the Threads API, written from Meta's
//! documentation (developers.facebook.com/docs/threads):
//!
//! - `GET /{user-id}/threads` (the account's posts, newest first, `fields`, `limit`, with
//!   `has_replies` and reposts as `REPOST_FACADE`);
//! - `GET /{media-id}/conversation` (every reply under a post at any depth, flattened, newest
//!   first unless `reverse=false`; `replied_to` and `root_post` as `{"id"}`,
//!   `is_reply_owned_by_me`, `hide_status`, `username` and `permalink` for public profiles
//!   only; Graph paging with `cursors` and a `next` address while there is more);
//! - `GET /{user-id}/mentions` (newest first; paged by `before`/`after` cursors only, without
//!   `next`; code 10 without the `threads_manage_mentions` permission);
//! - `POST /{reply-id}/manage_reply` with `hide` (top-level replies to the account's posts
//!   only), answering `{"success": true}`;
//! - enough publishing for a reply: the quota, `POST /{user-id}/threads` with `reply_to_id`
//!   (100/33 when that post does not exist), the container's status, `threads_publish`;
//! - `access_token` in the query of a `GET` and the form of a `POST`; Graph errors
//!   (`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`, code 190 for an
//!   expired token); answers can be injected (429 with Retry-After, garbled JSON).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use common::{Injected, push_injected, take_injected};
use relais_networks::inbox::{
    self, Author, InboxPage, IncomingMessage, Interaction, MessageKind, PostRef,
};
use relais_networks::threads::Threads;
use relais_networks::threads::inbox::fuzzing;
use relais_networks::{
    Connector, Credentials, NetworkError, OutgoingPost, PublishedPost, ReplyTarget,
};
use relais_testkit::mock_http::MockHttp;
use serde_json::{Value, json};

const USER_ID: &str = "17841400000000001";
const BRAND: &str = "relais_app";
const TOKEN: &str = "long-lived-1";

struct Media {
    id: String,
    author: String,
    /// A private profile: Threads gives neither its username nor the post's address.
    private: bool,
    text: String,
    at: DateTime<Utc>,
    replied_to: Option<String>,
    root: Option<String>,
    media_type: &'static str,
    hidden: bool,
    deleted: bool,
}

struct Container {
    text: String,
    reply_to: Option<String>,
    published: Option<String>,
}

/// One request that passed the token check: its method, path under `/v1.0`, and parameters
/// (query and form).
#[derive(Clone, Debug)]
struct Call {
    method: String,
    path: String,
    params: HashMap<String, String>,
}

struct Fake {
    token: String,
    expired: bool,
    deny_mentions: bool,
    /// Items a page of a conversation or of mentions.
    page: usize,
    next_id: u64,
    media: Vec<Media>,
    containers: HashMap<String, Container>,
    inject: VecDeque<Injected>,
    log: Vec<Call>,
}

impl Default for Fake {
    fn default() -> Self {
        Self {
            token: TOKEN.into(),
            expired: false,
            deny_mentions: false,
            page: 25,
            next_id: 18_100_000_000_000_000,
            media: Vec::new(),
            containers: HashMap::new(),
            inject: VecDeque::new(),
            log: Vec::new(),
        }
    }
}

impl Fake {
    fn id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
    }

    fn live(&self, id: &str) -> Option<&Media> {
        self.media.iter().find(|m| m.id == id && !m.deleted)
    }

    fn json(&self, m: &Media, fields: &str) -> Value {
        let mut v = json!({ "id": m.id });
        for field in fields.split(',') {
            match field {
                "text" if !m.text.is_empty() => v["text"] = json!(m.text),
                "username" if !m.private => v["username"] = json!(m.author),
                "permalink" if !m.private => {
                    v["permalink"] = json!(format!(
                        "https://www.threads.com/@{}/post/C{}",
                        m.author, m.id
                    ))
                }
                "timestamp" => {
                    v["timestamp"] = json!(m.at.format("%Y-%m-%dT%H:%M:%S%z").to_string())
                }
                "media_type" => v["media_type"] = json!(m.media_type),
                "has_replies" => {
                    v["has_replies"] = json!(
                        self.media
                            .iter()
                            .any(|r| !r.deleted && r.replied_to.as_deref() == Some(&m.id))
                    )
                }
                "replied_to" => {
                    if let Some(p) = &m.replied_to {
                        v["replied_to"] = json!({ "id": p });
                    }
                }
                "root_post" => {
                    if let Some(r) = &m.root {
                        v["root_post"] = json!({ "id": r });
                    }
                }
                "is_reply_owned_by_me" if m.replied_to.is_some() => {
                    v["is_reply_owned_by_me"] = json!(m.author == BRAND)
                }
                "hide_status" if m.replied_to.is_some() => {
                    v["hide_status"] = json!(if m.hidden { "HIDDEN" } else { "NOT_HUSHED" })
                }
                _ => {}
            }
        }
        v
    }
}

type Shared = Arc<Mutex<Fake>>;

fn graph_error(status: u16, code: i64, subcode: Option<i64>, message: &str) -> Response {
    let mut e = json!({ "message": message, "type": "OAuthException", "code": code,
                        "fbtrace_id": "AbCdEfGh" });
    if let Some(s) = subcode {
        e["error_subcode"] = json!(s);
    }
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({ "error": e })),
    )
        .into_response()
}

fn missing(id: &str) -> Response {
    graph_error(
        400,
        100,
        Some(33),
        &format!(
            "Unsupported request. Object with ID '{id}' does not exist, cannot be loaded due to \
             missing permissions, or does not support this operation."
        ),
    )
}

/// A page of `items` from the offset in the `after` cursor; `next` only while more remain
/// (unless `cursors_only`, as the mentions edge answers: cursors on every page, no `next`).
fn page(
    items: Vec<Value>,
    params: &HashMap<String, String>,
    size: usize,
    cursors_only: bool,
) -> Response {
    let from: usize = params
        .get("after")
        .and_then(|a| a.strip_prefix("o"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let data: Vec<Value> = items.iter().skip(from).take(size).cloned().collect();
    let end = from + data.len();
    let mut body = json!({ "data": data });
    if !data.is_empty() {
        body["paging"] =
            json!({ "cursors": { "before": format!("o{from}"), "after": format!("o{end}") } });
        if end < items.len() && !cursors_only {
            body["paging"]["next"] =
                json!(format!("https://graph.threads.net/v1.0/…?after=o{end}"));
        }
    }
    axum::Json(body).into_response()
}

async fn graph(State(s): State<Shared>, method: Method, uri: Uri, body: Bytes) -> Response {
    let mut params: HashMap<String, String> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    if method == Method::POST {
        params.extend(url::form_urlencoded::parse(&body).into_owned());
    }
    let path = uri
        .path()
        .strip_prefix("/v1.0")
        .unwrap_or(uri.path())
        .to_owned();
    let mut fake = s.lock().unwrap();
    if params.get("access_token") != Some(&fake.token) {
        return graph_error(
            400,
            190,
            None,
            "Invalid OAuth access token - Cannot parse access token",
        );
    }
    if fake.expired {
        return graph_error(
            400,
            190,
            Some(463),
            "Error validating access token: Session has expired on Tuesday, 03-Mar-26.",
        );
    }
    fake.log.push(Call {
        method: method.to_string(),
        path: path.clone(),
        params: params.clone(),
    });
    if let Some(r) = take_injected(&mut fake.inject, method.as_str(), &path) {
        return r;
    }
    let fields = params.get("fields").cloned().unwrap_or_default();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["me"]) => axum::Json(json!({ "id": USER_ID, "username": BRAND })).into_response(),
        ("GET", [user, "threads"]) if *user == USER_ID => {
            let limit: usize = params
                .get("limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(25);
            let mut own: Vec<&Media> = fake
                .media
                .iter()
                .filter(|m| m.author == BRAND && m.replied_to.is_none() && !m.deleted)
                .collect();
            own.sort_by_key(|m| std::cmp::Reverse(m.at));
            let data: Vec<Value> = own
                .iter()
                .take(limit)
                .map(|m| fake.json(m, &fields))
                .collect();
            axum::Json(json!({ "data": data })).into_response()
        }
        ("GET", [user, "mentions"]) if *user == USER_ID => {
            if fake.deny_mentions {
                return graph_error(
                    403,
                    10,
                    None,
                    "Application does not have permission for this action",
                );
            }
            let mut found: Vec<&Media> = fake
                .media
                .iter()
                .filter(|m| !m.deleted && m.author != BRAND && m.text.contains("@relais_app"))
                .collect();
            found.sort_by_key(|m| std::cmp::Reverse(m.at));
            let items = found.iter().map(|m| fake.json(m, &fields)).collect();
            page(items, &params, fake.page, true)
        }
        ("GET", [id, "conversation"]) => {
            if fake.live(id).is_none() {
                return missing(id);
            }
            let mut replies: Vec<&Media> = fake
                .media
                .iter()
                .filter(|m| !m.deleted && m.root.as_deref() == Some(*id))
                .collect();
            replies.sort_by_key(|m| m.at);
            if params.get("reverse").is_none_or(|r| r == "true") {
                replies.reverse();
            }
            let items = replies.iter().map(|m| fake.json(m, &fields)).collect();
            page(items, &params, fake.page, false)
        }
        ("POST", [id, "manage_reply"]) => {
            let hide = params.get("hide").map(String::as_str) == Some("true");
            let Some(at) = fake.media.iter().position(|m| m.id == *id && !m.deleted) else {
                return missing(id);
            };
            let m = &fake.media[at];
            let root_owned = m
                .root
                .as_deref()
                .and_then(|r| fake.live(r))
                .is_some_and(|r| r.author == BRAND);
            if m.replied_to.is_none() || !root_owned {
                return graph_error(400, 100, None, "The media is not a reply to your post.");
            }
            if m.replied_to != m.root {
                return graph_error(
                    400,
                    100,
                    None,
                    "Replies nested deeper than the top-level reply cannot be hidden.",
                );
            }
            fake.media[at].hidden = hide;
            axum::Json(json!({ "success": true })).into_response()
        }
        ("GET", [user, "threads_publishing_limit"]) if *user == USER_ID => axum::Json(json!({
            "data": [{ "reply_quota_usage": 0,
                       "reply_config": { "quota_total": 1000, "quota_duration": 86400 },
                       "quota_usage": 0,
                       "config": { "quota_total": 250, "quota_duration": 86400 } }]
        }))
        .into_response(),
        ("POST", [user, "threads"]) if *user == USER_ID => {
            if params.get("media_type").map(String::as_str) != Some("TEXT") {
                return graph_error(400, 100, None, "This fake takes text posts only.");
            }
            let reply_to = params.get("reply_to_id").cloned();
            if let Some(p) = &reply_to
                && fake.live(p).is_none()
            {
                return missing(p);
            }
            let id = fake.id();
            let text = params.get("text").cloned().unwrap_or_default();
            fake.containers.insert(
                id.clone(),
                Container {
                    text,
                    reply_to,
                    published: None,
                },
            );
            axum::Json(json!({ "id": id })).into_response()
        }
        ("POST", [user, "threads_publish"]) if *user == USER_ID => {
            let creation = params.get("creation_id").cloned().unwrap_or_default();
            let Some(c) = fake.containers.get(&creation) else {
                return missing(&creation);
            };
            let (text, reply_to) = (c.text.clone(), c.reply_to.clone());
            let root = reply_to.as_deref().map(|p| {
                fake.live(p)
                    .and_then(|m| m.root.clone())
                    .unwrap_or_else(|| p.to_owned())
            });
            let id = fake.id();
            fake.media.push(Media {
                id: id.clone(),
                author: BRAND.into(),
                private: false,
                text,
                at: Utc::now(),
                replied_to: reply_to,
                root,
                media_type: "TEXT_POST",
                hidden: false,
                deleted: false,
            });
            if let Some(c) = fake.containers.get_mut(&creation) {
                c.published = Some(id.clone());
            }
            axum::Json(json!({ "id": id })).into_response()
        }
        ("GET", [id]) => {
            if let Some(c) = fake.containers.get(*id) {
                let status = if c.published.is_some() {
                    "PUBLISHED"
                } else {
                    "FINISHED"
                };
                return axum::Json(json!({ "id": id, "status": status })).into_response();
            }
            match fake.live(id) {
                Some(m) => axum::Json(fake.json(m, &fields)).into_response(),
                None => missing(id),
            }
        }
        _ => graph_error(400, 100, None, "Unsupported request."),
    }
}

async fn start() -> (MockHttp, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Fake::default()));
    let router = Router::new().fallback(graph).with_state(shared.clone());
    (MockHttp::start(router).await, shared)
}

fn credentials(server: &MockHttp) -> Credentials {
    Credentials {
        settings: json!({ "api_base": server.url("/v1.0"), "client_id": "990602627938098" }),
        secrets: [
            ("access_token".to_owned(), TOKEN.to_owned()),
            ("user_id".to_owned(), USER_ID.to_owned()),
            ("username".to_owned(), BRAND.to_owned()),
        ]
        .into(),
        changed: false,
    }
}

fn http() -> relais_outbound::HttpClient {
    common::client(Duration::from_secs(10))
}

async fn read(creds: &mut Credentials, cursor: Option<&str>) -> Result<InboxPage, NetworkError> {
    inbox::read("threads", &http(), creds, cursor).await
}

async fn act(creds: &mut Credentials, interaction: Interaction) -> Result<(), NetworkError> {
    inbox::act("threads", &http(), creds, &interaction).await
}

fn ago(minutes: i64) -> DateTime<Utc> {
    Utc::now() - chrono::Duration::minutes(minutes)
}

/// A post by `author` `minutes` ago, answering `parent` (none for a top-level post); its id.
fn add(fake: &Shared, author: &str, text: &str, minutes: i64, parent: Option<&str>) -> String {
    let mut f = fake.lock().unwrap();
    let id = f.id();
    let root = parent.map(|p| {
        f.live(p)
            .and_then(|m| m.root.clone())
            .unwrap_or_else(|| p.to_owned())
    });
    f.media.push(Media {
        id: id.clone(),
        author: author.into(),
        private: false,
        text: text.into(),
        at: ago(minutes),
        replied_to: parent.map(str::to_owned),
        root,
        media_type: "TEXT_POST",
        hidden: false,
        deleted: false,
    });
    id
}

fn ids(messages: &[IncomingMessage]) -> Vec<&str> {
    messages.iter().map(|m| m.network_id.as_str()).collect()
}

fn calls(fake: &Shared, method: &str, suffix: &str) -> Vec<Call> {
    fake.lock()
        .unwrap()
        .log
        .iter()
        .filter(|c| c.method == method && c.path.ends_with(suffix))
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

fn post_url(author: &str, id: &str) -> Option<String> {
    Some(format!("https://www.threads.com/@{author}/post/C{id}"))
}

/// The brand's posts and what fans did with them.
struct Scene {
    post: String,
    quiet: String,
    first: String,
    brand_answer: String,
    follow_up: String,
    private: String,
    mention: String,
}

async fn scene(fake: &Shared) -> Scene {
    let post = add(fake, BRAND, "La version 2 arrive", 300, None);
    let quiet = add(fake, BRAND, "Un post sans réponse", 290, None);
    // The brand's repost of another account's post.
    let repost = add(fake, BRAND, "", 280, None);
    fake.lock().unwrap().media.last_mut().unwrap().media_type = "REPOST_FACADE";
    let first = add(fake, "fan.one", "Quand ça ?", 240, Some(&post));
    let brand_answer = add(fake, BRAND, "Bientôt !", 230, Some(&first));
    let follow_up = add(
        fake,
        "fan.two",
        "@relais_app une date ?",
        220,
        Some(&brand_answer),
    );
    let private = add(fake, "secret.fan", "", 210, Some(&post));
    fake.lock().unwrap().media.last_mut().unwrap().private = true;
    let mention = add(
        fake,
        "asso.quartier",
        "Merci @relais_app pour l'atelier",
        200,
        None,
    );
    let _ = repost;
    Scene {
        post,
        quiet,
        first,
        brand_answer,
        follow_up,
        private,
        mention,
    }
}

#[tokio::test]
async fn replies_and_mentions_are_read_once_in_their_threads() {
    let (server, fake) = start().await;
    let s = scene(&fake).await;
    let mut creds = credentials(&server);

    let page = read(&mut creds, None).await.unwrap();
    assert_eq!(
        ids(&page.messages),
        [&s.first, &s.follow_up, &s.private, &s.mention],
        "oldest first, the brand's own answer left out, the reply that names the brand once"
    );
    let by_id = |id: &str| page.messages.iter().find(|m| m.network_id == id).unwrap();

    let first = by_id(&s.first);
    assert_eq!(first.kind, MessageKind::Reply);
    assert_eq!(first.text, "Quand ça ?");
    assert_eq!(first.url, post_url("fan.one", &s.first));
    assert_eq!(
        first.author,
        Author {
            id: "fan.one".into(),
            handle: "fan.one".into(),
            profile_url: Some("https://www.threads.com/@fan.one".into()),
            ..Author::default()
        }
    );
    let brand_post = PostRef {
        id: s.post.clone(),
        version: None,
        url: post_url(BRAND, &s.post),
    };
    assert_eq!(first.parent.as_ref(), Some(&brand_post));
    assert_eq!(first.root.as_ref(), Some(&brand_post));
    let expected_at = fake.lock().unwrap().live(&s.first).unwrap().at.timestamp() * 1000;
    assert_eq!(first.created_at, expected_at);

    // A reply to the brand's answer: its parent is that answer, its root the brand's post.
    let follow_up = by_id(&s.follow_up);
    assert_eq!(follow_up.kind, MessageKind::Reply);
    assert_eq!(
        follow_up.parent.as_ref(),
        Some(&PostRef {
            id: s.brand_answer.clone(),
            version: None,
            url: post_url(BRAND, &s.brand_answer),
        })
    );
    assert_eq!(
        follow_up.root.as_ref().map(|r| r.id.as_str()),
        Some(s.post.as_str())
    );

    // A private profile: no name, no address; still in the inbox.
    let private = by_id(&s.private);
    assert_eq!(
        (private.author.clone(), private.url.clone()),
        (Author::default(), None)
    );

    let mention = by_id(&s.mention);
    assert_eq!(mention.kind, MessageKind::Mention);
    assert_eq!((mention.parent.clone(), mention.root.clone()), (None, None));
    assert_eq!(mention.author.handle, "asso.quartier");

    // What was asked: the newest posts, the conversation of the one with replies only (not
    // the quiet post, not the repost), newest first, and the mentions.
    let posts = calls(&fake, "GET", &format!("/{USER_ID}/threads"));
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].params["limit"], "25");
    assert!(posts[0].params["fields"].contains("has_replies"));
    let conversations = calls(&fake, "GET", "/conversation");
    assert_eq!(conversations.len(), 1, "{conversations:?}");
    assert_eq!(conversations[0].path, format!("/{}/conversation", s.post));
    assert_eq!(conversations[0].params["reverse"], "true");
    for field in [
        "replied_to",
        "root_post",
        "is_reply_owned_by_me",
        "username",
        "timestamp",
    ] {
        assert!(conversations[0].params["fields"].contains(field), "{field}");
    }
    assert!(calls(&fake, "GET", &format!("/{}/conversation", s.quiet)).is_empty());
    assert_eq!(calls(&fake, "GET", "/mentions").len(), 1);

    // Again with the cursor: nothing. A new reply: that one only.
    let again = read(&mut creds, page.cursor.as_deref()).await.unwrap();
    assert!(again.messages.is_empty(), "{:?}", ids(&again.messages));
    let late = add(&fake, "fan.three", "Et sur Android ?", 5, Some(&s.post));
    let next = read(&mut creds, again.cursor.as_deref()).await.unwrap();
    assert_eq!(ids(&next.messages), [&late]);

    // A cursor that cannot be read: the newest pages again (the store keeps one of each).
    let restarted = read(&mut creds, Some("not a cursor")).await.unwrap();
    assert_eq!(restarted.messages.len(), 5);
}

#[tokio::test]
async fn pages_back_to_the_cursor_and_no_further() {
    let (server, fake) = start().await;
    fake.lock().unwrap().page = 2;
    let post = add(&fake, BRAND, "Votre avis ?", 600, None);
    let old: Vec<String> = (0..5)
        .map(|i| {
            add(
                &fake,
                "fan.old",
                &format!("ancien {i}"),
                500 - i * 10,
                Some(&post),
            )
        })
        .collect();
    let mut creds = credentials(&server);

    // A first read takes the newest page only.
    let first = read(&mut creds, None).await.unwrap();
    assert_eq!(ids(&first.messages), [&old[3], &old[4]]);
    assert_eq!(calls(&fake, "GET", "/conversation").len(), 1);

    // Five new replies and three new mentions: every page newer than the cursor is read,
    // the first page that reaches behind it is the last.
    let new: Vec<String> = (0..5)
        .map(|i| {
            add(
                &fake,
                "fan.new",
                &format!("nouveau {i}"),
                100 - i * 10,
                Some(&post),
            )
        })
        .collect();
    let mentions: Vec<String> = (0..3)
        .map(|i| {
            add(
                &fake,
                "fan.tag",
                &format!("@relais_app {i}"),
                95 - i * 10,
                None,
            )
        })
        .collect();
    clear_log(&fake);
    let second = read(&mut creds, first.cursor.as_deref()).await.unwrap();
    let mut expected: Vec<&String> = new.iter().chain(mentions.iter()).collect();
    let at = |id: &str| fake.lock().unwrap().live(id).unwrap().at;
    expected.sort_by_key(|id| at(id));
    assert_eq!(ids(&second.messages), expected);
    // Pages of two, newest first: the new five, then the newest old one (seen already, in
    // the quarter of an hour looked at again), then a page that reaches behind that: the last.
    let pages = calls(&fake, "GET", "/conversation");
    assert_eq!(
        pages
            .iter()
            .map(|c| c.params.get("after").cloned())
            .collect::<Vec<_>>(),
        [
            None,
            Some("o2".into()),
            Some("o4".into()),
            Some("o6".into())
        ]
    );
    // Mentions carry no `next`: their `after` cursor leads on until a page is empty.
    let mention_pages = calls(&fake, "GET", "/mentions");
    assert_eq!(
        mention_pages
            .iter()
            .map(|c| c.params.get("after").cloned())
            .collect::<Vec<_>>(),
        [None, Some("o2".into()), Some("o3".into())]
    );
    // The old replies behind the cursor were not read again.
    assert!(second.messages.iter().all(|m| !old.contains(&m.network_id)));
}

#[tokio::test]
async fn refusals_limits_and_garbage() {
    let (server, fake) = start().await;
    let post = add(&fake, BRAND, "Bonjour", 100, None);
    let other = add(&fake, BRAND, "Re-bonjour", 90, None);
    let reply = add(&fake, "fan.one", "Salut", 80, Some(&post));
    let kept = add(&fake, "fan.two", "Coucou", 70, Some(&other));
    let mut creds = credentials(&server);

    // An expired token: connect again (Meta does not renew an expired one).
    fake.lock().unwrap().expired = true;
    let err = read(&mut creds, None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("connect the channel again")
            && m.contains("190/463")),
        "{err}"
    );
    fake.lock().unwrap().expired = false;

    // Too many calls, with or without a wait.
    let threads_path = format!("/{USER_ID}/threads");
    inject(
        &fake,
        "GET",
        &threads_path,
        429,
        vec![("retry-after", "30".into())],
        "{}",
    );
    assert_eq!(
        read(&mut creds, None).await.unwrap_err(),
        NetworkError::RateLimited {
            retry_after: Some(Duration::from_secs(30))
        }
    );
    let conversation = format!("/{post}/conversation");
    inject(
        &fake,
        "GET",
        &conversation,
        400,
        vec![],
        r#"{"error": {"message": "Application request limit reached", "type": "OAuthException", "code": 4}}"#,
    );
    assert!(matches!(
        read(&mut creds, None).await.unwrap_err(),
        NetworkError::RateLimited { .. }
    ));

    // Garbage: not JSON, or JSON without `data`.
    inject(
        &fake,
        "GET",
        &conversation,
        200,
        vec![],
        r#"{"data": [{"id": "1"#,
    );
    assert!(matches!(
        read(&mut creds, None).await.unwrap_err(),
        NetworkError::Transient(ref m) if m.contains("not JSON")
    ));
    inject(&fake, "GET", &threads_path, 200, vec![], r#"{"posts": []}"#);
    assert!(matches!(
        read(&mut creds, None).await.unwrap_err(),
        NetworkError::Transient(ref m) if m.contains("`data`")
    ));
    inject(
        &fake,
        "GET",
        &conversation,
        502,
        vec![],
        "<html>Bad gateway</html>",
    );
    assert!(matches!(
        read(&mut creds, None).await.unwrap_err(),
        NetworkError::Transient(_)
    ));

    // A post deleted while its replies are read: skipped, the others are read.
    inject(
        &fake,
        "GET",
        &conversation,
        400,
        vec![],
        r#"{"error": {"message": "Object does not exist", "type": "GraphMethodException", "code": 100, "error_subcode": 33}}"#,
    );
    let page = read(&mut creds, None).await.unwrap();
    assert_eq!(ids(&page.messages), [&kept]);

    // Without the mentions permission: the replies still come.
    fake.lock().unwrap().deny_mentions = true;
    let page = read(&mut creds, None).await.unwrap();
    assert_eq!(ids(&page.messages), [&reply, &kept]);
    // A token Threads does not know at all.
    creds.secrets.insert("access_token".into(), "forged".into());
    assert!(matches!(
        read(&mut creds, None).await.unwrap_err(),
        NetworkError::Unauthorized(_)
    ));
}

#[tokio::test]
async fn hiding_asks_manage_reply_and_the_rest_is_not_offered() {
    let (server, fake) = start().await;
    let post = add(&fake, BRAND, "Bonjour", 100, None);
    let top = add(&fake, "troll", "Nul", 90, Some(&post));
    let nested = add(&fake, "troll2", "Oui nul", 80, Some(&top));
    let elsewhere = add(&fake, "someone", "Mon post", 70, None);
    let theirs = add(&fake, "troll", "Réponse ailleurs", 60, Some(&elsewhere));
    let mut creds = credentials(&server);
    let at = |id: &str| PostRef {
        id: id.into(),
        ..PostRef::default()
    };

    act(&mut creds, Interaction::Hide { message: at(&top) })
        .await
        .unwrap();
    let hides = calls(&fake, "POST", "/manage_reply");
    assert_eq!(hides.len(), 1);
    assert_eq!(hides[0].path, format!("/{top}/manage_reply"));
    assert_eq!(hides[0].params["hide"], "true");
    assert!(fake.lock().unwrap().live(&top).unwrap().hidden);

    // Threads hides top-level replies to the account's own posts only: said so.
    for id in [&nested, &theirs] {
        let err = act(&mut creds, Interaction::Hide { message: at(id) })
            .await
            .unwrap_err();
        assert!(
            matches!(err, NetworkError::Rejected(ref m) if m.contains("replies made directly")),
            "{err}"
        );
    }
    // A reply deleted since.
    fake.lock().unwrap().media.iter_mut().for_each(|m| {
        if m.id == top {
            m.deleted = true;
        }
    });
    let err = act(&mut creds, Interaction::Hide { message: at(&top) })
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("deleted")),
        "{err}"
    );

    // What the API does not offer is refused without a call.
    clear_log(&fake);
    let fan = Author {
        id: "troll".into(),
        handle: "troll".into(),
        ..Author::default()
    };
    for interaction in [
        Interaction::Like {
            message: at(&nested),
        },
        Interaction::Repost {
            message: at(&nested),
        },
        Interaction::Delete {
            message: at(&nested),
        },
        Interaction::Mute {
            author: fan.clone(),
        },
        Interaction::Block {
            author: fan.clone(),
            message: Some(at(&nested)),
        },
        Interaction::Report {
            message: at(&nested),
            author: fan.clone(),
            reason: "insultes".into(),
        },
    ] {
        let name = interaction.name();
        let err = act(&mut creds, interaction).await.unwrap_err();
        assert!(
            matches!(err, NetworkError::Unsupported(ref m) if m.contains("Threads")),
            "{name}: {err}"
        );
    }
    assert!(fake.lock().unwrap().log.is_empty());
}

#[tokio::test]
async fn a_reply_from_the_inbox_goes_under_the_fans_reply() {
    let (server, fake) = start().await;
    let s = scene(&fake).await;
    let mut creds = credentials(&server);
    let page = read(&mut creds, None).await.unwrap();
    let follow_up = page
        .messages
        .iter()
        .find(|m| m.network_id == s.follow_up)
        .unwrap();

    // As the worker builds it: the parent is the fan's message, the root its thread's.
    let as_published = |r: &PostRef| PublishedPost {
        id: r.id.clone(),
        version: r.version.clone(),
        url: r.url.clone().unwrap_or_default(),
    };
    let target = ReplyTarget {
        parent: PublishedPost {
            id: follow_up.network_id.clone(),
            version: follow_up.version.clone(),
            url: follow_up.url.clone().unwrap_or_default(),
        },
        root: as_published(follow_up.root.as_ref().unwrap()),
    };
    let outgoing = |text: &str, target: ReplyTarget| OutgoingPost {
        text: text.into(),
        media: vec![],
        reply_to: Some(target),
        langs: vec!["fr".into()],
        idempotency_key: format!("k-{text}"),
        created_at_ms: Utc::now().timestamp_millis(),
    };
    let threads =
        Threads::new(http()).with_polling(Duration::from_millis(5), Duration::from_secs(2));
    let sent = threads
        .publish(&mut creds, &outgoing("Le 12 mars !", target.clone()))
        .await
        .unwrap();
    let containers = calls(&fake, "POST", &format!("/{USER_ID}/threads"));
    assert_eq!(containers.len(), 1);
    assert_eq!(
        containers[0].params.get("reply_to_id"),
        Some(&s.follow_up),
        "under the fan's reply, not the thread's root"
    );
    {
        let f = fake.lock().unwrap();
        let made = f.live(&sent.id).unwrap();
        assert_eq!(made.replied_to.as_deref(), Some(s.follow_up.as_str()));
        assert_eq!(made.root.as_deref(), Some(s.post.as_str()));
    }
    // The brand's reply is not an inbox message.
    let next = read(&mut creds, page.cursor.as_deref()).await.unwrap();
    assert!(next.messages.is_empty(), "{:?}", ids(&next.messages));

    // The fan deleted their reply meanwhile: said so, nothing published.
    fake.lock().unwrap().media.iter_mut().for_each(|m| {
        if m.id == s.follow_up {
            m.deleted = true;
        }
    });
    let err = threads
        .publish(&mut creds, &outgoing("Trop tard", target))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("was deleted")),
        "{err}"
    );
    assert_eq!(calls(&fake, "POST", "/threads_publish").len(), 1);
}

#[test]
fn documented_answers_read_offline() {
    let conversation =
        fuzzing::read_conversation(include_bytes!("fixtures/inbox/threads_conversation.json"));
    assert_eq!(
        ids(&conversation),
        [
            "18050000000000003",
            "18050000000000001",
            "18050000000000000"
        ],
        "the brand's own reply is left out"
    );
    let nested = &conversation[0];
    assert_eq!(
        nested.parent.as_ref().map(|p| p.id.as_str()),
        Some("18050000000000002")
    );
    assert_eq!(
        nested.parent.as_ref().and_then(|p| p.url.as_deref()),
        Some("https://www.threads.com/@relais_app/post/C2xyz")
    );
    assert_eq!(nested.root.as_ref().map(|r| r.id.as_str()), Some("100"));
    assert_eq!(nested.created_at, 1_772_443_800_000);
    let image_only = &conversation[2];
    assert_eq!(
        (image_only.text.as_str(), image_only.author.id.as_str()),
        ("", "")
    );

    let mentions = fuzzing::read_mentions(include_bytes!("fixtures/inbox/threads_mentions.json"));
    assert_eq!(ids(&mentions), ["18060000000000002", "18060000000000001"]);
    assert!(mentions.iter().all(|m| m.kind == MessageKind::Mention));
    assert_eq!(mentions[0].parent, None);
    assert_eq!(
        mentions[1].parent.as_ref().map(|p| p.id.as_str()),
        Some("17990000000000005")
    );
    assert_eq!(
        mentions[1].root.as_ref().map(|p| p.id.as_str()),
        Some("17990000000000001")
    );

    for garbage in [
        &b""[..],
        b"[]",
        b"{\"data\": 3}",
        b"{\"data\": [null, 1, \"x\"]}",
    ] {
        assert!(fuzzing::read_conversation(garbage).is_empty());
        assert!(fuzzing::read_mentions(garbage).is_empty());
    }
}

//! The Facebook Page and Instagram inboxes, and the answers published from them, against a
//! small stateful fake of the Graph API endpoints they use, written from Meta's documentation:
//! versioned paths (`/v21.0/…`); the Page token in an `Authorization: Bearer` header (one in the
//! query string is refused, to prove none is sent there); errors as `{"error": {"message",
//! "type", "code", "error_subcode", "fbtrace_id"}}` (190 for a token revoked, 4/17/32 for rate
//! limits, 100 for an object that does not exist, 200 for a missing permission); the `fields`
//! parameter honoured (only what is asked for comes back) with field expansion and its
//! modifiers (`comments.filter(stream).order(reverse_chronological).limit(50){…}`); lists paged
//! by `limit` and `after` cursors with `paging.next` carrying the token, as Graph's do, nested
//! lists included (their `next` pointing at the edge itself: `/{post-id}/comments`).
//!
//! Facebook: a Page's `feed` (its posts and visitors'), comments of every level (`parent`) with
//! `filter=stream`, `tagged`, Messenger `conversations` and `messages` (needing
//! `pages_messaging`), `POST /{id}/comments` on a post or a comment, `POST /{comment-id}`
//! `is_hidden`, `DELETE`, `POST /{id}/likes`, `POST /{page-id}/blocked`, and the Send API
//! (`POST /{page-id}/messages`, with its 24-hour window). Instagram: the account's `media`,
//! top-level `comments` (newest first) with their `replies` (oldest first, one level: a reply
//! to a reply is refused), `POST /{ig-comment-id}/replies`, `POST /{ig-comment-id}` `hide`,
//! `DELETE`.
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
use relais_networks::inbox::{
    self, Author, InboxPage, IncomingMessage, Interaction, MessageKind, PostRef,
};
use relais_networks::meta::inbox::fuzzing;
use relais_networks::meta::{Facebook, Instagram};
use relais_networks::{
    Connector, Credentials, NetworkError, OutgoingPost, PublishedPost, ReplyTarget,
};
use relais_testkit::mock_http::MockHttp;
use serde_json::{Map, Value, json};

const VERSION: &str = "v21.0";
const PAGE_ID: &str = "105000000000001";
const PAGE_NAME: &str = "Café Relais";
const PAGE_TOKEN: &str = "EAAPageToken0";
const IG_ID: &str = "17841400000000001";
const IG_USERNAME: &str = "cafe.relais";
/// 2025-03-01T10:00:00Z: the fans write from then on.
const T0: i64 = 1_740_823_200;

// ---------------------------------------------------------------------------------------------
// The fake's state.

#[derive(Clone, Debug)]
struct Who {
    id: String,
    name: String,
}

fn who(id: &str, name: &str) -> Who {
    Who {
        id: id.into(),
        name: name.into(),
    }
}

fn page() -> Who {
    who(PAGE_ID, PAGE_NAME)
}

fn account() -> Who {
    who(IG_ID, IG_USERNAME)
}

struct Post {
    id: String,
    from: Who,
    message: String,
    created: i64,
    /// On the Page's feed (its own or a visitor's); otherwise a post elsewhere tagging it.
    on_page: bool,
    likes: u32,
}

struct FbComment {
    id: String,
    post: String,
    parent: Option<String>,
    from: Who,
    message: String,
    created: i64,
    hidden: bool,
    deleted: bool,
    likes: u32,
}

struct Msg {
    id: String,
    from: Who,
    text: String,
    created: i64,
}

struct Conversation {
    id: String,
    with: Who,
    messages: Vec<Msg>,
}

struct Media {
    id: String,
    created: i64,
}

struct IgComment {
    id: String,
    media: String,
    /// The top-level comment a reply sits under.
    top: Option<String>,
    from: Who,
    text: String,
    created: i64,
    hidden: bool,
    deleted: bool,
}

/// An answer served instead of the endpoint's, once, for the first request to `route`
/// (`METHOD /path`, without the version).
struct Injected {
    route: String,
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

/// A request that passed the gate: what the assertions look at.
#[derive(Clone, Debug)]
struct Call {
    route: String,
    query: HashMap<String, String>,
    form: HashMap<String, String>,
}

struct Fake {
    token: String,
    /// The token carries `pages_messaging`.
    messaging: bool,
    /// Messenger's 24 hours since the person's last message are over.
    window_closed: bool,
    next_id: u64,
    posts: Vec<Post>,
    comments: Vec<FbComment>,
    conversations: Vec<Conversation>,
    media: Vec<Media>,
    ig_comments: Vec<IgComment>,
    blocked: Vec<String>,
    inject: VecDeque<Injected>,
    log: Vec<Call>,
}

impl Fake {
    fn new() -> Self {
        Self {
            token: PAGE_TOKEN.into(),
            messaging: true,
            window_closed: false,
            next_id: 900_000,
            posts: Vec::new(),
            comments: Vec::new(),
            conversations: Vec::new(),
            media: Vec::new(),
            ig_comments: Vec::new(),
            blocked: Vec::new(),
            inject: VecDeque::new(),
            log: Vec::new(),
        }
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn post(&mut self, id: &str, from: Who, message: &str, created: i64, on_page: bool) {
        self.posts.push(Post {
            id: id.into(),
            from,
            message: message.into(),
            created,
            on_page,
            likes: 0,
        });
    }

    fn comment(
        &mut self,
        id: &str,
        post: &str,
        parent: Option<&str>,
        from: Who,
        message: &str,
        created: i64,
    ) {
        self.comments.push(FbComment {
            id: id.into(),
            post: post.into(),
            parent: parent.map(str::to_owned),
            from,
            message: message.into(),
            created,
            hidden: false,
            deleted: false,
            likes: 0,
        });
    }

    fn ig_comment(
        &mut self,
        id: &str,
        media: &str,
        top: Option<&str>,
        from: Who,
        text: &str,
        created: i64,
    ) {
        self.ig_comments.push(IgComment {
            id: id.into(),
            media: media.into(),
            top: top.map(str::to_owned),
            from,
            text: text.into(),
            created,
            hidden: false,
            deleted: false,
        });
    }

    fn live_post(&self, id: &str) -> Option<&Post> {
        self.posts.iter().find(|p| p.id == id)
    }

    fn live_comment(&self, id: &str) -> Option<&FbComment> {
        self.comments.iter().find(|c| c.id == id && !c.deleted)
    }

    fn live_ig_comment(&self, id: &str) -> Option<&IgComment> {
        self.ig_comments.iter().find(|c| c.id == id && !c.deleted)
    }

    fn calls(&self, route: &str) -> Vec<Call> {
        self.log
            .iter()
            .filter(|c| c.route == route)
            .cloned()
            .collect()
    }
}

type Shared = Arc<Mutex<Fake>>;

// ---------------------------------------------------------------------------------------------
// Graph's shapes: times, errors, fields, lists.

fn graph_time(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S+0000")
        .to_string()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn error(status: u16, code: i64, subcode: Option<i64>, message: &str) -> Response {
    let mut e = json!({ "message": message, "type": "OAuthException", "code": code,
                        "fbtrace_id": "AbCdEfGh123" });
    if let Some(s) = subcode {
        e["error_subcode"] = json!(s);
    }
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({ "error": e })),
    )
        .into_response()
}

/// Graph's answer for an id that is not there; Facebook's comes here without a subcode,
/// Instagram's with 33, to cover both.
fn missing(verb: &str, id: &str, subcode: Option<i64>) -> Response {
    error(
        400,
        100,
        subcode,
        &format!(
            "Unsupported {verb} request. Object with ID '{id}' does not exist, cannot be loaded \
             due to missing permissions, or does not support this operation. Please read the \
             Graph API documentation at https://developers.facebook.com/docs/graph-api"
        ),
    )
}

fn ok(v: Value) -> Response {
    axum::Json(v).into_response()
}

/// One requested field: `name`, its modifiers (`.limit(50)`), its sub-fields (`{…}`).
#[derive(Clone, Debug)]
struct Field {
    name: String,
    modifiers: Vec<(String, String)>,
    sub: Option<String>,
}

impl Field {
    fn modifier(&self, key: &str) -> Option<&str> {
        self.modifiers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// `a,b{c,d},e.limit(2){f}` split at the commas outside braces and parentheses.
fn parse_fields(fields: &str) -> Vec<Field> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, ch) in fields.char_indices() {
        match ch {
            '{' | '(' => depth += 1,
            '}' | ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&fields[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&fields[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|part| {
            let (head, sub) = match part.find('{') {
                Some(i) => (
                    &part[..i],
                    Some(part[i + 1..].strip_suffix('}').unwrap().to_owned()),
                ),
                None => (part, None),
            };
            let mut pieces = head.split('.');
            let name = pieces.next().unwrap().to_owned();
            let modifiers = pieces
                .map(|m| {
                    let (k, v) = m.split_once('(').unwrap();
                    (k.to_owned(), v.trim_end_matches(')').to_owned())
                })
                .collect();
            Field {
                name,
                modifiers,
                sub,
            }
        })
        .collect()
}

/// `v` with only the fields asked for (and `id`, which Graph always gives).
fn select(v: &Value, fields: &[Field]) -> Value {
    let Value::Object(map) = v else {
        return v.clone();
    };
    let mut out = Map::new();
    if let Some(id) = map.get("id") {
        out.insert("id".into(), id.clone());
    }
    for f in fields {
        if let Some(x) = map.get(&f.name) {
            let x = match &f.sub {
                Some(sub) if x.is_object() => select(x, &parse_fields(sub)),
                _ => x.clone(),
            };
            out.insert(f.name.clone(), x);
        }
    }
    Value::Object(out)
}

fn cursor(n: usize) -> String {
    format!("QVFI{n}")
}

fn uncursor(c: &str) -> usize {
    c.strip_prefix("QVFI")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A page of `items` from `after`, with Graph's paging; `next` reads the following page from
/// `path` with `params` (and the token, as Graph's addresses carry it).
fn graph_list(
    items: &[Value],
    limit: usize,
    after: usize,
    base: &str,
    path: &str,
    params: &[(String, String)],
) -> Value {
    let page: Vec<Value> = items.iter().skip(after).take(limit).cloned().collect();
    let mut paging = json!({ "cursors": { "before": cursor(after),
                                          "after": cursor(after + page.len()) } });
    if after + limit < items.len() {
        let mut next = url::Url::parse(&format!("{base}/{VERSION}{path}")).unwrap();
        {
            let mut pairs = next.query_pairs_mut();
            pairs.append_pair("access_token", PAGE_TOKEN);
            for (k, v) in params {
                pairs.append_pair(k, v);
            }
            pairs.append_pair("after", &cursor(after + limit));
        }
        paging["next"] = json!(next.as_str());
    }
    json!({ "data": page, "paging": paging })
}

/// A list asked for directly: `limit` and `after` from the query.
fn top_list(items: &[Value], q: &HashMap<String, String>, base: &str, path: &str) -> Response {
    let limit = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(25usize)
        .min(100);
    let after = q.get("after").map(|a| uncursor(a)).unwrap_or(0);
    let params: Vec<(String, String)> = q
        .iter()
        .filter(|(k, _)| *k != "after")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    ok(graph_list(items, limit, after, base, path, &params))
}

/// A list nested by field expansion: its first page, whose `next` reads on from `edge`.
fn nested_list(items: &[Value], field: &Field, base: &str, edge: &str) -> Value {
    let limit = field
        .modifier("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(25usize);
    let mut params: Vec<(String, String)> = field
        .modifiers
        .iter()
        .filter(|(k, _)| k != "limit")
        .cloned()
        .collect();
    params.push(("limit".into(), limit.to_string()));
    if let Some(sub) = &field.sub {
        params.push(("fields".into(), sub.clone()));
    }
    graph_list(items, limit, 0, base, edge, &params)
}

// ---------------------------------------------------------------------------------------------
// Facebook objects as Graph shows them.

fn short(id: &str) -> &str {
    id.rsplit('_').next().unwrap()
}

fn post_json(p: &Post) -> Value {
    let owner = if p.on_page { PAGE_ID } else { &p.from.id };
    json!({ "id": p.id, "created_time": graph_time(p.created), "message": p.message,
            "from": { "id": p.from.id, "name": p.from.name },
            "permalink_url": format!("https://www.facebook.com/{owner}/posts/{}", short(&p.id)) })
}

fn fb_comment_json(c: &FbComment) -> Value {
    let mut v = json!({ "id": c.id, "message": c.message, "created_time": graph_time(c.created),
                        "from": { "id": c.from.id, "name": c.from.name },
                        "is_hidden": c.hidden, "like_count": c.likes,
                        "permalink_url": format!("https://www.facebook.com/{PAGE_ID}/posts/{}?comment_id={}",
                                                 short(&c.post), short(&c.id)) });
    if let Some(p) = &c.parent {
        v["parent"] = json!({ "id": p });
    }
    v
}

/// The comments of a post (of every level with `filter=stream`, else top-level) or the replies
/// of a comment, chronological unless `reverse`.
fn fb_comments(fake: &Fake, object: &str, stream: bool, reverse: bool) -> Vec<Value> {
    let mut list: Vec<&FbComment> = fake
        .comments
        .iter()
        .filter(|c| !c.deleted)
        .filter(|c| {
            if fake.live_post(object).is_some() {
                c.post == object && (stream || c.parent.is_none())
            } else {
                c.parent.as_deref() == Some(object)
            }
        })
        .collect();
    list.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
    if reverse {
        list.reverse();
    }
    list.into_iter().map(fb_comment_json).collect()
}

fn msg_json(m: &Msg) -> Value {
    json!({ "id": m.id, "message": m.text, "created_time": graph_time(m.created),
            "from": { "id": m.from.id, "name": m.from.name,
                      "email": format!("{}@facebook.com", m.from.id) } })
}

fn messages_of(c: &Conversation) -> Vec<Value> {
    let mut list: Vec<&Msg> = c.messages.iter().collect();
    list.sort_by(|a, b| (b.created, &b.id).cmp(&(a.created, &a.id)));
    list.into_iter().map(msg_json).collect()
}

fn updated(c: &Conversation) -> i64 {
    c.messages.iter().map(|m| m.created).max().unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Instagram objects as Graph shows them.

fn media_json(m: &Media) -> Value {
    json!({ "id": m.id, "timestamp": graph_time(m.created),
            "permalink": format!("https://www.instagram.com/p/C{}x/", m.id) })
}

fn ig_comment_json(c: &IgComment) -> Value {
    let mut v = json!({ "id": c.id, "text": c.text, "timestamp": graph_time(c.created),
                        "username": c.from.name, "hidden": c.hidden, "like_count": 0,
                        "from": { "id": c.from.id, "username": c.from.name } });
    if let Some(top) = &c.top {
        v["parent_id"] = json!(top);
    }
    v
}

/// Top-level comments of a media, newest first.
fn ig_comments_of<'a>(fake: &'a Fake, media: &str) -> Vec<&'a IgComment> {
    let mut list: Vec<&IgComment> = fake
        .ig_comments
        .iter()
        .filter(|c| c.media == media && c.top.is_none() && !c.deleted)
        .collect();
    list.sort_by(|a, b| (b.created, &b.id).cmp(&(a.created, &a.id)));
    list
}

/// Replies under a top-level comment, oldest first.
fn ig_replies_of(fake: &Fake, top: &str) -> Vec<Value> {
    let mut list: Vec<&IgComment> = fake
        .ig_comments
        .iter()
        .filter(|c| c.top.as_deref() == Some(top) && !c.deleted)
        .collect();
    list.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
    list.into_iter().map(ig_comment_json).collect()
}

fn ig_comment_with_replies(fake: &Fake, c: &IgComment, fields: &[Field], base: &str) -> Value {
    let mut v = select(&ig_comment_json(c), fields);
    if let Some(f) = fields.iter().find(|f| f.name == "replies") {
        let sub = parse_fields(f.sub.as_deref().unwrap_or("id"));
        let replies: Vec<Value> = ig_replies_of(fake, &c.id)
            .iter()
            .map(|r| select(r, &sub))
            .collect();
        if !replies.is_empty() {
            v["replies"] = nested_list(&replies, f, base, &format!("/{}/replies", c.id));
        }
    }
    v
}

// ---------------------------------------------------------------------------------------------
// The endpoints.

async fn graph(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let q: HashMap<String, String> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let trimmed = uri.path().trim_start_matches('/').to_owned();
    let (version, path) = match trimmed.split_once('/') {
        Some((v, rest)) => (v.to_owned(), format!("/{rest}")),
        None => (trimmed.clone(), "/".to_owned()),
    };
    let route = format!("{method} {path}");
    let mut fake = s.lock().unwrap();
    if version != VERSION {
        return error(
            400,
            2500,
            None,
            &format!("Unknown path components: /{version}"),
        );
    }
    if let Some(i) = fake.inject.iter().position(|i| i.route == route) {
        let i = fake.inject.remove(i).unwrap();
        let mut r = (StatusCode::from_u16(i.status).unwrap(), i.body).into_response();
        r.headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        for (k, v) in i.headers {
            r.headers_mut().insert(k, v.parse().unwrap());
        }
        return r;
    }
    if q.contains_key("access_token") {
        return error(
            400,
            100,
            None,
            "test fake: the access token was sent in the query string",
        );
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if bearer != fake.token {
        return error(
            400,
            190,
            Some(460),
            "Error validating access token: The session has been invalidated because the user \
             changed their password or Facebook has changed the session for security reasons.",
        );
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    fake.log.push(Call {
        route,
        query: q.clone(),
        form: form.clone(),
    });
    // Graph takes a POST's parameters from the body or the query string.
    let mut params = q.clone();
    params.extend(form);
    let base = format!("http://{}", headers["host"].to_str().unwrap());
    let segments: Vec<&str> = path
        .trim_start_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let fields = parse_fields(q.get("fields").map(String::as_str).unwrap_or("id"));
    match (method.as_str(), segments.as_slice()) {
        ("GET", [p, "feed"]) if *p == PAGE_ID => feed(&fake, &q, &fields, &base, &path),
        ("GET", [p, "tagged"]) if *p == PAGE_ID => {
            let mut posts: Vec<&Post> = fake.posts.iter().filter(|p| !p.on_page).collect();
            posts.sort_by_key(|x| std::cmp::Reverse(x.created));
            let items: Vec<Value> = posts
                .iter()
                .map(|p| select(&post_json(p), &fields))
                .collect();
            top_list(&items, &q, &base, &path)
        }
        ("GET", [p, "conversations"]) if *p == PAGE_ID => {
            conversations(&fake, &q, &fields, &base, &path)
        }
        ("GET", [id, "messages"]) => match fake.conversations.iter().find(|c| c.id == *id) {
            Some(c) => {
                let items: Vec<Value> = messages_of(c).iter().map(|m| select(m, &fields)).collect();
                top_list(&items, &q, &base, &path)
            }
            None => missing("get", id, None),
        },
        ("GET", [ig, "media"]) if *ig == IG_ID => media(&fake, &q, &fields, &base, &path),
        ("GET", [id, "comments"]) => {
            if fake.media.iter().any(|m| m.id == *id) {
                let items: Vec<Value> = ig_comments_of(&fake, id)
                    .into_iter()
                    .map(|c| ig_comment_with_replies(&fake, c, &fields, &base))
                    .collect();
                return top_list(&items, &q, &base, &path);
            }
            if fake.live_post(id).is_none() && fake.live_comment(id).is_none() {
                return missing("get", id, None);
            }
            let stream = q.get("filter").map(String::as_str) == Some("stream");
            let reverse = q.get("order").map(String::as_str) == Some("reverse_chronological");
            let items: Vec<Value> = fb_comments(&fake, id, stream, reverse)
                .iter()
                .map(|c| select(c, &fields))
                .collect();
            top_list(&items, &q, &base, &path)
        }
        ("GET", [id, "replies"]) => {
            if fake.live_ig_comment(id).is_none() {
                return missing("get", id, Some(33));
            }
            let items: Vec<Value> = ig_replies_of(&fake, id)
                .iter()
                .map(|r| select(r, &fields))
                .collect();
            top_list(&items, &q, &base, &path)
        }
        ("GET", [id]) => {
            if let Some(c) = fake.live_ig_comment(id) {
                return ok(select(&ig_comment_json(c), &fields));
            }
            match fake.live_comment(id) {
                Some(c) => ok(select(&fb_comment_json(c), &fields)),
                None => missing("get", id, Some(33)),
            }
        }
        ("POST", [id, "comments"]) => {
            let id = id.to_string();
            fb_publish_comment(&mut fake, &id, &params)
        }
        ("POST", [id, "replies"]) => {
            let id = id.to_string();
            ig_publish_reply(&mut fake, &id, &params)
        }
        ("POST", [id, "likes"]) => {
            let id = id.to_string();
            if let Some(c) = fake.comments.iter_mut().find(|c| c.id == id && !c.deleted) {
                c.likes += 1;
            } else if let Some(p) = fake.posts.iter_mut().find(|p| p.id == id) {
                p.likes += 1;
            } else {
                return missing("post", &id, None);
            }
            ok(json!({ "success": true }))
        }
        ("POST", [p, "blocked"]) if *p == PAGE_ID => {
            let Some(user) = params.get("user").cloned() else {
                return error(
                    400,
                    100,
                    None,
                    "(#100) One of asid, psid, uid or user is required",
                );
            };
            fake.blocked.push(user.clone());
            ok(json!({ user: true }))
        }
        ("POST", [p, "messages"]) if *p == PAGE_ID => send_message(&mut fake, &params),
        ("POST", [id]) => {
            let id = id.to_string();
            update_comment(&mut fake, &id, &params)
        }
        ("DELETE", [id]) => {
            let id = id.to_string();
            if let Some(c) = fake.comments.iter_mut().find(|c| c.id == id && !c.deleted) {
                c.deleted = true;
            } else if let Some(c) = fake
                .ig_comments
                .iter_mut()
                .find(|c| c.id == id && !c.deleted)
            {
                c.deleted = true;
            } else {
                return missing("delete", &id, None);
            }
            ok(json!({ "success": true }))
        }
        _ => error(
            400,
            100,
            None,
            &format!("Unsupported {} request.", method.as_str().to_lowercase()),
        ),
    }
}

fn feed(
    fake: &Fake,
    q: &HashMap<String, String>,
    fields: &[Field],
    base: &str,
    path: &str,
) -> Response {
    let mut posts: Vec<&Post> = fake.posts.iter().filter(|p| p.on_page).collect();
    posts.sort_by_key(|x| std::cmp::Reverse(x.created));
    let comments_field = fields.iter().find(|f| f.name == "comments");
    let items: Vec<Value> = posts
        .iter()
        .map(|p| {
            let mut v = select(&post_json(p), fields);
            if let Some(f) = comments_field {
                let stream = f.modifier("filter") == Some("stream");
                let reverse = f.modifier("order") == Some("reverse_chronological");
                let sub = parse_fields(f.sub.as_deref().unwrap_or("id"));
                let list: Vec<Value> = fb_comments(fake, &p.id, stream, reverse)
                    .iter()
                    .map(|c| select(c, &sub))
                    .collect();
                // Graph leaves an empty edge out of an expansion.
                if !list.is_empty() {
                    v["comments"] = nested_list(&list, f, base, &format!("/{}/comments", p.id));
                }
            }
            v
        })
        .collect();
    top_list(&items, q, base, path)
}

fn conversations(
    fake: &Fake,
    q: &HashMap<String, String>,
    fields: &[Field],
    base: &str,
    path: &str,
) -> Response {
    if !fake.messaging {
        return error(
            403,
            200,
            None,
            "(#200) Requires pages_messaging permission to manage the object",
        );
    }
    if q.get("platform").map(String::as_str) != Some("messenger") {
        return error(400, 100, None, "(#100) platform must be messenger here");
    }
    let mut list: Vec<&Conversation> = fake
        .conversations
        .iter()
        .filter(|c| q.get("user_id").is_none_or(|u| *u == c.with.id))
        .collect();
    list.sort_by_key(|c| std::cmp::Reverse(updated(c)));
    let messages_field = fields.iter().find(|f| f.name == "messages");
    let items: Vec<Value> = list
        .iter()
        .map(|c| {
            let mut v = select(
                &json!({ "id": c.id, "updated_time": graph_time(updated(c)) }),
                fields,
            );
            if let Some(f) = messages_field {
                let sub = parse_fields(f.sub.as_deref().unwrap_or("id"));
                let msgs: Vec<Value> = messages_of(c).iter().map(|m| select(m, &sub)).collect();
                v["messages"] = nested_list(&msgs, f, base, &format!("/{}/messages", c.id));
            }
            v
        })
        .collect();
    top_list(&items, q, base, path)
}

fn media(
    fake: &Fake,
    q: &HashMap<String, String>,
    fields: &[Field],
    base: &str,
    path: &str,
) -> Response {
    let mut list: Vec<&Media> = fake.media.iter().collect();
    list.sort_by_key(|x| std::cmp::Reverse(x.created));
    let comments_field = fields.iter().find(|f| f.name == "comments");
    let items: Vec<Value> = list
        .iter()
        .map(|m| {
            let mut v = select(&media_json(m), fields);
            if let Some(f) = comments_field {
                let sub = parse_fields(f.sub.as_deref().unwrap_or("id"));
                let comments: Vec<Value> = ig_comments_of(fake, &m.id)
                    .into_iter()
                    .map(|c| ig_comment_with_replies(fake, c, &sub, base))
                    .collect();
                if !comments.is_empty() {
                    v["comments"] = nested_list(&comments, f, base, &format!("/{}/comments", m.id));
                }
            }
            v
        })
        .collect();
    top_list(&items, q, base, path)
}

/// `POST /{id}/comments`: a Page's comment on a post or reply under a comment; an Instagram
/// account's comment on its media.
fn fb_publish_comment(fake: &mut Fake, id: &str, params: &HashMap<String, String>) -> Response {
    let message = params.get("message").cloned().unwrap_or_default();
    if message.is_empty() && !params.contains_key("attachment_url") {
        return error(400, 100, None, "(#100) Missing message or attachment");
    }
    let n = fake.id();
    if fake.media.iter().any(|m| m.id == id) {
        let new = n.to_string();
        fake.ig_comment(&new, id, None, account(), &message, now());
        return ok(json!({ "id": new }));
    }
    let (post, parent) = if fake.live_post(id).is_some() {
        (id.to_owned(), None)
    } else if let Some(c) = fake.live_comment(id) {
        (c.post.clone(), Some(id.to_owned()))
    } else {
        return missing("post", id, None);
    };
    let new = format!("{}_{n}", short(&post));
    fake.comment(&new, &post, parent.as_deref(), page(), &message, now());
    ok(json!({ "id": new }))
}

/// `POST /{ig-comment-id}/replies`: under a top-level comment only.
fn ig_publish_reply(fake: &mut Fake, id: &str, params: &HashMap<String, String>) -> Response {
    let Some(c) = fake.live_ig_comment(id) else {
        return missing("post", id, Some(33));
    };
    if c.top.is_some() {
        return error(
            400,
            100,
            None,
            "(#100) test fake: Instagram replies go under top-level comments only",
        );
    }
    let media = c.media.clone();
    let Some(message) = params.get("message").filter(|m| !m.is_empty()).cloned() else {
        return error(400, 100, None, "(#100) The parameter message is required");
    };
    let new = fake.id().to_string();
    fake.ig_comment(&new, &media, Some(id), account(), &message, now());
    ok(json!({ "id": new }))
}

/// `POST /{comment-id}` with `is_hidden` (Facebook) or `hide` (Instagram).
fn update_comment(fake: &mut Fake, id: &str, params: &HashMap<String, String>) -> Response {
    let flag = |k: &str| params.get(k).map(|v| v == "true");
    if let Some(c) = fake.comments.iter_mut().find(|c| c.id == id && !c.deleted) {
        let Some(hidden) = flag("is_hidden") else {
            return error(400, 100, None, "(#100) Nothing to update");
        };
        c.hidden = hidden;
        return ok(json!({ "success": true }));
    }
    if let Some(c) = fake
        .ig_comments
        .iter_mut()
        .find(|c| c.id == id && !c.deleted)
    {
        let Some(hidden) = flag("hide") else {
            return error(400, 100, None, "(#100) The parameter hide is required");
        };
        c.hidden = hidden;
        return ok(json!({ "success": true }));
    }
    missing("post", id, None)
}

/// The Send API: `recipient={"id"}`, `messaging_type`, `message={"text"}`.
fn send_message(fake: &mut Fake, params: &HashMap<String, String>) -> Response {
    let json_param = |k: &str| {
        params
            .get(k)
            .and_then(|v| serde_json::from_str::<Value>(v).ok())
    };
    let (Some(recipient), Some(message)) = (json_param("recipient"), json_param("message")) else {
        return error(400, 100, None, "(#100) recipient and message are required");
    };
    if params.get("messaging_type").map(String::as_str) != Some("RESPONSE") {
        return error(
            400,
            100,
            None,
            "(#100) messaging_type must be RESPONSE here",
        );
    }
    let to = recipient["id"].as_str().unwrap_or_default().to_owned();
    let text = message["text"].as_str().unwrap_or_default().to_owned();
    if fake.window_closed {
        return error(
            400,
            10,
            Some(2_018_278),
            "(#10) This message is sent outside of allowed window.",
        );
    }
    let n = fake.id();
    let Some(c) = fake.conversations.iter_mut().find(|c| c.with.id == to) else {
        return error(400, 100, Some(2_018_001), "(#100) No matching user found");
    };
    let id = format!("m_sent{n}");
    c.messages.push(Msg {
        id: id.clone(),
        from: page(),
        text,
        created: now(),
    });
    ok(json!({ "recipient_id": to, "message_id": id }))
}

// ---------------------------------------------------------------------------------------------
// The test's side.

async fn start() -> (MockHttp, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Fake::new()));
    let router = Router::new().fallback(graph).with_state(shared.clone());
    (MockHttp::start(router).await, shared)
}

fn fb_creds(server: &MockHttp) -> Credentials {
    Credentials {
        settings: json!({ "api_base": server.base_url(), "page_id": PAGE_ID,
                          "page_name": PAGE_NAME }),
        secrets: [("access_token".to_owned(), PAGE_TOKEN.to_owned())].into(),
        changed: false,
    }
}

fn ig_creds(server: &MockHttp) -> Credentials {
    Credentials {
        settings: json!({ "api_base": server.base_url(), "ig_user_id": IG_ID,
                          "username": IG_USERNAME, "page_id": PAGE_ID }),
        secrets: [("access_token".to_owned(), PAGE_TOKEN.to_owned())].into(),
        changed: false,
    }
}

async fn read(
    network: &str,
    creds: &mut Credentials,
    cursor: Option<&str>,
) -> Result<InboxPage, NetworkError> {
    let http = common::client(Duration::from_secs(10));
    inbox::read(network, &http, creds, cursor).await
}

async fn act(
    network: &str,
    creds: &mut Credentials,
    interaction: Interaction,
) -> Result<(), NetworkError> {
    let http = common::client(Duration::from_secs(10));
    inbox::act(network, &http, creds, &interaction).await
}

fn ids(page: &InboxPage) -> Vec<&str> {
    page.messages
        .iter()
        .map(|m| m.network_id.as_str())
        .collect()
}

fn find<'a>(page: &'a InboxPage, id: &str) -> &'a IncomingMessage {
    page.messages
        .iter()
        .find(|m| m.network_id == id)
        .unwrap_or_else(|| panic!("{id} is not in {:?}", ids(page)))
}

fn as_ref(m: &IncomingMessage) -> PostRef {
    PostRef {
        id: m.network_id.clone(),
        version: m.version.clone(),
        url: m.url.clone(),
    }
}

/// The answer's target as the inbox worker builds it from a message: the message itself, and
/// its root (or itself).
fn answer_to(m: &IncomingMessage, text: &str) -> OutgoingPost {
    let parent = PublishedPost {
        id: m.network_id.clone(),
        version: m.version.clone(),
        url: m.url.clone().unwrap_or_default(),
    };
    let root = m.root.as_ref().map_or_else(
        || parent.clone(),
        |r| PublishedPost {
            id: r.id.clone(),
            version: r.version.clone(),
            url: r.url.clone().unwrap_or_default(),
        },
    );
    OutgoingPost {
        text: text.into(),
        media: vec![],
        reply_to: Some(ReplyTarget { parent, root }),
        langs: vec!["fr".into()],
        idempotency_key: format!("key-{text}"),
        created_at_ms: chrono::Utc::now().timestamp_millis(),
    }
}

fn inject(
    fake: &Shared,
    route: &str,
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: &str,
) {
    fake.lock().unwrap().inject.push_back(Injected {
        route: route.to_owned(),
        status,
        headers,
        body: body.to_owned(),
    });
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/inbox/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

const P1: &str = "105000000000001_3001";
const P0: &str = "105000000000001_3000";
const C1: &str = "3001_4001";
const C2: &str = "3001_4002";
const C3: &str = "3001_4003";
const C4: &str = "3001_4004";
const C5: &str = "3000_4005";
const TAGGED: &str = "7004_5001";
const THREAD: &str = "t_10161000000000001";
const M1: &str = "m_AbCdEf-001";

fn ana() -> Who {
    who("7001", "Ana Silva")
}

fn ben() -> Who {
    who("7002", "Ben Martin")
}

fn emma() -> Who {
    who("7005", "Emma Petit")
}

/// The Page's post with a comment, answers to it (one the Page's own) and an answer to the
/// Page's answer; a visitor's post with a comment; a post elsewhere that tags the Page; a
/// Messenger conversation and the Page's answer in it.
fn facebook_scene(fake: &Shared) {
    let mut f = fake.lock().unwrap();
    f.post(P1, page(), "Notre nouvelle carte", T0 - 3600, true);
    f.post(
        P0,
        who("7003", "Chloé Durand"),
        "Vous ouvrez dimanche ?",
        T0 - 1800,
        true,
    );
    f.comment(C1, P1, None, ana(), "Ça a l'air bon", T0 + 60);
    f.comment(C2, P1, Some(C1), page(), "Merci Ana !", T0 + 120);
    f.comment(
        C3,
        P1,
        Some(C1),
        ben(),
        "Moi aussi j'ai une question",
        T0 + 180,
    );
    f.comment(C4, P1, Some(C2), ana(), "Avec plaisir", T0 + 240);
    f.comment(C5, P0, None, ben(), "Oui, dimanche midi", T0 + 300);
    f.post(
        TAGGED,
        who("7004", "Dan Roy"),
        "Super brunch chez Café Relais",
        T0 + 360,
        false,
    );
    f.conversations.push(Conversation {
        id: THREAD.into(),
        with: emma(),
        messages: vec![
            Msg {
                id: M1.into(),
                from: emma(),
                text: "Vous êtes ouverts ce soir ?".into(),
                created: T0 + 420,
            },
            Msg {
                id: "m_AbCdEf-002".into(),
                from: page(),
                text: "Oui, jusqu'à 22 h.".into(),
                created: T0 + 480,
            },
        ],
    });
}

const MEDIA: &str = "17900000000000001";
const I1: &str = "17850000000000001";
const I2: &str = "17850000000000002";
const I3: &str = "17850000000000003";
const I4: &str = "17850000000000004";
const I5: &str = "17850000000000005";
const I6: &str = "17850000000000006";

fn fan_one() -> Who {
    who("17841400000000901", "fan.one")
}

fn fan_two() -> Who {
    who("17841400000000902", "fan.two")
}

/// A media with two fans' comments, the account's reply and a fan's reply under the second, the
/// account's own comment with a fan's reply under it; an older media without comments.
fn instagram_scene(fake: &Shared) {
    let mut f = fake.lock().unwrap();
    f.media.push(Media {
        id: MEDIA.into(),
        created: T0 - 7200,
    });
    f.media.push(Media {
        id: "17900000000000000".into(),
        created: T0 - 86_400,
    });
    f.ig_comment(I1, MEDIA, None, fan_one(), "Magnifique", T0 + 60);
    f.ig_comment(
        I2,
        MEDIA,
        None,
        fan_two(),
        "Le lien est dans la bio ?",
        T0 + 120,
    );
    f.ig_comment(
        I3,
        MEDIA,
        Some(I2),
        account(),
        "Oui, tout en haut",
        T0 + 180,
    );
    f.ig_comment(I4, MEDIA, Some(I2), fan_two(), "Merci !", T0 + 240);
    f.ig_comment(I5, MEDIA, None, account(), "Concours demain !", T0 + 300);
    f.ig_comment(I6, MEDIA, Some(I5), fan_one(), "J'ai hâte", T0 + 360);
}

// ---------------------------------------------------------------------------------------------
// The tests.

#[tokio::test]
async fn facebook_reads_comments_replies_mentions_and_messages_once() {
    let (server, fake) = start().await;
    facebook_scene(&fake);
    let mut creds = fb_creds(&server);
    let page = read("facebook", &mut creds, None).await.unwrap();

    // Oldest first; the Page's own comment and message left out.
    assert_eq!(ids(&page), [P0, C1, C3, C4, C5, TAGGED, M1]);
    let kinds: Vec<MessageKind> = page.messages.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        [
            MessageKind::Mention,
            MessageKind::Comment,
            MessageKind::Reply,
            MessageKind::Reply,
            MessageKind::Comment,
            MessageKind::Mention,
            MessageKind::Direct,
        ]
    );
    let post = PostRef {
        id: P1.into(),
        version: None,
        url: Some(format!("https://www.facebook.com/{PAGE_ID}/posts/3001")),
    };
    let c1 = find(&page, C1);
    assert_eq!(c1.parent.as_ref(), Some(&post));
    assert_eq!(c1.root.as_ref(), Some(&post));
    assert_eq!(c1.version.as_deref(), Some("comment"));
    assert_eq!(c1.text, "Ça a l'air bon");
    assert_eq!(c1.created_at, (T0 + 60) * 1000);
    assert_eq!(
        c1.url.as_deref(),
        Some("https://www.facebook.com/105000000000001/posts/3001?comment_id=4001")
    );
    assert_eq!(
        c1.author,
        Author {
            id: "7001".into(),
            handle: "Ana Silva".into(),
            display_name: Some("Ana Silva".into()),
            ..Author::default()
        }
    );
    // A reply answers the comment; the root stays the post.
    let c3 = find(&page, C3);
    let parent = c3.parent.as_ref().unwrap();
    assert_eq!(
        (parent.id.as_str(), parent.version.as_deref()),
        (C1, Some("comment"))
    );
    assert_eq!(c3.root.as_ref(), Some(&post));
    assert_eq!(find(&page, C4).parent.as_ref().unwrap().id, C2);
    assert_eq!(find(&page, C5).root.as_ref().unwrap().id, P0);
    // A visitor's post and a post that tags the Page are mentions, without parent.
    let visitor = find(&page, P0);
    assert_eq!(visitor.author.id, "7003");
    assert_eq!(
        (visitor.parent.as_ref(), visitor.root.as_ref()),
        (None, None)
    );
    let tagged = find(&page, TAGGED);
    assert_eq!(tagged.text, "Super brunch chez Café Relais");
    assert_eq!(
        tagged.url.as_deref(),
        Some("https://www.facebook.com/7004/posts/5001")
    );
    // A Messenger message: its conversation, and its sender kept for the answer.
    let direct = find(&page, M1);
    assert_eq!(direct.direct_thread.as_deref(), Some(THREAD));
    assert_eq!(direct.version.as_deref(), Some("direct:7005"));
    assert_eq!(direct.author.handle, "Emma Petit");

    // One call for the posts and all their comments; the fields asked for as documented.
    {
        let f = fake.lock().unwrap();
        let feed = f.calls(&format!("GET /{PAGE_ID}/feed"));
        assert_eq!(feed.len(), 1);
        let fields = &feed[0].query["fields"];
        assert!(
            fields.contains("comments.filter(stream).order(reverse_chronological).limit(50)"),
            "{fields}"
        );
        assert!(fields.contains("parent{id}"), "{fields}");
        assert_eq!(feed[0].query["limit"], "25");
        assert!(f.log.iter().all(|c| !c.route.ends_with("/comments")));
        assert_eq!(
            f.calls(&format!("GET /{PAGE_ID}/conversations"))[0].query["platform"],
            "messenger"
        );
        assert_eq!(f.calls(&format!("GET /{PAGE_ID}/tagged")).len(), 1);
    }

    // The cursor hands nothing out twice.
    let again = read("facebook", &mut creds, page.cursor.as_deref())
        .await
        .unwrap();
    assert!(again.messages.is_empty(), "{:?}", ids(&again));
    assert!(again.cursor.is_some());
}

#[tokio::test]
async fn instagram_reads_comments_and_replies_without_the_accounts_own() {
    let (server, fake) = start().await;
    instagram_scene(&fake);
    let mut creds = ig_creds(&server);
    let page = read("instagram", &mut creds, None).await.unwrap();

    assert_eq!(ids(&page), [I1, I2, I4, I6]);
    let media = PostRef {
        id: MEDIA.into(),
        version: None,
        url: Some(format!("https://www.instagram.com/p/C{MEDIA}x/")),
    };
    let i1 = find(&page, I1);
    assert_eq!(i1.kind, MessageKind::Comment);
    assert_eq!(
        (i1.parent.as_ref(), i1.root.as_ref()),
        (Some(&media), Some(&media))
    );
    assert_eq!(i1.version.as_deref(), Some("comment"));
    assert_eq!(i1.url, media.url);
    assert_eq!(
        i1.author,
        Author {
            id: fan_one().id,
            handle: "fan.one".into(),
            profile_url: Some("https://www.instagram.com/fan.one/".into()),
            ..Author::default()
        }
    );
    // Replies: their parent the top-level comment, their version naming it.
    let i4 = find(&page, I4);
    assert_eq!(i4.kind, MessageKind::Reply);
    assert_eq!(i4.parent.as_ref().unwrap().id, I2);
    assert_eq!(i4.root.as_ref(), Some(&media));
    assert_eq!(i4.version.as_deref(), Some(format!("reply:{I2}").as_str()));
    // A fan's reply under the account's own comment is in; the comment is not.
    assert_eq!(find(&page, I6).parent.as_ref().unwrap().id, I5);

    let f = fake.lock().unwrap();
    let media_calls = f.calls(&format!("GET /{IG_ID}/media"));
    assert_eq!(
        media_calls.len(),
        1,
        "one call reads media, comments and replies"
    );
    assert!(media_calls[0].query["fields"].contains("replies{"));
    assert_eq!(f.log.len(), 1);
}

#[tokio::test]
async fn cursors_read_only_what_is_newer_and_page_back_to_it() {
    let (server, fake) = start().await;
    let mut creds = fb_creds(&server);
    {
        let mut f = fake.lock().unwrap();
        f.post(P1, page(), "Notre nouvelle carte", T0 - 3600, true);
        for i in 0..55 {
            f.comment(
                &format!("3001_1{i:03}"),
                P1,
                None,
                ana(),
                &format!("avant {i}"),
                T0 + i * 60,
            );
        }
    }
    // A first read takes the newest page: 50 comments, no second call.
    let first = read("facebook", &mut creds, None).await.unwrap();
    assert_eq!(first.messages.len(), 50);
    assert_eq!(first.messages[0].network_id, "3001_1005");
    assert!(
        fake.lock()
            .unwrap()
            .calls(&format!("GET /{P1}/comments"))
            .is_empty()
    );

    // 60 comments and 30 tagged posts later: read back to the cursor, through `paging.next`.
    {
        let mut f = fake.lock().unwrap();
        for i in 0..60 {
            f.comment(
                &format!("3001_2{i:03}"),
                P1,
                None,
                ben(),
                &format!("après {i}"),
                T0 + 7200 + i * 60,
            );
        }
        for i in 0..30 {
            f.post(
                &format!("7004_6{i:03}"),
                who("7004", "Dan Roy"),
                "tag",
                T0 + 7200 + i * 60,
                false,
            );
        }
    }
    let second = read("facebook", &mut creds, first.cursor.as_deref())
        .await
        .unwrap();
    let got = ids(&second);
    assert_eq!(got.len(), 90, "{got:?}");
    assert!(
        got.iter()
            .all(|id| id.starts_with("3001_2") || id.starts_with("7004_6"))
    );
    {
        let f = fake.lock().unwrap();
        let more = f.calls(&format!("GET /{P1}/comments"));
        assert_eq!(
            more.len(),
            1,
            "the second page of comments, then behind the cursor"
        );
        assert_eq!(more[0].query["after"], cursor(50));
        assert_eq!(more[0].query["filter"], "stream");
        assert_eq!(more[0].query["order"], "reverse_chronological");
        assert!(more[0].query["fields"].contains("parent{id}"));
        assert_eq!(f.calls(&format!("GET /{PAGE_ID}/tagged")).len(), 3);
    }

    // Nothing new: nothing, and the cursor still works.
    let third = read("facebook", &mut creds, second.cursor.as_deref())
        .await
        .unwrap();
    assert!(third.messages.is_empty());
    // A comment Graph shows late, dated before the newest one handed out: found, once.
    fake.lock().unwrap().comment(
        "3001_3000",
        P1,
        None,
        ana(),
        "en retard",
        T0 + 7200 + 55 * 60,
    );
    let fourth = read("facebook", &mut creds, third.cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(ids(&fourth), ["3001_3000"]);
    // A cursor that cannot be read: the newest page again.
    let restart = read("facebook", &mut creds, Some("garbage")).await.unwrap();
    assert_eq!(restart.messages.len(), 50 + 25);

    // Instagram: comments and replies past their nested page read on from their edges.
    let mut ig = ig_creds(&server);
    instagram_scene(&fake);
    let first = read("instagram", &mut ig, None).await.unwrap();
    assert_eq!(first.messages.len(), 4);
    {
        let mut f = fake.lock().unwrap();
        for i in 0..30 {
            f.ig_comment(
                &format!("1786{i:03}"),
                MEDIA,
                Some(I1),
                fan_two(),
                "réponse",
                T0 + 3600 + i * 60,
            );
        }
        for i in 0..55 {
            f.ig_comment(
                &format!("1787{i:03}"),
                MEDIA,
                None,
                fan_one(),
                "commentaire",
                T0 + 3600 + i * 60,
            );
        }
    }
    let second = read("instagram", &mut ig, first.cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(second.messages.len(), 85, "{:?}", ids(&second));
    let replies = second
        .messages
        .iter()
        .filter(|m| m.kind == MessageKind::Reply)
        .count();
    assert_eq!(replies, 30);
    {
        let f = fake.lock().unwrap();
        assert_eq!(f.calls(&format!("GET /{I1}/replies")).len(), 1);
        assert!(!f.calls(&format!("GET /{MEDIA}/comments")).is_empty());
    }
    let third = read("instagram", &mut ig, second.cursor.as_deref())
        .await
        .unwrap();
    assert!(third.messages.is_empty(), "{:?}", ids(&third));
}

#[tokio::test]
async fn graph_errors_become_errors_a_person_can_act_on() {
    let (server, fake) = start().await;
    facebook_scene(&fake);
    instagram_scene(&fake);
    let mut fb = fb_creds(&server);
    let mut ig = ig_creds(&server);

    // A token revoked (code 190): connect again.
    fake.lock().unwrap().token = "EAAAnotherToken".into();
    for (network, creds) in [("facebook", &mut fb), ("instagram", &mut ig)] {
        let err = read(network, creds, None).await.unwrap_err();
        assert!(
            matches!(err, NetworkError::Unauthorized(ref m) if m.contains("connect the channel again")),
            "{network}: {err}"
        );
    }
    fake.lock().unwrap().token = PAGE_TOKEN.into();

    // Rate limits: 4 (the app), 17 (the user), 32 with the Page's business use case wait.
    let limit = |code: i64, text: &str| {
        json!({ "error": { "message": text, "type": "OAuthException", "code": code,
                           "fbtrace_id": "X" } })
        .to_string()
    };
    let feed = format!("GET /{PAGE_ID}/feed");
    inject(
        &fake,
        &feed,
        400,
        vec![],
        &limit(4, "(#4) Application request limit reached"),
    );
    assert_eq!(
        read("facebook", &mut fb, None).await.unwrap_err(),
        NetworkError::RateLimited { retry_after: None }
    );
    inject(
        &fake,
        &format!("GET /{IG_ID}/media"),
        400,
        vec![],
        &limit(17, "(#17) User request limit reached"),
    );
    assert_eq!(
        read("instagram", &mut ig, None).await.unwrap_err(),
        NetworkError::RateLimited { retry_after: None }
    );
    let usage = json!({ PAGE_ID: [{ "type": "pages", "call_count": 100, "total_cputime": 10,
                                    "total_time": 10, "estimated_time_to_regain_access": 3 }] });
    inject(
        &fake,
        &feed,
        400,
        vec![("x-business-use-case-usage", usage.to_string())],
        &limit(32, "(#32) Page request limit reached"),
    );
    assert_eq!(
        read("facebook", &mut fb, None).await.unwrap_err(),
        NetworkError::RateLimited {
            retry_after: Some(Duration::from_secs(180))
        }
    );

    // Garbage: not JSON, JSON that is not a list, an HTML error page.
    inject(&fake, &feed, 200, vec![], "{\"data\": [{\"id\": ");
    assert!(matches!(
        read("facebook", &mut fb, None).await.unwrap_err(),
        NetworkError::Transient(m) if m.contains("not JSON")
    ));
    inject(
        &fake,
        &format!("GET /{IG_ID}/media"),
        200,
        vec![],
        "{\"data\": \"none\"}",
    );
    assert!(matches!(
        read("instagram", &mut ig, None).await.unwrap_err(),
        NetworkError::Transient(m) if m.contains("not a list")
    ));
    inject(&fake, &feed, 502, vec![], "<html>Bad gateway</html>");
    assert!(matches!(
        read("facebook", &mut fb, None).await.unwrap_err(),
        NetworkError::Transient(_)
    ));
    // Items Graph should not send are passed over, not fatal.
    inject(
        &fake,
        &feed,
        200,
        vec![],
        r#"{"data": [1, null, {"id": "../x"}, {"id": "105_1", "comments": {"data": [{"id": "1_2"}, "x"]}}]}"#,
    );
    let odd = read("facebook", &mut fb, None).await.unwrap();
    assert!(odd.messages.iter().all(|m| m.network_id != "1_2"));

    // Without `pages_messaging`, the rest of the inbox is still read.
    fake.lock().unwrap().messaging = false;
    let page = read("facebook", &mut fb, None).await.unwrap();
    assert_eq!(ids(&page), [P0, C1, C3, C4, C5, TAGGED]);
    // A channel without its ids says so.
    let mut bare = fb_creds(&server);
    bare.settings = json!({ "api_base": server.base_url() });
    assert!(matches!(
        read("facebook", &mut bare, None).await.unwrap_err(),
        NetworkError::Misconfigured(m) if m.contains("page_id")
    ));
}

#[tokio::test]
async fn answers_go_under_what_they_answer() {
    let (server, fake) = start().await;
    facebook_scene(&fake);
    instagram_scene(&fake);
    let http = common::client(Duration::from_secs(10));

    // Facebook: under a comment, under a reply, on a post that tags the Page, in Messenger.
    let mut creds = fb_creds(&server);
    let fb = Facebook::new(http.clone());
    let inbox = read("facebook", &mut creds, None).await.unwrap();
    let mut answers = Vec::new();
    for (id, text) in [
        (C1, "Merci Ana"),
        (C3, "Posez-la ici, Ben"),
        (TAGGED, "Merci Dan"),
        (M1, "Oui, jusqu'à minuit"),
    ] {
        let post = answer_to(find(&inbox, id), text);
        let published = fb.publish(&mut creds, &post).await.unwrap();
        answers.push((post, published));
    }
    {
        let f = fake.lock().unwrap();
        let under = |text: &str| {
            let c = f.comments.iter().find(|c| c.message == text).unwrap();
            (c.post.clone(), c.parent.clone(), c.from.id.clone())
        };
        assert_eq!(
            under("Merci Ana"),
            (P1.into(), Some(C1.into()), PAGE_ID.into())
        );
        assert_eq!(
            under("Posez-la ici, Ben"),
            (P1.into(), Some(C3.into()), PAGE_ID.into())
        );
        assert_eq!(under("Merci Dan"), (TAGGED.into(), None, PAGE_ID.into()));
        let sent = f.calls(&format!("POST /{PAGE_ID}/messages"));
        assert_eq!(sent.len(), 1);
        let form = &sent[0].form;
        assert_eq!(
            serde_json::from_str::<Value>(&form["recipient"]).unwrap(),
            json!({ "id": "7005" })
        );
        assert_eq!(
            serde_json::from_str::<Value>(&form["message"]).unwrap(),
            json!({ "text": "Oui, jusqu'à minuit" })
        );
        assert_eq!(form["messaging_type"], "RESPONSE");
    }
    let (_, comment_answer) = &answers[0];
    assert_eq!(comment_answer.version.as_deref(), Some("comment"));
    assert!(comment_answer.url.starts_with(&format!(
        "https://www.facebook.com/{PAGE_ID}/posts/3001?comment_id="
    )));
    assert_eq!(answers[3].1.version.as_deref(), Some("direct:7005"));
    // Found again after a crash, each where it went.
    for (post, published) in &answers {
        assert_eq!(
            fb.find_published(&mut creds, post).await.unwrap().as_ref(),
            Some(published),
            "{}",
            post.text
        );
    }
    // The team's answer to its own answer goes under it too.
    let again = OutgoingPost {
        reply_to: Some(ReplyTarget {
            parent: answers[0].1.clone(),
            root: answers[0].0.reply_to.as_ref().unwrap().root.clone(),
        }),
        ..answer_to(find(&inbox, C1), "Et bon appétit")
    };
    fb.publish(&mut creds, &again).await.unwrap();
    {
        let f = fake.lock().unwrap();
        let c = f
            .comments
            .iter()
            .find(|c| c.message == "Et bon appétit")
            .unwrap();
        assert_eq!(c.parent.as_deref(), Some(answers[0].1.id.as_str()));
    }
    // The brand's answers are not the brand's inbox.
    let after = read("facebook", &mut creds, inbox.cursor.as_deref())
        .await
        .unwrap();
    assert!(after.messages.is_empty(), "{:?}", ids(&after));
    // Messenger's 24 hours are over: said so.
    fake.lock().unwrap().window_closed = true;
    let late = fb
        .publish(&mut creds, &answer_to(find(&inbox, M1), "Pardon du retard"))
        .await
        .unwrap_err();
    assert!(
        matches!(late, NetworkError::Rejected(ref m) if m.contains("24 hours")),
        "{late}"
    );

    // Instagram: under a comment; a reply to a reply under the same top-level comment.
    let mut ig_creds = ig_creds(&server);
    let ig = Instagram::new(http.clone());
    let inbox = read("instagram", &mut ig_creds, None).await.unwrap();
    let to_comment = answer_to(find(&inbox, I1), "Merci fan.one");
    let to_reply = answer_to(find(&inbox, I4), "Avec plaisir");
    let a = ig.publish(&mut ig_creds, &to_comment).await.unwrap();
    let b = ig.publish(&mut ig_creds, &to_reply).await.unwrap();
    assert_eq!(a.version, Some(format!("reply:{I1}")));
    assert_eq!(b.version, Some(format!("reply:{I2}")));
    {
        let f = fake.lock().unwrap();
        let top = |id: &str| {
            f.ig_comments
                .iter()
                .find(|c| c.id == id)
                .unwrap()
                .top
                .clone()
        };
        assert_eq!(top(&a.id).as_deref(), Some(I1));
        assert_eq!(top(&b.id).as_deref(), Some(I2));
        assert_eq!(f.calls(&format!("POST /{I2}/replies")).len(), 1);
        assert!(f.calls(&format!("POST /{I4}/replies")).is_empty());
    }
    assert_eq!(
        ig.find_published(&mut ig_creds, &to_reply).await.unwrap(),
        Some(b.clone())
    );
    // An answer to the team's reply goes under the top-level comment as well.
    let next = OutgoingPost {
        reply_to: Some(ReplyTarget {
            parent: b.clone(),
            root: to_reply.reply_to.as_ref().unwrap().root.clone(),
        }),
        ..answer_to(find(&inbox, I4), "Et à bientôt")
    };
    let c = ig.publish(&mut ig_creds, &next).await.unwrap();
    assert_eq!(c.version, Some(format!("reply:{I2}")));
    // Replies published can be deleted and measured like comments.
    ig.delete(&mut ig_creds, &c).await.unwrap();
    assert!(fake.lock().unwrap().live_ig_comment(&c.id).is_none());
    assert_eq!(ig.metrics(&mut ig_creds, &a).await.unwrap().likes, Some(0));
}

#[tokio::test]
async fn an_answer_to_a_deleted_comment_says_so() {
    let (server, fake) = start().await;
    facebook_scene(&fake);
    instagram_scene(&fake);
    let http = common::client(Duration::from_secs(10));

    let mut creds = fb_creds(&server);
    let inbox = read("facebook", &mut creds, None).await.unwrap();
    fake.lock()
        .unwrap()
        .comments
        .iter_mut()
        .find(|c| c.id == C3)
        .unwrap()
        .deleted = true;
    let err = Facebook::new(http.clone())
        .publish(&mut creds, &answer_to(find(&inbox, C3), "Trop tard ?"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("comment this answers was deleted")),
        "{err}"
    );
    assert_eq!(
        fake.lock()
            .unwrap()
            .calls(&format!("POST /{C3}/comments"))
            .len(),
        1
    );

    let mut ig_creds = ig_creds(&server);
    let inbox = read("instagram", &mut ig_creds, None).await.unwrap();
    fake.lock()
        .unwrap()
        .ig_comments
        .iter_mut()
        .find(|c| c.id == I2)
        .unwrap()
        .deleted = true;
    let err = Instagram::new(http)
        .publish(&mut ig_creds, &answer_to(find(&inbox, I4), "Trop tard ?"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("deleted on Instagram")),
        "{err}"
    );
}

#[tokio::test]
async fn actions_call_the_documented_endpoints() {
    let (server, fake) = start().await;
    facebook_scene(&fake);
    instagram_scene(&fake);
    let mut fb = fb_creds(&server);
    let inbox = read("facebook", &mut fb, None).await.unwrap();
    let last_call = |fake: &Shared| fake.lock().unwrap().log.last().cloned().unwrap();

    // Facebook: hide, like, delete (twice), block.
    act(
        "facebook",
        &mut fb,
        Interaction::Hide {
            message: as_ref(find(&inbox, C1)),
        },
    )
    .await
    .unwrap();
    let call = last_call(&fake);
    assert_eq!(call.route, format!("POST /{C1}"));
    assert_eq!(call.form.get("is_hidden").map(String::as_str), Some("true"));
    assert!(fake.lock().unwrap().live_comment(C1).unwrap().hidden);

    act(
        "facebook",
        &mut fb,
        Interaction::Like {
            message: as_ref(find(&inbox, C3)),
        },
    )
    .await
    .unwrap();
    assert_eq!(last_call(&fake).route, format!("POST /{C3}/likes"));
    assert_eq!(fake.lock().unwrap().live_comment(C3).unwrap().likes, 1);

    let c4 = as_ref(find(&inbox, C4));
    act(
        "facebook",
        &mut fb,
        Interaction::Delete {
            message: c4.clone(),
        },
    )
    .await
    .unwrap();
    assert_eq!(last_call(&fake).route, format!("DELETE /{C4}"));
    assert!(fake.lock().unwrap().live_comment(C4).is_none());
    act(
        "facebook",
        &mut fb,
        Interaction::Delete {
            message: c4.clone(),
        },
    )
    .await
    .unwrap();
    let gone = act("facebook", &mut fb, Interaction::Hide { message: c4 })
        .await
        .unwrap_err();
    assert!(
        matches!(gone, NetworkError::Rejected(ref m) if m.contains("deleted")),
        "{gone}"
    );

    let ana = find(&inbox, C1).author.clone();
    act(
        "facebook",
        &mut fb,
        Interaction::Block {
            author: ana.clone(),
            message: None,
        },
    )
    .await
    .unwrap();
    let call = last_call(&fake);
    assert_eq!(call.route, format!("POST /{PAGE_ID}/blocked"));
    assert_eq!(call.form.get("user").map(String::as_str), Some("7001"));
    assert_eq!(fake.lock().unwrap().blocked, ["7001"]);

    // Refused before any call: what Graph does not offer, odd ids, a Messenger message.
    let calls = fake.lock().unwrap().log.len();
    let c1 = as_ref(find(&inbox, C1));
    for interaction in [
        Interaction::Repost {
            message: c1.clone(),
        },
        Interaction::Mute {
            author: ana.clone(),
        },
        Interaction::Report {
            message: c1.clone(),
            author: ana.clone(),
            reason: "spam".into(),
        },
        Interaction::Hide {
            message: as_ref(find(&inbox, M1)),
        },
    ] {
        let name = interaction.name();
        let err = act("facebook", &mut fb, interaction).await.unwrap_err();
        assert!(
            matches!(err, NetworkError::Unsupported(ref m) if m.len() > 30),
            "{name}: {err}"
        );
    }
    let odd = act(
        "facebook",
        &mut fb,
        Interaction::Block {
            author: Author {
                id: "../me".into(),
                ..Author::default()
            },
            message: None,
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(odd, NetworkError::Rejected(_)), "{odd}");
    assert_eq!(fake.lock().unwrap().log.len(), calls);

    // Instagram: hide, delete; the rest is not offered.
    let mut ig = ig_creds(&server);
    let inbox = read("instagram", &mut ig, None).await.unwrap();
    act(
        "instagram",
        &mut ig,
        Interaction::Hide {
            message: as_ref(find(&inbox, I1)),
        },
    )
    .await
    .unwrap();
    let call = last_call(&fake);
    assert_eq!(call.route, format!("POST /{I1}"));
    assert_eq!(call.form.get("hide").map(String::as_str), Some("true"));
    assert!(fake.lock().unwrap().live_ig_comment(I1).unwrap().hidden);
    act(
        "instagram",
        &mut ig,
        Interaction::Delete {
            message: as_ref(find(&inbox, I4)),
        },
    )
    .await
    .unwrap();
    assert_eq!(last_call(&fake).route, format!("DELETE /{I4}"));
    assert!(fake.lock().unwrap().live_ig_comment(I4).is_none());
    let calls = fake.lock().unwrap().log.len();
    let i1 = as_ref(find(&inbox, I1));
    let fan = find(&inbox, I1).author.clone();
    for interaction in [
        Interaction::Like {
            message: i1.clone(),
        },
        Interaction::Repost {
            message: i1.clone(),
        },
        Interaction::Mute {
            author: fan.clone(),
        },
        Interaction::Block {
            author: fan.clone(),
            message: None,
        },
        Interaction::Report {
            message: i1,
            author: fan,
            reason: "insultes".into(),
        },
    ] {
        let name = interaction.name();
        let err = act("instagram", &mut ig, interaction).await.unwrap_err();
        assert!(
            matches!(err, NetworkError::Unsupported(ref m) if m.contains("Instagram")),
            "{name}: {err}"
        );
    }
    assert_eq!(fake.lock().unwrap().log.len(), calls);
}

#[tokio::test]
async fn documented_answers_are_read_as_graph_writes_them() {
    let (server, fake) = start().await;
    let feed = fixture("meta_feed.json");
    let tagged = fixture("meta_tagged.json");
    let conversations = fixture("meta_conversations.json");
    let media = fixture("meta_ig_media.json");
    inject(&fake, &format!("GET /{PAGE_ID}/feed"), 200, vec![], &feed);
    inject(
        &fake,
        &format!("GET /{PAGE_ID}/tagged"),
        200,
        vec![],
        &tagged,
    );
    inject(
        &fake,
        &format!("GET /{PAGE_ID}/conversations"),
        200,
        vec![],
        &conversations,
    );
    inject(&fake, &format!("GET /{IG_ID}/media"), 200, vec![], &media);

    let mut fb = fb_creds(&server);
    let page = read("facebook", &mut fb, None).await.unwrap();
    let want = [
        "105000000000001_3000",
        "3001_4001",
        "3001_4003",
        "7004_5001",
        "m_AbCdEf-001",
    ];
    assert_eq!(ids(&page), want);
    assert_eq!(
        find(&page, "3001_4003").parent.as_ref().unwrap().id,
        "3001_4001"
    );
    assert_eq!(
        find(&page, "3001_4003").url.as_deref(),
        Some(
            "https://www.facebook.com/105000000000001/posts/3001?comment_id=4001&reply_comment_id=4003"
        )
    );
    let mut ig = ig_creds(&server);
    let page = read("instagram", &mut ig, None).await.unwrap();
    let want_ig = [
        "17850000000000001",
        "17850000000000002",
        "17850000000000005",
    ];
    assert_eq!(ids(&page), want_ig);

    // The fuzz targets' readings give the same, and nothing (without panicking) from garbage.
    let mut fuzzed: Vec<String> = [
        fuzzing::read_facebook_feed(feed.as_bytes()),
        fuzzing::read_facebook_tagged(tagged.as_bytes()),
        fuzzing::read_facebook_conversations(conversations.as_bytes()),
    ]
    .concat()
    .into_iter()
    .map(|m| m.network_id)
    .collect();
    fuzzed.sort();
    let mut sorted = want.map(str::to_owned).to_vec();
    sorted.sort();
    assert_eq!(fuzzed, sorted);
    let mut fuzzed_ig: Vec<String> = fuzzing::read_instagram_media(media.as_bytes())
        .into_iter()
        .map(|m| m.network_id)
        .collect();
    fuzzed_ig.sort();
    assert_eq!(fuzzed_ig, want_ig);
    for garbage in [
        &b""[..],
        b"{",
        b"[]",
        b"{\"data\": [1, null, \"x\", {\"id\": 5}, {\"id\": \"1_2\", \"comments\": 3}]}",
        b"{\"data\": [{\"id\": \"1\", \"messages\": {\"data\": [{\"id\": \"m 1\"}]}}]}",
        "{\"data\": [{\"id\": \"\u{1F600}_1\", \"from\": {\"id\": \"\u{0}\"}}]}".as_bytes(),
    ] {
        assert!(fuzzing::read_facebook_feed(garbage).is_empty());
        assert!(fuzzing::read_facebook_tagged(garbage).is_empty());
        assert!(fuzzing::read_facebook_conversations(garbage).is_empty());
        assert!(fuzzing::read_instagram_media(garbage).is_empty());
    }
}

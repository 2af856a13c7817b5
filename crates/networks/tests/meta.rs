//! The Facebook Page and Instagram connectors, and the Facebook Login flow, against a small
//! stateful fake of the Graph API endpoints they use, written from Meta's developer
//! documentation: versioned paths (`/v21.0/…`); Page access tokens in an `Authorization:
//! Bearer` header (a token in the query string is refused, to prove none is sent there) and
//! errors as `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}` (190 for a
//! bad token); a Page's `feed` (`message`, `link`, `attached_media[i]`, 506 for a duplicate of
//! the previous post), `photos` (`source` as multipart or `url`, `caption`, `alt_text_custom`,
//! `published=false`), `videos` (`source` or `file_url`), `posts` (`since`, `limit`, paging
//! with `paging.next`), `comments`, `DELETE` and reading a post's reactions, comments and
//! shares; Instagram's containers (`image_url`, `alt_text`, `video_url`, `media_type` REELS,
//! VIDEO and CAROUSEL with `children`, `is_carousel_item`), their `status_code` (IN_PROGRESS
//! for a few polls, FINISHED or ERROR), `media_publish`, the account's `media`, comments and
//! `like_count`/`comments_count`; and the Login endpoints: the code exchange, the
//! `fb_exchange_token` grant and `/me/accounts` across two pages.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use common::{PNG, client, reply};
use relais_networks::meta::{Facebook, FacebookFlow, Instagram, InstagramFlow, oauth};
use relais_networks::oauth::{OAuthApp, OAuthFlow};
use relais_networks::{Connector, Credentials, MediaFile, Metrics, NetworkError, OutgoingPost};
use relais_outbound::{HttpClient, OutboundConfig};
use relais_testkit::mock_http::MockHttp;
use serde_json::{Value, json};

const PAGE_ID: &str = "105000000000001";
const PAGE_NAME: &str = "Café Relais";
const IG_ID: &str = "17841400000000001";
const IG_USERNAME: &str = "cafe.relais";
const APP_ID: &str = "5550001";
const APP_SECRET: &str = "app-s3cret";
const PAGE_TOKEN: &str = "EAAPageToken0";

struct FbPost {
    id: String,
    message: Option<String>,
    link: Option<String>,
    created: DateTime<Utc>,
    photos: Vec<String>,
    video: bool,
    deleted: bool,
    reactions: u64,
    shares: u64,
}

struct Photo {
    /// The uploaded file's content type and size, or the address it was fetched from.
    mime: String,
    size: usize,
    url: Option<String>,
    alt: Option<String>,
    published: bool,
}

struct Comment {
    id: String,
    parent: String,
    message: String,
    from: String,
    created: DateTime<Utc>,
    deleted: bool,
    attachment: bool,
    likes: u64,
}

struct Container {
    fields: HashMap<String, String>,
    polls_left: u32,
    error: Option<String>,
    published: bool,
}

struct IgMedia {
    id: String,
    caption: Option<String>,
    created: DateTime<Utc>,
    container: String,
    likes: u64,
}

/// An answer served instead of the endpoint's, once, for the first request to `route`
/// (`METHOD /path`, without the version).
struct Injected {
    route: String,
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

struct Fake {
    version: String,
    page_token: String,
    /// Long-lived user tokens, good for `/me/accounts`.
    user_tokens: HashSet<String>,
    /// Short-lived user tokens, good for the `fb_exchange_token` grant only.
    short_tokens: HashSet<String>,
    /// Authorization codes: code → redirect_uri.
    codes: HashMap<String, String>,
    /// What `/me/accounts` lists.
    accounts: Vec<Value>,
    next_id: u64,
    posts: Vec<FbPost>,
    photos: HashMap<String, Photo>,
    comments: Vec<Comment>,
    containers: HashMap<String, Container>,
    media: Vec<IgMedia>,
    /// IN_PROGRESS answers a new video or carousel container gives before FINISHED.
    video_polls: u32,
    /// The next container fails processing with this status.
    container_error: Option<String>,
    inject: VecDeque<Injected>,
    /// The first request to this route sleeps this long before answering.
    delay: Option<(String, Duration)>,
    /// The next post is made, then its answer is lost (a 500).
    lose_next_answer: bool,
    /// `METHOD /path` of every request that passed the gate, in order.
    log: Vec<String>,
}

impl Default for Fake {
    fn default() -> Self {
        Self {
            version: "v21.0".into(),
            page_token: PAGE_TOKEN.into(),
            user_tokens: HashSet::new(),
            short_tokens: HashSet::new(),
            codes: HashMap::new(),
            accounts: vec![
                json!({ "id": PAGE_ID, "name": PAGE_NAME, "access_token": PAGE_TOKEN,
                        "category": "Café", "tasks": ["MANAGE", "CREATE_CONTENT"],
                        "instagram_business_account": { "id": IG_ID, "username": IG_USERNAME } }),
                json!({ "id": "105000000000002", "name": "Sans Instagram",
                        "access_token": "EAAPageToken2", "tasks": ["CREATE_CONTENT"] }),
                json!({ "id": "105000000000003", "name": "Boulangerie",
                        "access_token": "EAAPageToken3",
                        "instagram_business_account": { "id": "17841400000000003",
                                                        "username": "boulangerie" } }),
            ],
            next_id: 900_000,
            posts: Vec::new(),
            photos: HashMap::new(),
            comments: Vec::new(),
            containers: HashMap::new(),
            media: Vec::new(),
            video_polls: 2,
            container_error: None,
            inject: VecDeque::new(),
            delay: None,
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

    fn live_post(&self, id: &str) -> Option<&FbPost> {
        self.posts.iter().find(|p| p.id == id && !p.deleted)
    }

    fn live_media(&self, id: &str) -> Option<&IgMedia> {
        self.media.iter().find(|m| m.id == id)
    }

    fn live_comment(&self, id: &str) -> Option<&Comment> {
        self.comments.iter().find(|c| c.id == id && !c.deleted)
    }

    /// Whether comment `id` sits, at any depth, under `ancestor`.
    fn is_under(&self, id: &str, ancestor: &str) -> bool {
        let mut at = id.to_owned();
        while let Some(c) = self.comments.iter().find(|c| c.id == at) {
            if c.parent == ancestor {
                return true;
            }
            at = c.parent.clone();
        }
        false
    }
}

type Shared = Arc<Mutex<Fake>>;

fn graph_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+0000").to_string()
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

fn missing(id: &str) -> Response {
    error(
        400,
        100,
        Some(33),
        &format!(
            "Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded \
             due to missing permissions, or does not support this operation."
        ),
    )
}

fn ok(v: Value) -> Response {
    axum::Json(v).into_response()
}

/// The fields a read asks for.
fn fields(q: &HashMap<String, String>) -> String {
    q.get("fields").cloned().unwrap_or_default()
}

/// A list answer: `items[offset..offset+limit]`, with Graph's paging (the `next` address
/// carries the token, as Graph's do).
fn list(
    items: Vec<Value>,
    q: &HashMap<String, String>,
    base: &str,
    path: &str,
    max: usize,
    token: &str,
) -> Response {
    let limit = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(25)
        .min(max);
    let offset: usize = q.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    let page: Vec<Value> = items.iter().skip(offset).take(limit).cloned().collect();
    let mut paging = json!({ "cursors": { "before": offset.to_string(),
                                          "after": (offset + page.len()).to_string() } });
    if offset + limit < items.len() {
        let mut next = url::Url::parse(&format!("{base}{path}")).unwrap();
        {
            let mut pairs = next.query_pairs_mut();
            pairs.append_pair("access_token", token);
            for (k, v) in q {
                if k != "after" {
                    pairs.append_pair(k, v);
                }
            }
            pairs.append_pair("after", &(offset + limit).to_string());
        }
        paging["next"] = json!(next.as_str());
    }
    ok(json!({ "data": page, "paging": paging }))
}

/// The fields of a form or multipart body: name → (content type, bytes).
fn body_fields(headers: &HeaderMap, body: &[u8]) -> HashMap<String, (String, Vec<u8>)> {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if ct.starts_with("application/x-www-form-urlencoded") {
        return url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), (String::new(), v.as_bytes().to_vec())))
            .collect();
    }
    let Some(boundary) = ct.split("boundary=").nth(1) else {
        return HashMap::new();
    };
    let boundary = format!("--{boundary}");
    let mut out = HashMap::new();
    let text = body;
    let mut parts: Vec<&[u8]> = Vec::new();
    let mut rest = text;
    while let Some(at) = find(rest, boundary.as_bytes()) {
        rest = &rest[at + boundary.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let end = find(rest, boundary.as_bytes()).unwrap_or(rest.len());
        parts.push(&rest[..end]);
    }
    for part in parts {
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let Some(split) = find(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..split]).to_string();
        let content = part[split + 4..]
            .strip_suffix(b"\r\n")
            .unwrap_or(&part[split + 4..]);
        let name = head
            .split("name=\"")
            .nth(1)
            .and_then(|n| n.split('"').next())
            .unwrap_or_default()
            .to_owned();
        let mime = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-type:")
                    .map(|v| v.trim().to_owned())
            })
            .unwrap_or_default();
        out.insert(name, (mime, content.to_vec()));
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn text_fields(parts: &HashMap<String, (String, Vec<u8>)>) -> HashMap<String, String> {
    parts
        .iter()
        .filter(|(_, (mime, _))| mime.is_empty())
        .map(|(k, (_, v))| (k.clone(), String::from_utf8_lossy(v).to_string()))
        .collect()
}

/// Every Graph request comes here: version, injected answers, delays, the token, then the
/// endpoint.
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
    let full = uri.path().to_owned();
    let (version, path) = {
        let trimmed = full.trim_start_matches('/');
        match trimmed.split_once('/') {
            Some((v, rest)) => (v.to_owned(), format!("/{rest}")),
            None => (trimmed.to_owned(), "/".to_owned()),
        }
    };
    let route = format!("{method} {path}");
    let delay = {
        let mut fake = s.lock().unwrap();
        match &fake.delay {
            Some((r, d)) if *r == route => {
                let d = *d;
                fake.delay = None;
                Some(d)
            }
            _ => None,
        }
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let mut fake = s.lock().unwrap();
    if version != fake.version {
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
        // Graph takes it, but a token in an address ends up in logs: Relais never sends one.
        return error(
            400,
            100,
            None,
            "test fake: the access token was sent in the query string",
        );
    }
    let base = format!("http://{}", headers["host"].to_str().unwrap());
    let segments: Vec<&str> = path
        .trim_start_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    if segments == ["oauth", "access_token"] && method == Method::GET {
        fake.log.push(route);
        return token_endpoint(&mut fake, &q);
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    let me_accounts = segments == ["me", "accounts"];
    let valid = if me_accounts {
        fake.user_tokens.contains(&bearer)
    } else {
        bearer == fake.page_token
    };
    if !valid {
        return error(
            400,
            190,
            Some(463),
            "Error validating access token: Session has expired on Tuesday, 01-Jul-25 \
             10:00:00 PDT. The current time is Wednesday, 02-Jul-25 10:00:00 PDT.",
        );
    }
    fake.log.push(route);
    let parts = body_fields(&headers, &body);
    let form = text_fields(&parts);
    let root = format!("/{version}{path}");
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["me", "accounts"]) => {
            let token = bearer.clone();
            list(fake.accounts.clone(), &q, &base, &root, 2, &token)
        }
        ("GET", [id]) => read(&mut fake, id, &q),
        ("DELETE", [id]) => delete(&mut fake, id),
        ("POST", [page, "feed"]) if *page == PAGE_ID => feed(&mut fake, &form),
        ("POST", [page, "photos"]) if *page == PAGE_ID => photos(&mut fake, &form, &parts),
        ("POST", [page, "videos"]) if *page == PAGE_ID => videos(&mut fake, &form, &parts),
        ("GET", [page, "posts"]) if *page == PAGE_ID => {
            let since = q
                .get("since")
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(0);
            let mut items: Vec<Value> = fake
                .posts
                .iter()
                .filter(|p| !p.deleted && !p.video && p.created.timestamp() >= since)
                .map(|p| {
                    let mut v = json!({ "id": p.id, "created_time": graph_time(&p.created) });
                    if let Some(m) = &p.message {
                        v["message"] = json!(m);
                    }
                    v
                })
                .collect();
            items.reverse();
            let token = fake.page_token.clone();
            list(items, &q, &base, &root, 100, &token)
        }
        ("GET", [page, "videos"]) if *page == PAGE_ID => {
            let mut items: Vec<Value> = fake
                .posts
                .iter()
                .filter(|p| !p.deleted && p.video)
                .map(|p| {
                    json!({ "id": p.id, "created_time": graph_time(&p.created),
                                 "description": p.message })
                })
                .collect();
            items.reverse();
            let token = fake.page_token.clone();
            list(items, &q, &base, &root, 100, &token)
        }
        ("POST", [id, "comments"]) => comment(&mut fake, id, &form, &parts),
        ("GET", [id, "comments"]) => {
            // `filter=stream` lists the comments of every level, as Graph does; otherwise the
            // direct ones only.
            let stream = q.get("filter").map(String::as_str) == Some("stream");
            let mut items: Vec<Value> = fake
                .comments
                .iter()
                .filter(|c| {
                    !c.deleted && (c.parent == *id || (stream && fake.is_under(&c.parent, id)))
                })
                .map(|c| {
                    let ig = c.from == IG_ID || c.from.starts_with("1784");
                    let mut v = json!({ "id": c.id, "from": { "id": c.from } });
                    if ig {
                        v["text"] = json!(c.message);
                        v["timestamp"] = json!(graph_time(&c.created));
                    } else {
                        v["message"] = json!(c.message);
                        v["created_time"] = json!(graph_time(&c.created));
                    }
                    v
                })
                .collect();
            if q.get("order").map(String::as_str) == Some("reverse_chronological") {
                items.reverse();
            }
            let token = fake.page_token.clone();
            list(items, &q, &base, &root, 100, &token)
        }
        ("POST", [user, "media"]) if *user == IG_ID => container(&mut fake, &form),
        ("POST", [user, "media_publish"]) if *user == IG_ID => media_publish(&mut fake, &form),
        ("GET", [user, "media"]) if *user == IG_ID => {
            let mut items: Vec<Value> = fake
                .media
                .iter()
                .map(|m| {
                    let mut v = json!({ "id": m.id, "timestamp": graph_time(&m.created),
                                        "permalink": permalink(&m.id) });
                    if let Some(c) = &m.caption {
                        v["caption"] = json!(c);
                    }
                    v
                })
                .collect();
            items.reverse();
            let token = fake.page_token.clone();
            list(items, &q, &base, &root, 100, &token)
        }
        _ => error(
            400,
            100,
            None,
            &format!("Unsupported {} request.", method.as_str().to_lowercase()),
        ),
    }
}

fn permalink(id: &str) -> String {
    format!("https://www.instagram.com/p/C{id}x/")
}

fn token_endpoint(fake: &mut Fake, q: &HashMap<String, String>) -> Response {
    if q.get("client_id").map(String::as_str) != Some(APP_ID)
        || q.get("client_secret").map(String::as_str) != Some(APP_SECRET)
    {
        return error(400, 1, None, "Error validating client secret.");
    }
    if q.get("grant_type").map(String::as_str) == Some("fb_exchange_token") {
        let short = q.get("fb_exchange_token").cloned().unwrap_or_default();
        if !fake.short_tokens.remove(&short) {
            return error(400, 190, None, "Invalid OAuth access token.");
        }
        let long = format!("EAALongUser{}", fake.id());
        fake.user_tokens.insert(long.clone());
        return ok(json!({ "access_token": long, "token_type": "bearer",
                          "expires_in": 5_183_944 }));
    }
    let code = q.get("code").cloned().unwrap_or_default();
    match fake.codes.remove(&code) {
        Some(redirect) if q.get("redirect_uri") == Some(&redirect) => {
            let short = format!("EAAShortUser{}", fake.id());
            fake.short_tokens.insert(short.clone());
            ok(json!({ "access_token": short, "token_type": "bearer", "expires_in": 5_400 }))
        }
        Some(_) => error(
            400,
            100,
            Some(36008),
            "Error validating verification code. Please make sure your redirect_uri is \
             identical to the one you used in the OAuth dialog request",
        ),
        None => error(
            400,
            100,
            Some(36009),
            "This authorization code has been used.",
        ),
    }
}

fn read(fake: &mut Fake, id: &str, q: &HashMap<String, String>) -> Response {
    let fields = fields(q);
    if id == PAGE_ID {
        return ok(json!({ "id": PAGE_ID, "name": PAGE_NAME }));
    }
    if id == IG_ID {
        return ok(json!({ "id": IG_ID, "username": IG_USERNAME }));
    }
    if let Some(p) = fake.live_post(id) {
        let comments = fake
            .comments
            .iter()
            .filter(|c| c.parent == id && !c.deleted)
            .count();
        let mut v = json!({ "id": p.id });
        if fields.contains("reactions") {
            v["reactions"] = json!({ "data": [], "summary": { "total_count": p.reactions,
                                                             "viewer_reaction": "NONE" } });
        }
        if fields.contains("comments") {
            v["comments"] = json!({ "data": [], "summary": { "order": "ranked",
                                    "total_count": comments, "can_comment": true } });
        }
        if fields.split(',').any(|f| f == "shares") && p.shares > 0 {
            v["shares"] = json!({ "count": p.shares });
        }
        return ok(v);
    }
    if let Some(c) = fake.comments.iter().find(|c| c.id == id && !c.deleted) {
        if fields.contains("shares") || fields.contains("reactions.") {
            return error(
                400,
                100,
                None,
                "(#100) Tried accessing nonexisting field (shares) on node type (Comment)",
            );
        }
        let replies = fake
            .comments
            .iter()
            .filter(|r| r.parent == id && !r.deleted)
            .count();
        return ok(json!({ "id": c.id, "like_count": c.likes, "comment_count": replies }));
    }
    if let Some(c) = fake.containers.get_mut(id) {
        if fields != "status_code,status" {
            return error(
                400,
                100,
                None,
                "(#100) fields must be status_code,status here",
            );
        }
        let (code, status) = if let Some(e) = &c.error {
            ("ERROR", e.clone())
        } else if c.published {
            ("PUBLISHED", "Published".to_owned())
        } else if c.polls_left > 0 {
            c.polls_left -= 1;
            ("IN_PROGRESS", "In Progress".to_owned())
        } else {
            ("FINISHED", "Finished".to_owned())
        };
        return ok(json!({ "id": id, "status_code": code, "status": status }));
    }
    if let Some(m) = fake.live_media(id) {
        let mut v = json!({ "id": m.id });
        for f in fields.split(',') {
            match f {
                "like_count" => v["like_count"] = json!(m.likes),
                "comments_count" => {
                    v["comments_count"] = json!(
                        fake.comments
                            .iter()
                            .filter(|c| c.parent == id && !c.deleted)
                            .count()
                    )
                }
                "permalink" => v["permalink"] = json!(permalink(&m.id)),
                _ => {}
            }
        }
        return ok(v);
    }
    missing(id)
}

fn delete(fake: &mut Fake, id: &str) -> Response {
    if let Some(p) = fake.posts.iter_mut().find(|p| p.id == id && !p.deleted) {
        p.deleted = true;
        return ok(json!({ "success": true }));
    }
    if let Some(c) = fake.comments.iter_mut().find(|c| c.id == id && !c.deleted) {
        c.deleted = true;
        return ok(json!({ "success": true }));
    }
    if fake.live_media(id).is_some() {
        return error(400, 100, None, "Unsupported delete request.");
    }
    missing(id)
}

/// Makes a Page post; the answer may be lost on purpose.
fn make_post(fake: &mut Fake, post: FbPost, answer: Value) -> Response {
    fake.posts.push(post);
    if std::mem::take(&mut fake.lose_next_answer) {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(
                json!({ "error": { "message": "An unexpected error has occurred. \
                Please retry your request later.", "type": "OAuthException",
                "is_transient": true, "code": 2, "fbtrace_id": "X" } }),
            ),
        )
            .into_response();
    }
    ok(answer)
}

fn feed(fake: &mut Fake, form: &HashMap<String, String>) -> Response {
    let message = form.get("message").cloned().filter(|m| !m.is_empty());
    let link = form.get("link").cloned();
    let mut photos = Vec::new();
    for i in 0.. {
        let Some(attached) = form.get(&format!("attached_media[{i}]")) else {
            break;
        };
        let Some(id) = serde_json::from_str::<Value>(attached)
            .ok()
            .and_then(|v| v["media_fbid"].as_str().map(str::to_owned))
        else {
            return error(
                400,
                100,
                None,
                "(#100) param attached_media must be an array of objects",
            );
        };
        match fake.photos.get(&id) {
            Some(p) if !p.published => photos.push(id),
            _ => return error(400, 100, None, &format!("(#100) Invalid media_fbid {id}")),
        }
    }
    if message.is_none() && link.is_none() && photos.is_empty() {
        return error(400, 100, None, "(#100) Missing message or attachment");
    }
    if let Some(l) = &link
        && url::Url::parse(l).is_err()
    {
        return error(400, 100, None, "(#100) The link is not a valid URL");
    }
    let last = fake.posts.iter().rev().find(|p| !p.deleted && !p.video);
    if message.is_some() && last.is_some_and(|p| p.message == message) {
        return error(400, 506, None, "(#506) Duplicate status message");
    }
    let id = format!("{PAGE_ID}_{}", fake.id());
    for p in &photos {
        fake.photos.get_mut(p).unwrap().published = true;
    }
    let post = FbPost {
        id: id.clone(),
        message,
        link,
        created: Utc::now(),
        photos,
        video: false,
        deleted: false,
        reactions: 0,
        shares: 0,
    };
    make_post(fake, post, json!({ "id": id }))
}

fn photos(
    fake: &mut Fake,
    form: &HashMap<String, String>,
    parts: &HashMap<String, (String, Vec<u8>)>,
) -> Response {
    let (mime, size, url) = match (parts.get("source"), form.get("url")) {
        (Some((mime, bytes)), _) if !mime.is_empty() => (mime.clone(), bytes.len(), None),
        (_, Some(url)) if url.starts_with("https://") => (String::new(), 0, Some(url.clone())),
        _ => return error(400, 324, None, "(#324) Requires upload file"),
    };
    if form.contains_key("message") {
        return error(400, 100, None, "test fake: a photo's text is its caption");
    }
    let published = form.get("published").map(String::as_str) != Some("false");
    let photo_id = fake.id();
    fake.photos.insert(
        photo_id.clone(),
        Photo {
            mime,
            size,
            url,
            alt: form.get("alt_text_custom").cloned(),
            published,
        },
    );
    if !published {
        return ok(json!({ "id": photo_id }));
    }
    let post_id = format!("{PAGE_ID}_{}", fake.id());
    let post = FbPost {
        id: post_id.clone(),
        message: form.get("caption").cloned().filter(|c| !c.is_empty()),
        link: None,
        created: Utc::now(),
        photos: vec![photo_id.clone()],
        video: false,
        deleted: false,
        reactions: 0,
        shares: 0,
    };
    make_post(fake, post, json!({ "id": photo_id, "post_id": post_id }))
}

fn videos(
    fake: &mut Fake,
    form: &HashMap<String, String>,
    parts: &HashMap<String, (String, Vec<u8>)>,
) -> Response {
    let has_file = parts
        .get("source")
        .is_some_and(|(m, _)| m.starts_with("video/"));
    if !has_file
        && !form
            .get("file_url")
            .is_some_and(|u| u.starts_with("https://"))
    {
        return error(
            400,
            390,
            None,
            "(#390) There was a problem uploading your video file",
        );
    }
    let id = fake.id();
    let post = FbPost {
        id: id.clone(),
        message: form.get("description").cloned(),
        link: None,
        created: Utc::now(),
        photos: vec![],
        video: true,
        deleted: false,
        reactions: 0,
        shares: 0,
    };
    make_post(fake, post, json!({ "id": id }))
}

fn comment(
    fake: &mut Fake,
    parent: &str,
    form: &HashMap<String, String>,
    parts: &HashMap<String, (String, Vec<u8>)>,
) -> Response {
    let on_ig = fake.live_media(parent).is_some();
    // A Facebook comment takes replies (`POST /{comment-id}/comments`).
    let under_comment = !on_ig && fake.live_comment(parent).is_some();
    if !on_ig && !under_comment && fake.live_post(parent).is_none() {
        return missing(parent);
    }
    let attachment = parts.get("source").is_some_and(|(m, _)| !m.is_empty())
        || form.contains_key("attachment_url");
    let message = form.get("message").cloned().unwrap_or_default();
    if message.is_empty() && !attachment {
        return error(400, 100, None, "(#100) Missing message or attachment");
    }
    let n = fake.id();
    // Graph's comment ids are `<post>_<comment>`, a reply's too (the post it sits under).
    let id = if on_ig {
        n
    } else if under_comment {
        format!("{}_{n}", parent.split('_').next().unwrap())
    } else {
        format!("{}_{n}", parent.rsplit('_').next().unwrap())
    };
    fake.comments.push(Comment {
        id: id.clone(),
        parent: parent.to_owned(),
        message,
        from: if on_ig { IG_ID } else { PAGE_ID }.to_owned(),
        created: Utc::now(),
        deleted: false,
        attachment,
        likes: 0,
    });
    ok(json!({ "id": id }))
}

fn container(fake: &mut Fake, form: &HashMap<String, String>) -> Response {
    let media_type = form.get("media_type").map(String::as_str);
    let item = form.get("is_carousel_item").map(String::as_str) == Some("true");
    let fetchable = |k: &str| form.get(k).is_some_and(|u| u.starts_with("https://"));
    let mut polls = 0;
    match media_type {
        None => {
            if !fetchable("image_url") {
                return error(
                    400,
                    9004,
                    Some(2_207_052),
                    "The media could not be fetched from this uri",
                );
            }
        }
        Some("REELS" | "VIDEO") => {
            if !fetchable("video_url") {
                return error(
                    400,
                    9004,
                    Some(2_207_052),
                    "The media could not be fetched from this uri",
                );
            }
            if (media_type == Some("VIDEO")) != item {
                return error(
                    400,
                    100,
                    None,
                    "(#100) VIDEO is for carousel items; use REELS",
                );
            }
            if form.contains_key("alt_text") {
                return error(400, 100, None, "(#100) alt_text is not supported for reels");
            }
            polls = fake.video_polls;
        }
        Some("CAROUSEL") => {
            let children: Vec<&str> = form
                .get("children")
                .map(|c| c.split(',').collect())
                .unwrap_or_default();
            if !(2..=10).contains(&children.len()) {
                return error(400, 100, None, "(#100) children must have 2 to 10 items");
            }
            for c in &children {
                match fake.containers.get(*c) {
                    Some(child)
                        if child.fields.get("is_carousel_item").map(String::as_str)
                            == Some("true")
                            && child.polls_left == 0
                            && child.error.is_none() => {}
                    _ => {
                        return error(400, 100, None, &format!("(#100) Invalid child {c}"));
                    }
                }
            }
            polls = 1;
        }
        Some(other) => {
            return error(
                400,
                100,
                None,
                &format!("(#100) Invalid media_type {other}"),
            );
        }
    }
    if media_type != Some("CAROUSEL") && !item && form.contains_key("children") {
        return error(400, 100, None, "(#100) children without CAROUSEL");
    }
    if item && form.contains_key("caption") {
        return error(400, 100, None, "test fake: carousel items take no caption");
    }
    let id = fake.id();
    let error_status = fake.container_error.take();
    fake.containers.insert(
        id.clone(),
        Container {
            fields: form.clone(),
            polls_left: polls,
            error: error_status,
            published: false,
        },
    );
    ok(json!({ "id": id }))
}

fn media_publish(fake: &mut Fake, form: &HashMap<String, String>) -> Response {
    let creation = form.get("creation_id").cloned().unwrap_or_default();
    let Some(c) = fake.containers.get_mut(&creation) else {
        return error(400, 100, None, "(#100) Param creation_id is required");
    };
    if c.fields.get("is_carousel_item").map(String::as_str) == Some("true") {
        return error(
            400,
            100,
            None,
            "(#100) A carousel item cannot be published alone",
        );
    }
    if c.polls_left > 0 || c.error.is_some() {
        return error(400, 9007, Some(2_207_027), "Media ID is not available");
    }
    if c.published {
        return error(400, 100, None, "(#100) The container was published already");
    }
    c.published = true;
    let caption = c.fields.get("caption").cloned();
    let id = fake.id();
    fake.media.push(IgMedia {
        id: id.clone(),
        caption,
        created: Utc::now(),
        container: creation,
        likes: 0,
    });
    if std::mem::take(&mut fake.lose_next_answer) {
        return error(500, 2, None, "Service temporarily unavailable");
    }
    ok(json!({ "id": id }))
}

async fn start() -> (MockHttp, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Fake::default()));
    let router = Router::new().fallback(graph).with_state(shared.clone());
    (MockHttp::start(router).await, shared)
}

fn fb_creds(server: &MockHttp) -> Credentials {
    Credentials {
        settings: json!({ "api_base": server.base_url(), "page_id": PAGE_ID,
                          "page_name": PAGE_NAME, "client_id": APP_ID }),
        secrets: [("access_token".to_owned(), PAGE_TOKEN.to_owned())].into(),
        changed: false,
    }
}

fn ig_creds(server: &MockHttp) -> Credentials {
    Credentials {
        settings: json!({ "api_base": server.base_url(), "ig_user_id": IG_ID,
                          "username": IG_USERNAME, "page_id": PAGE_ID, "client_id": APP_ID }),
        secrets: [("access_token".to_owned(), PAGE_TOKEN.to_owned())].into(),
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

fn with_media(
    mut p: OutgoingPost,
    mime: &str,
    alt: Option<&str>,
    url: Option<&str>,
) -> OutgoingPost {
    p.media.push(MediaFile {
        mime: mime.to_owned(),
        bytes: PNG.to_vec(),
        alt: alt.map(str::to_owned),
        public_url: url.map(str::to_owned),
    });
    p
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

fn media_url(n: u32) -> String {
    format!("https://relais.example/m/secret-{n}")
}

#[tokio::test]
async fn facebook_publishes_text_links_comments_and_reads_them_back() {
    let (server, fake) = start().await;
    let fb = Facebook::new(client(Duration::from_secs(10)));
    let mut creds = fb_creds(&server);
    assert_eq!(fb.network(), "facebook");
    assert_eq!(fb.verify(&mut creds).await.unwrap(), PAGE_NAME);

    // A text with a link: the link goes as `link` too.
    let text = post("Nouvelle carte : https://cafe.example/carte. À bientôt !");
    let p = fb.publish(&mut creds, &text).await.unwrap();
    assert!(p.id.starts_with(&format!("{PAGE_ID}_")));
    assert_eq!(p.url, format!("https://www.facebook.com/{}", p.id));
    assert_eq!(p.version, None);
    {
        let f = fake.lock().unwrap();
        let stored = f.live_post(&p.id).unwrap();
        assert_eq!(stored.message.as_deref(), Some(text.text.as_str()));
        assert_eq!(stored.link.as_deref(), Some("https://cafe.example/carte"));
    }
    // Found again after a crash, and only that one.
    assert_eq!(
        fb.find_published(&mut creds, &text).await.unwrap(),
        Some(p.clone())
    );
    assert_eq!(
        fb.find_published(&mut creds, &post("jamais envoyé"))
            .await
            .unwrap(),
        None
    );
    assert!(
        fake.lock()
            .unwrap()
            .log
            .contains(&format!("GET /{PAGE_ID}/posts"))
    );

    // A thread: each part goes under the one it answers (the second on the post, the third
    // under the second).
    let second_post = reply(post("2/3 la suite"), &p, &p);
    let second = fb.publish(&mut creds, &second_post).await.unwrap();
    let third_post = reply(post("3/3 la fin"), &p, &second);
    let third = fb.publish(&mut creds, &third_post).await.unwrap();
    assert_eq!(second.version.as_deref(), Some("comment"));
    let comment_part = second.id.rsplit('_').next().unwrap();
    assert_eq!(
        second.url,
        format!(
            "https://www.facebook.com/{}?comment_id={comment_part}",
            p.id
        )
    );
    {
        let f = fake.lock().unwrap();
        for (c, parent) in [(&second, &p.id), (&third, &second.id)] {
            let stored = f.comments.iter().find(|x| x.id == c.id).unwrap();
            assert_eq!(
                (stored.parent.as_str(), stored.from.as_str()),
                (parent.as_str(), PAGE_ID)
            );
        }
    }
    assert_eq!(
        fb.find_published(&mut creds, &third_post).await.unwrap(),
        Some(third.clone())
    );
    assert_eq!(
        fb.find_published(&mut creds, &reply(post("4/3 rien"), &p, &third))
            .await
            .unwrap(),
        None
    );
    // A comment with an image.
    let pictured = with_media(reply(post("En image"), &p, &p), "image/png", None, None);
    let c = fb.publish(&mut creds, &pictured).await.unwrap();
    assert!(
        fake.lock()
            .unwrap()
            .comments
            .iter()
            .any(|x| x.id == c.id && x.attachment)
    );

    // Metrics: reactions, comments, shares; a comment's likes.
    {
        let mut f = fake.lock().unwrap();
        let stored = f.posts.iter_mut().find(|x| x.id == p.id).unwrap();
        stored.reactions = 12;
        stored.shares = 3;
        f.comments
            .iter_mut()
            .find(|x| x.id == second.id)
            .unwrap()
            .likes = 2;
    }
    assert_eq!(
        fb.metrics(&mut creds, &p).await.unwrap(),
        Metrics {
            likes: Some(12),
            reposts: Some(3),
            // The top-level comments: the second part and the pictured one.
            replies: Some(2),
            quotes: None,
            views: None,
        }
    );
    let m = fb.metrics(&mut creds, &second).await.unwrap();
    assert_eq!((m.likes, m.replies, m.reposts), (Some(2), Some(1), None));

    // Delete a comment, then the post; deleting again is fine; metrics of a gone post refuse.
    fb.delete(&mut creds, &third).await.unwrap();
    fb.delete(&mut creds, &p).await.unwrap();
    fb.delete(&mut creds, &p).await.unwrap();
    assert!(fake.lock().unwrap().live_post(&p.id).is_none());
    assert!(matches!(
        fb.metrics(&mut creds, &p).await,
        Err(NetworkError::Rejected(m)) if m.contains("gone")
    ));
    assert!(!creds.changed, "Page tokens never change");
}

#[tokio::test]
async fn facebook_publishes_images_with_alt_text_and_a_video() {
    let (server, fake) = start().await;
    let fb = Facebook::new(client(Duration::from_secs(10)));
    let mut creds = fb_creds(&server);

    // One image, uploaded: the answer's post_id is the post.
    let one = with_media(
        post("Notre terrasse"),
        "image/png",
        Some("Une terrasse au soleil"),
        None,
    );
    let p = fb.publish(&mut creds, &one).await.unwrap();
    {
        let f = fake.lock().unwrap();
        let stored = f.live_post(&p.id).unwrap();
        assert_eq!(stored.message.as_deref(), Some("Notre terrasse"));
        let photo = &f.photos[&stored.photos[0]];
        assert_eq!((photo.mime.as_str(), photo.size), ("image/png", PNG.len()));
        assert_eq!(photo.alt.as_deref(), Some("Une terrasse au soleil"));
        assert!(photo.published);
    }
    assert_eq!(fb.find_published(&mut creds, &one).await.unwrap(), Some(p));

    // One image by its public address.
    let by_url = with_media(post("Par adresse"), "image/jpeg", None, Some(&media_url(1)));
    let p = fb.publish(&mut creds, &by_url).await.unwrap();
    {
        let f = fake.lock().unwrap();
        let photo = &f.photos[&f.live_post(&p.id).unwrap().photos[0]];
        assert_eq!(photo.url.as_deref(), Some(media_url(1).as_str()));
        assert_eq!(photo.alt, None);
    }

    // Three images: uploaded unpublished, then attached to one post.
    fake.lock().unwrap().log.clear();
    let mut three = post("Trois vues");
    for i in 0..3 {
        three = with_media(three, "image/png", Some(&format!("Vue {i}")), None);
    }
    let p = fb.publish(&mut creds, &three).await.unwrap();
    {
        let f = fake.lock().unwrap();
        assert_eq!(
            f.log,
            [
                format!("POST /{PAGE_ID}/photos"),
                format!("POST /{PAGE_ID}/photos"),
                format!("POST /{PAGE_ID}/photos"),
                format!("POST /{PAGE_ID}/feed")
            ]
        );
        let stored = f.live_post(&p.id).unwrap();
        assert_eq!(stored.photos.len(), 3);
        let alts: Vec<_> = stored
            .photos
            .iter()
            .map(|id| f.photos[id].alt.clone().unwrap())
            .collect();
        assert_eq!(alts, ["Vue 0", "Vue 1", "Vue 2"]);
    }

    // A video, by address; then uploaded.
    let video = with_media(post("La vidéo"), "video/mp4", None, Some(&media_url(2)));
    let v = fb.publish(&mut creds, &video).await.unwrap();
    assert_eq!(v.version.as_deref(), Some("video"));
    assert_eq!(
        v.url,
        format!("https://www.facebook.com/{PAGE_ID}/videos/{}", v.id)
    );
    assert_eq!(
        fb.find_published(&mut creds, &video).await.unwrap(),
        Some(v.clone())
    );
    let uploaded = with_media(post("Envoyée"), "video/mp4", None, None);
    fb.publish(&mut creds, &uploaded).await.unwrap();
    let m = fb.metrics(&mut creds, &v).await.unwrap();
    assert_eq!((m.likes, m.replies, m.reposts), (Some(0), Some(0), None));

    // What a Page cannot take is refused before anything is sent.
    fake.lock().unwrap().log.clear();
    let mixed = with_media(
        with_media(post("Mélange"), "image/png", None, None),
        "video/mp4",
        None,
        None,
    );
    assert!(matches!(
        fb.publish(&mut creds, &mixed).await,
        Err(NetworkError::Rejected(_))
    ));
    assert!(matches!(
        fb.publish(&mut creds, &post("   ")).await,
        Err(NetworkError::Rejected(_))
    ));
    assert!(fake.lock().unwrap().log.is_empty());
}

#[tokio::test]
async fn facebook_duplicate_after_a_lost_answer_returns_the_earlier_post() {
    let (server, fake) = start().await;
    let fb = Facebook::new(client(Duration::from_secs(10)));
    let mut creds = fb_creds(&server);

    // The post is made, but its answer is lost: a transient error.
    let lost = post("Réponse perdue, post retrouvé");
    fake.lock().unwrap().lose_next_answer = true;
    let err = fb.publish(&mut creds, &lost).await.unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");
    let made = fake.lock().unwrap().posts[0].id.clone();

    // The scheduler asks first: it is there.
    let found = fb.find_published(&mut creds, &lost).await.unwrap().unwrap();
    assert_eq!(found.id, made);

    // Publishing again anyway: Facebook refuses the duplicate, the connector finds the post.
    let again = fb.publish(&mut creds, &lost).await.unwrap();
    assert_eq!(again, found);
    assert_eq!(
        fake.lock()
            .unwrap()
            .posts
            .iter()
            .filter(|p| !p.deleted)
            .count(),
        1
    );

    // A duplicate of an older post (outside the look-back window) is refused, with the reason.
    {
        let mut f = fake.lock().unwrap();
        f.posts.clear();
        f.posts.push(FbPost {
            id: format!("{PAGE_ID}_1"),
            message: Some("Bonjour à tous".into()),
            link: None,
            created: Utc::now() - chrono::Duration::hours(3),
            photos: vec![],
            video: false,
            deleted: false,
            reactions: 0,
            shares: 0,
        });
    }
    let err = fb
        .publish(&mut creds, &post("Bonjour à tous"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("Duplicate status message")),
        "{err}"
    );
}

#[tokio::test]
async fn find_published_pages_through_the_list() {
    let (server, fake) = start().await;
    let fb = Facebook::new(client(Duration::from_secs(10)));
    let mut creds = fb_creds(&server);
    let first = post("Le tout premier");
    let p = fb.publish(&mut creds, &first).await.unwrap();
    for i in 0..150 {
        fb.publish(&mut creds, &post(&format!("Billet {i}")))
            .await
            .unwrap();
    }
    fake.lock().unwrap().log.clear();
    assert_eq!(
        fb.find_published(&mut creds, &first).await.unwrap(),
        Some(p)
    );
    let log = fake.lock().unwrap().log.clone();
    assert_eq!(log.len(), 2, "two pages of 100: {log:?}");
}

#[tokio::test]
async fn instagram_publishes_images_carousels_reels_and_comments() {
    let (server, fake) = start().await;
    let ig = Instagram::new(client(Duration::from_secs(10)));
    let mut creds = ig_creds(&server);
    assert_eq!(ig.network(), "instagram");
    assert_eq!(ig.verify(&mut creds).await.unwrap(), "@cafe.relais");

    // A text alone is refused; media without a public address need Relais's public_url.
    assert!(matches!(
        ig.publish(&mut creds, &post("Juste du texte")).await,
        Err(NetworkError::Rejected(m)) if m.contains("image or a video")
    ));
    let err = ig
        .publish(
            &mut creds,
            &with_media(post("Sans adresse"), "image/jpeg", None, None),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Misconfigured(ref m) if m.contains("public_url")),
        "{err}"
    );
    assert!(fake.lock().unwrap().containers.is_empty());

    // One image with its alt text: container, status, publish, permalink.
    fake.lock().unwrap().log.clear();
    let one = with_media(
        post("Le café du jour #latte"),
        "image/jpeg",
        Some("Un latte"),
        Some(&media_url(1)),
    );
    let p = ig.publish(&mut creds, &one).await.unwrap();
    assert_eq!(p.url, permalink(&p.id));
    {
        let f = fake.lock().unwrap();
        let m = f.live_media(&p.id).unwrap();
        assert_eq!(m.caption.as_deref(), Some("Le café du jour #latte"));
        let c = &f.containers[&m.container];
        assert_eq!(c.fields["image_url"], media_url(1));
        assert_eq!(c.fields["alt_text"], "Un latte");
        let routes: Vec<&str> = f.log.iter().map(String::as_str).collect();
        assert_eq!(routes.len(), 4, "{routes:?}");
        assert_eq!(routes[0], format!("POST /{IG_ID}/media"));
        assert_eq!(routes[2], format!("POST /{IG_ID}/media_publish"));
    }
    assert_eq!(
        ig.find_published(&mut creds, &one).await.unwrap(),
        Some(p.clone())
    );
    assert_eq!(
        ig.find_published(
            &mut creds,
            &with_media(post("Autre"), "image/jpeg", None, Some(&media_url(9)))
        )
        .await
        .unwrap(),
        None
    );

    // A carousel of two images and a video: items (the video polled until FINISHED), then the
    // carousel container with the caption.
    let mut carousel = post("Trois temps");
    carousel = with_media(carousel, "image/jpeg", Some("Premier"), Some(&media_url(2)));
    carousel = with_media(carousel, "video/mp4", None, Some(&media_url(3)));
    carousel = with_media(carousel, "image/jpeg", None, Some(&media_url(4)));
    let c = ig.publish(&mut creds, &carousel).await.unwrap();
    {
        let f = fake.lock().unwrap();
        let m = f.live_media(&c.id).unwrap();
        let parent = &f.containers[&m.container];
        assert_eq!(parent.fields["media_type"], "CAROUSEL");
        assert_eq!(parent.fields["caption"], "Trois temps");
        let children: Vec<&str> = parent.fields["children"].split(',').collect();
        assert_eq!(children.len(), 3);
        let second = &f.containers[children[1]].fields;
        assert_eq!(
            (second["media_type"].as_str(), second["video_url"].as_str()),
            ("VIDEO", media_url(3).as_str())
        );
        assert_eq!(f.containers[children[0]].fields["alt_text"], "Premier");
    }

    // A reel.
    let reel = with_media(post("En mouvement"), "video/mp4", None, Some(&media_url(5)));
    let r = ig.publish(&mut creds, &reel).await.unwrap();
    {
        let f = fake.lock().unwrap();
        let fields = &f.containers[&f.live_media(&r.id).unwrap().container].fields;
        assert_eq!(fields["media_type"], "REELS");
    }

    // A first comment on the post, found again; media refused in a comment.
    let first = reply(post("Le lien est dans la bio"), &p, &p);
    let comment = ig.publish(&mut creds, &first).await.unwrap();
    assert_eq!(comment.version.as_deref(), Some("comment"));
    assert_eq!(comment.url, p.url);
    assert_eq!(
        ig.find_published(&mut creds, &first).await.unwrap(),
        Some(comment.clone())
    );
    assert!(matches!(
        ig.publish(
            &mut creds,
            &with_media(
                reply(post("x"), &p, &p),
                "image/jpeg",
                None,
                Some(&media_url(6))
            )
        )
        .await,
        Err(NetworkError::Rejected(_))
    ));

    // Metrics.
    fake.lock()
        .unwrap()
        .media
        .iter_mut()
        .find(|m| m.id == p.id)
        .unwrap()
        .likes = 7;
    let m = ig.metrics(&mut creds, &p).await.unwrap();
    assert_eq!(
        (m.likes, m.replies, m.reposts, m.views),
        (Some(7), Some(1), None, None)
    );

    // A post cannot be deleted through the API; a comment can.
    assert!(matches!(
        ig.delete(&mut creds, &p).await,
        Err(NetworkError::Unsupported(m)) if m.contains("Instagram app")
    ));
    ig.delete(&mut creds, &comment).await.unwrap();
    ig.delete(&mut creds, &comment).await.unwrap();
    assert!(fake.lock().unwrap().comments.iter().all(|c| c.deleted));
}

#[tokio::test]
async fn instagram_processing_errors_and_waits() {
    let (server, fake) = start().await;
    let mut creds = ig_creds(&server);

    // Instagram could not fetch or process the media: refused, with its reason.
    fake.lock().unwrap().container_error = Some(
        "Error: Media download has failed. The media URI doesn't meet our requirements.".into(),
    );
    let err = Instagram::new(client(Duration::from_secs(10)))
        .publish(
            &mut creds,
            &with_media(post("Raté"), "image/jpeg", None, Some(&media_url(1))),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("Media download has failed")),
        "{err}"
    );
    // A media URL Instagram cannot fetch is refused when the container is made.
    let err = Instagram::new(client(Duration::from_secs(10)))
        .publish(
            &mut creds,
            &with_media(
                post("Mauvaise adresse"),
                "image/jpeg",
                None,
                Some("ftp://x"),
            ),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("could not be fetched")),
        "{err}"
    );

    // A video still processing when the wait is over: worth another try, nothing published.
    fake.lock().unwrap().video_polls = 100;
    let err = Instagram::new(client(Duration::from_secs(10)))
        .with_media_wait(Duration::from_millis(600))
        .publish(
            &mut creds,
            &with_media(post("Lent"), "video/mp4", None, Some(&media_url(2))),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("still processing")),
        "{err}"
    );
    assert!(fake.lock().unwrap().media.is_empty());

    // The answer of media_publish lost: find_published finds the post.
    fake.lock().unwrap().lose_next_answer = true;
    let lost = with_media(
        post("Publié quand même"),
        "image/jpeg",
        None,
        Some(&media_url(3)),
    );
    let ig = Instagram::new(client(Duration::from_secs(10)));
    assert!(matches!(
        ig.publish(&mut creds, &lost).await,
        Err(NetworkError::Transient(_))
    ));
    let found = ig.find_published(&mut creds, &lost).await.unwrap().unwrap();
    assert_eq!(found.url, permalink(&found.id));
}

#[tokio::test]
async fn limits_tokens_failures_and_garbled_answers() {
    let (server, fake) = start().await;
    let fb = Facebook::new(client(Duration::from_secs(10)));
    let mut creds = fb_creds(&server);
    let feed = format!("POST /{PAGE_ID}/feed");

    // HTTP 429 with Retry-After.
    inject(&fake, &feed, 429, vec![("retry-after", "7".into())], "{}");
    assert_eq!(
        fb.publish(&mut creds, &post("Trop vite"))
            .await
            .unwrap_err(),
        NetworkError::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        }
    );
    // Graph's own limit: code 32 on a 400, the wait in the business use case header.
    inject(
        &fake,
        &feed,
        400,
        vec![(
            "x-business-use-case-usage",
            format!(
                r#"{{"{PAGE_ID}":[{{"type":"pages","call_count":100,"total_cputime":12,"total_time":14,"estimated_time_to_regain_access":4}}]}}"#
            ),
        )],
        r#"{"error":{"message":"(#32) Page request limit reached","type":"OAuthException","code":32,"fbtrace_id":"A"}}"#,
    );
    assert_eq!(
        fb.publish(&mut creds, &post("Encore trop vite"))
            .await
            .unwrap_err(),
        NetworkError::RateLimited {
            retry_after: Some(Duration::from_secs(240))
        }
    );

    // An expired Page token: nothing can renew it; connect again, credentials unchanged.
    fake.lock().unwrap().page_token = "EAAPageToken1".into();
    let err = fb.publish(&mut creds, &post("Expiré")).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m)
            if m.contains("connect the channel again") && m.contains("Session has expired")),
        "{err}"
    );
    assert!(!creds.changed);
    let err = Instagram::new(client(Duration::from_secs(10)))
        .verify(&mut ig_creds(&server))
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Unauthorized(_)), "{err}");
    fake.lock().unwrap().page_token = PAGE_TOKEN.into();
    // A permission taken back: connect again and grant it.
    inject(
        &fake,
        &feed,
        403,
        vec![],
        r#"{"error":{"message":"(#200) The user hasn't authorized the application to perform this action","type":"OAuthException","code":200}}"#,
    );
    assert!(matches!(
        fb.publish(&mut creds, &post("Sans droit")).await,
        Err(NetworkError::Unauthorized(m)) if m.contains("grant")
    ));

    // 5xx and Graph's transient codes.
    inject(
        &fake,
        &feed,
        503,
        vec![],
        "<html>Service Unavailable</html>",
    );
    let err = fb.publish(&mut creds, &post("En panne")).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("503")),
        "{err}"
    );
    inject(
        &fake,
        &format!("GET /{PAGE_ID}"),
        500,
        vec![],
        r#"{"error":{"message":"An unknown error has occurred.","type":"OAuthException","code":1,"fbtrace_id":"B"}}"#,
    );
    assert!(matches!(
        fb.verify(&mut creds).await,
        Err(NetworkError::Transient(_))
    ));

    // Refused for good, with Graph's words.
    inject(
        &fake,
        &feed,
        400,
        vec![],
        r#"{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100,"error_user_msg":"The link could not be shared.","fbtrace_id":"C"}}"#,
    );
    assert_eq!(
        fb.publish(&mut creds, &post("Refusé")).await.unwrap_err(),
        NetworkError::Rejected("(#100) Invalid parameter: The link could not be shared.".into())
    );

    // A malformed answer: a 200 with truncated JSON, and one without an id.
    inject(&fake, &feed, 200, vec![], r#"{"id": "105"#);
    let err = fb.publish(&mut creds, &post("Tronqué")).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("not JSON")),
        "{err}"
    );
    inject(&fake, &feed, 200, vec![], r#"{"success": true}"#);
    assert!(matches!(
        fb.publish(&mut creds, &post("Sans id")).await,
        Err(NetworkError::Transient(_))
    ));

    // A time-out: Graph slower than the client waits.
    fake.lock().unwrap().delay = Some((format!("GET /{PAGE_ID}"), Duration::from_secs(3)));
    let slow = Facebook::new(client(Duration::from_millis(500)));
    let err = slow.verify(&mut creds).await.unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");

    // Every injected answer was used, and nothing else is wrong.
    assert!(fake.lock().unwrap().inject.is_empty());
    fb.publish(&mut creds, &post("Tout va bien")).await.unwrap();

    // The Graph version is a setting.
    fake.lock().unwrap().version = "v22.0".into();
    assert!(matches!(
        fb.verify(&mut creds).await,
        Err(NetworkError::Rejected(_))
    ));
    creds.settings["graph_version"] = json!("v22.0");
    assert_eq!(fb.verify(&mut creds).await.unwrap(), PAGE_NAME);

    // Settings a person must fix.
    for (key, value) in [
        ("page_id", json!(null)),
        ("page_id", json!("mon-café")),
        ("graph_version", json!("22")),
        ("api_base", json!("ftp://graph.facebook.com")),
    ] {
        let mut bad = fb_creds(&server);
        bad.settings[key] = value;
        let err = fb.verify(&mut bad).await.unwrap_err();
        assert!(
            matches!(err, NetworkError::Misconfigured(ref m) if m.contains(key)),
            "{err}"
        );
    }
    let mut no_token = fb_creds(&server);
    no_token.secrets.clear();
    assert!(matches!(
        fb.publish(&mut no_token, &post("x")).await,
        Err(NetworkError::Misconfigured(_))
    ));
    // The SSRF guard refuses loopback when it is on.
    let guarded = Facebook::new(HttpClient::new(OutboundConfig::default()).unwrap());
    assert!(matches!(
        guarded.verify(&mut fb_creds(&server)).await,
        Err(NetworkError::Misconfigured(_))
    ));
}

#[tokio::test]
async fn facebook_login_lists_pages_and_instagram_accounts() {
    let app = |server: &MockHttp| OAuthApp {
        client_id: APP_ID.into(),
        client_secret: Some(APP_SECRET.into()),
        api_base: Some(server.base_url().to_owned()),
        authorize_base: None,
    };
    let (server, fake) = start().await;
    let redirect = "https://relais.example/w/acme/channels/oauth/callback";

    // The dialog's address carries every parameter.
    for flow in [&FacebookFlow as &dyn OAuthFlow, &InstagramFlow] {
        let url = flow.authorize_url(&app(&server), redirect, "st-ate", "ignored-challenge");
        let parsed = url::Url::parse(&url).unwrap();
        assert_eq!(url.split('?').next(), Some(oauth::AUTHORIZE_URL));
        let q: HashMap<String, String> = parsed.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], APP_ID);
        assert_eq!(q["redirect_uri"], redirect);
        assert_eq!(q["state"], "st-ate");
        assert_eq!(q["response_type"], "code");
        assert_eq!(
            q["scope"],
            "pages_show_list,pages_read_engagement,pages_manage_posts,instagram_basic,\
             instagram_content_publish,instagram_manage_comments,pages_read_user_content,\
             pages_manage_engagement,pages_messaging"
        );
        assert_eq!(q.len(), 5);
    }
    assert_eq!(FacebookFlow.network(), "facebook");
    assert_eq!(InstagramFlow.network(), "instagram");

    // Facebook: one account per Page, across the two pages of /me/accounts.
    let http = client(Duration::from_secs(10));
    fake.lock()
        .unwrap()
        .codes
        .insert("code-1".into(), redirect.into());
    let accounts = FacebookFlow
        .connect(&http, &app(&server), "code-1", "verifier", redirect)
        .await
        .unwrap();
    let ids: Vec<&str> = accounts.iter().map(|a| a.account_id.as_str()).collect();
    assert_eq!(ids, [PAGE_ID, "105000000000002", "105000000000003"]);
    let first = &accounts[0];
    assert_eq!(
        (first.network, first.display.as_str()),
        ("facebook", PAGE_NAME)
    );
    assert_eq!(first.credentials.setting("page_id"), Some(PAGE_ID));
    assert_eq!(first.credentials.setting("client_id"), Some(APP_ID));
    assert_eq!(
        first.credentials.setting("api_base"),
        Some(server.base_url())
    );
    assert_eq!(first.credentials.secret("access_token"), Some(PAGE_TOKEN));
    assert!(first.credentials.changed);
    {
        let f = fake.lock().unwrap();
        assert!(
            f.log
                .iter()
                .filter(|r| r.as_str() == "GET /oauth/access_token")
                .count()
                == 2
        );
        assert_eq!(
            f.log
                .iter()
                .filter(|r| r.as_str() == "GET /me/accounts")
                .count(),
            2
        );
    }
    // The channel works as connected.
    let mut creds = accounts[0].credentials.clone();
    assert_eq!(
        Facebook::new(http.clone())
            .verify(&mut creds)
            .await
            .unwrap(),
        PAGE_NAME
    );

    // Instagram: only the Pages with a linked account.
    fake.lock()
        .unwrap()
        .codes
        .insert("code-2".into(), redirect.into());
    let accounts = InstagramFlow
        .connect(&http, &app(&server), "code-2", "verifier", redirect)
        .await
        .unwrap();
    let found: Vec<(&str, &str)> = accounts
        .iter()
        .map(|a| (a.account_id.as_str(), a.display.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (IG_ID, "@cafe.relais"),
            ("17841400000000003", "@boulangerie")
        ]
    );
    assert!(accounts.iter().all(|a| a.network == "instagram"));
    let mut creds = accounts[0].credentials.clone();
    assert_eq!(creds.setting("ig_user_id"), Some(IG_ID));
    assert_eq!(creds.setting("page_id"), Some(PAGE_ID));
    assert_eq!(
        Instagram::new(http.clone())
            .verify(&mut creds)
            .await
            .unwrap(),
        "@cafe.relais"
    );

    // A code used twice, or with another redirect address: connect again.
    let err = FacebookFlow
        .connect(&http, &app(&server), "code-2", "v", redirect)
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("has been used")),
        "{err}"
    );
    fake.lock()
        .unwrap()
        .codes
        .insert("code-3".into(), redirect.into());
    let err = FacebookFlow
        .connect(
            &http,
            &app(&server),
            "code-3",
            "v",
            "https://elsewhere.example/cb",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Unauthorized(_)), "{err}");
    // Without the app secret, nothing is sent.
    let mut public = app(&server);
    public.client_secret = None;
    assert!(matches!(
        FacebookFlow
            .connect(&http, &public, "code-4", "v", redirect)
            .await,
        Err(NetworkError::Misconfigured(_))
    ));
    // The token endpoint failing is worth another try.
    inject(&fake, "GET /oauth/access_token", 503, vec![], "{}");
    fake.lock()
        .unwrap()
        .codes
        .insert("code-5".into(), redirect.into());
    assert!(matches!(
        FacebookFlow
            .connect(&http, &app(&server), "code-5", "v", redirect)
            .await,
        Err(NetworkError::Transient(_))
    ));
}

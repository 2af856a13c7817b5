//! The Threads connector against a small stateful fake of the Threads API, written from Meta's
//! documentation: the token endpoints (`POST /oauth/access_token` with the app secret and a
//! code bound to its redirect address, `GET /access_token` with `th_exchange_token`,
//! `GET /refresh_access_token` with `th_refresh_token`, which refuses an expired token);
//! `access_token` taken from the query of a `GET`/`DELETE` and from the form of a `POST`, with
//! Graph errors (`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`, code
//! 190 for a bad or expired token); `GET /me`; containers (`POST /{user}/threads`: media types,
//! the 500-character text, `image_url`/`video_url` that the fake downloads itself, as Threads
//! does, `alt_text`, carousel items and `children`, `reply_to_id`) processed over a few status
//! looks (`GET /{container}?fields=status,error_message`: `IN_PROGRESS`, `FINISHED`, `ERROR`,
//! `PUBLISHED`); `POST /{user}/threads_publish` (a container published once); the quota
//! (`threads_publishing_limit`); the user's posts with `since`, `limit` and cursors; a post's
//! replies with `is_reply_owned_by_me`; insights; `DELETE /{media}`. Answers can be injected
//! (429 with Retry-After, 5xx, garbled JSON), delayed (time-outs) or lost after the fact.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use common::{Injected, PNG, client, push_injected, reply, take_injected};
use relais_networks::oauth::{OAuthApp, OAuthFlow};
use relais_networks::threads::{Threads, ThreadsFlow, oauth};
use relais_networks::{
    Connector, Credentials, MediaFile, NetworkError, OutgoingPost, PublishedPost,
};
use relais_outbound::{HttpClient, OutboundConfig};
use relais_testkit::mock_http::MockHttp;
use serde_json::{Value, json};

const USER_ID: &str = "17841400000000001";
const USERNAME: &str = "relais_app";
const CLIENT_ID: &str = "990602627938098";
const APP_SECRET: &str = "a1b2C3D4";
const DAY_MS: i64 = 24 * 3600 * 1000;

type Params = HashMap<String, String>;

struct Container {
    media_type: String,
    text: Option<String>,
    url: Option<String>,
    alt: Option<String>,
    item: bool,
    children: Vec<String>,
    reply_to: Option<String>,
    /// Status looks still answered IN_PROGRESS.
    polls_left: u32,
    /// Set when processing fails (the media could not be downloaded).
    error: Option<String>,
    published: bool,
}

struct Post {
    id: String,
    text: Option<String>,
    /// TEXT_POST, IMAGE, VIDEO, CAROUSEL_ALBUM.
    media_type: String,
    /// (media type, address, alt text) of each media.
    media: Vec<(String, String, Option<String>)>,
    reply_to: Option<String>,
    timestamp: DateTime<Utc>,
    shortcode: String,
    mine: bool,
    via_api: bool,
    deleted: bool,
    /// Left out of lists (Meta's lists lag behind now and then).
    unlisted: bool,
    /// views, likes, replies, reposts, quotes.
    metrics: [u64; 5],
}

struct Fake {
    access_token: String,
    /// A token Meta says has expired (code 190, subcode 463).
    expired_token: Option<String>,
    refuse_refresh: bool,
    refreshes: u32,
    issued: u32,
    /// Authorization codes: code → redirect_uri.
    codes: HashMap<String, String>,
    short_tokens: HashSet<String>,
    next_id: u64,
    containers: HashMap<String, Container>,
    posts: Vec<Post>,
    quota_total: usize,
    /// Status looks a video container takes before it is processed.
    video_polls: u32,
    /// The next container stays IN_PROGRESS forever.
    stuck_next: bool,
    /// The next publication is made, then answered with a 500.
    lose_next_publish: bool,
    /// Posts published from now on are left out of lists.
    unlist_new: bool,
    inject: VecDeque<Injected>,
    /// Requests to this `METHOD path` are answered after this long.
    slow: Option<(String, Duration)>,
    /// `METHOD path` of every request that passed the gate, in order.
    log: Vec<String>,
}

impl Default for Fake {
    fn default() -> Self {
        Self {
            access_token: "long-0".into(),
            expired_token: None,
            refuse_refresh: false,
            refreshes: 0,
            issued: 0,
            codes: HashMap::new(),
            short_tokens: HashSet::new(),
            next_id: 18_000_000_000_000_000,
            containers: HashMap::new(),
            posts: Vec::new(),
            quota_total: 250,
            video_polls: 3,
            stuck_next: false,
            lose_next_publish: false,
            unlist_new: false,
            inject: VecDeque::new(),
            slow: None,
            log: Vec::new(),
        }
    }
}

impl Fake {
    fn id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
    }

    fn live(&self, id: &str) -> Option<&Post> {
        self.posts.iter().find(|p| p.id == id && !p.deleted)
    }

    fn post_json(p: &Post, fields: &str) -> Value {
        let mut v = json!({ "id": p.id });
        for field in fields.split(',') {
            match field {
                "text" => {
                    if let Some(t) = &p.text {
                        v["text"] = json!(t);
                    }
                }
                "timestamp" => {
                    v["timestamp"] = json!(p.timestamp.format("%Y-%m-%dT%H:%M:%S%z").to_string())
                }
                "permalink" => {
                    v["permalink"] = json!(format!(
                        "https://www.threads.com/@{USERNAME}/post/{}",
                        p.shortcode
                    ))
                }
                "shortcode" => v["shortcode"] = json!(p.shortcode),
                "username" => v["username"] = json!(if p.mine { USERNAME } else { "someone_else" }),
                "media_type" => v["media_type"] = json!(p.media_type),
                "is_reply_owned_by_me" if p.reply_to.is_some() => {
                    v["is_reply_owned_by_me"] = json!(p.mine)
                }
                _ => {}
            }
        }
        v
    }
}

type Shared = Arc<Mutex<Fake>>;

fn graph_error(
    status: u16,
    code: i64,
    subcode: Option<i64>,
    kind: &str,
    message: &str,
) -> Response {
    let mut e = json!({ "message": message, "type": kind, "code": code,
                        "fbtrace_id": "AbCdEfGhIjK" });
    if let Some(s) = subcode {
        e["error_subcode"] = json!(s);
    }
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({ "error": e })),
    )
        .into_response()
}

fn invalid(message: &str) -> Response {
    graph_error(400, 100, None, "THApiException", message)
}

fn missing(id: &str) -> Response {
    graph_error(
        400,
        100,
        Some(33),
        "GraphMethodException",
        &format!(
            "Unsupported request. Object with ID '{id}' does not exist, cannot be loaded due to \
             missing permissions, or does not support this operation."
        ),
    )
}

/// Delay, injected answers, then the token (from the query or the form, as the caller
/// passes `params`).
async fn gate(s: &Shared, method: &str, path: &str, params: &Params) -> Option<Response> {
    let delay = {
        let f = s.lock().unwrap();
        f.slow
            .as_ref()
            .filter(|(p, _)| *p == format!("{method} {path}"))
            .map(|(_, d)| *d)
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let mut fake = s.lock().unwrap();
    if let Some(r) = take_injected(&mut fake.inject, method, path) {
        return Some(r);
    }
    let token = params.get("access_token").map(String::as_str);
    if token.is_some() && token == fake.expired_token.as_deref() {
        return Some(graph_error(
            400,
            190,
            Some(463),
            "OAuthException",
            "Error validating access token: Session has expired.",
        ));
    }
    if token != Some(fake.access_token.as_str()) {
        return Some(graph_error(
            400,
            190,
            None,
            "OAuthException",
            "Invalid OAuth access token - Cannot parse access token",
        ));
    }
    fake.log.push(format!("{method} {path}"));
    None
}

async fn code_exchange(State(s): State<Shared>, Form(f): Form<Params>) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = take_injected(&mut fake.inject, "POST", "/oauth/access_token") {
        return r;
    }
    if f.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || f.get("client_secret").map(String::as_str) != Some(APP_SECRET)
    {
        return graph_error(
            400,
            101,
            None,
            "OAuthException",
            "Error validating client secret.",
        );
    }
    if f.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return invalid("Unsupported grant_type");
    }
    let code = f.get("code").cloned().unwrap_or_default();
    match fake.codes.remove(&code) {
        Some(redirect) if f.get("redirect_uri") == Some(&redirect) => {}
        _ => {
            return graph_error(
                400,
                100,
                None,
                "OAuthException",
                "Invalid verification code format.",
            );
        }
    }
    fake.issued += 1;
    let short = format!("short-{}", fake.issued);
    fake.short_tokens.insert(short.clone());
    // Meta gives the user id as a number here.
    axum::Json(json!({ "access_token": short, "user_id": 17_841_400_000_000_001_u64 }))
        .into_response()
}

async fn exchange(State(s): State<Shared>, Query(q): Query<Params>) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = take_injected(&mut fake.inject, "GET", "/access_token") {
        return r;
    }
    if q.get("grant_type").map(String::as_str) != Some("th_exchange_token") {
        return invalid("Unsupported grant_type");
    }
    if q.get("client_secret").map(String::as_str) != Some(APP_SECRET) {
        return graph_error(
            400,
            101,
            None,
            "OAuthException",
            "Error validating client secret.",
        );
    }
    let short = q.get("access_token").cloned().unwrap_or_default();
    if !fake.short_tokens.remove(&short) {
        return graph_error(
            400,
            190,
            None,
            "OAuthException",
            "Invalid OAuth access token.",
        );
    }
    fake.issued += 1;
    fake.access_token = format!("long-{}", fake.issued);
    axum::Json(
        json!({ "access_token": fake.access_token, "token_type": "bearer",
                       "expires_in": 5_183_944 }),
    )
    .into_response()
}

async fn refresh(State(s): State<Shared>, Query(q): Query<Params>) -> Response {
    let mut fake = s.lock().unwrap();
    fake.refreshes += 1;
    if let Some(r) = take_injected(&mut fake.inject, "GET", "/refresh_access_token") {
        return r;
    }
    if q.get("grant_type").map(String::as_str) != Some("th_refresh_token") {
        return invalid("Unsupported grant_type");
    }
    let token = q.get("access_token").map(String::as_str);
    if fake.refuse_refresh || token.is_none() || token == fake.expired_token.as_deref() {
        return graph_error(
            400,
            190,
            Some(463),
            "OAuthException",
            "Error validating access token: Session has expired.",
        );
    }
    if token != Some(fake.access_token.as_str()) {
        return graph_error(
            400,
            190,
            None,
            "OAuthException",
            "Invalid OAuth access token.",
        );
    }
    fake.issued += 1;
    fake.access_token = format!("long-{}", fake.issued);
    axum::Json(
        json!({ "access_token": fake.access_token, "token_type": "bearer",
                       "expires_in": 5_183_944 }),
    )
    .into_response()
}

async fn me(State(s): State<Shared>, Query(q): Query<Params>) -> Response {
    if let Some(r) = gate(&s, "GET", "/v1.0/me", &q).await {
        return r;
    }
    if q.get("fields").map(String::as_str) != Some("id,username") {
        return axum::Json(json!({ "id": USER_ID })).into_response();
    }
    axum::Json(json!({ "id": USER_ID, "username": USERNAME })).into_response()
}

/// Downloads a container's media the way Threads does: from its public address.
async fn download(url: &str) -> Result<Vec<u8>, String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    match client.get(url).send().await {
        Ok(r) if r.status().is_success() => {
            Ok(r.bytes().await.map_err(|e| e.to_string())?.to_vec())
        }
        Ok(r) => Err(format!("HTTP {}", r.status())),
        Err(e) => Err(e.to_string()),
    }
}

async fn create_container(
    State(s): State<Shared>,
    Path(user): Path<String>,
    Form(f): Form<Params>,
) -> Response {
    let path = format!("/v1.0/{user}/threads");
    if let Some(r) = gate(&s, "POST", &path, &f).await {
        return r;
    }
    if user != USER_ID {
        return missing(&user);
    }
    let media_type = f.get("media_type").cloned().unwrap_or_default();
    if !["TEXT", "IMAGE", "VIDEO", "CAROUSEL"].contains(&media_type.as_str()) {
        return invalid("Param media_type must be one of {TEXT, IMAGE, VIDEO, CAROUSEL}");
    }
    let text = f.get("text").cloned();
    if text.as_ref().is_some_and(|t| t.chars().count() > 500) {
        return invalid("Param text must be at most 500 characters long.");
    }
    if media_type == "TEXT" && text.as_deref().unwrap_or_default().is_empty() {
        return invalid("Param text is required for media_type=TEXT.");
    }
    let item = f.get("is_carousel_item").map(String::as_str) == Some("true");
    if item && !["IMAGE", "VIDEO"].contains(&media_type.as_str()) {
        return invalid("Only images and videos can be carousel items.");
    }
    let url_key = match media_type.as_str() {
        "IMAGE" => Some("image_url"),
        "VIDEO" => Some("video_url"),
        _ => None,
    };
    let url = match url_key {
        Some(key) => match f.get(key) {
            Some(u) => Some(u.clone()),
            None => return invalid(&format!("Param {key} is required.")),
        },
        None => None,
    };
    let alt = f.get("alt_text").cloned();
    if alt.as_ref().is_some_and(|a| a.chars().count() > 1000) {
        return invalid("Param alt_text must be at most 1000 characters long.");
    }
    // Threads fetches the media itself, outside the request's lock.
    let fetched = match &url {
        Some(u) => Some(download(u).await),
        None => None,
    };
    let mut fake = s.lock().unwrap();
    let children: Vec<String> = f
        .get("children")
        .map(|c| c.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    if media_type == "CAROUSEL" {
        if !(2..=20).contains(&children.len()) {
            return invalid("A carousel has between 2 and 20 children.");
        }
        let ready = children.iter().all(|c| {
            fake.containers
                .get(c)
                .is_some_and(|c| c.item && c.polls_left == 0 && c.error.is_none())
        });
        if !ready {
            return invalid("The carousel's children must be finished carousel items.");
        }
    }
    let reply_to = f.get("reply_to_id").cloned();
    if let Some(parent) = &reply_to
        && fake.live(parent).is_none()
    {
        return missing(parent);
    }
    let error = match fetched {
        Some(Err(_)) if media_type == "VIDEO" => Some("FAILED_DOWNLOADING_VIDEO".to_owned()),
        Some(Err(_)) => Some("UNKNOWN".to_owned()),
        Some(Ok(bytes)) if bytes != PNG && media_type == "IMAGE" => Some("UNKNOWN".to_owned()),
        _ => None,
    };
    let polls_left = if std::mem::take(&mut fake.stuck_next) {
        u32::MAX
    } else {
        match media_type.as_str() {
            "IMAGE" | "CAROUSEL" => 1,
            "VIDEO" => fake.video_polls,
            _ => 0,
        }
    };
    let id = fake.id();
    fake.containers.insert(
        id.clone(),
        Container {
            media_type,
            text,
            url,
            alt,
            item,
            children,
            reply_to,
            polls_left,
            error,
            published: false,
        },
    );
    axum::Json(json!({ "id": id })).into_response()
}

async fn read_object(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> Response {
    if let Some(r) = gate(&s, "GET", &format!("/v1.0/{id}"), &q).await {
        return r;
    }
    let mut fake = s.lock().unwrap();
    let fields = q.get("fields").cloned().unwrap_or_default();
    if let Some(c) = fake.containers.get_mut(&id) {
        if !fields.split(',').any(|f| f == "status") {
            return axum::Json(json!({ "id": id })).into_response();
        }
        let status = if c.published {
            "PUBLISHED"
        } else if c.polls_left > 0 {
            c.polls_left = c.polls_left.saturating_sub(1);
            "IN_PROGRESS"
        } else if c.error.is_some() {
            "ERROR"
        } else {
            "FINISHED"
        };
        let mut v = json!({ "id": id, "status": status });
        if status == "ERROR" {
            v["error_message"] = json!(c.error);
        }
        return axum::Json(v).into_response();
    }
    match fake.live(&id) {
        Some(p) => axum::Json(Fake::post_json(p, &fields)).into_response(),
        None => missing(&id),
    }
}

async fn delete_object(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> Response {
    if let Some(r) = gate(&s, "DELETE", &format!("/v1.0/{id}"), &q).await {
        return r;
    }
    let mut fake = s.lock().unwrap();
    match fake
        .posts
        .iter_mut()
        .find(|p| p.id == id && !p.deleted && p.mine)
    {
        Some(p) => {
            p.deleted = true;
            axum::Json(json!({ "success": true, "deleted_id": id })).into_response()
        }
        None => missing(&id),
    }
}

async fn publish(
    State(s): State<Shared>,
    Path(user): Path<String>,
    Form(f): Form<Params>,
) -> Response {
    let path = format!("/v1.0/{user}/threads_publish");
    if let Some(r) = gate(&s, "POST", &path, &f).await {
        return r;
    }
    let mut fake = s.lock().unwrap();
    if user != USER_ID {
        return missing(&user);
    }
    let id = f.get("creation_id").cloned().unwrap_or_default();
    let Some(c) = fake.containers.get(&id) else {
        return graph_error(
            400,
            24,
            Some(4_279_009),
            "OAuthException",
            "The requested resource does not exist",
        );
    };
    if c.item || c.polls_left > 0 || c.error.is_some() {
        return graph_error(
            400,
            24,
            Some(4_279_009),
            "OAuthException",
            "Media Not Found",
        );
    }
    // What Meta does with a second publication is not documented; this fake refuses it.
    if c.published {
        return invalid("This container was already published.");
    }
    let is_reply = c.reply_to.is_some();
    let used = fake
        .posts
        .iter()
        .filter(|p| p.via_api && p.reply_to.is_some() == is_reply)
        .filter(|p| Utc::now() - p.timestamp < chrono::Duration::hours(24))
        .count();
    if used >= fake.quota_total {
        return graph_error(
            400,
            4,
            None,
            "OAuthException",
            "Application request limit reached",
        );
    }
    let media = if c.media_type == "CAROUSEL" {
        c.children
            .iter()
            .filter_map(|ch| fake.containers.get(ch))
            .map(|ch| {
                (
                    ch.media_type.clone(),
                    ch.url.clone().unwrap_or_default(),
                    ch.alt.clone(),
                )
            })
            .collect()
    } else if let Some(url) = &c.url {
        vec![(c.media_type.clone(), url.clone(), c.alt.clone())]
    } else {
        vec![]
    };
    let media_type = match c.media_type.as_str() {
        "TEXT" => "TEXT_POST",
        "CAROUSEL" => "CAROUSEL_ALBUM",
        other => other,
    }
    .to_owned();
    let (text, reply_to) = (c.text.clone(), c.reply_to.clone());
    let post_id = fake.id();
    let post = Post {
        id: post_id.clone(),
        text,
        media_type,
        media,
        reply_to,
        timestamp: Utc::now(),
        shortcode: format!("D{}", &post_id[post_id.len() - 8..]),
        mine: true,
        via_api: true,
        deleted: false,
        unlisted: fake.unlist_new,
        metrics: [0; 5],
    };
    fake.posts.push(post);
    fake.containers.get_mut(&id).unwrap().published = true;
    if std::mem::take(&mut fake.lose_next_publish) {
        return graph_error(
            500,
            2,
            None,
            "OAuthException",
            "An unexpected error has occurred.",
        );
    }
    axum::Json(json!({ "id": post_id })).into_response()
}

/// A page of `list` (newest first) after the cursor `after` (`c<offset>`), `limit` a page.
fn page(list: Vec<Value>, q: &Params, default_limit: usize) -> Result<Value, String> {
    let limit = match q.get("limit").map(|l| l.parse::<usize>()) {
        None => default_limit,
        Some(Ok(l)) if l <= 100 => l,
        _ => return Err("Param limit must be a number between 0 and 100.".into()),
    };
    let offset: usize = q
        .get("after")
        .and_then(|a| a.strip_prefix('c'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let data: Vec<Value> = list.iter().skip(offset).take(limit).cloned().collect();
    let mut v = json!({ "data": data });
    if !data.is_empty() {
        v["paging"] = json!({ "cursors": { "before": format!("c{offset}"),
                                           "after": format!("c{}", offset + data.len()) } });
        if offset + data.len() < list.len() {
            v["paging"]["next"] = json!("https://graph.threads.net/v1.0/next-page");
        }
    }
    Ok(v)
}

fn since_of(q: &Params) -> Result<DateTime<Utc>, String> {
    match q.get("since").map(|s| s.parse::<i64>()) {
        None => Ok(DateTime::<Utc>::MIN_UTC),
        Some(Ok(s)) if s >= 1_688_540_400 => Ok(DateTime::from_timestamp(s, 0).unwrap()),
        _ => Err("Param since must be a Unix timestamp after 1688540400.".into()),
    }
}

async fn list_threads(
    State(s): State<Shared>,
    Path(user): Path<String>,
    Query(q): Query<Params>,
) -> Response {
    if let Some(r) = gate(&s, "GET", &format!("/v1.0/{user}/threads"), &q).await {
        return r;
    }
    let fake = s.lock().unwrap();
    if user != USER_ID {
        return missing(&user);
    }
    if q.get("fields")
        .is_some_and(|f| f.split(',').any(|f| f == "is_reply"))
    {
        return invalid("Tried accessing nonexisting field (is_reply)");
    }
    let since = match since_of(&q) {
        Ok(s) => s,
        Err(m) => return invalid(&m),
    };
    let fields = q.get("fields").cloned().unwrap_or_default();
    let mut list: Vec<&Post> = fake
        .posts
        .iter()
        .filter(|p| p.mine && !p.deleted && !p.unlisted && p.reply_to.is_none())
        .filter(|p| p.timestamp >= since)
        .collect();
    list.sort_by_key(|p| std::cmp::Reverse(p.timestamp));
    let list = list.iter().map(|p| Fake::post_json(p, &fields)).collect();
    match page(list, &q, 25) {
        Ok(v) => axum::Json(v).into_response(),
        Err(m) => invalid(&m),
    }
}

/// `/{media}/replies` (a post's top-level replies) and `/{user}/replies` (the user's).
async fn list_replies(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> Response {
    if let Some(r) = gate(&s, "GET", &format!("/v1.0/{id}/replies"), &q).await {
        return r;
    }
    let fake = s.lock().unwrap();
    let fields = q.get("fields").cloned().unwrap_or_default();
    let mut list: Vec<&Post> = if id == USER_ID {
        let since = match since_of(&q) {
            Ok(s) => s,
            Err(m) => return invalid(&m),
        };
        fake.posts
            .iter()
            .filter(|p| p.mine && p.reply_to.is_some() && p.timestamp >= since)
            .collect()
    } else {
        if fake.live(&id).is_none() {
            return missing(&id);
        }
        if q.contains_key("since") || q.contains_key("limit") {
            return invalid("Unsupported parameter");
        }
        fake.posts
            .iter()
            .filter(|p| p.reply_to.as_deref() == Some(id.as_str()))
            .collect()
    };
    list.retain(|p| !p.deleted && !p.unlisted);
    list.sort_by_key(|p| p.timestamp);
    if q.get("reverse").map(String::as_str) != Some("false") {
        list.reverse();
    }
    let list = list.iter().map(|p| Fake::post_json(p, &fields)).collect();
    match page(list, &q, 25) {
        Ok(v) => axum::Json(v).into_response(),
        Err(m) => invalid(&m),
    }
}

async fn insights(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> Response {
    if let Some(r) = gate(&s, "GET", &format!("/v1.0/{id}/insights"), &q).await {
        return r;
    }
    let fake = s.lock().unwrap();
    let Some(p) = fake.live(&id) else {
        return missing(&id);
    };
    let names = ["views", "likes", "replies", "reposts", "quotes"];
    let mut data = Vec::new();
    for metric in q.get("metric").cloned().unwrap_or_default().split(',') {
        let Some(i) = names.iter().position(|n| *n == metric) else {
            return invalid(&format!("Param metric[{metric}] is not a valid metric"));
        };
        data.push(json!({
            "name": metric, "period": "lifetime", "values": [{ "value": p.metrics[i] }],
            "title": metric, "description": "", "id": format!("{id}/insights/{metric}/lifetime")
        }));
    }
    axum::Json(json!({ "data": data })).into_response()
}

async fn publishing_limit(
    State(s): State<Shared>,
    Path(user): Path<String>,
    Query(q): Query<Params>,
) -> Response {
    let path = format!("/v1.0/{user}/threads_publishing_limit");
    if let Some(r) = gate(&s, "GET", &path, &q).await {
        return r;
    }
    let fake = s.lock().unwrap();
    let used = |reply: bool| {
        fake.posts
            .iter()
            .filter(|p| p.via_api && p.reply_to.is_some() == reply)
            .filter(|p| Utc::now() - p.timestamp < chrono::Duration::hours(24))
            .count()
    };
    let mut entry = json!({});
    for field in q.get("fields").cloned().unwrap_or_default().split(',') {
        match field {
            "quota_usage" => entry["quota_usage"] = json!(used(false)),
            "config" => {
                entry["config"] =
                    json!({ "quota_total": fake.quota_total, "quota_duration": 86400 })
            }
            "reply_quota_usage" => entry["reply_quota_usage"] = json!(used(true)),
            "reply_config" => {
                entry["reply_config"] = json!({ "quota_total": 1000, "quota_duration": 86400 })
            }
            other => return invalid(&format!("Tried accessing nonexisting field ({other})")),
        }
    }
    axum::Json(json!({ "data": [entry] })).into_response()
}

async fn media_file() -> Response {
    ([("content-type", "image/png")], PNG.to_vec()).into_response()
}

async fn start() -> (MockHttp, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Fake::default()));
    let router = Router::new()
        .route("/oauth/access_token", axum::routing::post(code_exchange))
        .route("/access_token", get(exchange))
        .route("/refresh_access_token", get(refresh))
        .route("/v1.0/me", get(me))
        .route("/v1.0/{id}", get(read_object).delete(delete_object))
        .route(
            "/v1.0/{id}/threads",
            get(list_threads).post(create_container),
        )
        .route("/v1.0/{id}/threads_publish", axum::routing::post(publish))
        .route("/v1.0/{id}/threads_publishing_limit", get(publishing_limit))
        .route("/v1.0/{id}/replies", get(list_replies))
        .route("/v1.0/{id}/insights", get(insights))
        .route("/media/{name}", get(media_file))
        .with_state(shared.clone());
    (MockHttp::start(router).await, shared)
}

fn threads() -> Threads {
    Threads::new(client(Duration::from_secs(10)))
        .with_polling(Duration::from_millis(5), Duration::from_secs(2))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn credentials(server: &MockHttp, fake: &Shared) -> Credentials {
    Credentials {
        settings: json!({ "api_base": server.url("/v1.0"), "client_id": CLIENT_ID }),
        secrets: [
            (
                "access_token".to_owned(),
                fake.lock().unwrap().access_token.clone(),
            ),
            (
                "expires_at_ms".to_owned(),
                (now_ms() + 50 * DAY_MS).to_string(),
            ),
        ]
        .into(),
        changed: false,
    }
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
    server: &MockHttp,
    mime: &str,
    alt: Option<&str>,
) -> OutgoingPost {
    let n = p.media.len() + 1;
    p.media.push(MediaFile {
        mime: mime.to_owned(),
        bytes: PNG.to_vec(),
        alt: alt.map(str::to_owned),
        public_url: Some(server.url(&format!("/media/m{n}-{}.bin", p.idempotency_key.len()))),
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

fn stored<T>(fake: &Shared, id: &str, f: impl FnOnce(&Post) -> T) -> T {
    let fake = fake.lock().unwrap();
    f(fake.posts.iter().find(|p| p.id == id).unwrap())
}

fn log(fake: &Shared) -> Vec<String> {
    std::mem::take(&mut fake.lock().unwrap().log)
}

fn path_of(line: &str) -> String {
    // "POST /v1.0/123/threads" → "POST /threads" (ids stripped), to compare sequences.
    let (verb, path) = line.split_once(' ').unwrap();
    let parts: Vec<&str> = path
        .trim_start_matches("/v1.0")
        .split('/')
        .filter(|p| !p.is_empty() && !p.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    format!("{verb} /{}", parts.join("/"))
}

fn calls(fake: &Shared) -> Vec<String> {
    log(fake).iter().map(|l| path_of(l)).collect()
}

#[tokio::test]
async fn verifies_and_publishes_text_threads_and_media() {
    let (server, fake) = start().await;
    let t = threads();
    let mut creds = credentials(&server, &fake);

    // Verify: the handle; the user's id and name kept with the secrets.
    assert_eq!(t.verify(&mut creds).await.unwrap(), "@relais_app");
    assert!(creds.changed);
    assert_eq!(creds.secret("user_id"), Some(USER_ID));
    assert_eq!(creds.secret("username"), Some(USERNAME));
    log(&fake);

    // A text post: quota, container, its status, publication, address.
    let text = post("Nos soldes <3 & plus : https://example.org/soldes?x=1 à bientôt");
    let p = t.publish(&mut creds, &text).await.unwrap();
    assert_eq!(
        calls(&fake),
        [
            "GET /threads_publishing_limit",
            "POST /threads",
            "GET /",
            "POST /threads_publish",
            "GET /"
        ]
    );
    let shortcode = stored(&fake, &p.id, |s| s.shortcode.clone());
    assert_eq!(
        p.url,
        format!("https://www.threads.com/@relais_app/post/{shortcode}")
    );
    assert_eq!(p.version, None);
    assert_eq!(
        stored(&fake, &p.id, |s| s.text.clone()),
        Some(text.text.clone())
    );
    assert_eq!(stored(&fake, &p.id, |s| s.media_type.clone()), "TEXT_POST");
    // Found again after a crash, and only that one.
    assert_eq!(
        t.find_published(&mut creds, &text).await.unwrap(),
        Some(p.clone())
    );
    assert_eq!(
        t.find_published(&mut creds, &post("jamais envoyé"))
            .await
            .unwrap(),
        None
    );

    // A thread of three: each replies to the one before.
    let first = t.publish(&mut creds, &post("1/3 Un fil")).await.unwrap();
    let second_post = reply(post("2/3 la suite"), &first, &first);
    let second = t.publish(&mut creds, &second_post).await.unwrap();
    let third_post = reply(post("3/3 la fin"), &first, &second);
    let third = t.publish(&mut creds, &third_post).await.unwrap();
    assert_eq!(stored(&fake, &first.id, |s| s.reply_to.clone()), None);
    assert_eq!(
        stored(&fake, &second.id, |s| s.reply_to.clone()),
        Some(first.id.clone())
    );
    assert_eq!(
        stored(&fake, &third.id, |s| s.reply_to.clone()),
        Some(second.id.clone())
    );
    log(&fake);
    assert_eq!(
        t.find_published(&mut creds, &third_post).await.unwrap(),
        Some(third.clone())
    );
    assert_eq!(
        log(&fake),
        [format!("GET /v1.0/{}/replies", second.id)],
        "a reply is looked for among its parent's replies"
    );
    // The same text under another parent is not that post.
    assert_eq!(
        t.find_published(&mut creds, &reply(post("3/3 la fin"), &first, &first))
            .await
            .unwrap(),
        None
    );

    // An image with its alt text, by address; the container is processed before publication.
    log(&fake);
    let img_post = with_media(
        post("Notre nouveau logo"),
        &server,
        "image/png",
        Some("Le logo, bleu sur blanc"),
    );
    let img = t.publish(&mut creds, &img_post).await.unwrap();
    assert_eq!(
        calls(&fake),
        [
            "GET /threads_publishing_limit",
            "POST /threads",
            "GET /",
            "GET /",
            "POST /threads_publish",
            "GET /"
        ],
        "one look while in progress, one when finished"
    );
    assert_eq!(stored(&fake, &img.id, |s| s.media_type.clone()), "IMAGE");
    assert_eq!(
        stored(&fake, &img.id, |s| s.media.clone()),
        [(
            "IMAGE".to_owned(),
            img_post.media[0].public_url.clone().unwrap(),
            Some("Le logo, bleu sur blanc".to_owned())
        )]
    );
    assert_eq!(
        t.find_published(&mut creds, &img_post).await.unwrap(),
        Some(img.clone())
    );
    // The same text without the image is another post.
    assert_eq!(
        t.find_published(&mut creds, &post("Notre nouveau logo"))
            .await
            .unwrap(),
        None
    );

    // A carousel: two items (one a video, processed over several looks), then the carousel.
    let mut car_post = with_media(post("Deux vues"), &server, "image/jpeg", Some("Vue 1"));
    car_post = with_media(car_post, &server, "video/mp4", None);
    // The fake's media server answers the PNG whatever the name: the video "downloads" too.
    let car = t.publish(&mut creds, &car_post).await.unwrap();
    assert_eq!(
        stored(&fake, &car.id, |s| s.media_type.clone()),
        "CAROUSEL_ALBUM"
    );
    let media = stored(&fake, &car.id, |s| s.media.clone());
    assert_eq!(media.len(), 2);
    assert_eq!(
        (media[0].0.as_str(), media[0].2.as_deref()),
        ("IMAGE", Some("Vue 1"))
    );
    assert_eq!(
        (media[1].0.as_str(), media[1].2.as_deref()),
        ("VIDEO", None)
    );
    let seq = calls(&fake);
    assert_eq!(seq.iter().filter(|c| *c == "POST /threads").count(), 3);
    assert_eq!(
        seq.iter().filter(|c| *c == "POST /threads_publish").count(),
        1
    );
    assert_eq!(
        t.find_published(&mut creds, &car_post).await.unwrap(),
        Some(car)
    );

    // A reply with an image.
    let img_reply = with_media(
        reply(post("Et en image"), &first, &third),
        &server,
        "image/png",
        None,
    );
    let r = t.publish(&mut creds, &img_reply).await.unwrap();
    assert_eq!(
        stored(&fake, &r.id, |s| s.reply_to.clone()),
        Some(third.id.clone())
    );
    assert_eq!(
        t.find_published(&mut creds, &img_reply).await.unwrap(),
        Some(r)
    );

    // Refused before anything is sent: no public address, an unsupported type, too long.
    log(&fake);
    let mut private = with_media(post("Privé"), &server, "image/png", None);
    private.media[0].public_url = None;
    let err = t.publish(&mut creds, &private).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Misconfigured(ref m) if m.contains("public_url")),
        "{err}"
    );
    let err = t
        .publish(
            &mut creds,
            &with_media(post("GIF"), &server, "image/gif", None),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("image/gif")),
        "{err}"
    );
    let err = t
        .publish(&mut creds, &post(&"é".repeat(501)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("501")),
        "{err}"
    );
    assert!(log(&fake).is_empty());

    // Through the struct as the publisher gets it.
    let c: Box<dyn Connector> = Box::new(threads());
    assert_eq!(c.network(), "threads");
    assert_eq!(c.verify(&mut creds).await.unwrap(), "@relais_app");
}

#[tokio::test]
async fn metrics_and_delete() {
    let (server, fake) = start().await;
    let t = threads();
    let mut creds = credentials(&server, &fake);
    let p = t.publish(&mut creds, &post("Compté")).await.unwrap();

    fake.lock()
        .unwrap()
        .posts
        .iter_mut()
        .find(|s| s.id == p.id)
        .unwrap()
        .metrics = [1500, 12, 4, 3, 1];
    let m = t.metrics(&mut creds, &p).await.unwrap();
    assert_eq!(
        (m.views, m.likes, m.replies, m.reposts, m.quotes),
        (Some(1500), Some(12), Some(4), Some(3), Some(1))
    );

    t.delete(&mut creds, &p).await.unwrap();
    assert!(stored(&fake, &p.id, |s| s.deleted));
    // Deleting again is no error; the post is gone for metrics and for find_published.
    t.delete(&mut creds, &p).await.unwrap();
    let err = t.metrics(&mut creds, &p).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("gone")),
        "{err}"
    );
    assert_eq!(
        t.find_published(&mut creds, &post("Compté")).await.unwrap(),
        None
    );

    // An id that is not Threads' never reaches a path.
    log(&fake);
    let bogus = PublishedPost {
        id: "../me".into(),
        version: None,
        url: String::new(),
    };
    assert!(matches!(
        t.delete(&mut creds, &bogus).await,
        Err(NetworkError::Rejected(_))
    ));
    assert!(matches!(
        t.metrics(&mut creds, &bogus).await,
        Err(NetworkError::Rejected(_))
    ));
    assert!(log(&fake).is_empty());
}

#[tokio::test]
async fn a_post_made_before_a_crash_is_found_and_a_lost_answer_is_settled() {
    let (server, fake) = start().await;
    let t = threads();
    let mut creds = credentials(&server, &fake);
    t.verify(&mut creds).await.unwrap();

    // An earlier attempt reached Threads, then the worker died: the post is there.
    let crashed = post("Publié avant la panne");
    let earlier = {
        let mut f = fake.lock().unwrap();
        let id = f.id();
        f.posts.push(Post {
            id: id.clone(),
            text: Some(crashed.text.clone()),
            media_type: "TEXT_POST".into(),
            media: vec![],
            reply_to: None,
            timestamp: Utc::now(),
            shortcode: "DCrash01".into(),
            mine: true,
            via_api: true,
            deleted: false,
            unlisted: false,
            metrics: [0; 5],
        });
        id
    };
    let found = t
        .find_published(&mut creds, &crashed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, earlier);
    assert_eq!(
        found.url,
        "https://www.threads.com/@relais_app/post/DCrash01"
    );
    // The same text posted long before this post was written is another post.
    {
        let mut f = fake.lock().unwrap();
        let id = f.id();
        f.posts.push(Post {
            id,
            text: Some("Déjà dit".into()),
            media_type: "TEXT_POST".into(),
            media: vec![],
            reply_to: None,
            timestamp: Utc::now() - chrono::Duration::minutes(10),
            shortcode: "DOld0001".into(),
            mine: true,
            via_api: true,
            deleted: false,
            unlisted: false,
            metrics: [0; 5],
        });
    }
    assert_eq!(
        t.find_published(&mut creds, &post("Déjà dit"))
            .await
            .unwrap(),
        None
    );

    // The publication is made but its answer is lost: the container's status says PUBLISHED,
    // the post is looked up, and returned; nothing is published twice.
    fake.lock().unwrap().lose_next_publish = true;
    let lost = post("Réponse perdue");
    log(&fake);
    let p = t.publish(&mut creds, &lost).await.unwrap();
    assert_eq!(
        stored(&fake, &p.id, |s| s.text.clone()).as_deref(),
        Some("Réponse perdue")
    );
    assert_eq!(
        calls(&fake),
        [
            "GET /threads_publishing_limit",
            "POST /threads",
            "GET /",
            "POST /threads_publish",
            "GET /",
            "GET /threads"
        ]
    );
    let count = |f: &Shared, text: &str| {
        f.lock()
            .unwrap()
            .posts
            .iter()
            .filter(|p| p.text.as_deref() == Some(text))
            .count()
    };
    assert_eq!(count(&fake, "Réponse perdue"), 1);

    // Lost again, and the post is not listed yet: a transient error, and the next look finds it.
    {
        let mut f = fake.lock().unwrap();
        f.lose_next_publish = true;
        f.unlist_new = true;
    }
    let unlisted = post("Pas encore listé");
    let err = t.publish(&mut creds, &unlisted).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("look for it again")),
        "{err}"
    );
    {
        let mut f = fake.lock().unwrap();
        f.unlist_new = false;
        f.posts.iter_mut().for_each(|p| p.unlisted = false);
    }
    let again = t
        .find_published(&mut creds, &unlisted)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored(&fake, &again.id, |s| s.text.clone()).as_deref(),
        Some("Pas encore listé")
    );
    assert_eq!(count(&fake, "Pas encore listé"), 1);

    // A failure before publication (a 503 on threads_publish that did nothing): the status says
    // FINISHED, so the error stands and nothing was published.
    inject(
        &fake,
        "POST",
        &format!("/v1.0/{USER_ID}/threads_publish"),
        503,
        vec![],
        r#"{"error":{"message":"Service temporarily unavailable","type":"OAuthException","code":2,"is_transient":true}}"#,
    );
    let err = t
        .publish(&mut creds, &post("Pas publié"))
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");
    assert_eq!(count(&fake, "Pas publié"), 0);
    // The retry makes a new container and publishes once.
    t.publish(&mut creds, &post("Pas publié")).await.unwrap();
    assert_eq!(count(&fake, "Pas publié"), 1);
}

#[tokio::test]
async fn containers_that_fail_or_take_too_long() {
    let (server, fake) = start().await;
    let t = threads();
    let mut creds = credentials(&server, &fake);

    // Threads cannot download the video: ERROR, refused with Meta's message.
    let mut broken = with_media(post("Vidéo cassée"), &server, "video/mp4", None);
    broken.media[0].public_url = Some(server.url("/nowhere/video.mp4"));
    let err = t.publish(&mut creds, &broken).await.unwrap_err();
    assert_eq!(
        err,
        NetworkError::Rejected(
            "Threads could not process the post: FAILED_DOWNLOADING_VIDEO".into()
        )
    );

    // Still processing past the wait: transient, and never published.
    fake.lock().unwrap().stuck_next = true;
    let slow = Threads::new(client(Duration::from_secs(10)))
        .with_polling(Duration::from_millis(20), Duration::from_millis(200));
    let err = slow
        .publish(
            &mut creds,
            &with_media(post("Lente"), &server, "video/mp4", None),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("still processing")),
        "{err}"
    );
    assert!(fake.lock().unwrap().posts.is_empty());

    // A refusal of the container: Meta's words.
    inject(
        &fake,
        "POST",
        &format!("/v1.0/{USER_ID}/threads"),
        400,
        vec![],
        r#"{"error":{"message":"Invalid parameter","type":"THApiException","code":100,"error_user_msg":"The post contains a link that is not allowed."}}"#,
    );
    let err = t
        .publish(&mut creds, &post("Lien interdit"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        NetworkError::Rejected(
            "Threads refused the post: The post contains a link that is not allowed. (code 100)"
                .into()
        )
    );
    // A reply to a post that is gone: said so, with Meta's words.
    let gone = PublishedPost {
        id: "42".into(),
        version: None,
        url: String::new(),
    };
    let err = t
        .publish(&mut creds, &reply(post("Orphelin"), &gone, &gone))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m)
            if m.contains("(42) was deleted") && m.contains("does not exist")),
        "{err}"
    );
}

#[tokio::test]
async fn tokens_are_renewed_before_they_expire() {
    let (server, fake) = start().await;
    let t = threads();

    // Plenty of time left: no renewal.
    let mut creds = credentials(&server, &fake);
    t.verify(&mut creds).await.unwrap();
    assert_eq!(fake.lock().unwrap().refreshes, 0);

    // Three days left: renewed first, the new token and its expiry kept.
    let mut creds = credentials(&server, &fake);
    creds
        .secrets
        .insert("expires_at_ms".into(), (now_ms() + 3 * DAY_MS).to_string());
    let p = t.publish(&mut creds, &post("Renouvelé")).await.unwrap();
    assert!(stored(&fake, &p.id, |s| s.via_api));
    assert!(creds.changed);
    assert_eq!(fake.lock().unwrap().refreshes, 1);
    assert_eq!(creds.secret("access_token"), Some("long-1"));
    let at: i64 = creds.secret("expires_at_ms").unwrap().parse().unwrap();
    assert!(
        (now_ms() + 59 * DAY_MS..=now_ms() + 60 * DAY_MS).contains(&at),
        "{at}"
    );

    // A renewal refused while the token still works: logged, and the token used.
    fake.lock().unwrap().refuse_refresh = true;
    let mut soon = credentials(&server, &fake);
    soon.secrets
        .insert("expires_at_ms".into(), (now_ms() + DAY_MS).to_string());
    t.publish(&mut soon, &post("Encore valable")).await.unwrap();
    assert_eq!(fake.lock().unwrap().refreshes, 2);
    assert_eq!(
        soon.secret("access_token"),
        Some("long-1"),
        "the token is kept"
    );

    // A renewal failing (Threads down): the same.
    fake.lock().unwrap().refuse_refresh = false;
    inject(&fake, "GET", "/refresh_access_token", 503, vec![], "{}");
    t.verify(&mut soon).await.unwrap();
    assert_eq!(fake.lock().unwrap().refreshes, 3);
    assert_eq!(soon.secret("access_token"), Some("long-1"));

    // An expired token: Threads says code 190; no renewal is tried (Meta refuses to renew
    // an expired token), the channel must be connected again.
    let refreshes = fake.lock().unwrap().refreshes;
    let mut dead = credentials(&server, &fake);
    dead.secrets
        .insert("access_token".into(), "long-old".into());
    dead.secrets
        .insert("expires_at_ms".into(), (now_ms() - DAY_MS).to_string());
    fake.lock().unwrap().expired_token = Some("long-old".into());
    let err = t.publish(&mut dead, &post("Expiré")).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("connect the channel again")
            && m.contains("Session has expired")),
        "{err}"
    );
    assert!(!dead.changed);
    assert_eq!(fake.lock().unwrap().refreshes, refreshes);
    // A token revoked elsewhere: the same.
    let mut revoked = credentials(&server, &fake);
    revoked
        .secrets
        .insert("access_token".into(), "long-revoked".into());
    let err = t.verify(&mut revoked).await.unwrap_err();
    assert!(matches!(err, NetworkError::Unauthorized(_)), "{err}");
    // No token at all: a person must set the channel up.
    revoked.secrets.clear();
    assert!(matches!(
        t.verify(&mut revoked).await,
        Err(NetworkError::Misconfigured(_))
    ));
}

#[tokio::test]
async fn limits_failures_and_garbled_answers() {
    let (server, fake) = start().await;
    let t = threads();
    let mut creds = credentials(&server, &fake);
    t.verify(&mut creds).await.unwrap();

    // 429 with Retry-After.
    inject(
        &fake,
        "POST",
        &format!("/v1.0/{USER_ID}/threads"),
        429,
        vec![("retry-after", "7".into())],
        r#"{"error":{"message":"Too many calls","type":"OAuthException","code":4}}"#,
    );
    assert_eq!(
        t.publish(&mut creds, &post("Trop vite")).await.unwrap_err(),
        NetworkError::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        }
    );
    // Graph's throttling codes come with a 400: still a rate limit.
    inject(
        &fake,
        "GET",
        "/v1.0/me",
        400,
        vec![],
        r#"{"error":{"message":"User request limit reached","type":"OAuthException","code":17}}"#,
    );
    assert_eq!(
        t.verify(&mut creds).await.unwrap_err(),
        NetworkError::RateLimited { retry_after: None }
    );

    // The 24-hour quota used up: refused before any container, with the time until the
    // oldest post of the window leaves it.
    {
        let mut f = fake.lock().unwrap();
        f.quota_total = 2;
        for (i, hours_ago) in [(1, 23), (2, 5)] {
            f.posts.push(Post {
                id: format!("1700000000000000{i}"),
                text: Some(format!("Ancien {i}")),
                media_type: "TEXT_POST".into(),
                media: vec![],
                reply_to: None,
                timestamp: Utc::now() - chrono::Duration::hours(hours_ago),
                shortcode: format!("DOld{i}"),
                mine: true,
                via_api: true,
                deleted: false,
                unlisted: false,
                metrics: [0; 5],
            });
        }
        f.log.clear();
    }
    match t.publish(&mut creds, &post("Quota")).await.unwrap_err() {
        NetworkError::RateLimited {
            retry_after: Some(wait),
        } => assert!(
            (Duration::from_secs(3590)..=Duration::from_secs(3600)).contains(&wait),
            "{wait:?}"
        ),
        other => panic!("expected a rate limit with a wait, got {other:?}"),
    }
    assert_eq!(
        calls(&fake),
        ["GET /threads_publishing_limit", "GET /threads"],
        "no container was made"
    );
    // Replies have their own quota.
    let root = PublishedPost {
        id: "17000000000000002".into(),
        version: None,
        url: String::new(),
    };
    t.publish(&mut creds, &reply(post("Une réponse"), &root, &root))
        .await
        .unwrap();
    fake.lock().unwrap().quota_total = 250;

    // 5xx: worth another try.
    inject(
        &fake,
        "POST",
        &format!("/v1.0/{USER_ID}/threads"),
        500,
        vec![],
        r#"{"error":{"message":"An unknown error occurred","type":"OAuthException","code":1}}"#,
    );
    let err = t.publish(&mut creds, &post("En panne")).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("500")),
        "{err}"
    );
    assert!(err.is_retryable());
    inject(
        &fake,
        "GET",
        "/v1.0/me",
        502,
        vec![],
        "<html>Bad gateway</html>",
    );
    assert!(matches!(
        t.verify(&mut creds).await,
        Err(NetworkError::Transient(_))
    ));

    // A malformed answer: a 200 with truncated JSON, or without an id.
    inject(&fake, "GET", "/v1.0/me", 200, vec![], r#"{"id": "1784"#);
    let err = t.verify(&mut creds).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("not JSON")),
        "{err}"
    );
    inject(
        &fake,
        "POST",
        &format!("/v1.0/{USER_ID}/threads"),
        200,
        vec![],
        r#"{"status": "ok"}"#,
    );
    let err = t.publish(&mut creds, &post("Sans id")).await.unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");

    // A time-out: the fake answers later than the client waits.
    fake.lock().unwrap().slow = Some(("GET /v1.0/me".into(), Duration::from_secs(3)));
    let impatient = Threads::new(client(Duration::from_millis(500)));
    let err = impatient.verify(&mut creds).await.unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");
    fake.lock().unwrap().slow = None;

    // A permission missing: connect again.
    inject(
        &fake,
        "DELETE",
        "/v1.0/17000000000000002",
        403,
        vec![],
        r#"{"error":{"message":"Application does not have permission for this action","type":"OAuthException","code":10}}"#,
    );
    let err = t.delete(&mut creds, &root).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("permission")),
        "{err}"
    );

    // Every injected answer was used, and nothing else is wrong.
    assert!(fake.lock().unwrap().inject.is_empty());
    t.publish(&mut creds, &post("Tout va bien")).await.unwrap();

    // Settings a person must fix; the SSRF guard on refuses loopback.
    let mut bad = credentials(&server, &fake);
    bad.settings = json!({ "api_base": "ftp://graph.threads.net" });
    assert!(matches!(
        t.verify(&mut bad).await,
        Err(NetworkError::Misconfigured(_))
    ));
    let guarded = Threads::new(HttpClient::new(OutboundConfig::default()).unwrap());
    let err = guarded
        .verify(&mut credentials(&server, &fake))
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Misconfigured(_)), "{err}");
}

#[tokio::test]
async fn oauth_authorize_and_connect() {
    let (server, fake) = start().await;
    let flow = ThreadsFlow;
    assert_eq!(flow.network(), "threads");
    let app = OAuthApp {
        client_id: CLIENT_ID.into(),
        client_secret: Some(APP_SECRET.into()),
        api_base: Some(server.url("/v1.0")),
        authorize_base: None,
    };
    let redirect = "https://relais.example/w/acme/channels/threads/callback";

    // The consent page with every parameter, and no PKCE.
    let url = flow.authorize_url(&app, redirect, "st+ate", "challenge-ignored");
    let parsed = url::Url::parse(&url).unwrap();
    assert_eq!(
        parsed.as_str().split('?').next(),
        Some("https://threads.com/oauth/authorize")
    );
    let q: HashMap<String, String> = parsed.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["redirect_uri"], redirect);
    assert_eq!(
        q["scope"],
        "threads_basic,threads_content_publish,threads_manage_insights,threads_manage_replies,\
         threads_read_replies,threads_delete,threads_manage_mentions"
    );
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["state"], "st+ate");
    assert_eq!(q.len(), 5);
    let custom = OAuthApp {
        authorize_base: Some(server.url("/oauth/authorize")),
        ..app.clone()
    };
    assert!(
        flow.authorize_url(&custom, redirect, "s", "c")
            .starts_with(&server.url("/oauth/authorize?client_id="))
    );

    // The code comes back: short-lived token, long-lived token, then /me.
    fake.lock()
        .unwrap()
        .codes
        .insert("code-1".into(), redirect.into());
    let accounts = flow
        .connect(
            &client(Duration::from_secs(10)),
            &app,
            "code-1",
            "",
            redirect,
        )
        .await
        .unwrap();
    assert_eq!(accounts.len(), 1);
    let a = &accounts[0];
    assert_eq!(
        (a.network, a.account_id.as_str(), a.display.as_str()),
        ("threads", USER_ID, "@relais_app")
    );
    assert_eq!(a.credentials.secret("access_token"), Some("long-2"));
    assert_eq!(a.credentials.secret("user_id"), Some(USER_ID));
    assert_eq!(a.credentials.secret("username"), Some(USERNAME));
    assert_eq!(
        a.credentials.secret("client_secret"),
        None,
        "the app secret stays with the app"
    );
    let at: i64 = a
        .credentials
        .secret("expires_at_ms")
        .unwrap()
        .parse()
        .unwrap();
    assert!((now_ms() + 59 * DAY_MS..=now_ms() + 60 * DAY_MS).contains(&at));
    assert_eq!(a.credentials.setting("client_id"), Some(CLIENT_ID));
    // The channel's credentials work as they are.
    let mut creds = a.credentials.clone();
    let p = threads()
        .publish(&mut creds, &post("Connecté"))
        .await
        .unwrap();
    assert!(stored(&fake, &p.id, |s| s.via_api));

    // A code is used once; another redirect address is refused.
    let err = flow
        .connect(
            &client(Duration::from_secs(10)),
            &app,
            "code-1",
            "",
            redirect,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("authorization code")),
        "{err}"
    );
    fake.lock()
        .unwrap()
        .codes
        .insert("code-2".into(), redirect.into());
    let err = flow
        .connect(
            &client(Duration::from_secs(10)),
            &app,
            "code-2",
            "",
            "https://evil.example/cb",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Unauthorized(_)), "{err}");
    // The app secret is needed; a wrong one is refused.
    let no_secret = OAuthApp {
        client_secret: None,
        ..app.clone()
    };
    let err = flow
        .connect(
            &client(Duration::from_secs(10)),
            &no_secret,
            "c",
            "",
            redirect,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Misconfigured(ref m) if m.contains("secret")),
        "{err}"
    );
    fake.lock()
        .unwrap()
        .codes
        .insert("code-3".into(), redirect.into());
    let wrong = OAuthApp {
        client_secret: Some("wrong".into()),
        ..app.clone()
    };
    let err = flow
        .connect(
            &client(Duration::from_secs(10)),
            &wrong,
            "code-3",
            "",
            redirect,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Unauthorized(_)), "{err}");
    // Threads down during the exchange: worth another try.
    fake.lock()
        .unwrap()
        .codes
        .insert("code-4".into(), redirect.into());
    inject(&fake, "GET", "/access_token", 503, vec![], "{}");
    let err = flow
        .connect(
            &client(Duration::from_secs(10)),
            &app,
            "code-4",
            "",
            redirect,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");

    // The token functions on their own.
    let http = client(Duration::from_secs(10));
    let root = server.base_url();
    let renewed = oauth::refresh(&http, root, "long-2").await.unwrap();
    assert_eq!(
        renewed.access_token, "long-4",
        "short-1, long-2, short-3 came before"
    );
    assert_eq!(renewed.expires_in, Some(Duration::from_secs(5_183_944)));
    let err = oauth::refresh(&http, root, "long-2").await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("connect the channel again")),
        "{err}"
    );
}

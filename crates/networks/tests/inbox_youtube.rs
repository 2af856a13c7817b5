//! The YouTube inbox against a small stateful fake of the YouTube Data API v3 and Google's
//! token endpoint, written from Google's documentation:
//!
//! - `commentThreads.list` with `allThreadsRelatedToChannelId` (newest thread first, `part`
//!   `snippet` and `replies`, `maxResults` 1–100, `pageToken`, `textFormat` `html` by default,
//!   published comments only, `403 commentsDisabled` for a channel whose comments are off). A
//!   thread includes some of its replies only; the documentation does not say which: this fake
//!   includes the newest [`Fake::included_replies`];
//! - `comments.list` by `parentId` (paged; `404 commentNotFound` for a thread that is gone,
//!   `403 commentsDisabled` on a video whose comments were turned off), `comments.insert` (a
//!   reply under a top-level comment; `404 commentNotFound` when it is gone) and
//!   `comments.setModerationStatus` (no body, `204`; `heldForReview`, `published`, `rejected`;
//!   `banAuthor` with `rejected` only, else `400 banWithoutReject`);
//! - `channels.list` (`mine=true`), bearer tokens, Google's error bodies, and a token endpoint
//!   that renews an access token and answers `invalid_grant` for a revoked refresh token.
//!
//! `comments.markAsSpam` is withdrawn from the API: the fake does not answer it, and the tests
//! check it is never asked for.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use common::{Injected, push_injected, take_injected};
use relais_networks::inbox::{
    self, Author, InboxPage, IncomingMessage, Interaction, MessageKind, PostRef,
};
use relais_networks::youtube::YouTube;
use relais_networks::{
    Connector, Credentials, NetworkError, OutgoingPost, PublishedPost, ReplyTarget,
};
use relais_testkit::mock_http::MockHttp;
use serde_json::{Value, json};

const CHANNEL: &str = "UCbrand00000000000000000";
const UPLOADS: &str = "UUbrand00000000000000000";
const CLIENT_ID: &str = "1234-relais.apps.googleusercontent.com";
const CLIENT_SECRET: &str = "GOCSPX-relais";
const VIDEO_1: &str = "video000001";
const VIDEO_2: &str = "video000002";
const FAN_A: &str = "UCfanA000000000000000000";
const FAN_B: &str = "UCfanB000000000000000000";
const FAN_C: &str = "UCfanC000000000000000000";
const MODERATE: &str = "/youtube/v3/comments/setModerationStatus";

struct Comment {
    id: String,
    video: String,
    /// The top-level comment a reply is under.
    parent: Option<String>,
    author: String,
    text: String,
    at: DateTime<Utc>,
    /// `published`, `heldForReview` or `rejected`.
    status: String,
    deleted: bool,
}

/// One request that passed the gate.
#[derive(Clone, Debug)]
struct Call {
    method: String,
    path: String,
    query: HashMap<String, String>,
}

struct Fake {
    access_token: String,
    refresh_token: String,
    refuse_refresh: bool,
    issued: u32,
    next_id: u64,
    comments: Vec<Comment>,
    /// How many of its replies a thread includes in `replies.comments` (the newest).
    included_replies: usize,
    /// The most items a page holds, whatever `maxResults` asks (YouTube may give fewer).
    page_cap: usize,
    disabled_videos: HashSet<String>,
    channel_comments_disabled: bool,
    banned: Vec<String>,
    inject: VecDeque<Injected>,
    log: Vec<Call>,
}

impl Default for Fake {
    fn default() -> Self {
        Self {
            access_token: "at-0".into(),
            refresh_token: "rt-0".into(),
            refuse_refresh: false,
            issued: 0,
            next_id: 0,
            comments: Vec::new(),
            included_replies: 5,
            page_cap: 100,
            disabled_videos: HashSet::new(),
            channel_comments_disabled: false,
            banned: Vec::new(),
            inject: VecDeque::new(),
            log: Vec::new(),
        }
    }
}

impl Fake {
    fn visible(&self) -> impl Iterator<Item = &Comment> {
        self.comments
            .iter()
            .filter(|c| !c.deleted && c.status == "published")
    }

    fn replies_of(&self, thread: &str) -> Vec<&Comment> {
        let mut replies: Vec<&Comment> = self
            .visible()
            .filter(|c| c.parent.as_deref() == Some(thread))
            .collect();
        replies.sort_by_key(|c| c.at);
        replies
    }

    fn comment_json(c: &Comment, format: &str) -> Value {
        let at = c.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        // `html`, the default, escapes the text; `plainText` gives it as written.
        let display = if format == "plainText" {
            c.text.clone()
        } else {
            c.text
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        };
        let mut snippet = json!({
            "channelId": CHANNEL,
            "textDisplay": display,
            "authorDisplayName": format!("@{}", c.author.to_lowercase()),
            "authorProfileImageUrl": format!("https://yt3.ggpht.com/{}=s48", c.author),
            "authorChannelUrl": format!("http://www.youtube.com/channel/{}", c.author),
            "authorChannelId": { "value": c.author },
            "canRate": true, "viewerRating": "none", "likeCount": 0,
            "publishedAt": at, "updatedAt": at
        });
        // The original text goes to its author only.
        if c.author == CHANNEL {
            snippet["textOriginal"] = json!(c.text);
        }
        match &c.parent {
            Some(parent) => snippet["parentId"] = json!(parent),
            None => snippet["videoId"] = json!(c.video),
        }
        json!({ "kind": "youtube#comment", "etag": "e", "id": c.id, "snippet": snippet })
    }

    fn thread_json(&self, top: &Comment, with_replies: bool, format: &str) -> Value {
        let replies = self.replies_of(&top.id);
        let mut thread = json!({
            "kind": "youtube#commentThread", "etag": "e", "id": top.id,
            "snippet": {
                "channelId": CHANNEL, "videoId": top.video,
                "topLevelComment": Self::comment_json(top, format),
                "canReply": true, "totalReplyCount": replies.len(), "isPublic": true
            }
        });
        if with_replies && !replies.is_empty() {
            let included: Vec<Value> = replies
                .iter()
                .rev()
                .take(self.included_replies)
                .map(|c| Self::comment_json(c, format))
                .collect();
            thread["replies"] = json!({ "comments": included });
        }
        thread
    }
}

type Shared = Arc<Mutex<Fake>>;

fn google_error(status: u16, reason: &str, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({ "error": {
            "code": status, "message": message,
            "errors": [{ "message": message, "domain": "youtube.api", "reason": reason }]
        }})),
    )
        .into_response()
}

fn google_body(status: u16, reason: &str, message: &str) -> String {
    json!({ "error": { "code": status, "message": message,
        "errors": [{ "message": message, "domain": "youtube.quota", "reason": reason }] } })
    .to_string()
}

/// Injected answers first, then the bearer token; what passes is logged.
fn gate(
    fake: &mut Fake,
    method: &str,
    path: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Option<Response> {
    if let Some(r) = take_injected(&mut fake.inject, method, path) {
        return Some(r);
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(fake.access_token.as_str()) {
        return Some(google_error(
            401,
            "authError",
            "Request had invalid authentication credentials.",
        ));
    }
    fake.log.push(Call {
        method: method.into(),
        path: path.into(),
        query: query.clone(),
    });
    None
}

/// The window `pageToken` and `maxResults` ask for, or YouTube's refusal.
fn window(fake: &Fake, q: &HashMap<String, String>) -> Result<(usize, usize), Box<Response>> {
    let max: usize = match q.get("maxResults").map(|m| m.parse()) {
        None => 20,
        Some(Ok(m)) if (1..=100).contains(&m) => m,
        _ => {
            return Err(Box::new(google_error(
                400,
                "invalidParameter",
                "maxResults",
            )));
        }
    };
    let offset = match q.get("pageToken") {
        None => 0,
        Some(t) => match t.strip_prefix("p-").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => {
                return Err(Box::new(google_error(
                    400,
                    "invalidPageToken",
                    "Bad page token.",
                )));
            }
        },
    };
    Ok((offset, max.min(fake.page_cap)))
}

fn has_part(q: &HashMap<String, String>, part: &str) -> bool {
    q.get("part")
        .is_some_and(|p| p.split(',').any(|p| p.trim() == part))
}

fn page(kind: &str, items: Vec<Value>, offset: usize, size: usize, total: usize) -> Response {
    let mut page = json!({ "kind": kind, "etag": "e", "items": items,
                           "pageInfo": { "totalResults": total, "resultsPerPage": size } });
    if offset + size < total {
        page["nextPageToken"] = json!(format!("p-{}", offset + size));
    }
    axum::Json(page).into_response()
}

async fn token(State(s): State<Shared>, Form(f): Form<HashMap<String, String>>) -> Response {
    let mut fake = s.lock().unwrap();
    if f.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || f.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET)
    {
        return google_error(401, "invalid_client", "The OAuth client was not found.");
    }
    if f.get("grant_type").map(String::as_str) != Some("refresh_token")
        || fake.refuse_refresh
        || f.get("refresh_token") != Some(&fake.refresh_token)
    {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": "invalid_grant",
                               "error_description": "Token has been expired or revoked." })),
        )
            .into_response();
    }
    fake.issued += 1;
    fake.access_token = format!("at-{}", fake.issued);
    axum::Json(
        json!({ "access_token": fake.access_token, "expires_in": 3599,
                       "token_type": "Bearer" }),
    )
    .into_response()
}

async fn channels(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "GET", "/youtube/v3/channels", &q, &headers) {
        return r;
    }
    if q.get("mine").map(String::as_str) != Some("true") {
        return google_error(400, "missingRequiredParameter", "No filter selected.");
    }
    axum::Json(json!({ "kind": "youtube#channelListResponse", "items": [{
        "kind": "youtube#channel", "id": CHANNEL,
        "snippet": { "title": "Relais TV" },
        "contentDetails": { "relatedPlaylists": { "uploads": UPLOADS } }
    }]}))
    .into_response()
}

async fn list_threads(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "GET", "/youtube/v3/commentThreads", &q, &headers) {
        return r;
    }
    if !has_part(&q, "snippet") {
        return google_error(400, "missingRequiredParameter", "part");
    }
    if q.get("allThreadsRelatedToChannelId").map(String::as_str) != Some(CHANNEL) {
        return google_error(404, "channelNotFound", "The channel could not be found.");
    }
    if fake.channel_comments_disabled {
        return google_error(
            403,
            "commentsDisabled",
            "The channel has disabled comments.",
        );
    }
    let (offset, size) = match window(&fake, &q) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let format = q.get("textFormat").map_or("html", String::as_str);
    let mut threads: Vec<&Comment> = fake.visible().filter(|c| c.parent.is_none()).collect();
    // `order=time`: the newest thread first.
    threads.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.id.cmp(&b.id)));
    let items: Vec<Value> = threads
        .iter()
        .skip(offset)
        .take(size)
        .map(|t| fake.thread_json(t, has_part(&q, "replies"), format))
        .collect();
    page(
        "youtube#commentThreadListResponse",
        items,
        offset,
        size,
        threads.len(),
    )
}

async fn list_replies(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "GET", "/youtube/v3/comments", &q, &headers) {
        return r;
    }
    if !has_part(&q, "snippet") {
        return google_error(400, "missingRequiredParameter", "part");
    }
    let parent = q.get("parentId").cloned().unwrap_or_default();
    let Some(video) = fake
        .visible()
        .find(|c| c.id == parent && c.parent.is_none())
        .map(|c| c.video.clone())
    else {
        return google_error(404, "commentNotFound", "The comment could not be found.");
    };
    if fake.disabled_videos.contains(&video) {
        return google_error(403, "commentsDisabled", "The video has disabled comments.");
    }
    let (offset, size) = match window(&fake, &q) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let format = q.get("textFormat").map_or("html", String::as_str);
    let replies = fake.replies_of(&parent);
    let items: Vec<Value> = replies
        .iter()
        .skip(offset)
        .take(size)
        .map(|c| Fake::comment_json(c, format))
        .collect();
    page(
        "youtube#commentListResponse",
        items,
        offset,
        size,
        replies.len(),
    )
}

async fn insert_reply(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "POST", "/youtube/v3/comments", &q, &headers) {
        return r;
    }
    if !has_part(&q, "snippet") {
        return google_error(400, "missingRequiredParameter", "part");
    }
    let Ok(b) = serde_json::from_slice::<Value>(&body) else {
        return google_error(400, "parseError", "Parse Error");
    };
    let parent = b["snippet"]["parentId"].as_str().unwrap_or("").to_owned();
    let text = b["snippet"]["textOriginal"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let Some(video) = fake
        .comments
        .iter()
        .find(|c| c.id == parent && !c.deleted && c.parent.is_none())
        .map(|c| c.video.clone())
    else {
        return google_error(
            404,
            "commentNotFound",
            "The comment identified by the parentId parameter could not be found.",
        );
    };
    if text.trim().is_empty() {
        return google_error(400, "commentTextRequired", "The comment needs a text.");
    }
    fake.next_id += 1;
    let comment = Comment {
        id: format!("{parent}.brand{:06}", fake.next_id),
        video,
        parent: Some(parent),
        author: CHANNEL.into(),
        text,
        at: Utc::now(),
        status: "published".into(),
        deleted: false,
    };
    let answer = Fake::comment_json(&comment, "html");
    fake.comments.push(comment);
    axum::Json(answer).into_response()
}

async fn set_moderation_status(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "POST", MODERATE, &q, &headers) {
        return r;
    }
    if !body.is_empty() {
        return google_error(400, "unexpectedBody", "Do not provide a request body.");
    }
    let status = q.get("moderationStatus").cloned().unwrap_or_default();
    if !["heldForReview", "published", "rejected"].contains(&status.as_str()) {
        return google_error(400, "invalidModerationStatus", "Bad moderation status.");
    }
    let ban = q.get("banAuthor").map(String::as_str) == Some("true");
    if ban && status != "rejected" {
        return google_error(400, "banWithoutReject", "banAuthor needs rejected.");
    }
    let ids: Vec<String> = q
        .get("id")
        .map(|i| i.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    for id in &ids {
        if !fake.comments.iter().any(|c| &c.id == id && !c.deleted) {
            return google_error(404, "commentNotFound", "The comment could not be found.");
        }
    }
    let mut banned = Vec::new();
    for c in fake.comments.iter_mut().filter(|c| ids.contains(&c.id)) {
        c.status = status.clone();
        if ban {
            banned.push(c.author.clone());
        }
    }
    fake.banned.extend(banned);
    StatusCode::NO_CONTENT.into_response()
}

async fn start() -> (MockHttp, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Fake::default()));
    let router = Router::new()
        .route("/token", post(token))
        .route("/youtube/v3/channels", get(channels))
        .route("/youtube/v3/commentThreads", get(list_threads))
        .route("/youtube/v3/comments", get(list_replies).post(insert_reply))
        .route(MODERATE, post(set_moderation_status))
        .with_state(shared.clone());
    (MockHttp::start(router).await, shared)
}

fn credentials(server: &MockHttp) -> Credentials {
    Credentials {
        settings: json!({ "api_base": server.base_url(), "client_id": CLIENT_ID }),
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
    inbox::read("youtube", &http(), creds, cursor).await
}

async fn act(creds: &mut Credentials, interaction: Interaction) -> Result<(), NetworkError> {
    inbox::act("youtube", &http(), creds, &interaction).await
}

/// A comment by `author` on `video` (under the top-level comment `parent`, if any), `at`;
/// its id.
fn add(
    fake: &Shared,
    video: &str,
    parent: Option<&str>,
    author: &str,
    text: &str,
    at: DateTime<Utc>,
) -> String {
    let mut f = fake.lock().unwrap();
    f.next_id += 1;
    let id = match parent {
        Some(p) => format!("{p}.r{:08}", f.next_id),
        None => format!("Ugz{:021}", f.next_id),
    };
    f.comments.push(Comment {
        id: id.clone(),
        video: video.into(),
        parent: parent.map(str::to_owned),
        author: author.into(),
        text: text.into(),
        at,
        status: "published".into(),
        deleted: false,
    });
    id
}

fn ago(minutes: i64) -> DateTime<Utc> {
    // Whole seconds, as YouTube gives its times.
    let now = Utc::now().timestamp();
    DateTime::from_timestamp(now - minutes * 60, 0).unwrap()
}

fn ids(messages: &[IncomingMessage]) -> Vec<String> {
    messages.iter().map(|m| m.network_id.clone()).collect()
}

/// When the fake says comment `id` was published.
fn published(fake: &Shared, id: &str) -> DateTime<Utc> {
    fake.lock()
        .unwrap()
        .comments
        .iter()
        .find(|c| c.id == id)
        .unwrap()
        .at
}

/// The calls to `path` logged so far.
fn calls(fake: &Shared, method: &str, path: &str) -> Vec<Call> {
    fake.lock()
        .unwrap()
        .log
        .iter()
        .filter(|c| c.method == method && c.path == path)
        .cloned()
        .collect()
}

fn clear_log(fake: &Shared) {
    fake.lock().unwrap().log.clear();
}

fn inject(fake: &Shared, method: &'static str, path: &str, status: u16, body: &str) {
    push_injected(
        &mut fake.lock().unwrap().inject,
        method,
        path,
        status,
        vec![],
        body,
    );
}

fn watch(video: &str) -> PostRef {
    PostRef {
        id: video.into(),
        version: None,
        url: Some(format!("https://www.youtube.com/watch?v={video}")),
    }
}

#[tokio::test]
async fn threads_and_replies_are_read_once_in_their_places() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let a = add(&fake, VIDEO_1, None, FAN_A, "Tom & Jerry <3", ago(60));
    let brand_top = add(&fake, VIDEO_1, None, CHANNEL, "Épinglé", ago(59));
    let b = add(&fake, VIDEO_1, Some(&a), FAN_B, "@fana moi aussi", ago(58));
    add(&fake, VIDEO_1, Some(&a), CHANNEL, "Merci à vous", ago(57));
    let c = add(&fake, VIDEO_2, None, FAN_C, "Et la suite ?", ago(56));
    let d = add(&fake, VIDEO_1, Some(&brand_top), FAN_A, "Bien vu", ago(55));

    let page = read(&mut creds, None).await.unwrap();
    // Oldest first; the brand's own comments are left out.
    assert_eq!(ids(&page.messages), [&a, &b, &c, &d].map(String::clone));
    let kinds: Vec<MessageKind> = page.messages.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        [
            MessageKind::Comment,
            MessageKind::Reply,
            MessageKind::Comment,
            MessageKind::Reply
        ]
    );
    let [ma, mb, mc, md] = &page.messages[..] else {
        panic!("four messages");
    };
    // A top-level comment answers the video, which is also its root.
    assert_eq!(ma.parent, Some(watch(VIDEO_1)));
    assert_eq!(ma.root, Some(watch(VIDEO_1)));
    assert_eq!(
        ma.url.as_deref(),
        Some(format!("https://www.youtube.com/watch?v={VIDEO_1}&lc={a}").as_str())
    );
    // Asked as plain text: as written, not HTML-escaped.
    assert_eq!(ma.text, "Tom & Jerry <3");
    assert_eq!(ma.created_at, published(&fake, &a).timestamp_millis());
    assert_eq!(
        ma.author,
        Author {
            id: FAN_A.into(),
            handle: format!("@{}", FAN_A.to_lowercase()),
            display_name: None,
            avatar_url: Some(format!("https://yt3.ggpht.com/{FAN_A}=s48")),
            profile_url: Some(format!("http://www.youtube.com/channel/{FAN_A}")),
            followers: None,
            created_at: None,
        }
    );
    // A reply answers its top-level comment, under the video.
    assert!(mb.network_id.starts_with(&format!("{a}.")));
    assert_eq!(
        mb.parent,
        Some(PostRef {
            id: a.clone(),
            version: None,
            url: Some(format!("https://www.youtube.com/watch?v={VIDEO_1}&lc={a}")),
        })
    );
    assert_eq!(mb.root, Some(watch(VIDEO_1)));
    assert_eq!(mb.author.id, FAN_B);
    assert_eq!(mc.root, Some(watch(VIDEO_2)));
    // A fan's answer to the brand's own comment is kept, under it.
    assert_eq!(
        md.parent.as_ref().map(|p| p.id.as_str()),
        Some(brand_top.as_str())
    );

    // The channel's id was asked once and kept; the listing asked what the inbox needs.
    assert_eq!(creds.secret("channel_id"), Some(CHANNEL));
    assert_eq!(calls(&fake, "GET", "/youtube/v3/channels").len(), 1);
    let listed = calls(&fake, "GET", "/youtube/v3/commentThreads");
    assert_eq!(listed.len(), 1);
    let q = &listed[0].query;
    for (k, v) in [
        ("part", "snippet,replies"),
        ("allThreadsRelatedToChannelId", CHANNEL),
        ("order", "time"),
        ("maxResults", "100"),
        ("textFormat", "plainText"),
    ] {
        assert_eq!(q.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert!(!q.contains_key("pageToken"));

    // Nothing new: nothing again.
    let cursor = page.cursor.unwrap();
    let again = read(&mut creds, Some(&cursor)).await.unwrap();
    assert!(again.messages.is_empty(), "{:?}", ids(&again.messages));
    assert_eq!(calls(&fake, "GET", "/youtube/v3/channels").len(), 1);
    // Something new: that only.
    let e = add(&fake, VIDEO_2, Some(&c), FAN_A, "Bientôt", ago(1));
    let next = read(&mut creds, again.cursor.as_deref()).await.unwrap();
    assert_eq!(ids(&next.messages), [e]);
    assert_eq!(next.messages[0].kind, MessageKind::Reply);
}

#[tokio::test]
async fn documented_answers_read_offline() {
    use relais_networks::youtube::inbox::fuzzing::{read_page, read_replies};
    let threads = read_page(include_bytes!(
        "fixtures/inbox/youtube_comment_threads.json"
    ));
    // The fan's comment and the other fan's reply; not the brand's reply nor its thread, not
    // a comment about the channel (no video), not one whose author has no channel.
    assert_eq!(
        ids(&threads),
        [
            "UgzFanThread00000000000aaa",
            "UgzFanThread00000000000aaa.9zReplyByOther1"
        ]
    );
    let top = &threads[0];
    assert_eq!(top.kind, MessageKind::Comment);
    assert_eq!(
        top.text,
        "Where can I buy this? Tom & Jerry said <b> is fine"
    );
    assert_eq!(top.author.handle, "@curious-fan");
    assert_eq!(
        top.author.avatar_url.as_deref(),
        Some("https://yt3.ggpht.com/ytc/curious=s48")
    );
    // Publication time, not the edit's.
    assert_eq!(
        top.created_at,
        DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
            .unwrap()
            .timestamp_millis()
    );
    assert_eq!(top.root, Some(watch("vid00000001")));
    let reply = &threads[1];
    assert_eq!(reply.kind, MessageKind::Reply);
    assert_eq!(
        reply.parent.as_ref().map(|p| p.id.as_str()),
        Some("UgzFanThread00000000000aaa")
    );
    // Only `textDisplay` came: it is the text.
    assert_eq!(reply.text, "@curious-fan same question");

    let replies = read_replies(include_bytes!("fixtures/inbox/youtube_replies.json"));
    assert_eq!(
        ids(&replies),
        [
            "UgxThread0000000000.9zReplyOne000001",
            "UgxThread0000000000.9zReplyTwo000002"
        ]
    );
    assert!(replies.iter().all(|r| r.kind == MessageKind::Reply
        && r.parent.as_ref().map(|p| p.id.as_str()) == Some("UgxThread0000000000")
        && r.root == Some(watch("dQw4w9WgXcQ"))));

    // What is not YouTube's answer reads as nothing, without a panic.
    let garbage: [&[u8]; 5] = [
        b"{\"items\": [",
        b"[]",
        b"{\"items\": {\"a\": 1}}",
        b"{\"items\": [null, 1, \"x\", {\"snippet\": 3}]}",
        b"\xff\xfe",
    ];
    for bad in garbage {
        assert!(read_page(bad).is_empty());
        assert!(read_replies(bad).is_empty());
    }
}

#[tokio::test]
async fn pages_back_to_the_cursor_and_no_further() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    // 150 threads, a minute apart, five to two and a half hours ago.
    let old: Vec<String> = (0..150)
        .map(|i| {
            add(
                &fake,
                VIDEO_1,
                None,
                FAN_A,
                &format!("old {i}"),
                ago(300 - i),
            )
        })
        .collect();
    let first = read(&mut creds, None).await.unwrap();
    // A first read takes the newest page.
    assert_eq!(first.messages.len(), 100);
    assert_eq!(ids(&first.messages), old[50..].to_vec());
    assert_eq!(calls(&fake, "GET", "/youtube/v3/commentThreads").len(), 1);

    // 130 new threads: two pages back to the cursor, and no third.
    let new: Vec<String> = (0..130)
        .map(|i| {
            add(
                &fake,
                VIDEO_2,
                None,
                FAN_B,
                &format!("new {i}"),
                ago(140 - i),
            )
        })
        .collect();
    clear_log(&fake);
    let second = read(&mut creds, first.cursor.as_deref()).await.unwrap();
    assert_eq!(ids(&second.messages), new);
    let listed = calls(&fake, "GET", "/youtube/v3/commentThreads");
    let tokens: Vec<Option<&str>> = listed
        .iter()
        .map(|c| c.query.get("pageToken").map(String::as_str))
        .collect();
    assert_eq!(tokens, [None, Some("p-100")]);

    // YouTube lists a comment late (held for review, then published): older than the newest
    // seen, but within the quarter of an hour looked at again, it is read, once.
    let late = add(&fake, VIDEO_2, None, FAN_C, "en retard", ago(20));
    let third = read(&mut creds, second.cursor.as_deref()).await.unwrap();
    assert_eq!(ids(&third.messages), [late]);
    // Another at the very second of the newest seen: read too; the newest itself is not.
    let newest_at = published(&fake, &new[129]);
    let same_second = add(&fake, VIDEO_2, None, FAN_C, "même seconde", newest_at);
    let fourth = read(&mut creds, third.cursor.as_deref()).await.unwrap();
    assert_eq!(ids(&fourth.messages), [same_second]);
    let fifth = read(&mut creds, fourth.cursor.as_deref()).await.unwrap();
    assert!(fifth.messages.is_empty(), "{:?}", ids(&fifth.messages));

    // A cursor that cannot be read is dropped: the newest page again.
    let restart = read(&mut creds, Some("not a cursor")).await.unwrap();
    assert_eq!(restart.messages.len(), 100);
    assert!(restart.cursor.is_some());
}

#[tokio::test]
async fn replies_a_thread_left_out_come_from_comments_list() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    {
        let mut f = fake.lock().unwrap();
        f.included_replies = 2;
        f.page_cap = 3;
    }
    let busy = add(&fake, VIDEO_1, None, FAN_A, "Question", ago(100));
    let answers: Vec<String> = (0..7)
        .map(|i| {
            add(
                &fake,
                VIDEO_1,
                Some(&busy),
                FAN_B,
                &format!("r{i}"),
                ago(99 - i),
            )
        })
        .collect();
    add(&fake, VIDEO_1, Some(&busy), CHANNEL, "Merci", ago(90));
    let quiet = add(&fake, VIDEO_2, None, FAN_C, "Calme", ago(80));
    let quiet_reply = add(&fake, VIDEO_2, Some(&quiet), FAN_A, "Oui", ago(79));

    let page = read(&mut creds, None).await.unwrap();
    let mut want = vec![busy.clone()];
    want.extend(answers.iter().cloned());
    want.extend([quiet.clone(), quiet_reply]);
    assert_eq!(ids(&page.messages), want);
    // The busy thread's replies, three a page; none for the thread whose replies all came.
    let fetched = calls(&fake, "GET", "/youtube/v3/comments");
    assert_eq!(fetched.len(), 3, "{fetched:?}");
    for (call, token) in fetched.iter().zip([None, Some("p-3"), Some("p-6")]) {
        assert_eq!(call.query.get("parentId"), Some(&busy));
        assert_eq!(call.query.get("part").map(String::as_str), Some("snippet"));
        assert_eq!(
            call.query.get("textFormat").map(String::as_str),
            Some("plainText")
        );
        assert_eq!(call.query.get("pageToken").map(String::as_str), token);
    }

    // Nothing new: the replies are not asked for again (each call costs quota).
    clear_log(&fake);
    let again = read(&mut creds, page.cursor.as_deref()).await.unwrap();
    assert!(again.messages.is_empty());
    assert!(calls(&fake, "GET", "/youtube/v3/comments").is_empty());

    // A new reply under the old thread: seen among those included, asked once, read once.
    let newer = add(&fake, VIDEO_1, Some(&busy), FAN_C, "Et moi ?", ago(1));
    let next = read(&mut creds, again.cursor.as_deref()).await.unwrap();
    assert_eq!(ids(&next.messages), [newer]);
    assert_eq!(next.messages[0].parent.as_ref().map(|p| &p.id), Some(&busy));
}

#[tokio::test]
async fn comments_turned_off_are_skipped_clearly() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    fake.lock().unwrap().included_replies = 1;
    let closed = add(&fake, VIDEO_2, None, FAN_A, "Fermé ?", ago(50));
    add(&fake, VIDEO_2, Some(&closed), FAN_B, "r1", ago(49));
    let shown = add(&fake, VIDEO_2, Some(&closed), FAN_C, "r2", ago(48));
    let open = add(&fake, VIDEO_1, None, FAN_B, "Ouvert", ago(47));
    fake.lock().unwrap().disabled_videos.insert(VIDEO_2.into());
    // The video's comments were turned off after the listing: the replies the thread
    // included are kept, the rest cannot be read, and the other threads are read.
    let page = read(&mut creds, None).await.unwrap();
    assert_eq!(ids(&page.messages), [closed, shown, open]);
    assert_eq!(calls(&fake, "GET", "/youtube/v3/comments").len(), 1);

    // The whole channel's comments off: nothing to read, no failure, the cursor kept.
    fake.lock().unwrap().channel_comments_disabled = true;
    let cursor = page.cursor.unwrap();
    let off = read(&mut creds, Some(&cursor)).await.unwrap();
    assert!(off.messages.is_empty());
    assert_eq!(off.cursor.as_deref(), Some(cursor.as_str()));
}

#[tokio::test]
async fn an_expired_token_is_renewed_and_a_revoked_one_asks_to_connect_again() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let a = add(&fake, VIDEO_1, None, FAN_A, "Salut", ago(5));
    fake.lock().unwrap().access_token = "at-expired".into();
    let page = read(&mut creds, None).await.unwrap();
    assert_eq!(ids(&page.messages), std::slice::from_ref(&a));
    assert!(creds.changed);
    assert_eq!(creds.secret("access_token"), Some("at-1"));
    assert_eq!(creds.secret("refresh_token"), Some("rt-0"));
    // Acting renews it too.
    fake.lock().unwrap().access_token = "at-expired-again".into();
    act(
        &mut creds,
        Interaction::Hide {
            message: PostRef {
                id: a.clone(),
                ..PostRef::default()
            },
        },
    )
    .await
    .unwrap();
    assert_eq!(creds.secret("access_token"), Some("at-2"));

    // The person revoked Relais's access: the refresh is refused.
    {
        let mut f = fake.lock().unwrap();
        f.access_token = "at-revoked".into();
        f.refuse_refresh = true;
    }
    let err = read(&mut creds, page.cursor.as_deref()).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("connect the channel again")
            && m.contains("invalid_grant")),
        "{err}"
    );
}

#[tokio::test]
async fn quota_failures_and_garbled_answers() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    creds.set_secret("channel_id", CHANNEL.into());
    creds.set_secret("uploads_playlist", UPLOADS.into());
    let threads = "/youtube/v3/commentThreads";

    // The project's daily quota is spent: wait until it is reset, Pacific midnight.
    inject(
        &fake,
        "GET",
        threads,
        403,
        &google_body(
            403,
            "quotaExceeded",
            "The request cannot be completed because you have exceeded your \
             <a href=\"/youtube/v3/getting-started#quota\">quota</a>.",
        ),
    );
    match read(&mut creds, None).await.unwrap_err() {
        NetworkError::RateLimited {
            retry_after: Some(wait),
        } => assert!(wait <= Duration::from_secs(24 * 3600), "{wait:?}"),
        other => panic!("{other}"),
    }
    // Too fast: YouTube's wait.
    push_injected(
        &mut fake.lock().unwrap().inject,
        "GET",
        threads,
        429,
        vec![("retry-after", "7".into())],
        &google_body(429, "rateLimitExceeded", "Too many requests."),
    );
    assert_eq!(
        read(&mut creds, None).await.unwrap_err(),
        NetworkError::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        }
    );
    // A 200 that is not JSON, or not a page.
    inject(&fake, "GET", threads, 200, r#"{"items": [{"id": "Ugz"#);
    let err = read(&mut creds, None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("not JSON")),
        "{err}"
    );
    inject(&fake, "GET", threads, 200, "[1, 2]");
    assert!(matches!(
        read(&mut creds, None).await.unwrap_err(),
        NetworkError::Transient(_)
    ));
    // A server fault: worth another try.
    inject(&fake, "GET", threads, 503, "<html>Unavailable</html>");
    assert!(matches!(
        read(&mut creds, None).await.unwrap_err(),
        NetworkError::Transient(ref m) if m.contains("503")
    ));
    // The quota runs out while reading a thread's replies: the read fails as a whole (its
    // cursor does not move) and says to wait.
    fake.lock().unwrap().included_replies = 0;
    let a = add(&fake, VIDEO_1, None, FAN_A, "Q", ago(10));
    add(&fake, VIDEO_1, Some(&a), FAN_B, "R", ago(9));
    inject(
        &fake,
        "GET",
        "/youtube/v3/comments",
        403,
        &google_body(403, "quotaExceeded", "quota"),
    );
    assert!(matches!(
        read(&mut creds, None).await.unwrap_err(),
        NetworkError::RateLimited { .. }
    ));
    // Items YouTube garbled are left out; the rest is read.
    inject(
        &fake,
        "GET",
        threads,
        200,
        &json!({ "items": [null, 3, { "id": "x" }, { "snippet": { "topLevelComment": {} } }] })
            .to_string(),
    );
    assert!(read(&mut creds, None).await.unwrap().messages.is_empty());
    assert_eq!(read(&mut creds, None).await.unwrap().messages.len(), 2);
    assert!(fake.lock().unwrap().inject.is_empty());
}

#[tokio::test]
async fn replies_from_the_inbox_go_under_the_fans_comment() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let a = add(&fake, VIDEO_1, None, FAN_A, "Une question", ago(30));
    let b = add(&fake, VIDEO_1, Some(&a), FAN_B, "Moi aussi", ago(29));
    let page = read(&mut creds, None).await.unwrap();
    assert_eq!(ids(&page.messages), [a.clone(), b]);
    // What the inbox worker does: the fan's message is the parent, its root the root.
    let target = |m: &IncomingMessage| {
        let root = m.root.clone().unwrap();
        ReplyTarget {
            parent: PublishedPost {
                id: m.network_id.clone(),
                version: m.version.clone(),
                url: m.url.clone().unwrap_or_default(),
            },
            root: PublishedPost {
                id: root.id,
                version: root.version,
                url: root.url.unwrap_or_default(),
            },
        }
    };
    let answer = |text: &str, to: &IncomingMessage| OutgoingPost {
        text: text.into(),
        media: vec![],
        reply_to: Some(target(to)),
        langs: vec!["fr".into()],
        idempotency_key: format!("key-{text}"),
        created_at_ms: Utc::now().timestamp_millis(),
    };
    let yt = YouTube::new(http());
    let to_a = yt
        .publish(&mut creds, &answer("Voici la réponse", &page.messages[0]))
        .await
        .unwrap();
    // A reply to the fan's reply goes under the same top-level comment: YouTube nests once.
    let to_b = yt
        .publish(&mut creds, &answer("Pour vous aussi", &page.messages[1]))
        .await
        .unwrap();
    assert!(to_a.id.starts_with(&format!("{a}.")) && to_b.id.starts_with(&format!("{a}.")));
    assert_eq!(
        to_b.url,
        format!("https://www.youtube.com/watch?v={VIDEO_1}&lc={}", to_b.id)
    );
    {
        let f = fake.lock().unwrap();
        let ours: Vec<(&str, Option<&str>)> = f
            .comments
            .iter()
            .filter(|c| c.author == CHANNEL)
            .map(|c| (c.text.as_str(), c.parent.as_deref()))
            .collect();
        assert_eq!(
            ours,
            [
                ("Voici la réponse", Some(a.as_str())),
                ("Pour vous aussi", Some(a.as_str()))
            ]
        );
    }
    assert!(
        calls(&fake, "POST", "/youtube/v3/comments")
            .iter()
            .all(|c| c.query.get("part").map(String::as_str) == Some("snippet"))
    );
    // Found again after a crash; the brand's replies are not read back as messages.
    let again = answer("Voici la réponse", &page.messages[0]);
    assert_eq!(
        yt.find_published(&mut creds, &again).await.unwrap(),
        Some(to_a)
    );
    let later = read(&mut creds, page.cursor.as_deref()).await.unwrap();
    assert!(later.messages.is_empty(), "{:?}", ids(&later.messages));

    // The fan deleted their comment meanwhile: refused for good, saying so.
    fake.lock()
        .unwrap()
        .comments
        .iter_mut()
        .find(|c| c.id == a)
        .unwrap()
        .deleted = true;
    let err = yt
        .publish(&mut creds, &answer("Trop tard", &page.messages[1]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("deleted")),
        "{err}"
    );
    // YouTube may say `processingFailure` for a parent it no longer shows.
    inject(
        &fake,
        "POST",
        "/youtube/v3/comments",
        400,
        &google_body(
            400,
            "processingFailure",
            "The API server failed to successfully process the request.",
        ),
    );
    let err = yt
        .publish(&mut creds, &answer("Encore", &page.messages[0]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("deleted")
            && m.contains("processingFailure")),
        "{err}"
    );
}

#[tokio::test]
async fn moderation_asks_set_moderation_status_as_documented() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let a = add(&fake, VIDEO_1, None, FAN_A, "Pub !", ago(30));
    let b = add(&fake, VIDEO_1, Some(&a), FAN_B, "Insulte", ago(29));
    let c = add(&fake, VIDEO_2, None, FAN_C, "Spam spam", ago(28));
    let page = read(&mut creds, None).await.unwrap();
    assert_eq!(page.messages.len(), 3);
    let msg = |id: &str| PostRef {
        id: id.into(),
        version: None,
        url: None,
    };
    let status_of = |id: &str| {
        fake.lock()
            .unwrap()
            .comments
            .iter()
            .find(|x| x.id == id)
            .unwrap()
            .status
            .clone()
    };
    let query_of_last = || {
        let log = calls(&fake, "POST", MODERATE);
        let mut q: Vec<(String, String)> = log.last().unwrap().query.clone().into_iter().collect();
        q.sort();
        q
    };
    let pairs = |p: &[(&str, &str)]| {
        let mut v: Vec<(String, String)> = p
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        v.sort();
        v
    };

    // Hide: held for review.
    act(&mut creds, Interaction::Hide { message: msg(&a) })
        .await
        .unwrap();
    assert_eq!(
        query_of_last(),
        pairs(&[("id", &a), ("moderationStatus", "heldForReview")])
    );
    assert_eq!(status_of(&a), "heldForReview");
    // Delete: rejected.
    act(&mut creds, Interaction::Delete { message: msg(&b) })
        .await
        .unwrap();
    assert_eq!(
        query_of_last(),
        pairs(&[("id", &b), ("moderationStatus", "rejected")])
    );
    assert_eq!(status_of(&b), "rejected");
    // Blocking with one of the author's comments: rejected, and the author banned.
    let blocked = Author {
        id: FAN_C.into(),
        ..Author::default()
    };
    act(
        &mut creds,
        Interaction::Block {
            author: blocked,
            message: Some(msg(&c)),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        query_of_last(),
        pairs(&[
            ("id", &c),
            ("moderationStatus", "rejected"),
            ("banAuthor", "true")
        ])
    );
    assert_eq!(fake.lock().unwrap().banned, [FAN_C]);
    // What was hidden or rejected is no longer listed.
    let after = read(&mut creds, None).await.unwrap();
    assert!(after.messages.is_empty(), "{:?}", ids(&after.messages));

    // What YouTube's API does not offer: a sentence, and no call.
    let moderations = calls(&fake, "POST", MODERATE).len();
    clear_log(&fake);
    let author = Author {
        id: FAN_A.into(),
        handle: "@fana".into(),
        ..Author::default()
    };
    for (interaction, says) in [
        (
            Interaction::Block {
                author: author.clone(),
                message: None,
            },
            "Hide user from channel",
        ),
        (
            Interaction::Report {
                message: msg(&a),
                author: author.clone(),
                reason: "spam".into(),
            },
            "report the comment on youtube.com",
        ),
        (Interaction::Like { message: msg(&a) }, "cannot like"),
        (Interaction::Repost { message: msg(&a) }, "no reposts"),
        (
            Interaction::Mute {
                author: author.clone(),
            },
            "no mute",
        ),
    ] {
        let name = interaction.name();
        match act(&mut creds, interaction).await {
            Err(NetworkError::Unsupported(m)) => assert!(m.contains(says), "{name}: {m}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    // A video is no comment: refused before any call.
    assert!(matches!(
        act(&mut creds, Interaction::Hide { message: msg(VIDEO_1) }).await,
        Err(NetworkError::Rejected(ref m)) if m.contains("video")
    ));
    assert!(
        fake.lock().unwrap().log.is_empty(),
        "{:?}",
        fake.lock().unwrap().log
    );
    assert!(moderations == 3);

    // Gone: deleting it is done already; hiding it says it is gone.
    fake.lock()
        .unwrap()
        .comments
        .iter_mut()
        .find(|x| x.id == a)
        .unwrap()
        .deleted = true;
    act(&mut creds, Interaction::Delete { message: msg(&a) })
        .await
        .unwrap();
    assert!(matches!(
        act(&mut creds, Interaction::Hide { message: msg(&a) }).await,
        Err(NetworkError::Rejected(ref m)) if m.contains("gone")
    ));
    // A comment on another channel's video.
    inject(
        &fake,
        "POST",
        MODERATE,
        403,
        &google_body(403, "forbidden", "The comment could not be moderated."),
    );
    assert!(matches!(
        act(&mut creds, Interaction::Hide { message: msg(&c) }).await,
        Err(NetworkError::Rejected(ref m)) if m.contains("own videos")
    ));
    // Never the withdrawn spam report.
    assert!(calls(&fake, "POST", "/youtube/v3/comments/markAsSpam").is_empty());
}

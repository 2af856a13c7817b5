//! The YouTube connector against a small stateful fake of the YouTube Data API v3 and Google's
//! OAuth token endpoint, written from Google's documentation:
//!
//! - the resumable upload protocol: `POST /upload/youtube/v3/videos?uploadType=resumable&part=…`
//!   with the video resource and `X-Upload-Content-Length`/`-Type`, answered with a session in
//!   `Location`; `PUT`s of chunks (multiples of 256 KiB but the last) with `Content-Range`,
//!   answered `308` with `Range: bytes=0-n` (none while nothing arrived), the last with the
//!   video; `PUT` with `bytes */total` to ask where an upload stands; 404 for an expired
//!   session; and faults on demand: a chunk partly kept then a 5xx, a chunk kept whose answer
//!   comes too late for the client, a session that expires, a token that expires mid-upload;
//! - the checks YouTube makes on the metadata (title ≤ 100 characters and description ≤ 5,000
//!   bytes, neither with `<` or `>`, privacy status, category);
//! - `channels` (`mine=true`), `playlistItems` of the uploads playlist (newest first, 50 a
//!   page), `videos` (list with `snippet`/`statistics` as strings, delete), `commentThreads`
//!   (insert, list by video newest first or by id) and `comments` (insert a reply under a
//!   top-level comment, `404 commentNotFound` when it is gone; list by `parentId` or by id;
//!   delete);
//! - Google's error bodies (`{"error": {"code", "message", "errors": [{"reason"}]}}`), bearer
//!   tokens, and a token endpoint that checks `client_id`/`client_secret` in the form and PKCE,
//!   does not rotate refresh tokens and answers `invalid_grant` for a refused one.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{self, get};
use base64::Engine;
use chrono::{DateTime, Utc};
use common::{Injected, push_injected, reply, take_injected};
use relais_networks::oauth::{OAuthApp, OAuthFlow};
use relais_networks::youtube::{CHUNK_UNIT, YouTube, YouTubeFlow, oauth};
use relais_networks::{
    Connector, Credentials, MediaFile, NetworkError, OutgoingPost, PublishedPost,
};
use relais_outbound::{HttpClient, OutboundConfig};
use relais_testkit::mock_http::MockHttp;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const CHANNEL_ID: &str = "UCrelais00000000000000aa";
const UPLOADS: &str = "UUrelais00000000000000aa";
const CHANNEL_TITLE: &str = "Relais TV";
const CLIENT_ID: &str = "1234-relais.apps.googleusercontent.com";
const CLIENT_SECRET: &str = "GOCSPX-relais";
const UPLOAD_SCOPE: &str = "https://www.googleapis.com/auth/youtube.upload";
const MANAGE_SCOPE: &str = "https://www.googleapis.com/auth/youtube.force-ssl";

struct Video {
    id: String,
    title: String,
    description: String,
    tags: Vec<String>,
    category: String,
    privacy: String,
    made_for_kids: Option<bool>,
    language: Option<String>,
    mime: String,
    bytes: Vec<u8>,
    published_at: DateTime<Utc>,
    deleted: bool,
    /// views, likes, comments.
    stats: [u64; 3],
}

struct Comment {
    id: String,
    video: String,
    author: String,
    text: String,
    published_at: DateTime<Utc>,
    likes: u64,
    replies: u64,
    deleted: bool,
    /// The top-level comment a reply is under; `None` for a top-level comment.
    parent: Option<String>,
}

struct Session {
    metadata: Value,
    total: usize,
    mime: String,
    received: Vec<u8>,
    expired: bool,
    video: Option<String>,
}

/// What the next `PUT` to an upload session meets.
enum Fault {
    /// Nothing goes wrong.
    Pass,
    /// The first `keep` bytes of the chunk are kept (finishing the video if that completes
    /// it), then this status is the answer.
    Fail {
        keep: usize,
        status: u16,
    },
    /// The whole chunk is kept; the answer comes after this long.
    Stall(Duration),
    /// The session has expired.
    Expire,
    /// The access token expires now: 401.
    /// The chunk goes through, and the 308 gives the session a new address in `Location` (a
    /// client that took it for a redirect would send the chunk again there).
    Move,
    Revoke,
}

struct Fake {
    access_token: String,
    refresh_token: String,
    refuse_refresh: bool,
    /// Authorization codes: code → (challenge, redirect_uri).
    codes: HashMap<String, (String, String)>,
    /// The scopes the token endpoint says it granted.
    granted: String,
    issued: u32,
    /// The Google account has no channel.
    no_channel: bool,
    comments_disabled: bool,
    /// `GET /channels` answers after this long.
    slow_channels: Option<Duration>,
    next_id: u64,
    videos: Vec<Video>,
    comments: Vec<Comment>,
    sessions: HashMap<String, Session>,
    faults: VecDeque<Fault>,
    inject: VecDeque<Injected>,
    /// `METHOD path` of every request that passed the gate, in order, with the
    /// `Content-Range` of upload `PUT`s.
    log: Vec<String>,
}

impl Default for Fake {
    fn default() -> Self {
        Self {
            access_token: "at-0".into(),
            refresh_token: "rt-0".into(),
            refuse_refresh: false,
            codes: HashMap::new(),
            granted: format!("{UPLOAD_SCOPE} {MANAGE_SCOPE}"),
            issued: 0,
            no_channel: false,
            comments_disabled: false,
            slow_channels: None,
            next_id: 0,
            videos: Vec::new(),
            comments: Vec::new(),
            sessions: HashMap::new(),
            faults: VecDeque::new(),
            inject: VecDeque::new(),
            log: Vec::new(),
        }
    }
}

impl Fake {
    fn next(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn live_video(&self, id: &str) -> Option<&Video> {
        self.videos.iter().find(|v| v.id == id && !v.deleted)
    }

    fn video_json(v: &Video, parts: &[&str]) -> Value {
        let mut j = json!({ "kind": "youtube#video", "etag": "e", "id": v.id });
        for part in parts {
            match *part {
                "snippet" => {
                    let mut snippet = json!({
                        "publishedAt": v.published_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        "channelId": CHANNEL_ID,
                        "title": v.title,
                        "description": v.description,
                        "channelTitle": CHANNEL_TITLE,
                        "categoryId": v.category,
                        "liveBroadcastContent": "none",
                    });
                    if !v.tags.is_empty() {
                        snippet["tags"] = json!(v.tags);
                    }
                    if let Some(l) = &v.language {
                        snippet["defaultLanguage"] = json!(l);
                    }
                    j["snippet"] = snippet;
                }
                "status" => {
                    j["status"] = json!({ "uploadStatus": "uploaded", "privacyStatus": v.privacy })
                }
                "statistics" => {
                    let [views, likes, comments] = v.stats;
                    j["statistics"] = json!({
                        "viewCount": views.to_string(), "likeCount": likes.to_string(),
                        "favoriteCount": "0", "commentCount": comments.to_string()
                    });
                }
                _ => {}
            }
        }
        j
    }

    fn thread_json(c: &Comment) -> Value {
        let at = c
            .published_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        json!({
            "kind": "youtube#commentThread", "etag": "e", "id": c.id,
            "snippet": {
                "channelId": CHANNEL_ID, "videoId": c.video, "canReply": true,
                "totalReplyCount": c.replies, "isPublic": true,
                "topLevelComment": {
                    "kind": "youtube#comment", "etag": "e", "id": c.id,
                    "snippet": {
                        "channelId": CHANNEL_ID, "videoId": c.video,
                        "textDisplay": c.text, "textOriginal": c.text,
                        "authorDisplayName": "someone",
                        "authorChannelId": { "value": c.author },
                        "canRate": true, "viewerRating": "none", "likeCount": c.likes,
                        "publishedAt": at, "updatedAt": at
                    }
                }
            }
        })
    }

    /// A reply as `comments.insert` and `comments.list` give it.
    fn comment_json(c: &Comment) -> Value {
        let at = c
            .published_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        json!({
            "kind": "youtube#comment", "etag": "e", "id": c.id,
            "snippet": {
                "channelId": CHANNEL_ID, "parentId": c.parent,
                "textDisplay": c.text, "textOriginal": c.text,
                "authorDisplayName": "someone",
                "authorChannelId": { "value": c.author },
                "canRate": true, "viewerRating": "none", "likeCount": c.likes,
                "publishedAt": at, "updatedAt": at
            }
        })
    }

    /// The video an upload session makes once complete.
    fn finish(&mut self, upload_id: &str) -> String {
        let n = self.next();
        let id = format!("vid{n:08}");
        let s = self.sessions.get_mut(upload_id).unwrap();
        s.video = Some(id.clone());
        let m = s.metadata.clone();
        let (mime, bytes) = (s.mime.clone(), s.received.clone());
        let snippet = &m["snippet"];
        self.videos.push(Video {
            id: id.clone(),
            title: snippet["title"].as_str().unwrap().to_owned(),
            description: snippet["description"].as_str().unwrap_or("").to_owned(),
            tags: snippet["tags"]
                .as_array()
                .map(|t| t.iter().map(|t| t.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default(),
            category: snippet["categoryId"].as_str().unwrap_or("22").to_owned(),
            privacy: m["status"]["privacyStatus"].as_str().unwrap().to_owned(),
            made_for_kids: m["status"]["selfDeclaredMadeForKids"].as_bool(),
            language: snippet["defaultLanguage"].as_str().map(str::to_owned),
            mime,
            bytes,
            published_at: Utc::now(),
            deleted: false,
            stats: [0; 3],
        });
        id
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

fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({ "error": error, "error_description": description })),
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
        let mut r = google_error(
            401,
            "authError",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, \
             login cookie or other valid authentication credential.",
        );
        r.headers_mut().insert(
            "www-authenticate",
            "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\""
                .parse()
                .unwrap(),
        );
        return Some(r);
    }
    fake.log.push(format!("{method} {path}"));
    None
}

/// The `part` parameter's list, or YouTube's answer when it is missing.
fn parts_of(q: &HashMap<String, String>) -> Result<Vec<String>, Box<Response>> {
    let parts: Vec<String> = q
        .get("part")
        .map(|p| p.split(',').map(|s| s.trim().to_owned()).collect())
        .unwrap_or_default();
    if parts.is_empty() {
        return Err(Box::new(google_error(
            400,
            "missingRequiredParameter",
            "No filter selected. Expected one of: part",
        )));
    }
    Ok(parts)
}

async fn token(State(s): State<Shared>, Form(f): Form<HashMap<String, String>>) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = take_injected(&mut fake.inject, "POST", "/token") {
        return r;
    }
    if f.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || f.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET)
    {
        return oauth_error(401, "invalid_client", "The OAuth client was not found.");
    }
    let issue = |fake: &mut Fake, with_refresh: bool| {
        fake.issued += 1;
        fake.access_token = format!("at-{}", fake.issued);
        let mut body = json!({
            "access_token": fake.access_token, "expires_in": 3599,
            "scope": fake.granted, "token_type": "Bearer"
        });
        if with_refresh {
            fake.refresh_token = format!("rt-{}", fake.issued);
            body["refresh_token"] = json!(fake.refresh_token);
        }
        axum::Json(body).into_response()
    };
    match f.get("grant_type").map(String::as_str) {
        Some("refresh_token") => {
            if fake.refuse_refresh
                || f.get("refresh_token").map(String::as_str) != Some(fake.refresh_token.as_str())
            {
                return oauth_error(400, "invalid_grant", "Token has been expired or revoked.");
            }
            // Google does not rotate refresh tokens.
            issue(&mut fake, false)
        }
        Some("authorization_code") => {
            let code = f.get("code").cloned().unwrap_or_default();
            let Some((challenge, redirect)) = fake.codes.remove(&code) else {
                return oauth_error(400, "invalid_grant", "Malformed auth code.");
            };
            let verifier = f.get("code_verifier").cloned().unwrap_or_default();
            let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(Sha256::digest(verifier.as_bytes()));
            if computed != challenge {
                return oauth_error(400, "invalid_grant", "Invalid code verifier.");
            }
            if f.get("redirect_uri") != Some(&redirect) {
                return oauth_error(400, "redirect_uri_mismatch", "Bad Request");
            }
            issue(&mut fake, true)
        }
        _ => oauth_error(400, "unsupported_grant_type", "Invalid grant_type: "),
    }
}

async fn channels(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let slow = {
        let mut fake = s.lock().unwrap();
        if let Some(r) = gate(&mut fake, "GET", "/youtube/v3/channels", &headers) {
            return r;
        }
        fake.slow_channels.take()
    };
    if let Some(d) = slow {
        tokio::time::sleep(d).await;
    }
    let fake = s.lock().unwrap();
    let parts = match parts_of(&q) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    if q.get("mine").map(String::as_str) != Some("true") {
        return google_error(400, "missingRequiredParameter", "No filter selected.");
    }
    if fake.no_channel {
        return axum::Json(json!({ "kind": "youtube#channelListResponse",
                                  "pageInfo": { "totalResults": 0, "resultsPerPage": 5 } }))
        .into_response();
    }
    let mut channel = json!({ "kind": "youtube#channel", "etag": "e", "id": CHANNEL_ID });
    for part in &parts {
        match part.as_str() {
            "snippet" => {
                channel["snippet"] = json!({ "title": CHANNEL_TITLE, "description": "",
                                             "customUrl": "@relaistv",
                                             "publishedAt": "2020-01-01T00:00:00Z" })
            }
            "contentDetails" => {
                channel["contentDetails"] =
                    json!({ "relatedPlaylists": { "likes": "", "uploads": UPLOADS } })
            }
            "id" | "statistics" => {}
            other => {
                return google_error(400, "unknownPart", &format!("'{other}'"));
            }
        }
    }
    axum::Json(json!({ "kind": "youtube#channelListResponse",
                       "pageInfo": { "totalResults": 1, "resultsPerPage": 5 },
                       "items": [channel] }))
    .into_response()
}

async fn start_upload(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "POST", "/upload/youtube/v3/videos", &headers) {
        return r;
    }
    if q.get("uploadType").map(String::as_str) != Some("resumable") {
        return google_error(400, "invalidUploadType", "Invalid upload type.");
    }
    let parts = match parts_of(&q) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let header = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !header("content-type").starts_with("application/json") {
        return google_error(400, "badContent", "Unsupported content with type");
    }
    let Ok(total) = header("x-upload-content-length").parse::<usize>() else {
        return google_error(400, "badRequest", "X-Upload-Content-Length is required.");
    };
    let mime = header("x-upload-content-type").to_owned();
    if !(mime.starts_with("video/") || mime == "application/octet-stream") {
        return google_error(400, "invalidVideoMetadata", "Unsupported media type.");
    }
    let Ok(m) = serde_json::from_slice::<Value>(&body) else {
        return google_error(400, "parseError", "Parse Error");
    };
    for needed in ["snippet", "status"] {
        if m.get(needed).is_some() && !parts.iter().any(|p| p == needed) {
            return google_error(
                400,
                "unexpectedPart",
                &format!("The part {needed} is not in the part parameter."),
            );
        }
    }
    let snippet = &m["snippet"];
    let title = snippet["title"].as_str().unwrap_or("");
    if title.trim().is_empty() || title.chars().count() > 100 || title.contains(['<', '>']) {
        return google_error(
            400,
            "invalidTitle",
            "The request metadata specifies an invalid video title.",
        );
    }
    let description = snippet["description"].as_str().unwrap_or("");
    if description.len() > 5000 || description.contains(['<', '>']) {
        return google_error(
            400,
            "invalidDescription",
            "The request metadata specifies an invalid video description.",
        );
    }
    if !snippet["categoryId"]
        .as_str()
        .is_some_and(|c| ["1", "10", "22", "24"].contains(&c))
    {
        return google_error(
            400,
            "invalidCategoryId",
            "The snippet.categoryId property specifies an invalid category ID.",
        );
    }
    let tags_len: usize = snippet["tags"]
        .as_array()
        .map(|t| t.iter().map(|t| t.as_str().unwrap_or("").len()).sum())
        .unwrap_or(0);
    if tags_len > 500 {
        return google_error(
            400,
            "invalidTags",
            "The request metadata specifies invalid video keywords.",
        );
    }
    if !m["status"]["privacyStatus"]
        .as_str()
        .is_some_and(|p| ["public", "unlisted", "private"].contains(&p))
    {
        return google_error(
            400,
            "invalidVideoMetadata",
            "The request metadata is invalid.",
        );
    }
    let upload_id = format!("sess-{}", fake.next());
    fake.sessions.insert(
        upload_id.clone(),
        Session {
            metadata: m,
            total,
            mime,
            received: Vec::new(),
            expired: false,
            video: None,
        },
    );
    let location = format!(
        "http://{}/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status&upload_id={upload_id}",
        header("host")
    );
    let mut r = StatusCode::OK.into_response();
    r.headers_mut()
        .insert("location", location.parse().unwrap());
    r
}

fn resume_incomplete(received: usize) -> Response {
    let mut r = Response::new(axum::body::Body::empty());
    *r.status_mut() = StatusCode::PERMANENT_REDIRECT;
    if received > 0 {
        r.headers_mut().insert(
            "range",
            format!("bytes=0-{}", received - 1).parse().unwrap(),
        );
    }
    r
}

/// A `PUT` to an upload session.
async fn put_upload(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (answer, stall) = put_upload_now(&s, &q, &headers, &body);
    if let Some(d) = stall {
        tokio::time::sleep(d).await;
    }
    answer
}

fn put_upload_now(
    s: &Shared,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &[u8],
) -> (Response, Option<Duration>) {
    let mut fake = s.lock().unwrap();
    let id = q.get("upload_id").cloned().unwrap_or_default();
    let range = headers
        .get("content-range")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    match fake.sessions.get(&id) {
        Some(session) if !session.expired => {}
        _ => return (google_error(404, "notFound", "Not Found"), None),
    }
    if let Some(r) = gate(&mut fake, "PUT", "/upload/youtube/v3/videos", headers) {
        return (r, None);
    }
    let last = fake.log.last_mut().unwrap();
    last.push(' ');
    last.push_str(&range);
    if q.contains_key("moved") {
        last.push_str(" (moved)");
    }
    let fault = fake.faults.pop_front();
    let session = fake.sessions.get_mut(&id).unwrap();
    let total = session.total;
    let bad_range = || google_error(400, "badRequest", "Invalid Content-Range header.");
    let Some(spec) = range.strip_prefix("bytes ") else {
        return (bad_range(), None);
    };
    let Some((span, of)) = spec.split_once('/') else {
        return (bad_range(), None);
    };
    if of.parse::<usize>().ok() != Some(total) {
        return (bad_range(), None);
    }
    // Where does the upload stand?
    if span == "*" {
        if !body.is_empty() {
            return (bad_range(), None);
        }
        if let Some(Fault::Fail { status, .. }) = fault {
            return (google_error(status, "backendError", "Backend Error"), None);
        }
        let received = session.received.len();
        return match session.video.clone() {
            Some(v) => {
                let video = Fake::video_json(fake.live_video(&v).unwrap(), &["snippet", "status"]);
                (axum::Json(video).into_response(), None)
            }
            None => (resume_incomplete(received), None),
        };
    }
    let Some((from, to)) = span.split_once('-') else {
        return (bad_range(), None);
    };
    let (Ok(from), Ok(to)) = (from.parse::<usize>(), to.parse::<usize>()) else {
        return (bad_range(), None);
    };
    let is_last = to + 1 == total;
    if from != session.received.len()
        || to < from
        || to >= total
        || body.len() != to - from + 1
        || (!is_last && !body.len().is_multiple_of(CHUNK_UNIT))
    {
        return (bad_range(), None);
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some(session.mime.as_str()) {
        return (google_error(400, "badContent", "Wrong media type."), None);
    }
    let keep = match &fault {
        Some(Fault::Fail { keep, .. }) => (*keep).min(body.len()),
        Some(Fault::Expire | Fault::Revoke) => 0,
        Some(Fault::Stall(_) | Fault::Pass | Fault::Move) | None => body.len(),
    };
    match fault {
        Some(Fault::Expire) => {
            session.expired = true;
            return (google_error(404, "notFound", "Not Found"), None);
        }
        Some(Fault::Revoke) => {
            fake.access_token = "at-expired".into();
            return (google_error(401, "authError", "Invalid Credentials"), None);
        }
        _ => {}
    }
    session.received.extend_from_slice(&body[..keep]);
    let received = session.received.len();
    let complete = received == total;
    let video = complete.then(|| fake.finish(&id));
    match fault {
        Some(Fault::Fail { status, .. }) => {
            (google_error(status, "backendError", "Backend Error"), None)
        }
        other => {
            let stall = match other {
                Some(Fault::Stall(d)) => Some(d),
                _ => None,
            };
            let moved = matches!(other, Some(Fault::Move));
            let answer = match video {
                Some(v) => {
                    let video =
                        Fake::video_json(fake.live_video(&v).unwrap(), &["snippet", "status"]);
                    (StatusCode::CREATED, axum::Json(video)).into_response()
                }
                None => {
                    let mut r = resume_incomplete(received);
                    if moved {
                        let to = format!("/upload/youtube/v3/videos?upload_id={id}&moved=1");
                        r.headers_mut().insert("location", to.parse().unwrap());
                    }
                    r
                }
            };
            (answer, stall)
        }
    }
}

async fn playlist_items(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "GET", "/youtube/v3/playlistItems", &headers) {
        return r;
    }
    let parts = match parts_of(&q) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    if q.get("playlistId").map(String::as_str) != Some(UPLOADS) {
        return google_error(
            404,
            "playlistNotFound",
            "The playlist identified with the request's playlistId parameter cannot be found.",
        );
    }
    let max: usize = match q.get("maxResults").map(|m| m.parse()) {
        None => 5,
        Some(Ok(m)) if m <= 50 => m,
        _ => return google_error(400, "invalidParameter", "Invalid value for maxResults"),
    };
    let offset: usize = q
        .get("pageToken")
        .and_then(|t| t.strip_prefix("p-"))
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let mut all: Vec<&Video> = fake.videos.iter().filter(|v| !v.deleted).collect();
    all.sort_by_key(|v| std::cmp::Reverse(v.published_at));
    let items: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(max)
        .map(|v| {
            let mut item = json!({ "kind": "youtube#playlistItem", "etag": "e",
                                   "id": format!("item-{}", v.id) });
            if parts.iter().any(|p| p == "snippet") {
                item["snippet"] = json!({
                    "publishedAt": v.published_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    "channelId": CHANNEL_ID, "title": v.title, "description": v.description,
                    "channelTitle": CHANNEL_TITLE, "playlistId": UPLOADS,
                    "resourceId": { "kind": "youtube#video", "videoId": v.id }
                });
            }
            item
        })
        .collect();
    let mut page = json!({ "kind": "youtube#playlistItemListResponse", "items": items,
                           "pageInfo": { "totalResults": all.len(), "resultsPerPage": max } });
    if offset + max < all.len() {
        page["nextPageToken"] = json!(format!("p-{}", offset + max));
    }
    axum::Json(page).into_response()
}

async fn list_videos(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "GET", "/youtube/v3/videos", &headers) {
        return r;
    }
    let parts = match parts_of(&q) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let ids: Vec<&str> = q
        .get("id")
        .map(|i| i.split(',').collect())
        .unwrap_or_default();
    if ids.is_empty() || ids.len() > 50 {
        return google_error(400, "invalidParameter", "id");
    }
    let items: Vec<Value> = ids
        .iter()
        .filter_map(|id| fake.live_video(id))
        .map(|v| Fake::video_json(v, &parts))
        .collect();
    axum::Json(json!({ "kind": "youtube#videoListResponse", "items": items,
                       "pageInfo": { "totalResults": items.len(), "resultsPerPage": items.len() } }))
    .into_response()
}

async fn delete_video(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "DELETE", "/youtube/v3/videos", &headers) {
        return r;
    }
    let id = q.get("id").cloned().unwrap_or_default();
    match fake.videos.iter_mut().find(|v| v.id == id && !v.deleted) {
        Some(v) => {
            v.deleted = true;
            StatusCode::NO_CONTENT.into_response()
        }
        None => google_error(
            404,
            "videoNotFound",
            "The video identified by the id parameter could not be found.",
        ),
    }
}

async fn insert_thread(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "POST", "/youtube/v3/commentThreads", &headers) {
        return r;
    }
    if !parts_of(&q).is_ok_and(|p| p.iter().any(|p| p == "snippet")) {
        return google_error(400, "missingRequiredParameter", "part");
    }
    let Ok(b) = serde_json::from_slice::<Value>(&body) else {
        return google_error(400, "parseError", "Parse Error");
    };
    let video = b["snippet"]["videoId"].as_str().unwrap_or("").to_owned();
    let text = b["snippet"]["topLevelComment"]["snippet"]["textOriginal"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    if fake.live_video(&video).is_none() {
        return google_error(
            404,
            "videoNotFound",
            "The video identified by the videoId parameter could not be found.",
        );
    }
    if fake.comments_disabled {
        return google_error(
            403,
            "commentsDisabled",
            "The video identified by the videoId parameter has disabled comments.",
        );
    }
    if text.trim().is_empty() {
        return google_error(
            400,
            "commentTextRequired",
            "The comment resource being inserted must specify a value for the snippet.topLevelComment.snippet.textOriginal property.",
        );
    }
    let n = fake.next();
    let comment = Comment {
        id: format!("Ugz{n:023}"),
        video,
        author: CHANNEL_ID.into(),
        text,
        published_at: Utc::now(),
        likes: 0,
        replies: 0,
        deleted: false,
        parent: None,
    };
    let answer = Fake::thread_json(&comment);
    fake.comments.push(comment);
    axum::Json(answer).into_response()
}

async fn list_threads(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "GET", "/youtube/v3/commentThreads", &headers) {
        return r;
    }
    if !parts_of(&q).is_ok_and(|p| p.iter().any(|p| p == "snippet")) {
        return google_error(400, "missingRequiredParameter", "part");
    }
    let mut found: Vec<&Comment> = match (q.get("id"), q.get("videoId")) {
        (Some(ids), None) => {
            let ids: Vec<&str> = ids.split(',').collect();
            fake.comments
                .iter()
                .filter(|c| !c.deleted && c.parent.is_none() && ids.contains(&c.id.as_str()))
                .collect()
        }
        (None, Some(video)) => {
            if fake.live_video(video).is_none() {
                return google_error(404, "videoNotFound", "The video could not be found.");
            }
            if fake.comments_disabled {
                return google_error(403, "commentsDisabled", "The video has disabled comments.");
            }
            fake.comments
                .iter()
                .filter(|c| !c.deleted && c.parent.is_none() && &c.video == video)
                .collect()
        }
        _ => return google_error(400, "incompatibleParameters", "id and videoId"),
    };
    found.sort_by_key(|c| std::cmp::Reverse(c.published_at));
    let max: usize = match q.get("maxResults").map(|m| m.parse()) {
        None => 20,
        Some(Ok(m)) if (1..=100).contains(&m) => m,
        _ => return google_error(400, "invalidParameter", "maxResults"),
    };
    let offset: usize = q
        .get("pageToken")
        .and_then(|t| t.strip_prefix("p-"))
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let items: Vec<Value> = found
        .iter()
        .skip(offset)
        .take(max)
        .map(|c| Fake::thread_json(c))
        .collect();
    let mut page = json!({ "kind": "youtube#commentThreadListResponse", "items": items });
    if offset + max < found.len() {
        page["nextPageToken"] = json!(format!("p-{}", offset + max));
    }
    axum::Json(page).into_response()
}

/// `comments.insert`: a reply under a top-level comment (YouTube nests one level).
async fn insert_reply(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "POST", "/youtube/v3/comments", &headers) {
        return r;
    }
    if !parts_of(&q).is_ok_and(|p| p.iter().any(|p| p == "snippet")) {
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
    if parent.is_empty() {
        return google_error(400, "parentIdMissing", "No parent comment was given.");
    }
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
    if fake.comments_disabled {
        return google_error(403, "commentsDisabled", "The video has disabled comments.");
    }
    if text.trim().is_empty() {
        return google_error(400, "commentTextRequired", "The comment needs a text.");
    }
    let n = fake.next();
    let comment = Comment {
        id: format!("{parent}.{n:022}"),
        video,
        author: CHANNEL_ID.into(),
        text,
        published_at: Utc::now(),
        likes: 0,
        replies: 0,
        deleted: false,
        parent: Some(parent.clone()),
    };
    let answer = Fake::comment_json(&comment);
    if let Some(top) = fake.comments.iter_mut().find(|c| c.id == parent) {
        top.replies += 1;
    }
    fake.comments.push(comment);
    axum::Json(answer).into_response()
}

/// `comments.list` by `parentId` (the replies of a top-level comment) or by `id`.
async fn list_comments(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "GET", "/youtube/v3/comments", &headers) {
        return r;
    }
    if !parts_of(&q).is_ok_and(|p| p.iter().any(|p| p == "snippet")) {
        return google_error(400, "missingRequiredParameter", "part");
    }
    let found: Vec<Value> = match (q.get("id"), q.get("parentId")) {
        (Some(ids), None) => {
            let ids: Vec<&str> = ids.split(',').collect();
            fake.comments
                .iter()
                .filter(|c| !c.deleted && ids.contains(&c.id.as_str()))
                .map(Fake::comment_json)
                .collect()
        }
        (None, Some(parent)) => {
            if !fake.comments.iter().any(|c| &c.id == parent && !c.deleted) {
                return google_error(404, "commentNotFound", "The comment could not be found.");
            }
            fake.comments
                .iter()
                .filter(|c| !c.deleted && c.parent.as_ref() == Some(parent))
                .map(Fake::comment_json)
                .collect()
        }
        _ => return google_error(400, "incompatibleParameters", "id and parentId"),
    };
    axum::Json(json!({ "kind": "youtube#commentListResponse", "items": found })).into_response()
}

async fn delete_comment(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = gate(&mut fake, "DELETE", "/youtube/v3/comments", &headers) {
        return r;
    }
    let id = q.get("id").cloned().unwrap_or_default();
    match fake.comments.iter_mut().find(|c| c.id == id && !c.deleted) {
        Some(c) => {
            c.deleted = true;
            StatusCode::NO_CONTENT.into_response()
        }
        None => google_error(404, "commentNotFound", "The comment could not be found."),
    }
}

async fn start() -> (MockHttp, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Fake::default()));
    let router = Router::new()
        .route("/token", routing::post(token))
        .route("/youtube/v3/channels", get(channels))
        .route(
            "/upload/youtube/v3/videos",
            routing::post(start_upload).put(put_upload),
        )
        .route("/youtube/v3/playlistItems", get(playlist_items))
        .route("/youtube/v3/videos", get(list_videos).delete(delete_video))
        .route(
            "/youtube/v3/commentThreads",
            routing::post(insert_thread).get(list_threads),
        )
        .route(
            "/youtube/v3/comments",
            routing::post(insert_reply)
                .get(list_comments)
                .delete(delete_comment),
        )
        .with_state(shared.clone());
    (MockHttp::start(router).await, shared)
}

/// A connector with the smallest chunks YouTube takes and short pauses.
fn youtube() -> YouTube {
    YouTube::new(common::client(Duration::from_secs(10)))
        .with_chunk_size(CHUNK_UNIT)
        .with_retry_pause(Duration::from_millis(5))
}

fn credentials(server: &MockHttp, fake: &Shared) -> Credentials {
    let f = fake.lock().unwrap();
    Credentials {
        settings: json!({ "api_base": server.base_url(), "client_id": CLIENT_ID }),
        secrets: [
            ("access_token".to_owned(), f.access_token.clone()),
            ("refresh_token".to_owned(), f.refresh_token.clone()),
            ("client_secret".to_owned(), CLIENT_SECRET.to_owned()),
        ]
        .into(),
        changed: false,
    }
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Bytes that stand for a video: an MP4 `ftyp` box, then a pattern.
fn video_bytes(len: usize) -> Vec<u8> {
    let mut v = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec();
    v.extend((0..len.saturating_sub(v.len())).map(|i| (i * 7 % 251) as u8));
    v.truncate(len);
    v
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

fn with_video(mut p: OutgoingPost, len: usize) -> OutgoingPost {
    p.media.push(MediaFile {
        mime: "video/mp4".into(),
        bytes: video_bytes(len),
        alt: None,
        public_url: None,
    });
    p
}

fn video_post(text: &str, len: usize) -> OutgoingPost {
    with_video(post(text), len)
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

fn fault(fake: &Shared, f: Fault) {
    fake.lock().unwrap().faults.push_back(f);
}

/// The `Content-Range`s of the upload `PUT`s logged since the last clear.
fn puts(fake: &Shared) -> Vec<String> {
    fake.lock()
        .unwrap()
        .log
        .iter()
        .filter_map(|l| l.strip_prefix("PUT /upload/youtube/v3/videos "))
        .map(str::to_owned)
        .collect()
}

fn live_videos(fake: &Shared) -> usize {
    fake.lock()
        .unwrap()
        .videos
        .iter()
        .filter(|v| !v.deleted)
        .count()
}

fn google_body(status: u16, reason: &str, message: &str) -> String {
    json!({ "error": { "code": status, "message": message,
                       "errors": [{ "message": message, "domain": "youtube.quota", "reason": reason }] } })
    .to_string()
}

#[tokio::test]
async fn verifies_the_channel() {
    let (server, fake) = start().await;
    let yt = youtube();
    let mut creds = credentials(&server, &fake);
    assert_eq!(yt.verify(&mut creds).await.unwrap(), CHANNEL_TITLE);
    assert!(creds.changed);
    assert_eq!(creds.secret("channel_id"), Some(CHANNEL_ID));
    assert_eq!(creds.secret("uploads_playlist"), Some(UPLOADS));

    // A Google account without a YouTube channel: a person must create one.
    fake.lock().unwrap().no_channel = true;
    let err = yt.verify(&mut creds).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Misconfigured(ref m) if m.contains("no YouTube channel")),
        "{err}"
    );
}

#[tokio::test]
async fn publishes_a_video_in_chunks_with_its_metadata() {
    let (server, fake) = start().await;
    let yt = youtube();
    let mut creds = credentials(&server, &fake);
    creds.settings["privacy"] = json!("unlisted");
    creds.settings["category_id"] = json!("24");
    creds.settings["made_for_kids"] = json!(false);

    let len = 2 * CHUNK_UNIT + 1000;
    let text = "Nos soldes <3 -> ici\n\nTout le catalogue à -50 %.\nhttps://example.org/soldes";
    let p = video_post(text, len);
    let published = yt.publish(&mut creds, &p).await.unwrap();
    assert_eq!(
        published.url,
        format!("https://www.youtube.com/watch?v={}", published.id)
    );
    assert_eq!(published.id.len(), 11);

    // Three chunks, 256 KiB, 256 KiB and the rest, each answered until the last.
    let total = len;
    assert_eq!(
        puts(&fake),
        vec![
            format!("bytes 0-{}/{total}", CHUNK_UNIT - 1),
            format!("bytes {}-{}/{total}", CHUNK_UNIT, 2 * CHUNK_UNIT - 1),
            format!("bytes {}-{}/{total}", 2 * CHUNK_UNIT, total - 1),
        ]
    );
    {
        let f = fake.lock().unwrap();
        let v = f.live_video(&published.id).unwrap();
        assert_eq!(v.bytes, video_bytes(len), "every byte, in order");
        assert_eq!(v.mime, "video/mp4");
        assert_eq!(v.title, "Nos soldes ‹3 -› ici");
        assert_eq!(
            v.description,
            "Nos soldes ‹3 -› ici\n\nTout le catalogue à -50 %.\nhttps://example.org/soldes"
        );
        assert_eq!(
            (v.privacy.as_str(), v.category.as_str()),
            ("unlisted", "24")
        );
        assert_eq!(v.made_for_kids, Some(false));
        assert_eq!(v.language.as_deref(), Some("fr"));
        assert_eq!(v.tags.len(), 1);
        assert!(v.tags[0].starts_with("relais-"), "{:?}", v.tags);
    }

    // The default chunk size sends a small video in one request; privacy defaults to public.
    let whole = YouTube::new(common::client(Duration::from_secs(10)));
    let mut creds = credentials(&server, &fake);
    fake.lock().unwrap().log.clear();
    let p = whole
        .publish(&mut creds, &video_post("D'un seul tenant", 300_000))
        .await
        .unwrap();
    assert_eq!(puts(&fake), vec!["bytes 0-299999/300000".to_owned()]);
    let f = fake.lock().unwrap();
    let v = f.live_video(&p.id).unwrap();
    assert_eq!((v.privacy.as_str(), v.category.as_str()), ("public", "22"));
    assert_eq!(v.made_for_kids, None);
}

#[tokio::test]
async fn what_youtube_cannot_take_is_refused_before_anything_is_sent() {
    let (server, fake) = start().await;
    let yt = youtube();
    let mut creds = credentials(&server, &fake);
    let png = MediaFile {
        mime: "image/png".into(),
        bytes: include_bytes!("fixtures/blue-8x8.png").to_vec(),
        alt: Some("un carré bleu".into()),
        public_url: None,
    };
    let mut image = post("Une image");
    image.media.push(png);
    let mut two = video_post("Deux vidéos", 1000);
    two = with_video(two, 1000);
    for (p, says) in [
        (post("Du texte seul"), "no media"),
        (image, "image/png"),
        (two, "2 media"),
    ] {
        let err = yt.publish(&mut creds, &p).await.unwrap_err();
        assert!(
            matches!(err, NetworkError::Rejected(ref m) if m.contains("YouTube needs a video") && m.contains(says)),
            "{err}"
        );
    }
    let err = yt
        .publish(&mut creds, &video_post(" \n ", 1000))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("title")),
        "{err}"
    );
    let long = format!("Titre\n{}", "é".repeat(2_600));
    let err = yt
        .publish(&mut creds, &video_post(&long, 1000))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("5,000 bytes")),
        "{err}"
    );
    let err = yt
        .publish(&mut creds, &video_post("Vide", 0))
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Rejected(_)), "{err}");
    // A setting a person must fix.
    creds.settings["privacy"] = json!("friends");
    let err = yt
        .publish(&mut creds, &video_post("Réglage", 1000))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Misconfigured(ref m) if m.contains("privacy")),
        "{err}"
    );
    assert!(fake.lock().unwrap().log.is_empty(), "nothing was sent");

    // A title too long is cut (YouTube would refuse it), the description keeps it whole.
    creds.settings["privacy"] = json!("public");
    let title = "Un titre ".repeat(15);
    let p = yt
        .publish(&mut creds, &video_post(&title, 1000))
        .await
        .unwrap();
    let f = fake.lock().unwrap();
    let v = f.live_video(&p.id).unwrap();
    assert!(v.title.chars().count() <= 100, "{}", v.title);
    assert!(v.title.starts_with("Un titre Un titre") && v.title.ends_with("titre…"));
    assert_eq!(v.description, title.trim());
}

#[tokio::test]
async fn a_failed_chunk_is_resumed_where_youtube_stands() {
    let (server, fake) = start().await;
    let yt = youtube();
    let mut creds = credentials(&server, &fake);
    let len = 3 * CHUNK_UNIT;
    let total = len;

    // The second chunk: YouTube keeps 100,000 of its bytes, then fails with a 503.
    let p = video_post("Reprise après une panne", len);
    fault(&fake, Fault::Pass);
    fault(
        &fake,
        Fault::Fail {
            keep: 100_000,
            status: 503,
        },
    );
    let published = yt.publish(&mut creds, &p).await.unwrap();
    let a = CHUNK_UNIT;
    let resumed = a + 100_000;
    assert_eq!(
        puts(&fake),
        vec![
            format!("bytes 0-{}/{total}", a - 1),
            format!("bytes {a}-{}/{total}", 2 * a - 1),
            format!("bytes */{total}"),
            format!("bytes {resumed}-{}/{total}", resumed + a - 1),
            format!("bytes {}-{}/{total}", resumed + a, total - 1),
        ]
    );
    assert_eq!(
        fake.lock()
            .unwrap()
            .live_video(&published.id)
            .unwrap()
            .bytes,
        video_bytes(len)
    );

    // Nothing kept of the first chunk and a 500: the question's 308 has no Range, so the
    // upload starts again from byte 0.
    fake.lock().unwrap().log.clear();
    fault(
        &fake,
        Fault::Fail {
            keep: 0,
            status: 500,
        },
    );
    let p = yt
        .publish(&mut creds, &video_post("Rien reçu", 1000))
        .await
        .unwrap();
    assert_eq!(
        puts(&fake),
        vec!["bytes 0-999/1000", "bytes */1000", "bytes 0-999/1000"]
    );
    assert_eq!(
        fake.lock().unwrap().live_video(&p.id).unwrap().bytes,
        video_bytes(1000)
    );

    // A failure that does not pass: bounded tries, then a transient error; no video made.
    let before = live_videos(&fake);
    fake.lock().unwrap().log.clear();
    for _ in 0..10 {
        fault(
            &fake,
            Fault::Fail {
                keep: 0,
                status: 503,
            },
        );
    }
    let err = yt
        .publish(&mut creds, &video_post("En panne", 1000))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("503")),
        "{err}"
    );
    assert_eq!(puts(&fake).len(), 6, "one chunk and five questions");
    assert_eq!(live_videos(&fake), before);
    fake.lock().unwrap().faults.clear();
}

#[tokio::test]
async fn a_session_given_a_new_address_goes_on_there() {
    let (server, fake) = start().await;
    let yt = youtube();
    let mut creds = credentials(&server, &fake);
    let len = 2 * CHUNK_UNIT + 7;
    fault(&fake, Fault::Move);
    let p = yt
        .publish(&mut creds, &video_post("Nouvelle adresse", len))
        .await
        .unwrap();
    // A 308 is "Resume Incomplete", not a redirect: the chunk is not sent again to the new
    // address, the next one goes there.
    assert_eq!(
        puts(&fake),
        vec![
            format!("bytes 0-{}/{len}", CHUNK_UNIT - 1),
            format!("bytes {CHUNK_UNIT}-{}/{len} (moved)", 2 * CHUNK_UNIT - 1),
            format!("bytes {}-{}/{len} (moved)", 2 * CHUNK_UNIT, len - 1),
        ]
    );
    assert_eq!(
        fake.lock().unwrap().live_video(&p.id).unwrap().bytes,
        video_bytes(len)
    );
}

#[tokio::test]
async fn a_chunk_whose_answer_times_out_is_not_sent_twice() {
    let (server, fake) = start().await;
    // A client that waits one second at most for an answer.
    let yt = YouTube::new(common::client(Duration::from_secs(1)))
        .with_chunk_size(CHUNK_UNIT)
        .with_retry_pause(Duration::from_millis(5));
    let mut creds = credentials(&server, &fake);
    let len = CHUNK_UNIT + 5000;
    // The last chunk arrives and makes the video, but its answer comes after 3 s.
    fault(&fake, Fault::Pass);
    fault(&fake, Fault::Stall(Duration::from_secs(3)));
    let p = yt
        .publish(&mut creds, &video_post("Réponse trop lente", len))
        .await
        .unwrap();
    assert_eq!(
        puts(&fake),
        vec![
            format!("bytes 0-{}/{len}", CHUNK_UNIT - 1),
            format!("bytes {CHUNK_UNIT}-{}/{len}", len - 1),
            format!("bytes */{len}"),
        ],
        "the question found the finished video"
    );
    assert_eq!(live_videos(&fake), 1);
    assert_eq!(
        fake.lock().unwrap().live_video(&p.id).unwrap().bytes,
        video_bytes(len)
    );

    // An API call that times out is transient.
    fake.lock().unwrap().slow_channels = Some(Duration::from_secs(3));
    let err = yt.verify(&mut creds).await.unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn an_expired_session_is_started_again() {
    let (server, fake) = start().await;
    let yt = youtube();
    let mut creds = credentials(&server, &fake);
    let len = 2 * CHUNK_UNIT + 10;
    fault(&fake, Fault::Pass);
    fault(&fake, Fault::Expire);
    let p = yt
        .publish(&mut creds, &video_post("Session expirée", len))
        .await
        .unwrap();
    {
        let f = fake.lock().unwrap();
        assert_eq!(f.sessions.len(), 2, "a second session");
        let starts = f
            .log
            .iter()
            .filter(|l| *l == "POST /upload/youtube/v3/videos")
            .count();
        assert_eq!(starts, 2);
        assert_eq!(f.live_video(&p.id).unwrap().bytes, video_bytes(len));
        assert_eq!(f.videos.len(), 1);
    }

    // Sessions that keep expiring: given up after three.
    for _ in 0..3 {
        fault(&fake, Fault::Expire);
    }
    let err = yt
        .publish(&mut creds, &video_post("Toujours expirée", 1000))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("expired")),
        "{err}"
    );
    assert_eq!(fake.lock().unwrap().sessions.len(), 5);
}

#[tokio::test]
async fn replies_go_under_what_they_answer() {
    let (server, fake) = start().await;
    let yt = youtube();
    let mut creds = credentials(&server, &fake);
    let root = yt
        .publish(&mut creds, &video_post("La vidéo", 1000))
        .await
        .unwrap();
    // Answering the video: a top-level comment on it.
    let first = yt
        .publish(
            &mut creds,
            &reply(post("Le lien promis : https://example.org"), &root, &root),
        )
        .await
        .unwrap();
    assert_eq!(
        first.url,
        format!(
            "https://www.youtube.com/watch?v={}&lc={}",
            root.id, first.id
        )
    );
    // Answering that comment: a reply under it, not another comment on the video.
    let second = yt
        .publish(&mut creds, &reply(post("Et la suite."), &root, &first))
        .await
        .unwrap();
    assert!(
        second.id.starts_with(&format!("{}.", first.id)),
        "{second:?}"
    );
    assert_eq!(
        second.url,
        format!(
            "https://www.youtube.com/watch?v={}&lc={}",
            root.id, second.id
        )
    );
    // Answering a reply: YouTube nests one level, so under the same top-level comment.
    let third = yt
        .publish(&mut creds, &reply(post("Et la fin."), &root, &second))
        .await
        .unwrap();
    {
        let f = fake.lock().unwrap();
        let placed: Vec<(&str, Option<&str>)> = f
            .comments
            .iter()
            .filter(|c| c.video == root.id)
            .map(|c| (c.text.as_str(), c.parent.as_deref()))
            .collect();
        assert_eq!(
            placed,
            vec![
                ("Le lien promis : https://example.org", None),
                ("Et la suite.", Some(first.id.as_str())),
                ("Et la fin.", Some(first.id.as_str())),
            ]
        );
        assert!(f.comments.iter().all(|c| c.author == CHANNEL_ID));
        let log: Vec<&str> = f
            .log
            .iter()
            .filter(|l| l.contains("comment"))
            .map(String::as_str)
            .collect();
        assert_eq!(
            log,
            [
                "POST /youtube/v3/commentThreads",
                "POST /youtube/v3/comments",
                "POST /youtube/v3/comments"
            ]
        );
    }
    assert_ne!(second.id, third.id);

    // The comment answered was deleted: refused for good, saying so.
    fake.lock().unwrap().comments[0].deleted = true;
    let err = yt
        .publish(&mut creds, &reply(post("Trop tard"), &root, &first))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("deleted")),
        "{err}"
    );
    fake.lock().unwrap().comments[0].deleted = false;

    // Media on a comment, or an empty one, is refused before anything is sent.
    let err = yt
        .publish(
            &mut creds,
            &reply(video_post("Avec vidéo", 10), &root, &root),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("text only")),
        "{err}"
    );
    // Comments turned off: YouTube's refusal, for good.
    fake.lock().unwrap().comments_disabled = true;
    let err = yt
        .publish(&mut creds, &reply(post("Fermé"), &root, &root))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("commentsDisabled")),
        "{err}"
    );
}

#[tokio::test]
async fn find_published_finds_a_video_published_before_a_crash() {
    let (server, fake) = start().await;
    let yt = youtube();
    let mut creds = credentials(&server, &fake);

    // Some earlier uploads of the channel.
    for i in 0..3 {
        yt.publish(&mut creds, &video_post(&format!("Ancienne {i}"), 1000))
            .await
            .unwrap();
    }
    // The upload finishes, but its answer is lost and every question fails too: the attempt
    // ends with an error, while YouTube made the video (as if the worker had died then).
    let lost = video_post("Publiée avant la panne", CHUNK_UNIT + 10);
    fault(&fake, Fault::Pass);
    for _ in 0..6 {
        fault(
            &fake,
            Fault::Fail {
                keep: usize::MAX,
                status: 503,
            },
        );
    }
    let err = yt.publish(&mut creds, &lost).await.unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");
    let made = {
        let f = fake.lock().unwrap();
        f.videos.last().unwrap().id.clone()
    };
    assert_eq!(live_videos(&fake), 4);

    // After the crash: the publisher asks before publishing again.
    let mut fresh = credentials(&server, &fake);
    let found = yt.find_published(&mut fresh, &lost).await.unwrap();
    assert_eq!(
        found,
        Some(PublishedPost {
            id: made.clone(),
            version: None,
            url: format!("https://www.youtube.com/watch?v={made}"),
        })
    );
    // The channel's ids were learnt on the way and kept.
    assert_eq!(fresh.secret("uploads_playlist"), Some(UPLOADS));

    // A post never published is not found, even with the same title as an earlier one (the
    // marker tells them apart).
    assert_eq!(
        yt.find_published(&mut fresh, &video_post("Jamais publiée", 10))
            .await
            .unwrap(),
        None
    );
    let mut same_title = video_post("Ancienne 1", 10);
    same_title.idempotency_key = "another-post".into();
    assert_eq!(
        yt.find_published(&mut fresh, &same_title).await.unwrap(),
        None
    );

    // A video whose tags were removed since is still recognised by its title.
    fake.lock().unwrap().videos.last_mut().unwrap().tags.clear();
    assert_eq!(
        yt.find_published(&mut fresh, &lost)
            .await
            .unwrap()
            .map(|p| p.id),
        Some(made.clone())
    );
    // A video uploaded before the post was written is not its video.
    fake.lock().unwrap().videos.last_mut().unwrap().published_at =
        Utc::now() - chrono::Duration::hours(2);
    assert_eq!(yt.find_published(&mut fresh, &lost).await.unwrap(), None);
}

#[tokio::test]
async fn find_published_pages_through_the_uploads() {
    let (server, fake) = start().await;
    let yt = youtube();
    let mut creds = credentials(&server, &fake);
    let first = video_post("La toute première", 10);
    let p = yt.publish(&mut creds, &first).await.unwrap();
    // 120 later uploads, made directly in the fake.
    {
        let mut f = fake.lock().unwrap();
        for i in 0..120 {
            let n = f.next();
            let published_at = Utc::now() + chrono::Duration::seconds(i + 1);
            f.videos.push(Video {
                id: format!("vid{n:08}"),
                title: format!("Plus tard {i}"),
                description: String::new(),
                tags: vec![format!("relais-{i:016}")],
                category: "22".into(),
                privacy: "public".into(),
                made_for_kids: None,
                language: None,
                mime: "video/mp4".into(),
                bytes: vec![],
                published_at,
                deleted: false,
                stats: [0; 3],
            });
        }
        f.log.clear();
    }
    assert_eq!(
        yt.find_published(&mut creds, &first).await.unwrap(),
        Some(p)
    );
    let log = fake.lock().unwrap().log.clone();
    let pages = log
        .iter()
        .filter(|l| *l == "GET /youtube/v3/playlistItems")
        .count();
    assert_eq!(pages, 3, "three pages of 50: {log:?}");
}

#[tokio::test]
async fn find_published_finds_a_comment() {
    let (server, fake) = start().await;
    let yt = youtube();
    let mut creds = credentials(&server, &fake);
    let root = yt
        .publish(&mut creds, &video_post("La vidéo", 10))
        .await
        .unwrap();
    let comment = reply(post("Premier commentaire"), &root, &root);
    assert_eq!(yt.find_published(&mut creds, &comment).await.unwrap(), None);
    // Someone else wrote the same text: not ours.
    {
        let mut f = fake.lock().unwrap();
        let n = f.next();
        f.comments.push(Comment {
            id: format!("Ugz{n:023}"),
            video: root.id.clone(),
            author: "UCsomeoneelse0000000000a".into(),
            text: "Premier commentaire".into(),
            published_at: Utc::now(),
            likes: 0,
            replies: 0,
            deleted: false,
            parent: None,
        });
    }
    assert_eq!(yt.find_published(&mut creds, &comment).await.unwrap(), None);
    let made = yt.publish(&mut creds, &comment).await.unwrap();
    assert_eq!(
        yt.find_published(&mut creds, &comment).await.unwrap(),
        Some(made.clone())
    );

    // A reply under that comment is looked for among its replies, not the video's comments.
    let answer = reply(post("Une réponse"), &root, &made);
    assert_eq!(yt.find_published(&mut creds, &answer).await.unwrap(), None);
    let sent = yt.publish(&mut creds, &answer).await.unwrap();
    fake.lock().unwrap().log.clear();
    assert_eq!(
        yt.find_published(&mut creds, &answer).await.unwrap(),
        Some(sent.clone())
    );
    assert_eq!(
        fake.lock().unwrap().log,
        ["GET /youtube/v3/comments".to_owned()]
    );
    // The same text under another comment is another reply: not this one.
    let other = yt
        .publish(&mut creds, &reply(post("Autre"), &root, &root))
        .await
        .unwrap();
    let elsewhere = reply(post("Une réponse"), &root, &other);
    assert_eq!(
        yt.find_published(&mut creds, &elsewhere).await.unwrap(),
        None
    );
    // Its own metrics: a reply is read through `comments.list`.
    fake.lock()
        .unwrap()
        .comments
        .iter_mut()
        .find(|c| c.id == sent.id)
        .unwrap()
        .likes = 4;
    let m = yt.metrics(&mut creds, &sent).await.unwrap();
    assert_eq!((m.likes, m.replies), (Some(4), None));
}

#[tokio::test]
async fn deletes_videos_and_comments() {
    let (server, fake) = start().await;
    let yt = youtube();
    let mut creds = credentials(&server, &fake);
    let video = yt
        .publish(&mut creds, &video_post("À supprimer", 10))
        .await
        .unwrap();
    let comment = yt
        .publish(&mut creds, &reply(post("Moi aussi"), &video, &video))
        .await
        .unwrap();
    yt.delete(&mut creds, &comment).await.unwrap();
    assert!(fake.lock().unwrap().comments[0].deleted);
    yt.delete(&mut creds, &video).await.unwrap();
    assert!(fake.lock().unwrap().videos[0].deleted);
    // Already gone: done.
    yt.delete(&mut creds, &video).await.unwrap();
    yt.delete(&mut creds, &comment).await.unwrap();
    // Not a YouTube id.
    let odd = PublishedPost {
        id: "not an id".into(),
        version: None,
        url: String::new(),
    };
    assert!(matches!(
        yt.delete(&mut creds, &odd).await,
        Err(NetworkError::Rejected(_))
    ));
}

#[tokio::test]
async fn reads_metrics() {
    let (server, fake) = start().await;
    let yt = youtube();
    let mut creds = credentials(&server, &fake);
    let video = yt
        .publish(&mut creds, &video_post("Comptée", 10))
        .await
        .unwrap();
    let comment = yt
        .publish(
            &mut creds,
            &reply(post("Commentaire compté"), &video, &video),
        )
        .await
        .unwrap();
    {
        let mut f = fake.lock().unwrap();
        f.videos[0].stats = [1234, 56, 7];
        f.comments[0].likes = 3;
        f.comments[0].replies = 2;
    }
    let m = yt.metrics(&mut creds, &video).await.unwrap();
    assert_eq!(
        (m.views, m.likes, m.replies, m.reposts, m.quotes),
        (Some(1234), Some(56), Some(7), None, None)
    );
    let m = yt.metrics(&mut creds, &comment).await.unwrap();
    assert_eq!((m.likes, m.replies, m.views), (Some(3), Some(2), None));
    yt.delete(&mut creds, &video).await.unwrap();
    let err = yt.metrics(&mut creds, &video).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("gone")),
        "{err}"
    );
}

#[tokio::test]
async fn quota_and_rate_limits() {
    let (server, fake) = start().await;
    let yt = youtube();
    let mut creds = credentials(&server, &fake);

    // 429 with Retry-After.
    inject(
        &fake,
        "GET",
        "/youtube/v3/channels",
        429,
        vec![("retry-after", "7".into())],
        &google_body(429, "rateLimitExceeded", "Too many requests."),
    );
    assert_eq!(
        yt.verify(&mut creds).await.unwrap_err(),
        NetworkError::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        }
    );
    // The project's daily quota: until midnight, Pacific time (within a day, give or take
    // the hour of a change of time).
    inject(
        &fake,
        "POST",
        "/upload/youtube/v3/videos",
        403,
        vec![],
        &google_body(
            403,
            "quotaExceeded",
            "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.",
        ),
    );
    match yt
        .publish(&mut creds, &video_post("Plus de quota", 10))
        .await
        .unwrap_err()
    {
        NetworkError::RateLimited {
            retry_after: Some(wait),
        } => assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(25 * 3600),
            "{wait:?}"
        ),
        other => panic!("expected a wait until the quota resets, got {other:?}"),
    }
    // A per-user rate limit (403, no Retry-After).
    inject(
        &fake,
        "GET",
        "/youtube/v3/videos",
        403,
        vec![],
        &google_body(403, "userRateLimitExceeded", "User Rate Limit Exceeded"),
    );
    let any = PublishedPost {
        id: "vid00000001".into(),
        version: None,
        url: String::new(),
    };
    assert_eq!(
        yt.metrics(&mut creds, &any).await.unwrap_err(),
        NetworkError::RateLimited { retry_after: None }
    );
    // The channel's own daily cap on uploads: YouTube says to try again in 24 hours.
    inject(
        &fake,
        "POST",
        "/upload/youtube/v3/videos",
        400,
        vec![],
        &google_body(
            400,
            "uploadLimitExceeded",
            "The user has exceeded the number of videos they may upload.",
        ),
    );
    assert_eq!(
        yt.publish(&mut creds, &video_post("Trop de vidéos", 10))
            .await
            .unwrap_err(),
        NetworkError::RateLimited {
            retry_after: Some(Duration::from_secs(24 * 3600))
        }
    );
    assert!(fake.lock().unwrap().inject.is_empty());
    assert_eq!(live_videos(&fake), 0);
}

#[tokio::test]
async fn an_expired_token_is_renewed_once_and_kept() {
    let (server, fake) = start().await;
    let yt = youtube();
    let mut creds = credentials(&server, &fake);
    fake.lock().unwrap().access_token = "at-expired".into();
    assert_eq!(yt.verify(&mut creds).await.unwrap(), CHANNEL_TITLE);
    assert!(creds.changed);
    assert_eq!(creds.secret("access_token"), Some("at-1"));
    // Google does not rotate refresh tokens: the channel keeps its own.
    assert_eq!(creds.secret("refresh_token"), Some("rt-0"));

    // The token expires in the middle of an upload: renewed, and the upload goes on.
    let len = 2 * CHUNK_UNIT + 3;
    fault(&fake, Fault::Pass);
    fault(&fake, Fault::Revoke);
    fake.lock().unwrap().log.clear();
    let p = yt
        .publish(&mut creds, &video_post("Jeton expiré en route", len))
        .await
        .unwrap();
    assert_eq!(creds.secret("access_token"), Some("at-2"));
    assert_eq!(
        puts(&fake),
        vec![
            format!("bytes 0-{}/{len}", CHUNK_UNIT - 1),
            // Refused: the token expired on the way.
            format!("bytes {CHUNK_UNIT}-{}/{len}", 2 * CHUNK_UNIT - 1),
            format!("bytes */{len}"),
            format!("bytes {CHUNK_UNIT}-{}/{len}", 2 * CHUNK_UNIT - 1),
            format!("bytes {}-{}/{len}", 2 * CHUNK_UNIT, len - 1),
        ]
    );
    assert_eq!(
        fake.lock().unwrap().live_video(&p.id).unwrap().bytes,
        video_bytes(len)
    );
}

#[tokio::test]
async fn a_refused_refresh_means_connecting_again() {
    let (server, fake) = start().await;
    let yt = youtube();
    let mut creds = credentials(&server, &fake);
    {
        let mut f = fake.lock().unwrap();
        f.access_token = "at-revoked".into();
        f.refuse_refresh = true;
    }
    let err = yt
        .publish(&mut creds, &video_post("Refusé", 10))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("connect the channel again")
            && m.contains("invalid_grant")),
        "{err}"
    );
    assert!(!creds.changed);
    assert_eq!(live_videos(&fake), 0);

    // Without a refresh token: the same.
    creds.secrets.remove("refresh_token");
    let err = yt.verify(&mut creds).await.unwrap_err();
    assert!(matches!(err, NetworkError::Unauthorized(_)), "{err}");
    // The app's secret is wrong: a person must fix the app's settings.
    fake.lock().unwrap().refuse_refresh = false;
    let mut wrong = credentials(&server, &fake);
    wrong.secrets.insert("client_secret".into(), "nope".into());
    fake.lock().unwrap().access_token = "at-other".into();
    let err = yt.verify(&mut wrong).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Misconfigured(ref m) if m.contains("invalid_client")),
        "{err}"
    );
    // Without any access token, a person must set the channel up.
    creds.secrets.clear();
    let err = yt.verify(&mut creds).await.unwrap_err();
    assert!(matches!(err, NetworkError::Misconfigured(_)), "{err}");
}

#[tokio::test]
async fn failures_and_garbled_answers() {
    let (server, fake) = start().await;
    let yt = youtube();
    let mut creds = credentials(&server, &fake);

    // 5xx: worth another try.
    inject(
        &fake,
        "GET",
        "/youtube/v3/channels",
        503,
        vec![],
        &google_body(503, "backendError", "Backend Error"),
    );
    let err = yt.verify(&mut creds).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("503")),
        "{err}"
    );
    inject(
        &fake,
        "POST",
        "/upload/youtube/v3/videos",
        502,
        vec![],
        "<html>Bad Gateway</html>",
    );
    let err = yt
        .publish(&mut creds, &video_post("Passerelle", 10))
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");

    // A malformed answer: a 200 with truncated JSON.
    inject(
        &fake,
        "GET",
        "/youtube/v3/channels",
        200,
        vec![],
        r#"{"items": [{"id": "UC"#,
    );
    let err = yt.verify(&mut creds).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("not JSON")),
        "{err}"
    );
    // A session started without its address.
    inject(&fake, "POST", "/upload/youtube/v3/videos", 200, vec![], "");
    let err = yt
        .publish(&mut creds, &video_post("Sans adresse", 10))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("Location")),
        "{err}"
    );
    // A comment answered without an id.
    let root = yt
        .publish(&mut creds, &video_post("Racine", 10))
        .await
        .unwrap();
    inject(
        &fake,
        "POST",
        "/youtube/v3/commentThreads",
        200,
        vec![],
        r#"{"kind": "youtube#commentThread"}"#,
    );
    let err = yt
        .publish(&mut creds, &reply(post("Sans id"), &root, &root))
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");

    // Refused for good, with YouTube's reason.
    inject(
        &fake,
        "POST",
        "/upload/youtube/v3/videos",
        403,
        vec![],
        &google_body(
            403,
            "forbidden",
            "Access forbidden. The request may not be properly authorized.",
        ),
    );
    let err = yt
        .publish(&mut creds, &video_post("Interdit", 10))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.starts_with("forbidden: Access forbidden")),
        "{err}"
    );
    // The scope was not granted.
    inject(
        &fake,
        "GET",
        "/youtube/v3/playlistItems",
        403,
        vec![],
        &google_body(
            403,
            "insufficientPermissions",
            "Request had insufficient authentication scopes.",
        ),
    );
    let err = yt
        .find_published(&mut creds, &video_post("Portée", 10))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("connect the channel again")),
        "{err}"
    );

    // Every injected answer was used, and nothing else is wrong.
    assert!(fake.lock().unwrap().inject.is_empty());
    yt.publish(&mut creds, &video_post("Tout va bien", 10))
        .await
        .unwrap();

    // The SSRF guard on refuses loopback: the address cannot be used.
    let guarded = YouTube::new(HttpClient::new(OutboundConfig::default()).unwrap());
    let err = guarded
        .verify(&mut credentials(&server, &fake))
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Misconfigured(_)), "{err}");
}

#[tokio::test]
async fn oauth_flow_authorize_and_connect() {
    let flow = YouTubeFlow;
    assert_eq!(flow.network(), "youtube");
    let (verifier, challenge) = oauth::pkce_pair();
    let state = oauth::random_state();
    let redirect = "https://relais.example/w/acme/channels/youtube/callback";
    let app = OAuthApp {
        client_id: CLIENT_ID.into(),
        client_secret: Some(CLIENT_SECRET.into()),
        api_base: None,
        authorize_base: None,
    };
    let url = flow.authorize_url(&app, redirect, &state, &challenge);
    let parsed = url::Url::parse(&url).unwrap();
    assert_eq!(
        parsed.as_str().split('?').next(),
        Some("https://accounts.google.com/o/oauth2/v2/auth")
    );
    let q: HashMap<String, String> = parsed.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["redirect_uri"], redirect);
    assert_eq!(q["scope"], format!("{UPLOAD_SCOPE} {MANAGE_SCOPE}"));
    assert_eq!(q["state"], state);
    assert_eq!(q["code_challenge"], challenge);
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["access_type"], "offline");
    assert_eq!(q["prompt"], "consent");
    assert_eq!(q.len(), 9);
    assert!(!url.contains(CLIENT_SECRET), "the secret stays home");

    // The code comes back: connect() trades it and lists the channel.
    let (server, fake) = start().await;
    let app = OAuthApp {
        api_base: Some(server.base_url().to_owned()),
        authorize_base: Some(server.base_url().to_owned()),
        ..app
    };
    assert!(
        flow.authorize_url(&app, redirect, &state, &challenge)
            .starts_with(&format!("{}/o/oauth2/v2/auth?", server.base_url()))
    );
    let http = common::client(Duration::from_secs(10));
    fake.lock()
        .unwrap()
        .codes
        .insert("code-1".into(), (challenge.clone(), redirect.into()));
    let accounts = flow
        .connect(&http, &app, "code-1", &verifier, redirect)
        .await
        .unwrap();
    assert_eq!(accounts.len(), 1);
    let a = &accounts[0];
    assert_eq!(
        (a.network, a.account_id.as_str(), a.display.as_str()),
        ("youtube", CHANNEL_ID, CHANNEL_TITLE)
    );
    let mut creds = a.credentials.clone();
    assert_eq!(creds.secret("access_token"), Some("at-1"));
    assert_eq!(creds.secret("refresh_token"), Some("rt-1"));
    assert_eq!(creds.secret("client_secret"), Some(CLIENT_SECRET));
    assert_eq!(creds.secret("channel_id"), Some(CHANNEL_ID));
    assert_eq!(creds.setting("client_id"), Some(CLIENT_ID));
    assert_eq!(creds.setting("api_base"), Some(server.base_url()));
    // Those credentials publish.
    youtube()
        .publish(&mut creds, &video_post("Première vidéo", 10))
        .await
        .unwrap();

    // A code used twice, or with the wrong verifier: refused.
    let err = flow
        .connect(&http, &app, "code-1", &verifier, redirect)
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Unauthorized(_)), "{err}");
    fake.lock()
        .unwrap()
        .codes
        .insert("code-2".into(), (challenge.clone(), redirect.into()));
    let err = flow
        .connect(
            &http,
            &app,
            "code-2",
            "wrong-verifier-wrong-verifier-wrong-verifier",
            redirect,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("invalid_grant")),
        "{err}"
    );
    // A person who unticked the upload permission.
    {
        let mut f = fake.lock().unwrap();
        f.granted = MANAGE_SCOPE.into();
        f.codes
            .insert("code-3".into(), (challenge.clone(), redirect.into()));
    }
    let err = flow
        .connect(&http, &app, "code-3", &verifier, redirect)
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("youtube.upload")),
        "{err}"
    );
    // A Google account without a channel: no account to connect, not an error.
    {
        let mut f = fake.lock().unwrap();
        f.granted = format!("{UPLOAD_SCOPE} {MANAGE_SCOPE}");
        f.no_channel = true;
        f.codes
            .insert("code-4".into(), (challenge.clone(), redirect.into()));
    }
    let accounts = flow
        .connect(&http, &app, "code-4", &verifier, redirect)
        .await
        .unwrap();
    assert!(accounts.is_empty());
}

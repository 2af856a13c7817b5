//! YouTube's comment search against a small stateful fake of the YouTube Data API v3 and
//! Google's token endpoint, written from Google's documentation: `commentThreads.list`
//! (`part=snippet`, `videoId` or `allThreadsRelatedToChannelId`, `searchTerms`, `order=time`,
//! `maxResults` up to 100, `pageToken`/`nextPageToken`, `textFormat`), authorised by a bearer
//! token or an API `key`; `channels.list` with `mine=true`; Google's error bodies (`authError`,
//! `quotaExceeded`, `rateLimitExceeded`, `commentsDisabled`, a bad key as `badRequest` with
//! `API_KEY_INVALID`), and a token endpoint that does not rotate refresh tokens. Comments start
//! from `fixtures/search/youtube_comment_threads.json`.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use common::search::{
    Injectable, Network, assert_sent, ids, inject, page_of, page_size, rate_limit_wait,
};
use common::{Injected, take_injected};
use relais_networks::search::{SearchPage, SearchQuery};
use relais_networks::{Credentials, NetworkError};
use relais_testkit::mock_http::MockHttp;
use serde_json::{Value, json};

const YOUTUBE: Network = Network("youtube");
const FIXTURE: &str = include_str!("fixtures/search/youtube_comment_threads.json");
const CLIENT_ID: &str = "relais.apps.googleusercontent.com";
const CLIENT_SECRET: &str = "GOCSPX-secret";
const API_KEY: &str = "AIzaSyRelaisTestKey";
const PATH: &str = "/youtube/v3/commentThreads";

struct Fake {
    channel: String,
    threads: Vec<Value>,
    access_token: String,
    refresh_token: String,
    issued: u32,
    inject: VecDeque<Injected>,
    /// Every commentThreads query, with whether it came with a bearer token.
    calls: Vec<(HashMap<String, String>, bool)>,
    channel_lookups: u32,
}

type Shared = Arc<Mutex<Fake>>;

impl Injectable for Fake {
    fn injected(&mut self) -> &mut VecDeque<Injected> {
        &mut self.inject
    }
}

fn google_error(status: u16, reason: &str, message: &str, grpc: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({ "error": { "code": status, "message": message,
            "errors": [{ "message": message, "domain": "youtube.commentThread", "reason": reason }],
            "status": grpc } })),
    )
        .into_response()
}

fn bearer_ok(fake: &Fake, headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(format!("Bearer {}", fake.access_token).as_str())
}

async fn token(State(s): State<Shared>, Form(f): Form<HashMap<String, String>>) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = take_injected(&mut fake.inject, "POST", "/token") {
        return r;
    }
    let valid = f.get("grant_type").map(String::as_str) == Some("refresh_token")
        && f.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && f.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET)
        && f.get("refresh_token") == Some(&fake.refresh_token);
    if !valid {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": "invalid_grant", "error_description": "Token has been expired or revoked." })),
        )
            .into_response();
    }
    fake.issued += 1;
    fake.access_token = format!("ya29.token-{}", fake.issued);
    axum::Json(
        json!({ "access_token": fake.access_token, "expires_in": 3599, "token_type": "Bearer",
                       "scope": "https://www.googleapis.com/auth/youtube.force-ssl" }),
    )
    .into_response()
}

async fn channels(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let mut fake = s.lock().unwrap();
    if !bearer_ok(&fake, &headers) {
        return google_error(401, "authError", "Invalid Credentials", "UNAUTHENTICATED");
    }
    fake.channel_lookups += 1;
    axum::Json(
        json!({ "kind": "youtube#channelListResponse", "items": [{ "id": fake.channel,
        "snippet": { "title": "Relais" },
        "contentDetails": { "relatedPlaylists": { "uploads": "UUrelaisChannel000000001" } } }] }),
    )
    .into_response()
}

async fn threads(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = take_injected(&mut fake.inject, "GET", PATH) {
        return r;
    }
    let with_bearer = headers.contains_key("authorization");
    match q.get("key") {
        Some(key) if key != API_KEY => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({ "error": { "code": 400,
                "message": "API key not valid. Please pass a valid API key.",
                "errors": [{ "message": "API key not valid. Please pass a valid API key.",
                             "domain": "global", "reason": "badRequest" }],
                "status": "INVALID_ARGUMENT",
                "details": [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                              "reason": "API_KEY_INVALID", "domain": "googleapis.com" }] } })),
            )
                .into_response();
        }
        Some(_) => {}
        None if !bearer_ok(&fake, &headers) => {
            return google_error(401, "authError", "Invalid Credentials", "UNAUTHENTICATED");
        }
        None => {}
    }
    fake.calls.push((q.clone(), with_bearer));
    let video = q.get("videoId");
    if video.is_some_and(|v| v == "vidNoComms1") {
        return google_error(
            403,
            "commentsDisabled",
            "The video identified by the <code><a href=\"/youtube/v3/docs/commentThreads/list#videoId\">videoId</a></code> parameter has disabled comments.",
            "PERMISSION_DENIED",
        );
    }
    let channel = q.get("allThreadsRelatedToChannelId");
    if video.is_none() && channel.is_none() {
        return google_error(
            400,
            "missingRequiredParameter",
            "No filter selected. Expected one of: videoId, id, allThreadsRelatedToChannelId, channelId.",
            "INVALID_ARGUMENT",
        );
    }
    let terms = q
        .get("searchTerms")
        .map(|t| t.to_lowercase())
        .unwrap_or_default();
    let max = page_size(&q, "maxResults", 20, 100);
    let mut matching: Vec<&Value> = fake
        .threads
        .iter()
        .filter(|t| {
            let s = &t["snippet"];
            let text = s["topLevelComment"]["snippet"]["textOriginal"]
                .as_str()
                .unwrap()
                .to_lowercase();
            video.is_none_or(|v| s["videoId"].as_str() == Some(v))
                && channel.is_none_or(|c| s["channelId"].as_str() == Some(c))
                && text.contains(&terms)
        })
        .collect();
    let at = |t: &Value| {
        t["snippet"]["topLevelComment"]["snippet"]["publishedAt"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    matching.sort_by_key(|t| std::cmp::Reverse(at(t)));
    let start: usize = q
        .get("pageToken")
        .map(|t| t.trim_start_matches("QURTSl").parse().unwrap())
        .unwrap_or(0);
    let page = page_of(&matching, start, max);
    let mut body = json!({ "kind": "youtube#commentThreadListResponse", "etag": "x",
        "pageInfo": { "totalResults": page.len(), "resultsPerPage": max }, "items": page });
    if start + max < matching.len() {
        body["nextPageToken"] = json!(format!("QURTSl{}", start + max));
    }
    axum::Json(body).into_response()
}

async fn start() -> (MockHttp, Shared) {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let shared: Shared = Arc::new(Mutex::new(Fake {
        channel: fixture["channel"].as_str().unwrap().to_owned(),
        threads: fixture["threads"].as_array().unwrap().clone(),
        access_token: "ya29.token-0".into(),
        refresh_token: "1//refresh".into(),
        issued: 0,
        inject: VecDeque::new(),
        calls: Vec::new(),
        channel_lookups: 0,
    }));
    let router = Router::new()
        .route("/token", post(token))
        .route("/youtube/v3/channels", get(channels))
        .route(PATH, get(threads))
        .with_state(shared.clone());
    (MockHttp::start(router).await, shared)
}

fn credentials(server: &MockHttp) -> Credentials {
    Credentials {
        settings: json!({ "api_base": server.base_url(), "client_id": CLIENT_ID }),
        secrets: [
            ("access_token".to_owned(), "ya29.token-0".to_owned()),
            ("refresh_token".to_owned(), "1//refresh".to_owned()),
            ("client_secret".to_owned(), CLIENT_SECRET.to_owned()),
        ]
        .into(),
        changed: false,
    }
}

fn key_credentials(server: &MockHttp, key: &str) -> Credentials {
    Credentials {
        settings: json!({ "api_base": server.base_url() }),
        secrets: [("api_key".to_owned(), key.to_owned())].into(),
        changed: false,
    }
}

/// A comment on the channel's first video mentioning Relais.
fn comment(n: u32, at: &str) -> Value {
    let id = format!("UgxNewComment{n:06}Zz");
    json!({ "kind": "youtube#commentThread", "id": id, "snippet": {
        "channelId": "UCrelaisChannel000000001", "videoId": "vidRelais01",
        "topLevelComment": { "kind": "youtube#comment", "id": id, "snippet": {
            "videoId": "vidRelais01", "textDisplay": format!("Relais encore {n}"),
            "textOriginal": format!("Relais encore {n}"), "authorDisplayName": format!("@viewer{n}"),
            "publishedAt": at, "updatedAt": at } } } })
}

#[tokio::test]
async fn the_channels_comments_become_hits() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let page = YOUTUBE.find(&mut creds, "relais", None).await.unwrap();
    assert_eq!(
        ids(&page),
        [
            "UgzRelaisThread0001AaBb",
            "UgzRelaisThread0002AaBb",
            "UgzRelaisThread0003AaBb"
        ]
    );
    let first = &page.hits[0];
    assert_eq!(first.text, "Relais m'a fait gagner des heures, merci !");
    assert_eq!(
        first.url.as_deref(),
        Some("https://www.youtube.com/watch?v=vidRelais01&lc=UgzRelaisThread0001AaBb")
    );
    assert_eq!(first.author_handle.as_deref(), Some("@fan_video"));
    assert_eq!(first.author_name.as_deref(), Some("@fan_video"));
    assert_eq!(first.published_at, Some(1_772_359_200_000));
    assert_eq!(first.in_reply_to.as_deref(), Some("vidRelais01"));
    assert_eq!(first.site.as_deref(), Some("www.youtube.com"));
    assert_eq!(
        page.hits[2].author_handle, None,
        "a name that is not a handle"
    );
    assert_eq!(
        page.hits[2].text, "relais > tout le reste",
        "plain text, not HTML"
    );
    assert!(page.cursor.is_some());

    {
        let f = fake.lock().unwrap();
        assert_eq!(
            f.channel_lookups, 1,
            "the channel's own comments by default"
        );
        let (q, bearer) = &f.calls[0];
        assert!(bearer);
        assert_sent(
            q,
            &[
                ("part", "snippet"),
                ("allThreadsRelatedToChannelId", "UCrelaisChannel000000001"),
                ("searchTerms", "relais"),
                ("order", "time"),
                ("maxResults", "100"),
                ("textFormat", "plainText"),
            ],
        );
    }
    // The channel id is kept: not asked for again.
    YOUTUBE.find(&mut creds, "relais", None).await.unwrap();
    assert_eq!(fake.lock().unwrap().channel_lookups, 1);
}

#[tokio::test]
async fn the_cursor_stops_at_what_was_seen_and_keeps_late_comments() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let cursor = YOUTUBE.first_cursor(&mut creds, "relais").await;
    YOUTUBE
        .assert_nothing_new(&mut creds, "relais", &cursor)
        .await;

    {
        let mut f = fake.lock().unwrap();
        f.threads.push(comment(1, "2026-03-01T10:05:00Z"));
        // Held for review, published late: older than the newest seen, inside the overlap.
        f.threads.push(comment(2, "2026-03-01T09:55:00Z"));
        // Older than the overlap: not read again.
        f.threads.push(comment(3, "2026-03-01T08:00:00Z"));
        for n in 10..130 {
            f.threads.push(comment(
                n,
                &format!("2026-03-01T11:{:02}:{:02}Z", n / 60, n % 60),
            ));
        }
    }
    let calls_before = fake.lock().unwrap().calls.len();
    let page = YOUTUBE
        .find(&mut creds, "relais", Some(&cursor))
        .await
        .unwrap();
    assert_eq!(page.hits.len(), 122);
    assert_eq!(page.hits[0].network_id, "UgxNewComment000129Zz");
    let ids = ids(&page);
    assert!(ids.contains(&"UgxNewComment000001Zz"));
    assert!(ids.contains(&"UgxNewComment000002Zz"));
    assert!(!ids.contains(&"UgxNewComment000003Zz"));
    assert!(!ids.contains(&"UgzRelaisThread0001AaBb"));
    {
        let f = fake.lock().unwrap();
        let tokens: Vec<Option<&String>> = f.calls[calls_before..]
            .iter()
            .map(|(q, _)| q.get("pageToken"))
            .collect();
        assert_eq!(
            tokens,
            [None, Some(&"QURTSl100".to_owned())],
            "two pages, then it stops"
        );
    }

    YOUTUBE
        .assert_nothing_new(&mut creds, "relais", &page.cursor.unwrap())
        .await;
}

#[tokio::test]
async fn an_empty_result() {
    let (server, _fake) = start().await;
    let mut creds = credentials(&server);
    let page = YOUTUBE.find(&mut creds, "introuvable", None).await.unwrap();
    assert_eq!(page, SearchPage::default());
}

#[tokio::test]
async fn an_expired_token_is_renewed_and_a_revoked_one_says_to_reconnect() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    fake.lock().unwrap().access_token = "ya29.elsewhere".into();
    let page = YOUTUBE.find(&mut creds, "relais", None).await.unwrap();
    assert_eq!(page.hits.len(), 3);
    assert!(creds.changed);
    assert_eq!(creds.secret("access_token"), Some("ya29.token-1"));
    assert_eq!(creds.secret("refresh_token"), Some("1//refresh"));

    {
        let mut f = fake.lock().unwrap();
        f.access_token = "ya29.elsewhere".into();
        f.refresh_token = "1//revoked".into();
    }
    let err = YOUTUBE.find(&mut creds, "relais", None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.starts_with("YouTube search:") && m.contains("connect")),
        "{err}"
    );
}

#[tokio::test]
async fn quotas_rate_limits_and_garbage() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let quota = r#"{"error": {"code": 403, "message": "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.", "errors": [{"message": "quota", "domain": "youtube.quota", "reason": "quotaExceeded"}]}}"#;
    inject(&fake, "GET", PATH, 403, vec![], quota);
    let err = YOUTUBE.find(&mut creds, "relais", None).await.unwrap_err();
    let wait = rate_limit_wait(err);
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_secs(25 * 3600),
        "{wait:?}"
    );

    let limited = r#"{"error": {"code": 429, "message": "Too many requests", "errors": [{"reason": "rateLimitExceeded"}]}}"#;
    inject(
        &fake,
        "GET",
        PATH,
        429,
        vec![("retry-after", "30".to_owned())],
        limited,
    );
    let err = YOUTUBE.find(&mut creds, "relais", None).await.unwrap_err();
    assert_eq!(
        err,
        NetworkError::RateLimited {
            retry_after: Some(Duration::from_secs(30))
        }
    );

    YOUTUBE
        .assert_failures(
            &mut creds,
            "relais",
            |status, body| inject(&fake, "GET", PATH, status, vec![], body),
            &[
                (200, "{\"items\": [", |e| {
                    matches!(e, NetworkError::Transient(m) if m.starts_with("YouTube search:") && m.contains("not JSON"))
                }),
                (200, "\"items\"", |e| {
                    matches!(e, NetworkError::Transient(m) if m.contains("not a list of comments"))
                }),
                (
                    500,
                    r#"{"error": {"code": 500, "message": "Backend Error", "errors": [{"reason": "backendError"}]}}"#,
                    |e| matches!(e, NetworkError::Transient(_)),
                ),
            ],
        )
        .await;
}

#[tokio::test]
async fn an_api_key_reads_one_video_and_bad_scopes_are_said() {
    let (server, fake) = start().await;
    let mut creds = key_credentials(&server, API_KEY);
    let query = SearchQuery {
        within: Some("vidRelais02"),
        ..SearchQuery::new("relais")
    };
    let page = YOUTUBE.search(&mut creds, &query).await.unwrap();
    assert_eq!(ids(&page), ["UgzRelaisThread0002AaBb"]);
    {
        let f = fake.lock().unwrap();
        let (q, bearer) = f.calls.last().unwrap();
        assert!(!bearer, "a key, no token");
        assert_eq!(q.get("key").map(String::as_str), Some(API_KEY));
        assert_eq!(q.get("videoId").map(String::as_str), Some("vidRelais02"));
    }

    let channel = SearchQuery {
        within: Some("UCrelaisChannel000000001"),
        ..SearchQuery::new("relais")
    };
    assert_eq!(
        YOUTUBE
            .search(&mut creds, &channel)
            .await
            .unwrap()
            .hits
            .len(),
        3
    );

    let err = YOUTUBE.find(&mut creds, "relais", None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Misconfigured(ref m) if m.contains("which YouTube channel")),
        "{err}"
    );

    let odd = SearchQuery {
        within: Some("not a video"),
        ..SearchQuery::new("relais")
    };
    let err = YOUTUBE.search(&mut creds, &odd).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("neither")),
        "{err}"
    );

    let closed = SearchQuery {
        within: Some("vidNoComms1"),
        ..SearchQuery::new("relais")
    };
    let err = YOUTUBE.search(&mut creds, &closed).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("commentsDisabled") && !m.contains("<code>")),
        "{err}"
    );

    let mut wrong = key_credentials(&server, "AIza-wrong");
    let err = YOUTUBE.search(&mut wrong, &query).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Misconfigured(ref m) if m.contains("API key")),
        "{err}"
    );
}

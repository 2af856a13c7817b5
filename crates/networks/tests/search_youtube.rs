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
use common::{Injected, push_injected, take_injected};
use relais_networks::search::{SearchPage, SearchQuery, search};
use relais_networks::{Credentials, NetworkError};
use relais_testkit::mock_http::MockHttp;
use serde_json::{Value, json};

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
    let max: usize = q
        .get("maxResults")
        .and_then(|m| m.parse().ok())
        .unwrap_or(20)
        .min(100);
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
    let page: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(max)
        .map(|t| (*t).clone())
        .collect();
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

async fn run(creds: &mut Credentials, query: &SearchQuery<'_>) -> Result<SearchPage, NetworkError> {
    let http = common::client(Duration::from_secs(10));
    search("youtube", &http, creds, query).await
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

fn inject(fake: &Shared, status: u16, headers: Vec<(&'static str, String)>, body: &str) {
    push_injected(
        &mut fake.lock().unwrap().inject,
        "GET",
        PATH,
        status,
        headers,
        body,
    );
}

#[tokio::test]
async fn the_channels_comments_become_hits() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let page = run(&mut creds, &SearchQuery::new("relais")).await.unwrap();
    let ids: Vec<&str> = page.hits.iter().map(|h| h.network_id.as_str()).collect();
    assert_eq!(
        ids,
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
        for (k, v) in [
            ("part", "snippet"),
            ("allThreadsRelatedToChannelId", "UCrelaisChannel000000001"),
            ("searchTerms", "relais"),
            ("order", "time"),
            ("maxResults", "100"),
            ("textFormat", "plainText"),
        ] {
            assert_eq!(q.get(k).map(String::as_str), Some(v), "{k}");
        }
    }
    // The channel id is kept: not asked for again.
    run(&mut creds, &SearchQuery::new("relais")).await.unwrap();
    assert_eq!(fake.lock().unwrap().channel_lookups, 1);
}

#[tokio::test]
async fn the_cursor_stops_at_what_was_seen_and_keeps_late_comments() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let cursor = run(&mut creds, &SearchQuery::new("relais"))
        .await
        .unwrap()
        .cursor
        .unwrap();
    let again = run(&mut creds, &SearchQuery::new("relais").after(Some(&cursor)))
        .await
        .unwrap();
    assert!(again.hits.is_empty(), "{:?}", again.hits);
    assert_eq!(again.cursor.as_deref(), Some(cursor.as_str()));

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
    let page = run(&mut creds, &SearchQuery::new("relais").after(Some(&cursor)))
        .await
        .unwrap();
    assert_eq!(page.hits.len(), 122);
    assert_eq!(page.hits[0].network_id, "UgxNewComment000129Zz");
    let ids: Vec<&str> = page.hits.iter().map(|h| h.network_id.as_str()).collect();
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

    let later = run(
        &mut creds,
        &SearchQuery::new("relais").after(page.cursor.as_deref()),
    )
    .await
    .unwrap();
    assert!(later.hits.is_empty(), "{:?}", later.hits);
}

#[tokio::test]
async fn an_empty_result() {
    let (server, _fake) = start().await;
    let mut creds = credentials(&server);
    let page = run(&mut creds, &SearchQuery::new("introuvable"))
        .await
        .unwrap();
    assert_eq!(page, SearchPage::default());
}

#[tokio::test]
async fn an_expired_token_is_renewed_and_a_revoked_one_says_to_reconnect() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    fake.lock().unwrap().access_token = "ya29.elsewhere".into();
    let page = run(&mut creds, &SearchQuery::new("relais")).await.unwrap();
    assert_eq!(page.hits.len(), 3);
    assert!(creds.changed);
    assert_eq!(creds.secret("access_token"), Some("ya29.token-1"));
    assert_eq!(creds.secret("refresh_token"), Some("1//refresh"));

    {
        let mut f = fake.lock().unwrap();
        f.access_token = "ya29.elsewhere".into();
        f.refresh_token = "1//revoked".into();
    }
    let err = run(&mut creds, &SearchQuery::new("relais"))
        .await
        .unwrap_err();
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
    inject(&fake, 403, vec![], quota);
    let err = run(&mut creds, &SearchQuery::new("relais"))
        .await
        .unwrap_err();
    let NetworkError::RateLimited {
        retry_after: Some(wait),
    } = err
    else {
        panic!("a quota is a wait: {err}");
    };
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_secs(25 * 3600),
        "{wait:?}"
    );

    let limited = r#"{"error": {"code": 429, "message": "Too many requests", "errors": [{"reason": "rateLimitExceeded"}]}}"#;
    inject(&fake, 429, vec![("retry-after", "30".to_owned())], limited);
    let err = run(&mut creds, &SearchQuery::new("relais"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        NetworkError::RateLimited {
            retry_after: Some(Duration::from_secs(30))
        }
    );

    inject(&fake, 200, vec![], "{\"items\": [");
    let err = run(&mut creds, &SearchQuery::new("relais"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.starts_with("YouTube search:") && m.contains("not JSON")),
        "{err}"
    );
    inject(&fake, 200, vec![], "\"items\"");
    let err = run(&mut creds, &SearchQuery::new("relais"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("not a list of comments")),
        "{err}"
    );

    inject(
        &fake,
        500,
        vec![],
        r#"{"error": {"code": 500, "message": "Backend Error", "errors": [{"reason": "backendError"}]}}"#,
    );
    let err = run(&mut creds, &SearchQuery::new("relais"))
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");
}

#[tokio::test]
async fn an_api_key_reads_one_video_and_bad_scopes_are_said() {
    let (server, fake) = start().await;
    let mut creds = key_credentials(&server, API_KEY);
    let query = SearchQuery {
        within: Some("vidRelais02"),
        ..SearchQuery::new("relais")
    };
    let page = run(&mut creds, &query).await.unwrap();
    let ids: Vec<&str> = page.hits.iter().map(|h| h.network_id.as_str()).collect();
    assert_eq!(ids, ["UgzRelaisThread0002AaBb"]);
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
    assert_eq!(run(&mut creds, &channel).await.unwrap().hits.len(), 3);

    let err = run(&mut creds, &SearchQuery::new("relais"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Misconfigured(ref m) if m.contains("which YouTube channel")),
        "{err}"
    );

    let odd = SearchQuery {
        within: Some("not a video"),
        ..SearchQuery::new("relais")
    };
    let err = run(&mut creds, &odd).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("neither")),
        "{err}"
    );

    let closed = SearchQuery {
        within: Some("vidNoComms1"),
        ..SearchQuery::new("relais")
    };
    let err = run(&mut creds, &closed).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("commentsDisabled") && !m.contains("<code>")),
        "{err}"
    );

    let mut wrong = key_credentials(&server, "AIza-wrong");
    let err = run(&mut wrong, &query).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Misconfigured(ref m) if m.contains("API key")),
        "{err}"
    );
}

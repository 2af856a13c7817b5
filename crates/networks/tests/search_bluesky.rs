//! Bluesky's post search against a small stateful fake of the XRPC methods it uses, written
//! from the AT Protocol lexicons and Bluesky's API documentation: a PDS's
//! `com.atproto.server.createSession` and `refreshSession` (access tokens that expire and then
//! answer 400 `ExpiredToken`), and the AppView's `app.bsky.feed.searchPosts` (`q`,
//! `sort=latest`, `since` on `sortAt` inclusive, `limit` up to 100, `cursor`) and
//! `app.bsky.actor.getProfiles` (`actors` repeated); 429s with `ratelimit-*` headers; XRPC
//! errors as `{"error", "message"}`. Without a token the fake answers as a public AppView, or
//! refuses (403) when told to. Posts start from `fixtures/search/bluesky_search_posts.json`.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use common::search::{
    Injectable, Network, assert_sent, has_every_word, inject, page_of, page_size, rate_limit_wait,
    unix_now,
};
use common::{Injected, take_injected};
use relais_networks::search::SearchPage;
use relais_networks::{Credentials, NetworkError};
use relais_testkit::mock_http::MockHttp;
use serde_json::{Value, json};

const BLUESKY: Network = Network("bluesky");
const FIXTURE: &str = include_str!("fixtures/search/bluesky_search_posts.json");
const SEARCH: &str = "/xrpc/app.bsky.feed.searchPosts";
const PROFILES: &str = "/xrpc/app.bsky.actor.getProfiles";
const HANDLE: &str = "brand.test";
const APP_PASSWORD: &str = "abcd-efgh-ijkl-mnop";

struct Fake {
    posts: Vec<Value>,
    profiles: Vec<Value>,
    access: String,
    refresh: String,
    issued: u32,
    /// Whether a call without a token is answered (a public AppView) or refused.
    public: bool,
    inject: VecDeque<Injected>,
    /// Every searchPosts query, with whether it came with a token.
    searches: Vec<(HashMap<String, String>, bool)>,
    /// `METHOD path` of the session calls.
    sessions: Vec<String>,
}

type Shared = Arc<Mutex<Fake>>;

impl Injectable for Fake {
    fn injected(&mut self) -> &mut VecDeque<Injected> {
        &mut self.inject
    }
}

fn xrpc_error(status: u16, error: &str, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({ "error": error, "message": message })),
    )
        .into_response()
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
}

fn issue(fake: &mut Fake) -> Response {
    fake.issued += 1;
    fake.access = format!("access-{}", fake.issued);
    fake.refresh = format!("refresh-{}", fake.issued);
    axum::Json(
        json!({ "did": "did:plc:brand", "handle": HANDLE, "accessJwt": fake.access,
                       "refreshJwt": fake.refresh, "active": true }),
    )
    .into_response()
}

async fn create_session(State(s): State<Shared>, axum::Json(body): axum::Json<Value>) -> Response {
    let mut fake = s.lock().unwrap();
    fake.sessions.push("createSession".into());
    if body["identifier"] != HANDLE || body["password"] != APP_PASSWORD {
        return xrpc_error(
            401,
            "AuthenticationRequired",
            "Invalid identifier or password",
        );
    }
    issue(&mut fake)
}

async fn refresh_session(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let mut fake = s.lock().unwrap();
    fake.sessions.push("refreshSession".into());
    if bearer(&headers).as_deref() != Some(fake.refresh.as_str()) {
        return xrpc_error(400, "ExpiredToken", "Token has been revoked");
    }
    issue(&mut fake)
}

/// `None` when the call to `path` may go on; the injected answer or the refusal otherwise.
fn gate(fake: &mut Fake, headers: &HeaderMap, path: &str) -> Option<Response> {
    if let Some(r) = take_injected(&mut fake.inject, "GET", path) {
        return Some(r);
    }
    match bearer(headers) {
        Some(token) if token == fake.access => None,
        Some(_) => Some(xrpc_error(400, "ExpiredToken", "Token has expired")),
        None if fake.public => None,
        None => Some(xrpc_error(
            403,
            "Forbidden",
            "Authentication required to search",
        )),
    }
}

fn sort_at(post: &Value) -> String {
    let created = post["record"]["createdAt"].as_str().unwrap().to_owned();
    let indexed = post["indexedAt"].as_str().unwrap().to_owned();
    created.min(indexed)
}

async fn search_posts(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(refusal) = gate(&mut fake, &headers, SEARCH) {
        return refusal;
    }
    fake.searches
        .push((q.clone(), headers.contains_key("authorization")));
    let since = q.get("since").cloned();
    let limit = page_size(&q, "limit", 25, 100);
    let mut matching: Vec<&Value> = fake
        .posts
        .iter()
        .filter(|p| {
            // Times in the fixture all have milliseconds and `Z`: they compare as text.
            has_every_word(&q["q"], p["record"]["text"].as_str().unwrap())
                && since.as_ref().is_none_or(|s| sort_at(p) >= *s)
        })
        .collect();
    matching.sort_by_key(|p| std::cmp::Reverse(sort_at(p)));
    let start: usize = q.get("cursor").map(|c| c.parse().unwrap()).unwrap_or(0);
    let page = page_of(&matching, start, limit);
    let mut body = json!({ "posts": page, "hitsTotal": matching.len() });
    if start + limit < matching.len() {
        body["cursor"] = json!((start + limit).to_string());
    }
    axum::Json(body).into_response()
}

async fn get_profiles(
    State(s): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(refusal) = gate(&mut fake, &headers, PROFILES) {
        return refusal;
    }
    let actors: Vec<String> = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .filter(|(k, _)| k == "actors")
        .map(|(_, v)| v.into_owned())
        .collect();
    if actors.len() > 25 {
        return xrpc_error(
            400,
            "InvalidRequest",
            "actors must not have more than 25 elements",
        );
    }
    let profiles: Vec<Value> = fake
        .profiles
        .iter()
        .filter(|p| actors.iter().any(|a| p["did"] == a.as_str()))
        .cloned()
        .collect();
    axum::Json(json!({ "profiles": profiles })).into_response()
}

async fn start() -> (MockHttp, Shared) {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let shared: Shared = Arc::new(Mutex::new(Fake {
        posts: fixture["posts"].as_array().unwrap().clone(),
        profiles: fixture["profiles"].as_array().unwrap().clone(),
        access: String::new(),
        refresh: String::new(),
        issued: 0,
        public: true,
        inject: VecDeque::new(),
        searches: Vec::new(),
        sessions: Vec::new(),
    }));
    let router = Router::new()
        .route(
            "/xrpc/com.atproto.server.createSession",
            post(create_session),
        )
        .route(
            "/xrpc/com.atproto.server.refreshSession",
            post(refresh_session),
        )
        .route(SEARCH, get(search_posts))
        .route(PROFILES, get(get_profiles))
        .with_state(shared.clone());
    (MockHttp::start(router).await, shared)
}

/// Searching a public AppView, without an account.
fn public(server: &MockHttp) -> Credentials {
    Credentials {
        settings: json!({ "appview": server.base_url() }),
        ..Credentials::default()
    }
}

/// Searching through the channel's PDS session.
fn session(server: &MockHttp) -> Credentials {
    Credentials {
        settings: json!({ "service": server.base_url(), "handle": HANDLE }),
        secrets: [("app_password".to_owned(), APP_PASSWORD.to_owned())].into(),
        changed: false,
    }
}

/// The hits' record keys (the end of their URIs), in order.
fn rkeys(page: &SearchPage) -> Vec<&str> {
    page.hits
        .iter()
        .map(|h| h.network_id.rsplit('/').next().unwrap())
        .collect()
}

fn new_post(n: u32, created: &str, indexed: &str) -> Value {
    json!({ "uri": format!("at://did:plc:dev2bbbbbbbbbbbbbbbbbbbb/app.bsky.feed.post/3lcnew{n:05}"),
            "cid": "bafyreinew", "indexedAt": indexed,
            "author": { "did": "did:plc:dev2bbbbbbbbbbbbbbbbbbbb", "handle": "dev.example.com" },
            "record": { "$type": "app.bsky.feed.post", "text": format!("relais again {n}"), "createdAt": created } })
}

#[tokio::test]
async fn a_public_appview_page_becomes_hits_with_follower_counts() {
    let (server, fake) = start().await;
    let mut creds = public(&server);
    let page = BLUESKY.find(&mut creds, "relais", None).await.unwrap();
    assert_eq!(
        rkeys(&page),
        ["3lbrelais0001", "3lbrelais0002", "3lbrelais0003"]
    );

    let first = &page.hits[0];
    assert_eq!(
        first.network_id,
        "at://did:plc:fan1aaaaaaaaaaaaaaaaaaaa/app.bsky.feed.post/3lbrelais0001"
    );
    assert_eq!(
        first.url.as_deref(),
        Some("https://bsky.app/profile/fan.bsky.social/post/3lbrelais0001")
    );
    assert_eq!(first.text, "Relais a changé ma façon de publier");
    assert_eq!(first.author_handle.as_deref(), Some("fan.bsky.social"));
    assert_eq!(first.author_name.as_deref(), Some("Fan de Relais"));
    assert_eq!(first.author_followers, Some(320));
    assert_eq!(first.published_at, Some(1_772_359_200_000));
    assert_eq!(first.lang.as_deref(), Some("fr"));
    assert_eq!(first.site.as_deref(), Some("bsky.app"));
    let reply = &page.hits[1];
    assert_eq!(
        reply.in_reply_to.as_deref(),
        Some("at://did:plc:brand/app.bsky.feed.post/3lbbrandpost1")
    );
    assert_eq!(reply.author_name, None, "an empty display name is none");
    assert_eq!(reply.author_followers, Some(15));
    assert_eq!(page.hits[2].lang, None);
    assert!(page.cursor.is_some());

    let f = fake.lock().unwrap();
    assert!(f.sessions.is_empty(), "no account needed");
    let (q, with_token) = &f.searches[0];
    assert!(!with_token);
    assert_sent(q, &[("q", "relais"), ("sort", "latest"), ("limit", "100")]);
    assert!(!q.contains_key("since"));
}

#[tokio::test]
async fn the_cursor_asks_since_the_overlap_and_brings_only_new_posts() {
    let (server, fake) = start().await;
    let mut creds = public(&server);
    let cursor = BLUESKY.first_cursor(&mut creds, "relais").await;
    BLUESKY
        .assert_nothing_new(&mut creds, "relais", &cursor)
        .await;
    {
        let f = fake.lock().unwrap();
        let (q, _) = f.searches.last().unwrap();
        // The newest sortAt seen (10:00:00.000) less the 15-minute overlap.
        assert_eq!(
            q.get("since").map(String::as_str),
            Some("2026-03-01T09:45:00.000Z")
        );
    }
    {
        let mut f = fake.lock().unwrap();
        f.posts.push(new_post(
            1,
            "2026-03-01T10:10:00.000Z",
            "2026-03-01T10:10:00.100Z",
        ));
        // Written before the newest seen, indexed after it: found, inside the overlap.
        f.posts.push(new_post(
            2,
            "2026-03-01T09:56:00.000Z",
            "2026-03-01T10:09:00.000Z",
        ));
        // Back-dated past the overlap: older than what is read again.
        f.posts.push(new_post(
            3,
            "2026-02-01T00:00:00.000Z",
            "2026-03-01T10:09:30.000Z",
        ));
    }
    let page = BLUESKY
        .find(&mut creds, "relais", Some(&cursor))
        .await
        .unwrap();
    assert_eq!(rkeys(&page), ["3lcnew00001", "3lcnew00002"]);
    BLUESKY
        .assert_nothing_new(&mut creds, "relais", &page.cursor.unwrap())
        .await;
}

#[tokio::test]
async fn an_empty_result() {
    let (server, _fake) = start().await;
    let page = BLUESKY
        .find(&mut public(&server), "introuvable", None)
        .await
        .unwrap();
    assert_eq!(page, SearchPage::default());
}

#[tokio::test]
async fn through_the_session_an_expired_token_is_renewed() {
    let (server, fake) = start().await;
    fake.lock().unwrap().public = false;
    let mut creds = session(&server);
    let page = BLUESKY.find(&mut creds, "relais", None).await.unwrap();
    assert_eq!(page.hits.len(), 3);
    assert_eq!(
        page.hits[0].author_followers,
        Some(320),
        "getProfiles through the session too"
    );
    assert_eq!(creds.secret("access_jwt"), Some("access-1"));
    assert!(
        fake.lock()
            .unwrap()
            .searches
            .iter()
            .all(|(_, token)| *token)
    );

    // The access token expires: refreshed, and the search sent again.
    fake.lock().unwrap().access = "access-rotated".into();
    let page = BLUESKY.find(&mut creds, "relais", None).await.unwrap();
    assert_eq!(page.hits.len(), 3);
    assert_eq!(creds.secret("access_jwt"), Some("access-2"));
    assert_eq!(
        fake.lock().unwrap().sessions,
        ["createSession", "refreshSession"]
    );

    // Everything refused: the app password was revoked.
    {
        let mut f = fake.lock().unwrap();
        f.access = "gone".into();
        f.refresh = "gone".into();
    }
    creds.set_secret("app_password", "revoked".into());
    let err = BLUESKY.find(&mut creds, "relais", None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.starts_with("Bluesky search:") && m.contains("connect the channel again")),
        "{err}"
    );
}

#[tokio::test]
async fn rate_limits_refusals_and_garbage() {
    let (server, fake) = start().await;
    let mut creds = public(&server);
    let now = unix_now();
    let limits = vec![
        ("ratelimit-limit", "3000".to_owned()),
        ("ratelimit-remaining", "0".to_owned()),
        ("ratelimit-reset", (now + 60).to_string()),
        ("ratelimit-policy", "3000;w=300".to_owned()),
    ];
    inject(
        &fake,
        "GET",
        SEARCH,
        429,
        limits,
        r#"{"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}"#,
    );
    let err = BLUESKY.find(&mut creds, "relais", None).await.unwrap_err();
    let wait = rate_limit_wait(err);
    assert!((58..=60).contains(&wait.as_secs()), "{wait:?}");

    BLUESKY
        .assert_failures(
            &mut creds,
            "relais",
            |status, body| inject(&fake, "GET", SEARCH, status, vec![], body),
            &[
                (200, "{\"posts\": [{", |e| {
                    matches!(e, NetworkError::Transient(m) if m.starts_with("Bluesky search:") && m.contains("not JSON"))
                }),
                (200, r#"{"feed": []}"#, |e| {
                    matches!(e, NetworkError::Transient(m) if m.contains("without a list of posts"))
                }),
                (
                    400,
                    r#"{"error": "BadQueryString", "message": "Error: params must have required property 'q'"}"#,
                    |e| matches!(e, NetworkError::Rejected(m) if m.contains("BadQueryString")),
                ),
            ],
        )
        .await;

    // The follower counts are a bonus: without them, the hits still come.
    inject(
        &fake,
        "GET",
        PROFILES,
        500,
        vec![],
        r#"{"error": "InternalServerError"}"#,
    );
    let page = BLUESKY.find(&mut creds, "relais", None).await.unwrap();
    assert_eq!(page.hits.len(), 3);
    assert!(page.hits.iter().all(|h| h.author_followers.is_none()));

    // A public AppView that wants an account says what to change.
    fake.lock().unwrap().public = false;
    let err = BLUESKY.find(&mut creds, "relais", None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Misconfigured(ref m) if m.contains("`appview`")),
        "{err}"
    );

    // A PDS with no AppView behind it.
    let mut through_pds = session(&server);
    fake.lock().unwrap().public = true;
    inject(
        &fake,
        "GET",
        SEARCH,
        501,
        vec![],
        r#"{"error": "MethodNotImplemented", "message": "Method Not Implemented"}"#,
    );
    let err = BLUESKY
        .find(&mut through_pds, "relais", None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Unsupported(ref m) if m.contains("AppView")),
        "{err}"
    );

    let mut nowhere = Credentials::default();
    let err = BLUESKY
        .find(&mut nowhere, "relais", None)
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Misconfigured(_)), "{err}");
}

#[tokio::test]
async fn many_new_posts_are_read_over_several_pages() {
    let (server, fake) = start().await;
    let mut creds = public(&server);
    let cursor = BLUESKY.first_cursor(&mut creds, "relais").await;
    {
        let mut f = fake.lock().unwrap();
        for n in 0..120 {
            let at = format!("2026-03-01T11:{:02}:{:02}.000Z", n / 60, n % 60);
            f.posts.push(new_post(n, &at, &at));
        }
    }
    let page = BLUESKY
        .find(&mut creds, "relais", Some(&cursor))
        .await
        .unwrap();
    assert_eq!(page.hits.len(), 120);
    assert!(page.hits[0].network_id.ends_with("3lcnew00119"));
    let f = fake.lock().unwrap();
    let pages: Vec<Option<&String>> = f.searches[1..]
        .iter()
        .map(|(q, _)| q.get("cursor"))
        .collect();
    assert_eq!(pages, [None, Some(&"100".to_owned())]);
}

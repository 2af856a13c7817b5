//! X's recent search against a small stateful fake of `GET /2/tweets/search/recent` and the
//! OAuth 2.0 token endpoint, written from X's API v2 documentation: `query`, `max_results`
//! (10 to 100), `since_id` (refused with a 400 problem when older than the seven days searched),
//! `next_token`; answers newest first with `includes.users` for `expansions=author_id` and
//! `meta` (`newest_id`, `oldest_id`, `result_count`, `next_token`), `{"meta": {"result_count":
//! 0}}` when nothing matches; RFC 7807 problems for errors; a token endpoint that rotates
//! refresh tokens. Posts start from `fixtures/search/x_recent_search.json`.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use common::search::{
    Injectable, Network, assert_sent, has_every_word, ids, inject, page_of, rate_limit_wait,
    unix_now,
};
use common::{Injected, take_injected};
use relais_networks::search::SearchPage;
use relais_networks::{Credentials, NetworkError};
use relais_testkit::mock_http::MockHttp;
use serde_json::{Value, json};

const X: Network = Network("x");
const CLIENT_ID: &str = "cmVsYWlzLWxpc3Rlbg";
const RECENT: &str = "/2/tweets/search/recent";
const FIXTURE: &str = include_str!("fixtures/search/x_recent_search.json");
/// Ids below this are older than the seven days recent search covers.
const OLDEST_SEARCHABLE: u64 = 1_800_000_000_000_000_000;

struct Fake {
    posts: Vec<Value>,
    users: Vec<Value>,
    access_token: String,
    refresh_token: String,
    refuse_refresh: bool,
    issued: u32,
    inject: VecDeque<Injected>,
    searches: Vec<HashMap<String, String>>,
}

type Shared = Arc<Mutex<Fake>>;

impl Injectable for Fake {
    fn injected(&mut self) -> &mut VecDeque<Injected> {
        &mut self.inject
    }
}

fn problem(status: u16, title: &str, detail: &str, errors: Value) -> Response {
    let mut body =
        json!({ "title": title, "detail": detail, "type": "about:blank", "status": status });
    if !errors.is_null() {
        body["errors"] = errors;
    }
    (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
}

fn id_of(post: &Value) -> u64 {
    post["id"].as_str().unwrap().parse().unwrap()
}

async fn token(State(s): State<Shared>, Form(f): Form<HashMap<String, String>>) -> Response {
    let mut fake = s.lock().unwrap();
    let valid = !fake.refuse_refresh
        && f.get("grant_type").map(String::as_str) == Some("refresh_token")
        && f.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && f.get("refresh_token") == Some(&fake.refresh_token);
    if !valid {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": "invalid_request", "error_description": "Value passed for the token was invalid." })),
        )
            .into_response();
    }
    fake.issued += 1;
    fake.access_token = format!("at-{}", fake.issued);
    fake.refresh_token = format!("rt-{}", fake.issued);
    axum::Json(json!({ "token_type": "bearer", "expires_in": 7200, "access_token": fake.access_token,
                       "refresh_token": fake.refresh_token, "scope": "tweet.read users.read offline.access" }))
    .into_response()
}

async fn recent(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = take_injected(&mut fake.inject, "GET", RECENT) {
        return r;
    }
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok());
    if bearer != Some(format!("Bearer {}", fake.access_token).as_str()) {
        return problem(401, "Unauthorized", "Unauthorized", Value::Null);
    }
    fake.searches.push(q.clone());
    let max: usize = q
        .get("max_results")
        .and_then(|m| m.parse().ok())
        .unwrap_or(10);
    if !(10..=100).contains(&max) {
        return problem(
            400,
            "Invalid Request",
            "One or more parameters to your request was invalid.",
            json!([{ "message": "The `max_results` query parameter value is not between 10 and 100" }]),
        );
    }
    let since: Option<u64> = q.get("since_id").map(|s| s.parse().unwrap());
    if let Some(since) = since.filter(|s| *s < OLDEST_SEARCHABLE) {
        return problem(
            400,
            "Invalid Request",
            "One or more parameters to your request was invalid.",
            json!([{ "parameters": { "since_id": [since.to_string()] },
                     "message": format!("Invalid 'since_id':'{since}'. 'since_id' must be a tweet id created after 2026-02-22T10:00Z.") }]),
        );
    }
    let mut matching: Vec<&Value> = fake
        .posts
        .iter()
        .filter(|p| {
            let text = p["note_tweet"]["text"]
                .as_str()
                .or(p["text"].as_str())
                .unwrap();
            has_every_word(&q["query"], text) && since.is_none_or(|s| id_of(p) > s)
        })
        .collect();
    matching.sort_by_key(|p| std::cmp::Reverse(id_of(p)));
    let start: usize = q
        .get("next_token")
        .map(|t| t.trim_start_matches("page-").parse().unwrap())
        .unwrap_or(0);
    let page = page_of(&matching, start, max);
    if page.is_empty() {
        return axum::Json(json!({ "meta": { "result_count": 0 } })).into_response();
    }
    let authors: Vec<&str> = page
        .iter()
        .map(|p| p["author_id"].as_str().unwrap())
        .collect();
    let users: Vec<Value> = fake
        .users
        .iter()
        .filter(|u| authors.contains(&u["id"].as_str().unwrap()))
        .cloned()
        .collect();
    let mut meta = json!({ "newest_id": page[0]["id"], "oldest_id": page[page.len() - 1]["id"],
                           "result_count": page.len() });
    if start + page.len() < matching.len() {
        meta["next_token"] = json!(format!("page-{}", start + page.len()));
    }
    axum::Json(json!({ "data": page, "includes": { "users": users }, "meta": meta }))
        .into_response()
}

async fn start() -> (MockHttp, Shared) {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let shared: Shared = Arc::new(Mutex::new(Fake {
        posts: fixture["posts"].as_array().unwrap().clone(),
        users: fixture["users"].as_array().unwrap().clone(),
        access_token: "at-0".into(),
        refresh_token: "rt-0".into(),
        refuse_refresh: false,
        issued: 0,
        inject: VecDeque::new(),
        searches: Vec::new(),
    }));
    let router = Router::new()
        .route("/2/oauth2/token", post(token))
        .route(RECENT, get(recent))
        .with_state(shared.clone());
    (MockHttp::start(router).await, shared)
}

fn credentials(server: &MockHttp) -> Credentials {
    Credentials {
        settings: json!({ "api_base": server.base_url(), "client_id": CLIENT_ID }),
        secrets: [
            ("access_token".to_owned(), "at-0".to_owned()),
            ("refresh_token".to_owned(), "rt-0".to_owned()),
        ]
        .into(),
        changed: false,
    }
}

fn new_post(n: u64) -> Value {
    json!({ "id": (1_900_000_000_000_001_000 + n).to_string(), "author_id": "2002",
            "created_at": "2026-03-01T11:00:00.000Z", "lang": "en", "text": format!("Relais news {n}") })
}

#[tokio::test]
async fn a_page_of_posts_becomes_hits_with_their_authors() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let page = X.find(&mut creds, "relais", None).await.unwrap();
    assert_eq!(
        ids(&page),
        [
            "1900000000000000104",
            "1900000000000000103",
            "1900000000000000102",
            "1900000000000000101"
        ]
    );
    assert_eq!(page.cursor.as_deref(), Some("1900000000000000104"));

    let first = &page.hits[0];
    assert_eq!(first.text, "Relais & sa file d'attente : top");
    assert_eq!(
        first.url.as_deref(),
        Some("https://x.com/fan_fr/status/1900000000000000104")
    );
    assert_eq!(first.author_handle.as_deref(), Some("fan_fr"));
    assert_eq!(first.author_name.as_deref(), Some("Fan de Relais"));
    assert_eq!(first.author_followers, Some(1250));
    assert_eq!(first.published_at, Some(1_772_359_200_000));
    assert_eq!(first.lang.as_deref(), Some("fr"));
    assert_eq!(first.site.as_deref(), Some("x.com"));
    assert_eq!(
        page.hits[1].text,
        "@relais_app does Relais support threads? <3"
    );
    assert_eq!(
        page.hits[1].in_reply_to.as_deref(),
        Some("1900000000000000050")
    );
    assert!(
        page.hits[2]
            .text
            .contains("donne en entier dans note_tweet"),
        "long posts come whole"
    );
    assert_eq!(page.hits[3].lang, None, "`und` is no language");

    let f = fake.lock().unwrap();
    let q = &f.searches[0];
    assert_sent(
        q,
        &[
            ("query", "relais"),
            ("max_results", "100"),
            ("expansions", "author_id"),
            ("user.fields", "username,name,public_metrics"),
        ],
    );
    for field in [
        "created_at",
        "lang",
        "author_id",
        "referenced_tweets",
        "note_tweet",
    ] {
        assert!(q["tweet.fields"].split(',').any(|f| f == field), "{field}");
    }
    assert!(!q.contains_key("since_id"));
}

#[tokio::test]
async fn the_cursor_is_sent_as_since_id_and_brings_only_newer_posts() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let cursor = X.first_cursor(&mut creds, "relais").await;
    X.assert_nothing_new(&mut creds, "relais", &cursor).await;

    {
        let mut f = fake.lock().unwrap();
        for n in 0..130 {
            f.posts.push(new_post(n));
        }
    }
    let page = X.find(&mut creds, "relais", Some(&cursor)).await.unwrap();
    assert_eq!(page.hits.len(), 130);
    assert_eq!(page.hits[0].network_id, "1900000000000001129");
    assert_eq!(page.hits[0].author_handle.as_deref(), Some("curious_dev"));
    assert_eq!(page.cursor.as_deref(), Some("1900000000000001129"));
    let f = fake.lock().unwrap();
    let last_two: Vec<(Option<&String>, Option<&String>)> = f.searches[2..]
        .iter()
        .map(|q| (q.get("since_id"), q.get("next_token")))
        .collect();
    assert_eq!(last_two.len(), 2, "two pages");
    assert!(
        last_two
            .iter()
            .all(|(since, _)| since.map(String::as_str) == Some(cursor.as_str()))
    );
    assert_eq!(last_two[1].1.map(String::as_str), Some("page-100"));
}

#[tokio::test]
async fn an_empty_result() {
    let (server, _fake) = start().await;
    let mut creds = credentials(&server);
    let page = X.find(&mut creds, "introuvable", None).await.unwrap();
    assert_eq!(page, SearchPage::default());
}

#[tokio::test]
async fn an_expired_token_is_renewed_and_a_refused_refresh_says_to_reconnect() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    fake.lock().unwrap().access_token = "at-elsewhere".into();
    fake.lock().unwrap().refresh_token = "rt-0".into();
    let page = X.find(&mut creds, "relais", None).await.unwrap();
    assert_eq!(page.hits.len(), 4);
    assert!(creds.changed);
    assert_eq!(creds.secret("access_token"), Some("at-1"));
    assert_eq!(
        creds.secret("refresh_token"),
        Some("rt-1"),
        "X rotates refresh tokens"
    );

    {
        let mut f = fake.lock().unwrap();
        f.access_token = "at-gone".into();
        f.refuse_refresh = true;
    }
    let err = X.find(&mut creds, "relais", None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.starts_with("X search:")),
        "{err}"
    );
}

#[tokio::test]
async fn rate_limits_refusals_and_garbage() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let now = unix_now();
    let limits = vec![
        ("x-rate-limit-limit", "450".to_owned()),
        ("x-rate-limit-remaining", "0".to_owned()),
        ("x-rate-limit-reset", (now + 120).to_string()),
    ];
    inject(
        &fake,
        "GET",
        RECENT,
        429,
        limits,
        r#"{"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}"#,
    );
    let err = X.find(&mut creds, "relais", None).await.unwrap_err();
    let wait = rate_limit_wait(err);
    assert!((118..=120).contains(&wait.as_secs()), "{wait:?}");

    X.assert_failures(
        &mut creds,
        "relais",
        |status, body| inject(&fake, "GET", RECENT, status, vec![], body),
        &[
            (200, r#"{"data": [{"id": "1"#, |e| {
                matches!(e, NetworkError::Transient(m) if m.starts_with("X search:") && m.contains("not JSON"))
            }),
            (200, "[1, 2]", |e| {
                matches!(e, NetworkError::Transient(m) if m.contains("not a search result"))
            }),
            (
                403,
                r#"{"title": "Client Forbidden", "detail": "This request must be made using an approved developer account that is enrolled in the requested endpoint.", "reason": "client-not-enrolled", "type": "https://api.twitter.com/2/problems/client-forbidden"}"#,
                |e| matches!(e, NetworkError::Unsupported(m) if m.contains("enrolled")),
            ),
        ],
    )
    .await;

    inject(
        &fake,
        "GET",
        RECENT,
        400,
        vec![],
        r#"{"title": "Invalid Request", "detail": "One or more parameters to your request was invalid.", "errors": [{"message": "There were errors processing your request: Ambiguous use of and as a keyword."}]}"#,
    );
    let err = X.find(&mut creds, "relais and", None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("Ambiguous")),
        "{err}"
    );
}

#[tokio::test]
async fn a_cursor_older_than_the_searched_week_starts_again_from_the_newest() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let page = X
        .find(&mut creds, "relais", Some("1700000000000000000"))
        .await
        .unwrap();
    assert_eq!(page.hits.len(), 4);
    assert_eq!(page.cursor.as_deref(), Some("1900000000000000104"));
    let f = fake.lock().unwrap();
    assert_eq!(f.searches.len(), 2, "refused, then the newest page");
    assert!(!f.searches[1].contains_key("since_id"));
}

//! Reddit's search against a small stateful fake of the two endpoints it uses, written from
//! Reddit's API documentation: the token endpoint (`POST /api/v1/access_token`,
//! `grant_type=client_credentials` with the client id and secret in HTTP Basic; 401 for a bad
//! secret, a 200 with `error` for a grant it does not take) and `GET /search` or
//! `/r/<sub>/search` (`q`, `sort=new`, `limit`, `after`, `restrict_sr`), answering listings
//! newest first with `after` for the next page, 401 for an unknown token, 429 with
//! `x-ratelimit-*` headers. Posts start from `fixtures/search/reddit_posts.json`.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use common::search::{
    Injectable, Network, assert_sent, has_every_word, ids, inject, page_of, page_size,
};
use common::{Injected, take_injected};
use relais_networks::search::SearchQuery;
use relais_networks::{Credentials, NetworkError};
use relais_testkit::mock_http::MockHttp;
use serde_json::{Value, json};

const REDDIT: Network = Network("reddit");
const CLIENT_ID: &str = "relais-listen-app";
const SECRET: &str = "s3cret";
const FIXTURE: &str = include_str!("fixtures/search/reddit_posts.json");
/// The fixture's newest post, Unix seconds.
const NEWEST: f64 = 1_772_359_200.0;

#[derive(Default)]
struct Fake {
    posts: Vec<Value>,
    tokens: Vec<String>,
    token_requests: u32,
    inject: VecDeque<Injected>,
    /// Every search's path and query, in order.
    searches: Vec<(String, HashMap<String, String>)>,
    user_agents: Vec<String>,
}

type Shared = Arc<Mutex<Fake>>;

impl Injectable for Fake {
    fn injected(&mut self) -> &mut VecDeque<Injected> {
        &mut self.inject
    }
}

fn reddit_error(status: u16, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({ "message": message, "error": status })),
    )
        .into_response()
}

async fn token(
    State(s): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut fake = s.lock().unwrap();
    fake.token_requests += 1;
    if let Some(r) = take_injected(&mut fake.inject, "POST", "/api/v1/access_token") {
        return r;
    }
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{SECRET}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(basic.as_str()) {
        return reddit_error(401, "Unauthorized");
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return axum::Json(json!({ "error": "unsupported_grant_type" })).into_response();
    }
    let token = format!("app-token-{}", fake.token_requests);
    fake.tokens.push(token.clone());
    axum::Json(
        json!({ "access_token": token, "token_type": "bearer", "expires_in": 86400, "scope": "*" }),
    )
    .into_response()
}

async fn search_all(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    answer(&s, &headers, "/search", None, q)
}

async fn search_sub(
    State(s): State<Shared>,
    Path(sub): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let restrict = q.get("restrict_sr").map(String::as_str) == Some("on");
    let path = format!("/r/{sub}/search");
    answer(&s, &headers, &path, restrict.then_some(sub), q)
}

fn answer(
    s: &Shared,
    headers: &HeaderMap,
    path: &str,
    sub: Option<String>,
    q: HashMap<String, String>,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(r) = take_injected(&mut fake.inject, "GET", path) {
        return r;
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("bearer ")
                .or_else(|| v.strip_prefix("Bearer "))
        })
        .unwrap_or_default()
        .to_owned();
    if !fake.tokens.contains(&bearer) {
        return reddit_error(401, "Unauthorized");
    }
    let ua = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    fake.user_agents.push(ua);
    fake.searches.push((path.to_owned(), q.clone()));
    let terms = q.get("q").map_or("", String::as_str);
    let limit = page_size(&q, "limit", 25, 100);
    let mut matching: Vec<&Value> = fake
        .posts
        .iter()
        .filter(|p| {
            let d = &p["data"];
            let text = format!(
                "{} {}",
                d["title"].as_str().unwrap_or_default(),
                d["selftext"].as_str().unwrap_or_default()
            );
            has_every_word(terms, &text)
                && sub
                    .as_ref()
                    .is_none_or(|s| d["subreddit"].as_str() == Some(s))
        })
        .collect();
    // sort=new: newest first.
    matching.sort_by(|a, b| {
        b["data"]["created_utc"]
            .as_f64()
            .unwrap()
            .total_cmp(&a["data"]["created_utc"].as_f64().unwrap())
    });
    let start = match q.get("after") {
        Some(after) => match matching
            .iter()
            .position(|p| p["data"]["name"].as_str() == Some(after))
        {
            Some(i) => i + 1,
            None => matching.len(),
        },
        None => 0,
    };
    let page = page_of(&matching, start, limit);
    let after = (start + page.len() < matching.len())
        .then(|| page.last().map(|p| p["data"]["name"].clone()))
        .flatten()
        .unwrap_or(Value::Null);
    axum::Json(json!({ "kind": "Listing", "data": {
        "after": after, "before": null, "dist": page.len(), "modhash": "", "geo_filter": "",
        "children": page } }))
    .into_response()
}

async fn start() -> (MockHttp, Shared) {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let shared: Shared = Arc::new(Mutex::new(Fake {
        posts: fixture["children"].as_array().unwrap().clone(),
        ..Fake::default()
    }));
    let router = Router::new()
        .route("/api/v1/access_token", post(token))
        .route("/search", get(search_all))
        .route("/r/{sub}/search", get(search_sub))
        .with_state(shared.clone());
    (MockHttp::start(router).await, shared)
}

fn credentials(server: &MockHttp) -> Credentials {
    Credentials {
        settings: json!({
            "client_id": CLIENT_ID,
            "username": "relais_brand",
            "api_base": server.base_url(),
            "token_url": server.url("/api/v1/access_token"),
        }),
        secrets: [("client_secret".to_owned(), SECRET.to_owned())].into(),
        changed: false,
    }
}

/// A self post mentioning Relais, `seconds` after the fixture's newest.
fn new_post(n: u32, seconds: f64) -> Value {
    json!({ "kind": "t3", "data": {
        "name": format!("t3_2c{n:04}"), "id": format!("2c{n:04}"), "subreddit": "france",
        "title": format!("Relais, retour {n}"), "selftext": "Très content.",
        "author": format!("user{n}"),
        "permalink": format!("/r/france/comments/2c{n:04}/relais_retour/"),
        "created_utc": NEWEST + seconds, "over_18": false, "is_self": true } })
}

#[tokio::test]
async fn a_page_of_posts_becomes_hits_and_the_token_is_kept() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let page = REDDIT.find(&mut creds, "relais", None).await.unwrap();

    assert_eq!(
        ids(&page),
        ["t3_1b0001", "t3_1b0002", "t3_1b0003"],
        "newest first, matches only"
    );
    let first = &page.hits[0];
    assert_eq!(
        first.title.as_deref(),
        Some("Quelqu'un utilise Relais pour sa communauté ?")
    );
    assert_eq!(
        first.text,
        "On hésite entre plusieurs outils & Relais revient souvent."
    );
    assert_eq!(
        first.url.as_deref(),
        Some("https://www.reddit.com/r/france/comments/1b0001/quelquun_utilise_relais/")
    );
    assert_eq!(first.author_handle.as_deref(), Some("fan42"));
    assert_eq!(first.published_at, Some(1_772_359_200_000));
    assert_eq!(first.site.as_deref(), Some("www.reddit.com"));
    assert_eq!(
        page.hits[1].author_handle, None,
        "a deleted author is unknown"
    );
    assert_eq!(page.hits[1].text, "", "a link post has a title only");
    assert!(page.cursor.is_some());

    // The token is kept for the next calls, with its end.
    assert!(creds.changed);
    assert_eq!(creds.secret("access_token"), Some("app-token-1"));
    let ends: i64 = creds
        .secret("access_token_expires_at")
        .unwrap()
        .parse()
        .unwrap();
    let in_a_day = chrono::Utc::now().timestamp_millis() + 86_400_000;
    assert!((ends - in_a_day).abs() < 60_000, "{ends}");

    let f = fake.lock().unwrap();
    let (path, q) = &f.searches[0];
    assert_eq!(path, "/search");
    assert_sent(
        q,
        &[
            ("q", "relais"),
            ("sort", "new"),
            ("limit", "100"),
            ("raw_json", "1"),
            ("type", "link"),
        ],
    );
    assert!(!q.contains_key("after"), "a first search reads one page");
    assert!(
        f.user_agents[0].starts_with("server:relais:"),
        "{}",
        f.user_agents[0]
    );
    assert!(
        f.user_agents[0].ends_with("(by /u/relais_brand)"),
        "{}",
        f.user_agents[0]
    );
}

#[tokio::test]
async fn the_cursor_brings_only_newer_posts_and_late_ones() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let cursor = REDDIT.first_cursor(&mut creds, "relais").await;
    REDDIT
        .assert_nothing_new(&mut creds, "relais", &cursor)
        .await;

    {
        let mut f = fake.lock().unwrap();
        f.posts.push(new_post(1, 60.0));
        // Indexed late: older than the newest seen, but within the overlap window.
        f.posts.push(new_post(2, -300.0));
        // Much older and never seen: not a new mention.
        f.posts.push(new_post(3, -86_400.0));
    }
    let next = REDDIT
        .find(&mut creds, "relais", Some(&cursor))
        .await
        .unwrap();
    assert_eq!(ids(&next), ["t3_2c0001", "t3_2c0002"]);
    REDDIT
        .assert_nothing_new(&mut creds, "relais", &next.cursor.unwrap())
        .await;
    // One token for all of it.
    assert_eq!(fake.lock().unwrap().token_requests, 1);
}

#[tokio::test]
async fn many_new_posts_are_read_over_several_pages() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let cursor = REDDIT.first_cursor(&mut creds, "relais").await;
    {
        let mut f = fake.lock().unwrap();
        for n in 0..150 {
            f.posts.push(new_post(n, 10.0 + f64::from(n)));
        }
    }
    let page = REDDIT
        .find(&mut creds, "relais", Some(&cursor))
        .await
        .unwrap();
    assert_eq!(page.hits.len(), 150);
    assert_eq!(page.hits[0].network_id, "t3_2c0149");
    let f = fake.lock().unwrap();
    let pages: Vec<Option<&String>> = f
        .searches
        .iter()
        .skip(1)
        .map(|(_, q)| q.get("after"))
        .collect();
    assert_eq!(
        pages.len(),
        2,
        "a page of new posts, then one that reaches the old ones"
    );
    assert_eq!(pages[0], None);
    assert_eq!(pages[1].map(String::as_str), Some("t3_2c0050"));
}

#[tokio::test]
async fn an_empty_result_and_a_subreddit() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    let page = REDDIT.find(&mut creds, "introuvable", None).await.unwrap();
    assert!(page.hits.is_empty());
    assert_eq!(page.cursor, None);

    let query = SearchQuery {
        within: Some("r/france"),
        ..SearchQuery::new("relais")
    };
    let page = REDDIT.search(&mut creds, &query).await.unwrap();
    assert_eq!(ids(&page), ["t3_1b0001", "t3_1b0003"]);
    {
        let f = fake.lock().unwrap();
        let (path, q) = f.searches.last().unwrap();
        assert_eq!(path, "/r/france/search");
        assert_eq!(q.get("restrict_sr").map(String::as_str), Some("on"));
    }

    let query = SearchQuery {
        within: Some("fr/ance"),
        ..SearchQuery::new("relais")
    };
    let err = REDDIT.search(&mut creds, &query).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("subreddit")),
        "{err}"
    );
}

#[tokio::test]
async fn a_refused_token_is_renewed_and_a_refused_secret_is_said() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    REDDIT.find(&mut creds, "relais", None).await.unwrap();
    // Reddit forgot the token before its end: a new one, once.
    fake.lock().unwrap().tokens.clear();
    let page = REDDIT.find(&mut creds, "relais", None).await.unwrap();
    assert_eq!(page.hits.len(), 3);
    assert_eq!(creds.secret("access_token"), Some("app-token-2"));

    // An expired token is renewed before the call.
    creds.set_secret("access_token_expires_at", "1000".into());
    REDDIT.find(&mut creds, "relais", None).await.unwrap();
    assert_eq!(fake.lock().unwrap().token_requests, 3);

    let mut wrong = credentials(&server);
    wrong.set_secret("client_secret", "nope".into());
    let err = REDDIT.find(&mut wrong, "relais", None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.starts_with("Reddit search:") && m.contains("client id and secret")),
        "{err}"
    );

    // A token endpoint that answers 200 with an OAuth error.
    inject(
        &fake,
        "POST",
        "/api/v1/access_token",
        200,
        vec![],
        r#"{"error": "invalid_grant"}"#,
    );
    let err = REDDIT
        .find(&mut credentials(&server), "relais", None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("invalid_grant")),
        "{err}"
    );

    let mut none = credentials(&server);
    none.secrets.clear();
    let err = REDDIT.find(&mut none, "relais", None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Misconfigured(ref m) if m.contains("client secret")),
        "{err}"
    );
}

#[tokio::test]
async fn rate_limits_failures_and_garbage() {
    let (server, fake) = start().await;
    let mut creds = credentials(&server);
    REDDIT.find(&mut creds, "relais", None).await.unwrap();

    let limits = vec![
        ("x-ratelimit-used", "100".to_owned()),
        ("x-ratelimit-remaining", "0".to_owned()),
        ("x-ratelimit-reset", "42".to_owned()),
    ];
    inject(
        &fake,
        "GET",
        "/search",
        429,
        limits,
        r#"{"message": "Too Many Requests", "error": 429}"#,
    );
    let err = REDDIT.find(&mut creds, "relais", None).await.unwrap_err();
    assert_eq!(
        err,
        NetworkError::RateLimited {
            retry_after: Some(Duration::from_secs(42))
        }
    );

    REDDIT
        .assert_failures(
            &mut creds,
            "relais",
            |status, body| inject(&fake, "GET", "/search", status, vec![], body),
            &[
                (200, "<html><body>Our CDN was unable to reach our servers", |e| {
                    matches!(e, NetworkError::Transient(m) if m.starts_with("Reddit search:") && m.contains("not JSON"))
                }),
                (200, r#"{"kind": "t3", "data": {}}"#, |e| {
                    matches!(e, NetworkError::Transient(m) if m.contains("not a listing"))
                }),
                (503, "<html>Service Unavailable</html>", |e| {
                    matches!(e, NetworkError::Transient(m) if m.contains("503"))
                }),
            ],
        )
        .await;

    inject(
        &fake,
        "GET",
        "/r/secret/search",
        403,
        vec![],
        r#"{"reason": "private", "message": "Forbidden", "error": 403}"#,
    );
    let query = SearchQuery {
        within: Some("secret"),
        ..SearchQuery::new("relais")
    };
    let err = REDDIT.search(&mut creds, &query).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("private")),
        "{err}"
    );

    // A cursor from elsewhere is dropped: the newest page comes instead of an error.
    let page = REDDIT
        .find(&mut creds, "relais", Some("1900000000000000000"))
        .await
        .unwrap();
    assert_eq!(page.hits.len(), 3);
}

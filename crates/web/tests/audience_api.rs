//! The audience's public endpoints over HTTP: what the Plausible and Umami trackers send, the
//! answers they expect (refusals included), robots and unknown sites dropped with a reason,
//! visitors counted without cookies, and the Stats API v2 answering with exact counts, scoped
//! to the token's workspace.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use common::audience::{Audience, UMAMI_SITE, audience};
use common::{Answer, App, api};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
const FIREFOX: &str =
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";
/// A tracker's request from a browser at `ip`.
async fn hit(
    app: &App,
    path: &str,
    body: &str,
    ip: &str,
    agent: &str,
    extra: &[(&str, &str)],
) -> Answer {
    let mut request = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::CONTENT_TYPE, "text/plain")
        .header(header::USER_AGENT, agent);
    for (k, v) in extra {
        request = request.header(*k, *v);
    }
    let mut request = request.body(Body::from(body.to_string())).unwrap();
    let peer: SocketAddr = format!("{ip}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        location: None,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes: bytes.to_vec(),
        headers,
    }
}

fn pageview(domain: &str, url: &str, referrer: Option<&str>) -> String {
    json!({"n": "pageview", "u": url, "d": domain, "r": referrer, "v": 36}).to_string()
}

async fn query(a: &Audience, token: &str, body: Value) -> Answer {
    api(&a.app, "POST", "/api/v2/query", Some(token), Some(body)).await
}

fn results(answer: &Answer) -> Value {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()["results"].clone()
}

#[tokio::test]
async fn plausible_hits_are_counted_per_visitor_without_cookies() {
    let a = audience().await;
    let shop = "shop.example.com";
    // One person (same address and browser) reads two pages, coming from Bluesky.
    let first = hit(
        &a.app,
        "/api/event",
        &pageview(
            shop,
            "https://shop.example.com/",
            Some("https://bsky.app/profile/brand"),
        ),
        "203.0.113.9",
        CHROME,
        &[],
    )
    .await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.body);
    assert_eq!(first.body, "ok");
    assert_eq!(first.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert!(first.headers.get("x-plausible-dropped").is_none());
    hit(
        &a.app,
        "/api/event",
        &pageview(
            shop,
            "https://shop.example.com/pricing",
            Some("https://shop.example.com/"),
        ),
        "203.0.113.9",
        CHROME,
        &[],
    )
    .await;
    // Someone else, with another browser, signs up.
    hit(
        &a.app,
        "/api/event",
        &pageview(
            shop,
            "https://shop.example.com/pricing?utm_source=newsletter&utm_medium=email",
            None,
        ),
        "198.51.100.20",
        FIREFOX,
        &[],
    )
    .await;
    let signup = json!({"n": "Signup", "u": "https://shop.example.com/pricing", "d": shop, "p": {"plan": "pro"}}).to_string();
    hit(&a.app, "/api/event", &signup, "198.51.100.20", FIREFOX, &[]).await;

    let totals = query(&a, &a.token, json!({"site_id": shop, "metrics": ["visitors", "visits", "pageviews", "events", "bounce_rate"], "date_range": "day"})).await;
    assert_eq!(
        results(&totals),
        json!([{"metrics": [2, 2, 3, 4, 0], "dimensions": []}])
    );

    let sources = query(&a, &a.token, json!({"site_id": shop, "metrics": ["visitors"], "date_range": "day", "dimensions": ["visit:source", "visit:channel"]})).await;
    assert_eq!(
        results(&sources),
        json!([
            {"metrics": [1], "dimensions": ["Bluesky", "Organic Social"]},
            {"metrics": [1], "dimensions": ["newsletter", "Email"]}
        ])
    );
    let goals = query(&a, &a.token, json!({"site_id": shop, "metrics": ["visitors", "conversion_rate"], "date_range": "day", "dimensions": ["event:goal"]})).await;
    assert_eq!(
        results(&goals),
        json!([{"metrics": [1, 50.0], "dimensions": ["Signup"]}])
    );
    let browsers = query(&a, &a.token, json!({"site_id": shop, "metrics": ["visitors"], "date_range": "day", "dimensions": ["visit:browser", "visit:device"], "order_by": [["visit:browser", "asc"]]})).await;
    assert_eq!(
        results(&browsers),
        json!([{"metrics": [1], "dimensions": ["Chrome", "Desktop"]}, {"metrics": [1], "dimensions": ["Firefox", "Desktop"]}])
    );
    let pro = query(&a, &a.token, json!({"site_id": shop, "metrics": ["events"], "date_range": "day", "filters": [["is", "event:props:plan", ["pro"]]]})).await;
    assert_eq!(results(&pro), json!([{"metrics": [1], "dimensions": []}]));
    let echoed = totals.json()["query"].clone();
    assert_eq!(echoed["site_id"], shop);
    assert_eq!(
        echoed["date_range"].as_array().unwrap().len(),
        2,
        "the period, resolved"
    );
}

#[tokio::test]
async fn robots_unknown_sites_and_stray_engagements_are_dropped_with_a_reason() {
    let a = audience().await;
    let bot = hit(
        &a.app,
        "/api/event",
        &pageview("shop.example.com", "https://shop.example.com/", None),
        "203.0.113.9",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        &[],
    )
    .await;
    assert_eq!(bot.status, StatusCode::ACCEPTED);
    assert_eq!(bot.headers["x-plausible-dropped"], "1");
    assert_eq!(bot.headers["x-relais-dropped"], "robot");
    let headless = hit(&a.app, "/api/event", &pageview("shop.example.com", "https://shop.example.com/", None), "203.0.113.9", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36", &[]).await;
    assert_eq!(headless.headers["x-relais-dropped"], "robot");
    let unknown = hit(
        &a.app,
        "/api/event",
        &pageview("unknown.example.net", "https://unknown.example.net/", None),
        "203.0.113.9",
        CHROME,
        &[],
    )
    .await;
    assert_eq!(unknown.status, StatusCode::ACCEPTED);
    assert!(
        unknown.headers["x-relais-dropped"]
            .to_str()
            .unwrap()
            .starts_with("unknown site")
    );
    let stray = json!({"n": "engagement", "u": "https://shop.example.com/", "d": "shop.example.com", "sd": 50, "e": 3000}).to_string();
    let stray = hit(&a.app, "/api/event", &stray, "192.0.2.50", CHROME, &[]).await;
    assert_eq!(
        stray.headers["x-relais-dropped"],
        "engagement without a visit"
    );

    let totals = query(&a, &a.token, json!({"site_id": "shop.example.com", "metrics": ["visitors", "events"], "date_range": "day"})).await;
    assert_eq!(results(&totals), json!([]), "nothing was counted");
}

#[tokio::test]
async fn bad_bodies_are_refused_as_plausible_refuses_them() {
    let a = audience().await;
    let cases: Vec<(String, &str)> = vec![
        ("{not json".into(), "body"),
        (json!({"n": "pageview", "d": "shop.example.com"}).to_string(), "url"),
        (json!({"n": "pageview", "u": "not a url", "d": "shop.example.com"}).to_string(), "url"),
        (json!({"n": "x", "u": "https://shop.example.com/", "d": "shop.example.com", "p": (0..10_000).map(|i| (format!("k{i}"), json!(i))).collect::<serde_json::Map<_, _>>()}).to_string(), "body"),
        (format!("{{\"n\":\"pageview\",\"u\":\"https://shop.example.com/\",\"d\":\"shop.example.com\",\"p\":{{\"x\":\"{}\"}}}}", "a".repeat(70_000)), "body"),
    ];
    for (body, field) in cases {
        let answer = hit(&a.app, "/api/event", &body, "203.0.113.9", CHROME, &[]).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", &answer.body);
        assert!(
            answer.json()["errors"][field].is_array(),
            "{field}: {}",
            answer.body
        );
    }
    // 30 properties are fine; the event is kept.
    let thirty: serde_json::Map<_, _> = (0..30).map(|i| (format!("k{i}"), json!("v"))).collect();
    let ok = hit(
        &a.app,
        "/api/event",
        &json!({"n": "x", "u": "https://shop.example.com/", "d": "shop.example.com", "p": thirty})
            .to_string(),
        "203.0.113.9",
        CHROME,
        &[],
    )
    .await;
    assert_eq!(ok.status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn umami_hits_and_its_preflight() {
    let a = audience().await;
    let preflight = {
        let request = Request::builder()
            .method("OPTIONS")
            .uri("/api/send")
            .header("origin", "https://blog.example.com")
            .body(Body::empty())
            .unwrap();
        a.app.router.clone().oneshot(request).await.unwrap()
    };
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        preflight.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "*"
    );
    assert!(
        preflight.headers()[header::ACCESS_CONTROL_ALLOW_HEADERS]
            .to_str()
            .unwrap()
            .contains("Content-Type")
    );

    let view = json!({"type": "event", "payload": {"website": UMAMI_SITE, "hostname": "blog.example.com", "screen": "1920x1080", "language": "fr-FR", "title": "Accueil", "url": "/articles/1", "referrer": "https://www.linkedin.com/feed/"}});
    let answer = hit(
        &a.app,
        "/api/send",
        &view.to_string(),
        "203.0.113.9",
        CHROME,
        &[("content-type", "application/json")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let click = json!({"type": "event", "payload": {"website": UMAMI_SITE, "hostname": "blog.example.com", "url": "/articles/1", "name": "Signup", "data": {"plan": "free"}}});
    hit(
        &a.app,
        "/api/send",
        &click.to_string(),
        "203.0.113.9",
        CHROME,
        &[],
    )
    .await;
    let identify = json!({"type": "identify", "payload": {"website": UMAMI_SITE, "data": {"email": "someone@example.com"}}});
    assert_eq!(
        hit(
            &a.app,
            "/api/send",
            &identify.to_string(),
            "203.0.113.9",
            CHROME,
            &[]
        )
        .await
        .status,
        StatusCode::OK
    );
    let bad = hit(
        &a.app,
        "/api/send",
        &json!({"type": "event", "payload": {"website": "nope"}}).to_string(),
        "203.0.113.9",
        CHROME,
        &[],
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let pages = query(&a, &a.token, json!({"site_id": "blog.example.com", "metrics": ["visitors", "pageviews", "events"], "date_range": "day", "dimensions": ["event:page", "visit:source"]})).await;
    assert_eq!(
        results(&pages),
        json!([{"metrics": [1, 1, 2], "dimensions": ["/articles/1", "LinkedIn"]}])
    );
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let a = audience().await;
    // Not a trusted proxy: the header is ignored, so both hits are one visitor (one socket).
    for forged in ["192.0.2.1", "192.0.2.2"] {
        hit(
            &a.app,
            "/api/event",
            &pageview("shop.example.com", "https://shop.example.com/", None),
            "203.0.113.9",
            CHROME,
            &[("x-forwarded-for", forged)],
        )
        .await;
    }
    let totals = query(&a, &a.token, json!({"site_id": "shop.example.com", "metrics": ["visitors", "pageviews"], "date_range": "day"})).await;
    assert_eq!(
        results(&totals),
        json!([{"metrics": [1, 2], "dimensions": []}])
    );
}

#[tokio::test]
async fn the_stats_api_needs_a_token_and_sees_only_its_workspace() {
    let a = audience().await;
    hit(
        &a.app,
        "/api/event",
        &pageview("shop.example.com", "https://shop.example.com/", None),
        "203.0.113.9",
        CHROME,
        &[],
    )
    .await;
    let body = json!({"site_id": "shop.example.com", "metrics": ["visitors"], "date_range": "day"});
    assert_eq!(
        api(&a.app, "POST", "/api/v2/query", None, Some(body.clone()))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let stranger = query(&a, &a.other_token, body.clone()).await;
    assert_eq!(stranger.status, StatusCode::BAD_REQUEST);
    assert!(
        stranger.json()["error"]
            .as_str()
            .unwrap()
            .contains("could not be found"),
        "{}",
        stranger.body
    );
    let invalid = query(
        &a,
        &a.token,
        json!({"site_id": "shop.example.com", "metrics": ["visitorz"], "date_range": "day"}),
    )
    .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert!(
        invalid.json()["error"]
            .as_str()
            .unwrap()
            .contains("visitorz"),
        "{}",
        invalid.body
    );
    assert_eq!(
        results(&query(&a, &a.token, body).await),
        json!([{"metrics": [1], "dimensions": []}])
    );
}

#[tokio::test]
async fn the_tracker_script_is_served_small_and_cacheable() {
    let a = audience().await;
    let script = api(&a.app, "GET", "/js/script.js", None, None).await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(
        script.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(script.body.contains("/api/event"));
    assert!(
        !script.body.contains(".cookie") && !script.body.contains("Storage"),
        "no cookie, no web storage"
    );
}

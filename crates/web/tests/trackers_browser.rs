//! The real trackers in real headless Chromium: a page loads Plausible's npm tracker
//! (`@plausible-analytics/tracker`) and sends a page view and a custom event with a property;
//! another loads Umami's tracker script; Relais's Stats API then gives the exact counts.
//!
//! The pages are served by a second local server (another origin, as a brand's site is), so
//! the trackers' cross-origin requests (and Umami's CORS preflight) are exercised for real.
//! The trackers come from `peers/trackers` (installed by `peers/trackers/fetch.sh`).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use common::api;
use common::audience::{UMAMI_SITE, audience_of};
use fantoccini::Client;
use relais_testkit::chromedriver::Chromedriver;
use serde_json::{Value, json};

/// A desktop browser's user agent: headless Chromium names itself `HeadlessChrome`, which
/// Relais (like Plausible) drops as a robot.
const DESKTOP: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

fn trackers_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../peers/trackers");
    for file in [
        "node_modules/@plausible-analytics/tracker/plausible.js",
        "umami/index.js",
    ] {
        assert!(
            dir.join(file).exists(),
            "{file} is missing: run peers/trackers/fetch.sh (it installs the real trackers)"
        );
    }
    dir
}

/// The brand's site: two pages, each with one of the trackers, pointed at Relais.
fn brand_site(relais: &str) -> Router {
    let dir = trackers_dir();
    let plausible =
        std::fs::read_to_string(dir.join("node_modules/@plausible-analytics/tracker/plausible.js"))
            .unwrap();
    let umami = std::fs::read_to_string(dir.join("umami/index.js")).unwrap();
    let plausible_page = format!(
        r#"<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1>
<script type="module">
  import {{ init, track }} from "/plausible.js";
  window.__plausible = true;
  init({{ domain: "shop.example.com", endpoint: "{relais}/api/event", captureOnLocalhost: true }});
  track("Signup", {{ props: {{ plan: "pro" }} }});
  document.body.dataset.sent = "yes";
</script></body></html>"#
    );
    let umami_page = format!(
        r#"<!doctype html><html><head><title>Blog</title>
<script defer src="/umami.js" data-website-id="{UMAMI_SITE}" data-host-url="{relais}"></script>
</head><body><h1>Blog</h1></body></html>"#
    );
    Router::new()
        .route("/shop", get(move || async move { Html(plausible_page) }))
        .route("/blog", get(move || async move { Html(umami_page) }))
        .route(
            "/plausible.js",
            get(move || async move {
                ([(header::CONTENT_TYPE, "text/javascript")], plausible).into_response()
            }),
        )
        .route(
            "/umami.js",
            get(move || async move {
                ([(header::CONTENT_TYPE, "text/javascript")], umami).into_response()
            }),
        )
}

async fn browser(driver: &Chromedriver) -> Client {
    let agent = format!("--user-agent={DESKTOP}");
    common::chromium::session(driver, &[agent.as_str(), "--lang=en-US"], None).await
}

/// Asks the Stats API until it gives `expected` (the trackers send after the page loads), for
/// at most 15 seconds; returns what it last gave.
async fn stats_until(app: &common::App, token: &str, body: Value, expected: &Value) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let answer = api(
            app,
            "POST",
            "/api/v2/query",
            Some(token),
            Some(body.clone()),
        )
        .await;
        let results = answer.json()["results"].clone();
        if &results == expected || Instant::now() > deadline {
            return results;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plausible_and_umami_trackers_in_chromium_are_counted_exactly() {
    let app = common::app().await;
    let relais = common::chromium::serve(app.router.clone()).await;
    let audience = audience_of(app).await;
    let site = common::chromium::serve(brand_site(&relais)).await;
    let driver = Chromedriver::start();
    let c = browser(&driver).await;

    c.goto(&format!("{site}/shop")).await.unwrap();
    let expected = json!([
        {"metrics": [1, 1], "dimensions": ["Signup", "pro"]},
        {"metrics": [1, 1], "dimensions": ["pageview", "(none)"]}
    ]);
    let by_name = json!({"site_id": "shop.example.com", "metrics": ["visitors", "events"], "date_range": "day",
        "dimensions": ["event:name", "event:props:plan"], "order_by": [["event:name", "asc"]]});
    assert_eq!(
        stats_until(&audience.app, &audience.token, by_name, &expected).await,
        expected
    );
    let totals = json!({"site_id": "shop.example.com", "metrics": ["visitors", "visits", "pageviews", "events"], "date_range": "day",
        "dimensions": ["event:page", "visit:browser", "visit:device"]});
    let counted = json!([{"metrics": [1, 1, 1, 2], "dimensions": ["/shop", "Chrome", "Desktop"]}]);
    assert_eq!(
        stats_until(&audience.app, &audience.token, totals, &counted).await,
        counted
    );

    c.goto(&format!("{site}/blog")).await.unwrap();
    let blog = json!({"site_id": "blog.example.com", "metrics": ["visitors", "pageviews"], "date_range": "day", "dimensions": ["event:page"]});
    let viewed = json!([{"metrics": [1, 1], "dimensions": ["/blog"]}]);
    assert_eq!(
        stats_until(&audience.app, &audience.token, blog, &viewed).await,
        viewed
    );
    c.close().await.unwrap();
}

//! The stream's live count in real headless Chromium (Debian's chromium + chromedriver): the
//! page's own script asks every 15 seconds how many mentions arrived, under the content
//! policy Relais sends, and offers them without reloading by itself.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use relais_core::{MentionId, Role, Timestamp};
use relais_store::listening::{NewMention, Sentiment, SourceKind};
use relais_testkit::chromedriver::{CHROMIUM_ARGS, Chromedriver};

/// Long enough for one round of the page's 15-second check, and the page load before it.
const WAIT: Duration = Duration::from_secs(40);

fn mention(ws: &relais_store::Workspace, key: &str, text: &str, at: i64) -> NewMention {
    NewMention {
        id: MentionId::new(),
        workspace_id: ws.id,
        source_id: None,
        source_kind: SourceKind::Feed,
        key: key.into(),
        url: None,
        title: None,
        text: text.into(),
        author: None,
        reach: None,
        site: None,
        lang: Some("fr".into()),
        sentiment: Sentiment::Neutral,
        score_milli: 0,
        fingerprint: None,
        duplicate_of: None,
        at: Timestamp::from_millis(at),
        found_at: Timestamp::from_millis(at),
        query_ids: Vec::new(),
    }
}

async fn browser(driver: &Chromedriver) -> Client {
    // fantoccini's TLS stack needs a process-wide provider chosen; ours is ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": Chromedriver::chromium_binary(),
            "args": CHROMIUM_ARGS.iter().copied().chain(["--lang=en-US"]).collect::<Vec<_>>(),
            "prefs": { "intl.accept_languages": "en-US,en" }
        }),
    );
    ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("chromedriver session")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_offers_new_mentions_without_reloading() {
    let app = common::app().await;
    let ws = common::add_workspace(&app, "acme").await;
    let user = common::add_user(&app, "cm@acme.test", false).await;
    common::add_member(&app, &ws, user, Role::Contributor).await;
    let now = Timestamp::now().millis();
    app.store
        .insert_mentions(vec![mention(&ws, "a", "premier message", now - 60_000)])
        .await
        .unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = app.router.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let driver = Chromedriver::start();
    let c = browser(&driver).await;

    c.goto(&format!("{base}/login")).await.unwrap();
    let find = |css: &'static str| c.wait().at_most(WAIT).for_element(Locator::Css(css));
    find("input[name=email]")
        .await
        .unwrap()
        .send_keys("cm@acme.test")
        .await
        .unwrap();
    find("input[name=password]")
        .await
        .unwrap()
        .send_keys(common::PASSWORD)
        .await
        .unwrap();
    find("#login-submit").await.unwrap().click().await.unwrap();
    find("#logout").await.unwrap();
    c.goto(&format!("{base}/w/acme/listening/mentions?lang=fr"))
        .await
        .unwrap();
    find("#mentions").await.unwrap();
    let live = find("#mentions-live").await.unwrap();
    assert!(!live.is_displayed().await.unwrap(), "nothing new yet");

    // Two arrive: one under the page's filters, one not.
    let mut english = mention(&ws, "c", "in English", now);
    english.lang = Some("en".into());
    app.store
        .insert_mentions(vec![mention(&ws, "b", "deuxième message", now), english])
        .await
        .unwrap();
    let deadline = Instant::now() + WAIT;
    let text = loop {
        let text = live.text().await.unwrap();
        if live.is_displayed().await.unwrap() && !text.is_empty() {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "the new mention was never offered"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(text, "1 new mention — show");
    let list = c.find(Locator::Css("#mentions")).await.unwrap();
    assert!(
        !list.text().await.unwrap().contains("deuxième"),
        "the page did not reload by itself"
    );
    live.find(Locator::Css("a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        let shown = c
            .find(Locator::Css("#mentions"))
            .await
            .ok()
            .map(|l| async move { l.text().await.unwrap_or_default() });
        if let Some(text) = shown
            && text.await.contains("deuxième message")
        {
            break;
        }
        assert!(Instant::now() < deadline, "the link did not show it");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    c.close().await.unwrap();
}

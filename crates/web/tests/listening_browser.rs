//! The stream's live count in real headless Chromium (Debian's chromium + chromedriver): the
//! page's own script asks every 15 seconds how many mentions arrived, under the content
//! policy Relais sends, and offers them without reloading by itself.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::chromium::{english_session, serve};
use common::listening::{insert, mention};
use fantoccini::Locator;
use relais_core::{Role, Timestamp};
use relais_store::listening::NewMention;
use relais_testkit::chromedriver::Chromedriver;

/// Long enough for one round of the page's 15-second check, and the page load before it.
const WAIT: Duration = Duration::from_secs(40);

/// A mention in French, the language the page filters on.
fn in_french(ws: &relais_store::Workspace, text: &str, at: i64) -> NewMention {
    NewMention {
        lang: Some("fr".into()),
        ..mention(ws, text, at)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_offers_new_mentions_without_reloading() {
    let app = common::app().await;
    let ws = common::add_workspace(&app, "acme").await;
    let user = common::add_user(&app, "cm@acme.test", false).await;
    common::add_member(&app, &ws, user, Role::Contributor).await;
    let now = Timestamp::now().millis();
    insert(&app, vec![in_french(&ws, "premier message", now - 60_000)]).await;

    let base = serve(app.router.clone()).await;
    let driver = Chromedriver::start();
    let c = english_session(&driver).await;

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

    // Two are found after the page was made: one under the page's filters, one not.
    let arrived = Timestamp::now().millis();
    let english = NewMention {
        lang: Some("en".into()),
        ..mention(&ws, "in English", arrived)
    };
    insert(
        &app,
        vec![in_french(&ws, "deuxième message", arrived), english],
    )
    .await;
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

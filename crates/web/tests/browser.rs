//! The path a new user walks, in real headless Chromium (Debian's chromium + chromedriver,
//! driven through WebDriver by fantoccini): first-run setup, logging out and in, creating a
//! workspace, inviting a member, switching the language to French.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use relais_testkit::chromedriver::{CHROMIUM_ARGS, Chromedriver};

async fn serve() -> (String, common::App) {
    let app = common::app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    (format!("http://{addr}"), app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_user_goes_from_the_first_page_to_a_workspace_and_french() {
    // fantoccini's TLS stack needs a process-wide provider chosen; ours is ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (base, app) = serve().await;
    let driver = Chromedriver::start();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": Chromedriver::chromium_binary(),
            "args": CHROMIUM_ARGS.iter().copied().chain(["--lang=en-US"]).collect::<Vec<_>>(),
            "prefs": { "intl.accept_languages": "en-US,en" }
        }),
    );
    let c = ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("chromedriver session");
    let wait = Duration::from_secs(15);

    // First run: the root leads to the setup page.
    c.goto(&format!("{base}/")).await.unwrap();
    c.wait()
        .at_most(wait)
        .for_element(Locator::Id("setup-submit"))
        .await
        .unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/setup"));
    c.find(Locator::Css("input[name=name]"))
        .await
        .unwrap()
        .send_keys("Ada Lovelace")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=email]"))
        .await
        .unwrap()
        .send_keys("ada@acme.test")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys("correct horse battery")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password2]"))
        .await
        .unwrap()
        .send_keys("correct horse battery")
        .await
        .unwrap();
    c.find(Locator::Id("setup-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(wait)
        .for_element(Locator::Id("create-workspace"))
        .await
        .unwrap();

    // Log out, then in again.
    c.find(Locator::Id("logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(wait)
        .for_element(Locator::Id("login-submit"))
        .await
        .unwrap();
    c.find(Locator::Css("input[name=email]"))
        .await
        .unwrap()
        .send_keys("ada@acme.test")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys("correct horse battery")
        .await
        .unwrap();
    c.find(Locator::Id("login-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(wait)
        .for_element(Locator::Id("create-workspace"))
        .await
        .unwrap();

    // Create the brand's workspace.
    c.find(Locator::Css("input[name=name]"))
        .await
        .unwrap()
        .send_keys("Acme France")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=slug]"))
        .await
        .unwrap()
        .send_keys("acme-france")
        .await
        .unwrap();
    c.find(Locator::Id("create-workspace"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(wait)
        .for_element(Locator::Css("nav.caps"))
        .await
        .unwrap();
    assert!(
        c.current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/w/acme-france")
    );

    // Invite a member from the settings.
    c.goto(&format!("{base}/w/acme-france/settings"))
        .await
        .unwrap();
    c.wait()
        .at_most(wait)
        .for_element(Locator::Id("invite-email"))
        .await
        .unwrap()
        .send_keys("zoe@acme.test")
        .await
        .unwrap();
    c.find(Locator::Css("#invite-role option[value=contributor]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("invite-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let link = c
        .wait()
        .at_most(wait)
        .for_element(Locator::Id("invite-link"))
        .await
        .unwrap();
    let link = link.prop("value").await.unwrap().unwrap();
    assert!(
        link.contains("/invite/inv_"),
        "no mail configured: the link is shown to copy ({link})"
    );
    let ws = app
        .store
        .workspace_by_slug(&relais_core::Slug::parse("acme-france").unwrap())
        .await
        .unwrap()
        .unwrap();
    let pending = app
        .store
        .pending_invitations(ws.id, relais_core::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        (pending.len(), pending[0].email.as_str(), pending[0].role),
        (1, "zoe@acme.test", relais_core::Role::Contributor)
    );

    // Switch to French.
    c.find(Locator::Id("lang-switch"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(wait)
        .for_element(Locator::Css("html[lang=fr]"))
        .await
        .unwrap();
    let nav = c
        .find(Locator::Css("nav.caps"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for label in [
        "Publier",
        "Boîte de réception",
        "Veille",
        "Communauté",
        "Paramètres",
    ] {
        assert!(
            nav.contains(label),
            "French navigation shows {label}: {nav}"
        );
    }
    // The invitee opens the link in the same browser after logging out: the join page, in French.
    c.find(Locator::Id("logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(wait)
        .for_element(Locator::Id("login-submit"))
        .await
        .unwrap();
    c.goto(&link.replace("http://relais.test", &base))
        .await
        .unwrap();
    let heading = c
        .wait()
        .at_most(wait)
        .for_element(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(heading, "Rejoindre un espace");

    // A phone-width window still shows the whole navigation without sideways page scroll.
    c.set_window_size(390, 844).await.unwrap();
    let overflow: bool = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth + 1;",
            vec![],
        )
        .await
        .unwrap()
        .as_bool()
        .unwrap();
    assert!(!overflow, "the page fits a phone's width");
    c.close().await.unwrap();
}

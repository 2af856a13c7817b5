//! The path a new user walks, in real headless Chromium (Debian's chromium + chromedriver,
//! driven through WebDriver by fantoccini): first-run setup, logging out and in, creating a
//! workspace, inviting a member, switching the language to French.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use fantoccini::{Client, Locator};
use relais_testkit::chromedriver::Chromedriver;

async fn serve() -> (String, common::App) {
    let app = common::app().await;
    (common::chromium::serve(app.router.clone()).await, app)
}

const WAIT: Duration = Duration::from_secs(15);

/// A headless Chromium session, in English.
async fn browser(driver: &Chromedriver) -> Client {
    common::chromium::english_session(driver).await
}

async fn fill(c: &Client, css: &str, text: &str) {
    let field = c
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap();
    field.send_keys(text).await.unwrap();
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
}

async fn path(c: &Client) -> String {
    c.current_url().await.unwrap().path().to_owned()
}

/// The text of `css` once `good` accepts it (the page's script fills it in after a while).
async fn wait_for_text(c: &Client, css: &str, good: impl Fn(&str) -> bool) -> String {
    let element = wait_for(c, css).await;
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let text = element.text().await.unwrap();
        if good(&text) {
            return text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{css} still reads {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_user_goes_from_the_first_page_to_a_workspace_and_french() {
    let (base, app) = serve().await;
    let driver = Chromedriver::start();
    let c = browser(&driver).await;

    // First run: the root leads to the setup page.
    c.goto(&format!("{base}/")).await.unwrap();
    wait_for(&c, "#setup-submit").await;
    assert_eq!(path(&c).await, "/setup");
    fill(&c, "input[name=name]", "Ada Lovelace").await;
    fill(&c, "input[name=email]", "ada@acme.test").await;
    fill(&c, "input[name=password]", "correct horse battery").await;
    fill(&c, "input[name=password2]", "correct horse battery").await;
    click(&c, "#setup-submit").await;
    wait_for(&c, "#create-workspace").await;

    // Log out, then in again.
    click(&c, "#logout").await;
    wait_for(&c, "#login-submit").await;
    fill(&c, "input[name=email]", "ada@acme.test").await;
    fill(&c, "input[name=password]", "correct horse battery").await;
    click(&c, "#login-submit").await;
    wait_for(&c, "#create-workspace").await;

    // Create the brand's workspace.
    fill(&c, "input[name=name]", "Acme France").await;
    fill(&c, "input[name=slug]", "acme-france").await;
    click(&c, "#create-workspace").await;
    wait_for(&c, "nav.caps").await;
    assert_eq!(path(&c).await, "/w/acme-france");

    // Invite a member from the settings.
    c.goto(&format!("{base}/w/acme-france/settings"))
        .await
        .unwrap();
    fill(&c, "#invite-email", "zoe@acme.test").await;
    click(&c, "#invite-role option[value=contributor]").await;
    click(&c, "#invite-submit").await;
    let link = wait_for(&c, "#invite-link")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
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
    click(&c, "#lang-switch").await;
    wait_for(&c, "html[lang=fr]").await;
    let nav = wait_for(&c, "nav.caps").await.text().await.unwrap();
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
    // The invitee opens the link after the admin logged out: the join page, in French.
    click(&c, "#logout").await;
    wait_for(&c, "#login-submit").await;
    c.goto(&link.replace("http://relais.test", &base))
        .await
        .unwrap();
    assert_eq!(
        wait_for(&c, "h1").await.text().await.unwrap(),
        "Rejoindre un espace"
    );

    // At a phone's width the page still fits: no sideways scrolling.
    c.set_window_size(390, 844).await.unwrap();
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth + 1;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        overflow,
        serde_json::Value::Bool(false),
        "the page fits a phone's width"
    );
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_previews_a_post_attaches_a_new_image_and_finds_it_in_the_library() {
    let (base, app) = serve().await;
    let ws = common::add_workspace(&app, "acme").await;
    let editor = common::add_user(&app, "ed@acme.test", false).await;
    common::add_member(&app, &ws, editor, relais_core::Role::Editor).await;
    app.store
        .create_channel(
            relais_store::NewChannel {
                id: relais_core::ChannelId::new(),
                workspace_id: ws.id,
                network: "bluesky".into(),
                name: "Bluesky".into(),
                settings: serde_json::json!({ "service": "https://pds.example", "handle": "acme.example" }),
                secrets: Default::default(),
                created_by: None,
            },
            common::cli_audit("channel.create"),
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("poster.png");
    std::fs::write(&photo, common::png(96, 64, [220, 40, 90])).unwrap();

    let driver = Chromedriver::start();
    let c = browser(&driver).await;
    c.goto(&format!("{base}/login")).await.unwrap();
    fill(&c, "input[name=email]", "ed@acme.test").await;
    fill(&c, "input[name=password]", common::PASSWORD).await;
    click(&c, "#login-submit").await;
    wait_for(&c, "#logout").await;

    c.goto(&format!("{base}/w/acme/publish")).await.unwrap();
    wait_for(&c, "#composer").await;
    click(&c, "input[name=channel][value=Bluesky]").await;
    let text = "Our poster: https://acme.example/poster with @ada.bsky.social #spring";
    fill(&c, "#compose-text", text).await;

    // The preview shows what Bluesky will make clickable.
    let card = "#previews article.preview[data-network=bluesky]";
    let link = wait_for_text(&c, &format!("{card} .link"), |t| !t.is_empty()).await;
    assert_eq!(link, "https://acme.example/poster");
    assert_eq!(
        wait_for(&c, &format!("{card} .mention"))
            .await
            .text()
            .await
            .unwrap(),
        "@ada.bsky.social"
    );
    assert_eq!(
        wait_for(&c, &format!("{card} .tag"))
            .await
            .text()
            .await
            .unwrap(),
        "#spring"
    );
    let expected = format!("{} / 300", text.chars().count());
    wait_for_text(&c, "output.count[data-channel=Bluesky]", |t| t == expected).await;

    // A new file, chosen as a person would, goes with the post.
    c.find(Locator::Css("#compose-upload"))
        .await
        .unwrap()
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    fill(&c, "input[name=upload_alt]", "The spring poster").await;
    click(&c, "#compose-submit").await;
    let notice = wait_for(&c, "p.notice").await.text().await.unwrap();
    assert_eq!(notice, "Queued: it will go out at the planned time.");
    assert_eq!(path(&c).await, "/w/acme/publish");

    let library = app.store.media_list(ws.id, 10).await.unwrap();
    assert_eq!(library.len(), 1);
    assert_eq!(
        (library[0].file_name.as_str(), library[0].alt.as_deref()),
        ("poster.png", Some("The spring poster"))
    );
    let post = app.store.posts(ws.id, 1).await.unwrap().remove(0);
    assert_eq!(post.parts[0].text, text);
    assert_eq!(post.parts[0].media[0].id, library[0].id);

    // The library shows its thumbnail, which the browser could load and decode.
    c.goto(&format!("{base}/w/acme/publish/media"))
        .await
        .unwrap();
    wait_for(&c, "#library img").await;
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let seen = c
            .execute(
                "var imgs = document.querySelectorAll('#library img');\n\
                 return [imgs.length, imgs.length > 0 && imgs[0].complete ? imgs[0].naturalWidth : 0];",
                vec![],
            )
            .await
            .unwrap();
        if seen[1].as_u64().unwrap_or(0) > 0 {
            assert_eq!(seen[0], 1, "one file, one thumbnail");
            assert_eq!(
                seen[1], 96,
                "the whole image: smaller than a thumbnail's side"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the thumbnail never loaded: {seen}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    c.close().await.unwrap();
}

//! Tracked links over HTTP: made with their campaign tags (custom or random slug), followed with
//! a 302 that counts the click (robots apart), expired and password-protected links, QR codes,
//! roles and workspace isolation.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use common::audience::{Audience, audience};
use common::{Answer, Browser, add_member, add_user};
use http_body_util::BodyExt;
use relais_core::{Role, Slug};
use tower::ServiceExt;

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

async fn member(a: &Audience, email: &str, slug: &str, role: Role) -> Browser {
    let ws = a
        .app
        .store
        .workspace_by_slug(&Slug::parse(slug).unwrap())
        .await
        .unwrap()
        .unwrap();
    let id = add_user(&a.app, email, false).await;
    add_member(&a.app, &ws, id, role).await;
    let mut b = Browser::new(&a.app);
    b.login(email).await;
    b
}

/// A visitor following a link, from a phone, coming from Facebook.
async fn follow(a: &Audience, path: &str, agent: &str, method: &str, form: Option<&str>) -> Answer {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::USER_AGENT, agent)
        .header(header::REFERER, "https://l.facebook.com/")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.unwrap_or("").to_owned()))
        .unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo("8.8.8.8:4000".parse::<SocketAddr>().unwrap()));
    let response = a.app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        location: headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned()),
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes: bytes.to_vec(),
        headers,
    }
}

fn link_id(page: &str, short: &str) -> String {
    let at = page
        .find(&format!("<code>http://relais.test/l/{short}</code>"))
        .unwrap();
    let href = page[..at].rfind("/audience/links/").unwrap() + "/audience/links/".len();
    page[href..].chars().take_while(|c| *c != '"').collect()
}

#[tokio::test]
async fn links_redirect_with_their_tags_and_count_people_and_robots_apart() {
    let a = audience().await;
    let mut editor = member(&a, "contributor@alpha.test", "alpha", Role::Contributor).await;
    let made = editor
        .post(
            "/w/alpha/audience/links",
            &[
                ("target", "https://shop.example.com/noel?ref=x#offre"),
                ("slug", "Noel24"),
                ("title", "Noël"),
                ("utm_source", "bluesky"),
                ("utm_medium", "social"),
                ("utm_campaign", "noel 2024"),
                ("utm_content", ""),
                ("utm_term", ""),
                ("expires", ""),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let random = editor
        .post(
            "/w/alpha/audience/links",
            &[
                ("target", "https://shop.example.com/"),
                ("slug", ""),
                ("title", ""),
                ("utm_source", ""),
                ("utm_medium", ""),
                ("utm_campaign", ""),
                ("utm_content", ""),
                ("utm_term", ""),
                ("expires", ""),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(random.status, StatusCode::SEE_OTHER);
    let taken = editor
        .post(
            "/w/alpha/audience/links",
            &[
                ("target", "https://shop.example.com/"),
                ("slug", "Noel24"),
                ("title", ""),
                ("utm_source", ""),
                ("utm_medium", ""),
                ("utm_campaign", ""),
                ("utm_content", ""),
                ("utm_term", ""),
                ("expires", ""),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = editor
        .post(
            "/w/alpha/audience/links",
            &[
                ("target", "javascript:alert(1)"),
                ("slug", ""),
                ("title", ""),
                ("utm_source", ""),
                ("utm_medium", ""),
                ("utm_campaign", ""),
                ("utm_content", ""),
                ("utm_term", ""),
                ("expires", ""),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("https://"),
        "says what to write: {}",
        bad.body
    );

    let went = follow(&a, "/l/Noel24", IPHONE, "GET", None).await;
    assert_eq!(went.status, StatusCode::FOUND);
    let target = url::Url::parse(went.location.as_deref().unwrap()).unwrap();
    let pairs: Vec<(String, String)> = target
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert!(
        pairs.contains(&("ref".into(), "x".into()))
            && pairs.contains(&("utm_campaign".into(), "noel 2024".into())),
        "{pairs:?}"
    );
    assert_eq!(target.fragment(), Some("offre"));
    assert_eq!(went.headers[header::CACHE_CONTROL], "no-store");
    follow(&a, "/l/Noel24", IPHONE, "GET", None).await;
    follow(&a, "/l/Noel24", GOOGLEBOT, "GET", None).await;
    assert_eq!(
        follow(&a, "/l/noel24", IPHONE, "GET", None).await.status,
        StatusCode::NOT_FOUND,
        "slugs keep their case"
    );

    let list = editor.get("/w/alpha/audience/links").await;
    let id = link_id(&list.body, "Noel24");
    // Clicks are counted without making the visitor wait: look until they are there.
    let deadline = Instant::now() + Duration::from_secs(10);
    let page = loop {
        let page = editor.get(&format!("/w/alpha/audience/links/{id}")).await;
        if page.body.contains("id=\"clicks\">2<") || Instant::now() > deadline {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(page.body.contains("id=\"clicks\">2<"), "two people");
    assert!(page.body.contains("id=\"robots\">1<"), "one robot, apart");
    assert!(
        page.body.contains("Facebook") && page.body.contains("Mobile") && page.body.contains("US")
    );

    let svg = editor
        .get(&format!("/w/alpha/audience/links/{id}/qr.svg"))
        .await;
    assert_eq!(svg.status, StatusCode::OK);
    assert!(svg.body.starts_with("<svg") || svg.body.starts_with("<?xml"));
    let png = editor
        .get(&format!("/w/alpha/audience/links/{id}/qr.png"))
        .await;
    assert_eq!(&png.bytes[..8], b"\x89PNG\r\n\x1a\n");

    // Another workspace sees nothing of it; an analyst cannot make links; a contributor
    // cannot delete them.
    let mut outsider = member(&a, "someone@bravo.test", "bravo", Role::Admin).await;
    assert_eq!(
        outsider
            .get(&format!("/w/bravo/audience/links/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        outsider
            .get(&format!("/w/bravo/audience/links/{id}/qr.png"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let mut analyst = member(&a, "analyst@alpha.test", "alpha", Role::Analyst).await;
    assert_eq!(
        analyst
            .post(
                "/w/alpha/audience/links",
                &[("target", "https://a.example/")]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        editor
            .post(&format!("/w/alpha/audience/links/{id}/delete"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let mut manager = member(&a, "manager@alpha.test", "alpha", Role::Manager).await;
    assert_eq!(
        manager
            .post(&format!("/w/alpha/audience/links/{id}/delete"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        follow(&a, "/l/Noel24", IPHONE, "GET", None).await.status,
        StatusCode::NOT_FOUND,
        "gone at once"
    );
}

#[tokio::test]
async fn expired_and_password_protected_links() {
    let a = audience().await;
    let mut manager = member(&a, "manager@alpha.test", "alpha", Role::Manager).await;
    let past = manager
        .post(
            "/w/alpha/audience/links",
            &[
                ("target", "https://shop.example.com/"),
                ("slug", "old"),
                ("expires", "2020-01-01"),
            ],
        )
        .await;
    assert_eq!(
        past.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an expiry in the past is refused"
    );
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Duration::days(1)).to_string();
    let soon = manager
        .post(
            "/w/alpha/audience/links",
            &[
                ("target", "https://shop.example.com/"),
                ("slug", "soon"),
                ("expires", tomorrow.as_str()),
            ],
        )
        .await;
    assert_eq!(soon.status, StatusCode::SEE_OTHER);
    assert_eq!(
        follow(&a, "/l/soon", IPHONE, "GET", None).await.status,
        StatusCode::FOUND,
        "not yet expired"
    );
    // Make it expire now, as time would.
    let link = a.app.store.link_by_slug("soon").await.unwrap().unwrap();
    a.app
        .store
        .delete_link(link.workspace_id, link.id, common::cli_audit("link.delete"))
        .await
        .unwrap();
    let expired = relais_store::audience::NewLink {
        id: relais_core::LinkId::new(),
        workspace_id: link.workspace_id,
        slug: "gone".into(),
        target: link.target.clone(),
        title: None,
        campaign: None,
        expires_at: Some(relais_core::Timestamp::from_millis(1)),
        password_hash: None,
        post_id: None,
        created_by: None,
    };
    a.app
        .store
        .create_link(expired.clone(), common::cli_audit("link.create"))
        .await
        .unwrap();
    assert_eq!(
        follow(&a, "/l/gone", IPHONE, "GET", None).await.status,
        StatusCode::GONE
    );

    let locked = manager
        .post(
            "/w/alpha/audience/links",
            &[
                ("target", "https://shop.example.com/vip"),
                ("slug", "vip"),
                ("password", "sésame ouvre-toi"),
            ],
        )
        .await;
    assert_eq!(locked.status, StatusCode::SEE_OTHER);
    let ask = follow(&a, "/l/vip", IPHONE, "GET", None).await;
    assert_eq!(ask.status, StatusCode::OK);
    assert!(ask.body.contains("type=\"password\"") && ask.location.is_none());
    assert_eq!(
        follow(&a, "/l/vip", IPHONE, "POST", Some("password=wrong"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let opened = follow(
        &a,
        "/l/vip",
        IPHONE,
        "POST",
        Some("password=s%C3%A9same+ouvre-toi"),
    )
    .await;
    assert_eq!(opened.status, StatusCode::FOUND);
    assert_eq!(
        opened.location.as_deref(),
        Some("https://shop.example.com/vip")
    );
    assert_eq!(
        follow(&a, "/l/%3Cscript%3E", IPHONE, "GET", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let cost = manager
        .post(
            "/w/alpha/audience/campaigns",
            &[
                ("campaign", "noel"),
                ("cost", "125,50"),
                ("currency", "eur"),
            ],
        )
        .await;
    assert_eq!(cost.status, StatusCode::SEE_OTHER);
    assert!(
        manager
            .get("/w/alpha/audience/links")
            .await
            .body
            .contains("125.50 EUR")
    );
    let refused = manager
        .post(
            "/w/alpha/audience/campaigns",
            &[("campaign", "noel"), ("cost", "lots"), ("currency", "EUR")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_posts_links_become_tracked_links_per_channel_and_its_page_shows_what_they_brought() {
    let a = audience().await;
    let alpha = a
        .app
        .store
        .workspace_by_slug(&Slug::parse("alpha").unwrap())
        .await
        .unwrap()
        .unwrap();
    for (network, name, settings) in [
        (
            "bluesky",
            "Bluesky FR",
            serde_json::json!({"service": "https://pds.example", "handle": "brand.example"}),
        ),
        (
            "mastodon",
            "Mastodon",
            serde_json::json!({"instance": "https://mastodon.example"}),
        ),
    ] {
        a.app
            .store
            .create_channel(
                relais_store::NewChannel {
                    id: relais_core::ChannelId::new(),
                    workspace_id: alpha.id,
                    network: network.into(),
                    name: name.into(),
                    settings,
                    secrets: Default::default(),
                    created_by: None,
                },
                common::cli_audit("channel.create"),
            )
            .await
            .unwrap();
    }
    let mut editor = member(&a, "editor@alpha.test", "alpha", Role::Editor).await;
    editor.get("/w/alpha/publish").await;
    let made = editor
        .post(
            "/w/alpha/publish",
            &[
                ("channel", "Bluesky FR"),
                ("channel", "Mastodon"),
                (
                    "text",
                    "Notre sélection de Noël : https://shop.example.com/noel ✨",
                ),
                ("track_links", "1"),
                ("at", "2031-05-01T09:00"),
                ("time_zone", "Europe/Paris"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let post = a.app.store.posts(alpha.id, 10).await.unwrap().remove(0);
    let links = a.app.store.links_of_post(alpha.id, post.id).await.unwrap();
    assert_eq!(links.len(), 2, "one short link per channel");
    let bluesky = links
        .iter()
        .find(|l| l.target.contains("utm_source=bluesky"))
        .unwrap();
    assert!(
        bluesky.target.starts_with("https://shop.example.com/noel?")
            && bluesky.target.contains("utm_medium=social")
    );
    let campaign = bluesky.campaign.clone().unwrap();
    assert!(
        links
            .iter()
            .all(|l| l.campaign.as_deref() == Some(campaign.as_str()))
    );
    // Each channel's text carries its own short link.
    let targets = a.app.store.targets_of(alpha.id, post.id).await.unwrap();
    let texts: Vec<String> = targets
        .iter()
        .map(|t| t.parts.clone().unwrap_or_default().remove(0).text)
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains(&format!("/l/{}", bluesky.slug))),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .all(|t| t.contains("http://relais.test/l/") && !t.contains("shop.example.com")),
        "{texts:?}"
    );

    // Someone clicks the Bluesky link, lands on the site with its tags, and signs up.
    let went = follow(&a, &format!("/l/{}", bluesky.slug), IPHONE, "GET", None).await;
    let landing = went.location.unwrap();
    for body in [
        serde_json::json!({"n": "pageview", "u": landing, "d": "shop.example.com", "r": "https://bsky.app/"}),
        serde_json::json!({"n": "Signup", "u": "https://shop.example.com/noel", "d": "shop.example.com"}),
    ] {
        let mut request = Request::builder()
            .method("POST")
            .uri("/api/event")
            .header(header::USER_AGENT, IPHONE)
            .body(Body::from(body.to_string()))
            .unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo("8.8.8.8:4000".parse::<SocketAddr>().unwrap()));
        assert_eq!(
            a.app
                .router
                .clone()
                .oneshot(request)
                .await
                .unwrap()
                .status(),
            StatusCode::ACCEPTED
        );
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let page = loop {
        let page = editor
            .get(&format!("/w/alpha/publish/posts/{}", post.id))
            .await;
        if page.body.contains("<td>bluesky</td><td>1</td>") || Instant::now() > deadline {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let section = &page.body[page.body.find("id=\"post-links\"").unwrap()..];
    assert!(
        section.contains("<td>bluesky</td><td>1</td>")
            && section.contains("<td>mastodon</td><td>0</td>"),
        "{section}"
    );
    assert!(
        section.contains("id=\"brought-visitors\">1<")
            && section.contains("id=\"brought-conversions\">1<"),
        "{section}"
    );
}

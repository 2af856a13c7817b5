//! The audience pages over HTTP: adding a site and its goals (managers only, CSRF checked), the
//! dashboard's figures, filters and CSV export for every member, other workspaces' sites
//! invisible, hostile page names escaped.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use common::audience::{Audience, audience};
use common::{Browser, add_member, add_user};
use relais_core::Role;
use serde_json::json;
use tower::ServiceExt;

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

/// A page view sent as Plausible's tracker sends it.
async fn view(a: &Audience, url: &str, referrer: Option<&str>, ip: &str) {
    let body =
        json!({"n": "pageview", "u": url, "d": "shop.example.com", "r": referrer}).to_string();
    let mut request = Request::builder()
        .method("POST")
        .uri("/api/event")
        .header(header::USER_AGENT, CHROME)
        .body(Body::from(body))
        .unwrap();
    request.extensions_mut().insert(ConnectInfo(
        format!("{ip}:5000").parse::<SocketAddr>().unwrap(),
    ));
    let status = a
        .app
        .router
        .clone()
        .oneshot(request)
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::ACCEPTED);
}

struct People {
    manager: Browser,
    analyst: Browser,
    outsider: Browser,
}

async fn people(a: &Audience) -> People {
    let alpha = a
        .app
        .store
        .workspace_by_slug(&relais_core::Slug::parse("alpha").unwrap())
        .await
        .unwrap()
        .unwrap();
    let bravo = a
        .app
        .store
        .workspace_by_slug(&relais_core::Slug::parse("bravo").unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut out = Vec::new();
    for (email, ws, role) in [
        ("manager@alpha.test", &alpha, Role::Manager),
        ("analyst@alpha.test", &alpha, Role::Analyst),
        ("admin@bravo.test", &bravo, Role::Admin),
    ] {
        let id = add_user(&a.app, email, false).await;
        add_member(&a.app, ws, id, role).await;
        let mut b = Browser::new(&a.app);
        b.login(email).await;
        out.push(b);
    }
    let outsider = out.pop().unwrap();
    let analyst = out.pop().unwrap();
    let manager = out.pop().unwrap();
    People {
        manager,
        analyst,
        outsider,
    }
}

async fn site_id(a: &Audience, domain: &str) -> String {
    let alpha = a
        .app
        .store
        .workspace_by_slug(&relais_core::Slug::parse("alpha").unwrap())
        .await
        .unwrap()
        .unwrap();
    a.app
        .store
        .site_named(alpha.id, domain)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

#[tokio::test]
async fn managers_add_sites_and_goals_analysts_only_look() {
    let a = audience().await;
    let mut p = people(&a).await;
    let list = p.manager.get("/w/alpha/audience").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("shop.example.com") && list.body.contains("site-form"));

    let bad = p
        .manager
        .post(
            "/w/alpha/audience/sites",
            &[("domain", "not a domain"), ("time_zone", "Europe/Paris")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("not a domain"), "the typed text is kept");
    let taken = p
        .manager
        .post(
            "/w/alpha/audience/sites",
            &[
                ("domain", "https://www.bravo.example.org/"),
                ("time_zone", "UTC"),
            ],
        )
        .await;
    assert_eq!(
        taken.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "another workspace's domain"
    );
    let zone = p
        .manager
        .post(
            "/w/alpha/audience/sites",
            &[
                ("domain", "news.example.com"),
                ("time_zone", "Mars/Olympus"),
            ],
        )
        .await;
    assert_eq!(zone.status, StatusCode::UNPROCESSABLE_ENTITY);
    let added = p
        .manager
        .post(
            "/w/alpha/audience/sites",
            &[
                ("domain", "https://www.News.example.com/"),
                ("time_zone", "Europe/Paris"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let settings = p.manager.get(added.location.as_deref().unwrap()).await;
    assert!(
        settings.body.contains("data-domain=\"news.example.com\""),
        "the snippet names the domain"
    );
    let id = site_id(&a, "news.example.com").await;
    assert!(settings.body.contains(&id), "Umami's tracker needs the id");

    let goal = p
        .manager
        .post(
            &format!("/w/alpha/audience/{id}/goals"),
            &[("kind", "page"), ("value", "/thanks/*")],
        )
        .await;
    assert_eq!(goal.status, StatusCode::SEE_OTHER);
    let refused = p
        .manager
        .post(
            &format!("/w/alpha/audience/{id}/goals"),
            &[("kind", "page"), ("value", "thanks")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let settings = p
        .manager
        .get(&format!("/w/alpha/audience/{id}/settings"))
        .await;
    assert!(settings.body.contains("/thanks/*"));

    // The analyst sees, and cannot change.
    let seen = p.analyst.get("/w/alpha/audience").await;
    assert!(seen.body.contains("news.example.com") && !seen.body.contains("site-form"));
    assert_eq!(
        p.analyst
            .post(
                "/w/alpha/audience/sites",
                &[("domain", "x.example.com"), ("time_zone", "UTC")]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        p.analyst
            .post(
                &format!("/w/alpha/audience/{id}/goals"),
                &[("kind", "event"), ("value", "X")]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        p.analyst
            .post(&format!("/w/alpha/audience/{id}/delete"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Without the page's CSRF token, nothing happens.
    let forged = p
        .manager
        .post_raw(
            "/w/alpha/audience/sites",
            &[("domain", "forged.example.com"), ("time_zone", "UTC")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    assert_eq!(
        p.manager
            .post(&format!("/w/alpha/audience/{id}/delete"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        p.manager
            .get(&format!("/w/alpha/audience/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_dashboard_counts_filters_exports_and_escapes() {
    let a = audience().await;
    let mut p = people(&a).await;
    view(
        &a,
        "https://shop.example.com/",
        Some("https://bsky.app/profile/brand"),
        "203.0.113.1",
    )
    .await;
    view(&a, "https://shop.example.com/pricing", None, "203.0.113.1").await;
    view(&a, "https://shop.example.com/", None, "203.0.113.2").await;
    view(
        &a,
        "https://shop.example.com/%3Cscript%3Ealert(1)%3C/script%3E",
        None,
        "203.0.113.3",
    )
    .await;
    let id = site_id(&a, "shop.example.com").await;

    let page = p
        .analyst
        .get(&format!("/w/alpha/audience/{id}?period=day"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"figures\""));
    // 3 visitors, 3 visits, 4 page views.
    let figures = &page.body
        [page.body.find("id=\"figures\"").unwrap()..page.body.find("id=\"graph\"").unwrap()];
    assert!(
        figures.contains("<strong>3</strong>") && figures.contains("<strong>4</strong>"),
        "{figures}"
    );
    assert!(page.body.contains("Bluesky"));
    assert!(
        !page.body.contains("<script>alert(1)"),
        "a page's name is shown escaped"
    );
    assert!(page.body.contains("&#60;script&#62;alert(1)"));

    // A row of the sources is a link that filters the whole page.
    let href = format!("/w/alpha/audience/{id}?period=day&#38;f=visit%3Asource%7CBluesky");
    assert!(page.body.contains(&href), "filter link missing");
    let filtered = p.analyst.get(&href.replace("&#38;", "&")).await;
    let figures = &filtered.body[filtered.body.find("id=\"figures\"").unwrap()
        ..filtered.body.find("id=\"graph\"").unwrap()];
    assert!(
        figures.contains("<strong>1</strong>") && figures.contains("<strong>2</strong>"),
        "one visitor, two page views: {figures}"
    );
    assert!(filtered.body.contains("visit:source = Bluesky"));

    let csv = p
        .analyst
        .get(&format!(
            "/w/alpha/audience/{id}/export.csv?period=day&dimension=event:page"
        ))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("shop.example.com-event-page-")
    );
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], "event:page,visitors,pageviews,events");
    assert_eq!(lines[1], "/,2,2,2");
    assert_eq!(lines.len(), 4);

    let compared = p
        .analyst
        .get(&format!("/w/alpha/audience/{id}?period=day&compare=1"))
        .await;
    assert!(compared.body.contains("+100%"), "first day against nothing");

    // Another workspace's member sees no such site.
    assert_eq!(
        p.outsider
            .get(&format!("/w/alpha/audience/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        p.outsider
            .get(&format!("/w/bravo/audience/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        p.outsider
            .get(&format!(
                "/w/bravo/audience/{id}/export.csv?dimension=event:page"
            ))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn funnels_are_made_of_goals_and_shown_through_the_page_filters() {
    let a = audience().await;
    let mut p = people(&a).await;
    let id = site_id(&a, "shop.example.com").await;
    let base = format!("/w/alpha/audience/{id}");
    assert_eq!(
        p.manager
            .post(
                &format!("{base}/goals"),
                &[("kind", "page"), ("value", "/pricing")]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let settings = p.manager.get(&format!("{base}/settings")).await;
    // The goals offered as steps: the event goal `Signup` (made with the site) and the page.
    let option = |label: &str| -> String {
        let at = settings.body.find(label).unwrap();
        let start =
            settings.body[..at].rfind("<option value=\"").unwrap() + "<option value=\"".len();
        settings.body[start..]
            .chars()
            .take_while(|c| *c != '"')
            .collect()
    };
    let (pricing, signup) = (option(": /pricing</option>"), option(": Signup</option>"));
    let one_step = p
        .manager
        .post(
            &format!("{base}/funnels"),
            &[("name", "Trial"), ("step", &pricing), ("step", "")],
        )
        .await;
    assert_eq!(one_step.status, StatusCode::UNPROCESSABLE_ENTITY);
    let made = p
        .manager
        .post(
            &format!("{base}/funnels"),
            &[("name", "Trial"), ("step", &pricing), ("step", &signup)],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    assert_eq!(
        p.analyst
            .post(
                &format!("{base}/funnels"),
                &[("name", "X"), ("step", &pricing), ("step", &signup)]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Two people see the pricing; one of them signs up.
    view(&a, "https://shop.example.com/pricing", None, "203.0.113.1").await;
    view(&a, "https://shop.example.com/pricing", None, "203.0.113.2").await;
    let signup_event =
        json!({"n": "Signup", "u": "https://shop.example.com/pricing", "d": "shop.example.com"})
            .to_string();
    let mut request = Request::builder()
        .method("POST")
        .uri("/api/event")
        .header(header::USER_AGENT, CHROME)
        .body(Body::from(signup_event))
        .unwrap();
    request.extensions_mut().insert(ConnectInfo(
        "203.0.113.2:5000".parse::<SocketAddr>().unwrap(),
    ));
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

    let page = p.analyst.get(&format!("{base}?period=day")).await;
    let funnel = &page.body[page.body.find("id=\"funnel-1\"").unwrap()..];
    assert!(funnel.contains("Trial"));
    assert!(funnel.contains("<td>2</td><td>100.0%</td>"), "{funnel}");
    assert!(
        funnel.contains("<td>1</td><td>50.0%</td>") && funnel.contains("−1"),
        "{funnel}"
    );
}

#[tokio::test]
async fn campaigns_show_what_a_visit_and_a_conversion_cost() {
    let a = audience().await;
    let mut p = people(&a).await;
    let id = site_id(&a, "shop.example.com").await;
    for ip in ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"] {
        view(
            &a,
            "https://shop.example.com/?utm_campaign=noel&utm_source=bluesky",
            None,
            ip,
        )
        .await;
    }
    let signup = json!({"n": "Signup", "u": "https://shop.example.com/", "d": "shop.example.com"})
        .to_string();
    let mut request = Request::builder()
        .method("POST")
        .uri("/api/event")
        .header(header::USER_AGENT, CHROME)
        .body(Body::from(signup))
        .unwrap();
    request.extensions_mut().insert(ConnectInfo(
        "203.0.113.1:5000".parse::<SocketAddr>().unwrap(),
    ));
    a.app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(
        p.manager
            .post(
                "/w/alpha/audience/campaigns",
                &[("campaign", "noel"), ("cost", "10"), ("currency", "EUR")]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let page = p
        .analyst
        .get(&format!("/w/alpha/audience/{id}?period=day"))
        .await;
    // 10 EUR for 4 visits and 1 conversion.
    assert!(
        page.body
            .contains("Cost per visit : 2.50 EUR · Cost per conversion : 10.00 EUR"),
        "{}",
        &page.body[page.body.find("panel-campaigns").unwrap()..][..900]
    );
}

//! The Publish and Channels pages over HTTP: the composer as each role (queued for editors,
//! waiting for approval for contributors, refused for analysts), approval, refusals in the
//! page's language, live checks, and connecting channels safely.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use relais_core::{ChannelId, Role};
use relais_store::{NewChannel, Workspace};

struct Fixture {
    app: App,
    ws: Workspace,
}

async fn fixture(vault: bool) -> Fixture {
    fixture_with_mail(vault, None).await
}

async fn fixture_with_mail(
    vault: bool,
    mailer: Option<std::sync::Arc<dyn relais_mail::Mailer>>,
) -> Fixture {
    let config = relais_web::WebConfig {
        public_url: "http://relais.test".into(),
        vault: vault.then(|| relais_vault::Vault::from_bytes(&[3u8; 32])),
        ..Default::default()
    };
    let app = app_with_config(mailer, config).await;
    let ws = add_workspace(&app, "alpha").await;
    for role in Role::ALL {
        let id = add_user(
            &app,
            &format!("{}@alpha.test", role.as_str()),
            role == Role::Admin,
        )
        .await;
        add_member(&app, &ws, id, role).await;
    }
    let channel = NewChannel {
        id: ChannelId::new(),
        workspace_id: ws.id,
        network: "bluesky".into(),
        name: "Bluesky FR".into(),
        settings: serde_json::json!({ "service": "https://pds.example", "handle": "brand.example" }),
        secrets: Default::default(),
        created_by: None,
    };
    app.store
        .create_channel(channel, cli_audit("channel.create"))
        .await
        .unwrap();
    Fixture { app, ws }
}

async fn as_role(f: &Fixture, role: Role) -> Browser {
    let mut b = Browser::new(&f.app);
    b.login(&format!("{}@alpha.test", role.as_str())).await;
    b.get("/w/alpha/publish").await;
    b
}

fn queued_jobs(counts: &[(String, u64)]) -> u64 {
    counts
        .iter()
        .find(|(s, _)| s == "queued")
        .map_or(0, |(_, n)| *n)
}

#[tokio::test]
async fn editors_queue_contributors_wait_for_approval_analysts_only_read() {
    let f = fixture(false).await;
    let form = [
        ("channel", "Bluesky FR"),
        ("text", "Bonjour à tous\n---\nla suite"),
        ("at", ""),
        ("time_zone", "Europe/Paris"),
    ];
    let mut editor = as_role(&f, Role::Editor).await;
    let a = editor.post("/w/alpha/publish", &form).await;
    assert_eq!(
        a.location.as_deref(),
        Some("/w/alpha/publish?done=queued"),
        "{}",
        a.body
    );
    assert_eq!(queued_jobs(&f.app.store.job_counts().await.unwrap()), 1);
    let posts = f.app.store.posts(f.ws.id, 10).await.unwrap();
    assert_eq!(posts[0].parts.len(), 2, "--- made a thread");

    let mut contributor = as_role(&f, Role::Contributor).await;
    let page = contributor.get("/w/alpha/publish").await;
    assert!(
        page.body.contains("Send for approval"),
        "the button says what will happen"
    );
    let a = contributor
        .post(
            "/w/alpha/publish",
            &[
                ("channel", "Bluesky FR"),
                ("text", "Mon idée"),
                ("time_zone", "UTC"),
            ],
        )
        .await;
    assert_eq!(a.location.as_deref(), Some("/w/alpha/publish?done=pending"));
    assert_eq!(
        queued_jobs(&f.app.store.job_counts().await.unwrap()),
        1,
        "nothing goes out before approval"
    );
    let pending = f
        .app
        .store
        .posts(f.ws.id, 10)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.parts[0].text == "Mon idée")
        .unwrap();
    let approve = format!("/w/alpha/publish/posts/{}/approve", pending.id);
    assert_eq!(
        contributor.post(&approve, &[]).await.status,
        StatusCode::FORBIDDEN,
        "a contributor cannot approve"
    );

    let mut analyst = as_role(&f, Role::Analyst).await;
    assert!(
        !analyst
            .get("/w/alpha/publish")
            .await
            .body
            .contains("id=\"composer\"")
    );
    assert_eq!(
        analyst.post("/w/alpha/publish", &form).await.status,
        StatusCode::FORBIDDEN
    );

    let page = editor.get("/w/alpha/publish").await;
    assert!(
        page.body.contains(&approve),
        "editors see the approval buttons"
    );
    assert_eq!(
        editor.post(&approve, &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        queued_jobs(&f.app.store.job_counts().await.unwrap()),
        2,
        "approved: queued with its job"
    );
    assert_eq!(
        editor.post(&approve, &[]).await.status,
        StatusCode::NOT_FOUND,
        "decided once"
    );
    let log = f
        .app
        .store
        .audit_log(Some(f.ws.id), None, 20)
        .await
        .unwrap();
    assert!(log.iter().any(|r| r.event.action == "post.approve" && r.event.actor.label == "editor@alpha.test"));
}

#[tokio::test]
async fn refusals_are_in_the_page_language_and_keep_what_was_typed() {
    let f = fixture(false).await;
    let mut editor = as_role(&f, Role::Editor).await;
    editor
        .post("/lang", &[("lang", "fr"), ("next", "/w/alpha/publish")])
        .await;
    editor.get("/w/alpha/publish").await;
    let long = "é".repeat(301);
    let a = editor
        .post(
            "/w/alpha/publish",
            &[
                ("channel", "Bluesky FR"),
                ("text", &long),
                ("at", "2020-01-01T09:00"),
                ("time_zone", "Europe/Paris"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.body.contains("Non programmé"),
        "{}",
        &a.body[..2000.min(a.body.len())]
    );
    assert!(a.body.contains("est passé"), "the time, in French");
    assert!(a.body.contains("300"), "the network's limit is named");
    assert!(a.body.contains(&long), "the text typed is kept");
    let none = editor
        .post(
            "/w/alpha/publish",
            &[("text", "sans canal"), ("time_zone", "UTC")],
        )
        .await;
    assert!(none.body.contains("choisissez au moins un canal"));
    assert!(
        f.app.store.posts(f.ws.id, 10).await.unwrap().is_empty(),
        "nothing stored"
    );
}

#[tokio::test]
async fn live_checks_count_as_the_network_does() {
    let f = fixture(false).await;
    let mut editor = as_role(&f, Role::Editor).await;
    let token = editor.csrf.clone().unwrap();
    let cookies = editor
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let body = serde_json::json!({ "channels": ["Bluesky FR", "unknown"], "text": format!("{} 👨‍👩‍👧", "a".repeat(10)) });
    let request = |token: &str| {
        Request::post("/w/alpha/publish/check")
            .header("cookie", cookies.clone())
            .header("x-csrf-token", token)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let a = editor.send(request(&token)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let results = a.json();
    assert_eq!(
        results.as_array().unwrap().len(),
        1,
        "unknown channels are skipped"
    );
    assert_eq!(
        results[0]["used"], 12,
        "ten letters, a space and one family emoji: 12 graphemes"
    );
    assert_eq!(results[0]["limit"], 300);
    assert_eq!(results[0]["over"], false);
    assert_eq!(
        editor.send(request("forged")).await.status,
        StatusCode::FORBIDDEN,
        "CSRF applies to JSON too"
    );
}

#[tokio::test]
async fn channels_are_managed_by_managers_and_guarded() {
    let f = fixture(true).await;
    let mut analyst = as_role(&f, Role::Analyst).await;
    let page = analyst.get("/w/alpha/publish/channels").await;
    assert!(
        page.body.contains("Bluesky FR") && !page.body.contains("channel-connect"),
        "analysts see, without the form"
    );
    let form = [
        ("name", "Second"),
        ("service", "http://127.0.0.1:9/"),
        ("handle", "brand.test"),
        ("app_password", "abcd-efgh"),
    ];
    assert_eq!(
        analyst
            .post("/w/alpha/publish/channels", &form)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let mut manager = as_role(&f, Role::Manager).await;
    manager.get("/w/alpha/publish/channels").await;
    let guarded = manager.post("/w/alpha/publish/channels", &form).await;
    assert_eq!(guarded.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        guarded.body.contains("RELAIS_ALLOW_PRIVATE_ADDRESSES"),
        "the SSRF guard explains itself"
    );
    assert!(
        !guarded.body.contains("abcd-efgh"),
        "the password is never echoed back"
    );
    let bad = manager
        .post(
            "/w/alpha/publish/channels",
            &[
                ("name", "X"),
                ("service", "ftp://x"),
                ("handle", "h"),
                ("app_password", "p"),
            ],
        )
        .await;
    assert!(bad.body.contains("https://bsky.social"));
    assert_eq!(
        f.app.store.channels(f.ws.id).await.unwrap().len(),
        1,
        "nothing stored on refusal"
    );

    let id = f.app.store.channels(f.ws.id).await.unwrap()[0].id;
    let a = manager
        .post(&format!("/w/alpha/publish/channels/{id}/remove"), &[])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(f.app.store.channels(f.ws.id).await.unwrap().is_empty());

    let without_key = fixture(false).await;
    let mut m2 = as_role(&without_key, Role::Manager).await;
    assert!(
        m2.get("/w/alpha/publish/channels")
            .await
            .body
            .contains("RELAIS_SECRET_KEY"),
        "says how to enable it"
    );
}

#[tokio::test]
async fn the_calendar_feed_opens_with_its_link_only() {
    let f = fixture(false).await;
    let mut editor = as_role(&f, Role::Editor).await;
    editor
        .post(
            "/w/alpha/publish",
            &[
                ("channel", "Bluesky FR"),
                ("text", "Soldes d’été ; -50 %"),
                ("at", "2030-07-01T09:00"),
                ("time_zone", "Europe/Paris"),
            ],
        )
        .await;
    assert_eq!(
        editor
            .post("/w/alpha/publish/calendar-link", &[])
            .await
            .status,
        StatusCode::FORBIDDEN,
        "editors cannot make tokens"
    );
    let mut manager = as_role(&f, Role::Manager).await;
    let page = manager.post("/w/alpha/publish/calendar-link", &[]).await;
    let at = page
        .body
        .find("http://relais.test/api/v1/calendar.ics?token=")
        .expect("the link is shown");
    let link: String = page.body[at..].chars().take_while(|c| *c != '"').collect();
    let path = link.trim_start_matches("http://relais.test");
    let feed = api(&f.app, "GET", path, None, None).await;
    assert_eq!(feed.status, StatusCode::OK);
    assert!(
        feed.headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    assert!(
        feed.body.contains("SUMMARY:Soldes d’été \\; -50 %"),
        "{}",
        feed.body
    );
    assert!(
        feed.body.contains("DTSTART:20300701T070000Z"),
        "09:00 in Paris in summer"
    );
    assert_eq!(
        api(
            &f.app,
            "GET",
            "/api/v1/calendar.ics?token=rls_wrong",
            None,
            None
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api(&f.app, "GET", "/api/v1/calendar.ics", None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn approval_is_asked_of_editors_and_the_decision_told_to_the_author_by_mail() {
    let sink = relais_testkit::smtp::SmtpSink::start().await;
    let mailer = relais_mail::SmtpMailer::new(&relais_mail::SmtpConfig {
        host: "127.0.0.1".into(),
        port: sink.port,
        security: relais_mail::Security::None,
        from: "Relais <relais@relais.test>".into(),
        ..Default::default()
    })
    .unwrap();
    let f = fixture_with_mail(false, Some(std::sync::Arc::new(mailer))).await;
    let contributor_id = f
        .app
        .store
        .members(f.ws.id)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.role == Role::Contributor)
        .unwrap()
        .user
        .id;
    f.app
        .store
        .set_user_locale(contributor_id, Some("fr"))
        .await
        .unwrap();
    let mut contributor = as_role(&f, Role::Contributor).await;
    contributor
        .post(
            "/w/alpha/publish",
            &[
                ("channel", "Bluesky FR"),
                ("text", "Idée de post"),
                ("time_zone", "UTC"),
            ],
        )
        .await;
    let wait_for = |n: usize| {
        let sink = sink.clone();
        async move {
            for _ in 0..200 {
                if sink.messages().len() >= n {
                    return sink.messages();
                }
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            sink.messages()
        }
    };
    let asked = wait_for(3).await;
    let mut to: Vec<String> = asked.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "admin@alpha.test",
            "editor@alpha.test",
            "manager@alpha.test"
        ],
        "those who may approve"
    );
    let body = decoded(&asked[0].data);
    assert!(
        body.contains("Idée de post") && body.contains("http://relais.test/w/alpha/publish"),
        "{body}"
    );

    let post = f.app.store.posts(f.ws.id, 1).await.unwrap().remove(0);
    let mut editor = as_role(&f, Role::Editor).await;
    editor
        .post(&format!("/w/alpha/publish/posts/{}/refuse", post.id), &[])
        .await;
    let all = wait_for(4).await;
    let told = all
        .iter()
        .find(|m| m.to == ["contributor@alpha.test"])
        .expect("the author is told");
    let body = decoded(&told.data);
    assert!(
        body.contains("a refusé votre publication"),
        "in the author's language: {body}"
    );
}

/// The text of a mail as sent: its body decoded from quoted-printable or base64.
fn decoded(message: &str) -> String {
    let (headers, body) = message.split_once("\n\n").unwrap_or((message, ""));
    let headers = headers.to_ascii_lowercase();
    if headers.contains("content-transfer-encoding: base64") {
        use base64::Engine;
        let compact: String = body.split_whitespace().collect();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .unwrap_or_default();
        return String::from_utf8_lossy(&raw).into_owned();
    }
    if headers.contains("content-transfer-encoding: quoted-printable") {
        let joined = body.replace("=\r\n", "").replace("=\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
                (b'=', Some(b)) => {
                    out.push(b);
                    i += 3;
                }
                (c, _) => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        return String::from_utf8_lossy(&out).into_owned();
    }
    body.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_by_the_network_fails_the_post_and_mails_its_author() {
    // A receiver that refuses every post for good, as a network refuses a too-long text.
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(|| async {
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(serde_json::json!({ "error": "text too long for the receiver" })),
            )
        }),
    );
    let receiver = relais_testkit::mock_http::MockHttp::start(router).await;
    let sink = relais_testkit::smtp::SmtpSink::start().await;
    let smtp = relais_mail::SmtpConfig {
        host: "127.0.0.1".into(),
        port: sink.port,
        security: relais_mail::Security::None,
        from: "Relais <relais@relais.test>".into(),
        ..Default::default()
    };
    let f = fixture(true).await;
    let vault = relais_vault::Vault::from_bytes(&[3u8; 32]);
    let id = ChannelId::new();
    let secrets = vault
        .seal_all(
            &format!("channel:{id}"),
            &[("secret".to_owned(), "s3cret".to_owned())].into(),
        )
        .unwrap();
    let hook = NewChannel {
        id,
        workspace_id: f.ws.id,
        network: "webhook".into(),
        name: "CRM".into(),
        settings: serde_json::json!({ "url": receiver.url("/hook") }),
        secrets,
        created_by: None,
    };
    f.app
        .store
        .create_channel(hook, cli_audit("channel.create"))
        .await
        .unwrap();
    let mut editor = as_role(&f, Role::Editor).await;
    let a = editor
        .post(
            "/w/alpha/publish",
            &[
                ("channel", "CRM"),
                ("text", "Pour le CRM"),
                ("time_zone", "UTC"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);

    let http = relais_outbound::HttpClient::new(relais_outbound::OutboundConfig {
        allow_private_addresses: true,
        ..Default::default()
    })
    .unwrap();
    let mailer: Option<std::sync::Arc<dyn relais_mail::Mailer>> = Some(std::sync::Arc::new(
        relais_mail::SmtpMailer::new(&smtp).unwrap(),
    ));
    let mut worker = relais_jobs::Worker::new(f.app.store.clone(), "test");
    worker.register(
        relais_publisher::PUBLISH_JOB,
        std::sync::Arc::new(
            relais_publisher::PublishTarget::new(http, vault)
                .with_mailer(mailer, "http://relais.test"),
        ),
    );
    while worker.run_once().await.unwrap() {}

    let post = f.app.store.posts(f.ws.id, 1).await.unwrap().remove(0);
    assert_eq!(
        post.status,
        relais_store::PostStatus::Failed,
        "a refusal for good fails the post"
    );
    let target = f
        .app
        .store
        .targets_of(f.ws.id, post.id)
        .await
        .unwrap()
        .remove(0);
    assert!(
        target
            .last_error
            .unwrap()
            .contains("text too long for the receiver"),
        "with the network's reason"
    );
    let page = editor.get("/w/alpha/publish").await;
    assert!(
        page.body.contains("text too long for the receiver"),
        "shown on the post"
    );
    let mails = sink.messages();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["editor@alpha.test"]);
    let body = decoded(&mails[0].data);
    assert!(
        body.contains("text too long for the receiver") && body.contains("Pour le CRM"),
        "{body}"
    );
}

#[tokio::test]
async fn the_calendar_shows_posts_on_their_day_and_moves_them_keeping_the_hour() {
    let f = fixture(false).await;
    let mut editor = as_role(&f, Role::Editor).await;
    let a = editor
        .post(
            "/w/alpha/publish",
            &[
                ("channel", "Bluesky FR"),
                ("text", "Rentrée"),
                ("at", "2030-03-29T09:00"),
                ("time_zone", "Europe/Paris"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let week = editor
        .get("/w/alpha/publish/calendar?view=week&date=2030-03-27&tz=Europe/Paris")
        .await;
    assert_eq!(week.status, StatusCode::OK);
    let cell = week
        .body
        .find("data-day=\"2030-03-29\"")
        .expect("the day is in the week");
    let next_cell = week.body[cell..]
        .find("data-day=\"2030-03-30\"")
        .map_or(week.body.len(), |i| cell + i);
    assert!(
        week.body[cell..next_cell].contains("Rentrée"),
        "the post is on its day"
    );
    assert!(week.body[cell..next_cell].contains("09:00"));
    let month = editor
        .get("/w/alpha/publish/calendar?view=month&date=2030-03-01&tz=Europe/Paris")
        .await;
    assert!(
        month.body.contains("Rentrée") && month.body.contains("data-day=\"2030-02-25\""),
        "whole weeks around March"
    );

    let post = f.app.store.posts(f.ws.id, 1).await.unwrap().remove(0);
    let move_url = format!("/w/alpha/publish/posts/{}/move", post.id);
    assert!(week.body.contains(&move_url), "editors may move it");
    let mut analyst = as_role(&f, Role::Analyst).await;
    assert!(
        !analyst
            .get("/w/alpha/publish/calendar?date=2030-03-27")
            .await
            .body
            .contains(&move_url)
    );
    assert_eq!(
        analyst
            .post(&move_url, &[("day", "2030-04-02")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // From winter time to summer time: still 09:00 on the wall in Paris.
    let moved = editor.post(&move_url, &[("day", "2030-04-02")]).await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    let after = f.app.store.post(f.ws.id, post.id).await.unwrap().unwrap();
    let shown =
        relais_publish::plan::time::show(after.scheduled_at.unwrap().millis(), "Europe/Paris");
    assert_eq!(shown, "2030-04-02 09:00 +02:00");
    let past = editor.post(&move_url, &[("day", "2020-01-01")]).await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(past.body.contains("in the past"));
}

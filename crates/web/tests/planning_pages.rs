//! The planning pages over HTTP: connecting an X account through the workspace's app (PKCE
//! checked by a fake token endpoint, tokens sealed, connecting again updates the channel), the
//! channel queue and "next free slot" in the composer, comments on a post, and feeds.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use common::*;
use relais_core::{ChannelId, Role};
use relais_store::{NewChannel, Workspace};
use relais_testkit::mock_http::MockHttp;
use serde_json::json;
use sha2::{Digest, Sha256};

const ACCESS_TOKEN: &str = "at-secret-0123456789";
const REFRESH_TOKEN: &str = "rt-secret-9876543210";

struct Fixture {
    app: App,
    ws: Workspace,
}

async fn fixture(oauth_api: Option<String>) -> Fixture {
    let mut config = relais_web::WebConfig {
        public_url: "http://relais.test".into(),
        vault: Some(relais_vault::Vault::from_bytes(&[5u8; 32])),
        outbound: relais_outbound::OutboundConfig {
            allow_private_addresses: true,
            ..Default::default()
        },
        ..Default::default()
    };
    if let Some(base) = oauth_api {
        config.oauth_endpoints.insert(
            "x".into(),
            relais_web::OAuthEndpoints {
                api_base: Some(base.clone()),
                authorize_base: Some(format!("{base}/authorize")),
            },
        );
    }
    let app = app_with_config(None, config).await;
    let ws = add_workspace(&app, "alpha").await;
    for role in Role::ALL {
        let id = add_user(&app, &format!("{}@alpha.test", role.as_str()), false).await;
        add_member(&app, &ws, id, role).await;
    }
    Fixture { app, ws }
}

async fn as_role(f: &Fixture, role: Role) -> Browser {
    let mut b = Browser::new(&f.app);
    b.login(&format!("{}@alpha.test", role.as_str())).await;
    b.get("/w/alpha/publish/channels").await;
    b
}

async fn add_channel(f: &Fixture, name: &str) -> ChannelId {
    let c = NewChannel {
        id: ChannelId::new(),
        workspace_id: f.ws.id,
        network: "bluesky".into(),
        name: name.into(),
        settings: json!({ "service": "https://pds.example", "handle": "brand.example" }),
        secrets: Default::default(),
        created_by: None,
    };
    f.app
        .store
        .create_channel(c, cli_audit("channel.create"))
        .await
        .unwrap()
        .id
}

fn query_param(url: &str, key: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no {key} in {url}"))
}

/// X's token endpoint and `users/me`, as far as connecting needs: the code must come with the
/// verifier of the challenge the test hands it, and the app's Basic credentials.
#[derive(Clone, Default)]
struct FakeX {
    challenge: Arc<Mutex<String>>,
    exchanges: Arc<Mutex<u32>>,
}

async fn token(
    State(x): State<FakeX>,
    headers: HeaderMap,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> (StatusCode, Json<serde_json::Value>) {
    let basic = base64::engine::general_purpose::STANDARD.encode("client-x:shh-secret");
    let authorised = headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Basic {basic}"));
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    let good = authorised
        && form.get("grant_type").map(String::as_str) == Some("authorization_code")
        && form.get("code").map(String::as_str) == Some("the-code")
        && form.get("redirect_uri").map(String::as_str)
            == Some("http://relais.test/oauth/callback")
        && challenge == *x.challenge.lock().unwrap();
    if !good {
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!({ "error": "invalid_request", "error_description": "Value passed for the authorization code was invalid." }),
            ),
        );
    }
    *x.exchanges.lock().unwrap() += 1;
    (
        StatusCode::OK,
        Json(
            json!({ "token_type": "bearer", "expires_in": 7200, "access_token": ACCESS_TOKEN,
                      "refresh_token": REFRESH_TOKEN, "scope": "tweet.read tweet.write users.read offline.access media.write" }),
        ),
    )
}

async fn me(headers: HeaderMap) -> (StatusCode, Json<serde_json::Value>) {
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {ACCESS_TOKEN}"))
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "title": "Unauthorized", "status": 401 })),
        );
    }
    (
        StatusCode::OK,
        Json(json!({ "data": { "id": "1001", "username": "relais_app", "name": "Relais" } })),
    )
}

#[tokio::test]
async fn an_x_account_is_connected_through_the_workspace_app() {
    let fake = FakeX::default();
    let server = MockHttp::start(
        Router::new()
            .route("/2/oauth2/token", post(token))
            .route("/2/users/me", get(me))
            .with_state(fake.clone()),
    )
    .await;
    let f = fixture(Some(server.base_url().to_owned())).await;
    let mut admin = as_role(&f, Role::Admin).await;
    let page = admin.get("/w/alpha/publish/channels").await;
    assert!(
        page.body.contains("http://relais.test/oauth/callback"),
        "the redirect to register is shown"
    );

    // Editors may not touch apps or start connections.
    let mut editor = as_role(&f, Role::Editor).await;
    let a = editor
        .post(
            "/w/alpha/publish/channels/apps/x",
            &[("client_id", "client-x")],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    let a = admin
        .post(
            "/w/alpha/publish/channels/apps/x",
            &[("client_id", "client-x"), ("client_secret", "shh-secret")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let app = f.app.store.oauth_app(f.ws.id, "x").await.unwrap().unwrap();
    let sealed = app.client_secret.unwrap();
    assert!(!sealed.contains("shh-secret"), "the app secret is sealed");

    // Start: off to the consent page with PKCE and a state.
    let start = admin.post("/w/alpha/publish/channels/connect/x", &[]).await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
    let consent = start.location.unwrap();
    assert!(
        consent.starts_with(&format!("{}/authorize?", server.base_url())),
        "{consent}"
    );
    assert_eq!(query_param(&consent, "client_id"), "client-x");
    assert_eq!(query_param(&consent, "code_challenge_method"), "S256");
    assert_eq!(
        query_param(&consent, "redirect_uri"),
        "http://relais.test/oauth/callback"
    );
    *fake.challenge.lock().unwrap() = query_param(&consent, "code_challenge");
    let state = query_param(&consent, "state");

    // Someone else's session cannot use this state.
    let callback = format!("/oauth/callback?code=the-code&state={state}");
    let stranger = editor.get(&callback).await;
    assert_eq!(stranger.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        *fake.exchanges.lock().unwrap(),
        0,
        "no code was spent for a stranger"
    );

    let back = admin.get(&callback).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    let pick_url = back.location.unwrap();
    let pick = admin.get(&pick_url).await;
    assert!(pick.body.contains("@relais_app"), "{}", pick.body);
    let added = admin.post(&pick_url, &[("account", "0")]).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert!(added.body.contains("@relais_app"));
    let channels = f.app.store.channels(f.ws.id).await.unwrap();
    assert_eq!(channels.len(), 1);
    let ch = &channels[0];
    assert_eq!(
        (ch.network.as_str(), ch.name.as_str()),
        ("x", "@relais_app")
    );
    assert_eq!(ch.settings["account_id"], "1001");
    assert_eq!(ch.settings["client_id"], "client-x");
    let stored = serde_json::to_string(&ch.secrets).unwrap();
    assert!(ch.secrets.contains_key("access_token") && ch.secrets.contains_key("refresh_token"));
    assert!(
        !stored.contains(ACCESS_TOKEN) && !stored.contains(REFRESH_TOKEN),
        "tokens are sealed at rest"
    );
    let vault = relais_vault::Vault::from_bytes(&[5u8; 32]);
    let opened = vault
        .open_all(&format!("channel:{}", ch.id), &ch.secrets)
        .unwrap();
    assert_eq!(opened["access_token"], ACCESS_TOKEN);

    // The state is spent: the same callback again is refused.
    assert_eq!(
        admin.get(&callback).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Connecting the same account again updates its channel instead of adding one.
    let again = admin.post("/w/alpha/publish/channels/connect/x", &[]).await;
    let consent = again.location.unwrap();
    *fake.challenge.lock().unwrap() = query_param(&consent, "code_challenge");
    let back = admin
        .get(&format!(
            "/oauth/callback?code=the-code&state={}",
            query_param(&consent, "state")
        ))
        .await;
    let pick_url = back.location.unwrap();
    assert!(admin.get(&pick_url).await.body.contains("@relais_app"));
    let done = admin.post(&pick_url, &[("account", "0")]).await;
    assert!(
        done.body.contains("Channels connected again: @relais_app"),
        "{}",
        done.body
    );
    assert_eq!(f.app.store.channels(f.ws.id).await.unwrap().len(), 1);

    // A person who says no on the network's page is told so, and nothing is added.
    let third = admin.post("/w/alpha/publish/channels/connect/x", &[]).await;
    let state = query_param(&third.location.unwrap(), "state");
    let denied = admin
        .get(&format!(
            "/oauth/callback?error=access_denied&error_description=The+user+said+no&state={state}"
        ))
        .await;
    assert_eq!(denied.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(denied.body.contains("The user said no"), "{}", denied.body);

    // A wrong code (the fake refuses it) is reported, not a crash.
    let fourth = admin.post("/w/alpha/publish/channels/connect/x", &[]).await;
    let state = query_param(&fourth.location.unwrap(), "state");
    let bad = admin
        .get(&format!("/oauth/callback?code=stale-code&state={state}"))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("connect the channel again"),
        "{}",
        bad.body
    );
    assert!(!bad.body.contains("shh-secret"));
    server.stop().await;
}

#[tokio::test]
async fn the_queue_gives_each_post_the_next_free_slot() {
    let f = fixture(None).await;
    let ch = add_channel(&f, "Bluesky FR").await;
    let queue_url = format!("/w/alpha/publish/channels/{ch}/queue");
    let mut admin = as_role(&f, Role::Admin).await;
    let page = admin.get(&queue_url).await;
    assert!(page.body.contains("No times yet"), "{}", page.body);

    let bad = admin
        .post(
            &queue_url,
            &[
                ("slots", "mon 09:00, someday 10:00"),
                ("zone", "Europe/Paris"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("someday"), "the page names the bad time");
    let bad = admin
        .post(
            &queue_url,
            &[("slots", "mon 09:00"), ("zone", "Mars/Olympus")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let mut analyst = as_role(&f, Role::Analyst).await;
    assert!(analyst.get(&queue_url).await.status.is_success());
    assert_eq!(
        analyst
            .post(&queue_url, &[("slots", "mon 09:00"), ("zone", "UTC")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let saved = admin
        .post(
            &queue_url,
            &[("slots", "tue 09:00\nthu 17h30"), ("zone", "Europe/Paris")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert!(
        saved.body.contains("tue 09:00, thu 17:30"),
        "{}",
        saved.body
    );
    assert!(saved.body.contains("Next free slot"));

    // Two posts to the queue: two different slots, both at a queue time in Paris.
    let mut editor = as_role(&f, Role::Editor).await;
    editor.get("/w/alpha/publish").await;
    for text in ["Premier", "Second"] {
        let a = editor
            .post(
                "/w/alpha/publish",
                &[
                    ("channel", "Bluesky FR"),
                    ("text", text),
                    ("queue", "1"),
                    ("time_zone", "UTC"),
                ],
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    }
    let posts = f.app.store.posts(f.ws.id, 10).await.unwrap();
    let mut times: Vec<i64> = posts
        .iter()
        .map(|p| p.scheduled_at.unwrap().millis())
        .collect();
    times.sort_unstable();
    times.dedup();
    assert_eq!(times.len(), 2, "one post per slot");
    for p in &posts {
        assert_eq!(p.time_zone.as_deref(), Some("Europe/Paris"));
        let local =
            relais_publish::plan::time::show(p.scheduled_at.unwrap().millis(), "Europe/Paris");
        assert!(
            local.contains(" 09:00 ") || local.contains(" 17:30 "),
            "{local}"
        );
    }

    // A channel without slots cannot take a queued post: the composer says why.
    add_channel(&f, "Sans file").await;
    editor.get("/w/alpha/publish").await;
    let refused = editor
        .post(
            "/w/alpha/publish",
            &[
                ("channel", "Sans file"),
                ("text", "Hop"),
                ("queue", "1"),
                ("time_zone", "UTC"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("no free slot"), "{}", refused.body);
}

#[tokio::test]
async fn the_team_comments_on_a_post_before_it_goes_out() {
    let f = fixture(None).await;
    add_channel(&f, "Bluesky FR").await;
    let other = add_workspace(&f.app, "bravo").await;
    let mut contributor = as_role(&f, Role::Contributor).await;
    contributor.get("/w/alpha/publish").await;
    contributor
        .post(
            "/w/alpha/publish",
            &[
                ("channel", "Bluesky FR"),
                ("text", "Mon idée"),
                ("time_zone", "UTC"),
            ],
        )
        .await;
    let post = f.app.store.posts(f.ws.id, 1).await.unwrap().remove(0);
    let url = format!("/w/alpha/publish/posts/{}", post.id);

    let mut editor = as_role(&f, Role::Editor).await;
    let page = editor.get(&url).await;
    assert!(page.body.contains("Mon idée") && page.body.contains("No comments yet"));
    let a = editor
        .post(
            &format!("{url}/comments"),
            &[("body", "Ajoute le lien <script>alert(1)</script>")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = contributor.get(&url).await;
    assert!(
        page.body.contains("Ajoute le lien &"),
        "comments are shown, escaped"
    );
    assert!(!page.body.contains("<script>alert"));
    let empty = editor
        .post(&format!("{url}/comments"), &[("body", "  ")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);

    let mut analyst = as_role(&f, Role::Analyst).await;
    assert!(analyst.get(&url).await.status.is_success());
    assert_eq!(
        analyst
            .post(&format!("{url}/comments"), &[("body", "avis")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The post is not reachable through another workspace.
    let id = add_user(&f.app, "outsider@bravo.test", false).await;
    add_member(&f.app, &other, id, Role::Admin).await;
    let mut outsider = Browser::new(&f.app);
    outsider.login("outsider@bravo.test").await;
    let through_bravo = format!("/w/bravo/publish/posts/{}", post.id);
    assert_eq!(
        outsider.get(&through_bravo).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        f.app
            .store
            .post_comments(f.ws.id, post.id)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn feeds_are_followed_with_their_channels() {
    let f = fixture(None).await;
    let ch = add_channel(&f, "Bluesky FR").await;
    let mut admin = as_role(&f, Role::Admin).await;
    admin.get("/w/alpha/publish/feeds").await;
    let channel = ch.to_string();
    let bad = admin
        .post(
            "/w/alpha/publish/feeds",
            &[("url", "ftp://blog.example/feed"), ("channel", &channel)],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("not a web address"));
    let none = admin
        .post(
            "/w/alpha/publish/feeds",
            &[("url", "https://blog.example/feed.xml")],
        )
        .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = admin
        .post(
            "/w/alpha/publish/feeds",
            &[
                ("url", "https://blog.example/feed.xml"),
                ("name", "Blog"),
                ("channel", &channel),
                ("mode", "queue"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert!(ok.body.contains("Feed followed"));
    let feeds = f.app.store.feeds(f.ws.id).await.unwrap();
    assert_eq!(feeds.len(), 1);
    assert_eq!(feeds[0].channel_ids, [ch]);
    let jobs = f.app.store.job_counts().await.unwrap();
    assert!(
        jobs.iter().any(|(s, n)| s == "queued" && *n == 1),
        "{jobs:?}"
    );
    let again = admin
        .post(
            "/w/alpha/publish/feeds",
            &[
                ("url", "https://blog.example/feed.xml"),
                ("channel", &channel),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("follows this feed already"));

    let mut editor = as_role(&f, Role::Editor).await;
    editor.get("/w/alpha/publish/feeds").await;
    let remove = format!("/w/alpha/publish/feeds/{}/remove", feeds[0].id);
    assert_eq!(
        editor.post(&remove, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(admin.post(&remove, &[]).await.status, StatusCode::SEE_OTHER);
    assert!(f.app.store.feeds(f.ws.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn media_are_served_only_with_their_tag() {
    let f = fixture(None).await;
    let media = f
        .app
        .store
        .create_media(
            relais_store::NewMedia {
                id: relais_core::MediaId::new(),
                workspace_id: f.ws.id,
                file_name: "logo.png".into(),
                mime: "image/png".into(),
                alt: None,
                content: b"\x89PNG\r\n\x1a\nlogo".to_vec(),
                created_by: None,
                thumbnail: None,
            },
            cli_audit("media.create"),
        )
        .await
        .unwrap();
    let key = relais_publisher::media_link::key(f.app.store.as_ref())
        .await
        .unwrap();
    let url = relais_publisher::media_link::url("", &key, f.ws.id, media.id);
    let mut anyone = Browser::new(&f.app);
    let got = anyone.get(&url).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.headers["content-type"], "image/png");
    assert!(got.body.ends_with("logo"));
    let forged = format!("/m/{}/{}/{}", f.ws.id, media.id, "0".repeat(64));
    assert_eq!(anyone.get(&forged).await.status, StatusCode::NOT_FOUND);
    let other_ws = add_workspace(&f.app, "bravo").await;
    let moved = relais_publisher::media_link::url("", &key, other_ws.id, media.id);
    assert_eq!(anyone.get(&moved).await.status, StatusCode::NOT_FOUND);
}

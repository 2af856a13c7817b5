//! Two workers publishing on one X channel whose access token has expired: both renew it at
//! once with the same refresh token; X rotates refresh tokens, so the second renewal is
//! refused. The loser must not mark the channel for reconnection: it finds the winner's
//! renewed tokens in the store and publishes with them. A small fake of the X API v2 endpoints
//! involved (token endpoint with rotation, `POST /2/tweets`, the user timeline) stands in for X.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{ChannelId, PostId, Slug, TargetId, Timestamp};
use relais_jobs::JobHandler;
use relais_outbound::{HttpClient, OutboundConfig};
use relais_publisher::{PUBLISH_JOB, PublishTarget, compose::publish_plan};
use relais_store::{
    ChannelStatus, DatabaseLocation, NewChannel, NewPost, NewTarget, PostPart, PostStatus,
    TargetStatus,
};
use relais_testkit::mock_http::MockHttp;
use relais_vault::Vault;
use serde_json::{Value, json};
use tokio::sync::Mutex;

#[derive(Default)]
struct FakeX {
    access: Vec<String>,
    refresh: String,
    issued: u32,
    refused_refreshes: u32,
    tweets: Vec<(String, String)>,
}

type Shared = Arc<Mutex<FakeX>>;

async fn token(
    State(x): State<Shared>,
    Form(form): Form<HashMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    // Both workers' renewals arrive while the first is still being answered.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let mut x = x.lock().await;
    if form.get("grant_type").map(String::as_str) != Some("refresh_token")
        || form.get("refresh_token") != Some(&x.refresh)
    {
        x.refused_refreshes += 1;
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!({ "error": "invalid_request", "error_description": "Value passed for the token was invalid." }),
            ),
        );
    }
    x.issued += 1;
    let (at, rt) = (format!("at-{}", x.issued), format!("rt-{}", x.issued + 1));
    x.access.push(at.clone());
    x.refresh = rt.clone();
    (
        StatusCode::OK,
        Json(
            json!({ "token_type": "bearer", "expires_in": 7200, "access_token": at, "refresh_token": rt }),
        ),
    )
}

fn bearer(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned()
}

async fn tweet(
    State(x): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let mut x = x.lock().await;
    if !x.access.contains(&bearer(&headers)) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "title": "Unauthorized", "status": 401, "detail": "Unauthorized" })),
        );
    }
    let id = format!("{}", 5000 + x.tweets.len());
    let text = body["text"].as_str().unwrap_or_default().to_owned();
    x.tweets.push((id.clone(), text.clone()));
    (
        StatusCode::CREATED,
        Json(json!({ "data": { "id": id, "text": text } })),
    )
}

async fn timeline(State(x): State<Shared>, headers: HeaderMap) -> (StatusCode, Json<Value>) {
    let x = x.lock().await;
    if !x.access.contains(&bearer(&headers)) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "title": "Unauthorized", "status": 401 })),
        );
    }
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let data: Vec<Value> = x
        .tweets
        .iter()
        .rev()
        .map(|(id, text)| json!({ "id": id, "text": text, "created_at": now }))
        .collect();
    let count = data.len();
    (
        StatusCode::OK,
        Json(json!({ "data": data, "meta": { "result_count": count } })),
    )
}

fn audit(action: &str) -> AuditEvent {
    AuditEvent {
        workspace_id: None,
        actor: Actor::cli(),
        action: action.into(),
        target: String::new(),
        details: Value::Null,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_loser_of_a_token_renewal_race_uses_the_winners_tokens() {
    let x: Shared = Arc::new(Mutex::new(FakeX {
        refresh: "rt-1".into(),
        ..FakeX::default()
    }));
    let server = MockHttp::start(
        Router::new()
            .route("/2/oauth2/token", post(token))
            .route("/2/tweets", post(tweet))
            .route("/2/users/1001/tweets", get(timeline))
            .with_state(x.clone()),
    )
    .await;
    let dir = tempfile::tempdir().unwrap().keep();
    let store = relais_store::open(&DatabaseLocation::parse(dir.to_str().unwrap()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let ws = store
        .create_workspace(
            &Slug::parse("acme").unwrap(),
            "Acme",
            None,
            audit("workspace.create"),
        )
        .await
        .unwrap();
    let vault = Vault::from_bytes(&[9u8; 32]);
    let channel_id = ChannelId::new();
    let secrets: BTreeMap<String, String> = [
        ("access_token", "expired"),
        ("refresh_token", "rt-1"),
        ("user_id", "1001"),
        ("username", "brand"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    store
        .create_channel(
            NewChannel {
                id: channel_id,
                workspace_id: ws.id,
                network: "x".into(),
                name: "X".into(),
                settings: json!({ "client_id": "cid", "api_base": server.base_url() }),
                secrets: vault
                    .seal_all(&format!("channel:{channel_id}"), &secrets)
                    .unwrap(),
                created_by: None,
            },
            audit("channel.create"),
        )
        .await
        .unwrap();
    for text in ["Premier message", "Second message"] {
        let now = Timestamp::now();
        store
            .create_post(
                NewPost {
                    id: PostId::new(),
                    workspace_id: ws.id,
                    author_id: None,
                    author_label: "cli".into(),
                    status: PostStatus::Scheduled,
                    parts: vec![PostPart {
                        text: text.into(),
                        media: vec![],
                    }],
                    scheduled_at: None,
                    time_zone: None,
                },
                vec![NewTarget {
                    id: TargetId::new(),
                    channel_id,
                    parts: None,
                }],
                Some(publish_plan(now)),
                audit("post.create"),
            )
            .await
            .unwrap();
    }
    let http = HttpClient::new(OutboundConfig {
        allow_private_addresses: true,
        ..Default::default()
    })
    .unwrap();
    let publisher = Arc::new(PublishTarget::new(http, vault.clone()));
    let mut runs = Vec::new();
    for worker in ["one", "two"] {
        let job = store
            .claim_job(worker, Timestamp::now(), 60_000)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(job.kind, PUBLISH_JOB);
        let (store, publisher) = (store.clone(), publisher.clone());
        runs.push(tokio::spawn(
            async move { publisher.run(&job, &store).await },
        ));
    }
    for run in runs {
        assert!(run.await.unwrap().is_ok(), "both publications succeed");
    }
    let fake = x.lock().await;
    assert_eq!(fake.issued, 1, "one renewal won");
    assert_eq!(
        fake.refused_refreshes, 1,
        "the other was refused, as X does"
    );
    assert_eq!(fake.tweets.len(), 2, "each post once");
    let channel = store.channel(ws.id, channel_id).await.unwrap().unwrap();
    assert_eq!(
        channel.status,
        ChannelStatus::Active,
        "not marked for reconnection"
    );
    let opened = vault
        .open_all(&format!("channel:{channel_id}"), &channel.secrets)
        .unwrap();
    assert_eq!(
        opened["refresh_token"], "rt-2",
        "the rotated refresh token is kept"
    );
    for p in store.posts(ws.id, 10).await.unwrap() {
        let t = store.targets_of(ws.id, p.id).await.unwrap();
        assert_eq!(
            t[0].status,
            TargetStatus::Published,
            "{:?}",
            t[0].last_error
        );
    }
    drop(fake);
    server.stop().await;
}

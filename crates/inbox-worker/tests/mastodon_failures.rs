//! A member's reply when the network cannot take it, against a stateful Mastodon API server
//! (`mastodon-mock`): the fan's status was deleted before the reply went (the instance answers
//! 404, as Mastodon does for a reply to a status that no longer exists), and the brand's token
//! was revoked. The first fails for good with a reason saying so and posts nothing; the second
//! keeps the reply queued, marks the channel for reconnection and says so on the conversation,
//! then goes out exactly once after the channel is connected again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::{Backend, channel, fresh_store, http, queue_reply, vault, workspace};
use relais_core::Timestamp;
use relais_inbox_worker::moderate::Moderator;
use relais_inbox_worker::reply::{INBOX_REPLY, SendReply};
use relais_inbox_worker::streams::LiveStreams;
use relais_inbox_worker::tick::{InboxTick, TickSettings};
use relais_jobs::JobHandler;
use relais_store::ChannelStatus;
use relais_store::inbox::{ConversationFilter, DeliveryState};
use relais_testkit::mastodon::MockMastodon;
use serde_json::{Value, json};

async fn call(
    instance: &str,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> Value {
    reqwest::Client::new()
        .request(method, format!("{instance}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The brand's statuses that answer `parent`, as the instance has them.
async fn brand_answers(mock: &MockMastodon, token: &str, parent: &str) -> usize {
    let me = call(
        &mock.instance,
        token,
        reqwest::Method::GET,
        "/api/v1/accounts/verify_credentials",
        Value::Null,
    )
    .await;
    let statuses = call(
        &mock.instance,
        token,
        reqwest::Method::GET,
        &format!(
            "/api/v1/accounts/{}/statuses?limit=40",
            me["id"].as_str().unwrap()
        ),
        Value::Null,
    )
    .await;
    statuses
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["in_reply_to_id"].as_str() == Some(parent))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_to_a_deleted_status_fails_and_one_after_a_revoked_token_waits_for_reconnection() {
    let mock = tokio::task::spawn_blocking(MockMastodon::start)
        .await
        .unwrap();
    let (store, _dir) = fresh_store(Backend::Sqlite).await;
    let (ws, member) = workspace(&store, "marque").await;
    let vault = vault();
    let brand_token = mock.brand().access_token.clone();
    let brand_channel = channel(
        &store,
        &vault,
        ws,
        "mastodon",
        json!({ "instance": mock.instance }),
        &[("access_token", &brand_token)],
    )
    .await;
    let question = call(
        &mock.instance,
        &mock.fan().access_token,
        reqwest::Method::POST,
        "/api/v1/statuses",
        json!({ "status": "@brand ma commande n'est pas arrivée", "visibility": "public" }),
    )
    .await;
    let question_id = question["id"].as_str().unwrap().to_owned();
    let tick = InboxTick::new(
        http(),
        Some(vault.clone()),
        TickSettings::default(),
        Arc::new(LiveStreams::default()),
        Arc::new(Moderator::new(None).unwrap()),
    );
    let report = tick.tick(&store, Timestamp::now()).await.unwrap();
    assert_eq!(report.messages_stored, 1, "{report:?}");
    let conversation = store
        .list_conversations(
            ws,
            &ConversationFilter::default(),
            Timestamp::now(),
            None,
            5,
        )
        .await
        .unwrap()
        .remove(0)
        .id;
    let sender = Arc::new(SendReply::new(http(), Some(vault.clone())));
    let mut worker = relais_jobs::Worker::new(store.clone(), "test");
    worker.register(INBOX_REPLY, sender.clone());

    // The fan deleted the status in the meantime: the instance answers as Mastodon does.
    mock.add_fault(json!({
        "match": { "methods": ["POST"], "path": "/api/v1/statuses" },
        "effect": { "type": "status", "status": 404,
                    "body": { "error": "The post you are trying to reply to does not appear to exist." } },
        "count": 1,
    }));
    let orphan = queue_reply(&store, ws, conversation, member, "Nous regardons !").await;
    assert!(worker.run_once().await.unwrap());
    let failed = store.inbox_message(ws, orphan).await.unwrap().unwrap();
    assert_eq!(failed.delivery, DeliveryState::Failed, "{failed:#?}");
    let reason = failed.delivery_error.unwrap();
    assert!(
        reason.contains("gone"),
        "the reason says the post is gone: {reason}"
    );
    let shown = store.conversation(ws, conversation).await.unwrap().unwrap();
    assert!(
        shown.problem.is_some(),
        "the conversation shows the failure"
    );
    assert_eq!(brand_answers(&mock, &brand_token, &question_id).await, 0);
    assert!(
        !worker.run_once().await.unwrap(),
        "a refusal is not retried"
    );

    // The brand's token is revoked: the reply waits, the channel asks for reconnection.
    let revoked = reqwest::Client::new()
        .post(format!("{}/oauth/revoke", mock.instance))
        .form(&[("token", brand_token.as_str())])
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success());
    let waiting = queue_reply(&store, ws, conversation, member, "Elle part demain !").await;
    assert!(worker.run_once().await.unwrap());
    let queued = store.inbox_message(ws, waiting).await.unwrap().unwrap();
    assert_eq!(queued.delivery, DeliveryState::Queued, "the reply is kept");
    let problem = store
        .conversation(ws, conversation)
        .await
        .unwrap()
        .unwrap()
        .problem
        .unwrap_or_default();
    assert!(
        problem.contains("waiting to be sent again") && problem.contains("connect the channel"),
        "{problem}"
    );
    let channel_now = store.channel(ws, brand_channel.id).await.unwrap().unwrap();
    assert_eq!(channel_now.status, ChannelStatus::NeedsReconnect);
    assert!(
        !worker.run_once().await.unwrap(),
        "the retry waits its turn"
    );

    // Connected again with a new token: the retry goes out, once.
    let login = reqwest::Client::new()
        .post(format!("{}/api/v1/_mock/login", mock.instance))
        .json(&json!({ "username": "brand" }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let new_token = login["access_token"].as_str().unwrap().to_owned();
    let sealed = vault
        .seal_all(
            &format!("channel:{}", brand_channel.id),
            &[("access_token".to_owned(), new_token.clone())].into(),
        )
        .unwrap();
    store
        .update_channel_secrets(ws, brand_channel.id, &sealed)
        .await
        .unwrap();
    let later = Timestamp::from_millis(Timestamp::now().millis() + 3_600_000);
    let retry = store
        .claim_job("later", later, 60_000)
        .await
        .unwrap()
        .expect("the reply's retry is queued");
    assert_eq!(retry.kind, INBOX_REPLY);
    assert!(retry.attempts >= 2, "{retry:?}");
    sender.run(&retry, &store).await.unwrap();
    let sent = store.inbox_message(ws, waiting).await.unwrap().unwrap();
    assert_eq!(sent.delivery, DeliveryState::Sent, "{sent:#?}");
    assert_eq!(brand_answers(&mock, &new_token, &question_id).await, 1);
    let shown = store.conversation(ws, conversation).await.unwrap().unwrap();
    assert_eq!(
        shown.problem, None,
        "a reply that went out clears the problem"
    );
}

//! The team inbox against a stateful Mastodon API server (the PyPI package `mastodon-mock`,
//! started by the test kit), on SQLite and on PostgreSQL, by polling (the inbox tick):
//! mentions arrive once each; a workspace rule on a watched word holds one for review and
//! blocks its author on the instance (the action audited with the rule as its actor); a reply
//! too long for Mastodon fails with the figures and posts nothing; a reply that fits is posted
//! on the instance as an answer to the fan's status; a second tick adds nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::{Backend, audit, channel, fresh_store, http, queue_reply, vault, workspace};
use relais_core::{ModerationRuleId, Timestamp};
use relais_inbox_worker::act::{INBOX_ACT, NetworkAction};
use relais_inbox_worker::moderate::Moderator;
use relais_inbox_worker::reply::{INBOX_REPLY, SendReply};
use relais_inbox_worker::streams::LiveStreams;
use relais_inbox_worker::tick::{InboxTick, TickSettings};
use relais_store::inbox::{ConversationFilter, DeliveryState, NewModerationRule, ReviewStatus};
use relais_testkit::mastodon::MockMastodon;
use serde_json::{Value, json};

struct Api<'a> {
    instance: &'a str,
    token: &'a str,
}

impl Api<'_> {
    async fn get(&self, path: &str) -> Value {
        reqwest::Client::new()
            .get(format!("{}{path}", self.instance))
            .bearer_auth(self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn post_status(&self, text: &str, in_reply_to: Option<&str>) -> Value {
        let mut body = json!({ "status": text, "visibility": "public" });
        if let Some(id) = in_reply_to {
            body["in_reply_to_id"] = json!(id);
        }
        reqwest::Client::new()
            .post(format!("{}/api/v1/statuses", self.instance))
            .bearer_auth(self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

async fn inbox_by_polling(backend: Backend) {
    let mock = tokio::task::spawn_blocking(MockMastodon::start)
        .await
        .unwrap();
    let (store, _dir) = fresh_store(backend).await;
    let (ws, member) = workspace(&store, "marque").await;
    let vault = vault();
    let brand = Api {
        instance: &mock.instance,
        token: &mock.brand().access_token,
    };
    let fan = Api {
        instance: &mock.instance,
        token: &mock.fan().access_token,
    };
    // The tick finds the channel by itself among the workspace's active ones.
    channel(
        &store,
        &vault,
        ws,
        "mastodon",
        json!({ "instance": mock.instance }),
        &[("access_token", &mock.brand().access_token)],
    )
    .await;
    store
        .create_moderation_rule(
            ws,
            NewModerationRule {
                id: ModerationRuleId::new(),
                name: "Insultes".into(),
                rule: json!({
                    "kind": "watched_words",
                    "terms": ["arnaque"],
                    "actions": [{ "type": "review" }, { "type": "block" }],
                }),
                enabled: true,
                created_by: Some(member),
            },
            audit(Some(ws), "inbox.rule.create"),
        )
        .await
        .unwrap();

    let question = fan
        .post_status("@brand bonjour, où en est ma commande ?", None)
        .await;
    let insult = fan
        .post_status("@brand c'est une ARNAQUÉ, rendez l'argent", None)
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
    assert_eq!(report.channels_failed, 0, "{report:?}");
    assert_eq!(report.messages_stored, 2, "{report:?}");
    assert_eq!(report.held_for_review, 1, "{report:?}");
    let all = ConversationFilter::default();
    let conversations = store
        .list_conversations(ws, &all, Timestamp::now(), None, 50)
        .await
        .unwrap();
    assert_eq!(conversations.len(), 2);

    // The watched word (accent and case folded) held the insult for review…
    let reviews = store.reviews(ws, ReviewStatus::Pending, 10).await.unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!(
        reviews[0].message.network_id.as_deref(),
        insult["id"].as_str()
    );
    assert!(
        reviews[0].reasons.to_string().contains("arnaque"),
        "{}",
        reviews[0].reasons
    );
    // …and the block is carried out on the instance by the action job, audited.
    let mut worker = relais_jobs::Worker::new(store.clone(), "test");
    worker.register(
        INBOX_ACT,
        Arc::new(NetworkAction::new(http(), Some(vault.clone()))),
    );
    worker.register(
        INBOX_REPLY,
        Arc::new(SendReply::new(http(), Some(vault.clone()))),
    );
    assert!(worker.run_once().await.unwrap(), "the block job ran");
    let fan_id = insult["account"]["id"].as_str().unwrap();
    let relationship = brand
        .get(&format!("/api/v1/accounts/relationships?id[]={fan_id}"))
        .await;
    assert_eq!(relationship[0]["blocking"], json!(true), "{relationship}");
    let log = store.audit_log(Some(ws), None, 50).await.unwrap();
    let block = log
        .iter()
        .find(|r| r.event.action == "inbox.block")
        .expect("the block is in the audit log");
    assert_eq!(block.event.actor.label, "rule:Insultes");
    assert_eq!(block.event.details["outcome"], json!("done"));

    // A reply too long for Mastodon fails with the figures, and nothing is posted.
    let question_conv = conversations
        .iter()
        .find(|c| c.preview.contains("commande"))
        .unwrap();
    let too_long = queue_reply(&store, ws, question_conv.id, member, &"x".repeat(501)).await;
    assert!(worker.run_once().await.unwrap());
    let failed = store.inbox_message(ws, too_long).await.unwrap().unwrap();
    assert_eq!(failed.delivery, DeliveryState::Failed);
    let reason = failed.delivery_error.clone().unwrap();
    assert!(reason.contains("501") && reason.contains("500"), "{reason}");
    assert!(failed.network_id.is_none());
    let problem = store
        .conversation(ws, question_conv.id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        problem.problem.is_some(),
        "the conversation shows the failure"
    );

    // A reply that fits goes out as an answer to the fan's status.
    let fits = queue_reply(
        &store,
        ws,
        question_conv.id,
        member,
        "Elle part demain, désolés du retard !",
    )
    .await;
    assert!(worker.run_once().await.unwrap());
    let sent = store.inbox_message(ws, fits).await.unwrap().unwrap();
    assert_eq!(sent.delivery, DeliveryState::Sent, "{sent:#?}");
    let status = brand
        .get(&format!(
            "/api/v1/statuses/{}",
            sent.network_id.clone().unwrap()
        ))
        .await;
    assert_eq!(status["in_reply_to_id"], json!(question_id), "{status}");

    // Nothing new on the instance: the next read adds nothing (its cursor moved on).
    let later = Timestamp::from_millis(Timestamp::now().millis() + 120_000);
    let report = tick.tick(&store, later).await.unwrap();
    assert_eq!(report.messages_stored, 0, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_inbox_by_polling_on_sqlite() {
    inbox_by_polling(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_inbox_by_polling_on_postgres() {
    inbox_by_polling(Backend::Postgres).await;
}

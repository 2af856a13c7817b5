//! The team inbox against a real local Bluesky PDS (npm @atproto/pds through @atproto/dev-env,
//! started by the test kit), on SQLite and on PostgreSQL: the fan (the PDS's second account)
//! mentions the brand and answers a brand post; the channel's live stream
//! (`com.atproto.sync.subscribeRepos`) brings both into the inbox once each, threaded; a member
//! is assigned and replies from the inbox; the reply exists on the PDS as a reply whose
//! `reply.root` is the brand post and `reply.parent` the fan's answer; the fan's next answer
//! joins the same conversation; reading the whole stream again adds nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Backend, audit, channel, eventually, fresh_store, http, vault, workspace};
use relais_core::{InboxMessageId, Timestamp};
use relais_inbox_worker::moderate::Moderator;
use relais_inbox_worker::reply::{INBOX_REPLY, SendReply, reply_job};
use relais_inbox_worker::streams::{LiveStreams, StreamDeps, follow};
use relais_networks::bluesky::Bluesky;
use relais_networks::{Connector, Credentials, OutgoingPost, PublishedPost, ReplyTarget};
use relais_store::Channel;
use relais_store::inbox::{
    ConversationFilter, DeliveryState, InboxChannelState, MessageKind, NewReply,
};
use relais_testkit::bluesky::BlueskyPds;
use serde_json::{Value, json};
use tokio::sync::watch;

const WAIT: Duration = Duration::from_secs(60);

fn credentials(pds: &BlueskyPds, account: usize) -> Credentials {
    let a = &pds.accounts[account];
    Credentials {
        settings: json!({ "service": pds.service, "handle": a.handle }),
        secrets: [(
            "app_password".to_owned(),
            a.app_password.clone().unwrap_or_else(|| a.password.clone()),
        )]
        .into(),
        changed: false,
    }
}

fn post(text: &str, key: &str, reply_to: Option<ReplyTarget>) -> OutgoingPost {
    OutgoingPost {
        text: text.to_owned(),
        media: vec![],
        reply_to,
        langs: vec!["fr".into()],
        idempotency_key: key.to_owned(),
        created_at_ms: Timestamp::now().millis(),
    }
}

/// A record as the PDS holds it, read without Relais.
async fn record(pds: &BlueskyPds, uri: &str) -> Value {
    let parts: Vec<&str> = uri.trim_start_matches("at://").split('/').collect();
    let url = format!(
        "{}/xrpc/com.atproto.repo.getRecord?repo={}&collection={}&rkey={}",
        pds.service, parts[0], parts[1], parts[2]
    );
    reqwest::get(url)
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()
}

/// Follows `channel` live from the start of the PDS's event log, in a task, until the returned
/// sender says stop.
async fn start_following(
    deps: &StreamDeps,
    channel: &Channel,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    // From the first event the PDS kept: what happened before the socket opened is not missed.
    deps.store
        .save_inbox_channel_state(
            channel.workspace_id,
            channel.id,
            &InboxChannelState {
                stream_cursor: Some("0".into()),
                ..InboxChannelState::default()
            },
        )
        .await
        .unwrap();
    let (stop, stopped) = watch::channel(false);
    let (deps, channel) = (deps.clone(), channel.clone());
    let task = tokio::spawn(async move {
        let end = follow(deps, channel, stopped).await;
        assert!(end.is_ok(), "the follower failed: {end:?}");
    });
    (stop, task)
}

async fn inbox_end_to_end(backend: Backend) {
    let pds = tokio::task::spawn_blocking(BlueskyPds::start)
        .await
        .unwrap();
    let (store, _dir) = fresh_store(backend).await;
    let (ws, member) = workspace(&store, "marque").await;
    let vault = vault();
    let brand = &pds.accounts[0];
    let fan = &pds.accounts[1];
    let brand_channel = channel(
        &store,
        &vault,
        ws,
        "bluesky",
        json!({ "service": pds.service, "handle": brand.handle }),
        &[(
            "app_password",
            brand.app_password.as_deref().unwrap_or(&brand.password),
        )],
    )
    .await;
    let bsky = Bluesky::new(http());
    let mut brand_creds = credentials(&pds, 0);
    let mut fan_creds = credentials(&pds, 1);

    // The brand's post, and something the fan says that does not concern the brand.
    let brand_post = bsky
        .publish(
            &mut brand_creds,
            &post("Notre nouveau café est là !", "brand-1", None),
        )
        .await
        .unwrap();
    bsky.publish(&mut fan_creds, &post("Il pleut à Lyon.", "fan-other", None))
        .await
        .unwrap();
    let thread = ReplyTarget {
        parent: brand_post.clone(),
        root: brand_post.clone(),
    };
    let mention = bsky
        .publish(
            &mut fan_creds,
            &post(
                &format!("Bonjour @{} ! Ma commande n'est pas arrivée.", brand.handle),
                "fan-mention",
                None,
            ),
        )
        .await
        .unwrap();
    let answer = bsky
        .publish(
            &mut fan_creds,
            &post("Il est bon ? J'hésite.", "fan-answer", Some(thread.clone())),
        )
        .await
        .unwrap();

    let deps = StreamDeps {
        store: store.clone(),
        http: http(),
        vault: Some(vault.clone()),
        live: Arc::new(LiveStreams::default()),
        moderator: Arc::new(Moderator::new(None).unwrap()),
    };
    let (stop, task) = start_following(&deps, &brand_channel).await;
    let all = ConversationFilter::default();
    let conversations = eventually(WAIT, "two conversations", || {
        let store = store.clone();
        let all = all.clone();
        async move {
            let list = store
                .list_conversations(ws, &all, Timestamp::now(), None, 50)
                .await
                .unwrap();
            (list.len() >= 2).then_some(list)
        }
    })
    .await;
    assert_eq!(conversations.len(), 2, "{conversations:#?}");
    let by_kind = |kind: MessageKind| {
        conversations
            .iter()
            .find(|c| c.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} conversation in {conversations:#?}"))
            .clone()
    };
    let mention_conv = by_kind(MessageKind::Mention);
    let answer_conv = by_kind(MessageKind::Reply);
    let answer_msgs = store
        .conversation_messages(ws, answer_conv.id)
        .await
        .unwrap();
    assert_eq!(answer_msgs.len(), 1);
    let received = &answer_msgs[0];
    assert_eq!(received.network_id.as_deref(), Some(answer.id.as_str()));
    assert_eq!(received.parent_id.as_deref(), Some(brand_post.id.as_str()));
    assert_eq!(received.root_id.as_deref(), Some(brand_post.id.as_str()));
    assert_eq!(received.root_version, brand_post.version);
    assert_eq!(received.author_handle, fan.handle);
    assert_eq!(received.author_id.as_deref(), Some(fan.did.as_str()));
    let mention_msgs = store
        .conversation_messages(ws, mention_conv.id)
        .await
        .unwrap();
    assert_eq!(mention_msgs.len(), 1);
    assert_eq!(
        mention_msgs[0].network_id.as_deref(),
        Some(mention.id.as_str())
    );
    assert!(mention_msgs[0].text.contains("commande"));
    assert_eq!(
        mention_conv.contact_id, answer_conv.contact_id,
        "one fan, one contact"
    );

    // A member takes the answer and replies from the inbox.
    assert!(
        store
            .assign_conversation(ws, answer_conv.id, Some(member), audit(Some(ws), "assign"))
            .await
            .unwrap()
    );
    let reply_id = InboxMessageId::new();
    store
        .add_reply(
            ws,
            NewReply {
                id: reply_id,
                conversation_id: answer_conv.id,
                sender_id: Some(member),
                sender_label: "Ana".into(),
                text: "Il est excellent, goûtez-le !".into(),
                delivery: DeliveryState::Queued,
                written_at: Timestamp::now(),
                send: Some(reply_job(ws, reply_id, Timestamp::now())),
            },
            audit(Some(ws), "inbox.reply"),
        )
        .await
        .unwrap()
        .expect("the conversation is there");
    let mut worker = relais_jobs::Worker::new(store.clone(), "test");
    worker.register(
        INBOX_REPLY,
        Arc::new(SendReply::new(http(), Some(vault.clone()))),
    );
    assert!(worker.run_once().await.unwrap(), "the reply job ran");
    let sent = store.inbox_message(ws, reply_id).await.unwrap().unwrap();
    assert_eq!(sent.delivery, DeliveryState::Sent, "{sent:#?}");
    let sent_uri = sent.network_id.clone().unwrap();
    let on_pds = record(&pds, &sent_uri).await;
    let reply = &on_pds["value"]["reply"];
    assert_eq!(reply["parent"]["uri"], json!(answer.id));
    assert_eq!(reply["parent"]["cid"], json!(answer.version));
    assert_eq!(reply["root"]["uri"], json!(brand_post.id));
    assert_eq!(reply["root"]["cid"], json!(brand_post.version));
    let answered = store
        .conversation(ws, answer_conv.id)
        .await
        .unwrap()
        .unwrap();
    assert!(answered.first_response_at.is_some());
    assert_eq!(answered.awaiting_since, None, "the team spoke last");
    assert_eq!(answered.assignee_id, Some(member));

    // The fan answers the brand's reply: the same conversation.
    let ours = PublishedPost {
        id: sent_uri.clone(),
        version: sent.version.clone(),
        url: sent.url.clone().unwrap_or_default(),
    };
    bsky.publish(
        &mut fan_creds,
        &post(
            "Merci, je le commande !",
            "fan-again",
            Some(ReplyTarget {
                parent: ours,
                root: brand_post.clone(),
            }),
        ),
    )
    .await
    .unwrap();
    eventually(
        WAIT,
        "the fan's second answer in the same conversation",
        || {
            let store = store.clone();
            async move {
                let n = store
                    .conversation_messages(ws, answer_conv.id)
                    .await
                    .unwrap()
                    .len();
                (n == 3).then_some(())
            }
        },
    )
    .await;
    let again = store
        .conversation(ws, answer_conv.id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        again.awaiting_since.is_some(),
        "the fan waits for an answer again"
    );
    let _ = stop.send(true);
    task.await.unwrap();

    // Reading the whole stream again (a second path, a lost cursor): nothing is added.
    let (stop, task) = start_following(&deps, &brand_channel).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let _ = stop.send(true);
    task.await.unwrap();
    let after = store
        .list_conversations(ws, &all, Timestamp::now(), None, 50)
        .await
        .unwrap();
    assert_eq!(after.len(), 2);
    let mut messages = 0;
    for c in &after {
        messages += store.conversation_messages(ws, c.id).await.unwrap().len();
    }
    assert_eq!(
        messages, 4,
        "mention, answer, our reply, the fan's second answer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bluesky_inbox_end_to_end_on_sqlite() {
    inbox_end_to_end(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bluesky_inbox_end_to_end_on_postgres() {
    inbox_end_to_end(Backend::Postgres).await;
}

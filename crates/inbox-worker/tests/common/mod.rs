//! What the inbox worker's tests share: a fresh store on either backend, a workspace with a
//! member, a channel whose secrets are sealed as the pages seal them, a member's reply queued
//! with its job, and waiting for the store to show something.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use relais_core::audit::{Actor, AuditEvent};
use relais_core::{
    ChannelId, ConversationId, DisplayName, Email, InboxMessageId, Slug, Timestamp, UserId,
    WorkspaceId,
};
use relais_inbox_worker::reply::reply_job;
use relais_outbound::{HttpClient, OutboundConfig};
use relais_store::inbox::{DeliveryState, NewReply};
use relais_store::{Channel, DatabaseLocation, NewChannel, NewUser, Store, open};
use relais_vault::Vault;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn audit(ws: Option<WorkspaceId>, action: &str) -> AuditEvent {
    AuditEvent {
        workspace_id: ws,
        actor: Actor::cli(),
        action: action.into(),
        target: String::new(),
        details: serde_json::Value::Null,
    }
}

/// A fresh, migrated store; the directory (SQLite) lives as long as the value returned.
pub async fn fresh_store(backend: Backend) -> (Arc<dyn Store>, Option<tempfile::TempDir>) {
    let (location, dir) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let location = DatabaseLocation::parse(dir.path().to_str().unwrap());
            (location, Some(dir))
        }
        Backend::Postgres => {
            let url = tokio::task::spawn_blocking(relais_testkit::postgres::fresh_database)
                .await
                .unwrap();
            (DatabaseLocation::parse(&url), None)
        }
    };
    let store = open(&location).await.unwrap();
    store.migrate().await.unwrap();
    (store, dir)
}

pub fn vault() -> Vault {
    Vault::from_bytes(&[9; 32])
}

/// Loopback peers need the SSRF guard lifted, as the config allows.
pub fn http() -> HttpClient {
    HttpClient::new(OutboundConfig {
        allow_private_addresses: true,
        ..Default::default()
    })
    .unwrap()
}

/// A workspace whose admin is a new member; returns both.
pub async fn workspace(store: &Arc<dyn Store>, slug: &str) -> (WorkspaceId, UserId) {
    let user = store
        .create_user(
            NewUser {
                email: Email::parse(&format!("{slug}@relais.test")).unwrap(),
                name: DisplayName::parse("Ana").unwrap(),
                password_hash: "!".into(),
                is_instance_admin: false,
            },
            audit(None, "user.create"),
        )
        .await
        .unwrap();
    let ws = store
        .create_workspace(
            &Slug::parse(slug).unwrap(),
            "Brand",
            Some(user.id),
            audit(None, "workspace.create"),
        )
        .await
        .unwrap();
    (ws.id, user.id)
}

/// A channel of `network` with `settings`, its `secrets` sealed by `vault`.
pub async fn channel(
    store: &Arc<dyn Store>,
    vault: &Vault,
    ws: WorkspaceId,
    network: &str,
    settings: serde_json::Value,
    secrets: &[(&str, &str)],
) -> Channel {
    let id = ChannelId::new();
    let clear: BTreeMap<String, String> = secrets
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let sealed = vault.seal_all(&format!("channel:{id}"), &clear).unwrap();
    store
        .create_channel(
            NewChannel {
                id,
                workspace_id: ws,
                network: network.into(),
                name: format!("{network} brand"),
                settings,
                secrets: sealed,
                created_by: None,
            },
            audit(Some(ws), "channel.create"),
        )
        .await
        .unwrap()
}

/// Asks `probe` every 100 ms until it gives `Some`, for at most `limit`.
pub async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A member's reply to `conversation`, queued with the job that sends it.
pub async fn queue_reply(
    store: &Arc<dyn Store>,
    ws: WorkspaceId,
    conversation: ConversationId,
    member: UserId,
    text: &str,
) -> InboxMessageId {
    let id = InboxMessageId::new();
    store
        .add_reply(
            ws,
            NewReply {
                id,
                conversation_id: conversation,
                sender_id: Some(member),
                sender_label: "Ana".into(),
                text: text.into(),
                delivery: DeliveryState::Queued,
                written_at: Timestamp::now(),
                send: Some(reply_job(ws, id, Timestamp::now())),
            },
            audit(Some(ws), "inbox.reply"),
        )
        .await
        .unwrap()
        .expect("the conversation is there");
    id
}

//! The inbox benchmark's data: one workspace with a million messages in a hundred thousand
//! conversations, made through the store's own ingest path (threading, contacts, counters), with
//! statuses and assignees set as a team would leave them.
//!
//! Deterministic: the same counts give the same data. Conversations are spread over 90 days;
//! each starts with a mention of the brand and goes on with answers to the previous message, so
//! that every message after the first is threaded by its parent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{
    ChannelId, ConversationId, DisplayName, Email, InboxMessageId, Role, Slug, Timestamp, UserId,
    WorkspaceId,
};
use relais_store::inbox::{ConversationStatus, MessageKind, NewContactAccount, NewInboxMessage};
use relais_store::{NewChannel, NewUser, Store};

/// What the benchmark needs to know about the data it made.
pub struct Seeded {
    pub slug: String,
    /// The team: the workspace's creator first, then the other members.
    pub team: Vec<UserId>,
    pub messages: u64,
    pub conversations: u64,
    /// Time spent ingesting the messages (threading, contacts, counters), statuses apart.
    pub ingest_took: Duration,
    /// Time spent setting statuses and assignees.
    pub triage_took: Duration,
}

/// Conversations per distinct author.
const CONVERSATIONS_PER_AUTHOR: u64 = 3;
/// Messages per ingest call (one transaction).
const BATCH: usize = 2_000;
const DAY_MS: i64 = 86_400_000;

const WORDS: [&str; 24] = [
    "bonjour",
    "commande",
    "livraison",
    "retard",
    "merci",
    "super",
    "produit",
    "remboursement",
    "question",
    "service",
    "client",
    "colis",
    "hello",
    "order",
    "delivery",
    "late",
    "thanks",
    "great",
    "refund",
    "support",
    "please",
    "help",
    "avis",
    "magasin",
];

fn audit(action: &str, target: &str) -> AuditEvent {
    AuditEvent {
        workspace_id: None,
        actor: Actor::cli(),
        action: action.into(),
        target: target.into(),
        details: serde_json::json!({ "bench": true }),
    }
}

fn text_of(conversation: u64, index: u64) -> String {
    let mut words = Vec::with_capacity(12);
    let mut x = conversation
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(index);
    for _ in 0..12 {
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        words.push(WORDS[(x % WORDS.len() as u64) as usize]);
    }
    format!("@marque {} #{conversation}", words.join(" "))
}

/// Fills `store` (empty, migrated) with `conversations` conversations of `per` messages, for
/// a team of `team` members (at least one).
pub async fn seed(
    store: &Arc<dyn Store>,
    conversations: u64,
    per: u64,
    team: u32,
) -> Result<Seeded> {
    let email = Email::parse("bench@relais.invalid").map_err(|e| anyhow!(e.message))?;
    let name = DisplayName::parse("Bench").map_err(|e| anyhow!(e.message))?;
    let user = store
        .create_user(
            NewUser {
                email,
                name,
                password_hash: "!bench".into(),
                is_instance_admin: true,
            },
            audit("user.create", "bench@relais.invalid"),
        )
        .await
        .context("cannot create the benchmark's user")?;
    let slug = Slug::parse("bench").map_err(|e| anyhow!(e.message))?;
    let ws = store
        .create_workspace(
            &slug,
            "Bench",
            Some(user.id),
            audit("workspace.create", "bench"),
        )
        .await
        .context("cannot create the benchmark's workspace")?;
    let mut members = vec![user.id];
    for n in 2..=team {
        let email = format!("bench{n}@relais.invalid");
        let member = store
            .create_user(
                NewUser {
                    email: Email::parse(&email).map_err(|e| anyhow!(e.message))?,
                    name: DisplayName::parse(&format!("Bench {n}"))
                        .map_err(|e| anyhow!(e.message))?,
                    password_hash: "!bench".into(),
                    is_instance_admin: false,
                },
                audit("user.create", &email),
            )
            .await
            .context("cannot create the benchmark's team")?;
        store
            .add_member(ws.id, member.id, Role::Editor, audit("member.add", &email))
            .await
            .context("cannot add the benchmark's team")?;
        members.push(member.id);
    }
    let mut channels = Vec::new();
    for (network, label) in [("bluesky", "Bluesky"), ("mastodon", "Mastodon")] {
        let channel = store
            .create_channel(
                NewChannel {
                    id: ChannelId::new(),
                    workspace_id: ws.id,
                    network: network.into(),
                    name: label.into(),
                    settings: serde_json::json!({}),
                    secrets: Default::default(),
                    created_by: Some(user.id),
                },
                audit("channel.create", label),
            )
            .await
            .context("cannot create the benchmark's channels")?;
        channels.push(channel);
    }

    let now = Timestamp::now().millis();
    let start = now - 90 * DAY_MS;
    let authors = (conversations / CONVERSATIONS_PER_AUTHOR).max(1);
    let step = (90 * DAY_MS) / conversations.max(1) as i64;
    let began = Instant::now();
    let mut batch: Vec<NewInboxMessage> = Vec::with_capacity(BATCH);
    let mut channel_of_batch = channels[0].id;
    let mut made = 0u64;
    let mut first_ids: Vec<(ConversationId, u64)> = Vec::new();
    for c in 0..conversations {
        let channel = &channels[(c % channels.len() as u64) as usize];
        // One channel per call: flush when the channel changes.
        if channel.id != channel_of_batch && !batch.is_empty() {
            made += flush(
                store,
                ws.id,
                channel_of_batch,
                &mut batch,
                now,
                &mut first_ids,
            )
            .await?;
        }
        channel_of_batch = channel.id;
        let author = c % authors;
        let at0 = start + c as i64 * step;
        for i in 0..per {
            let id = format!("bench-{c}-{i}");
            let parent = (i > 0).then(|| format!("bench-{c}-{}", i - 1));
            let root = (i > 0).then(|| format!("bench-{c}-0"));
            batch.push(NewInboxMessage {
                id: InboxMessageId::new(),
                network_id: id.clone(),
                kind: if i == 0 {
                    MessageKind::Mention
                } else {
                    MessageKind::Reply
                },
                author: NewContactAccount {
                    network: channel.network.clone(),
                    author_id: format!("author-{author}"),
                    handle: format!("fan{author}.example"),
                    display_name: Some(format!("Fan {author}")),
                    ..NewContactAccount::default()
                },
                text: text_of(c, i),
                lang: Some(if c % 2 == 0 { "fr" } else { "en" }.into()),
                url: None,
                version: None,
                thread_candidates: parent.iter().chain(root.iter()).cloned().collect(),
                parent_id: parent,
                root_id: root,
                root_version: None,
                sent_at: Timestamp::from_millis(at0 + i as i64 * 60_000),
                new_thread_key: id,
            });
        }
        if batch.len() >= BATCH {
            made += flush(store, ws.id, channel.id, &mut batch, now, &mut first_ids).await?;
        }
        if c > 0 && c % 10_000 == 0 {
            eprintln!(
                "    {c} conversations, {made} messages ingested ({:.0} messages/s)",
                made as f64 / began.elapsed().as_secs_f64()
            );
        }
    }
    if !batch.is_empty() {
        made += flush(
            store,
            ws.id,
            channel_of_batch,
            &mut batch,
            now,
            &mut first_ids,
        )
        .await?;
    }
    let ingest_took = began.elapsed();

    // As a team leaves an inbox: half closed, a tenth pending, the rest open; a third of all
    // assigned, shared out among the members.
    let began = Instant::now();
    let now_ts = Timestamp::from_millis(now);
    for (id, c) in &first_ids {
        let status = match c % 10 {
            0..=4 => Some(ConversationStatus::Closed),
            5 => Some(ConversationStatus::Pending),
            _ => None,
        };
        if let Some(status) = status {
            store
                .set_conversation_status(
                    ws.id,
                    *id,
                    status,
                    None,
                    now_ts,
                    audit("conversation.status", "bench"),
                )
                .await?;
        }
        if c % 3 == 0 {
            // Statuses follow `c % 10`; members follow `c / 30`, so that each member's share
            // holds every status as the whole does.
            let assignee = members[(c / 30) as usize % members.len()];
            store
                .assign_conversation(
                    ws.id,
                    *id,
                    Some(assignee),
                    audit("conversation.assign", "bench"),
                )
                .await?;
        }
    }
    Ok(Seeded {
        slug: ws.slug.to_string(),
        team: members,
        messages: made,
        conversations: first_ids.len() as u64,
        ingest_took,
        triage_took: began.elapsed(),
    })
}

/// Ingests `batch` on `channel`; notes each new conversation with its number.
async fn flush(
    store: &Arc<dyn Store>,
    workspace: WorkspaceId,
    channel: ChannelId,
    batch: &mut Vec<NewInboxMessage>,
    now: i64,
    first_ids: &mut Vec<(ConversationId, u64)>,
) -> Result<u64> {
    let ingested = store
        .ingest_messages(workspace, Some(channel), batch, Timestamp::from_millis(now))
        .await
        .context("cannot ingest the benchmark's messages")?;
    for (message, outcome) in batch.iter().zip(&ingested) {
        if outcome.new_conversation {
            let number = message
                .network_id
                .split('-')
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            first_ids.push((outcome.conversation_id, number));
        }
    }
    let n = batch.len() as u64;
    batch.clear();
    Ok(n)
}

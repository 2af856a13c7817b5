//! Conformance scenarios of [`crate::InboxStore`].

use std::collections::HashSet;
use std::sync::Arc;

use relais_core::audit::AuditEvent;
use relais_core::{
    CannedReplyId, ChannelId, ContactId, ConversationId, InboxColumnId, InboxMessageId,
    ModerationRuleId, NoteId, ReviewId, Role, Timestamp, UserId, WorkspaceId,
};

use super::planning::two_workspaces;
use super::{audit, channel_in, user};
use crate::inbox::{
    AssigneeFilter, Contact, Conversation, ConversationFilter, ConversationStatus, DeliveryState,
    InboxChannelState, InboxSettings, InboxVersion, Ingested, MessageKind, NetworkState,
    NewCannedReply, NewContactAccount, NewInboxColumn, NewInboxMessage, NewModerationRule,
    NewReply, Note, ReviewStatus,
};
use crate::{Conflict, Store, StoreError, StoreResult};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
/// 2023-11-14T22:13:20Z.
const T0: i64 = 1_700_000_000_000;

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn ws_audit(ws: WorkspaceId, action: &str) -> AuditEvent {
    AuditEvent {
        workspace_id: Some(ws),
        ..audit(action)
    }
}

/// The kind of the job that sends a reply, as the inbox worker names it.
const SEND_KIND: &str = "inbox.reply";

/// A job that sends a reply of `ws` (its payload does not matter here).
fn send_job(ws: WorkspaceId) -> crate::NewJob {
    crate::NewJob {
        workspace_id: Some(ws),
        kind: SEND_KIND.into(),
        payload: serde_json::Value::Null,
        run_at: at(T0),
        max_attempts: 5,
    }
}

/// A Bluesky account `name`, known by its DID.
fn author(name: &str) -> NewContactAccount {
    NewContactAccount {
        network: "bluesky".into(),
        author_id: format!("did:plc:{name}"),
        handle: format!("{name}.bsky.social"),
        ..NewContactAccount::default()
    }
}

/// A reply `network_id` by `by` sent at `sent` (ms) under `candidates` (parent first, root
/// last); a message without candidates is a thread's first post, keyed by its own id.
fn message(
    network_id: &str,
    by: &NewContactAccount,
    sent: i64,
    candidates: &[&str],
) -> NewInboxMessage {
    NewInboxMessage {
        id: InboxMessageId::new(),
        network_id: network_id.into(),
        kind: if candidates.is_empty() {
            MessageKind::Mention
        } else {
            MessageKind::Reply
        },
        author: by.clone(),
        text: format!("Text of {network_id}"),
        lang: Some("fr".into()),
        url: Some(format!("https://bsky.example/{network_id}")),
        version: Some(format!("cid-{network_id}")),
        parent_id: candidates.first().map(|c| (*c).to_owned()),
        root_id: candidates.last().map(|c| (*c).to_owned()),
        root_version: candidates.last().map(|c| format!("cid-{c}")),
        sent_at: at(sent),
        thread_candidates: candidates.iter().map(|c| (*c).to_owned()).collect(),
        new_thread_key: candidates.last().copied().unwrap_or(network_id).to_owned(),
    }
}

/// Ingests `messages`, received a second after the newest of them.
async fn ingest(
    store: &Arc<dyn Store>,
    ws: WorkspaceId,
    channel: Option<ChannelId>,
    messages: Vec<NewInboxMessage>,
) -> Vec<Ingested> {
    let received = messages
        .iter()
        .map(|m| m.sent_at.millis())
        .max()
        .unwrap_or(T0)
        + 1_000;
    store
        .ingest_messages(ws, channel, &messages, at(received))
        .await
        .unwrap()
}

/// Ingests one message that must be new; returns what became of it.
async fn ingest_one(
    store: &Arc<dyn Store>,
    ws: WorkspaceId,
    channel: Option<ChannelId>,
    m: NewInboxMessage,
) -> Ingested {
    let done = ingest(store, ws, channel, vec![m]).await.remove(0);
    assert!(!done.duplicate, "{done:?}");
    done
}

async fn conversation(store: &Arc<dyn Store>, ws: WorkspaceId, id: ConversationId) -> Conversation {
    store
        .conversation(ws, id)
        .await
        .unwrap()
        .expect("the conversation exists")
}

fn reply(
    conversation: ConversationId,
    text: &str,
    delivery: DeliveryState,
    written: i64,
) -> NewReply {
    NewReply {
        id: InboxMessageId::new(),
        conversation_id: conversation,
        sender_id: None,
        sender_label: "Équipe".into(),
        text: text.into(),
        delivery,
        written_at: at(written),
        send: None,
    }
}

/// Adds a reply that must be accepted; returns its id.
async fn add_reply(
    store: &Arc<dyn Store>,
    ws: WorkspaceId,
    conversation: ConversationId,
    delivery: DeliveryState,
    written: i64,
) -> InboxMessageId {
    store
        .add_reply(
            ws,
            reply(conversation, "Merci !", delivery, written),
            ws_audit(ws, "inbox.reply"),
        )
        .await
        .unwrap()
        .expect("the conversation is the workspace's")
        .id
}

/// A channel of the workspace on `network` (`channel_in` makes Bluesky ones).
async fn channel_on(store: &Arc<dyn Store>, ws: WorkspaceId, network: &str) -> ChannelId {
    let channel = crate::NewChannel {
        id: ChannelId::new(),
        workspace_id: ws,
        network: network.into(),
        name: format!("On {network}"),
        settings: serde_json::json!({}),
        secrets: Default::default(),
        created_by: None,
    };
    store
        .create_channel(channel, audit("channel.create"))
        .await
        .unwrap()
        .id
}

async fn member(store: &Arc<dyn Store>, ws: WorkspaceId, email: &str) -> UserId {
    let u = user(store, email).await;
    store
        .add_member(ws, u, Role::Contributor, audit("member.add"))
        .await
        .unwrap();
    u
}

async fn audit_lines(store: &Arc<dyn Store>, ws: WorkspaceId) -> usize {
    store.audit_log(Some(ws), None, 1_000).await.unwrap().len()
}

fn ids(conversations: &[Conversation]) -> Vec<ConversationId> {
    conversations.iter().map(|c| c.id).collect()
}

#[track_caller]
fn assert_not_found<T: std::fmt::Debug>(answer: &StoreResult<T>) {
    assert!(matches!(answer, Err(StoreError::NotFound(_))), "{answer:?}");
}

#[track_caller]
fn assert_taken<T: std::fmt::Debug>(answer: &StoreResult<T>) {
    assert!(
        matches!(answer, Err(StoreError::Conflict(Conflict::Other))),
        "{answer:?}"
    );
}

pub async fn inbox_threads_messages_into_conversations(store: Arc<dyn Store>) {
    let (a, _) = two_workspaces(&store).await;
    let c1 = channel_in(&store, a, "Bluesky").await;
    let c2 = channel_in(&store, a, "Bluesky 2").await;
    let alice = author("alice");
    let bob = author("bob");

    let root = ingest_one(&store, a, Some(c1), message("r1", &alice, T0, &[])).await;
    assert!(root.new_conversation);
    // A reply to a stored message joins its conversation.
    let answer = ingest_one(
        &store,
        a,
        Some(c1),
        message("p1", &bob, T0 + MINUTE, &["r1", "r1"]),
    )
    .await;
    assert_eq!(answer.conversation_id, root.conversation_id);
    assert!(!answer.new_conversation);
    // A reply whose parent is unknown but whose root is known joins the root's.
    let orphan = ingest_one(
        &store,
        a,
        Some(c1),
        message("p2", &alice, T0 + 2 * MINUTE, &["missing", "r1"]),
    )
    .await;
    assert_eq!(orphan.conversation_id, root.conversation_id);
    // An unknown thread makes a conversation, found again by its thread key alone.
    let other = ingest_one(
        &store,
        a,
        Some(c1),
        message("n1", &bob, T0 + 3 * MINUTE, &["thread-z"]),
    )
    .await;
    assert!(other.new_conversation);
    assert_ne!(other.conversation_id, root.conversation_id);
    assert_eq!(
        conversation(&store, a, other.conversation_id)
            .await
            .thread_key,
        "thread-z"
    );
    let same_thread = ingest_one(
        &store,
        a,
        Some(c1),
        message("n2", &bob, T0 + 4 * MINUTE, &["thread-z"]),
    )
    .await;
    assert_eq!(same_thread.conversation_id, other.conversation_id);

    // The same message twice is one, reported with the stored ids.
    let again = ingest(
        &store,
        a,
        Some(c1),
        vec![message("p1", &bob, T0 + MINUTE, &["r1", "r1"])],
    )
    .await
    .remove(0);
    assert!(again.duplicate);
    assert_eq!(again.message_id, answer.message_id);
    assert_eq!(again.conversation_id, root.conversation_id);
    assert_eq!(again.contact_id, answer.contact_id);
    // On another channel the same network id is another message, in its own conversation.
    let elsewhere = ingest_one(
        &store,
        a,
        Some(c2),
        message("p1", &bob, T0 + MINUTE, &["r1", "r1"]),
    )
    .await;
    assert_ne!(elsewhere.conversation_id, root.conversation_id);

    // Two messages of one new thread in one batch make one conversation.
    let batch = ingest(
        &store,
        a,
        Some(c1),
        vec![
            message("t1", &alice, T0 + 10 * MINUTE, &[]),
            message("t2", &bob, T0 + 11 * MINUTE, &["t1", "t1"]),
            message("t2", &bob, T0 + 11 * MINUTE, &["t1", "t1"]),
        ],
    )
    .await;
    assert!(batch[0].new_conversation && !batch[1].new_conversation);
    assert_eq!(batch[0].conversation_id, batch[1].conversation_id);
    assert!(
        batch[2].duplicate,
        "a message twice in one batch is kept once"
    );
    assert_eq!(batch[2].message_id, batch[1].message_id);

    let thread = conversation(&store, a, root.conversation_id).await;
    assert_eq!(thread.message_count, 3);
    assert_eq!(thread.last_message_at, at(T0 + 2 * MINUTE));
    assert_eq!(thread.preview, "Text of p2", "the newest message's text");
    assert_eq!(
        thread.kind,
        MessageKind::Mention,
        "the first message's kind"
    );
    assert_eq!(thread.status, ConversationStatus::Open);
    assert_eq!(thread.channel_id, Some(c1));
    assert_eq!(thread.network.as_deref(), Some("bluesky"));
    assert_eq!(thread.channel_name.as_deref(), Some("Bluesky"));
    assert_eq!(thread.contact_id, root.contact_id, "the first author's");
    assert_eq!(thread.contact_handle.as_deref(), Some("alice.bsky.social"));
    let messages = store
        .conversation_messages(a, root.conversation_id)
        .await
        .unwrap();
    let network_ids: Vec<_> = messages.iter().map(|m| m.network_id.as_deref()).collect();
    assert_eq!(
        network_ids,
        [Some("r1"), Some("p1"), Some("p2")],
        "oldest first"
    );
    let p2 = &messages[2];
    assert!(!p2.outgoing);
    assert_eq!(p2.delivery, DeliveryState::Received);
    assert_eq!(p2.network_state, NetworkState::Visible);
    assert_eq!(p2.parent_id.as_deref(), Some("missing"));
    assert_eq!(p2.root_version.as_deref(), Some("cid-r1"));
    assert_eq!(p2.author_id.as_deref(), Some("did:plc:alice"));
    assert_eq!(
        store
            .inbox_message_by_network_id(a, Some(c1), "p2")
            .await
            .unwrap()
            .map(|m| m.id),
        Some(orphan.message_id)
    );
    assert_eq!(
        store
            .inbox_message_by_network_id(a, None, "p2")
            .await
            .unwrap(),
        None
    );

    // Without a channel (sent over from listening): kept once per workspace too.
    let page = NewContactAccount {
        network: "web".into(),
        handle: "blog.example".into(),
        ..NewContactAccount::default()
    };
    let mut web = message("https://blog.example/post", &page, T0, &[]);
    web.kind = MessageKind::Listening;
    let first = ingest_one(&store, a, None, web.clone()).await;
    assert_eq!(first.contact_id, None, "a web page's author has no account");
    web.id = InboxMessageId::new();
    let twice = ingest(&store, a, None, vec![web]).await.remove(0);
    assert!(twice.duplicate);
    assert_eq!(twice.message_id, first.message_id);
    let listed = conversation(&store, a, first.conversation_id).await;
    assert_eq!(
        (listed.channel_id, listed.network, listed.message_count),
        (None, None, 1)
    );
    assert_eq!(
        store
            .inbox_message_by_network_id(a, None, "https://blog.example/post")
            .await
            .unwrap()
            .map(|m| m.id),
        Some(first.message_id)
    );

    // A long text is previewed by its start, cut between characters.
    let mut long = message("long", &alice, T0 + 20 * MINUTE, &[]);
    long.text = "é".repeat(500);
    let long = ingest_one(&store, a, Some(c1), long).await;
    let preview = conversation(&store, a, long.conversation_id).await.preview;
    let chars = preview.chars().count();
    assert!((150..=201).contains(&chars), "{chars}: {preview}");
    assert!(preview.starts_with("éé"));
}

pub async fn inbox_contacts_are_upserted_and_merged(store: Arc<dyn Store>) {
    let (a, b) = two_workspaces(&store).await;
    let c = channel_in(&store, a, "Bluesky").await;
    let alice = NewContactAccount {
        display_name: Some("Alice Martin".into()),
        followers: Some(10),
        ..author("alice")
    };
    let first = ingest_one(&store, a, Some(c), message("a1", &alice, T0, &[])).await;
    let alice_id = first.contact_id.expect("an account makes a contact");
    // The account writes again under a new handle: the same contact, its account refreshed;
    // what the message does not say (followers) is kept.
    let renamed = NewContactAccount {
        handle: "alice.example".into(),
        display_name: None,
        followers: None,
        avatar_url: Some("https://cdn.example/a.png".into()),
        ..alice.clone()
    };
    let second = ingest_one(&store, a, Some(c), message("a2", &renamed, T0 + HOUR, &[])).await;
    assert_eq!(second.contact_id, Some(alice_id));
    // A late message (older than the last seen) does not turn the handle back.
    let late = ingest_one(&store, a, Some(c), message("a0", &alice, T0 - HOUR, &[])).await;
    assert_eq!(late.contact_id, Some(alice_id));
    let contact = store.contact(a, alice_id).await.unwrap().unwrap();
    assert_eq!(contact.name, "Alice Martin", "named after the display name");
    assert_eq!(contact.accounts.len(), 1);
    let account = &contact.accounts[0];
    assert_eq!(account.handle, "alice.example");
    assert_eq!(account.display_name.as_deref(), Some("Alice Martin"));
    assert_eq!(account.followers, Some(10));
    assert_eq!(
        account.avatar_url.as_deref(),
        Some("https://cdn.example/a.png")
    );
    assert_eq!(
        (account.first_seen_at, account.last_seen_at),
        (at(T0), at(T0 + HOUR))
    );
    assert_eq!(contact.conversation_count, 3);

    // Another network's account of the same person is another contact until merged.
    let on_mastodon = NewContactAccount {
        network: "mastodon".into(),
        author_id: "109".into(),
        handle: "alice@mastodon.example".into(),
        ..NewContactAccount::default()
    };
    let m = channel_on(&store, a, "mastodon").await;
    let other = ingest_one(&store, a, Some(m), message("m1", &on_mastodon, T0, &[])).await;
    let other_id = other.contact_id.unwrap();
    assert_ne!(other_id, alice_id);
    assert_eq!(
        store.contact(a, other_id).await.unwrap().unwrap().name,
        "alice@mastodon.example",
        "named after the handle without a display name"
    );

    let names =
        |found: Vec<Contact>| -> Vec<String> { found.into_iter().map(|c| c.name).collect() };
    assert_eq!(
        names(store.contacts(a, "", 10).await.unwrap()),
        ["Alice Martin", "alice@mastodon.example"]
    );
    assert_eq!(
        names(store.contacts(a, "MARTIN", 10).await.unwrap()),
        ["Alice Martin"]
    );
    assert_eq!(
        names(store.contacts(a, "alice.example", 10).await.unwrap()),
        ["Alice Martin"],
        "by handle"
    );
    assert!(
        store.contacts(a, "%", 10).await.unwrap().is_empty(),
        "% is a character"
    );
    assert_eq!(store.contacts(a, "", 1).await.unwrap().len(), 1);
    assert!(store.contacts(b, "", 10).await.unwrap().is_empty());

    assert!(
        store
            .update_contact(
                a,
                other_id,
                "Alice (Mastodon)",
                Some("Cliente fidèle"),
                ws_audit(a, "contact.update")
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .merge_contacts(a, alice_id, alice_id, ws_audit(a, "contact.merge"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .merge_contacts(b, alice_id, other_id, ws_audit(b, "contact.merge"))
            .await
            .unwrap()
    );
    assert!(
        store
            .merge_contacts(a, alice_id, other_id, ws_audit(a, "contact.merge"))
            .await
            .unwrap()
    );
    assert_eq!(
        store.contact(a, other_id).await.unwrap(),
        None,
        "the absorbed contact is gone"
    );
    let merged = store.contact(a, alice_id).await.unwrap().unwrap();
    assert_eq!(merged.name, "Alice Martin");
    assert_eq!(
        merged.note.as_deref(),
        Some("Cliente fidèle"),
        "the absorbed one's note is kept"
    );
    let networks: Vec<&str> = merged.accounts.iter().map(|x| x.network.as_str()).collect();
    assert_eq!(networks, ["bluesky", "mastodon"]);
    assert_eq!(merged.conversation_count, 4);
    let moved = conversation(&store, a, other.conversation_id).await;
    assert_eq!(moved.contact_id, Some(alice_id));
    assert_eq!(moved.contact_name.as_deref(), Some("Alice Martin"));
    assert_eq!(
        moved.contact_handle.as_deref(),
        Some("alice@mastodon.example"),
        "the account on the conversation's network"
    );
    let moved_message = store
        .inbox_message(a, other.message_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved_message.contact_id, Some(alice_id));
    // The merged account's next message finds the kept contact.
    let after = ingest_one(
        &store,
        a,
        Some(m),
        message("m2", &on_mastodon, T0 + HOUR, &["m1"]),
    )
    .await;
    assert_eq!(after.contact_id, Some(alice_id));
}

pub async fn inbox_reopens_on_new_messages(store: Arc<dyn Store>) {
    let (a, _) = two_workspaces(&store).await;
    let c = channel_in(&store, a, "Bluesky").await;
    let fan = author("fan");
    let now = T0 + HOUR;
    let mut cases = Vec::new();
    // How each conversation is left, and whether a new message reopens it.
    for (i, (status, snooze, reopens)) in [
        (ConversationStatus::Closed, None, true),
        (ConversationStatus::Pending, None, true),
        (ConversationStatus::Open, Some(now + HOUR), true),
        (ConversationStatus::Open, Some(T0 - HOUR), false),
        (ConversationStatus::Open, None, false),
    ]
    .into_iter()
    .enumerate()
    {
        let root = format!("root{i}");
        let first = ingest_one(&store, a, Some(c), message(&root, &fan, T0, &[])).await;
        let id = first.conversation_id;
        let set = store
            .set_conversation_status(
                a,
                id,
                status,
                snooze.map(at),
                at(T0),
                ws_audit(a, "conversation.status"),
            )
            .await;
        assert!(set.unwrap());
        cases.push((root, id, reopens));
    }
    for (root, id, reopens) in cases {
        let next = ingest_one(
            &store,
            a,
            Some(c),
            message(&format!("{root}-next"), &fan, now - MINUTE, &[&root]),
        )
        .await;
        assert_eq!(next.conversation_id, id);
        assert_eq!(next.reopened, reopens, "{root}");
        let c = conversation(&store, a, id).await;
        assert_eq!(c.status, ConversationStatus::Open, "{root}");
        assert_eq!((c.closed_at, c.snoozed_until), (None, None), "{root}");
    }
}

pub async fn inbox_response_clock_runs_until_a_reply_is_sent(store: Arc<dyn Store>) {
    let (a, _) = two_workspaces(&store).await;
    let c = channel_in(&store, a, "Bluesky").await;
    let fan = author("fan");
    let first = ingest_one(&store, a, Some(c), message("q1", &fan, T0, &[])).await;
    let id = first.conversation_id;
    ingest_one(
        &store,
        a,
        Some(c),
        message("q2", &fan, T0 + MINUTE, &["q1"]),
    )
    .await;
    let waiting = conversation(&store, a, id).await;
    assert_eq!(
        waiting.awaiting_since,
        Some(at(T0)),
        "the oldest unanswered message"
    );
    assert_eq!(waiting.first_inbound_at, Some(at(T0)));
    assert_eq!(waiting.first_response_at, None);

    let sent = add_reply(&store, a, id, DeliveryState::Queued, T0 + 5 * MINUTE).await;
    let replied = conversation(&store, a, id).await;
    assert_eq!(replied.message_count, 3);
    assert_eq!(replied.last_message_at, at(T0 + 5 * MINUTE));
    assert_eq!(replied.preview, "Merci !");
    assert_eq!(
        replied.awaiting_since,
        Some(at(T0)),
        "a reply not yet on the network stops nothing"
    );
    // A message arriving after the reply was written still waits once the reply is sent.
    ingest_one(
        &store,
        a,
        Some(c),
        message("q3", &fan, T0 + 6 * MINUTE, &["q1"]),
    )
    .await;
    let url = Some("https://bsky.example/r-1");
    assert!(
        store
            .reply_sent(a, sent, "r-1", Some("cid"), url, at(T0 + 7 * MINUTE))
            .await
            .unwrap()
    );
    let answered = conversation(&store, a, id).await;
    assert_eq!(answered.first_response_at, Some(at(T0 + 7 * MINUTE)));
    assert_eq!(answered.awaiting_since, Some(at(T0 + 6 * MINUTE)));
    let second = add_reply(&store, a, id, DeliveryState::Queued, T0 + 8 * MINUTE).await;
    assert!(
        store
            .reply_sent(a, second, "r-2", None, None, at(T0 + 9 * MINUTE))
            .await
            .unwrap()
    );
    let done = conversation(&store, a, id).await;
    assert_eq!(done.awaiting_since, None, "the team spoke last");
    assert_eq!(
        done.first_response_at,
        Some(at(T0 + 7 * MINUTE)),
        "the first response stays"
    );

    // A repost asks nothing: it counts, but starts no clock.
    let mut repost = message("rp1", &fan, T0, &[]);
    repost.kind = MessageKind::Repost;
    repost.text = String::new();
    let shared = ingest_one(&store, a, Some(c), repost).await;
    let shared = conversation(&store, a, shared.conversation_id).await;
    assert_eq!(shared.message_count, 1);
    assert_eq!(
        (shared.awaiting_since, shared.first_inbound_at),
        (None, None)
    );
    let samples = store.sla_samples(a, at(T0 - HOUR)).await.unwrap();
    assert_eq!(
        samples
            .iter()
            .map(|s| s.conversation_id)
            .collect::<Vec<_>>(),
        [id]
    );
}

pub async fn inbox_replies_go_through_their_states_once(store: Arc<dyn Store>) {
    let (a, b) = two_workspaces(&store).await;
    let c = channel_in(&store, a, "Bluesky").await;
    let editor = member(&store, a, "editor@example.org").await;
    let fan = author("fan");
    let first = ingest_one(&store, a, Some(c), message("q1", &fan, T0, &[])).await;
    let id = first.conversation_id;

    let elsewhere = store
        .add_reply(
            b,
            reply(id, "x", DeliveryState::Queued, T0),
            ws_audit(b, "inbox.reply"),
        )
        .await;
    assert_eq!(elsewhere.unwrap(), None, "another workspace's conversation");
    let waiting = store
        .add_reply(
            a,
            NewReply {
                sender_id: Some(editor),
                ..reply(id, "Bonjour", DeliveryState::AwaitingApproval, T0 + MINUTE)
            },
            ws_audit(a, "inbox.reply"),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(waiting.outgoing);
    assert_eq!(
        (waiting.kind, waiting.network_id.as_deref()),
        (MessageKind::Outgoing, None)
    );
    assert_eq!(waiting.sender_id, Some(editor));
    assert_eq!(
        store.inbox_message(a, waiting.id).await.unwrap().as_ref(),
        Some(&waiting),
        "stored as returned"
    );
    assert!(
        !store
            .reply_sent(a, waiting.id, "n", None, None, at(T0))
            .await
            .unwrap(),
        "a reply waiting for approval is not sent"
    );
    let approve = |ws: WorkspaceId, message: InboxMessageId| {
        let store = store.clone();
        async move {
            store
                .approve_reply(
                    ws,
                    message,
                    editor,
                    send_job(ws),
                    ws_audit(ws, "inbox.approve"),
                )
                .await
                .unwrap()
        }
    };
    let sends = || {
        let store = store.clone();
        async move { store.jobs_waiting(SEND_KIND).await.unwrap() }
    };
    let before = sends().await;
    assert!(!approve(b, waiting.id).await);
    assert_eq!(
        sends().await,
        before,
        "nothing queued for a refused approval"
    );
    assert!(approve(a, waiting.id).await);
    assert_eq!(sends().await, before + 1, "the approval queued its send");
    assert!(!approve(a, waiting.id).await, "approved once");
    assert_eq!(sends().await, before + 1, "and sent once");
    assert!(
        !approve(a, first.message_id).await,
        "a received message is no reply"
    );
    let approved = store.inbox_message(a, waiting.id).await.unwrap().unwrap();
    assert_eq!(
        (approved.delivery, approved.approved_by),
        (DeliveryState::Queued, Some(editor))
    );

    let url = Some("https://x/r1");
    assert!(
        store
            .reply_sent(
                a,
                waiting.id,
                "at://r1",
                Some("v1"),
                url,
                at(T0 + 2 * MINUTE)
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .reply_sent(
                a,
                waiting.id,
                "at://other",
                Some("v2"),
                None,
                at(T0 + 3 * MINUTE)
            )
            .await
            .unwrap(),
        "a retried job changes nothing"
    );
    let sent = store.inbox_message(a, waiting.id).await.unwrap().unwrap();
    assert_eq!(sent.delivery, DeliveryState::Sent);
    assert_eq!(
        (
            sent.network_id.as_deref(),
            sent.version.as_deref(),
            sent.url.as_deref()
        ),
        (Some("at://r1"), Some("v1"), Some("https://x/r1"))
    );
    assert_eq!(
        conversation(&store, a, id).await.first_response_at,
        Some(at(T0 + 2 * MINUTE))
    );

    let refused = add_reply(&store, a, id, DeliveryState::Queued, T0 + 4 * MINUTE).await;
    store.reply_failed(b, refused, "not yours").await.unwrap();
    assert_eq!(
        store
            .inbox_message(a, refused)
            .await
            .unwrap()
            .unwrap()
            .delivery,
        DeliveryState::Queued
    );
    store
        .reply_failed(a, refused, "the post was deleted")
        .await
        .unwrap();
    let failed = store.inbox_message(a, refused).await.unwrap().unwrap();
    assert_eq!(failed.delivery, DeliveryState::Failed);
    assert_eq!(
        failed.delivery_error.as_deref(),
        Some("the post was deleted")
    );
    assert_eq!(
        conversation(&store, a, id).await.problem.as_deref(),
        Some("the post was deleted")
    );
    assert!(
        !store
            .reply_sent(a, refused, "late", None, None, at(T0))
            .await
            .unwrap(),
        "failed for good"
    );
    store.set_conversation_problem(a, id, None).await.unwrap();
    assert_eq!(conversation(&store, a, id).await.problem, None);
    store
        .set_conversation_problem(a, id, Some("rate limited, retrying"))
        .await
        .unwrap();
    assert_eq!(
        conversation(&store, a, id).await.problem.as_deref(),
        Some("rate limited, retrying")
    );
    // A sent reply clears the passing problem.
    let retried = add_reply(&store, a, id, DeliveryState::Queued, T0 + 5 * MINUTE).await;
    // The network showed our reply back before the send was recorded: it stays one message.
    ingest_one(
        &store,
        a,
        Some(c),
        message("at://r3", &author("brand"), T0 + 5 * MINUTE, &["q1"]),
    )
    .await;
    let before = conversation(&store, a, id).await.message_count;
    assert!(
        store
            .reply_sent(a, retried, "at://r3", None, None, at(T0 + 6 * MINUTE))
            .await
            .unwrap()
    );
    let after = conversation(&store, a, id).await;
    assert_eq!(after.problem, None);
    assert_eq!(
        after.message_count,
        before - 1,
        "the copy read back is the reply"
    );
    assert_eq!(
        store
            .inbox_message_by_network_id(a, Some(c), "at://r3")
            .await
            .unwrap()
            .map(|m| m.id),
        Some(retried)
    );
}

/// A conversation made by the filter scenario, with what the filters should see of it.
struct Made {
    id: ConversationId,
    last_at: i64,
    channel: ChannelId,
    kind: MessageKind,
    status: ConversationStatus,
    snoozed: bool,
    assignee: Option<UserId>,
    tags: Vec<&'static str>,
    contact: ContactId,
    awaiting_since: Option<i64>,
}

pub async fn inbox_filters_keep_what_they_say(store: Arc<dyn Store>) {
    let (a, _) = two_workspaces(&store).await;
    let channels = [
        channel_in(&store, a, "One").await,
        channel_in(&store, a, "Two").await,
    ];
    let users = [
        member(&store, a, "u1@example.org").await,
        member(&store, a, "u2@example.org").await,
    ];
    let authors = [author("x"), author("y"), author("z")];
    let kinds = [
        MessageKind::Mention,
        MessageKind::Reply,
        MessageKind::Direct,
    ];
    let now = T0 + 24 * HOUR;
    let mut made = Vec::new();
    for i in 0..24usize {
        let sent = T0 + i as i64 * MINUTE;
        let mut m = message(&format!("m{i}"), &authors[i % 3], sent, &[]);
        m.kind = kinds[i % 3];
        let done = ingest_one(&store, a, Some(channels[i % 2]), m).await;
        let id = done.conversation_id;
        let mut row = Made {
            id,
            last_at: sent,
            channel: channels[i % 2],
            kind: kinds[i % 3],
            status: ConversationStatus::Open,
            snoozed: false,
            assignee: None,
            tags: Vec::new(),
            contact: done.contact_id.unwrap(),
            awaiting_since: Some(sent),
        };
        // Tagged first: the tag's copies must follow the replies and statuses that come after.
        for (tag, on) in [("urgent", i % 4 == 2), ("vip", i % 6 == 0)] {
            if on {
                assert!(
                    store
                        .tag_conversation(a, id, tag, ws_audit(a, "conversation.tag"))
                        .await
                        .unwrap()
                );
                row.tags.push(tag);
            }
        }
        if i % 8 == 3 || i % 8 == 6 {
            let r = add_reply(&store, a, id, DeliveryState::Queued, sent + 30_000).await;
            assert!(
                store
                    .reply_sent(a, r, &format!("r{i}"), None, None, at(sent + 40_000))
                    .await
                    .unwrap()
            );
            row.last_at = sent + 30_000;
            row.awaiting_since = None;
        }
        let (status, snooze) = match i % 4 {
            0 => (ConversationStatus::Closed, None),
            1 => (ConversationStatus::Pending, None),
            _ if i % 5 == 2 => (ConversationStatus::Open, Some(now + HOUR)),
            _ if i % 5 == 3 => (ConversationStatus::Open, Some(now - HOUR)),
            _ => (ConversationStatus::Open, None),
        };
        if status != ConversationStatus::Open || snooze.is_some() {
            let set = store
                .set_conversation_status(
                    a,
                    id,
                    status,
                    snooze.map(at),
                    at(now),
                    ws_audit(a, "conversation.status"),
                )
                .await;
            assert!(set.unwrap());
        }
        row.status = status;
        row.snoozed = snooze.is_some_and(|s| s > now);
        if i % 3 != 2 {
            let u = users[i % 3];
            assert!(
                store
                    .assign_conversation(a, id, Some(u), ws_audit(a, "conversation.assign"))
                    .await
                    .unwrap()
            );
            row.assignee = Some(u);
        }
        made.push(row);
    }
    // Assigning and un-assigning round trips; tagging twice is one tag.
    let first = &made[0];
    assert!(
        store
            .assign_conversation(a, first.id, None, ws_audit(a, "conversation.assign"))
            .await
            .unwrap()
    );
    assert_eq!(conversation(&store, a, first.id).await.assignee_id, None);
    assert!(
        store
            .assign_conversation(
                a,
                first.id,
                first.assignee,
                ws_audit(a, "conversation.assign")
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .tag_conversation(a, first.id, "vip", ws_audit(a, "conversation.tag"))
            .await
            .unwrap()
    );
    // A new message opens the closed, tagged first conversation again, and moves it up.
    let again = ingest_one(
        &store,
        a,
        Some(channels[0]),
        message("m0-again", &authors[0], T0 + HOUR, &["m0"]),
    )
    .await;
    assert!(again.reopened);
    made[0].status = ConversationStatus::Open;
    made[0].last_at = T0 + HOUR;

    let expect = |keep: &dyn Fn(&Made) -> bool| -> Vec<ConversationId> {
        let mut kept: Vec<&Made> = made.iter().filter(|m| keep(m)).collect();
        kept.sort_by_key(|m| std::cmp::Reverse((m.last_at, m.id)));
        kept.into_iter().map(|m| m.id).collect()
    };
    let check = |filter: ConversationFilter, keep: &dyn Fn(&Made) -> bool| {
        let store = store.clone();
        let expected = expect(keep);
        async move {
            let listed = store
                .list_conversations(a, &filter, at(now), None, 100)
                .await
                .unwrap();
            assert_eq!(ids(&listed), expected, "{filter:?}");
            let counted = store
                .count_conversations(a, &filter, at(now), 1_000)
                .await
                .unwrap();
            assert_eq!(counted, expected.len() as u64, "{filter:?}");
        }
    };
    let open = ConversationStatus::Open;
    let all = ConversationFilter::default;
    check(all(), &|_| true).await;
    let inbox = ConversationFilter {
        status: Some(open),
        snoozed: Some(false),
        ..all()
    };
    check(inbox.clone(), &|m| m.status == open && !m.snoozed).await;
    for status in ConversationStatus::ALL {
        check(
            ConversationFilter {
                status: Some(*status),
                ..all()
            },
            &|m| m.status == *status,
        )
        .await;
    }
    check(
        ConversationFilter {
            snoozed: Some(true),
            ..all()
        },
        &|m| m.snoozed,
    )
    .await;
    check(
        ConversationFilter {
            snoozed: Some(false),
            ..all()
        },
        &|m| !m.snoozed,
    )
    .await;
    for u in users {
        let mine = ConversationFilter {
            assignee: Some(AssigneeFilter::User(u)),
            ..inbox.clone()
        };
        check(mine, &|m| {
            m.assignee == Some(u) && m.status == open && !m.snoozed
        })
        .await;
    }
    let unassigned = ConversationFilter {
        assignee: Some(AssigneeFilter::Unassigned),
        ..all()
    };
    check(unassigned, &|m| m.assignee.is_none()).await;
    check(
        ConversationFilter {
            channel: Some(channels[1]),
            ..all()
        },
        &|m| m.channel == channels[1],
    )
    .await;
    check(
        ConversationFilter {
            channel: Some(channels[1]),
            ..inbox.clone()
        },
        &|m| m.channel == channels[1] && m.status == open && !m.snoozed,
    )
    .await;
    check(
        ConversationFilter {
            kind: Some(MessageKind::Direct),
            ..all()
        },
        &|m| m.kind == MessageKind::Direct,
    )
    .await;
    for tag in ["urgent", "vip"] {
        let has = move |m: &Made| m.tags.contains(&tag);
        check(
            ConversationFilter {
                tag: Some(tag.into()),
                ..all()
            },
            &has,
        )
        .await;
        check(
            ConversationFilter {
                tag: Some(tag.into()),
                ..inbox.clone()
            },
            &|m| has(m) && m.status == open && !m.snoozed,
        )
        .await;
        let closed = ConversationStatus::Closed;
        check(
            ConversationFilter {
                tag: Some(tag.into()),
                status: Some(closed),
                ..all()
            },
            &|m| has(m) && m.status == closed,
        )
        .await;
        check(
            ConversationFilter {
                tag: Some(tag.into()),
                snoozed: Some(true),
                ..all()
            },
            &|m| has(m) && m.snoozed,
        )
        .await;
        let theirs = ConversationFilter {
            tag: Some(tag.into()),
            assignee: Some(AssigneeFilter::User(users[1])),
            ..all()
        };
        check(theirs, &|m| has(m) && m.assignee == Some(users[1])).await;
    }
    check(
        ConversationFilter {
            tag: Some("none".into()),
            ..all()
        },
        &|_| false,
    )
    .await;
    let contact = made[1].contact;
    check(
        ConversationFilter {
            contact: Some(contact),
            ..all()
        },
        &|m| m.contact == contact,
    )
    .await;
    let overdue = T0 + 10 * MINUTE;
    check(
        ConversationFilter {
            awaiting_before: Some(at(overdue)),
            ..inbox.clone()
        },
        &|m| m.awaiting_since.is_some_and(|w| w < overdue) && m.status == open && !m.snoozed,
    )
    .await;

    let listed = store
        .list_conversations(a, &all(), at(now), None, 100)
        .await
        .unwrap();
    for c in &listed {
        let m = made.iter().find(|m| m.id == c.id).unwrap();
        let mut tags = m.tags.clone();
        tags.sort();
        assert_eq!(c.tags, tags);
        assert_eq!(c.assignee_id, m.assignee);
        assert_eq!(
            c.assignee_name.is_some(),
            m.assignee.is_some(),
            "the assignee's name comes along"
        );
    }
    assert_eq!(
        store.conversation_tags(a).await.unwrap(),
        [("urgent".to_owned(), 6), ("vip".to_owned(), 4)]
    );
    assert!(
        store
            .untag_conversation(a, first_id(&made), "vip", ws_audit(a, "conversation.untag"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .untag_conversation(a, first_id(&made), "vip", ws_audit(a, "conversation.untag"))
            .await
            .unwrap()
    );
    assert_eq!(
        conversation(&store, a, first_id(&made)).await.tags,
        Vec::<String>::new()
    );

    // The filter of a saved column reads back the same.
    let saved = ConversationFilter {
        assignee: Some(AssigneeFilter::User(users[0])),
        kind: Some(MessageKind::Direct),
        ..inbox
    };
    let back: ConversationFilter =
        serde_json::from_str(&serde_json::to_string(&saved).unwrap()).unwrap();
    assert_eq!(back, saved);
    assert!(serde_json::from_str::<ConversationFilter>(r#"{"status":"asleep"}"#).is_err());
}

fn first_id(made: &[Made]) -> ConversationId {
    made[0].id
}

pub async fn inbox_pages_miss_nothing(store: Arc<dyn Store>) {
    let (a, _) = two_workspaces(&store).await;
    let c = channel_in(&store, a, "Bluesky").await;
    let fan = author("fan");
    let mut batch = Vec::new();
    for i in 0..25i64 {
        // Four conversations share each time: pages must break ties by id.
        batch.push(message(&format!("m{i}"), &fan, T0 + (i / 4) * MINUTE, &[]));
    }
    let made: Vec<ConversationId> = ingest(&store, a, Some(c), batch)
        .await
        .iter()
        .map(|d| d.conversation_id)
        .collect();
    let closed = made[5];
    let set = store
        .set_conversation_status(
            a,
            closed,
            ConversationStatus::Closed,
            None,
            at(T0),
            ws_audit(a, "conversation.status"),
        )
        .await;
    assert!(set.unwrap());
    for (i, id) in made.iter().enumerate() {
        if i % 2 == 0 {
            assert!(
                store
                    .tag_conversation(a, *id, "pair", ws_audit(a, "conversation.tag"))
                    .await
                    .unwrap()
            );
        }
    }
    let open = Some(ConversationStatus::Open);
    let pair = Some("pair".to_owned());
    for (filter, expected) in [
        (ConversationFilter::default(), 25),
        (
            ConversationFilter {
                status: open,
                ..ConversationFilter::default()
            },
            24,
        ),
        (
            ConversationFilter {
                tag: pair.clone(),
                ..ConversationFilter::default()
            },
            13,
        ),
        (
            ConversationFilter {
                tag: pair,
                status: open,
                ..ConversationFilter::default()
            },
            13,
        ),
    ] {
        let all = store
            .list_conversations(a, &filter, at(T0), None, 100)
            .await
            .unwrap();
        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .list_conversations(a, &filter, at(T0), after, 7)
                .await
                .unwrap();
            assert!(page.len() <= 7);
            let Some(last) = page.last() else { break };
            after = Some((last.last_message_at, last.id));
            paged.extend(ids(&page));
        }
        assert_eq!(paged, ids(&all), "{filter:?}");
        let distinct: HashSet<_> = paged.iter().collect();
        assert_eq!(distinct.len(), paged.len(), "no row twice");
        assert_eq!(paged.len(), expected, "none skipped: {filter:?}");
        let mut sorted = all
            .iter()
            .map(|c| (c.last_message_at, c.id))
            .collect::<Vec<_>>();
        sorted.sort_by(|x, y| y.cmp(x));
        assert_eq!(
            sorted,
            all.iter()
                .map(|c| (c.last_message_at, c.id))
                .collect::<Vec<_>>(),
            "newest first"
        );
    }
}

/// A tag on more conversations than the short-tag walk takes (500) is crossed with another
/// filter from the conversations' side: the same answers, pages included.
pub async fn inbox_long_tags_filter_like_short_ones(store: Arc<dyn Store>) {
    let (a, _) = two_workspaces(&store).await;
    let c = channel_in(&store, a, "Bluesky").await;
    let u = member(&store, a, "cm@example.org").await;
    let fan = author("fan");
    let batch = (0..560i64)
        .map(|i| message(&format!("m{i}"), &fan, T0 + (i / 3) * MINUTE, &[]))
        .collect();
    let made: Vec<ConversationId> = ingest(&store, a, Some(c), batch)
        .await
        .iter()
        .map(|d| d.conversation_id)
        .collect();
    let mut mine = Vec::new();
    for (i, id) in made.iter().enumerate() {
        assert!(
            store
                .tag_conversation(a, *id, "long", ws_audit(a, "t"))
                .await
                .unwrap()
        );
        if i % 7 == 0 {
            assert!(
                store
                    .assign_conversation(a, *id, Some(u), ws_audit(a, "a"))
                    .await
                    .unwrap()
            );
            mine.push(*id);
        }
        if i % 14 == 3 {
            let closed = ConversationStatus::Closed;
            assert!(
                store
                    .set_conversation_status(a, *id, closed, None, at(T0), ws_audit(a, "s"))
                    .await
                    .unwrap()
            );
        }
    }
    // i % 7 == 0 and i % 14 == 3 never meet: every one of "mine" is open.
    let filter = ConversationFilter {
        tag: Some("long".into()),
        status: Some(ConversationStatus::Open),
        assignee: Some(AssigneeFilter::User(u)),
        ..ConversationFilter::default()
    };
    let listed = store
        .list_conversations(a, &filter, at(T0), None, 1_000)
        .await
        .unwrap();
    let mut expected: Vec<(Timestamp, ConversationId)> = Vec::new();
    for id in &mine {
        expected.push((conversation(&store, a, *id).await.last_message_at, *id));
    }
    expected.sort_by(|x, y| y.cmp(x));
    let expected: Vec<ConversationId> = expected.into_iter().map(|(_, id)| id).collect();
    assert_eq!(ids(&listed), expected);
    assert_eq!(
        store
            .count_conversations(a, &filter, at(T0), 1_000)
            .await
            .unwrap(),
        mine.len() as u64
    );
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list_conversations(a, &filter, at(T0), after, 9)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = Some((last.last_message_at, last.id));
        paged.extend(ids(&page));
    }
    assert_eq!(paged, expected, "pages of a long tag miss nothing");
    let closed = ConversationFilter {
        tag: Some("long".into()),
        status: Some(ConversationStatus::Closed),
        ..ConversationFilter::default()
    };
    assert_eq!(
        store
            .count_conversations(a, &closed, at(T0), 1_000)
            .await
            .unwrap(),
        40
    );
    assert_eq!(
        store
            .count_conversations(a, &closed, at(T0), 25)
            .await
            .unwrap(),
        25,
        "a count stops at its cap"
    );
}

pub async fn inbox_stays_in_its_workspace(store: Arc<dyn Store>) {
    let (a, b) = two_workspaces(&store).await;
    let c = channel_in(&store, a, "Bluesky").await;
    let u = member(&store, a, "cm@example.org").await;
    let stranger = user(&store, "stranger@example.org").await;
    let fan = author("fan");
    let got = ingest_one(&store, a, Some(c), message("q1", &fan, T0, &[])).await;
    let (conv, msg, contact) = (got.conversation_id, got.message_id, got.contact_id.unwrap());
    let waiting = add_reply(
        &store,
        a,
        conv,
        DeliveryState::AwaitingApproval,
        T0 + MINUTE,
    )
    .await;
    let queued = add_reply(&store, a, conv, DeliveryState::Queued, T0 + MINUTE).await;
    let review = store
        .open_review(
            a,
            ReviewId::new(),
            msg,
            &serde_json::json!(["insult"]),
            at(T0),
        )
        .await
        .unwrap();
    let new_canned = NewCannedReply {
        id: CannedReplyId::new(),
        name: "Merci".into(),
        lang: "fr".into(),
        body: "Merci !".into(),
        created_by: None,
    };
    let canned = store
        .create_canned_reply(a, new_canned, ws_audit(a, "canned.create"))
        .await
        .unwrap();
    let new_column = NewInboxColumn {
        id: InboxColumnId::new(),
        user_id: None,
        name: "Tout".into(),
        filter: ConversationFilter::default(),
    };
    let column = store
        .create_inbox_column(a, new_column, ws_audit(a, "column.create"))
        .await
        .unwrap();
    let new_rule = NewModerationRule {
        id: ModerationRuleId::new(),
        name: "Insultes".into(),
        rule: serde_json::json!({"kind": "words"}),
        enabled: true,
        created_by: None,
    };
    let rule = store
        .create_moderation_rule(a, new_rule, ws_audit(a, "rule.create"))
        .await
        .unwrap();
    let settings = InboxSettings {
        first_response_minutes: Some(60),
        ..InboxSettings::default()
    };
    store
        .save_inbox_settings(a, &settings, ws_audit(a, "inbox.settings"))
        .await
        .unwrap();
    store
        .touch_presence(a, conv, u, true, at(T0 + HOUR))
        .await
        .unwrap();
    assert!(
        store
            .tag_conversation(a, conv, "a", ws_audit(a, "conversation.tag"))
            .await
            .unwrap()
    );
    let before = (
        store.conversation(a, conv).await.unwrap(),
        store.conversation_messages(a, conv).await.unwrap(),
        store.contact(a, contact).await.unwrap(),
        store.review(a, review).await.unwrap(),
    );
    let b_lines = audit_lines(&store, b).await;
    let bad = |action: &str| ws_audit(b, action);

    // Workspace B cannot write into A's channel, nor read or change any of A's rows.
    assert_not_found(
        &store
            .ingest_messages(b, Some(c), &[message("x", &fan, T0, &[])], at(T0))
            .await,
    );
    assert_not_found(
        &store
            .save_inbox_channel_state(b, c, &InboxChannelState::default())
            .await,
    );
    assert!(
        store
            .author_recent_messages(b, "did:plc:fan", at(0), 10)
            .await
            .unwrap()
            .is_empty()
    );
    store
        .set_message_moderation(b, msg, Some(900), Some(&serde_json::json!({"hit": true})))
        .await
        .unwrap();
    assert_not_found(
        &store
            .open_review(b, ReviewId::new(), msg, &serde_json::json!([]), at(T0))
            .await,
    );
    let replied = store
        .add_reply(
            b,
            reply(conv, "x", DeliveryState::Queued, T0),
            bad("inbox.reply"),
        )
        .await;
    assert_eq!(replied.unwrap(), None);
    assert!(
        !store
            .approve_reply(b, waiting, u, send_job(b), bad("inbox.approve"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .reply_sent(b, queued, "n", None, None, at(T0))
            .await
            .unwrap()
    );
    store.reply_failed(b, queued, "x").await.unwrap();
    store
        .set_conversation_problem(b, conv, Some("x"))
        .await
        .unwrap();
    let every = ConversationFilter::default();
    assert!(
        store
            .list_conversations(b, &every, at(T0), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .count_conversations(b, &every, at(T0), 1_000)
            .await
            .unwrap(),
        0
    );
    let tagged = ConversationFilter {
        tag: Some("a".into()),
        ..ConversationFilter::default()
    };
    assert!(
        store
            .list_conversations(b, &tagged, at(T0), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .count_conversations(b, &tagged, at(T0), 1_000)
            .await
            .unwrap(),
        0
    );
    assert!(
        store
            .conversations_changed_since(b, at(0), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.conversation(b, conv).await.unwrap(), None);
    assert!(
        store
            .conversation_messages(b, conv)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.inbox_message(b, msg).await.unwrap(), None);
    assert_eq!(
        store
            .inbox_message_by_network_id(b, Some(c), "q1")
            .await
            .unwrap(),
        None
    );
    assert!(
        !store
            .assign_conversation(b, conv, None, bad("conversation.assign"))
            .await
            .unwrap()
    );
    let closed = ConversationStatus::Closed;
    assert!(
        !store
            .set_conversation_status(b, conv, closed, None, at(T0), bad("conversation.status"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .tag_conversation(b, conv, "x", bad("conversation.tag"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .untag_conversation(b, conv, "a", bad("conversation.untag"))
            .await
            .unwrap()
    );
    assert!(store.conversation_tags(b).await.unwrap().is_empty());
    let note = Note {
        id: NoteId::new(),
        conversation_id: conv,
        author_id: None,
        author_label: "x".into(),
        text: "x".into(),
        created_at: at(T0),
    };
    assert!(
        !store
            .add_note(b, note, bad("conversation.note"))
            .await
            .unwrap()
    );
    assert!(store.conversation_notes(b, conv).await.unwrap().is_empty());
    store
        .touch_presence(b, conv, stranger, true, at(T0 + HOUR))
        .await
        .unwrap();
    assert!(store.presence(b, conv, at(T0)).await.unwrap().is_empty());
    let present: Vec<UserId> = store
        .presence(a, conv, at(T0))
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.user_id)
        .collect();
    assert_eq!(present, [u], "B's touch left no one in A's conversation");
    assert!(
        !store
            .set_message_network_state(b, msg, NetworkState::Hidden, bad("message.hide"))
            .await
            .unwrap()
    );
    assert_eq!(store.contact(b, contact).await.unwrap(), None);
    assert!(store.contacts(b, "", 10).await.unwrap().is_empty());
    assert!(
        !store
            .update_contact(b, contact, "x", None, bad("contact.update"))
            .await
            .unwrap()
    );
    assert!(store.canned_replies(b).await.unwrap().is_empty());
    assert!(
        !store
            .update_canned_reply(b, canned.id, "x", "fr", "x", bad("canned.update"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_canned_reply(b, canned.id, bad("canned.delete"))
            .await
            .unwrap()
    );
    assert!(store.inbox_columns(b, u).await.unwrap().is_empty());
    assert!(
        !store
            .delete_inbox_column(b, column.id, u, bad("column.delete"))
            .await
            .unwrap()
    );
    assert_eq!(
        store.inbox_settings(b).await.unwrap(),
        InboxSettings::default()
    );
    assert!(store.moderation_rules(b).await.unwrap().is_empty());
    let changed = serde_json::json!({});
    assert!(
        !store
            .update_moderation_rule(b, rule.id, "x", &changed, false, bad("rule.update"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_moderation_rule(b, rule.id, bad("rule.delete"))
            .await
            .unwrap()
    );
    assert!(
        store
            .reviews(b, ReviewStatus::Pending, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.review(b, review).await.unwrap(), None);
    let removed = ReviewStatus::Removed;
    assert!(
        !store
            .decide_review(b, review, removed, u, at(T0), bad("review.decide"))
            .await
            .unwrap()
    );
    assert!(store.sla_samples(b, at(0)).await.unwrap().is_empty());
    assert_eq!(
        audit_lines(&store, b).await,
        b_lines,
        "nothing B tried was recorded as done"
    );
    // Nor can A hand its conversation to someone outside the workspace.
    assert_not_found(
        &store
            .assign_conversation(a, conv, Some(stranger), ws_audit(a, "conversation.assign"))
            .await,
    );

    // A's rows are as they were.
    assert_eq!(store.conversation(a, conv).await.unwrap(), before.0);
    assert_eq!(
        store.conversation_messages(a, conv).await.unwrap(),
        before.1
    );
    assert_eq!(store.contact(a, contact).await.unwrap(), before.2);
    assert_eq!(store.review(a, review).await.unwrap(), before.3);
    assert_eq!(store.inbox_settings(a).await.unwrap(), settings);
    assert_eq!(store.canned_replies(a).await.unwrap(), [canned]);
    assert_eq!(store.moderation_rules(a).await.unwrap(), [rule]);
    assert_eq!(store.inbox_columns(a, u).await.unwrap(), [column]);
}

pub async fn inbox_changes_by_people_are_audited(store: Arc<dyn Store>) {
    let (a, _) = two_workspaces(&store).await;
    let c = channel_in(&store, a, "Bluesky").await;
    let u = member(&store, a, "cm@example.org").await;
    let base = audit_lines(&store, a).await;
    let fan = author("fan");
    // The worker's writes: no audit line.
    let got = ingest_one(&store, a, Some(c), message("q1", &fan, T0, &[])).await;
    let other = ingest_one(&store, a, Some(c), message("q2", &author("other"), T0, &[])).await;
    let conv = got.conversation_id;
    store
        .save_inbox_channel_state(a, c, &InboxChannelState::default())
        .await
        .unwrap();
    store
        .set_message_moderation(a, got.message_id, Some(10), None)
        .await
        .unwrap();
    let review = store
        .open_review(
            a,
            ReviewId::new(),
            got.message_id,
            &serde_json::json!([]),
            at(T0),
        )
        .await
        .unwrap();
    store
        .touch_presence(a, conv, u, false, at(T0 + HOUR))
        .await
        .unwrap();
    store
        .set_conversation_problem(a, conv, Some("x"))
        .await
        .unwrap();
    assert_eq!(
        audit_lines(&store, a).await,
        base,
        "the worker's writes are not audited"
    );

    let mut expected = base;
    let mut check = async |done: bool, what: &str| {
        assert!(done, "{what}");
        expected += 1;
        assert_eq!(
            audit_lines(&store, a).await,
            expected,
            "{what} writes one audit line"
        );
    };
    let queued = add_reply(
        &store,
        a,
        conv,
        DeliveryState::AwaitingApproval,
        T0 + MINUTE,
    )
    .await;
    check(true, "add_reply").await;
    check(
        store
            .approve_reply(a, queued, u, send_job(a), ws_audit(a, "inbox.approve"))
            .await
            .unwrap(),
        "approve_reply",
    )
    .await;
    assert!(
        store
            .reply_sent(a, queued, "r1", None, None, at(T0))
            .await
            .unwrap()
    );
    check(
        store
            .assign_conversation(a, conv, Some(u), ws_audit(a, "a"))
            .await
            .unwrap(),
        "assign",
    )
    .await;
    let pending = ConversationStatus::Pending;
    check(
        store
            .set_conversation_status(a, conv, pending, None, at(T0), ws_audit(a, "s"))
            .await
            .unwrap(),
        "status",
    )
    .await;
    check(
        store
            .tag_conversation(a, conv, "vip", ws_audit(a, "t"))
            .await
            .unwrap(),
        "tag",
    )
    .await;
    check(
        store
            .untag_conversation(a, conv, "vip", ws_audit(a, "u"))
            .await
            .unwrap(),
        "untag",
    )
    .await;
    let note = Note {
        id: NoteId::new(),
        conversation_id: conv,
        author_id: Some(u),
        author_label: "CM".into(),
        text: "Client important".into(),
        created_at: at(T0),
    };
    check(
        store
            .add_note(a, note.clone(), ws_audit(a, "n"))
            .await
            .unwrap(),
        "note",
    )
    .await;
    assert_eq!(store.conversation_notes(a, conv).await.unwrap(), [note]);
    let hidden = NetworkState::Hidden;
    check(
        store
            .set_message_network_state(a, got.message_id, hidden, ws_audit(a, "h"))
            .await
            .unwrap(),
        "hide",
    )
    .await;
    assert_eq!(
        store
            .inbox_message(a, got.message_id)
            .await
            .unwrap()
            .unwrap()
            .network_state,
        hidden
    );
    let (kept, absorbed) = (got.contact_id.unwrap(), other.contact_id.unwrap());
    check(
        store
            .update_contact(a, kept, "Fan", None, ws_audit(a, "c"))
            .await
            .unwrap(),
        "update_contact",
    )
    .await;
    check(
        store
            .merge_contacts(a, kept, absorbed, ws_audit(a, "m"))
            .await
            .unwrap(),
        "merge",
    )
    .await;
    let new_canned = NewCannedReply {
        id: CannedReplyId::new(),
        name: "Merci".into(),
        lang: "fr".into(),
        body: "Merci {{first_name}} !".into(),
        created_by: Some(u),
    };
    let canned = store
        .create_canned_reply(a, new_canned, ws_audit(a, "cr"))
        .await
        .unwrap();
    check(true, "create_canned_reply").await;
    let changed = store
        .update_canned_reply(
            a,
            canned.id,
            "Merci",
            "fr",
            "Merci beaucoup",
            ws_audit(a, "cu"),
        )
        .await;
    check(changed.unwrap(), "update_canned").await;
    check(
        store
            .delete_canned_reply(a, canned.id, ws_audit(a, "cd"))
            .await
            .unwrap(),
        "delete_canned",
    )
    .await;
    let new_column = NewInboxColumn {
        id: InboxColumnId::new(),
        user_id: Some(u),
        name: "Moi".into(),
        filter: ConversationFilter::default(),
    };
    let column = store
        .create_inbox_column(a, new_column, ws_audit(a, "col"))
        .await
        .unwrap();
    check(true, "create_column").await;
    check(
        store
            .delete_inbox_column(a, column.id, u, ws_audit(a, "cold"))
            .await
            .unwrap(),
        "delete_column",
    )
    .await;
    store
        .save_inbox_settings(a, &InboxSettings::default(), ws_audit(a, "set"))
        .await
        .unwrap();
    check(true, "save_settings").await;
    let new_rule = NewModerationRule {
        id: ModerationRuleId::new(),
        name: "R".into(),
        rule: serde_json::json!({}),
        enabled: true,
        created_by: None,
    };
    let rule = store
        .create_moderation_rule(a, new_rule, ws_audit(a, "r"))
        .await
        .unwrap();
    check(true, "create_rule").await;
    let kinder = serde_json::json!({"k": 1});
    check(
        store
            .update_moderation_rule(a, rule.id, "R2", &kinder, false, ws_audit(a, "ru"))
            .await
            .unwrap(),
        "update_rule",
    )
    .await;
    let approved = ReviewStatus::Approved;
    check(
        store
            .decide_review(a, review, approved, u, at(T0), ws_audit(a, "rd"))
            .await
            .unwrap(),
        "decide",
    )
    .await;
    check(
        store
            .delete_moderation_rule(a, rule.id, ws_audit(a, "rdel"))
            .await
            .unwrap(),
        "delete_rule",
    )
    .await;

    // What changes nothing writes nothing.
    assert!(
        !store
            .approve_reply(a, queued, u, send_job(a), ws_audit(a, "x"))
            .await
            .unwrap()
    );
    assert!(
        store
            .tag_conversation(a, conv, "same", ws_audit(a, "t"))
            .await
            .unwrap()
    );
    expected += 1;
    assert!(
        store
            .tag_conversation(a, conv, "same", ws_audit(a, "t"))
            .await
            .unwrap(),
        "tagging twice is fine"
    );
    let removed = ReviewStatus::Removed;
    assert!(
        !store
            .decide_review(a, review, removed, u, at(T0), ws_audit(a, "x"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_moderation_rule(a, rule.id, ws_audit(a, "x"))
            .await
            .unwrap()
    );
    assert_eq!(
        audit_lines(&store, a).await,
        expected,
        "refused or empty changes are not recorded"
    );
    let log = store.audit_log(Some(a), None, 1).await.unwrap();
    assert_eq!(log[0].event.action, "t");
}

pub async fn canned_replies_are_unique_by_name_and_language(store: Arc<dyn Store>) {
    let (a, b) = two_workspaces(&store).await;
    let new = |name: &str, lang: &str| NewCannedReply {
        id: CannedReplyId::new(),
        name: name.into(),
        lang: lang.into(),
        body: format!("{name} ({lang})"),
        created_by: None,
    };
    let fr = store
        .create_canned_reply(a, new("Merci", "fr"), ws_audit(a, "c"))
        .await
        .unwrap();
    let en = store
        .create_canned_reply(a, new("Merci", "en"), ws_audit(a, "c"))
        .await
        .unwrap();
    assert_taken(
        &store
            .create_canned_reply(a, new("Merci", "fr"), ws_audit(a, "c"))
            .await,
    );
    store
        .create_canned_reply(b, new("Merci", "fr"), ws_audit(b, "c"))
        .await
        .expect("another workspace may");
    assert_taken(
        &store
            .update_canned_reply(a, en.id, "Merci", "fr", "x", ws_audit(a, "u"))
            .await,
    );
    assert!(
        store
            .update_canned_reply(a, en.id, "Thanks", "en", "Thank you!", ws_audit(a, "u"))
            .await
            .unwrap()
    );
    let listed = store.canned_replies(a).await.unwrap();
    let seen: Vec<(&str, &str, &str)> = listed
        .iter()
        .map(|c| (c.name.as_str(), c.lang.as_str(), c.body.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("Merci", "fr", "Merci (fr)"),
            ("Thanks", "en", "Thank you!")
        ]
    );
    assert!(
        store
            .delete_canned_reply(a, fr.id, ws_audit(a, "d"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_canned_reply(a, fr.id, ws_audit(a, "d"))
            .await
            .unwrap()
    );
    assert_eq!(store.canned_replies(a).await.unwrap().len(), 1);
}

pub async fn inbox_columns_are_the_teams_and_ones_own(store: Arc<dyn Store>) {
    let (a, _) = two_workspaces(&store).await;
    let (ana, ben) = (
        member(&store, a, "ana@example.org").await,
        member(&store, a, "ben@example.org").await,
    );
    let column = |user: Option<UserId>, name: &str| NewInboxColumn {
        id: InboxColumnId::new(),
        user_id: user,
        name: name.into(),
        filter: ConversationFilter {
            status: Some(ConversationStatus::Open),
            assignee: user.map(AssigneeFilter::User),
            ..ConversationFilter::default()
        },
    };
    let team = store
        .create_inbox_column(a, column(None, "Tout"), ws_audit(a, "c"))
        .await
        .unwrap();
    let anas = store
        .create_inbox_column(a, column(Some(ana), "Moi"), ws_audit(a, "c"))
        .await
        .unwrap();
    let bens = store
        .create_inbox_column(a, column(Some(ben), "Moi"), ws_audit(a, "c"))
        .await
        .unwrap();
    assert!(
        team.position < anas.position && anas.position < bens.position,
        "each after the others"
    );
    assert_eq!(
        store.inbox_columns(a, ana).await.unwrap(),
        [team.clone(), anas.clone()]
    );
    assert_eq!(
        store.inbox_columns(a, ben).await.unwrap(),
        [team.clone(), bens.clone()]
    );
    assert_eq!(
        store.inbox_columns(a, ana).await.unwrap()[1]
            .filter
            .assignee,
        Some(AssigneeFilter::User(ana))
    );
    assert!(
        !store
            .delete_inbox_column(a, bens.id, ana, ws_audit(a, "d"))
            .await
            .unwrap(),
        "not Ana's"
    );
    assert_eq!(store.inbox_columns(a, ben).await.unwrap().len(), 2);
    assert!(
        store
            .delete_inbox_column(a, anas.id, ana, ws_audit(a, "d"))
            .await
            .unwrap()
    );
    assert!(
        store
            .delete_inbox_column(a, team.id, ben, ws_audit(a, "d"))
            .await
            .unwrap(),
        "the team's"
    );
    assert!(store.inbox_columns(a, ana).await.unwrap().is_empty());
    assert_eq!(store.inbox_columns(a, ben).await.unwrap(), [bens]);
}

pub async fn inbox_settings_and_channel_state_round_trip(store: Arc<dyn Store>) {
    let (a, b) = two_workspaces(&store).await;
    let c = channel_in(&store, a, "Bluesky").await;
    assert_eq!(
        store.inbox_settings(a).await.unwrap(),
        InboxSettings::default()
    );
    let settings = InboxSettings {
        first_response_minutes: Some(120),
        resolution_minutes: None,
        approve_contributor_replies: true,
        netiquette: "Soyez courtois.\n\nPas d'insultes.".into(),
        netiquette_public: true,
    };
    store
        .save_inbox_settings(a, &settings, ws_audit(a, "s"))
        .await
        .unwrap();
    assert_eq!(store.inbox_settings(a).await.unwrap(), settings);
    let changed = InboxSettings {
        resolution_minutes: Some(2_880),
        netiquette_public: false,
        ..settings
    };
    store
        .save_inbox_settings(a, &changed, ws_audit(a, "s"))
        .await
        .unwrap();
    assert_eq!(store.inbox_settings(a).await.unwrap(), changed);
    assert_eq!(
        store.inbox_settings(b).await.unwrap(),
        InboxSettings::default()
    );

    assert_eq!(store.inbox_channel_state(c).await.unwrap(), None);
    let state = InboxChannelState {
        poll_cursor: Some("cursor-1".into()),
        stream_cursor: None,
        next_poll_at: Some(at(T0 + MINUTE)),
        failures: 2,
        last_success_at: Some(at(T0)),
        last_error: Some("HTTP 502".into()),
        last_error_at: Some(at(T0 + 1)),
    };
    store.save_inbox_channel_state(a, c, &state).await.unwrap();
    assert_eq!(
        store.inbox_channel_state(c).await.unwrap().as_ref(),
        Some(&state)
    );
    let next = InboxChannelState {
        stream_cursor: Some("seq-9".into()),
        failures: 0,
        last_error: None,
        last_error_at: None,
        ..state
    };
    store.save_inbox_channel_state(a, c, &next).await.unwrap();
    assert_eq!(store.inbox_channel_state(c).await.unwrap(), Some(next));
}

pub async fn moderation_rules_keep_their_order(store: Arc<dyn Store>) {
    let (a, _) = two_workspaces(&store).await;
    let new = |name: &str| NewModerationRule {
        id: ModerationRuleId::new(),
        name: name.into(),
        rule: serde_json::json!({"kind": "keywords", "words": [name], "actions": ["hide"]}),
        enabled: true,
        created_by: None,
    };
    let mut made = Vec::new();
    for name in ["Spam", "Insultes", "Liens"] {
        made.push(
            store
                .create_moderation_rule(a, new(name), ws_audit(a, "c"))
                .await
                .unwrap(),
        );
    }
    assert_taken(
        &store
            .create_moderation_rule(a, new("Spam"), ws_audit(a, "c"))
            .await,
    );
    assert_eq!(
        store.moderation_rules(a).await.unwrap(),
        made,
        "in the order made"
    );
    let rule = serde_json::json!({"kind": "toxicity", "threshold": 800});
    assert!(
        store
            .update_moderation_rule(a, made[1].id, "Toxicité", &rule, false, ws_audit(a, "u"))
            .await
            .unwrap()
    );
    assert_taken(
        &store
            .update_moderation_rule(a, made[2].id, "Spam", &rule, true, ws_audit(a, "u"))
            .await,
    );
    let rules = store.moderation_rules(a).await.unwrap();
    assert_eq!(
        (rules[1].name.as_str(), &rules[1].rule, rules[1].enabled),
        ("Toxicité", &rule, false)
    );
    assert_eq!(
        rules[1].position, made[1].position,
        "an update keeps the place"
    );
    assert!(
        store
            .delete_moderation_rule(a, made[0].id, ws_audit(a, "d"))
            .await
            .unwrap()
    );
    let after = store
        .create_moderation_rule(a, new("Nouvelle"), ws_audit(a, "c"))
        .await
        .unwrap();
    let names: Vec<String> = store
        .moderation_rules(a)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["Toxicité", "Liens", "Nouvelle"]);
    assert!(after.position > made[2].position);
}

pub async fn reviews_open_once_and_are_decided_once(store: Arc<dyn Store>) {
    let (a, _) = two_workspaces(&store).await;
    let c = channel_in(&store, a, "Bluesky").await;
    let u = member(&store, a, "mod@example.org").await;
    let troll = author("troll");
    let done = ingest(
        &store,
        a,
        Some(c),
        vec![
            message("bad1", &troll, T0, &[]),
            message("bad2", &troll, T0 + MINUTE, &["bad1"]),
        ],
    )
    .await;
    let reasons = serde_json::json!([{"rule": "Insultes", "matched": "***"}]);
    store
        .set_message_moderation(a, done[0].message_id, Some(870), Some(&reasons))
        .await
        .unwrap();
    let open = |message: InboxMessageId, reasons: serde_json::Value, when: i64| {
        let store = store.clone();
        async move {
            store
                .open_review(a, ReviewId::new(), message, &reasons, at(when))
                .await
                .unwrap()
        }
    };
    let first = open(done[0].message_id, reasons.clone(), T0 + 2 * MINUTE).await;
    let again = open(done[0].message_id, serde_json::json!([]), T0 + 3 * MINUTE).await;
    assert_eq!(again, first, "one review per message");
    let second = open(done[1].message_id, reasons.clone(), T0 + MINUTE).await;
    let pending = store.reviews(a, ReviewStatus::Pending, 10).await.unwrap();
    assert_eq!(
        pending.iter().map(|r| r.id).collect::<Vec<_>>(),
        [second, first],
        "oldest first"
    );
    let review = &pending[1];
    assert_eq!(review.reasons, reasons, "the first reasons stay");
    assert_eq!(review.message.id, done[0].message_id);
    assert_eq!(review.message.toxicity_milli, Some(870));
    assert_eq!(review.message.moderation.as_ref(), Some(&reasons));
    assert_eq!((review.decided_by, review.decided_at), (None, None));
    let decide = |status: ReviewStatus, when: i64| {
        let store = store.clone();
        async move {
            store
                .decide_review(a, first, status, u, at(when), ws_audit(a, "d"))
                .await
                .unwrap()
        }
    };
    assert!(
        !decide(ReviewStatus::Pending, T0).await,
        "pending is no decision"
    );
    assert!(decide(ReviewStatus::Removed, T0 + HOUR).await);
    assert!(
        !decide(ReviewStatus::Approved, T0 + 2 * HOUR).await,
        "decided once"
    );
    let decided = store.review(a, first).await.unwrap().unwrap();
    assert_eq!(
        (decided.status, decided.decided_by, decided.decided_at),
        (ReviewStatus::Removed, Some(u), Some(at(T0 + HOUR)))
    );
    assert_eq!(
        store
            .reviews(a, ReviewStatus::Pending, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .reviews(a, ReviewStatus::Removed, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .reviews(a, ReviewStatus::Pending, 0)
            .await
            .unwrap()
            .is_empty()
    );

    // The repeated-message rule reads the author's recent messages, newest first.
    let recent = store
        .author_recent_messages(a, "did:plc:troll", at(T0), 10)
        .await
        .unwrap();
    assert_eq!(
        recent.iter().map(|m| m.id).collect::<Vec<_>>(),
        [done[1].message_id, done[0].message_id]
    );
    assert_eq!(
        store
            .author_recent_messages(a, "did:plc:troll", at(T0 + 1), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .author_recent_messages(a, "did:plc:troll", at(0), 1)
            .await
            .unwrap()
            .len(),
        1
    );
}

pub async fn presence_ignores_expired_rows(store: Arc<dyn Store>) {
    let (a, _) = two_workspaces(&store).await;
    let c = channel_in(&store, a, "Bluesky").await;
    let (ana, ben) = (
        member(&store, a, "ana@example.org").await,
        member(&store, a, "ben@example.org").await,
    );
    let conv = ingest_one(&store, a, Some(c), message("q", &author("fan"), T0, &[]))
        .await
        .conversation_id;
    store
        .touch_presence(a, conv, ana, false, at(T0 + MINUTE))
        .await
        .unwrap();
    store
        .touch_presence(a, conv, ben, true, at(T0 + 2 * MINUTE))
        .await
        .unwrap();
    let seen = |now: i64| {
        let store = store.clone();
        async move {
            let present = store.presence(a, conv, at(now)).await.unwrap();
            present
                .into_iter()
                .map(|p| (p.user_name, p.replying))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        seen(T0).await,
        [("ana".to_owned(), false), ("ben".to_owned(), true)]
    );
    assert_eq!(
        seen(T0 + MINUTE).await,
        [("ben".to_owned(), true)],
        "Ana's time is up"
    );
    assert!(seen(T0 + 2 * MINUTE).await.is_empty());
    // Renewed, now writing.
    store
        .touch_presence(a, conv, ana, true, at(T0 + 3 * MINUTE))
        .await
        .unwrap();
    assert_eq!(seen(T0 + 2 * MINUTE).await, [("ana".to_owned(), true)]);
}

/// Each change the inbox pages show moves a mark of [`InboxStore::inbox_version`], and only
/// the workspace's own.
pub async fn inbox_version_moves_with_what_the_pages_show(store: Arc<dyn Store>) {
    let (a, b) = two_workspaces(&store).await;
    let tick = || tokio::time::sleep(std::time::Duration::from_millis(3));
    let version = |ws: WorkspaceId| {
        let store = store.clone();
        async move { store.inbox_version(ws).await.unwrap() }
    };
    let other = version(b).await;
    let start = version(a).await;

    let c = channel_in(&store, a, "Bluesky").await;
    let with_channel = version(a).await;
    assert_eq!(with_channel.channels.0, start.channels.0 + 1);
    assert!(with_channel.channels.1.is_some());
    tick().await;
    store
        .set_channel_status(a, c, crate::ChannelStatus::NeedsReconnect, Some("refused"))
        .await
        .unwrap();
    let changed = version(a).await;
    assert!(
        changed.channels.1 > with_channel.channels.1,
        "a channel's change"
    );

    member(&store, a, "new@example.org").await;
    assert_eq!(version(a).await.members, changed.members + 1);

    let settings = InboxSettings {
        first_response_minutes: Some(30),
        ..InboxSettings::default()
    };
    store
        .save_inbox_settings(a, &settings, ws_audit(a, "settings"))
        .await
        .unwrap();
    let saved = version(a).await;
    assert!(saved.settings.is_some() && saved.settings >= changed.channels.1);

    let column = store
        .create_inbox_column(
            a,
            NewInboxColumn {
                id: InboxColumnId::new(),
                user_id: None,
                name: "Tout".into(),
                filter: ConversationFilter::default(),
            },
            ws_audit(a, "column.create"),
        )
        .await
        .unwrap();
    let with_column = version(a).await;
    assert_eq!(with_column.columns.0, saved.columns.0 + 1);
    let someone = user(&store, "admin@example.org").await;
    assert!(
        store
            .delete_inbox_column(a, column.id, someone, ws_audit(a, "column.delete"))
            .await
            .unwrap()
    );
    assert_eq!(
        version(a).await.columns.0,
        saved.columns.0,
        "a removed column"
    );

    let fan = author("fan");
    let before_message = version(a).await;
    assert_eq!(before_message.conversations, None);
    ingest_one(&store, a, Some(c), message("hello", &fan, T0, &[])).await;
    let with_message = version(a).await;
    assert!(with_message.conversations.is_some());
    assert_eq!(
        with_message.newest(),
        [
            with_message.conversations,
            with_message.settings,
            with_message.channels.1,
            with_message.columns.1
        ]
        .into_iter()
        .flatten()
        .max()
    );
    assert_eq!(version(b).await, other, "another workspace's marks stay");
}

pub async fn sla_samples_and_changes_follow_conversations(store: Arc<dyn Store>) {
    let (a, _) = two_workspaces(&store).await;
    let c = channel_in(&store, a, "Bluesky").await;
    let u = member(&store, a, "cm@example.org").await;
    let fan = author("fan");
    let old = ingest_one(
        &store,
        a,
        Some(c),
        message("old", &fan, T0 - 48 * HOUR, &[]),
    )
    .await;
    let new = ingest_one(&store, a, Some(c), message("new", &fan, T0, &[])).await;
    let id = new.conversation_id;
    let replied = add_reply(&store, a, id, DeliveryState::Queued, T0 + MINUTE).await;
    assert!(
        store
            .reply_sent(a, replied, "r", None, None, at(T0 + 2 * MINUTE))
            .await
            .unwrap()
    );
    assert!(
        store
            .assign_conversation(a, id, Some(u), ws_audit(a, "a"))
            .await
            .unwrap()
    );
    let closed = ConversationStatus::Closed;
    assert!(
        store
            .set_conversation_status(a, id, closed, None, at(T0 + HOUR), ws_audit(a, "s"))
            .await
            .unwrap()
    );
    // Closing again keeps the first resolution time.
    assert!(
        store
            .set_conversation_status(a, id, closed, None, at(T0 + 2 * HOUR), ws_audit(a, "s"))
            .await
            .unwrap()
    );
    let samples = store.sla_samples(a, at(T0 - HOUR)).await.unwrap();
    assert_eq!(samples.len(), 1, "only conversations started since");
    let s = &samples[0];
    assert_eq!(s.conversation_id, id);
    assert_eq!(
        (s.channel_id, s.assignee_id, s.status),
        (Some(c), Some(u), closed)
    );
    assert_eq!(
        (s.first_inbound_at, s.first_response_at),
        (Some(at(T0)), Some(at(T0 + 2 * MINUTE)))
    );
    assert_eq!((s.awaiting_since, s.closed_at), (None, Some(at(T0 + HOUR))));
    assert_eq!(
        store
            .sla_samples(a, at(T0 - 72 * HOUR))
            .await
            .unwrap()
            .len(),
        2
    );

    // Live pages see what changed since their last look, oldest change first.
    let changes = store
        .conversations_changed_since(a, at(0), 10)
        .await
        .unwrap();
    assert_eq!(
        changes.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        [old.conversation_id, id]
    );
    let (_, seen) = changes[1];
    assert_eq!(
        store.inbox_version(a).await.unwrap().conversations,
        Some(seen),
        "the inbox's version is its latest change"
    );
    assert!(
        store
            .conversations_changed_since(a, seen, 10)
            .await
            .unwrap()
            .is_empty()
    );
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert!(
        store
            .tag_conversation(a, old.conversation_id, "suivi", ws_audit(a, "t"))
            .await
            .unwrap()
    );
    let changes = store
        .conversations_changed_since(a, seen, 10)
        .await
        .unwrap();
    assert_eq!(
        changes.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        [old.conversation_id]
    );
    let tagged_at = changes[0].1;
    assert!(tagged_at > seen);
    assert_eq!(
        store.inbox_version(a).await.unwrap().conversations,
        Some(tagged_at),
        "a tag moves the version"
    );
    assert_eq!(
        store.inbox_version(WorkspaceId::new()).await.unwrap(),
        InboxVersion::default()
    );
    assert_eq!(
        store
            .conversations_changed_since(a, at(0), 1)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Puts a row in every inbox table, for `relais db copy`'s round trip (one row where the
/// table's first column is not unique, so that both databases dump in one order).
pub(super) async fn fill_inbox_for_copy(store: &Arc<dyn Store>, ws: WorkspaceId, admin: UserId) {
    let c = channel_in(store, ws, "Bluesky").await;
    let fan = NewContactAccount {
        followers: Some(3),
        ..author("fan")
    };
    let mut m = message("q1", &fan, T0, &[]);
    m.text = "Ça marche ? « oui »".into();
    let got = ingest_one(store, ws, Some(c), m).await;
    let conv = got.conversation_id;
    let verdict = serde_json::json!({"ok": true});
    store
        .set_message_moderation(ws, got.message_id, Some(120), Some(&verdict))
        .await
        .unwrap();
    store
        .open_review(
            ws,
            ReviewId::new(),
            got.message_id,
            &serde_json::json!(["x"]),
            at(T0),
        )
        .await
        .unwrap();
    add_reply(
        store,
        ws,
        conv,
        DeliveryState::AwaitingApproval,
        T0 + MINUTE,
    )
    .await;
    store
        .tag_conversation(ws, conv, "vip", ws_audit(ws, "t"))
        .await
        .unwrap();
    let note = Note {
        id: NoteId::new(),
        conversation_id: conv,
        author_id: Some(admin),
        author_label: "Ada".into(),
        text: "à suivre".into(),
        created_at: at(T0),
    };
    store.add_note(ws, note, ws_audit(ws, "n")).await.unwrap();
    store
        .touch_presence(ws, conv, admin, true, at(T0 + HOUR))
        .await
        .unwrap();
    let canned = NewCannedReply {
        id: CannedReplyId::new(),
        name: "Merci".into(),
        lang: "fr".into(),
        body: "Merci !".into(),
        created_by: Some(admin),
    };
    store
        .create_canned_reply(ws, canned, ws_audit(ws, "c"))
        .await
        .unwrap();
    let column = NewInboxColumn {
        id: InboxColumnId::new(),
        user_id: Some(admin),
        name: "Moi".into(),
        filter: ConversationFilter::default(),
    };
    store
        .create_inbox_column(ws, column, ws_audit(ws, "c"))
        .await
        .unwrap();
    let settings = InboxSettings {
        approve_contributor_replies: true,
        ..InboxSettings::default()
    };
    store
        .save_inbox_settings(ws, &settings, ws_audit(ws, "s"))
        .await
        .unwrap();
    let state = InboxChannelState {
        failures: 1,
        ..InboxChannelState::default()
    };
    store.save_inbox_channel_state(ws, c, &state).await.unwrap();
    let rule = NewModerationRule {
        id: ModerationRuleId::new(),
        name: "R".into(),
        rule: serde_json::json!({"k": [1, 2]}),
        enabled: false,
        created_by: None,
    };
    store
        .create_moderation_rule(ws, rule, ws_audit(ws, "r"))
        .await
        .unwrap();
}

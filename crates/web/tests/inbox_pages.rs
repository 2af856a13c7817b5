//! The inbox's conversation pages over HTTP, against a fresh store whose messages come in
//! through the store's own ingest: roles (analysts see but change nothing, contributors'
//! replies wait for an editor when the workspace asks it, editors approve), replies checked
//! against the network's limits and never sent twice, isolation between workspaces, the team's
//! actions (assign, status, snooze, tags, notes, like, moderation), the filters, the default
//! and saved columns, paging, the live events, escaping, canned replies, contacts and their
//! merge, presence, and both languages.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{App, Browser, add_workspace, app_with_config, signed_in_member};
use http_body_util::BodyExt;
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{
    CannedReplyId, ChannelId, ContactId, ConversationId, InboxMessageId, Role, Timestamp, UserId,
};
use relais_store::inbox::{
    ConversationStatus, DeliveryState, InboxSettings, MessageKind, NewCannedReply,
    NewContactAccount, NewInboxMessage,
};
use relais_store::{NewChannel, Workspace};
use relais_web::WebConfig;
use tower::ServiceExt;

const MINUTE: i64 = 60_000;

struct Fx {
    app: App,
    ws: Workspace,
    other: Workspace,
    bluesky: ChannelId,
    mastodon: ChannelId,
    rival_channel: ChannelId,
}

fn audit(ws: &Workspace) -> AuditEvent {
    AuditEvent {
        workspace_id: Some(ws.id),
        actor: Actor::cli(),
        action: "test".into(),
        target: "test".into(),
        details: serde_json::Value::Null,
    }
}

async fn channel(app: &App, ws: &Workspace, network: &str, name: &str) -> ChannelId {
    app.store
        .create_channel(
            NewChannel {
                id: ChannelId::new(),
                workspace_id: ws.id,
                network: network.into(),
                name: name.into(),
                settings: serde_json::json!({}),
                secrets: Default::default(),
                created_by: None,
            },
            audit(ws),
        )
        .await
        .unwrap()
        .id
}

async fn fixture() -> Fx {
    let config = WebConfig {
        public_url: "http://relais.test".into(),
        ..Default::default()
    };
    let app = app_with_config(None, config).await;
    let ws = add_workspace(&app, "acme").await;
    let other = add_workspace(&app, "rival").await;
    let bluesky = channel(&app, &ws, "bluesky", "Acme Bsky").await;
    let mastodon = channel(&app, &ws, "mastodon", "Acme Masto").await;
    let rival_channel = channel(&app, &other, "bluesky", "Rival Bsky").await;
    Fx {
        app,
        ws,
        other,
        bluesky,
        mastodon,
        rival_channel,
    }
}

async fn member(fx: &Fx, email: &str, ws: &Workspace, role: Role) -> (Browser, UserId) {
    signed_in_member(&fx.app, email, ws, role).await
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A message from `author` on `network`, starting a thread of its own.
fn incoming(network: &str, author: &str, text: &str, sent_at: i64) -> NewInboxMessage {
    let network_id = format!("at://did:plc:{author}/post/{}", InboxMessageId::new());
    NewInboxMessage {
        id: InboxMessageId::new(),
        network_id: network_id.clone(),
        kind: MessageKind::Mention,
        author: NewContactAccount {
            network: network.into(),
            author_id: format!("{network}:{author}"),
            handle: format!("{author}.test"),
            display_name: Some(format!("{} Martin", capitalised(author))),
            profile_url: Some(format!("https://{network}.example/@{author}")),
            followers: Some(42),
            ..NewContactAccount::default()
        },
        text: text.into(),
        lang: Some("fr".into()),
        url: Some(format!("https://{network}.example/@{author}/1")),
        version: Some("bafy".into()),
        parent_id: None,
        root_id: None,
        root_version: None,
        sent_at: Timestamp::from_millis(sent_at),
        thread_candidates: Vec::new(),
        new_thread_key: network_id,
    }
}

/// Stores messages of `channel` of `ws`; returns (conversation, message) of each.
async fn ingest(
    fx: &Fx,
    ws: &Workspace,
    channel: ChannelId,
    messages: Vec<NewInboxMessage>,
) -> Vec<(ConversationId, InboxMessageId)> {
    fx.app
        .store
        .ingest_messages(ws.id, Some(channel), &messages, Timestamp::now())
        .await
        .unwrap()
        .into_iter()
        .map(|i| (i.conversation_id, i.message_id))
        .collect()
}

/// One new conversation on Acme's Bluesky channel.
async fn conversation(fx: &Fx, author: &str, text: &str) -> (ConversationId, InboxMessageId) {
    let now = Timestamp::now().millis();
    let message = incoming("bluesky", author, text, now - MINUTE);
    ingest(fx, &fx.ws, fx.bluesky, vec![message]).await[0]
}

async fn settings(fx: &Fx, settings: InboxSettings) {
    fx.app
        .store
        .save_inbox_settings(fx.ws.id, &settings, audit(&fx.ws))
        .await
        .unwrap();
}

async fn jobs(fx: &Fx, kind: &str) -> u64 {
    fx.app.store.jobs_waiting(kind).await.unwrap()
}

fn path(c: ConversationId) -> String {
    format!("/w/acme/inbox/c/{c}")
}

/// The `value="…"` of the hidden field `name` in a page.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page.find(&marker).unwrap_or_else(|| panic!("no {name}")) + marker.len();
    let end = page[at..].find('"').unwrap();
    page[at..at + end].to_owned()
}

/// Whether each of `ids` is a row of the page (or fragment).
fn shows(page: &str, ids: &[ConversationId]) -> Vec<bool> {
    ids.iter()
        .map(|id| page.contains(&format!("data-id=\"{id}\"")))
        .collect()
}

fn ends_with(location: Option<String>, end: &str) -> bool {
    location.is_some_and(|l| l.ends_with(end))
}

async fn assert_audited(fx: &Fx, actions: &[&str]) {
    let log = fx
        .app
        .store
        .audit_log(Some(fx.ws.id), None, 100)
        .await
        .unwrap();
    for action in actions {
        assert!(
            log.iter().any(|r| r.event.action == *action),
            "{action} audited"
        );
    }
}

#[tokio::test]
async fn analysts_see_everything_but_every_change_is_refused() {
    let fx = fixture().await;
    let (c, m) = conversation(&fx, "lea", "Bonjour, ma commande ?").await;
    let (mut analyst, _) = member(&fx, "ana@acme.test", &fx.ws, Role::Analyst).await;
    let inbox = analyst.get("/w/acme/inbox").await;
    assert_eq!(inbox.status, StatusCode::OK);
    assert!(
        inbox.body.contains("Bonjour, ma commande ?"),
        "{}",
        inbox.body
    );
    let page = analyst.get(&path(c)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Lea Martin"));
    assert!(!page.body.contains("id=\"reply-form\""), "no reply box");
    assert!(!page.body.contains("/assign\""), "no action forms");
    let contacts = analyst.get("/w/acme/inbox/contacts").await;
    assert_eq!(contacts.status, StatusCode::OK);
    let conv = fx
        .app
        .store
        .conversation(fx.ws.id, c)
        .await
        .unwrap()
        .unwrap();
    let contact = conv.contact_id.unwrap();

    let base = path(c);
    let unknown = ContactId::new().to_string();
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("{base}/assign"), vec![("assignee", "me")]),
        (format!("{base}/status"), vec![("status", "closed")]),
        (format!("{base}/snooze"), vec![("preset", "1h")]),
        (format!("{base}/tag"), vec![("tag", "vip")]),
        (format!("{base}/untag"), vec![("tag", "vip")]),
        (format!("{base}/note"), vec![("text", "hello")]),
        (format!("{base}/reply"), vec![("text", "Merci !")]),
        (format!("{base}/m/{m}/like"), vec![]),
        (format!("{base}/m/{m}/repost"), vec![]),
        (format!("{base}/m/{m}/hide"), vec![("reason", "spam")]),
        (format!("{base}/m/{m}/approve"), vec![]),
        (
            "/w/acme/inbox/columns".into(),
            vec![("name", "Mine"), ("scope", "mine"), ("status", "open")],
        ),
        (
            format!("/w/acme/inbox/contacts/{contact}"),
            vec![("name", "X")],
        ),
        (
            format!("/w/acme/inbox/contacts/{contact}/merge"),
            vec![("into", unknown.as_str())],
        ),
    ];
    for (url, fields) in posts {
        let a = analyst.post(&url, &fields).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "POST {url}");
    }
    for url in [format!("{base}/presence"), format!("{base}/count")] {
        let body = serde_json::json!({ "replying": true, "text": "x" });
        let a = analyst.post_json(&url, &body).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "POST {url}");
    }
    let after = fx
        .app
        .store
        .conversation(fx.ws.id, c)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.status, ConversationStatus::Open);
    assert!(after.tags.is_empty() && after.assignee_id.is_none());
    let messages = fx.app.store.conversation_messages(fx.ws.id, c).await;
    assert_eq!(messages.unwrap().len(), 1, "no reply stored");
    let queued = jobs(&fx, "inbox.reply").await + jobs(&fx, "inbox.act").await;
    assert_eq!(queued, 0);
}

#[tokio::test]
async fn contributors_replies_wait_for_an_editor_when_the_workspace_asks() {
    let fx = fixture().await;
    settings(
        &fx,
        InboxSettings {
            approve_contributor_replies: true,
            ..InboxSettings::default()
        },
    )
    .await;
    let (c, _) = conversation(&fx, "lea", "Où est mon colis ?").await;
    let (mut contributor, cid) = member(&fx, "cora@acme.test", &fx.ws, Role::Contributor).await;
    let page = contributor.get(&path(c)).await;
    assert!(page.body.contains("An editor approves your replies"));
    let reply_id = hidden(&page.body, "reply_id");
    let a = contributor
        .post(
            &format!("{}/reply", path(c)),
            &[("text", "Nous regardons, Léa !"), ("reply_id", &reply_id)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(ends_with(a.location, "done=reply_waiting"));
    let messages = fx
        .app
        .store
        .conversation_messages(fx.ws.id, c)
        .await
        .unwrap();
    let reply = messages
        .iter()
        .find(|m| m.outgoing)
        .expect("the reply is stored");
    assert_eq!(reply.delivery, DeliveryState::AwaitingApproval);
    assert_eq!(reply.sender_id, Some(cid));
    assert_eq!(reply.text, "Nous regardons, Léa !");
    assert_eq!(
        jobs(&fx, "inbox.reply").await,
        0,
        "nothing goes before approval"
    );
    // The contributor cannot approve their own reply.
    let approve = format!("{}/m/{}/approve", path(c), reply.id);
    let own = contributor.post(&approve, &[]).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);

    let (mut editor, eid) = member(&fx, "ed@acme.test", &fx.ws, Role::Editor).await;
    let page = editor.get(&path(c)).await;
    assert!(page.body.contains("Approve and send"), "{}", page.body);
    assert!(page.body.contains("Waiting for an editor"));
    let a = editor.post(&approve, &[]).await;
    assert!(ends_with(a.location, "done=approved"));
    let approved = fx.app.store.inbox_message(fx.ws.id, reply.id).await;
    let approved = approved.unwrap().unwrap();
    assert_eq!(approved.delivery, DeliveryState::Queued);
    assert_eq!(approved.approved_by, Some(eid));
    assert_eq!(jobs(&fx, "inbox.reply").await, 1);
    let again = editor.post(&approve, &[]).await;
    assert!(ends_with(again.location, "done=approve_already"));
    assert_eq!(
        jobs(&fx, "inbox.reply").await,
        1,
        "approved once, queued once"
    );

    // An editor's own reply goes at once.
    let page = editor.get(&path(c)).await;
    let reply_id = hidden(&page.body, "reply_id");
    let a = editor
        .post(
            &format!("{}/reply", path(c)),
            &[("text", "C'est parti."), ("reply_id", &reply_id)],
        )
        .await;
    assert!(ends_with(a.location, "done=replied"));
    assert_eq!(jobs(&fx, "inbox.reply").await, 2);
    assert_audited(&fx, &["inbox.reply.add", "inbox.reply.approve"]).await;
}

#[tokio::test]
async fn without_approval_a_reply_is_queued_once_however_often_it_is_sent() {
    let fx = fixture().await;
    let (c, _) = conversation(&fx, "lea", "Bonjour").await;
    let (mut contributor, _) = member(&fx, "cora@acme.test", &fx.ws, Role::Contributor).await;
    let page = contributor.get(&path(c)).await;
    assert!(!page.body.contains("An editor approves your replies"));
    let reply_id = hidden(&page.body, "reply_id");
    for expected in ["done=replied", "done=reply_already"] {
        let a = contributor
            .post(
                &format!("{}/reply", path(c)),
                &[("text", "Bonjour Léa !  \n"), ("reply_id", &reply_id)],
            )
            .await;
        assert!(ends_with(a.location, expected), "{expected}");
    }
    let messages = fx
        .app
        .store
        .conversation_messages(fx.ws.id, c)
        .await
        .unwrap();
    let replies: Vec<_> = messages.iter().filter(|m| m.outgoing).collect();
    assert_eq!(replies.len(), 1, "one reply however often the form is sent");
    assert_eq!(replies[0].delivery, DeliveryState::Queued);
    assert_eq!(replies[0].text, "Bonjour Léa !", "trailing blanks dropped");
    assert_eq!(jobs(&fx, "inbox.reply").await, 1);
    let page = contributor.get(&path(c)).await;
    assert!(page.body.contains("Queued: on its way to the network"));
}

#[tokio::test]
async fn a_reply_too_long_for_bluesky_is_refused_with_the_figures_and_kept() {
    let fx = fixture().await;
    let (c, _) = conversation(&fx, "lea", "Bonjour").await;
    let (mut contributor, _) = member(&fx, "cora@acme.test", &fx.ws, Role::Contributor).await;
    contributor.get(&path(c)).await;
    let long = "é".repeat(301);
    let reply = format!("{}/reply", path(c));
    let a = contributor.post(&reply, &[("text", &long)]).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("301 characters"), "{}", a.body);
    assert!(a.body.contains("at most 300"));
    assert!(a.body.contains("shorten it by 1"));
    assert!(a.body.contains(&long), "the text is kept in the box");
    assert!(
        a.body.contains("301 / 300"),
        "the counter shows the figures"
    );
    let empty = contributor.post(&reply, &[("text", "   ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("the reply is empty"));
    let messages = fx
        .app
        .store
        .conversation_messages(fx.ws.id, c)
        .await
        .unwrap();
    assert!(messages.iter().all(|m| !m.outgoing), "nothing stored");
    assert_eq!(jobs(&fx, "inbox.reply").await, 0, "nothing queued");
    // The live count says the same before sending.
    let count = contributor
        .post_json(
            &format!("{}/count", path(c)),
            &serde_json::json!({ "text": long }),
        )
        .await
        .json();
    assert_eq!(count["count"], "301 / 300");
    assert_eq!(count["over"], true);
    let problem = count["problem"].as_str().unwrap();
    assert!(problem.contains("shorten it by 1"), "{problem}");
    // In French too.
    contributor
        .post("/lang", &[("lang", "fr"), ("next", "/w/acme/inbox")])
        .await;
    let a = contributor.post(&reply, &[("text", &long)]).await;
    assert!(a.body.contains("raccourcissez-la de 1"), "{}", a.body);
}

#[tokio::test]
async fn another_workspaces_conversation_is_not_found() {
    let fx = fixture().await;
    let now = Timestamp::now().millis();
    let message = incoming("bluesky", "zoe", "chez les autres", now);
    let theirs = ingest(&fx, &fx.other, fx.rival_channel, vec![message]).await[0];
    let (mut editor, _) = member(&fx, "ed@acme.test", &fx.ws, Role::Editor).await;
    let base = path(theirs.0);
    assert_eq!(editor.get(&base).await.status, StatusCode::NOT_FOUND);
    for (url, fields) in [
        (format!("{base}/assign"), vec![("assignee", "me")]),
        (format!("{base}/status"), vec![("status", "closed")]),
        (format!("{base}/snooze"), vec![("preset", "1h")]),
        (format!("{base}/tag"), vec![("tag", "x")]),
        (format!("{base}/note"), vec![("text", "x")]),
        (format!("{base}/reply"), vec![("text", "x")]),
        (format!("{base}/m/{}/like", theirs.1), vec![]),
        (format!("{base}/m/{}/hide", theirs.1), vec![("reason", "x")]),
    ] {
        let a = editor.post(&url, &fields).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "POST {url}");
    }
    // A message of theirs under a conversation of ours is not found either.
    let (ours, _) = conversation(&fx, "lea", "chez nous").await;
    let a = editor
        .post(&format!("{}/m/{}/like", path(ours), theirs.1), &[])
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let theirs_conv = fx.app.store.conversation(fx.other.id, theirs.0).await;
    let theirs_contact = theirs_conv.unwrap().unwrap().contact_id.unwrap();
    let contact = format!("/w/acme/inbox/contacts/{theirs_contact}");
    assert_eq!(editor.get(&contact).await.status, StatusCode::NOT_FOUND);
    let a = editor.post(&contact, &[("name", "X")]).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(
        editor.get("/w/rival/inbox").await.status,
        StatusCode::NOT_FOUND
    );
    let still = fx.app.store.conversation(fx.other.id, theirs.0).await;
    let still = still.unwrap().unwrap();
    assert_eq!(still.status, ConversationStatus::Open);
    assert!(still.tags.is_empty() && still.snoozed_until.is_none());
    assert_eq!(jobs(&fx, "inbox.act").await, 0);
}

#[tokio::test]
async fn the_team_assigns_changes_status_snoozes_tags_and_notes() {
    let fx = fixture().await;
    let (c, _) = conversation(&fx, "lea", "Bonjour").await;
    let (mut cora, cora_id) = member(&fx, "cora@acme.test", &fx.ws, Role::Contributor).await;
    let (_, sam) = member(&fx, "sam@acme.test", &fx.ws, Role::Editor).await;
    let (_, ana) = member(&fx, "ana@acme.test", &fx.ws, Role::Analyst).await;
    let store = &fx.app.store;
    let base = path(c);
    let conv = || async { store.conversation(fx.ws.id, c).await.unwrap().unwrap() };
    let assign = format!("{base}/assign");

    let a = cora.post(&assign, &[("assignee", "me")]).await;
    assert!(ends_with(a.location, "done=assigned"));
    assert_eq!(conv().await.assignee_id, Some(cora_id));
    cora.post(&assign, &[("assignee", &sam.to_string())]).await;
    assert_eq!(conv().await.assignee_id, Some(sam));
    let a = cora.post(&assign, &[("assignee", &ana.to_string())]).await;
    assert!(ends_with(a.location, "done=bad_assignee"));
    assert_eq!(
        conv().await.assignee_id,
        Some(sam),
        "an analyst is not handed it"
    );
    let stranger = UserId::new().to_string();
    let a = cora.post(&assign, &[("assignee", &stranger)]).await;
    assert!(ends_with(a.location, "done=bad_assignee"));
    let a = cora.post(&assign, &[("assignee", "")]).await;
    assert!(ends_with(a.location, "done=unassigned"));
    assert_eq!(conv().await.assignee_id, None);

    let status = format!("{base}/status");
    cora.post(&status, &[("status", "pending")]).await;
    assert_eq!(conv().await.status, ConversationStatus::Pending);
    cora.post(&status, &[("status", "closed")]).await;
    let closed = conv().await;
    assert_eq!(closed.status, ConversationStatus::Closed);
    assert!(closed.closed_at.is_some());
    let bad = cora.post(&status, &[("status", "done")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let snooze = format!("{base}/snooze");
    let before = Timestamp::now().millis();
    let a = cora
        .post(&snooze, &[("preset", "tomorrow"), ("tz", "Europe/Paris")])
        .await;
    assert!(ends_with(a.location, "done=snoozed"));
    let snoozed = conv().await;
    assert_eq!(
        snoozed.status,
        ConversationStatus::Open,
        "snoozing opens it"
    );
    let until = snoozed.snoozed_until.expect("snoozed");
    assert!(until.millis() > before && until.millis() < before + 2 * 86_400_000);
    let a = cora
        .post(
            &snooze,
            &[("preset", "until"), ("until", "2001-01-01T10:00")],
        )
        .await;
    assert!(ends_with(a.location, "done=past_snooze"));
    let a = cora.post(&snooze, &[("preset", "whenever")]).await;
    assert!(ends_with(a.location, "done=bad_snooze"));
    assert_eq!(
        conv().await.snoozed_until,
        Some(until),
        "refusals change nothing"
    );

    cora.post(&format!("{base}/tag"), &[("tag", " vip ")]).await;
    cora.post(&format!("{base}/tag"), &[("tag", "livraison")])
        .await;
    let tags = conv().await.tags;
    assert_eq!(tags.len(), 2);
    assert!(tags.contains(&"vip".to_owned()), "{tags:?}");
    let a = cora.post(&format!("{base}/tag"), &[("tag", "  ")]).await;
    assert!(ends_with(a.location, "done=bad_tag"));
    cora.post(&format!("{base}/untag"), &[("tag", "vip")]).await;
    assert_eq!(conv().await.tags, ["livraison"]);

    let note = format!("{base}/note");
    let a = cora
        .post(&note, &[("text", "Client fidèle, <b>gentil</b>")])
        .await;
    assert!(ends_with(a.location, "done=noted"));
    let notes = store.conversation_notes(fx.ws.id, c).await.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].author_label, "cora");
    let a = cora.post(&note, &[("text", " ")]).await;
    assert!(ends_with(a.location, "done=bad_note"));
    let page = cora.get(&base).await;
    assert!(
        page.body
            .contains("Client fidèle, &#60;b&#62;gentil&#60;/b&#62;")
    );
    assert!(page.body.contains("Internal notes"));
    assert!(page.body.contains("Snoozed until"));
    assert_audited(
        &fx,
        &[
            "inbox.conversation.assign",
            "inbox.conversation.status",
            "inbox.conversation.snooze",
            "inbox.conversation.tag",
            "inbox.conversation.untag",
            "inbox.conversation.note",
        ],
    )
    .await;
}

#[tokio::test]
async fn likes_and_moderation_actions_become_jobs_for_those_allowed() {
    let fx = fixture().await;
    let (c, m) = conversation(&fx, "troll", "Nul !").await;
    let (mut cora, _) = member(&fx, "cora@acme.test", &fx.ws, Role::Contributor).await;
    let (mut ed, _) = member(&fx, "ed@acme.test", &fx.ws, Role::Editor).await;
    let base = path(c);
    let page = cora.get(&base).await;
    assert!(page.body.contains(">Like<") && !page.body.contains(">Hide<"));
    let a = cora.post(&format!("{base}/m/{m}/like"), &[]).await;
    assert!(ends_with(a.location, "done=acted"));
    assert_eq!(jobs(&fx, "inbox.act").await, 1);
    let hide = format!("{base}/m/{m}/hide");
    let a = cora.post(&hide, &[("reason", "insulte")]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let page = ed.get(&base).await;
    assert!(page.body.contains(">Hide<"));
    let a = ed
        .post(&format!("{base}/m/{m}/block"), &[("reason", " ")])
        .await;
    assert!(ends_with(a.location, "done=reason_needed"));
    assert_eq!(jobs(&fx, "inbox.act").await, 1);
    let a = ed.post(&hide, &[("reason", "insulte")]).await;
    assert!(ends_with(a.location, "done=acted"));
    assert_eq!(jobs(&fx, "inbox.act").await, 2);
    let a = ed.post(&format!("{base}/m/{m}/explode"), &[]).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

/// Five conversations: late, assigned to `me`, closed, snoozed, and a tagged Mastodon reply.
async fn varied(fx: &Fx, me: UserId) -> [ConversationId; 5] {
    let now = Timestamp::now().millis();
    let store = &fx.app.store;
    let one = |network: &'static str, author: &'static str, text: &'static str, ago: i64| {
        incoming(network, author, text, now - ago * MINUTE)
    };
    let late = ingest(
        fx,
        &fx.ws,
        fx.bluesky,
        vec![one("bluesky", "lea", "en retard", 120)],
    )
    .await;
    let mine = ingest(
        fx,
        &fx.ws,
        fx.bluesky,
        vec![one("bluesky", "max", "pour moi", 5)],
    )
    .await;
    let closed = ingest(
        fx,
        &fx.ws,
        fx.bluesky,
        vec![one("bluesky", "noa", "réglé", 10)],
    )
    .await;
    let snoozed = ingest(
        fx,
        &fx.ws,
        fx.bluesky,
        vec![one("bluesky", "ugo", "plus tard", 3)],
    )
    .await;
    let mut reply = one("mastodon", "ida", "une réponse", 2);
    reply.kind = MessageKind::Reply;
    let tagged = ingest(fx, &fx.ws, fx.mastodon, vec![reply]).await;
    let [late, mine, closed, snoozed, tagged] =
        [late, mine, closed, snoozed, tagged].map(|made| made[0].0);
    let a = || audit(&fx.ws);
    store
        .assign_conversation(fx.ws.id, mine, Some(me), a())
        .await
        .unwrap();
    let t = Timestamp::now();
    store
        .set_conversation_status(fx.ws.id, closed, ConversationStatus::Closed, None, t, a())
        .await
        .unwrap();
    let tomorrow = Some(Timestamp::from_millis(now + 86_400_000));
    store
        .set_conversation_status(
            fx.ws.id,
            snoozed,
            ConversationStatus::Open,
            tomorrow,
            t,
            a(),
        )
        .await
        .unwrap();
    store
        .tag_conversation(fx.ws.id, tagged, "vip", a())
        .await
        .unwrap();
    [late, mine, closed, snoozed, tagged]
}

#[tokio::test]
async fn default_columns_and_filters_list_the_right_conversations() {
    let fx = fixture().await;
    let (mut cora, me) = member(&fx, "cora@acme.test", &fx.ws, Role::Contributor).await;
    let all = varied(&fx, me).await;

    // Without a first-response target: two default columns, nothing late.
    let page = cora.get("/w/acme/inbox").await;
    assert!(page.body.contains(">To answer<") && page.body.contains(">Mine<"));
    assert!(!page.body.contains(">Overdue<"));
    assert!(!page.body.contains("late by"));

    let hour = InboxSettings {
        first_response_minutes: Some(60),
        ..InboxSettings::default()
    };
    settings(&fx, hour).await;
    let page = cora.get("/w/acme/inbox").await;
    assert!(page.body.contains(">Overdue<"));
    assert!(page.body.contains("late by 1 h"), "{}", page.body);

    let column = |key: &str| format!("/w/acme/inbox/columns/{key}");
    let to_answer = cora.get(&column("to-answer")).await;
    assert_eq!(to_answer.status, StatusCode::OK);
    assert!(!to_answer.body.contains("<html"), "a fragment, not a page");
    assert_eq!(
        shows(&to_answer.body, &all),
        [true, true, false, false, true]
    );
    let mine = cora.get(&column("mine")).await;
    assert_eq!(shows(&mine.body, &all), [false, true, false, false, false]);
    let overdue = cora.get(&column("overdue")).await;
    assert_eq!(
        shows(&overdue.body, &all),
        [true, false, false, false, false]
    );
    let nope = cora.get(&column("nope")).await;
    assert_eq!(nope.status, StatusCode::NOT_FOUND);

    for (q, expected) in [
        ("status=closed", [false, false, true, false, false]),
        ("assignee=me", [false, true, false, false, false]),
        (
            "assignee=unassigned&status=open",
            [true, false, false, true, true],
        ),
        ("snoozed=yes", [false, false, false, true, false]),
        ("snoozed=no&status=open", [true, true, false, false, true]),
        ("tag=vip", [false, false, false, false, true]),
        ("kind=reply", [false, false, false, false, true]),
        ("overdue=1", [true, false, false, false, false]),
    ] {
        let page = cora.get(&format!("/w/acme/inbox/list?{q}")).await;
        assert_eq!(page.status, StatusCode::OK, "{q}");
        assert_eq!(shows(&page.body, &all), expected, "{q}");
    }
    let masto = format!("/w/acme/inbox/list?channel={}", fx.mastodon);
    let masto = cora.get(&masto).await;
    assert_eq!(shows(&masto.body, &all), [false, false, false, false, true]);
    // The same filters sent to the columns' address show one list.
    let page = cora.get("/w/acme/inbox?status=closed").await;
    assert_eq!(shows(&page.body, &all), [false, false, true, false, false]);
    let unread = cora
        .get("/w/acme/inbox/list?status=whatever&assignee=bob")
        .await;
    assert!(unread.body.contains("could not be read"), "{}", unread.body);
}

#[tokio::test]
async fn filters_are_saved_as_columns_for_oneself_or_the_team() {
    let fx = fixture().await;
    let (mut cora, me) = member(&fx, "cora@acme.test", &fx.ws, Role::Contributor).await;
    let (mut ed, _) = member(&fx, "ed@acme.test", &fx.ws, Role::Editor).await;
    let all = varied(&fx, me).await;
    let save = "/w/acme/inbox/columns";
    let list = cora.get("/w/acme/inbox/list?tag=vip").await;
    assert!(list.body.contains("id=\"save-column\""));
    let vip_team = [("name", "VIP"), ("scope", "team"), ("tag", "vip")];
    let a = cora.post(save, &vip_team).await;
    assert_eq!(
        a.status,
        StatusCode::FORBIDDEN,
        "the team's columns are an editor's"
    );
    let a = cora
        .post(save, &[("name", "VIP"), ("scope", "mine"), ("tag", "vip")])
        .await;
    assert!(ends_with(a.location, "done=column_saved"));
    let a = cora.post(save, &[("name", " "), ("scope", "mine")]).await;
    assert!(a.location.unwrap().contains("done=bad_column_name"));
    let bad = [("name", "Bad"), ("scope", "mine"), ("status", "weird")];
    let a = cora.post(save, &bad).await;
    assert!(a.location.unwrap().contains("done=bad_filter"));
    let page = cora.get("/w/acme/inbox").await;
    assert!(page.body.contains(">VIP<"));
    assert!(
        !page.body.contains(">To answer<"),
        "saved columns replace the defaults"
    );
    assert_eq!(shows(&page.body, &all), [false, false, false, false, true]);
    // The editor does not see Cora's own column; a team column is everyone's.
    let page = ed.get("/w/acme/inbox").await;
    assert!(!page.body.contains(">VIP<") && page.body.contains(">To answer<"));
    ed.get("/w/acme/inbox/list?status=closed").await;
    let a = ed
        .post(
            save,
            &[("name", "Done"), ("scope", "team"), ("status", "closed")],
        )
        .await;
    assert!(ends_with(a.location, "done=column_saved"));
    let page = cora.get("/w/acme/inbox").await;
    assert!(page.body.contains(">VIP<") && page.body.contains(">Done<"));
    let columns = fx.app.store.inbox_columns(fx.ws.id, me).await.unwrap();
    let team = columns.iter().find(|c| c.name == "Done").unwrap();
    let own = columns.iter().find(|c| c.name == "VIP").unwrap();
    let fragment = cora
        .get(&format!("/w/acme/inbox/columns/{}", team.id))
        .await;
    assert_eq!(
        shows(&fragment.body, &all),
        [false, false, true, false, false]
    );
    let delete_team = format!("/w/acme/inbox/columns/{}/delete", team.id);
    let a = cora.post(&delete_team, &[]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let delete_own = format!("/w/acme/inbox/columns/{}/delete", own.id);
    let a = ed.post(&delete_own, &[]).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "another member's column");
    let a = cora.post(&delete_own, &[]).await;
    assert!(ends_with(a.location, "done=column_deleted"));
    let left = fx.app.store.inbox_columns(fx.ws.id, me).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_audited(&fx, &["inbox.column.create", "inbox.column.delete"]).await;
}

#[tokio::test]
async fn the_list_pages_with_older_links_without_gaps_or_repeats() {
    let fx = fixture().await;
    let now = Timestamp::now().millis();
    let messages: Vec<NewInboxMessage> = (0..57)
        .map(|i| {
            let author = format!("fan{i}");
            incoming("bluesky", &author, &format!("message {i}"), now - i * 1000)
        })
        .collect();
    let made = ingest(&fx, &fx.ws, fx.bluesky, messages).await;
    let ids: Vec<ConversationId> = made.iter().map(|(c, _)| *c).collect();
    let (mut cora, _) = member(&fx, "cora@acme.test", &fx.ws, Role::Contributor).await;
    let first = cora.get("/w/acme/inbox/list?status=open").await;
    let on_first = shows(&first.body, &ids);
    assert_eq!(on_first.iter().filter(|s| **s).count(), 50);
    assert!(on_first[..50].iter().all(|s| *s), "the most recent first");
    let at = first.body.find("class=\"older\"").expect("an older link");
    let start = first.body[..at].rfind("href=\"").unwrap() + 6;
    let end = first.body[start..].find('"').unwrap();
    let older = first.body[start..start + end].replace("&#38;", "&");
    let second = cora.get(&older).await;
    let on_second = shows(&second.body, &ids);
    assert_eq!(on_second.iter().filter(|s| **s).count(), 7);
    assert!(on_second[50..].iter().all(|s| *s));
    assert!(!second.body.contains("class=\"older\""));
    assert!(second.body.contains("57 in all"));
}

/// Reads a server-sent event stream until `needle` shows, for at most `within`.
async fn read_until(body: &mut Body, needle: &str, within: Duration) -> String {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + within;
    while !seen.contains(needle) {
        let frame = tokio::time::timeout_at(deadline, body.frame())
            .await
            .unwrap_or_else(|_| panic!("no {needle} within {within:?}; got {seen}"))
            .expect("the stream goes on")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            seen.push_str(&String::from_utf8_lossy(&data));
        }
    }
    seen
}

#[tokio::test]
async fn the_live_events_name_a_conversation_changed_after_the_stream_started() {
    let fx = fixture().await;
    let (cora, _) = member(&fx, "cora@acme.test", &fx.ws, Role::Contributor).await;
    let cookies = cora
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let stream = |last_id: Option<String>| {
        let mut r = Request::get("/w/acme/inbox/events").header(header::COOKIE, cookies.clone());
        if let Some(id) = last_id {
            r = r.header("last-event-id", id);
        }
        fx.app
            .router
            .clone()
            .oneshot(r.body(Body::empty()).unwrap())
    };
    let started = Timestamp::now().millis();
    let response = stream(None).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    let mut body = response.into_body();
    // After the stream started: a message in another workspace, then one in this one.
    let now = Timestamp::now().millis();
    let elsewhere = incoming("bluesky", "zoe", "ailleurs", now);
    let rival = ingest(&fx, &fx.other, fx.rival_channel, vec![elsewhere]).await[0].0;
    let (c, _) = conversation(&fx, "lea", "nouveau").await;
    let seen = read_until(&mut body, &c.to_string(), Duration::from_secs(15)).await;
    assert!(seen.contains("event: changed"), "{seen}");
    assert!(seen.contains("\nid: "), "{seen}");
    assert!(
        !seen.contains(&rival.to_string()),
        "another workspace's change"
    );
    // Another change on the same stream is told too.
    let (d, _) = conversation(&fx, "max", "encore").await;
    let seen = read_until(&mut body, &d.to_string(), Duration::from_secs(15)).await;
    let last_id = seen.lines().rev().find_map(|l| l.strip_prefix("id: "));
    let last_id = last_id.unwrap().to_owned();
    // A browser reconnecting from an earlier event's id is told what came after it.
    let reconnected = stream(Some(started.to_string())).await.unwrap();
    let mut again = reconnected.into_body();
    read_until(&mut again, &c.to_string(), Duration::from_secs(5)).await;
    // From the last event's id, only what is newer.
    let reconnected = stream(Some(last_id)).await.unwrap();
    let mut after_last = reconnected.into_body();
    let (e, _) = conversation(&fx, "ida", "et encore").await;
    let told = read_until(&mut after_last, &e.to_string(), Duration::from_secs(15)).await;
    assert!(
        !told.contains(&c.to_string()) && !told.contains(&d.to_string()),
        "{told}"
    );
    // Strangers get no stream.
    let stranger = Request::get("/w/acme/inbox/events")
        .body(Body::empty())
        .unwrap();
    let answer = fx.app.router.clone().oneshot(stranger).await.unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn message_texts_are_escaped_everywhere() {
    let fx = fixture().await;
    let evil = "<script>alert(1)</script> & <img src=x onerror=alert(2)>";
    let (c, _) = conversation(&fx, "evil", evil).await;
    let (mut cora, _) = member(&fx, "cora@acme.test", &fx.ws, Role::Contributor).await;
    for url in [
        path(c),
        "/w/acme/inbox".into(),
        "/w/acme/inbox/columns/to-answer".into(),
    ] {
        let page = cora.get(&url).await;
        assert_eq!(page.status, StatusCode::OK, "{url}");
        assert!(!page.body.contains("<script>alert"), "{url}");
        assert!(!page.body.contains("<img src=x"), "{url}");
        assert!(
            page.body.contains("&#60;script&#62;alert(1)"),
            "{url}: {}",
            page.body
        );
    }
}

#[tokio::test]
async fn canned_replies_are_filled_in_for_the_conversation() {
    let fx = fixture().await;
    settings(
        &fx,
        InboxSettings {
            netiquette_public: true,
            netiquette: "Soyez courtois.".into(),
            ..InboxSettings::default()
        },
    )
    .await;
    let (c, _) = conversation(&fx, "lea", "Bonjour").await;
    let body = "Bonjour {{first_name}} ({{handle}}), merci ! {{agent_name}} pour {{brand}}. {{netiquette_url}}";
    let canned = fx
        .app
        .store
        .create_canned_reply(
            fx.ws.id,
            NewCannedReply {
                id: CannedReplyId::new(),
                name: "Merci".into(),
                lang: "fr".into(),
                body: body.into(),
                created_by: None,
            },
            audit(&fx.ws),
        )
        .await
        .unwrap();
    let (mut cora, _) = member(&fx, "cora@acme.test", &fx.ws, Role::Contributor).await;
    let filled = "Bonjour Lea (@lea.test), merci ! cora pour acme. http://relais.test/n/acme";
    let page = cora.get(&path(c)).await;
    let option = format!("data-text=\"{filled}\"");
    assert!(page.body.contains(&option), "{}", page.body);
    assert!(page.body.contains("Merci (fr)"));
    // Without the script: the picker's form puts it in the box.
    let page = cora.get(&format!("{}?canned={}", path(c), canned.id)).await;
    let in_box = format!("data-count=\"{}/count\">{filled}</textarea>", path(c));
    assert!(page.body.contains(&in_box), "{}", page.body);
}

#[tokio::test]
async fn contacts_are_searched_shown_edited_and_merged() {
    let fx = fixture().await;
    let now = Timestamp::now().millis();
    let on_bluesky = incoming("bluesky", "lea", "sur bluesky", now - MINUTE);
    let on_mastodon = incoming("mastodon", "leam", "sur mastodon", now);
    let bsky = ingest(&fx, &fx.ws, fx.bluesky, vec![on_bluesky]).await[0].0;
    let masto = ingest(&fx, &fx.ws, fx.mastodon, vec![on_mastodon]).await[0].0;
    let store = &fx.app.store;
    let contact_of = |c: ConversationId| async move {
        let conv = store.conversation(fx.ws.id, c).await.unwrap().unwrap();
        conv.contact_id.unwrap()
    };
    let (kept, absorbed) = (contact_of(bsky).await, contact_of(masto).await);
    assert_ne!(kept, absorbed);
    let (mut cora, _) = member(&fx, "cora@acme.test", &fx.ws, Role::Contributor).await;

    let list = cora.get("/w/acme/inbox/contacts?q=leam").await;
    assert!(list.body.contains("@leam.test (Mastodon)"), "{}", list.body);
    assert!(!list.body.contains("@lea.test (Bluesky)"));
    let page = cora
        .get(&format!("/w/acme/inbox/contacts/{absorbed}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("https://mastodon.example/@leam"));
    assert!(page.body.contains("sur mastodon"));

    let edit = format!("/w/acme/inbox/contacts/{kept}");
    let a = cora
        .post(
            &edit,
            &[("name", "Léa M."), ("note", "Cliente depuis 2019")],
        )
        .await;
    assert!(ends_with(a.location, "done=saved"));
    let contact = store.contact(fx.ws.id, kept).await.unwrap().unwrap();
    assert_eq!(contact.name, "Léa M.");
    assert_eq!(contact.note.as_deref(), Some("Cliente depuis 2019"));
    let a = cora.post(&edit, &[("name", "")]).await;
    assert!(ends_with(a.location, "done=bad_name"));

    // From the Mastodon contact, find the other and merge into it.
    let search = format!("/w/acme/inbox/contacts/{absorbed}?merge_q=L%C3%A9a");
    let search = cora.get(&search).await;
    let candidate = format!("name=\"into\" value=\"{kept}\"");
    assert!(search.body.contains(&candidate), "{}", search.body);
    let merge = format!("/w/acme/inbox/contacts/{absorbed}/merge");
    let a = cora.post(&merge, &[("into", &kept.to_string())]).await;
    let merged_page = format!("/w/acme/inbox/contacts/{kept}?done=merged");
    assert_eq!(a.location.as_deref(), Some(merged_page.as_str()));
    assert!(store.contact(fx.ws.id, absorbed).await.unwrap().is_none());
    let merged = store.contact(fx.ws.id, kept).await.unwrap().unwrap();
    assert_eq!(merged.accounts.len(), 2);
    assert_eq!(merged.conversation_count, 2);
    assert_eq!(contact_of(masto).await, kept);
    let page = cora.get(&path(bsky)).await;
    assert!(
        page.body.contains("sur mastodon"),
        "the other conversation is beside"
    );
    let twice = format!("/w/acme/inbox/contacts/{kept}/merge");
    let a = cora.post(&twice, &[("into", &kept.to_string())]).await;
    assert!(ends_with(a.location, "done=bad_merge"));
    assert_audited(&fx, &["inbox.contact.update", "inbox.contact.merge"]).await;
}

#[tokio::test]
async fn members_see_who_else_is_replying() {
    let fx = fixture().await;
    let (c, _) = conversation(&fx, "lea", "Bonjour").await;
    let (mut cora, _) = member(&fx, "cora@acme.test", &fx.ws, Role::Contributor).await;
    let (mut ed, _) = member(&fx, "ed@acme.test", &fx.ws, Role::Editor).await;
    let presence = format!("{}/presence", path(c));
    cora.get(&path(c)).await;
    let answer = cora
        .post_json(&presence, &serde_json::json!({ "replying": true }))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["others"], serde_json::json!([]));
    let page = ed.get(&path(c)).await;
    let warning = "cora is replying — wait before you answer.";
    assert!(page.body.contains(warning), "{}", page.body);
    let answer = ed
        .post_json(&presence, &serde_json::json!({ "replying": false }))
        .await
        .json();
    let cora_replying = serde_json::json!([{ "name": "cora", "replying": true }]);
    assert_eq!(answer["others"], cora_replying);
    let answer = cora
        .post_json(&presence, &serde_json::json!({ "replying": false }))
        .await
        .json();
    let ed_reading = serde_json::json!([{ "name": "ed", "replying": false }]);
    assert_eq!(answer["others"], ed_reading);
}

#[tokio::test]
async fn the_pages_speak_french_and_english() {
    let fx = fixture().await;
    let (c, _) = conversation(&fx, "lea", "Bonjour").await;
    let (mut cora, _) = member(&fx, "cora@acme.test", &fx.ws, Role::Contributor).await;
    let en = cora.get("/w/acme/inbox").await;
    assert!(en.body.contains("To answer") && en.body.contains("Keyboard shortcuts"));
    let page = cora.get(&path(c)).await;
    assert!(page.body.contains("Internal notes") && page.body.contains("Send the reply"));
    cora.post("/lang", &[("lang", "fr"), ("next", "/w/acme/inbox")])
        .await;
    let fr = cora.get("/w/acme/inbox").await;
    assert!(fr.body.contains("À traiter"), "{}", fr.body);
    assert!(fr.body.contains("Raccourcis clavier"));
    assert!(fr.body.contains("Réponses types") && fr.body.contains("Délais de réponse"));
    let page = cora.get(&path(c)).await;
    assert!(page.body.contains("Notes internes") && page.body.contains("Envoyer la réponse"));
    let contacts = cora.get("/w/acme/inbox/contacts").await;
    assert!(contacts.body.contains("Nom ou identifiant"));
}

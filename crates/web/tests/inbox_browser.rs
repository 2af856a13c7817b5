//! The inbox in real headless Chromium (Debian's chromium + chromedriver), under the content
//! policy Relais sends: a column takes in a message ingested after the page loaded, without a
//! reload (server-sent events, then the column's fragment swapped in), the keyboard works
//! the list (`j` selects the next conversation, `e` closes it), and on a conversation `r`
//! goes to the reply box, whose count the server gives as the network counts.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::chromium::{english_session, serve};
use fantoccini::Locator;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{ChannelId, InboxMessageId, Role, Timestamp};
use relais_store::inbox::{ConversationStatus, MessageKind, NewContactAccount, NewInboxMessage};
use relais_store::{NewChannel, Workspace};
use relais_testkit::chromedriver::Chromedriver;

/// Long enough for a page load, an event round (2 s polls) and a fetch on a loaded machine.
const WAIT: Duration = Duration::from_secs(40);

fn audit(ws: &Workspace) -> AuditEvent {
    AuditEvent {
        workspace_id: Some(ws.id),
        actor: Actor::cli(),
        action: "test".into(),
        target: "test".into(),
        details: serde_json::Value::Null,
    }
}

fn message(author: &str, text: &str, sent_at: i64) -> NewInboxMessage {
    let network_id = format!("at://did:plc:{author}/post/{}", InboxMessageId::new());
    NewInboxMessage {
        id: InboxMessageId::new(),
        network_id: network_id.clone(),
        kind: MessageKind::Mention,
        author: NewContactAccount {
            network: "bluesky".into(),
            author_id: format!("did:plc:{author}"),
            handle: format!("{author}.test"),
            ..NewContactAccount::default()
        },
        text: text.into(),
        lang: None,
        url: None,
        version: None,
        parent_id: None,
        root_id: None,
        root_version: None,
        sent_at: Timestamp::from_millis(sent_at),
        thread_candidates: Vec::new(),
        new_thread_key: network_id,
    }
}

/// Presses one key on whatever has the focus (the page itself here).
async fn press(c: &fantoccini::Client, key: char) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    c.perform_actions(keys).await.unwrap();
}

/// Waits until `check` holds, failing with `what` after [`WAIT`].
async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + WAIT;
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns_update_live_and_the_keyboard_works_the_list() {
    let app = common::app().await;
    let ws = common::add_workspace(&app, "acme").await;
    let user = common::add_user(&app, "cm@acme.test", false).await;
    common::add_member(&app, &ws, user, Role::Contributor).await;
    let channel = NewChannel {
        id: ChannelId::new(),
        workspace_id: ws.id,
        network: "bluesky".into(),
        name: "Acme Bsky".into(),
        settings: serde_json::json!({}),
        secrets: Default::default(),
        created_by: None,
    };
    let channel = app
        .store
        .create_channel(channel, audit(&ws))
        .await
        .unwrap()
        .id;
    let now = Timestamp::now().millis();
    let first = [message("lea", "premier message", now - 60_000)];
    let premier = app
        .store
        .ingest_messages(ws.id, Some(channel), &first, Timestamp::now())
        .await
        .unwrap()[0]
        .conversation_id;

    let base = serve(app.router.clone()).await;
    let driver = Chromedriver::start();
    let c = english_session(&driver).await;
    c.goto(&format!("{base}/login")).await.unwrap();
    let find = |css: &'static str| c.wait().at_most(WAIT).for_element(Locator::Css(css));
    find("input[name=email]")
        .await
        .unwrap()
        .send_keys("cm@acme.test")
        .await
        .unwrap();
    find("input[name=password]")
        .await
        .unwrap()
        .send_keys(common::PASSWORD)
        .await
        .unwrap();
    find("#login-submit").await.unwrap().click().await.unwrap();
    find("#logout").await.unwrap();
    c.goto(&format!("{base}/w/acme/inbox")).await.unwrap();
    find("section.column li.conv").await.unwrap();
    // A mark that a reload would wipe out.
    c.execute("window.relaisMark = 'still here';", vec![])
        .await
        .unwrap();

    let second = [message(
        "max",
        "deuxième message",
        Timestamp::now().millis(),
    )];
    let arrived = app
        .store
        .ingest_messages(ws.id, Some(channel), &second, Timestamp::now())
        .await
        .unwrap()[0]
        .conversation_id;
    let column = "section.column[data-key=\"to-answer\"] .column-body";
    let column_text = || async {
        let body = c.find(Locator::Css(column)).await.unwrap();
        body.text().await.unwrap_or_default()
    };
    until("the new message shows in the column", || async {
        column_text().await.contains("deuxième message")
    })
    .await;
    let mark = c
        .execute("return window.relaisMark;", vec![])
        .await
        .unwrap();
    assert_eq!(
        mark,
        serde_json::json!("still here"),
        "the page did not reload"
    );

    // `j` selects the first conversation of the list (the newest), `e` closes it.
    press(&c, 'j').await;
    let selected = c
        .execute(
            "var s = document.querySelector('li.conv.selected'); return s ? s.getAttribute('data-id') : null;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(selected, serde_json::json!(arrived.to_string()));
    press(&c, 'e').await;
    let store = app.store.clone();
    until("the selected conversation is closed", || {
        let store = store.clone();
        async move {
            let conv = store.conversation(ws.id, arrived).await.unwrap().unwrap();
            conv.status == ConversationStatus::Closed
        }
    })
    .await;
    until("the closed conversation leaves the column", || async {
        !column_text().await.contains("deuxième message")
    })
    .await;
    assert!(column_text().await.contains("premier message"));

    // On a conversation, `r` goes to the reply box, which counts as Bluesky does.
    c.goto(&format!("{base}/w/acme/inbox/c/{premier}"))
        .await
        .unwrap();
    find("#reply-text").await.unwrap();
    press(&c, 'r').await;
    let focused = c
        .execute("return document.activeElement.id;", vec![])
        .await
        .unwrap();
    assert_eq!(focused, serde_json::json!("reply-text"));
    c.active_element()
        .await
        .unwrap()
        .send_keys("Merci Léa")
        .await
        .unwrap();
    until("the reply box counts", || async {
        let count = c.find(Locator::Css("#reply-count")).await.unwrap();
        count.text().await.unwrap_or_default() == "9 / 300"
    })
    .await;
    c.close().await.unwrap();
}

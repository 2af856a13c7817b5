//! The Mastodon inbox against a real Mastodon API server (the PyPI package mastodon-mock,
//! stateful, with fault injection, started by the test kit): the `fan` account mentions,
//! answers, boosts, quotes and writes privately to the `brand` account, whose channel reads
//! its notifications by polling and by the streaming API, and acts on them. What the mock does
//! not do (`quote` notifications of Mastodon 4.5, a stream the server closes, heartbeats cut
//! across packets) is tested against a small fake instance answering as Mastodon documents.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use relais_networks::inbox::{
    self, Author, InboxPage, IncomingMessage, Interaction, MessageKind, PostRef, Streamed,
};
use relais_networks::{Credentials, NetworkError};
use relais_testkit::mastodon::MockMastodon;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

async fn mock() -> MockMastodon {
    tokio::task::spawn_blocking(MockMastodon::start)
        .await
        .unwrap()
}

fn channel(instance: &str, token: &str) -> Credentials {
    Credentials {
        settings: json!({ "instance": instance }),
        secrets: [("access_token".to_owned(), token.to_owned())].into(),
        changed: false,
    }
}

fn brand(m: &MockMastodon) -> Credentials {
    channel(&m.instance, &m.brand().access_token)
}

async fn read(creds: &mut Credentials, cursor: Option<&str>) -> Result<InboxPage, NetworkError> {
    let http = common::client(Duration::from_secs(10));
    inbox::read("mastodon", &http, creds, cursor).await
}

async fn act(creds: &mut Credentials, interaction: Interaction) -> Result<(), NetworkError> {
    let http = common::client(Duration::from_secs(10));
    inbox::act("mastodon", &http, creds, &interaction).await
}

/// A call to the mock as `user`, without the code under test; its JSON answer.
async fn api(m: &MockMastodon, user: &str, method: &str, path: &str, body: Value) -> Value {
    let client = reqwest::Client::new();
    let url = format!("{}{path}", m.instance);
    let request = match method {
        "GET" => client.get(url),
        "DELETE" => client.delete(url),
        _ => client.post(url).json(&body),
    };
    let response = request
        .bearer_auth(&m.account(user).access_token)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

/// A status by `user`; its id.
async fn toot(m: &MockMastodon, user: &str, text: &str, extra: Value) -> String {
    let mut body = json!({ "status": text, "visibility": "public", "language": "fr" });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    api(m, user, "POST", "/api/v1/statuses", body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn account_id(m: &MockMastodon, user: &str) -> String {
    let path = "/api/v1/accounts/verify_credentials";
    api(m, user, "GET", path, json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn ids(messages: &[IncomingMessage]) -> Vec<&str> {
    messages.iter().map(|m| m.network_id.as_str()).collect()
}

fn kinds(messages: &[IncomingMessage]) -> Vec<MessageKind> {
    messages.iter().map(|m| m.kind).collect()
}

/// What the fan does to the brand, and the ids it gives.
struct Scene {
    brand_post: String,
    mention: String,
    reply: String,
    deeper: String,
    direct: String,
    quote: String,
    fan_id: String,
}

impl Scene {
    /// The network ids, oldest first, that the brand's inbox must show.
    fn expected(&self) -> Vec<String> {
        vec![
            self.mention.clone(),
            self.reply.clone(),
            self.deeper.clone(),
            format!("reblog:{}:{}", self.fan_id, self.brand_post),
            self.direct.clone(),
            self.quote.clone(),
        ]
    }
}

/// The fan mentions the brand, answers its status (and answers that answer), boosts it,
/// writes to it privately and quotes it; it also favourites it (not an inbox message).
async fn fan_acts(m: &MockMastodon, brand_post: &str) -> Scene {
    let mention = toot(
        m,
        "fan",
        "Bonjour @brand, **une question** & <b>plus</b>",
        json!({}),
    )
    .await;
    let reply = toot(
        m,
        "fan",
        "@brand merci !",
        json!({ "in_reply_to_id": brand_post }),
    )
    .await;
    // An answer to the fan's own reply, still naming the brand: in the brand's thread.
    let deeper = toot(
        m,
        "fan",
        "@brand et encore",
        json!({ "in_reply_to_id": reply }),
    )
    .await;
    let path = format!("/api/v1/statuses/{brand_post}/reblog");
    api(m, "fan", "POST", &path, json!({})).await;
    let path = format!("/api/v1/statuses/{brand_post}/favourite");
    api(m, "fan", "POST", &path, json!({})).await;
    let direct = toot(
        m,
        "fan",
        "@brand ma commande ?",
        json!({ "visibility": "direct" }),
    )
    .await;
    let quote = toot(
        m,
        "fan",
        "@brand regardez ça",
        json!({ "quoted_status_id": brand_post }),
    )
    .await;
    Scene {
        brand_post: brand_post.to_owned(),
        mention,
        reply,
        deeper,
        direct,
        quote,
        fan_id: account_id(m, "fan").await,
    }
}

/// Checks the messages the scene must give, in order, in full.
fn assert_scene(m: &MockMastodon, scene: &Scene, messages: &[IncomingMessage], brand_id: &str) {
    assert_eq!(ids(messages), scene.expected());
    assert_eq!(
        kinds(messages),
        [
            MessageKind::Mention,
            MessageKind::Reply,
            MessageKind::Reply,
            MessageKind::Repost,
            MessageKind::Direct,
            MessageKind::Quote,
        ]
    );
    let host = url::Url::parse(&m.instance)
        .unwrap()
        .host_str()
        .unwrap()
        .to_owned();
    let mention = &messages[0];
    assert_eq!(mention.text, "Bonjour @brand, une question & <b>plus</b>");
    assert_eq!(mention.lang.as_deref(), Some("fr"));
    assert_eq!(mention.author.id, scene.fan_id);
    assert_eq!(mention.author.handle, format!("fan@{host}"));
    assert_eq!(mention.author.display_name.as_deref(), Some("A Fan"));
    let avatar = mention.author.avatar_url.as_deref().unwrap();
    assert!(avatar.starts_with("http://"), "{avatar}");
    let profile = mention.author.profile_url.as_deref().unwrap();
    assert!(profile.ends_with("/@fan"), "{profile}");
    assert!(mention.author.created_at.unwrap() > 1_700_000_000_000);
    assert!(mention.created_at >= mention.author.created_at.unwrap());
    assert!(mention.url.as_deref().unwrap().contains(&scene.mention));
    assert_eq!((&mention.parent, &mention.root), (&None, &None));

    let id_of = |p: &Option<PostRef>| p.as_ref().map(|p| p.id.clone());
    let reply = &messages[1];
    assert_eq!(id_of(&reply.parent), Some(scene.brand_post.clone()));
    assert_eq!(id_of(&reply.root), Some(scene.brand_post.clone()));
    assert!(
        reply.parent.as_ref().unwrap().url.is_some(),
        "the context gives its address"
    );
    let deeper = &messages[2];
    assert_eq!(id_of(&deeper.parent), Some(scene.reply.clone()));
    assert_eq!(id_of(&deeper.root), Some(scene.brand_post.clone()));

    let repost = &messages[3];
    assert_eq!(repost.text, "");
    assert_eq!(repost.author.id, scene.fan_id);
    assert_eq!(id_of(&repost.subject), Some(scene.brand_post.clone()));

    let direct = &messages[4];
    assert_eq!(direct.text, "@brand ma commande ?");
    // The mock names a conversation by its last status.
    assert_eq!(direct.direct_thread, Some(scene.direct.clone()));

    let quote = &messages[5];
    assert_eq!(id_of(&quote.subject), Some(scene.brand_post.clone()));
    assert!(
        messages.iter().all(|m| m.author.id != brand_id),
        "never the brand's own"
    );
}

#[tokio::test]
async fn polling_gives_each_message_once_with_its_kind_and_thread() {
    let m = mock().await;
    let mut creds = brand(&m);
    let brand_id = account_id(&m, "brand").await;

    // Nothing yet: no messages, no cursor.
    assert_eq!(read(&mut creds, None).await.unwrap(), InboxPage::default());
    assert!(creds.changed, "the brand's account id is kept");
    assert_eq!(creds.secret("account_id"), Some(brand_id.as_str()));

    let brand_post = toot(&m, "brand", "Notre nouvelle version", json!({})).await;
    // The brand's own mention of the fan is not the brand's inbox.
    toot(&m, "brand", "Merci @fan", json!({})).await;
    let scene = fan_acts(&m, &brand_post).await;

    let page = read(&mut creds, None).await.unwrap();
    assert_scene(&m, &scene, &page.messages, &brand_id);
    let cursor = page.cursor.unwrap();

    // Nothing twice: the cursor stays.
    let again = read(&mut creds, Some(&cursor)).await.unwrap();
    assert!(again.messages.is_empty(), "{:?}", ids(&again.messages));
    assert_eq!(again.cursor.as_deref(), Some(cursor.as_str()));

    // A new mention after it: only that one.
    let new = toot(&m, "fan", "@brand encore moi", json!({})).await;
    let page = read(&mut creds, Some(&cursor)).await.unwrap();
    assert_eq!(ids(&page.messages), [new.as_str()]);
    let cursor = page.cursor.unwrap();

    // More than a page: all of them, over two pages, oldest first.
    let mut posted = Vec::new();
    for n in 0..45 {
        posted.push(toot(&m, "fan", &format!("@brand numéro {n}"), json!({})).await);
    }
    let page = read(&mut creds, Some(&cursor)).await.unwrap();
    assert_eq!(ids(&page.messages), posted);
    let cursor = page.cursor.unwrap();
    let after = read(&mut creds, Some(&cursor)).await.unwrap();
    assert!(after.messages.is_empty());

    // A cursor that is no notification id is dropped: the newest page again.
    let page = read(&mut creds, Some("w1 5 5:x")).await.unwrap();
    assert_eq!(page.messages.last().unwrap().network_id, posted[44]);
}

type StreamTask = tokio::task::JoinHandle<Result<inbox::StreamClosed, NetworkError>>;

/// Runs the stream in a task; its deliveries come through the receiver.
fn start_stream(
    creds: Credentials,
    cursor: Option<String>,
) -> (StreamTask, mpsc::UnboundedReceiver<Streamed>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let mut creds = creds;
        let http = common::client(Duration::from_secs(10));
        let mut deliver = move |s: Streamed| {
            let _ = tx.send(s);
        };
        inbox::stream(
            "mastodon",
            &http,
            &mut creds,
            cursor.as_deref(),
            &mut deliver,
        )
        .await
    });
    (task, rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Streamed>) -> Streamed {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("a message within 20 s")
        .expect("the stream is still running")
}

#[tokio::test]
async fn the_stream_delivers_what_polling_reads() {
    let m = mock().await;
    let brand_id = account_id(&m, "brand").await;
    let brand_post = toot(&m, "brand", "Notre nouvelle version", json!({})).await;
    let first = toot(&m, "fan", "@brand avant", json!({})).await;
    let mut creds = brand(&m);
    let before = read(&mut creds, None).await.unwrap();
    let cursor = before.cursor.clone().unwrap();
    assert_eq!(ids(&before.messages), [first.as_str()]);

    // Started from a cursor before `late`: the stream first catches up by polling…
    let late = toot(&m, "fan", "@brand pendant la coupure", json!({})).await;
    let (task, mut rx) = start_stream(creds.clone(), Some(cursor.clone()));
    let caught = next(&mut rx).await;
    assert_eq!(caught.message.network_id, late);
    let mark = caught.cursor.clone().unwrap();
    assert!(
        mark.len() >= cursor.len() && mark != cursor,
        "past the cursor"
    );

    // …then delivers live, each with the last poll's cursor.
    let scene = fan_acts(&m, &brand_post).await;
    let mut live = Vec::new();
    for _ in 0..scene.expected().len() {
        let s = next(&mut rx).await;
        assert_eq!(s.cursor.as_deref(), Some(mark.as_str()), "delivered live");
        live.push(s.message);
    }
    assert_scene(&m, &scene, &live, &brand_id);
    // Nothing else (the favourite, the brand's own status) came.
    let more = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await;
    assert!(more.is_err(), "{more:?}");
    task.abort();

    // Polling reads the same messages, with the same ids.
    let polled = read(&mut creds, Some(&mark)).await.unwrap();
    assert_eq!(polled.messages, live);
}

#[tokio::test]
async fn actions_change_the_instance() {
    let m = mock().await;
    let mut creds = brand(&m);
    let fan_id = account_id(&m, "fan").await;
    let status = toot(&m, "fan", "@brand c'est nul", json!({})).await;
    let page = read(&mut creds, None).await.unwrap();
    let message = page.messages[0].clone();
    assert_eq!(message.network_id, status);
    let post = PostRef {
        id: status.clone(),
        ..PostRef::default()
    };

    let like = Interaction::Like {
        message: post.clone(),
    };
    act(&mut creds, like.clone()).await.unwrap();
    act(
        &mut creds,
        Interaction::Repost {
            message: post.clone(),
        },
    )
    .await
    .unwrap();
    let path = format!("/api/v1/statuses/{status}");
    let seen = api(&m, "brand", "GET", &path, json!({})).await;
    assert_eq!(seen["favourited"], true);
    assert_eq!(seen["reblogged"], true);

    let path = format!("/api/v1/accounts/relationships?id[]={fan_id}");
    let before = api(&m, "brand", "GET", &path, json!({})).await;
    assert_eq!(
        (&before[0]["muting"], &before[0]["blocking"]),
        (&json!(false), &json!(false))
    );
    let author = message.author.clone();
    act(
        &mut creds,
        Interaction::Mute {
            author: author.clone(),
        },
    )
    .await
    .unwrap();
    act(
        &mut creds,
        Interaction::Block {
            author: author.clone(),
            message: None,
        },
    )
    .await
    .unwrap();
    let after = api(&m, "brand", "GET", &path, json!({})).await;
    assert_eq!(
        (&after[0]["muting"], &after[0]["blocking"]),
        (&json!(true), &json!(true))
    );

    let report = Interaction::Report {
        message: post.clone(),
        author,
        reason: "Insultes répétées".into(),
    };
    act(&mut creds, report).await.unwrap();
    let path = format!("/api/v1/admin/reports?target_account_id={fan_id}");
    let reports = api(&m, "brand", "GET", &path, json!({})).await;
    let report = &reports[0];
    assert_eq!(report["comment"], "Insultes répétées");
    assert_eq!(report["category"], "other");
    assert_eq!(
        report["forwarded"], false,
        "the fan is local: nowhere to forward"
    );
    // Mastodon's admin view of a report lists the reported statuses in full.
    let reported: Vec<&str> = report["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(reported, [status.as_str()]);

    // Mastodon cannot hide or delete another account's status.
    for interaction in [
        Interaction::Hide {
            message: post.clone(),
        },
        Interaction::Delete {
            message: post.clone(),
        },
    ] {
        let err = act(&mut creds, interaction).await.unwrap_err();
        assert!(
            matches!(err, NetworkError::Unsupported(ref m) if m.contains("block")),
            "{err}"
        );
    }

    // A status deleted since: said so.
    let path = format!("/api/v1/statuses/{status}");
    api(&m, "fan", "DELETE", &path, json!({})).await;
    let err = act(&mut creds, like).await.unwrap_err();
    assert_eq!(
        err,
        NetworkError::Rejected("the message was deleted".into())
    );
    let gone = Author {
        id: "999999".into(),
        ..Author::default()
    };
    let err = act(&mut creds, Interaction::Mute { author: gone })
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("no longer exists")),
        "{err}"
    );
}

#[tokio::test]
async fn refusals_limits_and_garbage() {
    let m = mock().await;
    toot(&m, "fan", "@brand salut", json!({})).await;
    let http = common::client(Duration::from_secs(10));

    // An unknown token: refused as revoked, whichever call meets it first.
    let mut revoked = channel(&m.instance, "not-a-token");
    let err = read(&mut revoked, None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("connect the channel again")),
        "{err}"
    );
    revoked.set_secret("account_id", "1".into());
    let err = read(&mut revoked, None).await.unwrap_err();
    assert!(matches!(err, NetworkError::Unauthorized(_)), "{err}");
    let err = inbox::stream("mastodon", &http, &mut revoked, None, &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(_)),
        "stream: {err}"
    );

    let mut creds = brand(&m);
    let fault = |effect: Value| {
        m.add_fault(json!({
            "match": { "methods": ["GET"], "path": "/api/v1/notifications" },
            "effect": effect, "count": 1
        }));
    };
    let five_minutes = NetworkError::RateLimited {
        retry_after: Some(Duration::from_secs(300)),
    };
    fault(json!({ "type": "ratelimit" }));
    assert_eq!(read(&mut creds, None).await.unwrap_err(), five_minutes);

    fault(json!({ "type": "malformed" }));
    let err = read(&mut creds, None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("not JSON")),
        "{err}"
    );

    fault(json!({ "type": "status", "status": 200, "body": { "error": "not a list" } }));
    let err = read(&mut creds, None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("not a list")),
        "{err}"
    );

    fault(json!({ "type": "status", "status": 503 }));
    let err = read(&mut creds, None).await.unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");

    // A failing thread look-up costs the root, not the message.
    let post = toot(&m, "brand", "Nouveau", json!({})).await;
    let reply = toot(&m, "fan", "@brand oui", json!({ "in_reply_to_id": post })).await;
    m.add_fault(json!({
        "match": { "methods": ["GET"], "path_regex": "^/api/v1/statuses/[0-9]+/context$" },
        "effect": { "type": "status", "status": 503 }, "count": 1
    }));
    let page = read(&mut creds, None).await.unwrap();
    let got = page
        .messages
        .iter()
        .find(|m| m.network_id == reply)
        .unwrap();
    assert_eq!((got.kind, got.root.clone()), (MessageKind::Reply, None));
    assert_eq!(got.parent.as_ref().map(|p| p.id.clone()), Some(post));

    // An instance with streaming turned off: polling instead.
    let stream_fault = |effect: Value| {
        m.add_fault(json!({
            "match": { "methods": ["GET"], "path": "/api/v1/streaming/user" },
            "effect": effect, "count": 1
        }));
    };
    stream_fault(
        json!({ "type": "status", "status": 404, "body": { "error": "Streaming is not enabled" } }),
    );
    let err = inbox::stream("mastodon", &http, &mut creds, None, &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Unsupported(ref m) if m.contains("polls")),
        "{err}"
    );
    stream_fault(json!({ "type": "ratelimit" }));
    let err = inbox::stream("mastodon", &http, &mut creds, None, &mut |_| {})
        .await
        .unwrap_err();
    assert_eq!(err, five_minutes);

    // A like that the instance limits.
    m.add_fault(json!({
        "match": { "methods": ["POST"], "path_regex": "/favourite$" },
        "effect": { "type": "ratelimit" }, "count": 1
    }));
    let like = Interaction::Like {
        message: PostRef {
            id: reply,
            ..PostRef::default()
        },
    };
    assert_eq!(act(&mut creds, like).await.unwrap_err(), five_minutes);
}

// The fake instance, for what the mock does not do.

/// How the fake answers a request.
enum Answer {
    Json(String),
    /// A stream written in these pieces, a pause between them, then closed.
    Stream(Vec<Vec<u8>>),
}

type Seen = Arc<Mutex<Vec<String>>>;

/// A fake instance on a raw socket (to cut the stream where a test wants): each request's
/// target goes to `answer`; the targets are kept in order.
async fn fake(answer: impl Fn(&str) -> Answer + Send + Sync + 'static) -> (String, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let answer = Arc::new(answer);
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let answer = answer.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && socket.read(&mut byte).await.unwrap_or(0) == 1
                {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let target = head.split_whitespace().nth(1).unwrap_or("").to_owned();
                log.lock().unwrap().push(target.clone());
                match answer(&target) {
                    Answer::Json(body) => {
                        let reply = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                             content-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = socket.write_all(reply.as_bytes()).await;
                    }
                    Answer::Stream(pieces) => {
                        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                                    connection: close\r\n\r\n";
                        let _ = socket.write_all(head.as_bytes()).await;
                        for piece in pieces {
                            let _ = socket.write_all(&piece).await;
                            let _ = socket.flush().await;
                            tokio::time::sleep(Duration::from_millis(40)).await;
                        }
                    }
                }
                let _ = socket.shutdown().await;
            });
        }
    });
    (base, seen)
}

fn fixture() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/inbox/mastodon_notifications.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The fake's channel: the brand is account `1`, known already.
fn fake_channel(base: &str) -> Credentials {
    let mut creds = channel(base, "token");
    creds.set_secret("account_id", "1".into());
    creds
}

#[tokio::test]
async fn quotes_direct_messages_and_remote_accounts_as_mastodon_45_sends_them() {
    let notifications = Value::Array(fixture()).to_string();
    let (base, seen) = fake(move |target| {
        if target.starts_with("/api/v1/notifications") {
            Answer::Json(notifications.clone())
        } else if target.starts_with("/api/v1/conversations") {
            Answer::Json(r#"[{"id":"c-77","last_status":{"id":"7004"}}]"#.into())
        } else {
            Answer::Json(
                r#"{"ancestors":[{"id":"7001","url":"https://home.example/@brand/7001",
                    "account":{"id":"1"}}],"descendants":[]}"#
                    .into(),
            )
        }
    })
    .await;
    let mut creds = fake_channel(&base);
    let page = read(&mut creds, None).await.unwrap();
    assert_eq!(
        ids(&page.messages),
        ["7002", "reblog:303:7001", "7004", "7005"]
    );
    assert_eq!(
        kinds(&page.messages),
        [
            MessageKind::Reply,
            MessageKind::Repost,
            MessageKind::Direct,
            MessageKind::Quote
        ]
    );
    assert_eq!(
        page.cursor.as_deref(),
        Some("9050"),
        "past the favourite too"
    );
    let host = url::Url::parse(&base)
        .unwrap()
        .host_str()
        .unwrap()
        .to_owned();
    let reply = &page.messages[0];
    assert_eq!(reply.author.handle, format!("fan@{host}"));
    assert_eq!(reply.text, "@brand bravo & merci");
    assert_eq!(reply.root.as_ref().map(|r| r.id.as_str()), Some("7001"));

    let direct = &page.messages[2];
    assert_eq!(direct.text, "commande\n\n@brand où est ma commande ?");
    assert_eq!(direct.direct_thread.as_deref(), Some("c-77"));
    assert_eq!(direct.author.handle, "client@other.example");
    assert_eq!(direct.author.display_name, None);

    let quote = &page.messages[3];
    assert_eq!(quote.text, "Not convinced by this one…");
    assert_eq!(quote.author.followers, Some(4200));
    assert_eq!(
        quote.author.avatar_url.as_deref(),
        Some("https://remote.example/avatars/critic.png")
    );
    let subject = quote.subject.as_ref().unwrap();
    assert_eq!(
        (subject.id.as_str(), subject.url.as_deref()),
        ("7001", Some("https://home.example/@brand/7001"))
    );

    let requests = seen.lock().unwrap().clone();
    let list = requests
        .iter()
        .find(|r| r.starts_with("/api/v1/notifications"))
        .unwrap();
    for part in [
        "types%5B%5D=mention",
        "types%5B%5D=reblog",
        "types%5B%5D=quote",
        "limit=40",
        "include_filtered=true",
    ] {
        assert!(list.contains(part), "{list} lacks {part}");
    }
    assert!(
        !list.contains("min_id"),
        "a first read takes the newest page"
    );
    let lookups = requests.iter().filter(|r| r.contains("/context")).count();
    assert_eq!(lookups, 1, "one look-up for the one reply");
}

#[tokio::test]
async fn a_stream_cut_anywhere_and_closed_by_the_server() {
    let events: Vec<Value> = fixture().into_iter().rev().collect();
    let mut wire = String::from(":connected\r\n\r\n");
    for (i, n) in events.iter().enumerate() {
        wire.push_str(&format!("event: notification\r\ndata: {n}\r\n\r\n"));
        if i == 1 {
            wire.push_str(":thump\n\nevent: update\ndata: {\"id\":\"1\"}\n\n");
            wire.push_str("event: delete\ndata: 7002\n\n");
            wire.push_str("event: notification\ndata: {not json\n\n");
        }
    }
    // Cut in pieces of 7 bytes: lines, CRLFs and UTF-8 sequences across packets.
    let pieces: Vec<Vec<u8>> = wire.as_bytes().chunks(7).map(<[u8]>::to_vec).collect();
    let polls = Arc::new(Mutex::new(0));
    let counter = polls.clone();
    let all = Value::Array(fixture()).to_string();
    let (base, seen) = fake(move |target| {
        if target.starts_with("/api/v1/streaming/user") {
            Answer::Stream(pieces.clone())
        } else if target.starts_with("/api/v1/notifications") {
            // Nothing at first; once the stream has closed, all of it (delivered already).
            let mut n = counter.lock().unwrap();
            *n += 1;
            Answer::Json(if *n == 1 { "[]".into() } else { all.clone() })
        } else if target.starts_with("/api/v1/conversations") {
            Answer::Json("[]".into())
        } else {
            Answer::Json(r#"{"ancestors":[],"descendants":[]}"#.into())
        }
    })
    .await;
    let creds = fake_channel(&base);
    let (task, mut rx) = start_stream(creds, Some("9000".into()));
    let closed = tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("the stream ends when the server closes")
        .unwrap()
        .unwrap();
    assert_eq!(
        closed.cursor.as_deref(),
        Some("9050"),
        "the last poll's cursor"
    );
    let mut got = Vec::new();
    while let Ok(s) = rx.try_recv() {
        assert_eq!(s.cursor.as_deref(), Some("9000"), "live: the poll's cursor");
        got.push(s.message.network_id);
    }
    assert_eq!(
        got,
        ["7002", "reblog:303:7001", "7004", "7005"],
        "each once, in order"
    );
    let requests = seen.lock().unwrap().clone();
    assert!(
        requests.iter().any(|r| r.contains("min_id=9000")),
        "{requests:?}"
    );
    assert_eq!(
        *polls.lock().unwrap(),
        2,
        "on connecting and after the close"
    );
}

//! The Bluesky inbox, two ways.
//!
//! Against the real local PDS (npm `@atproto/pds` through the test kit, no AppView; its second
//! account plays a fan): the firehose stream delivers exactly what concerns the brand, once,
//! with its thread; restarted from its cursor it delivers what came meanwhile and nothing
//! twice; the brand's own records never come; the actions leave their records in the brand's
//! repository; the notifications fail with a clear word, the PDS having no AppView. Frames
//! captured from that PDS (`fixtures/inbox/bluesky_frame_*.bin`) read the same offline.
//!
//! Against a small fake of `app.bsky.notification.listNotifications`, written from the lexicon
//! (newest first, `limit` up to 100, an opaque `cursor` to older pages, `reasons` repeated),
//! behind a PDS's `createSession` / `refreshSession`: the polling fallback. Notifications start
//! from `fixtures/inbox/bluesky_notifications.json`. The same fake takes reports and mutes.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use common::search::{Injectable, inject, rate_limit_wait, unix_now};
use common::{Injected, take_injected};
use relais_networks::bluesky::Bluesky;
use relais_networks::inbox::{
    self, Author, IncomingMessage, Interaction, MessageKind, PostRef, StreamClosed, Streamed,
};
use relais_networks::{
    Connector, Credentials, NetworkError, OutgoingPost, PublishedPost, ReplyTarget,
};
use relais_outbound::HttpClient;
use relais_testkit::bluesky::BlueskyPds;
use relais_testkit::mock_http::MockHttp;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

// ---------------------------------------------------------------------------------------------
// Against the real PDS.

fn http() -> HttpClient {
    common::client(Duration::from_secs(20))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn credentials(pds: &BlueskyPds, handle: &str) -> Credentials {
    let a = pds.account(handle);
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

fn outgoing(text: &str) -> OutgoingPost {
    OutgoingPost {
        text: text.to_owned(),
        media: vec![],
        reply_to: None,
        langs: vec!["fr".into()],
        idempotency_key: format!("{text}-{}", now_ms()),
        created_at_ms: now_ms(),
    }
}

/// `text` as an answer under `parent` in the thread that starts at `root`.
fn answer(text: &str, root: &PublishedPost, parent: &PublishedPost) -> OutgoingPost {
    let mut post = outgoing(text);
    post.reply_to = Some(ReplyTarget {
        root: root.clone(),
        parent: parent.clone(),
    });
    post
}

/// An account's own calls to the PDS, without Relais: what the fan's app would do.
struct Session {
    service: String,
    did: String,
    token: String,
}

impl Session {
    async fn login(pds: &BlueskyPds, handle: &str) -> Session {
        let a = pds.account(handle);
        let body: Value = reqwest::Client::new()
            .post(format!(
                "{}/xrpc/com.atproto.server.createSession",
                pds.service
            ))
            .json(&json!({ "identifier": a.handle, "password": a.password }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Session {
            service: pds.service.clone(),
            did: body["did"].as_str().unwrap().to_owned(),
            token: body["accessJwt"].as_str().unwrap().to_owned(),
        }
    }

    async fn procedure(&self, method: &str, body: Value) -> Value {
        let response = reqwest::Client::new()
            .post(format!("{}/xrpc/{method}", self.service))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{method}: {status} {answer}");
        answer
    }

    /// Creates a record in this account's repository; its strong reference.
    async fn create(&self, collection: &str, record: Value) -> PostRef {
        let answer = self
            .procedure(
                "com.atproto.repo.createRecord",
                json!({ "repo": self.did, "collection": collection, "record": record }),
            )
            .await;
        PostRef {
            id: answer["uri"].as_str().unwrap().to_owned(),
            version: Some(answer["cid"].as_str().unwrap().to_owned()),
            url: None,
        }
    }
}

fn strong(p: &PublishedPost) -> Value {
    json!({ "uri": p.id, "cid": p.version })
}

/// `getRecord` of an `at://` URI: the whole answer (`uri`, `cid`, `value`), or `None`.
async fn get_record(pds: &BlueskyPds, uri: &str) -> Option<Value> {
    let parts: Vec<&str> = uri.trim_start_matches("at://").split('/').collect();
    let response = reqwest::Client::new()
        .get(format!("{}/xrpc/com.atproto.repo.getRecord", pds.service))
        .query(&[
            ("repo", parts[0]),
            ("collection", parts[1]),
            ("rkey", parts[2]),
        ])
        .send()
        .await
        .unwrap();
    if response.status().is_success() {
        Some(response.json().await.unwrap())
    } else {
        None
    }
}

/// Every record of a collection in a repository (`listRecords`), values only.
async fn list_records(pds: &BlueskyPds, did: &str, collection: &str) -> Vec<Value> {
    let body: Value = reqwest::Client::new()
        .get(format!("{}/xrpc/com.atproto.repo.listRecords", pds.service))
        .query(&[("repo", did), ("collection", collection), ("limit", "100")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["value"].clone())
        .collect()
}

/// The brand's inbox stream, running in a task and delivering into a channel.
struct Follower {
    task: JoinHandle<Result<StreamClosed, NetworkError>>,
    delivered: mpsc::UnboundedReceiver<Streamed>,
}

impl Follower {
    fn start(pds: &BlueskyPds, cursor: Option<String>) -> Follower {
        let (tx, delivered) = mpsc::unbounded_channel();
        let mut creds = credentials(pds, "brand.test");
        let task = tokio::spawn(async move {
            let mut deliver = move |s: Streamed| {
                let _ = tx.send(s);
            };
            inbox::stream(
                "bluesky",
                &http(),
                &mut creds,
                cursor.as_deref(),
                &mut deliver,
            )
            .await
        });
        Follower { task, delivered }
    }

    /// What the stream delivers up to the message `last` (included). The stream is in order,
    /// so once `last` came, everything before it has been seen.
    async fn until(&mut self, last: &str) -> Vec<Streamed> {
        let mut got: Vec<Streamed> = Vec::new();
        loop {
            let next = tokio::time::timeout(Duration::from_secs(60), self.delivered.recv())
                .await
                .unwrap_or_else(|_| panic!("{last} did not come in 60 s; came: {:?}", ids(&got)));
            let Some(streamed) = next else {
                let ended = (&mut self.task).await;
                panic!("the stream ended before {last}: {ended:?}");
            };
            let done = streamed.message.network_id == last;
            got.push(streamed);
            if done {
                return got;
            }
        }
    }

    async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

fn ids(got: &[Streamed]) -> Vec<&str> {
    got.iter().map(|s| s.message.network_id.as_str()).collect()
}

fn rkey(uri: &str) -> &str {
    uri.rsplit('/').next().unwrap()
}

fn messages(got: &[Streamed]) -> HashMap<&str, &IncomingMessage> {
    got.iter()
        .map(|s| (s.message.network_id.as_str(), &s.message))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_brings_what_concerns_the_brand_once_and_the_actions_land() {
    let pds = tokio::task::spawn_blocking(BlueskyPds::start)
        .await
        .unwrap();
    let fan_did = pds.fan().did.clone();
    let bsky = Bluesky::new(http());
    let mut brand = credentials(&pds, "brand.test");
    let mut fan = credentials(&pds, "fan.test");
    let fan_app = Session::login(&pds, "fan.test").await;
    let brand_app = Session::login(&pds, "brand.test").await;

    // The brand's post, before anyone listens: a replay from seq 0 goes through it (and
    // through the accounts' creation) without delivering anything of it.
    let launch = bsky
        .publish(&mut brand, &outgoing("Notre nouvelle version est sortie"))
        .await
        .unwrap();
    let mut follower = Follower::start(&pds, Some("0".into()));

    // The fan: a mention (the connector writes the facet), a reply, a quote, a repost and
    // something unrelated.
    let mention = bsky
        .publish(&mut fan, &outgoing("Bonjour @brand.test, une question"))
        .await
        .unwrap();
    let reply = bsky
        .publish(&mut fan, &answer("Bravo pour la version", &launch, &launch))
        .await
        .unwrap();
    let quote = fan_app
        .create(
            "app.bsky.feed.post",
            json!({ "$type": "app.bsky.feed.post", "text": "À lire", "createdAt": "2026-03-01T10:00:00.000Z",
                    "embed": { "$type": "app.bsky.embed.record", "record": strong(&launch) } }),
        )
        .await;
    let repost = fan_app
        .create(
            "app.bsky.feed.repost",
            json!({ "$type": "app.bsky.feed.repost", "subject": strong(&launch), "createdAt": "2026-03-01T10:00:01.000Z" }),
        )
        .await;
    let unrelated = bsky
        .publish(&mut fan, &outgoing("Rien à voir avec personne"))
        .await
        .unwrap();
    // The brand's own: an answer in its thread and a quote of itself; never inbox messages.
    bsky.publish(&mut brand, &answer("Merci !", &launch, &reply))
        .await
        .unwrap();
    brand_app
        .create(
            "app.bsky.feed.post",
            json!({ "$type": "app.bsky.feed.post", "text": "Rappel", "createdAt": "2026-03-01T10:00:02.000Z",
                    "embed": { "$type": "app.bsky.embed.record", "record": strong(&launch) } }),
        )
        .await;
    let last = bsky
        .publish(&mut fan, &outgoing("Encore moi @brand.test"))
        .await
        .unwrap();

    let got = follower.until(&last.id).await;
    assert_eq!(
        ids(&got),
        [
            mention.id.as_str(),
            &reply.id,
            &quote.id,
            &repost.id,
            &last.id
        ],
        "exactly what concerns the brand, in order, once"
    );
    let by_id = messages(&got);
    for m in by_id.values() {
        assert_eq!(m.author.id, fan_did);
        assert_eq!(m.author.handle, "fan.test", "the handle, from describeRepo");
        assert_ne!(m.network_id, unrelated.id);
    }
    let m = by_id[mention.id.as_str()];
    assert_eq!(m.kind, MessageKind::Mention);
    assert_eq!(m.text, "Bonjour @brand.test, une question");
    assert_eq!(
        m.version, mention.version,
        "the CID, written as AT Protocol does"
    );
    assert_eq!(m.lang.as_deref(), Some("fr"));
    assert_eq!(
        m.url.as_deref(),
        Some(
            format!(
                "https://bsky.app/profile/{fan_did}/post/{}",
                rkey(&mention.id)
            )
            .as_str()
        )
    );
    assert!(
        (m.created_at - now_ms()).abs() < 120_000,
        "{}",
        m.created_at
    );

    // The reply's thread is what the fan's record says.
    let m = by_id[reply.id.as_str()];
    assert_eq!(m.kind, MessageKind::Reply);
    let stored = get_record(&pds, &reply.id).await.unwrap();
    for (which, got) in [("root", &m.root), ("parent", &m.parent)] {
        let got = got.as_ref().unwrap();
        assert_eq!(
            got.id,
            stored["value"]["reply"][which]["uri"].as_str().unwrap()
        );
        assert_eq!(
            got.version.as_deref(),
            stored["value"]["reply"][which]["cid"].as_str()
        );
        assert_eq!(got.id, launch.id);
    }
    assert_eq!(m.version.as_deref(), stored["cid"].as_str());

    let m = by_id[quote.id.as_str()];
    assert_eq!(m.kind, MessageKind::Quote);
    assert_eq!(m.subject.as_ref().map(|s| &s.id), Some(&launch.id));
    assert_eq!(m.subject.as_ref().unwrap().version, launch.version);
    let m = by_id[repost.id.as_str()];
    assert_eq!((m.kind, m.text.as_str()), (MessageKind::Repost, ""));
    assert_eq!(m.subject.as_ref().map(|s| &s.id), Some(&launch.id));
    assert_eq!(m.version, repost.version);

    // Cursors are seqs that only grow.
    let seqs: Vec<i64> = got
        .iter()
        .map(|s| s.cursor.as_deref().unwrap().parse().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");

    // Disconnected: what is posted meanwhile arrives after a restart from the cursor, and
    // nothing comes twice.
    follower.stop().await;
    let cursor = got.last().unwrap().cursor.clone();
    let meanwhile = bsky
        .publish(&mut fan, &outgoing("Vous êtes là @brand.test ?"))
        .await
        .unwrap();
    let deeper = bsky
        .publish(&mut fan, &answer("Et aussi…", &launch, &reply))
        .await
        .unwrap();
    bsky.publish(&mut brand, &outgoing("Pendant ce temps"))
        .await
        .unwrap();
    let mut follower = Follower::start(&pds, cursor);
    let again = bsky
        .publish(&mut fan, &outgoing("Toujours là @brand.test"))
        .await
        .unwrap();
    let got = follower.until(&again.id).await;
    assert_eq!(ids(&got), [meanwhile.id.as_str(), &deeper.id, &again.id]);
    assert_eq!(
        got[1].message.kind,
        MessageKind::Reply,
        "deep in the brand's thread"
    );
    assert_eq!(
        got[1].message.parent.as_ref().map(|p| &p.id),
        Some(&reply.id)
    );
    follower.stop().await;
    let cursor = got.last().unwrap().cursor.clone();

    the_actions_land(&pds, &brand_app, &fan_app, &got[1].message, &by_id, &launch).await;

    // After all the brand's records (likes, reposts, a block, a thread gate), the stream
    // brings only the fan's next mention.
    let mut follower = Follower::start(&pds, cursor);
    let finally = bsky
        .publish(&mut fan, &outgoing("Dernier mot @brand.test"))
        .await
        .unwrap();
    let got = follower.until(&finally.id).await;
    assert_eq!(ids(&got), [finally.id.as_str()]);
    follower.stop().await;

    // Polling needs an AppView, which this PDS has not: the error says to use the stream.
    let err = inbox::read("bluesky", &http(), &mut brand, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("AppView") && m.contains("stream")),
        "{err}"
    );
}

async fn act(pds: &BlueskyPds, interaction: Interaction) -> Result<(), NetworkError> {
    let mut brand = credentials(pds, "brand.test");
    inbox::act("bluesky", &http(), &mut brand, &interaction).await
}

/// Likes, reposts, blocks, hides (twice each: one record), and what Bluesky does not offer.
async fn the_actions_land(
    pds: &BlueskyPds,
    brand_app: &Session,
    fan_app: &Session,
    deeper: &IncomingMessage,
    first: &HashMap<&str, &IncomingMessage>,
    launch: &PublishedPost,
) {
    let brand = brand_app.did.as_str();
    let of_kind = |kind: MessageKind| {
        *first
            .values()
            .find(|m| m.kind == kind)
            .expect("a message of that kind")
    };
    let (mention, reply, quote) = (
        of_kind(MessageKind::Mention),
        of_kind(MessageKind::Reply),
        of_kind(MessageKind::Quote),
    );
    let as_ref = |m: &IncomingMessage| PostRef {
        id: m.network_id.clone(),
        version: m.version.clone(),
        url: m.url.clone(),
    };
    let fan = Author {
        id: fan_app.did.clone(),
        handle: "fan.test".into(),
        ..Author::default()
    };

    // Like (twice: one record), a like of a message whose CID is not known, a repost.
    for _ in 0..2 {
        act(
            pds,
            Interaction::Like {
                message: as_ref(mention),
            },
        )
        .await
        .unwrap();
        act(
            pds,
            Interaction::Repost {
                message: as_ref(reply),
            },
        )
        .await
        .unwrap();
    }
    let without_cid = PostRef {
        version: None,
        ..as_ref(quote)
    };
    act(
        pds,
        Interaction::Like {
            message: without_cid,
        },
    )
    .await
    .unwrap();
    let likes = list_records(pds, brand, "app.bsky.feed.like").await;
    let mut liked: Vec<(&str, &str)> = likes
        .iter()
        .map(|l| {
            (
                l["subject"]["uri"].as_str().unwrap(),
                l["subject"]["cid"].as_str().unwrap(),
            )
        })
        .collect();
    liked.sort();
    let mut expected = vec![
        (
            mention.network_id.as_str(),
            mention.version.as_deref().unwrap(),
        ),
        (quote.network_id.as_str(), quote.version.as_deref().unwrap()),
    ];
    expected.sort();
    assert_eq!(liked, expected);
    let reposts = list_records(pds, brand, "app.bsky.feed.repost").await;
    assert_eq!(reposts.len(), 1, "{reposts:?}");
    assert_eq!(reposts[0]["subject"]["uri"], reply.network_id.as_str());

    // Block (twice: one record).
    for _ in 0..2 {
        act(
            pds,
            Interaction::Block {
                author: fan.clone(),
                message: None,
            },
        )
        .await
        .unwrap();
    }
    let blocks = list_records(pds, brand, "app.bsky.graph.block").await;
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0]["subject"], fan_app.did.as_str());

    // Hide: the brand's thread gate keeps its rule and gains both replies, each once.
    let gate_key = rkey(&launch.id);
    brand_app
        .procedure(
            "com.atproto.repo.putRecord",
            json!({ "repo": brand, "collection": "app.bsky.feed.threadgate", "rkey": gate_key,
                    "record": { "$type": "app.bsky.feed.threadgate", "post": launch.id,
                                "allow": [ { "$type": "app.bsky.feed.threadgate#mentionRule" } ],
                                "createdAt": "2026-03-01T10:00:00.000Z" } }),
        )
        .await;
    for target in [reply, deeper, reply] {
        act(
            pds,
            Interaction::Hide {
                message: as_ref(target),
            },
        )
        .await
        .unwrap();
    }
    let gate = get_record(
        pds,
        &format!("at://{brand}/app.bsky.feed.threadgate/{gate_key}"),
    )
    .await
    .expect("a thread gate");
    assert_eq!(gate["value"]["post"], launch.id.as_str());
    assert_eq!(
        gate["value"]["hiddenReplies"],
        json!([reply.network_id, deeper.network_id])
    );
    assert_eq!(
        gate["value"]["allow"][0]["$type"], "app.bsky.feed.threadgate#mentionRule",
        "the gate's other fields stay"
    );

    // Not a reply, or a reply in someone else's thread: not the brand's to hide.
    let err = act(
        pds,
        Interaction::Hide {
            message: as_ref(mention),
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, NetworkError::Unsupported(ref m) if m.contains("not a reply")),
        "{err}"
    );
    let theirs = fan_app
        .create(
            "app.bsky.feed.post",
            json!({ "$type": "app.bsky.feed.post", "text": "Mon fil", "createdAt": "2026-03-01T10:00:00.000Z" }),
        )
        .await;
    let theirs_strong = json!({ "uri": theirs.id, "cid": theirs.version });
    let under_theirs = fan_app
        .create(
            "app.bsky.feed.post",
            json!({ "$type": "app.bsky.feed.post", "text": "suite", "createdAt": "2026-03-01T10:00:01.000Z",
                    "reply": { "root": theirs_strong, "parent": theirs_strong } }),
        )
        .await;
    let err = act(
        pds,
        Interaction::Hide {
            message: under_theirs,
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, NetworkError::Unsupported(ref m) if m.contains("first post")),
        "{err}"
    );

    let err = act(
        pds,
        Interaction::Delete {
            message: as_ref(mention),
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, NetworkError::Unsupported(ref m) if m.contains("hide it instead")),
        "{err}"
    );
    // Mutes live in the AppView, which this PDS has not.
    let err = act(
        pds,
        Interaction::Mute {
            author: fan.clone(),
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("AppView")),
        "{err}"
    );
    // Reports go to a moderation service, which this PDS has not either (it answers 500).
    let err = act(
        pds,
        Interaction::Report {
            message: as_ref(mention),
            author: fan,
            reason: "harcèlement".into(),
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");
}

/// Frames the local PDS sent (see `fixtures/inbox/bluesky_frames.json`), read offline.
#[test]
fn frames_captured_from_a_real_pds_read_the_same_offline() {
    use relais_networks::bluesky::inbox_fuzzing::read_frame;
    let about: Value =
        serde_json::from_str(include_str!("fixtures/inbox/bluesky_frames.json")).unwrap();
    let (brand, fan, root) = (
        about["brand"].as_str().unwrap(),
        about["fan"].as_str().unwrap(),
        about["root"].as_str().unwrap(),
    );
    let frame = |name: &str| {
        std::fs::read(format!(
            "{}/tests/fixtures/inbox/bluesky_frame_{name}.bin",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let (seq, found) = read_frame(&frame("identity"), brand).unwrap();
    assert!(seq.is_some() && found.is_empty());
    let (_, found) = read_frame(&frame("brand_post"), brand).unwrap();
    assert!(found.is_empty(), "the brand's own post");

    let mut seqs = Vec::new();
    let mut kinds = Vec::new();
    for name in ["mention", "reply", "repost"] {
        let (seq, found) = read_frame(&frame(name), brand).unwrap();
        seqs.push(seq.unwrap());
        let [m] = found.as_slice() else {
            panic!("{name}: {found:?}")
        };
        assert_eq!(m.author.id, fan);
        assert!(m.network_id.starts_with(&format!("at://{fan}/")));
        assert!(
            m.version.as_deref().unwrap().starts_with("bafyrei"),
            "{m:?}"
        );
        kinds.push(m.kind);
        match m.kind {
            MessageKind::Mention => assert_eq!(m.text, "Bonjour @brand.test !"),
            MessageKind::Reply => {
                assert_eq!(m.root.as_ref().unwrap().id, root);
                assert_eq!(m.parent.as_ref().unwrap().id, root);
            }
            _ => assert_eq!(m.subject.as_ref().unwrap().id, root),
        }
        // Read for another brand, the same frame concerns no one.
        assert!(
            read_frame(&frame(name), "did:plc:someoneelse")
                .unwrap()
                .1
                .is_empty()
        );
    }
    assert_eq!(
        kinds,
        [
            MessageKind::Mention,
            MessageKind::Reply,
            MessageKind::Repost
        ]
    );
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");

    // Cut short anywhere, a frame is an error or a shorter reading, never a panic or a
    // message with another record.
    let whole = frame("reply");
    for cut in 0..whole.len() {
        if let Ok((_, found)) = read_frame(&whole[..cut], brand) {
            assert!(found.is_empty(), "cut at {cut}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Against a fake of the AppView's notifications (and of the moderation and mute calls).

const FIXTURE: &str = include_str!("fixtures/inbox/bluesky_notifications.json");
const LIST: &str = "/xrpc/app.bsky.notification.listNotifications";
const HANDLE: &str = "brand.test";
const APP_PASSWORD: &str = "abcd-efgh-ijkl-mnop";
const FAN1: &str = "did:plc:fan1aaaaaaaaaaaaaaaaaaaa";
const BRAND_POST: &str = "at://did:plc:brand/app.bsky.feed.post/3lbrandpost1";

struct Fake {
    notifications: Vec<Value>,
    access: String,
    refresh: String,
    issued: u32,
    /// The most a page holds whatever `limit` asks, to make the reader turn pages.
    page_cap: usize,
    inject: VecDeque<Injected>,
    /// Every listNotifications query, as its pairs in order.
    lists: Vec<Vec<(String, String)>>,
    /// `createSession` / `refreshSession`, in order.
    sessions: Vec<String>,
    /// The procedures called (`createReport`, `muteActor`) with their bodies.
    procedures: Vec<(String, Value)>,
}

type Shared = Arc<Mutex<Fake>>;

impl Injectable for Fake {
    fn injected(&mut self) -> &mut VecDeque<Injected> {
        &mut self.inject
    }
}

fn xrpc_error(status: u16, error: &str, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({ "error": error, "message": message })),
    )
        .into_response()
}

fn issue(fake: &mut Fake) -> Response {
    fake.issued += 1;
    fake.access = format!("access-{}", fake.issued);
    fake.refresh = format!("refresh-{}", fake.issued);
    axum::Json(
        json!({ "did": "did:plc:brand", "handle": HANDLE, "accessJwt": fake.access,
                       "refreshJwt": fake.refresh, "active": true }),
    )
    .into_response()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

async fn create_session(State(s): State<Shared>, axum::Json(body): axum::Json<Value>) -> Response {
    let mut fake = s.lock().unwrap();
    fake.sessions.push("createSession".into());
    if body["identifier"] != HANDLE || body["password"] != APP_PASSWORD {
        return xrpc_error(
            401,
            "AuthenticationRequired",
            "Invalid identifier or password",
        );
    }
    issue(&mut fake)
}

async fn refresh_session(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let mut fake = s.lock().unwrap();
    fake.sessions.push("refreshSession".into());
    if bearer(&headers) != Some(fake.refresh.as_str()) {
        return xrpc_error(400, "ExpiredToken", "Token has been revoked");
    }
    issue(&mut fake)
}

/// `None` when the call may go on: no injected answer, and the current access token.
fn gate(fake: &mut Fake, headers: &HeaderMap, method: &str, path: &str) -> Option<Response> {
    if let Some(r) = take_injected(&mut fake.inject, method, path) {
        return Some(r);
    }
    match bearer(headers) {
        Some(token) if token == fake.access => None,
        Some(_) => Some(xrpc_error(400, "ExpiredToken", "Token has expired")),
        None => Some(xrpc_error(401, "AuthMissing", "Authentication Required")),
    }
}

async fn list_notifications(
    State(s): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(refusal) = gate(&mut fake, &headers, "GET", LIST) {
        return refusal;
    }
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    fake.lists.push(pairs.clone());
    let value = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let reasons: Vec<&String> = pairs
        .iter()
        .filter(|(k, _)| k == "reasons")
        .map(|(_, v)| v)
        .collect();
    let limit: usize = value("limit").map_or(50, |l| l.parse().unwrap());
    if !(1..=100).contains(&limit) {
        return xrpc_error(400, "InvalidRequest", "limit must be between 1 and 100");
    }
    let mut matching: Vec<&Value> = fake
        .notifications
        .iter()
        .filter(|n| reasons.is_empty() || reasons.iter().any(|r| n["reason"] == r.as_str()))
        .collect();
    // Times in the fixture all have milliseconds and `Z`: they compare as text.
    matching.sort_by_key(|n| std::cmp::Reverse(n["indexedAt"].as_str().unwrap().to_owned()));
    let start: usize = value("cursor").map_or(0, |c| c.parse().unwrap());
    let size = limit.min(fake.page_cap);
    let page: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(size)
        .map(|n| (*n).clone())
        .collect();
    let mut body = json!({ "notifications": page, "seenAt": "2026-03-01T09:00:00.000Z" });
    if start + size < matching.len() {
        body["cursor"] = json!((start + size).to_string());
    }
    axum::Json(body).into_response()
}

async fn procedure(
    State(s): State<Shared>,
    headers: HeaderMap,
    axum::extract::Path(method): axum::extract::Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut fake = s.lock().unwrap();
    if let Some(refusal) = gate(&mut fake, &headers, "POST", &format!("/xrpc/{method}")) {
        return refusal;
    }
    fake.procedures.push((method.clone(), body.clone()));
    match method.as_str() {
        "com.atproto.moderation.createReport" => axum::Json(json!({
            "id": 1, "reasonType": body["reasonType"], "reason": body["reason"],
            "subject": body["subject"], "reportedBy": "did:plc:brand",
            "createdAt": "2026-03-01T11:00:00.000Z" }))
        .into_response(),
        "app.bsky.graph.muteActor" => StatusCode::OK.into_response(),
        _ => xrpc_error(501, "MethodNotImplemented", "Method Not Implemented"),
    }
}

async fn start() -> (MockHttp, Shared) {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let shared: Shared = Arc::new(Mutex::new(Fake {
        notifications: fixture["notifications"].as_array().unwrap().clone(),
        access: String::new(),
        refresh: String::new(),
        issued: 0,
        page_cap: 100,
        inject: VecDeque::new(),
        lists: Vec::new(),
        sessions: Vec::new(),
        procedures: Vec::new(),
    }));
    let router = Router::new()
        .route(
            "/xrpc/com.atproto.server.createSession",
            post(create_session),
        )
        .route(
            "/xrpc/com.atproto.server.refreshSession",
            post(refresh_session),
        )
        .route(LIST, get(list_notifications))
        .route("/xrpc/{method}", post(procedure))
        .with_state(shared.clone());
    (MockHttp::start(router).await, shared)
}

fn session(server: &MockHttp) -> Credentials {
    Credentials {
        settings: json!({ "service": server.base_url(), "handle": HANDLE }),
        secrets: [("app_password".to_owned(), APP_PASSWORD.to_owned())].into(),
        changed: false,
    }
}

async fn read(
    creds: &mut Credentials,
    cursor: Option<&str>,
) -> Result<inbox::InboxPage, NetworkError> {
    inbox::read("bluesky", &http(), creds, cursor).await
}

fn page_ids(page: &inbox::InboxPage) -> Vec<&str> {
    page.messages.iter().map(|m| rkey(&m.network_id)).collect()
}

fn mention_at(n: u32, at: &str) -> Value {
    json!({ "uri": format!("at://{FAN1}/app.bsky.feed.post/3lnew{n:08}"), "cid": format!("bafyreinew{n}"),
            "author": { "did": FAN1, "handle": "fan.bsky.social" }, "reason": "mention",
            "record": { "$type": "app.bsky.feed.post", "text": format!("@brand.test encore {n}"), "createdAt": at,
                        "facets": [ { "index": { "byteStart": 0, "byteEnd": 11 },
                                      "features": [ { "$type": "app.bsky.richtext.facet#mention", "did": "did:plc:brand" } ] } ] },
            "isRead": false, "indexedAt": at })
}

#[tokio::test]
async fn notifications_are_read_oldest_first_with_their_threads() {
    let (server, fake) = start().await;
    let mut creds = session(&server);
    let page = read(&mut creds, None).await.unwrap();
    // Likes and follows are not messages; the brand's own answer is not either.
    assert_eq!(
        page_ids(&page),
        [
            "3lmention0001",
            "3lreply00001",
            "3lquote00001",
            "3lrepost0001"
        ]
    );
    // The newest notification seen, the brand's own included.
    assert_eq!(page.cursor.as_deref(), Some("2026-03-01T10:06:00.000Z"));

    let mention = &page.messages[0];
    assert_eq!(mention.kind, MessageKind::Mention);
    assert_eq!(mention.text, "Bonjour @brand.test, une question sur Relais");
    assert_eq!(mention.version.as_deref(), Some("bafyreimention0001"));
    assert_eq!(mention.lang.as_deref(), Some("fr"));
    assert_eq!(mention.created_at, 1_772_359_200_000);
    assert_eq!(
        mention.url.as_deref(),
        Some("https://bsky.app/profile/did:plc:fan1aaaaaaaaaaaaaaaaaaaa/post/3lmention0001")
    );
    let author = &mention.author;
    assert_eq!(
        (author.id.as_str(), author.handle.as_str()),
        (FAN1, "fan.bsky.social")
    );
    assert_eq!(author.display_name.as_deref(), Some("Fan de Relais"));
    assert!(
        author
            .avatar_url
            .as_deref()
            .unwrap()
            .starts_with("https://cdn.bsky.app/")
    );
    assert_eq!(author.created_at, Some(1_714_550_400_000));
    assert_eq!(
        author.profile_url.as_deref(),
        Some("https://bsky.app/profile/did:plc:fan1aaaaaaaaaaaaaaaaaaaa")
    );

    let reply = &page.messages[1];
    assert_eq!(reply.kind, MessageKind::Reply);
    assert_eq!(
        reply.author.display_name, None,
        "an empty display name is none"
    );
    for thread in [&reply.parent, &reply.root] {
        let thread = thread.as_ref().unwrap();
        assert_eq!(thread.id, BRAND_POST);
        assert_eq!(thread.version.as_deref(), Some("bafyreibrandpost1"));
        assert_eq!(
            thread.url.as_deref(),
            Some("https://bsky.app/profile/did:plc:brand/post/3lbrandpost1")
        );
    }
    let quote = &page.messages[2];
    assert_eq!(quote.kind, MessageKind::Quote);
    assert_eq!(
        quote.subject.as_ref().map(|s| s.id.as_str()),
        Some(BRAND_POST)
    );
    let repost = &page.messages[3];
    assert_eq!(
        (repost.kind, repost.text.as_str(), repost.url.as_deref()),
        (MessageKind::Repost, "", None)
    );
    assert_eq!(
        repost.subject.as_ref().and_then(|s| s.version.as_deref()),
        Some("bafyreibrandpost1")
    );

    let f = fake.lock().unwrap();
    let sent = &f.lists[0];
    let reasons: Vec<&str> = sent
        .iter()
        .filter(|(k, _)| k == "reasons")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(reasons, ["mention", "reply", "quote", "repost"]);
    assert!(sent.contains(&("limit".into(), "100".into())));
    assert!(!sent.iter().any(|(k, _)| k == "cursor"));
}

#[tokio::test]
async fn a_cursor_reads_only_what_is_newer_over_several_pages() {
    let (server, fake) = start().await;
    let mut creds = session(&server);
    let cursor = read(&mut creds, None).await.unwrap().cursor.unwrap();
    let page = read(&mut creds, Some(&cursor)).await.unwrap();
    assert!(page.messages.is_empty(), "{:?}", page.messages);
    assert_eq!(
        page.cursor.as_deref(),
        Some(cursor.as_str()),
        "the cursor stays"
    );

    {
        let mut f = fake.lock().unwrap();
        for n in 0..5 {
            f.notifications
                .push(mention_at(n, &format!("2026-03-01T10:1{n}:00.000Z")));
        }
        f.page_cap = 2;
        f.lists.clear();
    }
    let page = read(&mut creds, Some(&cursor)).await.unwrap();
    assert_eq!(
        page_ids(&page),
        [
            "3lnew00000000",
            "3lnew00000001",
            "3lnew00000002",
            "3lnew00000003",
            "3lnew00000004"
        ],
        "oldest first"
    );
    assert_eq!(page.cursor.as_deref(), Some("2026-03-01T10:14:00.000Z"));
    let pages: Vec<Option<String>> = fake
        .lock()
        .unwrap()
        .lists
        .iter()
        .map(|q| {
            q.iter()
                .find(|(k, _)| k == "cursor")
                .map(|(_, v)| v.clone())
        })
        .collect();
    assert_eq!(
        pages,
        [None, Some("2".to_owned()), Some("4".to_owned())],
        "stops at the cursor"
    );

    // A cursor this code did not write (a stream's seq): the newest page, as a first call.
    let page = read(&mut creds, Some("1234")).await.unwrap();
    assert_eq!(page.messages.len(), 2, "one page of the newest");
}

#[tokio::test]
async fn failures_say_what_to_do() {
    let (server, fake) = start().await;
    let mut creds = session(&server);
    read(&mut creds, None).await.unwrap();

    // No AppView behind the PDS: use the stream.
    inject(
        &fake,
        "GET",
        LIST,
        502,
        vec![],
        r#"{"error": "UpstreamFailure", "message": "pipethrough network error"}"#,
    );
    let err = read(&mut creds, None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("no AppView") && m.contains("subscribeRepos")),
        "{err}"
    );

    let limits = vec![
        ("ratelimit-remaining", "0".to_owned()),
        ("ratelimit-reset", (unix_now() + 60).to_string()),
    ];
    inject(
        &fake,
        "GET",
        LIST,
        429,
        limits,
        r#"{"error": "RateLimitExceeded"}"#,
    );
    let wait = rate_limit_wait(read(&mut creds, None).await.unwrap_err());
    assert!((58..=60).contains(&wait.as_secs()), "{wait:?}");

    inject(&fake, "GET", LIST, 200, vec![], r#"{"feed": []}"#);
    let err = read(&mut creds, None).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("without a list")),
        "{err}"
    );

    // The access token expires: refreshed once, and the call made again.
    fake.lock().unwrap().access = "rotated".into();
    assert_eq!(read(&mut creds, None).await.unwrap().messages.len(), 4);
    assert_eq!(
        fake.lock().unwrap().sessions,
        ["createSession", "refreshSession"]
    );
    assert!(creds.changed, "the new tokens are to be saved");

    // Everything refused: the app password was revoked.
    {
        let mut f = fake.lock().unwrap();
        f.access = "gone".into();
        f.refresh = "gone".into();
    }
    creds.set_secret("app_password", "revoked".into());
    let err = read(&mut creds, None).await.unwrap_err();
    assert!(matches!(err, NetworkError::Unauthorized(_)), "{err}");
}

#[tokio::test]
async fn reports_and_mutes_send_what_the_lexicons_ask() {
    let (server, fake) = start().await;
    let mut creds = session(&server);
    let fan = Author {
        id: FAN1.into(),
        handle: "fan.bsky.social".into(),
        ..Author::default()
    };
    let message = PostRef {
        id: format!("at://{FAN1}/app.bsky.feed.post/3lmention0001"),
        version: Some("bafyreimention0001".into()),
        url: None,
    };
    for reason in ["Harcèlement répété", "Se fait passer pour nous"] {
        let report = Interaction::Report {
            message: message.clone(),
            author: fan.clone(),
            reason: reason.into(),
        };
        inbox::act("bluesky", &http(), &mut creds, &report)
            .await
            .unwrap();
    }
    inbox::act(
        "bluesky",
        &http(),
        &mut creds,
        &Interaction::Mute {
            author: fan.clone(),
        },
    )
    .await
    .unwrap();
    {
        let f = fake.lock().unwrap();
        let (method, body) = &f.procedures[0];
        assert_eq!(method, "com.atproto.moderation.createReport");
        assert_eq!(body["reasonType"], "com.atproto.moderation.defs#reasonRude");
        assert_eq!(body["reason"], "Harcèlement répété");
        assert_eq!(
            body["subject"],
            json!({ "$type": "com.atproto.repo.strongRef", "uri": message.id, "cid": "bafyreimention0001" })
        );
        assert_eq!(
            f.procedures[1].1["reasonType"],
            "com.atproto.moderation.defs#reasonOther"
        );
        assert_eq!(
            f.procedures[2],
            (
                "app.bsky.graph.muteActor".to_owned(),
                json!({ "actor": FAN1 })
            )
        );
    }

    inject(
        &fake,
        "POST",
        "/xrpc/app.bsky.graph.muteActor",
        502,
        vec![],
        r#"{"error": "UpstreamFailure"}"#,
    );
    let err = inbox::act(
        "bluesky",
        &http(),
        &mut creds,
        &Interaction::Mute {
            author: fan.clone(),
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("AppView")),
        "{err}"
    );
    let nameless = Author {
        id: "fan.bsky.social".into(),
        ..Author::default()
    };
    let err = inbox::act(
        "bluesky",
        &http(),
        &mut creds,
        &Interaction::Block {
            author: nameless,
            message: None,
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("not a DID")),
        "{err}"
    );
}

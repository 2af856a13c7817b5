//! Reading feeds into posts, against a local server that answers as a blog does (ETag,
//! 304 Not Modified, failures): the first read marks what is there as seen, new entries become
//! posts once (waiting for review, or in the next free queue slot), unchanged feeds cost a 304,
//! failures are shown on the feed and the reading goes on.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{ChannelId, FeedId, Slug, Timestamp};
use relais_jobs::JobHandler;
use relais_outbound::{HttpClient, OutboundConfig};
use relais_publisher::feeds::{FEED_JOB, PollFeed, first_poll};
use relais_store::planning::{FeedMode, NewFeed};
use relais_store::{DatabaseLocation, NewChannel, PostStatus, Store, Workspace};
use relais_testkit::mock_http::MockHttp;

#[derive(Default)]
struct Blog {
    items: Vec<(String, String)>,
    /// Answer this status instead of the feed.
    failing: Option<u16>,
    /// `If-None-Match` of each request.
    asked_with: Vec<Option<String>>,
}

type Shared = Arc<Mutex<Blog>>;

fn etag(items: usize) -> String {
    format!("\"v{items}\"")
}

async fn feed(State(blog): State<Shared>, headers: HeaderMap) -> Response {
    let mut b = blog.lock().unwrap();
    let asked = headers
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    b.asked_with.push(asked.clone());
    if let Some(status) = b.failing {
        return StatusCode::from_u16(status).unwrap().into_response();
    }
    let tag = etag(b.items.len());
    if asked.as_deref() == Some(tag.as_str()) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let items: String = b
        .items
        .iter()
        .rev()
        .map(|(guid, title)| {
            format!("<item><title>{title}</title><link>https://blog.example/{guid}</link><guid>{guid}</guid></item>")
        })
        .collect();
    (
        [("etag", tag.as_str()), ("content-type", "application/rss+xml")],
        format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Blog</title>{items}</channel></rss>"),
    )
        .into_response()
}

fn audit(action: &str) -> AuditEvent {
    AuditEvent {
        workspace_id: None,
        actor: Actor::cli(),
        action: action.into(),
        target: String::new(),
        details: serde_json::Value::Null,
    }
}

struct Setup {
    store: Arc<dyn Store>,
    ws: Workspace,
    channel: ChannelId,
    blog: Shared,
    server: MockHttp,
    poller: PollFeed,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap().keep();
    let store = relais_store::open(&DatabaseLocation::parse(dir.to_str().unwrap()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let ws = store
        .create_workspace(
            &Slug::parse("alpha").unwrap(),
            "A",
            None,
            audit("workspace.create"),
        )
        .await
        .unwrap();
    let channel = store
        .create_channel(
            NewChannel {
                id: ChannelId::new(),
                workspace_id: ws.id,
                network: "bluesky".into(),
                name: "Bluesky".into(),
                settings: serde_json::json!({}),
                secrets: Default::default(),
                created_by: None,
            },
            audit("channel.create"),
        )
        .await
        .unwrap()
        .id;
    let blog: Shared = Arc::default();
    blog.lock().unwrap().items = vec![
        ("a1".into(), "Old one".into()),
        ("a2".into(), "Old two".into()),
    ];
    let server = MockHttp::start(
        Router::new()
            .route("/feed.xml", get(feed))
            .with_state(blog.clone()),
    )
    .await;
    let http = HttpClient::new(OutboundConfig {
        allow_private_addresses: true,
        ..Default::default()
    })
    .unwrap();
    Setup {
        store,
        ws,
        channel,
        blog,
        server,
        poller: PollFeed::new(http).with_interval(0),
    }
}

impl Setup {
    async fn follow(&self, mode: FeedMode) -> FeedId {
        let id = FeedId::new();
        self.store
            .create_feed(
                NewFeed {
                    id,
                    workspace_id: self.ws.id,
                    name: "Blog".into(),
                    url: self.server.url("/feed.xml"),
                    channel_ids: vec![self.channel],
                    mode,
                    created_by: None,
                },
                audit("feed.create"),
            )
            .await
            .unwrap();
        id
    }

    /// Runs the feed's job once, as a worker would; `false` when no job of the feed was due.
    async fn poll(&self, feed: FeedId) -> bool {
        // Jobs of other kinds (publications of queued posts) stay in the queue.
        let mut others = Vec::new();
        let mut ran = false;
        while let Some(job) = self
            .store
            .claim_job("test", Timestamp::now(), 60_000)
            .await
            .unwrap()
        {
            if job.kind == FEED_JOB && job.payload["feed_id"] == feed.to_string() {
                self.poller.run(&job, &self.store).await.unwrap();
                self.store
                    .complete_job(job.id, "test", Timestamp::now())
                    .await
                    .unwrap();
                ran = true;
                break;
            }
            others.push(job.id);
        }
        for id in others {
            self.store
                .complete_job(id, "test", Timestamp::now())
                .await
                .unwrap();
        }
        ran
    }

    fn publish(&self, guid: &str, title: &str) {
        self.blog
            .lock()
            .unwrap()
            .items
            .push((guid.into(), title.into()));
    }
}

#[tokio::test]
async fn new_entries_become_one_post_each_for_review() {
    let s = setup().await;
    let feed = s.follow(FeedMode::Draft).await;
    s.store
        .enqueue_job(first_poll(s.ws.id, feed))
        .await
        .unwrap();
    assert!(s.poll(feed).await);
    assert!(
        s.store.posts(s.ws.id, 10).await.unwrap().is_empty(),
        "the archive is skipped"
    );
    let read = s.store.feed(s.ws.id, feed).await.unwrap().unwrap();
    assert_eq!(
        (read.etag.clone(), read.last_error.clone()),
        (Some(etag(2)), None)
    );
    assert!(read.last_success_at.is_some());

    s.publish("a3", "Lancement &amp; nouveautés");
    assert!(s.poll(feed).await, "the reading planned its next one");
    let posts = s.store.posts(s.ws.id, 10).await.unwrap();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].status, PostStatus::PendingApproval);
    assert_eq!(
        posts[0].parts[0].text,
        "Lancement & nouveautés\n\nhttps://blog.example/a3"
    );
    assert_eq!(posts[0].author_label, "feed: Blog");
    let targets = s.store.targets_of(s.ws.id, posts[0].id).await.unwrap();
    assert_eq!(
        targets.iter().map(|t| t.channel_id).collect::<Vec<_>>(),
        [s.channel]
    );

    // Unchanged: a conditional request answered 304, nothing new.
    assert!(s.poll(feed).await);
    assert_eq!(s.store.posts(s.ws.id, 10).await.unwrap().len(), 1);
    let asked = s.blog.lock().unwrap().asked_with.clone();
    assert_eq!(asked.last().unwrap().as_deref(), Some(etag(3).as_str()));

    // A failing blog: the reason is on the feed, the validators stay, the reading goes on.
    s.blog.lock().unwrap().failing = Some(503);
    assert!(s.poll(feed).await);
    let read = s.store.feed(s.ws.id, feed).await.unwrap().unwrap();
    assert!(
        read.last_error.as_deref().unwrap().contains("503"),
        "{:?}",
        read.last_error
    );
    assert_eq!(read.etag, Some(etag(3)));
    s.blog.lock().unwrap().failing = None;
    s.publish("a4", "Encore");
    assert!(s.poll(feed).await, "still reading after a failure");
    assert_eq!(s.store.posts(s.ws.id, 10).await.unwrap().len(), 2);
    assert_eq!(
        s.store
            .feed(s.ws.id, feed)
            .await
            .unwrap()
            .unwrap()
            .last_error,
        None
    );

    // Unfollowed: the chain ends.
    s.store
        .delete_feed(s.ws.id, feed, audit("feed.delete"))
        .await
        .unwrap();
    s.publish("a5", "Trop tard");
    assert!(s.poll(feed).await);
    assert!(
        !s.poll(feed).await,
        "no reading planned after the feed is gone"
    );
    assert_eq!(s.store.posts(s.ws.id, 10).await.unwrap().len(), 2);
    s.server.stop().await;
}

#[tokio::test]
async fn queued_feeds_take_the_next_free_slots() {
    let s = setup().await;
    s.store
        .set_queue_slots(
            s.ws.id,
            s.channel,
            &[(2, 540), (4, 1050)],
            "Europe/Paris",
            audit("queue.set"),
        )
        .await
        .unwrap();
    let feed = s.follow(FeedMode::Queue).await;
    s.store
        .enqueue_job(first_poll(s.ws.id, feed))
        .await
        .unwrap();
    assert!(s.poll(feed).await);
    s.publish("b1", "Un");
    s.publish("b2", "Deux");
    assert!(s.poll(feed).await);
    let posts = s.store.posts(s.ws.id, 10).await.unwrap();
    assert_eq!(posts.len(), 2);
    let mut times: Vec<i64> = posts
        .iter()
        .map(|p| {
            assert_eq!(p.status, PostStatus::Scheduled);
            p.scheduled_at.unwrap().millis()
        })
        .collect();
    times.sort_unstable();
    times.dedup();
    assert_eq!(times.len(), 2, "two entries, two slots");
    // Queued posts come with their publication jobs.
    let queued: u64 = s
        .store
        .job_counts()
        .await
        .unwrap()
        .iter()
        .filter(|(k, _)| k == "queued")
        .map(|(_, n)| *n)
        .sum();
    assert!(queued >= 2, "{queued}");
    s.server.stop().await;
}

#[tokio::test]
async fn what_is_not_a_feed_is_reported_on_the_feed() {
    let s = setup().await;
    let id = FeedId::new();
    s.store
        .create_feed(
            NewFeed {
                id,
                workspace_id: s.ws.id,
                name: "Page".into(),
                url: s.server.url("/nothing-here"),
                channel_ids: vec![s.channel],
                mode: FeedMode::Draft,
                created_by: None,
            },
            audit("feed.create"),
        )
        .await
        .unwrap();
    s.store.enqueue_job(first_poll(s.ws.id, id)).await.unwrap();
    assert!(s.poll(id).await);
    let read = s.store.feed(s.ws.id, id).await.unwrap().unwrap();
    assert!(
        read.last_error.as_deref().unwrap().contains("404"),
        "{:?}",
        read.last_error
    );
    assert_eq!(
        read.last_success_at, None,
        "the first good read is still to come"
    );
    s.server.stop().await;
}

//! Reading feeds into posts, on a schedule: each feed has a chain of `publish.feed` jobs, one
//! every [`POLL_INTERVAL_MS`]. A read sends the last `ETag` / `Last-Modified` (a feed that has
//! not changed answers 304 and costs nothing), and each new entry becomes a post waiting for
//! review, or a post queued in the next free slot of the feed's channels. Entries are taken
//! with their post in one transaction, so that an entry never makes two posts, even when two
//! workers read the same feed at once. The first good read only marks the entries already
//! there as seen: following a feed brings what it publishes from then on, not its archive.
//!
//! A chain that finds the feed read less than half an interval ago stops: that is how the
//! duplicate chains a crash can leave (a job re-run after it planned its successor) die out.

use std::sync::Arc;

use async_trait::async_trait;
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{FeedId, PostId, TargetId, Timestamp, WorkspaceId};
use relais_jobs::{JobError, JobHandler};
use relais_outbound::HttpClient;
use relais_publish::feeds::{self, FeedEntry};
use relais_store::planning::{Feed, FeedMode, FeedPoll, PostToMake};
use relais_store::{
    Channel, Job, NewJob, NewPost, NewTarget, PostPart, PostStatus, Store, StoreError, Workspace,
};

use crate::compose::publish_plan;

/// The job kind of a feed's reading.
pub const FEED_JOB: &str = "publish.feed";
/// How often a feed is read.
pub const POLL_INTERVAL_MS: i64 = 15 * 60_000;

/// The first reading of a new feed, now.
pub fn first_poll(ws: WorkspaceId, feed: FeedId) -> NewJob {
    poll_job(ws, feed, Timestamp::now())
}

fn poll_job(ws: WorkspaceId, feed: FeedId, at: Timestamp) -> NewJob {
    NewJob {
        workspace_id: Some(ws),
        kind: FEED_JOB.into(),
        payload: serde_json::json!({ "workspace_id": ws, "feed_id": feed }),
        run_at: at,
        max_attempts: 5,
    }
}

pub struct PollFeed {
    http: HttpClient,
    interval_ms: i64,
}

impl PollFeed {
    pub fn new(http: HttpClient) -> Self {
        Self {
            http,
            interval_ms: POLL_INTERVAL_MS,
        }
    }

    /// Another pause between two readings than [`POLL_INTERVAL_MS`] (tests read at once).
    pub fn with_interval(mut self, ms: i64) -> Self {
        self.interval_ms = ms.max(0);
        self
    }
}

fn retry(e: StoreError) -> JobError {
    JobError::Retry {
        reason: e.to_string(),
        at: None,
    }
}

/// What a reading brought.
enum Read {
    Unchanged,
    Entries(Vec<FeedEntry>, FeedPoll),
}

impl PollFeed {
    async fn read(&self, feed: &Feed) -> Result<Read, String> {
        let mut request = self
            .http
            .get(&feed.url)
            .map_err(|e| e.to_string())?
            .header(
                "accept",
                "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.5",
            );
        if let Some(etag) = &feed.etag {
            request = request.header("if-none-match", etag);
        }
        if let Some(modified) = &feed.last_modified {
            request = request.header("if-modified-since", modified);
        }
        let answer = self.http.fetch(request).await.map_err(|e| e.to_string())?;
        match answer.status {
            304 => return Ok(Read::Unchanged),
            200..=299 => {}
            status => {
                return Err(format!(
                    "the feed answered HTTP {status}; check its address"
                ));
            }
        }
        let header = |name: &str| {
            answer
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let entries = feeds::parse(&answer.body).map_err(|e| e.to_string())?;
        Ok(Read::Entries(
            entries,
            FeedPoll {
                etag: header("etag"),
                last_modified: header("last-modified"),
                error: None,
            },
        ))
    }
}

#[async_trait]
impl JobHandler for PollFeed {
    async fn run(&self, job: &Job, store: &Arc<dyn Store>) -> Result<(), JobError> {
        let text = |k: &str| job.payload.get(k).and_then(|v| v.as_str());
        let ws: Option<WorkspaceId> = text("workspace_id").and_then(|s| s.parse().ok());
        let feed_id: Option<FeedId> = text("feed_id").and_then(|s| s.parse().ok());
        let (Some(ws), Some(feed_id)) = (ws, feed_id) else {
            return Err(JobError::Permanent("a feed job without its feed".into()));
        };
        let Some(feed) = store.feed(ws, feed_id).await.map_err(retry)? else {
            return Ok(()); // unfollowed: the chain ends
        };
        let now = Timestamp::now();
        if feed
            .last_polled_at
            .is_some_and(|t| now.millis() - t.millis() < self.interval_ms / 2)
        {
            return Ok(());
        }
        let poll = match self.read(&feed).await {
            Ok(Read::Unchanged) => FeedPoll {
                etag: feed.etag.clone(),
                last_modified: feed.last_modified.clone(),
                error: None,
            },
            Ok(Read::Entries(entries, poll)) => {
                take_entries(store.as_ref(), &feed, &entries)
                    .await
                    .map_err(retry)?;
                poll
            }
            Err(why) => FeedPoll {
                error: Some(why),
                ..FeedPoll::default()
            },
        };
        store
            .record_feed_poll(ws, feed.id, poll, now)
            .await
            .map_err(retry)?;
        store
            .enqueue_job(poll_job(
                ws,
                feed.id,
                Timestamp::from_millis(now.millis() + self.interval_ms),
            ))
            .await
            .map_err(retry)?;
        Ok(())
    }
}

/// Marks the entries seen and makes the posts of the new ones (none on the first good read).
async fn take_entries(
    store: &dyn Store,
    feed: &Feed,
    entries: &[FeedEntry],
) -> Result<(), StoreError> {
    let first_read = feed.last_success_at.is_none();
    // Read once per reading, not per entry.
    let mut channels = Vec::new();
    if !first_read {
        for id in &feed.channel_ids {
            if let Some(c) = store.channel(feed.workspace_id, *id).await? {
                channels.push(c);
            }
        }
    }
    let ws = match (first_read, feed.mode) {
        (false, FeedMode::Queue) => store.workspace_by_id(feed.workspace_id).await?,
        _ => None,
    };
    for entry in entries {
        let post = if first_read {
            None
        } else {
            Some(entry_post(store, feed, ws.as_ref(), &channels, entry).await?)
        };
        store
            .take_feed_entry(feed.workspace_id, feed.id, &entry.key, post)
            .await?;
    }
    Ok(())
}

/// The post an entry becomes: queued in the next free slot when the feed says so and a slot
/// is free (`ws` is given for a queued feed), else waiting for a person's review.
async fn entry_post(
    store: &dyn Store,
    feed: &Feed,
    ws: Option<&Workspace>,
    channels: &[Channel],
    entry: &FeedEntry,
) -> Result<PostToMake, StoreError> {
    // The slot is looked up per entry: each post made takes one.
    let slot = match ws {
        Some(ws) if !channels.is_empty() => {
            crate::queue::next_slot(store, ws, channels, Timestamp::now().millis()).await?
        }
        _ => None,
    };
    let (status, at, zone, plan) = match slot {
        Some((at, zone)) => {
            let at = Timestamp::from_millis(at);
            (
                PostStatus::Scheduled,
                Some(at),
                Some(zone),
                Some(publish_plan(at)),
            )
        }
        None => (PostStatus::PendingApproval, None, None, None),
    };
    let id = PostId::new();
    Ok(PostToMake {
        audit: audit_of(feed, id),
        post: NewPost {
            id,
            workspace_id: feed.workspace_id,
            author_id: None,
            author_label: format!("feed: {}", feed.name),
            status,
            parts: vec![PostPart {
                text: feeds::post_text(entry),
                media: Vec::new(),
            }],
            scheduled_at: at,
            time_zone: zone,
        },
        targets: channels
            .iter()
            .map(|c| NewTarget {
                id: TargetId::new(),
                channel_id: c.id,
                parts: None,
            })
            .collect(),
        plan,
    })
}

fn audit_of(feed: &Feed, post: PostId) -> AuditEvent {
    AuditEvent {
        workspace_id: Some(feed.workspace_id),
        actor: Actor {
            user_id: None,
            label: format!("feed: {}", feed.name),
            origin: "worker".into(),
        },
        action: "post.create".into(),
        target: post.to_string(),
        details: serde_json::json!({ "feed": feed.url }),
    }
}

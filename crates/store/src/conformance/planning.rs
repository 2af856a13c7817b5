//! Conformance scenarios of [`crate::PlanningStore`].

use std::sync::Arc;

use relais_core::{ChannelId, FeedId, PostId, TargetId, Timestamp, UserId, WorkspaceId};

use super::{audit, channel_in, new_post, slug, user};
use crate::planning::{FeedMode, FeedPoll, NewFeed, NewPostComment, OAuthConnection, PostToMake};
use crate::{Conflict, NewTarget, PostStatus, PublishPlan, Store, StoreError};

pub(super) async fn two_workspaces(store: &Arc<dyn Store>) -> (WorkspaceId, WorkspaceId) {
    let a = store
        .create_workspace(&slug("alpha"), "A", None, audit("workspace.create"))
        .await
        .unwrap();
    let b = store
        .create_workspace(&slug("bravo"), "B", None, audit("workspace.create"))
        .await
        .unwrap();
    (a.id, b.id)
}

pub async fn oauth_apps_and_connections(store: Arc<dyn Store>) {
    let (a, b) = two_workspaces(&store).await;
    let saved = store
        .save_oauth_app(
            a,
            "linkedin",
            "client-1",
            Some("sealed-1"),
            None,
            audit("oauth_app.save"),
        )
        .await
        .unwrap();
    assert_eq!(saved.client_secret.as_deref(), Some("sealed-1"));
    // A new client id without a secret keeps the stored secret.
    let again = store
        .save_oauth_app(
            a,
            "linkedin",
            "client-2",
            None,
            None,
            audit("oauth_app.save"),
        )
        .await
        .unwrap();
    assert_eq!(
        (again.client_id.as_str(), again.client_secret.as_deref()),
        ("client-2", Some("sealed-1"))
    );
    assert!(store.oauth_app(b, "linkedin").await.unwrap().is_none());
    assert_eq!(store.oauth_apps(a).await.unwrap().len(), 1);
    assert!(matches!(
        store
            .delete_oauth_app(b, "linkedin", audit("oauth_app.delete"))
            .await,
        Err(StoreError::NotFound(_))
    ));

    let who = user(&store, "cm@example.org").await;
    let now = Timestamp::now();
    let connection = |hash: &str, expires: Timestamp| OAuthConnection {
        state_hash: hash.into(),
        workspace_id: a,
        user_id: who,
        network: "linkedin".into(),
        verifier: "sealed-verifier".into(),
        redirect_uri: "https://relais.example/oauth/callback".into(),
        accounts: None,
        created_at: now,
        expires_at: expires,
    };
    store
        .start_oauth_connection(connection("live", now.plus_seconds(600)))
        .await
        .unwrap();
    store
        .start_oauth_connection(connection(
            "stale",
            Timestamp::from_millis(now.millis() + 1),
        ))
        .await
        .unwrap();
    let later = Timestamp::from_millis(now.millis() + 10);
    assert!(
        store
            .oauth_connection("stale", later)
            .await
            .unwrap()
            .is_none()
    );
    let live = store
        .oauth_connection("live", later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((live.user_id, live.accounts), (who, None));
    store
        .set_oauth_accounts("live", "sealed-accounts")
        .await
        .unwrap();
    assert_eq!(
        store
            .oauth_connection("live", later)
            .await
            .unwrap()
            .unwrap()
            .accounts
            .as_deref(),
        Some("sealed-accounts")
    );
    store.end_oauth_connection("live").await.unwrap();
    assert!(
        store
            .oauth_connection("live", later)
            .await
            .unwrap()
            .is_none()
    );
    store
        .delete_oauth_app(a, "linkedin", audit("oauth_app.delete"))
        .await
        .unwrap();
    assert!(store.oauth_apps(a).await.unwrap().is_empty());
}

pub async fn comments_stay_on_their_post(store: Arc<dyn Store>) {
    let (a, b) = two_workspaces(&store).await;
    let (post, _) = store
        .create_post(
            new_post(a, &["Brouillon"]),
            vec![],
            None,
            audit("post.create"),
        )
        .await
        .unwrap();
    let comment = |ws: WorkspaceId, post: PostId, body: &str| NewPostComment {
        workspace_id: ws,
        post_id: post,
        author_id: None,
        author_label: "Camille".into(),
        body: body.into(),
    };
    for body in ["Trop long ?", "Ajoute le lien"] {
        store
            .add_post_comment(comment(a, post.id, body), audit("post.comment"))
            .await
            .unwrap();
    }
    // Through another workspace, the post does not exist.
    assert!(matches!(
        store
            .add_post_comment(comment(b, post.id, "intrus"), audit("post.comment"))
            .await,
        Err(StoreError::NotFound(_))
    ));
    let listed = store.post_comments(a, post.id).await.unwrap();
    assert_eq!(
        listed.iter().map(|c| c.body.as_str()).collect::<Vec<_>>(),
        ["Trop long ?", "Ajoute le lien"]
    );
    assert!(store.post_comments(b, post.id).await.unwrap().is_empty());
}

pub async fn queue_slots_and_planned_times(store: Arc<dyn Store>) {
    let (a, b) = two_workspaces(&store).await;
    let ch = channel_in(&store, a, "one").await;
    let other = channel_in(&store, b, "two").await;
    store
        .set_queue_slots(
            a,
            ch,
            &[(1, 540), (3, 1020)],
            "Europe/Paris",
            audit("queue.set"),
        )
        .await
        .unwrap();
    // Setting again replaces; duplicates collapse; the week is in order.
    let slots = store
        .set_queue_slots(
            a,
            ch,
            &[(5, 600), (2, 540), (5, 600)],
            "Europe/Paris",
            audit("queue.set"),
        )
        .await
        .unwrap();
    assert_eq!(slots.len(), 2);
    let read = store.queue_slots(a, ch).await.unwrap();
    assert_eq!(
        read.iter()
            .map(|s| (s.weekday, s.minute))
            .collect::<Vec<_>>(),
        [(2, 540), (5, 600)]
    );
    assert!(matches!(
        store
            .set_queue_slots(a, other, &[(1, 60)], "UTC", audit("queue.set"))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(store.queue_slots(b, ch).await.unwrap().is_empty());

    let at = |ms: i64| Timestamp::from_millis(ms);
    let plan = |ms: i64| PublishPlan {
        job_kind: "publish.target".into(),
        run_at: at(ms),
        max_attempts: 3,
    };
    // The first waits for approval (it still takes its slot), the second is queued.
    let mut planned = Vec::new();
    for (ms, approved) in [(1_800_000_000_000, false), (1_800_000_600_000, true)] {
        let mut post = new_post(a, &["planifié"]);
        post.scheduled_at = Some(at(ms));
        if !approved {
            post.status = PostStatus::PendingApproval;
        }
        let target = NewTarget {
            id: TargetId::new(),
            channel_id: ch,
            parts: None,
        };
        let (p, _) = store
            .create_post(
                post,
                vec![target],
                approved.then(|| plan(ms)),
                audit("post.create"),
            )
            .await
            .unwrap();
        planned.push(p.id);
    }
    let window = |from: i64, to: i64| store.planned_times(a, ch, at(from), at(to));
    assert_eq!(
        window(1_700_000_000_000, 1_900_000_000_000).await.unwrap(),
        [at(1_800_000_000_000), at(1_800_000_600_000)]
    );
    assert_eq!(
        window(1_700_000_000_000, 1_800_000_600_000).await.unwrap(),
        [at(1_800_000_000_000)],
        "the window's end is excluded"
    );
    // A refused post frees its slot.
    store
        .decide_post(a, planned[0], None, audit("post.refuse"))
        .await
        .unwrap();
    assert_eq!(
        window(1_700_000_000_000, 1_900_000_000_000).await.unwrap(),
        [at(1_800_000_600_000)]
    );
    assert!(
        store
            .planned_times(b, ch, at(0), at(i64::MAX))
            .await
            .unwrap()
            .is_empty()
    );
}

fn feed(ws: WorkspaceId, url: &str, channels: Vec<ChannelId>) -> NewFeed {
    NewFeed {
        id: FeedId::new(),
        workspace_id: ws,
        name: "Blog".into(),
        url: url.into(),
        channel_ids: channels,
        mode: FeedMode::Draft,
        created_by: None::<UserId>,
    }
}

pub async fn feed_entries_make_one_post_each(store: Arc<dyn Store>) {
    let (a, b) = two_workspaces(&store).await;
    let ch = channel_in(&store, a, "one").await;
    let f = store
        .create_feed(
            feed(a, "https://blog.example/feed.xml", vec![ch]),
            audit("feed.create"),
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_feed(
                feed(a, "https://blog.example/feed.xml", vec![]),
                audit("feed.create")
            )
            .await,
        Err(StoreError::Conflict(Conflict::FeedTaken))
    ));
    // Another workspace may follow the same feed.
    store
        .create_feed(
            feed(b, "https://blog.example/feed.xml", vec![]),
            audit("feed.create"),
        )
        .await
        .unwrap();
    assert_eq!(store.feeds(a).await.unwrap()[0].channel_ids, [ch]);
    assert!(store.feed(b, f.id).await.unwrap().is_none());

    let entry_post = || {
        let mut post = new_post(a, &["Nouvel article https://blog.example/1"]);
        post.status = PostStatus::Draft;
        post.scheduled_at = None;
        PostToMake {
            post,
            audit: audit("post.create"),
            targets: vec![NewTarget {
                id: TargetId::new(),
                channel_id: ch,
                parts: None,
            }],
            plan: None,
        }
    };
    let first = entry_post();
    let first_id = first.post.id;
    assert!(
        store
            .take_feed_entry(a, f.id, "urn:1", Some(first))
            .await
            .unwrap()
    );
    assert!(
        !store
            .take_feed_entry(a, f.id, "urn:1", Some(entry_post()))
            .await
            .unwrap()
    );
    assert!(
        store
            .take_feed_entry(a, f.id, "urn:old", None)
            .await
            .unwrap()
    );
    let posts = store.posts(a, 50).await.unwrap();
    assert_eq!(posts.iter().map(|p| p.id).collect::<Vec<_>>(), [first_id]);

    // Many takers of one entry at once: one post.
    let mut handles = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        let post = entry_post();
        handles.push(tokio::spawn(async move {
            store.take_feed_entry(a, f.id, "urn:2", Some(post)).await
        }));
    }
    let mut taken = 0;
    for h in handles {
        if h.await.unwrap().unwrap() {
            taken += 1;
        }
    }
    assert_eq!(taken, 1);
    assert_eq!(store.posts(a, 50).await.unwrap().len(), 2);

    let polled = Timestamp::from_millis(1_800_000_000_000);
    let good = FeedPoll {
        etag: Some("\"v1\"".into()),
        last_modified: Some("Mon, 23 Nov 2026 08:00:00 GMT".into()),
        error: None,
    };
    store.record_feed_poll(a, f.id, good, polled).await.unwrap();
    let bad = FeedPoll {
        error: Some("the feed answered 500".into()),
        ..FeedPoll::default()
    };
    store.record_feed_poll(a, f.id, bad, polled).await.unwrap();
    let read = store.feed(a, f.id).await.unwrap().unwrap();
    assert_eq!(
        (
            read.etag.as_deref(),
            read.last_error.as_deref(),
            read.last_polled_at,
            read.last_success_at,
        ),
        (
            Some("\"v1\""),
            Some("the feed answered 500"),
            Some(polled),
            Some(polled)
        )
    );
    assert_eq!(
        store.feed(a, f.id).await.unwrap().unwrap().last_success_at,
        Some(polled)
    );
    store
        .delete_feed(a, f.id, audit("feed.delete"))
        .await
        .unwrap();
    assert!(store.feeds(a).await.unwrap().is_empty());
    // The post made from an entry stays.
    assert_eq!(store.posts(a, 50).await.unwrap().len(), 2);

    // A series is made whole.
    let series: Vec<PostToMake> = (0..3).map(|_| entry_post()).collect();
    let ids: Vec<PostId> = series.iter().map(|p| p.post.id).collect();
    let made = store.create_posts(series).await.unwrap();
    assert_eq!(made.iter().map(|(p, _)| p.id).collect::<Vec<_>>(), ids);
    for id in ids {
        assert_eq!(store.targets_of(a, id).await.unwrap().len(), 1);
    }
    assert_eq!(store.posts(a, 50).await.unwrap().len(), 5);
}

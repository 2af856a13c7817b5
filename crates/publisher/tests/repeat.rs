//! Recurring posts through the composer: every occurrence planned at once as a post of its own,
//! at the same local time in the post's zone, with its jobs; bad counts refused.
#![allow(clippy::unwrap_used)]

use relais_core::audit::{Actor, AuditEvent};
use relais_core::{ChannelId, Slug};
use relais_publish::plan::repeat::Every;
use relais_publish::plan::time;
use relais_publisher::compose::{self, Author, Compose};
use relais_store::{DatabaseLocation, NewChannel, PostStatus};

fn audit(action: &str) -> AuditEvent {
    AuditEvent {
        workspace_id: None,
        actor: Actor::cli(),
        action: action.into(),
        target: String::new(),
        details: serde_json::Value::Null,
    }
}

#[tokio::test]
async fn a_weekly_post_is_planned_whole_at_the_same_local_time() {
    let dir = tempfile::tempdir().unwrap().keep();
    let store = relais_store::open(&DatabaseLocation::parse(dir.to_str().unwrap()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let ws = store
        .create_workspace(
            &Slug::parse("acme").unwrap(),
            "Acme",
            None,
            audit("workspace.create"),
        )
        .await
        .unwrap();
    store
        .create_channel(
            NewChannel {
                id: ChannelId::new(),
                workspace_id: ws.id,
                network: "bluesky".into(),
                name: "bsky".into(),
                settings: serde_json::json!({}),
                secrets: Default::default(),
                created_by: None,
            },
            audit("channel.create"),
        )
        .await
        .unwrap();
    let author = Author {
        user_id: None,
        actor: Actor::cli(),
        needs_approval: false,
    };
    let request = |count: u32| Compose {
        channels: vec!["bsky".into()],
        texts: vec!["Le rendez-vous du lundi".into()],
        // Two weeks before the clocks go back in Paris.
        at: Some("2099-10-12 09:00".into()),
        time_zone: "Europe/Paris".into(),
        repeat: Some((Every::Week, count)),
        ..Compose::default()
    };
    let Err(refused) = compose::submit(store.as_ref(), &ws, &author, request(60)).await else {
        panic!("60 occurrences must be refused");
    };
    assert!(refused[0].en.contains("2 to 52"), "{refused:?}");
    assert!(
        store.posts(ws.id, 10).await.unwrap().is_empty(),
        "nothing made"
    );

    let Ok(made) = compose::submit(store.as_ref(), &ws, &author, request(4)).await else {
        panic!("4 weekly occurrences are fine");
    };
    assert_eq!(made.targets.len(), 1);
    let posts = store.posts(ws.id, 10).await.unwrap();
    assert_eq!(posts.len(), 4);
    let mut shown: Vec<String> = posts
        .iter()
        .map(|p| {
            assert_eq!(p.status, PostStatus::Scheduled);
            time::show(p.scheduled_at.unwrap().millis(), "Europe/Paris")
        })
        .collect();
    shown.sort();
    assert_eq!(
        shown,
        [
            "2099-10-12 09:00 +02:00",
            "2099-10-19 09:00 +02:00",
            "2099-10-26 09:00 +01:00",
            "2099-11-02 09:00 +01:00"
        ]
    );
    let queued: u64 = store
        .job_counts()
        .await
        .unwrap()
        .iter()
        .filter(|(s, _)| s == "queued")
        .map(|(_, n)| *n)
        .sum();
    assert_eq!(queued, 4, "one publication job per occurrence");
}

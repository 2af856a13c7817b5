//! Conformance scenarios of [`crate::LibraryStore`].

use std::sync::Arc;

use relais_core::audit::AuditEvent;
use relais_core::{MediaId, TargetId, Timestamp, WorkspaceId};

use super::planning::two_workspaces;
use super::{audit, channel_in, new_post};
use crate::{
    MediaDeletion, NewMedia, NewTarget, PartMedia, PostPart, PostStatus, PublishPlan, PublishedRef,
    Store,
};

fn ws_audit(ws: WorkspaceId, action: &str) -> AuditEvent {
    AuditEvent {
        workspace_id: Some(ws),
        ..audit(action)
    }
}

async fn media_in(
    store: &Arc<dyn Store>,
    ws: WorkspaceId,
    name: &str,
    thumbnail: Option<Vec<u8>>,
) -> MediaId {
    let media = NewMedia {
        id: MediaId::new(),
        workspace_id: ws,
        file_name: name.into(),
        mime: "image/jpeg".into(),
        alt: None,
        content: name.as_bytes().to_vec(),
        created_by: None,
        thumbnail,
    };
    store
        .create_media(media, ws_audit(ws, "media.create"))
        .await
        .unwrap()
        .id
}

/// How many audit lines of `ws` have `action`.
async fn audited(store: &Arc<dyn Store>, ws: WorkspaceId, action: &str) -> usize {
    let log = store.audit_log(Some(ws), None, 200).await.unwrap();
    log.iter().filter(|r| r.event.action == action).count()
}

fn using(id: MediaId) -> Vec<PostPart> {
    vec![PostPart {
        text: "avec image".into(),
        media: vec![PartMedia { id, alt: None }],
    }]
}

pub async fn media_library_lists_and_previews(store: Arc<dyn Store>) {
    let (a, b) = two_workspaces(&store).await;
    let jpeg = vec![0xff, 0xd8, 0, 0xff, 0xd9];
    let m1 = media_in(&store, a, "one.jpg", Some(jpeg.clone())).await;
    let m2 = media_in(&store, a, "two.mp4", None).await;
    let m3 = media_in(&store, a, "three.jpg", None).await;
    let other = media_in(&store, b, "theirs.jpg", Some(vec![1])).await;

    let ids = |list: Vec<crate::Media>| list.into_iter().map(|m| m.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.media_list(a, 10).await.unwrap()),
        vec![m3, m2, m1],
        "newest first, and only this workspace's"
    );
    assert_eq!(ids(store.media_list(a, 2).await.unwrap()), vec![m3, m2]);
    assert_eq!(ids(store.media_list(b, 10).await.unwrap()), vec![other]);

    let listed = store.media_list(a, 10).await.unwrap();
    let flags: Vec<bool> = listed.iter().map(|m| m.has_thumbnail).collect();
    assert_eq!(flags, vec![false, false, true]);
    let (read, _) = store.media(a, m1).await.unwrap().unwrap();
    assert!(read.has_thumbnail, "the full read says so too");
    assert_eq!(store.media_thumbnail(a, m1).await.unwrap(), Some(jpeg));
    assert_eq!(store.media_thumbnail(a, m2).await.unwrap(), None);
    assert_eq!(
        store.media_thumbnail(a, other).await.unwrap(),
        None,
        "not another workspace's"
    );

    let unknown = MediaId::new();
    assert_eq!(
        ids(store
            .media_infos(a, &[m3, unknown, other, m1, m3])
            .await
            .unwrap()),
        vec![m3, m1, m3],
        "in the order asked, unknown and foreign ids skipped"
    );
    assert!(store.media_infos(a, &[]).await.unwrap().is_empty());
    assert!(store.media_infos(b, &[m1, m2]).await.unwrap().is_empty());
    let info = &store.media_infos(a, &[m2]).await.unwrap()[0];
    assert_eq!(
        (info.file_name.as_str(), info.size, info.has_thumbnail),
        ("two.mp4", 7, false)
    );
}

pub async fn media_alt_text_changes_are_audited(store: Arc<dyn Store>) {
    let (a, b) = two_workspaces(&store).await;
    let m = media_in(&store, a, "logo.jpg", None).await;
    let alt = |s: &str| Some(s.to_owned());
    let read_alt = async |ws| store.media_infos(ws, &[m]).await.unwrap()[0].alt.clone();

    assert!(
        store
            .set_media_alt(a, m, alt("Le logo"), ws_audit(a, "media.alt"))
            .await
            .unwrap()
    );
    assert_eq!(read_alt(a).await, alt("Le logo"));
    assert_eq!(audited(&store, a, "media.alt").await, 1);
    assert!(
        store
            .set_media_alt(a, m, alt("Le logo"), ws_audit(a, "media.alt"))
            .await
            .unwrap(),
        "the same text: found, nothing to do"
    );
    assert_eq!(
        audited(&store, a, "media.alt").await,
        1,
        "no change, no line"
    );

    assert!(
        !store
            .set_media_alt(b, m, alt("volé"), ws_audit(b, "media.alt"))
            .await
            .unwrap(),
        "another workspace's media is not found"
    );
    assert!(
        !store
            .set_media_alt(a, MediaId::new(), None, ws_audit(a, "media.alt"))
            .await
            .unwrap()
    );
    assert_eq!(read_alt(a).await, alt("Le logo"));
    assert_eq!(audited(&store, b, "media.alt").await, 0);

    assert!(
        store
            .set_media_alt(a, m, None, ws_audit(a, "media.alt"))
            .await
            .unwrap()
    );
    assert_eq!(read_alt(a).await, None, "removed");
    assert_eq!(audited(&store, a, "media.alt").await, 2);
}

pub async fn media_in_use_are_kept(store: Arc<dyn Store>) {
    let (a, b) = two_workspaces(&store).await;
    let c = channel_in(&store, a, "one").await;
    let cb = channel_in(&store, b, "theirs").await;
    let m = media_in(&store, a, "photo.jpg", None).await;
    let plan = || PublishPlan {
        job_kind: "publish.target".into(),
        run_at: Timestamp::now(),
        max_attempts: 3,
    };
    let target = |channel, parts| NewTarget {
        id: TargetId::new(),
        channel_id: channel,
        parts,
    };
    let delete = async |ws, id| {
        store
            .delete_media(ws, id, ws_audit(ws, "media.delete"))
            .await
            .unwrap()
    };

    // A scheduled post uses it in its parts.
    let t1 = target(c, None);
    let t1_id = t1.id;
    let scheduled = crate::NewPost {
        parts: using(m),
        ..new_post(a, &[])
    };
    store
        .create_post(scheduled, vec![t1], Some(plan()), audit("post.create"))
        .await
        .unwrap();
    assert_eq!(delete(a, m).await, MediaDeletion::InUse { posts: 1 });

    // A post waiting for approval uses it in one channel's variant only.
    let pending = crate::NewPost {
        status: PostStatus::PendingApproval,
        ..new_post(a, &["sans image ici"])
    };
    let (p2, _) = store
        .create_post(
            pending,
            vec![target(c, Some(using(m)))],
            None,
            audit("post.create"),
        )
        .await
        .unwrap();
    // Another workspace's post naming the same id does not count.
    let foreign = crate::NewPost {
        parts: using(m),
        ..new_post(b, &[])
    };
    store
        .create_post(foreign, vec![target(cb, None)], None, audit("post.create"))
        .await
        .unwrap();
    assert_eq!(delete(a, m).await, MediaDeletion::InUse { posts: 2 });

    // Refused (cancelled), the variant lets it go.
    store
        .decide_post(a, p2.id, None, audit("post.refuse"))
        .await
        .unwrap();
    assert_eq!(delete(a, m).await, MediaDeletion::InUse { posts: 1 });
    assert!(store.media(a, m).await.unwrap().is_some(), "kept");
    assert_eq!(audited(&store, a, "media.delete").await, 0);

    // Published, the post lets it go too.
    store.begin_target_part(a, t1_id, 0).await.unwrap();
    let published = PublishedRef {
        id: "1".into(),
        version: None,
        url: "https://example.org/1".into(),
    };
    store
        .record_target_part(a, t1_id, 0, published, 1, None, None)
        .await
        .unwrap();
    assert_eq!(delete(a, m).await, MediaDeletion::Deleted);
    assert!(store.media(a, m).await.unwrap().is_none());
    assert_eq!(audited(&store, a, "media.delete").await, 1);
    assert_eq!(delete(a, m).await, MediaDeletion::NotFound);

    // A failed post may be retried: it still holds its media.
    let kept = media_in(&store, a, "retry.jpg", None).await;
    let t3 = target(c, None);
    let t3_id = t3.id;
    let failing = crate::NewPost {
        parts: using(kept),
        ..new_post(a, &[])
    };
    let (p3, _) = store
        .create_post(failing, vec![t3], Some(plan()), audit("post.create"))
        .await
        .unwrap();
    store.fail_target(a, t3_id, "refusé", true).await.unwrap();
    let failed = store.post(a, p3.id).await.unwrap().unwrap();
    assert_eq!(failed.status, PostStatus::Failed);
    assert_eq!(delete(a, kept).await, MediaDeletion::InUse { posts: 1 });

    // Another workspace's media is not found, and stays.
    let theirs = media_in(&store, b, "theirs.jpg", None).await;
    assert_eq!(delete(a, theirs).await, MediaDeletion::NotFound);
    assert!(store.media(b, theirs).await.unwrap().is_some());
    assert_eq!(delete(b, theirs).await, MediaDeletion::Deleted);
}

//! The media library and the composer's files over HTTP: uploads as multipart forms (CSRF
//! token first), thumbnails and originals served to members of the workspace only, alternative
//! texts, deletion refused while a post still to go uses a file, and the composer with a text
//! per channel, a first comment, an upload and a library file, repetitions, and its live
//! checks' per-network preview.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::*;
use relais_core::{ChannelId, MediaId, Role};
use relais_store::{Media, NewChannel, PostStatus, PublishedRef, Workspace};

struct Fixture {
    app: App,
    ws: Workspace,
    /// Another workspace, with its own editor (`editor@beta.test`).
    beta: Workspace,
}

async fn add_channel(app: &App, ws: &Workspace, network: &str, name: &str) {
    let settings = match network {
        "bluesky" => {
            serde_json::json!({ "service": "https://pds.example", "handle": "brand.example" })
        }
        "mastodon" => serde_json::json!({ "instance": "https://mastodon.example" }),
        _ => serde_json::json!({ "account": "17841400000000000" }),
    };
    app.store
        .create_channel(
            NewChannel {
                id: ChannelId::new(),
                workspace_id: ws.id,
                network: network.into(),
                name: name.into(),
                settings,
                secrets: Default::default(),
                created_by: None,
            },
            cli_audit("channel.create"),
        )
        .await
        .unwrap();
}

async fn fixture() -> Fixture {
    let app = app().await;
    let ws = add_workspace(&app, "alpha").await;
    for role in Role::ALL {
        let id = add_user(
            &app,
            &format!("{}@alpha.test", role.as_str()),
            role == Role::Admin,
        )
        .await;
        add_member(&app, &ws, id, role).await;
    }
    add_channel(&app, &ws, "bluesky", "Bluesky FR").await;
    add_channel(&app, &ws, "mastodon", "Mastodon").await;
    add_channel(&app, &ws, "instagram", "Instagram").await;
    let beta = add_workspace(&app, "beta").await;
    let stranger = add_user(&app, "editor@beta.test", false).await;
    add_member(&app, &beta, stranger, Role::Editor).await;
    Fixture { app, ws, beta }
}

async fn as_role(f: &Fixture, role: Role) -> Browser {
    let mut b = Browser::new(&f.app);
    b.login(&format!("{}@alpha.test", role.as_str())).await;
    b.get("/w/alpha/publish/media").await;
    b
}

/// The library, newest first.
async fn library(f: &Fixture) -> Vec<Media> {
    f.app.store.media_list(f.ws.id, 100).await.unwrap()
}

async fn media_named(f: &Fixture, name: &str) -> Media {
    library(f)
        .await
        .into_iter()
        .find(|m| m.file_name == name)
        .unwrap_or_else(|| panic!("{name} is not in the library"))
}

/// Adds one PNG through the library page as this browser's user and returns it.
async fn upload_png(f: &Fixture, b: &mut Browser, name: &str, rgb: [u8; 3]) -> Media {
    b.get("/w/alpha/publish/media").await;
    let bytes = png(12, 8, rgb);
    let a = b
        .post_multipart(
            "/w/alpha/publish/media",
            &[("alt", "")],
            &[Upload::new("file", name, "image/png", &bytes)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    media_named(f, name).await
}

fn header<'a>(a: &'a Answer, name: &str) -> &'a str {
    a.headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn contributors_add_images_with_their_alt_text_and_members_see_thumbnails_and_originals() {
    let f = fixture().await;
    let mut contributor = as_role(&f, Role::Contributor).await;
    let stand = png(640, 480, [200, 30, 30]);
    let hall = png(16, 16, [30, 30, 200]);
    let a = contributor
        .post_multipart(
            "/w/alpha/publish/media",
            &[("alt", "  Our stand at the fair  ")],
            &[
                Upload::new("file", "stand.png", "image/png", &stand),
                // What a browser claims is not what is kept: the bytes say PNG.
                Upload::new("file", "hall.png", "application/octet-stream", &hall),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(
        a.location.as_deref(),
        Some("/w/alpha/publish/media?done=added")
    );

    let files = library(&f).await;
    assert_eq!(files.len(), 2);
    let stand_m = media_named(&f, "stand.png").await;
    let hall_m = media_named(&f, "hall.png").await;
    assert_eq!(
        stand_m.alt.as_deref(),
        Some("Our stand at the fair"),
        "the alt text, trimmed, goes with the first file"
    );
    assert_eq!(stand_m.mime, "image/png");
    assert_eq!(hall_m.mime, "image/png", "typed from the bytes");
    assert_eq!(stand_m.size, stand.len() as u64);
    assert!(stand_m.has_thumbnail && hall_m.has_thumbnail);

    let page = contributor.get("/w/alpha/publish/media?done=added").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Added to the library."));
    for (m, bytes) in [(&stand_m, &stand), (&hall_m, &hall)] {
        assert!(page.body.contains(&m.file_name));
        let thumb_url = format!("/w/alpha/publish/media/{}/thumb", m.id);
        assert!(
            page.body.contains(&format!("<img src=\"{thumb_url}\"")),
            "a thumbnail for {}",
            m.file_name
        );
        let thumb = contributor.get(&thumb_url).await;
        assert_eq!(thumb.status, StatusCode::OK);
        assert_eq!(header(&thumb, "content-type"), "image/jpeg");
        assert!(
            thumb.bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
            "a JPEG thumbnail"
        );
        assert_eq!(header(&thumb, "x-content-type-options"), "nosniff");

        let original = contributor
            .get(&format!("/w/alpha/publish/media/{}/file", m.id))
            .await;
        assert_eq!(original.status, StatusCode::OK);
        assert_eq!(&original.bytes, bytes, "the original, byte for byte");
        assert_eq!(header(&original, "content-type"), "image/png");
        assert_eq!(header(&original, "x-content-type-options"), "nosniff");
        assert!(header(&original, "content-security-policy").contains("sandbox"));
    }
    assert!(
        page.body.contains("Our stand at the fair"),
        "the alt text is shown"
    );
    // A thumbnail is small, whatever the size of the original.
    let thumb = contributor
        .get(&format!("/w/alpha/publish/media/{}/thumb", stand_m.id))
        .await;
    assert!(thumb.bytes.len() < stand.len());

    // Members who only read see the files too, without the forms.
    let mut analyst = as_role(&f, Role::Analyst).await;
    let page = analyst.get("/w/alpha/publish/media").await;
    assert!(page.body.contains("stand.png") && !page.body.contains("id=\"library-upload\""));
    let thumb = analyst
        .get(&format!("/w/alpha/publish/media/{}/thumb", hall_m.id))
        .await;
    assert_eq!(thumb.status, StatusCode::OK);

    let log = f
        .app
        .store
        .audit_log(Some(f.ws.id), None, 20)
        .await
        .unwrap();
    assert_eq!(
        log.iter()
            .filter(|r| r.event.action == "media.create"
                && r.event.actor.label == "contributor@alpha.test")
            .count(),
        2,
        "each file added is in the audit log"
    );
}

#[tokio::test]
async fn a_file_that_is_not_an_image_or_a_video_is_refused_by_name_and_nothing_is_added() {
    let f = fixture().await;
    let mut editor = as_role(&f, Role::Editor).await;
    let good = png(4, 4, [0, 128, 0]);
    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n".to_vec();
    let a = editor
        .post_multipart(
            "/w/alpha/publish/media",
            &[("alt", "")],
            &[
                Upload::new("file", "logo.png", "image/png", &good),
                // Named and typed as an image by the browser: the bytes decide.
                Upload::new("file", "brochure.pdf", "image/png", &pdf),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(
        a.body.contains("brochure.pdf") && a.body.contains("is neither an image"),
        "the refusal names the file"
    );
    assert!(
        library(&f).await.is_empty(),
        "nothing is half-added, not even the good file"
    );

    let none = editor
        .post_multipart("/w/alpha/publish/media", &[("alt", "")], &[])
        .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(none.body.contains("Choose at least one file"));
    assert!(library(&f).await.is_empty());
}

#[tokio::test]
async fn roles_csrf_and_workspaces_guard_the_library() {
    let f = fixture().await;
    let mut contributor = as_role(&f, Role::Contributor).await;
    let m = upload_png(&f, &mut contributor, "guarded.png", [9, 9, 9]).await;
    let alt_url = format!("/w/alpha/publish/media/{}/alt", m.id);
    let delete_url = format!("/w/alpha/publish/media/{}/delete", m.id);
    let bytes = png(4, 4, [1, 2, 3]);
    let file = [Upload::new("file", "more.png", "image/png", &bytes)];

    let mut analyst = as_role(&f, Role::Analyst).await;
    assert_eq!(
        analyst
            .post_multipart("/w/alpha/publish/media", &[], &file)
            .await
            .status,
        StatusCode::FORBIDDEN,
        "analysts do not upload"
    );
    assert_eq!(
        analyst.post(&alt_url, &[("alt", "mine")]).await.status,
        StatusCode::FORBIDDEN,
        "nor change alt texts"
    );
    assert_eq!(
        analyst.post(&delete_url, &[]).await.status,
        StatusCode::FORBIDDEN,
        "nor delete"
    );
    let page = contributor.get("/w/alpha/publish/media").await;
    assert!(
        !page.body.contains(&delete_url),
        "contributors are not offered deletion"
    );
    assert_eq!(
        contributor.post(&delete_url, &[]).await.status,
        StatusCode::FORBIDDEN,
        "deleting is for editors"
    );
    assert_eq!(library(&f).await.len(), 1);
    assert_eq!(
        library(&f).await[0].alt,
        None,
        "refused changes changed nothing"
    );

    // A member of another workspace sees nothing of this one, by either workspace's address.
    let mut stranger = Browser::new(&f.app);
    stranger.login("editor@beta.test").await;
    for slug in ["alpha", "beta"] {
        for what in ["thumb", "file"] {
            assert_eq!(
                stranger
                    .get(&format!("/w/{slug}/publish/media/{}/{what}", m.id))
                    .await
                    .status,
                StatusCode::NOT_FOUND,
                "/w/{slug}/…/{what}"
            );
        }
    }
    stranger.get("/w/beta/publish/media").await;
    assert_eq!(
        stranger
            .post(&format!("/w/beta/publish/media/{}/delete", m.id), &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        stranger
            .post(
                &format!("/w/beta/publish/media/{}/alt", m.id),
                &[("alt", "x")]
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(library(&f).await.len(), 1, "still there");
    // Their own upload stays in their workspace, and alpha's pages do not see it.
    let theirs = png(4, 4, [7, 7, 7]);
    let a = stranger
        .post_multipart(
            "/w/beta/publish/media",
            &[],
            &[Upload::new("file", "beta.png", "image/png", &theirs)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let beta_id = f.app.store.media_list(f.beta.id, 10).await.unwrap()[0].id;
    assert_eq!(library(&f).await.len(), 1);
    let mut editor = as_role(&f, Role::Editor).await;
    assert_eq!(
        editor
            .get(&format!("/w/alpha/publish/media/{beta_id}/file"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A multipart form needs its token like any other.
    let before = library(&f).await.len();
    let a = editor
        .post_multipart_raw("/w/alpha/publish/media", &[], &file)
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "no token");
    let a = editor
        .post_multipart_raw("/w/alpha/publish/media", &[("csrf", "forged")], &file)
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "a wrong token");
    assert_eq!(library(&f).await.len(), before);

    // A visitor who is not signed in stores nothing, with or without a token of their own.
    let mut visitor = Browser::new(&f.app);
    visitor.get("/login").await;
    let a = visitor
        .post_multipart("/w/alpha/publish/media", &[], &file)
        .await;
    assert!(!a.status.is_success(), "{}", a.status);
    let token = visitor.csrf.clone().unwrap();
    let (content_type, body) = multipart_body(&[], &file);
    let a = visitor
        .send(
            axum::http::Request::post("/w/alpha/publish/media")
                .header("cookie", cookie_header(&visitor))
                .header("content-type", content_type)
                .header("x-csrf-token", token)
                .body(axum::body::Body::from(body))
                .unwrap(),
        )
        .await;
    assert!(!a.status.is_success(), "{}", a.status);
    // Nor may a visitor make Relais read a large body.
    let big = vec![0u8; 2 << 20];
    let a = visitor
        .post_multipart(
            "/w/alpha/publish/media",
            &[],
            &[Upload::new("file", "big.png", "image/png", &big)],
        )
        .await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(library(&f).await.len(), before, "nothing stored");
}

fn cookie_header(b: &Browser) -> String {
    b.cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test]
async fn editors_change_alt_texts_and_the_change_is_logged() {
    let f = fixture().await;
    let mut editor = as_role(&f, Role::Editor).await;
    let m = upload_png(&f, &mut editor, "team.png", [50, 60, 70]).await;
    assert_eq!(m.alt, None);
    let alt_url = format!("/w/alpha/publish/media/{}/alt", m.id);
    let a = editor
        .post(&alt_url, &[("alt", " The team around a table ")])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(
        a.location.as_deref(),
        Some("/w/alpha/publish/media?done=alt")
    );
    let stored = f.app.store.media_infos(f.ws.id, &[m.id]).await.unwrap();
    assert_eq!(stored[0].alt.as_deref(), Some("The team around a table"));
    let page = editor.get("/w/alpha/publish/media?done=alt").await;
    assert!(page.body.contains("Alternative text saved."));
    assert!(page.body.contains(">The team around a table</textarea>"));
    let log = f
        .app
        .store
        .audit_log(Some(f.ws.id), None, 20)
        .await
        .unwrap();
    assert!(
        log.iter().any(|r| r.event.action == "media.alt"
            && r.event.target == m.id.to_string()
            && r.event.actor.label == "editor@alpha.test"),
        "the change is in the audit log"
    );

    let long = "a".repeat(5_001);
    let a = editor.post(&alt_url, &[("alt", &long)]).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let stored = f.app.store.media_infos(f.ws.id, &[m.id]).await.unwrap();
    assert_eq!(
        stored[0].alt.as_deref(),
        Some("The team around a table"),
        "a refused text changes nothing"
    );

    let a = editor.post(&alt_url, &[("alt", "   ")]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let stored = f.app.store.media_infos(f.ws.id, &[m.id]).await.unwrap();
    assert_eq!(stored[0].alt, None, "a blank text removes it");

    for id in [MediaId::new().to_string(), "not-an-id".to_owned()] {
        assert_eq!(
            editor
                .post(&format!("/w/alpha/publish/media/{id}/alt"), &[("alt", "x")])
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn a_file_a_post_still_to_go_uses_is_kept_until_the_post_is_cancelled_or_published() {
    let f = fixture().await;
    let mut editor = as_role(&f, Role::Editor).await;
    let planned = upload_png(&f, &mut editor, "planned.png", [10, 200, 10]).await;
    let waiting = upload_png(&f, &mut editor, "waiting.png", [10, 10, 200]).await;

    // An editor's post, planned; a contributor's, waiting for approval.
    editor.get("/w/alpha/publish").await;
    let a = editor
        .post(
            "/w/alpha/publish",
            &[
                ("channel", "Bluesky FR"),
                ("text", "Demain au salon"),
                ("media", &planned.id.to_string()),
                ("at", "2031-05-01T09:00"),
                ("time_zone", "Europe/Paris"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let mut contributor = as_role(&f, Role::Contributor).await;
    contributor.get("/w/alpha/publish").await;
    let a = contributor
        .post(
            "/w/alpha/publish",
            &[
                ("channel", "Mastodon"),
                ("text", "Une idée avec photo"),
                ("media", &waiting.id.to_string()),
                ("time_zone", "UTC"),
            ],
        )
        .await;
    assert_eq!(a.location.as_deref(), Some("/w/alpha/publish?done=pending"));
    let posts = f.app.store.posts(f.ws.id, 10).await.unwrap();
    let scheduled = posts
        .iter()
        .find(|p| p.status == PostStatus::Scheduled)
        .unwrap()
        .clone();
    let pending = posts
        .iter()
        .find(|p| p.status == PostStatus::PendingApproval)
        .unwrap()
        .clone();

    editor.get("/w/alpha/publish/media").await;
    for m in [&planned, &waiting] {
        let a = editor
            .post(&format!("/w/alpha/publish/media/{}/delete", m.id), &[])
            .await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{} is in use",
            m.file_name
        );
        assert!(
            a.body
                .contains("This file is still used by 1 post(s) not yet published"),
            "the page says why"
        );
        assert!(a.body.contains(&m.file_name), "the library is shown again");
    }
    assert_eq!(library(&f).await.len(), 2, "both kept");

    // Refused, the contributor's post is cancelled: its file may go.
    editor.get("/w/alpha/publish").await;
    let refused = editor
        .post(
            &format!("/w/alpha/publish/posts/{}/refuse", pending.id),
            &[],
        )
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert_eq!(
        f.app
            .store
            .post(f.ws.id, pending.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        PostStatus::Cancelled
    );
    let a = editor
        .post(
            &format!("/w/alpha/publish/media/{}/delete", waiting.id),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(
        a.location.as_deref(),
        Some("/w/alpha/publish/media?done=deleted")
    );
    assert_eq!(
        editor
            .get(&format!("/w/alpha/publish/media/{}/thumb", waiting.id))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "gone"
    );

    // Published, the planned post needs its file no more.
    for t in f.app.store.targets_of(f.ws.id, scheduled.id).await.unwrap() {
        f.app
            .store
            .begin_target_part(f.ws.id, t.id, 0)
            .await
            .unwrap();
        f.app
            .store
            .record_target_part(
                f.ws.id,
                t.id,
                0,
                PublishedRef {
                    id: "at://did:plc:brand/app.bsky.feed.post/1".into(),
                    version: None,
                    url: "https://bsky.app/profile/brand.example/post/1".into(),
                },
                1,
                None,
                None,
            )
            .await
            .unwrap();
    }
    assert_eq!(
        f.app
            .store
            .post(f.ws.id, scheduled.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        PostStatus::Published
    );
    editor.get("/w/alpha/publish/media").await;
    let a = editor
        .post(
            &format!("/w/alpha/publish/media/{}/delete", planned.id),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(library(&f).await.is_empty());
    assert_eq!(
        editor
            .post(
                &format!("/w/alpha/publish/media/{}/delete", planned.id),
                &[]
            )
            .await
            .status,
        StatusCode::NOT_FOUND,
        "deleted once"
    );
    let log = f
        .app
        .store
        .audit_log(Some(f.ws.id), None, 50)
        .await
        .unwrap();
    assert_eq!(
        log.iter()
            .filter(|r| r.event.action == "media.delete")
            .count(),
        2,
        "only the deletions that happened are logged"
    );
}

#[tokio::test]
async fn the_composer_sends_a_text_per_channel_a_first_comment_an_upload_and_a_library_file() {
    let f = fixture().await;
    let mut editor = as_role(&f, Role::Editor).await;
    let kept = upload_png(&f, &mut editor, "kept.png", [90, 90, 10]).await;
    editor.get("/w/alpha/publish").await;
    let fresh = png(20, 10, [250, 120, 0]);
    let kept_id = kept.id.to_string();
    let a = editor
        .post_multipart(
            "/w/alpha/publish",
            &[
                ("channel", "Bluesky FR"),
                ("channel", "Mastodon"),
                ("text", "Common text for everyone"),
                // The browser sends every channel's box, the empty ones too.
                ("variant:Bluesky FR", ""),
                ("variant:Mastodon", "Mastodon's own text"),
                ("variant:Instagram", "  "),
                ("first_comment", "More in the first comment"),
                ("media", &kept_id),
                ("upload_alt", "A fresh orange banner"),
                ("at", ""),
                ("time_zone", "Europe/Paris"),
                ("repeat", ""),
                ("repeat_count", "4"),
            ],
            &[Upload::new("upload", "fresh.png", "image/png", &fresh)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.location.as_deref(), Some("/w/alpha/publish?done=queued"));

    let uploaded = media_named(&f, "fresh.png").await;
    assert_eq!(uploaded.alt.as_deref(), Some("A fresh orange banner"));
    assert_eq!(library(&f).await.len(), 2, "the upload joined the library");

    let posts = f.app.store.posts(f.ws.id, 10).await.unwrap();
    assert_eq!(posts.len(), 1);
    let post = &posts[0];
    assert_eq!(post.status, PostStatus::Scheduled);
    let texts: Vec<&str> = post.parts.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(
        texts,
        ["Common text for everyone", "More in the first comment"],
        "the common text, then the first comment"
    );
    let ids: Vec<MediaId> = post.parts[0].media.iter().map(|m| m.id).collect();
    assert_eq!(
        ids,
        [kept.id, uploaded.id],
        "the files on the first part: those ticked, then those uploaded"
    );
    assert!(
        post.parts[0].media.iter().all(|m| m.alt.is_none()),
        "the library's alt texts apply"
    );
    assert!(
        post.parts[1].media.is_empty(),
        "the first comment has no file"
    );

    let mastodon = f
        .app
        .store
        .channel_by_name(f.ws.id, "Mastodon")
        .await
        .unwrap()
        .unwrap();
    let targets = f.app.store.targets_of(f.ws.id, post.id).await.unwrap();
    assert_eq!(targets.len(), 2);
    for t in &targets {
        if t.channel_id == mastodon.id {
            let own = t.parts.as_ref().expect("Mastodon has its own parts");
            let texts: Vec<&str> = own.iter().map(|p| p.text.as_str()).collect();
            assert_eq!(texts, ["Mastodon's own text", "More in the first comment"]);
            let ids: Vec<MediaId> = own[0].media.iter().map(|m| m.id).collect();
            assert_eq!(ids, [kept.id, uploaded.id], "with the same files");
            assert!(own[1].media.is_empty());
        } else {
            assert_eq!(t.parts, None, "Bluesky reads the post's parts");
        }
    }
    // The post's page shows the editor what each channel will get.
    let page = editor
        .get(&format!("/w/alpha/publish/posts/{}", post.id))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(
            "<blockquote class=\"post-text\" data-own-text>Mastodon&#39;s own text</blockquote>"
        ) || page.body.contains(
            "<blockquote class=\"post-text\" data-own-text>Mastodon&#x27;s own text</blockquote>"
        ),
        "{}",
        page.body
    );
    assert_eq!(
        page.body.matches("data-own-text").count(),
        2,
        "the variant and its first comment"
    );
    let queued = f
        .app
        .store
        .job_counts()
        .await
        .unwrap()
        .into_iter()
        .find(|(s, _)| s == "queued")
        .map_or(0, |(_, n)| n);
    assert_eq!(queued, 2, "one publication job per channel");

    // A library file that is not (or no longer) this workspace's is refused.
    let a = editor
        .post_multipart(
            "/w/alpha/publish",
            &[
                ("channel", "Bluesky FR"),
                ("text", "With a file from elsewhere"),
                ("media", &MediaId::new().to_string()),
                ("time_zone", "UTC"),
            ],
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("is no longer in the library"), "{}", a.body);
    assert_eq!(f.app.store.posts(f.ws.id, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_refused_post_keeps_its_upload_in_the_library_ticked_for_the_next_try() {
    let f = fixture().await;
    let mut editor = as_role(&f, Role::Editor).await;
    editor.get("/w/alpha/publish").await;
    let photo = png(30, 30, [0, 90, 180]);
    let long = "é".repeat(301);
    let a = editor
        .post_multipart(
            "/w/alpha/publish",
            &[
                ("channel", "Bluesky FR"),
                ("text", &long),
                ("upload_alt", "The harbour at dawn"),
                ("time_zone", "UTC"),
            ],
            &[Upload::new("upload", "harbour.png", "image/png", &photo)],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let refusal = a
        .body
        .split("<li>")
        .find(|li| li.starts_with("Bluesky FR: "))
        .expect("a refusal for the channel");
    assert!(
        refusal[..refusal.find("</li>").unwrap()].contains("300"),
        "the refusal names the network's limit: {refusal}"
    );
    assert!(a.body.contains(&long), "the text typed is kept");
    assert!(f.app.store.posts(f.ws.id, 10).await.unwrap().is_empty());
    let files = library(&f).await;
    assert_eq!(files.len(), 1, "the upload is in the library");
    let m = &files[0];
    assert_eq!(
        (m.file_name.as_str(), m.alt.as_deref()),
        ("harbour.png", Some("The harbour at dawn"))
    );
    assert!(
        a.body
            .contains(&format!("name=\"media\" value=\"{}\" checked", m.id)),
        "ticked in the form sent back"
    );

    // The next try sends the ticked file, not the bytes again.
    let id = m.id.to_string();
    let a = editor
        .post_multipart(
            "/w/alpha/publish",
            &[
                ("channel", "Bluesky FR"),
                ("text", "Short enough now"),
                ("media", &id),
                ("time_zone", "UTC"),
            ],
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(library(&f).await.len(), 1, "no copy of the file");
    let post = f.app.store.posts(f.ws.id, 1).await.unwrap().remove(0);
    assert_eq!(post.parts[0].media[0].id, m.id);

    // A file that is not an image refuses the post too, and keeps what was typed.
    let a = editor
        .post_multipart(
            "/w/alpha/publish",
            &[
                ("channel", "Bluesky FR"),
                ("text", "With a document"),
                ("time_zone", "UTC"),
            ],
            &[Upload::new(
                "upload",
                "notes.txt",
                "text/plain",
                b"just text",
            )],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("notes.txt") && a.body.contains("With a document"));
    assert_eq!(f.app.store.posts(f.ws.id, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_weekly_repetition_plans_every_occurrence_at_the_same_local_time() {
    let f = fixture().await;
    let mut editor = as_role(&f, Role::Editor).await;
    editor.get("/w/alpha/publish").await;
    let form = |every: &'static str, count: &'static str| {
        vec![
            ("channel", "Bluesky FR"),
            ("text", "Le rendez-vous de la semaine"),
            ("at", "2031-03-17T09:00"),
            ("time_zone", "Europe/Paris"),
            ("repeat", every),
            ("repeat_count", count),
        ]
    };
    let a = editor.post("/w/alpha/publish", &form("weekly", "3")).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let mut posts = f.app.store.posts(f.ws.id, 10).await.unwrap();
    assert_eq!(posts.len(), 3, "three posts planned");
    posts.sort_by_key(|p| p.scheduled_at.unwrap().millis());
    let shown: Vec<String> = posts
        .iter()
        .map(|p| relais_publish::plan::time::show(p.scheduled_at.unwrap().millis(), "Europe/Paris"))
        .collect();
    assert_eq!(
        shown,
        [
            "2031-03-17 09:00 +01:00",
            "2031-03-24 09:00 +01:00",
            "2031-03-31 09:00 +02:00"
        ],
        "a week apart, 09:00 in Paris across the change to summer time"
    );
    assert!(
        posts.iter().all(|p| p.status == PostStatus::Scheduled
            && p.parts[0].text == "Le rendez-vous de la semaine")
    );
    let queued = f
        .app
        .store
        .job_counts()
        .await
        .unwrap()
        .into_iter()
        .find(|(s, _)| s == "queued")
        .map_or(0, |(_, n)| n);
    assert_eq!(queued, 3, "each occurrence has its job");

    for (every, count, why) in [
        ("weekly", "1", "2 to 52"),
        ("weekly", "many", "number of times"),
        ("fortnightly", "3", "every day, week or month"),
    ] {
        let a = editor.post("/w/alpha/publish", &form(every, count)).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{every} {count}"
        );
        assert!(a.body.contains(why), "{every} {count}: {why}");
    }
    assert_eq!(
        f.app.store.posts(f.ws.id, 10).await.unwrap().len(),
        3,
        "refusals plan nothing"
    );
}

/// The check endpoint's answer for one channel.
async fn check(b: &mut Browser, body: serde_json::Value) -> serde_json::Value {
    let a = b.post_json("/w/alpha/publish/check", &body).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let all = a.json();
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
    all[0].clone()
}

fn segments(part: &serde_json::Value) -> Vec<(String, String, Option<String>)> {
    part["visible"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap().to_owned(),
                s["shown"].as_str().unwrap().to_owned(),
                s["target"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn problems(result: &serde_json::Value) -> Vec<String> {
    result["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn live_checks_preview_each_network_and_count_the_library_files() {
    let f = fixture().await;
    let mut editor = as_role(&f, Role::Editor).await;
    editor.get("/w/alpha/publish").await;

    let text = "Read https://example.org/news with @alice.bsky.social #relais";
    let r = check(
        &mut editor,
        serde_json::json!({ "channels": ["Bluesky FR"], "text": text }),
    )
    .await;
    assert_eq!(r["network"], "bluesky");
    let preview = r["preview"].as_array().unwrap();
    assert_eq!(preview.len(), 1);
    let s = |k: &str, shown: &str| (k.to_owned(), shown.to_owned());
    let got: Vec<(String, String)> = segments(&preview[0])
        .into_iter()
        .map(|(k, shown, _)| (k, shown))
        .collect();
    assert_eq!(
        got,
        [
            s("text", "Read "),
            s("link", "https://example.org/news"),
            s("text", " with "),
            s("mention", "@alice.bsky.social"),
            s("text", " "),
            s("tag", "#relais"),
        ]
    );
    assert!(preview[0]["folded"].as_array().unwrap().is_empty());
    assert_eq!(r["media"], 0);

    // Mastodon shortens a long link where it shows it, and links to all of it; a first
    // comment is a part of its own; a channel's own text replaces the common one.
    let link = "https://www.example.org/a/very/long/path/to/the/spring/programme";
    let r = check(
        &mut editor,
        serde_json::json!({
            "channels": ["Mastodon"],
            "text": "common text",
            "variants": { "Mastodon": format!("Programme: {link}") },
            "first_comment": "Questions welcome",
        }),
    )
    .await;
    let preview = r["preview"].as_array().unwrap();
    assert_eq!(preview.len(), 2, "the variant, then the first comment");
    let first = segments(&preview[0]);
    assert_eq!(
        first[0].1, "Programme: ",
        "the variant, not the common text"
    );
    let (kind, shown, target) = &first[1];
    assert_eq!(kind, "link");
    assert_eq!(shown, "example.org/a/very/long/path/t…");
    assert_eq!(target.as_deref(), Some(link));
    assert_eq!(segments(&preview[1])[0].1, "Questions welcome");

    // Instagram needs an image or a video: a JPEG from the library satisfies it.
    let needs = "Instagram needs at least one image or video";
    let r = check(
        &mut editor,
        serde_json::json!({ "channels": ["Instagram"], "text": "Photo of the day" }),
    )
    .await;
    assert!(
        problems(&r).iter().any(|p| p.contains(needs)),
        "{:?}",
        problems(&r)
    );
    let jpeg = relais_media::thumbnail(&png(64, 64, [240, 200, 40])).unwrap();
    let a = editor
        .post_multipart(
            "/w/alpha/publish/media",
            &[],
            &[Upload::new("file", "day.jpg", "image/jpeg", &jpeg)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let photo = media_named(&f, "day.jpg").await;
    assert_eq!(photo.mime, "image/jpeg");
    editor.get("/w/alpha/publish").await;
    let r = check(
        &mut editor,
        serde_json::json!({
            "channels": ["Instagram"], "text": "Photo of the day", "media": [photo.id.to_string()],
        }),
    )
    .await;
    assert_eq!(r["media"], 1);
    assert!(problems(&r).is_empty(), "{:?}", problems(&r));
    // A file chosen but not sent yet counts as the browser describes it.
    let r = check(
        &mut editor,
        serde_json::json!({
            "channels": ["Instagram"], "text": "Photo of the day",
            "uploads": [{ "type": "image/jpeg", "size": 120_000 }],
        }),
    )
    .await;
    assert!(problems(&r).is_empty(), "{:?}", problems(&r));
    // The library's PNG is not taken by Instagram, and the preview says so.
    let png_file = upload_png(&f, &mut editor, "chart.png", [1, 1, 1]).await;
    editor.get("/w/alpha/publish").await;
    let r = check(
        &mut editor,
        serde_json::json!({
            "channels": ["Instagram"], "text": "Photo of the day", "media": [png_file.id.to_string()],
        }),
    )
    .await;
    assert!(
        problems(&r)
            .iter()
            .any(|p| p.contains("image/png") && p.contains("JPEG")),
        "{:?}",
        problems(&r)
    );

    // Another workspace's file is not seen from this one.
    let mut stranger = Browser::new(&f.app);
    stranger.login("editor@beta.test").await;
    stranger.get("/w/beta/publish/media").await;
    let theirs = relais_media::thumbnail(&png(8, 8, [5, 5, 5])).unwrap();
    stranger
        .post_multipart(
            "/w/beta/publish/media",
            &[],
            &[Upload::new("file", "theirs.jpg", "image/jpeg", &theirs)],
        )
        .await;
    let beta_id = f.app.store.media_list(f.beta.id, 10).await.unwrap()[0].id;
    let r = check(
        &mut editor,
        serde_json::json!({
            "channels": ["Instagram"], "text": "Photo of the day", "media": [beta_id.to_string()],
        }),
    )
    .await;
    assert_eq!(r["media"], 0);
    assert!(problems(&r).iter().any(|p| p.contains(needs)));

    // Analysts do not write, so they do not check either.
    let mut analyst = as_role(&f, Role::Analyst).await;
    analyst.get("/w/alpha/publish").await;
    let a = analyst
        .post_json(
            "/w/alpha/publish/check",
            &serde_json::json!({ "channels": ["Bluesky FR"], "text": "x" }),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}

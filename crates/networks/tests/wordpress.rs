//! The WordPress connector against a small stateful fake of the REST API endpoints it uses,
//! written from the REST API handbook's request and response shapes: application-password
//! Basic auth (`incorrect_password`, `rest_not_logged_in`), `users/me?context=edit`, raw-body
//! media uploads (`Content-Disposition` checks, file types, `alt_text`), posts (slug kept or
//! made unique, `featured_media` checked, `?slug=&status=` look-up, trash on delete with
//! `rest_already_trashed`), comments with `X-WP-Total`, and errors as `{code, message, data}`.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use common::{PNG, client};
use relais_networks::wordpress::WordPress;
use relais_networks::{
    Connector, Credentials, MediaFile, NetworkError, OutgoingPost, PublishedPost, ReplyTarget,
};
use relais_outbound::{HttpClient, OutboundConfig};
use relais_testkit::mock_http::MockHttp;
use serde_json::{Value, json};

const USER: &str = "equipe";
const PASSWORD: &str = "abcd EFGH 1234 ijkl MNOP 6789";

#[derive(Clone, Debug)]
struct Media {
    filename: String,
    mime: String,
    bytes: Vec<u8>,
    alt_text: String,
    source_url: String,
}

#[derive(Clone, Debug)]
struct Article {
    id: u64,
    title: String,
    content: String,
    status: String,
    slug: String,
    featured_media: u64,
}

/// A scripted answer, served before anything else: status, headers, body.
type Injected = (u16, Vec<(&'static str, String)>, String);

struct Wp {
    can_publish: bool,
    trash_enabled: bool,
    next_id: u64,
    media: BTreeMap<u64, Media>,
    posts: BTreeMap<u64, Article>,
    /// Approved comments: the post each is on.
    comments: Vec<u64>,
    inject: VecDeque<Injected>,
    /// The post is created, then the answer comes this late (a crash for the client).
    answer_delay: Option<Duration>,
}

impl Default for Wp {
    fn default() -> Self {
        Self {
            can_publish: true,
            trash_enabled: true,
            next_id: 100,
            media: BTreeMap::new(),
            posts: BTreeMap::new(),
            comments: Vec::new(),
            inject: VecDeque::new(),
            answer_delay: None,
        }
    }
}

type Shared = Arc<Mutex<Wp>>;

fn wp_error(status: u16, code: &str, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({ "code": code, "message": message, "data": { "status": status } })),
    )
        .into_response()
}

fn site(headers: &HeaderMap) -> String {
    format!("http://{}", headers["host"].to_str().unwrap())
}

/// Injected answers first, then application-password authentication.
fn gate(wp: &mut Wp, headers: &HeaderMap) -> Option<Response> {
    if let Some((status, extra, body)) = wp.inject.pop_front() {
        let mut r = (StatusCode::from_u16(status).unwrap(), body).into_response();
        for (k, v) in extra {
            r.headers_mut().insert(k, v.parse().unwrap());
        }
        return Some(r);
    }
    let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Some(wp_error(
            401,
            "rest_not_logged_in",
            "You are not currently logged in.",
        ));
    };
    let decoded = auth
        .strip_prefix("Basic ")
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    let (user, password) = decoded.split_once(':').unwrap_or_default();
    // WordPress ignores the spaces in application passwords.
    if user != USER || password.replace(' ', "") != PASSWORD.replace(' ', "") {
        return Some(wp_error(
            401,
            "incorrect_password",
            "The provided password is an invalid application password.",
        ));
    }
    None
}

fn paginated(items: Vec<Value>, total: usize) -> Response {
    let mut r = axum::Json(Value::Array(items)).into_response();
    r.headers_mut()
        .insert("x-wp-total", total.to_string().parse().unwrap());
    r.headers_mut()
        .insert("x-wp-totalpages", total.max(1).to_string().parse().unwrap());
    r
}

fn link(site: &str, p: &Article) -> String {
    if p.status == "publish" {
        format!("{site}/{}/", p.slug)
    } else {
        format!("{site}/?p={}", p.id)
    }
}

/// A post object; `edit` adds the raw fields (context=edit, as write requests answer).
fn post_json(site: &str, p: &Article, edit: bool) -> Value {
    let rendered: String = p
        .content
        .lines()
        .filter(|l| !l.starts_with("<!--"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut v = json!({
        "id": p.id,
        "date": "2025-11-23T13:13:20",
        "date_gmt": "2025-11-23T12:13:20",
        "guid": { "rendered": format!("{site}/?p={}", p.id) },
        "modified": "2025-11-23T13:13:20",
        "slug": p.slug,
        "status": p.status,
        "type": "post",
        "link": link(site, p),
        "title": { "rendered": p.title },
        "content": { "rendered": rendered, "protected": false },
        "author": 1,
        "featured_media": p.featured_media,
        "comment_status": "open",
        "format": "standard",
        "meta": [],
    });
    if edit {
        v["title"]["raw"] = json!(p.title);
        v["content"]["raw"] = json!(p.content);
    }
    v
}

fn media_json(site: &str, id: u64, m: &Media) -> Value {
    json!({
        "id": id,
        "date": "2025-11-23T13:13:20",
        "slug": m.filename.rsplit_once('.').map(|(s, _)| s).unwrap_or(&m.filename),
        "type": "attachment",
        "link": format!("{site}/?attachment_id={id}"),
        "title": { "rendered": m.filename },
        "alt_text": m.alt_text,
        "media_type": if m.mime.starts_with("image/") { "image" } else { "file" },
        "mime_type": m.mime,
        "source_url": m.source_url,
        "media_details": {},
    })
}

async fn users_me(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut wp = s.lock().unwrap();
    if let Some(r) = gate(&mut wp, &headers) {
        return r;
    }
    let mut me = json!({ "id": 1, "name": "Équipe Relais", "slug": USER });
    if q.get("context").map(String::as_str) == Some("edit") {
        me["capabilities"] = json!({ "edit_posts": true, "publish_posts": wp.can_publish });
    }
    axum::Json(me).into_response()
}

/// `POST /wp/v2/media` with the file as the raw body (WP_REST_Attachments_Controller).
async fn create_media(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut wp = s.lock().unwrap();
    if let Some(r) = gate(&mut wp, &headers) {
        return r;
    }
    if body.is_empty() {
        return wp_error(400, "rest_upload_no_data", "No data supplied");
    }
    let Some(mime) = headers.get("content-type").and_then(|v| v.to_str().ok()) else {
        return wp_error(
            400,
            "rest_upload_no_content_type",
            "No Content-Type supplied",
        );
    };
    let Some(disposition) = headers
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
    else {
        return wp_error(
            400,
            "rest_upload_no_content_disposition",
            "No Content-Disposition supplied",
        );
    };
    let filename = disposition
        .split(';')
        .skip(1)
        .filter_map(|part| part.split_once('='))
        .find(|(k, _)| k.trim() == "filename")
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|f| !f.is_empty());
    let Some(filename) = filename else {
        return wp_error(
            400,
            "rest_upload_invalid_disposition",
            "Invalid Content-Disposition supplied. Content-Disposition needs to be formatted as `attachment; filename=\"image.png\"` or similar.",
        );
    };
    let ext = filename.rsplit('.').next().unwrap_or_default();
    if ![
        "jpg", "jpeg", "png", "gif", "webp", "avif", "heic", "mp4", "mov", "webm",
    ]
    .contains(&ext)
    {
        return wp_error(
            500,
            "rest_upload_sideload_error",
            "Sorry, you are not allowed to upload this file type.",
        );
    }
    wp.next_id += 1;
    let id = wp.next_id;
    let site = site(&headers);
    let m = Media {
        source_url: format!("{site}/wp-content/uploads/2025/11/{filename}"),
        filename,
        mime: mime.to_owned(),
        bytes: body.to_vec(),
        alt_text: String::new(),
    };
    let v = media_json(&site, id, &m);
    wp.media.insert(id, m);
    (StatusCode::CREATED, axum::Json(v)).into_response()
}

async fn update_media(
    State(s): State<Shared>,
    Path(id): Path<u64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut wp = s.lock().unwrap();
    if let Some(r) = gate(&mut wp, &headers) {
        return r;
    }
    let Ok(fields) = serde_json::from_slice::<Value>(&body) else {
        return wp_error(400, "rest_invalid_json", "Invalid JSON body passed.");
    };
    let site = site(&headers);
    let Some(m) = wp.media.get_mut(&id) else {
        return wp_error(404, "rest_post_invalid_id", "Invalid post ID.");
    };
    if let Some(alt) = fields.get("alt_text").and_then(Value::as_str) {
        m.alt_text = alt.to_owned();
    }
    axum::Json(media_json(&site, id, m)).into_response()
}

async fn create_post(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let (v, delay) = {
        let mut wp = s.lock().unwrap();
        if let Some(r) = gate(&mut wp, &headers) {
            return r;
        }
        let Ok(fields) = serde_json::from_slice::<Value>(&body) else {
            return wp_error(400, "rest_invalid_json", "Invalid JSON body passed.");
        };
        let text = |k: &str| {
            fields
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let status = fields
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("draft")
            .to_owned();
        if !["publish", "future", "draft", "pending", "private"].contains(&status.as_str()) {
            return wp_error(400, "rest_invalid_param", "Invalid parameter(s): status");
        }
        let featured_media = fields
            .get("featured_media")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if featured_media != 0 && !wp.media.contains_key(&featured_media) {
            return wp_error(
                400,
                "rest_invalid_featured_media",
                "Invalid featured media ID.",
            );
        }
        let (title, content) = (text("title"), text("content"));
        if title.is_empty() && content.is_empty() {
            return wp_error(
                400,
                "empty_content",
                "Content, title, and excerpt are empty.",
            );
        }
        // wp_unique_post_slug: a slug in use gets a suffix.
        let wanted = text("slug").to_lowercase();
        let mut slug = wanted.clone();
        let mut n = 2;
        while wp.posts.values().any(|p| p.slug == slug) {
            slug = format!("{wanted}-{n}");
            n += 1;
        }
        wp.next_id += 1;
        let p = Article {
            id: wp.next_id,
            title,
            content,
            status,
            slug,
            featured_media,
        };
        let v = post_json(&site(&headers), &p, true);
        wp.posts.insert(p.id, p);
        (v, wp.answer_delay)
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    (StatusCode::CREATED, axum::Json(v)).into_response()
}

async fn list_posts(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut wp = s.lock().unwrap();
    if let Some(r) = gate(&mut wp, &headers) {
        return r;
    }
    let statuses: Vec<&str> = q
        .get("status")
        .map(|s| s.split(',').collect())
        .unwrap_or_else(|| vec!["publish"]);
    let slugs: Option<Vec<&str>> = q.get("slug").map(|s| s.split(',').collect());
    let site = site(&headers);
    let found: Vec<Value> = wp
        .posts
        .values()
        .filter(|p| statuses.contains(&p.status.as_str()))
        .filter(|p| slugs.as_ref().is_none_or(|s| s.contains(&p.slug.as_str())))
        .map(|p| post_json(&site, p, false))
        .collect();
    let total = found.len();
    paginated(found, total)
}

async fn delete_post(
    State(s): State<Shared>,
    Path(id): Path<u64>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut wp = s.lock().unwrap();
    if let Some(r) = gate(&mut wp, &headers) {
        return r;
    }
    let site = site(&headers);
    let force = q.get("force").map(String::as_str) == Some("true");
    let trash_enabled = wp.trash_enabled;
    let Some(p) = wp.posts.get_mut(&id) else {
        return wp_error(404, "rest_post_invalid_id", "Invalid post ID.");
    };
    if force {
        let previous = post_json(&site, p, true);
        wp.posts.remove(&id);
        return axum::Json(json!({ "deleted": true, "previous": previous })).into_response();
    }
    if !trash_enabled {
        return wp_error(
            501,
            "rest_trash_not_supported",
            "The post does not support trashing. Set 'force=true' to delete.",
        );
    }
    if p.status == "trash" {
        return wp_error(
            410,
            "rest_already_trashed",
            "The post has already been deleted.",
        );
    }
    p.status = "trash".into();
    p.slug = format!("{}__trashed", p.slug);
    axum::Json(post_json(&site, p, true)).into_response()
}

async fn list_comments(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut wp = s.lock().unwrap();
    if let Some(r) = gate(&mut wp, &headers) {
        return r;
    }
    let post: u64 = q.get("post").and_then(|p| p.parse().ok()).unwrap_or(0);
    let per_page: usize = q.get("per_page").and_then(|p| p.parse().ok()).unwrap_or(10);
    let on_post: Vec<Value> = wp
        .comments
        .iter()
        .enumerate()
        .filter(|(_, p)| **p == post)
        .map(|(i, p)| json!({ "id": i + 1, "post": p, "status": "approved", "author_name": "Fan" }))
        .collect();
    let total = on_post.len();
    paginated(on_post.into_iter().take(per_page).collect(), total)
}

async fn fake_wordpress() -> (MockHttp, Shared) {
    let state: Shared = Arc::new(Mutex::new(Wp::default()));
    let router = Router::new()
        .route("/wp-json/wp/v2/users/me", get(users_me))
        .route("/wp-json/wp/v2/media", post(create_media))
        .route("/wp-json/wp/v2/media/{id}", post(update_media))
        .route("/wp-json/wp/v2/posts", get(list_posts).post(create_post))
        .route(
            "/wp-json/wp/v2/posts/{id}",
            axum::routing::delete(delete_post),
        )
        .route("/wp-json/wp/v2/comments", get(list_comments))
        .with_state(state.clone());
    (MockHttp::start(router).await, state)
}

fn wordpress() -> WordPress {
    WordPress::new(client(Duration::from_secs(10)))
}

fn credentials(server: &MockHttp) -> Credentials {
    Credentials {
        settings: json!({ "site": format!("{}/", server.base_url()), "username": USER }),
        secrets: [("application_password".to_owned(), PASSWORD.to_owned())].into(),
        changed: false,
    }
}

fn post_of(text: &str, key: &str) -> OutgoingPost {
    OutgoingPost {
        text: text.to_owned(),
        media: vec![],
        reply_to: None,
        langs: vec!["fr".into()],
        idempotency_key: key.to_owned(),
        created_at_ms: 1_763_900_000_000,
    }
}

#[tokio::test]
async fn verify_names_the_user_and_checks_the_account() {
    let (server, state) = fake_wordpress().await;
    let wp = wordpress();
    let mut creds = credentials(&server);
    assert_eq!(wp.verify(&mut creds).await.unwrap(), "Équipe Relais");
    assert!(!creds.changed);

    state.lock().unwrap().can_publish = false;
    assert!(matches!(
        wp.verify(&mut creds).await,
        Err(NetworkError::Unauthorized(m)) if m.contains("Author role")
    ));

    let mut wrong = credentials(&server);
    wrong
        .secrets
        .insert("application_password".into(), "wxyz".into());
    assert!(matches!(
        wp.verify(&mut wrong).await,
        Err(NetworkError::Unauthorized(m)) if m.contains("invalid application password") && m.contains("incorrect_password")
    ));

    let mut missing = credentials(&server);
    missing.secrets.clear();
    assert!(matches!(
        wp.verify(&mut missing).await,
        Err(NetworkError::Misconfigured(_))
    ));

    let mut not_wordpress = credentials(&server);
    not_wordpress.settings["site"] = json!(server.url("/not-a-blog"));
    assert!(matches!(
        wp.verify(&mut not_wordpress).await,
        Err(NetworkError::Misconfigured(m)) if m.contains("wp-json")
    ));
}

#[tokio::test]
async fn publishes_an_article_with_images_and_escaped_text() {
    let (server, state) = fake_wordpress().await;
    let wp = wordpress();
    let mut creds = credentials(&server);
    let mut outgoing = post_of(
        "Notre nouveau logo\n\nIl est <b>bleu</b> & blanc : https://example.org/logo?a=1&b=2\nÀ bientôt <script>alert(1)</script>",
        "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/0",
    );
    outgoing.media = vec![
        MediaFile {
            mime: "image/png".into(),
            bytes: PNG.to_vec(),
            alt: Some("Le logo, bleu sur blanc".into()),
            public_url: None,
        },
        MediaFile {
            mime: "image/jpeg".into(),
            bytes: b"\xff\xd8\xff jpeg".to_vec(),
            alt: Some("Le logo \"en noir\"".into()),
            public_url: None,
        },
    ];
    let published = wp.publish(&mut creds, &outgoing).await.unwrap();

    let wpst = state.lock().unwrap();
    assert_eq!(wpst.media.len(), 2);
    let (&first_id, first) = wpst.media.iter().next().unwrap();
    let (&second_id, second) = wpst.media.iter().nth(1).unwrap();
    assert_eq!(first.bytes, PNG);
    assert_eq!(first.mime, "image/png");
    assert!(
        first.filename.starts_with("notre-nouveau-logo-"),
        "{}",
        first.filename
    );
    assert!(first.filename.ends_with("-1.png"), "{}", first.filename);
    assert_eq!(first.alt_text, "Le logo, bleu sur blanc", "alt text set");
    assert!(second.filename.ends_with("-2.jpg"), "{}", second.filename);
    assert_eq!(second.alt_text, "Le logo \"en noir\"");

    assert_eq!(wpst.posts.len(), 1);
    let article = wpst.posts.values().next().unwrap();
    assert_eq!(published.id, article.id.to_string());
    assert_eq!(
        published.url,
        format!("{}/{}/", server.base_url(), article.slug)
    );
    assert_eq!(published.version, None);
    assert_eq!(article.status, "publish");
    assert_eq!(article.title, "Notre nouveau logo");
    assert_eq!(
        article.featured_media, first_id,
        "the first image is featured"
    );
    assert!(
        article.slug.starts_with("notre-nouveau-logo-"),
        "{}",
        article.slug
    );
    let c = &article.content;
    assert!(
        c.contains("<p>Il est &lt;b&gt;bleu&lt;/b&gt; &amp; blanc : <a href=\"https://example.org/logo?a=1&amp;b=2\">https://example.org/logo?a=1&amp;b=2</a><br>À bientôt &lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        "{c}"
    );
    assert!(!c.contains("<b>") && !c.contains("<script>"), "{c}");
    assert!(
        !c.contains("Notre nouveau logo"),
        "the title is not repeated: {c}"
    );
    assert!(
        c.contains(&format!(
            "<img src=\"{}\" alt=\"Le logo &quot;en noir&quot;\" class=\"wp-image-{second_id}\"/>",
            second.source_url
        )),
        "{c}"
    );
    assert!(
        !c.contains(&first.source_url),
        "the featured image is not repeated: {c}"
    );
}

#[tokio::test]
async fn after_a_crash_the_article_is_found_by_its_slug() {
    let (server, state) = fake_wordpress().await;
    let mut creds = credentials(&server);
    let outgoing = post_of("Annonce\nLa suite.", "target-7/0");

    // The site creates the article but its answer never arrives in time.
    state.lock().unwrap().answer_delay = Some(Duration::from_secs(2));
    let impatient = WordPress::new(client(Duration::from_millis(400)));
    let lost = impatient.publish(&mut creds, &outgoing).await;
    assert!(matches!(lost, Err(NetworkError::Transient(_))), "{lost:?}");
    state.lock().unwrap().answer_delay = None;

    // The publisher asks before publishing again.
    let wp = wordpress();
    let found = wp
        .find_published(&mut creds, &outgoing)
        .await
        .unwrap()
        .expect("the article landed");
    let article = state
        .lock()
        .unwrap()
        .posts
        .values()
        .next()
        .cloned()
        .unwrap();
    assert_eq!(found.id, article.id.to_string());
    assert_eq!(
        found.url,
        format!("{}/{}/", server.base_url(), article.slug)
    );
    assert_eq!(
        wp.find_published(&mut creds, &post_of("Annonce\nLa suite.", "target-8/0"))
            .await
            .unwrap(),
        None,
        "another key, same text: another slug"
    );

    // Deleting moves it to the trash, where the look-up no longer finds it.
    wp.delete(&mut creds, &found).await.unwrap();
    assert_eq!(state.lock().unwrap().posts[&article.id].status, "trash");
    assert_eq!(
        wp.find_published(&mut creds, &outgoing).await.unwrap(),
        None
    );
    // Deleting again: already in the trash (410), which is what was asked.
    wp.delete(&mut creds, &found).await.unwrap();
    // Gone for good (404): deleted too.
    let ghost = PublishedPost {
        id: "99999".into(),
        version: None,
        url: String::new(),
    };
    wp.delete(&mut creds, &ghost).await.unwrap();
}

#[tokio::test]
async fn a_site_without_trash_deletes_for_good() {
    let (server, state) = fake_wordpress().await;
    let wp = wordpress();
    let mut creds = credentials(&server);
    let published = wp
        .publish(&mut creds, &post_of("Court", "k-1"))
        .await
        .unwrap();
    state.lock().unwrap().trash_enabled = false;
    wp.delete(&mut creds, &published).await.unwrap();
    assert!(state.lock().unwrap().posts.is_empty());
}

#[tokio::test]
async fn replies_are_the_comment_count() {
    let (server, state) = fake_wordpress().await;
    let wp = wordpress();
    let mut creds = credentials(&server);
    let published = wp
        .publish(&mut creds, &post_of("Venez nombreux", "k-1"))
        .await
        .unwrap();
    let id: u64 = published.id.parse().unwrap();
    state.lock().unwrap().comments = vec![id, id, 1, id];
    let m = wp.metrics(&mut creds, &published).await.unwrap();
    assert_eq!(m.replies, Some(3));
    assert_eq!(
        (m.likes, m.reposts, m.quotes, m.views),
        (None, None, None, None)
    );
}

#[tokio::test]
async fn errors_map_to_what_the_scheduler_does() {
    let (server, state) = fake_wordpress().await;
    let wp = wordpress();
    let mut creds = credentials(&server);
    let inject = |status: u16, headers: Vec<(&'static str, String)>, body: &str| {
        state
            .lock()
            .unwrap()
            .inject
            .push_back((status, headers, body.to_owned()));
    };
    let json_ct = || vec![("content-type", "application/json".to_owned())];

    // 401: a wrong application password.
    let mut wrong = credentials(&server);
    wrong
        .secrets
        .insert("application_password".into(), "nope".into());
    assert!(matches!(
        wp.publish(&mut wrong, &post_of("x", "k")).await,
        Err(NetworkError::Unauthorized(_))
    ));

    // 422 (a plugin's validation): refused for good, with WordPress's message.
    inject(
        422,
        json_ct(),
        r#"{"code":"rest_invalid_param","message":"Invalid parameter(s): title","data":{"status":422}}"#,
    );
    assert_eq!(
        wp.publish(&mut creds, &post_of("x", "k")).await,
        Err(NetworkError::Rejected(
            "HTTP 422: Invalid parameter(s): title (rest_invalid_param)".into()
        ))
    );

    // 429 with an HTTP date.
    let at = chrono::Utc::now() + chrono::Duration::seconds(120);
    inject(
        429,
        vec![(
            "retry-after",
            at.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        )],
        "",
    );
    match wp.publish(&mut creds, &post_of("x", "k")).await {
        Err(NetworkError::RateLimited {
            retry_after: Some(d),
        }) => assert!((115..=120).contains(&d.as_secs()), "{d:?}"),
        other => panic!("{other:?}"),
    }

    // 5xx and a 2xx that is not JSON: transient.
    inject(503, vec![], "<html>Maintenance</html>");
    assert!(matches!(
        wp.publish(&mut creds, &post_of("x", "k")).await,
        Err(NetworkError::Transient(m)) if m.contains("503")
    ));
    inject(200, vec![], "<html>cached page</html>");
    assert!(matches!(
        wp.publish(&mut creds, &post_of("x", "k")).await,
        Err(NetworkError::Transient(m)) if m.contains("not JSON")
    ));
    inject(200, vec![], "{\"id\": ");
    assert!(matches!(
        wp.verify(&mut creds).await,
        Err(NetworkError::Transient(_))
    ));

    // A file the site refuses (WordPress says so with a 500): refused, not retried.
    inject(
        500,
        json_ct(),
        r#"{"code":"rest_upload_sideload_error","message":"Sorry, you are not allowed to upload this file type.","data":{"status":500}}"#,
    );
    let mut with_image = post_of("x", "k");
    with_image.media.push(MediaFile {
        mime: "image/png".into(),
        bytes: PNG.to_vec(),
        alt: None,
        public_url: None,
    });
    assert!(matches!(
        wp.publish(&mut creds, &with_image).await,
        Err(NetworkError::Rejected(m)) if m.contains("file type")
    ));
    // A type WordPress does not take is refused before anything is sent.
    with_image.media[0].mime = "application/pdf".into();
    assert!(matches!(
        wp.publish(&mut creds, &with_image).await,
        Err(NetworkError::Rejected(m)) if m.contains("application/pdf")
    ));

    // A reply: a blog has no threads.
    let parent = PublishedPost {
        id: "1".into(),
        version: None,
        url: String::new(),
    };
    let mut reply = post_of("x", "k");
    reply.reply_to = Some(ReplyTarget {
        parent: parent.clone(),
        root: parent,
    });
    assert!(matches!(
        wp.publish(&mut creds, &reply).await,
        Err(NetworkError::Rejected(_))
    ));

    assert!(
        state.lock().unwrap().posts.is_empty(),
        "nothing was published"
    );
    assert!(
        state.lock().unwrap().inject.is_empty(),
        "every answer was used"
    );

    // The SSRF guard on: a loopback site is a setting to fix.
    let guarded = WordPress::new(HttpClient::new(OutboundConfig::default()).unwrap());
    assert!(matches!(
        guarded.verify(&mut creds).await,
        Err(NetworkError::Misconfigured(_))
    ));
}

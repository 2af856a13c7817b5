//! WordPress: the brand's blog, through the REST API (`/wp-json/wp/v2/`), WordPress 5.6 or
//! later.
//!
//! Settings: `site` (the blog's address, such as `https://blog.example.org`, or
//! `https://example.org/blog` for WordPress in a folder), `username`. Secrets:
//! `application_password`, an Application Password (Users → Profile → Application Passwords),
//! sent with HTTP Basic authentication. WordPress offers application passwords only over HTTPS
//! (or on a local development site), and the user needs the Author role or higher.
//!
//! # What a post becomes
//!
//! An article (`POST /wp/v2/posts`, published at once):
//!
//! - **title**: the first line of the text when it is short (60 characters at most) and more
//!   text follows, the content then being the rest; otherwise the first 60 characters or so of
//!   the text, cut on a word with an ellipsis, the content then being the whole text;
//! - **content**: the text as paragraph blocks (a blank line between paragraphs; single line
//!   breaks kept), every character HTML-escaped (what is written is what readers see: no
//!   markup gets through), and `http(s)://` addresses made into links;
//! - **media**: each file is uploaded first (`POST /wp/v2/media`, the raw bytes with
//!   `Content-Disposition: attachment; filename=…` and `Content-Type`), then its alt text is set
//!   (`POST /wp/v2/media/<id>` with `alt_text`). The first image becomes the featured image;
//!   further images and videos are appended to the content as image and video blocks;
//! - the article's id is WordPress's post id, its URL the post's `link`.
//!
//! Replies: a blog has no threads, so a post that answers another is refused (write it as one
//! article).
//!
//! # Exactly once
//!
//! WordPress has no idempotency key, so the key goes into the article's **slug**: a few words
//! of the title (for a readable address), then 12 hex digits of the SHA-256 of the idempotency
//! key, such as `notre-nouveau-logo-3f9a1c2b7d1e` (only `a-z0-9-`, which WordPress keeps as it
//! is; `relais-<hash>` when the title has no Latin letters or digits). [`Connector::publish`]
//! checks nothing first; after a crash the publisher calls [`Connector::find_published`], which
//! looks the slug up (`GET /wp/v2/posts?slug=…&status=publish,future,draft`). The slug depends
//! on the text: a post whose first line was edited between the crash and the retry would not
//! be found. Media uploaded by an attempt that crashed before the article was created stay in
//! the media library.
//!
//! # Other calls
//!
//! - verify: `GET /wp/v2/users/me?context=edit`, answering the user's display name;
//! - delete: `DELETE /wp/v2/posts/<id>?force=false` (to the trash, where a person can restore
//!   it); a post already in the trash or gone counts as deleted, and a site whose trash is
//!   switched off gets the post deleted for good;
//! - metrics: replies = the number of approved comments (`X-WP-Total` of
//!   `GET /wp/v2/comments?post=<id>&per_page=1`); WordPress counts no likes, shares or views.
//!
//! Errors: 401/403 → unauthorized, 429 → rate limited (`Retry-After`), 400/404/409/422 and other
//! 4xx → refused with WordPress's message and code, 5xx/time-outs/answers that are not JSON →
//! transient, except a 500 refusing an uploaded file (type not allowed, too large), which
//! WordPress sends as `rest_upload_sideload_error` and which retrying cannot help: refused.

mod html;
mod rest;

use async_trait::async_trait;
use relais_outbound::HttpClient;
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    Connector, Credentials, MediaFile, Metrics, NetworkError, OutgoingPost, PublishedPost,
};
use rest::{Body, Site};

pub struct WordPress {
    http: HttpClient,
}

/// A file once in the media library.
struct Uploaded {
    id: u64,
    source_url: String,
    mime: String,
    alt: String,
}

/// The file extension WordPress needs to accept a file of this type (it checks the name).
fn extension(mime: &str) -> Option<&'static str> {
    Some(match mime {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/avif" => "avif",
        "image/heic" => "heic",
        "video/mp4" => "mp4",
        "video/quicktime" => "mov",
        "video/webm" => "webm",
        _ => return None,
    })
}

/// WordPress ids are numbers; anything else cannot be one of its posts.
fn post_id(post: &PublishedPost) -> Result<u64, NetworkError> {
    post.id
        .parse::<u64>()
        .map_err(|_| NetworkError::Rejected(format!("`{}` is not a WordPress post id", post.id)))
}

/// A post object of the REST API as the post Relais knows.
fn published_of(v: &Value) -> Result<PublishedPost, NetworkError> {
    let id = v
        .get("id")
        .and_then(Value::as_u64)
        .ok_or_else(|| NetworkError::Transient("the site answered without the post's id".into()))?;
    Ok(PublishedPost {
        id: id.to_string(),
        version: None,
        url: v
            .get("link")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    })
}

impl WordPress {
    pub fn new(http: HttpClient) -> Self {
        Self { http }
    }

    async fn upload(
        &self,
        site: &Site<'_>,
        slug: &str,
        index: usize,
        media: &MediaFile,
    ) -> Result<Uploaded, NetworkError> {
        let ext = extension(&media.mime).ok_or_else(|| {
            NetworkError::Rejected(format!(
                "media {} is {}; WordPress takes JPEG, PNG, GIF, WebP, AVIF or HEIC images and MP4, MOV or WebM videos",
                index + 1,
                media.mime
            ))
        })?;
        let filename = format!("{slug}-{}.{ext}", index + 1);
        let created = site
            .json(
                Method::POST,
                "media",
                &[],
                Body::File {
                    mime: &media.mime,
                    filename: &filename,
                    bytes: media.bytes.clone(),
                },
            )
            .await?
            .json;
        let id = created.get("id").and_then(Value::as_u64).ok_or_else(|| {
            NetworkError::Transient("the site answered the upload without a media id".into())
        })?;
        let mut source_url = created
            .get("source_url")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let alt = media.alt.clone().unwrap_or_default();
        if !alt.trim().is_empty() {
            let updated = site
                .json(
                    Method::POST,
                    &format!("media/{id}"),
                    &[],
                    Body::Json(&json!({ "alt_text": alt })),
                )
                .await?
                .json;
            if let Some(url) = updated.get("source_url").and_then(Value::as_str) {
                url.clone_into(&mut source_url);
            }
        }
        Ok(Uploaded {
            id,
            source_url,
            mime: media.mime.clone(),
            alt,
        })
    }

    /// The slug this post is (or would be) published under.
    fn slug_of(post: &OutgoingPost) -> String {
        html::slug(&html::article(&post.text).title, &post.idempotency_key)
    }
}

#[async_trait]
impl Connector for WordPress {
    fn network(&self) -> &'static str {
        "wordpress"
    }

    async fn verify(&self, creds: &mut Credentials) -> Result<String, NetworkError> {
        let site = Site::of(&self.http, creds)?;
        let response = site
            .call(Method::GET, "users/me", &[("context", "edit")], Body::None)
            .await?;
        if response.status == 404 {
            return Err(NetworkError::Misconfigured(
                "no WordPress REST API answers at this address (…/wp-json/); check the site's address"
                    .into(),
            ));
        }
        if !response.is_success() {
            return Err(rest::error_of(&response));
        }
        let me: Value = serde_json::from_slice(&response.body).map_err(|_| {
            NetworkError::Transient(
                "the site answered users/me with something that is not JSON".into(),
            )
        })?;
        let name = me
            .get("name")
            .and_then(Value::as_str)
            .or_else(|| me.get("slug").and_then(Value::as_str))
            .unwrap_or_default()
            .to_owned();
        if me
            .get("capabilities")
            .and_then(|c| c.get("publish_posts"))
            .and_then(Value::as_bool)
            == Some(false)
        {
            return Err(NetworkError::Unauthorized(format!(
                "the WordPress user {name} may not publish posts; give it the Author role or higher"
            )));
        }
        Ok(name)
    }

    async fn publish(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<PublishedPost, NetworkError> {
        if post.reply_to.is_some() {
            return Err(NetworkError::Rejected(
                "a WordPress article cannot answer another one: write the thread as one article"
                    .into(),
            ));
        }
        let site = Site::of(&self.http, creds)?;
        let article = html::article(&post.text);
        let slug = html::slug(&article.title, &post.idempotency_key);
        let mut uploaded = Vec::with_capacity(post.media.len());
        for (i, m) in post.media.iter().enumerate() {
            uploaded.push(self.upload(&site, &slug, i, m).await?);
        }
        let featured = uploaded.iter().position(|u| u.mime.starts_with("image/"));
        let mut content = article.content;
        for (i, u) in uploaded.iter().enumerate() {
            if Some(i) == featured {
                continue;
            }
            let block = if u.mime.starts_with("video/") {
                html::video_block(u.id, &u.source_url)
            } else {
                html::image_block(u.id, &u.source_url, &u.alt)
            };
            if !content.is_empty() {
                content.push_str("\n\n");
            }
            content.push_str(&block);
        }
        let mut body = json!({
            "title": html::escape(&article.title),
            "content": content,
            "status": "publish",
            "slug": slug,
        });
        if let Some(f) = featured.and_then(|i| uploaded.get(i)) {
            body["featured_media"] = json!(f.id);
        }
        let created = site
            .json(Method::POST, "posts", &[], Body::Json(&body))
            .await?
            .json;
        published_of(&created)
    }

    async fn find_published(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        let site = Site::of(&self.http, creds)?;
        let slug = Self::slug_of(post);
        let found = site
            .json(
                Method::GET,
                "posts",
                &[
                    ("slug", slug.as_str()),
                    ("status", "publish,future,draft"),
                    ("_fields", "id,link,slug,status"),
                ],
                Body::None,
            )
            .await?
            .json;
        let list = found.as_array().ok_or_else(|| {
            NetworkError::Transient(
                "the site answered the search with something else than a list".into(),
            )
        })?;
        list.iter()
            .find(|p| p.get("slug").and_then(Value::as_str) == Some(slug.as_str()))
            .map(published_of)
            .transpose()
    }

    async fn delete(
        &self,
        creds: &mut Credentials,
        post: &PublishedPost,
    ) -> Result<(), NetworkError> {
        let id = post_id(post)?;
        let site = Site::of(&self.http, creds)?;
        let route = format!("posts/{id}");
        let response = site
            .call(Method::DELETE, &route, &[("force", "false")], Body::None)
            .await?;
        if response.is_success() {
            return Ok(());
        }
        match (response.status, rest::code_of(&response).as_str()) {
            // Already in the trash, or already deleted for good.
            (410, "rest_already_trashed") | (404, "rest_post_invalid_id") => Ok(()),
            // The site keeps no trash (EMPTY_TRASH_DAYS = 0): delete as its own screens would.
            (501, "rest_trash_not_supported") => {
                let response = site
                    .call(Method::DELETE, &route, &[("force", "true")], Body::None)
                    .await?;
                if response.is_success() {
                    Ok(())
                } else {
                    Err(rest::error_of(&response))
                }
            }
            _ => Err(rest::error_of(&response)),
        }
    }

    async fn metrics(
        &self,
        creds: &mut Credentials,
        post: &PublishedPost,
    ) -> Result<Metrics, NetworkError> {
        let id = post_id(post)?.to_string();
        let site = Site::of(&self.http, creds)?;
        let answer = site
            .json(
                Method::GET,
                "comments",
                &[("post", id.as_str()), ("per_page", "1"), ("_fields", "id")],
                Body::None,
            )
            .await?;
        let total = answer
            .headers
            .get("x-wp-total")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or_else(|| {
                NetworkError::Transient(
                    "the site did not say how many comments there are (X-WP-Total)".into(),
                )
            })?;
        Ok(Metrics {
            replies: Some(total),
            ..Metrics::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_types_get_the_extension_wordpress_checks() {
        assert_eq!(extension("image/jpeg"), Some("jpg"));
        assert_eq!(extension("video/mp4"), Some("mp4"));
        assert_eq!(extension("application/x-msdownload"), None);
    }

    #[test]
    fn ids_are_numbers() {
        let p = |id: &str| PublishedPost {
            id: id.into(),
            version: None,
            url: String::new(),
        };
        assert_eq!(post_id(&p("42")), Ok(42));
        assert!(matches!(
            post_id(&p("../users")),
            Err(NetworkError::Rejected(_))
        ));
    }
}

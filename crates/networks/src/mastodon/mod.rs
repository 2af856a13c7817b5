//! Mastodon, on any instance (its base URL is a channel setting), through its REST API.
//!
//! Settings: `instance` (such as `https://mastodon.social`; a bare host name means https),
//! optionally `visibility` (`public`, `unlisted`, `private` or `direct`; the account's default
//! when absent) and `content_warning` (a text put as the content warning, `spoiler_text`, of
//! every post of the channel). Secrets: `access_token` (a user token with the `read` and
//! `write` scopes), and `account_id`, which the connector keeps once it has asked for it.
//!
//! Mastodon's tokens do not expire and it has no refresh: a 401 means the token was revoked,
//! and the channel must be connected again.
//!
//! Publishing: each media is uploaded with `POST /api/v2/media` (its alt text as
//! `description`); a large one that the instance processes in the background (202, no `url`
//! yet) is polled with `GET /api/v1/media/:id` until it has a `url`, for a bounded time. Then
//! `POST /api/v1/statuses` with the text, `media_ids`, `in_reply_to_id` (the parent, for a
//! thread), `visibility`, `spoiler_text` and `language` (the primary subtag of the post's first
//! language).
//!
//! Exactly once: the status is created with the header `Idempotency-Key: <the post's key>`.
//! Mastodon keeps that key for an hour per account: a second request with it, during that hour,
//! gets the status the first one made instead of a new one, even when the first answer was
//! lost. Mastodon has no look-up by that key, so [`Connector::find_published`] reads the
//! account's recent statuses instead (see there for its limits); media uploaded by an attempt
//! whose status was never made are left to the instance, which removes unattached media.

mod api;
pub mod inbox;
pub(crate) mod search;
mod text;

use std::time::{Duration, Instant};

use async_trait::async_trait;
use relais_outbound::HttpClient;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Map, Value};

use crate::{
    Connector, Credentials, MediaFile, Metrics, NetworkError, OutgoingPost, PublishedPost,
};
use api::{Api, Failure, Payload, Reply};

/// The visibilities Mastodon knows.
pub const VISIBILITIES: [&str; 4] = ["public", "unlisted", "private", "direct"];
/// How long a publication waits, by default, for the instance to process an uploaded media.
pub const DEFAULT_MEDIA_WAIT: Duration = Duration::from_secs(60);
/// The first pause between two looks at a media being processed; it doubles up to the next.
const FIRST_MEDIA_POLL: Duration = Duration::from_millis(250);
const MAX_MEDIA_POLL: Duration = Duration::from_secs(5);
/// `find_published` reads the account's statuses this many at a time (Mastodon's maximum)…
const STATUS_PAGE: &str = "40";
/// …for at most this many pages, newest first…
const MAX_STATUS_PAGES: usize = 5;
/// …back to this long before the post was written (clocks of two machines differ)…
const LOOKBACK_MS: i64 = 60_000;
/// …and asks for the source text of at most this many statuses that look right but whose
/// rendered HTML does not give the text back exactly (Markdown-like formatting, for instance).
const MAX_SOURCE_CHECKS: usize = 5;

pub struct Mastodon {
    http: HttpClient,
    media_wait: Duration,
}

impl Mastodon {
    pub fn new(http: HttpClient) -> Self {
        Self {
            http,
            media_wait: DEFAULT_MEDIA_WAIT,
        }
    }

    /// How long a publication may wait for uploaded media to be processed before it gives up
    /// (with a transient error, so that the job tries again later).
    pub fn with_media_wait(mut self, wait: Duration) -> Self {
        self.media_wait = wait;
        self
    }

    /// The instance's base URL: `https://` added to a bare host name, no trailing slash.
    fn instance(creds: &Credentials) -> Result<String, NetworkError> {
        let raw = creds
            .setting("instance")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                NetworkError::Misconfigured(
                    "the channel has no Mastodon instance (such as https://mastodon.social)".into(),
                )
            })?;
        let with_scheme = if raw.contains("://") {
            raw.to_owned()
        } else {
            format!("https://{raw}")
        };
        let url = url::Url::parse(&with_scheme)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                NetworkError::Misconfigured(format!(
                    "`{raw}` is not an instance address; give one such as https://mastodon.social"
                ))
            })?;
        Ok(url.as_str().trim_end_matches('/').to_owned())
    }

    fn token(creds: &Credentials) -> Result<String, NetworkError> {
        creds
            .secret("access_token")
            .filter(|t| !t.trim().is_empty())
            .map(|t| t.trim().to_owned())
            .ok_or_else(|| {
                NetworkError::Misconfigured(
                    "the channel has no access token; connect it again".into(),
                )
            })
    }

    fn visibility(creds: &Credentials) -> Result<Option<&str>, NetworkError> {
        match creds.setting("visibility").map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) if VISIBILITIES.contains(&v) => Ok(Some(v)),
            Some(v) => Err(NetworkError::Misconfigured(format!(
                "the visibility `{v}` is unknown to Mastodon; use one of {}",
                VISIBILITIES.join(", ")
            ))),
        }
    }

    async fn call(
        &self,
        creds: &Credentials,
        verb: Method,
        path: &str,
        query: &[(&str, &str)],
        payload: Payload,
        idempotency_key: Option<&str>,
    ) -> Result<Result<Reply, Failure>, NetworkError> {
        let instance = Self::instance(creds)?;
        let token = Self::token(creds)?;
        Api {
            http: &self.http,
            instance: &instance,
            token: &token,
        }
        .call(verb, path, query, payload, idempotency_key)
        .await
    }

    /// A call whose refusal is the answer's error as it maps in general.
    async fn expect(
        &self,
        creds: &Credentials,
        verb: Method,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Value, NetworkError> {
        match self
            .call(creds, verb, path, query, Payload::None, None)
            .await?
        {
            Ok(reply) => Ok(reply.body),
            Err(f) => Err(f.into_network_error()),
        }
    }

    /// The account behind the token; keeps its id in the secrets.
    async fn verify_credentials(&self, creds: &mut Credentials) -> Result<Value, NetworkError> {
        let account = self
            .expect(
                creds,
                Method::GET,
                "/api/v1/accounts/verify_credentials",
                &[],
            )
            .await?;
        let id = str_field(&account, "id")
            .filter(|id| is_id(id))
            .ok_or_else(|| {
                NetworkError::Transient("verify_credentials answered without an account id".into())
            })?;
        creds.set_secret("account_id", id.to_owned());
        Ok(account)
    }

    async fn account_id(&self, creds: &mut Credentials) -> Result<String, NetworkError> {
        if let Some(id) = creds.secret("account_id").filter(|id| is_id(id)) {
            return Ok(id.to_owned());
        }
        self.verify_credentials(creds).await?;
        creds
            .secret("account_id")
            .map(str::to_owned)
            .ok_or_else(|| NetworkError::Transient("no account id".into()))
    }

    /// Uploads one media and waits until the instance has processed it; returns its id.
    async fn upload_media(
        &self,
        creds: &Credentials,
        index: usize,
        media: &MediaFile,
    ) -> Result<String, NetworkError> {
        let n = index + 1;
        let kind = media.mime.split('/').next().unwrap_or_default();
        if !matches!(kind, "image" | "video" | "audio") {
            return Err(NetworkError::Rejected(format!(
                "media {n} is {}; Mastodon takes images, videos and sounds",
                media.mime
            )));
        }
        let part = Part::bytes(media.bytes.clone())
            .file_name(file_name(n, &media.mime))
            .mime_str(&media.mime)
            .map_err(|_| {
                NetworkError::Rejected(format!("media {n} has an invalid type `{}`", media.mime))
            })?;
        let mut form = Form::new().part("file", part);
        if let Some(alt) = media.alt.as_deref().filter(|a| !a.trim().is_empty()) {
            form = form.text("description", alt.to_owned());
        }
        let reply = match self
            .call(
                creds,
                Method::POST,
                "/api/v2/media",
                &[],
                Payload::Multipart(form),
                None,
            )
            .await?
        {
            Ok(reply) => reply,
            Err(f) if f.status == 413 => {
                return Err(NetworkError::Rejected(format!(
                    "media {n} weighs {} bytes, more than the instance accepts: make it smaller",
                    media.bytes.len()
                )));
            }
            Err(f) => return Err(f.into_network_error()),
        };
        let id = str_field(&reply.body, "id")
            .filter(|id| is_id(id))
            .ok_or_else(|| {
                NetworkError::Transient(format!(
                    "the instance answered the upload of media {n} without an id"
                ))
            })?
            .to_owned();
        if reply.status == 202 || has_no_url(&reply.body) {
            self.wait_for_media(creds, n, &id).await?;
        }
        Ok(id)
    }

    /// Polls a media being processed (206, or no `url` yet) until it is ready, within
    /// `media_wait`.
    async fn wait_for_media(
        &self,
        creds: &Credentials,
        n: usize,
        id: &str,
    ) -> Result<(), NetworkError> {
        let deadline = Instant::now() + self.media_wait;
        let mut pause = FIRST_MEDIA_POLL;
        let path = format!("/api/v1/media/{id}");
        loop {
            if Instant::now() + pause > deadline {
                return Err(NetworkError::Transient(format!(
                    "the instance was still processing media {n} after {} s; try again later",
                    self.media_wait.as_secs()
                )));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_MEDIA_POLL);
            match self
                .call(creds, Method::GET, &path, &[], Payload::None, None)
                .await?
            {
                Ok(reply) if reply.status == 200 && !has_no_url(&reply.body) => return Ok(()),
                Ok(_) => {}
                // Processing failed: Mastodon answers 422 with the reason.
                Err(f) if f.status == 422 || f.status == 404 => {
                    return Err(NetworkError::Rejected(format!(
                        "the instance could not process media {n}: {}",
                        if f.error.is_empty() {
                            format!("HTTP {}", f.status)
                        } else {
                            f.error
                        }
                    )));
                }
                Err(f) => return Err(f.into_network_error()),
            }
        }
    }

    /// Looks among the statuses of the account (newest first) for one that is this post.
    async fn scan_statuses(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        let account = self.account_id(creds).await?;
        let instance = Self::instance(creds)?;
        let path = format!("/api/v1/accounts/{account}/statuses");
        let since_ms = post.created_at_ms.saturating_sub(LOOKBACK_MS);
        let wanted = text::comparable(&post.text);
        let parent = post.reply_to.as_ref().map(|r| r.parent.id.as_str());
        let mut unsure: Vec<Value> = Vec::new();
        let mut max_id: Option<String> = None;
        'pages: for _ in 0..MAX_STATUS_PAGES {
            let mut query = vec![("limit", STATUS_PAGE), ("exclude_reblogs", "true")];
            if let Some(id) = &max_id {
                query.push(("max_id", id.as_str()));
            }
            let page = self.expect(creds, Method::GET, &path, &query).await?;
            let statuses = page.as_array().ok_or_else(|| {
                NetworkError::Transient("the account's statuses are not a list".into())
            })?;
            if statuses.is_empty() {
                break;
            }
            for status in statuses {
                max_id = str_field(status, "id").map(str::to_owned);
                let created = status
                    .get("created_at")
                    .and_then(Value::as_str)
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.timestamp_millis());
                match created {
                    Some(ms) if ms < since_ms => {
                        // Pinned statuses may come first out of order; others are sorted.
                        if status.get("pinned").and_then(Value::as_bool) == Some(true) {
                            continue;
                        }
                        break 'pages;
                    }
                    None => continue,
                    Some(_) => {}
                }
                if !status.get("reblog").is_none_or(Value::is_null)
                    || str_field(status, "in_reply_to_id") != parent
                    || status
                        .get("media_attachments")
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len)
                        != post.media.len()
                {
                    continue;
                }
                let shown = text::plain_text(str_field(status, "content").unwrap_or_default());
                if text::comparable(&shown) == wanted {
                    return published(&instance, status).map(Some);
                }
                if unsure.len() < MAX_SOURCE_CHECKS {
                    unsure.push(status.clone());
                }
            }
            if max_id.is_none() || statuses.len() < 40 {
                break;
            }
        }
        // The rendered HTML may not give the text back (an instance that formats Markdown,
        // for one): ask for the source text of the likely ones.
        for status in unsure {
            let Some(id) = str_field(&status, "id").filter(|id| is_id(id)) else {
                continue;
            };
            match self
                .call(
                    creds,
                    Method::GET,
                    &format!("/api/v1/statuses/{id}/source"),
                    &[],
                    Payload::None,
                    None,
                )
                .await?
            {
                Ok(source) => {
                    let raw = str_field(&source.body, "text").unwrap_or_default();
                    if raw.trim() == post.text.trim() {
                        return published(&instance, &status).map(Some);
                    }
                }
                Err(f) if f.status == 404 => {}
                Err(f) => return Err(f.into_network_error()),
            }
        }
        Ok(None)
    }
}

/// A status's id as given to the API: Mastodon's are digits; other servers that speak its API
/// use letters and digits too.
fn is_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn has_no_url(media: &Value) -> bool {
    media.get("url").is_none_or(Value::is_null)
}

fn file_name(n: usize, mime: &str) -> String {
    let ext = match mime {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/avif" => "avif",
        "image/heic" => "heic",
        "video/mp4" => "mp4",
        "video/webm" => "webm",
        "video/quicktime" => "mov",
        "audio/mpeg" => "mp3",
        "audio/ogg" => "ogg",
        "audio/wav" | "audio/x-wav" => "wav",
        "audio/flac" => "flac",
        _ => "bin",
    };
    format!("media-{n}.{ext}")
}

/// The primary subtag of a BCP 47 tag (`fr` for `fr-CA`), which is what Mastodon's `language`
/// takes; `None` for something that is not one.
fn language(tag: &str) -> Option<String> {
    let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
    ((2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase()))
        .then_some(primary)
}

/// The published post for a status as the API gives it.
fn published(instance: &str, status: &Value) -> Result<PublishedPost, NetworkError> {
    let id = str_field(status, "id")
        .filter(|id| is_id(id))
        .ok_or_else(|| {
            NetworkError::Transient("the instance answered without a status id".into())
        })?;
    let url = str_field(status, "url")
        .or_else(|| str_field(status, "uri"))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{instance}/web/statuses/{id}"));
    Ok(PublishedPost {
        id: id.to_owned(),
        version: None,
        url,
    })
}

fn status_id(post: &PublishedPost) -> Result<&str, NetworkError> {
    Some(post.id.as_str())
        .filter(|id| is_id(id))
        .ok_or_else(|| NetworkError::Rejected(format!("`{}` is not a Mastodon status id", post.id)))
}

#[async_trait]
impl Connector for Mastodon {
    fn network(&self) -> &'static str {
        "mastodon"
    }

    /// The account's full handle, `user@instance-host`.
    async fn verify(&self, creds: &mut Credentials) -> Result<String, NetworkError> {
        Self::visibility(creds)?;
        let account = self.verify_credentials(creds).await?;
        let acct = str_field(&account, "acct").unwrap_or_default();
        if acct.contains('@') {
            return Ok(acct.to_owned());
        }
        let instance = Self::instance(creds)?;
        let host = url::Url::parse(&instance)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        Ok(format!("{acct}@{host}"))
    }

    async fn publish(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<PublishedPost, NetworkError> {
        let visibility = Self::visibility(creds)?.map(str::to_owned);
        let instance = Self::instance(creds)?;
        let mut media_ids = Vec::new();
        for (i, m) in post.media.iter().enumerate() {
            media_ids.push(Value::String(self.upload_media(creds, i, m).await?));
        }
        let mut body = Map::new();
        body.insert("status".into(), Value::String(post.text.clone()));
        if !media_ids.is_empty() {
            body.insert("media_ids".into(), Value::Array(media_ids));
        }
        if let Some(reply) = &post.reply_to {
            body.insert(
                "in_reply_to_id".into(),
                Value::String(status_id(&reply.parent)?.to_owned()),
            );
        }
        if let Some(v) = visibility {
            body.insert("visibility".into(), Value::String(v));
        }
        if let Some(cw) = creds
            .setting("content_warning")
            .map(str::trim)
            .filter(|cw| !cw.is_empty())
        {
            body.insert("spoiler_text".into(), Value::String(cw.to_owned()));
        }
        if let Some(lang) = post.langs.first().and_then(|l| language(l)) {
            body.insert("language".into(), Value::String(lang));
        }
        match self
            .call(
                creds,
                Method::POST,
                "/api/v1/statuses",
                &[],
                Payload::Json(Value::Object(body)),
                Some(&post.idempotency_key),
            )
            .await?
        {
            Ok(reply) => published(&instance, &reply.body),
            Err(f) if f.status == 404 && post.reply_to.is_some() => {
                Err(NetworkError::Rejected(format!(
                    "the post this one replies to is gone from the instance ({})",
                    f.error
                )))
            }
            Err(f) => Err(f.into_network_error()),
        }
    }

    /// Mastodon cannot be asked for a status by idempotency key, so this reads the account's
    /// statuses, newest first (up to 200, back to a minute before the post was written), and
    /// takes the one that replies to the same parent (or to none), has as many media, and whose
    /// text is the post's: compared on the HTML-stripped content (white space and the domains
    /// of mentions aside), or else on the source text of up to five likely ones.
    ///
    /// Limits: a status deleted since, or beyond those 200, is not found; two posts of the same
    /// text, parent and number of media written within that window cannot be told apart (the
    /// newest is returned). A publication retried within the hour is safe anyway: the
    /// `Idempotency-Key` makes the instance return the status it already made.
    async fn find_published(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        self.scan_statuses(creds, post).await
    }

    async fn delete(
        &self,
        creds: &mut Credentials,
        post: &PublishedPost,
    ) -> Result<(), NetworkError> {
        let path = format!("/api/v1/statuses/{}", status_id(post)?);
        match self
            .call(creds, Method::DELETE, &path, &[], Payload::None, None)
            .await?
        {
            Ok(_) => Ok(()),
            // Already gone: what deleting asked for.
            Err(f) if f.status == 404 => Ok(()),
            Err(f) => Err(f.into_network_error()),
        }
    }

    async fn metrics(
        &self,
        creds: &mut Credentials,
        post: &PublishedPost,
    ) -> Result<Metrics, NetworkError> {
        let path = format!("/api/v1/statuses/{}", status_id(post)?);
        match self
            .call(creds, Method::GET, &path, &[], Payload::None, None)
            .await?
        {
            Ok(reply) => {
                let count = |k: &str| reply.body.get(k).and_then(Value::as_u64);
                if reply.body.get("id").is_none() {
                    return Err(NetworkError::Transient(
                        "the instance answered without a status".into(),
                    ));
                }
                Ok(Metrics {
                    likes: count("favourites_count"),
                    reposts: count("reblogs_count"),
                    replies: count("replies_count"),
                    quotes: count("quotes_count"),
                    views: None,
                })
            }
            Err(f) if f.status == 404 => Err(NetworkError::Rejected(format!(
                "the status {} is gone from the instance",
                post.id
            ))),
            Err(f) => Err(f.into_network_error()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn creds(settings: Value) -> Credentials {
        Credentials {
            settings,
            secrets: [("access_token".to_owned(), "t".to_owned())].into(),
            changed: false,
        }
    }

    #[test]
    fn instance_urls_are_normalised() {
        let url = |s: &str| Mastodon::instance(&creds(json!({ "instance": s })));
        assert_eq!(url("mastodon.social").unwrap(), "https://mastodon.social");
        assert_eq!(
            url("https://Mastodon.Social/").unwrap(),
            "https://mastodon.social"
        );
        assert_eq!(
            url("http://127.0.0.1:3000").unwrap(),
            "http://127.0.0.1:3000"
        );
        assert!(matches!(
            url("ftp://x.org"),
            Err(NetworkError::Misconfigured(_))
        ));
        assert!(matches!(url(" "), Err(NetworkError::Misconfigured(_))));
        assert!(matches!(
            Mastodon::instance(&creds(json!({}))),
            Err(NetworkError::Misconfigured(_))
        ));
    }

    #[test]
    fn visibility_must_be_mastodons() {
        let v = |s: Value| Mastodon::visibility(&creds(s)).map(|v| v.map(str::to_owned));
        assert_eq!(v(json!({})).unwrap(), None);
        assert_eq!(
            v(json!({ "visibility": "unlisted" })).unwrap(),
            Some("unlisted".into())
        );
        assert!(matches!(
            v(json!({ "visibility": "friends" })),
            Err(NetworkError::Misconfigured(ref m)) if m.contains("public, unlisted, private, direct")
        ));
    }

    #[test]
    fn languages_are_primary_subtags() {
        assert_eq!(language("fr"), Some("fr".into()));
        assert_eq!(language("fr-CA"), Some("fr".into()));
        assert_eq!(language("PT_br"), Some("pt".into()));
        assert_eq!(language("ast"), Some("ast".into()));
        assert_eq!(language("x"), None);
        assert_eq!(language("12"), None);
    }

    #[test]
    fn ids_are_checked_before_they_go_in_a_path() {
        assert!(is_id("109876543210"));
        assert!(is_id("AbC123"));
        assert!(!is_id(""));
        assert!(!is_id("../admin"));
        assert!(!is_id("at://did:plc:x/app.bsky.feed.post/3k"));
    }

    #[test]
    fn a_status_gives_its_url() {
        let p = published(
            "https://ex.social",
            &json!({ "id": "1", "url": "https://ex.social/@a/1", "uri": "https://ex.social/users/a/statuses/1" }),
        )
        .unwrap();
        assert_eq!(p.url, "https://ex.social/@a/1");
        let p = published(
            "https://ex.social",
            &json!({ "id": "1", "url": null, "uri": "https://ex.social/users/a/statuses/1" }),
        )
        .unwrap();
        assert_eq!(p.url, "https://ex.social/users/a/statuses/1");
        assert!(matches!(
            published("https://ex.social", &json!({ "error": "x" })),
            Err(NetworkError::Transient(_))
        ));
    }
}

//! X (formerly Twitter), through its API v2 with OAuth 2.0 user-context tokens.
//!
//! Settings: `client_id` (the OAuth 2.0 client id of the X app the channel was connected
//! with; needed to renew the access token), optionally `api_base` (default
//! `https://api.x.com`) and `token_url` (default `<api_base>/2/oauth2/token`). Secrets:
//! `access_token` and `refresh_token` (from [`oauth`], with the `offline.access` scope),
//! `client_secret` for a confidential client, and `user_id` and `username`, which the
//! connector keeps once it has asked for them.
//!
//! Tokens: an access token lasts two hours. On a 401 the connector renews it once with the
//! refresh token ([`oauth::refresh`]), keeps the new access token *and* the new refresh token
//! (X rotates them: the old one stops working), sets `Credentials::changed` and sends the
//! request again; a refresh X refuses means the channel must be connected again
//! ([`NetworkError::Unauthorized`]).
//!
//! Publishing: each image is uploaded with `POST /2/media/upload` (`multipart/form-data`:
//! `media`, `media_category=tweet_image`, or `tweet_gif` for a GIF, which X may process in the
//! background: then `GET /2/media/upload?command=STATUS` is polled, for a bounded time); its
//! alt text goes with `POST /2/media/metadata` (`{"id", "metadata": {"alt_text": {"text"}}}`).
//! Then `POST /2/tweets` with `text`, `reply.in_reply_to_tweet_id` (the parent, for a thread)
//! and `media.media_ids`. X takes no language with a post. Videos need X's chunked upload,
//! which this connector does not do: they are refused before anything is sent. A reply to a
//! deleted post (X: "deleted or not visible") is refused for good, saying so.
//!
//! Answers to direct messages: a reply whose parent is a direct message of the inbox
//! (`dm:<conversation id>:<event id>`) is sent to that conversation, text only, and found again
//! by reading it back (see [`inbox`]).
//!
//! Exactly once: X has no idempotency key. [`Connector::find_published`] reads the account's
//! posts since a minute before the post was written (see there for its limits). X also
//! refuses a text the account published recently (403 "duplicate content"): `publish` takes
//! that as "maybe published already" (an earlier attempt whose answer was lost), and returns
//! the post `find_published` finds, or refuses the post when there is none.
//!
//! Addresses: `https://x.com/<username>/status/<id>` when the username is known, else
//! `https://x.com/i/web/status/<id>`.

mod api;
mod connect;
pub mod inbox;
pub mod oauth;
pub(crate) mod search;
mod text;

use std::time::{Duration, Instant};

use async_trait::async_trait;
use relais_outbound::HttpClient;
use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::{
    Connector, Credentials, MediaFile, Metrics, NetworkError, OutgoingPost, PublishedPost,
};
use api::{Body, Failure, Reply};
pub use connect::XFlow;

/// X's API, when the channel does not say otherwise.
pub const DEFAULT_API_BASE: &str = "https://api.x.com";
/// How long a publication waits, by default, for X to process an uploaded GIF.
pub const DEFAULT_MEDIA_WAIT: Duration = Duration::from_secs(60);
/// Bounds on the pause between two looks at a media being processed (X suggests one with
/// `check_after_secs`).
const MIN_MEDIA_POLL: Duration = Duration::from_millis(200);
const MAX_MEDIA_POLL: Duration = Duration::from_secs(10);
/// `find_published` reads the account's posts back to this long before the post was written
/// (clocks of two machines differ)…
const LOOKBACK_MS: i64 = 60_000;
/// …this many at a time (X's maximum)…
const TIMELINE_PAGE: &str = "100";
/// …for at most this many pages, newest first.
const MAX_TIMELINE_PAGES: usize = 5;
const TIMELINE_FIELDS: &str =
    "created_at,in_reply_to_user_id,referenced_tweets,attachments,note_tweet";

pub struct X {
    http: HttpClient,
    media_wait: Duration,
}

/// What the channel's settings say, checked.
struct Settings {
    api_base: String,
    token_url: String,
    client_id: Option<String>,
}

impl Settings {
    fn of(creds: &Credentials) -> Result<Self, NetworkError> {
        let setting = |k: &str| creds.setting(k).map(str::trim).filter(|s| !s.is_empty());
        let api_base = base_url(setting("api_base").unwrap_or(DEFAULT_API_BASE), "api_base")?;
        let token_url = match setting("token_url") {
            Some(url) => base_url(url, "token_url")?,
            None => format!("{api_base}/2/oauth2/token"),
        };
        Ok(Self {
            api_base,
            token_url,
            client_id: setting("client_id").map(str::to_owned),
        })
    }
}

/// An http(s) address with a host, without a trailing slash.
fn base_url(raw: &str, name: &str) -> Result<String, NetworkError> {
    url::Url::parse(raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .map(|u| u.as_str().trim_end_matches('/').to_owned())
        .ok_or_else(|| {
            NetworkError::Misconfigured(format!(
                "the X channel's `{name}` (`{raw}`) is not an http(s) address"
            ))
        })
}

impl X {
    pub fn new(http: HttpClient) -> Self {
        Self {
            http,
            media_wait: DEFAULT_MEDIA_WAIT,
        }
    }

    /// How long a publication may wait for X to process an uploaded media before it gives up
    /// (with a transient error, so that the job tries again later).
    pub fn with_media_wait(mut self, wait: Duration) -> Self {
        self.media_wait = wait;
        self
    }

    fn token(creds: &Credentials) -> Result<String, NetworkError> {
        creds
            .secret("access_token")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                NetworkError::Misconfigured(
                    "the X channel has no access token; connect it again".into(),
                )
            })
    }

    /// One call; on a 401, the access token is renewed once and the call sent again.
    async fn call(
        &self,
        creds: &mut Credentials,
        verb: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Body<'_>,
    ) -> Result<Result<Reply, Failure>, NetworkError> {
        let settings = Settings::of(creds)?;
        let base = settings.api_base.as_str();
        let token = Self::token(creds)?;
        match api::send(&self.http, base, &token, verb.clone(), path, query, &body).await? {
            Err(f) if f.status == 401 => {
                self.renew(creds, &settings, &f).await?;
                let token = Self::token(creds)?;
                api::send(&self.http, base, &token, verb, path, query, &body).await
            }
            other => Ok(other),
        }
    }

    /// A call whose refusal is the answer's error as it maps in general.
    async fn expect(
        &self,
        creds: &mut Credentials,
        verb: Method,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Value, NetworkError> {
        match self.call(creds, verb, path, query, Body::None).await? {
            Ok(reply) => Ok(reply.body),
            Err(f) => Err(f.into_network_error()),
        }
    }

    /// Trades the refresh token for new tokens and keeps both (X rotates refresh tokens).
    async fn renew(
        &self,
        creds: &mut Credentials,
        settings: &Settings,
        refused: &Failure,
    ) -> Result<(), NetworkError> {
        let refresh_token = creds
            .secret("refresh_token")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                NetworkError::Unauthorized(format!(
                    "X refused the access token ({}) and the channel has no refresh token to \
                     renew it: connect the channel again",
                    refused.detail()
                ))
            })?;
        let client_id = settings.client_id.as_deref().ok_or_else(|| {
            NetworkError::Unauthorized(format!(
                "X refused the access token ({}) and the channel has no client_id to renew it \
                 with: connect the channel again",
                refused.detail()
            ))
        })?;
        let client_secret = creds
            .secret("client_secret")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let tokens = oauth::refresh(
            &self.http,
            &settings.token_url,
            client_id,
            client_secret.as_deref(),
            &refresh_token,
        )
        .await?;
        creds.set_secret("access_token", tokens.access_token);
        if let Some(rotated) = tokens.refresh_token {
            creds.set_secret("refresh_token", rotated);
        }
        tracing::info!("renewed the access token of an X channel");
        Ok(())
    }

    /// The account behind the token (`GET /2/users/me`); keeps its id and username.
    async fn me(&self, creds: &mut Credentials) -> Result<String, NetworkError> {
        let body = self.expect(creds, Method::GET, "/2/users/me", &[]).await?;
        let user = body.get("data").unwrap_or(&Value::Null);
        let id = str_field(user, "id")
            .filter(|id| is_id(id))
            .ok_or_else(|| {
                NetworkError::Transient("X answered /2/users/me without a user id".into())
            })?;
        let username = str_field(user, "username")
            .filter(|u| is_username(u))
            .unwrap_or_default()
            .to_owned();
        creds.set_secret("user_id", id.to_owned());
        if !username.is_empty() {
            creds.set_secret("username", username.clone());
        }
        Ok(username)
    }

    async fn user_id(&self, creds: &mut Credentials) -> Result<String, NetworkError> {
        if let Some(id) = creds.secret("user_id").filter(|id| is_id(id)) {
            return Ok(id.to_owned());
        }
        self.me(creds).await?;
        creds
            .secret("user_id")
            .map(str::to_owned)
            .ok_or_else(|| NetworkError::Transient("X gave no user id".into()))
    }

    /// Uploads one media (and its alt text) and waits until X has processed it; returns its id.
    async fn upload_media(
        &self,
        creds: &mut Credentials,
        n: usize,
        media: &MediaFile,
        category: &'static str,
    ) -> Result<String, NetworkError> {
        let body = Body::Media {
            media,
            file_name: file_name(n, &media.mime),
            category,
        };
        let reply = match self
            .call(creds, Method::POST, "/2/media/upload", &[], body)
            .await?
        {
            Ok(reply) => reply,
            Err(f) if f.status == 413 => {
                return Err(NetworkError::Rejected(format!(
                    "media {n} weighs {} bytes, more than X accepts: make it smaller",
                    media.bytes.len()
                )));
            }
            Err(f) => {
                let detail = f.detail();
                return Err(match f.into_network_error() {
                    NetworkError::Rejected(_) => {
                        NetworkError::Rejected(format!("X refused media {n}: {detail}"))
                    }
                    other => other,
                });
            }
        };
        let id = media_id(&reply.body).ok_or_else(|| {
            NetworkError::Transient(format!(
                "X answered the upload of media {n} without a media id"
            ))
        })?;
        self.wait_for_media(creds, n, &id, &reply.body).await?;
        if let Some(alt) = media
            .alt
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            let metadata = json!({ "id": id, "metadata": { "alt_text": { "text": alt } } });
            if let Err(f) = self
                .call(
                    creds,
                    Method::POST,
                    "/2/media/metadata",
                    &[],
                    Body::Json(metadata),
                )
                .await?
            {
                let detail = f.detail();
                return Err(match f.into_network_error() {
                    NetworkError::Rejected(_) => NetworkError::Rejected(format!(
                        "X refused the alt text of media {n}: {detail}"
                    )),
                    other => other,
                });
            }
        }
        Ok(id)
    }

    /// Polls a media X processes in the background until it succeeded, within `media_wait`.
    async fn wait_for_media(
        &self,
        creds: &mut Credentials,
        n: usize,
        id: &str,
        upload: &Value,
    ) -> Result<(), NetworkError> {
        let deadline = Instant::now() + self.media_wait;
        let mut info = processing_info(upload).cloned();
        loop {
            let Some(current) = info.as_ref() else {
                return Ok(());
            };
            match str_field(current, "state") {
                None | Some("succeeded") => return Ok(()),
                Some("failed") => {
                    let why = current
                        .get("error")
                        .and_then(|e| str_field(e, "message").or_else(|| str_field(e, "name")))
                        .unwrap_or("no reason given");
                    return Err(NetworkError::Rejected(format!(
                        "X could not process media {n}: {why}"
                    )));
                }
                Some(_) => {}
            }
            let pause = current
                .get("check_after_secs")
                .and_then(Value::as_u64)
                .map_or(Duration::from_secs(1), Duration::from_secs)
                .clamp(MIN_MEDIA_POLL, MAX_MEDIA_POLL);
            if Instant::now() + pause > deadline {
                return Err(NetworkError::Transient(format!(
                    "X was still processing media {n} after {} s; try again later",
                    self.media_wait.as_secs()
                )));
            }
            tokio::time::sleep(pause).await;
            let status = self
                .expect(
                    creds,
                    Method::GET,
                    "/2/media/upload",
                    &[("command", "STATUS"), ("media_id", id)],
                )
                .await?;
            info = processing_info(&status).cloned();
        }
    }

    /// Looks among the account's posts (newest first) for one that is this post.
    async fn scan(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        let user = self.user_id(creds).await?;
        let path = format!("/2/users/{user}/tweets");
        let now_ms = chrono::Utc::now().timestamp_millis();
        let since = post.created_at_ms.min(now_ms).saturating_sub(LOOKBACK_MS);
        let start_time = chrono::DateTime::from_timestamp_millis(since)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let parent = match &post.reply_to {
            Some(r) => Some(tweet_id(&r.parent)?),
            None => None,
        };
        let mut next: Option<String> = None;
        for _ in 0..MAX_TIMELINE_PAGES {
            let mut query = vec![
                ("max_results", TIMELINE_PAGE),
                ("start_time", start_time.as_str()),
                ("tweet.fields", TIMELINE_FIELDS),
                ("exclude", "retweets"),
            ];
            if let Some(token) = &next {
                query.push(("pagination_token", token.as_str()));
            }
            let page = self.expect(creds, Method::GET, &path, &query).await?;
            if page.get("data").is_none() && page.get("errors").is_some() {
                return Err(NetworkError::Transient(format!(
                    "X could not list the account's posts: {}",
                    api::problem_detail(&page)
                )));
            }
            let tweets = page
                .get("data")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            if let Some(found) = tweets.iter().find(|t| is_this_post(t, post, parent)) {
                return published(creds, found).map(Some);
            }
            next = page
                .get("meta")
                .and_then(|m| str_field(m, "next_token"))
                .map(str::to_owned);
            if next.is_none() || tweets.is_empty() {
                break;
            }
        }
        Ok(None)
    }
}

/// A tweet or user id as X gives them: digits.
fn is_id(id: &str) -> bool {
    (1..=20).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
}

fn is_username(name: &str) -> bool {
    (1..=50).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn tweet_id(post: &PublishedPost) -> Result<&str, NetworkError> {
    Some(post.id.as_str())
        .filter(|id| is_id(id))
        .ok_or_else(|| NetworkError::Rejected(format!("`{}` is not an X post id", post.id)))
}

/// How X takes a media type with the simple upload; `None` for what it does not.
fn media_category(mime: &str) -> Option<&'static str> {
    match mime {
        "image/jpeg" | "image/png" | "image/webp" => Some("tweet_image"),
        "image/gif" => Some("tweet_gif"),
        _ => None,
    }
}

fn file_name(n: usize, mime: &str) -> String {
    let ext = match mime {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/gif" => "gif",
        _ => "bin",
    };
    format!("media-{n}.{ext}")
}

/// The id in an upload's answer: `data.id` in API v2, `media_id_string` in the shape v1.1
/// used (which some v2 answers kept).
fn media_id(body: &Value) -> Option<String> {
    let data = body.get("data").unwrap_or(body);
    [data, body]
        .iter()
        .flat_map(|v| ["id", "media_id_string", "media_id"].map(|k| v.get(k)))
        .flatten()
        .find_map(|v| match v {
            Value::String(s) if is_id(s) => Some(s.clone()),
            Value::Number(n) if n.is_u64() => Some(n.to_string()),
            _ => None,
        })
}

fn processing_info(body: &Value) -> Option<&Value> {
    body.get("data")
        .and_then(|d| d.get("processing_info"))
        .or_else(|| body.get("processing_info"))
        .filter(|v| v.is_object())
}

/// The address people open for post `id`.
fn post_url(creds: &Credentials, id: &str) -> String {
    match creds.secret("username").filter(|u| is_username(u)) {
        Some(user) => format!("https://x.com/{user}/status/{id}"),
        None => format!("https://x.com/i/web/status/{id}"),
    }
}

/// The published post for a post object as the API gives it (`data` of `POST /2/tweets`, or
/// an item of a timeline).
fn published(creds: &Credentials, tweet: &Value) -> Result<PublishedPost, NetworkError> {
    let id = str_field(tweet, "id")
        .filter(|id| is_id(id))
        .ok_or_else(|| NetworkError::Transient("X answered without a post id".into()))?;
    Ok(PublishedPost {
        id: id.to_owned(),
        version: None,
        url: post_url(creds, id),
    })
}

/// Whether a post of the account's timeline is `post`: it replies to the same parent (or to
/// none), has as many media, and its text is the post's as [`text::same_text`] compares them.
fn is_this_post(tweet: &Value, post: &OutgoingPost, parent: Option<&str>) -> bool {
    let replied_to = tweet
        .get("referenced_tweets")
        .and_then(Value::as_array)
        .and_then(|refs| {
            refs.iter()
                .find(|r| str_field(r, "type") == Some("replied_to"))
                .and_then(|r| str_field(r, "id"))
        });
    let media = tweet
        .get("attachments")
        .and_then(|a| a.get("media_keys"))
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let shown = tweet
        .get("note_tweet")
        .and_then(|n| str_field(n, "text"))
        .or_else(|| str_field(tweet, "text"))
        .unwrap_or_default();
    replied_to == parent && media == post.media.len() && text::same_text(&post.text, shown)
}

#[async_trait]
impl Connector for X {
    fn network(&self) -> &'static str {
        "x"
    }

    /// `@username` of the account behind the token (renewed first when it has expired).
    async fn verify(&self, creds: &mut Credentials) -> Result<String, NetworkError> {
        let username = self.me(creds).await?;
        Ok(format!("@{username}"))
    }

    async fn publish(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<PublishedPost, NetworkError> {
        Settings::of(creds)?;
        // An answer to a direct message is a direct message in its conversation.
        if let Some(conversation) = inbox::direct_conversation(post)? {
            return inbox::send_direct(self, creds, post, &conversation).await;
        }
        let parent = match &post.reply_to {
            Some(r) => Some(tweet_id(&r.parent)?.to_owned()),
            None => None,
        };
        let mut categories = Vec::new();
        for (i, m) in post.media.iter().enumerate() {
            categories.push(media_category(&m.mime).ok_or_else(|| {
                NetworkError::Rejected(format!(
                    "media {} is {}; Relais sends X images (JPEG, PNG, WebP, GIF) only",
                    i + 1,
                    m.mime
                ))
            })?);
        }
        let mut media_ids = Vec::new();
        for (i, (m, category)) in post.media.iter().zip(categories).enumerate() {
            media_ids.push(Value::String(
                self.upload_media(creds, i + 1, m, category).await?,
            ));
        }
        let mut body = Map::new();
        if !post.text.is_empty() {
            body.insert("text".into(), Value::String(post.text.clone()));
        }
        if let Some(parent) = &parent {
            body.insert("reply".into(), json!({ "in_reply_to_tweet_id": parent }));
        }
        if !media_ids.is_empty() {
            body.insert("media".into(), json!({ "media_ids": media_ids }));
        }
        match self
            .call(
                creds,
                Method::POST,
                "/2/tweets",
                &[],
                Body::Json(Value::Object(body)),
            )
            .await?
        {
            Ok(reply) => published(creds, reply.body.get("data").unwrap_or(&Value::Null)),
            Err(f) if f.is_duplicate() => match self.scan(creds, post).await? {
                Some(earlier) => {
                    tracing::info!(
                        id = %earlier.id,
                        "X refused a duplicate: the post was published by an earlier attempt"
                    );
                    Ok(earlier)
                }
                None => Err(NetworkError::Rejected(format!(
                    "X refuses a text the account published recently ({}): change the text",
                    f.detail()
                ))),
            },
            Err(f) if parent.is_some() && f.is_gone_parent() => {
                Err(NetworkError::Rejected(format!(
                    "the original post ({}) was deleted, or the account can no longer see it: \
                     there is nothing to answer on X ({})",
                    parent.as_deref().unwrap_or_default(),
                    f.detail()
                )))
            }
            Err(f) => Err(f.into_network_error()),
        }
    }

    /// X has no look-up by idempotency key, so this reads the account's posts
    /// (`GET /2/users/:id/tweets`, retweets excluded, 100 a page, up to 500) since a minute
    /// before the post was written, and takes the newest that replies to the same parent (or to
    /// none), has as many media, and whose text is the post's once links (which X turns into
    /// `t.co` links), HTML entities and white space are set aside (see the `text` module).
    ///
    /// Limits: a post deleted since, or beyond those 500, is not found; two posts written in
    /// that window whose texts differ only in their links, with the same parent and number of
    /// media, cannot be told apart; a text X rewrites otherwise (Unicode normalisation…) is not
    /// recognised. X itself refuses a text the account published recently, which makes the
    /// first of these rare.
    async fn find_published(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        if let Some(conversation) = inbox::direct_conversation(post)? {
            return inbox::find_direct(self, creds, post, &conversation).await;
        }
        self.scan(creds, post).await
    }

    async fn delete(
        &self,
        creds: &mut Credentials,
        post: &PublishedPost,
    ) -> Result<(), NetworkError> {
        let path = format!("/2/tweets/{}", tweet_id(post)?);
        match self
            .call(creds, Method::DELETE, &path, &[], Body::None)
            .await?
        {
            // `{"data": {"deleted": true}}`; `false` for a post already gone, which is what
            // deleting asked for.
            Ok(_) => Ok(()),
            Err(f) if f.status == 404 => Ok(()),
            Err(f) => Err(f.into_network_error()),
        }
    }

    async fn metrics(
        &self,
        creds: &mut Credentials,
        post: &PublishedPost,
    ) -> Result<Metrics, NetworkError> {
        let path = format!("/2/tweets/{}", tweet_id(post)?);
        let gone = || NetworkError::Rejected(format!("the post {} is gone from X", post.id));
        let body = match self
            .call(
                creds,
                Method::GET,
                &path,
                &[("tweet.fields", "public_metrics")],
                Body::None,
            )
            .await?
        {
            Ok(reply) => reply.body,
            Err(f) if f.status == 404 => return Err(gone()),
            Err(f) => return Err(f.into_network_error()),
        };
        let Some(data) = body.get("data") else {
            // A post that is gone is a 200 with only `errors`.
            let not_found = body
                .get("errors")
                .and_then(Value::as_array)
                .is_some_and(|errors| {
                    errors.iter().any(|e| {
                        str_field(e, "type").is_some_and(|t| t.ends_with("resource-not-found"))
                            || str_field(e, "title") == Some("Not Found Error")
                    })
                });
            return Err(if not_found {
                gone()
            } else {
                NetworkError::Transient(format!(
                    "X answered without the post: {}",
                    api::problem_detail(&body)
                ))
            });
        };
        let counts = data.get("public_metrics").unwrap_or(&Value::Null);
        let count = |k: &str| counts.get(k).and_then(Value::as_u64);
        Ok(Metrics {
            likes: count("like_count"),
            reposts: count("retweet_count"),
            replies: count("reply_count"),
            quotes: count("quote_count"),
            views: count("impression_count"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(settings: Value) -> Credentials {
        Credentials {
            settings,
            secrets: [("access_token".to_owned(), "t".to_owned())].into(),
            changed: false,
        }
    }

    #[test]
    fn settings_have_defaults_and_are_checked() {
        let s = Settings::of(&creds(json!({ "client_id": "abc" }))).expect("settings");
        assert_eq!(s.api_base, "https://api.x.com");
        assert_eq!(s.token_url, "https://api.x.com/2/oauth2/token");
        assert_eq!(s.client_id.as_deref(), Some("abc"));
        let s = Settings::of(&creds(json!({ "api_base": "http://127.0.0.1:8080/" })))
            .expect("settings");
        assert_eq!(s.api_base, "http://127.0.0.1:8080");
        assert_eq!(s.token_url, "http://127.0.0.1:8080/2/oauth2/token");
        assert_eq!(s.client_id, None);
        let s = Settings::of(&creds(
            json!({ "token_url": "https://auth.example/token", "client_id": " " }),
        ))
        .expect("settings");
        assert_eq!(s.token_url, "https://auth.example/token");
        assert_eq!(s.client_id, None);
        for bad in [
            json!({ "api_base": "ftp://x.com" }),
            json!({ "token_url": "nope" }),
        ] {
            assert!(matches!(
                Settings::of(&creds(bad)),
                Err(NetworkError::Misconfigured(_))
            ));
        }
    }

    #[test]
    fn urls_name_the_user_when_known() {
        let mut c = creds(json!({}));
        assert_eq!(post_url(&c, "20"), "https://x.com/i/web/status/20");
        c.secrets.insert("username".into(), "relais_app".into());
        assert_eq!(post_url(&c, "20"), "https://x.com/relais_app/status/20");
        c.secrets.insert("username".into(), "../evil".into());
        assert_eq!(post_url(&c, "20"), "https://x.com/i/web/status/20");
    }

    #[test]
    fn ids_are_checked_before_they_go_in_a_path() {
        assert!(is_id("1445880548472328192"));
        assert!(!is_id(""));
        assert!(!is_id("../2/users/me"));
        assert!(!is_id("123456789012345678901"));
    }

    #[test]
    fn media_ids_in_either_shape() {
        assert_eq!(
            media_id(&json!({ "data": { "id": "1880028106020515840", "media_key": "3_188" } })),
            Some("1880028106020515840".into())
        );
        assert_eq!(
            media_id(&json!({ "media_id": 710511363345354753_u64,
                              "media_id_string": "710511363345354753" })),
            Some("710511363345354753".into())
        );
        assert_eq!(media_id(&json!({ "data": {} })), None);
    }

    #[test]
    fn only_images_go_through_the_simple_upload() {
        assert_eq!(media_category("image/png"), Some("tweet_image"));
        assert_eq!(media_category("image/gif"), Some("tweet_gif"));
        assert_eq!(media_category("video/mp4"), None);
        assert_eq!(media_category("application/pdf"), None);
    }

    #[test]
    fn a_timeline_post_is_recognised() {
        let post = OutgoingPost {
            text: "Bonjour https://example.org".into(),
            media: vec![],
            reply_to: None,
            langs: vec![],
            idempotency_key: "k".into(),
            created_at_ms: 0,
        };
        let tweet = json!({ "id": "5", "text": "Bonjour https://t.co/abc",
                            "edit_history_tweet_ids": ["5"] });
        assert!(is_this_post(&tweet, &post, None));
        assert!(!is_this_post(&tweet, &post, Some("4")));
        let reply = json!({ "id": "6", "text": "Bonjour https://t.co/abc",
                            "referenced_tweets": [{ "type": "replied_to", "id": "4" }] });
        assert!(is_this_post(&reply, &post, Some("4")));
        assert!(!is_this_post(&reply, &post, None));
        let with_media = json!({ "id": "7", "text": "Bonjour https://t.co/abc https://t.co/m",
                                 "attachments": { "media_keys": ["3_1"] } });
        assert!(!is_this_post(&with_media, &post, None));
        let long = json!({ "id": "8", "text": "Bonjour…",
                           "note_tweet": { "text": "Bonjour https://t.co/abc" } });
        assert!(is_this_post(&long, &post, None));
    }
}

//! Threads (Meta), through the Threads API (`graph.threads.net`).
//!
//! Settings: `client_id` (the Threads app the channel was connected with, for the record) and
//! optionally `api_base` (default `https://graph.threads.net/v1.0`; the token endpoints live at
//! the same address without the version). Secrets: `access_token` (long-lived, 60 days),
//! `expires_at_ms` (when it expires), and `user_id` and `username`, kept once known. The app
//! secret is not kept with the channel: renewing a long-lived token does not take it.
//!
//! Tokens: Meta renews a long-lived token only while it is valid and at least a day old, and
//! an expired one can never be renewed. So the connector renews it *before* it expires: when
//! less than seven days remain at the start of any call ([`oauth::refresh`]), keeping the new
//! token and its expiry and setting `Credentials::changed`. A renewal refused or failing then is
//! logged and the current token used while it lasts. An expired or revoked token (401, Graph
//! code 190) is [`NetworkError::Unauthorized`] at once — "connect the channel again" — as
//! renewing it cannot work.
//!
//! Publishing is Meta's two steps. `POST /{user-id}/threads` makes a container: `media_type`
//! `TEXT`, `IMAGE` (`image_url`) or `VIDEO` (`video_url`), with `text`, `alt_text`, and
//! `reply_to_id` for a reply; several media make a `CAROUSEL` of item containers (made with
//! `is_carousel_item=true`, 2 to 20, listed in `children`). Threads fetches media itself, so
//! each one needs [`crate::MediaFile::public_url`] ([`NetworkError::Misconfigured`] without
//! it). The container is then polled with `GET /{container-id}?fields=status,error_message`
//! until `FINISHED` (at once, then backing off, for a bounded time: Meta advises to wait about
//! 30 seconds on average and to check once a minute for at most five; `ERROR` is
//! [`NetworkError::Rejected`] with Meta's `error_message`), and published with
//! `POST /{user-id}/threads_publish` (`creation_id`), which answers the post's id. Before all
//! that, `GET /{user-id}/threads_publishing_limit` tells whether the 250 posts (1,000 replies)
//! of the last 24 hours are used up: then nothing is sent, and [`NetworkError::RateLimited`]
//! says how long until the oldest post of the window leaves it. A thread is a chain: each post
//! replies to the one before (its `parent`).
//!
//! Exactly once: Threads takes no idempotency key. Three things make up for it.
//! 1. A container is published at most once by this connector: when `threads_publish` fails
//!    in a way that leaves doubt (a time-out, a 5xx, a garbled answer, "media not found"), the
//!    container's status says what happened — `PUBLISHED` means the post is live and is looked
//!    up in the account's posts; anything else means it was not published. Containers that
//!    were never published expire by themselves after 24 hours. (What Meta does with a second
//!    `threads_publish` of the same container is not documented; the connector never relies on
//!    it.)
//! 2. After a crash (the publisher finds an intent without a result) [`Connector::find_published`]
//!    reads the account's posts since a minute before the post was written — or, for a reply,
//!    the parent's replies — and takes the newest of the account's own with the same text and
//!    the same kind of media (see `lookup`).
//! 3. A post whose address cannot be read after publication is still returned (with a
//!    fallback address), never published again.
//!
//! Addresses: the post's `permalink` (`GET /{media-id}?fields=permalink`, e.g.
//! `https://www.threads.com/@user/post/SHORTCODE`); when Meta withholds it (copyright), one
//! built from the username and the shortcode, else the profile's address.
//!
//! Left out: `auto_publish_text` (one call for a text post, but without a container whose
//! status settles a doubt), quote posts, polls, link attachments, topic tags, reply controls
//! and country allow-lists. Threads takes no language with a post.

mod api;
mod connect;
pub mod inbox;
mod lookup;
pub mod oauth;
mod publish;

use std::time::Duration;

use async_trait::async_trait;
use relais_outbound::HttpClient;
use reqwest::Method;
use serde_json::Value;

use crate::{Connector, Credentials, Metrics, NetworkError, OutgoingPost, PublishedPost};
use api::{Failure, Reply};
pub use connect::ThreadsFlow;

/// The Threads API, when the channel does not say otherwise.
pub const DEFAULT_API_BASE: &str = "https://graph.threads.net/v1.0";
/// How long a publication waits, by default, for Threads to process a container (Meta: check
/// for no more than five minutes).
pub const DEFAULT_CONTAINER_WAIT: Duration = Duration::from_secs(300);
/// The first pause between two looks at a container; it doubles up to [`MAX_POLL`].
pub const DEFAULT_FIRST_POLL: Duration = Duration::from_secs(2);
const MAX_POLL: Duration = Duration::from_secs(30);
/// A token with less than this left is renewed before it is used.
const RENEW_BEFORE_MS: i64 = 7 * 24 * 3600 * 1000;

pub struct Threads {
    http: HttpClient,
    container_wait: Duration,
    first_poll: Duration,
}

/// What the channel's settings say, checked.
struct Settings {
    /// With its version: `https://graph.threads.net/v1.0`.
    api_base: String,
    /// Without it, where the token endpoints are: `https://graph.threads.net`.
    root: String,
}

impl Settings {
    fn of(creds: &Credentials) -> Result<Self, NetworkError> {
        let raw = creds
            .setting("api_base")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_API_BASE);
        let api_base = base_url(raw).ok_or_else(|| {
            NetworkError::Misconfigured(format!(
                "the Threads channel's `api_base` (`{raw}`) is not an http(s) address"
            ))
        })?;
        Ok(Self {
            root: root_of(&api_base),
            api_base,
        })
    }
}

/// An http(s) address with a host, without a trailing slash.
pub(crate) fn base_url(raw: &str) -> Option<String> {
    url::Url::parse(raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .map(|u| u.as_str().trim_end_matches('/').to_owned())
}

/// `api_base` without a last path segment that is a version (`v1.0`).
pub(crate) fn root_of(api_base: &str) -> String {
    match api_base.rsplit_once('/') {
        Some((root, last))
            if last.len() > 1
                && last.starts_with('v')
                && last[1..].bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && !root.ends_with('/') =>
        {
            root.to_owned()
        }
        _ => api_base.to_owned(),
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A Threads id (user, media, container) as Meta gives them: digits. Checked before an id
/// goes into a path.
pub(crate) fn is_id(id: &str) -> bool {
    (1..=30).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
}

/// A Threads username: letters, digits, `.` and `_`.
pub(crate) fn is_username(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
}

pub(crate) fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The id in an answer, as a string of digits (Meta writes ids as strings; a number is
/// accepted too).
pub(crate) fn id_field(v: &Value) -> Option<String> {
    match v.get("id")? {
        Value::String(s) if is_id(s) => Some(s.clone()),
        Value::Number(n) if n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

fn post_id(post: &PublishedPost) -> Result<&str, NetworkError> {
    Some(post.id.as_str())
        .filter(|id| is_id(id))
        .ok_or_else(|| NetworkError::Rejected(format!("`{}` is not a Threads post id", post.id)))
}

impl Threads {
    pub fn new(http: HttpClient) -> Self {
        Self {
            http,
            container_wait: DEFAULT_CONTAINER_WAIT,
            first_poll: DEFAULT_FIRST_POLL,
        }
    }

    /// How a publication polls a container being processed: first pause `first_poll`
    /// (doubling), giving up after `wait` with a transient error (a later attempt makes a new
    /// container; the old one is never published and expires).
    pub fn with_polling(mut self, first_poll: Duration, wait: Duration) -> Self {
        self.first_poll = first_poll;
        self.container_wait = wait;
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
                    "the Threads channel has no access token; connect it again".into(),
                )
            })
    }

    /// Checks the settings and renews the token when it expires within a week.
    async fn prepare(&self, creds: &mut Credentials) -> Result<Settings, NetworkError> {
        let settings = Settings::of(creds)?;
        let token = Self::token(creds)?;
        let Some(expires_at) = creds
            .secret("expires_at_ms")
            .and_then(|v| v.trim().parse::<i64>().ok())
        else {
            return Ok(settings);
        };
        let now = now_ms();
        // Expired: Meta would refuse to renew it; the call itself will say Unauthorized (or
        // work, if our record of the expiry is wrong).
        if expires_at <= now || expires_at - now > RENEW_BEFORE_MS {
            return Ok(settings);
        }
        match oauth::refresh(&self.http, &settings.root, &token).await {
            Ok(renewed) => {
                let at = renewed.expires_at_ms(now_ms(), oauth::LONG_LIVED);
                creds.set_secret("access_token", renewed.access_token);
                creds.set_secret("expires_at_ms", at.to_string());
                tracing::info!("renewed the access token of a Threads channel");
            }
            Err(e @ NetworkError::Misconfigured(_)) => return Err(e),
            // The token still works for a while: publishing goes on; the next call tries again.
            Err(e) => tracing::warn!(
                error = %e,
                "could not renew the access token of a Threads channel; using it while it lasts"
            ),
        }
        Ok(settings)
    }

    /// One call to `path` (under `api_base`).
    async fn call(
        &self,
        creds: &Credentials,
        settings: &Settings,
        verb: Method,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<Result<Reply, Failure>, NetworkError> {
        let token = Self::token(creds)?;
        let url = format!("{}{path}", settings.api_base);
        api::send(&self.http, verb, &url, Some(&token), params, path).await
    }

    /// A call whose refusal is the answer's error as it maps in general.
    async fn expect(
        &self,
        creds: &Credentials,
        settings: &Settings,
        verb: Method,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<Value, NetworkError> {
        match self.call(creds, settings, verb, path, params).await? {
            Ok(reply) => Ok(reply.body),
            Err(f) => Err(f.into_network_error()),
        }
    }

    /// The account behind the token (`GET /me?fields=id,username`); keeps its id and name.
    async fn me(
        &self,
        creds: &mut Credentials,
        settings: &Settings,
    ) -> Result<String, NetworkError> {
        let body = self
            .expect(
                creds,
                settings,
                Method::GET,
                "/me",
                &[("fields", "id,username")],
            )
            .await?;
        let id = id_field(&body).ok_or_else(|| {
            NetworkError::Transient("Threads answered /me without a user id".into())
        })?;
        let username = str_field(&body, "username")
            .filter(|u| is_username(u))
            .unwrap_or_default()
            .to_owned();
        creds.set_secret("user_id", id);
        if !username.is_empty() {
            creds.set_secret("username", username.clone());
        }
        Ok(username)
    }

    async fn user_id(
        &self,
        creds: &mut Credentials,
        settings: &Settings,
    ) -> Result<String, NetworkError> {
        if let Some(id) = creds.secret("user_id").filter(|id| is_id(id)) {
            return Ok(id.to_owned());
        }
        self.me(creds, settings).await?;
        creds
            .secret("user_id")
            .map(str::to_owned)
            .ok_or_else(|| NetworkError::Transient("Threads gave no user id".into()))
    }
}

/// The address people open for a post object of the API (`permalink`, else built from
/// `username` and `shortcode`, else the profile's address).
pub(crate) fn address(creds: &Credentials, post: &Value) -> String {
    if let Some(link) = str_field(post, "permalink").filter(|l| l.starts_with("https://")) {
        return link.to_owned();
    }
    let user = str_field(post, "username")
        .or_else(|| creds.secret("username"))
        .filter(|u| is_username(u));
    let code = str_field(post, "shortcode").filter(|c| {
        !c.is_empty()
            && c.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
    });
    match (user, code) {
        (Some(u), Some(c)) => format!("https://www.threads.com/@{u}/post/{c}"),
        (Some(u), None) => format!("https://www.threads.com/@{u}"),
        _ => "https://www.threads.com/".to_owned(),
    }
}

#[async_trait]
impl Connector for Threads {
    fn network(&self) -> &'static str {
        "threads"
    }

    /// `@username` of the account behind the token.
    async fn verify(&self, creds: &mut Credentials) -> Result<String, NetworkError> {
        let settings = self.prepare(creds).await?;
        let username = self.me(creds, &settings).await?;
        Ok(format!("@{username}"))
    }

    async fn publish(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<PublishedPost, NetworkError> {
        let plan = publish::Plan::of(post)?;
        let settings = self.prepare(creds).await?;
        self.publish_plan(creds, &settings, post, &plan).await
    }

    /// Threads has no look-up by key: this reads the account's posts (`GET /{user-id}/threads`,
    /// 100 a page, up to 500) since a minute before the post was written — for a reply, the
    /// parent's replies (`GET /{parent-id}/replies`, newest first) — and takes the newest of
    /// the account's own whose text is the post's (white space aside) and whose kind (text,
    /// image, video, carousel) matches.
    ///
    /// Limits: a post deleted since, or beyond those pages, is not found; two posts written in
    /// that window with the same text, parent and kind of media cannot be told apart.
    async fn find_published(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        let settings = self.prepare(creds).await?;
        self.scan(creds, &settings, post).await
    }

    /// `DELETE /{media-id}`; a post already gone is what deleting asked for.
    async fn delete(
        &self,
        creds: &mut Credentials,
        post: &PublishedPost,
    ) -> Result<(), NetworkError> {
        let id = post_id(post)?;
        let settings = self.prepare(creds).await?;
        match self
            .call(creds, &settings, Method::DELETE, &format!("/{id}"), &[])
            .await?
        {
            Ok(reply) if reply.body.get("success").and_then(Value::as_bool) == Some(false) => {
                Err(NetworkError::Transient(format!(
                    "Threads did not delete the post {id}; try again later"
                )))
            }
            Ok(_) => Ok(()),
            Err(f) if f.is_gone() => Ok(()),
            Err(f) => Err(f.into_network_error()),
        }
    }

    /// `GET /{media-id}/insights?metric=views,likes,replies,reposts,quotes` (lifetime values;
    /// Meta's `replies` of a root post counts all its replies).
    async fn metrics(
        &self,
        creds: &mut Credentials,
        post: &PublishedPost,
    ) -> Result<Metrics, NetworkError> {
        let id = post_id(post)?;
        let settings = self.prepare(creds).await?;
        let body = match self
            .call(
                creds,
                &settings,
                Method::GET,
                &format!("/{id}/insights"),
                &[("metric", "views,likes,replies,reposts,quotes")],
            )
            .await?
        {
            Ok(reply) => reply.body,
            Err(f) if f.is_gone() => {
                return Err(NetworkError::Rejected(format!(
                    "the post {id} is gone from Threads"
                )));
            }
            Err(f) => return Err(f.into_network_error()),
        };
        let Some(data) = body.get("data").and_then(Value::as_array) else {
            return Err(NetworkError::Transient(
                "Threads answered the insights without `data`".into(),
            ));
        };
        let value = |name: &str| {
            let metric = data.iter().find(|m| str_field(m, "name") == Some(name))?;
            metric
                .get("values")
                .and_then(Value::as_array)
                .and_then(|v| v.first())
                .and_then(|v| v.get("value"))
                .or_else(|| metric.get("total_value").and_then(|t| t.get("value")))
                .and_then(Value::as_u64)
        };
        Ok(Metrics {
            likes: value("likes"),
            reposts: value("reposts"),
            replies: value("replies"),
            quotes: value("quotes"),
            views: value("views"),
        })
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
    fn settings_have_defaults_and_are_checked() {
        let s = Settings::of(&creds(json!({}))).expect("settings");
        assert_eq!(s.api_base, "https://graph.threads.net/v1.0");
        assert_eq!(s.root, "https://graph.threads.net");
        let s = Settings::of(&creds(json!({ "api_base": "http://127.0.0.1:8080/v1.0/" })))
            .expect("settings");
        assert_eq!(
            (s.api_base.as_str(), s.root.as_str()),
            ("http://127.0.0.1:8080/v1.0", "http://127.0.0.1:8080")
        );
        let s = Settings::of(&creds(
            json!({ "api_base": "https://proxy.example/threads" }),
        ))
        .expect("settings");
        assert_eq!(s.root, "https://proxy.example/threads");
        assert!(matches!(
            Settings::of(&creds(json!({ "api_base": "ftp://graph.threads.net" }))),
            Err(NetworkError::Misconfigured(ref m)) if m.contains("api_base")
        ));
    }

    #[test]
    fn versions_are_recognised() {
        assert_eq!(
            root_of("https://graph.threads.net/v1.0"),
            "https://graph.threads.net"
        );
        assert_eq!(
            root_of("https://graph.threads.net/v21"),
            "https://graph.threads.net"
        );
        assert_eq!(
            root_of("https://graph.threads.net"),
            "https://graph.threads.net"
        );
        assert_eq!(
            root_of("https://a.example/video"),
            "https://a.example/video"
        );
    }

    #[test]
    fn addresses_prefer_the_permalink() {
        let mut c = creds(json!({}));
        let p = json!({ "id": "1", "permalink": "https://www.threads.com/@relais/post/DAbc" });
        assert_eq!(address(&c, &p), "https://www.threads.com/@relais/post/DAbc");
        assert_eq!(
            address(&c, &json!({ "id": "1", "shortcode": "DAbc" })),
            "https://www.threads.com/"
        );
        c.secrets.insert("username".into(), "relais.app".into());
        assert_eq!(
            address(&c, &json!({ "id": "1", "shortcode": "DAbc" })),
            "https://www.threads.com/@relais.app/post/DAbc"
        );
        assert_eq!(
            address(
                &c,
                &json!({ "id": "1", "permalink": "javascript:alert(1)" })
            ),
            "https://www.threads.com/@relais.app"
        );
        c.secrets.insert("username".into(), "../x".into());
        assert_eq!(address(&c, &json!({})), "https://www.threads.com/");
    }

    #[test]
    fn ids_are_digits() {
        assert!(is_id("17889615691921648"));
        assert!(!is_id(""));
        assert!(!is_id("../me"));
        assert_eq!(id_field(&json!({ "id": "123" })), Some("123".into()));
        assert_eq!(id_field(&json!({ "id": 123 })), Some("123".into()));
        assert_eq!(id_field(&json!({ "id": "a1" })), None);
    }
}

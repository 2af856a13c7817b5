//! LinkedIn organisation (company page) posts, through LinkedIn's versioned Marketing APIs
//! (`https://api.linkedin.com/rest/…`, the Community Management API product).
//!
//! Settings: `organization_id` (the page's numeric id, or its `urn:li:organization:…` URN),
//! `client_id` (of the LinkedIn app the channel was connected with; needed to renew the
//! access token), optionally `version` (the `LinkedIn-Version` to speak, `YYYYMM`; default
//! [`API_VERSION`]), `api_base` (default `https://api.linkedin.com`) and `oauth_base`
//! (default `https://www.linkedin.com`, where the token endpoint is). Secrets:
//! `access_token`, `refresh_token` (for apps LinkedIn allows programmatic refresh) and
//! `client_secret`.
//!
//! Tokens: an access token lasts 60 days. On a 401 the connector renews it once with the
//! refresh token ([`oauth::refresh`]; a refresh token lasts 365 days from the first consent
//! and is not rotated), keeps it, sets `Credentials::changed` and sends the request again. No
//! refresh token, or a refresh LinkedIn refuses, means the channel must be connected again
//! ([`NetworkError::Unauthorized`]). A 403 says the member who connected the channel is no
//! longer an administrator of the page, or the app lacks the permission: the same.
//!
//! Publishing: each image is registered with `POST /rest/images?action=initializeUpload`
//! (`{"initializeUploadRequest": {"owner": <organisation URN>}}`, answering `uploadUrl` and
//! the `urn:li:image:…`), and its bytes are `PUT` to that address. Then `POST /rest/posts`
//! with the organisation as `author`, the text as `commentary` in LinkedIn's *little* format
//! (reserved characters escaped, see the `text` module), `visibility: PUBLIC`, the main-feed
//! `distribution`, `lifecycleState: PUBLISHED`, and `content.media` (`{id, altText}`) for one
//! image or `content.multiImage.images` for 2 to 20. LinkedIn answers 201 with the post's URN
//! in `x-restli-id`. LinkedIn takes no language with a post.
//!
//! Replies: LinkedIn has no thread of posts; a reply to a post is a comment on the thread's
//! root (`POST /rest/socialActions/{root}/comments`, with the organisation as `actor`), which
//! is how Relais makes a "first comment". A reply to a comment (the inbox's messages) is a
//! nested comment under it: `POST /rest/socialActions/{comment URN}/comments` with that URN
//! as `parentComment` and the comment's post as `object`. LinkedIn nests one level only, so
//! an answer to a nested comment goes under its top-level comment, which the inbox keeps as
//! the nested comment's `version` (and the connector as the `version` of the nested comments
//! it makes). Comments take text only here (no image).
//!
//! Exactly once: LinkedIn has no idempotency key. [`Connector::find_published`] reads the
//! page's posts (`GET /rest/posts?q=author`), or the root's comments for a reply, back to a
//! minute before the post was written (see there for its limits). LinkedIn also refuses
//! content the page published recently (422 `DUPLICATE_POST`): `publish` takes that as "maybe
//! published already" (an earlier attempt whose answer was lost), and returns the post
//! `find_published` finds, or refuses the post when there is none.
//!
//! Addresses: `https://www.linkedin.com/feed/update/{post URN}/`; a comment's is its post's
//! with `?commentUrn={comment URN}`.
//!
//! Metrics: likes and comments from `GET /rest/socialActions/{urn}`; for a post, views
//! (impressions) and reposts from `GET /rest/organizationalEntityShareStatistics` (left out,
//! not an error, when LinkedIn refuses them: it keeps them for twelve months).
//!
//! Left out: videos and documents (the Videos API's multi-part upload), articles with a link
//! preview, mentions (`@` is escaped: Relais does not resolve names to URNs), polls, member
//! (personal) profiles, and the 429 reset LinkedIn does not send (daily limits reset at
//! midnight UTC; without `Retry-After`, the scheduler's own back-off applies).

mod api;
mod connect;
pub mod inbox;
pub mod oauth;
mod shapes;
mod text;
mod urn;

use async_trait::async_trait;
use relais_outbound::HttpClient;
use reqwest::Method;
use serde_json::{Value, json};

use crate::oauth::encode;
use crate::{
    Connector, Credentials, Metrics, NetworkError, OutgoingPost, PublishedPost, ReplyTarget,
};
use api::{Body, Call, Failure, Reply};
pub use connect::LinkedInFlow;
use shapes::{
    comment_target, comment_urn, elements, is_this_post, organization_display, post_body,
    published, since, str_field,
};

/// LinkedIn's API, when the channel does not say otherwise.
pub const DEFAULT_API_BASE: &str = "https://api.linkedin.com";
/// The `LinkedIn-Version` spoken unless the channel's `version` setting says otherwise.
/// LinkedIn serves each version for about a year after its release.
pub const API_VERSION: &str = "202605";
/// `find_published` reads back to this long before the post was written (clocks of two
/// machines differ)…
const LOOKBACK_MS: i64 = 60_000;
/// …this many posts at a time…
const POSTS_PAGE: usize = 50;
/// …for at most this many pages, most recently modified first.
const MAX_POST_PAGES: usize = 6;
/// Comments under a root, a page, and the pages read at most.
const COMMENTS_PAGE: usize = 100;
const MAX_COMMENT_PAGES: usize = 5;
/// A multi-image post takes 2 to 20 images.
const MAX_IMAGES: usize = 20;
/// What the Images API takes.
const IMAGE_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/gif"];

pub struct LinkedIn {
    http: HttpClient,
}

/// What the channel's settings say, checked.
struct Settings {
    api_base: String,
    oauth_base: String,
    version: String,
    client_id: Option<String>,
    /// The organisation's numeric id.
    organization: String,
}

impl Settings {
    fn of(creds: &Credentials) -> Result<Self, NetworkError> {
        let setting = |k: &str| creds.setting(k).map(str::trim).filter(|s| !s.is_empty());
        let api_base = base_url(setting("api_base").unwrap_or(DEFAULT_API_BASE), "api_base")?;
        let oauth_base = base_url(
            setting("oauth_base").unwrap_or(oauth::DEFAULT_OAUTH_BASE),
            "oauth_base",
        )?;
        let version = setting("version").unwrap_or(API_VERSION);
        if !is_version(version) {
            return Err(NetworkError::Misconfigured(format!(
                "the LinkedIn channel's `version` (`{version}`) is not a LinkedIn API version \
                 (YYYYMM, such as {API_VERSION})"
            )));
        }
        let organization = match setting("organization_id") {
            None => {
                return Err(NetworkError::Misconfigured(
                    "the LinkedIn channel has no `organization_id` (the company page's numeric \
                     id); connect it again"
                        .into(),
                ));
            }
            Some(raw) => urn::organization_id(raw)
                .or(Some(raw).filter(|id| urn::is_numeric_id(id)))
                .ok_or_else(|| {
                    NetworkError::Misconfigured(format!(
                        "the LinkedIn channel's `organization_id` (`{raw}`) is not a page's \
                         numeric id nor an urn:li:organization URN"
                    ))
                })?
                .to_owned(),
        };
        Ok(Self {
            api_base,
            oauth_base,
            version: version.to_owned(),
            client_id: setting("client_id").map(str::to_owned),
            organization,
        })
    }

    fn author(&self) -> String {
        urn::organization(&self.organization)
    }
}

/// `YYYYMM` (a month version; LinkedIn also names patch versions `YYYYMM.RR`).
fn is_version(v: &str) -> bool {
    let (month, patch) = v.split_once('.').unwrap_or((v, "00"));
    month.len() == 6
        && month.bytes().all(|b| b.is_ascii_digit())
        && matches!(month[4..].parse::<u8>(), Ok(1..=12))
        && patch.len() == 2
        && patch.bytes().all(|b| b.is_ascii_digit())
}

/// An http(s) address with a host, without a trailing slash.
fn base_url(raw: &str, name: &str) -> Result<String, NetworkError> {
    url::Url::parse(raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .map(|u| u.as_str().trim_end_matches('/').to_owned())
        .ok_or_else(|| {
            NetworkError::Misconfigured(format!(
                "the LinkedIn channel's `{name}` (`{raw}`) is not an http(s) address"
            ))
        })
}

/// Where a request goes.
enum Dest<'a> {
    /// A path (with its query) under the API's base: versioned, with the token.
    Api(&'a str),
    /// An upload address the Images API gave.
    Upload(&'a str),
}

/// Whether the access token may go to `url`: only to LinkedIn's own hosts (which is where
/// the Images API sends uploads) or to the host the channel's API is on.
fn token_may_go_to(url: &str, api_base: &str) -> bool {
    let host = |u: &str| {
        url::Url::parse(u)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
    };
    let Some(target) = host(url) else {
        return false;
    };
    let https = url.starts_with("https://");
    (https && (target == "linkedin.com" || target.ends_with(".linkedin.com")))
        || host(api_base).is_some_and(|api| api == target)
}

/// Where a reply goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place<'a> {
    /// A comment on this post (the thread's root).
    OnPost(&'a str),
    /// A nested comment under this top-level comment, which is on `object` (the post, as
    /// LinkedIn names it in the comment's URN).
    Under { comment: &'a str, object: &'a str },
}

impl<'a> Place<'a> {
    /// Under the parent when it is a comment (under its top-level comment, named by its
    /// `version`, when it is itself nested); else on the root.
    fn of(reply_to: &'a ReplyTarget) -> Result<Self, NetworkError> {
        let parent = &reply_to.parent;
        if urn::comment_parts(&parent.id).is_none() {
            return Ok(Place::OnPost(comment_target(&reply_to.root)?));
        }
        let comment = parent
            .version
            .as_deref()
            .filter(|v| urn::comment_parts(v).is_some())
            .unwrap_or(&parent.id);
        match urn::comment_parts(comment) {
            Some((object, _)) => Ok(Place::Under { comment, object }),
            None => Err(NetworkError::Rejected(format!(
                "`{comment}` is not a LinkedIn comment to reply to"
            ))),
        }
    }

    /// What the comment is `object` of.
    fn object(self) -> &'a str {
        match self {
            Place::OnPost(post) => post,
            Place::Under { object, .. } => object,
        }
    }

    /// The URN whose comments list the reply (`/rest/socialActions/{it}/comments`).
    fn listed_under(self) -> &'a str {
        match self {
            Place::OnPost(post) => post,
            Place::Under { comment, .. } => comment,
        }
    }

    /// The reply as published; a nested one keeps its top-level comment as its version, where
    /// an answer to it must go.
    fn published(self, id: String) -> PublishedPost {
        let mut p = published(id);
        if let Place::Under { comment, .. } = self {
            p.version = Some(comment.to_owned());
        }
        p
    }
}

impl LinkedIn {
    pub fn new(http: HttpClient) -> Self {
        Self { http }
    }

    fn token(creds: &Credentials) -> Result<String, NetworkError> {
        creds
            .secret("access_token")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                NetworkError::Misconfigured(
                    "the LinkedIn channel has no access token; connect it again".into(),
                )
            })
    }

    /// One call; on a 401, the access token is renewed once and the call sent again.
    async fn call(
        &self,
        creds: &mut Credentials,
        s: &Settings,
        verb: Method,
        dest: Dest<'_>,
        body: &Body<'_>,
        what: &str,
    ) -> Result<Result<Reply, Failure>, NetworkError> {
        let (url, versioned, with_token) = match dest {
            Dest::Api(path) => (format!("{}{path}", s.api_base), true, true),
            Dest::Upload(url) => (url.to_owned(), false, token_may_go_to(url, &s.api_base)),
        };
        let version = versioned.then_some(s.version.as_str());
        let token = Self::token(creds)?;
        let first = Call {
            verb: verb.clone(),
            url: url.clone(),
            token: with_token.then_some(token.as_str()),
            version,
            body,
        };
        match api::send(&self.http, &first, what).await? {
            Err(f) if f.status == 401 && with_token => {
                self.renew(creds, s, &f).await?;
                let token = Self::token(creds)?;
                let again = Call {
                    verb,
                    url,
                    token: Some(token.as_str()),
                    version,
                    body,
                };
                api::send(&self.http, &again, what).await
            }
            other => Ok(other),
        }
    }

    /// A call whose refusal is the answer's error as it maps in general.
    async fn expect(
        &self,
        creds: &mut Credentials,
        s: &Settings,
        verb: Method,
        path: &str,
        what: &str,
    ) -> Result<Value, NetworkError> {
        match self
            .call(creds, s, verb, Dest::Api(path), &Body::None, what)
            .await?
        {
            Ok(reply) => Ok(reply.body),
            Err(f) => Err(f.into_network_error()),
        }
    }

    /// Trades the refresh token for a new access token, and keeps what LinkedIn gave.
    async fn renew(
        &self,
        creds: &mut Credentials,
        s: &Settings,
        refused: &Failure,
    ) -> Result<(), NetworkError> {
        let secret = |creds: &Credentials, k: &str| {
            creds
                .secret(k)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let missing = |what: &str| {
            NetworkError::Unauthorized(format!(
                "LinkedIn refused the access token ({}) and the channel has no {what} to renew \
                 it: connect the channel again",
                refused.detail()
            ))
        };
        let refresh_token =
            secret(creds, "refresh_token").ok_or_else(|| missing("refresh token"))?;
        let client_id = s.client_id.as_deref().ok_or_else(|| missing("client_id"))?;
        let client_secret =
            secret(creds, "client_secret").ok_or_else(|| missing("client secret"))?;
        let tokens = oauth::refresh(
            &self.http,
            &oauth::token_url(&s.oauth_base),
            client_id,
            &client_secret,
            &refresh_token,
        )
        .await?;
        creds.set_secret("access_token", tokens.access_token);
        if let Some(refresh) = tokens.refresh_token {
            creds.set_secret("refresh_token", refresh);
        }
        tracing::info!("renewed the access token of a LinkedIn channel");
        Ok(())
    }

    /// The organisation's name (`GET /rest/organizations/{id}`).
    async fn organization_name(
        &self,
        creds: &mut Credentials,
        s: &Settings,
    ) -> Result<String, NetworkError> {
        let path = format!("/rest/organizations/{}", s.organization);
        let org = match self
            .call(
                creds,
                s,
                Method::GET,
                Dest::Api(&path),
                &Body::None,
                "the organization",
            )
            .await?
        {
            Ok(reply) => reply.body,
            Err(f) if f.status == 404 => {
                return Err(NetworkError::Misconfigured(format!(
                    "LinkedIn knows no organization {} ({}): check the channel's \
                     `organization_id`",
                    s.organization,
                    f.detail()
                )));
            }
            Err(f) => return Err(f.into_network_error()),
        };
        Ok(organization_display(&org, &s.organization))
    }

    /// Registers and uploads one image; returns its `urn:li:image:…`.
    async fn upload_image(
        &self,
        creds: &mut Credentials,
        s: &Settings,
        n: usize,
        bytes: &[u8],
    ) -> Result<String, NetworkError> {
        let init = json!({ "initializeUploadRequest": { "owner": s.author() } });
        let refused = |f: Failure, step: &str| {
            let detail = f.detail();
            match f.into_network_error() {
                NetworkError::Rejected(_) => NetworkError::Rejected(format!(
                    "LinkedIn refused {step} of image {n}: {detail}"
                )),
                other => other,
            }
        };
        let reply = match self
            .call(
                creds,
                s,
                Method::POST,
                Dest::Api("/rest/images?action=initializeUpload"),
                &Body::Json(init),
                "the image upload",
            )
            .await?
        {
            Ok(reply) => reply,
            Err(f) => return Err(refused(f, "the upload")),
        };
        let value = reply.body.get("value").unwrap_or(&Value::Null);
        let (Some(upload_url), Some(image)) = (
            str_field(value, "uploadUrl").filter(|u| u.starts_with("http")),
            str_field(value, "image").filter(|i| i.starts_with("urn:li:image:")),
        ) else {
            return Err(NetworkError::Transient(format!(
                "LinkedIn answered the upload of image {n} without an upload address or an \
                 image URN"
            )));
        };
        let (upload_url, image) = (upload_url.to_owned(), image.to_owned());
        match self
            .call(
                creds,
                s,
                Method::PUT,
                Dest::Upload(&upload_url),
                &Body::Bytes(bytes),
                "the image's bytes",
            )
            .await?
        {
            Ok(_) => Ok(image),
            Err(f) if f.status == 413 => Err(NetworkError::Rejected(format!(
                "image {n} weighs {} bytes, more than LinkedIn accepts: make it smaller",
                bytes.len()
            ))),
            Err(f) => Err(refused(f, "the bytes")),
        }
    }

    /// A reply: a comment on the thread's root, or nested under the comment it answers.
    async fn comment(
        &self,
        creds: &mut Credentials,
        s: &Settings,
        post: &OutgoingPost,
        reply_to: &ReplyTarget,
    ) -> Result<PublishedPost, NetworkError> {
        if !post.media.is_empty() {
            return Err(NetworkError::Rejected(
                "a reply on LinkedIn is a comment on the post, and Relais sends LinkedIn \
                 comments as text only: remove the media"
                    .into(),
            ));
        }
        if post.text.trim().is_empty() {
            return Err(NetworkError::Rejected(
                "a LinkedIn comment needs text".into(),
            ));
        }
        let place = Place::of(reply_to)?;
        let path = format!(
            "/rest/socialActions/{}/comments",
            encode(place.listed_under())
        );
        let mut body = json!({
            "actor": s.author(),
            "object": place.object(),
            "message": { "text": post.text },
        });
        if let Place::Under { comment, .. } = place {
            body["parentComment"] = json!(comment);
        }
        match self
            .call(
                creds,
                s,
                Method::POST,
                Dest::Api(&path),
                &Body::Json(body),
                "the comment",
            )
            .await?
        {
            Ok(reply) => {
                let id = comment_urn(&reply.body, reply.restli_id.as_deref(), place.object())
                    .ok_or_else(|| {
                        NetworkError::Transient(
                            "LinkedIn answered the comment without its URN".into(),
                        )
                    })?;
                Ok(place.published(id))
            }
            Err(f) if matches!(f.status, 404 | 410) => Err(NetworkError::Rejected(match place {
                Place::OnPost(target) => format!(
                    "the post to comment on ({target}) was deleted from LinkedIn: {}",
                    f.detail()
                ),
                Place::Under { comment, .. } => format!(
                    "the comment this replies to ({comment}) was deleted from LinkedIn, or its \
                     post was: {}",
                    f.detail()
                ),
            })),
            Err(f) => Err(f.into_network_error()),
        }
    }

    /// Looks among the page's posts (most recently modified first) for one that is `post`.
    async fn scan_posts(
        &self,
        creds: &mut Credentials,
        s: &Settings,
        post: &OutgoingPost,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        let since = since(post);
        let author = encode(&s.author());
        for page in 0..MAX_POST_PAGES {
            let path = format!(
                "/rest/posts?author={author}&q=author&count={POSTS_PAGE}&start={}\
                 &sortBy=LAST_MODIFIED",
                page * POSTS_PAGE
            );
            let body = self
                .expect(creds, s, Method::GET, &path, "the page's posts")
                .await?;
            let elements = elements(&body);
            if let Some(found) = elements.iter().find(|e| is_this_post(e, post, since)) {
                return Ok(str_field(found, "id").map(|id| published(id.to_owned())));
            }
            // Sorted by last modification: once past the window, nothing older can be it.
            let past = elements.last().and_then(|e| {
                e.get("lastModifiedAt")
                    .or_else(|| e.get("createdAt"))
                    .and_then(Value::as_i64)
            });
            if elements.len() < POSTS_PAGE || past.is_some_and(|t| t < since) {
                break;
            }
        }
        Ok(None)
    }

    /// Looks where the reply went (the comments on the root, or under the comment answered)
    /// for the organisation's comment that is `post`.
    async fn scan_comments(
        &self,
        creds: &mut Credentials,
        s: &Settings,
        post: &OutgoingPost,
        reply_to: &ReplyTarget,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        let since = since(post);
        let place = Place::of(reply_to)?;
        let author = s.author();
        for page in 0..MAX_COMMENT_PAGES {
            let path = format!(
                "/rest/socialActions/{}/comments?start={}&count={COMMENTS_PAGE}",
                encode(place.listed_under()),
                page * COMMENTS_PAGE
            );
            let body = match self
                .call(
                    creds,
                    s,
                    Method::GET,
                    Dest::Api(&path),
                    &Body::None,
                    "the comments",
                )
                .await?
            {
                Ok(reply) => reply.body,
                // The root is gone, and its comments with it.
                Err(f) if f.status == 404 => return Ok(None),
                Err(f) => return Err(f.into_network_error()),
            };
            let elements = elements(&body);
            let found = elements.iter().find(|c| {
                str_field(c, "actor") == Some(author.as_str())
                    && c.get("created")
                        .and_then(|t| t.get("time"))
                        .and_then(Value::as_i64)
                        .is_some_and(|t| t >= since)
                    && c.get("message")
                        .and_then(|m| str_field(m, "text"))
                        .is_some_and(|t| text::same_words(&post.text, t))
            });
            if let Some(c) = found {
                return Ok(comment_urn(c, None, place.object()).map(|id| place.published(id)));
            }
            if elements.len() < COMMENTS_PAGE {
                break;
            }
        }
        Ok(None)
    }
}

#[async_trait]
impl Connector for LinkedIn {
    fn network(&self) -> &'static str {
        "linkedin"
    }

    /// The page's name (renewing the token first when it has expired).
    async fn verify(&self, creds: &mut Credentials) -> Result<String, NetworkError> {
        let s = Settings::of(creds)?;
        self.organization_name(creds, &s).await
    }

    async fn publish(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<PublishedPost, NetworkError> {
        let s = Settings::of(creds)?;
        if let Some(reply_to) = &post.reply_to {
            return self.comment(creds, &s, post, reply_to).await;
        }
        if post.media.len() > MAX_IMAGES {
            return Err(NetworkError::Rejected(format!(
                "{} images: a LinkedIn post takes at most {MAX_IMAGES}",
                post.media.len()
            )));
        }
        if let Some((i, m)) = post
            .media
            .iter()
            .enumerate()
            .find(|(_, m)| !IMAGE_TYPES.contains(&m.mime.as_str()))
        {
            return Err(NetworkError::Rejected(format!(
                "media {} is {}; Relais sends LinkedIn images (JPEG, PNG, GIF) only",
                i + 1,
                m.mime
            )));
        }
        if post.text.trim().is_empty() && post.media.is_empty() {
            return Err(NetworkError::Rejected(
                "a LinkedIn post needs text or an image".into(),
            ));
        }
        let mut images = Vec::with_capacity(post.media.len());
        for (i, m) in post.media.iter().enumerate() {
            images.push(self.upload_image(creds, &s, i + 1, &m.bytes).await?);
        }
        let body = post_body(&s.author(), post, &images);
        match self
            .call(
                creds,
                &s,
                Method::POST,
                Dest::Api("/rest/posts"),
                &Body::Json(body),
                "the post",
            )
            .await?
        {
            Ok(reply) => {
                let id = reply
                    .restli_id
                    .as_deref()
                    .or_else(|| str_field(&reply.body, "id"))
                    .filter(|id| urn::is_post(id))
                    .ok_or_else(|| {
                        NetworkError::Transient(
                            "LinkedIn answered the post without its URN (x-restli-id)".into(),
                        )
                    })?;
                Ok(published(id.to_owned()))
            }
            Err(f) if f.is_duplicate() => match self.scan_posts(creds, &s, post).await? {
                Some(earlier) => {
                    tracing::info!(
                        id = %earlier.id,
                        "LinkedIn refused a duplicate: the post was published by an earlier attempt"
                    );
                    Ok(earlier)
                }
                None => Err(NetworkError::Rejected(format!(
                    "LinkedIn refuses content the page published recently ({}): change the text",
                    f.detail()
                ))),
            },
            Err(f) => Err(f.into_network_error()),
        }
    }

    /// LinkedIn has no look-up by idempotency key, so this reads the page's posts
    /// (`GET /rest/posts?q=author&sortBy=LAST_MODIFIED`, 50 a page, up to 300) back to a
    /// minute before the post was written, and takes the first made in that window with as
    /// many images whose text is the post's once LinkedIn's escapes and hashtag templates are
    /// undone and white space set aside. For a reply, it reads the root's comments (up to 500)
    /// for the organisation's comment with that text made in the window.
    ///
    /// Limits: a post deleted since, or beyond those pages, is not found; two posts written in
    /// that window with the same text and number of images cannot be told apart (LinkedIn
    /// itself refuses most such duplicates); a text LinkedIn rewrites otherwise (Unicode
    /// normalisation…) is not recognised.
    async fn find_published(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        let s = Settings::of(creds)?;
        match &post.reply_to {
            Some(reply_to) => self.scan_comments(creds, &s, post, reply_to).await,
            None => self.scan_posts(creds, &s, post).await,
        }
    }

    async fn delete(
        &self,
        creds: &mut Credentials,
        post: &PublishedPost,
    ) -> Result<(), NetworkError> {
        let s = Settings::of(creds)?;
        let path = if urn::is_post(&post.id) {
            format!("/rest/posts/{}", encode(&post.id))
        } else if let Some((object, id)) = urn::comment_parts(&post.id) {
            format!(
                "/rest/socialActions/{}/comments/{id}?actor={}",
                encode(object),
                encode(&s.author())
            )
        } else {
            return Err(NetworkError::Rejected(format!(
                "`{}` is not a LinkedIn post or comment URN",
                post.id
            )));
        };
        match self
            .call(
                creds,
                &s,
                Method::DELETE,
                Dest::Api(&path),
                &Body::None,
                "the deletion",
            )
            .await?
        {
            // 204; deleting what is already gone is what was asked.
            Ok(_) => Ok(()),
            Err(f) if matches!(f.status, 404 | 410) => Ok(()),
            Err(f) => Err(f.into_network_error()),
        }
    }

    async fn metrics(
        &self,
        creds: &mut Credentials,
        post: &PublishedPost,
    ) -> Result<Metrics, NetworkError> {
        let s = Settings::of(creds)?;
        if !urn::is_post(&post.id) && urn::comment_parts(&post.id).is_none() {
            return Err(NetworkError::Rejected(format!(
                "`{}` is not a LinkedIn post or comment URN",
                post.id
            )));
        }
        let path = format!("/rest/socialActions/{}", encode(&post.id));
        let actions = match self
            .call(
                creds,
                &s,
                Method::GET,
                Dest::Api(&path),
                &Body::None,
                "the social actions",
            )
            .await?
        {
            Ok(reply) => reply.body,
            Err(f) if matches!(f.status, 404 | 410) => {
                return Err(NetworkError::Rejected(format!(
                    "{} is gone from LinkedIn",
                    post.id
                )));
            }
            Err(f) => return Err(f.into_network_error()),
        };
        let count = |v: Option<&Value>, keys: &[&str]| {
            v.and_then(|v| keys.iter().find_map(|k| v.get(*k).and_then(Value::as_u64)))
        };
        let mut metrics = Metrics {
            likes: count(
                actions.get("likesSummary"),
                &["totalLikes", "aggregatedTotalLikes"],
            ),
            replies: count(
                actions.get("commentsSummary"),
                &["aggregatedTotalComments", "totalFirstLevelComments"],
            ),
            ..Metrics::default()
        };
        if urn::is_post(&post.id) {
            // Rest.li 2.0: `List(…)` is syntax, the URN inside it is encoded.
            let kind = if post.id.starts_with("urn:li:ugcPost:") {
                "ugcPosts"
            } else {
                "shares"
            };
            let path = format!(
                "/rest/organizationalEntityShareStatistics?q=organizationalEntity\
                 &organizationalEntity={}&{kind}=List({})",
                encode(&s.author()),
                encode(&post.id)
            );
            match self
                .call(
                    creds,
                    &s,
                    Method::GET,
                    Dest::Api(&path),
                    &Body::None,
                    "the statistics",
                )
                .await?
            {
                Ok(reply) => {
                    let stats = elements(&reply.body)
                        .first()
                        .and_then(|e| e.get("totalShareStatistics"));
                    metrics.views = count(stats, &["impressionCount"]);
                    metrics.reposts = count(stats, &["shareCount"]);
                }
                // Statistics LinkedIn will not give (no longer kept, or a permission the app
                // lacks) leave those figures unknown; the rest stands.
                Err(f) if matches!(f.status, 400 | 403 | 404) => {
                    tracing::debug!(status = f.status, "LinkedIn gave no share statistics");
                }
                Err(f) => return Err(f.into_network_error()),
            }
        }
        Ok(metrics)
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
        let s = Settings::of(&creds(
            json!({ "organization_id": "2414183", "client_id": "c" }),
        ))
        .expect("settings");
        assert_eq!(s.api_base, "https://api.linkedin.com");
        assert_eq!(s.oauth_base, "https://www.linkedin.com");
        assert_eq!(s.version, API_VERSION);
        assert_eq!(s.client_id.as_deref(), Some("c"));
        assert_eq!(s.author(), "urn:li:organization:2414183");
        let s = Settings::of(&creds(json!({
            "organization_id": "urn:li:organization:5", "version": "202601.03",
            "api_base": "http://127.0.0.1:9/", "oauth_base": "http://127.0.0.1:9"
        })))
        .expect("settings");
        assert_eq!(
            (
                s.organization.as_str(),
                s.version.as_str(),
                s.api_base.as_str()
            ),
            ("5", "202601.03", "http://127.0.0.1:9")
        );
        for bad in [
            json!({}),
            json!({ "organization_id": "acme" }),
            json!({ "organization_id": "urn:li:person:1" }),
            json!({ "organization_id": "1", "version": "2026-01" }),
            json!({ "organization_id": "1", "version": "202613" }),
            json!({ "organization_id": "1", "api_base": "ftp://api.linkedin.com" }),
            json!({ "organization_id": "1", "oauth_base": "nope" }),
        ] {
            assert!(
                matches!(
                    Settings::of(&creds(bad.clone())),
                    Err(NetworkError::Misconfigured(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn replies_go_on_the_post_or_under_the_top_level_comment() {
        let at = |id: &str, version: Option<&str>| PublishedPost {
            id: id.into(),
            version: version.map(str::to_owned),
            url: String::new(),
        };
        let target = |parent: PublishedPost| ReplyTarget {
            parent,
            root: at("urn:li:share:1", None),
        };
        let top = "urn:li:comment:(urn:li:activity:9,10)";
        let nested = "urn:li:comment:(urn:li:activity:9,11)";
        let on_post = target(at("urn:li:share:1", None));
        assert_eq!(Place::of(&on_post), Ok(Place::OnPost("urn:li:share:1")));
        let under_top = target(at(top, None));
        let place = Place::of(&under_top).expect("a place");
        assert_eq!(
            place,
            Place::Under {
                comment: top,
                object: "urn:li:activity:9"
            }
        );
        assert_eq!(place.listed_under(), top);
        assert_eq!(place.object(), "urn:li:activity:9");
        assert_eq!(place.published(nested.into()).version.as_deref(), Some(top));
        // A nested comment: under its top-level comment, one level only.
        let under_nested = target(at(nested, Some(top)));
        assert_eq!(Place::of(&under_nested).map(Place::listed_under), Ok(top));
        // A version that is no comment URN is not followed.
        let odd = target(at(nested, Some("bafy…")));
        assert_eq!(Place::of(&odd).map(Place::listed_under), Ok(nested));
        let bad_root = ReplyTarget {
            parent: at("urn:li:share:1", None),
            root: at("urn:li:person:1", None),
        };
        assert!(matches!(
            Place::of(&bad_root),
            Err(NetworkError::Rejected(_))
        ));
    }

    #[test]
    fn the_token_goes_only_to_linkedin() {
        let api = "https://api.linkedin.com";
        assert!(token_may_go_to(
            "https://www.linkedin.com/dms-uploads/C4E10AQ/uploaded-image/0?ca=vector_ads",
            api
        ));
        assert!(token_may_go_to(
            "https://api.linkedin.com/mediaUpload/x",
            api
        ));
        assert!(!token_may_go_to(
            "http://www.linkedin.com/dms-uploads/x",
            api
        ));
        assert!(!token_may_go_to("https://linkedin.com.evil.example/x", api));
        assert!(!token_may_go_to("https://evil.example/?linkedin.com", api));
        assert!(token_may_go_to(
            "http://127.0.0.1:8080/upload/1",
            "http://127.0.0.1:8080"
        ));
        assert!(!token_may_go_to("not a url", api));
    }
}

//! YouTube, through the YouTube Data API v3 with Google OAuth 2.0 tokens.
//!
//! Settings: `client_id` (the OAuth client id of the Google app the channel was connected
//! with; needed to renew the access token); optionally `privacy` (`public`, the default,
//! `unlisted` or `private`), `category_id` (YouTube's video category, default `22`, "People &
//! Blogs"), `made_for_kids` (`true`/`false`: the audience declaration YouTube asks of every
//! video; absent, the channel's default applies), and for tests or a proxy `api_base` (default
//! `https://www.googleapis.com`, for the API and the uploads alike) and `token_url` (default
//! `https://oauth2.googleapis.com/token`, or `<api_base>/token` when `api_base` is set).
//! Secrets: `access_token`, `refresh_token` and `client_secret` (from [`oauth`]), and
//! `channel_id` and `uploads_playlist`, which the connector keeps once it has asked for them.
//!
//! Tokens: an access token lasts an hour. On a 401 the connector renews it once with the
//! refresh token ([`oauth::refresh`]), keeps it, sets `Credentials::changed` and sends the
//! request again. Google does not rotate refresh tokens: the channel's stays as it is. A
//! refresh Google refuses (`invalid_grant`) means the channel must be connected again
//! ([`NetworkError::Unauthorized`]).
//!
//! Publishing: a post is a video: exactly one media, of a `video/*` type. Its title is the
//! text's first line and its description the whole text (see the `text` module); it is
//! uploaded with the resumable protocol, in chunks of [`DEFAULT_CHUNK_SIZE`], and survives a
//! failed chunk, a time-out and an expired session (see the `upload` module). Languages: the
//! first of the post's becomes the video's `defaultLanguage`.
//!
//! Replies go where they answer. A post whose parent is a video (Relais's "first comment", a
//! thread's second part) becomes a top-level comment on it (`POST /youtube/v3/commentThreads`).
//! A post whose parent is a comment (a fan's, answered from the inbox, or a thread's earlier
//! comment) becomes a reply under it (`POST /youtube/v3/comments` with `snippet.parentId`, see
//! the `inbox::answer` module): YouTube nests replies one level only, so a reply to a reply
//! goes under the same top-level comment (the part of the reply's id before the `.`), which is
//! how YouTube's own pages answer a reply. Comments take no media.
//!
//! Exactly once: YouTube takes no idempotency key. Each video carries a tag derived from the
//! post's idempotency key (`relais-` and 16 hexadecimal digits; tags are not shown on the
//! watch page), and [`Connector::find_published`] looks for it among the channel's uploads
//! since a minute before the post was written. The tag, rather than the title and time alone,
//! tells apart two posts with the same first line; a video whose tags were since removed is
//! still recognised by its title. A comment is recognised by its author (the channel) and its
//! text, among the video's comments or, for a reply, among the replies of its top-level
//! comment. An upload interrupted by a crash leaves no video (YouTube makes it only once the last
//! byte arrived), so the next attempt starts again from byte 0: keeping the session address
//! across a crash, to resume it, is left out (the publisher has nowhere to keep it).
//!
//! Addresses: `https://www.youtube.com/watch?v=<video id>`; a comment's adds `&lc=<comment
//! id>`. Posts are told apart by their ids: a video's has 11 characters, a comment's more, and
//! a reply's has a `.` (`<top-level comment id>.<its own>`).
//!
//! Quota: every call costs the Google project quota; a project that ran out is told to wait
//! until midnight, Pacific time, when YouTube resets it (see the `api` module). Videos
//! uploaded by an app Google has not audited stay private whatever `privacy` says: YouTube's
//! rule for projects created since July 2020.
//!
//! Left out: thumbnails, playlists, scheduled publication by YouTube (`publishAt`), Shorts
//! as such (YouTube files a short vertical video as a Short by itself), captions, and checking
//! that YouTube then processed the file (a file it cannot read is reported on the video, not
//! to the upload).

mod api;
mod connect;
mod find;
mod ids;
pub mod inbox;
pub mod oauth;
pub(crate) mod search;
mod text;
mod upload;

use std::time::Duration;

use async_trait::async_trait;
use relais_outbound::HttpClient;
use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::{Connector, Credentials, Metrics, NetworkError, OutgoingPost, PublishedPost};
use api::{Failure, Reply};
pub use connect::YouTubeFlow;
use ids::{
    Kind, comment_post, is_comment_id, is_language, is_plain_id, is_video_id, kind_of, video_of,
    video_post,
};
pub use upload::CHUNK_UNIT;

/// Google's API (and upload) host, when the channel does not say otherwise.
pub const DEFAULT_API_BASE: &str = "https://www.googleapis.com";
/// How much of a video goes in one request: 8 MiB, 32 × [`CHUNK_UNIT`]. A chunk must go
/// through within the HTTP client's time-out (30 s by default: 2.2 Mbit/s); a slower uplink
/// wants smaller chunks ([`YouTube::with_chunk_size`]), a failed one costs only its chunk.
pub const DEFAULT_CHUNK_SIZE: usize = 32 * CHUNK_UNIT;
/// The first pause after a failed chunk; it doubles with each failure in a row.
pub const DEFAULT_RETRY_PAUSE: Duration = Duration::from_secs(1);
/// YouTube's video category when the channel does not set one: "People & Blogs".
const DEFAULT_CATEGORY: &str = "22";

pub struct YouTube {
    http: HttpClient,
    /// For the upload session's `PUT`s: the same client, without redirects.
    upload_http: HttpClient,
    chunk_size: usize,
    retry_pause: Duration,
}

/// What the channel's settings say, checked.
struct Settings {
    api_base: String,
    token_url: String,
    client_id: Option<String>,
    privacy: &'static str,
    category_id: String,
    made_for_kids: Option<bool>,
}

impl Settings {
    fn of(creds: &Credentials) -> Result<Self, NetworkError> {
        let setting = |k: &str| creds.setting(k).map(str::trim).filter(|s| !s.is_empty());
        let api_base = match setting("api_base") {
            Some(base) => base_url(base, "api_base")?,
            None => DEFAULT_API_BASE.to_owned(),
        };
        let token_url = match (setting("token_url"), setting("api_base")) {
            (Some(url), _) => base_url(url, "token_url")?,
            (None, Some(_)) => format!("{api_base}/token"),
            (None, None) => oauth::TOKEN_URL.to_owned(),
        };
        let privacy = match setting("privacy").map(str::to_ascii_lowercase).as_deref() {
            None | Some("public") => "public",
            Some("unlisted") => "unlisted",
            Some("private") => "private",
            Some(other) => {
                return Err(NetworkError::Misconfigured(format!(
                    "the YouTube channel's `privacy` setting (`{other}`) must be public, \
                     unlisted or private"
                )));
            }
        };
        let category_id = setting("category_id").unwrap_or(DEFAULT_CATEGORY);
        if category_id.len() > 4 || !category_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NetworkError::Misconfigured(format!(
                "the YouTube channel's `category_id` setting (`{category_id}`) must be a \
                 YouTube video category number, such as 22"
            )));
        }
        let made_for_kids = match creds.settings.get("made_for_kids") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) if s.trim() == "true" => Some(true),
            Some(Value::String(s)) if s.trim() == "false" => Some(false),
            Some(_) => {
                return Err(NetworkError::Misconfigured(
                    "the YouTube channel's `made_for_kids` setting must be true or false".into(),
                ));
            }
        };
        Ok(Self {
            api_base,
            token_url,
            client_id: setting("client_id").map(str::to_owned),
            privacy,
            category_id: category_id.to_owned(),
            made_for_kids,
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
                "the YouTube channel's `{name}` (`{raw}`) is not an http(s) address"
            ))
        })
}

impl YouTube {
    pub fn new(http: HttpClient) -> Self {
        Self {
            upload_http: upload::upload_client(&http),
            http,
            chunk_size: DEFAULT_CHUNK_SIZE,
            retry_pause: DEFAULT_RETRY_PAUSE,
        }
    }

    /// How much of a video goes in one request: rounded down to a multiple of 256 KiB (what
    /// YouTube asks), at least 256 KiB.
    pub fn with_chunk_size(mut self, bytes: usize) -> Self {
        self.chunk_size = (bytes / CHUNK_UNIT).max(1) * CHUNK_UNIT;
        self
    }

    /// The first pause after a failed chunk (it doubles with each failure in a row).
    pub fn with_retry_pause(mut self, pause: Duration) -> Self {
        self.retry_pause = pause;
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
                    "the YouTube channel has no access token; connect it again".into(),
                )
            })
    }

    /// One call to `url`; on a 401, the access token is renewed once and the call sent again.
    async fn call(
        &self,
        creds: &mut Credentials,
        verb: Method,
        url: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        headers: &[(&str, String)],
    ) -> Result<Result<Reply, Failure>, NetworkError> {
        let settings = Settings::of(creds)?;
        let token = Self::token(creds)?;
        match api::send(&self.http, url, &token, verb.clone(), query, body, headers).await? {
            Err(f) if f.status == 401 => {
                self.renew(creds, &settings, &f).await?;
                let token = Self::token(creds)?;
                api::send(&self.http, url, &token, verb, query, body, headers).await
            }
            other => Ok(other),
        }
    }

    /// A call to the Data API (`path` under `/youtube/v3`) whose refusal maps in general.
    async fn expect(
        &self,
        creds: &mut Credentials,
        verb: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, NetworkError> {
        let url = format!("{}/youtube/v3{path}", Settings::of(creds)?.api_base);
        match self.call(creds, verb, &url, query, body, &[]).await? {
            Ok(reply) => Ok(reply.body),
            Err(f) => Err(f.into_network_error()),
        }
    }

    /// Trades the refresh token for a new access token and keeps it.
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
                    "YouTube refused the access token ({}) and the channel has no refresh \
                     token to renew it: connect the channel again",
                    refused.detail()
                ))
            })?;
        let client_id = settings.client_id.as_deref().ok_or_else(|| {
            NetworkError::Unauthorized(format!(
                "YouTube refused the access token ({}) and the channel has no client_id to \
                 renew it with: connect the channel again",
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
        // Google keeps the refresh token as it is; should it ever send a new one, keep that.
        if let Some(new) = tokens.refresh_token {
            creds.set_secret("refresh_token", new);
        }
        tracing::info!("renewed the access token of a YouTube channel");
        Ok(())
    }

    /// The channel behind the token (`GET /channels?part=snippet,contentDetails&mine=true`):
    /// keeps its id and uploads playlist, returns its title. `None` when the Google account has
    /// no channel.
    async fn channel(&self, creds: &mut Credentials) -> Result<Option<Channel>, NetworkError> {
        let body = self
            .expect(
                creds,
                Method::GET,
                "/channels",
                &[("part", "snippet,contentDetails"), ("mine", "true")],
                None,
            )
            .await?;
        let Some(channel) = channels_of(&body).into_iter().next() else {
            return Ok(None);
        };
        creds.set_secret("channel_id", channel.id.clone());
        if let Some(uploads) = &channel.uploads {
            creds.set_secret("uploads_playlist", uploads.clone());
        }
        Ok(Some(channel))
    }

    /// The channel's id and uploads playlist, from the secrets or asked once.
    async fn channel_ids(&self, creds: &mut Credentials) -> Result<(String, String), NetworkError> {
        let known = |creds: &Credentials| {
            let id = creds.secret("channel_id").filter(|s| is_plain_id(s))?;
            let uploads = creds
                .secret("uploads_playlist")
                .filter(|s| is_plain_id(s))?;
            Some((id.to_owned(), uploads.to_owned()))
        };
        if let Some(ids) = known(creds) {
            return Ok(ids);
        }
        if self.channel(creds).await?.is_none() {
            return Err(no_channel());
        }
        known(creds).ok_or_else(|| {
            NetworkError::Transient("YouTube gave the channel without its uploads playlist".into())
        })
    }

    /// The video resource to upload for `post`.
    fn metadata(settings: &Settings, post: &OutgoingPost) -> Result<Value, NetworkError> {
        let mut snippet = Map::new();
        snippet.insert("title".into(), Value::String(text::title(&post.text)?));
        snippet.insert(
            "description".into(),
            Value::String(text::description(&post.text)?),
        );
        snippet.insert(
            "categoryId".into(),
            Value::String(settings.category_id.clone()),
        );
        snippet.insert("tags".into(), json!([text::marker(&post.idempotency_key)]));
        if let Some(lang) = post
            .langs
            .first()
            .map(|l| l.trim())
            .filter(|l| is_language(l))
        {
            snippet.insert("defaultLanguage".into(), Value::String(lang.to_owned()));
        }
        let mut status = Map::new();
        status.insert(
            "privacyStatus".into(),
            Value::String(settings.privacy.into()),
        );
        if let Some(kids) = settings.made_for_kids {
            status.insert("selfDeclaredMadeForKids".into(), Value::Bool(kids));
        }
        Ok(json!({ "snippet": snippet, "status": status }))
    }

    async fn publish_video(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<PublishedPost, NetworkError> {
        let settings = Settings::of(creds)?;
        let video = match post.media.as_slice() {
            [one] if one.mime.trim().to_ascii_lowercase().starts_with("video/") => one,
            _ => {
                return Err(NetworkError::Rejected(format!(
                    "YouTube needs a video: exactly one media of a video type (this post has \
                     {})",
                    describe_media(post)
                )));
            }
        };
        if video.bytes.is_empty() {
            return Err(NetworkError::Rejected(
                "YouTube needs a video: the video file is empty".into(),
            ));
        }
        let metadata = Self::metadata(&settings, post)?;
        let made = self.upload_video(creds, &metadata, video).await?;
        let id = str_field(&made, "id")
            .filter(|id| is_video_id(id))
            .ok_or_else(|| NetworkError::Transient("YouTube answered without a video id".into()))?;
        Ok(video_post(id))
    }

    /// A top-level comment on `video` (a published video).
    async fn publish_comment(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
        video: &PublishedPost,
    ) -> Result<PublishedPost, NetworkError> {
        let video = video_of(video)?;
        let text = comment_text(post)?;
        let body = json!({ "snippet": {
            "videoId": video,
            "topLevelComment": { "snippet": { "textOriginal": text } }
        }});
        let thread = self
            .expect(
                creds,
                Method::POST,
                "/commentThreads",
                &[("part", "snippet")],
                Some(&body),
            )
            .await?;
        let id = str_field(&thread, "id")
            .filter(|id| is_comment_id(id))
            .ok_or_else(|| {
                NetworkError::Transient("YouTube answered without a comment id".into())
            })?;
        Ok(comment_post(&video, id))
    }

    /// A Data API call whose refusal the caller reads.
    async fn call_api(
        &self,
        creds: &mut Credentials,
        verb: Method,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Result<Value, Failure>, NetworkError> {
        let url = format!("{}/youtube/v3{path}", Settings::of(creds)?.api_base);
        Ok(self
            .call(creds, verb, &url, query, None, &[])
            .await?
            .map(|reply| reply.body))
    }
}

/// A channel as `channels.list` gives it.
struct Channel {
    id: String,
    title: String,
    uploads: Option<String>,
}

fn channels_of(body: &Value) -> Vec<Channel> {
    items(body)
        .iter()
        .filter_map(|c| {
            let id = str_field(c, "id").filter(|id| is_plain_id(id))?;
            let snippet = c.get("snippet").unwrap_or(&Value::Null);
            let title = str_field(snippet, "title")
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .or_else(|| str_field(snippet, "customUrl"))
                .unwrap_or(id);
            let uploads = c
                .get("contentDetails")
                .and_then(|d| d.get("relatedPlaylists"))
                .and_then(|p| str_field(p, "uploads"))
                .filter(|u| is_plain_id(u));
            Some(Channel {
                id: id.to_owned(),
                title: title.to_owned(),
                uploads: uploads.map(str::to_owned),
            })
        })
        .collect()
}

fn no_channel() -> NetworkError {
    NetworkError::Misconfigured(
        "the Google account behind this channel has no YouTube channel: create one on \
         YouTube, then connect again"
            .into(),
    )
}

pub(crate) fn items(body: &Value) -> &[Value] {
    body.get("items")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A count as YouTube gives it: a string of digits (or, to be lenient, a number).
fn count(v: &Value, key: &str) -> Option<u64> {
    match v.get(key)? {
        Value::String(s) => s.trim().parse().ok(),
        other => other.as_u64(),
    }
}

/// The text of a comment or reply: YouTube takes no media on them, nor an empty one.
fn comment_text(post: &OutgoingPost) -> Result<&str, NetworkError> {
    if !post.media.is_empty() {
        return Err(NetworkError::Rejected(
            "a YouTube comment takes text only: remove the media from this reply".into(),
        ));
    }
    let text = post.text.trim();
    if text.is_empty() {
        return Err(NetworkError::Rejected(
            "a YouTube comment needs a text".into(),
        ));
    }
    Ok(text)
}

fn describe_media(post: &OutgoingPost) -> String {
    match post.media.as_slice() {
        [] => "no media".into(),
        [one] => format!("one {}", one.mime),
        many => format!("{} media", many.len()),
    }
}

#[async_trait]
impl Connector for YouTube {
    fn network(&self) -> &'static str {
        "youtube"
    }

    /// The title of the channel behind the token (renewed first when it has expired).
    async fn verify(&self, creds: &mut Credentials) -> Result<String, NetworkError> {
        Settings::of(creds)?;
        match self.channel(creds).await? {
            Some(channel) => Ok(channel.title),
            None => Err(no_channel()),
        }
    }

    async fn publish(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<PublishedPost, NetworkError> {
        match &post.reply_to {
            Some(reply) => {
                Settings::of(creds)?;
                match kind_of(&reply.parent)? {
                    Kind::Video => self.publish_comment(creds, post, &reply.parent).await,
                    Kind::Comment | Kind::Reply => self.publish_answer(creds, post, reply).await,
                }
            }
            None => self.publish_video(creds, post).await,
        }
    }

    /// YouTube has no look-up by idempotency key. For a video, this reads the channel's
    /// uploads playlist (`GET /playlistItems`, 50 a page, up to 200, newest first) back to a
    /// minute before the post was written, then those videos' tags (`GET /videos?part=snippet`)
    /// and takes the one with the post's marker tag; failing that, the newest without any
    /// Relais tag whose title is the post's. For a comment on a video, it reads the video's
    /// comment threads (newest first, up to 300) and takes the channel's own with the post's
    /// text; for a reply under a comment, the replies of that comment (`GET /comments?parentId=`,
    /// up to 500).
    ///
    /// Limits: a video deleted since, or beyond those 200, is not found; the uploads playlist
    /// may take a little while to list a new video, so a look-up right after a crash can miss
    /// it (the job's next attempt then uploads again); two untagged videos with the same title
    /// in the window cannot be told apart.
    async fn find_published(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        Settings::of(creds)?;
        match &post.reply_to {
            Some(reply) => match kind_of(&reply.parent)? {
                Kind::Video => self.find_comment(creds, post, &reply.parent).await,
                Kind::Comment | Kind::Reply => self.find_answer(creds, post, reply).await,
            },
            None => self.find_video(creds, post).await,
        }
    }

    async fn delete(
        &self,
        creds: &mut Credentials,
        post: &PublishedPost,
    ) -> Result<(), NetworkError> {
        let path = match kind_of(post)? {
            Kind::Video => "/videos",
            Kind::Comment | Kind::Reply => "/comments",
        };
        match self
            .call_api(creds, Method::DELETE, path, &[("id", post.id.as_str())])
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
        let gone = || NetworkError::Rejected(format!("{} is gone from YouTube", post.id));
        let kind = kind_of(post)?;
        let (path, part) = match kind {
            Kind::Video => ("/videos", "statistics"),
            Kind::Comment => ("/commentThreads", "snippet"),
            // A reply is no thread: `comments.list` by id.
            Kind::Reply => ("/comments", "snippet"),
        };
        let body = match self
            .call_api(
                creds,
                Method::GET,
                path,
                &[("part", part), ("id", post.id.as_str())],
            )
            .await?
        {
            Ok(body) => body,
            Err(f) if f.status == 404 => return Err(gone()),
            Err(f) => return Err(f.into_network_error()),
        };
        let Some(item) = items(&body)
            .iter()
            .find(|i| str_field(i, "id") == Some(post.id.as_str()))
        else {
            // An id that matches nothing is an empty list, not a 404.
            return Err(gone());
        };
        Ok(match kind {
            Kind::Video => {
                let stats = item.get("statistics").unwrap_or(&Value::Null);
                Metrics {
                    likes: count(stats, "likeCount"),
                    reposts: None,
                    replies: count(stats, "commentCount"),
                    quotes: None,
                    views: count(stats, "viewCount"),
                }
            }
            Kind::Comment => {
                let snippet = item.get("snippet").unwrap_or(&Value::Null);
                let comment = snippet
                    .get("topLevelComment")
                    .and_then(|c| c.get("snippet"))
                    .unwrap_or(&Value::Null);
                Metrics {
                    likes: count(comment, "likeCount"),
                    reposts: None,
                    replies: count(snippet, "totalReplyCount"),
                    quotes: None,
                    views: None,
                }
            }
            Kind::Reply => {
                let snippet = item.get("snippet").unwrap_or(&Value::Null);
                Metrics {
                    likes: count(snippet, "likeCount"),
                    reposts: None,
                    // YouTube nests one level: nothing answers a reply as such.
                    replies: None,
                    quotes: None,
                    views: None,
                }
            }
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
        assert_eq!(s.api_base, "https://www.googleapis.com");
        assert_eq!(s.token_url, "https://oauth2.googleapis.com/token");
        assert_eq!((s.privacy, s.category_id.as_str()), ("public", "22"));
        assert_eq!(s.made_for_kids, None);
        let s = Settings::of(&creds(json!({
            "api_base": "http://127.0.0.1:8080/", "privacy": "Unlisted", "category_id": "10",
            "made_for_kids": false
        })))
        .expect("settings");
        assert_eq!(s.api_base, "http://127.0.0.1:8080");
        assert_eq!(s.token_url, "http://127.0.0.1:8080/token");
        assert_eq!((s.privacy, s.category_id.as_str()), ("unlisted", "10"));
        assert_eq!(s.made_for_kids, Some(false));
        for bad in [
            json!({ "api_base": "ftp://x" }),
            json!({ "token_url": "nowhere" }),
            json!({ "privacy": "friends" }),
            json!({ "category_id": "music" }),
            json!({ "made_for_kids": "maybe" }),
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
    fn counts_are_strings() {
        let stats = json!({ "viewCount": "1234", "likeCount": 5, "commentCount": "x" });
        assert_eq!(count(&stats, "viewCount"), Some(1234));
        assert_eq!(count(&stats, "likeCount"), Some(5));
        assert_eq!(count(&stats, "commentCount"), None);
        assert_eq!(count(&stats, "favoriteCount"), None);
    }

    #[test]
    fn chunk_sizes_are_multiples_of_256_kib() {
        let http = HttpClient::new(relais_outbound::OutboundConfig::default()).expect("client");
        let y = YouTube::new(http);
        assert_eq!(y.chunk_size, DEFAULT_CHUNK_SIZE);
        let y = y.with_chunk_size(700 * 1024);
        assert_eq!(y.chunk_size, 512 * 1024);
        let y = y.with_chunk_size(1);
        assert_eq!(y.chunk_size, CHUNK_UNIT);
        let y = y.with_retry_pause(Duration::from_millis(10));
        assert_eq!(y.pause(1), Duration::from_millis(10));
        assert_eq!(y.pause(3), Duration::from_millis(40));
        assert_eq!(y.pause(40), Duration::from_millis(160));
    }
}

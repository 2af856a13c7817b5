//! An Instagram professional account, through the Instagram content publishing API (the one
//! reached with Facebook Login, on `graph.facebook.com`).
//!
//! Instagram fetches media itself, by address: every media needs a
//! [`MediaFile::public_url`]. A post is made in three steps:
//!
//! 1. a container: `POST /{ig-user-id}/media` with `image_url`, `caption` and `alt_text` for an
//!    image, `media_type=REELS` and `video_url` for a video; for several media, one container
//!    per item (`is_carousel_item=true`; `media_type=VIDEO` for a video), then a
//!    `media_type=CAROUSEL` container with their ids as `children` and the caption;
//! 2. Instagram fetches and processes the media: each container is polled
//!    (`GET /{container-id}?fields=status_code,status`) until `FINISHED`, for a bounded time
//!    (`ERROR` refuses the post with Instagram's reason);
//! 3. `POST /{ig-user-id}/media_publish` with `creation_id`, which gives the post's id; its
//!    address is its `permalink`.
//!
//! A reply goes under what it answers: a comment on the post (`POST /{ig-media-id}/comments`)
//! when it answers the post, a reply under the comment (`POST /{ig-comment-id}/replies`) when
//! it answers a comment. Instagram nests one level, so a reply to a reply goes under its
//! top-level comment, which the reply's [`PublishedPost::version`] names: `comment` for a
//! top-level comment, `reply:<top-level comment id>` for a reply (the inbox reads them so too).
//!
//! A text alone is refused: Instagram needs an image or a video. Containers left unpublished
//! (a refused or timed-out attempt) expire after 24 hours; they count toward the account's 400
//! containers a day, published posts toward its 50 posts a day (a refusal beyond those is a
//! rate limit).

use std::time::{Duration, Instant};

use async_trait::async_trait;
use relais_outbound::HttpClient;
use reqwest::Method;

use super::graph::{self, Body, Graph, count, items, same_text, str_field, time_ms};
use super::{
    COMMENT, Kind, MAX_PAGES, MAX_POLL, MIN_POLL, graph_for, id_setting, kind_of, object_id,
    since_ms,
};
use crate::{
    Connector, Credentials, MediaFile, Metrics, NetworkError, OutgoingPost, PublishedPost,
    ReplyTarget,
};

const NETWORK: &str = "Instagram";
/// What starts the version of a reply: its top-level comment's id follows.
const REPLY_PREFIX: &str = "reply:";
/// How long a publication waits, by default, for Instagram to process its media (a video may
/// take minutes).
pub const DEFAULT_MEDIA_WAIT: Duration = Duration::from_secs(300);
/// Graph's page of an account's media and of a post's comments.
const PAGE_SIZE: &str = "50";

pub struct Instagram {
    http: HttpClient,
    media_wait: Duration,
}

impl Instagram {
    pub fn new(http: HttpClient) -> Self {
        Self {
            http,
            media_wait: DEFAULT_MEDIA_WAIT,
        }
    }

    /// How long a publication may wait for Instagram to process its media before it gives up
    /// (with a transient error, so that the job tries again later).
    pub fn with_media_wait(mut self, wait: Duration) -> Self {
        self.media_wait = wait;
        self
    }

    fn graph(&self, creds: &Credentials) -> Result<Graph<'_>, NetworkError> {
        graph_for(&self.http, creds, NETWORK)
    }

    /// Creates one container; returns its id.
    async fn container(
        &self,
        graph: &Graph<'_>,
        user: &str,
        fields: Vec<(String, String)>,
        what: &str,
    ) -> Result<String, NetworkError> {
        let path = format!("/{user}/media");
        match graph
            .send(Method::POST, &path, &[], &Body::Form(fields))
            .await?
        {
            Ok(v) => str_field(&v, "id")
                .filter(|id| graph::is_object_id(id))
                .map(str::to_owned)
                .ok_or_else(|| {
                    NetworkError::Transient(format!(
                        "Instagram answered the container of {what} without an id"
                    ))
                }),
            Err(f) => {
                let detail = f.detail();
                Err(match f.into_network_error(NETWORK) {
                    NetworkError::Rejected(_) => {
                        NetworkError::Rejected(format!("Instagram refused {what}: {detail}"))
                    }
                    other => other,
                })
            }
        }
    }

    /// Polls a container until Instagram has processed it, within `media_wait`.
    async fn wait_until_finished(
        &self,
        graph: &Graph<'_>,
        container: &str,
        what: &str,
    ) -> Result<(), NetworkError> {
        let deadline = Instant::now() + self.media_wait;
        let mut pause = MIN_POLL;
        loop {
            let status = graph
                .get(
                    &format!("/{container}"),
                    &[("fields", "status_code,status")],
                )
                .await?;
            match str_field(&status, "status_code") {
                Some("FINISHED" | "PUBLISHED") => return Ok(()),
                Some("ERROR") => {
                    let why = str_field(&status, "status").unwrap_or("no reason given");
                    return Err(NetworkError::Rejected(format!(
                        "Instagram could not process {what}: {why}"
                    )));
                }
                Some("EXPIRED") => {
                    return Err(NetworkError::Transient(format!(
                        "the Instagram container of {what} expired before it was published"
                    )));
                }
                // IN_PROGRESS, or a status this connector does not know yet: wait.
                _ => {}
            }
            if Instant::now() + pause > deadline {
                return Err(NetworkError::Transient(format!(
                    "Instagram was still processing {what} after {} s; try again later",
                    self.media_wait.as_secs()
                )));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_POLL);
        }
    }

    /// A reply: a comment on the post (`POST /{ig-media-id}/comments`), or a reply under the
    /// comment it answers (`POST /{ig-comment-id}/replies`).
    async fn comment(
        &self,
        graph: &Graph<'_>,
        reply: &ReplyTarget,
        post: &OutgoingPost,
    ) -> Result<PublishedPost, NetworkError> {
        let level = Level::of(&reply.parent);
        let path = level.path(reply)?;
        if !post.media.is_empty() {
            return Err(NetworkError::Rejected(
                "an Instagram comment cannot carry media".into(),
            ));
        }
        if post.text.trim().is_empty() {
            return Err(NetworkError::Rejected("the comment is empty".into()));
        }
        let answer = match graph
            .send(
                Method::POST,
                &path,
                &[],
                &Body::Form(vec![("message".into(), post.text.clone())]),
            )
            .await?
        {
            Ok(answer) => answer,
            Err(f) if f.is_missing_object() => {
                return Err(NetworkError::Rejected(format!(
                    "the {} this answers was deleted on Instagram ({})",
                    level.what(),
                    f.detail()
                )));
            }
            Err(f) => return Err(f.into_network_error(NETWORK)),
        };
        let id = str_field(&answer, "id")
            .filter(|id| graph::is_object_id(id))
            .ok_or_else(|| {
                NetworkError::Transient(format!("Instagram answered {path} without an id"))
            })?;
        Ok(comment_published(&reply.root, id, &level))
    }

    /// The post's address: its `permalink`. It is asked for after the post is published, so a
    /// failure here must not fail the publication: the profile's address stands in.
    async fn permalink(&self, graph: &Graph<'_>, creds: &Credentials, id: &str) -> String {
        match graph
            .get(&format!("/{id}"), &[("fields", "permalink")])
            .await
        {
            Ok(v) => match str_field(&v, "permalink").filter(|p| p.starts_with("https://")) {
                Some(link) => return link.to_owned(),
                None => tracing::warn!(%id, "Instagram gave no permalink for a new post"),
            },
            Err(e) => {
                tracing::warn!(%id, error = %e, "could not read a new Instagram post's permalink")
            }
        }
        profile_url(creds)
    }

    async fn scan(
        &self,
        creds: &Credentials,
        post: &OutgoingPost,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        let user = id_setting(creds, "ig_user_id", NETWORK)?;
        let graph = self.graph(creds)?;
        let since = since_ms(post);
        let (path, fields, text_key) = match &post.reply_to {
            Some(reply) => (
                Level::of(&reply.parent).path(reply)?,
                "id,text,timestamp,from",
                "text",
            ),
            None => (
                format!("/{user}/media"),
                "id,caption,timestamp,permalink",
                "caption",
            ),
        };
        let mut query: Vec<(String, String)> = vec![
            ("fields".into(), fields.into()),
            ("limit".into(), PAGE_SIZE.into()),
        ];
        for _ in 0..MAX_PAGES {
            let pairs: Vec<(&str, &str)> = query
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let list = graph.get(&path, &pairs).await?;
            let mut older = false;
            for item in items(&list) {
                let Some(at) = str_field(item, "timestamp").and_then(time_ms) else {
                    continue;
                };
                if at < since {
                    older = true;
                    continue;
                }
                let Some(id) = str_field(item, "id").filter(|id| graph::is_object_id(id)) else {
                    continue;
                };
                let text = str_field(item, text_key).unwrap_or_default();
                if !same_text(&post.text, text) {
                    continue;
                }
                match &post.reply_to {
                    Some(reply) => {
                        // A comment by someone else with the same words is not this one.
                        let by = item.get("from").and_then(|f| str_field(f, "id"));
                        if by.is_none_or(|by| by == user) {
                            let level = Level::of(&reply.parent);
                            return Ok(Some(comment_published(&reply.root, id, &level)));
                        }
                    }
                    None => {
                        let url = match str_field(item, "permalink") {
                            Some(link) if link.starts_with("https://") => link.to_owned(),
                            _ => self.permalink(&graph, creds, id).await,
                        };
                        return Ok(Some(PublishedPost {
                            id: id.to_owned(),
                            version: None,
                            url,
                        }));
                    }
                }
            }
            // Comments come oldest first, media newest first: only the latter may stop early.
            let past_the_window = older && post.reply_to.is_none();
            match graph::next_page(&list) {
                Some(next) if !past_the_window && !items(&list).is_empty() => {
                    query = next;
                }
                _ => break,
            }
        }
        Ok(None)
    }
}

/// The fields of an item's container, or the `Err` that refuses the post before anything is
/// sent: a media Instagram does not take, or one without a public address.
fn item_fields(
    n: usize,
    media: &MediaFile,
    carousel: bool,
) -> Result<Vec<(String, String)>, NetworkError> {
    let kind = kind_of(&media.mime).ok_or_else(|| {
        NetworkError::Rejected(format!(
            "media {n} is {}; Instagram takes images and videos",
            media.mime
        ))
    })?;
    let url = media
        .public_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| {
            NetworkError::Misconfigured(
                "Instagram fetches media itself, from a public address: set Relais's \
                 `public_url` so that it can serve them"
                    .into(),
            )
        })?;
    let mut fields: Vec<(String, String)> = Vec::new();
    match kind {
        Kind::Image => {
            fields.push(("image_url".into(), url.to_owned()));
            // Alt text is taken for images, not for reels.
            if let Some(alt) = media
                .alt
                .as_deref()
                .map(str::trim)
                .filter(|a| !a.is_empty())
            {
                fields.push(("alt_text".into(), alt.to_owned()));
            }
        }
        Kind::Video => {
            let media_type = if carousel { "VIDEO" } else { "REELS" };
            fields.push(("media_type".into(), media_type.into()));
            fields.push(("video_url".into(), url.to_owned()));
        }
    }
    if carousel {
        fields.push(("is_carousel_item".into(), "true".into()));
    }
    Ok(fields)
}

/// The profile's address, when the post's own is not known.
fn profile_url(creds: &Credentials) -> String {
    match creds.setting("username").map(str::trim).filter(|u| {
        !u.is_empty()
            && u.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
    }) {
        Some(user) => format!("https://www.instagram.com/{user}/"),
        None => "https://www.instagram.com/".into(),
    }
}

/// What a reply answers on Instagram, from the parent's [`PublishedPost::version`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Level<'a> {
    /// The post itself (no version, or one Relais does not know).
    Post,
    /// A top-level comment (`comment`): the answer goes under it.
    Comment(&'a str),
    /// A reply under top-level comment `.0` (`reply:<id>`): the answer goes under that one.
    Reply(&'a str),
}

impl<'a> Level<'a> {
    pub fn of(parent: &'a PublishedPost) -> Self {
        match parent.version.as_deref() {
            Some(COMMENT) => Level::Comment(&parent.id),
            Some(v) => match v.strip_prefix(REPLY_PREFIX) {
                Some(top) => Level::Reply(top),
                None => Level::Post,
            },
            None => Level::Post,
        }
    }

    /// Where the answer is posted: the root post's comments, or the top-level comment's
    /// replies.
    fn path(&self, reply: &ReplyTarget) -> Result<String, NetworkError> {
        Ok(match self {
            Level::Post => format!("/{}/comments", object_id(&reply.root.id, NETWORK)?),
            Level::Comment(top) | Level::Reply(top) => {
                format!("/{}/replies", object_id(top, NETWORK)?)
            }
        })
    }

    fn what(&self) -> &'static str {
        match self {
            Level::Post => "post",
            Level::Comment(_) | Level::Reply(_) => "comment",
        }
    }
}

/// The version of a reply under top-level comment `top`.
pub(crate) fn reply_version(top: &str) -> String {
    format!("{REPLY_PREFIX}{top}")
}

/// Whether a published id is a comment or a reply (not a post), by its version.
fn is_comment(version: Option<&str>) -> bool {
    version.is_some_and(|v| v == COMMENT || v.starts_with(REPLY_PREFIX))
}

/// A comment under `root`, or a reply under a comment: Instagram gives comments no address
/// of their own.
fn comment_published(root: &PublishedPost, id: &str, level: &Level<'_>) -> PublishedPost {
    let version = match level {
        Level::Post => COMMENT.to_owned(),
        Level::Comment(top) | Level::Reply(top) => reply_version(top),
    };
    PublishedPost {
        id: id.to_owned(),
        version: Some(version),
        url: root.url.clone(),
    }
}

#[async_trait]
impl Connector for Instagram {
    fn network(&self) -> &'static str {
        "instagram"
    }

    /// `@username` of the account (`GET /{ig-user-id}?fields=id,username`).
    async fn verify(&self, creds: &mut Credentials) -> Result<String, NetworkError> {
        let user = id_setting(creds, "ig_user_id", NETWORK)?;
        let graph = self.graph(creds)?;
        let body = graph
            .get(&format!("/{user}"), &[("fields", "id,username")])
            .await?;
        let name = str_field(&body, "username")
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| {
                NetworkError::Transient(format!("Instagram answered /{user} without a username"))
            })?;
        Ok(format!("@{name}"))
    }

    async fn publish(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<PublishedPost, NetworkError> {
        let user = id_setting(creds, "ig_user_id", NETWORK)?;
        let graph = self.graph(creds)?;
        if let Some(reply) = &post.reply_to {
            return self.comment(&graph, reply, post).await;
        }
        if post.media.is_empty() {
            return Err(NetworkError::Rejected(
                "Instagram needs an image or a video; a text alone cannot be posted".into(),
            ));
        }
        let carousel = post.media.len() > 1;
        // Everything is checked before the first container is made.
        let items: Vec<Vec<(String, String)>> = post
            .media
            .iter()
            .enumerate()
            .map(|(i, m)| item_fields(i + 1, m, carousel))
            .collect::<Result<_, _>>()?;
        let caption = ("caption".to_owned(), post.text.clone());
        let creation = if carousel {
            let mut children = Vec::new();
            for (i, fields) in items.into_iter().enumerate() {
                let what = format!("media {}", i + 1);
                let id = self.container(&graph, &user, fields, &what).await?;
                self.wait_until_finished(&graph, &id, &what).await?;
                children.push(id);
            }
            let mut fields = vec![
                ("media_type".to_owned(), "CAROUSEL".to_owned()),
                ("children".to_owned(), children.join(",")),
            ];
            if !post.text.is_empty() {
                fields.push(caption);
            }
            let id = self
                .container(&graph, &user, fields, "the carousel")
                .await?;
            self.wait_until_finished(&graph, &id, "the carousel")
                .await?;
            id
        } else {
            let mut fields = items.into_iter().next().unwrap_or_default();
            if !post.text.is_empty() {
                fields.push(caption);
            }
            let id = self.container(&graph, &user, fields, "media 1").await?;
            self.wait_until_finished(&graph, &id, "media 1").await?;
            id
        };
        let path = format!("/{user}/media_publish");
        let answer = graph
            .expect(
                Method::POST,
                &path,
                &[],
                &Body::Form(vec![("creation_id".into(), creation)]),
            )
            .await?;
        let id = str_field(&answer, "id")
            .filter(|id| graph::is_object_id(id))
            .ok_or_else(|| {
                NetworkError::Transient(format!("Instagram answered {path} without an id"))
            })?
            .to_owned();
        let url = self.permalink(&graph, creds, &id).await;
        Ok(PublishedPost {
            id,
            version: None,
            url,
        })
    }

    /// Reads the account's media (`GET /{ig-user-id}/media`, newest first, 50 at a time and up
    /// to 250) back to a minute before the post was written, or for a reply the comments under
    /// the thread's root or the replies under the comment it answers (those the account
    /// wrote), and takes the first whose caption
    /// or text is the post's (white space aside).
    ///
    /// Limits: two posts with the same caption in that window cannot be told apart; a caption
    /// Instagram shows differently (an `@mention` the token may not see) is not recognised.
    async fn find_published(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        self.scan(creds, post).await
    }

    /// A comment can be deleted (`DELETE /{ig-comment-id}`); a post cannot: the Instagram API
    /// offers no way to.
    async fn delete(
        &self,
        creds: &mut Credentials,
        post: &PublishedPost,
    ) -> Result<(), NetworkError> {
        if !is_comment(post.version.as_deref()) {
            return Err(NetworkError::Unsupported(
                "Instagram's API cannot delete a published post: delete it in the Instagram app"
                    .into(),
            ));
        }
        let id = object_id(&post.id, NETWORK)?;
        let graph = self.graph(creds)?;
        match graph
            .send(Method::DELETE, &format!("/{id}"), &[], &Body::None)
            .await?
        {
            Ok(_) => Ok(()),
            Err(f) if f.is_missing_object() => Ok(()),
            Err(f) => Err(f.into_network_error(NETWORK)),
        }
    }

    /// Likes and comments of a post (`like_count` is left out when the owner hides it); likes
    /// of a comment.
    async fn metrics(
        &self,
        creds: &mut Credentials,
        post: &PublishedPost,
    ) -> Result<Metrics, NetworkError> {
        let id = object_id(&post.id, NETWORK)?;
        let graph = self.graph(creds)?;
        let comment = is_comment(post.version.as_deref());
        let fields = if comment {
            "like_count"
        } else {
            "like_count,comments_count"
        };
        let body = match graph
            .send(
                Method::GET,
                &format!("/{id}"),
                &[("fields", fields)],
                &Body::None,
            )
            .await?
        {
            Ok(body) => body,
            Err(f) if f.is_missing_object() => {
                return Err(NetworkError::Rejected(format!(
                    "the post {id} is gone from Instagram"
                )));
            }
            Err(f) => return Err(f.into_network_error(NETWORK)),
        };
        Ok(Metrics {
            likes: count(&body, &["like_count"]),
            replies: if comment {
                None
            } else {
                count(&body, &["comments_count"])
            },
            ..Metrics::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn media(mime: &str, url: Option<&str>, alt: Option<&str>) -> MediaFile {
        MediaFile {
            mime: mime.into(),
            bytes: vec![1],
            alt: alt.map(str::to_owned),
            public_url: url.map(str::to_owned),
        }
    }

    #[test]
    fn container_fields() {
        let address = "https://relais.example/m/1";
        let u = Some(address);
        assert_eq!(
            item_fields(1, &media("image/jpeg", u, Some(" Un chat ")), false).expect("fields"),
            vec![
                ("image_url".to_owned(), address.to_owned()),
                ("alt_text".to_owned(), "Un chat".to_owned())
            ]
        );
        let reel = item_fields(1, &media("video/mp4", u, Some("ignored")), false).expect("fields");
        assert_eq!(reel[0], ("media_type".into(), "REELS".into()));
        assert_eq!(reel.len(), 2);
        let item = item_fields(2, &media("video/mp4", u, None), true).expect("fields");
        assert_eq!(item[0], ("media_type".into(), "VIDEO".into()));
        assert_eq!(item[2], ("is_carousel_item".into(), "true".into()));
        assert!(matches!(
            item_fields(1, &media("image/jpeg", None, None), false),
            Err(NetworkError::Misconfigured(m)) if m.contains("public_url")
        ));
        assert!(matches!(
            item_fields(1, &media("application/pdf", u, None), false),
            Err(NetworkError::Rejected(_))
        ));
    }

    #[test]
    fn answers_go_under_the_top_level_comment() {
        let published = |id: &str, version: Option<&str>| PublishedPost {
            id: id.into(),
            version: version.map(str::to_owned),
            url: "https://www.instagram.com/p/X/".into(),
        };
        let media = published("180", None);
        let target = |parent: &PublishedPost| ReplyTarget {
            parent: parent.clone(),
            root: media.clone(),
        };
        let top = published("181", Some("comment"));
        let reply = published("182", Some("reply:181"));
        assert_eq!(Level::of(&media), Level::Post);
        assert_eq!(
            Level::of(&media).path(&target(&media)).expect("path"),
            "/180/comments"
        );
        assert_eq!(
            Level::of(&top).path(&target(&top)).expect("path"),
            "/181/replies"
        );
        assert_eq!(
            Level::of(&reply).path(&target(&reply)).expect("path"),
            "/181/replies"
        );
        let answer = comment_published(&media, "183", &Level::of(&reply));
        assert_eq!(answer.version.as_deref(), Some("reply:181"));
        assert!(is_comment(answer.version.as_deref()));
        assert!(!is_comment(None));
        let odd = published("184", Some("reply:../x"));
        assert!(matches!(
            Level::of(&odd).path(&target(&odd)),
            Err(NetworkError::Rejected(_))
        ));
    }

    #[test]
    fn profile_addresses() {
        let creds = |settings| Credentials {
            settings,
            ..Credentials::default()
        };
        assert_eq!(
            profile_url(&creds(json!({ "username": "relais.app" }))),
            "https://www.instagram.com/relais.app/"
        );
        assert_eq!(
            profile_url(&creds(json!({ "username": "../x" }))),
            "https://www.instagram.com/"
        );
    }
}

//! A Facebook Page, through the Pages API.
//!
//! - Text: `POST /{page-id}/feed` with `message`, and the first address in the text as `link`
//!   (Facebook shows its preview).
//! - One image: `POST /{page-id}/photos` with `caption`, `alt_text_custom` (the alt text) and
//!   the file as `source` (`multipart/form-data`), or its public address as `url` when Relais
//!   has one; the answer's `post_id` is the post.
//! - Several images: each is uploaded that way with `published=false`, then
//!   `POST /{page-id}/feed` with `message` and `attached_media[i]={"media_fbid": "<photo-id>"}`.
//! - A video: `POST /{page-id}/videos` with `description` and the file as `source`, or
//!   `file_url` when Relais has a public address (one request: no resumable upload).
//! - A reply: under what it answers, with `message` and, for one image, `attachment_url` or
//!   `source`: `POST /{comment-id}/comments` when it answers a comment (its
//!   [`PublishedPost::version`] is `comment`: one the inbox read, or one Relais published),
//!   else `POST /{root-id}/comments`, a comment on the thread's post.
//! - An answer to a Messenger message (version `direct:<page-scoped id>`, as the inbox reads
//!   them): `POST /{page-id}/messages` with `recipient={"id": …}`, `messaging_type=RESPONSE`
//!   and `message={"text": …}`; text only, and within the 24 hours Messenger allows after the
//!   person's last message.

use async_trait::async_trait;
use relais_outbound::HttpClient;
use reqwest::Method;
use serde_json::{Value, json};

use super::graph::{self, Body, Failure, Graph, count, items, same_text, str_field, time_ms};
use super::inbox::DIRECT_PREFIX;
use super::{
    COMMENT, Kind, MAX_PAGES, VIDEO, file_name, graph_for, id_setting, kind_of, object_id, since_ms,
};
use crate::{
    Connector, Credentials, MediaFile, Metrics, NetworkError, OutgoingPost, PublishedPost,
    ReplyTarget,
};

const NETWORK: &str = "Facebook";
/// Graph's largest page for a Page's posts and comments.
const PAGE_SIZE: &str = "100";

pub struct Facebook {
    http: HttpClient,
}

/// What a post becomes on a Page.
enum Shape<'a> {
    Text,
    Photo(&'a MediaFile),
    Photos(Vec<&'a MediaFile>),
    Video(&'a MediaFile),
}

impl<'a> Shape<'a> {
    fn of(post: &'a OutgoingPost) -> Result<Self, NetworkError> {
        let mut images = Vec::new();
        let mut videos = Vec::new();
        for (i, m) in post.media.iter().enumerate() {
            match kind_of(&m.mime) {
                Some(Kind::Image) => images.push(m),
                Some(Kind::Video) => videos.push(m),
                None => {
                    return Err(NetworkError::Rejected(format!(
                        "media {} is {}; a Facebook Page takes images and videos",
                        i + 1,
                        m.mime
                    )));
                }
            }
        }
        match (images.as_slice(), videos.as_slice()) {
            ([], []) if post.text.trim().is_empty() => Err(NetworkError::Rejected(
                "the post has neither text nor media".into(),
            )),
            ([], []) => Ok(Shape::Text),
            ([one], []) => Ok(Shape::Photo(one)),
            (_, []) => Ok(Shape::Photos(images)),
            ([], [one]) => Ok(Shape::Video(one)),
            _ => Err(NetworkError::Rejected(
                "a Facebook Page post takes images or one video, not both nor several videos"
                    .into(),
            )),
        }
    }
}

impl Facebook {
    pub fn new(http: HttpClient) -> Self {
        Self { http }
    }

    fn graph(&self, creds: &Credentials) -> Result<Graph<'_>, NetworkError> {
        graph_for(&self.http, creds, NETWORK)
    }

    /// Publishes `post` (not a reply) on `page`. `Ok(Err(_))` is Graph's refusal of the post
    /// itself, for the caller to recognise a duplicate.
    async fn create(
        &self,
        graph: &Graph<'_>,
        page: &str,
        post: &OutgoingPost,
        shape: &Shape<'_>,
    ) -> Result<Result<PublishedPost, Failure>, NetworkError> {
        match shape {
            Shape::Text => {
                let mut fields = vec![("message".to_owned(), post.text.clone())];
                if let Some(link) = first_link(&post.text) {
                    fields.push(("link".to_owned(), link.to_owned()));
                }
                self.feed(graph, page, fields).await
            }
            Shape::Photo(media) => {
                let path = format!("/{page}/photos");
                Ok(
                    match self.photo(graph, page, 1, media, &post.text, true).await? {
                        // `post_id` is the post the photo makes; `id`, the photo itself.
                        Ok(v) => Ok(post_published(
                            str_field(&v, "post_id")
                                .or_else(|| str_field(&v, "id"))
                                .ok_or_else(|| missing_id(&path))?,
                        )?),
                        Err(f) => Err(f),
                    },
                )
            }
            Shape::Photos(images) => {
                let mut fields = Vec::new();
                if !post.text.is_empty() {
                    fields.push(("message".to_owned(), post.text.clone()));
                }
                for (i, media) in images.iter().enumerate() {
                    let answer = match self.photo(graph, page, i + 1, media, "", false).await? {
                        Ok(answer) => answer,
                        Err(f) => return Err(media_error(f, i + 1)),
                    };
                    let id = str_field(&answer, "id")
                        .filter(|id| graph::is_object_id(id))
                        .ok_or_else(|| {
                            NetworkError::Transient(format!(
                                "Facebook answered the upload of image {} without an id",
                                i + 1
                            ))
                        })?;
                    fields.push((
                        format!("attached_media[{i}]"),
                        json!({ "media_fbid": id }).to_string(),
                    ));
                }
                self.feed(graph, page, fields).await
            }
            Shape::Video(media) => {
                let mut fields = Vec::new();
                if !post.text.is_empty() {
                    fields.push(("description".to_owned(), post.text.clone()));
                }
                let body = match &media.public_url {
                    Some(url) => {
                        fields.push(("file_url".to_owned(), url.clone()));
                        Body::Form(fields)
                    }
                    None => Body::File {
                        fields,
                        field: "source",
                        media,
                        file_name: file_name(1, &media.mime),
                    },
                };
                let path = format!("/{page}/videos");
                Ok(match graph.send(Method::POST, &path, &[], &body).await? {
                    Ok(v) => Ok(video_published(
                        page,
                        str_field(&v, "id")
                            .filter(|id| graph::is_object_id(id))
                            .ok_or_else(|| missing_id(&path))?,
                    )),
                    Err(f) => Err(f),
                })
            }
        }
    }

    /// `POST /{page}/feed`.
    async fn feed(
        &self,
        graph: &Graph<'_>,
        page: &str,
        fields: Vec<(String, String)>,
    ) -> Result<Result<PublishedPost, Failure>, NetworkError> {
        let path = format!("/{page}/feed");
        Ok(
            match graph
                .send(Method::POST, &path, &[], &Body::Form(fields))
                .await?
            {
                Ok(v) => Ok(post_published(
                    str_field(&v, "id").ok_or_else(|| missing_id(&path))?,
                )?),
                Err(f) => Err(f),
            },
        )
    }

    /// `POST /{page}/photos` for image `n`: the file itself, or its address.
    async fn photo(
        &self,
        graph: &Graph<'_>,
        page: &str,
        n: usize,
        media: &MediaFile,
        caption: &str,
        published: bool,
    ) -> Result<Result<Value, Failure>, NetworkError> {
        let mut fields = Vec::new();
        if !caption.is_empty() {
            fields.push(("caption".to_owned(), caption.to_owned()));
        }
        if let Some(alt) = alt_text(media) {
            fields.push(("alt_text_custom".to_owned(), alt.to_owned()));
        }
        if !published {
            fields.push(("published".to_owned(), "false".to_owned()));
        }
        let body = match &media.public_url {
            Some(url) => {
                fields.push(("url".to_owned(), url.clone()));
                Body::Form(fields)
            }
            None => Body::File {
                fields,
                field: "source",
                media,
                file_name: file_name(n, &media.mime),
            },
        };
        graph
            .send(Method::POST, &format!("/{page}/photos"), &[], &body)
            .await
    }

    /// A reply: under the comment it answers, else a comment on the thread's root post.
    async fn comment(
        &self,
        graph: &Graph<'_>,
        reply: &ReplyTarget,
        post: &OutgoingPost,
    ) -> Result<PublishedPost, NetworkError> {
        let (target, what) = answered(reply)?;
        let media = match post.media.as_slice() {
            [] => None,
            [one] if kind_of(&one.mime) == Some(Kind::Image) => Some(one),
            _ => {
                return Err(NetworkError::Rejected(
                    "a Facebook comment takes at most one image".into(),
                ));
            }
        };
        if post.text.trim().is_empty() && media.is_none() {
            return Err(NetworkError::Rejected(
                "the comment has neither text nor an image".into(),
            ));
        }
        let mut fields = Vec::new();
        if !post.text.is_empty() {
            fields.push(("message".to_owned(), post.text.clone()));
        }
        let body = match media {
            None => Body::Form(fields),
            Some(m) => match &m.public_url {
                Some(url) => {
                    fields.push(("attachment_url".to_owned(), url.clone()));
                    Body::Form(fields)
                }
                None => Body::File {
                    fields,
                    field: "source",
                    media: m,
                    file_name: file_name(1, &m.mime),
                },
            },
        };
        let path = format!("/{target}/comments");
        let answer = match graph.send(Method::POST, &path, &[], &body).await? {
            Ok(answer) => answer,
            Err(f) if f.is_missing_object() => {
                return Err(NetworkError::Rejected(format!(
                    "the {what} this answers was deleted on Facebook, or the Page can no longer \
                     see it ({})",
                    f.detail()
                )));
            }
            Err(f) => return Err(f.into_network_error(NETWORK)),
        };
        let id = str_field(&answer, "id")
            .filter(|id| graph::is_object_id(id))
            .ok_or_else(|| missing_id(&path))?;
        Ok(comment_published(&reply.root, id))
    }

    /// An answer to a Messenger message from `recipient` (a page-scoped id).
    async fn message(
        &self,
        graph: &Graph<'_>,
        page: &str,
        recipient: &str,
        post: &OutgoingPost,
    ) -> Result<PublishedPost, NetworkError> {
        if !post.media.is_empty() {
            return Err(NetworkError::Rejected(
                "Relais answers Messenger with text only: send the picture from Meta Business \
                 Suite"
                    .into(),
            ));
        }
        if post.text.trim().is_empty() {
            return Err(NetworkError::Rejected("the message is empty".into()));
        }
        let fields = vec![
            (
                "recipient".to_owned(),
                json!({ "id": recipient }).to_string(),
            ),
            ("messaging_type".to_owned(), "RESPONSE".to_owned()),
            (
                "message".to_owned(),
                json!({ "text": post.text }).to_string(),
            ),
        ];
        let path = format!("/{page}/messages");
        let answer = match graph
            .send(Method::POST, &path, &[], &Body::Form(fields))
            .await?
        {
            Ok(answer) => answer,
            // Messenger's 24-hour window: a Page answers within a day of the person's message.
            Err(f) if f.code == Some(10) && f.subcode == Some(2_018_278) => {
                return Err(NetworkError::Rejected(format!(
                    "Messenger lets a Page answer only within 24 hours of the person's last \
                     message ({}): answer from Meta Business Suite",
                    f.detail()
                )));
            }
            Err(f) => return Err(f.into_network_error(NETWORK)),
        };
        let id = str_field(&answer, "message_id")
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| {
                NetworkError::Transient(format!("Facebook answered {path} without a message_id"))
            })?;
        Ok(direct_published(page, recipient, id))
    }

    /// The Page's message to `recipient` with `post`'s text, among the newest of their
    /// conversation (`GET /{page-id}/conversations?user_id=…`), written since `since` (ms).
    async fn scan_messages(
        &self,
        graph: &Graph<'_>,
        page: &str,
        recipient: &str,
        post: &OutgoingPost,
        since: i64,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        let list = graph
            .get(
                &format!("/{page}/conversations"),
                &[
                    ("platform", "messenger"),
                    ("user_id", recipient),
                    ("fields", "messages.limit(25){id,message,from,created_time}"),
                ],
            )
            .await?;
        for conversation in items(&list) {
            let messages = conversation.get("messages").map(items).unwrap_or_default();
            for m in messages {
                let by_page = m.get("from").and_then(|f| str_field(f, "id")) == Some(page);
                let recent = str_field(m, "created_time")
                    .and_then(time_ms)
                    .is_some_and(|at| at >= since);
                let same = same_text(&post.text, str_field(m, "message").unwrap_or_default());
                if !(by_page && recent && same) {
                    continue;
                }
                if let Some(id) = str_field(m, "id") {
                    return Ok(Some(direct_published(page, recipient, id)));
                }
            }
        }
        Ok(None)
    }

    /// Looks for `post` among what the Page published since a minute before it was written.
    async fn scan(
        &self,
        creds: &Credentials,
        post: &OutgoingPost,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        let page = id_setting(creds, "page_id", NETWORK)?;
        let graph = self.graph(creds)?;
        let since = since_ms(post);
        if let Some(recipient) = post
            .reply_to
            .as_ref()
            .and_then(|r| direct_recipient(&r.parent))
        {
            return self
                .scan_messages(&graph, &page, recipient, post, since)
                .await;
        }
        let since_secs = (since / 1000).to_string();
        let (path, query, text_key): (String, Vec<(&str, &str)>, &str) = match &post.reply_to {
            Some(reply) => (
                format!("/{}/comments", object_id(&reply.root.id, NETWORK)?),
                vec![
                    ("fields", "id,message,created_time,from"),
                    ("order", "reverse_chronological"),
                    ("filter", "stream"),
                ],
                "message",
            ),
            None => match Shape::of(post)? {
                Shape::Video(_) => (
                    format!("/{page}/videos"),
                    vec![("fields", "id,description,created_time")],
                    "description",
                ),
                _ => (
                    format!("/{page}/posts"),
                    vec![
                        ("fields", "id,message,created_time"),
                        ("since", since_secs.as_str()),
                    ],
                    "message",
                ),
            },
        };
        let mut query: Vec<(String, String)> = query
            .into_iter()
            .chain([("limit", PAGE_SIZE)])
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        for _ in 0..MAX_PAGES {
            let pairs: Vec<(&str, &str)> = query
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let list = graph.get(&path, &pairs).await?;
            let mut older = false;
            for item in items(&list) {
                let Some(at) = str_field(item, "created_time").and_then(time_ms) else {
                    continue;
                };
                if at < since {
                    older = true;
                    continue;
                }
                let text = str_field(item, text_key).unwrap_or_default();
                let from_page = match &post.reply_to {
                    Some(_) => item
                        .get("from")
                        .and_then(|f| str_field(f, "id"))
                        .is_none_or(|id| id == page),
                    None => true,
                };
                let Some(id) = str_field(item, "id").filter(|id| graph::is_object_id(id)) else {
                    continue;
                };
                if from_page && same_text(&post.text, text) {
                    return Ok(Some(match &post.reply_to {
                        Some(reply) => comment_published(&reply.root, id),
                        None if text_key == "description" => video_published(&page, id),
                        None => post_published(id)?,
                    }));
                }
            }
            // Lists come newest first: past the window, nothing older can be this post.
            match graph::next_page(&list) {
                Some(next) if !older && !items(&list).is_empty() => query = next,
                _ => break,
            }
        }
        Ok(None)
    }
}

/// The alt text of a media, when it has one.
fn alt_text(media: &MediaFile) -> Option<&str> {
    media
        .alt
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
}

/// The first web address in a text, without the punctuation that may close a sentence.
fn first_link(text: &str) -> Option<&str> {
    text.split_whitespace()
        .find(|w| w.starts_with("https://") || w.starts_with("http://"))
        .map(|w| w.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '"', '\'', '»']))
        .filter(|w| url::Url::parse(w).is_ok_and(|u| u.host_str().is_some()))
}

fn missing_id(path: &str) -> NetworkError {
    NetworkError::Transient(format!("Facebook answered {path} without an id"))
}

/// A refusal of image `n` of several, said so.
fn media_error(f: Failure, n: usize) -> NetworkError {
    let detail = f.detail();
    match f.into_network_error(NETWORK) {
        NetworkError::Rejected(_) => {
            NetworkError::Rejected(format!("Facebook refused image {n}: {detail}"))
        }
        other => other,
    }
}

fn post_published(id: &str) -> Result<PublishedPost, NetworkError> {
    let id = Some(id)
        .filter(|id| graph::is_object_id(id))
        .ok_or_else(|| NetworkError::Transient(format!("Facebook gave `{id}` as a post id")))?;
    Ok(PublishedPost {
        id: id.to_owned(),
        version: None,
        url: format!("https://www.facebook.com/{id}"),
    })
}

fn video_published(page: &str, id: &str) -> PublishedPost {
    PublishedPost {
        id: id.to_owned(),
        version: Some(VIDEO.to_owned()),
        url: format!("https://www.facebook.com/{page}/videos/{id}"),
    }
}

/// Where a reply goes: under the comment it answers, else on the thread's root post; and what
/// that is, for the message when it is gone.
fn answered(reply: &ReplyTarget) -> Result<(&str, &'static str), NetworkError> {
    match reply.parent.version.as_deref() {
        Some(COMMENT) => Ok((object_id(&reply.parent.id, NETWORK)?, "comment")),
        _ => Ok((object_id(&reply.root.id, NETWORK)?, "post")),
    }
}

/// The page-scoped id a Messenger message came from, when `parent` is one.
fn direct_recipient(parent: &PublishedPost) -> Option<&str> {
    parent
        .version
        .as_deref()?
        .strip_prefix(DIRECT_PREFIX)
        .filter(|id| graph::is_object_id(id))
}

fn is_direct(post: &PublishedPost) -> bool {
    post.version
        .as_deref()
        .is_some_and(|v| v.starts_with(DIRECT_PREFIX))
}

/// A Messenger message the Page sent to `recipient`: read in Meta Business Suite's inbox.
fn direct_published(page: &str, recipient: &str, id: &str) -> PublishedPost {
    PublishedPost {
        id: id.to_owned(),
        version: Some(format!("{DIRECT_PREFIX}{recipient}")),
        url: format!("https://business.facebook.com/latest/inbox/messenger?asset_id={page}"),
    }
}

/// A comment `id` (`<post>_<comment>`) under `root`: its address is the root's, pointing at it.
fn comment_published(root: &PublishedPost, id: &str) -> PublishedPost {
    let base = if root.url.is_empty() {
        format!("https://www.facebook.com/{}", root.id)
    } else {
        root.url.clone()
    };
    let separator = if base.contains('?') { '&' } else { '?' };
    let comment = id.rsplit('_').next().unwrap_or(id);
    PublishedPost {
        id: id.to_owned(),
        version: Some(COMMENT.to_owned()),
        url: format!("{base}{separator}comment_id={comment}"),
    }
}

#[async_trait]
impl Connector for Facebook {
    fn network(&self) -> &'static str {
        "facebook"
    }

    /// The Page's name (`GET /{page-id}?fields=id,name`), which also proves the token works.
    async fn verify(&self, creds: &mut Credentials) -> Result<String, NetworkError> {
        let page = id_setting(creds, "page_id", NETWORK)?;
        let graph = self.graph(creds)?;
        let body = graph
            .get(&format!("/{page}"), &[("fields", "id,name")])
            .await?;
        if str_field(&body, "id").is_some_and(|id| id != page) {
            return Err(NetworkError::Misconfigured(format!(
                "the Facebook channel's access token is not the Page {page}'s; connect it again"
            )));
        }
        Ok(str_field(&body, "name")
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(&page)
            .to_owned())
    }

    async fn publish(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<PublishedPost, NetworkError> {
        let page = id_setting(creds, "page_id", NETWORK)?;
        let graph = self.graph(creds)?;
        if let Some(reply) = &post.reply_to {
            if let Some(recipient) = direct_recipient(&reply.parent) {
                return self.message(&graph, &page, recipient, post).await;
            }
            return self.comment(&graph, reply, post).await;
        }
        let shape = Shape::of(post)?;
        match self.create(&graph, &page, post, &shape).await? {
            Ok(published) => Ok(published),
            Err(f) if f.is_duplicate() => match self.scan(creds, post).await? {
                Some(earlier) => {
                    tracing::info!(
                        id = %earlier.id,
                        "Facebook refused a duplicate: the post was published by an earlier attempt"
                    );
                    Ok(earlier)
                }
                None => Err(NetworkError::Rejected(format!(
                    "Facebook refuses a post identical to the Page's previous one ({}): change \
                     the text",
                    f.detail()
                ))),
            },
            Err(f) => Err(f.into_network_error(NETWORK)),
        }
    }

    /// Reads what the Page published since a minute before the post was written, newest first,
    /// 100 at a time and up to 500: its posts (`GET /{page-id}/posts?since=…`), its videos for a
    /// video, or the comments under the thread's root for a reply (those the Page wrote). The
    /// first whose text is the post's (white space aside) is taken.
    ///
    /// Limits: a post deleted since is not found; two posts with the same text in that window
    /// cannot be told apart (nor two image posts without text).
    async fn find_published(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        self.scan(creds, post).await
    }

    /// `DELETE /{id}`; a post already gone is deleted.
    async fn delete(
        &self,
        creds: &mut Credentials,
        post: &PublishedPost,
    ) -> Result<(), NetworkError> {
        if is_direct(post) {
            return Err(NetworkError::Unsupported(
                "Messenger offers no API to delete a message a Page sent".into(),
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

    /// A post's reactions, comments and shares (`GET /{post-id}?fields=reactions…`); a
    /// comment's likes and replies; a video's reactions and comments.
    async fn metrics(
        &self,
        creds: &mut Credentials,
        post: &PublishedPost,
    ) -> Result<Metrics, NetworkError> {
        if is_direct(post) {
            return Ok(Metrics::default());
        }
        let id = object_id(&post.id, NETWORK)?;
        let graph = self.graph(creds)?;
        let fields = match post.version.as_deref() {
            Some(COMMENT) => "like_count,comment_count",
            Some(VIDEO) => {
                "reactions.limit(0).summary(total_count),comments.limit(0).summary(total_count)"
            }
            _ => {
                "reactions.limit(0).summary(total_count),comments.limit(0).summary(total_count),shares"
            }
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
                    "the post {id} is gone from Facebook"
                )));
            }
            Err(f) => return Err(f.into_network_error(NETWORK)),
        };
        Ok(match post.version.as_deref() {
            Some(COMMENT) => Metrics {
                likes: count(&body, &["like_count"]),
                replies: count(&body, &["comment_count"]),
                ..Metrics::default()
            },
            kind => Metrics {
                likes: count(&body, &["reactions", "summary", "total_count"]),
                replies: count(&body, &["comments", "summary", "total_count"]),
                // Graph leaves `shares` out of a post nobody shared.
                reposts: match kind {
                    Some(VIDEO) => None,
                    _ => Some(count(&body, &["shares", "count"]).unwrap_or(0)),
                },
                ..Metrics::default()
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(text: &str, mimes: &[&str]) -> OutgoingPost {
        OutgoingPost {
            text: text.into(),
            media: mimes
                .iter()
                .map(|m| MediaFile {
                    mime: (*m).into(),
                    bytes: vec![1],
                    alt: None,
                    public_url: None,
                })
                .collect(),
            reply_to: None,
            langs: vec![],
            idempotency_key: "k".into(),
            created_at_ms: 0,
        }
    }

    #[test]
    fn shapes() {
        assert!(matches!(Shape::of(&post("a", &[])), Ok(Shape::Text)));
        assert!(matches!(
            Shape::of(&post("", &["image/png"])),
            Ok(Shape::Photo(_))
        ));
        assert!(matches!(
            Shape::of(&post("", &["image/png", "image/jpeg"])),
            Ok(Shape::Photos(v)) if v.len() == 2
        ));
        assert!(matches!(
            Shape::of(&post("", &["video/mp4"])),
            Ok(Shape::Video(_))
        ));
        for bad in [
            post(" ", &[]),
            post("a", &["image/png", "video/mp4"]),
            post("a", &["video/mp4", "video/mp4"]),
            post("a", &["application/pdf"]),
        ] {
            assert!(matches!(Shape::of(&bad), Err(NetworkError::Rejected(_))));
        }
    }

    #[test]
    fn replies_go_under_the_comment_they_answer() {
        let published = |id: &str, version: Option<&str>| PublishedPost {
            id: id.into(),
            version: version.map(str::to_owned),
            url: String::new(),
        };
        let root = published("105_1", None);
        let target = |parent: PublishedPost| ReplyTarget {
            parent,
            root: root.clone(),
        };
        assert_eq!(
            answered(&target(root.clone())).expect("target"),
            ("105_1", "post")
        );
        assert_eq!(
            answered(&target(published("1_7", Some("comment")))).expect("target"),
            ("1_7", "comment")
        );
        assert!(answered(&target(published("../x", Some("comment")))).is_err());
        let direct = published("m_1", Some("direct:4242"));
        assert_eq!(direct_recipient(&direct), Some("4242"));
        assert_eq!(
            direct_recipient(&published("m_1", Some("direct:a b"))),
            None
        );
        assert_eq!(direct_recipient(&root), None);
    }

    #[test]
    fn links_and_addresses() {
        assert_eq!(
            first_link("Voir https://example.org/a?b=1. Merci"),
            Some("https://example.org/a?b=1")
        );
        assert_eq!(first_link("(http://example.org)"), None);
        assert_eq!(first_link("https:// nothing"), None);
        let root = post_published("105_2001").expect("post");
        assert_eq!(root.url, "https://www.facebook.com/105_2001");
        let c = comment_published(&root, "2001_3001");
        assert_eq!(c.url, "https://www.facebook.com/105_2001?comment_id=3001");
        assert_eq!(c.version.as_deref(), Some("comment"));
        assert!(post_published("../me").is_err());
    }
}

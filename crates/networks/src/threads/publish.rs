//! Publishing: what a post becomes (a [`Plan`], checked before anything is sent), its
//! containers, the wait for Threads to process them, and the one `threads_publish`.

use std::time::Instant;

use relais_publish::rules::limits::threads as limits;
use relais_publish::rules::measure::threads_chars;
use reqwest::Method;
use serde_json::Value;

use super::{Settings, Threads, address, id_field, is_id, str_field};
use crate::{Credentials, NetworkError, OutgoingPost, PublishedPost};

/// Meta's limit on `alt_text`.
const MAX_ALT: usize = 1000;

/// One media as Threads takes it: by address.
pub(crate) struct Item {
    /// `IMAGE` or `VIDEO`.
    pub media_type: &'static str,
    pub url: String,
    pub alt: Option<String>,
}

/// A post as containers, checked.
pub(crate) struct Plan {
    pub text: Option<String>,
    pub items: Vec<Item>,
    pub reply_to: Option<String>,
}

impl Plan {
    /// Checks `post` against what Threads takes, before anything is sent.
    pub fn of(post: &OutgoingPost) -> Result<Self, NetworkError> {
        let text = Some(post.text.trim())
            .filter(|t| !t.is_empty())
            .map(|_| post.text.clone());
        if let Some(t) = &text {
            let used = threads_chars(t);
            if used > limits::MAX_CHARACTERS {
                return Err(NetworkError::Rejected(format!(
                    "the text counts {used} characters as Threads counts them (an emoji counts its \
                     bytes); Threads takes {} at most",
                    limits::MAX_CHARACTERS
                )));
            }
        }
        if text.is_none() && post.media.is_empty() {
            return Err(NetworkError::Rejected(
                "the post has neither text nor media".into(),
            ));
        }
        if post.media.len() > limits::MAX_ITEMS {
            return Err(NetworkError::Rejected(format!(
                "the post has {} media; a Threads carousel takes {} at most",
                post.media.len(),
                limits::MAX_ITEMS
            )));
        }
        let mut items = Vec::new();
        for (i, m) in post.media.iter().enumerate() {
            let n = i + 1;
            let mime = m.mime.to_ascii_lowercase();
            let media_type = if limits::IMAGE_TYPES.contains(&mime.as_str()) {
                "IMAGE"
            } else if limits::VIDEO_TYPES.contains(&mime.as_str()) {
                "VIDEO"
            } else {
                return Err(NetworkError::Rejected(format!(
                    "media {n} is {}; Threads takes JPEG and PNG images, MP4 and MOV videos",
                    m.mime
                )));
            };
            let url = m.public_url.as_deref().map(str::trim).unwrap_or_default();
            if url.is_empty() {
                return Err(NetworkError::Misconfigured(
                    "Threads fetches media from an address of Relais: set Relais's public \
                     address (the `public_url` setting) so that Threads can reach it"
                        .into(),
                ));
            }
            if !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
                return Err(NetworkError::Misconfigured(format!(
                    "media {n}'s public address is not an http(s) address; check the \
                     `public_url` setting"
                )));
            }
            let alt = m
                .alt
                .as_deref()
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned);
            if let Some(a) = &alt
                && a.chars().count() > MAX_ALT
            {
                return Err(NetworkError::Rejected(format!(
                    "the alt text of media {n} is longer than the {MAX_ALT} characters Threads \
                     takes"
                )));
            }
            items.push(Item {
                media_type,
                url: url.to_owned(),
                alt,
            });
        }
        let reply_to = match &post.reply_to {
            Some(r) if is_id(&r.parent.id) => Some(r.parent.id.clone()),
            Some(r) => {
                return Err(NetworkError::Rejected(format!(
                    "`{}` is not a Threads post id to reply to",
                    r.parent.id
                )));
            }
            None => None,
        };
        Ok(Self {
            text,
            items,
            reply_to,
        })
    }

    /// The `media_type` Threads lists this post with (`GET …/threads`): what
    /// `find_published` compares.
    pub fn listed_type(&self) -> &'static str {
        match self.items.as_slice() {
            [] => "TEXT_POST",
            [one] => one.media_type,
            _ => "CAROUSEL_ALBUM",
        }
    }
}

/// A container's state, as `GET /{container-id}?fields=status` gives it.
enum Settled {
    Finished,
    Published,
}

impl Threads {
    pub(super) async fn publish_plan(
        &self,
        creds: &mut Credentials,
        settings: &Settings,
        post: &OutgoingPost,
        plan: &Plan,
    ) -> Result<PublishedPost, NetworkError> {
        let user = self.user_id(creds, settings).await?;
        self.check_quota(creds, settings, &user, plan.reply_to.is_some())
            .await?;
        let reply_to = plan.reply_to.as_deref();

        let container = match plan.items.as_slice() {
            [] => {
                let mut params = vec![("media_type", "TEXT".to_owned())];
                push_common(&mut params, plan);
                self.container(creds, settings, &user, params, "the post", reply_to)
                    .await?
            }
            [one] => {
                let mut params = item_params(one);
                push_common(&mut params, plan);
                self.container(creds, settings, &user, params, "the post", reply_to)
                    .await?
            }
            many => {
                let mut children = Vec::new();
                for (i, item) in many.iter().enumerate() {
                    let mut params = item_params(item);
                    params.push(("is_carousel_item", "true".to_owned()));
                    let what = format!("media {}", i + 1);
                    let child = self
                        .container(creds, settings, &user, params, &what, None)
                        .await?;
                    self.wait_until_processed(creds, settings, &child, &what)
                        .await?;
                    children.push(child);
                }
                let mut params = vec![
                    ("media_type", "CAROUSEL".to_owned()),
                    ("children", children.join(",")),
                ];
                push_common(&mut params, plan);
                self.container(creds, settings, &user, params, "the carousel", reply_to)
                    .await?
            }
        };
        let media_id = match self
            .wait_until_processed(creds, settings, &container, "the post")
            .await?
        {
            Settled::Finished => {
                self.publish_container(creds, settings, &user, &container)
                    .await?
            }
            // Not by this attempt: nothing else knows this container. Look, do not publish.
            Settled::Published => None,
        };
        match media_id {
            Some(id) => Ok(self.published(creds, settings, &id).await),
            None => match self.scan(creds, settings, post).await? {
                Some(found) => {
                    tracing::info!(id = %found.id, "Threads published the container although its answer was lost");
                    Ok(found)
                }
                None => Err(NetworkError::Transient(
                    "Threads says the post was published but does not list it yet; Relais will \
                     look for it again before publishing anything"
                        .into(),
                )),
            },
        }
    }

    /// `POST /{user-id}/threads` with `params`; the container's id. `reply_to` is the post
    /// the container answers (its `reply_to_id`), whose deletion is then told apart from any
    /// other refusal.
    async fn container(
        &self,
        creds: &Credentials,
        settings: &Settings,
        user: &str,
        params: Vec<(&'static str, String)>,
        what: &str,
        reply_to: Option<&str>,
    ) -> Result<String, NetworkError> {
        // A carousel's "media not found" may name one of its items rather than the parent.
        let carousel = params.iter().any(|(k, _)| *k == "children");
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let path = format!("/{user}/threads");
        match self
            .call(creds, settings, Method::POST, &path, &params)
            .await?
        {
            Ok(reply) => id_field(&reply.body).ok_or_else(|| {
                NetworkError::Transient(format!(
                    "Threads answered the container of {what} without an id"
                ))
            }),
            Err(f) => {
                let detail = f.detail();
                if let Some(parent) = reply_to
                    && (f.is_missing_object() || (f.is_media_not_found() && !carousel))
                {
                    return Err(NetworkError::Rejected(format!(
                        "the post this replies to ({parent}) was deleted from Threads, so the \
                         reply cannot go under it ({detail})"
                    )));
                }
                Err(match f.into_network_error() {
                    NetworkError::Rejected(_) => {
                        NetworkError::Rejected(format!("Threads refused {what}: {detail}"))
                    }
                    other => other,
                })
            }
        }
    }

    /// Polls a container until Threads has processed it, within `container_wait`: at once,
    /// then after `first_poll`, doubling up to 30 s.
    async fn wait_until_processed(
        &self,
        creds: &Credentials,
        settings: &Settings,
        container: &str,
        what: &str,
    ) -> Result<Settled, NetworkError> {
        let deadline = Instant::now() + self.container_wait;
        let mut pause = self.first_poll;
        let path = format!("/{container}");
        loop {
            let body = self
                .expect(
                    creds,
                    settings,
                    Method::GET,
                    &path,
                    &[("fields", "status,error_message")],
                )
                .await?;
            match str_field(&body, "status") {
                Some("FINISHED") => return Ok(Settled::Finished),
                Some("PUBLISHED") => return Ok(Settled::Published),
                Some("ERROR") => {
                    let why = str_field(&body, "error_message")
                        .filter(|m| !m.is_empty())
                        .unwrap_or("no reason given");
                    return Err(NetworkError::Rejected(format!(
                        "Threads could not process {what}: {why}"
                    )));
                }
                // Not published within 24 hours. A later attempt makes a new container.
                Some("EXPIRED") => {
                    return Err(NetworkError::Transient(format!(
                        "the Threads container of {what} expired before it was published"
                    )));
                }
                _ => {}
            }
            if Instant::now() + pause > deadline {
                return Err(NetworkError::Transient(format!(
                    "Threads was still processing {what} after {} s; try again later",
                    self.container_wait.as_secs()
                )));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(super::MAX_POLL);
        }
    }

    /// `POST /{user-id}/threads_publish`: the post's id, or `None` when the container turned
    /// out to be published although the answer did not say so. When the outcome is in doubt
    /// the container's status settles it; a refusal that leaves none (a rate limit, the token)
    /// is returned as it is.
    async fn publish_container(
        &self,
        creds: &Credentials,
        settings: &Settings,
        user: &str,
        container: &str,
    ) -> Result<Option<String>, NetworkError> {
        let path = format!("/{user}/threads_publish");
        let doubt = match self
            .call(
                creds,
                settings,
                Method::POST,
                &path,
                &[("creation_id", container)],
            )
            .await
        {
            Ok(Ok(reply)) => match id_field(&reply.body) {
                Some(id) => return Ok(Some(id)),
                None => NetworkError::Transient(
                    "Threads answered the publication without the post's id".into(),
                ),
            },
            Ok(Err(f)) if f.is_rate_limit() || f.is_unauthorized() => {
                return Err(f.into_network_error());
            }
            Ok(Err(f)) => {
                let detail = f.detail();
                match f.into_network_error() {
                    NetworkError::Rejected(_) => {
                        NetworkError::Rejected(format!("Threads refused to publish: {detail}"))
                    }
                    other => other,
                }
            }
            Err(e @ NetworkError::Misconfigured(_)) => return Err(e),
            Err(e) => e,
        };
        let status = self
            .expect(
                creds,
                settings,
                Method::GET,
                &format!("/{container}"),
                &[("fields", "status,error_message")],
            )
            .await;
        match status {
            Ok(body) if str_field(&body, "status") == Some("PUBLISHED") => Ok(None),
            // Not published (or no way to know): the first error stands. Retrying makes a
            // new container; this one expires unpublished.
            _ => Err(doubt),
        }
    }

    /// The published post, with its address (`GET /{media-id}?fields=permalink,…`). The post
    /// is live whatever happens here, so a failure only costs the exact address.
    async fn published(
        &self,
        creds: &Credentials,
        settings: &Settings,
        media_id: &str,
    ) -> PublishedPost {
        let body = match self
            .expect(
                creds,
                settings,
                Method::GET,
                &format!("/{media_id}"),
                &[("fields", "permalink,shortcode,username")],
            )
            .await
        {
            Ok(body) => body,
            Err(e) => {
                tracing::warn!(id = %media_id, error = %e, "published on Threads, but could not read the post's address");
                Value::Null
            }
        };
        PublishedPost {
            id: media_id.to_owned(),
            version: None,
            url: address(creds, &body),
        }
    }
}

fn item_params(item: &Item) -> Vec<(&'static str, String)> {
    let url_key = if item.media_type == "VIDEO" {
        "video_url"
    } else {
        "image_url"
    };
    let mut params = vec![
        ("media_type", item.media_type.to_owned()),
        (url_key, item.url.clone()),
    ];
    if let Some(alt) = &item.alt {
        params.push(("alt_text", alt.clone()));
    }
    params
}

/// What the post's own container carries whatever its kind: the text and the parent.
fn push_common(params: &mut Vec<(&'static str, String)>, plan: &Plan) {
    if let Some(text) = &plan.text {
        params.push(("text", text.clone()));
    }
    if let Some(parent) = &plan.reply_to {
        params.push(("reply_to_id", parent.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MediaFile, ReplyTarget};

    fn post(text: &str, media: &[(&str, Option<&str>)]) -> OutgoingPost {
        OutgoingPost {
            text: text.into(),
            media: media
                .iter()
                .map(|(mime, url)| MediaFile {
                    mime: (*mime).into(),
                    bytes: vec![],
                    alt: Some(" ".into()),
                    public_url: url.map(str::to_owned),
                })
                .collect(),
            reply_to: None,
            langs: vec![],
            idempotency_key: "k".into(),
            created_at_ms: 0,
        }
    }

    #[test]
    fn plans_are_checked_before_anything_is_sent() {
        let p = Plan::of(&post("Bonjour", &[])).expect("plan");
        assert_eq!(p.listed_type(), "TEXT_POST");
        let u = Some("https://relais.example/m/a.png");
        let p = Plan::of(&post("", &[("image/png", u)])).expect("plan");
        assert_eq!((p.text.as_deref(), p.listed_type()), (None, "IMAGE"));
        assert_eq!(p.items[0].alt, None, "blank alt text is left out");
        let p = Plan::of(&post("x", &[("video/mp4", u), ("image/jpeg", u)])).expect("plan");
        assert_eq!(p.listed_type(), "CAROUSEL_ALBUM");

        assert!(matches!(
            Plan::of(&post(" ", &[])),
            Err(NetworkError::Rejected(_))
        ));
        assert!(matches!(
            Plan::of(&post(&"a".repeat(501), &[])),
            Err(NetworkError::Rejected(ref m)) if m.contains("501")
        ));
        // 125 emoji of four bytes: 500 as Threads counts.
        assert!(Plan::of(&post(&"😀".repeat(125), &[])).is_ok());
        assert!(Plan::of(&post(&"😀".repeat(126), &[])).is_err());
        assert!(matches!(
            Plan::of(&post("x", &[("image/png", None)])),
            Err(NetworkError::Misconfigured(ref m)) if m.contains("public_url")
        ));
        assert!(matches!(
            Plan::of(&post("x", &[("image/gif", u)])),
            Err(NetworkError::Rejected(ref m)) if m.contains("image/gif")
        ));
        assert!(matches!(
            Plan::of(&post("x", &vec![("image/png", u); 21])),
            Err(NetworkError::Rejected(_))
        ));
        let mut reply = post("x", &[]);
        let bogus = PublishedPost {
            id: "../me".into(),
            version: None,
            url: String::new(),
        };
        reply.reply_to = Some(ReplyTarget {
            parent: bogus.clone(),
            root: bogus,
        });
        assert!(matches!(Plan::of(&reply), Err(NetworkError::Rejected(_))));
    }
}

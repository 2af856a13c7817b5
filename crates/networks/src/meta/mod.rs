//! Facebook Pages and Instagram professional accounts, through Meta's Graph API
//! (`https://graph.facebook.com/v21.0`, see [`graph`]).
//!
//! **Settings.** Both channels keep `client_id` (the Meta app they were connected with) and,
//! when set, `api_base` (another address for Graph: a test server or a proxy) and
//! `graph_version` (default [`GRAPH_VERSION`]). A Facebook channel keeps `page_id` (and
//! `page_name`); an Instagram channel keeps `ig_user_id`, `username` and the `page_id` of the
//! Facebook Page it is linked to. **Secrets:** `access_token`, the Page access token (an
//! Instagram account is reached with the token of its linked Page).
//!
//! **Tokens.** [`FacebookFlow`] and [`InstagramFlow`] run Facebook Login: the code is traded
//! for a user token, that one for a long-lived user token, and the Page tokens listed with it
//! (`GET /me/accounts`) do not expire. Nothing can refresh a Page token: when Graph refuses it
//! (code 190: the person changed their password, left the Page, removed the app…) the error is
//! [`NetworkError::Unauthorized`] and the channel must be connected again.
//!
//! **Exactly once.** Graph takes no idempotency key. After a crash, `find_published` reads the
//! account's recent posts (a Page's posts or videos, an Instagram account's media, or the
//! comments under the thread's root) back to a minute before the post was written, and takes
//! the one with the same text; see [`Facebook`] and [`Instagram`] for the details and limits.
//! Facebook also refuses a Page post identical to the one before it (code 506): `publish`
//! takes that as "maybe published by an attempt whose answer was lost" and returns the post
//! `find_published` finds, or refuses the post when there is none.
//!
//! **Replies.** Neither a Page nor an Instagram account has threads: a reply goes under what it
//! answers. Answering a post (Relais's "first comment") comments on it; answering a comment
//! replies under it (`POST /{comment-id}/comments` on Facebook, `POST /{comment-id}/replies` on
//! Instagram, which nests one level, so an answer to a reply goes under its top-level comment);
//! answering a Messenger message sends one (`POST /{page-id}/messages`, within Messenger's
//! 24-hour window). [`PublishedPost::version`] tells what a published id is, since Graph reads,
//! counts and deletes each kind differently: `None` for a post, `Some("comment")`,
//! `Some("reply:<top-level comment id>")` (Instagram), `Some("direct:<sender id>")`,
//! `Some("video")`. The team inbox's reading and moderation are in `inbox/`.
//!
//! **Addresses.** A Page post is `https://www.facebook.com/<post-id>` (Graph's ids are
//! `<page-id>_<post-id>`, which facebook.com resolves), a video
//! `https://www.facebook.com/<page-id>/videos/<video-id>`, a comment its post's address with
//! `comment_id`. An Instagram post is the `permalink` Graph gives; a comment is its post's.
//!
//! **Left out.** Instagram stories, Facebook reels and scheduled posts (Relais schedules);
//! resumable video uploads (a Facebook video goes in one request, an Instagram video by
//! address); insights (views need the `read_insights` and `instagram_manage_insights`
//! permissions); `appsecret_proof` (the app secret is not kept with channels); and deleting an
//! Instagram post, which the Instagram API does not offer.
//!
//! [`PublishedPost::version`]: crate::PublishedPost::version

mod connect;
mod facebook;
pub mod graph;
pub mod inbox;
mod instagram;
pub mod oauth;

use std::time::Duration;

use relais_outbound::HttpClient;

use crate::{Credentials, NetworkError, OutgoingPost};
pub use connect::{FacebookFlow, InstagramFlow};
pub use facebook::Facebook;
pub use graph::{DEFAULT_API_BASE, GRAPH_VERSION};
use graph::{Endpoint, Graph, is_object_id};
pub use instagram::{DEFAULT_MEDIA_WAIT, Instagram};

/// `find_published` reads back to this long before the post was written (clocks differ)…
const LOOKBACK_MS: i64 = 60_000;
/// …for at most this many pages of a list, newest first.
const MAX_PAGES: usize = 5;
/// The kind of a published comment, in [`crate::PublishedPost::version`].
const COMMENT: &str = "comment";
/// The kind of a published Facebook video, in [`crate::PublishedPost::version`].
const VIDEO: &str = "video";

/// The Graph way in for a channel: its endpoint and its Page token.
fn graph_for<'a>(
    http: &'a HttpClient,
    creds: &Credentials,
    network: &'static str,
) -> Result<Graph<'a>, NetworkError> {
    let endpoint = Endpoint::of(creds, network)?;
    let token = creds
        .secret("access_token")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            NetworkError::Misconfigured(format!(
                "the {network} channel has no access token; connect it again"
            ))
        })?;
    Ok(Graph {
        http,
        root: endpoint.root,
        token: token.to_owned(),
        network,
    })
}

/// A Graph id kept in the channel's settings (`page_id`, `ig_user_id`).
fn id_setting(creds: &Credentials, key: &str, network: &str) -> Result<String, NetworkError> {
    match creds.setting(key).map(str::trim) {
        Some(id) if is_object_id(id) => Ok(id.to_owned()),
        Some(other) if !other.is_empty() => Err(NetworkError::Misconfigured(format!(
            "the {network} channel's `{key}` (`{other}`) is not a Graph id (digits)"
        ))),
        _ => Err(NetworkError::Misconfigured(format!(
            "the {network} channel has no `{key}`; connect it again"
        ))),
    }
}

/// The id of a published post or comment, checked before it goes into a path.
fn object_id<'a>(id: &'a str, network: &str) -> Result<&'a str, NetworkError> {
    Some(id)
        .filter(|id| is_object_id(id))
        .ok_or_else(|| NetworkError::Rejected(format!("`{id}` is not a {network} id")))
}

/// The earliest time (ms) a post published for `post` can carry.
fn since_ms(post: &OutgoingPost) -> i64 {
    let now = chrono::Utc::now().timestamp_millis();
    post.created_at_ms.min(now).saturating_sub(LOOKBACK_MS)
}

/// A file name for media `n`, from its type.
fn file_name(n: usize, mime: &str) -> String {
    let ext = match mime {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/bmp" => "bmp",
        "image/tiff" => "tiff",
        "video/mp4" => "mp4",
        "video/quicktime" => "mov",
        _ => "bin",
    };
    format!("media-{n}.{ext}")
}

/// Whether a media is an image or a video, by its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Image,
    Video,
}

fn kind_of(mime: &str) -> Option<Kind> {
    if mime.starts_with("image/") {
        Some(Kind::Image)
    } else if mime.starts_with("video/") {
        Some(Kind::Video)
    } else {
        None
    }
}

/// Bounds on the pause between two looks at something Meta processes in the background.
const MIN_POLL: Duration = Duration::from_millis(250);
const MAX_POLL: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_in_settings_are_checked() {
        let creds = |settings| Credentials {
            settings,
            ..Credentials::default()
        };
        assert_eq!(
            id_setting(&creds(json!({ "page_id": " 105 " })), "page_id", "Facebook"),
            Ok("105".into())
        );
        for bad in [
            json!({}),
            json!({ "page_id": "" }),
            json!({ "page_id": "me" }),
        ] {
            assert!(matches!(
                id_setting(&creds(bad), "page_id", "Facebook"),
                Err(NetworkError::Misconfigured(m)) if m.contains("page_id")
            ));
        }
    }

    #[test]
    fn kinds_and_names() {
        assert_eq!(kind_of("image/jpeg"), Some(Kind::Image));
        assert_eq!(kind_of("video/mp4"), Some(Kind::Video));
        assert_eq!(kind_of("application/pdf"), None);
        assert_eq!(file_name(2, "video/quicktime"), "media-2.mov");
    }
}

//! Finding a post on YouTube again, for [`crate::Connector::find_published`]: YouTube takes no
//! idempotency key, so a video is recognised by the marker tag of its post ([`text::marker`])
//! among the channel's latest uploads, or failing that by its title; a comment by its author
//! (the channel) and its text among the root video's latest comments.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::Value;

use super::ids::{comment_post, is_comment_id, is_video_id, video_of, video_post};
use super::{YouTube, items, str_field, text};
use crate::{Credentials, NetworkError, OutgoingPost, PublishedPost};

/// `find_published` reads the channel's uploads back to this long before the post was written
/// (clocks of two machines differ)…
const LOOKBACK_MS: i64 = 60_000;
/// …50 at a time (YouTube's maximum)…
const UPLOADS_PAGE: &str = "50";
/// …for at most this many pages, newest first; comments, 100 at a time, for at most 3 pages.
const MAX_UPLOAD_PAGES: usize = 4;
const COMMENTS_PAGE: &str = "100";
const MAX_COMMENT_PAGES: usize = 3;

impl YouTube {
    /// The newest upload of the channel since the window's start that is `post`'s video.
    pub(super) async fn find_video(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        let (_, uploads) = self.channel_ids(creds).await?;
        let since = window_start(post);
        let mut candidates: Vec<(String, String)> = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..MAX_UPLOAD_PAGES {
            let mut query = vec![
                ("part", "snippet"),
                ("playlistId", uploads.as_str()),
                ("maxResults", UPLOADS_PAGE),
            ];
            if let Some(token) = &next {
                query.push(("pageToken", token.as_str()));
            }
            let page = self
                .expect(creds, Method::GET, "/playlistItems", &query, None)
                .await?;
            let items = items(&page);
            let mut recent = 0;
            for item in items {
                let snippet = item.get("snippet").unwrap_or(&Value::Null);
                let at = str_field(snippet, "publishedAt").and_then(parse_time);
                if at.is_some_and(|at| at < since) {
                    continue;
                }
                recent += 1;
                let id = snippet
                    .get("resourceId")
                    .and_then(|r| str_field(r, "videoId"))
                    .filter(|id| is_video_id(id));
                if let Some(id) = id {
                    let title = str_field(snippet, "title").unwrap_or_default().to_owned();
                    candidates.push((id.to_owned(), title));
                }
            }
            next = str_field(&page, "nextPageToken").map(str::to_owned);
            // Uploads come newest first: a page with nothing recent ends the search.
            if next.is_none() || recent == 0 {
                break;
            }
        }
        if candidates.is_empty() {
            return Ok(None);
        }
        let marker = text::marker(&post.idempotency_key);
        let title = text::title(&post.text).ok();
        let mut by_title: Option<String> = None;
        for batch in candidates.chunks(50) {
            let ids = batch
                .iter()
                .map(|(id, _)| id.as_str())
                .collect::<Vec<_>>()
                .join(",");
            let page = self
                .expect(
                    creds,
                    Method::GET,
                    "/videos",
                    &[("part", "snippet"), ("id", ids.as_str())],
                    None,
                )
                .await?;
            let videos = items(&page);
            for (id, listed_title) in batch {
                let video = videos
                    .iter()
                    .find(|v| str_field(v, "id") == Some(id.as_str()));
                let tags: Vec<&str> = video
                    .and_then(|v| v.get("snippet"))
                    .and_then(|s| s.get("tags"))
                    .and_then(Value::as_array)
                    .map(|t| t.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if tags.contains(&marker.as_str()) {
                    return Ok(Some(video_post(id)));
                }
                // A video without any Relais tag (removed since) is recognised by its title;
                // one with another post's tag is that post's.
                let untagged = !tags.iter().any(|t| t.starts_with(text::MARKER_PREFIX));
                if by_title.is_none() && untagged && title.as_deref() == Some(listed_title.as_str())
                {
                    by_title = Some(id.clone());
                }
            }
        }
        Ok(by_title.map(|id| video_post(&id)))
    }

    /// The newest comment of the channel on the root video since the window's start with the
    /// post's text.
    pub(super) async fn find_comment(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
        root: &PublishedPost,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        let video = video_of(root)?;
        let (channel, _) = self.channel_ids(creds).await?;
        let since = window_start(post);
        let text = post.text.trim();
        let mut next: Option<String> = None;
        for _ in 0..MAX_COMMENT_PAGES {
            let mut query = vec![
                ("part", "snippet"),
                ("videoId", video.as_str()),
                ("order", "time"),
                ("textFormat", "plainText"),
                ("maxResults", COMMENTS_PAGE),
            ];
            if let Some(token) = &next {
                query.push(("pageToken", token.as_str()));
            }
            let page = match self
                .call_api(creds, Method::GET, "/commentThreads", &query)
                .await?
            {
                Ok(page) => page,
                // A video whose comments are off has none of ours.
                Err(f) if f.reason == "commentsDisabled" => return Ok(None),
                Err(f) => return Err(f.into_network_error()),
            };
            let threads = items(&page);
            let mut recent = 0;
            for thread in threads {
                let comment = thread
                    .get("snippet")
                    .and_then(|s| s.get("topLevelComment"))
                    .unwrap_or(&Value::Null);
                let snippet = comment.get("snippet").unwrap_or(&Value::Null);
                let at = str_field(snippet, "publishedAt").and_then(parse_time);
                if at.is_some_and(|at| at < since) {
                    continue;
                }
                recent += 1;
                let author = snippet
                    .get("authorChannelId")
                    .and_then(|a| str_field(a, "value"));
                let said = str_field(snippet, "textOriginal")
                    .or_else(|| str_field(snippet, "textDisplay"))
                    .map(str::trim);
                let id = str_field(thread, "id").filter(|id| is_comment_id(id));
                if let Some(id) = id
                    && author == Some(channel.as_str())
                    && said == Some(text)
                {
                    return Ok(Some(comment_post(&video, id)));
                }
            }
            next = str_field(&page, "nextPageToken").map(str::to_owned);
            if next.is_none() || recent == 0 {
                break;
            }
        }
        Ok(None)
    }
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Where `find_published` starts looking: a minute before the post was written (or before now,
/// for a post dated in the future by a skewed clock).
fn window_start(post: &OutgoingPost) -> DateTime<Utc> {
    let now_ms = Utc::now().timestamp_millis();
    let since = post.created_at_ms.min(now_ms).saturating_sub(LOOKBACK_MS);
    DateTime::from_timestamp_millis(since).unwrap_or_default()
}

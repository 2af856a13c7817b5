//! Reading the account's posts back: to find a post again after a crash (or after a lost
//! answer), and to tell how long until the 24-hour publishing quota frees up.
//!
//! Lists are Graph pages: `{"data": [...], "paging": {"cursors": {"after"}, "next"}}`, newest
//! first, with `since` (Unix seconds) on a user's posts and `reverse=true` (newest first) on a
//! post's replies. Timestamps are ISO 8601 as Meta writes them (`2024-07-01T12:00:00+0000`).

use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use reqwest::Method;
use serde_json::Value;

use super::publish::Plan;
use super::{Settings, Threads, address, id_field, now_ms, str_field};
use crate::{Credentials, NetworkError, OutgoingPost, PublishedPost};

/// How far before the post was written the look-up starts (two machines' clocks differ).
const LOOKBACK_MS: i64 = 60_000;
/// Meta refuses a `since` before the launch of the API (2023-07-05).
const MIN_SINCE: i64 = 1_688_540_400;
/// A user's posts: 100 a page (Meta's maximum), 5 pages.
const PAGE: &str = "100";
const MAX_POST_PAGES: usize = 5;
/// A parent's replies (Meta's default page size), newest first: 10 pages.
const MAX_REPLY_PAGES: usize = 10;
/// The quota (250 posts) in pages of 100.
const MAX_QUOTA_PAGES: usize = 3;
const POST_FIELDS: &str = "id,text,timestamp,permalink,shortcode,username,media_type";
const REPLY_FIELDS: &str =
    "id,text,timestamp,permalink,shortcode,username,media_type,is_reply_owned_by_me";

/// An ISO 8601 time as Meta writes it (`+0000`, or RFC 3339's `+00:00`/`Z`), in milliseconds.
pub(crate) fn timestamp_ms(v: &Value) -> Option<i64> {
    let s = str_field(v, "timestamp")?.trim();
    DateTime::<FixedOffset>::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z")
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|t| t.timestamp_millis())
}

/// The text with runs of white space made one space, ends trimmed.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether an item of a list is `post`: written in the window, same text, same kind of
/// media, and (among a parent's replies, which are anyone's) the account's own.
fn is_this_post(item: &Value, text: &str, kind: &str, since_ms: i64, own: Option<&str>) -> bool {
    let mine = match item.get("is_reply_owned_by_me").and_then(Value::as_bool) {
        Some(mine) => mine,
        // A user's own posts list, or an answer without the field: by the username if any.
        None => match (own, str_field(item, "username")) {
            (Some(me), Some(author)) => me == author,
            _ => true,
        },
    };
    let kind_ok = str_field(item, "media_type").is_none_or(|t| t == kind);
    mine && kind_ok
        && timestamp_ms(item).is_some_and(|t| t >= since_ms)
        && squash(str_field(item, "text").unwrap_or_default()) == squash(text)
}

/// The cursor of the next page, when there is one.
fn next_cursor(page: &Value) -> Option<String> {
    let paging = page.get("paging")?;
    paging.get("next")?;
    paging
        .get("cursors")
        .and_then(|c| str_field(c, "after"))
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
}

fn items(page: &Value) -> &[Value] {
    page.get("data")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

impl Threads {
    /// The post published as `post`, looked for among the account's posts or, for a reply,
    /// among the parent's replies. See [`crate::Connector::find_published`].
    pub(super) async fn scan(
        &self,
        creds: &mut Credentials,
        settings: &Settings,
        post: &OutgoingPost,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        // A post Threads would not take was never published.
        let Ok(plan) = Plan::of(post) else {
            return Ok(None);
        };
        let since_ms = post.created_at_ms.min(now_ms()).saturating_sub(LOOKBACK_MS);
        let since = (since_ms.div_euclid(1000)).max(MIN_SINCE).to_string();
        let kind = plan.listed_type();
        let own = creds.secret("username").map(str::to_owned);
        let (path, fields, max_pages) = match &plan.reply_to {
            Some(parent) => (format!("/{parent}/replies"), REPLY_FIELDS, MAX_REPLY_PAGES),
            None => {
                let user = self.user_id(creds, settings).await?;
                (format!("/{user}/threads"), POST_FIELDS, MAX_POST_PAGES)
            }
        };
        let mut after: Option<String> = None;
        for _ in 0..max_pages {
            let mut query = vec![("fields", fields)];
            if plan.reply_to.is_some() {
                query.push(("reverse", "true"));
            } else {
                query.push(("since", since.as_str()));
                query.push(("limit", PAGE));
            }
            if let Some(cursor) = &after {
                query.push(("after", cursor.as_str()));
            }
            let page = self
                .expect(creds, settings, Method::GET, &path, &query)
                .await?;
            let list = items(&page);
            if let Some(found) = list
                .iter()
                .find(|item| is_this_post(item, &post.text, kind, since_ms, own.as_deref()))
                && let Some(id) = id_field(found)
            {
                return Ok(Some(PublishedPost {
                    id,
                    version: None,
                    url: address(creds, found),
                }));
            }
            // Newest first: once the page reaches before the window, older pages cannot match.
            let older = list
                .last()
                .and_then(timestamp_ms)
                .is_some_and(|t| t < since_ms);
            after = next_cursor(&page);
            if after.is_none() || list.is_empty() || older {
                break;
            }
        }
        Ok(None)
    }

    /// `GET /{user-id}/threads_publishing_limit`: refuses to start a publication the quota of
    /// the last 24 hours (250 posts, or 1,000 replies) no longer allows, with the time until
    /// the oldest post of the window leaves it. A quota that cannot be read does not stop the
    /// publication: `threads_publish` enforces the limit itself.
    pub(super) async fn check_quota(
        &self,
        creds: &Credentials,
        settings: &Settings,
        user: &str,
        reply: bool,
    ) -> Result<(), NetworkError> {
        let (usage_key, config_key) = if reply {
            ("reply_quota_usage", "reply_config")
        } else {
            ("quota_usage", "config")
        };
        let fields = format!("{usage_key},{config_key}");
        let path = format!("/{user}/threads_publishing_limit");
        let body = match self
            .expect(creds, settings, Method::GET, &path, &[("fields", &fields)])
            .await
        {
            Ok(body) => body,
            Err(
                e @ (NetworkError::RateLimited { .. }
                | NetworkError::Unauthorized(_)
                | NetworkError::Misconfigured(_)),
            ) => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the Threads publishing quota");
                return Ok(());
            }
        };
        let entry = body
            .get("data")
            .and_then(Value::as_array)
            .and_then(|d| d.first())
            .unwrap_or(&Value::Null);
        let usage = entry.get(usage_key).and_then(Value::as_u64);
        let config = entry.get(config_key).unwrap_or(&Value::Null);
        let total = config.get("quota_total").and_then(Value::as_u64);
        let window = config
            .get("quota_duration")
            .and_then(Value::as_u64)
            .unwrap_or(86_400);
        let (Some(usage), Some(total)) = (usage, total) else {
            return Ok(());
        };
        if usage < total {
            return Ok(());
        }
        let wait = self
            .window_frees_in(creds, settings, user, reply, window)
            .await;
        tracing::info!(
            usage,
            total,
            ?wait,
            "the Threads publishing quota is used up"
        );
        Err(NetworkError::RateLimited { retry_after: wait })
    }

    /// How long until the oldest post (or reply) of the last `window` seconds leaves it, read
    /// from the account's list. That list also holds what was not posted through the API, so
    /// this is a lower bound: trying again then costs one look at the quota.
    async fn window_frees_in(
        &self,
        creds: &Credentials,
        settings: &Settings,
        user: &str,
        reply: bool,
        window: u64,
    ) -> Option<Duration> {
        let now = now_ms();
        let window_ms = i64::try_from(window).ok()?.saturating_mul(1000);
        let since = (now.saturating_sub(window_ms) / 1000)
            .max(MIN_SINCE)
            .to_string();
        let path = format!("/{user}/{}", if reply { "replies" } else { "threads" });
        let mut oldest: Option<i64> = None;
        let mut after: Option<String> = None;
        for _ in 0..MAX_QUOTA_PAGES {
            let mut query = vec![
                ("fields", "id,timestamp"),
                ("since", since.as_str()),
                ("limit", PAGE),
            ];
            if let Some(cursor) = &after {
                query.push(("after", cursor.as_str()));
            }
            let page = self
                .expect(creds, settings, Method::GET, &path, &query)
                .await
                .ok()?;
            for t in items(&page).iter().filter_map(timestamp_ms) {
                oldest = Some(oldest.map_or(t, |o| o.min(t)));
            }
            after = next_cursor(&page);
            if after.is_none() {
                break;
            }
        }
        let frees_at = oldest?.saturating_add(window_ms);
        let ms = u64::try_from(frees_at.saturating_sub(now)).unwrap_or(0);
        Some(Duration::from_millis(ms).max(Duration::from_secs(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn meta_s_timestamps_are_read() {
        let t = |s: &str| timestamp_ms(&json!({ "timestamp": s }));
        assert_eq!(t("2024-07-01T12:00:00+0000"), Some(1_719_835_200_000));
        assert_eq!(t("2024-07-01T14:00:00+0200"), Some(1_719_835_200_000));
        assert_eq!(t("2024-07-01T12:00:00Z"), Some(1_719_835_200_000));
        assert_eq!(t("yesterday"), None);
        assert_eq!(timestamp_ms(&json!({})), None);
    }

    #[test]
    fn a_listed_post_is_recognised() {
        let since = 1_719_835_200_000 - 60_000;
        let item = json!({ "id": "1", "text": "Bonjour  à tous\n", "media_type": "TEXT_POST",
                           "timestamp": "2024-07-01T12:00:00+0000", "username": "relais" });
        assert!(is_this_post(
            &item,
            "Bonjour à tous",
            "TEXT_POST",
            since,
            Some("relais")
        ));
        assert!(!is_this_post(
            &item,
            "Bonjour",
            "TEXT_POST",
            since,
            Some("relais")
        ));
        assert!(!is_this_post(
            &item,
            "Bonjour à tous",
            "IMAGE",
            since,
            Some("relais")
        ));
        assert!(!is_this_post(
            &item,
            "Bonjour à tous",
            "TEXT_POST",
            since + 120_000,
            None
        ));
        assert!(!is_this_post(
            &item,
            "Bonjour à tous",
            "TEXT_POST",
            since,
            Some("other")
        ));
        let theirs = json!({ "id": "2", "text": "Bonjour à tous", "is_reply_owned_by_me": false,
                             "timestamp": "2024-07-01T12:00:00+0000" });
        assert!(!is_this_post(
            &theirs,
            "Bonjour à tous",
            "TEXT_POST",
            since,
            None
        ));
        let undated = json!({ "id": "3", "text": "Bonjour à tous" });
        assert!(!is_this_post(
            &undated,
            "Bonjour à tous",
            "TEXT_POST",
            since,
            None
        ));
    }

    #[test]
    fn pages_continue_only_with_a_next() {
        let page = json!({ "data": [], "paging": { "cursors": { "before": "b", "after": "a" },
                                                   "next": "https://graph.threads.net/…" } });
        assert_eq!(next_cursor(&page), Some("a".into()));
        let last = json!({ "data": [], "paging": { "cursors": { "before": "b", "after": "a" } } });
        assert_eq!(next_cursor(&last), None);
    }
}

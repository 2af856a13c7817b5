//! YouTube for listening: the comments that mention the brand, under the channel's videos or
//! under one video, through `commentThreads.list` (`searchTerms`, `order=time`,
//! `textFormat=plainText`). YouTube has no search of all comments: a listening source reads
//! one channel's (the connected channel's by default, or another's `UC…` id) or one video's.
//! Only top-level comments are searched; replies are not.
//!
//! Credentials: an API key (secret `api_key`, a Google Cloud key with the YouTube Data API
//! enabled: enough for public comments), or else the channel's OAuth token, renewed on a 401
//! as the connector does. Settings as the connector's (`api_base` for tests).
//!
//! Newer than last time: YouTube pages from the newest comment backwards, with no "since": the
//! cursor is a [`Watermark`] on `publishedAt`, and reading stops at the first page that
//! reaches back past it.

use relais_outbound::HttpClient;
use reqwest::Method;
use serde_json::Value;

use super::api::{self, Failure};
use super::ids::{is_plain_id, is_video_id};
use super::{Settings, YouTube, items, str_field};
use crate::search::{
    MAX_PAGES, SearchHit, SearchPage, SearchQuery, WatermarkSearch, text_field, time_ms,
};
use crate::{Credentials, NetworkError};

const PATH: &str = "/youtube/v3/commentThreads";
/// Comment threads a page (YouTube allows 1 to 100).
const PAGE: &str = "100";

/// How the calls are authorised.
enum Auth {
    Key(String),
    OAuth(YouTube),
}

pub(crate) async fn search(
    http: &HttpClient,
    creds: &mut Credentials,
    query: &SearchQuery<'_>,
) -> Result<SearchPage, NetworkError> {
    let auth = match creds
        .secret("api_key")
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        Some(key) => Auth::Key(key.to_owned()),
        None => Auth::OAuth(YouTube::new(http.clone())),
    };
    let (scope, scope_id) = scope_of(&auth, creds, query.within).await?;
    let mut found = WatermarkSearch::after(query.cursor, "youtube");
    let mut page_token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut params = vec![
            ("part", "snippet"),
            (scope, scope_id.as_str()),
            ("searchTerms", query.terms),
            ("order", "time"),
            ("maxResults", PAGE),
            ("textFormat", "plainText"),
        ];
        if let Some(token) = &page_token {
            params.push(("pageToken", token));
        }
        let body = match get(&auth, http, creds, &params).await? {
            Ok(body) => body,
            // Google names a bad key `keyInvalid`, or `badRequest` with `API_KEY_INVALID` in
            // its details and "API key not valid" as the message.
            Err(f)
                if matches!(auth, Auth::Key(_))
                    && (f.reason == "keyInvalid" || f.message.contains("API key not valid")) =>
            {
                return Err(NetworkError::Misconfigured(format!(
                    "Google refused the API key ({}): check the key given for YouTube",
                    f.detail()
                )));
            }
            Err(f) => return Err(f.into_network_error()),
        };
        if !body.is_object() {
            return Err(NetworkError::Transient(format!(
                "YouTube answered {PATH} with something that is not a list of comments"
            )));
        }
        for (hit, at) in items(&body).iter().filter_map(hit_of) {
            found.offer(hit.network_id.clone(), at, hit);
        }
        page_token = text_field(&body, "nextPageToken");
        if !found.wants_more() || page_token.is_none() {
            break;
        }
    }
    Ok(found.into_page(|hit| hit))
}

/// The parameter that says whose comments, and its value.
async fn scope_of(
    auth: &Auth,
    creds: &mut Credentials,
    within: Option<&str>,
) -> Result<(&'static str, String), NetworkError> {
    if let Some(w) = within.map(str::trim).filter(|w| !w.is_empty()) {
        return if is_video_id(w) {
            Ok(("videoId", w.to_owned()))
        } else if is_channel_id(w) {
            Ok(("allThreadsRelatedToChannelId", w.to_owned()))
        } else {
            Err(NetworkError::Rejected(format!(
                "`{w}` is neither a YouTube video id (11 characters) nor a channel id (UC and 22 \
                 characters)"
            )))
        };
    }
    let own = match auth {
        Auth::OAuth(youtube) => youtube.channel_ids(creds).await?.0,
        Auth::Key(_) => creds
            .secret("channel_id")
            .or_else(|| creds.setting("channel_id"))
            .map(str::trim)
            .filter(|id| is_channel_id(id))
            .map(str::to_owned)
            .ok_or_else(|| {
                NetworkError::Misconfigured(
                    "say which YouTube channel or video to read the comments of: an API key \
                     does not belong to a channel"
                        .into(),
                )
            })?,
    };
    Ok(("allThreadsRelatedToChannelId", own))
}

fn is_channel_id(id: &str) -> bool {
    id.len() == 24 && id.starts_with("UC") && is_plain_id(id)
}

/// One `commentThreads.list` call. `Ok(Err(_))` is YouTube's refusal.
async fn get(
    auth: &Auth,
    http: &HttpClient,
    creds: &mut Credentials,
    params: &[(&str, &str)],
) -> Result<Result<Value, Failure>, NetworkError> {
    let url = format!("{}{PATH}", Settings::of(creds)?.api_base);
    match auth {
        Auth::OAuth(youtube) => Ok(youtube
            .call(creds, Method::GET, &url, params, None, &[])
            .await?
            .map(|reply| reply.body)),
        Auth::Key(key) => {
            let request = http
                .get(&url)
                .map_err(api::transport)?
                .header("accept", "application/json")
                .query(params)
                .query(&[("key", key.as_str())]);
            let response = http.fetch(request).await.map_err(api::transport)?;
            Ok(
                api::answer(response.status, &response.headers, &response.body, PATH)?
                    .map(|reply| reply.body),
            )
        }
    }
}

/// A comment thread as a hit and its time; `None` without an id or a time.
pub(crate) fn hit_of(thread: &Value) -> Option<(SearchHit, i64)> {
    let top = thread.get("snippet")?.get("topLevelComment")?;
    let id = text_field(top, "id").or_else(|| text_field(thread, "id"))?;
    let snippet = top.get("snippet").unwrap_or(&Value::Null);
    let at = str_field(snippet, "publishedAt").and_then(time_ms)?;
    let video = text_field(snippet, "videoId")
        .or_else(|| thread.get("snippet").and_then(|s| text_field(s, "videoId")));
    let author = text_field(snippet, "authorDisplayName");
    let hit = SearchHit {
        url: video
            .as_deref()
            .map(|v| format!("https://www.youtube.com/watch?v={v}&lc={id}")),
        network_id: id,
        title: None,
        text: str_field(snippet, "textOriginal")
            .or_else(|| str_field(snippet, "textDisplay"))
            .unwrap_or_default()
            .to_owned(),
        author_handle: author.clone().filter(|a| a.starts_with('@')),
        author_name: author,
        author_followers: None,
        published_at: Some(at),
        lang: None,
        site: Some("www.youtube.com".into()),
        in_reply_to: video,
    };
    Some((hit, at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_comment_thread_becomes_a_hit() {
        let thread = json!({ "kind": "youtube#commentThread", "id": "UgzThread123456",
            "snippet": { "channelId": "UCabcdefghijklmnopqrstuv", "videoId": "dQw4w9WgXcQ",
                "topLevelComment": { "id": "UgzThread123456", "snippet": {
                    "authorDisplayName": "@fan", "textDisplay": "Super vidéo Relais",
                    "publishedAt": "2026-03-01T10:00:00Z", "videoId": "dQw4w9WgXcQ" } } } });
        let (hit, at) = hit_of(&thread).expect("a hit");
        assert_eq!(at, time_ms("2026-03-01T10:00:00Z").expect("t"));
        assert_eq!(
            hit.url.as_deref(),
            Some("https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc=UgzThread123456")
        );
        assert_eq!(hit.text, "Super vidéo Relais");
        assert_eq!(hit.author_handle.as_deref(), Some("@fan"));
        assert_eq!(hit.in_reply_to.as_deref(), Some("dQw4w9WgXcQ"));
        assert!(hit_of(&json!({ "id": "x", "snippet": {} })).is_none());
    }

    #[test]
    fn channel_ids_are_told_from_video_ids() {
        assert!(is_channel_id("UCabcdefghijklmnopqrstuv"));
        assert!(!is_channel_id("dQw4w9WgXcQ"));
        assert!(!is_channel_id("UCabc"));
    }
}

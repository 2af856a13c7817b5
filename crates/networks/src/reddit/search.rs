//! Reddit's search for listening: `GET /search` (or `/r/<subreddit>/search` with
//! `restrict_sr=on` when the query is within one), `sort=new`, 100 posts a page, texts as
//! written (`raw_json=1`: no HTML entities), posts marked adult included (a brand wants to know
//! about those too). Reddit's API searches posts (titles and texts), not comments.
//!
//! Newer than last time: the cursor is a [`Watermark`] on the posts' `created_utc`, and pages
//! are read backwards (`after`) until one reaches past it. Reddit's own `before` (the newest
//! fullname seen) is not used: when that post is deleted or removed, which befalls spam about
//! a brand every day, Reddit answers every later search with nothing, and listening would go
//! silent without an error.

use relais_outbound::HttpClient;
use serde_json::Value;

use super::Reddit;
use crate::search::{MAX_PAGES, SearchHit, SearchPage, SearchQuery, WatermarkSearch, text_field};
use crate::{Credentials, NetworkError};

/// Posts a page: Reddit's most.
const PAGE: &str = "100";

pub(crate) async fn search(
    http: &HttpClient,
    creds: &mut Credentials,
    query: &SearchQuery<'_>,
) -> Result<SearchPage, NetworkError> {
    let reddit = Reddit::new(http, creds)?;
    let path = match query.within.map(str::trim).filter(|w| !w.is_empty()) {
        Some(sub) => {
            let name = sub.trim_start_matches("/r/").trim_start_matches("r/");
            if !is_subreddit(name) {
                return Err(NetworkError::Rejected(format!(
                    "`{sub}` is not a subreddit name (2 to 21 letters, digits or _)"
                )));
            }
            format!("/r/{name}/search")
        }
        None => "/search".to_owned(),
    };
    let mut found = WatermarkSearch::after(query.cursor, "reddit");
    let mut after: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut params = vec![
            ("q", query.terms),
            ("sort", "new"),
            ("limit", PAGE),
            ("type", "link"),
            ("raw_json", "1"),
            ("include_over_18", "on"),
        ];
        if path != "/search" {
            params.push(("restrict_sr", "on"));
        }
        if let Some(token) = &after {
            params.push(("after", token));
        }
        let body = reddit.get(creds, &path, &params).await?;
        let data = body
            .get("data")
            .filter(|_| body.get("kind").and_then(Value::as_str) == Some("Listing"))
            .ok_or_else(|| {
                NetworkError::Transient(format!(
                    "Reddit answered {path} with something that is not a listing"
                ))
            })?;
        let children = data
            .get("children")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (hit, at) in children.iter().filter_map(hit_of) {
            found.offer(hit.network_id.clone(), at, hit);
        }
        after = text_field(data, "after");
        if !found.wants_more() || after.is_none() || children.is_empty() {
            break;
        }
    }
    Ok(found.into_page(|hit| hit))
}

fn is_subreddit(name: &str) -> bool {
    (2..=21).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A listing's child (`{"kind": "t3", "data": {…}}`) as a hit and its time; `None` for other
/// kinds or one without a fullname or a time.
pub(crate) fn hit_of(child: &Value) -> Option<(SearchHit, i64)> {
    if child.get("kind").and_then(Value::as_str) != Some("t3") {
        return None;
    }
    let post = child.get("data")?;
    let name = text_field(post, "name").filter(|n| n.starts_with("t3_"))?;
    let created = post.get("created_utc").and_then(Value::as_f64)?;
    #[allow(clippy::cast_possible_truncation)] // seconds of our era, well within i64 ms
    let at = (created * 1000.0).round() as i64;
    let permalink = text_field(post, "permalink").filter(|p| p.starts_with('/'));
    let hit = SearchHit {
        network_id: name,
        url: permalink.map(|p| format!("https://www.reddit.com{p}")),
        title: text_field(post, "title"),
        text: post
            .get("selftext")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        author_handle: text_field(post, "author").filter(|a| a != "[deleted]"),
        author_name: None,
        author_followers: None,
        published_at: Some(at),
        lang: None,
        site: Some("www.reddit.com".into()),
        in_reply_to: None,
    };
    Some((hit, at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_post_becomes_a_hit() {
        let child = json!({ "kind": "t3", "data": {
            "name": "t3_1abcde", "id": "1abcde", "title": "Relais, vos avis ?",
            "selftext": "Je cherche un outil & des avis", "author": "fan42",
            "subreddit": "france", "permalink": "/r/france/comments/1abcde/relais_vos_avis/",
            "created_utc": 1772359200.0 } });
        let (hit, at) = hit_of(&child).expect("a hit");
        assert_eq!(at, 1_772_359_200_000);
        assert_eq!(hit.network_id, "t3_1abcde");
        assert_eq!(hit.title.as_deref(), Some("Relais, vos avis ?"));
        assert_eq!(hit.text, "Je cherche un outil & des avis");
        assert_eq!(
            hit.url.as_deref(),
            Some("https://www.reddit.com/r/france/comments/1abcde/relais_vos_avis/")
        );
        let mut gone = child.clone();
        gone["data"]["author"] = json!("[deleted]");
        assert_eq!(hit_of(&gone).expect("a hit").0.author_handle, None);
        assert!(hit_of(&json!({ "kind": "t1", "data": {} })).is_none());
    }

    #[test]
    fn subreddit_names_are_checked() {
        assert!(is_subreddit("france"));
        assert!(is_subreddit("AskReddit_2"));
        assert!(!is_subreddit("a/b"));
        assert!(!is_subreddit(""));
    }
}

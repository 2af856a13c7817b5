//! X's recent search for listening: `GET /2/tweets/search/recent` (the last seven days), with
//! the channel's token (renewed on a 401 as the connector does), the authors expanded for
//! their username, name and follower count.
//!
//! Newer than last time: the cursor is the newest post id seen, sent as `since_id`; X answers
//! newest first and pages backwards (`next_token`) down to it. X refuses a `since_id` older
//! than its seven days (400): the search then starts again from the newest page instead of
//! failing for good after a long pause.
//!
//! A 403 means the X app's access level has no search (X's free level has none).

use relais_outbound::HttpClient;
use reqwest::Method;
use serde_json::Value;

use super::api::Body;
use super::{X, is_id, is_username, str_field};
use crate::search::{
    MAX_PAGES, SearchHit, SearchPage, SearchQuery, id_cursor, push_new, raise_newest, text_field,
    time_ms,
};
use crate::{Credentials, NetworkError};

const PATH: &str = "/2/tweets/search/recent";
/// Posts a page (X allows 10 to 100).
const PAGE: &str = "100";
const TWEET_FIELDS: &str = "created_at,lang,author_id,referenced_tweets,note_tweet";
const USER_FIELDS: &str = "username,name,public_metrics";

pub(crate) async fn search(
    http: &HttpClient,
    creds: &mut Credentials,
    query: &SearchQuery<'_>,
) -> Result<SearchPage, NetworkError> {
    let x = X::new(http.clone());
    let mut since_id = id_cursor(query.cursor, "x", is_id);
    let mut newest: Option<String> = since_id.map(str::to_owned);
    let mut hits: Vec<SearchHit> = Vec::new();
    let mut next_token: Option<String> = None;
    let mut pages = 0;
    while pages < MAX_PAGES {
        let mut params = vec![
            ("query", query.terms),
            ("max_results", PAGE),
            ("tweet.fields", TWEET_FIELDS),
            ("expansions", "author_id"),
            ("user.fields", USER_FIELDS),
        ];
        if let Some(id) = since_id {
            params.push(("since_id", id));
        }
        if let Some(token) = &next_token {
            params.push(("next_token", token));
        }
        let body = match x
            .call(creds, Method::GET, PATH, &params, Body::None)
            .await?
        {
            Ok(reply) => reply.body,
            Err(f) if f.status == 400 && since_id.is_some() && f.detail.contains("since_id") => {
                tracing::warn!(detail = %f.detail, "X refused the search cursor; reading the newest page");
                since_id = None;
                next_token = None;
                continue;
            }
            Err(f) if f.status == 403 => {
                return Err(NetworkError::Unsupported(format!(
                    "X does not let this app search ({}); recent search needs an X API access \
                     level that includes it",
                    f.detail()
                )));
            }
            Err(f) => return Err(f.into_network_error()),
        };
        pages += 1;
        if !body.is_object() {
            return Err(NetworkError::Transient(format!(
                "X answered {PATH} with something that is not a search result"
            )));
        }
        let meta = body.get("meta").unwrap_or(&Value::Null);
        let posts = body.get("data").and_then(Value::as_array);
        let users = body
            .get("includes")
            .and_then(|i| i.get("users"))
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for post in posts.into_iter().flatten() {
            let Some(hit) = hit_of(post, users) else {
                continue;
            };
            raise_newest(&mut newest, &hit.network_id);
            push_new(&mut hits, hit);
        }
        if let Some(id) = text_field(meta, "newest_id").filter(|id| is_id(id)) {
            raise_newest(&mut newest, &id);
        }
        next_token = text_field(meta, "next_token");
        // A first search reads the newest page only.
        if since_id.is_none() || next_token.is_none() {
            break;
        }
    }
    Ok(SearchPage {
        hits,
        cursor: newest,
    })
}

/// A post of the answer, with its author from `users`; `None` without a valid id.
pub(crate) fn hit_of(post: &Value, users: &[Value]) -> Option<SearchHit> {
    let id = str_field(post, "id").filter(|id| is_id(id))?;
    let author = str_field(post, "author_id")
        .and_then(|a| users.iter().find(|u| str_field(u, "id") == Some(a)))
        .unwrap_or(&Value::Null);
    let username = str_field(author, "username").filter(|u| is_username(u));
    let text = post
        .get("note_tweet")
        .and_then(|n| str_field(n, "text"))
        .or_else(|| str_field(post, "text"))
        .unwrap_or_default();
    Some(SearchHit {
        network_id: id.to_owned(),
        url: Some(match username {
            Some(user) => format!("https://x.com/{user}/status/{id}"),
            None => format!("https://x.com/i/web/status/{id}"),
        }),
        title: None,
        text: super::text::decode_entities(text),
        author_handle: username.map(str::to_owned),
        author_name: text_field(author, "name"),
        author_followers: author
            .get("public_metrics")
            .and_then(|m| m.get("followers_count"))
            .and_then(Value::as_u64),
        published_at: str_field(post, "created_at").and_then(time_ms),
        // `und`: X could not tell; `zxx`: no language (a link or media alone); `qme`, `qht`…
        // (three letters from `q`): media, hashtags only.
        lang: text_field(post, "lang")
            .filter(|l| l != "und" && l != "zxx" && !(l.len() == 3 && l.starts_with('q'))),
        site: Some("x.com".into()),
        in_reply_to: post
            .get("referenced_tweets")
            .and_then(Value::as_array)
            .and_then(|refs| {
                refs.iter()
                    .find(|r| str_field(r, "type") == Some("replied_to"))
            })
            .and_then(|r| text_field(r, "id")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_post_and_its_author_become_a_hit() {
        let users = [json!({ "id": "7", "username": "fan", "name": "Fan",
                             "public_metrics": { "followers_count": 42 } })];
        let post = json!({ "id": "1900000000000000001", "author_id": "7", "lang": "fr",
                           "text": "court…", "note_tweet": { "text": "long &amp; complet" },
                           "created_at": "2026-03-01T10:00:00.000Z",
                           "referenced_tweets": [{ "type": "quoted", "id": "5" },
                                                 { "type": "replied_to", "id": "6" }] });
        let hit = hit_of(&post, &users).expect("a hit");
        assert_eq!(hit.text, "long & complet");
        assert_eq!(
            hit.url.as_deref(),
            Some("https://x.com/fan/status/1900000000000000001")
        );
        assert_eq!(hit.author_followers, Some(42));
        assert_eq!(hit.in_reply_to.as_deref(), Some("6"));
        assert_eq!(hit.lang.as_deref(), Some("fr"));

        let alone = json!({ "id": "12", "text": "x", "lang": "und", "author_id": "999" });
        let hit = hit_of(&alone, &users).expect("a hit");
        assert_eq!(hit.url.as_deref(), Some("https://x.com/i/web/status/12"));
        assert_eq!((hit.lang, hit.author_handle), (None, None));
        assert!(hit_of(&json!({ "id": "abc" }), &users).is_none());
    }
}

//! Mastodon for listening: the public statuses the channel's instance knows that mention the
//! brand. Mastodon's full-text search covers only posts their authors opted in to, so the
//! timelines are read instead:
//!
//! - terms that are all hashtags (`#relais #relaisapp`) read the hashtag timeline,
//!   `GET /api/v1/timelines/tag/:first` with the others as `any[]`;
//! - other terms read the public timeline, `GET /api/v1/timelines/public` (the federated one,
//!   or with `local=true` the instance's own), and keep the statuses whose text holds every
//!   term, whatever the case (`"two words"` in quotes is one term).
//!
//! Both take `local=true` when the query asks for the instance's own posts only. Boosts are
//! left out (the boosted status is what counts, and timelines carry it by itself).
//!
//! Newer than last time: the cursor is the newest status id read (matched or not), sent as
//! `min_id`, which Mastodon answers with the statuses just after it; pages follow one another
//! forwards in time, so what is left after [`MAX_PAGES`] is read on the next call.

use relais_outbound::HttpClient;
use reqwest::Method;
use serde_json::Value;

use super::api::Payload;
use super::{Mastodon, is_id, str_field, text::plain_text};
use crate::oauth::encode;
use crate::search::{
    MAX_PAGES, SearchHit, SearchPage, SearchQuery, host_of, id_cursor, push_new, raise_newest,
    text_field, time_ms,
};
use crate::{Credentials, NetworkError};

/// Statuses a page: Mastodon's most.
const PAGE: usize = 40;

/// Which timeline, and what must be in a status's text.
#[derive(Debug, PartialEq, Eq)]
enum Timeline {
    /// Hashtags, without `#`, lower-case.
    Tags(Vec<String>),
    /// Terms that must all be in the text, lower-case.
    Public(Vec<String>),
}

pub(crate) async fn search(
    http: &HttpClient,
    creds: &mut Credentials,
    query: &SearchQuery<'_>,
) -> Result<SearchPage, NetworkError> {
    let timeline = timeline_of(query.terms)?;
    let instance = Mastodon::instance(creds)?;
    let home = host_of(&instance);
    let mastodon = Mastodon::new(http.clone());
    let start = id_cursor(query.cursor, "mastodon", is_id);
    let (path, mut params) = match &timeline {
        Timeline::Tags(tags) => (
            format!("/api/v1/timelines/tag/{}", encode(&tags[0])),
            tags[1..].iter().map(|t| ("any[]", t.clone())).collect(),
        ),
        Timeline::Public(_) => ("/api/v1/timelines/public".to_owned(), Vec::new()),
    };
    params.push(("limit", PAGE.to_string()));
    if query.local_only {
        params.push(("local", "true".into()));
    }
    let mut newest: Option<String> = start.map(str::to_owned);
    let mut hits = Vec::new();
    for _ in 0..MAX_PAGES {
        let mut page_params: Vec<(&str, &str)> =
            params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        if let Some(min_id) = &newest {
            page_params.push(("min_id", min_id));
        }
        let reply = match mastodon
            .call(creds, Method::GET, &path, &page_params, Payload::None, None)
            .await?
        {
            Ok(reply) => reply.body,
            Err(f) => return Err(f.into_network_error()),
        };
        let statuses = reply.as_array().ok_or_else(|| {
            NetworkError::Transient(format!(
                "the instance answered {path} with something that is not a list of statuses"
            ))
        })?;
        for status in statuses {
            let Some(id) = str_field(status, "id").filter(|id| is_id(id)) else {
                continue;
            };
            raise_newest(&mut newest, id);
            if !status.get("reblog").is_none_or(Value::is_null) {
                continue;
            }
            let hit = hit_of(status, home.as_deref());
            let wanted = match &timeline {
                Timeline::Public(terms) => has_all(&hit.text, terms),
                Timeline::Tags(_) => true,
            };
            if wanted {
                push_new(&mut hits, hit);
            }
        }
        // A first search reads the newest page only; a short page is the last one.
        if start.is_none() || statuses.len() < PAGE {
            break;
        }
    }
    // Newest first, as the other networks give them.
    hits.sort_by(|a, b| {
        let key = |h: &SearchHit| (h.network_id.len(), h.network_id.clone());
        key(b).cmp(&key(a))
    });
    Ok(SearchPage {
        hits,
        cursor: newest,
    })
}

/// The timeline the terms call for.
fn timeline_of(terms: &str) -> Result<Timeline, NetworkError> {
    let words = terms_of(terms);
    if words.is_empty() {
        return Err(NetworkError::Rejected(
            "there is nothing to search for".into(),
        ));
    }
    let tags: Vec<String> = words
        .iter()
        .filter_map(|w| w.strip_prefix('#'))
        .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .map(str::to_owned)
        .collect();
    if tags.len() == words.len() {
        Ok(Timeline::Tags(tags))
    } else {
        Ok(Timeline::Public(words))
    }
}

/// The terms, lower-case: words, or phrases in double quotes.
fn terms_of(terms: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, part) in terms.split('"').enumerate() {
        if i % 2 == 1 {
            let phrase = part.split_whitespace().collect::<Vec<_>>().join(" ");
            if !phrase.is_empty() {
                out.push(phrase.to_lowercase());
            }
        } else {
            out.extend(part.split_whitespace().map(str::to_lowercase));
        }
    }
    out
}

/// Whether `text` holds every term, whatever the case and the spacing.
fn has_all(text: &str, terms: &[String]) -> bool {
    let text = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    terms.iter().all(|t| text.contains(t.as_str()))
}

/// A status as a hit; `home` is the channel's instance host, for local authors' handles.
pub(crate) fn hit_of(status: &Value, home: Option<&str>) -> SearchHit {
    let account = status.get("account").unwrap_or(&Value::Null);
    let content = plain_text(str_field(status, "content").unwrap_or_default());
    let text = match text_field(status, "spoiler_text") {
        Some(warning) => format!("{warning}\n\n{content}"),
        None => content,
    };
    // Only a web address is a link to give people: an instance could send anything.
    let url = text_field(status, "url")
        .or_else(|| text_field(status, "uri"))
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    let author_handle = text_field(account, "acct").map(|acct| match (acct.contains('@'), home) {
        (false, Some(home)) => format!("{acct}@{home}"),
        _ => acct,
    });
    SearchHit {
        network_id: str_field(status, "id").unwrap_or_default().to_owned(),
        site: url
            .as_deref()
            .and_then(host_of)
            .or_else(|| home.map(str::to_owned)),
        url,
        title: None,
        text,
        author_handle,
        author_name: text_field(account, "display_name"),
        author_followers: account.get("followers_count").and_then(Value::as_u64),
        published_at: str_field(status, "created_at").and_then(time_ms),
        lang: text_field(status, "language"),
        in_reply_to: text_field(status, "in_reply_to_id"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hashtags_alone_read_the_tag_timeline() {
        assert_eq!(
            timeline_of("#Relais #relais_app").expect("ok"),
            Timeline::Tags(vec!["relais".into(), "relais_app".into()])
        );
        assert_eq!(
            timeline_of("#relais soldes").expect("ok"),
            Timeline::Public(vec!["#relais".into(), "soldes".into()])
        );
        assert_eq!(
            timeline_of("\"Relais  App\" Été").expect("ok"),
            Timeline::Public(vec!["relais app".into(), "été".into()])
        );
        // `#` alone or a tag with punctuation is a word, not a hashtag.
        assert_eq!(
            timeline_of("#").expect("ok"),
            Timeline::Public(vec!["#".into()])
        );
        assert!(timeline_of(" \"\" ").is_err());
    }

    #[test]
    fn every_term_must_be_in_the_text() {
        let terms = terms_of("relais \"très bien\"");
        assert!(has_all("Relais marche TRÈS\nbien", &terms));
        assert!(!has_all("Relais marche bien", &terms));
    }

    #[test]
    fn a_status_becomes_a_hit() {
        let status = json!({
            "id": "1100", "uri": "https://remote.example/users/fan/statuses/9",
            "url": "https://remote.example/@fan/9", "created_at": "2026-03-01T10:00:00.000Z",
            "language": "fr", "in_reply_to_id": null, "spoiler_text": "avis",
            "content": "<p>J&apos;aime <a href=\"x\">#<span>relais</span></a></p>",
            "account": { "acct": "fan@remote.example", "display_name": "Fan",
                         "followers_count": 12 }
        });
        let hit = hit_of(&status, Some("home.example"));
        assert_eq!(hit.text, "avis\n\nJ'aime #relais");
        assert_eq!(hit.site.as_deref(), Some("remote.example"));
        assert_eq!(hit.author_handle.as_deref(), Some("fan@remote.example"));
        assert_eq!(hit.author_followers, Some(12));
        assert_eq!(hit.in_reply_to, None);
        let mut local = status.clone();
        local["account"]["acct"] = json!("brand");
        assert_eq!(
            hit_of(&local, Some("home.example"))
                .author_handle
                .as_deref(),
            Some("brand@home.example")
        );
        // A link that is not a web address is not kept.
        let mut odd = status.clone();
        odd["url"] = json!("javascript:alert(1)");
        odd["uri"] = json!("tag:remote.example,2026:9");
        assert_eq!(hit_of(&odd, Some("home.example")).url, None);
    }
}

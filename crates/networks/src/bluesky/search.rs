//! Bluesky's post search for listening: `app.bsky.feed.searchPosts` with `sort=latest`.
//!
//! Two ways in: through the channel's PDS with its session (the PDS hands `app.bsky.*` calls to
//! the AppView it uses), or, when the channel's settings name one in `appview` (such as
//! `https://public.api.bsky.app`), without an account against that public AppView. The
//! authors' follower counts come from `app.bsky.actor.getProfiles` (25 authors a call), as a
//! bonus: a failure there leaves them unknown rather than failing the search.
//!
//! Newer than last time: the cursor is a [`Watermark`] on the posts' `sortAt` (the earlier of
//! `createdAt` and `indexedAt`, what `since` and `sort=latest` go by), sent as `since` less the
//! overlap window; posts already handed out there are left out.

use relais_outbound::HttpClient;
use reqwest::Method;
use serde_json::Value;

use super::xrpc::{Outcome, Xrpc, XrpcFailure};
use super::{Bluesky, rkey_of};
use crate::search::{
    MAX_PAGES, SearchHit, SearchPage, SearchQuery, WatermarkSearch, rfc3339_ms, text_field, time_ms,
};
use crate::{Credentials, NetworkError};

/// Posts a page (searchPosts allows 1 to 100).
const PAGE: &str = "100";
/// Authors a `getProfiles` call takes at most.
const PROFILES_PER_CALL: usize = 25;
const SEARCH: &str = "app.bsky.feed.searchPosts";

/// Where the search goes.
enum Via {
    /// A public AppView, without an account.
    AppView(String),
    /// The channel's PDS, with its session.
    Session(Bluesky),
}

impl Via {
    fn of(http: &HttpClient, creds: &Credentials) -> Result<Self, NetworkError> {
        match creds
            .setting("appview")
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                Ok(Via::AppView(url.trim_end_matches('/').to_owned()))
            }
            Some(url) => Err(NetworkError::Misconfigured(format!(
                "the channel's `appview` (`{url}`) is not an http(s) address, such as \
                 https://public.api.bsky.app"
            ))),
            None => {
                Bluesky::service(creds)?;
                Ok(Via::Session(Bluesky::new(http.clone())))
            }
        }
    }

    /// One query method; a refusal is mapped for what it means to a search.
    async fn get(
        &self,
        http: &HttpClient,
        creds: &mut Credentials,
        method: &str,
        params: &[(&str, &str)],
    ) -> Result<Value, NetworkError> {
        match self {
            Via::AppView(service) => {
                let xrpc = Xrpc { http, service };
                match xrpc
                    .call(Method::GET, method, None, params, None, None)
                    .await?
                {
                    Outcome::Ok(v) => Ok(v),
                    Outcome::Failed(f) if matches!(f.status, 401 | 403) => {
                        Err(NetworkError::Misconfigured(format!(
                            "the AppView {service} does not answer {method} without an account \
                             ({}): remove the channel's `appview` setting to search through its \
                             session",
                            detail(&f)
                        )))
                    }
                    Outcome::Failed(f) => Err(f.into_network_error()),
                }
            }
            Via::Session(bluesky) => {
                match bluesky
                    .authed(creds, Method::GET, method, params, None, None)
                    .await?
                {
                    Ok(v) => Ok(v),
                    Err(f) if f.status == 501 || f.error == "MethodNotImplemented" => {
                        Err(NetworkError::Unsupported(format!(
                            "the channel's PDS has no AppView to answer {method}; name a public \
                             one in the channel's `appview` setting"
                        )))
                    }
                    Err(f) if f.is_expired_token() || f.status == 403 => {
                        Err(NetworkError::Unauthorized(format!(
                            "the PDS refused the channel's session ({}): connect the channel \
                             again with a new app password",
                            detail(&f)
                        )))
                    }
                    Err(f) => Err(f.into_network_error()),
                }
            }
        }
    }
}

fn detail(f: &XrpcFailure) -> String {
    match (f.error.is_empty(), f.message.is_empty()) {
        (true, true) => format!("HTTP {}", f.status),
        (false, true) => format!("{} (HTTP {})", f.error, f.status),
        (true, false) => f.message.clone(),
        (false, false) => format!("{}: {}", f.error, f.message),
    }
}

/// A post of the search's answer, as listening needs it.
struct Post {
    uri: String,
    did: String,
    hit: SearchHit,
    /// `sortAt`, Unix milliseconds.
    sort_at: i64,
}

pub(crate) async fn search(
    http: &HttpClient,
    creds: &mut Credentials,
    query: &SearchQuery<'_>,
) -> Result<SearchPage, NetworkError> {
    let via = Via::of(http, creds)?;
    let mut found = WatermarkSearch::after(query.cursor, "bluesky");
    let since = found.mark().map(|m| rfc3339_ms(m.since_ms()));
    let web = creds
        .setting("web")
        .map(str::trim)
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
        .unwrap_or("https://bsky.app")
        .trim_end_matches('/')
        .to_owned();
    let mut page_token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut params = vec![("q", query.terms), ("sort", "latest"), ("limit", PAGE)];
        if let Some(since) = &since {
            params.push(("since", since));
        }
        if let Some(token) = &page_token {
            params.push(("cursor", token));
        }
        let body = via.get(http, creds, SEARCH, &params).await?;
        let list = body.get("posts").and_then(Value::as_array).ok_or_else(|| {
            NetworkError::Transient(format!("{SEARCH} answered without a list of posts"))
        })?;
        for post in list.iter().filter_map(|p| post_of(p, &web)) {
            found.offer(post.uri.clone(), post.sort_at, post);
        }
        page_token = text_field(&body, "cursor");
        if !found.wants_more() || list.is_empty() || page_token.is_none() {
            break;
        }
    }
    add_followers(&via, http, creds, &mut found).await;
    Ok(found.into_page(|post| post.hit))
}

/// A `postView` as a hit (what the fuzz target reads); `None` as for [`post_of`].
pub(crate) fn hit_of(view: &Value, web: &str) -> Option<SearchHit> {
    post_of(view, web).map(|post| post.hit)
}

/// A `postView` as a [`Post`]; `None` for one without a URI or a time (not a post).
fn post_of(view: &Value, web: &str) -> Option<Post> {
    let uri = text_field(view, "uri")?;
    let record = view.get("record").unwrap_or(&Value::Null);
    let author = view.get("author").unwrap_or(&Value::Null);
    let did = text_field(author, "did").unwrap_or_default();
    let handle = text_field(author, "handle").filter(|h| h != "handle.invalid");
    let created = text_field(record, "createdAt").and_then(|t| time_ms(&t));
    let indexed = text_field(view, "indexedAt").and_then(|t| time_ms(&t));
    let sort_at = match (created, indexed) {
        (Some(c), Some(i)) => c.min(i),
        (one, other) => one.or(other)?,
    };
    let profile = handle.clone().unwrap_or_else(|| did.clone());
    let url = rkey_of(&uri)
        .filter(|_| !profile.is_empty())
        .map(|rkey| format!("{web}/profile/{profile}/post/{rkey}"));
    let hit = SearchHit {
        network_id: uri.clone(),
        url,
        title: None,
        text: record
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        author_handle: handle,
        author_name: text_field(author, "displayName"),
        author_followers: None,
        published_at: created.or(indexed),
        lang: record
            .get("langs")
            .and_then(Value::as_array)
            .and_then(|l| l.first())
            .and_then(Value::as_str)
            .map(str::to_owned),
        site: crate::search::host_of(web),
        in_reply_to: record
            .get("reply")
            .and_then(|r| r.get("parent"))
            .and_then(|p| text_field(p, "uri")),
    };
    Some(Post {
        uri,
        did,
        hit,
        sort_at,
    })
}

/// Fills in the authors' follower counts; what cannot be learnt stays unknown.
async fn add_followers(
    via: &Via,
    http: &HttpClient,
    creds: &mut Credentials,
    found: &mut WatermarkSearch<Post>,
) {
    let mut dids: Vec<String> = found
        .items()
        .map(|p| p.did.clone())
        .filter(|d| d.starts_with("did:"))
        .collect();
    dids.sort();
    dids.dedup();
    for chunk in dids.chunks(PROFILES_PER_CALL) {
        let params: Vec<(&str, &str)> = chunk.iter().map(|d| ("actors", d.as_str())).collect();
        let body = match via
            .get(http, creds, "app.bsky.actor.getProfiles", &params)
            .await
        {
            Ok(body) => body,
            Err(e) => {
                tracing::debug!(%e, "Bluesky follower counts left unknown");
                return;
            }
        };
        let profiles = body.get("profiles").and_then(Value::as_array);
        for profile in profiles.into_iter().flatten() {
            let (Some(did), Some(followers)) = (
                text_field(profile, "did"),
                profile.get("followersCount").and_then(Value::as_u64),
            ) else {
                continue;
            };
            for post in found.items_mut().filter(|p| p.did == did) {
                post.hit.author_followers = Some(followers);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_post_view_becomes_a_hit() {
        let view = json!({
            "uri": "at://did:plc:fan/app.bsky.feed.post/3lbkkx2abc",
            "cid": "bafy",
            "author": { "did": "did:plc:fan", "handle": "fan.bsky.social", "displayName": "Fan" },
            "record": { "$type": "app.bsky.feed.post", "text": "J'adore Relais",
                        "createdAt": "2026-03-01T10:00:05.000Z", "langs": ["fr"],
                        "reply": { "root": { "uri": "at://r", "cid": "c" },
                                   "parent": { "uri": "at://p", "cid": "c" } } },
            "indexedAt": "2026-03-01T10:00:06.000Z"
        });
        let post = post_of(&view, "https://bsky.app").expect("a post");
        assert_eq!(post.sort_at, time_ms("2026-03-01T10:00:05Z").expect("t"));
        assert_eq!(
            post.hit.url.as_deref(),
            Some("https://bsky.app/profile/fan.bsky.social/post/3lbkkx2abc")
        );
        assert_eq!(post.hit.lang.as_deref(), Some("fr"));
        assert_eq!(post.hit.in_reply_to.as_deref(), Some("at://p"));
        assert_eq!(post.hit.site.as_deref(), Some("bsky.app"));

        // A post dated in the future sorts at its indexing time; an invalid handle gives way
        // to the DID in the address.
        let mut odd = view.clone();
        odd["record"]["createdAt"] = json!("2030-01-01T00:00:00Z");
        odd["author"]["handle"] = json!("handle.invalid");
        let post = post_of(&odd, "https://bsky.app").expect("a post");
        assert_eq!(post.sort_at, time_ms("2026-03-01T10:00:06Z").expect("t"));
        assert_eq!(post.hit.author_handle, None);
        assert!(
            post.hit
                .url
                .expect("url")
                .contains("/profile/did:plc:fan/post/")
        );

        assert!(post_of(&json!({ "uri": "at://x" }), "https://bsky.app").is_none());
    }
}

//! Reading: the page's newest posts (`GET /rest/posts?author=…&q=author`), the comments on
//! each (`GET /rest/socialActions/{post}/comments`, paged by `start` and `count`), and the
//! comments nested under a comment (`GET /rest/socialActions/{comment}/comments`).
//!
//! LinkedIn takes no "since" and does not document the order of comments: every listed page
//! is read (up to [`MAX_COMMENT_PAGES`] a post), and the cursor is a [`Watermark`](crate::search::Watermark) on
//! `created.time` (the newest time seen, and the ids seen in the quarter of an hour before
//! it, so that nothing at the boundary comes twice).

use reqwest::Method;
use serde_json::Value;

use super::super::api::Body;
use super::super::shapes::{elements, str_field};
use super::super::{Dest, LinkedIn, Settings, urn};
use super::comment::{Under, created_ms, may_have_replies, message_of, urn_of};
use crate::inbox::{Found, InboxPage, IncomingMessage};
use crate::oauth::encode;
use crate::{Credentials, NetworkError};

/// The page's posts whose comments are read: the most recently modified.
const POSTS: usize = 20;
/// Comments a page (LinkedIn's most), and pages read under one post or comment at most.
const COMMENTS_PAGE: usize = 100;
const MAX_COMMENT_PAGES: usize = 5;
/// Comments whose nested comments one read lists, at most (the newest first): each costs a
/// call.
const MAX_NESTED_LISTS: usize = 20;

pub(crate) async fn read(
    li: &LinkedIn,
    creds: &mut Credentials,
    cursor: Option<&str>,
) -> Result<InboxPage, NetworkError> {
    let s = Settings::of(creds)?;
    let org = s.author();
    let mut found = Found::after(cursor, "linkedin");
    let mut reading = Reading { li, s: &s, creds };
    // (created, comment URN, post URN) of the top-level comments that may have nested ones.
    let mut nested: Vec<(i64, String, String)> = Vec::new();
    for post in reading.posts(&org).await? {
        let Some(comments) = reading.comments(&post).await? else {
            continue;
        };
        let under = Under {
            org: &org,
            post: &post,
            comment: None,
        };
        for c in &comments {
            found.offer(message_of(c, under));
            // The organisation's own comments too: fans answer them.
            if let (true, Some(at), Some(u)) =
                (may_have_replies(c), created_ms(c), urn_of(c, &post))
            {
                nested.push((at, u, post.clone()));
            }
        }
    }
    nested.sort_by_key(|n| std::cmp::Reverse(n.0));
    nested.truncate(MAX_NESTED_LISTS);
    for (_, comment, post) in &nested {
        let Some(replies) = reading.comments(comment).await? else {
            continue;
        };
        let under = Under {
            org: &org,
            post,
            comment: Some(comment),
        };
        for c in &replies {
            found.offer(message_of(c, under));
        }
    }
    Ok(found.into_page())
}

/// The calls of one read.
struct Reading<'a> {
    li: &'a LinkedIn,
    s: &'a Settings,
    creds: &'a mut Credentials,
}

impl Reading<'_> {
    /// The URNs of the page's most recently modified posts.
    async fn posts(&mut self, org: &str) -> Result<Vec<String>, NetworkError> {
        let path = format!(
            "/rest/posts?author={}&q=author&count={POSTS}&sortBy=LAST_MODIFIED",
            encode(org)
        );
        let body = self
            .li
            .expect(self.creds, self.s, Method::GET, &path, "the page's posts")
            .await?;
        if body.get("elements").and_then(Value::as_array).is_none() {
            return Err(NetworkError::Transient(
                "LinkedIn answered the page's posts without `elements`".into(),
            ));
        }
        Ok(elements(&body)
            .iter()
            .filter(|p| str_field(p, "lifecycleState").is_none_or(|s| s == "PUBLISHED"))
            .filter_map(|p| str_field(p, "id").filter(|id| urn::is_post(id)))
            .map(str::to_owned)
            .collect())
    }

    /// The comments on `urn` (a post, or a comment for the nested ones), every page up to
    /// [`MAX_COMMENT_PAGES`]; `None` when it was deleted since it was listed.
    async fn comments(&mut self, urn: &str) -> Result<Option<Vec<Value>>, NetworkError> {
        let mut all = Vec::new();
        for page in 0..MAX_COMMENT_PAGES {
            let path = format!(
                "/rest/socialActions/{}/comments?start={}&count={COMMENTS_PAGE}",
                encode(urn),
                page * COMMENTS_PAGE
            );
            let body = match self
                .li
                .call(
                    self.creds,
                    self.s,
                    Method::GET,
                    Dest::Api(&path),
                    &Body::None,
                    "the comments",
                )
                .await?
            {
                Ok(reply) => reply.body,
                Err(f) if matches!(f.status, 404 | 410) => {
                    tracing::debug!(%urn, "a LinkedIn post or comment was deleted while its comments were read");
                    return Ok(None);
                }
                Err(f) => return Err(f.into_network_error()),
            };
            let Some(listed) = body.get("elements").and_then(Value::as_array) else {
                return Err(NetworkError::Transient(
                    "LinkedIn answered the comments without `elements`".into(),
                ));
            };
            let full = listed.len() >= COMMENTS_PAGE;
            all.extend(listed.iter().cloned());
            let total = body
                .get("paging")
                .and_then(|p| p.get("total"))
                .and_then(Value::as_u64);
            let more = match total {
                Some(total) => (all.len() as u64) < total && !listed.is_empty(),
                None => full,
            };
            if !more {
                break;
            }
        }
        Ok(Some(all))
    }
}

/// For the fuzz target: the messages of a page of comments on the post `urn:li:share:1` of
/// the organisation `1` (nested ones by their `parentComment`).
pub(crate) fn comments_page(body: &Value) -> Vec<IncomingMessage> {
    let under = Under {
        org: "urn:li:organization:1",
        post: "urn:li:share:1",
        comment: None,
    };
    elements(body)
        .iter()
        .filter_map(|c| message_of(c, under))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_page_of_comments_and_what_a_cursor_keeps_out() {
        let body = json!({ "elements": [
            { "actor": "urn:li:person:a", "id": "1", "object": "urn:li:activity:9",
              "created": { "time": 2_000 }, "message": { "text": "deux" } },
            { "actor": "urn:li:person:b", "id": "2", "object": "urn:li:activity:9",
              "parentComment": "urn:li:comment:(urn:li:activity:9,1)",
              "created": { "time": 1_000 }, "message": { "text": "un" } },
            { "actor": "urn:li:organization:1", "id": "3", "object": "urn:li:activity:9",
              "created": { "time": 3_000 } }
        ], "paging": { "start": 0, "count": 100, "total": 3 } });
        let messages = comments_page(&body);
        assert_eq!(messages.len(), 2, "the organisation's own is left out");
        let mut found = Found::after(None, "linkedin");
        for m in messages {
            found.offer(Some(m.clone()));
            found.offer(Some(m));
        }
        let page = found.into_page();
        let texts: Vec<_> = page.messages.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(texts, ["un", "deux"], "once each, oldest first");
        let mut again = Found::after(page.cursor.as_deref(), "linkedin");
        for m in comments_page(&body) {
            again.offer(Some(m));
        }
        assert!(again.into_page().messages.is_empty());
    }
}

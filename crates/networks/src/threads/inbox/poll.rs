//! Reading: the brand's newest posts (`GET /{user-id}/threads`), the conversation under each
//! (`GET /{media-id}/conversation`, newest first), and the posts that mention the brand
//! (`GET /{user-id}/mentions`).
//!
//! Threads takes no "since" on these lists: the cursor is a [`Watermark`](crate::search::Watermark) on `timestamp` (the
//! newest time seen, and the ids seen in the quarter of an hour before it, so that nothing
//! at the boundary comes twice). A first read takes the newest page of each list; a later one
//! pages back through each until a page reaches behind the mark, up to [`MAX_PAGES`] pages.

use reqwest::Method;
use serde_json::Value;

use super::super::lookup::timestamp_ms;
use super::super::{Settings, Threads, is_id, is_username, str_field};
use super::message::{Brand, Links, mention_of, permalink, reply_of};
use crate::inbox::{Found, InboxPage, IncomingMessage};
use crate::search::MAX_PAGES;
use crate::{Credentials, NetworkError};

/// The brand's posts whose conversations are read: the newest ones (Meta's default page).
const POSTS: &str = "25";
const POST_FIELDS: &str = "id,timestamp,permalink,media_type,has_replies";
const REPLY_FIELDS: &str = "id,text,username,timestamp,permalink,replied_to,root_post,\
                            is_reply_owned_by_me,hide_status";
const MENTION_FIELDS: &str = "id,text,username,timestamp,permalink,replied_to,root_post";

pub(crate) async fn read(
    threads: &Threads,
    creds: &mut Credentials,
    cursor: Option<&str>,
) -> Result<InboxPage, NetworkError> {
    let settings = threads.prepare(creds).await?;
    let user = threads.user_id(creds, &settings).await?;
    let username = creds
        .secret("username")
        .map(str::trim)
        .filter(|u| is_username(u))
        .map(str::to_owned);
    let brand = Brand {
        username: username.as_deref(),
    };
    let mut found = Found::after(cursor, "threads");
    let reading = Reading {
        threads,
        settings: &settings,
        creds,
    };
    for post in reading.posts(&user).await? {
        reading.conversation(&post, brand, &mut found).await?;
    }
    reading.mentions(&user, brand, &mut found).await?;
    Ok(found.into_page())
}

/// A brand post whose conversation is read.
struct Listed {
    id: String,
    url: Option<String>,
}

/// The calls of one read.
struct Reading<'a> {
    threads: &'a Threads,
    settings: &'a Settings,
    creds: &'a Credentials,
}

/// How a list says a next page exists.
#[derive(Clone, Copy)]
enum Paging {
    /// A `paging.next` address is given while there is more (Graph's usual way).
    NextLink,
    /// Only `paging.cursors.after` (Meta: the mentions edge gives no `next`).
    CursorsOnly,
}

impl Reading<'_> {
    /// The brand's newest posts, but reposts of others' posts (`REPOST_FACADE`) and posts
    /// Threads says have no replies.
    async fn posts(&self, user: &str) -> Result<Vec<Listed>, NetworkError> {
        let body = self
            .threads
            .expect(
                self.creds,
                self.settings,
                Method::GET,
                &format!("/{user}/threads"),
                &[("fields", POST_FIELDS), ("limit", POSTS)],
            )
            .await?;
        Ok(data(&body, "the account's posts")?
            .iter()
            .filter(|p| str_field(p, "media_type") != Some("REPOST_FACADE"))
            .filter(|p| p.get("has_replies").and_then(Value::as_bool) != Some(false))
            .filter_map(|p| {
                let id = str_field(p, "id").filter(|id| is_id(id))?;
                Some(Listed {
                    id: id.to_owned(),
                    url: permalink(p),
                })
            })
            .collect())
    }

    /// The replies under `post`, at any depth. A post deleted since it was listed has none.
    async fn conversation(
        &self,
        post: &Listed,
        brand: Brand<'_>,
        found: &mut Found,
    ) -> Result<(), NetworkError> {
        let mut links = Links::new();
        if let Some(url) = &post.url {
            links.insert(post.id.clone(), url.clone());
        }
        let path = format!("/{}/conversation", post.id);
        let query = [("fields", REPLY_FIELDS), ("reverse", "true")];
        let read = self
            .list(&path, &query, Paging::NextLink, found, |item| {
                // Newest first: a reply's parent comes later in the list, so addresses are
                // kept as met and a parent's is filled below when the page had it.
                if let (Some(id), Some(url)) = (str_field(item, "id"), permalink(item)) {
                    links.insert(id.to_owned(), url);
                }
                reply_of(item, brand, &post.id, &links)
            })
            .await?;
        match read {
            Ok(()) => {}
            Err(f) if f.is_gone() => {
                tracing::debug!(post = %post.id, "a Threads post was deleted while its replies were read");
            }
            Err(f) => return Err(f.into_network_error()),
        }
        for m in found.messages.iter_mut() {
            for r in [m.parent.as_mut(), m.root.as_mut()].into_iter().flatten() {
                if r.url.is_none() {
                    r.url = links.get(&r.id).cloned();
                }
            }
        }
        Ok(())
    }

    /// The posts that mention the brand. Without the `threads_manage_mentions` permission
    /// Threads refuses them: the replies are still read, and the refusal is logged.
    async fn mentions(
        &self,
        user: &str,
        brand: Brand<'_>,
        found: &mut Found,
    ) -> Result<(), NetworkError> {
        let path = format!("/{user}/mentions");
        let query = [("fields", MENTION_FIELDS)];
        match self
            .list(&path, &query, Paging::CursorsOnly, found, |item| {
                mention_of(item, brand)
            })
            .await?
        {
            Ok(()) => Ok(()),
            Err(f) if f.is_permission() => {
                tracing::warn!(
                    detail = %f.detail(),
                    "Threads refused the mentions of a channel (the threads_manage_mentions \
                     permission is missing): only replies are read"
                );
                Ok(())
            }
            Err(f) => Err(f.into_network_error()),
        }
    }

    /// Reads a list newest first, page after page while pages stay newer than the mark,
    /// offering each item `take` makes a message of. `Ok(Err(_))` is Threads' refusal, for
    /// the caller to judge.
    async fn list(
        &self,
        path: &str,
        query: &[(&str, &str)],
        paging: Paging,
        found: &mut Found,
        mut take: impl FnMut(&Value) -> Option<IncomingMessage>,
    ) -> Result<Result<(), super::super::api::Failure>, NetworkError> {
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut q = query.to_vec();
            if let Some(a) = &after {
                q.push(("after", a.as_str()));
            }
            let page = match self
                .threads
                .call(self.creds, self.settings, Method::GET, path, &q)
                .await?
            {
                Ok(reply) => reply.body,
                Err(f) => return Ok(Err(f)),
            };
            let items = data(&page, path)?;
            let mut reached_old = false;
            for item in items {
                if timestamp_ms(item).is_some_and(|t| found.is_behind(t)) {
                    reached_old = true;
                } else if let Some(m) = take(item) {
                    found.offer(m);
                }
            }
            // A first read takes the newest page only.
            if found.mark.is_none() || reached_old || items.is_empty() {
                break;
            }
            match next_cursor(&page, paging) {
                Some(c) => after = Some(c),
                None => break,
            }
        }
        Ok(Ok(()))
    }
}

/// The `data` of a Graph list; an answer without one is garbled.
fn data<'a>(page: &'a Value, what: &str) -> Result<&'a [Value], NetworkError> {
    page.get("data")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .ok_or_else(|| {
            NetworkError::Transient(format!("Threads answered {what} without a `data` list"))
        })
}

/// The `after` cursor of the next page, when the page says there is one.
fn next_cursor(page: &Value, paging: Paging) -> Option<String> {
    let p = page.get("paging")?;
    if matches!(paging, Paging::NextLink) && p.get("next").is_none() {
        return None;
    }
    p.get("cursors")
        .and_then(|c| str_field(c, "after"))
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
}

/// For the fuzz target: the messages of a conversation page under the brand post `100`.
pub(crate) fn conversation_page(body: &Value, brand: Brand<'_>) -> Vec<IncomingMessage> {
    let items = body
        .get("data")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let links: Links = items
        .iter()
        .filter_map(|item| Some((str_field(item, "id")?.to_owned(), permalink(item)?)))
        .collect();
    items
        .iter()
        .filter_map(|item| reply_of(item, brand, "100", &links))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn next_pages_as_each_list_says() {
        let graph = json!({ "data": [{}], "paging": { "cursors": { "before": "b", "after": "a" },
                                                     "next": "https://graph.threads.net/…" } });
        assert_eq!(next_cursor(&graph, Paging::NextLink).as_deref(), Some("a"));
        let last =
            json!({ "data": [{}], "paging": { "cursors": { "before": "b", "after": "a" } } });
        assert_eq!(next_cursor(&last, Paging::NextLink), None);
        assert_eq!(
            next_cursor(&last, Paging::CursorsOnly).as_deref(),
            Some("a")
        );
        assert_eq!(
            next_cursor(&json!({ "data": [] }), Paging::CursorsOnly),
            None
        );
        assert!(matches!(
            data(&json!({ "error": "x" }), "the list"),
            Err(NetworkError::Transient(ref m)) if m.contains("`data`")
        ));
    }

    fn message(id: &str, at: i64) -> IncomingMessage {
        IncomingMessage {
            network_id: id.into(),
            version: None,
            url: None,
            kind: crate::inbox::MessageKind::Reply,
            author: Default::default(),
            text: String::new(),
            lang: None,
            created_at: at,
            parent: None,
            root: None,
            subject: None,
            direct_thread: None,
        }
    }

    #[test]
    fn each_message_once_oldest_first_and_the_mark_moves() {
        let mut f = Found::after(None, "threads");
        f.offer(message("2", 2_000));
        f.offer(message("1", 1_000));
        f.offer(message("2", 2_000));
        let page = f.into_page();
        let ids: Vec<_> = page
            .messages
            .iter()
            .map(|m| m.network_id.as_str())
            .collect();
        assert_eq!(ids, ["1", "2"]);
        let mut again = Found::after(page.cursor.as_deref(), "threads");
        again.offer(message("2", 2_000));
        again.offer(message("3", 3_000));
        assert!(!again.is_behind(2_000));
        let page = again.into_page();
        let ids: Vec<_> = page
            .messages
            .iter()
            .map(|m| m.network_id.as_str())
            .collect();
        assert_eq!(ids, ["3"], "what was handed out stays out");
        // An unreadable cursor is a first read.
        assert!(Found::after(Some("garbage"), "threads").mark.is_none());
    }
}

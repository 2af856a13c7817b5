//! Reading: the comment threads of the channel and its videos, newest first
//! (`GET /youtube/v3/commentThreads?part=snippet,replies&allThreadsRelatedToChannelId=…
//! &order=time&maxResults=100&textFormat=plainText`), and for a thread with more replies than
//! the page includes, the rest (`GET /youtube/v3/comments?part=snippet&parentId=…`).
//!
//! YouTube takes no "since": the cursor is a [`Watermark`] on `publishedAt` (the newest time
//! seen, and the ids seen in the quarter of an hour before it, looked at again for comments
//! YouTube lists late, such as one held for review then published). A first read takes the
//! newest page; a later one pages back until a page holds a thread whose newest comment, as
//! included, lies behind the mark, up to [`MAX_PAGES`] pages.

use relais_outbound::HttpClient;
use reqwest::Method;
use serde_json::Value;

use super::super::YouTube;
use super::comment::{Thread, published_ms, replies_of};
use crate::inbox::{InboxPage, IncomingMessage};
use crate::search::{MAX_PAGES, Watermark};
use crate::{Credentials, NetworkError};

/// Threads a page, and replies a page: YouTube's most.
const PAGE: &str = "100";
/// Threads whose left-out replies one read fetches, at most (each costs a call and quota).
const MAX_REPLY_THREADS: usize = 20;
/// Pages of replies read for one thread, at most.
const MAX_REPLY_PAGES: usize = 5;

pub(crate) async fn read(
    http: &HttpClient,
    creds: &mut Credentials,
    cursor: Option<&str>,
) -> Result<InboxPage, NetworkError> {
    let yt = YouTube::new(http.clone());
    // The channel's id: kept in the secrets since it was connected, or asked once.
    let (brand, _) = yt.channel_ids(creds).await?;
    let mut read = Reading {
        mark: Watermark::parse(cursor, "youtube"),
        found: Vec::new(),
        reply_threads: 0,
    };
    let mut page_token: Option<String> = None;
    for page_number in 1..=MAX_PAGES {
        let mut query = vec![
            ("part", "snippet,replies"),
            ("allThreadsRelatedToChannelId", brand.as_str()),
            ("order", "time"),
            ("maxResults", PAGE),
            ("textFormat", "plainText"),
        ];
        if let Some(token) = &page_token {
            query.push(("pageToken", token.as_str()));
        }
        let page = match yt
            .call_api(creds, Method::GET, "/commentThreads", &query)
            .await?
        {
            Ok(page) => page,
            // Comments turned off on the whole channel: nothing to read, which is no failure.
            Err(f) if f.reason == "commentsDisabled" => {
                tracing::info!(
                    detail = %f.detail(),
                    "YouTube says the channel's comments are turned off: no comments to read"
                );
                break;
            }
            Err(f) => return Err(f.into_network_error()),
        };
        let threads = threads_of(&page)?;
        let mut reached_old = false;
        for thread in threads.iter().filter_map(Thread::of) {
            reached_old |= read.take(&yt, creds, &thread, &brand).await?;
        }
        page_token = page
            .get("nextPageToken")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if read.mark.is_none() || reached_old || page_token.is_none() {
            break;
        }
        if page_number == MAX_PAGES {
            tracing::warn!(
                pages = MAX_PAGES,
                "more new YouTube comment threads than one read takes: older ones are skipped"
            );
        }
    }
    Ok(read.into_page())
}

/// The threads of a `commentThreads.list` answer (an object; `items` may be left out when
/// there are none).
fn threads_of(page: &Value) -> Result<&[Value], NetworkError> {
    if !page.is_object() {
        return Err(NetworkError::Transient(
            "YouTube answered /commentThreads with something that is not a list of comment \
             threads"
                .into(),
        ));
    }
    Ok(super::super::items(page))
}

/// What one read has gathered.
struct Reading {
    mark: Option<Watermark>,
    /// The new messages, each once, in the order met.
    found: Vec<IncomingMessage>,
    /// Threads whose left-out replies were fetched.
    reply_threads: usize,
}

impl Reading {
    /// Takes the new messages of `thread` (and its left-out replies when it shows something new);
    /// says whether the thread lies wholly behind the mark, where paging stops.
    async fn take(
        &mut self,
        yt: &YouTube,
        creds: &mut Credentials,
        thread: &Thread<'_>,
        brand: &str,
    ) -> Result<bool, NetworkError> {
        let behind = |at: Option<i64>| match (&self.mark, at) {
            (Some(mark), Some(at)) => mark.is_behind(at),
            _ => false,
        };
        let old = behind(thread.latest_ms());
        let brand_top_recent = !behind(published_ms(thread.top));
        // A thread new since the mark, or with a new reply among those included, may hide new
        // replies among those left out; a thread read before that shows nothing new is not
        // asked again (each call costs quota).
        let mut worth_fetching = match thread.top_message(brand) {
            Some(top) => self.offer(top),
            // The brand's own comment is never handed out: recent is all that can be told.
            None => brand_top_recent,
        };
        for reply in thread.reply_messages(brand) {
            worth_fetching |= self.offer(reply);
        }
        if thread.has_more_replies() && worth_fetching {
            self.fetch_replies(yt, creds, thread, brand).await?;
        }
        Ok(old)
    }

    /// Keeps `message` when it is new: not behind the mark, not seen at it, not met already.
    fn offer(&mut self, message: IncomingMessage) -> bool {
        let new = self
            .mark
            .as_ref()
            .is_none_or(|m| m.is_new(&message.network_id, message.created_at))
            && !self
                .found
                .iter()
                .any(|m| m.network_id == message.network_id);
        if new {
            self.found.push(message);
        }
        new
    }

    /// The thread's replies the page left out, from `comments.list`.
    async fn fetch_replies(
        &mut self,
        yt: &YouTube,
        creds: &mut Credentials,
        thread: &Thread<'_>,
        brand: &str,
    ) -> Result<(), NetworkError> {
        if self.reply_threads >= MAX_REPLY_THREADS {
            tracing::warn!(
                thread = thread.id,
                "this YouTube read already fetched the replies of {MAX_REPLY_THREADS} threads: \
                 this thread's replies are read as YouTube included them"
            );
            return Ok(());
        }
        self.reply_threads += 1;
        let mut page_token: Option<String> = None;
        for _ in 0..MAX_REPLY_PAGES {
            let mut query = vec![
                ("part", "snippet"),
                ("parentId", thread.id),
                ("maxResults", PAGE),
                ("textFormat", "plainText"),
            ];
            if let Some(token) = &page_token {
                query.push(("pageToken", token.as_str()));
            }
            let page = match yt.call_api(creds, Method::GET, "/comments", &query).await? {
                Ok(page) => page,
                // The video's comments were turned off, or the thread deleted, since the
                // listing: the replies included are all there is to read.
                Err(f) if f.reason == "commentsDisabled" || f.status == 404 => {
                    tracing::info!(
                        thread = thread.id,
                        detail = %f.detail(),
                        "YouTube gave no more replies of a comment thread; those included are kept"
                    );
                    return Ok(());
                }
                Err(f) => return Err(f.into_network_error()),
            };
            for reply in replies_of(&page, thread.video, thread.id, brand) {
                self.offer(reply);
            }
            page_token = page
                .get("nextPageToken")
                .and_then(Value::as_str)
                .map(str::to_owned);
            if page_token.is_none() {
                return Ok(());
            }
        }
        tracing::warn!(
            thread = thread.id,
            "a YouTube comment thread has more replies than one read takes: older ones are skipped"
        );
        Ok(())
    }

    /// The messages, oldest first, and the mark moved past them.
    fn into_page(self) -> InboxPage {
        let seen: Vec<(String, i64)> = self
            .found
            .iter()
            .map(|m| (m.network_id.clone(), m.created_at))
            .collect();
        let cursor = Watermark::advance(self.mark, &seen).map(|w| w.encode());
        let mut messages = self.found;
        messages.sort_by(|a, b| (a.created_at, &a.network_id).cmp(&(b.created_at, &b.network_id)));
        InboxPage { messages, cursor }
    }
}

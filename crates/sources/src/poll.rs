//! Polling: one fetch of a feed or page through the guarded client, turned into items and a
//! new [`PollState`]. Never panics and never returns early: every way a fetch can go wrong
//! (refused address, dead host, redirect loop, huge body, error status, not a feed) ends as a
//! failure recorded on the source, with back-off.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use relais_listen::found::Found;
use relais_outbound::{FetchedResponse, HttpClient, OutboundError};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::charset;
use crate::digest::digest;
use crate::feed::{FeedError, ParsedFeed, parse_feed};
use crate::page::{PageSnapshot, page_change};
use crate::schedule::PollState;

/// The `Accept` headers: feeds first, but anything is taken (servers label feeds wildly).
const FEED_ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
                           application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5";
const PAGE_ACCEPT: &str = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5";
/// Validators longer than this are not worth storing or sending back.
const MAX_VALIDATOR_LEN: usize = 1024;

/// Why a poll failed. The message is what the source's page shows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PollError {
    /// The request could not be made or completed (SSRF refusal, dead host, time-out,
    /// redirect loop, body over the cap…).
    #[error("{0}")]
    Fetch(#[from] OutboundError),
    /// The server answered with an error status.
    #[error("{}", status_message(*status))]
    Status { status: u16 },
    /// The document is not a feed.
    #[error("{0}")]
    NotAFeed(#[from] FeedError),
    /// A watched page is not a web page.
    #[error(
        "the address serves {media_type}, not a web page; watch an HTML page, or add a feed \
         address as a feed"
    )]
    NotAPage { media_type: String },
}

impl PollError {
    /// A stable code for the interface and the API.
    pub fn code(&self) -> &'static str {
        match self {
            PollError::Fetch(e) if e.is_forbidden() => "source.forbidden_address",
            PollError::Fetch(OutboundError::TooLarge { .. }) => "source.too_large",
            PollError::Fetch(OutboundError::TooManyRedirects { .. }) => "source.redirect_loop",
            PollError::Fetch(
                OutboundError::Timeout { .. } | OutboundError::ConnectTimeout { .. },
            ) => "source.timeout",
            PollError::Fetch(
                OutboundError::InvalidUrl(_) | OutboundError::UnsupportedScheme(_),
            ) => "source.invalid_address",
            PollError::Fetch(_) => "source.unreachable",
            PollError::Status { .. } => "source.http_status",
            PollError::NotAFeed(e) => e.code(),
            PollError::NotAPage { .. } => "source.not_a_page",
        }
    }
}

fn status_message(status: u16) -> String {
    let advice = match status {
        401 | 403 => "the server refuses access; the source may need to be public",
        404 => "the address does not exist (any more); check it on the site",
        410 => {
            "the site says this address is gone for good; remove the source or find its new address"
        }
        429 => "the server asks Relais to slow down; it will wait before trying again",
        300..=399 => "a redirect Relais could not follow; use the final address directly",
        500..=599 => "the server has a problem on its side; Relais will retry later",
        _ => "the server refused the request; check the address",
    };
    format!("the server answered HTTP {status}: {advice}")
}

/// The result of polling a feed.
#[derive(Clone, Debug)]
pub struct FeedPoll {
    /// The source's state after this poll, to store.
    pub state: PollState,
    pub outcome: FeedOutcome,
}

#[derive(Clone, Debug)]
pub enum FeedOutcome {
    /// The feed was read (its items may all be known already: keys tell).
    Fresh(ParsedFeed),
    /// Nothing changed since the last poll (304, or the same bytes).
    NotModified,
    Failed(PollError),
}

/// The result of polling a watched page.
#[derive(Clone, Debug)]
pub struct PagePoll {
    pub state: PollState,
    pub outcome: PageOutcome,
}

#[derive(Clone, Debug)]
pub enum PageOutcome {
    /// The page was read and its text differs from the last snapshot's (or there was none):
    /// store the snapshot; `change` holds what was added, if anything.
    Fresh {
        snapshot: PageSnapshot,
        /// Boxed: a found item is large, and most polls find nothing new.
        change: Option<Box<Found>>,
    },
    NotModified,
    Failed(PollError),
}

/// Polls a feed: a conditional GET (`If-None-Match`, `If-Modified-Since` from `state`), then
/// the feed read. `now` is Unix milliseconds; `interval` the source's polling interval.
pub async fn poll_feed(
    client: &HttpClient,
    url: &str,
    state: &PollState,
    now: i64,
    interval: Duration,
) -> FeedPoll {
    let mut state = state.clone();
    let outcome = match fetch(client, url, &state, FEED_ACCEPT, now).await {
        Fetched::NotModified(response) => {
            remember_validators(&mut state, &response, true);
            state.after_not_modified(now, interval);
            FeedOutcome::NotModified
        }
        Fetched::Content(response) => {
            let hash = digest(&[&response.body]);
            if state.content_hash.as_deref() == Some(hash.as_str()) {
                remember_validators(&mut state, &response, false);
                state.after_not_modified(now, interval);
                FeedOutcome::NotModified
            } else {
                let base = response.final_url.as_str();
                match parse_feed(&response.body, response.content_type(), base, now) {
                    Ok(feed) => {
                        remember_validators(&mut state, &response, false);
                        state.content_hash = Some(hash);
                        state.after_success(now, interval);
                        FeedOutcome::Fresh(feed)
                    }
                    Err(error) => {
                        let error = PollError::NotAFeed(error);
                        fail(&mut state, url, now, interval, &error, None);
                        FeedOutcome::Failed(error)
                    }
                }
            }
        }
        Fetched::Failed(error, retry_after) => {
            fail(&mut state, url, now, interval, &error, retry_after);
            FeedOutcome::Failed(error)
        }
    };
    FeedPoll { state, outcome }
}

/// Polls a watched page, comparing it with `previous` (the last stored snapshot).
pub async fn poll_page(
    client: &HttpClient,
    url: &str,
    state: &PollState,
    previous: Option<&PageSnapshot>,
    now: i64,
    interval: Duration,
) -> PagePoll {
    let mut state = state.clone();
    let outcome = match fetch(client, url, &state, PAGE_ACCEPT, now).await {
        Fetched::NotModified(response) => {
            remember_validators(&mut state, &response, true);
            state.after_not_modified(now, interval);
            PageOutcome::NotModified
        }
        Fetched::Content(response) => match page_text(&response) {
            Ok(html) => {
                let snapshot = PageSnapshot::of(&html, url);
                remember_validators(&mut state, &response, false);
                state.content_hash = Some(snapshot.hash.clone());
                state.after_success(now, interval);
                if previous.is_some_and(|p| p.hash == snapshot.hash) {
                    PageOutcome::NotModified
                } else {
                    let change = page_change(previous, &snapshot).map(|found| {
                        // A page change has no publication date: it is dated when seen.
                        Box::new(Found {
                            published_at: Some(now),
                            ..found
                        })
                    });
                    PageOutcome::Fresh { snapshot, change }
                }
            }
            Err(error) => {
                fail(&mut state, url, now, interval, &error, None);
                PageOutcome::Failed(error)
            }
        },
        Fetched::Failed(error, retry_after) => {
            fail(&mut state, url, now, interval, &error, retry_after);
            PageOutcome::Failed(error)
        }
    };
    PagePoll { state, outcome }
}

/// One source to poll in [`poll_many`].
#[derive(Clone, Debug)]
pub struct PollJob {
    pub url: String,
    pub kind: JobKind,
    pub state: PollState,
    pub interval: Duration,
}

#[derive(Clone, Debug)]
pub enum JobKind {
    Feed,
    Page { previous: Option<PageSnapshot> },
}

/// The result of one [`PollJob`].
#[derive(Clone, Debug)]
pub enum Polled {
    Feed(FeedPoll),
    Page(PagePoll),
}

impl Polled {
    /// The source's state after the poll.
    pub fn state(&self) -> &PollState {
        match self {
            Polled::Feed(p) => &p.state,
            Polled::Page(p) => &p.state,
        }
    }
}

/// Polls `jobs`, at most `concurrency` at a time; results come in the order of `jobs`. A slow,
/// failing or even panicking poll affects only its own result.
pub async fn poll_many(
    client: &HttpClient,
    jobs: Vec<PollJob>,
    now: i64,
    concurrency: usize,
) -> Vec<Polled> {
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = JoinSet::new();
    let fallbacks: Vec<PollJob> = jobs.clone();
    for (index, job) in jobs.into_iter().enumerate() {
        let client = client.clone();
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            // The semaphore is never closed, so acquiring only fails if it were: then run anyway.
            let _permit = permits.acquire_owned().await.ok();
            (index, poll_one(&client, job, now).await)
        });
    }
    let mut results: Vec<Option<Polled>> = (0..fallbacks.len()).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, polled)) => {
                if let Some(slot) = results.get_mut(index) {
                    *slot = Some(polled);
                }
            }
            Err(error) => tracing::error!(%error, "a source poll task failed"),
        }
    }
    results
        .into_iter()
        .zip(fallbacks)
        .map(|(result, job)| result.unwrap_or_else(|| crashed(job, now)))
        .collect()
}

async fn poll_one(client: &HttpClient, job: PollJob, now: i64) -> Polled {
    match job.kind {
        JobKind::Feed => {
            Polled::Feed(poll_feed(client, &job.url, &job.state, now, job.interval).await)
        }
        JobKind::Page { previous } => Polled::Page(
            poll_page(
                client,
                &job.url,
                &job.state,
                previous.as_ref(),
                now,
                job.interval,
            )
            .await,
        ),
    }
}

/// The result recorded for a job whose task died (a bug): a failure, so it is retried later.
fn crashed(job: PollJob, now: i64) -> Polled {
    let error = PollError::Fetch(OutboundError::Http(
        "internal error while polling (see the logs); Relais will retry".to_owned(),
    ));
    let mut state = job.state;
    fail(&mut state, &job.url, now, job.interval, &error, None);
    match job.kind {
        JobKind::Feed => Polled::Feed(FeedPoll {
            state,
            outcome: FeedOutcome::Failed(error),
        }),
        JobKind::Page { .. } => Polled::Page(PagePoll {
            state,
            outcome: PageOutcome::Failed(error),
        }),
    }
}

enum Fetched {
    NotModified(FetchedResponse),
    Content(FetchedResponse),
    Failed(PollError, Option<Duration>),
}

async fn fetch(
    client: &HttpClient,
    url: &str,
    state: &PollState,
    accept: &str,
    now: i64,
) -> Fetched {
    let mut request = match client.get(url) {
        Ok(request) => request.header("accept", accept),
        Err(error) => return Fetched::Failed(error.into(), None),
    };
    if let Some(etag) = state.etag.as_deref().filter(|v| sendable(v)) {
        request = request.header("if-none-match", etag);
    }
    if let Some(date) = state.last_modified.as_deref().filter(|v| sendable(v)) {
        request = request.header("if-modified-since", date);
    }
    let response = match client.fetch(request).await {
        Ok(response) => response,
        Err(error) => return Fetched::Failed(error.into(), None),
    };
    match response.status {
        304 => Fetched::NotModified(response),
        200..=299 => Fetched::Content(response),
        status => {
            let retry_after = header(&response, "retry-after").and_then(|v| retry_after(&v, now));
            Fetched::Failed(PollError::Status { status }, retry_after)
        }
    }
}

/// The page's HTML, if the response is a web page.
fn page_text(response: &FetchedResponse) -> Result<String, PollError> {
    let media_type = response
        .content_type()
        .map(charset::media_type)
        .unwrap_or_default();
    let is_page = media_type.is_empty()
        || media_type == "text/html"
        || media_type == "application/xhtml+xml"
        || media_type == "text/plain";
    if !is_page {
        return Err(PollError::NotAPage { media_type });
    }
    Ok(charset::html_text(&response.body, response.content_type()))
}

/// Keeps the response's validators. A 304 may omit them (keep the old ones); a full response
/// without them means the server stopped sending them (forget the old ones).
fn remember_validators(state: &mut PollState, response: &FetchedResponse, not_modified: bool) {
    let etag = header(response, "etag").filter(|v| sendable(v));
    let last_modified = header(response, "last-modified").filter(|v| sendable(v));
    if !not_modified || etag.is_some() {
        state.etag = etag;
    }
    if !not_modified || last_modified.is_some() {
        state.last_modified = last_modified;
    }
}

fn fail(
    state: &mut PollState,
    url: &str,
    now: i64,
    interval: Duration,
    error: &PollError,
    retry_after: Option<Duration>,
) {
    tracing::debug!(code = error.code(), %error, "source poll failed");
    // The jitter differs between sources and stays the same for one source.
    let address_digest = digest(&[url.as_bytes()]);
    let seed = address_digest
        .get(..16)
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .unwrap_or(0);
    state.after_failure(now, interval, &error.to_string(), retry_after, seed);
}

fn header(response: &FetchedResponse, name: &str) -> Option<String> {
    let value = response.headers.get(name)?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// A value we may put back in a header: visible ASCII and spaces, not too long.
fn sendable(value: &str) -> bool {
    value.len() <= MAX_VALIDATOR_LEN && value.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
}

/// `Retry-After` as seconds or as an HTTP date (then counted from `now`, Unix ms).
fn retry_after(value: &str, now: i64) -> Option<Duration> {
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let at_ms = at.duration_since(UNIX_EPOCH).ok()?.as_millis();
    let wait = at_ms.saturating_sub(u128::try_from(now).unwrap_or(0));
    Some(Duration::from_millis(
        u64::try_from(wait).unwrap_or(u64::MAX),
    ))
}

/// The current time in Unix milliseconds, for callers of the pollers.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = 1_445_412_480_000; // Wed, 21 Oct 2015 07:28:00 GMT
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(retry_after("soon", now), None);
    }

    #[test]
    fn only_clean_validators_are_sent_back() {
        assert!(sendable("\"33a64df5\""));
        assert!(sendable("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert!(!sendable("a\r\nInjected: yes"));
        assert!(!sendable(&"x".repeat(2000)));
    }

    #[test]
    fn status_messages_give_advice() {
        let e = PollError::Status { status: 410 };
        assert!(e.to_string().contains("gone for good"), "{e}");
        assert_eq!(e.code(), "source.http_status");
    }
}

//! Listening's searches: the mentions of a brand that each network's API lets Relais find, in
//! one shape ([`SearchHit`]), a page at a time ([`SearchPage`]) with a cursor that the next call
//! gives back to get only what is newer.
//!
//! | network | what is searched | cursor |
//! |---|---|---|
//! | `bluesky` | `app.bsky.feed.searchPosts`, through the channel's PDS or a public AppView | [`Watermark`] |
//! | `mastodon` | the hashtag timeline (terms that are all `#tags`) or the public timeline, filtered here | the newest status id (`min_id`) |
//! | `x` | `GET /2/tweets/search/recent` | the newest post id (`since_id`) |
//! | `youtube` | the comments of the channel's videos, or of one video (`commentThreads`) | [`Watermark`] |
//! | `reddit` | `GET /search` (or one subreddit's) with an app-only token | [`Watermark`] |
//!
//! A first call (no cursor) reads one page of the newest items. A later call reads every page
//! newer than the cursor, up to [`MAX_PAGES`]: what lies beyond is read on the next call where
//! the network pages forwards in time (Mastodon), and skipped where it pages backwards (the
//! others), so that a flood never stalls listening.
//!
//! Cursors are opaque: store [`SearchPage::cursor`] and hand it back. A cursor this crate
//! cannot read (from another network, or damaged) is dropped with a warning and the search
//! starts again from the newest page: some items may then come twice, which listening's keys
//! absorb, rather than the source stopping for good.

use relais_outbound::HttpClient;
use serde::{Deserialize, Serialize};

use crate::{Credentials, NetworkError};

/// The networks [`search`] knows, by their names as stored on channels.
pub const SEARCH_NETWORKS: [&str; 5] = ["bluesky", "mastodon", "reddit", "x", "youtube"];

/// The most pages one call reads when it catches up after a cursor.
pub const MAX_PAGES: usize = 5;

/// One item a search found: a post, a comment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    /// The item's id on the network, stable across searches: a post's URI (Bluesky), a status
    /// id on the channel's instance (Mastodon), a post id (X), a comment id (YouTube), a
    /// fullname (`t3_…`, Reddit).
    pub network_id: String,
    /// Where a person reads it.
    pub url: Option<String>,
    /// A title, where the network has one (a Reddit post).
    pub title: Option<String>,
    /// The text, plain (HTML reduced to text, entities decoded).
    pub text: String,
    /// The author's handle as the network writes it (`name.bsky.social`, `user@instance`,
    /// `username` on X and Reddit, `@handle` on YouTube).
    pub author_handle: Option<String>,
    /// The author's display name.
    pub author_name: Option<String>,
    /// How many follow the author, where the network says.
    pub author_followers: Option<u64>,
    /// Publication time, Unix milliseconds.
    pub published_at: Option<i64>,
    /// The language the network or the author declared (`fr`, `en`).
    pub lang: Option<String>,
    /// The host the item was published on (`bsky.app`, `mastodon.social`, `x.com`).
    pub site: Option<String>,
    /// The id of what it answers: the parent post, or the video a comment is under.
    pub in_reply_to: Option<String>,
}

/// What one call found, newest first, and where the next call starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    /// What to give back next time to get only newer items; `None` only when nothing was
    /// found yet and no cursor was given.
    pub cursor: Option<String>,
}

/// What to search for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchQuery<'a> {
    /// The network's own search syntax (`relais OR "relais app"` on X; words or `#tags` on
    /// Mastodon, where every word must appear).
    pub terms: &'a str,
    /// The previous page's [`SearchPage::cursor`].
    pub cursor: Option<&'a str>,
    /// Mastodon: only the instance's own posts.
    pub local_only: bool,
    /// Where to look, for networks that search within something: YouTube, a video id or a
    /// channel id (`UC…`; the channel's own when `None`); Reddit, a subreddit (all of Reddit
    /// when `None`). Other networks ignore it.
    pub within: Option<&'a str>,
}

impl<'a> SearchQuery<'a> {
    pub fn new(terms: &'a str) -> Self {
        Self {
            terms,
            ..Self::default()
        }
    }

    /// The same query, continuing after `cursor`.
    pub fn after(mut self, cursor: Option<&'a str>) -> Self {
        self.cursor = cursor;
        self
    }
}

/// Searches `network` with the channel's credentials (which may change: a renewed token; save
/// them when `creds.changed`). Errors name the network; a rate limit says when to come back.
pub async fn search(
    network: &str,
    http: &HttpClient,
    creds: &mut Credentials,
    query: &SearchQuery<'_>,
) -> Result<SearchPage, NetworkError> {
    let unsupported = || {
        NetworkError::Unsupported(format!(
            "Relais cannot search `{network}`; it searches {}",
            SEARCH_NETWORKS.join(", ")
        ))
    };
    let name = display_name(network).ok_or_else(unsupported)?;
    if query.terms.trim().is_empty() {
        return Err(NetworkError::Rejected(format!(
            "{name} search: there is nothing to search for; give words to look for"
        )));
    }
    let found = match network {
        "bluesky" => crate::bluesky::search::search(http, creds, query).await,
        "mastodon" => crate::mastodon::search::search(http, creds, query).await,
        "reddit" => crate::reddit::search::search(http, creds, query).await,
        "x" => crate::x::search::search(http, creds, query).await,
        "youtube" => crate::youtube::search::search(http, creds, query).await,
        _ => return Err(unsupported()),
    };
    found.map_err(|e| naming(e, name))
}

fn display_name(network: &str) -> Option<&'static str> {
    Some(match network {
        "bluesky" => "Bluesky",
        "mastodon" => "Mastodon",
        "reddit" => "Reddit",
        "x" => "X",
        "youtube" => "YouTube",
        _ => return None,
    })
}

/// `e` with `<network> search: ` before its message, so that a person reading a listening
/// source's error knows where it came from.
fn naming(e: NetworkError, name: &str) -> NetworkError {
    let tag = |m: String| format!("{name} search: {m}");
    match e {
        NetworkError::RateLimited { .. } => e,
        NetworkError::Unauthorized(m) => NetworkError::Unauthorized(tag(m)),
        NetworkError::Rejected(m) => NetworkError::Rejected(tag(m)),
        NetworkError::Transient(m) => NetworkError::Transient(tag(m)),
        NetworkError::Misconfigured(m) => NetworkError::Misconfigured(tag(m)),
        NetworkError::Unsupported(m) => NetworkError::Unsupported(tag(m)),
    }
}

/// The cursor of a network whose search pages from the newest item backwards and takes no
/// "newer than this id" (Bluesky, YouTube, Reddit): the newest time seen, and the items seen
/// during [`OVERLAP_MS`] before it.
///
/// Items reach a network's search index late (Reddit's and Bluesky's by minutes; a YouTube
/// comment held for review by longer), behind newer ones already seen. So each call looks
/// again at the last [`OVERLAP_MS`] and keeps only the items it has not seen there: a late
/// item inside that window is found, and nothing seen comes twice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Watermark {
    /// The newest item's time, Unix milliseconds.
    newest_ms: i64,
    /// `(id, time)` of the items seen from `newest_ms - OVERLAP_MS` on.
    seen: Vec<(String, i64)>,
}

/// How far back each call looks again for items indexed late.
pub(crate) const OVERLAP_MS: i64 = 15 * 60 * 1000;
/// The most items a [`Watermark`] remembers (the newest): a flood inside the overlap window
/// must not make the cursor grow without bound.
const MAX_SEEN: usize = 300;
/// What a [`Watermark`]'s text starts with (its format's version).
const WATERMARK_TAG: &str = "w1";

impl Watermark {
    /// The watermark in `cursor`; `None` when there is none or it is not one (then logged).
    pub fn parse(cursor: Option<&str>, network: &str) -> Option<Self> {
        let text = cursor?.trim();
        let parsed = Self::decode(text);
        if parsed.is_none() {
            tracing::warn!(
                network,
                cursor = text,
                "an unreadable search cursor was dropped"
            );
        }
        parsed
    }

    fn decode(text: &str) -> Option<Self> {
        let mut parts = text.split(' ');
        if parts.next()? != WATERMARK_TAG {
            return None;
        }
        let newest_ms = parts.next()?.parse().ok()?;
        let seen = parts
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (at, id) = p.split_once(':')?;
                Some((id.to_owned(), at.parse().ok()?)).filter(|(id, _)| !id.is_empty())
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Self { newest_ms, seen })
    }

    /// The text to store: `w1 <newest ms> <ms>:<id> …` (ids hold no space).
    pub fn encode(&self) -> String {
        let mut out = format!("{WATERMARK_TAG} {}", self.newest_ms);
        for (id, at) in &self.seen {
            out.push_str(&format!(" {at}:{id}"));
        }
        out
    }

    /// From when the network should be asked: the overlap window's start.
    pub fn since_ms(&self) -> i64 {
        self.newest_ms.saturating_sub(OVERLAP_MS)
    }

    /// Whether an item of this time is older than anything worth reading: paging stops there.
    pub fn is_behind(&self, at_ms: i64) -> bool {
        at_ms < self.since_ms()
    }

    /// Whether the item `id` of time `at_ms` was not handed out yet.
    pub fn is_new(&self, id: &str, at_ms: i64) -> bool {
        !self.is_behind(at_ms) && !self.seen.iter().any(|(s, _)| s == id)
    }

    /// The watermark after `found` (`(id, time)` of the new items) was handed out; `None` when
    /// there was no watermark and nothing was found.
    pub fn advance(before: Option<Self>, found: &[(String, i64)]) -> Option<Self> {
        if before.is_none() && found.is_empty() {
            return None;
        }
        let before = before.unwrap_or_default();
        let newest_ms = found
            .iter()
            .map(|(_, at)| *at)
            .chain(Some(before.newest_ms))
            .max()
            .unwrap_or(before.newest_ms);
        let mut seen: Vec<(String, i64)> = before
            .seen
            .into_iter()
            .chain(found.iter().cloned())
            .filter(|(id, at)| {
                *at >= newest_ms.saturating_sub(OVERLAP_MS) && !id.contains(char::is_whitespace)
            })
            .collect();
        // Newest first, so that the cap keeps the ones most likely to be met again.
        seen.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        seen.dedup_by(|a, b| a.0 == b.0);
        seen.truncate(MAX_SEEN);
        Some(Self { newest_ms, seen })
    }
}

/// What a search that pages backwards keeps against a [`Watermark`] (Bluesky, YouTube, Reddit):
/// each item not handed out yet, once, and whether a page reached back past the mark, where
/// reading stops. `T` is the item as the network's search needs it until the end.
pub(crate) struct WatermarkSearch<T> {
    mark: Option<Watermark>,
    /// `(id, time, item)` of the new items, in the order met (newest first).
    found: Vec<(String, i64, T)>,
    reached_old: bool,
}

impl<T> WatermarkSearch<T> {
    /// A search after `cursor` (see [`Watermark::parse`]).
    pub fn after(cursor: Option<&str>, network: &str) -> Self {
        Self {
            mark: Watermark::parse(cursor, network),
            found: Vec::new(),
            reached_old: false,
        }
    }

    /// The cursor's watermark, if one was given and could be read.
    pub fn mark(&self) -> Option<&Watermark> {
        self.mark.as_ref()
    }

    /// Takes an item of a page: kept when it is new, noted when it lies behind the mark.
    pub fn offer(&mut self, id: String, at_ms: i64, item: T) {
        match &self.mark {
            Some(m) if m.is_behind(at_ms) => self.reached_old = true,
            Some(m) if !m.is_new(&id, at_ms) => {}
            _ if self.found.iter().any(|(seen, _, _)| *seen == id) => {}
            _ => self.found.push((id, at_ms, item)),
        }
    }

    /// Whether the next page is worth reading: a first search reads the newest page only, and
    /// a later one stops at the first page that reaches back past the mark.
    pub fn wants_more(&self) -> bool {
        self.mark.is_some() && !self.reached_old
    }

    /// The items kept so far.
    pub fn items(&self) -> impl Iterator<Item = &T> {
        self.found.iter().map(|(_, _, item)| item)
    }

    /// The items kept so far, to complete them before the end.
    pub fn items_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.found.iter_mut().map(|(_, _, item)| item)
    }

    /// The page: the items kept, as hits, and the watermark moved past them.
    pub fn into_page(self, hit: impl Fn(T) -> SearchHit) -> SearchPage {
        let seen: Vec<(String, i64)> = self
            .found
            .iter()
            .map(|(id, at, _)| (id.clone(), *at))
            .collect();
        SearchPage {
            hits: self
                .found
                .into_iter()
                .map(|(_, _, item)| hit(item))
                .collect(),
            cursor: Watermark::advance(self.mark, &seen).map(|m| m.encode()),
        }
    }
}

/// The cursor of a network whose ids grow with time (X, Mastodon), when `is_id` takes it;
/// otherwise `None`, and the unreadable cursor is logged.
pub(crate) fn id_cursor<'a>(
    cursor: Option<&'a str>,
    network: &str,
    is_id: impl Fn(&str) -> bool,
) -> Option<&'a str> {
    let text = cursor?.trim();
    if is_id(text) {
        return Some(text);
    }
    tracing::warn!(
        network,
        cursor = text,
        "an unreadable search cursor was dropped"
    );
    None
}

/// Moves `newest` to `id` when `id` comes after it (see [`id_after`]).
pub(crate) fn raise_newest(newest: &mut Option<String>, id: &str) {
    if newest.as_deref().is_none_or(|n| id_after(id, n)) {
        *newest = Some(id.to_owned());
    }
}

/// Adds `hit` unless a hit of the same id is there already (pages may overlap).
pub(crate) fn push_new(hits: &mut Vec<SearchHit>, hit: SearchHit) {
    if !hits.iter().any(|h| h.network_id == hit.network_id) {
        hits.push(hit);
    }
}

/// An RFC 3339 time as Unix milliseconds.
pub(crate) fn time_ms(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Unix milliseconds as RFC 3339 in UTC with milliseconds (`2026-01-02T03:04:05.678Z`).
pub(crate) fn rfc3339_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A string field, trimmed, when not empty.
pub(crate) fn text_field(v: &serde_json::Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Whether the id `a` comes after `b`, for networks whose ids grow with time: digits (a longer
/// one is larger), or fixed-length text (which sorts as text).
pub(crate) fn id_after(a: &str, b: &str) -> bool {
    (a.len(), a) > (b.len(), b)
}

/// The host of `url`, as written.
pub(crate) fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(items: &[(&str, i64)]) -> Vec<(String, i64)> {
        items
            .iter()
            .map(|(id, at)| ((*id).to_owned(), *at))
            .collect()
    }

    #[test]
    fn a_watermark_survives_its_text() {
        let w = Watermark::advance(
            None,
            &found(&[
                ("at://did:plc:x/app.bsky.feed.post/3k", 1_000_000),
                ("t3_b", 999_000),
            ]),
        )
        .expect("a watermark");
        let text = w.encode();
        assert_eq!(
            text,
            "w1 1000000 1000000:at://did:plc:x/app.bsky.feed.post/3k 999000:t3_b"
        );
        assert_eq!(Watermark::parse(Some(&text), "test"), Some(w));
        for bad in ["", "w1", "w2 5", "w1 x", "w1 5 nocolon", "w1 5 x:id", "123"] {
            assert_eq!(Watermark::parse(Some(bad), "test"), None, "{bad}");
        }
        assert_eq!(Watermark::parse(None, "test"), None);
    }

    #[test]
    fn late_items_inside_the_overlap_are_new_and_seen_ones_are_not() {
        let now = 10 * OVERLAP_MS;
        let w = Watermark::advance(None, &found(&[("a", now), ("b", now - 1000)]))
            .expect("a watermark");
        assert!(!w.is_new("a", now));
        assert!(!w.is_new("b", now - 1000));
        // Indexed late: older than the newest, but inside the window and never seen.
        assert!(w.is_new("late", now - 60_000));
        assert!(w.is_new("c", now + 1));
        // Older than the window: behind, even unseen.
        assert!(!w.is_new("old", now - OVERLAP_MS - 1));
        assert!(w.is_behind(now - OVERLAP_MS - 1));
        assert!(!w.is_behind(now - OVERLAP_MS));
        assert_eq!(w.since_ms(), now - OVERLAP_MS);
    }

    #[test]
    fn advancing_forgets_what_falls_out_of_the_window_and_caps_the_rest() {
        let t = 10 * OVERLAP_MS;
        let w = Watermark::advance(None, &found(&[("a", t), ("b", t - 60_000)])).expect("w");
        let w = Watermark::advance(Some(w), &found(&[("c", t + OVERLAP_MS - 30_000)])).expect("w");
        assert_eq!(w.newest_ms, t + OVERLAP_MS - 30_000);
        let ids: Vec<&str> = w.seen.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["c", "a"], "b fell out of the window");
        // Nothing new: the watermark stays.
        assert_eq!(Watermark::advance(Some(w.clone()), &[]), Some(w));
        assert_eq!(Watermark::advance(None, &[]), None);

        let many: Vec<(String, i64)> = (0..1000).map(|i| (format!("id{i}"), t + i)).collect();
        let w = Watermark::advance(None, &many).expect("w");
        assert_eq!(w.seen.len(), MAX_SEEN);
        assert_eq!(w.seen[0], ("id999".to_owned(), t + 999));
        // The same id twice is remembered once.
        let w = Watermark::advance(None, &found(&[("a", t), ("a", t)])).expect("w");
        assert_eq!(w.seen.len(), 1);
    }

    #[test]
    fn a_first_watermark_search_reads_one_page_and_keeps_each_item_once() {
        let mut first = WatermarkSearch::after(None, "test");
        first.offer("a".into(), 2_000, 'a');
        first.offer("b".into(), 1_000, 'b');
        first.offer("a".into(), 2_000, 'A');
        assert!(!first.wants_more(), "no cursor: the newest page only");
        assert_eq!(first.items().collect::<String>(), "ab");
        let page = first.into_page(|c| SearchHit {
            network_id: c.to_string(),
            ..SearchHit::default()
        });
        let ids: Vec<&str> = page.hits.iter().map(|h| h.network_id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        let mark = Watermark::parse(page.cursor.as_deref(), "test").expect("a watermark");
        assert_eq!(mark.since_ms(), 2_000 - OVERLAP_MS);

        let nothing =
            WatermarkSearch::<()>::after(None, "test").into_page(|()| SearchHit::default());
        assert_eq!(nothing, SearchPage::default());
    }

    #[test]
    fn a_later_watermark_search_keeps_what_is_new_and_stops_behind_the_mark() {
        let t = 10 * OVERLAP_MS;
        let cursor = Watermark::advance(None, &found(&[("seen", t)]))
            .expect("w")
            .encode();
        let mut later = WatermarkSearch::after(Some(&cursor), "test");
        assert_eq!(later.mark().map(Watermark::since_ms), Some(t - OVERLAP_MS));
        later.offer("new".into(), t + 5, 1);
        later.offer("seen".into(), t, 2);
        later.offer("late".into(), t - 60_000, 3);
        assert!(later.wants_more(), "nothing behind the mark yet");
        for n in later.items_mut() {
            *n *= 10;
        }
        later.offer("old".into(), t - OVERLAP_MS - 1, 4);
        assert!(!later.wants_more(), "a page reached back past the mark");
        assert_eq!(later.items().copied().collect::<Vec<_>>(), [10, 30]);
        let page = later.into_page(|n| SearchHit {
            network_id: n.to_string(),
            ..SearchHit::default()
        });
        let next = WatermarkSearch::<()>::after(page.cursor.as_deref(), "test");
        assert_eq!(
            next.mark().map(Watermark::since_ms),
            Some(t + 5 - OVERLAP_MS)
        );
    }

    #[test]
    fn id_cursors_are_kept_only_when_they_are_ids_and_the_newest_wins() {
        let digits = |c: &str| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit());
        assert_eq!(id_cursor(Some(" 1234 "), "test", digits), Some("1234"));
        assert_eq!(id_cursor(Some("w1 5 5:x"), "test", digits), None);
        assert_eq!(id_cursor(Some(""), "test", digits), None);
        assert_eq!(id_cursor(None, "test", digits), None);

        let mut newest = None;
        raise_newest(&mut newest, "999");
        raise_newest(&mut newest, "1000");
        raise_newest(&mut newest, "998");
        assert_eq!(newest.as_deref(), Some("1000"));

        let mut hits = Vec::new();
        for (id, text) in [("1", "first"), ("2", "second"), ("1", "again")] {
            push_new(
                &mut hits,
                SearchHit {
                    network_id: id.into(),
                    text: text.into(),
                    ..SearchHit::default()
                },
            );
        }
        let kept: Vec<&str> = hits.iter().map(|h| h.text.as_str()).collect();
        assert_eq!(kept, ["first", "second"]);
    }

    #[test]
    fn errors_name_the_network_but_rate_limits_stay_as_they_are() {
        assert_eq!(
            naming(NetworkError::Transient("not JSON".into()), "Reddit"),
            NetworkError::Transient("Reddit search: not JSON".into())
        );
        let limited = NetworkError::RateLimited {
            retry_after: Some(std::time::Duration::from_secs(3)),
        };
        assert_eq!(naming(limited.clone(), "X"), limited);
    }

    #[tokio::test]
    async fn unknown_networks_and_empty_terms_are_refused_before_any_call() {
        let http = HttpClient::new(Default::default()).expect("client");
        let mut creds = Credentials::default();
        let err = search("linkedin", &http, &mut creds, &SearchQuery::new("relais"))
            .await
            .expect_err("unsupported");
        assert!(
            matches!(err, NetworkError::Unsupported(ref m) if m.contains("bluesky")),
            "{err}"
        );
        let err = search("x", &http, &mut creds, &SearchQuery::new("  "))
            .await
            .expect_err("empty");
        assert!(
            matches!(err, NetworkError::Rejected(ref m) if m.starts_with("X search")),
            "{err}"
        );
    }

    #[test]
    fn ids_that_grow_with_time_compare() {
        assert!(id_after("110000000000000002", "110000000000000001"));
        assert!(id_after("1000", "999"));
        assert!(!id_after("999", "1000"));
        assert!(!id_after("5", "5"));
        assert!(id_after("AbC2", "AbC1"));
    }

    #[test]
    fn times_go_both_ways() {
        assert_eq!(time_ms("2026-01-02T03:04:05.678Z"), Some(1_767_323_045_678));
        assert_eq!(
            time_ms("2026-01-02T04:04:05.678+01:00"),
            Some(1_767_323_045_678)
        );
        assert_eq!(rfc3339_ms(1_767_323_045_678), "2026-01-02T03:04:05.678Z");
        assert_eq!(time_ms("yesterday"), None);
    }
}

/// For the fuzz target `networks_search` only, not an API: each network's reading of one answer
/// of its search, without the network, and the cursors' reading.
#[doc(hidden)]
pub mod fuzzing {
    use serde_json::Value;

    use super::{SearchHit, Watermark};

    fn list<'a>(value: &'a Value, path: &[&str]) -> &'a [Value] {
        path.iter()
            .try_fold(value, |v, key| v.get(*key))
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// The hits each network reads from `body` taken as its search's answer (every network
    /// tries, whatever `body` is). Never panics.
    pub fn read_answers(body: &[u8]) -> Vec<(&'static str, SearchHit)> {
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            return Vec::new();
        };
        let mut hits = Vec::new();
        for post in list(&value, &["posts"]) {
            hits.extend(
                crate::bluesky::search::hit_of(post, "https://bsky.app").map(|h| ("bluesky", h)),
            );
        }
        if let Some(statuses) = value.as_array() {
            // The search reads only statuses with an id.
            let with_id = |s: &&Value| {
                s.get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|id| !id.is_empty())
            };
            for status in statuses.iter().filter(with_id) {
                hits.push((
                    "mastodon",
                    crate::mastodon::search::hit_of(status, Some("home.example")),
                ));
            }
        }
        for child in list(&value, &["data", "children"]) {
            hits.extend(crate::reddit::search::hit_of(child).map(|(h, _)| ("reddit", h)));
        }
        let users = list(&value, &["includes", "users"]);
        for post in list(&value, &["data"]) {
            hits.extend(crate::x::search::hit_of(post, users).map(|h| ("x", h)));
        }
        for thread in crate::youtube::items(&value) {
            hits.extend(crate::youtube::search::hit_of(thread).map(|(h, _)| ("youtube", h)));
        }
        hits
    }

    /// A stored cursor read back: `None` when it is not one, else whether writing it out again
    /// reads back the same (it must). Never panics.
    pub fn read_cursor(cursor: &str) -> Option<bool> {
        let mark = Watermark::decode(cursor.trim())?;
        let _ = mark.since_ms();
        Some(Watermark::decode(&mark.encode()).as_ref() == Some(&mark))
    }
}

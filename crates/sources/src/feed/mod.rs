//! Feeds (RSS 0.9x, 1.0 and 2.0, Atom, JSON Feed) read into [`Found`] items. Pure: the bytes
//! and the time come from the caller.
//!
//! feed-rs does the reading; around it this module decodes the charset (the private `charset`
//! module says how), repairs the most common breakage (a bare `&` in text), reduces HTML to
//! plain text, resolves links against the feed's address, keys every item, bounds what one
//! fetch can bring, and says what the document was when it is not a feed.

use feed_rs::model::{Entry, Feed, FeedType, Link, Text};
use relais_listen::found::Found;
use url::Url;

mod error;

pub use error::FeedError;

use crate::charset;
use crate::digest::digest;
use crate::markup;

use error::{broken, escape_bare_ampersands, identify};

/// Items kept from one fetch at most (the newest); a feed of 10 000 items is an archive and
/// must not flood the pipeline.
pub const MAX_ITEMS: usize = 500;
/// Characters of text kept per item.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Characters of a title kept.
pub const MAX_TITLE_CHARS: usize = 1_000;
/// Ids longer than this are replaced by their digest (a key is stored and compared often).
pub const MAX_KEY_CHARS: usize = 512;
/// Characters kept of an author's name.
const MAX_AUTHOR_CHARS: usize = 200;
/// A publication date further in the future than this is a clock or time-zone error: it is
/// dropped (`None`) rather than clamped, so that no date is invented.
pub const FUTURE_TOLERANCE_MS: i64 = 24 * 60 * 60 * 1000;

/// What a feed holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedFeed {
    /// The feed's title, plain.
    pub title: Option<String>,
    /// Host of the site the feed belongs to (its `link`), else of the feed's own address.
    pub site: Option<String>,
    /// The items, in the feed's order; at most [`MAX_ITEMS`], each key once.
    pub items: Vec<Found>,
    /// Items left out because the feed held more than [`MAX_ITEMS`] (the oldest).
    pub dropped: usize,
}

/// Reads a feed document. `content_type` is the response's `Content-Type` (for its charset);
/// `feed_url` the address it came from (relative links are resolved against it); `now_ms`
/// the current time, Unix milliseconds (dates more than a day after it are dropped).
pub fn parse_feed(
    bytes: &[u8],
    content_type: Option<&str>,
    feed_url: &str,
    now_ms: i64,
) -> Result<ParsedFeed, FeedError> {
    let text = charset::xml_text(bytes, content_type);
    if text.trim().is_empty() {
        return Err(FeedError::Empty);
    }
    let base = Url::parse(feed_url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let feed = match read(&text, base.as_ref()) {
        Ok(feed) => feed,
        Err(error) => {
            if let Some(not_a_feed) = identify(&text, content_type, base.as_ref()) {
                return Err(not_a_feed);
            }
            let repaired = escape_bare_ampersands(&text);
            match repaired.as_deref().map(|r| read(r, base.as_ref())) {
                Some(Ok(feed)) => feed,
                _ => return Err(broken(error)),
            }
        }
    };
    Ok(convert(feed, base.as_ref(), now_ms))
}

fn read(text: &str, base: Option<&Url>) -> Result<Feed, feed_rs::parser::ParseFeedError> {
    feed_rs::parser::Builder::new()
        .base_uri(base.map(Url::as_str))
        // Entries without an id get none here, so that ours (link, else content digest) apply:
        // feed-rs would otherwise make up a random one, new at every fetch.
        .id_generator(|_, _, _| String::new())
        .build()
        .parse(text.as_bytes())
}

/// Everything an item takes from its feed.
struct FeedContext<'a> {
    base: Option<&'a Url>,
    site: Option<String>,
    lang: Option<String>,
    author: Option<String>,
    /// RSS says nothing of whether a title holds markup; Atom and JSON Feed do.
    guess_title_markup: bool,
    now_ms: i64,
}

fn convert(feed: Feed, base: Option<&Url>, now_ms: i64) -> ParsedFeed {
    let site = feed
        .links
        .iter()
        .filter(|l| is_alternate(l))
        .find_map(|l| web_url(&l.href, base))
        .and_then(|u| host(&u))
        .or_else(|| base.and_then(|b| b.host_str()).map(str::to_owned));
    let guess_title_markup = matches!(
        feed.feed_type,
        FeedType::RSS0 | FeedType::RSS1 | FeedType::RSS2
    );
    let context = FeedContext {
        base,
        site: site.clone(),
        lang: feed.language.as_deref().and_then(language),
        author: feed.authors.iter().find_map(|p| author(&p.name)),
        guess_title_markup,
        now_ms,
    };
    let title = feed
        .title
        .as_ref()
        .map(|t| title_text(t, guess_title_markup))
        .filter(|t| !t.is_empty());

    let mut seen = std::collections::HashSet::new();
    let mut items: Vec<Found> = feed
        .entries
        .into_iter()
        .filter_map(|entry| item(entry, &context))
        .filter(|found| seen.insert(found.key.clone()))
        .collect();
    let dropped = items.len().saturating_sub(MAX_ITEMS);
    if dropped > 0 {
        // Keep the newest; undated items count as oldest. The sort is stable, so items of the
        // same date keep the feed's order.
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(items[i].published_at.unwrap_or(i64::MIN)));
        let mut keep = vec![false; items.len()];
        for &i in order.iter().take(MAX_ITEMS) {
            keep[i] = true;
        }
        let mut flags = keep.into_iter();
        items.retain(|_| flags.next().unwrap_or(false));
    }
    ParsedFeed {
        title,
        site,
        items,
        dropped,
    }
}

fn item(entry: Entry, feed: &FeedContext<'_>) -> Option<Found> {
    let id = entry.id.trim();
    let url = entry
        .links
        .iter()
        .filter(|l| is_alternate(l))
        .find_map(|l| web_url(&l.href, feed.base))
        // An RSS guid that is a permalink is the item's address when it has no <link>.
        .or_else(|| web_url(id, None));
    let title = entry
        .title
        .as_ref()
        .map(|t| title_text(t, feed.guess_title_markup))
        .filter(|t| !t.is_empty());
    let mut text = entry
        .content
        .as_ref()
        .and_then(|c| {
            let body = c.body.as_deref()?;
            Some(if is_markup(c.content_type.as_str()) {
                markup::to_text(body, MAX_TEXT_CHARS)
            } else {
                markup::plain(body, MAX_TEXT_CHARS)
            })
        })
        .filter(|t| !t.is_empty())
        .or_else(|| entry.summary.as_ref().map(body_text))
        .filter(|t| !t.is_empty())
        .or_else(|| {
            entry
                .media
                .iter()
                .find_map(|m| m.description.as_ref())
                .map(body_text)
        })
        .unwrap_or_default();
    if text.is_empty() {
        text = title.clone().unwrap_or_default();
    }
    if text.is_empty() && url.is_none() {
        return None; // Nothing to read, nowhere to go.
    }
    let key = if !id.is_empty() {
        id.to_owned()
    } else if let Some(url) = &url {
        url.clone()
    } else {
        let title = title.as_deref().unwrap_or("");
        format!("sha256:{}", digest(&[title.as_bytes(), text.as_bytes()]))
    };
    let key = if key.chars().count() > MAX_KEY_CHARS {
        format!("sha256:{}", digest(&[key.as_bytes()]))
    } else {
        key
    };
    let published_at = entry
        .published
        .or(entry.updated)
        .map(|d| d.timestamp_millis())
        .filter(|t| *t <= feed.now_ms.saturating_add(FUTURE_TOLERANCE_MS));
    Some(Found {
        key,
        site: url.as_deref().and_then(host).or_else(|| feed.site.clone()),
        url,
        title,
        text,
        author: entry
            .authors
            .iter()
            .find_map(|p| author(&p.name))
            .or_else(|| feed.author.clone()),
        reach: None,
        published_at,
        lang: entry
            .language
            .as_deref()
            .and_then(language)
            .or_else(|| feed.lang.clone()),
    })
}

fn is_alternate(link: &Link) -> bool {
    link.rel
        .as_deref()
        .is_none_or(|r| r.trim().is_empty() || r.trim().eq_ignore_ascii_case("alternate"))
}

fn is_markup(media_type: &str) -> bool {
    media_type.to_ascii_lowercase().contains("html")
}

fn body_text(text: &Text) -> String {
    if is_markup(text.content_type.as_str()) {
        markup::to_text(&text.content, MAX_TEXT_CHARS)
    } else {
        markup::plain(&text.content, MAX_TEXT_CHARS)
    }
}

/// A title on one line; RSS titles are read as HTML when they look like it.
fn title_text(text: &Text, guess_markup: bool) -> String {
    let content = &text.content;
    let html = is_markup(text.content_type.as_str()) || (guess_markup && looks_like_html(content));
    let plain = if html {
        markup::to_text(content, MAX_TITLE_CHARS)
    } else {
        markup::plain(content, MAX_TITLE_CHARS)
    };
    markup::collapse(&plain)
}

/// True when `text` holds something shaped like a tag: `<` then a letter, `/` or `!`, and a
/// `>` before the next `<`. "x < y" and "a <3" are not markup; "<em>x</em>" is.
fn looks_like_html(text: &str) -> bool {
    // One pass: `open` is true while inside something that started like a tag.
    let mut open = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '<' => {
                open = chars
                    .peek()
                    .is_some_and(|n| n.is_ascii_alphabetic() || *n == '/' || *n == '!');
            }
            '>' if open => return true,
            _ => {}
        }
    }
    false
}

/// An absolute http(s) address from `href`, resolved against `base`.
pub(super) fn web_url(href: &str, base: Option<&Url>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let url = match base {
        Some(base) => base.join(href).ok()?,
        None => Url::parse(href).ok()?,
    };
    matches!(url.scheme(), "http" | "https")
        .then(|| url.host_str().is_some())
        .filter(|has_host| *has_host)
        .map(|_| url.to_string())
}

fn host(url: &str) -> Option<String> {
    Url::parse(url).ok()?.host_str().map(str::to_owned)
}

fn author(name: &str) -> Option<String> {
    let name = markup::collapse(&markup::plain(name, MAX_AUTHOR_CHARS));
    (!name.is_empty()).then_some(name)
}

/// A language tag as declared, if it looks like one, in its usual case (`fr`, `en-GB`,
/// `zh-Hant-TW`): feeds write `fr-fr`, `FR` or `en_GB` as well.
fn language(tag: &str) -> Option<String> {
    let tag = tag.trim();
    let valid = !tag.is_empty()
        && tag.len() <= 35
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return None;
    }
    let subtags: Vec<String> = tag
        .split(['-', '_'])
        .filter(|s| !s.is_empty())
        .enumerate()
        .map(|(i, s)| match (i, s.len()) {
            (0, _) => s.to_ascii_lowercase(),
            (_, 2) => s.to_ascii_uppercase(),
            (_, 4) => {
                let lower = s.to_ascii_lowercase();
                lower[..1].to_ascii_uppercase() + &lower[1..]
            }
            _ => s.to_ascii_lowercase(),
        })
        .collect();
    (!subtags.is_empty()).then(|| subtags.join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://blog.example/feed/";
    const NOW: i64 = 1_790_000_000_000;

    #[test]
    fn markup_is_guessed_only_from_tag_shapes() {
        assert!(looks_like_html("Premier <em>article</em>"));
        assert!(looks_like_html("a<br/>b"));
        assert!(!looks_like_html("x < y and y > z"));
        assert!(!looks_like_html("I <3 Relais"));
        assert!(!looks_like_html("a<b <3"));
    }

    #[test]
    fn links_must_be_web_addresses() {
        let base = Url::parse(URL).ok();
        assert_eq!(
            web_url("../post/1", base.as_ref()).as_deref(),
            Some("https://blog.example/post/1")
        );
        assert_eq!(web_url("javascript:alert(1)", base.as_ref()), None);
        assert_eq!(web_url("mailto:a@b.c", None), None);
        assert_eq!(web_url("relative", None), None);
    }

    #[test]
    fn language_tags_are_checked() {
        assert_eq!(language(" en_gb ").as_deref(), Some("en-GB"));
        assert_eq!(language("FR"), Some("fr".to_owned()));
        assert_eq!(language("zh-hant-tw").as_deref(), Some("zh-Hant-TW"));
        assert_eq!(language("-"), None);
        assert_eq!(language("<script>"), None);
        assert_eq!(language(""), None);
    }

    #[test]
    fn items_without_id_are_keyed_by_link_then_by_content() {
        let doc = r#"<rss version="2.0"><channel><title>t</title>
            <item><title>With link</title><link>/a</link></item>
            <item><title>Only text</title><description>Same words</description></item>
            <item><title>Only text</title><description>Same words</description></item>
            <item><description>Other words</description></item>
            </channel></rss>"#;
        let feed = parse_feed(doc.as_bytes(), None, URL, NOW).expect("a feed");
        let keys: Vec<&str> = feed.items.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys.len(), 3, "the repeated item is kept once: {keys:?}");
        assert_eq!(keys[0], "https://blog.example/a");
        assert!(keys[1].starts_with("sha256:") && keys[2].starts_with("sha256:"));
        assert_ne!(keys[1], keys[2]);
        let again = parse_feed(doc.as_bytes(), None, URL, NOW).expect("a feed");
        assert_eq!(feed, again, "keys are stable from one fetch to the next");
    }

    #[test]
    fn json_feed_items_are_read_too() {
        let doc = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "J",
            "home_page_url": "https://j.example/",
            "items": [{"id": "j1", "url": "/posts/1", "content_html": "<p>Hello <b>JSON</b></p>",
                       "date_published": "2026-03-01T10:00:00Z", "language": "en"}]}"#;
        let feed = parse_feed(doc.as_bytes(), Some("application/feed+json"), URL, NOW)
            .expect("a JSON feed");
        assert_eq!(feed.site.as_deref(), Some("j.example"));
        let item = &feed.items[0];
        assert_eq!(item.key, "j1");
        assert_eq!(item.text, "Hello JSON");
        assert_eq!(item.published_at, Some(1_772_359_200_000));
        let err = parse_feed(b"{\"a\": 1}", None, URL, NOW).expect_err("not a JSON Feed");
        assert_eq!(err.code(), "feed.not_a_feed");
    }

    #[test]
    fn very_long_ids_become_digests() {
        let id = "x".repeat(MAX_KEY_CHARS + 1);
        let doc = format!(
            "<rss version=\"2.0\"><channel><item><guid>{id}</guid><title>t</title></item></channel></rss>"
        );
        let feed = parse_feed(doc.as_bytes(), None, URL, NOW).expect("a feed");
        assert!(feed.items[0].key.starts_with("sha256:"));
    }

    #[test]
    fn dates_far_in_the_future_are_dropped() {
        let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
            <entry><id>1</id><title>soon</title><updated>2026-09-22T12:00:00Z</updated></entry>
            <entry><id>2</id><title>far</title><updated>2027-01-01T00:00:00Z</updated></entry>
            </feed>"#;
        // NOW is 2026-09-21T14:13:20Z: the first date is within a day, the second is not.
        let feed = parse_feed(doc.as_bytes(), None, URL, NOW).expect("a feed");
        assert_eq!(feed.items[0].published_at, Some(1_790_078_400_000));
        assert_eq!(feed.items[1].published_at, None);
    }
}

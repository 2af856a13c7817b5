//! Feeds (RSS, Atom, JSON Feed) turned into posts: the entries a feed holds, and the text of
//! the post each becomes. Pure: the bytes come from the caller.

use feed_rs::parser;

/// At most this many entries of one feed are read (a feed of 10,000 items is an archive, not
/// news): the newest ones.
pub const MAX_ENTRIES: usize = 50;
/// A title longer than this is cut (with an ellipsis) in the post.
const MAX_TITLE_CHARS: usize = 200;

/// One entry, as much as a post needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedEntry {
    /// Stable across reads: the entry's id (RSS guid, Atom id), else what the parser derives
    /// from its content.
    pub key: String,
    pub title: String,
    pub link: Option<String>,
    pub published_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the address does not give an RSS, Atom or JSON feed ({0}); check it opens as a feed in a browser"
)]
pub struct FeedError(pub String);

/// The entries of a feed document, oldest first, at most [`MAX_ENTRIES`] (the newest).
pub fn parse(bytes: &[u8]) -> Result<Vec<FeedEntry>, FeedError> {
    let feed = parser::parse(bytes).map_err(|e| FeedError(e.to_string()))?;
    let mut entries: Vec<FeedEntry> = feed
        .entries
        .into_iter()
        .map(|e| {
            let link = e
                .links
                .iter()
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .or_else(|| e.links.first())
                .map(|l| l.href.trim().to_owned())
                .filter(|h| h.starts_with("https://") || h.starts_with("http://"));
            FeedEntry {
                key: e.id,
                title: e.title.map(|t| plain_text(&t.content)).unwrap_or_default(),
                link,
                published_ms: e.published.or(e.updated).map(|d| d.timestamp_millis()),
            }
        })
        .filter(|e| !e.key.is_empty() && (!e.title.is_empty() || e.link.is_some()))
        .collect();
    // Newest first to keep the newest, then oldest first so that posts come in order. Entries
    // without a date keep the feed's order (newest first, as feeds are written).
    entries.reverse();
    entries.sort_by_key(|e| e.published_ms.unwrap_or(i64::MIN));
    let keep = entries.len().saturating_sub(MAX_ENTRIES);
    Ok(entries.split_off(keep))
}

/// Titles may carry markup and entities: keep the words.
fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text of the post an entry becomes: its title, then its address.
pub fn post_text(entry: &FeedEntry) -> String {
    let mut title: String = entry.title.chars().take(MAX_TITLE_CHARS).collect();
    if entry.title.chars().count() > MAX_TITLE_CHARS {
        title.push('…');
    }
    match (&entry.link, title.is_empty()) {
        (Some(link), true) => link.clone(),
        (Some(link), false) => format!("{title}\n\n{link}"),
        (None, _) => title,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>Blog</title>
<item><title>Second &amp; last</title><link>https://blog.example/2</link><guid>urn:2</guid>
  <pubDate>Tue, 24 Nov 2026 09:00:00 +0100</pubDate></item>
<item><title><![CDATA[Premier <em>article</em>]]></title><link>https://blog.example/1</link><guid>urn:1</guid>
  <pubDate>Mon, 23 Nov 2026 09:00:00 +0100</pubDate></item>
<item><title>No address</title><link>javascript:alert(1)</link><guid>urn:3</guid></item>
</channel></rss>"#;

    const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>News</title><id>urn:feed</id>
<updated>2026-11-23T08:00:00Z</updated>
<entry><title>Lancement</title><id>tag:news.example,2026:1</id>
  <link rel="enclosure" href="https://news.example/1.mp3"/>
  <link rel="alternate" href="https://news.example/1"/>
  <updated>2026-11-23T08:00:00Z</updated></entry>
</feed>"#;

    #[test]
    fn rss_items_come_oldest_first_with_plain_titles() {
        let e = parse(RSS.as_bytes()).unwrap();
        assert_eq!(
            e.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            ["urn:3", "urn:1", "urn:2"],
            "undated first, then by date"
        );
        assert_eq!(e[1].title, "Premier article");
        assert_eq!(e[2].title, "Second & last");
        assert_eq!(e[0].link, None, "only web addresses are kept");
        assert_eq!(post_text(&e[2]), "Second & last\n\nhttps://blog.example/2");
        assert_eq!(post_text(&e[0]), "No address");
    }

    #[test]
    fn atom_entries_use_their_alternate_link() {
        let e = parse(ATOM.as_bytes()).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].link.as_deref(), Some("https://news.example/1"));
        assert_eq!(e[0].key, "tag:news.example,2026:1");
    }

    #[test]
    fn long_feeds_keep_the_newest_and_long_titles_are_cut() {
        let items: String = (0..80)
            .map(|i| {
                format!(
                    "<item><title>{}</title><guid>g{i}</guid><pubDate>{}</pubDate></item>",
                    "x".repeat(300),
                    chrono::DateTime::from_timestamp(1_800_000_000 + i * 60, 0)
                        .unwrap()
                        .to_rfc2822()
                )
            })
            .collect();
        let doc = format!("<rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>");
        let e = parse(doc.as_bytes()).unwrap();
        assert_eq!(e.len(), MAX_ENTRIES);
        assert_eq!((e[0].key.as_str(), e[49].key.as_str()), ("g30", "g79"));
        assert_eq!(post_text(&e[0]).chars().count(), 201);
    }

    #[test]
    fn what_is_not_a_feed_is_refused_with_a_reason() {
        for junk in [
            "",
            "<html><body>hello</body></html>",
            "{\"a\": 1}",
            "\u{0}\u{1}",
        ] {
            let err = parse(junk.as_bytes()).unwrap_err();
            assert!(err.to_string().contains("RSS, Atom or JSON feed"), "{err}");
        }
    }
}

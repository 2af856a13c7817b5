//! Feed ingestion as any server may answer: bytes read as a feed (under several Content-Types),
//! as an OPML list and as a watched page. Never a panic; what is accepted keeps the promises
//! the pipeline relies on (bounded items and texts, unique non-empty keys, web links only, no
//! date more than a day ahead).
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use relais_sources::feed::{
    FUTURE_TOLERANCE_MS, MAX_ITEMS, MAX_KEY_CHARS, MAX_TEXT_CHARS, MAX_TITLE_CHARS,
};
use relais_sources::{PageSnapshot, page_change, parse_feed, parse_opml};

const NOW: i64 = 1_773_000_000_000;
const URL: &str = "https://feeds.example/blog/feed.xml";
const CONTENT_TYPES: [Option<&str>; 5] = [
    None,
    Some("application/rss+xml"),
    Some("text/xml; charset=iso-8859-1"),
    Some("text/html; charset=\"utf-8\""),
    Some("application/atom+xml; charset=shift_jis"),
];

fn is_web(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, doc)) = data.split_first() else {
        return;
    };
    let content_type = CONTENT_TYPES[usize::from(selector) % CONTENT_TYPES.len()];

    match parse_feed(doc, content_type, URL, NOW) {
        Ok(feed) => {
            assert!(feed.items.len() <= MAX_ITEMS);
            let mut keys = HashSet::new();
            for item in &feed.items {
                assert!(!item.key.is_empty());
                assert!(item.key.chars().count() <= MAX_KEY_CHARS + 7);
                assert!(keys.insert(item.key.as_str()), "duplicate key {}", item.key);
                assert!(item.text.chars().count() <= MAX_TEXT_CHARS);
                assert!(!item.text.is_empty() || item.url.is_some());
                if let Some(title) = &item.title {
                    assert!(!title.is_empty() && title.chars().count() <= MAX_TITLE_CHARS);
                }
                if let Some(url) = &item.url {
                    assert!(is_web(url), "{url}");
                }
                if let Some(at) = item.published_at {
                    assert!(at <= NOW + FUTURE_TOLERANCE_MS);
                }
            }
        }
        Err(error) => {
            assert!(error.code().starts_with("feed."));
            assert!(!error.to_string().is_empty());
        }
    }

    if let Ok(list) = parse_opml(doc) {
        let outlines = list.outlines;
        assert!(!outlines.is_empty());
        let mut seen = HashSet::new();
        for outline in &outlines {
            assert!(is_web(&outline.xml_url), "{}", outline.xml_url);
            assert!(seen.insert(outline.xml_url.as_str()));
            assert!(outline.categories.len() <= 8);
        }
    }

    let html = String::from_utf8_lossy(doc);
    let page = PageSnapshot::of(&html, URL);
    for passage in &page.passages {
        assert!(!passage.is_empty() && passage.trim() == passage);
    }
    assert_eq!(page_change(Some(&page), &page), None);
    let start = PageSnapshot::of("<p>before</p>", URL);
    if let Some(change) = page_change(Some(&start), &page) {
        assert_eq!(change.key, format!("{URL}#{}", page.hash));
        assert!(!change.text.is_empty());
    }
});

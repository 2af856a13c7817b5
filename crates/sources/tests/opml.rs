//! Importing a reader's subscription list, and feeding its addresses to the poller.

mod support;

use relais_sources::{OpmlError, parse_opml};
use support::fixture;

#[test]
fn a_reader_export_gives_its_feeds_with_their_folders() {
    let list = parse_opml(&fixture("subscriptions.opml")).expect("a subscription list");
    assert_eq!(
        list.skipped, 1,
        "the feed:// address is counted as left out"
    );
    let outlines = list.outlines;
    let summary: Vec<(&str, &str, Vec<&str>)> = outlines
        .iter()
        .map(|o| {
            (
                o.title.as_deref().unwrap_or(""),
                o.xml_url.as_str(),
                o.categories.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "Les nouvelles du port",
                "https://port.example/rss.xml",
                vec!["Presse locale"]
            ),
            (
                "Radio Quartier",
                "http://radio.example/feed",
                vec!["Presse locale", "Quartiers"]
            ),
            ("Harbour & Co", "https://feeds.example/harbour.atom", vec![]),
        ],
        "the feed:// address and the plain link are left out"
    );
    assert_eq!(
        outlines[0].html_url.as_deref(),
        Some("https://port.example/")
    );
    assert_eq!(outlines[1].html_url, None);
}

#[test]
fn a_feed_given_as_a_subscription_list_is_recognised() {
    let error = parse_opml(&fixture("rss20.xml")).expect_err("not OPML");
    assert!(matches!(error, OpmlError::NotOpml { .. }));
    assert!(
        error
            .to_string()
            .contains("add its address as a feed source"),
        "{error}"
    );
    assert_eq!(error.code(), "opml.not_opml");
}

#[test]
fn a_latin1_export_keeps_its_accents() {
    let doc = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><opml><body>\
               <outline text=\"Journaux\"><outline text=\"Le Café\" xmlUrl=\"https://cafe.example/rss\"/>\
               </outline></body></opml>";
    let bytes: Vec<u8> = doc
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect();
    let outlines = parse_opml(&bytes).expect("a subscription list").outlines;
    assert_eq!(outlines[0].title.as_deref(), Some("Le Café"));
}

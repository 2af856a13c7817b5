//! Listening queries as users may type them, and mentions as the web may send them: never a
//! panic in the parser, the tokenizer or the evaluation; what parses prints back to a query
//! that parses to the same; a query set finds what the query alone matches.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use relais_listen::query::{Doc, PreparedDoc, Query, QuerySet};

const FIXED: &str = "Mon #colis est en retard, @LaPoste ! Remboursement demandé au Service Client \
                     de L’Oréal… 𝐑𝐞𝐥𝐚𝐢𝐬 Œuvre coca-cola rock and roll 12:30 https://t.co/x";

fn fixed() -> &'static [PreparedDoc] {
    static DOCS: OnceLock<Vec<PreparedDoc>> = OnceLock::new();
    DOCS.get_or_init(|| {
        vec![
            PreparedDoc::of(&Doc::text(FIXED)),
            PreparedDoc::of(&Doc {
                text: FIXED,
                lang: Some("fr-CA"),
                author: Some("@Jean"),
                site: Some("https://news.example.com/a"),
                source: Some("rss"),
            }),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Whatever the bytes, as a mention's text: the tokenizer must cope.
    let as_mention = PreparedDoc::of(&Doc::text(&text));

    let Ok(query) = Query::parse(&text) else {
        return;
    };
    let printed = query.to_string();
    let reparsed = match Query::parse(&printed) {
        Ok(reparsed) => reparsed,
        Err(error) => panic!("{text:?} printed as {printed:?}, which does not parse: {error}"),
    };
    assert_eq!(reparsed, query, "{text:?} printed as {printed:?}");
    assert_eq!(reparsed.to_string(), printed);

    let set = QuerySet::new([(1, query.clone())]);
    let mut scratch = relais_listen::query::MatchScratch::new();
    let mut found = Vec::new();
    for doc in fixed().iter().chain([&as_mention]) {
        let alone = query.matches_prepared(doc);
        set.matching_prepared(doc, &mut scratch, &mut found);
        assert_eq!(found == [1], alone, "{text:?}");
    }
});

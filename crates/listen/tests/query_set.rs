//! A query set finds exactly the queries that match when each is evaluated alone: checked on a
//! few thousand generated queries and mentions (seeded, so a failure replays), and on cases
//! picked by hand for the prefilter's edges (wildcards, hashtags, queries without anchors).

use relais_listen::query::{Doc, MatchScratch, PreparedDoc, Query, QuerySet};
use relais_listen::workload::Rng;

/// Few words, so that queries and mentions meet often; with accents, case and lengths past
/// 8 bytes (the comparisons' fast path) on purpose.
const WORDS: &[&str] = &[
    "colis",
    "Retard",
    "réputation",
    "remboursement",
    "service",
    "client",
    "nul",
    "super",
    "livraison",
    "and",
    "Œuvre",
    "relais",
    "commande",
    "perdu",
    "x",
];
const NOISE: &[&str] = &[
    "le",
    "la",
    "de",
    "très",
    "vraiment",
    "!",
    "?",
    ",",
    "😡",
    "http://t.co/x",
];

fn word(rng: &mut Rng) -> String {
    let word = rng.pick(WORDS);
    match rng.below(10) {
        0 => word.to_uppercase(),
        1 => format!("#{word}"),
        2 => format!("@{word}"),
        _ => word.to_owned(),
    }
}

fn query_word(rng: &mut Rng) -> String {
    let word = word(rng);
    let letters: Vec<char> = word.chars().filter(|c| c.is_alphanumeric()).collect();
    if rng.below(6) == 0 && letters.len() > 3 {
        // A wildcard: the word's first 3 letters or more.
        let keep = 3 + rng.below(letters.len() - 3);
        let stem: String = letters[..keep].iter().collect();
        format!("{}{stem}*", if word.starts_with('#') { "#" } else { "" })
    } else {
        word
    }
}

fn phrase(rng: &mut Rng) -> String {
    let len = 1 + rng.below(3);
    let words: Vec<String> = (0..len).map(|_| query_word(rng)).collect();
    if len == 1 {
        words.join(" ")
    } else {
        format!("\"{}\"", words.join(" "))
    }
}

fn near_side(rng: &mut Rng) -> String {
    if rng.below(3) == 0 {
        format!("({} OR {})", phrase(rng), phrase(rng))
    } else {
        phrase(rng)
    }
}

fn field(rng: &mut Rng) -> String {
    rng.pick(&[
        "lang:fr",
        "lang:en",
        "author:@Jean",
        "site:example.com",
        "source:rss",
        "source:x",
    ])
    .to_owned()
}

fn expression(rng: &mut Rng, depth: usize) -> String {
    let choice = if depth >= 3 {
        rng.below(3)
    } else {
        rng.below(9)
    };
    match choice {
        0 | 1 => phrase(rng),
        2 => field(rng),
        3 => format!(
            "{} {}",
            expression(rng, depth + 1),
            expression(rng, depth + 1)
        ),
        4 => format!(
            "({} OR {})",
            expression(rng, depth + 1),
            expression(rng, depth + 1)
        ),
        5 => format!("{} -{}", expression(rng, depth + 1), phrase(rng)),
        6 => format!(
            "{} NOT ({})",
            expression(rng, depth + 1),
            expression(rng, depth + 1)
        ),
        7 => format!(
            "{} NEAR/{} {}",
            near_side(rng),
            rng.below(4),
            near_side(rng)
        ),
        _ => format!(
            "{} ONEAR/{} {}",
            near_side(rng),
            rng.below(4),
            near_side(rng)
        ),
    }
}

fn mention(rng: &mut Rng) -> (String, [Option<&'static str>; 4]) {
    let len = rng.below(16);
    let parts: Vec<String> = (0..len)
        .map(|_| {
            if rng.below(3) == 0 {
                rng.pick(NOISE).to_owned()
            } else {
                word(rng)
            }
        })
        .collect();
    let mut maybe = |values: &[&'static str]| {
        let i = rng.below(values.len() + 1);
        values.get(i).copied()
    };
    let fields = [
        maybe(&["fr", "en", "fr-CA"]),
        maybe(&["jean", "@Marie"]),
        maybe(&["news.example.com", "example.org"]),
        maybe(&["rss", "x"]),
    ];
    (parts.join(" "), fields)
}

#[test]
fn the_set_matches_what_each_query_matches_alone() {
    let mut rng = Rng(20_240_611);
    let mut queries = Vec::new();
    while queries.len() < 2_000 {
        let text = expression(&mut rng, 0);
        // Generated queries may only exclude: those are refused, and skipped here.
        let Ok(query) = Query::parse(&text) else {
            continue;
        };
        // Each printed query parses back to itself.
        assert_eq!(
            Query::parse(&query.to_string()).as_ref(),
            Ok(&query),
            "{text:?}"
        );
        let id = queries.len() as u64 * 7 + 3;
        queries.push((id, query));
    }
    let set = QuerySet::new(queries.iter().cloned());
    assert_eq!(set.len(), queries.len());
    assert!(
        set.unanchored() > 0 && set.unanchored() < queries.len() / 2,
        "{}",
        set.unanchored()
    );

    let mut scratch = MatchScratch::new();
    let mut found = Vec::new();
    let (mut pairs, mut matched, mut evaluated) = (0usize, 0usize, 0usize);
    for _ in 0..2_000 {
        let (text, [lang, author, site, source]) = mention(&mut rng);
        let doc = Doc {
            text: &text,
            lang,
            author,
            site,
            source,
        };
        let prepared = PreparedDoc::of(&doc);
        let expected: Vec<u64> = queries
            .iter()
            .filter(|(_, query)| query.matches_prepared(&prepared))
            .map(|(id, _)| *id)
            .collect();
        set.matching_into(&doc, &mut scratch, &mut found);
        assert_eq!(found, expected, "mention {text:?}");
        pairs += queries.len();
        matched += expected.len();
        evaluated += scratch.last_candidates();
    }
    // The test means something only if both outcomes are common, and the prefilter is only
    // worth having if it spares most evaluations.
    assert!(
        matched * 50 > pairs && matched * 2 < pairs,
        "{matched} of {pairs} pairs matched"
    );
    assert!(
        evaluated * 2 < pairs,
        "{evaluated} of {pairs} pairs evaluated"
    );
    println!("{matched} of {pairs} pairs matched, {evaluated} evaluated");
}

#[test]
fn wildcards_hashtags_and_unanchored_queries_are_found() {
    let texts = [
        (1, "rembours*"),
        (2, "#relais"),
        (3, "lang:fr"),
        (4, "relais OR author:jean"),
        (5, "\"service client\" -nul"),
        (6, "remboursem* NEAR/1 colis"),
        (7, "abc*"),
    ];
    let set = QuerySet::new(
        texts
            .iter()
            .map(|(id, text)| (*id, Query::parse(text).expect("parses"))),
    );
    assert_eq!(set.unanchored(), 2);
    let find = |text: &str, lang: Option<&str>| {
        set.matching(&Doc {
            lang,
            ..Doc::text(text)
        })
    };
    assert_eq!(find("Remboursés !", None), vec![1]);
    assert_eq!(find("vive #Relais", Some("fr")), vec![2, 3, 4]);
    assert_eq!(find("service client nul", Some("en")), Vec::<u64>::new());
    assert_eq!(find("le Service-Client", None), vec![5]);
    assert_eq!(find("colis remboursements", None), vec![1, 6]);
    // Stems sharing their first bytes with other stems and words.
    assert_eq!(find("abc abcd ab", None), vec![7]);
    assert!(find("", None).is_empty());
}

#[test]
fn a_set_is_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<QuerySet>();
    shared::<Query>();
}

#[test]
fn a_scratch_serves_many_mentions_and_many_sets() {
    let small = QuerySet::new([(10, Query::parse("colis").expect("parses"))]);
    let large = QuerySet::new(
        (0..100).map(|i| (i, Query::parse(&format!("w{i} OR colis")).expect("parses"))),
    );
    let mut scratch = MatchScratch::new();
    let mut out = vec![999];
    small.matching_into(&Doc::text("colis"), &mut scratch, &mut out);
    assert_eq!(out, vec![10]);
    large.matching_into(&Doc::text("w5"), &mut scratch, &mut out);
    assert_eq!(out, vec![5]);
    large.matching_into(&Doc::text("colis"), &mut scratch, &mut out);
    assert_eq!(out.len(), 100);
    small.matching_into(&Doc::text("rien"), &mut scratch, &mut out);
    assert!(out.is_empty());
    assert!(QuerySet::new([]).matching(&Doc::text("colis")).is_empty());
}

//! The query language's meaning: each operator, accents and case, NEAR distances at their
//! boundary, wildcards, hashtags and mentions, fields, nesting, and the normalised printing.

use relais_listen::query::{Doc, Query};

fn query(text: &str) -> Query {
    Query::parse(text).unwrap_or_else(|error| panic!("{text:?} should parse: {error}"))
}

/// Asserts which of `texts` the query matches (`true`) and which it does not.
fn check(query_text: &str, cases: &[(&str, bool)]) {
    let parsed = query(query_text);
    for &(text, expected) in cases {
        assert_eq!(
            parsed.matches(&Doc::text(text)),
            expected,
            "{query_text:?} on {text:?} should be {expected}"
        );
    }
}

#[test]
fn juxtaposed_words_and_and_both_require_every_word() {
    for q in ["colis retard", "colis AND retard"] {
        check(
            q,
            &[
                ("Mon colis est en retard", true),
                ("retard, encore, pour le colis", true),
                ("Mon colis est arrivé", false),
                ("", false),
            ],
        );
    }
}

#[test]
fn or_takes_either_and_binds_looser_than_and() {
    check(
        "colis OR commande",
        &[
            ("le colis", true),
            ("la commande", true),
            ("la livraison", false),
        ],
    );
    // a b OR c = (a AND b) OR c
    check(
        "colis retard OR perdu",
        &[("perdu", true), ("colis retard", true), ("colis", false)],
    );
    // a OR b c = a OR (b AND c)
    check(
        "perdu OR colis retard",
        &[("perdu", true), ("colis", false), ("retard colis", true)],
    );
}

#[test]
fn not_and_minus_exclude_words_phrases_and_groups() {
    for q in ["colis -retard", "colis NOT retard", "colis AND NOT retard"] {
        check(q, &[("colis arrivé", true), ("colis en retard", false)]);
    }
    check(
        "colis -\"en retard\"",
        &[("colis en retard", false), ("colis retard en vue", true)],
    );
    check(
        "colis -(retard OR perdu)",
        &[
            ("colis perdu", false),
            ("colis retard", false),
            ("colis reçu", true),
        ],
    );
    // A hyphen inside a word is no exclusion.
    check(
        "coca-cola",
        &[
            ("un Coca-Cola", true),
            ("coca cola", true),
            ("cola coca", false),
        ],
    );
}

#[test]
fn lowercase_and_or_not_are_words() {
    check(
        "rock and roll",
        &[("rock and roll", true), ("rock roll", false)],
    );
    check(
        "to be or not",
        &[("to be or not to be", true), ("to be", false)],
    );
}

#[test]
fn phrases_need_the_words_next_to_each_other_in_order() {
    check(
        "\"service client\"",
        &[
            ("Le Service Client est nul", true),
            ("le client du service", false),
            ("service du client", false),
            ("service-client", true),
        ],
    );
    // The apostrophe separates words the same way in queries and in texts.
    check("l'oréal", &[("chez L’Oréal Paris", true), ("oréal", false)]);
    check("oréal", &[("chez L'Oréal", true)]);
}

#[test]
fn case_and_accents_never_matter() {
    check(
        "reputation",
        &[
            ("Réputation", true),
            ("RÉPUTATION", true),
            ("reputations", false),
        ],
    );
    check("RÉPUTATION", &[("reputation", true)]);
    check("oeuvre", &[("Œuvre d'art", true)]);
    check("strasse", &[("Straße", true)]);
    check("Ça", &[("ca va", true)]);
    // Fancy letters of social posts fold to plain ones.
    check("relais", &[("𝐑𝐞𝐥𝐚𝐢𝐬", true), ("Ｒｅｌａｉｓ", true)]);
}

#[test]
fn near_counts_the_words_between_up_to_its_distance_in_either_order() {
    check(
        "colis NEAR/2 retard",
        &[
            ("colis retard", true),
            ("colis un deux retard", true), // 2 between: the boundary
            ("colis un deux trois retard", false), // 3 between: one past it
            ("retard un deux colis", true),
            ("retard un deux trois colis", false),
            ("colis", false),
        ],
    );
    check(
        "colis NEAR/0 retard",
        &[
            ("colis retard", true),
            ("retard colis", true),
            ("colis x retard", false),
        ],
    );
    // `near/n` in lowercase is the operator too.
    check(
        "colis near/1 retard",
        &[("colis x retard", true), ("colis x y retard", false)],
    );
}

#[test]
fn onear_wants_the_left_side_first() {
    check(
        "colis ONEAR/2 retard",
        &[
            ("colis un deux retard", true),
            ("colis un deux trois retard", false),
            ("retard colis", false),
            ("retard un colis", false),
        ],
    );
}

#[test]
fn near_sides_can_be_phrases_and_or_groups_and_never_share_a_word() {
    check(
        "\"service client\" NEAR/1 nul",
        &[
            ("service client vraiment nul", true),
            ("service client vraiment très nul", false),
            ("nul le service client", true),
            ("nul le très service client", false),
        ],
    );
    check(
        "(colis OR commande) NEAR/3 (retard OR \"pas reçu\")",
        &[
            ("commande toujours pas reçu", true),
            ("colis en gros retard", true),
            ("commande a b c d retard", false),
        ],
    );
    // One word cannot be both sides.
    check(
        "colis NEAR/1 colis",
        &[("colis", false), ("colis x colis", true)],
    );
    check(
        "rembours* NEAR/2 remboursement",
        &[("remboursement", false), ("remboursé remboursement", true)],
    );
}

#[test]
fn wildcards_match_word_beginnings() {
    check(
        "rembours*",
        &[
            ("Remboursement", true),
            ("remboursé", true),
            ("rembours", true),
            ("dérembourser", false),
            ("rembou", false),
        ],
    );
    check(
        "\"service client*\"",
        &[("service clientèle", true), ("service cli", false)],
    );
    // A wildcard longer than 8 bytes still compares all its letters.
    check(
        "remboursem*",
        &[("remboursements", true), ("remboursable", false)],
    );
}

#[test]
fn hashtags_and_mentions() {
    check(
        "#relais",
        &[
            ("vive #Relais", true),
            ("vive relais", false),
            ("@relais", false),
        ],
    );
    check(
        "@relais",
        &[
            ("merci @Relais", true),
            ("merci relais", false),
            ("#relais", false),
        ],
    );
    check(
        "relais",
        &[("#relais", true), ("@relais", true), ("relais", true)],
    );
    // Signs after a word are not signs.
    check("#sharp", &[("c#sharp", false)]);
}

#[test]
fn fields_test_what_is_known_of_the_mention() {
    let doc = |lang, author, site, source| Doc {
        text: "colis",
        lang,
        author,
        site,
        source,
    };
    let q = query("colis lang:fr");
    assert!(q.matches(&doc(Some("fr"), None, None, None)));
    assert!(q.matches(&doc(Some("FR-ca"), None, None, None)));
    assert!(!q.matches(&doc(Some("en"), None, None, None)));
    assert!(!q.matches(&doc(None, None, None, None)));
    assert!(query("colis -lang:en").matches(&doc(None, None, None, None)));

    let q = query("author:@Jérôme");
    assert!(q.matches(&doc(None, Some("jerome"), None, None)));
    assert!(q.matches(&doc(None, Some("@JEROME"), None, None)));
    assert!(!q.matches(&doc(None, Some("jeromeb"), None, None)));
    assert!(query("author:\"Jean  Dupont\"").matches(&doc(None, Some("jean dupont"), None, None)));

    let q = query("site:www.example.com");
    assert!(q.matches(&doc(None, None, Some("https://news.example.com/a/b"), None)));
    assert!(q.matches(&doc(None, None, Some("example.com"), None)));
    assert!(!q.matches(&doc(None, None, Some("badexample.com"), None)));

    let q = query("colis (source:rss OR source:Mastodon)");
    assert!(q.matches(&doc(None, None, None, Some("mastodon"))));
    assert!(!q.matches(&doc(None, None, None, Some("x"))));
}

#[test]
fn groups_nest() {
    check(
        "((colis OR commande) (retard OR (perdu -retrouvé))) -\"tout va bien\"",
        &[
            ("commande perdu", true),
            ("commande perdu puis retrouvé", false),
            ("colis en retard", true),
            ("colis en retard mais tout va bien", false),
            ("perdu", false),
        ],
    );
    check(
        "x (-a OR b)",
        &[("x", true), ("x a", false), ("x a b", true)],
    );
}

#[test]
fn display_normalises_and_parses_back_to_the_same_query() {
    let cases = [
        ("Colis  Retard", "colis AND retard"),
        ("a b OR c", "a AND b OR c"),
        ("a OR b c", "a OR b AND c"),
        ("(a OR b) c", "(a OR b) AND c"),
        ("(a OR (b OR c))", "a OR b OR c"),
        ("NOT (a b) x", "-(a AND b) AND x"),
        ("x -\"Service  Client\"", "x AND -\"service client\""),
        ("Coca-Cola", "\"coca cola\""),
        (
            "(colis OR \"pas reçu\") near/3 Retard*",
            "(colis OR \"pas recu\") NEAR/3 retard*",
        ),
        ("a ONEAR/0 b", "a ONEAR/0 b"),
        ("#Relais OR @Relais", "#relais OR @relais"),
        (
            "LANG:FR author:\"Jean Dupont\" site:https://www.Example.com/x",
            "lang:fr AND author:\"jean dupont\" AND site:example.com",
        ),
        ("x NOT NOT y", "x AND --y"),
    ];
    for (written, normalised) in cases {
        let parsed = query(written);
        assert_eq!(parsed.to_string(), normalised, "printing {written:?}");
        assert_eq!(query(normalised), parsed, "{normalised:?} parses back");
    }
}

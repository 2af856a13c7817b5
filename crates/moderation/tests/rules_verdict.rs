//! The verdict over a whole rule set: every matched rule, actions merged, reasons in both
//! languages, the stored JSON, errors naming the rule, and no panic on hostile input.

use relais_moderation::rules::{
    Action, Matched, Message, Reason, RecentMessage, Rule, RuleKind, RuleProblem, RuleSet, Verdict,
    fill_netiquette, merge_actions,
};

fn rule(id: u64, name: &str, kind: RuleKind, actions: Vec<Action>) -> Rule {
    Rule {
        id,
        name: name.into(),
        kind,
        actions,
        enabled: true,
    }
}

fn words(terms: &[&str]) -> RuleKind {
    RuleKind::WatchedWords {
        terms: terms.iter().map(|term| term.to_string()).collect(),
    }
}

fn tag(name: &str) -> Action {
    Action::Tag { name: name.into() }
}

fn reply(text: &str) -> Action {
    Action::AutoReply { text: text.into() }
}

#[test]
fn every_matching_rule_is_listed_and_actions_merge_strongest_first() {
    let set = RuleSet::compile(&[
        rule(
            1,
            "Arnaques",
            words(&["arnaque"]),
            vec![Action::Review, reply("Lisez {{netiquette_url}}")],
        ),
        rule(
            2,
            "Liens",
            RuleKind::Links {
                allowed_domains: vec!["exemple.fr".into()],
            },
            vec![tag("lien"), Action::Hide],
        ),
        rule(3, "Absent", words(&["introuvable"]), vec![Action::Delete]),
        rule(
            4,
            "Cris",
            RuleKind::Shouting {
                min_letters: 5,
                min_caps_ratio: 0.7,
            },
            vec![Action::Review, tag("cris"), reply("Du calme")],
        ),
        rule(
            5,
            "Insultes",
            RuleKind::Toxicity { min_score: 0.5 },
            vec![Action::Report, tag(" lien ")],
        ),
    ])
    .expect("compiles");
    let verdict = set.check(&Message {
        text: "UNE ARNAQUE, VOYEZ evil.com/x",
        toxicity: Some(0.9),
        ..Message::default()
    });
    let ids: Vec<u64> = verdict.matched.iter().map(|m| m.rule_id).collect();
    assert_eq!(ids, [1, 2, 4, 5]);
    assert_eq!(
        verdict.actions,
        [
            Action::Hide,
            Action::Report,
            Action::Review,
            reply("Lisez {{netiquette_url}}"),
            tag("lien"),
            tag("cris"),
        ]
    );
    assert!(!verdict.is_empty());
    let calm = set.check(&Message::text("Bonjour, une question sur ma commande"));
    assert!(calm.is_empty());
    assert!(calm.actions.is_empty());
}

#[test]
fn merge_order_is_documented_order() {
    let every = [
        tag("t"),
        reply("r"),
        Action::Review,
        Action::Report,
        Action::Mute,
        Action::Block,
        Action::Hide,
        Action::Delete,
    ];
    let merged = merge_actions(&every);
    let strengths: Vec<u8> = merged.iter().map(Action::strength).collect();
    assert_eq!(strengths, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(merged[0], Action::Delete);
    // A weaker action stays beside a stronger one: a network that cannot delete may hide.
    assert_eq!(
        merge_actions(&[Action::Hide, Action::Delete, Action::Hide]),
        [Action::Delete, Action::Hide]
    );
    // One reply, the first; tags once each (trimmed), in the order met.
    assert_eq!(
        merge_actions(&[reply("a"), tag("x"), reply("b"), tag(" x "), tag("y")]),
        [reply("a"), tag("x"), tag("y")]
    );
    assert!(merge_actions(&[]).is_empty());
}

#[test]
fn disabled_rules_never_match_but_are_still_checked() {
    let mut off = rule(1, "Arnaques", words(&["arnaque"]), vec![Action::Hide]);
    off.enabled = false;
    let set = RuleSet::compile(std::slice::from_ref(&off)).expect("compiles");
    assert_eq!(set.len(), 1);
    assert!(set.check(&Message::text("une arnaque")).is_empty());
    // The editor's test box tries a disabled rule anyway.
    assert!(
        relais_moderation::rules::test_rule(&off, "une arnaque")
            .expect("compiles")
            .is_some()
    );
    let mut broken = rule(2, "Cassée", words(&[]), vec![Action::Hide]);
    broken.enabled = false;
    let error = RuleSet::compile(&[off, broken]).expect_err("refused");
    assert_eq!((error.rule_id, error.problem), (2, RuleProblem::NoTerms));
    assert!(RuleSet::compile(&[]).expect("compiles").is_empty());
}

#[test]
fn the_first_broken_rule_is_named() {
    let error = RuleSet::compile(&[
        rule(1, "Bonne", words(&["arnaque"]), vec![Action::Hide]),
        rule(2, "Sans action", words(&["arnaque"]), vec![]),
        rule(3, "Vide", words(&[]), vec![Action::Hide]),
    ])
    .expect_err("refused");
    assert_eq!(error.rule_id, 2);
    assert_eq!(error.rule_name, "Sans action");
    assert_eq!(error.problem, RuleProblem::NoActions);
    assert_eq!(
        error.to_string(),
        "rule “Sans action” (#2): the rule has no action: choose at least one (review, hide, delete…)"
    );
    let french = error.describe("fr-FR");
    assert!(
        french.starts_with("règle «\u{a0}Sans action\u{a0}» (n°\u{a0}2)"),
        "{french}"
    );
    assert!(french.contains("aucune action"), "{french}");
}

#[test]
fn reasons_in_french_and_english() {
    let cases = [
        (
            Reason::WatchedWords {
                terms: vec!["arnaque".into()],
            },
            "contains the watched word “arnaque”",
            "contient le mot surveillé «\u{a0}arnaque\u{a0}»",
        ),
        (
            Reason::WatchedWords {
                terms: vec!["service client nul".into()],
            },
            "contains the watched phrase “service client nul”",
            "contient l’expression surveillée «\u{a0}service client nul\u{a0}»",
        ),
        (
            Reason::Shouting {
                percent: 73,
                letters: 30,
            },
            "73% capitals",
            "73\u{a0}% de majuscules",
        ),
        (
            Reason::NewAccount { age_days: 2 },
            "account 2 days old",
            "compte créé il y a 2 jours",
        ),
        (
            Reason::Repeated {
                times: 3,
                within: 600,
            },
            "same message sent 3 times in 10 minutes",
            "même message envoyé 3 fois en 10 minutes",
        ),
        (
            Reason::Toxicity {
                score: 0.93,
                min_score: 0.8,
            },
            "toxicity score 0.93 (threshold 0.80)",
            "score de toxicité 0,93 (seuil 0,80)",
        ),
    ];
    for (reason, en, fr) in cases {
        assert_eq!(reason.describe("en"), en);
        assert_eq!(reason.describe("fr"), fr);
        // Other languages get English; regional French is French.
        assert_eq!(reason.describe("de"), en);
        assert_eq!(reason.describe("fr_CA"), fr);
    }
    assert_eq!(
        Reason::Repeated {
            times: 2,
            within: 90
        }
        .describe("fr"),
        "même message envoyé 2 fois en 90 secondes"
    );
    assert_eq!(
        Reason::NewAccount { age_days: 0 }.describe("en"),
        "account less than a day old"
    );
}

#[test]
fn rules_read_and_write_the_documented_json() {
    let stored = r#"[
        {"id": 7, "name": "Arnaques", "enabled": true, "kind": "watched_words",
         "terms": ["arnaque", "rembours*", "service client nul"],
         "actions": [{"type": "hide"}, {"type": "auto_reply", "text": "Merci de lire {{netiquette_url}}"}]},
        {"id": 8, "name": "Codes promo", "kind": "regex", "pattern": "code\\s*promo", "case_insensitive": true, "actions": [{"type": "review"}]},
        {"id": 9, "name": "Liens", "kind": "links", "allowed_domains": ["exemple.fr"], "actions": [{"type": "review"}]},
        {"id": 10, "name": "Cris", "kind": "shouting", "min_letters": 12, "min_caps_ratio": 0.7, "actions": [{"type": "tag", "name": "cris"}]},
        {"id": 11, "name": "Répétitions", "kind": "repeated", "within": 600, "times": 3, "actions": [{"type": "hide"}]},
        {"id": 12, "name": "Comptes neufs", "kind": "new_account", "younger_than_days": 7, "actions": [{"type": "review"}]},
        {"id": 13, "name": "Insultes", "kind": "toxicity", "min_score": 0.8, "actions": [{"type": "hide"}, {"type": "report"}]},
        {"id": 14, "name": "Bloqués", "kind": "block_list", "handles": ["@troll"], "network": "mastodon", "actions": [{"type": "block"}]}
    ]"#;
    let rules: Vec<Rule> = serde_json::from_str(stored).expect("the documented JSON reads");
    assert_eq!(rules.len(), 8);
    assert_eq!(
        rules[0].actions,
        [Action::Hide, reply("Merci de lire {{netiquette_url}}")]
    );
    assert_eq!(
        rules[7].kind,
        RuleKind::BlockList {
            handles: vec!["@troll".into()],
            network: Some("mastodon".into())
        }
    );
    assert!(rules.iter().all(|rule| rule.enabled));
    RuleSet::compile(&rules).expect("the documented rules compile");
    // Written back, each reads to the same rule, with `kind` and flat fields.
    for rule in &rules {
        let json = serde_json::to_value(rule).expect("writes");
        assert!(
            json.get("kind").is_some_and(|kind| kind.is_string()),
            "{json}"
        );
        let back: Rule = serde_json::from_value(json).expect("reads back");
        assert_eq!(&back, rule);
    }
    let no_network = serde_json::to_value(rule(
        1,
        "B",
        RuleKind::BlockList {
            handles: vec!["x".into()],
            network: None,
        },
        vec![Action::Block],
    ))
    .expect("writes");
    assert!(no_network.get("network").is_none(), "{no_network}");
    // An unknown kind or action is an error, not a silent rule.
    assert!(
        serde_json::from_str::<Rule>(r#"{"id":1,"name":"x","kind":"magic","actions":[]}"#).is_err()
    );
    assert!(serde_json::from_str::<Action>(r#"{"type":"explode"}"#).is_err());
}

#[test]
fn verdicts_serialise_for_the_audit_log() {
    let verdict = Verdict {
        matched: vec![Matched {
            rule_id: 7,
            rule_name: "Arnaques".into(),
            reason: Reason::WatchedWords {
                terms: vec!["arnaque".into()],
            },
        }],
        actions: vec![Action::Hide, tag("arnaque")],
    };
    let json = serde_json::to_value(&verdict).expect("writes");
    assert_eq!(
        json,
        serde_json::json!({
            "matched": [{"rule_id": 7, "rule_name": "Arnaques",
                         "reason": {"kind": "watched_words", "terms": ["arnaque"]}}],
            "actions": [{"type": "hide"}, {"type": "tag", "name": "arnaque"}]
        })
    );
    let back: Verdict = serde_json::from_value(json).expect("reads back");
    assert_eq!(back, verdict);
}

#[test]
fn the_netiquette_address_fills_the_reply() {
    assert_eq!(
        fill_netiquette(
            "Merci de lire {{netiquette_url}} ({{netiquette_url}})",
            "https://relais.example/n/acme"
        ),
        "Merci de lire https://relais.example/n/acme (https://relais.example/n/acme)"
    );
    assert_eq!(fill_netiquette("Sans lien", "https://x"), "Sans lien");
    assert_eq!(
        fill_netiquette("{{netiquette}}", "https://x"),
        "{{netiquette}}"
    );
}

#[test]
fn hostile_inputs_do_not_panic() {
    let texts = [
        String::new(),
        "\u{0}\u{200b}\u{feff}".into(),
        "🤬".repeat(5000),
        "a".repeat(100_000),
        "https://".repeat(200),
        "http://[::1".into(),
        "@".repeat(300) + "#" + &"x.".repeat(300),
        "é\u{301}".repeat(1000),
        "ǅ ǈ ǋ ß ẞ İ ı".into(),
        "x.y/".repeat(2000),
    ];
    let rules = [
        rule(
            1,
            "Mots",
            words(&["arnaque", "rembours*", "a b c"]),
            vec![Action::Hide],
        ),
        rule(
            2,
            "Expr",
            RuleKind::Regex {
                pattern: r"(\w+\s*)+$".into(),
                case_insensitive: true,
            },
            vec![Action::Review],
        ),
        rule(
            3,
            "Liens",
            RuleKind::Links {
                allowed_domains: vec![],
            },
            vec![Action::Review],
        ),
        rule(
            4,
            "Cris",
            RuleKind::Shouting {
                min_letters: 1,
                min_caps_ratio: 0.01,
            },
            vec![Action::Review],
        ),
        rule(
            5,
            "Rép",
            RuleKind::Repeated {
                within: 30 * 24 * 3600,
                times: 2,
            },
            vec![Action::Review],
        ),
        rule(
            6,
            "Neuf",
            RuleKind::NewAccount {
                younger_than_days: u32::MAX,
            },
            vec![Action::Review],
        ),
        rule(
            7,
            "Tox",
            RuleKind::Toxicity { min_score: 1.0 },
            vec![Action::Review],
        ),
        rule(
            8,
            "Bloc",
            RuleKind::BlockList {
                handles: vec!["@".repeat(3) + "x"],
                network: None,
            },
            vec![Action::Block],
        ),
    ];
    let set = RuleSet::compile(&rules).expect("compiles");
    for text in &texts {
        for (now, created) in [
            (i64::MIN, Some(i64::MAX)),
            (i64::MAX, Some(i64::MIN)),
            (0, None),
        ] {
            let recent = [
                RecentMessage {
                    text,
                    at_ms: i64::MIN,
                },
                RecentMessage {
                    text,
                    at_ms: i64::MAX,
                },
                RecentMessage { text, at_ms: now },
            ];
            let verdict = set.check(&Message {
                text,
                author: text,
                network: text,
                author_created_at_ms: created,
                recent: &recent,
                toxicity: Some(f32::INFINITY),
                now_ms: now,
            });
            assert!(verdict.matched.len() <= rules.len());
            for matched in &verdict.matched {
                assert!(!matched.reason.describe("fr").is_empty());
            }
        }
    }
    // Hostile rules are refused, not panicked on.
    for kind in [
        words(&["\u{0}*", "*", "\"\"", "a*b*"]),
        RuleKind::Regex {
            pattern: "(?P<".into(),
            case_insensitive: false,
        },
        RuleKind::Regex {
            pattern: "\\".into(),
            case_insensitive: true,
        },
        RuleKind::Links {
            allowed_domains: vec!["http://[::1".into()],
        },
        RuleKind::Shouting {
            min_letters: u32::MAX,
            min_caps_ratio: f32::MIN_POSITIVE,
        },
        RuleKind::Repeated {
            within: u64::MAX,
            times: u32::MAX,
        },
    ] {
        let _ = RuleSet::compile(&[rule(9, "Hostile", kind, vec![Action::Review])]);
    }
}

//! Rules that need more than the text: repeats (the author's recent messages), new accounts
//! (the account's creation time), toxicity (the score) and block lists (the author).

use relais_moderation::rules::{
    Action, Message, Reason, RecentMessage, Rule, RuleKind, RuleProblem, RuleSet, test_rule,
    test_rule_with,
};

const SECOND: i64 = 1000;
const DAY: i64 = 24 * 3600 * SECOND;
const NOW: i64 = 1_800_000_000_000;

fn rule(kind: RuleKind) -> Rule {
    Rule {
        id: 11,
        name: "Contexte".into(),
        kind,
        actions: vec![Action::Hide],
        enabled: true,
    }
}

fn repeated(within: u64, times: u32) -> Rule {
    rule(RuleKind::Repeated { within, times })
}

fn reason(rule: &Rule, message: &Message<'_>) -> Option<Reason> {
    test_rule_with(rule, message).expect("the rule compiles")
}

/// A message of `text` sent at `NOW`, after `recent` (text, seconds before now).
fn with_recent(rule: &Rule, text: &str, recent: &[(&str, i64)]) -> Option<Reason> {
    let recent: Vec<RecentMessage<'_>> = recent
        .iter()
        .map(|(text, seconds_ago)| RecentMessage {
            text,
            at_ms: NOW - seconds_ago * SECOND,
        })
        .collect();
    reason(
        rule,
        &Message {
            text,
            author: "@spammeur",
            network: "mastodon",
            recent: &recent,
            now_ms: NOW,
            ..Message::default()
        },
    )
}

#[test]
fn repeats_inside_the_window_count() {
    let rule = repeated(600, 3);
    let spam = "Achetez vite sur notre site promo";
    assert_eq!(
        with_recent(&rule, spam, &[(spam, 60), (spam, 300)]),
        Some(Reason::Repeated {
            times: 3,
            within: 600
        })
    );
    // `times` counts this message: one earlier sending is two, not three.
    assert_eq!(with_recent(&rule, spam, &[(spam, 60)]), None);
    // Case, accents, punctuation and mentions do not make a text new.
    assert_eq!(
        with_recent(
            &rule,
            "ACHETEZ vite sur notre SITE promo !!!",
            &[
                ("@alice achetez vite sur notre site promo", 30),
                ("Achetez, vite, sur notre sité promo", 90),
            ]
        ),
        Some(Reason::Repeated {
            times: 3,
            within: 600
        })
    );
    // Texts without words compare by their symbols; empty texts never repeat.
    assert!(with_recent(&repeated(600, 2), "🤬🤬🤬", &[("🤬🤬🤬", 10)]).is_some());
    assert!(with_recent(&repeated(600, 2), "🤬🤬🤬", &[("😀😀😀", 10)]).is_none());
    assert!(with_recent(&repeated(600, 2), "", &[("", 10)]).is_none());
}

#[test]
fn repeats_outside_the_window_do_not() {
    let rule = repeated(600, 2);
    let spam = "Achetez vite sur notre site promo";
    assert_eq!(with_recent(&rule, spam, &[(spam, 601)]), None);
    assert!(with_recent(&rule, spam, &[(spam, 600)]).is_some());
    // Only the earlier sendings within the window are counted.
    assert_eq!(
        with_recent(
            &repeated(600, 3),
            spam,
            &[(spam, 100), (spam, 700), (spam, 9000)]
        ),
        None
    );
}

#[test]
fn nearly_the_same_text_is_a_repeat_different_text_is_not() {
    let rule = repeated(600, 2);
    let spam = "gagnez un iphone gratuit en cliquant sur mon profil maintenant";
    // One word in five may change: ten words, two changed.
    let changed = "gagnez un ipad gratuit en cliquant sur mon compte maintenant";
    assert!(with_recent(&rule, spam, &[(changed, 10)]).is_some());
    // Added and removed words count as changes too.
    let added = "gagnez vite un iphone gratuit en cliquant sur mon profil maintenant";
    assert!(with_recent(&rule, spam, &[(added, 10)]).is_some());
    // Three changed of ten is too many.
    let other = "gagnez un ipad offert en cliquant sur mon compte maintenant";
    assert!(with_recent(&rule, spam, &[(other, 10)]).is_none());
    // Short texts must be equal.
    assert!(with_recent(&rule, "oui merci", &[("non merci", 10)]).is_none());
    assert!(with_recent(&rule, "Oui merci", &[("oui, MERCI", 10)]).is_some());
}

#[test]
fn only_the_window_of_each_rule_counts() {
    let set = RuleSet::compile(&[
        Rule {
            id: 1,
            name: "Rafale".into(),
            ..repeated(60, 2)
        },
        Rule {
            id: 2,
            name: "Journée".into(),
            ..repeated(86_400, 3)
        },
    ])
    .expect("compiles");
    let spam = "Achetez vite sur notre site promo";
    let recent = [
        RecentMessage {
            text: spam,
            at_ms: NOW - 3600 * SECOND,
        },
        RecentMessage {
            text: spam,
            at_ms: NOW - 7200 * SECOND,
        },
    ];
    let verdict = set.check(&Message {
        text: spam,
        recent: &recent,
        now_ms: NOW,
        ..Message::default()
    });
    let names: Vec<&str> = verdict
        .matched
        .iter()
        .map(|m| m.rule_name.as_str())
        .collect();
    assert_eq!(names, ["Journée"]);
}

#[test]
fn repeat_settings_are_checked() {
    let problem = |rule: Rule| test_rule(&rule, "x").expect_err("refused").problem;
    assert_eq!(
        problem(repeated(600, 1)),
        RuleProblem::RepeatTimes { value: 1 }
    );
    assert_eq!(
        problem(repeated(0, 3)),
        RuleProblem::RepeatWindow { value: 0 }
    );
    assert_eq!(
        problem(repeated(31 * 24 * 3600, 3)),
        RuleProblem::RepeatWindow {
            value: 31 * 24 * 3600
        }
    );
}

#[test]
fn new_accounts_by_age() {
    let young = rule(RuleKind::NewAccount {
        younger_than_days: 7,
    });
    let created = |ms: Option<i64>| Message {
        text: "bonjour",
        author_created_at_ms: ms,
        now_ms: NOW,
        ..Message::default()
    };
    assert_eq!(
        reason(&young, &created(Some(NOW - 2 * DAY - 5 * SECOND))),
        Some(Reason::NewAccount { age_days: 2 })
    );
    assert_eq!(
        reason(&young, &created(Some(NOW - 3600 * SECOND))),
        Some(Reason::NewAccount { age_days: 0 })
    );
    assert!(reason(&young, &created(Some(NOW - 7 * DAY + SECOND))).is_some());
    assert_eq!(reason(&young, &created(Some(NOW - 7 * DAY))), None);
    assert_eq!(reason(&young, &created(Some(NOW - 400 * DAY))), None);
    // Unknown creation time: not matched.
    assert_eq!(reason(&young, &created(None)), None);
    // A creation time ahead of the message (clocks differ) is a brand new account.
    assert_eq!(
        reason(&young, &created(Some(NOW + DAY))),
        Some(Reason::NewAccount { age_days: 0 })
    );
    assert_eq!(
        test_rule(
            &rule(RuleKind::NewAccount {
                younger_than_days: 0
            }),
            "x"
        )
        .expect_err("refused")
        .problem,
        RuleProblem::AccountDays
    );
}

#[test]
fn toxicity_by_score() {
    let toxic = rule(RuleKind::Toxicity { min_score: 0.8 });
    let scored = |score: Option<f32>| Message {
        text: "t'es vraiment nul",
        toxicity: score,
        ..Message::default()
    };
    assert_eq!(
        reason(&toxic, &scored(Some(0.93))),
        Some(Reason::Toxicity {
            score: 0.93,
            min_score: 0.8
        })
    );
    assert!(reason(&toxic, &scored(Some(0.8))).is_some());
    assert_eq!(reason(&toxic, &scored(Some(0.79))), None);
    assert_eq!(reason(&toxic, &scored(None)), None);
    assert_eq!(reason(&toxic, &scored(Some(f32::NAN))), None);
    for bad in [0.0, 1.01, -1.0, f32::NAN] {
        let problem = test_rule(&rule(RuleKind::Toxicity { min_score: bad }), "x")
            .expect_err("refused")
            .problem;
        assert!(
            matches!(problem, RuleProblem::ToxicityScore { .. }),
            "{bad}"
        );
    }
}

#[test]
fn block_lists_by_handle_and_network() {
    let everywhere = rule(RuleKind::BlockList {
        handles: vec!["@Troll".into(), "spam@mastodon.social".into()],
        network: None,
    });
    let on_mastodon = rule(RuleKind::BlockList {
        handles: vec!["troll".into()],
        network: Some("Mastodon".into()),
    });
    let by = |author: &'static str, network: &'static str| Message {
        text: "coucou",
        author,
        network,
        ..Message::default()
    };
    assert_eq!(
        reason(&everywhere, &by("troll", "bluesky")),
        Some(Reason::BlockedAuthor {
            handle: "troll".into()
        })
    );
    assert!(reason(&everywhere, &by(" @TROLL ", "mastodon")).is_some());
    assert!(reason(&everywhere, &by("@Spam@Mastodon.Social", "mastodon")).is_some());
    assert_eq!(reason(&everywhere, &by("trollette", "mastodon")), None);
    assert_eq!(reason(&everywhere, &by("", "mastodon")), None);
    assert!(reason(&on_mastodon, &by("@troll", "mastodon")).is_some());
    assert_eq!(reason(&on_mastodon, &by("@troll", "bluesky")), None);
    let described = Reason::BlockedAuthor {
        handle: "troll".into(),
    };
    assert_eq!(
        described.describe("en"),
        "the author @troll is on the block list"
    );
}

#[test]
fn block_list_settings_are_checked() {
    let problem = |handles: &[&str], network: Option<&str>| {
        test_rule(
            &rule(RuleKind::BlockList {
                handles: handles.iter().map(|h| h.to_string()).collect(),
                network: network.map(String::from),
            }),
            "x",
        )
        .expect_err("refused")
        .problem
    };
    assert_eq!(problem(&[], None), RuleProblem::NoHandles);
    assert_eq!(problem(&["troll", " @ "], None), RuleProblem::EmptyHandle);
    assert_eq!(problem(&["troll"], Some("  ")), RuleProblem::EmptyNetwork);
}

#[test]
fn text_only_tests_never_match_context_rules() {
    let spam = "Achetez vite sur notre site promo";
    for kind in [
        RuleKind::Repeated {
            within: 600,
            times: 2,
        },
        RuleKind::NewAccount {
            younger_than_days: 7,
        },
        RuleKind::Toxicity { min_score: 0.1 },
        RuleKind::BlockList {
            handles: vec!["troll".into()],
            network: None,
        },
    ] {
        assert_eq!(
            test_rule(&rule(kind.clone()), spam).expect("compiles"),
            None,
            "{kind:?}"
        );
    }
}

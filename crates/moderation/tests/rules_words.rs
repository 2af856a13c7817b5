//! Watched words: words, phrases, wildcards, case and accent folding, hashtags, and terms that
//! try to be query operators.

use relais_moderation::rules::{
    Action, Message, Reason, Rule, RuleKind, RuleProblem, RuleSet, test_rule,
};

fn words_rule(id: u64, name: &str, terms: &[&str]) -> Rule {
    Rule {
        id,
        name: name.into(),
        kind: RuleKind::WatchedWords {
            terms: terms.iter().map(|term| term.to_string()).collect(),
        },
        actions: vec![Action::Review],
        enabled: true,
    }
}

/// The terms found in `text` by a rule of `terms`, or `None` when it does not match.
fn found(terms: &[&str], text: &str) -> Option<Vec<String>> {
    match test_rule(&words_rule(1, "Mots", terms), text).expect("the rule compiles") {
        Some(Reason::WatchedWords { terms }) => Some(terms),
        Some(other) => panic!("unexpected reason {other:?}"),
        None => None,
    }
}

fn refusal(terms: &[&str]) -> RuleProblem {
    test_rule(&words_rule(1, "Mots", terms), "un texte")
        .expect_err("the rule is refused")
        .problem
}

#[test]
fn a_word_matches_whole_words_only() {
    assert!(found(&["nul"], "c'est nul, vraiment").is_some());
    assert!(found(&["nul"], "nullement").is_none());
    assert!(found(&["nul"], "annuler ma commande").is_none());
    assert!(found(&["arnaque"], "les arnaqueurs sont partout").is_none());
}

#[test]
fn case_and_accents_are_folded_both_ways() {
    assert!(found(&["reputation"], "Votre Réputation en jeu").is_some());
    assert!(found(&["réputation"], "la REPUTATION du service").is_some());
    // Documented: folding knows no grammar, the participle folds to the same letters.
    assert!(found(&["arnaque"], "c'est une ARNAQUÉ").is_some());
    assert!(found(&["arnaqué"], "une arnaque").is_some());
    assert!(found(&["Noël"], "joyeux noel").is_some());
    assert!(found(&["arnaque"], "une arnaquette").is_none());
}

#[test]
fn a_wildcard_ends_a_word() {
    let terms = ["rembours*"];
    assert!(found(&terms, "Je veux être remboursé").is_some());
    assert!(found(&terms, "REMBOURSEMENT svp").is_some());
    assert!(found(&terms, "rembours").is_some());
    // The wildcard extends the end of a word, never its start.
    assert!(found(&terms, "non remboursable").is_some());
    assert!(found(&terms, "unrembourse").is_none());
    // In a phrase, the last word may be a wildcard.
    assert!(found(&["service client*"], "le service clientèle est fermé").is_some());
    assert!(found(&["service client*"], "le client du service").is_none());
}

#[test]
fn wildcards_that_cannot_work_are_refused_with_the_term() {
    for bad in ["*re", "re*", "re*mbours", "#*"] {
        match refusal(&[bad]) {
            RuleProblem::BadTerm { term, message } => {
                assert_eq!(term, bad);
                assert!(message.contains('*'), "{bad}: {message}");
            }
            other => panic!("{bad}: unexpected {other:?}"),
        }
    }
}

#[test]
fn a_term_of_several_words_is_a_phrase() {
    let terms = ["service client nul"];
    assert!(found(&terms, "Le Service-Client NUL, encore").is_some());
    assert!(found(&terms, "le service nul du client").is_none());
    assert!(found(&terms, "service client très nul").is_none());
    // Extra spaces in the term change nothing.
    assert!(found(&["  service   client  "], "un service client lent").is_some());
}

#[test]
fn terms_never_become_operators() {
    // `OR` is a word of the phrase, not an alternative.
    let or = ["chat OR chien"];
    assert!(found(&or, "un chat").is_none());
    assert!(found(&or, "un chien").is_none());
    assert!(found(&or, "chat or chien ?").is_some());
    // `NEAR/2` is the words "near 2".
    let near = ["colis NEAR/2 perdu"];
    assert!(found(&near, "colis vraiment bien perdu").is_none());
    assert!(found(&near, "colis near 2 perdu").is_some());
    // `-` does not exclude, `lang:` is not a field.
    assert!(found(&["-spam"], "encore du spam").is_some());
    assert!(found(&["lang:fr"], "lang fr").is_some());
    assert!(found(&["lang:fr"], "bonjour").is_none());
    // A quote cannot close the phrase to add an operator.
    let quoted = ["a\" OR \"arnaque"];
    assert!(found(&quoted, "arnaque").is_none());
    assert!(found(&quoted, "a or arnaque").is_some());
    // Parentheses are punctuation.
    assert!(found(&["(arnaque)"], "arnaque").is_some());
    assert!(found(&["(arnaque OR"], "C'est une arnaque !").is_none());
}

#[test]
fn terms_without_anything_to_find_are_refused() {
    for bad in ["", "   ", "\"", "(", "!!!", "\"\"\""] {
        match refusal(&["arnaque", bad]) {
            RuleProblem::BadTerm { term, .. } => assert_eq!(term, bad.trim()),
            other => panic!("{bad:?}: unexpected {other:?}"),
        }
    }
    assert_eq!(refusal(&[]), RuleProblem::NoTerms);
}

#[test]
fn hashtags_match_only_hashtags_plain_words_match_all() {
    assert!(found(&["#promo"], "Grosse #PROMO ce soir").is_some());
    assert!(found(&["#promo"], "une promo ce soir").is_none());
    assert!(found(&["promo"], "une promo ce soir").is_some());
    assert!(found(&["promo"], "une #promo ce soir").is_some());
    assert!(found(&["promo"], "merci @promo").is_some());
}

#[test]
fn the_reason_lists_every_term_found_in_the_rule_order() {
    let terms = ["honte", "arnaque", "rembours*", "absent"];
    let found = found(&terms, "Remboursez l'arnaque, honte à vous").expect("matches");
    assert_eq!(found, ["honte", "arnaque", "rembours*"]);
}

#[test]
fn lists_longer_than_a_query_are_fine() {
    // Far more words than one query of the listening language may hold (256).
    let terms: Vec<String> = (0..600).map(|n| format!("mot{n}")).collect();
    let terms: Vec<&str> = terms.iter().map(String::as_str).collect();
    assert_eq!(
        found(&terms, "voici mot599"),
        Some(vec!["mot599".to_string()])
    );
    assert!(found(&terms, "voici mot600").is_none());
    let too_many: Vec<String> = (0..=relais_moderation::rules::MAX_TERMS_PER_RULE)
        .map(|n| format!("m{n}"))
        .collect();
    let too_many: Vec<&str> = too_many.iter().map(String::as_str).collect();
    assert!(matches!(
        refusal(&too_many),
        RuleProblem::TooManyEntries { .. }
    ));
}

#[test]
fn terms_of_several_rules_are_told_apart() {
    let set = RuleSet::compile(&[
        words_rule(1, "Arnaques", &["arnaque", "escroc*"]),
        words_rule(2, "Insultes", &["nul", "honte"]),
        words_rule(3, "Livraison", &["colis perdu"]),
    ])
    .expect("compiles");
    let verdict = set.check(&Message::text(
        "Quelle honte, des escrocs ! Mon colis perdu",
    ));
    let names: Vec<(&str, &Reason)> = verdict
        .matched
        .iter()
        .map(|matched| (matched.rule_name.as_str(), &matched.reason))
        .collect();
    assert_eq!(
        names,
        [
            (
                "Arnaques",
                &Reason::WatchedWords {
                    terms: vec!["escroc*".into()]
                }
            ),
            (
                "Insultes",
                &Reason::WatchedWords {
                    terms: vec!["honte".into()]
                }
            ),
            (
                "Livraison",
                &Reason::WatchedWords {
                    terms: vec!["colis perdu".into()]
                }
            ),
        ]
    );
    assert!(set.check(&Message::text("une arnaque")).matched.len() == 1);
}

//! Regular-expression rules: matching, case, errors with line and column, limits.

use std::time::Instant;

use relais_moderation::rules::{
    Action, MAX_PATTERN_CHARS, Reason, Rule, RuleKind, RuleProblem, test_rule,
};

fn regex_rule(pattern: &str, case_insensitive: bool) -> Rule {
    Rule {
        id: 8,
        name: "Codes promo".into(),
        kind: RuleKind::Regex {
            pattern: pattern.into(),
            case_insensitive,
        },
        actions: vec![Action::Review],
        enabled: true,
    }
}

fn found(pattern: &str, case_insensitive: bool, text: &str) -> Option<String> {
    match test_rule(&regex_rule(pattern, case_insensitive), text).expect("the rule compiles") {
        Some(Reason::Regex { pattern: p, found }) => {
            assert_eq!(p, pattern);
            Some(found)
        }
        Some(other) => panic!("unexpected reason {other:?}"),
        None => None,
    }
}

fn problem(pattern: &str) -> RuleProblem {
    test_rule(&regex_rule(pattern, true), "texte")
        .expect_err("the rule is refused")
        .problem
}

#[test]
fn matches_and_reports_what_it_found() {
    assert_eq!(
        found(
            r"code\s*promo\s*\w+",
            true,
            "Utilisez le code promo SOLDES20 !"
        )
        .as_deref(),
        Some("code promo SOLDES20")
    );
    assert_eq!(found(r"\d{2}\s?\d{2}\s?\d{2}", true, "pas de numéro"), None);
    // What was found is cut to 80 characters.
    let long = "a".repeat(200);
    assert_eq!(
        found("a+", true, &long).map(|found| found.chars().count()),
        Some(80)
    );
}

#[test]
fn case_follows_the_flag_and_accents_are_not_folded() {
    assert!(found("arnaque", true, "ARNAQUE").is_some());
    assert!(found("arnaque", false, "ARNAQUE").is_none());
    assert!(found("arnaque", false, "arnaque").is_some());
    // Case-insensitive matching knows accented capitals…
    assert!(found("arnaqué", true, "ARNAQUÉ").is_some());
    // …but the text is as written: no accent folding.
    assert!(found("arnaque", true, "ARNAQUÉ !").is_none());
    assert!(found("reputation", true, "Réputation").is_none());
}

#[test]
fn a_syntax_error_gives_its_line_and_column() {
    match problem("code (promo") {
        RuleProblem::RegexSyntax {
            line,
            column,
            message,
        } => {
            assert_eq!((line, column), (1, 6));
            assert!(!message.is_empty());
        }
        other => panic!("unexpected {other:?}"),
    }
    match problem("(?x)\ncode\n  promo[") {
        RuleProblem::RegexSyntax { line, column, .. } => assert_eq!((line, column), (3, 8)),
        other => panic!("unexpected {other:?}"),
    }
    let shown = problem("a{2,1}").to_string();
    assert!(shown.contains("line 1, column"), "{shown}");
}

#[test]
fn an_expression_matching_every_message_is_refused() {
    for everything in ["x*", "a|", "(promo)?", ".*"] {
        assert_eq!(
            problem(everything),
            RuleProblem::RegexMatchesEverything,
            "{everything}"
        );
    }
    // Anchors and boundaries may match nothing at all, yet not every text: allowed.
    assert!(
        test_rule(&regex_rule("^$", true), "texte")
            .expect("compiles")
            .is_none()
    );
    assert!(
        test_rule(&regex_rule("^$", true), "")
            .expect("compiles")
            .is_some()
    );
    assert_eq!(problem("   "), RuleProblem::EmptyPattern);
}

#[test]
fn limits_are_refused_with_what_to_do() {
    let long = "a".repeat(MAX_PATTERN_CHARS + 1);
    assert_eq!(
        problem(&long),
        RuleProblem::PatternTooLong {
            chars: MAX_PATTERN_CHARS + 1,
            max: MAX_PATTERN_CHARS
        }
    );
    // Short to write, huge once compiled.
    assert_eq!(problem(r"\w{1000}\w{1000}"), RuleProblem::RegexTooBig);
    assert!(problem(r"\w{1000}").to_string().contains("repetition"));
    // Deep nesting is refused as a syntax error.
    let deep = format!("{}a{}", "(".repeat(100), ")".repeat(100));
    assert!(matches!(problem(&deep), RuleProblem::RegexSyntax { .. }));
}

#[test]
fn catastrophic_patterns_run_in_linear_time() {
    let text = format!("{}!", "a".repeat(50_000));
    let started = Instant::now();
    assert!(found("(a+)+$", true, &text).is_none());
    assert!(found("(a|aa)+b", true, &text).is_none());
    assert!(
        started.elapsed().as_secs() < 5,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn json_defaults_to_case_insensitive() {
    let rule: Rule = serde_json::from_str(
        r#"{"id": 8, "name": "Codes", "kind": "regex", "pattern": "promo", "actions": [{"type": "review"}]}"#,
    )
    .expect("reads");
    assert_eq!(
        rule.kind,
        RuleKind::Regex {
            pattern: "promo".into(),
            case_insensitive: true
        }
    );
    assert!(rule.enabled);
    assert!(test_rule(&rule, "PROMO").expect("compiles").is_some());
}

#[test]
fn the_error_names_the_rule() {
    let error = test_rule(&regex_rule("[", true), "x").expect_err("refused");
    assert_eq!(error.rule_id, 8);
    assert_eq!(error.rule_name, "Codes promo");
    let english = error.to_string();
    assert!(
        english.starts_with("rule “Codes promo” (#8): "),
        "{english}"
    );
    assert!(english.contains("line 1, column 1"), "{english}");
    let french = error.describe("fr");
    assert!(
        french.contains("Codes promo") && french.contains("ligne 1, colonne 1"),
        "{french}"
    );
}

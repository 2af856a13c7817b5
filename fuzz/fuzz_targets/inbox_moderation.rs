//! What people type into the inbox's rules editor and canned replies, and what fans write:
//! never a panic. The input's first line is a rule set as JSON (the rules editor stores rules
//! this way), the rest a message checked against it and also tried as a canned reply template.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_inbox::canned::{Values, check, render};
use relais_moderation::rules::{Message, RecentMessage, Rule, RuleSet, test_rule};

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let (rules_json, text) = input.split_once('\n').unwrap_or((&input, ""));

    // A canned reply: checked, then filled in; the two agree.
    let values = Values {
        contact_name: Some(text),
        contact_handle: Some("@fan"),
        brand: "Relais",
        agent_name: None,
        netiquette_url: Some("https://relais.example/n/x"),
    };
    assert_eq!(check(text).is_ok(), render(text, &values).is_ok());

    let Ok(rules) = serde_json::from_str::<Vec<Rule>>(rules_json) else {
        return;
    };
    if rules.len() > 8 {
        return;
    }
    for rule in &rules {
        let _ = test_rule(rule, text);
    }
    let Ok(set) = RuleSet::compile(&rules) else {
        return;
    };
    let recent = [
        RecentMessage { text, at_ms: 1_000 },
        RecentMessage { text: "hello", at_ms: 2_000 },
    ];
    let verdict = set.check(&Message {
        text,
        author: "@Fan",
        network: "mastodon",
        author_created_at_ms: Some(0),
        recent: &recent,
        toxicity: Some(0.5),
        now_ms: 3_000,
    });
    // Every matched rule is one of the set's, and actions come only with a match.
    assert!(verdict.matched.len() <= rules.len());
    if verdict.matched.is_empty() {
        assert!(verdict.actions.is_empty(), "actions without a matched rule");
    }
});

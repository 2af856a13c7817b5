//! Shouting rules: the share of capitals among letters, leaving handles, tags and links out.

use relais_moderation::rules::{Action, Reason, Rule, RuleKind, RuleProblem, test_rule};

fn shouting(min_letters: u32, min_caps_ratio: f32) -> Rule {
    Rule {
        id: 10,
        name: "Cris".into(),
        kind: RuleKind::Shouting {
            min_letters,
            min_caps_ratio,
        },
        actions: vec![Action::Tag {
            name: "cris".into(),
        }],
        enabled: true,
    }
}

/// `(percent, letters)` when a rule of 12 letters and 70 % matches `text`.
fn shout(text: &str) -> Option<(u8, u32)> {
    shout_with(shouting(12, 0.7), text)
}

fn shout_with(rule: Rule, text: &str) -> Option<(u8, u32)> {
    match test_rule(&rule, text).expect("the rule compiles") {
        Some(Reason::Shouting { percent, letters }) => Some((percent, letters)),
        Some(other) => panic!("unexpected reason {other:?}"),
        None => None,
    }
}

#[test]
fn mostly_capitals_is_shouting() {
    assert_eq!(shout("REMBOURSEZ MOI MAINTENANT"), Some((100, 23)));
    assert_eq!(shout("REMBOURSEZ moi MAINTENANT !!!"), Some((86, 23)));
    assert_eq!(shout("Remboursez-moi maintenant s'il vous plaît"), None);
    // Digits and punctuation are not letters.
    assert_eq!(shout("ABC 1234567890 !!!! ????"), None);
}

#[test]
fn short_messages_are_not_judged() {
    assert_eq!(shout("OK MERCI"), None);
    assert_eq!(shout("MDR"), None);
    assert_eq!(shout_with(shouting(3, 0.7), "MDR"), Some((100, 3)));
    assert_eq!(shout_with(shouting(4, 0.7), "MDR"), None);
    // One letter short of the minimum, then exactly the minimum.
    assert_eq!(shout("ARNAQUE TOTA"), None);
    assert_eq!(shout("ARNAQUE TOTAL"), Some((100, 12)));
    assert_eq!(shout(""), None);
}

#[test]
fn handles_tags_and_links_do_not_count() {
    // Calm sentence with shouted handles, tags and an address.
    let text = "@ORANGE_FR #SAV merci pour votre aide HTTPS://EXEMPLE.FR/PAGE";
    assert_eq!(shout(text), None);
    // Left alone, the handles and tags are too few letters to judge.
    assert_eq!(shout("@ORANGE_FR @SFR #SAV #FIBRE #PANNE"), None);
    // The same words outside handles count.
    assert!(shout("ORANGE FR SFR SAV FIBRE PANNE").is_some());
    // Punctuation before the sign does not hide a handle.
    assert_eq!(shout("(@ORANGE_SUPPORT_CLIENT) bonjour"), None);
}

#[test]
fn accented_and_fancy_capitals_count() {
    assert_eq!(shout("ÉÉÉÉÉÉ ÀÀÀÀÀÀ"), Some((100, 12)));
    // Mathematical bold capitals are capitals.
    assert_eq!(shout("𝐀𝐑𝐍𝐀𝐐𝐔𝐄 𝐓𝐎𝐓𝐀𝐋𝐄"), Some((100, 13)));
    // Scripts without case count for nothing, neither do emoji.
    assert_eq!(shout("骗子骗子骗子骗子骗子骗子骗子 😀😀😀😀"), None);
}

#[test]
fn the_threshold_is_exact() {
    // 7 capitals out of 10 letters: exactly 70 %.
    let rule = || shouting(10, 0.7);
    assert_eq!(shout_with(rule(), "ABCDEFGhij"), Some((70, 10)));
    assert_eq!(shout_with(rule(), "ABCDEFghij"), None);
    // 2 of 3 is 66 %, rounded down, and does not reach two thirds plus a bit.
    assert_eq!(shout_with(shouting(3, 0.67), "ABc"), None);
    assert_eq!(shout_with(shouting(3, 0.66), "ABc"), Some((66, 3)));
    assert_eq!(shout_with(shouting(3, 1.0), "ABC"), Some((100, 3)));
}

#[test]
fn wrong_thresholds_are_refused() {
    let problem = |rule: Rule| test_rule(&rule, "x").expect_err("refused").problem;
    assert_eq!(problem(shouting(0, 0.7)), RuleProblem::MinLetters);
    for ratio in [0.0, -0.5, 1.5, f32::NAN, f32::INFINITY] {
        assert!(
            matches!(problem(shouting(10, ratio)), RuleProblem::CapsRatio { .. }),
            "{ratio}"
        );
    }
}

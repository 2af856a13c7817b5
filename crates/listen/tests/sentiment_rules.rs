//! The rules of the sentiment scorer, seen from outside: negation, boosters, contrast, emoji,
//! capitals, both languages, and robustness on odd input.

use relais_listen::lang::Lang;
use relais_listen::sentiment::{Label, Sentiment, SentimentAnalyzer};

fn analyzer() -> SentimentAnalyzer {
    SentimentAnalyzer::new().expect("shipped sentiment data loads")
}

/// The lexicon scorer's normalised sum (the first dense feature), in −1..1.
fn compound(a: &SentimentAnalyzer, text: &str, lang: Lang) -> f64 {
    a.features_for_test(text, lang)
        .expect("a supported language")
        .1[0]
}

fn score(a: &SentimentAnalyzer, text: &str, lang: Lang) -> f32 {
    a.analyze(text, lang).score
}

#[test]
fn negation_flips_the_valence() {
    let a = analyzer();
    for (plain, negated, lang) in [
        (
            "The new app is good",
            "The new app is not good",
            Lang::English,
        ),
        ("The new app isn't bad", "The new app is bad", Lang::English),
        (
            "Le service est génial",
            "Le service n'est pas génial",
            Lang::French,
        ),
        ("Je suis content", "Je ne suis jamais content", Lang::French),
    ] {
        let (p, n) = (compound(&a, plain, lang), compound(&a, negated, lang));
        assert!(p * n < 0.0, "{plain:?} {p} vs {negated:?} {n}");
    }
    assert!(
        score(&a, "The new app is good", Lang::English)
            > score(&a, "The new app is not good", Lang::English)
    );
}

#[test]
fn negation_stops_at_the_end_of_the_clause() {
    let a = analyzer();
    // "pas" belongs to the first clause; "génial" in the second stays positive.
    let c = compound(&a, "Pas de retard. Génial", Lang::French);
    assert!(c > 0.0, "{c}");
}

#[test]
fn boosters_strengthen_and_softeners_soften() {
    let a = analyzer();
    let good = compound(&a, "The support was good", Lang::English);
    let very = compound(&a, "The support was very good", Lang::English);
    let slightly = compound(&a, "The support was slightly good", Lang::English);
    assert!(very > good && good > slightly, "{very} {good} {slightly}");
    let bien = compound(&a, "Le film est bien", Lang::French);
    let tres = compound(&a, "Le film est très bien", Lang::French);
    assert!(tres > bien, "{tres} {bien}");
    // Elongated boosters count too ("trooop" is "trop").
    let trop = compound(&a, "Le film est trooop bien", Lang::French);
    assert!(trop > bien, "{trop} {bien}");
}

#[test]
fn what_follows_but_weighs_more() {
    let a = analyzer();
    let c = compound(
        &a,
        "The food was good but the service was horrible",
        Lang::English,
    );
    assert!(c < 0.0, "{c}");
    let c = compound(&a, "C'est cher mais vraiment excellent", Lang::French);
    assert!(c > 0.0, "{c}");
}

#[test]
fn emoji_and_emoticons_carry_sentiment() {
    let a = analyzer();
    let plain = compound(&a, "Meeting at five", Lang::English);
    assert_eq!(plain, 0.0);
    assert!(compound(&a, "Meeting at five 😍", Lang::English) > 0.0);
    assert!(compound(&a, "Meeting at five 😡", Lang::English) < 0.0);
    assert!(compound(&a, "Réunion à cinq heures :-(", Lang::French) < 0.0);
    assert!(compound(&a, "Réunion à cinq heures :)", Lang::French) > 0.0);
    // Skin tones and presentation selectors do not hide the emoji.
    assert!(compound(&a, "Réunion à cinq heures 👍🏽", Lang::French) > 0.0);
    assert!(compound(&a, "see you ❤️", Lang::English) > 0.0);
}

#[test]
fn capitals_and_exclamations_push_further() {
    let a = analyzer();
    let calm = compound(&a, "this is great", Lang::English);
    let caps = compound(&a, "this is GREAT", Lang::English);
    let bang = compound(&a, "this is great!!!", Lang::English);
    assert!(caps > calm && bang > calm, "{calm} {caps} {bang}");
}

#[test]
fn clear_cases_get_the_right_label() {
    let a = analyzer();
    let cases = [
        (
            "I love this, thank you so much! 😍",
            Lang::English,
            Label::Positive,
        ),
        (
            "Worst service ever, I hate waiting for nothing 😡",
            Lang::English,
            Label::Negative,
        ),
        (
            "Merci pour cet accueil formidable, bravo à toute l'équipe !",
            Lang::French,
            Label::Positive,
        ),
        (
            "Service nul, colis perdu, c'est une honte 😡",
            Lang::French,
            Label::Negative,
        ),
    ];
    for (text, lang, want) in cases {
        let got = a.analyze(text, lang);
        assert_eq!(got.label, want, "{text:?}: {got:?}");
        assert!(match want {
            Label::Positive => got.score > 0.3,
            Label::Negative => got.score < -0.3,
            Label::Neutral => got.score.abs() < 0.3,
        });
    }
}

#[test]
fn languages_without_a_model_get_no_opinion() {
    let a = analyzer();
    assert!(a.supports(Lang::French) && a.supports(Lang::English));
    assert!(!a.supports(Lang::German));
    assert_eq!(
        a.analyze("Das ist wunderbar", Lang::German),
        Sentiment::UNKNOWN
    );
}

#[test]
fn odd_input_never_panics_and_scores_stay_in_range() {
    let a = analyzer();
    let long = "très ".repeat(5000) + &"!".repeat(1000);
    let odd = [
        "",
        " \t\n ",
        "'''''''",
        "n't",
        "#",
        "@",
        "http",
        ":'(:'(:'(",
        "\u{200d}\u{fe0f}🏽",
        "İstanbul ΣΊΣΥΦΟΣ ǅ ß ﬁ",
        "a\u{301}\u{301}\u{301}",
        long.as_str(),
    ];
    for text in odd {
        for lang in [Lang::English, Lang::French] {
            let s = a.analyze(text, lang);
            assert!((-1.0..=1.0).contains(&s.score), "{text:?}: {s:?}");
        }
    }
}

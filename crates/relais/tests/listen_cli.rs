//! `relais listen test-query` as a script uses it: lines in, matching lines out, in order; an
//! invalid query refused with its column and a non-zero exit.

#![allow(clippy::unwrap_used)]

mod common;

use common::run_with_stdin as run_args;

fn run(query: &str, input: &str) -> (bool, String, String) {
    run_args(&["listen", "test-query", query], input)
}

#[test]
fn matching_lines_are_printed_in_order() {
    let input = "La Réputation de la marque en jeu\n\
                 remboursement refusé, service client absent\n\
                 rien à voir ici\n\
                 On demande un REMBOURSEMENT au service\r\n\
                 le service a fini par rembourser\n";
    let (ok, out, _) = run("rembours* NEAR/3 service -refusé", input);
    assert!(ok);
    assert_eq!(
        out,
        "On demande un REMBOURSEMENT au service\nle service a fini par rembourser\n"
    );
    let (ok, out, _) = run("reputation OR \"service client\"", input);
    assert!(ok);
    assert_eq!(
        out,
        "La Réputation de la marque en jeu\nremboursement refusé, service client absent\n"
    );
}

#[test]
fn an_invalid_query_exits_non_zero_with_its_column() {
    let (ok, out, err) = run("marque AND (prix NEAR service", "marque prix service\n");
    assert!(!ok);
    assert!(out.is_empty());
    assert!(err.contains("column"), "{err}");
    let (ok, _, err) = run("prix NEAR service", "");
    assert!(!ok);
    assert!(err.contains("column 6"), "{err}");
}

#[test]
fn sentiment_is_one_json_object_a_line_in_the_same_order() {
    let input = "J'adore ce produit, merci pour tout, c'est génial !\n\
                 This is the worst service ever, I am so angry.\n\
                 12345 !!!\n\
                 Quel désastre, je suis vraiment déçu et furieux.\n\
                 Absolutely love it, great job team!\n";
    let (ok, out, err) = run_args(&["analyze", "sentiment"], input);
    assert!(ok, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(serde_json::Value, &str)> = lines
        .iter()
        .map(|l| (l["lang"].clone(), l["label"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            (serde_json::json!("fr"), "positive"),
            (serde_json::json!("en"), "negative"),
            (serde_json::Value::Null, "neutral"),
            (serde_json::json!("fr"), "negative"),
            (serde_json::json!("en"), "positive"),
        ]
    );
    for line in &lines {
        let score = line["score"].as_f64().unwrap();
        assert!((-1.0..=1.0).contains(&score), "{line}");
    }
    assert!(lines[0]["score"].as_f64().unwrap() > 0.0);
    assert!(lines[1]["score"].as_f64().unwrap() < 0.0);

    // A language given: every line is read as that language.
    let (ok, out, _) = run_args(&["analyze", "sentiment", "--lang", "en"], "génial\nawful\n");
    assert!(ok);
    assert!(out.lines().all(|l| l.contains(r#""lang":"en""#)), "{out}");
    let (ok, _, err) = run_args(&["analyze", "sentiment", "--lang", "xx"], "");
    assert!(!ok);
    assert!(err.contains("fr") && err.contains("en"), "{err}");
}

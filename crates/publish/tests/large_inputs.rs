//! Adversarial texts of a few hundred kilobytes: every rule must stay (close to) linear, because
//! the web composer runs them on each keystroke and `relais post` on whatever file it is given.

use std::time::{Duration, Instant};

use relais_publish::facets;
use relais_publish::rules::{Draft, Network, check, check_thread, count};

fn shapes() -> Vec<String> {
    let n = 10_000;
    vec![
        format!("https://a.org/{}", ")".repeat(n * 4)),
        format!("https://a.org/{}", "(".repeat(n * 4)),
        "https://a.org ".repeat(n),
        "example.com/x ".repeat(n),
        "a.".repeat(n * 2),
        "(a.b".repeat(n),
        "@alice.bsky.social ".repeat(n),
        "@a@b.c ".repeat(n),
        "#tag ".repeat(n),
        "#tag_https://a.org ".repeat(n / 2),
        "\u{1F468}\u{200D}".repeat(n),
        "e\u{301}".repeat(n * 2),
        "中".repeat(n * 2),
        "\n\n".repeat(n),
    ]
}

#[test]
fn large_adversarial_inputs_stay_fast() {
    for text in shapes() {
        let started = Instant::now();
        for network in Network::ALL {
            let _ = count(network, &text);
            let _ = check(network, &Draft::text(text.as_str()));
        }
        let parts: Vec<Draft> = text.split("\n\n").take(100).map(Draft::text).collect();
        let _ = check_thread(Network::X, &parts);
        let _ = facets(&text);
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(10),
            "{took:?} for a text starting {:?}",
            text.chars().take(20).collect::<String>()
        );
    }
}

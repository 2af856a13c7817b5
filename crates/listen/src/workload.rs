//! Generated inputs for benchmarks and property tests: a seeded generator, and listening
//! queries in the shapes people write them (brand names with variants, exclusions, languages,
//! `NEAR`, wildcards, hashtags), drawn from the vocabulary of real mentions. The same seed gives
//! the same inputs, so a failure or a figure can be reproduced.

use std::collections::HashMap;

use crate::text::Words;

/// A seeded generator (splitmix64).
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// A uniform number in `0..1`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A word no mention uses: a brand nobody talks about.
pub fn made_up_word(rng: &mut Rng) -> String {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mi", "zu", "re", "ti", "va", "no", "pe", "sa", "gu", "bi", "do", "fe", "ri",
        "xo",
    ];
    let syllables = 2 + rng.below(3);
    (0..syllables)
        .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
        .collect()
}

/// Distinct folded words of the mentions, at least `min` characters long, except the
/// `skip_frequent` most frequent ones: listening queries name brands, products and topics, not
/// `the` or `pour`.
pub fn vocabulary(mentions: &[String], min: usize, skip_frequent: usize) -> Vec<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for text in mentions {
        for word in Words::of(text).iter() {
            *counts.entry(word.text.to_owned()).or_default() += 1;
        }
    }
    let mut by_frequency: Vec<(String, usize)> = counts.into_iter().collect();
    by_frequency.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    by_frequency
        .into_iter()
        .skip(skip_frequent)
        .map(|(word, _)| word)
        .filter(|word| word.chars().count() >= min && !word.chars().all(|c| c.is_ascii_digit()))
        .collect()
}

/// One query, its words drawn from `words` (or made up, half the time, for brand names).
pub fn generated_query(rng: &mut Rng, words: &[String]) -> String {
    let word = |rng: &mut Rng| {
        words
            .get(rng.below(words.len()))
            .cloned()
            .unwrap_or_else(|| made_up_word(rng))
    };
    let brand = |rng: &mut Rng| {
        if rng.chance(50) {
            made_up_word(rng)
        } else {
            word(rng)
        }
    };
    let b1 = brand(rng);
    let b2 = brand(rng);
    let lang = if rng.chance(50) { "fr" } else { "en" };
    match rng.below(10) {
        0..=3 => format!(
            "({b1} OR {b2} OR \"{b1} {}\") -{} lang:{lang}",
            word(rng),
            word(rng)
        ),
        4 | 5 => format!("{b1} NEAR/5 ({} OR {})", word(rng), word(rng)),
        6 => {
            let stem: String = b2.chars().take(5).collect();
            format!("\"{b1} {}\" OR {stem}*", word(rng))
        }
        7 | 8 => format!("{b1} ({} OR {}) -{}", word(rng), word(rng), word(rng)),
        _ => format!("#{b1} OR @{b1} OR {b1} OR \"{b1} {b2}\""),
    }
}

/// `count` queries for mentions like `mentions`: their words from the mentions' vocabulary
/// (3 letters or more, without the 300 most frequent words).
pub fn generated_queries(seed: u64, count: usize, mentions: &[String]) -> Vec<String> {
    let words = vocabulary(mentions, 3, 300);
    let mut rng = Rng(seed);
    (0..count)
        .map(|_| generated_query(&mut rng, &words))
        .collect()
}

/// A line of the development tweet files, whose `\uXXXX` escapes are decoded (as the trainer
/// does), trimmed.
pub fn decode_escapes(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find("\\u") {
        out.push_str(&rest[..at]);
        let decoded = rest
            .get(at + 2..at + 6)
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .and_then(char::from_u32);
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[at + 6..];
            }
            None => {
                out.push_str("\\u");
                rest = &rest[at + 2..];
            }
        }
    }
    out.push_str(rest);
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Query;

    #[test]
    fn generated_queries_parse_and_repeat_with_the_seed() {
        let mentions: Vec<String> = (0..50)
            .map(|i| {
                format!(
                    "mention {i} about relais and its concurrent {} things",
                    i * 7
                )
            })
            .collect();
        let a = generated_queries(42, 200, &mentions);
        assert_eq!(a, generated_queries(42, 200, &mentions));
        assert_ne!(a, generated_queries(43, 200, &mentions));
        for query in &a {
            Query::parse(query).unwrap_or_else(|e| panic!("{query}: {e}"));
        }
    }

    #[test]
    fn escapes_are_decoded_and_broken_ones_kept() {
        assert_eq!(decode_escapes(" caf\\u00e9 \\u26 "), "café \\u26");
        assert_eq!(decode_escapes("\\ud83d"), "\\ud83d");
    }
}

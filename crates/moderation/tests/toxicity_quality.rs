//! Toxicity quality on the development data (`../shared/data/moderation`, see its README):
//! precision, recall and macro-F1 (the F1 of both classes, averaged) on the held-out fifth of
//! the French and English tweets, and the share of ordinary tweets (the sentiment data's
//! validation tweets, `../shared/data/sentiment`) called toxic. Each figure must stay at the
//! level reached when the weights were shipped (0.005 of macro-F1 below, 0.01 of flagged
//! ordinary tweets above), so that a change that makes toxicity worse fails here.
//!
//! The split is the trainer's (`tools/train_toxicity.py`, `split()`): per class, the tweets
//! ordered by (FNV-1a 64 of the raw text, text), the first fifth (rounded) held out. The weights
//! never saw those tweets.
//!
//! Run with `--nocapture` to see the figures.

use std::path::{Path, PathBuf};

use relais_listen::lang::Lang;
use relais_moderation::toxicity::ToxicityScorer;

/// Levels reached by the shipped weights (see NOTICE.md).
const MIN_MACRO_F1_FR: f64 = 0.628;
const MIN_MACRO_F1_EN: f64 = 0.916;
const MAX_ORDINARY_FLAGGED_FR: f64 = 0.0;
const MAX_ORDINARY_FLAGGED_EN: f64 = 0.0124;
const F1_TOLERANCE: f64 = 0.005;
const FLAGGED_TOLERANCE: f64 = 0.01;

/// The first folder of `candidates` that holds `marker`, or an error that says where it looked
/// and what to do.
fn find_dir(what: &str, env: &str, shared: &str, marker: &str) -> Result<PathBuf, String> {
    let candidates = std::env::var_os(env).map(PathBuf::from).into_iter().chain([
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../../shared/data/{shared}")),
        PathBuf::from(format!("/work/shared/data/{shared}")),
    ]);
    let mut tried = Vec::new();
    for candidate in candidates {
        if candidate.join(marker).exists() {
            return Ok(candidate);
        }
        tried.push(candidate.display().to_string());
    }
    Err(format!(
        "{what} not found (tried: {}). Put it at <workspace>/../shared/data/{shared} or point \
         {env} at it.",
        tried.join(", ")
    ))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// HTML entities of the English tweets (`&amp;`, `&#128514;`), decoded as the trainer's
/// `unescape()`: numeric ones of 1 to 7 digits that name a char, and five named ones.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let entity = rest.find(';').map(|end| (&rest[1..end], end));
        let decoded = entity.and_then(|(name, end)| {
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => name
                    .strip_prefix('#')
                    .filter(|d| (1..=7).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|d| d.parse::<u32>().ok())
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The held-out tweets of `<lang>_dev.tsv`: (text, toxic).
fn held_out(dir: &Path, lang: Lang) -> Vec<(String, bool)> {
    let path = dir.join(format!("{}_dev.tsv", lang.code()));
    let text = read(&path);
    let rows: Vec<(bool, &str)> = text
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut fields = line.splitn(3, '\t');
            let (Some(toxic), Some(_label), Some(tweet)) =
                (fields.next(), fields.next(), fields.next())
            else {
                panic!("{}: line without 3 fields: {line:?}", path.display());
            };
            (toxic == "1", tweet)
        })
        .collect();
    let mut held = Vec::new();
    for class in [false, true] {
        let mut mine: Vec<(u64, &str)> = rows
            .iter()
            .filter(|(toxic, _)| *toxic == class)
            .map(|(_, tweet)| (fnv1a64(tweet.as_bytes()), *tweet))
            .collect();
        mine.sort();
        let count = (mine.len() as f64 / 5.0).round() as usize;
        held.extend(mine[..count].iter().map(|(_, t)| (unescape(t), class)));
    }
    held
}

struct Figures {
    precision: f64,
    recall: f64,
    macro_f1: f64,
}

fn figures(pairs: &[(bool, bool)]) -> Figures {
    let f1 = |class: bool| {
        let tp = pairs
            .iter()
            .filter(|(g, p)| *g == class && *p == class)
            .count() as f64;
        let predicted = pairs.iter().filter(|(_, p)| *p == class).count() as f64;
        let actual = pairs.iter().filter(|(g, _)| *g == class).count() as f64;
        let precision = if predicted > 0.0 { tp / predicted } else { 0.0 };
        let recall = if actual > 0.0 { tp / actual } else { 0.0 };
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        (precision, recall, f1)
    };
    let (precision, recall, f1_toxic) = f1(true);
    let (_, _, f1_clean) = f1(false);
    Figures {
        precision,
        recall,
        macro_f1: (f1_toxic + f1_clean) / 2.0,
    }
}

/// The share of the sentiment data's validation tweets in `lang` called toxic.
fn ordinary_flagged(scorer: &ToxicityScorer, dir: &Path, lang: Lang) -> f64 {
    let folder = if lang == Lang::French {
        "xlmt-french"
    } else {
        "xlmt-english"
    };
    let text = read(&dir.join(folder).join("val_text.txt"));
    let tweets: Vec<String> = text
        .lines()
        .map(relais_listen::workload::decode_escapes)
        .collect();
    let flagged = tweets
        .iter()
        .filter(|t| scorer.score(t, lang).toxic)
        .count();
    flagged as f64 / tweets.len() as f64
}

#[test]
fn toxicity_quality_does_not_regress() {
    let moderation = find_dir(
        "moderation development data",
        "RELAIS_MODERATION_DATA",
        "moderation",
        "fr_dev.tsv",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let sentiment = find_dir(
        "sentiment development data (the ordinary tweets)",
        "RELAIS_SENTIMENT_DATA",
        "sentiment",
        "xlmt-french",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let scorer = ToxicityScorer::new().expect("shipped toxicity data loads");
    let mut failures = Vec::new();
    for (lang, min_f1, max_flagged) in [
        (Lang::French, MIN_MACRO_F1_FR, MAX_ORDINARY_FLAGGED_FR),
        (Lang::English, MIN_MACRO_F1_EN, MAX_ORDINARY_FLAGGED_EN),
    ] {
        let tweets = held_out(&moderation, lang);
        let pairs: Vec<(bool, bool)> = tweets
            .iter()
            .map(|(text, gold)| (*gold, scorer.score(text, lang).toxic))
            .collect();
        let got = figures(&pairs);
        let flagged = ordinary_flagged(&scorer, &sentiment, lang);
        println!(
            "{lang}: {} held-out tweets: precision {:.4}, recall {:.4}, macro-F1 {:.4}; \
             ordinary tweets flagged {:.4}",
            tweets.len(),
            got.precision,
            got.recall,
            got.macro_f1,
            flagged
        );
        if got.macro_f1 < min_f1 - F1_TOLERANCE {
            failures.push(format!("{lang} macro-F1 fell to {:.4}", got.macro_f1));
        }
        if flagged > max_flagged + FLAGGED_TOLERANCE {
            failures.push(format!("{lang}: {flagged:.4} of ordinary tweets flagged"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("; "));
}

#[test]
fn the_split_and_the_entities_are_the_trainers() {
    // FNV-1a 64 reference values, and the decoding of the entities the English tweets hold.
    assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(
        unescape("a &amp; b &lt;3 &#128514;&#8230; &#55357; &bogus; &#12345678; &"),
        "a & b <3 😂… &#55357; &bogus; &#12345678; &"
    );
}

//! Sentiment quality on the development data (`../shared/data/sentiment`, see its README):
//! macro-F1 on the French and English validation tweets and Pearson's r between the score and
//! the human ratings of VADER's review and editorial snippets. Each figure must stay at or
//! above the level reached when the weights were shipped (minus 0.005), so that a change that
//! makes sentiment worse fails here instead of slipping through.
//!
//! Run with `--nocapture` to see the figures.

#[path = "common/devdata.rs"]
mod devdata;

use std::path::{Path, PathBuf};

use relais_listen::lang::Lang;
use relais_listen::sentiment::{Label, SentimentAnalyzer};

/// Levels reached by the shipped weights (see NOTICE.md); the test allows 0.005 below.
const MIN_MACRO_F1_EN: f64 = 0.656;
const MIN_MACRO_F1_FR: f64 = 0.662;
const MIN_PEARSON_SNIPPETS: f64 = 0.466;
const TOLERANCE: f64 = 0.005;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn tweets(dir: &Path, split: &str) -> Vec<(String, Label)> {
    let texts = read(&dir.join(format!("{split}_text.txt")));
    let labels = read(&dir.join(format!("{split}_labels.txt")));
    let texts: Vec<String> = texts.lines().map(devdata::decode_escapes).collect();
    let labels: Vec<Label> = labels
        .lines()
        .map(|l| match l.trim() {
            "0" => Label::Negative,
            "1" => Label::Neutral,
            "2" => Label::Positive,
            other => panic!("unknown label {other:?} in {}", dir.display()),
        })
        .collect();
    assert_eq!(texts.len(), labels.len(), "{}", dir.display());
    texts.into_iter().zip(labels).collect()
}

fn macro_f1(pairs: &[(Label, Label)]) -> f64 {
    let classes = [Label::Negative, Label::Neutral, Label::Positive];
    let mut sum = 0.0;
    for class in classes {
        let tp = pairs
            .iter()
            .filter(|(g, p)| *g == class && *p == class)
            .count() as f64;
        let predicted = pairs.iter().filter(|(_, p)| *p == class).count() as f64;
        let actual = pairs.iter().filter(|(g, _)| *g == class).count() as f64;
        let precision = if predicted > 0.0 { tp / predicted } else { 0.0 };
        let recall = if actual > 0.0 { tp / actual } else { 0.0 };
        sum += if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
    }
    sum / classes.len() as f64
}

fn pearson(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let mx = xs.iter().sum::<f64>() / n;
    let my = ys.iter().sum::<f64>() / n;
    let mut sxy = 0.0;
    let mut sxx = 0.0;
    let mut syy = 0.0;
    for (x, y) in xs.iter().zip(ys) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    sxy / (sxx * syy).sqrt()
}

fn validation_f1(analyzer: &SentimentAnalyzer, dir: &Path, lang: Lang) -> f64 {
    let pairs: Vec<(Label, Label)> = tweets(dir, "val")
        .iter()
        .map(|(text, gold)| (*gold, analyzer.analyze(text, lang).label))
        .collect();
    macro_f1(&pairs)
}

/// (file name, Pearson r) per snippet file, then over all snippets.
fn snippet_correlations(analyzer: &SentimentAnalyzer, dir: &Path) -> Vec<(String, f64)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut all = (Vec::new(), Vec::new());
    let mut out = Vec::new();
    for file in files {
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        // The snippets are Latin-1: each byte is the code point of the same number.
        let text: String = bytes.iter().map(|&b| char::from(b)).collect();
        let (mut scores, mut ratings) = (Vec::new(), Vec::new());
        for line in text.lines() {
            let mut fields = line.splitn(3, '\t');
            let (Some(_), Some(rating), Some(snippet)) =
                (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let Ok(rating) = rating.trim().parse::<f64>() else {
                continue;
            };
            scores.push(f64::from(analyzer.analyze(snippet, Lang::English).score));
            ratings.push(rating);
        }
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push((name, pearson(&scores, &ratings)));
        all.0.extend(scores);
        all.1.extend(ratings);
    }
    out.push(("all snippets".into(), pearson(&all.0, &all.1)));
    out
}

#[test]
fn sentiment_quality_does_not_regress() {
    let data = devdata::sentiment_data_dir().unwrap_or_else(|e| panic!("{e}"));
    let analyzer = SentimentAnalyzer::new().expect("shipped sentiment data loads");
    let f1_en = validation_f1(&analyzer, &data.join("xlmt-english"), Lang::English);
    let f1_fr = validation_f1(&analyzer, &data.join("xlmt-french"), Lang::French);
    println!("macro-F1, English validation tweets: {f1_en:.4}");
    println!("macro-F1, French validation tweets:  {f1_fr:.4}");
    let correlations = snippet_correlations(&analyzer, &data.join("vader-snippets"));
    for (name, r) in &correlations {
        println!("Pearson r, score vs human rating, {name}: {r:.4}");
    }
    let overall = correlations.last().map_or(f64::NAN, |(_, r)| *r);
    assert!(
        f1_en >= MIN_MACRO_F1_EN - TOLERANCE,
        "English macro-F1 fell to {f1_en:.4}"
    );
    assert!(
        f1_fr >= MIN_MACRO_F1_FR - TOLERANCE,
        "French macro-F1 fell to {f1_fr:.4}"
    );
    assert!(
        overall >= MIN_PEARSON_SNIPPETS - TOLERANCE,
        "Pearson r on the snippets fell to {overall:.4}"
    );
}

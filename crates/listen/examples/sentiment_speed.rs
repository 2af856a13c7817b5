//! Time of language identification and sentiment per mention, on the validation tweets of the
//! development data repeated, on one core:
//!
//!     cargo run --release -p relais-listen --example sentiment_speed [ROUNDS]
//!
//! The data folder is found as by the tests (`RELAIS_SENTIMENT_DATA`, else
//! `<workspace>/../shared/data/sentiment`). A peer figure: Python's `vaderSentiment` on the
//! same texts (see NOTICE.md for how it was measured).

#[path = "../tests/common/devdata.rs"]
mod devdata;

use std::hint::black_box;
use std::time::Instant;

use relais_listen::lang::{Lang, LanguageSet};
use relais_listen::sentiment::SentimentAnalyzer;

/// Nanoseconds this thread has run on a processor (Linux's schedstat), so that the figures do
/// not count the time other processes of a busy machine took; `None` elsewhere.
fn cpu_nanos() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// µs per text (processor time where the system tells it, else wall time): one warm-up round,
/// then the best of three timings of `rounds` rounds.
fn time_per_text(texts: &[(String, Lang)], rounds: usize, mut f: impl FnMut(&str, Lang)) -> f64 {
    for (text, lang) in texts {
        f(text, *lang);
    }
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let (wall, cpu) = (Instant::now(), cpu_nanos());
        for _ in 0..rounds {
            for (text, lang) in texts {
                f(text, *lang);
            }
        }
        let seconds = match (cpu, cpu_nanos()) {
            (Some(before), Some(after)) => (after - before) as f64 / 1e9,
            _ => wall.elapsed().as_secs_f64(),
        };
        best = best.min(seconds * 1e6 / (rounds * texts.len()) as f64);
    }
    best
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = std::env::args().nth(1).map_or(Ok(20), |r| r.parse())?;
    let data = devdata::sentiment_data_dir()?;
    let mut texts = Vec::new();
    for (folder, lang) in [
        ("xlmt-english", Lang::English),
        ("xlmt-french", Lang::French),
    ] {
        let path = data.join(folder).join("val_text.txt");
        for line in std::fs::read_to_string(&path)?.lines() {
            texts.push((devdata::decode_escapes(line), lang));
        }
    }
    let start = Instant::now();
    let languages = LanguageSet::french_english();
    let analyzer = SentimentAnalyzer::new()?;
    let load_ms = start.elapsed().as_secs_f64() * 1e3;

    let lang_us = time_per_text(&texts, rounds, |text, _| {
        black_box(languages.detect(black_box(text)));
    });
    let sentiment_us = time_per_text(&texts, rounds, |text, lang| {
        black_box(analyzer.analyze(black_box(text), lang));
    });
    let both_us = time_per_text(&texts, rounds, |text, fallback| {
        let lang = languages.detect(black_box(text)).unwrap_or(fallback);
        black_box(analyzer.analyze(text, lang));
    });
    let clock = if cpu_nanos().is_some() {
        "processor time"
    } else {
        "wall time"
    };
    println!(
        "{} validation tweets x {rounds} rounds, one thread, {clock} (data loaded in {load_ms:.1} ms)",
        texts.len()
    );
    println!(
        "language  {lang_us:7.3} µs/text  {:>9.0} texts/s",
        1e6 / lang_us
    );
    println!(
        "sentiment {sentiment_us:7.3} µs/text  {:>9.0} texts/s",
        1e6 / sentiment_us
    );
    println!(
        "both      {both_us:7.3} µs/text  {:>9.0} texts/s",
        1e6 / both_us
    );
    Ok(())
}

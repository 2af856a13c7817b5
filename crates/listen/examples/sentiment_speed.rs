//! Time of language identification and sentiment per mention, on the validation tweets of the
//! development data repeated, on one core:
//!
//!     cargo run --release -p relais-listen --example sentiment_speed [ROUNDS]
//!
//! The data folder is found as by the tests (`RELAIS_SENTIMENT_DATA`, else
//! `<workspace>/../shared/data/sentiment`). A peer figure: Python's `vaderSentiment` on the
//! same texts (see NOTICE.md for how it was measured).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use relais_listen::lang::{Lang, LanguageSet};
use relais_listen::sentiment::SentimentAnalyzer;

fn data_dir() -> Result<PathBuf, String> {
    std::env::var_os("RELAIS_SENTIMENT_DATA")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sentiment"),
            PathBuf::from("/work/shared/data/sentiment"),
        ])
        .find(|d| d.join("xlmt-french").is_dir())
        .ok_or_else(|| "development data not found: set RELAIS_SENTIMENT_DATA".to_owned())
}

/// The tweet files carry `\uXXXX` escapes: decoded as the tests do.
fn decode_escapes(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find("\\u") {
        out.push_str(&rest[..at]);
        match rest
            .get(at + 2..at + 6)
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .and_then(char::from_u32)
        {
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
    let data = data_dir()?;
    let mut texts = Vec::new();
    for (folder, lang) in [
        ("xlmt-english", Lang::English),
        ("xlmt-french", Lang::French),
    ] {
        let path = data.join(folder).join("val_text.txt");
        for line in std::fs::read_to_string(&path)?.lines() {
            texts.push((decode_escapes(line), lang));
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

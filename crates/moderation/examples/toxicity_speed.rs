//! How long toxicity takes per message: scores every tweet of the development data
//! (`../shared/data/moderation`, or the folder in `RELAIS_MODERATION_DATA`) several times, on
//! one thread, and prints the wall-clock time per tweet (run it on a quiet machine).
//!
//! `cargo run --release -p relais-moderation --example toxicity_speed`

use std::path::PathBuf;
use std::time::Instant;

use relais_listen::lang::Lang;
use relais_moderation::toxicity::ToxicityScorer;

const ROUNDS: usize = 20;

fn data_dir() -> Option<PathBuf> {
    std::env::var_os("RELAIS_MODERATION_DATA")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/moderation"),
            PathBuf::from("/work/shared/data/moderation"),
        ])
        .find(|dir| dir.join("fr_dev.tsv").is_file())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = data_dir().ok_or(
        "moderation development data not found: put it at <workspace>/../shared/data/moderation \
         or point RELAIS_MODERATION_DATA at it",
    )?;
    let started = Instant::now();
    let scorer = ToxicityScorer::new()?;
    println!(
        "loading the scorer: {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    for lang in [Lang::French, Lang::English] {
        let text = std::fs::read_to_string(dir.join(format!("{}_dev.tsv", lang.code())))?;
        let tweets: Vec<&str> = text
            .lines()
            .skip(1)
            .filter_map(|line| line.splitn(3, '\t').nth(2))
            .collect();
        let mut toxic = 0usize;
        let started = Instant::now();
        for _ in 0..ROUNDS {
            for tweet in &tweets {
                toxic += usize::from(scorer.score(tweet, lang).toxic);
            }
        }
        let per_tweet = started.elapsed().as_secs_f64() / (ROUNDS * tweets.len()) as f64;
        println!(
            "{lang}: {} tweets x {ROUNDS}: {:.2} µs a tweet ({:.1} % called toxic)",
            tweets.len(),
            per_tweet * 1e6,
            100.0 * toxic as f64 / (ROUNDS * tweets.len()) as f64
        );
    }
    Ok(())
}

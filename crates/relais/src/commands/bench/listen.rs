//! `relais bench listen`: how many posts a second the listening pipeline handles on one core
//! (language, 10 000 queries matched, sentiment, near-duplicate fingerprint), each step timed
//! apart, beside Python's vaderSentiment scoring the same texts in the same run.
//!
//! Texts: every tweet of the sentiment development data (French and English, train and
//! validation splits). Queries: generated from those tweets' vocabulary in the shapes people
//! write them (see `relais_listen::workload`), with a fixed seed. Times are processor time of
//! the measuring thread (so that other processes of a busy machine do not count), the fastest
//! of `--rounds` passes after a warm-up, each pass long enough for that clock to be precise.

use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use relais_listen::duplicate;
use relais_listen::found::Found;
use relais_listen::lang::{Lang, LanguageSet};
use relais_listen::pipeline::{Pipeline, PipelineScratch};
use relais_listen::query::Query;
use relais_listen::text::Words;
use relais_listen::workload;
use serde_json::json;

use crate::cli::BenchListenArgs;

const VADER_PEER: &str = include_str!("vader_peer.py");
/// The seed of the generated queries: the same queries every run.
const QUERY_SEED: u64 = 0x5EED;
/// Posts a batch holds when the pipeline runs step by step over batches (a poll's items).
const BATCH: usize = 256;

pub fn run(args: BenchListenArgs) -> Result<()> {
    let data = data_dir(args.data.as_deref())?;
    let texts = load_texts(&data)?;
    let started = Instant::now();
    let query_texts = workload::generated_queries(QUERY_SEED, args.queries as usize, &texts);
    let queries = query_texts
        .iter()
        .enumerate()
        .map(|(id, text)| {
            Query::parse(text)
                .map(|q| (id as u64, q))
                .map_err(|e| anyhow::anyhow!("generated query {text:?} does not parse: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let pipeline = Pipeline::new(LanguageSet::french_english(), queries)?;
    let build_ms = started.elapsed().as_secs_f64() * 1e3;
    let items: Vec<Found> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| Found {
            key: i.to_string(),
            text: text.clone(),
            ..Found::default()
        })
        .collect();
    let langs: Vec<Option<Lang>> = items.iter().map(|f| pipeline.language(f)).collect();
    println!(
        "{} texts (tweets of {}), {} queries compiled in {build_ms:.0} ms; one thread, {}, fastest of {} passes",
        items.len(),
        data.display(),
        pipeline.queries().len(),
        clock_name(),
        args.rounds,
    );

    let mut scratch = PipelineScratch::default();
    let rounds = args.rounds as usize;
    let language = time_per_item(&items, rounds, |_, found| {
        black_box(pipeline.language(black_box(found)));
    });
    let mut matched = 0usize;
    let matching = time_per_item(&items, rounds, |i, found| {
        let ids = pipeline.matching(black_box(found), langs[i], "x", &mut scratch);
        black_box(&ids);
    });
    for (found, lang) in items.iter().zip(&langs) {
        matched += usize::from(
            !pipeline
                .matching(found, *lang, "x", &mut scratch)
                .is_empty(),
        );
    }
    let sentiment = time_per_item(&items, rounds, |i, found| {
        black_box(pipeline.sentiment(black_box(&found.text), langs[i]));
    });
    // The pipeline fingerprints the words matching already cut: timed on words cut beforehand.
    let words: Vec<Words> = items.iter().map(|f| Words::of(&f.text)).collect();
    let fingerprint = time_per_item(&items, rounds, |i, _| {
        black_box(duplicate::fingerprint_of_words(black_box(&words[i])));
    });
    let whole = time_per_item(&items, rounds, |_, found| {
        black_box(pipeline.analyze(black_box(found), "x", true, &mut scratch));
    });
    // As the listener runs it: a poll's items in one batch, step by step (see
    // `Pipeline::analyze_batch`), sentiment only for those that match a query.
    let batches: Vec<&[Found]> = items.chunks(BATCH).collect();
    let whole_batched = time_per_batch(&batches, rounds, |batch| {
        black_box(pipeline.analyze_batch(black_box(batch), "x", true, &mut scratch));
    });
    let as_run = time_per_batch(&batches, rounds, |batch| {
        black_box(pipeline.analyze_batch(black_box(batch), "x", false, &mut scratch));
    });
    let peer = vader_peer(&args.python, &texts, args.rounds);

    let line = |name: &str, us: f64| {
        println!("  {name:<44} {us:>8.3} µs/post {:>11.0} posts/s", 1e6 / us);
    };
    println!("Relais, each step on every post:");
    line("language (fr/en scorer)", language);
    line(
        &format!("matching {} queries", pipeline.queries().len()),
        matching,
    );
    line("sentiment (lexicon, rules, linear model)", sentiment);
    line("near-duplicate fingerprint (of the words cut)", fingerprint);
    line("whole pipeline, post by post", whole);
    line(
        &format!("whole pipeline, in batches of {BATCH} posts"),
        whole_batched,
    );
    line(
        &format!(
            "as run: batches, sentiment for the {:.1} % matched",
            100.0 * matched as f64 / items.len().max(1) as f64
        ),
        as_run,
    );
    let mut figures = json!({
        "texts": items.len(),
        "queries": pipeline.queries().len(),
        "matched_share": matched as f64 / items.len().max(1) as f64,
        "us_per_post": {
            "language": language, "matching": matching, "sentiment": sentiment,
            "fingerprint": fingerprint, "whole": whole, "whole_batched": whole_batched,
            "as_run": as_run,
        },
    });
    match peer {
        Ok(vader_us) => {
            println!("Peer, same texts, same run:");
            line("Python vaderSentiment 3.3.2 polarity_scores", vader_us);
            println!(
                "Whole pipeline / vaderSentiment: {:.1}x faster post by post, {:.1}x in batches (aim: 10x)",
                vader_us / whole,
                vader_us / whole_batched
            );
            figures["vader_us_per_text"] = json!(vader_us);
            figures["speedup_whole"] = json!(vader_us / whole);
            figures["speedup_whole_batched"] = json!(vader_us / whole_batched);
        }
        Err(err) => println!("Peer not measured: {err:#}"),
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&figures)? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// µs per item of `pass` over batches, timed as [`time_per_item`] times its steps.
fn time_per_batch(batches: &[&[Found]], rounds: usize, mut pass: impl FnMut(&[Found])) -> f64 {
    let items: usize = batches.iter().map(|b| b.len()).sum();
    time_passes(items, rounds, || batches.iter().for_each(|b| pass(b)))
}

/// The development data folder: `--data`, else `RELAIS_SENTIMENT_DATA`, else
/// `../shared/data/sentiment` (from a checkout's root).
fn data_dir(given: Option<&Path>) -> Result<PathBuf> {
    let dir = given
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("RELAIS_SENTIMENT_DATA").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("../shared/data/sentiment"));
    if !dir.join("xlmt-french").is_dir() || !dir.join("xlmt-english").is_dir() {
        bail!(
            "{} has no xlmt-french/ and xlmt-english/ folders: point --data (or \
             RELAIS_SENTIMENT_DATA) at the sentiment development data",
            dir.display()
        );
    }
    Ok(dir)
}

fn load_texts(dir: &Path) -> Result<Vec<String>> {
    let mut texts = Vec::new();
    for language in ["xlmt-english", "xlmt-french"] {
        for split in ["train_text.txt", "val_text.txt"] {
            let path = dir.join(language).join(split);
            let content = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            texts.extend(
                content
                    .lines()
                    .map(workload::decode_escapes)
                    .filter(|t| !t.is_empty()),
            );
        }
    }
    if texts.is_empty() {
        bail!("no texts in {}", dir.display());
    }
    Ok(texts)
}

/// Nanoseconds this thread has run on a processor (Linux's schedstat); `None` elsewhere.
fn cpu_nanos() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

fn clock_name() -> &'static str {
    if cpu_nanos().is_some() {
        "processor time"
    } else {
        "wall time"
    }
}

/// The shortest timed pass: the kernel updates a thread's processor time at scheduler ticks
/// (every few milliseconds), so a pass must be long for that clock to be precise.
const MIN_PASS_SECONDS: f64 = 0.25;

/// µs per item of `step`: see [`time_passes`].
fn time_per_item(items: &[Found], rounds: usize, mut step: impl FnMut(usize, &Found)) -> f64 {
    time_passes(items.len(), rounds, || {
        for (i, item) in items.iter().enumerate() {
            step(i, item);
        }
    })
}

/// µs per item of `pass` (which goes over `items` items): one warm-up pass, then the fastest
/// of `rounds` timings, each repeating the pass as many times as it takes to last
/// [`MIN_PASS_SECONDS`].
fn time_passes(items: usize, rounds: usize, mut pass: impl FnMut()) -> f64 {
    let warm_up = Instant::now();
    pass();
    let once = warm_up.elapsed().as_secs_f64().max(1e-6);
    let repeats = (MIN_PASS_SECONDS / once).ceil().max(1.0) as usize;
    let mut best = f64::INFINITY;
    for _ in 0..rounds.max(1) {
        let (wall, cpu) = (Instant::now(), cpu_nanos());
        for _ in 0..repeats {
            pass();
        }
        best = best.min(elapsed_seconds(wall, cpu) * 1e6 / (repeats * items.max(1)) as f64);
    }
    best
}

/// Seconds since `wall` / `cpu` were read: processor time where the system tells it.
fn elapsed_seconds(wall: Instant, cpu: Option<u64>) -> f64 {
    match (cpu, cpu_nanos()) {
        (Some(before), Some(after)) => after.saturating_sub(before) as f64 / 1e9,
        _ => wall.elapsed().as_secs_f64(),
    }
}

/// vaderSentiment's µs per text on `texts`, run by `python`.
fn vader_peer(python: &str, texts: &[String], rounds: u32) -> Result<f64> {
    let mut child = Command::new(python)
        .args(["-c", VADER_PEER, &rounds.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {python}; install Python 3 or give --python"))?;
    let input = serde_json::to_vec(texts)?;
    let mut stdin = child.stdin.take().context("no stdin for the peer")?;
    // Written from another thread: the peer may write to stderr before reading everything.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output()?;
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("the thread feeding the peer panicked"))??;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("No module named") {
            bail!(
                "vaderSentiment is not installed: python3 -m pip install --no-deps -r peers/sentiment/requirements.txt"
            );
        }
        bail!("the peer failed: {}", stderr.trim());
    }
    let figures: serde_json::Value = serde_json::from_slice(&output.stdout)
        .context("the peer printed something that is not JSON")?;
    figures["us_per_text"]
        .as_f64()
        .context("the peer did not say its time per text")
}

//! `relais listen …`: the listening capability from the command line, for scripting and for
//! trying a query before saving it.

use std::io::{BufRead, BufWriter, Write};

use anyhow::{Context, Result, anyhow};
use relais_listen::lang::{Lang, LanguageSet};
use relais_listen::query::{Doc, PreparedDoc, Query};
use relais_listen::sentiment::{Sentiment, SentimentAnalyzer};

use crate::cli::TextLang;

/// Reads standard input a line at a time (bad UTF-8 replaced, so one bad line does not stop
/// the rest; a final `\r` dropped) and hands each line to `each` with the output.
pub(super) fn each_line(mut each: impl FnMut(&str, &mut dyn Write) -> Result<()>) -> Result<()> {
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for line in stdin.split(b'\n') {
        let bytes = line.context("cannot read standard input")?;
        let text = String::from_utf8_lossy(&bytes);
        each(text.strip_suffix('\r').unwrap_or(&text), &mut out)?;
    }
    out.flush().context("cannot write to standard output")
}

/// Prints the lines of standard input that `query` matches, in their order.
pub fn test_query(query: &str) -> Result<()> {
    let query = Query::parse(query).map_err(|e| anyhow!("invalid query: {e}"))?;
    let mut doc = PreparedDoc::new();
    each_line(|text, out| {
        doc.prepare(&Doc::text(text));
        if query.matches_prepared(&doc) {
            writeln!(out, "{text}").context("cannot write to standard output")?;
        }
        Ok(())
    })
}

/// Prints the sentiment of each line of standard input, in their order.
pub fn analyze_sentiment(lang: TextLang) -> Result<()> {
    let analyzer =
        SentimentAnalyzer::new().context("the sentiment data built into Relais is damaged")?;
    let languages = LanguageSet::french_english();
    each_line(|text, out| {
        let lang = match lang {
            TextLang::Fr => Some(Lang::French),
            TextLang::En => Some(Lang::English),
            TextLang::Auto => languages.detect(text),
        };
        let sentiment = match lang {
            Some(lang) => analyzer.analyze(text, lang),
            None => Sentiment::UNKNOWN,
        };
        // Three decimals: more would only show the model's noise.
        let score = (f64::from(sentiment.score) * 1000.0).round() / 1000.0;
        let line = serde_json::json!({
            "lang": lang.map(Lang::code),
            "label": sentiment.label.as_str(),
            "score": score,
        });
        writeln!(out, "{line}").context("cannot write to standard output")
    })
}

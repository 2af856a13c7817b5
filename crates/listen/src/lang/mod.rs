//! Language identification of mentions, restricted to the languages a workspace listens in.
//!
//! Why our own scorer rather than `lingua` or `whatlang`: on the 4,326 French and English tweets
//! of the development data, restricted to those two languages, lingua's low-accuracy mode is right
//! on 99.4 % of them in about 70 µs a tweet, whatlang on 99.4 % in about 11 µs, and this scorer,
//! which uses lingua's own letter statistics (see `data/lang/`), on 99.9 % in well under 1 µs.
//! Listening runs language and sentiment on every mention, so the time matters (the measured
//! figures are in the crate's NOTICE and from `relais bench listen`).
//!
//! The model: each word's letters are scored as a chain (first letter, then each letter given
//! the one or two before it) under every configured language, the sums are compared, and the
//! best language wins. URLs and @handles are skipped; hashtags count half, since they are often
//! English in tweets of any language.

mod scan;
mod table;

use std::fmt;
use std::ops::ControlFlow;

pub use table::LangTableError;

use table::NgramTable;

/// A language the detector knows. The set is the one the shipped table covers; a workspace
/// configures the subset it listens in with [`LanguageSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    English,
    French,
    Spanish,
    German,
    Italian,
    Portuguese,
    Dutch,
}

impl Lang {
    /// Every language the shipped table covers, in the table's column order.
    pub const ALL: [Lang; 7] = [
        Lang::English,
        Lang::French,
        Lang::Spanish,
        Lang::German,
        Lang::Italian,
        Lang::Portuguese,
        Lang::Dutch,
    ];

    /// The ISO 639-1 code, as used in the configuration and the table's header (`en`, `fr`…).
    pub fn code(self) -> &'static str {
        match self {
            Lang::English => "en",
            Lang::French => "fr",
            Lang::Spanish => "es",
            Lang::German => "de",
            Lang::Italian => "it",
            Lang::Portuguese => "pt",
            Lang::Dutch => "nl",
        }
    }

    /// Parses an ISO 639-1 code, case-insensitively (`"FR"` → French).
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL
            .into_iter()
            .find(|lang| lang.code().eq_ignore_ascii_case(code.trim()))
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A detected language and how sure the model is of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    pub lang: Lang,
    /// The model's probability of `lang` among the configured languages, in 0..=1 (naive: it
    /// treats letters as independent, so long texts come out near 1).
    pub confidence: f32,
}

/// Why a [`LanguageSet`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum LanguageSetError {
    #[error("no language configured: listening needs at least one (for example fr and en)")]
    Empty,
    #[error("unknown language code {0:?}: use one of en, fr, es, de, it, pt, nl")]
    UnknownCode(String),
    #[error(transparent)]
    Table(#[from] LangTableError),
}

/// The languages a workspace listens in, with the letter statistics of those languages only.
/// Build it once (it parses the shipped table, a few milliseconds) and share it.
#[derive(Debug, Clone)]
pub struct LanguageSet {
    langs: Vec<Lang>,
    table: NgramTable,
}

/// Below this many letters seen, a text says too little to choose (a lone "ok", "lol").
const MIN_LETTERS: u32 = 2;
/// Once the leader is this far ahead (25 natural-log units, in the table's fixed point) after at
/// least 24 letters, the rest of a long text does not change the answer in practice (on the
/// development tweets, stopping there kept the accuracy at 99.9 % and spared most letters).
const DECIDED_MARGIN: i32 = 25 * table::SCALE;
const DECIDED_AFTER_LETTERS: u32 = 24;

impl LanguageSet {
    /// A set of the given languages (duplicates ignored).
    pub fn new(langs: &[Lang]) -> Result<Self, LanguageSetError> {
        let mut unique: Vec<Lang> = Vec::with_capacity(langs.len());
        for &lang in langs {
            if !unique.contains(&lang) {
                unique.push(lang);
            }
        }
        if unique.is_empty() {
            return Err(LanguageSetError::Empty);
        }
        let table = NgramTable::shipped(&unique)?;
        Ok(LanguageSet {
            langs: unique,
            table,
        })
    }

    /// A set from configuration codes such as `["fr", "en"]`.
    pub fn from_codes<S: AsRef<str>>(codes: &[S]) -> Result<Self, LanguageSetError> {
        let langs = codes
            .iter()
            .map(|code| {
                Lang::from_code(code.as_ref())
                    .ok_or_else(|| LanguageSetError::UnknownCode(code.as_ref().to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(&langs)
    }

    /// French and English, the default of a Relais workspace.
    pub fn french_english() -> Self {
        // The shipped table is compiled in and has both columns: only a broken build fails here.
        Self::new(&[Lang::French, Lang::English])
            .expect("the shipped language table covers French and English")
    }

    /// The configured languages, in configuration order.
    pub fn languages(&self) -> &[Lang] {
        &self.langs
    }

    /// The most likely configured language of `text`, or `None` when the text has too few
    /// letters or is in a script none of the configured languages uses.
    pub fn detect(&self, text: &str) -> Option<Lang> {
        self.detect_with_confidence(text).map(|d| d.lang)
    }

    /// Like [`LanguageSet::detect`], with the model's confidence.
    pub fn detect_with_confidence(&self, text: &str) -> Option<Detection> {
        let n = self.langs.len();
        // Scores live on the stack: no allocation per text (at most `Lang::ALL.len()` columns).
        let mut scores = [0i32; Lang::ALL.len()];
        let mut letters = 0u32;
        let mut known = 0u32;
        scan::for_each_word(text, &self.table.alphabet, |word, weight_shift| {
            let stats = self.table.score_word(word, &mut scores[..n], weight_shift);
            letters += stats.letters;
            known += stats.known;
            if letters >= DECIDED_AFTER_LETTERS {
                let (best, second) = top_two(&scores[..n]);
                if best - second >= DECIDED_MARGIN {
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        });
        // Letters none of the configured languages writes (another script) say nothing.
        if letters < MIN_LETTERS || known * 2 < letters {
            return None;
        }
        let (best_index, _) = scores[..n]
            .iter()
            .enumerate()
            .max_by_key(|(i, score)| (**score, std::cmp::Reverse(*i)))?;
        Some(Detection {
            lang: self.langs[best_index],
            confidence: softmax_of(&scores[..n], best_index),
        })
    }
}

fn top_two(scores: &[i32]) -> (i32, i32) {
    let mut best = i32::MIN;
    let mut second = i32::MIN;
    for &s in scores {
        if s > best {
            second = best;
            best = s;
        } else if s > second {
            second = s;
        }
    }
    if second == i32::MIN {
        // One configured language: nothing to compare with, always decided.
        second = best - DECIDED_MARGIN;
    }
    (best, second)
}

/// The probability of `scores[index]` among all, from fixed-point log-likelihoods.
fn softmax_of(scores: &[i32], index: usize) -> f32 {
    let best = scores.iter().copied().max().unwrap_or(0);
    let mut sum = 0f64;
    for &s in scores {
        sum += (f64::from(s - best) / f64::from(table::SCALE)).exp();
    }
    let mine = (f64::from(scores[index] - best) / f64::from(table::SCALE)).exp();
    (mine / sum) as f32
}

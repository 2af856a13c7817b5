//! Sentiment of mentions, offline: negative, neutral or positive, with a score in −1..=1.
//!
//! Two parts, both shipped in `data/sentiment/` and read at start-up (nothing is downloaded):
//! 1. A lexicon scorer ([`rules`]): word valences (VADER's lexicon for English, our own French
//!    list and Pattern's French adjectives), emoji and emoticons, and rules for negation
//!    ("not good", "pas terrible"), boosters ("very", "trop"), contrast ("but", "mais"),
//!    capitals and exclamation marks.
//! 2. A linear model per language (three one-vs-rest logistic regressions over naive-Bayes-
//!    scaled features, trained by `tools/train_sentiment.py`) over hashed words, word pairs,
//!    negated words, word beginnings and ends, emoji and marks, plus the scorer's outputs. The
//!    probabilities are the softmax of the three logits; the score is P(positive) −
//!    P(negative); the label is the most likely class.
//!
//! The cost is about 17,000 instructions a mention: one pass over the bytes of ASCII text cuts,
//! lowercases and hashes the words, the lexicon is read once per word by that hash, and the
//! features' buckets are derived from the tokens' hashes and summed as they come ([`hash`]).
//!
//! Quality and speed, measured on the development data, are in `NOTICE.md` and the
//! `sentiment_quality` test (which fails if they get worse).

mod features;
mod hash;
mod lexicon;
mod model;
mod rules;
mod table;
mod tokens;

use std::cell::RefCell;
use std::fmt;

pub use lexicon::LexiconError;
pub use model::ModelError;

use crate::lang::Lang;
use lexicon::Lexicon;
use model::Model;

/// The three classes of sentiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Label {
    Negative,
    Neutral,
    Positive,
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Negative => "negative",
            Label::Neutral => "neutral",
            Label::Positive => "positive",
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A mention's sentiment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sentiment {
    pub label: Label,
    /// From −1 (most negative) to 1 (most positive): P(positive) − P(negative).
    pub score: f32,
}

impl Sentiment {
    /// What a text in a language without a model gets: no opinion.
    pub const UNKNOWN: Sentiment = Sentiment {
        label: Label::Neutral,
        score: 0.0,
    };
}

/// Why the shipped sentiment data could not be loaded (a broken build, not bad input).
#[derive(Debug, thiserror::Error)]
pub enum SentimentError {
    #[error(transparent)]
    Lexicon(#[from] LexiconError),
    #[error(transparent)]
    Model(#[from] ModelError),
}

#[derive(Debug, Clone)]
struct LanguageModel {
    lexicon: Lexicon,
    model: Model,
}

/// The sentiment analyser for French and English. Build it once (it parses the shipped data, a
/// few milliseconds) and share it: analysing takes `&self`.
#[derive(Debug, Clone)]
pub struct SentimentAnalyzer {
    english: LanguageModel,
    french: LanguageModel,
}

impl SentimentAnalyzer {
    /// Loads the shipped lexicons and weights.
    pub fn new() -> Result<Self, SentimentError> {
        Ok(SentimentAnalyzer {
            english: LanguageModel {
                lexicon: Lexicon::english()?,
                model: Model::shipped_english()?,
            },
            french: LanguageModel {
                lexicon: Lexicon::french()?,
                model: Model::shipped_french()?,
            },
        })
    }

    /// Whether `lang` has a model (French and English); others get [`Sentiment::UNKNOWN`].
    pub fn supports(&self, lang: Lang) -> bool {
        self.model_of(lang).is_some()
    }

    fn model_of(&self, lang: Lang) -> Option<&LanguageModel> {
        match lang {
            Lang::English => Some(&self.english),
            Lang::French => Some(&self.french),
            _ => None,
        }
    }

    /// The sentiment of `text`, written in `lang`.
    pub fn analyze(&self, text: &str, lang: Lang) -> Sentiment {
        let Some(language) = self.model_of(lang) else {
            return Sentiment::UNKNOWN;
        };
        let probabilities = language.probabilities(text);
        let best = (0..3)
            .max_by(|&a, &b| probabilities[a].total_cmp(&probabilities[b]))
            .unwrap_or(1);
        let label = [Label::Negative, Label::Neutral, Label::Positive][best];
        let score = (probabilities[2] - probabilities[0]).clamp(-1.0, 1.0);
        Sentiment { label, score }
    }

    /// The model's inputs for `text` (its features' buckets, sorted, repeats included; the
    /// dense features), for the test that compares them with the trainer's.
    #[doc(hidden)]
    pub fn features_for_test(&self, text: &str, lang: Lang) -> Option<(Vec<u32>, [f64; 11])> {
        let language = self.model_of(lang)?;
        let (buckets, dense) = language.features(text);
        Some((buckets, dense))
    }
}

/// Working buffers of one analysis, kept per thread so that a mention costs no allocation
/// once the buffers have grown to the size of typical mentions.
#[derive(Debug, Default)]
struct Scratch {
    tokens: tokens::Tokens,
    rules: rules::RulesScratch,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl LanguageModel {
    /// Runs `then` on the tokens of `text` and its dense features.
    fn with_features<T>(
        &self,
        text: &str,
        then: impl FnOnce(&tokens::Tokens, &[f64; 11]) -> T,
    ) -> T {
        SCRATCH.with(|cell| {
            // A fresh buffer if this thread is already inside an analysis (it never is: the
            // borrow cannot fail in practice, but a panic here would be a poor answer).
            let mut fresh = None;
            let mut guard = cell.try_borrow_mut().ok();
            let scratch: &mut Scratch = match guard.as_deref_mut() {
                Some(s) => s,
                None => fresh.insert(Scratch::default()),
            };
            let Scratch {
                tokens,
                rules: rules_scratch,
            } = scratch;
            tokens::tokenize(text, &self.lexicon, tokens);
            let dense = rules::dense_features(&self.lexicon, tokens, rules_scratch);
            then(tokens, &dense)
        })
    }

    fn features(&self, text: &str) -> (Vec<u32>, [f64; 11]) {
        self.with_features(text, |tokens, dense| {
            let mut buckets = Vec::new();
            features::for_each_bucket(tokens, |b| buckets.push(b));
            buckets.sort_unstable();
            (buckets, *dense)
        })
    }

    fn probabilities(&self, text: &str) -> [f32; 3] {
        self.with_features(text, |tokens, dense| {
            let mut sums = model::BucketSums::default();
            features::for_each_bucket(tokens, |b| self.model.add_bucket(&mut sums, b));
            self.model.probabilities(&sums, dense)
        })
    }
}

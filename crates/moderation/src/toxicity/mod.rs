//! Offline toxicity score of a message, in French and English: how likely it is to be
//! insulting, abusive, hateful or offensive, from 0 to 1, and whether that passes the
//! language's threshold.
//!
//! Two parts, both shipped in `data/toxicity/` and compiled into the binary (nothing is
//! downloaded):
//! 1. A lexicon per language, written for Relais ([`lexicon`]): insults, profanity, slurs,
//!    threats and the words that aim at a person. The tokenizer ([`tokens`]) sees through the
//!    usual disguises (`c0nn4rd`, `f*ck`, `putaiiin`, `f u c k`) and writes them back as the
//!    lexicon word, so the model sees them as the word itself.
//! 2. A binary logistic regression per language (trained by `tools/train_toxicity.py` on the
//!    train part of the development tweets) over hashed words, word pairs and 3- to 5-char pieces
//!    of words, emoji and marks, plus the lexicon's counts ([`features`]).
//!
//! Quality (precision, recall, macro-F1 on held-out tweets) and speed are in `NOTICE.md`, and
//! the `toxicity_quality` test fails if they get worse.

mod features;
mod lexicon;
mod model;
mod tokens;

use std::cell::RefCell;

use relais_listen::lang::Lang;

pub use lexicon::LexiconError;
pub use model::ModelError;

use features::Dense;
use lexicon::Lexicon;
use model::Model;

/// How toxic a message reads. Serializes as `{"toxic":true,"score":0.93}`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Toxicity {
    /// `score` is at or above the language's threshold.
    pub toxic: bool,
    /// The model's probability that the message is toxic, 0..=1. The development tweets were
    /// mostly hostile (72 % of the French, 83 % of the English), so the scale is that of hostile
    /// conversations: compare scores with each other or with the threshold, not with 0.5.
    pub score: f32,
}

impl Toxicity {
    /// What a message in a language without a model gets: not toxic, score 0.
    pub const UNKNOWN: Toxicity = Toxicity {
        toxic: false,
        score: 0.0,
    };
}

/// Why the shipped toxicity data could not be loaded (a broken build, not bad input).
#[derive(Debug, thiserror::Error)]
pub enum ToxicityError {
    #[error(transparent)]
    Lexicon(#[from] LexiconError),
    #[error(transparent)]
    Model(#[from] ModelError),
}

#[derive(Debug, Clone)]
struct LanguageModel {
    lexicon: Lexicon,
    model: Model,
    english: bool,
}

/// The toxicity scorer for French and English. Build it once (it parses the shipped data, a
/// few milliseconds) and share it: scoring takes `&self`.
#[derive(Debug, Clone)]
pub struct ToxicityScorer {
    english: LanguageModel,
    french: LanguageModel,
}

impl ToxicityScorer {
    /// Loads the shipped lexicons and weights.
    pub fn new() -> Result<Self, ToxicityError> {
        Ok(ToxicityScorer {
            english: LanguageModel {
                lexicon: Lexicon::shipped(Lang::English)?,
                model: Model::shipped_english()?,
                english: true,
            },
            french: LanguageModel {
                lexicon: Lexicon::shipped(Lang::French)?,
                model: Model::shipped_french()?,
                english: false,
            },
        })
    }

    /// Whether `lang` has a model (French and English); others get [`Toxicity::UNKNOWN`].
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

    /// The score at or above which a message in `lang` is called toxic (`None`: no model).
    pub fn threshold(&self, lang: Lang) -> Option<f32> {
        self.model_of(lang).map(|m| m.model.threshold)
    }

    /// How toxic `text`, written in `lang`, reads.
    pub fn score(&self, text: &str, lang: Lang) -> Toxicity {
        let Some(language) = self.model_of(lang) else {
            return Toxicity::UNKNOWN;
        };
        let score = language
            .with_features(text, |_, buckets, dense| {
                language.model.probability(buckets, dense)
            })
            .clamp(0.0, 1.0);
        // A NaN cannot come out of the logistic function of finite weights; be safe anyway.
        let score = if score.is_nan() { 0.0 } else { score };
        Toxicity {
            toxic: score >= language.model.threshold,
            score,
        }
    }

    /// The model's inputs for `text` (distinct buckets, sorted; dense features; tokens as
    /// `kind:text`), for the test that compares them with the trainer's.
    #[doc(hidden)]
    pub fn features_for_test(
        &self,
        text: &str,
        lang: Lang,
    ) -> Option<(Vec<u32>, Vec<f64>, Vec<String>)> {
        let language = self.model_of(lang)?;
        Some(language.with_features(text, |tokens, buckets, dense| {
            let mut sorted = buckets.to_vec();
            sorted.sort_unstable();
            let shown = tokens
                .list
                .iter()
                .map(|t| format!("{}:{}", t.kind.letter(), tokens.text(t)))
                .collect();
            (sorted, dense.to_vec(), shown)
        }))
    }
}

/// Working buffers of one scoring, kept per thread so that a message costs no allocation once
/// the buffers have grown to the size of typical messages.
#[derive(Debug, Default)]
struct Scratch {
    tokens: tokens::Tokens,
    buckets: Vec<u32>,
    seen: Vec<u32>,
    bounds: Vec<usize>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl LanguageModel {
    /// Runs `then` on the tokens and features of `text`.
    fn with_features<T>(
        &self,
        text: &str,
        then: impl FnOnce(&tokens::Tokens, &[u32], &Dense) -> T,
    ) -> T {
        SCRATCH.with(|cell| {
            // A fresh buffer if this thread is already inside a scoring (it never is: the
            // borrow cannot fail in practice, but a panic here would be a poor answer).
            let mut fresh = None;
            let mut guard = cell.try_borrow_mut().ok();
            let scratch: &mut Scratch = match guard.as_deref_mut() {
                Some(s) => s,
                None => fresh.insert(Scratch::default()),
            };
            let Scratch {
                tokens,
                buckets,
                seen,
                bounds,
            } = scratch;
            tokens::tokenize(text, &self.lexicon, self.english, tokens);
            features::buckets(tokens, buckets, seen, bounds);
            let dense = features::dense(tokens);
            then(tokens, buckets, &dense)
        })
    }
}

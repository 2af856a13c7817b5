//! The lexicon scorer: VADER's idea (sum the valences of the known words, adjusted by the words
//! around them) in our own implementation, the mirror of `lexicon_scores()` in
//! `tools/train_sentiment.py`. Its outputs are the dense features of the linear model.
//!
//! Rules, in order, for each word with a valence: capitals strengthen it (when the text is not
//! all capitals); each booster among the three scored tokens before it (within its clause)
//! strengthens or softens it, less with distance; a negator among them (or an English `n't`)
//! flips and damps it (×−0.74). After a contrast word ("but", "mais") the valences weigh ×1.5,
//! before it ×0.5. Exclamation marks (and repeated question marks) push the sum further.
//! Emoji and emoticons count as they are.

use super::lexicon::Lexicon;
use super::tokens::{Kind, Token, Tokens};

const NEGATION_SCALAR: f64 = -0.74;
const CAPS_BOOST: f64 = 0.733;
const EXCLAIM_STEP: f64 = 0.292;
const QUESTION_STEP: f64 = 0.18;
/// Normalises the sum into −1..1: sum / sqrt(sum² + ALPHA).
const ALPHA: f64 = 15.0;

/// The dense features, in the order of the weight files' `dense:` lines.
pub(crate) const DENSE_NAMES: [&str; 11] = [
    "compound", "pos", "neg", "npos", "nneg", "emopos", "emoneg", "exclaim", "question", "caps",
    "negation",
];

pub(crate) fn is_clause_mark(c: char) -> bool {
    matches!(c, '.' | ',' | ';' | ':' | '!' | '?')
}

/// What the lexicon says about one word token (its own form first, then the de-elongated one).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WordFacts {
    pub valence: Option<f64>,
    pub booster: Option<f64>,
    /// Listed as a negator ("not", "pas"); see also [`WordFacts::negates`].
    pub negator: bool,
    pub contrast: bool,
    /// Written with `n't` (English).
    pub nt: bool,
}

impl WordFacts {
    /// The facts of a token (none for tokens that are not words).
    pub fn of(token: &Token) -> WordFacts {
        if token.kind != Kind::Word {
            return WordFacts::default();
        }
        let entry = token.entry;
        WordFacts {
            valence: entry.valence(),
            booster: entry.booster(),
            negator: entry.negator(),
            contrast: entry.contrast(),
            nt: token.nt,
        }
    }

    /// Negates the words after it: a listed negator or any `n't` word ("haven't").
    pub fn negates(&self) -> bool {
        self.negator || self.nt
    }
}

/// Working buffers of [`dense_features`], reused from one mention to the next.
#[derive(Debug, Default)]
pub(crate) struct RulesScratch {
    positions: Vec<usize>,
    clause_start: Vec<usize>,
    valences: Vec<(usize, f64, bool)>,
}

/// Scores the tokens.
pub(crate) fn dense_features(
    lexicon: &Lexicon,
    tokens: &Tokens,
    scratch: &mut RulesScratch,
) -> [f64; 11] {
    let list = &tokens.list;
    let RulesScratch {
        positions,
        clause_start,
        valences,
    } = scratch;
    positions.clear();
    clause_start.clear();
    valences.clear();
    // One pass for the facts of the whole text, the indices of scored tokens and where each
    // one's clause starts (as a scored position).
    let mut mixed_case = false;
    let (mut any_caps, mut any_negation) = (false, false);
    let (mut exclaim, mut question) = (0usize, 0usize);
    let mut start = 0usize;
    for (i, t) in list.iter().enumerate() {
        any_caps |= t.caps;
        match t.kind {
            Kind::Word => {
                mixed_case |= !t.caps;
                any_negation |= WordFacts::of(t).negates();
            }
            Kind::Punct => {
                let text = tokens.text(t);
                exclaim += text.iter().filter(|&&b| b == b'!').count();
                question += text.iter().filter(|&&b| b == b'?').count();
                if t.clause_mark {
                    start = positions.len();
                }
                continue;
            }
            Kind::Emoji | Kind::Emoticon => {}
            Kind::Url | Kind::User => continue,
        }
        positions.push(i);
        clause_start.push(start);
    }

    // (scored position, adjusted valence, is emoji or emoticon)
    let mut contrast_at: Option<usize> = None;
    for (pos, &i) in positions.iter().enumerate() {
        let token = &list[i];
        if token.kind == Kind::Word && token.entry.valence().is_none() {
            // Most words: no valence of their own (a contrast word has none either).
            if token.entry.contrast() {
                contrast_at = Some(pos);
            }
            continue;
        }
        let fact = WordFacts::of(token);
        if token.kind == Kind::Word && fact.contrast {
            contrast_at = Some(pos);
        }
        let valence = match token.kind {
            Kind::Word => fact.valence,
            Kind::Emoji => std::str::from_utf8(tokens.text(token))
                .ok()
                .and_then(|emoji| lexicon.emoji_valence(emoji)),
            _ => token.entry.valence(),
        };
        let Some(mut v) = valence.filter(|&v| v != 0.0) else {
            continue;
        };
        if token.kind != Kind::Word {
            valences.push((pos, v, true));
            continue;
        }
        if fact.booster.is_some() || fact.negator {
            // Boosters and negators act on others; they carry no valence of their own.
            continue;
        }
        if token.caps && mixed_case {
            v += if v > 0.0 { CAPS_BOOST } else { -CAPS_BOOST };
        }
        let mut negated = false;
        for back in 1..=3usize {
            if pos < back || pos - back < clause_start[pos] {
                break;
            }
            let before = positions[pos - back];
            if list[before].kind != Kind::Word {
                continue;
            }
            let before_fact = WordFacts::of(&list[before]);
            if let Some(boost) = before_fact.booster {
                let mut scalar = boost * (1.0 - 0.05 * (back as f64 - 1.0));
                if list[before].caps && mixed_case {
                    scalar += if boost > 0.0 { CAPS_BOOST } else { -CAPS_BOOST };
                }
                v += if v > 0.0 { scalar } else { -scalar };
            }
            negated |= before_fact.negates();
        }
        if negated {
            v *= NEGATION_SCALAR;
        }
        valences.push((pos, v, false));
    }
    if let Some(at) = contrast_at {
        for (pos, v, _) in valences.iter_mut() {
            if *pos < at {
                *v *= 0.5;
            } else if *pos > at {
                *v *= 1.5;
            }
        }
    }

    let mut total = 0.0f64;
    let (mut positive, mut negative) = (0.0f64, 0.0f64);
    let (mut n_positive, mut n_negative) = (0usize, 0usize);
    let (mut emoji_positive, mut emoji_negative) = (0usize, 0usize);
    for &(_, v, emoji) in valences.iter() {
        total += v;
        positive += v.max(0.0);
        negative += (-v).max(0.0);
        n_positive += usize::from(v > 0.0);
        n_negative += usize::from(v < 0.0);
        emoji_positive += usize::from(emoji && v > 0.0);
        emoji_negative += usize::from(emoji && v < 0.0);
    }
    if total != 0.0 {
        let mut emphasis = exclaim.min(4) as f64 * EXCLAIM_STEP;
        if question > 1 {
            emphasis += question.min(4) as f64 * QUESTION_STEP;
        }
        total += if total > 0.0 { emphasis } else { -emphasis };
    }
    let compound = total / (total * total + ALPHA).sqrt();
    let capped = |n: usize, cap: usize| n.min(cap) as f64 / cap as f64;
    [
        compound,
        (positive / 4.0).tanh(),
        (negative / 4.0).tanh(),
        capped(n_positive, 4),
        capped(n_negative, 4),
        capped(emoji_positive, 3),
        capped(emoji_negative, 3),
        capped(exclaim, 3),
        capped(question, 3),
        if any_caps && mixed_case { 1.0 } else { 0.0 },
        if any_negation { 1.0 } else { 0.0 },
    ]
}

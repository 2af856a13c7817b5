//! The same author sending the same text again: texts compared folded (case, accents and
//! punctuation never matter), word by word.
//!
//! Two texts are the same when their words are, or when, from five words on, at most one word in
//! five differs (changed, added or removed: `Achetez vite sur notre site promo` and `Achetez
//! vite sur notre site promo !!!` are the same, so are versions with one word swapped). Shorter
//! texts must be equal: `oui merci` and `non merci` are not a repeat. Mentions are left out
//! (spam often varies the `@someone` it starts with). Texts without words (`🤬🤬🤬`) compare
//! by their symbols; empty texts (a photo alone) never repeat.

use relais_listen::text::{WordKind, Words, fold};

use super::message::RecentMessage;

/// Words compared per text: enough to tell texts apart, and a bound on the comparison's cost
/// (it grows with the product of the two lengths).
const MAX_WORDS: usize = 200;
/// Earlier messages looked at, the most recent first.
const MAX_RECENT: usize = 200;

/// A text made ready for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shape {
    /// The folded words, each as [`word_key`].
    words: Vec<u64>,
    /// The text's folded non-space characters, for texts without words.
    symbols: String,
}

impl Shape {
    pub fn of(text: &str) -> Shape {
        let words: Vec<u64> = Words::of(text)
            .iter()
            .filter(|word| word.kind != WordKind::Mention)
            .take(MAX_WORDS)
            .map(|word| word_key(word.text))
            .collect();
        let symbols = if words.is_empty() {
            fold(text)
                .chars()
                .filter(|c| !c.is_whitespace())
                .take(MAX_WORDS)
                .collect()
        } else {
            String::new()
        };
        Shape { words, symbols }
    }

    /// Whether two texts are the same, or nearly (see the module documentation).
    pub fn same_as(&self, other: &Shape) -> bool {
        if self.words.is_empty() || other.words.is_empty() {
            return self.words.is_empty()
                && other.words.is_empty()
                && !self.symbols.is_empty()
                && self.symbols == other.symbols;
        }
        let longer = self.words.len().max(other.words.len());
        let allowed = if longer >= 5 { longer / 5 } else { 0 };
        within_distance(&self.words, &other.words, allowed)
    }
}

/// The author's recent messages, shaped once per check and shared by every `repeated` rule.
pub(crate) struct Recent {
    /// Each earlier message's time and shape.
    shapes: Vec<(i64, Shape)>,
}

impl Recent {
    /// The messages of `recent` sent within `window_ms` of `now_ms` (either side: a clock a
    /// little ahead does not hide a repeat).
    pub fn of(recent: &[RecentMessage<'_>], now_ms: i64, window_ms: i64) -> Recent {
        let mut kept: Vec<&RecentMessage<'_>> = recent
            .iter()
            .filter(|message| distance_ms(message.at_ms, now_ms) <= window_ms.unsigned_abs())
            .collect();
        kept.sort_by_key(|message| std::cmp::Reverse(message.at_ms));
        kept.truncate(MAX_RECENT);
        Recent {
            shapes: kept
                .into_iter()
                .map(|message| (message.at_ms, Shape::of(message.text)))
                .collect(),
        }
    }

    /// How many times the text was sent within `window_ms` of `now_ms`: the message itself
    /// and the earlier ones of the same shape.
    pub fn times(&self, shape: &Shape, now_ms: i64, window_ms: i64) -> u32 {
        let earlier = self
            .shapes
            .iter()
            .filter(|(at, earlier)| {
                distance_ms(*at, now_ms) <= window_ms.unsigned_abs() && earlier.same_as(shape)
            })
            .count();
        u32::try_from(earlier).unwrap_or(u32::MAX).saturating_add(1)
    }
}

fn distance_ms(a: i64, b: i64) -> u64 {
    (i128::from(a) - i128::from(b))
        .unsigned_abs()
        .try_into()
        .unwrap_or(u64::MAX)
}

/// Whether at most `allowed` words must be changed, added or removed to turn `a` into `b`
/// (Levenshtein distance over words). Only the cells of the table within `allowed` of its
/// diagonal can stay within `allowed`, so only they are computed; the others count as
/// "too far". Given up as soon as a whole row is too far.
fn within_distance(a: &[u64], b: &[u64], allowed: usize) -> bool {
    if a.len().abs_diff(b.len()) > allowed {
        return false;
    }
    if allowed == 0 {
        return a == b;
    }
    let too_far = allowed + 1;
    let width = b.len() + 1;
    // previous[j]: distance between a[..i] and b[..j]; cells outside the band hold `too_far`.
    let mut previous: Vec<usize> = (0..width).map(|j| j.min(too_far)).collect();
    let mut current = vec![too_far; width];
    for (i, word_a) in a.iter().enumerate() {
        let row = i + 1;
        let from = row.saturating_sub(allowed);
        let to = (row + allowed).min(b.len());
        current.fill(too_far);
        if from == 0 {
            current[0] = row.min(too_far);
        }
        let mut row_min = too_far;
        for j in from.max(1)..=to {
            let substitution = previous[j - 1] + usize::from(*word_a != b[j - 1]);
            let deletion = previous[j] + 1;
            let insertion = current[j - 1] + 1;
            let cell = substitution.min(deletion).min(insertion).min(too_far);
            current[j] = cell;
            row_min = row_min.min(cell);
        }
        if from == 0 {
            row_min = row_min.min(current[0]);
        }
        if row_min > allowed {
            return false;
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()] <= allowed
}

/// A folded word as a number, for quick comparison (FNV-1a: a collision could only make two
/// different words count as one, in one repeat test).
fn word_key(word: &str) -> u64 {
    word.bytes().fold(0xCBF2_9CE4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

#[cfg(test)]
mod tests {
    use super::within_distance;

    /// The whole Levenshtein table, for comparison.
    fn distance(a: &[u64], b: &[u64]) -> usize {
        let mut previous: Vec<usize> = (0..=b.len()).collect();
        for (i, x) in a.iter().enumerate() {
            let mut current = vec![i + 1; b.len() + 1];
            for (j, y) in b.iter().enumerate() {
                current[j + 1] = (previous[j] + usize::from(x != y))
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1);
            }
            previous = current;
        }
        previous[b.len()]
    }

    #[test]
    fn the_band_agrees_with_the_whole_table() {
        // A small linear congruential generator: words from a 4-word vocabulary make many
        // near misses.
        let mut state: u64 = 7;
        let mut next = |modulo: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % modulo
        };
        for _ in 0..20_000 {
            let a: Vec<u64> = (0..next(12)).map(|_| next(4)).collect();
            let b: Vec<u64> = (0..next(12)).map(|_| next(4)).collect();
            let allowed = next(5) as usize;
            let exact = distance(&a, &b);
            assert_eq!(
                within_distance(&a, &b, allowed),
                exact <= allowed,
                "{a:?} {b:?} allowed {allowed}, distance {exact}"
            );
        }
    }
}

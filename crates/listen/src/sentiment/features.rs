//! The hashed features of the linear model, the mirror of `feature_strings()` in
//! `tools/train_sentiment.py`: each feature is a short string (`w|word`, `b|word word`,
//! `n|word` for a word under negation, `a|` + the first 4 and 5 letters and `z|` + the last 3
//! of longer words, `e|😂`, `p|!!`, `u|` for a link, `@|` for a handle),
//! hashed with 32-bit FNV-1a and cut to its low `BITS` bits. The string is never built: the
//! hash runs over its parts.

use super::rules::{WordFacts, is_clause_mark};
use super::tokens::{Kind, Tokens};

/// The hashed feature space has 2^BITS buckets.
pub(crate) const BITS: u32 = 20;
const MASK: u32 = (1 << BITS) - 1;

const FNV_OFFSET: u32 = 0x811c_9dc5;
const FNV_PRIME: u32 = 0x0100_0193;

/// 32-bit FNV-1a over several byte strings, as over their concatenation.
pub(crate) fn fnv1a(parts: &[&[u8]]) -> u32 {
    let mut hash = FNV_OFFSET;
    for part in parts {
        for &byte in *part {
            hash = (hash ^ u32::from(byte)).wrapping_mul(FNV_PRIME);
        }
    }
    hash
}

fn bucket(parts: &[&[u8]]) -> u32 {
    fnv1a(parts) & MASK
}

/// Beginnings and ends of longer words (in chars): a cheap stand-in for stems and inflections
/// ("écologique", "écologistes" share "a|ecol").
fn push_affixes(word: &str, out: &mut Vec<u32>) {
    let bytes = word.as_bytes();
    let mut boundaries = word.char_indices().map(|(at, _)| at).chain([word.len()]);
    // Byte offsets of char boundaries 4 and 5, and the number of chars.
    let after_4 = boundaries.nth(4);
    let after_5 = boundaries.next();
    let chars = word.chars().count();
    if chars > 4 {
        if let Some(end) = after_4 {
            out.push(bucket(&[b"a|", &bytes[..end]]));
        }
        let last_3 = word
            .char_indices()
            .nth(chars - 3)
            .map_or(word.len(), |(at, _)| at);
        out.push(bucket(&[b"z|", &bytes[last_3..]]));
    }
    if let (true, Some(end)) = (chars > 5, after_5) {
        out.push(bucket(&[b"a|", &bytes[..end]]));
    }
}

/// Pushes the bucket of every feature of the tokens into `out`, each once (the model counts a
/// feature once; the order is not sorted). `seen` is a working buffer.
pub(crate) fn buckets(
    tokens: &Tokens,
    facts: &[WordFacts],
    out: &mut Vec<u32>,
    seen: &mut Vec<u32>,
) {
    out.clear();
    let mut previous: Option<&str> = None;
    let mut negated = false;
    for (token, fact) in tokens.list.iter().zip(facts) {
        let text = tokens.text(token);
        if token.kind == Kind::Word {
            out.push(bucket(&[b"w|", text.as_bytes()]));
            if negated {
                out.push(bucket(&[b"n|", text.as_bytes()]));
            }
            if let Some(previous) = previous {
                out.push(bucket(&[b"b|", previous.as_bytes(), b" ", text.as_bytes()]));
            }
            previous = Some(text);
            push_affixes(text, out);
            if fact.negates() {
                negated = true;
            } else if fact.contrast {
                negated = false;
            }
            continue;
        }
        previous = None;
        match token.kind {
            Kind::Emoji | Kind::Emoticon => out.push(bucket(&[b"e|", text.as_bytes()])),
            Kind::Punct => {
                out.push(bucket(&[b"p|", text.as_bytes()]));
                if text.chars().any(is_clause_mark) {
                    negated = false;
                }
            }
            Kind::Url => out.push(bucket(&[b"u|"])),
            Kind::User => out.push(bucket(&[b"@|"])),
            Kind::Word => {}
        }
    }
    keep_first_of_each(out, seen);
}

/// Removes repeated buckets, keeping first occurrences, with a small open-addressing set (the
/// buckets are hash values already): cheaper than sorting for the hundred or so of a mention.
fn keep_first_of_each(buckets: &mut Vec<u32>, seen: &mut Vec<u32>) {
    let size = (buckets.len() * 2).next_power_of_two().max(64);
    let mask = size - 1;
    seen.clear();
    seen.resize(size, 0);
    let mut kept = 0;
    for i in 0..buckets.len() {
        let bucket = buckets[i];
        // Stored as bucket + 1: 0 marks an empty slot.
        let key = bucket + 1;
        let mut slot = bucket as usize & mask;
        loop {
            if seen[slot] == 0 {
                seen[slot] = key;
                buckets[kept] = bucket;
                kept += 1;
                break;
            }
            if seen[slot] == key {
                break;
            }
            slot = (slot + 1) & mask;
        }
    }
    buckets.truncate(kept);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_buckets_are_kept_once_in_first_order() {
        let mut buckets = vec![5, 3, 5, 0, 3, 1 << 19, 0, 64, 5];
        keep_first_of_each(&mut buckets, &mut Vec::new());
        assert_eq!(buckets, vec![5, 3, 0, 1 << 19, 64]);
    }

    #[test]
    fn fnv1a_matches_the_reference_values() {
        // Published FNV-1a 32 test vectors.
        assert_eq!(fnv1a(&[b""]), 0x811c_9dc5);
        assert_eq!(fnv1a(&[b"a"]), 0xe40c_292c);
        assert_eq!(fnv1a(&[b"foobar"]), 0xbf9c_f968);
        // Parts hash as their concatenation.
        assert_eq!(fnv1a(&[b"foo", b"", b"bar"]), fnv1a(&[b"foobar"]));
    }
}

//! The model's inputs, the mirror of `feature_strings()` and `dense_features()` in
//! `tools/train_toxicity.py`.
//!
//! Hashed features: each is a short string (`w|word`, `b|word word` for neighbours,
//! `c|` + each 3-, 4- and 5-char piece of `<word>`, `e|😡`, `p|!!`, `u|` for a link, `@|` for a
//! handle), hashed with 32-bit FNV-1a and cut to its low `BITS` bits. The string is never
//! built: the hash runs over its parts.
//!
//! Dense features, from the lexicon: how many insults, profanities, slurs and threats (each
//! capped at 3, over 3), whether an insult or slur is aimed (a target word or a handle in the 3
//! tokens before it: "t'es un gros con", "@bob idiot"), whether a lexicon word was disguised,
//! whether the message opens with a handle (a reply), and whether a word is in capitals.

use super::lexicon::Kind as LexKind;
use super::tokens::{Kind, Tokens};

/// The hashed feature space has 2^BITS buckets.
pub(crate) const BITS: u32 = 20;
const MASK: u32 = (1 << BITS) - 1;

/// Lengths of the char pieces of words.
const NGRAMS: [usize; 3] = [3, 4, 5];

/// Names of the dense features, in the trainer's `DENSE` order.
pub(crate) const DENSE_NAMES: [&str; 8] = [
    "insult",
    "profanity",
    "slur",
    "threat",
    "targeted",
    "disguised",
    "reply",
    "caps",
];

pub(crate) type Dense = [f64; DENSE_NAMES.len()];

/// How many tokens before an insult a target word may stand.
const TARGET_REACH: usize = 3;

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

/// The char pieces of `<word>`: for each length, every run of that many chars of the word
/// framed by `<` and `>`. `bounds` is a working buffer for the word's char boundaries.
fn push_char_ngrams(word: &str, out: &mut Vec<u32>, bounds: &mut Vec<usize>) {
    bounds.clear();
    bounds.extend(word.char_indices().map(|(at, _)| at));
    bounds.push(word.len());
    // Chars of the framed word: 0 is `<`, 1..=len the word's, len + 1 is `>`.
    let len = bounds.len() - 1;
    let framed = len + 2;
    let bytes = word.as_bytes();
    for n in NGRAMS {
        if framed < n {
            continue;
        }
        for start in 0..=framed - n {
            let end = start + n;
            let open: &[u8] = if start == 0 { b"<" } else { b"" };
            let close: &[u8] = if end == framed { b">" } else { b"" };
            // Word chars covered: from max(start, 1) − 1 to min(end, len + 1) − 1.
            let from = bounds[start.max(1) - 1];
            let to = bounds[end.min(len + 1) - 1];
            out.push(bucket(&[b"c|", open, &bytes[from..to], close]));
        }
    }
}

/// Pushes the bucket of every feature of the tokens into `out`, each once (first occurrences
/// kept, in order). `seen` and `bounds` are working buffers.
pub(crate) fn buckets(
    tokens: &Tokens,
    out: &mut Vec<u32>,
    seen: &mut Vec<u32>,
    bounds: &mut Vec<usize>,
) {
    out.clear();
    let mut previous: Option<&str> = None;
    for token in &tokens.list {
        let text = tokens.text(token);
        match token.kind {
            Kind::Word => {
                out.push(bucket(&[b"w|", text.as_bytes()]));
                if let Some(previous) = previous {
                    out.push(bucket(&[b"b|", previous.as_bytes(), b" ", text.as_bytes()]));
                }
                push_char_ngrams(text, out, bounds);
                previous = Some(text);
                continue;
            }
            Kind::Emoji => out.push(bucket(&[b"e|", text.as_bytes()])),
            Kind::Punct => out.push(bucket(&[b"p|", text.as_bytes()])),
            Kind::Url => out.push(bucket(&[b"u|"])),
            Kind::User => out.push(bucket(&[b"@|"])),
        }
        previous = None;
    }
    keep_first_of_each(out, seen);
}

/// The dense lexicon features of the tokens.
pub(crate) fn dense(tokens: &Tokens) -> Dense {
    let list = &tokens.list;
    let mut counts = [0u32; 4];
    let (mut targeted, mut disguised) = (false, false);
    for (at, token) in list.iter().enumerate() {
        let Some(entry) = token.lex.filter(|_| token.kind == Kind::Word) else {
            continue;
        };
        let slot = match entry.kind {
            LexKind::Insult => 0,
            LexKind::Profanity => 1,
            LexKind::Slur => 2,
            LexKind::Threat => 3,
            LexKind::Target => continue,
        };
        counts[slot] += 1;
        disguised |= token.disguised;
        if matches!(entry.kind, LexKind::Insult | LexKind::Slur) {
            targeted |= list[at.saturating_sub(TARGET_REACH)..at]
                .iter()
                .any(|before| {
                    before.kind == Kind::User
                        || (before.kind == Kind::Word
                            && before.lex.is_some_and(|e| e.kind == LexKind::Target))
                });
        }
    }
    let reply = list.first().is_some_and(|t| t.kind == Kind::User);
    let caps = list.iter().any(|t| t.kind == Kind::Word && t.caps);
    let capped = |count: u32| f64::from(count.min(3)) / 3.0;
    let flag = |on: bool| if on { 1.0 } else { 0.0 };
    [
        capped(counts[0]),
        capped(counts[1]),
        capped(counts[2]),
        capped(counts[3]),
        flag(targeted),
        flag(disguised),
        flag(reply),
        flag(caps),
    ]
}

/// Removes repeated buckets, keeping first occurrences, with a small open-addressing set (the
/// buckets are hash values already): cheaper than sorting for the few hundred of a message.
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
    fn fnv1a_matches_the_reference_values() {
        assert_eq!(fnv1a(&[b""]), 0x811c_9dc5);
        assert_eq!(fnv1a(&[b"a"]), 0xe40c_292c);
        assert_eq!(fnv1a(&[b"foobar"]), 0xbf9c_f968);
        assert_eq!(fnv1a(&[b"foo", b"", b"bar"]), fnv1a(&[b"foobar"]));
    }

    #[test]
    fn char_ngrams_frame_the_word() {
        let mut got = Vec::new();
        push_char_ngrams("con", &mut got, &mut Vec::new());
        let want: Vec<u32> = ["<co", "con", "on>", "<con", "con>", "<con>"]
            .iter()
            .map(|g| bucket(&[b"c|", g.as_bytes()]))
            .collect();
        assert_eq!(got, want);
        // Multi-byte chars are cut on char boundaries; a 1-char word has one 3-char piece.
        got.clear();
        push_char_ngrams("é", &mut got, &mut Vec::new());
        assert_eq!(got, vec![bucket(&[b"c|", "<é>".as_bytes()])]);
    }

    #[test]
    fn repeated_buckets_are_kept_once_in_first_order() {
        let mut buckets = vec![5, 3, 5, 0, 3, 1 << 19, 0, 64, 5];
        keep_first_of_each(&mut buckets, &mut Vec::new());
        assert_eq!(buckets, vec![5, 3, 0, 1 << 19, 64]);
    }
}

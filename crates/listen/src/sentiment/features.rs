//! The hashed features of the linear model, the mirror of `feature_buckets()` in
//! `tools/train_sentiment.py`: for each word, the word itself, the word under negation, the
//! pair it makes with the word before, and for longer words their first 4 and 5 and last 3
//! chars; emoji and emoticons, runs of marks, links and handles. Each feature's bucket comes
//! from its kind and the tokens' 64-bit hashes ([`hash::bucket`]): no string is built. A
//! feature met twice counts twice (no set to keep them apart: the trainer counts the same way).

use super::hash::{self, Fnv64, Tag, bucket};
use super::rules::WordFacts;
use super::tokens::{Kind, Tokens};

/// Beginnings and ends of longer words (in chars): a cheap stand-in for stems and inflections
/// ("écologique", "écologistes" share the beginning "ecol").
fn affixes(word: &[u8], emit: &mut impl FnMut(u32)) {
    if word.is_ascii() {
        if word.len() > 4 {
            let four = Fnv64::new().bytes(&word[..4]);
            emit(bucket(Tag::Prefix, four.finish()));
            if word.len() > 5 {
                emit(bucket(Tag::Prefix, four.byte(word[4]).finish()));
            }
            emit(bucket(Tag::Suffix, hash::fnv64(&word[word.len() - 3..])));
        }
        return;
    }
    // Token texts are whole UTF-8 chars: this cannot fail, and a failure would only cost the
    // affixes of one word.
    let Ok(text) = std::str::from_utf8(word) else {
        return;
    };
    let chars = text.chars().count();
    if chars <= 4 {
        return;
    }
    let boundary = |n: usize| text.char_indices().nth(n).map_or(text.len(), |(at, _)| at);
    emit(bucket(Tag::Prefix, hash::fnv64(&word[..boundary(4)])));
    if chars > 5 {
        emit(bucket(Tag::Prefix, hash::fnv64(&word[..boundary(5)])));
    }
    emit(bucket(
        Tag::Suffix,
        hash::fnv64(&word[boundary(chars - 3)..]),
    ));
}

/// Calls `emit` with the bucket of every feature of the tokens, in reading order, repeats
/// included.
pub(crate) fn for_each_bucket(tokens: &Tokens, mut emit: impl FnMut(u32)) {
    let mut previous: Option<u64> = None;
    let mut negated = false;
    for token in &tokens.list {
        if token.kind == Kind::Word {
            emit(bucket(Tag::Word, token.hash));
            if negated {
                emit(bucket(Tag::Negated, token.hash));
            }
            if let Some(previous) = previous {
                emit(bucket(Tag::Pair, hash::pair(previous, token.hash)));
            }
            previous = Some(token.hash);
            affixes(tokens.text(token), &mut emit);
            let fact = WordFacts::of(token);
            if fact.negates() {
                negated = true;
            } else if fact.contrast {
                negated = false;
            }
            continue;
        }
        previous = None;
        match token.kind {
            Kind::Emoji | Kind::Emoticon => emit(bucket(Tag::Emoji, token.hash)),
            Kind::Punct => {
                emit(bucket(Tag::Punct, token.hash));
                if token.clause_mark {
                    negated = false;
                }
            }
            Kind::Url => emit(bucket(Tag::Url, 0)),
            Kind::User => emit(bucket(Tag::User, 0)),
            Kind::Word => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn affixes_of(word: &str) -> Vec<u32> {
        let mut out = Vec::new();
        affixes(word.as_bytes(), &mut |b| out.push(b));
        out
    }

    #[test]
    fn affixes_of_ascii_and_accented_words_agree() {
        // The general path (chars) must give the ASCII path's buckets for the same beginnings.
        let ascii = affixes_of("ecologie");
        assert_eq!(ascii.len(), 3);
        let accented = affixes_of("ecologié");
        assert_eq!(ascii[..2], accented[..2], "same 4- and 5-char beginnings");
        assert_ne!(ascii[2], accented[2], "different ends");
        // Chars, not bytes: "étéé" has 4 chars (8 bytes) and no affixes.
        assert!(affixes_of("étéé").is_empty());
        assert_eq!(
            affixes_of("ééééé").len(),
            2,
            "5 chars: a beginning and an end"
        );
    }
}

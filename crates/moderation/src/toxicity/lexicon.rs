//! The toxicity lexicon (`data/toxicity/lexicon.tsv`, written for Relais): insults, profanity,
//! slurs, threats and the words that aim at a person ("t'es", "espèce de", "you"), per language.
//!
//! Three ways to find a word, mirrored from `Lexicon` in `tools/train_toxicity.py`:
//! - **exact**: the token as the tokenizer writes it (lowercase, accents folded, runs of a
//!   letter cut to two);
//! - **squeezed**: every run of a letter cut to one, for words stretched (`putaiiiin`) or
//!   written with digits and marks for letters (`c0nn4rd`): `connard` and `conard` meet there;
//! - **masked**: the squeezed word with one inner stretch replaced by `*`, for `f*ck`, `sh**t`
//!   (`f*k` is one of the keys of `fuck`).
//!
//! The last two are only asked about words that were disguised, so `as` never meets `ass`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use relais_listen::lang::Lang;

const LEXICON: &str = include_str!("../../data/toxicity/lexicon.tsv");

/// What a lexicon word is; the order is the trainer's `KINDS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Insult,
    Profanity,
    Slur,
    Threat,
    Target,
}

impl Kind {
    fn parse(name: &str) -> Option<Kind> {
        Some(match name {
            "insult" => Kind::Insult,
            "profanity" => Kind::Profanity,
            "slur" => Kind::Slur,
            "threat" => Kind::Threat,
            "target" => Kind::Target,
            _ => return None,
        })
    }
}

/// A lexicon word: its kind and its written form (what a disguised spelling becomes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub kind: Kind,
    word: u16,
}

#[derive(Debug, thiserror::Error)]
#[error("toxicity lexicon, line {line}: {problem}")]
pub struct LexiconError {
    line: usize,
    problem: String,
}

/// 64-bit FNV-1a: every word of a message is looked up, and the keys are short words that no
/// one outside chooses to collide (the standard SipHash guards against that at three times the
/// cost).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Fnv64(u64);

impl Hasher for Fnv64 {
    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &byte in bytes {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type WordMap = HashMap<String, Entry, BuildHasherDefault<Fnv64>>;

/// One language's lexicon: a few thousand keys in all, built in well under a millisecond.
#[derive(Debug, Clone)]
pub(crate) struct Lexicon {
    words: Vec<String>,
    exact: WordMap,
    squeezed: WordMap,
    masked: WordMap,
}

/// Lowercase and accent-fold `word` into `out` (apostrophes dropped), as the tokenizer does.
pub(crate) fn lower_fold_into(word: &str, out: &mut String) {
    for c in word.chars() {
        if c == '\'' {
            continue;
        }
        for lower in c.to_lowercase() {
            match super::tokens::fold(lower) {
                Some(folded) => out.push_str(folded),
                None => out.push(lower),
            }
        }
    }
}

/// `word` with every run of one char cut to a single char, into `out`.
pub(crate) fn squeeze_into(word: &str, out: &mut String) {
    let mut previous = None;
    for c in word.chars() {
        if previous != Some(c) {
            out.push(c);
        }
        previous = Some(c);
    }
}

impl Lexicon {
    pub(crate) fn shipped(lang: Lang) -> Result<Self, LexiconError> {
        Self::parse(LEXICON, lang)
    }

    pub(crate) fn parse(text: &str, lang: Lang) -> Result<Self, LexiconError> {
        let mut lexicon = Lexicon {
            words: Vec::new(),
            exact: WordMap::default(),
            squeezed: WordMap::default(),
            masked: WordMap::default(),
        };
        // Squeezed keys in file order: the masked keys are made from them in that order, so
        // that the first word wins a shared key, as in the trainer.
        let mut squeezed_order: Vec<(String, Entry)> = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.starts_with("lang\t") || line.trim().is_empty() {
                continue;
            }
            let bad = |problem: String| LexiconError {
                line: index + 1,
                problem,
            };
            let mut fields = line.split('\t');
            let (Some(code), Some(kind), Some(word), None) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Err(bad(
                    "expected 3 tab-separated fields: lang, kind, word".into()
                ));
            };
            let kind = Kind::parse(kind).ok_or_else(|| bad(format!("unknown kind {kind:?}")))?;
            if Lang::from_code(code).is_none() {
                return Err(bad(format!("unknown language {code:?}")));
            }
            if !code.eq_ignore_ascii_case(lang.code()) {
                continue;
            }
            let mut folded = String::new();
            lower_fold_into(word, &mut folded);
            if folded.is_empty() || folded.contains(|c: char| !c.is_alphanumeric()) {
                return Err(bad(format!("{word:?} is not one word of letters")));
            }
            let index = u16::try_from(lexicon.words.len())
                .map_err(|_| bad("more than 65,535 words".into()))?;
            let entry = Entry { kind, word: index };
            let mut squeezed = String::new();
            squeeze_into(&folded, &mut squeezed);
            lexicon.exact.entry(folded.clone()).or_insert(entry);
            if !lexicon.squeezed.contains_key(&squeezed) {
                lexicon.squeezed.insert(squeezed.clone(), entry);
                squeezed_order.push((squeezed, entry));
            }
            lexicon.words.push(folded);
        }
        for (squeezed, entry) in &squeezed_order {
            if entry.kind != Kind::Target {
                lexicon.add_masked_keys(squeezed, *entry);
            }
        }
        Ok(lexicon)
    }

    /// Every form of `squeezed` with one inner stretch (not its first or last char) replaced
    /// by `*`, keeping at least two chars.
    fn add_masked_keys(&mut self, squeezed: &str, entry: Entry) {
        let chars: Vec<char> = squeezed.chars().collect();
        let n = chars.len();
        for start in 1..n {
            for end in start + 1..n {
                if n - (end - start) < 2 {
                    continue;
                }
                let key: String = chars[..start]
                    .iter()
                    .chain(std::iter::once(&'*'))
                    .chain(&chars[end..])
                    .collect();
                self.masked.entry(key).or_insert(entry);
            }
        }
    }

    /// The written form of an entry.
    pub(crate) fn word(&self, entry: Entry) -> &str {
        self.words
            .get(usize::from(entry.word))
            .map_or("", String::as_str)
    }

    pub(crate) fn exact(&self, word: &str) -> Option<Entry> {
        self.exact.get(word).copied()
    }

    /// A stretched or disguised word (`putaiin`, `c0nn4rd` read as `connard`), by its squeezed
    /// form.
    pub(crate) fn squeezed(&self, squeezed: &str) -> Option<Entry> {
        self.squeezed.get(squeezed).copied()
    }

    /// A word written with `*` for some letters, by its squeezed form (one `*` only).
    pub(crate) fn masked(&self, squeezed: &str) -> Option<Entry> {
        self.masked.get(squeezed).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_a_word_are_found() {
        let lexicon = Lexicon::parse(
            "lang\tkind\tword\nen\tprofanity\tfuck\nen\ttarget\tyou\n",
            Lang::English,
        )
        .expect("valid lexicon");
        let fuck = lexicon.exact("fuck").expect("exact");
        assert_eq!(fuck.kind, Kind::Profanity);
        assert_eq!(lexicon.word(fuck), "fuck");
        assert_eq!(lexicon.masked("f*ck"), Some(fuck));
        assert_eq!(lexicon.masked("f*k"), Some(fuck));
        assert_eq!(lexicon.masked("fu*k"), Some(fuck));
        // The first or last letter is never masked, and two letters must remain.
        assert_eq!(lexicon.masked("*uck"), None);
        assert_eq!(lexicon.masked("f*"), None);
        // Target words are not looked for behind masks.
        assert_eq!(lexicon.masked("y*u"), None);
    }

    #[test]
    fn words_are_folded_and_filtered_by_language() {
        let text = "fr\tinsult\tEnculé\nen\tinsult\tmoron\nfr\tinsult\tconnard\n";
        let french = Lexicon::parse(text, Lang::French).expect("valid lexicon");
        assert!(french.exact("encule").is_some());
        assert!(french.exact("moron").is_none());
        assert_eq!(
            french.squeezed("conard").map(|e| french.word(e)),
            Some("connard")
        );
    }

    #[test]
    fn broken_lines_are_errors() {
        assert!(Lexicon::parse("fr\tinsult\n", Lang::French).is_err());
        assert!(Lexicon::parse("fr\tnasty\tcon\n", Lang::French).is_err());
        assert!(Lexicon::parse("xx\tinsult\tcon\n", Lang::French).is_err());
        assert!(Lexicon::parse("fr\tinsult\tdeux mots\n", Lang::French).is_err());
        assert!(Lexicon::parse("fr\tinsult\tcul-terreux\n", Lang::French).is_err());
    }

    #[test]
    fn shipped_lexicons_load() {
        for lang in [Lang::French, Lang::English] {
            let lexicon = Lexicon::shipped(lang).expect("shipped lexicon parses");
            assert!(lexicon.words.len() > 100, "{lang}: {}", lexicon.words.len());
        }
    }
}

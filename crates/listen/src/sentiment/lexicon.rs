//! The word lists sentiment reads (all in `data/sentiment/`, loaded once per language): the
//! valence lexicons (VADER's for English; ours and Pattern's for French), the emoji valences,
//! and the rules (negators, boosters, contrast words). One map per language holds everything
//! known about a word, so a token costs one look-up. Keys are lowercase, accent-folded and
//! without apostrophes, as tokens are.

use super::hash::fnv64;
use super::table::Table;
use crate::lang::Lang;

const EN_VADER: &str = include_str!("../../data/sentiment/en_vader.tsv");
const FR_RELAIS: &str = include_str!("../../data/sentiment/fr_relais.tsv");
const FR_PATTERN: &str = include_str!("../../data/sentiment/fr_pattern.tsv");
const EMOJI: &str = include_str!("../../data/sentiment/emoji.tsv");
const RULES: &str = include_str!("../../data/sentiment/rules.tsv");

/// What a word (or emoticon) is to the scorer, packed small (8 bytes with its key, 16) so that
/// the lexicon table stays in cache: valences in thousandths, `NONE` for "none" (the files
/// give at most 3 decimals, so nothing is lost).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Entry {
    valence: i16,
    booster: i16,
    flags: u8,
}

const NONE: i16 = i16::MIN;

fn milli(value: f64) -> i16 {
    (value * 1000.0).round().clamp(-32_000.0, 32_000.0) as i16
}

fn from_milli(value: i16) -> Option<f64> {
    (value != NONE).then(|| f64::from(value) / 1000.0)
}

const NEGATOR: u8 = 1;
const CONTRAST: u8 = 2;
const EMOTICON: u8 = 4;

impl Default for Entry {
    fn default() -> Self {
        Entry {
            valence: NONE,
            booster: NONE,
            flags: 0,
        }
    }
}

impl Entry {
    pub fn valence(&self) -> Option<f64> {
        from_milli(self.valence)
    }

    pub fn booster(&self) -> Option<f64> {
        from_milli(self.booster)
    }

    pub fn negator(&self) -> bool {
        self.flags & NEGATOR != 0
    }

    pub fn contrast(&self) -> bool {
        self.flags & CONTRAST != 0
    }

    pub fn emoticon(&self) -> bool {
        self.flags & EMOTICON != 0
    }

    /// This entry, its blanks filled from `other` (a word's own entry, then its de-elongated
    /// form's).
    fn or(self, other: Entry) -> Entry {
        let pick = |mine: i16, theirs: i16| if mine == NONE { theirs } else { mine };
        Entry {
            valence: pick(self.valence, other.valence),
            booster: pick(self.booster, other.booster),
            flags: self.flags | other.flags,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LexiconError {
    #[error("sentiment data {file}, line {line}: {problem}")]
    BadLine {
        file: &'static str,
        line: usize,
        problem: String,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Lexicon {
    lang: Lang,
    /// By the FNV-1a 64 hash of the lowercase, folded word (as tokens carry it).
    words: Table<Entry>,
    /// By code point.
    emoji: Table<f64>,
    /// The shortest and longest emoticons, in bytes: runs of marks of other lengths are not
    /// looked up.
    shortest_emoticon: usize,
    longest_emoticon: usize,
}

/// The data rows of a TSV file: comments and the header line skipped, fields split.
fn rows(
    file: &'static str,
    text: &'static str,
) -> impl Iterator<Item = (usize, Vec<&'static str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .map(move |(i, l)| {
            let _ = file;
            (i + 1, l.split('\t').collect())
        })
}

fn number(file: &'static str, line: usize, field: Option<&&str>) -> Result<f64, LexiconError> {
    let bad = |problem: String| LexiconError::BadLine {
        file,
        line,
        problem,
    };
    let field = field.ok_or_else(|| bad("a column is missing".into()))?;
    field
        .parse()
        .map_err(|_| bad(format!("{field:?} is not a number")))
}

/// A lexicon key as tokens are made: lowercase, folded, no apostrophes.
pub(crate) fn key_of(word: &str) -> String {
    let mut key = String::with_capacity(word.len());
    for c in word.chars() {
        if c == '\'' {
            continue;
        }
        for lower in c.to_lowercase() {
            match super::tokens::fold(lower) {
                Some(folded) => key.push_str(folded),
                None => key.push(lower),
            }
        }
    }
    key
}

/// An emoticon: ASCII only, no space, at least one mark that is not a letter or digit.
fn looks_like_emoticon(key: &str) -> bool {
    key.is_ascii() && !key.contains(' ') && key.chars().any(|c| !c.is_ascii_alphanumeric())
}

impl Lexicon {
    /// The shipped English lexicon (VADER's) and rules.
    pub(crate) fn english() -> Result<Self, LexiconError> {
        Self::load(Lang::English, &[("en_vader.tsv", EN_VADER)])
    }

    /// The shipped French lexicons (ours first, then Pattern's) and rules.
    pub(crate) fn french() -> Result<Self, LexiconError> {
        Self::load(
            Lang::French,
            &[("fr_relais.tsv", FR_RELAIS), ("fr_pattern.tsv", FR_PATTERN)],
        )
    }

    fn load(lang: Lang, files: &[(&'static str, &'static str)]) -> Result<Self, LexiconError> {
        let rows_of = |text: &str| text.lines().count();
        let expected = files.iter().map(|(_, t)| rows_of(t)).sum::<usize>() + rows_of(RULES) + 300;
        let mut words: Table<Entry> = Table::with_capacity(expected);
        let mut longest_emoticon = 0usize;
        let mut shortest_emoticon = usize::MAX;
        let mut add_valences = |file: &'static str, text: &'static str, emoticons_only: bool| {
            for (line, fields) in rows(file, text) {
                let key = key_of(fields[0]);
                let emoticon = looks_like_emoticon(&key);
                if key.is_empty() || (emoticons_only && !emoticon) {
                    continue;
                }
                let valence = number(file, line, fields.get(1))?;
                let entry = words.entry(fnv64(key.as_bytes()));
                // Earlier files and lines win, as in the trainer.
                if entry.valence == NONE {
                    entry.valence = milli(valence);
                }
                if emoticon {
                    entry.flags |= EMOTICON;
                    longest_emoticon = longest_emoticon.max(key.len());
                    shortest_emoticon = shortest_emoticon.min(key.len());
                }
            }
            Ok::<(), LexiconError>(())
        };
        for &(file, text) in files {
            add_valences(file, text, false)?;
        }
        if lang != Lang::English {
            // Emoticons are the same in every language: English's list serves all.
            add_valences("en_vader.tsv", EN_VADER, true)?;
        }
        for (line, fields) in rows("rules.tsv", RULES) {
            let [code, kind, word, value] = fields[..] else {
                return Err(LexiconError::BadLine {
                    file: "rules.tsv",
                    line,
                    problem: "expected 4 columns: lang, kind, word, value".into(),
                });
            };
            if code != lang.code() {
                continue;
            }
            let entry = words.entry(fnv64(key_of(word).as_bytes()));
            match kind {
                "negator" => entry.flags |= NEGATOR,
                "booster" => entry.booster = milli(number("rules.tsv", line, Some(&value))?),
                "contrast" => entry.flags |= CONTRAST,
                other => {
                    return Err(LexiconError::BadLine {
                        file: "rules.tsv",
                        line,
                        problem: format!("unknown kind {other:?}"),
                    });
                }
            }
        }
        let mut emoji = Table::with_capacity(256);
        for (line, fields) in rows("emoji.tsv", EMOJI) {
            let mut chars = fields[0].chars();
            let (Some(c), None) = (chars.next(), chars.next()) else {
                return Err(LexiconError::BadLine {
                    file: "emoji.tsv",
                    line,
                    problem: format!("{:?} is not one code point", fields[0]),
                });
            };
            *emoji.entry(u64::from(c)) = number("emoji.tsv", line, fields.get(1))?;
        }
        Ok(Lexicon {
            lang,
            words,
            emoji,
            shortest_emoticon,
            longest_emoticon,
        })
    }

    /// The entry of the word (or emoticon) whose hash is `hash` (see [`Token::hash`]).
    ///
    /// [`Token::hash`]: super::tokens::Token::hash
    pub(crate) fn get(&self, hash: u64) -> Option<&Entry> {
        self.words.get(hash)
    }

    #[cfg(test)]
    fn get_word(&self, word: &str) -> Option<&Entry> {
        self.get(fnv64(word.as_bytes()))
    }

    pub(crate) fn emoji_valence(&self, emoji: &str) -> Option<f64> {
        let mut chars = emoji.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => self.emoji.get(u64::from(c)).copied(),
            _ => None,
        }
    }

    /// The entry of the emoticon whose (lowercase) text has the hash `hash`, if it is one.
    pub(crate) fn emoticon(&self, hash: u64) -> Option<Entry> {
        self.get(hash).filter(|e| e.emoticon()).copied()
    }

    /// What is known of a word from its hash, then from the hash of its de-elongated form.
    pub(crate) fn word_entry(&self, hash: u64, squeezed: Option<u64>) -> Entry {
        let own = self.get(hash).copied().unwrap_or_default();
        match squeezed.and_then(|s| self.get(s)) {
            Some(&other) => own.or(other),
            None => own,
        }
    }

    /// Whether a text of `len` bytes can be an emoticon at all (most runs of marks are one `,`
    /// or `.`, shorter than any).
    pub(crate) fn emoticon_length(&self, len: usize) -> bool {
        (self.shortest_emoticon..=self.longest_emoticon).contains(&len)
    }

    /// English keeps `don't` whole (`dont`); French splits `l'eau` (`l`, `eau`).
    pub(crate) fn joins_apostrophes(&self) -> bool {
        self.lang == Lang::English
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_lexicons_load_with_rules_and_emoticons() {
        let en = Lexicon::english().expect("the English lexicon loads");
        let good = en.get_word("good").expect("good is in VADER's lexicon");
        assert!(good.valence().is_some_and(|v| v > 1.0));
        assert!(en.get_word("not").is_some_and(|e| e.negator()));
        assert!(
            en.get_word("very")
                .is_some_and(|e| e.booster().is_some_and(|b| b > 0.0))
        );
        assert!(
            en.get_word(":)").is_some_and(|e| e.emoticon())
                && en.get_word(":d").is_some_and(|e| e.emoticon())
        );
        let fr = Lexicon::french().expect("the French lexicon loads");
        // Folded keys: "génial" is found as "genial".
        assert!(
            fr.get_word("genial")
                .is_some_and(|e| e.valence().is_some_and(|v| v > 2.0))
        );
        assert!(fr.get_word("pas").is_some_and(|e| e.negator()));
        assert!(
            fr.get_word(":-(").is_some_and(|e| e.emoticon()),
            "French borrows English's emoticons"
        );
        assert!(fr.emoji_valence("😡").is_some_and(|v| v < -2.0));
    }
}

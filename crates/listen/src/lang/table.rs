//! The letter n-gram table (`data/lang/ngrams.tsv`, derived from lingua-rs's models): for each
//! n-gram of one to three letters, each language's natural-log probability of its last letter
//! (given the letters before it). Only the configured languages' columns are loaded, in fixed
//! point, with the gaps filled by backing off to shorter n-grams, so that scoring a letter is
//! usually one lookup. Letters are numbered (an "alphabet" of at most 255, case folded), so an
//! n-gram is a 24-bit key and a slot of the table (key and values side by side) is a few bytes:
//! the whole table stays in the processor's cache.

use super::Lang;

const SHIPPED: &str = include_str!("../../data/lang/ngrams.tsv");

/// Fixed-point factor: scores are stored and summed in 1/SCALE of a natural-log unit.
pub(super) const SCALE: i32 = 64;
/// The log-probability given to a letter a language does not use at all.
const FLOOR: i32 = -12 * SCALE;
/// Penalties for backing off to a shorter context (the longer one was not seen).
const BACKOFF_TO_BIGRAM: i32 = 2 * SCALE;
const BACKOFF_TO_UNIGRAM: i32 = 4 * SCALE;

/// Letter number 0: a letter none of the configured languages uses.
pub(super) const UNKNOWN_LETTER: u8 = 0;

#[derive(Debug, thiserror::Error)]
pub enum LangTableError {
    #[error("language table: the header has no column for {0}")]
    MissingColumn(&'static str),
    #[error("language table, line {line}: {problem}")]
    BadLine { line: usize, problem: String },
    #[error("language table: the configured languages use more than 255 letters")]
    TooManyLetters,
}

/// Numbers the letters of the configured languages, upper and lower case alike.
#[derive(Debug, Clone)]
pub(super) struct Alphabet {
    /// Letters below U+0250 (Latin scripts), by code point: one array read per char.
    latin: Vec<u8>,
    /// Other letters, sorted by char.
    others: Vec<(char, u8)>,
}

const LATIN_END: usize = 0x250;

impl Alphabet {
    fn new() -> Self {
        Alphabet {
            latin: vec![UNKNOWN_LETTER; LATIN_END],
            others: Vec::new(),
        }
    }

    /// The letter's number; `UNKNOWN_LETTER` for letters the table lacks and for non-letters.
    pub(super) fn number(&self, c: char) -> u8 {
        match self.latin.get(c as usize) {
            Some(&n) => n,
            None => self
                .others
                .binary_search_by_key(&c, |&(k, _)| k)
                .map_or(UNKNOWN_LETTER, |i| self.others[i].1),
        }
    }

    fn count(&self) -> usize {
        let latin = self.latin.iter().filter(|&&n| n != UNKNOWN_LETTER).count();
        latin + self.others.len()
    }

    /// Numbers `c` (lowercase, as in the table) and its uppercase forms.
    fn add(&mut self, c: char) -> Result<u8, LangTableError> {
        let existing = self.number(c);
        if existing != UNKNOWN_LETTER {
            return Ok(existing);
        }
        let next = self.distinct_numbers() + 1;
        let number = u8::try_from(next).map_err(|_| LangTableError::TooManyLetters)?;
        let mut forms = vec![c];
        forms.extend(c.to_uppercase().filter(|u| u.to_lowercase().eq([c])));
        for form in forms {
            match self.latin.get_mut(form as usize) {
                Some(slot) => *slot = number,
                None => {
                    if let Err(at) = self.others.binary_search_by_key(&form, |&(k, _)| k) {
                        self.others.insert(at, (form, number));
                    }
                }
            }
        }
        Ok(number)
    }

    fn distinct_numbers(&self) -> usize {
        let mut max = 0u8;
        for &n in self.latin.iter().chain(self.others.iter().map(|(_, n)| n)) {
            max = max.max(n);
        }
        usize::from(max)
    }
}

/// What scoring one word saw: its letters and how many of them the configured languages know.
pub(super) struct WordStats {
    pub letters: u32,
    pub known: u32,
}

#[derive(Debug, Clone)]
pub(super) struct NgramTable {
    pub(super) alphabet: Alphabet,
    langs: usize,
    /// `2 + langs` i16 per slot: the 24-bit key in two halves (0 marks an empty slot), then
    /// one value per configured language.
    slots: Vec<i16>,
    mask: usize,
    /// 64 minus the number of bits of a slot index.
    shift: u32,
}

/// Packs the numbers of one to three letters into a key (distinct n-grams, distinct keys, never 0).
fn pack(letters: &[u8]) -> u32 {
    letters
        .iter()
        .fold(0u32, |key, &n| (key << 8) | u32::from(n))
}

impl NgramTable {
    pub(super) fn shipped(langs: &[Lang]) -> Result<Self, LangTableError> {
        Self::parse(SHIPPED, langs)
    }

    fn parse(text: &str, langs: &[Lang]) -> Result<Self, LangTableError> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty());
        let (_, header) = lines.next().ok_or(LangTableError::BadLine {
            line: 1,
            problem: "no header".into(),
        })?;
        let header: Vec<&str> = header.split('\t').collect();
        let columns = langs
            .iter()
            .map(|lang| {
                header
                    .iter()
                    .position(|h| *h == lang.code())
                    .ok_or(LangTableError::MissingColumn(lang.code()))
            })
            .collect::<Result<Vec<_>, _>>()?;

        // The rows of n-grams that at least one configured language has, letters numbered.
        let mut alphabet = Alphabet::new();
        let mut rows: Vec<(Vec<u8>, Vec<Option<i32>>)> = Vec::new();
        for (index, line) in lines {
            let fields: Vec<&str> = line.split('\t').collect();
            let bad = |problem: String| LangTableError::BadLine {
                line: index + 1,
                problem,
            };
            let gram: Vec<char> = fields[0].chars().collect();
            if gram.is_empty() || gram.len() > 3 || !gram.iter().all(|c| c.is_alphabetic()) {
                return Err(bad(format!("{:?} is not 1 to 3 letters", fields[0])));
            }
            let mut values = Vec::with_capacity(columns.len());
            for &column in &columns {
                let field = fields.get(column).copied().unwrap_or("");
                values.push(if field.is_empty() {
                    None
                } else {
                    let value: f64 = field
                        .parse()
                        .map_err(|_| bad(format!("{field:?} is not a number")))?;
                    Some((value * f64::from(SCALE)).round() as i32)
                });
            }
            if values.iter().any(Option::is_some) {
                let numbers = gram
                    .iter()
                    .map(|&c| alphabet.add(c))
                    .collect::<Result<Vec<u8>, _>>()?;
                rows.push((numbers, values));
            }
        }
        debug_assert!(alphabet.count() <= 255);

        let capacity = (rows.len() * 2).next_power_of_two().max(16);
        let mut table = NgramTable {
            alphabet,
            langs: columns.len(),
            slots: vec![0; capacity * (2 + columns.len())],
            mask: capacity - 1,
            shift: 64 - capacity.trailing_zeros(),
        };
        // Shorter n-grams first, so that back-off values of longer ones can read them.
        rows.sort_by_key(|(gram, _)| gram.len());
        let mut filled = vec![0i32; columns.len()];
        for (gram, values) in &rows {
            for (lang, value) in values.iter().enumerate() {
                filled[lang] = match value {
                    Some(v) => *v,
                    None => table.backoff(gram, lang),
                };
            }
            table.insert(pack(gram), &filled);
        }
        Ok(table)
    }

    fn stride(&self) -> usize {
        2 + self.langs
    }

    /// Fibonacci hashing: the product's top bits depend on every bit of the key.
    fn home_slot(&self, key: u32) -> usize {
        (u64::from(key).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    fn key_at(&self, slot: usize) -> u32 {
        let at = slot * self.stride();
        (u32::from(self.slots[at] as u16) << 16) | u32::from(self.slots[at + 1] as u16)
    }

    fn insert(&mut self, key: u32, values: &[i32]) {
        let mut slot = self.home_slot(key);
        while self.key_at(slot) != 0 && self.key_at(slot) != key {
            slot = (slot + 1) & self.mask;
        }
        let at = slot * self.stride();
        self.slots[at] = (key >> 16) as u16 as i16;
        self.slots[at + 1] = key as u16 as i16;
        for (lang, &v) in values.iter().enumerate() {
            self.slots[at + 2 + lang] = v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
        }
    }

    /// The values of `key` (one per configured language), if the table has it.
    #[inline]
    fn find(&self, key: u32) -> Option<&[i16]> {
        let mut slot = self.home_slot(key);
        loop {
            match self.key_at(slot) {
                0 => return None,
                k if k == key => {
                    let at = slot * self.stride() + 2;
                    return Some(&self.slots[at..at + self.langs]);
                }
                _ => slot = (slot + 1) & self.mask,
            }
        }
    }

    /// One language's value for an n-gram it lacks, from the next shorter n-gram.
    fn backoff(&self, gram: &[u8], lang: usize) -> i32 {
        let shorter = &gram[1..];
        let penalty = match gram.len() {
            3 => BACKOFF_TO_BIGRAM,
            2 => BACKOFF_TO_UNIGRAM,
            _ => return FLOOR,
        };
        match self.find(pack(shorter)) {
            Some(values) => i32::from(values[lang]) - penalty,
            None if gram.len() == 3 => self.backoff(shorter, lang) - penalty,
            None => FLOOR,
        }
    }

    /// Adds the word's log-likelihood under each language to `scores` (shifted right by
    /// `weight_shift`, to count hashtags less). `word` holds letter numbers; an unknown letter
    /// scores the floor and starts a new context.
    pub(super) fn score_word(
        &self,
        word: &[u8],
        scores: &mut [i32],
        weight_shift: u32,
    ) -> WordStats {
        const LAST_TWO: u32 = 0xFFFF;
        const LAST_ONE: u32 = 0xFF;
        let mut known = 0u32;
        // The last three letter numbers, rolled forward one letter at a time.
        let mut key = 0u32;
        let mut context = 0usize;
        for &letter in word {
            if letter == UNKNOWN_LETTER {
                key = 0;
                context = 0;
                for score in scores.iter_mut() {
                    *score += FLOOR >> weight_shift;
                }
                continue;
            }
            key = ((key << 8) | u32::from(letter)) & 0xFF_FFFF;
            // The longest n-gram the table has, with the back-off penalty of the levels skipped.
            let found = match self.find(key) {
                Some(values) => Some((values, 0)),
                None if context >= 2 => match self.find(key & LAST_TWO) {
                    Some(values) => Some((values, BACKOFF_TO_BIGRAM)),
                    None => self
                        .find(key & LAST_ONE)
                        .map(|values| (values, BACKOFF_TO_BIGRAM + BACKOFF_TO_UNIGRAM)),
                },
                None if context == 1 => self
                    .find(key & LAST_ONE)
                    .map(|values| (values, BACKOFF_TO_UNIGRAM)),
                None => None,
            };
            context += 1;
            match found {
                Some((values, penalty)) => {
                    known += 1;
                    for (score, &value) in scores.iter_mut().zip(values) {
                        *score += (i32::from(value) - penalty) >> weight_shift;
                    }
                }
                None => {
                    for score in scores.iter_mut() {
                        *score += FLOOR >> weight_shift;
                    }
                }
            }
        }
        WordStats {
            letters: word.len() as u32,
            known,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str =
        "# comment\nngram\ten\tfr\na\t-2.0\t-2.5\nb\t-3.0\t\nab\t-1.0\t-0.5\nabc\t\t-0.25\n";

    fn letters(table: &NgramTable, s: &str) -> Vec<u8> {
        s.chars().map(|c| table.alphabet.number(c)).collect()
    }

    #[test]
    fn values_back_off_to_shorter_ngrams() {
        let table = NgramTable::parse(TINY, &[Lang::English, Lang::French]).expect("tiny table");
        let mut scores = [0i32; 2];
        table.score_word(&letters(&table, "AB"), &mut scores, 0);
        // en: a (-2) + ab (-1); fr: a (-2.5) + ab (-0.5). Upper case counts as lower.
        assert_eq!(scores, [-3 * SCALE, -3 * SCALE]);
        let mut scores = [0i32; 2];
        table.score_word(&letters(&table, "b"), &mut scores, 0);
        // fr lacks "b": floor.
        assert_eq!(scores, [-3 * SCALE, FLOOR]);
        let mut scores = [0i32; 2];
        let word = letters(&table, "abc");
        table.score_word(&word, &mut scores, 1);
        // en lacks "abc", "bc" and "c": "abc" backs off to "bc", which backs off to the floor.
        let en = -2 * SCALE - SCALE + (FLOOR - BACKOFF_TO_BIGRAM);
        let fr = -2 * SCALE - SCALE / 2 - SCALE / 2 - SCALE / 4;
        assert_eq!(scores, [en >> 1, fr >> 1]);
    }

    #[test]
    fn unknown_letters_score_the_floor_and_reset_the_context() {
        let table = NgramTable::parse(TINY, &[Lang::English, Lang::French]).expect("tiny table");
        let word = letters(&table, "aξb");
        assert_eq!(word[1], UNKNOWN_LETTER);
        let mut scores = [0i32; 2];
        let stats = table.score_word(&word, &mut scores, 0);
        assert_eq!((stats.letters, stats.known), (3, 2));
        assert_eq!(
            scores,
            [-2 * SCALE + FLOOR - 3 * SCALE, -5 * SCALE / 2 + 2 * FLOOR]
        );
    }

    #[test]
    fn a_missing_column_or_bad_line_is_an_error() {
        assert!(matches!(
            NgramTable::parse(TINY, &[Lang::German]),
            Err(LangTableError::MissingColumn("de"))
        ));
        let broken = "ngram\ten\na\tabc\n";
        assert!(matches!(
            NgramTable::parse(broken, &[Lang::English]),
            Err(LangTableError::BadLine { line: 2, .. })
        ));
    }

    #[test]
    fn the_shipped_table_loads_for_every_language() {
        let table = NgramTable::shipped(&Lang::ALL).expect("shipped table");
        assert!(table.alphabet.count() > 26);
        assert_ne!(table.alphabet.number('É'), UNKNOWN_LETTER);
        assert_eq!(table.alphabet.number('É'), table.alphabet.number('é'));
        assert_eq!(table.alphabet.number('7'), UNKNOWN_LETTER);
    }
}

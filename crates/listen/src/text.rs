//! Folding and tokenizing: the one way text is turned into words, shared by mentions and by the
//! words of listening queries, so that both sides always agree.
//!
//! **Folding** makes comparison case- and accent-insensitive: lowercase, compatibility
//! decomposition (NFKD) with the combining marks dropped, a few letters NFKD leaves alone
//! spelled out (`œ` → `oe`, `æ` → `ae`, `ß` → `ss`, `ø` → `o`, `ł` → `l`, `đ` → `d`, `ı` → `i`,
//! `ς` → `σ`) and typographic apostrophes made plain (`’` → `'`). NFKD rather than NFD because
//! social posts are full of "fancy" letters (`𝐑𝐞𝐥𝐚𝐢𝐬`, full-width `Ｒｅｌａｉｓ`, the `ﬁ`
//! ligature) that users expect to match plain words; NFKD maps them back to their letters.
//!
//! **Words** are the runs of letters, digits and `_` of the folded text; everything else
//! (spaces, punctuation, apostrophes, hyphens, emoji) separates them, so `l'Oréal` is the two
//! words `l oreal` and `coca-cola` is `coca cola`. A `#` or `@` directly before a word and not
//! after another word makes it a hashtag or a mention: the word is stored without its sign and
//! marked, so the query term `#relais` matches only the hashtag while the term `relais` matches
//! the plain word, the hashtag and the mention alike. `C#` and `jean@example.com` hold no
//! hashtag or mention (the sign follows a word).
//!
//! Words are numbered from 0 in reading order; the number is what `NEAR/n` measures.

use std::sync::OnceLock;

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Folds text for comparison: lowercase, accents and other marks removed, compatibility forms
/// and a few ligatures spelled out, typographic apostrophes made plain. Punctuation and spaces
/// are kept as they are.
///
/// ```
/// assert_eq!(relais_listen::text::fold("Réputation d’ŒUVRE"), "reputation d'oeuvre");
/// ```
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars() {
        fold_char(c, &mut |f| folded.push(f));
    }
    folded
}

/// Folds one character, giving zero (a lone combining mark), one or several characters.
#[inline]
pub fn fold_char(c: char, emit: &mut impl FnMut(char)) {
    if c.is_ascii() {
        emit(c.to_ascii_lowercase());
        return;
    }
    if let Some(folded) = latin_table().get((c as usize).wrapping_sub(0x80))
        && let Some(chars) = folded.chars.get(..usize::from(folded.len))
    {
        chars.iter().for_each(|&f| emit(f));
        return;
    }
    fold_by_tables(c, emit);
}

/// The folded forms of U+0080 to U+024F (Latin-1 Supplement, Latin Extended-A and -B), worked
/// out once: the accented letters of French and the other European languages are read here
/// instead of in Unicode's decomposition and case tables, several times faster.
fn latin_table() -> &'static [Folded] {
    static TABLE: OnceLock<Vec<Folded>> = OnceLock::new();
    TABLE.get_or_init(|| {
        ('\u{80}'..'\u{250}')
            .map(|c| {
                let mut folded = Folded {
                    len: 0,
                    chars: ['\0'; 3],
                };
                fold_by_tables(c, &mut |f| {
                    if let Some(slot) = folded.chars.get_mut(usize::from(folded.len)) {
                        *slot = f;
                    }
                    // Past 3 the length points beyond `chars`: the slow path is taken.
                    folded.len = folded.len.saturating_add(1);
                });
                folded
            })
            .collect()
    })
}

struct Folded {
    len: u8,
    chars: [char; 3],
}

fn fold_by_tables(c: char, emit: &mut impl FnMut(char)) {
    decompose_compatible(c, |part| {
        if is_combining_mark(part) {
            return;
        }
        if part.is_ascii() {
            emit(part.to_ascii_lowercase());
            return;
        }
        // Lowercasing can itself produce a combining mark (`İ` → `i` + dot above).
        for lower in part.to_lowercase() {
            if !is_combining_mark(lower) {
                spell_out(lower, emit);
            }
        }
    });
}

/// The letters that neither lowercase nor NFKD reduce to plain ones, and the apostrophes.
fn spell_out(c: char, emit: &mut impl FnMut(char)) {
    match c {
        'œ' => {
            emit('o');
            emit('e');
        }
        'æ' => {
            emit('a');
            emit('e');
        }
        'ß' => {
            emit('s');
            emit('s');
        }
        'ø' => emit('o'),
        'ł' => emit('l'),
        'đ' => emit('d'),
        'ı' => emit('i'),
        'ς' => emit('σ'),
        '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{2032}' => emit('\''),
        other => emit(other),
    }
}

/// For each byte, its lowercase form if it is an ASCII letter, digit or `_`, else 0: one load
/// instead of four comparisons and a case change in the tokenizer's innermost loop.
static ASCII_WORD_LOWER: [u8; 256] = {
    let mut table = [0; 256];
    let mut byte = 0;
    while byte < 128 {
        let b = byte as u8;
        if b.is_ascii_alphanumeric() || b == b'_' {
            table[byte] = b.to_ascii_lowercase();
        }
        byte += 1;
    }
    table
};

/// `byte` lowercased if it is an ASCII letter, digit or `_`.
#[inline]
fn ascii_word_lower(byte: u8) -> Option<u8> {
    Some(ASCII_WORD_LOWER[usize::from(byte)]).filter(|&lower| lower != 0)
}

/// Whether a folded character belongs to a word.
#[inline]
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_'
    } else {
        c.is_alphanumeric()
    }
}

/// What a word was written as in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WordKind {
    /// An ordinary word.
    Plain,
    /// A word written `#word`.
    Hashtag,
    /// A word written `@word`.
    Mention,
}

/// One word of a [`Words`]: its folded text (without `#` or `@`) and how it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word<'a> {
    pub text: &'a str,
    pub kind: WordKind,
}

/// Where a word is in [`Words::joined`], with its first bytes packed for quick comparison.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    pub start: u32,
    pub end: u32,
    /// The word's first 8 bytes, little-endian, zero-padded: most comparisons with a query
    /// word are settled by this one integer. (A folded word holds no zero byte.)
    pub head: u64,
    /// [`word_hash`] of the word.
    pub hash: u64,
    pub kind: WordKind,
}

/// A 64-bit hash of a folded word, the key of word tables (the query set's index of anchors).
/// Not for hash maps facing untrusted keys: its keys come from the queries, and a collision
/// only makes a query a candidate for nothing (the evaluation that follows is exact).
#[inline]
pub(crate) fn word_hash(bytes: &[u8]) -> u64 {
    const MULTIPLIER: u64 = 0x517C_C1B7_2722_0A95;
    let mut hash = (bytes.len() as u64).wrapping_mul(MULTIPLIER);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        hash = (hash.rotate_left(23) ^ head_of(chunk)).wrapping_mul(MULTIPLIER);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        hash = (hash.rotate_left(23) ^ head_of(rest)).wrapping_mul(MULTIPLIER);
    }
    hash ^ (hash >> 29)
}

/// The first 8 bytes of `bytes`, little-endian, zero-padded.
#[inline]
pub(crate) fn head_of(bytes: &[u8]) -> u64 {
    if let Some(first) = bytes.first_chunk::<8>() {
        return u64::from_le_bytes(*first);
    }
    bytes
        .iter()
        .enumerate()
        .fold(0, |head, (i, &byte)| head | (u64::from(byte) << (8 * i)))
}

/// The words of one text, folded, in order. Built once per mention and shared by every query
/// (and whatever else reads words); [`Words::fill`] reuses the buffers, so a worker that keeps
/// one `Words` allocates nothing per mention once it has seen a long one.
///
/// The words are stored in one string, each preceded and followed by a space
/// (`" l oreal rembourse "`, see [`Words::joined`]): a whole word is found in it as
/// `" word "` and a word beginning as `" beginning"`, without checking boundaries.
///
/// The words are also indexed by hash, so that finding a given word costs one probe rather
/// than a pass over all the words: queries look for a few words each, and a mention is read by
/// many queries.
#[derive(Debug, Clone, Default)]
pub struct Words {
    joined: String,
    spans: Vec<Span>,
    /// Hash index: `buckets[b]` is 1 + the last position whose hash falls in bucket `b` (0:
    /// none), and `chain[p]` is 1 + the previous position in the same bucket.
    buckets: Vec<u32>,
    chain: Vec<u32>,
    bucket_bits: u32,
}

impl Words {
    /// No words yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The words of `text`.
    pub fn of(text: &str) -> Self {
        let mut words = Self::new();
        words.fill(text);
        words
    }

    /// Replaces the words with those of `text`, keeping the buffers.
    pub fn fill(&mut self, text: &str) {
        self.joined.clear();
        self.spans.clear();
        let mut builder = Builder {
            joined: &mut self.joined,
            spans: &mut self.spans,
            current: None,
            sign: None,
            after_word: false,
        };
        builder.joined.push(' ');
        let bytes = text.as_bytes();
        let mut at = 0;
        while let Some(&byte) = bytes.get(at) {
            if ascii_word_lower(byte).is_some() {
                // The common case: a run of ASCII letters and digits, no decoding, no Unicode
                // table.
                builder.begin_word();
                while let Some(lower) = bytes.get(at).and_then(|&b| ascii_word_lower(b)) {
                    builder.joined.push(char::from(lower));
                    at += 1;
                }
                continue;
            }
            if byte.is_ascii() {
                builder.separator(byte);
                at += 1;
                continue;
            }
            let Some(c) = text[at..].chars().next() else {
                break;
            };
            at += c.len_utf8();
            fold_char(c, &mut |f| {
                if is_word_char(f) {
                    builder.word_char(f);
                } else if f.is_ascii() {
                    // A full-width `＃` folds to `#` and signs a hashtag like the ASCII one.
                    builder.separator(f as u8);
                } else {
                    builder.separator(b' ');
                }
            });
        }
        builder.end_word();
        self.index();
    }

    fn index(&mut self) {
        // At most half full, so chains stay short.
        self.bucket_bits = (self.spans.len() * 2)
            .next_power_of_two()
            .trailing_zeros()
            .max(1);
        self.buckets.clear();
        self.buckets.resize(1 << self.bucket_bits, 0);
        self.chain.clear();
        for (position, span) in self.spans.iter().enumerate() {
            let bucket = bucket_of(span.hash, self.bucket_bits);
            if let Some(head) = self.buckets.get_mut(bucket) {
                self.chain.push(*head);
                *head = offset(position + 1);
            }
        }
    }

    /// The positions of the words whose [`word_hash`] is `hash`, last first.
    pub(crate) fn positions_of(&self, hash: u64) -> Positions<'_> {
        let bucket = bucket_of(hash, self.bucket_bits);
        Positions {
            words: self,
            next: self.buckets.get(bucket).copied().unwrap_or(0),
            hash,
        }
    }

    /// How many words.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// No words at all.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The word at `position` (0-based), if there is one.
    pub fn get(&self, position: usize) -> Option<Word<'_>> {
        let span = self.spans.get(position)?;
        Some(Word {
            text: self.text_of(span),
            kind: span.kind,
        })
    }

    /// The words in order.
    pub fn iter(&self) -> impl Iterator<Item = Word<'_>> + '_ {
        self.spans.iter().map(|span| Word {
            text: self.text_of(span),
            kind: span.kind,
        })
    }

    /// The words joined by single spaces, with a space before the first and after the last.
    pub fn joined(&self) -> &str {
        &self.joined
    }

    pub(crate) fn spans(&self) -> &[Span] {
        &self.spans
    }

    fn text_of(&self, span: &Span) -> &str {
        // Spans are made by `Builder` at char boundaries of `joined`; `get` keeps even a
        // broken invariant from panicking.
        self.joined
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }
}

fn bucket_of(hash: u64, bits: u32) -> usize {
    // The high bits of the product are the well-mixed ones. No bits (words never filled, no
    // buckets): bucket 0, which does not exist, so nothing is found.
    hash.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .checked_shr(64 - bits)
        .unwrap_or(0) as usize
}

/// See [`Words::positions_of`].
pub(crate) struct Positions<'a> {
    words: &'a Words,
    next: u32,
    hash: u64,
}

impl Iterator for Positions<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.next != 0 {
            let position = self.next as usize - 1;
            self.next = self.words.chain.get(position).copied().unwrap_or(0);
            if self
                .words
                .spans
                .get(position)
                .is_some_and(|span| span.hash == self.hash)
            {
                return Some(position);
            }
        }
        None
    }
}

/// The tokenizer's state while one text is read.
struct Builder<'a> {
    joined: &'a mut String,
    spans: &'a mut Vec<Span>,
    /// Start (in `joined`) and kind of the word being read.
    current: Option<(u32, WordKind)>,
    /// A `#` or `@` just read, which makes the next word a hashtag or a mention.
    sign: Option<WordKind>,
    /// The last character read belonged to a word (so a `#` now is not a hashtag sign).
    after_word: bool,
}

impl Builder<'_> {
    #[inline]
    fn begin_word(&mut self) {
        if self.current.is_none() {
            let kind = self.sign.take().unwrap_or(WordKind::Plain);
            self.current = Some((offset(self.joined.len()), kind));
        }
        self.after_word = true;
    }

    #[inline]
    fn word_char(&mut self, c: char) {
        self.begin_word();
        self.joined.push(c);
    }

    /// `byte` is the ASCII separator read (or a space for any other separator).
    #[inline]
    fn separator(&mut self, byte: u8) {
        let after_word = self.after_word;
        self.end_word();
        self.sign = match byte {
            b'#' if !after_word => Some(WordKind::Hashtag),
            b'@' if !after_word => Some(WordKind::Mention),
            _ => None,
        };
    }

    #[inline]
    fn end_word(&mut self) {
        self.after_word = false;
        if let Some((start, kind)) = self.current.take() {
            let word = self
                .joined
                .as_bytes()
                .get(start as usize..)
                .unwrap_or_default();
            self.spans.push(Span {
                start,
                end: offset(self.joined.len()),
                head: head_of(word),
                hash: word_hash(word),
                kind,
            });
            self.joined.push(' ');
        }
    }
}

/// Offsets are kept in 32 bits to halve the spans' size; a text longer than 4 GiB is cut
/// there rather than mis-numbered (no mention comes near).
fn offset(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(words: &Words) -> Vec<&str> {
        words.iter().map(|w| w.text).collect()
    }

    #[test]
    fn folds_case_accents_ligatures_and_apostrophes() {
        assert_eq!(fold("Réputation"), "reputation");
        assert_eq!(fold("ŒUVRE Æther Straße"), "oeuvre aether strasse");
        assert_eq!(fold("aujourd’hui"), "aujourd'hui");
        assert_eq!(fold("İstanbul Łódź"), "istanbul lodz");
        assert_eq!(fold("𝐑𝐞𝐥𝐚𝐢𝐬 Ｒｅｌａｉｓ ﬁn"), "relais relais fin");
        // Already decomposed input (e + combining acute) folds the same as the composed one.
        assert_eq!(fold("e\u{301}te\u{301}"), fold("été"));
    }

    #[test]
    fn words_split_on_punctuation_and_keep_signs_apart() {
        let words = Words::of("L'Oréal: #Relais @Jean_D, coca-cola! C# a@b.fr ##x");
        assert_eq!(
            texts(&words),
            [
                "l", "oreal", "relais", "jean_d", "coca", "cola", "c", "a", "b", "fr", "x"
            ]
        );
        let kinds: Vec<_> = words.iter().map(|w| w.kind).collect();
        assert_eq!(kinds[2], WordKind::Hashtag);
        assert_eq!(kinds[3], WordKind::Mention);
        assert!(kinds[6..10].iter().all(|k| *k == WordKind::Plain));
        assert_eq!(kinds[10], WordKind::Hashtag);
        assert_eq!(
            words.joined(),
            " l oreal relais jean_d coca cola c a b fr x "
        );
    }

    #[test]
    fn a_combining_mark_does_not_split_a_word_and_refill_forgets_the_old_text() {
        let mut words = Words::of("cafe\u{301}s cre\u{300}me");
        assert_eq!(texts(&words), ["cafes", "creme"]);
        words.fill("# @ ");
        assert!(words.is_empty());
        assert_eq!(words.joined(), " ");
        words.fill("#été");
        assert_eq!(
            words.get(0).map(|w| (w.text, w.kind)),
            Some(("ete", WordKind::Hashtag))
        );
    }

    #[test]
    fn the_index_finds_every_occurrence_of_a_word() {
        let words = Words::of("a b a c A d #a");
        let mut found: Vec<usize> = words.positions_of(word_hash(b"a")).collect();
        found.sort_unstable();
        assert_eq!(found, [0, 2, 4, 6]);
        assert_eq!(words.positions_of(word_hash(b"e")).count(), 0);
        assert_eq!(Words::new().positions_of(word_hash(b"a")).count(), 0);
    }

    /// A printed query holds folded words, which must fold and cut into the same words again.
    #[test]
    fn folded_words_fold_to_themselves() {
        let mut bad = Vec::new();
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let once = Words::of(&c.to_string());
            for word in once.iter() {
                let again = Words::of(word.text);
                let texts: Vec<&str> = again.iter().map(|w| w.text).collect();
                if texts != [word.text] {
                    bad.push((c, word.text.to_owned(), texts.join("|")));
                }
            }
        }
        assert!(
            bad.is_empty(),
            "{} characters, first: {:?}",
            bad.len(),
            &bad[..bad.len().min(20)]
        );
    }
}

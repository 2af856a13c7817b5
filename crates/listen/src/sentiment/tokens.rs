//! Cutting a mention into the tokens sentiment looks at. This is the exact mirror of
//! `tokens()` in `tools/train_sentiment.py`: the shipped weights were learnt on the Python
//! side, so both must see the same tokens (the fixture test `sentiment_features` checks it).
//!
//! - Whitespace-separated chunks starting with `http` or `www.` are links; starting with `@`
//!   or `.@`, handles; a whole chunk that is a known emoticon (`:-)`, `xD`) is one token.
//! - Otherwise a chunk splits into words (letters and digits), runs of ASCII marks (an
//!   emoticon if the run is one, else punctuation, kept to its first 3 chars) and single
//!   non-ASCII symbols (emoji). `#` only separates (a hashtag's word is a word).
//! - Apostrophes: English joins the parts (`don't` → `dont`, noting the `n't`), French splits
//!   them (`l'eau` → `l`, `eau`).
//! - Words are lowercased, accents folded (`é` → `e`), runs of 3+ identical chars shortened
//!   to 2 (`sooo` → `soo`, marked elongated, with the fully squeezed `so` kept for look-ups),
//!   and marked in capitals when written so (`LOVE`).
//!
//! Every token carries the 64-bit FNV-1a hash of its text, worked out while the text is
//! written: the lexicon is keyed by it and the model's features are derived from it, so no
//! word is hashed twice. ASCII chunks (most of them) are cut in one pass over their bytes; the
//! others go through the general, char-by-char path, which gives the same tokens.

use super::hash::{Fnv64, fnv64};
use super::lexicon::{Entry, Lexicon};
use super::rules::is_clause_mark;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Word,
    Emoji,
    Emoticon,
    Punct,
    Url,
    User,
}

/// One token; its text (lowercase, folded, UTF-8) lives in the [`Tokens`]' shared buffer (one
/// allocation per mention, not one per token).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token {
    pub kind: Kind,
    text: (u32, u32),
    /// FNV-1a 64 of the text (0 for links and handles, which have none).
    pub hash: u64,
    /// The hash of the word with every run of a char squeezed to one (`baaad` → `bad`), when
    /// elongated: the lexicon's second chance.
    pub squeezed_hash: Option<u64>,
    pub caps: bool,
    /// An English word written with `n't` (`don't`, `isn't`): a negation.
    pub nt: bool,
    /// Punctuation with a mark that ends a clause (`.,;:!?`): negation stops there.
    pub clause_mark: bool,
    /// What the lexicon knows of a word (its own form first, then the de-elongated one) or an
    /// emoticon, looked up once while tokenizing.
    pub entry: Entry,
}

impl Token {
    fn new(kind: Kind, text: (usize, usize), hash: u64) -> Self {
        Token {
            kind,
            text: (text.0 as u32, text.1 as u32),
            hash,
            squeezed_hash: None,
            caps: false,
            nt: false,
            clause_mark: false,
            entry: Entry::default(),
        }
    }
}

/// The tokens of a mention, and the buffers that make them (reused from one mention to the
/// next, so that a mention costs no allocation once they have grown).
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    /// The tokens' texts, one after the other (UTF-8: each token is made of whole chars).
    buf: Vec<u8>,
    pub list: Vec<Token>,
    /// The mention with its apostrophes made plain (non-ASCII mentions only).
    normalized: String,
    /// A non-ASCII word lowercased and folded.
    word: String,
}

impl Tokens {
    /// The token's text, UTF-8.
    pub fn text(&self, token: &Token) -> &[u8] {
        self.buf
            .get(token.text.0 as usize..token.text.1 as usize)
            .unwrap_or(&[])
    }
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '`' | '\u{b4}')
}

/// Emoji presentation selector, zero-width joiner and skin tones: parts of an emoji, not
/// tokens of their own.
fn is_ignored(c: char) -> bool {
    matches!(c, '\u{fe0f}' | '\u{200d}' | '\u{1f3fb}'..='\u{1f3ff}')
}

/// Accent folding, the same table as the trainer's `FOLD`.
pub(crate) fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => "a",
        'é' | 'è' | 'ê' | 'ë' => "e",
        'í' | 'ì' | 'î' | 'ï' => "i",
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' => "o",
        'ú' | 'ù' | 'û' | 'ü' => "u",
        'ç' => "c",
        'ñ' => "n",
        'ÿ' => "y",
        'œ' => "oe",
        'æ' => "ae",
        _ => return None,
    })
}

fn starts_with_ignore_case(text: &[u8], prefix: &[u8]) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// What `char::is_whitespace` (and the trainer's `str.split()`) says of an ASCII byte.
fn is_ascii_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

// Classes of ASCII bytes, read from one table in the hot loops.
const ALNUM: u8 = 1;
/// `UPPER << 4` is 0x20, the bit that lowercases an ASCII capital.
const UPPER: u8 = 2;
const LOWER: u8 = 4;
/// `'` and `` ` ``.
const QUOTE: u8 = 8;

const CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 128 {
        let b = byte as u8;
        table[byte] = if b.is_ascii_uppercase() {
            ALNUM | UPPER
        } else if b.is_ascii_lowercase() {
            ALNUM | LOWER
        } else if b.is_ascii_digit() {
            ALNUM
        } else if b == b'\'' || b == b'`' {
            QUOTE
        } else {
            0
        };
        byte += 1;
    }
    table
};

fn class(byte: u8) -> u8 {
    CLASSES[usize::from(byte)]
}

fn is_ascii_alnum(byte: &u8) -> bool {
    class(*byte) & ALNUM != 0
}

/// An ASCII byte as the trainer sees it: lowercase, and `` ` `` made an apostrophe (what the
/// general path does to the whole text first).
fn normalized(byte: u8) -> u8 {
    if byte == b'`' {
        b'\''
    } else {
        byte.to_ascii_lowercase()
    }
}

fn normalized_hash(text: &[u8]) -> u64 {
    text.iter()
        .fold(Fnv64::new(), |h, &b| h.byte(normalized(b)))
        .finish()
}

/// Tokenizes `text` for the language whose lexicon is given, into `out` (cleared first).
pub(crate) fn tokenize(text: &str, lexicon: &Lexicon, out: &mut Tokens) {
    out.buf.clear();
    out.list.clear();
    if text.is_ascii() {
        let chunks = text.as_bytes().split(|&b| is_ascii_space(b));
        for chunk in chunks.filter(|c| !c.is_empty()) {
            ascii_chunk(chunk, lexicon, out);
        }
        return;
    }
    // Typographic apostrophes become `'`, as in the trainer. Their UTF-8 (and `` ` ``) have a
    // byte no French letter has but `ô` (C3 B4): most texts need no copy.
    let mut normalized = std::mem::take(&mut out.normalized);
    normalized.clear();
    let text = if text.bytes().any(|b| matches!(b, b'`' | 0x98 | 0x99 | 0xb4)) {
        normalized.extend(
            text.chars()
                .map(|c| if is_apostrophe(c) { '\'' } else { c }),
        );
        normalized.as_str()
    } else {
        text
    };
    for chunk in text.split_whitespace() {
        if chunk.is_ascii() {
            ascii_chunk(chunk.as_bytes(), lexicon, out);
        } else if !link_or_handle(chunk.as_bytes(), out) {
            // Not ASCII: not an emoticon either.
            split_chunk(chunk, lexicon, out);
        }
    }
    out.normalized = normalized;
}

/// Links and handles: pushes the token and returns true.
fn link_or_handle(chunk: &[u8], out: &mut Tokens) -> bool {
    let kind = match chunk {
        [b'h' | b'H', ..] if starts_with_ignore_case(chunk, b"http") => Kind::Url,
        [b'w' | b'W', ..] if starts_with_ignore_case(chunk, b"www.") => Kind::Url,
        [b'@', ..] | [b'.', b'@', ..] => Kind::User,
        _ => return false,
    };
    out.push_simple(kind);
    true
}

/// An ASCII chunk: a link, a handle, an emoticon, or words and marks.
fn ascii_chunk(chunk: &[u8], lexicon: &Lexicon, out: &mut Tokens) {
    if link_or_handle(chunk, out) {
        return;
    }
    let before = (out.list.len(), out.buf.len());
    let saw_mark = split_ascii_chunk(chunk, lexicon, out);
    // A whole chunk that is an emoticon (`:-)`, `xD`) is one token instead. Looked up after the
    // split, which tells whether the chunk has a mark at all: plain words need no look-up.
    if saw_mark && lexicon.emoticon_length(chunk.len()) {
        let hash = normalized_hash(chunk);
        if let Some(entry) = lexicon.emoticon(hash) {
            out.list.truncate(before.0);
            out.buf.truncate(before.1);
            out.push_normalized(Kind::Emoticon, chunk, hash).entry = entry;
        }
    }
}

/// An ASCII chunk in one pass over its bytes (the same tokens as [`split_chunk`]). Returns
/// whether it has any mark (a byte that is not a letter or digit).
fn split_ascii_chunk(chunk: &[u8], lexicon: &Lexicon, out: &mut Tokens) -> bool {
    let mut at = 0;
    let mut punct_start = None;
    let mut saw_mark = false;
    while let Some(&byte) = chunk.get(at) {
        if class(byte) & ALNUM != 0 {
            if let Some(start) = punct_start.take() {
                out.push_punct(&chunk[start..at], lexicon);
            }
            let (next, apostrophe) = out.push_ascii_word(chunk, at, lexicon);
            saw_mark |= apostrophe;
            at = next;
            continue;
        }
        saw_mark = true;
        if byte == b'#' {
            if let Some(start) = punct_start.take() {
                out.push_punct(&chunk[start..at], lexicon);
            }
        } else if punct_start.is_none() {
            punct_start = Some(at);
        }
        at += 1;
    }
    if let Some(start) = punct_start {
        out.push_punct(&chunk[start..], lexicon);
    }
    saw_mark
}

/// The char at byte `at` of `chunk` and its width (ASCII without decoding).
fn char_at(chunk: &str, at: usize) -> Option<(char, usize)> {
    let byte = *chunk.as_bytes().get(at)?;
    if byte.is_ascii() {
        return Some((char::from(byte), 1));
    }
    let c = chunk.get(at..)?.chars().next()?;
    Some((c, c.len_utf8()))
}

/// The accented letters of Latin-1 (`À` to `ÿ` but `×` and `÷`), French's: known here without
/// Unicode's tables.
fn is_latin1_letter(c: char) -> bool {
    matches!(c, '\u{c0}'..='\u{ff}') && c != '\u{d7}' && c != '\u{f7}'
}

fn is_alnum(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        is_latin1_letter(c) || c.is_alphanumeric()
    }
}

/// (alphabetic, uppercase, lowercase), as `char`'s methods say, faster for ASCII and Latin-1.
fn case_of(c: char) -> (bool, bool, bool) {
    if c.is_ascii() {
        (
            c.is_ascii_alphabetic(),
            c.is_ascii_uppercase(),
            c.is_ascii_lowercase(),
        )
    } else if is_latin1_letter(c) {
        // `À`..`Þ` are capitals, `ß`..`ÿ` small letters.
        let upper = c < '\u{df}';
        (true, upper, !upper)
    } else {
        (c.is_alphabetic(), c.is_uppercase(), c.is_lowercase())
    }
}

/// Pushes `c` lowercased and accent-folded (faster for ASCII and Latin-1, whose capitals are
/// their small letter minus 0x20).
fn push_lower_folded(c: char, out: &mut String) {
    let push = |lower: char, out: &mut String| match fold(lower) {
        Some(folded) => out.push_str(folded),
        None => out.push(lower),
    };
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else if is_latin1_letter(c) && c < '\u{df}' {
        push(char::from_u32(c as u32 + 0x20).unwrap_or(c), out);
    } else if is_latin1_letter(c) {
        push(c, out);
    } else {
        c.to_lowercase().for_each(|lower| push(lower, out));
    }
}

const NONE: usize = usize::MAX;

/// A chunk with non-ASCII chars, char by char.
fn split_chunk(chunk: &str, lexicon: &Lexicon, out: &mut Tokens) {
    // Byte ranges of `chunk` for the word and the run of marks in progress (NONE: none).
    let (mut word_start, mut word_end) = (NONE, 0usize);
    let (mut punct_start, mut punct_end) = (NONE, 0usize);
    let mut nt = false;
    let mut at = 0usize;
    let bytes = chunk.as_bytes();
    while let Some((c, width)) = char_at(chunk, at) {
        let end = at + width;
        if is_ignored(c) {
            at = end;
            continue;
        }
        if is_alnum(c) {
            if punct_start != NONE {
                out.push_punct(&bytes[punct_start..punct_end], lexicon);
                punct_start = NONE;
            }
            if word_start == NONE {
                word_start = at;
            }
            word_end = end;
            at = end;
            continue;
        }
        let next = char_at(chunk, end).map(|(n, _)| n);
        if c == '\'' && word_start != NONE && next.is_some_and(is_alnum) {
            if lexicon.joins_apostrophes() {
                // English: "don't" → "dont"; the word's range runs on over the apostrophe,
                // which `push_word` drops.
                let before_n = chunk[..word_end].ends_with(['n', 'N']);
                nt |= before_n && matches!(next, Some('t' | 'T'));
                at = end;
                continue;
            }
            // French: "l'eau" → "l", "eau".
            out.push_word(&chunk[word_start..word_end], nt, lexicon);
            word_start = NONE;
            nt = false;
            at = end;
            continue;
        }
        if word_start != NONE {
            out.push_word(&chunk[word_start..word_end], nt, lexicon);
            word_start = NONE;
            nt = false;
        }
        if c == '#' {
            if punct_start != NONE {
                out.push_punct(&bytes[punct_start..punct_end], lexicon);
                punct_start = NONE;
            }
        } else if c.is_ascii() {
            if punct_start == NONE {
                punct_start = at;
            }
            punct_end = end;
        } else {
            if punct_start != NONE {
                out.push_punct(&bytes[punct_start..punct_end], lexicon);
                punct_start = NONE;
            }
            out.push_text(Kind::Emoji, &chunk[at..end]);
        }
        at = end;
    }
    if word_start != NONE {
        out.push_word(&chunk[word_start..word_end], nt, lexicon);
    }
    if punct_start != NONE {
        out.push_punct(&bytes[punct_start..punct_end], lexicon);
    }
}

impl Tokens {
    fn push_simple(&mut self, kind: Kind) {
        let at = self.buf.len();
        self.list.push(Token::new(kind, (at, at), 0));
    }

    fn push_text(&mut self, kind: Kind, text: &str) {
        let start = self.buf.len();
        self.buf.extend_from_slice(text.as_bytes());
        let token = Token::new(kind, (start, self.buf.len()), fnv64(text.as_bytes()));
        self.list.push(token);
    }

    /// ASCII `text` [`normalized`], whose hash is known.
    fn push_normalized(&mut self, kind: Kind, text: &[u8], hash: u64) -> &mut Token {
        let start = self.buf.len();
        self.buf.extend(text.iter().map(|&b| normalized(b)));
        self.list
            .push(Token::new(kind, (start, self.buf.len()), hash));
        let last = self.list.len() - 1;
        &mut self.list[last]
    }

    /// A run of ASCII marks (no letters, so nothing to lowercase): an emoticon if the lexicon
    /// knows it, else punctuation cut to its first 3 chars.
    fn push_punct(&mut self, run: &[u8], lexicon: &Lexicon) {
        let short = &run[..run.len().min(3)];
        let short_hash = normalized_hash(short);
        if lexicon.emoticon_length(run.len()) {
            let hash = if run.len() == short.len() {
                short_hash
            } else {
                normalized_hash(run)
            };
            if let Some(entry) = lexicon.emoticon(hash) {
                self.push_normalized(Kind::Emoticon, run, hash).entry = entry;
                return;
            }
        }
        let token = self.push_normalized(Kind::Punct, short, short_hash);
        token.clause_mark = short.iter().any(|&b| is_clause_mark(char::from(b)));
    }

    /// The ASCII word of `chunk` starting at `start` (an alphanumeric byte), pushed in one pass:
    /// lowercased, runs of 3+ shortened to 2, hashed as it is written. English joins the parts
    /// around an inner apostrophe (`don't` → `dont`); French stops there and skips the
    /// apostrophe (`l'eau` → `l`, then `eau`). Returns where the next token starts, and whether
    /// an apostrophe was passed.
    fn push_ascii_word(&mut self, chunk: &[u8], start: usize, lexicon: &Lexicon) -> (usize, bool) {
        let join_apostrophes = lexicon.joins_apostrophes();
        let text_start = self.buf.len();
        let (mut uppers, mut lowers) = (0u32, 0u32);
        let mut elongated = false;
        let mut nt = false;
        let mut passed_apostrophe = false;
        let mut hash = Fnv64::new();
        // The last two bytes written, to shorten runs of three or more to two.
        let (mut last, mut before_last) = (0u8, 0u8);
        let mut at = start;
        let next = loop {
            let Some(&byte) = chunk.get(at) else {
                break at;
            };
            let byte_class = class(byte);
            if byte_class & ALNUM == 0 {
                let inner_apostrophe =
                    byte_class & QUOTE != 0 && chunk.get(at + 1).is_some_and(is_ascii_alnum);
                if !inner_apostrophe {
                    break at;
                }
                passed_apostrophe = true;
                if !join_apostrophes {
                    break at + 1;
                }
                nt |= matches!(last, b'n') && matches!(chunk[at + 1], b't' | b'T');
                at += 1;
                continue;
            }
            uppers += u32::from(byte_class & UPPER != 0);
            lowers += u32::from(byte_class & LOWER != 0);
            let lower = byte | ((byte_class & UPPER) << 4);
            at += 1;
            if lower == last && lower == before_last {
                elongated = true;
                continue;
            }
            before_last = last;
            last = lower;
            hash = hash.byte(lower);
            self.buf.push(lower);
        };
        let mut token = Token::new(Kind::Word, (text_start, self.buf.len()), hash.finish());
        token.squeezed_hash = elongated.then(|| squeezed_hash(&self.buf[text_start..]));
        token.entry = lexicon.word_entry(token.hash, token.squeezed_hash);
        // Written in capitals: two letters or more, none lowercase.
        token.caps = uppers >= 2 && lowers == 0;
        token.nt = nt;
        self.list.push(token);
        (next, passed_apostrophe)
    }

    /// A word with non-ASCII letters: lowercased, folded, apostrophes dropped (English keeps
    /// the word whole), runs of 3+ shortened to 2.
    fn push_word(&mut self, raw: &str, nt: bool, lexicon: &Lexicon) {
        let mut letters = 0usize;
        let mut has_upper = false;
        let mut has_lower = false;
        let mut word = std::mem::take(&mut self.word);
        word.clear();
        for c in raw.chars() {
            let (alphabetic, upper, lower) = case_of(c);
            letters += usize::from(alphabetic);
            has_upper |= upper;
            has_lower |= lower;
            if !is_apostrophe(c) {
                push_lower_folded(c, &mut word);
            }
        }
        let start = self.buf.len();
        let mut elongated = false;
        let mut last: [Option<char>; 2] = [None, None];
        for c in word.chars() {
            if last[0] == Some(c) && last[1] == Some(c) {
                elongated = true;
                continue;
            }
            last = [Some(c), last[0]];
            let mut utf8 = [0u8; 4];
            self.buf
                .extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        }
        self.word = word;
        let text = &self.buf[start..];
        let mut token = Token::new(Kind::Word, (start, self.buf.len()), fnv64(text));
        token.squeezed_hash = elongated.then(|| squeezed_hash(text));
        token.entry = lexicon.word_entry(token.hash, token.squeezed_hash);
        token.caps = letters >= 2 && has_upper && !has_lower;
        token.nt = nt;
        self.list.push(token);
    }
}

/// The hash of `word` (UTF-8) with every run of a char squeezed to one.
fn squeezed_hash(word: &[u8]) -> u64 {
    let mut hash = Fnv64::new();
    let mut previous: Option<&[u8]> = None;
    let mut at = 0;
    while at < word.len() {
        let width = utf8_width(word[at]);
        let c = &word[at..(at + width).min(word.len())];
        if previous != Some(c) {
            hash = hash.bytes(c);
        }
        previous = Some(c);
        at += width;
    }
    hash.finish()
}

/// The length of the UTF-8 char that starts with `lead`.
fn utf8_width(lead: u8) -> usize {
    match lead {
        0..0xe0 => 1 + usize::from(lead >= 0xc0),
        0xe0..0xf0 => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_shortcuts_agree_with_the_unicode_tables() {
        for c in '\0'..='\u{2ff}' {
            assert_eq!(
                case_of(c),
                (c.is_alphabetic(), c.is_uppercase(), c.is_lowercase()),
                "{c:?}"
            );
            assert_eq!(is_alnum(c), c.is_alphanumeric(), "{c:?}");
            let mut fast = String::new();
            push_lower_folded(c, &mut fast);
            let mut slow = String::new();
            for lower in c.to_lowercase() {
                match fold(lower) {
                    Some(folded) => slow.push_str(folded),
                    None => slow.push(lower),
                }
            }
            assert_eq!(fast, slow, "{c:?}");
        }
    }

    type Seen = (Kind, Vec<u8>, u64, Option<u64>, bool, bool, bool, Entry);

    fn seen(tokens: &Tokens) -> Vec<Seen> {
        let list = tokens.list.iter();
        list.map(|t| {
            let text = tokens.text(t).to_vec();
            (
                t.kind,
                text,
                t.hash,
                t.squeezed_hash,
                t.caps,
                t.nt,
                t.clause_mark,
                t.entry,
            )
        })
        .collect()
    }

    #[test]
    fn the_ascii_path_cuts_like_the_general_one() {
        let chunks = [
            "don't",
            "DON'T",
            "l'eau",
            "aujourd'hui",
            "#fail!!",
            "sooo",
            "BAAAD",
            "x'",
            "'a",
            "a''b",
            "it`s",
            "word,",
            "n't",
            "5th",
            "...",
            "Hello!?!",
            "NOOO!!!",
            "a-b-c",
            "I",
            "can't",
            "won't'",
            "good:(",
            "(great)",
        ];
        for lexicon in [Lexicon::english(), Lexicon::french()] {
            let lexicon = lexicon.expect("shipped lexicons load");
            for chunk in chunks {
                let mut ascii = Tokens::default();
                split_ascii_chunk(chunk.as_bytes(), &lexicon, &mut ascii);
                // The general path sees the text with its apostrophes already made plain.
                let plain = chunk.replace('`', "'");
                let mut general = Tokens::default();
                split_chunk(&plain, &lexicon, &mut general);
                assert_eq!(seen(&ascii), seen(&general), "{chunk:?}");
            }
        }
    }

    #[test]
    fn words_are_folded_squeezed_and_hashed() {
        let lexicon = Lexicon::french().expect("the French lexicon loads");
        let mut tokens = Tokens::default();
        tokenize("TRÈÈÈS bieeen :-) @bob", &lexicon, &mut tokens);
        let texts: Vec<&[u8]> = tokens.list.iter().map(|t| tokens.text(t)).collect();
        assert_eq!(texts, [&b"trees"[..], b"bieen", b":-)", b""]);
        let first = tokens.list[0];
        assert!(first.caps && first.kind == Kind::Word);
        assert_eq!(first.hash, fnv64(b"trees"));
        assert_eq!(first.squeezed_hash, Some(fnv64(b"tres")));
        assert_eq!(tokens.list[2].kind, Kind::Emoticon);
        assert!(
            tokens.list[2].entry.valence().is_some_and(|v| v > 0.0),
            "a smile"
        );
        assert_eq!(tokens.list[3].kind, Kind::User);
    }
}

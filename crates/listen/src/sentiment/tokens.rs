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

use std::borrow::Cow;

use super::lexicon::Lexicon;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Word,
    Emoji,
    Emoticon,
    Punct,
    Url,
    User,
}

/// One token; its text lives in the [`Tokens`]' shared buffer (one allocation per mention, not
/// one per token).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token {
    pub kind: Kind,
    text: (u32, u32),
    /// The word with every run of a char squeezed to one (`baaad` → `bad`), when elongated.
    squeezed: Option<(u32, u32)>,
    pub caps: bool,
    /// An English word written with `n't` (`don't`, `isn't`): a negation.
    pub nt: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Tokens {
    buf: String,
    pub list: Vec<Token>,
}

impl Tokens {
    pub fn text(&self, token: &Token) -> &str {
        &self.buf[token.text.0 as usize..token.text.1 as usize]
    }

    pub fn squeezed(&self, token: &Token) -> Option<&str> {
        token
            .squeezed
            .map(|(start, end)| &self.buf[start as usize..end as usize])
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

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Typographic apostrophes become `'`, as in the trainer (copying the text only when needed).
fn normalize_apostrophes(text: &str) -> Cow<'_, str> {
    let has_other = if text.is_ascii() {
        text.contains('`')
    } else {
        text.contains(|c: char| is_apostrophe(c) && c != '\'')
    };
    if has_other {
        Cow::Owned(
            text.chars()
                .map(|c| if is_apostrophe(c) { '\'' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// Tokenizes `text` for the language whose lexicon is given, into `out` (cleared first; its
/// buffers are reused from one mention to the next). `scratch` is a working buffer.
pub(crate) fn tokenize(text: &str, lexicon: &Lexicon, out: &mut Tokens, scratch: &mut String) {
    let text = normalize_apostrophes(text);
    out.buf.clear();
    out.list.clear();
    for chunk in text.split_whitespace() {
        if starts_with_ignore_case(chunk, "http") || starts_with_ignore_case(chunk, "www.") {
            out.push_simple(Kind::Url);
            continue;
        }
        if chunk.starts_with('@') || chunk.starts_with(".@") {
            out.push_simple(Kind::User);
            continue;
        }
        // Only chunks with a mark can be emoticons: plain words skip the look-up.
        if chunk.is_ascii() && chunk.bytes().any(|b| b.is_ascii_punctuation()) {
            scratch.clear();
            scratch.push_str(chunk);
            scratch.make_ascii_lowercase();
            if lexicon.is_emoticon(scratch) {
                out.push_text(Kind::Emoticon, scratch);
                continue;
            }
        }
        split_chunk(chunk, lexicon, out, scratch);
    }
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

fn is_alnum(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        c.is_alphanumeric()
    }
}

const NONE: usize = usize::MAX;

fn split_chunk(chunk: &str, lexicon: &Lexicon, out: &mut Tokens, scratch: &mut String) {
    // Byte ranges of `chunk` for the word and the run of marks in progress (NONE: none).
    let (mut word_start, mut word_end) = (NONE, 0usize);
    let (mut punct_start, mut punct_end) = (NONE, 0usize);
    let mut nt = false;
    let mut at = 0usize;
    while let Some((c, width)) = char_at(chunk, at) {
        let end = at + width;
        if is_ignored(c) {
            at = end;
            continue;
        }
        if is_alnum(c) {
            if punct_start != NONE {
                out.push_punct(&chunk[punct_start..punct_end], lexicon, scratch);
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
            out.push_word(chunk, (word_start, word_end), nt, scratch);
            word_start = NONE;
            nt = false;
            at = end;
            continue;
        }
        if word_start != NONE {
            out.push_word(chunk, (word_start, word_end), nt, scratch);
            word_start = NONE;
            nt = false;
        }
        if c == '#' {
            if punct_start != NONE {
                out.push_punct(&chunk[punct_start..punct_end], lexicon, scratch);
                punct_start = NONE;
            }
        } else if c.is_ascii() {
            if punct_start == NONE {
                punct_start = at;
            }
            punct_end = end;
        } else {
            if punct_start != NONE {
                out.push_punct(&chunk[punct_start..punct_end], lexicon, scratch);
                punct_start = NONE;
            }
            out.push_text(Kind::Emoji, &chunk[at..end]);
        }
        at = end;
    }
    if word_start != NONE {
        out.push_word(chunk, (word_start, word_end), nt, scratch);
    }
    if punct_start != NONE {
        out.push_punct(&chunk[punct_start..punct_end], lexicon, scratch);
    }
}

impl Tokens {
    fn push_simple(&mut self, kind: Kind) {
        let at = self.buf.len() as u32;
        self.list.push(Token {
            kind,
            text: (at, at),
            squeezed: None,
            caps: false,
            nt: false,
        });
    }

    fn push_text(&mut self, kind: Kind, text: &str) {
        let start = self.buf.len() as u32;
        self.buf.push_str(text);
        self.list.push(Token {
            kind,
            text: (start, self.buf.len() as u32),
            squeezed: None,
            caps: false,
            nt: false,
        });
    }

    fn push_punct(&mut self, run: &str, lexicon: &Lexicon, scratch: &mut String) {
        scratch.clear();
        scratch.push_str(run);
        scratch.make_ascii_lowercase();
        if lexicon.is_emoticon(scratch) {
            self.push_text(Kind::Emoticon, scratch);
        } else {
            // Runs of marks are ASCII: the first 3 bytes are the first 3 chars.
            let short = &run[..run.len().min(3)];
            self.push_text(Kind::Punct, short);
        }
    }

    /// `push_word` for ASCII words (most words), in one pass without Unicode tables: the same
    /// result (ASCII letters have no accents to fold).
    fn push_ascii_word(&mut self, raw: &[u8], nt: bool) {
        let text_start = self.buf.len() as u32;
        let (mut letters, mut has_upper, mut has_lower) = (0usize, false, false);
        let mut elongated = false;
        // The last two bytes written, to shorten runs of three or more to two.
        let (mut last, mut before_last) = (0u8, 0u8);
        for &byte in raw {
            if byte == b'\'' {
                continue;
            }
            letters += usize::from(byte.is_ascii_alphabetic());
            has_upper |= byte.is_ascii_uppercase();
            has_lower |= byte.is_ascii_lowercase();
            let lower = byte.to_ascii_lowercase();
            if lower == last && lower == before_last {
                elongated = true;
                continue;
            }
            before_last = last;
            last = lower;
            self.buf.push(char::from(lower));
        }
        let text_end = self.buf.len() as u32;
        let squeezed = if elongated {
            let mut previous = 0u8;
            for at in text_start..text_end {
                let byte = self.buf.as_bytes()[at as usize];
                if byte != previous {
                    self.buf.push(char::from(byte));
                }
                previous = byte;
            }
            Some((text_end, self.buf.len() as u32))
        } else {
            None
        };
        self.list.push(Token {
            kind: Kind::Word,
            text: (text_start, text_end),
            squeezed,
            caps: letters >= 2 && has_upper && !has_lower,
            nt,
        });
    }

    fn push_word(
        &mut self,
        chunk: &str,
        (start, end): (usize, usize),
        nt: bool,
        scratch: &mut String,
    ) {
        let raw = &chunk[start..end];
        if raw.is_ascii() {
            self.push_ascii_word(raw.as_bytes(), nt);
            return;
        }
        // Lowercase, fold accents and drop apostrophes (English keeps the word whole).
        scratch.clear();
        let mut letters = 0usize;
        let mut has_upper = false;
        let mut has_lower = false;
        for c in raw.chars() {
            if c.is_alphabetic() {
                letters += 1;
            }
            has_upper |= c.is_uppercase();
            has_lower |= c.is_lowercase();
        }
        let caps = letters >= 2 && has_upper && !has_lower;
        for c in raw.chars() {
            if is_apostrophe(c) {
                continue;
            }
            for lower in c.to_lowercase() {
                match fold(lower) {
                    Some(folded) => scratch.push_str(folded),
                    None => scratch.push(lower),
                }
            }
        }
        let text_start = self.buf.len() as u32;
        let mut elongated = false;
        let mut last: [Option<char>; 2] = [None, None];
        for c in scratch.chars() {
            if last[0] == Some(c) && last[1] == Some(c) {
                elongated = true;
                continue;
            }
            last = [Some(c), last[0]];
            self.buf.push(c);
        }
        let text_end = self.buf.len() as u32;
        let squeezed = if elongated {
            let squeezed_start = self.buf.len() as u32;
            let mut previous = None;
            for c in scratch.chars() {
                if previous != Some(c) {
                    self.buf.push(c);
                }
                previous = Some(c);
            }
            Some((squeezed_start, self.buf.len() as u32))
        } else {
            None
        };
        self.list.push(Token {
            kind: Kind::Word,
            text: (text_start, text_end),
            squeezed,
            caps,
            nt,
        });
    }
}

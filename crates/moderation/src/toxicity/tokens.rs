//! Cutting a message into the tokens the toxicity model looks at. This is the exact mirror of
//! `Tokenizer` in `tools/train_toxicity.py`: the shipped weights were learnt on the Python side,
//! so both must see the same tokens (the fixture test `toxicity_features` checks it).
//!
//! - Whitespace-separated chunks starting with `http` or `www.` are links; starting with `@`
//!   or `.@`, handles.
//! - Otherwise a chunk splits into words (letters and digits), runs of ASCII marks (kept to
//!   their first 3 chars) and single non-ASCII symbols (emoji). `#` only separates.
//! - Apostrophes: English joins the parts (`you're` → `youre`), French splits them
//!   (`t'es` → `t`, `es`).
//! - Words are lowercased, accents folded (`é` → `e`) and runs of 3+ identical chars cut to 2.
//! - Disguised lexicon words are written back as the lexicon word: stretched (`putaiiin`),
//!   with digits or marks for letters (`c0nn4rd`, `f*ck`, `sh!t`, `a$$hole`) or spaced
//!   (`f u c k`, `c.o.n`). Only spellings that land on a lexicon word are rewritten, so `mp3`
//!   or `jean@example` stay as they are.

use super::lexicon::{Entry, Kind as LexKind, Lexicon, lower_fold_into, squeeze_into};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Word,
    Emoji,
    Punct,
    Url,
    User,
}

impl Kind {
    /// The letter the trainer's fixture uses for the kind.
    pub(crate) fn letter(self) -> char {
        match self {
            Kind::Word => 'w',
            Kind::Emoji => 'e',
            Kind::Punct => 'p',
            Kind::Url => 'u',
            Kind::User => 'U',
        }
    }
}

/// One token; its text lives in the [`Tokens`]' shared buffer (no allocation per token).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token {
    pub kind: Kind,
    text: (u32, u32),
    /// Written in capitals (`CONNARD`).
    pub caps: bool,
    /// The lexicon entry of a word, if it has one.
    pub lex: Option<Entry>,
    /// The word was found under a disguise (stretched, digits or marks, spaced letters).
    pub disguised: bool,
}

/// The tokens of a message, and the working buffers that make them (reused from one message
/// to the next).
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    buf: String,
    pub list: Vec<Token>,
    /// The raw word in progress.
    raw: String,
    /// Folded and squeezed forms of a word being looked up.
    work: String,
    work2: String,
    /// The chars of the chunk being split.
    chars: Vec<char>,
}

impl Token {
    fn text_in<'a>(&self, buf: &'a str) -> &'a str {
        buf.get(self.text.0 as usize..self.text.1 as usize)
            .unwrap_or("")
    }
}

impl Tokens {
    pub fn text(&self, token: &Token) -> &str {
        token.text_in(&self.buf)
    }
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '`' | '\u{b4}')
}

/// Emoji presentation selector, zero-width joiner and skin tones: parts of an emoji, skipped.
fn is_ignored(c: char) -> bool {
    matches!(c, '\u{fe0f}' | '\u{200d}' | '\u{1f3fb}'..='\u{1f3ff}')
}

/// Marks that stand for letters inside a word, and the letter (`*` stays a wildcard).
fn mask_letter(c: char) -> Option<char> {
    Some(match c {
        '*' => '*',
        '@' => 'a',
        '$' => 's',
        '!' => 'i',
        '|' => 'l',
        _ => return None,
    })
}

/// Digits written for letters (`c0nn4rd`).
fn leet_letter(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' => 'i',
        '3' => 'e',
        '4' => 'a',
        '5' => 's',
        '7' => 't',
        _ => return None,
    })
}

/// No lexicon word is longer: longer disguised spans or runs of spaced letters are not looked
/// up, which keeps the work linear on a megabyte of `a*a*a*` or `a a a`.
const MAX_SPAN: usize = 40;
const MAX_SPACED: usize = 24;

/// Separators allowed between spaced letters (`f.u.c.k`, `c-o-n`).
fn is_spacer(text: &str) -> bool {
    matches!(text, "." | "-" | "_")
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

fn is_alnum(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        c.is_alphanumeric()
    }
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Tokenizes `text` for the language whose lexicon is given into `out` (cleared first).
/// `english` joins the parts of words around apostrophes; French splits them.
pub(crate) fn tokenize(text: &str, lexicon: &Lexicon, english: bool, out: &mut Tokens) {
    out.buf.clear();
    out.list.clear();
    for chunk in text.split_whitespace() {
        if starts_with_ignore_case(chunk, "http") || starts_with_ignore_case(chunk, "www.") {
            out.push_empty(Kind::Url);
            continue;
        }
        if chunk.starts_with('@') || chunk.starts_with(".@") {
            out.push_empty(Kind::User);
            continue;
        }
        let mut chars = std::mem::take(&mut out.chars);
        chars.clear();
        chars.extend(
            chunk
                .chars()
                .map(|c| if is_apostrophe(c) { '\'' } else { c }),
        );
        out.split_chunk(&chars, lexicon, english);
        out.chars = chars;
    }
    out.join_spaced_letters(lexicon);
}

impl Tokens {
    fn push_token(
        &mut self,
        kind: Kind,
        start: usize,
        caps: bool,
        lex: Option<Entry>,
        disguised: bool,
    ) {
        self.list.push(Token {
            kind,
            text: (start as u32, self.buf.len() as u32),
            caps,
            lex,
            disguised,
        });
    }

    fn push_empty(&mut self, kind: Kind) {
        let at = self.buf.len();
        self.push_token(kind, at, false, None, false);
    }

    fn push_text(&mut self, kind: Kind, text: &str) {
        let start = self.buf.len();
        self.buf.push_str(text);
        self.push_token(kind, start, false, None, false);
    }

    fn push_lexicon_word(&mut self, lexicon: &Lexicon, entry: Entry) {
        let start = self.buf.len();
        self.buf.push_str(lexicon.word(entry));
        self.push_token(Kind::Word, start, false, Some(entry), true);
    }

    fn push_punct(&mut self, run: &[char]) {
        let start = self.buf.len();
        self.buf.extend(run);
        self.push_token(Kind::Punct, start, false, None, false);
    }

    fn split_chunk(&mut self, chars: &[char], lexicon: &Lexicon, english: bool) {
        // The word in progress is in `self.raw`; the run of marks in `punct_run` (its first 3:
        // only those are kept).
        self.raw.clear();
        let mut in_word = false;
        let mut in_punct = false;
        let mut punct_run = ['\0'; 3];
        let mut punct_len = 0usize;
        let mut at = 0;
        while let Some(&c) = chars.get(at) {
            if is_ignored(c) {
                at += 1;
                continue;
            }
            if is_alnum(c) {
                if std::mem::take(&mut in_punct) {
                    self.push_punct(&punct_run[..punct_len]);
                    punct_len = 0;
                }
                if !in_word {
                    if let Some((end, entry)) = self.disguised_span(chars, at, lexicon) {
                        self.push_lexicon_word(lexicon, entry);
                        at = end;
                        continue;
                    }
                    in_word = true;
                }
                self.raw.push(c);
                at += 1;
                continue;
            }
            if c == '\'' && in_word && chars.get(at + 1).is_some_and(|&next| is_alnum(next)) {
                if english {
                    // "don't" → "dont": the apostrophe is dropped when the word is written.
                    self.raw.push(c);
                } else {
                    // "t'es" → "t", "es".
                    self.push_word(lexicon);
                    in_word = false;
                }
                at += 1;
                continue;
            }
            if std::mem::take(&mut in_word) {
                self.push_word(lexicon);
            }
            if c == '#' {
                if std::mem::take(&mut in_punct) {
                    self.push_punct(&punct_run[..punct_len]);
                    punct_len = 0;
                }
            } else if c.is_ascii() {
                if punct_len < punct_run.len() {
                    punct_run[punct_len] = c;
                    punct_len += 1;
                }
                in_punct = true;
            } else {
                if std::mem::take(&mut in_punct) {
                    self.push_punct(&punct_run[..punct_len]);
                    punct_len = 0;
                }
                let mut utf8 = [0u8; 4];
                self.push_text(Kind::Emoji, c.encode_utf8(&mut utf8));
            }
            at += 1;
        }
        if in_word {
            self.push_word(lexicon);
        }
        if in_punct {
            self.push_punct(&punct_run[..punct_len]);
        }
    }

    /// A word starting at `start` written with marks or digits for letters (`f*ck`, `c0nn4rd`)
    /// that is a lexicon word: where it ends and its entry.
    fn disguised_span(
        &mut self,
        chars: &[char],
        start: usize,
        lexicon: &Lexicon,
    ) -> Option<(usize, Entry)> {
        let mut end = start;
        while end - start <= MAX_SPAN
            && chars
                .get(end)
                .is_some_and(|&c| is_alnum(c) || mask_letter(c).is_some())
        {
            end += 1;
        }
        if end - start > MAX_SPAN {
            return None;
        }
        while end > start && mask_letter(chars[end - 1]).is_some() {
            end -= 1;
        }
        let span = &chars[start..end];
        let letters = span.iter().filter(|c| c.is_alphabetic()).count();
        let disguised = span
            .iter()
            .any(|&c| mask_letter(c).is_some() || leet_letter(c).is_some());
        if letters < 2 || !disguised {
            return None;
        }
        // Fold, then read marks and digits as letters, then squeeze. (`raw` is empty at the
        // start of a word: it serves as a buffer here.)
        self.raw.clear();
        self.raw.extend(span);
        self.work.clear();
        lower_fold_into(&self.raw, &mut self.work);
        self.raw.clear();
        self.work2.clear();
        self.work2.extend(
            self.work
                .chars()
                .map(|c| mask_letter(c).or_else(|| leet_letter(c)).unwrap_or(c)),
        );
        self.work.clear();
        squeeze_into(&self.work2, &mut self.work);
        let entry = match self.work.matches('*').count() {
            0 => lexicon.squeezed(&self.work),
            1 => lexicon.masked(&self.work),
            _ => None,
        }?;
        Some((end, entry))
    }

    /// Writes the word in `self.raw` (lowercase, folded, runs cut to two) and clears `raw`.
    fn push_word(&mut self, lexicon: &Lexicon) {
        let (mut letters, mut has_upper, mut has_lower) = (0usize, false, false);
        for c in self.raw.chars() {
            letters += usize::from(c.is_alphabetic());
            has_upper |= c.is_uppercase();
            has_lower |= c.is_lowercase();
        }
        let caps = letters >= 2 && has_upper && !has_lower;
        self.work.clear();
        lower_fold_into(&self.raw, &mut self.work);
        self.raw.clear();
        let start = self.buf.len();
        let mut elongated = false;
        let mut last: [Option<char>; 2] = [None, None];
        for c in self.work.chars() {
            if last[0] == Some(c) && last[1] == Some(c) {
                elongated = true;
                continue;
            }
            last = [Some(c), last[0]];
            self.buf.push(c);
        }
        let written = &self.buf[start..];
        let mut lex = lexicon.exact(written);
        let mut disguised = false;
        if lex.is_none() && elongated {
            self.work2.clear();
            squeeze_into(written, &mut self.work2);
            lex = lexicon.squeezed(&self.work2);
            disguised = lex.is_some();
        }
        if let (true, Some(entry)) = (disguised, lex) {
            self.buf.truncate(start);
            self.buf.push_str(lexicon.word(entry));
        }
        self.push_token(Kind::Word, start, caps, lex, disguised);
    }

    fn is_single_letter(&self, token: &Token) -> bool {
        if token.kind != Kind::Word {
            return false;
        }
        let mut chars = self.text(token).chars();
        matches!((chars.next(), chars.next()), (Some(c), None) if c.is_alphabetic())
    }

    /// Runs of 3+ single letters (`f u c k`, `c.o.n`, separated by nothing or one of `.-_`)
    /// that spell a lexicon word become that word.
    fn join_spaced_letters(&mut self, lexicon: &Lexicon) {
        let n = self.list.len();
        let mut kept = 0;
        let mut at = 0;
        while at < n {
            let token = self.list[at];
            if !self.is_single_letter(&token) {
                self.list[kept] = token;
                kept += 1;
                at += 1;
                continue;
            }
            self.work.clear();
            self.work.push_str(token.text_in(&self.buf));
            let (mut next, mut end, mut letters) = (at + 1, at + 1, 1);
            while next < n && letters <= MAX_SPACED {
                let candidate = self.list[next];
                if self.is_single_letter(&candidate) {
                    self.work.push_str(candidate.text_in(&self.buf));
                    letters += 1;
                    next += 1;
                    end = next;
                    continue;
                }
                let spacer = candidate.kind == Kind::Punct && is_spacer(self.text(&candidate));
                if spacer
                    && self
                        .list
                        .get(next + 1)
                        .is_some_and(|t| self.is_single_letter(t))
                {
                    next += 1;
                    continue;
                }
                break;
            }
            let entry = if (3..=MAX_SPACED).contains(&letters) {
                lexicon.exact(&self.work).or_else(|| {
                    self.work2.clear();
                    squeeze_into(&self.work, &mut self.work2);
                    lexicon.squeezed(&self.work2)
                })
            } else {
                None
            };
            match entry {
                Some(entry) if entry.kind != LexKind::Target => {
                    // The joined word goes to the end of the buffer; the letters' text stays
                    // where it was, unused.
                    let start = self.buf.len();
                    self.buf.push_str(lexicon.word(entry));
                    self.list[kept] = Token {
                        kind: Kind::Word,
                        text: (start as u32, self.buf.len() as u32),
                        caps: false,
                        lex: Some(entry),
                        disguised: true,
                    };
                    kept += 1;
                    at = end;
                }
                _ => {
                    self.list[kept] = token;
                    kept += 1;
                    at += 1;
                }
            }
        }
        self.list.truncate(kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use relais_listen::lang::Lang;

    const LEXICON: &str = "fr\tinsult\tconnard\nfr\tprofanity\tputain\nfr\ttarget\tte\n\
                           en\tprofanity\tfuck\nen\tinsult\tasshole\nen\tinsult\tass\n";

    fn shown(text: &str, lang: Lang) -> String {
        let lexicon = Lexicon::parse(LEXICON, lang).expect("test lexicon");
        let mut tokens = Tokens::default();
        tokenize(text, &lexicon, lang == Lang::English, &mut tokens);
        tokens
            .list
            .iter()
            .map(|t| {
                let mark = if t.disguised { "~" } else { "" };
                format!("{}:{}{mark}", t.kind.letter(), tokens.text(t))
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn chunks_split_into_words_marks_and_symbols() {
        assert_eq!(
            shown("@bob Hé, ÇA va?!?! #top http://x.y 😂👍🏽", Lang::French),
            "U: w:he p:, w:ca w:va p:?!? w:top u: e:😂 e:👍"
        );
        assert_eq!(shown("l’eau t'es", Lang::French), "w:l w:eau w:t w:es");
        assert_eq!(shown("don’t you're", Lang::English), "w:dont w:youre");
    }

    #[test]
    fn stretched_words_are_cut_and_lexicon_words_restored() {
        assert_eq!(shown("sooooo", Lang::English), "w:soo");
        assert_eq!(shown("putaiiiiin", Lang::French), "w:putain~");
        // "connaaard" is cut to "connaard", unknown; squeezed, "conard" is "connard"'s key.
        assert_eq!(shown("connaaard", Lang::French), "w:connard~");
        // Cut to two letters, "connnnard" is the word itself, found as written.
        assert_eq!(shown("connnnard", Lang::French), "w:connard");
        // An unstretched word is never read through its squeezed form: "as" stays "as".
        assert_eq!(shown("as", Lang::English), "w:as");
        assert_eq!(shown("assss", Lang::English), "w:ass");
    }

    #[test]
    fn digits_and_marks_for_letters() {
        assert_eq!(shown("c0nn4rd", Lang::French), "w:connard~");
        assert_eq!(
            shown("f*ck f**k fu*k", Lang::English),
            "w:fuck~ w:fuck~ w:fuck~"
        );
        assert_eq!(shown("a$$hole!", Lang::English), "w:asshole~ p:!");
        // Marks at the end are punctuation; no lexicon word, no rewriting.
        assert_eq!(shown("fuck!!", Lang::English), "w:fuck p:!!");
        assert_eq!(shown("wh*t", Lang::English), "w:wh p:* w:t");
        assert_eq!(shown("r2d2 mp3", Lang::English), "w:r2d2 w:mp3");
        // One letter is too little to guess from.
        assert_eq!(shown("f***", Lang::English), "w:f p:***");
    }

    #[test]
    fn spaced_letters_are_joined_when_they_spell_a_lexicon_word() {
        assert_eq!(shown("f u c k off", Lang::English), "w:fuck~ w:off");
        assert_eq!(shown("c.o.n.n.a.r.d", Lang::French), "w:connard~");
        assert_eq!(shown("p-u-t-a-i-n !", Lang::French), "w:putain~ p:!");
        // Letters that spell nothing stay as they are; two letters are too few.
        assert_eq!(shown("a b c", Lang::English), "w:a w:b w:c");
        assert_eq!(shown("t e", Lang::French), "w:t w:e");
        // A run that fails from its first letter may succeed from a later one.
        assert_eq!(shown("x f u c k", Lang::English), "w:x w:fuck~");
    }

    #[test]
    fn emoji_parts_and_marks_runs() {
        // Joiners and skin tones vanish, even inside a word or a run of marks.
        assert_eq!(
            shown("ab\u{200d}cd !\u{fe0f}!", Lang::English),
            "w:abcd p:!!"
        );
        // Runs of marks keep their first 3 chars.
        assert_eq!(shown("!!!!!!", Lang::English), "p:!!!");
    }

    #[test]
    fn capitals_are_noted() {
        let lexicon = Lexicon::parse(LEXICON, Lang::French).expect("test lexicon");
        let mut tokens = Tokens::default();
        tokenize("CONNARD Va A", &lexicon, false, &mut tokens);
        let caps: Vec<bool> = tokens.list.iter().map(|t| t.caps).collect();
        assert_eq!(caps, vec![true, false, false]);
    }
}

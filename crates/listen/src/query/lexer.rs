//! Cuts a query into tokens: parentheses, operators, words and phrases (already folded and cut
//! into words the way texts are), fields. Offsets are bytes; errors turn them into columns.

use super::ast::{Phrase, WordPattern};
use super::error::QueryError;
use super::field::{Field, FieldName, normalise};
use super::{MAX_NEAR_DISTANCE, MAX_TERMS, MIN_WILDCARD_STEM};
use crate::text::{WordKind, Words};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    Open,
    Close,
    And,
    Or,
    Not,
    /// A `-` glued to what follows.
    Minus,
    Near {
        distance: u32,
        ordered: bool,
    },
    /// A term (one word or, like `coca-cola`, several) or a quoted phrase.
    Phrase(Phrase),
    Field(Field),
}

#[derive(Debug, Clone)]
pub(crate) struct Lexed {
    pub tok: Tok,
    /// Byte offset in the query.
    pub at: usize,
}

pub(crate) fn lex(text: &str) -> Result<Vec<Lexed>, QueryError> {
    let mut lexer = Lexer {
        text,
        tokens: Vec::new(),
        terms: 0,
    };
    let mut at = 0;
    while let Some(c) = text[at..].chars().next() {
        if c.is_whitespace() {
            at += c.len_utf8();
            continue;
        }
        at = match c {
            '(' => lexer.push(Tok::Open, at, at + 1),
            ')' => lexer.push(Tok::Close, at, at + 1),
            '"' => lexer.quoted_phrase(at)?,
            '-' => lexer.minus(at)?,
            _ => lexer.bare(at)?,
        };
    }
    Ok(lexer.tokens)
}

struct Lexer<'a> {
    text: &'a str,
    tokens: Vec<Lexed>,
    /// Words and fields so far, against [`MAX_TERMS`].
    terms: usize,
}

/// Where a bare piece of the query ends: at a space, a parenthesis or a quote.
fn bare_end(text: &str, from: usize) -> usize {
    text[from..]
        .find(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '"'))
        .map_or(text.len(), |len| from + len)
}

impl Lexer<'_> {
    fn error(&self, at: usize, message: impl Into<String>) -> QueryError {
        QueryError::at(self.text, at, message)
    }

    /// Adds a token and returns `next`, where lexing goes on.
    fn push(&mut self, tok: Tok, at: usize, next: usize) -> usize {
        self.tokens.push(Lexed { tok, at });
        next
    }

    fn count_terms(&mut self, added: usize, at: usize) -> Result<(), QueryError> {
        self.terms += added;
        if self.terms > MAX_TERMS {
            return Err(self.error(
                at,
                format!(
                    "the query has more than {MAX_TERMS} words and fields; split it into several queries"
                ),
            ));
        }
        Ok(())
    }

    fn quoted_phrase(&mut self, at: usize) -> Result<usize, QueryError> {
        let content_start = at + 1;
        let Some(len) = self.text[content_start..].find('"') else {
            return Err(self.error(at, "this quote is never closed: add a closing \""));
        };
        let content_end = content_start + len;
        let mut phrase = Vec::new();
        let mut piece_start = content_start;
        for piece in self.text[content_start..content_end].split(char::is_whitespace) {
            if !piece.is_empty() {
                phrase.extend(self.words_of(piece, piece_start)?);
            }
            piece_start += piece.len();
            // The separator's own length: it may be a multi-byte space.
            piece_start += self.text[piece_start..content_end]
                .chars()
                .next()
                .map_or(0, char::len_utf8);
        }
        if phrase.is_empty() {
            return Err(self.error(
                at,
                "this phrase has no letters or digits to look for: put words between the quotes",
            ));
        }
        self.count_terms(phrase.len(), at)?;
        Ok(self.push(Tok::Phrase(phrase), at, content_end + 1))
    }

    fn minus(&mut self, at: usize) -> Result<usize, QueryError> {
        match self.text[at + 1..].chars().next() {
            Some(next) if !next.is_whitespace() && next != ')' => Ok(self.push(Tok::Minus, at, at + 1)),
            _ => Err(self.error(
                at,
                "a - must be directly followed by what to leave out, as in -word, -\"a phrase\" or -(a OR b)",
            )),
        }
    }

    fn bare(&mut self, at: usize) -> Result<usize, QueryError> {
        let end = bare_end(self.text, at);
        let piece = &self.text[at..end];
        match piece {
            "AND" => return Ok(self.push(Tok::And, at, end)),
            "OR" => return Ok(self.push(Tok::Or, at, end)),
            "NOT" => return Ok(self.push(Tok::Not, at, end)),
            _ => {}
        }
        if let Some(tok) = self.near(piece, at)? {
            return Ok(self.push(tok, at, end));
        }
        if let Some((name, value)) = piece.split_once(':') {
            if let Some(field) = FieldName::named(name) {
                return self.field(field, value, at, end);
            }
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(self.error(
                    at,
                    format!(
                        "unknown field {name}: — the fields are lang:, author:, site: and source: (to look for the text itself, put it in quotes)"
                    ),
                ));
            }
        }
        let words = self.words_of(piece, at)?;
        if words.is_empty() {
            return Err(self.error(
                at,
                format!(
                    "{piece} has no letters or digits to look for: remove it or put it in quotes"
                ),
            ));
        }
        self.count_terms(words.len(), at)?;
        Ok(self.push(Tok::Phrase(words), at, end))
    }

    /// `NEAR/n` or `ONEAR/n` (any case), or an error for a capitalised `NEAR` without its
    /// distance; `None` for anything else.
    fn near(&self, piece: &str, at: usize) -> Result<Option<Tok>, QueryError> {
        let (name, ordered, rest) = if let Some(rest) = strip_prefix_ignore_case(piece, "near") {
            ("NEAR", false, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(piece, "onear") {
            ("ONEAR", true, rest)
        } else {
            return Ok(None);
        };
        let needs_distance = || {
            self.error(
                at,
                format!("{name} needs a distance: write {name}/3 for at most 3 words between"),
            )
        };
        let digits = match rest.strip_prefix('/') {
            Some(digits) => digits,
            // A capitalised NEAR is surely meant as the operator; `near` is a word.
            None if rest.is_empty() && piece == name => return Err(needs_distance()),
            None => return Ok(None),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(needs_distance());
        }
        match digits.parse::<u32>() {
            Ok(distance) if distance <= MAX_NEAR_DISTANCE => {
                Ok(Some(Tok::Near { distance, ordered }))
            }
            _ => Err(self.error(
                at,
                format!("the distance of {name} is at most {MAX_NEAR_DISTANCE} words"),
            )),
        }
    }

    fn field(
        &mut self,
        name: FieldName,
        value: &str,
        at: usize,
        end: usize,
    ) -> Result<usize, QueryError> {
        let label = name.as_str();
        let (raw, next) = if value.is_empty() && self.text[end..].starts_with('"') {
            let Some(len) = self.text[end + 1..].find('"') else {
                return Err(self.error(end, "this quote is never closed: add a closing \""));
            };
            (&self.text[end + 1..end + 1 + len], end + 1 + len + 1)
        } else {
            (value, end)
        };
        let mut normalised = String::new();
        normalise(name, raw, &mut normalised);
        if normalised.is_empty() {
            return Err(self.error(
                at,
                format!("{label}: needs a value, as in {label}:value or {label}:\"two words\""),
            ));
        }
        self.count_terms(1, at)?;
        let field = Field {
            name,
            value: normalised,
        };
        Ok(self.push(Tok::Field(field), at, next))
    }

    /// The words of one space-free piece of a term or phrase, at byte offset `at`, with its
    /// `*` and its `#`/`@` signs. Empty when the piece holds only punctuation.
    fn words_of(&self, piece: &str, at: usize) -> Result<Vec<WordPattern>, QueryError> {
        let (stem, prefix) = match piece.strip_suffix('*') {
            Some(stem) => (stem, true),
            None => (piece, false),
        };
        if let Some(star) = stem.find('*') {
            return Err(self.error(
                at + star,
                "* can only end a word, as in rembours* (words beginning with rembours)",
            ));
        }
        let words = Words::of(stem);
        let mut patterns: Vec<WordPattern> = words
            .iter()
            .map(|word| {
                let kind = match word.kind {
                    WordKind::Plain => None,
                    kind => Some(kind),
                };
                WordPattern {
                    text: word.text.into(),
                    prefix: false,
                    kind,
                }
            })
            .collect();
        if prefix {
            let short = || {
                self.error(
                    at + stem.len(),
                    format!(
                        "a wildcard needs at least {MIN_WILDCARD_STEM} letters or digits right before *, as in rembours*"
                    ),
                )
            };
            // The star must touch a word: `abc-*` or `#*` have nothing to extend.
            // A letter added after `abc-` would make one more word; after `abc` it does not.
            if words.is_empty() || Words::of(&format!("{stem}a")).len() != words.len() {
                return Err(short());
            }
            let Some(last) = patterns.pop() else {
                return Err(short());
            };
            if last.text.chars().count() < MIN_WILDCARD_STEM {
                return Err(short());
            }
            patterns.push(WordPattern {
                prefix: true,
                ..last
            });
        }
        Ok(patterns)
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

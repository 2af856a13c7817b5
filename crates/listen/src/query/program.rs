//! Queries laid out flat for evaluation.
//!
//! A parsed query is a tree of small allocations, scattered in memory. Evaluating one costs
//! little arithmetic, but with ten thousand queries each node read is a cache miss: measured,
//! evaluation then spent most of its time waiting on memory. A [`Program`] holds any number
//! of queries as runs of fixed-size cells, each query in one contiguous run laid out in
//! prefix order (an operation, then its operands), so evaluating a query reads a few
//! neighbouring cache lines. A [`super::Query`] keeps a program of its own; a
//! [`super::QuerySet`] one for all its queries.
//!
//! Layout of a subtree starting at cell `i`:
//! - `Word`: one cell (only inside a phrase);
//! - `Phrase { len }`: the cell, then its `len` words;
//! - `Field`: one cell, its value in `texts`;
//! - `Not { size }`, `And { size, .. }`, `Or { size, .. }`: the cell, then the operands one
//!   after the other; `size` counts the cells of the whole subtree, so an evaluation that
//!   settles early can skip over what is left;
//! - `Near { size, left, right, .. }`: the cell, then `left` phrases, then `right` phrases.

use super::ast::{Node, Phrase, WordPattern};
use super::field::{Field, FieldName};
use crate::text::{Span, WordKind, head_of, word_hash};

/// A word of a query, ready to compare with a [`Span`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pattern {
    /// The text's first 8 bytes as [`Span::head`] packs them.
    head: u64,
    /// [`word_hash`] of the text, to find a whole word through the mention's index.
    pub hash: u64,
    /// The text: `texts[start..start + len]` of the program.
    start: u32,
    len: u16,
    pub prefix: bool,
    kind: Option<WordKind>,
}

impl Pattern {
    /// Whether the word at `span` of `joined` (the mention's words) matches; `texts` is the
    /// program's.
    #[inline]
    pub(crate) fn accepts(&self, span: &Span, joined: &[u8], texts: &[u8]) -> bool {
        let len = usize::from(self.len);
        // A whole word compares all 8 first bytes (the zero padding checks a short word's
        // length too); a wildcard only its beginning's.
        let mask = if self.prefix && len < 8 {
            (1u64 << (8 * len)) - 1
        } else {
            u64::MAX
        };
        if span.head & mask != self.head {
            return false;
        }
        let word_len = span.end.saturating_sub(span.start) as usize;
        let length_fits = if self.prefix {
            word_len >= len
        } else {
            word_len == len && (len <= 8 || span.hash == self.hash)
        };
        if !length_fits || self.kind.is_some_and(|kind| kind != span.kind) {
            return false;
        }
        // The first 8 bytes are equal; compare the rest, if any.
        len <= 8 || {
            let (word, text) = (span.start as usize, self.start as usize);
            joined.get(word + 8..word + len) == texts.get(text + 8..text + len)
        }
    }
}

/// One cell of a program; see the module documentation for the layout.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell {
    Word(Pattern),
    Phrase {
        len: u32,
    },
    /// The value is `texts[start..start + len]`.
    Field {
        name: FieldName,
        start: u32,
        len: u32,
    },
    Not {
        size: u32,
    },
    And {
        size: u32,
    },
    Or {
        size: u32,
    },
    Near {
        size: u32,
        left: u32,
        right: u32,
        distance: u32,
        ordered: bool,
    },
}

impl Cell {
    /// Cells in the subtree starting with this one.
    #[inline]
    pub(crate) fn size(&self) -> usize {
        match *self {
            Cell::Word(_) | Cell::Field { .. } => 1,
            Cell::Phrase { len } => 1 + len as usize,
            Cell::Not { size }
            | Cell::And { size }
            | Cell::Or { size }
            | Cell::Near { size, .. } => size as usize,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Program {
    pub cells: Vec<Cell>,
    /// Word texts (read only to check words longer than 8 bytes) and field values.
    pub texts: String,
}

impl Program {
    /// Adds `node` and returns the cell to evaluate it from.
    pub(crate) fn compile(&mut self, node: &Node) -> u32 {
        let start = self.cells.len();
        self.add(node);
        index(start)
    }

    fn add(&mut self, node: &Node) {
        match node {
            Node::Phrase(phrase) => self.add_phrase(phrase),
            Node::Field(Field { name, value }) => {
                let (start, len) = self.add_text(value);
                self.cells.push(Cell::Field {
                    name: *name,
                    start,
                    len,
                });
            }
            Node::Not(inner) => {
                self.add_compound(|size| Cell::Not { size }, |program| program.add(inner))
            }
            Node::And(children) => self.add_compound(
                |size| Cell::And { size },
                |program| children.iter().for_each(|child| program.add(child)),
            ),
            Node::Or(children) => self.add_compound(
                |size| Cell::Or { size },
                |program| children.iter().for_each(|child| program.add(child)),
            ),
            Node::Near {
                left,
                right,
                distance,
                ordered,
            } => {
                let (left_len, right_len, distance, ordered) =
                    (index(left.len()), index(right.len()), *distance, *ordered);
                self.add_compound(
                    |size| Cell::Near {
                        size,
                        left: left_len,
                        right: right_len,
                        distance,
                        ordered,
                    },
                    |program| {
                        left.iter()
                            .chain(right)
                            .for_each(|phrase| program.add_phrase(phrase))
                    },
                );
            }
        }
    }

    /// A cell made by `make(size)` once `operands` have been added after it.
    fn add_compound(&mut self, make: impl Fn(u32) -> Cell, operands: impl FnOnce(&mut Self)) {
        let at = self.cells.len();
        self.cells.push(make(0));
        operands(self);
        let size = index(self.cells.len() - at);
        if let Some(cell) = self.cells.get_mut(at) {
            *cell = make(size);
        }
    }

    fn add_phrase(&mut self, phrase: &Phrase) {
        self.cells.push(Cell::Phrase {
            len: index(phrase.len()),
        });
        for word in phrase {
            let pattern = self.pattern(word);
            self.cells.push(Cell::Word(pattern));
        }
    }

    fn add_text(&mut self, text: &str) -> (u32, u32) {
        let start = index(self.texts.len());
        self.texts.push_str(text);
        (start, index(text.len()))
    }

    /// A pattern for `word`, its text stored in this program.
    pub(crate) fn pattern(&mut self, word: &WordPattern) -> Pattern {
        let bytes = word.text.as_bytes();
        let (start, len) = self.add_text(&word.text);
        Pattern {
            head: head_of(bytes),
            hash: word_hash(bytes),
            start,
            // Query words are shorter than a query (4 096 characters).
            len: u16::try_from(len).unwrap_or(u16::MAX),
            prefix: word.prefix,
            kind: word.kind,
        }
    }

    pub(crate) fn text(&self, start: u32, len: u32) -> &str {
        let start = start as usize;
        self.texts.get(start..start + len as usize).unwrap_or("")
    }
}

/// Program indices are 32 bits, to keep cells small: a program would need billions of words
/// to overflow them (it is cut there rather than panicking).
fn index(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

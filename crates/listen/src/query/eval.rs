//! Exact evaluation of a compiled query on a prepared mention: the reference semantics, used
//! alone by [`super::Query::matches`] and after the prefilter by [`super::QuerySet`].

use super::PreparedDoc;
use super::program::{Cell, Program};
use crate::text::{Span, Words};

/// Evaluates the query of `program` starting at cell `at` on `doc`.
pub(crate) fn eval(program: &Program, at: u32, doc: &PreparedDoc) -> bool {
    let words = doc.words();
    let reader = Reader {
        cells: &program.cells,
        program,
        doc,
        words,
        spans: words.spans(),
        joined: words.joined().as_bytes(),
        texts: program.texts.as_bytes(),
    };
    reader.eval(at as usize)
}

/// A program and a mention, read together.
#[derive(Clone, Copy)]
struct Reader<'a> {
    cells: &'a [Cell],
    program: &'a Program,
    doc: &'a PreparedDoc,
    words: &'a Words,
    spans: &'a [Span],
    joined: &'a [u8],
    texts: &'a [u8],
}

impl<'a> Reader<'a> {
    fn eval(self, at: usize) -> bool {
        let Some(&cell) = self.cells.get(at) else {
            return false;
        };
        match cell {
            // A word is only ever read as part of its phrase.
            Cell::Word(_) => false,
            Cell::Phrase { len } => self.contains(self.phrase_words(at, len)),
            Cell::Field { name, start, len } => self
                .doc
                .field(name)
                .is_some_and(|actual| name.accepts(self.program.text(start, len), actual)),
            Cell::Not { .. } => !self.eval(at + 1),
            Cell::And { size } => self.operands(at, size).all(|operand| self.eval(operand)),
            Cell::Or { size } => self.operands(at, size).any(|operand| self.eval(operand)),
            Cell::Near {
                left,
                right,
                distance,
                ordered,
                ..
            } => {
                let right_from = self
                    .phrases(at + 1, left)
                    .last()
                    .map_or(at + 1, |(next, _)| next);
                self.near(at + 1, left, right_from, right, distance as usize, ordered)
            }
        }
    }

    /// The cells where the operands of the compound cell at `at` of `size` cells start.
    fn operands(self, at: usize, size: u32) -> impl Iterator<Item = usize> + 'a {
        let cells = self.cells;
        let end = at + size as usize;
        std::iter::successors(Some(at + 1), move |&operand| {
            Some(operand + cells.get(operand).map_or(1, Cell::size))
        })
        .take_while(move |&operand| operand < end)
    }

    /// The words of the phrase cell at `at`.
    fn phrase_words(self, at: usize, len: u32) -> &'a [Cell] {
        self.cells.get(at + 1..at + 1 + len as usize).unwrap_or(&[])
    }

    /// `count` phrases laid out from cell `from`: each phrase's words, with the cell just
    /// after it.
    fn phrases(self, from: usize, count: u32) -> impl Iterator<Item = (usize, &'a [Cell])> + 'a {
        let cells = self.cells;
        let mut at = from;
        (0..count).map(move |_| {
            let len = match cells.get(at) {
                Some(Cell::Phrase { len }) => *len as usize,
                _ => 0,
            };
            let words = cells.get(at + 1..at + 1 + len).unwrap_or(&[]);
            at += 1 + len;
            (at, words)
        })
    }

    /// Whether `phrase` occurs starting at word `at`.
    #[inline]
    fn phrase_at(self, phrase: &[Cell], at: usize) -> bool {
        let Some(window) = self
            .spans
            .get(at..at + phrase.len())
            .filter(|window| !window.is_empty())
        else {
            return false;
        };
        phrase.iter().zip(window).all(|(cell, span)| match cell {
            Cell::Word(pattern) => pattern.accepts(span, self.joined, self.texts),
            _ => false,
        })
    }

    /// Whether `found` says yes to one of the positions where `phrase` starts. A phrase with a
    /// whole word is looked up through the words' index (a probe, then its few occurrences);
    /// one made only of wildcards is searched word by word.
    fn any_occurrence(self, phrase: &[Cell], mut found: impl FnMut(usize) -> bool) -> bool {
        let pivot = phrase
            .iter()
            .enumerate()
            .find_map(|(offset, cell)| match cell {
                Cell::Word(pattern) if !pattern.prefix => Some((offset, pattern.hash)),
                _ => None,
            });
        match pivot {
            Some((offset, hash)) => self.words.positions_of(hash).any(|position| {
                position
                    .checked_sub(offset)
                    .is_some_and(|start| self.phrase_at(phrase, start) && found(start))
            }),
            None => {
                (0..self.spans.len()).any(|start| self.phrase_at(phrase, start) && found(start))
            }
        }
    }

    fn contains(self, phrase: &[Cell]) -> bool {
        !phrase.is_empty() && self.any_occurrence(phrase, |_| true)
    }

    /// Whether one of the `left` phrases laid out from cell `left_from` and one of the `right`
    /// ones from `right_from` occur, not overlapping, with at most `distance` words strictly
    /// between them (and the left one first when `ordered`).
    ///
    /// For each occurrence of the left side only the right side's starts within reach are
    /// tried, so a long text costs the left side's occurrences times the distance, never its
    /// length squared.
    fn near(
        self,
        left_from: usize,
        left: u32,
        right_from: usize,
        right: u32,
        distance: usize,
        ordered: bool,
    ) -> bool {
        let right_side = || self.phrases(right_from, right).map(|(_, words)| words);
        // Most mentions that reach here lack one side altogether: a probe or two says so.
        if !right_side().any(|phrase| self.contains(phrase)) {
            return false;
        }
        let longest_right = right_side().map(<[Cell]>::len).max().unwrap_or(0);
        self.phrases(left_from, left).any(|(_, left_phrase)| {
            !left_phrase.is_empty()
                && self.any_occurrence(left_phrase, |start| {
                    // Right after: starting from `end` to `end + distance`.
                    let end = start + left_phrase.len();
                    if (end..=end + distance)
                        .any(|at| right_side().any(|phrase| self.phrase_at(phrase, at)))
                    {
                        return true;
                    }
                    // Right before: ending (exclusive) from `start - distance` to `start`.
                    let earliest = start.saturating_sub(distance + longest_right);
                    !ordered
                        && (earliest..start).any(|at| {
                            right_side().any(|phrase| {
                                let right_end = at + phrase.len();
                                right_end <= start
                                    && start - right_end <= distance
                                    && self.phrase_at(phrase, at)
                            })
                        })
                })
        })
    }
}

//! Recursive descent from tokens to a [`Node`]:
//!
//! ```text
//! query   = or
//! or      = and { "OR" and }
//! and     = near { ["AND"] near }        juxtaposition is AND
//! near    = unary [ ("NEAR/n" | "ONEAR/n") unary ]
//! unary   = ("NOT" | "-") unary | primary
//! primary = "(" or ")" | phrase | field
//! ```
//!
//! Depth is bounded by [`MAX_DEPTH`] (groups and negations), so no query can overflow the
//! stack here or in the recursive evaluation and printing.

use super::ast::{Node, Phrase};
use super::error::QueryError;
use super::lexer::{Lexed, Tok, lex};
use super::{MAX_DEPTH, MAX_QUERY_CHARS};

pub(crate) fn parse(text: &str) -> Result<Node, QueryError> {
    if let Some((at, _)) = text.char_indices().nth(MAX_QUERY_CHARS) {
        return Err(QueryError::at(
            text,
            at,
            format!(
                "the query is longer than {MAX_QUERY_CHARS} characters: split it into several queries"
            ),
        ));
    }
    let tokens = lex(text)?;
    if tokens.is_empty() {
        return Err(QueryError::at(
            text,
            0,
            "the query is empty: write the words to look for",
        ));
    }
    let mut parser = Parser {
        text,
        tokens,
        next: 0,
    };
    let parsed = parser.or(0)?;
    if let Some(extra) = parser.peek() {
        // `or` stops only at the end or at a `)` it did not open.
        return Err(parser.error(extra.at, "this ) has no matching ("));
    }
    if let Some(at) = parsed.only_excludes {
        return Err(QueryError::at(
            text,
            at,
            "this part only leaves words out, so it would match nearly everything: add a word, phrase or field that must be present (each side of an OR needs one too)",
        ));
    }
    Ok(parsed.node)
}

/// A node with where it starts, and, when it looks for nothing (it only excludes), the place
/// to blame for that.
struct Parsed {
    node: Node,
    at: usize,
    only_excludes: Option<usize>,
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Lexed>,
    next: usize,
}

impl Parser<'_> {
    fn error(&self, at: usize, message: impl Into<String>) -> QueryError {
        QueryError::at(self.text, at, message)
    }

    fn peek(&self) -> Option<&Lexed> {
        self.tokens.get(self.next)
    }

    fn bump(&mut self) -> Option<Lexed> {
        let lexed = self.tokens.get(self.next).cloned();
        self.next += 1;
        lexed
    }

    /// Whether the next token can begin an operand.
    fn operand_follows(&self) -> bool {
        matches!(
            self.peek().map(|lexed| &lexed.tok),
            Some(Tok::Open | Tok::Not | Tok::Minus | Tok::Phrase(_) | Tok::Field(_))
        )
    }

    /// After an operator at `at` that needs something on its right.
    fn expect_operand(&self, operator: &str, at: usize) -> Result<(), QueryError> {
        if self.operand_follows() {
            Ok(())
        } else {
            Err(self.error(
                at,
                format!("{operator} needs a word, phrase or group after it"),
            ))
        }
    }

    fn or(&mut self, depth: usize) -> Result<Parsed, QueryError> {
        let mut parts = vec![self.and(depth)?];
        while let Some(Lexed { tok: Tok::Or, at }) = self.peek() {
            let at = *at;
            self.next += 1;
            self.expect_operand("OR", at)?;
            parts.push(self.and(depth)?);
        }
        // An OR looks for something only if each of its parts does.
        let blame = parts.iter().find_map(|part| part.only_excludes);
        Ok(combine(parts, Join::Or, blame))
    }

    fn and(&mut self, depth: usize) -> Result<Parsed, QueryError> {
        let mut parts = vec![self.near(depth)?];
        loop {
            match self.peek() {
                Some(Lexed { tok: Tok::And, at }) => {
                    let at = *at;
                    self.next += 1;
                    self.expect_operand("AND", at)?;
                }
                _ if self.operand_follows() => {}
                _ => break,
            }
            parts.push(self.near(depth)?);
        }
        // An AND looks for something as soon as one of its parts does.
        let blame = if parts.iter().any(|part| part.only_excludes.is_none()) {
            None
        } else {
            parts.first().and_then(|part| part.only_excludes)
        };
        Ok(combine(parts, Join::And, blame))
    }

    fn near(&mut self, depth: usize) -> Result<Parsed, QueryError> {
        let left = self.unary(depth)?;
        let Some(Lexed {
            tok: Tok::Near { distance, ordered },
            at,
        }) = self.peek().cloned()
        else {
            return Ok(left);
        };
        let name = if ordered { "ONEAR" } else { "NEAR" };
        let operator = format!("{name}/{distance}");
        self.next += 1;
        self.expect_operand(&operator, at)?;
        let right = self.unary(depth)?;
        if let Some(Lexed {
            tok: Tok::Near { .. },
            at,
        }) = self.peek()
        {
            return Err(self.error(
                *at,
                "NEAR and ONEAR cannot follow one another: join the pairs with AND, as in (a NEAR/2 b) AND (b NEAR/3 c)",
            ));
        }
        let start = left.at;
        let left = self.near_side(left, &operator)?;
        let right = self.near_side(right, &operator)?;
        Ok(Parsed {
            node: Node::Near {
                left,
                right,
                distance,
                ordered,
            },
            at: start,
            only_excludes: None,
        })
    }

    /// A side of NEAR: a phrase, or an OR of phrases.
    fn near_side(&self, side: Parsed, operator: &str) -> Result<Vec<Phrase>, QueryError> {
        let refuse = || {
            self.error(
                side.at,
                format!(
                    "{operator} joins words, phrases, or groups of them joined by OR, as in (a OR \"b c\") {operator} d: this side is something else"
                ),
            )
        };
        match side.node {
            Node::Phrase(phrase) => Ok(vec![phrase]),
            Node::Or(ref alternatives) => alternatives
                .iter()
                .map(|alternative| match alternative {
                    Node::Phrase(phrase) => Ok(phrase.clone()),
                    _ => Err(refuse()),
                })
                .collect(),
            _ => Err(refuse()),
        }
    }

    fn unary(&mut self, depth: usize) -> Result<Parsed, QueryError> {
        let Some(lexed) = self.peek().cloned() else {
            return Err(self.error(
                self.text.len(),
                "the query ends too early: a word, phrase or group is missing",
            ));
        };
        let operator = match lexed.tok {
            Tok::Not => "NOT",
            Tok::Minus => "-",
            _ => return self.primary(depth),
        };
        let depth = self.deeper(depth, lexed.at)?;
        self.next += 1;
        self.expect_operand(operator, lexed.at)?;
        let inner = self.unary(depth)?;
        Ok(Parsed {
            node: Node::Not(Box::new(inner.node)),
            at: lexed.at,
            only_excludes: Some(lexed.at),
        })
    }

    fn primary(&mut self, depth: usize) -> Result<Parsed, QueryError> {
        let Some(Lexed { tok, at }) = self.bump() else {
            return Err(self.error(
                self.text.len(),
                "the query ends too early: a word, phrase or group is missing",
            ));
        };
        let leaf = |node| Parsed {
            node,
            at,
            only_excludes: None,
        };
        match tok {
            Tok::Phrase(phrase) => Ok(leaf(Node::Phrase(phrase))),
            Tok::Field(field) => Ok(leaf(Node::Field(field))),
            Tok::Open => {
                let depth = self.deeper(depth, at)?;
                if self.peek().is_none() {
                    return Err(self.error(at, "this ( is never closed: add a )"));
                }
                if let Some(Lexed {
                    tok: Tok::Close, ..
                }) = self.peek()
                {
                    return Err(
                        self.error(at, "empty parentheses: put words inside or remove them")
                    );
                }
                let inner = self.or(depth)?;
                match self.bump() {
                    Some(Lexed {
                        tok: Tok::Close, ..
                    }) => Ok(Parsed { at, ..inner }),
                    _ => Err(self.error(at, "this ( is never closed: add a )")),
                }
            }
            Tok::Close => Err(self.error(at, "this ) has no matching (")),
            Tok::And => Err(self.error(at, "AND needs a word, phrase or group before it")),
            Tok::Or => Err(self.error(at, "OR needs a word, phrase or group before it")),
            Tok::Near { ordered, distance } => {
                let name = if ordered { "ONEAR" } else { "NEAR" };
                Err(self.error(
                    at,
                    format!("{name}/{distance} needs a word or phrase before it"),
                ))
            }
            // `unary` takes these before coming here.
            Tok::Not | Tok::Minus => Err(self.error(at, "a negation cannot stand here")),
        }
    }

    fn deeper(&self, depth: usize, at: usize) -> Result<usize, QueryError> {
        if depth >= MAX_DEPTH {
            return Err(self.error(
                at,
                format!("the query nests more than {MAX_DEPTH} groups and negations: simplify it"),
            ));
        }
        Ok(depth + 1)
    }
}

#[derive(Clone, Copy)]
enum Join {
    And,
    Or,
}

/// One part stays as it is; several become an AND or an OR, children of the same kind
/// flattened in (`a OR (b OR c)` is `a OR b OR c`).
fn combine(mut parts: Vec<Parsed>, join: Join, only_excludes: Option<usize>) -> Parsed {
    if parts.len() == 1
        && let Some(part) = parts.pop()
    {
        return part;
    }
    let at = parts.first().map_or(0, |part| part.at);
    let mut children = Vec::with_capacity(parts.len());
    for part in parts {
        match (join, part.node) {
            (Join::And, Node::And(inner)) | (Join::Or, Node::Or(inner)) => children.extend(inner),
            (_, node) => children.push(node),
        }
    }
    let node = match join {
        Join::And => Node::And(children),
        Join::Or => Node::Or(children),
    };
    Parsed {
        node,
        at,
        only_excludes,
    }
}

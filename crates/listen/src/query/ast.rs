//! The parsed form of a query, and its normalised printing.

use std::fmt;

use super::field::Field;
use crate::text::WordKind;

/// One word of a query, matched against one word of a text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct WordPattern {
    /// Folded, without `#`, `@` or `*`.
    pub text: Box<str>,
    /// Written with a trailing `*`: matches any word beginning with `text`.
    pub prefix: bool,
    /// `Some(Hashtag)` for `#word`, `Some(Mention)` for `@word`; `None` matches any kind.
    pub kind: Option<WordKind>,
}

/// Words that must follow each other: one word (a term) or more (a phrase). Never empty.
pub(crate) type Phrase = Vec<WordPattern>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Phrase(Phrase),
    Field(Field),
    Not(Box<Node>),
    /// Two children at least, none of them an `And`.
    And(Vec<Node>),
    /// Two children at least, none of them an `Or`.
    Or(Vec<Node>),
    /// One side's phrase within `distance` words of the other side's; with `ordered`, the
    /// left side first. Each side is a non-empty list of alternatives.
    Near {
        left: Vec<Phrase>,
        right: Vec<Phrase>,
        distance: u32,
        ordered: bool,
    },
}

/// How tightly a node binds, to print parentheses only where they are needed.
fn binding(node: &Node) -> u8 {
    match node {
        Node::Or(_) => 1,
        Node::And(_) => 2,
        Node::Near { .. } => 3,
        Node::Phrase(_) | Node::Field(_) | Node::Not(_) => 4,
    }
}

fn write_child(f: &mut fmt::Formatter<'_>, child: &Node, at_least: u8) -> fmt::Result {
    if binding(child) < at_least {
        write!(f, "({child})")
    } else {
        write!(f, "{child}")
    }
}

fn write_joined(
    f: &mut fmt::Formatter<'_>,
    children: &[Node],
    op: &str,
    at_least: u8,
) -> fmt::Result {
    for (i, child) in children.iter().enumerate() {
        if i > 0 {
            f.write_str(op)?;
        }
        write_child(f, child, at_least)?;
    }
    Ok(())
}

impl fmt::Display for WordPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Some(WordKind::Hashtag) => f.write_str("#")?,
            Some(WordKind::Mention) => f.write_str("@")?,
            Some(WordKind::Plain) | None => {}
        }
        f.write_str(&self.text)?;
        if self.prefix {
            f.write_str("*")?;
        }
        Ok(())
    }
}

fn write_phrase(f: &mut fmt::Formatter<'_>, phrase: &[WordPattern]) -> fmt::Result {
    if let [word] = phrase {
        return write!(f, "{word}");
    }
    f.write_str("\"")?;
    for (i, word) in phrase.iter().enumerate() {
        if i > 0 {
            f.write_str(" ")?;
        }
        write!(f, "{word}")?;
    }
    f.write_str("\"")
}

fn write_side(f: &mut fmt::Formatter<'_>, side: &[Phrase]) -> fmt::Result {
    if let [phrase] = side {
        return write_phrase(f, phrase);
    }
    f.write_str("(")?;
    for (i, phrase) in side.iter().enumerate() {
        if i > 0 {
            f.write_str(" OR ")?;
        }
        write_phrase(f, phrase)?;
    }
    f.write_str(")")
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Phrase(phrase) => write_phrase(f, phrase),
            Node::Field(field) => write!(f, "{field}"),
            Node::Not(inner) => {
                f.write_str("-")?;
                write_child(f, inner, 4)
            }
            Node::And(children) => write_joined(f, children, " AND ", 3),
            Node::Or(children) => write_joined(f, children, " OR ", 2),
            Node::Near {
                left,
                right,
                distance,
                ordered,
            } => {
                write_side(f, left)?;
                let op = if *ordered { "ONEAR" } else { "NEAR" };
                write!(f, " {op}/{distance} ")?;
                write_side(f, right)
            }
        }
    }
}

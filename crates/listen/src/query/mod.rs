//! The listening query language, and the matching of many queries at once.
//!
//! A query says which mentions a workspace wants to see:
//!
//! ```text
//! (relais OR "relais app" OR #relais) -emploi lang:fr
//! rembours* NEAR/3 (colis OR commande)
//! "service client" ONEAR/5 (nul OR lent) -site:example.com
//! ```
//!
//! | writing | meaning |
//! |---|---|
//! | `a b`, `a AND b` | both (juxtaposed words are joined by AND) |
//! | `a OR b` | either |
//! | `-a`, `NOT a` | not (also `-"a phrase"`, `-(a OR b)`, `-lang:en`) |
//! | `"a b"` | the words `a b` next to each other, in that order |
//! | `( … )` | grouping |
//! | `a NEAR/n b` | `a` and `b` with at most `n` words between them, in either order |
//! | `a ONEAR/n b` | the same, `a` coming first |
//! | `rembours*` | any word beginning with `rembours` (3 letters or digits at least before `*`; also inside phrases: `"service client*"`) |
//! | `#relais`, `@relais` | the hashtag, the mention (while `relais` matches the word, the hashtag and the mention) |
//! | `lang:fr` | the mention's language is `fr` (or a variant of it: `fr-CA`) |
//! | `author:name` | written by `name` (a leading `@` is ignored on both sides) |
//! | `site:example.com` | published on `example.com` or one of its subdomains (`www.` is ignored) |
//! | `source:rss` | came from that source (`rss`, `bluesky`, `mastodon`, `x`, `youtube`, `reddit`, `web`…) |
//!
//! Precedence, tightest first: `NOT`/`-`, then `NEAR`/`ONEAR`, then `AND`, then `OR`; so
//! `a b OR c` is `(a AND b) OR c` and `a b NEAR/2 c` is `a AND (b NEAR/2 c)`.
//!
//! Choices made, and why:
//! - `AND`, `OR` and `NOT` are operators only in capitals, as in the professional listening
//!   tools: `and`, `or`, `not` stay words one can look for (`"rock and roll"` needs no quotes
//!   to be found as `rock and roll`). `NEAR/n` and `ONEAR/n` are recognised in any case,
//!   since the `/n` makes them unambiguous.
//! - Everything is compared folded ([`crate::text::fold`]): case and accents never matter.
//!   A term is cut into words as texts are, so `coca-cola` means the phrase `"coca cola"` and
//!   `l'oréal` the phrase `"l oreal"`.
//! - `NEAR/n` counts the words strictly between the two sides: `NEAR/0` means adjacent. The
//!   two sides must be distinct words (one word cannot stand for both). Its sides are words,
//!   phrases or `(… OR …)` groups of them; it does not chain (`a NEAR/2 b NEAR/3 c` is refused:
//!   write what is meant with AND). `n` is at most 100.
//! - A query must look for something: one that only excludes (`-foo`, `NOT (a OR b)`,
//!   `a OR -b`) would match nearly every mention of the web, so it is refused with an error
//!   saying where, as the professional tools do. Fields count as something to look for.
//! - A field the mention does not know (no language detected, say) fails its test: `lang:fr`
//!   does not match it, `-lang:fr` does. An unknown field name (`foo:bar`) is an error; to
//!   look for such text, quote it.
//! - Limits, each refused with an error: 4 096 characters, 32 levels of nesting (groups and
//!   negations), 256 words and fields.
//!
//! A query is parsed with [`Query::parse`], checked against one mention with
//! [`Query::matches`], and printed back normalised (folded, operators explicit) by its
//! `Display`; that text parses back to the same query. Many queries are matched together by
//! a [`QuerySet`].

mod anchors;
mod ast;
mod doc;
mod error;
mod eval;
mod field;
mod lexer;
mod parser;
mod program;
mod set;
mod table;

use std::fmt;

pub use doc::{Doc, PreparedDoc};
pub use error::QueryError;
pub use set::{MatchScratch, QuerySet};

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 4096;
/// Deepest nesting of groups and negations accepted.
pub const MAX_DEPTH: usize = 32;
/// Most words and fields in one query.
pub const MAX_TERMS: usize = 256;
/// Largest `n` of `NEAR/n` and `ONEAR/n`.
pub const MAX_NEAR_DISTANCE: u32 = 100;
/// Fewest characters before a `*` wildcard: shorter beginnings match too many words to be
/// useful, and would make every mention a candidate for the query.
pub const MIN_WILDCARD_STEM: usize = 3;

/// A parsed listening query. See the [module documentation](self) for the language.
#[derive(Clone)]
pub struct Query {
    root: ast::Node,
    /// `root` laid out for evaluation, from its operation `entry`.
    program: program::Program,
    entry: u32,
}

/// Two queries are equal when they mean the same once parsed (`a b` and `a AND b`).
impl PartialEq for Query {
    fn eq(&self, other: &Self) -> bool {
        self.root == other.root
    }
}

impl Eq for Query {}

impl fmt::Debug for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Query").field(&self.to_string()).finish()
    }
}

impl Query {
    /// Parses a query, or says where and why it cannot be read.
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        let root = parser::parse(text)?;
        let mut program = program::Program::default();
        let entry = program.compile(&root);
        Ok(Query {
            root,
            program,
            entry,
        })
    }

    /// Whether the mention matches. Folds and cuts the text into words first: to match one
    /// mention against many queries, prepare it once ([`PreparedDoc`]) and use
    /// [`Query::matches_prepared`], or use a [`QuerySet`].
    pub fn matches(&self, doc: &Doc<'_>) -> bool {
        self.matches_prepared(&PreparedDoc::of(doc))
    }

    /// Whether the prepared mention matches.
    pub fn matches_prepared(&self, doc: &PreparedDoc) -> bool {
        eval::eval(&self.program, self.entry, doc)
    }

    pub(crate) fn root(&self) -> &ast::Node {
        &self.root
    }
}

/// The query normalised: folded words, explicit `AND`, phrases quoted, fields lowercase,
/// parentheses only where needed. It parses back to the same query.
impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.root.fmt(f)
    }
}

impl std::str::FromStr for Query {
    type Err = QueryError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Query::parse(text)
    }
}

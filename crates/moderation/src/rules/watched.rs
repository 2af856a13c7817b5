//! Watched words: each term of a rule becomes one listening query, quoted so that it can only
//! ever be words to find. All the terms of all the rules are matched together by one
//! [`QuerySet`], which also says which terms were found (a single `a OR b OR c` query per rule
//! would not say which, and would be limited to the query language's 256 words).

use relais_listen::query::{Query, QuerySet};

use super::error::RuleProblem;

/// A term as a query: the whole term between quotes. Inside quotes the query language knows no
/// operator, no field and no grouping (`OR`, `NEAR/2`, `lang:fr`, `(` are words or
/// punctuation); only `"` would end the phrase, so it becomes a space, and `*` keeps its
/// meaning at the end of a word.
pub(crate) fn term_query(term: &str) -> Result<Query, RuleProblem> {
    let bad = |message: String| RuleProblem::BadTerm {
        term: term.trim().to_string(),
        message,
    };
    let inside = term.replace('"', " ");
    if inside.trim().is_empty() {
        return Err(bad("it is empty: remove it or write a word".into()));
    }
    // The query's own error speaks of its columns, which are those of the quoted text, not of
    // the term: only its message is kept.
    Query::parse(&format!("\"{inside}\"")).map_err(|error| bad(error.message))
}

/// Where a term's query sits in the set: rule `rule` (index in the rule set), term `term`.
pub(crate) fn term_id(rule: usize, term: usize) -> u64 {
    ((rule as u64) << 32) | (term as u64 & 0xFFFF_FFFF)
}

pub(crate) fn split_term_id(id: u64) -> (usize, usize) {
    ((id >> 32) as usize, (id & 0xFFFF_FFFF) as usize)
}

/// The set of every term of every watched-words rule.
pub(crate) fn term_set(queries: Vec<(u64, Query)>) -> QuerySet {
    QuerySet::new(queries)
}

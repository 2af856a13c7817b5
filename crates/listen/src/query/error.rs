//! Why a query cannot be read, and where.

/// A query that cannot be read: the 1-based column (in characters) where the problem is, and
/// what to do about it. Displays as `column 14: NEAR needs a distance, as in NEAR/3`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct QueryError {
    /// 1-based, counted in characters (not bytes) from the start of the query.
    pub column: usize,
    pub message: String,
}

impl QueryError {
    /// An error at byte offset `at` of `text`.
    pub(crate) fn at(text: &str, at: usize, message: impl Into<String>) -> Self {
        let before = text.get(..at).unwrap_or(text);
        QueryError {
            column: before.chars().count() + 1,
            message: message.into(),
        }
    }
}

//! Queries that cannot be read: each error says where (column, in characters) and what to do;
//! limits are errors, never a stack overflow.

use relais_listen::query::{MAX_DEPTH, MAX_QUERY_CHARS, MAX_TERMS, Query, QueryError};

fn error(text: &str) -> QueryError {
    match Query::parse(text) {
        Ok(query) => panic!("{text:?} should be refused, parsed as {query}"),
        Err(error) => error,
    }
}

/// Asserts the column of the error and that its message contains `says`.
fn refused(text: &str, column: usize, says: &str) {
    let error = error(text);
    assert_eq!(
        error.column, column,
        "column of the error for {text:?}: {error}"
    );
    assert!(
        error.message.contains(says),
        "the error for {text:?} should say {says:?}: {error}"
    );
}

#[test]
fn errors_display_their_column_first() {
    let error = error("(colis OR a) NEAR b");
    assert_eq!(error.column, 14);
    assert!(
        error
            .to_string()
            .starts_with("column 14: NEAR needs a distance"),
        "{error}"
    );
}

#[test]
fn near_errors() {
    refused("colis NEAR retard", 7, "NEAR needs a distance");
    refused("colis NEAR/ retard", 7, "NEAR needs a distance");
    refused("colis ONEAR/x retard", 7, "ONEAR needs a distance");
    refused("colis NEAR/101 retard", 7, "at most 100");
    refused("a NEAR/2 b NEAR/3 c", 12, "cannot follow one another");
    refused("(a b) NEAR/2 c", 1, "joins words, phrases");
    refused("a NEAR/2 -b", 10, "joins words, phrases");
    refused("a NEAR/2 lang:fr", 10, "joins words, phrases");
    refused("NEAR/2 b", 1, "needs a word or phrase before it");
    refused("a NEAR/2", 3, "needs a word, phrase or group after it");
}

#[test]
fn structure_errors() {
    refused("", 1, "empty");
    refused("   ", 1, "empty");
    refused("(colis OR retard", 1, "never closed");
    refused("colis (", 7, "never closed");
    refused("colis OR", 7, "OR needs a word, phrase or group after it");
    refused("colis OR retard)", 16, "no matching (");
    refused("()", 1, "empty parentheses");
    refused("colis AND", 7, "AND needs");
    refused("OR colis", 1, "OR needs a word, phrase or group before it");
    refused(
        "colis OR OR retard",
        7,
        "OR needs a word, phrase or group after it",
    );
    refused("colis NOT", 7, "NOT needs");
    refused("colis \"en retard", 7, "quote is never closed");
    refused("colis - retard", 7, "directly followed");
    refused("colis (-)", 8, "directly followed");
    refused("!!!", 1, "no letters or digits");
    refused("colis \" ! \"", 7, "no letters or digits");
}

#[test]
fn wildcard_errors() {
    refused("re*", 3, "at least 3");
    refused("#*", 2, "at least 3");
    refused("abc-*", 5, "at least 3");
    refused("*abc", 1, "can only end a word");
    refused("ab*cd", 3, "can only end a word");
    refused("\"service cl*\"", 12, "at least 3");
    assert!(Query::parse("rem*").is_ok());
    assert!(Query::parse("été*").is_ok(), "three letters, more bytes");
}

#[test]
fn field_errors() {
    refused("colis foo:bar", 7, "unknown field foo:");
    refused("lang:", 1, "lang: needs a value");
    refused("author:@", 1, "author: needs a value");
    refused("author:\"Jean", 8, "quote is never closed");
    // Colons in other terms separate words, as other punctuation does.
    assert_eq!(
        Query::parse("12:30").map(|q| q.to_string()),
        Ok("\"12 30\"".to_owned())
    );
}

#[test]
fn a_query_must_look_for_something() {
    refused("-colis", 1, "only leaves words out");
    refused("NOT (a OR b)", 1, "only leaves words out");
    refused("-a -b", 1, "only leaves words out");
    refused("colis OR -retard", 10, "only leaves words out");
    refused("(a OR -b) c OR -d", 16, "only leaves words out");
    // Something present anywhere an AND needs it is enough.
    assert!(Query::parse("x (-a OR b)").is_ok());
    assert!(Query::parse("lang:fr -colis").is_ok());
}

#[test]
fn columns_count_characters_not_bytes() {
    refused("éèê àà NEAR x", 8, "NEAR needs a distance");
    refused("réputation )", 12, "no matching (");
}

#[test]
fn limits_are_errors() {
    let long = "a ".repeat(MAX_QUERY_CHARS / 2) + "b";
    refused(&long, MAX_QUERY_CHARS + 1, "longer than 4096");

    let deep = format!(
        "{}a{}",
        "(".repeat(MAX_DEPTH + 1),
        ")".repeat(MAX_DEPTH + 1)
    );
    refused(&deep, MAX_DEPTH + 1, "nests more than 32");
    let just_deep_enough = format!("{}a{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert!(Query::parse(&just_deep_enough).is_ok());
    refused(
        &format!("x {}y", "NOT ".repeat(MAX_DEPTH + 1)),
        3 + 4 * MAX_DEPTH,
        "nests more than 32",
    );
    refused(
        &format!("x {}y", "-".repeat(MAX_DEPTH + 1)),
        3 + MAX_DEPTH,
        "nests more than 32",
    );
    // As deep as the length allows: an error, no stack overflow.
    let deepest = "(".repeat(MAX_QUERY_CHARS);
    refused(&deepest, MAX_DEPTH + 1, "nests more than 32");

    let words: Vec<String> = (0..=MAX_TERMS).map(|i| format!("w{i}")).collect();
    let many = words.join(" ");
    let column = many.find(&format!(" w{MAX_TERMS}")).map_or(0, |at| at + 2);
    refused(&many, column, "more than 256 words");
    assert!(Query::parse(&words[..MAX_TERMS].join(" ")).is_ok());
}

//! Regular-expression rules: read first by regex-syntax (for the line and column of an error
//! and to refuse expressions that match every message), then compiled by the regex crate
//! under size limits. The regex crate runs in time linear in the text, whatever the pattern:
//! a workspace cannot slow the inbox down with `(a+)+$`.

use regex::{Regex, RegexBuilder};

use super::error::RuleProblem;
use super::{MAX_PATTERN_CHARS, MAX_REGEX_BYTES};

/// Deepest nesting of groups and repetitions (the regex crate allows 250; people write 5).
const NEST_LIMIT: u32 = 64;
/// The lazy DFA's cache of each expression: enough for any sensible rule, and a bound on what
/// a workspace's rules can take.
const DFA_BYTES: usize = 1024 * 1024;

pub(crate) fn compile(pattern: &str, case_insensitive: bool) -> Result<Regex, RuleProblem> {
    if pattern.trim().is_empty() {
        return Err(RuleProblem::EmptyPattern);
    }
    let chars = pattern.chars().count();
    if chars > MAX_PATTERN_CHARS {
        return Err(RuleProblem::PatternTooLong {
            chars,
            max: MAX_PATTERN_CHARS,
        });
    }
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(case_insensitive)
        .nest_limit(NEST_LIMIT)
        .build()
        .parse(pattern)
        .map_err(syntax_problem)?;
    // An expression that can match nothing at all (`x*`, `a|`) matches somewhere in every
    // text; one with an anchor or a word boundary (`^$`, `\b`) may not, so it is left alone.
    let properties = hir.properties();
    if properties.minimum_len() == Some(0) && properties.look_set().is_empty() {
        return Err(RuleProblem::RegexMatchesEverything);
    }
    RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .nest_limit(NEST_LIMIT)
        .size_limit(MAX_REGEX_BYTES)
        .dfa_size_limit(DFA_BYTES)
        .build()
        .map_err(|error| match error {
            regex::Error::CompiledTooBig(_) => RuleProblem::RegexTooBig,
            // The syntax was checked above with the same parser; should another error come,
            // its own words are the best to show.
            other => RuleProblem::RegexSyntax {
                line: 1,
                column: 1,
                message: other.to_string(),
            },
        })
}

fn syntax_problem(error: regex_syntax::Error) -> RuleProblem {
    let (span, message) = match &error {
        regex_syntax::Error::Parse(error) => (*error.span(), error.kind().to_string()),
        regex_syntax::Error::Translate(error) => (*error.span(), error.kind().to_string()),
        // The error type may grow: show it whole, at the start.
        other => {
            return RuleProblem::RegexSyntax {
                line: 1,
                column: 1,
                message: other.to_string(),
            };
        }
    };
    RuleProblem::RegexSyntax {
        line: span.start.line,
        column: span.start.column,
        message,
    }
}

/// The first text the expression finds, cut to 80 characters for the reason.
pub(crate) fn first_found(regex: &Regex, text: &str) -> Option<String> {
    let found = regex.find(text)?;
    Some(found.as_str().chars().take(80).collect())
}

//! The composer rules: whether a draft fits a network, and why not.
//!
//! Pure functions over a [`Draft`], so that the web composer (live checks as one types) and
//! `relais post` (refusal with reasons) give the same answers, and so that every figure can be
//! tested without a network. Each network counts text its own way (`x.rs`, `mastodon.rs`,
//! `measure.rs`); every limit lives in `limits.rs` with its source.

pub mod draft;
mod format;
pub mod limits;
pub mod mastodon;
pub mod measure;
pub mod media;
mod messages;
pub mod network;
pub mod problem;
pub mod url;
pub mod x;

use serde::Serialize;

pub use draft::{Draft, MediaInfo, MediaKind};
pub use limits::{MAX_THREAD_PARTS, NetworkLimits, limits};
pub use mastodon::MastodonInstance;
pub use measure::Unit;
pub use network::{Network, UnknownNetwork};
pub use problem::{Problem, ProblemCode};

use messages::{Counted, Field};

/// Settings that vary per account or server rather than per network.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// The limits of the Mastodon server the post goes to.
    pub mastodon: MastodonInstance,
}

/// The live counter: how much of the text's allowance is used, as the network counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Count {
    pub used: usize,
    /// `None` when the network sets no limit (WordPress, webhooks).
    pub limit: Option<usize>,
    pub unit: Unit,
}

impl Count {
    /// What is left (negative when over); `None` without a limit.
    pub fn remaining(&self) -> Option<i64> {
        let used = i64::try_from(self.used).unwrap_or(i64::MAX);
        self.limit
            .map(|l| i64::try_from(l).unwrap_or(i64::MAX).saturating_sub(used))
    }

    pub fn is_over(&self) -> bool {
        self.limit.is_some_and(|l| self.used > l)
    }
}

/// Counts `text` for `network` with default settings (a stock Mastodon server).
pub fn count(network: Network, text: &str) -> Count {
    count_draft(network, &Draft::text(text), &CheckOptions::default())
}

/// Counts a draft's text (and, on Mastodon, its content warning) for `network`.
pub fn count_draft(network: Network, draft: &Draft, options: &CheckOptions) -> Count {
    let l = limits(network, &options.mastodon);
    let text = draft.text.as_str();
    let used = match network {
        Network::X => x::weighted_length(text),
        Network::Mastodon => mastodon::length(
            text,
            draft.content_warning.as_deref().unwrap_or_default(),
            &options.mastodon,
        ),
        _ => measure::measure(l.text.unit, text),
    };
    Count {
        used,
        limit: l.text.max,
        unit: l.text.unit,
    }
}

/// Everything that stops `draft` from being published on `network` as it is; empty when it
/// fits. Uses default settings (a stock Mastodon server).
pub fn check(network: Network, draft: &Draft) -> Vec<Problem> {
    check_with(network, draft, &CheckOptions::default())
}

/// [`check`] with the account's or server's own settings.
pub fn check_with(network: Network, draft: &Draft, options: &CheckOptions) -> Vec<Problem> {
    let l = limits(network, &options.mastodon);
    let mut problems = Vec::new();
    let text = draft.text.as_str();
    let field = if network == Network::YouTube {
        Field::Description
    } else {
        Field::Text
    };

    let blank = text.trim().is_empty()
        && draft
            .content_warning
            .as_deref()
            .is_none_or(|cw| cw.trim().is_empty());
    if !l.allows_empty
        && l.media.required == limits::MediaRequired::Nothing
        && blank
        && draft.media.is_empty()
    {
        problems.push(messages::empty_post(network));
    }

    let counted = count_draft(network, draft, options);
    if let Some(max) = counted.limit
        && counted.used > max
    {
        problems.push(messages::text_too_long(
            network,
            field,
            counted.used,
            max,
            counted.unit,
        ));
    }
    if let Some(max) = l.text.max_bytes
        && text.len() > max
    {
        problems.push(messages::text_too_many_bytes(
            network,
            field,
            text.len(),
            max,
        ));
    }

    let title = draft.title.as_deref().unwrap_or_default();
    if l.title.required && title.trim().is_empty() {
        problems.push(messages::title_required(network));
    }
    if let Some(max) = l.title.max {
        let used = measure::measure(l.title.unit, title);
        if used > max {
            problems.push(messages::text_too_long(
                network,
                Field::Title,
                used,
                max,
                l.title.unit,
            ));
        }
    }

    match network {
        Network::X => {
            if let Some(c) = text.chars().find(|c| x::INVALID_CHARS.contains(c)) {
                problems.push(messages::forbidden_character(network, field, c));
            }
        }
        Network::YouTube => {
            for (f, value) in [(Field::Title, title), (field, text)] {
                if let Some(c) = value
                    .chars()
                    .find(|c| limits::youtube::FORBIDDEN.contains(c))
                {
                    problems.push(messages::forbidden_character(network, f, c));
                }
            }
        }
        _ => {}
    }

    if let Some(max) = l.max_links {
        let n = distinct_links(text);
        if n > max {
            problems.push(messages::too_many(network, Counted::Links, n, max));
        }
    }
    if let Some(max) = l.max_hashtags {
        let n = count_marked(text, '#');
        if n > max {
            problems.push(messages::too_many(network, Counted::Hashtags, n, max));
        }
    }
    if let Some(max) = l.max_mentions {
        let n = count_marked(text, '@');
        if n > max {
            problems.push(messages::too_many(network, Counted::Mentions, n, max));
        }
    }

    problems.extend(media::check_media(network, &l.media, &draft.media));
    problems
}

/// Checks a chain of posts, each published as a reply to the one before: every part on its own
/// (problems carry the part's 1-based number when there are several parts), whether the
/// network can chain posts at all, and the chain's length (at most [`MAX_THREAD_PARTS`]).
pub fn check_thread(network: Network, parts: &[Draft]) -> Vec<Problem> {
    check_thread_with(network, parts, &CheckOptions::default())
}

/// [`check_thread`] with the account's or server's own settings.
pub fn check_thread_with(
    network: Network,
    parts: &[Draft],
    options: &CheckOptions,
) -> Vec<Problem> {
    match parts {
        [] => return vec![messages::empty_thread()],
        [single] => return check_with(network, single, options),
        _ => {}
    }
    let mut problems = Vec::new();
    if !limits(network, &options.mastodon).threads {
        problems.push(messages::thread_not_supported(network, parts.len()));
    }
    if parts.len() > MAX_THREAD_PARTS {
        problems.push(messages::thread_too_long(parts.len(), MAX_THREAD_PARTS));
    }
    for (i, part) in parts.iter().enumerate() {
        problems.extend(
            check_with(network, part, options)
                .into_iter()
                .map(|p| p.in_part(i + 1)),
        );
    }
    problems
}

/// Links in `text`, each counted once (Threads counts "unique URLs").
fn distinct_links(text: &str) -> usize {
    let mut seen: Vec<String> = url::find_urls(text, true)
        .into_iter()
        .map(|u| text[u.start..u.end].to_lowercase())
        .collect();
    seen.sort();
    seen.dedup();
    seen.len()
}

/// `#tags` or `@mentions`: the mark, not after a letter, digit or `_`, followed by one.
fn count_marked(text: &str, mark: char) -> usize {
    let mut n = 0;
    let mut prev: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let word_before = prev.is_some_and(|p| p.is_alphanumeric() || p == '_');
        if c == mark
            && !word_before
            && chars
                .peek()
                .is_some_and(|&next| next.is_alphanumeric() || next == '_')
        {
            n += 1;
        }
        prev = Some(c);
    }
    n
}

#[cfg(test)]
mod tests;

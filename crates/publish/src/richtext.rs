//! Bluesky rich text: a post's links, mentions and hashtags are not found by the reader's app
//! but declared by the author as *facets*, ranges of the text in UTF-8 **bytes**
//! (`index.byteStart` / `index.byteEnd` of `app.bsky.richtext.facet`). Without them a link is
//! plain text that nobody can click. This module finds the ranges; the Bluesky adapter turns
//! each mention's handle into a DID (that needs the network) and writes the record.
//!
//! What is recognised:
//!
//! - links: `http://` and `https://` links as `rules::url` finds them (trailing punctuation
//!   and unbalanced closing brackets left out);
//! - mentions: `@handle.domain` where the handle is a valid AT Protocol handle (labels of
//!   ASCII letters, digits and inner hyphens, at least two labels, at most 253 characters,
//!   a top-level domain starting with a letter), not preceded by a letter, a digit or one of
//!   `_ @ . / -` (so e-mail addresses are not mentions) and not followed by another word
//!   character; a final `.` ends the sentence, not the handle;
//! - hashtags: `#` (or the full-width `＃`) not preceded by a letter, a digit or `_`, then
//!   letters, combining marks, digits and `_` of any script; trailing `_` is dropped; not
//!   only digits (`#1` is a number); at most 64 graphemes (longer is not a tag at all, as on
//!   Bluesky).
//!
//! Ranges never overlap: a `#fragment` or an `@` inside a link belongs to the link.

use serde::Serialize;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

use crate::rules::measure::graphemes;
use crate::rules::url::find_urls;

/// Longest hashtag, in graphemes, without its `#` (the lexicon's `tag` maxGraphemes).
pub const MAX_TAG_GRAPHEMES: usize = 64;

/// A range of the text (`text[start..end]`, UTF-8 byte offsets) and what it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Facet {
    pub start: usize,
    pub end: usize,
    pub kind: FacetKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "value")]
pub enum FacetKind {
    /// The link's URI, as written.
    Link(String),
    /// The handle, lower case, without `@`; the adapter resolves it to a DID.
    Mention(String),
    /// The tag without `#`.
    Tag(String),
}

/// The facets of `text`, in order, without overlap.
pub fn facets(text: &str) -> Vec<Facet> {
    let mut found: Vec<Facet> = find_urls(text, false)
        .into_iter()
        .map(|u| Facet {
            start: u.start,
            end: u.end,
            kind: FacetKind::Link(text[u.start..u.end].to_owned()),
        })
        .collect();
    let links = found.len();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        let candidate = match c {
            '@' if !prev.is_some_and(|p| p.is_alphanumeric() || "_@./-".contains(p)) => {
                mention_at(text, i)
            }
            '#' | '＃' if !prev.is_some_and(|p| p.is_alphanumeric() || p == '_') => {
                tag_at(text, i, c.len_utf8())
            }
            _ => None,
        };
        found.extend(candidate);
        prev = Some(c);
    }
    // Links were found first, in order and apart; a mention or tag that overlaps one is dropped
    // ("#tag_https://a.org": the link wins). One sweep, so that many facets stay cheap.
    let others = found.split_off(links);
    let link_part = found;
    let mut all: Vec<Facet> = Vec::with_capacity(link_part.len() + others.len());
    let mut j = 0;
    for f in others {
        while j < link_part.len() && link_part[j].end <= f.start {
            j += 1;
        }
        let overlaps = link_part.get(j).is_some_and(|l| l.start < f.end);
        if !overlaps {
            all.push(f);
        }
    }
    all.extend(link_part);
    all.sort_by_key(|f| f.start);
    let mut kept: Vec<Facet> = Vec::with_capacity(all.len());
    for f in all {
        if kept.last().is_none_or(|last| f.start >= last.end) {
            kept.push(f);
        }
    }
    kept
}

fn mention_at(text: &str, at: usize) -> Option<Facet> {
    let start = at + 1;
    let rest = &text[start..];
    let run = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .unwrap_or(rest.len());
    if let Some(next) = rest[run..].chars().next()
        && (next.is_alphanumeric() || next == '_')
    {
        return None; // "@not_a_handle", "@name.socialé": the word goes on
    }
    let handle = rest[..run].trim_end_matches('.');
    if !is_valid_handle(handle) {
        return None;
    }
    Some(Facet {
        start: at,
        end: start + handle.len(),
        kind: FacetKind::Mention(handle.to_ascii_lowercase()),
    })
}

/// The AT Protocol handle syntax (a domain name whose TLD does not start with a digit).
pub fn is_valid_handle(handle: &str) -> bool {
    if handle.is_empty() || handle.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = handle.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let labels_ok = labels.iter().all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    labels_ok
        && labels
            .last()
            .and_then(|tld| tld.chars().next())
            .is_some_and(|c| c.is_ascii_alphabetic())
}

fn tag_at(text: &str, at: usize, mark_len: usize) -> Option<Facet> {
    let start = at + mark_len;
    let rest = &text[start..];
    let run = rest.find(|c: char| !is_tag_char(c)).unwrap_or(rest.len());
    let tag = rest[..run].trim_end_matches('_');
    let meaningful = tag
        .chars()
        .any(|c| !c.is_numeric() && c.general_category_group() != GeneralCategoryGroup::Mark);
    if !meaningful || graphemes(tag) > MAX_TAG_GRAPHEMES {
        return None;
    }
    Some(Facet {
        start: at,
        end: start + tag.len(),
        kind: FacetKind::Tag(tag.to_owned()),
    })
}

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c.general_category_group() == GeneralCategoryGroup::Mark
}

#[cfg(test)]
mod tests;

//! Watched web pages: what a page shows, and what it shows that it did not before. Pure.
//!
//! A page is reduced to its visible text in passages (paragraphs, list items, cells…), so
//! that a change of markup, scripts or styles is no change. What is reported is the passages
//! that are new; a passage that only differs from an old one by its digits ("1 234 views",
//! "updated 5 minutes ago") is not new, or every counter would ring the alarm.

use std::collections::HashSet;

use relais_listen::found::Found;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::digest::digest;
use crate::markup;

/// Characters of a page's text kept (a page is watched for what people write, not for
/// whole books).
pub const MAX_PAGE_CHARS: usize = 200_000;
/// Characters of a change reported.
pub const MAX_CHANGE_CHARS: usize = 20_000;

/// What a page showed when it was fetched. Stored between polls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageSnapshot {
    /// The page's address.
    pub url: String,
    /// Its `<title>`.
    pub title: Option<String>,
    /// Its visible text, block by block, whitespace collapsed.
    pub passages: Vec<String>,
    /// A digest of the passages: equal digests, same text.
    pub hash: String,
}

impl PageSnapshot {
    /// Reads the page `html` found at `url`.
    pub fn of(html: &str, url: &str) -> Self {
        let page = markup::extract(html, MAX_PAGE_CHARS);
        let joined = page.passages.join("\n");
        Self {
            url: url.to_owned(),
            title: page.title,
            hash: digest(&[joined.as_bytes()]),
            passages: page.passages,
        }
    }

    /// The visible text, passages on their own lines.
    pub fn text(&self) -> String {
        self.passages.join("\n")
    }
}

/// The change from `previous` to `now` as one found item, if text was added.
///
/// The first snapshot (no `previous`) yields nothing: there is no change to report, only a
/// starting point. Removed passages alone yield nothing either (listening looks for what is
/// said, not for what was taken back). The key is the page's address and the new snapshot's
/// digest, so the same change seen twice (or a page flipping back and forth) has one key.
pub fn page_change(previous: Option<&PageSnapshot>, now: &PageSnapshot) -> Option<Found> {
    let previous = previous?;
    if previous.hash == now.hash {
        return None;
    }
    let known: HashSet<String> = previous.passages.iter().map(|p| digits_masked(p)).collect();
    let mut reported = HashSet::new();
    let mut text = String::new();
    let mut budget = MAX_CHANGE_CHARS;
    for passage in &now.passages {
        let masked = digits_masked(passage);
        if known.contains(&masked) || !reported.insert(masked) {
            continue;
        }
        if !text.is_empty() {
            if budget < 2 {
                break; // no room for a line break and at least one character
            }
            text.push('\n');
            budget -= 1;
        }
        text.extend(passage.chars().take(budget));
        budget = budget.saturating_sub(passage.chars().count());
        if budget == 0 {
            break;
        }
    }
    if text.is_empty() {
        return None;
    }
    Some(Found {
        key: format!("{}#{}", now.url, now.hash),
        url: Some(now.url.clone()),
        title: now.title.clone(),
        text,
        site: Url::parse(&now.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned)),
        ..Found::default()
    })
}

/// The passage with every run of digits (and the separators inside numbers) replaced by `#`.
fn digits_masked(passage: &str) -> String {
    let mut out = String::with_capacity(passage.len());
    let mut in_number = false;
    let mut chars = passage.chars().peekable();
    while let Some(c) = chars.next() {
        let separator_in_number = in_number
            && matches!(c, '.' | ',' | ' ' | '\u{a0}' | '\u{202f}' | ':')
            && chars.peek().is_some_and(char::is_ascii_digit);
        if c.is_ascii_digit() || separator_in_number {
            if !in_number {
                out.push('#');
                in_number = true;
            }
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://shop.example/avis";

    #[test]
    fn markup_changes_are_not_text_changes() {
        let a = PageSnapshot::of("<p>Bonjour <b>à tous</b></p><script>x=1</script>", URL);
        let b = PageSnapshot::of(
            "<div class=new><p>Bonjour <i>à</i>  tous</p></div><script>x=2</script>",
            URL,
        );
        assert_eq!(a.hash, b.hash);
        assert_eq!(page_change(Some(&a), &b), None);
    }

    #[test]
    fn counters_alone_are_not_news() {
        assert_eq!(
            digits_masked("1 234 vues, il y a 5 min"),
            "# vues, il y a # min"
        );
        assert_eq!(digits_masked("v2.0 à 12:30"), "v# à #");
        let a = PageSnapshot::of("<p>Avis</p><p>1 234 vues</p>", URL);
        let b = PageSnapshot::of("<p>Avis</p><p>1 240 vues</p>", URL);
        assert_ne!(a.hash, b.hash);
        assert_eq!(page_change(Some(&a), &b), None);
    }

    #[test]
    fn repeated_new_passages_are_reported_once() {
        let a = PageSnapshot::of("<p>old</p>", URL);
        let b = PageSnapshot::of("<p>new</p><p>old</p><p>new</p>", URL);
        let change = page_change(Some(&a), &b).expect("a change");
        assert_eq!(change.text, "new");
        assert_eq!(change.site.as_deref(), Some("shop.example"));
    }

    #[test]
    fn a_large_change_is_cut_cleanly() {
        // Digits are masked when comparing, so each passage is made to differ by its letters.
        let word = |i: u32| -> String {
            format!("{i:05}")
                .bytes()
                .map(|d| char::from(d - b'0' + b'a'))
                .collect()
        };
        let a = PageSnapshot::of("<p>old</p>", URL);
        let many: String = (0..5000)
            .map(|i| format!("<p>new {}</p>", word(i)))
            .collect();
        let b = PageSnapshot::of(&many, URL);
        let change = page_change(Some(&a), &b).expect("a change");
        let chars = change.text.chars().count();
        assert!(
            (MAX_CHANGE_CHARS - 10..=MAX_CHANGE_CHARS).contains(&chars),
            "{chars}"
        );
        assert!(!change.text.ends_with('\n'));
        assert!(change.text.starts_with("new aaaaa\nnew aaaab\n"));
    }

    #[test]
    fn snapshots_survive_storage() {
        let a = PageSnapshot::of("<title>T</title><p>x</p>", URL);
        let json = serde_json::to_string(&a).expect("serialisable");
        let back: PageSnapshot = serde_json::from_str(&json).expect("readable");
        assert_eq!(back, a);
        assert_eq!(back.text(), "x");
    }
}

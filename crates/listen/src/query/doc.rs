//! A mention as queries see it: its text and the fields they can test, and the same made ready
//! for matching (folded, cut into words, fields normalised) once for all queries.

use super::field::{FieldName, normalise};
use crate::text::Words;

/// A mention to match: its text and what is known about it. A field left `None` fails every
/// test on it: `lang:fr` does not match a mention whose language is unknown (so `-lang:fr`
/// does).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Doc<'a> {
    pub text: &'a str,
    /// Language code, as `fr` or `fr-CA`.
    pub lang: Option<&'a str>,
    /// Author's handle or name (a leading `@` is ignored).
    pub author: Option<&'a str>,
    /// Host (`news.example.com`) or URL of the page or instance it was published on.
    pub site: Option<&'a str>,
    /// Where it came from: `rss`, `bluesky`, `mastodon`, `x`, `youtube`, `reddit`, `web`…
    pub source: Option<&'a str>,
}

impl<'a> Doc<'a> {
    /// A mention with only a text.
    pub fn text(text: &'a str) -> Self {
        Doc {
            text,
            ..Doc::default()
        }
    }
}

/// A mention prepared for matching: text folded and cut into words, fields normalised. Made
/// once per mention and shared by every query; [`PreparedDoc::prepare`] reuses the buffers.
#[derive(Debug, Clone, Default)]
pub struct PreparedDoc {
    words: Words,
    fields: [Option<String>; 4],
    /// Buffers of fields absent from the last mention, kept for the next ones.
    spare: Vec<String>,
}

impl PreparedDoc {
    /// Nothing prepared yet (matches only what an empty mention would).
    pub fn new() -> Self {
        Self::default()
    }

    /// `doc`, prepared.
    pub fn of(doc: &Doc<'_>) -> Self {
        let mut prepared = Self::new();
        prepared.prepare(doc);
        prepared
    }

    /// Replaces what is prepared with `doc`.
    pub fn prepare(&mut self, doc: &Doc<'_>) {
        self.words.fill(doc.text);
        let raw = [doc.lang, doc.author, doc.site, doc.source];
        for ((name, slot), raw) in FieldName::ALL.into_iter().zip(&mut self.fields).zip(raw) {
            match raw {
                Some(raw) => {
                    let buffer = slot.get_or_insert_with(|| self.spare.pop().unwrap_or_default());
                    normalise(name, raw, buffer);
                }
                None => {
                    if let Some(buffer) = slot.take() {
                        self.spare.push(buffer);
                    }
                }
            }
        }
    }

    /// The mention's words.
    pub fn words(&self) -> &Words {
        &self.words
    }

    pub(crate) fn field(&self, name: FieldName) -> Option<&str> {
        let index = match name {
            FieldName::Lang => 0,
            FieldName::Author => 1,
            FieldName::Site => 2,
            FieldName::Source => 3,
        };
        self.fields[index].as_deref()
    }
}

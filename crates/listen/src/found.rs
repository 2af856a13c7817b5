//! What a source found: a post, an article, a comment, before Relais analyses it. Every adapter
//! (feeds, watched pages, network searches) hands its findings over in this one shape, so that
//! the pipeline and the store need not know where a mention came from.

use serde::{Deserialize, Serialize};

/// One item found by a source. Texts are as published (HTML already reduced to text by the
/// adapter); everything but `key` and `text` may be unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    /// The item's identity at its source, stable across fetches: a feed entry's id (or link),
    /// a network's post id. The same key seen again is the same item, not a new mention.
    pub key: String,
    /// Where a reader can see it.
    pub url: Option<String>,
    /// A title, for articles.
    pub title: Option<String>,
    /// The text, plain.
    pub text: String,
    /// Author's handle or name.
    pub author: Option<String>,
    /// Author's audience (followers, subscribers) when the source tells it.
    pub reach: Option<u64>,
    /// Publication time, Unix milliseconds.
    pub published_at: Option<i64>,
    /// Language the source declares (`fr`, `en-GB`); Relais detects its own when absent.
    pub lang: Option<String>,
    /// Host the item was published on (`news.example.com`, `mastodon.social`).
    pub site: Option<String>,
}

//! Why a document is not a feed, said so that the user knows what to do; and the one repair
//! worth trying before saying it.

use url::Url;

use super::web_url;
use crate::charset;
use crate::markup::{self, tokens::Token, tokens::Tokens};

/// Why a document could not be read as a feed. Messages say what was found and what to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    #[error(
        "the address answered with an empty document, not a feed; check the address, or wait: \
         the site may be being updated"
    )]
    Empty,
    #[error("{}", html_page_message(feed_links))]
    HtmlPage {
        /// The feeds the page announces, resolved against its address.
        feed_links: Vec<String>,
    },
    #[error("{}", other_xml_message(root))]
    OtherXml {
        /// The name of the document's root element.
        root: String,
    },
    #[error(
        "the feed's XML is broken ({detail}), so none of its items could be read; the site has \
         to fix its feed (an XML validator shows where), Relais keeps retrying"
    )]
    BrokenXml { detail: String },
    #[error(
        "this is not an RSS, Atom or JSON feed but {found}; check that the address opens as a \
         feed in a browser"
    )]
    NotAFeed {
        /// What the document looks like.
        found: String,
    },
}

impl FeedError {
    /// A stable code for the interface and the API.
    pub fn code(&self) -> &'static str {
        match self {
            FeedError::Empty => "feed.empty",
            FeedError::HtmlPage { .. } => "feed.html_page",
            FeedError::OtherXml { .. } => "feed.other_xml",
            FeedError::BrokenXml { .. } => "feed.broken_xml",
            FeedError::NotAFeed { .. } => "feed.not_a_feed",
        }
    }
}

fn html_page_message(feed_links: &[String]) -> String {
    match feed_links.first() {
        Some(link) => format!(
            "this is an HTML page, not a feed; its feed may be at {link}: use that address instead"
        ),
        None => "this is an HTML page, not a feed, and it announces no feed; look on the site \
                 for an RSS or Atom link and use that address"
            .to_owned(),
    }
}

fn other_xml_message(root: &str) -> String {
    if root.eq_ignore_ascii_case("opml") {
        "this is an OPML subscription list, not a feed; import it with the OPML import instead"
            .to_owned()
    } else {
        format!(
            "this is an XML document whose root element is <{root}>, not an RSS or Atom feed; \
             check the address"
        )
    }
}

pub(super) fn broken(error: feed_rs::parser::ParseFeedError) -> FeedError {
    use feed_rs::parser::{ParseErrorKind, ParseFeedError};
    match error {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => FeedError::NotAFeed {
            found: "a document without a feed's root element".to_owned(),
        },
        ParseFeedError::JsonSerde(_) | ParseFeedError::JsonUnsupportedVersion(_) => {
            FeedError::NotAFeed {
                found: "JSON that is not a JSON Feed".to_owned(),
            }
        }
        other => FeedError::BrokenXml {
            detail: short(&other.to_string(), 200),
        },
    }
}

/// When a document that failed as a feed is clearly something else, what it is.
pub(super) fn identify(
    text: &str,
    content_type: Option<&str>,
    base: Option<&Url>,
) -> Option<FeedError> {
    let body = text.trim_start();
    if body.starts_with('{') || body.starts_with('[') {
        return None; // JSON: feed-rs's own error says enough.
    }
    if !body.starts_with('<') {
        let found = match content_type.map(charset::media_type) {
            Some(media) if !media.is_empty() && !media.starts_with("text/") => {
                format!("a document of type {media}")
            }
            _ => format!(
                "text starting with \"{}\"",
                short(&markup::collapse(body), 40)
            ),
        };
        return Some(FeedError::NotAFeed { found });
    }
    let root = Tokens::new(body).find_map(|t| match t {
        Token::Start { name, .. } => Some(name),
        _ => None,
    })?;
    let root_name = root.rsplit(':').next().unwrap_or(&root);
    if matches!(root_name, "rss" | "feed" | "rdf") {
        return None; // A feed, broken: the XML error is the news.
    }
    let doctype_html = body
        .get(..14)
        .is_some_and(|head| head.eq_ignore_ascii_case("<!doctype html"));
    if doctype_html || matches!(root_name, "html" | "head" | "body") {
        let page = markup::extract(text, 0);
        let feed_links = page
            .feed_links
            .iter()
            .filter_map(|href| web_url(href, base))
            .collect();
        return Some(FeedError::HtmlPage { feed_links });
    }
    Some(FeedError::OtherXml {
        root: short(&root, 60),
    })
}

/// The most common breakage of hand-made feeds is an `&` written as is ("Tom & Jerry"), which
/// XML refuses. Escapes every `&` that does not start a reference; `None` if there is none.
pub(super) fn escape_bare_ampersands(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 16);
    let mut changed = false;
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if starts_reference(after) {
            out.push('&');
        } else {
            out.push_str("&amp;");
            changed = true;
        }
        rest = after;
    }
    out.push_str(rest);
    changed.then_some(out)
}

fn starts_reference(after: &str) -> bool {
    let body = after
        .strip_prefix('#')
        .map_or(after, |n| n.strip_prefix(['x', 'X']).unwrap_or(n));
    let len = body
        .bytes()
        .take(33)
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-' || *b == b'.')
        .count();
    len > 0 && len <= 32 && body.get(len..).is_some_and(|r| r.starts_with(';'))
}

/// At most `max` characters of `text`, with an ellipsis when cut.
fn short(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_ampersands_are_escaped_and_references_kept() {
        assert_eq!(
            escape_bare_ampersands("Tom & Jerry &amp; &#233; &eacute; &#x41;"),
            Some("Tom &amp; Jerry &amp; &#233; &eacute; &#x41;".to_owned())
        );
        assert_eq!(escape_bare_ampersands("a &amp; b"), None);
    }
}

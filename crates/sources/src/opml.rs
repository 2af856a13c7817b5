//! OPML subscription lists (what feed readers export) read into the feeds they list. Pure.
//!
//! Read with the forgiving tag scanner rather than an XML parser: exported files are often not
//! quite XML (a bare `&` in a title, an HTML entity), and one bad title must not cost the user
//! the whole import. Folders (outlines without a feed address) become the categories of the
//! feeds inside them.

use url::Url;

use crate::charset;
use crate::markup::{self, tokens::Token, tokens::Tokens, tokens::attribute};

/// Feeds read from one file at most.
pub const MAX_OUTLINES: usize = 10_000;
/// Folder names kept per feed (nobody files a feed eight folders deep).
const MAX_DEPTH: usize = 8;
/// Characters kept of a title or category name.
const MAX_NAME_CHARS: usize = 300;

/// One feed of a subscription list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpmlOutline {
    /// The name the reader showed (`title`, else `text`).
    pub title: Option<String>,
    /// The feed's address (`xmlUrl`): absolute, http or https.
    pub xml_url: String,
    /// The site's address (`htmlUrl`), when given and a web address.
    pub html_url: Option<String>,
    /// The folders it sat in, outermost first (or the `category` attribute's first path).
    pub categories: Vec<String>,
}

/// What a subscription list holds: its usable feeds, each once, and how many other entries
/// named a feed that could not be kept (not a web address, or listed twice).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpmlList {
    pub outlines: Vec<OpmlOutline>,
    pub skipped: usize,
}

/// Why a file could not be imported. Messages say what was found and what to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpmlError {
    #[error("the file is empty; export your subscriptions again from your feed reader (as OPML)")]
    Empty,
    #[error(
        "this is not an OPML file but {found}; export your subscriptions from your feed reader \
         as OPML (often under Settings, Import/Export)"
    )]
    NotOpml {
        /// What the file looks like.
        found: String,
    },
    #[error("{}", no_feeds_message(*skipped))]
    NoFeeds {
        /// Outlines with a feed address that is not an absolute http(s) URL.
        skipped: usize,
    },
    #[error(
        "the OPML file lists more than {MAX_OUTLINES} feeds; split it into several files and \
         import them one by one"
    )]
    TooMany,
}

impl OpmlError {
    /// A stable code for the interface and the API.
    pub fn code(&self) -> &'static str {
        match self {
            OpmlError::Empty => "opml.empty",
            OpmlError::NotOpml { .. } => "opml.not_opml",
            OpmlError::NoFeeds { .. } => "opml.no_feeds",
            OpmlError::TooMany => "opml.too_many",
        }
    }
}

fn no_feeds_message(skipped: usize) -> String {
    let others = if skipped > 0 {
        format!(" with a web address ({skipped} entries had other kinds of address)")
    } else {
        String::new()
    };
    format!("the OPML file lists no feed{others}; check it is the export of your subscriptions")
}

/// The feeds an OPML file lists, in order, each address once.
pub fn parse_opml(bytes: &[u8]) -> Result<OpmlList, OpmlError> {
    let text = charset::xml_text(bytes, None);
    if text.trim().is_empty() {
        return Err(OpmlError::Empty);
    }
    let mut tokens = Tokens::new(&text);
    let root = tokens.by_ref().find_map(|t| match t {
        Token::Start { name, .. } => Some(name),
        _ => None,
    });
    match root.as_deref() {
        Some("opml") => {}
        Some(other) => {
            return Err(OpmlError::NotOpml {
                found: describe_root(other),
            });
        }
        None => {
            return Err(OpmlError::NotOpml {
                found: "a document without any markup".to_owned(),
            });
        }
    }

    let mut outlines: Vec<OpmlOutline> = Vec::new();
    let mut listed = std::collections::HashSet::new();
    let mut skipped = 0;
    // One entry per open <outline>: the length `path` had before it (a folder adds its name).
    let mut open: Vec<usize> = Vec::new();
    let mut path: Vec<String> = Vec::new();
    for token in tokens {
        match token {
            Token::Start {
                name,
                attrs,
                self_closing,
            } if name == "outline" => {
                let title = attribute(attrs, "title")
                    .or_else(|| attribute(attrs, "text"))
                    .map(|t| name_text(&t))
                    .filter(|t| !t.is_empty());
                let feed_url = attribute(attrs, "xmlurl").filter(|u| !u.trim().is_empty());
                if let Some(feed_url) = feed_url {
                    match web_url(&feed_url) {
                        Some(xml_url) if !listed.contains(&xml_url) => {
                            if outlines.len() == MAX_OUTLINES {
                                return Err(OpmlError::TooMany);
                            }
                            listed.insert(xml_url.clone());
                            outlines.push(OpmlOutline {
                                title,
                                xml_url,
                                html_url: attribute(attrs, "htmlurl").and_then(|u| web_url(&u)),
                                categories: categories(&path, attrs),
                            });
                        }
                        // Listed twice (once is enough), or not a web address.
                        Some(_) | None => skipped += 1,
                    }
                    if !self_closing {
                        open.push(path.len());
                    }
                } else if !self_closing {
                    open.push(path.len());
                    path.extend(title);
                }
            }
            Token::End { name } if name == "outline" => {
                let before = open.pop().unwrap_or(path.len());
                path.truncate(before);
            }
            _ => {}
        }
    }
    if outlines.is_empty() {
        return Err(OpmlError::NoFeeds { skipped });
    }
    Ok(OpmlList { outlines, skipped })
}

/// The enclosing folders' names, or else the first path of a `category="/a/b,/c"` attribute;
/// at most [`MAX_DEPTH`] names, outermost first.
fn categories(path: &[String], attrs: &str) -> Vec<String> {
    if !path.is_empty() {
        return path.iter().take(MAX_DEPTH).cloned().collect();
    }
    attribute(attrs, "category")
        .and_then(|c| {
            c.split(',')
                .map(|path| {
                    path.split('/')
                        .map(name_text)
                        .filter(|p| !p.is_empty())
                        .take(MAX_DEPTH)
                        .collect::<Vec<_>>()
                })
                .find(|p| !p.is_empty())
        })
        .unwrap_or_default()
}

fn name_text(raw: &str) -> String {
    // Attribute values are decoded once already; a second pass catches `&amp;eacute;`.
    markup::collapse(&markup::plain(raw, MAX_NAME_CHARS))
}

fn web_url(raw: &str) -> Option<String> {
    let url = Url::parse(raw.trim()).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some()).then(|| url.to_string())
}

fn describe_root(root: &str) -> String {
    let local = root.rsplit(':').next().unwrap_or(root);
    match local {
        "html" | "head" | "body" => "an HTML page".to_owned(),
        "rss" | "feed" | "rdf" => "a feed (add its address as a feed source instead)".to_owned(),
        _ => {
            let shown: String = root.chars().take(60).collect();
            format!("an XML document whose root element is <{shown}>")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_become_categories_and_duplicates_go() {
        let doc = r#"<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>
            <outline text="Presse">
              <outline text="Tech &amp; web">
                <outline type="rss" text="Un" xmlUrl="https://un.example/feed" htmlUrl="https://un.example/"/>
              </outline>
              <outline type="rss" text="Deux" title="Deux &eacute;" xmlUrl="http://deux.example/rss"/>
            </outline>
            <outline type="rss" text="Un encore" xmlUrl="https://un.example/feed"/>
            <outline type="rss" text="Trois" xmlUrl="https://trois.example/atom" category="/Blogs/Amis,/Autres"/>
            </body></opml>"#;
        let list = parse_opml(doc.as_bytes()).expect("a list");
        assert_eq!(list.skipped, 1, "the second \"Un\" is counted as left out");
        let outlines = list.outlines;
        assert_eq!(outlines.len(), 3);
        assert_eq!(outlines[0].categories, ["Presse", "Tech & web"]);
        assert_eq!(outlines[0].html_url.as_deref(), Some("https://un.example/"));
        assert_eq!(outlines[1].title.as_deref(), Some("Deux é"));
        assert_eq!(outlines[1].categories, ["Presse"]);
        assert_eq!(outlines[2].categories, ["Blogs", "Amis"]);
    }

    #[test]
    fn what_is_not_a_list_of_feeds_is_named() {
        let err = |doc: &str| parse_opml(doc.as_bytes()).expect_err("refused");
        assert_eq!(err("  "), OpmlError::Empty);
        assert!(
            err("<html><body>hi</body></html>")
                .to_string()
                .contains("HTML page")
        );
        assert!(
            err("<rss version=\"2.0\"><channel/></rss>")
                .to_string()
                .contains("add its address as a feed source")
        );
        assert_eq!(
            err("<opml><body><outline text=\"x\" xmlUrl=\"file:///etc/passwd\"/></body></opml>"),
            OpmlError::NoFeeds { skipped: 1 }
        );
        assert!(err("just words").to_string().contains("without any markup"));
    }
}

//! HTML reduced to what a reader sees: plain text cut into passages (paragraphs, list items,
//! headings, cells), the page's title, and the feeds it announces. Small on purpose: listening
//! needs the words, not a faithful rendering, and a full HTML parser is a large dependency.

pub(crate) mod entities;
pub(crate) mod tokens;

use tokens::{Token, Tokens, attribute};

/// Elements that start a new passage where they open and where they close.
const BLOCKS: [&str; 44] = [
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "html",
    "legend",
    "li",
    "main",
    "nav",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "td",
    "th",
    "tr",
    "ul",
];

/// Elements whose content a reader does not see as text (or that is boilerplate: "enable
/// JavaScript"). Their scripts and styles are already dropped by the scanner.
const HIDDEN: [&str; 6] = ["noscript", "template", "svg", "math", "object", "select"];

/// Feed types a page may announce with `<link rel="alternate" type=…>`.
const FEED_TYPES: [&str; 4] = [
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/rdf+xml",
];

/// What a page shows.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Extract {
    /// The document's `<title>`, whitespace collapsed.
    pub title: Option<String>,
    /// The visible text, one entry per block, whitespace collapsed, none empty.
    pub passages: Vec<String>,
    /// `href`s of the feeds announced by `<link rel="alternate">`, as written.
    pub feed_links: Vec<String>,
}

/// Reads `html`, keeping at most `max_chars` characters of text (the title and feed links
/// are read regardless).
pub(crate) fn extract(html: &str, max_chars: usize) -> Extract {
    let mut out = Extract::default();
    let mut text = TextBuilder::new(max_chars);
    let mut hidden: Vec<String> = Vec::new();
    let mut in_title = false;
    for token in Tokens::new(html) {
        match token {
            Token::Start {
                name,
                attrs,
                self_closing,
            } => {
                if name == "link" {
                    feed_link(attrs, &mut out.feed_links);
                } else if name == "title" {
                    in_title = !self_closing;
                } else if HIDDEN.contains(&name.as_str()) && !self_closing {
                    hidden.push(name);
                } else if BLOCKS.contains(&name.as_str()) {
                    text.end_passage();
                } else if name == "img"
                    && hidden.is_empty()
                    && let Some(alt) = attribute(attrs, "alt")
                {
                    // An image's words count only inline (a linked logo's name, an emoji).
                    text.push(&alt);
                }
            }
            Token::End { name } => {
                if name == "title" {
                    in_title = false;
                } else if hidden.last() == Some(&name) {
                    hidden.pop();
                } else if BLOCKS.contains(&name.as_str()) {
                    text.end_passage();
                }
            }
            Token::Text(raw) => {
                let decoded = entities::decode(raw);
                if in_title {
                    // Only the first title counts, and not those of SVG drawings.
                    if out.title.is_none() && hidden.is_empty() {
                        out.title = Some(collapse(&decoded)).filter(|t| !t.is_empty());
                    }
                } else if hidden.is_empty() {
                    text.push(&decoded);
                }
            }
        }
    }
    out.passages = text.finish();
    out
}

/// HTML as one plain text: passages joined by new lines. For feed content.
pub(crate) fn to_text(html: &str, max_chars: usize) -> String {
    extract(html, max_chars).passages.join("\n")
}

/// Text that is not HTML but may still hold character references (and runs of whitespace).
pub(crate) fn plain(text: &str, max_chars: usize) -> String {
    let mut builder = TextBuilder::new(max_chars);
    for line in entities::decode(text).lines() {
        builder.push(line);
        builder.end_passage();
    }
    builder.finish().join("\n")
}

/// Collapses runs of whitespace (no-break spaces included) into one space, trimmed.
pub(crate) fn collapse(text: &str) -> String {
    text.split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn feed_link(attrs: &str, links: &mut Vec<String>) {
    let rel = attribute(attrs, "rel").unwrap_or_default();
    if !rel
        .split_ascii_whitespace()
        .any(|r| r.eq_ignore_ascii_case("alternate"))
    {
        return;
    }
    let kind = attribute(attrs, "type").unwrap_or_default();
    let kind = kind.split(';').next().unwrap_or("").trim();
    if !FEED_TYPES.iter().any(|t| t.eq_ignore_ascii_case(kind)) {
        return;
    }
    if let Some(href) = attribute(attrs, "href").map(|h| h.trim().to_owned())
        && !href.is_empty()
        && !links.contains(&href)
    {
        links.push(href);
    }
}

/// Accumulates text into passages, collapsing whitespace, up to a character budget.
struct TextBuilder {
    passages: Vec<String>,
    current: String,
    pending_space: bool,
    budget: usize,
}

impl TextBuilder {
    fn new(max_chars: usize) -> Self {
        Self {
            passages: Vec::new(),
            current: String::new(),
            pending_space: false,
            budget: max_chars,
        }
    }

    fn push(&mut self, text: &str) {
        for c in text.chars() {
            if self.budget == 0 {
                return;
            }
            // Soft hyphens and zero-width characters are invisible and would split words.
            if matches!(c, '\u{ad}' | '\u{200b}' | '\u{feff}') {
                continue;
            }
            if c.is_whitespace() {
                self.pending_space = !self.current.is_empty();
                continue;
            }
            if self.pending_space {
                // A space is worth keeping only if the character after it fits too.
                if self.budget < 2 {
                    self.budget = 0;
                    return;
                }
                self.current.push(' ');
                self.pending_space = false;
                self.budget -= 1;
            }
            self.current.push(c);
            self.budget -= 1;
        }
    }

    fn end_passage(&mut self) {
        self.pending_space = false;
        if !self.current.is_empty() {
            self.passages.push(std::mem::take(&mut self.current));
        }
    }

    fn finish(mut self) -> Vec<String> {
        self.end_passage();
        self.passages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_become_passages_and_inline_tags_do_not() {
        let page = extract(
            "<html><head><title> Le  Blog </title><style>p{}</style></head>\
             <body><h1>Titre</h1><p>Un <b>mot</b>&nbsp;fort,<br>et   l&rsquo;autre</p>\
             <ul><li>a</li><li>b &amp; c</li></ul></body></html>",
            1000,
        );
        assert_eq!(page.title.as_deref(), Some("Le Blog"));
        assert_eq!(
            page.passages,
            ["Titre", "Un mot fort,", "et l’autre", "a", "b & c"]
        );
    }

    #[test]
    fn hidden_parts_are_left_out() {
        let page = extract(
            "<p>seen</p><noscript><p>enable JS</p></noscript><svg><title>icon</title>\
             <text>drawn</text></svg><template><p>later</p></template><p>also seen</p>",
            1000,
        );
        assert_eq!(page.passages, ["seen", "also seen"]);
        assert_eq!(page.title, None);
    }

    #[test]
    fn feed_links_are_found_only_when_alternate_and_of_a_feed_type() {
        let page = extract(
            r#"<link rel="stylesheet" type="text/css" href="/s.css">
               <link rel="alternate" type="application/rss+xml" href="/feed.xml">
               <link rel="ALTERNATE" type="application/atom+xml; charset=utf-8" href="atom.xml"/>
               <link rel="alternate" hreflang="fr" href="/fr/">"#,
            1000,
        );
        assert_eq!(page.feed_links, ["/feed.xml", "atom.xml"]);
    }

    #[test]
    fn the_budget_cuts_the_text() {
        let text = to_text("<p>abcdef</p><p>ghij</p>", 8);
        assert_eq!(text, "abcdef\ngh");
        assert_eq!(to_text("<p>a  b</p>", 2), "a");
    }

    #[test]
    fn plain_text_keeps_its_lines_and_decodes_references() {
        assert_eq!(
            plain("  Caf&eacute; &amp; cr&egrave;me \n\n second\tline ", 100),
            "Café & crème\nsecond line"
        );
        assert_eq!(plain("a < b && c", 100), "a < b && c");
    }
}

//! A forgiving tag scanner for HTML (and for OPML, whose files are often not quite XML).
//!
//! It does not build a tree or check nesting: it cuts the text into start tags, end tags and
//! text, skips comments, declarations and the bodies of `<script>`, `<style>` and the like,
//! and never fails. One pass, forward only, so any input costs time linear in its length.

/// Elements whose content is not markup: read up to their end tag as one piece of text
/// (`title`, `textarea`) or skipped altogether (the others).
const RAW_TEXT: [&str; 4] = ["title", "textarea", "xmp", "plaintext"];
const SKIPPED: [&str; 4] = ["script", "style", "iframe", "noembed"];

/// One piece of a document.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// Text as written: character references not decoded yet.
    Text(&'a str),
    /// `<name attrs>` or `<name attrs/>`; the name lower-cased.
    Start {
        name: String,
        attrs: &'a str,
        self_closing: bool,
    },
    /// `</name>`, lower-cased.
    End { name: String },
}

/// The tokens of `src`, in order.
pub(crate) struct Tokens<'a> {
    src: &'a str,
    pos: usize,
    /// Set after the start tag of a raw-text element: the next token is its text, up to the
    /// matching end tag.
    raw_until: Option<&'static str>,
}

impl<'a> Tokens<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Self {
            src,
            pos: 0,
            raw_until: None,
        }
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    /// Moves past the first `needle` at or after the cursor (or to the end).
    fn skip_past(&mut self, needle: &str) {
        match self.rest().find(needle) {
            Some(at) => self.pos += at + needle.len(),
            None => self.pos = self.src.len(),
        }
    }

    /// Where the end tag `</name` starts in `rest`, compared without regard to case.
    fn find_end_tag(rest: &str, name: &str) -> Option<usize> {
        let bytes = rest.as_bytes();
        let mut from = 0;
        while let Some(at) = rest.get(from..)?.find("</") {
            let start = from + at;
            let candidate = bytes.get(start + 2..start + 2 + name.len());
            if candidate.is_some_and(|c| c.eq_ignore_ascii_case(name.as_bytes())) {
                return Some(start);
            }
            from = start + 2;
        }
        None
    }

    /// Reads the text of a raw-text element, leaving the cursor on its end tag.
    fn raw_text(&mut self, name: &'static str) -> Option<Token<'a>> {
        let rest = self.rest();
        let len = Self::find_end_tag(rest, name).unwrap_or(rest.len());
        self.pos += len;
        (len > 0).then(|| Token::Text(&rest[..len]))
    }

    /// Reads a tag starting at the cursor (on `<`); `None` when what follows is not a tag
    /// (the `<` is then text) or was skipped (comments, declarations).
    fn tag(&mut self) -> Option<Option<Token<'a>>> {
        let rest = self.rest();
        let after = rest.get(1..).unwrap_or("");
        if after.starts_with("!--") {
            self.pos += 4;
            self.skip_past("-->");
            return Some(None);
        }
        if let Some(cdata) = after.strip_prefix("![CDATA[") {
            let len = cdata.find("]]>").unwrap_or(cdata.len());
            self.pos += 9 + len + 3;
            self.pos = self.pos.min(self.src.len());
            return Some((len > 0).then(|| Token::Text(&cdata[..len])));
        }
        if after.starts_with(['!', '?']) {
            self.skip_past(">");
            return Some(None);
        }
        let (closing, name_at) = match after.strip_prefix('/') {
            Some(_) => (true, 2),
            None => (false, 1),
        };
        let name_src = rest.get(name_at..).unwrap_or("");
        if !name_src.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return None;
        }
        let name_len = name_src
            .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
            .unwrap_or(name_src.len());
        let name = name_src[..name_len].to_ascii_lowercase();
        let attrs_src = &name_src[name_len..];
        let Some(close) = tag_end(attrs_src) else {
            // A tag cut off by the end of the document: drop it, as browsers do.
            self.pos = self.src.len();
            return Some(None);
        };
        self.pos += name_at + name_len + close + 1;
        if closing {
            return Some(Some(Token::End { name }));
        }
        let inner = &attrs_src[..close];
        let self_closing = inner.trim_end().ends_with('/');
        let attrs = inner.trim_end().trim_end_matches('/');
        if !self_closing {
            if let Some(raw) = RAW_TEXT.iter().find(|r| **r == name) {
                self.raw_until = Some(raw);
            } else if let Some(skipped) = SKIPPED.iter().find(|s| **s == name) {
                let len = Self::find_end_tag(self.rest(), skipped).unwrap_or(self.rest().len());
                self.pos += len;
                return Some(None);
            }
        }
        Some(Some(Token::Start {
            name,
            attrs,
            self_closing,
        }))
    }
}

/// The position of the `>` closing a tag, quotes respected; `src` starts after the name.
fn tag_end(src: &str) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (i, b) in src.bytes().enumerate() {
        match (quote, b) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return Some(i),
            (None, _) => {}
        }
    }
    None
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        if let Some(name) = self.raw_until.take()
            && let Some(text) = self.raw_text(name)
        {
            return Some(text);
        }
        while self.pos < self.src.len() {
            let rest = self.rest();
            if let Some(after) = rest.strip_prefix('<') {
                match self.tag() {
                    Some(Some(token)) => return Some(token),
                    Some(None) => continue,
                    None => {
                        // A lone `<` is text, up to the next `<`.
                        let len = after.find('<').map_or(rest.len(), |at| at + 1);
                        self.pos += len;
                        return Some(Token::Text(&rest[..len]));
                    }
                }
            }
            let len = rest.find('<').unwrap_or(rest.len());
            self.pos += len;
            return Some(Token::Text(&rest[..len]));
        }
        None
    }
}

/// The value of attribute `wanted` (lower-case) in a tag's attribute text, references
/// decoded; `None` when absent. A bare attribute (`<option selected>`) has the value "".
pub(crate) fn attribute(attrs: &str, wanted: &str) -> Option<String> {
    let mut rest = attrs;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        if rest.is_empty() {
            return None;
        }
        let name_len = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len())
            .max(1);
        let name = rest.get(..name_len).unwrap_or(rest);
        rest = rest.get(name_len..).unwrap_or("").trim_start();
        let mut value = None;
        if let Some(after_eq) = rest.strip_prefix('=') {
            let after_eq = after_eq.trim_start();
            let (v, used) = match after_eq.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let body = &after_eq[1..];
                    let len = body.find(q).unwrap_or(body.len());
                    (&body[..len], (len + 2).min(after_eq.len()))
                }
                _ => {
                    let len = after_eq
                        .find(|c: char| c.is_ascii_whitespace())
                        .unwrap_or(after_eq.len());
                    (&after_eq[..len], len)
                }
            };
            value = Some(v);
            rest = &after_eq[used..];
        }
        if name.eq_ignore_ascii_case(wanted) {
            return Some(super::entities::decode(value.unwrap_or("")).into_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(src: &str) -> Vec<Token<'_>> {
        Tokens::new(src).collect()
    }

    fn start(name: &str, attrs: &'static str, self_closing: bool) -> Token<'static> {
        Token::Start {
            name: name.to_owned(),
            attrs,
            self_closing,
        }
    }

    #[test]
    fn tags_and_text_come_in_order() {
        assert_eq!(
            tokens("<P class=x>Hi <b>you</B><br/>"),
            vec![
                start("p", " class=x", false),
                Token::Text("Hi "),
                start("b", "", false),
                Token::Text("you"),
                Token::End { name: "b".into() },
                start("br", "", true),
            ]
        );
    }

    #[test]
    fn comments_declarations_and_scripts_are_skipped() {
        let t = tokens(
            "<!DOCTYPE html><?xml x?><!-- <p>no</p> -->a<script>if (a<b) x='</p>'</SCRIPT>b<style>p{}</style>",
        );
        assert_eq!(
            t,
            vec![
                Token::Text("a"),
                Token::End {
                    name: "script".into()
                },
                Token::Text("b"),
                Token::End {
                    name: "style".into()
                },
            ]
        );
    }

    #[test]
    fn title_is_raw_text_and_a_lone_angle_is_text() {
        assert_eq!(
            tokens("<title>a <b> c</title>1 < 2"),
            vec![
                start("title", "", false),
                Token::Text("a <b> c"),
                Token::End {
                    name: "title".into()
                },
                Token::Text("1 "),
                Token::Text("< 2"),
            ]
        );
    }

    #[test]
    fn quoted_angle_does_not_end_a_tag_and_a_cut_tag_is_dropped() {
        assert_eq!(
            tokens(r#"<a title="1>0" href=x>go</a><img src="#),
            vec![
                start("a", r#" title="1>0" href=x"#, false),
                Token::Text("go"),
                Token::End { name: "a".into() },
            ]
        );
    }

    #[test]
    fn attributes_are_found_whatever_their_quoting() {
        let attrs = r#" rel="alternate" TYPE='application/rss+xml' href=/feed?a=1&amp;b=2 hidden"#;
        assert_eq!(attribute(attrs, "rel").as_deref(), Some("alternate"));
        assert_eq!(
            attribute(attrs, "type").as_deref(),
            Some("application/rss+xml")
        );
        assert_eq!(attribute(attrs, "href").as_deref(), Some("/feed?a=1&b=2"));
        assert_eq!(attribute(attrs, "hidden").as_deref(), Some(""));
        assert_eq!(attribute(attrs, "title"), None);
        assert_eq!(
            attribute(r#"a="unterminated"#, "a").as_deref(),
            Some("unterminated")
        );
    }
}

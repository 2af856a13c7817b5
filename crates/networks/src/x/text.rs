//! Whether a post's text as X shows it is the text Relais sent, for
//! [`crate::Connector::find_published`] (X has no idempotency key nor a look-up by one).
//!
//! X changes a text on the way: every link (with or without `http(s)://`) becomes a
//! `https://t.co/…` link, `&`, `<` and `>` come back as `&amp;`, `&lt;` and `&gt;`, and a post
//! with media gets one more `t.co` link at its end (to the media). So both sides are compared
//! with every link replaced by one marker, entities decoded, runs of white space as one space,
//! and the trailing links the sent text did not have dropped from X's.
//!
//! Limits: two texts that differ only in their links look the same; a link X does not
//! recognise but [`relais_publish::rules::url::find_urls`] does (or the reverse) makes them
//! differ; so does anything else X rewrites (Unicode normalisation, characters it strips).

use relais_publish::rules::url::find_urls;

/// Stands for a link, on both sides. A control character: not in a post X accepted.
const LINK: char = '\u{1}';

/// Is `shown` (a post's `text`, or its `note_tweet.text` for a long one, as X gives it) the
/// text `sent`?
pub(crate) fn same_text(sent: &str, shown: &str) -> bool {
    let sent = words(sent);
    let mut shown = words(&decode_entities(shown));
    let links = |w: &[String]| w.iter().filter(|w| is_link(w)).count();
    let wanted = links(&sent);
    let mut extra = links(&shown).saturating_sub(wanted);
    while extra > 0 && shown.last().is_some_and(|w| is_link(w)) {
        shown.pop();
        extra -= 1;
    }
    sent == shown
}

fn is_link(word: &str) -> bool {
    word.len() == LINK.len_utf8() && word.starts_with(LINK)
}

/// The text's words, every link one [`LINK`] word.
fn words(text: &str) -> Vec<String> {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for span in find_urls(text, true) {
        out.push_str(&text[at..span.start]);
        out.push(' ');
        out.push(LINK);
        out.push(' ');
        at = span.end;
    }
    out.push_str(&text[at..]);
    out.split_whitespace().map(str::to_owned).collect()
}

/// `&amp;`, `&lt;` and `&gt;` decoded, in one pass (so `&amp;lt;` is `&lt;`): X escapes
/// these three in the texts it returns, for posts and for search results alike.
pub(super) fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let (c, used) = if rest.starts_with("&amp;") {
            ('&', 5)
        } else if rest.starts_with("&lt;") {
            ('<', 4)
        } else if rest.starts_with("&gt;") {
            ('>', 4)
        } else {
            ('&', 1)
        };
        out.push(c);
        rest = &rest[used..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_become_t_co_and_still_match() {
        assert!(same_text(
            "Notre site https://example.org/a/very/long/path?x=1 et www.example.fr !",
            "Notre site https://t.co/AbCdEf1234 et https://t.co/ZyXw987654 !"
        ));
        // A bare domain X left alone matches itself.
        assert!(same_text("voir example.com/x", "voir example.com/x"));
        assert!(!same_text(
            "Notre site https://example.org",
            "Notre site, https://t.co/AbCdEf1234"
        ));
    }

    #[test]
    fn entities_and_white_space() {
        assert!(same_text(
            "Soldes <3 & plus\n\nligne  2 ",
            "Soldes &lt;3 &amp; plus\n\nligne 2"
        ));
        assert!(same_text("&lt; tel quel", "&amp;lt; tel quel"));
        assert_eq!(
            decode_entities("a &amp; b &lt;3 &amp;lt; &gt;&x"),
            "a & b <3 &lt; >&x",
            "each entity decoded once, a lone & kept"
        );
        assert!(!same_text("a & b", "a &amp;amp; b"));
    }

    #[test]
    fn the_media_link_at_the_end_is_not_the_text() {
        assert!(same_text("Notre logo", "Notre logo https://t.co/m3d1a"));
        assert!(same_text(
            "Lien https://example.org",
            "Lien https://t.co/l1nk https://t.co/m3d1a"
        ));
        // Only trailing links beyond the sent ones are dropped.
        assert!(!same_text("Notre logo", "https://t.co/x Notre logo"));
        assert!(!same_text("Notre logo", "Notre logo plus"));
        assert!(same_text("", "https://t.co/m3d1a"));
    }
}

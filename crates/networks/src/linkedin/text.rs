//! A post's text in LinkedIn's "little" text format, both ways.
//!
//! The Posts API reads `commentary` as *little*: `@[Name](urn:li:organization:1)` is a
//! mention, `{hashtag|\#|tag}` a hashtag template, and the characters
//! `\ | { } @ [ ] ( ) < > # * _ ~` are reserved. An unescaped reserved character either
//! becomes markup (a mention nobody asked for) or breaks the parse, and LinkedIn then
//! publishes the text cut short without any error. So [`escape`] puts a backslash before
//! each of them, with one exception: a `#` that starts a word (`#relais`) is left alone,
//! because `#word` is little's own hashtag element and the person who wrote it meant a
//! hashtag.
//!
//! Comments (`message.text` of the Comments API) are not little: they keep LinkedIn's older
//! text-and-attributes model, so their text is sent as written.
//!
//! [`shown_as_sent`] undoes what LinkedIn does to a commentary when it gives it back (escapes,
//! hashtags rewritten as templates, line ends), for [`crate::Connector::find_published`].

/// Characters little reserves (its documentation's list).
const RESERVED: &[char] = &[
    '\\', '|', '{', '}', '@', '[', ']', '(', ')', '<', '>', '#', '*', '_', '~',
];

/// `text` as a little commentary: every reserved character escaped, except the `#` of a
/// hashtag (see [`is_hashtag_start`]).
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut previous: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '#' && is_hashtag_start(previous, chars.clone()) {
            out.push('#');
        } else {
            if RESERVED.contains(&c) {
                out.push('\\');
            }
            out.push(c);
        }
        previous = Some(c);
    }
    out
}

/// Whether a `#` after `previous` and before `rest` starts a hashtag: it begins the text or
/// follows white space or punctuation (not a letter, a digit or another `#`), and a run of
/// letters and digits with at least one letter follows it. `C#`, `#1` and `##` stay plain
/// text.
fn is_hashtag_start(previous: Option<char>, rest: impl Iterator<Item = char>) -> bool {
    let after_boundary = match previous {
        None => true,
        Some(p) => !p.is_alphanumeric() && p != '#' && p != '\\' && p != '&',
    };
    if !after_boundary {
        return false;
    }
    let word: Vec<char> = rest.take_while(|c| c.is_alphanumeric()).collect();
    word.iter().any(|c| c.is_alphabetic())
}

/// A commentary as LinkedIn gives it back, turned into the text it shows: escapes removed,
/// `{hashtag|\#|tag}` templates back to `#tag`. Other templates are kept as they are.
pub(crate) fn unescape(little: &str) -> String {
    let mut out = String::with_capacity(little.len());
    let mut rest = little;
    while let Some(c) = rest.chars().next() {
        if c == '{'
            && let Some((tag, used)) = hashtag_template(rest)
        {
            out.push('#');
            out.push_str(&tag);
            rest = &rest[used..];
            continue;
        }
        if c == '\\'
            && let Some(next) = rest[1..].chars().next()
            && RESERVED.contains(&next)
        {
            out.push(next);
            rest = &rest[1 + next.len_utf8()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `{hashtag|\#|tag}` (or `{hashtag|#|tag}`) at the start of `s`: the tag, unescaped, and the
/// bytes the template takes.
fn hashtag_template(s: &str) -> Option<(String, usize)> {
    let body = s
        .strip_prefix("{hashtag|\\#|")
        .or_else(|| s.strip_prefix("{hashtag|#|"))?;
    let prefix = s.len() - body.len();
    let end = body.find('}')?;
    let tag = &body[..end];
    if tag.is_empty() || tag.contains(['{', '|', '\n']) {
        return None;
    }
    Some((unescape(tag), prefix + end + 1))
}

/// Whether `shown` (a commentary read back from LinkedIn) is the text `sent` (as Relais
/// had it, before [`escape`]): compared once unescaped, with runs of white space as one
/// space and the ends trimmed (LinkedIn may rewrite line ends).
pub(crate) fn shown_as_sent(sent: &str, shown: &str) -> bool {
    same_words(sent, &unescape(shown))
}

/// `a` and `b` alike but for white space (for comments, sent and shown as plain text).
pub(crate) fn same_words(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_characters_are_escaped() {
        assert_eq!(
            escape(r"a\b|c{d}e@f[g]h(i)j<k>l*m_n~o"),
            r"a\\b\|c\{d\}e\@f\[g\]h\(i\)j\<k\>l\*m\_n\~o"
        );
        assert_eq!(
            escape("Écrivez-nous (contact@example.org) :)"),
            r"Écrivez-nous \(contact\@example.org\) :\)"
        );
        assert_eq!(
            escape("Rien à signaler, 100 % ! 👋"),
            "Rien à signaler, 100 % ! 👋"
        );
        // A would-be mention is plain text.
        assert_eq!(
            escape("@[Devtestco](urn:li:organization:2414183)"),
            r"\@\[Devtestco\]\(urn:li:organization:2414183\)"
        );
    }

    #[test]
    fn hashtags_stay_hashtags_and_other_hashes_are_escaped() {
        assert_eq!(escape("#relais en vue"), "#relais en vue");
        assert_eq!(escape("Vive (#relais)"), r"Vive \(#relais\)");
        assert_eq!(escape("Hello #été2026!"), "Hello #été2026!");
        assert_eq!(escape("C# et F#"), r"C\# et F\#");
        assert_eq!(escape("Nous sommes #1"), r"Nous sommes \#1");
        assert_eq!(escape("## titre"), r"\#\# titre");
        assert_eq!(escape("#"), r"\#");
        assert_eq!(escape("#mon_tag"), r"#mon\_tag");
        assert_eq!(escape("&#39;"), r"&\#39;");
    }

    #[test]
    fn commentaries_read_back_are_unescaped() {
        let texts = [
            "Soldes (enfin) : -50 % sur *tout* #soldes",
            r"chemin\vers\fichier _x_ ~y~ <z> {a|b} [c]",
            "@[Devtestco](urn:li:organization:2414183)",
            "",
        ];
        for t in texts {
            assert_eq!(unescape(&escape(t)), t, "{t}");
            assert!(shown_as_sent(t, &escape(t)), "{t}");
        }
        assert_eq!(
            unescape(r"Bonjour {hashtag|\#|relais} et {hashtag|#|été}"),
            "Bonjour #relais et #été"
        );
        // Not templates: kept.
        assert_eq!(unescape("{hashtag|\\#|}"), "{hashtag|#|}");
        assert_eq!(unescape("{other|x}"), "{other|x}");
        // A lone backslash before an ordinary character is itself.
        assert_eq!(unescape(r"a\b"), r"a\b");
        assert_eq!(unescape("fin\\"), "fin\\");
    }

    #[test]
    fn white_space_does_not_count() {
        assert!(shown_as_sent("Ligne 1\r\nLigne 2 ", "Ligne 1\nLigne 2"));
        assert!(!shown_as_sent("Ligne 1 Ligne 2", "Ligne 1 Ligne 3"));
        assert!(same_words(" a  b ", "a b"));
        assert!(!same_words("a b", "ab"));
    }
}

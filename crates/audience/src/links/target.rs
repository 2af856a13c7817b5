//! Where a tracked link leads: the target checked and tagged with its campaign, and the links
//! of a post's text found, so that publishing a post can turn each into a tracked link.

use std::ops::Range;

use url::{Url, form_urlencoded};

use super::LinkError;
use crate::hit::MAX_URL;

/// The campaign tags a target carries, as the analytics of the target's site read them
/// (`utm_source`, `utm_medium`, …). Blank values set nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Campaign {
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    pub content: Option<String>,
    pub term: Option<String>,
}

impl Campaign {
    /// The query parameters to set, in the order people are used to reading them.
    fn tags(&self) -> Vec<(&'static str, &str)> {
        [
            ("utm_source", &self.source),
            ("utm_medium", &self.medium),
            ("utm_campaign", &self.campaign),
            ("utm_content", &self.content),
            ("utm_term", &self.term),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value.as_deref()?.trim())))
        .filter(|(_, value)| !value.is_empty())
        .collect()
    }
}

/// The target a link redirects to: `base` checked (absolute http or https, at most
/// [`MAX_URL`] bytes, no user name or password), with the campaign's tags set. A tag already in
/// the address under the same name is replaced; the other parameters are kept as written, and
/// so is the fragment.
pub fn build_target(base: &str, campaign: &Campaign) -> Result<Url, LinkError> {
    let mut url = checked_target(base)?;
    let tags = campaign.tags();
    if tags.is_empty() {
        return Ok(url);
    }
    let mut pairs: Vec<String> = url
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| !tags.iter().any(|(name, _)| parameter_name(pair) == *name))
        .map(str::to_owned)
        .collect();
    pairs.extend(tags.iter().map(|(name, value)| encoded_pair(name, value)));
    url.set_query(Some(&pairs.join("&")));
    let length = url.as_str().len();
    if length > MAX_URL {
        return Err(LinkError::TargetTooLong(length));
    }
    Ok(url)
}

fn checked_target(base: &str) -> Result<Url, LinkError> {
    let base = base.trim();
    if base.len() > MAX_URL {
        return Err(LinkError::TargetTooLong(base.len()));
    }
    let url = Url::parse(base).map_err(|e| LinkError::TargetNotUrl(e.to_string()))?;
    if !is_web_address(&url) {
        return Err(LinkError::TargetScheme(url.scheme().to_string()));
    }
    // A password in a link ends up in every click's browser history and every share of it.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(LinkError::TargetCredentials);
    }
    Ok(url)
}

fn is_web_address(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty())
}

/// The decoded name of one `name=value` piece of a query, so that `utm%5Fsource` is known as
/// `utm_source` too.
fn parameter_name(pair: &str) -> String {
    let raw_name = pair.split('=').next().unwrap_or_default();
    form_urlencoded::parse(raw_name.as_bytes())
        .next()
        .map(|(name, _)| name.into_owned())
        .unwrap_or_default()
}

fn encoded_pair(name: &str, value: &str) -> String {
    let value: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
    format!("{name}={value}")
}

/// The http and https addresses written in a text, each with its byte range in the text and the
/// address as a browser would follow it. An address ends at a space, a quote or an angle
/// bracket; punctuation that ends the sentence (`see https://x.y/z.`) is left out, and so is a
/// closing bracket that has no opening one in the address (`(https://x.y/z)`), while
/// `https://en.wikipedia.org/wiki/Rust_(programming_language)` keeps its own. Addresses longer
/// than [`MAX_URL`] are passed over, as no tracked link could lead there.
pub fn links_in_text(text: &str) -> Vec<(Range<usize>, String)> {
    let mut links = Vec::new();
    let mut from = 0;
    while let Some(start) = next_scheme(text, from) {
        let end = start + written_length(&text[start..]);
        if let Some(url) = web_url(&text[start..end]) {
            links.push((start..end, url.to_string()));
        }
        // The scheme alone is at least 7 bytes, so the search always moves on.
        from = end.max(start + 1);
    }
    links
}

const SCHEMES: [&[u8]; 2] = [b"http://", b"https://"];

/// The byte index of the next `http://` or `https://` (any case) at or after `from` that starts
/// a word: `xhttps://` is not a link.
fn next_scheme(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    (from..bytes.len()).find(|&i| {
        // Both schemes start with an ASCII letter, and an ASCII byte is always a character
        // boundary in UTF-8, so slicing at `i` is safe once it matched.
        SCHEMES.iter().any(|scheme| {
            bytes
                .get(i..i + scheme.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
        }) && starts_word(text, i)
    })
}

fn starts_word(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_none_or(|before| !before.is_alphanumeric())
}

/// The length in bytes of the address that starts `rest`, punctuation after it left out.
fn written_length(rest: &str) -> usize {
    let candidate_end = rest.find(ends_address).unwrap_or(rest.len());
    without_trailing_punctuation(&rest[..candidate_end])
}

/// Characters that cannot be part of an address as people write one in a text.
fn ends_address(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '<' | '>' | '"' | '«' | '»' | '“' | '”' | '‘' | '’' | '`')
}

/// Punctuation that closes a sentence or a clause more often than it ends an address, in
/// French, English and the full-width forms of Chinese and Japanese.
fn is_trailing_punctuation(c: char) -> bool {
    matches!(
        c,
        '.' | ','
            | ';'
            | ':'
            | '!'
            | '?'
            | '\''
            | '…'
            | '。'
            | '、'
            | '，'
            | '！'
            | '？'
            | '：'
            | '；'
    )
}

const BRACKETS: [(char, char); 3] = [('(', ')'), ('[', ']'), ('{', '}')];

/// The end of `candidate` once sentence punctuation and unmatched closing brackets are taken off
/// its end, in one pass over it whatever their number.
fn without_trailing_punctuation(candidate: &str) -> usize {
    // Openings minus closings of each kind of bracket in what is still kept.
    let mut balance = BRACKETS.map(|(open, close)| {
        candidate.chars().fold(0i64, |n, c| {
            n + i64::from(c == open) - i64::from(c == close)
        })
    });
    let mut end = candidate.len();
    while let Some(last) = candidate[..end].chars().next_back() {
        let unmatched_close = BRACKETS
            .iter()
            .position(|(_, close)| *close == last)
            .filter(|&kind| balance[kind] < 0);
        if let Some(kind) = unmatched_close {
            balance[kind] += 1;
        } else if !is_trailing_punctuation(last) {
            break;
        }
        end -= last.len_utf8();
    }
    end
}

fn web_url(written: &str) -> Option<Url> {
    if written.len() > MAX_URL {
        return None;
    }
    Url::parse(written).ok().filter(is_web_address)
}

/// The text with each of its links replaced by what `short` gives for it (a link for which it
/// gives `None` stays as written).
pub fn rewrite_links(text: &str, mut short: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, url) in links_in_text(text) {
        if let Some(replacement) = short(&url) {
            out.push_str(&text[at..range.start]);
            out.push_str(&replacement);
            at = range.end;
        }
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tagged(source: &str, medium: &str, campaign: &str) -> Campaign {
        Campaign {
            source: Some(source.into()),
            medium: Some(medium.into()),
            campaign: Some(campaign.into()),
            ..Campaign::default()
        }
    }

    #[test]
    fn sets_the_tags_keeping_the_query_and_the_fragment() {
        let url = build_target(
            "https://shop.example.fr/soldes?cat=robes&taille=38#nouveautés",
            &tagged("newsletter", "email", "soldes-été"),
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://shop.example.fr/soldes?cat=robes&taille=38&utm_source=newsletter\
             &utm_medium=email&utm_campaign=soldes-%C3%A9t%C3%A9#nouveaut%C3%A9s"
        );
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert!(pairs.contains(&("utm_campaign".into(), "soldes-été".into())));
    }

    #[test]
    fn replaces_tags_already_there_and_keeps_other_parameters_as_written() {
        let url = build_target(
            "https://example.com/p?utm_source=old&q=a%20b&flag&utm%5Fsource=older&utm_term=kept",
            &Campaign {
                source: Some("linkedin".into()),
                ..Campaign::default()
            },
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://example.com/p?q=a%20b&flag&utm_term=kept&utm_source=linkedin"
        );
    }

    #[test]
    fn encodes_values_that_would_break_the_query() {
        let campaign = Campaign {
            campaign: Some("Black Friday & co #1 = 50%".into()),
            content: Some("  ".into()),
            term: Some("chaussures d'été 🥿".into()),
            ..Campaign::default()
        };
        let url = build_target("http://example.com", &campaign).unwrap();
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(
            pairs,
            vec![
                ("utm_campaign".into(), "Black Friday & co #1 = 50%".into()),
                ("utm_term".into(), "chaussures d'été 🥿".into()),
            ]
        );
        assert_eq!(url.fragment(), None);
    }

    #[test]
    fn without_tags_the_target_is_only_checked() {
        let url = build_target(" https://example.com/a?x=1#top ", &Campaign::default()).unwrap();
        assert_eq!(url.as_str(), "https://example.com/a?x=1#top");
    }

    #[test]
    fn refuses_what_is_not_a_web_address() {
        let none = Campaign::default();
        for base in [
            "ftp://example.com/file",
            "javascript:alert(1)",
            "mailto:contact@example.com",
            "data:text/html,<b>hi</b>",
            "file:///etc/passwd",
        ] {
            assert!(
                matches!(build_target(base, &none), Err(LinkError::TargetScheme(_))),
                "{base}"
            );
        }
        for base in [
            "example.com/page",
            "",
            "/l/abc",
            "https://",
            "http://exa mple.com",
        ] {
            assert!(
                matches!(build_target(base, &none), Err(LinkError::TargetNotUrl(_))),
                "{base}"
            );
        }
        let message = build_target("example.com", &none).unwrap_err().to_string();
        assert!(message.contains("https://"), "{message}");
    }

    #[test]
    fn refuses_credentials() {
        let none = Campaign::default();
        for base in [
            "https://admin:secret@example.com/",
            "https://admin@example.com/",
            "http://:secret@example.com/",
        ] {
            assert_eq!(
                build_target(base, &none),
                Err(LinkError::TargetCredentials),
                "{base}"
            );
        }
        // An @ in the path or query is not a credential.
        assert!(build_target("https://mastodon.social/@relais?by=@me", &none).is_ok());
    }

    #[test]
    fn refuses_targets_too_long_before_and_after_tagging() {
        let none = Campaign::default();
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL));
        assert_eq!(
            build_target(&long, &none),
            Err(LinkError::TargetTooLong(long.len()))
        );
        let near = format!("https://example.com/{}", "a".repeat(MAX_URL - 30));
        assert!(build_target(&near, &none).is_ok());
        assert!(matches!(
            build_target(&near, &tagged("newsletter", "email", "x")),
            Err(LinkError::TargetTooLong(_))
        ));
        let huge_tag = tagged(&"s".repeat(100_000), "email", "x");
        assert!(matches!(
            build_target("https://example.com/", &huge_tag),
            Err(LinkError::TargetTooLong(_))
        ));
    }

    /// The written parts of the links found, to compare with what the text shows.
    fn written(text: &str) -> Vec<&str> {
        links_in_text(text)
            .into_iter()
            .map(|(range, _)| &text[range])
            .collect()
    }

    #[test]
    fn leaves_sentence_punctuation_out_in_french_and_english() {
        assert_eq!(
            written("Nouveau billet : https://blog.example.fr/2025/ete. Bonne lecture !"),
            ["https://blog.example.fr/2025/ete"]
        );
        assert_eq!(
            written("See https://example.com/docs, then https://example.com/faq?"),
            ["https://example.com/docs", "https://example.com/faq"]
        );
        assert_eq!(
            written("C'est ici : https://example.fr/inscription ! Et là : https://example.fr/a;"),
            ["https://example.fr/inscription", "https://example.fr/a"]
        );
        // French typography puts a narrow no-break space before '!' and ':'.
        assert_eq!(
            written("Découvrez https://example.fr/promo\u{202f}!"),
            ["https://example.fr/promo"]
        );
        assert_eq!(
            written("Voir https://example.com/a...."),
            ["https://example.com/a"]
        );
        assert_eq!(
            written("'https://example.com/q?x=1'"),
            ["https://example.com/q?x=1"]
        );
    }

    #[test]
    fn balances_brackets() {
        assert_eq!(
            written("Rust (see https://example.com/rust)."),
            ["https://example.com/rust"]
        );
        assert_eq!(
            written("Read https://en.wikipedia.org/wiki/Rust_(programming_language)!"),
            ["https://en.wikipedia.org/wiki/Rust_(programming_language)"]
        );
        assert_eq!(
            written("(https://en.wikipedia.org/wiki/Rust_(programming_language))"),
            ["https://en.wikipedia.org/wiki/Rust_(programming_language)"]
        );
        assert_eq!(
            written("[notre site](https://example.org/a?b=1&c=2)"),
            ["https://example.org/a?b=1&c=2"]
        );
        assert_eq!(
            written("{\"u\": [https://example.org/x]}"),
            ["https://example.org/x"]
        );
    }

    #[test]
    fn byte_ranges_are_right_after_emoji_and_accents() {
        let text = "🎉 Lancement ! 👉 https://relais.example/l/lancement 🚀 et là-bas → https://café.example/menu";
        let links = links_in_text(text);
        assert_eq!(links.len(), 2);
        let (first, first_url) = &links[0];
        assert_eq!(first.start, "🎉 Lancement ! 👉 ".len());
        assert_eq!(&text[first.clone()], "https://relais.example/l/lancement");
        assert_eq!(first_url, "https://relais.example/l/lancement");
        let (second, second_url) = &links[1];
        assert_eq!(second.end, text.len());
        assert_eq!(&text[second.clone()], "https://café.example/menu");
        // The address a browser follows: the host in its ASCII form.
        assert_eq!(second_url, "https://xn--caf-dma.example/menu");
    }

    #[test]
    fn gives_addresses_as_followed() {
        let links = links_in_text("HTTPS://Example.COM/Été et http://example.org");
        let urls: Vec<&str> = links.iter().map(|(_, url)| url.as_str()).collect();
        assert_eq!(
            urls,
            ["https://example.com/%C3%89t%C3%A9", "http://example.org/"]
        );
    }

    #[test]
    fn stops_at_quotes_and_angle_brackets() {
        assert_eq!(
            written(
                "« https://example.fr/x » et <https://example.com/y> et \"https://a.example/z\""
            ),
            [
                "https://example.fr/x",
                "https://example.com/y",
                "https://a.example/z"
            ]
        );
        assert_eq!(
            written("lien:https://example.com/a\nhttps://example.com/b"),
            ["https://example.com/a", "https://example.com/b"]
        );
    }

    #[test]
    fn finds_nothing_where_there_is_no_web_address() {
        for text in [
            "",
            "https://",
            "https://.",
            "http:// example.com",
            "ftp://example.com/file",
            "xhttps://example.com",
            "mailto:a@example.com",
            "just words, example.com, www.example.com",
            "\u{0}\u{1}http",
        ] {
            assert!(links_in_text(text).is_empty(), "{text:?}");
        }
    }

    #[test]
    fn copes_with_huge_and_hostile_texts() {
        let schemes = "https://".repeat(100_000);
        assert!(links_in_text(&schemes).is_empty());
        let too_long = format!(
            "see https://example.com/{} and https://example.com/b",
            "a".repeat(MAX_URL)
        );
        assert_eq!(written(&too_long), ["https://example.com/b"]);
        let closers = format!("https://example.com/a{}", ")".repeat(200_000));
        assert_eq!(written(&closers), ["https://example.com/a"]);
        let many = "https://example.com/x ".repeat(10_000);
        assert_eq!(links_in_text(&many).len(), 10_000);
        let garbage: String = (0..50_000u32)
            .filter_map(|n| char::from_u32(n.wrapping_mul(2_654_435_761) % 0x11_0000))
            .collect();
        let _ = links_in_text(&garbage);
    }

    #[test]
    fn links_are_rewritten_in_place_and_the_rest_kept() {
        let text = "Nos offres : https://shop.example.com/noel. Et (https://blog.example.com/a) !";
        let mut n = 0;
        let out = rewrite_links(text, |url| {
            n += 1;
            (!url.contains("blog")).then(|| format!("https://r.example/l/{n}"))
        });
        assert_eq!(
            out,
            "Nos offres : https://r.example/l/1. Et (https://blog.example.com/a) !"
        );
    }
}

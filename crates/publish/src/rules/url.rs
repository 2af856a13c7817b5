//! Finds links in a post's text, because X and Mastodon count every link as 23 characters
//! whatever its length, Threads refuses more than 5 links, and Bluesky needs a facet per link.
//!
//! This is a documented subset of what the networks recognise (they use twitter-text's large
//! regular expressions; we do not copy them):
//!
//! - `http://` and `https://` links (scheme in any case), whose host has at least two labels
//!   of letters, digits and hyphens and ends in a top-level domain made of letters
//!   (`https://localhost` and bare IP addresses are not links);
//! - when asked (X, Threads), bare domains such as `example.com/path` or `www.example.fr`,
//!   ASCII only, whose top-level domain is in [`KNOWN_TLDS`]. As twitter-text does, a bare
//!   `name.cc` with a two-letter country TLD and no path is not a link (`hello.fr` is too often
//!   a typo), except for `.co` and `.tv`;
//! - a link starts at the beginning of the text or after a character that is not a letter,
//!   a digit, `@`, `$` or `#` (so `user@example.com` holds no link), and for bare domains also
//!   not after `-`, `_`, `.` or `/`;
//! - a link runs until a space or a character that cannot appear in one (`<>"` and the like),
//!   then loses trailing punctuation (`.`, `,`, `!`, `?`, `:`, `;`, quotes...) and a closing
//!   bracket that has no opening one inside the link: `(see https://a.org/x)` links
//!   `https://a.org/x`, while `https://en.wikipedia.org/wiki/Foo_(bar)` keeps its `)`.

/// A link found in a text: `text[start..end]`, byte offsets on character boundaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UrlSpan {
    pub start: usize,
    pub end: usize,
    /// Whether the link starts with `http://` or `https://`.
    pub has_scheme: bool,
}

/// Top-level domains that make a bare domain a link. Generic ones, then the country codes most
/// seen in our users' posts; extend freely (lower case, no dot).
pub const KNOWN_TLDS: &[&str] = &[
    // generic
    "com", "org", "net", "edu", "gov", "int", "mil", "info", "biz", "name", "pro", "io", "dev",
    "app", "ai", "me", "blog", "news", "social", "online", "site", "website", "tech", "shop",
    "store", "xyz", "club", "art", "design", "media", "page", "link", "email", "cloud", "eu",
    "asia", "museum", "coop", "travel", "jobs", "mobi", "tel", "cat", "paris", "bzh", "quebec",
    "africa", "berlin", "london", "nyc", "video", "tv", "co", "fm", "gg", "ly", "to", "sh", "is",
    "im", // country codes
    "fr", "be", "ch", "lu", "ca", "de", "at", "nl", "es", "pt", "it", "uk", "ie", "us", "mx", "br",
    "ar", "cl", "jp", "cn", "kr", "tw", "hk", "sg", "in", "au", "nz", "za", "ma", "dz", "tn", "sn",
    "ci", "cm", "se", "no", "dk", "fi", "pl", "cz", "sk", "hu", "ro", "bg", "gr", "tr", "ru", "ua",
    "il", "ae", "sa", "eg", "ng", "ke", "id", "my", "th", "vn", "ph", "pk",
];

/// Two-letter TLDs that still make `name.tld` a link without a path (twitter-text's rule).
const SPECIAL_CC_TLDS: &[&str] = &["co", "tv"];

/// Finds the links of `text`, in order and without overlap. `bare_domains` also finds links
/// written without `http(s)://` (X and Threads count those; Mastodon and Bluesky do not).
pub fn find_urls(text: &str, bare_domains: bool) -> Vec<UrlSpan> {
    let mut found = Vec::new();
    let mut prev: Option<char> = None;
    let mut pos = 0;
    while pos < text.len() {
        let rest = &text[pos..];
        let Some(c) = rest.chars().next() else { break };
        if let Some(span) = url_at(text, pos, prev, bare_domains) {
            found.push(span);
            prev = text[..span.end].chars().next_back();
            pos = span.end;
            continue;
        }
        prev = Some(c);
        pos += c.len_utf8();
    }
    found
}

/// The link starting exactly at `start`, if any.
fn url_at(text: &str, start: usize, prev: Option<char>, bare_domains: bool) -> Option<UrlSpan> {
    let rest = &text[start..];
    let scheme_len = scheme_len(rest);
    if let Some(p) = prev
        && (p.is_alphanumeric() || matches!(p, '@' | '$' | '#' | '＠' | '＃'))
    {
        return None;
    }
    let has_scheme = scheme_len > 0;
    if !has_scheme {
        if !bare_domains || !rest.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return None;
        }
        if matches!(prev, Some('-' | '_' | '.' | '/')) {
            return None;
        }
    }

    let host_start = start + scheme_len;
    let host_len = text[host_start..]
        .char_indices()
        .find(|&(_, c)| !is_host_char(c, has_scheme))
        .map_or(text.len() - host_start, |(i, _)| i);
    // A sentence may end right after the domain: "see example.com."
    let host = text[host_start..host_start + host_len].trim_end_matches('.');
    let labels = valid_host_labels(host, has_scheme)?;
    let mut end = host_start + host.len();

    // Optional port.
    if let Some(after) = text[end..].strip_prefix(':') {
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if (1..=5).contains(&digits) {
            end += 1 + digits;
        }
    }

    let next = text[end..].chars().next();
    let has_path = matches!(next, Some('/' | '?' | '#'));
    if has_path {
        let run = text[end..]
            .char_indices()
            .find(|&(_, c)| ends_run(c))
            .map_or(text.len() - end, |(i, _)| i);
        end = trim_trailing(text, start, end + run);
    } else if let Some(n) = next
        && (n.is_alphanumeric() || matches!(n, '_' | '@' | '-'))
    {
        // "example.com_x", "example.com@host": not a link boundary.
        return None;
    }

    if !has_scheme && !has_path {
        let tld = labels.last().copied().unwrap_or_default();
        if labels.len() == 2
            && tld.len() == 2
            && !SPECIAL_CC_TLDS.contains(&tld.to_ascii_lowercase().as_str())
        {
            return None;
        }
    }
    Some(UrlSpan {
        start,
        end,
        has_scheme,
    })
}

/// Length of a leading `http://` or `https://` (any case), or 0.
fn scheme_len(s: &str) -> usize {
    for scheme in ["https://", "http://"] {
        if s.len() >= scheme.len()
            && s.as_bytes()[..scheme.len()].eq_ignore_ascii_case(scheme.as_bytes())
        {
            return scheme.len();
        }
    }
    0
}

fn is_host_char(c: char, unicode: bool) -> bool {
    c == '-' || c == '.' || c.is_ascii_alphanumeric() || (unicode && c.is_alphanumeric())
}

/// Splits and checks a host name; returns its labels when it is one a link may have.
fn valid_host_labels(host: &str, has_scheme: bool) -> Option<Vec<&str>> {
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 || host.len() > 253 {
        return None;
    }
    for label in &labels {
        let chars = label.chars().count();
        if chars == 0 || chars > 63 || label.starts_with('-') || label.ends_with('-') {
            return None;
        }
    }
    let tld = labels.last()?;
    let tld_ok = if has_scheme {
        (tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic))
            || (tld.len() > 4 && tld.to_ascii_lowercase().starts_with("xn--"))
    } else {
        KNOWN_TLDS.contains(&tld.to_ascii_lowercase().as_str())
    };
    tld_ok.then_some(labels)
}

/// Characters that end a link: spaces, controls, and those RFC 3986 never allows unescaped.
fn ends_run(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '<' | '>'
                | '"'
                | '`'
                | '{'
                | '}'
                | '|'
                | '\\'
                | '^'
                | '\u{FFFE}'
                | '\u{FEFF}'
                | '\u{FFFF}'
        )
        || ('\u{200B}'..='\u{200F}').contains(&c)
        || ('\u{202A}'..='\u{202E}').contains(&c)
}

/// Drops the punctuation that ends a sentence rather than the link, and closing brackets that
/// close something opened before the link.
fn trim_trailing(text: &str, start: usize, mut end: usize) -> usize {
    // Bracket balance of text[start..end], kept up to date as characters are dropped, so that a
    // long run of ")))" costs linear time.
    let url = &text[start..end];
    let mut parens = url.matches('(').count() as isize - url.matches(')').count() as isize;
    let mut squares = url.matches('[').count() as isize - url.matches(']').count() as isize;
    while let Some(last) = text[start..end].chars().next_back() {
        let keep = match last {
            ')' => parens >= 0,
            ']' => squares >= 0,
            '/' | '=' | '_' | '-' | '+' | '#' | '$' | '&' | '~' | '*' | '%' => true,
            c => c.is_alphanumeric(),
        };
        if keep {
            break;
        }
        match last {
            ')' => parens += 1,
            ']' => squares += 1,
            '(' => parens -= 1,
            '[' => squares -= 1,
            _ => {}
        }
        end -= last.len_utf8();
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(text: &str, bare: bool) -> Vec<&str> {
        find_urls(text, bare)
            .into_iter()
            .map(|s| &text[s.start..s.end])
            .collect()
    }

    #[test]
    fn finds_scheme_links_and_trims_sentence_punctuation() {
        assert_eq!(
            urls("See https://example.com/a?b=1. Then http://x.org!", false),
            ["https://example.com/a?b=1", "http://x.org"]
        );
        assert_eq!(
            urls("HTTPS://Example.COM/X", false),
            ["HTTPS://Example.COM/X"]
        );
        assert_eq!(urls("(https://a.org/x)", false), ["https://a.org/x"]);
        assert_eq!(
            urls("https://en.wikipedia.org/wiki/Foo_(bar)", false),
            ["https://en.wikipedia.org/wiki/Foo_(bar)"]
        );
        assert_eq!(
            urls("(voir https://en.wikipedia.org/wiki/Foo_(bar)).", false),
            ["https://en.wikipedia.org/wiki/Foo_(bar)"]
        );
        assert_eq!(urls("«https://a.org/é»", false), ["https://a.org/é"]);
        assert_eq!(
            urls("https://a.org:8080/x", false),
            ["https://a.org:8080/x"]
        );
        assert_eq!(urls("https://exemple.fr.", false), ["https://exemple.fr"]);
        assert_eq!(
            urls("https://例え.テスト/パス", false),
            ["https://例え.テスト/パス"]
        );
    }

    #[test]
    fn refuses_what_is_not_a_link() {
        assert!(urls("https://localhost/x", false).is_empty());
        assert!(urls("http://192.168.0.1/", false).is_empty());
        assert!(urls("https://", false).is_empty());
        assert!(urls("xhttps://a.org", false).is_empty());
        assert!(urls("https://-a.org", false).is_empty());
        assert!(
            urls("example.com", false).is_empty(),
            "no bare domains here"
        );
    }

    #[test]
    fn bare_domains_only_when_asked_and_with_known_tlds() {
        assert_eq!(
            urls("go to example.com/path now", true),
            ["example.com/path"]
        );
        assert_eq!(urls("www.example.fr", true), ["www.example.fr"]);
        assert_eq!(urls("example.co", true), ["example.co"]);
        assert!(
            urls("hello.fr", true).is_empty(),
            "short ccTLD without path"
        );
        assert_eq!(urls("hello.fr/x", true), ["hello.fr/x"]);
        assert!(urls("file.txt", true).is_empty(), "unknown TLD");
        assert!(urls("user@example.com", true).is_empty(), "e-mail address");
        assert!(urls("a.example.com_x", true).is_empty());
        assert!(urls("see/example.com", true).is_empty());
        assert!(urls("fin.Ensuite", true).is_empty());
    }

    #[test]
    fn spans_follow_each_other() {
        let text = "a https://a.org b example.com/c https://b.org/d";
        let spans = find_urls(text, true);
        assert_eq!(spans.len(), 3);
        assert!(spans.windows(2).all(|w| w[0].end <= w[1].start));
        assert!(spans[0].has_scheme && !spans[1].has_scheme);
    }
}

//! Finding the links of a message and the host each goes to.
//!
//! A link is:
//! - an `http://` or `https://` address, wherever it starts in a word (`voir:https://…`);
//! - a bare domain: `www.` anything, a domain followed by a path, a query or a port
//!   (`exemple.fr/x`, `bit.ly/abc`), or a domain whose last part is one of the common top-level
//!   domains of [`BARE_TLDS`] (`exemple.fr`, `promo.shop`).
//!
//! Short top-level domains that are also everyday words (`de`, `me`, `to`, `it`, `us`…) count
//! only with a path: `payé.de plus` (a missing space) is not a link, `t.me/canal` is.
//! Handles (`@alice.bsky.social`, `@bob@mastodon.social`) and mail addresses are not links.
//!
//! Hosts are read with the `url` crate, as browsers read them: the host of
//! `https://exemple.fr@evil.com` is `evil.com`, `ÉXEMPLE.FR.` is `exemple.fr`, and an
//! internationalised name is given in its `xn--` form, the same whichever way it was written.

use url::Url;

/// Top-level domains that make a bare `name.tld` a link even without a path.
pub const BARE_TLDS: &[&str] = &[
    "com", "net", "org", "info", "biz", "io", "co", "fr", "be", "ch", "ca", "lu", "eu", "uk", "nl",
    "pt", "gl", "gg", "ai", "app", "dev", "xyz", "shop", "store", "site", "online", "club", "top",
    "live", "link", "click", "page", "blog", "news", "tech", "cc", "sh", "ws", "vip", "win", "icu",
    "cn", "ru", "su", "tk", "ml", "pw", "mobi", "pro", "fun", "space", "website", "today", "life",
    "world", "email", "cloud", "digital", "media", "agency", "social", "fm", "gd", "tn", "dz",
    "sn", "ci", "cm", "mq", "gp", "pf", "nc", "paris", "bzh", "gov", "edu", "int", "tv", "ly",
];

/// A link found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Byte range, in the text, of the word holding the link.
    pub start: usize,
    pub end: usize,
    /// The host, lowercase, without a final dot; `xn--` form for internationalised names.
    pub host: String,
}

/// The links of `text`, in order.
pub fn find_links(text: &str) -> Vec<Link> {
    let mut links = Vec::new();
    for (start, word) in words_with_offsets(text) {
        let end = start + word.len();
        let mut push = |host: String| links.push(Link { start, end, host });
        let schemes = scheme_starts(word);
        if schemes.is_empty() {
            if let Some(host) = bare_link_host(word) {
                push(host);
            }
            continue;
        }
        for (index, &from) in schemes.iter().enumerate() {
            let to = schemes.get(index + 1).copied().unwrap_or(word.len());
            let address = word.get(from..to).map(trim_trailing);
            if let Some(host) = address.and_then(host_of_url) {
                push(host);
            }
        }
    }
    links
}

/// Whether `host` is one of the allowed domains or a subdomain of one. The allowed domains
/// are those of [`normalise_domain`].
pub fn is_allowed(host: &str, allowed: &[String]) -> bool {
    allowed.iter().any(|domain| {
        host == domain
            || host
                .strip_suffix(domain.as_str())
                .is_some_and(|head| head.ends_with('.'))
    })
}

/// An allowed domain as the rules compare it: lowercase, `xn--` form, without `www.`, a
/// final dot or a leading `*.`; a pasted address (`https://www.exemple.fr/page`) gives its
/// host. `None` when there is no host to read.
pub fn normalise_domain(domain: &str) -> Option<String> {
    let domain = domain.trim();
    if domain.is_empty() || domain.contains(char::is_whitespace) {
        return None;
    }
    let domain = domain
        .strip_prefix("*.")
        .or_else(|| domain.strip_prefix('.'))
        .unwrap_or(domain);
    let host = if domain.contains("://") {
        host_of_url(domain)?
    } else {
        host_of_url(&format!("http://{domain}"))?
    };
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    (!host.is_empty()).then_some(host)
}

/// Whitespace-separated words with their byte offsets.
pub(crate) fn words_with_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split(char::is_whitespace)
        .scan(0usize, move |at, word| {
            let start = *at;
            // The separator's own length: it may be a multi-byte space.
            let after = start + word.len();
            *at = after
                + text
                    .get(after..)
                    .and_then(|rest| rest.chars().next())
                    .map_or(0, char::len_utf8);
            Some((start, word))
        })
        .filter(|(_, word)| !word.is_empty())
}

/// Where `http://` or `https://` (any case) begins in a word.
fn scheme_starts(word: &str) -> Vec<usize> {
    let lower = word.to_ascii_lowercase();
    let mut starts = Vec::new();
    let mut from = 0;
    while let Some(found) = lower.get(from..).and_then(|rest| rest.find("http")) {
        let at = from + found;
        let rest = lower.get(at..).unwrap_or("");
        if rest.starts_with("http://") || rest.starts_with("https://") {
            starts.push(at);
        }
        from = at + 4;
    }
    starts
}

/// The host of a full address, as a browser reads it.
fn host_of_url(address: &str) -> Option<String> {
    let url = Url::parse(address).ok()?;
    let host = url.host_str()?.trim_end_matches('.');
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// A link without what may follow it in a sentence (`https://exemple.fr),` or
/// `exemple.fr👍`): the host would otherwise take in the comma or the emoji. A path's last
/// symbol may go too, which changes no host.
fn trim_trailing(word: &str) -> &str {
    word.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '/')
}

/// The host of a bare domain (`exemple.fr/x`, `www.exemple.fr`), if the word is one.
fn bare_link_host(word: &str) -> Option<String> {
    // Leading emoji and punctuation (`👉exemple.fr`, `(exemple.fr)`) are not part of it; a
    // leading `@` makes a handle.
    let word = word.trim_start_matches(|c: char| !c.is_alphanumeric() && c != '@');
    let word = trim_trailing(word);
    if word.starts_with('@') {
        return None;
    }
    let host_len = word
        .find(|c: char| !(c.is_alphanumeric() || c == '-' || c == '.'))
        .unwrap_or(word.len());
    let (host, rest) = word.split_at(host_len);
    let next = rest.chars().next();
    // `jean@exemple.fr` is a mail address, `bob@mastodon.social` a handle.
    if next == Some('@') {
        return None;
    }
    let host = host.trim_end_matches('.');
    let labels: Vec<&str> = host.split('.').collect();
    let [.., last] = labels.as_slice() else {
        return None;
    };
    if labels.len() < 2 || labels.iter().any(|label| label.is_empty()) {
        return None;
    }
    let last = last.to_lowercase();
    let is_tld = last.starts_with("xn--")
        || (last.chars().count() >= 2 && last.chars().all(char::is_alphabetic));
    if !is_tld {
        return None;
    }
    let has_path = matches!(next, Some('/' | '?' | '#' | ':'));
    let is_www = labels.len() >= 3 && labels[0].eq_ignore_ascii_case("www");
    if !(has_path || is_www || BARE_TLDS.contains(&last.as_str())) {
        return None;
    }
    let address = if has_path {
        format!("http://{host}{rest}")
    } else {
        format!("http://{host}")
    };
    host_of_url(&address)
}

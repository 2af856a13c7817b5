//! The fields a query can test besides the words: `lang:`, `author:`, `site:`, `source:`.
//!
//! A value is normalised the same way in the query and in the mention (folded, spaces
//! collapsed, a leading `@` dropped from authors, a site reduced to its host without `www.`),
//! so comparing them is a plain string comparison.

use std::fmt;

use crate::text::fold_char;

/// Which field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum FieldName {
    Lang,
    Author,
    Site,
    Source,
}

impl FieldName {
    pub(crate) const ALL: [FieldName; 4] = [
        FieldName::Lang,
        FieldName::Author,
        FieldName::Site,
        FieldName::Source,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FieldName::Lang => "lang",
            FieldName::Author => "author",
            FieldName::Site => "site",
            FieldName::Source => "source",
        }
    }

    /// The field called `name` (any case).
    pub(crate) fn named(name: &str) -> Option<FieldName> {
        Self::ALL
            .into_iter()
            .find(|field| field.as_str().eq_ignore_ascii_case(name))
    }
}

/// A field test, its value normalised by [`normalise`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Field {
    pub name: FieldName,
    pub value: String,
}

impl FieldName {
    /// Whether the mention's value `actual` passes the test `wanted` (both normalised by
    /// [`normalise`]).
    pub(crate) fn accepts(self, wanted: &str, actual: &str) -> bool {
        match self {
            // `lang:fr` accepts `fr`, `fr-ca`, `fr_be`.
            FieldName::Lang => {
                actual == wanted
                    || actual
                        .strip_prefix(wanted)
                        .is_some_and(|rest| rest.starts_with(['-', '_']))
            }
            // `site:example.com` accepts `example.com` and `news.example.com`, not
            // `badexample.com`.
            FieldName::Site => {
                actual == wanted
                    || actual
                        .strip_suffix(wanted)
                        .is_some_and(|rest| rest.ends_with('.'))
            }
            FieldName::Author | FieldName::Source => actual == wanted,
        }
    }
}

/// Writes `raw`, normalised for the field `name`, into `out` (cleared first).
pub(crate) fn normalise(name: FieldName, raw: &str, out: &mut String) {
    out.clear();
    let raw = match name {
        FieldName::Site => host_of(raw.trim()),
        _ => raw,
    };
    let mut pending_space = false;
    for c in raw.chars() {
        fold_char(c, &mut |f| {
            // A quote could not be written back inside a quoted value: it never counts.
            if f == '"' {
                return;
            }
            if f.is_whitespace() {
                pending_space = true;
                return;
            }
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(f);
        });
    }
    match name {
        FieldName::Author => {
            while out.starts_with(['@', ' ']) {
                out.remove(0);
            }
        }
        FieldName::Site => {
            while out.ends_with('.') {
                out.pop();
            }
            if out.starts_with("www.") {
                out.replace_range(..4, "");
            }
        }
        FieldName::Lang | FieldName::Source => {}
    }
}

/// The host of a site written as a host or as a URL (`https://user@www.example.com:8080/x`
/// → `www.example.com`).
fn host_of(site: &str) -> &str {
    let after_scheme = site.split_once("://").map_or(site, |(_, rest)| rest);
    let authority = after_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or(after_scheme);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    host.split(':').next().unwrap_or(host)
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bare = !self.value.is_empty()
            && !self
                .value
                .chars()
                .any(|c| c.is_whitespace() || matches!(c, '(' | ')' | '"'));
        if bare {
            write!(f, "{}:{}", self.name.as_str(), self.value)
        } else {
            write!(f, "{}:\"{}\"", self.name.as_str(), self.value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(name: FieldName, raw: &str) -> String {
        let mut out = String::new();
        normalise(name, raw, &mut out);
        out
    }

    #[test]
    fn values_are_normalised_alike_on_both_sides() {
        assert_eq!(
            norm(FieldName::Author, " @Jérôme   Dupont "),
            "jerome dupont"
        );
        assert_eq!(
            norm(FieldName::Site, "https://me@WWW.Example.com:8080/a?b"),
            "example.com"
        );
        assert_eq!(
            norm(FieldName::Site, "news.example.com."),
            "news.example.com"
        );
        assert_eq!(norm(FieldName::Lang, "FR-ca"), "fr-ca");
    }

    #[test]
    fn site_accepts_subdomains_only_at_a_dot() {
        let site = |actual| FieldName::Site.accepts("example.com", actual);
        assert!(site("example.com"));
        assert!(site("news.example.com"));
        assert!(!site("badexample.com"));
        assert!(!site("example.com.evil.net"));
    }

    #[test]
    fn lang_accepts_regional_variants() {
        let lang = |actual| FieldName::Lang.accepts("fr", actual);
        assert!(lang("fr") && lang("fr-ca") && lang("fr_be"));
        assert!(!lang("fra") && !lang("en"));
    }
}

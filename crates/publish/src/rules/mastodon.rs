//! How a Mastodon server measures a post, so that the composer refuses exactly what the server
//! would refuse.
//!
//! Mastodon's `StatusLengthValidator` (server side, the one that answers 422) counts **extended
//! grapheme clusters** of the content warning followed by the text, after two rewrites:
//!
//! - every link that starts with `http://` or `https://` becomes 23 characters
//!   (`characters_reserved_per_url`); bare domains are not links there;
//! - a mention `@user@remote.domain` becomes `@user`: the domain is free.
//!
//! So an emoji ZWJ sequence or `e` + combining accent counts 1 (the web client's counter, which
//! counts code points, can show more; the server is the one that decides). The limit (500 by
//! default) is an instance setting, as are the media limits: [`MastodonInstance`] mirrors the
//! `configuration` block of `GET /api/v2/instance`, so the adapter can fill it from the server.

use serde::{Deserialize, Serialize};

use super::measure::graphemes;
use super::url::find_urls;

/// A Mastodon server's own limits. `Default` holds the values of a stock Mastodon 4 server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MastodonInstance {
    /// `configuration.statuses.max_characters`.
    pub max_characters: usize,
    /// `configuration.statuses.characters_reserved_per_url`.
    pub characters_reserved_per_url: usize,
    /// `configuration.statuses.max_media_attachments`.
    pub max_media_attachments: usize,
    /// `configuration.media_attachments.image_size_limit`, bytes.
    pub image_size_limit: u64,
    /// `configuration.media_attachments.video_size_limit`, bytes.
    pub video_size_limit: u64,
    /// `configuration.media_attachments.description_limit`, characters (code points).
    pub description_limit: usize,
}

impl Default for MastodonInstance {
    fn default() -> Self {
        use super::limits::mastodon as m;
        MastodonInstance {
            max_characters: m::MAX_CHARACTERS,
            characters_reserved_per_url: m::CHARACTERS_RESERVED_PER_URL,
            max_media_attachments: m::MAX_MEDIA_ATTACHMENTS,
            image_size_limit: m::IMAGE_SIZE_LIMIT,
            video_size_limit: m::VIDEO_SIZE_LIMIT,
            description_limit: m::DESCRIPTION_LIMIT,
        }
    }
}

/// The length Mastodon gives a post: content warning plus text, links and remote mentions
/// rewritten as described above.
pub fn length(text: &str, content_warning: &str, instance: &MastodonInstance) -> usize {
    let mut countable = String::with_capacity(content_warning.len() + text.len());
    countable.push_str(content_warning);
    countable.push_str(&countable_text(text, instance.characters_reserved_per_url));
    graphemes(&countable)
}

/// The text as the server counts it: each link replaced by `url_chars` placeholder characters,
/// each `@user@domain` by `@user`.
pub fn countable_text(text: &str, url_chars: usize) -> String {
    let placeholder = "x".repeat(url_chars);
    let mut entities: Vec<(usize, usize, Option<&str>)> = find_urls(text, false)
        .into_iter()
        .map(|u| (u.start, u.end, None))
        .collect();
    entities.extend(
        find_mentions(text)
            .into_iter()
            .map(|m| (m.start, m.end, Some(m.username))),
    );
    entities.sort_by_key(|&(start, _, _)| start);

    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (start, end, username) in entities {
        if start < pos {
            continue; // overlaps an earlier entity: the earlier one wins, as on the server
        }
        out.push_str(&text[pos..start]);
        match username {
            None => out.push_str(&placeholder),
            Some(user) => {
                out.push('@');
                out.push_str(user);
            }
        }
        pos = end;
    }
    out.push_str(&text[pos..]);
    out
}

/// A mention in Mastodon's syntax: `@user` or `@user@domain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mention<'a> {
    pub start: usize,
    pub end: usize,
    pub username: &'a str,
    pub domain: Option<&'a str>,
}

/// Finds mentions as Mastodon's `MENTION_RE` does: `@` not preceded by a word character, `=`
/// or `/`; a user name of letters, digits and `_`, with inner `.` or `-`; optionally `@` and a
/// domain of word characters, dots and hyphens ending in a word character.
pub fn find_mentions(text: &str) -> Vec<Mention<'_>> {
    let mut found = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        let allowed_before = !matches!(prev, Some(p) if is_word(p) || p == '=' || p == '/');
        prev = Some(c);
        if c != '@' || !allowed_before {
            continue;
        }
        let user_start = i + 1;
        let user = take_trimmed(&text[user_start..], |c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
        });
        if user.is_empty() {
            continue;
        }
        let mut end = user_start + user.len();
        let mut domain = None;
        if let Some(after) = text[end..].strip_prefix('@') {
            let d = take_trimmed(after, |c| is_word(c) || matches!(c, '.' | '-'));
            if !d.is_empty() {
                domain = Some(d);
                end += 1 + d.len();
            }
        }
        found.push(Mention {
            start: i,
            end,
            username: user,
            domain,
        });
    }
    // A mention cannot start inside another (`@a@b` is one mention).
    let mut kept: Vec<Mention<'_>> = Vec::with_capacity(found.len());
    for m in found {
        if kept.last().is_none_or(|last| m.start >= last.end) {
            kept.push(m);
        }
    }
    kept
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The longest prefix of `s` made of `allowed` characters, without trailing `.` or `-`
/// (which end a sentence, not a name).
fn take_trimmed(s: &str, allowed: impl Fn(char) -> bool) -> &str {
    let len = s.find(|c: char| !allowed(c)).unwrap_or(s.len());
    s[..len].trim_end_matches(['.', '-'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn len(text: &str) -> usize {
        length(text, "", &MastodonInstance::default())
    }

    #[test]
    fn counts_graphemes() {
        assert_eq!(len("hello"), 5);
        assert_eq!(len("e\u{301}"), 1);
        assert_eq!(
            len("\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}"),
            1
        );
        assert_eq!(len("🇫🇷"), 1);
        assert_eq!(len("中文"), 2, "CJK counts once, unlike X");
    }

    #[test]
    fn links_count_23_but_bare_domains_count_in_full() {
        let long = format!("https://example.com/{}", "a".repeat(300));
        assert_eq!(len(&long), 23);
        assert_eq!(len("a http://x.org b"), 2 + 23 + 2);
        assert_eq!(len("example.com/abc"), 15);
    }

    #[test]
    fn remote_mentions_count_only_the_user_name() {
        assert_eq!(len("@alice@mastodon.social"), 6);
        assert_eq!(len("hi @alice@example.org!"), 3 + 6 + 1);
        assert_eq!(len("@bob"), 4);
        assert_eq!(
            len("mail bob@example.org"),
            20,
            "an address is not a mention"
        );
        assert_eq!(len("@alice@example.org."), 7);
    }

    #[test]
    fn finds_mentions_like_the_server() {
        let m = find_mentions("cc @a.b-c@x.example.org, @d");
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].username, "a.b-c");
        assert_eq!(m[0].domain, Some("x.example.org"));
        assert_eq!(m[1].username, "d");
        assert_eq!(m[1].domain, None);
        assert!(find_mentions("a=@x /@y z@w").is_empty());
    }

    #[test]
    fn content_warning_counts_too_and_limit_follows_the_instance() {
        let instance = MastodonInstance {
            characters_reserved_per_url: 10,
            ..MastodonInstance::default()
        };
        assert_eq!(length("body", "CW: spoilers", &instance), 4 + 12);
        assert_eq!(length("https://a.org/long/path", "", &instance), 10);
    }
}

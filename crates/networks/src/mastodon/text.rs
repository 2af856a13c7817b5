//! A status's HTML `content` back to plain text, to recognise a post Relais sent (Mastodon has
//! no look-up by idempotency key, and its lists of statuses carry only the rendered HTML).

/// The text a reader sees in Mastodon's status HTML: tags removed (the hidden parts of
/// shortened links included, so a link reads in full), `<br>` as a line break, paragraphs
/// separated by a blank line, character references decoded.
pub(crate) fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find(['<', '&']) {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        if rest.starts_with('<') {
            let Some(end) = rest.find('>') else {
                // A lone '<' is text.
                out.push('<');
                rest = &rest[1..];
                continue;
            };
            let tag = rest[1..end].trim().to_ascii_lowercase();
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            match (name.as_str(), tag.starts_with('/')) {
                ("br", _) => out.push('\n'),
                ("p", true) => out.push_str("\n\n"),
                _ => {}
            }
            rest = &rest[end + 1..];
        } else {
            let (decoded, used) = entity(rest);
            out.push_str(&decoded);
            rest = &rest[used..];
        }
    }
    out.push_str(rest);
    out.trim_end().to_owned()
}

/// The character reference at the start of `s` (which starts with '&') and its length; a '&'
/// that starts none is itself.
fn entity(s: &str) -> (String, usize) {
    let Some(end) = s[1..].find(';').map(|i| i + 1).filter(|&i| i <= 12) else {
        return ("&".into(), 1);
    };
    let name = &s[1..end];
    let decoded = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => name
            .strip_prefix("#x")
            .or_else(|| name.strip_prefix("#X"))
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
            .and_then(char::from_u32),
    };
    match decoded {
        Some(c) => (c.to_string(), end + 1),
        None => ("&".into(), 1),
    }
}

/// A form of a text in which Mastodon's rendering leaves no trace: runs of white space are one
/// space, the ends are trimmed, and a mention `@user@domain` is `@user` (Mastodon shows remote
/// mentions without their domain).
pub(crate) fn comparable(text: &str) -> String {
    text.split_whitespace()
        .map(|word| match word.strip_prefix('@') {
            Some(rest) => match rest.find('@') {
                Some(at) if at > 0 => format!("@{}", &rest[..at]),
                _ => word.to_owned(),
            },
            None => word.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_breaks_and_entities_come_back() {
        assert_eq!(
            plain_text(
                "<p>Été &amp; <b>soldes</b> &lt;3<br />ligne</p><p>second &#233;t&#xE9;</p>"
            ),
            "Été & soldes <3\nligne\n\nsecond été"
        );
    }

    #[test]
    fn shortened_links_read_in_full() {
        let html = r#"<p>Voir <a href="https://example.com/a/very/long/path" rel="nofollow noopener" target="_blank"><span class="invisible">https://</span><span class="ellipsis">example.com/a/very/lo</span><span class="invisible">ng/path</span></a></p>"#;
        assert_eq!(
            plain_text(html),
            "Voir https://example.com/a/very/long/path"
        );
    }

    #[test]
    fn stray_ampersands_and_angles_are_text() {
        assert_eq!(
            plain_text("a & b; c &unknown; d < e"),
            "a & b; c &unknown; d < e"
        );
    }

    #[test]
    fn mentions_and_spaces_compare_as_mastodon_shows_them() {
        let html = r#"<p><span class="h-card"><a href="https://ex.social/@fan" class="u-url mention">@<span>fan</span></a></span> merci !</p>"#;
        assert_eq!(
            comparable(&plain_text(html)),
            comparable("@fan@ex.social  merci !\n")
        );
        assert_eq!(comparable("mail@example.com"), "mail@example.com");
        assert_eq!(comparable("@@x"), "@@x");
    }
}

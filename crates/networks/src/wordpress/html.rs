//! How a post's plain text becomes a WordPress article: title, HTML content (block markup, so
//! the block editor opens it as paragraphs), and the slug that carries the idempotency key.
//! Pure: no I/O.

use sha2::{Digest, Sha256};

/// Longest title made from a post's text, in characters (before the ellipsis).
pub(crate) const TITLE_CHARS: usize = 60;
/// Longest readable part of a slug, in bytes (WordPress allows 200 in all).
const SLUG_WORDS_BYTES: usize = 60;
/// Hex digits of the key's hash at the end of the slug (48 bits).
const SLUG_HASH_HEX: usize = 12;

/// The article made from a post's text.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Article {
    /// The title in plain text (escape it before sending).
    pub title: String,
    /// The content, in HTML.
    pub content: String,
}

/// Title and content from a post's text:
///
/// - when the first line fits in a title ([`TITLE_CHARS`]) and more text follows, it is the
///   title and the rest is the content (the post was written as "headline, then body");
/// - otherwise the title is the start of the first line, cut on a word at about
///   [`TITLE_CHARS`] characters with an ellipsis, and the content is the whole text, so that
///   nothing is lost.
///
/// The content is paragraphs (split on blank lines; single line breaks kept as `<br>`), every
/// character of the text escaped, and `http(s)://` addresses made into links.
pub(crate) fn article(text: &str) -> Article {
    let text = text.trim();
    let (first, rest) = match text.split_once('\n') {
        Some((first, rest)) => (first.trim(), rest.trim()),
        None => (text, ""),
    };
    if !rest.is_empty() && first.chars().count() <= TITLE_CHARS {
        Article {
            title: first.to_owned(),
            content: paragraphs(rest),
        }
    } else {
        Article {
            title: shorten(first, TITLE_CHARS),
            content: paragraphs(text),
        }
    }
}

/// `text` cut to at most `max` characters, on a word boundary when one is not too far back,
/// with an ellipsis when something was cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let on_word = match cut.rfind(char::is_whitespace) {
        Some(i) if cut[..i].chars().count() >= max / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!(
        "{}…",
        on_word.trim_end_matches(|c: char| c.is_whitespace() || ",;:-–—".contains(c))
    )
}

/// HTML-escapes text for element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#039;"),
            c => out.push(c),
        }
    }
    out
}

/// Paragraph blocks: `<!-- wp:paragraph --><p>…</p><!-- /wp:paragraph -->`.
fn paragraphs(text: &str) -> String {
    let mut blocks = Vec::new();
    let mut lines: Vec<&str> = Vec::new();
    for line in text.lines().chain(std::iter::once("")) {
        if line.trim().is_empty() {
            if !lines.is_empty() {
                let inner: Vec<String> = lines.iter().map(|l| inline(l.trim_end())).collect();
                blocks.push(format!(
                    "<!-- wp:paragraph -->\n<p>{}</p>\n<!-- /wp:paragraph -->",
                    inner.join("<br>")
                ));
                lines.clear();
            }
        } else {
            lines.push(line);
        }
    }
    blocks.join("\n\n")
}

/// One line: escaped, with its web addresses as links.
fn inline(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = url_start(rest) {
        out.push_str(&escape(&rest[..start]));
        let after = &rest[start..];
        let end = after.find(char::is_whitespace).unwrap_or(after.len());
        // Punctuation after an address belongs to the sentence.
        let raw = after[..end].trim_end_matches(|c: char| ".,;:!?)]}\"'»".contains(c));
        let scheme = if raw.starts_with("https://") { 8 } else { 7 };
        if raw.len() <= scheme {
            out.push_str(&escape(&after[..end]));
            rest = &after[end..];
        } else {
            let href = escape(raw);
            out.push_str(&format!("<a href=\"{href}\">{href}</a>"));
            rest = &after[raw.len()..];
        }
    }
    out.push_str(&escape(rest));
    out
}

/// Where the first `http://` or `https://` address starting a word is.
fn url_start(s: &str) -> Option<usize> {
    s.match_indices("http").map(|(i, _)| i).find(|&i| {
        let tail = &s[i..];
        (tail.starts_with("https://") || tail.starts_with("http://"))
            && s[..i]
                .chars()
                .next_back()
                .is_none_or(|c| c.is_whitespace() || "([{<«\"'".contains(c))
    })
}

/// An image block for a media item that is not the featured image.
pub(crate) fn image_block(id: u64, src: &str, alt: &str) -> String {
    format!(
        "<!-- wp:image {{\"id\":{id}}} -->\n<figure class=\"wp-block-image\"><img src=\"{}\" alt=\"{}\" class=\"wp-image-{id}\"/></figure>\n<!-- /wp:image -->",
        escape(src),
        escape(alt)
    )
}

/// A video block.
pub(crate) fn video_block(id: u64, src: &str) -> String {
    format!(
        "<!-- wp:video {{\"id\":{id}}} -->\n<figure class=\"wp-block-video\"><video controls src=\"{}\"></video></figure>\n<!-- /wp:video -->",
        escape(src)
    )
}

/// The article's slug: a few words of the title (for a readable address), then a hash of the
/// idempotency key, which is what makes it the post's key on the site (`relais-<hash>` when the
/// title has no Latin letters or digits). Only `a-z`, `0-9` and `-`: WordPress keeps such a
/// slug as it is, so that looking it up again finds it.
pub(crate) fn slug(title: &str, idempotency_key: &str) -> String {
    let digest = Sha256::digest(idempotency_key.as_bytes());
    let hash: String = digest
        .iter()
        .flat_map(|b| [b >> 4, b & 0x0f])
        .take(SLUG_HASH_HEX)
        .map(|n| char::from_digit(u32::from(n), 16).unwrap_or('0'))
        .collect();
    let mut words = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        match fold(c) {
            Some(ascii) => words.push_str(ascii),
            None if !words.is_empty() && !words.ends_with('-') => words.push('-'),
            None => {}
        }
    }
    let mut words = words.trim_end_matches('-').to_owned();
    if words.len() > SLUG_WORDS_BYTES {
        let cut = &words[..SLUG_WORDS_BYTES];
        words = match cut.rfind('-') {
            Some(i) if i > 0 => cut[..i].to_owned(),
            _ => cut.to_owned(),
        };
    }
    if words.is_empty() {
        format!("relais-{hash}")
    } else {
        format!("{words}-{hash}")
    }
}

/// A lowercase character as slug letters: ASCII letters and digits as they are, Latin letters
/// with diacritics without them; `None` for anything else (a separator).
fn fold(c: char) -> Option<&'static str> {
    const ASCII: &str = "abcdefghijklmnopqrstuvwxyz0123456789";
    if c.is_ascii_alphanumeric() {
        let i = ASCII.find(c)?;
        return ASCII.get(i..i + 1);
    }
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'č' | 'ĉ' | 'ċ' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ł' | 'ľ' | 'ĺ' | 'ļ' => "l",
        'ñ' | 'ń' | 'ň' | 'ņ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ř' => "r",
        'ś' | 'š' | 'ş' | 'ș' => "s",
        'ß' => "ss",
        'ť' | 'ţ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_first_line_is_the_title() {
        let a = article("Notre nouveau logo\n\nIl est bleu.\nEt blanc.\n\n\nVoilà.");
        assert_eq!(a.title, "Notre nouveau logo");
        assert_eq!(
            a.content,
            "<!-- wp:paragraph -->\n<p>Il est bleu.<br>Et blanc.</p>\n<!-- /wp:paragraph -->\n\n\
             <!-- wp:paragraph -->\n<p>Voilà.</p>\n<!-- /wp:paragraph -->"
        );
    }

    #[test]
    fn a_single_paragraph_gives_a_shortened_title_and_stays_whole() {
        let text =
            "Nous fêtons aujourd'hui les dix ans de l'association avec une journée portes ouvertes";
        let a = article(text);
        assert_eq!(
            a.title,
            "Nous fêtons aujourd'hui les dix ans de l'association avec…"
        );
        assert!(a.title.chars().count() <= TITLE_CHARS + 1);
        assert!(a.content.contains("portes ouvertes"));
        assert_eq!(article("Court").title, "Court");
        assert_eq!(
            article("Court").content,
            "<!-- wp:paragraph -->\n<p>Court</p>\n<!-- /wp:paragraph -->"
        );
        // No space to cut on: cut on the character.
        assert_eq!(shorten(&"x".repeat(70), 60), format!("{}…", "x".repeat(60)));
    }

    #[test]
    fn text_is_escaped_everywhere() {
        let a = article("Titre\n<script>alert(\"x\")</script> & 'co'");
        assert_eq!(
            a.content,
            "<!-- wp:paragraph -->\n<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#039;co&#039;</p>\n<!-- /wp:paragraph -->"
        );
        assert_eq!(escape("<b title=\"a\">"), "&lt;b title=&quot;a&quot;&gt;");
    }

    #[test]
    fn addresses_become_links() {
        assert_eq!(
            inline("Voir https://example.org/a?b=1&c=2. Et (http://x.fr/été)!"),
            "Voir <a href=\"https://example.org/a?b=1&amp;c=2\">https://example.org/a?b=1&amp;c=2</a>. \
             Et (<a href=\"http://x.fr/été\">http://x.fr/été</a>)!"
        );
        assert_eq!(inline("https:// seul"), "https:// seul");
        assert_eq!(inline("xhttps://no"), "xhttps://no");
        assert_eq!(
            inline("\"https://a.b\""),
            "&quot;<a href=\"https://a.b\">https://a.b</a>&quot;"
        );
        assert_eq!(
            inline("javascript:alert(1) https://ok.org<b>"),
            "javascript:alert(1) <a href=\"https://ok.org&lt;b&gt;\">https://ok.org&lt;b&gt;</a>"
        );
    }

    #[test]
    fn slugs_are_readable_stable_and_safe() {
        let s = slug("Été 2025 : l'Œuvre & ses garçons !", "target/0");
        assert!(s.starts_with("ete-2025-l-oeuvre-ses-garcons-"), "{s}");
        assert_eq!(
            s.len(),
            "ete-2025-l-oeuvre-ses-garcons-".len() + SLUG_HASH_HEX
        );
        assert_eq!(s, slug("Été 2025 : l'Œuvre & ses garçons !", "target/0"));
        assert_ne!(s, slug("Été 2025 : l'Œuvre & ses garçons !", "target/1"));
        assert!(slug("🎉 日本", "k").starts_with("relais-"));
        let long = slug(&"mot ".repeat(40), "k");
        assert!(long.len() <= SLUG_WORDS_BYTES + 1 + SLUG_HASH_HEX, "{long}");
        assert!(!long.contains("--"), "{long}");
        for s in [s, long] {
            assert!(
                s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            );
        }
    }

    #[test]
    fn media_blocks_escape_their_attributes() {
        assert_eq!(
            image_block(7, "https://blog/x.png", "Le \"logo\""),
            "<!-- wp:image {\"id\":7} -->\n<figure class=\"wp-block-image\"><img src=\"https://blog/x.png\" alt=\"Le &quot;logo&quot;\" class=\"wp-image-7\"/></figure>\n<!-- /wp:image -->"
        );
        assert!(
            video_block(8, "https://blog/v.mp4")
                .contains("<video controls src=\"https://blog/v.mp4\">")
        );
    }
}

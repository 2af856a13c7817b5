//! Bytes from the web turned into text, whatever charset they claim (or wrongly claim).
//!
//! The rule, in order:
//! 1. a byte-order mark decides (UTF-8, UTF-16LE/BE), and so does the `<?xml` of a UTF-16
//!    document without one;
//! 2. bytes that are valid UTF-8 are UTF-8, whatever the labels say: a Latin-1 text with accents
//!    is practically never valid UTF-8 by chance, while servers that label every file
//!    `charset=iso-8859-1` (or every file `utf-8`) are common;
//! 3. otherwise the first non-UTF-8 charset declared: for XML the document's own declaration,
//!    then the `Content-Type`; for HTML the `Content-Type`, then `<meta charset>` (each
//!    format's own precedence);
//! 4. otherwise (no label, or a UTF-8 label on bytes that are not UTF-8) each valid UTF-8
//!    sequence is kept and each stray byte is read as windows-1252, which covers Latin-1 text
//!    mislabelled as UTF-8 as well as a UTF-8 feed with one pasted Latin-1 word, without
//!    losing the item.
//!
//! The XML declaration is removed from the text returned for XML, so that the XML reader does
//! not decode the (already decoded) text a second time by the declared charset.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};

use crate::markup::tokens::{Token, Tokens, attribute};

/// How far into a document its own charset declaration is looked for.
const SNIFF_BYTES: usize = 4096;

/// The document kinds, whose charset declarations and precedences differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Xml,
    Html,
}

/// Decodes a feed, OPML or other XML document, without its XML declaration.
pub(crate) fn xml_text(bytes: &[u8], content_type: Option<&str>) -> String {
    strip_xml_declaration(decode(bytes, content_type, Kind::Xml))
}

/// Decodes an HTML page.
pub(crate) fn html_text(bytes: &[u8], content_type: Option<&str>) -> String {
    decode(bytes, content_type, Kind::Html)
}

/// Decodes `bytes` following the rule of the module's documentation.
pub(crate) fn decode(bytes: &[u8], content_type: Option<&str>, kind: Kind) -> String {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let body = bytes.get(bom_len..).unwrap_or(&[]);
        return encoding.decode_without_bom_handling(body).0.into_owned();
    }
    if kind == Kind::Xml {
        // `<?` in UTF-16 without a byte-order mark (XML 1.0, appendix F).
        if bytes.starts_with(&[0x3C, 0x00, 0x3F, 0x00]) {
            return UTF_16LE.decode_without_bom_handling(bytes).0.into_owned();
        }
        if bytes.starts_with(&[0x00, 0x3C, 0x00, 0x3F]) {
            return UTF_16BE.decode_without_bom_handling(bytes).0.into_owned();
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_owned();
    }
    let in_document = match kind {
        Kind::Xml => xml_declared(bytes),
        Kind::Html => meta_declared(bytes),
    };
    let in_header = content_type.and_then(charset_param);
    let labels = match kind {
        Kind::Xml => [in_document, in_header],
        Kind::Html => [in_header, in_document],
    };
    let declared = labels
        .into_iter()
        .flatten()
        .filter_map(|label| Encoding::for_label(label.trim().as_bytes()))
        // A document whose declaration could be read as ASCII is not UTF-16, whatever it says.
        .find(|e| *e != UTF_8 && *e != UTF_16LE && *e != UTF_16BE);
    match declared {
        Some(encoding) => encoding.decode_without_bom_handling(bytes).0.into_owned(),
        None => utf8_with_windows_1252_fallback(bytes),
    }
}

/// The `charset` parameter of a `Content-Type` value, unquoted.
pub(crate) fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']))
            .filter(|v| !v.is_empty())
    })
}

/// The media type of a `Content-Type` value, lower-cased, without parameters.
pub(crate) fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The `encoding` of an `<?xml … ?>` declaration at the start of the document.
fn xml_declared(bytes: &[u8]) -> Option<&str> {
    let head = bytes.get(..bytes.len().min(SNIFF_BYTES))?;
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let decl = head.get(start..)?;
    if !decl.starts_with(b"<?xml") {
        return None;
    }
    let end = decl.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(decl.get(..end)?).ok()?;
    let after = &decl[decl.find("encoding")? + "encoding".len()..];
    let value = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = value.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let value = &value[1..];
    Some(&value[..value.find(quote)?])
}

/// The charset of `<meta charset>` or `<meta http-equiv="Content-Type" content=…>`.
fn meta_declared(bytes: &[u8]) -> Option<&'static str> {
    let head = bytes.get(..bytes.len().min(SNIFF_BYTES))?;
    // Charset names are ASCII: reading the head lossily keeps them intact.
    let head = String::from_utf8_lossy(head);
    for token in Tokens::new(&head) {
        let Token::Start { name, attrs, .. } = token else {
            continue;
        };
        if name != "meta" {
            continue;
        }
        let label = attribute(attrs, "charset").or_else(|| {
            let equiv = attribute(attrs, "http-equiv")?;
            if !equiv.eq_ignore_ascii_case("content-type") {
                return None;
            }
            let content = attribute(attrs, "content")?;
            charset_param(&content).map(str::to_owned)
        });
        // Returned as the encoding's own (static) name, so the head can be dropped.
        if let Some(encoding) = label.and_then(|l| Encoding::for_label(l.trim().as_bytes())) {
            return Some(encoding.name());
        }
    }
    None
}

/// Removes a leading `<?xml … ?>` (and whitespace before it).
fn strip_xml_declaration(text: String) -> String {
    let trimmed = text.trim_start();
    if let Some(rest) = trimmed.strip_prefix("<?xml")
        && let Some(end) = rest.find("?>")
    {
        return rest[end + 2..].to_owned();
    }
    text
}

/// Valid UTF-8 kept; every byte that is not part of a valid sequence read as windows-1252.
fn utf8_with_windows_1252_fallback(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 8);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(chunk.invalid().iter().map(|b| windows_1252(*b)));
    }
    out
}

/// A byte of windows-1252 (which is ISO-8859-1 with printable characters in 0x80–0x9F).
fn windows_1252(b: u8) -> char {
    match b {
        0x80..=0x9F => windows_1252_c1(b),
        _ => char::from(b),
    }
}

/// What windows-1252 puts in the C1 range (0x80–0x9F); the five holes stay as C1 controls.
pub(crate) fn windows_1252_c1(b: u8) -> char {
    match b {
        0x80 => '€',
        0x82 => '‚',
        0x83 => 'ƒ',
        0x84 => '„',
        0x85 => '…',
        0x86 => '†',
        0x87 => '‡',
        0x88 => 'ˆ',
        0x89 => '‰',
        0x8A => 'Š',
        0x8B => '‹',
        0x8C => 'Œ',
        0x8E => 'Ž',
        0x91 => '‘',
        0x92 => '’',
        0x93 => '“',
        0x94 => '”',
        0x95 => '•',
        0x96 => '–',
        0x97 => '—',
        0x98 => '˜',
        0x99 => '™',
        0x9A => 'š',
        0x9B => '›',
        0x9C => 'œ',
        0x9E => 'ž',
        0x9F => 'Ÿ',
        other => char::from(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "Café à 5 €" in windows-1252.
    const CP1252: &[u8] = b"Caf\xe9 \xe0 5 \x80";

    #[test]
    fn valid_utf8_wins_over_a_latin1_label() {
        let text = decode(
            "<?xml version='1.0' encoding='ISO-8859-1'?><a>é</a>".as_bytes(),
            Some("text/xml; charset=iso-8859-1"),
            Kind::Xml,
        );
        assert!(text.ends_with("<a>é</a>"), "{text}");
    }

    #[test]
    fn the_xml_declaration_decides_before_the_header() {
        let mut doc = b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><a>".to_vec();
        doc.extend_from_slice(CP1252);
        let text = xml_text(&doc, Some("application/xml; charset=\"koi8-r\""));
        assert_eq!(text, "<a>Café à 5 €");
    }

    #[test]
    fn the_header_charset_is_used_when_the_document_says_nothing() {
        let mut doc = b"<a>".to_vec();
        doc.extend_from_slice(b"\xc0\xc1");
        let text = decode(&doc, Some("text/xml;charset=KOI8-R"), Kind::Xml);
        assert_eq!(text, "<a>юа");
    }

    #[test]
    fn latin1_labelled_utf8_falls_back_byte_by_byte() {
        let mut doc = "<a>déjà ".as_bytes().to_vec();
        doc.extend_from_slice(CP1252);
        let text = decode(&doc, Some("text/xml; charset=utf-8"), Kind::Xml);
        assert_eq!(text, "<a>déjà Café à 5 €");
    }

    #[test]
    fn byte_order_marks_and_utf16_are_recognised() {
        let utf16: Vec<u8> = "<?xml version=\"1.0\"?><a>é</a>"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(xml_text(&utf16, None), "<a>é</a>");
        let mut with_bom = vec![0xEF, 0xBB, 0xBF];
        with_bom.extend_from_slice("<a>é</a>".as_bytes());
        assert_eq!(decode(&with_bom, None, Kind::Xml), "<a>é</a>");
    }

    #[test]
    fn html_reads_meta_charset_after_the_header() {
        let mut page = b"<meta charset=\"windows-1252\"><p>".to_vec();
        page.extend_from_slice(CP1252);
        assert!(html_text(&page, Some("text/html")).ends_with("Café à 5 €"));
        let mut page =
            b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\">".to_vec();
        page.extend_from_slice(b"\xc0");
        assert!(html_text(&page, None).ends_with('ю'));
        assert!(
            html_text(&page, Some("text/html; charset=windows-1252")).ends_with('À'),
            "the header comes first for HTML"
        );
    }

    #[test]
    fn content_type_parts() {
        assert_eq!(
            charset_param("text/html; Charset = \"UTF-8\""),
            Some("UTF-8")
        );
        assert_eq!(charset_param("text/html"), None);
        assert_eq!(
            media_type(" Application/RSS+XML ; charset=x"),
            "application/rss+xml"
        );
    }
}

//! Character references (`&amp;`, `&#233;`, `&eacute;`) turned back into characters.
//!
//! Feeds are XML, whose parser only knows the five predefined entities: the HTML ones that
//! blogs put in titles and descriptions (`&eacute;`, `&rsquo;`, `&nbsp;`) reach us still
//! escaped, and so does text escaped twice. The table holds the entities French and English
//! writing actually uses, not the whole of HTML's 2 000; an unknown one is left as written.

use std::borrow::Cow;

/// Longest entity name in [`named`], so that a stray `&` does not start a long scan.
const MAX_NAME_LEN: usize = 8;
/// `&#` followed by more digits than this is not a character anyone meant.
const MAX_DIGITS: usize = 8;

/// Decodes the character references of `text`. Numeric ones need no `;` when followed by a
/// non-digit (as browsers accept); named ones do, so that `AT&T` and `a&b` stay as they are.
pub(crate) fn decode(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match reference(after) {
            Some((c, used)) => {
                out.push(c);
                rest = after.get(used..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The character a reference stands for, and how many bytes of `after` (the text following
/// the `&`) it takes up; `None` when `after` does not start a reference we know.
fn reference(after: &str) -> Option<(char, usize)> {
    if let Some(num) = after.strip_prefix('#') {
        let (hex, digits) = match num.strip_prefix(['x', 'X']) {
            Some(h) => (true, h),
            None => (false, num),
        };
        let len = digits
            .bytes()
            .take(MAX_DIGITS + 1)
            .take_while(|b| {
                if hex {
                    b.is_ascii_hexdigit()
                } else {
                    b.is_ascii_digit()
                }
            })
            .count();
        if len == 0 || len > MAX_DIGITS {
            return None;
        }
        let value = u32::from_str_radix(digits.get(..len)?, if hex { 16 } else { 10 }).ok()?;
        let prefix = 1 + usize::from(hex);
        let semicolon = usize::from(digits.get(len..)?.starts_with(';'));
        return Some((numeric(value), prefix + len + semicolon));
    }
    let len = after
        .bytes()
        .take(MAX_NAME_LEN + 1)
        .take_while(u8::is_ascii_alphanumeric)
        .count();
    if len == 0 || len > MAX_NAME_LEN || !after.get(len..)?.starts_with(';') {
        return None;
    }
    Some((named(after.get(..len)?)?, len + 1))
}

/// The character of a numeric reference, as browsers read it: the C1 range means what
/// windows-1252 puts there (`&#146;` is a right quote in pages converted from Word), and what
/// is no character at all becomes U+FFFD.
fn numeric(value: u32) -> char {
    if (0x80..=0x9F).contains(&value) {
        return crate::charset::windows_1252_c1(value as u8);
    }
    match char::from_u32(value) {
        Some('\0') | None => char::REPLACEMENT_CHARACTER,
        Some(c) => c,
    }
}

/// The named entities worth knowing for French and English text.
fn named(name: &str) -> Option<char> {
    Some(match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "shy" => '\u{ad}',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "deg" => '°',
        "sect" => '§',
        "para" => '¶',
        "middot" => '·',
        "bull" => '•',
        "hellip" => '…',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "sbquo" => '‚',
        "ldquo" => '“',
        "rdquo" => '”',
        "bdquo" => '„',
        "laquo" => '«',
        "raquo" => '»',
        "lsaquo" => '‹',
        "rsaquo" => '›',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "cent" => '¢',
        "times" => '×',
        "divide" => '÷',
        "plusmn" => '±',
        "frac12" => '½',
        "frac14" => '¼',
        "frac34" => '¾',
        "sup2" => '²',
        "sup3" => '³',
        "ordf" => 'ª',
        "ordm" => 'º',
        "iexcl" => '¡',
        "iquest" => '¿',
        "thinsp" => '\u{2009}',
        "ensp" => '\u{2002}',
        "emsp" => '\u{2003}',
        "zwnj" => '\u{200c}',
        "zwj" => '\u{200d}',
        "Agrave" => 'À',
        "Aacute" => 'Á',
        "Acirc" => 'Â',
        "Atilde" => 'Ã',
        "Auml" => 'Ä',
        "Aring" => 'Å',
        "AElig" => 'Æ',
        "Ccedil" => 'Ç',
        "Egrave" => 'È',
        "Eacute" => 'É',
        "Ecirc" => 'Ê',
        "Euml" => 'Ë',
        "Igrave" => 'Ì',
        "Iacute" => 'Í',
        "Icirc" => 'Î',
        "Iuml" => 'Ï',
        "Ntilde" => 'Ñ',
        "Ograve" => 'Ò',
        "Oacute" => 'Ó',
        "Ocirc" => 'Ô',
        "Otilde" => 'Õ',
        "Ouml" => 'Ö',
        "Oslash" => 'Ø',
        "OElig" => 'Œ',
        "Ugrave" => 'Ù',
        "Uacute" => 'Ú',
        "Ucirc" => 'Û',
        "Uuml" => 'Ü',
        "Yacute" => 'Ý',
        "Yuml" => 'Ÿ',
        "szlig" => 'ß',
        "agrave" => 'à',
        "aacute" => 'á',
        "acirc" => 'â',
        "atilde" => 'ã',
        "auml" => 'ä',
        "aring" => 'å',
        "aelig" => 'æ',
        "ccedil" => 'ç',
        "egrave" => 'è',
        "eacute" => 'é',
        "ecirc" => 'ê',
        "euml" => 'ë',
        "igrave" => 'ì',
        "iacute" => 'í',
        "icirc" => 'î',
        "iuml" => 'ï',
        "ntilde" => 'ñ',
        "ograve" => 'ò',
        "oacute" => 'ó',
        "ocirc" => 'ô',
        "otilde" => 'õ',
        "ouml" => 'ö',
        "oslash" => 'ø',
        "oelig" => 'œ',
        "ugrave" => 'ù',
        "uacute" => 'ú',
        "ucirc" => 'û',
        "uuml" => 'ü',
        "yacute" => 'ý',
        "yuml" => 'ÿ',
        _ => return None,
    })
}

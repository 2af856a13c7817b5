//! The slug of a tracked link: the `{slug}` of `/l/{slug}`, chosen by hand or drawn at random.

use super::LinkError;

/// Longest slug accepted, in characters.
pub const MAX_SLUG: usize = 64;

/// Length of a drawn slug.
pub const RANDOM_SLUG_LEN: usize = 8;

/// Words that name, or may one day name, Relais's own pages under `/l/`; refused in any case so
/// that `/l/Edit` cannot pass for the edit page either.
const RESERVED: &[&str] = &[
    "new", "edit", "delete", "qr", "api", "admin", "stats", "settings", "static", "assets",
    "login", "logout", "help", "l", "link", "links",
];

/// Letters and digits a person reads back without confusion: no 0/O/o, no 1/l/I. No '-' or
/// '_' either, which are lost at the end of a line or under an underlined link.
const RANDOM_ALPHABET: &[u8] = b"23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";

/// Checks a slug typed by hand: 1 to [`MAX_SLUG`] of `A-Z a-z 0-9 - _`, not a reserved word.
/// Spaces around it are dropped (they come from copy and paste); case is kept, as the link
/// says it.
pub fn check_slug(raw: &str) -> Result<String, LinkError> {
    let slug = raw.trim();
    if slug.is_empty() {
        return Err(LinkError::EmptySlug);
    }
    if let Some(bad) = slug.chars().find(|c| !is_slug_char(*c)) {
        return Err(LinkError::SlugCharacter(bad));
    }
    // Only ASCII is left, so bytes are characters.
    if slug.len() > MAX_SLUG {
        return Err(LinkError::SlugTooLong(slug.len()));
    }
    if is_reserved(slug) {
        return Err(LinkError::ReservedSlug(slug.to_string()));
    }
    Ok(slug.to_string())
}

/// A slug of [`RANDOM_SLUG_LEN`] characters from the caller's random bytes (this crate draws no
/// randomness of its own). The 48 bits are read as one number written in base
/// `RANDOM_ALPHABET.len()`; that leaves about 46 bits of the 48, plenty for a link that is
/// looked up by its slug, and the store still refuses a slug already taken.
pub fn random_slug(bytes: [u8; 6]) -> String {
    let [a, b, c, d, e, f] = bytes;
    let mut number = u64::from_be_bytes([0, 0, a, b, c, d, e, f]);
    let base = RANDOM_ALPHABET.len() as u64;
    let mut slug = String::with_capacity(RANDOM_SLUG_LEN);
    for _ in 0..RANDOM_SLUG_LEN {
        let digit = (number % base) as usize;
        slug.push(char::from(RANDOM_ALPHABET[digit]));
        number /= base;
    }
    slug
}

fn is_slug_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

fn is_reserved(slug: &str) -> bool {
    RESERVED.iter().any(|word| word.eq_ignore_ascii_case(slug))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_hand_made_slugs_and_keeps_their_case() {
        assert_eq!(check_slug("Soldes-Ete_2025").unwrap(), "Soldes-Ete_2025");
        assert_eq!(check_slug("  promo \n").unwrap(), "promo");
        assert_eq!(check_slug("a").unwrap(), "a");
        let longest = "x".repeat(MAX_SLUG);
        assert_eq!(check_slug(&longest).unwrap(), longest);
    }

    #[test]
    fn refuses_empty_long_and_foreign_characters() {
        assert_eq!(check_slug(""), Err(LinkError::EmptySlug));
        assert_eq!(check_slug(" \t "), Err(LinkError::EmptySlug));
        assert_eq!(
            check_slug(&"x".repeat(MAX_SLUG + 1)),
            Err(LinkError::SlugTooLong(MAX_SLUG + 1))
        );
        assert_eq!(check_slug("soldes été"), Err(LinkError::SlugCharacter(' ')));
        assert_eq!(check_slug("été"), Err(LinkError::SlugCharacter('é')));
        assert_eq!(check_slug("a/b"), Err(LinkError::SlugCharacter('/')));
        assert_eq!(check_slug("promo.html"), Err(LinkError::SlugCharacter('.')));
        assert_eq!(check_slug("🎉"), Err(LinkError::SlugCharacter('🎉')));
        // A huge paste is refused for its first wrong character.
        let huge = format!("{}?", "a".repeat(1_000_000));
        assert_eq!(check_slug(&huge), Err(LinkError::SlugCharacter('?')));
    }

    #[test]
    fn refuses_reserved_words_in_any_case() {
        for word in ["new", "edit", "qr", "api", "admin", "Edit", "ADMIN", "Qr"] {
            assert_eq!(
                check_slug(word),
                Err(LinkError::ReservedSlug(word.to_string())),
                "{word}"
            );
        }
        assert!(check_slug("newsletter").is_ok());
        assert!(check_slug("qr-code").is_ok());
    }

    #[test]
    fn error_messages_say_what_to_change() {
        let message = check_slug("a b").unwrap_err().to_string();
        assert!(message.contains("remove ' '"), "{message}");
        let message = check_slug("").unwrap_err().to_string();
        assert!(message.contains("1 to 64"), "{message}");
    }

    #[test]
    fn random_slugs_use_the_readable_alphabet_and_pass_the_check() {
        let samples: [[u8; 6]; 5] = [
            [0; 6],
            [0xff; 6],
            [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc],
            [1, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 1],
        ];
        for bytes in samples {
            let slug = random_slug(bytes);
            assert_eq!(slug.len(), RANDOM_SLUG_LEN, "{slug}");
            assert!(slug.bytes().all(|b| RANDOM_ALPHABET.contains(&b)), "{slug}");
            assert!(
                !slug.contains(['0', 'O', 'o', '1', 'l', 'I', '-', '_']),
                "{slug}"
            );
            assert_eq!(check_slug(&slug).as_deref(), Ok(slug.as_str()));
        }
    }

    #[test]
    fn random_slugs_differ_with_their_bytes() {
        let slugs: std::collections::HashSet<String> = (0u8..=255)
            .map(|i| random_slug([i, 0, 0, 0, 0, i.wrapping_mul(7)]))
            .collect();
        assert_eq!(slugs.len(), 256);
        assert_ne!(random_slug([0; 6]), random_slug([0, 0, 0, 0, 0, 1]));
        assert_ne!(random_slug([0; 6]), random_slug([1, 0, 0, 0, 0, 0]));
    }

    #[test]
    fn the_alphabet_has_no_look_alikes_and_no_repeats() {
        let unique: std::collections::HashSet<&u8> = RANDOM_ALPHABET.iter().collect();
        assert_eq!(unique.len(), RANDOM_ALPHABET.len());
        for look_alike in b"0Oo1lI" {
            assert!(!RANDOM_ALPHABET.contains(look_alike));
        }
    }
}

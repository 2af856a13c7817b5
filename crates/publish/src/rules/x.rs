//! X's weighted length, as twitter-text v3 defines it (the configuration X's own clients and API
//! use), so the counter in the composer agrees with what X will accept:
//!
//! - the text is NFC-normalised first (so `e` + combining acute counts as the single `é`);
//! - a code point in 0–4351 (Latin, Greek, Cyrillic, Hebrew, Arabic, Indic scripts...),
//!   8192–8205, 8208–8223 or 8242–8247 (spaces, dashes, quotes, primes) weighs 1; every other
//!   code point weighs 2, which makes Chinese, Japanese and Korean count double;
//! - an emoji weighs 2 however many code points it is made of (a skin-tone or ZWJ sequence, a
//!   flag, a keycap);
//! - every link weighs 23, the length of the `t.co` link X replaces it with, bare domains
//!   included (see `url.rs`);
//! - the limit is 280.
//!
//! Source: twitter-text `config/v3.json` and its `parseTweet`, and X's "Counting characters"
//! developer page.

use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

use super::measure::is_emoji_cluster;
use super::url::find_urls;

/// What one link weighs on X (`transformedURLLength`).
pub const URL_WEIGHT: usize = 23;

/// Code-point ranges that weigh 1 (twitter-text v3 `ranges`); the rest weigh 2.
const LIGHT_RANGES: [(u32, u32); 4] = [(0, 4351), (8192, 8205), (8208, 8223), (8242, 8247)];

/// Characters that make X refuse a post (twitter-text `invalidChars`).
pub const INVALID_CHARS: [char; 3] = ['\u{FFFE}', '\u{FEFF}', '\u{FFFF}'];

/// The weighted length X gives `text`, links included.
pub fn weighted_length(text: &str) -> usize {
    let text: String = text.nfc().collect();
    let mut total = 0;
    let mut pos = 0;
    for url in find_urls(&text, true) {
        total += weighted_without_urls(&text[pos..url.start]) + URL_WEIGHT;
        pos = url.end;
    }
    total + weighted_without_urls(&text[pos..])
}

/// The weighted length of text that holds no link (or whose links should count in full).
/// Expects NFC text; it does not normalise, so that callers can work on slices.
pub fn weighted_without_urls(text: &str) -> usize {
    text.graphemes(true)
        .map(|g| {
            if is_emoji_cluster(g) {
                2
            } else {
                g.chars().map(char_weight).sum()
            }
        })
        .sum()
}

fn char_weight(c: char) -> usize {
    let cp = u32::from(c);
    if LIGHT_RANGES.iter().any(|&(lo, hi)| (lo..=hi).contains(&cp)) {
        1
    } else {
        2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_counts_one_per_character() {
        assert_eq!(weighted_length(""), 0);
        assert_eq!(weighted_length("hello"), 5);
        assert_eq!(weighted_length("déjà vu"), 7);
        assert_eq!(weighted_length("Привет"), 6);
        assert_eq!(weighted_length("שלום"), 4);
        // Curly quotes and the em dash are in the light ranges; the ellipsis (U+2026) is not.
        assert_eq!(weighted_length("“quoted” — dash…"), 17);
    }

    #[test]
    fn nfc_makes_combining_accents_one_character() {
        assert_eq!(weighted_length("e\u{301}"), 1);
        assert_eq!(weighted_length("cafe\u{301}"), 4);
        // No precomposed form: base and mark each weigh 1.
        assert_eq!(weighted_length("q\u{301}"), 2);
    }

    #[test]
    fn cjk_counts_double() {
        assert_eq!(weighted_length("中文"), 4);
        assert_eq!(weighted_length("日本語のテキスト"), 16);
        assert_eq!(weighted_length("한국어"), 6);
        assert_eq!(weighted_length("中".repeat(140).as_str()), 280);
        assert_eq!(weighted_length("中".repeat(141).as_str()), 282);
    }

    #[test]
    fn an_emoji_sequence_weighs_two() {
        assert_eq!(weighted_length("😀"), 2);
        assert_eq!(weighted_length("👍🏽"), 2);
        assert_eq!(
            weighted_length("\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}"),
            2
        );
        assert_eq!(weighted_length("🇫🇷🇯🇵"), 4);
        assert_eq!(weighted_length("1\u{FE0F}\u{20E3}"), 2);
        assert_eq!(weighted_length("❤\u{FE0F}"), 2);
        assert_eq!(weighted_length("ok 👌"), 5);
    }

    #[test]
    fn astral_non_emoji_weighs_two() {
        assert_eq!(weighted_length("𝐁"), 2);
    }

    #[test]
    fn every_link_weighs_23() {
        let long = format!("https://example.com/{}", "a".repeat(200));
        assert_eq!(weighted_length(&long), 23);
        assert_eq!(weighted_length("http://a.co"), 23);
        assert_eq!(weighted_length("see example.com/x!"), 4 + 23 + 1);
        assert_eq!(weighted_length("https://a.org https://b.org"), 23 + 1 + 23);
        assert_eq!(weighted_length("mail me@example.com"), 19);
    }
}

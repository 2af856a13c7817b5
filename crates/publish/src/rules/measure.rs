//! The ways networks measure a piece of text. Each network picks one (see `limits.rs`); keeping
//! them side by side makes the differences visible: the same emoji is 1 grapheme on Bluesky,
//! 2 on X, 2 UTF-16 units on LinkedIn and 4 or more bytes on Threads.

use serde::Serialize;
use unicode_properties::{EmojiStatus, UnicodeEmoji};
use unicode_segmentation::UnicodeSegmentation;

/// What a limit counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Extended grapheme clusters (UAX #29): what a reader sees as one character.
    Graphemes,
    /// Unicode scalar values (what Ruby's `String#length` counts).
    CodePoints,
    /// UTF-16 code units (what JavaScript's and Java's `length` counts): an emoji or any
    /// character outside the Basic Multilingual Plane counts 2.
    Utf16,
    /// UTF-8 bytes.
    Bytes,
    /// X's weighted length (twitter-text v3), see `x.rs`.
    XWeighted,
    /// Threads: code points, except that an emoji counts its UTF-8 bytes.
    ThreadsChars,
}

/// Measures `text` in `unit`. `XWeighted` is the plain weighted length, without X's URL rule:
/// use `x::weighted_length` for a post's text.
pub fn measure(unit: Unit, text: &str) -> usize {
    match unit {
        Unit::Graphemes => graphemes(text),
        Unit::CodePoints => text.chars().count(),
        Unit::Utf16 => text.encode_utf16().count(),
        Unit::Bytes => text.len(),
        Unit::XWeighted => crate::rules::x::weighted_without_urls(text),
        Unit::ThreadsChars => threads_chars(text),
    }
}

pub fn graphemes(text: &str) -> usize {
    text.graphemes(true).count()
}

/// Threads' documented rule ("Emojis are counted as the number of UTF-8 bytes"): every
/// character counts 1, except an emoji, which counts the bytes of its whole sequence.
pub fn threads_chars(text: &str) -> usize {
    text.graphemes(true)
        .map(|g| {
            if is_emoji_cluster(g) {
                g.len()
            } else {
                g.chars().count()
            }
        })
        .sum()
}

/// Whether a grapheme cluster is an emoji as the networks mean it: a character shown as an
/// emoji by default (😀), any character followed by the emoji variation selector U+FE0F (❤️),
/// a keycap (1️⃣), a flag (🇫🇷, 🏴 + tags), or a sequence built from those with skin-tone
/// modifiers and zero-width joiners (👩🏽‍💻, 👨‍👩‍👧‍👦).
///
/// A character that has an emoji form but is shown as text by default (©, ☺, ❤ without
/// U+FE0F) is not counted as an emoji: that is how emoji keyboards and twemoji tell them apart.
pub fn is_emoji_cluster(g: &str) -> bool {
    let mut chars = g.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if g.contains('\u{FE0F}') || g.contains('\u{20E3}') {
        return first.is_emoji_char_or_emoji_component();
    }
    has_emoji_presentation(first)
}

/// `Emoji_Presentation=Yes`: shown as an emoji without a variation selector. Regional
/// indicators and skin-tone modifiers have it too.
fn has_emoji_presentation(c: char) -> bool {
    matches!(
        c.emoji_status(),
        EmojiStatus::EmojiPresentation
            | EmojiStatus::EmojiPresentationAndModifierBase
            | EmojiStatus::EmojiPresentationAndEmojiComponent
            | EmojiStatus::EmojiPresentationAndModifierAndEmojiComponent
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAMILY: &str = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}";

    #[test]
    fn emoji_clusters_are_recognised() {
        for e in [
            "😀",
            "👍🏽",
            FAMILY,
            "🇫🇷",
            "❤\u{FE0F}",
            "1\u{FE0F}\u{20E3}",
            "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}",
        ] {
            assert_eq!(graphemes(e), 1, "{e:?} is one grapheme");
            assert!(is_emoji_cluster(e), "{e:?} is an emoji");
        }
        for t in ["a", "é", "©", "❤", "1", "#", "中", "e\u{301}", ""] {
            assert!(!is_emoji_cluster(t), "{t:?} is text");
        }
    }

    #[test]
    fn units_differ_as_documented() {
        assert_eq!(measure(Unit::Graphemes, FAMILY), 1);
        assert_eq!(measure(Unit::CodePoints, FAMILY), 7);
        assert_eq!(measure(Unit::Utf16, FAMILY), 11);
        assert_eq!(measure(Unit::Bytes, FAMILY), 25);
        assert_eq!(measure(Unit::ThreadsChars, FAMILY), 25);
        assert_eq!(measure(Unit::XWeighted, FAMILY), 2);

        let decomposed = "e\u{301}";
        assert_eq!(measure(Unit::Graphemes, decomposed), 1);
        assert_eq!(measure(Unit::CodePoints, decomposed), 2);
        assert_eq!(measure(Unit::Bytes, decomposed), 3);

        assert_eq!(
            measure(Unit::Utf16, "𝐁"),
            2,
            "astral letter is a surrogate pair"
        );
        assert_eq!(measure(Unit::ThreadsChars, "ab😀"), 2 + 4);
        assert_eq!(measure(Unit::ThreadsChars, "中文"), 2);
    }
}

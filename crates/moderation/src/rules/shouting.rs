//! How much of a text is in capitals. Only letters that have a case count (`É` and `𝐀` do,
//! digits, emoji and scripts without case such as Chinese do not), and `@handles`, `#tags` and
//! links are left out: `@ORANGE_FR #SAV` in a calm sentence is not shouting.

use super::links::{Link, words_with_offsets};

/// Capitals and cased letters of `text`, outside handles, tags and the words of `links`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Caps {
    pub capitals: u32,
    pub letters: u32,
}

impl Caps {
    pub fn of(text: &str, links: &[Link]) -> Caps {
        let mut caps = Caps::default();
        for (start, word) in words_with_offsets(text) {
            let in_link = links
                .iter()
                .any(|link| link.start <= start && start < link.end);
            let sign =
                word.trim_start_matches(|c: char| !c.is_alphanumeric() && c != '@' && c != '#');
            if in_link || sign.starts_with('@') || sign.starts_with('#') {
                continue;
            }
            for c in word.chars() {
                if c.is_uppercase() {
                    caps.capitals += 1;
                    caps.letters += 1;
                } else if c.is_lowercase() {
                    caps.letters += 1;
                }
            }
        }
        caps
    }

    /// Capitals in percent, rounded down (so 100 only when every letter is a capital).
    pub fn percent(self) -> u8 {
        if self.letters == 0 {
            return 0;
        }
        let percent = u64::from(self.capitals) * 100 / u64::from(self.letters);
        u8::try_from(percent).unwrap_or(100)
    }

    /// Whether the share of capitals reaches `ratio`, compared exactly (no rounding).
    pub fn reaches(self, ratio: f32) -> bool {
        self.letters > 0 && f64::from(self.capitals) >= f64::from(ratio) * f64::from(self.letters)
    }
}

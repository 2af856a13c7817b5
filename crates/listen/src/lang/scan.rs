//! Cutting a mention into the words the language model scores, without allocating: URLs and
//! @handles are skipped (they are not written in any language), letters become their numbers in
//! the table's alphabet (case folded), runs of one letter longer than two are shortened to one
//! ("soooo" → "so", as elongation is an effect, not spelling), and words after `#` are marked as
//! hashtags.

use std::ops::ControlFlow;

use super::table::{Alphabet, UNKNOWN_LETTER};

/// Words longer than this are scored on their first letters only: enough to tell languages.
pub(super) const MAX_WORD: usize = 32;

/// Calls `on_word(letters, weight_shift)` for each word of letters in `text` until it answers
/// `Break`; `letters` are alphabet numbers (`UNKNOWN_LETTER` for letters the alphabet lacks),
/// `weight_shift` is 1 for hashtag words (their score counts half) and 0 otherwise.
///
/// One pass over the bytes (ASCII is the common case and costs one table read a byte): the
/// mention is scored on every text, so this loop is most of the language step's time.
pub(super) fn for_each_word(
    text: &str,
    alphabet: &Alphabet,
    mut on_word: impl FnMut(&[u8], u32) -> ControlFlow<()>,
) {
    let bytes = text.as_bytes();
    let mut buf = [UNKNOWN_LETTER; MAX_WORD];
    let mut len = 0usize;
    // How many times the last letter came in a row.
    let mut run = 0usize;
    let mut word_start = 0usize;
    let mut hashtag = false;
    let mut i = 0usize;
    while i < bytes.len() {
        let byte = bytes[i];
        let (number, is_letter, width) = if byte.is_ascii() {
            let number = alphabet.number(char::from(byte));
            (
                number,
                number != UNKNOWN_LETTER || byte.is_ascii_alphabetic(),
                1,
            )
        } else {
            // `i` is always at a char boundary: it only moves by whole chars.
            let c = text[i..]
                .chars()
                .next()
                .unwrap_or(char::REPLACEMENT_CHARACTER);
            let number = alphabet.number(c);
            (
                number,
                number != UNKNOWN_LETTER || c.is_alphabetic(),
                c.len_utf8(),
            )
        };
        if is_letter {
            if len == 0 {
                word_start = i;
            }
            // Elongations ("trooop", "bieeen") are shortened to one letter: runs of three are
            // not spelling in these languages, and "trop" is French where "troop" is not.
            run = if len > 0 && buf[len - 1] == number {
                run + 1
            } else {
                1
            };
            match run {
                1 | 2 if len < MAX_WORD => {
                    buf[len] = number;
                    len += 1;
                }
                3 if len >= 2 && buf[len - 2] == number => len -= 1,
                _ => {}
            }
            i += width;
            continue;
        }
        // A mark or space ends the word in progress, unless it turns out to start a link, a
        // handle or an e-mail address, which are skipped to the next space with the word.
        let skip = byte == b'@' || (len > 0 && starts_link(&bytes[word_start..]));
        if skip {
            len = 0;
            hashtag = false;
            i = next_space(bytes, i);
            continue;
        }
        if len > 0 {
            if on_word(&buf[..len], u32::from(hashtag)).is_break() {
                return;
            }
            len = 0;
        }
        // A `#` starts a hashtag word; any other mark ends it ("#RT!" then "ok").
        hashtag = byte == b'#';
        i += width;
    }
    if len > 0 && !starts_link(&bytes[word_start..]) {
        let _ = on_word(&buf[..len], u32::from(hashtag));
    }
}

/// Whether the text at a word's start is a link: `http://…`, `https://…`, `www.…`, or the bare
/// `http` that some exports leave in place of links.
fn starts_link(at: &[u8]) -> bool {
    let is = |prefix: &[u8]| {
        at.get(..prefix.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
    };
    let ends_word = |n: usize| at.get(n).is_none_or(|b| !b.is_ascii_alphanumeric());
    match at.first() {
        Some(b'h' | b'H') => (is(b"http") && ends_word(4)) || (is(b"https") && ends_word(5)),
        Some(b'w' | b'W') => is(b"www."),
        _ => false,
    }
}

fn next_space(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|b| b.is_ascii_whitespace())
        .map_or(bytes.len(), |p| from + p)
}

#[cfg(test)]
mod tests {
    use super::super::Lang;
    use super::super::table::NgramTable;
    use super::*;

    /// The words as lowercase strings ('?' for letters the alphabet lacks).
    fn words(text: &str) -> Vec<(String, u32)> {
        let table = NgramTable::shipped(&[Lang::French, Lang::English]).expect("shipped table");
        let alphabet = &table.alphabet;
        let name = |n: u8| {
            if n == UNKNOWN_LETTER {
                return '?';
            }
            ('\0'..='\u{24f}')
                .find(|&c| c.is_lowercase() && alphabet.number(c) == n)
                .unwrap_or('!')
        };
        let mut out = Vec::new();
        for_each_word(text, alphabet, |w, shift| {
            out.push((w.iter().map(|&n| name(n)).collect(), shift));
            ControlFlow::Continue(())
        });
        out
    }

    #[test]
    fn links_and_handles_are_skipped() {
        let got = words(
            "Voir https://ex.com/the-best www.site.org (http://a.b/c) @user .@someone mail@x.fr \
             http ici HTTPS://X.Y httpd",
        );
        assert_eq!(
            got,
            vec![("voir".into(), 0), ("ici".into(), 0), ("httpd".into(), 0)]
        );
    }

    #[test]
    fn hashtags_are_marked_and_words_split_on_marks() {
        let got = words("L'#écologie, monkeys!#SundayFunday 2015x");
        assert_eq!(
            got,
            vec![
                ("l".into(), 0),
                ("écologie".into(), 1),
                ("monkeys".into(), 0),
                ("sundayfunday".into(), 1),
                ("x".into(), 0),
            ]
        );
    }

    #[test]
    fn scanning_stops_when_asked() {
        let mut seen = 0;
        let table = NgramTable::shipped(&[Lang::English]).expect("shipped table");
        for_each_word("one two three", &table.alphabet, |_, _| {
            seen += 1;
            if seen == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        assert_eq!(seen, 2);
    }

    #[test]
    fn elongations_are_shortened_and_long_words_cut() {
        assert_eq!(
            words("Trooooop BIEN good"),
            vec![("trop".into(), 0), ("bien".into(), 0), ("good".into(), 0)]
        );
        let long = "a".repeat(10) + &"bc".repeat(40);
        assert_eq!(words(&long)[0].0.chars().count(), MAX_WORD);
    }

    #[test]
    fn letters_outside_the_alphabet_stay_in_their_word() {
        assert_eq!(words("aξb c"), vec![("a?b".into(), 0), ("c".into(), 0)]);
    }
}

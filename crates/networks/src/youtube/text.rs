//! A post's text as a video's title and description, and the tag that marks a video as a
//! post's, for [`crate::Connector::find_published`].
//!
//! YouTube takes a title of at most 100 characters and a description of at most 5,000 bytes,
//! neither with `<` or `>` (the API refuses them: `invalidTitle`, `invalidDescription`). The
//! title is the text's first non-blank line, the description the whole text; both get `‹` and
//! `›` for `<` and `>` so that an arrow or a "<3" survives. A title too long is cut at 99
//! characters and ends with `…`; a description too long is refused rather than cut, so that
//! nobody's text is published maimed.

use sha2::{Digest, Sha256};

use crate::NetworkError;

pub(crate) const MAX_TITLE_CHARS: usize = 100;
pub(crate) const MAX_DESCRIPTION_BYTES: usize = 5_000;
/// The start of the tag that marks a video as a Relais post's.
pub(crate) const MARKER_PREFIX: &str = "relais-";

/// `<` and `>` as look-alikes YouTube accepts; control characters other than line breaks and
/// tabs dropped.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .map(|c| match c {
            '<' => '‹',
            '>' => '›',
            c => c,
        })
        .collect()
}

/// The video's title: the text's first non-blank line, cleaned and cut to 100 characters.
pub(crate) fn title(text: &str) -> Result<String, NetworkError> {
    let line = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|l| !l.is_empty())
        .ok_or_else(|| {
            NetworkError::Rejected(
                "YouTube needs a title: write one on the post's first line".into(),
            )
        })?;
    let line = clean(&line);
    if line.chars().count() <= MAX_TITLE_CHARS {
        return Ok(line);
    }
    let cut: String = line.chars().take(MAX_TITLE_CHARS - 1).collect();
    Ok(format!("{}…", cut.trim_end()))
}

/// The video's description: the whole text, cleaned, if it fits.
pub(crate) fn description(text: &str) -> Result<String, NetworkError> {
    let description = clean(text.trim());
    if description.len() > MAX_DESCRIPTION_BYTES {
        return Err(NetworkError::Rejected(format!(
            "the text is {} bytes long once `<` and `>` are replaced; YouTube takes a \
             description of at most 5,000 bytes: shorten it",
            description.len()
        )));
    }
    Ok(description)
}

/// The tag that marks the video of the post with this idempotency key: `relais-` and the
/// first 16 hexadecimal digits of the key's SHA-256 (so that the key itself, whatever it
/// holds, is not shown, and the tag is short and plain).
pub(crate) fn marker(idempotency_key: &str) -> String {
    let digest = Sha256::digest(idempotency_key.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("{MARKER_PREFIX}{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_is_the_first_line_cleaned_and_cut() {
        assert_eq!(
            title("\n  Nos  soldes <3 -> ici  \nLa suite").expect("title"),
            "Nos soldes ‹3 -› ici"
        );
        let long = "é".repeat(150);
        let t = title(&long).expect("title");
        assert_eq!(t.chars().count(), 100);
        assert!(t.ends_with('…'));
        assert_eq!(title(&"a".repeat(100)).expect("title"), "a".repeat(100));
        assert!(matches!(title(" \n\t\n"), Err(NetworkError::Rejected(_))));
    }

    #[test]
    fn the_description_is_the_whole_text_within_5000_bytes() {
        assert_eq!(
            description("Titre\n\nUn <b>texte</b>\u{7}.").expect("description"),
            "Titre\n\nUn ‹b›texte‹/b›."
        );
        assert!(description(&"é".repeat(2_500)).is_ok());
        assert!(matches!(
            description(&"é".repeat(2_501)),
            Err(NetworkError::Rejected(ref m)) if m.contains("5,000 bytes")
        ));
        // Each `<` becomes three bytes.
        assert!(description(&"<".repeat(1_700)).is_err());
    }

    #[test]
    fn markers_are_stable_short_and_plain() {
        let m = marker("post-1/part-0");
        assert_eq!(m, marker("post-1/part-0"));
        assert_ne!(m, marker("post-1/part-1"));
        assert_eq!(m.len(), MARKER_PREFIX.len() + 16);
        assert!(m.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    }
}

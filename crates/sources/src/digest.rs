//! Short, stable digests: the keys of items that carry no id and the fingerprints of content
//! seen before. Stored, so they must not change between releases (std's hasher may).

use sha2::{Digest, Sha256};

/// The first 128 bits of SHA-256 over `parts`, in hex. Each part is preceded by its length,
/// so that `["ab", "c"]` and `["a", "bc"]` differ.
pub(crate) fn digest(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_short_stable_and_separate_parts() {
        let d = digest(&[b"ab", b"c"]);
        assert_eq!(d.len(), 32);
        assert!(d.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(d, digest(&[b"ab", b"c"]));
        assert_ne!(d, digest(&[b"a", b"bc"]));
    }
}

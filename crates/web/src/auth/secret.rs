//! Random secrets (session cookies, invitation links, API tokens) and their stored form.
//!
//! A secret is 32 random bytes, base64url without padding, behind a short prefix that says what
//! it is (`rls_` for API tokens) so that a leaked one is recognisable in logs and by scanners.
//! Only its SHA-256 is stored: a copy of the database opens no session and no API.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS generator failing means the machine cannot do cryptography at all.
    getrandom::fill(&mut buf).expect("the operating system's random generator must work");
    buf
}

/// A new secret with the given prefix.
pub fn new_secret(prefix: &str) -> String {
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(random_bytes::<32>()))
}

/// What is stored for a secret.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_prefixed_and_hashed() {
        let a = new_secret("rls_");
        let b = new_secret("rls_");
        assert_ne!(a, b);
        assert!(a.starts_with("rls_") && a.len() == 4 + 43);
        assert_eq!(hash_secret(&a).len(), 64);
        assert_ne!(hash_secret(&a), hash_secret(&b));
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

//! Counting visitors without cookies and without keeping who they are.
//!
//! A visitor is a keyed hash of the site, the IP address and the user agent, keyed with a salt
//! that is drawn at random for each UTC day and deleted when the day is over (the store keeps
//! today's and yesterday's, no more). The same person is one visitor all day, and nothing, not
//! even Relais, can link their two days together once yesterday's salt is gone. IP address and
//! user agent themselves are never stored.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A day's random key.
pub type Salt = [u8; 32];

/// The visitor of a request on a site, under a day's salt.
pub fn visitor_id(salt: &Salt, site_id: &str, ip: &str, user_agent: &str) -> u64 {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(salt) else {
        // HMAC takes keys of any length; this branch cannot be reached with a 32-byte salt.
        return 0;
    };
    // Each part is length-prefixed, so ("ab", "c") and ("a", "bc") never collide.
    for part in [site_id, ip, user_agent] {
        mac.update(&(part.len() as u64).to_le_bytes());
        mac.update(part.as_bytes());
    }
    let digest = mac.finalize().into_bytes();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UA: &str =
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36";

    #[test]
    fn same_person_same_day_is_one_visitor_and_another_day_cannot_be_linked() {
        let monday = [1u8; 32];
        let tuesday = [2u8; 32];
        let a = visitor_id(&monday, "site", "203.0.113.9", UA);
        assert_eq!(a, visitor_id(&monday, "site", "203.0.113.9", UA));
        assert_ne!(a, visitor_id(&tuesday, "site", "203.0.113.9", UA));
        assert_ne!(a, visitor_id(&monday, "other-site", "203.0.113.9", UA));
        assert_ne!(a, visitor_id(&monday, "site", "203.0.113.10", UA));
        assert_ne!(a, visitor_id(&monday, "site", "203.0.113.9", "curl/8"));
        assert_ne!(
            visitor_id(&monday, "ab", "c", UA),
            visitor_id(&monday, "a", "bc", UA)
        );
    }
}

//! CSRF tokens: an HMAC of what ties the form to this browser, under a key kept in the database.
//!
//! Logged in, the tie is the session secret (which an attacker cannot know). Before logging in
//! (setup, login, accepting an invitation) it is a random `relais_csrf` cookie. A form's token
//! is checked against the same tie when it comes back, so a page on another site cannot post
//! to Relais on the user's behalf.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

type HmacSha256 = Hmac<Sha256>;

pub fn token(key: &[u8], tie: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(b"relais-csrf\0");
    mac.update(tie.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Constant-time check of a token that came back with a form.
pub fn verify(key: &[u8], tie: &str, presented: &str) -> bool {
    let Ok(raw) = URL_SAFE_NO_PAD.decode(presented.trim()) else {
        return false;
    };
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(b"relais-csrf\0");
    mac.update(tie.as_bytes());
    mac.verify_slice(&raw).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_for_their_tie_and_key() {
        let t = token(b"key", "session-1");
        assert!(verify(b"key", "session-1", &t));
        assert!(
            !verify(b"key", "session-2", &t),
            "another browser's token is refused"
        );
        assert!(
            !verify(b"other", "session-1", &t),
            "another instance's token is refused"
        );
        assert!(!verify(b"key", "session-1", ""));
        assert!(!verify(b"key", "session-1", "%%%"));
    }
}

//! AT Protocol record keys for posts: TIDs (timestamp identifiers), 13 characters of
//! base32-sortable text encoding 53 bits of microseconds since the epoch and a 10-bit clock id.
//!
//! Relais makes a post's TID from the post itself (its creation time and its idempotency key),
//! not from the clock at publication: every attempt to publish the same post asks the PDS for
//! the same record key, so a retry after a crash can never create a second record, and the
//! record can be looked up to learn whether the first attempt went through.

const ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";

/// The TID of a post written at `created_at_ms` with this idempotency key.
pub fn post_tid(created_at_ms: i64, idempotency_key: &str) -> String {
    // FNV-1a: a stable, dependency-free hash is all that is needed to spread keys.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in idempotency_key.as_bytes() {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let millis = u64::try_from(created_at_ms.max(0)).unwrap_or(0);
    // Sub-millisecond digits from the hash keep two posts of the same millisecond apart.
    let micros = millis.saturating_mul(1000).saturating_add(hash % 1000) & ((1u64 << 53) - 1);
    let clock_id = (hash >> 32) & 0x3ff;
    encode((micros << 10) | clock_id)
}

fn encode(mut value: u64) -> String {
    let mut out = [b'2'; 13];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(value & 31) as usize];
        value >>= 5;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `s` has the shape of a TID.
#[cfg(test)]
fn is_tid(s: &str) -> bool {
    s.len() == 13
        && s.bytes().all(|b| ALPHABET.contains(&b))
        && s.as_bytes()
            .first()
            .is_some_and(|b| b"234567abcdefghij".contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_post_same_key_other_post_other_key() {
        let a = post_tid(1_732_000_000_000, "post-1");
        assert_eq!(
            a,
            post_tid(1_732_000_000_000, "post-1"),
            "stable across attempts"
        );
        assert_ne!(
            a,
            post_tid(1_732_000_000_000, "post-2"),
            "posts of the same millisecond differ"
        );
        assert!(is_tid(&a), "{a}");
    }

    #[test]
    fn keys_sort_by_time() {
        let early = post_tid(1_700_000_000_000, "x");
        let late = post_tid(1_700_000_001_000, "x");
        assert!(early < late);
        assert!(is_tid(&post_tid(0, "")) && is_tid(&post_tid(i64::MAX, "z")));
        assert!(
            !is_tid("too-short") && !is_tid("zzzzzzzzzzzzz"),
            "the top bit must be zero"
        );
    }
}

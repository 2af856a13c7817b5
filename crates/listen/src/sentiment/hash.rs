//! The hashes of sentiment, mirrored by `tools/train_sentiment.py`: 64-bit FNV-1a of a token's
//! text (the lexicon's key and the seed of the token's features), and the bucket of a feature,
//! made from a kind tag and a 64-bit value by one multiplication (no string is built or hashed
//! again for the word pairs, negated words and so on).

/// The hashed feature space of the linear model has 2^BITS buckets.
pub(crate) const BITS: u32 = 20;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// 64-bit FNV-1a, fed byte by byte (so that tokens are hashed while they are written).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv64(u64);

impl Fnv64 {
    pub(crate) fn new() -> Self {
        Fnv64(FNV_OFFSET)
    }

    #[inline]
    pub(crate) fn byte(self, byte: u8) -> Self {
        Fnv64((self.0 ^ u64::from(byte)).wrapping_mul(FNV_PRIME))
    }

    pub(crate) fn bytes(self, bytes: &[u8]) -> Self {
        bytes.iter().fold(self, |h, &b| h.byte(b))
    }

    pub(crate) fn finish(self) -> u64 {
        self.0
    }
}

/// 64-bit FNV-1a of `bytes`.
pub(crate) fn fnv64(bytes: &[u8]) -> u64 {
    Fnv64::new().bytes(bytes).finish()
}

/// The kinds of hashed features: each tag keeps one kind's buckets apart from the others'
/// (random odd constants; the trainer's `TAGS` holds the same numbers).
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub(crate) enum Tag {
    /// A word.
    Word = 0x5851_f42d_4c95_7f2d,
    /// A word after a negation, in the same clause.
    Negated = 0x1405_7b7e_f767_814f,
    /// Two words in a row.
    Pair = 0x2545_f491_4f6c_dd1d,
    /// The first 4 or 5 chars of a longer word.
    Prefix = 0x9e6c_63d0_676a_9a99,
    /// The last 3 chars of a longer word.
    Suffix = 0xd6e8_feb8_6659_fd93,
    /// An emoji or emoticon.
    Emoji = 0xa076_1d64_78bd_642f,
    /// A run of marks (its first 3).
    Punct = 0xe703_7ed1_a0b4_28db,
    /// A link.
    Url = 0x8ebc_6af0_9c88_c6e3,
    /// A handle.
    User = 0x5899_65cc_7537_4cc3,
}

/// The bucket of the feature of kind `tag` and value `value`: the top `BITS` bits of a
/// multiplicative hash (whose top bits depend on every bit of the input).
#[inline]
pub(crate) fn bucket(tag: Tag, value: u64) -> u32 {
    ((value ^ tag as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - BITS)) as u32
}

/// The value of a pair of words, from their hashes (order matters: "not good" ≠ "good not").
#[inline]
pub(crate) fn pair(first: u64, second: u64) -> u64 {
    first.wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ second
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv64_matches_the_reference_values() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn buckets_stay_in_range_and_tell_kinds_and_orders_apart() {
        let (good, not) = (fnv64(b"good"), fnv64(b"not"));
        assert!(bucket(Tag::Word, good) < 1 << BITS);
        assert_ne!(bucket(Tag::Word, good), bucket(Tag::Negated, good));
        assert_ne!(
            bucket(Tag::Pair, pair(not, good)),
            bucket(Tag::Pair, pair(good, not))
        );
    }
}

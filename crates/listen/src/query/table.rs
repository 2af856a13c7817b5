//! A small open-addressing table from 64-bit keys to 32-bit values, built once and then only
//! read: the query set's index of anchor words, probed once or twice per word of every
//! mention, so a probe must cost a multiplication and, usually, one cache line.
//!
//! Most words of a mention are no anchor. A bitmap of the keys (one bit set per key, 16 bits
//! per key: about one absent key in sixteen finds its bit set) answers them from a few
//! kilobytes that stay in the nearest cache, without touching the table.

/// Marks a free slot (no value is ever `u32::MAX`: values are indices into smaller lists).
const FREE: u32 = u32::MAX;

#[derive(Debug, Clone)]
pub(crate) struct KeyTable {
    /// Key and value side by side: a probe reads one cache line.
    slots: Vec<(u64, u32)>,
    /// Bits of the slot index: the table has `1 << bits` slots.
    bits: u32,
    /// The keys' bits, `1 << filter_bits` of them.
    filter: Vec<u64>,
    filter_bits: u32,
}

impl KeyTable {
    /// A table holding `entries`; keys must be distinct.
    pub(crate) fn new(entries: &[(u64, u32)]) -> KeyTable {
        // At most half full, so that probes stay short.
        let bits = (entries.len().max(1) * 2)
            .next_power_of_two()
            .trailing_zeros()
            .max(1);
        let slots = 1usize << bits;
        let filter_bits = (entries.len().max(4) * 16)
            .next_power_of_two()
            .trailing_zeros();
        let mut table = KeyTable {
            slots: vec![(0, FREE); slots],
            bits,
            filter: vec![0; (1usize << filter_bits) / 64],
            filter_bits,
        };
        for &(key, value) in entries {
            let (word, bit) = table.filter_bit(key);
            table.filter[word] |= bit;
            let mut slot = table.slot_of(key);
            while table.slots[slot].1 != FREE {
                slot = (slot + 1) & (slots - 1);
            }
            table.slots[slot] = (key, value);
        }
        table
    }

    #[inline]
    fn slot_of(&self, key: u64) -> usize {
        // Fibonacci hashing: the high bits of the product are well mixed.
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - self.bits)) as usize
    }

    /// The word of `filter` and the bit in it that stand for `key`.
    #[inline]
    fn filter_bit(&self, key: u64) -> (usize, u64) {
        // Other bits of the key than the slot's, from another multiplier.
        let at = (key.wrapping_mul(0xD6E8_FEB8_6659_FD93) >> (64 - self.filter_bits)) as usize;
        (at / 64, 1 << (at % 64))
    }

    #[inline]
    pub(crate) fn get(&self, key: u64) -> Option<u32> {
        let (word, bit) = self.filter_bit(key);
        if self.filter.get(word).is_none_or(|bits| bits & bit == 0) {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut slot = self.slot_of(key);
        loop {
            let &(slot_key, value) = self.slots.get(slot)?;
            if value == FREE {
                return None;
            }
            if slot_key == key {
                return Some(value);
            }
            slot = (slot + 1) & mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::KeyTable;

    #[test]
    fn finds_what_it_holds_and_nothing_else() {
        let entries: Vec<(u64, u32)> = (0..1000u64).map(|i| (i * 7919 + 3, i as u32)).collect();
        let table = KeyTable::new(&entries);
        for &(key, value) in &entries {
            assert_eq!(table.get(key), Some(value));
        }
        assert_eq!(table.get(4), None);
        assert_eq!(KeyTable::new(&[]).get(0), None);
    }
}

//! A small open-addressing hash table keyed by 64-bit numbers, for the per-token look-ups of
//! sentiment (lexicon entries by the hash of the word, model weights by feature bucket). Keys
//! and values sit side by side in one array, so a look-up usually touches one cache line: with
//! `std`'s map of boxed strings, three cache misses per word made sentiment several times
//! slower.

/// Key 0 marks an empty slot; callers map their keys away from 0 (see [`nonzero`]).
#[derive(Debug, Clone)]
pub(crate) struct Table<V> {
    slots: Vec<(u64, V)>,
    shift: u32,
    len: usize,
}

/// Keys are never 0: 0 marks an empty slot.
pub(crate) fn nonzero(key: u64) -> u64 {
    key.max(1)
}

impl<V: Copy + Default> Table<V> {
    /// A table for about `expected` keys (it grows if more come).
    pub(crate) fn with_capacity(expected: usize) -> Self {
        let capacity = (expected.max(8) * 4 / 3 + 1).next_power_of_two();
        Table {
            slots: vec![(0, V::default()); capacity],
            shift: 64 - capacity.trailing_zeros(),
            len: 0,
        }
    }

    fn home(&self, key: u64) -> usize {
        // Fibonacci hashing: the top bits of the product mix every bit of the key.
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    fn slot_of(&self, key: u64) -> usize {
        let mask = self.slots.len() - 1;
        let mut slot = self.home(key);
        while self.slots[slot].0 != 0 && self.slots[slot].0 != key {
            slot = (slot + 1) & mask;
        }
        slot
    }

    /// The value of `key`, inserted with `V::default()` if absent.
    pub(crate) fn entry(&mut self, key: u64) -> &mut V {
        let key = nonzero(key);
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let slot = self.slot_of(key);
        if self.slots[slot].0 == 0 {
            self.slots[slot].0 = key;
            self.len += 1;
        }
        &mut self.slots[slot].1
    }

    pub(crate) fn get(&self, key: u64) -> Option<&V> {
        let key = nonzero(key);
        let mask = self.slots.len() - 1;
        let mut slot = self.home(key);
        loop {
            // One read of the slot per probe (`get` never fails: `slot` is masked).
            let (found, value) = self.slots.get(slot)?;
            if *found == key {
                return Some(value);
            }
            if *found == 0 {
                return None;
            }
            slot = (slot + 1) & mask;
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        let capacity = (old.len() * 2).max(16);
        self.slots = vec![(0, V::default()); capacity];
        self.shift = 64 - capacity.trailing_zeros();
        for (key, value) in old.into_iter().filter(|(k, _)| *k != 0) {
            let slot = self.slot_of(key);
            self.slots[slot] = (key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_get_and_grow() {
        let mut table: Table<u32> = Table::with_capacity(2);
        for key in 0..1000u64 {
            *table.entry(key * 7919) += key as u32;
        }
        assert_eq!(table.len(), 1000);
        for key in 0..1000u64 {
            assert_eq!(table.get(key * 7919), Some(&(key as u32)));
        }
        assert_eq!(table.get(3), None);
        // Key 0 is stored as 1: both name the same entry.
        assert_eq!(table.get(1), Some(&0));
    }
}

//! Near-duplicate mentions folded together: a repost, a quote with a line added, the same
//! article syndicated by several sites. Each mention gets a SimHash of its words and word
//! pairs (folded; @mentions and a leading `RT` left out); two mentions whose fingerprints differ
//! in at most [`MAX_DISTANCE`] bits are the same content (in the tests, a one-word edit of an
//! article moves 4 bits, and different texts on the same subject stay more than 12 apart). A
//! [`Folder`] remembers recent fingerprints and finds the first mention of a content (the
//! smallest id: ids grow with arrival) in constant time per mention.

use std::collections::{HashMap, VecDeque};

use crate::text::{WordKind, Words, word_hash};

/// Differing bits allowed between two fingerprints of the same content.
pub const MAX_DISTANCE: u32 = 6;

/// A mention's fingerprint; `None` for a text without words.
pub fn fingerprint(text: &str) -> Option<u64> {
    fingerprint_of_words(&Words::of(text))
}

/// [`fingerprint`] of a text already cut into words (the pipeline cuts each mention once, for
/// matching, and reuses the words and their hashes here).
pub fn fingerprint_of_words(words: &Words) -> Option<u64> {
    let mut hashes: Vec<u64> = words
        .spans()
        .iter()
        .filter(|w| w.kind != WordKind::Mention)
        .map(|w| w.hash)
        .collect();
    if hashes.first() == Some(&word_hash(b"rt")) {
        hashes.remove(0);
    }
    if hashes.is_empty() {
        return None;
    }
    // Words and word pairs: an edit of one word moves few of them.
    let shingles: Vec<u64> = hashes
        .iter()
        .map(|h| mix(*h))
        .chain(hashes.windows(2).map(|w| mix(w[0].rotate_left(32) ^ w[1])))
        .collect();
    // A bit of the fingerprint is set when most shingles have it set. Counting the ones in
    // plain adds (no branch) lets the compiler do the 64 counters in a few vector adds.
    let mut ones = [0u32; 64];
    for shingle in &shingles {
        for (bit, count) in ones.iter_mut().enumerate() {
            *count += (shingle >> bit & 1) as u32;
        }
    }
    let total = shingles.len() as u32;
    Some(
        ones.iter()
            .enumerate()
            .filter(|(_, ones)| 2 * **ones > total)
            .fold(0u64, |f, (bit, _)| f | 1 << bit),
    )
}

/// Spreads a combined hash over all 64 bits (a finaliser of the splitmix kind).
fn mix(mut h: u64) -> u64 {
    h ^= h >> 30;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

/// Whether two fingerprints stand for the same content.
pub fn same_content(a: u64, b: u64) -> bool {
    (a ^ b).count_ones() <= MAX_DISTANCE
}

/// Recent fingerprints, by each of their seven 9-bit bands: two fingerprints at most 6 bits
/// apart share at least one band whole, so only mentions sharing a band are compared.
pub struct Folder {
    capacity: usize,
    order: VecDeque<(u64, u64)>,
    bands: HashMap<(u8, u16), Vec<(u64, u64)>>,
}

impl Folder {
    /// Remembers the last `capacity` mentions' fingerprints.
    pub fn new(capacity: usize) -> Folder {
        Folder {
            capacity: capacity.max(1),
            order: VecDeque::new(),
            bands: HashMap::new(),
        }
    }

    /// The id of an earlier mention with the same content, if one is remembered; otherwise the
    /// mention is remembered as the first of its content.
    pub fn fold(&mut self, id: u64, fingerprint: u64) -> Option<u64> {
        let earlier = band_keys(fingerprint)
            .iter()
            .filter_map(|key| self.bands.get(key))
            .flatten()
            .filter(|(_, f)| same_content(*f, fingerprint))
            .map(|(id, _)| *id)
            .min();
        if earlier.is_some() {
            return earlier;
        }
        if self.order.len() == self.capacity
            && let Some((old_id, old)) = self.order.pop_front()
        {
            for key in band_keys(old) {
                if let Some(list) = self.bands.get_mut(&key) {
                    list.retain(|(id, _)| *id != old_id);
                    if list.is_empty() {
                        self.bands.remove(&key);
                    }
                }
            }
        }
        self.order.push_back((id, fingerprint));
        for key in band_keys(fingerprint) {
            self.bands.entry(key).or_default().push((id, fingerprint));
        }
        None
    }
}

fn band_keys(fingerprint: u64) -> [(u8, u16); BANDS] {
    std::array::from_fn(|band| (band as u8, (fingerprint >> (9 * band)) as u16 & 0x1FF))
}

/// More bands than differing bits allowed (pigeonhole), each of 9 bits.
const BANDS: usize = MAX_DISTANCE as usize + 1;

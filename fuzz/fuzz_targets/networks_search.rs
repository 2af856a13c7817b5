//! What the networks' searches answer, as any server could answer it: every network's reading of
//! the bytes as its search's answer never panics, a hit always has an id, and the links it
//! gives are web addresses; a stored cursor read back is written out to the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_networks::search::fuzzing::{read_answers, read_cursor};

fuzz_target!(|data: &[u8]| {
    for (network, hit) in read_answers(data) {
        assert!(!hit.network_id.is_empty(), "{network}: a hit without an id");
        if let Some(url) = &hit.url {
            assert!(
                url.starts_with("https://") || url.starts_with("http://"),
                "{network}: {url}"
            );
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        assert_ne!(read_cursor(text), Some(false), "a cursor reads back the same");
    }
});

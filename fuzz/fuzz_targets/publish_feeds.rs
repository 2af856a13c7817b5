//! Feed documents (RSS, Atom, JSON Feed) as any server may send them, and weekly queue slots
//! as people type them: never a panic; at most MAX_ENTRIES entries, each with a key and only
//! web addresses; a slot read back from its label is the same slot.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_publish::feeds;
use relais_publish::plan::slots::WeeklySlot;

fuzz_target!(|data: &[u8]| {
    if let Ok(entries) = feeds::parse(data) {
        assert!(entries.len() <= feeds::MAX_ENTRIES);
        for e in &entries {
            assert!(!e.key.is_empty());
            if let Some(link) = &e.link {
                assert!(link.starts_with("https://") || link.starts_with("http://"));
            }
            let text = feeds::post_text(e);
            assert!(text.chars().count() <= 201 + 2 + e.link.as_ref().map_or(0, |l| l.chars().count()));
        }
    }
    let text = String::from_utf8_lossy(data);
    if let Ok(slot) = WeeklySlot::parse(&text) {
        assert_eq!(WeeklySlot::parse(&slot.label()), Ok(slot));
    }
});

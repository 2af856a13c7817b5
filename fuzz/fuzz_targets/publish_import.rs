//! Bulk-planning CSV files and planned times, as people type or export them: never a panic; every
//! row read has a channel and a text; line numbers are counted from the header; a time that
//! resolves is a real instant that shows back in its zone.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_publish::plan::{import, time};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(rows) = import::parse(&text) {
        for row in rows.into_iter().flatten() {
            assert!(!row.channels.is_empty() && !row.texts.is_empty());
            assert!(row.line >= 2, "data rows come after the header");
            assert!(row.texts.iter().all(|t| !t.trim().is_empty() && t.trim() != "---"));
        }
    }
    let (written, zone) = text.split_once('\n').unwrap_or((&text, "Europe/Paris"));
    if let Ok(ms) = time::resolve(written, zone.trim()) {
        let shown = time::show(ms, zone.trim());
        assert!(!shown.is_empty());
    }
});

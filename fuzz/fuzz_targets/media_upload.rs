//! Uploaded files and the composer's preview, as anyone may send them: never a panic; a
//! thumbnail is a JPEG that fits the side; a preview loses no text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_publish::Network;
use relais_publish::preview::preview;

fuzz_target!(|data: &[u8]| {
    if let Ok(thumb) = relais_media::thumbnail(data) {
        assert_eq!(relais_media::sniff(&thumb), Some("image/jpeg"));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        for network in Network::ALL {
            let p = preview(network, text);
            let shown: String = p.visible.iter().chain(&p.folded).map(|s| s.shown.as_str()).collect();
            // Where links are shown as written and no title is taken, the text comes back whole.
            let whole = !matches!(
                network,
                Network::X | Network::Mastodon | Network::YouTube | Network::WordPress
            );
            if whole {
                assert_eq!(shown, text);
            }
        }
    }
});

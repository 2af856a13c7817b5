//! What X, YouTube, Facebook, Instagram, Threads and LinkedIn send the inbox, as any server could send it: each
//! network's reading of its answers takes any bytes without panicking, and every message it
//! keeps has an id and an author, a repost no text of its own, and only web addresses as links.
//! The first byte picks the reader, so that the fuzzer can grow inputs for each.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_networks::inbox::{IncomingMessage, MessageKind};
use relais_networks::linkedin::inbox::fuzzing as linkedin;
use relais_networks::meta::inbox::fuzzing as meta;
use relais_networks::threads::inbox::fuzzing as threads;
use relais_networks::x::inbox::fuzzing as x;
use relais_networks::youtube::inbox::fuzzing as youtube;

fn check(m: &IncomingMessage) {
    assert!(!m.network_id.is_empty(), "a message without an id");
    if m.kind == MessageKind::Repost {
        assert!(m.text.is_empty(), "a repost has no text of its own");
    }
    let links = [&m.url, &m.author.avatar_url, &m.author.profile_url]
        .into_iter()
        .chain(m.subject.as_ref().map(|s| &s.url))
        .chain(m.parent.as_ref().map(|s| &s.url))
        .chain(m.root.as_ref().map(|s| &s.url))
        .flatten();
    for url in links {
        assert!(
            url.starts_with("https://") || url.starts_with("http://"),
            "{url}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((pick, body)) = data.split_first() else {
        return;
    };
    let messages = match pick % 11 {
        0 => x::read_mentions(body),
        1 => x::read_direct_messages(body),
        2 => youtube::read_page(body),
        3 => youtube::read_replies(body),
        4 => meta::read_facebook_feed(body),
        5 => meta::read_facebook_tagged(body),
        6 => meta::read_facebook_conversations(body),
        7 => meta::read_instagram_media(body),
        8 => threads::read_conversation(body),
        9 => threads::read_mentions(body),
        _ => linkedin::read_comments(body),
    };
    for m in &messages {
        check(m);
    }
    if let Ok(text) = std::str::from_utf8(body) {
        // A cursor read back and written again reads the same.
        if let Some(again) = x::read_cursor(text) {
            assert_eq!(x::read_cursor(&again).as_deref(), Some(again.as_str()));
        }
    }
});

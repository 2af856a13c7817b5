//! What a Mastodon instance sends the inbox, as any server could send it: a page of
//! notifications and the streaming API's bytes are read without panicking; every message has
//! an id, a repost no text, links are web addresses; and the stream reads the same however
//! its bytes are cut into packets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_networks::inbox::{IncomingMessage, MessageKind};
use relais_networks::mastodon::inbox::fuzzing::{read_notifications, read_stream};

fn check(m: &IncomingMessage) {
    assert!(!m.network_id.is_empty(), "a message without an id");
    assert!(!m.author.id.is_empty(), "a message without an author id");
    if m.kind == MessageKind::Repost {
        assert!(m.text.is_empty(), "a repost has no text of its own");
        assert!(m.subject.is_some(), "a repost of nothing");
    }
    let links = [&m.url, &m.author.avatar_url, &m.author.profile_url]
        .into_iter()
        .chain(m.subject.as_ref().map(|s| &s.url))
        .flatten();
    for url in links {
        assert!(
            url.starts_with("https://") || url.starts_with("http://"),
            "{url}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    for m in read_notifications(data) {
        check(&m);
    }
    let cut = data.first().map_or(0, |b| usize::from(*b));
    let (messages, same) = read_stream(data, cut);
    assert!(same, "the stream read differently when cut at {cut}");
    for m in messages {
        check(&m);
    }
});

//! What a Bluesky firehose or AppView could send the inbox: the bytes read as a
//! `subscribeRepos` frame (DAG-CBOR header and body, CAR blocks, CIDs), as a CAR file alone, as
//! one DAG-CBOR item, and as a `listNotifications` answer. Never a panic; a message always has
//! an `at://` id outside the brand's own repository, web addresses only, and a reason to be
//! there (a subject in the brand's repository, a reply in its threads); a frame's message has
//! a `b…` base32 CID.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_networks::bluesky::inbox_fuzzing::{
    BRAND, read_car, read_cbor, read_frame, read_notifications,
};
use relais_networks::inbox::{IncomingMessage, MessageKind, PostRef};

fn no_floats(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Number(n) => n.is_i64() || n.is_u64(),
        serde_json::Value::Array(items) => items.iter().all(no_floats),
        serde_json::Value::Object(map) => map.values().all(no_floats),
        _ => true,
    }
}

fn in_brand(r: &Option<PostRef>) -> bool {
    r.as_ref()
        .is_some_and(|r| r.id.starts_with(&format!("at://{BRAND}/")))
}

fn check(m: &IncomingMessage) {
    assert!(m.network_id.starts_with("at://"), "{}", m.network_id);
    assert!(
        !m.network_id.starts_with(&format!("at://{BRAND}/")),
        "the brand's own record"
    );
    assert_ne!(m.author.id, BRAND);
    for url in [&m.url, &m.author.profile_url, &m.author.avatar_url]
        .into_iter()
        .flatten()
    {
        assert!(
            url.starts_with("https://") || url.starts_with("http://"),
            "{url}"
        );
    }
    if m.subject.is_some() {
        assert!(
            in_brand(&m.subject),
            "a subject outside the brand's repository"
        );
    }
    if m.kind == MessageKind::Repost {
        assert!(m.text.is_empty());
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok((_, messages)) = read_frame(data, BRAND) {
        for m in &messages {
            check(m);
            let cid = m.version.as_deref().unwrap_or_default();
            assert!(
                cid.len() > 1
                    && cid.starts_with('b')
                    && cid[1..]
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)),
                "{cid}"
            );
            match m.kind {
                MessageKind::Reply => assert!(in_brand(&m.parent) || in_brand(&m.root)),
                MessageKind::Quote | MessageKind::Repost => assert!(in_brand(&m.subject)),
                _ => {}
            }
        }
    }
    let _ = read_car(data);
    if let Ok(value) = read_cbor(data) {
        assert!(no_floats(&value), "{value}");
    }
    for m in read_notifications(data) {
        check(&m);
    }
});

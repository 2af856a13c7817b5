//! Threads of posts, and what holds for every network.

use super::*;

#[test]
fn thread_parts_are_checked_and_numbered() {
    let parts = vec![
        Draft::text("first"),
        Draft::text("a".repeat(281)),
        Draft::text("third"),
    ];
    let p = check_thread(Network::X, &parts);
    assert_eq!(codes(&p), [ProblemCode::TextTooLong]);
    assert_eq!(p[0].part, Some(2));
    assert!(
        p[0].message_en
            .starts_with("Post 2: The text is 281 characters long for X")
    );
    assert!(
        p[0].message_fr
            .starts_with("Message 2 : Le texte fait 281 caractères pour X")
    );
    assert!(check_thread(Network::X, &parts[..1]).is_empty());
}

#[test]
fn thread_length_is_bounded() {
    let parts = vec![Draft::text("x"); MAX_THREAD_PARTS];
    assert!(check_thread(Network::Bluesky, &parts).is_empty());
    let parts = vec![Draft::text("x"); MAX_THREAD_PARTS + 1];
    let p = check_thread(Network::Bluesky, &parts);
    assert_eq!(codes(&p), [ProblemCode::ThreadTooLong]);
    assert_eq!(
        p[0].message_en,
        "The thread has 26 posts; Relais publishes at most 25 in a row: remove 1 or split the thread in two."
    );
    assert_eq!(p[0].part, None);
}

#[test]
fn thread_only_where_posts_can_be_chained() {
    let parts = vec![Draft::text("a"), Draft::text("b")];
    for n in [
        Network::X,
        Network::Bluesky,
        Network::Mastodon,
        Network::Threads,
    ] {
        assert!(check_thread(n, &parts).is_empty(), "{n}");
    }
    let p = check_thread(Network::LinkedIn, &parts);
    assert_eq!(codes(&p), [ProblemCode::ThreadNotSupported]);
    assert_eq!(
        codes(&check_thread(Network::X, &[])),
        [ProblemCode::EmptyThread]
    );
    // A single post is an ordinary post, even on LinkedIn.
    assert!(check_thread(Network::LinkedIn, &parts[..1]).is_empty());
}

#[test]
fn every_network_accepts_a_plain_short_post_where_media_is_not_required() {
    for n in Network::ALL {
        let mut draft = Draft::text("Bonjour à tous 👋 https://example.org").with_title("Titre");
        match n {
            Network::Instagram => draft.media.push(image("image/jpeg", 1000)),
            Network::YouTube => draft.media.push(video("video/mp4", 1000)),
            _ => {}
        }
        assert!(check(n, &draft).is_empty(), "{n}: {:?}", check(n, &draft));
    }
}

#[test]
fn problems_serialise_for_the_api() {
    let p = &check(Network::X, &Draft::text(""))[0];
    let json = serde_json::to_value(p).expect("serialise");
    assert_eq!(json["code"], "empty_post");
    assert_eq!(json["part"], serde_json::Value::Null);
    assert!(
        json["message_fr"]
            .as_str()
            .is_some_and(|m| m.contains("vide"))
    );
}

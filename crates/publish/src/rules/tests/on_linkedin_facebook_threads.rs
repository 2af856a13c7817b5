//! LinkedIn, Facebook and Threads.

use super::*;

#[test]
fn linkedin_3000_utf16_units() {
    assert!(check_text(Network::LinkedIn, &"a".repeat(3000)).is_empty());
    assert_eq!(
        check_text(Network::LinkedIn, &"a".repeat(3001)),
        [ProblemCode::TextTooLong]
    );
    // An emoji outside the BMP is 2 units: 1500 of them fill the post.
    assert!(check_text(Network::LinkedIn, &"😀".repeat(1500)).is_empty());
    assert_eq!(
        check_text(Network::LinkedIn, &"😀".repeat(1501)),
        [ProblemCode::TextTooLong]
    );
    assert!(check_text(Network::LinkedIn, &"中".repeat(3000)).is_empty());
    // Links count in full.
    assert_eq!(count(Network::LinkedIn, "https://example.com/abc").used, 23);
    assert!(
        check(
            Network::LinkedIn,
            &with_media("", vec![image("image/gif", 1); 20])
        )
        .is_empty()
    );
    assert_eq!(
        codes(&check(
            Network::LinkedIn,
            &with_media("", vec![image("image/png", 1); 21])
        )),
        [ProblemCode::TooManyImages]
    );
    assert_eq!(
        codes(&check(
            Network::LinkedIn,
            &with_media("", vec![image("image/webp", 1)])
        )),
        [ProblemCode::MediaTypeNotAccepted]
    );
}

#[test]
fn facebook_63206_characters() {
    assert!(check_text(Network::Facebook, &"a".repeat(63_206)).is_empty());
    let p = check(Network::Facebook, &Draft::text("a".repeat(63_210)));
    assert_eq!(codes(&p), [ProblemCode::TextTooLong]);
    assert!(
        p[0].message_en
            .contains("63,210 characters long for Facebook; the limit is 63,206: remove 4.")
    );
    assert!(
        check(
            Network::Facebook,
            &with_media("", vec![image("image/jpeg", 4_000_000); 10])
        )
        .is_empty()
    );
    assert_eq!(
        codes(&check(
            Network::Facebook,
            &with_media("", vec![image("image/jpeg", 1); 11])
        )),
        [ProblemCode::TooManyImages]
    );
}

#[test]
fn threads_counts_emoji_as_their_bytes() {
    assert!(check_text(Network::Threads, &"a".repeat(500)).is_empty());
    assert_eq!(
        check_text(Network::Threads, &"a".repeat(501)),
        [ProblemCode::TextTooLong]
    );
    assert_eq!(count(Network::Threads, "😀").used, 4);
    assert_eq!(count(Network::Threads, FAMILY).used, 25);
    assert_eq!(count(Network::Threads, E_COMBINING).used, 2, "code points");
    assert!(check_text(Network::Threads, &"😀".repeat(125)).is_empty());
    assert_eq!(
        check_text(Network::Threads, &"😀".repeat(126)),
        [ProblemCode::TextTooLong]
    );
    assert!(check_text(Network::Threads, &"中".repeat(500)).is_empty());
}

#[test]
fn threads_takes_at_most_five_distinct_links() {
    let five = "https://a.org https://b.org c.com/x d.com/y https://a.org www.e.com";
    assert!(
        check_text(Network::Threads, five).is_empty(),
        "a.org counted once"
    );
    let six = format!("{five} https://f.org");
    assert_eq!(
        check_text(Network::Threads, &six),
        [ProblemCode::TooManyLinks]
    );
}

#[test]
fn threads_carousel_mixes_but_takes_no_gif() {
    let mixed = with_media("", vec![image("image/png", 1), video("video/mp4", 1)]);
    assert!(check(Network::Threads, &mixed).is_empty());
    assert!(
        check(
            Network::Threads,
            &with_media("", vec![image("image/jpeg", 1); 20])
        )
        .is_empty()
    );
    assert_eq!(
        codes(&check(
            Network::Threads,
            &with_media("", vec![image("image/jpeg", 1); 21])
        )),
        [ProblemCode::TooManyImages]
    );
    assert_eq!(
        codes(&check(Network::Threads, &with_media("", vec![gif(1)]))),
        [ProblemCode::GifNotAccepted]
    );
}

//! Bluesky: graphemes and bytes, media.

use super::*;

#[test]
fn bluesky_300_graphemes() {
    assert!(check_text(Network::Bluesky, &"a".repeat(300)).is_empty());
    assert_eq!(
        check_text(Network::Bluesky, &"a".repeat(301)),
        [ProblemCode::TextTooLong]
    );
    assert_eq!(count(Network::Bluesky, E_COMBINING).used, 1);
    assert_eq!(count(Network::Bluesky, FAMILY).used, 1);
    assert_eq!(count(Network::Bluesky, "中文").used, 2);
    assert!(check_text(Network::Bluesky, &E_COMBINING.repeat(300)).is_empty());
    // Links count in full on Bluesky.
    let url = format!("https://example.com/{}", "x".repeat(281));
    assert_eq!(count(Network::Bluesky, &url).used, 301);
}

#[test]
fn bluesky_3000_bytes_too() {
    // 120 families: 120 graphemes but 3000 bytes, exactly at the byte limit.
    assert!(check_text(Network::Bluesky, &FAMILY.repeat(120)).is_empty());
    let p = check(Network::Bluesky, &Draft::text(FAMILY.repeat(121)));
    assert_eq!(codes(&p), [ProblemCode::TextTooManyBytes]);
    assert!(
        p[0].message_en.contains("3,025 bytes"),
        "{}",
        p[0].message_en
    );
    assert!(
        p[0].message_en.contains("remove 25 bytes"),
        "{}",
        p[0].message_en
    );
    assert!(
        p[0].message_fr.contains("3\u{a0}025 octets"),
        "{}",
        p[0].message_fr
    );
    // Both limits at once.
    let both = format!("{}{}", FAMILY.repeat(121), "a".repeat(200));
    assert_eq!(
        check_text(Network::Bluesky, &both),
        [ProblemCode::TextTooLong, ProblemCode::TextTooManyBytes]
    );
}

#[test]
fn bluesky_media_rules() {
    assert!(
        check(
            Network::Bluesky,
            &with_media("", vec![image("image/jpeg", 1_000_000); 4])
        )
        .is_empty()
    );
    let p = check(
        Network::Bluesky,
        &with_media("", vec![image("image/jpeg", 1_000_001)]),
    );
    assert_eq!(codes(&p), [ProblemCode::MediaTooLarge]);
    assert!(
        p[0].message_en
            .starts_with("Image 1 weighs 1,000,001 bytes; Bluesky takes at most 1,000,000 bytes"),
        "{}",
        p[0].message_en
    );
    let p = check(
        Network::Bluesky,
        &with_media("", vec![image("image/jpeg", 2_500_000)]),
    );
    assert!(
        p[0].message_en
            .starts_with("Image 1 weighs 2.5 MB; Bluesky takes at most 1 MB"),
        "{}",
        p[0].message_en
    );
    assert!(
        p[0].message_fr
            .starts_with("L’image 1 pèse 2,5 Mo ; Bluesky accepte au plus 1 Mo"),
        "{}",
        p[0].message_fr
    );

    assert_eq!(
        codes(&check(
            Network::Bluesky,
            &with_media("", vec![image("image/png", 1); 5])
        )),
        [ProblemCode::TooManyImages]
    );
    assert_eq!(
        codes(&check(
            Network::Bluesky,
            &with_media("", vec![video("video/quicktime", 1)])
        )),
        [ProblemCode::MediaTypeNotAccepted]
    );
    assert_eq!(
        codes(&check(
            Network::Bluesky,
            &with_media("", vec![image("image/png", 1), video("video/mp4", 1)])
        )),
        [ProblemCode::MixedMedia]
    );
    // A GIF goes as a (still) image there.
    assert!(
        check(
            Network::Bluesky,
            &with_media("", vec![gif(900_000), image("image/png", 1)])
        )
        .is_empty()
    );

    let alt = image("image/png", 1).with_alt(FAMILY.repeat(2000));
    assert!(
        check(Network::Bluesky, &with_media("", vec![alt])).is_empty(),
        "graphemes"
    );
    let alt = image("image/png", 1).with_alt("a".repeat(2001));
    assert_eq!(
        codes(&check(Network::Bluesky, &with_media("", vec![alt]))),
        [ProblemCode::AltTextTooLong]
    );
    let alt = video("video/mp4", 1).with_alt("a".repeat(1001));
    assert_eq!(
        codes(&check(Network::Bluesky, &with_media("", vec![alt]))),
        [ProblemCode::AltTextTooLong]
    );
}

//! X: weighted length, links, emoji, CJK, media.

use super::*;

#[test]
fn x_exactly_280_passes_281_fails_with_figures() {
    assert!(check_text(Network::X, &"a".repeat(280)).is_empty());
    let problems = check(Network::X, &Draft::text("a".repeat(312)));
    assert_eq!(codes(&problems), [ProblemCode::TextTooLong]);
    assert!(
        problems[0]
            .message_en
            .starts_with("The text is 312 characters long for X; the limit is 280: remove 32.")
    );
    assert!(
        problems[0].message_fr.starts_with(
            "Le texte fait 312 caractères pour X ; la limite est 280 : retirez-en 32."
        )
    );
    assert_eq!(
        check_text(Network::X, &"a".repeat(281)),
        [ProblemCode::TextTooLong]
    );
}

#[test]
fn x_cjk_counts_double() {
    assert_eq!(count(Network::X, "中").used, 2);
    assert!(
        check_text(Network::X, &"中".repeat(140)).is_empty(),
        "140 CJK = 280"
    );
    assert_eq!(
        check_text(Network::X, &"中".repeat(141)),
        [ProblemCode::TextTooLong]
    );
    // 279 Latin + one CJK character = 281.
    assert_eq!(
        check_text(Network::X, &format!("{}中", "a".repeat(279))),
        [ProblemCode::TextTooLong]
    );
}

#[test]
fn x_emoji_sequences_count_two() {
    assert_eq!(count(Network::X, FAMILY).used, 2);
    assert_eq!(count(Network::X, "👍🏽").used, 2);
    assert_eq!(count(Network::X, "🇫🇷").used, 2);
    assert!(check_text(Network::X, &FAMILY.repeat(140)).is_empty());
    assert_eq!(
        check_text(Network::X, &FAMILY.repeat(141)),
        [ProblemCode::TextTooLong]
    );
}

#[test]
fn x_normalises_combining_accents() {
    assert_eq!(count(Network::X, E_COMBINING).used, 1);
    assert!(check_text(Network::X, &E_COMBINING.repeat(280)).is_empty());
}

#[test]
fn x_links_count_23_whatever_their_length() {
    let url = format!("https://example.com/{}", "x".repeat(500));
    assert_eq!(count(Network::X, &url).used, 23);
    // 256 + a space + 23 = 280 exactly.
    let text = format!("{} {url}", "a".repeat(256));
    assert!(check_text(Network::X, &text).is_empty());
    let text = format!("{} {url}", "a".repeat(257));
    assert_eq!(check_text(Network::X, &text), [ProblemCode::TextTooLong]);
    assert_eq!(
        count(Network::X, "example.com").used,
        23,
        "bare domains too"
    );
}

#[test]
fn x_refuses_invalid_characters_and_empty_posts() {
    assert_eq!(
        check_text(Network::X, "hi\u{FEFF}"),
        [ProblemCode::ForbiddenCharacter]
    );
    let p = &check(Network::X, &Draft::text("a\u{FFFE}"))[0];
    assert!(p.message_en.contains("U+FFFE"), "{}", p.message_en);
    assert_eq!(check_text(Network::X, ""), [ProblemCode::EmptyPost]);
    assert_eq!(check_text(Network::X, "  \n "), [ProblemCode::EmptyPost]);
    let media_only = with_media("", vec![image("image/png", 10)]);
    assert!(check(Network::X, &media_only).is_empty());
}

#[test]
fn x_media_rules() {
    let four = with_media("x", vec![image("image/jpeg", 1000); 4]);
    assert!(check(Network::X, &four).is_empty());
    let five = with_media("x", vec![image("image/jpeg", 1000); 5]);
    assert_eq!(
        codes(&check(Network::X, &five)),
        [ProblemCode::TooManyImages]
    );

    let heavy = with_media("x", vec![image("image/png", 5_000_001)]);
    let p = check(Network::X, &heavy);
    assert_eq!(codes(&p), [ProblemCode::MediaTooLarge]);
    assert!(
        p[0].message_en.contains("5,000,001 bytes"),
        "{}",
        p[0].message_en
    );
    assert!(
        check(
            Network::X,
            &with_media("x", vec![image("image/png", 5_000_000)])
        )
        .is_empty()
    );

    let mixed = with_media("x", vec![image("image/png", 10), video("video/mp4", 10)]);
    assert_eq!(codes(&check(Network::X, &mixed)), [ProblemCode::MixedMedia]);

    let gif_and_image = with_media("x", vec![gif(10), image("image/png", 10)]);
    assert_eq!(
        codes(&check(Network::X, &gif_and_image)),
        [ProblemCode::GifNotAlone]
    );
    assert!(check(Network::X, &with_media("x", vec![gif(15_000_000)])).is_empty());
    assert_eq!(
        codes(&check(Network::X, &with_media("x", vec![gif(15_000_001)]))),
        [ProblemCode::MediaTooLarge]
    );

    let bmp = with_media("x", vec![image("image/bmp", 10)]);
    let p = check(Network::X, &bmp);
    assert_eq!(codes(&p), [ProblemCode::MediaTypeNotAccepted]);
    assert!(
        p[0].message_en.ends_with("use JPEG, PNG, WebP or GIF."),
        "{}",
        p[0].message_en
    );
    assert!(
        p[0].message_fr
            .ends_with("utilisez JPEG, PNG, WebP ou GIF."),
        "{}",
        p[0].message_fr
    );

    let two_videos = with_media("x", vec![video("video/mp4", 10); 2]);
    assert_eq!(
        codes(&check(Network::X, &two_videos)),
        [ProblemCode::TooManyVideos]
    );
    assert!(
        check(
            Network::X,
            &with_media("x", vec![video("video/quicktime", 512_000_000)])
        )
        .is_empty()
    );
}

#[test]
fn x_alt_text_limit() {
    let ok = image("image/png", 10).with_alt("a".repeat(1000));
    assert!(check(Network::X, &with_media("x", vec![ok])).is_empty());
    let long = image("image/png", 10).with_alt("a".repeat(1001));
    let p = check(Network::X, &with_media("x", vec![long]));
    assert_eq!(codes(&p), [ProblemCode::AltTextTooLong]);
    assert_eq!(
        p[0].message_en,
        "The description of image 1 is 1,001 characters long; X takes at most 1,000: remove 1."
    );
    assert_eq!(
        p[0].message_fr,
        "La description de l’image 1 fait 1\u{a0}001 caractères ; X en accepte au plus 1\u{a0}000 : retirez-en 1."
    );
}

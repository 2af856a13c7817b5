//! Instagram: media required, carousel, hashtags and mentions.

use super::*;

#[test]
fn instagram_needs_media_and_a_short_caption() {
    let p = check(Network::Instagram, &Draft::text("caption"));
    assert_eq!(codes(&p), [ProblemCode::MediaRequired]);
    assert_eq!(
        p[0].message_fr,
        "Instagram demande au moins une image ou une vidéo : joignez-en une."
    );
    assert_eq!(
        check_text(Network::Instagram, ""),
        [ProblemCode::MediaRequired]
    );

    let jpeg = || image("image/jpeg", 8_000_000);
    assert!(
        check(
            Network::Instagram,
            &with_media(&"a".repeat(2200), vec![jpeg()])
        )
        .is_empty()
    );
    assert_eq!(
        codes(&check(
            Network::Instagram,
            &with_media(&"a".repeat(2201), vec![jpeg()])
        )),
        [ProblemCode::TextTooLong]
    );
    assert_eq!(
        codes(&check(
            Network::Instagram,
            &with_media("", vec![image("image/png", 1)])
        )),
        [ProblemCode::MediaTypeNotAccepted]
    );
    assert_eq!(
        codes(&check(
            Network::Instagram,
            &with_media("", vec![image("image/jpeg", 8_000_001)])
        )),
        [ProblemCode::MediaTooLarge]
    );
}

#[test]
fn instagram_carousel_of_ten_mixed() {
    let mut media = vec![image("image/jpeg", 1); 6];
    media.extend(vec![video("video/mp4", 1); 4]);
    assert!(check(Network::Instagram, &with_media("", media.clone())).is_empty());
    media.push(video("video/mp4", 1));
    let p = check(Network::Instagram, &with_media("", media));
    assert_eq!(codes(&p), [ProblemCode::TooManyMedia]);
    assert!(
        p[0].message_en
            .starts_with("The post has 11 attachments; Instagram takes at most 10: remove 1.")
    );
}

#[test]
fn instagram_hashtag_and_mention_limits() {
    let tags: String = (0..30).map(|i| format!("#t{i} ")).collect();
    let jpeg = vec![image("image/jpeg", 1)];
    assert!(check(Network::Instagram, &with_media(&tags, jpeg.clone())).is_empty());
    let p = check(
        Network::Instagram,
        &with_media(&format!("{tags}#extra"), jpeg.clone()),
    );
    assert_eq!(codes(&p), [ProblemCode::TooManyHashtags]);
    assert!(p[0].message_en.contains("31 hashtags"));
    let mentions: String = (0..21).map(|i| format!("@u{i} ")).collect();
    assert_eq!(
        codes(&check(
            Network::Instagram,
            &with_media(&mentions, jpeg.clone())
        )),
        [ProblemCode::TooManyMentions]
    );
    // Not tags or mentions: a#b, an e-mail address.
    let words = "a#b ".repeat(40) + &"me@example.com ".repeat(30);
    assert!(check(Network::Instagram, &with_media(&words, jpeg)).is_empty());
}

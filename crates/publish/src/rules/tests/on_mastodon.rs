//! Mastodon: graphemes, links and remote mentions, content warning, instance settings.

use super::*;

#[test]
fn mastodon_500_graphemes() {
    assert!(check_text(Network::Mastodon, &"a".repeat(500)).is_empty());
    assert_eq!(
        check_text(Network::Mastodon, &"a".repeat(501)),
        [ProblemCode::TextTooLong]
    );
    // Graphemes: a family or a decomposed é counts 1, a CJK character 1.
    assert!(check_text(Network::Mastodon, &FAMILY.repeat(500)).is_empty());
    assert!(check_text(Network::Mastodon, &E_COMBINING.repeat(500)).is_empty());
    assert!(check_text(Network::Mastodon, &"中".repeat(500)).is_empty());
    assert_eq!(
        check_text(Network::Mastodon, &"中".repeat(501)),
        [ProblemCode::TextTooLong]
    );
}

#[test]
fn mastodon_links_and_remote_mentions() {
    let url = format!("https://example.com/{}", "x".repeat(600));
    assert_eq!(count(Network::Mastodon, &url).used, 23);
    let text = format!("{} {url}", "a".repeat(476));
    assert!(check_text(Network::Mastodon, &text).is_empty());
    let text = format!("{} {url}", "a".repeat(477));
    assert_eq!(
        check_text(Network::Mastodon, &text),
        [ProblemCode::TextTooLong]
    );

    let mention = "@someone@a-very-long-instance-name.example.social";
    assert_eq!(count(Network::Mastodon, mention).used, "@someone".len());
    // Bare domains are counted in full there.
    assert_eq!(count(Network::Mastodon, "example.com").used, 11);
}

#[test]
fn mastodon_counts_the_content_warning_and_follows_the_instance() {
    let draft = Draft {
        text: "a".repeat(490),
        content_warning: Some("spoilers!!".repeat(2)),
        ..Draft::default()
    };
    let p = check(Network::Mastodon, &draft);
    assert_eq!(codes(&p), [ProblemCode::TextTooLong]);
    assert!(
        p[0].message_en.contains("510 characters"),
        "{}",
        p[0].message_en
    );

    let big = CheckOptions {
        mastodon: MastodonInstance {
            max_characters: 5000,
            ..MastodonInstance::default()
        },
    };
    assert!(check_with(Network::Mastodon, &draft, &big).is_empty());
    let counted = count_draft(Network::Mastodon, &draft, &big);
    assert_eq!((counted.used, counted.limit), (510, Some(5000)));

    let cw_only = Draft {
        content_warning: Some("cw".to_owned()),
        ..Draft::default()
    };
    assert!(
        check(Network::Mastodon, &cw_only).is_empty(),
        "a CW alone is not empty"
    );
}

#[test]
fn mastodon_media_rules() {
    let mib = 1024 * 1024;
    assert!(
        check(
            Network::Mastodon,
            &with_media("", vec![image("image/heic", 16 * mib)])
        )
        .is_empty()
    );
    assert_eq!(
        codes(&check(
            Network::Mastodon,
            &with_media("", vec![image("image/png", 16 * mib + 1)])
        )),
        [ProblemCode::MediaTooLarge]
    );
    assert!(
        check(
            Network::Mastodon,
            &with_media("", vec![video("video/webm", 99 * mib)])
        )
        .is_empty()
    );
    assert_eq!(
        codes(&check(
            Network::Mastodon,
            &with_media("", vec![video("video/mp4", 99 * mib + 1)])
        )),
        [ProblemCode::MediaTooLarge]
    );
    assert_eq!(
        codes(&check(
            Network::Mastodon,
            &with_media("", vec![image("image/png", 1); 5])
        )),
        [ProblemCode::TooManyImages]
    );
    assert_eq!(
        codes(&check(
            Network::Mastodon,
            &with_media("", vec![gif(1), image("image/png", 1)])
        )),
        [ProblemCode::GifNotAlone]
    );
    let alt = image("image/png", 1).with_alt("é".repeat(1500));
    assert!(
        check(Network::Mastodon, &with_media("", vec![alt])).is_empty(),
        "code points"
    );
    let alt = image("image/png", 1).with_alt("é".repeat(1501));
    assert_eq!(
        codes(&check(Network::Mastodon, &with_media("", vec![alt]))),
        [ProblemCode::AltTextTooLong]
    );
}

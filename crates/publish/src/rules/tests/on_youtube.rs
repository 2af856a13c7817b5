//! YouTube: video, title and description.

use super::*;

fn youtube_draft(title: &str, description: &str) -> Draft {
    with_media(description, vec![video("video/mp4", 1)]).with_title(title)
}

#[test]
fn youtube_needs_a_video_and_a_title() {
    assert!(check(Network::YouTube, &youtube_draft("Title", "")).is_empty());
    assert_eq!(
        codes(&check(
            Network::YouTube,
            &Draft::text("desc").with_title("T")
        )),
        [ProblemCode::VideoRequired]
    );
    assert_eq!(
        codes(&check(Network::YouTube, &youtube_draft("  ", "desc"))),
        [ProblemCode::TitleRequired]
    );
    let mut d = youtube_draft("T", "");
    d.media = vec![image("image/png", 1)];
    assert_eq!(
        codes(&check(Network::YouTube, &d)),
        [ProblemCode::TooManyImages, ProblemCode::VideoRequired]
    );
    assert!(
        check(
            Network::YouTube,
            &with_media("", vec![video("video/x-matroska", 1)]).with_title("T")
        )
        .is_empty()
    );
}

#[test]
fn youtube_title_100_characters_description_5000_bytes() {
    assert!(check(Network::YouTube, &youtube_draft(&"t".repeat(100), "")).is_empty());
    let p = check(Network::YouTube, &youtube_draft(&"t".repeat(101), ""));
    assert_eq!(codes(&p), [ProblemCode::TitleTooLong]);
    assert!(
        p[0].message_en.starts_with(
            "The title is 101 characters long for YouTube; the limit is 100: remove 1."
        )
    );

    assert!(check(Network::YouTube, &youtube_draft("T", &"a".repeat(5000))).is_empty());
    // 2500 "é" are 2500 characters but 5000 bytes: at the limit; one more is over.
    assert!(check(Network::YouTube, &youtube_draft("T", &"é".repeat(2500))).is_empty());
    let p = check(Network::YouTube, &youtube_draft("T", &"é".repeat(2501)));
    assert_eq!(codes(&p), [ProblemCode::TextTooManyBytes]);
    assert!(
        p[0].message_en
            .starts_with("The description takes 5,002 bytes for YouTube"),
        "{}",
        p[0].message_en
    );
    assert!(
        p[0].message_fr
            .starts_with("La description occupe 5\u{a0}002 octets pour YouTube"),
        "{}",
        p[0].message_fr
    );
    let c = count_draft(
        Network::YouTube,
        &youtube_draft("T", "ab"),
        &CheckOptions::default(),
    );
    assert_eq!((c.used, c.limit, c.unit), (2, Some(5000), Unit::Bytes));
}

#[test]
fn youtube_refuses_angle_brackets() {
    let p = check(Network::YouTube, &youtube_draft("a <b>", "x > y"));
    assert_eq!(
        codes(&p),
        [
            ProblemCode::ForbiddenCharacter,
            ProblemCode::ForbiddenCharacter
        ]
    );
    assert_eq!(
        p[0].message_en,
        "The title contains “<”, which YouTube refuses: remove it."
    );
    assert_eq!(
        p[1].message_fr,
        "La description contient « > », que YouTube refuse : retirez-le."
    );
}

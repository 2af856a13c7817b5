//! WordPress and webhooks, and the counter itself.

use super::*;

#[test]
fn wordpress_needs_only_a_title() {
    let long = "a".repeat(200_000);
    assert!(check(Network::WordPress, &Draft::text(&long).with_title("Hello")).is_empty());
    let p = check(Network::WordPress, &Draft::text("body"));
    assert_eq!(codes(&p), [ProblemCode::TitleRequired]);
    assert_eq!(p[0].message_en, "WordPress needs a title: add one.");
    assert_eq!(
        p[0].message_fr,
        "WordPress demande un titre : ajoutez-en un."
    );
    assert_eq!(count(Network::WordPress, &long).limit, None);
}

#[test]
fn webhook_takes_anything() {
    assert!(check(Network::Webhook, &Draft::default()).is_empty());
    let anything = with_media(
        &"x".repeat(100_000),
        vec![MediaInfo::new(MediaKind::Gif, "application/pdf", u64::MAX); 50],
    );
    assert!(check(Network::Webhook, &anything).is_empty());
    let c = count(Network::Webhook, "abc");
    assert_eq!(
        (c.used, c.limit, c.remaining(), c.is_over()),
        (3, None, None, false)
    );
}

// ---------------------------------------------------------------- count

#[test]
fn count_reports_remaining_and_over() {
    let c = count(Network::X, &"a".repeat(290));
    assert_eq!((c.used, c.limit), (290, Some(280)));
    assert_eq!(c.remaining(), Some(-10));
    assert!(c.is_over());
    let c = count(Network::Bluesky, "hi");
    assert_eq!(
        (c.remaining(), c.is_over(), c.unit),
        (Some(298), false, Unit::Graphemes)
    );
}

#[test]
fn one_text_counts_differently_on_each_network() {
    let text = format!("{FAMILY} {E_COMBINING} 中 https://example.com/a/long/path");
    let used = |n| count(n, &text).used;
    assert_eq!(used(Network::X), 2 + 1 + 1 + 1 + 2 + 1 + 23);
    assert_eq!(used(Network::Mastodon), 1 + 1 + 1 + 1 + 1 + 1 + 23);
    assert_eq!(used(Network::Bluesky), 1 + 1 + 1 + 1 + 1 + 1 + 31);
    assert_eq!(used(Network::LinkedIn), 11 + 1 + 2 + 1 + 1 + 1 + 31);
    assert_eq!(used(Network::Threads), 25 + 1 + 2 + 1 + 1 + 1 + 31);
}

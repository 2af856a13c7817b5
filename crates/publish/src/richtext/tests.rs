use super::*;

/// (slice of the text, kind) for each facet, which reads better than offsets.
fn found(text: &str) -> Vec<(&str, FacetKind)> {
    facets(text)
        .into_iter()
        .map(|f| (&text[f.start..f.end], f.kind))
        .collect()
}

fn link(s: &str) -> FacetKind {
    FacetKind::Link(s.to_owned())
}
fn mention(s: &str) -> FacetKind {
    FacetKind::Mention(s.to_owned())
}
fn tag(s: &str) -> FacetKind {
    FacetKind::Tag(s.to_owned())
}

#[test]
fn offsets_are_utf8_bytes_not_characters() {
    // "🎉 " is 5 bytes but 2 characters; "é" 2 bytes; each CJK character 3 bytes.
    let text = "🎉 Café 中文 https://example.com #fête @alice.bsky.social";
    let f = facets(text);
    assert_eq!(f.len(), 3);

    let link_start = text.find("https").expect("link");
    assert_eq!(link_start, 4 + 1 + 5 + 1 + 6 + 1, "bytes, not chars");
    assert_ne!(link_start, text[..link_start].chars().count());
    assert_eq!((f[0].start, f[0].end), (link_start, link_start + 19));
    assert_eq!(f[0].kind, link("https://example.com"));

    let tag_start = text.find('#').expect("tag");
    assert_eq!(
        (f[1].start, f[1].end),
        (tag_start, tag_start + "#fête".len())
    );
    assert_eq!(f[1].kind, tag("fête"));

    let at = text.find('@').expect("mention");
    assert_eq!((f[2].start, f[2].end), (at, text.len()));
    assert_eq!(f[2].kind, mention("alice.bsky.social"));
}

#[test]
fn family_emoji_before_a_link() {
    let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}";
    let text = format!("{family} https://a.org");
    let f = facets(&text);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].start, 25 + 1);
    assert_eq!(&text[f[0].start..f[0].end], "https://a.org");
}

#[test]
fn links_lose_trailing_punctuation() {
    assert_eq!(
        found("Read https://a.org/x."),
        [("https://a.org/x", link("https://a.org/x"))]
    );
    assert_eq!(
        found("https://a.org, then"),
        [("https://a.org", link("https://a.org"))]
    );
    assert_eq!(
        found("(see https://a.org/x)"),
        [("https://a.org/x", link("https://a.org/x"))]
    );
    assert_eq!(
        found("https://a.org/?q=1!?"),
        [("https://a.org/?q=1", link("https://a.org/?q=1"))]
    );
    assert_eq!(
        found("« https://a.org/b »"),
        [("https://a.org/b", link("https://a.org/b"))]
    );
}

#[test]
fn balanced_parentheses_stay_in_the_link() {
    let url = "https://en.wikipedia.org/wiki/Foo_(bar)";
    assert_eq!(found(url), [(url, link(url))]);
    assert_eq!(found(&format!("({url})")), [(url, link(url))]);
    assert_eq!(found(&format!("See {url}.")), [(url, link(url))]);
}

#[test]
fn bare_domains_are_not_links_on_bluesky() {
    assert!(found("example.com/path").is_empty());
}

#[test]
fn mentions_need_a_valid_handle() {
    assert_eq!(
        found("hi @alice.bsky.social!"),
        [("@alice.bsky.social", mention("alice.bsky.social"))]
    );
    assert_eq!(
        found("@Bob.Example.COM."),
        [("@Bob.Example.COM", mention("bob.example.com"))]
    );
    assert_eq!(found("(@a-b.c.d)"), [("@a-b.c.d", mention("a-b.c.d"))]);
    assert!(found("@not_a_handle").is_empty());
    assert!(found("@alice").is_empty(), "one label");
    assert!(found("@alice.123").is_empty(), "numeric TLD");
    assert!(found("@alice.1abc").is_empty(), "TLD starting with a digit");
    assert!(found("@-alice.com").is_empty());
    assert!(found("@alice-.com").is_empty());
    assert!(found("@alice..com").is_empty());
    assert!(
        found("write to me@example.com").is_empty(),
        "an e-mail address"
    );
    assert!(found("@alice.bsky.socialé").is_empty());
    assert!(found("@").is_empty());
}

#[test]
fn hashtags_in_any_script() {
    assert_eq!(found("#rust"), [("#rust", tag("rust"))]);
    assert_eq!(found("vive la #fête!"), [("#fête", tag("fête"))]);
    assert_eq!(found("#日本語 text"), [("#日本語", tag("日本語"))]);
    assert_eq!(found("#Привет, мир"), [("#Привет", tag("Привет"))]);
    assert_eq!(found("#हिन्दी"), [("#हिन्दी", tag("हिन्दी"))]);
    assert_eq!(found("#snake_case_"), [("#snake_case", tag("snake_case"))]);
    assert_eq!(
        found("#2024election"),
        [("#2024election", tag("2024election"))]
    );
    assert_eq!(found("＃全角"), [("＃全角", tag("全角"))]);
    assert_eq!(found("(#tag)"), [("#tag", tag("tag"))]);
}

#[test]
fn what_is_not_a_hashtag() {
    assert!(found("#123").is_empty(), "a number");
    assert!(found("#123_").is_empty());
    assert!(found("a#b").is_empty(), "inside a word");
    assert!(found("C#").is_empty());
    assert!(found("# heading").is_empty());
    assert!(found("#").is_empty());
    assert!(found("#_").is_empty());
    assert!(
        found(&format!("#{}", "a".repeat(65))).is_empty(),
        "too long"
    );
    assert_eq!(
        found(&format!("#{}", "a".repeat(64))).len(),
        1,
        "64 is fine"
    );
    // 64 graphemes, more code points: still a tag.
    let long_accented = format!("#{}", "e\u{301}".repeat(64));
    assert_eq!(found(&long_accented).len(), 1);
}

#[test]
fn facets_inside_a_link_belong_to_the_link() {
    let url = "https://example.com/@alice.bsky.social/#section";
    assert_eq!(found(url), [(url, link(url))]);
}

#[test]
fn a_link_wins_over_a_tag_that_runs_into_it() {
    assert_eq!(
        found("#tag_https://a.org"),
        [("https://a.org", link("https://a.org"))]
    );
}

#[test]
fn several_facets_in_order() {
    let text = "#a @b.cd https://e.fg #h";
    let kinds: Vec<FacetKind> = facets(text).into_iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [tag("a"), mention("b.cd"), link("https://e.fg"), tag("h")]
    );
}

#[test]
fn facets_serialise_with_their_type() {
    let f = &facets("#x")[0];
    let json = serde_json::to_string(f).expect("serialise");
    assert_eq!(
        json,
        r#"{"start":0,"end":2,"kind":{"type":"tag","value":"x"}}"#
    );
}

#[test]
fn the_bluesky_adapter_example() {
    let text = "é @known.test @ghost.test #Fête https://a.example/x";
    let f = facets(text);
    let kinds: Vec<&FacetKind> = f.iter().map(|f| &f.kind).collect();
    assert_eq!(
        kinds,
        [
            &mention("known.test"),
            &mention("ghost.test"),
            &tag("Fête"),
            &link("https://a.example/x")
        ]
    );
    assert_eq!(f[0].start, "é ".len());
}

//! Feeds arbitrary text to `relais-publish`'s composer rules and Bluesky facets.
//!
//! Besides "never panics" (counting, checking a post and a thread on every network, with
//! attachments made up from the input), it checks what the rules promise: the counter and the
//! length check agree, every problem says something in both languages, and facets are byte
//! ranges on character boundaries, in order, without overlap, inside the text, whose slice is
//! what their kind says (a link starts with http(s)://, a mention is `@` + a valid handle, a
//! tag is `#` + a tag that is not only digits and at most 64 graphemes).

#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_publish::richtext::{FacetKind, MAX_TAG_GRAPHEMES, facets, is_valid_handle};
use relais_publish::rules::measure::graphemes;
use relais_publish::rules::{
    Draft, MediaInfo, MediaKind, Network, ProblemCode, Unit, check, check_thread, count,
};

const MIMES: [&str; 8] = [
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "video/mp4",
    "video/quicktime",
    "application/pdf",
    "IMAGE/JPG; q=1",
];

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();

    // Up to 12 attachments made up from the first bytes.
    let media: Vec<MediaInfo> = data
        .iter()
        .take(12)
        .enumerate()
        .map(|(i, &b)| {
            let kind = match b % 3 {
                0 => MediaKind::Image,
                1 => MediaKind::Video,
                _ => MediaKind::Gif,
            };
            let mut m = MediaInfo::new(
                kind,
                MIMES[usize::from(b) % MIMES.len()],
                u64::from(b) << (i * 3),
            );
            if b % 2 == 0 {
                m.alt = Some(text.chars().skip(i).collect());
            }
            m
        })
        .collect();

    let plain = Draft::text(text);
    let full = Draft {
        text: text.to_owned(),
        media,
        title: Some(text.chars().take(120).collect()),
        content_warning: Some(text.chars().rev().take(30).collect()),
    };
    let parts: Vec<Draft> = text.split("\n\n").take(30).map(Draft::text).collect();

    for network in Network::ALL {
        let counted = count(network, text);
        let problems = check(network, &plain);
        if counted.unit != Unit::Bytes {
            let too_long = problems.iter().any(|p| p.code == ProblemCode::TextTooLong);
            assert_eq!(
                counted.is_over(),
                too_long,
                "{network}: counter and check disagree"
            );
        }
        for p in problems
            .iter()
            .chain(check(network, &full).iter())
            .chain(check_thread(network, &parts).iter())
        {
            assert!(
                !p.message_en.is_empty() && !p.message_fr.is_empty(),
                "{p:?}"
            );
        }
    }

    let found = facets(text);
    let mut previous_end = 0;
    for f in &found {
        assert!(f.start < f.end, "empty facet {f:?}");
        assert!(f.end <= text.len(), "facet past the end {f:?}");
        assert!(
            f.start >= previous_end,
            "facets overlap or are out of order: {found:?}"
        );
        assert!(
            text.is_char_boundary(f.start) && text.is_char_boundary(f.end),
            "{f:?}"
        );
        previous_end = f.end;
        let slice = &text[f.start..f.end];
        match &f.kind {
            FacetKind::Link(uri) => {
                assert_eq!(slice, uri);
                let lower = slice.to_ascii_lowercase();
                assert!(
                    lower.starts_with("http://") || lower.starts_with("https://"),
                    "{slice:?}"
                );
            }
            FacetKind::Mention(handle) => {
                let written = slice.strip_prefix('@').expect("a mention starts with @");
                assert_eq!(&written.to_ascii_lowercase(), handle);
                assert!(is_valid_handle(handle), "{handle:?}");
            }
            FacetKind::Tag(tag) => {
                let written = slice
                    .strip_prefix('#')
                    .or_else(|| slice.strip_prefix('＃'))
                    .expect("a tag starts with #");
                assert_eq!(written, tag);
                assert!(!tag.chars().all(char::is_numeric), "{tag:?}");
                assert!(graphemes(tag) <= MAX_TAG_GRAPHEMES, "{tag:?}");
            }
        }
    }
});

//! How a post's text will look on each network, for the composer's preview: which words become
//! links, mentions and hashtags, how a long link is shown, and where the network folds a long
//! text behind its "see more". Drawn from how each network's own apps show a post today; the
//! figures are approximations of a moving target, so the preview says "about" where it folds.
//!
//! Pure: the web page turns the segments into elements (as text, never as HTML).

use serde::Serialize;

use crate::richtext::{FacetKind, facets};
use crate::rules::Network;
use crate::rules::measure::graphemes;
use crate::rules::url::find_urls;

/// What a run of the text is on the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentKind {
    Text,
    Link,
    Mention,
    Tag,
}

/// A run of the text as the network shows it. `shown` may be shorter than what was written (a
/// long link); `target` is where a click goes, for links.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub kind: SegmentKind,
    pub shown: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// One part of a post as the network shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PartPreview {
    /// The title the network shows above the text (YouTube, WordPress), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What is visible before the reader asks for more.
    pub visible: Vec<Segment>,
    /// What a "see more" reveals; empty when nothing is folded.
    pub folded: Vec<Segment>,
}

/// How a network shows text.
struct Style {
    /// Links, mentions and tags are clickable at all (Instagram captions are plain text).
    clickable: bool,
    /// Links written without `http(s)://` are links too.
    bare_links: bool,
    /// A link is shown without its scheme and `www.`, cut to this many characters and `…`.
    link_chars: Option<usize>,
    /// The feed shows about this many graphemes before "see more".
    fold_after: Option<usize>,
    /// The first line is the title (and the text the rest).
    first_line_title: bool,
}

fn style(network: Network) -> Style {
    let plain = Style {
        clickable: true,
        bare_links: false,
        link_chars: None,
        fold_after: None,
        first_line_title: false,
    };
    match network {
        Network::X => Style {
            bare_links: true,
            link_chars: Some(23),
            fold_after: Some(280),
            ..plain
        },
        Network::Mastodon => Style {
            link_chars: Some(30),
            ..plain
        },
        Network::Threads => Style {
            bare_links: true,
            ..plain
        },
        Network::LinkedIn => Style {
            fold_after: Some(210),
            ..plain
        },
        Network::Facebook => Style {
            fold_after: Some(480),
            ..plain
        },
        Network::Instagram => Style {
            clickable: false,
            fold_after: Some(125),
            ..plain
        },
        Network::YouTube => Style {
            fold_after: Some(100),
            first_line_title: true,
            ..plain
        },
        Network::WordPress => Style {
            first_line_title: true,
            ..plain
        },
        Network::Bluesky | Network::Webhook => plain,
    }
}

/// The preview of one part of a post on `network`.
pub fn preview(network: Network, text: &str) -> PartPreview {
    let style = style(network);
    let (title, body) = match text.split_once('\n') {
        Some((first, rest)) if style.first_line_title && !rest.trim().is_empty() => {
            (Some(first.trim().to_owned()), rest.trim_start_matches('\n'))
        }
        _ => (None, text),
    };
    let segments = if style.clickable {
        segments(body, &style)
    } else {
        vec![text_segment(body)]
    };
    let (visible, folded) = match style.fold_after {
        Some(limit) if graphemes(body) > limit => fold(segments, limit),
        _ => (segments, Vec::new()),
    };
    PartPreview {
        title,
        visible,
        folded,
    }
}

fn text_segment(s: &str) -> Segment {
    Segment {
        kind: SegmentKind::Text,
        shown: s.to_owned(),
        target: None,
    }
}

/// Cuts the text into plain runs and the runs the network makes clickable.
fn segments(text: &str, style: &Style) -> Vec<Segment> {
    let mut marked: Vec<(usize, usize, SegmentKind, Option<String>)> = facets(text)
        .into_iter()
        .map(|f| match f.kind {
            FacetKind::Link(uri) => (f.start, f.end, SegmentKind::Link, Some(uri)),
            FacetKind::Mention(_) => (f.start, f.end, SegmentKind::Mention, None),
            FacetKind::Tag(_) => (f.start, f.end, SegmentKind::Tag, None),
        })
        .collect();
    if style.bare_links {
        for u in find_urls(text, true).into_iter().filter(|u| !u.has_scheme) {
            let overlaps = marked.iter().any(|m| m.0 < u.end && u.start < m.1);
            if !overlaps {
                let target = format!("https://{}", &text[u.start..u.end]);
                marked.push((u.start, u.end, SegmentKind::Link, Some(target)));
            }
        }
        marked.sort_by_key(|m| m.0);
    }
    let mut out = Vec::new();
    let mut at = 0;
    for (start, end, kind, target) in marked {
        if start > at {
            out.push(text_segment(&text[at..start]));
        }
        let written = &text[start..end];
        let shown = match (kind, style.link_chars) {
            (SegmentKind::Link, Some(max)) => short_link(written, max),
            _ => written.to_owned(),
        };
        out.push(Segment {
            kind,
            shown,
            target,
        });
        at = end;
    }
    if at < text.len() {
        out.push(text_segment(&text[at..]));
    }
    out
}

/// A link as networks that shorten show it: no scheme, no `www.`, at most `max` characters.
fn short_link(link: &str, max: usize) -> String {
    let bare = link
        .strip_prefix("https://")
        .or_else(|| link.strip_prefix("http://"))
        .unwrap_or(link);
    let bare = bare.strip_prefix("www.").unwrap_or(bare);
    if bare.chars().count() <= max {
        bare.to_owned()
    } else {
        let mut cut: String = bare.chars().take(max).collect();
        cut.push('…');
        cut
    }
}

/// Splits the segments after `limit` graphemes, at a word boundary when there is one nearby,
/// never inside a link, mention or tag.
fn fold(segments: Vec<Segment>, limit: usize) -> (Vec<Segment>, Vec<Segment>) {
    let mut visible = Vec::new();
    let mut folded = Vec::new();
    let mut used = 0;
    for seg in segments {
        if !folded.is_empty() || used >= limit {
            folded.push(seg);
            continue;
        }
        let len = graphemes(&seg.shown);
        if used + len <= limit {
            used += len;
            visible.push(seg);
        } else if seg.kind != SegmentKind::Text {
            folded.push(seg);
        } else {
            let (head, tail) = split_text(&seg.shown, limit - used);
            if !head.is_empty() {
                visible.push(text_segment(head));
            }
            folded.push(text_segment(tail));
            used = limit;
        }
    }
    (visible, folded)
}

/// `text` cut after about `keep` graphemes, backing up to the last space when one is close.
fn split_text(text: &str, keep: usize) -> (&str, &str) {
    use unicode_segmentation::UnicodeSegmentation;
    let cut = text
        .grapheme_indices(true)
        .nth(keep)
        .map_or(text.len(), |(i, _)| i);
    let at = match text[..cut].rfind(char::is_whitespace) {
        Some(space) if cut - space < 20 => space,
        _ => cut,
    };
    (&text[..at], &text[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(segs: &[Segment]) -> String {
        segs.iter().map(|s| s.shown.as_str()).collect()
    }

    #[test]
    fn links_mentions_and_tags_are_marked_where_they_are() {
        let p = preview(
            Network::Bluesky,
            "Voir https://relais.example/a @ana.bsky.social #fête",
        );
        let kinds: Vec<SegmentKind> = p.visible.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                SegmentKind::Text,
                SegmentKind::Link,
                SegmentKind::Text,
                SegmentKind::Mention,
                SegmentKind::Text,
                SegmentKind::Tag,
            ]
        );
        assert_eq!(
            p.visible[1].target.as_deref(),
            Some("https://relais.example/a")
        );
        assert_eq!(p.visible[5].shown, "#fête");
        assert!(p.folded.is_empty());
    }

    #[test]
    fn mastodon_and_x_shorten_long_links_but_keep_the_target() {
        let link = "https://www.example.org/a/very/long/path/to/an/article";
        let m = preview(Network::Mastodon, link);
        assert_eq!(m.visible[0].shown, "example.org/a/very/long/path/t…");
        assert_eq!(m.visible[0].target.as_deref(), Some(link));
        let x = preview(Network::X, link);
        assert_eq!(x.visible[0].shown, "example.org/a/very/long…");
        let b = preview(Network::Bluesky, link);
        assert_eq!(b.visible[0].shown, link);
    }

    #[test]
    fn x_and_threads_link_bare_domains_bluesky_does_not() {
        let x = preview(Network::X, "see relais.com now");
        assert_eq!(x.visible[1].kind, SegmentKind::Link);
        assert_eq!(x.visible[1].target.as_deref(), Some("https://relais.com"));
        let b = preview(Network::Bluesky, "see relais.com now");
        assert_eq!(b.visible.len(), 1);
    }

    #[test]
    fn instagram_captions_are_plain_text_and_fold_early() {
        let text = format!("{} https://relais.example #tag", "mot ".repeat(40));
        let p = preview(Network::Instagram, &text);
        assert!(p.visible.iter().all(|s| s.kind == SegmentKind::Text));
        assert!(graphemes(&shown(&p.visible)) <= 125);
        assert_eq!(format!("{}{}", shown(&p.visible), shown(&p.folded)), text);
    }

    #[test]
    fn a_fold_never_cuts_a_link_and_loses_nothing() {
        let text = format!("{} https://relais.example/page end", "é".repeat(204));
        let p = preview(Network::LinkedIn, &text);
        assert_eq!(graphemes(&shown(&p.visible)), 205);
        assert_eq!(p.folded[0].kind, SegmentKind::Link);
        assert_eq!(format!("{}{}", shown(&p.visible), shown(&p.folded)), text);
    }

    #[test]
    fn folds_back_up_to_a_space_counting_graphemes_not_bytes() {
        // 60 family emoji (many code points each) then words: LinkedIn folds near 210.
        let text = format!("{} {}", "👨‍👩‍👧".repeat(60), "word ".repeat(60));
        let p = preview(Network::LinkedIn, &text);
        let visible = shown(&p.visible);
        assert!(
            visible.ends_with("word") || visible.ends_with(' '),
            "{visible}"
        );
        assert!(graphemes(&visible) <= 210 && graphemes(&visible) > 190);
    }

    #[test]
    fn youtube_and_wordpress_take_the_first_line_as_title() {
        let p = preview(Network::YouTube, "Notre atelier\nTout sur l’atelier.");
        assert_eq!(p.title.as_deref(), Some("Notre atelier"));
        assert_eq!(shown(&p.visible), "Tout sur l’atelier.");
        let one_line = preview(Network::WordPress, "Une ligne");
        assert_eq!(one_line.title, None);
        assert_eq!(shown(&one_line.visible), "Une ligne");
    }
}

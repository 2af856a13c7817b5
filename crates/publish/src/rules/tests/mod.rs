//! Per-network tests of `check`, `count` and `check_thread`: counting of links, emoji,
//! combining characters and CJK, exactly-at-limit and one-over, media and thread rules.

use super::*;

mod on_bluesky;
mod on_instagram;
mod on_linkedin_facebook_threads;
mod on_mastodon;
mod on_wordpress_webhook_count;
mod on_x;
mod on_youtube;
mod thread_chains;

const FAMILY: &str = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}";
const E_COMBINING: &str = "e\u{301}";

fn codes(problems: &[Problem]) -> Vec<ProblemCode> {
    problems.iter().map(|p| p.code).collect()
}

fn check_text(network: Network, text: &str) -> Vec<ProblemCode> {
    codes(&check(network, &Draft::text(text)))
}

fn image(mime: &str, bytes: u64) -> MediaInfo {
    MediaInfo::new(MediaKind::Image, mime, bytes)
}
fn video(mime: &str, bytes: u64) -> MediaInfo {
    MediaInfo::new(MediaKind::Video, mime, bytes)
}
fn gif(bytes: u64) -> MediaInfo {
    MediaInfo::new(MediaKind::Gif, "image/gif", bytes)
}

fn with_media(text: &str, media: Vec<MediaInfo>) -> Draft {
    Draft {
        text: text.to_owned(),
        media,
        ..Draft::default()
    }
}

//! Attachment checks: how many of each kind, which formats, how heavy, how long the alternative
//! text, and the combinations a network refuses (images with a video, a GIF with anything).

use super::draft::{MediaInfo, MediaKind};
use super::limits::{GifRule, MediaLimits, MediaRequired};
use super::measure::measure;
use super::messages::{self, Counted, Item};
use super::network::Network;
use super::problem::Problem;

pub fn check_media(network: Network, limits: &MediaLimits, media: &[MediaInfo]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let (mut images, mut videos, mut gifs) = (0usize, 0usize, 0usize);

    for (i, m) in media.iter().enumerate() {
        let n = i + 1;
        match (m.kind, limits.gif) {
            (MediaKind::Image, _) | (MediaKind::Gif, GifRule::AsImage) => {
                images += 1;
                let item = if m.kind == MediaKind::Gif {
                    Item::gif(n)
                } else {
                    Item::image(n)
                };
                let rule = ItemRule {
                    types: limits.image_types,
                    max_bytes: limits.max_image_bytes,
                    max_alt: limits.max_image_alt,
                };
                problems.extend(check_item(network, &item, m, &rule, limits));
            }
            (MediaKind::Video, _) => {
                videos += 1;
                let rule = ItemRule {
                    types: limits.video_types,
                    max_bytes: limits.max_video_bytes,
                    max_alt: limits.max_video_alt,
                };
                problems.extend(check_item(network, &Item::video(n), m, &rule, limits));
            }
            (MediaKind::Gif, GifRule::NotAccepted) => {
                problems.push(messages::gif_not_accepted(network, &Item::gif(n)));
            }
            (MediaKind::Gif, GifRule::Alone { max_bytes }) => {
                gifs += 1;
                let rule = ItemRule {
                    types: &["image/gif"],
                    max_bytes,
                    max_alt: limits.max_image_alt,
                };
                problems.extend(check_item(network, &Item::gif(n), m, &rule, limits));
            }
        }
    }

    let mut over_kind = false;
    if let Some(max) = limits.max_images
        && images > max
    {
        problems.push(messages::too_many(network, Counted::Images, images, max));
        over_kind = true;
    }
    if let Some(max) = limits.max_videos
        && videos > max
    {
        problems.push(messages::too_many(network, Counted::Videos, videos, max));
        over_kind = true;
    }
    let total = images + videos + gifs;
    if let Some(max) = limits.max_items
        && total > max
        && !over_kind
    {
        problems.push(messages::too_many(
            network,
            Counted::Attachments,
            total,
            max,
        ));
    }
    if !limits.mix_images_and_video && images > 0 && videos > 0 {
        problems.push(messages::mixed_media(network));
    }
    if gifs > 0 && total > 1 {
        problems.push(messages::gif_not_alone(network));
    }
    match limits.required {
        MediaRequired::Nothing => {}
        MediaRequired::AnyMedia => {
            if media.is_empty() {
                problems.push(messages::media_required(network));
            }
        }
        MediaRequired::Video => {
            if videos == 0 {
                problems.push(messages::video_required(network));
            }
        }
    }
    problems
}

/// What one attachment is checked against, depending on how the network takes its kind.
struct ItemRule<'a> {
    types: &'a [&'a str],
    max_bytes: Option<u64>,
    max_alt: Option<usize>,
}

fn check_item(
    network: Network,
    item: &Item,
    media: &MediaInfo,
    rule: &ItemRule<'_>,
    limits: &MediaLimits,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !accepts(rule.types, &media.mime) {
        problems.push(messages::media_type_not_accepted(
            network,
            item,
            &normalise_mime(&media.mime),
            rule.types,
        ));
    }
    if let Some(max) = rule.max_bytes
        && media.bytes > max
    {
        problems.push(messages::media_too_large(network, item, media.bytes, max));
    }
    if let (Some(max), Some(alt)) = (rule.max_alt, media.alt.as_deref()) {
        let used = measure(limits.alt_unit, alt);
        if used > max {
            problems.push(messages::alt_text_too_long(network, item, used, max));
        }
    }
    problems
}

/// Whether `mime` is in `types` (`"video/*"` matches every video; an empty list accepts all).
pub fn accepts(types: &[&str], mime: &str) -> bool {
    if types.is_empty() {
        return true;
    }
    let mime = normalise_mime(mime);
    types.iter().any(|t| match t.strip_suffix('*') {
        Some(prefix) => mime.starts_with(prefix) && mime.len() > prefix.len(),
        None => *t == mime,
    })
}

/// Lower case, without parameters (`; charset=...`), `image/jpg` read as `image/jpeg`.
fn normalise_mime(mime: &str) -> String {
    let base = mime.split(';').next().unwrap_or_default().trim();
    let lower = base.to_ascii_lowercase();
    match lower.as_str() {
        "image/jpg" | "image/pjpeg" => "image/jpeg".to_owned(),
        _ => lower,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_matching() {
        assert!(accepts(&["image/jpeg"], "IMAGE/JPEG"));
        assert!(accepts(&["image/jpeg"], "image/jpg"));
        assert!(accepts(&["image/png"], "image/png; q=1"));
        assert!(accepts(&["video/*"], "video/x-matroska"));
        assert!(!accepts(&["video/*"], "video/"));
        assert!(!accepts(&["video/*"], "image/png"));
        assert!(!accepts(&["image/jpeg"], "image/png"));
        assert!(accepts(&[], "application/pdf"));
    }
}

//! Every figure the composer rules use, one network after the other, each with where it comes
//! from. Networks change these: when one does, change it here and in the test that pins it.
//!
//! "MB" below is the network's own wording. Where the source says `N.megabytes` (Rails, so
//! binary) we write `N * MIB`; where a vendor page only says "5 MB" we take the smaller,
//! decimal reading (`N * MB`), so that a file we let through is never refused for a few bytes.
//!
//! Where a network says "characters" without saying how it counts them, we count UTF-16 code
//! units (JavaScript's and Java's `length`), never fewer than the network: an emoji counts 2.

use super::mastodon::MastodonInstance;
use super::measure::Unit;
use super::network::Network;

pub const MB: u64 = 1_000_000;
pub const MIB: u64 = 1024 * 1024;

/// The longest chain of posts `check_thread` lets through. No network documents a maximum;
/// X's and Bluesky's composers stop around 25, and past that a "thread" is an article.
pub const MAX_THREAD_PARTS: usize = 25;

/// How long a post's text may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextLimit {
    /// At most this many `unit`s; `None`: no limit.
    pub max: Option<usize>,
    pub unit: Unit,
    /// And at most this many UTF-8 bytes (Bluesky's record, YouTube's description).
    pub max_bytes: Option<usize>,
}

/// Whether a post needs a title (YouTube, WordPress), and how long it may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TitleLimit {
    pub required: bool,
    pub max: Option<usize>,
    pub unit: Unit,
}

/// What must be attached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaRequired {
    Nothing,
    /// At least one image or video (Instagram).
    AnyMedia,
    /// Exactly the one video (YouTube).
    Video,
}

/// How a network takes an animated GIF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GifRule {
    /// Refused: the network takes no GIF.
    NotAccepted,
    /// Counted and checked as an image (it may lose its animation).
    AsImage,
    /// Taken as a short video: alone in its post, at most `max_bytes`.
    Alone { max_bytes: Option<u64> },
}

/// Attachments a post may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediaLimits {
    /// Images per post (`None`: no limit; `Some(0)`: no images).
    pub max_images: Option<usize>,
    pub max_videos: Option<usize>,
    /// Attachments per post, all kinds together (a carousel's size).
    pub max_items: Option<usize>,
    /// Accepted MIME types; `"video/*"` accepts every video type. Empty: no check.
    pub image_types: &'static [&'static str],
    pub video_types: &'static [&'static str],
    pub max_image_bytes: Option<u64>,
    pub max_video_bytes: Option<u64>,
    pub gif: GifRule,
    /// Whether images and videos may share a post.
    pub mix_images_and_video: bool,
    /// Longest alternative text for an image, and for a video, in `alt_unit`.
    pub max_image_alt: Option<usize>,
    pub max_video_alt: Option<usize>,
    pub alt_unit: Unit,
    pub required: MediaRequired,
}

/// Everything the composer checks for one network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetworkLimits {
    pub text: TextLimit,
    pub title: TitleLimit,
    pub media: MediaLimits,
    /// Distinct links in the text (Threads).
    pub max_links: Option<usize>,
    /// Hashtags and @-mentions in the text (Instagram).
    pub max_hashtags: Option<usize>,
    pub max_mentions: Option<usize>,
    /// Whether a chain of posts (each replying to the previous one) can be published.
    pub threads: bool,
    /// Whether a post may be empty (no text, no media). Social networks refuse that.
    pub allows_empty: bool,
}

const NO_TITLE: TitleLimit = TitleLimit {
    required: false,
    max: None,
    unit: Unit::Utf16,
};

const NO_MEDIA_LIMITS: MediaLimits = MediaLimits {
    max_images: None,
    max_videos: None,
    max_items: None,
    image_types: &[],
    video_types: &[],
    max_image_bytes: None,
    max_video_bytes: None,
    gif: GifRule::AsImage,
    mix_images_and_video: true,
    max_image_alt: None,
    max_video_alt: None,
    alt_unit: Unit::Utf16,
    required: MediaRequired::Nothing,
};

/// Bluesky. Sources: the AT Protocol lexicons `app.bsky.feed.post` (text: maxGraphemes 300,
/// maxLength 3000 bytes), `app.bsky.embed.images` (up to 4 images, blob `image/*` at most
/// 1,000,000 bytes), `app.bsky.embed.video` (one `video/mp4` blob up to 100,000,000 bytes, alt
/// text maxGraphemes 1000); an embed is images *or* a video. Image alt text: 2000 graphemes,
/// the official app's `MAX_ALT_TEXT` (the lexicon sets none).
pub mod bluesky {
    pub const MAX_GRAPHEMES: usize = 300;
    pub const MAX_TEXT_BYTES: usize = 3000;
    pub const MAX_IMAGES: usize = 4;
    pub const MAX_IMAGE_BYTES: u64 = 1_000_000;
    pub const MAX_VIDEO_BYTES: u64 = 100_000_000;
    pub const MAX_IMAGE_ALT_GRAPHEMES: usize = 2000;
    pub const MAX_VIDEO_ALT_GRAPHEMES: usize = 1000;
    pub const IMAGE_TYPES: &[&str] = &["image/jpeg", "image/png", "image/webp", "image/gif"];
    pub const VIDEO_TYPES: &[&str] = &["video/mp4"];
}

/// Mastodon, stock server (every figure is an instance setting: see [`MastodonInstance`]).
/// Sources: Mastodon's `StatusLengthValidator` (500, 23 per link), `MediaAttachment`
/// (`IMAGE_LIMIT = 16.megabytes`, `VIDEO_LIMIT = 99.megabytes`, `MAX_DESCRIPTION_LENGTH =
/// 1_500`, accepted MIME types), `PostStatusService` (4 attachments; a video, GIF or audio
/// must be alone), docs.joinmastodon.org "Posting".
pub mod mastodon {
    use super::MIB;
    pub const MAX_CHARACTERS: usize = 500;
    pub const CHARACTERS_RESERVED_PER_URL: usize = 23;
    pub const MAX_MEDIA_ATTACHMENTS: usize = 4;
    pub const IMAGE_SIZE_LIMIT: u64 = 16 * MIB;
    pub const VIDEO_SIZE_LIMIT: u64 = 99 * MIB;
    pub const DESCRIPTION_LIMIT: usize = 1500;
    pub const IMAGE_TYPES: &[&str] = &[
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heic",
        "image/heif",
        "image/avif",
    ];
    pub const VIDEO_TYPES: &[&str] = &["video/mp4", "video/quicktime", "video/webm", "video/ogg"];
}

/// X. Sources: twitter-text `config/v3.json` (280 weighted), docs.x.com "Media" (image 5 MB,
/// GIF 15 MB, video 512 MB; JPEG, PNG, GIF, WEBP; MP4, MOV) and media best practices ("up to
/// 4 photos, 1 animated GIF or 1 video in a Post"), "Add image descriptions" (1000
/// characters).
pub mod x {
    use super::MB;
    pub const MAX_WEIGHTED: usize = 280;
    pub const MAX_IMAGES: usize = 4;
    pub const MAX_IMAGE_BYTES: u64 = 5 * MB;
    pub const MAX_GIF_BYTES: u64 = 15 * MB;
    pub const MAX_VIDEO_BYTES: u64 = 512 * MB;
    pub const MAX_ALT: usize = 1000;
    pub const IMAGE_TYPES: &[&str] = &["image/jpeg", "image/png", "image/webp", "image/gif"];
    pub const VIDEO_TYPES: &[&str] = &["video/mp4", "video/quicktime"];
}

/// LinkedIn. Sources: Posts API (`commentary`, 3000 characters; `altText`, 4086 characters),
/// MultiImage API (2 to 20 images; images and a video never share a post), Images API (JPG,
/// GIF, PNG), Videos API (MP4, 75 KB to 500 MB). LinkedIn limits images by pixels
/// (36,152,320), not bytes, so no byte limit is checked here.
pub mod linkedin {
    use super::MB;
    pub const MAX_CHARACTERS: usize = 3000;
    pub const MAX_IMAGES: usize = 20;
    pub const MAX_VIDEO_BYTES: u64 = 500 * MB;
    pub const MAX_ALT: usize = 4086;
    pub const IMAGE_TYPES: &[&str] = &["image/jpeg", "image/png", "image/gif"];
    pub const VIDEO_TYPES: &[&str] = &["video/mp4"];
}

/// Facebook Pages. Sources: Facebook's post length limit (63,206 characters), Graph API Page
/// photos (JPEG, BMP, PNG, GIF, TIFF, WebP; 4 MB), multi-photo posts (`attached_media`, we
/// keep to 10), Video API (MP4, MOV; 10 GB through resumable upload). A post holds photos or
/// one video.
pub mod facebook {
    use super::MB;
    pub const MAX_CHARACTERS: usize = 63_206;
    pub const MAX_IMAGES: usize = 10;
    pub const MAX_IMAGE_BYTES: u64 = 4 * MB;
    pub const MAX_VIDEO_BYTES: u64 = 10_000 * MB;
    pub const IMAGE_TYPES: &[&str] = &[
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/bmp",
        "image/tiff",
        "image/webp",
    ];
    pub const VIDEO_TYPES: &[&str] = &["video/mp4", "video/quicktime"];
}

/// Instagram (professional accounts, Content Publishing API). Sources: Instagram Platform
/// "Content Publishing" and the IG Media reference: caption 2,200 characters, at most 30
/// hashtags and 20 @-tags; image JPEG only, 8 MB; video (published as a reel) MP4 or MOV,
/// 300 MB; a carousel holds up to 10 images and videos, mixed. A post without media is
/// impossible.
pub mod instagram {
    use super::MB;
    pub const MAX_CHARACTERS: usize = 2200;
    pub const MAX_HASHTAGS: usize = 30;
    pub const MAX_MENTIONS: usize = 20;
    pub const MAX_ITEMS: usize = 10;
    pub const MAX_IMAGE_BYTES: u64 = 8 * MB;
    pub const MAX_VIDEO_BYTES: u64 = 300 * MB;
    pub const IMAGE_TYPES: &[&str] = &["image/jpeg"];
    pub const VIDEO_TYPES: &[&str] = &["video/mp4", "video/quicktime"];
}

/// YouTube. Sources: YouTube Data API `videos` resource: `snippet.title` at most 100
/// characters, `snippet.description` at most 5000 bytes, neither may contain `<` or `>`;
/// upload: one video, any `video/*` type, at most 256 GB.
pub mod youtube {
    use super::MB;
    pub const MAX_TITLE: usize = 100;
    pub const MAX_DESCRIPTION_BYTES: usize = 5000;
    pub const MAX_VIDEO_BYTES: u64 = 256_000 * MB;
    pub const VIDEO_TYPES: &[&str] = &["video/*"];
    /// Characters the API refuses in a title or description.
    pub const FORBIDDEN: &[char] = &['<', '>'];
}

/// Threads. Sources: Threads API "Posts" (text 500 characters, "emojis are counted as the
/// number of UTF-8 bytes"; at most 5 links; images JPEG or PNG, 8 MB; videos MOV or MP4,
/// 1 GB) and "Carousel posts" (up to 20 images and videos, mixed).
pub mod threads {
    use super::MB;
    pub const MAX_CHARACTERS: usize = 500;
    pub const MAX_LINKS: usize = 5;
    pub const MAX_ITEMS: usize = 20;
    pub const MAX_IMAGE_BYTES: u64 = 8 * MB;
    pub const MAX_VIDEO_BYTES: u64 = 1000 * MB;
    pub const IMAGE_TYPES: &[&str] = &["image/jpeg", "image/png"];
    pub const VIDEO_TYPES: &[&str] = &["video/mp4", "video/quicktime"];
}

/// The limits of `network`, with a Mastodon server's own settings.
pub fn limits(network: Network, instance: &MastodonInstance) -> NetworkLimits {
    let social = |text: TextLimit, media: MediaLimits| NetworkLimits {
        text,
        title: NO_TITLE,
        media,
        max_links: None,
        max_hashtags: None,
        max_mentions: None,
        threads: false,
        allows_empty: false,
    };
    let chars = |max: usize, unit: Unit| TextLimit {
        max: Some(max),
        unit,
        max_bytes: None,
    };
    match network {
        Network::Bluesky => NetworkLimits {
            threads: true,
            ..social(
                TextLimit {
                    max: Some(bluesky::MAX_GRAPHEMES),
                    unit: Unit::Graphemes,
                    max_bytes: Some(bluesky::MAX_TEXT_BYTES),
                },
                MediaLimits {
                    max_images: Some(bluesky::MAX_IMAGES),
                    max_videos: Some(1),
                    max_items: Some(bluesky::MAX_IMAGES),
                    image_types: bluesky::IMAGE_TYPES,
                    video_types: bluesky::VIDEO_TYPES,
                    max_image_bytes: Some(bluesky::MAX_IMAGE_BYTES),
                    max_video_bytes: Some(bluesky::MAX_VIDEO_BYTES),
                    gif: GifRule::AsImage,
                    mix_images_and_video: false,
                    max_image_alt: Some(bluesky::MAX_IMAGE_ALT_GRAPHEMES),
                    max_video_alt: Some(bluesky::MAX_VIDEO_ALT_GRAPHEMES),
                    alt_unit: Unit::Graphemes,
                    required: MediaRequired::Nothing,
                },
            )
        },
        Network::Mastodon => NetworkLimits {
            threads: true,
            ..social(
                chars(instance.max_characters, Unit::Graphemes),
                MediaLimits {
                    max_images: Some(instance.max_media_attachments),
                    max_videos: Some(1),
                    max_items: Some(instance.max_media_attachments),
                    image_types: mastodon::IMAGE_TYPES,
                    video_types: mastodon::VIDEO_TYPES,
                    max_image_bytes: Some(instance.image_size_limit),
                    max_video_bytes: Some(instance.video_size_limit),
                    gif: GifRule::Alone {
                        max_bytes: Some(instance.image_size_limit),
                    },
                    mix_images_and_video: false,
                    max_image_alt: Some(instance.description_limit),
                    max_video_alt: Some(instance.description_limit),
                    alt_unit: Unit::CodePoints,
                    required: MediaRequired::Nothing,
                },
            )
        },
        Network::X => NetworkLimits {
            threads: true,
            ..social(
                chars(x::MAX_WEIGHTED, Unit::XWeighted),
                MediaLimits {
                    max_images: Some(x::MAX_IMAGES),
                    max_videos: Some(1),
                    max_items: Some(x::MAX_IMAGES),
                    image_types: x::IMAGE_TYPES,
                    video_types: x::VIDEO_TYPES,
                    max_image_bytes: Some(x::MAX_IMAGE_BYTES),
                    max_video_bytes: Some(x::MAX_VIDEO_BYTES),
                    gif: GifRule::Alone {
                        max_bytes: Some(x::MAX_GIF_BYTES),
                    },
                    mix_images_and_video: false,
                    max_image_alt: Some(x::MAX_ALT),
                    max_video_alt: Some(x::MAX_ALT),
                    alt_unit: Unit::Utf16,
                    required: MediaRequired::Nothing,
                },
            )
        },
        Network::LinkedIn => social(
            chars(linkedin::MAX_CHARACTERS, Unit::Utf16),
            MediaLimits {
                max_images: Some(linkedin::MAX_IMAGES),
                max_videos: Some(1),
                max_items: Some(linkedin::MAX_IMAGES),
                image_types: linkedin::IMAGE_TYPES,
                video_types: linkedin::VIDEO_TYPES,
                max_image_bytes: None,
                max_video_bytes: Some(linkedin::MAX_VIDEO_BYTES),
                gif: GifRule::AsImage,
                mix_images_and_video: false,
                max_image_alt: Some(linkedin::MAX_ALT),
                max_video_alt: Some(linkedin::MAX_ALT),
                alt_unit: Unit::Utf16,
                required: MediaRequired::Nothing,
            },
        ),
        Network::Facebook => social(
            chars(facebook::MAX_CHARACTERS, Unit::Utf16),
            MediaLimits {
                max_images: Some(facebook::MAX_IMAGES),
                max_videos: Some(1),
                max_items: Some(facebook::MAX_IMAGES),
                image_types: facebook::IMAGE_TYPES,
                video_types: facebook::VIDEO_TYPES,
                max_image_bytes: Some(facebook::MAX_IMAGE_BYTES),
                max_video_bytes: Some(facebook::MAX_VIDEO_BYTES),
                gif: GifRule::AsImage,
                mix_images_and_video: false,
                max_image_alt: None,
                max_video_alt: None,
                alt_unit: Unit::Utf16,
                required: MediaRequired::Nothing,
            },
        ),
        Network::Instagram => NetworkLimits {
            max_hashtags: Some(instagram::MAX_HASHTAGS),
            max_mentions: Some(instagram::MAX_MENTIONS),
            ..social(
                chars(instagram::MAX_CHARACTERS, Unit::Utf16),
                MediaLimits {
                    max_images: Some(instagram::MAX_ITEMS),
                    max_videos: Some(instagram::MAX_ITEMS),
                    max_items: Some(instagram::MAX_ITEMS),
                    image_types: instagram::IMAGE_TYPES,
                    video_types: instagram::VIDEO_TYPES,
                    max_image_bytes: Some(instagram::MAX_IMAGE_BYTES),
                    max_video_bytes: Some(instagram::MAX_VIDEO_BYTES),
                    gif: GifRule::NotAccepted,
                    mix_images_and_video: true,
                    max_image_alt: None,
                    max_video_alt: None,
                    alt_unit: Unit::Utf16,
                    required: MediaRequired::AnyMedia,
                },
            )
        },
        Network::YouTube => NetworkLimits {
            title: TitleLimit {
                required: true,
                max: Some(youtube::MAX_TITLE),
                unit: Unit::Utf16,
            },
            allows_empty: true, // the description may be empty; the video is required below
            ..social(
                TextLimit {
                    max: Some(youtube::MAX_DESCRIPTION_BYTES),
                    unit: Unit::Bytes,
                    max_bytes: None,
                },
                MediaLimits {
                    max_images: Some(0),
                    max_videos: Some(1),
                    max_items: Some(1),
                    image_types: &[],
                    video_types: youtube::VIDEO_TYPES,
                    max_image_bytes: None,
                    max_video_bytes: Some(youtube::MAX_VIDEO_BYTES),
                    gif: GifRule::NotAccepted,
                    mix_images_and_video: false,
                    max_image_alt: None,
                    max_video_alt: None,
                    alt_unit: Unit::Utf16,
                    required: MediaRequired::Video,
                },
            )
        },
        Network::Threads => NetworkLimits {
            threads: true,
            max_links: Some(threads::MAX_LINKS),
            ..social(
                chars(threads::MAX_CHARACTERS, Unit::ThreadsChars),
                MediaLimits {
                    max_images: Some(threads::MAX_ITEMS),
                    max_videos: Some(threads::MAX_ITEMS),
                    max_items: Some(threads::MAX_ITEMS),
                    image_types: threads::IMAGE_TYPES,
                    video_types: threads::VIDEO_TYPES,
                    max_image_bytes: Some(threads::MAX_IMAGE_BYTES),
                    max_video_bytes: Some(threads::MAX_VIDEO_BYTES),
                    gif: GifRule::NotAccepted,
                    mix_images_and_video: true,
                    max_image_alt: None,
                    max_video_alt: None,
                    alt_unit: Unit::Utf16,
                    required: MediaRequired::Nothing,
                },
            )
        },
        // WordPress: a post needs a title; the body and the media library have no limit we
        // can know from here (the site's upload limit is a PHP setting).
        Network::WordPress => NetworkLimits {
            title: TitleLimit {
                required: true,
                max: None,
                unit: Unit::Utf16,
            },
            allows_empty: true,
            ..social(
                TextLimit {
                    max: None,
                    unit: Unit::CodePoints,
                    max_bytes: None,
                },
                NO_MEDIA_LIMITS,
            )
        },
        // A webhook receives whatever the workspace sends: nothing to refuse.
        Network::Webhook => NetworkLimits {
            allows_empty: true,
            ..social(
                TextLimit {
                    max: None,
                    unit: Unit::CodePoints,
                    max_bytes: None,
                },
                NO_MEDIA_LIMITS,
            )
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(n: Network) -> NetworkLimits {
        limits(n, &MastodonInstance::default())
    }

    /// Pins the headline figures, so that changing one is a deliberate act.
    #[test]
    fn headline_figures() {
        assert_eq!(l(Network::X).text.max, Some(280));
        assert_eq!(l(Network::Mastodon).text.max, Some(500));
        assert_eq!(l(Network::Bluesky).text.max, Some(300));
        assert_eq!(l(Network::Bluesky).text.max_bytes, Some(3000));
        assert_eq!(l(Network::LinkedIn).text.max, Some(3000));
        assert_eq!(l(Network::Instagram).text.max, Some(2200));
        assert_eq!(l(Network::Threads).text.max, Some(500));
        assert_eq!(l(Network::Facebook).text.max, Some(63_206));
        assert_eq!(l(Network::YouTube).text.max, Some(5000));
        assert_eq!(l(Network::YouTube).title.max, Some(100));
        assert!(l(Network::YouTube).title.required);
        assert!(l(Network::WordPress).title.required);
        assert_eq!(l(Network::WordPress).text.max, None);
        assert_eq!(l(Network::Webhook).text.max, None);

        assert_eq!(l(Network::Bluesky).media.max_images, Some(4));
        assert_eq!(l(Network::Mastodon).media.max_images, Some(4));
        assert_eq!(l(Network::X).media.max_images, Some(4));
        assert_eq!(l(Network::Instagram).media.max_items, Some(10));
        assert_eq!(l(Network::Facebook).media.max_images, Some(10));
        assert_eq!(l(Network::Bluesky).media.max_image_bytes, Some(1_000_000));
        assert_eq!(l(Network::Mastodon).media.max_image_bytes, Some(16 * MIB));
        assert_eq!(l(Network::Mastodon).media.max_video_bytes, Some(99 * MIB));
        assert_eq!(l(Network::X).media.max_image_bytes, Some(5_000_000));
        assert_eq!(l(Network::X).media.max_video_bytes, Some(512_000_000));
        assert_eq!(l(Network::Instagram).media.max_image_bytes, Some(8_000_000));
        assert_eq!(l(Network::Mastodon).media.max_image_alt, Some(1500));
        assert_eq!(l(Network::X).media.max_image_alt, Some(1000));
        assert_eq!(l(Network::Bluesky).media.max_image_alt, Some(2000));
    }

    #[test]
    fn mastodon_follows_its_instance() {
        let big = MastodonInstance {
            max_characters: 5000,
            max_media_attachments: 8,
            ..MastodonInstance::default()
        };
        let m = limits(Network::Mastodon, &big);
        assert_eq!(m.text.max, Some(5000));
        assert_eq!(m.media.max_images, Some(8));
    }

    #[test]
    fn only_chain_capable_networks_take_threads() {
        let chained: Vec<Network> = Network::ALL.into_iter().filter(|&n| l(n).threads).collect();
        assert_eq!(
            chained,
            [
                Network::Bluesky,
                Network::Mastodon,
                Network::X,
                Network::Threads
            ]
        );
    }
}
